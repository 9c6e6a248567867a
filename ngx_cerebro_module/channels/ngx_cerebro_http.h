
/*
 * What every endpoint of ours does the same way: method checks (405 with
 * Allow, OPTIONS preflight), CORS from ALLOWED_ORIGINS, and JSON answers.
 */

#ifndef _NGX_CEREBRO_HTTP_H_INCLUDED_
#define _NGX_CEREBRO_HTTP_H_INCLUDED_


#include <cjson/cJSON.h>

#include "ngx_cerebro.h"


/*
 * NGX_DECLINED when the method is one of "allowed" (NGX_HTTP_GET|...): the
 * handler goes on.  Otherwise the OPTIONS or 405 answer has been sent and
 * the result is what the handler returns.
 */
ngx_int_t ngx_cerebro_http_check_method(ngx_http_request_t *r,
    ngx_uint_t allowed);

/* Access-Control-Allow-Origin for an origin on ALLOWED_ORIGINS, or none. */
ngx_int_t ngx_cerebro_http_cors(ngx_http_request_t *r);

/* Serializes and frees "json"; sends it whole with the given status. */
ngx_int_t ngx_cerebro_http_send_json(ngx_http_request_t *r,
    ngx_uint_t status, cJSON *json);

/* Sends b, JSON already written, whole with the given status. */
ngx_int_t ngx_cerebro_http_send_buf(ngx_http_request_t *r,
    ngx_uint_t status, ngx_buf_t *b);

/*
 * A POST of the given content type (415 otherwise), its body read before
 * handler runs; what a content handler returns.
 */
ngx_int_t ngx_cerebro_http_read_post(ngx_http_request_t *r,
    const char *content_type, ngx_http_client_body_handler_pt handler);

/* The same for a method the caller has checked (PATCH, PUT...). */
ngx_int_t ngx_cerebro_http_read_body(ngx_http_request_t *r,
    const char *content_type, ngx_http_client_body_handler_pt handler);

/*
 * The request body in one NUL-terminated piece, wherever nginx kept it:
 * NGX_OK; otherwise the status to finalize with (nothing has been sent).
 * nginx itself answers 413 to a body over client_max_body_size, whatever
 * its framing, before the body handler ever runs.
 */
ngx_int_t ngx_cerebro_http_body(ngx_http_request_t *r, ngx_str_t *body);

/* The request's Origin is one ALLOWED_ORIGINS names ("*" names none). */
ngx_flag_t ngx_cerebro_http_listed_origin(ngx_http_request_t *r);

/*
 * The same, not NUL-terminated, and copied only when nginx kept it in
 * pieces that cannot be joined in place; the body's chain may be rewritten
 * to the joined piece.
 */
ngx_int_t ngx_cerebro_http_body_bytes(ngx_http_request_t *r,
    ngx_str_t *body);

/* A request header by name, case-insensitive; NULL when absent. */
ngx_table_elt_t *ngx_cerebro_http_header(ngx_http_request_t *r,
    ngx_str_t *name);

/* Frees a parsed cJSON document with the request. */
ngx_int_t ngx_cerebro_http_keep_json(ngx_http_request_t *r, cJSON *json);

/* {"error": "<message>"} with the status. */
ngx_int_t ngx_cerebro_http_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *message);


#endif /* _NGX_CEREBRO_HTTP_H_INCLUDED_ */
