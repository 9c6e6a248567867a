
/*
 * The zone "cerebro_kv": a red-black tree of entries keyed by the crc32 of
 * the key (then the key itself), each entry on an LRU queue, values in
 * their own slab allocation.  Expired entries go lazily (when looked up,
 * and a couple from the LRU tail at every write); when the zone is full
 * the least recently used entries are evicted, as limit_req does.
 *
 * Times are ngx_current_msec, the monotonic clock every worker of the host
 * reads from the same source.
 */

#include "ngx_cerebro_shm_kv.h"


#define NGX_CEREBRO_SHM_STRING  0
#define NGX_CEREBRO_SHM_LIST    1

/*
 * Evictions tried for one allocation before giving up.  A value larger
 * than half a page needs whole free pages in a row, and freeing small
 * entries (locks, idempotency keys) frees a page only once all of its
 * chunks are gone: a busy day's value may need many more evictions than
 * a key.  Each is a fraction of a microsecond under the mutex.
 */
#define NGX_CEREBRO_SHM_EVICT        256
#define NGX_CEREBRO_SHM_EVICT_LARGE  16384


typedef struct {
    ngx_str_node_t        sn;           /* sn.str.data points at key[] */
    ngx_queue_t           queue;
    ngx_msec_t            expires;      /* 0: never */
    ngx_uint_t            type;
    size_t                vlen;
    u_char               *value;
    u_char                key[1];
} ngx_cerebro_shm_node_t;


typedef struct {
    ngx_rbtree_t          rbtree;
    ngx_rbtree_node_t     sentinel;
    ngx_queue_t           lru;
    ngx_uint_t            outage;
    ngx_uint_t            ninval;
    ngx_uint_t            inval_overflow;
    size_t                inval_len[NGX_CEREBRO_SHM_KV_NINVAL];
    u_char                inval[NGX_CEREBRO_SHM_KV_NINVAL]
                               [NGX_CEREBRO_SHM_KV_KEY_LEN];
} ngx_cerebro_shm_sh_t;


struct ngx_cerebro_shm_kv_s {
    ngx_cerebro_shm_sh_t  *sh;
    ngx_slab_pool_t       *shpool;
};


static ngx_int_t ngx_cerebro_shm_kv_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_cerebro_shm_node_t *ngx_cerebro_shm_lookup(
    ngx_cerebro_shm_kv_t *kv, ngx_str_t *key);
static ngx_cerebro_shm_node_t *ngx_cerebro_shm_insert(
    ngx_cerebro_shm_kv_t *kv, ngx_str_t *key, u_char *value, size_t vlen,
    ngx_uint_t type, ngx_msec_t ttl);
static void ngx_cerebro_shm_delete(ngx_cerebro_shm_kv_t *kv,
    ngx_cerebro_shm_node_t *n);
static void *ngx_cerebro_shm_alloc(ngx_cerebro_shm_kv_t *kv, size_t size);
static void ngx_cerebro_shm_expire(ngx_cerebro_shm_kv_t *kv, ngx_uint_t n);
static ngx_int_t ngx_cerebro_shm_ready(ngx_cerebro_shm_kv_t *kv,
    ngx_str_t *key);


#define ngx_cerebro_shm_expired(n, now)                                       \
    ((n)->expires && (ngx_msec_int_t) ((n)->expires - (now)) <= 0)


static ngx_str_t  ngx_cerebro_shm_kv_zone_name = ngx_string("cerebro_kv");


ngx_cerebro_shm_kv_t *
ngx_cerebro_shm_kv_add(ngx_conf_t *cf, size_t size)
{
    ngx_cerebro_shm_kv_t  *kv;

    kv = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_shm_kv_t));
    if (kv == NULL) {
        return NULL;
    }

    if (ngx_cerebro_shm_zone_add(cf, &ngx_cerebro_shm_kv_zone_name, size,
                                 ngx_cerebro_shm_kv_init_zone, kv)
        == NULL)
    {
        return NULL;
    }

    return kv;
}


/* On reload the zone is kept: cached values, locks and counters live on. */
static ngx_int_t
ngx_cerebro_shm_kv_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_cerebro_shm_kv_t  *okv = data;

    ngx_uint_t             fresh;
    ngx_cerebro_shm_kv_t  *kv;

    kv = shm_zone->data;
    kv->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    kv->sh = ngx_cerebro_shm_zone_struct(shm_zone, okv ? okv->sh : NULL,
                                         sizeof(ngx_cerebro_shm_sh_t),
                                         &fresh);
    if (kv->sh == NULL) {
        return NGX_ERROR;
    }

    if (!fresh) {
        return NGX_OK;
    }

    ngx_rbtree_init(&kv->sh->rbtree, &kv->sh->sentinel,
                    ngx_str_rbtree_insert_value);
    ngx_queue_init(&kv->sh->lru);

    /* a full zone is normal for a cache: we evict, nginx need not alert */
    kv->shpool->log_nomem = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_shm_ready(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key)
{
    if (kv == NULL || kv->sh == NULL || key->len == 0
        || key->len > NGX_CEREBRO_SHM_KV_KEY_LEN)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_cerebro_shm_kv_get(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key,
    ngx_pool_t *pool, ngx_str_t *value)
{
    ngx_int_t                rc;
    ngx_cerebro_shm_node_t  *n;

    if (ngx_cerebro_shm_ready(kv, key) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_shmtx_lock(&kv->shpool->mutex);

    n = ngx_cerebro_shm_lookup(kv, key);

    if (n == NULL) {
        rc = NGX_DECLINED;

    } else if (n->type != NGX_CEREBRO_SHM_STRING) {
        rc = NGX_ERROR;

    } else {
        value->len = n->vlen;
        value->data = ngx_pnalloc(pool, n->vlen + 1);

        if (value->data == NULL) {
            rc = NGX_ERROR;

        } else {
            ngx_memcpy(value->data, n->value, n->vlen);
            value->data[n->vlen] = '\0';
            rc = NGX_OK;
        }
    }

    ngx_shmtx_unlock(&kv->shpool->mutex);

    return rc;
}


ngx_int_t
ngx_cerebro_shm_kv_set(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key,
    ngx_str_t *value, ngx_msec_t ttl, ngx_uint_t nx)
{
    ngx_int_t                rc;
    ngx_cerebro_shm_node_t  *n;

    if (ngx_cerebro_shm_ready(kv, key) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_shmtx_lock(&kv->shpool->mutex);

    ngx_cerebro_shm_expire(kv, 2);

    n = ngx_cerebro_shm_lookup(kv, key);

    if (n && nx) {
        rc = NGX_DECLINED;

    } else {
        /* a new entry, so that eviction can never pull it from under us */
        if (n) {
            ngx_cerebro_shm_delete(kv, n);
        }

        n = ngx_cerebro_shm_insert(kv, key, value->data, value->len,
                                   NGX_CEREBRO_SHM_STRING, ttl);
        rc = n ? NGX_OK : NGX_ERROR;
    }

    ngx_shmtx_unlock(&kv->shpool->mutex);

    return rc;
}


ngx_int_t
ngx_cerebro_shm_kv_del(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key)
{
    ngx_int_t                rc;
    ngx_cerebro_shm_node_t  *n;

    if (ngx_cerebro_shm_ready(kv, key) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_shmtx_lock(&kv->shpool->mutex);

    n = ngx_cerebro_shm_lookup(kv, key);

    if (n) {
        ngx_cerebro_shm_delete(kv, n);
        rc = NGX_OK;

    } else {
        rc = NGX_DECLINED;
    }

    ngx_shmtx_unlock(&kv->shpool->mutex);

    return rc;
}


ngx_int_t
ngx_cerebro_shm_kv_unlock(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key,
    ngx_str_t *token)
{
    ngx_int_t                rc;
    ngx_cerebro_shm_node_t  *n;

    if (ngx_cerebro_shm_ready(kv, key) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_shmtx_lock(&kv->shpool->mutex);

    n = ngx_cerebro_shm_lookup(kv, key);

    if (n && n->type == NGX_CEREBRO_SHM_STRING && n->vlen == token->len
        && ngx_memcmp(n->value, token->data, token->len) == 0)
    {
        ngx_cerebro_shm_delete(kv, n);
        rc = NGX_OK;

    } else {
        rc = NGX_DECLINED;
    }

    ngx_shmtx_unlock(&kv->shpool->mutex);

    return rc;
}


ngx_int_t
ngx_cerebro_shm_kv_incr(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key,
    ngx_msec_t ttl, int64_t *out)
{
    u_char                   buf[NGX_INT64_LEN + 1], *p, *last;
    int64_t                  v;
    ngx_int_t                rc, neg;
    ngx_msec_t               left;
    ngx_cerebro_shm_node_t  *n;

    if (ngx_cerebro_shm_ready(kv, key) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_shmtx_lock(&kv->shpool->mutex);

    ngx_cerebro_shm_expire(kv, 2);

    n = ngx_cerebro_shm_lookup(kv, key);

    v = 0;
    left = ttl;

    if (n) {
        if (n->type != NGX_CEREBRO_SHM_STRING || n->vlen == 0
            || n->vlen > NGX_INT64_LEN)
        {
            ngx_shmtx_unlock(&kv->shpool->mutex);
            return NGX_ERROR;
        }

        p = n->value;
        last = p + n->vlen;
        neg = (*p == '-');
        p += neg;

        if (p == last) {
            ngx_shmtx_unlock(&kv->shpool->mutex);
            return NGX_ERROR;
        }

        for ( /* void */ ; p < last; p++) {
            if (*p < '0' || *p > '9') {
                ngx_shmtx_unlock(&kv->shpool->mutex);
                return NGX_ERROR;
            }

            v = v * 10 + (*p - '0');
        }

        v = neg ? -v : v;

        /* the window keeps its end, as Redis' INCR keeps the TTL */
        left = n->expires ? (ngx_msec_t) (n->expires - ngx_current_msec) : 0;

        ngx_cerebro_shm_delete(kv, n);
    }

    v++;

    last = ngx_sprintf(buf, "%L", v);

    n = ngx_cerebro_shm_insert(kv, key, buf, last - buf,
                               NGX_CEREBRO_SHM_STRING, left);
    rc = n ? NGX_OK : NGX_ERROR;

    ngx_shmtx_unlock(&kv->shpool->mutex);

    *out = v;

    return rc;
}


/*
 * A list is one value: items as a 4-byte length and the bytes, oldest
 * first.  Conversations are a few short messages, so rebuilding the value
 * at every push is cheaper than a structure of its own.
 */
ngx_int_t
ngx_cerebro_shm_kv_push(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key,
    ngx_str_t *value, ngx_uint_t cap, ngx_msec_t ttl, ngx_uint_t *len)
{
    u_char                  *buf, *p, *last, *start;
    uint32_t                 ilen;
    ngx_int_t                rc;
    ngx_uint_t               count, drop;
    size_t                   old;
    ngx_cerebro_shm_node_t  *n;

    if (ngx_cerebro_shm_ready(kv, key) != NGX_OK || cap == 0
        || value->len > 0xffffffff)
    {
        return NGX_ERROR;
    }

    ngx_shmtx_lock(&kv->shpool->mutex);

    ngx_cerebro_shm_expire(kv, 2);

    n = ngx_cerebro_shm_lookup(kv, key);

    if (n && n->type != NGX_CEREBRO_SHM_LIST) {
        ngx_shmtx_unlock(&kv->shpool->mutex);
        return NGX_ERROR;
    }

    old = n ? n->vlen : 0;

    buf = ngx_alloc(old + 4 + value->len, ngx_cycle->log);
    if (buf == NULL) {
        ngx_shmtx_unlock(&kv->shpool->mutex);
        return NGX_ERROR;
    }

    if (old) {
        ngx_memcpy(buf, n->value, old);
    }

    ilen = (uint32_t) value->len;
    ngx_memcpy(buf + old, &ilen, 4);
    ngx_memcpy(buf + old + 4, value->data, value->len);

    last = buf + old + 4 + value->len;

    count = 0;
    for (p = buf; p + 4 <= last; p += 4 + ilen) {
        ngx_memcpy(&ilen, p, 4);
        count++;
    }

    drop = count > cap ? count - cap : 0;
    start = buf;

    while (drop--) {
        ngx_memcpy(&ilen, start, 4);
        start += 4 + ilen;
    }

    if (n) {
        ngx_cerebro_shm_delete(kv, n);
    }

    n = ngx_cerebro_shm_insert(kv, key, start, last - start,
                               NGX_CEREBRO_SHM_LIST, ttl);
    rc = n ? NGX_OK : NGX_ERROR;

    ngx_shmtx_unlock(&kv->shpool->mutex);

    ngx_free(buf);

    *len = count > cap ? cap : count;

    return rc;
}


ngx_int_t
ngx_cerebro_shm_kv_range(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key,
    ngx_uint_t count, ngx_pool_t *pool, ngx_array_t **items)
{
    u_char                  *p, *last;
    uint32_t                 ilen;
    ngx_int_t                rc;
    ngx_str_t               *s;
    ngx_uint_t               total, skip;
    ngx_array_t             *a;
    ngx_cerebro_shm_node_t  *n;

    if (ngx_cerebro_shm_ready(kv, key) != NGX_OK) {
        return NGX_ERROR;
    }

    a = ngx_array_create(pool, 8, sizeof(ngx_str_t));
    if (a == NULL) {
        return NGX_ERROR;
    }

    *items = a;
    rc = NGX_OK;

    ngx_shmtx_lock(&kv->shpool->mutex);

    n = ngx_cerebro_shm_lookup(kv, key);

    if (n == NULL) {
        rc = NGX_DECLINED;
        goto done;
    }

    if (n->type != NGX_CEREBRO_SHM_LIST) {
        rc = NGX_ERROR;
        goto done;
    }

    last = n->value + n->vlen;

    total = 0;
    for (p = n->value; p + 4 <= last; p += 4 + ilen) {
        ngx_memcpy(&ilen, p, 4);
        total++;
    }

    skip = (count && total > count) ? total - count : 0;

    for (p = n->value; p + 4 <= last; p += 4 + ilen) {
        ngx_memcpy(&ilen, p, 4);

        if (skip) {
            skip--;
            continue;
        }

        s = ngx_array_push(a);
        if (s == NULL) {
            rc = NGX_ERROR;
            goto done;
        }

        s->len = ilen;
        s->data = ngx_pnalloc(pool, ilen + 1);
        if (s->data == NULL) {
            rc = NGX_ERROR;
            goto done;
        }

        ngx_memcpy(s->data, p + 4, ilen);
        s->data[ilen] = '\0';
    }

done:

    ngx_shmtx_unlock(&kv->shpool->mutex);

    return rc;
}


ngx_uint_t
ngx_cerebro_shm_kv_set_outage(ngx_cerebro_shm_kv_t *kv, ngx_uint_t on)
{
    ngx_uint_t  was;

    if (kv == NULL || kv->sh == NULL) {
        return 0;
    }

    ngx_shmtx_lock(&kv->shpool->mutex);
    was = kv->sh->outage;
    kv->sh->outage = on;
    ngx_shmtx_unlock(&kv->shpool->mutex);

    return was;
}


void
ngx_cerebro_shm_kv_note_invalidation(ngx_cerebro_shm_kv_t *kv,
    ngx_str_t *key)
{
    ngx_uint_t             i;
    ngx_cerebro_shm_sh_t  *sh;

    if (ngx_cerebro_shm_ready(kv, key) != NGX_OK) {
        return;
    }

    sh = kv->sh;

    ngx_shmtx_lock(&kv->shpool->mutex);

    for (i = 0; i < sh->ninval; i++) {
        if (sh->inval_len[i] == key->len
            && ngx_memcmp(sh->inval[i], key->data, key->len) == 0)
        {
            goto done;
        }
    }

    if (sh->ninval == NGX_CEREBRO_SHM_KV_NINVAL) {
        sh->inval_overflow = 1;
        goto done;
    }

    ngx_memcpy(sh->inval[sh->ninval], key->data, key->len);
    sh->inval_len[sh->ninval] = key->len;
    sh->ninval++;

done:

    ngx_shmtx_unlock(&kv->shpool->mutex);
}


ngx_array_t *
ngx_cerebro_shm_kv_take_invalidations(ngx_cerebro_shm_kv_t *kv,
    ngx_pool_t *pool, ngx_uint_t *overflow)
{
    ngx_str_t             *s;
    ngx_uint_t             i;
    ngx_array_t           *a;
    ngx_cerebro_shm_sh_t  *sh;

    *overflow = 0;

    if (kv == NULL || kv->sh == NULL) {
        return NULL;
    }

    a = ngx_array_create(pool, NGX_CEREBRO_SHM_KV_NINVAL, sizeof(ngx_str_t));
    if (a == NULL) {
        return NULL;
    }

    sh = kv->sh;

    ngx_shmtx_lock(&kv->shpool->mutex);

    for (i = 0; i < sh->ninval; i++) {
        s = ngx_array_push(a);
        s->len = sh->inval_len[i];
        s->data = ngx_pnalloc(pool, s->len);
        if (s->data == NULL) {
            a->nelts--;
            break;
        }

        ngx_memcpy(s->data, sh->inval[i], s->len);
    }

    *overflow = sh->inval_overflow;
    sh->ninval = 0;
    sh->inval_overflow = 0;

    ngx_shmtx_unlock(&kv->shpool->mutex);

    return a;
}


/* under the mutex; an expired entry is deleted and not found */
static ngx_cerebro_shm_node_t *
ngx_cerebro_shm_lookup(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key)
{
    uint32_t                 hash;
    ngx_str_node_t          *sn;
    ngx_cerebro_shm_node_t  *n;

    hash = ngx_crc32_short(key->data, key->len);

    sn = ngx_str_rbtree_lookup(&kv->sh->rbtree, key, hash);
    if (sn == NULL) {
        return NULL;
    }

    n = (ngx_cerebro_shm_node_t *) sn;

    if (ngx_cerebro_shm_expired(n, ngx_current_msec)) {
        ngx_cerebro_shm_delete(kv, n);
        return NULL;
    }

    ngx_queue_remove(&n->queue);
    ngx_queue_insert_head(&kv->sh->lru, &n->queue);

    return n;
}


/* under the mutex; key must not be in the tree */
static ngx_cerebro_shm_node_t *
ngx_cerebro_shm_insert(ngx_cerebro_shm_kv_t *kv, ngx_str_t *key,
    u_char *value, size_t vlen, ngx_uint_t type, ngx_msec_t ttl)
{
    u_char                  *v;
    ngx_cerebro_shm_node_t  *n;

    n = ngx_cerebro_shm_alloc(kv, offsetof(ngx_cerebro_shm_node_t, key)
                                  + key->len);
    if (n == NULL) {
        return NULL;
    }

    /* the node is not in the LRU yet: evicting cannot take it */
    v = ngx_cerebro_shm_alloc(kv, vlen ? vlen : 1);
    if (v == NULL) {
        ngx_slab_free_locked(kv->shpool, n);
        return NULL;
    }

    ngx_memcpy(n->key, key->data, key->len);
    ngx_memcpy(v, value, vlen);

    n->sn.node.key = ngx_crc32_short(key->data, key->len);
    n->sn.str.len = key->len;
    n->sn.str.data = n->key;
    n->expires = ttl ? ngx_current_msec + ttl : 0;
    n->type = type;
    n->vlen = vlen;
    n->value = v;

    /* 0 is "never": a deadline landing on it moves by a millisecond */
    if (ttl && n->expires == 0) {
        n->expires = 1;
    }

    ngx_rbtree_insert(&kv->sh->rbtree, &n->sn.node);
    ngx_queue_insert_head(&kv->sh->lru, &n->queue);

    return n;
}


static void
ngx_cerebro_shm_delete(ngx_cerebro_shm_kv_t *kv, ngx_cerebro_shm_node_t *n)
{
    ngx_queue_remove(&n->queue);
    ngx_rbtree_delete(&kv->sh->rbtree, &n->sn.node);
    ngx_slab_free_locked(kv->shpool, n->value);
    ngx_slab_free_locked(kv->shpool, n);
}


/* under the mutex: a full zone evicts the least recently used entries */
static void *
ngx_cerebro_shm_alloc(ngx_cerebro_shm_kv_t *kv, size_t size)
{
    void         *p;
    ngx_uint_t    i, max;
    ngx_queue_t  *q;

    max = (size > ngx_pagesize / 2) ? NGX_CEREBRO_SHM_EVICT_LARGE
                                    : NGX_CEREBRO_SHM_EVICT;

    for (i = 0; i < max; i++) {

        p = ngx_slab_alloc_locked(kv->shpool, size);
        if (p) {
            return p;
        }

        if (ngx_queue_empty(&kv->sh->lru)) {
            return NULL;
        }

        q = ngx_queue_last(&kv->sh->lru);
        ngx_cerebro_shm_delete(kv,
                      ngx_queue_data(q, ngx_cerebro_shm_node_t, queue));
    }

    return NULL;
}


/* under the mutex: up to n expired entries from the LRU tail */
static void
ngx_cerebro_shm_expire(ngx_cerebro_shm_kv_t *kv, ngx_uint_t n)
{
    ngx_msec_t               now;
    ngx_queue_t             *q;
    ngx_cerebro_shm_node_t  *node;

    now = ngx_current_msec;

    while (n--) {
        if (ngx_queue_empty(&kv->sh->lru)) {
            return;
        }

        q = ngx_queue_last(&kv->sh->lru);
        node = ngx_queue_data(q, ngx_cerebro_shm_node_t, queue);

        if (!ngx_cerebro_shm_expired(node, now)) {
            return;
        }

        ngx_cerebro_shm_delete(kv, node);
    }
}
