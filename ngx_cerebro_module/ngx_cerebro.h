
/*
 * ngx_cerebro: what every layer of the nginx glue shares — the module's
 * main configuration (the deployment, the accounts of the .env, the
 * restaurant) and its logging conventions.  A layer's own settings are in
 * its own nginx module's conf: net/ngx_cerebro_net.h,
 * store/ngx_cerebro_store.h, messaging/ngx_cerebro_messaging.h,
 * tools/ngx_cerebro_tools_conf.h, channels/ngx_cerebro_channels.h.
 */

#ifndef _NGX_CEREBRO_H_INCLUDED_
#define _NGX_CEREBRO_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "cerebro_restaurant.h"
#include "cerebro_signature.h"
#include "ngx_cerebro_util.h"
#include "ngx_cerebro_metrics.h"
#include "ngx_cerebro_logvars.h"


#define CEREBRO_SERVICE_NAME  "Cerebro En Las Nubes"
#define CEREBRO_VERSION       "1.0.0"

typedef struct {
    ngx_http_core_loc_conf_t  *clcf;
    char                      *location;     /* NUL-terminated for cJSON */
    char                      *name;
} ngx_cerebro_endpoint_t;


typedef struct {
    /* deployment */
    ngx_str_t                  environment;
    ngx_flag_t                 debug;
    ngx_str_t                  allowed_origins;
    ngx_str_t                  public_url;
    ngx_str_t                  data_dir;

    /* accounts; secrets never reach a log line */
    ngx_str_t                  vapi_secret;
    ngx_str_t                  vapi_api_key;
    ngx_str_t                  vapi_assistant_id;
    ngx_str_t                  openai_api_key;
    ngx_str_t                  airtable_api_key;
    ngx_str_t                  airtable_base_id;
    ngx_str_t                  twilio_account_sid;
    ngx_str_t                  twilio_auth_token;
    ngx_str_t                  twilio_whatsapp_number;
    ngx_str_t                  redis_url;
    ngx_str_t                  redis_password;
    ngx_str_t                  alert_webhook;    /* its path: a secret */

    /* derived when the configuration is loaded */
    ngx_array_t               *origins;          /* of ngx_str_t */
    ngx_flag_t                 any_origin;
    ngx_flag_t                 production;
    ngx_array_t                endpoints;        /* ngx_cerebro_endpoint_t */

    /* the restaurant (conf/restaurant.json) */
    ngx_str_t                  restaurant_file;
    ngx_str_t                  restaurant_json;
    cerebro_restaurant_t      *model;
    ngx_str_t                  cache_prefix;     /* its cached data's keys:
                                                    the near cache tracks
                                                    them, the store's cache
                                                    writes them */

    /* the log's and the metrics' own (ngx_cerebro_logvars.c, _metrics.c) */
    ngx_cerebro_metrics_t     *metrics;          /* its zone */
    ngx_int_t                  logvar_index[NGX_CEREBRO_LOG_NVARS];
} ngx_cerebro_main_conf_t;


extern ngx_module_t  ngx_cerebro_module;


/*
 * Every message of ours starts with "cerebro: " so that an operator can grep
 * the error log.  ngx_cerebro_log_detail() is the DEBUG=True switch: the
 * same detail that nginx's debug log carries, raised to "notice" so that it
 * shows on a packaged nginx without a debug error_log.
 */
#define ngx_cerebro_log(level, log, err, fmt, ...)                            \
    ngx_log_error(level, log, err, "cerebro: " fmt, ##__VA_ARGS__)

#define ngx_cerebro_log_detail(mcf, log, fmt, ...)                            \
    do {                                                                      \
        if ((mcf)->debug) {                                                   \
            ngx_log_error(NGX_LOG_NOTICE, log, 0, "cerebro: " fmt,            \
                          ##__VA_ARGS__);                                     \
        } else {                                                              \
            ngx_log_debug(NGX_LOG_DEBUG_HTTP, log, 0, "cerebro: " fmt,        \
                          ##__VA_ARGS__);                                     \
        }                                                                     \
    } while (0)


#endif /* _NGX_CEREBRO_H_INCLUDED_ */
