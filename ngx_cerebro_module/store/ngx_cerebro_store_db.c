
/*
 * The store's own configuration, an nginx module of its own: its
 * directives, the backend this configuration uses, and this worker's
 * SQLite handle: the embedded store's data, or, with Airtable as the
 * store, the outbox's and the opt-outs'.  It lives in the cycle's
 * configuration, so that a reload's new workers start with none.
 */

#include "ngx_cerebro_store.h"
#include "ngx_cerebro_store_health.h"
#include "ngx_cerebro_airtable.h"


static void *ngx_cerebro_store_create_conf(ngx_conf_t *cf);


static ngx_command_t  ngx_cerebro_store_commands[] = {

    { ngx_string("cerebro_store_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_store_conf_t, deadline),
      NULL },

    { ngx_string("cerebro_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_store_conf_t, cache),
      NULL },

    { ngx_string("cerebro_airtable_table"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_cerebro_at_set_table,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cerebro_airtable_field"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE3,
      ngx_cerebro_at_set_field,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cerebro_airtable_pause"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_cerebro_at_set_pause,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cerebro_airtable_rate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_cerebro_at_set_rate,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


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


/* init and the process hooks stay ngx_cerebro_module's: it orders layers */
ngx_module_t  ngx_cerebro_store_module = {
    NGX_MODULE_V1,
    &ngx_cerebro_store_module_ctx,         /* module context */
    ngx_cerebro_store_commands,            /* module directives */
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
    ngx_cerebro_store_conf_t  *scf;

    scf = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_store_conf_t));
    if (scf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     scf->airtable = NULL;
     *     scf->backend = NULL;
     *     scf->sqlite_path = { 0, NULL };
     *     scf->health = NULL;
     *     scf->db = NULL;
     */

    scf->deadline = NGX_CONF_UNSET_MSEC;
    scf->cache = NGX_CONF_UNSET;

    return scf;
}


ngx_int_t
ngx_cerebro_store_init_conf(ngx_conf_t *cf)
{
    ngx_cerebro_net_conf_t    *ncf;
    ngx_cerebro_main_conf_t   *mcf;
    ngx_cerebro_store_conf_t  *scf;

    static ngx_str_t  file = ngx_string("/cerebro.sqlite");

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_cerebro_module);
    ncf = ngx_http_conf_get_module_main_conf(cf, ngx_cerebro_net_module);
    scf = ngx_http_conf_get_module_main_conf(cf, ngx_cerebro_store_module);

    ngx_conf_init_msec_value(scf->deadline, 5000);
    ngx_conf_init_value(scf->cache, 1);

    /* mcf->data_dir is a full name by now */
    scf->sqlite_path.len = mcf->data_dir.len + file.len;
    scf->sqlite_path.data = ngx_pnalloc(cf->pool, scf->sqlite_path.len + 1);
    if (scf->sqlite_path.data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(scf->sqlite_path.data, "%V%V%Z", &mcf->data_dir, &file);

    scf->backend = &ngx_cerebro_store_sqlite;

    if (mcf->airtable_api_key.len && mcf->airtable_base_id.len) {
        scf->backend = &ngx_cerebro_store_airtable;
    }

    if (ngx_cerebro_store_health_init_conf(cf, scf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_cerebro_store_init_near(ncf);
}


ngx_uint_t
ngx_cerebro_store_cached(ngx_http_request_t *r)
{
    ngx_cerebro_store_conf_t  *scf;

    scf = ngx_http_get_module_main_conf(r, ngx_cerebro_store_module);

    return scf->cache == 1;
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

    scf->db = cerebro_sqlite_open((char *) scf->sqlite_path.data,
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
    ngx_cerebro_store_conf_t     *scf;
    ngx_cerebro_store_backend_t  *backend;

    scf = ngx_http_cycle_get_module_main_conf(cycle,
                                              ngx_cerebro_store_module);
    backend = scf->backend;

    if (backend->init_process
        && backend->init_process(cycle, scf) != NGX_OK)
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
                        &scf->sqlite_path, cerebro_store_err_name(e.kind),
                        e.message);
    }

    return NGX_OK;
}


void
ngx_cerebro_store_exit_process(ngx_cycle_t *cycle)
{
    ngx_cerebro_store_conf_t     *scf;
    ngx_cerebro_store_backend_t  *backend;

    scf = ngx_http_cycle_get_module_main_conf(cycle,
                                              ngx_cerebro_store_module);
    backend = scf->backend;

    if (backend->exit_process) {
        backend->exit_process(cycle, scf);
    }

    ngx_cerebro_store_db_close(cycle);
}
