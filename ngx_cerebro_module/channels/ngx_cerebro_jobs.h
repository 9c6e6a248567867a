
/*
 * Work outside a request (reminders, retrying the outbox) runs as a
 * request: a worker timer pokes the internal location "cerebro_jobs" over
 * loopback, so that the run can use the subrequest client.  A key-value
 * lock keeps it to one run at a time across workers and hosts.
 */

#ifndef _NGX_CEREBRO_JOBS_H_INCLUDED_
#define _NGX_CEREBRO_JOBS_H_INCLUDED_


#include "ngx_cerebro.h"


#define NGX_CEREBRO_JOBS_LOCK      "cerebro:jobs"
#define NGX_CEREBRO_JOBS_LOCK_TTL  60000
#define NGX_CEREBRO_JOBS_BATCH     20


char *ngx_cerebro_jobs(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* Worker 0 starts the timer (cancelable: it never delays a shutdown). */
ngx_int_t ngx_cerebro_jobs_init_process(ngx_cycle_t *cycle);


#endif /* _NGX_CEREBRO_JOBS_H_INCLUDED_ */
