
/*
 * The outbox: every WhatsApp message we send is a row of the SQLite file
 * before it is a request to Twilio, and becomes "sent" only with Twilio's
 * sid.  A new message is leased to the request that queued it (its
 * next_attempt is a little ahead) while that request makes the first
 * attempt; the jobs run (channels/ngx_cerebro_jobs.c) sends whatever is
 * due after that: retries, messages queued while Twilio was not
 * configured or down, and those a stopped nginx left behind.  Its HTTP
 * side, the staff's view and Twilio's status callbacks, is
 * channels/ngx_cerebro_outbox_http.c.
 */

#include <cjson/cJSON.h>

#include "ngx_cerebro_outbox.h"
#include "ngx_cerebro_messaging.h"
#include "ngx_cerebro_twilio.h"
#include "ngx_cerebro_alerts.h"
#include "ngx_cerebro_links.h"
#include "ngx_cerebro_store.h"
#include "cerebro_civil.h"
#include "cerebro_sentence.h"
#include "cerebro_text.h"


#define NGX_CEREBRO_OUTBOX_MAX_ATTEMPTS  12
#define NGX_CEREBRO_OUTBOX_MAX_BACKOFF   3600
/* a reply of the brain fits in two; more is cut short */
#define NGX_CEREBRO_OUTBOX_MAX_PARTS     4
#define NGX_CEREBRO_OUTBOX_TEXT_LEN      1024


struct ngx_cerebro_outbox_attempt_s {
    ngx_http_request_t            *request;
    cerebro_outbox_msg_t           msg;
    ngx_cerebro_twilio_send_t      send;
    ngx_cerebro_outbox_done_pt     done;
    void                          *data;
};


static ngx_int_t ngx_cerebro_outbox_send_one(ngx_http_request_t *r,
    const char *to_e164, const char *body, const char *kind,
    const char *dedupe_key, const char *reservation_id);
static ngx_int_t ngx_cerebro_outbox_sent(ngx_cerebro_outbox_attempt_t *a,
    ngx_uint_t *result);
static ngx_uint_t ngx_cerebro_outbox_uncertain(
    const cerebro_outbox_msg_t *m);
static void ngx_cerebro_outbox_looked(ngx_cerebro_twilio_send_t *s);
static void ngx_cerebro_outbox_answered(ngx_cerebro_twilio_send_t *s);
static ngx_int_t ngx_cerebro_outbox_template(ngx_http_request_t *r,
    cerebro_outbox_msg_t *m, cerebro_outbox_msg_t *out);
static void ngx_cerebro_outbox_delivery_sent(cerebro_sqlite_t *db,
    ngx_log_t *log, const cerebro_outbox_msg_t *m, const char *sid);
static ngx_int_t ngx_cerebro_status_rank(const char *status);
static ngx_uint_t ngx_cerebro_outbox_opted_out(cerebro_sqlite_t *db,
    cerebro_outbox_msg_t *m, time_t now);


/* ---- queueing ------------------------------------------------------------ */


ngx_int_t
ngx_cerebro_outbox_enqueue(ngx_http_request_t *r, cerebro_outbox_msg_t *m,
    ngx_uint_t lease, ngx_uint_t *duplicate)
{
    int                            dup;
    time_t                         now;
    ngx_log_t                     *log;
    cerebro_sqlite_t              *db;
    cerebro_store_error_t          e;
    ngx_cerebro_main_conf_t       *mcf;
    ngx_cerebro_messaging_conf_t  *mscf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    mscf = ngx_http_get_module_main_conf(r, ngx_cerebro_messaging_module);
    db = ngx_cerebro_store_db(r);
    log = r->connection->log;
    *duplicate = 0;

    if (db == NULL) {
        ngx_cerebro_log(NGX_LOG_ERR, log, 0,
                        "outbox unavailable: message to %s not queued",
                        m->to);
        return NGX_ERROR;
    }

    now = ngx_time();
    /* the first attempt's lease: longer than any answer of Twilio's */
    m->next_attempt = lease ? now + (time_t) (mscf->outbox_lease / 1000)
                            : now;

    if (cerebro_sqlite_outbox_enqueue(db, m, now, m, &dup, &e)
        != CEREBRO_STORE_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, log, 0,
                        "outbox: message to %s not queued (%s): %s", m->to,
                        cerebro_store_err_name(e.kind), e.message);
        return NGX_ERROR;
    }

    if (dup) {
        *duplicate = 1;
        return NGX_OK;
    }

    if (ngx_cerebro_outbox_opted_out(db, m, now)) {
        m->status = CEREBRO_OUTBOX_FAILED;
    }

    ngx_cerebro_log_detail(mcf, log, "outbox: %s %L to %s queued%s",
                           m->kind, m->id, m->to,
                           m->status == CEREBRO_OUTBOX_FAILED
                           ? " (opted out: not sent)" : "");

    return NGX_OK;
}


/*
 * A text longer than a WhatsApp message (Twilio refuses more than 1,600
 * characters, 21617) goes as several, cut at sentences: each part is a
 * row of its own, the first with the caller's dedupe key, the others with
 * it and "#<part>".
 */
ngx_int_t
ngx_cerebro_outbox_send(ngx_http_request_t *r, const char *to_e164,
    const char *body, const char *kind, const char *dedupe_key,
    const char *reservation_id)
{
    u_char      *part, key[CEREBRO_REC_DEDUPE_LEN];
    size_t       starts[NGX_CEREBRO_OUTBOX_MAX_PARTS];
    size_t       lens[NGX_CEREBRO_OUTBOX_MAX_PARTS];
    ngx_int_t    rc;
    ngx_uint_t   i, n;

    if (body == NULL) {
        return NGX_ERROR;
    }

    n = cerebro_text_split(body, ngx_strlen(body), CEREBRO_TEXT_WHATSAPP_MAX,
                           starts, lens, NGX_CEREBRO_OUTBOX_MAX_PARTS);

    if (n <= 1) {
        return ngx_cerebro_outbox_send_one(r, to_e164, body, kind,
                                           dedupe_key, reservation_id);
    }

    for (i = 0; i < n; i++) {
        part = ngx_pnalloc(r->pool, lens[i] + 1);
        if (part == NULL) {
            return NGX_ERROR;
        }

        *ngx_cpymem(part, body + starts[i], lens[i]) = '\0';

        if (dedupe_key && i > 0) {
            ngx_snprintf(key, sizeof(key) - 1, "%s#%ui%Z", dedupe_key, i + 1);
            key[sizeof(key) - 1] = '\0';
        }

        rc = ngx_cerebro_outbox_send_one(r, to_e164, (char *) part, kind,
                                         (dedupe_key && i > 0)
                                         ? (char *) key : dedupe_key,
                                         reservation_id);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_outbox_send_one(ngx_http_request_t *r, const char *to_e164,
    const char *body, const char *kind, const char *dedupe_key,
    const char *reservation_id)
{
    ngx_uint_t                dup, live;
    cerebro_outbox_msg_t     *m;
    ngx_cerebro_main_conf_t  *mcf;

    r = r->main;
    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    m = ngx_pcalloc(r->pool, sizeof(cerebro_outbox_msg_t));
    if (m == NULL) {
        return NGX_ERROR;
    }

    if (to_e164 == NULL || to_e164[0] != '+' || body == NULL
        || ngx_strlen(to_e164) + sizeof("whatsapp:") > sizeof(m->to))
    {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "outbox: not an E.164 number: \"%s\"",
                        to_e164 ? to_e164 : "");
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) m->to, "whatsapp:%s%Z", to_e164);
    (void) cerebro_rec_copy(m->body, sizeof(m->body), body);
    (void) cerebro_rec_copy(m->kind, sizeof(m->kind), kind ? kind : "");
    (void) cerebro_rec_copy(m->dedupe_key, sizeof(m->dedupe_key),
                            dedupe_key ? dedupe_key : "");
    (void) cerebro_rec_copy(m->reservation_id, sizeof(m->reservation_id),
                            reservation_id ? reservation_id : "");

    live = ngx_cerebro_twilio_configured(mcf);

    if (ngx_cerebro_outbox_enqueue(r, m, live, &dup) != NGX_OK) {
        return NGX_ERROR;
    }

    if (dup || !live || m->status != CEREBRO_OUTBOX_PENDING) {
        return NGX_OK;
    }

    /* queued is what counts: if this fails, the jobs run sends it later */
    (void) ngx_cerebro_outbox_attempt(r, m, NULL, NULL);

    return NGX_OK;
}


/* ---- sending ------------------------------------------------------------- */


ngx_int_t
ngx_cerebro_outbox_attempt(ngx_http_request_t *r, cerebro_outbox_msg_t *m,
    ngx_cerebro_outbox_done_pt done, void *data)
{
    ngx_int_t                      rc;
    cerebro_sqlite_t              *db;
    ngx_cerebro_main_conf_t       *mcf;
    ngx_cerebro_outbox_attempt_t  *a;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    db = ngx_cerebro_store_db(r);

    if (ngx_strcmp(m->kind, CEREBRO_OUTBOX_KIND_ALERT) == 0) {
        return ngx_cerebro_alert_attempt(r, m, done, data);
    }

    if (db == NULL || !ngx_cerebro_twilio_configured(mcf)) {
        return NGX_DECLINED;
    }

    /* STOP may have come after the message was queued */
    if (ngx_cerebro_outbox_opted_out(db, m, ngx_time())) {
        return NGX_DECLINED;
    }

    a = ngx_pcalloc(r->pool, sizeof(ngx_cerebro_outbox_attempt_t));
    if (a == NULL) {
        return NGX_ERROR;
    }

    a->request = r;
    a->msg = *m;
    a->done = done;
    a->data = data;
    a->send.data = a;

    if (ngx_cerebro_outbox_uncertain(m)) {
        a->send.done = ngx_cerebro_outbox_looked;
        rc = ngx_cerebro_twilio_find(r, &a->send, &a->msg);

    } else {
        a->send.done = ngx_cerebro_outbox_answered;
        rc = ngx_cerebro_twilio_send(r, &a->send, &a->msg);
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    /*
     * The request may have answered already (the voice channel does not
     * wait for WhatsApp): it must live until Twilio's answer is written.
     */
    r->main->count++;

    return NGX_AGAIN;
}


ngx_int_t
ngx_cerebro_outbox_send_due(ngx_http_request_t *r, ngx_uint_t max,
    ngx_cerebro_outbox_done_pt done, void *data, ngx_uint_t *due,
    ngx_uint_t *started, ngx_uint_t *declined)
{
    int                       i, n;
    ngx_int_t                 rc;
    ngx_uint_t                twilio;
    cerebro_sqlite_t         *db;
    cerebro_store_err_t       err;
    cerebro_store_error_t     e;
    cerebro_outbox_msg_t     *msgs;
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    db = ngx_cerebro_store_db(r);

    /* without Twilio the messages wait, visible, in the outbox; alerts go */
    twilio = ngx_cerebro_twilio_configured(mcf);

    if (db == NULL || (!twilio && mcf->alert_webhook.len == 0)) {
        return NGX_DECLINED;
    }

    msgs = ngx_palloc(r->pool, max * sizeof(cerebro_outbox_msg_t));
    if (msgs == NULL) {
        return NGX_ERROR;
    }

    err = twilio
          ? cerebro_sqlite_outbox_due(db, ngx_time(), msgs, (int) max, &n,
                                      &e)
          : cerebro_sqlite_outbox_due_kind(db, ngx_time(),
                                           CEREBRO_OUTBOX_KIND_ALERT, msgs,
                                           (int) max, &n, &e);

    if (err != CEREBRO_STORE_OK) {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "outbox: the messages due could not be read (%s): "
                        "%s", cerebro_store_err_name(e.kind), e.message);
        return NGX_ERROR;
    }

    *due = n;

    for (i = 0; i < n; i++) {
        rc = ngx_cerebro_outbox_attempt(r, &msgs[i], done, data);

        if (rc == NGX_AGAIN) {
            (*started)++;

        } else if (rc == NGX_DECLINED) {
            (*declined)++;      /* opted out since it was queued */

        } else {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * An earlier attempt may have reached Twilio without its answer reaching
 * us: a retry, or a first attempt whose lease ran out (its worker died).
 * The first attempt, within its lease, knows nothing went before it.
 */
static ngx_uint_t
ngx_cerebro_outbox_uncertain(const cerebro_outbox_msg_t *m)
{
    return m->attempts > 0
           || (m->next_attempt > m->created && m->next_attempt <= ngx_time());
}


/* What Twilio has: the message itself, sent, or none and it goes now. */
static void
ngx_cerebro_outbox_looked(ngx_cerebro_twilio_send_t *s)
{
    ngx_cerebro_outbox_attempt_t  *a;

    a = s->data;

    if (s->outcome == NGX_CEREBRO_TWILIO_SENT) {
        ngx_cerebro_log(NGX_LOG_NOTICE, a->request->connection->log, 0,
                        "outbox: %L had gone out as %s before its answer "
                        "was lost: not sent again", a->msg.id, s->sid);
        ngx_cerebro_outbox_answered(s);
        return;
    }

    if (s->outcome == NGX_CEREBRO_TWILIO_ABSENT) {
        s->done = ngx_cerebro_outbox_answered;

        if (ngx_cerebro_twilio_send(a->request, s, &a->msg) == NGX_OK) {
            return;
        }

        s->outcome = NGX_CEREBRO_TWILIO_RETRY;
        ngx_cpystrn((u_char *) s->reason, (u_char *) "no memory to send",
                    sizeof(s->reason));
    }

    /* not known whether it went: never sent blindly, asked again later */
    ngx_cerebro_outbox_answered(s);
}


static void
ngx_cerebro_outbox_answered(ngx_cerebro_twilio_send_t *s)
{
    ngx_int_t                      rc;
    ngx_uint_t                     result;
    ngx_cerebro_outbox_attempt_t  *a;

    a = s->data;
    result = NGX_CEREBRO_OUTBOX_FAILED;

    rc = ngx_cerebro_outbox_sent(a, &result);

    ngx_cerebro_metric_add(NGX_CEREBRO_M_WHATSAPP_OUT,
                           result == NGX_CEREBRO_OUTBOX_SENT ? "sent"
                           : (result == NGX_CEREBRO_OUTBOX_RETRY ? "retried"
                                                                : "failed"),
                           NULL, rc != NGX_AGAIN);

    /* NGX_AGAIN: a template went out in its place, and that one reports */
    if (rc != NGX_AGAIN && a->done) {
        a->done(a->data, result);
    }

    ngx_http_finalize_request(a->request, NGX_DONE);
}


/*
 * Writes the outcome of Twilio's answer on the row.  NGX_AGAIN when a
 * template resend took over (and will call done itself).
 */
static ngx_int_t
ngx_cerebro_outbox_sent(ngx_cerebro_outbox_attempt_t *a, ngx_uint_t *result)
{
    char                           reason[CEREBRO_REC_ERROR_LEN];
    u_char                         buf[CEREBRO_REC_ERROR_LEN], *last;
    time_t                         now, delay;
    ngx_int_t                      rc;
    ngx_log_t                     *log;
    ngx_uint_t                     n;
    cerebro_sqlite_t              *db;
    cerebro_store_err_t            err;
    cerebro_store_error_t          e;
    cerebro_outbox_msg_t          *m, *t;
    ngx_cerebro_main_conf_t       *mcf;
    ngx_cerebro_twilio_send_t     *s;
    ngx_cerebro_messaging_conf_t  *mscf;

    mcf = ngx_http_get_module_main_conf(a->request, ngx_cerebro_module);
    mscf = ngx_http_get_module_main_conf(a->request,
                                         ngx_cerebro_messaging_module);
    db = ngx_cerebro_store_db(a->request);
    log = a->request->connection->log;
    m = &a->msg;
    s = &a->send;
    now = ngx_time();
    err = CEREBRO_STORE_OK;

    switch (s->outcome) {

    case NGX_CEREBRO_TWILIO_SENT:
        *result = NGX_CEREBRO_OUTBOX_SENT;
        err = cerebro_sqlite_outbox_mark_sent(db, m->id, s->sid,
                                              now, &e);
        ngx_cerebro_outbox_delivery_sent(db, log, m, s->sid);
        ngx_cerebro_log_detail(mcf, log, "outbox: %L sent as %s", m->id,
                               s->sid);
        break;

    case NGX_CEREBRO_TWILIO_RETRY:
        n = m->attempts + 1;
        delay = ngx_cerebro_outbox_backoff(mscf, m, s->retry_after);

        if (delay == 0) {
            *result = NGX_CEREBRO_OUTBOX_FAILED;
            last = ngx_snprintf(buf, sizeof(buf) - 1,
                                "gave up after %ui attempts: %s", n,
                                s->reason);
            *last = '\0';
            err = cerebro_sqlite_outbox_mark_failed(db, m->id,
                                                    (char *) buf, now, &e);
            break;
        }

        *result = NGX_CEREBRO_OUTBOX_RETRY;
        err = cerebro_sqlite_outbox_retry(db, m->id, s->reason,
                                          now + delay, now, &e);
        ngx_cerebro_log(NGX_LOG_WARN, log, 0,
                        "outbox: %L to be retried in %T s: %s", m->id,
                        delay, s->reason);
        break;

    case NGX_CEREBRO_TWILIO_WINDOW:
        *result = NGX_CEREBRO_OUTBOX_FAILED;

        t = ngx_pcalloc(a->request->pool, sizeof(cerebro_outbox_msg_t));
        if (t == NULL) {
            return NGX_ERROR;
        }

        rc = ngx_cerebro_outbox_template(a->request, m, t);

        last = ngx_snprintf(buf, sizeof(buf) - 1, "%s%s", s->reason,
                            rc == NGX_OK ? ": resent as template"
                            : (rc == NGX_DECLINED
                               ? ": no cerebro_whatsapp_template" : ""));
        *last = '\0';
        (void) cerebro_rec_copy(reason, sizeof(reason), (char *) buf);

        err = cerebro_sqlite_outbox_mark_failed(db, m->id, reason,
                                                now, &e);

        if (rc == NGX_OK && t->status == CEREBRO_OUTBOX_PENDING) {
            rc = ngx_cerebro_outbox_attempt(a->request, t, a->done, a->data);
            if (rc == NGX_AGAIN) {
                return NGX_AGAIN;
            }
        }

        break;

    default: /* NGX_CEREBRO_TWILIO_FAILED */
        *result = NGX_CEREBRO_OUTBOX_FAILED;
        err = cerebro_sqlite_outbox_mark_failed(db, m->id,
                                                s->reason, now, &e);
        ngx_cerebro_log(NGX_LOG_WARN, log, 0,
                        "outbox: %L to %s failed: %s", m->id, m->to,
                        s->reason);
        break;
    }

    if (err != CEREBRO_STORE_OK) {
        ngx_cerebro_log(NGX_LOG_ERR, log, 0,
                        "outbox: the outcome of %L was not recorded (%s): "
                        "%s", m->id, cerebro_store_err_name(e.kind),
                        e.message);
    }

    return NGX_OK;
}


time_t
ngx_cerebro_outbox_backoff(ngx_cerebro_messaging_conf_t *mscf,
    const cerebro_outbox_msg_t *m, ngx_msec_t retry_after)
{
    time_t      delay;
    ngx_uint_t  n;

    n = m->attempts + 1;

    if (n >= NGX_CEREBRO_OUTBOX_MAX_ATTEMPTS) {
        return 0;
    }

    /* capped exponential backoff, or longer if the other side asked */
    delay = (mscf->outbox_retry / 1000) << ngx_min(n - 1, 16);
    delay = ngx_min(delay, NGX_CEREBRO_OUTBOX_MAX_BACKOFF);
    delay = ngx_max(delay, (time_t) (retry_after / 1000));

    return ngx_max(delay, 1);
}


/*
 * Outside WhatsApp's 24-hour window free text is refused: the same words
 * go out as the configured template's first variable, in a new row (the
 * refused one stays, failed, with the reason).  NGX_DECLINED without a
 * template, or when m was a template already.
 */
static ngx_int_t
ngx_cerebro_outbox_template(ngx_http_request_t *r, cerebro_outbox_msg_t *m,
    cerebro_outbox_msg_t *out)
{
    char                          *vars, *p;
    size_t                         cut;
    cJSON                         *json;
    ngx_uint_t                     dup;
    ngx_cerebro_messaging_conf_t  *mscf;

    mscf = ngx_http_get_module_main_conf(r, ngx_cerebro_messaging_module);

    if (mscf->whatsapp_template.len == 0 || m->template_sid[0] != '\0') {
        return NGX_DECLINED;
    }

    ngx_memcpy(out->to, m->to, sizeof(out->to));
    ngx_memcpy(out->kind, m->kind, sizeof(out->kind));
    ngx_memcpy(out->reservation_id, m->reservation_id,
               sizeof(out->reservation_id));
    ngx_sprintf((u_char *) out->template_sid, "%V%Z",
                &mscf->whatsapp_template);
    ngx_sprintf((u_char *) out->dedupe_key, "template:%L%Z", m->id);

    /* a template variable takes no line breaks, and the row 512 bytes */
    for (p = m->body; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            *p = ' ';
        }
    }

    cut = ngx_strlen(m->body);

    for ( ;; ) {
        m->body[cut] = '\0';

        json = cJSON_CreateObject();
        if (json == NULL
            || cJSON_AddStringToObject(json, "1", m->body) == NULL)
        {
            cJSON_Delete(json);
            return NGX_ERROR;
        }

        vars = cJSON_PrintUnformatted(json);
        cJSON_Delete(json);

        if (vars == NULL) {
            return NGX_ERROR;
        }

        if (ngx_strlen(vars) < sizeof(out->variables)) {
            ngx_cpystrn((u_char *) out->variables, (u_char *) vars,
                        sizeof(out->variables));
            cJSON_free(vars);
            break;
        }

        cJSON_free(vars);

        /* shorten at a character boundary and try again */
        cut = cut > 64 ? cut - 64 : 0;

        while (cut > 0 && ((u_char) m->body[cut] & 0xc0) == 0x80) {
            cut--;
        }
    }

    if (ngx_cerebro_outbox_enqueue(r, out, 1, &dup) != NGX_OK) {
        return NGX_ERROR;
    }

    return dup ? NGX_DECLINED : NGX_OK;
}


/* ---- delivery status ----------------------------------------------------- */


static void
ngx_cerebro_outbox_delivery_sent(cerebro_sqlite_t *db, ngx_log_t *log,
    const cerebro_outbox_msg_t *m, const char *sid)
{
    cerebro_store_error_t  e;

    if (cerebro_sqlite_delivery_sent(db, sid, m->id, ngx_time(),
                                     &e)
        != CEREBRO_STORE_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, log, 0,
                        "outbox: the delivery of %L was not recorded (%s): "
                        "%s", m->id, cerebro_store_err_name(e.kind),
                        e.message);
    }
}


ngx_int_t
ngx_cerebro_outbox_status(ngx_http_request_t *r, const char *sid,
    const char *status, const char *code)
{
    int64_t                        id;
    ngx_int_t                      rank;
    cerebro_sqlite_t              *db;
    cerebro_store_error_t          e;
    cerebro_outbox_msg_t          *m, *t;
    ngx_cerebro_main_conf_t       *mcf;
    ngx_cerebro_messaging_conf_t  *mscf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    mscf = ngx_http_get_module_main_conf(r, ngx_cerebro_messaging_module);
    db = ngx_cerebro_store_db(r);

    rank = ngx_cerebro_status_rank(status);
    if (rank < 0) {
        /* a status Twilio added later: acknowledged, not recorded */
        return NGX_DECLINED;
    }

    if (db == NULL) {
        return NGX_BUSY;
    }

    if (cerebro_sqlite_delivery_record(db, sid, status, (int) rank,
                                       code, ngx_time(), &e)
        != CEREBRO_STORE_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "outbox: the status of %s was not recorded (%s): "
                        "%s", sid, cerebro_store_err_name(e.kind),
                        e.message);
        return NGX_ERROR;
    }

    ngx_cerebro_log_detail(mcf, r->connection->log,
                           "outbox: %s is %s%s%s", sid, status,
                           code ? ", error " : "", code ? code : "");

    if (code == NULL || ngx_strcmp(code, "63016") != 0) {
        return NGX_OK;
    }

    /* outside the 24-hour window, known only now: the template */

    m = ngx_pcalloc(r->pool, sizeof(cerebro_outbox_msg_t));
    t = ngx_pcalloc(r->pool, sizeof(cerebro_outbox_msg_t));
    if (m == NULL || t == NULL) {
        return NGX_ABORT;
    }

    id = 0;

    if (cerebro_sqlite_outbox_by_sid(db, sid, m, &e)
        == CEREBRO_STORE_OK)
    {
        id = m->id;
    }

    if (id && ngx_cerebro_outbox_template(r, m, t) == NGX_OK
        && t->status == CEREBRO_OUTBOX_PENDING)
    {
        ngx_cerebro_log_detail(mcf, r->connection->log,
                               "outbox: %L outside the window, resent as "
                               "template %L", id, t->id);
        (void) ngx_cerebro_outbox_attempt(r, t, NULL, NULL);

    } else if (id && mscf->whatsapp_template.len == 0) {
        ngx_cerebro_log(NGX_LOG_WARN, r->connection->log, 0,
                        "outbox: %L was refused outside WhatsApp's 24-hour "
                        "window and no cerebro_whatsapp_template is set",
                        id);
    }

    return NGX_OK;
}


/* callbacks may come out of order: a status never goes back */
static ngx_int_t
ngx_cerebro_status_rank(const char *status)
{
    static const char  *ranks[] = {
        "accepted", "queued", "sending", "sent", "delivered", "read",
        "undelivered", "failed", NULL
    };

    static const ngx_int_t  rank[] = { 0, 0, 1, 2, 3, 4, 5, 5 };

    ngx_uint_t  i;

    for (i = 0; ranks[i]; i++) {
        if (ngx_strcmp(ranks[i], status) == 0) {
            return rank[i];
        }
    }

    return -1;
}


/* ---- confirmations and the CANCELAR reply -------------------------------- */


/* what a notice of the embedded store needs to compose its message */
typedef struct {
    ngx_http_request_t       *request;
    cerebro_change_kind_t     kind;
    char                      phone[CEREBRO_REC_PHONE_LEN];
} ngx_cerebro_notice_ctx_t;


/*
 * The confirmation of a change, its words and its dedupe key (once per
 * reservation, kind and start): how the tool's and the staff's changes
 * and the jobs run's reconciliation name one message alike.
 */
static void
ngx_cerebro_outbox_confirmation(ngx_http_request_t *r,
    cerebro_change_kind_t kind, const cerebro_reservation_t *rec,
    char *text, size_t size, u_char *key)
{
    static const char  *kinds[] = { "", "booked", "changed", "cancelled" };

    u_char                      *p;
    cerebro_local_t              now, local;
    const cerebro_restaurant_t  *model;

    model = ngx_cerebro_store_model(r);
    cerebro_tz_to_local(&model->tz, ngx_time(), &now);
    cerebro_tz_to_local(&model->tz, rec->start, &local);

    (void) cerebro_sentence_confirmation(text, size, kind, model->name,
                                         rec->client_name, &local.date,
                                         local.minutes, rec->pax,
                                         now.date.year);

    /* a cancelled booking has nothing left to manage */
    if (kind != CEREBRO_CHANGE_CANCELLED) {
        ngx_cerebro_link_append(r, rec, text, size);
    }

    p = ngx_slprintf(key, key + CEREBRO_REC_DEDUPE_LEN - 1,
                     "confirm:%s:%s:%L", rec->id, kinds[kind],
                     (int64_t) rec->start);
    *p = '\0';
}


/*
 * Called by the store inside the write's transaction: nothing here may
 * wait or fail but by saying "nothing to send".
 */
static int
ngx_cerebro_outbox_compose(cerebro_notice_t *n,
    const cerebro_reservation_t *rec, cerebro_outbox_msg_t *m)
{
    const char                    *phone;
    ngx_cerebro_notice_ctx_t      *ctx;
    ngx_cerebro_main_conf_t       *mcf;
    ngx_cerebro_messaging_conf_t  *mscf;
    u_char                         key[CEREBRO_REC_DEDUPE_LEN];

    ctx = n->data;
    phone = rec->client_phone[0] ? rec->client_phone : ctx->phone;

    if (phone[0] != '+' || rec->id[0] == '\0'
        || ngx_strlen(phone) + sizeof("whatsapp:") > sizeof(m->to))
    {
        return 0;
    }

    mcf = ngx_http_get_module_main_conf(ctx->request, ngx_cerebro_module);
    mscf = ngx_http_get_module_main_conf(ctx->request,
                                         ngx_cerebro_messaging_module);

    ngx_cerebro_outbox_confirmation(ctx->request, ctx->kind, rec, m->body,
                                    sizeof(m->body), key);

    ngx_sprintf((u_char *) m->to, "whatsapp:%s%Z", phone);
    (void) cerebro_rec_copy(m->kind, sizeof(m->kind),
                            CEREBRO_OUTBOX_KIND_CONFIRMATION);
    (void) cerebro_rec_copy(m->dedupe_key, sizeof(m->dedupe_key),
                            (char *) key);
    (void) cerebro_rec_copy(m->reservation_id, sizeof(m->reservation_id),
                            rec->id);

    /* leased to this request's first attempt, as ngx_cerebro_outbox_send */
    m->next_attempt = ngx_time();

    if (ngx_cerebro_twilio_configured(mcf)) {
        m->next_attempt += (time_t) (mscf->outbox_lease / 1000);
    }

    return 1;
}


cerebro_notice_t *
ngx_cerebro_outbox_notice(ngx_http_request_t *r, cerebro_change_kind_t kind,
    const char *phone)
{
    cerebro_notice_t          *n;
    ngx_cerebro_notice_ctx_t  *ctx;

    n = ngx_pcalloc(r->pool, sizeof(cerebro_notice_t));
    ctx = ngx_pcalloc(r->pool, sizeof(ngx_cerebro_notice_ctx_t));

    if (n == NULL || ctx == NULL) {
        return NULL;
    }

    ctx->request = r->main;
    ctx->kind = kind;
    ngx_cpystrn((u_char *) ctx->phone, (u_char *) (phone ? phone : ""),
                sizeof(ctx->phone));

    n->compose = ngx_cerebro_outbox_compose;
    n->data = ctx;

    return n;
}


void
ngx_cerebro_outbox_confirm(ngx_http_request_t *r,
    const ngx_cerebro_change_t *change)
{
    cerebro_sqlite_t             *db;
    cerebro_outbox_msg_t         *m;
    const cerebro_reservation_t  *rec;
    ngx_cerebro_main_conf_t      *mcf;
    char                          text[NGX_CEREBRO_OUTBOX_TEXT_LEN];
    u_char                        key[CEREBRO_REC_DEDUPE_LEN];

    rec = change->reservation;

    if (change->notice != NULL && change->notice->queued) {
        /* the store wrote the row with the booking: the first attempt */
        r = r->main;
        mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
        db = ngx_cerebro_store_db(r);

        m = ngx_palloc(r->pool, sizeof(cerebro_outbox_msg_t));
        if (m == NULL || db == NULL) {
            return;
        }

        *m = change->notice->msg;

        if (ngx_cerebro_outbox_opted_out(db, m, ngx_time())
            || !ngx_cerebro_twilio_configured(mcf))
        {
            return;
        }

        /* queued is what counts: if this fails, the jobs run sends it */
        (void) ngx_cerebro_outbox_attempt(r, m, NULL, NULL);
        return;
    }

    if (change->phone[0] != '+' || rec->id[0] == '\0') {
        /* a caller with a hidden number: nobody to write to */
        return;
    }

    ngx_cerebro_outbox_confirmation(r, change->kind, rec, text, sizeof(text),
                                    key);

    if (ngx_cerebro_outbox_send(r, change->phone, text,
                                CEREBRO_OUTBOX_KIND_CONFIRMATION,
                                (char *) key, rec->id)
        != NGX_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "outbox: the confirmation of %s was not queued",
                        rec->id);
    }
}


/* ---- confirmations a dead worker left unqueued ------------------------- */


typedef struct {
    ngx_cerebro_store_op_t          op;
    ngx_cerebro_outbox_found_pt     done;
    void                           *data;
} ngx_cerebro_outbox_reconcile_t;


static void ngx_cerebro_outbox_recent(ngx_cerebro_store_op_t *op);


/* this worker's last look; a reload starts again with a look, harmless */
static ngx_msec_t  ngx_cerebro_outbox_looked_at;


ngx_int_t
ngx_cerebro_outbox_reconcile(ngx_http_request_t *r, ngx_msec_t every,
    ngx_cerebro_outbox_found_pt done, void *data)
{
    ngx_cerebro_outbox_reconcile_t  *rc;

    if (ngx_cerebro_store_atomic_notices(r) || ngx_cerebro_store_db(r) == NULL)
    {
        return NGX_DECLINED;
    }

    /*
     * Not at a worker's start: its list pages share the base's rate with
     * the guests' reads, and a fresh worker has the most of those to do.
     */
    if (ngx_cerebro_outbox_looked_at == 0) {
        ngx_cerebro_outbox_looked_at = ngx_current_msec;
        return NGX_DECLINED;
    }

    if (ngx_current_msec - ngx_cerebro_outbox_looked_at < every) {
        return NGX_DECLINED;
    }

    ngx_cerebro_outbox_looked_at = ngx_current_msec;

    rc = ngx_pcalloc(r->pool, sizeof(ngx_cerebro_outbox_reconcile_t));
    if (rc == NULL) {
        return NGX_ERROR;
    }

    rc->done = done;
    rc->data = data;

    rc->op.request = r;
    rc->op.kind = NGX_CEREBRO_STORE_RECENT;
    rc->op.from = ngx_time() - NGX_CEREBRO_OUTBOX_RECONCILE_AGE;
    rc->op.to = ngx_time();
    rc->op.done = ngx_cerebro_outbox_recent;
    rc->op.data = rc;

    if (ngx_cerebro_store_start(&rc->op) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A booking of ours (made by a tool or the staff's page: a source is
 * written with it) with no confirmation in this host's outbox.  Its
 * writer's answer may still be on its way, or its worker died before the
 * row; so only one older than the first attempt's lease is taken, and
 * its row is dated from the booking: its attempt then asks Twilio first
 * whether the words went out since (another host's outbox holds the
 * bookings that host made), and never sends them twice.
 */
static void
ngx_cerebro_outbox_recent(ngx_cerebro_store_op_t *op)
{
    int                              i, found;
    time_t                           ripe;
    ngx_uint_t                       queued, dup;
    cerebro_sqlite_t                *db;
    cerebro_outbox_msg_t            *m;
    cerebro_store_error_t            e;
    cerebro_reservation_t           *rec;
    ngx_http_request_t              *r;
    ngx_cerebro_outbox_reconcile_t  *rc;
    ngx_cerebro_messaging_conf_t    *mscf;
    u_char                           key[CEREBRO_REC_DEDUPE_LEN];

    rc = op->data;
    r = op->request;
    queued = 0;
    db = ngx_cerebro_store_db(r);
    mscf = ngx_http_get_module_main_conf(r, ngx_cerebro_messaging_module);
    ripe = ngx_time() - (time_t) (mscf->outbox_lease / 1000)
           - NGX_CEREBRO_OUTBOX_RECONCILE_MARGIN;

    if (op->error.kind != CEREBRO_STORE_OK) {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "outbox: the recent bookings could not be read "
                        "(%s): %s", cerebro_store_err_name(op->error.kind),
                        op->error.message);
        rc->done(rc->data, 0);
        return;
    }

    for (i = 0; i < op->nbookings; i++) {
        rec = &op->bookings[i];

        if (ngx_strcmp(rec->status, CEREBRO_STATUS_CONFIRMED) != 0
            || rec->client_phone[0] != '+' || rec->source[0] == '\0'
            || rec->created > ripe
            || ngx_strlen(rec->client_phone) + sizeof("whatsapp:")
               > CEREBRO_REC_TO_LEN
            || cerebro_sqlite_outbox_about(db,
                   CEREBRO_OUTBOX_KIND_CONFIRMATION, rec->id, &found, &e)
               != CEREBRO_STORE_OK
            || found)
        {
            continue;
        }

        m = ngx_pcalloc(r->pool, sizeof(cerebro_outbox_msg_t));
        if (m == NULL) {
            break;
        }

        ngx_cerebro_outbox_confirmation(r, CEREBRO_CHANGE_BOOKED, rec,
                                        m->body, sizeof(m->body), key);

        ngx_sprintf((u_char *) m->to, "whatsapp:%s%Z", rec->client_phone);
        (void) cerebro_rec_copy(m->kind, sizeof(m->kind),
                                CEREBRO_OUTBOX_KIND_CONFIRMATION);
        (void) cerebro_rec_copy(m->dedupe_key, sizeof(m->dedupe_key),
                                (char *) key);
        (void) cerebro_rec_copy(m->reservation_id, sizeof(m->reservation_id),
                                rec->id);
        m->created = rec->created;

        if (ngx_cerebro_outbox_enqueue(r, m, 0, &dup) == NGX_OK && !dup) {
            ngx_cerebro_log(NGX_LOG_NOTICE, r->connection->log, 0,
                            "outbox: the confirmation of %s was not queued "
                            "by its writer (its worker died?): queued now",
                            rec->id);
            queued++;
        }
    }

    rc->done(rc->data, queued);
}


ngx_int_t
ngx_cerebro_outbox_reminded(ngx_http_request_t *r, const char *phone,
    time_t max_age, char *id, size_t id_size)
{
    u_char                 to[CEREBRO_REC_TO_LEN];
    cerebro_sqlite_t      *db;
    cerebro_outbox_msg_t   m;
    cerebro_store_error_t  e;

    db = ngx_cerebro_store_db(r);

    if (ngx_strlen(phone) + sizeof("whatsapp:") > sizeof(to)) {
        return NGX_DECLINED;
    }

    ngx_sprintf(to, "whatsapp:%s%Z", phone);

    if (db == NULL
        || cerebro_sqlite_outbox_last_reminder(db, (char *) to,
                                               ngx_time() - max_age, &m, &e)
           != CEREBRO_STORE_OK)
    {
        return NGX_DECLINED;
    }

    ngx_cpystrn((u_char *) id, (u_char *) m.reservation_id, id_size);

    return NGX_OK;
}


/* when m's number opted out: m is marked failed, not to be sent */
static ngx_uint_t
ngx_cerebro_outbox_opted_out(cerebro_sqlite_t *db, cerebro_outbox_msg_t *m,
    time_t now)
{
    int                    opted;
    const char            *phone;
    cerebro_store_error_t  e;

    /* "whatsapp:+34600111222" -> "+34600111222" */
    phone = m->to;

    if (ngx_strncmp(phone, "whatsapp:", 9) == 0) {
        phone += 9;
    }

    if (cerebro_sqlite_opt_out_get(db, phone, &opted, &e) != CEREBRO_STORE_OK
        || !opted)
    {
        return 0;
    }

    (void) cerebro_sqlite_outbox_mark_failed(db, m->id, "opted out", now, &e);

    return 1;
}
