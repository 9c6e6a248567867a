/*
 * What the files of the embedded store share, and nobody else: the
 * connection, its statement cache, the transaction helpers and the checks
 * of the values written.  One aggregate a file (cerebro_sqlite_<name>.c);
 * the public interface is cerebro_sqlite.h.
 *
 * A write of one statement is atomic by itself.  A write of several runs
 * between cerebro_sqlite_begin() and cerebro_sqlite_commit(), and every
 * error after begin goes to its one "failed:" exit, which rolls back.
 */

#ifndef CEREBRO_SQLITE_INT_H
#define CEREBRO_SQLITE_INT_H

#include <sqlite3.h>

#include "cerebro_sqlite.h"
#include "cerebro_phone.h"


/* The connection's prepared statements, a slot each, by aggregate. */
enum {
    /* cerebro_sqlite.c */
    ST_BEGIN = 0,
    ST_COMMIT,
    ST_ROLLBACK,
    /* cerebro_sqlite_restaurant.c */
    ST_RULES,
    ST_TABLES,
    ST_GROUPS,
    ST_FAQ,
    /* cerebro_sqlite_bookings.c */
    ST_RANGE,
    ST_BY_PHONE,
    ST_GET,
    ST_WINDOW,
    ST_REPEAT,
    ST_INSERT,
    ST_UPDATE,
    ST_CANCEL,
    /* cerebro_sqlite_guests.c */
    ST_GUEST_GET,
    ST_GUEST_INSERT,
    ST_GUEST_FILL,
    ST_GUEST_PREFS,
    ST_OPT_SET,
    ST_OPT_GET,
    /* cerebro_sqlite_calls.c */
    ST_CALL_INSERT,
    ST_CALL_GET,
    ST_CALL_SINCE,
    ST_CALL_RECENT,
    /* cerebro_sqlite_outbox.c */
    ST_OB_INSERT,
    ST_OB_BY_KEY,
    ST_OB_GET,
    ST_OB_BY_SID,
    ST_OB_DUE,
    ST_OB_SENT,
    ST_OB_FAILED,
    ST_OB_RETRY,
    ST_OB_RECENT,
    ST_OB_COUNTS,
    ST_OB_OLDEST,
    ST_OB_DUE_KIND,
    ST_OB_REMINDER,
    ST_OB_ABOUT,
    ST_DLV_SENT,
    ST_DLV_STATUS,
    ST_DLV_GET,
    /* cerebro_sqlite_replay.c */
    ST_REPLAY_GET,
    ST_REPLAY_EXPIRE,
    ST_REPLAY_PUT,
    /* cerebro_sqlite_waitlist.c */
    ST_WL_INSERT,
    ST_WL_SAME,
    ST_WL_PASS,
    ST_WL_EXPIRE,
    ST_WL_DAYS,
    ST_WL_OF_DAY,
    ST_WL_MARK,
    ST_WL_OFFERED,
    ST_WL_ANSWER,
    ST_WL_LEAVE,
    ST_WL_LIST,
    ST_WL_UNMIRRORED,
    ST_WL_MIRRORED,
    ST_COUNT
};


/* A statement's text and its slot; each aggregate's file holds its own. */
typedef struct {
    int                          slot;
    const char                  *text;
} cerebro_sqlite_sql_t;


struct cerebro_sqlite_s {
    sqlite3                     *conn;
    const cerebro_restaurant_t  *model;
    sqlite3_stmt                *st[ST_COUNT];

    /* the engine's input, grown as needed and kept for the next query */
    cerebro_booking_t           *bk;
    int64_t                     *bk_id;
    int                          bk_cap;
};


typedef void (*cerebro_sqlite_row_pt)(sqlite3_stmt *st, void *out);


/* Maps an SQLite result code to an error kind, with the message. */
cerebro_store_err_t cerebro_sqlite_db_fail(cerebro_sqlite_t *db, int rc,
    const char *what, cerebro_store_error_t *e);

/* The prepared statement of sql, prepared on its first use. */
cerebro_store_err_t cerebro_sqlite_stmt(cerebro_sqlite_t *db,
    const cerebro_sqlite_sql_t *sql, sqlite3_stmt **st, const char *what,
    cerebro_store_error_t *e);

/* Resets st and lets its bound strings go (they are SQLITE_STATIC). */
void cerebro_sqlite_done(sqlite3_stmt *st);

/* Steps a bound statement that returns no row, then cerebro_sqlite_done. */
cerebro_store_err_t cerebro_sqlite_run(cerebro_sqlite_t *db,
    sqlite3_stmt *st, const char *what, cerebro_store_error_t *e);

/* BEGIN IMMEDIATE: the write lock from the first read on. */
cerebro_store_err_t cerebro_sqlite_begin(cerebro_sqlite_t *db,
    const char *what, cerebro_store_error_t *e);
cerebro_store_err_t cerebro_sqlite_commit(cerebro_sqlite_t *db,
    const char *what, cerebro_store_error_t *e);
/* Ends the transaction if one is open (a failed COMMIT may have ended it). */
void cerebro_sqlite_rollback(cerebro_sqlite_t *db);

/*
 * Steps st to the end, reading the first max rows into out (records of
 * size bytes); *n the rows read, *total (may be NULL) the rows matched.
 */
cerebro_store_err_t cerebro_sqlite_list(cerebro_sqlite_t *db,
    sqlite3_stmt *st, cerebro_sqlite_row_pt read, void *out, size_t size,
    int max, int *n, int *total, const char *what, cerebro_store_error_t *e);

/* The one row of sql by an integer key, or by key_text when not NULL. */
cerebro_store_err_t cerebro_sqlite_row(cerebro_sqlite_t *db,
    const cerebro_sqlite_sql_t *sql, int64_t key_int, const char *key_text,
    cerebro_sqlite_row_pt read, void *out, const char *what,
    cerebro_store_error_t *e);

/* The first row of a bound statement; NOT_FOUND without one. */
cerebro_store_err_t cerebro_sqlite_first(cerebro_sqlite_t *db,
    sqlite3_stmt *st, cerebro_sqlite_row_pt read, void *out,
    const char *what, cerebro_store_error_t *e);

void cerebro_sqlite_col_copy(char *dst, size_t size, sqlite3_stmt *st,
    int col);
/* NULL binds "" */
void cerebro_sqlite_bind_text(sqlite3_stmt *st, int i, const char *s);

/* INVALID when s does not fit size, or when required and empty. */
cerebro_store_err_t cerebro_sqlite_check_text(const char *s, size_t size,
    int required, const char *field, cerebro_store_error_t *e);
/*
 * A telephone number as staff or a guest wrote it ("600 11 12 22", "+34
 * 600-111-222") in E.164, with the restaurant's country code for a
 * national number: the one form stored and looked up.  INVALID when it
 * is no number.
 */
cerebro_store_err_t cerebro_sqlite_phone(cerebro_sqlite_t *db,
    const char *s, char out[CEREBRO_PHONE_E164_SIZE], const char *field,
    cerebro_store_error_t *e);
/* Our ids are rowids as text. */
cerebro_store_err_t cerebro_sqlite_parse_id(const char *id, int64_t *out,
    cerebro_store_error_t *e);

/* cerebro_sqlite_schema.c: the file up to CEREBRO_SQLITE_SCHEMA_VERSION. */
cerebro_store_err_t cerebro_sqlite_migrate(cerebro_sqlite_t *db,
    const char *rules, size_t rules_len, cerebro_store_error_t *e);

#endif /* CEREBRO_SQLITE_INT_H */
