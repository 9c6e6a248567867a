/*
 * Webhook authentication: Twilio's X-Twilio-Signature, VAPI's HMAC,
 * shared secrets and bearer tokens. Every comparison of a secret or a MAC
 * is constant-time (OpenSSL's CRYPTO_memcmp); the only thing timing can
 * tell is the length of what the caller sent.
 */

#ifndef CEREBRO_SIGNATURE_H
#define CEREBRO_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>


typedef enum {
    CEREBRO_SIG_OK = 0,
    CEREBRO_SIG_MISSING,            /* no signature / secret given */
    CEREBRO_SIG_MISMATCH,           /* wrong signature or secret */
    CEREBRO_SIG_BODY_MISMATCH,      /* bodySHA256 differs from the body */
    CEREBRO_SIG_NO_TIMESTAMP,       /* the payload needs one, none given */
    CEREBRO_SIG_BAD_TIMESTAMP,      /* not a number */
    CEREBRO_SIG_STALE,              /* outside the tolerance */
    CEREBRO_SIG_NOT_CONFIGURED,     /* empty secret/token on our side */
    CEREBRO_SIG_ERROR               /* bad arguments, OpenSSL failure */
} cerebro_sig_rc_t;


/* One form parameter, already URL-decoded; not NUL-terminated. */
typedef struct {
    const char  *name;
    size_t       name_len;
    const char  *value;
    size_t       value_len;
} cerebro_param_t;


/*
 * 1 when given equals expected. Both are hashed (SHA-256) and the digests
 * compared with CRYPTO_memcmp, so the time depends only on the lengths,
 * never on where the first difference is. An empty expected never matches.
 */
int cerebro_ct_equal(const void *expected, size_t expected_len,
    const void *given, size_t given_len);

/* A plain shared secret (legacy X-Vapi-Secret). */
cerebro_sig_rc_t cerebro_secret_verify(const char *secret, size_t secret_len,
    const char *given, size_t given_len);

/*
 * An "Authorization: Bearer <token>" value (scheme case-insensitive,
 * blanks around the token ignored). Without the "Bearer" scheme the whole
 * value is compared, for a custom header that carries the bare token.
 */
cerebro_sig_rc_t cerebro_bearer_verify(const char *token, size_t token_len,
    const char *header, size_t header_len);


/* Twilio */

#define CEREBRO_TWILIO_SIG_SIZE  29     /* base64(SHA-1) + NUL */

/*
 * base64(HMAC-SHA1(token, url + name1 + value1 + ...)) with the params
 * sorted by name then value (bytewise), identical pairs once, as Twilio's
 * SDKs compute it. out must hold CEREBRO_TWILIO_SIG_SIZE bytes.
 */
cerebro_sig_rc_t cerebro_twilio_sign(const char *token, size_t token_len,
    const char *url, size_t url_len, const cerebro_param_t *params,
    size_t nparams, char *out, size_t out_size);

/*
 * Verifies a form-encoded request (params) or, when url's query has
 * bodySHA256=<hex>, a JSON request: then the signature covers the URL
 * alone and the hex SHA-256 of body must equal that value (params are
 * ignored). The URL is tried as given, with its port removed, and with the
 * scheme's default port added (https 443, http 80), as the SDKs do.
 */
cerebro_sig_rc_t cerebro_twilio_verify(const char *token, size_t token_len,
    const char *url, size_t url_len, const cerebro_param_t *params,
    size_t nparams, const char *body, size_t body_len,
    const char *signature, size_t signature_len);


/* HMAC (VAPI and other webhooks) */

typedef enum {
    CEREBRO_HMAC_SHA256 = 0,
    CEREBRO_HMAC_SHA512,
    CEREBRO_HMAC_SHA1
} cerebro_hmac_alg_t;

typedef enum {
    CEREBRO_HMAC_HEX = 0,
    CEREBRO_HMAC_BASE64
} cerebro_hmac_enc_t;

typedef enum {
    CEREBRO_HMAC_PAYLOAD_TS_BODY = 0,   /* "{timestamp}.{body}" */
    CEREBRO_HMAC_PAYLOAD_BODY           /* the body alone */
} cerebro_hmac_payload_t;

typedef struct {
    cerebro_hmac_alg_t      alg;
    cerebro_hmac_enc_t      encoding;
    cerebro_hmac_payload_t  payload;
    const char             *prefix;     /* e.g. "sha256=", or NULL */
    /*
     * Maximum |now - timestamp| in seconds; 0 disables the check. A
     * timestamp above 10^11 is taken as milliseconds.
     */
    int64_t                 tolerance;
} cerebro_hmac_opts_t;

/*
 * The signature as it would be sent (prefix + hex or base64) into out;
 * returns its length or -1 (bad arguments, out too small).
 */
int cerebro_hmac_sign(const cerebro_hmac_opts_t *opts, const char *secret,
    size_t secret_len, const char *timestamp, size_t timestamp_len,
    const char *body, size_t body_len, char *out, size_t out_size);

/*
 * Hex is accepted in either case; base64 with or without padding and in
 * its URL-safe alphabet. The prefix, if configured, is optional in the
 * given signature. now is Unix seconds.
 */
cerebro_sig_rc_t cerebro_hmac_verify(const cerebro_hmac_opts_t *opts,
    const char *secret, size_t secret_len, const char *timestamp,
    size_t timestamp_len, const char *body, size_t body_len,
    const char *signature, size_t signature_len, int64_t now);

const char *cerebro_sig_strerror(cerebro_sig_rc_t rc);

#endif /* CEREBRO_SIGNATURE_H */
