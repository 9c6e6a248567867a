/*
 * cerebro_tz: TZif reading, POSIX footer rules, both conversions, and the
 * two DST days of 2026 in Europe/Madrid checked against the known offsets.
 * glibc's localtime_r (with TZ set, fine in a test process) is the oracle
 * for the randomized comparison.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cerebro_tz.h"


static cerebro_tz_t  madrid;


static int64_t
utc(int y, int mo, int d, int h, int mi)
{
    return cerebro_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}


static void
test_load_errors(void **state)
{
    cerebro_tz_t  tz;
    char          err[256];

    (void) state;

    assert_int_equal(cerebro_tz_load(&tz, NULL, "Europe/Nowhere", err,
                                     sizeof(err)), -1);
    assert_non_null(strstr(err, "Europe/Nowhere"));

    assert_int_equal(cerebro_tz_load(&tz, NULL, "../../etc/passwd", err,
                                     sizeof(err)), -1);
    assert_non_null(strstr(err, "invalid time zone name"));

    assert_int_equal(cerebro_tz_load(&tz, NULL, "/etc/passwd", err,
                                     sizeof(err)), -1);
    assert_int_equal(cerebro_tz_load(&tz, NULL, "", err, sizeof(err)), -1);

    assert_int_equal(cerebro_tz_parse(&tz, (const unsigned char *) "TZif2",
                                      5, err, sizeof(err)), -1);
    assert_int_equal(cerebro_tz_parse(&tz, (const unsigned char *) "hello "
                     "world, this is not a zone file at all, really", 50,
                     err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a TZif"));

    assert_int_equal(cerebro_tz_set_posix(&tz, "CET-1CEST,M3.5.0", err,
                                          sizeof(err)), -1);
    assert_int_equal(cerebro_tz_set_posix(&tz, "C-1", err, sizeof(err)), -1);
    assert_int_equal(cerebro_tz_set_posix(&tz, "CET-1CEST,M13.5.0,M10.5.0",
                                          err, sizeof(err)), -1);
}


static void
expect_local(const cerebro_tz_t *tz, int64_t t, int y, int mo, int d,
    int h, int mi, int32_t off)
{
    cerebro_local_t  l;

    cerebro_tz_to_local(tz, t, &l);
    assert_int_equal(l.date.year, y);
    assert_int_equal(l.date.month, mo);
    assert_int_equal(l.date.day, d);
    assert_int_equal(l.minutes, h * 60 + mi);
    assert_int_equal(l.utoff, off);
}


static void
check_madrid_2026(const cerebro_tz_t *tz)
{
    int              flags;
    cerebro_date_t   d;
    cerebro_local_t  l;

    /* winter: CET, +1 */
    expect_local(tz, utc(2026, 1, 15, 12, 0), 2026, 1, 15, 13, 0, 3600);

    /* spring forward: 2026-03-29 01:00 UTC, 02:00 CET -> 03:00 CEST */
    expect_local(tz, utc(2026, 3, 29, 0, 59), 2026, 3, 29, 1, 59, 3600);
    expect_local(tz, utc(2026, 3, 29, 1, 0), 2026, 3, 29, 3, 0, 7200);
    cerebro_tz_to_local(tz, utc(2026, 3, 29, 1, 0), &l);
    assert_true(l.isdst);
    assert_int_equal(l.wday, 0);

    /* autumn back: 2026-10-25 01:00 UTC, 03:00 CEST -> 02:00 CET */
    expect_local(tz, utc(2026, 10, 25, 0, 59), 2026, 10, 25, 2, 59, 7200);
    expect_local(tz, utc(2026, 10, 25, 1, 0), 2026, 10, 25, 2, 0, 3600);
    cerebro_tz_to_local(tz, utc(2026, 10, 25, 1, 0), &l);
    assert_false(l.isdst);

    /* late at night: UTC day and local day differ */
    expect_local(tz, utc(2026, 11, 27, 23, 30), 2026, 11, 28, 0, 30, 3600);
    expect_local(tz, utc(2026, 12, 31, 23, 0), 2027, 1, 1, 0, 0, 3600);

    /* local -> UTC on an ordinary day */
    d = (cerebro_date_t) { 2026, 11, 28 };
    assert_true(cerebro_tz_from_local(tz, &d, 21 * 60, &flags)
                == utc(2026, 11, 28, 20, 0));
    assert_int_equal(flags, 0);

    d = (cerebro_date_t) { 2026, 7, 10 };
    assert_true(cerebro_tz_from_local(tz, &d, 21 * 60, &flags)
                == utc(2026, 7, 10, 19, 0));
    assert_int_equal(flags, 0);

    /* the non-existent 02:30 reads as 03:30 CEST = 01:30 UTC */
    d = (cerebro_date_t) { 2026, 3, 29 };
    assert_true(cerebro_tz_from_local(tz, &d, 2 * 60 + 30, &flags)
                == utc(2026, 3, 29, 1, 30));
    assert_int_equal(flags, CEREBRO_TZ_GAP);
    expect_local(tz, utc(2026, 3, 29, 1, 30), 2026, 3, 29, 3, 30, 7200);

    /* either side of the gap are ordinary */
    assert_true(cerebro_tz_from_local(tz, &d, 1 * 60 + 59, &flags)
                == utc(2026, 3, 29, 0, 59));
    assert_int_equal(flags, 0);
    assert_true(cerebro_tz_from_local(tz, &d, 3 * 60, &flags)
                == utc(2026, 3, 29, 1, 0));
    assert_int_equal(flags, 0);
    assert_true(cerebro_tz_from_local(tz, &d, 21 * 60, &flags)
                == utc(2026, 3, 29, 19, 0));

    /* the repeated 02:30 reads as its first occurrence, 00:30 UTC */
    d = (cerebro_date_t) { 2026, 10, 25 };
    assert_true(cerebro_tz_from_local(tz, &d, 2 * 60 + 30, &flags)
                == utc(2026, 10, 25, 0, 30));
    assert_int_equal(flags, CEREBRO_TZ_REPEATED);
    assert_true(cerebro_tz_from_local(tz, &d, 3 * 60, &flags)
                == utc(2026, 10, 25, 2, 0));
    assert_int_equal(flags, 0);
    assert_true(cerebro_tz_from_local(tz, &d, 21 * 60, &flags)
                == utc(2026, 10, 25, 20, 0));

    /* minutes past 1440 roll into the next day (services past midnight) */
    d = (cerebro_date_t) { 2026, 3, 28 };
    assert_true(cerebro_tz_from_local(tz, &d, 1440 + 60, &flags)
                == utc(2026, 3, 29, 0, 0));
}


static void
test_madrid_file(void **state)
{
    (void) state;

    assert_string_equal(madrid.name, "Europe/Madrid");
    assert_true(madrid.has_footer);
    assert_int_equal(madrid.std_off, 3600);
    assert_int_equal(madrid.dst_off, 7200);
    check_madrid_2026(&madrid);

    /* far past the last transition of a fat file: the footer answers */
    expect_local(&madrid, utc(2060, 7, 1, 12, 0), 2060, 7, 1, 14, 0, 7200);
    expect_local(&madrid, utc(2060, 12, 1, 12, 0), 2060, 12, 1, 13, 0, 3600);
}


static void
test_posix_only(void **state)
{
    cerebro_tz_t  tz;
    char          err[160];

    (void) state;

    assert_int_equal(cerebro_tz_set_posix(&tz, "CET-1CEST,M3.5.0,M10.5.0/3",
                                          err, sizeof(err)), 0);
    check_madrid_2026(&tz);

    /* southern hemisphere, quoted names, J and zero-based rules */
    assert_int_equal(cerebro_tz_set_posix(&tz,
                     "AEST-10AEDT,M10.1.0,M4.1.0/3", err, sizeof(err)), 0);
    expect_local(&tz, utc(2026, 1, 10, 0, 0), 2026, 1, 10, 11, 0, 39600);
    expect_local(&tz, utc(2026, 7, 10, 0, 0), 2026, 7, 10, 10, 0, 36000);

    assert_int_equal(cerebro_tz_set_posix(&tz, "<-03>3", err,
                                          sizeof(err)), 0);
    expect_local(&tz, utc(2026, 1, 10, 2, 0), 2026, 1, 9, 23, 0, -10800);

    assert_int_equal(cerebro_tz_set_posix(&tz, "XST5XDT,J60/2,300/-1:30",
                                          err, sizeof(err)), 0);
    assert_int_equal(cerebro_tz_set_posix(&tz, "EST5EDT", err,
                                          sizeof(err)), 0);
    expect_local(&tz, utc(2026, 7, 1, 16, 0), 2026, 7, 1, 12, 0, -14400);
}


static size_t
put32(unsigned char *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
    return 4;
}


/*
 * A "slim" v2 file as zic -b slim writes it: an empty v1 block, a 64-bit
 * block with one transition in 1996 (CET -> CET rules) and the footer.
 */
static size_t
build_slim(unsigned char *buf)
{
    size_t  n;
    int     v;

    memset(buf, 0, 512);
    n = 0;

    /* v1 header with no data */
    memcpy(buf, "TZif2", 5);
    n = 44;

    /* v2 header */
    memcpy(buf + n, "TZif2", 5);
    put32(buf + n + 20, 0);    /* isutcnt */
    put32(buf + n + 24, 0);    /* isstdcnt */
    put32(buf + n + 28, 0);    /* leapcnt */
    put32(buf + n + 32, 1);    /* timecnt */
    put32(buf + n + 36, 2);    /* typecnt */
    put32(buf + n + 40, 8);    /* charcnt */
    n += 44;

    /* one transition at 1996-10-27 01:00 UTC to CET */
    put32(buf + n, 0);
    n += 4;
    n += put32(buf + n, (uint32_t) utc(1996, 10, 27, 1, 0));
    buf[n++] = 1;

    for (v = 0; v < 2; v++) {
        n += put32(buf + n, v == 0 ? 7200 : 3600);
        buf[n++] = v == 0;
        buf[n++] = v == 0 ? 0 : 5;
    }

    memcpy(buf + n, "CEST\0CET", 8);
    n += 8;

    memcpy(buf + n, "\nCET-1CEST,M3.5.0,M10.5.0/3\n", 28);
    n += 28;

    return n;
}


static void
test_slim_file(void **state)
{
    unsigned char  buf[512];
    size_t         n;
    cerebro_tz_t   tz;
    char           err[160];

    (void) state;

    n = build_slim(buf);
    assert_int_equal(cerebro_tz_parse(&tz, buf, n, err, sizeof(err)), 0);
    assert_int_equal(tz.ntrans, 1);
    check_madrid_2026(&tz);

    /* before the only transition, type 0 (CEST here) */
    expect_local(&tz, utc(1996, 8, 1, 0, 0), 1996, 8, 1, 2, 0, 7200);

    /* truncations are refused, never read past the end */
    for (size_t cut = 0; cut < n; cut++) {
        assert_int_equal(cerebro_tz_parse(&tz, buf, cut, err,
                                          sizeof(err)), -1);
    }
}


static void
compare_with_libc(const char *zone)
{
    int              i;
    int64_t          t, back;
    struct tm        tm;
    time_t           tt;
    cerebro_tz_t     tz;
    cerebro_local_t  l;
    char             err[256];

    assert_int_equal(cerebro_tz_load(&tz, NULL, zone, err, sizeof(err)), 0);

    setenv("TZ", zone, 1);
    tzset();

    srand(20261128);

    for (i = 0; i < 20000; i++) {
        /* 1980 .. 2100, beyond the fat file's 2037 */
        t = 315532800LL + (int64_t) ((double) rand() / RAND_MAX
                                     * 3786912000.0);
        tt = (time_t) t;
        localtime_r(&tt, &tm);
        cerebro_tz_to_local(&tz, t, &l);

        assert_int_equal(l.utoff, tm.tm_gmtoff);
        assert_int_equal(l.date.year, tm.tm_year + 1900);
        assert_int_equal(l.date.month, tm.tm_mon + 1);
        assert_int_equal(l.date.day, tm.tm_mday);
        assert_int_equal(l.minutes, tm.tm_hour * 60 + tm.tm_min);
        assert_int_equal(l.wday, tm.tm_wday);
        assert_int_equal(l.isdst, tm.tm_isdst > 0);

        /* every existing local minute maps back to itself or earlier */
        back = cerebro_tz_from_local(&tz, &l.date, l.minutes, NULL);
        assert_true(back == t - l.seconds || back < t);
    }

    unsetenv("TZ");
    tzset();
}


static void
test_against_libc(void **state)
{
    (void) state;

    compare_with_libc("Europe/Madrid");
    compare_with_libc("America/New_York");
    compare_with_libc("Australia/Sydney");
    compare_with_libc("Atlantic/Canary");
    compare_with_libc("UTC");
}


int
main(void)
{
    char  err[256];

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_madrid_file),
        cmocka_unit_test(test_posix_only),
        cmocka_unit_test(test_slim_file),
        cmocka_unit_test(test_against_libc),
    };

    if (cerebro_tz_load(&madrid, NULL, "Europe/Madrid", err, sizeof(err))
        != 0)
    {
        fprintf(stderr, "%s\n", err);
        return 1;
    }

    return cmocka_run_group_tests(tests, NULL, NULL);
}
