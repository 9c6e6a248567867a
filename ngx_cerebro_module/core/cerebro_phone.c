/*
 * E.164 normalisation. Deliberately strict about characters (a letter is
 * never silently dropped: "600 11 12 2x" is a typo to ask about, not a
 * number to guess) and lenient about the separators people use.
 */

#include <string.h>
#include <strings.h>

#include "cerebro_phone.h"


#define CEREBRO_PHONE_MAX_DIGITS  15
#define CEREBRO_PHONE_MIN_DIGITS  7
#define CEREBRO_ES_NATIONAL       9


static int
cerebro_phone_is_sep(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '.' || c == '-' || c == '/'
           || c == '(' || c == ')' || c == '\r' || c == '\n';
}


static int
cerebro_phone_has_prefix(const char *p, size_t len, const char *prefix)
{
    size_t  n;

    n = strlen(prefix);

    return len >= n && strncasecmp(p, prefix, n) == 0;
}


static int
cerebro_phone_es_lead(char c)
{
    return c >= '6' && c <= '9';
}


/*
 * Writes '+', cc and national digits into out; checks E.164's length.
 */
static cerebro_phone_rc_t
cerebro_phone_emit(const char *cc, size_t cc_len, const char *nat,
    size_t nat_len, char *out, size_t out_size, size_t *out_len)
{
    size_t  total;

    total = cc_len + nat_len;

    if (total > CEREBRO_PHONE_MAX_DIGITS) {
        return CEREBRO_PHONE_TOO_LONG;
    }

    if (total < CEREBRO_PHONE_MIN_DIGITS) {
        return CEREBRO_PHONE_TOO_SHORT;
    }

    if (out_size < total + 2) {
        return CEREBRO_PHONE_NO_ROOM;
    }

    out[0] = '+';
    memcpy(out + 1, cc, cc_len);
    memcpy(out + 1 + cc_len, nat, nat_len);
    out[1 + total] = '\0';

    if (out_len) {
        *out_len = total + 1;
    }

    return CEREBRO_PHONE_OK;
}


cerebro_phone_rc_t
cerebro_phone_normalize(const char *in, size_t len, const char *default_cc,
    char *out, size_t out_size, size_t *out_len)
{
    /* room for a few digits past the limit, to tell "too long" apart */
    char           digits[CEREBRO_PHONE_MAX_DIGITS + 8];
    size_t         i, nd, cc_len;
    int            plus, too_many;
    unsigned char  c;

    if (out_len) {
        *out_len = 0;
    }

    if (out_size > 0) {
        out[0] = '\0';
    }

    if (default_cc == NULL) {
        return CEREBRO_PHONE_BAD_COUNTRY;
    }

    cc_len = strlen(default_cc);

    if (cc_len < 1 || cc_len > 3 || default_cc[0] == '0'
        || strspn(default_cc, "0123456789") != cc_len)
    {
        return CEREBRO_PHONE_BAD_COUNTRY;
    }

    if (in == NULL) {
        return CEREBRO_PHONE_EMPTY;
    }

    while (len > 0 && cerebro_phone_is_sep((unsigned char) *in)
           && *in != '(')
    {
        in++;
        len--;
    }

    if (cerebro_phone_has_prefix(in, len, "whatsapp:")) {
        in += 9;
        len -= 9;

    } else if (cerebro_phone_has_prefix(in, len, "tel:")) {
        in += 4;
        len -= 4;
    }

    nd = 0;
    plus = 0;
    too_many = 0;

    for (i = 0; i < len; i++) {
        c = (unsigned char) in[i];

        if (c >= '0' && c <= '9') {
            if (nd < sizeof(digits)) {
                digits[nd++] = (char) c;

            } else {
                too_many = 1;
            }

            continue;
        }

        if (c == '+' && nd == 0 && !plus) {
            plus = 1;
            continue;
        }

        if (cerebro_phone_is_sep(c)) {
            continue;
        }

        return CEREBRO_PHONE_INVALID_CHAR;
    }

    if (nd == 0) {
        return CEREBRO_PHONE_EMPTY;
    }

    if (too_many) {
        return CEREBRO_PHONE_TOO_LONG;
    }

    if (!plus && nd > 2 && digits[0] == '0' && digits[1] == '0') {
        /* the "00" international call prefix */
        memmove(digits, digits + 2, nd - 2);
        nd -= 2;
        plus = 1;
    }

    if (plus) {
        if (digits[0] == '0') {
            return CEREBRO_PHONE_BAD_NATIONAL;
        }

        if (nd >= 2 && digits[0] == '3' && digits[1] == '4') {
            if (nd - 2 < CEREBRO_ES_NATIONAL) {
                return CEREBRO_PHONE_TOO_SHORT;
            }

            if (nd - 2 > CEREBRO_ES_NATIONAL) {
                return CEREBRO_PHONE_TOO_LONG;
            }
        }

        return cerebro_phone_emit(digits, nd, "", 0, out, out_size, out_len);
    }

    if (strcmp(default_cc, "34") == 0) {
        if (nd == CEREBRO_ES_NATIONAL) {
            if (!cerebro_phone_es_lead(digits[0])) {
                return CEREBRO_PHONE_BAD_NATIONAL;
            }

            return cerebro_phone_emit("34", 2, digits, nd, out, out_size,
                                      out_len);
        }

        if (nd == CEREBRO_ES_NATIONAL + 2 && digits[0] == '3'
            && digits[1] == '4' && cerebro_phone_es_lead(digits[2]))
        {
            return cerebro_phone_emit(digits, nd, "", 0, out, out_size,
                                      out_len);
        }

        return nd < CEREBRO_ES_NATIONAL ? CEREBRO_PHONE_TOO_SHORT
                                        : CEREBRO_PHONE_BAD_NATIONAL;
    }

    if (digits[0] == '0') {
        /* a trunk prefix, as in a UK "07700 900123" */
        memmove(digits, digits + 1, nd - 1);
        nd--;

        if (nd == 0) {
            return CEREBRO_PHONE_TOO_SHORT;
        }
    }

    return cerebro_phone_emit(default_cc, cc_len, digits, nd, out, out_size,
                              out_len);
}


static void
cerebro_phone_add(char forms[][CEREBRO_PHONE_FORM_SIZE], int *n, int max,
    const char *prefix, const char *rest)
{
    if (*n < max) {
        strcpy(forms[*n], prefix);
        strcat(forms[*n], rest);
        (*n)++;
    }
}


int
cerebro_phone_forms(const char *e164, const char *default_cc,
    char forms[][CEREBRO_PHONE_FORM_SIZE], int max)
{
    int          n;
    size_t       nd, cc_len;
    const char  *digits, *national;

    if (e164 == NULL || e164[0] != '+' || max <= 0) {
        return 0;
    }

    digits = e164 + 1;
    nd = strlen(digits);

    if (nd < CEREBRO_PHONE_MIN_DIGITS || nd > CEREBRO_PHONE_MAX_DIGITS
        || strspn(digits, "0123456789") != nd || digits[0] == '0')
    {
        return 0;
    }

    n = 0;

    cerebro_phone_add(forms, &n, max, "+", digits);
    cerebro_phone_add(forms, &n, max, "00", digits);

    cc_len = default_cc != NULL ? strlen(default_cc) : 0;

    if (cc_len > 0 && cc_len < nd
        && strncmp(digits, default_cc, cc_len) == 0)
    {
        national = digits + cc_len;

        cerebro_phone_add(forms, &n, max, "", national);

        /* Spain has no trunk 0; WhatsApp writes "34..." */
        cerebro_phone_add(forms, &n, max,
                          strcmp(default_cc, "34") == 0 ? "" : "0",
                          strcmp(default_cc, "34") == 0 ? digits : national);
    }

    return n;
}


const char *
cerebro_phone_reason_es(cerebro_phone_rc_t rc)
{
    switch (rc) {
    case CEREBRO_PHONE_OK:
        return "el teléfono es correcto";
    case CEREBRO_PHONE_EMPTY:
        return "no me ha dado ningún número de teléfono";
    case CEREBRO_PHONE_INVALID_CHAR:
        return "el teléfono solo puede llevar números";
    case CEREBRO_PHONE_TOO_SHORT:
        return "al teléfono le faltan cifras";
    case CEREBRO_PHONE_TOO_LONG:
        return "el teléfono tiene demasiadas cifras";
    case CEREBRO_PHONE_BAD_NATIONAL:
        return "ese número no parece un teléfono válido; si es extranjero, "
               "dígalo con el prefijo del país";
    case CEREBRO_PHONE_BAD_COUNTRY:
        return "el prefijo de país configurado no es válido";
    case CEREBRO_PHONE_NO_ROOM:
        return "no hay espacio para guardar el teléfono";
    }

    return "el teléfono no es válido";
}
