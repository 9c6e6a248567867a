
/*
 * The key-value layer every part of the module uses for its shared state:
 * cache, single flight, locks, idempotency keys, counters and conversation
 * memory.  Redis (REDIS_URL) when it is configured and answering; the
 * host's shared memory zone otherwise, operation by operation, so that no
 * request fails because Redis did.
 *
 * Asynchronous, like the store: fill an op, ngx_cerebro_kv_start(op), and
 * op->done(op) runs later from the event loop, exactly once, never from
 * inside start.  From a request: set op->request (its pool and log are
 * used, and everything is undone if the request goes away first).  From a
 * worker timer: op->request NULL, op->pool and op->log set; destroying
 * op->pool likewise cancels the op.
 */

#ifndef _NGX_CEREBRO_KV_H_INCLUDED_
#define _NGX_CEREBRO_KV_H_INCLUDED_


#include "ngx_cerebro_net.h"


/* a local Redis answers in well under a millisecond */
#define NGX_CEREBRO_KV_TIMEOUT     300
#define NGX_CEREBRO_KV_TOKEN_LEN   32          /* hex of 16 random bytes */


typedef enum {
    NGX_CEREBRO_KV_GET = 0,
    NGX_CEREBRO_KV_SET,            /* value, ttl (0: none), nx */
    NGX_CEREBRO_KV_DEL,            /* key, or keys[nkeys] */
    NGX_CEREBRO_KV_LOCK,           /* SET key <random token> NX PX ttl */
    NGX_CEREBRO_KV_UNLOCK,         /* delete key if it still holds token */
    NGX_CEREBRO_KV_INCR,           /* +1; expires ttl after it is made */
    NGX_CEREBRO_KV_PUSH,           /* list: append value, keep the last
                                      cap items, expire ttl from now */
    NGX_CEREBRO_KV_RANGE,          /* list: the last cap items (0: all) */
    NGX_CEREBRO_KV_MGET,           /* keys[nkeys] in one round trip: items
                                      in their order, len 0 and data NULL
                                      for a missing key; rc OK */
    NGX_CEREBRO_KV_RATE            /* Redis only (the limiter's): a send
                                      slot of key, at most cap in any ttl
                                      ms, unless value (a key) holds a
                                      pause or the slot is more than wait
                                      ms away.  OK: number = ms to the
                                      slot; NONE: number = -ms paused, or
                                      ms to the slot not taken */
} ngx_cerebro_kv_kind_e;


typedef enum {
    NGX_CEREBRO_KV_OK = 0,
    NGX_CEREBRO_KV_NONE,           /* not found, NX not set, lock held by
                                      another, unlock of a lock not ours */
    NGX_CEREBRO_KV_ERROR
} ngx_cerebro_kv_rc_e;


typedef struct ngx_cerebro_kv_op_s  ngx_cerebro_kv_op_t;

typedef void (*ngx_cerebro_kv_done_pt)(ngx_cerebro_kv_op_t *op);


struct ngx_cerebro_kv_op_s {
    /* the caller's */
    ngx_http_request_t        *request;
    ngx_pool_t                *pool;       /* request NULL: results land */
    ngx_log_t                 *log;        /* here, and this log is used */
    ngx_cerebro_kv_kind_e      kind;
    ngx_str_t                  key;
    ngx_str_t                 *keys;       /* DEL, MGET: several keys */
    ngx_uint_t                 nkeys;
    ngx_str_t                  value;
    ngx_msec_t                 ttl;
    ngx_uint_t                 nx;
    ngx_uint_t                 cap;
    ngx_msec_t                 timeout;    /* 0: NGX_CEREBRO_KV_TIMEOUT */
    ngx_msec_t                 wait;       /* RATE */
    ngx_cerebro_kv_done_pt     done;
    void                      *data;

    /* LOCK makes it, UNLOCK needs it: reuse the op, or copy it */
    u_char                     token[NGX_CEREBRO_KV_TOKEN_LEN];

    /* the outcome */
    ngx_cerebro_kv_rc_e        rc;
    ngx_str_t                  result;     /* GET, NUL-terminated */
    int64_t                    number;     /* INCR: value; DEL: deleted;
                                              PUSH: the list's length */
    ngx_array_t               *items;      /* RANGE: ngx_str_t, oldest
                                              first; MGET: by key */
    const char                *backend;    /* "redis", "shared memory" */
    const char                *error;      /* why not Redis, or why ERROR */

    /* private */
    ngx_event_t                wakeup;
    void                      *cmd;
    ngx_cerebro_kv_t          *kv;
    unsigned                   eval:1;     /* EVALSHA unknown: EVAL sent */
    unsigned                   finished:1;
};


/*
 * Configuration time: parses REDIS_URL (resolving its host now), adds the
 * shared memory zone, sets ncf->kv.  After the restaurant is loaded (the
 * near cache tracks its keys' prefix).
 */
ngx_int_t ngx_cerebro_kv_init_conf(ngx_conf_t *cf,
    ngx_cerebro_main_conf_t *mcf, ngx_cerebro_net_conf_t *ncf);

/* The worker's Redis connection: opened, closed. */
ngx_int_t ngx_cerebro_kv_init_process(ngx_cycle_t *cycle);
void ngx_cerebro_kv_exit_process(ngx_cycle_t *cycle);

/*
 * Zeroes the whole op but its token: an op that took a lock keeps the
 * token that releases it.  Only between two uses: ngx_cerebro_kv_start()
 * sets the outcome and private parts afresh, and a new field of the
 * caller's is zeroed wherever it is put.
 */
static ngx_inline void
ngx_cerebro_kv_op_init(ngx_cerebro_kv_op_t *op)
{
    u_char  token[NGX_CEREBRO_KV_TOKEN_LEN];

    ngx_memcpy(token, op->token, sizeof(token));
    ngx_memzero(op, sizeof(ngx_cerebro_kv_op_t));
    ngx_memcpy(op->token, token, sizeof(token));
}

/* Starts op; NGX_ERROR only when it could not begin (no memory). */
ngx_int_t ngx_cerebro_kv_start(ngx_cerebro_kv_op_t *op);

/*
 * For /health: "redis", "shared memory" (no Redis configured) or
 * "degraded" (Redis configured but down: *reason says why).
 */
const char *ngx_cerebro_kv_state(ngx_cerebro_net_conf_t *ncf,
    const char **reason);

/*
 * A GET answered now, when the host's zone is the only cache (no Redis
 * configured): NGX_OK with value; NGX_DECLINED when it is absent, the
 * zone failed, or only an asynchronous read can tell.
 */
ngx_int_t ngx_cerebro_kv_get_local(ngx_cerebro_net_conf_t *ncf,
    ngx_str_t *key, ngx_pool_t *pool, ngx_str_t *value);

/*
 * The near cache's epoch: a value read from Redis while it was current
 * may be reused, without asking Redis, as long as it still is.  0: no
 * near cache now (no Redis, or Redis not tracking our keys).
 */
ngx_uint_t ngx_cerebro_kv_near_epoch(ngx_cerebro_net_conf_t *ncf);

/*
 * Who keeps values read under the near cache is told of changes: these n
 * keys changed; keys NULL: forget everything.
 */
typedef void (*ngx_cerebro_kv_changed_pt)(ngx_str_t *keys, ngx_uint_t n);

void ngx_cerebro_kv_on_change(ngx_cerebro_net_conf_t *ncf,
    ngx_cerebro_kv_changed_pt handler);

/* Redis is configured and connected: a read costs a round trip. */
ngx_uint_t ngx_cerebro_kv_remote(ngx_cerebro_net_conf_t *ncf);

/*
 * Redis is configured, up or down: other hosts may share what is there,
 * and may have written it.
 */
ngx_uint_t ngx_cerebro_kv_shared(ngx_cerebro_net_conf_t *ncf);


#endif /* _NGX_CEREBRO_KV_H_INCLUDED_ */
