
/*
 * GET /health for load balancers and Coolify, GET / for people.
 */

#ifndef _NGX_CEREBRO_HEALTH_H_INCLUDED_
#define _NGX_CEREBRO_HEALTH_H_INCLUDED_


#include "ngx_cerebro.h"


char *ngx_cerebro_health(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_cerebro_info(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* _NGX_CEREBRO_HEALTH_H_INCLUDED_ */
