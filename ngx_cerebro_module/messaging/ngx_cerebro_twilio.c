
/*
 * Twilio's Messages API through the internal location /_cerebro/twilio/,
 * which adds the Basic credentials: a send is one form-encoded POST and
 * its answer sorted into sent, retry later, template needed, or failed;
 * a find lists the latest messages to a number, to learn whether an
 * attempt whose answer was lost went out.
 */

#include <cjson/cJSON.h>

#include "ngx_cerebro_twilio.h"


static void ngx_cerebro_twilio_reset(ngx_cerebro_twilio_send_t *s);
static char *ngx_cerebro_twilio_from(ngx_http_request_t *r,
    ngx_cerebro_main_conf_t *mcf);
static ngx_int_t ngx_cerebro_twilio_messages(ngx_http_request_t *r,
    ngx_cerebro_call_t *call, ngx_cerebro_main_conf_t *mcf);
static void ngx_cerebro_twilio_sent(ngx_cerebro_call_t *call);
static void ngx_cerebro_twilio_found(ngx_cerebro_call_t *call);
static ngx_uint_t ngx_cerebro_twilio_same(cJSON *msg,
    const cerebro_outbox_msg_t *m);
static void ngx_cerebro_twilio_classify(ngx_cerebro_twilio_send_t *s,
    ngx_cerebro_call_t *call, ngx_log_t *log);
static size_t ngx_cerebro_twilio_encoded_len(const char *s);


#define NGX_CEREBRO_TWILIO_PATH_LEN  128
/* the messages looked at when an attempt's answer was lost */
#define NGX_CEREBRO_TWILIO_RECENT    "50"
/* our clock and Twilio's may disagree: by this much, in seconds */
#define NGX_CEREBRO_TWILIO_SKEW      60


ngx_uint_t
ngx_cerebro_twilio_configured(ngx_cerebro_main_conf_t *mcf)
{
    /* the SID and the token come as a pair (nginx -t refuses one alone),
     * and with them the net layer's Authorization */
    return mcf->twilio_account_sid.len && mcf->twilio_whatsapp_number.len;
}


ngx_int_t
ngx_cerebro_twilio_send(ngx_http_request_t *r, ngx_cerebro_twilio_send_t *s,
    const cerebro_outbox_msg_t *m)
{
    u_char                   *p, *body;
    size_t                    len;
    char                     *from, *callback;
    ngx_str_t                 url;
    ngx_cerebro_call_t       *call;
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    ngx_cerebro_twilio_reset(s);

    from = ngx_cerebro_twilio_from(r, mcf);
    if (from == NULL) {
        return NGX_ERROR;
    }

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

    if (ngx_cerebro_twilio_messages(r, call, mcf) != NGX_OK) {
        return NGX_ERROR;
    }

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


ngx_int_t
ngx_cerebro_twilio_find(ngx_http_request_t *r, ngx_cerebro_twilio_send_t *s,
    const cerebro_outbox_msg_t *m)
{
    u_char                   *p, *args;
    char                     *from;
    ngx_cerebro_call_t       *call;
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    ngx_cerebro_twilio_reset(s);
    s->msg = m;

    from = ngx_cerebro_twilio_from(r, mcf);
    if (from == NULL) {
        return NGX_ERROR;
    }

    args = ngx_pnalloc(r->pool, sizeof("To=&From=&PageSize=")
                                + ngx_cerebro_twilio_encoded_len(m->to)
                                + ngx_cerebro_twilio_encoded_len(from)
                                + sizeof(NGX_CEREBRO_TWILIO_RECENT));
    if (args == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cerebro_twilio_form_add(args, "To", m->to, 1);
    p = ngx_cerebro_twilio_form_add(p, "From", from, 0);
    p = ngx_cerebro_twilio_form_add(p, "PageSize", NGX_CEREBRO_TWILIO_RECENT,
                                    0);

    call = &s->call;

    if (ngx_cerebro_twilio_messages(r, call, mcf) != NGX_OK) {
        return NGX_ERROR;
    }

    call->method = NGX_HTTP_GET;
    call->args.data = args;
    call->args.len = p - args;
    call->done = ngx_cerebro_twilio_found;
    call->data = s;

    return ngx_cerebro_call_start(call);
}


/* No outcome yet: not known to have gone, so to be tried again. */
static void
ngx_cerebro_twilio_reset(ngx_cerebro_twilio_send_t *s)
{
    s->outcome = NGX_CEREBRO_TWILIO_RETRY;
    s->code = 0;
    s->sid[0] = '\0';
    s->reason[0] = '\0';
    s->retry_after = 0;
}


/* From: the sender, always on the WhatsApp channel */
static char *
ngx_cerebro_twilio_from(ngx_http_request_t *r, ngx_cerebro_main_conf_t *mcf)
{
    char       *from;
    size_t      plen;
    ngx_str_t   number;

    number = mcf->twilio_whatsapp_number;
    plen = (number.len >= 9
            && ngx_strncmp(number.data, "whatsapp:", 9) == 0) ? 0 : 9;

    from = ngx_pnalloc(r->pool, plen + number.len + 1);
    if (from == NULL) {
        return NULL;
    }

    ngx_sprintf((u_char *) from, "%s%V%Z", plen ? "whatsapp:" : "", &number);

    return from;
}


/* A call to the account's Messages resource, zeroed but for its path. */
static ngx_int_t
ngx_cerebro_twilio_messages(ngx_http_request_t *r, ngx_cerebro_call_t *call,
    ngx_cerebro_main_conf_t *mcf)
{
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

    return NGX_OK;
}


static void
ngx_cerebro_twilio_found(ngx_cerebro_call_t *call)
{
    u_char                     *last;
    cJSON                      *json, *list, *msg, *sid;
    ngx_cerebro_twilio_send_t  *s;

    s = call->data;
    s->retry_after = call->retry_after;

    if (call->error || call->status != NGX_HTTP_OK) {
        last = ngx_snprintf((u_char *) s->reason, sizeof(s->reason) - 1,
                            "Twilio's messages could not be listed (%s %i)",
                            call->error ? "error" : "HTTP",
                            call->error ? call->error
                                        : (ngx_int_t) call->status);
        *last = '\0';
        s->outcome = NGX_CEREBRO_TWILIO_RETRY;
        s->done(s);
        return;
    }

    s->outcome = NGX_CEREBRO_TWILIO_ABSENT;

    json = cJSON_ParseWithLength((char *) call->response.data,
                                 call->response.len);
    list = cJSON_GetObjectItemCaseSensitive(json, "messages");

    cJSON_ArrayForEach(msg, list) {
        sid = cJSON_GetObjectItemCaseSensitive(msg, "sid");

        if (cJSON_IsString(sid)
            && ngx_strlen(sid->valuestring) < sizeof(s->sid)
            && ngx_cerebro_twilio_same(msg, s->msg))
        {
            s->outcome = NGX_CEREBRO_TWILIO_SENT;
            ngx_cpystrn((u_char *) s->sid, (u_char *) sid->valuestring,
                        sizeof(s->sid));
            break;
        }
    }

    cJSON_Delete(json);

    s->done(s);
}


/*
 * m's words (a template's are rendered by Twilio: they hold m's), made
 * after m was queued, and not refused: then it is m, sent by an attempt
 * whose answer was lost.  A date we cannot read is not m: sending twice
 * is better than not at all.
 */
static ngx_uint_t
ngx_cerebro_twilio_same(cJSON *msg, const cerebro_outbox_msg_t *m)
{
    time_t   made;
    cJSON   *body, *created, *status;

    body = cJSON_GetObjectItemCaseSensitive(msg, "body");
    created = cJSON_GetObjectItemCaseSensitive(msg, "date_created");
    status = cJSON_GetObjectItemCaseSensitive(msg, "status");

    if (!cJSON_IsString(body) || !cJSON_IsString(created) || m->body[0] == 0) {
        return 0;
    }

    if (cJSON_IsString(status)
        && (ngx_strcmp(status->valuestring, "failed") == 0
            || ngx_strcmp(status->valuestring, "undelivered") == 0))
    {
        return 0;
    }

    if (m->template_sid[0] ? ngx_strstr(body->valuestring, m->body) == NULL
                           : ngx_strcmp(body->valuestring, m->body) != 0)
    {
        return 0;
    }

    made = ngx_parse_http_time((u_char *) created->valuestring,
                               ngx_strlen(created->valuestring));

    return made != NGX_ERROR && made + NGX_CEREBRO_TWILIO_SKEW >= m->created;
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

    /* the account itself: credentials, suspended, not active (an alert) */
    ngx_cerebro_metric_add(NGX_CEREBRO_M_TWILIO_ACCOUNT, NULL, NULL,
                           call->status == NGX_HTTP_UNAUTHORIZED
                           || s->code == 20003 || s->code == 20005
                           || s->code == 30002);

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
