/*
 * The waiting list: guests who asked for a full slot, and the offers of a
 * table that freed up.  The row's status is the claim on an offer: an
 * offer is decided and marked in one BEGIN IMMEDIATE transaction that
 * sees the offers held by every other writer of the file.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerebro_sqlite_int.h"


/* the waiting entries of one day one offer run looks at */
#define WL_DAY_MAX   64
/* the times of a window tried, a quarter of an hour apart */
#define WL_STEP      15


/*
 * A change's time, later than the last one's even within a second: the
 * mirror to Airtable tells a change from the one it wrote by it.
 */
#define WL_NEXT(now)  "max(" now ", updated + 1)"


#define WL_COLS  "id, name, phone, day, time_from, time_to, pax, until," \
                 " status, offer_start, offer_table, hold_until," \
                 " reservation_id, created, updated"


static const cerebro_sqlite_sql_t  sql_wl_insert = { ST_WL_INSERT,
    "INSERT INTO waitlist (name, phone, day, time_from, time_to, pax,"
    " until, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)" };

static const cerebro_sqlite_sql_t  sql_wl_same = { ST_WL_SAME,
    "SELECT " WL_COLS " FROM waitlist WHERE phone = ?1 AND day = ?2"
    " AND time_from = ?3 AND time_to = ?4"
    " AND status IN ('waiting', 'offered') ORDER BY id LIMIT 1" };

static const cerebro_sqlite_sql_t  sql_wl_pass = { ST_WL_PASS,
    "UPDATE waitlist SET status = 'passed', updated = " WL_NEXT("?1")
    " WHERE status = 'offered' AND hold_until <= ?1" };

static const cerebro_sqlite_sql_t  sql_wl_expire = { ST_WL_EXPIRE,
    "UPDATE waitlist SET status = 'expired', updated = " WL_NEXT("?1")
    " WHERE status = 'waiting' AND until < ?1 + ?2" };

static const cerebro_sqlite_sql_t  sql_wl_days = { ST_WL_DAYS,
    "SELECT DISTINCT day FROM waitlist WHERE status = 'waiting'"
    " ORDER BY day LIMIT ?1" };

/* the day's offers held and its waiting entries, in the order served */
static const cerebro_sqlite_sql_t  sql_wl_of_day = { ST_WL_OF_DAY,
    "SELECT " WL_COLS " FROM waitlist WHERE day = ?1"
    " AND (status = 'waiting' OR (status = 'offered' AND hold_until > ?2))"
    " ORDER BY status = 'waiting', id LIMIT ?3" };

static const cerebro_sqlite_sql_t  sql_wl_mark = { ST_WL_MARK,
    "UPDATE waitlist SET status = 'offered', offer_start = ?2,"
    " offer_table = ?3, hold_until = ?4, updated = " WL_NEXT("?5")
    " WHERE id = ?1 AND status = 'waiting'" };

static const cerebro_sqlite_sql_t  sql_wl_offered = { ST_WL_OFFERED,
    "SELECT " WL_COLS " FROM waitlist WHERE phone = ?1"
    " AND status = 'offered' AND hold_until > ?2 ORDER BY id LIMIT 1" };

static const cerebro_sqlite_sql_t  sql_wl_answer = { ST_WL_ANSWER,
    "UPDATE waitlist SET status = ?2, reservation_id = ?3,"
    " updated = " WL_NEXT("?4") ","
    " hold_until = CASE WHEN ?2 = 'waiting' THEN 0 ELSE hold_until END"
    " WHERE id = ?1 AND status = 'offered'" };

static const cerebro_sqlite_sql_t  sql_wl_leave = { ST_WL_LEAVE,
    "UPDATE waitlist SET status = 'left', updated = " WL_NEXT("?2")
    " WHERE phone = ?1 AND status IN ('waiting', 'offered')" };

static const cerebro_sqlite_sql_t  sql_wl_unmirrored = { ST_WL_UNMIRRORED,
    "SELECT " WL_COLS " FROM waitlist WHERE mirrored != updated"
    " ORDER BY updated, id LIMIT ?1" };

static const cerebro_sqlite_sql_t  sql_wl_mirrored = { ST_WL_MIRRORED,
    "UPDATE waitlist SET mirrored = ?2 WHERE id = ?1" };

static const cerebro_sqlite_sql_t  sql_wl_list = { ST_WL_LIST,
    "SELECT " WL_COLS " FROM waitlist WHERE until >= ?1"
    " ORDER BY day, id LIMIT ?2" };


static void read_entry(sqlite3_stmt *st, void *out);
static int parse_day(const char *s, cerebro_date_t *d);
static cerebro_store_err_t list_of_day(cerebro_sqlite_t *db,
    const char *day, int64_t now, cerebro_waitlist_t *out, int *n,
    cerebro_store_error_t *e);
static cerebro_store_err_t offer_one(cerebro_sqlite_t *db,
    const cerebro_restaurant_t *model, cerebro_waitlist_t *w,
    cerebro_booking_t *bk, int *nbk, int64_t now, int64_t hold, int *made,
    cerebro_store_error_t *e);


static int
parse_day(const char *s, cerebro_date_t *d)
{
    if (sscanf(s, "%4d-%2d-%2d", &d->year, &d->month, &d->day) != 3) {
        return 0;
    }

    return cerebro_date_valid(d);
}


static void
read_entry(sqlite3_stmt *st, void *out)
{
    char                 day[16];
    cerebro_waitlist_t  *w = out;

    memset(w, 0, sizeof(*w));

    w->id = sqlite3_column_int64(st, 0);
    cerebro_sqlite_col_copy(w->name, sizeof(w->name), st, 1);
    cerebro_sqlite_col_copy(w->phone, sizeof(w->phone), st, 2);
    cerebro_sqlite_col_copy(day, sizeof(day), st, 3);
    (void) parse_day(day, &w->date);
    w->time_from = sqlite3_column_int(st, 4);
    w->time_to = sqlite3_column_int(st, 5);
    w->pax = sqlite3_column_int(st, 6);
    w->until = sqlite3_column_int64(st, 7);
    cerebro_sqlite_col_copy(w->status, sizeof(w->status), st, 8);
    w->offer_start = sqlite3_column_int64(st, 9);
    cerebro_sqlite_col_copy(w->offer_table, sizeof(w->offer_table), st, 10);
    w->hold_until = sqlite3_column_int64(st, 11);
    cerebro_sqlite_col_copy(w->reservation_id, sizeof(w->reservation_id),
                            st, 12);
    w->created = sqlite3_column_int64(st, 13);
    w->updated = sqlite3_column_int64(st, 14);
}


cerebro_store_err_t
cerebro_sqlite_waitlist_join(cerebro_sqlite_t *db, cerebro_waitlist_t *w,
    int64_t now, int *existed, cerebro_store_error_t *e)
{
    char                  day[16];
    char                  phone[CEREBRO_PHONE_E164_SIZE];
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *existed = 0;

    if (cerebro_sqlite_check_text(w->name, sizeof(w->name), 1, "name", e)
        != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    err = cerebro_sqlite_phone(db, w->phone, phone, "phone", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    if (!cerebro_date_valid(&w->date) || w->pax <= 0
        || w->time_from < 0 || w->time_to < w->time_from
        || w->time_to >= 24 * 60)
    {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "waitlist: a bad day, window or"
                                       " party");
    }

    cerebro_date_format_iso(day, sizeof(day), &w->date);
    snprintf(w->phone, sizeof(w->phone), "%s", phone);

    err = cerebro_sqlite_begin(db, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    err = cerebro_sqlite_stmt(db, &sql_wl_same, &st, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    cerebro_sqlite_bind_text(st, 1, w->phone);
    cerebro_sqlite_bind_text(st, 2, day);
    sqlite3_bind_int(st, 3, w->time_from);
    sqlite3_bind_int(st, 4, w->time_to);

    err = cerebro_sqlite_first(db, st, read_entry, w, "waitlist", e);

    if (err == CEREBRO_STORE_OK) {
        *existed = 1;
        goto commit;
    }

    if (err != CEREBRO_STORE_NOT_FOUND) {
        goto failed;
    }

    err = cerebro_sqlite_stmt(db, &sql_wl_insert, &st, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    cerebro_sqlite_bind_text(st, 1, w->name);
    cerebro_sqlite_bind_text(st, 2, w->phone);
    cerebro_sqlite_bind_text(st, 3, day);
    sqlite3_bind_int(st, 4, w->time_from);
    sqlite3_bind_int(st, 5, w->time_to);
    sqlite3_bind_int(st, 6, w->pax);
    sqlite3_bind_int64(st, 7, w->until);
    sqlite3_bind_int64(st, 8, now);

    err = cerebro_sqlite_run(db, st, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    w->id = sqlite3_last_insert_rowid(db->conn);
    w->created = now;
    w->updated = now;
    snprintf(w->status, sizeof(w->status), "waiting");

commit:

    err = cerebro_sqlite_commit(db, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    return CEREBRO_STORE_OK;

failed:

    cerebro_sqlite_rollback(db);

    return err;
}


cerebro_store_err_t
cerebro_sqlite_waitlist_expire(cerebro_sqlite_t *db, int64_t now,
    int64_t lead, int *n, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *n = 0;

    err = cerebro_sqlite_stmt(db, &sql_wl_pass, &st, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    sqlite3_bind_int64(st, 1, now);

    err = cerebro_sqlite_run(db, st, "waitlist holds", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    *n += sqlite3_changes(db->conn);

    err = cerebro_sqlite_stmt(db, &sql_wl_expire, &st, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, lead);

    err = cerebro_sqlite_run(db, st, "waitlist expiry", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    *n += sqlite3_changes(db->conn);

    return CEREBRO_STORE_OK;
}


cerebro_store_err_t
cerebro_sqlite_waitlist_days(cerebro_sqlite_t *db, cerebro_date_t *out,
    int max, int *n, cerebro_store_error_t *e)
{
    int                   rc;
    char                  day[16];
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *n = 0;

    err = cerebro_sqlite_stmt(db, &sql_wl_days, &st, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    sqlite3_bind_int(st, 1, max > 0 ? max : 0);

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cerebro_sqlite_col_copy(day, sizeof(day), st, 0);

        if (*n < max && parse_day(day, &out[*n])) {
            (*n)++;
        }
    }

    cerebro_sqlite_done(st);

    if (rc != SQLITE_DONE) {
        return cerebro_sqlite_db_fail(db, rc, "waitlist", e);
    }

    return CEREBRO_STORE_OK;
}


static cerebro_store_err_t
list_of_day(cerebro_sqlite_t *db, const char *day, int64_t now,
    cerebro_waitlist_t *out, int *n, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    err = cerebro_sqlite_stmt(db, &sql_wl_of_day, &st, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    cerebro_sqlite_bind_text(st, 1, day);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int(st, 3, WL_DAY_MAX);

    return cerebro_sqlite_list(db, st, read_entry, out, sizeof(*out),
                               WL_DAY_MAX, n, NULL, "waitlist", e);
}


/* the first time of w's window that the engine books: w offered it */
static cerebro_store_err_t
offer_one(cerebro_sqlite_t *db, const cerebro_restaurant_t *model,
    cerebro_waitlist_t *w, cerebro_booking_t *bk, int *nbk, int64_t now,
    int64_t hold, int *made, cerebro_store_error_t *e)
{
    int                   m;
    sqlite3_stmt         *st;
    cerebro_answer_t      answer;
    cerebro_request_t     req;
    cerebro_store_err_t   err;

    *made = 0;

    for (m = w->time_from; m <= w->time_to; m += WL_STEP) {
        memset(&req, 0, sizeof(req));
        req.date = w->date;
        req.minutes = m;
        req.party = w->pax;

        cerebro_engine_query(model, bk, *nbk, now, &req, &answer);

        if (answer.reason == CEREBRO_AVAIL_OK) {
            break;
        }
    }

    if (m > w->time_to) {
        return CEREBRO_STORE_OK;
    }

    err = cerebro_sqlite_stmt(db, &sql_wl_mark, &st, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    sqlite3_bind_int64(st, 1, w->id);
    sqlite3_bind_int64(st, 2, answer.slot.start);
    cerebro_sqlite_bind_text(st, 3, answer.slot.name);
    sqlite3_bind_int64(st, 4, now + hold);
    sqlite3_bind_int64(st, 5, now);

    err = cerebro_sqlite_run(db, st, "waitlist offer", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    if (sqlite3_changes(db->conn) == 0) {
        return CEREBRO_STORE_OK;
    }

    /* the table is the offer's until its hold ends */
    memset(&bk[*nbk], 0, sizeof(bk[*nbk]));
    bk[*nbk].start = answer.slot.start;
    bk[*nbk].end = answer.slot.end;
    bk[*nbk].party = w->pax;
    bk[*nbk].tables = answer.slot.tables;
    bk[*nbk].status = CEREBRO_BOOKING_ACTIVE;
    (*nbk)++;

    snprintf(w->status, sizeof(w->status), "offered");
    w->offer_start = answer.slot.start;
    (void) cerebro_rec_copy(w->offer_table, sizeof(w->offer_table),
                            answer.slot.name ? answer.slot.name : "");
    w->hold_until = now + hold;
    *made = 1;

    return CEREBRO_STORE_OK;
}


cerebro_store_err_t
cerebro_sqlite_waitlist_offer(cerebro_sqlite_t *db,
    const cerebro_restaurant_t *model, const cerebro_date_t *date,
    const cerebro_booking_t *bookings, int nbookings, int64_t now,
    int64_t hold, cerebro_waitlist_t *out, int max, int *n,
    cerebro_store_error_t *e)
{
    int                   i, nw, nbk, made;
    char                  day[16];
    uint64_t              mask;
    cerebro_booking_t    *bk;
    cerebro_waitlist_t   *w;
    cerebro_store_err_t   err;

    *n = 0;

    if (nbookings < 0) {
        nbookings = 0;
    }

    w = malloc(WL_DAY_MAX * sizeof(*w));
    bk = malloc((nbookings + WL_DAY_MAX) * sizeof(*bk));

    if (w == NULL || bk == NULL) {
        free(w);
        free(bk);
        return cerebro_store_error_set(e, CEREBRO_STORE_UNAVAILABLE,
                                       "waitlist: out of memory");
    }

    if (nbookings) {
        memcpy(bk, bookings, nbookings * sizeof(*bk));
    }

    nbk = nbookings;
    cerebro_date_format_iso(day, sizeof(day), date);

    err = cerebro_sqlite_begin(db, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        goto done;
    }

    err = list_of_day(db, day, now, w, &nw, e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    for (i = 0; i < nw; i++) {
        if (strcmp(w[i].status, "offered") == 0) {
            /* held by an offer: taken, whoever made it */
            if (cerebro_engine_tables_for_name(model, w[i].offer_table,
                                               &mask, NULL, 0) < 0)
            {
                mask = 0;
            }

            memset(&bk[nbk], 0, sizeof(bk[nbk]));
            bk[nbk].start = w[i].offer_start;
            bk[nbk].party = w[i].pax;
            bk[nbk].tables = mask;
            bk[nbk].status = CEREBRO_BOOKING_ACTIVE;
            bk[nbk].end = cerebro_engine_booking_end(model, &bk[nbk]);
            nbk++;
            continue;
        }

        if (*n >= max) {
            break;
        }

        err = offer_one(db, model, &w[i], bk, &nbk, now, hold, &made, e);
        if (err != CEREBRO_STORE_OK) {
            goto failed;
        }

        if (made) {
            out[(*n)++] = w[i];
        }
    }

    err = cerebro_sqlite_commit(db, "waitlist", e);
    if (err == CEREBRO_STORE_OK) {
        goto done;
    }

failed:

    cerebro_sqlite_rollback(db);
    *n = 0;

done:

    free(w);
    free(bk);

    return err;
}


cerebro_store_err_t
cerebro_sqlite_waitlist_offered(cerebro_sqlite_t *db, const char *phone,
    int64_t now, cerebro_waitlist_t *out, cerebro_store_error_t *e)
{
    char                  e164[CEREBRO_PHONE_E164_SIZE];
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    err = cerebro_sqlite_phone(db, phone, e164, "phone", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    err = cerebro_sqlite_stmt(db, &sql_wl_offered, &st, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    cerebro_sqlite_bind_text(st, 1, e164);
    sqlite3_bind_int64(st, 2, now);

    return cerebro_sqlite_first(db, st, read_entry, out, "waitlist", e);
}


cerebro_store_err_t
cerebro_sqlite_waitlist_answer(cerebro_sqlite_t *db, int64_t id,
    const char *status, const char *reservation_id, int64_t now,
    cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    if (strcmp(status, "booked") != 0 && strcmp(status, "declined") != 0
        && strcmp(status, "waiting") != 0)
    {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "waitlist: no answer \"%s\"", status);
    }

    err = cerebro_sqlite_stmt(db, &sql_wl_answer, &st, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    sqlite3_bind_int64(st, 1, id);
    cerebro_sqlite_bind_text(st, 2, status);
    cerebro_sqlite_bind_text(st, 3, reservation_id);
    sqlite3_bind_int64(st, 4, now);

    err = cerebro_sqlite_run(db, st, "waitlist answer", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    if (sqlite3_changes(db->conn) == 0) {
        return cerebro_store_error_set(e, CEREBRO_STORE_NOT_FOUND,
                                       "waitlist: no offer %lld",
                                       (long long) id);
    }

    return CEREBRO_STORE_OK;
}


cerebro_store_err_t
cerebro_sqlite_waitlist_leave(cerebro_sqlite_t *db, const char *phone,
    int64_t now, int *n, cerebro_store_error_t *e)
{
    char                  e164[CEREBRO_PHONE_E164_SIZE];
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *n = 0;

    err = cerebro_sqlite_phone(db, phone, e164, "phone", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    err = cerebro_sqlite_stmt(db, &sql_wl_leave, &st, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    cerebro_sqlite_bind_text(st, 1, e164);
    sqlite3_bind_int64(st, 2, now);

    err = cerebro_sqlite_run(db, st, "waitlist leave", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    *n = sqlite3_changes(db->conn);

    return CEREBRO_STORE_OK;
}


cerebro_store_err_t
cerebro_sqlite_waitlist_list(cerebro_sqlite_t *db, int64_t since,
    cerebro_waitlist_t *out, int max, int *n, int *total,
    cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    err = cerebro_sqlite_stmt(db, &sql_wl_list, &st, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    sqlite3_bind_int64(st, 1, since);
    /* one more than shown: *total tells a list cut short */
    sqlite3_bind_int(st, 2, max > 0 ? max + 1 : 0);

    return cerebro_sqlite_list(db, st, read_entry, out, sizeof(*out), max,
                               n, total, "waitlist", e);
}


cerebro_store_err_t
cerebro_sqlite_waitlist_unmirrored(cerebro_sqlite_t *db,
    cerebro_waitlist_t *out, int max, int *n, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    err = cerebro_sqlite_stmt(db, &sql_wl_unmirrored, &st, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    sqlite3_bind_int(st, 1, max > 0 ? max : 0);

    return cerebro_sqlite_list(db, st, read_entry, out, sizeof(*out), max,
                               n, NULL, "waitlist", e);
}


cerebro_store_err_t
cerebro_sqlite_waitlist_mirrored(cerebro_sqlite_t *db, int64_t id,
    int64_t updated, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    err = cerebro_sqlite_stmt(db, &sql_wl_mirrored, &st, "waitlist", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, updated);

    return cerebro_sqlite_run(db, st, "waitlist mirror", e);
}
