/*
 * Spanish dates: the first three bytes pick "today" (2000..2099), the rest
 * is the phrase. Beyond "no crash" every accepted date must be a real day,
 * not before today, consistent with its flags and weekday.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cerebro_spanish.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


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

    return 0;
}
