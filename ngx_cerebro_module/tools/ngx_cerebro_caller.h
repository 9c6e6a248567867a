
/*
 * Who is calling: the caller's number looked up among the guests
 * (Clientes, or the embedded guests) and their upcoming bookings, so that
 * the assistant greets a returning guest by name and knows their next
 * booking.  A number whose records carry several names is SHARED: then
 * nothing of any of them may be said.
 */

#ifndef _NGX_CEREBRO_CALLER_H_INCLUDED_
#define _NGX_CEREBRO_CALLER_H_INCLUDED_


#include "ngx_cerebro.h"
#include "ngx_cerebro_store.h"
#include "cerebro_sentence.h"


typedef struct ngx_cerebro_caller_s  ngx_cerebro_caller_t;

typedef void (*ngx_cerebro_caller_done_pt)(ngx_cerebro_caller_t *caller);


struct ngx_cerebro_caller_s {
    /* the caller's */
    ngx_http_request_t          *request;
    char                         phone[CEREBRO_REC_PHONE_LEN];  /* E.164 */
    ngx_cerebro_caller_done_pt   done;
    void                        *data;

    /* the outcome: NEW when the store could not tell */
    cerebro_caller_kind_t        kind;
    char                         name[CEREBRO_REC_NAME_LEN];
    char                         preferences[CEREBRO_REC_PREFS_LEN];
    cerebro_reservation_t        next;        /* next.start 0: none */

    /* private */
    ngx_cerebro_store_op_t       guest;
    ngx_cerebro_store_op_t       bookings;
    ngx_uint_t                   pending;
};


/*
 * Starts both reads; done() runs once, from the event loop, when both are
 * in (the store's deadline bounds them).  NGX_ERROR: not started.
 */
ngx_int_t ngx_cerebro_caller_start(ngx_cerebro_caller_t *caller);


#endif /* _NGX_CEREBRO_CALLER_H_INCLUDED_ */
