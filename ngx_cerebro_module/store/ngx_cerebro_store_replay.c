
/*
 * Replay keys (ngx_cerebro_store_replay.h): the file first, then Redis
 * when it is configured, or when the file could not answer.  In Redis a
 * value is "<failed>|<answer>", as before the file held them.
 */

#include "ngx_cerebro_store_replay.h"


static void ngx_cerebro_replay_file_found(ngx_cerebro_store_op_t *op);
static void ngx_cerebro_replay_kv_found(ngx_cerebro_kv_op_t *kv);
static void ngx_cerebro_replay_file_kept(ngx_cerebro_store_op_t *op);
static void ngx_cerebro_replay_kv_kept(ngx_cerebro_kv_op_t *kv);
static void ngx_cerebro_replay_file(ngx_cerebro_replay_t *rp,
    ngx_cerebro_store_kind_e kind, ngx_cerebro_store_done_pt done);
static ngx_int_t ngx_cerebro_replay_kv(ngx_cerebro_replay_t *rp,
    ngx_cerebro_kv_kind_e kind, ngx_cerebro_kv_done_pt done);
static ngx_uint_t ngx_cerebro_replay_shared(ngx_cerebro_replay_t *rp);


ngx_int_t
ngx_cerebro_replay_find(ngx_cerebro_replay_t *rp)
{
    rp->found = 0;
    rp->kept = 0;
    rp->error = NULL;

    ngx_cerebro_replay_file(rp, NGX_CEREBRO_STORE_REPLAY_FIND,
                            ngx_cerebro_replay_file_found);

    return ngx_cerebro_store_start(&rp->op);
}


ngx_int_t
ngx_cerebro_replay_keep(ngx_cerebro_replay_t *rp)
{
    rp->kept = 0;
    rp->error = NULL;

    ngx_cerebro_replay_file(rp, NGX_CEREBRO_STORE_REPLAY_KEEP,
                            ngx_cerebro_replay_file_kept);

    rp->op.text = rp->text;
    rp->op.failed = rp->failed;
    rp->op.ttl = NGX_CEREBRO_REPLAY_TTL;

    return ngx_cerebro_store_start(&rp->op);
}


static void
ngx_cerebro_replay_file(ngx_cerebro_replay_t *rp,
    ngx_cerebro_store_kind_e kind, ngx_cerebro_store_done_pt done)
{
    ngx_memzero(&rp->op, sizeof(ngx_cerebro_store_op_t));

    rp->op.request = rp->request;
    rp->op.kind = kind;
    rp->op.key = rp->key;
    rp->op.done = done;
    rp->op.data = rp;
}


static void
ngx_cerebro_replay_file_found(ngx_cerebro_store_op_t *op)
{
    ngx_cerebro_replay_t *rp = op->data;

    if (op->error.kind == CEREBRO_STORE_OK) {
        rp->found = 1;
        rp->text = op->text;
        rp->failed = op->failed;
        rp->done(rp);
        return;
    }

    if (op->error.kind != CEREBRO_STORE_NOT_FOUND) {
        ngx_cerebro_log(NGX_LOG_WARN, rp->request->connection->log, 0,
                        "replay key \"%V\" not read from the file: %s",
                        &rp->key, op->error.message);
    }

    /* another host's answer, or the only copy when the file failed */
    if ((ngx_cerebro_replay_shared(rp)
         || op->error.kind != CEREBRO_STORE_NOT_FOUND)
        && ngx_cerebro_replay_kv(rp, NGX_CEREBRO_KV_GET,
                                 ngx_cerebro_replay_kv_found)
           == NGX_OK)
    {
        return;
    }

    rp->done(rp);
}


static void
ngx_cerebro_replay_kv_found(ngx_cerebro_kv_op_t *kv)
{
    ngx_cerebro_replay_t *rp = kv->data;

    if (kv->rc == NGX_CEREBRO_KV_OK && kv->result.len >= 2
        && kv->result.data[1] == '|')
    {
        rp->found = 1;
        rp->failed = (kv->result.data[0] == '1');
        rp->text.data = kv->result.data + 2;
        rp->text.len = kv->result.len - 2;
    }

    rp->done(rp);
}


static void
ngx_cerebro_replay_file_kept(ngx_cerebro_store_op_t *op)
{
    ngx_cerebro_replay_t *rp = op->data;

    if (op->error.kind == CEREBRO_STORE_OK) {
        rp->kept = 1;

    } else {
        rp->error = "not kept in the file";

        ngx_cerebro_log(NGX_LOG_WARN, rp->request->connection->log, 0,
                        "replay key \"%V\" not kept in the file: %s",
                        &rp->key, op->error.message);
    }

    if ((ngx_cerebro_replay_shared(rp) || !rp->kept)
        && ngx_cerebro_replay_kv(rp, NGX_CEREBRO_KV_SET,
                                 ngx_cerebro_replay_kv_kept)
           == NGX_OK)
    {
        return;
    }

    rp->done(rp);
}


static void
ngx_cerebro_replay_kv_kept(ngx_cerebro_kv_op_t *kv)
{
    ngx_cerebro_replay_t *rp = kv->data;

    /* NONE: NX found the key there, with the first answer */
    if (kv->rc != NGX_CEREBRO_KV_ERROR) {
        rp->kept = 1;
        rp->error = NULL;

    } else if (!rp->kept) {
        rp->error = kv->error ? kv->error : "unknown error";
    }

    rp->done(rp);
}


static ngx_int_t
ngx_cerebro_replay_kv(ngx_cerebro_replay_t *rp, ngx_cerebro_kv_kind_e kind,
    ngx_cerebro_kv_done_pt done)
{
    u_char               *p;
    ngx_cerebro_kv_op_t  *kv;

    kv = &rp->kv;

    ngx_cerebro_kv_op_init(kv);

    kv->request = rp->request;
    kv->kind = kind;
    kv->key = rp->key;
    kv->done = done;
    kv->data = rp;

    if (kind == NGX_CEREBRO_KV_SET) {
        p = ngx_pnalloc(rp->request->pool, rp->text.len + 2);
        if (p == NULL) {
            return NGX_ERROR;
        }

        p[0] = rp->failed ? '1' : '0';
        p[1] = '|';
        ngx_memcpy(p + 2, rp->text.data, rp->text.len);

        kv->value.data = p;
        kv->value.len = rp->text.len + 2;
        kv->ttl = NGX_CEREBRO_REPLAY_TTL;
        kv->nx = 1;
    }

    return ngx_cerebro_kv_start(kv);
}


static ngx_uint_t
ngx_cerebro_replay_shared(ngx_cerebro_replay_t *rp)
{
    ngx_cerebro_net_conf_t  *ncf;

    ncf = ngx_http_get_module_main_conf(rp->request, ngx_cerebro_net_module);

    return ngx_cerebro_kv_shared(ncf);
}
