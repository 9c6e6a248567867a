
/*
 * The store's dispatcher: picks the backend this configuration uses and
 * guarantees every caller the same contract — done() from the event loop,
 * exactly once, never from inside ngx_cerebro_store_start().
 */

#include "ngx_cerebro_store.h"


static void ngx_cerebro_store_wakeup(ngx_event_t *ev);
static void ngx_cerebro_store_cleanup(void *data);


ngx_int_t
ngx_cerebro_store_start(ngx_cerebro_store_op_t *op)
{
    ngx_pool_cleanup_t           *cln;
    ngx_cerebro_main_conf_t      *mcf;
    ngx_cerebro_store_backend_t  *backend;

    mcf = ngx_http_get_module_main_conf(op->request, ngx_cerebro_module);
    backend = mcf->store;

    cln = ngx_pool_cleanup_add(op->request->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_cerebro_store_cleanup;
    cln->data = op;

    op->finished = 0;
    op->error.kind = CEREBRO_STORE_OK;
    op->error.message[0] = '\0';

    if (op->deadline == 0) {
        op->deadline = mcf->store_deadline;
    }

    op->wakeup.handler = ngx_cerebro_store_wakeup;
    op->wakeup.data = op;
    op->wakeup.log = op->request->connection->log;

    return backend->start(op);
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
    ngx_connection_t        *c;
    ngx_cerebro_store_op_t  *op;

    op = ev->data;
    c = op->request->connection;

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
