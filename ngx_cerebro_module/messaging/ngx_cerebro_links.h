
/*
 * The guest's manage-my-booking link (core/cerebro_link.c signs it): what
 * the confirmations and reminders carry, PUBLIC_URL + "/r/" + a token
 * good until the end of the booking's day, and the check of a token that
 * comes back (channels/ngx_cerebro_manage.c).  Without
 * CEREBRO_LINK_SECRET or PUBLIC_URL there are no links.
 */

#ifndef _NGX_CEREBRO_LINKS_H_INCLUDED_
#define _NGX_CEREBRO_LINKS_H_INCLUDED_


#include "ngx_cerebro.h"
#include "cerebro_link.h"
#include "cerebro_records.h"


#define NGX_CEREBRO_LINK_PATH  "/r/"


/* links are written: a secret and a public URL */
ngx_uint_t ngx_cerebro_links_on(ngx_http_request_t *r);

/*
 * Appends " <sentence> <url>" for rec to text (NUL-terminated, size
 * bytes) when links are on and it fits; leaves text as it was otherwise.
 */
void ngx_cerebro_link_append(ngx_http_request_t *r,
    const cerebro_reservation_t *rec, char *text, size_t size);

/*
 * The token of a request: its booking id (id_size bytes) and expiry, or
 * why not.  CEREBRO_LINK_ERROR when links are off.
 */
cerebro_link_rc_t ngx_cerebro_link_check(ngx_http_request_t *r,
    ngx_str_t *token, char *id, size_t id_size, int64_t *expires);


#endif /* _NGX_CEREBRO_LINKS_H_INCLUDED_ */
