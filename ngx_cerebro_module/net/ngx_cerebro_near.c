
/*
 * The near cache: a worker trusts what it read from Redis only while its
 * subscriber connection is subscribed and Redis tracks the restaurant's
 * keys for it, since only then would it hear of a change.
 */

#include "ngx_cerebro_near.h"
#include "ngx_cerebro_kv.h"


struct ngx_cerebro_near_s {
    ngx_cerebro_redis_t          *redis;
    ngx_cerebro_redis_t          *sub;
    ngx_str_t                     tracked;        /* the keys' prefix */
    ngx_uint_t                    epoch;
    ngx_cerebro_near_changed_pt   changed;
    void                         *data;
    ngx_log_t                    *log;
    unsigned                      tracking:1;
};


static void ngx_cerebro_near_tracked(void *data, redisReply *reply,
    const char *err);
static void ngx_cerebro_near_invalidated(void *data, redisReply *reply,
    const char *err);
static void ngx_cerebro_near_sub_down(ngx_cerebro_redis_t *rd, void *data,
    const char *reason);
static void ngx_cerebro_near_sub_up(ngx_cerebro_redis_t *rd, void *data,
    const char *reason);


ngx_cerebro_near_t *
ngx_cerebro_near_create(ngx_conf_t *cf, ngx_cerebro_main_conf_t *mcf,
    ngx_cerebro_redis_t *redis, ngx_cerebro_near_changed_pt changed,
    void *data)
{
    ngx_cerebro_near_t  *near;

    near = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_near_t));
    if (near == NULL) {
        return NULL;
    }

    near->sub = ngx_cerebro_redis_create(cf, &mcf->redis_url,
                                         &mcf->redis_password);
    if (near->sub == NULL) {
        return NULL;
    }

    ngx_cerebro_redis_set_subscriber(near->sub, "__redis__:invalidate",
                                     ngx_cerebro_near_invalidated, near);
    ngx_cerebro_redis_set_events(near->sub, ngx_cerebro_near_sub_down,
                                 ngx_cerebro_near_sub_up, near);

    near->redis = redis;
    near->tracked = mcf->cache_prefix;
    near->changed = changed;
    near->data = data;

    return near;
}


ngx_int_t
ngx_cerebro_near_init_process(ngx_cerebro_near_t *near, ngx_cycle_t *cycle)
{
    near->log = cycle->log;
    near->epoch = 1;

    return ngx_cerebro_redis_init_process(near->sub, cycle);
}


void
ngx_cerebro_near_exit_process(ngx_cerebro_near_t *near)
{
    near->tracking = 0;

    ngx_cerebro_redis_exit_process(near->sub);
}


ngx_uint_t
ngx_cerebro_near_epoch(ngx_cerebro_near_t *near)
{
    /* a slow Redis may be one that cannot tell of changes either */
    if (!near->tracking || !ngx_cerebro_redis_usable(near->redis)) {
        return 0;
    }

    /* a change Redis told before this request came is known first */
    ngx_cerebro_redis_drain(near->sub);

    return near->tracking ? near->epoch : 0;
}


/*
 * Broadcast tracking of the restaurant's keys, redirected to this worker's
 * subscriber: asked again whenever either connection is made again (a new
 * subscriber has a new id; a new main connection tracks nothing).
 */
void
ngx_cerebro_near_track(ngx_cerebro_near_t *near)
{
    u_char       id[NGX_INT64_LEN + 1];
    long long    client;
    const char  *argv[8];
    size_t       lens[8];

    ngx_cerebro_near_off(near);

    client = ngx_cerebro_redis_client_id(near->sub);

    if (client == 0 || near->tracked.len == 0
        || !ngx_cerebro_redis_usable(near->redis))
    {
        return;
    }

    argv[0] = "CLIENT";
    argv[1] = "TRACKING";
    argv[2] = "off";
    lens[0] = 6;
    lens[1] = 8;
    lens[2] = 3;

    (void) ngx_cerebro_redis_send(near->redis, 0, NULL, NULL, 3, argv, lens);

    argv[2] = "on";
    argv[3] = "REDIRECT";
    argv[4] = (const char *) id;
    argv[5] = "BCAST";
    argv[6] = "PREFIX";
    argv[7] = (const char *) near->tracked.data;
    lens[2] = 2;
    lens[3] = 8;
    lens[4] = ngx_sprintf(id, "%L", (int64_t) client) - id;
    lens[5] = 5;
    lens[6] = 6;
    lens[7] = near->tracked.len;

    (void) ngx_cerebro_redis_send(near->redis, NGX_CEREBRO_KV_TIMEOUT,
                                  ngx_cerebro_near_tracked, near, 8, argv,
                                  lens);
}


static void
ngx_cerebro_near_tracked(void *data, redisReply *reply, const char *err)
{
    ngx_cerebro_near_t *near = data;

    if (reply == NULL || reply->type != REDIS_REPLY_STATUS) {
        ngx_log_error(NGX_LOG_NOTICE, near->log, 0,
                      "cerebro: Redis does not track the cached keys (%s): "
                      "every read asks Redis",
                      reply && reply->type == REDIS_REPLY_ERROR
                      ? reply->str : (err ? err : "no answer"));
        return;
    }

    ngx_cerebro_near_untrust(near, NULL, 0);
    near->tracking = 1;
}


/*
 * Keys changed (an array of their names), or every key (nil: a FLUSHALL,
 * or Redis's tracking table full).
 */
static void
ngx_cerebro_near_invalidated(void *data, redisReply *reply, const char *err)
{
    ngx_cerebro_near_t *near = data;

    size_t      i;
    ngx_str_t   key;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        ngx_cerebro_near_untrust(near, NULL, 0);
        return;
    }

    for (i = 0; i < reply->elements; i++) {
        if (reply->element[i]->type != REDIS_REPLY_STRING) {
            ngx_cerebro_near_untrust(near, NULL, 0);
            return;
        }

        key.data = (u_char *) reply->element[i]->str;
        key.len = reply->element[i]->len;

        ngx_cerebro_near_untrust(near, &key, 1);
    }
}


static void
ngx_cerebro_near_sub_down(ngx_cerebro_redis_t *rd, void *data,
    const char *reason)
{
    ngx_cerebro_near_off(data);
}


static void
ngx_cerebro_near_sub_up(ngx_cerebro_redis_t *rd, void *data,
    const char *reason)
{
    ngx_cerebro_near_track(data);
}


void
ngx_cerebro_near_off(ngx_cerebro_near_t *near)
{
    near->tracking = 0;
    ngx_cerebro_near_untrust(near, NULL, 0);
}


/*
 * A change: every read in flight is not to be trusted (the epoch moves),
 * nor what was read of these keys (all of them when keys is NULL).
 */
void
ngx_cerebro_near_untrust(ngx_cerebro_near_t *near, ngx_str_t *keys,
    ngx_uint_t n)
{
    /* never 0: 0 says "no near cache" */
    if (++near->epoch == 0) {
        near->epoch = 1;
    }

    near->changed(near->data, keys, n);
}
