
/*
 * POST /whatsapp/webhook: Twilio's inbound WhatsApp messages, answered in
 * TwiML within a short budget or later through the outbox.
 */

#ifndef _NGX_CEREBRO_WHATSAPP_H_INCLUDED_
#define _NGX_CEREBRO_WHATSAPP_H_INCLUDED_


#include "ngx_cerebro.h"
#include "ngx_cerebro_channels.h"


/* "cerebro_whatsapp": the location's content handler */
char *ngx_cerebro_whatsapp(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* defaults of the channel's directives */
ngx_int_t ngx_cerebro_whatsapp_init_conf(ngx_conf_t *cf,
    ngx_cerebro_channels_conf_t *ccf);

/*
 * The jobs run's part: messages whose handling did not finish (their
 * worker died) are handled again under r, their replies through the
 * outbox.  NGX_OK: done(data, how many were taken over) follows;
 * NGX_DECLINED: nothing to look at, done is not called.
 */
typedef void (*ngx_cerebro_whatsapp_redone_pt)(void *data,
    ngx_uint_t redone);

ngx_int_t ngx_cerebro_whatsapp_redo(ngx_http_request_t *r,
    ngx_cerebro_whatsapp_redone_pt done, void *data);


#endif /* _NGX_CEREBRO_WHATSAPP_H_INCLUDED_ */
