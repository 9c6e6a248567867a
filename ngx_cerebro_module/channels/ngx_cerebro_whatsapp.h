
/*
 * POST /whatsapp/webhook: Twilio's inbound WhatsApp messages, answered in
 * TwiML within a short budget or later through the outbox.
 */

#ifndef _NGX_CEREBRO_WHATSAPP_H_INCLUDED_
#define _NGX_CEREBRO_WHATSAPP_H_INCLUDED_


#include "ngx_cerebro.h"


/* "cerebro_whatsapp": the location's content handler */
char *ngx_cerebro_whatsapp(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* defaults of the channel's directives; the agents' prompts */
ngx_int_t ngx_cerebro_whatsapp_init_conf(ngx_conf_t *cf,
    ngx_cerebro_main_conf_t *mcf);


#endif /* _NGX_CEREBRO_WHATSAPP_H_INCLUDED_ */
