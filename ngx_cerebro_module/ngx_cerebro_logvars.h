
/*
 * The access log's variables of a request of ours (ngx_cerebro_logvars.c):
 * $cerebro_call_id, $cerebro_tool, $cerebro_outcome and
 * $cerebro_upstream_time, so that one phone call can be followed in the
 * access log.  Every layer but core fills them with one call; a request
 * that set nothing logs them empty.
 */

#ifndef _NGX_CEREBRO_LOGVARS_H_INCLUDED_
#define _NGX_CEREBRO_LOGVARS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


typedef enum {
    NGX_CEREBRO_LOG_CALL_ID = 0,
    NGX_CEREBRO_LOG_TOOL,
    NGX_CEREBRO_LOG_OUTCOME,
    NGX_CEREBRO_LOG_UPSTREAM_TIME,
    NGX_CEREBRO_LOG_NVARS
} ngx_cerebro_logvar_e;


/* Registers the variables; from the module's preconfiguration. */
ngx_int_t ngx_cerebro_logvars_add(ngx_conf_t *cf);

/* The variable's value for the main request, copied (NULL: left as is). */
void ngx_cerebro_logvar_set(ngx_http_request_t *r, ngx_cerebro_logvar_e v,
    const char *value);

/* Adds a value after the ones already set, with a comma: a request may
 * carry several tool calls. */
void ngx_cerebro_logvar_append(ngx_http_request_t *r,
    ngx_cerebro_logvar_e v, const char *value);

/* Adds ms to $cerebro_upstream_time (seconds, as $upstream_response_time). */
void ngx_cerebro_logvar_add_time(ngx_http_request_t *r, ngx_msec_t ms);


#endif /* _NGX_CEREBRO_LOGVARS_H_INCLUDED_ */
