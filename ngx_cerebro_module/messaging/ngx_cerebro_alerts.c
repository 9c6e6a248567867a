
/*
 * The alerts.  Their state lives in the zone "cerebro_alerts", kept across
 * reloads, so that an episode that outlives a reload is still one alert;
 * only the jobs run writes it, under the jobs lock, hence no mutex.  Each
 * alert and its "resolved" is queued once: its dedupe key names the
 * episode by when it began.
 */

#include <cjson/cJSON.h>

#include "ngx_cerebro_alerts.h"
#include "ngx_cerebro_kv.h"
#include "ngx_cerebro_limiter.h"
#include "ngx_cerebro_store.h"
#include "ngx_cerebro_store_health.h"
#include "ngx_cerebro_upstream.h"


typedef enum {
    NGX_CEREBRO_ALERT_STORE = 0,
    NGX_CEREBRO_ALERT_REDIS,
    NGX_CEREBRO_ALERT_AIRTABLE,
    NGX_CEREBRO_ALERT_OUTBOX,
    NGX_CEREBRO_ALERT_TWILIO,
    NGX_CEREBRO_NALERTS
} ngx_cerebro_alert_e;


typedef struct {
    time_t                     bad_since;     /* 0: all is well */
    time_t                     episode;       /* bad_since of the alert
                                                 sent; 0: none firing */
} ngx_cerebro_alert_state_t;


typedef struct {
    ngx_cerebro_alert_state_t  alert[NGX_CEREBRO_NALERTS];
    ngx_uint_t                 twilio_seen;   /* the counter, last look */
    time_t                     twilio_last;   /* when it last grew */
} ngx_cerebro_alerts_sh_t;


struct ngx_cerebro_alerts_s {
    ngx_cerebro_alerts_sh_t   *sh;
    ngx_str_t                  path;          /* of the webhook: a secret */
};


typedef struct {
    ngx_http_request_t        *request;
    cerebro_outbox_msg_t       msg;
    ngx_cerebro_call_t         call;
    ngx_cerebro_outbox_done_pt done;
    void                      *data;
} ngx_cerebro_alert_post_t;


static ngx_int_t ngx_cerebro_alerts_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_cerebro_alert_look(ngx_http_request_t *r,
    ngx_cerebro_alert_e a, ngx_uint_t bad, time_t after, const char *what);
static void ngx_cerebro_alert_queue(ngx_http_request_t *r,
    ngx_cerebro_alert_e a, time_t episode, ngx_uint_t firing,
    const char *what);
static void ngx_cerebro_alert_answered(ngx_cerebro_call_t *call);


static const char  *ngx_cerebro_alert_names[NGX_CEREBRO_NALERTS] = {
    "store_unavailable", "redis_down", "airtable_paused", "outbox_stuck",
    "twilio_account"
};

static ngx_str_t  ngx_cerebro_alerts_zone_name =
    ngx_string("cerebro_alerts");


ngx_int_t
ngx_cerebro_alerts_init_conf(ngx_conf_t *cf,
    ngx_cerebro_messaging_conf_t *mscf)
{
    u_char                   *p, *last;
    ngx_cerebro_alerts_t     *al;
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_cerebro_module);

    ngx_conf_init_msec_value(mscf->alert_after, 60000);

    al = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_alerts_t));
    if (al == NULL) {
        return NGX_ERROR;
    }

    /* the URL was checked: a scheme, "://", a host; the path is ours */
    if (mcf->alert_webhook.len) {
        p = (u_char *) ngx_strstr(mcf->alert_webhook.data, "://") + 3;
        last = mcf->alert_webhook.data + mcf->alert_webhook.len;

        while (p < last && *p != '/' && *p != '?') {
            p++;
        }

        if (p == last || *p == '?') {
            ngx_str_set(&al->path, "/");

        } else {
            al->path.data = p;
            al->path.len = last - p;
        }
    }

    if (ngx_cerebro_shm_zone_add(cf, &ngx_cerebro_alerts_zone_name,
                                 8 * ngx_pagesize,
                                 ngx_cerebro_alerts_init_zone, al)
        == NULL)
    {
        return NGX_ERROR;
    }

    mscf->alerts = al;

    return NGX_OK;
}


ngx_str_t *
ngx_cerebro_alerts_secret(ngx_cycle_t *cycle)
{
    static ngx_str_t               none = ngx_null_string;
    ngx_cerebro_alerts_t          *al;
    ngx_cerebro_messaging_conf_t  *mscf;

    mscf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_cerebro_messaging_module);
    al = mscf ? mscf->alerts : NULL;

    return al ? &al->path : &none;
}


static ngx_int_t
ngx_cerebro_alerts_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_cerebro_alerts_t  *oal = data;

    ngx_uint_t             fresh;
    ngx_cerebro_alerts_t  *al;

    al = shm_zone->data;

    al->sh = ngx_cerebro_shm_zone_struct(shm_zone, oal ? oal->sh : NULL,
                                         sizeof(ngx_cerebro_alerts_sh_t),
                                         &fresh);

    return al->sh ? NGX_OK : NGX_ERROR;
}


void
ngx_cerebro_alerts_check(ngx_http_request_t *r)
{
    u_char                    reason[NGX_CEREBRO_HEALTH_REASON_LEN];
    u_char                    what[NGX_CEREBRO_HEALTH_REASON_LEN + 64];
    time_t                    now, after;
    int64_t                   oldest, failed;
    ngx_uint_t                bad, count;
    const char               *why, *cache;
    cerebro_sqlite_t         *db;
    cerebro_store_error_t     e;
    ngx_cerebro_alerts_t     *al;
    ngx_cerebro_alerts_sh_t  *sh;
    ngx_cerebro_net_conf_t        *ncf;
    ngx_cerebro_main_conf_t       *mcf;
    ngx_cerebro_messaging_conf_t  *mscf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    mscf = ngx_http_get_module_main_conf(r, ngx_cerebro_messaging_module);
    al = mscf->alerts;

    db = ngx_cerebro_store_db(r);

    if (al == NULL || al->sh == NULL || mcf->alert_webhook.len == 0
        || db == NULL)
    {
        return;
    }

    sh = al->sh;
    now = ngx_time();
    after = (time_t) (mscf->alert_after / 1000);

    bad = ngx_cerebro_store_health(r, reason, sizeof(reason))
          != NGX_CEREBRO_HEALTH_OK;
    (void) ngx_snprintf(what, sizeof(what) - 1, "the store (%s) is not "
                        "serving: %s%Z", ngx_cerebro_store_backend_name(r),
                        reason);
    ngx_cerebro_alert_look(r, NGX_CEREBRO_ALERT_STORE, bad, after,
                           (char *) what);

    ncf = ngx_http_get_module_main_conf(r, ngx_cerebro_net_module);

    cache = ngx_cerebro_kv_state(ncf, &why);
    (void) ngx_snprintf(what, sizeof(what) - 1, "Redis is down: %s%Z",
                        why ? why : "not connected");
    ngx_cerebro_alert_look(r, NGX_CEREBRO_ALERT_REDIS,
                           ngx_strcmp(cache, "degraded") == 0, after,
                           (char *) what);

    bad = ncf->limiter && mcf->airtable_base_id.len
          && ngx_cerebro_limiter_paused(ncf->limiter,
                                        &mcf->airtable_base_id) > 0;
    ngx_cerebro_alert_look(r, NGX_CEREBRO_ALERT_AIRTABLE, bad, 0,
                           "Airtable answered 429 (too many requests): "
                           "the base is paused");

    if (cerebro_sqlite_outbox_health(db,
                                     now - NGX_CEREBRO_ALERT_OUTBOX_AGE,
                                     &oldest, &failed, &e)
        == CEREBRO_STORE_OK)
    {
        (void) ngx_snprintf(what, sizeof(what) - 1, "WhatsApp messages are "
                            "stuck: %L failed in the last 15 minutes, the "
                            "oldest pending is %T s old%Z", failed,
                            oldest ? now - (time_t) oldest : 0);
        ngx_cerebro_alert_look(r, NGX_CEREBRO_ALERT_OUTBOX,
                               failed > 0
                               || (oldest && now - oldest
                                             >= NGX_CEREBRO_ALERT_OUTBOX_AGE),
                               0, (char *) what);
    }

    count = ngx_cerebro_metric_value(NGX_CEREBRO_M_TWILIO_ACCOUNT, NULL,
                                     NULL);
    if (count != sh->twilio_seen) {
        sh->twilio_seen = count;
        sh->twilio_last = now;
    }

    ngx_cerebro_alert_look(r, NGX_CEREBRO_ALERT_TWILIO,
                           sh->twilio_last && now - sh->twilio_last < after,
                           0, "Twilio refused the account (credentials, not "
                           "active or suspended): WhatsApp is not sent");
}


static void
ngx_cerebro_alert_look(ngx_http_request_t *r, ngx_cerebro_alert_e a,
    ngx_uint_t bad, time_t after, const char *what)
{
    time_t                         now;
    ngx_cerebro_alerts_t          *al;
    ngx_cerebro_alert_state_t     *st;
    ngx_cerebro_messaging_conf_t  *mscf;

    mscf = ngx_http_get_module_main_conf(r, ngx_cerebro_messaging_module);
    al = mscf->alerts;
    st = &al->sh->alert[a];
    now = ngx_time();

    if (bad) {
        if (st->bad_since == 0) {
            st->bad_since = now;
        }

        if (st->episode == 0 && now - st->bad_since >= after) {
            st->episode = st->bad_since;
            ngx_cerebro_alert_queue(r, a, st->episode, 1, what);
        }

        return;
    }

    st->bad_since = 0;

    if (st->episode) {
        ngx_cerebro_alert_queue(r, a, st->episode, 0, NULL);
        st->episode = 0;
    }
}


/* Slack reads "text", Discord "content"; the rest is for a plain receiver */
static void
ngx_cerebro_alert_queue(ngx_http_request_t *r, ngx_cerebro_alert_e a,
    time_t episode, ngx_uint_t firing, const char *what)
{
    u_char                    since[sizeof("1970-09-28T12:00:00Z")];
    u_char                    text[CEREBRO_REC_BODY_LEN / 2], *last;
    char                     *json;
    ngx_tm_t                  tm;
    ngx_uint_t                dup;
    cJSON                    *body;
    cerebro_outbox_msg_t      m;
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    ngx_gmtime(episode, &tm);
    (void) ngx_sprintf(since, "%4d-%02d-%02dT%02d:%02d:%02dZ%Z",
                       tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                       tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);

    last = firing
           ? ngx_snprintf(text, sizeof(text) - 1, "[%V] %s alert %s: %s "
                          "(since %s)", &mcf->environment,
                          CEREBRO_SERVICE_NAME, ngx_cerebro_alert_names[a],
                          what, since)
           : ngx_snprintf(text, sizeof(text) - 1, "[%V] %s resolved %s "
                          "(it began %s)", &mcf->environment,
                          CEREBRO_SERVICE_NAME, ngx_cerebro_alert_names[a],
                          since);
    *last = '\0';

    body = cJSON_CreateObject();

    if (body == NULL
        || cJSON_AddStringToObject(body, "text", (char *) text) == NULL
        || cJSON_AddStringToObject(body, "content", (char *) text) == NULL
        || cJSON_AddStringToObject(body, "alert", ngx_cerebro_alert_names[a])
           == NULL
        || cJSON_AddStringToObject(body, "status",
                                   firing ? "firing" : "resolved")
           == NULL
        || cJSON_AddStringToObject(body, "since", (char *) since) == NULL
        || cJSON_AddStringToObject(body, "service", CEREBRO_SERVICE_NAME)
           == NULL
        || cJSON_AddStringToObject(body, "environment",
                                   (char *) mcf->environment.data)
           == NULL)
    {
        cJSON_Delete(body);
        return;
    }

    json = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);

    if (json == NULL) {
        return;
    }

    ngx_memzero(&m, sizeof(cerebro_outbox_msg_t));
    (void) cerebro_rec_copy(m.to, sizeof(m.to), "webhook");
    (void) cerebro_rec_copy(m.body, sizeof(m.body), json);
    (void) cerebro_rec_copy(m.kind, sizeof(m.kind),
                            CEREBRO_OUTBOX_KIND_ALERT);
    (void) ngx_snprintf((u_char *) m.dedupe_key, sizeof(m.dedupe_key) - 1,
                        "alert:%s:%T:%s%Z", ngx_cerebro_alert_names[a],
                        episode, firing ? "firing" : "resolved");
    m.status = CEREBRO_OUTBOX_PENDING;

    cJSON_free(json);

    ngx_cerebro_log(NGX_LOG_WARN, r->connection->log, 0, "alert %s %s%s%s",
                    ngx_cerebro_alert_names[a],
                    firing ? "firing" : "resolved", firing ? ": " : "",
                    firing ? what : "");

    if (ngx_cerebro_outbox_enqueue(r, &m, 0, &dup)
        != NGX_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "alert %s not queued", ngx_cerebro_alert_names[a]);
    }
}


ngx_int_t
ngx_cerebro_alert_attempt(ngx_http_request_t *r, cerebro_outbox_msg_t *m,
    ngx_cerebro_outbox_done_pt done, void *data)
{
    ngx_cerebro_alerts_t          *al;
    ngx_cerebro_main_conf_t       *mcf;
    ngx_cerebro_alert_post_t      *p;
    ngx_cerebro_messaging_conf_t  *mscf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    mscf = ngx_http_get_module_main_conf(r, ngx_cerebro_messaging_module);
    al = mscf->alerts;

    if (al == NULL || mcf->alert_webhook.len == 0
        || ngx_cerebro_store_db(r) == NULL)
    {
        return NGX_DECLINED;
    }

    p = ngx_pcalloc(r->pool, sizeof(ngx_cerebro_alert_post_t));
    if (p == NULL) {
        return NGX_ERROR;
    }

    p->request = r;
    p->msg = *m;
    p->done = done;
    p->data = data;

    p->call.request = r;
    p->call.service = NGX_CEREBRO_ALERT;
    p->call.method = NGX_HTTP_POST;
    p->call.path = al->path;
    ngx_str_set(&p->call.content_type, "application/json");
    p->call.body.data = (u_char *) p->msg.body;
    p->call.body.len = ngx_strlen(p->msg.body);
    p->call.done = ngx_cerebro_alert_answered;
    p->call.data = p;

    if (ngx_cerebro_call_start(&p->call) != NGX_OK) {
        return NGX_ERROR;
    }

    r->main->count++;

    return NGX_AGAIN;
}


/* 2xx: sent; 429, 5xx or no answer: retried as the outbox retries; else
 * the receiver refused it for good */
static void
ngx_cerebro_alert_answered(ngx_cerebro_call_t *call)
{
    u_char                         reason[CEREBRO_REC_ERROR_LEN], *last;
    time_t                         now, delay;
    ngx_uint_t                     result, status;
    cerebro_sqlite_t              *db;
    cerebro_store_err_t            err;
    cerebro_store_error_t          e;
    cerebro_outbox_msg_t          *m;
    ngx_cerebro_alert_post_t      *p;
    ngx_cerebro_messaging_conf_t  *mscf;

    p = call->data;
    m = &p->msg;
    mscf = ngx_http_get_module_main_conf(p->request,
                                         ngx_cerebro_messaging_module);
    db = ngx_cerebro_store_db(p->request);
    now = ngx_time();
    status = call->status;

    last = status
           ? ngx_snprintf(reason, sizeof(reason) - 1, "HTTP %ui from the "
                          "webhook", status)
           : ngx_snprintf(reason, sizeof(reason) - 1, "the webhook did not "
                          "answer (%i)", call->error);
    *last = '\0';

    if (status >= 200 && status < 300) {
        /* the row's sid says where it went: no Twilio callback names it */
        result = NGX_CEREBRO_OUTBOX_SENT;
        err = cerebro_sqlite_outbox_mark_sent(db, m->id, "webhook",
                                              now, &e);

    } else if (status == 0 || status == NGX_HTTP_TOO_MANY_REQUESTS
               || status >= 500)
    {
        delay = ngx_cerebro_outbox_backoff(mscf, m, call->retry_after);

        if (delay) {
            result = NGX_CEREBRO_OUTBOX_RETRY;
            err = cerebro_sqlite_outbox_retry(db, m->id,
                                              (char *) reason, now + delay,
                                              now, &e);
        } else {
            result = NGX_CEREBRO_OUTBOX_FAILED;
            err = cerebro_sqlite_outbox_mark_failed(db, m->id,
                                                    (char *) reason, now,
                                                    &e);
        }

    } else {
        result = NGX_CEREBRO_OUTBOX_FAILED;
        err = cerebro_sqlite_outbox_mark_failed(db, m->id,
                                                (char *) reason, now, &e);
    }

    if (err != CEREBRO_STORE_OK) {
        ngx_cerebro_log(NGX_LOG_ERR, p->request->connection->log, 0,
                        "outbox: the outcome of alert %L was not recorded "
                        "(%s): %s", m->id, cerebro_store_err_name(e.kind),
                        e.message);
    }

    if (result != NGX_CEREBRO_OUTBOX_SENT) {
        ngx_cerebro_log(NGX_LOG_WARN, p->request->connection->log, 0,
                        "alert %L not delivered: %s", m->id, reason);
    }

    if (p->done) {
        p->done(p->data, result);
    }

    ngx_http_finalize_request(p->request, NGX_DONE);
}
