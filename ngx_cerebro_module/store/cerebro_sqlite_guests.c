/*
 * The embedded store: guests (Clientes), and the WhatsApp opt-outs of
 * their phones (STOP / START).
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cerebro_sqlite_int.h"


#define GUEST_COLS  "id, name, phone, email, preferences"


static const cerebro_sqlite_sql_t  sql_guest_get = { ST_GUEST_GET,
    "SELECT " GUEST_COLS " FROM guests WHERE phone = ?1" };

static const cerebro_sqlite_sql_t  sql_guest_insert = { ST_GUEST_INSERT,
    "INSERT INTO guests (name, phone, email, preferences, created, updated)"
    " VALUES (?1, ?2, ?3, '', ?4, ?4) ON CONFLICT (phone) DO NOTHING" };

static const cerebro_sqlite_sql_t  sql_guest_fill = { ST_GUEST_FILL,
    "UPDATE guests SET"
    " name = CASE WHEN name = '' THEN ?2 ELSE name END,"
    " email = CASE WHEN email = '' THEN ?3 ELSE email END,"
    " updated = ?4"
    " WHERE phone = ?1 AND ((name = '' AND ?2 <> '')"
    " OR (email = '' AND ?3 <> ''))" };

static const cerebro_sqlite_sql_t  sql_guest_prefs = { ST_GUEST_PREFS,
    "UPDATE guests SET preferences = ?2, updated = ?3 WHERE phone = ?1" };

static const cerebro_sqlite_sql_t  sql_opt_set = { ST_OPT_SET,
    "INSERT INTO opt_out (phone, opted_out, updated) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (phone) DO UPDATE SET opted_out = excluded.opted_out,"
    " updated = excluded.updated" };

static const cerebro_sqlite_sql_t  sql_opt_get = { ST_OPT_GET,
    "SELECT opted_out FROM opt_out WHERE phone = ?1" };


static void read_guest(sqlite3_stmt *st, void *out);


static void
read_guest(sqlite3_stmt *st, void *out)
{
    cerebro_guest_t  *g = out;

    snprintf(g->id, sizeof(g->id), "%lld",
             (long long) sqlite3_column_int64(st, 0));
    cerebro_sqlite_col_copy(g->name, sizeof(g->name), st, 1);
    cerebro_sqlite_col_copy(g->phone, sizeof(g->phone), st, 2);
    cerebro_sqlite_col_copy(g->email, sizeof(g->email), st, 3);
    cerebro_sqlite_col_copy(g->preferences, sizeof(g->preferences), st, 4);
}


cerebro_store_err_t
cerebro_sqlite_guest_get(cerebro_sqlite_t *db, const char *typed,
    cerebro_guest_t *out, cerebro_store_error_t *e)
{
    char                 phone[CEREBRO_PHONE_E164_SIZE];
    if (cerebro_sqlite_phone(db, typed, phone, "phone", e)
        != CEREBRO_STORE_OK) {
        return CEREBRO_STORE_INVALID;
    }

    return cerebro_sqlite_row(db, &sql_guest_get, 0, phone, read_guest, out,
                              "guest", e);
}


cerebro_store_err_t
cerebro_sqlite_guest_upsert(cerebro_sqlite_t *db, const char *typed,
    const char *name, const char *email, int64_t now, cerebro_guest_t *out,
    int *created, cerebro_store_error_t *e)
{
    char                 phone[CEREBRO_PHONE_E164_SIZE];
    int                  made;
    sqlite3_stmt        *st;
    cerebro_store_err_t  err;

    if (created != NULL) {
        *created = 0;
    }

    if (cerebro_sqlite_phone(db, typed, phone, "phone", e)
        != CEREBRO_STORE_OK
        || cerebro_sqlite_check_text(name, CEREBRO_REC_NAME_LEN, 0, "name",
                                     e) != CEREBRO_STORE_OK
        || cerebro_sqlite_check_text(email, CEREBRO_REC_EMAIL_LEN, 0,
                                     "email", e) != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    err = cerebro_sqlite_begin(db, "guest", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    err = cerebro_sqlite_stmt(db, &sql_guest_insert, &st, "guest", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    cerebro_sqlite_bind_text(st, 1, name);
    cerebro_sqlite_bind_text(st, 2, phone);
    cerebro_sqlite_bind_text(st, 3, email);
    sqlite3_bind_int64(st, 4, now);

    err = cerebro_sqlite_run(db, st, "guest", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    made = sqlite3_changes(db->conn) > 0;

    if (!made) {
        err = cerebro_sqlite_stmt(db, &sql_guest_fill, &st, "guest", e);
        if (err != CEREBRO_STORE_OK) {
            goto failed;
        }

        cerebro_sqlite_bind_text(st, 1, phone);
        cerebro_sqlite_bind_text(st, 2, name);
        cerebro_sqlite_bind_text(st, 3, email);
        sqlite3_bind_int64(st, 4, now);

        err = cerebro_sqlite_run(db, st, "guest", e);
        if (err != CEREBRO_STORE_OK) {
            goto failed;
        }
    }

    err = cerebro_sqlite_row(db, &sql_guest_get, 0, phone, read_guest, out,
                             "guest", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    err = cerebro_sqlite_commit(db, "guest", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    if (created != NULL) {
        *created = made;
    }

    return CEREBRO_STORE_OK;

failed:

    cerebro_sqlite_rollback(db);

    return err;
}


cerebro_store_err_t
cerebro_sqlite_guest_add_preference(cerebro_sqlite_t *db, const char *typed,
    const char *preference, int64_t now, cerebro_guest_t *out,
    cerebro_store_error_t *e)
{
    char                 phone[CEREBRO_PHONE_E164_SIZE];
    char                 prefs[CEREBRO_REC_PREFS_LEN];
    sqlite3_stmt        *st;
    cerebro_store_err_t  err;

    if (cerebro_sqlite_phone(db, typed, phone, "phone", e)
        != CEREBRO_STORE_OK
        || cerebro_sqlite_check_text(preference, CEREBRO_REC_PREFS_LEN, 1,
                                     "preference", e) != CEREBRO_STORE_OK)
    {
        return CEREBRO_STORE_INVALID;
    }

    if (strchr(preference, ';') != NULL) {
        return cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                       "preference: one at a time, no ';'");
    }

    err = cerebro_sqlite_begin(db, "guest preference", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    err = cerebro_sqlite_row(db, &sql_guest_get, 0, phone, read_guest, out,
                             "guest", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    memcpy(prefs, out->preferences, sizeof(prefs));

    switch (cerebro_rec_prefs_add(prefs, sizeof(prefs), preference)) {

    case 0:
        /* nothing to write: this ends the read */
        err = cerebro_sqlite_commit(db, "guest preference", e);
        if (err != CEREBRO_STORE_OK) {
            goto failed;
        }

        return CEREBRO_STORE_OK;

    case -1:
        err = cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                      "preferences: no room for \"%.40s\"",
                                      preference);
        goto failed;

    default:
        break;
    }

    err = cerebro_sqlite_stmt(db, &sql_guest_prefs, &st, "guest preference",
                              e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    cerebro_sqlite_bind_text(st, 1, phone);
    cerebro_sqlite_bind_text(st, 2, prefs);
    sqlite3_bind_int64(st, 3, now);

    err = cerebro_sqlite_run(db, st, "guest preference", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    err = cerebro_sqlite_commit(db, "guest preference", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    memcpy(out->preferences, prefs, sizeof(prefs));

    return CEREBRO_STORE_OK;

failed:

    cerebro_sqlite_rollback(db);

    return err;
}


cerebro_store_err_t
cerebro_sqlite_opt_out_set(cerebro_sqlite_t *db, const char *typed,
    int opted_out, int64_t now, cerebro_store_error_t *e)
{
    char                 phone[CEREBRO_PHONE_E164_SIZE];
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    if (cerebro_sqlite_phone(db, typed, phone, "phone", e)
        != CEREBRO_STORE_OK) {
        return CEREBRO_STORE_INVALID;
    }

    err = cerebro_sqlite_stmt(db, &sql_opt_set, &st, "opt-out", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    cerebro_sqlite_bind_text(st, 1, phone);
    sqlite3_bind_int(st, 2, opted_out != 0);
    sqlite3_bind_int64(st, 3, now);

    return cerebro_sqlite_run(db, st, "opt-out", e);
}


cerebro_store_err_t
cerebro_sqlite_opt_out_get(cerebro_sqlite_t *db, const char *typed,
    int *opted_out, cerebro_store_error_t *e)
{
    char                 phone[CEREBRO_PHONE_E164_SIZE];
    int                   rc;
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *opted_out = 0;

    if (cerebro_sqlite_phone(db, typed, phone, "phone", e)
        != CEREBRO_STORE_OK) {
        return CEREBRO_STORE_INVALID;
    }

    err = cerebro_sqlite_stmt(db, &sql_opt_get, &st, "opt-out", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    cerebro_sqlite_bind_text(st, 1, phone);
    rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        *opted_out = sqlite3_column_int(st, 0) != 0;
    }

    cerebro_sqlite_done(st);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return cerebro_sqlite_db_fail(db, rc, "opt-out", e);
    }

    return CEREBRO_STORE_OK;
}
