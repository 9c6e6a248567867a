
/*
 * The store's read cache, in front of the backend, over the key-value
 * layer (Redis, or the host's shared memory).  A day's bookings and a
 * guest's upcoming ones (short TTL) and the tables (long TTL) are read
 * through it; every write deletes the entries of the days and the guest
 * it touches (both days when a booking moves); a range of whole days (the
 * alternatives on the following days) is read from the days' entries in
 * one round trip, and fills them when it misses.  Concurrent misses of one
 * key cause a single backend read (a lock on "...:fill:<key>"; the others
 * poll the value for a bounded time, then read the backend themselves).
 * The backend runs on a private copy of the caller's op, so that the
 * caller's op is finished only once, whole.  The days decoded are kept by
 * the memo (ngx_cerebro_store_cache_memo.c); the bytes are the codec's
 * (cerebro_cache_codec.c).
 */

#include "ngx_cerebro_store_cache.h"
#include "ngx_cerebro_store_cache_memo.h"
#include "ngx_cerebro_kv.h"
#include "cerebro_phone.h"
#include "cerebro_cache_codec.h"


#define NGX_CEREBRO_CACHE_DAY_TTL     60000
#define NGX_CEREBRO_CACHE_TABLES_TTL  3600000
/* tables the staff edit in the store itself (Airtable's Mesas) show soon */
#define NGX_CEREBRO_CACHE_OWN_TABLES_TTL  300000
#define NGX_CEREBRO_CACHE_POLL_MIN    1
#define NGX_CEREBRO_CACHE_POLL_MAX    8
#define NGX_CEREBRO_CACHE_WAIT_MAX    1000
#define NGX_CEREBRO_CACHE_RANGE_DAYS  16
/* a move: the day and guest it leaves, the day and guest it reaches */
#define NGX_CEREBRO_CACHE_STALE       4


typedef enum {
    NGX_CEREBRO_CACHE_GET = 0,        /* looking the key up */
    NGX_CEREBRO_CACHE_LOCK,           /* asking to be the one who fills */
    NGX_CEREBRO_CACHE_RECHECK,        /* got the lock: filled meanwhile? */
    NGX_CEREBRO_CACHE_WAIT,           /* another fills: polling the key */
    NGX_CEREBRO_CACHE_READ,           /* the backend reads */
    NGX_CEREBRO_CACHE_OLD,            /* a move: where the booking was */
    NGX_CEREBRO_CACHE_WRITE,          /* the backend writes */
    NGX_CEREBRO_CACHE_DEL             /* the days written are deleted */
} ngx_cerebro_cache_phase_e;


/* A cached operation. */
typedef struct {
    ngx_cerebro_store_op_t      *op;           /* the caller's */
    ngx_cerebro_cache_phase_e    phase;
    ngx_str_t                    prefix;
    ngx_msec_t                   ttl;
    ngx_msec_t                   give_up;
    ngx_msec_t                   interval;
    ngx_event_t                  poll;
    ngx_uint_t                   nstale;       /* days, guests: written */
    ngx_str_t                   *range;        /* RANGE: its days' keys */
    ngx_uint_t                   nrange;
    uint32_t                     missing;      /* RANGE: days not cached */
    cerebro_date_t               first;        /* RANGE: its first day */
    ngx_uint_t                   epoch;        /* near cache, at the GET */
    unsigned                     locked:1;

    ngx_cerebro_store_op_t       inner;        /* what the backend runs */
    ngx_cerebro_kv_op_t          kv;           /* GET, LOCK, DEL */
    ngx_cerebro_kv_op_t          set;          /* fill: SET, then UNLOCK */
    ngx_cerebro_kv_op_t          unlock;
    u_char                       key[NGX_CEREBRO_CACHE_KEY_LEN];
    u_char                       fill[NGX_CEREBRO_CACHE_KEY_LEN];
    ngx_str_t                    stale[NGX_CEREBRO_CACHE_STALE];
    u_char                       stale_keys[NGX_CEREBRO_CACHE_STALE]
                                           [NGX_CEREBRO_CACHE_KEY_LEN];
} ngx_cerebro_cache_t;


static u_char *ngx_cerebro_cache_key(ngx_cerebro_store_op_t *op,
    ngx_str_t *prefix, u_char *buf);
static ngx_int_t ngx_cerebro_cache_local_hit(ngx_cerebro_store_op_t *op,
    ngx_cerebro_main_conf_t *mcf);
static ngx_int_t ngx_cerebro_cache_range_start(ngx_cerebro_cache_t *cc,
    ngx_cerebro_main_conf_t *mcf);
static const char *ngx_cerebro_cache_layer(ngx_cerebro_kv_op_t *kv);
static ngx_int_t ngx_cerebro_cache_hit(ngx_cerebro_cache_t *cc,
    ngx_cerebro_kv_op_t *kv);
static ngx_int_t ngx_cerebro_cache_decode_range(ngx_cerebro_cache_t *cc,
    ngx_array_t *items);
static void ngx_cerebro_cache_fill_range(ngx_cerebro_cache_t *cc);
static u_char *ngx_cerebro_cache_day_key(u_char *buf, ngx_str_t *prefix,
    const cerebro_date_t *d);
static void ngx_cerebro_cache_kv_done(ngx_cerebro_kv_op_t *kv);
static void ngx_cerebro_cache_noop(ngx_cerebro_kv_op_t *kv);
static void ngx_cerebro_cache_poll(ngx_event_t *ev);
static ngx_int_t ngx_cerebro_cache_backend(ngx_cerebro_cache_t *cc,
    ngx_cerebro_store_kind_e kind);
static void ngx_cerebro_cache_backend_done(ngx_cerebro_store_op_t *inner);
static void ngx_cerebro_cache_fill(ngx_cerebro_cache_t *cc);
static void ngx_cerebro_cache_unlock(ngx_cerebro_cache_t *cc);
static void ngx_cerebro_cache_invalidate(ngx_cerebro_cache_t *cc);
static void ngx_cerebro_cache_add_day(ngx_cerebro_cache_t *cc,
    const cerebro_date_t *date);
static void ngx_cerebro_cache_add_phone(ngx_cerebro_cache_t *cc,
    const char *phone);
static void ngx_cerebro_cache_add_stale(ngx_cerebro_cache_t *cc,
    u_char *last);
static void ngx_cerebro_cache_add_start(ngx_cerebro_cache_t *cc,
    int64_t start);
static void ngx_cerebro_cache_answer(ngx_cerebro_cache_t *cc);
static ngx_int_t ngx_cerebro_cache_kv(ngx_cerebro_cache_t *cc,
    ngx_cerebro_kv_kind_e kind, u_char *key);
static void ngx_cerebro_cache_cleanup(void *data);
static ngx_int_t ngx_cerebro_cache_encode(ngx_cerebro_store_op_t *op,
    ngx_pool_t *pool, ngx_str_t *out);
static ngx_int_t ngx_cerebro_cache_encode_day(cerebro_reservation_t *recs,
    int n, int64_t from, int64_t to, ngx_pool_t *pool, ngx_str_t *out);
static ngx_int_t ngx_cerebro_cache_decode(ngx_cerebro_store_op_t *op,
    u_char *key, ngx_str_t *in, ngx_uint_t epoch);
static ngx_int_t ngx_cerebro_cache_assemble(ngx_cerebro_cache_t *cc,
    ngx_cerebro_cache_blob_t **blob);
static ngx_uint_t ngx_cerebro_cache_trust(ngx_cerebro_cache_t *cc);
static ngx_int_t ngx_cerebro_cache_near_range(ngx_cerebro_cache_t *cc);


ngx_int_t
ngx_cerebro_cache_start(ngx_cerebro_store_op_t *op,
    ngx_cerebro_main_conf_t *mcf)
{
    u_char                       *p;
    ngx_int_t                     rc;
    ngx_pool_cleanup_t           *cln;
    ngx_cerebro_cache_t          *cc;
    ngx_cerebro_store_conf_t     *scf;
    ngx_cerebro_store_backend_t  *backend;

    rc = ngx_cerebro_cache_local_hit(op, mcf);

    if (rc != NGX_DECLINED) {
        return rc;
    }

    cc = ngx_palloc(op->request->pool, sizeof(ngx_cerebro_cache_t));
    if (cc == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(cc, sizeof(ngx_cerebro_cache_t));

    cln = ngx_pool_cleanup_add(op->request->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_cerebro_cache_cleanup;
    cln->data = cc;

    cc->op = op;

    cc->poll.handler = ngx_cerebro_cache_poll;
    cc->poll.data = cc;
    cc->poll.log = op->request->connection->log;

    cc->prefix = mcf->cache_prefix;

    switch (op->kind) {

    case NGX_CEREBRO_STORE_RANGE:
        return ngx_cerebro_cache_range_start(cc, mcf);

    case NGX_CEREBRO_STORE_TABLES:
    case NGX_CEREBRO_STORE_DAY:
    case NGX_CEREBRO_STORE_BY_PHONE:
        p = ngx_cerebro_cache_key(op, &cc->prefix, cc->key);
        if (p == NULL) {
            return ngx_cerebro_store_run(op);
        }

        *p = '\0';

        p = ngx_cpymem(cc->fill, cc->prefix.data, cc->prefix.len);
        p = ngx_cpymem(p, "fill:", sizeof("fill:") - 1);
        ngx_cpystrn(p, cc->key + cc->prefix.len,
                    NGX_CEREBRO_CACHE_KEY_LEN - (p - cc->fill));

        scf = ngx_http_get_module_main_conf(op->request,
                                            ngx_cerebro_store_module);
        backend = scf->backend;
        cc->ttl = op->kind != NGX_CEREBRO_STORE_TABLES
                  ? NGX_CEREBRO_CACHE_DAY_TTL
                  : backend && backend->own_tables
                  ? NGX_CEREBRO_CACHE_OWN_TABLES_TTL
                  : NGX_CEREBRO_CACHE_TABLES_TTL;
        cc->phase = NGX_CEREBRO_CACHE_GET;

        if (ngx_cerebro_cache_kv(cc, NGX_CEREBRO_KV_GET, cc->key) != NGX_OK) {
            return ngx_cerebro_cache_backend(cc, op->kind);
        }

        return NGX_OK;

    case NGX_CEREBRO_STORE_UPDATE:
        /* a move touches the day it leaves: learn it first */
        cc->phase = NGX_CEREBRO_CACHE_OLD;
        return ngx_cerebro_cache_backend(cc, NGX_CEREBRO_STORE_GET);

    default:
        if (op->kind == NGX_CEREBRO_STORE_CREATE) {
            ngx_cerebro_cache_add_day(cc, &op->booking.when.date);
            ngx_cerebro_cache_add_phone(cc, op->booking.client_phone);
        }

        cc->phase = NGX_CEREBRO_CACHE_WRITE;
        return ngx_cerebro_cache_backend(cc, op->kind);
    }
}


/*
 * The key of a read of one entry (the tables, a day, a guest), without
 * its NUL; NULL when the op has no key (a bad date, a number not E.164).
 */
static u_char *
ngx_cerebro_cache_key(ngx_cerebro_store_op_t *op, ngx_str_t *prefix,
    u_char *buf)
{
    switch (op->kind) {

    case NGX_CEREBRO_STORE_TABLES:
        return ngx_sprintf(buf, "%Vtables", prefix);

    case NGX_CEREBRO_STORE_BY_PHONE:
        /* the callers' numbers are E.164 already: "+34600111222" */
        if (op->phone[0] != '+'
            || ngx_strlen(op->phone)
               > NGX_CEREBRO_CACHE_KEY_LEN - prefix->len - 8)
        {
            return NULL;
        }

        return ngx_sprintf(buf, "%Vphone:%s", prefix, op->phone);

    case NGX_CEREBRO_STORE_DAY:
        if (!cerebro_date_valid(&op->date)) {
            return NULL;
        }

        return ngx_cerebro_cache_day_key(buf, prefix, &op->date);

    default:
        return NULL;
    }
}


/*
 * A hit answered at once, with none of the machinery a miss needs: from
 * this worker's memory when Redis has told of no change since it read the
 * entry (the near cache), or, with no Redis, from the host's zone.
 * NGX_DECLINED: the usual way.
 */
static ngx_int_t
ngx_cerebro_cache_local_hit(ngx_cerebro_store_op_t *op,
    ngx_cerebro_main_conf_t *mcf)
{
    u_char                    *p, key[NGX_CEREBRO_CACHE_KEY_LEN];
    ngx_str_t                  k, value;
    ngx_cerebro_net_conf_t    *ncf;
    ngx_cerebro_cache_blob_t  *blob;

    ncf = ngx_http_get_module_main_conf(op->request, ngx_cerebro_net_module);

    p = ngx_cerebro_cache_key(op, &mcf->cache_prefix, key);
    if (p == NULL) {
        return NGX_DECLINED;
    }

    *p = '\0';

    if (op->kind != NGX_CEREBRO_STORE_TABLES) {
        blob = ngx_cerebro_cache_near(op, key,
                                      ngx_cerebro_kv_near_epoch(ncf));
        ngx_cerebro_metric_inc(NGX_CEREBRO_M_CACHE, "near",
                               blob ? "hit" : "miss");
        if (blob) {
            ngx_cerebro_cache_serve(op, blob);
            ngx_cerebro_store_finish(op);
            return NGX_OK;
        }
    }

    k.data = key;
    k.len = p - key;

    if (ngx_cerebro_kv_get_local(ncf, &k, op->request->pool, &value)
        != NGX_OK
        || ngx_cerebro_cache_decode(op, key, &value, 0) != NGX_OK)
    {
        return NGX_DECLINED;
    }

    ngx_cerebro_metric_inc(NGX_CEREBRO_M_CACHE, "shm", "hit");
    ngx_cerebro_store_finish(op);

    return NGX_OK;
}


/*
 * A range of whole local days is read from the days' entries, all of them
 * in one MGET; any other range (or a longer one) goes to the backend.
 */
static ngx_int_t
ngx_cerebro_cache_range_start(ngx_cerebro_cache_t *cc,
    ngx_cerebro_main_conf_t *mcf)
{
    u_char                  *p;
    int64_t                  ndays;
    ngx_uint_t               i;
    cerebro_date_t           day;
    cerebro_local_t          from, to;
    ngx_cerebro_store_op_t  *op;

    op = cc->op;

    cerebro_tz_to_local(&mcf->model->tz, op->from, &from);
    cerebro_tz_to_local(&mcf->model->tz, op->to, &to);

    ndays = cerebro_days_from_civil(to.date.year, to.date.month, to.date.day)
            - cerebro_days_from_civil(from.date.year, from.date.month,
                                      from.date.day);

    if (ndays < 1 || ndays > NGX_CEREBRO_CACHE_RANGE_DAYS
        || cerebro_tz_from_local(&mcf->model->tz, &from.date, 0, NULL)
           != op->from
        || cerebro_tz_from_local(&mcf->model->tz, &to.date, 0, NULL)
           != op->to)
    {
        if (op->cache_only) {
            return ngx_cerebro_store_decline(op, "not a range of days");
        }

        return ngx_cerebro_store_run(op);
    }

    cc->nrange = (ngx_uint_t) ndays;
    cc->first = from.date;
    cc->missing = (uint32_t) ((1ULL << cc->nrange) - 1);
    cc->ttl = NGX_CEREBRO_CACHE_DAY_TTL;

    cc->range = ngx_palloc(op->request->pool,
                           cc->nrange * (sizeof(ngx_str_t)
                                         + NGX_CEREBRO_CACHE_KEY_LEN));
    if (cc->range == NULL) {
        return NGX_ERROR;
    }

    p = (u_char *) &cc->range[cc->nrange];

    for (i = 0; i < cc->nrange; i++) {
        day = cerebro_date_add_days(&cc->first, (int) i);
        cc->range[i].data = p;
        cc->range[i].len = ngx_cerebro_cache_day_key(p, &cc->prefix, &day)
                           - p;
        p[cc->range[i].len] = '\0';
        p += NGX_CEREBRO_CACHE_KEY_LEN;
    }

    /* the first key names the range in the logs; the lock is the range's */
    ngx_cpystrn(cc->key, cc->range[0].data, NGX_CEREBRO_CACHE_KEY_LEN);
    *ngx_sprintf(cc->fill, "%Vfill:range:%04d-%02d-%02d+%ui", &cc->prefix,
                 cc->first.year, cc->first.month, cc->first.day, cc->nrange)
        = '\0';

    if (ngx_cerebro_cache_near_range(cc) == NGX_OK) {
        ngx_cerebro_store_finish(op);
        return NGX_OK;
    }

    if (op->cache_only
        && ngx_cerebro_kv_near_epoch(ngx_http_get_module_main_conf(
                                         op->request, ngx_cerebro_net_module)))
    {
        /* what this worker does not hold is not worth a round trip ahead */
        return ngx_cerebro_store_decline(op, "not in the near cache");
    }

    cc->phase = NGX_CEREBRO_CACHE_GET;

    if (ngx_cerebro_cache_kv(cc, NGX_CEREBRO_KV_GET, cc->key) != NGX_OK) {
        if (op->cache_only) {
            return ngx_cerebro_store_decline(op,
                                             "the cache cannot be asked");
        }

        return ngx_cerebro_cache_backend(cc, op->kind);
    }

    return NGX_OK;
}


/* without ngx_sprintf: a read makes a fortnight of them on every call */
static u_char *
ngx_cerebro_cache_day_key(u_char *buf, ngx_str_t *prefix,
    const cerebro_date_t *d)
{
    buf = ngx_cpymem(buf, prefix->data, prefix->len);
    buf = ngx_cpymem(buf, "day:", sizeof("day:") - 1);

    return buf + cerebro_date_format_iso((char *) buf,
                                         sizeof("YYYY-MM-DD"), d);
}


static ngx_int_t
ngx_cerebro_cache_kv(ngx_cerebro_cache_t *cc, ngx_cerebro_kv_kind_e kind,
    u_char *key)
{
    ngx_cerebro_kv_op_t  *kv;

    kv = &cc->kv;

    ngx_cerebro_kv_op_init(kv);

    kv->request = cc->op->request;
    kv->kind = kind;
    kv->key.data = key;
    kv->key.len = ngx_strlen(key);
    kv->done = ngx_cerebro_cache_kv_done;
    kv->data = cc;

    if (kind == NGX_CEREBRO_KV_LOCK) {
        /* a filler that dies frees the others when its lock expires */
        kv->ttl = cc->op->deadline;
    }

    if (kind == NGX_CEREBRO_KV_DEL) {
        kv->keys = cc->stale;
        kv->nkeys = cc->nstale;
    }

    if (kind == NGX_CEREBRO_KV_GET) {
        /* what this read brings may be trusted if nothing changes first */
        cc->epoch = ngx_cerebro_kv_near_epoch(
                        ngx_http_get_module_main_conf(cc->op->request,
                                                      ngx_cerebro_net_module));

        if (cc->nrange) {
            kv->kind = NGX_CEREBRO_KV_MGET;
            kv->keys = cc->range;
            kv->nkeys = cc->nrange;
        }
    }

    return ngx_cerebro_kv_start(kv);
}


static void
ngx_cerebro_cache_kv_done(ngx_cerebro_kv_op_t *kv)
{
    ngx_cerebro_cache_t  *cc = kv->data;

    ngx_uint_t               hit;
    ngx_cerebro_store_op_t  *op;

    op = cc->op;

    switch (cc->phase) {

    case NGX_CEREBRO_CACHE_GET:
    case NGX_CEREBRO_CACHE_WAIT:

        hit = ngx_cerebro_cache_hit(cc, kv) == NGX_OK;

        if (cc->phase == NGX_CEREBRO_CACHE_GET) {
            ngx_cerebro_metric_inc(NGX_CEREBRO_M_CACHE,
                                   ngx_cerebro_cache_layer(kv),
                                   hit ? "hit" : "miss");
        }

        if (hit) {
            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, op->request->connection->log,
                           0, "cerebro: cache hit \"%s\" from %s", cc->key,
                           kv->backend);
            ngx_cerebro_store_finish(op);
            return;
        }

        if (op->cache_only) {
            /* read ahead, and not cached: the store is asked if needed */
            cerebro_store_error_set(&op->error, CEREBRO_STORE_UNAVAILABLE,
                                    "not cached");
            ngx_cerebro_store_finish(op);
            return;
        }

        if (kv->rc == NGX_CEREBRO_KV_ERROR) {
            break;
        }

        if (cc->phase == NGX_CEREBRO_CACHE_WAIT
            && (ngx_msec_int_t) (cc->give_up - ngx_current_msec) <= 0)
        {
            /* the filler is slow or gone: read it ourselves */
            break;
        }

        /*
         * A waiter asks for the lock again: a filler that could not store
         * the value (a full zone, a Redis error) has released it, and then
         * one waiter reads instead of all of them polling till give_up.
         */
        cc->phase = NGX_CEREBRO_CACHE_LOCK;

        if (ngx_cerebro_cache_kv(cc, NGX_CEREBRO_KV_LOCK, cc->fill) != NGX_OK)
        {
            break;
        }

        return;

    case NGX_CEREBRO_CACHE_LOCK:

        if (kv->rc == NGX_CEREBRO_KV_OK) {
            cc->locked = 1;
            ngx_memcpy(cc->unlock.token, kv->token, NGX_CEREBRO_KV_TOKEN_LEN);

            /*
             * The previous filler may have stored the value and released
             * the lock between our miss and our lock: look once more.
             */
            cc->phase = NGX_CEREBRO_CACHE_RECHECK;

            if (ngx_cerebro_cache_kv(cc, NGX_CEREBRO_KV_GET, cc->key)
                == NGX_OK)
            {
                return;
            }

            break;
        }

        if (kv->rc == NGX_CEREBRO_KV_NONE) {
            /* another worker or host fills it: wait for its value */
            if (cc->interval == 0) {
                cc->give_up = ngx_current_msec
                              + ngx_min(op->deadline / 2,
                                        NGX_CEREBRO_CACHE_WAIT_MAX);
                cc->interval = NGX_CEREBRO_CACHE_POLL_MIN;

            } else {
                /* a store read takes a few ms: look often, then less */
                cc->interval = ngx_min(cc->interval * 2,
                                       NGX_CEREBRO_CACHE_POLL_MAX);
            }

            cc->phase = NGX_CEREBRO_CACHE_WAIT;
            ngx_add_timer(&cc->poll, cc->interval);
            return;
        }

        break;

    case NGX_CEREBRO_CACHE_RECHECK:
        if (ngx_cerebro_cache_hit(cc, kv) == NGX_OK) {
            ngx_cerebro_cache_unlock(cc);
            ngx_cerebro_store_finish(op);
            return;
        }

        break;

    case NGX_CEREBRO_CACHE_DEL:
        if (kv->rc == NGX_CEREBRO_KV_ERROR) {
            ngx_log_error(NGX_LOG_WARN, op->request->connection->log, 0,
                          "cerebro: cached days could not be invalidated "
                          "(%s): they may be stale for up to %M s",
                          kv->error ? kv->error : "error",
                          (ngx_msec_t) NGX_CEREBRO_CACHE_DAY_TTL / 1000);
        }

        ngx_cerebro_cache_answer(cc);
        return;

    default:
        return;
    }

    /* a miss (filling or not), or the cache failed: the backend reads */
    cc->phase = NGX_CEREBRO_CACHE_READ;

    if (ngx_cerebro_cache_backend(cc, op->kind) != NGX_OK) {
        cerebro_store_error_set(&op->error, CEREBRO_STORE_UNAVAILABLE,
                                "no memory for the store operation");
        ngx_cerebro_store_finish(op);
    }
}


/* NGX_OK: op is answered from the cache (every day, for a range). */
static ngx_int_t
ngx_cerebro_cache_hit(ngx_cerebro_cache_t *cc, ngx_cerebro_kv_op_t *kv)
{
    if (kv->rc != NGX_CEREBRO_KV_OK) {
        return NGX_DECLINED;
    }

    if (cc->nrange) {
        return ngx_cerebro_cache_decode_range(cc, kv->items);
    }

    return ngx_cerebro_cache_decode(cc->op, cc->key, &kv->result,
                                    ngx_cerebro_cache_trust(cc));
}


static void
ngx_cerebro_cache_poll(ngx_event_t *ev)
{
    ngx_cerebro_cache_t *cc = ev->data;

    if (ngx_cerebro_cache_kv(cc, NGX_CEREBRO_KV_GET, cc->key) != NGX_OK) {
        cc->phase = NGX_CEREBRO_CACHE_READ;

        if (ngx_cerebro_cache_backend(cc, cc->op->kind) != NGX_OK) {
            cerebro_store_error_set(&cc->op->error,
                                    CEREBRO_STORE_UNAVAILABLE,
                                    "no memory for the store operation");
            ngx_cerebro_store_finish(cc->op);
        }
    }
}


/* The backend runs kind on a copy of the caller's arguments. */
static ngx_int_t
ngx_cerebro_cache_backend(ngx_cerebro_cache_t *cc,
    ngx_cerebro_store_kind_e kind)
{
    ngx_cerebro_store_op_t  *inner;

    inner = &cc->inner;

    ngx_memcpy(inner, cc->op, sizeof(ngx_cerebro_store_op_t));

    inner->kind = kind;
    inner->done = ngx_cerebro_cache_backend_done;
    inner->data = cc;
    inner->finished = 0;
    inner->held = 0;            /* the caller's op holds the request */
    inner->backend = NULL;

    ngx_memzero(&inner->wakeup, sizeof(ngx_event_t));

    if (ngx_cerebro_store_arm(inner) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_cerebro_store_run(inner);
}


static void
ngx_cerebro_cache_backend_done(ngx_cerebro_store_op_t *inner)
{
    ngx_cerebro_cache_t *cc = inner->data;

    ngx_cerebro_store_op_t  *op;

    op = cc->op;

    switch (cc->phase) {

    case NGX_CEREBRO_CACHE_OLD:
        if (inner->error.kind == CEREBRO_STORE_OK) {
            ngx_cerebro_cache_add_start(cc, inner->reservation.start);
            ngx_cerebro_cache_add_phone(cc, inner->reservation.client_phone);
        }

        cc->phase = NGX_CEREBRO_CACHE_WRITE;

        if (ngx_cerebro_cache_backend(cc, NGX_CEREBRO_STORE_UPDATE)
            != NGX_OK)
        {
            cerebro_store_error_set(&op->error, CEREBRO_STORE_UNAVAILABLE,
                                    "no memory for the store operation");
            ngx_cerebro_store_finish(op);
        }

        return;

    case NGX_CEREBRO_CACHE_READ:
        if (inner->error.kind == CEREBRO_STORE_OK) {
            ngx_cerebro_cache_fill(cc);

        } else if (cc->locked) {
            ngx_cerebro_cache_unlock(cc);
        }

        ngx_cerebro_cache_answer(cc);
        return;

    case NGX_CEREBRO_CACHE_WRITE:
        ngx_cerebro_cache_invalidate(cc);
        return;

    default:
        return;
    }
}


/*
 * SET then UNLOCK, pipelined on one connection: the waiters see the value
 * before the lock goes.  Nobody waits for their replies: the answer goes
 * out now, and a request gone meanwhile leaves the commands to finish.
 */
static void
ngx_cerebro_cache_fill(ngx_cerebro_cache_t *cc)
{
    ngx_str_t             value;
    ngx_http_request_t   *r;
    ngx_cerebro_kv_op_t  *set;

    r = cc->op->request;
    set = &cc->set;

    if (cc->nrange) {
        ngx_cerebro_cache_fill_range(cc);

    } else if (ngx_cerebro_cache_encode(&cc->inner, r->pool, &value)
               == NGX_OK)
    {
        ngx_cerebro_kv_op_init(set);
        set->request = r;
        set->kind = NGX_CEREBRO_KV_SET;
        set->key.data = cc->key;
        set->key.len = ngx_strlen(cc->key);
        set->value = value;
        set->ttl = cc->ttl;
        set->done = ngx_cerebro_cache_noop;

        (void) ngx_cerebro_kv_start(set);
    }

    if (cc->locked) {
        ngx_cerebro_cache_unlock(cc);
    }
}


/*
 * A range read fills the days that missed, each as its own entry, so
 * that the next range and the next reads of those days hit.
 */
static void
ngx_cerebro_cache_fill_range(ngx_cerebro_cache_t *cc)
{
    int64_t                   from, to;
    ngx_str_t                 value;
    ngx_uint_t                i;
    cerebro_date_t            day;
    ngx_http_request_t       *r;
    ngx_cerebro_kv_op_t      *set;
    ngx_cerebro_main_conf_t  *mcf;

    r = cc->op->request;
    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    /* a read cut at the store's limit does not know its last days whole */
    if (cc->inner.nbookings >= NGX_CEREBRO_STORE_MAX_BOOKINGS
        || cc->missing == 0)
    {
        return;
    }

    /* zeroed: the private part of a kv op must start clean */
    set = ngx_pcalloc(r->pool, cc->nrange * sizeof(ngx_cerebro_kv_op_t));
    if (set == NULL) {
        return;
    }

    for (i = 0; i < cc->nrange; i++) {
        if (!(cc->missing & (1U << i))) {
            continue;
        }

        day = cerebro_date_add_days(&cc->first, (int) i);
        from = cerebro_tz_from_local(&mcf->model->tz, &day, 0, NULL);
        day = cerebro_date_add_days(&cc->first, (int) i + 1);
        to = cerebro_tz_from_local(&mcf->model->tz, &day, 0, NULL);

        if (ngx_cerebro_cache_encode_day(cc->inner.bookings,
                                         cc->inner.nbookings, from, to,
                                         r->pool, &value)
            != NGX_OK)
        {
            return;
        }

        ngx_cerebro_kv_op_init(&set[i]);
        set[i].request = r;
        set[i].kind = NGX_CEREBRO_KV_SET;
        set[i].key = cc->range[i];
        set[i].value = value;
        set[i].ttl = cc->ttl;
        set[i].done = ngx_cerebro_cache_noop;

        (void) ngx_cerebro_kv_start(&set[i]);
    }
}


static void
ngx_cerebro_cache_unlock(ngx_cerebro_cache_t *cc)
{
    ngx_cerebro_kv_op_t  *unlock;

    unlock = &cc->unlock;

    /* the token LOCK made stays: it is what proves the lock is ours */
    ngx_cerebro_kv_op_init(unlock);
    unlock->request = cc->op->request;
    unlock->kind = NGX_CEREBRO_KV_UNLOCK;
    unlock->key.data = cc->fill;
    unlock->key.len = ngx_strlen(cc->fill);
    unlock->done = ngx_cerebro_cache_noop;

    (void) ngx_cerebro_kv_start(unlock);
    cc->locked = 0;
}


static void
ngx_cerebro_cache_noop(ngx_cerebro_kv_op_t *kv)
{
}


/*
 * A write that succeeded, or whose outcome is unknown (it may have
 * landed), deletes the days it touched before the caller hears of it, so
 * that the caller's next read sees its own write.
 */
static void
ngx_cerebro_cache_invalidate(ngx_cerebro_cache_t *cc)
{
    ngx_cerebro_store_op_t  *inner;

    inner = &cc->inner;

    if (inner->error.kind != CEREBRO_STORE_OK
        && inner->error.kind != CEREBRO_STORE_UNAVAILABLE)
    {
        ngx_cerebro_cache_answer(cc);
        return;
    }

    if (inner->error.kind == CEREBRO_STORE_OK) {
        ngx_cerebro_cache_add_start(cc, inner->reservation.start);
        ngx_cerebro_cache_add_phone(cc, inner->reservation.client_phone);
    }

    if (cc->nstale == 0) {
        ngx_cerebro_cache_answer(cc);
        return;
    }

    cc->phase = NGX_CEREBRO_CACHE_DEL;

    if (ngx_cerebro_cache_kv(cc, NGX_CEREBRO_KV_DEL, cc->stale[0].data)
        != NGX_OK)
    {
        ngx_cerebro_cache_answer(cc);
    }
}


static void
ngx_cerebro_cache_add_start(ngx_cerebro_cache_t *cc, int64_t start)
{
    cerebro_local_t           local;
    ngx_cerebro_main_conf_t  *mcf;

    if (start <= 0) {
        return;
    }

    mcf = ngx_http_get_module_main_conf(cc->op->request, ngx_cerebro_module);

    cerebro_tz_to_local(&mcf->model->tz, start, &local);

    ngx_cerebro_cache_add_day(cc, &local.date);
}


static void
ngx_cerebro_cache_add_day(ngx_cerebro_cache_t *cc, const cerebro_date_t *d)
{
    if (!cerebro_date_valid(d) || cc->nstale == NGX_CEREBRO_CACHE_STALE) {
        return;
    }

    ngx_cerebro_cache_add_stale(cc,
        ngx_cerebro_cache_day_key(cc->stale_keys[cc->nstale], &cc->prefix,
                                  d));
}


/*
 * A guest's entry is keyed by the number as the callers normalise it; a
 * record written by hand ("600 11 12 22") is normalised the same way.
 */
static void
ngx_cerebro_cache_add_phone(ngx_cerebro_cache_t *cc, const char *phone)
{
    char  e164[CEREBRO_REC_PHONE_LEN];

    if (phone == NULL || phone[0] == '\0'
        || cc->nstale == NGX_CEREBRO_CACHE_STALE
        || cerebro_phone_normalize(phone, ngx_strlen(phone),
                                   ngx_cerebro_store_model(cc->op->request)
                                       ->country_code,
                                   e164, sizeof(e164), NULL)
           != CEREBRO_PHONE_OK
        || ngx_strlen(e164) > NGX_CEREBRO_CACHE_KEY_LEN - cc->prefix.len - 8)
    {
        return;
    }

    ngx_cerebro_cache_add_stale(cc,
        ngx_sprintf(cc->stale_keys[cc->nstale], "%Vphone:%s", &cc->prefix,
                    e164));
}


/* The key just written at the next free place, unless it is there. */
static void
ngx_cerebro_cache_add_stale(ngx_cerebro_cache_t *cc, u_char *last)
{
    u_char      *p;
    ngx_uint_t   i;

    p = cc->stale_keys[cc->nstale];
    *last = '\0';

    cc->stale[cc->nstale].data = p;
    cc->stale[cc->nstale].len = last - p;

    for (i = 0; i < cc->nstale; i++) {
        if (cc->stale[i].len == cc->stale[cc->nstale].len
            && ngx_strcmp(cc->stale[i].data, p) == 0)
        {
            return;
        }
    }

    cc->nstale++;
}


/* The backend's outcome becomes the caller's, and the caller is told. */
static void
ngx_cerebro_cache_answer(ngx_cerebro_cache_t *cc)
{
    unsigned                 finished, held;
    void                    *data, *backend;
    ngx_msec_t               deadline;
    ngx_event_t              wakeup;
    ngx_http_request_t      *r;
    ngx_cerebro_store_op_t  *op;
    ngx_cerebro_store_kind_e kind;
    ngx_cerebro_store_done_pt  done;

    op = cc->op;

    r = op->request;
    kind = op->kind;
    deadline = op->deadline;
    done = op->done;
    data = op->data;
    wakeup = op->wakeup;
    backend = op->backend;
    finished = op->finished;
    held = op->held;

    ngx_memcpy(op, &cc->inner, sizeof(ngx_cerebro_store_op_t));

    op->request = r;
    op->kind = kind;
    op->deadline = deadline;
    op->done = done;
    op->data = data;
    op->wakeup = wakeup;
    op->backend = backend;
    op->finished = finished;
    op->held = held;

    ngx_cerebro_store_finish(op);
}


static void
ngx_cerebro_cache_cleanup(void *data)
{
    ngx_cerebro_cache_t *cc = data;

    if (cc->poll.timer_set) {
        ngx_del_timer(&cc->poll);
    }
}


/* The cached value: the codec's binary form, in the request's pool. */
static ngx_int_t
ngx_cerebro_cache_encode(ngx_cerebro_store_op_t *op, ngx_pool_t *pool,
    ngx_str_t *out)
{
    size_t  size;

    if (op->kind != NGX_CEREBRO_STORE_TABLES) {
        return ngx_cerebro_cache_encode_day(op->bookings, op->nbookings,
                                            INT64_MIN, INT64_MAX, pool, out);
    }

    size = cerebro_cache_tables_encode(op->tables, op->ntables, op->groups,
                                       op->ngroups, NULL, 0);
    if (size == 0) {
        return NGX_ERROR;
    }

    out->data = ngx_pnalloc(pool, size);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    out->len = cerebro_cache_tables_encode(op->tables, op->ntables,
                                           op->groups, op->ngroups,
                                           out->data, size);

    return NGX_OK;
}


/* A day: the bookings starting in [from, to). */
static ngx_int_t
ngx_cerebro_cache_encode_day(cerebro_reservation_t *recs, int n,
    int64_t from, int64_t to, ngx_pool_t *pool, ngx_str_t *out)
{
    size_t  size;

    size = cerebro_cache_day_encode(recs, n, from, to, NULL, 0);
    if (size == 0) {
        return NGX_ERROR;
    }

    out->data = ngx_pnalloc(pool, size);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    out->len = cerebro_cache_day_encode(recs, n, from, to, out->data, size);

    return NGX_OK;
}


/* the metrics' name of the layer that answered */
static const char *
ngx_cerebro_cache_layer(ngx_cerebro_kv_op_t *kv)
{
    return (kv->backend && ngx_strcmp(kv->backend, "redis") == 0)
           ? "redis" : "shm";
}


/* Anything unexpected is a miss, never a wrong answer. */
static ngx_int_t
ngx_cerebro_cache_decode(ngx_cerebro_store_op_t *op, u_char *key,
    ngx_str_t *in, ngx_uint_t epoch)
{
    ngx_pool_t                *pool;
    ngx_cerebro_cache_blob_t  *blob;

    pool = op->request->pool;

    if (op->kind == NGX_CEREBRO_STORE_TABLES) {
        op->tables = ngx_palloc(pool, CEREBRO_MAX_TABLES
                                      * sizeof(cerebro_table_rec_t));
        op->groups = ngx_palloc(pool, CEREBRO_MAX_GROUPS
                                      * sizeof(cerebro_group_rec_t));
        if (op->tables == NULL || op->groups == NULL
            || cerebro_cache_tables_decode(in->data, in->len, op->tables,
                                           CEREBRO_MAX_TABLES, &op->ntables,
                                           op->groups, CEREBRO_MAX_GROUPS,
                                           &op->ngroups)
               != 0)
        {
            return NGX_ERROR;
        }

        op->error.kind = CEREBRO_STORE_OK;

        return NGX_OK;
    }

    blob = ngx_cerebro_cache_memo_get(op, key, in, epoch);
    if (blob == NULL) {
        return NGX_ERROR;
    }

    ngx_cerebro_cache_serve(op, blob);

    return NGX_OK;
}


/*
 * Every day of a range cached: their bookings, in date order, copied
 * into one array.  A day missing or unreadable is noted, for the fill.
 */
static ngx_int_t
ngx_cerebro_cache_decode_range(ngx_cerebro_cache_t *cc, ngx_array_t *items)
{
    ngx_str_t                 *value;
    ngx_uint_t                 i, epoch;
    ngx_cerebro_cache_blob_t  *blob[NGX_CEREBRO_CACHE_RANGE_DAYS];

    if (items == NULL || items->nelts != cc->nrange) {
        return NGX_ERROR;
    }

    value = items->elts;
    epoch = ngx_cerebro_cache_trust(cc);
    cc->missing = 0;

    for (i = 0; i < cc->nrange; i++) {
        blob[i] = value[i].data
                  ? ngx_cerebro_cache_memo_get(cc->op, cc->range[i].data,
                                               &value[i], epoch)
                  : NULL;

        if (blob[i] == NULL) {
            cc->missing |= 1U << i;
        }
    }

    if (cc->missing) {
        return NGX_DECLINED;
    }

    return ngx_cerebro_cache_assemble(cc, blob);
}


/* The range's days, each decoded, into one array of bookings. */
static ngx_int_t
ngx_cerebro_cache_assemble(ngx_cerebro_cache_t *cc,
    ngx_cerebro_cache_blob_t **blob)
{
    int                        total;
    ngx_uint_t                 i;
    cerebro_booking_t         *e;
    cerebro_reservation_t     *p;
    ngx_cerebro_store_op_t    *op;

    op = cc->op;
    total = 0;

    for (i = 0; i < cc->nrange; i++) {
        total += blob[i]->nbookings;
    }

    /* past the store's limit the backend decides what a caller gets */
    if (total > NGX_CEREBRO_STORE_MAX_BOOKINGS) {
        cc->missing = (uint32_t) ((1ULL << cc->nrange) - 1);
        return NGX_DECLINED;
    }

    p = ngx_palloc(op->request->pool,
                   (total + 1) * sizeof(cerebro_reservation_t));
    e = ngx_palloc(op->request->pool,
                   (total + 1) * sizeof(cerebro_booking_t));
    if (p == NULL || e == NULL) {
        return NGX_ERROR;
    }

    op->bookings = p;
    op->nbookings = total;
    op->engine = e;
    op->nengine = 0;

    for (i = 0; i < cc->nrange; i++) {
        ngx_memcpy(p, blob[i]->bookings,
                   blob[i]->nbookings * sizeof(cerebro_reservation_t));
        p += blob[i]->nbookings;

        ngx_memcpy(e, blob[i]->engine,
                   blob[i]->nengine * sizeof(cerebro_booking_t));
        e += blob[i]->nengine;
        op->nengine += blob[i]->nengine;
    }

    op->error.kind = CEREBRO_STORE_OK;

    return NGX_OK;
}


/*
 * The epoch to trust what a GET just read with: the one the GET was sent
 * in, if nothing changed since; 0 otherwise.
 */
static ngx_uint_t
ngx_cerebro_cache_trust(ngx_cerebro_cache_t *cc)
{
    ngx_cerebro_net_conf_t  *ncf;

    if (cc->epoch == 0) {
        return 0;
    }

    ncf = ngx_http_get_module_main_conf(cc->op->request,
                                        ngx_cerebro_net_module);

    return ngx_cerebro_kv_near_epoch(ncf) == cc->epoch ? cc->epoch : 0;
}


/* Every day of the range from the near cache, or NGX_DECLINED. */
static ngx_int_t
ngx_cerebro_cache_near_range(ngx_cerebro_cache_t *cc)
{
    ngx_uint_t                 i, epoch;
    ngx_cerebro_cache_blob_t  *blob[NGX_CEREBRO_CACHE_RANGE_DAYS];

    epoch = ngx_cerebro_kv_near_epoch(
                ngx_http_get_module_main_conf(cc->op->request,
                                              ngx_cerebro_net_module));

    for (i = 0; i < cc->nrange; i++) {
        blob[i] = ngx_cerebro_cache_near(cc->op, cc->range[i].data, epoch);

        if (blob[i] == NULL) {
            return NGX_DECLINED;
        }
    }

    return ngx_cerebro_cache_assemble(cc, blob);
}
