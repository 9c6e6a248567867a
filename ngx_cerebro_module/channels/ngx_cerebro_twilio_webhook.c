
/*
 * What Twilio's webhooks to us need: their form-encoded bodies parsed, and
 * X-Twilio-Signature checked against the URL Twilio signed.
 */

#include "ngx_cerebro_http.h"
#include "ngx_cerebro_twilio_webhook.h"


static ngx_uint_t ngx_cerebro_twilio_unescape(u_char *dst, u_char *src,
    size_t len);


static ngx_inline ngx_int_t
ngx_cerebro_twilio_hex(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/* '+' is a space and %XX a byte; a broken escape is kept as it is */
static ngx_uint_t
ngx_cerebro_twilio_unescape(u_char *dst, u_char *src, size_t len)
{
    u_char     *d, *end;
    ngx_int_t   hi, lo;

    d = dst;
    end = src + len;

    while (src < end) {
        if (*src == '+') {
            *d++ = ' ';
            src++;
            continue;
        }

        if (*src == '%' && end - src >= 3) {
            hi = ngx_cerebro_twilio_hex(src[1]);
            lo = ngx_cerebro_twilio_hex(src[2]);

            if (hi >= 0 && lo >= 0) {
                *d++ = (u_char) (hi << 4 | lo);
                src += 3;
                continue;
            }
        }

        *d++ = *src++;
    }

    *d = '\0';

    return d - dst;
}


ngx_int_t
ngx_cerebro_twilio_form(ngx_pool_t *pool, ngx_str_t *body,
    ngx_array_t **params)
{
    u_char           *p, *end, *amp, *eq, *name, *value;
    cerebro_param_t  *param;

    *params = ngx_array_create(pool, 16, sizeof(cerebro_param_t));
    if (*params == NULL) {
        return NGX_ERROR;
    }

    p = body->data;
    end = body->data + body->len;

    while (p < end) {
        amp = ngx_strlchr(p, end, '&');
        if (amp == NULL) {
            amp = end;
        }

        if (amp == p) {
            p++;
            continue;
        }

        eq = ngx_strlchr(p, amp, '=');
        if (eq == NULL) {
            eq = amp;
        }

        name = ngx_pnalloc(pool, eq - p + 1);
        value = ngx_pnalloc(pool, (eq < amp ? amp - eq - 1 : 0) + 1);
        param = ngx_array_push(*params);

        if (name == NULL || value == NULL || param == NULL) {
            return NGX_ERROR;
        }

        param->name = (char *) name;
        param->name_len = ngx_cerebro_twilio_unescape(name, p, eq - p);
        param->value = (char *) value;
        param->value_len = eq < amp
                           ? ngx_cerebro_twilio_unescape(value, eq + 1,
                                                         amp - eq - 1)
                           : ngx_cerebro_twilio_unescape(value, eq, 0);

        p = amp + 1;
    }

    return NGX_OK;
}


const char *
ngx_cerebro_twilio_param(ngx_array_t *params, const char *name)
{
    ngx_str_t  value;

    return ngx_cerebro_twilio_param_str(params, name, &value) == NGX_OK
           ? (const char *) value.data : NULL;
}


ngx_int_t
ngx_cerebro_twilio_param_str(ngx_array_t *params, const char *name,
    ngx_str_t *value)
{
    size_t            len;
    ngx_uint_t        i;
    cerebro_param_t  *param;

    len = ngx_strlen(name);
    param = params->elts;

    for (i = 0; i < params->nelts; i++) {
        if (param[i].name_len == len
            && ngx_strncmp(param[i].name, name, len) == 0)
        {
            value->data = (u_char *) param[i].value;
            value->len = param[i].value_len;
            return NGX_OK;
        }
    }

    ngx_str_null(value);

    return NGX_DECLINED;
}


/*
 * The one URL Twilio's signature covers, for every location of ours:
 * PUBLIC_URL and the request URI (TLS ends in front of us); without
 * PUBLIC_URL, this request's own scheme and Host.
 */
ngx_int_t
ngx_cerebro_twilio_signed_url(ngx_http_request_t *r, ngx_str_t *url)
{
    u_char                   *p;
    ngx_str_t                 base, *host;
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    base = mcf->public_url;

    while (base.len && base.data[base.len - 1] == '/') {
        base.len--;
    }

    host = r->headers_in.host ? &r->headers_in.host->value
                              : &r->headers_in.server;

    url->len = (base.len ? base.len : sizeof("https://") - 1 + host->len)
               + r->unparsed_uri.len;
    url->data = ngx_pnalloc(r->pool, url->len);
    if (url->data == NULL) {
        return NGX_ERROR;
    }

    if (base.len) {
        p = ngx_cpymem(url->data, base.data, base.len);

    } else {
#if (NGX_HTTP_SSL)
        p = ngx_cpymem(url->data, r->connection->ssl ? "https://" : "http://",
                       r->connection->ssl ? 8 : 7);
#else
        p = ngx_cpymem(url->data, "http://", 7);
#endif
        p = ngx_cpymem(p, host->data, host->len);
    }

    p = ngx_cpymem(p, r->unparsed_uri.data, r->unparsed_uri.len);
    url->len = p - url->data;

    return NGX_OK;
}


ngx_int_t
ngx_cerebro_twilio_verify_request(ngx_http_request_t *r,
    cerebro_param_t *params, ngx_uint_t n, ngx_str_t *body)
{
    ngx_str_t                 url;
    cerebro_sig_rc_t          rc;
    ngx_table_elt_t          *h;
    ngx_cerebro_main_conf_t  *mcf;

    static ngx_str_t  signature_header = ngx_string("X-Twilio-Signature");

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    if (mcf->twilio_auth_token.len == 0 || mcf->public_url.len == 0) {
        if (mcf->production) {
            /* a spoofed message could book, or opt a guest out */
            return NGX_ABORT;
        }

        if (mcf->twilio_auth_token.len == 0) {
            /* development: nothing to check with (warned at start) */
            return NGX_OK;
        }
    }

    h = ngx_cerebro_http_header(r, &signature_header);
    if (h == NULL) {
        ngx_cerebro_log(NGX_LOG_WARN, r->connection->log, 0,
                        "Twilio webhook refused: no X-Twilio-Signature");
        return NGX_DECLINED;
    }

    if (params == NULL) {
        /* before the body: the signature is there, to be checked */
        return NGX_OK;
    }

    if (ngx_cerebro_twilio_signed_url(r, &url) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = cerebro_twilio_verify((char *) mcf->twilio_auth_token.data,
                               mcf->twilio_auth_token.len,
                               (char *) url.data, url.len, params, n,
                               (char *) body->data, body->len,
                               (char *) h->value.data, h->value.len);

    if (rc != CEREBRO_SIG_OK) {
        ngx_cerebro_log(NGX_LOG_WARN, r->connection->log, 0,
                        "Twilio signature refused for \"%V\": %s", &url,
                        cerebro_sig_strerror(rc));
        return NGX_DECLINED;
    }

    return NGX_OK;
}


ngx_int_t
ngx_cerebro_twilio_read_signed(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt handler)
{
    ngx_int_t  rc, discard;

    /* without a signature the body is discarded as it comes, not kept */
    if (r->method == NGX_HTTP_POST) {
        rc = ngx_cerebro_twilio_verify_request(r, NULL, 0, NULL);

        if (rc != NGX_OK) {
            r->keepalive = 0;

            discard = ngx_http_discard_request_body(r);
            if (discard != NGX_OK) {
                return discard;
            }

            return ngx_cerebro_twilio_refuse(r, rc);
        }
    }

    return ngx_cerebro_http_read_post(r, "application/x-www-form-urlencoded",
                                      handler);
}


ngx_int_t
ngx_cerebro_twilio_refuse(ngx_http_request_t *r, ngx_int_t rc)
{
    if (rc == NGX_ABORT) {
        return ngx_cerebro_http_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                           "ENVIRONMENT=production: "
                                           "Twilio's webhooks need "
                                           "TWILIO_AUTH_TOKEN and PUBLIC_URL "
                                           "to check X-Twilio-Signature");
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_cerebro_http_send_error(r, NGX_HTTP_FORBIDDEN,
                                       "invalid or missing "
                                       "X-Twilio-Signature");
}


