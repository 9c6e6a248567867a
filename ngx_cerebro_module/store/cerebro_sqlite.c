/*
 * The embedded store on SQLite: the connection.
 *
 * Every worker opens its own connection to one WAL file: readers never
 * wait for the writer, and writers take turns.  Writes that read first
 * (a booking, a guest's preferences) start with BEGIN IMMEDIATE, so the
 * write lock is held from the first read: what the engine saw is what is
 * committed, and a deferred transaction's "busy snapshot" cannot happen.
 * The busy timeout is a few ms, so a worker never stalls behind another;
 * it answers "busy" having written nothing, and the backend
 * (ngx_cerebro_store_sqlite.c) tries again on a timer, within the
 * operation's deadline.
 *
 * Statements are prepared once per connection, on first use, and take
 * every value as a bound parameter.  The aggregates are in
 * cerebro_sqlite_<name>.c, the schema in cerebro_sqlite_schema.c.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cerebro_sqlite_int.h"


static const cerebro_sqlite_sql_t  sql_begin = { ST_BEGIN,
    "BEGIN IMMEDIATE" };

static const cerebro_sqlite_sql_t  sql_commit = { ST_COMMIT,
    "COMMIT" };

static const cerebro_sqlite_sql_t  sql_rollback = { ST_ROLLBACK,
    "ROLLBACK" };


static int mkdir_parents(const char *path);
static void sql_e164(sqlite3_context *ctx, int argc, sqlite3_value **argv);
static cerebro_store_err_t run_sql(cerebro_sqlite_t *db,
    const cerebro_sqlite_sql_t *sql, const char *what,
    cerebro_store_error_t *e);


cerebro_store_err_t
cerebro_sqlite_db_fail(cerebro_sqlite_t *db, int rc, const char *what,
    cerebro_store_error_t *e)
{
    const char  *msg;

    msg = db != NULL && db->conn != NULL ? sqlite3_errmsg(db->conn)
                                         : sqlite3_errstr(rc);

    switch (rc & 0xff) {

    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        /* every write that gets here has rolled back, or never began */
        (void) cerebro_store_error_set(e, CEREBRO_STORE_UNAVAILABLE,
                                       "%s: database busy", what);
        if (e != NULL) {
            e->busy = 1;
        }
        return CEREBRO_STORE_UNAVAILABLE;

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


cerebro_store_err_t
cerebro_sqlite_stmt(cerebro_sqlite_t *db, const cerebro_sqlite_sql_t *sql,
    sqlite3_stmt **st, const char *what, cerebro_store_error_t *e)
{
    int                   rc;
    cerebro_store_err_t   err;

    *st = db->st[sql->slot];

    if (*st != NULL) {
        return CEREBRO_STORE_OK;
    }

    rc = sqlite3_prepare_v3(db->conn, sql->text, -1,
                            SQLITE_PREPARE_PERSISTENT, &db->st[sql->slot],
                            NULL);

    if (rc != SQLITE_OK) {
        err = cerebro_sqlite_db_fail(db, rc, what, e);
        sqlite3_finalize(db->st[sql->slot]);
        db->st[sql->slot] = NULL;
        return err;
    }

    *st = db->st[sql->slot];

    return CEREBRO_STORE_OK;
}


void
cerebro_sqlite_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}


cerebro_store_err_t
cerebro_sqlite_run(cerebro_sqlite_t *db, sqlite3_stmt *st, const char *what,
    cerebro_store_error_t *e)
{
    int  rc;

    rc = sqlite3_step(st);
    cerebro_sqlite_done(st);

    if (rc != SQLITE_DONE) {
        return cerebro_sqlite_db_fail(db, rc, what, e);
    }

    return CEREBRO_STORE_OK;
}


static cerebro_store_err_t
run_sql(cerebro_sqlite_t *db, const cerebro_sqlite_sql_t *sql,
    const char *what, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    err = cerebro_sqlite_stmt(db, sql, &st, what, e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    return cerebro_sqlite_run(db, st, what, e);
}


cerebro_store_err_t
cerebro_sqlite_begin(cerebro_sqlite_t *db, const char *what,
    cerebro_store_error_t *e)
{
    return run_sql(db, &sql_begin, what, e);
}


cerebro_store_err_t
cerebro_sqlite_commit(cerebro_sqlite_t *db, const char *what,
    cerebro_store_error_t *e)
{
    return run_sql(db, &sql_commit, what, e);
}


void
cerebro_sqlite_rollback(cerebro_sqlite_t *db)
{
    if (!sqlite3_get_autocommit(db->conn)) {
        (void) run_sql(db, &sql_rollback, "rollback", NULL);
    }
}


cerebro_store_err_t
cerebro_sqlite_list(cerebro_sqlite_t *db, sqlite3_stmt *st,
    cerebro_sqlite_row_pt read, void *out, size_t size, int max, int *n,
    int *total, const char *what, cerebro_store_error_t *e)
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

    cerebro_sqlite_done(st);

    if (rc != SQLITE_DONE) {
        *n = 0;
        return cerebro_sqlite_db_fail(db, rc, what, e);
    }

    if (total != NULL) {
        *total = count;
    }

    return CEREBRO_STORE_OK;
}


cerebro_store_err_t
cerebro_sqlite_row(cerebro_sqlite_t *db, const cerebro_sqlite_sql_t *sql,
    int64_t key_int, const char *key_text, cerebro_sqlite_row_pt read,
    void *out, const char *what, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    err = cerebro_sqlite_stmt(db, sql, &st, what, e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    if (key_text != NULL) {
        cerebro_sqlite_bind_text(st, 1, key_text);

    } else {
        sqlite3_bind_int64(st, 1, key_int);
    }

    return cerebro_sqlite_first(db, st, read, out, what, e);
}


cerebro_store_err_t
cerebro_sqlite_first(cerebro_sqlite_t *db, sqlite3_stmt *st,
    cerebro_sqlite_row_pt read, void *out, const char *what,
    cerebro_store_error_t *e)
{
    int  rc;

    rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        read(st, out);
        cerebro_sqlite_done(st);
        return CEREBRO_STORE_OK;
    }

    cerebro_sqlite_done(st);

    if (rc == SQLITE_DONE) {
        return cerebro_store_error_set(e, CEREBRO_STORE_NOT_FOUND,
                                       "%s: not found", what);
    }

    return cerebro_sqlite_db_fail(db, rc, what, e);
}


void
cerebro_sqlite_col_copy(char *dst, size_t size, sqlite3_stmt *st, int col)
{
    (void) cerebro_rec_copy(dst, size,
                            (const char *) sqlite3_column_text(st, col));
}


void
cerebro_sqlite_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s != NULL ? s : "", -1, SQLITE_STATIC);
}


cerebro_store_err_t
cerebro_sqlite_check_text(const char *s, size_t size, int required,
    const char *field, cerebro_store_error_t *e)
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


cerebro_store_err_t
cerebro_sqlite_phone(cerebro_sqlite_t *db, const char *s,
    char out[CEREBRO_PHONE_E164_SIZE], const char *field,
    cerebro_store_error_t *e)
{
    cerebro_phone_rc_t  rc;

    out[0] = '\0';

    if (s == NULL) {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "%s: required", field);
    }

    rc = cerebro_phone_normalize(s, strlen(s), db->model->country_code, out,
                                 CEREBRO_PHONE_E164_SIZE, NULL);

    if (rc != CEREBRO_PHONE_OK) {
        out[0] = '\0';
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "%s: not a telephone number (%s)",
                                       field, cerebro_phone_reason_es(rc));
    }

    return CEREBRO_STORE_OK;
}


/* An Airtable "rec..." id is not one of ours. */
cerebro_store_err_t
cerebro_sqlite_parse_id(const char *id, int64_t *out,
    cerebro_store_error_t *e)
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


/* cerebro_e164(phone): in E.164 when it is a number, else as it was */
static void
sql_e164(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    char                 out[CEREBRO_PHONE_E164_SIZE];
    size_t               len;
    const char          *in;
    cerebro_sqlite_t    *db;

    (void) argc;

    db = sqlite3_user_data(ctx);
    in = (const char *) sqlite3_value_text(argv[0]);

    if (in == NULL
        || cerebro_phone_normalize(in, (size_t) sqlite3_value_bytes(argv[0]),
                                   db->model->country_code, out, sizeof(out),
                                   &len)
           != CEREBRO_PHONE_OK)
    {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }

    sqlite3_result_text(ctx, out, (int) len, SQLITE_TRANSIENT);
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

    /* for the migrations, which normalise what older files hold */
    rc = sqlite3_create_function_v2(db->conn, "cerebro_e164", 1,
                                    SQLITE_UTF8 | SQLITE_DETERMINISTIC, db,
                                    sql_e164, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        (void) cerebro_sqlite_db_fail(db, rc, "sqlite open", e);
        goto failed;
    }

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
        (void) cerebro_sqlite_db_fail(db, rc, "sqlite open", e);
        goto failed;
    }

    err = cerebro_sqlite_migrate(db, rules_json, rules_len, e);
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
