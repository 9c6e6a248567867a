/*
 * Howard Hinnant's days_from_civil / civil_from_days algorithms: exact for
 * every Gregorian date, no tables, no time zone.
 */

#include <stdio.h>
#include <string.h>

#include "cerebro_civil.h"


static const char  *weekday_names[] = {
    "domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"
};

static const char  *month_names[] = {
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio",
    "agosto", "septiembre", "octubre", "noviembre", "diciembre"
};


int64_t
cerebro_floor_div(int64_t a, int64_t b)
{
    int64_t  q;

    q = a / b;

    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        q--;
    }

    return q;
}


int64_t
cerebro_days_from_civil(int year, int month, int day)
{
    int64_t   y, era;
    unsigned  yoe, doy, doe;

    y = (int64_t) year - (month <= 2);
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned) (y - era * 400);
    doy = (153 * (unsigned) (month + (month > 2 ? -3 : 9)) + 2) / 5
          + (unsigned) day - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (int64_t) doe - 719468;
}


void
cerebro_civil_from_days(int64_t days, cerebro_date_t *out)
{
    int64_t   z, era, y;
    unsigned  doe, yoe, doy, mp, d, m;

    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned) (z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = (int64_t) yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;

    out->year = (int) (y + (m <= 2));
    out->month = (int) m;
    out->day = (int) d;
}


int
cerebro_is_leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}


int
cerebro_days_in_month(int year, int month)
{
    static const int  days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
                                 30, 31 };

    if (month < 1 || month > 12) {
        return 0;
    }

    if (month == 2 && cerebro_is_leap_year(year)) {
        return 29;
    }

    return days[month - 1];
}


int
cerebro_date_valid(const cerebro_date_t *d)
{
    return d->year >= 1900 && d->year <= 9999
           && d->day >= 1 && d->day <= cerebro_days_in_month(d->year, d->month);
}


int
cerebro_weekday(const cerebro_date_t *d)
{
    int64_t  days;

    days = cerebro_days_from_civil(d->year, d->month, d->day);

    /* 1970-01-01 was a Thursday (4); C's % keeps the sign of days */
    return (int) ((days % 7 + 11) % 7);
}


cerebro_date_t
cerebro_date_add_days(const cerebro_date_t *d, int days)
{
    cerebro_date_t  out;

    cerebro_civil_from_days(cerebro_days_from_civil(d->year, d->month, d->day)
                            + days, &out);
    return out;
}


int
cerebro_date_cmp(const cerebro_date_t *a, const cerebro_date_t *b)
{
    if (a->year != b->year) {
        return a->year < b->year ? -1 : 1;
    }

    if (a->month != b->month) {
        return a->month < b->month ? -1 : 1;
    }

    if (a->day != b->day) {
        return a->day < b->day ? -1 : 1;
    }

    return 0;
}


const char *
cerebro_weekday_name_es(int wday)
{
    return (wday >= 0 && wday <= 6) ? weekday_names[wday] : "";
}


const char *
cerebro_month_name_es(int month)
{
    return (month >= 1 && month <= 12) ? month_names[month - 1] : "";
}


static char *
civil_put(char *p, const char *s)
{
    while (*s) {
        *p++ = *s++;
    }

    return p;
}


/* "%d" */
static char *
civil_put_int(char *p, int v)
{
    char          tmp[16], *q;
    unsigned int  u;

    u = v < 0 ? 0u - (unsigned int) v : (unsigned int) v;
    q = tmp + sizeof(tmp);

    do {
        *--q = (char) ('0' + u % 10);
        u /= 10;
    } while (u);

    if (v < 0) {
        *--q = '-';
    }

    while (q < tmp + sizeof(tmp)) {
        *p++ = *q++;
    }

    return p;
}


/*
 * snprintf's "%s %d de %s[ de %d]", written by hand: a date is in nearly
 * every answer, and snprintf cost more than the rest of the sentence.
 */
int
cerebro_date_format_es(char *buf, size_t size, const cerebro_date_t *d,
    int ref_year)
{
    char    tmp[80], *p;
    size_t  len;

    /* the longest: 10 + 1 + 11 + 4 + 10 + 4 + 11 bytes */
    p = civil_put(tmp, cerebro_weekday_name_es(cerebro_weekday(d)));
    *p++ = ' ';
    p = civil_put_int(p, d->day);
    p = civil_put(p, " de ");
    p = civil_put(p, cerebro_month_name_es(d->month));

    if (d->year != ref_year) {
        p = civil_put(p, " de ");
        p = civil_put_int(p, d->year);
    }

    len = p - tmp;

    if (size > 0) {
        memcpy(buf, tmp, len < size ? len : size - 1);
        buf[len < size ? len : size - 1] = '\0';
    }

    return (int) len;
}


int
cerebro_date_format_iso(char *buf, size_t size, const cerebro_date_t *d)
{
    /*
     * The cache's keys of a read are a fortnight of these, on every tool
     * call: written digit by digit, ten times cheaper than a printf.
     */
    if (size <= 10 || d->year < 0 || d->year > 9999 || d->month < 0
        || d->month > 99 || d->day < 0 || d->day > 99)
    {
        return snprintf(buf, size, "%04d-%02d-%02d", d->year, d->month,
                        d->day);
    }

    buf[0] = (char) ('0' + d->year / 1000);
    buf[1] = (char) ('0' + d->year / 100 % 10);
    buf[2] = (char) ('0' + d->year / 10 % 10);
    buf[3] = (char) ('0' + d->year % 10);
    buf[4] = '-';
    buf[5] = (char) ('0' + d->month / 10);
    buf[6] = (char) ('0' + d->month % 10);
    buf[7] = '-';
    buf[8] = (char) ('0' + d->day / 10);
    buf[9] = (char) ('0' + d->day % 10);
    buf[10] = '\0';

    return 10;
}
