/*
 * Spanish times: minutes always within a day, the ambiguity flag only on a
 * morning reading, never together with a said period.
 */

#include <stdint.h>
#include <stdlib.h>

#include "cerebro_spanish.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cerebro_es_time_t  out, again;
    cerebro_es_rc_t    rc, rc2;
    const char        *reason;

    rc = cerebro_es_parse_time((const char *) data, size, &out);

    if (rc >= CEREBRO_ES_INVALID_ARG) {
        abort();
    }

    reason = cerebro_es_reason(rc, CEREBRO_ES_KIND_TIME);

    if (reason == NULL || reason[0] == '\0') {
        abort();
    }

    if (out.minutes < 0 || out.minutes >= 1440) {
        abort();
    }

    if (rc != CEREBRO_ES_OK && (out.minutes != 0 || out.flags != 0)) {
        abort();
    }

    if (out.flags & CEREBRO_ES_TIME_AMBIGUOUS) {
        /* the morning reading; + 720 is the other, still within the day */
        if (out.minutes >= 720 || (out.flags & CEREBRO_ES_TIME_PERIOD)) {
            abort();
        }
    }

    if (out.flags & ~(unsigned) (CEREBRO_ES_TIME_AMBIGUOUS
                                 | CEREBRO_ES_TIME_PERIOD))
    {
        abort();
    }

    rc2 = cerebro_es_parse_time((const char *) data, size, &again);

    if (rc2 != rc || again.minutes != out.minutes
        || again.flags != out.flags)
    {
        abort();
    }

    return 0;
}
