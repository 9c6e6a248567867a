
/*
 * The outbox's HTTP side: the staff's view and Twilio's status callbacks.
 */

#ifndef _NGX_CEREBRO_OUTBOX_HTTP_H_INCLUDED_
#define _NGX_CEREBRO_OUTBOX_HTTP_H_INCLUDED_


#include "ngx_cerebro.h"


/* directives */
char *ngx_cerebro_outbox(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_cerebro_whatsapp_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#endif /* _NGX_CEREBRO_OUTBOX_HTTP_H_INCLUDED_ */
