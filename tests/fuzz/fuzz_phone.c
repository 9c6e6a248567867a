/*
 * Phone numbers: the first byte picks the default country, the rest is
 * the number. Whatever is accepted is E.164 and normalises to itself.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cerebro_phone.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char   *ccs[] = { "34", "44", "1", "351", "" };
    char                 out[CEREBRO_PHONE_E164_SIZE];
    char                 again[CEREBRO_PHONE_E164_SIZE];
    const char          *cc;
    size_t               len, len2, i;
    cerebro_phone_rc_t   rc;

    if (size < 1) {
        return 0;
    }

    cc = ccs[data[0] % 5];

    rc = cerebro_phone_normalize((const char *) data + 1, size - 1, cc, out,
                                 sizeof(out), &len);

    if (rc > CEREBRO_PHONE_NO_ROOM || rc == CEREBRO_PHONE_NO_ROOM) {
        abort();
    }

    if (cerebro_phone_reason_es(rc)[0] == '\0') {
        abort();
    }

    if (cc[0] == '\0' && rc != CEREBRO_PHONE_BAD_COUNTRY) {
        abort();
    }

    if (rc != CEREBRO_PHONE_OK) {
        if (out[0] != '\0' || len != 0) {
            abort();
        }

        return 0;
    }

    if (len != strlen(out) || out[0] != '+' || len < 8 || len > 16
        || out[1] == '0')
    {
        abort();
    }

    for (i = 1; i < len; i++) {
        if (out[i] < '0' || out[i] > '9') {
            abort();
        }
    }

    if (strncmp(out, "+34", 3) == 0 && len != 12) {
        abort();
    }

    rc = cerebro_phone_normalize(out, len, cc, again, sizeof(again), &len2);

    if (rc != CEREBRO_PHONE_OK || len2 != len || strcmp(out, again) != 0) {
        abort();
    }

    return 0;
}
