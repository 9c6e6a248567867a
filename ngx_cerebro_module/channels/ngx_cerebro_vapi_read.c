
/*
 * A tool-calls body is mostly the conversation and the assistant, which a
 * tool call never reads: they are passed over, not built.  No path here
 * is a container that holds them ("message" itself is not one): what a
 * path finds is checked whole, to the last byte.
 */

#include "ngx_cerebro_vapi_read.h"
#include "cerebro_json_spans.h"


enum {
    NGX_CEREBRO_VAPI_TYPE = 0,
    NGX_CEREBRO_VAPI_LIST,
    NGX_CEREBRO_VAPI_LIST_WITH_TOOLS,
    NGX_CEREBRO_VAPI_CALL_ID,
    NGX_CEREBRO_VAPI_CALL_NUMBER,
    NGX_CEREBRO_VAPI_NUMBER,
    NGX_CEREBRO_VAPI_NPATHS
};


static const char *const  ngx_cerebro_vapi_paths[] = {
    "message.type",
    "message.toolCallList",
    "message.toolWithToolCallList",
    "message.call.id",
    "message.call.customer.number",
    "message.customer.number"
};


static ngx_int_t ngx_cerebro_vapi_read_string(ngx_pool_t *pool,
    cerebro_json_span_t *span, ngx_str_t *s);
static cJSON *ngx_cerebro_vapi_read_calls(ngx_pool_t *pool,
    cerebro_json_span_t *span);
static void *ngx_cerebro_vapi_read_alloc(size_t size);
static void ngx_cerebro_vapi_read_free(void *p);


/*
 * The pool cJSON allocates from, set only for the length of one parse: a
 * worker runs one at a time, and between two nothing is left here.
 */
static ngx_pool_t  *ngx_cerebro_vapi_read_pool;


ngx_int_t
ngx_cerebro_vapi_read(ngx_http_request_t *r, ngx_str_t *body,
    ngx_cerebro_vapi_read_t *m)
{
    size_t               at;
    cerebro_json_rc_t    rc;
    cerebro_json_span_t  s[NGX_CEREBRO_VAPI_NPATHS];

    ngx_memzero(m, sizeof(ngx_cerebro_vapi_read_t));

    rc = cerebro_json_spans((char *) body->data, body->len,
                            ngx_cerebro_vapi_paths, NGX_CEREBRO_VAPI_NPATHS,
                            s, &at);

    if (rc != CEREBRO_JSON_OK) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "VAPI body %s at byte %uz",
                       cerebro_json_strerror(rc), at);
        return NGX_DECLINED;
    }

    /* found through "message" only if that is an object */
    if (s[NGX_CEREBRO_VAPI_TYPE].type != CEREBRO_JSON_STRING) {
        return NGX_ABORT;
    }

    if (ngx_cerebro_vapi_read_string(r->pool, &s[NGX_CEREBRO_VAPI_TYPE],
                                     &m->type)
        != NGX_OK
        || ngx_cerebro_vapi_read_string(r->pool,
                                        &s[NGX_CEREBRO_VAPI_CALL_ID],
                                        &m->call_id)
           != NGX_OK
        || ngx_cerebro_vapi_read_string(r->pool,
                                        &s[NGX_CEREBRO_VAPI_CALL_NUMBER],
                                        &m->number)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (m->number.data == NULL
        && ngx_cerebro_vapi_read_string(r->pool, &s[NGX_CEREBRO_VAPI_NUMBER],
                                        &m->number)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* toolCallList, or the calls inside toolWithToolCallList */
    m->calls = ngx_cerebro_vapi_read_calls(r->pool,
                                           &s[NGX_CEREBRO_VAPI_LIST]);

    if (cJSON_GetArraySize(m->calls) == 0) {
        m->calls = ngx_cerebro_vapi_read_calls(r->pool,
                                       &s[NGX_CEREBRO_VAPI_LIST_WITH_TOOLS]);
    }

    return NGX_OK;
}


cJSON *
ngx_cerebro_vapi_read_json(ngx_pool_t *pool, const char *text, size_t len)
{
    cJSON        *json;
    cJSON_Hooks   hooks;

    hooks.malloc_fn = ngx_cerebro_vapi_read_alloc;
    hooks.free_fn = ngx_cerebro_vapi_read_free;

    ngx_cerebro_vapi_read_pool = pool;
    cJSON_InitHooks(&hooks);

    json = cJSON_ParseWithLength(text, len);

    cJSON_InitHooks(NULL);
    ngx_cerebro_vapi_read_pool = NULL;

    return json;
}


/*
 * A string member as cJSON's valuestring would be (up to a decoded NUL);
 * s->data stays NULL if the member is not a string.  A string without
 * escapes is its bytes in the body, which lives as long as the request.
 */
static ngx_int_t
ngx_cerebro_vapi_read_string(ngx_pool_t *pool, cerebro_json_span_t *span,
    ngx_str_t *s)
{
    cJSON       *json;
    size_t       len;
    const char  *plain;

    ngx_str_null(s);

    if (span->type != CEREBRO_JSON_STRING) {
        return NGX_OK;
    }

    plain = cerebro_json_plain_string(span, &len);

    if (plain) {
        s->data = (u_char *) plain;
        s->len = len;
        return NGX_OK;
    }

    json = ngx_cerebro_vapi_read_json(pool, span->data, span->len);
    if (!cJSON_IsString(json)) {
        return NGX_ERROR;
    }

    s->data = (u_char *) json->valuestring;
    s->len = ngx_strlen(json->valuestring);

    return NGX_OK;
}


static cJSON *
ngx_cerebro_vapi_read_calls(ngx_pool_t *pool, cerebro_json_span_t *span)
{
    if (span->type != CEREBRO_JSON_ARRAY) {
        return NULL;
    }

    return ngx_cerebro_vapi_read_json(pool, span->data, span->len);
}


static void *
ngx_cerebro_vapi_read_alloc(size_t size)
{
    return ngx_palloc(ngx_cerebro_vapi_read_pool, size);
}


static void
ngx_cerebro_vapi_read_free(void *p)
{
    /* the pool frees it with the request */
}
