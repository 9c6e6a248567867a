/*
 * The embedded store: the answers of tool calls that wrote, by the call's
 * key, for a retry of the call to get the same answer and book nothing.
 * Rows of the file rather than entries of a cache: no other write can
 * push one out, and a restart keeps them until they expire.
 */

#include <string.h>

#include "cerebro_sqlite_int.h"


/* what one put drops of the expired keys: more than one put adds */
#define REPLAY_EXPIRE_BATCH  16


static const cerebro_sqlite_sql_t  sql_replay_get = { ST_REPLAY_GET,
    "SELECT failed, answer FROM replay WHERE key = ?1 AND expires > ?2" };

static const cerebro_sqlite_sql_t  sql_replay_expire = { ST_REPLAY_EXPIRE,
    "DELETE FROM replay WHERE key IN (SELECT key FROM replay"
    " WHERE expires <= ?1 ORDER BY expires LIMIT ?2)" };

static const cerebro_sqlite_sql_t  sql_replay_put = { ST_REPLAY_PUT,
    "INSERT INTO replay (key, failed, answer, expires)"
    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO NOTHING" };


cerebro_store_err_t
cerebro_sqlite_replay_get(cerebro_sqlite_t *db, const char *key,
    int64_t now, char *answer, size_t size, size_t *len, int *failed,
    cerebro_store_error_t *e)
{
    int                   rc, n;
    const char           *text;
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *len = 0;
    *failed = 0;

    if (size == 0) {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "replay: no room for the answer");
    }

    answer[0] = '\0';

    if (cerebro_sqlite_check_text(key, CEREBRO_SQLITE_REPLAY_KEY_LEN, 1,
                                  "replay key", e)
        != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    err = cerebro_sqlite_stmt(db, &sql_replay_get, &st, "replay", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    cerebro_sqlite_bind_text(st, 1, key);
    sqlite3_bind_int64(st, 2, now);

    rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        *failed = sqlite3_column_int(st, 0) != 0;
        text = (const char *) sqlite3_column_text(st, 1);
        n = sqlite3_column_bytes(st, 1);

        if (text == NULL || n < 0) {
            n = 0;
        }

        *len = (size_t) n < size ? (size_t) n : size - 1;
        memcpy(answer, text != NULL ? text : "", *len);
        answer[*len] = '\0';

        cerebro_sqlite_done(st);
        return CEREBRO_STORE_OK;
    }

    cerebro_sqlite_done(st);

    if (rc == SQLITE_DONE) {
        return cerebro_store_error_set(e, CEREBRO_STORE_NOT_FOUND,
                                       "replay: not found");
    }

    return cerebro_sqlite_db_fail(db, rc, "replay", e);
}


cerebro_store_err_t
cerebro_sqlite_replay_put(cerebro_sqlite_t *db, const char *key, int failed,
    const char *answer, size_t len, int64_t now, int64_t expires,
    int *inserted, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *inserted = 0;

    if (cerebro_sqlite_check_text(key, CEREBRO_SQLITE_REPLAY_KEY_LEN, 1,
                                  "replay key", e)
        != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    if (answer == NULL || len >= CEREBRO_SQLITE_REPLAY_LEN) {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "replay: an answer of %zu bytes,"
                                       " at most %d kept", len,
                                       CEREBRO_SQLITE_REPLAY_LEN - 1);
    }

    err = cerebro_sqlite_begin(db, "replay", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    err = cerebro_sqlite_stmt(db, &sql_replay_expire, &st, "replay", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, REPLAY_EXPIRE_BATCH);

    err = cerebro_sqlite_run(db, st, "replay expiry", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    err = cerebro_sqlite_stmt(db, &sql_replay_put, &st, "replay", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    cerebro_sqlite_bind_text(st, 1, key);
    sqlite3_bind_int(st, 2, failed != 0);
    sqlite3_bind_text(st, 3, answer, (int) len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, expires);

    err = cerebro_sqlite_run(db, st, "replay", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    *inserted = sqlite3_changes(db->conn) > 0;

    err = cerebro_sqlite_commit(db, "replay", e);
    if (err != CEREBRO_STORE_OK) {
        *inserted = 0;
        goto failed;
    }

    return CEREBRO_STORE_OK;

failed:

    cerebro_sqlite_rollback(db);

    return err;
}
