/*
 * cerebro_sqlite: schema and seeding (once), a file of the previous
 * version upgraded in place, every operation and its error kinds, a write
 * failing half-way leaving nothing, a restart, two connections and two
 * processes racing for the last table, and a busy database answering
 * "unavailable" without a stall.  Every file lives under a mkdtemp()
 * directory removed at the end.
 */

#define _GNU_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <sqlite3.h>

/* the tests look at the adapter's own connection */
#include "cerebro_sqlite_int.h"


#define PHONE    "+34600111222"
#define PHONE2   "+34600333444"

/* 3 tables of 1..4, open 12:00-23:30 every day, no pacing */
static const char  *tiny_json =
    "{\"name\":\"Tiny\",\"timezone\":\"Europe/Madrid\","
    "\"services\":{"
    "\"monday\":[{\"name\":\"dia\",\"start\":\"12:00\",\"end\":\"23:30\","
    "\"last_seating\":\"22:00\"}],"
    "\"tuesday\":[{\"name\":\"dia\",\"start\":\"12:00\",\"end\":\"23:30\","
    "\"last_seating\":\"22:00\"}],"
    "\"wednesday\":[{\"name\":\"dia\",\"start\":\"12:00\",\"end\":\"23:30\","
    "\"last_seating\":\"22:00\"}],"
    "\"thursday\":[{\"name\":\"dia\",\"start\":\"12:00\",\"end\":\"23:30\","
    "\"last_seating\":\"22:00\"}],"
    "\"friday\":[{\"name\":\"dia\",\"start\":\"12:00\",\"end\":\"23:30\","
    "\"last_seating\":\"22:00\"}],"
    "\"saturday\":[{\"name\":\"dia\",\"start\":\"12:00\",\"end\":\"23:30\","
    "\"last_seating\":\"22:00\"}],"
    "\"sunday\":[{\"name\":\"dia\",\"start\":\"12:00\",\"end\":\"23:30\","
    "\"last_seating\":\"22:00\"}]},"
    "\"tables\":["
    "{\"name\":\"A\",\"capacity_min\":1,\"capacity_max\":4,"
    "\"location\":\"sala\"},"
    "{\"name\":\"B\",\"capacity_min\":1,\"capacity_max\":4,"
    "\"location\":\"sala\"},"
    "{\"name\":\"C\",\"capacity_min\":1,\"capacity_max\":4,"
    "\"location\":\"terraza\"}],"
    "\"turn_times\":{\"default\":120},"
    "\"booking_window\":{\"min_lead_minutes\":0,\"max_days_ahead\":400},"
    "\"max_party\":4}";


static char                   dir[64];
static char                  *demo_json;
static size_t                 demo_len;
static cerebro_restaurant_t  *demo;
static cerebro_restaurant_t  *tiny;
static int                    nfile;


static char *
read_file(const char *path, size_t *len)
{
    FILE  *f;
    char  *buf;

    f = fopen(path, "rb");
    assert_non_null(f);
    buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);

    return buf;
}


static int
setup(void **state)
{
    char  err[256];

    (void) state;

    snprintf(dir, sizeof(dir), "/tmp/cerebro-sqlite-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        return -1;
    }

    demo_json = read_file("conf/restaurant.json", &demo_len);
    demo = cerebro_restaurant_load(demo_json, demo_len, NULL, err,
                                   sizeof(err));
    tiny = cerebro_restaurant_load(tiny_json, strlen(tiny_json), NULL, err,
                                   sizeof(err));

    if (demo == NULL || tiny == NULL) {
        fprintf(stderr, "model: %s\n", err);
        return -1;
    }

    return 0;
}


static int
teardown(void **state)
{
    char  cmd[128];

    (void) state;

    cerebro_restaurant_free(demo);
    cerebro_restaurant_free(tiny);
    free(demo_json);

    /* every file is ours, under our own mkdtemp() directory */
    if (strncmp(dir, "/tmp/cerebro-sqlite-", 20) == 0) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0) {
            return -1;
        }
    }

    return 0;
}


/* A new database path for each test. */
static void
new_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%d/%s.db", dir, ++nfile, name);
}


static cerebro_sqlite_t *
open_db(const char *path, const cerebro_restaurant_t *model,
    const char *json)
{
    cerebro_sqlite_t       *db;
    cerebro_store_error_t   e;

    db = cerebro_sqlite_open(path, model, json, json ? strlen(json) : 0,
                             &e);
    if (db == NULL) {
        fail_msg("open %s: %s: %s", path, cerebro_store_err_name(e.kind),
                 e.message);
    }

    return db;
}


static int64_t
local_utc(const cerebro_restaurant_t *r, int y, int mo, int d, int h,
    int mi)
{
    cerebro_date_t  date = { y, mo, d };

    return cerebro_tz_from_local(&r->tz, &date, h * 60 + mi, NULL);
}


static cerebro_booking_req_t
breq(int y, int mo, int d, int h, int mi, int party, const char *name,
    const char *phone)
{
    cerebro_booking_req_t  q;

    memset(&q, 0, sizeof(q));
    q.when.date = (cerebro_date_t) { y, mo, d };
    q.when.minutes = h * 60 + mi;
    q.when.party = party;
    q.client_name = name;
    q.client_phone = phone;
    q.source = CEREBRO_SOURCE_VOICE;

    return q;
}


static sqlite3 *
conn_of(cerebro_sqlite_t *db)
{
    return db->conn;
}


/* A connection of the test's own to the file. */
static sqlite3 *
raw_open(const char *path)
{
    sqlite3  *conn;

    assert_int_equal(sqlite3_open_v2(path, &conn,
                                     SQLITE_OPEN_READWRITE
                                     | SQLITE_OPEN_CREATE, NULL),
                     SQLITE_OK);
    sqlite3_busy_timeout(conn, 2000);

    return conn;
}


static void
raw_exec(sqlite3 *conn, const char *sql)
{
    char  *msg;

    msg = NULL;

    if (sqlite3_exec(conn, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fail_msg("%s: %s", sql, msg ? msg : "failed");
    }
}


static int
sql_int(sqlite3 *conn, const char *sql)
{
    int            v;
    sqlite3_stmt  *st;

    assert_int_equal(sqlite3_prepare_v2(conn, sql, -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);

    return v;
}


static double
ms_since(const struct timespec *t0)
{
    struct timespec  t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);

    return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}


static void
test_names(void **state)
{
    char  buf[8];

    (void) state;

    assert_string_equal(cerebro_store_err_name(CEREBRO_STORE_OK), "ok");
    assert_string_equal(cerebro_store_err_name(CEREBRO_STORE_NOT_FOUND),
                        "not_found");
    assert_string_equal(cerebro_store_err_name(CEREBRO_STORE_CONFLICT),
                        "conflict");
    assert_string_equal(cerebro_store_err_name(CEREBRO_STORE_INVALID),
                        "invalid");
    assert_string_equal(cerebro_store_err_name(CEREBRO_STORE_UNAVAILABLE),
                        "unavailable");
    assert_string_equal(cerebro_store_err_name(CEREBRO_STORE_RATE_LIMITED),
                        "rate_limited");
    assert_string_equal(cerebro_store_err_name(99), "unknown");

    assert_int_equal(cerebro_outbox_status_from_string("pending"),
                     CEREBRO_OUTBOX_PENDING);
    assert_int_equal(cerebro_outbox_status_from_string("sent"),
                     CEREBRO_OUTBOX_SENT);
    assert_int_equal(cerebro_outbox_status_from_string("failed"),
                     CEREBRO_OUTBOX_FAILED);
    assert_int_equal(cerebro_outbox_status_from_string("queued"), -1);
    assert_string_equal(cerebro_outbox_status_name(CEREBRO_OUTBOX_SENT),
                        "sent");

    /* "añada" cut inside the ñ keeps "a" only, never half a character */
    assert_int_equal(cerebro_rec_copy(buf, 3, "a\xc3\xb1" "ada"), 1);
    assert_string_equal(buf, "a");
    assert_int_equal(cerebro_rec_copy(buf, sizeof(buf), "abc"), 0);
    assert_string_equal(buf, "abc");
    assert_int_equal(cerebro_rec_copy(buf, 4, "abcd"), 1);
    assert_string_equal(buf, "abc");
}


static void
test_schema_and_seed(void **state)
{
    int                     n, i;
    char                    path[256], rules[1 << 14];
    size_t                  len;
    sqlite3                *conn;
    cerebro_faq_t           faq[32];
    cerebro_sqlite_t       *db;
    cerebro_group_rec_t     groups[CEREBRO_MAX_GROUPS];
    cerebro_table_rec_t     tables[CEREBRO_MAX_TABLES];
    cerebro_store_error_t   e;

    (void) state;

    /* the directory does not exist yet: it is created */
    snprintf(path, sizeof(path), "%s/%d/deeper/store.db", dir, ++nfile);
    db = cerebro_sqlite_open(path, demo, demo_json, demo_len, &e);
    assert_non_null(db);
    assert_int_equal(access(path, F_OK), 0);

    assert_int_equal(cerebro_sqlite_schema_version(db),
                     CEREBRO_SQLITE_SCHEMA_VERSION);

    conn = conn_of(db);
    assert_int_equal(sql_int(conn, "PRAGMA busy_timeout"),
                     CEREBRO_SQLITE_BUSY_TIMEOUT_MS);
    assert_int_equal(sql_int(conn, "PRAGMA synchronous"), 1);   /* NORMAL */
    assert_int_equal(sql_int(conn, "SELECT journal_mode = 'wal'"
                                   " FROM pragma_journal_mode"), 1);

    assert_int_equal(cerebro_sqlite_tables(db, tables, CEREBRO_MAX_TABLES,
                                           &n, &e), CEREBRO_STORE_OK);
    assert_int_equal(n, demo->ntables);
    assert_int_equal(n, 14);

    for (i = 0; i < n; i++) {
        assert_string_equal(tables[i].name, demo->tables[i].name);
        assert_int_equal(tables[i].capacity_min,
                         demo->tables[i].capacity_min);
        assert_int_equal(tables[i].capacity_max,
                         demo->tables[i].capacity_max);
        assert_string_equal(tables[i].location, demo->tables[i].location);
    }

    /* a list cut short says so through n only */
    assert_int_equal(cerebro_sqlite_tables(db, tables, 3, &n, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 3);

    assert_int_equal(cerebro_sqlite_groups(db, groups, CEREBRO_MAX_GROUPS,
                                           &n, &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 4);
    assert_string_equal(groups[1].name, "T3+T4");
    assert_int_equal(groups[1].ntables, 2);
    assert_string_equal(groups[1].members[0], "T3");
    assert_string_equal(groups[1].members[1], "T4");
    assert_int_equal(groups[1].capacity_min, 5);
    assert_int_equal(groups[1].capacity_max, 8);

    assert_int_equal(cerebro_sqlite_faq(db, faq, 32, &n, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, demo->ninfo);
    assert_int_equal(n, 6);
    assert_string_equal(faq[0].topic, "parking");
    assert_string_equal(faq[0].question, "¿Tienen aparcamiento?");
    assert_string_equal(faq[0].answer,
                        cerebro_restaurant_info(demo, "parking"));

    assert_int_equal(cerebro_sqlite_rules(db, rules, sizeof(rules), &len,
                                          &e), CEREBRO_STORE_OK);
    assert_int_equal(len, demo_len);
    assert_memory_equal(rules, demo_json, demo_len);

    /* too small a buffer: cut, the full length reported */
    assert_int_equal(cerebro_sqlite_rules(db, rules, 10, &len, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(len, demo_len);
    assert_int_equal(strlen(rules), 9);

    cerebro_sqlite_close(db);
}


static void
test_seed_once(void **state)
{
    int                     n;
    char                    path[256];
    sqlite3                *conn;
    cerebro_faq_t           faq[32];
    cerebro_sqlite_t       *db;
    cerebro_table_rec_t     tables[CEREBRO_MAX_TABLES];
    cerebro_store_error_t   e;

    (void) state;

    new_path(path, sizeof(path), "seed");
    db = open_db(path, demo, demo_json);
    conn = conn_of(db);
    assert_int_equal(sqlite3_exec(conn, "DELETE FROM faq WHERE topic ="
                                  " 'pets'", NULL, NULL, NULL), SQLITE_OK);
    cerebro_sqlite_close(db);

    /* reopened with another model: the file keeps what it was seeded
     * with, and the staff's deletion stays deleted */
    db = open_db(path, tiny, tiny_json);
    assert_int_equal(cerebro_sqlite_tables(db, tables, CEREBRO_MAX_TABLES,
                                           &n, &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 14);
    assert_int_equal(cerebro_sqlite_faq(db, faq, 32, &n, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 5);
    conn = conn_of(db);
    assert_int_equal(sql_int(conn, "SELECT count(*) FROM meta WHERE key ="
                             " 'seeded_from' AND value = 'En Las Nubes'"),
                     1);
    cerebro_sqlite_close(db);
}


static void
test_newer_schema_refused(void **state)
{
    char                    path[256];
    sqlite3                *conn;
    cerebro_sqlite_t       *db;
    cerebro_store_error_t   e;

    (void) state;

    new_path(path, sizeof(path), "newer");
    db = open_db(path, tiny, NULL);
    conn = conn_of(db);
    assert_int_equal(sqlite3_exec(conn, "PRAGMA user_version = 99", NULL,
                                  NULL, NULL), SQLITE_OK);
    cerebro_sqlite_close(db);

    memset(&e, 0, sizeof(e));
    db = cerebro_sqlite_open(path, tiny, NULL, 0, &e);
    assert_null(db);
    assert_int_equal(e.kind, CEREBRO_STORE_INVALID);
    assert_non_null(strstr(e.message, "99"));

    /* no rules stored when none were given: an empty text */
    new_path(path, sizeof(path), "bad");
    db = cerebro_sqlite_open(path, NULL, NULL, 0, &e);
    assert_null(db);
    assert_int_equal(e.kind, CEREBRO_STORE_INVALID);

    /* a directory where the file should be cannot be opened */
    db = cerebro_sqlite_open(dir, tiny, NULL, 0, &e);
    assert_null(db);
    assert_int_equal(e.kind, CEREBRO_STORE_UNAVAILABLE);
}


static void
test_booking_lifecycle(void **state)
{
    int                     n, total, already, repeated, i;
    char                    path[256], id[CEREBRO_REC_ID_LEN];
    int64_t                 now, start;
    cerebro_answer_t        a;
    cerebro_sqlite_t       *db;
    cerebro_reservation_t   r, list[8];
    cerebro_store_error_t   e;
    cerebro_booking_req_t   q;
    cerebro_date_t          fri = { 2026, 3, 6 };
    cerebro_booking_change_t  ch;

    (void) state;

    new_path(path, sizeof(path), "life");
    db = open_db(path, demo, demo_json);
    now = local_utc(demo, 2026, 3, 2, 10, 0);       /* Monday morning */

    q = breq(2026, 3, 6, 21, 0, 4, "María O'Brien", PHONE);
    q.notes = "cumpleaños";
    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(a.reason, CEREBRO_AVAIL_OK);
    assert_int_equal(repeated, 0);
    start = local_utc(demo, 2026, 3, 6, 21, 0);
    assert_int_equal(r.start, start);
    assert_int_equal(r.pax, 4);
    assert_string_equal(r.table, a.slot.name);
    assert_string_equal(r.status, CEREBRO_STATUS_CONFIRMED);
    assert_string_equal(r.client_name, "María O'Brien");
    assert_string_equal(r.client_phone, PHONE);
    assert_string_equal(r.notes, "cumpleaños");
    assert_string_equal(r.source, "voice");
    assert_int_equal(r.created, now);
    assert_true(atoi(r.id) > 0);
    snprintf(id, sizeof(id), "%s", r.id);

    memset(&r, 0, sizeof(r));
    assert_int_equal(cerebro_sqlite_booking_get(db, id, &r, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(r.start, start);

    assert_int_equal(cerebro_sqlite_bookings_day(db, &fri, 0, list, 8, &n,
                                                 &total, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(total, 1);
    assert_string_equal(list[0].id, id);

    assert_int_equal(cerebro_sqlite_bookings_range(db, start, start + 1, 0,
                                                   list, 8, &n, NULL, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(cerebro_sqlite_bookings_range(db, start + 1,
                                                   start + 86400, 0, list,
                                                   8, &n, NULL, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 0);

    assert_int_equal(cerebro_sqlite_bookings_by_phone(db, PHONE,
                         CEREBRO_SQLITE_UPCOMING, now, list, 8, &n, NULL,
                         &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(cerebro_sqlite_bookings_by_phone(db, PHONE,
                         CEREBRO_SQLITE_UPCOMING, start + 60, list, 8, &n,
                         NULL, &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(cerebro_sqlite_bookings_by_phone(db, PHONE, 0,
                         start + 60, list, 8, &n, NULL, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(cerebro_sqlite_bookings_by_phone(db, PHONE2, 0, now,
                         list, 8, &n, NULL, &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 0);
    /* however it is typed, with the restaurant's country code */
    assert_int_equal(cerebro_sqlite_bookings_by_phone(db, "600 11 12 22", 0,
                         start + 60, list, 8, &n, NULL, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].client_phone, PHONE);
    assert_int_equal(cerebro_sqlite_bookings_by_phone(db, "600 11", 0,
                         now, list, 8, &n, NULL, &e), CEREBRO_STORE_INVALID);

    /* bad input: invalid; a closed day: conflict with alternatives */
    q = breq(2026, 3, 6, 21, 0, 2, "", PHONE);
    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_INVALID);
    assert_non_null(strstr(e.message, "client_name"));
    q = breq(2026, 3, 6, 21, 0, 2, "Ana", "600 111 22");
    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_INVALID);
    assert_non_null(strstr(e.message, "client_phone"));
    q = breq(2026, 3, 6, 21, 0, 0, "Ana", PHONE);
    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_INVALID);
    q = breq(2026, 2, 30, 21, 0, 2, "Ana", PHONE);
    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_INVALID);

    q = breq(2026, 3, 9, 21, 0, 2, "Ana", PHONE2);     /* Monday: closed */
    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_CONFLICT);
    assert_int_equal(a.reason, CEREBRO_AVAIL_CLOSED);
    assert_true(a.nalts > 0);

    q = breq(2026, 3, 6, 21, 0, 20, "Ana", PHONE2);    /* too large */
    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_CONFLICT);
    assert_int_equal(a.reason, CEREBRO_AVAIL_TOO_LARGE);

    q = breq(2026, 3, 2, 10, 15, 2, "Ana", PHONE2);    /* past/closed */
    assert_int_not_equal(cerebro_sqlite_booking_create(db, &q, now, NULL,
                                                       &r, &a,
                                                       &repeated, &e),
                         CEREBRO_STORE_OK);

    /* notes only: no re-check, same table */
    memset(&ch, 0, sizeof(ch));
    ch.notes = "sin gluten";
    assert_int_equal(cerebro_sqlite_booking_update(db, id, &ch, now, NULL,
                                                   &r, &a,
                                                   &e), CEREBRO_STORE_OK);
    assert_string_equal(r.notes, "sin gluten");
    assert_int_equal(r.start, start);
    assert_int_equal(r.pax, 4);

    /* a later time, then a larger party: another table */
    memset(&ch, 0, sizeof(ch));
    ch.set_time = 1;
    ch.date = fri;
    ch.minutes = 21 * 60 + 30;
    assert_int_equal(cerebro_sqlite_booking_update(db, id, &ch, now, NULL,
                                                   &r, &a,
                                                   &e), CEREBRO_STORE_OK);
    assert_int_equal(r.start, start + 1800);
    assert_string_equal(r.notes, "sin gluten");

    memset(&ch, 0, sizeof(ch));
    ch.pax = 6;
    assert_int_equal(cerebro_sqlite_booking_update(db, id, &ch, now, NULL,
                                                   &r, &a,
                                                   &e), CEREBRO_STORE_OK);
    assert_int_equal(r.pax, 6);
    assert_int_equal(r.start, start + 1800);
    i = cerebro_restaurant_table_index(demo, r.table);
    if (i >= 0) {
        assert_true(demo->tables[i].capacity_max >= 6);
    } else {
        i = cerebro_restaurant_group_index(demo, r.table);
        assert_true(i >= 0 && demo->groups[i].capacity_max >= 6);
    }

    /* to a closed day: refused, nothing changed */
    memset(&ch, 0, sizeof(ch));
    ch.set_time = 1;
    ch.date = (cerebro_date_t) { 2026, 3, 9 };
    ch.minutes = 21 * 60;
    assert_int_equal(cerebro_sqlite_booking_update(db, id, &ch, now, NULL,
                                                   &r, &a,
                                                   &e),
                     CEREBRO_STORE_CONFLICT);
    assert_int_equal(a.reason, CEREBRO_AVAIL_CLOSED);
    assert_int_equal(cerebro_sqlite_booking_get(db, id, &r, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(r.start, start + 1800);

    /* cancel, twice: both OK, the second says so */
    assert_int_equal(cerebro_sqlite_booking_cancel(db, id, now, NULL, &r,
                                                   &already, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(already, 0);
    assert_string_equal(r.status, CEREBRO_STATUS_CANCELLED);
    assert_int_equal(cerebro_sqlite_booking_cancel(db, id, now, NULL, &r,
                                                   &already, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(already, 1);

    assert_int_equal(cerebro_sqlite_bookings_day(db, &fri, 0, list, 8, &n,
                                                 NULL, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(cerebro_sqlite_bookings_day(db, &fri,
                         CEREBRO_SQLITE_WITH_CANCELLED, list, 8, &n, NULL,
                         &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(cerebro_sqlite_bookings_by_phone(db, PHONE,
                         CEREBRO_SQLITE_UPCOMING, now, list, 8, &n, NULL,
                         &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 0);

    memset(&ch, 0, sizeof(ch));
    ch.notes = "otra";
    assert_int_equal(cerebro_sqlite_booking_update(db, id, &ch, now, NULL,
                                                   &r, &a,
                                                   &e),
                     CEREBRO_STORE_INVALID);

    /* ids: ours are numbers; unknown ones are not found */
    assert_int_equal(cerebro_sqlite_booking_get(db, "recABC123", &r, &e),
                     CEREBRO_STORE_INVALID);
    assert_int_equal(cerebro_sqlite_booking_get(db, "12x", &r, &e),
                     CEREBRO_STORE_INVALID);
    assert_int_equal(cerebro_sqlite_booking_get(db, "999", &r, &e),
                     CEREBRO_STORE_NOT_FOUND);
    assert_int_equal(cerebro_sqlite_booking_cancel(db, "999", now, NULL, &r,
                                                   &already, &e),
                     CEREBRO_STORE_NOT_FOUND);
    assert_int_equal(already, 0);
    assert_int_equal(cerebro_sqlite_booking_update(db, "999", &ch, now, NULL,
                                                   &r,
                                                   &a, &e),
                     CEREBRO_STORE_NOT_FOUND);
    assert_int_equal(cerebro_sqlite_bookings_day(db,
                         &(cerebro_date_t) { 2026, 2, 30 }, 0, list, 8, &n,
                         NULL, &e), CEREBRO_STORE_INVALID);

    cerebro_sqlite_close(db);
}


static void
test_repeated_call(void **state)
{
    int                     repeated, n;
    char                    path[256];
    int64_t                 now;
    cerebro_answer_t        a;
    cerebro_sqlite_t       *db;
    cerebro_reservation_t   r1, r2, list[4];
    cerebro_store_error_t   e;
    cerebro_booking_req_t   q;

    (void) state;

    new_path(path, sizeof(path), "repeat");
    db = open_db(path, tiny, tiny_json);
    now = local_utc(tiny, 2026, 3, 2, 10, 0);

    q = breq(2026, 3, 10, 20, 0, 2, "Luis", PHONE);
    q.call_id = "call-123";
    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, NULL, &r1, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(repeated, 0);
    assert_string_equal(r1.call_id, "call-123");

    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, NULL, &r2, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(repeated, 1);
    assert_string_equal(r1.id, r2.id);

    /* the same guest at the same time in another call: the same booking */
    q.call_id = "call-456";
    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, NULL, &r2, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(repeated, 1);
    assert_string_equal(r1.id, r2.id);

    /* another guest books another table */
    q.client_phone = "+34600999000";
    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, NULL, &r2, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(repeated, 0);
    assert_string_not_equal(r1.id, r2.id);
    assert_string_not_equal(r1.table, r2.table);

    assert_int_equal(cerebro_sqlite_bookings_day(db,
                         &(cerebro_date_t) { 2026, 3, 10 }, 0, list, 4, &n,
                         NULL, &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 2);

    cerebro_sqlite_close(db);
}


/*
 * Two connections to one file, the last table: one books it; a booking in
 * flight on the other connection makes this one "unavailable" (never a
 * second booking); after its commit the slot is full, with alternatives.
 */
static void
test_two_handles_last_table(void **state)
{
    int                     repeated, i, k;
    char                    path[256], ids[3][CEREBRO_REC_ID_LEN];
    int64_t                 now, slot;
    sqlite3                *conn;
    sqlite3_stmt           *st;
    cerebro_answer_t        a;
    cerebro_sqlite_t       *h1, *h2;
    cerebro_reservation_t   r, y;
    cerebro_store_error_t   e;
    cerebro_booking_req_t   q;
    cerebro_booking_change_t  ch;

    (void) state;

    new_path(path, sizeof(path), "two");
    h1 = open_db(path, tiny, tiny_json);
    h2 = open_db(path, tiny, tiny_json);
    now = local_utc(tiny, 2026, 3, 2, 10, 0);
    slot = local_utc(tiny, 2026, 3, 10, 20, 0);

    q = breq(2026, 3, 10, 20, 0, 2, "Uno", PHONE);
    assert_int_equal(cerebro_sqlite_booking_create(h1, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_OK);
    snprintf(ids[0], sizeof(ids[0]), "%s", r.id);
    q.client_name = "Dos";
    assert_int_equal(cerebro_sqlite_booking_create(h2, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_OK);
    snprintf(ids[1], sizeof(ids[1]), "%s", r.id);

    /* the third booking is in flight on h1's connection */
    conn = conn_of(h1);
    assert_int_equal(sqlite3_exec(conn, "BEGIN IMMEDIATE", NULL, NULL,
                                  NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(conn,
                         "INSERT INTO reservations (client_name,"
                         " client_phone, start, pax, table_name, status,"
                         " created, updated) VALUES ('Tres', ?1, ?2, 2, 'C',"
                         " 'confirmed', ?3, ?3)", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, PHONE, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, slot);
    sqlite3_bind_int64(st, 3, now);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);

    q.client_name = "Cuatro";
    assert_int_equal(cerebro_sqlite_booking_create(h2, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_UNAVAILABLE);
    assert_int_equal(sqlite3_exec(conn, "COMMIT", NULL, NULL, NULL),
                     SQLITE_OK);

    /* now the slot is full: conflict, and the alternatives are bookable */
    assert_int_equal(cerebro_sqlite_booking_create(h2, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_CONFLICT);
    assert_int_equal(a.reason, CEREBRO_AVAIL_FULL);
    assert_true(a.nalts > 0);

    for (k = 0; k < a.nalts; k++) {
        assert_true(a.alts[k].start >= slot + 2 * 3600
                    || a.alts[k].start <= slot - 2 * 3600);
    }

    q.when.date = a.alts[0].date;
    q.when.minutes = a.alts[0].minutes;
    assert_int_equal(cerebro_sqlite_booking_create(h1, &q, now, NULL, &y, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_OK);
    assert_int_not_equal(y.start, slot);

    /* every table taken at 20:00: a change at that time must not be
     * blocked by the booking itself */
    memset(&ch, 0, sizeof(ch));
    ch.pax = 3;
    assert_int_equal(cerebro_sqlite_booking_update(h2, ids[0], &ch, now, NULL,
                                                   &r,
                                                   &a, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(r.pax, 3);
    assert_int_equal(r.start, slot);

    /* but another booking cannot move into the full slot */
    memset(&ch, 0, sizeof(ch));
    ch.set_time = 1;
    ch.date = (cerebro_date_t) { 2026, 3, 10 };
    ch.minutes = 20 * 60 + 30;
    assert_int_equal(cerebro_sqlite_booking_update(h1, y.id, &ch, now, NULL, &r,
                                                   &a, &e),
                     CEREBRO_STORE_CONFLICT);
    assert_int_equal(a.reason, CEREBRO_AVAIL_FULL);

    /* a cancellation frees a table for the other connection */
    assert_int_equal(cerebro_sqlite_booking_cancel(h1, ids[1], now, NULL,
                                                   &r, &i,
                                                   &e), CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_booking_update(h2, y.id, &ch, now, NULL, &r,
                                                   &a, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(r.start, slot + 1800);

    cerebro_sqlite_close(h1);
    cerebro_sqlite_close(h2);
}


#define RACE_PROCS     4
#define RACE_SLOTS     60
#define RACE_TRIES     4     /* per slot and process: 16 tries, 3 tables */


/* Not cmocka in a child: it reports through its exit status. */
static int
race_child(const char *path, int go_fd, int64_t now)
{
    int                     slot, t, repeated, ok, spins, busy;
    char                    c;
    cerebro_answer_t        a;
    cerebro_sqlite_t       *db;
    cerebro_reservation_t   r;
    cerebro_store_error_t   e;
    cerebro_booking_req_t   q;
    cerebro_store_err_t     rc;

    db = cerebro_sqlite_open(path, tiny, NULL, 0, &e);
    if (db == NULL) {
        return 254;
    }

    /* every child opened, prepared nothing yet: start together */
    if (read(go_fd, &c, 1) != 1) {
        cerebro_sqlite_close(db);
        return 255;
    }

    ok = 0;
    busy = 0;

    for (slot = 0; slot < RACE_SLOTS; slot++) {
        for (t = 0; t < RACE_TRIES; t++) {
            q = breq(2026, 3, 10, 20, 0, 2, "Carrera", PHONE);
            q.when.date = cerebro_date_add_days(&q.when.date, slot);

            for (spins = 0; spins < 20000; spins++) {
                rc = cerebro_sqlite_booking_create(db, &q, now, NULL, &r, &a,
                                                   &repeated, &e);
                if (rc != CEREBRO_STORE_UNAVAILABLE) {
                    break;
                }

                busy++;
                usleep(200);
            }

            if (rc == CEREBRO_STORE_OK) {
                ok++;

            } else if (rc != CEREBRO_STORE_CONFLICT
                       || a.reason != CEREBRO_AVAIL_FULL)
            {
                cerebro_sqlite_close(db);
                return 253;
            }
        }
    }

    cerebro_sqlite_close(db);
    fprintf(stderr, "[ child    ] %d booked, %d busy retries\n", ok, busy);

    return ok;
}


static void
test_processes_race(void **state)
{
    int                     i, j, n, status, sum, pipefd[2], total;
    char                    path[256];
    pid_t                   pid[RACE_PROCS];
    int64_t                 now, ei, ej;
    uint64_t                mi, mj;
    cerebro_sqlite_t       *db;
    cerebro_reservation_t  *all;
    cerebro_store_error_t   e;

    (void) state;

    new_path(path, sizeof(path), "race");
    db = open_db(path, tiny, tiny_json);
    cerebro_sqlite_close(db);      /* no connection crosses fork() */

    now = local_utc(tiny, 2026, 3, 2, 10, 0);
    assert_int_equal(pipe(pipefd), 0);

    for (i = 0; i < RACE_PROCS; i++) {
        pid[i] = fork();
        assert_true(pid[i] >= 0);

        if (pid[i] == 0) {
            close(pipefd[1]);
            _exit(race_child(path, pipefd[0], now));
        }
    }

    /* release them together, once all have opened the file */
    usleep(200 * 1000);
    close(pipefd[0]);
    for (i = 0; i < RACE_PROCS; i++) {
        assert_int_equal(write(pipefd[1], "g", 1), 1);
    }
    close(pipefd[1]);

    sum = 0;

    for (i = 0; i < RACE_PROCS; i++) {
        assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
        assert_true(WIFEXITED(status));
        assert_true(WEXITSTATUS(status) < 250);
        sum += WEXITSTATUS(status);
    }

    /* every slot filled exactly: 3 tables each, no more */
    assert_int_equal(sum, RACE_SLOTS * tiny->ntables);

    db = open_db(path, tiny, tiny_json);
    all = calloc(1024, sizeof(*all));
    assert_non_null(all);
    assert_int_equal(cerebro_sqlite_bookings_range(db, 0, INT64_MAX, 0,
                                                   all, 1024, &n, &total,
                                                   &e), CEREBRO_STORE_OK);
    assert_int_equal(n, sum);
    assert_int_equal(total, sum);

    /* no table holds two overlapping active bookings */
    for (i = 0; i < n; i++) {
        assert_true(cerebro_engine_tables_for_name(tiny, all[i].table, &mi,
                                                   NULL, 0) > 0);
        ei = all[i].start + cerebro_restaurant_turn(tiny, all[i].pax) * 60;

        for (j = i + 1; j < n; j++) {
            assert_true(cerebro_engine_tables_for_name(tiny, all[j].table,
                                                       &mj, NULL, 0) > 0);
            ej = all[j].start
                 + cerebro_restaurant_turn(tiny, all[j].pax) * 60;

            if (all[i].start < ej && all[j].start < ei) {
                assert_true((mi & mj) == 0);
            }
        }
    }

    free(all);
    cerebro_sqlite_close(db);
}


/* A writer holding the lock: others answer "unavailable" fast, reads go
 * on (WAL), and everything works again once it lets go. */
static void
test_busy_is_unavailable(void **state)
{
    int                     n, repeated, created, opted;
    char                    path[256];
    double                  ms;
    int64_t                 now;
    sqlite3                *conn;
    struct timespec         t0;
    cerebro_answer_t        a;
    cerebro_sqlite_t       *h1, *h2;
    cerebro_guest_t         g;
    cerebro_reservation_t   r, list[4];
    cerebro_table_rec_t     tables[CEREBRO_MAX_TABLES];
    cerebro_store_error_t   e;
    cerebro_booking_req_t   q;
    cerebro_outbox_msg_t    m;

    (void) state;

    new_path(path, sizeof(path), "busy");
    h1 = open_db(path, tiny, tiny_json);
    h2 = open_db(path, tiny, tiny_json);
    now = local_utc(tiny, 2026, 3, 2, 10, 0);

    q = breq(2026, 3, 10, 20, 0, 2, "Antes", PHONE);
    assert_int_equal(cerebro_sqlite_booking_create(h2, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_OK);

    conn = conn_of(h1);
    assert_int_equal(sqlite3_exec(conn, "BEGIN IMMEDIATE", NULL, NULL,
                                  NULL), SQLITE_OK);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    q.client_name = "Durante";
    assert_int_equal(cerebro_sqlite_booking_create(h2, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_UNAVAILABLE);
    ms = ms_since(&t0);
    print_message("busy booking answered in %.1f ms\n", ms);
    assert_true(ms < 500.0);
    assert_non_null(strstr(e.message, "busy"));
    /* busy: worth trying again, nothing written */
    assert_int_equal(e.busy, 1);
    assert_int_equal(e.broken, 0);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(cerebro_sqlite_guest_upsert(h2, PHONE, "Ana", NULL,
                                                 now, &g, &created, &e),
                     CEREBRO_STORE_UNAVAILABLE);
    assert_int_equal(cerebro_sqlite_opt_out_set(h2, PHONE, 1, now, &e),
                     CEREBRO_STORE_UNAVAILABLE);
    memset(&m, 0, sizeof(m));
    snprintf(m.to, sizeof(m.to), "whatsapp:%s", PHONE);
    snprintf(m.body, sizeof(m.body), "Hola");
    assert_int_equal(cerebro_sqlite_outbox_enqueue(h2, &m, now, NULL, NULL,
                                                   &e),
                     CEREBRO_STORE_UNAVAILABLE);
    assert_true(ms_since(&t0) < 1500.0);

    /* readers do not wait for the writer */
    assert_int_equal(cerebro_sqlite_bookings_day(h2,
                         &(cerebro_date_t) { 2026, 3, 10 }, 0, list, 4, &n,
                         NULL, &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(cerebro_sqlite_tables(h2, tables, CEREBRO_MAX_TABLES,
                                           &n, &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 3);
    assert_int_equal(cerebro_sqlite_opt_out_get(h2, PHONE, &opted, &e),
                     CEREBRO_STORE_OK);

    assert_int_equal(sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL),
                     SQLITE_OK);

    assert_int_equal(cerebro_sqlite_booking_create(h2, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_bookings_day(h1,
                         &(cerebro_date_t) { 2026, 3, 10 }, 0, list, 4, &n,
                         NULL, &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 2);

    cerebro_sqlite_close(h1);
    cerebro_sqlite_close(h2);
}


static void
test_guests(void **state)
{
    int                     created, i;
    char                    path[256], big[400];
    int64_t                 now;
    cerebro_guest_t         g;
    cerebro_sqlite_t       *db;
    cerebro_store_error_t   e;

    (void) state;

    new_path(path, sizeof(path), "guests");
    db = open_db(path, tiny, tiny_json);
    now = 1767000000;

    assert_int_equal(cerebro_sqlite_guest_get(db, PHONE, &g, &e),
                     CEREBRO_STORE_NOT_FOUND);

    assert_int_equal(cerebro_sqlite_guest_upsert(db, PHONE, "Ana", NULL,
                                                 now, &g, &created, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(created, 1);
    assert_string_equal(g.name, "Ana");
    assert_string_equal(g.phone, PHONE);
    assert_string_equal(g.email, "");
    assert_true(atoi(g.id) > 0);

    /* known name kept, missing email filled */
    assert_int_equal(cerebro_sqlite_guest_upsert(db, PHONE, "Otra",
                                                 "ana@example.com", now, &g,
                                                 &created, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(created, 0);
    assert_string_equal(g.name, "Ana");
    assert_string_equal(g.email, "ana@example.com");

    /* a guest first known by phone only gets a name later */
    assert_int_equal(cerebro_sqlite_guest_upsert(db, PHONE2, NULL, NULL,
                                                 now, &g, &created, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(created, 1);
    assert_string_equal(g.name, "");
    assert_int_equal(cerebro_sqlite_guest_upsert(db, PHONE2, "Pedro", NULL,
                                                 now, &g, NULL, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(g.name, "Pedro");

    assert_int_equal(cerebro_sqlite_guest_add_preference(db, PHONE,
                         "sin gluten", now, &g, &e), CEREBRO_STORE_OK);
    assert_string_equal(g.preferences, "sin gluten");
    assert_int_equal(cerebro_sqlite_guest_add_preference(db, PHONE,
                         "SIN GLUTEN", now, &g, &e), CEREBRO_STORE_OK);
    assert_string_equal(g.preferences, "sin gluten");
    assert_int_equal(cerebro_sqlite_guest_add_preference(db, PHONE,
                         "terraza", now, &g, &e), CEREBRO_STORE_OK);
    assert_string_equal(g.preferences, "sin gluten; terraza");
    assert_int_equal(cerebro_sqlite_guest_get(db, PHONE, &g, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(g.preferences, "sin gluten; terraza");

    assert_int_equal(cerebro_sqlite_guest_add_preference(db, "+34699999999",
                         "terraza", now, &g, &e), CEREBRO_STORE_NOT_FOUND);
    assert_int_equal(cerebro_sqlite_guest_add_preference(db, PHONE,
                         "a; b", now, &g, &e), CEREBRO_STORE_INVALID);
    assert_int_equal(cerebro_sqlite_guest_add_preference(db, PHONE, "",
                                                         now, &g, &e),
                     CEREBRO_STORE_INVALID);

    /* the list is bounded: a preference that does not fit is refused */
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(cerebro_sqlite_guest_add_preference(db, PHONE, big,
                                                         now, &g, &e),
                     CEREBRO_STORE_OK);
    big[0] = 'y';
    assert_int_equal(cerebro_sqlite_guest_add_preference(db, PHONE, big,
                                                         now, &g, &e),
                     CEREBRO_STORE_INVALID);
    assert_int_equal(cerebro_sqlite_guest_get(db, PHONE, &g, &e),
                     CEREBRO_STORE_OK);
    assert_null(strchr(g.preferences, 'y'));

    /* the same guest, typed otherwise: found, not made again */
    assert_int_equal(cerebro_sqlite_guest_upsert(db, "(+34) 600.111-222",
                                                 "X", NULL, now, &g,
                                                 &created, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(created, 0);
    assert_string_equal(g.phone, PHONE);
    assert_int_equal(cerebro_sqlite_guest_get(db, "600 11 12 22", &g, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(g.phone, PHONE);
    assert_int_equal(cerebro_sqlite_guest_upsert(db, "+34 600", "X",
                                                 NULL, now, &g, &created,
                                                 &e), CEREBRO_STORE_INVALID);

    for (i = 0; i < (int) sizeof(big) - 1; i++) {
        big[i] = 'n';
    }
    assert_int_equal(cerebro_sqlite_guest_upsert(db, PHONE, big, NULL, now,
                                                 &g, &created, &e),
                     CEREBRO_STORE_INVALID);

    cerebro_sqlite_close(db);
}


static void
test_call_log(void **state)
{
    int                     inserted;
    char                    path[256];
    cerebro_sqlite_t       *db;
    cerebro_call_log_t      c, got;
    cerebro_store_error_t   e;

    (void) state;

    new_path(path, sizeof(path), "calls");
    db = open_db(path, tiny, tiny_json);

    memset(&c, 0, sizeof(c));
    snprintf(c.call_id, sizeof(c.call_id), "call-abc");
    snprintf(c.caller, sizeof(c.caller), "600 111 222");
    c.started = 1767000000;
    c.ended = 1767000095;
    c.duration_s = 95;
    snprintf(c.ended_reason, sizeof(c.ended_reason), "customer-ended-call");
    snprintf(c.summary, sizeof(c.summary), "Reserva para 4 el viernes.");
    c.cost = 0.1234;
    c.booked = 1;

    assert_int_equal(cerebro_sqlite_call_log_insert(db, &c, c.ended,
                                                    &inserted, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(inserted, 1);

    /* the report delivered twice: the first one stays */
    snprintf(c.summary, sizeof(c.summary), "otra");
    c.booked = 0;
    assert_int_equal(cerebro_sqlite_call_log_insert(db, &c, c.ended,
                                                    &inserted, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(inserted, 0);

    assert_int_equal(cerebro_sqlite_call_log_get(db, "call-abc", &got, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(got.summary, "Reserva para 4 el viernes.");
    assert_string_equal(got.caller, PHONE);
    assert_string_equal(got.ended_reason, "customer-ended-call");
    assert_int_equal(got.duration_s, 95);
    assert_int_equal(got.started, 1767000000);
    assert_int_equal(got.ended, 1767000095);
    assert_true(got.cost > 0.1233 && got.cost < 0.1235);
    assert_int_equal(got.booked, 1);
    assert_int_equal(got.changed, 0);
    assert_int_equal(got.cancelled, 0);

    assert_int_equal(cerebro_sqlite_call_log_get(db, "call-zzz", &got, &e),
                     CEREBRO_STORE_NOT_FOUND);
    c.call_id[0] = '\0';
    assert_int_equal(cerebro_sqlite_call_log_insert(db, &c, 0, &inserted,
                                                    &e),
                     CEREBRO_STORE_INVALID);

    cerebro_sqlite_close(db);
}


static void
test_outbox(void **state)
{
    int                     dup, n, i;
    char                    path[256];
    int64_t                 now, id1, id2, id3, id4;
    cerebro_sqlite_t       *db;
    cerebro_outbox_msg_t    m, got, *list;
    cerebro_store_error_t   e;

    (void) state;

    new_path(path, sizeof(path), "outbox");
    db = open_db(path, tiny, tiny_json);
    now = 1767000000;
    list = calloc(8, sizeof(*list));
    assert_non_null(list);

    memset(&m, 0, sizeof(m));
    snprintf(m.to, sizeof(m.to), "whatsapp:%s", PHONE);
    snprintf(m.template_sid, sizeof(m.template_sid), "HX0123456789abcdef");
    snprintf(m.variables, sizeof(m.variables),
             "{\"1\":\"María\",\"2\":\"viernes 6 de marzo\"}");
    snprintf(m.kind, sizeof(m.kind), CEREBRO_OUTBOX_KIND_CONFIRMATION);
    snprintf(m.reservation_id, sizeof(m.reservation_id), "17");
    snprintf(m.dedupe_key, sizeof(m.dedupe_key), "confirmation:17");

    assert_int_equal(cerebro_sqlite_outbox_enqueue(db, &m, now, &got, &dup,
                                                   &e), CEREBRO_STORE_OK);
    assert_int_equal(dup, 0);
    id1 = got.id;
    assert_true(id1 > 0);
    assert_int_equal(got.status, CEREBRO_OUTBOX_PENDING);
    assert_int_equal(got.next_attempt, now);
    assert_int_equal(got.attempts, 0);
    assert_string_equal(got.variables, m.variables);
    assert_string_equal(got.kind, "confirmation");

    /* the same key again (a retried webhook): nothing new */
    assert_int_equal(cerebro_sqlite_outbox_enqueue(db, &m, now + 5, &got,
                                                   &dup, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(dup, 1);
    assert_int_equal(got.id, id1);

    /* a reminder for later, and two replies without a key */
    snprintf(m.dedupe_key, sizeof(m.dedupe_key), "reminder:17");
    snprintf(m.kind, sizeof(m.kind), CEREBRO_OUTBOX_KIND_REMINDER);
    m.next_attempt = now + 3600;
    assert_int_equal(cerebro_sqlite_outbox_enqueue(db, &m, now + 1, &got,
                                                   &dup, &e),
                     CEREBRO_STORE_OK);
    id2 = got.id;

    memset(&m, 0, sizeof(m));
    snprintf(m.to, sizeof(m.to), "whatsapp:%s", PHONE2);
    snprintf(m.body, sizeof(m.body), "¡Hola! ¿En qué le ayudo?");
    snprintf(m.kind, sizeof(m.kind), CEREBRO_OUTBOX_KIND_REPLY);
    assert_int_equal(cerebro_sqlite_outbox_enqueue(db, &m, now + 2, &got,
                                                   &dup, &e),
                     CEREBRO_STORE_OK);
    id3 = got.id;
    assert_int_equal(cerebro_sqlite_outbox_enqueue(db, &m, now + 3, &got,
                                                   &dup, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(dup, 0);
    id4 = got.id;
    assert_true(id3 != id4);

    assert_int_equal(cerebro_sqlite_outbox_due(db, now + 10, list, 8, &n,
                                               &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 3);
    assert_int_equal(list[0].id, id1);
    assert_int_equal(list[1].id, id3);
    assert_int_equal(list[2].id, id4);
    assert_int_equal(cerebro_sqlite_outbox_due(db, now + 10, list, 2, &n,
                                               &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(cerebro_sqlite_outbox_due(db, now + 3600, list, 8, &n,
                                               &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 4);
    assert_int_equal(list[3].id, id2);

    /* sent once, and only once */
    assert_int_equal(cerebro_sqlite_outbox_mark_sent(db, id1, "SM0001",
                                                     now + 20, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_outbox_mark_sent(db, id1, "SM0002",
                                                     now + 21, &e),
                     CEREBRO_STORE_CONFLICT);
    assert_int_equal(cerebro_sqlite_outbox_get(db, id1, &got, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(got.status, CEREBRO_OUTBOX_SENT);
    assert_string_equal(got.twilio_sid, "SM0001");
    assert_int_equal(got.attempts, 1);
    assert_int_equal(cerebro_sqlite_outbox_mark_sent(db, id3, "", now, &e),
                     CEREBRO_STORE_INVALID);

    /* a retry later, then a failure for good */
    assert_int_equal(cerebro_sqlite_outbox_retry(db, id3, "HTTP 503",
                                                 now + 80, now + 20, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_outbox_get(db, id3, &got, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(got.attempts, 1);
    assert_int_equal(got.next_attempt, now + 80);
    assert_string_equal(got.last_error, "HTTP 503");
    assert_int_equal(got.status, CEREBRO_OUTBOX_PENDING);

    assert_int_equal(cerebro_sqlite_outbox_due(db, now + 30, list, 8, &n,
                                               &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, id4);
    assert_int_equal(cerebro_sqlite_outbox_due(db, now + 80, list, 8, &n,
                                               &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 2);

    assert_int_equal(cerebro_sqlite_outbox_mark_failed(db, id3,
                         "63016: outside the 24 h window", now + 90, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_outbox_get(db, id3, &got, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(got.status, CEREBRO_OUTBOX_FAILED);
    assert_int_equal(got.attempts, 2);
    assert_string_equal(got.last_error, "63016: outside the 24 h window");
    assert_int_equal(cerebro_sqlite_outbox_retry(db, id3, "again",
                                                 now + 100, now + 95, &e),
                     CEREBRO_STORE_CONFLICT);

    assert_int_equal(cerebro_sqlite_outbox_mark_sent(db, 9999, "SM9",
                                                     now, &e),
                     CEREBRO_STORE_NOT_FOUND);
    assert_int_equal(cerebro_sqlite_outbox_get(db, 9999, &got, &e),
                     CEREBRO_STORE_NOT_FOUND);

    /* the staff page: newest first, every status */
    assert_int_equal(cerebro_sqlite_outbox_recent(db, list, 8, &n, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 4);
    assert_int_equal(list[0].id, id4);
    assert_int_equal(list[3].id, id1);

    for (i = 1; i < n; i++) {
        assert_true(list[i - 1].created >= list[i].created);
    }

    /* refused: no recipient, nothing to send, variables not an object */
    memset(&m, 0, sizeof(m));
    snprintf(m.body, sizeof(m.body), "x");
    assert_int_equal(cerebro_sqlite_outbox_enqueue(db, &m, now, NULL, NULL,
                                                   &e),
                     CEREBRO_STORE_INVALID);
    snprintf(m.to, sizeof(m.to), "whatsapp:%s", PHONE);
    m.body[0] = '\0';
    assert_int_equal(cerebro_sqlite_outbox_enqueue(db, &m, now, NULL, NULL,
                                                   &e),
                     CEREBRO_STORE_INVALID);
    snprintf(m.template_sid, sizeof(m.template_sid), "HX01");
    snprintf(m.variables, sizeof(m.variables), "[1,2]");
    assert_int_equal(cerebro_sqlite_outbox_enqueue(db, &m, now, NULL, NULL,
                                                   &e),
                     CEREBRO_STORE_INVALID);
    snprintf(m.variables, sizeof(m.variables), "{\"1\":");
    assert_int_equal(cerebro_sqlite_outbox_enqueue(db, &m, now, NULL, NULL,
                                                   &e),
                     CEREBRO_STORE_INVALID);

    free(list);
    cerebro_sqlite_close(db);
}


static void
test_opt_out(void **state)
{
    int                     v;
    char                    path[256];
    cerebro_sqlite_t       *db;
    cerebro_store_error_t   e;

    (void) state;

    new_path(path, sizeof(path), "optout");
    db = open_db(path, tiny, tiny_json);

    v = -1;
    assert_int_equal(cerebro_sqlite_opt_out_get(db, PHONE, &v, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(v, 0);
    assert_int_equal(cerebro_sqlite_opt_out_set(db, PHONE, 1, 100, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_opt_out_get(db, PHONE, &v, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(v, 1);
    assert_int_equal(cerebro_sqlite_opt_out_get(db, PHONE2, &v, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(v, 0);
    assert_int_equal(cerebro_sqlite_opt_out_set(db, PHONE, 0, 200, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_opt_out_get(db, PHONE, &v, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(v, 0);
    assert_int_equal(cerebro_sqlite_opt_out_set(db, "hola", 1, 200, &e),
                     CEREBRO_STORE_INVALID);

    cerebro_sqlite_close(db);
}


/* Everything written survives closing and opening the file again. */
static void
test_restart(void **state)
{
    int                     repeated, n, v, dup;
    char                    path[256], id[CEREBRO_REC_ID_LEN];
    int64_t                 now;
    cerebro_answer_t        a;
    cerebro_guest_t         g;
    cerebro_sqlite_t       *db;
    cerebro_outbox_msg_t    m, got;
    cerebro_reservation_t   r, list[4];
    cerebro_store_error_t   e;
    cerebro_booking_req_t   q;
    cerebro_call_log_t      c;

    (void) state;

    new_path(path, sizeof(path), "restart");
    db = open_db(path, tiny, tiny_json);
    now = local_utc(tiny, 2026, 3, 2, 10, 0);

    q = breq(2026, 3, 12, 14, 0, 3, "Reinicio", PHONE);
    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_OK);
    snprintf(id, sizeof(id), "%s", r.id);
    assert_int_equal(cerebro_sqlite_guest_upsert(db, PHONE, "Reinicio",
                                                 NULL, now, &g, NULL, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_opt_out_set(db, PHONE2, 1, now, &e),
                     CEREBRO_STORE_OK);
    memset(&m, 0, sizeof(m));
    snprintf(m.to, sizeof(m.to), "whatsapp:%s", PHONE);
    snprintf(m.body, sizeof(m.body), "Confirmada");
    snprintf(m.dedupe_key, sizeof(m.dedupe_key), "confirmation:%s", id);
    assert_int_equal(cerebro_sqlite_outbox_enqueue(db, &m, now, &got, NULL,
                                                   &e), CEREBRO_STORE_OK);
    memset(&c, 0, sizeof(c));
    snprintf(c.call_id, sizeof(c.call_id), "call-restart");
    assert_int_equal(cerebro_sqlite_call_log_insert(db, &c, now, &v, &e),
                     CEREBRO_STORE_OK);
    cerebro_sqlite_close(db);

    db = open_db(path, tiny, tiny_json);
    assert_int_equal(cerebro_sqlite_booking_get(db, id, &r, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(r.client_name, "Reinicio");
    assert_int_equal(r.pax, 3);
    assert_int_equal(cerebro_sqlite_guest_get(db, PHONE, &g, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_opt_out_get(db, PHONE2, &v, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(v, 1);
    assert_int_equal(cerebro_sqlite_outbox_enqueue(db, &m, now, &got, &dup,
                                                   &e), CEREBRO_STORE_OK);
    assert_int_equal(dup, 1);
    assert_int_equal(cerebro_sqlite_call_log_insert(db, &c, now, &v, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(v, 0);

    /* and the new booking does not take the table already held */
    q.client_name = "Después";
    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, NULL, list, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_OK);
    assert_string_not_equal(list[0].table, r.table);
    assert_int_equal(cerebro_sqlite_bookings_day(db,
                         &(cerebro_date_t) { 2026, 3, 12 }, 0, list, 4, &n,
                         NULL, &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 2);

    cerebro_sqlite_close(db);
}


/*
 * Version 1 of the schema as it shipped: the file an existing deployment
 * holds.  Kept here as it was, whatever the migrations become.
 */
static const char  *v1_schema =
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
    "  members TEXT NOT NULL,"
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
    "  dedupe_key TEXT UNIQUE);"
    "CREATE INDEX outbox_due ON outbox (status, next_attempt);"
    "CREATE INDEX outbox_created ON outbox (created);"
    "CREATE TABLE opt_out ("
    "  phone TEXT PRIMARY KEY,"
    "  opted_out INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL);"
    /* what a worker of version 1 seeded and wrote */
    "INSERT INTO meta VALUES ('rules', '{\"old\":1}'),"
    " ('seeded_from', 'Antiguo');"
    "INSERT INTO tables (name, capacity_min, capacity_max, location)"
    " VALUES ('Vieja', 1, 6, 'sala');"
    "INSERT INTO faq (topic, question, answer)"
    " VALUES ('parking', '¿Aparcamiento?', 'En la calle.');"
    "INSERT INTO reservations (id, client_name, client_phone, start, pax,"
    " table_name, status, created, updated)"
    " VALUES (7, 'Antigua', '+34600111222', 1772827200, 2, 'Vieja',"
    " 'confirmed', 1767000000, 1767000000);"
    "INSERT INTO guests (name, phone, created, updated)"
    " VALUES ('Antigua', '+34600111222', 1767000000, 1767000000);"
    "INSERT INTO call_log (call_id, caller, created)"
    " VALUES ('call-old', '+34600111222', 1767000000);"
    "INSERT INTO outbox (id, recipient, body, status, attempts, twilio_sid,"
    " created, updated, kind, reservation_id, dedupe_key)"
    " VALUES (3, 'whatsapp:+34600111222', 'Confirmada', 'sent', 1,"
    " 'SMold', 1767000000, 1767000000, 'confirmation', '7',"
    " 'confirm:7');"
    "INSERT INTO opt_out VALUES ('+34600333444', 1, 1767000000);"
    "PRAGMA user_version = 1;";

/* what the workers of version 1 created at every start */
static const char  *v1_worker_schema =
    "CREATE TABLE IF NOT EXISTS outbox_delivery ("
    "  twilio_sid TEXT PRIMARY KEY,"
    "  outbox_id INTEGER NOT NULL DEFAULT 0,"
    "  status TEXT NOT NULL,"
    "  rank INTEGER NOT NULL,"
    "  error_code TEXT NOT NULL DEFAULT '',"
    "  updated INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS outbox_sid ON outbox (twilio_sid);"
    "INSERT INTO outbox_delivery VALUES ('SMold', 3, 'read', 4, '',"
    " 1767000100);";


/* A file an existing deployment of version 1 holds; sql adds to it. */
static void
old_file(char *path, size_t size, const char *name, const char *sql)
{
    char      d[128];
    sqlite3  *conn;

    snprintf(d, sizeof(d), "%s/%d", dir, ++nfile);
    assert_int_equal(mkdir(d, 0755), 0);
    snprintf(path, size, "%s/%s.db", d, name);

    conn = raw_open(path);
    raw_exec(conn, "PRAGMA journal_mode = WAL");
    raw_exec(conn, v1_schema);

    if (sql != NULL) {
        raw_exec(conn, sql);
    }

    assert_int_equal(sqlite3_close(conn), SQLITE_OK);
}


static void
test_upgrade_from_v1(void **state)
{
    int                     n, v, twice;
    char                    path[256], rules[64];
    size_t                  len;
    sqlite3                *conn;
    cerebro_guest_t         g;
    cerebro_sqlite_t       *db;
    cerebro_delivery_t      d;
    cerebro_call_log_t      c;
    cerebro_table_rec_t     tables[CEREBRO_MAX_TABLES];
    cerebro_outbox_msg_t    m;
    cerebro_reservation_t   r;
    cerebro_store_error_t   e;

    (void) state;

    for (twice = 0; twice < 2; twice++) {
        /* without, then with what the old workers made at start */
        old_file(path, sizeof(path), "v1", twice ? v1_worker_schema : NULL);

        db = open_db(path, tiny, tiny_json);
        assert_int_equal(cerebro_sqlite_schema_version(db),
                         CEREBRO_SQLITE_SCHEMA_VERSION);
        assert_int_equal(CEREBRO_SQLITE_SCHEMA_VERSION, 5);

        conn = conn_of(db);
        assert_int_equal(sql_int(conn, "SELECT count(*) FROM sqlite_master"
                                       " WHERE type = 'table'"
                                       " AND name = 'outbox_delivery'"), 1);
        assert_int_equal(sql_int(conn, "SELECT count(*) FROM sqlite_master"
                                       " WHERE type = 'index'"
                                       " AND name = 'outbox_sid'"), 1);
        assert_int_equal(sql_int(conn, "SELECT count(*) FROM replay"), 0);

        /* every row kept, nothing seeded again from the new model */
        assert_int_equal(cerebro_sqlite_tables(db, tables,
                                               CEREBRO_MAX_TABLES, &n, &e),
                         CEREBRO_STORE_OK);
        assert_int_equal(n, 1);
        assert_string_equal(tables[0].name, "Vieja");
        assert_int_equal(cerebro_sqlite_rules(db, rules, sizeof(rules), &len,
                                              &e), CEREBRO_STORE_OK);
        assert_string_equal(rules, "{\"old\":1}");
        assert_int_equal(cerebro_sqlite_booking_get(db, "7", &r, &e),
                         CEREBRO_STORE_OK);
        assert_string_equal(r.client_name, "Antigua");
        assert_int_equal(r.start, 1772827200);
        assert_int_equal(cerebro_sqlite_guest_get(db, PHONE, &g, &e),
                         CEREBRO_STORE_OK);
        assert_int_equal(cerebro_sqlite_call_log_get(db, "call-old", &c, &e),
                         CEREBRO_STORE_OK);
        assert_int_equal(cerebro_sqlite_opt_out_get(db, PHONE2, &v, &e),
                         CEREBRO_STORE_OK);
        assert_int_equal(v, 1);
        assert_int_equal(cerebro_sqlite_outbox_by_sid(db, "SMold", &m, &e),
                         CEREBRO_STORE_OK);
        assert_int_equal(m.id, 3);
        assert_string_equal(m.dedupe_key, "confirm:7");

        if (twice) {
            /* the old workers' delivery rows are kept */
            assert_int_equal(cerebro_sqlite_delivery_get(db, "SMold", &d,
                                                         &e),
                             CEREBRO_STORE_OK);
            assert_string_equal(d.status, "read");
            assert_int_equal(d.updated, 1767000100);

        } else {
            assert_int_equal(cerebro_sqlite_delivery_get(db, "SMold", &d,
                                                         &e),
                             CEREBRO_STORE_NOT_FOUND);
        }

        /* the new table takes the outbox's writes */
        assert_int_equal(cerebro_sqlite_delivery_record(db, "SMold",
                             "failed", 5, "63016", 1767000200, &e),
                         CEREBRO_STORE_OK);
        assert_int_equal(cerebro_sqlite_delivery_get(db, "SMold", &d, &e),
                         CEREBRO_STORE_OK);
        assert_string_equal(d.status, "failed");
        assert_string_equal(d.error_code, "63016");
        assert_int_equal(sql_int(conn, "SELECT outbox_id FROM"
                                       " outbox_delivery"
                                       " WHERE twilio_sid = 'SMold'"), 3);
        cerebro_sqlite_close(db);

        /* and opening it again changes nothing */
        db = open_db(path, tiny, tiny_json);
        assert_int_equal(cerebro_sqlite_schema_version(db),
                         CEREBRO_SQLITE_SCHEMA_VERSION);
        assert_int_equal(cerebro_sqlite_delivery_get(db, "SMold", &d, &e),
                         CEREBRO_STORE_OK);
        assert_string_equal(d.status, "failed");
        cerebro_sqlite_close(db);
    }
}


/*
 * Numbers as staff typed them in an older file: every one in E.164 after
 * the upgrade, so that a search by +34600111222 finds "600 11 12 22";
 * two guests (two opt-outs) that are one number become one, keeping what
 * each knew.
 */
static void
test_upgrade_normalises_phones(void **state)
{
    int                     n, v;
    char                    path[256];
    sqlite3                *conn;
    cerebro_guest_t         g;
    cerebro_sqlite_t       *db;
    cerebro_call_log_t      c;
    cerebro_reservation_t   list[4];
    cerebro_store_error_t   e;

    (void) state;

    old_file(path, sizeof(path), "v1-phones",
             "INSERT INTO reservations (id, client_name, client_phone, start,"
             " pax, table_name, status, created, updated)"
             " VALUES (8, 'Tecleada', '600 11 12 22', 1772913600, 2,"
             " 'Vieja', 'confirmed', 1767000000, 1767000000);"
             "INSERT INTO guests (name, phone, email, preferences, created,"
             " updated) VALUES ('', '600 11 12 22', 'ana@example.com',"
             " 'sin gluten', 1767000000, 1767000300),"
             " ('Luis', '(+34) 600 555 666', '', '', 1767000000,"
             " 1767000000),"
             " ('Nadie', 'sin número', '', '', 1767000000, 1767000000);"
             "INSERT INTO opt_out VALUES ('600.333.444', 0, 1767000500);"
             "INSERT INTO call_log (call_id, caller, created)"
             " VALUES ('call-typed', '600-111-222', 1767000000);");

    db = open_db(path, tiny, tiny_json);
    assert_int_equal(cerebro_sqlite_schema_version(db),
                     CEREBRO_SQLITE_SCHEMA_VERSION);
    conn = conn_of(db);

    /* the two bookings of the guest, whichever way they were written */
    assert_int_equal(cerebro_sqlite_bookings_by_phone(db, PHONE, 0, 0, list,
                                                      4, &n, NULL, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[1].client_name, "Tecleada");
    assert_string_equal(list[1].client_phone, PHONE);

    /* one guest: the old name, the typed row's email and preferences */
    assert_int_equal(sql_int(conn, "SELECT count(*) FROM guests"
                                   " WHERE phone = '+34600111222'"), 1);
    assert_int_equal(cerebro_sqlite_guest_get(db, "600 11 12 22", &g, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(g.name, "Antigua");
    assert_string_equal(g.email, "ana@example.com");
    assert_string_equal(g.preferences, "sin gluten");
    assert_int_equal(cerebro_sqlite_guest_get(db, "+34600555666", &g, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(g.name, "Luis");

    /* what is no number stays as it was, for staff to mend */
    assert_int_equal(sql_int(conn, "SELECT count(*) FROM guests"
                                   " WHERE phone = 'sin número'"), 1);
    assert_int_equal(sql_int(conn, "SELECT count(*) FROM guests"), 3);

    /* one opt-out, the newer word */
    assert_int_equal(sql_int(conn, "SELECT count(*) FROM opt_out"), 1);
    assert_int_equal(cerebro_sqlite_opt_out_get(db, PHONE2, &v, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(v, 0);

    assert_int_equal(cerebro_sqlite_call_log_get(db, "call-typed", &c, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(c.caller, PHONE);

    cerebro_sqlite_close(db);
}


/* A migration failing half-way leaves the file as it found it. */
static void
test_upgrade_rolled_back(void **state)
{
    char                    path[256];
    sqlite3                *conn;
    cerebro_sqlite_t       *db;
    cerebro_store_error_t   e;

    (void) state;

    /* a table where the upgrade's index goes: the table is made first */
    old_file(path, sizeof(path), "v1-blocked",
             "CREATE TABLE outbox_sid (x);");

    memset(&e, 0, sizeof(e));
    db = cerebro_sqlite_open(path, tiny, tiny_json, strlen(tiny_json), &e);
    assert_null(db);
    assert_int_equal(e.kind, CEREBRO_STORE_UNAVAILABLE);
    assert_non_null(strstr(e.message, "1 -> 2"));

    conn = raw_open(path);
    assert_int_equal(sql_int(conn, "PRAGMA user_version"), 1);
    assert_int_equal(sql_int(conn, "SELECT count(*) FROM sqlite_master"
                                   " WHERE name = 'outbox_delivery'"), 0);
    assert_int_equal(sql_int(conn, "SELECT count(*) FROM reservations"), 1);
    assert_int_equal(sql_int(conn, "SELECT count(*) FROM outbox"), 1);

    /* once the obstacle is gone, the same file upgrades */
    raw_exec(conn, "DROP TABLE outbox_sid");
    assert_int_equal(sqlite3_close(conn), SQLITE_OK);
    db = open_db(path, tiny, tiny_json);
    assert_int_equal(cerebro_sqlite_schema_version(db),
                     CEREBRO_SQLITE_SCHEMA_VERSION);
    cerebro_sqlite_close(db);

    /* a new file whose seeding fails keeps no table of the schema */
    new_path(path, sizeof(path), "v0-blocked");
    db = open_db(path, tiny, tiny_json);
    cerebro_sqlite_close(db);
    unlink(path);
    conn = raw_open(path);
    raw_exec(conn, "CREATE TABLE faq (x)");
    assert_int_equal(sqlite3_close(conn), SQLITE_OK);

    db = cerebro_sqlite_open(path, tiny, tiny_json, strlen(tiny_json), &e);
    assert_null(db);
    assert_non_null(strstr(e.message, "0 -> 1"));

    conn = raw_open(path);
    assert_int_equal(sql_int(conn, "PRAGMA user_version"), 0);
    assert_int_equal(sql_int(conn, "SELECT count(*) FROM sqlite_master"
                                   " WHERE name IN ('meta', 'tables',"
                                   " 'reservations', 'guests')"), 0);
    assert_int_equal(sqlite3_close(conn), SQLITE_OK);
}


/*
 * A tool call's answer kept by its key: the first answer stays, a
 * restart keeps it, it expires, and the expired keys drain by themselves.
 */
static void
test_replay(void **state)
{
    int                     failed, inserted, i;
    char                    path[256], key[64], answer[64];
    size_t                  len;
    sqlite3                *conn;
    cerebro_sqlite_t       *db;
    cerebro_store_error_t   e;

    (void) state;

    new_path(path, sizeof(path), "replay");
    db = open_db(path, tiny, tiny_json);

    assert_int_equal(cerebro_sqlite_replay_get(db, "k1", 1000, answer,
                                               sizeof(answer), &len, &failed,
                                               &e),
                     CEREBRO_STORE_NOT_FOUND);

    assert_int_equal(cerebro_sqlite_replay_put(db, "k1", 0, "Reservado.", 10,
                                               1000, 1000 + 86400, &inserted,
                                               &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(inserted, 1);

    /* a second answer for the same key does not replace the first */
    assert_int_equal(cerebro_sqlite_replay_put(db, "k1", 1, "Otra.", 5,
                                               1001, 1001 + 86400, &inserted,
                                               &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(inserted, 0);

    assert_int_equal(cerebro_sqlite_replay_get(db, "k1", 2000, answer,
                                               sizeof(answer), &len, &failed,
                                               &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(answer, "Reservado.");
    assert_int_equal(len, 10);
    assert_int_equal(failed, 0);

    /* cut to the caller's buffer, NUL-terminated */
    assert_int_equal(cerebro_sqlite_replay_get(db, "k1", 2000, answer, 5,
                                               &len, &failed, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(answer, "Rese");

    assert_int_equal(cerebro_sqlite_replay_put(db, "k2", 1, "Error.", 6,
                                               1000, 1500, &inserted, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_replay_get(db, "k2", 1499, answer,
                                               sizeof(answer), &len, &failed,
                                               &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(failed, 1);

    /* expired: not answered, even before it is dropped */
    assert_int_equal(cerebro_sqlite_replay_get(db, "k2", 1500, answer,
                                               sizeof(answer), &len, &failed,
                                               &e),
                     CEREBRO_STORE_NOT_FOUND);

    cerebro_sqlite_close(db);

    /* a restart keeps what did not expire */
    db = open_db(path, tiny, tiny_json);
    assert_int_equal(cerebro_sqlite_replay_get(db, "k1", 3000, answer,
                                               sizeof(answer), &len, &failed,
                                               &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(answer, "Reservado.");

    /* many keys expire together; each put drops some, never the live */
    for (i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "old-%d", i);
        assert_int_equal(cerebro_sqlite_replay_put(db, key, 0, "x", 1, 1000,
                                                   1600, &inserted, &e),
                         CEREBRO_STORE_OK);
    }

    conn = conn_of(db);
    assert_int_equal(sql_int(conn, "SELECT count(*) FROM replay"), 102);

    for (i = 0; i < 10; i++) {
        snprintf(key, sizeof(key), "new-%d", i);
        assert_int_equal(cerebro_sqlite_replay_put(db, key, 0, "y", 1, 5000,
                                                   5000 + 86400, &inserted,
                                                   &e),
                         CEREBRO_STORE_OK);
    }

    assert_int_equal(sql_int(conn, "SELECT count(*) FROM replay"
                                   " WHERE expires <= 5000"), 0);
    assert_int_equal(sql_int(conn, "SELECT count(*) FROM replay"), 11);
    assert_int_equal(cerebro_sqlite_replay_get(db, "k1", 5000, answer,
                                               sizeof(answer), &len, &failed,
                                               &e),
                     CEREBRO_STORE_OK);

    /* too long, or no key */
    assert_int_equal(cerebro_sqlite_replay_put(db, "k3", 0, "x",
                                               CEREBRO_SQLITE_REPLAY_LEN, 5000,
                                               9000, &inserted, &e),
                     CEREBRO_STORE_INVALID);
    assert_int_equal(cerebro_sqlite_replay_put(db, "", 0, "x", 1, 5000, 9000,
                                               &inserted, &e),
                     CEREBRO_STORE_INVALID);

    cerebro_sqlite_close(db);
}


/* Refuses preparing statements that read table.column (data[0], [1]). */
static int
deny_read(void *data, int action, const char *table, const char *column,
    const char *schema, const char *trigger)
{
    const char  **what = data;

    (void) schema;
    (void) trigger;

    if (action == SQLITE_READ && table != NULL && column != NULL
        && strcmp(table, what[0]) == 0 && strcmp(column, what[1]) == 0)
    {
        return SQLITE_DENY;
    }

    return SQLITE_OK;
}


/*
 * The statement after a write failing: the write is undone, and the
 * connection holds no transaction (another can write, this one goes on).
 */
static void
test_failed_write_rolls_back(void **state)
{
    int                     repeated, created, n;
    char                    path[256];
    int64_t                 now;
    sqlite3                *raw;
    cerebro_answer_t        a;
    cerebro_guest_t         g;
    cerebro_sqlite_t       *db;
    cerebro_reservation_t   r, list[4];
    cerebro_store_error_t   e;
    cerebro_booking_req_t   q;
    const char             *booking_read[2] = { "reservations", "created" };
    const char             *guest_read[2] = { "guests", "preferences" };

    (void) state;

    new_path(path, sizeof(path), "half");
    db = open_db(path, tiny, tiny_json);
    raw = raw_open(path);
    now = local_utc(tiny, 2026, 3, 2, 10, 0);

    /* the booking is inserted, reading it back fails */
    sqlite3_set_authorizer(conn_of(db), deny_read, booking_read);
    q = breq(2026, 3, 10, 20, 0, 2, "Mitad", PHONE);
    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_UNAVAILABLE);
    assert_true(sqlite3_get_autocommit(conn_of(db)));
    assert_int_equal(sql_int(raw, "SELECT count(*) FROM reservations"), 0);

    /* the guest is inserted, reading it back fails */
    sqlite3_set_authorizer(conn_of(db), deny_read, guest_read);
    assert_int_equal(cerebro_sqlite_guest_upsert(db, PHONE, "Mitad", NULL,
                                                 now, &g, &created, &e),
                     CEREBRO_STORE_UNAVAILABLE);
    assert_int_equal(created, 0);
    assert_true(sqlite3_get_autocommit(conn_of(db)));
    assert_int_equal(sql_int(raw, "SELECT count(*) FROM guests"), 0);

    raw_exec(raw, "BEGIN IMMEDIATE; COMMIT");
    sqlite3_set_authorizer(conn_of(db), NULL, NULL);

    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, NULL, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_guest_upsert(db, PHONE, "Mitad", NULL,
                                                 now, &g, &created, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(created, 1);
    assert_int_equal(cerebro_sqlite_bookings_day(db,
                         &(cerebro_date_t) { 2026, 3, 10 }, 0, list, 4, &n,
                         NULL, &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 1);

    assert_int_equal(sqlite3_close(raw), SQLITE_OK);
    cerebro_sqlite_close(db);
}


/* the confirmation as messaging composes it, named by id, kind, start */
static int
compose_notice(cerebro_notice_t *n, const cerebro_reservation_t *rec,
    cerebro_outbox_msg_t *m)
{
    snprintf(m->to, sizeof(m->to), "whatsapp:%s", rec->client_phone);
    snprintf(m->body, sizeof(m->body), "Reserva de %s", rec->client_name);
    snprintf(m->kind, sizeof(m->kind), "%s",
             CEREBRO_OUTBOX_KIND_CONFIRMATION);
    snprintf(m->reservation_id, sizeof(m->reservation_id), "%s", rec->id);
    snprintf(m->dedupe_key, sizeof(m->dedupe_key), "confirm:%s:%s:%lld",
             rec->id, (const char *) n->data, (long long) rec->start);

    return 1;
}


/* Refuses preparing statements that write into table data. */
static int
deny_insert(void *data, int action, const char *table, const char *column,
    const char *schema, const char *trigger)
{
    (void) column;
    (void) schema;
    (void) trigger;

    if (action == SQLITE_INSERT && table != NULL
        && strcmp(table, (const char *) data) == 0)
    {
        return SQLITE_DENY;
    }

    return SQLITE_OK;
}


/*
 * A booking's write and its confirmation's row are one transaction: both
 * or neither, whichever fails; a repeat queues nothing more.
 */
static void
test_notice_with_the_write(void **state)
{
    int                        repeated, already;
    char                       path[256];
    int64_t                    now;
    sqlite3                   *raw;
    cerebro_answer_t           a;
    cerebro_notice_t           n;
    cerebro_sqlite_t          *db;
    cerebro_reservation_t      r, r2;
    cerebro_store_error_t      e;
    cerebro_booking_req_t      q;
    cerebro_booking_change_t   ch;

    (void) state;

    new_path(path, sizeof(path), "notice");
    db = open_db(path, tiny, tiny_json);
    raw = raw_open(path);
    now = local_utc(tiny, 2026, 3, 2, 10, 0);

    memset(&n, 0, sizeof(n));
    n.compose = compose_notice;
    n.data = "booked";

    /* the outbox refuses the row: the booking is not written either */
    sqlite3_set_authorizer(conn_of(db), deny_insert, "outbox");
    q = breq(2026, 3, 10, 20, 0, 2, "Ambos", PHONE);
    q.call_id = "call-notice";
    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, &n, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_UNAVAILABLE);
    assert_int_equal(n.queued, 0);
    assert_true(sqlite3_get_autocommit(conn_of(db)));
    assert_int_equal(sql_int(raw, "SELECT count(*) FROM reservations"), 0);
    assert_int_equal(sql_int(raw, "SELECT count(*) FROM outbox"), 0);
    sqlite3_set_authorizer(conn_of(db), NULL, NULL);

    /* both */
    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, &n, &r, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n.queued, 1);
    assert_string_equal(n.msg.reservation_id, r.id);
    assert_true(n.msg.id > 0);
    assert_int_equal(sql_int(raw, "SELECT count(*) FROM reservations"), 1);
    assert_int_equal(sql_int(raw, "SELECT count(*) FROM outbox"
                                  " WHERE kind = 'confirmation'"), 1);

    /* the call again: its booking, no second message */
    assert_int_equal(cerebro_sqlite_booking_create(db, &q, now, &n, &r2, &a,
                                                   &repeated, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(repeated, 1);
    assert_int_equal(n.queued, 0);
    assert_int_equal(sql_int(raw, "SELECT count(*) FROM outbox"), 1);

    /* a change and a cancellation carry theirs; a cancel again none */
    memset(&ch, 0, sizeof(ch));
    ch.pax = 3;
    n.data = "changed";
    assert_int_equal(cerebro_sqlite_booking_update(db, r.id, &ch, now, &n,
                                                   &r2, &a, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n.queued, 1);
    n.data = "cancelled";
    assert_int_equal(cerebro_sqlite_booking_cancel(db, r.id, now, &n, &r2,
                                                   &already, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n.queued, 1);
    assert_int_equal(cerebro_sqlite_booking_cancel(db, r.id, now, &n, &r2,
                                                   &already, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(already, 1);
    assert_int_equal(n.queued, 0);
    assert_int_equal(sql_int(raw, "SELECT count(*) FROM outbox"), 3);

    assert_int_equal(sqlite3_close(raw), SQLITE_OK);
    cerebro_sqlite_close(db);
}


static int64_t
queue(cerebro_sqlite_t *db, const char *phone, const char *kind,
    const char *reservation_id, int64_t now)
{
    cerebro_outbox_msg_t   m, got;
    cerebro_store_error_t  e;

    memset(&m, 0, sizeof(m));
    snprintf(m.to, sizeof(m.to), "whatsapp:%s", phone);
    snprintf(m.body, sizeof(m.body), "Hola");
    snprintf(m.kind, sizeof(m.kind), "%s", kind);
    snprintf(m.reservation_id, sizeof(m.reservation_id), "%s",
             reservation_id);

    assert_int_equal(cerebro_sqlite_outbox_enqueue(db, &m, now, &got, NULL,
                                                   &e), CEREBRO_STORE_OK);

    return got.id;
}


static void
test_deliveries(void **state)
{
    char                    path[256], sid[80];
    int64_t                 now, id1, id2, id3;
    sqlite3                *conn;
    cerebro_sqlite_t       *db;
    cerebro_delivery_t      d;
    cerebro_outbox_msg_t    m;
    cerebro_store_error_t   e;

    (void) state;

    new_path(path, sizeof(path), "delivery");
    db = open_db(path, tiny, tiny_json);
    conn = conn_of(db);
    now = 1767000000;

    id1 = queue(db, PHONE, CEREBRO_OUTBOX_KIND_REPLY, "", now);
    id2 = queue(db, PHONE, CEREBRO_OUTBOX_KIND_REPLY, "", now);
    id3 = queue(db, PHONE2, CEREBRO_OUTBOX_KIND_REPLY, "", now);

    assert_int_equal(cerebro_sqlite_outbox_by_sid(db, "SM1", &m, &e),
                     CEREBRO_STORE_NOT_FOUND);
    assert_int_equal(cerebro_sqlite_outbox_mark_sent(db, id1, "SM1", now,
                                                     &e), CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_outbox_by_sid(db, "SM1", &m, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(m.id, id1);
    assert_int_equal(m.status, CEREBRO_OUTBOX_SENT);

    /* sent: queued until Twilio calls back */
    assert_int_equal(cerebro_sqlite_delivery_get(db, "SM1", &d, &e),
                     CEREBRO_STORE_NOT_FOUND);
    assert_int_equal(cerebro_sqlite_delivery_sent(db, "SM1", id1, now, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_delivery_get(db, "SM1", &d, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(d.status, "queued");
    assert_string_equal(d.error_code, "");
    assert_int_equal(d.updated, now);

    /* forward, never back; an error code stays once known */
    assert_int_equal(cerebro_sqlite_delivery_record(db, "SM1", "delivered",
                                                    3, NULL, now + 5, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_delivery_record(db, "SM1", "sent", 2,
                                                    "", now + 6, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_delivery_get(db, "SM1", &d, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(d.status, "delivered");
    assert_int_equal(d.updated, now + 5);
    assert_int_equal(cerebro_sqlite_delivery_record(db, "SM1", "failed", 5,
                                                    "63016", now + 7, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_delivery_record(db, "SM1",
                                                    "undelivered", 5, "",
                                                    now + 8, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_delivery_get(db, "SM1", &d, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(d.status, "undelivered");
    assert_string_equal(d.error_code, "63016");
    assert_int_equal(d.updated, now + 8);

    /* a callback before the sender marked its message: the row id comes
     * with the mark, the status stays */
    assert_int_equal(cerebro_sqlite_delivery_record(db, "SM2", "sent", 2,
                                                    NULL, now, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(sql_int(conn, "SELECT outbox_id FROM outbox_delivery"
                                   " WHERE twilio_sid = 'SM2'"), 0);
    assert_int_equal(cerebro_sqlite_outbox_mark_sent(db, id2, "SM2", now,
                                                     &e), CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_delivery_sent(db, "SM2", id2, now + 1,
                                                  &e), CEREBRO_STORE_OK);
    assert_int_equal(sql_int(conn, "SELECT outbox_id FROM outbox_delivery"
                                   " WHERE twilio_sid = 'SM2'"), id2);
    assert_int_equal(cerebro_sqlite_delivery_get(db, "SM2", &d, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(d.status, "sent");

    /* a first callback for a message marked sent finds its row id */
    assert_int_equal(cerebro_sqlite_outbox_mark_sent(db, id3, "SM3", now,
                                                     &e), CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_delivery_record(db, "SM3", "read", 4,
                                                    NULL, now, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(sql_int(conn, "SELECT outbox_id FROM outbox_delivery"
                                   " WHERE twilio_sid = 'SM3'"), id3);

    /* refused */
    assert_int_equal(cerebro_sqlite_delivery_sent(db, "", id1, now, &e),
                     CEREBRO_STORE_INVALID);
    assert_int_equal(cerebro_sqlite_delivery_record(db, "SM1", "", 0, NULL,
                                                    now, &e),
                     CEREBRO_STORE_INVALID);
    assert_int_equal(cerebro_sqlite_delivery_record(db, "SM1",
                         "a-status-longer-than-any", 0, NULL, now, &e),
                     CEREBRO_STORE_INVALID);
    assert_int_equal(cerebro_sqlite_delivery_get(db, NULL, &d, &e),
                     CEREBRO_STORE_INVALID);
    assert_int_equal(cerebro_sqlite_outbox_by_sid(db, "", &m, &e),
                     CEREBRO_STORE_INVALID);
    memset(sid, 'S', sizeof(sid) - 1);
    sid[sizeof(sid) - 1] = '\0';
    assert_int_equal(cerebro_sqlite_outbox_by_sid(db, sid, &m, &e),
                     CEREBRO_STORE_INVALID);

    cerebro_sqlite_close(db);
}


static void
test_outbox_counts_and_reminders(void **state)
{
    char                    path[256];
    int64_t                 now, counts[CEREBRO_SQLITE_OUTBOX_STATUSES];
    int64_t                 id;
    cerebro_sqlite_t       *db;
    cerebro_outbox_msg_t    m;
    cerebro_store_error_t   e;

    (void) state;

    new_path(path, sizeof(path), "counts");
    db = open_db(path, tiny, tiny_json);
    now = 1767000000;

    counts[0] = counts[1] = counts[2] = 99;
    assert_int_equal(cerebro_sqlite_outbox_counts(db, counts, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(counts[CEREBRO_OUTBOX_PENDING], 0);
    assert_int_equal(counts[CEREBRO_OUTBOX_SENT], 0);
    assert_int_equal(counts[CEREBRO_OUTBOX_FAILED], 0);

    /* the reminder that counts: sent, about a booking, the newest */
    id = queue(db, PHONE, CEREBRO_OUTBOX_KIND_REMINDER, "17", now);
    assert_int_equal(cerebro_sqlite_outbox_mark_sent(db, id, "SMr17", now,
                                                     &e), CEREBRO_STORE_OK);
    id = queue(db, PHONE, CEREBRO_OUTBOX_KIND_REMINDER, "18", now + 10);
    assert_int_equal(cerebro_sqlite_outbox_mark_sent(db, id, "SMr18", now,
                                                     &e), CEREBRO_STORE_OK);

    /* and those that do not */
    (void) queue(db, PHONE, CEREBRO_OUTBOX_KIND_REMINDER, "19", now + 20);
    id = queue(db, PHONE, CEREBRO_OUTBOX_KIND_REMINDER, "20", now + 20);
    assert_int_equal(cerebro_sqlite_outbox_mark_failed(db, id, "no", now,
                                                       &e),
                     CEREBRO_STORE_OK);
    id = queue(db, PHONE, CEREBRO_OUTBOX_KIND_CONFIRMATION, "21", now + 20);
    assert_int_equal(cerebro_sqlite_outbox_mark_sent(db, id, "SMc21", now,
                                                     &e), CEREBRO_STORE_OK);
    id = queue(db, PHONE, CEREBRO_OUTBOX_KIND_REMINDER, "", now + 20);
    assert_int_equal(cerebro_sqlite_outbox_mark_sent(db, id, "SMr", now,
                                                     &e), CEREBRO_STORE_OK);
    id = queue(db, PHONE2, CEREBRO_OUTBOX_KIND_REMINDER, "22", now + 20);
    assert_int_equal(cerebro_sqlite_outbox_mark_sent(db, id, "SMr22", now,
                                                     &e), CEREBRO_STORE_OK);

    assert_int_equal(cerebro_sqlite_outbox_counts(db, counts, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(counts[CEREBRO_OUTBOX_PENDING], 1);
    assert_int_equal(counts[CEREBRO_OUTBOX_SENT], 5);
    assert_int_equal(counts[CEREBRO_OUTBOX_FAILED], 1);

    assert_int_equal(cerebro_sqlite_outbox_last_reminder(db,
                         "whatsapp:" PHONE, now, &m, &e), CEREBRO_STORE_OK);
    assert_string_equal(m.reservation_id, "18");
    assert_string_equal(m.twilio_sid, "SMr18");
    assert_int_equal(cerebro_sqlite_outbox_last_reminder(db,
                         "whatsapp:" PHONE, now + 10, &m, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(m.reservation_id, "18");
    assert_int_equal(cerebro_sqlite_outbox_last_reminder(db,
                         "whatsapp:" PHONE, now + 11, &m, &e),
                     CEREBRO_STORE_NOT_FOUND);
    assert_int_equal(cerebro_sqlite_outbox_last_reminder(db,
                         "whatsapp:" PHONE2, now, &m, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(m.reservation_id, "22");
    assert_int_equal(cerebro_sqlite_outbox_last_reminder(db,
                         "whatsapp:+34699999999", 0, &m, &e),
                     CEREBRO_STORE_NOT_FOUND);
    assert_int_equal(cerebro_sqlite_outbox_last_reminder(db, "", 0, &m, &e),
                     CEREBRO_STORE_INVALID);

    cerebro_sqlite_close(db);
}


/* a waiting guest of party pax for 21:00 on Friday 6 March 2026 */
static cerebro_waitlist_t
wl_entry(const char *name, const char *phone, int pax, int h)
{
    cerebro_waitlist_t  w;

    memset(&w, 0, sizeof(w));
    snprintf(w.name, sizeof(w.name), "%s", name);
    snprintf(w.phone, sizeof(w.phone), "%s", phone);
    w.date = (cerebro_date_t) { 2026, 3, 6 };
    w.time_from = h * 60;
    w.time_to = h * 60;
    w.pax = pax;
    w.until = local_utc(tiny, 2026, 3, 6, h, 0);

    return w;
}


static cerebro_booking_t
wl_taken(const char *table, int h)
{
    uint64_t           mask;
    cerebro_booking_t  b;

    assert_int_equal(cerebro_engine_tables_for_name(tiny, table, &mask,
                                                    NULL, 0), 1);
    memset(&b, 0, sizeof(b));
    b.start = local_utc(tiny, 2026, 3, 6, h, 0);
    b.party = 2;
    b.tables = mask;
    b.status = CEREBRO_BOOKING_ACTIVE;
    b.end = cerebro_engine_booking_end(tiny, &b);

    return b;
}


/*
 * The row's status is the claim: one free table is offered to one guest,
 * whichever connection asks next, until the hold runs out; then it is the
 * next guest's.  Nothing is offered inside the lead time.
 */
static void
test_waitlist(void **state)
{
    int                     n, existed;
    char                    path[256];
    int64_t                 now;
    cerebro_date_t          day = { 2026, 3, 6 };
    cerebro_sqlite_t       *db, *db2;
    cerebro_booking_t       bk[3];
    cerebro_waitlist_t      w, out[4], list[8];
    cerebro_store_error_t   e;

    (void) state;

    new_path(path, sizeof(path), "waitlist");
    db = open_db(path, tiny, tiny_json);
    db2 = open_db(path, tiny, tiny_json);
    now = local_utc(tiny, 2026, 3, 2, 10, 0);

    w = wl_entry("Wendy", "600 111 222", 2, 21);
    assert_int_equal(cerebro_sqlite_waitlist_join(db, &w, now, &existed, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(existed, 0);
    assert_string_equal(w.phone, PHONE);
    /* the same guest and slot again: the same entry */
    w = wl_entry("Wendy", PHONE, 2, 21);
    assert_int_equal(cerebro_sqlite_waitlist_join(db, &w, now + 1, &existed,
                                                  &e), CEREBRO_STORE_OK);
    assert_int_equal(existed, 1);
    w = wl_entry("Walter", PHONE2, 2, 21);
    assert_int_equal(cerebro_sqlite_waitlist_join(db, &w, now + 2, &existed,
                                                  &e), CEREBRO_STORE_OK);
    w = wl_entry("", PHONE2, 2, 21);
    assert_int_equal(cerebro_sqlite_waitlist_join(db, &w, now, &existed, &e),
                     CEREBRO_STORE_INVALID);

    /* a full evening: nothing to offer */
    bk[0] = wl_taken("A", 21);
    bk[1] = wl_taken("B", 21);
    bk[2] = wl_taken("C", 21);
    assert_int_equal(cerebro_sqlite_waitlist_offer(db, tiny, &day, bk, 3,
                                                   now, 900, out, 4, &n, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 0);

    /* C frees: Wendy, who came first, gets it; Walter does not */
    assert_int_equal(cerebro_sqlite_waitlist_offer(db, tiny, &day, bk, 2,
                                                   now, 900, out, 4, &n, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].name, "Wendy");
    assert_string_equal(out[0].offer_table, "C");
    assert_true(out[0].offer_start == bk[2].start);
    assert_true(out[0].hold_until == now + 900);

    /* another worker, another connection, the same book: no second offer */
    assert_int_equal(cerebro_sqlite_waitlist_offer(db2, tiny, &day, bk, 2,
                                                   now + 5, 900, out, 4, &n,
                                                   &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 0);

    assert_int_equal(cerebro_sqlite_waitlist_offered(db2, "600111222",
                                                     now + 5, &w, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(w.status, "offered");
    assert_int_equal(cerebro_sqlite_waitlist_offered(db, PHONE2, now + 5, &w,
                                                     &e),
                     CEREBRO_STORE_NOT_FOUND);

    /* the hold runs out: the table is Walter's */
    assert_int_equal(cerebro_sqlite_waitlist_offered(db, PHONE, now + 900,
                                                     &w, &e),
                     CEREBRO_STORE_NOT_FOUND);
    assert_int_equal(cerebro_sqlite_waitlist_expire(db, now + 900, 0, &n, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(cerebro_sqlite_waitlist_offer(db2, tiny, &day, bk, 2,
                                                   now + 900, 900, out, 4,
                                                   &n, &e), CEREBRO_STORE_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].name, "Walter");

    /* SÍ: booked; an answer to no offer is NOT_FOUND */
    assert_int_equal(cerebro_sqlite_waitlist_answer(db, out[0].id, "booked",
                                                    "42", now + 901, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_waitlist_answer(db, out[0].id, "declined",
                                                    "", now + 902, &e),
                     CEREBRO_STORE_NOT_FOUND);
    assert_int_equal(cerebro_sqlite_waitlist_answer(db, out[0].id, "gone",
                                                    "", now + 902, &e),
                     CEREBRO_STORE_INVALID);

    assert_int_equal(cerebro_sqlite_waitlist_list(db, 0, list, 8, &n,
                                                  &existed, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].status, "passed");
    assert_string_equal(list[1].status, "booked");
    assert_string_equal(list[1].reservation_id, "42");

    /* BAJA DE LA LISTA, and the lead time */
    w = wl_entry("Wendy", PHONE, 2, 13);
    assert_int_equal(cerebro_sqlite_waitlist_join(db, &w, now, &existed, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(cerebro_sqlite_waitlist_leave(db, "+34 600 111 222",
                                                   now, &n, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 1);

    w = wl_entry("Walter", PHONE2, 2, 13);
    assert_int_equal(cerebro_sqlite_waitlist_join(db, &w, now, &existed, &e),
                     CEREBRO_STORE_OK);
    /* 12:30 on the day, with an hour's lead: 13:00 is too close */
    assert_int_equal(cerebro_sqlite_waitlist_expire(db,
                         local_utc(tiny, 2026, 3, 6, 12, 30), 3600, &n, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(cerebro_sqlite_waitlist_days(db, &day, 1, &n, &e),
                     CEREBRO_STORE_OK);
    assert_int_equal(n, 0);

    cerebro_sqlite_close(db2);
    cerebro_sqlite_close(db);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_schema_and_seed),
        cmocka_unit_test(test_seed_once),
        cmocka_unit_test(test_newer_schema_refused),
        cmocka_unit_test(test_upgrade_from_v1),
        cmocka_unit_test(test_upgrade_rolled_back),
        cmocka_unit_test(test_upgrade_normalises_phones),
        cmocka_unit_test(test_failed_write_rolls_back),
        cmocka_unit_test(test_notice_with_the_write),
        cmocka_unit_test(test_booking_lifecycle),
        cmocka_unit_test(test_repeated_call),
        cmocka_unit_test(test_two_handles_last_table),
        cmocka_unit_test(test_processes_race),
        cmocka_unit_test(test_busy_is_unavailable),
        cmocka_unit_test(test_guests),
        cmocka_unit_test(test_call_log),
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_outbox),
        cmocka_unit_test(test_deliveries),
        cmocka_unit_test(test_outbox_counts_and_reminders),
        cmocka_unit_test(test_opt_out),
        cmocka_unit_test(test_waitlist),
        cmocka_unit_test(test_restart),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
