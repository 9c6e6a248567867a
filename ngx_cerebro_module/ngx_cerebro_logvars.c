
/*
 * The access log's variables live in the main request's own variable
 * slots (r->main->variables), which a subrequest shares: setting one is
 * writing its slot, and the log module reads it back as it reads any
 * cached variable.  Unset, the getter says "not found", which a
 * log_format with escape=json writes as an empty string.
 */

#include "ngx_cerebro.h"
#include "ngx_cerebro_logvars.h"


#define NGX_CEREBRO_LOGVAR_MAX  512     /* a call id and a few tools */


static ngx_int_t ngx_cerebro_logvar_get(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_http_variable_value_t *ngx_cerebro_logvar_slot(
    ngx_http_request_t *r, ngx_cerebro_logvar_e v);
static void ngx_cerebro_logvar_store(ngx_http_request_t *r,
    ngx_http_variable_value_t *vv, const u_char *one, size_t one_len,
    const u_char *two, size_t two_len);


static ngx_str_t  ngx_cerebro_logvar_names[NGX_CEREBRO_LOG_NVARS] = {
    ngx_string("cerebro_call_id"),
    ngx_string("cerebro_tool"),
    ngx_string("cerebro_outcome"),
    ngx_string("cerebro_upstream_time")
};


ngx_int_t
ngx_cerebro_logvars_add(ngx_conf_t *cf)
{
    ngx_int_t                 index;
    ngx_uint_t                i;
    ngx_http_variable_t      *var;
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_cerebro_module);

    for (i = 0; i < NGX_CEREBRO_LOG_NVARS; i++) {
        var = ngx_http_add_variable(cf, &ngx_cerebro_logvar_names[i], 0);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = ngx_cerebro_logvar_get;

        index = ngx_http_get_variable_index(cf, &ngx_cerebro_logvar_names[i]);
        if (index == NGX_ERROR) {
            return NGX_ERROR;
        }

        mcf->logvar_index[i] = index;
    }

    return NGX_OK;
}


/* only ever asked for a variable nobody set */
static ngx_int_t
ngx_cerebro_logvar_get(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    v->not_found = 1;

    return NGX_OK;
}


void
ngx_cerebro_logvar_set(ngx_http_request_t *r, ngx_cerebro_logvar_e v,
    const char *value)
{
    ngx_http_variable_value_t  *vv;

    vv = ngx_cerebro_logvar_slot(r, v);

    if (vv == NULL || value == NULL) {
        return;
    }

    ngx_cerebro_logvar_store(r, vv, (u_char *) value, ngx_strlen(value),
                             NULL, 0);
}


void
ngx_cerebro_logvar_append(ngx_http_request_t *r, ngx_cerebro_logvar_e v,
    const char *value)
{
    ngx_http_variable_value_t  *vv;

    vv = ngx_cerebro_logvar_slot(r, v);

    if (vv == NULL || value == NULL) {
        return;
    }

    if (!vv->valid || vv->not_found || vv->len == 0) {
        ngx_cerebro_logvar_store(r, vv, (u_char *) value, ngx_strlen(value),
                                 NULL, 0);
        return;
    }

    ngx_cerebro_logvar_store(r, vv, vv->data, vv->len, (u_char *) value,
                             ngx_strlen(value));
}


void
ngx_cerebro_logvar_add_time(ngx_http_request_t *r, ngx_msec_t ms)
{
    u_char                      buf[NGX_INT_T_LEN + 8], *last;
    ngx_int_t                   had;
    ngx_http_variable_value_t  *vv;

    vv = ngx_cerebro_logvar_slot(r, NGX_CEREBRO_LOG_UPSTREAM_TIME);

    if (vv == NULL) {
        return;
    }

    had = (vv->valid && !vv->not_found) ? ngx_atofp(vv->data, vv->len, 3)
                                        : 0;
    if (had > 0) {
        ms += had;
    }

    last = ngx_sprintf(buf, "%M.%03M", ms / 1000, ms % 1000);

    ngx_cerebro_logvar_store(r, vv, buf, last - buf, NULL, 0);
}


static ngx_http_variable_value_t *
ngx_cerebro_logvar_slot(ngx_http_request_t *r, ngx_cerebro_logvar_e v)
{
    ngx_int_t                 index;
    ngx_cerebro_main_conf_t  *mcf;

    if (r == NULL || (ngx_uint_t) v >= NGX_CEREBRO_LOG_NVARS) {
        return NULL;
    }

    r = r->main;
    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    index = mcf->logvar_index[v];

    if (r->variables == NULL || index < 0) {
        return NULL;
    }

    return &r->variables[index];
}


/* one, then "," and two when there is a two; cut at the maximum */
static void
ngx_cerebro_logvar_store(ngx_http_request_t *r, ngx_http_variable_value_t *vv,
    const u_char *one, size_t one_len, const u_char *two, size_t two_len)
{
    u_char  *p, *start;
    size_t   len;

    len = ngx_min(one_len + (two ? 1 + two_len : 0), NGX_CEREBRO_LOGVAR_MAX);

    start = ngx_pnalloc(r->main->pool, len);
    if (start == NULL) {
        return;
    }

    p = ngx_cpymem(start, one, ngx_min(one_len, len));

    if (two && (size_t) (p - start) < len) {
        *p++ = ',';
        p = ngx_cpymem(p, two, ngx_min(two_len, len - (p - start)));
    }

    vv->data = start;
    vv->len = p - start;
    vv->valid = 1;
    vv->no_cacheable = 0;
    vv->not_found = 0;
    vv->escape = 0;
}
