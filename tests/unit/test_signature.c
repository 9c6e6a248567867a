/*
 * Signature checks. Expected values other than Twilio's published vector
 * were computed independently with Python's hmac/hashlib/base64.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cerebro_signature.h"


#define S(s)  (s), (sizeof(s) - 1)

#define TOKEN    "12345"
#define URL      "https://mycompany.com/myapp.php?foo=1&bar=2"
#define URL443   "https://mycompany.com:443/myapp.php?foo=1&bar=2"
#define VECTOR   "RSOYDt4T1cUTdK1PDd93/VVr8B8="
#define VEC443   "kvajT1Ptam85bY51eRf/AJRuM3w="

#define JSON_URL  "https://example.com/myapp?bodySHA256=" \
    "5ccde7145dfb8f56479710896586cb9d5911809d83afbe34627818790db0aec9"
#define JSON_BODY "{\"CallSid\":\"CA1234567890ABCDE\"," \
    "\"Caller\":\"+12349013030\"}"
#define JSON_SIG  "hPXmLwIy3Fgqv1i9KPmH/HhQ6zo="


static const cerebro_param_t  vector_params[] = {
    /* deliberately not in order: the function must sort */
    { S("To"), S("+18005551212") },
    { S("Digits"), S("1234") },
    { S("CallSid"), S("CA1234567890ABCDE") },
    { S("From"), S("+14158675309") },
    { S("Caller"), S("+14158675309") },
};

#define NVEC  (sizeof(vector_params) / sizeof(vector_params[0]))


static void
test_ct_equal(void **state)
{
    (void) state;

    assert_true(cerebro_ct_equal(S("secret"), S("secret")));
    assert_false(cerebro_ct_equal(S("secret"), S("secreT")));
    assert_false(cerebro_ct_equal(S("secret"), S("secret2")));
    assert_false(cerebro_ct_equal(S("secret"), S("secre")));
    assert_false(cerebro_ct_equal(S("secret"), S("")));
    assert_false(cerebro_ct_equal(S("secret"), NULL, 0));
    /* an empty secret on our side never lets anyone in */
    assert_false(cerebro_ct_equal(S(""), S("")));
    /* bytes after a NUL count */
    assert_false(cerebro_ct_equal("ab\0c", 4, "ab\0d", 4));
    assert_true(cerebro_ct_equal("ab\0c", 4, "ab\0c", 4));
}


static void
test_secret_and_bearer(void **state)
{
    (void) state;

    assert_int_equal(cerebro_secret_verify(S("s3cret"), S("s3cret")),
                     CEREBRO_SIG_OK);
    assert_int_equal(cerebro_secret_verify(S("s3cret"), S("s3cre")),
                     CEREBRO_SIG_MISMATCH);
    assert_int_equal(cerebro_secret_verify(S("s3cret"), S("")),
                     CEREBRO_SIG_MISSING);
    assert_int_equal(cerebro_secret_verify(S(""), S("x")),
                     CEREBRO_SIG_NOT_CONFIGURED);

    assert_int_equal(cerebro_bearer_verify(S("tok"), S("Bearer tok")),
                     CEREBRO_SIG_OK);
    assert_int_equal(cerebro_bearer_verify(S("tok"), S("bearer   tok  ")),
                     CEREBRO_SIG_OK);
    assert_int_equal(cerebro_bearer_verify(S("tok"), S("tok")),
                     CEREBRO_SIG_OK);
    assert_int_equal(cerebro_bearer_verify(S("tok"), S("Bearer tok2")),
                     CEREBRO_SIG_MISMATCH);
    assert_int_equal(cerebro_bearer_verify(S("tok"), S("Basic tok")),
                     CEREBRO_SIG_MISMATCH);
    assert_int_equal(cerebro_bearer_verify(S("tok"), S("Bearer ")),
                     CEREBRO_SIG_MISMATCH);
    assert_int_equal(cerebro_bearer_verify(S("tok"), S("")),
                     CEREBRO_SIG_MISSING);
    assert_int_equal(cerebro_bearer_verify(S(""), S("Bearer x")),
                     CEREBRO_SIG_NOT_CONFIGURED);
}


static void
test_twilio_published_vector(void **state)
{
    char  out[CEREBRO_TWILIO_SIG_SIZE];

    (void) state;

    assert_int_equal(cerebro_twilio_sign(S(TOKEN), S(URL), vector_params,
                                         NVEC, out, sizeof(out)),
                     CEREBRO_SIG_OK);
    assert_string_equal(out, VECTOR);

    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(URL), vector_params,
                                           NVEC, NULL, 0, S(VECTOR)),
                     CEREBRO_SIG_OK);
    /* blanks around the header value do not matter */
    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(URL), vector_params,
                                           NVEC, NULL, 0,
                                           S(" " VECTOR "\r\n")),
                     CEREBRO_SIG_OK);
}


static void
test_twilio_tampered(void **state)
{
    cerebro_param_t  p[NVEC + 1];
    char             sig[] = VECTOR;

    (void) state;

    memcpy(p, vector_params, sizeof(vector_params));
    p[1].value = "1235";
    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(URL), p, NVEC, NULL,
                                           0, S(VECTOR)),
                     CEREBRO_SIG_MISMATCH);

    /* a parameter dropped */
    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(URL), vector_params,
                                           NVEC - 1, NULL, 0, S(VECTOR)),
                     CEREBRO_SIG_MISMATCH);

    /* the right set passes, one extra parameter does not */
    memcpy(p, vector_params, sizeof(vector_params));
    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(URL), p, NVEC, NULL,
                                           0, S(VECTOR)),
                     CEREBRO_SIG_OK);
    p[NVEC].name = "Body";
    p[NVEC].name_len = 4;
    p[NVEC].value = "hola";
    p[NVEC].value_len = 4;
    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(URL), p, NVEC + 1,
                                           NULL, 0, S(VECTOR)),
                     CEREBRO_SIG_MISMATCH);

    /* another URL, another token, a flipped signature character */
    assert_int_equal(cerebro_twilio_verify(S(TOKEN),
                                           S(URL "&baz=3"), vector_params,
                                           NVEC, NULL, 0, S(VECTOR)),
                     CEREBRO_SIG_MISMATCH);
    assert_int_equal(cerebro_twilio_verify(S("12346"), S(URL),
                                           vector_params, NVEC, NULL, 0,
                                           S(VECTOR)),
                     CEREBRO_SIG_MISMATCH);
    sig[3] = 'P';
    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(URL), vector_params,
                                           NVEC, NULL, 0, sig,
                                           strlen(sig)),
                     CEREBRO_SIG_MISMATCH);
    /* truncated signature */
    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(URL), vector_params,
                                           NVEC, NULL, 0, VECTOR, 27),
                     CEREBRO_SIG_MISMATCH);

    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(URL), vector_params,
                                           NVEC, NULL, 0, S("")),
                     CEREBRO_SIG_MISSING);
    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(URL), vector_params,
                                           NVEC, NULL, 0, NULL, 0),
                     CEREBRO_SIG_MISSING);
    assert_int_equal(cerebro_twilio_verify(S(""), S(URL), vector_params,
                                           NVEC, NULL, 0, S(VECTOR)),
                     CEREBRO_SIG_NOT_CONFIGURED);
}


static void
test_twilio_ports(void **state)
{
    char  out[CEREBRO_TWILIO_SIG_SIZE];

    (void) state;

    assert_int_equal(cerebro_twilio_sign(S(TOKEN), S(URL443), vector_params,
                                         NVEC, out, sizeof(out)),
                     CEREBRO_SIG_OK);
    assert_string_equal(out, VEC443);

    /* Twilio signed with :443, we know the URL without it */
    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(URL), vector_params,
                                           NVEC, NULL, 0, S(VEC443)),
                     CEREBRO_SIG_OK);
    /* Twilio signed without, we know the URL with :443 */
    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(URL443),
                                           vector_params, NVEC, NULL, 0,
                                           S(VECTOR)),
                     CEREBRO_SIG_OK);
    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(URL443),
                                           vector_params, NVEC, NULL, 0,
                                           S(VEC443)),
                     CEREBRO_SIG_OK);
    /* http adds :80, not :443 */
    assert_int_equal(cerebro_twilio_verify(S(TOKEN),
                                           S("http://mycompany.com/myapp.php"
                                             "?foo=1&bar=2"),
                                           vector_params, NVEC, NULL, 0,
                                           S(VEC443)),
                     CEREBRO_SIG_MISMATCH);
    assert_int_equal(cerebro_twilio_verify(S(TOKEN),
                                           S("https://mycompany.com:8443"
                                             "/myapp.php?foo=1&bar=2"),
                                           vector_params, NVEC, NULL, 0,
                                           S(VECTOR)),
                     CEREBRO_SIG_OK);
    /* a path that is only digits after a colon is not a port */
    assert_int_equal(cerebro_twilio_verify(S(TOKEN),
                                           S("https://mycompany.com/a:1"),
                                           vector_params, NVEC, NULL, 0,
                                           S(VECTOR)),
                     CEREBRO_SIG_MISMATCH);
}


static void
test_twilio_json_body(void **state)
{
    static const cerebro_param_t  junk[] = { { S("a"), S("b") } };

    (void) state;

    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(JSON_URL), NULL, 0,
                                           S(JSON_BODY), S(JSON_SIG)),
                     CEREBRO_SIG_OK);
    /* params are ignored for a JSON request */
    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(JSON_URL), junk, 1,
                                           S(JSON_BODY), S(JSON_SIG)),
                     CEREBRO_SIG_OK);
    /* a body changed in one byte */
    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(JSON_URL), NULL, 0,
                                           S("{\"CallSid\":\"CA1234567890"
                                             "ABCDF\",\"Caller\":"
                                             "\"+12349013030\"}"),
                                           S(JSON_SIG)),
                     CEREBRO_SIG_BODY_MISMATCH);
    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(JSON_URL), NULL, 0,
                                           NULL, 0, S(JSON_SIG)),
                     CEREBRO_SIG_BODY_MISMATCH);
    /* wrong signature wins over the body check */
    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(JSON_URL), NULL, 0,
                                           S(JSON_BODY), S(VECTOR)),
                     CEREBRO_SIG_MISMATCH);
}


static void
test_twilio_duplicates_and_many(void **state)
{
    static const cerebro_param_t  dup[] = {
        { S("Zz"), S("") }, { S("M"), S("b") }, { S("A"), S("b") },
        { S("M"), S("a") }, { S("M"), S("b") },
    };
    cerebro_param_t  *many;
    char              out[CEREBRO_TWILIO_SIG_SIZE];
    char              out2[CEREBRO_TWILIO_SIG_SIZE];
    char             *names;
    size_t            i, n;

    (void) state;

    /* Python: sig("12345", "https://x.example/wh" + "Ab"+"Ma"+"Mb"+"Zz") */
    assert_int_equal(cerebro_twilio_sign(S(TOKEN), S("https://x.example/wh"),
                                         dup, 5, out, sizeof(out)),
                     CEREBRO_SIG_OK);
    assert_string_equal(out, "/ZdCB37skO/gfYEsAdC2qVK4RFc=");

    /* more params than the stack array: the heap path, order-free */
    n = 500;
    many = calloc(n, sizeof(*many));
    names = calloc(n, 8);
    assert_non_null(many);
    assert_non_null(names);

    for (i = 0; i < n; i++) {
        snprintf(names + 8 * i, 8, "P%05zu", (i * 7919) % n);
        many[i].name = names + 8 * i;
        many[i].name_len = 6;
        many[i].value = "v";
        many[i].value_len = 1;
    }

    assert_int_equal(cerebro_twilio_sign(S(TOKEN), S(URL), many, n, out,
                                         sizeof(out)),
                     CEREBRO_SIG_OK);

    /* reversed input, same signature */
    for (i = 0; i < n / 2; i++) {
        cerebro_param_t  t = many[i];
        many[i] = many[n - 1 - i];
        many[n - 1 - i] = t;
    }

    assert_int_equal(cerebro_twilio_sign(S(TOKEN), S(URL), many, n, out2,
                                         sizeof(out2)),
                     CEREBRO_SIG_OK);
    assert_string_equal(out, out2);
    assert_int_equal(cerebro_twilio_verify(S(TOKEN), S(URL), many, n, NULL,
                                           0, out, strlen(out)),
                     CEREBRO_SIG_OK);

    free(many);
    free(names);

    assert_int_equal(cerebro_twilio_sign(S(TOKEN), S(URL), vector_params,
                                         NVEC, out, 28),
                     CEREBRO_SIG_ERROR);
}


static void
test_hmac_sha256_hex(void **state)
{
    cerebro_hmac_opts_t  o;
    char                 out[200];
    const char          *want;

    (void) state;

    memset(&o, 0, sizeof(o));
    o.alg = CEREBRO_HMAC_SHA256;
    o.encoding = CEREBRO_HMAC_HEX;
    o.payload = CEREBRO_HMAC_PAYLOAD_TS_BODY;
    o.tolerance = 300;

    want = "5636fcb6296a2ce8b4a72c9119a54ee543dea12345e99179818bd48f0b68bd09";

    assert_int_equal(cerebro_hmac_sign(&o, S("s3cret"), S("1700000000"),
                                       S("{\"message\":{}}"), out,
                                       sizeof(out)),
                     64);
    assert_string_equal(out, want);

    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), S("1700000000"),
                                         S("{\"message\":{}}"), want, 64,
                                         1700000100),
                     CEREBRO_SIG_OK);
    /* upper-case hex */
    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), S("1700000000"),
                                         S("{\"message\":{}}"),
                                         S("5636FCB6296A2CE8B4A72C9119A54EE5"
                                           "43DEA12345E99179818BD48F0B68BD09"),
                                         1700000000),
                     CEREBRO_SIG_OK);
    /* milliseconds */
    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), S("1700000000000"),
                                         S("{\"message\":{}}"), want, 64,
                                         1700000000),
                     CEREBRO_SIG_MISMATCH);
    /* stale, future, missing, junk timestamps */
    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), S("1700000000"),
                                         S("{\"message\":{}}"), want, 64,
                                         1700000301),
                     CEREBRO_SIG_STALE);
    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), S("1700000000"),
                                         S("{\"message\":{}}"), want, 64,
                                         1699999000),
                     CEREBRO_SIG_STALE);
    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), NULL, 0,
                                         S("{\"message\":{}}"), want, 64,
                                         1700000000),
                     CEREBRO_SIG_NO_TIMESTAMP);
    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), S("17e8"),
                                         S("{\"message\":{}}"), want, 64,
                                         1700000000),
                     CEREBRO_SIG_BAD_TIMESTAMP);
    /* tolerance 0 turns the window off */
    o.tolerance = 0;
    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), S("1700000000"),
                                         S("{\"message\":{}}"), want, 64,
                                         1900000000),
                     CEREBRO_SIG_OK);
    /* tampered body, wrong secret */
    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), S("1700000000"),
                                         S("{\"message\":{ }}"), want, 64,
                                         1700000000),
                     CEREBRO_SIG_MISMATCH);
    assert_int_equal(cerebro_hmac_verify(&o, S("s3creT"), S("1700000000"),
                                         S("{\"message\":{}}"), want, 64,
                                         1700000000),
                     CEREBRO_SIG_MISMATCH);
    assert_int_equal(cerebro_hmac_verify(&o, S(""), S("1700000000"),
                                         S("{\"message\":{}}"), want, 64,
                                         1700000000),
                     CEREBRO_SIG_NOT_CONFIGURED);
    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), S("1700000000"),
                                         S("{\"message\":{}}"), S(""),
                                         1700000000),
                     CEREBRO_SIG_MISSING);

    /* with a prefix: optional in what is sent */
    o.prefix = "sha256=";
    assert_int_equal(cerebro_hmac_sign(&o, S("s3cret"), S("1700000000"),
                                       S("{\"message\":{}}"), out,
                                       sizeof(out)),
                     71);
    assert_memory_equal(out, "sha256=5636fcb6", 14);
    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), S("1700000000"),
                                         S("{\"message\":{}}"), out,
                                         strlen(out), 1700000000),
                     CEREBRO_SIG_OK);
    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), S("1700000000"),
                                         S("{\"message\":{}}"), want, 64,
                                         1700000000),
                     CEREBRO_SIG_OK);
    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), S("1700000000"),
                                         S("{\"message\":{}}"), S("sha256="),
                                         1700000000),
                     CEREBRO_SIG_MISSING);
}


static void
test_hmac_other_algs(void **state)
{
    cerebro_hmac_opts_t  o;
    char                 out[200];
    const char          *b64;

    (void) state;

    memset(&o, 0, sizeof(o));
    o.alg = CEREBRO_HMAC_SHA512;
    o.encoding = CEREBRO_HMAC_BASE64;
    o.payload = CEREBRO_HMAC_PAYLOAD_BODY;

    b64 = "yig9Jz9nHq4Xl4cUlAkAW2t2aSRUSkTc9wtUvAl27r0AubIsQHFSmEbGXb4rTFsV"
          "3ZStXHzDc1DRri9PY4Z2YA==";

    assert_int_equal(cerebro_hmac_sign(&o, S("s3cret"), NULL, 0,
                                       S("{\"message\":{}}"), out,
                                       sizeof(out)),
                     88);
    assert_string_equal(out, b64);
    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), NULL, 0,
                                         S("{\"message\":{}}"), b64,
                                         strlen(b64), 0),
                     CEREBRO_SIG_OK);
    /* unpadded */
    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), NULL, 0,
                                         S("{\"message\":{}}"), b64,
                                         strlen(b64) - 2, 0),
                     CEREBRO_SIG_OK);
    /* hex given where base64 is configured */
    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), NULL, 0,
                                         S("{\"message\":{}}"),
                                         S("c9283d27"), 0),
                     CEREBRO_SIG_MISMATCH);

    o.alg = CEREBRO_HMAC_SHA1;
    o.encoding = CEREBRO_HMAC_HEX;
    o.payload = CEREBRO_HMAC_PAYLOAD_TS_BODY;

    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), S("1700000000"),
                                         S("{}"),
                                         S("504971681235de9485b7b1d2d613605f"
                                           "ccef2c5a"), 0),
                     CEREBRO_SIG_OK);
    assert_int_equal(cerebro_hmac_verify(&o, S("s3cret"), S("1700000000"),
                                         S("{}"),
                                         S("504971681235de9485b7b1d2d613605f"
                                           "ccef2c5b"), 0),
                     CEREBRO_SIG_MISMATCH);

    /* the out buffer too small */
    assert_int_equal(cerebro_hmac_sign(&o, S("s3cret"), S("1"), S("{}"), out,
                                       40),
                     -1);
    assert_string_not_equal(cerebro_sig_strerror(CEREBRO_SIG_STALE),
                            cerebro_sig_strerror(CEREBRO_SIG_MISMATCH));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_secret_and_bearer),
        cmocka_unit_test(test_twilio_published_vector),
        cmocka_unit_test(test_twilio_tampered),
        cmocka_unit_test(test_twilio_ports),
        cmocka_unit_test(test_twilio_json_body),
        cmocka_unit_test(test_twilio_duplicates_and_many),
        cmocka_unit_test(test_hmac_sha256_hex),
        cmocka_unit_test(test_hmac_other_algs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
