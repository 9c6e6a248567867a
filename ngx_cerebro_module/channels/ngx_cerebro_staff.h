
/*
 * The staff's JSON view of the book: reservations of a day or a guest,
 * booking, moving and cancelling by hand, the tables, the restaurant.
 * Behind the staff's login (channels/ngx_cerebro_auth.c).
 */

#ifndef _NGX_CEREBRO_STAFF_H_INCLUDED_
#define _NGX_CEREBRO_STAFF_H_INCLUDED_


#include "ngx_cerebro.h"


char *ngx_cerebro_reservations(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_cerebro_tables(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_cerebro_staff_restaurant(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_cerebro_staff_calls(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_cerebro_staff_waitlist(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#endif /* _NGX_CEREBRO_STAFF_H_INCLUDED_ */
