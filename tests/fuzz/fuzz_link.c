/*
 * The manage-my-booking token parser: any bytes, never a crash, and what
 * it accepts is exactly what cerebro_link_make writes for that booking and
 * time (one spelling, one signer).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cerebro_link.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char  key[] = "fuzzing key of thirty-two bytes!";

    char               id[CEREBRO_LINK_ID_MAX + 1];
    char               again[CEREBRO_LINK_TOKEN_SIZE];
    int                n;
    int64_t            exp;
    cerebro_link_rc_t  rc;

    rc = cerebro_link_parse(key, sizeof(key) - 1, (const char *) data, size,
                            0, id, sizeof(id), &exp);

    if (rc == CEREBRO_LINK_ERROR) {
        abort();
    }

    if (rc != CEREBRO_LINK_OK && rc != CEREBRO_LINK_EXPIRED) {
        if (id[0] != '\0' || exp != 0) {
            abort();            /* a refused token tells nothing */
        }

        return 0;
    }

    n = cerebro_link_make(key, sizeof(key) - 1, id, exp, again,
                          sizeof(again));

    if (n < 0 || (size_t) n != size || memcmp(again, data, size) != 0) {
        abort();
    }

    return 0;
}
