
/*
 * The read cache's memo of decoded days, and the near cache's trust in
 * them (see ngx_cerebro_store_cache_memo.h).
 */

#include "ngx_cerebro_store_cache_memo.h"
#include "ngx_cerebro_kv.h"
#include "cerebro_cache_codec.h"


/*
 * What Redis told us is unchanged is asked again after this long anyway:
 * a subscriber connection lost without a word (no FIN) loses its news.
 */
#define NGX_CEREBRO_CACHE_NEAR_TTL    5000
/* a tool call with alternatives reads 3 days and then 13 more */
#define NGX_CEREBRO_CACHE_MEMO        32


typedef struct {
    u_char                       key[NGX_CEREBRO_CACHE_KEY_LEN];
    size_t                       klen;
    ngx_msec_t                   used;
    ngx_msec_t                   trusted;      /* read from Redis then, */
    unsigned                     near:1;       /* unchanged since */
    ngx_cerebro_cache_blob_t    *blob;
} ngx_cerebro_cache_memo_t;


/* this worker's: each worker is a process of its own, nothing is shared */
static ngx_cerebro_cache_memo_t
    ngx_cerebro_cache_memo[NGX_CEREBRO_CACHE_MEMO];


static ngx_cerebro_cache_memo_t *ngx_cerebro_cache_memo_find(u_char *key,
    size_t klen);
static ngx_int_t ngx_cerebro_cache_hold(ngx_cerebro_store_op_t *op,
    ngx_cerebro_cache_blob_t *blob);
static ngx_cerebro_cache_blob_t *ngx_cerebro_cache_decode_day(
    ngx_str_t *in, const cerebro_restaurant_t *model, ngx_log_t *log);
static void ngx_cerebro_cache_blob_release(void *data);
static ngx_int_t ngx_cerebro_cache_memo_add_cleanup(void);
static void ngx_cerebro_cache_memo_free(void *data);
static void ngx_cerebro_cache_changed(ngx_str_t *keys, ngx_uint_t n);


ngx_cerebro_cache_blob_t *
ngx_cerebro_cache_memo_get(ngx_cerebro_store_op_t *op, u_char *key,
    ngx_str_t *in, ngx_uint_t epoch)
{
    size_t                        klen;
    ngx_uint_t                    i;
    ngx_cerebro_cache_memo_t     *m, *slot;
    ngx_cerebro_cache_blob_t     *blob;
    const cerebro_restaurant_t   *model;

    model = ngx_cerebro_store_model(op->request);
    klen = ngx_strlen(key);

    slot = ngx_cerebro_cache_memo_find(key, klen);

    if (slot == NULL) {
        /* an empty entry, or the least recently used */
        for (i = 0; i < NGX_CEREBRO_CACHE_MEMO; i++) {
            m = &ngx_cerebro_cache_memo[i];

            if (slot == NULL || m->blob == NULL
                || (slot->blob
                    && (ngx_msec_int_t) (m->used - slot->used) < 0))
            {
                slot = m;
            }
        }
    }

    blob = slot->blob;

    if (blob == NULL || slot->klen != klen
        || ngx_memcmp(slot->key, key, klen) != 0
        || blob->model != model
        || blob->rawlen != in->len
        || ngx_memcmp(blob->raw, in->data, in->len) != 0)
    {
        blob = ngx_cerebro_cache_decode_day(in, model,
                                            op->request->connection->log);
        if (blob == NULL) {
            return NULL;
        }

        if (slot->blob) {
            ngx_cerebro_cache_blob_release(slot->blob);

        } else if (ngx_cerebro_cache_memo_add_cleanup() != NGX_OK) {
            ngx_cerebro_cache_blob_release(blob);
            return NULL;
        }

        slot->blob = blob;
        slot->klen = ngx_cpymem(slot->key, key, klen) - slot->key;
    }

    slot->used = ngx_current_msec;
    slot->near = (epoch != 0);
    slot->trusted = ngx_current_msec;

    return ngx_cerebro_cache_hold(op, blob) == NGX_OK ? blob : NULL;
}


ngx_cerebro_cache_blob_t *
ngx_cerebro_cache_near(ngx_cerebro_store_op_t *op, u_char *key,
    ngx_uint_t epoch)
{
    ngx_cerebro_cache_memo_t  *m;

    if (epoch == 0) {
        return NULL;
    }

    m = ngx_cerebro_cache_memo_find(key, ngx_strlen(key));

    if (m == NULL || m->blob == NULL || !m->near
        || (ngx_msec_int_t) (ngx_current_msec - m->trusted)
           >= NGX_CEREBRO_CACHE_NEAR_TTL
        || m->blob->model != ngx_cerebro_store_model(op->request)
        || ngx_cerebro_cache_hold(op, m->blob) != NGX_OK)
    {
        return NULL;
    }

    m->used = ngx_current_msec;

    return m->blob;
}


void
ngx_cerebro_cache_serve(ngx_cerebro_store_op_t *op,
    ngx_cerebro_cache_blob_t *blob)
{
    op->bookings = blob->bookings;
    op->nbookings = blob->nbookings;
    op->engine = blob->engine;
    op->nengine = blob->nengine;
    op->error.kind = CEREBRO_STORE_OK;
}


/* The memo's entry of key, or NULL. */
static ngx_cerebro_cache_memo_t *
ngx_cerebro_cache_memo_find(u_char *key, size_t klen)
{
    ngx_uint_t                 i;
    ngx_cerebro_cache_memo_t  *m;

    for (i = 0; i < NGX_CEREBRO_CACHE_MEMO; i++) {
        m = &ngx_cerebro_cache_memo[i];

        if (m->klen == klen && ngx_memcmp(m->key, key, klen) == 0) {
            return m;
        }
    }

    return NULL;
}


/* The request holds a reference to blob until its pool goes. */
static ngx_int_t
ngx_cerebro_cache_hold(ngx_cerebro_store_op_t *op,
    ngx_cerebro_cache_blob_t *blob)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(op->request->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    blob->refs++;
    cln->handler = ngx_cerebro_cache_blob_release;
    cln->data = blob;

    return NGX_OK;
}


/*
 * A new blob, its one reference the memo's; the bytes are kept along to
 * be compared with the next reads.  NULL: a miss.
 */
static ngx_cerebro_cache_blob_t *
ngx_cerebro_cache_decode_day(ngx_str_t *in, const cerebro_restaurant_t *model,
    ngx_log_t *log)
{
    int                        n;
    size_t                     size;
    ngx_cerebro_cache_blob_t  *blob;

    n = cerebro_cache_day_count(in->data, in->len);

    if (n < 0 || n > NGX_CEREBRO_STORE_MAX_BOOKINGS) {
        return NULL;
    }

    size = sizeof(ngx_cerebro_cache_blob_t)
           + n * (sizeof(cerebro_reservation_t) + sizeof(cerebro_booking_t));

    blob = ngx_alloc(size + in->len, log);
    if (blob == NULL) {
        return NULL;
    }

    blob->bookings = (cerebro_reservation_t *) &blob[1];
    blob->engine = (cerebro_booking_t *) &blob->bookings[n];
    blob->raw = (u_char *) blob + size;
    blob->rawlen = in->len;
    ngx_memcpy(blob->raw, in->data, in->len);

    /* decoded once per change of the day, not once per request */
    if (cerebro_cache_day_decode(in->data, in->len, blob->bookings, n) != n) {
        ngx_free(blob);
        return NULL;
    }

    blob->nbookings = n;
    blob->refs = 1;

    /* converted once per change of the day, not once per tool call */
    blob->model = model;
    blob->nengine = cerebro_rec_to_engine(model, blob->bookings,
                                          blob->nbookings, NULL,
                                          blob->engine);

    return blob;
}


static void
ngx_cerebro_cache_blob_release(void *data)
{
    ngx_cerebro_cache_blob_t *blob = data;

    if (--blob->refs == 0) {
        ngx_free(blob);
    }
}


/*
 * The memo goes with the cycle's pool (the process exits, or a single
 * process reloads): its blobs are freed, not left to the exit.
 */
static ngx_int_t
ngx_cerebro_cache_memo_add_cleanup(void)
{
    ngx_uint_t           i;
    ngx_pool_cleanup_t  *cln;

    for (i = 0; i < NGX_CEREBRO_CACHE_MEMO; i++) {
        if (ngx_cerebro_cache_memo[i].blob) {
            return NGX_OK;          /* the first blob added it */
        }
    }

    cln = ngx_pool_cleanup_add(ngx_cycle->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_cerebro_cache_memo_free;
    cln->data = NULL;

    return NGX_OK;
}


static void
ngx_cerebro_cache_memo_free(void *data)
{
    ngx_uint_t                 i;
    ngx_cerebro_cache_memo_t  *m;

    for (i = 0; i < NGX_CEREBRO_CACHE_MEMO; i++) {
        m = &ngx_cerebro_cache_memo[i];

        if (m->blob) {
            ngx_cerebro_cache_blob_release(m->blob);
            m->blob = NULL;
            m->klen = 0;
            m->near = 0;
        }
    }
}


/* Redis told of a change (keys NULL: of everything): not near any more. */
static void
ngx_cerebro_cache_changed(ngx_str_t *keys, ngx_uint_t n)
{
    ngx_uint_t                 i, k;
    ngx_cerebro_cache_memo_t  *m;

    for (i = 0; i < NGX_CEREBRO_CACHE_MEMO; i++) {
        m = &ngx_cerebro_cache_memo[i];

        if (keys == NULL) {
            m->near = 0;
            continue;
        }

        for (k = 0; k < n; k++) {
            if (m->klen == keys[k].len
                && ngx_memcmp(m->key, keys[k].data, m->klen) == 0)
            {
                m->near = 0;
            }
        }
    }
}


ngx_int_t
ngx_cerebro_store_init_near(ngx_cerebro_net_conf_t *ncf)
{
    ngx_cerebro_kv_on_change(ncf, ngx_cerebro_cache_changed);

    return NGX_OK;
}
