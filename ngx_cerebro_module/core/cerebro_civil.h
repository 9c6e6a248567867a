/*
 * Civil (proleptic Gregorian) calendar arithmetic and the Spanish names the
 * guest hears. Pure C: no time zone, no locale, no allocation, so every
 * other core file can rely on it and it stays trivially testable.
 */

#ifndef CEREBRO_CIVIL_H
#define CEREBRO_CIVIL_H

#include <stddef.h>
#include <stdint.h>


typedef struct {
    int  year;
    int  month;     /* 1..12 */
    int  day;       /* 1..31 */
} cerebro_date_t;


/* Days since 1970-01-01 (negative before it). */
/* a / b rounded toward minus infinity: days and slots before 1970 too */
int64_t cerebro_floor_div(int64_t a, int64_t b);

int64_t cerebro_days_from_civil(int year, int month, int day);
void cerebro_civil_from_days(int64_t days, cerebro_date_t *out);

int cerebro_is_leap_year(int year);
int cerebro_days_in_month(int year, int month);   /* 0 for a bad month */
int cerebro_date_valid(const cerebro_date_t *d);

/* 0 = Sunday ... 6 = Saturday, as struct tm's tm_wday. */
int cerebro_weekday(const cerebro_date_t *d);

cerebro_date_t cerebro_date_add_days(const cerebro_date_t *d, int days);
int cerebro_date_cmp(const cerebro_date_t *a, const cerebro_date_t *b);

const char *cerebro_weekday_name_es(int wday);    /* "lunes" ... */
const char *cerebro_month_name_es(int month);     /* "enero" ... */

/*
 * "viernes 28 de noviembre" (the year is added only when it differs from
 * ref_year, so a date next January reads "viernes 1 de enero de 2027").
 * Returns the length written, as snprintf does; truncates safely.
 */
int cerebro_date_format_es(char *buf, size_t size, const cerebro_date_t *d,
    int ref_year);

/* "2026-11-28" into buf of at least 11 bytes. */
int cerebro_date_format_iso(char *buf, size_t size, const cerebro_date_t *d);

#endif /* CEREBRO_CIVIL_H */
