/*
 * The guest's manage-my-booking link: a short token that names one
 * booking and when it stops working, signed with HMAC-SHA256 (OpenSSL)
 * under a secret of ours, written in base64url without padding.  Nothing
 * is stored: the token is the whole capability, and only who holds the
 * secret can make one.
 *
 *   token = base64url( 0x01 | expires (4 bytes, big endian, UTC seconds)
 *                      | id | the first 12 bytes of HMAC(key, label | ...) )
 *
 * A booking id of an Airtable base ("recXXXXXXXXXXXXXX") makes a token of
 * 46 characters; a row id of the embedded store, about 26.
 */

#ifndef CEREBRO_LINK_H
#define CEREBRO_LINK_H

#include <stddef.h>
#include <stdint.h>


#define CEREBRO_LINK_ID_MAX      31     /* bytes of a booking id */
#define CEREBRO_LINK_MAC_LEN     12     /* 96 bits: not to be guessed */
#define CEREBRO_LINK_TOKEN_SIZE  72     /* the longest token and its NUL */


typedef enum {
    CEREBRO_LINK_OK = 0,
    CEREBRO_LINK_MALFORMED,     /* not a token of ours at all */
    CEREBRO_LINK_FORGED,        /* well formed, but not signed by us */
    CEREBRO_LINK_EXPIRED,       /* ours, and past its time */
    CEREBRO_LINK_ERROR          /* bad arguments, OpenSSL failure */
} cerebro_link_rc_t;


/*
 * The token of booking id (letters, digits, "-" and "_", at most
 * CEREBRO_LINK_ID_MAX bytes) valid until expires, into out with its NUL.
 * Returns the token's length, or -1 (an id of other bytes, no key, out
 * too small, an expiry before 1970 or after 2106).
 */
int cerebro_link_make(const void *key, size_t key_len, const char *id,
    int64_t expires, char *out, size_t out_size);

/*
 * Reads token[0..len): its MAC checked in constant time (CRYPTO_memcmp)
 * before anything else is believed, then its expiry against now (a token
 * is good up to and including its second).  On OK and on EXPIRED, id
 * (id_size bytes) holds the booking id and *expires its time; on any
 * other outcome they hold nothing.  Only the one canonical spelling of a
 * token is accepted.
 */
cerebro_link_rc_t cerebro_link_parse(const void *key, size_t key_len,
    const char *token, size_t len, int64_t now, char *id, size_t id_size,
    int64_t *expires);

const char *cerebro_link_strerror(cerebro_link_rc_t rc);

#endif /* CEREBRO_LINK_H */
