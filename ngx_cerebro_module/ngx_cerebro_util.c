
/*
 * What every layer of the nginx glue uses: a location's content handler
 * and its listing in "GET /", a configuration file read whole, a C string,
 * and the shared-memory zones' one way of being made and kept.
 */

#include "ngx_cerebro.h"


char *
ngx_cerebro_set_endpoint(ngx_conf_t *cf, char *name,
    ngx_http_handler_pt handler)
{
    ngx_cerebro_endpoint_t    *ep;
    ngx_cerebro_main_conf_t   *mcf;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler) {
        return "is duplicate: the location already has a content handler";
    }

    clcf->handler = handler;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_cerebro_module);

    ep = ngx_array_push(&mcf->endpoints);
    if (ep == NULL) {
        return NGX_CONF_ERROR;
    }

    ep->clcf = clcf;
    ep->location = ngx_cerebro_pstrdup0(cf->pool, &clcf->name);
    if (ep->location == NULL) {
        return NGX_CONF_ERROR;
    }

    ep->name = name;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_cerebro_read_conf_file(ngx_conf_t *cf, ngx_str_t *path, size_t max,
    const char *directive, ngx_str_t *out)
{
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_err_t        err;
    ngx_file_info_t  fi;

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        err = ngx_errno;

        if (err == NGX_ENOENT) {
            return NGX_DECLINED;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, err,
                           "cerebro: cannot open \"%V\" (\"%s\")", path,
                           directive);
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || (size_t) ngx_file_size(&fi) > max)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: \"%V\" (\"%s\") is not a readable "
                           "file of at most %uz bytes", path, directive, max);
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    out->len = ngx_file_size(&fi);
    out->data = ngx_pnalloc(cf->pool, out->len + 1);

    n = out->data ? ngx_read_fd(fd, out->data, out->len) : -1;
    err = ngx_errno;

    (void) ngx_close_file(fd);

    if (n != (ssize_t) out->len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, err,
                           "cerebro: cannot read \"%V\" (\"%s\")", path,
                           directive);
        return NGX_ERROR;
    }

    out->data[n] = '\0';

    return NGX_OK;
}


char *
ngx_cerebro_pstrdup0(ngx_pool_t *pool, ngx_str_t *s)
{
    u_char  *p;

    p = ngx_pnalloc(pool, s->len + 1);
    if (p == NULL) {
        return NULL;
    }

    *ngx_cpymem(p, s->data, s->len) = '\0';

    return (char *) p;
}


ngx_shm_zone_t *
ngx_cerebro_shm_zone_add(ngx_conf_t *cf, ngx_str_t *name, size_t size,
    ngx_shm_zone_init_pt init, void *data)
{
    ngx_shm_zone_t  *shm_zone;

    shm_zone = ngx_shared_memory_add(cf, name, size, &ngx_cerebro_module);
    if (shm_zone == NULL) {
        return NULL;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: shared zone \"%V\" is already in use",
                           name);
        return NULL;
    }

    shm_zone->init = init;
    shm_zone->data = data;

    return shm_zone;
}


void *
ngx_cerebro_shm_zone_struct(ngx_shm_zone_t *shm_zone, void *old, size_t size,
    ngx_uint_t *fresh)
{
    void             *sh;
    ngx_slab_pool_t  *shpool;

    *fresh = 0;

    if (old) {
        return old;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        return shpool->data;
    }

    sh = ngx_slab_calloc(shpool, size);
    if (sh == NULL) {
        return NULL;
    }

    shpool->data = sh;
    *fresh = 1;

    return sh;
}
