
/*
 * Helpers of every layer of the glue (ngx_cerebro_util.c).
 */

#ifndef _NGX_CEREBRO_UTIL_H_INCLUDED_
#define _NGX_CEREBRO_UTIL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* Sets the location's content handler and lists it in "GET /". */
char *ngx_cerebro_set_endpoint(ngx_conf_t *cf, char *name,
    ngx_http_handler_pt handler);

/*
 * A file of the configuration (restaurant, prompts) read whole, with a NUL
 * after it: NGX_OK; NGX_DECLINED when it does not exist; NGX_ERROR, logged
 * naming the file and the directive, otherwise.
 */
ngx_int_t ngx_cerebro_read_conf_file(ngx_conf_t *cf, ngx_str_t *path,
    size_t max, const char *directive, ngx_str_t *out);

/* A NUL-terminated copy, for libraries that take C strings. */
char *ngx_cerebro_pstrdup0(ngx_pool_t *pool, ngx_str_t *s);

/*
 * A shared zone of ours, refused when another directive took the name;
 * init runs at every (re)load with the old configuration's data.
 */
ngx_shm_zone_t *ngx_cerebro_shm_zone_add(ngx_conf_t *cf, ngx_str_t *name,
    size_t size, ngx_shm_zone_init_pt init, void *data);

/*
 * The zone's one shared struct, the slab pool's data: the old
 * configuration's ("old", a reload), the running binary's (a binary
 * upgrade), or a new one of size zeroed bytes, *fresh then 1.  NULL when
 * the zone is too small.
 */
void *ngx_cerebro_shm_zone_struct(ngx_shm_zone_t *shm_zone, void *old,
    size_t size, ngx_uint_t *fresh);


#endif /* _NGX_CEREBRO_UTIL_H_INCLUDED_ */
