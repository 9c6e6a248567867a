
/*
 * POST /whatsapp/webhook: one inbound WhatsApp message from Twilio.
 *
 * The signature is checked before anything else is looked at; MessageSid
 * makes the webhook idempotent (Twilio retries); STOP/BAJA and START/ALTA
 * are handled here, before any brain.
 *
 * At least once, answered once: the MessageSid's key holds a lease (and
 * the message) while it is handled, and the reply once it is known.  A
 * lease that ran out means its worker died: Twilio's retry, or the jobs
 * run (ngx_cerebro_whatsapp_redo), takes the message over, one taker per
 * lease.  One phone's messages are handled one at a time under a lock,
 * so that none of them loses what an earlier one said.
 *
 * The brain (OpenAI agents, or the rule-based dialogue) runs as part of
 * this request: when it answers within cerebro_whatsapp_inline_budget the
 * reply is the TwiML answer itself; otherwise Twilio gets an empty
 * <Response/> at the budget, the request stays alive, and the reply goes
 * out through the outbox.
 */

#include "ngx_cerebro_http.h"
#include "ngx_cerebro_whatsapp.h"
#include "cerebro_text.h"
#include "ngx_cerebro_kv.h"
#include "ngx_cerebro_agents.h"
#include "ngx_cerebro_dialogue.h"
#include "ngx_cerebro_waitlist.h"
#include "ngx_cerebro_outbox.h"
#include "ngx_cerebro_store_replay.h"
#include "ngx_cerebro_twilio_webhook.h"
#include "cerebro_phone.h"


#define NGX_CEREBRO_WA_DAY           (24 * 60 * 60 * 1000)
#define NGX_CEREBRO_WA_HISTORY       12
/* parts of one inline reply (1,600 characters each) */
#define NGX_CEREBRO_WA_MAX_PARTS     4
/* the jobs run looks at the last messages, and takes over young ones */
#define NGX_CEREBRO_WA_INBOX         256
#define NGX_CEREBRO_WA_REDO_BATCH    8
#define NGX_CEREBRO_WA_REDO_AGE      (60 * 60 * 1000)
/* another message of the phone is being handled: ask again in */
#define NGX_CEREBRO_WA_LOCK_POLL     20
#define NGX_CEREBRO_WA_INBOX_KEY     "cerebro:wa:inbox"
/* a lease outlasts its handler's lock and brain by this much */
#define NGX_CEREBRO_WA_LEASE_MARGIN  2000


typedef struct ngx_cerebro_whatsapp_redo_s  ngx_cerebro_whatsapp_redo_t;


typedef struct {
    ngx_http_request_t        *request;
    ngx_cerebro_brain_t        brain;
    ngx_str_t                  sid;
    ngx_str_t                  text;
    char                       phone[CEREBRO_PHONE_E164_SIZE];
    ngx_str_t                  key_sid;
    ngx_str_t                  key_conv;
    ngx_str_t                  key_lock;
    ngx_str_t                  key_take;
    ngx_str_t                  key_done;     /* the answer, in the file */
    ngx_str_t                  lease;        /* key_sid's value meanwhile */
    ngx_cerebro_replay_t       answer;       /* find, then keep */
    ngx_cerebro_kv_op_t        once;
    ngx_cerebro_kv_op_t        seen;
    ngx_cerebro_kv_op_t        take;
    ngx_cerebro_kv_op_t        relet;
    ngx_cerebro_kv_op_t        push;
    ngx_cerebro_kv_op_t        lock;         /* LOCK, then UNLOCK */
    ngx_cerebro_kv_op_t        load;
    ngx_cerebro_kv_op_t        save;
    ngx_cerebro_kv_op_t        mark;
    cJSON                     *memory;
    ngx_str_t                  reply;
    ngx_event_t                budget;
    ngx_event_t                wait;         /* the phone's lock, again */
    ngx_msec_t                 lock_until;
    ngx_cerebro_whatsapp_redo_t  *redo;      /* the jobs run's, or NULL */
    unsigned                   answered:1;
    unsigned                   late:1;
    unsigned                   locked:1;
    unsigned                   taken:1;
} ngx_cerebro_whatsapp_ctx_t;


/* one jobs run's look at the inbox */
struct ngx_cerebro_whatsapp_redo_s {
    ngx_http_request_t        *request;
    ngx_cerebro_kv_op_t        range;
    ngx_cerebro_kv_op_t        mget;
    ngx_cerebro_whatsapp_redone_pt  done;
    void                      *data;
    ngx_uint_t                 running;
    ngx_uint_t                 redone;
    unsigned                   starting:1;
};


static ngx_int_t ngx_cerebro_whatsapp_handler(ngx_http_request_t *r);
static void ngx_cerebro_whatsapp_body(ngx_http_request_t *r);
static ngx_int_t ngx_cerebro_whatsapp_message(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_cerebro_whatsapp_prepare(
    ngx_cerebro_whatsapp_ctx_t *ctx);
static int64_t ngx_cerebro_whatsapp_now(void);
static ngx_int_t ngx_cerebro_whatsapp_lease_parse(ngx_str_t *value,
    int64_t *until, ngx_str_t *phone, ngx_str_t *text);
static void ngx_cerebro_whatsapp_answered(ngx_cerebro_replay_t *rp);
static void ngx_cerebro_whatsapp_once(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_whatsapp_kept(ngx_cerebro_replay_t *rp);
static void ngx_cerebro_whatsapp_pushed(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_whatsapp_seen(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_whatsapp_take(ngx_cerebro_whatsapp_ctx_t *ctx,
    int64_t until);
static void ngx_cerebro_whatsapp_taken(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_whatsapp_relet(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_whatsapp_process(ngx_cerebro_whatsapp_ctx_t *ctx);
static void ngx_cerebro_whatsapp_again(ngx_event_t *ev);
static void ngx_cerebro_whatsapp_locked(ngx_cerebro_kv_op_t *op);
static ngx_int_t ngx_cerebro_whatsapp_opt(ngx_cerebro_whatsapp_ctx_t *ctx,
    int out);
static void ngx_cerebro_whatsapp_loaded(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_whatsapp_brain_done(ngx_cerebro_brain_t *brain);
static void ngx_cerebro_whatsapp_saved(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_whatsapp_finish(ngx_cerebro_whatsapp_ctx_t *ctx,
    const char *text);
static void ngx_cerebro_whatsapp_unlocked(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_whatsapp_mark(ngx_cerebro_whatsapp_ctx_t *ctx);
static void ngx_cerebro_whatsapp_marked(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_whatsapp_deliver(ngx_cerebro_whatsapp_ctx_t *ctx);
static void ngx_cerebro_whatsapp_budget(ngx_event_t *ev);
static ngx_int_t ngx_cerebro_whatsapp_send(ngx_cerebro_whatsapp_ctx_t *ctx,
    const char *text);
static ngx_int_t ngx_cerebro_whatsapp_twiml(ngx_http_request_t *r,
    ngx_str_t *text);
static ngx_int_t ngx_cerebro_whatsapp_history(ngx_cerebro_whatsapp_ctx_t *ctx,
    const char *role, const char *text);
static void ngx_cerebro_whatsapp_inbox(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_whatsapp_inbox_read(ngx_cerebro_kv_op_t *op);
static void ngx_cerebro_whatsapp_redone(ngx_cerebro_whatsapp_ctx_t *ctx);
static void ngx_cerebro_whatsapp_cleanup(void *data);
static void ngx_cerebro_whatsapp_json_cleanup(void *data);


static const char  ngx_cerebro_wa_left_list[] =
    "Hecho: ya no está en la lista de espera y no le ofreceremos mesas. Si "
    "quiere volver a apuntarse, escríbanos.";

static const char  ngx_cerebro_wa_not_listed[] =
    "No le tenemos en la lista de espera. ¿Puedo ayudarle en algo más?";

static const char  ngx_cerebro_wa_stopped[] =
    "Hecho: no le enviaremos más mensajes por WhatsApp. Si cambia de idea, "
    "escriba ALTA.";

static const char  ngx_cerebro_wa_started[] =
    "¡Bienvenido de nuevo! Volverá a recibir nuestras confirmaciones y "
    "recordatorios. ¿En qué puedo ayudarle?";

static const char  ngx_cerebro_wa_media[] =
    "Por ahora solo puedo leer mensajes de texto. ¿En qué puedo ayudarle?";


char *
ngx_cerebro_whatsapp(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_cerebro_set_endpoint(cf, "whatsapp",
                                    ngx_cerebro_whatsapp_handler);
}


ngx_int_t
ngx_cerebro_whatsapp_init_conf(ngx_conf_t *cf,
    ngx_cerebro_channels_conf_t *ccf)
{
    ngx_conf_init_msec_value(ccf->whatsapp_budget, 3000);
    ngx_conf_init_msec_value(ccf->whatsapp_timeout, 60000);

    if (ccf->whatsapp_budget > 14000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: \"cerebro_whatsapp_inline_budget\" "
                           "must be under Twilio's 15 s");
        return NGX_ERROR;
    }

    if (ccf->whatsapp_timeout < ccf->whatsapp_budget) {
        ccf->whatsapp_timeout = ccf->whatsapp_budget;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_whatsapp_handler(ngx_http_request_t *r)
{
    return ngx_cerebro_twilio_read_signed(r, ngx_cerebro_whatsapp_body);
}


static void
ngx_cerebro_whatsapp_body(ngx_http_request_t *r)
{
    ngx_int_t     rc;
    ngx_str_t     body;

    rc = ngx_cerebro_http_body(r, &body);
    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    rc = ngx_cerebro_whatsapp_message(r, &body);

    if (rc == NGX_DONE) {
        /* answered later; read_client_request_body counted us already */
        return;
    }

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_cerebro_whatsapp_message(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_str_t                     from, text, sid;
    ngx_int_t                     rc;
    ngx_array_t                  *params;
    ngx_cerebro_main_conf_t      *mcf;
    ngx_cerebro_channels_conf_t  *ccf;
    ngx_cerebro_whatsapp_ctx_t   *ctx;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    ccf = ngx_http_get_module_main_conf(r, ngx_cerebro_channels_module);

    if (ngx_cerebro_twilio_form(r->pool, body, &params) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* before anything else is believed */
    rc = ngx_cerebro_twilio_verify_request(r, params->elts, params->nelts,
                                           body);
    if (rc != NGX_OK) {
        ngx_cerebro_metric_inc(NGX_CEREBRO_M_WHATSAPP_IN, "rejected", NULL);
        return ngx_cerebro_twilio_refuse(r, rc);
    }

    if (body->len == 0) {
        return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "the body is empty: Twilio "
                                           "sends From, Body, MessageSid");
    }

    if (ngx_cerebro_twilio_param_str(params, "From", &from) != NGX_OK
        || from.len == 0)
    {
        return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "\"From\" is missing");
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_cerebro_whatsapp_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (cerebro_phone_normalize((char *) from.data, from.len,
                                mcf->model->country_code, ctx->phone,
                                sizeof(ctx->phone), NULL)
        != CEREBRO_PHONE_OK)
    {
        return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "\"From\" is not a telephone "
                                           "number");
    }

    (void) ngx_cerebro_twilio_param_str(params, "Body", &text);

    /* blanks around the text do not matter; a novel is cut */
    while (text.len && (text.data[0] == ' ' || text.data[0] == '\n'
                        || text.data[0] == '\r' || text.data[0] == '\t'))
    {
        text.data++;
        text.len--;
    }

    while (text.len && (text.data[text.len - 1] == ' '
                        || text.data[text.len - 1] == '\n'
                        || text.data[text.len - 1] == '\r'
                        || text.data[text.len - 1] == '\t'))
    {
        text.len--;
    }

    /* never half a character: Twilio's limit, counted as Twilio counts */
    text.len = cerebro_text_prefix((char *) text.data, text.len,
                                   CEREBRO_TEXT_WHATSAPP_MAX);

    ctx->text.data = (u_char *) ngx_cerebro_pstrdup0(r->pool, &text);
    ctx->text.len = text.len;

    if (ngx_cerebro_twilio_param_str(params, "MessageSid", &sid) != NGX_OK) {
        (void) ngx_cerebro_twilio_param_str(params, "SmsMessageSid", &sid);
    }

    if (sid.len > 64) {
        return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "\"MessageSid\" is too long");
    }

    ctx->sid.data = (u_char *) ngx_cerebro_pstrdup0(r->pool, &sid);
    ctx->sid.len = sid.len;
    ngx_cerebro_logvar_set(r, NGX_CEREBRO_LOG_CALL_ID, (char *) ctx->sid.data);

    if (ctx->text.data == NULL || ctx->sid.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;

    if (ngx_cerebro_whatsapp_prepare(ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->budget.handler = ngx_cerebro_whatsapp_budget;
    ctx->budget.data = ctx;
    ctx->budget.log = r->connection->log;

    /* the guest waits from now: so does the budget */
    ngx_add_timer(&ctx->budget, ccf->whatsapp_budget);

    ngx_cerebro_log_detail(mcf, r->connection->log,
                           "WhatsApp message %V from %s, %uz bytes",
                           &ctx->sid, ctx->phone, ctx->text.len);

    if (ctx->sid.len == 0) {
        ngx_cerebro_whatsapp_process(ctx);
        return NGX_DONE;
    }

    /*
     * Twilio retries: a MessageSid answered is a row of the SQLite file
     * (the replay keys' table), which no flood of other keys evicts from
     * the shared-memory zone; then the kv key, for one in flight
     */
    ctx->answer.request = r;
    ctx->answer.key = ctx->key_done;
    ctx->answer.done = ngx_cerebro_whatsapp_answered;
    ctx->answer.data = ctx;

    if (ngx_cerebro_replay_find(&ctx->answer) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DONE;
}


static void
ngx_cerebro_whatsapp_answered(ngx_cerebro_replay_t *rp)
{
    ngx_http_request_t          *r;
    ngx_cerebro_whatsapp_ctx_t  *ctx;

    ctx = rp->data;
    r = ctx->request;

    if (rp->found) {
        ngx_cerebro_metric_inc(NGX_CEREBRO_M_WHATSAPP_IN, "duplicate", NULL);
        ngx_cerebro_log(NGX_LOG_INFO, r->connection->log, 0,
                        "WhatsApp message %V delivered again: answered "
                        "already, not processed twice", &ctx->sid);

        ctx->reply = rp->text;
        ngx_cerebro_whatsapp_deliver(ctx);
        return;
    }

    ngx_cerebro_kv_op_init(&ctx->once);
    ctx->once.request = r;
    ctx->once.kind = NGX_CEREBRO_KV_SET;
    ctx->once.key = ctx->key_sid;
    ctx->once.value = ctx->lease;
    ctx->once.ttl = NGX_CEREBRO_WA_DAY;
    ctx->once.nx = 1;
    ctx->once.done = ngx_cerebro_whatsapp_once;
    ctx->once.data = ctx;

    if (ngx_cerebro_kv_start(&ctx->once) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


/*
 * The keys of the message and of its phone, and the lease: the message
 * itself with the time by which its handler is done or dead.  The phone's
 * lock may take whatsapp_timeout, and so may the brain.
 */
static ngx_int_t
ngx_cerebro_whatsapp_prepare(ngx_cerebro_whatsapp_ctx_t *ctx)
{
    u_char                       *p;
    int64_t                       until;
    ngx_pool_t                   *pool;
    ngx_pool_cleanup_t           *cln;
    ngx_cerebro_channels_conf_t  *ccf;

    pool = ctx->request->pool;
    ccf = ngx_http_get_module_main_conf(ctx->request,
                                        ngx_cerebro_channels_module);

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_cerebro_whatsapp_cleanup;
    cln->data = ctx;

    ctx->wait.handler = ngx_cerebro_whatsapp_again;
    ctx->wait.data = ctx;
    ctx->wait.log = ctx->request->connection->log;

    ctx->key_conv.data = ngx_pnalloc(pool, sizeof("cerebro:wa:conv:") - 1
                                           + sizeof(ctx->phone));
    ctx->key_lock.data = ngx_pnalloc(pool, sizeof("cerebro:wa:lock:") - 1
                                           + sizeof(ctx->phone));
    ctx->key_sid.data = ngx_pnalloc(pool, sizeof("cerebro:wa:sid:") - 1
                                          + ctx->sid.len);
    ctx->key_done.data = ngx_pnalloc(pool, sizeof("cerebro:wa:done:")
                                           + ctx->sid.len);
    ctx->lease.data = ngx_pnalloc(pool, sizeof("pending::\n") - 1
                                        + NGX_INT64_LEN + sizeof(ctx->phone)
                                        + ctx->text.len);

    if (ctx->key_conv.data == NULL || ctx->key_lock.data == NULL
        || ctx->key_sid.data == NULL || ctx->key_done.data == NULL
        || ctx->lease.data == NULL)
    {
        return NGX_ERROR;
    }

    ctx->key_conv.len = ngx_sprintf(ctx->key_conv.data, "cerebro:wa:conv:%s",
                                    ctx->phone)
                        - ctx->key_conv.data;
    ctx->key_lock.len = ngx_sprintf(ctx->key_lock.data, "cerebro:wa:lock:%s",
                                    ctx->phone)
                        - ctx->key_lock.data;
    ctx->key_sid.len = ngx_sprintf(ctx->key_sid.data, "cerebro:wa:sid:%V",
                                   &ctx->sid)
                       - ctx->key_sid.data;
    ctx->key_done.len = ngx_sprintf(ctx->key_done.data,
                                    "cerebro:wa:done:%V%Z", &ctx->sid)
                        - ctx->key_done.data - 1;

    until = ngx_cerebro_whatsapp_now() + 2 * (int64_t) ccf->whatsapp_timeout
            + NGX_CEREBRO_WA_LEASE_MARGIN;

    p = ngx_sprintf(ctx->lease.data, "pending:%L:%s\n%V", until, ctx->phone,
                    &ctx->text);
    ctx->lease.len = p - ctx->lease.data;

    return NGX_OK;
}


/* wall-clock milliseconds: a lease is read by other workers and hosts */
static int64_t
ngx_cerebro_whatsapp_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (int64_t) tp->sec * 1000 + tp->msec;
}


/*
 * "pending:<until>:<phone>\n<text>" (or an older plain "pending", read as
 * a lease that ran out): NGX_OK with the parts; NGX_DECLINED otherwise.
 */
static ngx_int_t
ngx_cerebro_whatsapp_lease_parse(ngx_str_t *value, int64_t *until,
    ngx_str_t *phone, ngx_str_t *text)
{
    u_char  *p, *end, *colon, *nl;

    p = value->data;
    end = p + value->len;

    if (value->len < sizeof("pending") - 1
        || ngx_strncmp(p, "pending", sizeof("pending") - 1) != 0)
    {
        return NGX_DECLINED;
    }

    *until = 0;
    ngx_str_null(phone);
    ngx_str_null(text);

    p += sizeof("pending") - 1;

    if (p == end) {
        return NGX_OK;
    }

    if (*p++ != ':') {
        return NGX_DECLINED;
    }

    colon = ngx_strlchr(p, end, ':');
    nl = colon ? ngx_strlchr(colon, end, '\n') : NULL;

    if (nl == NULL || colon == p) {
        return NGX_DECLINED;
    }

    *until = ngx_atoof(p, colon - p);
    if (*until == NGX_ERROR) {
        return NGX_DECLINED;
    }

    phone->data = colon + 1;
    phone->len = nl - (colon + 1);
    text->data = nl + 1;
    text->len = end - (nl + 1);

    return NGX_OK;
}


static void
ngx_cerebro_whatsapp_once(ngx_cerebro_kv_op_t *op)
{
    ngx_cerebro_whatsapp_ctx_t  *ctx;

    ctx = op->data;

    if (op->rc == NGX_CEREBRO_KV_NONE) {
        /* a retry: the answer of the first delivery, or its lease */
        ctx->seen.request = ctx->request;
        ctx->seen.kind = NGX_CEREBRO_KV_GET;
        ctx->seen.key = ctx->key_sid;
        ctx->seen.done = ngx_cerebro_whatsapp_seen;
        ctx->seen.data = ctx;

        if (ngx_cerebro_kv_start(&ctx->seen) != NGX_OK) {
            ngx_cerebro_whatsapp_deliver(ctx);
        }

        return;
    }

    if (op->rc == NGX_CEREBRO_KV_ERROR) {
        ngx_cerebro_log(NGX_LOG_WARN, ctx->request->connection->log, 0,
                        "WhatsApp message %V: idempotency key not set (%s)",
                        &ctx->sid, op->error ? op->error : "error");
        ngx_cerebro_whatsapp_process(ctx);
        return;
    }

    /* where the jobs run looks for messages whose worker died */
    ctx->push.request = ctx->request;
    ctx->push.kind = NGX_CEREBRO_KV_PUSH;
    ngx_str_set(&ctx->push.key, NGX_CEREBRO_WA_INBOX_KEY);
    ctx->push.value = ctx->sid;
    ctx->push.cap = NGX_CEREBRO_WA_INBOX;
    ctx->push.ttl = NGX_CEREBRO_WA_DAY;
    ctx->push.done = ngx_cerebro_whatsapp_pushed;
    ctx->push.data = ctx;

    if (ngx_cerebro_kv_start(&ctx->push) != NGX_OK) {
        ngx_cerebro_whatsapp_process(ctx);
    }
}


static void
ngx_cerebro_whatsapp_pushed(ngx_cerebro_kv_op_t *op)
{
    ngx_cerebro_whatsapp_ctx_t  *ctx;

    ctx = op->data;

    if (op->rc != NGX_CEREBRO_KV_OK) {
        ngx_cerebro_log(NGX_LOG_WARN, ctx->request->connection->log, 0,
                        "WhatsApp message %V: not in the inbox (%s), only "
                        "Twilio's retry can take it over",
                        &ctx->sid, op->error ? op->error : "error");
    }

    ngx_cerebro_whatsapp_process(ctx);
}


static void
ngx_cerebro_whatsapp_seen(ngx_cerebro_kv_op_t *op)
{
    int64_t                      until;
    ngx_str_t                    phone, text;
    ngx_cerebro_whatsapp_ctx_t  *ctx;

    ctx = op->data;

    ngx_cerebro_metric_inc(NGX_CEREBRO_M_WHATSAPP_IN, "duplicate", NULL);

    if (op->rc == NGX_CEREBRO_KV_OK && op->result.len >= 5
        && ngx_strncmp(op->result.data, "done:", 5) == 0)
    {
        ngx_cerebro_log(NGX_LOG_INFO, ctx->request->connection->log, 0,
                        "WhatsApp message %V delivered again: answered "
                        "already, not processed twice", &ctx->sid);

        ctx->reply.data = op->result.data + 5;
        ctx->reply.len = op->result.len - 5;
        ngx_cerebro_whatsapp_deliver(ctx);
        return;
    }

    if (op->rc == NGX_CEREBRO_KV_OK
        && ngx_cerebro_whatsapp_lease_parse(&op->result, &until, &phone,
                                            &text)
           == NGX_OK
        && until <= ngx_cerebro_whatsapp_now())
    {
        ngx_cerebro_whatsapp_take(ctx, until);
        return;
    }

    /* its handler is alive: the reply reaches the guest from there */
    ngx_cerebro_log(NGX_LOG_INFO, ctx->request->connection->log, 0,
                    "WhatsApp message %V delivered again while it is "
                    "handled: not processed twice", &ctx->sid);

    ngx_cerebro_whatsapp_deliver(ctx);
}


/*
 * The lease ran out: its handler died.  Of all who see the same lease
 * run out (Twilio's retries, the jobs runs of several hosts) one takes
 * the message over; its own lease, if it dies in turn, can be taken too.
 */
static void
ngx_cerebro_whatsapp_take(ngx_cerebro_whatsapp_ctx_t *ctx, int64_t until)
{
    ctx->key_take.data = ngx_pnalloc(ctx->request->pool,
                                     sizeof("cerebro:wa:take::") - 1
                                     + ctx->sid.len + NGX_INT64_LEN);
    if (ctx->key_take.data == NULL) {
        ngx_cerebro_whatsapp_deliver(ctx);
        return;
    }

    ctx->key_take.len = ngx_sprintf(ctx->key_take.data,
                                    "cerebro:wa:take:%V:%L", &ctx->sid,
                                    until)
                        - ctx->key_take.data;

    ctx->take.request = ctx->request;
    ctx->take.kind = NGX_CEREBRO_KV_SET;
    ctx->take.key = ctx->key_take;
    ngx_str_set(&ctx->take.value, "1");
    ctx->take.nx = 1;
    ctx->take.ttl = NGX_CEREBRO_WA_DAY;
    ctx->take.done = ngx_cerebro_whatsapp_taken;
    ctx->take.data = ctx;

    if (ngx_cerebro_kv_start(&ctx->take) != NGX_OK) {
        ngx_cerebro_whatsapp_deliver(ctx);
    }
}


static void
ngx_cerebro_whatsapp_taken(ngx_cerebro_kv_op_t *op)
{
    ngx_cerebro_whatsapp_ctx_t  *ctx;

    ctx = op->data;

    if (op->rc != NGX_CEREBRO_KV_OK) {
        ngx_cerebro_log(NGX_LOG_INFO, ctx->request->connection->log, 0,
                        "WhatsApp message %V: taken over by another (%s)",
                        &ctx->sid, op->error ? op->error : "already taken");
        ngx_cerebro_whatsapp_deliver(ctx);
        return;
    }

    ctx->taken = 1;

    ngx_cerebro_log(NGX_LOG_NOTICE, ctx->request->connection->log, 0,
                    "WhatsApp message %V: its handler did not finish, "
                    "handled again%s", &ctx->sid,
                    ctx->redo ? " by the jobs run" : "");

    ctx->relet.request = ctx->request;
    ctx->relet.kind = NGX_CEREBRO_KV_SET;
    ctx->relet.key = ctx->key_sid;
    ctx->relet.value = ctx->lease;
    ctx->relet.ttl = NGX_CEREBRO_WA_DAY;
    ctx->relet.done = ngx_cerebro_whatsapp_relet;
    ctx->relet.data = ctx;

    if (ngx_cerebro_kv_start(&ctx->relet) != NGX_OK) {
        ngx_cerebro_whatsapp_process(ctx);
    }
}


static void
ngx_cerebro_whatsapp_relet(ngx_cerebro_kv_op_t *op)
{
    ngx_cerebro_whatsapp_process(op->data);
}


static void
ngx_cerebro_whatsapp_process(ngx_cerebro_whatsapp_ctx_t *ctx)
{
    int                           opted;
    ngx_uint_t                    left;
    cerebro_sqlite_t             *db;
    cerebro_store_error_t         e;
    cerebro_dlg_intent_t          intent;
    ngx_cerebro_channels_conf_t  *ccf;

    ccf = ngx_http_get_module_main_conf(ctx->request,
                                        ngx_cerebro_channels_module);

    intent = cerebro_dlg_intent((char *) ctx->text.data, ctx->text.len);

    if (intent == CEREBRO_DLG_LEAVE_LIST || intent == CEREBRO_DLG_STOP) {
        /* nobody who asked for no messages is offered a table */
        if (ngx_cerebro_waitlist_leave(ctx->request, ctx->phone, &left)
            != NGX_OK && intent == CEREBRO_DLG_LEAVE_LIST)
        {
            ngx_cerebro_whatsapp_finish(ctx,
                                  "Lo siento, no he podido quitarle de la "
                                  "lista. Inténtelo de nuevo.");
            return;
        }

        if (intent == CEREBRO_DLG_LEAVE_LIST) {
            ngx_cerebro_whatsapp_finish(ctx, left ? ngx_cerebro_wa_left_list
                                              : ngx_cerebro_wa_not_listed);
            return;
        }
    }

    if (intent == CEREBRO_DLG_STOP || intent == CEREBRO_DLG_START) {
        if (ngx_cerebro_whatsapp_opt(ctx, intent == CEREBRO_DLG_STOP)
            != NGX_OK)
        {
            ngx_cerebro_whatsapp_finish(ctx,
                                  "Lo siento, no he podido guardar su "
                                  "preferencia. Inténtelo de nuevo.");
            return;
        }

        ngx_cerebro_whatsapp_finish(ctx, intent == CEREBRO_DLG_STOP
                                         ? ngx_cerebro_wa_stopped
                                         : ngx_cerebro_wa_started);
        return;
    }

    opted = 0;
    db = ngx_cerebro_store_db(ctx->request);

    if (db
        && cerebro_sqlite_opt_out_get(db, ctx->phone, &opted, &e)
           != CEREBRO_STORE_OK)
    {
        opted = 0;
    }

    if (opted) {
        /* the guest asked for no messages: none, until ALTA */
        ngx_cerebro_log(NGX_LOG_INFO, ctx->request->connection->log, 0,
                        "WhatsApp message from %s, who opted out: not "
                        "answered", ctx->phone);
        ngx_cerebro_whatsapp_finish(ctx, NULL);
        return;
    }

    if (ctx->text.len == 0) {
        ngx_cerebro_whatsapp_finish(ctx, ngx_cerebro_wa_media);
        return;
    }

    /* as long as a brain may take: a holder that died lets go by then */
    ctx->lock_until = ngx_current_msec + ccf->whatsapp_timeout;

    ctx->lock.request = ctx->request;
    ctx->lock.kind = NGX_CEREBRO_KV_LOCK;
    ctx->lock.key = ctx->key_lock;
    ctx->lock.ttl = ccf->whatsapp_timeout + NGX_CEREBRO_WA_LEASE_MARGIN;
    ctx->lock.done = ngx_cerebro_whatsapp_locked;
    ctx->lock.data = ctx;

    ngx_cerebro_whatsapp_again(&ctx->wait);
}


/* One phone's messages one at a time: each reads what the last saved. */
static void
ngx_cerebro_whatsapp_again(ngx_event_t *ev)
{
    ngx_cerebro_whatsapp_ctx_t  *ctx;

    ctx = ev->data;

    if (ngx_cerebro_kv_start(&ctx->lock) != NGX_OK) {
        ngx_cerebro_whatsapp_finish(ctx, NULL);
    }
}


static void
ngx_cerebro_whatsapp_locked(ngx_cerebro_kv_op_t *op)
{
    ngx_cerebro_whatsapp_ctx_t  *ctx;

    ctx = op->data;

    if (op->rc == NGX_CEREBRO_KV_NONE
        && (ngx_msec_int_t) (ctx->lock_until - ngx_current_msec) > 0)
    {
        ngx_add_timer(&ctx->wait, NGX_CEREBRO_WA_LOCK_POLL);
        return;
    }

    if (op->rc == NGX_CEREBRO_KV_OK) {
        ctx->locked = 1;

    } else {
        ngx_cerebro_log(NGX_LOG_WARN, ctx->request->connection->log, 0,
                        "WhatsApp message %V: handled without the lock of "
                        "%s (%s)", &ctx->sid, ctx->phone,
                        op->rc == NGX_CEREBRO_KV_NONE
                        ? "still held" : op->error ? op->error : "error");
    }

    ctx->load.request = ctx->request;
    ctx->load.kind = NGX_CEREBRO_KV_GET;
    ctx->load.key = ctx->key_conv;
    ctx->load.done = ngx_cerebro_whatsapp_loaded;
    ctx->load.data = ctx;

    if (ngx_cerebro_kv_start(&ctx->load) != NGX_OK) {
        ngx_cerebro_whatsapp_finish(ctx, NULL);
    }
}


/* STOP/BAJA and START/ALTA, in the table the outbox reads */
static ngx_int_t
ngx_cerebro_whatsapp_opt(ngx_cerebro_whatsapp_ctx_t *ctx, int out)
{
    cerebro_sqlite_t       *db;
    cerebro_store_error_t   e;

    db = ngx_cerebro_store_db(ctx->request);

    if (db == NULL
        || cerebro_sqlite_opt_out_set(db, ctx->phone, out,
                                      (int64_t) ngx_time(), &e)
           != CEREBRO_STORE_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, ctx->request->connection->log, 0,
                        "WhatsApp opt-%s of %s not stored: %s",
                        out ? "out" : "in", ctx->phone,
                        db ? e.message : "no SQLite handle");
        return NGX_ERROR;
    }

    ngx_cerebro_log(NGX_LOG_NOTICE, ctx->request->connection->log, 0,
                    "WhatsApp: %s opted %s", ctx->phone, out ? "out" : "in");

    return NGX_OK;
}


static void
ngx_cerebro_whatsapp_loaded(ngx_cerebro_kv_op_t *op)
{
    ngx_int_t                     rc;
    ngx_pool_cleanup_t           *cln;
    ngx_http_request_t           *r;
    ngx_cerebro_brain_t          *brain;
    ngx_cerebro_main_conf_t      *mcf;
    ngx_cerebro_channels_conf_t  *ccf;
    ngx_cerebro_whatsapp_ctx_t   *ctx;

    ctx = op->data;
    r = ctx->request;
    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    ccf = ngx_http_get_module_main_conf(r, ngx_cerebro_channels_module);

    if (op->rc == NGX_CEREBRO_KV_OK && op->result.len) {
        ctx->memory = cJSON_ParseWithLength((char *) op->result.data,
                                            op->result.len);
    }

    if (!cJSON_IsObject(ctx->memory)) {
        cJSON_Delete(ctx->memory);
        ctx->memory = cJSON_CreateObject();
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (ctx->memory == NULL || cln == NULL) {
        cJSON_Delete(ctx->memory);
        ctx->memory = NULL;
        ngx_cerebro_whatsapp_finish(ctx, NULL);
        return;
    }

    cln->handler = ngx_cerebro_whatsapp_json_cleanup;
    cln->data = ctx->memory;

    brain = &ctx->brain;
    brain->request = r;
    ngx_cpystrn((u_char *) brain->phone, (u_char *) ctx->phone,
                sizeof(brain->phone));
    ngx_cpystrn((u_char *) brain->message_id, ctx->sid.data,
                sizeof(brain->message_id));
    brain->text = ctx->text;
    brain->memory = ctx->memory;
    brain->deadline = ngx_current_msec + ccf->whatsapp_timeout;
    brain->done = ngx_cerebro_whatsapp_brain_done;
    brain->data = ctx;

    if (ngx_cerebro_brain_init(brain) != NGX_OK) {
        ngx_cerebro_whatsapp_finish(ctx, NULL);
        return;
    }

    /* SÍ or NO to a table offered from the waiting list, either brain */
    rc = ngx_cerebro_waitlist_answer(brain,
                                     cerebro_dlg_intent((char *) ctx->text.data,
                                                        ctx->text.len));
    if (rc == NGX_OK) {
        return;
    }

    if (rc == NGX_ERROR) {
        ngx_cerebro_whatsapp_finish(ctx, NULL);
        return;
    }

    rc = mcf->openai_api_key.len ? ngx_cerebro_agents_start(brain)
                                 : ngx_cerebro_dialogue_start(brain);

    if (rc != NGX_OK && !brain->finished) {
        (void) ngx_cerebro_brain_reply(brain, "", 0);
        ngx_cerebro_brain_finish(brain);
    }
}


static void
ngx_cerebro_whatsapp_brain_done(ngx_cerebro_brain_t *brain)
{
    char                        *text, *json;
    ngx_cerebro_whatsapp_ctx_t  *ctx;

    ctx = brain->data;

    text = ngx_cerebro_pstrdup0(ctx->request->pool, &brain->reply);

    ngx_cerebro_log_detail(((ngx_cerebro_main_conf_t *)
                            ngx_http_get_module_main_conf(ctx->request,
                                                      ngx_cerebro_module)),
                           ctx->request->connection->log,
                           "WhatsApp %V answered by %s (%s)%s",
                           &ctx->sid, brain->by,
                           brain->intent ? brain->intent : "-",
                           ctx->late ? ", late: through the outbox" : "");

    if (text == NULL
        || ngx_cerebro_whatsapp_history(ctx, "user",
                                        (char *) ctx->text.data) != NGX_OK
        || ngx_cerebro_whatsapp_history(ctx, "assistant", text) != NGX_OK)
    {
        ngx_cerebro_whatsapp_finish(ctx, text);
        return;
    }

    ctx->reply.data = (u_char *) text;
    ctx->reply.len = ngx_strlen(text);

    json = cJSON_PrintUnformatted(ctx->memory);
    if (json == NULL) {
        ngx_cerebro_whatsapp_finish(ctx, text);
        return;
    }

    ctx->save.value.len = ngx_strlen(json);
    ctx->save.value.data = ngx_pnalloc(ctx->request->pool,
                                       ctx->save.value.len);
    if (ctx->save.value.data == NULL) {
        cJSON_free(json);
        ngx_cerebro_whatsapp_finish(ctx, text);
        return;
    }

    ngx_memcpy(ctx->save.value.data, json, ctx->save.value.len);
    cJSON_free(json);

    /* the WhatsApp session window: 24 h after the guest's last message */
    ctx->save.request = ctx->request;
    ctx->save.kind = NGX_CEREBRO_KV_SET;
    ctx->save.key = ctx->key_conv;
    ctx->save.ttl = NGX_CEREBRO_WA_DAY;
    ctx->save.done = ngx_cerebro_whatsapp_saved;
    ctx->save.data = ctx;

    if (ngx_cerebro_kv_start(&ctx->save) != NGX_OK) {
        ngx_cerebro_whatsapp_finish(ctx, text);
    }
}


static void
ngx_cerebro_whatsapp_saved(ngx_cerebro_kv_op_t *op)
{
    ngx_cerebro_whatsapp_ctx_t  *ctx;

    ctx = op->data;

    if (op->rc != NGX_CEREBRO_KV_OK) {
        ngx_cerebro_log(NGX_LOG_WARN, ctx->request->connection->log, 0,
                        "WhatsApp conversation of %s not saved (%s)",
                        ctx->phone, op->error ? op->error : "error");
    }

    ngx_cerebro_whatsapp_finish(ctx, (char *) ctx->reply.data);
}


/* The last messages of both sides, the memory the next message reads. */
static ngx_int_t
ngx_cerebro_whatsapp_history(ngx_cerebro_whatsapp_ctx_t *ctx,
    const char *role, const char *text)
{
    cJSON  *history, *m;

    history = cJSON_GetObjectItemCaseSensitive(ctx->memory, "history");

    if (!cJSON_IsArray(history)) {
        cJSON_DeleteItemFromObjectCaseSensitive(ctx->memory, "history");
        history = cJSON_AddArrayToObject(ctx->memory, "history");
        if (history == NULL) {
            return NGX_ERROR;
        }
    }

    while (cJSON_GetArraySize(history) >= NGX_CEREBRO_WA_HISTORY) {
        cJSON_DeleteItemFromArray(history, 0);
    }

    m = cJSON_CreateObject();
    if (m == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddItemToArray(history, m);

    if (cJSON_AddStringToObject(m, "role", role) == NULL
        || cJSON_AddStringToObject(m, "content", text) == NULL
        || cJSON_AddNumberToObject(m, "at", (double) ngx_time()) == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The reply is known (NULL: none).  The MessageSid's key keeps it, so
 * that a retry of this webhook gets the same answer and runs nothing.
 */
static void
ngx_cerebro_whatsapp_finish(ngx_cerebro_whatsapp_ctx_t *ctx,
    const char *text)
{
    ngx_cerebro_metric_inc(NGX_CEREBRO_M_WHATSAPP_IN,
                           ctx->late ? "late" : "answered", NULL);

    if (text != (char *) ctx->reply.data) {
        if (text) {
            ctx->reply.data = (u_char *) text;
            ctx->reply.len = ngx_strlen(text);

        } else {
            ngx_str_null(&ctx->reply);
        }
    }

    if (!ctx->locked) {
        ngx_cerebro_whatsapp_mark(ctx);
        return;
    }

    /* the same op: UNLOCK needs LOCK's token */
    ctx->locked = 0;
    ctx->lock.kind = NGX_CEREBRO_KV_UNLOCK;
    ctx->lock.done = ngx_cerebro_whatsapp_unlocked;

    if (ngx_cerebro_kv_start(&ctx->lock) != NGX_OK) {
        /* it expires by itself */
        ngx_cerebro_whatsapp_mark(ctx);
    }
}


static void
ngx_cerebro_whatsapp_unlocked(ngx_cerebro_kv_op_t *op)
{
    ngx_cerebro_whatsapp_mark(op->data);
}


static void
ngx_cerebro_whatsapp_mark(ngx_cerebro_whatsapp_ctx_t *ctx)
{
    u_char  *p;
    size_t   len;

    if (ctx->sid.len == 0) {
        ngx_cerebro_whatsapp_deliver(ctx);
        return;
    }

    /* late: Twilio had <Response/>, the outbox has the reply */
    len = sizeof("done:") - 1 + (ctx->late ? 0 : ctx->reply.len);

    p = ngx_pnalloc(ctx->request->pool, len);
    if (p == NULL) {
        ngx_cerebro_whatsapp_deliver(ctx);
        return;
    }

    ngx_memcpy(p, "done:", sizeof("done:") - 1);
    if (!ctx->late && ctx->reply.len) {
        ngx_memcpy(p + sizeof("done:") - 1, ctx->reply.data,
                   ctx->reply.len);
    }

    ctx->mark.request = ctx->request;
    ctx->mark.kind = NGX_CEREBRO_KV_SET;
    ctx->mark.key = ctx->key_sid;
    ctx->mark.value.data = p;
    ctx->mark.value.len = len;
    ctx->mark.ttl = NGX_CEREBRO_WA_DAY;
    ctx->mark.done = ngx_cerebro_whatsapp_marked;
    ctx->mark.data = ctx;

    if (ngx_cerebro_kv_start(&ctx->mark) != NGX_OK) {
        ngx_cerebro_whatsapp_deliver(ctx);
    }
}


/*
 * Kept in the file too, for a day: a reply too long for a row is kept
 * empty (a retry then gets an empty answer; the guest had the first).
 */
static void
ngx_cerebro_whatsapp_marked(ngx_cerebro_kv_op_t *op)
{
    ngx_cerebro_whatsapp_ctx_t  *ctx;

    ctx = op->data;

    ctx->answer.request = ctx->request;
    ctx->answer.key = ctx->key_done;
    ctx->answer.failed = 0;
    ctx->answer.done = ngx_cerebro_whatsapp_kept;
    ctx->answer.data = ctx;

    if (ctx->late || ctx->reply.len > CEREBRO_SQLITE_REPLAY_LEN - 1) {
        ngx_str_set(&ctx->answer.text, "");

    } else {
        ctx->answer.text = ctx->reply;
    }

    if (ngx_cerebro_replay_keep(&ctx->answer) != NGX_OK) {
        ngx_cerebro_whatsapp_deliver(ctx);
    }
}


static void
ngx_cerebro_whatsapp_kept(ngx_cerebro_replay_t *rp)
{
    ngx_cerebro_whatsapp_ctx_t  *ctx;

    ctx = rp->data;

    if (rp->error) {
        ngx_cerebro_log(NGX_LOG_WARN, ctx->request->connection->log, 0,
                        "WhatsApp message %V: its answer was not kept (%s)",
                        &ctx->sid, rp->error);
    }

    ngx_cerebro_whatsapp_deliver(ctx);
}


/* The reply in the TwiML answer, or, past the budget, through the outbox. */
static void
ngx_cerebro_whatsapp_deliver(ngx_cerebro_whatsapp_ctx_t *ctx)
{
    char                *text;
    ngx_http_request_t  *r;

    r = ctx->request;

    if (ctx->budget.timer_set) {
        ngx_del_timer(&ctx->budget);
    }

    if (ctx->redo) {
        ngx_cerebro_whatsapp_redone(ctx);
        return;
    }

    if (!ctx->answered) {
        ctx->answered = 1;
        ngx_http_finalize_request(r,
                      ngx_cerebro_whatsapp_twiml(r, ctx->reply.len
                                                    ? &ctx->reply : NULL));
        return;
    }

    if (ctx->reply.len) {
        text = ngx_cerebro_pstrdup0(r->pool, &ctx->reply);

        if (text == NULL || ngx_cerebro_whatsapp_send(ctx, text) != NGX_OK) {
            ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                            "WhatsApp reply to %s (message %V) could not "
                            "be queued", ctx->phone, &ctx->sid);
        }
    }

    /* the reference taken at the budget */
    ngx_http_finalize_request(r, NGX_DONE);
}


/*
 * Twilio waits 15 s at most: at the budget it gets an empty answer, and
 * the request lives on (one more reference) until the brain is done.
 */
static void
ngx_cerebro_whatsapp_budget(ngx_event_t *ev)
{
    ngx_http_request_t          *r;
    ngx_cerebro_whatsapp_ctx_t  *ctx;

    ctx = ev->data;
    r = ctx->request;

    if (ctx->answered) {
        return;
    }

    ngx_cerebro_log(NGX_LOG_INFO, r->connection->log, 0,
                    "WhatsApp message %V: no reply within the budget, it "
                    "will go through the outbox", &ctx->sid);

    ctx->answered = 1;
    ctx->late = 1;

    r->main->count++;

    ngx_http_finalize_request(r, ngx_cerebro_whatsapp_twiml(r, NULL));
}


static ngx_int_t
ngx_cerebro_whatsapp_send(ngx_cerebro_whatsapp_ctx_t *ctx, const char *text)
{
    u_char  key[CEREBRO_REC_DEDUPE_LEN];

    /* one reply per inbound message, whatever happens twice */
    ngx_snprintf(key, sizeof(key) - 1, "wa-reply:%V%Z", &ctx->sid);
    key[sizeof(key) - 1] = '\0';

    return ngx_cerebro_outbox_send(ctx->request, ctx->phone, text,
                                   CEREBRO_OUTBOX_KIND_REPLY,
                                   ctx->sid.len ? (char *) key : NULL, NULL);
}


/* ---- the jobs run: messages whose worker died ---------------------------- */


ngx_int_t
ngx_cerebro_whatsapp_redo(ngx_http_request_t *r,
    ngx_cerebro_whatsapp_redone_pt done, void *data)
{
    ngx_cerebro_whatsapp_redo_t  *redo;

    redo = ngx_pcalloc(r->pool, sizeof(ngx_cerebro_whatsapp_redo_t));
    if (redo == NULL) {
        return NGX_ERROR;
    }

    redo->request = r;
    redo->done = done;
    redo->data = data;

    redo->range.request = r;
    redo->range.kind = NGX_CEREBRO_KV_RANGE;
    ngx_str_set(&redo->range.key, NGX_CEREBRO_WA_INBOX_KEY);
    redo->range.cap = NGX_CEREBRO_WA_INBOX;
    redo->range.done = ngx_cerebro_whatsapp_inbox;
    redo->range.data = redo;

    if (ngx_cerebro_kv_start(&redo->range) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_cerebro_whatsapp_inbox(ngx_cerebro_kv_op_t *op)
{
    ngx_str_t                    *sids, *keys;
    ngx_uint_t                    i, n;
    ngx_cerebro_whatsapp_redo_t  *redo;

    redo = op->data;

    if (op->rc != NGX_CEREBRO_KV_OK || op->items == NULL
        || op->items->nelts == 0)
    {
        redo->done(redo->data, 0);
        return;
    }

    sids = op->items->elts;
    n = op->items->nelts;

    keys = ngx_palloc(redo->request->pool, n * sizeof(ngx_str_t));
    if (keys == NULL) {
        redo->done(redo->data, 0);
        return;
    }

    for (i = 0; i < n; i++) {
        keys[i].data = ngx_pnalloc(redo->request->pool,
                                   sizeof("cerebro:wa:sid:") - 1
                                   + sids[i].len);
        if (keys[i].data == NULL) {
            redo->done(redo->data, 0);
            return;
        }

        keys[i].len = ngx_sprintf(keys[i].data, "cerebro:wa:sid:%V", &sids[i])
                      - keys[i].data;
    }

    redo->mget.request = redo->request;
    redo->mget.kind = NGX_CEREBRO_KV_MGET;
    redo->mget.keys = keys;
    redo->mget.nkeys = n;
    redo->mget.done = ngx_cerebro_whatsapp_inbox_read;
    redo->mget.data = redo;

    if (ngx_cerebro_kv_start(&redo->mget) != NGX_OK) {
        redo->done(redo->data, 0);
    }
}


static void
ngx_cerebro_whatsapp_inbox_read(ngx_cerebro_kv_op_t *op)
{
    int64_t                       now, until;
    ngx_str_t                    *sids, *values, phone, text;
    ngx_uint_t                    i;
    ngx_cerebro_whatsapp_ctx_t   *ctx;
    ngx_cerebro_whatsapp_redo_t  *redo;

    redo = op->data;

    if (op->rc != NGX_CEREBRO_KV_OK || op->items == NULL
        || op->items->nelts != redo->range.items->nelts)
    {
        redo->done(redo->data, 0);
        return;
    }

    sids = redo->range.items->elts;
    values = op->items->elts;
    now = ngx_cerebro_whatsapp_now();

    redo->starting = 1;

    for (i = 0; i < op->items->nelts
                && redo->running < NGX_CEREBRO_WA_REDO_BATCH; i++)
    {
        if (values[i].len == 0
            || ngx_cerebro_whatsapp_lease_parse(&values[i], &until, &phone,
                                                &text)
               != NGX_OK
            || until > now
            || now - until > NGX_CEREBRO_WA_REDO_AGE
            || phone.len == 0
            || phone.len >= CEREBRO_PHONE_E164_SIZE
            || sids[i].len == 0)
        {
            continue;
        }

        ctx = ngx_pcalloc(redo->request->pool,
                          sizeof(ngx_cerebro_whatsapp_ctx_t));
        if (ctx == NULL) {
            break;
        }

        ctx->request = redo->request;
        ctx->redo = redo;
        ctx->sid = sids[i];
        ngx_memcpy(ctx->phone, phone.data, phone.len);
        ctx->text.data = (u_char *) ngx_cerebro_pstrdup0(redo->request->pool,
                                                         &text);
        ctx->text.len = text.len;

        /* nobody waits for a TwiML answer: the reply goes to the outbox */
        ctx->answered = 1;
        ctx->late = 1;

        if (ctx->text.data == NULL
            || ngx_cerebro_whatsapp_prepare(ctx) != NGX_OK)
        {
            break;
        }

        redo->running++;
        ngx_cerebro_whatsapp_take(ctx, until);
    }

    redo->starting = 0;

    if (redo->running == 0) {
        redo->done(redo->data, redo->redone);
    }
}


static void
ngx_cerebro_whatsapp_redone(ngx_cerebro_whatsapp_ctx_t *ctx)
{
    char                         *text;
    ngx_cerebro_whatsapp_redo_t  *redo;

    redo = ctx->redo;

    if (ctx->taken) {
        redo->redone++;
    }

    if (ctx->reply.len) {
        text = ngx_cerebro_pstrdup0(redo->request->pool, &ctx->reply);

        if (text == NULL || ngx_cerebro_whatsapp_send(ctx, text) != NGX_OK) {
            ngx_cerebro_log(NGX_LOG_ERR, redo->request->connection->log, 0,
                            "WhatsApp reply to %s (message %V) could not "
                            "be queued", ctx->phone, &ctx->sid);
        }
    }

    if (--redo->running == 0 && !redo->starting) {
        redo->done(redo->data, redo->redone);
    }
}


/*
 * TwiML with the text XML-escaped, one <Message> per part of at most
 * 1,600 characters (Twilio sends each); NULL: the empty <Response/>.
 */
static ngx_int_t
ngx_cerebro_whatsapp_twiml(ngx_http_request_t *r, ngx_str_t *text)
{
    u_char       *p, c;
    size_t        len, i, k, n;
    size_t        starts[NGX_CEREBRO_WA_MAX_PARTS];
    size_t        lens[NGX_CEREBRO_WA_MAX_PARTS];
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    static const char  head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

    n = text ? cerebro_text_split((char *) text->data, text->len,
                                  CEREBRO_TEXT_WHATSAPP_MAX, starts, lens,
                                  NGX_CEREBRO_WA_MAX_PARTS)
             : 0;

    len = sizeof(head) - 1 + sizeof("<Response></Response>\n") - 1
          + n * (sizeof("<Message></Message>") - 1)
          + (text ? text->len * 6 : 0);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(b->last, head, sizeof(head) - 1);

    if (n == 0) {
        p = ngx_cpymem(p, "<Response/>\n", sizeof("<Response/>\n") - 1);

    } else {
        p = ngx_cpymem(p, "<Response>", sizeof("<Response>") - 1);

        for (k = 0; k < n; k++) {
            p = ngx_cpymem(p, "<Message>", sizeof("<Message>") - 1);

            for (i = starts[k]; i < starts[k] + lens[k]; i++) {
                c = text->data[i];

                switch (c) {
                case '&':
                    p = ngx_cpymem(p, "&amp;", 5);
                    break;
                case '<':
                    p = ngx_cpymem(p, "&lt;", 4);
                    break;
                case '>':
                    p = ngx_cpymem(p, "&gt;", 4);
                    break;
                case '"':
                    p = ngx_cpymem(p, "&quot;", 6);
                    break;
                case '\'':
                    p = ngx_cpymem(p, "&apos;", 6);
                    break;
                default:
                    /* XML 1.0 has no other control characters */
                    if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
                        *p++ = c;
                    }
                }
            }

            p = ngx_cpymem(p, "</Message>", sizeof("</Message>") - 1);
        }

        p = ngx_cpymem(p, "</Response>\n", sizeof("</Response>\n") - 1);
    }

    b->last = p;
    b->last_buf = 1;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "text/xml; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/xml") - 1;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static void
ngx_cerebro_whatsapp_cleanup(void *data)
{
    ngx_cerebro_whatsapp_ctx_t *ctx = data;

    if (ctx->budget.timer_set) {
        ngx_del_timer(&ctx->budget);
    }

    if (ctx->wait.timer_set) {
        ngx_del_timer(&ctx->wait);
    }
}


static void
ngx_cerebro_whatsapp_json_cleanup(void *data)
{
    cJSON_Delete(data);
}
