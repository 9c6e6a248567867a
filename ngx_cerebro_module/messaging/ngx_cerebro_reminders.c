
/*
 * The reminders of a day's bookings, queued in the outbox by the jobs run
 * (which then sends them with everything else that is due).  The day's
 * book comes through the store interface, so Airtable works as well.
 */

#include "ngx_cerebro_reminders.h"
#include "ngx_cerebro_outbox.h"
#include "ngx_cerebro_messaging.h"
#include "ngx_cerebro_store.h"
#include "cerebro_civil.h"
#include "cerebro_sentence.h"


typedef struct {
    ngx_cerebro_store_op_t           op;
    cerebro_date_t                   today;
    ngx_cerebro_reminders_done_pt    done;
    void                            *data;
} ngx_cerebro_reminders_ctx_t;


static void ngx_cerebro_reminders_day(ngx_cerebro_store_op_t *op);
static ngx_int_t ngx_cerebro_reminders_queue(ngx_cerebro_reminders_ctx_t *ctx,
    cerebro_reservation_t *rec);


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

    cerebro_tz_to_local(&model->tz, ngx_time(), &local);

    if (local.minutes < mscf->reminder_hour * 60) {
        return NGX_DECLINED;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_cerebro_reminders_ctx_t));
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->today = local.date;
    ctx->done = done;
    ctx->data = data;

    ctx->op.request = r;
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
    int                           i;
    time_t                        now;
    ngx_uint_t                    queued;
    ngx_cerebro_reminders_ctx_t  *ctx;
    cerebro_reservation_t        *rec;

    ctx = op->data;
    now = ngx_time();
    queued = 0;

    if (op->error.kind != CEREBRO_STORE_OK) {
        ngx_cerebro_log(NGX_LOG_ERR, op->request->connection->log, 0,
                        "reminders: the day's bookings could not be read "
                        "(%s): %s", cerebro_store_err_name(op->error.kind),
                        op->error.message);
        ctx->done(ctx->data, 0);
        return;
    }

    for (i = 0; i < op->nbookings; i++) {
        rec = &op->bookings[i];

        if (ngx_strcmp(rec->status, CEREBRO_STATUS_CONFIRMED) != 0
            || rec->start <= now
            || rec->client_phone[0] != '+'
            || rec->start - rec->created < NGX_CEREBRO_REMINDER_MIN_LEAD)
        {
            continue;
        }

        if (ngx_cerebro_reminders_queue(ctx, rec) == NGX_OK) {
            queued++;
        }
    }

    ctx->done(ctx->data, queued);
}


/* NGX_OK when a new reminder was queued, NGX_DECLINED when it was before */
static ngx_int_t
ngx_cerebro_reminders_queue(ngx_cerebro_reminders_ctx_t *ctx,
    cerebro_reservation_t *rec)
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

    ngx_sprintf((u_char *) m->to, "whatsapp:%s%Z", rec->client_phone);
    ngx_cpystrn((u_char *) m->kind, (u_char *) CEREBRO_OUTBOX_KIND_REMINDER,
                sizeof(m->kind));
    ngx_cpystrn((u_char *) m->reservation_id, (u_char *) rec->id,
                sizeof(m->reservation_id));
    ngx_snprintf((u_char *) m->dedupe_key, sizeof(m->dedupe_key) - 1,
                 "remind:%s:%L%Z", rec->id, (int64_t) rec->start);

    if (ngx_cerebro_outbox_enqueue(r, m, 0, &dup) != NGX_OK) {
        return NGX_ERROR;
    }

    return dup ? NGX_DECLINED : NGX_OK;
}
