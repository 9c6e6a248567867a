/*
 * Names of the store's error kinds and outbox states, the copy helper
 * both backends use to fill fixed-size record fields, and the rules of a
 * booking every backend applies: the decision and who keeps a table when
 * writers raced.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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


void
cerebro_rec_engine_booking(const cerebro_restaurant_t *r, int64_t start,
    int pax, const char *table, const char *status, cerebro_booking_t *b)
{
    uint64_t  mask;

    /* a table name the model no longer knows still counts covers */
    if (cerebro_engine_tables_for_name(r, table, &mask, NULL, 0) < 0) {
        mask = 0;
    }

    b->start = start;
    b->end = 0;
    b->party = pax;
    b->tables = mask;
    b->status = cerebro_booking_status_from_string(status);
    b->end = cerebro_engine_booking_end(r, b);
}


static void
cerebro_rec_engine_one(const cerebro_restaurant_t *r,
    const cerebro_reservation_t *rec, cerebro_booking_t *b)
{
    cerebro_rec_engine_booking(r, rec->start, rec->pax, rec->table,
                               rec->status, b);
}


int
cerebro_rec_to_engine(const cerebro_restaurant_t *r,
    const cerebro_reservation_t *recs, int n, const char *exclude,
    cerebro_booking_t *out)
{
    int  i, k;

    k = 0;

    for (i = 0; i < n; i++) {
        if (cerebro_booking_status_from_string(recs[i].status)
            == CEREBRO_BOOKING_CANCELLED
            || (exclude && exclude[0] && strcmp(recs[i].id, exclude) == 0))
        {
            continue;
        }

        cerebro_rec_engine_one(r, &recs[i], &out[k++]);
    }

    return k;
}


cerebro_store_err_t
cerebro_rec_decide(const cerebro_restaurant_t *r, const cerebro_booking_t *b,
    int n, int64_t now, const cerebro_request_t *want,
    cerebro_answer_t *answer, cerebro_store_error_t *e)
{
    cerebro_engine_query(r, b, n, now, want, answer);

    switch (answer->reason) {

    case CEREBRO_AVAIL_OK:
        return cerebro_store_error_set(e, CEREBRO_STORE_OK, "booking: ok");

    case CEREBRO_AVAIL_INVALID:
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "booking: bad date, time or party");

    default:
        return cerebro_store_error_set(e, CEREBRO_STORE_CONFLICT,
                                       "booking: slot not available (%s), "
                                       "%d alternatives",
                                       cerebro_reason_name(answer->reason),
                                       answer->nalts);
    }
}


/* the order in which the store put them there */
static int
cerebro_rec_before(const cerebro_reservation_t *a,
    const cerebro_reservation_t *b)
{
    if (a->written_ms != b->written_ms) {
        return a->written_ms < b->written_ms;
    }

    return strcmp(a->id, b->id) < 0;
}


/* cancelled, or the booking a move replaces: it holds nothing */
static int
cerebro_rec_out(const cerebro_reservation_t *x, const char *exclude)
{
    return cerebro_booking_status_from_string(x->status)
           == CEREBRO_BOOKING_CANCELLED
           || (exclude && exclude[0] && strcmp(x->id, exclude) == 0);
}


/* the quarter hour whose covers pacing counts, as the engine does */
static int64_t
cerebro_rec_quarter(int64_t start)
{
    return (start >= 0 ? start : start - 899) / 900;
}


int
cerebro_rec_stands(const cerebro_restaurant_t *r,
    const cerebro_reservation_t *recs, int n, const char *id,
    const char *exclude)
{
    int                           i, j, k, mine, nkept, blocked, covers;
    int                          *order, *kept;
    cerebro_booking_t            *bk, me, other;
    const cerebro_reservation_t  *x;

    mine = -1;

    for (i = 0; i < n; i++) {
        if (strcmp(recs[i].id, id) == 0 && !cerebro_rec_out(&recs[i], exclude))
        {
            mine = i;
        }
    }

    if (mine < 0) {
        return -1;
    }

    order = malloc(2 * (size_t) n * sizeof(int));
    bk = malloc((size_t) n * sizeof(cerebro_booking_t));

    if (order == NULL || bk == NULL) {
        free(order);
        free(bk);
        /* no memory to tell: the safe side is to give the place up */
        return 0;
    }

    kept = order + n;
    k = 0;

    /* the active ones, in the store's order (insertion: n is one day) */
    for (i = 0; i < n; i++) {
        if (cerebro_rec_out(&recs[i], exclude)) {
            continue;
        }

        for (j = k;
             j > 0 && cerebro_rec_before(&recs[i], &recs[order[j - 1]]);
             j--)
        {
            order[j] = order[j - 1];
        }

        order[j] = i;
        cerebro_rec_engine_one(r, &recs[i], &bk[i]);
        k++;
    }

    nkept = 0;
    blocked = 0;

    for (i = 0; i < k; i++) {
        me = bk[order[i]];
        x = &recs[order[i]];
        blocked = 0;
        covers = me.party;

        for (j = 0; j < nkept; j++) {
            other = bk[kept[j]];

            if (me.tables && (other.tables & me.tables)
                && other.start < me.end && me.start < other.end)
            {
                blocked = 1;
                break;
            }

            if (cerebro_rec_quarter(other.start)
                == cerebro_rec_quarter(me.start))
            {
                covers += other.party;
            }
        }

        /* the covers of its quarter hour, kept before it, and its own */
        if (r->pacing_covers > 0 && covers > r->pacing_covers) {
            blocked = 1;
        }

        if (x == &recs[mine]) {
            break;
        }

        if (!blocked) {
            kept[nkept++] = order[i];
        }
    }

    free(order);
    free(bk);

    return !blocked;
}


int
cerebro_rec_first_of_guest(const cerebro_reservation_t *recs, int n,
    const char *phone, int64_t start)
{
    int  i, first;

    first = -1;

    for (i = 0; phone && phone[0] && i < n; i++) {
        if (recs[i].start != start
            || strcmp(recs[i].client_phone, phone) != 0
            || cerebro_booking_status_from_string(recs[i].status)
               == CEREBRO_BOOKING_CANCELLED)
        {
            continue;
        }

        if (first < 0 || cerebro_rec_before(&recs[i], &recs[first])) {
            first = i;
        }
    }

    return first;
}


int
cerebro_rec_prefs_add(char *list, size_t size, const char *item)
{
    size_t       have, add, n;
    const char  *p, *end;

    add = strlen(item);

    if (add == 0 || strchr(item, ';') != NULL) {
        return -1;
    }

    for (p = list; *p; p = *end ? end + 1 : end) {
        while (*p == ' ') {
            p++;
        }

        end = strchr(p, ';');
        if (end == NULL) {
            end = p + strlen(p);
        }

        n = (size_t) (end - p);
        while (n > 0 && p[n - 1] == ' ') {
            n--;
        }

        if (n == add && strncasecmp(p, item, add) == 0) {
            return 0;
        }
    }

    have = strlen(list);

    if (have + (have ? 2 : 0) + add >= size) {
        return -1;
    }

    if (have) {
        memcpy(list + have, "; ", 2);
        have += 2;
    }

    memcpy(list + have, item, add + 1);

    return 1;
}


int
cerebro_rec_same_name(const char *a, const char *b)
{
    size_t  la, lb;

    while (*a == ' ') {
        a++;
    }

    while (*b == ' ') {
        b++;
    }

    la = strlen(a);
    lb = strlen(b);

    while (la && a[la - 1] == ' ') {
        la--;
    }

    while (lb && b[lb - 1] == ' ') {
        lb--;
    }

    /* ASCII case only: "ÍÑIGO" and "íñigo" stay two spellings */
    return la == lb && strncasecmp(a, b, la) == 0;
}
