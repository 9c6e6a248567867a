
/*
 * The guest's answer to a waiting-list offer (ngx_cerebro_waitlist.h).
 */

#include "ngx_cerebro_waitlist.h"
#include "ngx_cerebro_tools.h"
#include "ngx_cerebro_waitlist_offer.h"
#include "ngx_cerebro_kv.h"


typedef struct {
    ngx_cerebro_brain_t   *brain;
    cerebro_waitlist_t     offer;
    ngx_cerebro_kv_op_t    release;
} ngx_cerebro_waitlist_ctx_t;


static void ngx_cerebro_waitlist_booked(ngx_cerebro_tool_t *tool);
static void ngx_cerebro_waitlist_args_cleanup(void *data);
static void ngx_cerebro_waitlist_released(ngx_cerebro_kv_op_t *op);


static const char  ngx_cerebro_waitlist_declined[] =
    "De acuerdo, la mesa pasa a la siguiente persona de la lista de espera. "
    "Gracias por avisarnos.";


ngx_int_t
ngx_cerebro_waitlist_answer(ngx_cerebro_brain_t *brain,
    cerebro_dlg_intent_t intent)
{
    char                         day[16], hhmm[8];
    cJSON                       *args;
    cerebro_local_t              local;
    cerebro_sqlite_t            *db;
    ngx_http_request_t          *r;
    ngx_pool_cleanup_t          *cln;
    cerebro_store_err_t          err;
    cerebro_store_error_t        e;
    ngx_cerebro_waitlist_ctx_t  *ctx;
    const cerebro_restaurant_t  *model;

    if (intent != CEREBRO_DLG_YES && intent != CEREBRO_DLG_NO) {
        return NGX_DECLINED;
    }

    r = brain->request;
    db = ngx_cerebro_store_db(r);

    if (db == NULL) {
        return NGX_DECLINED;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_cerebro_waitlist_ctx_t));
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    err = cerebro_sqlite_waitlist_offered(db, brain->phone, ngx_time(),
                                          &ctx->offer, &e);
    if (err == CEREBRO_STORE_NOT_FOUND) {
        return NGX_DECLINED;
    }

    if (err != CEREBRO_STORE_OK) {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "waitlist: the offer of %s not read: %s",
                        brain->phone, e.message);
        return NGX_DECLINED;
    }

    brain->by = "waitlist";
    brain->intent = intent == CEREBRO_DLG_YES ? "waitlist_yes"
                                              : "waitlist_no";
    ctx->brain = brain;

    if (intent == CEREBRO_DLG_NO) {
        if (cerebro_sqlite_waitlist_answer(db, ctx->offer.id, "declined", "",
                                           ngx_time(), &e)
            != CEREBRO_STORE_OK)
        {
            ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                            "waitlist: the NO of entry %L not stored: %s",
                            ctx->offer.id, e.message);
        }

        if (ngx_cerebro_brain_reply(brain, ngx_cerebro_waitlist_declined,
                                    sizeof(ngx_cerebro_waitlist_declined)
                                    - 1)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        /* the next guest's offer need not wait for the claim to expire */
        ctx->release.request = r;
        ctx->release.kind = NGX_CEREBRO_KV_DEL;
        ctx->release.done = ngx_cerebro_waitlist_released;
        ctx->release.data = ctx;

        if (ngx_cerebro_waitlist_claim_key(r->pool, &ctx->offer,
                                           &ctx->release.key)
                != NGX_OK
            || ngx_cerebro_kv_start(&ctx->release) != NGX_OK)
        {
            ngx_cerebro_brain_finish(brain);
        }

        return NGX_OK;
    }

    /* SÍ: booked as any booking is, the engine deciding on the book now */
    model = ngx_cerebro_store_model(r);
    cerebro_tz_to_local(&model->tz, ctx->offer.offer_start, &local);
    cerebro_date_format_iso(day, sizeof(day), &local.date);
    ngx_snprintf((u_char *) hhmm, sizeof(hhmm), "%02d:%02d%Z",
                 local.minutes / 60, local.minutes % 60);

    args = cJSON_CreateObject();
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (args == NULL || cln == NULL) {
        cJSON_Delete(args);
        return NGX_ERROR;
    }

    cln->handler = ngx_cerebro_waitlist_args_cleanup;
    cln->data = args;

    if (cJSON_AddStringToObject(args, "name", ctx->offer.name) == NULL
        || cJSON_AddStringToObject(args, "date", day) == NULL
        || cJSON_AddStringToObject(args, "time", hhmm) == NULL
        || cJSON_AddNumberToObject(args, "party_size", ctx->offer.pax)
           == NULL
        || cJSON_AddStringToObject(args, "phone", ctx->offer.phone) == NULL
        /* the offer's message read the booking back; SÍ is the yes */
        || cJSON_AddTrueToObject(args, "confirmed") == NULL)
    {
        return NGX_ERROR;
    }

    ngx_memzero(&brain->tool, sizeof(ngx_cerebro_tool_t));

    brain->tool.request = r;
    ngx_str_set(&brain->tool.name, "create_reservation");
    brain->tool.args = args;
    brain->tool.source = CEREBRO_SOURCE_WHATSAPP;
    brain->tool.done = ngx_cerebro_waitlist_booked;
    brain->tool.data = ctx;

    ngx_cpystrn((u_char *) brain->tool.caller, (u_char *) brain->phone,
                sizeof(brain->tool.caller));
    ngx_cpystrn((u_char *) brain->tool.call_id, (u_char *) brain->message_id,
                sizeof(brain->tool.call_id));

    return ngx_cerebro_tool_start(&brain->tool);
}


static void
ngx_cerebro_waitlist_released(ngx_cerebro_kv_op_t *op)
{
    ngx_cerebro_waitlist_ctx_t  *ctx;

    ctx = op->data;

    if (op->rc == NGX_CEREBRO_KV_ERROR) {
        /* it expires with the hold */
        ngx_cerebro_log(NGX_LOG_WARN, ctx->brain->request->connection->log,
                        0, "waitlist: the claim on %s not let go (%s)",
                        ctx->offer.offer_table,
                        op->error ? op->error : "error");
    }

    ngx_cerebro_brain_finish(ctx->brain);
}


static void
ngx_cerebro_waitlist_args_cleanup(void *data)
{
    cJSON_Delete(data);
}


static void
ngx_cerebro_waitlist_booked(ngx_cerebro_tool_t *tool)
{
    u_char                      *p;
    size_t                       n;
    const char                  *status;
    cerebro_sqlite_t            *db;
    ngx_cerebro_brain_t         *brain;
    cerebro_store_error_t        e;
    ngx_cerebro_waitlist_ctx_t  *ctx;

    static const char  still[] = " Sigue en la lista de espera por si se "
                                 "libera otra mesa.";

    ctx = tool->data;
    brain = ctx->brain;
    brain->did |= tool->did;

    /* a table taken meanwhile by another guest: back to waiting */
    status = (tool->did & NGX_CEREBRO_TOOL_BOOKED) ? "booked" : "waiting";

    db = ngx_cerebro_store_db(brain->request);

    if (db == NULL
        || cerebro_sqlite_waitlist_answer(db, ctx->offer.id, status,
                                          tool->reservation.id, ngx_time(),
                                          &e)
           != CEREBRO_STORE_OK)
    {
        ngx_cerebro_log(NGX_LOG_WARN, brain->request->connection->log, 0,
                        "waitlist: entry %L not marked %s: %s",
                        ctx->offer.id, status,
                        db ? e.message : "no SQLite handle");
    }

    n = tool->text.len;

    p = ngx_pnalloc(brain->request->pool, n + sizeof(still));
    if (p == NULL) {
        ngx_cerebro_brain_finish(brain);
        return;
    }

    ngx_memcpy(p, tool->text.data, n);

    if (!(tool->did & NGX_CEREBRO_TOOL_BOOKED)) {
        ngx_memcpy(p + n, still, sizeof(still) - 1);
        n += sizeof(still) - 1;
    }

    p[n] = '\0';

    brain->reply.data = p;
    brain->reply.len = n;

    ngx_cerebro_brain_finish(brain);
}


ngx_int_t
ngx_cerebro_waitlist_leave(ngx_http_request_t *r, const char *phone,
    ngx_uint_t *n)
{
    int                     left;
    cerebro_sqlite_t       *db;
    cerebro_store_error_t   e;

    *n = 0;

    db = ngx_cerebro_store_db(r);

    if (db == NULL
        || cerebro_sqlite_waitlist_leave(db, phone, ngx_time(), &left, &e)
           != CEREBRO_STORE_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "waitlist: %s not taken off the list: %s", phone,
                        db ? e.message : "no SQLite handle");
        return NGX_ERROR;
    }

    *n = (ngx_uint_t) left;

    if (left) {
        ngx_cerebro_log(NGX_LOG_NOTICE, r->connection->log, 0,
                        "waitlist: %s left the list (%d entries)", phone,
                        left);
    }

    return NGX_OK;
}
