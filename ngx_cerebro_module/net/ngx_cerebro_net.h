
/*
 * The net layer's configuration (net/ngx_cerebro_net.c): its own nginx
 * module's main conf, reached with
 * ngx_http_get_module_main_conf(r, ngx_cerebro_net_module), or
 * ngx_http_conf_get_module_main_conf(cf, ...) while the configuration
 * loads.
 */

#ifndef _NGX_CEREBRO_NET_H_INCLUDED_
#define _NGX_CEREBRO_NET_H_INCLUDED_


#include "ngx_cerebro.h"


/* Airtable, OpenAI, Twilio, the alerts' webhook: ngx_cerebro_upstream.h */
#define NGX_CEREBRO_NUPSTREAMS  4


typedef struct ngx_cerebro_kv_s       ngx_cerebro_kv_t;
typedef struct ngx_cerebro_limiter_s  ngx_cerebro_limiter_t;


typedef struct {
    ngx_flag_t                 near_cache;       /* cerebro_near_cache */

    /* made when the configuration loads */
    ngx_cerebro_kv_t          *kv;               /* ngx_cerebro_kv.c */
    ngx_cerebro_limiter_t     *limiter;          /* its zone */
    ngx_str_t                  upstream_auth[NGX_CEREBRO_NUPSTREAMS];
} ngx_cerebro_net_conf_t;


extern ngx_module_t  ngx_cerebro_net_module;


/*
 * The layer's part of init_main_conf, run by ngx_cerebro_module's once
 * the accounts and the restaurant are known: the upstreams' credentials,
 * the limiter's zone, the kv layer (Redis, its fallback, the near cache).
 */
ngx_int_t ngx_cerebro_net_init_conf(ngx_conf_t *cf);


#endif /* _NGX_CEREBRO_NET_H_INCLUDED_ */
