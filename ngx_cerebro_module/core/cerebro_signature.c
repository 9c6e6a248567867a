/*
 * HMACs through OpenSSL 3's EVP_MAC (the HMAC_CTX API is deprecated);
 * SHA-256 and base64 through libcrypto too.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include "cerebro_signature.h"


#define CEREBRO_SIG_STACK_PARAMS  64


typedef struct {
    EVP_MAC      *mac;
    EVP_MAC_CTX  *ctx;
} cerebro_hmac_t;


static int
cerebro_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}


static void
cerebro_trim(const char **p, size_t *len)
{
    while (*len > 0 && cerebro_is_blank(**p)) {
        (*p)++;
        (*len)--;
    }

    while (*len > 0 && cerebro_is_blank((*p)[*len - 1])) {
        (*len)--;
    }
}


int
cerebro_ct_equal(const void *expected, size_t expected_len,
    const void *given, size_t given_len)
{
    unsigned char  he[SHA256_DIGEST_LENGTH], hg[SHA256_DIGEST_LENGTH];
    int            same;

    if (expected == NULL || expected_len == 0) {
        return 0;
    }

    if (given == NULL) {
        given = "";
        given_len = 0;
    }

    /*
     * Hashing first makes both sides fixed-size, so CRYPTO_memcmp runs the
     * same whatever the given length, and no early exit on a length
     * mismatch tells an attacker the secret's length.
     */
    SHA256(expected, expected_len, he);
    SHA256(given, given_len, hg);

    same = CRYPTO_memcmp(he, hg, sizeof(he)) == 0;

    return same & (expected_len == given_len);
}


cerebro_sig_rc_t
cerebro_secret_verify(const char *secret, size_t secret_len,
    const char *given, size_t given_len)
{
    if (secret == NULL || secret_len == 0) {
        return CEREBRO_SIG_NOT_CONFIGURED;
    }

    if (given == NULL || given_len == 0) {
        return CEREBRO_SIG_MISSING;
    }

    return cerebro_ct_equal(secret, secret_len, given, given_len)
           ? CEREBRO_SIG_OK : CEREBRO_SIG_MISMATCH;
}


cerebro_sig_rc_t
cerebro_bearer_verify(const char *token, size_t token_len,
    const char *header, size_t header_len)
{
    if (token == NULL || token_len == 0) {
        return CEREBRO_SIG_NOT_CONFIGURED;
    }

    if (header == NULL) {
        return CEREBRO_SIG_MISSING;
    }

    cerebro_trim(&header, &header_len);

    if (header_len > 6 && strncasecmp(header, "bearer", 6) == 0
        && cerebro_is_blank(header[6]))
    {
        header += 7;
        header_len -= 7;
        cerebro_trim(&header, &header_len);
    }

    return cerebro_secret_verify(token, token_len, header, header_len);
}


static int
cerebro_hmac_init(cerebro_hmac_t *h, const char *digest, const char *key,
    size_t key_len)
{
    OSSL_PARAM  params[2];

    h->ctx = NULL;
    h->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);

    if (h->mac == NULL) {
        return -1;
    }

    h->ctx = EVP_MAC_CTX_new(h->mac);

    if (h->ctx == NULL) {
        return -1;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) digest, 0);
    params[1] = OSSL_PARAM_construct_end();

    return EVP_MAC_init(h->ctx, (const unsigned char *) key, key_len, params)
           == 1 ? 0 : -1;
}


static int
cerebro_hmac_update(cerebro_hmac_t *h, const void *p, size_t len)
{
    if (len == 0) {
        return 0;
    }

    return EVP_MAC_update(h->ctx, p, len) == 1 ? 0 : -1;
}


static int
cerebro_hmac_final(cerebro_hmac_t *h, unsigned char *md, size_t size,
    size_t *md_len)
{
    return EVP_MAC_final(h->ctx, md, md_len, size) == 1 ? 0 : -1;
}


static void
cerebro_hmac_free(cerebro_hmac_t *h)
{
    EVP_MAC_CTX_free(h->ctx);
    EVP_MAC_free(h->mac);
}


/* Twilio */


static int
cerebro_param_cmp(const void *a, const void *b)
{
    const cerebro_param_t  *pa, *pb;
    size_t                  n;
    int                     rc;

    pa = *(const cerebro_param_t * const *) a;
    pb = *(const cerebro_param_t * const *) b;

    n = pa->name_len < pb->name_len ? pa->name_len : pb->name_len;
    rc = n ? memcmp(pa->name, pb->name, n) : 0;

    if (rc != 0) {
        return rc;
    }

    if (pa->name_len != pb->name_len) {
        return pa->name_len < pb->name_len ? -1 : 1;
    }

    n = pa->value_len < pb->value_len ? pa->value_len : pb->value_len;
    rc = n ? memcmp(pa->value, pb->value, n) : 0;

    if (rc != 0) {
        return rc;
    }

    if (pa->value_len != pb->value_len) {
        return pa->value_len < pb->value_len ? -1 : 1;
    }

    return 0;
}


typedef struct {
    const char  *p;
    size_t       len;
} cerebro_piece_t;


/* The URL comes in up to three pieces, to insert or cut a port. */
static cerebro_sig_rc_t
cerebro_twilio_mac(const char *token, size_t token_len,
    const cerebro_piece_t *url, size_t npieces,
    const cerebro_param_t **sorted, size_t n, char *out)
{
    cerebro_hmac_t  h;
    unsigned char   md[EVP_MAX_MD_SIZE];
    size_t          i, md_len;
    int             rc;

    rc = cerebro_hmac_init(&h, "SHA1", token, token_len);

    for (i = 0; rc == 0 && i < npieces; i++) {
        rc = cerebro_hmac_update(&h, url[i].p, url[i].len);
    }

    for (i = 0; rc == 0 && i < n; i++) {
        if (i > 0 && cerebro_param_cmp(&sorted[i - 1], &sorted[i]) == 0) {
            /* the SDKs sign a repeated identical pair once */
            continue;
        }

        rc = cerebro_hmac_update(&h, sorted[i]->name, sorted[i]->name_len);
        rc = rc || cerebro_hmac_update(&h, sorted[i]->value,
                                       sorted[i]->value_len);
    }

    rc = rc || cerebro_hmac_final(&h, md, sizeof(md), &md_len);
    cerebro_hmac_free(&h);

    if (rc != 0 || md_len != 20) {
        return CEREBRO_SIG_ERROR;
    }

    EVP_EncodeBlock((unsigned char *) out, md, (int) md_len);

    return CEREBRO_SIG_OK;
}


/*
 * Sorted pointers to the params, in stack or heap storage; *heap is set
 * when the caller must free the result.
 */
static const cerebro_param_t **
cerebro_twilio_sort(const cerebro_param_t *params, size_t n,
    const cerebro_param_t **stack, const cerebro_param_t ***heap)
{
    const cerebro_param_t  **sorted;
    size_t                   i;

    *heap = NULL;

    if (n <= CEREBRO_SIG_STACK_PARAMS) {
        sorted = stack;

    } else {
        if (n > SIZE_MAX / sizeof(*sorted)) {
            return NULL;
        }

        sorted = malloc(n * sizeof(*sorted));

        if (sorted == NULL) {
            return NULL;
        }

        *heap = sorted;
    }

    for (i = 0; i < n; i++) {
        sorted[i] = &params[i];
    }

    if (n > 1) {
        qsort(sorted, n, sizeof(*sorted), cerebro_param_cmp);
    }

    return sorted;
}


cerebro_sig_rc_t
cerebro_twilio_sign(const char *token, size_t token_len, const char *url,
    size_t url_len, const cerebro_param_t *params, size_t nparams,
    char *out, size_t out_size)
{
    const cerebro_param_t   *stack[CEREBRO_SIG_STACK_PARAMS];
    const cerebro_param_t  **sorted, **heap;
    cerebro_piece_t          piece;
    cerebro_sig_rc_t         rc;

    if (token == NULL || token_len == 0) {
        return CEREBRO_SIG_NOT_CONFIGURED;
    }

    if (out == NULL || out_size < CEREBRO_TWILIO_SIG_SIZE || url == NULL
        || (params == NULL && nparams))
    {
        return CEREBRO_SIG_ERROR;
    }

    sorted = cerebro_twilio_sort(params, nparams, stack, &heap);

    if (sorted == NULL) {
        return CEREBRO_SIG_ERROR;
    }

    piece.p = url;
    piece.len = url_len;

    rc = cerebro_twilio_mac(token, token_len, &piece, 1, sorted, nparams,
                            out);
    free(heap);

    return rc;
}


typedef struct {
    size_t  scheme_len;     /* "https" */
    size_t  host_start;     /* after "://" and any userinfo */
    size_t  port_colon;     /* index of ':' before the port, or 0 */
    size_t  authority_end;  /* index of the first '/', '?', '#' or len */
} cerebro_url_t;


static int
cerebro_url_parse(const char *url, size_t len, cerebro_url_t *u)
{
    size_t  i, p;

    memset(u, 0, sizeof(*u));

    for (i = 0; i + 2 < len; i++) {
        if (url[i] == ':' && url[i + 1] == '/' && url[i + 2] == '/') {
            break;
        }

        if (url[i] == '/' || url[i] == '?' || url[i] == '#') {
            return -1;
        }
    }

    if (i == 0 || i + 2 >= len) {
        return -1;
    }

    u->scheme_len = i;
    u->host_start = i + 3;

    for (p = u->host_start; p < len; p++) {
        if (url[p] == '/' || url[p] == '?' || url[p] == '#') {
            break;
        }

        if (url[p] == '@') {
            u->host_start = p + 1;
        }
    }

    u->authority_end = p;

    /* the port: digits after the last ':' not inside an IPv6 [...] */
    for (p = u->authority_end; p > u->host_start; p--) {
        if (url[p - 1] == ':') {
            u->port_colon = p - 1;
            break;
        }

        if (url[p - 1] < '0' || url[p - 1] > '9') {
            break;
        }
    }

    return 0;
}


/*
 * Finds bodySHA256 in the query of url; *found tells whether it is there.
 */
static void
cerebro_url_body_hash(const char *url, size_t len, const char **value,
    size_t *value_len, int *found)
{
    static const char  key[] = "bodySHA256=";
    const char        *q, *end, *amp;
    size_t             n;

    *found = 0;

    q = memchr(url, '?', len);

    if (q == NULL) {
        return;
    }

    end = memchr(q, '#', (size_t) (url + len - q));
    end = end ? end : url + len;
    q++;

    while (q < end) {
        amp = memchr(q, '&', (size_t) (end - q));
        amp = amp ? amp : end;
        n = (size_t) (amp - q);

        if (n >= sizeof(key) - 1 && memcmp(q, key, sizeof(key) - 1) == 0) {
            *found = 1;
            *value = q + sizeof(key) - 1;
            *value_len = n - (sizeof(key) - 1);
            return;
        }

        q = amp + 1;
    }
}


static int
cerebro_body_hash_ok(const char *body, size_t body_len, const char *hex,
    size_t hex_len)
{
    static const char  digits[] = "0123456789abcdef";
    unsigned char      md[SHA256_DIGEST_LENGTH];
    char               want[2 * SHA256_DIGEST_LENGTH], got[sizeof(want)];
    size_t             i;

    if (hex_len != sizeof(want)) {
        return 0;
    }

    SHA256((const unsigned char *) (body ? body : ""), body_len, md);

    for (i = 0; i < sizeof(md); i++) {
        want[2 * i] = digits[md[i] >> 4];
        want[2 * i + 1] = digits[md[i] & 0xf];
    }

    for (i = 0; i < sizeof(got); i++) {
        got[i] = (hex[i] >= 'A' && hex[i] <= 'F') ? hex[i] + 32 : hex[i];
    }

    return CRYPTO_memcmp(want, got, sizeof(want)) == 0;
}


cerebro_sig_rc_t
cerebro_twilio_verify(const char *token, size_t token_len, const char *url,
    size_t url_len, const cerebro_param_t *params, size_t nparams,
    const char *body, size_t body_len, const char *signature,
    size_t signature_len)
{
    const cerebro_param_t   *stack[CEREBRO_SIG_STACK_PARAMS];
    const cerebro_param_t  **sorted, **heap;
    const char              *hash;
    char                     want[CEREBRO_TWILIO_SIG_SIZE];
    size_t                   hash_len, n, np;
    cerebro_url_t            u;
    cerebro_piece_t          pieces[3];
    cerebro_sig_rc_t         rc;
    int                      json, match, https;

    if (token == NULL || token_len == 0) {
        return CEREBRO_SIG_NOT_CONFIGURED;
    }

    if (signature == NULL) {
        return CEREBRO_SIG_MISSING;
    }

    cerebro_trim(&signature, &signature_len);

    if (signature_len == 0) {
        return CEREBRO_SIG_MISSING;
    }

    if (url == NULL || (params == NULL && nparams)) {
        return CEREBRO_SIG_ERROR;
    }

    hash = NULL;
    hash_len = 0;
    cerebro_url_body_hash(url, url_len, &hash, &hash_len, &json);

    n = json ? 0 : nparams;
    sorted = cerebro_twilio_sort(params, n, stack, &heap);

    if (sorted == NULL) {
        return CEREBRO_SIG_ERROR;
    }

    match = 0;

    /* 1: the URL as given */
    pieces[0].p = url;
    pieces[0].len = url_len;
    np = 1;

    rc = cerebro_twilio_mac(token, token_len, pieces, np, sorted, n, want);
    match |= rc == CEREBRO_SIG_OK && signature_len == 28
             && CRYPTO_memcmp(want, signature, 28) == 0;

    if (rc == CEREBRO_SIG_OK && cerebro_url_parse(url, url_len, &u) == 0) {

        if (u.port_colon) {
            /* 2: without its port */
            pieces[0].len = u.port_colon;
            pieces[1].p = url + u.authority_end;
            pieces[1].len = url_len - u.authority_end;
            np = 2;

        } else {
            /* 3: with the scheme's default port, as the SDKs add it */
            https = u.scheme_len == 5 && strncasecmp(url, "https", 5) == 0;
            pieces[0].len = u.authority_end;
            pieces[1].p = https ? ":443" : ":80";
            pieces[1].len = https ? 4 : 3;
            pieces[2].p = url + u.authority_end;
            pieces[2].len = url_len - u.authority_end;
            np = 3;
        }

        rc = cerebro_twilio_mac(token, token_len, pieces, np, sorted, n,
                                want);
        match |= rc == CEREBRO_SIG_OK && signature_len == 28
                 && CRYPTO_memcmp(want, signature, 28) == 0;
    }

    free(heap);

    if (!match) {
        return rc == CEREBRO_SIG_ERROR ? CEREBRO_SIG_ERROR
                                       : CEREBRO_SIG_MISMATCH;
    }

    if (json && !cerebro_body_hash_ok(body, body_len, hash, hash_len)) {
        return CEREBRO_SIG_BODY_MISMATCH;
    }

    return CEREBRO_SIG_OK;
}


/* HMAC */


static const char *
cerebro_hmac_digest_name(cerebro_hmac_alg_t alg)
{
    switch (alg) {
    case CEREBRO_HMAC_SHA256:
        return "SHA256";
    case CEREBRO_HMAC_SHA512:
        return "SHA512";
    case CEREBRO_HMAC_SHA1:
        return "SHA1";
    }

    return NULL;
}


static int
cerebro_hmac_compute(const cerebro_hmac_opts_t *opts, const char *secret,
    size_t secret_len, const char *timestamp, size_t timestamp_len,
    const char *body, size_t body_len, unsigned char *md, size_t *md_len)
{
    cerebro_hmac_t   h;
    const char      *digest;
    int              rc;

    digest = cerebro_hmac_digest_name(opts->alg);

    if (digest == NULL) {
        return -1;
    }

    rc = cerebro_hmac_init(&h, digest, secret, secret_len);

    if (opts->payload == CEREBRO_HMAC_PAYLOAD_TS_BODY) {
        rc = rc || cerebro_hmac_update(&h, timestamp, timestamp_len);
        rc = rc || cerebro_hmac_update(&h, ".", 1);
    }

    rc = rc || cerebro_hmac_update(&h, body, body_len);
    rc = rc || cerebro_hmac_final(&h, md, EVP_MAX_MD_SIZE, md_len);
    cerebro_hmac_free(&h);

    return rc ? -1 : 0;
}


/* Hex (lower case) or unpadded base64 of md into out; returns length. */
static size_t
cerebro_hmac_encode(cerebro_hmac_enc_t enc, const unsigned char *md,
    size_t md_len, char *out)
{
    static const char  digits[] = "0123456789abcdef";
    size_t             i, n;

    if (enc == CEREBRO_HMAC_HEX) {
        for (i = 0; i < md_len; i++) {
            out[2 * i] = digits[md[i] >> 4];
            out[2 * i + 1] = digits[md[i] & 0xf];
        }

        return 2 * md_len;
    }

    n = (size_t) EVP_EncodeBlock((unsigned char *) out, md, (int) md_len);

    while (n > 0 && out[n - 1] == '=') {
        n--;
    }

    return n;
}


int
cerebro_hmac_sign(const cerebro_hmac_opts_t *opts, const char *secret,
    size_t secret_len, const char *timestamp, size_t timestamp_len,
    const char *body, size_t body_len, char *out, size_t out_size)
{
    unsigned char  md[EVP_MAX_MD_SIZE];
    char           enc[2 * EVP_MAX_MD_SIZE + 4];
    size_t         md_len, n, plen;

    if (opts == NULL || secret == NULL || secret_len == 0 || out == NULL
        || (body == NULL && body_len)
        || (opts->payload == CEREBRO_HMAC_PAYLOAD_TS_BODY
            && (timestamp == NULL || timestamp_len == 0)))
    {
        return -1;
    }

    if (cerebro_hmac_compute(opts, secret, secret_len, timestamp,
                             timestamp_len, body, body_len, md, &md_len)
        != 0)
    {
        return -1;
    }

    n = cerebro_hmac_encode(opts->encoding, md, md_len, enc);

    if (opts->encoding == CEREBRO_HMAC_BASE64) {
        /* sent padded, as libraries emit it */
        while (n % 4) {
            enc[n++] = '=';
        }
    }

    plen = opts->prefix ? strlen(opts->prefix) : 0;

    if (plen + n + 1 > out_size) {
        return -1;
    }

    memcpy(out, opts->prefix ? opts->prefix : "", plen);
    memcpy(out + plen, enc, n);
    out[plen + n] = '\0';

    return (int) (plen + n);
}


static cerebro_sig_rc_t
cerebro_hmac_timestamp(const char *ts, size_t len, int64_t now,
    int64_t tolerance)
{
    int64_t  v, d;
    size_t   i;

    cerebro_trim(&ts, &len);

    if (len == 0 || len > 18) {
        return CEREBRO_SIG_BAD_TIMESTAMP;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        if (ts[i] < '0' || ts[i] > '9') {
            return CEREBRO_SIG_BAD_TIMESTAMP;
        }

        v = v * 10 + (ts[i] - '0');
    }

    if (v > 100000000000LL) {
        v /= 1000;
    }

    d = now > v ? now - v : v - now;

    return d <= tolerance ? CEREBRO_SIG_OK : CEREBRO_SIG_STALE;
}


cerebro_sig_rc_t
cerebro_hmac_verify(const cerebro_hmac_opts_t *opts, const char *secret,
    size_t secret_len, const char *timestamp, size_t timestamp_len,
    const char *body, size_t body_len, const char *signature,
    size_t signature_len, int64_t now)
{
    unsigned char     md[EVP_MAX_MD_SIZE];
    char              want[2 * EVP_MAX_MD_SIZE + 4], got[sizeof(want)];
    size_t            md_len, n, plen, i;
    cerebro_sig_rc_t  rc;

    if (opts == NULL || (body == NULL && body_len)) {
        return CEREBRO_SIG_ERROR;
    }

    if (secret == NULL || secret_len == 0) {
        return CEREBRO_SIG_NOT_CONFIGURED;
    }

    if (signature == NULL) {
        return CEREBRO_SIG_MISSING;
    }

    cerebro_trim(&signature, &signature_len);

    plen = opts->prefix ? strlen(opts->prefix) : 0;

    if (plen && signature_len >= plen
        && strncasecmp(signature, opts->prefix, plen) == 0)
    {
        signature += plen;
        signature_len -= plen;
    }

    if (signature_len == 0) {
        return CEREBRO_SIG_MISSING;
    }

    if (timestamp != NULL) {
        cerebro_trim(&timestamp, &timestamp_len);
    }

    if (timestamp == NULL || timestamp_len == 0) {
        if (opts->payload == CEREBRO_HMAC_PAYLOAD_TS_BODY) {
            return CEREBRO_SIG_NO_TIMESTAMP;
        }

    } else if (opts->tolerance > 0) {
        rc = cerebro_hmac_timestamp(timestamp, timestamp_len, now,
                                    opts->tolerance);

        if (rc != CEREBRO_SIG_OK) {
            return rc;
        }
    }

    if (cerebro_hmac_compute(opts, secret, secret_len, timestamp,
                             timestamp_len, body, body_len, md, &md_len)
        != 0)
    {
        return CEREBRO_SIG_ERROR;
    }

    n = cerebro_hmac_encode(opts->encoding, md, md_len, want);

    /* bring the given form to ours: lower-case hex, unpadded base64 */
    if (opts->encoding == CEREBRO_HMAC_BASE64) {
        while (signature_len > 0 && signature[signature_len - 1] == '=') {
            signature_len--;
        }
    }

    if (signature_len != n) {
        return CEREBRO_SIG_MISMATCH;
    }

    for (i = 0; i < n; i++) {
        got[i] = signature[i];

        if (opts->encoding == CEREBRO_HMAC_HEX) {
            if (got[i] >= 'A' && got[i] <= 'F') {
                got[i] += 32;
            }

        } else if (got[i] == '-') {
            got[i] = '+';

        } else if (got[i] == '_') {
            got[i] = '/';
        }
    }

    return CRYPTO_memcmp(want, got, n) == 0 ? CEREBRO_SIG_OK
                                             : CEREBRO_SIG_MISMATCH;
}


const char *
cerebro_sig_strerror(cerebro_sig_rc_t rc)
{
    switch (rc) {
    case CEREBRO_SIG_OK:
        return "valid";
    case CEREBRO_SIG_MISSING:
        return "signature or secret missing";
    case CEREBRO_SIG_MISMATCH:
        return "signature or secret does not match";
    case CEREBRO_SIG_BODY_MISMATCH:
        return "bodySHA256 does not match the body";
    case CEREBRO_SIG_NO_TIMESTAMP:
        return "timestamp missing";
    case CEREBRO_SIG_BAD_TIMESTAMP:
        return "timestamp is not a number";
    case CEREBRO_SIG_STALE:
        return "timestamp outside the allowed window";
    case CEREBRO_SIG_NOT_CONFIGURED:
        return "no secret configured";
    case CEREBRO_SIG_ERROR:
        return "internal error checking the signature";
    }

    return "unknown signature error";
}
