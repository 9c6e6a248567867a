/*
 * The embedded store: bookings (Reservas).  A booking or a change is
 * written in one BEGIN IMMEDIATE transaction that reads the bookings
 * around the slot and asks the engine again, so that two connections
 * never give one table twice.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerebro_sqlite_int.h"


#define RES_COLS                                                            \
    "id, client_name, client_phone, start, pax, table_name, status, "      \
    "notes, source, call_id, created"


static const cerebro_sqlite_sql_t  sql_range = { ST_RANGE,
    "SELECT " RES_COLS " FROM reservations"
    " WHERE start >= ?1 AND start < ?2 AND (?3 OR status <> 'cancelled')"
    " ORDER BY start, id" };

static const cerebro_sqlite_sql_t  sql_by_phone = { ST_BY_PHONE,
    "SELECT " RES_COLS " FROM reservations"
    " WHERE client_phone = ?1 AND start >= ?2"
    " AND (?3 OR status <> 'cancelled') ORDER BY start, id" };

static const cerebro_sqlite_sql_t  sql_get = { ST_GET,
    "SELECT " RES_COLS " FROM reservations WHERE id = ?1" };

static const cerebro_sqlite_sql_t  sql_window = { ST_WINDOW,
    "SELECT id, start, pax, table_name, status FROM reservations"
    " WHERE start >= ?1 AND start < ?2 AND status <> 'cancelled'" };

static const cerebro_sqlite_sql_t  sql_repeat = { ST_REPEAT,
    "SELECT id FROM reservations WHERE ?1 IS NOT NULL AND client_phone = ?2"
    " AND start = ?3 AND status <> 'cancelled' ORDER BY id LIMIT 1" };

static const cerebro_sqlite_sql_t  sql_insert = { ST_INSERT,
    "INSERT INTO reservations (client_name, client_phone, start, pax,"
    " table_name, status, notes, source, call_id, created, updated)"
    " VALUES (?1, ?2, ?3, ?4, ?5, 'confirmed', ?6, ?7, ?8, ?9, ?9)" };

static const cerebro_sqlite_sql_t  sql_update = { ST_UPDATE,
    "UPDATE reservations SET start = ?2, pax = ?3, table_name = ?4,"
    " notes = ?5, updated = ?6 WHERE id = ?1" };

static const cerebro_sqlite_sql_t  sql_cancel = { ST_CANCEL,
    "UPDATE reservations SET status = 'cancelled', updated = ?2"
    " WHERE id = ?1 AND status <> 'cancelled'" };


static void read_reservation(sqlite3_stmt *st, void *out);
static int64_t local_midnight(const cerebro_sqlite_t *db,
    const cerebro_date_t *d);
static cerebro_store_err_t load_window(cerebro_sqlite_t *db,
    const cerebro_date_t *date, int64_t skip_id, int *nb,
    cerebro_store_error_t *e);
static cerebro_store_err_t queue_notice(cerebro_sqlite_t *db,
    cerebro_notice_t *notice, const cerebro_reservation_t *rec, int64_t now,
    cerebro_store_error_t *e);


static void
read_reservation(sqlite3_stmt *st, void *out)
{
    cerebro_reservation_t  *r = out;

    snprintf(r->id, sizeof(r->id), "%lld",
             (long long) sqlite3_column_int64(st, 0));
    cerebro_sqlite_col_copy(r->client_name, sizeof(r->client_name), st, 1);
    cerebro_sqlite_col_copy(r->client_phone, sizeof(r->client_phone), st,
                            2);
    r->start = sqlite3_column_int64(st, 3);
    r->pax = sqlite3_column_int(st, 4);
    cerebro_sqlite_col_copy(r->table, sizeof(r->table), st, 5);
    cerebro_sqlite_col_copy(r->status, sizeof(r->status), st, 6);
    cerebro_sqlite_col_copy(r->notes, sizeof(r->notes), st, 7);
    cerebro_sqlite_col_copy(r->source, sizeof(r->source), st, 8);
    cerebro_sqlite_col_copy(r->call_id, sizeof(r->call_id), st, 9);
    r->created = sqlite3_column_int64(st, 10);
}


static int64_t
local_midnight(const cerebro_sqlite_t *db, const cerebro_date_t *d)
{
    return cerebro_tz_from_local(&db->model->tz, d, 0, NULL);
}


cerebro_store_err_t
cerebro_sqlite_bookings_day(cerebro_sqlite_t *db, const cerebro_date_t *day,
    int flags, cerebro_reservation_t *out, int max, int *n, int *total,
    cerebro_store_error_t *e)
{
    cerebro_date_t  next;

    *n = 0;

    if (day == NULL || !cerebro_date_valid(day)) {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "bookings of a day: bad date");
    }

    next = cerebro_date_add_days(day, 1);

    /* DST days last 23 or 25 hours: both ends are local midnights */
    return cerebro_sqlite_bookings_range(db, local_midnight(db, day),
                                         local_midnight(db, &next), flags,
                                         out, max, n, total, e);
}


cerebro_store_err_t
cerebro_sqlite_bookings_range(cerebro_sqlite_t *db, int64_t from,
    int64_t to, int flags, cerebro_reservation_t *out, int max, int *n,
    int *total, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *n = 0;

    err = cerebro_sqlite_stmt(db, &sql_range, &st, "bookings", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    sqlite3_bind_int(st, 3, (flags & CEREBRO_SQLITE_WITH_CANCELLED) != 0);

    return cerebro_sqlite_list(db, st, read_reservation, out, sizeof(*out),
                               max, n, total, "bookings", e);
}


cerebro_store_err_t
cerebro_sqlite_bookings_by_phone(cerebro_sqlite_t *db, const char *typed,
    int flags, int64_t now, cerebro_reservation_t *out, int max, int *n,
    int *total, cerebro_store_error_t *e)
{
    char                  phone[CEREBRO_PHONE_E164_SIZE];
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *n = 0;

    if (cerebro_sqlite_phone(db, typed, phone, "phone", e)
        != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    err = cerebro_sqlite_stmt(db, &sql_by_phone, &st, "bookings by phone",
                              e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    cerebro_sqlite_bind_text(st, 1, phone);
    sqlite3_bind_int64(st, 2, (flags & CEREBRO_SQLITE_UPCOMING) ? now
                                                                : INT64_MIN);
    sqlite3_bind_int(st, 3, (flags & CEREBRO_SQLITE_WITH_CANCELLED) != 0);

    return cerebro_sqlite_list(db, st, read_reservation, out, sizeof(*out),
                               max, n, total, "bookings by phone", e);
}


cerebro_store_err_t
cerebro_sqlite_booking_get(cerebro_sqlite_t *db, const char *id,
    cerebro_reservation_t *out, cerebro_store_error_t *e)
{
    int64_t  rowid;

    if (cerebro_sqlite_parse_id(id, &rowid, e) != CEREBRO_STORE_OK) {
        return CEREBRO_STORE_INVALID;
    }

    return cerebro_sqlite_row(db, &sql_get, rowid, NULL, read_reservation,
                              out, "booking", e);
}


/*
 * The active bookings the engine needs for a request on `date`: those
 * that can overlap the asked day (from the evening before) and the
 * following days it searches for "the same time another day".
 * skip_id (0 for none) is left out: a booking being moved.
 */
static cerebro_store_err_t
load_window(cerebro_sqlite_t *db, const cerebro_date_t *date,
    int64_t skip_id, int *nb, cerebro_store_error_t *e)
{
    int                  rc, cap;
    int64_t              from, to, id;
    sqlite3_stmt        *st;
    cerebro_date_t       d;
    cerebro_booking_t   *b, *nbk;
    cerebro_store_err_t  err;
    int64_t             *nid;

    *nb = 0;

    d = cerebro_date_add_days(date, -1);
    from = local_midnight(db, &d) - (int64_t) db->model->max_turn * 60;
    d = cerebro_date_add_days(date, CEREBRO_ENGINE_NEXT_DAY_SEARCH + 2);
    to = local_midnight(db, &d);

    err = cerebro_sqlite_stmt(db, &sql_window, &st, "booking check", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);

        if (id == skip_id) {
            continue;
        }

        if (*nb == db->bk_cap) {
            cap = db->bk_cap ? db->bk_cap * 2 : 256;
            nbk = realloc(db->bk, (size_t) cap * sizeof(*db->bk));
            if (nbk != NULL) {
                db->bk = nbk;
            }

            nid = realloc(db->bk_id, (size_t) cap * sizeof(*db->bk_id));
            if (nid != NULL) {
                db->bk_id = nid;
            }

            if (nbk == NULL || nid == NULL) {
                cerebro_sqlite_done(st);
                return cerebro_store_error_set(e, CEREBRO_STORE_UNAVAILABLE,
                                               "booking check: out of"
                                               " memory");
            }

            db->bk_cap = cap;
        }

        b = &db->bk[*nb];
        db->bk_id[*nb] = id;
        cerebro_rec_engine_booking(db->model, sqlite3_column_int64(st, 1),
                                   sqlite3_column_int(st, 2),
                                   (const char *) sqlite3_column_text(st, 3),
                                   (const char *) sqlite3_column_text(st, 4),
                                   b);
        (*nb)++;
    }

    cerebro_sqlite_done(st);

    if (rc != SQLITE_DONE) {
        return cerebro_sqlite_db_fail(db, rc, "booking check", e);
    }

    return CEREBRO_STORE_OK;
}


cerebro_store_err_t
cerebro_sqlite_booking_create(cerebro_sqlite_t *db,
    const cerebro_booking_req_t *req, int64_t now, cerebro_notice_t *notice,
    cerebro_reservation_t *out, cerebro_answer_t *answer, int *repeated,
    cerebro_store_error_t *e)
{
    int                  rc, nb;
    char                 phone[CEREBRO_PHONE_E164_SIZE];
    int64_t              rowid, start;
    sqlite3_stmt        *st;
    cerebro_store_err_t  err;

    memset(answer, 0, sizeof(*answer));
    answer->reason = CEREBRO_AVAIL_INVALID;
    *repeated = 0;

    if (notice != NULL) {
        notice->queued = 0;
    }

    if (cerebro_sqlite_check_text(req->client_name, CEREBRO_REC_NAME_LEN, 1,
                                  "client_name", e) != CEREBRO_STORE_OK
        || cerebro_sqlite_phone(db, req->client_phone, phone,
                                "client_phone", e) != CEREBRO_STORE_OK
        || cerebro_sqlite_check_text(req->notes, CEREBRO_REC_NOTES_LEN, 0,
                                     "notes", e) != CEREBRO_STORE_OK
        || cerebro_sqlite_check_text(req->source, CEREBRO_REC_SOURCE_LEN, 0,
                                     "source", e) != CEREBRO_STORE_OK
        || cerebro_sqlite_check_text(req->call_id, CEREBRO_REC_CALL_ID_LEN,
                                     0, "call_id", e) != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    if (!cerebro_date_valid(&req->when.date) || req->when.minutes < 0
        || req->when.minutes >= 1440 || req->when.party < 1)
    {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "booking: bad date, time or party");
    }

    err = cerebro_sqlite_begin(db, "booking", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    /*
     * one guest, one time, one booking: a tool call retried after a lost
     * answer, or the guest asking again in another call
     */
    if (req->call_id != NULL && req->call_id[0] != '\0') {
        start = cerebro_tz_from_local(&db->model->tz, &req->when.date,
                                      req->when.minutes, NULL);

        err = cerebro_sqlite_stmt(db, &sql_repeat, &st, "booking", e);
        if (err != CEREBRO_STORE_OK) {
            goto failed;
        }

        cerebro_sqlite_bind_text(st, 1, req->call_id);
        cerebro_sqlite_bind_text(st, 2, phone);
        sqlite3_bind_int64(st, 3, start);
        rc = sqlite3_step(st);
        rowid = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        cerebro_sqlite_done(st);

        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            err = cerebro_sqlite_db_fail(db, rc, "booking", e);
            goto failed;
        }

        if (rowid > 0) {
            err = cerebro_sqlite_row(db, &sql_get, rowid, NULL,
                                     read_reservation, out, "booking", e);
            if (err != CEREBRO_STORE_OK) {
                goto failed;
            }

            /* nothing was written: this ends the read */
            err = cerebro_sqlite_commit(db, "booking", e);
            if (err != CEREBRO_STORE_OK) {
                goto failed;
            }

            answer->reason = CEREBRO_AVAIL_OK;
            answer->slot.start = out->start;
            answer->slot.table = -1;
            answer->slot.group = -1;
            *repeated = 1;

            return CEREBRO_STORE_OK;
        }
    }

    err = load_window(db, &req->when.date, 0, &nb, e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    err = cerebro_rec_decide(db->model, db->bk, nb, now, &req->when, answer,
                             e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    err = cerebro_sqlite_stmt(db, &sql_insert, &st, "booking", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    cerebro_sqlite_bind_text(st, 1, req->client_name);
    cerebro_sqlite_bind_text(st, 2, phone);
    sqlite3_bind_int64(st, 3, answer->slot.start);
    sqlite3_bind_int(st, 4, req->when.party);
    cerebro_sqlite_bind_text(st, 5, answer->slot.name);
    cerebro_sqlite_bind_text(st, 6, req->notes);
    cerebro_sqlite_bind_text(st, 7, req->source);
    cerebro_sqlite_bind_text(st, 8, req->call_id);
    sqlite3_bind_int64(st, 9, now);

    err = cerebro_sqlite_run(db, st, "booking", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    rowid = sqlite3_last_insert_rowid(db->conn);

    err = cerebro_sqlite_row(db, &sql_get, rowid, NULL, read_reservation,
                             out, "booking", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    err = queue_notice(db, notice, out, now, e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    err = cerebro_sqlite_commit(db, "booking", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    return CEREBRO_STORE_OK;

failed:

    cerebro_sqlite_rollback(db);

    return err;
}


cerebro_store_err_t
cerebro_sqlite_booking_update(cerebro_sqlite_t *db, const char *id,
    const cerebro_booking_change_t *ch, int64_t now,
    cerebro_notice_t *notice, cerebro_reservation_t *out,
    cerebro_answer_t *answer, cerebro_store_error_t *e)
{
    int                    nb, pax;
    int64_t                rowid, start;
    const char            *table, *notes;
    sqlite3_stmt          *st;
    cerebro_local_t        local;
    cerebro_request_t      req;
    cerebro_store_err_t    err;
    cerebro_reservation_t  cur;

    memset(answer, 0, sizeof(*answer));
    answer->reason = CEREBRO_AVAIL_OK;

    if (notice != NULL) {
        notice->queued = 0;
    }

    if (cerebro_sqlite_parse_id(id, &rowid, e) != CEREBRO_STORE_OK
        || cerebro_sqlite_check_text(ch->notes, CEREBRO_REC_NOTES_LEN, 0,
                                     "notes", e) != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    if (ch->pax < 0
        || (ch->set_time && (!cerebro_date_valid(&ch->date)
                             || ch->minutes < 0 || ch->minutes >= 1440)))
    {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "booking change: bad date, time or"
                                       " party");
    }

    err = cerebro_sqlite_begin(db, "booking change", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    err = cerebro_sqlite_row(db, &sql_get, rowid, NULL, read_reservation,
                             &cur, "booking", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    if (cerebro_booking_status_from_string(cur.status)
        == CEREBRO_BOOKING_CANCELLED)
    {
        err = cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                      "booking %s is cancelled", cur.id);
        goto failed;
    }

    pax = ch->pax > 0 ? ch->pax : cur.pax;
    start = cur.start;
    table = cur.table;
    notes = ch->notes != NULL ? ch->notes : cur.notes;

    if (ch->set_time || pax != cur.pax) {
        if (ch->set_time) {
            req.date = ch->date;
            req.minutes = ch->minutes;

        } else {
            cerebro_tz_to_local(&db->model->tz, cur.start, &local);
            req.date = local.date;
            req.minutes = local.minutes;
        }

        req.party = pax;
        req.location = ch->location;

        err = load_window(db, &req.date, rowid, &nb, e);
        if (err != CEREBRO_STORE_OK) {
            goto failed;
        }

        err = cerebro_rec_decide(db->model, db->bk, nb, now, &req, answer,
                                 e);
        if (err != CEREBRO_STORE_OK) {
            goto failed;
        }

        start = answer->slot.start;
        table = answer->slot.name;
    }

    err = cerebro_sqlite_stmt(db, &sql_update, &st, "booking change", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    sqlite3_bind_int64(st, 1, rowid);
    sqlite3_bind_int64(st, 2, start);
    sqlite3_bind_int(st, 3, pax);
    cerebro_sqlite_bind_text(st, 4, table);
    cerebro_sqlite_bind_text(st, 5, notes);
    sqlite3_bind_int64(st, 6, now);

    err = cerebro_sqlite_run(db, st, "booking change", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    err = cerebro_sqlite_row(db, &sql_get, rowid, NULL, read_reservation,
                             out, "booking", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    err = queue_notice(db, notice, out, now, e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    err = cerebro_sqlite_commit(db, "booking change", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    return CEREBRO_STORE_OK;

failed:

    cerebro_sqlite_rollback(db);

    return err;
}


/*
 * The cancellation, its row read back and its notice are one transaction:
 * the guest's message cannot be lost between them.
 */
cerebro_store_err_t
cerebro_sqlite_booking_cancel(cerebro_sqlite_t *db, const char *id,
    int64_t now, cerebro_notice_t *notice, cerebro_reservation_t *out,
    int *already, cerebro_store_error_t *e)
{
    int64_t              rowid;
    sqlite3_stmt        *st;
    cerebro_store_err_t  err;

    *already = 0;

    if (notice != NULL) {
        notice->queued = 0;
    }

    if (cerebro_sqlite_parse_id(id, &rowid, e) != CEREBRO_STORE_OK) {
        return CEREBRO_STORE_INVALID;
    }

    err = cerebro_sqlite_begin(db, "cancel", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    err = cerebro_sqlite_stmt(db, &sql_cancel, &st, "cancel", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    sqlite3_bind_int64(st, 1, rowid);
    sqlite3_bind_int64(st, 2, now);

    err = cerebro_sqlite_run(db, st, "cancel", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    /* no row changed: gone, or cancelled before */
    *already = sqlite3_changes(db->conn) == 0;

    err = cerebro_sqlite_row(db, &sql_get, rowid, NULL, read_reservation,
                             out, "booking", e);
    if (err != CEREBRO_STORE_OK) {
        *already = 0;
        goto failed;
    }

    if (!*already) {
        err = queue_notice(db, notice, out, now, e);
        if (err != CEREBRO_STORE_OK) {
            goto failed;
        }
    }

    err = cerebro_sqlite_commit(db, "cancel", e);
    if (err != CEREBRO_STORE_OK) {
        *already = 0;
        goto failed;
    }

    return CEREBRO_STORE_OK;

failed:

    cerebro_sqlite_rollback(db);

    return err;
}


/*
 * Inside the write's transaction.  A message the outbox refuses (a number
 * it cannot write to) is not the booking's failure: the booking stands
 * and the caller queues it the usual way, where the refusal is logged.
 */
static cerebro_store_err_t
queue_notice(cerebro_sqlite_t *db, cerebro_notice_t *notice,
    const cerebro_reservation_t *rec, int64_t now, cerebro_store_error_t *e)
{
    int                    dup;
    cerebro_store_err_t    err;
    cerebro_store_error_t  refused;

    if (notice == NULL || notice->compose == NULL) {
        return CEREBRO_STORE_OK;
    }

    memset(&notice->msg, 0, sizeof(notice->msg));

    if (!notice->compose(notice, rec, &notice->msg)) {
        return CEREBRO_STORE_OK;
    }

    err = cerebro_sqlite_outbox_enqueue(db, &notice->msg, now, &notice->msg,
                                        &dup, &refused);

    if (err == CEREBRO_STORE_INVALID) {
        return CEREBRO_STORE_OK;
    }

    if (err != CEREBRO_STORE_OK) {
        if (e != NULL) {
            *e = refused;
        }

        return err;
    }

    notice->queued = !dup;

    return CEREBRO_STORE_OK;
}
