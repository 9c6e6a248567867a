
/*
 * The settings of the original .env: their names, defaults and validation.
 */

#ifndef _NGX_CEREBRO_SETTINGS_H_INCLUDED_
#define _NGX_CEREBRO_SETTINGS_H_INCLUDED_


#include "ngx_cerebro.h"


/* NGX_OK, or NGX_DECLINED with *why saying what a valid value looks like */
typedef ngx_int_t (*ngx_cerebro_validate_pt)(ngx_str_t *value,
    const char **why);


typedef struct {
    char                      *env;
    ngx_str_t                  default_value;
    ngx_uint_t                 secret;       /* the value is never echoed */
    ngx_cerebro_validate_pt    validate;     /* NULL: any value */
} ngx_cerebro_setting_t;


extern ngx_cerebro_setting_t  ngx_cerebro_setting_environment;
extern ngx_cerebro_setting_t  ngx_cerebro_setting_allowed_origins;
extern ngx_cerebro_setting_t  ngx_cerebro_setting_public_url;
extern ngx_cerebro_setting_t  ngx_cerebro_setting_data_dir;
extern ngx_cerebro_setting_t  ngx_cerebro_setting_vapi_secret;
extern ngx_cerebro_setting_t  ngx_cerebro_setting_vapi_api_key;
extern ngx_cerebro_setting_t  ngx_cerebro_setting_vapi_assistant_id;
extern ngx_cerebro_setting_t  ngx_cerebro_setting_openai_api_key;
extern ngx_cerebro_setting_t  ngx_cerebro_setting_airtable_api_key;
extern ngx_cerebro_setting_t  ngx_cerebro_setting_airtable_base_id;
extern ngx_cerebro_setting_t  ngx_cerebro_setting_twilio_account_sid;
extern ngx_cerebro_setting_t  ngx_cerebro_setting_twilio_auth_token;
extern ngx_cerebro_setting_t  ngx_cerebro_setting_twilio_whatsapp_number;
extern ngx_cerebro_setting_t  ngx_cerebro_setting_redis_url;
extern ngx_cerebro_setting_t  ngx_cerebro_setting_redis_password;
extern ngx_cerebro_setting_t  ngx_cerebro_setting_alert_webhook;


ngx_int_t ngx_cerebro_setting_from_env(ngx_conf_t *cf,
    ngx_cerebro_setting_t *setting, ngx_str_t *value);
ngx_int_t ngx_cerebro_setting_validate(ngx_conf_t *cf,
    ngx_cerebro_setting_t *setting, ngx_str_t *directive, ngx_str_t *value,
    ngx_cerebro_main_conf_t *mcf);
ngx_int_t ngx_cerebro_parse_bool(ngx_str_t *value, ngx_flag_t *flag);
ngx_int_t ngx_cerebro_debug_from_env(ngx_conf_t *cf, ngx_flag_t *debug);

/* Checks that span settings, and derives the parsed forms. */
char *ngx_cerebro_settings_check(ngx_conf_t *cf,
    ngx_cerebro_main_conf_t *mcf);


#endif /* _NGX_CEREBRO_SETTINGS_H_INCLUDED_ */
