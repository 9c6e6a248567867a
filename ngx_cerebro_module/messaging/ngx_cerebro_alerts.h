
/*
 * Alerts to a webhook (cerebro_alert_webhook, ALERT_WEBHOOK_URL): Slack-
 * and Discord-compatible JSON when something needs a person, and again
 * when it is over.  The jobs run looks at the host every
 * cerebro_jobs_interval; an alert or its "resolved" is an outbox row of
 * kind "alert", sent and retried by the outbox as any message, so that an
 * alert survives a webhook that is down and a restart.
 *
 *   store_unavailable  the store not serving for cerebro_alert_after (60 s)
 *   redis_down         Redis configured and down for cerebro_alert_after
 *   airtable_paused    Airtable answered 429: the base is paused
 *   outbox_stuck       a WhatsApp message pending for 15 minutes, or one
 *                      failed within the last 15 minutes
 *   twilio_account     Twilio refused the account (20003, 20005, 30002)
 *                      within cerebro_alert_after
 */

#ifndef _NGX_CEREBRO_ALERTS_H_INCLUDED_
#define _NGX_CEREBRO_ALERTS_H_INCLUDED_


#include "ngx_cerebro.h"
#include "ngx_cerebro_outbox.h"


#define NGX_CEREBRO_ALERT_OUTBOX_AGE  900      /* s: pending, or failed */


/* The zone "cerebro_alerts"; from messaging's init_main_conf. */
ngx_int_t ngx_cerebro_alerts_init_conf(ngx_conf_t *cf,
    ngx_cerebro_messaging_conf_t *mscf);

/*
 * Looks at the host and queues what started or ended since the last
 * look; from the jobs run, under its lock (only one look at a time).
 */
void ngx_cerebro_alerts_check(ngx_http_request_t *r);

/* The webhook's path, its credential, for the log's redaction. */
ngx_str_t *ngx_cerebro_alerts_secret(ngx_cycle_t *cycle);

/*
 * One attempt to post the alert row m to the webhook, as the outbox
 * attempts a WhatsApp message: NGX_AGAIN, done(data, result) later;
 * NGX_DECLINED without a webhook; NGX_ERROR.
 */
ngx_int_t ngx_cerebro_alert_attempt(ngx_http_request_t *r,
    cerebro_outbox_msg_t *m, ngx_cerebro_outbox_done_pt done, void *data);


#endif /* _NGX_CEREBRO_ALERTS_H_INCLUDED_ */
