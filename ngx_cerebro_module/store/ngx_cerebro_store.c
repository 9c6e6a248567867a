
/*
 * The store's dispatcher: picks the backend this configuration uses and
 * guarantees every caller the same contract — done() from the event loop,
 * exactly once, never from inside ngx_cerebro_store_start().  The kinds
 * the read cache keeps go through it (ngx_cerebro_store_cache.c) while it
 * is on; the others go straight to the backend.
 *
 * A backend whose tables are the truth (Airtable's Mesas) has them read
 * (through the cache) before any operation that needs the engine, at most
 * every NGX_CEREBRO_STORE_TABLES_CHECK: the model every caller then gets
 * holds the store's tables, never the restaurant file's.
 */

#include "ngx_cerebro_store.h"
#include "ngx_cerebro_store_cache.h"
#include "ngx_cerebro_kv.h"


#define NGX_CEREBRO_STORE_TABLES_CHECK   5000
/* a model replaced lives on this long for the requests that hold it */
#define NGX_CEREBRO_STORE_MODEL_GRACE    600
#define NGX_CEREBRO_STORE_MODELS_OLD     8


/* This worker's model with the store's tables, made from the file's. */
typedef struct {
    const cerebro_restaurant_t  *file;       /* mcf->model it comes from */
    cerebro_restaurant_t        *model;      /* NULL: no tables read yet */
    ngx_msec_t                   checked;
    cerebro_restaurant_t        *old[NGX_CEREBRO_STORE_MODELS_OLD];
    time_t                       retired[NGX_CEREBRO_STORE_MODELS_OLD];
} ngx_cerebro_store_base_t;


/* An operation waiting for the store's tables. */
typedef struct {
    ngx_cerebro_store_op_t      *op;
    ngx_cerebro_store_op_t       tables;
} ngx_cerebro_store_pre_t;


static ngx_int_t ngx_cerebro_store_begin(ngx_cerebro_store_op_t *op);
static ngx_int_t ngx_cerebro_store_go(ngx_cerebro_store_op_t *op,
    ngx_cerebro_main_conf_t *mcf);
static ngx_uint_t ngx_cerebro_store_needs_tables(ngx_cerebro_store_op_t *op,
    ngx_cerebro_main_conf_t *mcf);
static ngx_int_t ngx_cerebro_store_read_tables(ngx_cerebro_store_op_t *op);
static void ngx_cerebro_store_tables_read(ngx_cerebro_store_op_t *t);
static ngx_int_t ngx_cerebro_store_set_tables(ngx_cerebro_main_conf_t *mcf,
    ngx_cerebro_store_op_t *t, ngx_log_t *log);
static void ngx_cerebro_store_wakeup(ngx_event_t *ev);
static void ngx_cerebro_store_cleanup(void *data);


/* per worker; keyed by the configuration's model, so a reload starts anew */
static ngx_cerebro_store_base_t  ngx_cerebro_store_base;


/*
 * The request is held until done() has run: an operation that outlives
 * its caller's answer (a booking whose write is slow, told later by
 * WhatsApp) still reaches its caller.
 */
ngx_int_t
ngx_cerebro_store_start(ngx_cerebro_store_op_t *op)
{
    ngx_int_t  rc;

    op->held = 0;

    rc = ngx_cerebro_store_begin(op);

    if (rc != NGX_OK && op->held) {
        /*
         * not started (no memory), or declined (a cache-only read that
         * the cache cannot answer): done() will not run, and the caller,
         * running in the request, still holds it
         */
        op->held = 0;
        op->request->main->count--;
    }

    return rc;
}


static ngx_int_t
ngx_cerebro_store_begin(ngx_cerebro_store_op_t *op)
{
    ngx_cerebro_main_conf_t   *mcf;
    ngx_cerebro_store_conf_t  *scf;

    mcf = ngx_http_get_module_main_conf(op->request, ngx_cerebro_module);
    scf = ngx_http_get_module_main_conf(op->request, ngx_cerebro_store_module);

    if (op->cache_only
        && (op->kind != NGX_CEREBRO_STORE_RANGE
            || !scf->cache
            || !ngx_cerebro_kv_remote(ngx_http_get_module_main_conf(
                                          op->request,
                                          ngx_cerebro_net_module))))
    {
        /* a local cache is as quick to ask later, when it is needed */
        return ngx_cerebro_store_decline(op, "no remote cache");
    }

    if ((op->kind == NGX_CEREBRO_STORE_GUEST
         || op->kind == NGX_CEREBRO_STORE_GUEST_FIND)
        && op->guest == NULL)
    {
        op->guest = ngx_pcalloc(op->request->pool, sizeof(cerebro_guest_t));
        if (op->guest == NULL) {
            return NGX_ERROR;
        }
    }

    if ((op->kind == NGX_CEREBRO_STORE_CALL_LOG && op->call_log == NULL)
        || (op->kind == NGX_CEREBRO_STORE_WAITLIST_PUT
            && op->waitlist == NULL))
    {
        return NGX_ERROR;
    }

    if (ngx_cerebro_store_arm(op) != NGX_OK) {
        return NGX_ERROR;
    }

    op->request->main->count++;
    op->held = 1;

    op->finished = 0;
    op->error.kind = CEREBRO_STORE_OK;
    op->error.message[0] = '\0';
    op->engine = NULL;
    op->nengine = 0;

    if (op->deadline == 0) {
        op->deadline = scf->deadline;
    }

    if (ngx_cerebro_store_needs_tables(op, mcf)) {
        return ngx_cerebro_store_read_tables(op);
    }

    return ngx_cerebro_store_go(op, mcf);
}


static ngx_int_t
ngx_cerebro_store_go(ngx_cerebro_store_op_t *op, ngx_cerebro_main_conf_t *mcf)
{
    if (ngx_cerebro_store_cached(op->request)) {
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


ngx_uint_t
ngx_cerebro_store_atomic_notices(ngx_http_request_t *r)
{
    ngx_cerebro_store_conf_t     *scf;
    ngx_cerebro_store_backend_t  *backend;

    scf = ngx_http_get_module_main_conf(r, ngx_cerebro_store_module);
    backend = scf->backend;

    return backend != NULL && backend->atomic_notices;
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
    ngx_cerebro_store_conf_t     *scf;
    ngx_cerebro_store_backend_t  *backend;

    scf = ngx_http_get_module_main_conf(op->request, ngx_cerebro_store_module);

    /*
     * replay keys live in the SQLite file on both backends (with
     * Airtable, the file the outbox opens): durable, and local
     */
    switch (op->kind) {

    case NGX_CEREBRO_STORE_REPLAY_FIND:
    case NGX_CEREBRO_STORE_REPLAY_KEEP:
        backend = &ngx_cerebro_store_sqlite;
        break;

    default:
        backend = scf->backend;
    }

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

    if (ngx_cerebro_store_base.file == mcf->model
        && ngx_cerebro_store_base.model)
    {
        return ngx_cerebro_store_base.model;
    }

    return mcf->model;
}


/*
 * The operations the engine decides with (or the tools, on what they
 * return) wait for the tables when this worker has not read them lately.
 */
static ngx_uint_t
ngx_cerebro_store_needs_tables(ngx_cerebro_store_op_t *op,
    ngx_cerebro_main_conf_t *mcf)
{
    ngx_cerebro_store_base_t     *base;
    ngx_cerebro_store_conf_t     *scf;
    ngx_cerebro_store_backend_t  *backend;

    scf = ngx_http_get_module_main_conf(op->request, ngx_cerebro_store_module);
    backend = scf->backend;
    base = &ngx_cerebro_store_base;

    if (backend == NULL || !backend->own_tables || op->cache_only) {
        return 0;
    }

    switch (op->kind) {
    case NGX_CEREBRO_STORE_DAY:
    case NGX_CEREBRO_STORE_RANGE:
    case NGX_CEREBRO_STORE_BY_PHONE:
    case NGX_CEREBRO_STORE_CREATE:
    case NGX_CEREBRO_STORE_UPDATE:
        break;
    default:
        return 0;
    }

    if (base->file != mcf->model) {
        /* a new configuration: whatever this worker knew is of the old */
        ngx_memzero(base, sizeof(ngx_cerebro_store_base_t));
        base->file = mcf->model;
    }

    return base->model == NULL
           || ngx_current_msec - base->checked
              >= NGX_CEREBRO_STORE_TABLES_CHECK;
}


static ngx_int_t
ngx_cerebro_store_read_tables(ngx_cerebro_store_op_t *op)
{
    ngx_cerebro_store_pre_t  *pre;

    pre = ngx_pcalloc(op->request->pool, sizeof(ngx_cerebro_store_pre_t));
    if (pre == NULL) {
        return NGX_ERROR;
    }

    pre->op = op;
    pre->tables.request = op->request;
    pre->tables.kind = NGX_CEREBRO_STORE_TABLES;
    pre->tables.deadline = op->deadline;
    pre->tables.done = ngx_cerebro_store_tables_read;
    pre->tables.data = pre;

    return ngx_cerebro_store_start(&pre->tables);
}


static void
ngx_cerebro_store_tables_read(ngx_cerebro_store_op_t *t)
{
    ngx_log_t                *log;
    ngx_cerebro_store_op_t   *op;
    ngx_cerebro_store_pre_t  *pre;
    ngx_cerebro_main_conf_t  *mcf;

    pre = t->data;
    op = pre->op;
    log = op->request->connection->log;
    mcf = ngx_http_get_module_main_conf(op->request, ngx_cerebro_module);

    if (t->error.kind == CEREBRO_STORE_OK) {
        if (ngx_cerebro_store_set_tables(mcf, t, log) != NGX_OK
            && ngx_cerebro_store_base.model == NULL)
        {
            cerebro_store_error_set(&op->error, CEREBRO_STORE_UNAVAILABLE,
                                    "store: the tables of the base are "
                                    "unusable");
            ngx_cerebro_store_finish(op);
            return;
        }

    } else if (ngx_cerebro_store_base.model == NULL) {
        /* never a table the store does not hold: none known, no booking */
        op->error = t->error;
        ngx_cerebro_store_finish(op);
        return;

    } else {
        ngx_cerebro_log(NGX_LOG_WARN, log, 0,
                        "store: the tables unread (%s), the last read "
                        "ones serve", t->error.message);
    }

    ngx_cerebro_store_base.checked = ngx_current_msec;

    if (ngx_cerebro_store_go(op, mcf) == NGX_ERROR) {
        cerebro_store_error_set(&op->error, CEREBRO_STORE_UNAVAILABLE,
                                "store: no memory");
        ngx_cerebro_store_finish(op);
    }
}


static ngx_uint_t
ngx_cerebro_store_same_tables(const cerebro_restaurant_t *m,
    const cerebro_table_rec_t *t, int n)
{
    int  i;

    if (m->ntables != n) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (ngx_strcmp(m->tables[i].name, t[i].name) != 0
            || ngx_strcmp(m->tables[i].location, t[i].location) != 0
            || m->tables[i].capacity_min != t[i].capacity_min
            || m->tables[i].capacity_max != t[i].capacity_max)
        {
            return 0;
        }
    }

    return 1;
}


/*
 * A new model when the tables differ from the last ones: the file's rules
 * with the store's tables, the file's groups resolved against them (one
 * naming a table the store does not hold is inactive).  The model it
 * replaces is freed only after NGX_CEREBRO_STORE_MODEL_GRACE.
 */
static ngx_int_t
ngx_cerebro_store_set_tables(ngx_cerebro_main_conf_t *mcf,
    ngx_cerebro_store_op_t *t, ngx_log_t *log)
{
    int                        inactive;
    char                       err[128];
    time_t                     now;
    ngx_uint_t                 i, oldest;
    cerebro_restaurant_t      *m;
    ngx_cerebro_store_base_t  *base;

    base = &ngx_cerebro_store_base;

    if (base->model
        && ngx_cerebro_store_same_tables(base->model, t->tables, t->ntables))
    {
        return NGX_OK;
    }

    m = ngx_alloc(sizeof(cerebro_restaurant_t), log);
    if (m == NULL) {
        return NGX_ERROR;
    }

    /* info values stay the file model's: this copy never frees them */
    ngx_memcpy(m, mcf->model, sizeof(cerebro_restaurant_t));

    inactive = cerebro_restaurant_set_tables(m, t->tables, t->ntables, err,
                                             sizeof(err));
    if (inactive < 0) {
        ngx_cerebro_log(NGX_LOG_ERR, log, 0,
                        "store: the tables of the base are refused: %s",
                        err);
        ngx_free(m);
        return NGX_ERROR;
    }

    ngx_cerebro_log(NGX_LOG_NOTICE, log, 0,
                    "store: %d tables from the base, %d of %d groups of "
                    "the restaurant file inactive", t->ntables, inactive,
                    m->ngroups);

    if (base->model) {
        now = ngx_time();
        oldest = 0;

        for (i = 0; i < NGX_CEREBRO_STORE_MODELS_OLD; i++) {
            if (base->old[i] && now - base->retired[i]
                                >= NGX_CEREBRO_STORE_MODEL_GRACE)
            {
                ngx_free(base->old[i]);
                base->old[i] = NULL;
            }

            if (base->old[i] == NULL
                || (base->old[oldest]
                    && base->retired[i] < base->retired[oldest]))
            {
                oldest = i;
            }
        }

        if (base->old[oldest]) {
            /* more changes within the grace than places: the oldest goes */
            ngx_free(base->old[oldest]);
        }

        base->old[oldest] = base->model;
        base->retired[oldest] = now;
    }

    base->model = m;

    return NGX_OK;
}


const char *
ngx_cerebro_store_backend_name(ngx_http_request_t *r)
{
    ngx_cerebro_store_conf_t  *scf;

    scf = ngx_http_get_module_main_conf(r, ngx_cerebro_store_module);

    return scf->backend ? scf->backend->name : "none";
}


static void
ngx_cerebro_store_wakeup(ngx_event_t *ev)
{
    ngx_uint_t               held;
    ngx_connection_t        *c;
    ngx_http_request_t      *r;
    ngx_cerebro_store_op_t  *op;

    op = ev->data;
    r = op->request;
    c = r->connection;
    held = op->held;
    op->held = 0;

    ngx_cerebro_metric_inc(NGX_CEREBRO_M_STORE_OPS,
                           ngx_cerebro_store_backend_name(r),
                           cerebro_store_err_name(op->error.kind));

    op->done(op);

    if (held) {
        ngx_http_finalize_request(r, NGX_DONE);
    }

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
