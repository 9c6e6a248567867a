
/*
 * The shared memory zone "cerebro_limiter": fixed tables, no allocation
 * after the zone is made, every access under the slab pool's mutex.  Times
 * are ngx_current_msec, nginx's monotonic clock, which every worker of the
 * host reads from the same source.
 */

#include "ngx_cerebro_limiter.h"
#include "ngx_cerebro_kv.h"


/* room for the trip from us to the upstream's own clock */
#define NGX_CEREBRO_LIMITER_MARGIN     100
#define NGX_CEREBRO_LOCK_POLL_MIN      10
#define NGX_CEREBRO_LOCK_POLL_MAX      50


typedef struct {
    u_char          key[NGX_CEREBRO_LIMITER_KEY_LEN];
    size_t          len;
    ngx_msec_t      sent[NGX_CEREBRO_LIMITER_MAX_RATE];  /* ring */
    ngx_uint_t      next;
    ngx_uint_t      used;
    ngx_msec_t      paused_until;
} ngx_cerebro_limiter_key_t;


typedef struct {
    u_char          key[NGX_CEREBRO_LIMITER_KEY_LEN];
    size_t          len;
    ngx_pid_t       pid;
    uint64_t        token;
    ngx_msec_t      expires;
} ngx_cerebro_lock_slot_t;


typedef struct {
    uint64_t                    tokens;
    ngx_uint_t                  nkeys;
    ngx_cerebro_limiter_key_t   keys[NGX_CEREBRO_LIMITER_NKEYS];
    ngx_cerebro_lock_slot_t     locks[NGX_CEREBRO_LOCK_NLOCKS];
} ngx_cerebro_limiter_sh_t;


struct ngx_cerebro_limiter_s {
    ngx_cerebro_limiter_sh_t   *sh;
    ngx_slab_pool_t            *shpool;
};


static ngx_int_t ngx_cerebro_limiter_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_cerebro_limiter_key_t *ngx_cerebro_limiter_key(
    ngx_cerebro_limiter_sh_t *sh, ngx_str_t *key, ngx_uint_t create);
static ngx_int_t ngx_cerebro_lock_try(ngx_cerebro_lock_t *lk);
static void ngx_cerebro_lock_wake(ngx_event_t *ev);
static ngx_cerebro_lock_slot_t *ngx_cerebro_lock_find(
    ngx_cerebro_limiter_t *lim, ngx_cerebro_lock_t *lk);
static ngx_int_t ngx_cerebro_limiter_ready(ngx_cerebro_limiter_t *lim);
static ngx_int_t ngx_cerebro_lock_remote_start(ngx_cerebro_lock_t *lk);
static void ngx_cerebro_lock_remote_try(ngx_cerebro_lock_t *lk);
static void ngx_cerebro_lock_remote_done(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_lock_remote_release(void *state);
static ngx_cerebro_net_conf_t *ngx_cerebro_rate_redis(void);
static void ngx_cerebro_rate_done(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_rate_pause_done(ngx_cerebro_kv_op_t *op);


/*
 * A Redis lock's state lives in a pool of its own, not in the caller's
 * lock: a LOCK or UNLOCK still in flight when the caller lets go (and
 * frees its lock) must find live memory, and a LOCK that lands after the
 * caller left is released by the state alone.
 */
typedef struct {
    ngx_cerebro_lock_t   *lk;          /* NULL: the caller let go */
    ngx_pool_t           *pool;
    ngx_cerebro_kv_op_t   op;
    u_char                key[NGX_CEREBRO_LIMITER_KEY_LEN + 32];
    unsigned              busy:1;      /* a command in flight */
    unsigned              held:1;      /* ours in Redis (or the zone) */
} ngx_cerebro_lock_remote_t;


#define ngx_cerebro_msec_before(a, b)  ((ngx_msec_int_t) ((a) - (b)) < 0)


static ngx_str_t  ngx_cerebro_limiter_zone_name =
    ngx_string("cerebro_limiter");


ngx_int_t
ngx_cerebro_limiter_init_conf(ngx_conf_t *cf, ngx_cerebro_net_conf_t *ncf)
{
    ngx_cerebro_limiter_t  *lim;
    size_t                  size;

    lim = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_limiter_t));
    if (lim == NULL) {
        return NGX_ERROR;
    }

    /* the slab pool's own pages come on top of our table */
    size = 8 * ngx_pagesize + ngx_align(sizeof(ngx_cerebro_limiter_sh_t),
                                        ngx_pagesize);

    if (ngx_cerebro_shm_zone_add(cf, &ngx_cerebro_limiter_zone_name, size,
                                 ngx_cerebro_limiter_init_zone, lim)
        == NULL)
    {
        return NGX_ERROR;
    }

    ncf->limiter = lim;

    return NGX_OK;
}


/*
 * On reload the zone (same name and size) is kept: the pause after a 429
 * and the locks of requests still running in old workers stay valid.
 */
static ngx_int_t
ngx_cerebro_limiter_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_cerebro_limiter_t  *olim = data;

    ngx_uint_t              fresh;
    ngx_cerebro_limiter_t  *lim;

    lim = shm_zone->data;
    lim->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    lim->sh = ngx_cerebro_shm_zone_struct(shm_zone, olim ? olim->sh : NULL,
                                          sizeof(ngx_cerebro_limiter_sh_t),
                                          &fresh);
    if (lim->sh == NULL) {
        return NGX_ERROR;
    }

    if (fresh) {
        lim->shpool->log_nomem = 0;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_limiter_ready(ngx_cerebro_limiter_t *lim)
{
    return (lim != NULL && lim->sh != NULL) ? NGX_OK : NGX_ERROR;
}


/* under the mutex */
static ngx_cerebro_limiter_key_t *
ngx_cerebro_limiter_key(ngx_cerebro_limiter_sh_t *sh, ngx_str_t *key,
    ngx_uint_t create)
{
    ngx_uint_t                  i;
    ngx_cerebro_limiter_key_t  *k;

    if (key->len == 0 || key->len > NGX_CEREBRO_LIMITER_KEY_LEN) {
        return NULL;
    }

    for (i = 0; i < sh->nkeys; i++) {
        k = &sh->keys[i];
        if (k->len == key->len && ngx_memcmp(k->key, key->data, key->len) == 0)
        {
            return k;
        }
    }

    if (!create || sh->nkeys == NGX_CEREBRO_LIMITER_NKEYS) {
        return NULL;
    }

    k = &sh->keys[sh->nkeys++];
    ngx_memzero(k, sizeof(ngx_cerebro_limiter_key_t));
    ngx_memcpy(k->key, key->data, key->len);
    k->len = key->len;

    return k;
}


ngx_int_t
ngx_cerebro_limiter_reserve(ngx_cerebro_limiter_t *lim, ngx_str_t *key,
    ngx_uint_t rate, ngx_msec_t window, ngx_msec_t max_wait,
    ngx_msec_t *delay)
{

    ngx_int_t                   rc;
    ngx_msec_t                  now, at, oldest;
    ngx_cerebro_limiter_key_t  *k;

    *delay = 0;

    if (ngx_cerebro_limiter_ready(lim) != NGX_OK
        || rate == 0 || rate > NGX_CEREBRO_LIMITER_MAX_RATE)
    {
        return NGX_ERROR;
    }

    now = ngx_current_msec;

    ngx_shmtx_lock(&lim->shpool->mutex);

    k = ngx_cerebro_limiter_key(lim->sh, key, 1);
    if (k == NULL) {
        ngx_shmtx_unlock(&lim->shpool->mutex);
        return NGX_ERROR;
    }

    if (k->paused_until && ngx_cerebro_msec_before(now, k->paused_until)) {
        *delay = k->paused_until - now;
        ngx_shmtx_unlock(&lim->shpool->mutex);
        return NGX_BUSY;
    }

    /*
     * The ring holds the last `rate` reserved send times, oldest at next:
     * the new request goes a window (and a margin) after the oldest one.
     */
    at = now;

    if (k->used >= rate) {
        oldest = k->sent[k->next % rate];
        if (ngx_cerebro_msec_before(at, oldest + window
                                        + NGX_CEREBRO_LIMITER_MARGIN))
        {
            at = oldest + window + NGX_CEREBRO_LIMITER_MARGIN;
        }
    }

    /* a later reservation of another worker may be ahead of `at` */
    if (k->used) {
        oldest = k->sent[(k->next + rate - 1) % rate];
        if (ngx_cerebro_msec_before(at, oldest)) {
            at = oldest;
        }
    }

    if (at - now > max_wait) {
        *delay = at - now;
        rc = NGX_DECLINED;

    } else {
        k->sent[k->next % rate] = at;
        k->next = (k->next + 1) % rate;
        if (k->used < rate) {
            k->used++;
        }

        *delay = at - now;
        rc = *delay ? NGX_AGAIN : NGX_OK;
    }

    ngx_shmtx_unlock(&lim->shpool->mutex);

    return rc;
}


void
ngx_cerebro_limiter_pause(ngx_cerebro_limiter_t *lim, ngx_str_t *key,
    ngx_msec_t ms)
{

    ngx_msec_t                  until;
    ngx_cerebro_limiter_key_t  *k;

    if (ngx_cerebro_limiter_ready(lim) != NGX_OK) {
        return;
    }

    until = ngx_current_msec + ms;

    ngx_shmtx_lock(&lim->shpool->mutex);

    k = ngx_cerebro_limiter_key(lim->sh, key, 1);
    if (k && (k->paused_until == 0
              || ngx_cerebro_msec_before(k->paused_until, until)))
    {
        k->paused_until = until;
    }

    ngx_shmtx_unlock(&lim->shpool->mutex);
}


ngx_msec_t
ngx_cerebro_limiter_paused(ngx_cerebro_limiter_t *lim, ngx_str_t *key)
{

    ngx_msec_t                  left, now;
    ngx_cerebro_limiter_key_t  *k;

    if (ngx_cerebro_limiter_ready(lim) != NGX_OK) {
        return 0;
    }

    left = 0;
    now = ngx_current_msec;

    ngx_shmtx_lock(&lim->shpool->mutex);

    k = ngx_cerebro_limiter_key(lim->sh, key, 0);
    if (k && k->paused_until && ngx_cerebro_msec_before(now, k->paused_until))
    {
        left = k->paused_until - now;
    }

    ngx_shmtx_unlock(&lim->shpool->mutex);

    return left;
}


/* The net conf when Redis is configured and connected, or NULL. */
static ngx_cerebro_net_conf_t *
ngx_cerebro_rate_redis(void)
{
    const char              *reason;
    ngx_cerebro_net_conf_t  *ncf;

    ncf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                              ngx_cerebro_net_module);

    if (ncf == NULL || ncf->kv == NULL
        || ngx_strcmp(ngx_cerebro_kv_state(ncf, &reason), "redis") != 0)
    {
        return NULL;
    }

    return ncf;
}


ngx_int_t
ngx_cerebro_rate_reserve(ngx_cerebro_rate_t *rt)
{
    ngx_msec_t            paused;
    ngx_cerebro_kv_op_t  *op;

    rt->delay = 0;
    rt->backend = "shared memory";

    /* a pause this host saw itself needs no round trip */
    paused = ngx_cerebro_limiter_paused(rt->limiter, &rt->key);
    if (paused) {
        rt->delay = paused;
        return NGX_BUSY;
    }

    if (rt->request == NULL || rt->key.len > NGX_CEREBRO_LIMITER_KEY_LEN
        || ngx_cerebro_rate_redis() == NULL)
    {
        return ngx_cerebro_limiter_reserve(rt->limiter, &rt->key, rt->rate,
                                           rt->window, rt->max_wait,
                                           &rt->delay);
    }

    /* in the request's pool: gone with it, and its answer never comes */
    op = ngx_pcalloc(rt->request->pool, sizeof(ngx_cerebro_kv_op_t));
    if (op == NULL) {
        return NGX_ERROR;
    }

    op->request = rt->request;
    op->kind = NGX_CEREBRO_KV_RATE;
    op->key.data = rt->keys[0];
    op->key.len = ngx_sprintf(rt->keys[0], "cerebro:v1:rate:%V", &rt->key)
                  - rt->keys[0];
    op->value.data = rt->keys[1];
    op->value.len = ngx_sprintf(rt->keys[1], "cerebro:v1:pause:%V",
                                &rt->key)
                    - rt->keys[1];
    op->cap = rt->rate;
    op->ttl = rt->window + NGX_CEREBRO_LIMITER_MARGIN;
    op->wait = rt->max_wait;
    op->done = ngx_cerebro_rate_done;
    op->data = rt;

    if (ngx_cerebro_kv_start(op) != NGX_OK) {
        return ngx_cerebro_limiter_reserve(rt->limiter, &rt->key, rt->rate,
                                           rt->window, rt->max_wait,
                                           &rt->delay);
    }

    return NGX_DONE;
}


static void
ngx_cerebro_rate_done(ngx_cerebro_kv_op_t *op)
{
    ngx_cerebro_rate_t *rt = op->data;

    ngx_int_t  rc;

    if (op->backend == NULL || ngx_strcmp(op->backend, "redis") != 0
        || op->rc == NGX_CEREBRO_KV_ERROR)
    {
        /* Redis failed on the way: this host's slots until it is back */
        rc = ngx_cerebro_limiter_reserve(rt->limiter, &rt->key, rt->rate,
                                         rt->window, rt->max_wait,
                                         &rt->delay);
        rt->handler(rt, rc);
        return;
    }

    rt->backend = "redis";

    if (op->rc == NGX_CEREBRO_KV_OK) {
        rt->delay = (ngx_msec_t) op->number;
        rc = rt->delay ? NGX_AGAIN : NGX_OK;

    } else if (op->number < 0) {
        /* paused by a 429 another host saw: this host's workers too */
        rt->delay = (ngx_msec_t) -op->number;
        ngx_cerebro_limiter_pause(rt->limiter, &rt->key, rt->delay);
        rc = NGX_BUSY;

    } else {
        rt->delay = (ngx_msec_t) op->number;
        rc = NGX_DECLINED;
    }

    rt->handler(rt, rc);
}


void
ngx_cerebro_rate_pause(ngx_cerebro_limiter_t *limiter, ngx_str_t *key,
    ngx_msec_t ms)
{
    u_char               *p;
    ngx_pool_t           *pool;
    ngx_cerebro_kv_op_t  *op;

    ngx_cerebro_limiter_pause(limiter, key, ms);

    if (ngx_cerebro_rate_redis() == NULL
        || key->len > NGX_CEREBRO_LIMITER_KEY_LEN)
    {
        return;
    }

    /*
     * its own pool: the request that saw the 429 may end before Redis
     * answers, and nobody waits for the answer
     */
    pool = ngx_create_pool(1024, ngx_cycle->log);
    if (pool == NULL) {
        return;
    }

    op = ngx_pcalloc(pool, sizeof(ngx_cerebro_kv_op_t));
    p = ngx_pnalloc(pool, NGX_CEREBRO_LIMITER_KEY_LEN + 32);

    if (op == NULL || p == NULL) {
        ngx_destroy_pool(pool);
        return;
    }

    op->pool = pool;
    op->log = ngx_cycle->log;
    op->kind = NGX_CEREBRO_KV_SET;
    op->key.data = p;
    op->key.len = ngx_sprintf(p, "cerebro:v1:pause:%V", key) - p;
    ngx_str_set(&op->value, "429");
    op->ttl = ms;
    op->done = ngx_cerebro_rate_pause_done;

    if (ngx_cerebro_kv_start(op) != NGX_OK) {
        ngx_destroy_pool(pool);
    }
}


static void
ngx_cerebro_rate_pause_done(ngx_cerebro_kv_op_t *op)
{
    if (op->rc == NGX_CEREBRO_KV_ERROR
        || ngx_strcmp(op->backend, "redis") != 0)
    {
        ngx_cerebro_log(NGX_LOG_WARN, op->log, 0,
                        "the pause of \"%V\" stays on this host: %s",
                        &op->key, op->error ? op->error : "Redis failed");
    }

    ngx_destroy_pool(op->pool);
}


ngx_int_t
ngx_cerebro_lock_acquire(ngx_cerebro_lock_t *lk)
{
    const char              *reason;
    ngx_cerebro_net_conf_t  *ncf;

    if (ngx_cerebro_limiter_ready(lk->limiter) != NGX_OK
        || lk->key.len == 0 || lk->key.len > NGX_CEREBRO_LIMITER_KEY_LEN)
    {
        return NGX_ERROR;
    }

    lk->held = 0;
    lk->waiting = 1;
    lk->token = 0;
    lk->remote = NULL;
    lk->give_up = ngx_current_msec + lk->wait;

    lk->retry.handler = ngx_cerebro_lock_wake;
    lk->retry.data = lk;
    lk->retry.log = lk->log;

    ncf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                              ngx_cerebro_net_module);

    if (ncf && ncf->kv
        && ngx_strcmp(ngx_cerebro_kv_state(ncf, &reason), "shared memory")
           != 0)
    {
        /* REDIS_URL is set: one lock for every host */
        return ngx_cerebro_lock_remote_start(lk);
    }

    /* the first try too runs from the event loop: handler never nests */
    ngx_post_event(&lk->retry, &ngx_posted_events);

    return NGX_OK;
}


static void
ngx_cerebro_lock_wake(ngx_event_t *ev)
{
    ngx_int_t            rc;
    ngx_msec_t           poll, left;
    ngx_cerebro_lock_t  *lk;

    lk = ev->data;

    if (!lk->waiting) {
        return;
    }

    if (lk->remote) {
        ngx_cerebro_lock_remote_try(lk);
        return;
    }

    rc = ngx_cerebro_lock_try(lk);

    if (rc == NGX_BUSY
        && ngx_cerebro_msec_before(ngx_current_msec, lk->give_up))
    {
        /* polling with jitter: waiters of several workers do not align */
        poll = NGX_CEREBRO_LOCK_POLL_MIN
               + ngx_random() % (NGX_CEREBRO_LOCK_POLL_MAX
                                 - NGX_CEREBRO_LOCK_POLL_MIN);
        left = lk->give_up - ngx_current_msec;

        ngx_add_timer(&lk->retry, ngx_min(poll, left));
        return;
    }

    lk->waiting = 0;
    lk->held = (rc == NGX_OK);

    lk->handler(lk, rc);
}


static ngx_int_t
ngx_cerebro_lock_try(ngx_cerebro_lock_t *lk)
{
    ngx_cerebro_limiter_t *lim = lk->limiter;

    ngx_int_t                  rc;
    ngx_uint_t                 i;
    ngx_msec_t                 now;
    ngx_cerebro_lock_slot_t   *s, *free;

    now = ngx_current_msec;
    free = NULL;
    rc = NGX_OK;

    ngx_shmtx_lock(&lim->shpool->mutex);

    for (i = 0; i < NGX_CEREBRO_LOCK_NLOCKS; i++) {
        s = &lim->sh->locks[i];

        if (s->len && !ngx_cerebro_msec_before(now, s->expires)) {
            if (s->pid != ngx_pid) {
                ngx_cerebro_log(NGX_LOG_WARN, lk->log, 0,
                                "lock \"%*s\" of process %P expired",
                                s->len, s->key, s->pid);
            }

            s->len = 0;
        }

        if (s->len == 0) {
            if (free == NULL) {
                free = s;
            }

            continue;
        }

        if (s->len == lk->key.len
            && ngx_memcmp(s->key, lk->key.data, s->len) == 0)
        {
            rc = NGX_BUSY;
            break;
        }
    }

    if (rc == NGX_OK) {
        if (free == NULL) {
            /* more days being booked at once than slots: wait for one */
            rc = NGX_BUSY;

        } else {
            ngx_memcpy(free->key, lk->key.data, lk->key.len);
            free->len = lk->key.len;
            free->pid = ngx_pid;
            free->token = ++lim->sh->tokens;
            free->expires = now + lk->ttl;
            lk->token = free->token;
        }
    }

    ngx_shmtx_unlock(&lim->shpool->mutex);

    return rc;
}


static ngx_cerebro_lock_slot_t *
ngx_cerebro_lock_find(ngx_cerebro_limiter_t *lim, ngx_cerebro_lock_t *lk)
{
    ngx_uint_t                i;
    ngx_cerebro_lock_slot_t  *s;

    for (i = 0; i < NGX_CEREBRO_LOCK_NLOCKS; i++) {
        s = &lim->sh->locks[i];

        if (s->len && s->token == lk->token && s->pid == ngx_pid
            && s->len == lk->key.len
            && ngx_memcmp(s->key, lk->key.data, s->len) == 0)
        {
            return s;
        }
    }

    return NULL;
}


void
ngx_cerebro_lock_release(ngx_cerebro_lock_t *lk)
{
    ngx_cerebro_limiter_t *lim = lk->limiter;

    ngx_cerebro_lock_slot_t    *s;
    ngx_cerebro_lock_remote_t  *st;

    if (lk->waiting) {
        lk->waiting = 0;

        if (lk->retry.timer_set) {
            ngx_del_timer(&lk->retry);
        }

        if (lk->retry.posted) {
            ngx_delete_posted_event(&lk->retry);
        }
    }

    if (lk->remote) {
        st = lk->remote;
        lk->remote = NULL;
        lk->held = 0;
        ngx_cerebro_lock_remote_release(st);
        return;
    }

    if (!lk->held || ngx_cerebro_limiter_ready(lim) != NGX_OK) {
        return;
    }

    lk->held = 0;

    ngx_shmtx_lock(&lim->shpool->mutex);

    s = ngx_cerebro_lock_find(lim, lk);
    if (s) {
        s->len = 0;
    }

    ngx_shmtx_unlock(&lim->shpool->mutex);
}


void
ngx_cerebro_lock_expire_in(ngx_cerebro_lock_t *lk, ngx_msec_t ms)
{
    ngx_cerebro_limiter_t *lim = lk->limiter;

    ngx_cerebro_lock_slot_t    *s;
    ngx_cerebro_lock_remote_t  *st;

    if (lk->remote) {
        /*
         * Not released: the Redis lock expires by itself, at most
         * NGX_CEREBRO_LOCK_TTL_MAX after it was taken (the lock's own
         * expiry, which may come sooner than ms).
         */
        st = lk->remote;
        lk->remote = NULL;
        st->held = 0;
        lk->held = 0;
        ngx_cerebro_lock_remote_release(st);
        return;
    }

    if (!lk->held || ngx_cerebro_limiter_ready(lim) != NGX_OK) {
        return;
    }

    lk->held = 0;

    ngx_shmtx_lock(&lim->shpool->mutex);

    s = ngx_cerebro_lock_find(lim, lk);
    if (s) {
        s->expires = ngx_current_msec + ms;
    }

    ngx_shmtx_unlock(&lim->shpool->mutex);
}


static ngx_int_t
ngx_cerebro_lock_remote_start(ngx_cerebro_lock_t *lk)
{
    ngx_pool_t                 *pool;
    ngx_cerebro_lock_remote_t  *st;

    pool = ngx_create_pool(1024, lk->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    st = ngx_pcalloc(pool, sizeof(ngx_cerebro_lock_remote_t));
    if (st == NULL) {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    st->lk = lk;
    st->pool = pool;
    lk->remote = st;

    ngx_cerebro_lock_remote_try(lk);

    return NGX_OK;
}


static void
ngx_cerebro_lock_remote_try(ngx_cerebro_lock_t *lk)
{
    ngx_cerebro_kv_op_t        *op;
    ngx_cerebro_lock_remote_t  *st;

    st = lk->remote;
    op = &st->op;

    ngx_memzero(op, sizeof(ngx_cerebro_kv_op_t));

    op->pool = st->pool;
    op->log = lk->log;
    op->kind = NGX_CEREBRO_KV_LOCK;
    op->key.data = st->key;
    op->key.len = ngx_sprintf(st->key, "cerebro:v1:lock:%V", &lk->key)
                  - st->key;
    op->ttl = ngx_min(lk->ttl ? lk->ttl : NGX_CEREBRO_LOCK_TTL_MAX,
                      NGX_CEREBRO_LOCK_TTL_MAX);
    op->done = ngx_cerebro_lock_remote_done;
    op->data = st;

    if (ngx_cerebro_kv_start(op) != NGX_OK) {
        /* no memory: said from the event loop, like every outcome */
        lk->waiting = 0;
        lk->handler(lk, NGX_ERROR);
        return;
    }

    st->busy = 1;
}


static void
ngx_cerebro_lock_remote_done(ngx_cerebro_kv_op_t *op)
{
    ngx_cerebro_lock_remote_t *st = op->data;

    ngx_msec_t           poll, left;
    ngx_cerebro_lock_t  *lk;

    st->busy = 0;
    lk = st->lk;

    if (op->kind == NGX_CEREBRO_KV_UNLOCK) {
        ngx_destroy_pool(st->pool);
        return;
    }

    if (op->rc == NGX_CEREBRO_KV_OK) {
        st->held = 1;
    }

    if (lk == NULL) {
        /* the caller let go while the LOCK was on its way */
        ngx_cerebro_lock_remote_release(st);
        return;
    }

    if (op->rc == NGX_CEREBRO_KV_NONE
        && ngx_cerebro_msec_before(ngx_current_msec, lk->give_up))
    {
        poll = NGX_CEREBRO_LOCK_POLL_MIN
               + ngx_random() % (NGX_CEREBRO_LOCK_POLL_MAX
                                 - NGX_CEREBRO_LOCK_POLL_MIN);
        left = lk->give_up - ngx_current_msec;

        ngx_add_timer(&lk->retry, ngx_min(poll, left));
        return;
    }

    lk->waiting = 0;
    lk->held = st->held;

    lk->handler(lk, op->rc == NGX_CEREBRO_KV_OK ? NGX_OK
                    : (op->rc == NGX_CEREBRO_KV_NONE ? NGX_BUSY
                                                     : NGX_ERROR));
}


/* The caller lets go: an UNLOCK if the lock is ours, then the pool goes. */
static void
ngx_cerebro_lock_remote_release(void *state)
{
    ngx_cerebro_lock_remote_t *st = state;

    ngx_cerebro_kv_op_t  *op;

    st->lk = NULL;

    if (st->busy) {
        /* its done() comes back here */
        return;
    }

    if (!st->held) {
        ngx_destroy_pool(st->pool);
        return;
    }

    st->held = 0;

    /* the token that LOCK made stays in the op: it proves the lock ours */
    op = &st->op;
    op->kind = NGX_CEREBRO_KV_UNLOCK;
    op->done = ngx_cerebro_lock_remote_done;
    op->data = st;

    if (ngx_cerebro_kv_start(op) != NGX_OK) {
        ngx_destroy_pool(st->pool);
        return;
    }

    st->busy = 1;
}
