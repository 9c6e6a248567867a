/*
 * The guest's Spanish dates and times. Expected dates are worked out by
 * hand from the rules in cerebro_spanish.h (weekdays checked against
 * Python's datetime): 2026-11-27 is a Friday, 2026-12-31 a Thursday,
 * 2027-01-31 a Sunday, 2028-02-28 a Monday, 2028-02-29 a Tuesday.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cerebro_spanish.h"


#define NY   CEREBRO_ES_DATE_NEXT_YEAR
#define WT   CEREBRO_ES_DATE_WEEKDAY_TODAY
#define AMB  CEREBRO_ES_TIME_AMBIGUOUS
#define PER  CEREBRO_ES_TIME_PERIOD


typedef struct {
    const char       *in;
    cerebro_es_rc_t   rc;
    int               y, m, d;      /* when rc is OK or WEEKDAY_MISMATCH */
    unsigned          flags;        /* NEXT_YEAR / WEEKDAY_TODAY, exact */
} date_case_t;

typedef struct {
    const char       *in;
    cerebro_es_rc_t   rc;
    int               hh, mm;
    unsigned          flags;        /* exact */
} time_case_t;


static void
run_dates(const cerebro_date_t *today, const date_case_t *c, size_t n)
{
    cerebro_es_date_t  out;
    cerebro_es_rc_t    rc;
    size_t             i;
    int                failed;

    failed = 0;

    for (i = 0; i < n; i++) {
        rc = cerebro_es_parse_date(c[i].in, strlen(c[i].in), today, &out);

        if (rc != c[i].rc) {
            print_error("today %d-%02d-%02d \"%s\": got %s, want %s\n",
                        today->year, today->month, today->day, c[i].in,
                        cerebro_es_rc_name(rc), cerebro_es_rc_name(c[i].rc));
            failed++;
            continue;
        }

        if (rc != CEREBRO_ES_OK && rc != CEREBRO_ES_WEEKDAY_MISMATCH) {
            continue;
        }

        if (out.date.year != c[i].y || out.date.month != c[i].m
            || out.date.day != c[i].d
            || (out.flags & (NY | WT)) != c[i].flags
            || out.weekday != cerebro_weekday(&out.date))
        {
            print_error("today %d-%02d-%02d \"%s\": got %d-%02d-%02d f%x,"
                        " want %d-%02d-%02d f%x\n", today->year,
                        today->month, today->day, c[i].in, out.date.year,
                        out.date.month, out.date.day, out.flags, c[i].y,
                        c[i].m, c[i].d, c[i].flags);
            failed++;
        }
    }

    assert_int_equal(failed, 0);
}


static void
run_times(const time_case_t *c, size_t n)
{
    cerebro_es_time_t  out;
    cerebro_es_rc_t    rc;
    size_t             i;
    int                failed;

    failed = 0;

    for (i = 0; i < n; i++) {
        rc = cerebro_es_parse_time(c[i].in, strlen(c[i].in), &out);

        if (rc != c[i].rc) {
            print_error("\"%s\": got %s, want %s\n", c[i].in,
                        cerebro_es_rc_name(rc), cerebro_es_rc_name(c[i].rc));
            failed++;
            continue;
        }

        if (rc != CEREBRO_ES_OK) {
            continue;
        }

        if (out.minutes != c[i].hh * 60 + c[i].mm || out.flags != c[i].flags)
        {
            print_error("\"%s\": got %02d:%02d f%x, want %02d:%02d f%x\n",
                        c[i].in, out.minutes / 60, out.minutes % 60,
                        out.flags, c[i].hh, c[i].mm, c[i].flags);
            failed++;
        }
    }

    assert_int_equal(failed, 0);
}


#define RUN_DATES(today, cases) \
    run_dates(today, cases, sizeof(cases) / sizeof(cases[0]))


static void
test_dates_friday(void **state)
{
    static const cerebro_date_t  today = { 2026, 11, 27 };
    static const date_case_t     cases[] = {
        { "2026-11-28", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "2026/11/28", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "2026-11-28T21:00:00Z", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "hoy", CEREBRO_ES_OK, 2026, 11, 27, 0 },
        { "HOY", CEREBRO_ES_OK, 2026, 11, 27, 0 },
        { "esta noche", CEREBRO_ES_OK, 2026, 11, 27, 0 },
        { "mañana", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "Mañana", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "MAÑANA", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "manana", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "mañana por la mañana", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "pasado mañana", CEREBRO_ES_OK, 2026, 11, 29, 0 },
        { "pasado manana", CEREBRO_ES_OK, 2026, 11, 29, 0 },
        /* weekday = today: "el viernes" is today, flagged */
        { "viernes", CEREBRO_ES_OK, 2026, 11, 27, WT },
        { "el viernes", CEREBRO_ES_OK, 2026, 11, 27, WT },
        { "este viernes", CEREBRO_ES_OK, 2026, 11, 27, WT },
        { "para el viernes, por favor", CEREBRO_ES_OK, 2026, 11, 27, WT },
        { "el próximo viernes", CEREBRO_ES_OK, 2026, 12, 4, 0 },
        { "el proximo viernes", CEREBRO_ES_OK, 2026, 12, 4, 0 },
        { "el viernes próximo", CEREBRO_ES_OK, 2026, 12, 4, 0 },
        { "el viernes que viene", CEREBRO_ES_OK, 2026, 12, 4, 0 },
        { "el sábado", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "el sabado", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "SÁBADO", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "sa\xcc\x81" "bado", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "el próximo sábado", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "el sábado que viene por la noche", CEREBRO_ES_OK, 2026, 11, 28,
          0 },
        { "el domingo", CEREBRO_ES_OK, 2026, 11, 29, 0 },
        { "lunes", CEREBRO_ES_OK, 2026, 11, 30, 0 },
        { "el martes", CEREBRO_ES_OK, 2026, 12, 1, 0 },
        { "el miércoles", CEREBRO_ES_OK, 2026, 12, 2, 0 },
        { "el miercoles", CEREBRO_ES_OK, 2026, 12, 2, 0 },
        { "MIÉRCOLES", CEREBRO_ES_OK, 2026, 12, 2, 0 },
        { "el jueves", CEREBRO_ES_OK, 2026, 12, 3, 0 },
        { "el viernes de la semana que viene", CEREBRO_ES_OK, 2026, 12, 4,
          0 },
        { "el sábado de la semana que viene", CEREBRO_ES_OK, 2026, 12, 5,
          0 },
        { "la semana que viene, el lunes", CEREBRO_ES_OK, 2026, 11, 30, 0 },
        { "el lunes de la próxima semana", CEREBRO_ES_OK, 2026, 11, 30, 0 },
        { "el domingo de esta semana", CEREBRO_ES_OK, 2026, 11, 29, 0 },
        { "el lunes de esta semana", CEREBRO_ES_PAST, 0, 0, 0, 0 },
        { "28 de noviembre", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "el 28 de noviembre", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "el día 28 de noviembre", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "veintiocho de noviembre", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "27 de noviembre", CEREBRO_ES_OK, 2026, 11, 27, 0 },
        { "26 de noviembre", CEREBRO_ES_OK, 2027, 11, 26, NY },
        { "1 de enero", CEREBRO_ES_OK, 2027, 1, 1, NY },
        { "el primero de diciembre", CEREBRO_ES_OK, 2026, 12, 1, 0 },
        { "treinta y uno de diciembre", CEREBRO_ES_OK, 2026, 12, 31, 0 },
        { "28 de noviembre de 2027", CEREBRO_ES_OK, 2027, 11, 28, 0 },
        { "28 de noviembre del 2027", CEREBRO_ES_OK, 2027, 11, 28, 0 },
        { "28/11", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "28-11", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "1/1", CEREBRO_ES_OK, 2027, 1, 1, NY },
        { "28/11/2026", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "28-11-2026", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "28.11.2026", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "28/11/26", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "el día 3", CEREBRO_ES_OK, 2026, 12, 3, 0 },
        { "día 27", CEREBRO_ES_OK, 2026, 11, 27, 0 },
        { "el dia 30", CEREBRO_ES_OK, 2026, 11, 30, 0 },
        { "el día 31", CEREBRO_ES_OK, 2026, 12, 31, 0 },
        { "el día tres", CEREBRO_ES_OK, 2026, 12, 3, 0 },
        { "el 28 a las 9", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "para el 28", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "el 5", CEREBRO_ES_OK, 2026, 12, 5, 0 },
        { "el 9:30", CEREBRO_ES_NOT_UNDERSTOOD, 0, 0, 0, 0 },
        { "el 4 personas", CEREBRO_ES_NOT_UNDERSTOOD, 0, 0, 0, 0 },
        { "el sábado 28", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "el sábado 28 de noviembre", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "mañana sábado", CEREBRO_ES_OK, 2026, 11, 28, 0 },
        { "mesa para 4 personas el sábado a las 21:30", CEREBRO_ES_OK,
          2026, 11, 28, 0 },
        { "el viernes 4 personas", CEREBRO_ES_OK, 2026, 11, 27, WT },
        /* a weekday that disagrees with the date said with it */
        { "el viernes 28 de noviembre", CEREBRO_ES_WEEKDAY_MISMATCH, 2026,
          11, 28, 0 },
        { "el viernes 28", CEREBRO_ES_WEEKDAY_MISMATCH, 2026, 11, 28, 0 },
        { "mañana viernes", CEREBRO_ES_WEEKDAY_MISMATCH, 2026, 11, 28, 0 },
        /* errors */
        { "31 de febrero", CEREBRO_ES_NONEXISTENT_DATE, 0, 0, 0, 0 },
        { "30 de febrero", CEREBRO_ES_NONEXISTENT_DATE, 0, 0, 0, 0 },
        { "31 de abril", CEREBRO_ES_NONEXISTENT_DATE, 0, 0, 0, 0 },
        { "31/06", CEREBRO_ES_NONEXISTENT_DATE, 0, 0, 0, 0 },
        { "29/02/2027", CEREBRO_ES_NONEXISTENT_DATE, 0, 0, 0, 0 },
        { "29 de febrero", CEREBRO_ES_NONEXISTENT_DATE, 0, 0, 0, 0 },
        { "13/13", CEREBRO_ES_BAD_MONTH, 0, 0, 0, 0 },
        { "28/13/2026", CEREBRO_ES_BAD_MONTH, 0, 0, 0, 0 },
        { "2026-13-01", CEREBRO_ES_BAD_MONTH, 0, 0, 0, 0 },
        { "2026-00-10", CEREBRO_ES_BAD_MONTH, 0, 0, 0, 0 },
        { "28 de noviembr", CEREBRO_ES_BAD_MONTH, 0, 0, 0, 0 },
        { "32 de enero", CEREBRO_ES_BAD_DAY, 0, 0, 0, 0 },
        { "el día 32", CEREBRO_ES_BAD_DAY, 0, 0, 0, 0 },
        { "el día 0", CEREBRO_ES_BAD_DAY, 0, 0, 0, 0 },
        { "0/11", CEREBRO_ES_BAD_DAY, 0, 0, 0, 0 },
        { "el próximo juebes", CEREBRO_ES_UNKNOWN_WEEKDAY, 0, 0, 0, 0 },
        { "el biernes", CEREBRO_ES_UNKNOWN_WEEKDAY, 0, 0, 0, 0 },
        { "el miercols que viene", CEREBRO_ES_UNKNOWN_WEEKDAY, 0, 0, 0, 0 },
        { "el friday que viene", CEREBRO_ES_UNKNOWN_WEEKDAY, 0, 0, 0, 0 },
        { "el viernes o el sábado", CEREBRO_ES_AMBIGUOUS, 0, 0, 0, 0 },
        { "hoy o mañana", CEREBRO_ES_AMBIGUOUS, 0, 0, 0, 0 },
        { "el 28 de noviembre o el 29 de noviembre", CEREBRO_ES_AMBIGUOUS,
          0, 0, 0, 0 },
        { "ayer", CEREBRO_ES_PAST, 0, 0, 0, 0 },
        { "anteayer", CEREBRO_ES_PAST, 0, 0, 0, 0 },
        { "2025-01-01", CEREBRO_ES_PAST, 0, 0, 0, 0 },
        { "2026-11-26", CEREBRO_ES_PAST, 0, 0, 0, 0 },
        { "26 de noviembre de 2026", CEREBRO_ES_PAST, 0, 0, 0, 0 },
        { "26/11/2026", CEREBRO_ES_PAST, 0, 0, 0, 0 },
        { "2031-11-28", CEREBRO_ES_OK, 2031, 11, 28, 0 },
        { "2032-01-01", CEREBRO_ES_OUT_OF_RANGE, 0, 0, 0, 0 },
        { "28 de noviembre de 2099", CEREBRO_ES_OUT_OF_RANGE, 0, 0, 0, 0 },
        { "", CEREBRO_ES_EMPTY, 0, 0, 0, 0 },
        { "   \t\r\n", CEREBRO_ES_EMPTY, 0, 0, 0, 0 },
        { "hola", CEREBRO_ES_NOT_UNDERSTOOD, 0, 0, 0, 0 },
        { "...", CEREBRO_ES_NOT_UNDERSTOOD, 0, 0, 0, 0 },
        { "a las 9 de la noche", CEREBRO_ES_NOT_UNDERSTOOD, 0, 0, 0, 0 },
        { "para 4 personas", CEREBRO_ES_NOT_UNDERSTOOD, 0, 0, 0, 0 },
        { "el finde", CEREBRO_ES_NOT_UNDERSTOOD, 0, 0, 0, 0 },
    };

    (void) state;

    RUN_DATES(&today, cases);
}


static void
test_dates_new_years_eve(void **state)
{
    static const cerebro_date_t  today = { 2026, 12, 31 };
    static const date_case_t     cases[] = {
        { "hoy", CEREBRO_ES_OK, 2026, 12, 31, 0 },
        { "mañana", CEREBRO_ES_OK, 2027, 1, 1, 0 },
        { "pasado mañana", CEREBRO_ES_OK, 2027, 1, 2, 0 },
        { "31 de diciembre", CEREBRO_ES_OK, 2026, 12, 31, 0 },
        { "1 de enero", CEREBRO_ES_OK, 2027, 1, 1, NY },
        { "28 de noviembre", CEREBRO_ES_OK, 2027, 11, 28, NY },
        { "28/11", CEREBRO_ES_OK, 2027, 11, 28, NY },
        { "1 de enero de 2027", CEREBRO_ES_OK, 2027, 1, 1, 0 },
        { "31/12/2026", CEREBRO_ES_OK, 2026, 12, 31, 0 },
        { "30/12/2026", CEREBRO_ES_PAST, 0, 0, 0, 0 },
        { "el día 3", CEREBRO_ES_OK, 2027, 1, 3, 0 },
        { "el día 31", CEREBRO_ES_OK, 2026, 12, 31, 0 },
        { "el día 30", CEREBRO_ES_OK, 2027, 1, 30, 0 },
        { "el viernes", CEREBRO_ES_OK, 2027, 1, 1, 0 },
        { "el jueves", CEREBRO_ES_OK, 2026, 12, 31, WT },
        { "el próximo jueves", CEREBRO_ES_OK, 2027, 1, 7, 0 },
        { "el lunes de la semana que viene", CEREBRO_ES_OK, 2027, 1, 4, 0 },
        { "29 de febrero", CEREBRO_ES_NONEXISTENT_DATE, 0, 0, 0, 0 },
        { "2031-12-31", CEREBRO_ES_OK, 2031, 12, 31, 0 },
        { "2032-01-01", CEREBRO_ES_OUT_OF_RANGE, 0, 0, 0, 0 },
    };

    (void) state;

    RUN_DATES(&today, cases);
}


static void
test_dates_31st_and_leap(void **state)
{
    static const cerebro_date_t  jan31 = { 2027, 1, 31 };
    static const cerebro_date_t  feb28 = { 2028, 2, 28 };
    static const cerebro_date_t  feb29 = { 2028, 2, 29 };
    static const date_case_t     c31[] = {
        { "el día 31", CEREBRO_ES_OK, 2027, 1, 31, 0 },
        /* February 2027 has no 30th nor 29th: March */
        { "el día 30", CEREBRO_ES_OK, 2027, 3, 30, 0 },
        { "el día 29", CEREBRO_ES_OK, 2027, 3, 29, 0 },
        { "el día 1", CEREBRO_ES_OK, 2027, 2, 1, 0 },
        { "mañana", CEREBRO_ES_OK, 2027, 2, 1, 0 },
        { "el domingo", CEREBRO_ES_OK, 2027, 1, 31, WT },
        { "el domingo que viene", CEREBRO_ES_OK, 2027, 2, 7, 0 },
        { "30 de enero", CEREBRO_ES_OK, 2028, 1, 30, NY },
    };
    static const date_case_t     c28[] = {
        { "mañana", CEREBRO_ES_OK, 2028, 2, 29, 0 },
        { "pasado mañana", CEREBRO_ES_OK, 2028, 3, 1, 0 },
        { "29 de febrero", CEREBRO_ES_OK, 2028, 2, 29, 0 },
        { "29/02/2028", CEREBRO_ES_OK, 2028, 2, 29, 0 },
        { "el día 29", CEREBRO_ES_OK, 2028, 2, 29, 0 },
        { "el día 30", CEREBRO_ES_OK, 2028, 3, 30, 0 },
        { "el martes", CEREBRO_ES_OK, 2028, 2, 29, 0 },
        { "30 de febrero", CEREBRO_ES_NONEXISTENT_DATE, 0, 0, 0, 0 },
    };
    static const date_case_t     c29[] = {
        { "hoy", CEREBRO_ES_OK, 2028, 2, 29, 0 },
        { "mañana", CEREBRO_ES_OK, 2028, 3, 1, 0 },
        { "29 de febrero", CEREBRO_ES_OK, 2028, 2, 29, 0 },
        { "28 de febrero", CEREBRO_ES_OK, 2029, 2, 28, NY },
        { "el día 29", CEREBRO_ES_OK, 2028, 2, 29, 0 },
        { "el día 28", CEREBRO_ES_OK, 2028, 3, 28, 0 },
        { "el martes", CEREBRO_ES_OK, 2028, 2, 29, WT },
        { "29/2/2029", CEREBRO_ES_NONEXISTENT_DATE, 0, 0, 0, 0 },
        { "28/02/2028", CEREBRO_ES_PAST, 0, 0, 0, 0 },
    };

    (void) state;

    RUN_DATES(&jan31, c31);
    RUN_DATES(&feb28, c28);
    RUN_DATES(&feb29, c29);
}


static void
test_date_out_fields(void **state)
{
    static const cerebro_date_t  today = { 2026, 11, 27 };
    static const cerebro_date_t  bad = { 2026, 2, 30 };
    cerebro_es_date_t            out;
    char                         buf[64];

    (void) state;

    assert_int_equal(cerebro_es_parse_date("el viernes 28 de noviembre", 26,
                                           &today, &out),
                     CEREBRO_ES_WEEKDAY_MISMATCH);
    assert_int_equal(out.weekday, 6);
    assert_int_equal(out.weekday_said, 5);

    assert_int_equal(cerebro_es_parse_date("el sábado", 10, &today, &out),
                     CEREBRO_ES_OK);
    assert_true(out.flags & CEREBRO_ES_DATE_RELATIVE);
    cerebro_date_format_es(buf, sizeof(buf), &out.date, today.year);
    assert_string_equal(buf, "sábado 28 de noviembre");

    assert_int_equal(cerebro_es_parse_date("28/11", 5, &today, &out),
                     CEREBRO_ES_OK);
    assert_false(out.flags & CEREBRO_ES_DATE_RELATIVE);
    assert_int_equal(out.weekday_said, -1);

    /* a length shorter than the string: only the bytes given count */
    assert_int_equal(cerebro_es_parse_date("28/11/2025", 5, &today, &out),
                     CEREBRO_ES_OK);
    assert_int_equal(out.date.year, 2026);
    assert_int_equal(cerebro_es_parse_date("mañana", 3, &today, &out),
                     CEREBRO_ES_NOT_UNDERSTOOD);

    assert_int_equal(cerebro_es_parse_date("hoy", 3, &bad, &out),
                     CEREBRO_ES_INVALID_ARG);
    assert_int_equal(cerebro_es_parse_date("hoy", 3, NULL, &out),
                     CEREBRO_ES_INVALID_ARG);
    assert_int_equal(cerebro_es_parse_date("hoy", 3, &today, NULL),
                     CEREBRO_ES_INVALID_ARG);
    assert_int_equal(cerebro_es_parse_date(NULL, 0, &today, &out),
                     CEREBRO_ES_EMPTY);
}


static void
test_times(void **state)
{
    static const time_case_t  cases[] = {
        { "21:00", CEREBRO_ES_OK, 21, 0, 0 },
        { "21:00:00", CEREBRO_ES_OK, 21, 0, 0 },
        { "21.30", CEREBRO_ES_OK, 21, 30, 0 },
        { "21h", CEREBRO_ES_OK, 21, 0, 0 },
        { "21 h", CEREBRO_ES_OK, 21, 0, 0 },
        { "21 horas", CEREBRO_ES_OK, 21, 0, 0 },
        { "21h30", CEREBRO_ES_OK, 21, 30, 0 },
        { "a las 21:00h", CEREBRO_ES_OK, 21, 0, 0 },
        { "21", CEREBRO_ES_OK, 21, 0, 0 },
        { "00:00", CEREBRO_ES_OK, 0, 0, 0 },
        { "24:00", CEREBRO_ES_OK, 0, 0, 0 },
        { "09:30", CEREBRO_ES_OK, 9, 30, 0 },
        { "9:30", CEREBRO_ES_OK, 9, 30, AMB },
        { "9h", CEREBRO_ES_OK, 9, 0, AMB },
        { "12:30", CEREBRO_ES_OK, 12, 30, 0 },
        { "9 de la noche", CEREBRO_ES_OK, 21, 0, PER },
        { "nueve de la noche", CEREBRO_ES_OK, 21, 0, PER },
        { "9 de la mañana", CEREBRO_ES_OK, 9, 0, PER },
        { "9 de la manana", CEREBRO_ES_OK, 9, 0, PER },
        { "9:30 de la noche", CEREBRO_ES_OK, 21, 30, PER },
        { "las nueve y media", CEREBRO_ES_OK, 9, 30, AMB },
        { "las nueve y media de la noche", CEREBRO_ES_OK, 21, 30, PER },
        { "nueve y cuarto", CEREBRO_ES_OK, 9, 15, AMB },
        { "nueve menos cuarto", CEREBRO_ES_OK, 8, 45, AMB },
        { "las nueve menos cuarto de la noche", CEREBRO_ES_OK, 20, 45, PER },
        { "a las 3 de la tarde", CEREBRO_ES_OK, 15, 0, PER },
        { "2 y cuarto de la tarde", CEREBRO_ES_OK, 14, 15, PER },
        { "a las dos y cuarto de la tarde", CEREBRO_ES_OK, 14, 15, PER },
        { "a mediodía", CEREBRO_ES_OK, 14, 0, PER },
        { "a mediodia", CEREBRO_ES_OK, 14, 0, PER },
        { "a medio día", CEREBRO_ES_OK, 14, 0, PER },
        { "las doce del mediodía", CEREBRO_ES_OK, 12, 0, PER },
        { "a la una del mediodía", CEREBRO_ES_OK, 13, 0, PER },
        { "a mediodía, a la una", CEREBRO_ES_OK, 13, 0, PER },
        { "medianoche", CEREBRO_ES_OK, 0, 0, PER },
        { "las doce de la noche", CEREBRO_ES_OK, 0, 0, PER },
        { "la una de la noche", CEREBRO_ES_OK, 1, 0, PER },
        { "las 3 de la madrugada", CEREBRO_ES_OK, 3, 0, PER },
        { "la una", CEREBRO_ES_OK, 1, 0, AMB },
        { "la una menos cuarto", CEREBRO_ES_OK, 0, 45, AMB },
        { "las doce", CEREBRO_ES_OK, 12, 0, 0 },
        { "las veintiuna", CEREBRO_ES_OK, 21, 0, 0 },
        { "las veintidós", CEREBRO_ES_OK, 22, 0, 0 },
        { "las veintitrés", CEREBRO_ES_OK, 23, 0, 0 },
        { "las veinticuatro", CEREBRO_ES_OK, 0, 0, 0 },
        { "las trece y media", CEREBRO_ES_OK, 13, 30, 0 },
        { "a las nueve en punto", CEREBRO_ES_OK, 9, 0, AMB },
        { "a las 21 en punto", CEREBRO_ES_OK, 21, 0, 0 },
        { "a las diez y veinte", CEREBRO_ES_OK, 10, 20, AMB },
        { "las nueve y treinta y cinco", CEREBRO_ES_OK, 9, 35, AMB },
        { "las 9 y 10", CEREBRO_ES_OK, 9, 10, AMB },
        { "las 9 menos 10", CEREBRO_ES_OK, 8, 50, AMB },
        { "nueve", CEREBRO_ES_OK, 9, 0, AMB },
        { "a las 9 pm", CEREBRO_ES_OK, 21, 0, PER },
        { "9 p.m.", CEREBRO_ES_OK, 21, 0, PER },
        { "9 am", CEREBRO_ES_OK, 9, 0, PER },
        { "esta noche a las 9", CEREBRO_ES_OK, 21, 0, PER },
        { "el sábado por la noche, a las nueve", CEREBRO_ES_OK, 21, 0,
          PER },
        { "mañana por la tarde a las 5", CEREBRO_ES_OK, 17, 0, PER },
        { "mañana a las 9", CEREBRO_ES_OK, 9, 0, AMB },
        { "mesa para 4 personas el sábado a las 21:30", CEREBRO_ES_OK,
          21, 30, 0 },
        { "a las 9 y 4 personas", CEREBRO_ES_OK, 9, 0, AMB },
        { "a las nueve y cuatro personas", CEREBRO_ES_OK, 9, 0, AMB },
        { "somos 2 y un niño", CEREBRO_ES_NOT_UNDERSTOOD, 0, 0, 0 },
        { "somos 2 y tres", CEREBRO_ES_NOT_UNDERSTOOD, 0, 0, 0 },
        { "las nueve y cinco", CEREBRO_ES_OK, 9, 5, AMB },
        { "el 28.11 a las 21:00", CEREBRO_ES_OK, 21, 0, 0 },
        { "2026-11-28T21:00:00Z", CEREBRO_ES_OK, 21, 0, 0 },
        { "las 9, las 21:00", CEREBRO_ES_OK, 21, 0, 0 },
        { "21:00, a las 9 de la noche", CEREBRO_ES_OK, 21, 0, PER },
        { "A LAS NUEVE Y MEDIA", CEREBRO_ES_OK, 9, 30, AMB },
        /* errors */
        { "a las 9 o a las 10", CEREBRO_ES_AMBIGUOUS, 0, 0, 0 },
        { "por la noche", CEREBRO_ES_VAGUE_TIME, 0, 0, 0 },
        { "esta tarde", CEREBRO_ES_VAGUE_TIME, 0, 0, 0 },
        { "a las 25", CEREBRO_ES_BAD_TIME, 0, 0, 0 },
        { "25:00", CEREBRO_ES_BAD_TIME, 0, 0, 0 },
        { "21:75", CEREBRO_ES_BAD_TIME, 0, 0, 0 },
        { "24:30", CEREBRO_ES_BAD_TIME, 0, 0, 0 },
        { "15 de la mañana", CEREBRO_ES_BAD_TIME, 0, 0, 0 },
        { "las 10 del mediodía", CEREBRO_ES_BAD_TIME, 0, 0, 0 },
        { "", CEREBRO_ES_EMPTY, 0, 0, 0 },
        { "  \n", CEREBRO_ES_EMPTY, 0, 0, 0 },
        { "hola", CEREBRO_ES_NOT_UNDERSTOOD, 0, 0, 0 },
        { "en punto", CEREBRO_ES_NOT_UNDERSTOOD, 0, 0, 0 },
        { "para 4 personas", CEREBRO_ES_NOT_UNDERSTOOD, 0, 0, 0 },
        { "somos las 4 personas", CEREBRO_ES_NOT_UNDERSTOOD, 0, 0, 0 },
        { "28/11", CEREBRO_ES_NOT_UNDERSTOOD, 0, 0, 0 },
        { "mañana", CEREBRO_ES_NOT_UNDERSTOOD, 0, 0, 0 },
    };

    (void) state;

    run_times(cases, sizeof(cases) / sizeof(cases[0]));
}


static void
test_garbage_and_bounds(void **state)
{
    static const cerebro_date_t  today = { 2026, 11, 27 };
    cerebro_es_date_t            d;
    cerebro_es_time_t            t;
    cerebro_es_rc_t              rc;
    unsigned                     seed;
    size_t                       i, n;
    char                        *buf;

    (void) state;

    /* 10 KB: refused, whatever it holds */
    n = 10 * 1024;
    buf = malloc(n);
    assert_non_null(buf);
    memset(buf, 'a', n);
    assert_int_equal(cerebro_es_parse_date(buf, n, &today, &d),
                     CEREBRO_ES_TOO_LONG);
    assert_int_equal(cerebro_es_parse_time(buf, n, &t),
                     CEREBRO_ES_TOO_LONG);

    /* the longest accepted input, as many tokens as possible */
    for (i = 0; i < CEREBRO_ES_MAX_INPUT; i++) {
        buf[i] = (i % 2) ? ' ' : '9';
    }

    assert_int_equal(cerebro_es_parse_date(buf, CEREBRO_ES_MAX_INPUT,
                                           &today, &d),
                     CEREBRO_ES_TOO_LONG);

    /* random bytes: any documented code, dates valid, minutes in range */
    seed = 12345;

    for (n = 0; n < 2000; n++) {
        size_t  len = n % CEREBRO_ES_MAX_INPUT;

        for (i = 0; i < len; i++) {
            seed = seed * 1103515245 + 12345;
            buf[i] = (char) (seed >> 16);
        }

        rc = cerebro_es_parse_date(buf, len, &today, &d);
        assert_true(rc <= CEREBRO_ES_INVALID_ARG);

        if (rc == CEREBRO_ES_OK) {
            assert_true(cerebro_date_valid(&d.date));
            assert_true(cerebro_date_cmp(&d.date, &today) >= 0);
        }

        rc = cerebro_es_parse_time(buf, len, &t);
        assert_true(rc <= CEREBRO_ES_INVALID_ARG);
        assert_true(t.minutes >= 0 && t.minutes < 1440);
    }

    /* broken UTF-8 at the very end must not be read past */
    memcpy(buf, "mañana", 7);
    assert_int_equal(cerebro_es_parse_date(buf, 3, &today, &d),
                     CEREBRO_ES_NOT_UNDERSTOOD);

    free(buf);
}


static void
test_reasons(void **state)
{
    int          rc, other;
    const char  *a, *b;

    (void) state;

    for (rc = CEREBRO_ES_OK; rc <= CEREBRO_ES_INVALID_ARG; rc++) {
        a = cerebro_es_reason((cerebro_es_rc_t) rc, CEREBRO_ES_KIND_DATE);
        b = cerebro_es_reason((cerebro_es_rc_t) rc, CEREBRO_ES_KIND_TIME);
        assert_non_null(a);
        assert_true(strlen(a) > 5 && strlen(b) > 5);
        assert_null(strchr(a, '\n'));
        assert_true(strncmp(cerebro_es_rc_name((cerebro_es_rc_t) rc),
                            "CEREBRO_ES_", 11) == 0);

        /* every code reads differently from every other */
        for (other = CEREBRO_ES_OK; other < rc; other++) {
            assert_string_not_equal(a, cerebro_es_reason(
                                        (cerebro_es_rc_t) other,
                                        CEREBRO_ES_KIND_DATE));
        }
    }

    assert_string_equal(cerebro_es_reason(CEREBRO_ES_PAST,
                                          CEREBRO_ES_KIND_DATE),
                        "esa fecha ya ha pasado");
    assert_string_not_equal(cerebro_es_reason(CEREBRO_ES_EMPTY,
                                              CEREBRO_ES_KIND_DATE),
                            cerebro_es_reason(CEREBRO_ES_EMPTY,
                                              CEREBRO_ES_KIND_TIME));
}


/*
 * "2026-11-28" and "21:30" skip the tokenizer; with a space in front they
 * take the full parsers, which must agree, whatever the digits.
 */
static void
test_iso_shortcuts(void **state)
{
    int                 i, y, m, d, rc1, rc2;
    char                in[32];
    cerebro_date_t      todays[] = { { 2026, 11, 27 }, { 2026, 12, 31 },
                                     { 2028, 2, 28 }, { 2027, 1, 1 } };
    cerebro_es_date_t   d1, d2;
    cerebro_es_time_t   t1, t2;

    (void) state;

    for (i = 0; i < 10000; i++) {
        snprintf(in, sizeof(in), " %02d:%02d", i / 100, i % 100);

        rc1 = cerebro_es_parse_time(in + 1, strlen(in + 1), &t1);
        rc2 = cerebro_es_parse_time(in, strlen(in), &t2);

        assert_int_equal(rc1, rc2);
        assert_int_equal(t1.minutes, t2.minutes);
        assert_int_equal(t1.flags, t2.flags);
    }

    for (i = 0; i < (int) (sizeof(todays) / sizeof(todays[0])); i++) {
        for (y = 2024; y <= 2032; y++) {
            for (m = 0; m <= 13; m++) {
                for (d = 0; d <= 32; d++) {
                    snprintf(in, sizeof(in), " %04d-%02d-%02d", y, m, d);

                    rc1 = cerebro_es_parse_date(in + 1, strlen(in + 1),
                                                &todays[i], &d1);
                    rc2 = cerebro_es_parse_date(in, strlen(in), &todays[i],
                                                &d2);

                    assert_int_equal(rc1, rc2);
                    assert_memory_equal(&d1, &d2, sizeof(d1));
                }
            }
        }
    }
}


/*
 * The rules added for the guest's own words: spans, day numbers in words,
 * named days, past dates. Expected dates worked out by hand and checked
 * against Python's datetime; Easter against python-dateutil.
 */

#define REL  CEREBRO_ES_DATE_RELATIVE


typedef struct {
    const char       *in;
    cerebro_es_rc_t   rc;
    int               y, m, d;      /* for OK, MISMATCH, PAST, OUT_OF_RANGE */
    unsigned          flags;        /* NEXT_YEAR / WEEKDAY_TODAY / RELATIVE */
    int               said;         /* out.weekday_said */
} word_case_t;


static int
dated_rc(cerebro_es_rc_t rc)
{
    return rc == CEREBRO_ES_OK || rc == CEREBRO_ES_WEEKDAY_MISMATCH
           || rc == CEREBRO_ES_PAST || rc == CEREBRO_ES_OUT_OF_RANGE;
}


static void
run_words(const cerebro_date_t *today, int window, const word_case_t *c,
    size_t n)
{
    cerebro_es_date_t  out;
    cerebro_es_rc_t    rc;
    size_t             i;
    int                failed, ok;

    failed = 0;

    for (i = 0; i < n; i++) {
        rc = cerebro_es_parse_date_window(c[i].in, strlen(c[i].in), today,
                                          window, &out);

        if (rc != c[i].rc) {
            print_error("today %d-%02d-%02d \"%s\": got %s, want %s\n",
                        today->year, today->month, today->day, c[i].in,
                        cerebro_es_rc_name(rc), cerebro_es_rc_name(c[i].rc));
            failed++;
            continue;
        }

        if (dated_rc(rc)) {
            ok = out.date.year == c[i].y && out.date.month == c[i].m
                 && out.date.day == c[i].d
                 && out.weekday == cerebro_weekday(&out.date)
                 && out.weekday_said == c[i].said
                 && (rc != CEREBRO_ES_OK
                     || (out.flags & (NY | WT | REL)) == c[i].flags);

        } else {
            /* nothing understood to name: out stays empty */
            ok = out.date.year == 0 && out.date.month == 0
                 && out.date.day == 0 && out.weekday_said == -1;
        }

        if (!ok) {
            print_error("today %d-%02d-%02d \"%s\": got %d-%02d-%02d f%x"
                        " said %d, want %d-%02d-%02d f%x said %d\n",
                        today->year, today->month, today->day, c[i].in,
                        out.date.year, out.date.month, out.date.day,
                        out.flags, out.weekday_said, c[i].y, c[i].m,
                        c[i].d, c[i].flags, c[i].said);
            failed++;
        }
    }

    assert_int_equal(failed, 0);
}


#define RUN_WORDS(today, window, cases) \
    run_words(today, window, cases, sizeof(cases) / sizeof(cases[0]))

#define NU  CEREBRO_ES_NOT_UNDERSTOOD


/* today a Sunday, two days before the month ends */
static void
test_spans_month_end(void **state)
{
    static const cerebro_date_t  today = { 2026, 11, 29 };
    static const word_case_t     cases[] = {
        { "dentro de tres días", CEREBRO_ES_OK, 2026, 12, 2, REL, -1 },
        { "Dentro de 3 dias", CEREBRO_ES_OK, 2026, 12, 2, REL, -1 },
        { "en 3 días", CEREBRO_ES_OK, 2026, 12, 2, REL, -1 },
        { "en tres días", CEREBRO_ES_OK, 2026, 12, 2, REL, -1 },
        { "de aquí a tres días", CEREBRO_ES_OK, 2026, 12, 2, REL, -1 },
        { "de aqui a 3 dias", CEREBRO_ES_OK, 2026, 12, 2, REL, -1 },
        { "dentro de un día", CEREBRO_ES_OK, 2026, 11, 30, REL, -1 },
        { "dentro de dos días", CEREBRO_ES_OK, 2026, 12, 1, REL, -1 },
        { "dentro de una semana", CEREBRO_ES_OK, 2026, 12, 6, REL, -1 },
        { "en una semana", CEREBRO_ES_OK, 2026, 12, 6, REL, -1 },
        { "de aquí a una semana", CEREBRO_ES_OK, 2026, 12, 6, REL, -1 },
        { "dentro de dos semanas", CEREBRO_ES_OK, 2026, 12, 13, REL, -1 },
        { "en 2 semanas", CEREBRO_ES_OK, 2026, 12, 13, REL, -1 },
        { "dentro de quince días", CEREBRO_ES_OK, 2026, 12, 14, REL, -1 },
        { "en quince días", CEREBRO_ES_OK, 2026, 12, 14, REL, -1 },
        { "dentro de ocho días", CEREBRO_ES_OK, 2026, 12, 7, REL, -1 },
        { "dentro de treinta días", CEREBRO_ES_OK, 2026, 12, 29, REL, -1 },
        { "dentro de treinta y un días", CEREBRO_ES_OK, 2026, 12, 30, REL,
          -1 },
        { "dentro de 45 días", CEREBRO_ES_OK, 2027, 1, 13, REL, -1 },
        { "dentro de 365 días", CEREBRO_ES_OK, 2027, 11, 29, REL, -1 },
        { "dentro de un mes", CEREBRO_ES_OK, 2026, 12, 29, REL, -1 },
        { "dentro de dos meses", CEREBRO_ES_OK, 2027, 1, 29, REL, -1 },
        /* February 2027 has no 29th: its last day */
        { "en tres meses", CEREBRO_ES_OK, 2027, 2, 28, REL, -1 },
        { "mesa para 4 personas dentro de dos días a las nueve",
          CEREBRO_ES_OK, 2026, 12, 1, REL, -1 },
        { "dentro de tres días, el miércoles", CEREBRO_ES_OK, 2026, 12, 2,
          REL, 3 },
        { "dentro de tres días, el jueves", CEREBRO_ES_WEEKDAY_MISMATCH,
          2026, 12, 2, 0, 4 },
        { "mañana o dentro de tres días", CEREBRO_ES_AMBIGUOUS, 0, 0, 0, 0,
          -1 },
        { "dentro de 9999 días", CEREBRO_ES_OUT_OF_RANGE, 2054, 4, 15, 0,
          -1 },
        { "dentro de 10000 días", NU, 0, 0, 0, 0, -1 },
        { "en 0 días", NU, 0, 0, 0, 0, -1 },
        { "dentro de unos días", NU, 0, 0, 0, 0, -1 },
        { "dentro de tres", NU, 0, 0, 0, 0, -1 },
        { "en tres horas", NU, 0, 0, 0, 0, -1 },
        /* the past, the date understood in out */
        { "ayer", CEREBRO_ES_PAST, 2026, 11, 28, 0, -1 },
        { "anteayer", CEREBRO_ES_PAST, 2026, 11, 27, 0, -1 },
        { "antes de ayer", CEREBRO_ES_PAST, 2026, 11, 27, 0, -1 },
        { "hace tres días", CEREBRO_ES_PAST, 2026, 11, 26, 0, -1 },
        { "hace una semana", CEREBRO_ES_PAST, 2026, 11, 22, 0, -1 },
        { "hace un mes", CEREBRO_ES_PAST, 2026, 10, 29, 0, -1 },
        { "ayer no, mañana", CEREBRO_ES_OK, 2026, 11, 30, REL, -1 },
        { "reservé hace una semana para el martes", CEREBRO_ES_OK, 2026,
          12, 1, REL, 2 },
    };

    (void) state;

    RUN_WORDS(&today, 0, cases);
    RUN_WORDS(&today, CEREBRO_ES_PAST_WINDOW, cases);
}


/* each weekday two weeks ahead, said on Friday 27 November 2026 */
static void
test_spans_with_weekday(void **state)
{
    static const cerebro_date_t  friday = { 2026, 11, 27 };
    static const cerebro_date_t  sunday = { 2026, 11, 29 };
    static const word_case_t     fri[] = {
        /* this week is Monday 23 to Sunday 29; two on: 7 to 13 December */
        { "el lunes dentro de dos semanas", CEREBRO_ES_OK, 2026, 12, 7,
          REL, 1 },
        { "el martes dentro de dos semanas", CEREBRO_ES_OK, 2026, 12, 8,
          REL, 2 },
        { "el miércoles dentro de dos semanas", CEREBRO_ES_OK, 2026, 12, 9,
          REL, 3 },
        { "el jueves dentro de dos semanas", CEREBRO_ES_OK, 2026, 12, 10,
          REL, 4 },
        { "el viernes dentro de dos semanas", CEREBRO_ES_OK, 2026, 12, 11,
          REL, 5 },
        { "el sábado dentro de dos semanas", CEREBRO_ES_OK, 2026, 12, 12,
          REL, 6 },
        { "el domingo dentro de dos semanas", CEREBRO_ES_OK, 2026, 12, 13,
          REL, 0 },
        { "dentro de dos semanas el viernes", CEREBRO_ES_OK, 2026, 12, 11,
          REL, 5 },
        { "dentro de dos semanas, el lunes", CEREBRO_ES_OK, 2026, 12, 7,
          REL, 1 },
        { "el viernes en dos semanas", CEREBRO_ES_OK, 2026, 12, 11, REL,
          5 },
        { "de aquí a 2 semanas, el sábado", CEREBRO_ES_OK, 2026, 12, 12,
          REL, 6 },
        /* one week on is "la semana que viene" */
        { "el lunes dentro de una semana", CEREBRO_ES_OK, 2026, 11, 30, REL,
          1 },
        { "el viernes dentro de una semana", CEREBRO_ES_OK, 2026, 12, 4,
          REL, 5 },
        { "el domingo dentro de tres semanas", CEREBRO_ES_OK, 2026, 12, 20,
          REL, 0 },
        { "el viernes dentro de 999 semanas", CEREBRO_ES_OUT_OF_RANGE, 2046,
          1, 19, 0, 5 },
        /* days and months are checked against the weekday instead */
        { "el lunes, dentro de tres días", CEREBRO_ES_OK, 2026, 11, 30, REL,
          1 },
        { "el martes, dentro de tres días", CEREBRO_ES_WEEKDAY_MISMATCH,
          2026, 11, 30, 0, 2 },
    };
    static const word_case_t     sun[] = {
        /* on a Sunday the week ends today: the Monday is in 8 days */
        { "el lunes dentro de dos semanas", CEREBRO_ES_OK, 2026, 12, 7,
          REL, 1 },
        { "el domingo dentro de dos semanas", CEREBRO_ES_OK, 2026, 12, 13,
          REL, 0 },
        { "dentro de dos semanas", CEREBRO_ES_OK, 2026, 12, 13, REL, -1 },
    };

    (void) state;

    RUN_WORDS(&friday, 0, fri);
    RUN_WORDS(&sunday, 0, sun);
}


static void
test_day_words(void **state)
{
    static const cerebro_date_t  today = { 2026, 11, 27 };
    static const cerebro_date_t  jan31 = { 2027, 1, 31 };
    static const word_case_t     cases[] = {
        { "el veintidós", CEREBRO_ES_OK, 2026, 12, 22, 0, -1 },
        { "el veintidos", CEREBRO_ES_OK, 2026, 12, 22, 0, -1 },
        { "el día veintidós", CEREBRO_ES_OK, 2026, 12, 22, 0, -1 },
        { "para el veintidós, por favor", CEREBRO_ES_OK, 2026, 12, 22, 0,
          -1 },
        { "el veintidós a las nueve", CEREBRO_ES_OK, 2026, 12, 22, 0, -1 },
        { "el veintiocho", CEREBRO_ES_OK, 2026, 11, 28, 0, -1 },
        { "el veintisiete", CEREBRO_ES_OK, 2026, 11, 27, 0, -1 },
        { "el veintiséis", CEREBRO_ES_OK, 2026, 12, 26, 0, -1 },
        { "el treinta", CEREBRO_ES_OK, 2026, 11, 30, 0, -1 },
        { "el treinta y uno", CEREBRO_ES_OK, 2026, 12, 31, 0, -1 },
        { "el primero", CEREBRO_ES_OK, 2026, 12, 1, 0, -1 },
        { "el uno", CEREBRO_ES_OK, 2026, 12, 1, 0, -1 },
        { "el dos", CEREBRO_ES_OK, 2026, 12, 2, 0, -1 },
        { "el martes veintidós", CEREBRO_ES_OK, 2026, 12, 22, 0, 2 },
        { "el viernes veintidós", CEREBRO_ES_WEEKDAY_MISMATCH, 2026, 12, 22,
          0, 5 },
        { "el sábado veintiocho", CEREBRO_ES_OK, 2026, 11, 28, 0, 6 },
        { "el veintidós de diciembre", CEREBRO_ES_OK, 2026, 12, 22, 0, -1 },
        { "el uno de enero", CEREBRO_ES_OK, 2027, 1, 1, NY, -1 },
        /* not day numbers */
        { "el cuatro personas", NU, 0, 0, 0, 0, -1 },
        { "el dos de la tarde", NU, 0, 0, 0, 0, -1 },
        { "el nueve y media", NU, 0, 0, 0, 0, -1 },
        { "el un", NU, 0, 0, 0, 0, -1 },
        { "el una", NU, 0, 0, 0, 0, -1 },
        { "el cuarenta aniversario", NU, 0, 0, 0, 0, -1 },
        { "el viernes nueve y media", CEREBRO_ES_OK, 2026, 11, 27, WT | REL,
          5 },
    };
    static const word_case_t     c31[] = {
        /* like "el día 30": February 2027 lacks it */
        { "el treinta", CEREBRO_ES_OK, 2027, 3, 30, 0, -1 },
        { "el treinta y uno", CEREBRO_ES_OK, 2027, 1, 31, 0, -1 },
        { "el primero", CEREBRO_ES_OK, 2027, 2, 1, 0, -1 },
    };

    (void) state;

    RUN_WORDS(&today, 0, cases);
    RUN_WORDS(&jan31, 0, c31);
}


static void
test_named_days(void **state)
{
    static const cerebro_date_t  today = { 2026, 11, 27 };
    static const cerebro_date_t  xmas_eve = { 2026, 12, 24 };
    static const word_case_t     cases[] = {
        { "Nochebuena", CEREBRO_ES_OK, 2026, 12, 24, REL, -1 },
        { "para la noche buena", CEREBRO_ES_OK, 2026, 12, 24, REL, -1 },
        { "Navidad", CEREBRO_ES_OK, 2026, 12, 25, REL, -1 },
        { "el día de Navidad", CEREBRO_ES_OK, 2026, 12, 25, REL, -1 },
        { "Nochevieja", CEREBRO_ES_OK, 2026, 12, 31, REL, -1 },
        { "noche vieja", CEREBRO_ES_OK, 2026, 12, 31, REL, -1 },
        { "la cena de fin de año", CEREBRO_ES_OK, 2026, 12, 31, REL, -1 },
        { "Año Nuevo", CEREBRO_ES_OK, 2027, 1, 1, REL | NY, -1 },
        { "el día de año nuevo", CEREBRO_ES_OK, 2027, 1, 1, REL | NY, -1 },
        { "la noche de Reyes", CEREBRO_ES_OK, 2027, 1, 5, REL | NY, -1 },
        { "Reyes", CEREBRO_ES_OK, 2027, 1, 6, REL | NY, -1 },
        { "el día de Reyes", CEREBRO_ES_OK, 2027, 1, 6, REL | NY, -1 },
        { "San Valentín", CEREBRO_ES_OK, 2027, 2, 14, REL | NY, -1 },
        { "el día de los enamorados", CEREBRO_ES_OK, 2027, 2, 14, REL | NY,
          -1 },
        { "San Bernabé", CEREBRO_ES_OK, 2027, 6, 11, REL | NY, -1 },
        { "la noche de San Juan", CEREBRO_ES_OK, 2027, 6, 23, REL | NY, -1 },
        { "la víspera de San Juan", CEREBRO_ES_OK, 2027, 6, 23, REL | NY,
          -1 },
        { "San Juan", CEREBRO_ES_OK, 2027, 6, 24, REL | NY, -1 },
        { "el día de San Juan", CEREBRO_ES_OK, 2027, 6, 24, REL | NY, -1 },
        { "San Mateo", CEREBRO_ES_OK, 2027, 9, 21, REL | NY, -1 },
        { "el día de la Hispanidad", CEREBRO_ES_OK, 2027, 10, 12, REL | NY,
          -1 },
        { "el Pilar", CEREBRO_ES_OK, 2027, 10, 12, REL | NY, -1 },
        { "la Virgen del Pilar", CEREBRO_ES_OK, 2027, 10, 12, REL | NY, -1 },
        { "Todos los Santos", CEREBRO_ES_OK, 2027, 11, 1, REL | NY, -1 },
        { "el día de la Constitución", CEREBRO_ES_OK, 2026, 12, 6, REL, -1 },
        { "la Inmaculada", CEREBRO_ES_OK, 2026, 12, 8, REL, -1 },
        { "la Inmaculada Concepción", CEREBRO_ES_OK, 2026, 12, 8, REL, -1 },
        /* Easter 2027 is 28 March */
        { "Domingo de Ramos", CEREBRO_ES_OK, 2027, 3, 21, REL | NY, -1 },
        { "Jueves Santo", CEREBRO_ES_OK, 2027, 3, 25, REL | NY, -1 },
        { "el viernes santo", CEREBRO_ES_OK, 2027, 3, 26, REL | NY, -1 },
        { "Sábado Santo", CEREBRO_ES_OK, 2027, 3, 27, REL | NY, -1 },
        { "Domingo de Resurrección", CEREBRO_ES_OK, 2027, 3, 28, REL | NY,
          -1 },
        { "el domingo de Pascua", CEREBRO_ES_OK, 2027, 3, 28, REL | NY, -1 },
        { "Lunes de Pascua", CEREBRO_ES_OK, 2027, 3, 29, REL | NY, -1 },
        /* a year said */
        { "Nochevieja del año que viene", CEREBRO_ES_OK, 2027, 12, 31, NY,
          -1 },
        { "Nochevieja del próximo año", CEREBRO_ES_OK, 2027, 12, 31, NY,
          -1 },
        { "Nochevieja de 2027", CEREBRO_ES_OK, 2027, 12, 31, 0, -1 },
        { "Viernes Santo de 2028", CEREBRO_ES_OK, 2028, 4, 14, 0, -1 },
        { "Nochevieja de 2025", CEREBRO_ES_PAST, 2025, 12, 31, 0, -1 },
        { "San Juan de este año", CEREBRO_ES_PAST, 2026, 6, 24, 0, -1 },
        { "Navidad de 2040", CEREBRO_ES_OUT_OF_RANGE, 2040, 12, 25, 0, -1 },
        /* with a weekday, or with another date */
        { "el jueves, Nochebuena", CEREBRO_ES_OK, 2026, 12, 24, REL, 4 },
        { "el martes, Nochebuena", CEREBRO_ES_WEEKDAY_MISMATCH, 2026, 12,
          24, 0, 2 },
        { "la cena de Navidad de la empresa, el 18 de diciembre",
          CEREBRO_ES_OK, 2026, 12, 18, 0, -1 },
        { "Nochebuena o Nochevieja", CEREBRO_ES_AMBIGUOUS, 0, 0, 0, 0, -1 },
        { "¡Feliz Navidad! Mesa para Nochebuena", CEREBRO_ES_OK, 2026, 12,
          24, REL, -1 },
        /* names, wishes and streets are not days */
        { "Pilar", NU, 0, 0, 0, 0, -1 },
        { "a nombre de Inmaculada", NU, 0, 0, 0, 0, -1 },
        { "a nombre de Reyes", NU, 0, 0, 0, 0, -1 },
        { "la señora Reyes", NU, 0, 0, 0, 0, -1 },
        { "¡Feliz Navidad!", NU, 0, 0, 0, 0, -1 },
        { "próspero año nuevo", NU, 0, 0, 0, 0, -1 },
        { "¿estáis cerca de la calle San Juan?", NU, 0, 0, 0, 0, -1 },
        { "navidades", NU, 0, 0, 0, 0, -1 },
    };
    static const word_case_t     eve[] = {
        /* the day itself is today, not next year's */
        { "Nochebuena", CEREBRO_ES_OK, 2026, 12, 24, REL, -1 },
        { "Navidad", CEREBRO_ES_OK, 2026, 12, 25, REL, -1 },
        { "Nochebuena de 2026", CEREBRO_ES_OK, 2026, 12, 24, 0, -1 },
        { "la Inmaculada", CEREBRO_ES_OK, 2027, 12, 8, REL | NY, -1 },
    };

    (void) state;

    RUN_WORDS(&today, 0, cases);
    RUN_WORDS(&xmas_eve, 0, eve);
}


/* Nochevieja and Año Nuevo said on 30 December */
static void
test_named_days_year_end(void **state)
{
    static const cerebro_date_t  dec30 = { 2026, 12, 30 };
    static const cerebro_date_t  jan1 = { 2027, 1, 1 };
    static const word_case_t     c30[] = {
        { "Nochevieja", CEREBRO_ES_OK, 2026, 12, 31, REL, -1 },
        { "Nochevieja de 2026", CEREBRO_ES_OK, 2026, 12, 31, 0, -1 },
        { "Año Nuevo", CEREBRO_ES_OK, 2027, 1, 1, REL | NY, -1 },
        { "Año Nuevo del año que viene", CEREBRO_ES_OK, 2027, 1, 1, NY,
          -1 },
        { "Reyes", CEREBRO_ES_OK, 2027, 1, 6, REL | NY, -1 },
        { "Nochebuena", CEREBRO_ES_OK, 2027, 12, 24, REL | NY, -1 },
        { "Navidad", CEREBRO_ES_OK, 2027, 12, 25, REL | NY, -1 },
        { "dentro de dos días", CEREBRO_ES_OK, 2027, 1, 1, REL, -1 },
        { "en una semana", CEREBRO_ES_OK, 2027, 1, 6, REL, -1 },
        { "el uno", CEREBRO_ES_OK, 2027, 1, 1, 0, -1 },
        { "el primero de enero", CEREBRO_ES_OK, 2027, 1, 1, NY, -1 },
        { "el treinta y uno", CEREBRO_ES_OK, 2026, 12, 31, 0, -1 },
        { "ayer", CEREBRO_ES_PAST, 2026, 12, 29, 0, -1 },
    };
    static const word_case_t     c1[] = {
        { "Año Nuevo", CEREBRO_ES_OK, 2027, 1, 1, REL, -1 },
        { "Nochevieja", CEREBRO_ES_OK, 2027, 12, 31, REL, -1 },
        { "ayer", CEREBRO_ES_PAST, 2026, 12, 31, 0, -1 },
        { "Nochevieja de 2026", CEREBRO_ES_PAST, 2026, 12, 31, 0, -1 },
    };

    (void) state;

    RUN_WORDS(&dec30, 0, c30);
    RUN_WORDS(&jan1, 0, c1);
}


static void
test_easter(void **state)
{
    /* python-dateutil's easter(), EASTER_WESTERN */
    static const int        want[][3] = {
        { 1818, 3, 22 }, { 1943, 4, 25 }, { 2000, 4, 23 }, { 2008, 3, 23 },
        { 2011, 4, 24 }, { 2019, 4, 21 }, { 2024, 3, 31 }, { 2025, 4, 20 },
        { 2026, 4, 5 }, { 2027, 3, 28 }, { 2028, 4, 16 }, { 2029, 4, 1 },
        { 2030, 4, 21 }, { 2038, 4, 25 }, { 2285, 3, 22 }
    };
    static const cerebro_date_t  holy_thursday = { 2026, 4, 2 };
    static const cerebro_date_t  after = { 2026, 4, 7 };
    static const word_case_t     thu[] = {
        { "Jueves Santo", CEREBRO_ES_OK, 2026, 4, 2, REL, -1 },
        { "Viernes Santo", CEREBRO_ES_OK, 2026, 4, 3, REL, -1 },
        { "Domingo de Pascua", CEREBRO_ES_OK, 2026, 4, 5, REL, -1 },
        { "Lunes de Pascua", CEREBRO_ES_OK, 2026, 4, 6, REL, -1 },
        { "Domingo de Ramos", CEREBRO_ES_OK, 2027, 3, 21, REL | NY, -1 },
        { "el viernes santo, el 3 de abril", CEREBRO_ES_OK, 2026, 4, 3, 0,
          -1 },
    };
    static const word_case_t     tue[] = {
        { "Viernes Santo", CEREBRO_ES_OK, 2027, 3, 26, REL | NY, -1 },
        { "Lunes de Pascua", CEREBRO_ES_OK, 2027, 3, 29, REL | NY, -1 },
        { "Lunes de Pascua de 2026", CEREBRO_ES_PAST, 2026, 4, 6, 0, -1 },
    };
    cerebro_date_t               d;
    size_t                       i;

    (void) state;

    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        cerebro_es_easter(want[i][0], &d);
        assert_int_equal(d.year, want[i][0]);
        assert_int_equal(d.month, want[i][1]);
        assert_int_equal(d.day, want[i][2]);
        assert_int_equal(cerebro_weekday(&d), 0);
    }

    RUN_WORDS(&holy_thursday, 0, thu);
    RUN_WORDS(&after, 0, tue);
}


/*
 * Europe/Madrid changes time on the last Sundays of March and October
 * (29 March and 25 October 2026): the parser counts civil days, so a
 * day of 23 or 25 hours is one day like any other.
 */
static void
test_dst_changes(void **state)
{
    static const cerebro_date_t  oct24 = { 2026, 10, 24 };
    static const cerebro_date_t  mar28 = { 2026, 3, 28 };
    static const word_case_t     oct[] = {
        { "dentro de dos días", CEREBRO_ES_OK, 2026, 10, 26, REL, -1 },
        { "el domingo", CEREBRO_ES_OK, 2026, 10, 25, REL, 0 },
        { "mañana", CEREBRO_ES_OK, 2026, 10, 25, REL, -1 },
        { "pasado mañana", CEREBRO_ES_OK, 2026, 10, 26, REL, -1 },
        { "en una semana", CEREBRO_ES_OK, 2026, 10, 31, REL, -1 },
        { "el lunes dentro de una semana", CEREBRO_ES_OK, 2026, 10, 26,
          REL, 1 },
    };
    static const word_case_t     mar[] = {
        { "dentro de dos días", CEREBRO_ES_OK, 2026, 3, 30, REL, -1 },
        { "el domingo", CEREBRO_ES_OK, 2026, 3, 29, REL, 0 },
        { "dentro de un día", CEREBRO_ES_OK, 2026, 3, 29, REL, -1 },
        /* and Holy Week 2026 follows it */
        { "Domingo de Ramos", CEREBRO_ES_OK, 2026, 3, 29, REL, -1 },
    };

    (void) state;

    RUN_WORDS(&oct24, 0, oct);
    RUN_WORDS(&mar28, 0, mar);
}


/* a day and month just passed: refused with the window, next year's not */
static void
test_past_window(void **state)
{
    static const cerebro_date_t  dec1 = { 2026, 12, 1 };
    static const cerebro_date_t  leap = { 2028, 3, 1 };
    static const cerebro_date_t  common = { 2027, 3, 1 };
    static const word_case_t     windowed[] = {
        { "el 30 de noviembre", CEREBRO_ES_PAST, 2026, 11, 30, 0, -1 },
        { "30/11", CEREBRO_ES_PAST, 2026, 11, 30, 0, -1 },
        { "treinta de noviembre", CEREBRO_ES_PAST, 2026, 11, 30, 0, -1 },
        { "el lunes 30 de noviembre", CEREBRO_ES_PAST, 2026, 11, 30, 0, 1 },
        /* refused for the past before the weekday is looked at */
        { "el domingo 30 de noviembre", CEREBRO_ES_PAST, 2026, 11, 30, 0,
          0 },
        /* 60 days ago is still just passed, 61 is next year's */
        { "2 de octubre", CEREBRO_ES_PAST, 2026, 10, 2, 0, -1 },
        { "1 de octubre", CEREBRO_ES_OK, 2027, 10, 1, NY, -1 },
        { "1 de diciembre", CEREBRO_ES_OK, 2026, 12, 1, 0, -1 },
        { "30 de noviembre de 2027", CEREBRO_ES_OK, 2027, 11, 30, 0, -1 },
        { "el día 30", CEREBRO_ES_OK, 2026, 12, 30, 0, -1 },
        { "2026-11-30", CEREBRO_ES_PAST, 2026, 11, 30, 0, -1 },
        { "2032-01-01", CEREBRO_ES_OUT_OF_RANGE, 2032, 1, 1, 0, -1 },
        /* a date that never exists names nothing */
        { "31 de noviembre", CEREBRO_ES_NONEXISTENT_DATE, 0, 0, 0, 0, -1 },
        { "29/02/2027", CEREBRO_ES_NONEXISTENT_DATE, 0, 0, 0, 0, -1 },
        { "32 de enero", CEREBRO_ES_BAD_DAY, 0, 0, 0, 0, -1 },
        { "13/13", CEREBRO_ES_BAD_MONTH, 0, 0, 0, 0, -1 },
        /* checked for existence before the range */
        { "29 de febrero de 2099", CEREBRO_ES_NONEXISTENT_DATE, 0, 0, 0, 0,
          -1 },
    };
    static const word_case_t     unwindowed[] = {
        { "el 30 de noviembre", CEREBRO_ES_OK, 2027, 11, 30, NY, -1 },
        { "30/11", CEREBRO_ES_OK, 2027, 11, 30, NY, -1 },
        { "2 de octubre", CEREBRO_ES_OK, 2027, 10, 2, NY, -1 },
    };
    static const word_case_t     leap_cases[] = {
        { "29 de febrero", CEREBRO_ES_PAST, 2028, 2, 29, 0, -1 },
        { "1 de marzo", CEREBRO_ES_OK, 2028, 3, 1, 0, -1 },
    };
    static const word_case_t     common_cases[] = {
        /* no 29 February in 2027 to have passed: next year's */
        { "29 de febrero", CEREBRO_ES_OK, 2028, 2, 29, NY, -1 },
        { "28 de febrero", CEREBRO_ES_PAST, 2027, 2, 28, 0, -1 },
    };
    cerebro_es_date_t            a, b;
    cerebro_es_rc_t              rc1, rc2;

    (void) state;

    RUN_WORDS(&dec1, CEREBRO_ES_PAST_WINDOW, windowed);
    RUN_WORDS(&dec1, 0, unwindowed);
    RUN_WORDS(&leap, CEREBRO_ES_PAST_WINDOW, leap_cases);
    RUN_WORDS(&common, CEREBRO_ES_PAST_WINDOW, common_cases);

    /* a negative window is no window; window 0 is cerebro_es_parse_date */
    RUN_WORDS(&dec1, -5, unwindowed);

    rc1 = cerebro_es_parse_date("30/11", 5, &dec1, &a);
    rc2 = cerebro_es_parse_date_window("30/11", 5, &dec1, 0, &b);
    assert_int_equal(rc1, CEREBRO_ES_OK);
    assert_int_equal(rc2, CEREBRO_ES_OK);
    assert_memory_equal(&a, &b, sizeof(a));
}


static void
check_refusal(const cerebro_date_t *today, const char *in,
    const char *want)
{
    char               buf[256];
    size_t             n;
    cerebro_es_date_t  d;
    cerebro_es_rc_t    rc;

    rc = cerebro_es_parse_date_window(in, strlen(in), today,
                                      CEREBRO_ES_PAST_WINDOW, &d);
    n = cerebro_es_refusal(rc, &d, today, buf, sizeof(buf));

    if (strcmp(buf, want) != 0) {
        print_error("today %d-%02d-%02d \"%s\" (%s):\n got \"%s\"\nwant"
                    " \"%s\"\n", today->year, today->month, today->day, in,
                    cerebro_es_rc_name(rc), buf, want);
    }

    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}


static void
test_refusal(void **state)
{
    static const cerebro_date_t  dec1 = { 2026, 12, 1 };
    static const cerebro_date_t  nov27 = { 2026, 11, 27 };
    static const cerebro_date_t  jan1 = { 2027, 1, 1 };
    static const char           *q = "; ¿para qué día sería la reserva?";
    char                         want[256], buf[256], small[8];
    cerebro_es_date_t            d;
    size_t                       n, full;
    int                          rc;

    (void) state;

#define REFUSAL(today, in, head)                                             \
    snprintf(want, sizeof(want), "%s%s", head, q);                           \
    check_refusal(today, in, want)

    REFUSAL(&dec1, "ayer", "Ayer fue lunes 30 de noviembre");
    REFUSAL(&dec1, "el 30 de noviembre", "Ayer fue lunes 30 de noviembre");
    REFUSAL(&dec1, "anteayer", "Anteayer fue domingo 29 de noviembre");
    REFUSAL(&dec1, "hace una semana",
            "El martes 24 de noviembre ya ha pasado");
    REFUSAL(&dec1, "el 2 de octubre", "El viernes 2 de octubre ya ha pasado");
    REFUSAL(&dec1, "26/11/2025",
            "El miércoles 26 de noviembre de 2025 ya ha pasado");
    REFUSAL(&dec1, "2032-01-01",
            "El jueves 1 de enero de 2032 queda demasiado lejos");
    REFUSAL(&nov27, "el viernes 28 de noviembre",
            "Me ha dicho viernes, pero esa fecha es el sábado 28 de"
            " noviembre");
    REFUSAL(&nov27, "el martes, Nochebuena",
            "Me ha dicho martes, pero esa fecha es el jueves 24 de"
            " diciembre");
    REFUSAL(&nov27, "el lunes de esta semana",
            "El lunes 23 de noviembre ya ha pasado");
    REFUSAL(&jan1, "ayer", "Ayer fue jueves 31 de diciembre de 2026");
    REFUSAL(&dec1, "hola", "Lo siento, no he entendido el día");
    REFUSAL(&dec1, "31 de febrero",
            "Lo siento, esa fecha no existe en el calendario");
    REFUSAL(&dec1, "el viernes o el sábado",
            "Lo siento, me ha dicho más de un día");
    check_refusal(&dec1, "   ", "¿Para qué día sería la reserva?");

#undef REFUSAL

    /* nothing refused, nothing said */
    assert_int_equal(cerebro_es_parse_date("mañana", 7, &dec1, &d),
                     CEREBRO_ES_OK);
    buf[0] = 'x';
    assert_int_equal(cerebro_es_refusal(CEREBRO_ES_OK, &d, &dec1, buf,
                                        sizeof(buf)), 0);
    assert_string_equal(buf, "");

    /* without the date or today: said without naming the day */
    cerebro_es_refusal(CEREBRO_ES_PAST, NULL, &dec1, buf, sizeof(buf));
    assert_string_equal(buf, "Lo siento, esa fecha ya ha pasado; ¿para qué"
                             " día sería la reserva?");

    assert_int_equal(cerebro_es_parse_date("ayer", 4, &dec1, &d),
                     CEREBRO_ES_PAST);
    cerebro_es_refusal(CEREBRO_ES_PAST, &d, NULL, buf, sizeof(buf));
    assert_string_equal(buf, "El lunes 30 de noviembre ya ha pasado; ¿para"
                             " qué día sería la reserva?");

    /* a mismatch without the weekday said cannot be told */
    d.weekday_said = -1;
    cerebro_es_refusal(CEREBRO_ES_WEEKDAY_MISMATCH, &d, &dec1, buf,
                       sizeof(buf));
    assert_string_equal(buf, "Lo siento, el día de la semana no coincide con"
                             " la fecha; ¿para qué día sería la reserva?");

    /* measured, and cut short never in the middle of "¿" */
    full = cerebro_es_refusal(CEREBRO_ES_EMPTY, NULL, NULL, NULL, 0);
    assert_int_equal(full, strlen("¿Para qué día sería la reserva?"));

    memset(small, 'x', sizeof(small));
    n = cerebro_es_refusal(CEREBRO_ES_EMPTY, NULL, NULL, small, 2);
    assert_int_equal(n, full);
    assert_string_equal(small, "");
    assert_int_equal(small[2], 'x');

    cerebro_es_refusal(CEREBRO_ES_EMPTY, NULL, NULL, small, 3);
    assert_string_equal(small, "¿");

    cerebro_es_refusal(CEREBRO_ES_EMPTY, NULL, NULL, small, sizeof(small));
    assert_string_equal(small, "¿Para ");

    /* every code: one line, no stop at the end, as long as it says */
    for (rc = CEREBRO_ES_OK + 1; rc <= CEREBRO_ES_INVALID_ARG; rc++) {
        assert_int_equal(cerebro_es_parse_date("ayer", 4, &dec1, &d),
                         CEREBRO_ES_PAST);
        d.weekday_said = 5;
        n = cerebro_es_refusal((cerebro_es_rc_t) rc, &d, &dec1, buf,
                               sizeof(buf));
        assert_int_equal(n, strlen(buf));
        assert_true(n > 20);
        assert_null(strchr(buf, '\n'));
        assert_true(buf[n - 1] == '?');
    }
}


/*
 * Phrases made of the new words at random, and random bytes: whatever the
 * code, a date in out is a real day on the right side of today, and the
 * refusal is one line.
 */
static void
test_word_salad(void **state)
{
    static const char      *words[] = {
        "dentro", "de", "en", "aquí", "a", "hace", "días", "día", "semanas",
        "semana", "mes", "meses", "un", "una", "dos", "tres", "quince",
        "treinta", "y", "uno", "9999", "0", "45", "el", "viernes", "lunes",
        "domingo", "santo", "Nochebuena", "Reyes", "noche", "San", "Juan",
        "año", "nuevo", "del", "que", "viene", "próximo", "2027", "2025",
        "ayer", "anteayer", "antes", "mañana", "veintidós", "primero",
        "30", "de noviembre", "/", "12", "Pascua", "feliz", "nombre", ","
    };
    static const cerebro_date_t  todays[] = {
        { 2026, 11, 29 }, { 2026, 12, 31 }, { 2027, 1, 1 }, { 2028, 2, 29 },
        { 2026, 10, 24 }, { 2026, 4, 5 }
    };
    char                         in[256], line[256];
    unsigned                     seed;
    size_t                       len, k;
    int                          i, j, nwords, ntoday;
    cerebro_date_t               ceiling;
    cerebro_es_date_t            d;
    cerebro_es_rc_t              rc;
    const cerebro_date_t        *today;

    (void) state;

    nwords = (int) (sizeof(words) / sizeof(words[0]));
    ntoday = (int) (sizeof(todays) / sizeof(todays[0]));
    seed = 2026;

    for (i = 0; i < 20000; i++) {
        len = 0;

        for (j = 0; j < 1 + i % 7; j++) {
            seed = seed * 1103515245 + 12345;
            k = strlen(words[(seed >> 16) % nwords]);

            if (len + k + 2 > sizeof(in)) {
                break;
            }

            memcpy(in + len, words[(seed >> 16) % nwords], k);
            len += k;
            in[len++] = ' ';
        }

        today = &todays[i % ntoday];
        ceiling = *today;
        ceiling.year += CEREBRO_ES_MAX_YEARS_AHEAD + 1;

        rc = cerebro_es_parse_date_window(in, len, today, i % 90, &d);
        assert_true(rc < CEREBRO_ES_INVALID_ARG);

        if (rc == CEREBRO_ES_OK || rc == CEREBRO_ES_WEEKDAY_MISMATCH) {
            assert_true(cerebro_date_valid(&d.date));
            assert_true(cerebro_date_cmp(&d.date, today) >= 0);
            assert_true(cerebro_date_cmp(&d.date, &ceiling) < 0);
            assert_int_equal(d.weekday, cerebro_weekday(&d.date));

            if (d.flags & NY) {
                assert_int_equal(d.date.year, today->year + 1);
            }

        } else if (rc == CEREBRO_ES_PAST) {
            assert_true(d.date.month >= 1 && d.date.month <= 12);
            assert_true(cerebro_date_cmp(&d.date, today) < 0);
            assert_int_equal(d.weekday, cerebro_weekday(&d.date));

        } else if (rc == CEREBRO_ES_OUT_OF_RANGE) {
            assert_true(cerebro_date_valid(&d.date));
            assert_true(d.date.year
                        > today->year + CEREBRO_ES_MAX_YEARS_AHEAD);

        } else {
            assert_int_equal(d.date.year, 0);
        }

        k = cerebro_es_refusal(rc, &d, today, line, sizeof(line));
        assert_int_equal(k, strlen(line));
        assert_null(strchr(line, '\n'));
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_dates_friday),
        cmocka_unit_test(test_dates_new_years_eve),
        cmocka_unit_test(test_dates_31st_and_leap),
        cmocka_unit_test(test_date_out_fields),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_garbage_and_bounds),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_iso_shortcuts),
        cmocka_unit_test(test_spans_month_end),
        cmocka_unit_test(test_spans_with_weekday),
        cmocka_unit_test(test_day_words),
        cmocka_unit_test(test_named_days),
        cmocka_unit_test(test_named_days_year_end),
        cmocka_unit_test(test_easter),
        cmocka_unit_test(test_dst_changes),
        cmocka_unit_test(test_past_window),
        cmocka_unit_test(test_refusal),
        cmocka_unit_test(test_word_salad),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
