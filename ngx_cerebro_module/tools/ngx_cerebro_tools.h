
/*
 * What a guest can ask, written once for the voice and WhatsApp channels:
 * check_availability, create_reservation, find_reservations,
 * modify_reservation, cancel_reservation, get_restaurant_info,
 * transfer_to_human.  Every answer is one line of Spanish the assistant can
 * say as it is, with the weekday and the date read back.
 */

#ifndef _NGX_CEREBRO_TOOLS_H_INCLUDED_
#define _NGX_CEREBRO_TOOLS_H_INCLUDED_


#include <cjson/cJSON.h>

#include "ngx_cerebro.h"
#include "ngx_cerebro_tools_conf.h"
#include "ngx_cerebro_store.h"
#include "ngx_cerebro_caller.h"
#include "cerebro_tools.h"


typedef struct ngx_cerebro_tool_s  ngx_cerebro_tool_t;

typedef void (*ngx_cerebro_tool_done_pt)(ngx_cerebro_tool_t *tool);


/* what a tool did, for the call log and the confirmations */
#define NGX_CEREBRO_TOOL_BOOKED      0x01
#define NGX_CEREBRO_TOOL_CHANGED     0x02
#define NGX_CEREBRO_TOOL_CANCELLED   0x04
#define NGX_CEREBRO_TOOL_HANDOVER    0x08


struct ngx_cerebro_tool_s {
    /* the caller's */
    ngx_http_request_t        *request;
    ngx_str_t                  name;
    cJSON                     *args;          /* an object; may be NULL */
    char                       caller[CEREBRO_REC_PHONE_LEN];  /* E.164 */
    char                       call_id[CEREBRO_REC_CALL_ID_LEN];
    const char                *source;        /* "voice", "whatsapp" */
    ngx_cerebro_tool_done_pt   done;
    void                      *data;

    /* the outcome */
    cerebro_tool_id_t          id;            /* of name */
    ngx_str_t                  text;          /* one line of Spanish */
    ngx_uint_t                 failed;        /* text is an error */
    ngx_uint_t                 did;           /* NGX_CEREBRO_TOOL_* */
    cerebro_reservation_t      reservation;   /* booked/changed/cancelled */

    /* private */
    ngx_cerebro_store_op_t     op;
    ngx_cerebro_store_op_t     days[3];       /* the day before, of, after */
    ngx_cerebro_store_op_t     guest;         /* Clientes, after a booking */
    ngx_cerebro_caller_t      *who;           /* a booking with no name:
                                                 the caller's own */
    ngx_uint_t                 pending;
    unsigned                   extended:1;    /* op: the following days */
    cerebro_booking_t         *engine;        /* the days, as the engine */
    int                        nengine;       /* reads them, sorted */
    cerebro_request_t          want;          /* date, minutes, party */
    cerebro_request_t          move_to;
    unsigned                   has_date:1;
    unsigned                   has_time:1;
    unsigned                   has_new_time:1;
    unsigned                   finished:1;
    unsigned                   asked_who:1;
    unsigned                   unconfirmed:1; /* a create not read back:
                                                 its answer is for the
                                                 assistant, not the guest */
    unsigned                   late:1;        /* the channel answered
                                                 without it: a booking's
                                                 outcome goes by WhatsApp */
    ngx_msec_t                 started;
    char                       location[CEREBRO_NAME_LEN];
    char                       name_arg[CEREBRO_REC_NAME_LEN];
    char                       notes[CEREBRO_REC_NOTES_LEN];
    char                       preferences[CEREBRO_REC_PREFS_LEN];
    ngx_event_t                wakeup;
};


/*
 * Starts the tool, zeroed and then filled by its caller; done() runs later
 * from the event loop, exactly once.
 */
ngx_int_t ngx_cerebro_tool_start(ngx_cerebro_tool_t *tool);

/*
 * Whether a call of the tool named writes (a retry must get the first
 * call's answer and run nothing), and what it may change
 * (NGX_CEREBRO_TOOL_*): 0 for a tool that does not exist.
 */
ngx_uint_t ngx_cerebro_tool_writes(ngx_str_t *name);
ngx_uint_t ngx_cerebro_tool_changes(ngx_str_t *name);

typedef enum {
    NGX_CEREBRO_SCHEMA_STRICT = 0,    /* OpenAI's Structured Outputs */
    NGX_CEREBRO_SCHEMA_VAPI           /* VAPI's JsonSchema */
} ngx_cerebro_schema_e;

/* The tools' "function" tools, as the form wants them. */
cJSON *ngx_cerebro_tools_schema(ngx_cerebro_schema_e form);

/*
 * Reads that make the next tool calls of a call answer from the cache: the
 * books of today and the next two days.  Results are dropped; the request
 * is kept until they are in.
 */
ngx_int_t ngx_cerebro_tools_warm(ngx_http_request_t *r, const char *caller);

/* "viernes 28 de noviembre de 2026", today in the restaurant's zone. */
void ngx_cerebro_tools_today(const cerebro_restaurant_t *model,
    cerebro_date_t *today, int *minutes_now);


#endif /* _NGX_CEREBRO_TOOLS_H_INCLUDED_ */
