/*
 * Spanish dates: the first three bytes pick "today" (2000..2099), the rest
 * is the phrase. Beyond "no crash" every accepted date must be a real day,
 * not before today, consistent with its flags and weekday; with a window
 * of past days, a refused date and the line that names it must hold too.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cerebro_spanish.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void window_and_refusal(const char *in, size_t len,
    const cerebro_date_t *today, int window);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cerebro_date_t     today, ceiling;
    cerebro_es_date_t  out, again;
    cerebro_es_rc_t    rc, rc2;
    const char        *in, *reason;
    size_t             len;

    if (size < 3) {
        return 0;
    }

    today.year = 2000 + data[0] % 100;
    today.month = 1 + data[1] % 12;
    today.day = 1 + data[2] % cerebro_days_in_month(today.year, today.month);

    in = (const char *) data + 3;
    len = size - 3;

    rc = cerebro_es_parse_date(in, len, &today, &out);

    if (rc > CEREBRO_ES_INVALID_ARG || rc == CEREBRO_ES_INVALID_ARG) {
        abort();
    }

    reason = cerebro_es_reason(rc, CEREBRO_ES_KIND_DATE);

    if (reason == NULL || reason[0] == '\0') {
        abort();
    }

    if (len > CEREBRO_ES_MAX_INPUT && rc != CEREBRO_ES_TOO_LONG) {
        abort();
    }

    if (rc == CEREBRO_ES_OK || rc == CEREBRO_ES_WEEKDAY_MISMATCH) {
        ceiling = today;
        ceiling.year += CEREBRO_ES_MAX_YEARS_AHEAD + 1;

        if (!cerebro_date_valid(&out.date)
            || cerebro_date_cmp(&out.date, &today) < 0
            || cerebro_date_cmp(&out.date, &ceiling) > 0
            || out.weekday != cerebro_weekday(&out.date))
        {
            abort();
        }

        if ((out.flags & CEREBRO_ES_DATE_NEXT_YEAR)
            && out.date.year != today.year + 1)
        {
            abort();
        }

        if ((out.flags & CEREBRO_ES_DATE_WEEKDAY_TODAY)
            && cerebro_date_cmp(&out.date, &today) != 0)
        {
            abort();
        }

        if (rc == CEREBRO_ES_WEEKDAY_MISMATCH
            && (out.weekday_said < 0 || out.weekday_said > 6
                || out.weekday_said == out.weekday))
        {
            abort();
        }

        if (rc == CEREBRO_ES_OK && out.weekday_said >= 0
            && out.weekday_said != out.weekday)
        {
            abort();
        }
    }

    /* no hidden state: the same input gives the same answer */
    rc2 = cerebro_es_parse_date(in, len, &today, &again);

    if (rc2 != rc || memcmp(&again.date, &out.date, sizeof(out.date)) != 0
        || again.flags != out.flags)
    {
        abort();
    }

    window_and_refusal(in, len, &today, (data[0] ^ data[1]) % 120);

    return 0;
}


/*
 * A date refused as understood carries it, a date refused as nonsense
 * carries none, and the line naming it is whole: one line, the length it
 * says, never cut inside a character.
 */
static void
window_and_refusal(const char *in, size_t len, const cerebro_date_t *today,
    int window)
{
    char               line[300];
    size_t             n, m, small;
    cerebro_date_t     ceiling;
    cerebro_es_rc_t    rc;
    cerebro_es_date_t  out;

    rc = cerebro_es_parse_date_window(in, len, today, window, &out);

    ceiling = *today;
    ceiling.year += CEREBRO_ES_MAX_YEARS_AHEAD + 1;

    switch (rc) {

    case CEREBRO_ES_OK:
    case CEREBRO_ES_WEEKDAY_MISMATCH:
        if (!cerebro_date_valid(&out.date)
            || cerebro_date_cmp(&out.date, today) < 0
            || cerebro_date_cmp(&out.date, &ceiling) > 0
            || out.weekday != cerebro_weekday(&out.date))
        {
            abort();
        }
        break;

    case CEREBRO_ES_PAST:
        if (cerebro_date_cmp(&out.date, today) >= 0
            || out.date.month < 1 || out.date.month > 12
            || out.date.day < 1 || out.date.day > 31
            || out.weekday != cerebro_weekday(&out.date))
        {
            abort();
        }
        break;

    case CEREBRO_ES_OUT_OF_RANGE:
        if (!cerebro_date_valid(&out.date)
            || out.date.year <= today->year + CEREBRO_ES_MAX_YEARS_AHEAD)
        {
            abort();
        }
        break;

    default:
        if (out.date.year != 0 || out.weekday_said != -1) {
            abort();
        }
    }

    n = cerebro_es_refusal(rc, &out, today, line, sizeof(line));

    if (n != strlen(line) || memchr(line, '\n', n) != NULL) {
        abort();
    }

    small = 1 + (size_t) window % 40;
    m = cerebro_es_refusal(rc, &out, today, line, small);

    if (m != n || strlen(line) >= small
        || (strlen(line)
            && ((unsigned char) line[strlen(line) - 1] & 0xc0) == 0xc0))
    {
        abort();
    }
}
