/*
 * Civil calendar arithmetic and the Spanish way of reading a date back.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cerebro_civil.h"


static void
test_days_round_trip(void **state)
{
    int64_t         days;
    cerebro_date_t  d;

    (void) state;

    assert_int_equal(cerebro_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(cerebro_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(cerebro_days_from_civil(1969, 12, 31), -1);

    for (days = -800000; days < 800000; days += 7) {
        cerebro_civil_from_days(days, &d);
        assert_true(cerebro_date_valid(&d) || d.year < 1900 || d.year > 9999);
        assert_int_equal(cerebro_days_from_civil(d.year, d.month, d.day),
                         days);
    }
}


static void
test_weekday_agrees_with_libc(void **state)
{
    int             i;
    time_t          t;
    struct tm       tm;
    cerebro_date_t  d;

    (void) state;

    /* every day from 1901 to 2100 against gmtime_r */
    for (i = -25202; i < 47482; i++) {
        t = (time_t) i * 86400;
        gmtime_r(&t, &tm);
        d.year = tm.tm_year + 1900;
        d.month = tm.tm_mon + 1;
        d.day = tm.tm_mday;
        assert_int_equal(cerebro_weekday(&d), tm.tm_wday);
        assert_int_equal(cerebro_days_from_civil(d.year, d.month, d.day), i);
    }
}


static void
test_month_lengths_and_validity(void **state)
{
    cerebro_date_t  feb29_2028 = { 2028, 2, 29 };
    cerebro_date_t  feb29_2026 = { 2026, 2, 29 };
    cerebro_date_t  feb31 = { 2026, 2, 31 };
    cerebro_date_t  month13 = { 2026, 13, 1 };
    cerebro_date_t  day0 = { 2026, 1, 0 };

    (void) state;

    assert_int_equal(cerebro_days_in_month(2026, 2), 28);
    assert_int_equal(cerebro_days_in_month(2028, 2), 29);
    assert_int_equal(cerebro_days_in_month(1900, 2), 28);
    assert_int_equal(cerebro_days_in_month(2000, 2), 29);
    assert_int_equal(cerebro_days_in_month(2026, 4), 30);
    assert_int_equal(cerebro_days_in_month(2026, 0), 0);
    assert_int_equal(cerebro_days_in_month(2026, 13), 0);

    assert_true(cerebro_date_valid(&feb29_2028));
    assert_false(cerebro_date_valid(&feb29_2026));
    assert_false(cerebro_date_valid(&feb31));
    assert_false(cerebro_date_valid(&month13));
    assert_false(cerebro_date_valid(&day0));
}


static void
test_add_days_and_compare(void **state)
{
    cerebro_date_t  nye = { 2026, 12, 31 };
    cerebro_date_t  next, back;

    (void) state;

    next = cerebro_date_add_days(&nye, 1);
    assert_int_equal(next.year, 2027);
    assert_int_equal(next.month, 1);
    assert_int_equal(next.day, 1);

    back = cerebro_date_add_days(&next, -366);
    assert_int_equal(back.year, 2025);
    assert_int_equal(back.month, 12);
    assert_int_equal(back.day, 31);

    assert_int_equal(cerebro_date_cmp(&nye, &next), -1);
    assert_int_equal(cerebro_date_cmp(&next, &nye), 1);
    assert_int_equal(cerebro_date_cmp(&nye, &nye), 0);
}


static void
test_spanish_reading(void **state)
{
    char            buf[64];
    cerebro_date_t  friday = { 2026, 11, 27 };
    cerebro_date_t  new_year = { 2027, 1, 1 };
    cerebro_date_t  wednesday = { 2026, 12, 2 };

    (void) state;

    cerebro_date_format_es(buf, sizeof(buf), &friday, 2026);
    assert_string_equal(buf, "viernes 27 de noviembre");

    cerebro_date_format_es(buf, sizeof(buf), &new_year, 2026);
    assert_string_equal(buf, "viernes 1 de enero de 2027");

    cerebro_date_format_es(buf, sizeof(buf), &wednesday, 2026);
    assert_string_equal(buf, "miércoles 2 de diciembre");

    /* truncation stays a terminated string */
    assert_true(cerebro_date_format_es(buf, 8, &friday, 2026) > 7);
    assert_int_equal(strlen(buf), 7);

    cerebro_date_format_iso(buf, sizeof(buf), &new_year);
    assert_string_equal(buf, "2027-01-01");

    assert_string_equal(cerebro_weekday_name_es(6), "sábado");
    assert_string_equal(cerebro_weekday_name_es(7), "");
    assert_string_equal(cerebro_month_name_es(9), "septiembre");
    assert_string_equal(cerebro_month_name_es(0), "");
}


/* written by hand now: the same bytes and length as snprintf, cut or not */
static void
test_spanish_reading_as_snprintf(void **state)
{
    int             i, ref, n1, n2;
    char            a[64], b[64];
    size_t          size;
    cerebro_date_t  start = { 1999, 12, 25 }, d;
    cerebro_date_t  odd[] = { { -44, 3, 15 }, { 0, 1, 1 }, { 2026, 13, 0 },
                              { 123456, 2, 29 } };

    (void) state;

    for (i = 0; i < 3000 + 4; i++) {
        d = i < 3000 ? cerebro_date_add_days(&start, i * 5) : odd[i - 3000];

        for (ref = 2025; ref <= 2027; ref++) {
            for (size = 0; size <= sizeof(a); size += (size < 40 ? 1 : 24)) {
                memset(a, 'x', sizeof(a));
                memset(b, 'x', sizeof(b));

                n1 = cerebro_date_format_es(a, size, &d, ref);

                if (d.year == ref) {
                    n2 = snprintf(b, size, "%s %d de %s",
                                  cerebro_weekday_name_es(cerebro_weekday(&d)),
                                  d.day, cerebro_month_name_es(d.month));

                } else {
                    n2 = snprintf(b, size, "%s %d de %s de %d",
                                  cerebro_weekday_name_es(cerebro_weekday(&d)),
                                  d.day, cerebro_month_name_es(d.month),
                                  d.year);
                }

                assert_int_equal(n1, n2);
                assert_memory_equal(a, b, sizeof(a));
            }
        }
    }
}


/* digit by digit as snprintf's "%04d-%02d-%02d", and snprintf beyond */
static void
test_iso_format_as_printf(void **state)
{
    int             year, month, day, n, m;
    char            ours[32], theirs[32];
    size_t          size;
    cerebro_date_t  d;

    static const int  years[] = { -1, 0, 7, 99, 1900, 2026, 9999, 10000 };
    static const size_t  sizes[] = { 32, 11, 10, 5, 1 };

    (void) state;

    for (year = 0; year < (int) (sizeof(years) / sizeof(years[0])); year++) {
        for (month = -1; month <= 100; month++) {
            for (day = -1; day <= 100; day += 3) {
                for (size = 0; size < sizeof(sizes) / sizeof(sizes[0]);
                     size++)
                {
                    d.year = years[year];
                    d.month = month;
                    d.day = day;

                    memset(ours, 'x', sizeof(ours));
                    memset(theirs, 'x', sizeof(theirs));
                    n = cerebro_date_format_iso(ours, sizes[size], &d);
                    m = snprintf(theirs, sizes[size], "%04d-%02d-%02d",
                                 d.year, d.month, d.day);

                    assert_int_equal(n, m);
                    assert_memory_equal(ours, theirs, sizeof(ours));
                }
            }
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_days_round_trip),
        cmocka_unit_test(test_iso_format_as_printf),
        cmocka_unit_test(test_weekday_agrees_with_libc),
        cmocka_unit_test(test_month_lengths_and_validity),
        cmocka_unit_test(test_add_days_and_compare),
        cmocka_unit_test(test_spanish_reading),
        cmocka_unit_test(test_spanish_reading_as_snprintf),
    };

    return cmocka_run_group_tests_name("civil", tests, NULL, NULL);
}
