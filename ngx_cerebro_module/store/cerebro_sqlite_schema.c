/*
 * The embedded store's schema: the versioned migrations, and the seeding
 * of a new file from the restaurant model.
 */

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cerebro_sqlite_int.h"


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
    "  updated INTEGER NOT NULL);",
    /* 1 -> 2: Twilio's delivery states.  Workers of version 1 created
     * these at every start, so a file at version 1 may hold them and
     * their rows already: hence IF NOT EXISTS, with the same columns. */
    "CREATE TABLE IF NOT EXISTS outbox_delivery ("
    "  twilio_sid TEXT PRIMARY KEY,"
    "  outbox_id INTEGER NOT NULL DEFAULT 0,"
    "  status TEXT NOT NULL,"
    "  rank INTEGER NOT NULL,"
    "  error_code TEXT NOT NULL DEFAULT '',"
    "  updated INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS outbox_sid ON outbox (twilio_sid);",
    /* 2 -> 3: the answers of tool calls that wrote, kept for their
     * retries (cerebro_sqlite_replay.c) */
    "CREATE TABLE replay ("
    "  key TEXT PRIMARY KEY,"
    "  failed INTEGER NOT NULL DEFAULT 0,"
    "  answer TEXT NOT NULL,"
    "  expires INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX replay_expires ON replay (expires);",
    /* 3 -> 4: every telephone number in E.164 (cerebro_e164(), with the
     * restaurant's country code), as the adapter now writes them; rows
     * that become one guest or one opt-out are merged, what each knew
     * kept (the newer opt-out wins) */
    "UPDATE reservations SET client_phone = cerebro_e164(client_phone)"
    "  WHERE client_phone != cerebro_e164(client_phone);"
    "UPDATE call_log SET caller = cerebro_e164(caller)"
    "  WHERE caller != cerebro_e164(caller);"
    "UPDATE OR IGNORE guests SET phone = cerebro_e164(phone)"
    "  WHERE phone != cerebro_e164(phone);"
    "UPDATE guests AS k SET"
    "  name = CASE WHEN k.name = '' THEN d.name ELSE k.name END,"
    "  email = CASE WHEN k.email = '' THEN d.email ELSE k.email END,"
    "  preferences = CASE WHEN d.preferences = '' THEN k.preferences"
    "    WHEN k.preferences = '' THEN d.preferences"
    "    ELSE k.preferences || '; ' || d.preferences END,"
    "  updated = max(k.updated, d.updated)"
    "  FROM guests AS d"
    "  WHERE d.phone != cerebro_e164(d.phone)"
    "  AND k.phone = cerebro_e164(d.phone);"
    "DELETE FROM guests WHERE phone != cerebro_e164(phone)"
    "  AND cerebro_e164(phone) IN (SELECT phone FROM guests);"
    "UPDATE OR IGNORE opt_out SET phone = cerebro_e164(phone)"
    "  WHERE phone != cerebro_e164(phone);"
    "UPDATE opt_out AS k SET opted_out = d.opted_out, updated = d.updated"
    "  FROM opt_out AS d"
    "  WHERE d.phone != cerebro_e164(d.phone)"
    "  AND k.phone = cerebro_e164(d.phone) AND d.updated > k.updated;"
    "DELETE FROM opt_out WHERE phone != cerebro_e164(phone)"
    "  AND cerebro_e164(phone) IN (SELECT phone FROM opt_out);",
    /* 4 -> 5: the waiting list (cerebro_sqlite_waitlist.c); the row's
     * status is the claim on an offer: "offered" holds offer_table at
     * offer_start until hold_until.  IF NOT EXISTS: a file set back to
     * version 4 by hand (tests, a restore) may hold it already */
    "CREATE TABLE IF NOT EXISTS waitlist ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  phone TEXT NOT NULL,"
    "  day TEXT NOT NULL,"                 /* YYYY-MM-DD, local */
    "  time_from INTEGER NOT NULL,"        /* local minutes */
    "  time_to INTEGER NOT NULL,"
    "  pax INTEGER NOT NULL CHECK (pax > 0),"
    "  until INTEGER NOT NULL,"            /* UTC of time_to */
    "  status TEXT NOT NULL DEFAULT 'waiting',"
    "  offer_start INTEGER NOT NULL DEFAULT 0,"
    "  offer_table TEXT NOT NULL DEFAULT '',"
    "  hold_until INTEGER NOT NULL DEFAULT 0,"
    "  reservation_id TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  mirrored INTEGER NOT NULL DEFAULT -1);"  /* updated, in Airtable */
    "CREATE INDEX IF NOT EXISTS waitlist_mirror ON waitlist (updated)"
    "  WHERE mirrored != updated;"
    "CREATE INDEX IF NOT EXISTS waitlist_day ON waitlist (status, day, id);"
    "CREATE INDEX IF NOT EXISTS waitlist_phone ON waitlist (phone, status);"
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


static cerebro_store_err_t read_version(cerebro_sqlite_t *db, int *v,
    cerebro_store_error_t *e);
static cerebro_store_err_t seed(cerebro_sqlite_t *db, const char *rules,
    size_t rules_len, cerebro_store_error_t *e);
static cerebro_store_err_t seed_prepare(cerebro_sqlite_t *db,
    const char *sql, sqlite3_stmt **st, cerebro_store_error_t *e);


static cerebro_store_err_t
read_version(cerebro_sqlite_t *db, int *v, cerebro_store_error_t *e)
{
    int                   rc;
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    rc = sqlite3_prepare_v2(db->conn, "PRAGMA user_version", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        return cerebro_sqlite_db_fail(db, rc, "schema version", e);
    }

    rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        *v = sqlite3_column_int(st, 0);
        err = CEREBRO_STORE_OK;

    } else {
        err = cerebro_sqlite_db_fail(db, rc, "schema version", e);
    }

    sqlite3_finalize(st);

    return err;
}


int
cerebro_sqlite_schema_version(cerebro_sqlite_t *db)
{
    int  v;

    if (read_version(db, &v, NULL) != CEREBRO_STORE_OK) {
        return -1;
    }

    return v;
}


/*
 * In one write transaction, so that two workers starting on a new file do
 * not both create and seed it: the second sees the first's version.
 */
cerebro_store_err_t
cerebro_sqlite_migrate(cerebro_sqlite_t *db, const char *rules,
    size_t rules_len, cerebro_store_error_t *e)
{
    int                  rc, v, from;
    char                 sql[64];
    char                *msg;
    cerebro_store_err_t  err;

    err = cerebro_sqlite_begin(db, "sqlite open", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    err = read_version(db, &from, e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    if (from < 0 || from > CEREBRO_SQLITE_SCHEMA_VERSION) {
        err = cerebro_store_error_set(e, CEREBRO_STORE_INVALID,
                                      "sqlite open: schema version %d,"
                                      " this build knows up to %d", from,
                                      CEREBRO_SQLITE_SCHEMA_VERSION);
        goto failed;
    }

    for (v = from; v < CEREBRO_SQLITE_SCHEMA_VERSION; v++) {
        msg = NULL;
        rc = sqlite3_exec(db->conn, migrations[v], NULL, NULL, &msg);

        if (rc != SQLITE_OK) {
            err = cerebro_store_error_set(e, CEREBRO_STORE_UNAVAILABLE,
                                          "sqlite migration %d -> %d: %s",
                                          v, v + 1, msg ? msg : "failed");
            sqlite3_free(msg);
            goto failed;
        }
    }

    if (from == 0) {
        err = seed(db, rules, rules_len, e);
        if (err != CEREBRO_STORE_OK) {
            goto failed;
        }
    }

    if (from != CEREBRO_SQLITE_SCHEMA_VERSION) {
        /* a pragma takes no parameter; the value is our own constant */
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
                 CEREBRO_SQLITE_SCHEMA_VERSION);

        rc = sqlite3_exec(db->conn, sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            err = cerebro_sqlite_db_fail(db, rc, "sqlite open", e);
            goto failed;
        }
    }

    err = cerebro_sqlite_commit(db, "sqlite open", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    return CEREBRO_STORE_OK;

failed:

    cerebro_sqlite_rollback(db);

    return err;
}


/* Finalizes the statement of the previous table and prepares the next. */
static cerebro_store_err_t
seed_prepare(cerebro_sqlite_t *db, const char *sql, sqlite3_stmt **st,
    cerebro_store_error_t *e)
{
    int  rc;

    sqlite3_finalize(*st);

    rc = sqlite3_prepare_v2(db->conn, sql, -1, st, NULL);
    if (rc != SQLITE_OK) {
        return cerebro_sqlite_db_fail(db, rc, "sqlite seed", e);
    }

    return CEREBRO_STORE_OK;
}


static cerebro_store_err_t
seed(cerebro_sqlite_t *db, const char *rules, size_t rules_len,
    cerebro_store_error_t *e)
{
    int                          i, j;
    char                        *members;
    size_t                       k;
    cJSON                       *arr;
    const char                  *question;
    sqlite3_stmt                *st;
    cerebro_store_err_t          err;
    const cerebro_group_t       *g;
    const cerebro_table_t       *t;
    const cerebro_restaurant_t  *r;

    r = db->model;
    st = NULL;

    err = seed_prepare(db, "INSERT INTO tables (name, capacity_min,"
                           " capacity_max, location, position)"
                           " VALUES (?1, ?2, ?3, ?4, ?5)", &st, e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    for (i = 0; i < r->ntables; i++) {
        t = &r->tables[i];
        cerebro_sqlite_bind_text(st, 1, t->name);
        sqlite3_bind_int(st, 2, t->capacity_min);
        sqlite3_bind_int(st, 3, t->capacity_max);
        cerebro_sqlite_bind_text(st, 4, t->location);
        sqlite3_bind_int(st, 5, i);

        err = cerebro_sqlite_run(db, st, "sqlite seed", e);
        if (err != CEREBRO_STORE_OK) {
            goto failed;
        }
    }

    err = seed_prepare(db, "INSERT INTO table_groups (name, capacity_min,"
                           " capacity_max, members, position)"
                           " VALUES (?1, ?2, ?3, ?4, ?5)", &st, e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    for (i = 0; i < r->ngroups; i++) {
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
            err = cerebro_store_error_set(e, CEREBRO_STORE_UNAVAILABLE,
                                          "sqlite seed: out of memory");
            goto failed;
        }

        cerebro_sqlite_bind_text(st, 1, g->name);
        sqlite3_bind_int(st, 2, g->capacity_min);
        sqlite3_bind_int(st, 3, g->capacity_max);
        cerebro_sqlite_bind_text(st, 4, members);
        sqlite3_bind_int(st, 5, i);

        err = cerebro_sqlite_run(db, st, "sqlite seed", e);
        cJSON_free(members);

        if (err != CEREBRO_STORE_OK) {
            goto failed;
        }
    }

    err = seed_prepare(db, "INSERT INTO faq (topic, question, answer,"
                           " position) VALUES (?1, ?2, ?3, ?4)", &st, e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    for (i = 0; i < r->ninfo; i++) {
        question = r->info[i].key;

        for (k = 0; k < sizeof(faq_questions) / sizeof(faq_questions[0]);
             k++)
        {
            if (strcmp(faq_questions[k].key, r->info[i].key) == 0) {
                question = faq_questions[k].question;
                break;
            }
        }

        cerebro_sqlite_bind_text(st, 1, r->info[i].key);
        cerebro_sqlite_bind_text(st, 2, question);
        cerebro_sqlite_bind_text(st, 3, r->info[i].value);
        sqlite3_bind_int(st, 4, i);

        err = cerebro_sqlite_run(db, st, "sqlite seed", e);
        if (err != CEREBRO_STORE_OK) {
            goto failed;
        }
    }

    err = seed_prepare(db, "INSERT INTO meta (key, value) VALUES"
                           " ('rules', ?1), ('seeded_from', ?2)", &st, e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    sqlite3_bind_text(st, 1, rules != NULL ? rules : "",
                      rules != NULL ? (int) rules_len : 0, SQLITE_STATIC);
    cerebro_sqlite_bind_text(st, 2, r->name);

    err = cerebro_sqlite_run(db, st, "sqlite seed", e);
    if (err != CEREBRO_STORE_OK) {
        goto failed;
    }

    sqlite3_finalize(st);

    return CEREBRO_STORE_OK;

failed:

    sqlite3_finalize(st);

    return err;
}
