
/*
 * The waiting list's offers, made by the jobs run: for each day someone
 * waits for, the day's bookings are read through the store (either
 * backend) and the SQLite file decides, in one transaction, which waiting
 * guests a freed table goes to; each gets a WhatsApp through the outbox
 * ("waitlist_offer"), held for cerebro_waitlist_hold.  A hold that ran out
 * passes to the next guest at the next run.
 */

#ifndef _NGX_CEREBRO_WAITLIST_OFFER_H_INCLUDED_
#define _NGX_CEREBRO_WAITLIST_OFFER_H_INCLUDED_


#include "ngx_cerebro.h"
#include "cerebro_sqlite.h"


/* the days one run looks at, the earliest first */
#define NGX_CEREBRO_WAITLIST_DAYS    8
/* the changed entries one run writes to Airtable's list */
#define NGX_CEREBRO_WAITLIST_MIRROR  5


typedef void (*ngx_cerebro_waitlist_done_pt)(void *data, ngx_uint_t offers);


/*
 * Ends the holds that ran out and makes the offers due now.  NGX_OK:
 * done(data, offers queued) runs later; NGX_DECLINED: nobody waits (or no
 * SQLite file); NGX_ERROR.
 */
ngx_int_t ngx_cerebro_waitlist_run(ngx_http_request_t *r,
    ngx_cerebro_waitlist_done_pt done, void *data);

/*
 * The key of the claim on the table w was offered ("cerebro:wl:<table>:
 * <start>"), which every host takes (SET NX PX hold, Redis or this host's
 * shared memory) before it sends an offer: hosts that keep their lists in
 * files of their own do not offer one table twice.  A NO lets it go.
 */
ngx_int_t ngx_cerebro_waitlist_claim_key(ngx_pool_t *pool,
    const cerebro_waitlist_t *w, ngx_str_t *key);


#endif /* _NGX_CEREBRO_WAITLIST_OFFER_H_INCLUDED_ */
