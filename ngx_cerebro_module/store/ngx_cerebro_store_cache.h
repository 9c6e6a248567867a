
/*
 * Inside the store: what its dispatcher (ngx_cerebro_store.c) and its read
 * cache (ngx_cerebro_store_cache.c) offer each other.  Callers of the
 * store use ngx_cerebro_store.h only.
 */

#ifndef _NGX_CEREBRO_STORE_CACHE_H_INCLUDED_
#define _NGX_CEREBRO_STORE_CACHE_H_INCLUDED_


#include "ngx_cerebro_store.h"


/*
 * ngx_cerebro_store_finish(op) will post op's done(), and the post goes
 * if the request goes first.  NGX_ERROR: no memory.
 */
ngx_int_t ngx_cerebro_store_arm(ngx_cerebro_store_op_t *op);

/* The backend runs op, armed; returns as the backend's start() does. */
ngx_int_t ngx_cerebro_store_run(ngx_cerebro_store_op_t *op);

/* A cache_only op not started: NGX_DECLINED, op->error says why. */
ngx_int_t ngx_cerebro_store_decline(ngx_cerebro_store_op_t *op,
    const char *why);

/*
 * op, armed, of a kind the cache keeps (a read) or changes (a write),
 * through the cache; returns as ngx_cerebro_store_start() does.
 */
ngx_int_t ngx_cerebro_cache_start(ngx_cerebro_store_op_t *op,
    ngx_cerebro_main_conf_t *mcf);


#endif /* _NGX_CEREBRO_STORE_CACHE_H_INCLUDED_ */
