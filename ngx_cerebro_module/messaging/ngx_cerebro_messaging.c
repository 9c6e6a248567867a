
/*
 * Messaging's own configuration, an nginx module of its own: the
 * directives of the outbox and the reminders, and their defaults.
 */

#include "ngx_cerebro_messaging.h"
#include "ngx_cerebro_alerts.h"


static void *ngx_cerebro_messaging_create_conf(ngx_conf_t *cf);
static char *ngx_cerebro_messaging_init_conf(ngx_conf_t *cf, void *conf);
static char *ngx_cerebro_reminder_second(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_cerebro_messaging_link_secret(ngx_conf_t *cf,
    ngx_cerebro_messaging_conf_t *mscf);


static ngx_command_t  ngx_cerebro_messaging_commands[] = {

    { ngx_string("cerebro_whatsapp_template"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_messaging_conf_t, whatsapp_template),
      NULL },

    { ngx_string("cerebro_reminder_hour"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_messaging_conf_t, reminder_hour),
      NULL },

    { ngx_string("cerebro_reminder_days_before"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_messaging_conf_t, reminder_days_before),
      NULL },

    { ngx_string("cerebro_outbox_retry"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_messaging_conf_t, outbox_retry),
      NULL },

    { ngx_string("cerebro_outbox_lease"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_messaging_conf_t, outbox_lease),
      NULL },

    { ngx_string("cerebro_alert_after"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_messaging_conf_t, alert_after),
      NULL },

    { ngx_string("cerebro_waitlist_hold"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_messaging_conf_t, waitlist_hold),
      NULL },

    { ngx_string("cerebro_reminder_second"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_cerebro_reminder_second,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_cerebro_messaging_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_cerebro_messaging_create_conf,     /* create main configuration */
    ngx_cerebro_messaging_init_conf,       /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_cerebro_messaging_module = {
    NGX_MODULE_V1,
    &ngx_cerebro_messaging_module_ctx,     /* module context */
    ngx_cerebro_messaging_commands,        /* module directives */
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
ngx_cerebro_messaging_create_conf(ngx_conf_t *cf)
{
    ngx_cerebro_messaging_conf_t  *mscf;

    mscf = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_messaging_conf_t));
    if (mscf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     mscf->whatsapp_template = { 0, NULL };
     *     mscf->alerts = NULL;
     */

    mscf->reminder_hour = NGX_CONF_UNSET;
    mscf->reminder_days_before = NGX_CONF_UNSET;
    mscf->outbox_retry = NGX_CONF_UNSET_MSEC;
    mscf->outbox_lease = NGX_CONF_UNSET_MSEC;
    mscf->alert_after = NGX_CONF_UNSET_MSEC;
    mscf->waitlist_hold = NGX_CONF_UNSET_MSEC;
    mscf->reminder_second = NGX_CONF_UNSET;

    return mscf;
}


static char *
ngx_cerebro_messaging_init_conf(ngx_conf_t *cf, void *conf)
{
    ngx_cerebro_messaging_conf_t *mscf = conf;

    u_char      *p;
    ngx_uint_t   i;

    ngx_conf_init_value(mscf->reminder_hour, 10);
    ngx_conf_init_value(mscf->reminder_days_before, 0);
    ngx_conf_init_msec_value(mscf->outbox_retry, 30000);
    ngx_conf_init_msec_value(mscf->outbox_lease, 60000);
    ngx_conf_init_msec_value(mscf->waitlist_hold, 15 * 60 * 1000);

    /* after ngx_cerebro_module's: the webhook's URL is known by now */
    if (ngx_cerebro_alerts_init_conf(cf, mscf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_conf_init_value(mscf->reminder_second, 0);

    if (ngx_cerebro_messaging_link_secret(cf, mscf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (mscf->reminder_hour < 0 || mscf->reminder_hour > 23) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: invalid value %i of "
                           "\"cerebro_reminder_hour\": expected an hour "
                           "from 0 to 23", mscf->reminder_hour);
        return NGX_CONF_ERROR;
    }

    if (mscf->reminder_days_before < 0 || mscf->reminder_days_before > 30) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: invalid value %i of "
                           "\"cerebro_reminder_days_before\": expected 0 "
                           "to 30", mscf->reminder_days_before);
        return NGX_CONF_ERROR;
    }

    if (mscf->outbox_retry < 1000 || mscf->outbox_lease < 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: \"cerebro_outbox_retry\" and "
                           "\"cerebro_outbox_lease\" take 1s at least");
        return NGX_CONF_ERROR;
    }

    if (mscf->waitlist_hold < 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: \"cerebro_waitlist_hold\" takes 1s "
                           "at least");
        return NGX_CONF_ERROR;
    }

    if (mscf->whatsapp_template.len == 0) {
        return NGX_CONF_OK;
    }

    p = mscf->whatsapp_template.data;

    if (mscf->whatsapp_template.len != 34 || p[0] != 'H' || p[1] != 'X') {
        goto invalid;
    }

    for (i = 2; i < 34; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
        {
            goto invalid;
        }
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "cerebro: invalid value \"%V\" of "
                       "\"cerebro_whatsapp_template\": expected a Content "
                       "SID, \"HX\" and 32 hex digits",
                       &mscf->whatsapp_template);
    return NGX_CONF_ERROR;
}


/* "cerebro_reminder_second 3h;" or "off" (the default) */
static char *
ngx_cerebro_reminder_second(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_cerebro_messaging_conf_t *mscf = conf;

    time_t      t;
    ngx_str_t  *value;

    if (mscf->reminder_second != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 3 && ngx_strncmp(value[1].data, "off", 3) == 0) {
        mscf->reminder_second = 0;
        return NGX_CONF_OK;
    }

    t = ngx_parse_time(&value[1], 1);

    /* within the day: the morning reminder covers what is further off */
    if (t == (time_t) NGX_ERROR || t < 60 || t > 24 * 60 * 60) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: invalid value \"%V\" of "
                           "\"cerebro_reminder_second\": expected \"off\" "
                           "or a time from 1m to 24h, such as 3h",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    mscf->reminder_second = t;

    return NGX_CONF_OK;
}


/*
 * The secret that signs the guests' booking links, from the environment
 * only.  Without it no link is written: a link nobody can check is worse
 * than none.
 */
static ngx_int_t
ngx_cerebro_messaging_link_secret(ngx_conf_t *cf,
    ngx_cerebro_messaging_conf_t *mscf)
{
    char  *env;

    env = getenv("CEREBRO_LINK_SECRET");

    if (env == NULL || *env == '\0') {
        ngx_str_null(&mscf->link_secret);
        return NGX_OK;
    }

    if (ngx_strlen(env) < NGX_CEREBRO_LINK_SECRET_MIN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: CEREBRO_LINK_SECRET is too short: give "
                           "at least %d characters",
                           NGX_CEREBRO_LINK_SECRET_MIN);
        return NGX_ERROR;
    }

    mscf->link_secret.len = ngx_strlen(env);
    mscf->link_secret.data = ngx_pnalloc(cf->pool, mscf->link_secret.len);
    if (mscf->link_secret.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(mscf->link_secret.data, env, mscf->link_secret.len);

    return NGX_OK;
}
