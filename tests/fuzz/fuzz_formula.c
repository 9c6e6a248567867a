/*
 * Formula quoting: any bytes (but NUL) quoted as a value must read back
 * as exactly one string literal holding exactly those bytes, whatever the
 * buffer size; a field name is written as one {...} or refused.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cerebro_formula.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/*
 * Reads one Airtable literal at p: '...' with \\ and \' escapes. Returns
 * the bytes used (0 if not a literal), the decoded value into dec.
 */
static size_t
read_literal(const char *p, size_t len, char *dec, size_t *dec_len)
{
    size_t  i;

    *dec_len = 0;

    if (len < 2 || p[0] != '\'') {
        return 0;
    }

    for (i = 1; i < len; i++) {
        if (p[i] == '\\') {
            if (i + 1 >= len || (p[i + 1] != '\\' && p[i + 1] != '\'')) {
                return 0;
            }

            dec[(*dec_len)++] = p[++i];
            continue;
        }

        if (p[i] == '\'') {
            return i + 1;
        }

        dec[(*dec_len)++] = p[i];
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cerebro_formula_t     f;
    cerebro_formula_rc_t  rc;
    const char           *in;
    char                 *buf, *dec;
    size_t                cap, len, used, dec_len, want;
    int                   has_nul, has_brace;

    if (size < 1) {
        return 0;
    }

    /* the first byte: how short the buffer is (0 = large enough) */
    in = (const char *) data + 1;
    size--;
    has_nul = memchr(in, '\0', size) != NULL;
    want = cerebro_formula_string_size(in, size);
    cap = data[0] ? (size_t) data[0] % (want + 2) : want + 1;

    buf = malloc(cap ? cap : 1);
    dec = malloc(size + 1);

    if (buf == NULL || dec == NULL) {
        abort();
    }

    cerebro_formula_init(&f, buf, cap);
    cerebro_formula_string(&f, in, size);
    rc = cerebro_formula_finish(&f, &len);

    if (has_nul) {
        if (rc != CEREBRO_FORMULA_BAD_VALUE) {
            abort();
        }

    } else if (cap < want + 1) {
        if (rc != CEREBRO_FORMULA_OVERFLOW || (cap && buf[0] != '\0')) {
            abort();
        }

    } else {
        if (rc != CEREBRO_FORMULA_OK || len != want || strlen(buf) != len) {
            abort();
        }

        used = read_literal(buf, len, dec, &dec_len);

        if (used != len || dec_len != size || memcmp(dec, in, size) != 0) {
            abort();
        }
    }

    free(buf);

    /* the same bytes as a field name */
    has_brace = memchr(in, '}', size) != NULL;
    buf = malloc(size + 64);

    if (buf == NULL) {
        abort();
    }

    cerebro_formula_init(&f, buf, size + 64);
    cerebro_formula_field(&f, in, size);
    rc = cerebro_formula_finish(&f, &len);

    if (has_brace || has_nul || size == 0) {
        if (rc != CEREBRO_FORMULA_BAD_FIELD) {
            abort();
        }

    } else if (rc != CEREBRO_FORMULA_OK || len != size + 2 || buf[0] != '{'
               || memchr(buf, '}', len) != buf + len - 1)
    {
        abort();
    }

    free(buf);
    free(dec);

    return 0;
}
