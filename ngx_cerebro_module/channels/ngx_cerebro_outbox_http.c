
/*
 * The outbox's HTTP side; the outbox itself is messaging/ngx_cerebro_outbox.c.
 *
 *   GET  /cerebro/outbox[?limit=N&status=pending]   the staff's view
 *   POST /cerebro/outbox {"resend": <id>}           a failed message again
 *   POST /whatsapp/status                           Twilio's callbacks
 */

#include "ngx_cerebro_http.h"
#include "ngx_cerebro_outbox_http.h"
#include "ngx_cerebro_outbox.h"
#include "ngx_cerebro_store.h"
#include "ngx_cerebro_twilio.h"
#include "ngx_cerebro_twilio_webhook.h"


#define NGX_CEREBRO_OUTBOX_PAGE          100
#define NGX_CEREBRO_OUTBOX_MAX_PAGE      500


static ngx_int_t ngx_cerebro_outbox_handler(ngx_http_request_t *r);
static cJSON *ngx_cerebro_outbox_json(cerebro_sqlite_t *db,
    cerebro_outbox_msg_t *m);
static void ngx_cerebro_outbox_resend(ngx_http_request_t *r);
static ngx_int_t ngx_cerebro_status_handler(ngx_http_request_t *r);
static void ngx_cerebro_status_body(ngx_http_request_t *r);
static ngx_int_t ngx_cerebro_status_record(ngx_http_request_t *r,
    ngx_str_t *body);


/* ---- delivery status ----------------------------------------------------- */


char *
ngx_cerebro_whatsapp_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_cerebro_set_endpoint(cf, "whatsapp_status",
                                    ngx_cerebro_status_handler);
}


static ngx_int_t
ngx_cerebro_status_handler(ngx_http_request_t *r)
{
    return ngx_cerebro_twilio_read_signed(r, ngx_cerebro_status_body);
}


static void
ngx_cerebro_status_body(ngx_http_request_t *r)
{
    ngx_int_t     rc;
    ngx_str_t     body;

    rc = ngx_cerebro_http_body(r, &body);
    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    ngx_http_finalize_request(r, ngx_cerebro_status_record(r, &body));
}


static ngx_int_t
ngx_cerebro_status_record(ngx_http_request_t *r, ngx_str_t *body)
{
    const char   *sid, *status, *code;
    ngx_int_t     rc;
    ngx_array_t  *params;

    if (ngx_cerebro_twilio_form(r->pool, body, &params) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_cerebro_twilio_verify_request(r, params->elts, params->nelts,
                                           body);
    if (rc != NGX_OK) {
        return ngx_cerebro_twilio_refuse(r, rc);
    }

    sid = ngx_cerebro_twilio_param(params, "MessageSid");
    status = ngx_cerebro_twilio_param(params, "MessageStatus");
    code = ngx_cerebro_twilio_param(params, "ErrorCode");

    if (status == NULL) {
        status = ngx_cerebro_twilio_param(params, "SmsStatus");
    }

    if (sid == NULL || sid[0] == '\0' || status == NULL
        || ngx_strlen(sid) >= CEREBRO_REC_SID_LEN
        || ngx_strlen(status) > 16
        || (code && ngx_strlen(code) > 16))
    {
        return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "MessageSid and MessageStatus "
                                           "are required");
    }

    switch (ngx_cerebro_outbox_status(r, sid, status, code)) {

    case NGX_OK:
    case NGX_DECLINED:
        return ngx_cerebro_http_send_json(r, NGX_HTTP_OK,
                                          cJSON_CreateObject());

    case NGX_BUSY:
        return ngx_cerebro_http_send_error(r,
                                           NGX_HTTP_SERVICE_UNAVAILABLE,
                                           "the outbox is unavailable");

    case NGX_ERROR:
        /* Twilio retries a callback that failed */
        return ngx_cerebro_http_send_error(r,
                                           NGX_HTTP_SERVICE_UNAVAILABLE,
                                           "the status was not recorded");

    default: /* NGX_ABORT */
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
}


/* ---- the staff's view ---------------------------------------------------- */


char *
ngx_cerebro_outbox(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_cerebro_set_endpoint(cf, "outbox",
                                    ngx_cerebro_outbox_handler);
}


static ngx_int_t
ngx_cerebro_outbox_handler(ngx_http_request_t *r)
{
    int                       i, n;
    ngx_int_t                 rc, limit, want;
    int64_t                   totals[CEREBRO_SQLITE_OUTBOX_STATUSES];
    ngx_str_t                 value;
    cJSON                    *json, *list, *counts, *item;
    cerebro_sqlite_t         *db;
    cerebro_store_error_t     e;
    cerebro_outbox_msg_t     *msgs;
    ngx_cerebro_main_conf_t  *mcf;

    rc = ngx_cerebro_http_check_method(r, NGX_HTTP_GET|NGX_HTTP_HEAD
                                          |NGX_HTTP_POST);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (r->method == NGX_HTTP_POST) {
        /* the send is a subrequest: the body is read first */
        return ngx_cerebro_http_read_post(r, "application/json",
                                          ngx_cerebro_outbox_resend);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    db = ngx_cerebro_store_db(r);

    if (db == NULL) {
        return ngx_cerebro_http_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                           "the outbox is unavailable");
    }

    limit = NGX_CEREBRO_OUTBOX_PAGE;

    if (ngx_http_arg(r, (u_char *) "limit", 5, &value) == NGX_OK) {
        limit = ngx_atoi(value.data, value.len);
        if (limit <= 0 || limit > NGX_CEREBRO_OUTBOX_MAX_PAGE) {
            return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                                               "limit is 1 to 500");
        }
    }

    want = -1;

    if (ngx_http_arg(r, (u_char *) "status", 6, &value) == NGX_OK) {
        for (i = CEREBRO_OUTBOX_PENDING; i <= CEREBRO_OUTBOX_FAILED; i++) {
            if (value.len == ngx_strlen(cerebro_outbox_status_name(i))
                && ngx_strncmp(value.data, cerebro_outbox_status_name(i),
                               value.len) == 0)
            {
                want = i;
            }
        }

        if (want < 0) {
            return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                                               "status is pending, sent or "
                                               "failed");
        }
    }

    msgs = ngx_palloc(r->pool, NGX_CEREBRO_OUTBOX_MAX_PAGE
                               * sizeof(cerebro_outbox_msg_t));
    if (msgs == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a status filter reads the whole page and keeps the matches */
    if (cerebro_sqlite_outbox_recent(db, msgs,
                                     want < 0 ? (int) limit
                                              : NGX_CEREBRO_OUTBOX_MAX_PAGE,
                                     &n, &e)
        != CEREBRO_STORE_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "outbox: %s", e.message);
        return ngx_cerebro_http_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                           "the outbox is unavailable");
    }

    json = cJSON_CreateObject();
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_AddBoolToObject(json, "twilio", ngx_cerebro_twilio_configured(mcf));
    counts = cJSON_AddObjectToObject(json, "counts");
    list = cJSON_AddArrayToObject(json, "messages");

    if (counts == NULL || list == NULL) {
        cJSON_Delete(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* all 0 when the counts cannot be read */
    (void) cerebro_sqlite_outbox_counts(db, totals, &e);

    for (i = CEREBRO_OUTBOX_PENDING; i <= CEREBRO_OUTBOX_FAILED; i++) {
        cJSON_AddNumberToObject(counts, cerebro_outbox_status_name(i),
                                (double) totals[i]);
    }

    for (i = 0; i < n && cJSON_GetArraySize(list) < limit; i++) {
        if (want >= 0 && (ngx_int_t) msgs[i].status != want) {
            continue;
        }

        item = ngx_cerebro_outbox_json(db, &msgs[i]);
        if (item == NULL) {
            cJSON_Delete(json);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cJSON_AddItemToArray(list, item);
    }

    return ngx_cerebro_http_send_json(r, NGX_HTTP_OK, json);
}


/*
 * A failed message queued again as a new one, with the same text, to the
 * same number; the failed one stays as it was, with its reason.  Once per
 * failed message (a double click queues nothing more).
 */
static void
ngx_cerebro_outbox_resend(ngx_http_request_t *r)
{
    cJSON                 *json, *id;
    ngx_int_t              rc;
    ngx_str_t              body;
    cerebro_sqlite_t      *db;
    cerebro_store_error_t  e;
    cerebro_outbox_msg_t   m;
    u_char                 key[CEREBRO_REC_DEDUPE_LEN];

    rc = ngx_cerebro_http_body(r, &body);
    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    json = cJSON_ParseWithLength((char *) body.data, body.len);
    id = cJSON_GetObjectItemCaseSensitive(json, "resend");

    if (!cJSON_IsNumber(id) || id->valuedouble < 1) {
        cJSON_Delete(json);
        ngx_http_finalize_request(r,
            ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "give {\"resend\": <id>}"));
        return;
    }

    m.id = (int64_t) id->valuedouble;
    cJSON_Delete(json);

    db = ngx_cerebro_store_db(r);

    if (db == NULL
        || cerebro_sqlite_outbox_get(db, m.id, &m, &e) != CEREBRO_STORE_OK)
    {
        ngx_http_finalize_request(r,
            ngx_cerebro_http_send_error(r, db ? NGX_HTTP_NOT_FOUND
                                              : NGX_HTTP_SERVICE_UNAVAILABLE,
                                        "no such message"));
        return;
    }

    if (m.status != CEREBRO_OUTBOX_FAILED || m.body[0] == '\0'
        || ngx_strncmp(m.to, "whatsapp:+", sizeof("whatsapp:+") - 1) != 0)
    {
        ngx_http_finalize_request(r,
            ngx_cerebro_http_send_error(r, NGX_HTTP_CONFLICT,
                                        "only a failed message with a text "
                                        "can be sent again"));
        return;
    }

    *ngx_snprintf(key, sizeof(key) - 1, "resend:%L", m.id) = '\0';

    if (ngx_cerebro_outbox_send(r, m.to + sizeof("whatsapp:") - 1, m.body,
                                m.kind, (char *) key,
                                m.reservation_id[0] ? m.reservation_id
                                                    : NULL)
        != NGX_OK)
    {
        ngx_http_finalize_request(r,
            ngx_cerebro_http_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                        "the outbox is unavailable"));
        return;
    }

    ngx_cerebro_log(NGX_LOG_NOTICE, r->connection->log, 0,
                    "outbox: message %L queued again by the staff", m.id);

    json = cJSON_CreateObject();
    if (json == NULL
        || cJSON_AddNumberToObject(json, "resent", (double) m.id) == NULL)
    {
        cJSON_Delete(json);
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_finalize_request(r,
        ngx_cerebro_http_send_json(r, NGX_HTTP_ACCEPTED, json));
}


static cJSON *
ngx_cerebro_outbox_json(cerebro_sqlite_t *db, cerebro_outbox_msg_t *m)
{
    cJSON                  *o, *vars;
    cerebro_delivery_t      d;
    cerebro_store_error_t   e;

    o = cJSON_CreateObject();
    if (o == NULL) {
        return NULL;
    }

    cJSON_AddNumberToObject(o, "id", (double) m->id);
    cJSON_AddStringToObject(o, "to", m->to);
    cJSON_AddStringToObject(o, "kind", m->kind);
    cJSON_AddStringToObject(o, "status",
                            cerebro_outbox_status_name(m->status));

    if (m->template_sid[0]) {
        cJSON_AddStringToObject(o, "template_sid", m->template_sid);
        vars = cJSON_Parse(m->variables);
        cJSON_AddItemToObject(o, "variables",
                              vars ? vars : cJSON_CreateObject());

    } else {
        cJSON_AddStringToObject(o, "body", m->body);
    }

    cJSON_AddNumberToObject(o, "attempts", m->attempts);
    cJSON_AddNumberToObject(o, "next_attempt", (double) m->next_attempt);
    cJSON_AddStringToObject(o, "last_error", m->last_error);
    cJSON_AddStringToObject(o, "twilio_sid", m->twilio_sid);
    cJSON_AddStringToObject(o, "reservation_id", m->reservation_id);
    cJSON_AddStringToObject(o, "dedupe_key", m->dedupe_key);
    cJSON_AddNumberToObject(o, "created", (double) m->created);

    if (m->twilio_sid[0] == '\0') {
        return o;
    }

    if (cerebro_sqlite_delivery_get(db, m->twilio_sid, &d, &e)
        == CEREBRO_STORE_OK)
    {
        cJSON_AddStringToObject(o, "delivery", d.status);
        cJSON_AddStringToObject(o, "error_code", d.error_code);
        cJSON_AddNumberToObject(o, "delivery_updated", (double) d.updated);
    }

    return o;
}
