
/*
 * The guest's manage-my-booking page, /r/<token> (channels/
 * ngx_cerebro_manage.c): see the booking, change its party or time,
 * cancel it, from the link of the confirmation or the reminder.
 */

#ifndef _NGX_CEREBRO_MANAGE_H_INCLUDED_
#define _NGX_CEREBRO_MANAGE_H_INCLUDED_


#include "ngx_cerebro.h"


char *ngx_cerebro_manage(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* _NGX_CEREBRO_MANAGE_H_INCLUDED_ */
