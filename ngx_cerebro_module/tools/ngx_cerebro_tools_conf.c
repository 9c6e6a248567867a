
/*
 * The tools' own configuration, an nginx module of its own: the per-guest
 * booking cap and the WhatsApp agents' model and prompts.
 */

#include "ngx_cerebro_tools_conf.h"
#include "ngx_cerebro_agents.h"


static void *ngx_cerebro_tools_create_conf(ngx_conf_t *cf);
static char *ngx_cerebro_tools_init_conf(ngx_conf_t *cf, void *conf);


static ngx_command_t  ngx_cerebro_tools_commands[] = {

    { ngx_string("cerebro_guest_limit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_tools_conf_t, guest_limit),
      NULL },

    { ngx_string("cerebro_openai_model"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_tools_conf_t, openai_model),
      NULL },

    { ngx_string("cerebro_agents_dir"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_tools_conf_t, agents_dir),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_cerebro_tools_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_cerebro_tools_create_conf,         /* create main configuration */
    ngx_cerebro_tools_init_conf,           /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_cerebro_tools_module = {
    NGX_MODULE_V1,
    &ngx_cerebro_tools_module_ctx,         /* module context */
    ngx_cerebro_tools_commands,            /* module directives */
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
ngx_cerebro_tools_create_conf(ngx_conf_t *cf)
{
    ngx_cerebro_tools_conf_t  *tcf;

    tcf = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_tools_conf_t));
    if (tcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     tcf->openai_model = { 0, NULL };
     *     tcf->agents_dir = { 0, NULL };
     *     tcf->agent_prompts[] = { 0, NULL };
     */

    tcf->guest_limit = NGX_CONF_UNSET;

    return tcf;
}


static char *
ngx_cerebro_tools_init_conf(ngx_conf_t *cf, void *conf)
{
    ngx_cerebro_tools_conf_t *tcf = conf;

    ngx_conf_init_value(tcf->guest_limit, 3);

    if (ngx_cerebro_agents_init_conf(cf, tcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
