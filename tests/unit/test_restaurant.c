/*
 * cerebro_restaurant: the demo model loads as written, every rule of the
 * JSON is validated with an error naming the field, the table list can be
 * replaced at run time.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cerebro_restaurant.h"


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


static cerebro_restaurant_t *
load_demo(void)
{
    char                  *json, err[256];
    size_t                 len;
    cerebro_restaurant_t  *r;

    json = read_file("conf/restaurant.json", &len);
    r = cerebro_restaurant_load(json, len, NULL, err, sizeof(err));
    if (r == NULL) {
        fail_msg("%s", err);
    }

    free(json);

    return r;
}


static void
test_demo_model(void **state)
{
    cerebro_restaurant_t               *r;
    const cerebro_day_hours_t          *h;
    const cerebro_special_day_t        *sd;
    cerebro_date_t                      d;
    int                                 g;

    (void) state;

    r = load_demo();
    assert_string_equal(r->name, "En Las Nubes");
    assert_string_equal(r->timezone, "Europe/Madrid");
    assert_int_equal(r->ntables, 14);
    assert_int_equal(r->ngroups, 4);
    assert_int_equal(r->max_party, 8);
    assert_int_equal(r->min_lead_minutes, 30);
    assert_int_equal(r->max_days_ahead, 60);
    assert_int_equal(r->pacing_covers, 16);
    assert_non_null(cerebro_restaurant_info(r, "parking"));
    assert_non_null(cerebro_restaurant_info(r, "allergens"));
    assert_null(cerebro_restaurant_info(r, "nothing"));

    /* turn times by party size, default above the last rule */
    assert_int_equal(cerebro_restaurant_turn(r, 1), 90);
    assert_int_equal(cerebro_restaurant_turn(r, 2), 90);
    assert_int_equal(cerebro_restaurant_turn(r, 3), 105);
    assert_int_equal(cerebro_restaurant_turn(r, 4), 105);
    assert_int_equal(cerebro_restaurant_turn(r, 5), 150);
    assert_int_equal(cerebro_restaurant_turn(r, 8), 150);
    assert_int_equal(cerebro_restaurant_turn(r, 9), 120);
    assert_int_equal(r->max_turn, 150);

    /* Monday 2026-11-30 closed; Sunday lunch only; Friday past midnight */
    d = (cerebro_date_t) { 2026, 11, 30 };
    assert_null(cerebro_restaurant_hours(r, &d, NULL));

    d = (cerebro_date_t) { 2026, 11, 29 };
    h = cerebro_restaurant_hours(r, &d, NULL);
    assert_non_null(h);
    assert_int_equal(h->nservices, 1);
    assert_string_equal(h->services[0].name, "comida");

    d = (cerebro_date_t) { 2026, 11, 27 };
    h = cerebro_restaurant_hours(r, &d, NULL);
    assert_int_equal(h->nservices, 2);
    assert_int_equal(h->services[0].start, 13 * 60);
    assert_int_equal(h->services[0].last_seating, 15 * 60);
    assert_int_equal(h->services[1].start, 20 * 60);
    assert_int_equal(h->services[1].end, 24 * 60 + 30);
    assert_int_equal(h->services[1].last_seating, 23 * 60);

    /* closures and special hours override the weekday */
    d = (cerebro_date_t) { 2026, 12, 25 };
    assert_null(cerebro_restaurant_hours(r, &d, &sd));
    assert_non_null(sd);
    assert_string_equal(sd->note, "Navidad");

    d = (cerebro_date_t) { 2027, 1, 1 };
    assert_null(cerebro_restaurant_hours(r, &d, NULL));

    d = (cerebro_date_t) { 2026, 12, 24 };
    h = cerebro_restaurant_hours(r, &d, &sd);
    assert_non_null(h);
    assert_int_equal(h->nservices, 1);
    assert_int_equal(h->services[0].last_seating, 14 * 60 + 30);
    assert_string_equal(sd->note, "Nochebuena");

    d = (cerebro_date_t) { 2026, 12, 31 };
    h = cerebro_restaurant_hours(r, &d, NULL);
    assert_int_equal(h->services[0].end, 24 * 60 + 90);

    /* groups resolved to masks, location when all tables share one */
    g = cerebro_restaurant_group_index(r, "T12+T13");
    assert_true(g >= 0);
    assert_true(r->groups[g].active);
    assert_string_equal(r->groups[g].location, "terraza");
    assert_true(r->groups[g].mask
                == (((uint64_t) 1 << cerebro_restaurant_table_index(r, "T12"))
                    | ((uint64_t) 1
                       << cerebro_restaurant_table_index(r, "T13"))));
    assert_int_equal(cerebro_restaurant_table_index(r, "t4"), 3);
    assert_int_equal(cerebro_restaurant_table_index(r, "T99"), -1);

    cerebro_restaurant_free(r);
    cerebro_restaurant_free(NULL);
}


/* A small valid model; the bad-field cases each change one piece. */
static const char  *base_parts[] = {
    /* 0: head */
    "{\"name\":\"Prueba\",\"timezone\":\"Europe/Madrid\",",
    /* 1: services */
    "\"services\":{\"friday\":[{\"start\":\"13:00\",\"end\":\"16:00\","
    "\"last_seating\":\"15:00\"},{\"start\":\"20:00\",\"end\":\"01:00\","
    "\"last_seating\":\"23:30\"}]},",
    /* 2: tables */
    "\"tables\":[{\"name\":\"A\",\"capacity_min\":1,\"capacity_max\":2,"
    "\"location\":\"sala\"},{\"name\":\"B\",\"capacity_min\":2,"
    "\"capacity_max\":4,\"location\":\"sala\"}],",
    /* 3: groups */
    "\"groups\":[{\"name\":\"AB\",\"tables\":[\"A\",\"B\"],"
    "\"capacity_min\":3,\"capacity_max\":6}],",
    /* 4: turns */
    "\"turn_times\":{\"default\":120,\"by_party\":[{\"max_party\":2,"
    "\"minutes\":90},{\"max_party\":4,\"minutes\":105}]},",
    /* 5: closures */
    "\"closures\":[\"2026-12-25\"],",
    /* 6: window, pacing, max party */
    "\"booking_window\":{\"min_lead_minutes\":30,\"max_days_ahead\":60},"
    "\"pacing\":{\"max_covers_per_slot\":10},\"max_party\":8}"
};


static char *
build(int which, const char *replacement)
{
    static char  buf[4096];
    int          i;

    buf[0] = '\0';

    for (i = 0; i < 7; i++) {
        strcat(buf, i == which ? replacement : base_parts[i]);
    }

    return buf;
}


static void
expect_error(int which, const char *replacement, const char *want)
{
    char                  *json, err[256];
    cerebro_restaurant_t  *r;

    json = build(which, replacement);
    r = cerebro_restaurant_load(json, strlen(json), NULL, err, sizeof(err));

    if (r != NULL) {
        cerebro_restaurant_free(r);
        fail_msg("accepted: %s", json);
    }

    if (strstr(err, want) == NULL) {
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
    }
}


static void
test_base_fixture_loads(void **state)
{
    char                  *json, err[256];
    cerebro_date_t         d;
    cerebro_restaurant_t  *r;
    const cerebro_day_hours_t  *h;

    (void) state;

    json = build(-1, NULL);
    r = cerebro_restaurant_load(json, strlen(json), NULL, err, sizeof(err));
    if (r == NULL) {
        fail_msg("%s", err);
    }

    /* only Friday has services; the others are closed */
    d = (cerebro_date_t) { 2026, 11, 27 };
    h = cerebro_restaurant_hours(r, &d, NULL);
    assert_non_null(h);
    assert_int_equal(h->services[1].end, 1500);
    assert_int_equal(h->services[1].last_seating, 23 * 60 + 30);
    assert_string_equal(h->services[0].name, "comida");
    assert_string_equal(h->services[1].name, "cena");

    d = (cerebro_date_t) { 2026, 11, 28 };
    assert_null(cerebro_restaurant_hours(r, &d, NULL));

    cerebro_restaurant_free(r);
}


static void
test_bad_fields(void **state)
{
    (void) state;

    expect_error(1, "\"services\":{\"friday\":[{\"start\":\"13:00\","
                 "\"end\":\"16:00\"},{\"start\":\"20:00\",\"end\":\"9pm\"}]},",
                 "services.friday[1].end: expected \"HH:MM\"");
    expect_error(1, "\"services\":{\"friday\":[{\"start\":\"25:00\","
                 "\"end\":\"16:00\"}]},",
                 "services.friday[0].start: expected \"HH:MM\"");
    expect_error(1, "\"services\":{\"friday\":[{\"end\":\"16:00\"}]},",
                 "services.friday[0].start: missing");
    expect_error(1, "\"services\":{\"funday\":[]},",
                 "services.funday: unknown weekday");
    expect_error(1, "\"services\":{\"friday\":{\"start\":\"13:00\"}},",
                 "services.friday: expected a list");
    expect_error(1, "\"services\":{\"friday\":[{\"start\":\"13:00\","
                 "\"end\":\"16:00\",\"last_seating\":\"17:00\"}]},",
                 "services.friday[0]: last_seating must lie");
    expect_error(1, "\"services\":{\"friday\":[{\"start\":\"13:00\","
                 "\"end\":\"16:00\"},{\"start\":\"15:00\",\"end\":\"18:00\"}"
                 "]},", "services.friday[1]: overlaps");
    expect_error(1, "", "services: missing");

    expect_error(0, "{\"name\":\"Prueba\",", "timezone: missing");
    expect_error(0, "{\"name\":\"Prueba\",\"timezone\":\"Mars/Olympus\",",
                 "timezone: ");
    expect_error(0, "{\"name\":\"Prueba\",\"timezone\":\"../../etc/passwd\",",
                 "timezone: invalid time zone name");
    expect_error(0, "{\"timezone\":\"Europe/Madrid\",", "name: missing");
    expect_error(0, "{\"name\":42,\"timezone\":\"Europe/Madrid\",",
                 "name: expected a non-empty string");
    expect_error(0, "{\"name\":\"P\",\"timezone\":\"Europe/Madrid\","
                 "\"info\":{\"parking\":3},", "info.parking: expected a text");

    expect_error(2, "\"tables\":[{\"name\":\"A\",\"capacity_min\":1,"
                 "\"capacity_max\":\"four\",\"location\":\"sala\"}],",
                 "tables[0].capacity_max: expected a whole number");
    expect_error(2, "\"tables\":[{\"name\":\"A\",\"capacity_min\":1,"
                 "\"capacity_max\":2,\"location\":\"sala\"},{\"name\":\"B\","
                 "\"capacity_min\":5,\"capacity_max\":4,\"location\":\"sala\"}"
                 "],", "tables[1].capacity_min: greater than capacity_max");
    expect_error(2, "\"tables\":[{\"name\":\"A\",\"capacity_min\":1,"
                 "\"capacity_max\":2,\"location\":\"sala\"},{\"name\":\"a\","
                 "\"capacity_min\":1,\"capacity_max\":4,\"location\":\"sala\"}"
                 "],", "tables[1].name: duplicate table");
    expect_error(2, "\"tables\":[{\"name\":\"A\",\"capacity_min\":1,"
                 "\"capacity_max\":2}],", "tables[0].location: missing");
    expect_error(2, "\"tables\":[],", "tables: expected a non-empty list");
    expect_error(2, "\"tables\":[{\"name\":\"A\",\"capacity_min\":1,"
                 "\"capacity_max\":2.5,\"location\":\"sala\"}],",
                 "tables[0].capacity_max");

    expect_error(3, "\"groups\":[{\"name\":\"AB\",\"tables\":[\"A\",\"Z\"],"
                 "\"capacity_min\":3,\"capacity_max\":6}],",
                 "groups[0].tables[1]: not the name of a table");
    expect_error(3, "\"groups\":[{\"name\":\"AB\",\"tables\":[\"A\"],"
                 "\"capacity_min\":3,\"capacity_max\":6}],",
                 "groups[0].tables: expected a list of 2");
    expect_error(3, "\"groups\":[{\"name\":\"A\",\"tables\":[\"A\",\"B\"],"
                 "\"capacity_min\":3,\"capacity_max\":6}],",
                 "groups[0].name: \"A\" is already a table");
    expect_error(3, "\"groups\":[{\"name\":\"AB\",\"tables\":[\"A\",\"B\"],"
                 "\"capacity_max\":6}],", "groups[0].capacity_min: missing");

    expect_error(4, "\"turn_times\":{\"default\":120,\"by_party\":["
                 "{\"max_party\":4,\"minutes\":90},{\"max_party\":2,"
                 "\"minutes\":105}]},",
                 "turn_times.by_party[1].max_party: must grow");
    expect_error(4, "\"turn_times\":{\"by_party\":[]},",
                 "turn_times.default: missing");
    expect_error(4, "", "turn_times: missing");

    expect_error(5, "\"closures\":[\"2026-02-30\"],",
                 "closures[0]: expected a valid \"YYYY-MM-DD\"");
    expect_error(5, "\"closures\":[\"2026-12-25\",{\"date\":\"2026-12-25\"}],",
                 "closures[1].date: date 2026-12-25 listed twice");
    expect_error(5, "\"special_hours\":[{\"date\":\"2026-12-24\"}],",
                 "special_hours[0].services: missing");
    expect_error(5, "\"special_hours\":[{\"date\":\"2026-12-24\","
                 "\"services\":[{\"start\":\"13:00\",\"end\":\"x\"}]}],",
                 "special_hours[0].services[0].end: expected \"HH:MM\"");

    expect_error(6, "\"pacing\":{\"max_covers_per_slot\":10},"
                 "\"max_party\":8}", "booking_window: missing");
    expect_error(6, "\"booking_window\":{\"min_lead_minutes\":-5,"
                 "\"max_days_ahead\":60},\"max_party\":8}",
                 "booking_window.min_lead_minutes: expected a whole number");
    expect_error(6, "\"booking_window\":{\"min_lead_minutes\":30,"
                 "\"max_days_ahead\":60},\"pacing\":{\"slot_minutes\":30,"
                 "\"max_covers_per_slot\":10},\"max_party\":8}",
                 "pacing.slot_minutes: only 15");
    expect_error(6, "\"booking_window\":{\"min_lead_minutes\":30,"
                 "\"max_days_ahead\":60},\"max_party\":0}",
                 "max_party: expected a whole number from 1 to 64");
    expect_error(6, "\"booking_window\":{\"min_lead_minutes\":30,"
                 "\"max_days_ahead\":60}}", "max_party: missing");
    expect_error(6, "\"booking_window\":{", "invalid JSON near byte");
}


/* Who answers a transferred call: the demo's hours, Mondays closed. */
static void
test_staffed(void **state)
{
    cerebro_date_t         tue = { 2026, 12, 1 }, mon = { 2026, 11, 30 },
                           nye = { 2026, 12, 31 }, ny = { 2027, 1, 1 };
    cerebro_restaurant_t  *r;

    (void) state;

    r = load_demo();

    assert_string_equal(r->country_code, "34");

    /* a Tuesday: comida 13:00-16:00, cena 20:00-23:30 */
    assert_false(cerebro_restaurant_staffed(r, &tue, 11 * 60 + 59));
    assert_true(cerebro_restaurant_staffed(r, &tue, 12 * 60));
    assert_true(cerebro_restaurant_staffed(r, &tue, 15 * 60 + 59));
    assert_false(cerebro_restaurant_staffed(r, &tue, 16 * 60));
    assert_true(cerebro_restaurant_staffed(r, &tue, 19 * 60));
    assert_true(cerebro_restaurant_staffed(r, &tue, 23 * 60 + 29));
    assert_false(cerebro_restaurant_staffed(r, &tue, 23 * 60 + 30));

    /* closed all Monday */
    assert_false(cerebro_restaurant_staffed(r, &mon, 21 * 60));

    /* Nochevieja's dinner runs to 01:30 of New Year's Day */
    assert_true(cerebro_restaurant_staffed(r, &nye, 20 * 60));
    assert_true(cerebro_restaurant_staffed(r, &ny, 60 + 29));
    assert_false(cerebro_restaurant_staffed(r, &ny, 60 + 30));

    cerebro_restaurant_free(r);
}


static void
test_garbage(void **state)
{
    char                  err[256], junk[10240];
    size_t                i;
    cerebro_restaurant_t  *r;

    (void) state;

    assert_null(cerebro_restaurant_load("", 0, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "invalid JSON"));
    assert_null(cerebro_restaurant_load("[1,2]", 5, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "expected a JSON object"));
    assert_null(cerebro_restaurant_load(NULL, 0, NULL, err, sizeof(err)));

    srand(7);
    for (i = 0; i < sizeof(junk); i++) {
        junk[i] = (char) (rand() % 256);
    }

    r = cerebro_restaurant_load(junk, sizeof(junk), NULL, err, sizeof(err));
    assert_null(r);

    /* a tiny err buffer truncates, never overflows */
    assert_null(cerebro_restaurant_load("{}", 2, NULL, err, 4));
    assert_int_equal(strlen(err), 3);

    /* the zone directory is honoured */
    r = cerebro_restaurant_load(build(-1, NULL), strlen(build(-1, NULL)),
                                "/nonexistent", err, sizeof(err));
    assert_null(r);
    assert_non_null(strstr(err, "/nonexistent/Europe/Madrid"));
}


static void
test_set_tables(void **state)
{
    int                    n, g;
    char                   err[256];
    cerebro_table_t        t[3];
    cerebro_restaurant_t  *r;

    (void) state;

    r = load_demo();

    memset(t, 0, sizeof(t));
    snprintf(t[0].name, sizeof(t[0].name), "T12");
    snprintf(t[0].location, sizeof(t[0].location), "terraza");
    t[0].capacity_min = 2;
    t[0].capacity_max = 4;
    t[1] = t[0];
    snprintf(t[1].name, sizeof(t[1].name), "T13");
    t[2] = t[0];
    snprintf(t[2].name, sizeof(t[2].name), "T3");
    snprintf(t[2].location, sizeof(t[2].location), "sala");

    /* T12+T13 survives (at new indices), the other three groups lose a
     * table and go inactive */
    n = cerebro_restaurant_set_tables(r, t, 3, err, sizeof(err));
    assert_int_equal(n, 3);
    assert_int_equal(r->ntables, 3);
    g = cerebro_restaurant_group_index(r, "T12+T13");
    assert_true(r->groups[g].active);
    assert_true(r->groups[g].mask == 3);
    assert_false(r->groups[cerebro_restaurant_group_index(r, "T3+T4")]
                 .active);

    /* a bad list is refused and the model stays as it was */
    t[1] = t[0];
    n = cerebro_restaurant_set_tables(r, t, 3, err, sizeof(err));
    assert_int_equal(n, -1);
    assert_non_null(strstr(err, "tables[1].name: duplicate table"));
    assert_string_equal(r->tables[1].name, "T13");
    assert_int_equal(cerebro_restaurant_set_tables(r, t, 0, err,
                                                   sizeof(err)), -1);

    cerebro_restaurant_free(r);
}


static void
test_tables_from_json(void **state)
{
    int              n;
    char             err[256];
    cerebro_table_t  t[8];
    const char      *airtable =
        "{\"records\":[{\"id\":\"rec1\",\"fields\":{\"name\":\"M1\","
        "\"capacity_min\":2,\"capacity_max\":4,\"location\":\"sala\"}},"
        "{\"id\":\"rec2\",\"fields\":{}},"
        "{\"id\":\"rec3\",\"fields\":{\"name\":\"M2\",\"capacity_max\":2}}]}";
    const char      *bad =
        "{\"records\":[{\"id\":\"rec1\",\"fields\":{\"name\":\"M1\","
        "\"capacity_max\":\"x\"}}]}";
    const char      *plain =
        "[{\"name\":\"A\",\"capacity_min\":1,\"capacity_max\":2,"
        "\"location\":\"terraza\"}]";

    (void) state;

    n = cerebro_restaurant_tables_from_json(airtable, strlen(airtable), t, 8,
                                            err, sizeof(err));
    assert_int_equal(n, 2);
    assert_string_equal(t[0].name, "M1");
    assert_int_equal(t[0].capacity_max, 4);
    assert_string_equal(t[1].name, "M2");
    assert_int_equal(t[1].capacity_min, 1);
    assert_string_equal(t[1].location, "");

    n = cerebro_restaurant_tables_from_json(bad, strlen(bad), t, 8, err,
                                            sizeof(err));
    assert_int_equal(n, -1);
    assert_non_null(strstr(err, "records[0].fields.capacity_max: expected"));

    n = cerebro_restaurant_tables_from_json(plain, strlen(plain), t, 8, err,
                                            sizeof(err));
    assert_int_equal(n, 1);
    assert_string_equal(t[0].location, "terraza");

    n = cerebro_restaurant_tables_from_json(plain, strlen(plain), t, 0, err,
                                            sizeof(err));
    assert_int_equal(n, -1);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_model),
        cmocka_unit_test(test_base_fixture_loads),
        cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_staffed),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_set_tables),
        cmocka_unit_test(test_tables_from_json),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
