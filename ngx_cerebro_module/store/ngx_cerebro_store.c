
/*
 * The store's dispatcher: picks the backend this configuration uses and
 * guarantees every caller the same contract — done() from the event loop,
 * exactly once, never from inside ngx_cerebro_store_start().  The kinds
 * the read cache keeps go through it (ngx_cerebro_store_cache.c) while it
 * is on; the others go straight to the backend.
 */

#include "ngx_cerebro_store.h"
#include "ngx_cerebro_store_cache.h"
#include "ngx_cerebro_kv.h"


static void ngx_cerebro_store_wakeup(ngx_event_t *ev);
static void ngx_cerebro_store_cleanup(void *data);


ngx_int_t
ngx_cerebro_store_start(ngx_cerebro_store_op_t *op)
{
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(op->request, ngx_cerebro_module);

    if (op->cache_only
        && (op->kind != NGX_CEREBRO_STORE_RANGE
            || !ngx_cerebro_kv_cache_enabled(mcf)
            || !ngx_cerebro_kv_remote(mcf)))
    {
        /* a local cache is as quick to ask later, when it is needed */
        return ngx_cerebro_store_decline(op, "no remote cache");
    }

    if (op->kind == NGX_CEREBRO_STORE_GUEST && op->guest == NULL) {
        op->guest = ngx_pcalloc(op->request->pool, sizeof(cerebro_guest_t));
        if (op->guest == NULL) {
            return NGX_ERROR;
        }
    }

    if (op->kind == NGX_CEREBRO_STORE_CALL_LOG && op->call_log == NULL) {
        return NGX_ERROR;
    }

    if (ngx_cerebro_store_arm(op) != NGX_OK) {
        return NGX_ERROR;
    }

    op->finished = 0;
    op->error.kind = CEREBRO_STORE_OK;
    op->error.message[0] = '\0';
    op->engine = NULL;
    op->nengine = 0;

    if (op->deadline == 0) {
        op->deadline = mcf->store_deadline;
    }

    if (ngx_cerebro_kv_cache_enabled(mcf)) {
        switch (op->kind) {

        case NGX_CEREBRO_STORE_TABLES:
        case NGX_CEREBRO_STORE_DAY:
        case NGX_CEREBRO_STORE_RANGE:
        case NGX_CEREBRO_STORE_BY_PHONE:
        case NGX_CEREBRO_STORE_CREATE:
        case NGX_CEREBRO_STORE_UPDATE:
        case NGX_CEREBRO_STORE_CANCEL:
            return ngx_cerebro_cache_start(op, mcf);

        default:
            break;
        }
    }

    return ngx_cerebro_store_run(op);
}


ngx_int_t
ngx_cerebro_store_arm(ngx_cerebro_store_op_t *op)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(op->request->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_cerebro_store_cleanup;
    cln->data = op;

    op->wakeup.handler = ngx_cerebro_store_wakeup;
    op->wakeup.data = op;
    op->wakeup.log = op->request->connection->log;

    return NGX_OK;
}


ngx_int_t
ngx_cerebro_store_run(ngx_cerebro_store_op_t *op)
{
    ngx_cerebro_main_conf_t      *mcf;
    ngx_cerebro_store_backend_t  *backend;

    mcf = ngx_http_get_module_main_conf(op->request, ngx_cerebro_module);
    backend = mcf->store;

    return backend->start(op);
}


ngx_int_t
ngx_cerebro_store_decline(ngx_cerebro_store_op_t *op, const char *why)
{
    cerebro_store_error_set(&op->error, CEREBRO_STORE_UNAVAILABLE, "%s", why);

    return NGX_DECLINED;
}


void
ngx_cerebro_store_finish(ngx_cerebro_store_op_t *op)
{
    if (op->finished) {
        return;
    }

    op->finished = 1;

    ngx_post_event(&op->wakeup, &ngx_posted_events);
}


const cerebro_restaurant_t *
ngx_cerebro_store_model(ngx_http_request_t *r)
{
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    return mcf->model;
}


const char *
ngx_cerebro_store_backend_name(ngx_cerebro_main_conf_t *mcf)
{
    ngx_cerebro_store_backend_t  *backend;

    backend = mcf->store;

    return backend ? backend->name : "none";
}


static void
ngx_cerebro_store_wakeup(ngx_event_t *ev)
{
    ngx_connection_t         *c;
    ngx_cerebro_store_op_t   *op;
    ngx_cerebro_main_conf_t  *mcf;

    op = ev->data;
    c = op->request->connection;
    mcf = ngx_http_get_module_main_conf(op->request, ngx_cerebro_module);

    ngx_cerebro_metric_inc(NGX_CEREBRO_M_STORE_OPS,
                           ngx_cerebro_store_backend_name(mcf),
                           cerebro_store_err_name(op->error.kind));

    op->done(op);

    ngx_http_run_posted_requests(c);
}


static void
ngx_cerebro_store_cleanup(void *data)
{
    ngx_cerebro_store_op_t *op = data;

    if (op->wakeup.posted) {
        ngx_delete_posted_event(&op->wakeup);
    }
}
