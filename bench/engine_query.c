/*
 * Cost of one availability query with alternatives: 40 tables, 300
 * bookings on the asked day.  Two cases: the asked slot is taken (the
 * nearest alternatives are found around it), and the whole dinner service
 * is taken (every slot of it is evaluated, then the following days).
 * Each in random order (the engine reads every booking for every slot)
 * and sorted by start, as the tools pass a day (the engine searches the
 * bookings that can touch a slot).  Prints the median over several runs;
 * the target is under 20 us.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cerebro_engine.h"


#define NTABLES    40
#define NBOOKINGS  300
#define RUNS       9
#define ITERS      2000


static int64_t
utc(int y, int mo, int d, int h, int mi)
{
    return cerebro_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}


static double
now_us(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}


static int
cmp_double(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}


static double measure(const cerebro_restaurant_t *r,
    const cerebro_booking_t *bk, const cerebro_request_t *req, int64_t now,
    cerebro_answer_t *a);


static int
cmp_start(const void *a, const void *b)
{
    const cerebro_booking_t  *x = a, *y = b;

    return (x->start > y->start) - (x->start < y->start);
}


/* the query on bk as it is, then on a copy sorted by start */
static void
report(const char *what, cerebro_restaurant_t *r, cerebro_booking_t *bk,
    cerebro_request_t *req, int64_t now)
{
    double             us, sorted_us;
    cerebro_answer_t   a, b;
    cerebro_booking_t  sorted[NBOOKINGS];

    us = measure(r, bk, req, now, &a);

    memcpy(sorted, bk, sizeof(sorted));
    qsort(sorted, NBOOKINGS, sizeof(cerebro_booking_t), cmp_start);
    sorted_us = measure(r, sorted, req, now, &b);

    printf("engine_query: 40 tables, 300 bookings, %-19s %6.2f us/query "
           "random order, %6.2f us sorted (median of %d x %d), reason=%s, "
           "%d alternatives (%d same day)%s\n", what, us, sorted_us, RUNS,
           ITERS, cerebro_reason_name(a.reason), a.nalts, a.nsame,
           a.reason == b.reason && a.nalts == b.nalts ? ""
                                                      : " SORTED DIFFERS");
}


static cerebro_restaurant_t *
make_model(void)
{
    int                    i, cap;
    char                  *json, *p, err[256];
    cerebro_restaurant_t  *r;

    json = malloc(65536);
    p = json;
    p += sprintf(p, "{\"name\":\"Bench\",\"timezone\":\"Europe/Madrid\","
                 "\"services\":{");

    for (i = 0; i < 7; i++) {
        static const char  *days[] = { "sunday", "monday", "tuesday",
                                       "wednesday", "thursday", "friday",
                                       "saturday" };

        p += sprintf(p, "%s\"%s\":[{\"start\":\"13:00\",\"end\":\"16:00\","
                     "\"last_seating\":\"15:30\"},{\"start\":\"20:00\","
                     "\"end\":\"00:30\",\"last_seating\":\"23:00\"}]",
                     i ? "," : "", days[i]);
    }

    p += sprintf(p, "},\"tables\":[");

    for (i = 0; i < NTABLES; i++) {
        cap = i % 4 == 3 ? 6 : (i % 2 ? 4 : 2);
        p += sprintf(p, "%s{\"name\":\"T%d\",\"capacity_min\":1,"
                     "\"capacity_max\":%d,\"location\":\"%s\"}",
                     i ? "," : "", i + 1, cap, i < 28 ? "sala" : "terraza");
    }

    p += sprintf(p, "],\"groups\":[");

    for (i = 0; i < 8; i++) {
        p += sprintf(p, "%s{\"name\":\"G%d\",\"tables\":[\"T%d\",\"T%d\"],"
                     "\"capacity_min\":5,\"capacity_max\":10}",
                     i ? "," : "", i + 1, 2 * i + 2, 2 * i + 4);
    }

    p += sprintf(p, "],\"turn_times\":{\"default\":120,\"by_party\":["
                 "{\"max_party\":2,\"minutes\":90},{\"max_party\":4,"
                 "\"minutes\":105},{\"max_party\":8,\"minutes\":150}]},"
                 "\"pacing\":{\"max_covers_per_slot\":60},"
                 "\"booking_window\":{\"min_lead_minutes\":30,"
                 "\"max_days_ahead\":60},\"max_party\":10}");

    r = cerebro_restaurant_load(json, strlen(json), NULL, err, sizeof(err));
    free(json);

    if (r == NULL) {
        fprintf(stderr, "model: %s\n", err);
        exit(1);
    }

    return r;
}


static double
measure(const cerebro_restaurant_t *r, const cerebro_booking_t *bk,
    const cerebro_request_t *req, int64_t now, cerebro_answer_t *a)
{
    int     run, i;
    double  t0, samples[RUNS];

    for (run = 0; run < RUNS; run++) {
        t0 = now_us();

        for (i = 0; i < ITERS; i++) {
            cerebro_engine_query(r, bk, NBOOKINGS, now, req, a);
        }

        samples[run] = (now_us() - t0) / ITERS;
    }

    qsort(samples, RUNS, sizeof(double), cmp_double);

    return samples[RUNS / 2];
}


int
main(void)
{
    int                    i, t, m;
    int64_t                now, day0;
    uint64_t               all;
    cerebro_request_t      req;
    cerebro_booking_t      bk[NBOOKINGS];
    cerebro_restaurant_t  *r;

    r = make_model();
    srand(42);

    now = utc(2026, 11, 20, 10, 0);
    day0 = utc(2026, 11, 27, 0, 0) - 3600;     /* local midnight, CET */
    all = ((uint64_t) 1 << NTABLES) - 1;

    /* case 1: 299 random bookings over the day, one holding every table
     * at 21:00 so that the asked slot fails */
    for (i = 0; i < NBOOKINGS; i++) {
        t = rand() % NTABLES;
        m = rand() % 2 ? 13 * 60 + 15 * (rand() % 11)
                       : 20 * 60 + 15 * (rand() % 13);
        bk[i].start = day0 + m * 60;
        bk[i].end = 0;
        bk[i].party = 1 + rand() % 6;
        bk[i].tables = (uint64_t) 1 << t;
        bk[i].status = rand() % 20 ? CEREBRO_BOOKING_ACTIVE
                                   : CEREBRO_BOOKING_CANCELLED;
    }

    bk[0].start = day0 + 21 * 3600;
    bk[0].tables = all;
    bk[0].party = 2;
    bk[0].status = CEREBRO_BOOKING_ACTIVE;

    req.date = (cerebro_date_t) { 2026, 11, 27 };
    req.minutes = 21 * 60;
    req.party = 4;
    req.location = "terraza";

    report("asked slot full:", r, bk, &req, now);

    /* case 2: the whole dinner service taken (every table held from
     * 19:30 to 00:30 by the first 40 bookings) */
    for (i = 0; i < NTABLES; i++) {
        bk[i].start = day0 + (19 * 60 + 30) * 60;
        bk[i].end = day0 + (24 * 60 + 30) * 60;
        bk[i].tables = (uint64_t) 1 << i;
        bk[i].status = CEREBRO_BOOKING_ACTIVE;
    }

    report("whole dinner full:", r, bk, &req, now);

    /* case 3: the asked slot is free (no alternatives computed) */
    req.minutes = 14 * 60;
    report("slot free:", r, bk, &req, now);

    cerebro_restaurant_free(r);

    return 0;
}
