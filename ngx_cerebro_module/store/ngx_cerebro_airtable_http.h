
/*
 * One exchange with a table of the Airtable base, and its error policy,
 * for the Airtable backend's steps (ngx_cerebro_airtable.c): a request
 * passes the host-wide limiter, then the subrequest client, then
 *
 *   2xx              the step, with the parsed JSON
 *   429              the base is paused for every worker; RATE_LIMITED
 *   5xx, no answer   retried with capped, jittered backoff (a timer)
 *                    while the deadline allows; UNAVAILABLE (a create is
 *                    never retried: it may have landed, see unsafe)
 *   other 4xx        the step, which may recover (an unknown field, a
 *                    missing optional table) or end with
 *                    ngx_cerebro_at_http_fail()
 *
 * A list follows Airtable's offset from page to page, each page one more
 * request through the limiter.  The exchange knows nothing of what the
 * records mean; its owner's steps do.
 */

#ifndef _NGX_CEREBRO_AIRTABLE_HTTP_H_INCLUDED_
#define _NGX_CEREBRO_AIRTABLE_HTTP_H_INCLUDED_


#include <cjson/cJSON.h>

#include "ngx_cerebro_store.h"
#include "ngx_cerebro_upstream.h"
#include "ngx_cerebro_limiter.h"
#include "cerebro_records.h"


#define NGX_CEREBRO_AT_TYPE_LEN        64
#define NGX_CEREBRO_AT_MSG_LEN         160


typedef struct ngx_cerebro_at_http_s  ngx_cerebro_at_http_t;

typedef void (*ngx_cerebro_at_http_step_pt)(ngx_cerebro_at_http_t *x,
    ngx_uint_t status, cJSON *json);
typedef void (*ngx_cerebro_at_http_next_pt)(ngx_cerebro_at_http_t *x);

/*
 * One record of a list page: NGX_OK, NGX_DONE when the owner keeps no
 * more (the rest is not read), NGX_ERROR on no memory.
 */
typedef ngx_int_t (*ngx_cerebro_at_http_map_pt)(ngx_cerebro_at_http_t *x,
    cJSON *rec);


struct ngx_cerebro_at_http_s {
    /* the owner's, set by ngx_cerebro_at_http_init() */
    ngx_http_request_t            *r;
    ngx_cerebro_main_conf_t       *mcf;
    ngx_cerebro_store_conf_t      *scf;
    ngx_cerebro_limiter_t         *limiter;        /* the net layer's */
    ngx_log_t                     *log;
    ngx_msec_t                     deadline;       /* ngx_current_msec */
    cerebro_store_error_t         *error;          /* the outcome */
    ngx_cerebro_at_http_next_pt    done;           /* runs once, at the end */
    void                          *data;

    /* the owner's, optional */
    ngx_msec_t                     pause;          /* after a 429; 0: the
                                                      default */
    ngx_uint_t                     per_second;     /* the base's rate; 0:
                                                      the default */
    ngx_cerebro_at_http_next_pt    unsent;         /* an unsafe exchange
                                                      refused unsent */
    ngx_cerebro_at_http_next_pt    unknown;        /* one answered 5xx or
                                                      not at all: it may
                                                      have landed */

    /* the exchange under way */
    ngx_uint_t                     method;
    const char                    *table;
    ngx_str_t                      path;
    ngx_str_t                      args;
    ngx_str_t                      body;
    ngx_str_t                      offset;         /* list paging */
    ngx_cerebro_at_http_step_pt    step;
    ngx_uint_t                     attempts;
    ngx_cerebro_call_t            *call;
    ngx_cerebro_rate_t             rate;
    ngx_event_t                    timer;
    ngx_cerebro_at_http_next_pt    timer_next;
    char                           last_error[NGX_CEREBRO_AT_MSG_LEN];

    /* a list being gathered */
    ngx_cerebro_at_http_map_pt     map;
    ngx_cerebro_at_http_next_pt    list_done;

    /*
     * unsafe: a create, which is never sent again blindly: refused before
     * anything was sent, unsent() runs instead (the owner reads whether
     * it landed); answered 5xx or not at all, maybe_written is set and
     * unknown() runs while the deadline allows (the owner reads by the
     * booking's key), else the exchange ends UNAVAILABLE: the record may
     * still appear.
     */
    unsigned                       unsafe:1;
    unsigned                       maybe_written:1;
    unsigned                       record:1;       /* .../<table>/<id> */
    unsigned                       broken:1;       /* refused for good */
    unsigned                       finished:1;
    unsigned                       holds:1;        /* a count of r */
};


/*
 * Binds x to r for one store operation until ngx_cerebro_at_http_finish()
 * (or r's end): deadline 0 is cerebro_store_timeout's; the outcome goes to
 * error, then done() runs.  The main request is held meanwhile, so that
 * an operation outlives a caller that answered without waiting for it.
 */
ngx_int_t ngx_cerebro_at_http_init(ngx_cerebro_at_http_t *x,
    ngx_http_request_t *r, ngx_msec_t deadline, cerebro_store_error_t *error,
    ngx_cerebro_at_http_next_pt done, void *data);

/*
 * Sets up one exchange with /v0/<base>/<table>[/<id>], safe (unsafe
 * cleared); args and body are kept by reference: they must live in the
 * pool.  ngx_cerebro_at_http_send() starts it.
 */
ngx_int_t ngx_cerebro_at_http_request(ngx_cerebro_at_http_t *x,
    ngx_uint_t method, const char *table, const char *id, ngx_str_t *args,
    ngx_str_t *body, ngx_cerebro_at_http_step_pt step);
void ngx_cerebro_at_http_send(ngx_cerebro_at_http_t *x);

/*
 * Every page of table (filtered by formula, NULL for all), each record to
 * map(), then done().
 */
ngx_int_t ngx_cerebro_at_http_list(ngx_cerebro_at_http_t *x,
    const char *table, ngx_str_t *formula, ngx_cerebro_at_http_map_pt map,
    ngx_cerebro_at_http_next_pt done);

/* Ends with the default meaning of an answer that is not a success. */
void ngx_cerebro_at_http_fail(ngx_cerebro_at_http_t *x, ngx_uint_t status,
    cJSON *json);

/*
 * Ends the operation once: the outcome in x->error, the owner's done(),
 * /health told, the main request let go.  x may be gone afterwards.
 */
void ngx_cerebro_at_http_finish(ngx_cerebro_at_http_t *x,
    cerebro_store_err_t kind, const char *fmt, ...);
void ngx_cerebro_at_http_vfinish(ngx_cerebro_at_http_t *x,
    cerebro_store_err_t kind, const char *fmt, va_list args);

/* What is left of the deadline, 0 once passed. */
ngx_msec_t ngx_cerebro_at_http_left(ngx_cerebro_at_http_t *x);


/* Airtable's error body, whichever of its shapes it came in. */
typedef struct {
    char   type[NGX_CEREBRO_AT_TYPE_LEN];      /* "NOT_FOUND", ... */
    char   message[NGX_CEREBRO_AT_MSG_LEN];
} ngx_cerebro_at_error_t;


/* {"error":"X"}, {"error":{"type","message"}}, {"errors":[{"error",...}]} */
void ngx_cerebro_at_parse_error(cJSON *json, ngx_cerebro_at_error_t *err);


#endif /* _NGX_CEREBRO_AIRTABLE_HTTP_H_INCLUDED_ */
