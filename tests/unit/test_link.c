/*
 * The manage-my-booking token: made and read back, refused when expired,
 * forged, cut, respelt or signed with another key.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cerebro_link.h"


static const char  key[] = "0123456789abcdef0123456789abcdef";
#define KEY_LEN  (sizeof(key) - 1)


static void
test_round_trip(void **state)
{
    char     tok[CEREBRO_LINK_TOKEN_SIZE], id[32];
    int      n;
    int64_t  exp;

    (void) state;

    n = cerebro_link_make(key, KEY_LEN, "recAbCdEfGhIjKlMn", 1780000000,
                          tok, sizeof(tok));
    assert_int_equal(n, 46);
    assert_int_equal(strlen(tok), 46);
    assert_null(strpbrk(tok, "+/="));

    assert_int_equal(cerebro_link_parse(key, KEY_LEN, tok, n, 1779999999,
                                        id, sizeof(id), &exp),
                     CEREBRO_LINK_OK);
    assert_string_equal(id, "recAbCdEfGhIjKlMn");
    assert_int_equal(exp, 1780000000);

    /* good to its last second */
    assert_int_equal(cerebro_link_parse(key, KEY_LEN, tok, n, 1780000000,
                                        id, sizeof(id), &exp),
                     CEREBRO_LINK_OK);

    /* a row id of the embedded store: a short token */
    n = cerebro_link_make(key, KEY_LEN, "42", 1780000000, tok, sizeof(tok));
    assert_true(n > 0 && n <= 26);
    assert_int_equal(cerebro_link_parse(key, KEY_LEN, tok, n, 0, id,
                                        sizeof(id), &exp),
                     CEREBRO_LINK_OK);
    assert_string_equal(id, "42");

    /* the same booking and time: the same token (the outbox dedupes) */
    {
        char  tok2[CEREBRO_LINK_TOKEN_SIZE];

        assert_int_equal(cerebro_link_make(key, KEY_LEN, "42", 1780000000,
                                           tok2, sizeof(tok2)), n);
        assert_string_equal(tok, tok2);
    }
}


static void
test_expired_after_its_time(void **state)
{
    char     tok[CEREBRO_LINK_TOKEN_SIZE], id[32];
    int      n;
    int64_t  exp;

    (void) state;

    n = cerebro_link_make(key, KEY_LEN, "7", 1000, tok, sizeof(tok));
    assert_true(n > 0);
    assert_int_equal(cerebro_link_parse(key, KEY_LEN, tok, n, 1001, id,
                                        sizeof(id), &exp),
                     CEREBRO_LINK_EXPIRED);
    /* ours, so it may say which booking it was */
    assert_string_equal(id, "7");
    assert_int_equal(exp, 1000);
}


static void
test_forged_and_other_keys(void **state)
{
    char     tok[CEREBRO_LINK_TOKEN_SIZE], bad[CEREBRO_LINK_TOKEN_SIZE];
    char     id[32];
    int      n, i;
    int64_t  exp;

    (void) state;

    n = cerebro_link_make(key, KEY_LEN, "recAbCdEfGhIjKlMn", 1780000000,
                          tok, sizeof(tok));

    assert_int_equal(cerebro_link_parse("another key of 32 bytes, or so..",
                                        32, tok, n, 0, id, sizeof(id),
                                        &exp),
                     CEREBRO_LINK_FORGED);
    assert_string_equal(id, "");
    assert_int_equal(exp, 0);

    /* any character changed: never OK (forged or not ours at all) */
    for (i = 0; i < n; i++) {
        memcpy(bad, tok, n + 1);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        assert_true(cerebro_link_parse(key, KEY_LEN, bad, n, 0, id,
                                       sizeof(id), &exp)
                    != CEREBRO_LINK_OK);
        assert_string_equal(id, "");
    }

    /* cut short, one character more */
    assert_int_not_equal(cerebro_link_parse(key, KEY_LEN, tok, n - 1, 0, id,
                                            sizeof(id), &exp),
                         CEREBRO_LINK_OK);
    memcpy(bad, tok, n);
    bad[n] = 'A';
    assert_int_not_equal(cerebro_link_parse(key, KEY_LEN, bad, n + 1, 0, id,
                                            sizeof(id), &exp),
                         CEREBRO_LINK_OK);
}


static void
test_another_booking_is_another_mac(void **state)
{
    char     a[CEREBRO_LINK_TOKEN_SIZE], b[CEREBRO_LINK_TOKEN_SIZE];
    char     id[32];
    int      na, nb;
    int64_t  exp;

    (void) state;

    na = cerebro_link_make(key, KEY_LEN, "41", 1780000000, a, sizeof(a));
    nb = cerebro_link_make(key, KEY_LEN, "42", 1780000000, b, sizeof(b));
    assert_int_equal(na, nb);

    /* the id of one with the MAC of the other */
    memcpy(a + na - 16, b + nb - 16, 16);
    assert_int_equal(cerebro_link_parse(key, KEY_LEN, a, na, 0, id,
                                        sizeof(id), &exp),
                     CEREBRO_LINK_FORGED);
}


static void
test_malformed(void **state)
{
    char         id[32], tok[CEREBRO_LINK_TOKEN_SIZE];
    int          n;
    int64_t      exp;
    const char  *bad[] = { "", "A", "AAAA", "a+b/", "abc=", "ab cd", "%41",
                           "....", NULL };
    int          i;

    (void) state;

    for (i = 0; bad[i]; i++) {
        assert_int_equal(cerebro_link_parse(key, KEY_LEN, bad[i],
                                            strlen(bad[i]), 0, id,
                                            sizeof(id), &exp),
                         CEREBRO_LINK_MALFORMED);
    }

    /* very long */
    memset(tok, 'A', sizeof(tok));
    assert_int_equal(cerebro_link_parse(key, KEY_LEN, tok, sizeof(tok), 0,
                                        id, sizeof(id), &exp),
                     CEREBRO_LINK_MALFORMED);

    /* the standard alphabet's spelling of a good token is not ours */
    n = cerebro_link_make(key, KEY_LEN, "recAbCdEfGhIjKlMn", 1780000000,
                          tok, sizeof(tok));
    assert_true(n > 0);
    tok[n] = '=';
    assert_int_equal(cerebro_link_parse(key, KEY_LEN, tok, n + 1, 0, id,
                                        sizeof(id), &exp),
                     CEREBRO_LINK_MALFORMED);
}


static void
test_make_refuses(void **state)
{
    char  tok[CEREBRO_LINK_TOKEN_SIZE];

    (void) state;

    assert_int_equal(cerebro_link_make(key, 0, "1", 1, tok, sizeof(tok)),
                     -1);
    assert_int_equal(cerebro_link_make(key, KEY_LEN, "", 1, tok,
                                       sizeof(tok)), -1);
    assert_int_equal(cerebro_link_make(key, KEY_LEN, "a b", 1, tok,
                                       sizeof(tok)), -1);
    assert_int_equal(cerebro_link_make(key, KEY_LEN,
                                       "0123456789012345678901234567890123",
                                       1, tok, sizeof(tok)), -1);
    assert_int_equal(cerebro_link_make(key, KEY_LEN, "1", -1, tok,
                                       sizeof(tok)), -1);
    assert_int_equal(cerebro_link_make(key, KEY_LEN, "1", 1, tok, 8), -1);

    /* the longest id fits the token size */
    assert_true(cerebro_link_make(key, KEY_LEN,
                                  "0123456789012345678901234567890", 1,
                                  tok, sizeof(tok)) > 0);
}


/* the integration tests make tokens in Python: the same bytes */
static void
test_known_vector(void **state)
{
    char  tok[CEREBRO_LINK_TOKEN_SIZE];

    (void) state;

    assert_true(cerebro_link_make(key, KEY_LEN, "42", 1780000000, tok,
                                  sizeof(tok)) > 0);
    /* HMAC-SHA256(key, "cerebro-link\0" 01 6a18a500 "42")[:12] */
    assert_string_equal(tok, "AWoYpQA0MgEgl2N8UoL6HFL2iQ");
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_expired_after_its_time),
        cmocka_unit_test(test_forged_and_other_keys),
        cmocka_unit_test(test_another_booking_is_another_mac),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_make_refuses),
        cmocka_unit_test(test_known_vector),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
