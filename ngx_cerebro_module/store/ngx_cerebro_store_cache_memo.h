
/*
 * The read cache's memo, one per worker: the days it decoded, shared
 * read-only by every request that reads the same cached bytes, and which
 * of them Redis, tracking their keys, has told of no change since they
 * were read (the near cache): those are served with no round trip.
 */

#ifndef _NGX_CEREBRO_STORE_CACHE_MEMO_H_INCLUDED_
#define _NGX_CEREBRO_STORE_CACHE_MEMO_H_INCLUDED_


#include "ngx_cerebro_store.h"


/* a cache key, its NUL included */
#define NGX_CEREBRO_CACHE_KEY_LEN     64


/*
 * A day decoded once in a worker, shared read-only by every request that
 * reads the same cached bytes: a busy day is several hundred records of
 * ~900 bytes, and building (and zeroing) them at every request cost more
 * than the rest of the tool call.  Each request holds a reference until
 * its pool goes; the memo holds one while the entry is current.
 */
typedef struct {
    ngx_uint_t                   refs;
    size_t                       rawlen;
    u_char                      *raw;
    cerebro_reservation_t       *bookings;
    int                          nbookings;
    cerebro_booking_t           *engine;       /* for model: the tools' */
    int                          nengine;      /* engine reads these */
    const cerebro_restaurant_t  *model;
} ngx_cerebro_cache_blob_t;


/*
 * A day's cached bytes in, of key, decoded: the memo's decoding when they
 * are the bytes it decoded last for key, else a new one that replaces the
 * key's (or the least recently used) entry; the request holds a
 * reference.  epoch: the near cache's when in was read from Redis in that
 * epoch (it may be used again without asking while nothing changes),
 * else 0.  NULL: a miss.
 */
ngx_cerebro_cache_blob_t *ngx_cerebro_cache_memo_get(
    ngx_cerebro_store_op_t *op, u_char *key, ngx_str_t *in,
    ngx_uint_t epoch);

/*
 * The memo's decoding of key when Redis, tracking it, has told of no change
 * since it was read (epoch: not 0 while Redis tracks), with a reference
 * for the request; NULL otherwise.
 */
ngx_cerebro_cache_blob_t *ngx_cerebro_cache_near(ngx_cerebro_store_op_t *op,
    u_char *key, ngx_uint_t epoch);

/* op answered with a decoded day the request holds a reference to */
void ngx_cerebro_cache_serve(ngx_cerebro_store_op_t *op,
    ngx_cerebro_cache_blob_t *blob);


#endif /* _NGX_CEREBRO_STORE_CACHE_MEMO_H_INCLUDED_ */
