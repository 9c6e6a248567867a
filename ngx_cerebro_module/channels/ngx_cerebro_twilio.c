
/*
 * Twilio's Messages API through the internal location /_cerebro/twilio/,
 * which adds the Basic credentials: a send is one form-encoded POST and
 * its answer sorted into sent, retry later, template needed, or failed.
 */

#include <cjson/cJSON.h>

#include "ngx_cerebro_http.h"
#include "ngx_cerebro_twilio.h"


static void ngx_cerebro_twilio_sent(ngx_cerebro_call_t *call);
static void ngx_cerebro_twilio_classify(ngx_cerebro_twilio_send_t *s,
    ngx_cerebro_call_t *call, ngx_log_t *log);
static size_t ngx_cerebro_twilio_encoded_len(const char *s);
static ngx_uint_t ngx_cerebro_twilio_unescape(u_char *dst, u_char *src,
    size_t len);


#define NGX_CEREBRO_TWILIO_PATH_LEN  128


ngx_uint_t
ngx_cerebro_twilio_configured(ngx_cerebro_main_conf_t *mcf)
{
    return mcf->twilio_account_sid.len
           && mcf->upstream_auth[NGX_CEREBRO_TWILIO].len
           && mcf->twilio_whatsapp_number.len;
}


ngx_int_t
ngx_cerebro_twilio_send(ngx_http_request_t *r, ngx_cerebro_twilio_send_t *s,
    const cerebro_outbox_msg_t *m)
{
    u_char                   *p, *body;
    size_t                    len, plen;
    char                     *from, *callback;
    ngx_str_t                 number, url;
    ngx_cerebro_call_t       *call;
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    s->outcome = NGX_CEREBRO_TWILIO_RETRY;
    s->code = 0;
    s->sid[0] = '\0';
    s->reason[0] = '\0';
    s->retry_after = 0;

    /* From: the sender, always on the WhatsApp channel */
    number = mcf->twilio_whatsapp_number;
    plen = (number.len >= 9
            && ngx_strncmp(number.data, "whatsapp:", 9) == 0) ? 0 : 9;

    from = ngx_pnalloc(r->pool, plen + number.len + 1);
    if (from == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) from, "%s%V%Z", plen ? "whatsapp:" : "", &number);

    callback = NULL;
    url = mcf->public_url;

    while (url.len && url.data[url.len - 1] == '/') {
        url.len--;
    }

    if (url.len) {
        callback = ngx_pnalloc(r->pool,
                               url.len + sizeof("/whatsapp/status"));
        if (callback == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf((u_char *) callback, "%V/whatsapp/status%Z", &url);
    }

    len = sizeof("To=&From=&Body=&ContentSid=&ContentVariables="
                 "&StatusCallback=")
          + ngx_cerebro_twilio_encoded_len(m->to)
          + ngx_cerebro_twilio_encoded_len(from)
          + ngx_cerebro_twilio_encoded_len(m->body)
          + ngx_cerebro_twilio_encoded_len(m->template_sid)
          + ngx_cerebro_twilio_encoded_len(m->variables)
          + (callback ? ngx_cerebro_twilio_encoded_len(callback) : 0);

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cerebro_twilio_form_add(body, "To", m->to, 1);
    p = ngx_cerebro_twilio_form_add(p, "From", from, 0);

    if (m->template_sid[0]) {
        /* a template carries no Body: Twilio renders it */
        p = ngx_cerebro_twilio_form_add(p, "ContentSid", m->template_sid, 0);

        if (m->variables[0]) {
            p = ngx_cerebro_twilio_form_add(p, "ContentVariables",
                                            m->variables, 0);
        }

    } else {
        p = ngx_cerebro_twilio_form_add(p, "Body", m->body, 0);
    }

    if (callback) {
        p = ngx_cerebro_twilio_form_add(p, "StatusCallback", callback, 0);
    }

    call = &s->call;
    ngx_memzero(call, sizeof(ngx_cerebro_call_t));

    call->path.data = ngx_pnalloc(r->pool, NGX_CEREBRO_TWILIO_PATH_LEN
                                           + mcf->twilio_account_sid.len);
    if (call->path.data == NULL) {
        return NGX_ERROR;
    }

    call->path.len = ngx_sprintf(call->path.data,
                                 "/2010-04-01/Accounts/%V/Messages.json",
                                 &mcf->twilio_account_sid)
                     - call->path.data;

    call->request = r;
    call->service = NGX_CEREBRO_TWILIO;
    call->method = NGX_HTTP_POST;
    ngx_str_set(&call->content_type, "application/x-www-form-urlencoded");
    call->body.data = body;
    call->body.len = p - body;
    call->done = ngx_cerebro_twilio_sent;
    call->data = s;

    /*
     * No deadline of ours: a message Twilio accepted after we gave up
     * would be sent twice; the location's proxy timeouts end it.
     */
    call->timeout = 0;

    return ngx_cerebro_call_start(call);
}


static void
ngx_cerebro_twilio_sent(ngx_cerebro_call_t *call)
{
    ngx_cerebro_twilio_send_t  *s;

    s = call->data;

    ngx_cerebro_twilio_classify(s, call, call->request->connection->log);

    s->done(s);
}


static void
ngx_cerebro_twilio_classify(ngx_cerebro_twilio_send_t *s,
    ngx_cerebro_call_t *call, ngx_log_t *log)
{
    u_char      *last, buf[CEREBRO_REC_ERROR_LEN];
    cJSON       *json, *sid, *code, *message;
    const char  *text;

    s->retry_after = call->retry_after;

    if (call->error) {
        s->outcome = NGX_CEREBRO_TWILIO_RETRY;
        last = ngx_snprintf(buf, sizeof(buf) - 1, "no answer from Twilio "
                            "(%i)", call->error);
        *last = '\0';
        ngx_cpystrn((u_char *) s->reason, buf, sizeof(s->reason));
        return;
    }

    json = cJSON_ParseWithLength((char *) call->response.data,
                                 call->response.len);

    sid = cJSON_GetObjectItemCaseSensitive(json, "sid");
    code = cJSON_GetObjectItemCaseSensitive(json, "code");
    message = cJSON_GetObjectItemCaseSensitive(json, "message");

    if (cJSON_IsNumber(code)) {
        s->code = code->valueint;

    } else if (cJSON_IsString(code)) {
        s->code = ngx_atoi((u_char *) code->valuestring,
                           ngx_strlen(code->valuestring));
        if (s->code == NGX_ERROR) {
            s->code = 0;
        }
    }

    text = cJSON_IsString(message) ? message->valuestring : "";

    if ((call->status == NGX_HTTP_CREATED || call->status == NGX_HTTP_OK)
        && cJSON_IsString(sid) && sid->valuestring[0] != '\0'
        && ngx_strlen(sid->valuestring) < sizeof(s->sid))
    {
        s->outcome = NGX_CEREBRO_TWILIO_SENT;
        ngx_cpystrn((u_char *) s->sid, (u_char *) sid->valuestring,
                    sizeof(s->sid));

    } else if (s->code == 63016) {
        s->outcome = NGX_CEREBRO_TWILIO_WINDOW;

    } else if (call->status == NGX_HTTP_TOO_MANY_REQUESTS
               || s->code == 20429 || call->status >= 500)
    {
        s->outcome = NGX_CEREBRO_TWILIO_RETRY;

    } else if (call->status == NGX_HTTP_UNAUTHORIZED || s->code == 20003) {
        s->outcome = NGX_CEREBRO_TWILIO_FAILED;
        ngx_cerebro_log(NGX_LOG_ERR, log, 0,
                        "Twilio refused our credentials (%i, %ui): check "
                        "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
                        s->code, call->status);

    } else {
        s->outcome = NGX_CEREBRO_TWILIO_FAILED;
    }

    if (s->outcome != NGX_CEREBRO_TWILIO_SENT) {
        if (s->code) {
            last = ngx_snprintf(buf, sizeof(buf) - 1, "%i %s", s->code,
                                text);
        } else {
            last = ngx_snprintf(buf, sizeof(buf) - 1, "HTTP %ui from Twilio",
                                call->status);
        }

        *last = '\0';

        /* the message text may be cut inside a UTF-8 character */
        (void) cerebro_rec_copy(s->reason, sizeof(s->reason), (char *) buf);
    }

    cJSON_Delete(json);
}


/* RFC 3986 unreserved characters stay; everything else is %XX */
static ngx_inline ngx_uint_t
ngx_cerebro_twilio_plain(u_char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
           || c == '~';
}


static size_t
ngx_cerebro_twilio_encoded_len(const char *s)
{
    size_t  n;

    for (n = 0; *s; s++) {
        n += ngx_cerebro_twilio_plain((u_char) *s) ? 1 : 3;
    }

    return n;
}


u_char *
ngx_cerebro_twilio_form_add(u_char *p, const char *name, const char *value,
    ngx_uint_t first)
{
    static u_char  hex[] = "0123456789ABCDEF";

    u_char  c;

    if (!first) {
        *p++ = '&';
    }

    p = ngx_cpymem(p, name, ngx_strlen(name));
    *p++ = '=';

    for ( /* void */ ; *value; value++) {
        c = (u_char) *value;

        if (ngx_cerebro_twilio_plain(c)) {
            *p++ = c;

        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0x0f];
        }
    }

    return p;
}


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
    size_t            len;
    ngx_uint_t        i;
    cerebro_param_t  *param;

    len = ngx_strlen(name);
    param = params->elts;

    for (i = 0; i < params->nelts; i++) {
        if (param[i].name_len == len
            && ngx_strncmp(param[i].name, name, len) == 0)
        {
            return param[i].value;
        }
    }

    return NULL;
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


