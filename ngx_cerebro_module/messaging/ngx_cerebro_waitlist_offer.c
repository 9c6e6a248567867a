
/*
 * The waiting list's offers (see ngx_cerebro_waitlist_offer.h).  Only the
 * jobs run makes them, under its lock (one run at a time across the
 * workers, and across the hosts with Redis); what makes two offers of one
 * table impossible is not that lock but the SQLite transaction that sees
 * every offer held (store/cerebro_sqlite_waitlist.c).
 */

#include "ngx_cerebro_waitlist_offer.h"
#include "ngx_cerebro_outbox.h"
#include "ngx_cerebro_messaging.h"
#include "ngx_cerebro_store.h"
#include "ngx_cerebro_kv.h"
#include "cerebro_sentence.h"


typedef struct {
    ngx_cerebro_store_op_t          op;
    ngx_cerebro_kv_op_t             claim;
    cerebro_waitlist_t             *offers;
    int                             noffers;
    int                             next;
    cerebro_waitlist_t              mirror[NGX_CEREBRO_WAITLIST_MIRROR];
    int                             nmirror;
    int                             mirrored;
    cerebro_date_t                  days[NGX_CEREBRO_WAITLIST_DAYS];
    int                             ndays;
    int                             day;
    ngx_uint_t                      offers_made;
    ngx_cerebro_waitlist_done_pt    done;
    void                           *data;
} ngx_cerebro_waitlist_ctx_t;


static ngx_int_t ngx_cerebro_waitlist_next(ngx_cerebro_waitlist_ctx_t *ctx);
static void ngx_cerebro_waitlist_day(ngx_cerebro_store_op_t *op);
static void ngx_cerebro_waitlist_claim(ngx_cerebro_waitlist_ctx_t *ctx);
static void ngx_cerebro_waitlist_claimed(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_waitlist_mirror(ngx_cerebro_waitlist_ctx_t *ctx);
static void ngx_cerebro_waitlist_mirrored(ngx_cerebro_store_op_t *op);
static ngx_int_t ngx_cerebro_waitlist_send(ngx_http_request_t *r,
    const cerebro_waitlist_t *w);


ngx_int_t
ngx_cerebro_waitlist_run(ngx_http_request_t *r,
    ngx_cerebro_waitlist_done_pt done, void *data)
{
    int                          n;
    ngx_uint_t                   airtable;
    cerebro_sqlite_t            *db;
    cerebro_store_error_t        e;
    ngx_cerebro_waitlist_ctx_t  *ctx;
    const cerebro_restaurant_t  *model;

    db = ngx_cerebro_store_db(r);
    if (db == NULL) {
        return NGX_DECLINED;
    }

    model = ngx_cerebro_store_model(r);

    if (cerebro_sqlite_waitlist_expire(db, ngx_time(),
                                       (int64_t) model->min_lead_minutes * 60,
                                       &n, &e)
        != CEREBRO_STORE_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "waitlist: holds not ended: %s", e.message);
        return NGX_ERROR;
    }

    if (n) {
        ngx_cerebro_log(NGX_LOG_INFO, r->connection->log, 0,
                        "waitlist: %d holds or entries ended", n);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_cerebro_waitlist_ctx_t));
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (cerebro_sqlite_waitlist_days(db, ctx->days,
                                     NGX_CEREBRO_WAITLIST_DAYS, &ctx->ndays,
                                     &e)
        != CEREBRO_STORE_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "waitlist: not read: %s", e.message);
        return NGX_ERROR;
    }

    airtable = ngx_strcmp(ngx_cerebro_store_backend_name(r), "airtable")
               == 0;

    if (ctx->ndays == 0 && !airtable) {
        return NGX_DECLINED;
    }

    ctx->done = done;
    ctx->data = data;
    ctx->op.request = r;

    if (airtable
        && cerebro_sqlite_waitlist_unmirrored(db, ctx->mirror,
                                              NGX_CEREBRO_WAITLIST_MIRROR,
                                              &ctx->nmirror, &e)
           != CEREBRO_STORE_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "waitlist: changes not read: %s", e.message);
        ctx->nmirror = 0;
    }

    if (ctx->ndays == 0) {
        ngx_cerebro_waitlist_mirror(ctx);
        return NGX_OK;
    }

    return ngx_cerebro_waitlist_next(ctx);
}


/* the next day's bookings, as the store holds them */
static ngx_int_t
ngx_cerebro_waitlist_next(ngx_cerebro_waitlist_ctx_t *ctx)
{
    ngx_http_request_t  *r;

    r = ctx->op.request;

    ngx_memzero(&ctx->op, sizeof(ngx_cerebro_store_op_t));
    ctx->op.request = r;
    ctx->op.kind = NGX_CEREBRO_STORE_DAY;
    ctx->op.date = ctx->days[ctx->day];
    ctx->op.done = ngx_cerebro_waitlist_day;
    ctx->op.data = ctx;

    return ngx_cerebro_store_start(&ctx->op) == NGX_OK ? NGX_OK : NGX_ERROR;
}


static void
ngx_cerebro_waitlist_day(ngx_cerebro_store_op_t *op)
{
    int                           n, nb;
    cerebro_sqlite_t             *db;
    cerebro_booking_t            *bk;
    cerebro_waitlist_t           *offers;
    ngx_http_request_t           *r;
    cerebro_store_error_t         e;
    ngx_cerebro_waitlist_ctx_t   *ctx;
    const cerebro_restaurant_t   *model;
    ngx_cerebro_messaging_conf_t *mscf;

    ctx = op->data;
    r = op->request;

    db = ngx_cerebro_store_db(r);
    model = ngx_cerebro_store_model(r);
    mscf = ngx_http_get_module_main_conf(r, ngx_cerebro_messaging_module);

    if (op->error.kind != CEREBRO_STORE_OK) {
        /* nothing is offered from a book we could not read */
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "waitlist: the day's bookings could not be read "
                        "(%s): %s", cerebro_store_err_name(op->error.kind),
                        op->error.message);
        goto next;
    }

    if (op->engine) {
        bk = (cerebro_booking_t *) op->engine;
        nb = op->nengine;

    } else {
        bk = ngx_palloc(r->pool, (op->nbookings + 1)
                                 * sizeof(cerebro_booking_t));
        if (bk == NULL) {
            goto next;
        }

        nb = cerebro_rec_to_engine(model, op->bookings, op->nbookings, NULL,
                                   bk);
    }

    offers = ngx_palloc(r->pool, CEREBRO_WAITLIST_MAX_OFFERS
                                 * sizeof(cerebro_waitlist_t));
    if (offers == NULL || db == NULL) {
        goto next;
    }

    if (cerebro_sqlite_waitlist_offer(db, model, &ctx->days[ctx->day], bk,
                                      nb, ngx_time(),
                                      (int64_t) (mscf->waitlist_hold / 1000),
                                      offers, CEREBRO_WAITLIST_MAX_OFFERS,
                                      &n, &e)
        != CEREBRO_STORE_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "waitlist: no offers made: %s", e.message);
        goto next;
    }

    ctx->offers = offers;
    ctx->noffers = n;
    ctx->next = 0;

    ngx_cerebro_waitlist_claim(ctx);
    return;

next:

    ctx->noffers = 0;
    ctx->next = 0;

    ngx_cerebro_waitlist_claim(ctx);
}


/* each offer of the day claims its table, then the next day */
static void
ngx_cerebro_waitlist_claim(ngx_cerebro_waitlist_ctx_t *ctx)
{
    ngx_http_request_t            *r;
    ngx_cerebro_messaging_conf_t  *mscf;

    r = ctx->op.request;

    if (ctx->next < ctx->noffers) {
        mscf = ngx_http_get_module_main_conf(r, ngx_cerebro_messaging_module);

        ngx_cerebro_kv_op_init(&ctx->claim);
        ctx->claim.request = r;
        ctx->claim.kind = NGX_CEREBRO_KV_LOCK;
        ctx->claim.ttl = mscf->waitlist_hold;
        ctx->claim.done = ngx_cerebro_waitlist_claimed;
        ctx->claim.data = ctx;

        if (ngx_cerebro_waitlist_claim_key(r->pool, &ctx->offers[ctx->next],
                                           &ctx->claim.key)
                == NGX_OK
            && ngx_cerebro_kv_start(&ctx->claim) == NGX_OK)
        {
            return;
        }

        /* no claim could be asked: the file's row is the claim */
        ctx->claim.rc = NGX_CEREBRO_KV_ERROR;
        ctx->claim.error = "not started";
        ngx_cerebro_waitlist_claimed(&ctx->claim);
        return;
    }

    if (++ctx->day < ctx->ndays && ngx_cerebro_waitlist_next(ctx) == NGX_OK)
    {
        return;
    }

    ngx_cerebro_waitlist_mirror(ctx);
}


/*
 * With Airtable as the store, what changed goes to its list too, a few
 * entries a run (the base's rate is shared): staff see the list there.
 * The entries read before the offers were made: those go next run.
 */
static void
ngx_cerebro_waitlist_mirror(ngx_cerebro_waitlist_ctx_t *ctx)
{
    ngx_http_request_t  *r;

    r = ctx->op.request;

    if (ctx->mirrored < ctx->nmirror) {
        ngx_memzero(&ctx->op, sizeof(ngx_cerebro_store_op_t));
        ctx->op.request = r;
        ctx->op.kind = NGX_CEREBRO_STORE_WAITLIST_PUT;
        ctx->op.waitlist = &ctx->mirror[ctx->mirrored];
        ctx->op.done = ngx_cerebro_waitlist_mirrored;
        ctx->op.data = ctx;

        if (ngx_cerebro_store_start(&ctx->op) == NGX_OK) {
            return;
        }
    }

    ctx->done(ctx->data, ctx->offers_made);
}


static void
ngx_cerebro_waitlist_mirrored(ngx_cerebro_store_op_t *op)
{
    cerebro_sqlite_t            *db;
    cerebro_waitlist_t          *w;
    cerebro_store_error_t        e;
    ngx_cerebro_waitlist_ctx_t  *ctx;

    ctx = op->data;
    w = &ctx->mirror[ctx->mirrored++];

    if (op->error.kind != CEREBRO_STORE_OK) {
        /* tried again at the next run */
        ngx_cerebro_log(NGX_LOG_WARN, op->request->connection->log, 0,
                        "waitlist: entry %L not written to Airtable (%s): "
                        "%s", w->id, cerebro_store_err_name(op->error.kind),
                        op->error.message);
        ctx->nmirror = ctx->mirrored;

    } else {
        db = ngx_cerebro_store_db(op->request);

        if (db == NULL
            || cerebro_sqlite_waitlist_mirrored(db, w->id, w->updated, &e)
               != CEREBRO_STORE_OK)
        {
            ngx_cerebro_log(NGX_LOG_WARN, op->request->connection->log, 0,
                            "waitlist: entry %L written to Airtable, not "
                            "marked: it is written again", w->id);
        }
    }

    ngx_cerebro_waitlist_mirror(ctx);
}


static void
ngx_cerebro_waitlist_claimed(ngx_cerebro_kv_op_t *op)
{
    cerebro_sqlite_t            *db;
    ngx_http_request_t          *r;
    cerebro_waitlist_t          *w;
    cerebro_store_error_t        e;
    ngx_cerebro_waitlist_ctx_t  *ctx;

    ctx = op->data;
    r = ctx->op.request;
    w = &ctx->offers[ctx->next++];

    if (op->rc == NGX_CEREBRO_KV_NONE) {
        /* another host offered that table: this guest waits on */
        db = ngx_cerebro_store_db(r);

        if (db == NULL
            || cerebro_sqlite_waitlist_answer(db, w->id, "waiting", "",
                                              ngx_time(), &e)
               != CEREBRO_STORE_OK)
        {
            ngx_cerebro_log(NGX_LOG_WARN, r->connection->log, 0,
                            "waitlist: entry %L not put back: %s", w->id,
                            db ? e.message : "no SQLite handle");
        }

        ngx_cerebro_log(NGX_LOG_INFO, r->connection->log, 0,
                        "waitlist: %s at %L is offered elsewhere",
                        w->offer_table, w->offer_start);

    } else {
        if (op->rc == NGX_CEREBRO_KV_ERROR) {
            ngx_cerebro_log(NGX_LOG_WARN, r->connection->log, 0,
                            "waitlist: no claim on %s (%s): the offer "
                            "goes out on this host's word",
                            w->offer_table, op->error ? op->error : "error");
        }

        if (ngx_cerebro_waitlist_send(r, w) == NGX_OK) {
            ctx->offers_made++;
        }
    }

    ngx_cerebro_waitlist_claim(ctx);
}


ngx_int_t
ngx_cerebro_waitlist_claim_key(ngx_pool_t *pool, const cerebro_waitlist_t *w,
    ngx_str_t *key)
{
    size_t  len;

    len = sizeof("cerebro:wl::") - 1 + ngx_strlen(w->offer_table)
          + NGX_INT64_LEN;

    key->data = ngx_pnalloc(pool, len);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    key->len = ngx_sprintf(key->data, "cerebro:wl:%s:%L", w->offer_table,
                           w->offer_start)
               - key->data;

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_waitlist_send(ngx_http_request_t *r, const cerebro_waitlist_t *w)
{
    ngx_uint_t                     dup;
    cerebro_local_t                now, local;
    cerebro_outbox_msg_t          *m;
    const cerebro_restaurant_t    *model;
    ngx_cerebro_messaging_conf_t  *mscf;

    model = ngx_cerebro_store_model(r);
    mscf = ngx_http_get_module_main_conf(r, ngx_cerebro_messaging_module);

    m = ngx_pcalloc(r->pool, sizeof(cerebro_outbox_msg_t));
    if (m == NULL) {
        return NGX_ERROR;
    }

    cerebro_tz_to_local(&model->tz, ngx_time(), &now);
    cerebro_tz_to_local(&model->tz, w->offer_start, &local);

    (void) cerebro_sentence_waitlist_offer(m->body, sizeof(m->body),
                                          model->name, w->name, &local.date,
                                          local.minutes, w->pax,
                                          (int) (mscf->waitlist_hold / 60000),
                                          now.date.year);

    ngx_sprintf((u_char *) m->to, "whatsapp:%s%Z", w->phone);
    ngx_cpystrn((u_char *) m->kind, (u_char *) CEREBRO_OUTBOX_KIND_WAITLIST,
                sizeof(m->kind));
    /* one message per offer: a run that repeats it sends nothing */
    ngx_snprintf((u_char *) m->dedupe_key, sizeof(m->dedupe_key) - 1,
                 "waitlist:%L:%L%Z", w->id, w->hold_until);

    if (ngx_cerebro_outbox_enqueue(r, m, 0, &dup) != NGX_OK) {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "waitlist: the offer to entry %L was not queued",
                        w->id);
        return NGX_ERROR;
    }

    ngx_cerebro_log(NGX_LOG_NOTICE, r->connection->log, 0,
                    "waitlist: entry %L offered %s at %L, held until %L",
                    w->id, w->offer_table, w->offer_start, w->hold_until);

    return NGX_OK;
}
