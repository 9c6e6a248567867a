
/*
 * A guest's answer on WhatsApp to a waiting-list offer, before either
 * brain reads it: "SÍ" books the table held for them through
 * create_reservation (the store's create, the engine deciding again),
 * "NO" passes it to the next guest.  BAJA DE LA LISTA takes the guest off
 * the list.
 */

#ifndef _NGX_CEREBRO_WAITLIST_H_INCLUDED_
#define _NGX_CEREBRO_WAITLIST_H_INCLUDED_


#include "ngx_cerebro.h"
#include "ngx_cerebro_dialogue.h"


/*
 * When brain->phone holds an offer and intent is YES or NO: answers it,
 * brain->done() later (NGX_OK).  NGX_DECLINED: no offer, or another
 * message: the usual brain answers.  NGX_ERROR.
 */
ngx_int_t ngx_cerebro_waitlist_answer(ngx_cerebro_brain_t *brain,
    cerebro_dlg_intent_t intent);

/*
 * BAJA DE LA LISTA (and STOP): every entry of phone leaves the list.
 * NGX_OK with *n the entries taken off; NGX_ERROR when not stored.
 */
ngx_int_t ngx_cerebro_waitlist_leave(ngx_http_request_t *r,
    const char *phone, ngx_uint_t *n);


#endif /* _NGX_CEREBRO_WAITLIST_H_INCLUDED_ */
