
/*
 * Messaging's configuration (messaging/ngx_cerebro_messaging.c): its own
 * nginx module's main conf, reached with
 * ngx_http_get_module_main_conf(r, ngx_cerebro_messaging_module).
 */

#ifndef _NGX_CEREBRO_MESSAGING_H_INCLUDED_
#define _NGX_CEREBRO_MESSAGING_H_INCLUDED_


#include "ngx_cerebro.h"


typedef struct ngx_cerebro_alerts_s  ngx_cerebro_alerts_t;


typedef struct {
    ngx_str_t                  whatsapp_template;     /* HX..., 63016 */
    ngx_int_t                  reminder_hour;         /* local, 0..23 */
    ngx_int_t                  reminder_days_before;  /* 0: that morning */
    ngx_msec_t                 outbox_retry;          /* first backoff */
    ngx_msec_t                 outbox_lease;          /* first attempt's */
    time_t                     reminder_second;       /* s before; 0 off */
    ngx_str_t                  link_secret;           /* CEREBRO_LINK_SECRET,
                                                         "": no links */
    ngx_msec_t                 waitlist_hold;         /* an offer's */
    ngx_msec_t                 alert_after;           /* cerebro_alert_after */

    /* made when the configuration loads */
    ngx_cerebro_alerts_t      *alerts;                /* ngx_cerebro_alerts.c */
} ngx_cerebro_messaging_conf_t;


/* the least CEREBRO_LINK_SECRET takes: 256 bits of a random string */
#define NGX_CEREBRO_LINK_SECRET_MIN  32


extern ngx_module_t  ngx_cerebro_messaging_module;


#endif /* _NGX_CEREBRO_MESSAGING_H_INCLUDED_ */
