/*
 * Signed, expiring booking links: HMAC-SHA256 and base64 from libcrypto.
 */

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cerebro_link.h"


#define LINK_VERSION    0x01
#define LINK_HEAD       5                       /* version, expires */
#define LINK_RAW_MAX    (LINK_HEAD + CEREBRO_LINK_ID_MAX \
                         + CEREBRO_LINK_MAC_LEN)

/* another use of the same secret can never yield a token */
static const char  link_label[] = "cerebro-link";


static int
link_id_ok(const char *id, size_t len)
{
    size_t  i;
    char    c;

    if (len == 0 || len > CEREBRO_LINK_ID_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = id[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        {
            return 0;
        }
    }

    return 1;
}


static int
link_mac(const void *key, size_t key_len, const unsigned char *msg,
    size_t len, unsigned char *mac)
{
    unsigned char  md[EVP_MAX_MD_SIZE];
    unsigned char  in[sizeof(link_label) + LINK_RAW_MAX];
    unsigned int   n;

    if (len > LINK_RAW_MAX) {
        return -1;
    }

    memcpy(in, link_label, sizeof(link_label));
    memcpy(in + sizeof(link_label), msg, len);

    if (HMAC(EVP_sha256(), key, (int) key_len, in, sizeof(link_label) + len,
             md, &n)
        == NULL || n < CEREBRO_LINK_MAC_LEN)
    {
        return -1;
    }

    memcpy(mac, md, CEREBRO_LINK_MAC_LEN);
    OPENSSL_cleanse(md, sizeof(md));

    return 0;
}


/* unpadded base64url of raw into out (room for 4 * ceil(len / 3) + 1) */
static size_t
link_encode(const unsigned char *raw, size_t len, char *out)
{
    size_t  n, i;

    n = (size_t) EVP_EncodeBlock((unsigned char *) out, raw, (int) len);

    while (n > 0 && out[n - 1] == '=') {
        n--;
    }

    for (i = 0; i < n; i++) {
        if (out[i] == '+') {
            out[i] = '-';

        } else if (out[i] == '/') {
            out[i] = '_';
        }
    }

    out[n] = '\0';

    return n;
}


int
cerebro_link_make(const void *key, size_t key_len, const char *id,
    int64_t expires, char *out, size_t out_size)
{
    size_t         id_len, raw_len, need;
    unsigned char  raw[LINK_RAW_MAX];

    if (key == NULL || key_len == 0 || id == NULL || out == NULL
        || expires < 0 || expires > (int64_t) UINT32_MAX)
    {
        return -1;
    }

    id_len = strlen(id);

    if (!link_id_ok(id, id_len)) {
        return -1;
    }

    raw[0] = LINK_VERSION;
    raw[1] = (unsigned char) (expires >> 24);
    raw[2] = (unsigned char) (expires >> 16);
    raw[3] = (unsigned char) (expires >> 8);
    raw[4] = (unsigned char) expires;
    memcpy(raw + LINK_HEAD, id, id_len);

    raw_len = LINK_HEAD + id_len;

    if (link_mac(key, key_len, raw, raw_len, raw + raw_len) != 0) {
        return -1;
    }

    raw_len += CEREBRO_LINK_MAC_LEN;

    /* EVP_EncodeBlock writes the padded form and its NUL */
    need = 4 * ((raw_len + 2) / 3) + 1;
    if (out_size < need) {
        return -1;
    }

    return (int) link_encode(raw, raw_len, out);
}


cerebro_link_rc_t
cerebro_link_parse(const void *key, size_t key_len, const char *token,
    size_t len, int64_t now, char *id, size_t id_size, int64_t *expires)
{
    int            n;
    char           b64[4 * ((LINK_RAW_MAX + 2) / 3) + 1];
    char           again[sizeof(b64)];
    size_t         i, pad, raw_len, id_len;
    int64_t        exp;
    unsigned char  raw[sizeof(b64)], mac[CEREBRO_LINK_MAC_LEN];

    if (key == NULL || key_len == 0 || id == NULL || id_size == 0
        || expires == NULL || (token == NULL && len > 0))
    {
        return CEREBRO_LINK_ERROR;
    }

    id[0] = '\0';
    *expires = 0;

    if (len % 4 == 1 || len + 4 > sizeof(b64)) {
        return CEREBRO_LINK_MALFORMED;
    }

    /* the URL-safe alphabet only: EVP_DecodeBlock would skip blanks */
    for (i = 0; i < len; i++) {
        char  c = token[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9'))
        {
            b64[i] = c;

        } else if (c == '-') {
            b64[i] = '+';

        } else if (c == '_') {
            b64[i] = '/';

        } else {
            return CEREBRO_LINK_MALFORMED;
        }
    }

    pad = (4 - len % 4) % 4;
    memset(b64 + len, '=', pad);
    b64[len + pad] = '\0';

    n = EVP_DecodeBlock(raw, (unsigned char *) b64, (int) (len + pad));
    if (n < 0 || (size_t) n < pad) {
        return CEREBRO_LINK_MALFORMED;
    }

    raw_len = (size_t) n - pad;

    if (raw_len < LINK_HEAD + 1 + CEREBRO_LINK_MAC_LEN
        || raw_len > LINK_RAW_MAX || raw[0] != LINK_VERSION)
    {
        return CEREBRO_LINK_MALFORMED;
    }

    /* one spelling: the unused bits of the last character are zero */
    if (link_encode(raw, raw_len, again) != len
        || memcmp(again, token, len) != 0)
    {
        return CEREBRO_LINK_MALFORMED;
    }

    raw_len -= CEREBRO_LINK_MAC_LEN;

    if (link_mac(key, key_len, raw, raw_len, mac) != 0) {
        return CEREBRO_LINK_ERROR;
    }

    if (CRYPTO_memcmp(mac, raw + raw_len, CEREBRO_LINK_MAC_LEN) != 0) {
        return CEREBRO_LINK_FORGED;
    }

    id_len = raw_len - LINK_HEAD;

    /* signed by us, so made by cerebro_link_make: checked all the same */
    if (!link_id_ok((const char *) raw + LINK_HEAD, id_len)
        || id_len >= id_size)
    {
        return CEREBRO_LINK_MALFORMED;
    }

    exp = ((int64_t) raw[1] << 24) | ((int64_t) raw[2] << 16)
          | ((int64_t) raw[3] << 8) | (int64_t) raw[4];

    memcpy(id, raw + LINK_HEAD, id_len);
    id[id_len] = '\0';
    *expires = exp;

    return now > exp ? CEREBRO_LINK_EXPIRED : CEREBRO_LINK_OK;
}


const char *
cerebro_link_strerror(cerebro_link_rc_t rc)
{
    switch (rc) {
    case CEREBRO_LINK_OK:
        return "ok";
    case CEREBRO_LINK_MALFORMED:
        return "not a booking link";
    case CEREBRO_LINK_FORGED:
        return "not signed by this restaurant";
    case CEREBRO_LINK_EXPIRED:
        return "expired";
    default:
        return "error";
    }
}
