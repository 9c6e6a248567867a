
/*
 * The Airtable exchange engine: the limiter, the subrequest, the error
 * policy, the backoff, the paging and the deadline of a store operation,
 * whatever its records mean.
 */

#include "ngx_cerebro_airtable_http.h"
#include "ngx_cerebro_store_health.h"


#define NGX_CEREBRO_AT_DEFAULT_DEADLINE  5000
#define NGX_CEREBRO_AT_PAGE_SIZE         100
#define NGX_CEREBRO_AT_BACKOFF_BASE      100
#define NGX_CEREBRO_AT_BACKOFF_CAP       1000


static void ngx_cerebro_at_http_cleanup(void *data);
static const char *ngx_cerebro_at_http_method(ngx_uint_t method);
static void ngx_cerebro_at_http_reserved(ngx_cerebro_rate_t *rt,
    ngx_int_t rc);
static void ngx_cerebro_at_http_slot(ngx_cerebro_at_http_t *x, ngx_int_t rc);
static void ngx_cerebro_at_http_wait(ngx_cerebro_at_http_t *x,
    ngx_msec_t delay, ngx_cerebro_at_http_next_pt next);
static void ngx_cerebro_at_http_timer(ngx_event_t *ev);
static void ngx_cerebro_at_http_call(ngx_cerebro_at_http_t *x);
static void ngx_cerebro_at_http_call_done(ngx_cerebro_call_t *call);
static void ngx_cerebro_at_http_unknown(ngx_cerebro_at_http_t *x);
static void ngx_cerebro_at_http_paused(ngx_cerebro_at_http_t *x,
    ngx_cerebro_call_t *call);
static void ngx_cerebro_at_http_retry(ngx_cerebro_at_http_t *x);
static void ngx_cerebro_at_http_page(ngx_cerebro_at_http_t *x,
    ngx_uint_t status, cJSON *json);


ngx_int_t
ngx_cerebro_at_http_init(ngx_cerebro_at_http_t *x, ngx_http_request_t *r,
    ngx_msec_t deadline, cerebro_store_error_t *error,
    ngx_cerebro_at_http_next_pt done, void *data)
{
    ngx_pool_cleanup_t      *cln;
    ngx_cerebro_net_conf_t  *ncf;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    x->r = r;
    x->mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    x->scf = ngx_http_get_module_main_conf(r, ngx_cerebro_store_module);
    ncf = ngx_http_get_module_main_conf(r, ngx_cerebro_net_module);
    x->limiter = ncf->limiter;
    x->log = r->connection->log;
    x->error = error;
    x->done = done;
    x->data = data;

    if (deadline == 0) {
        deadline = x->scf->deadline ? x->scf->deadline
                                    : NGX_CEREBRO_AT_DEFAULT_DEADLINE;
    }

    x->deadline = ngx_current_msec + deadline;

    x->timer.handler = ngx_cerebro_at_http_timer;
    x->timer.data = x;
    x->timer.log = x->log;

    cln->handler = ngx_cerebro_at_http_cleanup;
    cln->data = x;

    /*
     * The request stays until the operation ends, even when its caller
     * answered without waiting for it (the guest recorded after a booking,
     * the cache warmed for a ringing call): every exchange is one of its
     * subrequests.
     */
    if (r == r->main) {
        r->main->count++;
        x->holds = 1;
    }

    return NGX_OK;
}


/* The request is going away, finished or terminated: nothing may stay. */
static void
ngx_cerebro_at_http_cleanup(void *data)
{
    ngx_cerebro_at_http_t *x = data;

    x->finished = 1;
    x->holds = 0;

    if (x->timer.timer_set) {
        ngx_del_timer(&x->timer);
    }

    if (x->timer.posted) {
        ngx_delete_posted_event(&x->timer);
    }
}


void
ngx_cerebro_at_http_finish(ngx_cerebro_at_http_t *x, cerebro_store_err_t kind,
    const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    ngx_cerebro_at_http_vfinish(x, kind, fmt, args);
    va_end(args);
}


void
ngx_cerebro_at_http_vfinish(ngx_cerebro_at_http_t *x,
    cerebro_store_err_t kind, const char *fmt, va_list args)
{
    u_char                 *p, *last;
    ngx_uint_t              holds;
    ngx_http_request_t     *r;
    cerebro_store_error_t  *e;

    if (x->finished) {
        return;
    }

    x->finished = 1;

    if (x->timer.timer_set) {
        ngx_del_timer(&x->timer);
    }

    e = x->error;
    e->kind = kind;
    e->broken = x->broken;
    e->message[0] = '\0';

    if (fmt) {
        p = (u_char *) e->message;
        last = p + sizeof(e->message) - 1;
        p = ngx_vslprintf(p, last, fmt, args);
        *p = '\0';
    }

    /* the owner may read the outcome its own way before it is told */
    x->done(x);

    /* the caller logs the outcome; this is the backend's own detail */
    ngx_cerebro_log_detail(x->mcf, x->log, "airtable: %s: %s",
                           cerebro_store_err_name(e->kind), e->message);

    ngx_cerebro_store_health_outcome(x->scf, e);

    r = x->r;
    holds = x->holds;
    x->holds = 0;

    if (holds) {
        ngx_http_finalize_request(r, NGX_DONE);
    }
}


static const char *
ngx_cerebro_at_http_method(ngx_uint_t method)
{
    switch (method) {
    case NGX_HTTP_POST:
        return "POST";
    case NGX_HTTP_PATCH:
        return "PATCH";
    case NGX_HTTP_DELETE:
        return "DELETE";
    default:
        return "GET";
    }
}


ngx_msec_t
ngx_cerebro_at_http_left(ngx_cerebro_at_http_t *x)
{
    ngx_msec_int_t  left;

    left = (ngx_msec_int_t) (x->deadline - ngx_current_msec);

    return left > 0 ? (ngx_msec_t) left : 0;
}


void
ngx_cerebro_at_http_fail(ngx_cerebro_at_http_t *x, ngx_uint_t status,
    cJSON *json)
{
    cerebro_store_err_t     kind;
    ngx_cerebro_at_error_t  err;

    ngx_cerebro_at_parse_error(json, &err);

    switch (status) {

    case NGX_HTTP_NOT_FOUND:
        if (x->record) {
            kind = CEREBRO_STORE_NOT_FOUND;
            break;
        }

        /* not a record: the base or a table we need is not there */
        ngx_cerebro_log(NGX_LOG_ERR, x->log, 0,
                        "airtable has no table \"%s\" in base \"%V\" "
                        "(%ui %s): check AIRTABLE_BASE_ID and "
                        "\"cerebro_airtable_table\"", x->table,
                        &x->mcf->airtable_base_id, status, err.type);
        kind = CEREBRO_STORE_UNAVAILABLE;
        x->broken = 1;
        break;

    case NGX_HTTP_UNAUTHORIZED:
    case NGX_HTTP_FORBIDDEN:
        /* the key itself is never logged, only that it was refused */
        ngx_cerebro_log(NGX_LOG_ERR, x->log, 0,
                        "airtable refused the credentials for base \"%V\" "
                        "(%ui %s): check AIRTABLE_API_KEY and its scopes",
                        &x->mcf->airtable_base_id, status, err.type);
        kind = CEREBRO_STORE_UNAVAILABLE;
        x->broken = 1;
        break;

    case NGX_HTTP_CONFLICT:
        kind = CEREBRO_STORE_CONFLICT;
        break;

    case 429:
        kind = CEREBRO_STORE_RATE_LIMITED;
        break;

    default:
        kind = (status >= 400 && status < 500) ? CEREBRO_STORE_INVALID
                                               : CEREBRO_STORE_UNAVAILABLE;
    }

    ngx_cerebro_at_http_finish(x, kind, "airtable %s %s: %ui %s%s%s",
                               ngx_cerebro_at_http_method(x->method),
                               x->table, status,
                               err.type[0] ? err.type : "error",
                               err.message[0] ? ": " : "", err.message);
}


ngx_int_t
ngx_cerebro_at_http_request(ngx_cerebro_at_http_t *x, ngx_uint_t method,
    const char *table, const char *id, ngx_str_t *args, ngx_str_t *body,
    ngx_cerebro_at_http_step_pt step)
{
    u_char  *p;
    size_t   len;

    /*
     * Unescaped, as nginx keeps a URI: proxy_pass escapes the spaces and
     * accents a configured table name may have.
     */
    len = sizeof("/v0//") - 1 + x->mcf->airtable_base_id.len
          + ngx_strlen(table) + (id ? 1 + ngx_strlen(id) : 0);

    p = ngx_pnalloc(x->r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    x->path.data = p;
    p = ngx_sprintf(p, "/v0/%V/%s", &x->mcf->airtable_base_id, table);
    if (id) {
        p = ngx_sprintf(p, "/%s", id);
    }
    x->path.len = p - x->path.data;

    x->method = method;
    x->table = table;
    x->step = step;
    x->attempts = 0;
    x->unsafe = 0;
    x->unknown = NULL;
    x->record = (id != NULL);
    ngx_str_null(&x->offset);

    if (args) {
        x->args = *args;
    } else {
        ngx_str_null(&x->args);
    }

    if (body) {
        x->body = *body;
    } else {
        ngx_str_null(&x->body);
    }

    return NGX_OK;
}


/*
 * Through the limiter (every host's, in Redis, when there is one): now,
 * after a wait on a timer, or refused when the wait outlasts the deadline.
 */
void
ngx_cerebro_at_http_send(ngx_cerebro_at_http_t *x)
{
    ngx_int_t   rc;
    ngx_msec_t  left;

    if (x->finished) {
        return;
    }

    left = ngx_cerebro_at_http_left(x);

    if (left == 0) {
        ngx_cerebro_at_http_finish(x, CEREBRO_STORE_UNAVAILABLE,
                                   "airtable %s: deadline passed%s%s",
                                   x->table,
                                   x->last_error[0] ? " after " : "",
                                   x->last_error);
        return;
    }

    if (x->limiter == NULL) {
        ngx_cerebro_at_http_call(x);
        return;
    }

    x->rate.limiter = x->limiter;
    x->rate.key = x->mcf->airtable_base_id;
    x->rate.rate = x->per_second ? x->per_second
                                 : NGX_CEREBRO_AIRTABLE_RATE;
    x->rate.window = NGX_CEREBRO_AIRTABLE_WINDOW;
    x->rate.max_wait = left;
    x->rate.request = x->r;
    x->rate.handler = ngx_cerebro_at_http_reserved;
    x->rate.data = x;

    rc = ngx_cerebro_rate_reserve(&x->rate);

    if (rc == NGX_DONE) {
        /* Redis decides; ngx_cerebro_at_http_reserved() follows */
        return;
    }

    ngx_cerebro_at_http_slot(x, rc);
}


static void
ngx_cerebro_at_http_reserved(ngx_cerebro_rate_t *rt, ngx_int_t rc)
{
    ngx_cerebro_at_http_t *x = rt->data;

    if (x->finished) {
        return;
    }

    ngx_cerebro_at_http_slot(x, rc);
}


static void
ngx_cerebro_at_http_slot(ngx_cerebro_at_http_t *x, ngx_int_t rc)
{
    ngx_msec_t  delay, left;

    delay = x->rate.delay;

    switch (rc) {

    case NGX_OK:
        ngx_cerebro_at_http_call(x);
        return;

    case NGX_AGAIN:
        ngx_cerebro_metric_inc(NGX_CEREBRO_M_LIMITER_QUEUED, NULL, NULL);
        ngx_cerebro_metric_add(NGX_CEREBRO_M_LIMITER_WAIT, NULL, NULL, delay);
        ngx_cerebro_log_detail(x->mcf, x->log,
                               "airtable %s: queued %M ms by the limiter "
                               "(%s)", x->table, delay, x->rate.backend);
        ngx_cerebro_at_http_wait(x, delay, ngx_cerebro_at_http_call);
        return;

    case NGX_BUSY:
        left = ngx_cerebro_at_http_left(x);

        if (delay < left) {
            /* the pause ends before the caller's deadline: wait it out */
            ngx_cerebro_metric_inc(NGX_CEREBRO_M_LIMITER_QUEUED, NULL, NULL);
            ngx_cerebro_metric_add(NGX_CEREBRO_M_LIMITER_WAIT, NULL, NULL,
                                   delay);
            ngx_cerebro_log_detail(x->mcf, x->log,
                                   "airtable %s: base paused after a 429, "
                                   "waiting %M ms (%s)", x->table, delay,
                                   x->rate.backend);
            ngx_cerebro_at_http_wait(x, delay + 1, ngx_cerebro_at_http_send);
            return;
        }

        ngx_cerebro_at_http_finish(x, CEREBRO_STORE_RATE_LIMITED,
                                   "airtable %s: base paused after a 429 "
                                   "for %ui ms more", x->table,
                                   (ngx_uint_t) delay);
        return;

    case NGX_DECLINED:
        ngx_cerebro_at_http_finish(x, CEREBRO_STORE_RATE_LIMITED,
                                   "airtable %s: the request queue (%ui ms) "
                                   "outlasts the deadline", x->table,
                                   (ngx_uint_t) delay);
        return;

    default:
        /* a full key table: better unthrottled than refused */
        ngx_cerebro_at_http_call(x);
        return;
    }
}


static void
ngx_cerebro_at_http_wait(ngx_cerebro_at_http_t *x, ngx_msec_t delay,
    ngx_cerebro_at_http_next_pt next)
{
    x->timer_next = next;

    if (delay == 0) {
        ngx_post_event(&x->timer, &ngx_posted_events);
        return;
    }

    ngx_add_timer(&x->timer, delay);
}


static void
ngx_cerebro_at_http_timer(ngx_event_t *ev)
{
    ngx_connection_t       *c;
    ngx_cerebro_at_http_t  *x;

    x = ev->data;
    c = x->r->connection;

    if (x->finished) {
        return;
    }

    x->timer_next(x);

    /* a subrequest started from a timer must be run by hand */
    ngx_http_run_posted_requests(c);
}


static void
ngx_cerebro_at_http_call(ngx_cerebro_at_http_t *x)
{
    u_char              *p;
    ngx_msec_t           left;
    ngx_cerebro_call_t  *call;

    if (x->finished) {
        return;
    }

    left = ngx_cerebro_at_http_left(x);

    if (left == 0) {
        ngx_cerebro_at_http_finish(x, CEREBRO_STORE_UNAVAILABLE,
                                   "airtable %s: deadline passed in the "
                                   "queue", x->table);
        return;
    }

    /* a fresh call each time: a late answer of the last one goes to it */
    call = ngx_pcalloc(x->r->pool, sizeof(ngx_cerebro_call_t));
    if (call == NULL) {
        ngx_cerebro_at_http_finish(x, CEREBRO_STORE_UNAVAILABLE,
                                   "airtable: no memory");
        return;
    }

    call->request = x->r;
    call->service = NGX_CEREBRO_AIRTABLE;
    call->method = x->method;
    call->path = x->path;
    call->args = x->args;
    call->timeout = left;
    call->done = ngx_cerebro_at_http_call_done;
    call->data = x;

    if (x->offset.len) {
        call->args.len = x->args.len + sizeof("&offset=") - 1
                         + 3 * x->offset.len;
        call->args.data = ngx_pnalloc(x->r->pool, call->args.len);
        if (call->args.data == NULL) {
            ngx_cerebro_at_http_finish(x, CEREBRO_STORE_UNAVAILABLE,
                                       "airtable: no memory");
            return;
        }

        p = ngx_cpymem(call->args.data, x->args.data, x->args.len);
        p = ngx_cpymem(p, "&offset=", sizeof("&offset=") - 1);
        p = (u_char *) ngx_escape_uri(p, x->offset.data, x->offset.len,
                                      NGX_ESCAPE_URI_COMPONENT);
        call->args.len = p - call->args.data;
    }

    if (x->body.len) {
        call->body = x->body;
        ngx_str_set(&call->content_type, "application/json");
    }

    x->call = call;
    x->attempts++;

    if (ngx_cerebro_call_start(call) != NGX_OK) {
        ngx_cerebro_at_http_finish(x, CEREBRO_STORE_UNAVAILABLE,
                                   "airtable %s: the subrequest did not "
                                   "start", x->table);
    }
}


static void
ngx_cerebro_at_http_call_done(ngx_cerebro_call_t *call)
{
    cJSON                  *json;
    ngx_uint_t              status;
    ngx_cerebro_at_http_t  *x;

    x = call->data;

    if (x->finished || call != x->call) {
        return;
    }

    status = call->status;

    ngx_cerebro_log_detail(x->mcf, x->log,
                           "airtable %s: %ui in %M ms (attempt %ui)%s",
                           x->table, status, call->elapsed, x->attempts,
                           call->timed_out ? ", timed out" : "");

    if (call->error) {
        snprintf(x->last_error, sizeof(x->last_error), "%s",
                 call->timed_out ? "no answer before the deadline"
                                 : "no answer (connection failed)");

        if (x->unsafe) {
            /*
             * A create that may have been written: never sent again
             * blindly.  Refused at once (nothing sent), the owner reads
             * again and finds it if it landed; with no answer at all it
             * must wait until a late write would show.
             */
            if (call->timed_out || ngx_cerebro_at_http_left(x) == 0) {
                ngx_cerebro_at_http_unknown(x);
                return;
            }

            x->unsafe = 0;
            ngx_cerebro_at_http_wait(x, 0, x->unsent);
            return;
        }

        ngx_cerebro_at_http_retry(x);
        return;
    }

    if (status == 429) {
        ngx_cerebro_at_http_paused(x, call);
        return;
    }

    if (status == NGX_HTTP_INTERNAL_SERVER_ERROR
        || status == NGX_HTTP_BAD_GATEWAY
        || status == NGX_HTTP_SERVICE_UNAVAILABLE
        || status == NGX_HTTP_GATEWAY_TIME_OUT)
    {
        snprintf(x->last_error, sizeof(x->last_error), "HTTP %u",
                 (unsigned) status);

        if (x->unsafe) {
            /* Airtable has no idempotency key: a 5xx may have written */
            ngx_cerebro_at_http_unknown(x);
            return;
        }

        ngx_cerebro_at_http_retry(x);
        return;
    }

    json = cJSON_ParseWithLength((const char *) call->response.data,
                                 call->response.len);

    if (json == NULL && status >= 200 && status < 300) {
        ngx_cerebro_at_http_finish(x, CEREBRO_STORE_UNAVAILABLE,
                                   "airtable %s: %ui with a body that is "
                                   "not JSON", x->table, status);
        return;
    }

    if (status < 200 || (status >= 300 && status < 400) || status >= 500) {
        cJSON_Delete(json);
        ngx_cerebro_at_http_finish(x, CEREBRO_STORE_UNAVAILABLE,
                                   "airtable %s: unexpected status %ui",
                                   x->table, status);
        return;
    }

    x->step(x, status, json);

    cJSON_Delete(json);
}


/* An unsafe exchange that may have written: its owner finds out. */
static void
ngx_cerebro_at_http_unknown(ngx_cerebro_at_http_t *x)
{
    x->maybe_written = 1;
    x->unsafe = 0;

    if (x->unknown == NULL || ngx_cerebro_at_http_left(x) == 0) {
        ngx_cerebro_at_http_finish(x, CEREBRO_STORE_UNAVAILABLE,
                                   "airtable %s: %s, the write may have "
                                   "landed", x->table, x->last_error);
        return;
    }

    ngx_cerebro_log(NGX_LOG_WARN, x->log, 0,
                    "airtable %s: %s, the write may have landed: "
                    "reading whether it did", x->table, x->last_error);

    ngx_cerebro_at_http_wait(x, 0, x->unknown);
}


/* A 429: the whole base waits, on every worker (and host, with Redis). */
static void
ngx_cerebro_at_http_paused(ngx_cerebro_at_http_t *x, ngx_cerebro_call_t *call)
{
    ngx_msec_t  pause;

    pause = x->pause ? x->pause : NGX_CEREBRO_AIRTABLE_PAUSE;
    pause = ngx_max(call->retry_after, pause);

    ngx_cerebro_metric_inc(NGX_CEREBRO_M_AIRTABLE_429, NULL, NULL);
    ngx_cerebro_metric_add(NGX_CEREBRO_M_AIRTABLE_PAUSE, NULL, NULL, pause);

    if (x->limiter) {
        ngx_cerebro_rate_pause(x->limiter, &x->mcf->airtable_base_id,
                               pause);
    }

    ngx_cerebro_log(NGX_LOG_WARN, x->log, 0,
                    "airtable answered 429: base \"%V\" paused for "
                    "%M ms on every worker%s",
                    &x->mcf->airtable_base_id, pause,
                    x->rate.backend
                    && ngx_strcmp(x->rate.backend, "redis") == 0
                    ? " of every host" : "");

    ngx_cerebro_at_http_finish(x, CEREBRO_STORE_RATE_LIMITED,
                               "airtable %s: 429 rate limit reached",
                               x->table);
}


/* Capped exponential backoff with jitter, inside the deadline. */
static void
ngx_cerebro_at_http_retry(ngx_cerebro_at_http_t *x)
{
    ngx_msec_t  backoff, delay;

    backoff = NGX_CEREBRO_AT_BACKOFF_BASE
              << ngx_min(x->attempts > 0 ? x->attempts - 1 : 0, 4);
    backoff = ngx_min(backoff, NGX_CEREBRO_AT_BACKOFF_CAP);

    delay = backoff / 2 + (ngx_msec_t) ngx_random() % (backoff / 2 + 1);

    if (delay >= ngx_cerebro_at_http_left(x)) {
        ngx_cerebro_at_http_finish(x, CEREBRO_STORE_UNAVAILABLE,
                                   "airtable %s: %s, no time left for "
                                   "attempt %ui", x->table, x->last_error,
                                   x->attempts + 1);
        return;
    }

    ngx_cerebro_log(NGX_LOG_INFO, x->log, 0,
                    "airtable %s: %s, retrying in %M ms", x->table,
                    x->last_error, delay);

    ngx_cerebro_at_http_wait(x, delay, ngx_cerebro_at_http_send);
}


ngx_int_t
ngx_cerebro_at_http_list(ngx_cerebro_at_http_t *x, const char *table,
    ngx_str_t *formula, ngx_cerebro_at_http_map_pt map,
    ngx_cerebro_at_http_next_pt done)
{
    u_char     *p;
    ngx_str_t   args;

    args.len = sizeof("pageSize=100&filterByFormula=") - 1
               + (formula ? 3 * formula->len : 0);
    args.data = ngx_pnalloc(x->r->pool, args.len);
    if (args.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(args.data, "pageSize=%d", NGX_CEREBRO_AT_PAGE_SIZE);

    if (formula && formula->len) {
        p = ngx_cpymem(p, "&filterByFormula=",
                       sizeof("&filterByFormula=") - 1);
        p = (u_char *) ngx_escape_uri(p, formula->data, formula->len,
                                      NGX_ESCAPE_URI_COMPONENT);
    }

    args.len = p - args.data;

    if (ngx_cerebro_at_http_request(x, NGX_HTTP_GET, table, NULL, &args,
                                    NULL, ngx_cerebro_at_http_page)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    x->map = map;
    x->list_done = done;

    ngx_cerebro_at_http_send(x);

    return NGX_OK;
}


static void
ngx_cerebro_at_http_page(ngx_cerebro_at_http_t *x, ngx_uint_t status,
    cJSON *json)
{
    size_t      len;
    cJSON      *records, *rec, *offset;
    ngx_int_t   rc;

    if (status != NGX_HTTP_OK) {
        ngx_cerebro_at_http_fail(x, status, json);
        return;
    }

    records = cJSON_GetObjectItemCaseSensitive(json, "records");
    if (!cJSON_IsArray(records)) {
        ngx_cerebro_at_http_finish(x, CEREBRO_STORE_UNAVAILABLE,
                                   "airtable %s: an answer without records",
                                   x->table);
        return;
    }

    cJSON_ArrayForEach(rec, records) {
        rc = x->map(x, rec);

        if (rc == NGX_ERROR) {
            ngx_cerebro_at_http_finish(x, CEREBRO_STORE_UNAVAILABLE,
                                       "airtable: no memory");
            return;
        }

        if (rc == NGX_DONE) {
            /* as many as the owner keeps: the rest is not read */
            ngx_cerebro_log(NGX_LOG_WARN, x->log, 0,
                            "airtable %s: more records than are kept, the "
                            "rest is not read", x->table);
            x->list_done(x);
            return;
        }
    }

    offset = cJSON_GetObjectItemCaseSensitive(json, "offset");

    if (!cJSON_IsString(offset) || offset->valuestring[0] == '\0') {
        x->list_done(x);
        return;
    }

    len = ngx_strlen(offset->valuestring);
    x->offset.data = ngx_pnalloc(x->r->pool, len);
    if (x->offset.data == NULL) {
        ngx_cerebro_at_http_finish(x, CEREBRO_STORE_UNAVAILABLE,
                                   "airtable: no memory");
        return;
    }

    ngx_memcpy(x->offset.data, offset->valuestring, len);
    x->offset.len = len;
    x->attempts = 0;

    /* the next page is one more request: through the limiter again */
    ngx_cerebro_at_http_send(x);
}


void
ngx_cerebro_at_parse_error(cJSON *json, ngx_cerebro_at_error_t *err)
{
    cJSON  *e, *t, *m;

    err->type[0] = '\0';
    err->message[0] = '\0';

    if (json == NULL) {
        return;
    }

    e = cJSON_GetObjectItemCaseSensitive(json, "error");

    if (e == NULL) {
        /* 429: {"errors":[{"error":"RATE_LIMIT_REACHED","message":...}]} */
        e = cJSON_GetObjectItemCaseSensitive(json, "errors");
        if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) == 0) {
            return;
        }

        e = cJSON_GetArrayItem(e, 0);
        t = cJSON_GetObjectItemCaseSensitive(e, "error");
        if (t == NULL) {
            t = cJSON_GetObjectItemCaseSensitive(e, "type");
        }

        m = cJSON_GetObjectItemCaseSensitive(e, "message");

    } else if (cJSON_IsString(e)) {
        t = e;
        m = cJSON_GetObjectItemCaseSensitive(json, "message");

    } else {
        t = cJSON_GetObjectItemCaseSensitive(e, "type");
        m = cJSON_GetObjectItemCaseSensitive(e, "message");
    }

    if (cJSON_IsString(t)) {
        cerebro_rec_copy(err->type, sizeof(err->type), t->valuestring);
    }

    if (cJSON_IsString(m)) {
        cerebro_rec_copy(err->message, sizeof(err->message), m->valuestring);
    }
}
