
/*
 * Who is calling, from the two reads the store already serves: the guest
 * of the number and the number's upcoming bookings.  The bookings also
 * tell a name when Clientes does not have one, and tell a shared number
 * when they were made in other names than the guest's.
 */

#include "ngx_cerebro_caller.h"


static void ngx_cerebro_caller_read(ngx_cerebro_store_op_t *op);
static void ngx_cerebro_caller_decide(ngx_cerebro_caller_t *caller);


ngx_int_t
ngx_cerebro_caller_start(ngx_cerebro_caller_t *caller)
{
    ngx_cerebro_store_op_t  *op[2];
    ngx_uint_t               i;

    caller->kind = CEREBRO_CALLER_NEW;
    caller->name[0] = '\0';
    caller->preferences[0] = '\0';
    caller->next.start = 0;
    caller->pending = 0;

    if (caller->phone[0] != '+') {
        return NGX_ERROR;
    }

    op[0] = &caller->guest;
    op[1] = &caller->bookings;

    ngx_memzero(op[0], sizeof(ngx_cerebro_store_op_t));
    ngx_memzero(op[1], sizeof(ngx_cerebro_store_op_t));

    op[0]->kind = NGX_CEREBRO_STORE_GUEST_FIND;
    op[1]->kind = NGX_CEREBRO_STORE_BY_PHONE;

    for (i = 0; i < 2; i++) {
        op[i]->request = caller->request;
        op[i]->done = ngx_cerebro_caller_read;
        op[i]->data = caller;
        ngx_memcpy(op[i]->phone, caller->phone, sizeof(op[i]->phone));

        if (ngx_cerebro_store_start(op[i]) != NGX_OK) {
            /* the one started still ends and calls back: it is told */
            return i == 0 ? NGX_ERROR : NGX_OK;
        }

        caller->pending++;
    }

    return NGX_OK;
}


static void
ngx_cerebro_caller_read(ngx_cerebro_store_op_t *op)
{
    ngx_cerebro_caller_t *caller = op->data;

    if (op->error.kind != CEREBRO_STORE_OK) {
        ngx_cerebro_log(NGX_LOG_WARN, op->request->connection->log, 0,
                        "caller %s: %s read failed (%s): %s", caller->phone,
                        op->kind == NGX_CEREBRO_STORE_BY_PHONE
                        ? "bookings" : "guest",
                        cerebro_store_err_name(op->error.kind),
                        op->error.message);
    }

    if (--caller->pending) {
        return;
    }

    ngx_cerebro_caller_decide(caller);

    caller->done(caller);
}


/*
 * One name among the guest records and the active upcoming bookings of
 * the number: KNOWN, with the next of those bookings.  Two names: SHARED,
 * with nothing kept.  A read that failed counts as empty: at worst the
 * assistant asks what it could have known.
 */
static void
ngx_cerebro_caller_decide(ngx_cerebro_caller_t *caller)
{
    int                     i;
    const char             *name;
    cerebro_reservation_t  *b, *next;

    name = NULL;
    next = NULL;

    if (caller->guest.error.kind == CEREBRO_STORE_OK
        && caller->guest.nguests > 0)
    {
        if (caller->guest.names_differ) {
            caller->kind = CEREBRO_CALLER_SHARED;
            return;
        }

        name = caller->guest.guest->name[0] ? caller->guest.guest->name
                                            : NULL;
        caller->kind = CEREBRO_CALLER_KNOWN;
    }

    if (caller->bookings.error.kind == CEREBRO_STORE_OK) {
        for (i = 0; i < caller->bookings.nbookings; i++) {
            b = &caller->bookings.bookings[i];

            if (cerebro_booking_status_from_string(b->status)
                == CEREBRO_BOOKING_CANCELLED
                || b->start < ngx_time())
            {
                continue;
            }

            if (b->client_name[0]) {
                if (name == NULL) {
                    name = b->client_name;

                } else if (!cerebro_rec_same_name(name, b->client_name)) {
                    caller->kind = CEREBRO_CALLER_SHARED;
                    return;
                }
            }

            if (next == NULL || b->start < next->start) {
                next = b;
            }
        }
    }

    if (next != NULL) {
        caller->kind = CEREBRO_CALLER_KNOWN;
        caller->next = *next;
    }

    if (name != NULL) {
        ngx_cpystrn((u_char *) caller->name, (u_char *) name,
                    sizeof(caller->name));
    }

    if (caller->kind == CEREBRO_CALLER_KNOWN
        && caller->guest.error.kind == CEREBRO_STORE_OK
        && caller->guest.nguests > 0)
    {
        ngx_cpystrn((u_char *) caller->preferences,
                    (u_char *) caller->guest.guest->preferences,
                    sizeof(caller->preferences));
    }
}
