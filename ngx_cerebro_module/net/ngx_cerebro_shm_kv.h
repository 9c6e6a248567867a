
/*
 * The key-value primitives of ngx_cerebro_kv in one nginx shared memory
 * zone, for the host's workers: what serves when no Redis is configured,
 * and what every operation falls back to while Redis is down.
 *
 * Every call is synchronous and short (one mutex hold, no I/O).  Results:
 *
 *   NGX_OK        done (found, set, deleted, taken, ours)
 *   NGX_DECLINED  not found, NX not set, lock not taken, not the owner
 *   NGX_ERROR     no zone, a value of the wrong kind, or no room even
 *                 after evicting the least recently used entries
 */

#ifndef _NGX_CEREBRO_SHM_KV_H_INCLUDED_
#define _NGX_CEREBRO_SHM_KV_H_INCLUDED_


#include "ngx_cerebro.h"


#define NGX_CEREBRO_SHM_KV_SIZE       (8 * 1024 * 1024)
#define NGX_CEREBRO_SHM_KV_KEY_LEN    256
#define NGX_CEREBRO_SHM_KV_NINVAL     64


typedef struct ngx_cerebro_shm_kv_s  ngx_cerebro_shm_kv_t;


/* Adds the zone "cerebro_kv" to the configuration. */
ngx_cerebro_shm_kv_t *ngx_cerebro_shm_kv_add(ngx_conf_t *cf, size_t size);

/* The value, copied into pool. */
ngx_int_t ngx_cerebro_shm_kv_get(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key,
    ngx_pool_t *pool, ngx_str_t *value);

/* ttl 0: no expiry; nx: only when the key does not exist. */
ngx_int_t ngx_cerebro_shm_kv_set(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key,
    ngx_str_t *value, ngx_msec_t ttl, ngx_uint_t nx);

ngx_int_t ngx_cerebro_shm_kv_del(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key);

/* Deletes key only when its value is token: a lock's owner releases it. */
ngx_int_t ngx_cerebro_shm_kv_unlock(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key,
    ngx_str_t *token);

/* Adds 1; a key it creates expires ttl ms later (a fixed window). */
ngx_int_t ngx_cerebro_shm_kv_incr(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key,
    ngx_msec_t ttl, int64_t *n);

/* Appends value, keeps the last cap items, expires ttl ms from now. */
ngx_int_t ngx_cerebro_shm_kv_push(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key,
    ngx_str_t *value, ngx_uint_t cap, ngx_msec_t ttl, ngx_uint_t *len);

/* The last count items (0: all), oldest first, copied into pool. */
ngx_int_t ngx_cerebro_shm_kv_range(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key,
    ngx_uint_t count, ngx_pool_t *pool, ngx_array_t **items);


/*
 * Host-wide Redis outage flag, so that the host logs one warning per
 * outage and not one per worker.  Returns the previous state.
 */
ngx_uint_t ngx_cerebro_shm_kv_set_outage(ngx_cerebro_shm_kv_t *kv,
    ngx_uint_t on);

/*
 * Keys deleted here while Redis was down: Redis still holds them, so the
 * first worker back on Redis deletes them there too.  take() empties the
 * list into an array of ngx_str_t in pool; *overflow tells that keys were
 * lost because the list was full.
 */
void ngx_cerebro_shm_kv_note_invalidation(ngx_cerebro_shm_kv_t *kv,
    ngx_str_t *key);
ngx_array_t *ngx_cerebro_shm_kv_take_invalidations(ngx_cerebro_shm_kv_t *kv,
    ngx_pool_t *pool, ngx_uint_t *overflow);


#endif /* _NGX_CEREBRO_SHM_KV_H_INCLUDED_ */
