
/*
 * The WhatsApp agents on OpenAI (see ngx_cerebro_agents.h).  Every call
 * to OpenAI is a subrequest of the webhook's request; the conversation of
 * one message lives in a cJSON array freed with the request's pool.
 */

#include "ngx_cerebro_agents.h"
#include "ngx_cerebro_upstream.h"
#include "ngx_cerebro_store.h"
#include "ngx_cerebro_prompt.h"


typedef struct {
    ngx_cerebro_brain_t        *brain;
    ngx_http_request_t         *request;
    ngx_uint_t                  agent;
    ngx_uint_t                  round;
    cJSON                      *messages;
    cJSON                      *tools;        /* the specialist's schemas */
    cJSON                      *calls;        /* tool_calls being run */
    int                         ncalls;
    int                         next;
    ngx_str_t                   body;         /* the last request sent */
    ngx_cerebro_call_t         *call;
    ngx_cerebro_tool_t          tool;
    ngx_event_t                 retry;
    ngx_str_t                   last_text;    /* of the last tool */
    ngx_uint_t                  tools_ran;
    ngx_cerebro_caller_t        caller;       /* who writes, for the
                                                 specialist's prompt */
    ngx_uint_t                  routed_to;    /* the specialist waiting */
    unsigned                    caller_pending:1;
    unsigned                    routed:1;     /* for the caller */
    unsigned                    fell_back:1;
} ngx_cerebro_agents_ctx_t;


typedef struct {
    const char                 *name;
    ngx_uint_t                  agent;
} ngx_cerebro_route_t;


static ngx_int_t ngx_cerebro_agents_send(ngx_cerebro_agents_ctx_t *ctx);
static ngx_int_t ngx_cerebro_agents_post(ngx_cerebro_agents_ctx_t *ctx);
static void ngx_cerebro_agents_answered(ngx_cerebro_call_t *call);
static void ngx_cerebro_agents_retry(ngx_event_t *ev);
static ngx_int_t ngx_cerebro_agents_routed(ngx_cerebro_agents_ctx_t *ctx,
    cJSON *message);
static ngx_int_t ngx_cerebro_agents_specialist(ngx_cerebro_agents_ctx_t *ctx,
    ngx_uint_t agent);
static void ngx_cerebro_agents_known(ngx_cerebro_caller_t *caller);
static ngx_int_t ngx_cerebro_agents_message(ngx_cerebro_agents_ctx_t *ctx,
    cJSON *message);
static void ngx_cerebro_agents_next_tool(ngx_cerebro_agents_ctx_t *ctx);
static void ngx_cerebro_agents_tool_done(ngx_cerebro_tool_t *tool);
static ngx_int_t ngx_cerebro_agents_tool_result(ngx_cerebro_agents_ctx_t *ctx,
    const char *id, const char *text, size_t len);
static ngx_int_t ngx_cerebro_agents_conversation(ngx_cerebro_agents_ctx_t *ctx,
    ngx_uint_t agent);
static void ngx_cerebro_agents_fallback(ngx_cerebro_agents_ctx_t *ctx,
    const char *why);
static void ngx_cerebro_agents_answer(ngx_cerebro_agents_ctx_t *ctx,
    const char *text);
static ngx_uint_t ngx_cerebro_agents_allowed(ngx_uint_t agent,
    const char *tool);
static void ngx_cerebro_agents_cleanup(void *data);
static void ngx_cerebro_agents_json_cleanup(void *data);


static ngx_str_t  ngx_cerebro_agent_files[NGX_CEREBRO_NAGENTS] = {
    ngx_string("router.md"),
    ngx_string("reservations.md"),
    ngx_string("information.md"),
    ngx_string("handover.md")
};


static const char  *ngx_cerebro_agent_names[NGX_CEREBRO_NAGENTS] = {
    "router", "reservations", "information", "handover"
};


/* used only when conf/agents/<name>.md is missing */
static const char  *ngx_cerebro_agent_fallback[NGX_CEREBRO_NAGENTS] = {
    "Clasifica el último mensaje de WhatsApp de un cliente de "
    "{{restaurant}}. Responde solo una palabra: book, change, cancel, ask, "
    "human u other.",

    "Eres el agente de reservas por WhatsApp de {{restaurant}} "
    "({{address}}). Hoy es {{today}} ({{date_iso}}), son las {{time}} "
    "({{timezone}}). {{caller}} Usa las herramientas para comprobar mesa, "
    "reservar, buscar, cambiar o cancelar reservas; pide lo que falte (día, "
    "hora, personas, nombre). Antes de reservar, escribe al cliente la "
    "reserva y llama a create_reservation con confirmed=true solo después "
    "de su sí. "
    "Respuestas breves, en español, de usted.",

    "Eres el agente de información de {{restaurant}} ({{address}}). Hoy es "
    "{{today}}. Responde con get_restaurant_info; breve, en español.",

    "Eres el agente de {{restaurant}} que pasa la conversación a una "
    "persona. Llama a transfer_to_human con el motivo y di al cliente que "
    "el restaurante le escribirá o llamará pronto."
};


static ngx_cerebro_route_t  ngx_cerebro_routes[] = {
    { "book", NGX_CEREBRO_AGENT_RESERVATIONS },
    { "change", NGX_CEREBRO_AGENT_RESERVATIONS },
    { "cancel", NGX_CEREBRO_AGENT_RESERVATIONS },
    { "ask", NGX_CEREBRO_AGENT_INFORMATION },
    { "human", NGX_CEREBRO_AGENT_HANDOVER },
    { "other", NGX_CEREBRO_AGENT_INFORMATION },
    { NULL, 0 }
};


static const char  ngx_cerebro_agents_sorry[] =
    "Lo siento, no he podido terminar su consulta. Puede escribirnos de "
    "nuevo o llamar al restaurante.";


#define NGX_CEREBRO_AGENT_HISTORY   10
#define NGX_CEREBRO_OPENAI_TIMEOUT  20000


ngx_int_t
ngx_cerebro_agents_start(ngx_cerebro_brain_t *brain)
{
    ngx_pool_cleanup_t        *cln;
    ngx_http_request_t        *r;
    ngx_cerebro_agents_ctx_t  *ctx;

    r = brain->request;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_cerebro_agents_ctx_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (ctx == NULL || cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_cerebro_agents_cleanup;
    cln->data = ctx;

    ctx->brain = brain;
    ctx->request = r;
    brain->agents = ctx;
    brain->by = "openai";

    ctx->retry.handler = ngx_cerebro_agents_retry;
    ctx->retry.data = ctx;
    ctx->retry.log = r->connection->log;

    /*
     * Who writes is looked up while the router classifies: the specialist
     * is told the guest's name, next booking and preferences (or, of a
     * shared number, to ask who writes), as the voice assistant is.
     */
    ctx->caller.request = r;
    ctx->caller.done = ngx_cerebro_agents_known;
    ctx->caller.data = ctx;
    ngx_memcpy(ctx->caller.phone, brain->phone, sizeof(ctx->caller.phone));
    ctx->caller_pending = (ngx_cerebro_caller_start(&ctx->caller) == NGX_OK);

    if (ngx_cerebro_agents_conversation(ctx, NGX_CEREBRO_AGENT_ROUTER)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_cerebro_agents_send(ctx) != NGX_OK) {
        ngx_cerebro_agents_fallback(ctx, "could not be asked");
    }

    return NGX_OK;
}


/* system prompt, the last messages of the conversation, the new one */
static ngx_int_t
ngx_cerebro_agents_conversation(ngx_cerebro_agents_ctx_t *ctx,
    ngx_uint_t agent)
{
    int                        i, n;
    char                      *prompt;
    cJSON                     *m, *history, *h, *role, *content;
    ngx_cerebro_var_t          vars[NGX_CEREBRO_PROMPT_NVARS];
    ngx_cerebro_tools_conf_t  *tcf;

    tcf = ngx_http_get_module_main_conf(ctx->request, ngx_cerebro_tools_module);

    cJSON_Delete(ctx->messages);
    ctx->agent = agent;
    ctx->messages = cJSON_CreateArray();
    if (ctx->messages == NULL) {
        return NGX_ERROR;
    }

    ngx_cerebro_prompt_vars(ctx->request, vars);
    ngx_cerebro_prompt_caller(ctx->request, vars,
                              ctx->caller_pending ? NULL : &ctx->caller, 1);

    prompt = ngx_cerebro_prompt_render(ctx->request,
                                       &tcf->agent_prompts[agent], vars);
    if (prompt == NULL) {
        return NGX_ERROR;
    }

    m = cJSON_CreateObject();
    if (m == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddItemToArray(ctx->messages, m);

    if (cJSON_AddStringToObject(m, "role", "system") == NULL
        || cJSON_AddStringToObject(m, "content", prompt) == NULL)
    {
        return NGX_ERROR;
    }

    history = cJSON_GetObjectItemCaseSensitive(ctx->brain->memory,
                                               "history");
    n = cJSON_GetArraySize(history);

    for (i = n > NGX_CEREBRO_AGENT_HISTORY ? n - NGX_CEREBRO_AGENT_HISTORY
                                           : 0;
         i < n; i++)
    {
        h = cJSON_GetArrayItem(history, i);
        role = cJSON_GetObjectItemCaseSensitive(h, "role");
        content = cJSON_GetObjectItemCaseSensitive(h, "content");

        if (!cJSON_IsString(role) || !cJSON_IsString(content)
            || (ngx_strcmp(role->valuestring, "user") != 0
                && ngx_strcmp(role->valuestring, "assistant") != 0))
        {
            continue;
        }

        m = cJSON_CreateObject();
        if (m == NULL) {
            return NGX_ERROR;
        }

        cJSON_AddItemToArray(ctx->messages, m);

        if (cJSON_AddStringToObject(m, "role", role->valuestring) == NULL
            || cJSON_AddStringToObject(m, "content", content->valuestring)
               == NULL)
        {
            return NGX_ERROR;
        }
    }

    m = cJSON_CreateObject();
    if (m == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddItemToArray(ctx->messages, m);

    if (cJSON_AddStringToObject(m, "role", "user") == NULL
        || cJSON_AddStringToObject(m, "content",
                                   (char *) ctx->brain->text.data) == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* Serialises the request of this step and posts it. */
static ngx_int_t
ngx_cerebro_agents_send(ngx_cerebro_agents_ctx_t *ctx)
{
    char                      *text;
    cJSON                     *req;
    ngx_cerebro_tools_conf_t  *tcf;

    tcf = ngx_http_get_module_main_conf(ctx->request, ngx_cerebro_tools_module);

    req = cJSON_CreateObject();
    if (req == NULL) {
        return NGX_ERROR;
    }

    if (cJSON_AddStringToObject(req, "model",
                                (char *) tcf->openai_model.data) == NULL
        || !cJSON_AddItemReferenceToObject(req, "messages", ctx->messages))
    {
        cJSON_Delete(req);
        return NGX_ERROR;
    }

    if (ctx->agent != NGX_CEREBRO_AGENT_ROUTER && ctx->tools) {
        /* strict schemas exclude parallel calls (OpenAI's documentation) */
        if (!cJSON_AddItemReferenceToObject(req, "tools", ctx->tools)
            || cJSON_AddStringToObject(req, "tool_choice", "auto") == NULL
            || cJSON_AddFalseToObject(req, "parallel_tool_calls") == NULL)
        {
            cJSON_Delete(req);
            return NGX_ERROR;
        }
    }

    text = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);

    if (text == NULL) {
        return NGX_ERROR;
    }

    ctx->body.len = ngx_strlen(text);
    ctx->body.data = ngx_pnalloc(ctx->request->pool, ctx->body.len);
    if (ctx->body.data == NULL) {
        cJSON_free(text);
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->body.data, text, ctx->body.len);
    cJSON_free(text);

    return ngx_cerebro_agents_post(ctx);
}


static ngx_int_t
ngx_cerebro_agents_post(ngx_cerebro_agents_ctx_t *ctx)
{
    ngx_msec_int_t       left;
    ngx_cerebro_call_t  *call;

    left = (ngx_msec_int_t) (ctx->brain->deadline - ngx_current_msec);
    if (left < 300) {
        return NGX_DECLINED;
    }

    call = ngx_pcalloc(ctx->request->pool, sizeof(ngx_cerebro_call_t));
    if (call == NULL) {
        return NGX_ERROR;
    }

    call->request = ctx->request;
    call->service = NGX_CEREBRO_OPENAI;
    call->method = NGX_HTTP_POST;
    ngx_str_set(&call->path, "/chat/completions");
    ngx_str_set(&call->content_type, "application/json");
    call->body = ctx->body;
    call->timeout = ngx_min((ngx_msec_t) left, NGX_CEREBRO_OPENAI_TIMEOUT);
    call->done = ngx_cerebro_agents_answered;
    call->data = ctx;

    ctx->call = call;

    return ngx_cerebro_call_start(call);
}


static void
ngx_cerebro_agents_answered(ngx_cerebro_call_t *call)
{
    cJSON                     *json, *error, *code, *message;
    ngx_int_t                  rc;
    ngx_msec_t                 wait;
    ngx_msec_int_t             left;
    ngx_pool_cleanup_t        *cln;
    ngx_cerebro_agents_ctx_t  *ctx;

    ctx = call->data;

    if (ctx->brain->finished) {
        return;
    }

    json = NULL;
    if (call->response.len) {
        json = cJSON_ParseWithLength((char *) call->response.data,
                                     call->response.len);
    }

    if (json) {
        cln = ngx_pool_cleanup_add(ctx->request->pool, 0);
        if (cln == NULL) {
            cJSON_Delete(json);
            ngx_cerebro_agents_fallback(ctx, "no memory");
            return;
        }

        cln->handler = ngx_cerebro_agents_json_cleanup;
        cln->data = json;
    }

    error = cJSON_GetObjectItemCaseSensitive(json, "error");
    code = cJSON_GetObjectItemCaseSensitive(error, "code");

    if (call->status == NGX_HTTP_TOO_MANY_REQUESTS) {
        if (cJSON_IsString(code)
            && ngx_strcmp(code->valuestring, "insufficient_quota") == 0)
        {
            ngx_cerebro_agents_fallback(ctx, "insufficient_quota (429)");
            return;
        }

        /* rate_limit_exceeded: transient, wait as told if time allows */
        wait = call->retry_after ? call->retry_after : 1000;
        left = (ngx_msec_int_t) (ctx->brain->deadline - ngx_current_msec);

        if ((ngx_msec_int_t) wait + 500 > left) {
            ngx_cerebro_agents_fallback(ctx, "rate limited past the "
                                        "deadline (429)");
            return;
        }

        ngx_cerebro_log(NGX_LOG_INFO, ctx->request->connection->log, 0,
                        "OpenAI rate limit: retrying in %M ms", wait);

        ngx_add_timer(&ctx->retry, wait);
        return;
    }

    if (call->status != NGX_HTTP_OK || json == NULL) {
        ngx_cerebro_log(NGX_LOG_WARN, ctx->request->connection->log, 0,
                        "OpenAI answered %ui%s%s (error %i)", call->status,
                        cJSON_IsString(code) ? " " : "",
                        cJSON_IsString(code) ? code->valuestring : "",
                        call->error);
        ngx_cerebro_agents_fallback(ctx, call->status ? "failed"
                                                      : "did not answer");
        return;
    }

    message = cJSON_GetObjectItemCaseSensitive(
                  cJSON_GetArrayItem(
                      cJSON_GetObjectItemCaseSensitive(json, "choices"), 0),
                  "message");

    if (!cJSON_IsObject(message)) {
        ngx_cerebro_agents_fallback(ctx, "answered without a message");
        return;
    }

    if (ctx->agent == NGX_CEREBRO_AGENT_ROUTER) {
        rc = ngx_cerebro_agents_routed(ctx, message);

    } else {
        rc = ngx_cerebro_agents_message(ctx, message);
    }

    if (rc != NGX_OK) {
        ngx_cerebro_agents_fallback(ctx, "could not be asked again");
    }
}


static void
ngx_cerebro_agents_retry(ngx_event_t *ev)
{
    ngx_cerebro_agents_ctx_t  *ctx;

    ctx = ev->data;

    if (ngx_cerebro_agents_post(ctx) != NGX_OK) {
        ngx_cerebro_agents_fallback(ctx, "could not be asked again");
    }

    ngx_http_run_posted_requests(ctx->request->connection);
}


/* The router's word picks the specialist; anything else: information. */
static ngx_int_t
ngx_cerebro_agents_routed(ngx_cerebro_agents_ctx_t *ctx, cJSON *message)
{
    u_char               *p;
    cJSON                *content;
    ngx_uint_t            agent;
    ngx_cerebro_route_t  *route;

    content = cJSON_GetObjectItemCaseSensitive(message, "content");
    agent = NGX_CEREBRO_AGENT_INFORMATION;
    ctx->brain->intent = "other";

    if (cJSON_IsString(content)) {
        for (p = (u_char *) content->valuestring; *p; p++) {
            *p = ngx_tolower(*p);
        }

        for (route = ngx_cerebro_routes; route->name; route++) {
            if (ngx_strstr(content->valuestring, route->name)) {
                agent = route->agent;
                ctx->brain->intent = route->name;
                break;
            }
        }
    }

    ngx_cerebro_log_detail(((ngx_cerebro_main_conf_t *)
                            ngx_http_get_module_main_conf(ctx->request,
                                                      ngx_cerebro_module)),
                           ctx->request->connection->log,
                           "WhatsApp router: %s, to the %s agent",
                           ctx->brain->intent,
                           ngx_cerebro_agent_names[agent]);

    if (ctx->caller_pending) {
        ctx->routed = 1;
        ctx->routed_to = agent;
        return NGX_OK;
    }

    return ngx_cerebro_agents_specialist(ctx, agent);
}


static void
ngx_cerebro_agents_known(ngx_cerebro_caller_t *caller)
{
    ngx_cerebro_agents_ctx_t *ctx = caller->data;

    ctx->caller_pending = 0;

    if (!ctx->routed || ctx->fell_back || ctx->brain->finished) {
        return;
    }

    ctx->routed = 0;

    if (ngx_cerebro_agents_specialist(ctx, ctx->routed_to) != NGX_OK) {
        ngx_cerebro_agents_fallback(ctx, "could not be asked again");
    }
}


static ngx_int_t
ngx_cerebro_agents_specialist(ngx_cerebro_agents_ctx_t *ctx,
    ngx_uint_t agent)
{
    int     i;
    cJSON  *all, *t, *name;

    if (ngx_cerebro_agents_conversation(ctx, agent) != NGX_OK) {
        return NGX_ERROR;
    }

    all = ngx_cerebro_tools_schema(NGX_CEREBRO_SCHEMA_STRICT);
    if (all == NULL) {
        return NGX_ERROR;
    }

    /* only this agent's tools are offered */
    for (i = cJSON_GetArraySize(all) - 1; i >= 0; i--) {
        t = cJSON_GetArrayItem(all, i);
        name = cJSON_GetObjectItemCaseSensitive(
                   cJSON_GetObjectItemCaseSensitive(t, "function"), "name");

        if (!cJSON_IsString(name)
            || !ngx_cerebro_agents_allowed(agent, name->valuestring))
        {
            cJSON_DeleteItemFromArray(all, i);
        }
    }

    cJSON_Delete(ctx->tools);
    ctx->tools = all;

    return ngx_cerebro_agents_send(ctx);
}


static ngx_uint_t
ngx_cerebro_agents_allowed(ngx_uint_t agent, const char *tool)
{
    cerebro_tool_id_t  id;

    id = cerebro_tool_lookup(tool, ngx_strlen(tool));

    switch (agent) {

    case NGX_CEREBRO_AGENT_RESERVATIONS:
        return id == CEREBRO_TOOL_CHECK || id == CEREBRO_TOOL_CREATE
               || id == CEREBRO_TOOL_FIND || id == CEREBRO_TOOL_MODIFY
               || id == CEREBRO_TOOL_CANCEL || id == CEREBRO_TOOL_WAITLIST;

    case NGX_CEREBRO_AGENT_INFORMATION:
        return id == CEREBRO_TOOL_INFO;

    case NGX_CEREBRO_AGENT_HANDOVER:
        return id == CEREBRO_TOOL_HANDOVER;

    default:
        return 0;
    }
}


/*
 * A specialist's answer: tool calls (whatever the finish_reason) are run
 * in order and answered, then the model is asked again; text ends it.
 */
static ngx_int_t
ngx_cerebro_agents_message(ngx_cerebro_agents_ctx_t *ctx, cJSON *message)
{
    int     i, n;
    cJSON  *calls, *content, *m, *clean, *c, *fn, *id, *name, *args;

    calls = cJSON_GetObjectItemCaseSensitive(message, "tool_calls");
    content = cJSON_GetObjectItemCaseSensitive(message, "content");
    n = cJSON_GetArraySize(calls);

    if (!cJSON_IsArray(calls) || n == 0) {
        if (cJSON_IsString(content) && content->valuestring[0]) {
            ngx_cerebro_agents_answer(ctx, content->valuestring);
            return NGX_OK;
        }

        ngx_cerebro_agents_fallback(ctx, "answered no text");
        return NGX_OK;
    }

    if (ctx->round >= NGX_CEREBRO_AGENT_MAX_ROUNDS) {
        ngx_cerebro_log(NGX_LOG_WARN, ctx->request->connection->log, 0,
                        "WhatsApp %s agent: still calling tools after %d "
                        "rounds", ngx_cerebro_agent_names[ctx->agent],
                        NGX_CEREBRO_AGENT_MAX_ROUNDS);
        ngx_cerebro_agents_answer(ctx, ctx->last_text.len
                                       ? (char *) ctx->last_text.data
                                       : ngx_cerebro_agents_sorry);
        return NGX_OK;
    }

    ctx->round++;

    /* the assistant message goes back as it came, in the API's shape */
    m = cJSON_CreateObject();
    clean = cJSON_CreateArray();
    if (m == NULL || clean == NULL) {
        cJSON_Delete(m);
        cJSON_Delete(clean);
        return NGX_ERROR;
    }

    cJSON_AddItemToArray(ctx->messages, m);

    if (cJSON_AddStringToObject(m, "role", "assistant") == NULL
        || (cJSON_IsString(content)
            ? cJSON_AddStringToObject(m, "content", content->valuestring)
            : cJSON_AddNullToObject(m, "content")) == NULL)
    {
        cJSON_Delete(clean);
        return NGX_ERROR;
    }

    cJSON_AddItemToObject(m, "tool_calls", clean);

    for (i = 0; i < n; i++) {
        c = cJSON_GetArrayItem(calls, i);
        fn = cJSON_GetObjectItemCaseSensitive(c, "function");
        id = cJSON_GetObjectItemCaseSensitive(c, "id");
        name = cJSON_GetObjectItemCaseSensitive(fn, "name");
        args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");

        m = cJSON_CreateObject();
        if (m == NULL) {
            return NGX_ERROR;
        }

        cJSON_AddItemToArray(clean, m);

        fn = cJSON_AddObjectToObject(m, "function");

        if (fn == NULL
            || cJSON_AddStringToObject(m, "id", cJSON_IsString(id)
                                       ? id->valuestring : "") == NULL
            || cJSON_AddStringToObject(m, "type", "function") == NULL
            || cJSON_AddStringToObject(fn, "name", cJSON_IsString(name)
                                       ? name->valuestring : "") == NULL
            || cJSON_AddStringToObject(fn, "arguments", cJSON_IsString(args)
                                       ? args->valuestring : "{}") == NULL)
        {
            return NGX_ERROR;
        }
    }

    ctx->calls = clean;
    ctx->ncalls = n;
    ctx->next = 0;

    ngx_cerebro_agents_next_tool(ctx);

    return NGX_OK;
}


static void
ngx_cerebro_agents_next_tool(ngx_cerebro_agents_ctx_t *ctx)
{
    cJSON                *c, *fn, *id, *name, *args, *parsed;
    ngx_pool_cleanup_t   *cln;
    ngx_cerebro_brain_t  *brain;

    brain = ctx->brain;

    while (ctx->next < ctx->ncalls) {
        c = cJSON_GetArrayItem(ctx->calls, ctx->next);
        fn = cJSON_GetObjectItemCaseSensitive(c, "function");
        id = cJSON_GetObjectItemCaseSensitive(c, "id");
        name = cJSON_GetObjectItemCaseSensitive(fn, "name");
        args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");

        if (!ngx_cerebro_agents_allowed(ctx->agent, name->valuestring)) {
            if (ngx_cerebro_agents_tool_result(ctx, id->valuestring,
                    "Error: esta herramienta no está disponible aquí.",
                    sizeof("Error: esta herramienta no está disponible "
                           "aquí.") - 1)
                != NGX_OK)
            {
                goto failed;
            }

            ctx->next++;
            continue;
        }

        parsed = cJSON_Parse(args->valuestring);

        if (!cJSON_IsObject(parsed)) {
            cJSON_Delete(parsed);

            if (ngx_cerebro_agents_tool_result(ctx, id->valuestring,
                    "Error: los argumentos no son un objeto JSON.",
                    sizeof("Error: los argumentos no son un objeto "
                           "JSON.") - 1)
                != NGX_OK)
            {
                goto failed;
            }

            ctx->next++;
            continue;
        }

        cln = ngx_pool_cleanup_add(ctx->request->pool, 0);
        if (cln == NULL) {
            cJSON_Delete(parsed);
            goto failed;
        }

        cln->handler = ngx_cerebro_agents_json_cleanup;
        cln->data = parsed;

        ngx_memzero(&ctx->tool, sizeof(ngx_cerebro_tool_t));

        ctx->tool.request = ctx->request;
        ctx->tool.name.data = (u_char *) name->valuestring;
        ctx->tool.name.len = ngx_strlen(name->valuestring);
        ctx->tool.args = parsed;
        ctx->tool.source = CEREBRO_SOURCE_WHATSAPP;
        ctx->tool.done = ngx_cerebro_agents_tool_done;
        ctx->tool.data = ctx;

        ngx_cpystrn((u_char *) ctx->tool.caller, (u_char *) brain->phone,
                    sizeof(ctx->tool.caller));
        ngx_cpystrn((u_char *) ctx->tool.call_id,
                    (u_char *) brain->message_id,
                    sizeof(ctx->tool.call_id));

        if (ngx_cerebro_tool_start(&ctx->tool) != NGX_OK) {
            goto failed;
        }

        /* ngx_cerebro_agents_tool_done() goes on */
        return;
    }

    /* every call answered: the model reads the results */
    if (ngx_cerebro_agents_send(ctx) != NGX_OK) {
        ngx_cerebro_agents_fallback(ctx, "could not be asked again");
    }

    return;

failed:

    ngx_cerebro_agents_fallback(ctx, "tool failed");
}


static void
ngx_cerebro_agents_tool_done(ngx_cerebro_tool_t *tool)
{
    cJSON                     *c, *id;
    ngx_cerebro_agents_ctx_t  *ctx;

    ctx = tool->data;

    if (ctx->brain->finished) {
        return;
    }

    ctx->brain->did |= tool->did;
    ctx->tools_ran++;

    ctx->last_text.data = (u_char *) ngx_cerebro_pstrdup0(ctx->request->pool,
                                                          &tool->text);
    ctx->last_text.len = ctx->last_text.data ? tool->text.len : 0;

    c = cJSON_GetArrayItem(ctx->calls, ctx->next);
    id = cJSON_GetObjectItemCaseSensitive(c, "id");

    if (ctx->last_text.data == NULL
        || ngx_cerebro_agents_tool_result(ctx, id->valuestring,
                                          (char *) ctx->last_text.data,
                                          ctx->last_text.len)
           != NGX_OK)
    {
        ngx_cerebro_agents_fallback(ctx, "no memory");
        return;
    }

    ctx->next++;

    ngx_cerebro_agents_next_tool(ctx);

    /* the tool's wakeup is a posted event: our new subrequest must run */
    ngx_http_run_posted_requests(ctx->request->connection);
}


static ngx_int_t
ngx_cerebro_agents_tool_result(ngx_cerebro_agents_ctx_t *ctx, const char *id,
    const char *text, size_t len)
{
    cJSON  *m;

    (void) len;

    m = cJSON_CreateObject();
    if (m == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddItemToArray(ctx->messages, m);

    if (cJSON_AddStringToObject(m, "role", "tool") == NULL
        || cJSON_AddStringToObject(m, "tool_call_id", id) == NULL
        || cJSON_AddStringToObject(m, "content", text) == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_cerebro_agents_answer(ngx_cerebro_agents_ctx_t *ctx, const char *text)
{
    ngx_cerebro_brain_t  *brain;

    brain = ctx->brain;

    if (ngx_cerebro_brain_reply(brain, text, ngx_strlen(text)) != NGX_OK) {
        ngx_str_null(&brain->reply);
    }

    ngx_cerebro_brain_finish(brain);
}


/*
 * OpenAI cannot finish this message.  What a tool did already is said
 * (the booking stands, the guest must hear it); otherwise the rule-based
 * dialogue answers from the start.
 */
static void
ngx_cerebro_agents_fallback(ngx_cerebro_agents_ctx_t *ctx, const char *why)
{
    ngx_cerebro_brain_t  *brain;

    brain = ctx->brain;

    if (brain->finished) {
        return;
    }

    if (ctx->retry.timer_set) {
        ngx_del_timer(&ctx->retry);
    }

    ngx_cerebro_log(NGX_LOG_WARN, ctx->request->connection->log, 0,
                    "OpenAI %s; the %s", why,
                    ctx->tools_ran ? "last tool's answer is the reply"
                                   : "rule-based dialogue answers");

    if (ctx->tools_ran) {
        ngx_cerebro_agents_answer(ctx, ctx->last_text.len
                                       ? (char *) ctx->last_text.data
                                       : ngx_cerebro_agents_sorry);
        return;
    }

    /* the agents' context stays: a late answer finds brain->finished */
    ctx->fell_back = 1;

    if (ngx_cerebro_dialogue_start(brain) != NGX_OK) {
        ngx_cerebro_agents_answer(ctx, ngx_cerebro_agents_sorry);
    }
}


static void
ngx_cerebro_agents_cleanup(void *data)
{
    ngx_cerebro_agents_ctx_t *ctx = data;

    if (ctx->retry.timer_set) {
        ngx_del_timer(&ctx->retry);
    }

    cJSON_Delete(ctx->messages);
    cJSON_Delete(ctx->tools);
    ctx->messages = NULL;
    ctx->tools = NULL;
}


static void
ngx_cerebro_agents_json_cleanup(void *data)
{
    cJSON_Delete(data);
}


ngx_int_t
ngx_cerebro_agents_init_conf(ngx_conf_t *cf, ngx_cerebro_tools_conf_t *tcf)
{
    ssize_t                   n;
    ngx_fd_t                  fd;
    ngx_str_t                 file;
    ngx_uint_t                i;
    ngx_file_info_t           fi;
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_cerebro_module);

    if (tcf->openai_model.data == NULL) {
        ngx_str_set(&tcf->openai_model, "gpt-4o");
    }

    tcf->openai_model.data = (u_char *) ngx_cerebro_pstrdup0(cf->pool,
                                                     &tcf->openai_model);
    if (tcf->openai_model.data == NULL) {
        return NGX_ERROR;
    }

    if (tcf->agents_dir.data == NULL) {
        ngx_str_set(&tcf->agents_dir, "conf/agents");
    }

    if (ngx_conf_full_name(cf->cycle, &tcf->agents_dir, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    for (i = 0; i < NGX_CEREBRO_NAGENTS; i++) {
        file.len = tcf->agents_dir.len + 1 + ngx_cerebro_agent_files[i].len;
        file.data = ngx_pnalloc(cf->pool, file.len + 1);
        if (file.data == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(file.data, "%V/%V%Z", &tcf->agents_dir,
                    &ngx_cerebro_agent_files[i]);

        fd = ngx_open_file(file.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

        if (fd == NGX_INVALID_FILE) {
            if (mcf->openai_api_key.len) {
                ngx_conf_log_error(NGX_LOG_WARN, cf, ngx_errno,
                                   "cerebro: no %s agent prompt \"%V\", "
                                   "using the built-in one",
                                   ngx_cerebro_agent_names[i], &file);
            }

            tcf->agent_prompts[i].data =
                                 (u_char *) ngx_cerebro_agent_fallback[i];
            tcf->agent_prompts[i].len =
                                 ngx_strlen(ngx_cerebro_agent_fallback[i]);
            continue;
        }

        if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
            || ngx_file_size(&fi) > 64 * 1024)
        {
            (void) ngx_close_file(fd);
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "cerebro: the %s agent prompt \"%V\" is not "
                               "a file under 64 KB (\"cerebro_agents_dir\")",
                               ngx_cerebro_agent_names[i], &file);
            return NGX_ERROR;
        }

        tcf->agent_prompts[i].len = ngx_file_size(&fi);
        tcf->agent_prompts[i].data = ngx_pnalloc(cf->pool,
                                                 tcf->agent_prompts[i].len
                                                 + 1);

        n = tcf->agent_prompts[i].data
            ? ngx_read_fd(fd, tcf->agent_prompts[i].data,
                          tcf->agent_prompts[i].len)
            : -1;

        (void) ngx_close_file(fd);

        if (n != (ssize_t) tcf->agent_prompts[i].len) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               "cerebro: cannot read \"%V\"", &file);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
