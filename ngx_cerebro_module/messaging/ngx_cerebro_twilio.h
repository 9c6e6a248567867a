
/*
 * Twilio's Messages API over our subrequest client.
 */

#ifndef _NGX_CEREBRO_TWILIO_H_INCLUDED_
#define _NGX_CEREBRO_TWILIO_H_INCLUDED_


#include "ngx_cerebro.h"
#include "ngx_cerebro_upstream.h"
#include "cerebro_records.h"


typedef enum {
    NGX_CEREBRO_TWILIO_SENT = 0,      /* 201 with a sid */
    NGX_CEREBRO_TWILIO_RETRY,         /* 429/20429, 5xx, no answer */
    NGX_CEREBRO_TWILIO_WINDOW,        /* 63016: a template is needed */
    NGX_CEREBRO_TWILIO_FAILED,        /* for good: 21211, 20003, ... */
    NGX_CEREBRO_TWILIO_ABSENT         /* find: Twilio has no such message */
} ngx_cerebro_twilio_outcome_e;


typedef struct ngx_cerebro_twilio_send_s  ngx_cerebro_twilio_send_t;

typedef void (*ngx_cerebro_twilio_done_pt)(ngx_cerebro_twilio_send_t *s);


struct ngx_cerebro_twilio_send_s {
    ngx_cerebro_twilio_done_pt     done;
    void                          *data;

    /* the outcome */
    ngx_cerebro_twilio_outcome_e   outcome;
    ngx_int_t                      code;         /* Twilio's, or 0 */
    char                           sid[CEREBRO_REC_SID_LEN];
    char                           reason[CEREBRO_REC_ERROR_LEN];
    ngx_msec_t                     retry_after;

    /* private */
    ngx_cerebro_call_t             call;
    const cerebro_outbox_msg_t    *msg;
};


/*
 * POST /2010-04-01/Accounts/{sid}/Messages.json for m (free text, or
 * m->template_sid with m->variables), with StatusCallback set when
 * PUBLIC_URL is.  done() runs later from the event loop, exactly once.
 */
ngx_int_t ngx_cerebro_twilio_send(ngx_http_request_t *r,
    ngx_cerebro_twilio_send_t *s, const cerebro_outbox_msg_t *m);

/*
 * Whether m went out already, from an attempt whose answer was lost:
 * Twilio's latest messages to m->to from our number (GET Messages.json
 * with To, From and PageSize), one with m's words made since m was
 * queued and not failed.  done() runs later with outcome SENT (sid: that
 * message's), ABSENT, or RETRY (no list: Twilio did not answer).
 */
ngx_int_t ngx_cerebro_twilio_find(ngx_http_request_t *r,
    ngx_cerebro_twilio_send_t *s, const cerebro_outbox_msg_t *m);

/* 1 when the account, token and WhatsApp number are all configured. */
ngx_uint_t ngx_cerebro_twilio_configured(ngx_cerebro_main_conf_t *mcf);

/* Appends name=value, form-encoded, with '&' when not first. */
u_char *ngx_cerebro_twilio_form_add(u_char *p, const char *name,
    const char *value, ngx_uint_t first);


#endif /* _NGX_CEREBRO_TWILIO_H_INCLUDED_ */
