/*
 * Text cut to WhatsApp's 1,600 characters: at sentences, words and
 * characters, counting as Twilio counts (UTF-16 code units).
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cerebro_text.h"


static void
test_prefix_stops_at_a_character(void **state)
{
    /* "añ" is 3 bytes, 2 units; "😀" is 4 bytes, 2 units */
    const char  *s = "añ😀b";

    (void) state;

    assert_int_equal(cerebro_text_units(s, strlen(s)), 5);
    assert_int_equal(cerebro_text_prefix(s, strlen(s), 1), 1);
    assert_int_equal(cerebro_text_prefix(s, strlen(s), 2), 3);
    /* the emoji does not fit in one unit more: never half of it */
    assert_int_equal(cerebro_text_prefix(s, strlen(s), 3), 3);
    assert_int_equal(cerebro_text_prefix(s, strlen(s), 4), 7);
    assert_int_equal(cerebro_text_prefix(s, strlen(s), 99), 8);
    /* a sequence cut by the input is left out */
    assert_int_equal(cerebro_text_prefix("a\xc3", 2, 10), 1);
}


static void
test_split_at_sentences_then_words(void **state)
{
    size_t       st[8], len[8], n;
    const char  *s = "Hola Ana. Su mesa está lista. Hasta pronto";

    (void) state;

    n = cerebro_text_split(s, strlen(s), 100, st, len, 8);
    assert_int_equal(n, 1);
    assert_int_equal(len[0], strlen(s));

    /* 20 units: "Hola Ana." fits, the next sentence does not */
    n = cerebro_text_split(s, strlen(s), 20, st, len, 8);
    assert_int_equal(n, 3);
    assert_memory_equal(s + st[0], "Hola Ana.", len[0]);
    assert_int_equal(len[0], 9);
    assert_memory_equal(s + st[1], "Su mesa está lista.", len[1]);
    assert_memory_equal(s + st[2], "Hasta pronto", len[2]);

    /* no sentence end within 8: at the last blank */
    n = cerebro_text_split("una dos tres cuatro", 19, 8, st, len, 8);
    assert_int_equal(n, 3);
    assert_int_equal(len[0], 7);                 /* "una dos" */
    assert_int_equal(len[1], 4);                 /* "tres" */
    assert_int_equal(len[2], 6);                 /* "cuatro" */
}


static void
test_split_a_long_text_into_whatsapp_parts(void **state)
{
    char    text[2100];
    size_t  st[4], len[4], n, i, total;

    (void) state;

    /* 2,000 characters of Spanish sentences with accents */
    text[0] = '\0';
    while (strlen(text) < 2000) {
        strcat(text, "La mesa está reservada. ");
    }

    n = cerebro_text_split(text, strlen(text), CEREBRO_TEXT_WHATSAPP_MAX,
                           st, len, 4);
    assert_int_equal(n, 2);

    total = 0;
    for (i = 0; i < n; i++) {
        assert_true(cerebro_text_units(text + st[i], len[i])
                    <= CEREBRO_TEXT_WHATSAPP_MAX);
        /* each part ends a sentence */
        assert_int_equal(text[st[i] + len[i] - 1], '.');
        total += len[i];
    }

    /* nothing but the blanks between parts is lost */
    assert_true(total >= strlen(text) - 2 * n);

    /* one word longer than a message is cut at a character: the emoji
     * would be units 1,600 and 1,601 */
    memset(text, 'x', 1700);
    memcpy(text + 1599, "😀", 4);
    n = cerebro_text_split(text, 1700, CEREBRO_TEXT_WHATSAPP_MAX, st, len,
                           4);
    assert_int_equal(n, 2);
    assert_int_equal(len[0], 1599);
    assert_int_equal(st[1], 1599);
}


static void
test_split_limits(void **state)
{
    size_t  st[2], len[2];

    (void) state;

    assert_int_equal(cerebro_text_split("", 0, 10, st, len, 2), 0);
    assert_int_equal(cerebro_text_split("   ", 3, 10, st, len, 2), 0);
    /* more parts than room: the last is cut short */
    assert_int_equal(cerebro_text_split("aa bb cc dd", 11, 2, st, len, 2), 2);
    assert_int_equal(len[1], 2);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_stops_at_a_character),
        cmocka_unit_test(test_split_at_sentences_then_words),
        cmocka_unit_test(test_split_a_long_text_into_whatsapp_parts),
        cmocka_unit_test(test_split_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
