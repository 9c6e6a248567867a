
/*
 * Our HTTP client: an nginx subrequest to an internal location that
 * proxy_passes to Airtable, OpenAI or Twilio, with its response kept in
 * memory.  TLS, keepalive, timeouts and resolvers stay ordinary nginx
 * configuration; the credentials reach the upstream through the variable
 * $cerebro_upstream_authorization, never through a rendered file.
 */

#ifndef _NGX_CEREBRO_UPSTREAM_H_INCLUDED_
#define _NGX_CEREBRO_UPSTREAM_H_INCLUDED_


#include "ngx_cerebro_net.h"


typedef enum {
    NGX_CEREBRO_AIRTABLE = 0,
    NGX_CEREBRO_OPENAI,
    NGX_CEREBRO_TWILIO,
    NGX_CEREBRO_ALERT,
    NGX_CEREBRO_NSERVICES = NGX_CEREBRO_NUPSTREAMS
} ngx_cerebro_service_e;


typedef struct ngx_cerebro_call_s  ngx_cerebro_call_t;

typedef void (*ngx_cerebro_call_done_pt)(ngx_cerebro_call_t *call);


struct ngx_cerebro_call_s {
    /* what the caller sets before ngx_cerebro_call_start() */
    ngx_http_request_t        *request;       /* the main request */
    ngx_cerebro_service_e      service;
    ngx_uint_t                 method;        /* NGX_HTTP_GET, ... */
    ngx_str_t                  path;          /* "/v0/appX/Reservas" */
    ngx_str_t                  args;          /* already URL-encoded */
    ngx_str_t                  content_type;
    ngx_str_t                  body;
    ngx_msec_t                 timeout;       /* 0: the location's own */
    ngx_cerebro_call_done_pt   done;
    void                      *data;

    /* the outcome, when done() runs */
    ngx_uint_t                 status;        /* upstream's; 0 if none */
    ngx_int_t                  error;         /* nginx's 502/504, or 0 */
    ngx_str_t                  response;      /* in the request's pool */
    ngx_msec_t                 retry_after;   /* Retry-After(-ms), or 0 */
    ngx_msec_t                 elapsed;

    /* private */
    ngx_http_request_t        *sr;
    ngx_event_t                deadline;
    ngx_event_t                wakeup;
    ngx_msec_t                 started;
    unsigned                   finished:1;
    unsigned                   timed_out:1;
};


/*
 * Starts the subrequest; done() runs later from the event loop (never from
 * inside this call), exactly once, unless the main request is terminated
 * first.  The main request must have read its body.
 */
ngx_int_t ngx_cerebro_call_start(ngx_cerebro_call_t *call);

/* Registers $cerebro_upstream_authorization and ..._content_type. */
ngx_int_t ngx_cerebro_upstream_add_variables(ngx_conf_t *cf);

/* Builds the per-service Authorization values from the settings. */
ngx_int_t ngx_cerebro_upstream_init_credentials(ngx_conf_t *cf,
    ngx_cerebro_main_conf_t *mcf, ngx_cerebro_net_conf_t *ncf);


#endif /* _NGX_CEREBRO_UPSTREAM_H_INCLUDED_ */
