/*
 * Names of the store's error kinds and outbox states, and the copy helper
 * both backends use to fill fixed-size record fields.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cerebro_records.h"


const char *
cerebro_store_err_name(cerebro_store_err_t kind)
{
    static const char  *names[] = {
        "ok", "not_found", "conflict", "invalid", "unavailable",
        "rate_limited"
    };

    if ((unsigned) kind >= sizeof(names) / sizeof(names[0])) {
        return "unknown";
    }

    return names[kind];
}


const char *
cerebro_outbox_status_name(cerebro_outbox_status_t status)
{
    static const char  *names[] = { "pending", "sent", "failed" };

    if ((unsigned) status >= sizeof(names) / sizeof(names[0])) {
        return "unknown";
    }

    return names[status];
}


int
cerebro_outbox_status_from_string(const char *s)
{
    int  i;

    for (i = CEREBRO_OUTBOX_PENDING; s != NULL && i <= CEREBRO_OUTBOX_FAILED;
         i++)
    {
        if (strcmp(s, cerebro_outbox_status_name(i)) == 0) {
            return i;
        }
    }

    return -1;
}


cerebro_store_err_t
cerebro_store_error_set(cerebro_store_error_t *e, cerebro_store_err_t kind,
    const char *fmt, ...)
{
    va_list  ap;

    if (e == NULL) {
        return kind;
    }

    e->kind = kind;
    e->broken = 0;
    e->busy = 0;
    e->message[0] = '\0';

    if (fmt != NULL) {
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof(e->message), fmt, ap);
        va_end(ap);
    }

    return kind;
}


int
cerebro_rec_copy(char *dst, size_t size, const char *src)
{
    size_t  len;

    if (size == 0) {
        return src != NULL && src[0] != '\0';
    }

    if (src == NULL) {
        dst[0] = '\0';
        return 0;
    }

    len = strlen(src);

    if (len < size) {
        memcpy(dst, src, len + 1);
        return 0;
    }

    len = size - 1;

    /* back off continuation bytes so that no character is cut in half */
    while (len > 0 && ((unsigned char) src[len] & 0xC0) == 0x80) {
        len--;
    }

    memcpy(dst, src, len);
    dst[len] = '\0';

    return 1;
}


int
cerebro_rec_to_engine(const cerebro_restaurant_t *r,
    const cerebro_reservation_t *recs, int n, cerebro_booking_t *out)
{
    int                 i, k;
    uint64_t            mask;
    cerebro_booking_t  *b;

    k = 0;

    for (i = 0; i < n; i++) {
        if (cerebro_booking_status_from_string(recs[i].status)
            == CEREBRO_BOOKING_CANCELLED)
        {
            continue;
        }

        if (cerebro_engine_tables_for_name(r, recs[i].table, &mask, NULL, 0)
            < 0)
        {
            mask = 0;
        }

        b = &out[k++];
        b->start = recs[i].start;
        b->end = 0;
        b->party = recs[i].pax;
        b->tables = mask;
        b->status = CEREBRO_BOOKING_ACTIVE;
        b->end = cerebro_engine_booking_end(r, b);
    }

    return k;
}
