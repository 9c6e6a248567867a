
/*
 * Outgoing WhatsApp that is never lost: every message is first written to
 * the outbox (a table of the SQLite file, whatever the store backend), and
 * marked sent only when Twilio answered 201 with a sid.  Retries, the
 * 24-hour-window template fallback, delivery statuses and the
 * confirmations of bookings live here; their HTTP side in
 * channels/ngx_cerebro_outbox_http.c.
 */

#ifndef _NGX_CEREBRO_OUTBOX_H_INCLUDED_
#define _NGX_CEREBRO_OUTBOX_H_INCLUDED_


#include "ngx_cerebro.h"
#include "cerebro_records.h"
#include "cerebro_sentence.h"
#include "ngx_cerebro_messaging.h"


/* a change to a booking as the tool that made it hands it over, once */
typedef struct {
    cerebro_change_kind_t          kind;
    const cerebro_reservation_t   *reservation;    /* as it stands now */
    const char                    *phone;          /* E.164, or "" */
    const cerebro_notice_t        *notice;         /* the store's write
                                                      queued it, or NULL */
} ngx_cerebro_change_t;


/*
 * Queues body for to_e164 ("+34600111222") durably and starts a send
 * attempt as a background subrequest of r (the main request).  kind is
 * "confirmation", "reminder", "reply"...; dedupe_key (may be NULL) makes a
 * repeat a no-op; reservation_id may be NULL.  NGX_OK once the message is
 * in the outbox (or was already, or the number opted out); NGX_ERROR when
 * it could not be stored.
 */
ngx_int_t ngx_cerebro_outbox_send(ngx_http_request_t *r, const char *to_e164,
    const char *body, const char *kind, const char *dedupe_key,
    const char *reservation_id);

/*
 * After a booking was made, changed or cancelled: queues the Spanish
 * confirmation to change->phone, once per reservation, kind and start
 * (the dedupe key), as a background subrequest of r.  Errors are logged,
 * never returned: the booking stands.
 */
void ngx_cerebro_outbox_confirm(ngx_http_request_t *r,
    const ngx_cerebro_change_t *change);

/*
 * The confirmation of a change of kind, for the store to queue in the
 * transaction of its write (op->notice), so that no booking stands
 * without it; phone is the caller's, for a booking without one.  Hand it
 * back in change->notice.  NULL: no memory (then confirm queues it after).
 */
cerebro_notice_t *ngx_cerebro_outbox_notice(ngx_http_request_t *r,
    cerebro_change_kind_t kind, const char *phone);

/*
 * For the jobs run, on a store whose writes cannot queue their notice
 * (Airtable): the bookings of our making created in the last hour, still
 * to come, that have no confirmation in this host's outbox (their worker
 * died between the write and the row) get it now, with the same dedupe
 * key.  At most once every `every` per worker.  NGX_OK: done(data, how
 * many were queued) runs later; NGX_DECLINED: not now; NGX_ERROR.
 */
#define NGX_CEREBRO_OUTBOX_RECONCILE_AGE     3600
#define NGX_CEREBRO_OUTBOX_RECONCILE_MARGIN  10

typedef void (*ngx_cerebro_outbox_found_pt)(void *data, ngx_uint_t queued);

ngx_int_t ngx_cerebro_outbox_reconcile(ngx_http_request_t *r,
    ngx_msec_t every, ngx_cerebro_outbox_found_pt done, void *data);

/*
 * The reservation the latest reminder sent to phone (E.164) was about,
 * within the last max_age seconds: how a "CANCELAR" reply finds its
 * booking.  NGX_OK with id filled (id_size bytes, NUL-terminated),
 * NGX_DECLINED when there is none.
 */
ngx_int_t ngx_cerebro_outbox_reminded(ngx_http_request_t *r,
    const char *phone, time_t max_age, char *id, size_t id_size);


/* for the jobs run and the reminders */

#define NGX_CEREBRO_OUTBOX_SENT     0
#define NGX_CEREBRO_OUTBOX_RETRY    1
#define NGX_CEREBRO_OUTBOX_FAILED   2

typedef struct ngx_cerebro_outbox_attempt_s  ngx_cerebro_outbox_attempt_t;

typedef void (*ngx_cerebro_outbox_done_pt)(void *data, ngx_uint_t result);

/*
 * Writes m (to, body or template, kind, dedupe_key, reservation_id) into
 * the outbox, due now or, with lease, after the first attempt's lease;
 * m gets the stored row.  A number that opted out gets its message
 * marked failed at once.  *duplicate = 1 when the dedupe key was queued
 * before (m is then that row).
 */
ngx_int_t ngx_cerebro_outbox_enqueue(ngx_http_request_t *r,
    cerebro_outbox_msg_t *m, ngx_uint_t lease, ngx_uint_t *duplicate);

/*
 * Seconds to the next attempt of m after one that may be retried (at
 * least retry_after ms, when the other side asked); 0: give up.
 */
time_t ngx_cerebro_outbox_backoff(ngx_cerebro_messaging_conf_t *mscf,
    const cerebro_outbox_msg_t *m, ngx_msec_t retry_after);

/*
 * One attempt to send the pending row m as a background subrequest of the
 * main request r.  NGX_AGAIN: done(data, NGX_CEREBRO_OUTBOX_*) runs later
 * (done may be NULL); NGX_DECLINED: nothing to do now (Twilio not
 * configured, or the number opted out, which marks it failed); NGX_ERROR.
 */
ngx_int_t ngx_cerebro_outbox_attempt(ngx_http_request_t *r,
    cerebro_outbox_msg_t *m, ngx_cerebro_outbox_done_pt done, void *data);


/*
 * An attempt for each message due now, max at the most (the jobs run's
 * batch): *due says how many were due; *started counts those that went
 * out (done(data, NGX_CEREBRO_OUTBOX_*) runs later for each), *declined
 * those dropped (opted out since they were queued).  NGX_DECLINED: none
 * can go now (no outbox, or Twilio not configured: they wait); NGX_ERROR.
 */
ngx_int_t ngx_cerebro_outbox_send_due(ngx_http_request_t *r, ngx_uint_t max,
    ngx_cerebro_outbox_done_pt done, void *data, ngx_uint_t *due,
    ngx_uint_t *started, ngx_uint_t *declined);

/*
 * Twilio's status callback for sid: recorded (callbacks may come out of
 * order, a status never goes back) and, on 63016, the message resent as
 * the template.  NGX_OK; NGX_DECLINED for a status we do not know
 * (acknowledged, not recorded); NGX_BUSY without an outbox; NGX_ERROR
 * when it was not recorded (Twilio retries); NGX_ABORT out of memory.
 */
ngx_int_t ngx_cerebro_outbox_status(ngx_http_request_t *r, const char *sid,
    const char *status, const char *code);



#endif /* _NGX_CEREBRO_OUTBOX_H_INCLUDED_ */
