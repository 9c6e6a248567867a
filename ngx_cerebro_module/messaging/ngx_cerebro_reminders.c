
/*
 * The reminders of a day's bookings, queued in the outbox by the jobs run
 * (which then sends them with everything else that is due).  The day's
 * book comes through the store interface, so Airtable works as well.
 *
 * The second reminder (cerebro_reminder_second) is for the bookings
 * starting within that window from now.  The outbox's dedupe key makes
 * each reminder once per booking and start on this host, across workers
 * and restarts; a claim of that key in the kv layer (Redis when
 * configured) makes it once across hosts, each of which has an outbox
 * file of its own.
 */

#include "ngx_cerebro_reminders.h"
#include "ngx_cerebro_outbox.h"
#include "ngx_cerebro_messaging.h"
#include "ngx_cerebro_links.h"
#include "ngx_cerebro_store.h"
#include "ngx_cerebro_kv.h"
#include "cerebro_civil.h"
#include "cerebro_sentence.h"


typedef struct {
    ngx_cerebro_store_op_t           op;
    ngx_cerebro_kv_op_t              claim;
    cerebro_date_t                   today;
    time_t                           now;
    ngx_uint_t                       queued;
    ngx_uint_t                       second;      /* the pass: 0 morning */
    int                              next;        /* the booking to look
                                                     at next */
    char                             key[CEREBRO_REC_DEDUPE_LEN];
    ngx_cerebro_reminders_done_pt    done;
    void                            *data;
} ngx_cerebro_reminders_ctx_t;


static void ngx_cerebro_reminders_day(ngx_cerebro_store_op_t *op);
static ngx_int_t ngx_cerebro_reminders_second(
    ngx_cerebro_reminders_ctx_t *ctx);
static void ngx_cerebro_reminders_soon(ngx_cerebro_store_op_t *op);
static void ngx_cerebro_reminders_next(ngx_cerebro_reminders_ctx_t *ctx);
static ngx_uint_t ngx_cerebro_reminders_first_due(
    ngx_cerebro_reminders_ctx_t *ctx, const cerebro_reservation_t *rec);
static ngx_uint_t ngx_cerebro_reminders_second_due(
    ngx_cerebro_reminders_ctx_t *ctx, const cerebro_reservation_t *rec);
static void ngx_cerebro_reminders_claimed(ngx_cerebro_kv_op_t *op);
static ngx_int_t ngx_cerebro_reminders_queue(ngx_cerebro_reminders_ctx_t *ctx,
    const cerebro_reservation_t *rec, const char *dedupe_key);


ngx_int_t
ngx_cerebro_reminders_run(ngx_http_request_t *r,
    ngx_cerebro_reminders_done_pt done, void *data)
{
    cerebro_local_t                local;
    ngx_cerebro_reminders_ctx_t   *ctx;
    const cerebro_restaurant_t    *model;
    ngx_cerebro_messaging_conf_t  *mscf;

    mscf = ngx_http_get_module_main_conf(r, ngx_cerebro_messaging_module);
    model = ngx_cerebro_store_model(r);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_cerebro_reminders_ctx_t));
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->now = ngx_time();
    cerebro_tz_to_local(&model->tz, ctx->now, &local);

    ctx->today = local.date;
    ctx->done = done;
    ctx->data = data;
    ctx->op.request = r;

    if (local.minutes < mscf->reminder_hour * 60) {
        return ngx_cerebro_reminders_second(ctx);
    }

    ctx->op.kind = NGX_CEREBRO_STORE_DAY;
    ctx->op.date = cerebro_date_add_days(&local.date,
                                         (int) mscf->reminder_days_before);
    ctx->op.done = ngx_cerebro_reminders_day;
    ctx->op.data = ctx;

    if (ngx_cerebro_store_start(&ctx->op) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_cerebro_reminders_day(ngx_cerebro_store_op_t *op)
{
    ngx_cerebro_reminders_ctx_t  *ctx;

    ctx = op->data;

    if (op->error.kind != CEREBRO_STORE_OK) {
        ngx_cerebro_log(NGX_LOG_ERR, op->request->connection->log, 0,
                        "reminders: the day's bookings could not be read "
                        "(%s): %s", cerebro_store_err_name(op->error.kind),
                        op->error.message);

        if (ngx_cerebro_reminders_second(ctx) != NGX_OK) {
            ctx->done(ctx->data, ctx->queued);
        }

        return;
    }

    ctx->second = 0;
    ctx->next = 0;

    ngx_cerebro_reminders_next(ctx);
}


/*
 * Reads the bookings of the whole local days from today to the day the
 * window ends (the store's cached days).  NGX_OK: the rest follows;
 * NGX_DECLINED: off; NGX_ERROR.
 */
static ngx_int_t
ngx_cerebro_reminders_second(ngx_cerebro_reminders_ctx_t *ctx)
{
    ngx_http_request_t            *r;
    cerebro_date_t                 end;
    cerebro_local_t                last;
    const cerebro_restaurant_t    *model;
    ngx_cerebro_messaging_conf_t  *mscf;

    r = ctx->op.request;
    mscf = ngx_http_get_module_main_conf(r, ngx_cerebro_messaging_module);
    model = ngx_cerebro_store_model(r);

    if (mscf->reminder_second == 0) {
        return NGX_DECLINED;
    }

    cerebro_tz_to_local(&model->tz, ctx->now + mscf->reminder_second, &last);
    end = cerebro_date_add_days(&last.date, 1);

    ngx_memzero(&ctx->op, sizeof(ngx_cerebro_store_op_t));

    ctx->op.request = r;
    ctx->op.kind = NGX_CEREBRO_STORE_RANGE;
    ctx->op.from = cerebro_tz_from_local(&model->tz, &ctx->today, 0, NULL);
    ctx->op.to = cerebro_tz_from_local(&model->tz, &end, 0, NULL);
    ctx->op.done = ngx_cerebro_reminders_soon;
    ctx->op.data = ctx;

    if (ngx_cerebro_store_start(&ctx->op) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_cerebro_reminders_soon(ngx_cerebro_store_op_t *op)
{
    ngx_cerebro_reminders_ctx_t  *ctx;

    ctx = op->data;

    if (op->error.kind != CEREBRO_STORE_OK) {
        ngx_cerebro_log(NGX_LOG_ERR, op->request->connection->log, 0,
                        "reminders: the coming bookings could not be read "
                        "(%s): %s", cerebro_store_err_name(op->error.kind),
                        op->error.message);
        ctx->done(ctx->data, ctx->queued);
        return;
    }

    ctx->second = 1;
    ctx->next = 0;

    ngx_cerebro_reminders_next(ctx);
}


/* one booking at a time: each due one is claimed, then queued */
static void
ngx_cerebro_reminders_next(ngx_cerebro_reminders_ctx_t *ctx)
{
    int                            i;
    ngx_http_request_t            *r;
    cerebro_reservation_t         *rec;
    ngx_cerebro_main_conf_t       *mcf;

    r = ctx->op.request;
    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    for (i = ctx->next; i < ctx->op.nbookings; i++) {
        rec = &ctx->op.bookings[i];

        if (!(ctx->second ? ngx_cerebro_reminders_second_due(ctx, rec)
                          : ngx_cerebro_reminders_first_due(ctx, rec)))
        {
            continue;
        }

        ctx->next = i + 1;

        ngx_snprintf((u_char *) ctx->key, sizeof(ctx->key) - 1,
                     "%s:%s:%L%Z", ctx->second ? "remind2" : "remind",
                     rec->id, (int64_t) rec->start);

        ngx_cerebro_kv_op_init(&ctx->claim);

        ctx->claim.request = r;
        ctx->claim.kind = NGX_CEREBRO_KV_SET;
        ctx->claim.nx = 1;
        ctx->claim.key.len = mcf->cache_prefix.len + ngx_strlen(ctx->key);
        ctx->claim.key.data = ngx_pnalloc(r->pool, ctx->claim.key.len);
        ngx_str_set(&ctx->claim.value, "1");
        /* an hour past the booking's start nothing asks again */
        ctx->claim.ttl = (ngx_msec_t) (rec->start - ctx->now + 3600) * 1000;
        ctx->claim.done = ngx_cerebro_reminders_claimed;
        ctx->claim.data = ctx;

        if (ctx->claim.key.data != NULL) {
            ngx_memcpy(ngx_cpymem(ctx->claim.key.data,
                                  mcf->cache_prefix.data,
                                  mcf->cache_prefix.len),
                       ctx->key, ngx_strlen(ctx->key));

            if (ngx_cerebro_kv_start(&ctx->claim) == NGX_OK) {
                return;
            }
        }

        /* no claim: the outbox's own key still makes it once here */
        if (ngx_cerebro_reminders_queue(ctx, rec, ctx->key) == NGX_OK) {
            ctx->queued++;
        }
    }

    ctx->next = ctx->op.nbookings;

    if (ctx->second || ngx_cerebro_reminders_second(ctx) != NGX_OK) {
        ctx->done(ctx->data, ctx->queued);
    }
}


/* the morning's: a booking made 12 hours before or more */
static ngx_uint_t
ngx_cerebro_reminders_first_due(ngx_cerebro_reminders_ctx_t *ctx,
    const cerebro_reservation_t *rec)
{
    return ngx_strcmp(rec->status, CEREBRO_STATUS_CONFIRMED) == 0
           && rec->start > ctx->now
           && rec->client_phone[0] == '+'
           && rec->start - rec->created >= NGX_CEREBRO_REMINDER_MIN_LEAD;
}


/*
 * A booking starting within the window, confirmed, with a number to
 * write to, made before the window began (else its confirmation is just
 * as recent), and whose morning reminder does not fall within the window
 * already.
 */
static ngx_uint_t
ngx_cerebro_reminders_second_due(ngx_cerebro_reminders_ctx_t *ctx,
    const cerebro_reservation_t *rec)
{
    time_t                         window, first;
    cerebro_date_t                 day;
    cerebro_local_t                local;
    const cerebro_restaurant_t    *model;
    ngx_cerebro_messaging_conf_t  *mscf;

    mscf = ngx_http_get_module_main_conf(ctx->op.request,
                                         ngx_cerebro_messaging_module);
    model = ngx_cerebro_store_model(ctx->op.request);
    window = mscf->reminder_second;

    if (ngx_strcmp(rec->status, CEREBRO_STATUS_CONFIRMED) != 0
        || rec->client_phone[0] != '+'
        || rec->start <= ctx->now
        || rec->start > ctx->now + window
        || rec->start - rec->created < window)
    {
        return 0;
    }

    cerebro_tz_to_local(&model->tz, rec->start, &local);
    day = cerebro_date_add_days(&local.date,
                                -(int) mscf->reminder_days_before);
    first = cerebro_tz_from_local(&model->tz, &day,
                                  (int) mscf->reminder_hour * 60, NULL);

    /* the morning reminder got it, within the window: one is enough */
    if (rec->start - first <= window
        && rec->start - rec->created >= NGX_CEREBRO_REMINDER_MIN_LEAD)
    {
        return 0;
    }

    return 1;
}


static void
ngx_cerebro_reminders_claimed(ngx_cerebro_kv_op_t *op)
{
    ngx_cerebro_reminders_ctx_t  *ctx;

    ctx = op->data;

    /* NONE: another host, or an earlier run, has it */
    if (op->rc != NGX_CEREBRO_KV_NONE
        && ngx_cerebro_reminders_queue(ctx, &ctx->op.bookings[ctx->next - 1],
                                       ctx->key)
           == NGX_OK)
    {
        ctx->queued++;
    }

    ngx_cerebro_reminders_next(ctx);
}


/* NGX_OK when a new reminder was queued, NGX_DECLINED when it was before */
static ngx_int_t
ngx_cerebro_reminders_queue(ngx_cerebro_reminders_ctx_t *ctx,
    const cerebro_reservation_t *rec, const char *dedupe_key)
{
    ngx_uint_t                   dup;
    cerebro_local_t              local;
    ngx_http_request_t          *r;
    cerebro_outbox_msg_t        *m;
    const cerebro_restaurant_t  *model;

    r = ctx->op.request;
    model = ngx_cerebro_store_model(r);

    m = ngx_pcalloc(r->pool, sizeof(cerebro_outbox_msg_t));
    if (m == NULL) {
        return NGX_ERROR;
    }

    cerebro_tz_to_local(&model->tz, rec->start, &local);

    (void) cerebro_sentence_reminder(m->body, sizeof(m->body),
                                     model->name, rec->client_name,
                                     &local.date, &ctx->today, local.minutes,
                                     rec->pax);

    ngx_cerebro_link_append(r, rec, m->body, sizeof(m->body));

    ngx_sprintf((u_char *) m->to, "whatsapp:%s%Z", rec->client_phone);
    ngx_cpystrn((u_char *) m->kind, (u_char *) CEREBRO_OUTBOX_KIND_REMINDER,
                sizeof(m->kind));
    ngx_cpystrn((u_char *) m->reservation_id, (u_char *) rec->id,
                sizeof(m->reservation_id));
    ngx_cpystrn((u_char *) m->dedupe_key, (u_char *) dedupe_key,
                sizeof(m->dedupe_key));

    if (ngx_cerebro_outbox_enqueue(r, m, 0, &dup) != NGX_OK) {
        return NGX_ERROR;
    }

    return dup ? NGX_DECLINED : NGX_OK;
}
