
/*
 * The jobs run.  Worker 0 keeps a timer; every cerebro_jobs_interval it
 * opens a loopback connection to this server's own listen address and
 * sends "GET /_cerebro/jobs" (a location with "cerebro_jobs", loopback
 * only).  That request takes the jobs lock, queues the reminders that are
 * due and the confirmations a dead worker left unqueued (Airtable),
 * handles again the WhatsApp messages whose worker died, sends a
 * batch of the outbox's due messages through the subrequest client and
 * answers a JSON summary, which the poke reads and drops.
 */

#include "ngx_cerebro_http.h"
#include "ngx_cerebro_jobs.h"
#include "ngx_cerebro_channels.h"
#include "ngx_cerebro_auth.h"
#include "ngx_cerebro_kv.h"
#include "ngx_cerebro_outbox.h"
#include "ngx_cerebro_reminders.h"
#include "ngx_cerebro_waitlist_offer.h"
#include "ngx_cerebro_whatsapp.h"
#include "ngx_cerebro_alerts.h"


/* how many runs apart the confirmations are reconciled */
#define NGX_CEREBRO_JOBS_RECONCILE_RUNS  30

/* a run answers within the lock's ttl; the poke waits no longer */
#define NGX_CEREBRO_JOBS_POKE_TIMEOUT  NGX_CEREBRO_JOBS_LOCK_TTL


typedef struct {
    ngx_http_request_t        *request;
    ngx_cerebro_kv_op_t        lock;
    ngx_uint_t                 pending;
    ngx_uint_t                 reminders;
    ngx_uint_t                 confirmed;
    ngx_uint_t                 offers;
    ngx_uint_t                 redone;
    ngx_uint_t                 due;
    ngx_uint_t                 sent;
    ngx_uint_t                 retry;
    ngx_uint_t                 failed;
    unsigned                   starting:1;
    unsigned                   finished:1;
} ngx_cerebro_jobs_ctx_t;


/* worker 0's own: the timer and its one poke in flight */
typedef struct {
    ngx_event_t                timer;
    ngx_msec_t                 interval;
    struct sockaddr           *sockaddr;
    socklen_t                  socklen;
    ngx_str_t                  name;
    ngx_peer_connection_t      peer;
    ngx_pool_t                *pool;
    ngx_buf_t                 *out;
    ngx_uint_t                 busy;
} ngx_cerebro_jobs_poke_t;


static ngx_int_t ngx_cerebro_jobs_handler(ngx_http_request_t *r);
static void ngx_cerebro_jobs_body(ngx_http_request_t *r);
static void ngx_cerebro_jobs_locked(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_jobs_reminded(void *data, ngx_uint_t queued);
static void ngx_cerebro_jobs_reconcile(ngx_cerebro_jobs_ctx_t *ctx);
static void ngx_cerebro_jobs_reconciled(void *data, ngx_uint_t queued);
static void ngx_cerebro_jobs_waitlist(ngx_cerebro_jobs_ctx_t *ctx);
static void ngx_cerebro_jobs_offered(void *data, ngx_uint_t offers);
static void ngx_cerebro_jobs_inbox(ngx_cerebro_jobs_ctx_t *ctx);
static void ngx_cerebro_jobs_redone(void *data, ngx_uint_t redone);
static void ngx_cerebro_jobs_outbox(ngx_cerebro_jobs_ctx_t *ctx);
static void ngx_cerebro_jobs_sent(void *data, ngx_uint_t result);
static void ngx_cerebro_jobs_finish(ngx_cerebro_jobs_ctx_t *ctx);
static void ngx_cerebro_jobs_unlocked(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_jobs_answer(ngx_cerebro_jobs_ctx_t *ctx,
    ngx_uint_t status, const char *skipped);

static ngx_int_t ngx_cerebro_jobs_address(ngx_cycle_t *cycle,
    ngx_cerebro_jobs_poke_t *poke);
static void ngx_cerebro_jobs_tick(ngx_event_t *ev);
static void ngx_cerebro_jobs_poke(ngx_cerebro_jobs_poke_t *poke);
static void ngx_cerebro_jobs_write(ngx_event_t *wev);
static void ngx_cerebro_jobs_read(ngx_event_t *rev);
static void ngx_cerebro_jobs_close(ngx_cerebro_jobs_poke_t *poke);


static ngx_cerebro_jobs_poke_t  ngx_cerebro_jobs_worker;


char *
ngx_cerebro_jobs(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_cerebro_channels_conf_t  *ccf;

    ccf = ngx_http_conf_get_module_main_conf(cf, ngx_cerebro_channels_module);
    ccf->jobs = 1;

    return ngx_cerebro_set_endpoint(cf, "jobs", ngx_cerebro_jobs_handler);
}


/* ---- the run, as a request ----------------------------------------------- */


static ngx_int_t
ngx_cerebro_jobs_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_cerebro_http_check_method(r, NGX_HTTP_GET|NGX_HTTP_POST);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (ngx_cerebro_auth_jobs_check(r) != NGX_OK) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_cerebro_http_send_error(r, NGX_HTTP_FORBIDDEN,
                                           "only the module's own timer "
                                           "runs the jobs");
    }

    /* the subrequests need the body read, even an empty one */
    rc = ngx_http_read_client_request_body(r, ngx_cerebro_jobs_body);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_cerebro_jobs_body(ngx_http_request_t *r)
{
    ngx_cerebro_jobs_ctx_t  *ctx;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_cerebro_jobs_ctx_t));
    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->request = r;

    ctx->lock.request = r;
    ctx->lock.kind = NGX_CEREBRO_KV_LOCK;
    ngx_str_set(&ctx->lock.key, NGX_CEREBRO_JOBS_LOCK);
    ctx->lock.ttl = NGX_CEREBRO_JOBS_LOCK_TTL;
    ctx->lock.done = ngx_cerebro_jobs_locked;
    ctx->lock.data = ctx;

    if (ngx_cerebro_kv_start(&ctx->lock) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


static void
ngx_cerebro_jobs_locked(ngx_cerebro_kv_op_t *op)
{
    ngx_int_t                rc;
    ngx_cerebro_jobs_ctx_t  *ctx;

    ctx = op->data;

    if (op->rc == NGX_CEREBRO_KV_NONE) {
        ngx_cerebro_jobs_answer(ctx, NGX_HTTP_OK,
                                "another run holds the lock");
        return;
    }

    if (op->rc != NGX_CEREBRO_KV_OK) {
        ngx_cerebro_log(NGX_LOG_ERR, ctx->request->connection->log, 0,
                        "jobs: no lock (%s)",
                        op->error ? op->error : "unknown");
        ngx_cerebro_jobs_answer(ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
                                "the lock is unavailable");
        return;
    }

    rc = ngx_cerebro_reminders_run(ctx->request, ngx_cerebro_jobs_reminded,
                                   ctx);

    if (rc == NGX_OK) {
        return;
    }

    if (rc == NGX_ERROR) {
        ngx_cerebro_log(NGX_LOG_ERR, ctx->request->connection->log, 0,
                        "jobs: the reminders did not run");
    }

    ngx_cerebro_jobs_reconcile(ctx);
}


static void
ngx_cerebro_jobs_reminded(void *data, ngx_uint_t queued)
{
    ngx_cerebro_jobs_ctx_t *ctx = data;

    ctx->reminders = queued;

    ngx_cerebro_jobs_reconcile(ctx);
}


/*
 * One list request to the base (Airtable counts it in its monthly calls):
 * every 30th run looks, every 5 minutes by default, at the last hour.
 */
static void
ngx_cerebro_jobs_reconcile(ngx_cerebro_jobs_ctx_t *ctx)
{
    ngx_int_t                     rc;
    ngx_cerebro_channels_conf_t  *ccf;

    ccf = ngx_http_get_module_main_conf(ctx->request,
                                        ngx_cerebro_channels_module);

    rc = ngx_cerebro_outbox_reconcile(ctx->request,
                                      NGX_CEREBRO_JOBS_RECONCILE_RUNS
                                      * ccf->jobs_interval,
                                      ngx_cerebro_jobs_reconciled, ctx);

    if (rc == NGX_OK) {
        return;
    }

    if (rc == NGX_ERROR) {
        ngx_cerebro_log(NGX_LOG_ERR, ctx->request->connection->log, 0,
                        "jobs: the confirmations were not reconciled");
    }

    ngx_cerebro_jobs_waitlist(ctx);
}


static void
ngx_cerebro_jobs_reconciled(void *data, ngx_uint_t queued)
{
    ngx_cerebro_jobs_ctx_t *ctx = data;

    ctx->confirmed = queued;

    ngx_cerebro_jobs_waitlist(ctx);
}


/* before the outbox: the offers queued now go out in this run */
static void
ngx_cerebro_jobs_waitlist(ngx_cerebro_jobs_ctx_t *ctx)
{
    ngx_int_t  rc;

    rc = ngx_cerebro_waitlist_run(ctx->request, ngx_cerebro_jobs_offered,
                                  ctx);

    if (rc == NGX_OK) {
        return;
    }

    if (rc == NGX_ERROR) {
        ngx_cerebro_log(NGX_LOG_ERR, ctx->request->connection->log, 0,
                        "jobs: the waiting list did not run");
    }

    ngx_cerebro_jobs_inbox(ctx);
}


static void
ngx_cerebro_jobs_offered(void *data, ngx_uint_t offers)
{
    ngx_cerebro_jobs_ctx_t *ctx = data;

    ctx->offers = offers;

    ngx_cerebro_jobs_inbox(ctx);
}


/* before the outbox: the replies of messages handled again go out now */
static void
ngx_cerebro_jobs_inbox(ngx_cerebro_jobs_ctx_t *ctx)
{
    if (ngx_cerebro_whatsapp_redo(ctx->request, ngx_cerebro_jobs_redone, ctx)
        != NGX_OK)
    {
        ngx_cerebro_jobs_outbox(ctx);
    }
}


static void
ngx_cerebro_jobs_redone(void *data, ngx_uint_t redone)
{
    ngx_cerebro_jobs_ctx_t *ctx = data;

    ctx->redone = redone;

    ngx_cerebro_jobs_outbox(ctx);
}


static void
ngx_cerebro_jobs_outbox(ngx_cerebro_jobs_ctx_t *ctx)
{
    ngx_int_t  rc;

    ngx_cerebro_alerts_check(ctx->request);

    /* done() may not finish the run before every attempt has started */
    ctx->starting = 1;

    rc = ngx_cerebro_outbox_send_due(ctx->request, NGX_CEREBRO_JOBS_BATCH,
                                     ngx_cerebro_jobs_sent, ctx, &ctx->due,
                                     &ctx->pending, &ctx->failed);

    ctx->starting = 0;

    if (rc == NGX_ERROR) {
        ngx_cerebro_log(NGX_LOG_ERR, ctx->request->connection->log, 0,
                        "jobs: the outbox was not sent");
    }

    if (ctx->pending == 0) {
        ngx_cerebro_jobs_finish(ctx);
    }
}


static void
ngx_cerebro_jobs_sent(void *data, ngx_uint_t result)
{
    ngx_cerebro_jobs_ctx_t *ctx = data;

    switch (result) {
    case NGX_CEREBRO_OUTBOX_SENT:
        ctx->sent++;
        break;
    case NGX_CEREBRO_OUTBOX_RETRY:
        ctx->retry++;
        break;
    default:
        ctx->failed++;
    }

    if (--ctx->pending == 0 && !ctx->starting) {
        ngx_cerebro_jobs_finish(ctx);
    }
}


static void
ngx_cerebro_jobs_finish(ngx_cerebro_jobs_ctx_t *ctx)
{
    if (ctx->finished) {
        return;
    }

    ctx->finished = 1;

    /* the same op: UNLOCK needs LOCK's token */
    ctx->lock.kind = NGX_CEREBRO_KV_UNLOCK;
    ctx->lock.done = ngx_cerebro_jobs_unlocked;

    if (ngx_cerebro_kv_start(&ctx->lock) != NGX_OK) {
        /* it expires by itself */
        ngx_cerebro_jobs_answer(ctx, NGX_HTTP_OK, NULL);
    }
}


static void
ngx_cerebro_jobs_unlocked(ngx_cerebro_kv_op_t *op)
{
    ngx_cerebro_jobs_answer(op->data, NGX_HTTP_OK, NULL);
}


static void
ngx_cerebro_jobs_answer(ngx_cerebro_jobs_ctx_t *ctx, ngx_uint_t status,
    const char *skipped)
{
    cJSON                    *json;
    ngx_http_request_t       *r;
    ngx_cerebro_main_conf_t  *mcf;

    r = ctx->request;

    json = cJSON_CreateObject();
    if (json == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (skipped) {
        cJSON_AddBoolToObject(json, "ran", 0);
        cJSON_AddStringToObject(json, "reason", skipped);

    } else {
        cJSON_AddBoolToObject(json, "ran", 1);
        cJSON_AddNumberToObject(json, "reminders", ctx->reminders);
        cJSON_AddNumberToObject(json, "confirmed", ctx->confirmed);
        cJSON_AddNumberToObject(json, "offers", ctx->offers);
        cJSON_AddNumberToObject(json, "redone", ctx->redone);
        cJSON_AddNumberToObject(json, "due", ctx->due);
        cJSON_AddNumberToObject(json, "sent", ctx->sent);
        cJSON_AddNumberToObject(json, "retry", ctx->retry);
        cJSON_AddNumberToObject(json, "failed", ctx->failed);

        if (ctx->reminders || ctx->confirmed || ctx->redone || ctx->due) {
            mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
            ngx_cerebro_log_detail(mcf, r->connection->log,
                                   "jobs: %ui reminders queued, %ui "
                                   "messages handled again, %ui due, "
                                   "%ui sent, %ui to retry, %ui failed",
                                   ctx->reminders, ctx->redone, ctx->due,
                                   ctx->sent, ctx->retry, ctx->failed);
        }
    }

    ngx_http_finalize_request(r, ngx_cerebro_http_send_json(r, status, json));
}


/* ---- the timer and the loopback poke ------------------------------------- */


ngx_int_t
ngx_cerebro_jobs_init_process(ngx_cycle_t *cycle)
{
    ngx_cerebro_jobs_poke_t      *poke;
    ngx_cerebro_channels_conf_t  *ccf;

    ccf = ngx_http_cycle_get_module_main_conf(cycle,
                                              ngx_cerebro_channels_module);

    if (ccf == NULL || !ccf->jobs || ngx_worker != 0
        || (ngx_process != NGX_PROCESS_WORKER
            && ngx_process != NGX_PROCESS_SINGLE))
    {
        return NGX_OK;
    }

    poke = &ngx_cerebro_jobs_worker;
    ngx_memzero(poke, sizeof(ngx_cerebro_jobs_poke_t));

    if (ngx_cerebro_jobs_address(cycle, poke) != NGX_OK) {
        ngx_cerebro_log(NGX_LOG_WARN, cycle->log, 0,
                        "jobs: no TCP listen address to reach "
                        "\"cerebro_jobs\" on: no reminders, no retries");
        return NGX_OK;
    }

    poke->interval = ccf->jobs_interval;
    poke->timer.handler = ngx_cerebro_jobs_tick;
    poke->timer.data = poke;
    poke->timer.log = cycle->log;
    poke->timer.cancelable = 1;

    /* soon after start: what a stopped nginx left behind goes out first */
    ngx_add_timer(&poke->timer, 1000);

    return NGX_OK;
}


void
ngx_cerebro_jobs_exit_process(ngx_cycle_t *cycle)
{
    ngx_cerebro_jobs_poke_t  *poke;

    poke = &ngx_cerebro_jobs_worker;

    if (poke->timer.timer_set) {
        ngx_del_timer(&poke->timer);
    }

    ngx_cerebro_jobs_close(poke);
}


/* The first TCP listening socket, its wildcard address made loopback. */
static ngx_int_t
ngx_cerebro_jobs_address(ngx_cycle_t *cycle, ngx_cerebro_jobs_poke_t *poke)
{
    ngx_uint_t            i;
    ngx_listening_t      *ls;
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {

        if (ls[i].type != SOCK_STREAM) {
            continue;
        }

        poke->sockaddr = ngx_pcalloc(cycle->pool, ls[i].socklen);
        if (poke->sockaddr == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(poke->sockaddr, ls[i].sockaddr, ls[i].socklen);
        poke->socklen = ls[i].socklen;
        poke->name = ls[i].addr_text;

        switch (poke->sockaddr->sa_family) {

        case AF_INET:
            sin = (struct sockaddr_in *) poke->sockaddr;
            if (sin->sin_addr.s_addr == INADDR_ANY) {
                sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            }
            return NGX_OK;

#if (NGX_HAVE_INET6)
        case AF_INET6:
            sin6 = (struct sockaddr_in6 *) poke->sockaddr;
            if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr)) {
                sin6->sin6_addr = in6addr_loopback;
            }
            return NGX_OK;
#endif

        default:
            return NGX_OK;
        }
    }

    return NGX_ERROR;
}


static void
ngx_cerebro_jobs_tick(ngx_event_t *ev)
{
    ngx_cerebro_jobs_poke_t *poke = ev->data;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    if (!poke->busy) {
        ngx_cerebro_jobs_poke(poke);
    }

    ngx_add_timer(&poke->timer, poke->interval);
}


static void
ngx_cerebro_jobs_poke(ngx_cerebro_jobs_poke_t *poke)
{
    ngx_int_t          rc;
    ngx_buf_t         *b;
    ngx_str_t         *token;
    ngx_connection_t  *c;

    static u_char  request[] = "GET /_cerebro/jobs HTTP/1.0" CRLF
                               "Host: localhost" CRLF
                               "User-Agent: ngx_cerebro jobs" CRLF;

    poke->pool = ngx_create_pool(1024, poke->timer.log);
    if (poke->pool == NULL) {
        return;
    }

    /* only this cycle's token opens the location, not loopback */
    token = ngx_cerebro_auth_jobs_line((ngx_cycle_t *) ngx_cycle);

    b = ngx_create_temp_buf(poke->pool,
                            sizeof(request) - 1 + token->len + 2);
    if (b == NULL) {
        ngx_destroy_pool(poke->pool);
        poke->pool = NULL;
        return;
    }

    b->last = ngx_cpymem(b->last, request, sizeof(request) - 1);
    b->last = ngx_cpymem(b->last, token->data, token->len);
    *b->last++ = CR;
    *b->last++ = LF;
    poke->out = b;

    ngx_memzero(&poke->peer, sizeof(ngx_peer_connection_t));
    poke->peer.sockaddr = poke->sockaddr;
    poke->peer.socklen = poke->socklen;
    poke->peer.name = &poke->name;
    poke->peer.get = ngx_event_get_peer;
    poke->peer.log = poke->timer.log;
    poke->peer.log_error = NGX_ERROR_ERR;

    rc = ngx_event_connect_peer(&poke->peer);

    if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
        ngx_cerebro_log(NGX_LOG_WARN, poke->timer.log, 0,
                        "jobs: cannot reach \"%V\"", &poke->name);
        if (poke->peer.connection) {
            ngx_close_connection(poke->peer.connection);
            poke->peer.connection = NULL;
        }
        ngx_destroy_pool(poke->pool);
        poke->pool = NULL;
        return;
    }

    poke->busy = 1;

    c = poke->peer.connection;
    c->data = poke;
    c->pool = poke->pool;
    c->read->handler = ngx_cerebro_jobs_read;
    c->write->handler = ngx_cerebro_jobs_write;

    /* a run in flight never holds a shutdown back */
    c->read->cancelable = 1;
    c->write->cancelable = 1;

    ngx_add_timer(c->read, NGX_CEREBRO_JOBS_POKE_TIMEOUT);

    if (rc == NGX_OK) {
        ngx_cerebro_jobs_write(c->write);
    }
}


static void
ngx_cerebro_jobs_write(ngx_event_t *wev)
{
    ssize_t                   n;
    ngx_connection_t         *c;
    ngx_cerebro_jobs_poke_t  *poke;

    c = wev->data;
    poke = c->data;

    if (wev->timedout) {
        ngx_cerebro_jobs_close(poke);
        return;
    }

    while (poke->out->pos < poke->out->last) {
        n = c->send(c, poke->out->pos, poke->out->last - poke->out->pos);

        if (n == NGX_AGAIN) {
            if (ngx_handle_write_event(wev, 0) != NGX_OK) {
                ngx_cerebro_jobs_close(poke);
            }
            return;
        }

        if (n <= 0) {
            ngx_cerebro_jobs_close(poke);
            return;
        }

        poke->out->pos += n;
    }

    /* all sent: only the answer's end matters now */
    wev->handler = ngx_cerebro_jobs_write;

    if (c->read->ready) {
        ngx_cerebro_jobs_read(c->read);
    }
}


static void
ngx_cerebro_jobs_read(ngx_event_t *rev)
{
    u_char                    buf[1024];
    ssize_t                   n;
    ngx_connection_t         *c;
    ngx_cerebro_jobs_poke_t  *poke;

    c = rev->data;
    poke = c->data;

    if (rev->timedout) {
        ngx_cerebro_log(NGX_LOG_WARN, c->log, 0,
                        "jobs: the run did not answer in time");
        ngx_cerebro_jobs_close(poke);
        return;
    }

    for ( ;; ) {
        n = c->recv(c, buf, sizeof(buf));

        if (n == NGX_AGAIN) {
            if (ngx_handle_read_event(rev, 0) != NGX_OK) {
                ngx_cerebro_jobs_close(poke);
            }
            return;
        }

        if (n <= 0) {
            /* HTTP/1.0: the server closes after the answer */
            ngx_cerebro_jobs_close(poke);
            return;
        }
    }
}


static void
ngx_cerebro_jobs_close(ngx_cerebro_jobs_poke_t *poke)
{
    if (poke->peer.connection) {
        ngx_close_connection(poke->peer.connection);
        poke->peer.connection = NULL;
    }

    if (poke->pool) {
        ngx_destroy_pool(poke->pool);
        poke->pool = NULL;
    }

    poke->busy = 0;
}
