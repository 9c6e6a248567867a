
/*
 * GET /metrics: the registry (ngx_cerebro_metrics.h) in Prometheus' text
 * exposition format, with the gauges that are read at the scrape: Redis
 * and the store up, the outbox's depth, the build.
 */

#ifndef _NGX_CEREBRO_METRICS_HTTP_H_INCLUDED_
#define _NGX_CEREBRO_METRICS_HTTP_H_INCLUDED_


#include "ngx_cerebro.h"


/* "cerebro_metrics": the location's content handler. */
char *ngx_cerebro_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* _NGX_CEREBRO_METRICS_HTTP_H_INCLUDED_ */
