/*
 * Cutting text at character, word and sentence boundaries.
 */

#include "cerebro_text.h"


/* bytes of the UTF-8 sequence that starts with c, 1 for a stray byte */
static size_t
seq_len(unsigned char c)
{
    if (c < 0x80) {
        return 1;
    }

    if ((c & 0xe0) == 0xc0) {
        return 2;
    }

    if ((c & 0xf0) == 0xe0) {
        return 3;
    }

    if ((c & 0xf8) == 0xf0) {
        return 4;
    }

    return 1;
}


size_t
cerebro_text_prefix(const char *in, size_t len, size_t max_units)
{
    size_t  i, n, units, u;

    i = 0;
    units = 0;

    while (i < len) {
        n = seq_len((unsigned char) in[i]);

        if (i + n > len) {
            /* a sequence cut by the input itself: not a character */
            break;
        }

        u = (n == 4) ? 2 : 1;

        if (units + u > max_units) {
            break;
        }

        units += u;
        i += n;
    }

    return i;
}


size_t
cerebro_text_units(const char *in, size_t len)
{
    size_t  i, n, units;

    units = 0;

    for (i = 0; i < len; i += n) {
        n = seq_len((unsigned char) in[i]);
        units += (n == 4) ? 2 : 1;
    }

    return units;
}


static int
blank(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}


size_t
cerebro_text_split(const char *in, size_t len, size_t max_units,
    size_t *starts, size_t *parts, size_t max_parts)
{
    size_t  at, end, fit, cut, i, n;

    n = 0;
    at = 0;

    while (n < max_parts) {
        while (at < len && blank(in[at])) {
            at++;
        }

        if (at >= len) {
            break;
        }

        fit = cerebro_text_prefix(in + at, len - at, max_units);
        end = at + fit;

        if (end >= len || n + 1 == max_parts) {
            while (fit > 0 && blank(in[at + fit - 1])) {
                fit--;
            }

            starts[n] = at;
            parts[n++] = fit;
            break;
        }

        /* the last sentence end inside, else the last blank */
        cut = 0;

        for (i = fit; i > 1; i--) {
            if (blank(in[at + i])
                && (in[at + i - 1] == '.' || in[at + i - 1] == '?'
                    || in[at + i - 1] == '!' || in[at + i] == '\n'))
            {
                cut = i;
                break;
            }
        }

        for (i = fit; cut == 0 && i > 0; i--) {
            if (blank(in[at + i])) {
                cut = i;
            }
        }

        if (cut == 0) {
            /* one word longer than a message: at a character */
            cut = fit;
        }

        while (cut > 0 && blank(in[at + cut - 1])) {
            cut--;
        }

        starts[n] = at;
        parts[n++] = cut;
        at += cut;
    }

    return n;
}
