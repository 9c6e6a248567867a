
/*
 * assistant-request (VAPI gives us 7.5 s, and the caller hears ringing
 * meanwhile): the whole Spanish assistant with today's date in the
 * restaurant's zone, so that "este viernes" resolves correctly, what the
 * caller's number tells of a returning guest, and the tools pointing back
 * here with our secret; or the stored assistant with the same values.
 * Also the voice channel's configuration: the HMAC options, the prompt
 * file, the number to hand calls over to.
 */

#include "ngx_cerebro_http.h"
#include "ngx_cerebro_vapi.h"
#include "ngx_cerebro_channels.h"
#include "ngx_cerebro_tools.h"
#include "ngx_cerebro_prompt.h"
#include "ngx_cerebro_caller.h"
#include "cerebro_phone.h"


/*
 * How long the answer waits for the caller's records: a store slower than
 * this gets the assistant without them rather than a caller left ringing.
 */
#define NGX_CEREBRO_VAPI_CALLER_WAIT  300


typedef struct {
    ngx_http_request_t        *request;
    ngx_cerebro_caller_t       caller;
    ngx_event_t                wait;
    unsigned                   answered:1;
} ngx_cerebro_vapi_greet_t;


static const char *ngx_cerebro_vapi_customer(cJSON *message);
static void ngx_cerebro_vapi_caller_known(ngx_cerebro_caller_t *caller);
static void ngx_cerebro_vapi_caller_late(ngx_event_t *ev);
static void ngx_cerebro_vapi_greet(ngx_cerebro_vapi_greet_t *g,
    const ngx_cerebro_caller_t *caller);
static void ngx_cerebro_vapi_greet_cleanup(void *data);
static ngx_int_t ngx_cerebro_vapi_answer(ngx_http_request_t *r,
    const ngx_cerebro_caller_t *caller);

static ngx_int_t ngx_cerebro_vapi_stack(cJSON *assistant, const char *name,
    ngx_array_t *words, const char **keys);
static ngx_uint_t ngx_cerebro_vapi_is_handover(cJSON *tool);
static ngx_int_t ngx_cerebro_vapi_say(cJSON *tool, const char *type,
    const char *content);
static char *ngx_cerebro_vapi_server_url(ngx_http_request_t *r);
static cJSON *ngx_cerebro_vapi_server(ngx_http_request_t *r);
static ngx_int_t ngx_cerebro_vapi_default_words(ngx_conf_t *cf,
    ngx_array_t **words, const char **defaults);
static ngx_int_t ngx_cerebro_vapi_number(ngx_conf_t *cf, ngx_str_t *number,
    const char *what);


/* the words of cerebro_vapi_transcriber, _voice, _model: VAPI's keys */
static const char  *ngx_cerebro_vapi_transcriber_keys[] = {
    "provider", "model", "language", NULL
};

static const char  *ngx_cerebro_vapi_voice_keys[] = {
    "provider", "voiceId", "model", NULL
};

static const char  *ngx_cerebro_vapi_model_keys[] = {
    "provider", "model", NULL
};

/*
 * The original's stack: Deepgram Nova-3 in Spanish, GPT-4o, an ElevenLabs
 * voice through the multilingual model (VAPI's preset "andrea" until the
 * restaurant names its own voice id).
 */
static const char  *ngx_cerebro_vapi_transcriber_default[] = {
    "deepgram", "nova-3", "es", NULL
};

static const char  *ngx_cerebro_vapi_voice_default[] = {
    "11labs", "andrea", "eleven_multilingual_v2", NULL
};

static const char  *ngx_cerebro_vapi_model_default[] = {
    "openai", "gpt-4o", NULL
};


ngx_int_t
ngx_cerebro_vapi_assistant(ngx_http_request_t *r, cJSON *message)
{
    const char                *number;
    ngx_pool_cleanup_t        *cln;
    ngx_cerebro_main_conf_t   *mcf;
    ngx_cerebro_vapi_greet_t  *g;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    g = ngx_pcalloc(r->pool, sizeof(ngx_cerebro_vapi_greet_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (g == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_cerebro_vapi_greet_cleanup;
    cln->data = g;

    g->request = r;
    g->caller.request = r;
    g->caller.done = ngx_cerebro_vapi_caller_known;
    g->caller.data = g;

    number = ngx_cerebro_vapi_customer(message);

    /* a hidden or foreign number is nobody we know */
    if (number == NULL
        || cerebro_phone_normalize(number, ngx_strlen(number),
                                   mcf->model->country_code,
                                   g->caller.phone, sizeof(g->caller.phone),
                                   NULL)
           != CEREBRO_PHONE_OK
        || ngx_cerebro_caller_start(&g->caller) != NGX_OK)
    {
        return ngx_cerebro_vapi_answer(r, NULL);
    }

    g->wait.handler = ngx_cerebro_vapi_caller_late;
    g->wait.data = g;
    g->wait.log = r->connection->log;
    ngx_add_timer(&g->wait, NGX_CEREBRO_VAPI_CALLER_WAIT);

    /* the body handler's reference is released by the answer */
    return NGX_DONE;
}


/* call.customer.number; older payloads carry customer at the top */
static const char *
ngx_cerebro_vapi_customer(cJSON *message)
{
    cJSON  *customer, *number;

    customer = cJSON_GetObjectItemCaseSensitive(
                   cJSON_GetObjectItemCaseSensitive(message, "call"),
                   "customer");

    if (!cJSON_IsObject(customer)) {
        customer = cJSON_GetObjectItemCaseSensitive(message, "customer");
    }

    number = cJSON_GetObjectItemCaseSensitive(customer, "number");

    return cJSON_IsString(number) ? number->valuestring : NULL;
}


static void
ngx_cerebro_vapi_caller_known(ngx_cerebro_caller_t *caller)
{
    ngx_cerebro_vapi_greet_t *g = caller->data;

    if (!g->answered) {
        ngx_cerebro_vapi_greet(g, caller);
    }
}


/* the reads go on (they warm the cache for the call's tools) */
static void
ngx_cerebro_vapi_caller_late(ngx_event_t *ev)
{
    ngx_cerebro_vapi_greet_t *g = ev->data;

    ngx_cerebro_log(NGX_LOG_NOTICE, g->request->connection->log, 0,
                    "assistant-request: the caller's records took over "
                    "%d ms, answered without them",
                    NGX_CEREBRO_VAPI_CALLER_WAIT);

    ngx_cerebro_vapi_greet(g, NULL);
}


static void
ngx_cerebro_vapi_greet(ngx_cerebro_vapi_greet_t *g,
    const ngx_cerebro_caller_t *caller)
{
    g->answered = 1;

    if (g->wait.timer_set) {
        ngx_del_timer(&g->wait);
    }

    ngx_http_finalize_request(g->request,
                              ngx_cerebro_vapi_answer(g->request, caller));
}


static void
ngx_cerebro_vapi_greet_cleanup(void *data)
{
    ngx_cerebro_vapi_greet_t *g = data;

    g->answered = 1;

    if (g->wait.timer_set) {
        ngx_del_timer(&g->wait);
    }
}


static ngx_int_t
ngx_cerebro_vapi_answer(ngx_http_request_t *r,
    const ngx_cerebro_caller_t *caller)
{
    char                         *prompt;
    cJSON                        *json, *a, *model, *messages, *m, *tools, *t;
    cJSON                        *overrides, *values;
    ngx_uint_t                    i;
    ngx_cerebro_var_t             vars[NGX_CEREBRO_PROMPT_NVARS];
    ngx_cerebro_main_conf_t      *mcf;
    ngx_cerebro_channels_conf_t  *ccf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    ccf = ngx_http_get_module_main_conf(r, ngx_cerebro_channels_module);

    ngx_cerebro_prompt_vars(r, vars);
    ngx_cerebro_prompt_caller(r, vars, caller, 0);

    json = cJSON_CreateObject();
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (mcf->vapi_assistant_id.len) {
        overrides = cJSON_AddObjectToObject(json, "assistantOverrides");
        values = overrides ? cJSON_AddObjectToObject(overrides,
                                                     "variableValues")
                           : NULL;

        if (values == NULL
            || cJSON_AddStringToObject(json, "assistantId",
                             (char *) mcf->vapi_assistant_id.data) == NULL)
        {
            goto failed;
        }

        for (i = 0; i < NGX_CEREBRO_PROMPT_NVARS; i++) {
            if (cJSON_AddStringToObject(values, vars[i].name, vars[i].value)
                == NULL)
            {
                goto failed;
            }
        }

        return ngx_cerebro_http_send_json(r, NGX_HTTP_OK, json);
    }

    prompt = ngx_cerebro_prompt_render(r, &ccf->voice_prompt, vars);
    if (prompt == NULL) {
        goto failed;
    }

    a = cJSON_AddObjectToObject(json, "assistant");
    if (a == NULL
        || cJSON_AddStringToObject(a, "name", CEREBRO_SERVICE_NAME) == NULL
        || cJSON_AddStringToObject(a, "firstMessage",
                                   (char *) ccf->vapi_first_message.data)
           == NULL
        || cJSON_AddStringToObject(a, "firstMessageMode",
                                   "assistant-speaks-first") == NULL
        || ngx_cerebro_vapi_stack(a, "transcriber", ccf->vapi_transcriber,
                                  ngx_cerebro_vapi_transcriber_keys)
           != NGX_OK
        || ngx_cerebro_vapi_stack(a, "voice", ccf->vapi_voice,
                                  ngx_cerebro_vapi_voice_keys)
           != NGX_OK
        || ngx_cerebro_vapi_stack(a, "model", ccf->vapi_model,
                                  ngx_cerebro_vapi_model_keys)
           != NGX_OK)
    {
        goto failed;
    }

    model = cJSON_GetObjectItemCaseSensitive(a, "model");
    messages = cJSON_AddArrayToObject(model, "messages");

    if (messages == NULL
        || cJSON_AddNumberToObject(model, "temperature", 0.3) == NULL)
    {
        goto failed;
    }

    m = cJSON_CreateObject();
    if (m == NULL) {
        goto failed;
    }

    cJSON_AddItemToArray(messages, m);

    if (cJSON_AddStringToObject(m, "role", "system") == NULL
        || cJSON_AddStringToObject(m, "content", prompt) == NULL)
    {
        goto failed;
    }

    tools = ngx_cerebro_tools_schema(NGX_CEREBRO_SCHEMA_VAPI);
    if (tools == NULL) {
        goto failed;
    }

    cJSON_AddItemToObject(model, "tools", tools);

    /* every tool is served here, with a word while the guest waits */
    for (i = cJSON_GetArraySize(tools); i-- > 0; /* void */) {
        t = cJSON_GetArrayItem(tools, i);

        if (ngx_cerebro_vapi_is_handover(t)) {
            /* a function's answer cannot move a call: VAPI's transfer can */
            cJSON_DeleteItemFromArray(tools, i);
            continue;
        }

        if (ngx_cerebro_vapi_say(t, "request-start",
                                 "Un momento, lo compruebo.")
            != NGX_OK
            || !cJSON_AddItemToObject(t, "server",
                                      ngx_cerebro_vapi_server(r)))
        {
            goto failed;
        }
    }

    t = cJSON_CreateObject();
    if (t == NULL) {
        goto failed;
    }

    cJSON_AddItemToArray(tools, t);

    /*
     * No destination here: VAPI asks for one when the model transfers
     * (transfer-destination-request), and the answer depends on the hour.
     */
    if (cJSON_AddStringToObject(t, "type", "transferCall") == NULL
        || cJSON_AddArrayToObject(t, "destinations") == NULL
        || ngx_cerebro_vapi_say(t, "request-start",
                                "Le paso con el restaurante, un momento.")
           != NGX_OK)
    {
        goto failed;
    }

    if (!cJSON_AddItemToObject(a, "server", ngx_cerebro_vapi_server(r))) {
        goto failed;
    }

    return ngx_cerebro_http_send_json(r, NGX_HTTP_OK, json);

failed:

    cJSON_Delete(json);
    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/* {"provider":..., "<keys[1]>":..., ...} from a directive's words */
static ngx_int_t
ngx_cerebro_vapi_stack(cJSON *assistant, const char *name,
    ngx_array_t *words, const char **keys)
{
    cJSON       *o;
    ngx_str_t   *w;
    ngx_uint_t   i;

    o = cJSON_AddObjectToObject(assistant, name);
    if (o == NULL) {
        return NGX_ERROR;
    }

    w = words->elts;

    for (i = 0; i < words->nelts && keys[i]; i++) {
        if (cJSON_AddStringToObject(o, keys[i], (char *) w[i].data) == NULL) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_cerebro_vapi_is_handover(cJSON *tool)
{
    cJSON  *name;

    name = cJSON_GetObjectItemCaseSensitive(
               cJSON_GetObjectItemCaseSensitive(tool, "function"), "name");

    return cJSON_IsString(name)
           && cerebro_tool_lookup(name->valuestring,
                                  ngx_strlen(name->valuestring))
              == CEREBRO_TOOL_HANDOVER;
}


/* tool.messages: [{"type": type, "content": content}] */
static ngx_int_t
ngx_cerebro_vapi_say(cJSON *tool, const char *type, const char *content)
{
    cJSON  *list, *m;

    list = cJSON_AddArrayToObject(tool, "messages");
    m = cJSON_CreateObject();

    if (list == NULL || m == NULL) {
        cJSON_Delete(m);
        return NGX_ERROR;
    }

    cJSON_AddItemToArray(list, m);

    if (cJSON_AddStringToObject(m, "type", type) == NULL
        || cJSON_AddStringToObject(m, "content", content) == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static char *
ngx_cerebro_vapi_server_url(ngx_http_request_t *r)
{
    u_char                   *p;
    size_t                    len;
    ngx_str_t                *host;
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    host = r->headers_in.host ? &r->headers_in.host->value : NULL;

    len = (mcf->public_url.len ? mcf->public_url.len
                               : sizeof("https://") - 1
                                 + (host ? host->len : 0))
          + r->uri.len + 1;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NULL;
    }

    if (mcf->public_url.len) {
        ngx_sprintf(p, "%V%V%Z", &mcf->public_url, &r->uri);

    } else if (host) {
        ngx_sprintf(p, "https://%V%V%Z", host, &r->uri);

    } else {
        ngx_sprintf(p, "https://%V%Z", &r->uri);
    }

    return (char *) p;
}


static cJSON *
ngx_cerebro_vapi_server(ngx_http_request_t *r)
{
    char                     *url;
    cJSON                    *server, *headers;
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    url = ngx_cerebro_vapi_server_url(r);
    server = cJSON_CreateObject();

    if (url == NULL || server == NULL
        || cJSON_AddStringToObject(server, "url", url) == NULL
        || cJSON_AddNumberToObject(server, "timeoutSeconds", 20) == NULL)
    {
        cJSON_Delete(server);
        return NULL;
    }

    if (mcf->vapi_secret.len) {
        headers = cJSON_AddObjectToObject(server, "headers");

        if (headers == NULL
            || cJSON_AddStringToObject(headers, "X-Vapi-Secret",
                                       (char *) mcf->vapi_secret.data)
               == NULL)
        {
            cJSON_Delete(server);
            return NULL;
        }
    }

    return server;
}


char *
ngx_cerebro_vapi_hmac(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_cerebro_channels_conf_t *ccf = conf;

    size_t      len;
    ngx_str_t  *value, v;
    ngx_int_t   n;
    ngx_uint_t  i;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        v = value[i];

#define ngx_cerebro_key(k)                                                    \
        (len = sizeof(k) - 1, v.len > len && ngx_strncmp(v.data, k, len) == 0)

        if (ngx_cerebro_key("header=")) {
            ccf->vapi_hmac_header.data = v.data + len;
            ccf->vapi_hmac_header.len = v.len - len;

        } else if (ngx_cerebro_key("timestamp_header=")) {
            ccf->vapi_timestamp_header.data = v.data + len;
            ccf->vapi_timestamp_header.len = v.len - len;

        } else if (ngx_cerebro_key("algorithm=")) {
            if (ngx_strcmp(v.data + len, "sha256") == 0) {
                ccf->vapi_hmac.alg = CEREBRO_HMAC_SHA256;
            } else if (ngx_strcmp(v.data + len, "sha512") == 0) {
                ccf->vapi_hmac.alg = CEREBRO_HMAC_SHA512;
            } else if (ngx_strcmp(v.data + len, "sha1") == 0) {
                ccf->vapi_hmac.alg = CEREBRO_HMAC_SHA1;
            } else {
                goto invalid;
            }

        } else if (ngx_cerebro_key("encoding=")) {
            if (ngx_strcmp(v.data + len, "hex") == 0) {
                ccf->vapi_hmac.encoding = CEREBRO_HMAC_HEX;
            } else if (ngx_strcmp(v.data + len, "base64") == 0) {
                ccf->vapi_hmac.encoding = CEREBRO_HMAC_BASE64;
            } else {
                goto invalid;
            }

        } else if (ngx_cerebro_key("payload=")) {
            if (ngx_strcmp(v.data + len, "{timestamp}.{body}") == 0) {
                ccf->vapi_hmac.payload = CEREBRO_HMAC_PAYLOAD_TS_BODY;
            } else if (ngx_strcmp(v.data + len, "{body}") == 0) {
                ccf->vapi_hmac.payload = CEREBRO_HMAC_PAYLOAD_BODY;
            } else {
                goto invalid;
            }

        } else if (ngx_cerebro_key("prefix=")) {
            ccf->vapi_hmac.prefix = (char *) v.data + len;

        } else if (ngx_cerebro_key("tolerance=")) {
            v.data += len;
            v.len -= len;
            n = ngx_parse_time(&v, 1);
            if (n == NGX_ERROR) {
                goto invalid;
            }

            ccf->vapi_hmac.tolerance = n;

        } else {
            goto invalid;
        }

#undef ngx_cerebro_key
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "cerebro: invalid parameter \"%V\" of "
                       "\"cerebro_vapi_hmac\": expected header=, "
                       "timestamp_header=, algorithm=sha256|sha512|sha1, "
                       "encoding=hex|base64, "
                       "payload={timestamp}.{body}|{body}, prefix=, "
                       "tolerance=", &value[i]);
    return NGX_CONF_ERROR;
}


ngx_int_t
ngx_cerebro_vapi_init_conf(ngx_conf_t *cf, ngx_cerebro_channels_conf_t *ccf)
{
    static u_char  fallback[] =
        "Eres la recepcionista telefónica de {{restaurant}} ({{address}}). "
        "Hoy es {{today}} ({{date_iso}}), son las {{time}} en "
        "{{timezone}}. {{caller}} Usa las herramientas para comprobar mesa, "
        "reservar, cambiar o cancelar, y lee sus respuestas tal como "
        "vienen. Antes de reservar, lee al cliente la reserva y llama a "
        "create_reservation con confirmed=true solo después de su sí.";

    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_cerebro_module);

    ngx_conf_init_msec_value(ccf->vapi_deadline, 8000);

    if (ccf->vapi_bearer_header.data == NULL) {
        ngx_str_set(&ccf->vapi_bearer_header, "Authorization");
    }

    if (ccf->vapi_hmac_header.data == NULL) {
        ngx_str_set(&ccf->vapi_hmac_header, "x-signature");
    }

    if (ccf->vapi_timestamp_header.data == NULL) {
        ngx_str_set(&ccf->vapi_timestamp_header, "x-timestamp");
    }

    if (ccf->vapi_hmac.tolerance == 0) {
        /* a replayed message older than this is refused */
        ccf->vapi_hmac.tolerance = 300;
    }

    /* the number calls are handed over to: the restaurant's own */
    if (ccf->transfer_number.data == NULL) {
        ccf->transfer_number.data = (u_char *) mcf->model->phone;
        ccf->transfer_number.len = ngx_strlen(mcf->model->phone);

        if (ngx_cerebro_vapi_number(cf, &ccf->transfer_number,
                                    "the restaurant's \"phone\" (or set "
                                    "\"cerebro_transfer_number\")")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else if (ngx_cerebro_vapi_number(cf, &ccf->transfer_number,
                                       "\"cerebro_transfer_number\"")
               != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_cerebro_vapi_default_words(cf, &ccf->vapi_transcriber,
                                       ngx_cerebro_vapi_transcriber_default)
        != NGX_OK
        || ngx_cerebro_vapi_default_words(cf, &ccf->vapi_voice,
                                          ngx_cerebro_vapi_voice_default)
           != NGX_OK
        || ngx_cerebro_vapi_default_words(cf, &ccf->vapi_model,
                                          ngx_cerebro_vapi_model_default)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ccf->vapi_first_message.data == NULL) {
        /* what the restaurant's own staff say when they pick up */
        ccf->vapi_first_message.len = sizeof("Restaurante , dígame.") - 1
                                      + ngx_strlen(mcf->model->name);
        ccf->vapi_first_message.data = ngx_pnalloc(cf->pool,
                                          ccf->vapi_first_message.len + 1);
        if (ccf->vapi_first_message.data == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(ccf->vapi_first_message.data, "Restaurante %s, dígame.%Z",
                    mcf->model->name);

    } else {
        ccf->vapi_first_message.data = (u_char *) ngx_cerebro_pstrdup0(
                                           cf->pool, &ccf->vapi_first_message);
        if (ccf->vapi_first_message.data == NULL) {
            return NGX_ERROR;
        }
    }

    if (ccf->transfer_after_hours.data
        && ngx_cerebro_vapi_number(cf, &ccf->transfer_after_hours,
                                   "\"cerebro_transfer_after_hours\"")
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ccf->voice_prompt_file.data == NULL) {
        ngx_str_set(&ccf->voice_prompt_file, "conf/agents/voice.md");
    }

    if (ngx_conf_full_name(cf->cycle, &ccf->voice_prompt_file, 0) != NGX_OK)
    {
        return NGX_ERROR;
    }

    switch (ngx_cerebro_read_conf_file(cf, &ccf->voice_prompt_file,
                                       64 * 1024, "cerebro_voice_prompt",
                                       &ccf->voice_prompt))
    {
    case NGX_OK:
        break;

    case NGX_DECLINED:
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "cerebro: no voice prompt \"%V\", using the "
                           "built-in one", &ccf->voice_prompt_file);
        ccf->voice_prompt.data = fallback;
        ccf->voice_prompt.len = sizeof(fallback) - 1;
        break;

    default:
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_vapi_default_words(ngx_conf_t *cf, ngx_array_t **words,
    const char **defaults)
{
    ngx_str_t  *w;

    if (*words != NULL) {
        return NGX_OK;
    }

    *words = ngx_array_create(cf->pool, 3, sizeof(ngx_str_t));
    if (*words == NULL) {
        return NGX_ERROR;
    }

    for ( /* void */ ; *defaults; defaults++) {
        w = ngx_array_push(*words);
        if (w == NULL) {
            return NGX_ERROR;
        }

        w->data = (u_char *) *defaults;
        w->len = ngx_strlen(*defaults);
    }

    return NGX_OK;
}


/* A number calls are handed to, as E.164 (VAPI refuses anything else). */
static ngx_int_t
ngx_cerebro_vapi_number(ngx_conf_t *cf, ngx_str_t *number,
    const char *what)
{
    char                      phone[CEREBRO_REC_PHONE_LEN];
    char                     *text;
    ngx_cerebro_main_conf_t  *mcf;

    text = ngx_cerebro_pstrdup0(cf->pool, number);
    if (text == NULL) {
        return NGX_ERROR;
    }

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_cerebro_module);

    if (cerebro_phone_normalize(text, number->len, mcf->model->country_code,
                                phone, sizeof(phone), NULL)
        != CEREBRO_PHONE_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: %s \"%V\" is not a telephone number",
                           what, number);
        return NGX_ERROR;
    }

    number->len = ngx_strlen(phone);
    number->data = ngx_pnalloc(cf->pool, number->len + 1);
    if (number->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(number->data, phone, number->len + 1);

    return NGX_OK;
}
