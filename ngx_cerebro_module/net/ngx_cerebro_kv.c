
/*
 * The key-value layer: each operation goes to Redis when the worker's
 * connection is usable, and to the shared memory zone when Redis is not
 * configured, down, slow past the op's deadline, or answers an error.
 * The outage is logged once per host (a flag in the zone), and when Redis
 * returns, the keys deleted meanwhile are deleted there too, so that
 * Redis does not serve what the host invalidated while it was away.
 * A change, a DEL of ours or one Redis reports to the near cache
 * (ngx_cerebro_near.c), is told to who keeps values read.
 */

#include "ngx_cerebro_kv.h"
#include "ngx_cerebro_redis.h"
#include "ngx_cerebro_shm_kv.h"
#include "ngx_cerebro_near.h"

#include <ngx_sha1.h>
#include <openssl/rand.h>


#define NGX_CEREBRO_KV_SCRIPT_UNLOCK  0
#define NGX_CEREBRO_KV_SCRIPT_INCR    1
#define NGX_CEREBRO_KV_SCRIPT_PUSH    2
#define NGX_CEREBRO_KV_SCRIPT_RATE    3
#define NGX_CEREBRO_KV_NSCRIPTS       4

#define NGX_CEREBRO_KV_MAX_ARGS       8


struct ngx_cerebro_kv_s {
    ngx_cerebro_shm_kv_t     *shm;
    ngx_cerebro_redis_t      *redis;
    u_char                    sha[NGX_CEREBRO_KV_NSCRIPTS][41];
    ngx_log_t                *log;
    ngx_cerebro_near_t       *near;
    ngx_cerebro_kv_changed_pt changed;
};


/*
 * Each script does in one atomic step what would otherwise take a round
 * trip per command and leave a window between them.
 */
static const char  *ngx_cerebro_kv_scripts[NGX_CEREBRO_KV_NSCRIPTS] = {

    /* a lock is released by its owner only */
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) else return 0 end",

    /* a counter's window starts with its first hit */
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 and tonumber(ARGV[1]) > 0 then "
    "redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n",

    /* a capped list that lives ttl after its last push */
    "local n = redis.call('RPUSH', KEYS[1], ARGV[1]) "
    "local cap = tonumber(ARGV[2]) "
    "if n > cap then redis.call('LTRIM', KEYS[1], -cap, -1) n = cap end "
    "if tonumber(ARGV[3]) > 0 then "
    "redis.call('PEXPIRE', KEYS[1], ARGV[3]) end return n",

    /*
     * the limiter's send slots, timed by Redis's clock for every host: the
     * last ARGV[1] slots in a list, a new one ARGV[2] ms after the oldest
     * and never before the newest; none while KEYS[2] (a pause) lives
     */
    "local p = redis.call('PTTL', KEYS[2]) "
    "if p > 0 then return {1, p} end "
    "local t = redis.call('TIME') "
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
    "local rate = tonumber(ARGV[1]) local win = tonumber(ARGV[2]) "
    "local at = now local n = redis.call('LLEN', KEYS[1]) "
    "if n >= rate then "
    "local o = tonumber(redis.call('LINDEX', KEYS[1], -rate)) + win "
    "if o > at then at = o end end "
    "if n > 0 then local l = tonumber(redis.call('LINDEX', KEYS[1], -1)) "
    "if l > at then at = l end end "
    "if at - now > tonumber(ARGV[3]) then return {2, at - now} end "
    "redis.call('RPUSH', KEYS[1], string.format('%d', at)) "
    "redis.call('LTRIM', KEYS[1], -rate, -1) "
    "redis.call('PEXPIRE', KEYS[1], at - now + win) "
    "return {0, at - now}"
};


static ngx_cerebro_kv_t *ngx_cerebro_kv_get_conf(ngx_cerebro_kv_op_t *op);
static ngx_int_t ngx_cerebro_kv_redis(ngx_cerebro_kv_t *kv,
    ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_kv_reply(void *data, redisReply *reply,
    const char *err);
static ngx_int_t ngx_cerebro_kv_parse(ngx_cerebro_kv_op_t *op,
    redisReply *reply);
static ngx_int_t ngx_cerebro_kv_string(ngx_pool_t *pool, redisReply *reply,
    ngx_str_t *out);
static ngx_int_t ngx_cerebro_kv_items(ngx_cerebro_kv_op_t *op,
    redisReply *reply);
static void ngx_cerebro_kv_shm(ngx_cerebro_kv_t *kv,
    ngx_cerebro_kv_op_t *op);
static ngx_int_t ngx_cerebro_kv_shm_mget(ngx_cerebro_kv_t *kv,
    ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_kv_finish(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_kv_wakeup(ngx_event_t *ev);
static void ngx_cerebro_kv_cleanup(void *data);
static void ngx_cerebro_kv_token(u_char *token);
static void ngx_cerebro_kv_down(ngx_cerebro_redis_t *rd, void *data,
    const char *reason);
static void ngx_cerebro_kv_up(ngx_cerebro_redis_t *rd, void *data,
    const char *reason);
static void ngx_cerebro_kv_changed(void *data, ngx_str_t *keys,
    ngx_uint_t n);


ngx_int_t
ngx_cerebro_kv_init_conf(ngx_conf_t *cf, ngx_cerebro_main_conf_t *mcf,
    ngx_cerebro_net_conf_t *ncf)
{
    u_char             digest[20];
    ngx_uint_t         i;
    ngx_sha1_t         sha1;
    ngx_cerebro_kv_t  *kv;

    kv = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_kv_t));
    if (kv == NULL) {
        return NGX_ERROR;
    }

    ncf->kv = kv;

    kv->shm = ngx_cerebro_shm_kv_add(cf, NGX_CEREBRO_SHM_KV_SIZE);
    if (kv->shm == NULL) {
        return NGX_ERROR;
    }

    if (mcf->redis_url.len) {
        kv->redis = ngx_cerebro_redis_create(cf, &mcf->redis_url,
                                             &mcf->redis_password);
        if (kv->redis == NULL) {
            return NGX_ERROR;
        }

        ngx_cerebro_redis_set_events(kv->redis, ngx_cerebro_kv_down,
                                     ngx_cerebro_kv_up, kv);

        for (i = 0; i < NGX_CEREBRO_KV_NSCRIPTS; i++) {
            if (ngx_cerebro_redis_add_script(cf, kv->redis,
                                             ngx_cerebro_kv_scripts[i])
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        if (ncf->near_cache) {
            kv->near = ngx_cerebro_near_create(cf, mcf, kv->redis,
                                               ngx_cerebro_kv_changed, kv);
            if (kv->near == NULL) {
                return NGX_ERROR;
            }
        }
    }

    for (i = 0; i < NGX_CEREBRO_KV_NSCRIPTS; i++) {
        ngx_sha1_init(&sha1);
        ngx_sha1_update(&sha1, ngx_cerebro_kv_scripts[i],
                        ngx_strlen(ngx_cerebro_kv_scripts[i]));
        ngx_sha1_final(digest, &sha1);

        *ngx_hex_dump(kv->sha[i], digest, sizeof(digest)) = '\0';
    }

    return NGX_OK;
}


ngx_int_t
ngx_cerebro_kv_init_process(ngx_cycle_t *cycle)
{
    ngx_cerebro_kv_t        *kv;
    ngx_cerebro_net_conf_t  *ncf;

    ncf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cerebro_net_module);
    if (ncf == NULL || ncf->kv == NULL) {
        return NGX_OK;
    }

    kv = ncf->kv;
    kv->log = cycle->log;

    if (kv->redis) {
        if (kv->near
            && ngx_cerebro_near_init_process(kv->near, cycle) != NGX_OK)
        {
            return NGX_ERROR;
        }

        return ngx_cerebro_redis_init_process(kv->redis, cycle);
    }

    return NGX_OK;
}


void
ngx_cerebro_kv_exit_process(ngx_cycle_t *cycle)
{
    ngx_cerebro_kv_t        *kv;
    ngx_cerebro_net_conf_t  *ncf;

    ncf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cerebro_net_module);
    if (ncf == NULL || ncf->kv == NULL) {
        return;
    }

    kv = ncf->kv;

    if (kv->redis) {
        if (kv->near) {
            ngx_cerebro_near_exit_process(kv->near);
        }

        ngx_cerebro_redis_exit_process(kv->redis);
    }
}


const char *
ngx_cerebro_kv_state(ngx_cerebro_net_conf_t *ncf, const char **reason)
{
    const char        *status, *why;
    ngx_cerebro_kv_t  *kv;

    *reason = NULL;
    kv = ncf->kv;

    if (kv == NULL || kv->redis == NULL) {
        return "shared memory";
    }

    status = ngx_cerebro_redis_status(kv->redis, &why);

    if (ngx_strcmp(status, "down") == 0) {
        *reason = why ? why : "not connected";
        return "degraded";
    }

    return "redis";
}


ngx_int_t
ngx_cerebro_kv_get_local(ngx_cerebro_net_conf_t *ncf, ngx_str_t *key,
    ngx_pool_t *pool, ngx_str_t *value)
{
    ngx_int_t          rc;
    ngx_cerebro_kv_t  *kv;

    kv = ncf->kv;

    if (kv == NULL || kv->redis != NULL || kv->shm == NULL) {
        return NGX_DECLINED;
    }

    rc = ngx_cerebro_shm_kv_get(kv->shm, key, pool, value);

    return rc == NGX_OK ? NGX_OK : NGX_DECLINED;
}


ngx_uint_t
ngx_cerebro_kv_near_epoch(ngx_cerebro_net_conf_t *ncf)
{
    ngx_cerebro_kv_t  *kv;

    kv = ncf->kv;

    if (kv == NULL || kv->near == NULL) {
        return 0;
    }

    return ngx_cerebro_near_epoch(kv->near);
}


void
ngx_cerebro_kv_on_change(ngx_cerebro_net_conf_t *ncf,
    ngx_cerebro_kv_changed_pt handler)
{
    ngx_cerebro_kv_t  *kv;

    kv = ncf->kv;

    if (kv) {
        kv->changed = handler;
    }
}


ngx_uint_t
ngx_cerebro_kv_remote(ngx_cerebro_net_conf_t *ncf)
{
    const char        *why;
    ngx_cerebro_kv_t  *kv;

    kv = ncf->kv;

    return kv != NULL && kv->redis != NULL
           && ngx_strcmp(ngx_cerebro_redis_status(kv->redis, &why), "ready")
              == 0;
}


ngx_uint_t
ngx_cerebro_kv_shared(ngx_cerebro_net_conf_t *ncf)
{
    ngx_cerebro_kv_t  *kv;

    kv = ncf->kv;

    return kv != NULL && kv->redis != NULL;
}


static ngx_cerebro_kv_t *
ngx_cerebro_kv_get_conf(ngx_cerebro_kv_op_t *op)
{
    ngx_cerebro_net_conf_t  *ncf;

    if (op->request) {
        ncf = ngx_http_get_module_main_conf(op->request,
                                            ngx_cerebro_net_module);

    } else {
        ncf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                                  ngx_cerebro_net_module);
    }

    return ncf ? ncf->kv : NULL;
}


ngx_int_t
ngx_cerebro_kv_start(ngx_cerebro_kv_op_t *op)
{
    ngx_str_t           *keys;
    ngx_uint_t           n;
    ngx_cerebro_kv_t    *kv;
    ngx_pool_cleanup_t  *cln;

    kv = ngx_cerebro_kv_get_conf(op);

    if (op->request) {
        op->pool = op->request->pool;
        op->log = op->request->connection->log;
    }

    if (kv == NULL || kv->shm == NULL || op->pool == NULL || op->log == NULL
        || op->done == NULL || (op->key.len == 0 && op->nkeys == 0))
    {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(op->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_cerebro_kv_cleanup;
    cln->data = op;

    op->kv = kv;
    op->cmd = NULL;
    op->eval = 0;
    op->finished = 0;
    op->rc = NGX_CEREBRO_KV_ERROR;
    ngx_str_null(&op->result);
    op->number = 0;
    op->items = NULL;
    op->backend = NULL;
    op->error = NULL;

    /* whatever the op held before: it is not posted, and starts clean */
    ngx_memzero(&op->wakeup, sizeof(ngx_event_t));
    op->wakeup.handler = ngx_cerebro_kv_wakeup;
    op->wakeup.data = op;
    op->wakeup.log = op->log;

    if (op->timeout == 0) {
        op->timeout = NGX_CEREBRO_KV_TIMEOUT;
    }

    if (op->kind == NGX_CEREBRO_KV_LOCK) {
        ngx_cerebro_kv_token(op->token);
    }

    if (op->kind == NGX_CEREBRO_KV_DEL) {
        /* our own change: not trusted from now, before Redis says so */
        keys = op->nkeys ? op->keys : &op->key;
        n = op->nkeys ? op->nkeys : 1;

        if (kv->near) {
            ngx_cerebro_near_untrust(kv->near, keys, n);

        } else {
            ngx_cerebro_kv_changed(kv, keys, n);
        }
    }

    if (kv->redis) {
        if (ngx_cerebro_kv_redis(kv, op) == NGX_OK) {
            return NGX_OK;
        }

        op->error = "Redis unavailable";
    }

    ngx_cerebro_kv_shm(kv, op);

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_kv_redis(ngx_cerebro_kv_t *kv, ngx_cerebro_kv_op_t *op)
{
    int           argc;
    u_char        ttl[NGX_INT_T_LEN], cap[NGX_INT_T_LEN];
    u_char        wait[NGX_INT_T_LEN];
    size_t       *lens, lens0[NGX_CEREBRO_KV_MAX_ARGS];
    ngx_str_t    *key;
    ngx_uint_t    i, script;
    const char  **argv, *argv0[NGX_CEREBRO_KV_MAX_ARGS];

#define arg(s, n)  { argv[argc] = (const char *) (s); lens[argc++] = (n); }
#define arg_str(s) arg((s), ngx_strlen(s))

    argv = argv0;
    lens = lens0;
    argc = 0;
    script = NGX_CEREBRO_KV_NSCRIPTS;

    switch (op->kind) {

    case NGX_CEREBRO_KV_GET:
        arg_str("GET");
        arg(op->key.data, op->key.len);
        break;

    case NGX_CEREBRO_KV_SET:
        arg_str("SET");
        arg(op->key.data, op->key.len);
        arg(op->value.data, op->value.len);

        if (op->ttl) {
            arg_str("PX");
            arg(ttl, ngx_sprintf(ttl, "%M", op->ttl) - ttl);
        }

        if (op->nx) {
            arg_str("NX");
        }

        break;

    case NGX_CEREBRO_KV_DEL:
    case NGX_CEREBRO_KV_MGET:
        if (op->nkeys + 1 > NGX_CEREBRO_KV_MAX_ARGS) {
            argv = ngx_palloc(op->pool, (op->nkeys + 1) * sizeof(char *));
            lens = ngx_palloc(op->pool, (op->nkeys + 1) * sizeof(size_t));
            if (argv == NULL || lens == NULL) {
                return NGX_ERROR;
            }
        }

        arg_str((op->kind == NGX_CEREBRO_KV_DEL ? "DEL" : "MGET"));

        if (op->nkeys) {
            for (i = 0; i < op->nkeys; i++) {
                key = &op->keys[i];
                arg(key->data, key->len);
            }

        } else {
            arg(op->key.data, op->key.len);
        }

        break;

    case NGX_CEREBRO_KV_LOCK:
        arg_str("SET");
        arg(op->key.data, op->key.len);
        arg(op->token, NGX_CEREBRO_KV_TOKEN_LEN);
        arg_str("NX");
        arg_str("PX");
        arg(ttl, ngx_sprintf(ttl, "%M", op->ttl ? op->ttl : 1000) - ttl);
        break;

    case NGX_CEREBRO_KV_UNLOCK:
        script = NGX_CEREBRO_KV_SCRIPT_UNLOCK;
        break;

    case NGX_CEREBRO_KV_INCR:
        script = NGX_CEREBRO_KV_SCRIPT_INCR;
        break;

    case NGX_CEREBRO_KV_PUSH:
        if (op->cap == 0) {
            return NGX_ERROR;
        }

        script = NGX_CEREBRO_KV_SCRIPT_PUSH;
        break;

    case NGX_CEREBRO_KV_RATE:
        if (op->cap == 0 || op->value.len == 0) {
            return NGX_ERROR;
        }

        script = NGX_CEREBRO_KV_SCRIPT_RATE;
        break;

    case NGX_CEREBRO_KV_RANGE:
        arg_str("LRANGE");
        arg(op->key.data, op->key.len);

        if (op->cap) {
            arg(cap, ngx_sprintf(cap, "-%ui", op->cap) - cap);

        } else {
            arg_str("0");
        }

        arg_str("-1");
        break;

    default:
        return NGX_ERROR;
    }

    if (script < NGX_CEREBRO_KV_NSCRIPTS) {
        /* the script's digest first; its text when Redis lacks it */
        if (op->eval) {
            arg_str("EVAL");
            arg_str(ngx_cerebro_kv_scripts[script]);

        } else {
            arg_str("EVALSHA");
            arg(kv->sha[script], 40);
        }

        arg_str((op->kind == NGX_CEREBRO_KV_RATE ? "2" : "1"));
        arg(op->key.data, op->key.len);

        switch (op->kind) {

        case NGX_CEREBRO_KV_RATE:
            arg(op->value.data, op->value.len);
            arg(cap, ngx_sprintf(cap, "%ui", op->cap) - cap);
            arg(ttl, ngx_sprintf(ttl, "%M", op->ttl) - ttl);
            arg(wait, ngx_sprintf(wait, "%M", op->wait) - wait);
            break;

        case NGX_CEREBRO_KV_UNLOCK:
            arg(op->token, NGX_CEREBRO_KV_TOKEN_LEN);
            break;

        case NGX_CEREBRO_KV_INCR:
            arg(ttl, ngx_sprintf(ttl, "%M", op->ttl) - ttl);
            break;

        default: /* NGX_CEREBRO_KV_PUSH */
            arg(op->value.data, op->value.len);
            arg(cap, ngx_sprintf(cap, "%ui", op->cap) - cap);
            arg(ttl, ngx_sprintf(ttl, "%M", op->ttl) - ttl);
            break;
        }
    }

#undef arg
#undef arg_str

    op->cmd = ngx_cerebro_redis_send(kv->redis, op->timeout,
                                     ngx_cerebro_kv_reply, op, argc, argv,
                                     lens);

    return op->cmd ? NGX_OK : NGX_ERROR;
}


static void
ngx_cerebro_kv_reply(void *data, redisReply *reply, const char *err)
{
    ngx_cerebro_kv_op_t *op = data;

    ngx_cerebro_kv_t  *kv;

    kv = op->kv;
    op->cmd = NULL;

    if (reply && reply->type == REDIS_REPLY_ERROR
        && reply->len >= 8 && ngx_strncmp(reply->str, "NOSCRIPT", 8) == 0
        && !op->eval)
    {
        /* a restarted or flushed Redis: send the script itself once */
        op->eval = 1;

        if (ngx_cerebro_kv_redis(kv, op) == NGX_OK) {
            return;
        }

        err = "cannot resend the script";
        reply = NULL;
    }

    if (reply && reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_WARN, op->log, 0,
                      "cerebro: Redis refused an operation on \"%V\": %*s",
                      op->nkeys ? &op->keys[0] : &op->key,
                      (size_t) ngx_min(reply->len, 200), reply->str);
        err = "Redis answered an error";
        reply = NULL;
    }

    if (reply && ngx_cerebro_kv_parse(op, reply) == NGX_OK) {
        op->backend = "redis";

        /* the zone must not keep what Redis just forgot */
        if (op->kind == NGX_CEREBRO_KV_DEL) {
            ngx_uint_t  i;

            if (op->nkeys) {
                for (i = 0; i < op->nkeys; i++) {
                    (void) ngx_cerebro_shm_kv_del(kv->shm, &op->keys[i]);
                }

            } else {
                (void) ngx_cerebro_shm_kv_del(kv->shm, &op->key);
            }
        }

        ngx_cerebro_kv_finish(op);
        return;
    }

    op->error = err ? err : "unexpected reply from Redis";

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, op->log, 0,
                   "cerebro: kv \"%V\" from shared memory: %s",
                   &op->key, op->error);

    ngx_cerebro_kv_shm(kv, op);
}


static ngx_int_t
ngx_cerebro_kv_parse(ngx_cerebro_kv_op_t *op, redisReply *reply)
{
    switch (op->kind) {

    case NGX_CEREBRO_KV_GET:
        if (reply->type == REDIS_REPLY_NIL) {
            op->rc = NGX_CEREBRO_KV_NONE;
            return NGX_OK;
        }

        if (ngx_cerebro_kv_string(op->pool, reply, &op->result) != NGX_OK) {
            return NGX_ERROR;
        }

        op->rc = NGX_CEREBRO_KV_OK;
        return NGX_OK;

    case NGX_CEREBRO_KV_SET:
    case NGX_CEREBRO_KV_LOCK:
        if (reply->type == REDIS_REPLY_NIL) {
            op->rc = NGX_CEREBRO_KV_NONE;
            return NGX_OK;
        }

        if (reply->type != REDIS_REPLY_STATUS) {
            return NGX_ERROR;
        }

        op->rc = NGX_CEREBRO_KV_OK;
        return NGX_OK;

    case NGX_CEREBRO_KV_DEL:
    case NGX_CEREBRO_KV_UNLOCK:
    case NGX_CEREBRO_KV_INCR:
    case NGX_CEREBRO_KV_PUSH:
        if (reply->type != REDIS_REPLY_INTEGER) {
            return NGX_ERROR;
        }

        op->number = reply->integer;
        op->rc = (op->kind == NGX_CEREBRO_KV_UNLOCK && reply->integer == 0)
                 ? NGX_CEREBRO_KV_NONE : NGX_CEREBRO_KV_OK;
        return NGX_OK;

    case NGX_CEREBRO_KV_RANGE:
        if (reply->type != REDIS_REPLY_ARRAY
            || ngx_cerebro_kv_items(op, reply) != NGX_OK)
        {
            return NGX_ERROR;
        }

        /* Redis has no empty list: none is a missing key */
        op->rc = reply->elements ? NGX_CEREBRO_KV_OK : NGX_CEREBRO_KV_NONE;
        return NGX_OK;

    case NGX_CEREBRO_KV_MGET:
        if (reply->type != REDIS_REPLY_ARRAY
            || reply->elements != (op->nkeys ? op->nkeys : 1)
            || ngx_cerebro_kv_items(op, reply) != NGX_OK)
        {
            return NGX_ERROR;
        }

        op->rc = NGX_CEREBRO_KV_OK;
        return NGX_OK;

    case NGX_CEREBRO_KV_RATE:
        /* {0, ms}: reserved; {1, ms}: paused; {2, ms}: too far */
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
            || reply->element[0]->type != REDIS_REPLY_INTEGER
            || reply->element[1]->type != REDIS_REPLY_INTEGER
            || reply->element[1]->integer < 0)
        {
            return NGX_ERROR;
        }

        op->number = reply->element[1]->integer;

        switch (reply->element[0]->integer) {
        case 0:
            op->rc = NGX_CEREBRO_KV_OK;
            return NGX_OK;
        case 1:
            op->number = -op->number;
            /* fall through */
        case 2:
            op->rc = NGX_CEREBRO_KV_NONE;
            return NGX_OK;
        default:
            return NGX_ERROR;
        }

    default:
        return NGX_ERROR;
    }
}


/* A string reply, copied into the pool and NUL-terminated. */
static ngx_int_t
ngx_cerebro_kv_string(ngx_pool_t *pool, redisReply *reply, ngx_str_t *out)
{
    if (reply->type != REDIS_REPLY_STRING) {
        return NGX_ERROR;
    }

    out->data = ngx_pnalloc(pool, reply->len + 1);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(out->data, reply->str, reply->len);
    out->data[reply->len] = '\0';
    out->len = reply->len;

    return NGX_OK;
}


/*
 * An array reply's strings into op->items, in order; a nil (a key MGET
 * did not find) as an empty string with no data.
 */
static ngx_int_t
ngx_cerebro_kv_items(ngx_cerebro_kv_op_t *op, redisReply *reply)
{
    size_t       i;
    ngx_str_t   *s;

    op->items = ngx_array_create(op->pool, reply->elements + 1,
                                 sizeof(ngx_str_t));
    if (op->items == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < reply->elements; i++) {
        s = ngx_array_push(op->items);

        if (reply->element[i]->type == REDIS_REPLY_NIL
            && op->kind == NGX_CEREBRO_KV_MGET)
        {
            ngx_str_null(s);
            continue;
        }

        if (ngx_cerebro_kv_string(op->pool, reply->element[i], s)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* The zone answers at once; done() still comes from the event loop. */
static void
ngx_cerebro_kv_shm(ngx_cerebro_kv_t *kv, ngx_cerebro_kv_op_t *op)
{
    ngx_int_t    rc;
    ngx_uint_t   i, len;
    ngx_str_t    token;

    op->backend = "shared memory";

    switch (op->kind) {

    case NGX_CEREBRO_KV_GET:
        rc = ngx_cerebro_shm_kv_get(kv->shm, &op->key, op->pool,
                                    &op->result);
        break;

    case NGX_CEREBRO_KV_SET:
        rc = ngx_cerebro_shm_kv_set(kv->shm, &op->key, &op->value, op->ttl,
                                    op->nx);
        break;

    case NGX_CEREBRO_KV_DEL:
        rc = NGX_OK;

        for (i = 0; i < (op->nkeys ? op->nkeys : 1); i++) {
            ngx_str_t  *key = op->nkeys ? &op->keys[i] : &op->key;

            if (ngx_cerebro_shm_kv_del(kv->shm, key) == NGX_OK) {
                op->number++;
            }

            if (kv->redis) {
                /* Redis still has it: delete it there when it is back */
                ngx_cerebro_shm_kv_note_invalidation(kv->shm, key);
            }
        }

        break;

    case NGX_CEREBRO_KV_LOCK:
        token.data = op->token;
        token.len = NGX_CEREBRO_KV_TOKEN_LEN;
        rc = ngx_cerebro_shm_kv_set(kv->shm, &op->key, &token,
                                    op->ttl ? op->ttl : 1000, 1);
        break;

    case NGX_CEREBRO_KV_UNLOCK:
        token.data = op->token;
        token.len = NGX_CEREBRO_KV_TOKEN_LEN;
        rc = ngx_cerebro_shm_kv_unlock(kv->shm, &op->key, &token);
        break;

    case NGX_CEREBRO_KV_INCR:
        rc = ngx_cerebro_shm_kv_incr(kv->shm, &op->key, op->ttl,
                                     &op->number);
        break;

    case NGX_CEREBRO_KV_PUSH:
        rc = ngx_cerebro_shm_kv_push(kv->shm, &op->key, &op->value, op->cap,
                                     op->ttl, &len);
        op->number = len;
        break;

    case NGX_CEREBRO_KV_RANGE:
        rc = ngx_cerebro_shm_kv_range(kv->shm, &op->key, op->cap, op->pool,
                                      &op->items);
        break;

    case NGX_CEREBRO_KV_MGET:
        rc = ngx_cerebro_kv_shm_mget(kv, op);
        break;

    default:
        rc = NGX_ERROR;
    }

    switch (rc) {

    case NGX_OK:
        op->rc = NGX_CEREBRO_KV_OK;
        break;

    case NGX_DECLINED:
        op->rc = NGX_CEREBRO_KV_NONE;
        break;

    default:
        op->rc = NGX_CEREBRO_KV_ERROR;
        op->error = "shared memory: no room, or a value of another kind";
    }

    ngx_cerebro_kv_finish(op);
}


static ngx_int_t
ngx_cerebro_kv_shm_mget(ngx_cerebro_kv_t *kv, ngx_cerebro_kv_op_t *op)
{
    ngx_int_t    rc;
    ngx_str_t   *key, *value;
    ngx_uint_t   i, n;

    n = op->nkeys ? op->nkeys : 1;

    op->items = ngx_array_create(op->pool, n, sizeof(ngx_str_t));
    if (op->items == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        key = op->nkeys ? &op->keys[i] : &op->key;
        value = ngx_array_push(op->items);

        rc = ngx_cerebro_shm_kv_get(kv->shm, key, op->pool, value);

        if (rc == NGX_DECLINED) {
            ngx_str_null(value);

        } else if (rc != NGX_OK) {
            return rc;
        }
    }

    return NGX_OK;
}


static void
ngx_cerebro_kv_finish(ngx_cerebro_kv_op_t *op)
{
    if (op->finished) {
        return;
    }

    op->finished = 1;

    ngx_post_event(&op->wakeup, &ngx_posted_events);
}


static void
ngx_cerebro_kv_wakeup(ngx_event_t *ev)
{
    ngx_connection_t     *c;
    ngx_cerebro_kv_op_t  *op;

    op = ev->data;

    if (op->request) {
        c = op->request->connection;
        op->done(op);
        ngx_http_run_posted_requests(c);
        return;
    }

    op->done(op);
}


/* The pool goes away: no reply and no posted event may find op again. */
static void
ngx_cerebro_kv_cleanup(void *data)
{
    ngx_cerebro_kv_op_t *op = data;

    if (op->cmd) {
        ngx_cerebro_redis_detach(op->cmd);
        op->cmd = NULL;
    }

    if (op->wakeup.posted) {
        ngx_delete_posted_event(&op->wakeup);
    }
}


static void
ngx_cerebro_kv_token(u_char *token)
{
    u_char      raw[NGX_CEREBRO_KV_TOKEN_LEN / 2];
    ngx_uint_t  i;
    uint32_t    r;

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        for (i = 0; i < sizeof(raw); i += 4) {
            r = (uint32_t) ngx_random();
            ngx_memcpy(&raw[i], &r, ngx_min(4, sizeof(raw) - i));
        }
    }

    (void) ngx_hex_dump(token, raw, sizeof(raw));
}


static void
ngx_cerebro_kv_down(ngx_cerebro_redis_t *rd, void *data, const char *reason)
{
    ngx_cerebro_kv_t *kv = data;

    if (kv->near) {
        ngx_cerebro_near_off(kv->near);
    }

    if (ngx_exiting || ngx_quit) {
        return;
    }

    /* one line per outage for the host, not one per worker or request */
    if (ngx_cerebro_shm_kv_set_outage(kv->shm, 1) == 0) {
        ngx_log_error(NGX_LOG_WARN, kv->log, 0,
                      "cerebro: Redis %V unavailable (%s): cache, locks and "
                      "counters are served from this host's shared memory "
                      "until it returns", ngx_cerebro_redis_name(rd),
                      reason ? reason : "unknown reason");
    }
}


static void
ngx_cerebro_kv_up(ngx_cerebro_redis_t *rd, void *data, const char *reason)
{
    ngx_cerebro_kv_t *kv = data;

    int           argc;
    size_t       *lens;
    ngx_str_t    *keys;
    ngx_uint_t    i, overflow;
    ngx_pool_t   *pool;
    const char  **argv;
    ngx_array_t  *a;

    if (kv->near) {
        ngx_cerebro_near_track(kv->near);
    }

    if (ngx_cerebro_shm_kv_set_outage(kv->shm, 0)) {
        ngx_log_error(NGX_LOG_NOTICE, kv->log, 0,
                      "cerebro: Redis %V is back: cache, locks and counters "
                      "are served by Redis again",
                      ngx_cerebro_redis_name(rd));
    }

    pool = ngx_create_pool(1024, kv->log);
    if (pool == NULL) {
        return;
    }

    a = ngx_cerebro_shm_kv_take_invalidations(kv->shm, pool, &overflow);

    if (overflow) {
        ngx_log_error(NGX_LOG_WARN, kv->log, 0,
                      "cerebro: more keys were invalidated during the Redis "
                      "outage than could be remembered: some cached values "
                      "in Redis may be stale until they expire");
    }

    if (a && a->nelts) {
        argv = ngx_palloc(pool, (a->nelts + 1) * sizeof(char *));
        lens = ngx_palloc(pool, (a->nelts + 1) * sizeof(size_t));

        if (argv && lens) {
            argc = 0;
            argv[argc] = "DEL";
            lens[argc++] = 3;

            keys = a->elts;
            for (i = 0; i < a->nelts; i++) {
                argv[argc] = (const char *) keys[i].data;
                lens[argc++] = keys[i].len;
            }

            /* fire and forget: nobody waits on it */
            (void) ngx_cerebro_redis_send(rd, 0, NULL, NULL, argc, argv,
                                          lens);
        }
    }

    ngx_destroy_pool(pool);
}


/* A change, ours or one Redis told of, for who keeps values read. */
static void
ngx_cerebro_kv_changed(void *data, ngx_str_t *keys, ngx_uint_t n)
{
    ngx_cerebro_kv_t *kv = data;

    if (kv->changed) {
        kv->changed(keys, n);
    }
}
