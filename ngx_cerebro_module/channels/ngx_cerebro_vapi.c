
/*
 * POST /vapi/webhook: every VAPI server message.  Authentication comes
 * before anything is parsed; tool calls of one message run concurrently and
 * are answered together, in order, before a deadline below VAPI's own, so
 * that a slow store gives the guest an apology instead of dead air.
 */

#include "ngx_cerebro_http.h"
#include "ngx_cerebro_vapi.h"
#include "ngx_cerebro_vapi_read.h"
#include "ngx_cerebro_tools.h"
#include "ngx_cerebro_store_replay.h"
#include "cerebro_phone.h"


typedef struct ngx_cerebro_vapi_ctx_s  ngx_cerebro_vapi_ctx_t;


typedef struct {
    ngx_cerebro_tool_t         tool;
    ngx_str_t                  id;
    ngx_cerebro_vapi_ctx_t    *ctx;
    ngx_cerebro_replay_t       replay;
    unsigned                   done:1;
    unsigned                   replayed:1;
} ngx_cerebro_vapi_call_t;


/* an end-of-call report's write, not part of every tool call's context */
typedef struct {
    ngx_cerebro_store_op_t     op;
    cerebro_call_log_t         log;
} ngx_cerebro_vapi_report_t;


struct ngx_cerebro_vapi_ctx_s {
    ngx_http_request_t        *request;
    cJSON                     *json;
    ngx_cerebro_vapi_read_t    read;
    ngx_cerebro_vapi_call_t   *calls;
    ngx_uint_t                 ncalls;
    ngx_uint_t                 pending;
    ngx_event_t                deadline;
    unsigned                   legacy:1;      /* function-call */
    unsigned                   answered:1;
};


static ngx_int_t ngx_cerebro_vapi_handler(ngx_http_request_t *r);
static void ngx_cerebro_vapi_body(ngx_http_request_t *r);
static ngx_int_t ngx_cerebro_vapi_message(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_cerebro_vapi_authenticate(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_cerebro_vapi_is(ngx_str_t *type, const char *name);
static ngx_int_t ngx_cerebro_vapi_tool_calls(ngx_cerebro_vapi_ctx_t *ctx);
static ngx_int_t ngx_cerebro_vapi_function_call(ngx_cerebro_vapi_ctx_t *ctx,
    cJSON *message);
static ngx_int_t ngx_cerebro_vapi_no_calls(ngx_http_request_t *r,
    const char *why);
static void ngx_cerebro_vapi_refuse_call(ngx_cerebro_vapi_ctx_t *ctx,
    ngx_cerebro_vapi_call_t *call, cJSON *function, const char *id,
    const char *why);
static ngx_cerebro_vapi_call_t *ngx_cerebro_vapi_calls(ngx_http_request_t *r,
    ngx_uint_t n);
static ngx_int_t ngx_cerebro_vapi_start_call(ngx_cerebro_vapi_ctx_t *ctx,
    ngx_cerebro_vapi_call_t *call, cJSON *function, const char *id);
static cJSON *ngx_cerebro_vapi_arguments(ngx_http_request_t *r,
    cJSON *function);
static void ngx_cerebro_vapi_tool_done(ngx_cerebro_tool_t *tool);
static void ngx_cerebro_vapi_replay(ngx_cerebro_replay_t *rp);
static ngx_int_t ngx_cerebro_vapi_remember(ngx_cerebro_vapi_call_t *call);
static void ngx_cerebro_vapi_call_answered(ngx_cerebro_vapi_call_t *call);
static void ngx_cerebro_vapi_remembered(ngx_cerebro_replay_t *rp);
static void ngx_cerebro_vapi_deadline(ngx_event_t *ev);
static void ngx_cerebro_vapi_answer_tools(ngx_cerebro_vapi_ctx_t *ctx);
static ngx_int_t ngx_cerebro_vapi_transfer(ngx_http_request_t *r,
    cJSON *message);
static const char *ngx_cerebro_vapi_last_words(cJSON *message);
static ngx_int_t ngx_cerebro_vapi_end_of_call(ngx_cerebro_vapi_ctx_t *ctx,
    cJSON *message);
static void ngx_cerebro_vapi_logged(ngx_cerebro_store_op_t *op);
static void ngx_cerebro_vapi_count_call(const cerebro_call_log_t *log);
static ngx_int_t ngx_cerebro_vapi_status(ngx_cerebro_vapi_ctx_t *ctx,
    cJSON *message);
static ngx_int_t ngx_cerebro_vapi_empty(ngx_http_request_t *r);
static const char *ngx_cerebro_vapi_string(cJSON *json, const char *path);
static int64_t ngx_cerebro_vapi_time(cJSON *item);
static void ngx_cerebro_vapi_cleanup(void *data);


/* calls run at once; more in one message are answered with an error */
#define NGX_CEREBRO_VAPI_MAX_CALLS  32


static const char  ngx_cerebro_vapi_slow[] =
    "Lo siento, el sistema de reservas está tardando en responder. Puedo "
    "pasarle con el restaurante o pedir que le llamen en unos minutos.";

/* a booking still being written: its outcome follows by WhatsApp */
static const char  ngx_cerebro_vapi_confirming[] =
    "Estoy terminando de confirmar su reserva con el sistema, que va lento. "
    "En cuanto quede hecha le llegará la confirmación por WhatsApp; si no "
    "pudiera hacerse, también se lo diremos por WhatsApp.";


char *
ngx_cerebro_vapi(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_cerebro_set_endpoint(cf, "vapi", ngx_cerebro_vapi_handler);
}


static ngx_int_t
ngx_cerebro_vapi_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    /*
     * A credential carried in the headers is checked before a byte of the
     * body is kept: an unauthenticated megabyte is discarded as it comes,
     * never buffered.  Only the HMAC needs the body, and then its header
     * must be there.
     */
    if (r->method == NGX_HTTP_POST
        && ngx_cerebro_vapi_authenticate(r, NULL) != NGX_OK)
    {
        r->keepalive = 0;

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_cerebro_http_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                           "invalid or missing VAPI "
                                           "credentials");
    }

    /* room to join the body in place (ngx_cerebro_http_body_bytes) */
    r->request_body_in_single_buf = 1;

    return ngx_cerebro_http_read_post(r, "application/json",
                                      ngx_cerebro_vapi_body);
}


static void
ngx_cerebro_vapi_body(ngx_http_request_t *r)
{
    ngx_int_t     rc;
    ngx_str_t     body;

    /* the location's client_body_buffer_size keeps a webhook in memory */
    rc = ngx_cerebro_http_body_bytes(r, &body);
    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    rc = ngx_cerebro_vapi_message(r, &body);

    if (rc == NGX_DONE) {
        /* answered later; read_client_request_body counted us already */
        return;
    }

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_cerebro_vapi_message(ngx_http_request_t *r, ngx_str_t *body)
{
    cJSON                   *json, *message;
    ngx_int_t                rc;
    ngx_str_t               *type;
    ngx_cerebro_vapi_ctx_t  *ctx;

    if (ngx_cerebro_vapi_authenticate(r, body) != NGX_OK) {
        return ngx_cerebro_http_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                           "invalid or missing VAPI "
                                           "credentials");
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_cerebro_vapi_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;

    rc = ngx_cerebro_vapi_read(r, body, &ctx->read);

    if (rc == NGX_DECLINED) {
        return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "the body is not valid JSON");
    }

    if (rc == NGX_ABORT) {
        return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "\"message\" with a \"type\" is "
                                           "missing");
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    type = &ctx->read.type;

    if (ctx->read.call_id.len) {
        ngx_cerebro_logvar_set(r, NGX_CEREBRO_LOG_CALL_ID,
                               ngx_cerebro_pstrdup0(r->pool,
                                                    &ctx->read.call_id));
    }

    ngx_cerebro_log_detail(((ngx_cerebro_main_conf_t *)
                            ngx_http_get_module_main_conf(r,
                                                      ngx_cerebro_module)),
                           r->connection->log, "VAPI \"%V\" message", type);

    if (ngx_cerebro_vapi_is(type, "tool-calls")) {
        return ngx_cerebro_vapi_tool_calls(ctx);
    }

    /*
     * The other messages are rare and read more of it: the whole tree,
     * and with it the members that the spans passed over unchecked.
     */
    json = cJSON_ParseWithLength((char *) body->data, body->len);
    if (json == NULL) {
        return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "the body is not valid JSON");
    }

    if (ngx_cerebro_http_keep_json(r, json) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->json = json;
    message = cJSON_GetObjectItemCaseSensitive(json, "message");

    if (ngx_cerebro_vapi_is(type, "function-call")) {
        return ngx_cerebro_vapi_function_call(ctx, message);
    }

    if (ngx_cerebro_vapi_is(type, "assistant-request")) {
        return ngx_cerebro_vapi_assistant(r, message);
    }

    if (ngx_cerebro_vapi_is(type, "transfer-destination-request")) {
        return ngx_cerebro_vapi_transfer(r, message);
    }

    if (ngx_cerebro_vapi_is(type, "end-of-call-report")) {
        return ngx_cerebro_vapi_end_of_call(ctx, message);
    }

    if (ngx_cerebro_vapi_is(type, "status-update")) {
        return ngx_cerebro_vapi_status(ctx, message);
    }

    /* transcript, hang, speech-update, and whatever VAPI adds tomorrow */
    return ngx_cerebro_vapi_empty(r);
}


static ngx_int_t
ngx_cerebro_vapi_is(ngx_str_t *type, const char *name)
{
    size_t  len;

    len = ngx_strlen(name);

    return type->len == len && ngx_strncmp(type->data, name, len) == 0;
}


/*
 * The legacy shared secret, a bearer credential, or an HMAC of the body:
 * whichever the request carries, compared in constant time.  Without the
 * body (NULL), before it is read: an HMAC header passes, to be checked
 * once the body is there.
 */
static ngx_int_t
ngx_cerebro_vapi_authenticate(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_table_elt_t              *h, *ts;
    cerebro_sig_rc_t              rc;
    ngx_cerebro_main_conf_t      *mcf;
    ngx_cerebro_channels_conf_t  *ccf;

    static ngx_str_t  legacy = ngx_string("X-Vapi-Secret");

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    ccf = ngx_http_get_module_main_conf(r, ngx_cerebro_channels_module);

    if (mcf->vapi_secret.len == 0) {
        return NGX_OK;
    }

    rc = CEREBRO_SIG_MISSING;

    h = ngx_cerebro_http_header(r, &legacy);
    if (h) {
        rc = cerebro_secret_verify((char *) mcf->vapi_secret.data,
                                   mcf->vapi_secret.len,
                                   (char *) h->value.data, h->value.len);
        goto done;
    }

    h = ngx_cerebro_http_header(r, &ccf->vapi_bearer_header);
    if (h) {
        rc = cerebro_bearer_verify((char *) mcf->vapi_secret.data,
                                   mcf->vapi_secret.len,
                                   (char *) h->value.data, h->value.len);
        goto done;
    }

    h = ngx_cerebro_http_header(r, &ccf->vapi_hmac_header);
    if (h && body == NULL) {
        return NGX_OK;
    }

    if (h) {
        ts = ngx_cerebro_http_header(r, &ccf->vapi_timestamp_header);

        rc = cerebro_hmac_verify(&ccf->vapi_hmac,
                                 (char *) mcf->vapi_secret.data,
                                 mcf->vapi_secret.len,
                                 ts ? (char *) ts->value.data : NULL,
                                 ts ? ts->value.len : 0,
                                 (char *) body->data, body->len,
                                 (char *) h->value.data, h->value.len,
                                 ngx_time());
    }

done:

    if (rc == CEREBRO_SIG_OK) {
        return NGX_OK;
    }

    ngx_cerebro_log(NGX_LOG_WARN, r->connection->log, 0,
                    "VAPI webhook refused: %s", cerebro_sig_strerror(rc));

    return NGX_DECLINED;
}


static ngx_int_t
ngx_cerebro_vapi_tool_calls(ngx_cerebro_vapi_ctx_t *ctx)
{
    int                           n, i;
    cJSON                        *list, *item, *call, *id, *function;
    ngx_pool_cleanup_t           *cln;
    ngx_http_request_t           *r;
    ngx_cerebro_channels_conf_t  *ccf;

    r = ctx->request;
    ccf = ngx_http_get_module_main_conf(r, ngx_cerebro_channels_module);

    /* toolCallList, or the calls inside toolWithToolCallList */
    list = ctx->read.calls;

    n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;

    /*
     * Whatever goes wrong, VAPI gets 200 and the assistant an error it can
     * read: any other status reaches the model as "No result returned".
     */
    if (n == 0) {
        return ngx_cerebro_vapi_no_calls(r, "the message holds no tool "
                                         "call (\"toolCallList\")");
    }

    ctx->calls = ngx_cerebro_vapi_calls(r, n);
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (ctx->calls == NULL || cln == NULL) {
        return ngx_cerebro_vapi_no_calls(r, "internal error");
    }

    cln->handler = ngx_cerebro_vapi_cleanup;
    cln->data = ctx;

    ctx->ncalls = n;
    ctx->pending = n;

    for (i = 0; i < n; i++) {
        item = cJSON_GetArrayItem(list, i);

        call = cJSON_GetObjectItemCaseSensitive(item, "toolCall");
        if (!cJSON_IsObject(call)) {
            call = item;
        }

        id = cJSON_GetObjectItemCaseSensitive(call, "id");

        /* {"id","function":{"name","arguments"}}, or {"id","name",...} */
        function = cJSON_GetObjectItemCaseSensitive(call, "function");
        if (!cJSON_IsObject(function)) {
            function = call;
        }

        if (i >= NGX_CEREBRO_VAPI_MAX_CALLS) {
            ngx_cerebro_vapi_refuse_call(ctx, &ctx->calls[i], function,
                                         cJSON_IsString(id) ? id->valuestring
                                                            : "",
                                         "Demasiadas consultas a la vez; "
                                         "hágalas de una en una.");
            continue;
        }

        if (ngx_cerebro_vapi_start_call(ctx, &ctx->calls[i], function,
                                        cJSON_IsString(id) ? id->valuestring
                                                           : "")
            != NGX_OK)
        {
            ngx_cerebro_vapi_refuse_call(ctx, &ctx->calls[i], function,
                                         cJSON_IsString(id) ? id->valuestring
                                                            : "",
                                         "Ha ocurrido un error interno.");
        }
    }

    if (ctx->pending == 0) {
        ngx_cerebro_vapi_answer_tools(ctx);
        return NGX_DONE;
    }

    ctx->deadline.handler = ngx_cerebro_vapi_deadline;
    ctx->deadline.data = ctx;
    ctx->deadline.log = r->connection->log;
    ngx_add_timer(&ctx->deadline, ccf->vapi_deadline);

    /* the body handler's reference is released by the final answer */
    return NGX_DONE;
}


/* {"results":[],"error":"..."}: 200, a message VAPI can tell the model */
static ngx_int_t
ngx_cerebro_vapi_no_calls(ngx_http_request_t *r, const char *why)
{
    cJSON  *json;

    json = cJSON_CreateObject();

    if (json == NULL
        || cJSON_AddArrayToObject(json, "results") == NULL
        || cJSON_AddStringToObject(json, "error", why) == NULL)
    {
        cJSON_Delete(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_cerebro_http_send_json(r, NGX_HTTP_OK, json);
}


/* A call answered at once with an error, its id and name kept. */
static void
ngx_cerebro_vapi_refuse_call(ngx_cerebro_vapi_ctx_t *ctx,
    ngx_cerebro_vapi_call_t *call, cJSON *function, const char *id,
    const char *why)
{
    cJSON  *name;

    call->ctx = ctx;
    call->id.len = ngx_strlen(id);
    call->id.data = (u_char *) id;

    name = cJSON_GetObjectItemCaseSensitive(function, "name");
    if (cJSON_IsString(name)) {
        call->tool.name.data = (u_char *) name->valuestring;
        call->tool.name.len = ngx_strlen(name->valuestring);
    }

    call->tool.text.data = (u_char *) why;
    call->tool.text.len = ngx_strlen(why);
    call->tool.failed = 1;
    call->done = 1;

    ctx->pending--;
}


static ngx_int_t
ngx_cerebro_vapi_function_call(ngx_cerebro_vapi_ctx_t *ctx, cJSON *message)
{
    cJSON                        *function;
    ngx_pool_cleanup_t           *cln;
    ngx_http_request_t           *r;
    ngx_cerebro_channels_conf_t  *ccf;

    r = ctx->request;
    ccf = ngx_http_get_module_main_conf(r, ngx_cerebro_channels_module);

    function = cJSON_GetObjectItemCaseSensitive(message, "functionCall");

    ctx->calls = ngx_cerebro_vapi_calls(r, 1);
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (ctx->calls == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_cerebro_vapi_cleanup;
    cln->data = ctx;

    ctx->legacy = 1;
    ctx->ncalls = 1;
    ctx->pending = 1;

    if (!cJSON_IsObject(function)) {
        ngx_cerebro_vapi_refuse_call(ctx, ctx->calls, NULL, "",
                                     "No he recibido qué función llamar.");
        ngx_cerebro_vapi_answer_tools(ctx);
        return NGX_DONE;
    }

    if (ngx_cerebro_vapi_start_call(ctx, ctx->calls, function, "")
        != NGX_OK)
    {
        ngx_cerebro_vapi_refuse_call(ctx, ctx->calls, function, "",
                                     "Ha ocurrido un error interno.");
        ngx_cerebro_vapi_answer_tools(ctx);
        return NGX_DONE;
    }

    ctx->deadline.handler = ngx_cerebro_vapi_deadline;
    ctx->deadline.data = ctx;
    ctx->deadline.log = r->connection->log;
    ngx_add_timer(&ctx->deadline, ccf->vapi_deadline);

    /* the body handler's reference is released by the final answer */
    return NGX_DONE;
}


static ngx_cerebro_vapi_call_t *
ngx_cerebro_vapi_calls(ngx_http_request_t *r, ngx_uint_t n)
{
    return ngx_pcalloc(r->pool, n * sizeof(ngx_cerebro_vapi_call_t));
}


static ngx_int_t
ngx_cerebro_vapi_start_call(ngx_cerebro_vapi_ctx_t *ctx,
    ngx_cerebro_vapi_call_t *call, cJSON *function, const char *id)
{
    size_t               len;
    cJSON               *name;
    ngx_str_t           *number, *call_id;
    ngx_http_request_t  *r;

    r = ctx->request;

    call->ctx = ctx;
    call->id.len = ngx_strlen(id);
    call->id.data = (u_char *) id;

    call->tool.request = r;
    call->tool.source = CEREBRO_SOURCE_VOICE;
    call->tool.done = ngx_cerebro_vapi_tool_done;
    call->tool.data = call;

    name = cJSON_GetObjectItemCaseSensitive(function, "name");
    if (cJSON_IsString(name)) {
        call->tool.name.data = (u_char *) name->valuestring;
        call->tool.name.len = ngx_strlen(name->valuestring);
    }

    call->tool.args = ngx_cerebro_vapi_arguments(r, function);

    number = &ctx->read.number;

    if (number->data == NULL
        || cerebro_phone_normalize((char *) number->data, number->len,
                                   ngx_cerebro_store_model(ctx->request)
                                       ->country_code,
                                   call->tool.caller,
                                   sizeof(call->tool.caller), NULL)
           != CEREBRO_PHONE_OK)
    {
        call->tool.caller[0] = '\0';
    }

    call_id = &ctx->read.call_id;

    if (call_id->len) {
        len = ngx_min(call_id->len, sizeof(call->tool.call_id) - 1);
        ngx_memcpy(call->tool.call_id, call_id->data, len);
        call->tool.call_id[len] = '\0';
    }

    /*
     * a toolCallId seen before gets its first answer, and books nothing; a
     * read (availability, information) simply runs again
     */
    if (call->id.len == 0 || call->id.len > 128
        || !ngx_cerebro_tool_writes(&call->tool.name))
    {
        return ngx_cerebro_tool_start(&call->tool);
    }

    call->replay.key.data = ngx_pnalloc(r->pool, call->id.len + 32);
    if (call->replay.key.data == NULL) {
        return NGX_ERROR;
    }

    call->replay.key.len = ngx_sprintf(call->replay.key.data,
                                       "cerebro:v1:vapi:tool:%V%Z",
                                       &call->id)
                           - call->replay.key.data - 1;
    call->replay.request = r;
    call->replay.done = ngx_cerebro_vapi_replay;
    call->replay.data = call;

    return ngx_cerebro_replay_find(&call->replay);
}


static void
ngx_cerebro_vapi_replay(ngx_cerebro_replay_t *rp)
{
    ngx_cerebro_vapi_call_t  *call;

    call = rp->data;

    if (rp->found) {
        call->replayed = 1;
        call->tool.failed = rp->failed;
        call->tool.text = rp->text;

        ngx_cerebro_vapi_tool_done(&call->tool);
        return;
    }

    if (ngx_cerebro_tool_start(&call->tool) != NGX_OK) {
        ngx_str_set(&call->tool.text, "Ha ocurrido un error interno.");
        call->tool.failed = 1;
        call->replayed = 1;
        ngx_cerebro_vapi_tool_done(&call->tool);
    }
}


/* NGX_OK: the key is being written, and answered() follows */
static ngx_int_t
ngx_cerebro_vapi_remember(ngx_cerebro_vapi_call_t *call)
{
    if (call->replayed || call->replay.key.len == 0) {
        return NGX_DECLINED;
    }

    call->replay.text = call->tool.text;
    call->replay.failed = call->tool.failed;
    call->replay.done = ngx_cerebro_vapi_remembered;

    return ngx_cerebro_replay_keep(&call->replay) == NGX_OK ? NGX_OK
                                                             : NGX_DECLINED;
}


static void
ngx_cerebro_vapi_remembered(ngx_cerebro_replay_t *rp)
{
    ngx_cerebro_vapi_call_t  *call;

    call = rp->data;

    if (!rp->kept) {
        ngx_cerebro_log(NGX_LOG_WARN,
                        call->ctx->request->connection->log, 0,
                        "tool answer not kept for replays: %s",
                        rp->error ? rp->error : "unknown error");
    }

    ngx_cerebro_vapi_call_answered(call);
}


/*
 * "arguments" as an object (live traffic), as a JSON string (the SDK's
 * type), or "parameters" (some docs): all three.
 */
static cJSON *
ngx_cerebro_vapi_arguments(ngx_http_request_t *r, cJSON *function)
{
    cJSON  *args, *parsed;

    args = cJSON_GetObjectItemCaseSensitive(function, "arguments");
    if (args == NULL) {
        args = cJSON_GetObjectItemCaseSensitive(function, "parameters");
    }

    if (cJSON_IsObject(args)) {
        return args;
    }

    if (!cJSON_IsString(args)) {
        return NULL;
    }

    /* as cJSON_Parse does, its NUL included */
    parsed = ngx_cerebro_vapi_read_json(r->pool, args->valuestring,
                                        ngx_strlen(args->valuestring) + 1);

    return cJSON_IsObject(parsed) ? parsed : NULL;
}


static void
ngx_cerebro_vapi_tool_done(ngx_cerebro_tool_t *tool)
{
    ngx_cerebro_vapi_call_t  *call;

    call = tool->data;

    if (call->done) {
        return;
    }

    call->done = 1;

    /*
     * the answer waits for the replay key (bounded by the store and kv
     * timeouts): a retry that reaches another worker right after finds it
     */
    if (ngx_cerebro_vapi_remember(call) == NGX_OK) {
        return;
    }

    ngx_cerebro_vapi_call_answered(call);
}


static void
ngx_cerebro_vapi_call_answered(ngx_cerebro_vapi_call_t *call)
{
    call->ctx->pending--;

    if (call->ctx->pending == 0 && !call->ctx->answered) {
        ngx_cerebro_vapi_answer_tools(call->ctx);
    }
}


static void
ngx_cerebro_vapi_deadline(ngx_event_t *ev)
{
    ngx_cerebro_vapi_ctx_t  *ctx;

    ctx = ev->data;

    if (!ctx->answered) {
        ngx_cerebro_log(NGX_LOG_WARN, ctx->request->connection->log, 0,
                        "VAPI tool calls: %ui of %ui still running at the "
                        "deadline", ctx->pending, ctx->ncalls);

        ngx_cerebro_vapi_answer_tools(ctx);
    }
}


/*
 * One result per call, in order, with the exact toolCallId; HTTP 200.  The
 * answer has a fixed shape: it is written straight into one buffer, every
 * string escaped by nginx's JSON escaping, instead of built as a tree.
 */
/*
 * What a call says in the answer: its sentence, or, still running, the
 * apology; a booking still being written is being confirmed, and its
 * outcome goes to the guest by WhatsApp (the tool is told so).
 */
static ngx_str_t *
ngx_cerebro_vapi_said(ngx_cerebro_vapi_call_t *call, ngx_str_t *slow,
    ngx_str_t *confirming)
{
    if (call->done) {
        return &call->tool.text;
    }

    if (call->tool.id == CEREBRO_TOOL_CREATE) {
        call->tool.late = 1;
        return confirming;
    }

    return slow;
}


static void
ngx_cerebro_vapi_answer_tools(ngx_cerebro_vapi_ctx_t *ctx)
{
    u_char                   *p;
    size_t                    len;
    ngx_int_t                 rc;
    ngx_buf_t                *b;
    ngx_str_t                *text, slow, confirming;
    ngx_uint_t                i, n;
    ngx_http_request_t       *r;
    ngx_cerebro_vapi_call_t  *call;

    r = ctx->request;
    ctx->answered = 1;

    if (ctx->deadline.timer_set) {
        ngx_del_timer(&ctx->deadline);
    }

    slow.data = (u_char *) ngx_cerebro_vapi_slow;
    slow.len = sizeof(ngx_cerebro_vapi_slow) - 1;
    confirming.data = (u_char *) ngx_cerebro_vapi_confirming;
    confirming.len = sizeof(ngx_cerebro_vapi_confirming) - 1;

    /* function-call answers its one call as {"result":"..."} */
    n = ctx->legacy ? ngx_min(ctx->ncalls, 1) : ctx->ncalls;

    len = sizeof("{\"results\":[]}\n") - 1;

    for (i = 0; i < n; i++) {
        call = &ctx->calls[i];
        text = ngx_cerebro_vapi_said(call, &slow, &confirming);

        len += sizeof("{\"name\":\"\",\"toolCallId\":\"\",\"result\":\"\"},")
               - 1
               + call->tool.name.len
               + ngx_escape_json(NULL, call->tool.name.data,
                                 call->tool.name.len)
               + call->id.len
               + ngx_escape_json(NULL, call->id.data, call->id.len)
               + text->len + ngx_escape_json(NULL, text->data, text->len);
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = b->pos;

    if (ctx->legacy && n == 1) {
        text = ngx_cerebro_vapi_said(&ctx->calls[0], &slow, &confirming);

        p = ngx_cpymem(p, "{\"result\":\"", sizeof("{\"result\":\"") - 1);
        p = (u_char *) ngx_escape_json(p, text->data, text->len);
        p = ngx_cpymem(p, "\"}\n", sizeof("\"}\n") - 1);

        goto send;
    }

    p = ngx_cpymem(p, "{\"results\":[", sizeof("{\"results\":[") - 1);

    for (i = 0; i < n; i++) {
        call = &ctx->calls[i];
        text = ngx_cerebro_vapi_said(call, &slow, &confirming);

        if (i) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, "{\"name\":\"", sizeof("{\"name\":\"") - 1);
        p = (u_char *) ngx_escape_json(p, call->tool.name.data,
                                       call->tool.name.len);
        p = ngx_cpymem(p, "\",\"toolCallId\":\"",
                       sizeof("\",\"toolCallId\":\"") - 1);
        p = (u_char *) ngx_escape_json(p, call->id.data, call->id.len);

        if (call->done && call->tool.failed) {
            p = ngx_cpymem(p, "\",\"error\":\"",
                           sizeof("\",\"error\":\"") - 1);

        } else {
            p = ngx_cpymem(p, "\",\"result\":\"",
                           sizeof("\",\"result\":\"") - 1);
        }

        p = (u_char *) ngx_escape_json(p, text->data, text->len);
        p = ngx_cpymem(p, "\"}", sizeof("\"}") - 1);
    }

    p = ngx_cpymem(p, "]}\n", sizeof("]}\n") - 1);

send:

    b->last = p;

    rc = ngx_cerebro_http_send_buf(r, NGX_HTTP_OK, b);

    ngx_http_finalize_request(r, rc);
}


/*
 * The model asked to transfer the call (the assistant's transferCall tool
 * has no destination of its own): while somebody is at the restaurant, to
 * its number; after hours to cerebro_transfer_after_hours, or, with none,
 * an error the assistant tells the guest instead of ringing an empty room.
 */
static ngx_int_t
ngx_cerebro_vapi_transfer(ngx_http_request_t *r, cJSON *message)
{
    int                           minutes;
    cJSON                        *json, *dest;
    ngx_str_t                    *number;
    const char                   *said, *call_id;
    cerebro_date_t                today;
    ngx_cerebro_main_conf_t      *mcf;
    ngx_cerebro_channels_conf_t  *ccf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    ccf = ngx_http_get_module_main_conf(r, ngx_cerebro_channels_module);

    said = ngx_cerebro_vapi_last_words(message);
    call_id = ngx_cerebro_vapi_string(message, "call.id");

    ngx_cerebro_tools_today(mcf->model, &today, &minutes);

    number = &ccf->transfer_number;

    if (!cerebro_restaurant_staffed(mcf->model, &today, minutes)) {
        number = ccf->transfer_after_hours.len ? &ccf->transfer_after_hours
                                               : NULL;
    }

    if (said == NULL) {
        said = "no words of the guest";
    }

    if (call_id == NULL) {
        call_id = "";
    }

    if (number) {
        ngx_cerebro_log(NGX_LOG_NOTICE, r->connection->log, 0,
                        "hand-over to a person (call \"%s\") to %V: %s",
                        call_id, number, said);
    } else {
        ngx_cerebro_log(NGX_LOG_NOTICE, r->connection->log, 0,
                        "hand-over to a person (call \"%s\") refused, the "
                        "restaurant is closed: %s", call_id, said);
    }

    json = cJSON_CreateObject();
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (number == NULL) {
        if (cJSON_AddStringToObject(json, "error",
                                    "Ahora el restaurante está cerrado y no "
                                    "hay nadie para atenderle. Puedo tomar "
                                    "nota para que le llamen cuando abra.")
            == NULL)
        {
            goto failed;
        }

        return ngx_cerebro_http_send_json(r, NGX_HTTP_OK, json);
    }

    dest = cJSON_AddObjectToObject(json, "destination");

    if (dest == NULL
        || cJSON_AddStringToObject(dest, "type", "number") == NULL
        || cJSON_AddStringToObject(dest, "number", (char *) number->data)
           == NULL
        || cJSON_AddStringToObject(dest, "message",
                                   "Le paso con el restaurante.") == NULL)
    {
        goto failed;
    }

    return ngx_cerebro_http_send_json(r, NGX_HTTP_OK, json);

failed:

    cJSON_Delete(json);
    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/* The guest's last words before the model acted, from the transcript. */
static const char *
ngx_cerebro_vapi_last_words(cJSON *message)
{
    int     i;
    cJSON  *messages, *m, *role, *text;

    messages = cJSON_GetObjectItemCaseSensitive(
                   cJSON_GetObjectItemCaseSensitive(message, "artifact"),
                   "messages");
    if (messages == NULL) {
        messages = cJSON_GetObjectItemCaseSensitive(message, "messages");
    }

    for (i = cJSON_GetArraySize(messages) - 1; i >= 0; i--) {
        m = cJSON_GetArrayItem(messages, i);
        role = cJSON_GetObjectItemCaseSensitive(m, "role");
        text = cJSON_GetObjectItemCaseSensitive(m, "message");

        if (cJSON_IsString(role) && ngx_strcmp(role->valuestring, "user") == 0
            && cJSON_IsString(text))
        {
            return text->valuestring;
        }
    }

    return NULL;
}


/*
 * One call-log entry per call id.  The report is read from "artifact" and
 * "analysis" first, then from the older top-level fields.
 */
static ngx_int_t
ngx_cerebro_vapi_end_of_call(ngx_cerebro_vapi_ctx_t *ctx, cJSON *message)
{
    int                         i;
    cJSON                      *messages, *m, *name, *cost;
    ngx_str_t                   tool;
    ngx_uint_t                  did;
    const char                 *s;
    cerebro_call_log_t         *log;
    ngx_cerebro_vapi_report_t  *report;

    report = ngx_pcalloc(ctx->request->pool,
                         sizeof(ngx_cerebro_vapi_report_t));
    if (report == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    log = &report->log;
    report->op.call_log = log;

    s = ngx_cerebro_vapi_string(message, "call.id");
    if (s == NULL || s[0] == '\0') {
        return ngx_cerebro_http_send_error(ctx->request, NGX_HTTP_BAD_REQUEST,
                                           "end-of-call-report without "
                                           "call.id");
    }

    cerebro_rec_copy(log->call_id, sizeof(log->call_id), s);

    s = ngx_cerebro_vapi_string(message, "call.customer.number");
    if (s == NULL) {
        s = ngx_cerebro_vapi_string(message, "customer.number");
    }

    if (s == NULL
        || cerebro_phone_normalize(s, ngx_strlen(s),
                                   ngx_cerebro_store_model(ctx->request)
                                       ->country_code,
                                   log->caller, sizeof(log->caller), NULL)
           != CEREBRO_PHONE_OK)
    {
        log->caller[0] = '\0';
    }

    s = ngx_cerebro_vapi_string(message, "endedReason");
    cerebro_rec_copy(log->ended_reason, sizeof(log->ended_reason),
                     s ? s : "");

    s = ngx_cerebro_vapi_string(message, "analysis.summary");
    if (s == NULL) {
        s = ngx_cerebro_vapi_string(message, "summary");
    }

    cerebro_rec_copy(log->summary, sizeof(log->summary), s ? s : "");

    log->started = ngx_cerebro_vapi_time(
                       cJSON_GetObjectItemCaseSensitive(message, "startedAt"));
    log->ended = ngx_cerebro_vapi_time(
                       cJSON_GetObjectItemCaseSensitive(message, "endedAt"));

    if (log->started && log->ended >= log->started) {
        log->duration_s = (int) (log->ended - log->started);
    }

    cost = cJSON_GetObjectItemCaseSensitive(message, "cost");
    if (cJSON_IsNumber(cost)) {
        log->cost = cost->valuedouble;
    }

    /* what the call did, from the tool results it heard */
    messages = cJSON_GetObjectItemCaseSensitive(
                   cJSON_GetObjectItemCaseSensitive(message, "artifact"),
                   "messages");
    if (messages == NULL) {
        messages = cJSON_GetObjectItemCaseSensitive(message, "messages");
    }

    for (i = 0; i < cJSON_GetArraySize(messages); i++) {
        m = cJSON_GetArrayItem(messages, i);
        name = cJSON_GetObjectItemCaseSensitive(m, "name");

        if (!cJSON_IsString(name)) {
            continue;
        }

        tool.data = (u_char *) name->valuestring;
        tool.len = ngx_strlen(name->valuestring);
        did = ngx_cerebro_tool_changes(&tool);

        log->booked |= (did & NGX_CEREBRO_TOOL_BOOKED) != 0;
        log->changed |= (did & NGX_CEREBRO_TOOL_CHANGED) != 0;
        log->cancelled |= (did & NGX_CEREBRO_TOOL_CANCELLED) != 0;
    }

    report->op.request = ctx->request;
    report->op.kind = NGX_CEREBRO_STORE_CALL_LOG;
    report->op.done = ngx_cerebro_vapi_logged;
    report->op.data = ctx;

    if (ngx_cerebro_store_start(&report->op) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DONE;
}


static void
ngx_cerebro_vapi_logged(ngx_cerebro_store_op_t *op)
{
    ngx_cerebro_vapi_ctx_t  *ctx;

    ctx = op->data;

    if (!op->repeated) {
        ngx_cerebro_vapi_count_call(op->call_log);
    }

    if (op->error.kind != CEREBRO_STORE_OK) {
        ngx_cerebro_log(NGX_LOG_WARN, op->request->connection->log, 0,
                        "call log of \"%s\" not written (%s): %s",
                        op->call_log->call_id,
                        cerebro_store_err_name(op->error.kind),
                        op->error.message);
    }

    /* VAPI does not retry a report: it gets 200 whatever happened */
    ngx_http_finalize_request(ctx->request,
                              ngx_cerebro_vapi_empty(ctx->request));
}


/*
 * A call that rings or starts: answer at once, then read what its tool
 * calls will ask for, so that they answer from the cache.  Nothing is held
 * for a call, so "ended" has nothing to release.
 */
static ngx_int_t
ngx_cerebro_vapi_status(ngx_cerebro_vapi_ctx_t *ctx, cJSON *message)
{
    char                      caller[CEREBRO_REC_PHONE_LEN];
    ngx_int_t                 rc;
    const char               *status, *number;
    ngx_http_request_t       *r;
    ngx_cerebro_main_conf_t  *mcf;

    r = ctx->request;
    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    rc = ngx_cerebro_vapi_empty(r);

    status = ngx_cerebro_vapi_string(message, "status");

    ngx_cerebro_metric_add(NGX_CEREBRO_M_CALLS_STARTED, NULL, NULL,
                           status && ngx_strcmp(status, "in-progress") == 0);

    if (rc != NGX_OK || status == NULL || !ngx_cerebro_store_cached(r)
        || (ngx_strcmp(status, "ringing") != 0
            && ngx_strcmp(status, "in-progress") != 0))
    {
        return rc;
    }

    number = ngx_cerebro_vapi_string(message, "call.customer.number");

    if (number == NULL
        || cerebro_phone_normalize(number, ngx_strlen(number),
                                   mcf->model->country_code, caller,
                                   sizeof(caller), NULL)
           != CEREBRO_PHONE_OK)
    {
        caller[0] = '\0';
    }

    if (ngx_cerebro_tools_warm(r, caller) != NGX_OK) {
        ngx_cerebro_log(NGX_LOG_WARN, r->connection->log, 0,
                        "cache not warmed for the call");
    }

    return rc;
}


static ngx_int_t
ngx_cerebro_vapi_empty(ngx_http_request_t *r)
{
    cJSON  *json;

    json = cJSON_CreateObject();
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_cerebro_http_send_json(r, NGX_HTTP_OK, json);
}


/* A string at a dotted path ("call.customer.number"), or NULL. */
static const char *
ngx_cerebro_vapi_string(cJSON *json, const char *path)
{
    char         key[64];
    size_t       len;
    const char  *dot;

    while ((dot = ngx_strchr(path, '.')) != NULL) {
        len = dot - path;
        if (len >= sizeof(key)) {
            return NULL;
        }

        ngx_memcpy(key, path, len);
        key[len] = '\0';

        json = cJSON_GetObjectItemCaseSensitive(json, key);
        path = dot + 1;
    }

    json = cJSON_GetObjectItemCaseSensitive(json, path);

    return cJSON_IsString(json) ? json->valuestring : NULL;
}


/* An ISO 8601 string or a number of (milli)seconds, to UTC seconds. */
static int64_t
ngx_cerebro_vapi_time(cJSON *item)
{
    struct tm   tm;
    const char  *p;

    if (cJSON_IsNumber(item)) {
        return item->valuedouble > 1e11 ? (int64_t) (item->valuedouble / 1000)
                                        : (int64_t) item->valuedouble;
    }

    if (!cJSON_IsString(item)) {
        return 0;
    }

    ngx_memzero(&tm, sizeof(struct tm));

    p = strptime(item->valuestring, "%Y-%m-%dT%H:%M:%S", &tm);
    if (p == NULL) {
        return 0;
    }

    return (int64_t) timegm(&tm);
}


static void
ngx_cerebro_vapi_cleanup(void *data)
{
    ngx_cerebro_vapi_ctx_t *ctx = data;

    if (ctx->deadline.timer_set) {
        ngx_del_timer(&ctx->deadline);
    }
}


/* once a call: a report VAPI sent again is not another call */
static void
ngx_cerebro_vapi_count_call(const cerebro_call_log_t *log)
{
    ngx_cerebro_metric_inc(NGX_CEREBRO_M_CALLS_ENDED,
                           ngx_strstr(log->ended_reason, "error")
                           ? "error" : log->ended_reason, NULL);
    ngx_cerebro_metric_add(NGX_CEREBRO_M_CALLS_CHANGING, "booked", NULL,
                           log->booked != 0);
    ngx_cerebro_metric_add(NGX_CEREBRO_M_CALLS_CHANGING, "changed", NULL,
                           log->changed != 0);
    ngx_cerebro_metric_add(NGX_CEREBRO_M_CALLS_CHANGING, "cancelled", NULL,
                           log->cancelled != 0);
}
