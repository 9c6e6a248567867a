
/*
 * What a VAPI server message says, read without a tree of the whole body:
 * the body is checked whole (cerebro_json_spans), and only the few members
 * a tool call needs are parsed, into the request's pool.
 */

#ifndef _NGX_CEREBRO_VAPI_READ_H_INCLUDED_
#define _NGX_CEREBRO_VAPI_READ_H_INCLUDED_


#include <cjson/cJSON.h>

#include "ngx_cerebro.h"


typedef struct {
    ngx_str_t      type;       /* message.type */
    cJSON         *calls;      /* toolCallList, or toolWithToolCallList */
    ngx_str_t      call_id;    /* message.call.id; empty if none */
    ngx_str_t      number;     /* call.customer.number, or customer.number */
} ngx_cerebro_vapi_read_t;


/*
 * NGX_OK; NGX_DECLINED: the body is not JSON; NGX_ABORT: no "message"
 * object with a "type" string; NGX_ERROR: out of memory.
 */
ngx_int_t ngx_cerebro_vapi_read(ngx_http_request_t *r, ngx_str_t *body,
    ngx_cerebro_vapi_read_t *m);

/*
 * cJSON's parse with its nodes in the pool: freed with the request, never
 * to be given to cJSON_Delete nor grown by cJSON.
 */
cJSON *ngx_cerebro_vapi_read_json(ngx_pool_t *pool, const char *text,
    size_t len);


#endif /* _NGX_CEREBRO_VAPI_READ_H_INCLUDED_ */
