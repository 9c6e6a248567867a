
/*
 * Reminders: on the morning of a booking (cerebro_reminder_hour in the
 * restaurant's zone, cerebro_reminder_days_before earlier if set), one
 * WhatsApp message per booking that ends "Responda CANCELAR para anular."
 * (and the booking's link, when links are on); with
 * cerebro_reminder_second, another that many hours before the booking.
 */

#ifndef _NGX_CEREBRO_REMINDERS_H_INCLUDED_
#define _NGX_CEREBRO_REMINDERS_H_INCLUDED_


#include "ngx_cerebro.h"


/* a booking made this close to its time got its confirmation just now */
#define NGX_CEREBRO_REMINDER_MIN_LEAD  (12 * 60 * 60)


typedef void (*ngx_cerebro_reminders_done_pt)(void *data, ngx_uint_t queued);


/*
 * Queues the reminders due now, the morning's and the second (the
 * outbox's dedupe key makes each once per booking and start).  NGX_OK:
 * done(data, how many were new) runs later; NGX_DECLINED: before the
 * hour and no second reminder, nothing to do; NGX_ERROR.
 */
ngx_int_t ngx_cerebro_reminders_run(ngx_http_request_t *r,
    ngx_cerebro_reminders_done_pt done, void *data);


#endif /* _NGX_CEREBRO_REMINDERS_H_INCLUDED_ */
