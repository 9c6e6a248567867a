
/*
 * The WhatsApp brain as the channel sees it: one guest message in, one
 * reply out, whichever brain answers — the OpenAI agents
 * (ngx_cerebro_agents.h) or the rule-based Spanish dialogue here, which is
 * the embedded default and the fallback whenever OpenAI fails.
 */

#ifndef _NGX_CEREBRO_DIALOGUE_H_INCLUDED_
#define _NGX_CEREBRO_DIALOGUE_H_INCLUDED_


#include <cjson/cJSON.h>

#include "ngx_cerebro.h"
#include "ngx_cerebro_tools.h"
#include "cerebro_dialogue.h"


typedef struct ngx_cerebro_brain_s  ngx_cerebro_brain_t;

typedef void (*ngx_cerebro_brain_done_pt)(ngx_cerebro_brain_t *brain);


struct ngx_cerebro_brain_s {
    /* the caller's */
    ngx_http_request_t          *request;       /* the main request */
    char                         phone[CEREBRO_REC_PHONE_LEN];   /* E.164 */
    char                         message_id[CEREBRO_REC_CALL_ID_LEN];
    ngx_str_t                    text;          /* NUL-terminated */
    cJSON                       *memory;        /* the conversation, an
                                                   object, updated here:
                                                   "dialogue", "history" */
    ngx_msec_t                   deadline;      /* ngx_current_msec */
    ngx_cerebro_brain_done_pt    done;
    void                        *data;

    /* the outcome */
    ngx_str_t                    reply;         /* never empty */
    ngx_uint_t                   did;           /* NGX_CEREBRO_TOOL_* */
    const char                  *by;            /* "rules", "openai" */
    const char                  *intent;

    /* private */
    ngx_cerebro_tool_t           tool;
    cerebro_dlg_step_t           step;
    cerebro_dlg_state_t          state;
    ngx_event_t                  wakeup;
    void                        *agents;
    unsigned                     finished:1;
};


/* Before either brain starts: its wakeup event and pool cleanup. */
ngx_int_t ngx_cerebro_brain_init(ngx_cerebro_brain_t *brain);

/* The rule-based dialogue; done() runs later from the event loop, once. */
ngx_int_t ngx_cerebro_dialogue_start(ngx_cerebro_brain_t *brain);

/* Ends the brain with brain->reply set: posts done(). */
void ngx_cerebro_brain_finish(ngx_cerebro_brain_t *brain);

/* A reply from a C string, copied into the request's pool. */
ngx_int_t ngx_cerebro_brain_reply(ngx_cerebro_brain_t *brain,
    const char *text, size_t len);


#endif /* _NGX_CEREBRO_DIALOGUE_H_INCLUDED_ */
