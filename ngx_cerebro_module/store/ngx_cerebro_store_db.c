
/*
 * The store's own configuration, an nginx module of its own, and in it
 * this worker's SQLite handle: the embedded store's data, or, with
 * Airtable as the store, the outbox's and the opt-outs'.  It lives in the
 * cycle's configuration, so that a reload's new workers start with none.
 */

#include "ngx_cerebro_store.h"


static void *ngx_cerebro_store_create_conf(ngx_conf_t *cf);


static ngx_http_module_t  ngx_cerebro_store_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_cerebro_store_create_conf,         /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


/* the process hooks stay ngx_cerebro_module's: it orders the layers */
ngx_module_t  ngx_cerebro_store_module = {
    NGX_MODULE_V1,
    &ngx_cerebro_store_module_ctx,         /* module context */
    NULL,                                  /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_cerebro_store_create_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_store_conf_t));
}


cerebro_sqlite_t *
ngx_cerebro_store_db(ngx_http_request_t *r)
{
    ngx_cerebro_store_conf_t  *scf;

    scf = ngx_http_get_module_main_conf(r, ngx_cerebro_store_module);

    return scf->db;
}


ngx_int_t
ngx_cerebro_store_db_open(ngx_cycle_t *cycle, cerebro_store_error_t *e)
{
    ngx_cerebro_main_conf_t   *mcf;
    ngx_cerebro_store_conf_t  *scf;

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cerebro_module);
    scf = ngx_http_cycle_get_module_main_conf(cycle,
                                              ngx_cerebro_store_module);

    if (scf->db) {
        return NGX_OK;
    }

    scf->db = cerebro_sqlite_open((char *) mcf->sqlite_path.data,
                                  mcf->model,
                                  (char *) mcf->restaurant_json.data,
                                  mcf->restaurant_json.len, e);

    return scf->db ? NGX_OK : NGX_ERROR;
}


void
ngx_cerebro_store_db_close(ngx_cycle_t *cycle)
{
    ngx_cerebro_store_conf_t  *scf;

    scf = ngx_http_cycle_get_module_main_conf(cycle,
                                              ngx_cerebro_store_module);

    if (scf && scf->db) {
        cerebro_sqlite_close(scf->db);
        scf->db = NULL;
    }
}


ngx_int_t
ngx_cerebro_store_init_process(ngx_cycle_t *cycle)
{
    cerebro_store_error_t         e;
    ngx_cerebro_main_conf_t      *mcf;
    ngx_cerebro_store_backend_t  *backend;

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cerebro_module);
    backend = mcf->store;

    if (backend->init_process
        && backend->init_process(cycle, mcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (backend == &ngx_cerebro_store_sqlite) {
        return NGX_OK;
    }

    /* with Airtable as the store the outbox (and opt-outs) stay ours */
    if (ngx_cerebro_store_db_open(cycle, &e) != NGX_OK) {
        ngx_cerebro_log(NGX_LOG_ERR, cycle->log, 0,
                        "the outbox \"%V\" is unavailable (%s): %s",
                        &mcf->sqlite_path, cerebro_store_err_name(e.kind),
                        e.message);
    }

    return NGX_OK;
}


void
ngx_cerebro_store_exit_process(ngx_cycle_t *cycle)
{
    ngx_cerebro_main_conf_t      *mcf;
    ngx_cerebro_store_backend_t  *backend;

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cerebro_module);
    backend = mcf->store;

    if (backend->exit_process) {
        backend->exit_process(cycle, mcf);
    }

    ngx_cerebro_store_db_close(cycle);
}
