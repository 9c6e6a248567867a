/*
 * The embedded store: the outbox (every WhatsApp message we send, queued
 * before it goes to Twilio), Twilio's delivery states of the messages
 * sent, and what the reminders need to know of what went out.
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "cerebro_sqlite_int.h"


#define OUTBOX_COLS                                                         \
    "id, recipient, body, template_sid, variables, status, attempts, "     \
    "next_attempt, last_error, twilio_sid, created, kind, reservation_id, " \
    "dedupe_key"


static const cerebro_sqlite_sql_t  sql_ob_insert = { ST_OB_INSERT,
    "INSERT INTO outbox (recipient, body, template_sid, variables, status,"
    " attempts, next_attempt, last_error, twilio_sid, created, updated,"
    " kind, reservation_id, dedupe_key)"
    " VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, '', '', ?6, ?6, ?7, ?8, ?9)"
    " ON CONFLICT (dedupe_key) DO NOTHING" };

static const cerebro_sqlite_sql_t  sql_ob_by_key = { ST_OB_BY_KEY,
    "SELECT " OUTBOX_COLS " FROM outbox WHERE dedupe_key = ?1" };

static const cerebro_sqlite_sql_t  sql_ob_get = { ST_OB_GET,
    "SELECT " OUTBOX_COLS " FROM outbox WHERE id = ?1" };

static const cerebro_sqlite_sql_t  sql_ob_by_sid = { ST_OB_BY_SID,
    "SELECT " OUTBOX_COLS " FROM outbox WHERE twilio_sid = ?1" };

static const cerebro_sqlite_sql_t  sql_ob_due = { ST_OB_DUE,
    "SELECT " OUTBOX_COLS " FROM outbox"
    " WHERE status = 'pending' AND next_attempt <= ?1"
    " ORDER BY next_attempt, id LIMIT ?2" };

static const cerebro_sqlite_sql_t  sql_ob_sent = { ST_OB_SENT,
    "UPDATE outbox SET status = 'sent', twilio_sid = ?2,"
    " attempts = attempts + 1, updated = ?3"
    " WHERE id = ?1 AND status = 'pending'" };

static const cerebro_sqlite_sql_t  sql_ob_failed = { ST_OB_FAILED,
    "UPDATE outbox SET status = 'failed', last_error = ?2,"
    " attempts = attempts + 1, updated = ?3"
    " WHERE id = ?1 AND status = 'pending'" };

static const cerebro_sqlite_sql_t  sql_ob_retry = { ST_OB_RETRY,
    "UPDATE outbox SET last_error = ?2, next_attempt = ?3,"
    " attempts = attempts + 1, updated = ?4"
    " WHERE id = ?1 AND status = 'pending'" };

static const cerebro_sqlite_sql_t  sql_ob_recent = { ST_OB_RECENT,
    "SELECT " OUTBOX_COLS " FROM outbox ORDER BY created DESC, id DESC"
    " LIMIT ?1" };

static const cerebro_sqlite_sql_t  sql_ob_counts = { ST_OB_COUNTS,
    "SELECT status, COUNT(*) FROM outbox GROUP BY status" };

/* the WhatsApp messages': an alert waiting on its webhook is not one */
static const cerebro_sqlite_sql_t  sql_ob_oldest = { ST_OB_OLDEST,
    "SELECT COALESCE(MIN(CASE WHEN status = 'pending' THEN created END), 0),"
    " COUNT(CASE WHEN status = 'failed' AND updated >= ?1 THEN 1 END)"
    " FROM outbox WHERE kind <> 'alert'" };

static const cerebro_sqlite_sql_t  sql_ob_due_kind = { ST_OB_DUE_KIND,
    "SELECT " OUTBOX_COLS " FROM outbox"
    " WHERE status = 'pending' AND next_attempt <= ?1 AND kind = ?3"
    " ORDER BY next_attempt, id LIMIT ?2" };

static const cerebro_sqlite_sql_t  sql_ob_reminder = { ST_OB_REMINDER,
    "SELECT " OUTBOX_COLS " FROM outbox"
    " WHERE recipient = ?1 AND kind = 'reminder'"
    " AND status = 'sent' AND reservation_id <> ''"
    " AND created >= ?2 ORDER BY created DESC, id DESC LIMIT 1" };

static const cerebro_sqlite_sql_t  sql_ob_about = { ST_OB_ABOUT,
    "SELECT 1 FROM outbox WHERE reservation_id = ?1 AND kind = ?2"
    " LIMIT 1" };

/* a callback may have come before this: then only the row id is new */
static const cerebro_sqlite_sql_t  sql_dlv_sent = { ST_DLV_SENT,
    "INSERT INTO outbox_delivery (twilio_sid, outbox_id, status,"
    " rank, updated) VALUES (?1, ?2, 'queued', 0, ?3)"
    " ON CONFLICT (twilio_sid) DO UPDATE"
    " SET outbox_id = excluded.outbox_id" };

static const cerebro_sqlite_sql_t  sql_dlv_status = { ST_DLV_STATUS,
    "INSERT INTO outbox_delivery (twilio_sid, outbox_id, status,"
    " rank, error_code, updated)"
    " VALUES (?1, COALESCE((SELECT id FROM outbox"
    " WHERE twilio_sid = ?1), 0), ?2, ?3, ?4, ?5)"
    " ON CONFLICT (twilio_sid) DO UPDATE"
    " SET status = excluded.status, rank = excluded.rank,"
    " error_code = CASE WHEN excluded.error_code <> ''"
    " THEN excluded.error_code ELSE error_code END,"
    " updated = excluded.updated"
    " WHERE excluded.rank >= outbox_delivery.rank" };

static const cerebro_sqlite_sql_t  sql_dlv_get = { ST_DLV_GET,
    "SELECT status, error_code, updated FROM outbox_delivery"
    " WHERE twilio_sid = ?1" };


static void read_outbox(sqlite3_stmt *st, void *out);
static cerebro_store_err_t outbox_not_pending(cerebro_sqlite_t *db,
    int64_t id, const char *what, cerebro_store_error_t *e);
static cerebro_store_err_t outbox_mark(cerebro_sqlite_t *db,
    const cerebro_sqlite_sql_t *sql, int64_t id, const char *text,
    int64_t next, int64_t now, const char *what, cerebro_store_error_t *e);
static void read_delivery(sqlite3_stmt *st, void *out);


static void
read_outbox(sqlite3_stmt *st, void *out)
{
    int                    s;
    cerebro_outbox_msg_t  *m = out;

    m->id = sqlite3_column_int64(st, 0);
    cerebro_sqlite_col_copy(m->to, sizeof(m->to), st, 1);
    cerebro_sqlite_col_copy(m->body, sizeof(m->body), st, 2);
    cerebro_sqlite_col_copy(m->template_sid, sizeof(m->template_sid), st,
                            3);
    cerebro_sqlite_col_copy(m->variables, sizeof(m->variables), st, 4);
    s = cerebro_outbox_status_from_string(
            (const char *) sqlite3_column_text(st, 5));
    m->status = s >= 0 ? (cerebro_outbox_status_t) s : CEREBRO_OUTBOX_FAILED;
    m->attempts = sqlite3_column_int(st, 6);
    m->next_attempt = sqlite3_column_int64(st, 7);
    cerebro_sqlite_col_copy(m->last_error, sizeof(m->last_error), st, 8);
    cerebro_sqlite_col_copy(m->twilio_sid, sizeof(m->twilio_sid), st, 9);
    m->created = sqlite3_column_int64(st, 10);
    cerebro_sqlite_col_copy(m->kind, sizeof(m->kind), st, 11);
    cerebro_sqlite_col_copy(m->reservation_id, sizeof(m->reservation_id),
                            st, 12);
    cerebro_sqlite_col_copy(m->dedupe_key, sizeof(m->dedupe_key), st, 13);
}


/* One statement, atomic by itself; the row is read back after it. */
cerebro_store_err_t
cerebro_sqlite_outbox_enqueue(cerebro_sqlite_t *db,
    const cerebro_outbox_msg_t *m, int64_t now, cerebro_outbox_msg_t *out,
    int *duplicate, cerebro_store_error_t *e)
{
    int                   ok, added;
    int64_t               id;
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;
    cerebro_outbox_msg_t  tmp;
    cJSON                *vars;

    if (duplicate != NULL) {
        *duplicate = 0;
    }

    if (cerebro_sqlite_check_text(m->to, sizeof(m->to), 1, "to", e)
        != CEREBRO_STORE_OK
        || cerebro_sqlite_check_text(m->body, sizeof(m->body), 0, "body", e)
           != CEREBRO_STORE_OK
        || cerebro_sqlite_check_text(m->template_sid,
                                     sizeof(m->template_sid), 0,
                                     "template_sid", e) != CEREBRO_STORE_OK
        || cerebro_sqlite_check_text(m->variables, sizeof(m->variables), 0,
                                     "variables", e) != CEREBRO_STORE_OK
        || cerebro_sqlite_check_text(m->kind, sizeof(m->kind), 0, "kind", e)
           != CEREBRO_STORE_OK
        || cerebro_sqlite_check_text(m->reservation_id,
                                     sizeof(m->reservation_id), 0,
                                     "reservation_id", e)
           != CEREBRO_STORE_OK
        || cerebro_sqlite_check_text(m->dedupe_key, sizeof(m->dedupe_key), 0,
                                     "dedupe_key", e) != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    if (m->body[0] == '\0' && m->template_sid[0] == '\0') {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "outbox: a body or a template_sid"
                                       " is needed");
    }

    if (m->variables[0] != '\0') {
        vars = cJSON_Parse(m->variables);
        ok = cJSON_IsObject(vars);
        cJSON_Delete(vars);

        if (!ok) {
            return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                           "outbox: variables must be a JSON"
                                           " object");
        }
    }

    err = cerebro_sqlite_stmt(db, &sql_ob_insert, &st, "outbox", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    cerebro_sqlite_bind_text(st, 1, m->to);
    cerebro_sqlite_bind_text(st, 2, m->body);
    cerebro_sqlite_bind_text(st, 3, m->template_sid);
    cerebro_sqlite_bind_text(st, 4, m->variables);
    sqlite3_bind_int64(st, 5, m->next_attempt > 0 ? m->next_attempt : now);
    sqlite3_bind_int64(st, 6, m->created > 0 ? m->created : now);
    cerebro_sqlite_bind_text(st, 7, m->kind);
    cerebro_sqlite_bind_text(st, 8, m->reservation_id);

    if (m->dedupe_key[0] != '\0') {
        cerebro_sqlite_bind_text(st, 9, m->dedupe_key);

    } else {
        sqlite3_bind_null(st, 9);
    }

    err = cerebro_sqlite_run(db, st, "outbox", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    added = sqlite3_changes(db->conn) > 0;
    id = sqlite3_last_insert_rowid(db->conn);

    if (out == NULL) {
        out = &tmp;
    }

    if (added) {
        err = cerebro_sqlite_row(db, &sql_ob_get, id, NULL, read_outbox,
                                 out, "outbox", e);

    } else {
        err = cerebro_sqlite_row(db, &sql_ob_by_key, 0, m->dedupe_key,
                                 read_outbox, out, "outbox", e);

        if (duplicate != NULL) {
            *duplicate = 1;
        }
    }

    /* the message is queued even if reading it back failed */
    return err == CEREBRO_STORE_NOT_FOUND ? CEREBRO_STORE_OK : err;
}


cerebro_store_err_t
cerebro_sqlite_outbox_due(cerebro_sqlite_t *db, int64_t now,
    cerebro_outbox_msg_t *out, int max, int *n, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *n = 0;

    err = cerebro_sqlite_stmt(db, &sql_ob_due, &st, "outbox due", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, max > 0 ? max : 0);

    return cerebro_sqlite_list(db, st, read_outbox, out, sizeof(*out), max,
                               n, NULL, "outbox due", e);
}


cerebro_store_err_t
cerebro_sqlite_outbox_get(cerebro_sqlite_t *db, int64_t id,
    cerebro_outbox_msg_t *out, cerebro_store_error_t *e)
{
    return cerebro_sqlite_row(db, &sql_ob_get, id, NULL, read_outbox, out,
                              "outbox", e);
}


cerebro_store_err_t
cerebro_sqlite_outbox_by_sid(cerebro_sqlite_t *db, const char *twilio_sid,
    cerebro_outbox_msg_t *out, cerebro_store_error_t *e)
{
    if (cerebro_sqlite_check_text(twilio_sid, CEREBRO_REC_SID_LEN, 1,
                                  "twilio_sid", e)
        != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    return cerebro_sqlite_row(db, &sql_ob_by_sid, 0, twilio_sid,
                              read_outbox, out, "outbox by sid", e);
}


/* After an UPDATE ... AND status = 'pending' changed nothing: why. */
static cerebro_store_err_t
outbox_not_pending(cerebro_sqlite_t *db, int64_t id, const char *what,
    cerebro_store_error_t *e)
{
    cerebro_store_err_t   err;
    cerebro_outbox_msg_t  m;

    err = cerebro_sqlite_row(db, &sql_ob_get, id, NULL, read_outbox, &m,
                             what, e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    return cerebro_store_error_set(e, CEREBRO_STORE_CONFLICT,
                                   "%s: message %lld is %s, not pending",
                                   what, (long long) id,
                                   cerebro_outbox_status_name(m.status));
}


static cerebro_store_err_t
outbox_mark(cerebro_sqlite_t *db, const cerebro_sqlite_sql_t *sql,
    int64_t id, const char *text, int64_t next, int64_t now,
    const char *what, cerebro_store_error_t *e)
{
    int                   i, sent;
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    sent = sql == &sql_ob_sent;

    if (cerebro_sqlite_check_text(text, sent ? CEREBRO_REC_SID_LEN
                                             : CEREBRO_REC_ERROR_LEN,
                                  sent, what, e)
        != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    err = cerebro_sqlite_stmt(db, sql, &st, what, e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    i = 1;
    sqlite3_bind_int64(st, i++, id);
    cerebro_sqlite_bind_text(st, i++, text);

    if (sql == &sql_ob_retry) {
        sqlite3_bind_int64(st, i++, next);
    }

    sqlite3_bind_int64(st, i, now);

    err = cerebro_sqlite_run(db, st, what, e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    if (sqlite3_changes(db->conn) == 0) {
        return outbox_not_pending(db, id, what, e);
    }

    return CEREBRO_STORE_OK;
}


cerebro_store_err_t
cerebro_sqlite_outbox_mark_sent(cerebro_sqlite_t *db, int64_t id,
    const char *twilio_sid, int64_t now, cerebro_store_error_t *e)
{
    return outbox_mark(db, &sql_ob_sent, id, twilio_sid, 0, now,
                       "outbox sent", e);
}


cerebro_store_err_t
cerebro_sqlite_outbox_mark_failed(cerebro_sqlite_t *db, int64_t id,
    const char *reason, int64_t now, cerebro_store_error_t *e)
{
    return outbox_mark(db, &sql_ob_failed, id, reason, 0, now,
                       "outbox failed", e);
}


cerebro_store_err_t
cerebro_sqlite_outbox_retry(cerebro_sqlite_t *db, int64_t id,
    const char *reason, int64_t next_attempt, int64_t now,
    cerebro_store_error_t *e)
{
    return outbox_mark(db, &sql_ob_retry, id, reason, next_attempt, now,
                       "outbox retry", e);
}


cerebro_store_err_t
cerebro_sqlite_outbox_recent(cerebro_sqlite_t *db, cerebro_outbox_msg_t *out,
    int max, int *n, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *n = 0;

    err = cerebro_sqlite_stmt(db, &sql_ob_recent, &st, "outbox recent", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    sqlite3_bind_int(st, 1, max > 0 ? max : 0);

    return cerebro_sqlite_list(db, st, read_outbox, out, sizeof(*out), max,
                               n, NULL, "outbox recent", e);
}


cerebro_store_err_t
cerebro_sqlite_outbox_counts(cerebro_sqlite_t *db,
    int64_t counts[CEREBRO_SQLITE_OUTBOX_STATUSES], cerebro_store_error_t *e)
{
    int                   rc, s;
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    memset(counts, 0, CEREBRO_SQLITE_OUTBOX_STATUSES * sizeof(int64_t));

    err = cerebro_sqlite_stmt(db, &sql_ob_counts, &st, "outbox counts", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        s = cerebro_outbox_status_from_string(
                (const char *) sqlite3_column_text(st, 0));

        if (s >= 0) {
            counts[s] = sqlite3_column_int64(st, 1);
        }
    }

    cerebro_sqlite_done(st);

    if (rc != SQLITE_DONE) {
        memset(counts, 0, CEREBRO_SQLITE_OUTBOX_STATUSES * sizeof(int64_t));
        return cerebro_sqlite_db_fail(db, rc, "outbox counts", e);
    }

    return CEREBRO_STORE_OK;
}


cerebro_store_err_t
cerebro_sqlite_outbox_due_kind(cerebro_sqlite_t *db, int64_t now,
    const char *kind, cerebro_outbox_msg_t *out, int max, int *n,
    cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *n = 0;

    err = cerebro_sqlite_stmt(db, &sql_ob_due_kind, &st, "outbox due", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, max > 0 ? max : 0);
    cerebro_sqlite_bind_text(st, 3, kind);

    return cerebro_sqlite_list(db, st, read_outbox, out, sizeof(*out), max,
                               n, NULL, "outbox due", e);
}


cerebro_store_err_t
cerebro_sqlite_outbox_health(cerebro_sqlite_t *db, int64_t since,
    int64_t *oldest_pending, int64_t *failed, cerebro_store_error_t *e)
{
    int                   rc;
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *oldest_pending = 0;
    *failed = 0;

    err = cerebro_sqlite_stmt(db, &sql_ob_oldest, &st, "outbox oldest", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    sqlite3_bind_int64(st, 1, since);

    rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        *oldest_pending = sqlite3_column_int64(st, 0);
        *failed = sqlite3_column_int64(st, 1);
    }

    cerebro_sqlite_done(st);

    if (rc != SQLITE_ROW) {
        return cerebro_sqlite_db_fail(db, rc, "outbox oldest", e);
    }

    return CEREBRO_STORE_OK;
}


cerebro_store_err_t
cerebro_sqlite_outbox_last_reminder(cerebro_sqlite_t *db, const char *to,
    int64_t since, cerebro_outbox_msg_t *out, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    if (cerebro_sqlite_check_text(to, CEREBRO_REC_TO_LEN, 1, "to", e)
        != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    err = cerebro_sqlite_stmt(db, &sql_ob_reminder, &st, "last reminder",
                              e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    cerebro_sqlite_bind_text(st, 1, to);
    sqlite3_bind_int64(st, 2, since);

    return cerebro_sqlite_first(db, st, read_outbox, out, "last reminder",
                                e);
}


cerebro_store_err_t
cerebro_sqlite_outbox_about(cerebro_sqlite_t *db, const char *kind,
    const char *reservation_id, int *found, cerebro_store_error_t *e)
{
    int                   rc;
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *found = 0;

    err = cerebro_sqlite_stmt(db, &sql_ob_about, &st, "outbox", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    cerebro_sqlite_bind_text(st, 1, reservation_id);
    cerebro_sqlite_bind_text(st, 2, kind);

    rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    cerebro_sqlite_done(st);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return cerebro_sqlite_db_fail(db, rc, "outbox", e);
    }

    return CEREBRO_STORE_OK;
}


cerebro_store_err_t
cerebro_sqlite_delivery_sent(cerebro_sqlite_t *db, const char *twilio_sid,
    int64_t outbox_id, int64_t now, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    if (cerebro_sqlite_check_text(twilio_sid, CEREBRO_REC_SID_LEN, 1,
                                  "twilio_sid", e)
        != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    err = cerebro_sqlite_stmt(db, &sql_dlv_sent, &st, "delivery", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    cerebro_sqlite_bind_text(st, 1, twilio_sid);
    sqlite3_bind_int64(st, 2, outbox_id);
    sqlite3_bind_int64(st, 3, now);

    return cerebro_sqlite_run(db, st, "delivery", e);
}


cerebro_store_err_t
cerebro_sqlite_delivery_record(cerebro_sqlite_t *db, const char *twilio_sid,
    const char *status, int rank, const char *error_code, int64_t now,
    cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    if (cerebro_sqlite_check_text(twilio_sid, CEREBRO_REC_SID_LEN, 1,
                                  "twilio_sid", e) != CEREBRO_STORE_OK
        || cerebro_sqlite_check_text(status, CEREBRO_SQLITE_DELIVERY_LEN, 1,
                                     "status", e) != CEREBRO_STORE_OK
        || cerebro_sqlite_check_text(error_code, CEREBRO_SQLITE_DELIVERY_LEN,
                                     0, "error_code", e) != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    err = cerebro_sqlite_stmt(db, &sql_dlv_status, &st, "delivery status",
                              e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    cerebro_sqlite_bind_text(st, 1, twilio_sid);
    cerebro_sqlite_bind_text(st, 2, status);
    sqlite3_bind_int(st, 3, rank);
    cerebro_sqlite_bind_text(st, 4, error_code);
    sqlite3_bind_int64(st, 5, now);

    return cerebro_sqlite_run(db, st, "delivery status", e);
}


static void
read_delivery(sqlite3_stmt *st, void *out)
{
    cerebro_delivery_t  *d = out;

    cerebro_sqlite_col_copy(d->status, sizeof(d->status), st, 0);
    cerebro_sqlite_col_copy(d->error_code, sizeof(d->error_code), st, 1);
    d->updated = sqlite3_column_int64(st, 2);
}


cerebro_store_err_t
cerebro_sqlite_delivery_get(cerebro_sqlite_t *db, const char *twilio_sid,
    cerebro_delivery_t *out, cerebro_store_error_t *e)
{
    if (cerebro_sqlite_check_text(twilio_sid, CEREBRO_REC_SID_LEN, 1,
                                  "twilio_sid", e)
        != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    return cerebro_sqlite_row(db, &sql_dlv_get, 0, twilio_sid,
                              read_delivery, out, "delivery", e);
}
