
/*
 * assistant-request (VAPI gives us 7.5 s; this answers from memory): the
 * whole Spanish assistant with today's date in the restaurant's zone, so
 * that "este viernes" resolves correctly, and the tools pointing back here
 * with our secret; or the stored assistant with the same values.  Also the
 * voice channel's configuration: the HMAC options, the prompt file, the
 * number to hand calls over to.
 */

#include "ngx_cerebro_http.h"
#include "ngx_cerebro_vapi.h"
#include "ngx_cerebro_tools.h"
#include "ngx_cerebro_prompt.h"
#include "cerebro_phone.h"


static char *ngx_cerebro_vapi_server_url(ngx_http_request_t *r);
static cJSON *ngx_cerebro_vapi_server(ngx_http_request_t *r);


ngx_int_t
ngx_cerebro_vapi_assistant(ngx_http_request_t *r, cJSON *message)
{
    char                     *prompt;
    cJSON                    *json, *a, *model, *messages, *m, *tools, *t;
    cJSON                    *overrides, *values, *tr;
    ngx_uint_t                i;
    ngx_cerebro_var_t         vars[NGX_CEREBRO_PROMPT_NVARS];
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    ngx_cerebro_prompt_vars(r, vars);

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

    prompt = ngx_cerebro_prompt_render(r, &mcf->voice_prompt, vars);
    if (prompt == NULL) {
        goto failed;
    }

    a = cJSON_AddObjectToObject(json, "assistant");
    if (a == NULL
        || cJSON_AddStringToObject(a, "name", CEREBRO_SERVICE_NAME) == NULL
        || cJSON_AddStringToObject(a, "firstMessage",
                                   "Restaurante En Las Nubes, dígame.")
           == NULL
        || cJSON_AddStringToObject(a, "firstMessageMode",
                                   "assistant-speaks-first") == NULL)
    {
        goto failed;
    }

    tr = cJSON_AddObjectToObject(a, "transcriber");
    if (tr == NULL
        || cJSON_AddStringToObject(tr, "provider", "deepgram") == NULL
        || cJSON_AddStringToObject(tr, "model", "nova-2") == NULL
        || cJSON_AddStringToObject(tr, "language", "es") == NULL)
    {
        goto failed;
    }

    model = cJSON_AddObjectToObject(a, "model");
    messages = model ? cJSON_AddArrayToObject(model, "messages") : NULL;

    if (messages == NULL
        || cJSON_AddStringToObject(model, "provider", "openai") == NULL
        || cJSON_AddStringToObject(model, "model", "gpt-4o") == NULL
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

    tools = ngx_cerebro_tools_schema();
    if (tools == NULL) {
        goto failed;
    }

    cJSON_AddItemToObject(model, "tools", tools);

    /* every tool is served here, with a word while the guest waits */
    for (i = 0; i < (ngx_uint_t) cJSON_GetArraySize(tools); i++) {
        t = cJSON_GetArrayItem(tools, i);

        m = cJSON_AddArrayToObject(t, "messages");
        if (m == NULL) {
            goto failed;
        }

        cJSON_AddItemToArray(m, cJSON_CreateObject());
        if (cJSON_AddStringToObject(cJSON_GetArrayItem(m, 0), "type",
                                    "request-start") == NULL
            || cJSON_AddStringToObject(cJSON_GetArrayItem(m, 0), "content",
                                       "Un momento, lo compruebo.") == NULL)
        {
            goto failed;
        }

        if (!cJSON_AddItemToObject(t, "server", ngx_cerebro_vapi_server(r)))
        {
            goto failed;
        }
    }

    if (!cJSON_AddItemToObject(a, "server", ngx_cerebro_vapi_server(r))) {
        goto failed;
    }

    return ngx_cerebro_http_send_json(r, NGX_HTTP_OK, json);

failed:

    cJSON_Delete(json);
    return NGX_HTTP_INTERNAL_SERVER_ERROR;
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
    ngx_cerebro_main_conf_t *mcf = conf;

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
            mcf->vapi_hmac_header.data = v.data + len;
            mcf->vapi_hmac_header.len = v.len - len;

        } else if (ngx_cerebro_key("timestamp_header=")) {
            mcf->vapi_timestamp_header.data = v.data + len;
            mcf->vapi_timestamp_header.len = v.len - len;

        } else if (ngx_cerebro_key("algorithm=")) {
            if (ngx_strcmp(v.data + len, "sha256") == 0) {
                mcf->vapi_hmac.alg = CEREBRO_HMAC_SHA256;
            } else if (ngx_strcmp(v.data + len, "sha512") == 0) {
                mcf->vapi_hmac.alg = CEREBRO_HMAC_SHA512;
            } else if (ngx_strcmp(v.data + len, "sha1") == 0) {
                mcf->vapi_hmac.alg = CEREBRO_HMAC_SHA1;
            } else {
                goto invalid;
            }

        } else if (ngx_cerebro_key("encoding=")) {
            if (ngx_strcmp(v.data + len, "hex") == 0) {
                mcf->vapi_hmac.encoding = CEREBRO_HMAC_HEX;
            } else if (ngx_strcmp(v.data + len, "base64") == 0) {
                mcf->vapi_hmac.encoding = CEREBRO_HMAC_BASE64;
            } else {
                goto invalid;
            }

        } else if (ngx_cerebro_key("payload=")) {
            if (ngx_strcmp(v.data + len, "{timestamp}.{body}") == 0) {
                mcf->vapi_hmac.payload = CEREBRO_HMAC_PAYLOAD_TS_BODY;
            } else if (ngx_strcmp(v.data + len, "{body}") == 0) {
                mcf->vapi_hmac.payload = CEREBRO_HMAC_PAYLOAD_BODY;
            } else {
                goto invalid;
            }

        } else if (ngx_cerebro_key("prefix=")) {
            mcf->vapi_hmac.prefix = (char *) v.data + len;

        } else if (ngx_cerebro_key("tolerance=")) {
            v.data += len;
            v.len -= len;
            n = ngx_parse_time(&v, 1);
            if (n == NGX_ERROR) {
                goto invalid;
            }

            mcf->vapi_hmac.tolerance = n;

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
ngx_cerebro_vapi_init_conf(ngx_conf_t *cf, ngx_cerebro_main_conf_t *mcf)
{
    char  phone[CEREBRO_REC_PHONE_LEN];

    static u_char  fallback[] =
        "Eres la recepcionista telefónica de {{restaurant}} ({{address}}). "
        "Hoy es {{today}} ({{date_iso}}), son las {{time}} en "
        "{{timezone}}. Usa las herramientas para comprobar mesa, reservar, "
        "cambiar o cancelar, y lee sus respuestas tal como vienen.";

    ngx_conf_init_msec_value(mcf->vapi_deadline, 8000);

    if (mcf->vapi_bearer_header.data == NULL) {
        ngx_str_set(&mcf->vapi_bearer_header, "Authorization");
    }

    if (mcf->vapi_hmac_header.data == NULL) {
        ngx_str_set(&mcf->vapi_hmac_header, "x-signature");
    }

    if (mcf->vapi_timestamp_header.data == NULL) {
        ngx_str_set(&mcf->vapi_timestamp_header, "x-timestamp");
    }

    if (mcf->vapi_hmac.tolerance == 0) {
        /* a replayed message older than this is refused */
        mcf->vapi_hmac.tolerance = 300;
    }

    /* the number calls are handed over to: the restaurant's own */
    if (mcf->transfer_number.data == NULL) {
        if (cerebro_phone_normalize(mcf->model->phone,
                                    ngx_strlen(mcf->model->phone),
                                    mcf->model->country_code, phone,
                                    sizeof(phone), NULL)
            != CEREBRO_PHONE_OK)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "cerebro: the restaurant's \"phone\" is not "
                               "a telephone number; set "
                               "\"cerebro_transfer_number\"");
            return NGX_ERROR;
        }

        mcf->transfer_number.len = ngx_strlen(phone);
        mcf->transfer_number.data = (u_char *) phone;
        mcf->transfer_number.data = (u_char *) ngx_cerebro_pstrdup0(cf->pool,
                                           &mcf->transfer_number);
        if (mcf->transfer_number.data == NULL) {
            return NGX_ERROR;
        }
    }

    if (mcf->voice_prompt_file.data == NULL) {
        ngx_str_set(&mcf->voice_prompt_file, "conf/agents/voice.md");
    }

    if (ngx_conf_full_name(cf->cycle, &mcf->voice_prompt_file, 0) != NGX_OK)
    {
        return NGX_ERROR;
    }

    switch (ngx_cerebro_read_conf_file(cf, &mcf->voice_prompt_file,
                                       64 * 1024, "cerebro_voice_prompt",
                                       &mcf->voice_prompt))
    {
    case NGX_OK:
        break;

    case NGX_DECLINED:
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "cerebro: no voice prompt \"%V\", using the "
                           "built-in one", &mcf->voice_prompt_file);
        mcf->voice_prompt.data = fallback;
        mcf->voice_prompt.len = sizeof(fallback) - 1;
        break;

    default:
        return NGX_ERROR;
    }

    return NGX_OK;
}
