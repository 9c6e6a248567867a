/*
 * The zone file is read from disk at load time: a damaged or hostile TZif
 * image is refused with a reason, and an accepted one converts every
 * instant to a valid local time and back.
 */

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "cerebro_tz.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int               flags;
    char              err[256];
    int64_t           t;
    cerebro_local_t   local;
    static cerebro_tz_t  tz;     /* large: kept off the stack */

    err[0] = '\0';

    if (cerebro_tz_parse(&tz, data, size, err, sizeof(err)) != 0) {
        assert(err[0] != '\0');
        return 0;
    }

    for (t = -2000000000LL; t < 4000000000LL; t += 86400LL * 97 + 3607) {
        cerebro_tz_to_local(&tz, t, &local);
        assert(cerebro_date_valid(&local.date)
               || local.date.year < 1900 || local.date.year > 9999);
        assert(local.minutes >= 0 && local.minutes < 1440);

        flags = 0;
        (void) cerebro_tz_from_local(&tz, &local.date, local.minutes,
                                     &flags);
    }

    return 0;
}
