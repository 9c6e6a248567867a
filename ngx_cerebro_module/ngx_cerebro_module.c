
/*
 * ngx_cerebro: the module — its directives, the main configuration and the
 * fallback of every setting to the environment variable names of the
 * FastAPI service it replaces.
 */

#include "ngx_cerebro.h"
#include "ngx_cerebro_settings.h"
#include "ngx_cerebro_health.h"
#include "ngx_cerebro_upstream.h"


static ngx_int_t ngx_cerebro_preconfiguration(ngx_conf_t *cf);
static void *ngx_cerebro_create_main_conf(ngx_conf_t *cf);
static char *ngx_cerebro_init_main_conf(ngx_conf_t *cf, void *conf);
static char *ngx_cerebro_conf_set_setting(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_cerebro_conf_set_debug(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_cerebro_init_module(ngx_cycle_t *cycle);


#define ngx_cerebro_setting_command(directive, field, setting)               \
    { ngx_string(directive),                                                  \
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,                                      \
      ngx_cerebro_conf_set_setting,                                           \
      NGX_HTTP_MAIN_CONF_OFFSET,                                              \
      offsetof(ngx_cerebro_main_conf_t, field),                               \
      (void *) &setting }


static ngx_command_t  ngx_cerebro_commands[] = {

    ngx_cerebro_setting_command("cerebro_environment", environment,
                                ngx_cerebro_setting_environment),

    { ngx_string("cerebro_debug"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_cerebro_conf_set_debug,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_main_conf_t, debug),
      NULL },

    ngx_cerebro_setting_command("cerebro_allowed_origins", allowed_origins,
                                ngx_cerebro_setting_allowed_origins),

    ngx_cerebro_setting_command("cerebro_public_url", public_url,
                                ngx_cerebro_setting_public_url),

    ngx_cerebro_setting_command("cerebro_data_dir", data_dir,
                                ngx_cerebro_setting_data_dir),

    ngx_cerebro_setting_command("cerebro_vapi_secret", vapi_secret,
                                ngx_cerebro_setting_vapi_secret),

    ngx_cerebro_setting_command("cerebro_vapi_api_key", vapi_api_key,
                                ngx_cerebro_setting_vapi_api_key),

    ngx_cerebro_setting_command("cerebro_vapi_assistant_id",
                                vapi_assistant_id,
                                ngx_cerebro_setting_vapi_assistant_id),

    ngx_cerebro_setting_command("cerebro_openai_api_key", openai_api_key,
                                ngx_cerebro_setting_openai_api_key),

    ngx_cerebro_setting_command("cerebro_airtable_api_key", airtable_api_key,
                                ngx_cerebro_setting_airtable_api_key),

    ngx_cerebro_setting_command("cerebro_airtable_base_id", airtable_base_id,
                                ngx_cerebro_setting_airtable_base_id),

    ngx_cerebro_setting_command("cerebro_twilio_account_sid",
                                twilio_account_sid,
                                ngx_cerebro_setting_twilio_account_sid),

    ngx_cerebro_setting_command("cerebro_twilio_auth_token",
                                twilio_auth_token,
                                ngx_cerebro_setting_twilio_auth_token),

    ngx_cerebro_setting_command("cerebro_twilio_whatsapp_number",
                                twilio_whatsapp_number,
                                ngx_cerebro_setting_twilio_whatsapp_number),

    ngx_cerebro_setting_command("cerebro_redis_url", redis_url,
                                ngx_cerebro_setting_redis_url),

    ngx_cerebro_setting_command("cerebro_redis_password", redis_password,
                                ngx_cerebro_setting_redis_password),

    { ngx_string("cerebro_health"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_health,
      0,
      0,
      NULL },

    { ngx_string("cerebro_info"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_info,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_cerebro_module_ctx = {
    ngx_cerebro_preconfiguration,          /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_cerebro_create_main_conf,          /* create main configuration */
    ngx_cerebro_init_main_conf,            /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_cerebro_module = {
    NGX_MODULE_V1,
    &ngx_cerebro_module_ctx,               /* module context */
    ngx_cerebro_commands,                  /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_cerebro_init_module,               /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_cerebro_preconfiguration(ngx_conf_t *cf)
{
    return ngx_cerebro_upstream_add_variables(cf);
}


static void *
ngx_cerebro_create_main_conf(ngx_conf_t *cf)
{
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     every ngx_str_t = { 0, NULL }: "not set", the environment decides
     *     mcf->origins = NULL;
     *     mcf->any_origin = 0;
     *     mcf->production = 0;
     */

    mcf->debug = NGX_CONF_UNSET;

    if (ngx_array_init(&mcf->endpoints, cf->pool, 8,
                       sizeof(ngx_cerebro_endpoint_t))
        != NGX_OK)
    {
        return NULL;
    }

    return mcf;
}


/*
 * Every value not given by its directive comes from the environment variable
 * of the original .env, then is validated; the whole configuration is
 * refused with a message naming the directive or variable otherwise.
 */
static char *
ngx_cerebro_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_cerebro_main_conf_t *mcf = conf;

    ngx_str_t                   *value;
    ngx_command_t               *cmd;
    ngx_cerebro_setting_t       *setting;

    for (cmd = ngx_cerebro_commands; cmd->name.len; cmd++) {

        if (cmd->set != ngx_cerebro_conf_set_setting) {
            continue;
        }

        setting = cmd->post;
        value = (ngx_str_t *) ((u_char *) mcf + cmd->offset);

        if (value->data == NULL
            && ngx_cerebro_setting_from_env(cf, setting, value) != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        if (ngx_cerebro_setting_validate(cf, setting, &cmd->name, value, mcf)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    if (mcf->debug == NGX_CONF_UNSET
        && ngx_cerebro_debug_from_env(cf, &mcf->debug) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_cerebro_settings_check(cf, mcf) != NGX_CONF_OK
        || ngx_cerebro_upstream_init_credentials(cf, mcf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * One line at start and at every reload that says which backends this
 * configuration uses: what an operator checks first when something is off.
 */
static ngx_int_t
ngx_cerebro_init_module(ngx_cycle_t *cycle)
{
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cerebro_module);
    if (mcf == NULL) {
        return NGX_OK;
    }

    ngx_cerebro_log(NGX_LOG_NOTICE, cycle->log, 0,
                    "%s %s, environment %V, data %s, cache %s, "
                    "WhatsApp brain %s, outgoing WhatsApp %s%s",
                    CEREBRO_SERVICE_NAME, CEREBRO_VERSION, &mcf->environment,
                    mcf->airtable_api_key.len ? "Airtable" : "embedded SQLite",
                    mcf->redis_url.len ? "Redis" : "shared memory",
                    mcf->openai_api_key.len ? "OpenAI" : "rule-based",
                    mcf->twilio_account_sid.len ? "Twilio" : "outbox only",
                    mcf->debug ? ", DEBUG on" : "");

    return NGX_OK;
}


static char *
ngx_cerebro_conf_set_setting(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t  *field, *value;

    field = (ngx_str_t *) ((u_char *) conf + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    *field = value[1];

    /* an empty directive value still means "set": it overrides the env */
    if (field->data == NULL) {
        field->data = (u_char *) "";
    }

    return NGX_CONF_OK;
}


static char *
ngx_cerebro_conf_set_debug(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_cerebro_main_conf_t *mcf = conf;

    ngx_str_t  *value;

    if (mcf->debug != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_cerebro_parse_bool(&value[1], &mcf->debug) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: invalid value \"%V\" of "
                           "\"cerebro_debug\": expected on, off, true, "
                           "false, 1 or 0", &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


char *
ngx_cerebro_set_endpoint(ngx_conf_t *cf, char *name,
    ngx_http_handler_pt handler)
{
    ngx_cerebro_endpoint_t    *ep;
    ngx_cerebro_main_conf_t   *mcf;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler) {
        return "is duplicate: the location already has a content handler";
    }

    clcf->handler = handler;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_cerebro_module);

    ep = ngx_array_push(&mcf->endpoints);
    if (ep == NULL) {
        return NGX_CONF_ERROR;
    }

    ep->clcf = clcf;
    ep->location = ngx_cerebro_pstrdup0(cf->pool, &clcf->name);
    if (ep->location == NULL) {
        return NGX_CONF_ERROR;
    }

    ep->name = name;

    return NGX_CONF_OK;
}


char *
ngx_cerebro_pstrdup0(ngx_pool_t *pool, ngx_str_t *s)
{
    u_char  *p;

    p = ngx_pnalloc(pool, s->len + 1);
    if (p == NULL) {
        return NULL;
    }

    *ngx_cpymem(p, s->data, s->len) = '\0';

    return (char *) p;
}
