
/*
 * Subrequests to the internal locations /_cerebro/<service>/ with the
 * response in memory.  They are "background" subrequests, so that the main
 * request's own answer is never held behind one of them by the postpone
 * filter: the guest on the phone hears the deadline's apology while a slow
 * Airtable is still thinking.
 */

#include "ngx_cerebro_upstream.h"


static ngx_int_t ngx_cerebro_call_finished(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static void ngx_cerebro_call_deadline(ngx_event_t *ev);
static void ngx_cerebro_call_wakeup(ngx_event_t *ev);
static void ngx_cerebro_call_cleanup(void *data);
static ngx_msec_t ngx_cerebro_call_retry_after(ngx_http_request_t *sr);
static ngx_int_t ngx_cerebro_upstream_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_cerebro_auth_value(ngx_conf_t *cf, ngx_str_t *out,
    const char *scheme, ngx_str_t *credential);


static ngx_str_t  ngx_cerebro_service_prefix[] = {
    ngx_string("/_cerebro/airtable"),
    ngx_string("/_cerebro/openai"),
    ngx_string("/_cerebro/twilio"),
    ngx_string("/_cerebro/alert")
};


/* the metrics' "api" label, by ngx_cerebro_service_e */
static const char  *ngx_cerebro_service_names[] = {
    "airtable", "openai", "twilio", "alert"
};


static ngx_str_t  ngx_cerebro_method_names[] = {
    ngx_string("GET"),
    ngx_string("POST"),
    ngx_string("PATCH"),
    ngx_string("PUT"),
    ngx_string("DELETE")
};

static ngx_uint_t  ngx_cerebro_methods[] = {
    NGX_HTTP_GET, NGX_HTTP_POST, NGX_HTTP_PATCH, NGX_HTTP_PUT,
    NGX_HTTP_DELETE
};


#define NGX_CEREBRO_VAR_AUTHORIZATION  0
#define NGX_CEREBRO_VAR_CONTENT_TYPE   1


static ngx_http_variable_t  ngx_cerebro_upstream_vars[] = {

    { ngx_string("cerebro_upstream_authorization"), NULL,
      ngx_cerebro_upstream_variable, NGX_CEREBRO_VAR_AUTHORIZATION,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_NOHASH, 0 },

    { ngx_string("cerebro_upstream_content_type"), NULL,
      ngx_cerebro_upstream_variable, NGX_CEREBRO_VAR_CONTENT_TYPE,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_NOHASH, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_cerebro_call_start(ngx_cerebro_call_t *call)
{
    u_char                       *p;
    ngx_str_t                     uri;
    ngx_uint_t                    i;
    ngx_buf_t                    *b;
    ngx_chain_t                  *cl;
    ngx_pool_cleanup_t           *cln;
    ngx_http_request_t           *r, *sr;
    ngx_http_request_body_t      *rb;
    ngx_http_post_subrequest_t   *ps;

    r = call->request;

    for (i = 0; i < sizeof(ngx_cerebro_methods) / sizeof(ngx_uint_t); i++) {
        if (ngx_cerebro_methods[i] == call->method) {
            break;
        }
    }

    if (i == sizeof(ngx_cerebro_methods) / sizeof(ngx_uint_t)
        || call->service >= NGX_CEREBRO_NSERVICES)
    {
        return NGX_ERROR;
    }

    uri.len = ngx_cerebro_service_prefix[call->service].len + call->path.len;
    uri.data = ngx_pnalloc(r->pool, uri.len);
    if (uri.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(uri.data, ngx_cerebro_service_prefix[call->service].data,
                   ngx_cerebro_service_prefix[call->service].len);
    ngx_memcpy(p, call->path.data, call->path.len);

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_cerebro_call_finished;
    ps->data = call;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_subrequest(r, &uri, call->args.len ? &call->args : NULL,
                            &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_BACKGROUND)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    call->sr = sr;
    call->started = ngx_current_msec;
    call->finished = 0;
    call->timed_out = 0;
    call->status = 0;
    call->error = 0;
    call->retry_after = 0;
    ngx_str_null(&call->response);

    cln->handler = ngx_cerebro_call_cleanup;
    cln->data = call;

    /* the subrequest starts as a copy of the caller's request */

    sr->method = call->method;
    sr->method_name = ngx_cerebro_method_names[i];
    sr->header_only = 0;
    sr->headers_in.chunked = 0;
    sr->headers_in.content_length = NULL;
    sr->headers_in.content_type = NULL;
    sr->headers_in.content_length_n = -1;
    sr->request_body = NULL;

    if (call->method != NGX_HTTP_GET && call->method != NGX_HTTP_DELETE) {
        rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
        if (rb == NULL) {
            return NGX_ERROR;
        }

        if (call->body.len) {
            b = ngx_calloc_buf(r->pool);
            cl = ngx_alloc_chain_link(r->pool);
            if (b == NULL || cl == NULL) {
                return NGX_ERROR;
            }

            b->memory = 1;
            b->pos = call->body.data;
            b->last = call->body.data + call->body.len;
            b->last_buf = 1;

            cl->buf = b;
            cl->next = NULL;
            rb->bufs = cl;
        }

        sr->request_body = rb;
        sr->headers_in.content_length_n = call->body.len;
    }

    ngx_http_set_ctx(sr, call, ngx_cerebro_net_module);

    call->deadline.handler = ngx_cerebro_call_deadline;
    call->deadline.data = call;
    call->deadline.log = r->connection->log;

    call->wakeup.handler = ngx_cerebro_call_wakeup;
    call->wakeup.data = call;
    call->wakeup.log = r->connection->log;

    if (call->timeout) {
        ngx_add_timer(&call->deadline, call->timeout);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_call_finished(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_cerebro_call_t *call = data;

    if (call->finished) {
        /* the deadline answered already; the late response is dropped */
        return rc;
    }

    call->finished = 1;
    call->elapsed = ngx_current_msec - call->started;

    if (call->deadline.timer_set) {
        ngx_del_timer(&call->deadline);
    }

    if (rc == NGX_OK && sr->upstream && sr->upstream->headers_in.status_n) {
        call->status = sr->headers_out.status;

        if (sr->out && sr->out->buf) {
            call->response.data = sr->out->buf->pos;
            call->response.len = sr->out->buf->last - sr->out->buf->pos;
        }

        call->retry_after = ngx_cerebro_call_retry_after(sr);

    } else {
        /* no answer from upstream: refused, reset, timed out, too big */
        call->error = (rc >= NGX_HTTP_SPECIAL_RESPONSE)
                      ? rc : NGX_HTTP_BAD_GATEWAY;
    }

    /*
     * done() may start more subrequests or answer the guest; it runs from
     * the event loop, not from inside the finalization of this one.
     */
    ngx_post_event(&call->wakeup, &ngx_posted_events);

    return rc;
}


static void
ngx_cerebro_call_deadline(ngx_event_t *ev)
{
    ngx_cerebro_call_t *call = ev->data;

    if (call->finished) {
        return;
    }

    call->finished = 1;
    call->timed_out = 1;
    call->error = NGX_HTTP_GATEWAY_TIME_OUT;
    call->elapsed = ngx_current_msec - call->started;

    ngx_cerebro_call_wakeup(&call->wakeup);
}


static void
ngx_cerebro_call_wakeup(ngx_event_t *ev)
{
    ngx_connection_t    *c;
    ngx_cerebro_call_t  *call;

    call = ev->data;
    c = call->request->connection;

    ngx_cerebro_metric_inc(NGX_CEREBRO_M_UPSTREAM,
                           ngx_cerebro_service_names[call->service],
                           call->timed_out ? "timeout"
                           : ngx_cerebro_metric_status_class(call->status));
    ngx_cerebro_logvar_add_time(call->request, call->elapsed);

    call->done(call);

    ngx_http_run_posted_requests(c);
}


/*
 * The request's pool goes away with it; so must our events, whether the
 * call finished or the guest hung up first.
 */
static void
ngx_cerebro_call_cleanup(void *data)
{
    ngx_cerebro_call_t *call = data;

    if (call->deadline.timer_set) {
        ngx_del_timer(&call->deadline);
    }

    if (call->wakeup.posted) {
        ngx_delete_posted_event(&call->wakeup);
    }
}


static ngx_msec_t
ngx_cerebro_call_retry_after(ngx_http_request_t *sr)
{
    ngx_int_t         n;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &sr->upstream->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        /* OpenAI sends both; the milliseconds are the precise one */
        if (h[i].key.len == sizeof("retry-after-ms") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "retry-after-ms",
                               h[i].key.len) == 0)
        {
            n = ngx_atoi(h[i].value.data, h[i].value.len);
            if (n != NGX_ERROR) {
                return (ngx_msec_t) n;
            }
        }

        if (h[i].key.len == sizeof("retry-after") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "retry-after",
                               h[i].key.len) == 0)
        {
            n = ngx_atoi(h[i].value.data, h[i].value.len);
            if (n != NGX_ERROR && n < 3600) {
                return (ngx_msec_t) n * 1000;
            }
        }
    }
}


ngx_int_t
ngx_cerebro_upstream_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_cerebro_upstream_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/*
 * Only inside one of our subrequests do these have a value: anywhere else
 * (a main request, a log format) they are empty, so the credentials cannot
 * be made to leak into an access log or another location.
 */
static ngx_int_t
ngx_cerebro_upstream_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t               *value;
    ngx_cerebro_call_t      *call;
    ngx_cerebro_net_conf_t  *ncf;

    call = (r != r->main) ? ngx_http_get_module_ctx(r, ngx_cerebro_net_module)
                          : NULL;

    if (call == NULL || call->sr != r) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (data == NGX_CEREBRO_VAR_AUTHORIZATION) {
        ncf = ngx_http_get_module_main_conf(r, ngx_cerebro_net_module);
        value = &ncf->upstream_auth[call->service];

    } else {
        value = &call->content_type;
    }

    if (value->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = value->len;
    v->data = value->data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


ngx_int_t
ngx_cerebro_upstream_init_credentials(ngx_conf_t *cf,
    ngx_cerebro_main_conf_t *mcf, ngx_cerebro_net_conf_t *ncf)
{
    u_char     *p;
    ngx_str_t   pair, encoded;

    if (ngx_cerebro_auth_value(cf, &ncf->upstream_auth[NGX_CEREBRO_AIRTABLE],
                               "Bearer ", &mcf->airtable_api_key)
        != NGX_OK
        || ngx_cerebro_auth_value(cf,
                                  &ncf->upstream_auth[NGX_CEREBRO_OPENAI],
                                  "Bearer ", &mcf->openai_api_key)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (mcf->twilio_account_sid.len == 0) {
        return NGX_OK;
    }

    /* Twilio: Basic base64(AccountSid:AuthToken) */

    pair.len = mcf->twilio_account_sid.len + 1 + mcf->twilio_auth_token.len;
    pair.data = ngx_pnalloc(cf->temp_pool, pair.len);
    if (pair.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(pair.data, mcf->twilio_account_sid.data,
                   mcf->twilio_account_sid.len);
    *p++ = ':';
    ngx_memcpy(p, mcf->twilio_auth_token.data, mcf->twilio_auth_token.len);

    ncf->upstream_auth[NGX_CEREBRO_TWILIO].len = sizeof("Basic ") - 1
                                            + ngx_base64_encoded_length(
                                                  pair.len);
    p = ngx_pnalloc(cf->pool, ncf->upstream_auth[NGX_CEREBRO_TWILIO].len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ncf->upstream_auth[NGX_CEREBRO_TWILIO].data = p;
    encoded.data = ngx_cpymem(p, "Basic ", sizeof("Basic ") - 1);
    ngx_encode_base64(&encoded, &pair);

    ngx_explicit_memzero(pair.data, pair.len);

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_auth_value(ngx_conf_t *cf, ngx_str_t *out, const char *scheme,
    ngx_str_t *credential)
{
    size_t   len;
    u_char  *p;

    if (credential->len == 0) {
        ngx_str_null(out);
        return NGX_OK;
    }

    len = ngx_strlen(scheme);

    p = ngx_pnalloc(cf->pool, len + credential->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;
    p = ngx_cpymem(p, scheme, len);
    p = ngx_cpymem(p, credential->data, credential->len);
    out->len = p - out->data;

    return NGX_OK;
}
