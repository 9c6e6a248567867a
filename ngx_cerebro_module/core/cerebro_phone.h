/*
 * Phone numbers as guests and channels write them, normalised to E.164
 * ("+34600111222"), the one form the store, Twilio and the guest's
 * bookings are keyed on.
 */

#ifndef CEREBRO_PHONE_H
#define CEREBRO_PHONE_H

#include <stddef.h>


/* E.164: '+', at most 15 digits, NUL. */
#define CEREBRO_PHONE_E164_SIZE  17


typedef enum {
    CEREBRO_PHONE_OK = 0,
    CEREBRO_PHONE_EMPTY,            /* nothing but blanks or a prefix */
    CEREBRO_PHONE_INVALID_CHAR,     /* a letter or a symbol we do not allow */
    CEREBRO_PHONE_TOO_SHORT,
    CEREBRO_PHONE_TOO_LONG,         /* more than E.164's 15 digits */
    CEREBRO_PHONE_BAD_NATIONAL,     /* digits that no national number has */
    CEREBRO_PHONE_BAD_COUNTRY,      /* the caller's default code is bad */
    CEREBRO_PHONE_NO_ROOM           /* the output buffer is too small */
} cerebro_phone_rc_t;


/*
 * Normalises in[0..len) (not NUL-terminated) into out as "+<digits>\0".
 *
 * Accepted: a "whatsapp:" or "tel:" prefix (any case), blanks, '.', '-',
 * '/', parentheses; an international number as "+CC...", "00CC..."; a
 * national number, which gets default_cc ("34", digits only). For Spain
 * (default_cc "34" or a number given as +34) the national part must be
 * 9 digits, and a bare 9-digit number must start with 6, 7, 8 or 9; a
 * bare "34" followed by such 9 digits is taken as already international,
 * since that is how Twilio's WaId and many CRMs write it. For other
 * default codes one trunk '0' is dropped from a national number.
 * International numbers must have 7 to 15 digits.
 *
 * out_len (optional) gets the length written, without the NUL.
 */
cerebro_phone_rc_t cerebro_phone_normalize(const char *in, size_t len,
    const char *default_cc, char *out, size_t out_size, size_t *out_len);

/* the forms cerebro_phone_forms() writes: at most 5, each with its NUL */
#define CEREBRO_PHONE_FORMS      5
#define CEREBRO_PHONE_FORM_SIZE  18

/*
 * The ways a number in E.164 is found typed, once the separators that
 * cerebro_phone_normalize() allows are taken out: "+34600111222",
 * "0034600111222" and, for a number of the default country, the national
 * "600111222" (in Spain also "34600111222", as WhatsApp writes it; with
 * other codes also the trunk "0" before the national number).  Each one
 * normalises back to e164.  Returns how many were written (at most max),
 * 0 when e164 is not "+" and 7 to 15 digits.
 */
int cerebro_phone_forms(const char *e164, const char *default_cc,
    char forms[][CEREBRO_PHONE_FORM_SIZE], int max);

/* A short Spanish reason usable in a sentence to the guest. */
const char *cerebro_phone_reason_es(cerebro_phone_rc_t rc);

#endif /* CEREBRO_PHONE_H */
