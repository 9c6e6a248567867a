/*
 * The embedded store on SQLite.
 *
 * Every worker opens its own connection to one WAL file: readers never
 * wait for the writer, and writers take turns.  Writes that read first
 * (a booking, a guest's preferences) start with BEGIN IMMEDIATE, so the
 * write lock is held from the first read: what the engine saw is what is
 * committed, and a deferred transaction's "busy snapshot" cannot happen.
 * The busy timeout is a few ms, so a worker never stalls behind another;
 * it answers "unavailable" and the guest is asked to try again.
 *
 * Statements are prepared once per connection, on first use, and take
 * every value as a bound parameter.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "cerebro_sqlite.h"


#define RES_COLS                                                            \
    "id, client_name, client_phone, start, pax, table_name, status, "      \
    "notes, source, call_id, created"

#define OUTBOX_COLS                                                         \
    "id, recipient, body, template_sid, variables, status, attempts, "     \
    "next_attempt, last_error, twilio_sid, created, kind, reservation_id, " \
    "dedupe_key"

#define GUEST_COLS  "id, name, phone, email, preferences"


enum {
    ST_RULES = 0,
    ST_TABLES,
    ST_GROUPS,
    ST_FAQ,
    ST_RANGE,
    ST_BY_PHONE,
    ST_GET,
    ST_WINDOW,
    ST_REPEAT,
    ST_INSERT,
    ST_UPDATE,
    ST_CANCEL,
    ST_GUEST_GET,
    ST_GUEST_INSERT,
    ST_GUEST_FILL,
    ST_GUEST_PREFS,
    ST_CALL_INSERT,
    ST_CALL_GET,
    ST_OB_INSERT,
    ST_OB_BY_KEY,
    ST_OB_GET,
    ST_OB_DUE,
    ST_OB_SENT,
    ST_OB_FAILED,
    ST_OB_RETRY,
    ST_OB_RECENT,
    ST_OPT_SET,
    ST_OPT_GET,
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_COUNT
};


static const char  *sql_text[ST_COUNT] = {
    /* ST_RULES */
    "SELECT value FROM meta WHERE key = 'rules'",
    /* ST_TABLES */
    "SELECT name, capacity_min, capacity_max, location FROM tables"
    " ORDER BY position, id",
    /* ST_GROUPS */
    "SELECT name, capacity_min, capacity_max, members FROM table_groups"
    " ORDER BY position, id",
    /* ST_FAQ */
    "SELECT topic, question, answer FROM faq ORDER BY position, id",
    /* ST_RANGE */
    "SELECT " RES_COLS " FROM reservations"
    " WHERE start >= ?1 AND start < ?2 AND (?3 OR status <> 'cancelled')"
    " ORDER BY start, id",
    /* ST_BY_PHONE */
    "SELECT " RES_COLS " FROM reservations"
    " WHERE client_phone = ?1 AND start >= ?2"
    " AND (?3 OR status <> 'cancelled') ORDER BY start, id",
    /* ST_GET */
    "SELECT " RES_COLS " FROM reservations WHERE id = ?1",
    /* ST_WINDOW */
    "SELECT id, start, pax, table_name, status FROM reservations"
    " WHERE start >= ?1 AND start < ?2 AND status <> 'cancelled'",
    /* ST_REPEAT */
    "SELECT id FROM reservations WHERE call_id = ?1 AND client_phone = ?2"
    " AND start = ?3 AND status <> 'cancelled' LIMIT 1",
    /* ST_INSERT */
    "INSERT INTO reservations (client_name, client_phone, start, pax,"
    " table_name, status, notes, source, call_id, created, updated)"
    " VALUES (?1, ?2, ?3, ?4, ?5, 'confirmed', ?6, ?7, ?8, ?9, ?9)",
    /* ST_UPDATE */
    "UPDATE reservations SET start = ?2, pax = ?3, table_name = ?4,"
    " notes = ?5, updated = ?6 WHERE id = ?1",
    /* ST_CANCEL */
    "UPDATE reservations SET status = 'cancelled', updated = ?2"
    " WHERE id = ?1 AND status <> 'cancelled'",
    /* ST_GUEST_GET */
    "SELECT " GUEST_COLS " FROM guests WHERE phone = ?1",
    /* ST_GUEST_INSERT */
    "INSERT INTO guests (name, phone, email, preferences, created, updated)"
    " VALUES (?1, ?2, ?3, '', ?4, ?4) ON CONFLICT (phone) DO NOTHING",
    /* ST_GUEST_FILL */
    "UPDATE guests SET"
    " name = CASE WHEN name = '' THEN ?2 ELSE name END,"
    " email = CASE WHEN email = '' THEN ?3 ELSE email END,"
    " updated = ?4"
    " WHERE phone = ?1 AND ((name = '' AND ?2 <> '')"
    " OR (email = '' AND ?3 <> ''))",
    /* ST_GUEST_PREFS */
    "UPDATE guests SET preferences = ?2, updated = ?3 WHERE phone = ?1",
    /* ST_CALL_INSERT */
    "INSERT INTO call_log (call_id, caller, started, ended, duration_s,"
    " ended_reason, summary, cost, booked, changed, cancelled, created)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    " ON CONFLICT (call_id) DO NOTHING",
    /* ST_CALL_GET */
    "SELECT call_id, caller, started, ended, duration_s, ended_reason,"
    " summary, cost, booked, changed, cancelled FROM call_log"
    " WHERE call_id = ?1",
    /* ST_OB_INSERT */
    "INSERT INTO outbox (recipient, body, template_sid, variables, status,"
    " attempts, next_attempt, last_error, twilio_sid, created, updated,"
    " kind, reservation_id, dedupe_key)"
    " VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, '', '', ?6, ?6, ?7, ?8, ?9)"
    " ON CONFLICT (dedupe_key) DO NOTHING",
    /* ST_OB_BY_KEY */
    "SELECT " OUTBOX_COLS " FROM outbox WHERE dedupe_key = ?1",
    /* ST_OB_GET */
    "SELECT " OUTBOX_COLS " FROM outbox WHERE id = ?1",
    /* ST_OB_DUE */
    "SELECT " OUTBOX_COLS " FROM outbox"
    " WHERE status = 'pending' AND next_attempt <= ?1"
    " ORDER BY next_attempt, id LIMIT ?2",
    /* ST_OB_SENT */
    "UPDATE outbox SET status = 'sent', twilio_sid = ?2,"
    " attempts = attempts + 1, updated = ?3"
    " WHERE id = ?1 AND status = 'pending'",
    /* ST_OB_FAILED */
    "UPDATE outbox SET status = 'failed', last_error = ?2,"
    " attempts = attempts + 1, updated = ?3"
    " WHERE id = ?1 AND status = 'pending'",
    /* ST_OB_RETRY */
    "UPDATE outbox SET last_error = ?2, next_attempt = ?3,"
    " attempts = attempts + 1, updated = ?4"
    " WHERE id = ?1 AND status = 'pending'",
    /* ST_OB_RECENT */
    "SELECT " OUTBOX_COLS " FROM outbox ORDER BY created DESC, id DESC"
    " LIMIT ?1",
    /* ST_OPT_SET */
    "INSERT INTO opt_out (phone, opted_out, updated) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (phone) DO UPDATE SET opted_out = excluded.opted_out,"
    " updated = excluded.updated",
    /* ST_OPT_GET */
    "SELECT opted_out FROM opt_out WHERE phone = ?1",
    /* ST_BEGIN */
    "BEGIN IMMEDIATE",
    /* ST_COMMIT */
    "COMMIT",
    /* ST_ROLLBACK */
    "ROLLBACK"
};


/*
 * migrations[v] takes a database from user_version v to v + 1.  Never
 * edit one that has shipped: add the next.
 */
static const char  *migrations[CEREBRO_SQLITE_SCHEMA_VERSION] = {
    /* 0 -> 1 */
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);"
    "CREATE TABLE tables ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  capacity_min INTEGER NOT NULL,"
    "  capacity_max INTEGER NOT NULL,"
    "  location TEXT NOT NULL DEFAULT '',"
    "  position INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE table_groups ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  capacity_min INTEGER NOT NULL,"
    "  capacity_max INTEGER NOT NULL,"
    "  members TEXT NOT NULL,"           /* JSON array of table names */
    "  position INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE reservations ("
    "  id INTEGER PRIMARY KEY,"
    "  client_name TEXT NOT NULL,"
    "  client_phone TEXT NOT NULL,"
    "  start INTEGER NOT NULL,"
    "  pax INTEGER NOT NULL CHECK (pax > 0),"
    "  table_name TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL DEFAULT 'confirmed',"
    "  notes TEXT NOT NULL DEFAULT '',"
    "  source TEXT NOT NULL DEFAULT '',"
    "  call_id TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL);"
    "CREATE INDEX reservations_start ON reservations (start);"
    "CREATE INDEX reservations_phone ON reservations (client_phone, start);"
    "CREATE TABLE guests ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  phone TEXT NOT NULL UNIQUE,"
    "  email TEXT NOT NULL DEFAULT '',"
    "  preferences TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL);"
    "CREATE TABLE faq ("
    "  id INTEGER PRIMARY KEY,"
    "  topic TEXT NOT NULL DEFAULT '',"
    "  question TEXT NOT NULL,"
    "  answer TEXT NOT NULL,"
    "  position INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE call_log ("
    "  call_id TEXT PRIMARY KEY,"
    "  caller TEXT NOT NULL DEFAULT '',"
    "  started INTEGER NOT NULL DEFAULT 0,"
    "  ended INTEGER NOT NULL DEFAULT 0,"
    "  duration_s INTEGER NOT NULL DEFAULT 0,"
    "  ended_reason TEXT NOT NULL DEFAULT '',"
    "  summary TEXT NOT NULL DEFAULT '',"
    "  cost REAL NOT NULL DEFAULT 0,"
    "  booked INTEGER NOT NULL DEFAULT 0,"
    "  changed INTEGER NOT NULL DEFAULT 0,"
    "  cancelled INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  recipient TEXT NOT NULL,"
    "  body TEXT NOT NULL DEFAULT '',"
    "  template_sid TEXT NOT NULL DEFAULT '',"
    "  variables TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL"
    "    CHECK (status IN ('pending', 'sent', 'failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT NOT NULL DEFAULT '',"
    "  twilio_sid TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  kind TEXT NOT NULL DEFAULT '',"
    "  reservation_id TEXT NOT NULL DEFAULT '',"
    "  dedupe_key TEXT UNIQUE);"          /* NULL: no deduplication */
    "CREATE INDEX outbox_due ON outbox (status, next_attempt);"
    "CREATE INDEX outbox_created ON outbox (created);"
    "CREATE TABLE opt_out ("
    "  phone TEXT PRIMARY KEY,"
    "  opted_out INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL);"
};


/* The question a guest would ask for each info text of the model. */
static const struct {
    const char  *key;
    const char  *question;
} faq_questions[] = {
    { "parking", "¿Tienen aparcamiento?" },
    { "menu", "¿Qué tipo de cocina y de menú tienen?" },
    { "allergens", "¿Tienen opciones para alergias, sin gluten o"
                   " vegetarianas?" },
    { "accessibility", "¿El local es accesible en silla de ruedas?" },
    { "pets", "¿Se admiten mascotas?" },
    { "hours", "¿Cuál es el horario?" },
    { "address", "¿Dónde están?" },
    { "phone", "¿Cuál es el teléfono del restaurante?" }
};


struct cerebro_sqlite_s {
    sqlite3                     *conn;
    const cerebro_restaurant_t  *model;
    sqlite3_stmt                *st[ST_COUNT];

    /* the engine's input, grown as needed and kept for the next query */
    cerebro_booking_t           *bk;
    int64_t                     *bk_id;
    int                          bk_cap;
};


typedef void (*row_reader_pt)(sqlite3_stmt *st, void *out);


static cerebro_store_err_t db_fail(cerebro_sqlite_t *db, int rc,
    const char *what, cerebro_store_error_t *e);
static sqlite3_stmt *stmt(cerebro_sqlite_t *db, int id, const char *what,
    cerebro_store_error_t *e);
static void done(sqlite3_stmt *st);
static cerebro_store_err_t run(cerebro_sqlite_t *db, int id,
    const char *what, cerebro_store_error_t *e);
static cerebro_store_err_t begin(cerebro_sqlite_t *db, const char *what,
    cerebro_store_error_t *e);
static cerebro_store_err_t commit(cerebro_sqlite_t *db, const char *what,
    cerebro_store_error_t *e);
static void rollback(cerebro_sqlite_t *db);
static cerebro_store_err_t list(cerebro_sqlite_t *db, sqlite3_stmt *st,
    row_reader_pt read, void *out, size_t size, int max, int *n,
    int *total, const char *what, cerebro_store_error_t *e);
static void col_copy(char *dst, size_t size, sqlite3_stmt *st, int col);
static void bind_text(sqlite3_stmt *st, int i, const char *s);
static cerebro_store_err_t check_text(const char *s, size_t size,
    int required, const char *field, cerebro_store_error_t *e);
static cerebro_store_err_t check_phone(const char *s, const char *field,
    cerebro_store_error_t *e);
static cerebro_store_err_t parse_id(const char *id, int64_t *out,
    cerebro_store_error_t *e);
static int mkdir_parents(const char *path);
static cerebro_store_err_t migrate(cerebro_sqlite_t *db, const char *rules,
    size_t rules_len, cerebro_store_error_t *e);
static cerebro_store_err_t seed(cerebro_sqlite_t *db, const char *rules,
    size_t rules_len, cerebro_store_error_t *e);
static void read_reservation(sqlite3_stmt *st, void *out);
static void read_outbox(sqlite3_stmt *st, void *out);
static void read_guest(sqlite3_stmt *st, void *out);
static cerebro_store_err_t get_row(cerebro_sqlite_t *db, int id,
    int64_t key_int, const char *key_text, row_reader_pt read, void *out,
    const char *what, cerebro_store_error_t *e);
static cerebro_store_err_t load_window(cerebro_sqlite_t *db,
    const cerebro_date_t *date, int64_t skip_id, int *nb,
    cerebro_store_error_t *e);
static cerebro_store_err_t refused(const cerebro_answer_t *a,
    cerebro_store_error_t *e);
static int64_t local_midnight(const cerebro_sqlite_t *db,
    const cerebro_date_t *d);


static cerebro_store_err_t
db_fail(cerebro_sqlite_t *db, int rc, const char *what,
    cerebro_store_error_t *e)
{
    const char  *msg;

    msg = db != NULL && db->conn != NULL ? sqlite3_errmsg(db->conn)
                                         : sqlite3_errstr(rc);

    switch (rc & 0xff) {

    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return cerebro_store_error_set(e, CEREBRO_STORE_UNAVAILABLE,
                                       "%s: database busy", what);

    case SQLITE_CONSTRAINT:
        return cerebro_store_error_set(e, CEREBRO_STORE_CONFLICT,
                                       "%s: %s", what, msg);

    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "%s: %s", what, msg);

    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FULL:
    case SQLITE_PERM:
    case SQLITE_AUTH:
        /* no retry mends these: the operator must */
        (void) cerebro_store_error_set(e, CEREBRO_STORE_UNAVAILABLE,
                                       "%s: %s", what, msg);
        if (e != NULL) {
            e->broken = 1;
        }
        return CEREBRO_STORE_UNAVAILABLE;

    default:
        return cerebro_store_error_set(e, CEREBRO_STORE_UNAVAILABLE,
                                       "%s: %s", what, msg);
    }
}


static sqlite3_stmt *
stmt(cerebro_sqlite_t *db, int id, const char *what,
    cerebro_store_error_t *e)
{
    int  rc;

    if (db->st[id] != NULL) {
        return db->st[id];
    }

    rc = sqlite3_prepare_v3(db->conn, sql_text[id], -1,
                            SQLITE_PREPARE_PERSISTENT, &db->st[id], NULL);

    if (rc != SQLITE_OK) {
        (void) db_fail(db, rc, what, e);
        sqlite3_finalize(db->st[id]);
        db->st[id] = NULL;
        return NULL;
    }

    return db->st[id];
}


/* Bound strings are SQLITE_STATIC: clearing the bindings lets them go. */
static void
done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}


/* A statement without result rows. */
static cerebro_store_err_t
run(cerebro_sqlite_t *db, int id, const char *what,
    cerebro_store_error_t *e)
{
    int            rc;
    sqlite3_stmt  *st;

    st = stmt(db, id, what, e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    rc = sqlite3_step(st);
    done(st);

    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        return db_fail(db, rc, what, e);
    }

    return CEREBRO_STORE_OK;
}


static cerebro_store_err_t
begin(cerebro_sqlite_t *db, const char *what, cerebro_store_error_t *e)
{
    sqlite3_stmt  *st;
    int            rc;

    st = stmt(db, ST_BEGIN, what, e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    rc = sqlite3_step(st);
    done(st);

    if (rc != SQLITE_DONE) {
        return db_fail(db, rc, what, e);
    }

    return CEREBRO_STORE_OK;
}


static cerebro_store_err_t
commit(cerebro_sqlite_t *db, const char *what, cerebro_store_error_t *e)
{
    cerebro_store_err_t  rc;

    rc = run(db, ST_COMMIT, what, e);

    if (rc != CEREBRO_STORE_OK) {
        rollback(db);
    }

    return rc;
}


static void
rollback(cerebro_sqlite_t *db)
{
    if (!sqlite3_get_autocommit(db->conn)) {
        (void) run(db, ST_ROLLBACK, "rollback", NULL);
    }
}


static cerebro_store_err_t
list(cerebro_sqlite_t *db, sqlite3_stmt *st, row_reader_pt read, void *out,
    size_t size, int max, int *n, int *total, const char *what,
    cerebro_store_error_t *e)
{
    int  rc, count;

    *n = 0;
    count = 0;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count < max) {
            read(st, (char *) out + (size_t) count * size);
            *n = count + 1;
        }

        count++;
    }

    done(st);

    if (rc != SQLITE_DONE) {
        *n = 0;
        return db_fail(db, rc, what, e);
    }

    if (total != NULL) {
        *total = count;
    }

    return CEREBRO_STORE_OK;
}


static void
col_copy(char *dst, size_t size, sqlite3_stmt *st, int col)
{
    (void) cerebro_rec_copy(dst, size,
                            (const char *) sqlite3_column_text(st, col));
}


static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s != NULL ? s : "", -1, SQLITE_STATIC);
}


static cerebro_store_err_t
check_text(const char *s, size_t size, int required, const char *field,
    cerebro_store_error_t *e)
{
    if (s == NULL || s[0] == '\0') {
        if (required) {
            return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                           "%s: required", field);
        }

        return CEREBRO_STORE_OK;
    }

    if (strlen(s) >= size) {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "%s: longer than %zu bytes", field,
                                       size - 1);
    }

    return CEREBRO_STORE_OK;
}


/* E.164 as cerebro_phone_normalize writes it: '+', 7 to 15 digits. */
static cerebro_store_err_t
check_phone(const char *s, const char *field, cerebro_store_error_t *e)
{
    size_t  i;

    if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9') {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "%s: expected E.164 (+34...)", field);
    }

    for (i = 1; s[i] >= '0' && s[i] <= '9'; i++) {
        /* count the digits */
    }

    if (s[i] != '\0' || i - 1 < 7 || i - 1 > 15) {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "%s: expected E.164 (+34...)", field);
    }

    return CEREBRO_STORE_OK;
}


/* Our ids are rowids as text; an Airtable "rec..." id is not one. */
static cerebro_store_err_t
parse_id(const char *id, int64_t *out, cerebro_store_error_t *e)
{
    char       *end;
    long long   v;

    if (id == NULL || id[0] < '1' || id[0] > '9') {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "id: expected a positive number");
    }

    errno = 0;
    v = strtoll(id, &end, 10);

    if (errno != 0 || *end != '\0' || v <= 0) {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "id: expected a positive number");
    }

    *out = v;

    return CEREBRO_STORE_OK;
}


static int
mkdir_parents(const char *path)
{
    char    dir[PATH_MAX];
    char   *p;
    size_t  len;

    len = strlen(path);
    if (len >= sizeof(dir)) {
        errno = ENAMETOOLONG;
        return -1;
    }

    memcpy(dir, path, len + 1);

    p = strrchr(dir, '/');
    if (p == NULL || p == dir) {
        return 0;
    }

    *p = '\0';

    for (p = dir + 1; *p; p++) {
        if (*p != '/') {
            continue;
        }

        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            return -1;
        }

        *p = '/';
    }

    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        return -1;
    }

    return 0;
}


cerebro_sqlite_t *
cerebro_sqlite_open(const char *path, const cerebro_restaurant_t *model,
    const char *rules_json, size_t rules_len, cerebro_store_error_t *e)
{
    int                  rc;
    const char          *mode;
    sqlite3_stmt        *st;
    cerebro_sqlite_t    *db;
    cerebro_store_err_t  err;

    if (path == NULL || path[0] == '\0' || model == NULL) {
        (void) cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "sqlite open: path and model needed");
        return NULL;
    }

    if (mkdir_parents(path) != 0) {
        (void) cerebro_store_error_set(e, CEREBRO_STORE_UNAVAILABLE,
                                       "sqlite open: directory of \"%s\": %s",
                                       path, strerror(errno));
        return NULL;
    }

    db = calloc(1, sizeof(cerebro_sqlite_t));
    if (db == NULL) {
        (void) cerebro_store_error_set(e, CEREBRO_STORE_UNAVAILABLE,
                                       "sqlite open: out of memory");
        return NULL;
    }

    db->model = model;

    /* NOMUTEX: a connection belongs to one worker, which has no threads */
    rc = sqlite3_open_v2(path, &db->conn,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                         | SQLITE_OPEN_NOMUTEX, NULL);

    if (rc != SQLITE_OK) {
        (void) cerebro_store_error_set(e, CEREBRO_STORE_UNAVAILABLE,
                                       "sqlite open \"%s\": %s", path,
                                       db->conn != NULL
                                       ? sqlite3_errmsg(db->conn)
                                       : sqlite3_errstr(rc));
        goto failed;
    }

    sqlite3_extended_result_codes(db->conn, 1);
    sqlite3_busy_timeout(db->conn, CEREBRO_SQLITE_OPEN_TIMEOUT_MS);

    rc = sqlite3_prepare_v2(db->conn, "PRAGMA journal_mode = WAL", -1, &st,
                            NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        mode = (const char *) sqlite3_column_text(st, 0);

        if (rc == SQLITE_ROW && (mode == NULL || strcmp(mode, "wal") != 0)) {
            (void) cerebro_store_error_set(e, CEREBRO_STORE_UNAVAILABLE,
                                           "sqlite open \"%s\": journal mode"
                                           " is \"%s\", not WAL", path,
                                           mode != NULL ? mode : "");
            sqlite3_finalize(st);
            goto failed;
        }

        rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
        sqlite3_finalize(st);
    }

    if (rc == SQLITE_OK) {
        /* WAL + NORMAL: a commit is durable at the next checkpoint, and
         * the database never corrupts; no fsync per booking */
        rc = sqlite3_exec(db->conn, "PRAGMA synchronous = NORMAL", NULL,
                          NULL, NULL);
    }

    if (rc != SQLITE_OK) {
        (void) db_fail(db, rc, "sqlite open", e);
        goto failed;
    }

    err = migrate(db, rules_json, rules_len, e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    sqlite3_busy_timeout(db->conn, CEREBRO_SQLITE_BUSY_TIMEOUT_MS);

    return db;

failed:

    cerebro_sqlite_close(db);

    return NULL;
}


void
cerebro_sqlite_close(cerebro_sqlite_t *db)
{
    int  i;

    if (db == NULL) {
        return;
    }

    for (i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(db->st[i]);
    }

    sqlite3_close(db->conn);
    free(db->bk);
    free(db->bk_id);
    free(db);
}


void
cerebro_sqlite_set_busy_timeout(cerebro_sqlite_t *db, int ms)
{
    sqlite3_busy_timeout(db->conn,
                         ms > 0 ? ms : CEREBRO_SQLITE_BUSY_TIMEOUT_MS);
}


struct sqlite3 *
cerebro_sqlite_handle(cerebro_sqlite_t *db)
{
    return db->conn;
}


int
cerebro_sqlite_schema_version(cerebro_sqlite_t *db)
{
    int            v;
    sqlite3_stmt  *st;

    v = -1;

    if (sqlite3_prepare_v2(db->conn, "PRAGMA user_version", -1, &st, NULL)
        == SQLITE_OK)
    {
        if (sqlite3_step(st) == SQLITE_ROW) {
            v = sqlite3_column_int(st, 0);
        }

        sqlite3_finalize(st);
    }

    return v;
}


/*
 * In one write transaction, so that two workers starting on a new file do
 * not both create and seed it: the second sees the first's version.
 */
static cerebro_store_err_t
migrate(cerebro_sqlite_t *db, const char *rules, size_t rules_len,
    cerebro_store_error_t *e)
{
    int                  rc, v, from;
    char                 sql[64];
    char                *msg;
    cerebro_store_err_t  err;

    rc = sqlite3_exec(db->conn, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        return db_fail(db, rc, "sqlite open", e);
    }

    from = cerebro_sqlite_schema_version(db);

    if (from < 0 || from > CEREBRO_SQLITE_SCHEMA_VERSION) {
        rollback(db);
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "sqlite open: schema version %d,"
                                       " this build knows up to %d", from,
                                       CEREBRO_SQLITE_SCHEMA_VERSION);
    }

    for (v = from; v < CEREBRO_SQLITE_SCHEMA_VERSION; v++) {
        msg = NULL;
        rc = sqlite3_exec(db->conn, migrations[v], NULL, NULL, &msg);

        if (rc != SQLITE_OK) {
            (void) cerebro_store_error_set(e, CEREBRO_STORE_UNAVAILABLE,
                                           "sqlite migration %d -> %d: %s",
                                           v, v + 1, msg ? msg : "failed");
            sqlite3_free(msg);
            rollback(db);
            return CEREBRO_STORE_UNAVAILABLE;
        }
    }

    if (from == 0) {
        err = seed(db, rules, rules_len, e);
        if (err != CEREBRO_STORE_OK) {
            rollback(db);
            return err;
        }
    }

    if (from != CEREBRO_SQLITE_SCHEMA_VERSION) {
        /* a pragma takes no parameter; the value is our own constant */
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
                 CEREBRO_SQLITE_SCHEMA_VERSION);

        rc = sqlite3_exec(db->conn, sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            err = db_fail(db, rc, "sqlite open", e);
            rollback(db);
            return err;
        }
    }

    rc = sqlite3_exec(db->conn, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        err = db_fail(db, rc, "sqlite open", e);
        rollback(db);
        return err;
    }

    return CEREBRO_STORE_OK;
}


static cerebro_store_err_t
seed(cerebro_sqlite_t *db, const char *rules, size_t rules_len,
    cerebro_store_error_t *e)
{
    int                          i, j, rc;
    char                        *members;
    size_t                       k;
    cJSON                       *arr;
    const char                  *question;
    sqlite3_stmt                *st;
    const cerebro_group_t       *g;
    const cerebro_table_t       *t;
    const cerebro_restaurant_t  *r;

    r = db->model;
    st = NULL;
    members = NULL;
    arr = NULL;

    rc = sqlite3_prepare_v2(db->conn,
                            "INSERT INTO tables (name, capacity_min,"
                            " capacity_max, location, position)"
                            " VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, NULL);

    for (i = 0; rc == SQLITE_OK && i < r->ntables; i++) {
        t = &r->tables[i];
        bind_text(st, 1, t->name);
        sqlite3_bind_int(st, 2, t->capacity_min);
        sqlite3_bind_int(st, 3, t->capacity_max);
        bind_text(st, 4, t->location);
        sqlite3_bind_int(st, 5, i);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        done(st);
    }

    sqlite3_finalize(st);
    st = NULL;

    if (rc == SQLITE_OK) {
        rc = sqlite3_prepare_v2(db->conn,
                                "INSERT INTO table_groups (name,"
                                " capacity_min, capacity_max, members,"
                                " position) VALUES (?1, ?2, ?3, ?4, ?5)",
                                -1, &st, NULL);
    }

    for (i = 0; rc == SQLITE_OK && i < r->ngroups; i++) {
        g = &r->groups[i];
        arr = cJSON_CreateArray();

        for (j = 0; arr != NULL && j < g->ntables; j++) {
            if (!cJSON_AddItemToArray(arr,
                                      cJSON_CreateString(g->members[j])))
            {
                cJSON_Delete(arr);
                arr = NULL;
            }
        }

        members = arr != NULL ? cJSON_PrintUnformatted(arr) : NULL;
        cJSON_Delete(arr);

        if (members == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }

        bind_text(st, 1, g->name);
        sqlite3_bind_int(st, 2, g->capacity_min);
        sqlite3_bind_int(st, 3, g->capacity_max);
        bind_text(st, 4, members);
        sqlite3_bind_int(st, 5, i);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        done(st);
        cJSON_free(members);
    }

    sqlite3_finalize(st);
    st = NULL;

    if (rc == SQLITE_OK) {
        rc = sqlite3_prepare_v2(db->conn,
                                "INSERT INTO faq (topic, question, answer,"
                                " position) VALUES (?1, ?2, ?3, ?4)",
                                -1, &st, NULL);
    }

    for (i = 0; rc == SQLITE_OK && i < r->ninfo; i++) {
        question = r->info[i].key;

        for (k = 0; k < sizeof(faq_questions) / sizeof(faq_questions[0]);
             k++)
        {
            if (strcmp(faq_questions[k].key, r->info[i].key) == 0) {
                question = faq_questions[k].question;
                break;
            }
        }

        bind_text(st, 1, r->info[i].key);
        bind_text(st, 2, question);
        bind_text(st, 3, r->info[i].value);
        sqlite3_bind_int(st, 4, i);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        done(st);
    }

    sqlite3_finalize(st);
    st = NULL;

    if (rc == SQLITE_OK) {
        rc = sqlite3_prepare_v2(db->conn,
                                "INSERT INTO meta (key, value) VALUES"
                                " ('rules', ?1), ('seeded_from', ?2)",
                                -1, &st, NULL);
    }

    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, rules != NULL ? rules : "",
                          rules != NULL ? (int) rules_len : 0,
                          SQLITE_STATIC);
        bind_text(st, 2, r->name);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        done(st);
    }

    sqlite3_finalize(st);

    if (rc != SQLITE_OK) {
        return db_fail(db, rc, "sqlite seed", e);
    }

    return CEREBRO_STORE_OK;
}


cerebro_store_err_t
cerebro_sqlite_rules(cerebro_sqlite_t *db, char *buf, size_t size,
    size_t *len, cerebro_store_error_t *e)
{
    int            rc, n;
    sqlite3_stmt  *st;

    st = stmt(db, ST_RULES, "rules", e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    rc = sqlite3_step(st);

    if (rc != SQLITE_ROW) {
        done(st);

        if (rc == SQLITE_DONE) {
            return cerebro_store_error_set(e, CEREBRO_STORE_NOT_FOUND,
                                           "rules: none stored");
        }

        return db_fail(db, rc, "rules", e);
    }

    n = sqlite3_column_bytes(st, 0);

    if (len != NULL) {
        *len = (size_t) n;
    }

    if (size > 0) {
        if ((size_t) n >= size) {
            n = (int) size - 1;
        }

        memcpy(buf, sqlite3_column_text(st, 0), (size_t) n);
        buf[n] = '\0';
    }

    done(st);

    return CEREBRO_STORE_OK;
}


static void
read_table(sqlite3_stmt *st, void *out)
{
    cerebro_table_rec_t  *t = out;

    col_copy(t->name, sizeof(t->name), st, 0);
    t->capacity_min = sqlite3_column_int(st, 1);
    t->capacity_max = sqlite3_column_int(st, 2);
    col_copy(t->location, sizeof(t->location), st, 3);
}


static void
read_group(sqlite3_stmt *st, void *out)
{
    cJSON                *arr, *item;
    cerebro_group_rec_t  *g = out;

    memset(g, 0, sizeof(*g));
    col_copy(g->name, sizeof(g->name), st, 0);
    g->capacity_min = sqlite3_column_int(st, 1);
    g->capacity_max = sqlite3_column_int(st, 2);

    arr = cJSON_Parse((const char *) sqlite3_column_text(st, 3));

    cJSON_ArrayForEach(item, arr) {
        if (cJSON_IsString(item)
            && g->ntables < CEREBRO_MAX_GROUP_TABLES)
        {
            (void) cerebro_rec_copy(g->members[g->ntables++],
                                    CEREBRO_NAME_LEN, item->valuestring);
        }
    }

    cJSON_Delete(arr);
}


static void
read_faq(sqlite3_stmt *st, void *out)
{
    cerebro_faq_t  *f = out;

    col_copy(f->topic, sizeof(f->topic), st, 0);
    col_copy(f->question, sizeof(f->question), st, 1);
    col_copy(f->answer, sizeof(f->answer), st, 2);
}


cerebro_store_err_t
cerebro_sqlite_tables(cerebro_sqlite_t *db, cerebro_table_rec_t *out,
    int max, int *n, cerebro_store_error_t *e)
{
    sqlite3_stmt  *st;

    *n = 0;

    st = stmt(db, ST_TABLES, "tables", e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    return list(db, st, read_table, out, sizeof(*out), max, n, NULL,
                "tables", e);
}


cerebro_store_err_t
cerebro_sqlite_groups(cerebro_sqlite_t *db, cerebro_group_rec_t *out,
    int max, int *n, cerebro_store_error_t *e)
{
    sqlite3_stmt  *st;

    *n = 0;

    st = stmt(db, ST_GROUPS, "groups", e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    return list(db, st, read_group, out, sizeof(*out), max, n, NULL,
                "groups", e);
}


cerebro_store_err_t
cerebro_sqlite_faq(cerebro_sqlite_t *db, cerebro_faq_t *out, int max,
    int *n, cerebro_store_error_t *e)
{
    sqlite3_stmt  *st;

    *n = 0;

    st = stmt(db, ST_FAQ, "faq", e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    return list(db, st, read_faq, out, sizeof(*out), max, n, NULL, "faq",
                e);
}


static void
read_reservation(sqlite3_stmt *st, void *out)
{
    cerebro_reservation_t  *r = out;

    snprintf(r->id, sizeof(r->id), "%lld",
             (long long) sqlite3_column_int64(st, 0));
    col_copy(r->client_name, sizeof(r->client_name), st, 1);
    col_copy(r->client_phone, sizeof(r->client_phone), st, 2);
    r->start = sqlite3_column_int64(st, 3);
    r->pax = sqlite3_column_int(st, 4);
    col_copy(r->table, sizeof(r->table), st, 5);
    col_copy(r->status, sizeof(r->status), st, 6);
    col_copy(r->notes, sizeof(r->notes), st, 7);
    col_copy(r->source, sizeof(r->source), st, 8);
    col_copy(r->call_id, sizeof(r->call_id), st, 9);
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
    sqlite3_stmt  *st;

    *n = 0;

    st = stmt(db, ST_RANGE, "bookings", e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    sqlite3_bind_int(st, 3, (flags & CEREBRO_SQLITE_WITH_CANCELLED) != 0);

    return list(db, st, read_reservation, out, sizeof(*out), max, n, total,
                "bookings", e);
}


cerebro_store_err_t
cerebro_sqlite_bookings_by_phone(cerebro_sqlite_t *db, const char *phone,
    int flags, int64_t now, cerebro_reservation_t *out, int max, int *n,
    int *total, cerebro_store_error_t *e)
{
    sqlite3_stmt  *st;

    *n = 0;

    if (check_phone(phone, "phone", e) != CEREBRO_STORE_OK) {
        return CEREBRO_STORE_INVALID;
    }

    st = stmt(db, ST_BY_PHONE, "bookings by phone", e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    bind_text(st, 1, phone);
    sqlite3_bind_int64(st, 2, (flags & CEREBRO_SQLITE_UPCOMING) ? now
                                                                : INT64_MIN);
    sqlite3_bind_int(st, 3, (flags & CEREBRO_SQLITE_WITH_CANCELLED) != 0);

    return list(db, st, read_reservation, out, sizeof(*out), max, n, total,
                "bookings by phone", e);
}


/* One row by an integer or a text key; NOT_FOUND without it. */
static cerebro_store_err_t
get_row(cerebro_sqlite_t *db, int id, int64_t key_int, const char *key_text,
    row_reader_pt read, void *out, const char *what,
    cerebro_store_error_t *e)
{
    int            rc;
    sqlite3_stmt  *st;

    st = stmt(db, id, what, e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    if (key_text != NULL) {
        bind_text(st, 1, key_text);

    } else {
        sqlite3_bind_int64(st, 1, key_int);
    }

    rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        read(st, out);
        done(st);
        return CEREBRO_STORE_OK;
    }

    done(st);

    if (rc == SQLITE_DONE) {
        return cerebro_store_error_set(e, CEREBRO_STORE_NOT_FOUND,
                                       "%s: not found", what);
    }

    return db_fail(db, rc, what, e);
}


cerebro_store_err_t
cerebro_sqlite_booking_get(cerebro_sqlite_t *db, const char *id,
    cerebro_reservation_t *out, cerebro_store_error_t *e)
{
    int64_t  rowid;

    if (parse_id(id, &rowid, e) != CEREBRO_STORE_OK) {
        return CEREBRO_STORE_INVALID;
    }

    return get_row(db, ST_GET, rowid, NULL, read_reservation, out,
                   "booking", e);
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
    uint64_t             mask;
    sqlite3_stmt        *st;
    cerebro_date_t       d;
    cerebro_booking_t   *b, *nbk;
    int64_t             *nid;

    *nb = 0;

    d = cerebro_date_add_days(date, -1);
    from = local_midnight(db, &d) - (int64_t) db->model->max_turn * 60;
    d = cerebro_date_add_days(date, CEREBRO_ENGINE_NEXT_DAY_SEARCH + 2);
    to = local_midnight(db, &d);

    st = stmt(db, ST_WINDOW, "booking check", e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
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
                done(st);
                return cerebro_store_error_set(e, CEREBRO_STORE_UNAVAILABLE,
                                               "booking check: out of"
                                               " memory");
            }

            db->bk_cap = cap;
        }

        b = &db->bk[*nb];
        db->bk_id[*nb] = id;
        b->start = sqlite3_column_int64(st, 1);
        b->end = 0;
        b->party = sqlite3_column_int(st, 2);

        /* a table name the model no longer knows still counts covers */
        if (cerebro_engine_tables_for_name(db->model,
                (const char *) sqlite3_column_text(st, 3), &mask, NULL, 0)
            < 0)
        {
            mask = 0;
        }

        b->tables = mask;
        b->status = cerebro_booking_status_from_string(
                        (const char *) sqlite3_column_text(st, 4));
        (*nb)++;
    }

    done(st);

    if (rc != SQLITE_DONE) {
        return db_fail(db, rc, "booking check", e);
    }

    return CEREBRO_STORE_OK;
}


static cerebro_store_err_t
refused(const cerebro_answer_t *a, cerebro_store_error_t *e)
{
    if (a->reason == CEREBRO_AVAIL_INVALID) {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "booking: bad date, time or party");
    }

    return cerebro_store_error_set(e, CEREBRO_STORE_CONFLICT,
                                   "booking: slot not available (%s),"
                                   " %d alternatives",
                                   cerebro_reason_name(a->reason), a->nalts);
}


cerebro_store_err_t
cerebro_sqlite_booking_create(cerebro_sqlite_t *db,
    const cerebro_booking_req_t *req, int64_t now,
    cerebro_reservation_t *out, cerebro_answer_t *answer, int *repeated,
    cerebro_store_error_t *e)
{
    int                  rc, nb;
    int64_t              rowid, start;
    sqlite3_stmt        *st;
    cerebro_store_err_t  err;

    memset(answer, 0, sizeof(*answer));
    answer->reason = CEREBRO_AVAIL_INVALID;
    *repeated = 0;

    if (check_text(req->client_name, CEREBRO_REC_NAME_LEN, 1, "client_name",
                   e) != CEREBRO_STORE_OK
        || check_phone(req->client_phone, "client_phone", e)
           != CEREBRO_STORE_OK
        || check_text(req->notes, CEREBRO_REC_NOTES_LEN, 0, "notes", e)
           != CEREBRO_STORE_OK
        || check_text(req->source, CEREBRO_REC_SOURCE_LEN, 0, "source", e)
           != CEREBRO_STORE_OK
        || check_text(req->call_id, CEREBRO_REC_CALL_ID_LEN, 0, "call_id", e)
           != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    if (!cerebro_date_valid(&req->when.date) || req->when.minutes < 0
        || req->when.minutes >= 1440 || req->when.party < 1)
    {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "booking: bad date, time or party");
    }

    err = begin(db, "booking", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    /* a tool call retried after a lost answer must not book twice */
    if (req->call_id != NULL && req->call_id[0] != '\0') {
        start = cerebro_tz_from_local(&db->model->tz, &req->when.date,
                                      req->when.minutes, NULL);

        st = stmt(db, ST_REPEAT, "booking", e);
        if (st == NULL) {
            rollback(db);
            return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
        }

        bind_text(st, 1, req->call_id);
        bind_text(st, 2, req->client_phone);
        sqlite3_bind_int64(st, 3, start);
        rc = sqlite3_step(st);
        rowid = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        done(st);

        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            err = db_fail(db, rc, "booking", e);
            rollback(db);
            return err;
        }

        if (rowid > 0) {
            err = get_row(db, ST_GET, rowid, NULL, read_reservation, out,
                          "booking", e);
            rollback(db);

            if (err == CEREBRO_STORE_OK) {
                answer->reason = CEREBRO_AVAIL_OK;
                answer->slot.start = out->start;
                answer->slot.table = -1;
                answer->slot.group = -1;
                *repeated = 1;
            }

            return err;
        }
    }

    err = load_window(db, &req->when.date, 0, &nb, e);
    if (err != CEREBRO_STORE_OK) {
        rollback(db);
        return err;
    }

    cerebro_engine_query(db->model, db->bk, nb, now, &req->when, answer);

    if (answer->reason != CEREBRO_AVAIL_OK) {
        rollback(db);
        return refused(answer, e);
    }

    st = stmt(db, ST_INSERT, "booking", e);
    if (st == NULL) {
        rollback(db);
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    bind_text(st, 1, req->client_name);
    bind_text(st, 2, req->client_phone);
    sqlite3_bind_int64(st, 3, answer->slot.start);
    sqlite3_bind_int(st, 4, req->when.party);
    bind_text(st, 5, answer->slot.name);
    bind_text(st, 6, req->notes);
    bind_text(st, 7, req->source);
    bind_text(st, 8, req->call_id);
    sqlite3_bind_int64(st, 9, now);

    rc = sqlite3_step(st);
    done(st);

    if (rc != SQLITE_DONE) {
        err = db_fail(db, rc, "booking", e);
        rollback(db);
        return err;
    }

    rowid = sqlite3_last_insert_rowid(db->conn);

    err = get_row(db, ST_GET, rowid, NULL, read_reservation, out, "booking",
                  e);
    if (err != CEREBRO_STORE_OK) {
        rollback(db);
        return err;
    }

    return commit(db, "booking", e);
}


cerebro_store_err_t
cerebro_sqlite_booking_update(cerebro_sqlite_t *db, const char *id,
    const cerebro_booking_change_t *ch, int64_t now,
    cerebro_reservation_t *out, cerebro_answer_t *answer,
    cerebro_store_error_t *e)
{
    int                    rc, nb, pax;
    int64_t                rowid, start;
    const char            *table, *notes;
    sqlite3_stmt          *st;
    cerebro_local_t        local;
    cerebro_request_t      req;
    cerebro_store_err_t    err;
    cerebro_reservation_t  cur;

    memset(answer, 0, sizeof(*answer));
    answer->reason = CEREBRO_AVAIL_OK;

    if (parse_id(id, &rowid, e) != CEREBRO_STORE_OK
        || check_text(ch->notes, CEREBRO_REC_NOTES_LEN, 0, "notes", e)
           != CEREBRO_STORE_OK)
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

    err = begin(db, "booking change", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    err = get_row(db, ST_GET, rowid, NULL, read_reservation, &cur,
                  "booking", e);
    if (err != CEREBRO_STORE_OK) {
        rollback(db);
        return err;
    }

    if (cerebro_booking_status_from_string(cur.status)
        == CEREBRO_BOOKING_CANCELLED)
    {
        rollback(db);
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "booking %s is cancelled", cur.id);
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
            rollback(db);
            return err;
        }

        cerebro_engine_query(db->model, db->bk, nb, now, &req, answer);

        if (answer->reason != CEREBRO_AVAIL_OK) {
            rollback(db);
            return refused(answer, e);
        }

        start = answer->slot.start;
        table = answer->slot.name;
    }

    st = stmt(db, ST_UPDATE, "booking change", e);
    if (st == NULL) {
        rollback(db);
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    sqlite3_bind_int64(st, 1, rowid);
    sqlite3_bind_int64(st, 2, start);
    sqlite3_bind_int(st, 3, pax);
    bind_text(st, 4, table);
    bind_text(st, 5, notes);
    sqlite3_bind_int64(st, 6, now);

    rc = sqlite3_step(st);
    done(st);

    if (rc != SQLITE_DONE) {
        err = db_fail(db, rc, "booking change", e);
        rollback(db);
        return err;
    }

    err = get_row(db, ST_GET, rowid, NULL, read_reservation, out, "booking",
                  e);
    if (err != CEREBRO_STORE_OK) {
        rollback(db);
        return err;
    }

    return commit(db, "booking change", e);
}


cerebro_store_err_t
cerebro_sqlite_booking_cancel(cerebro_sqlite_t *db, const char *id,
    int64_t now, cerebro_reservation_t *out, int *already,
    cerebro_store_error_t *e)
{
    int                  rc;
    int64_t              rowid;
    sqlite3_stmt        *st;
    cerebro_store_err_t  err;

    *already = 0;

    if (parse_id(id, &rowid, e) != CEREBRO_STORE_OK) {
        return CEREBRO_STORE_INVALID;
    }

    st = stmt(db, ST_CANCEL, "cancel", e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    sqlite3_bind_int64(st, 1, rowid);
    sqlite3_bind_int64(st, 2, now);
    rc = sqlite3_step(st);
    done(st);

    if (rc != SQLITE_DONE) {
        return db_fail(db, rc, "cancel", e);
    }

    /* no row changed: gone, or cancelled before */
    *already = sqlite3_changes(db->conn) == 0;

    err = get_row(db, ST_GET, rowid, NULL, read_reservation, out, "booking",
                  e);
    if (err != CEREBRO_STORE_OK) {
        *already = 0;
    }

    return err;
}


static void
read_guest(sqlite3_stmt *st, void *out)
{
    cerebro_guest_t  *g = out;

    snprintf(g->id, sizeof(g->id), "%lld",
             (long long) sqlite3_column_int64(st, 0));
    col_copy(g->name, sizeof(g->name), st, 1);
    col_copy(g->phone, sizeof(g->phone), st, 2);
    col_copy(g->email, sizeof(g->email), st, 3);
    col_copy(g->preferences, sizeof(g->preferences), st, 4);
}


cerebro_store_err_t
cerebro_sqlite_guest_get(cerebro_sqlite_t *db, const char *phone,
    cerebro_guest_t *out, cerebro_store_error_t *e)
{
    if (check_phone(phone, "phone", e) != CEREBRO_STORE_OK) {
        return CEREBRO_STORE_INVALID;
    }

    return get_row(db, ST_GUEST_GET, 0, phone, read_guest, out, "guest", e);
}


cerebro_store_err_t
cerebro_sqlite_guest_upsert(cerebro_sqlite_t *db, const char *phone,
    const char *name, const char *email, int64_t now, cerebro_guest_t *out,
    int *created, cerebro_store_error_t *e)
{
    int                  rc, made;
    sqlite3_stmt        *st;
    cerebro_store_err_t  err;

    if (created != NULL) {
        *created = 0;
    }

    if (check_phone(phone, "phone", e) != CEREBRO_STORE_OK
        || check_text(name, CEREBRO_REC_NAME_LEN, 0, "name", e)
           != CEREBRO_STORE_OK
        || check_text(email, CEREBRO_REC_EMAIL_LEN, 0, "email", e)
           != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    err = begin(db, "guest", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    st = stmt(db, ST_GUEST_INSERT, "guest", e);
    if (st == NULL) {
        rollback(db);
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    bind_text(st, 1, name);
    bind_text(st, 2, phone);
    bind_text(st, 3, email);
    sqlite3_bind_int64(st, 4, now);
    rc = sqlite3_step(st);
    done(st);
    made = sqlite3_changes(db->conn) > 0;

    if (rc == SQLITE_DONE && !made) {
        st = stmt(db, ST_GUEST_FILL, "guest", e);
        if (st == NULL) {
            rollback(db);
            return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
        }

        bind_text(st, 1, phone);
        bind_text(st, 2, name);
        bind_text(st, 3, email);
        sqlite3_bind_int64(st, 4, now);
        rc = sqlite3_step(st);
        done(st);
    }

    if (rc != SQLITE_DONE) {
        err = db_fail(db, rc, "guest", e);
        rollback(db);
        return err;
    }

    err = get_row(db, ST_GUEST_GET, 0, phone, read_guest, out, "guest", e);
    if (err != CEREBRO_STORE_OK) {
        rollback(db);
        return err;
    }

    err = commit(db, "guest", e);

    if (err == CEREBRO_STORE_OK && created != NULL) {
        *created = made;
    }

    return err;
}


/* case-insensitive (ASCII) search of item among "; "-separated entries */
static int
has_preference(const char *list, const char *item)
{
    size_t       len, n;
    const char  *p, *end;

    len = strlen(item);

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

        if (n == len && strncasecmp(p, item, len) == 0) {
            return 1;
        }
    }

    return 0;
}


cerebro_store_err_t
cerebro_sqlite_guest_add_preference(cerebro_sqlite_t *db, const char *phone,
    const char *preference, int64_t now, cerebro_guest_t *out,
    cerebro_store_error_t *e)
{
    int                  rc;
    char                 prefs[CEREBRO_REC_PREFS_LEN];
    size_t               have, add;
    sqlite3_stmt        *st;
    cerebro_store_err_t  err;

    if (check_phone(phone, "phone", e) != CEREBRO_STORE_OK
        || check_text(preference, CEREBRO_REC_PREFS_LEN, 1, "preference", e)
           != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    if (strchr(preference, ';') != NULL) {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "preference: one at a time, no ';'");
    }

    err = begin(db, "guest preference", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    err = get_row(db, ST_GUEST_GET, 0, phone, read_guest, out, "guest", e);
    if (err != CEREBRO_STORE_OK) {
        rollback(db);
        return err;
    }

    if (has_preference(out->preferences, preference)) {
        rollback(db);
        return CEREBRO_STORE_OK;
    }

    have = strlen(out->preferences);
    add = strlen(preference);

    if (have + (have ? 2 : 0) + add >= sizeof(prefs)) {
        rollback(db);
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "preferences: no room for \"%.40s\"",
                                       preference);
    }

    memcpy(prefs, out->preferences, have);

    if (have) {
        memcpy(prefs + have, "; ", 2);
        have += 2;
    }

    memcpy(prefs + have, preference, add + 1);

    st = stmt(db, ST_GUEST_PREFS, "guest preference", e);
    if (st == NULL) {
        rollback(db);
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    bind_text(st, 1, phone);
    bind_text(st, 2, prefs);
    sqlite3_bind_int64(st, 3, now);
    rc = sqlite3_step(st);
    done(st);

    if (rc != SQLITE_DONE) {
        err = db_fail(db, rc, "guest preference", e);
        rollback(db);
        return err;
    }

    err = commit(db, "guest preference", e);

    if (err == CEREBRO_STORE_OK) {
        memcpy(out->preferences, prefs, sizeof(prefs));
    }

    return err;
}


cerebro_store_err_t
cerebro_sqlite_call_log_insert(cerebro_sqlite_t *db,
    const cerebro_call_log_t *c, int64_t now, int *inserted,
    cerebro_store_error_t *e)
{
    int            rc;
    sqlite3_stmt  *st;

    *inserted = 0;

    if (check_text(c->call_id, sizeof(c->call_id), 1, "call_id", e)
        != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    st = stmt(db, ST_CALL_INSERT, "call log", e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    bind_text(st, 1, c->call_id);
    bind_text(st, 2, c->caller);
    sqlite3_bind_int64(st, 3, c->started);
    sqlite3_bind_int64(st, 4, c->ended);
    sqlite3_bind_int(st, 5, c->duration_s);
    bind_text(st, 6, c->ended_reason);
    bind_text(st, 7, c->summary);
    sqlite3_bind_double(st, 8, c->cost);
    sqlite3_bind_int(st, 9, c->booked != 0);
    sqlite3_bind_int(st, 10, c->changed != 0);
    sqlite3_bind_int(st, 11, c->cancelled != 0);
    sqlite3_bind_int64(st, 12, now);

    rc = sqlite3_step(st);
    done(st);

    if (rc != SQLITE_DONE) {
        return db_fail(db, rc, "call log", e);
    }

    *inserted = sqlite3_changes(db->conn) > 0;

    return CEREBRO_STORE_OK;
}


static void
read_call(sqlite3_stmt *st, void *out)
{
    cerebro_call_log_t  *c = out;

    col_copy(c->call_id, sizeof(c->call_id), st, 0);
    col_copy(c->caller, sizeof(c->caller), st, 1);
    c->started = sqlite3_column_int64(st, 2);
    c->ended = sqlite3_column_int64(st, 3);
    c->duration_s = sqlite3_column_int(st, 4);
    col_copy(c->ended_reason, sizeof(c->ended_reason), st, 5);
    col_copy(c->summary, sizeof(c->summary), st, 6);
    c->cost = sqlite3_column_double(st, 7);
    c->booked = sqlite3_column_int(st, 8);
    c->changed = sqlite3_column_int(st, 9);
    c->cancelled = sqlite3_column_int(st, 10);
}


cerebro_store_err_t
cerebro_sqlite_call_log_get(cerebro_sqlite_t *db, const char *call_id,
    cerebro_call_log_t *out, cerebro_store_error_t *e)
{
    if (check_text(call_id, CEREBRO_REC_CALL_ID_LEN, 1, "call_id", e)
        != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    return get_row(db, ST_CALL_GET, 0, call_id, read_call, out, "call log",
                   e);
}


static void
read_outbox(sqlite3_stmt *st, void *out)
{
    int                    s;
    cerebro_outbox_msg_t  *m = out;

    m->id = sqlite3_column_int64(st, 0);
    col_copy(m->to, sizeof(m->to), st, 1);
    col_copy(m->body, sizeof(m->body), st, 2);
    col_copy(m->template_sid, sizeof(m->template_sid), st, 3);
    col_copy(m->variables, sizeof(m->variables), st, 4);
    s = cerebro_outbox_status_from_string(
            (const char *) sqlite3_column_text(st, 5));
    m->status = s >= 0 ? (cerebro_outbox_status_t) s : CEREBRO_OUTBOX_FAILED;
    m->attempts = sqlite3_column_int(st, 6);
    m->next_attempt = sqlite3_column_int64(st, 7);
    col_copy(m->last_error, sizeof(m->last_error), st, 8);
    col_copy(m->twilio_sid, sizeof(m->twilio_sid), st, 9);
    m->created = sqlite3_column_int64(st, 10);
    col_copy(m->kind, sizeof(m->kind), st, 11);
    col_copy(m->reservation_id, sizeof(m->reservation_id), st, 12);
    col_copy(m->dedupe_key, sizeof(m->dedupe_key), st, 13);
}


cerebro_store_err_t
cerebro_sqlite_outbox_enqueue(cerebro_sqlite_t *db,
    const cerebro_outbox_msg_t *m, int64_t now, cerebro_outbox_msg_t *out,
    int *duplicate, cerebro_store_error_t *e)
{
    int                   rc, added;
    int64_t               id;
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;
    cerebro_outbox_msg_t  tmp;
    cJSON                *vars;

    if (duplicate != NULL) {
        *duplicate = 0;
    }

    if (check_text(m->to, sizeof(m->to), 1, "to", e) != CEREBRO_STORE_OK
        || check_text(m->body, sizeof(m->body), 0, "body", e)
           != CEREBRO_STORE_OK
        || check_text(m->template_sid, sizeof(m->template_sid), 0,
                      "template_sid", e) != CEREBRO_STORE_OK
        || check_text(m->variables, sizeof(m->variables), 0, "variables", e)
           != CEREBRO_STORE_OK
        || check_text(m->kind, sizeof(m->kind), 0, "kind", e)
           != CEREBRO_STORE_OK
        || check_text(m->reservation_id, sizeof(m->reservation_id), 0,
                      "reservation_id", e) != CEREBRO_STORE_OK
        || check_text(m->dedupe_key, sizeof(m->dedupe_key), 0, "dedupe_key",
                      e) != CEREBRO_STORE_OK)
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
        rc = cJSON_IsObject(vars);
        cJSON_Delete(vars);

        if (!rc) {
            return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                           "outbox: variables must be a JSON"
                                           " object");
        }
    }

    st = stmt(db, ST_OB_INSERT, "outbox", e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    bind_text(st, 1, m->to);
    bind_text(st, 2, m->body);
    bind_text(st, 3, m->template_sid);
    bind_text(st, 4, m->variables);
    sqlite3_bind_int64(st, 5, m->next_attempt > 0 ? m->next_attempt : now);
    sqlite3_bind_int64(st, 6, now);
    bind_text(st, 7, m->kind);
    bind_text(st, 8, m->reservation_id);

    if (m->dedupe_key[0] != '\0') {
        bind_text(st, 9, m->dedupe_key);

    } else {
        sqlite3_bind_null(st, 9);
    }

    rc = sqlite3_step(st);
    done(st);

    if (rc != SQLITE_DONE) {
        return db_fail(db, rc, "outbox", e);
    }

    added = sqlite3_changes(db->conn) > 0;
    id = sqlite3_last_insert_rowid(db->conn);

    if (out == NULL) {
        out = &tmp;
    }

    if (added) {
        err = get_row(db, ST_OB_GET, id, NULL, read_outbox, out, "outbox",
                      e);

    } else {
        err = get_row(db, ST_OB_BY_KEY, 0, m->dedupe_key, read_outbox, out,
                      "outbox", e);

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
    sqlite3_stmt  *st;

    *n = 0;

    st = stmt(db, ST_OB_DUE, "outbox due", e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, max > 0 ? max : 0);

    return list(db, st, read_outbox, out, sizeof(*out), max, n, NULL,
                "outbox due", e);
}


cerebro_store_err_t
cerebro_sqlite_outbox_get(cerebro_sqlite_t *db, int64_t id,
    cerebro_outbox_msg_t *out, cerebro_store_error_t *e)
{
    return get_row(db, ST_OB_GET, id, NULL, read_outbox, out, "outbox", e);
}


/* After an UPDATE ... AND status = 'pending' changed nothing: why. */
static cerebro_store_err_t
outbox_not_pending(cerebro_sqlite_t *db, int64_t id, const char *what,
    cerebro_store_error_t *e)
{
    cerebro_store_err_t   err;
    cerebro_outbox_msg_t  m;

    err = get_row(db, ST_OB_GET, id, NULL, read_outbox, &m, what, e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    return cerebro_store_error_set(e, CEREBRO_STORE_CONFLICT,
                                   "%s: message %lld is %s, not pending",
                                   what, (long long) id,
                                   cerebro_outbox_status_name(m.status));
}


static cerebro_store_err_t
outbox_mark(cerebro_sqlite_t *db, int which, int64_t id, const char *text,
    int64_t next, int64_t now, const char *what, cerebro_store_error_t *e)
{
    int            rc, i;
    sqlite3_stmt  *st;

    if (check_text(text, which == ST_OB_SENT ? CEREBRO_REC_SID_LEN
                                             : CEREBRO_REC_ERROR_LEN,
                   which == ST_OB_SENT, what, e)
        != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    st = stmt(db, which, what, e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    i = 1;
    sqlite3_bind_int64(st, i++, id);
    bind_text(st, i++, text);

    if (which == ST_OB_RETRY) {
        sqlite3_bind_int64(st, i++, next);
    }

    sqlite3_bind_int64(st, i, now);

    rc = sqlite3_step(st);
    done(st);

    if (rc != SQLITE_DONE) {
        return db_fail(db, rc, what, e);
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
    return outbox_mark(db, ST_OB_SENT, id, twilio_sid, 0, now,
                       "outbox sent", e);
}


cerebro_store_err_t
cerebro_sqlite_outbox_mark_failed(cerebro_sqlite_t *db, int64_t id,
    const char *reason, int64_t now, cerebro_store_error_t *e)
{
    return outbox_mark(db, ST_OB_FAILED, id, reason, 0, now,
                       "outbox failed", e);
}


cerebro_store_err_t
cerebro_sqlite_outbox_retry(cerebro_sqlite_t *db, int64_t id,
    const char *reason, int64_t next_attempt, int64_t now,
    cerebro_store_error_t *e)
{
    return outbox_mark(db, ST_OB_RETRY, id, reason, next_attempt, now,
                       "outbox retry", e);
}


cerebro_store_err_t
cerebro_sqlite_outbox_recent(cerebro_sqlite_t *db, cerebro_outbox_msg_t *out,
    int max, int *n, cerebro_store_error_t *e)
{
    sqlite3_stmt  *st;

    *n = 0;

    st = stmt(db, ST_OB_RECENT, "outbox recent", e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    sqlite3_bind_int(st, 1, max > 0 ? max : 0);

    return list(db, st, read_outbox, out, sizeof(*out), max, n, NULL,
                "outbox recent", e);
}


cerebro_store_err_t
cerebro_sqlite_opt_out_set(cerebro_sqlite_t *db, const char *phone,
    int opted_out, int64_t now, cerebro_store_error_t *e)
{
    int            rc;
    sqlite3_stmt  *st;

    if (check_phone(phone, "phone", e) != CEREBRO_STORE_OK) {
        return CEREBRO_STORE_INVALID;
    }

    st = stmt(db, ST_OPT_SET, "opt-out", e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    bind_text(st, 1, phone);
    sqlite3_bind_int(st, 2, opted_out != 0);
    sqlite3_bind_int64(st, 3, now);

    rc = sqlite3_step(st);
    done(st);

    if (rc != SQLITE_DONE) {
        return db_fail(db, rc, "opt-out", e);
    }

    return CEREBRO_STORE_OK;
}


cerebro_store_err_t
cerebro_sqlite_opt_out_get(cerebro_sqlite_t *db, const char *phone,
    int *opted_out, cerebro_store_error_t *e)
{
    int            rc;
    sqlite3_stmt  *st;

    *opted_out = 0;

    if (check_phone(phone, "phone", e) != CEREBRO_STORE_OK) {
        return CEREBRO_STORE_INVALID;
    }

    st = stmt(db, ST_OPT_GET, "opt-out", e);
    if (st == NULL) {
        return e != NULL ? e->kind : CEREBRO_STORE_UNAVAILABLE;
    }

    bind_text(st, 1, phone);
    rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        *opted_out = sqlite3_column_int(st, 0) != 0;
    }

    done(st);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return db_fail(db, rc, "opt-out", e);
    }

    return CEREBRO_STORE_OK;
}
