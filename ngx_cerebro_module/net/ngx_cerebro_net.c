
/*
 * The net layer's own configuration, an nginx module of its own: its
 * directive, its defaults, and what it makes when the configuration loads.
 */

#include "ngx_cerebro_net.h"
#include "ngx_cerebro_kv.h"
#include "ngx_cerebro_limiter.h"
#include "ngx_cerebro_upstream.h"


static void *ngx_cerebro_net_create_conf(ngx_conf_t *cf);


static ngx_command_t  ngx_cerebro_net_commands[] = {

    { ngx_string("cerebro_near_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_net_conf_t, near_cache),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_cerebro_net_module_ctx = {
    ngx_cerebro_upstream_add_variables,    /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_cerebro_net_create_conf,           /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


/* init and the process hooks stay ngx_cerebro_module's: it orders layers */
ngx_module_t  ngx_cerebro_net_module = {
    NGX_MODULE_V1,
    &ngx_cerebro_net_module_ctx,           /* module context */
    ngx_cerebro_net_commands,              /* module directives */
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
ngx_cerebro_net_create_conf(ngx_conf_t *cf)
{
    ngx_cerebro_net_conf_t  *ncf;

    ncf = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_net_conf_t));
    if (ncf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     ncf->kv = NULL;
     *     ncf->limiter = NULL;
     *     ncf->upstream_auth[] = { 0, NULL };
     */

    ncf->near_cache = NGX_CONF_UNSET;

    return ncf;
}


ngx_int_t
ngx_cerebro_net_init_conf(ngx_conf_t *cf)
{
    ngx_cerebro_net_conf_t   *ncf;
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_cerebro_module);
    ncf = ngx_http_conf_get_module_main_conf(cf, ngx_cerebro_net_module);

    ngx_conf_init_value(ncf->near_cache, 1);

    if (ngx_cerebro_upstream_init_credentials(cf, mcf, ncf) != NGX_OK
        || ngx_cerebro_limiter_init_conf(cf, ncf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_cerebro_kv_init_conf(cf, mcf, ncf);
}
