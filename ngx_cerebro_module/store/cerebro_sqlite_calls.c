/*
 * The embedded store: the call log, one entry per call from VAPI's
 * end-of-call report.
 */

#include "cerebro_sqlite_int.h"


static const cerebro_sqlite_sql_t  sql_call_insert = { ST_CALL_INSERT,
    "INSERT INTO call_log (call_id, caller, started, ended, duration_s,"
    " ended_reason, summary, cost, booked, changed, cancelled, created)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    " ON CONFLICT (call_id) DO NOTHING" };

static const cerebro_sqlite_sql_t  sql_call_get = { ST_CALL_GET,
    "SELECT call_id, caller, started, ended, duration_s, ended_reason,"
    " summary, cost, booked, changed, cancelled FROM call_log"
    " WHERE call_id = ?1" };


/* a report without startedAt counts when it was written */
static const cerebro_sqlite_sql_t  sql_call_since = { ST_CALL_SINCE,
    "SELECT CASE WHEN started > 0 THEN started ELSE created END,"
    " booked, changed, cancelled FROM call_log"
    " WHERE (CASE WHEN started > 0 THEN started ELSE created END) >= ?1"
    " ORDER BY 1 LIMIT ?2" };

static const cerebro_sqlite_sql_t  sql_call_recent = { ST_CALL_RECENT,
    "SELECT call_id, caller, started, ended, duration_s, ended_reason,"
    " summary, cost, booked, changed, cancelled FROM call_log"
    " WHERE started >= ?1 ORDER BY started DESC LIMIT ?2" };


static void read_call(sqlite3_stmt *st, void *out);
static void read_mark(sqlite3_stmt *st, void *out);


cerebro_store_err_t
cerebro_sqlite_call_log_insert(cerebro_sqlite_t *db,
    const cerebro_call_log_t *c, int64_t now, int *inserted,
    cerebro_store_error_t *e)
{
    char                  caller[CEREBRO_PHONE_E164_SIZE];
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *inserted = 0;

    if (cerebro_sqlite_check_text(c->call_id, sizeof(c->call_id), 1,
                                  "call_id", e)
        != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    err = cerebro_sqlite_stmt(db, &sql_call_insert, &st, "call log", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    /* a caller that is no number (withheld, a SIP name) is kept as is */
    cerebro_sqlite_bind_text(st, 1, c->call_id);
    cerebro_sqlite_bind_text(st, 2,
                             cerebro_sqlite_phone(db, c->caller, caller,
                                                  "caller", NULL)
                             == CEREBRO_STORE_OK ? caller : c->caller);
    sqlite3_bind_int64(st, 3, c->started);
    sqlite3_bind_int64(st, 4, c->ended);
    sqlite3_bind_int(st, 5, c->duration_s);
    cerebro_sqlite_bind_text(st, 6, c->ended_reason);
    cerebro_sqlite_bind_text(st, 7, c->summary);
    sqlite3_bind_double(st, 8, c->cost);
    sqlite3_bind_int(st, 9, c->booked != 0);
    sqlite3_bind_int(st, 10, c->changed != 0);
    sqlite3_bind_int(st, 11, c->cancelled != 0);
    sqlite3_bind_int64(st, 12, now);

    err = cerebro_sqlite_run(db, st, "call log", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    *inserted = sqlite3_changes(db->conn) > 0;

    return CEREBRO_STORE_OK;
}


static void
read_call(sqlite3_stmt *st, void *out)
{
    cerebro_call_log_t  *c = out;

    cerebro_sqlite_col_copy(c->call_id, sizeof(c->call_id), st, 0);
    cerebro_sqlite_col_copy(c->caller, sizeof(c->caller), st, 1);
    c->started = sqlite3_column_int64(st, 2);
    c->ended = sqlite3_column_int64(st, 3);
    c->duration_s = sqlite3_column_int(st, 4);
    cerebro_sqlite_col_copy(c->ended_reason, sizeof(c->ended_reason), st,
                            5);
    cerebro_sqlite_col_copy(c->summary, sizeof(c->summary), st, 6);
    c->cost = sqlite3_column_double(st, 7);
    c->booked = sqlite3_column_int(st, 8);
    c->changed = sqlite3_column_int(st, 9);
    c->cancelled = sqlite3_column_int(st, 10);
}


cerebro_store_err_t
cerebro_sqlite_call_log_get(cerebro_sqlite_t *db, const char *call_id,
    cerebro_call_log_t *out, cerebro_store_error_t *e)
{
    if (cerebro_sqlite_check_text(call_id, CEREBRO_REC_CALL_ID_LEN, 1,
                                  "call_id", e)
        != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    return cerebro_sqlite_row(db, &sql_call_get, 0, call_id, read_call, out,
                              "call log", e);
}


cerebro_store_err_t
cerebro_sqlite_calls_since(cerebro_sqlite_t *db, int64_t since,
    cerebro_call_mark_t *out, int max, int *n, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *n = 0;

    err = cerebro_sqlite_stmt(db, &sql_call_since, &st, "call log", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int(st, 2, max > 0 ? max : 0);

    return cerebro_sqlite_list(db, st, read_mark, out, sizeof(*out), max, n,
                               NULL, "call log", e);
}


static void
read_mark(sqlite3_stmt *st, void *out)
{
    cerebro_call_mark_t  *m = out;

    m->started = sqlite3_column_int64(st, 0);
    m->booked = sqlite3_column_int(st, 1);
    m->changed = sqlite3_column_int(st, 2);
    m->cancelled = sqlite3_column_int(st, 3);
}


cerebro_store_err_t
cerebro_sqlite_call_log_recent(cerebro_sqlite_t *db, int64_t since,
    cerebro_call_log_t *out, int max, int *n, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *n = 0;

    err = cerebro_sqlite_stmt(db, &sql_call_recent, &st, "call log", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int(st, 2, max > 0 ? max : 0);

    return cerebro_sqlite_list(db, st, read_call, out, sizeof(*out), max, n,
                               NULL, "call log", e);
}
