
/*
 * The channels' own configuration, an nginx module of its own: the voice
 * channel's directives and the jobs run's interval, their defaults, and
 * what the voice channel reads with the configuration.
 */

#include "ngx_cerebro_channels.h"
#include "ngx_cerebro_vapi.h"
#include "ngx_cerebro_whatsapp.h"


static void *ngx_cerebro_channels_create_conf(ngx_conf_t *cf);
static char *ngx_cerebro_channels_init_conf(ngx_conf_t *cf, void *conf);
static char *ngx_cerebro_conf_set_words(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


static ngx_command_t  ngx_cerebro_channels_commands[] = {

    { ngx_string("cerebro_vapi_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_channels_conf_t, vapi_deadline),
      NULL },

    { ngx_string("cerebro_vapi_bearer_header"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_channels_conf_t, vapi_bearer_header),
      NULL },

    { ngx_string("cerebro_vapi_hmac"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_cerebro_vapi_hmac,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cerebro_transfer_number"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_channels_conf_t, transfer_number),
      NULL },

    { ngx_string("cerebro_transfer_after_hours"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_channels_conf_t, transfer_after_hours),
      NULL },

    { ngx_string("cerebro_vapi_voice"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE23,
      ngx_cerebro_conf_set_words,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_channels_conf_t, vapi_voice),
      NULL },

    { ngx_string("cerebro_vapi_transcriber"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE3,
      ngx_cerebro_conf_set_words,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_channels_conf_t, vapi_transcriber),
      NULL },

    { ngx_string("cerebro_vapi_model"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_cerebro_conf_set_words,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_channels_conf_t, vapi_model),
      NULL },

    { ngx_string("cerebro_vapi_first_message"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_channels_conf_t, vapi_first_message),
      NULL },

    { ngx_string("cerebro_voice_prompt"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_channels_conf_t, voice_prompt_file),
      NULL },

    { ngx_string("cerebro_jobs_interval"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_channels_conf_t, jobs_interval),
      NULL },

    { ngx_string("cerebro_whatsapp_inline_budget"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_channels_conf_t, whatsapp_budget),
      NULL },

    { ngx_string("cerebro_whatsapp_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_channels_conf_t, whatsapp_timeout),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_cerebro_channels_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_cerebro_channels_create_conf,      /* create main configuration */
    ngx_cerebro_channels_init_conf,        /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_cerebro_channels_module = {
    NGX_MODULE_V1,
    &ngx_cerebro_channels_module_ctx,      /* module context */
    ngx_cerebro_channels_commands,         /* module directives */
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
ngx_cerebro_channels_create_conf(ngx_conf_t *cf)
{
    ngx_cerebro_channels_conf_t  *ccf;

    ccf = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_channels_conf_t));
    if (ccf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     every ngx_str_t = { 0, NULL }: not set
     *     ccf->vapi_voice, vapi_transcriber, vapi_model = NULL;
     *     ccf->jobs = 0;
     */

    ccf->vapi_deadline = NGX_CONF_UNSET_MSEC;
    ccf->jobs_interval = NGX_CONF_UNSET_MSEC;
    ccf->whatsapp_budget = NGX_CONF_UNSET_MSEC;
    ccf->whatsapp_timeout = NGX_CONF_UNSET_MSEC;

    return ccf;
}


/* after ngx_cerebro_module's: the restaurant is loaded by now */
static char *
ngx_cerebro_channels_init_conf(ngx_conf_t *cf, void *conf)
{
    ngx_cerebro_channels_conf_t *ccf = conf;

    ngx_conf_init_msec_value(ccf->jobs_interval, 10000);

    if (ccf->jobs_interval < 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: \"cerebro_jobs_interval\" takes 1s at "
                           "least");
        return NGX_CONF_ERROR;
    }

    if (ngx_cerebro_vapi_init_conf(cf, ccf) != NGX_OK
        || ngx_cerebro_whatsapp_init_conf(cf, ccf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* The directive's words after its name, as an array of ngx_str_t. */
static char *
ngx_cerebro_conf_set_words(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t     *value, *w;
    ngx_uint_t     i;
    ngx_array_t  **a;

    a = (ngx_array_t **) (p + cmd->offset);

    if (*a != NULL) {
        return "is duplicate";
    }

    *a = ngx_array_create(cf->pool, cf->args->nelts - 1, sizeof(ngx_str_t));
    if (*a == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        w = ngx_array_push(*a);
        if (w == NULL) {
            return NGX_CONF_ERROR;
        }

        w->data = (u_char *) ngx_cerebro_pstrdup0(cf->pool, &value[i]);
        if (w->data == NULL) {
            return NGX_CONF_ERROR;
        }

        w->len = value[i].len;
    }

    return NGX_CONF_OK;
}
