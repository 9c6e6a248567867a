/*
 * cerebro_engine: every availability rule on the demo restaurant and on
 * small fixtures (past midnight, DST nights), then a randomized week of
 * bookings taken from the engine's own offers, checked for double bookings
 * and pacing.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cerebro_engine.h"


#define MAXB  8192

static cerebro_restaurant_t  *demo;
static cerebro_restaurant_t  *night;
static cerebro_booking_t      bk[MAXB];
static int                    nbk;


static const char  *night_json =
    "{\"name\":\"Noche\",\"timezone\":\"Europe/Madrid\","
    "\"services\":{"
    "\"friday\":[{\"start\":\"20:00\",\"end\":\"02:00\","
    "\"last_seating\":\"01:00\"}],"
    "\"saturday\":[{\"start\":\"20:00\",\"end\":\"03:00\","
    "\"last_seating\":\"02:30\"}],"
    "\"sunday\":[{\"start\":\"13:00\",\"end\":\"16:00\","
    "\"last_seating\":\"15:00\"}]},"
    "\"tables\":[{\"name\":\"A\",\"capacity_min\":1,\"capacity_max\":4,"
    "\"location\":\"sala\"}],"
    "\"turn_times\":{\"default\":120},"
    "\"booking_window\":{\"min_lead_minutes\":30,\"max_days_ahead\":400},"
    "\"max_party\":4}";


static int64_t
utc(int y, int mo, int d, int h, int mi)
{
    return cerebro_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}


static void
ask(const cerebro_restaurant_t *r, int64_t now, int y, int mo, int d,
    int h, int mi, int party, const char *loc, cerebro_answer_t *a)
{
    cerebro_request_t  req;

    req.date = (cerebro_date_t) { y, mo, d };
    req.minutes = h * 60 + mi;
    req.party = party;
    req.location = loc;
    cerebro_engine_query(r, bk, nbk, now, &req, a);
}


static void
book(const cerebro_restaurant_t *r, int64_t start, int party,
    const char *table)
{
    uint64_t  mask;

    assert_true(cerebro_engine_tables_for_name(r, table, &mask, NULL, 0) > 0);
    bk[nbk].start = start;
    bk[nbk].end = 0;
    bk[nbk].party = party;
    bk[nbk].tables = mask;
    bk[nbk].status = CEREBRO_BOOKING_ACTIVE;
    nbk++;
}


static void
slot_is(const cerebro_slot_t *s, int y, int mo, int d, int h, int mi,
    const char *name, int line)
{
    if (s->date.year != y || s->date.month != mo || s->date.day != d
        || s->minutes != h * 60 + mi
        || (name != NULL && (s->name == NULL || strcmp(s->name, name) != 0)))
    {
        fail_msg("line %d: got %04d-%02d-%02d %02d:%02d %s, want "
                 "%04d-%02d-%02d %02d:%02d %s", line, s->date.year,
                 s->date.month, s->date.day, s->minutes / 60,
                 s->minutes % 60, s->name ? s->name : "-", y, mo, d, h, mi,
                 name ? name : "*");
    }
}

#define expect_slot(s, y, mo, d, h, mi, name)                              \
    slot_is(s, y, mo, d, h, mi, name, __LINE__)


static int
reset(void **state)
{
    (void) state;
    nbk = 0;
    return 0;
}


/* Friday 2026-11-20, 11:00 in Madrid */
#define NOW  utc(2026, 11, 20, 10, 0)


static void
test_best_table(void **state)
{
    cerebro_answer_t  a;

    (void) state;

    ask(demo, NOW, 2026, 11, 27, 21, 0, 4, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_OK);
    expect_slot(&a.slot, 2026, 11, 27, 21, 0, "T3");
    assert_true(a.slot.start == utc(2026, 11, 27, 20, 0));
    assert_true(a.slot.end == a.slot.start + 105 * 60);
    assert_int_equal(a.slot.seats, 4);
    assert_int_equal(a.slot.group, -1);
    assert_string_equal(a.slot.service, "cena");
    assert_int_equal(a.nalts, 0);

    /* location preference */
    ask(demo, NOW, 2026, 11, 27, 21, 0, 4, "terraza", &a);
    expect_slot(&a.slot, 2026, 11, 27, 21, 0, "T12");
    assert_true(a.slot.location_match);
    assert_string_equal(a.slot.location, "terraza");

    /* best fit: 2 at a two-top, 1 cannot take a table whose minimum is 2 */
    ask(demo, NOW, 2026, 11, 27, 21, 0, 2, NULL, &a);
    expect_slot(&a.slot, 2026, 11, 27, 21, 0, "T1");
    ask(demo, NOW, 2026, 11, 27, 21, 0, 1, "terraza", &a);
    expect_slot(&a.slot, 2026, 11, 27, 21, 0, "T10");

    /* single table before groups; group only above every table */
    ask(demo, NOW, 2026, 11, 27, 21, 0, 6, NULL, &a);
    expect_slot(&a.slot, 2026, 11, 27, 21, 0, "T7");
    ask(demo, NOW, 2026, 11, 27, 21, 0, 3, NULL, &a);
    expect_slot(&a.slot, 2026, 11, 27, 21, 0, "T3");
    ask(demo, NOW, 2026, 11, 27, 21, 0, 7, NULL, &a);
    expect_slot(&a.slot, 2026, 11, 27, 21, 0, "T3+T4");
    assert_int_equal(a.slot.table, -1);
    assert_true(a.slot.group >= 0);
    assert_true(a.slot.end == a.slot.start + 150 * 60);
    ask(demo, NOW, 2026, 11, 27, 21, 0, 8, "terraza", &a);
    expect_slot(&a.slot, 2026, 11, 27, 21, 0, "T12+T13");

    /* lunch, and Sunday lunch */
    ask(demo, NOW, 2026, 11, 29, 14, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_OK);
    assert_string_equal(a.slot.service, "comida");
    assert_true(a.slot.start == utc(2026, 11, 29, 13, 0));

    /* last seating is bookable, a minute later is not */
    ask(demo, NOW, 2026, 11, 27, 23, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_OK);
    ask(demo, NOW, 2026, 11, 27, 23, 1, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_CLOSED);
    assert_false(a.day_closed);
}


static void
test_invalid_and_large(void **state)
{
    cerebro_answer_t  a;

    (void) state;

    ask(demo, NOW, 2026, 11, 27, 21, 0, 9, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_TOO_LARGE);
    assert_int_equal(a.nalts, 0);

    ask(demo, NOW, 2026, 11, 27, 21, 0, 0, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_INVALID);
    ask(demo, NOW, 2026, 11, 27, 21, 0, -3, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_INVALID);
    ask(demo, NOW, 2026, 11, 27, 21, 0, 5000, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_INVALID);
    ask(demo, NOW, 2026, 2, 30, 21, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_INVALID);
    ask(demo, NOW, 2026, 11, 27, 24, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_INVALID);
    assert_int_equal(a.nalts, 0);
}


static void
test_closed(void **state)
{
    cerebro_answer_t  a;

    (void) state;

    /* Monday: closed all day, same time on the next open days */
    ask(demo, NOW, 2026, 11, 30, 21, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_CLOSED);
    assert_true(a.day_closed);
    assert_int_equal(a.nsame, 0);
    assert_int_equal(a.nalts, 3);
    expect_slot(&a.alts[0], 2026, 12, 1, 21, 0, "T1");
    expect_slot(&a.alts[1], 2026, 12, 2, 21, 0, NULL);
    expect_slot(&a.alts[2], 2026, 12, 3, 21, 0, NULL);

    /* Friday 18:00, between services: nearest times of that day */
    ask(demo, NOW, 2026, 11, 27, 18, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_CLOSED);
    assert_false(a.day_closed);
    assert_int_equal(a.nsame, 3);
    assert_int_equal(a.nalts, 3);
    expect_slot(&a.alts[0], 2026, 11, 27, 20, 0, NULL);
    expect_slot(&a.alts[1], 2026, 11, 27, 20, 15, NULL);
    expect_slot(&a.alts[2], 2026, 11, 27, 20, 30, NULL);

    /* Friday 16:00: lunch's last seating is nearer than dinner */
    ask(demo, NOW, 2026, 11, 27, 16, 0, 2, NULL, &a);
    expect_slot(&a.alts[0], 2026, 11, 27, 14, 30, NULL);
    expect_slot(&a.alts[1], 2026, 11, 27, 14, 45, NULL);
    expect_slot(&a.alts[2], 2026, 11, 27, 15, 0, NULL);

    /* Sunday dinner does not exist */
    ask(demo, NOW, 2026, 11, 29, 21, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_CLOSED);
    assert_false(a.day_closed);
    expect_slot(&a.alts[2], 2026, 11, 29, 15, 30, NULL);

    /* Christmas closure with its note; Christmas Eve lunch only */
    ask(demo, utc(2026, 12, 1, 10, 0), 2026, 12, 25, 14, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_CLOSED);
    assert_true(a.day_closed);
    assert_non_null(a.special);
    assert_string_equal(a.special->note, "Navidad");
    expect_slot(&a.alts[0], 2026, 12, 26, 14, 0, NULL);

    ask(demo, utc(2026, 12, 1, 10, 0), 2026, 12, 24, 21, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_CLOSED);
    assert_false(a.day_closed);
    assert_int_equal(a.nsame, 3);
    expect_slot(&a.alts[0], 2026, 12, 24, 14, 0, NULL);
    expect_slot(&a.alts[2], 2026, 12, 24, 14, 30, NULL);
    /* 25 closed, 26 Saturday, 27 no dinner, 28 Monday, 29 Tuesday */
    assert_int_equal(a.nalts, 6);
    expect_slot(&a.alts[3], 2026, 12, 26, 21, 0, NULL);
    expect_slot(&a.alts[4], 2026, 12, 29, 21, 0, NULL);
    expect_slot(&a.alts[5], 2026, 12, 30, 21, 0, NULL);

    ask(demo, utc(2026, 12, 1, 10, 0), 2027, 1, 1, 14, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_CLOSED);
    assert_true(a.day_closed);
}


static void
test_lead_time_past_window(void **state)
{
    int64_t           now;
    cerebro_answer_t  a;

    (void) state;

    /* Friday 2026-11-27 20:45 in Madrid */
    now = utc(2026, 11, 27, 19, 45);

    ask(demo, now, 2026, 11, 27, 21, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_TOO_SOON);
    assert_int_equal(a.nsame, 3);
    expect_slot(&a.alts[0], 2026, 11, 27, 21, 15, NULL);
    expect_slot(&a.alts[1], 2026, 11, 27, 21, 30, NULL);
    expect_slot(&a.alts[2], 2026, 11, 27, 21, 45, NULL);
    expect_slot(&a.alts[3], 2026, 11, 28, 21, 0, NULL);

    /* exactly the lead time is fine */
    ask(demo, now, 2026, 11, 27, 21, 15, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_OK);

    ask(demo, now, 2026, 11, 27, 20, 30, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_PAST);
    expect_slot(&a.alts[0], 2026, 11, 27, 21, 15, NULL);

    ask(demo, now, 2026, 11, 26, 21, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_PAST);
    assert_int_equal(a.nalts, 0);

    /* 60 days ahead is the last bookable day; then nothing further */
    ask(demo, NOW, 2027, 1, 19, 21, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_OK);
    ask(demo, NOW, 2027, 1, 20, 21, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_TOO_FAR);
    assert_int_equal(a.nalts, 0);
    ask(demo, NOW, 2027, 1, 18, 21, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_CLOSED);
    assert_int_equal(a.nalts - a.nsame, 1);     /* the 19th, not the 20th */
    expect_slot(&a.alts[a.nsame], 2027, 1, 19, 21, 0, NULL);
}


static void
test_group_table_blocking(void **state)
{
    int64_t           t21;
    cerebro_answer_t  a;

    (void) state;

    t21 = utc(2026, 11, 27, 20, 0);

    /* a booked table blocks every group containing it (the bookings
     * start in other quarters, so pacing stays out of the way) */
    book(demo, t21 - 15 * 60, 4, "T3");             /* 20:45-22:30 */
    ask(demo, NOW, 2026, 11, 27, 21, 0, 7, NULL, &a);
    expect_slot(&a.slot, 2026, 11, 27, 21, 0, "T5+T6");

    /* a booked group blocks its tables */
    book(demo, t21 - 30 * 60, 7, "T5+T6");          /* 20:30-23:00 */
    ask(demo, NOW, 2026, 11, 27, 21, 0, 4, NULL, &a);
    expect_slot(&a.slot, 2026, 11, 27, 21, 0, "T4");
    ask(demo, NOW, 2026, 11, 27, 21, 0, 7, NULL, &a);
    expect_slot(&a.slot, 2026, 11, 27, 21, 0, "T12+T13");

    /* an overlapping booking (started earlier) blocks too */
    book(demo, t21 - 60 * 60, 2, "T12");            /* 20:00-21:30 */
    ask(demo, NOW, 2026, 11, 27, 21, 0, 7, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_FULL);

    /* 7 guests need 150 min: T12+T13 is free from 21:30 */
    assert_int_equal(a.nsame, 3);
    expect_slot(&a.alts[0], 2026, 11, 27, 21, 30, "T12+T13");
    expect_slot(&a.alts[1], 2026, 11, 27, 21, 45, "T12+T13");
    expect_slot(&a.alts[2], 2026, 11, 27, 22, 0, "T12+T13");
    assert_int_equal(a.nalts, 6);
    expect_slot(&a.alts[3], 2026, 11, 28, 21, 0, "T3+T4");
    expect_slot(&a.alts[4], 2026, 12, 1, 21, 0, NULL);
    expect_slot(&a.alts[5], 2026, 12, 2, 21, 0, NULL);

    /* a cancelled booking frees its tables */
    bk[0].status = CEREBRO_BOOKING_CANCELLED;
    ask(demo, NOW, 2026, 11, 27, 21, 0, 7, NULL, &a);
    expect_slot(&a.slot, 2026, 11, 27, 21, 0, "T3+T4");
}


static void
test_overlap_edges(void **state)
{
    cerebro_answer_t  a;

    (void) state;

    /* two guests at T1 from 20:00 (90 min): free again at 21:30 */
    book(demo, utc(2026, 11, 27, 19, 0), 2, "T1");
    ask(demo, NOW, 2026, 11, 27, 21, 15, 2, NULL, &a);
    expect_slot(&a.slot, 2026, 11, 27, 21, 15, "T2");
    ask(demo, NOW, 2026, 11, 27, 21, 30, 2, NULL, &a);
    expect_slot(&a.slot, 2026, 11, 27, 21, 30, "T1");

    /* a booking at 21:30 for 90 minutes: 20:00 ends exactly then */
    book(demo, utc(2026, 11, 27, 20, 30), 2, "T2");
    ask(demo, NOW, 2026, 11, 27, 20, 0, 2, NULL, &a);
    expect_slot(&a.slot, 2026, 11, 27, 20, 0, "T2");
    ask(demo, NOW, 2026, 11, 27, 20, 15, 2, NULL, &a);
    expect_slot(&a.slot, 2026, 11, 27, 20, 15, "T9");

    /* an explicit end overrides the turn time */
    bk[nbk - 1].end = utc(2026, 11, 27, 23, 59);
    assert_true(cerebro_engine_booking_end(demo, &bk[nbk - 1])
                == utc(2026, 11, 27, 23, 59));
    ask(demo, NOW, 2026, 11, 27, 22, 45, 2, NULL, &a);
    expect_slot(&a.slot, 2026, 11, 27, 22, 45, "T1");
    assert_true(cerebro_engine_booking_end(demo, &bk[0])
                == utc(2026, 11, 27, 20, 30));
}


static void
test_location_fallback(void **state)
{
    cerebro_answer_t  a;

    (void) state;

    book(demo, utc(2026, 11, 27, 20, 0), 2, "T10");
    book(demo, utc(2026, 11, 27, 20, 0), 2, "T11");

    /* a four-top on the terrace beats a two-top indoors when asked */
    ask(demo, NOW, 2026, 11, 27, 21, 0, 2, "terraza", &a);
    expect_slot(&a.slot, 2026, 11, 27, 21, 0, "T12");
    assert_true(a.slot.location_match);

    /* nothing left outside for two: indoors, and the answer says so */
    book(demo, utc(2026, 11, 27, 19, 45), 4, "T12");
    book(demo, utc(2026, 11, 27, 19, 45), 4, "T13");
    ask(demo, NOW, 2026, 11, 27, 21, 0, 2, "terraza", &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_OK);
    expect_slot(&a.slot, 2026, 11, 27, 21, 0, "T1");
    assert_false(a.slot.location_match);
    assert_string_equal(a.slot.location, "sala");
}


static void
test_pacing(void **state)
{
    cerebro_answer_t  a;

    (void) state;

    /* 14 covers starting in the 21:00 quarter (one at 21:10), with no
     * table assigned: they count for pacing only */
    book(demo, utc(2026, 11, 27, 20, 0), 8, "T3+T4");
    book(demo, utc(2026, 11, 27, 20, 10), 6, "T7");
    /* 20:59 and 21:15 are other quarters */
    book(demo, utc(2026, 11, 27, 19, 59), 8, "T5+T6");
    book(demo, utc(2026, 11, 27, 20, 15), 6, "T8");

    ask(demo, NOW, 2026, 11, 27, 21, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_OK);
    ask(demo, NOW, 2026, 11, 27, 21, 0, 3, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_FULL);
    /* 20:45 has 8 covers, 21:15 has 6, 20:30 none: the three nearest,
     * read in clock order */
    assert_int_equal(a.nsame, 3);
    expect_slot(&a.alts[0], 2026, 11, 27, 20, 30, NULL);
    expect_slot(&a.alts[1], 2026, 11, 27, 20, 45, "T12");
    expect_slot(&a.alts[2], 2026, 11, 27, 21, 15, NULL);

    /* unassigned bookings count for pacing */
    bk[nbk].start = utc(2026, 11, 27, 20, 5);
    bk[nbk].end = 0;
    bk[nbk].party = 2;
    bk[nbk].tables = 0;
    bk[nbk].status = CEREBRO_BOOKING_ACTIVE;
    nbk++;
    ask(demo, NOW, 2026, 11, 27, 21, 0, 1, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_FULL);

    /* and cancelled ones do not */
    bk[nbk - 1].status = CEREBRO_BOOKING_CANCELLED;
    ask(demo, NOW, 2026, 11, 27, 21, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_OK);
}


static void
test_midnight_and_dst(void **state)
{
    int64_t           now;
    cerebro_answer_t  a;

    (void) state;

    now = utc(2026, 3, 1, 10, 0);

    /* Saturday 00:30 belongs to Friday's service */
    ask(night, now, 2026, 3, 21, 0, 30, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_OK);
    expect_slot(&a.slot, 2026, 3, 21, 0, 30, "A");
    assert_true(a.slot.start == utc(2026, 3, 20, 23, 30));

    /* 01:30 is after Friday's last seating: the nearest before it */
    ask(night, now, 2026, 3, 21, 1, 30, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_CLOSED);
    assert_false(a.day_closed);
    assert_int_equal(a.nsame, 3);
    expect_slot(&a.alts[0], 2026, 3, 21, 0, 30, NULL);
    expect_slot(&a.alts[2], 2026, 3, 21, 1, 0, NULL);

    /* a Friday 23:00 booking (120 min) blocks Saturday 00:30 */
    book(night, utc(2026, 3, 20, 22, 0), 2, "A");
    ask(night, now, 2026, 3, 21, 0, 30, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_FULL);
    expect_slot(&a.alts[0], 2026, 3, 20, 20, 45, NULL);
    expect_slot(&a.alts[1], 2026, 3, 20, 21, 0, NULL);
    expect_slot(&a.alts[2], 2026, 3, 21, 1, 0, NULL);
    expect_slot(&a.alts[3], 2026, 3, 22, 0, 30, NULL);

    /* spring forward, Sunday 2026-03-29: Saturday's service runs into
     * the missing hour; 02:30 does not exist and is read as 03:30 CEST */
    nbk = 0;
    ask(night, now, 2026, 3, 29, 2, 30, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_OK);
    assert_true(a.slot.start == utc(2026, 3, 29, 1, 30));
    expect_slot(&a.slot, 2026, 3, 29, 3, 30, NULL);

    ask(night, now, 2026, 3, 29, 1, 0, 2, NULL, &a);
    assert_true(a.slot.start == utc(2026, 3, 29, 0, 0));
    ask(night, now, 2026, 3, 29, 14, 0, 2, NULL, &a);
    assert_true(a.slot.start == utc(2026, 3, 29, 12, 0));
    ask(night, now, 2026, 3, 28, 21, 0, 2, NULL, &a);
    assert_true(a.slot.start == utc(2026, 3, 28, 20, 0));

    /* the turn is measured in real time: 23:00 CET + 120 min ends at
     * 00:00 UTC, which is 01:00 CET; 00:45 overlaps, 01:00 does not */
    book(night, utc(2026, 3, 28, 22, 0), 2, "A");
    ask(night, now, 2026, 3, 29, 0, 45, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_FULL);
    expect_slot(&a.alts[0], 2026, 3, 29, 1, 0, NULL);
    expect_slot(&a.alts[1], 2026, 3, 29, 1, 15, NULL);
    expect_slot(&a.alts[2], 2026, 3, 29, 1, 30, NULL);
    ask(night, now, 2026, 3, 29, 1, 0, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_OK);

    /* fall back, Sunday 2026-10-25: 02:30 happens twice, first taken */
    nbk = 0;
    ask(night, now, 2026, 10, 25, 2, 30, 2, NULL, &a);
    assert_int_equal(a.reason, CEREBRO_AVAIL_OK);
    assert_true(a.slot.start == utc(2026, 10, 25, 0, 30));
    ask(night, now, 2026, 10, 25, 14, 0, 2, NULL, &a);
    assert_true(a.slot.start == utc(2026, 10, 25, 13, 0));
    ask(night, now, 2026, 10, 24, 21, 0, 2, NULL, &a);
    assert_true(a.slot.start == utc(2026, 10, 24, 19, 0));
}


static void
test_names_and_hours(void **state)
{
    int             idx[8];
    uint64_t        m;
    cerebro_date_t  d;

    (void) state;

    assert_int_equal(cerebro_engine_tables_for_name(demo, "T4", &m, idx, 8),
                     1);
    assert_true(m == 1u << 3);
    assert_int_equal(idx[0], 3);
    assert_int_equal(cerebro_engine_tables_for_name(demo, "T3+T4", &m, idx,
                                                    8), 2);
    assert_true(m == ((1u << 2) | (1u << 3)));
    assert_int_equal(cerebro_engine_tables_for_name(demo, " t12 , T13", &m,
                                                    idx, 8), 2);
    assert_int_equal(idx[0], 11);
    assert_int_equal(idx[1], 12);
    assert_int_equal(cerebro_engine_tables_for_name(demo, "T1+T9", &m, idx,
                                                    8), 2);
    assert_int_equal(cerebro_engine_tables_for_name(demo, "T99", &m, idx, 8),
                     -1);
    assert_true(m == 0);
    assert_int_equal(cerebro_engine_tables_for_name(demo, "T1+", &m, idx, 8),
                     -1);
    assert_int_equal(cerebro_engine_tables_for_name(demo, "", &m, idx, 8),
                     -1);
    assert_int_equal(cerebro_engine_tables_for_name(demo, NULL, &m, idx, 8),
                     -1);

    /* ambiguous hours */
    d = (cerebro_date_t) { 2026, 11, 27 };
    assert_int_equal(cerebro_engine_resolve_hour(demo, &d, 9 * 60), 21 * 60);
    assert_int_equal(cerebro_engine_resolve_hour(demo, &d, 21 * 60),
                     21 * 60);
    assert_int_equal(cerebro_engine_resolve_hour(demo, &d, 60), 13 * 60);
    assert_int_equal(cerebro_engine_resolve_hour(demo, &d, 30), 12 * 60 + 30);
    d = (cerebro_date_t) { 2026, 11, 28 };
    assert_int_equal(cerebro_engine_resolve_hour(demo, &d, 4 * 60), 16 * 60);
    d = (cerebro_date_t) { 2026, 11, 29 };
    assert_int_equal(cerebro_engine_resolve_hour(demo, &d, 2 * 60), 14 * 60);
    assert_int_equal(cerebro_engine_resolve_hour(demo, &d, 9 * 60), 21 * 60);
    /* Saturday "la una": Friday's late service, not a lunch that is not */
    d = (cerebro_date_t) { 2026, 3, 21 };
    assert_int_equal(cerebro_engine_resolve_hour(night, &d, 60), 60);
    assert_int_equal(cerebro_engine_resolve_hour(night, &d, -1), -1);

    assert_int_equal(cerebro_booking_status_from_string("cancelled"),
                     CEREBRO_BOOKING_CANCELLED);
    assert_int_equal(cerebro_booking_status_from_string("Cancelada"),
                     CEREBRO_BOOKING_CANCELLED);
    assert_int_equal(cerebro_booking_status_from_string("canceled"),
                     CEREBRO_BOOKING_CANCELLED);
    assert_int_equal(cerebro_booking_status_from_string("anulada"),
                     CEREBRO_BOOKING_CANCELLED);
    assert_int_equal(cerebro_booking_status_from_string("confirmed"),
                     CEREBRO_BOOKING_ACTIVE);
    assert_int_equal(cerebro_booking_status_from_string(NULL),
                     CEREBRO_BOOKING_ACTIVE);
    assert_string_equal(cerebro_reason_name(CEREBRO_AVAIL_TOO_SOON),
                        "too_soon");
}


/*
 * 20,000 random requests over a week, booking what the engine offers (the
 * slot, or one of the alternatives), cancelling now and then; afterwards
 * no table holds two overlapping bookings and no quarter hour exceeds the
 * pacing limit.
 */
static void
test_randomized_week(void **state)
{
    int                i, j, k, ok, alts, cancels, covers;
    int64_t            now, si, ei, sj, ej, q;
    cerebro_answer_t   a;
    cerebro_request_t  req;
    const cerebro_slot_t  *s;
    static const char *locs[] = { NULL, "sala", "terraza", "" };

    (void) state;

    srand(20261127);
    now = utc(2026, 11, 23, 9, 0);     /* Monday morning */
    ok = alts = cancels = 0;

    for (i = 0; i < 20000 && nbk < MAXB; i++) {
        req.date = (cerebro_date_t) { 2026, 11, 24 + rand() % 7 };
        if (req.date.day > 30) {
            req.date = (cerebro_date_t) { 2026, 12, req.date.day - 30 };
        }

        req.minutes = rand() % 3 == 0 ? rand() % 1440
                                      : (12 + rand() % 13) * 60
                                        + 15 * (rand() % 4);
        req.minutes %= 1440;
        req.party = 1 + rand() % 9;
        req.location = locs[rand() % 4];

        cerebro_engine_query(demo, bk, nbk, now, &req, &a);

        if (a.reason == CEREBRO_AVAIL_OK) {
            s = &a.slot;
            ok++;

        } else if (a.nalts > 0) {
            s = &a.alts[rand() % a.nalts];
            alts++;

        } else {
            continue;
        }

        assert_true(s->start >= now + 30 * 60);
        assert_true(req.party <= s->seats);

        bk[nbk].start = s->start;
        bk[nbk].end = rand() % 2 ? 0 : s->end;
        bk[nbk].party = req.party;
        bk[nbk].tables = s->tables;
        bk[nbk].status = CEREBRO_BOOKING_ACTIVE;
        nbk++;

        if (rand() % 10 == 0) {
            bk[rand() % nbk].status = CEREBRO_BOOKING_CANCELLED;
            cancels++;
        }
    }

    print_message("randomized: %d bookings (%d asked, %d alternatives), "
                  "%d cancellations\n", nbk, ok, alts, cancels);
    assert_true(nbk > 300);
    assert_true(alts > 100);

    for (i = 0; i < nbk; i++) {
        if (bk[i].status == CEREBRO_BOOKING_CANCELLED) {
            continue;
        }

        si = bk[i].start;
        ei = cerebro_engine_booking_end(demo, &bk[i]);
        q = si - si % 900;
        covers = 0;

        for (j = 0; j < nbk; j++) {
            if (bk[j].status == CEREBRO_BOOKING_CANCELLED) {
                continue;
            }

            sj = bk[j].start;
            ej = cerebro_engine_booking_end(demo, &bk[j]);

            if (sj >= q && sj < q + 900) {
                covers += bk[j].party;
            }

            if (j == i || !(bk[i].tables & bk[j].tables)) {
                continue;
            }

            k = si < ej && sj < ei;
            if (k) {
                fail_msg("bookings %d and %d overlap on tables %llx", i, j,
                         (unsigned long long) (bk[i].tables & bk[j].tables));
            }
        }

        assert_true(covers <= demo->pacing_covers);
    }
}


static int
by_start(const void *one, const void *two)
{
    const cerebro_booking_t  *a = one, *b = two;

    return (a->start > b->start) - (a->start < b->start);
}


static void
same_answer(const cerebro_answer_t *x, const cerebro_answer_t *y, int q)
{
    int  i;

    if (x->reason != y->reason || x->nalts != y->nalts
        || x->nsame != y->nsame || x->slot.start != y->slot.start
        || x->slot.tables != y->slot.tables)
    {
        fail_msg("query %d: reason %d/%d, %d/%d alternatives, slot "
                 "%lld/%lld", q, x->reason, y->reason, x->nalts, y->nalts,
                 (long long) x->slot.start, (long long) y->slot.start);
    }

    for (i = 0; i < x->nalts; i++) {
        if (x->alts[i].start != y->alts[i].start
            || x->alts[i].tables != y->alts[i].tables)
        {
            fail_msg("query %d: alternative %d differs", q, i);
        }
    }
}


/*
 * Bookings sorted by start are searched by time, any other order is read
 * whole: both must give the same answer, over crowded random days with
 * cancellations, explicit ends, unassigned and joined tables.
 */
static void
test_sorted_matches_scan(void **state)
{
    int                 i, full;
    char                name[16];
    int64_t             now, day0;
    uint64_t            mask;
    cerebro_answer_t    a, b;
    cerebro_request_t   req;
    static cerebro_booking_t  sorted[MAXB];

    (void) state;

    srand(20261128);
    now = utc(2026, 11, 23, 9, 0);
    day0 = utc(2026, 11, 24, 0, 0);

    for (nbk = 0; nbk < 1500; nbk++) {
        snprintf(name, sizeof(name), rand() % 8 ? "T%d" : "T%d+T4",
                 1 + rand() % 14);
        if (cerebro_engine_tables_for_name(demo, name, &mask, NULL, 0) < 0) {
            mask = 0;
        }

        bk[nbk].start = day0 + (rand() % (7 * 96)) * 900
                        + (rand() % 4 == 0 ? 60 * (rand() % 15) : 0);
        bk[nbk].end = rand() % 3 ? 0
                                 : bk[nbk].start + 60 * (30 + rand() % 300);
        bk[nbk].party = 1 + rand() % 8;
        bk[nbk].tables = rand() % 10 ? mask : 0;
        bk[nbk].status = rand() % 6 ? CEREBRO_BOOKING_ACTIVE
                                    : CEREBRO_BOOKING_CANCELLED;
    }

    memcpy(sorted, bk, nbk * sizeof(cerebro_booking_t));
    qsort(sorted, nbk, sizeof(cerebro_booking_t), by_start);

    full = 0;

    for (i = 0; i < 3000; i++) {
        req.date = (cerebro_date_t) { 2026, 11, 24 + rand() % 7 };
        if (req.date.day > 30) {
            req.date = (cerebro_date_t) { 2026, 12, req.date.day - 30 };
        }

        req.minutes = (rand() % 96) * 15 + rand() % 15;
        req.party = 1 + rand() % 8;
        req.location = rand() % 3 ? NULL : "terraza";

        /* a third of the queries on a prefix: fewer, still sorted */
        cerebro_engine_query(demo, bk, i % 3 ? nbk : nbk / 3, now, &req,
                             &a);
        full += a.reason == CEREBRO_AVAIL_FULL;

        if (i % 3) {
            cerebro_engine_query(demo, sorted, nbk, now, &req, &b);

        } else {
            /* the same bookings as the prefix, sorted */
            memcpy(sorted, bk, (nbk / 3) * sizeof(cerebro_booking_t));
            qsort(sorted, nbk / 3, sizeof(cerebro_booking_t), by_start);
            cerebro_engine_query(demo, sorted, nbk / 3, now, &req, &b);
            memcpy(sorted, bk, nbk * sizeof(cerebro_booking_t));
            qsort(sorted, nbk, sizeof(cerebro_booking_t), by_start);
        }

        same_answer(&a, &b, i);
    }

    print_message("sorted and scanned: 3000 queries agree, %d full\n", full);

    /* the days were crowded enough for the window to matter */
    assert_true(full > 100);
}


int
main(void)
{
    char    *json, err[256];
    size_t   len;
    FILE    *f;
    int      rc;

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_best_table, reset),
        cmocka_unit_test_setup(test_invalid_and_large, reset),
        cmocka_unit_test_setup(test_closed, reset),
        cmocka_unit_test_setup(test_lead_time_past_window, reset),
        cmocka_unit_test_setup(test_group_table_blocking, reset),
        cmocka_unit_test_setup(test_overlap_edges, reset),
        cmocka_unit_test_setup(test_location_fallback, reset),
        cmocka_unit_test_setup(test_pacing, reset),
        cmocka_unit_test_setup(test_midnight_and_dst, reset),
        cmocka_unit_test_setup(test_names_and_hours, reset),
        cmocka_unit_test_setup(test_randomized_week, reset),
        cmocka_unit_test_setup(test_sorted_matches_scan, reset),
    };

    f = fopen("conf/restaurant.json", "rb");
    if (f == NULL) {
        fprintf(stderr, "run from the repository root\n");
        return 1;
    }

    json = malloc(1 << 20);
    len = fread(json, 1, 1 << 20, f);
    fclose(f);

    demo = cerebro_restaurant_load(json, len, NULL, err, sizeof(err));
    night = cerebro_restaurant_load(night_json, strlen(night_json), NULL,
                                    err, sizeof(err));
    free(json);

    if (demo == NULL || night == NULL) {
        fprintf(stderr, "fixture: %s\n", err);
        return 1;
    }

    rc = cmocka_run_group_tests(tests, NULL, NULL);

    cerebro_restaurant_free(demo);
    cerebro_restaurant_free(night);

    return rc;
}
