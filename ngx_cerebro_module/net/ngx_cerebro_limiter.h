
/*
 * Host-wide coordination of the workers in one nginx shared memory zone:
 * a request-rate limiter per upstream key (Airtable: 5 requests/s per
 * base, and a pause for every worker after a 429; both shared by every
 * host through Redis when REDIS_URL is set), and short-lived named
 * locks (a booking day) with an owner pid and an expiry, so that a crashed
 * worker's lock goes away by itself.
 *
 * The lock is asynchronous on purpose: with REDIS_URL set it is a Redis
 * lock shared by every host (SET NX PX with a random token through the
 * key-value layer, released by a compare-and-delete script), which falls
 * back to the host's shared memory while Redis is down; without Redis it
 * lives in this zone.
 */

#ifndef _NGX_CEREBRO_LIMITER_H_INCLUDED_
#define _NGX_CEREBRO_LIMITER_H_INCLUDED_


#include "ngx_cerebro_net.h"


#define NGX_CEREBRO_LIMITER_KEY_LEN    64
#define NGX_CEREBRO_LIMITER_NKEYS      8
#define NGX_CEREBRO_LIMITER_MAX_RATE   16
#define NGX_CEREBRO_LOCK_NLOCKS        128

/* Airtable: 5 requests per second per base; 429 means wait 30 s */
#define NGX_CEREBRO_AIRTABLE_RATE      5
#define NGX_CEREBRO_AIRTABLE_WINDOW    1000
#define NGX_CEREBRO_AIRTABLE_PAUSE     30000

/*
 * A lock never outlives VAPI's tool deadline (20 s by default): a host
 * that dies holding one frees the day before the caller's assistant gives
 * up on the next host.
 */
#define NGX_CEREBRO_LOCK_TTL_MAX       15000


/*
 * Creates the zone "cerebro_limiter" and sets ncf->limiter; called from
 * the net layer's init (ngx_cerebro_net.c).
 */
ngx_int_t ngx_cerebro_limiter_init_conf(ngx_conf_t *cf,
    ngx_cerebro_net_conf_t *ncf);


/*
 * Reserves the next request slot of key: at most rate requests in any
 * window of window ms (a sliding window kept as the last rate send times,
 * plus a safety margin for the trip to the upstream).
 *
 *   NGX_OK        *delay = 0: send now
 *   NGX_AGAIN     a slot is reserved *delay ms from now: send then
 *   NGX_BUSY      the key is paused (a 429) for *delay ms more; nothing
 *                 reserved
 *   NGX_DECLINED  the reserved slot would lie beyond max_wait ms; nothing
 *                 reserved (the caller's deadline comes first)
 *   NGX_ERROR     no zone, or no room for another key
 */
ngx_int_t ngx_cerebro_limiter_reserve(ngx_cerebro_limiter_t *limiter,
    ngx_str_t *key, ngx_uint_t rate, ngx_msec_t window, ngx_msec_t max_wait,
    ngx_msec_t *delay);

/* Pauses key for every worker of the host for ms from now. */
void ngx_cerebro_limiter_pause(ngx_cerebro_limiter_t *limiter, ngx_str_t *key,
    ngx_msec_t ms);

/* ms the key remains paused, or 0 */
ngx_msec_t ngx_cerebro_limiter_paused(ngx_cerebro_limiter_t *limiter,
    ngx_str_t *key);


/*
 * The same reservation for every host: with REDIS_URL set and Redis up, the
 * key's send slots and its pause live in Redis (one script, timed by
 * Redis's clock); otherwise, and whenever Redis fails, in the host's zone.
 */
typedef struct ngx_cerebro_rate_s  ngx_cerebro_rate_t;

/* rc and rt->delay as ngx_cerebro_limiter_reserve's */
typedef void (*ngx_cerebro_rate_handler_pt)(ngx_cerebro_rate_t *rt,
    ngx_int_t rc);

struct ngx_cerebro_rate_s {
    /* the caller's */
    ngx_cerebro_limiter_t        *limiter;     /* ncf->limiter */
    ngx_str_t                     key;         /* the base id */
    ngx_uint_t                    rate;
    ngx_msec_t                    window;
    ngx_msec_t                    max_wait;
    ngx_http_request_t           *request;     /* Redis's answer goes to it */
    ngx_cerebro_rate_handler_pt   handler;
    void                         *data;

    /* the outcome */
    ngx_msec_t                    delay;
    const char                   *backend;     /* "redis", "shared memory" */

    /* private */
    u_char                        keys[2][NGX_CEREBRO_LIMITER_KEY_LEN + 32];
};


/*
 * NGX_DONE: Redis was asked, handler runs later from the event loop
 * (never when the request went away first).  Anything else: the zone
 * answered now, as ngx_cerebro_limiter_reserve (rt->delay set), and
 * handler is not called.
 */
ngx_int_t ngx_cerebro_rate_reserve(ngx_cerebro_rate_t *rt);

/*
 * Pauses key for ms on every worker of the host and, with Redis, on every
 * host (fire and forget: the host's pause holds meanwhile).
 */
void ngx_cerebro_rate_pause(ngx_cerebro_limiter_t *limiter, ngx_str_t *key,
    ngx_msec_t ms);


typedef struct ngx_cerebro_lock_s  ngx_cerebro_lock_t;

/* rc: NGX_OK (held), NGX_BUSY (not before the deadline), NGX_ERROR */
typedef void (*ngx_cerebro_lock_handler_pt)(ngx_cerebro_lock_t *lk,
    ngx_int_t rc);

struct ngx_cerebro_lock_s {
    /* the caller's */
    ngx_cerebro_limiter_t        *limiter;     /* ncf->limiter */
    ngx_str_t                     key;         /* "airtable:appX:2026-11-28" */
    ngx_msec_t                    ttl;         /* expiry if never released */
    ngx_msec_t                    wait;        /* give up after, from now */
    ngx_log_t                    *log;
    ngx_cerebro_lock_handler_pt   handler;
    void                         *data;

    /* private */
    ngx_event_t                   retry;
    ngx_msec_t                    give_up;
    uint64_t                      token;
    void                         *remote;      /* the Redis lock's state */
    unsigned                      held:1;
    unsigned                      waiting:1;
};


/*
 * Starts taking the lock; handler runs later from the event loop, exactly
 * once (never from inside this call).  NGX_ERROR when it cannot start.
 * The caller keeps lk alive until handler ran or release was called, and
 * must call release in every path (a pool cleanup is the safe place):
 * release also stops a pending wait.
 */
ngx_int_t ngx_cerebro_lock_acquire(ngx_cerebro_lock_t *lk);

/* Releases a held lock (only ours: the token is checked); idempotent. */
void ngx_cerebro_lock_release(ngx_cerebro_lock_t *lk);

/*
 * Leaves a held lock to expire ms from now instead of releasing it: a
 * write whose outcome is unknown may still land, and the next writer must
 * not read before it does.
 */
void ngx_cerebro_lock_expire_in(ngx_cerebro_lock_t *lk, ngx_msec_t ms);


#endif /* _NGX_CEREBRO_LIMITER_H_INCLUDED_ */
