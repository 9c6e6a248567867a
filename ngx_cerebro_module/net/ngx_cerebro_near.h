
/*
 * The near cache of the key-value layer: Redis tells a second connection
 * of this worker, subscribed to "__redis__:invalidate", of every change
 * to the restaurant's cached keys (client tracking, broadcast mode, asked
 * on the commands' connection); while it does, what the worker read stays
 * good until the next change.  The epoch moves at every change, and is 0
 * while nothing tells us.
 *
 * A change, told by Redis or made by this worker, reaches the kv layer's
 * change notice through the changed handler.
 */

#ifndef _NGX_CEREBRO_NEAR_H_INCLUDED_
#define _NGX_CEREBRO_NEAR_H_INCLUDED_


#include "ngx_cerebro.h"
#include "ngx_cerebro_redis.h"


typedef struct ngx_cerebro_near_s  ngx_cerebro_near_t;

/* These n keys changed; keys NULL: every key may have. */
typedef void (*ngx_cerebro_near_changed_pt)(void *data, ngx_str_t *keys,
    ngx_uint_t n);


/*
 * Configuration time: the subscriber connection to the same Redis as
 * redis, the commands' connection, on which tracking is asked.
 */
ngx_cerebro_near_t *ngx_cerebro_near_create(ngx_conf_t *cf,
    ngx_cerebro_main_conf_t *mcf, ngx_cerebro_redis_t *redis,
    ngx_cerebro_near_changed_pt changed, void *data);

/* The worker's subscriber connection: opened, closed. */
ngx_int_t ngx_cerebro_near_init_process(ngx_cerebro_near_t *near,
    ngx_cycle_t *cycle);
void ngx_cerebro_near_exit_process(ngx_cerebro_near_t *near);

/*
 * The commands' connection is made again (a new one tracks nothing):
 * tracking is asked again.
 */
void ngx_cerebro_near_track(ngx_cerebro_near_t *near);

/* Nobody tells of changes any more: nothing read is trusted. */
void ngx_cerebro_near_off(ngx_cerebro_near_t *near);

/* Our own change of these keys (NULL: all of them). */
void ngx_cerebro_near_untrust(ngx_cerebro_near_t *near, ngx_str_t *keys,
    ngx_uint_t n);

/* What ngx_cerebro_kv_near_epoch() answers. */
ngx_uint_t ngx_cerebro_near_epoch(ngx_cerebro_near_t *near);


#endif /* _NGX_CEREBRO_NEAR_H_INCLUDED_ */
