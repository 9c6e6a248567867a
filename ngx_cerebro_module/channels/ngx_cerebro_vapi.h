
/*
 * The voice channel: VAPI's server messages at POST /vapi/webhook.
 */

#ifndef _NGX_CEREBRO_VAPI_H_INCLUDED_
#define _NGX_CEREBRO_VAPI_H_INCLUDED_


#include <cjson/cJSON.h>

#include "ngx_cerebro.h"
#include "ngx_cerebro_channels.h"


char *ngx_cerebro_vapi(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/*
 * assistant-request: the whole assistant, or the stored one's id, with
 * what the caller's number tells of them; NGX_DONE when it answers later
 * (after the caller's records, or the short wait for them).
 */
ngx_int_t ngx_cerebro_vapi_assistant(ngx_http_request_t *r, cJSON *message);

/* cerebro_vapi_hmac [header=] [timestamp_header=] [algorithm=] ... */
char *ngx_cerebro_vapi_hmac(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* Defaults and the files the voice channel reads with the configuration. */
ngx_int_t ngx_cerebro_vapi_init_conf(ngx_conf_t *cf,
    ngx_cerebro_channels_conf_t *ccf);


#endif /* _NGX_CEREBRO_VAPI_H_INCLUDED_ */
