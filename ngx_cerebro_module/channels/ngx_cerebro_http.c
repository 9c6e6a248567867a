
/*
 * Methods, CORS and JSON answers shared by every endpoint of ours.
 */

#include "ngx_cerebro_http.h"
#include "ngx_cerebro_auth.h"


static ngx_int_t ngx_cerebro_http_allow_header(ngx_http_request_t *r,
    ngx_uint_t allowed, ngx_str_t *out);
static ngx_int_t ngx_cerebro_http_add_header(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);
static ngx_str_t *ngx_cerebro_http_allowed_origin(ngx_http_request_t *r);
static ngx_flag_t ngx_cerebro_http_any_origin(ngx_http_request_t *r);
static void ngx_cerebro_http_json_cleanup(void *data);


typedef struct {
    ngx_uint_t   method;
    const char  *name;
} ngx_cerebro_method_name_t;


static ngx_cerebro_method_name_t  ngx_cerebro_methods[] = {
    { NGX_HTTP_GET, "GET" },
    { NGX_HTTP_HEAD, "HEAD" },
    { NGX_HTTP_POST, "POST" },
    { NGX_HTTP_PUT, "PUT" },
    { NGX_HTTP_PATCH, "PATCH" },
    { NGX_HTTP_DELETE, "DELETE" },
    { NGX_HTTP_OPTIONS, "OPTIONS" },
    { 0, NULL }
};


ngx_int_t
ngx_cerebro_http_check_method(ngx_http_request_t *r, ngx_uint_t allowed)
{
    ngx_int_t         rc;
    ngx_str_t         allow, *origin;
    ngx_table_elt_t  *requested;

    static ngx_str_t  request_method = ngx_string(
                                          "Access-Control-Request-Method");
    static ngx_str_t  request_headers = ngx_string(
                                          "Access-Control-Request-Headers");
    static ngx_str_t  max_age = ngx_string("600");

    if (r->method & allowed) {
        return NGX_DECLINED;
    }

    if (ngx_cerebro_http_allow_header(r, allowed | NGX_HTTP_OPTIONS, &allow)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_cerebro_http_add_header(r, "Allow", &allow) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->method != NGX_HTTP_OPTIONS) {
        return ngx_cerebro_http_send_error(r, NGX_HTTP_NOT_ALLOWED,
                                           "method not allowed");
    }

    /* a CORS preflight: only an origin on the list learns anything */

    origin = ngx_cerebro_http_allowed_origin(r);

    if (origin && ngx_cerebro_http_header(r, &request_method)) {

        if (ngx_cerebro_http_cors(r) != NGX_OK
            || ngx_cerebro_http_add_header(r, "Access-Control-Allow-Methods",
                                           &allow)
               != NGX_OK
            || ngx_cerebro_http_add_header(r, "Access-Control-Max-Age",
                                           &max_age)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        requested = ngx_cerebro_http_header(r, &request_headers);

        if (requested
            && ngx_cerebro_http_add_header(r, "Access-Control-Allow-Headers",
                                           &requested->value)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    r->headers_out.status = NGX_HTTP_NO_CONTENT;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    return ngx_http_send_special(r, NGX_HTTP_LAST);
}


ngx_int_t
ngx_cerebro_http_cors(ngx_http_request_t *r)
{
    ngx_str_t  *origin;

    static ngx_str_t  vary = ngx_string("Origin");
    static ngx_str_t  any = ngx_string("*");

    origin = ngx_cerebro_http_allowed_origin(r);

    if (origin == NULL) {
        /* the answer depends on Origin: shared caches must know */
        return ngx_cerebro_http_any_origin(r)
               ? NGX_OK : ngx_cerebro_http_add_header(r, "Vary", &vary);
    }

    if (ngx_cerebro_http_any_origin(r)) {
        return ngx_cerebro_http_add_header(r, "Access-Control-Allow-Origin",
                                           &any);
    }

    if (ngx_cerebro_http_add_header(r, "Access-Control-Allow-Origin", origin)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_cerebro_http_add_header(r, "Vary", &vary);
}


ngx_int_t
ngx_cerebro_http_send_json(ngx_http_request_t *r, ngx_uint_t status,
    cJSON *json)
{
    char       *text;
    size_t      len;
    ngx_buf_t  *b;

    text = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);

    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_strlen(text);

    b = ngx_create_temp_buf(r->pool, len + 1);
    if (b == NULL) {
        cJSON_free(text);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->pos, text, len);
    *b->last++ = '\n';

    cJSON_free(text);

    return ngx_cerebro_http_send_buf(r, status, b);
}


ngx_int_t
ngx_cerebro_http_send_buf(ngx_http_request_t *r, ngx_uint_t status,
    ngx_buf_t *b)
{
    ngx_int_t                 rc;
    ngx_chain_t               out;
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    ngx_cerebro_log_detail(mcf, r->connection->log, "%V %V answered %ui",
                           &r->method_name, &r->uri, status);

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    if (ngx_cerebro_http_cors(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type,
                "application/json; charset=utf-8");
    r->headers_out.content_type_len = sizeof("application/json") - 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_cerebro_http_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message)
{
    cJSON  *json;

    json = cJSON_CreateObject();

    if (json == NULL
        || cJSON_AddStringToObject(json, "error", message) == NULL)
    {
        cJSON_Delete(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_cerebro_http_send_json(r, status, json);
}


static ngx_int_t
ngx_cerebro_http_allow_header(ngx_http_request_t *r, ngx_uint_t allowed,
    ngx_str_t *out)
{
    u_char                     *p;
    size_t                      len;
    ngx_cerebro_method_name_t  *m;

    len = 0;
    for (m = ngx_cerebro_methods; m->name; m++) {
        if (allowed & m->method) {
            len += ngx_strlen(m->name) + sizeof(", ") - 1;
        }
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    for (m = ngx_cerebro_methods; m->name; m++) {
        if (allowed & m->method) {
            if (p != out->data) {
                p = ngx_cpymem(p, ", ", 2);
            }

            p = ngx_cpymem(p, m->name, ngx_strlen(m->name));
        }
    }

    out->len = p - out->data;

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_http_add_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.len = ngx_strlen(name);
    h->key.data = (u_char *) name;
    h->value = *value;

    return NGX_OK;
}


static ngx_str_t *
ngx_cerebro_http_allowed_origin(ngx_http_request_t *r)
{
    size_t                    len;
    ngx_str_t                *origins, *value;
    ngx_uint_t                i;
    ngx_table_elt_t          *origin;
    ngx_cerebro_main_conf_t  *mcf;

    static ngx_str_t  origin_header = ngx_string("Origin");

    origin = ngx_cerebro_http_header(r, &origin_header);
    if (origin == NULL || origin->value.len == 0) {
        return NULL;
    }

    value = &origin->value;
    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    if (ngx_cerebro_http_any_origin(r)) {
        return value;
    }

    origins = mcf->origins->elts;

    for (i = 0; i < mcf->origins->nelts; i++) {
        len = origins[i].len;

        /* scheme and host are case-insensitive; browsers send lowercase */
        if (value->len == len
            && ngx_strncasecmp(value->data, origins[i].data, len) == 0)
        {
            return value;
        }
    }

    return NULL;
}


ngx_flag_t
ngx_cerebro_http_listed_origin(ngx_http_request_t *r)
{
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    return !mcf->any_origin && ngx_cerebro_http_allowed_origin(r) != NULL;
}


/*
 * ALLOWED_ORIGINS=* opens the public endpoints to every page; the staff's
 * answer only an origin the list names.
 */
static ngx_flag_t
ngx_cerebro_http_any_origin(ngx_http_request_t *r)
{
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    return mcf->any_origin && !ngx_cerebro_auth_is_staff(r);
}


ngx_table_elt_t *
ngx_cerebro_http_header(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == name->len
            && ngx_strncasecmp(h[i].key.data, name->data, name->len) == 0)
        {
            return &h[i];
        }
    }
}


ngx_int_t
ngx_cerebro_http_read_post(ngx_http_request_t *r, const char *content_type,
    ngx_http_client_body_handler_pt handler)
{
    ngx_int_t  rc;

    rc = ngx_cerebro_http_check_method(r, NGX_HTTP_POST);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    return ngx_cerebro_http_read_body(r, content_type, handler);
}


ngx_int_t
ngx_cerebro_http_read_body(ngx_http_request_t *r, const char *content_type,
    ngx_http_client_body_handler_pt handler)
{
    size_t      len;
    ngx_int_t   rc;
    ngx_str_t  *type;
    u_char      message[128];

    len = ngx_strlen(content_type);
    type = r->headers_in.content_type ? &r->headers_in.content_type->value
                                      : NULL;

    /* "application/json; charset=utf-8" is application/json */
    if (type == NULL || type->len < len
        || ngx_strncasecmp(type->data, (u_char *) content_type, len) != 0
        || (type->len > len && type->data[len] != ';'
            && type->data[len] != ' '))
    {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        *ngx_snprintf(message, sizeof(message) - 1, "this endpoint takes %s",
                      content_type) = '\0';

        return ngx_cerebro_http_send_error(r,
                                           NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                           (char *) message);
    }

    rc = ngx_http_read_client_request_body(r, handler);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


ngx_int_t
ngx_cerebro_http_body(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char       *p;
    off_t         len;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    ngx_str_null(body);

    if (r->request_body == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    p = ngx_pnalloc(r->pool, (size_t) len + 1);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body->data = p;
    body->len = (size_t) len;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        /*
         * A chunked body's framing can outgrow the buffer that the same
         * body without it fits in, and nginx then keeps it in a temporary
         * file.  nginx has already held it to client_max_body_size: it is
         * read back from the page cache nginx has just written it to.
         */
        n = ngx_read_file(b->file, p, (size_t) (b->file_last - b->file_pos),
                          b->file_pos);

        if (n != b->file_last - b->file_pos) {
            ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                            "the request body's temporary file \"%V\" "
                            "could not be read back", &b->file->name);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p += n;
    }

    *p = '\0';

    return NGX_OK;
}


/*
 * Without a copy where nginx allows: a second body-sized allocation freed
 * with every request makes glibc give the top of the heap back and fault it
 * in again at the next one, which at 64 KB costs more than reading it.
 */
ngx_int_t
ngx_cerebro_http_body_bytes(ngx_http_request_t *r, ngx_str_t *body)
{
    size_t        pre, rest;
    u_char       *next;
    ngx_buf_t    *b, *first;
    ngx_chain_t  *cl;

    ngx_str_null(body);

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    first = NULL;
    next = NULL;
    rest = 0;

    /* the bytes after the first buffer, if they lie end to end in memory */
    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            return ngx_cerebro_http_body(r, body);
        }

        if (b->last == b->pos) {
            continue;
        }

        if (first == NULL) {
            first = b;
            continue;
        }

        if (next && b->pos != next) {
            return ngx_cerebro_http_body(r, body);
        }

        if (next == NULL) {
            body->data = b->pos;
        }

        rest += b->last - b->pos;
        next = b->last;
    }

    if (first == NULL) {
        return NGX_OK;
    }

    pre = first->last - first->pos;

    if (rest == 0 || first->last == body->data) {
        /* one piece already */
        body->data = first->pos;
        body->len = pre + rest;
        return NGX_OK;
    }

    /*
     * The part read with the headers, then the rest at the start of nginx's
     * body buffer, which client_body_in_single_buffer sized for both: join
     * them there, and leave nginx's chain saying so.
     */
    b = r->request_body->buf;

    if (b == NULL || body->data != b->start
        || (size_t) (b->end - b->start) < pre + rest
        || (first->last > b->start && first->pos < b->end))
    {
        return ngx_cerebro_http_body(r, body);
    }

    ngx_memmove(b->start + pre, b->start, rest);
    ngx_memcpy(b->start, first->pos, pre);

    b->pos = b->start;
    b->last = b->start + pre + rest;
    b->last_buf = 1;

    cl = r->request_body->bufs;
    cl->buf = b;
    cl->next = NULL;

    body->data = b->pos;
    body->len = pre + rest;

    return NGX_OK;
}


ngx_int_t
ngx_cerebro_http_keep_json(ngx_http_request_t *r, cJSON *json)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        cJSON_Delete(json);
        return NGX_ERROR;
    }

    cln->handler = ngx_cerebro_http_json_cleanup;
    cln->data = json;

    return NGX_OK;
}


static void
ngx_cerebro_http_json_cleanup(void *data)
{
    cJSON_Delete(data);
}
