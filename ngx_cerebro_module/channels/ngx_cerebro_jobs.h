
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

/*
 * Worker 0 starts the timer and owns the poke's client connection: both
 * belong to no request, so they never delay a shutdown.  The run itself is
 * a request, which keeps its worker alive until it answers; at exit the
 * poke's connection, if its answer has not been read yet, is closed.
 */
ngx_int_t ngx_cerebro_jobs_init_process(ngx_cycle_t *cycle);
void ngx_cerebro_jobs_exit_process(ngx_cycle_t *cycle);


#endif /* _NGX_CEREBRO_JOBS_H_INCLUDED_ */
