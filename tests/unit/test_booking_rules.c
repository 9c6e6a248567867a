
/*
 * The booking rules every store backend applies (cerebro_records.c): the
 * bookings in the engine's form with one left out, the decision, and who
 * keeps a table when writers raced — the same answer from every view of
 * the day that holds the bookings concerned, whatever their order.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cerebro_records.h"


static const char  *two_json =
    "{\"name\":\"Dos\",\"timezone\":\"Europe/Madrid\","
    "\"services\":{\"saturday\":[{\"start\":\"20:00\",\"end\":\"23:30\","
    "\"last_seating\":\"22:30\"}]},"
    "\"tables\":[{\"name\":\"T1\",\"capacity_min\":1,\"capacity_max\":2,"
    "\"location\":\"sala\"},{\"name\":\"T2\",\"capacity_min\":1,"
    "\"capacity_max\":2,\"location\":\"sala\"}],"
    "\"turn_times\":{\"default\":90},"
    "\"booking_window\":{\"min_lead_minutes\":0,\"max_days_ahead\":730},"
    "\"max_party\":2}";

static cerebro_restaurant_t  *model;

/* 2030-06-01 is a Saturday; 21:00 in Madrid is 19:00 UTC */
#define AT_21  1906570800LL


static void
rec(cerebro_reservation_t *r, const char *id, const char *table,
    int64_t start, int64_t written_ms, const char *status)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "%s", id);
    snprintf(r->table, sizeof(r->table), "%s", table);
    snprintf(r->status, sizeof(r->status), "%s", status);
    r->start = start;
    r->pax = 2;
    r->written_ms = written_ms;
}


static int
setup(void **state)
{
    char  err[256];

    (void) state;

    model = cerebro_restaurant_load(two_json, strlen(two_json), NULL, err,
                                    sizeof(err));
    if (model == NULL) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }

    return 0;
}


static int
teardown(void **state)
{
    (void) state;
    cerebro_restaurant_free(model);
    return 0;
}


static void
test_the_earlier_writer_keeps_the_table(void **state)
{
    cerebro_reservation_t  day[3];

    (void) state;

    rec(&day[0], "recB", "T1", AT_21, 2000, "confirmed");
    rec(&day[1], "recA", "T1", AT_21 + 1800, 1000, "confirmed");
    rec(&day[2], "recC", "T2", AT_21, 3000, "confirmed");

    assert_int_equal(cerebro_rec_stands(model, day, 3, "recA", NULL), 1);
    assert_int_equal(cerebro_rec_stands(model, day, 3, "recB", NULL), 0);
    assert_int_equal(cerebro_rec_stands(model, day, 3, "recC", NULL), 1);

    /* what a writer that has not seen recB yet concludes holds too */
    assert_int_equal(cerebro_rec_stands(model, &day[1], 2, "recA", NULL), 1);
    assert_int_equal(cerebro_rec_stands(model, day, 1, "recB", NULL), 1);
}


static void
test_ties_are_broken_by_id_and_losers_block_nobody(void **state)
{
    cerebro_reservation_t  day[3];

    (void) state;

    rec(&day[0], "recZ", "T1", AT_21, 1000, "confirmed");
    rec(&day[1], "recM", "T1", AT_21, 1000, "confirmed");
    /* recM keeps T1, recZ loses it; recY on T1 later loses too */
    rec(&day[2], "recY", "T1", AT_21 + 3600, 1500, "confirmed");

    assert_int_equal(cerebro_rec_stands(model, day, 3, "recM", NULL), 1);
    assert_int_equal(cerebro_rec_stands(model, day, 3, "recZ", NULL), 0);
    assert_int_equal(cerebro_rec_stands(model, day, 3, "recY", NULL), 0);

    /* withdrawn: it holds nothing, and is no longer one of the day */
    snprintf(day[1].status, sizeof(day[1].status), "cancelled");
    assert_int_equal(cerebro_rec_stands(model, day, 3, "recZ", NULL), 1);
    assert_int_equal(cerebro_rec_stands(model, day, 3, "recY", NULL), 0);
    assert_int_equal(cerebro_rec_stands(model, day, 3, "recM", NULL), -1);
    assert_int_equal(cerebro_rec_stands(model, day, 3, "recQ", NULL), -1);
}


static void
test_no_overlap_no_conflict(void **state)
{
    cerebro_reservation_t  day[2];

    (void) state;

    /* 90 minutes: 21:00-22:30 and 22:30-... do not overlap */
    rec(&day[0], "recA", "T1", AT_21, 1000, "confirmed");
    rec(&day[1], "recB", "T1", AT_21 + 5400, 2000, "confirmed");

    assert_int_equal(cerebro_rec_stands(model, day, 2, "recB", NULL), 1);
}


/*
 * Pacing is settled too: two tables free, but the quarter hour takes 2
 * covers; the later writer gives its place up, on either table.
 */
static void
test_the_covers_of_a_quarter_hour_are_settled(void **state)
{
    char                    err[256];
    cerebro_restaurant_t   *paced;
    cerebro_reservation_t   day[2];
    static const char      *json =
        "{\"name\":\"Dos\",\"timezone\":\"Europe/Madrid\","
        "\"services\":{\"saturday\":[{\"start\":\"20:00\","
        "\"end\":\"23:30\",\"last_seating\":\"22:30\"}]},"
        "\"tables\":[{\"name\":\"T1\",\"capacity_min\":1,"
        "\"capacity_max\":2,\"location\":\"sala\"},{\"name\":\"T2\","
        "\"capacity_min\":1,\"capacity_max\":2,\"location\":\"sala\"}],"
        "\"turn_times\":{\"default\":90},"
        "\"pacing\":{\"slot_minutes\":15,\"max_covers_per_slot\":2},"
        "\"booking_window\":{\"min_lead_minutes\":0,"
        "\"max_days_ahead\":730},\"max_party\":2}";

    (void) state;

    paced = cerebro_restaurant_load(json, strlen(json), NULL, err,
                                    sizeof(err));
    assert_non_null(paced);

    rec(&day[0], "recB", "T2", AT_21 + 600, 2000, "confirmed");
    rec(&day[1], "recA", "T1", AT_21, 1000, "confirmed");

    assert_int_equal(cerebro_rec_stands(paced, day, 2, "recA", NULL), 1);
    assert_int_equal(cerebro_rec_stands(paced, day, 2, "recB", NULL), 0);

    /* another quarter hour: both stand */
    day[0].start = AT_21 + 900;
    assert_int_equal(cerebro_rec_stands(paced, day, 2, "recB", NULL), 1);

    cerebro_restaurant_free(paced);
}


/*
 * A move is written as a new record: until it stands, the booking it
 * replaces holds nothing in the mover's view, however early it was made.
 */
static void
test_the_booking_a_move_replaces_holds_nothing(void **state)
{
    cerebro_reservation_t  day[3];

    (void) state;

    rec(&day[0], "recOld", "T1", AT_21, 1000, "confirmed");
    rec(&day[1], "recNew", "T1", AT_21, 3000, "confirmed");
    rec(&day[2], "recX", "T1", AT_21 + 1800, 4000, "confirmed");

    assert_int_equal(cerebro_rec_stands(model, day, 3, "recNew", NULL), 0);
    assert_int_equal(cerebro_rec_stands(model, day, 3, "recNew", "recOld"),
                     1);
    assert_int_equal(cerebro_rec_stands(model, day, 3, "recX", "recOld"), 0);
    assert_int_equal(cerebro_rec_stands(model, day, 3, "recOld", "recOld"),
                     -1);

    /* a writer earlier than the move keeps its table against it */
    day[2].written_ms = 2000;
    assert_int_equal(cerebro_rec_stands(model, day, 3, "recNew", "recOld"),
                     0);
}


static void
test_decide_leaves_out_the_booking_moved(void **state)
{
    int                    n;
    cerebro_answer_t       answer;
    cerebro_booking_t      b[2];
    cerebro_request_t      want;
    cerebro_store_error_t  e;
    cerebro_reservation_t  day[2];

    (void) state;

    rec(&day[0], "recA", "T1", AT_21, 1000, "confirmed");
    rec(&day[1], "recB", "T2", AT_21, 2000, "confirmed");

    memset(&want, 0, sizeof(want));
    want.date = (cerebro_date_t) { 2030, 6, 1 };
    want.minutes = 21 * 60;
    want.party = 2;

    n = cerebro_rec_to_engine(model, day, 2, NULL, b);
    assert_int_equal(n, 2);
    assert_int_equal(cerebro_rec_decide(model, b, n, AT_21 - 86400, &want,
                                        &answer, &e),
                     CEREBRO_STORE_CONFLICT);

    n = cerebro_rec_to_engine(model, day, 2, "recB", b);
    assert_int_equal(n, 1);
    assert_int_equal(cerebro_rec_decide(model, b, n, AT_21 - 86400, &want,
                                        &answer, &e),
                     CEREBRO_STORE_OK);
    assert_string_equal(answer.slot.name, "T2");

    want.party = 0;
    assert_int_equal(cerebro_rec_decide(model, b, n, AT_21 - 86400, &want,
                                        &answer, &e),
                     CEREBRO_STORE_INVALID);
}


/* a guest's preferences: one list, each entry once, never another's */
static void
test_preferences_and_names(void **state)
{
    char  list[32];

    (void) state;

    list[0] = '\0';
    assert_int_equal(cerebro_rec_prefs_add(list, sizeof(list), "terraza"), 1);
    assert_int_equal(cerebro_rec_prefs_add(list, sizeof(list), "TERRAZA"), 0);
    assert_int_equal(cerebro_rec_prefs_add(list, sizeof(list), "sin gluten"),
                     1);
    assert_string_equal(list, "terraza; sin gluten");
    assert_int_equal(cerebro_rec_prefs_add(list, sizeof(list), "sin gluten"),
                     0);

    /* no room, an empty one, one holding the separator: unchanged */
    assert_int_equal(cerebro_rec_prefs_add(list, sizeof(list),
                                           "alergia al marisco"), -1);
    assert_int_equal(cerebro_rec_prefs_add(list, sizeof(list), ""), -1);
    assert_int_equal(cerebro_rec_prefs_add(list, sizeof(list), "a; b"), -1);
    assert_string_equal(list, "terraza; sin gluten");

    assert_true(cerebro_rec_same_name("Ana García", " ana garcía "));
    assert_false(cerebro_rec_same_name("Ana", "Luis"));
    assert_false(cerebro_rec_same_name("Ana", "Ana María"));
    assert_false(cerebro_rec_same_name("", "Ana"));
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_earlier_writer_keeps_the_table),
        cmocka_unit_test(test_ties_are_broken_by_id_and_losers_block_nobody),
        cmocka_unit_test(test_no_overlap_no_conflict),
        cmocka_unit_test(test_the_covers_of_a_quarter_hour_are_settled),
        cmocka_unit_test(test_the_booking_a_move_replaces_holds_nothing),
        cmocka_unit_test(test_decide_leaves_out_the_booking_moved),
        cmocka_unit_test(test_preferences_and_names),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
