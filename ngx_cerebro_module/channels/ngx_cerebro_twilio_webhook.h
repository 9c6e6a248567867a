
/*
 * Twilio's webhooks to us (inbound WhatsApp, status callbacks): form
 * parsing and X-Twilio-Signature checking against the public URL.
 */

#ifndef _NGX_CEREBRO_TWILIO_WEBHOOK_H_INCLUDED_
#define _NGX_CEREBRO_TWILIO_WEBHOOK_H_INCLUDED_


#include "ngx_cerebro.h"
#include "cerebro_signature.h"


/*
 * An application/x-www-form-urlencoded body into params (an array of
 * cerebro_param_t, created here), names and values decoded and each
 * NUL-terminated.
 */
ngx_int_t ngx_cerebro_twilio_form(ngx_pool_t *pool, ngx_str_t *body,
    ngx_array_t **params);

/* The value of a form parameter, NUL-terminated, or NULL. */
const char *ngx_cerebro_twilio_param(ngx_array_t *params, const char *name);

/* The same with its length (a value may hold a NUL); NGX_DECLINED: none. */
ngx_int_t ngx_cerebro_twilio_param_str(ngx_array_t *params, const char *name,
    ngx_str_t *value);

/* The URL Twilio signs: PUBLIC_URL + URI, else scheme, Host and URI. */
ngx_int_t ngx_cerebro_twilio_signed_url(ngx_http_request_t *r,
    ngx_str_t *url);

/*
 * NGX_OK when the request carries a valid X-Twilio-Signature for the
 * signed URL and params[0..n), or, outside production, when no auth token
 * is configured (nothing to check with); NGX_ABORT in production without
 * TWILIO_AUTH_TOKEN or PUBLIC_URL; NGX_DECLINED when refused; NGX_ERROR.
 * With params NULL, before the body: only that the header is there.
 */
ngx_int_t ngx_cerebro_twilio_verify_request(ngx_http_request_t *r,
    cerebro_param_t *params, ngx_uint_t n, ngx_str_t *body);

/*
 * A Twilio webhook's POST: refused from its headers when the signature is
 * missing (or cannot be checked in production), before the body is read;
 * otherwise the form read, then handler.
 */
ngx_int_t ngx_cerebro_twilio_read_signed(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt handler);

/* What a refusal of ngx_cerebro_twilio_verify_request() answers. */
ngx_int_t ngx_cerebro_twilio_refuse(ngx_http_request_t *r, ngx_int_t rc);


#endif /* _NGX_CEREBRO_TWILIO_WEBHOOK_H_INCLUDED_ */
