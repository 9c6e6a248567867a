
/*
 * GET /cerebro/stats/calls?days=30: the figures a manager reads, per day
 * of the restaurant's calendar, from the call log: calls, and how many
 * booked, changed or cancelled; conversion is booked over calls.  For the
 * staff console's charts.
 */

#ifndef _NGX_CEREBRO_STATS_HTTP_H_INCLUDED_
#define _NGX_CEREBRO_STATS_HTTP_H_INCLUDED_


#include "ngx_cerebro.h"


/* "cerebro_call_stats": the location's content handler. */
char *ngx_cerebro_call_stats(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* _NGX_CEREBRO_STATS_HTTP_H_INCLUDED_ */
