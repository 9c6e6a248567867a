/*
 * The cost of the guest's Spanish: parsing 1,000 date phrases and 1,000
 * time phrases, as the voice and WhatsApp tools do once per tool call.
 * Prints the median of several runs, total and per phrase. A benchmark,
 * not a test: it checks nothing but that the phrases parse.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cerebro_spanish.h"


#define PHRASES  1000
#define RUNS     9


static const char  *date_phrases[] = {
    "2026-11-28", "hoy", "mañana", "pasado mañana", "el viernes",
    "el próximo viernes", "el sábado que viene por la noche",
    "para el viernes, por favor", "miércoles", "este domingo",
    "28 de noviembre", "el 28 de noviembre de 2027", "28/11",
    "28/11/2026", "el día 3", "el día 31", "el viernes 4 de diciembre",
    "el lunes de la semana que viene", "mesa para 4 personas el sábado "
    "a las 21:30", "quería reservar para el jueves que viene, somos dos",
    "31 de febrero", "el próximo juebes", "1 de enero", "esta noche",
};

static const char  *time_phrases[] = {
    "21:00", "21.30", "21h", "21 h", "9 de la noche", "9 de la mañana",
    "las nueve y media", "nueve menos cuarto", "a mediodía",
    "2 y cuarto de la tarde", "a las 3 de la tarde", "las veintitrés",
    "a las nueve en punto", "esta noche a las 9", "por la noche",
    "mesa para 4 personas el sábado a las 21:30", "a las 25",
    "la una menos cuarto", "las doce del mediodía", "9 p.m.",
};


static double
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec * 1e9 + ts.tv_nsec;
}


static int
cmp_double(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}


int
main(void)
{
    static const cerebro_date_t  today = { 2026, 11, 27 };
    cerebro_es_date_t            d;
    cerebro_es_time_t            t;
    const char                  *p;
    double                       dates[RUNS], times[RUNS], t0;
    size_t                       nd, nt, lens_d[64], lens_t[64];
    unsigned long                check, ok;
    int                          r, i;

    nd = sizeof(date_phrases) / sizeof(date_phrases[0]);
    nt = sizeof(time_phrases) / sizeof(time_phrases[0]);

    for (i = 0; i < (int) nd; i++) {
        lens_d[i] = strlen(date_phrases[i]);
    }

    for (i = 0; i < (int) nt; i++) {
        lens_t[i] = strlen(time_phrases[i]);
    }

    check = 0;
    ok = 0;

    for (r = 0; r < RUNS; r++) {
        t0 = now_ns();

        for (i = 0; i < PHRASES; i++) {
            p = date_phrases[i % nd];

            if (cerebro_es_parse_date(p, lens_d[i % nd], &today, &d)
                == CEREBRO_ES_OK)
            {
                ok++;
            }

            check += (unsigned long) d.date.day;
        }

        dates[r] = now_ns() - t0;

        t0 = now_ns();

        for (i = 0; i < PHRASES; i++) {
            p = time_phrases[i % nt];

            if (cerebro_es_parse_time(p, lens_t[i % nt], &t)
                == CEREBRO_ES_OK)
            {
                ok++;
            }

            check += (unsigned long) t.minutes;
        }

        times[r] = now_ns() - t0;
    }

    qsort(dates, RUNS, sizeof(double), cmp_double);
    qsort(times, RUNS, sizeof(double), cmp_double);

    printf("Spanish phrases, median of %d runs (%zu distinct date phrases, "
           "%zu time phrases, cycled)\n", RUNS, nd, nt);
    printf("  %d date phrases: %9.1f us total, %7.0f ns per phrase "
           "(min %.1f us, max %.1f us)\n", PHRASES, dates[RUNS / 2] / 1e3,
           dates[RUNS / 2] / PHRASES, dates[0] / 1e3,
           dates[RUNS - 1] / 1e3);
    printf("  %d time phrases: %9.1f us total, %7.0f ns per phrase "
           "(min %.1f us, max %.1f us)\n", PHRASES, times[RUNS / 2] / 1e3,
           times[RUNS / 2] / PHRASES, times[0] / 1e3,
           times[RUNS - 1] / 1e3);
    printf("  (%lu parsed OK over all runs; checksum %lu)\n", ok, check);

    return 0;
}
