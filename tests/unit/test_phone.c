/* E.164 normalisation of the numbers guests and channels give us. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cerebro_phone.h"


typedef struct {
    const char          *in;
    const char          *cc;
    cerebro_phone_rc_t   rc;
    const char          *want;
} phone_case_t;


static void
test_phone_table(void **state)
{
    static const phone_case_t  cases[] = {
        { "+34600111222", "34", CEREBRO_PHONE_OK, "+34600111222" },
        { "whatsapp:+34600111222", "34", CEREBRO_PHONE_OK, "+34600111222" },
        { "WhatsApp:+34 600 111 222", "34", CEREBRO_PHONE_OK,
          "+34600111222" },
        { "tel:+34-600-111-222", "34", CEREBRO_PHONE_OK, "+34600111222" },
        { "600 11 12 22", "34", CEREBRO_PHONE_OK, "+34600111222" },
        { "600.111.222", "34", CEREBRO_PHONE_OK, "+34600111222" },
        { "600-111-222", "34", CEREBRO_PHONE_OK, "+34600111222" },
        { "(+34) 600 111 222", "34", CEREBRO_PHONE_OK, "+34600111222" },
        { "0034 600 111 222", "34", CEREBRO_PHONE_OK, "+34600111222" },
        { "0034600111222", "34", CEREBRO_PHONE_OK, "+34600111222" },
        { "34600111222", "34", CEREBRO_PHONE_OK, "+34600111222" },
        { "  941 22 33 44 ", "34", CEREBRO_PHONE_OK, "+34941223344" },
        { "722333444", "34", CEREBRO_PHONE_OK, "+34722333444" },
        { "811223344", "34", CEREBRO_PHONE_OK, "+34811223344" },
        { "+1 (415) 867-5309", "34", CEREBRO_PHONE_OK, "+14158675309" },
        { "0044 7700 900123", "34", CEREBRO_PHONE_OK, "+447700900123" },
        { "whatsapp:+447700900123", "34", CEREBRO_PHONE_OK,
          "+447700900123" },
        { "+123456789012345", "34", CEREBRO_PHONE_OK, "+123456789012345" },
        /* another default country: a trunk 0 is dropped */
        { "07700 900123", "44", CEREBRO_PHONE_OK, "+447700900123" },
        { "415 867 5309", "1", CEREBRO_PHONE_OK, "+14158675309" },
        /* refused */
        { "", "34", CEREBRO_PHONE_EMPTY, "" },
        { "   ", "34", CEREBRO_PHONE_EMPTY, "" },
        { "whatsapp:", "34", CEREBRO_PHONE_EMPTY, "" },
        { "+", "34", CEREBRO_PHONE_EMPTY, "" },
        { "600 11 12 2x", "34", CEREBRO_PHONE_INVALID_CHAR, "" },
        { "llámame", "34", CEREBRO_PHONE_INVALID_CHAR, "" },
        { "600111222 ext 5", "34", CEREBRO_PHONE_INVALID_CHAR, "" },
        { "+34+600111222", "34", CEREBRO_PHONE_INVALID_CHAR, "" },
        { "600+111222", "34", CEREBRO_PHONE_INVALID_CHAR, "" },
        { "600111222#", "34", CEREBRO_PHONE_INVALID_CHAR, "" },
        { "60011122", "34", CEREBRO_PHONE_TOO_SHORT, "" },
        { "112", "34", CEREBRO_PHONE_TOO_SHORT, "" },
        { "+34 60011122", "34", CEREBRO_PHONE_TOO_SHORT, "" },
        { "+34 6001112223", "34", CEREBRO_PHONE_TOO_LONG, "" },
        { "+1234", "34", CEREBRO_PHONE_TOO_SHORT, "" },
        { "+1234567890123456", "34", CEREBRO_PHONE_TOO_LONG, "" },
        { "0012345678901234567890", "34", CEREBRO_PHONE_TOO_LONG, "" },
        { "123456789", "34", CEREBRO_PHONE_BAD_NATIONAL, "" },
        { "500111222", "34", CEREBRO_PHONE_BAD_NATIONAL, "" },
        { "6001112223", "34", CEREBRO_PHONE_BAD_NATIONAL, "" },
        { "+0600111222", "34", CEREBRO_PHONE_BAD_NATIONAL, "" },
        { "600111222", "", CEREBRO_PHONE_BAD_COUNTRY, "" },
        { "600111222", "034", CEREBRO_PHONE_BAD_COUNTRY, "" },
        { "600111222", "3a", CEREBRO_PHONE_BAD_COUNTRY, "" },
        { "600111222", "3456", CEREBRO_PHONE_BAD_COUNTRY, "" },
    };
    char    out[CEREBRO_PHONE_E164_SIZE];
    size_t  i, len;
    int     failed;

    (void) state;

    failed = 0;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cerebro_phone_rc_t  rc;

        memset(out, 'Z', sizeof(out));
        rc = cerebro_phone_normalize(cases[i].in, strlen(cases[i].in),
                                     cases[i].cc, out, sizeof(out), &len);

        if (rc != cases[i].rc || strcmp(out, cases[i].want) != 0
            || len != strlen(cases[i].want))
        {
            print_error("\"%s\" (cc %s): got %d \"%s\", want %d \"%s\"\n",
                        cases[i].in, cases[i].cc, rc, out, cases[i].rc,
                        cases[i].want);
            failed++;
        }
    }

    assert_int_equal(failed, 0);
}


static void
test_phone_buffers(void **state)
{
    char    out[CEREBRO_PHONE_E164_SIZE];
    size_t  len;

    (void) state;

    /* only len bytes are read: the tail "9" is not part of the input */
    assert_int_equal(cerebro_phone_normalize("6001112229", 9, "34", out,
                                             sizeof(out), &len),
                     CEREBRO_PHONE_OK);
    assert_string_equal(out, "+34600111222");
    assert_int_equal(len, 12);

    /* exactly enough room, and one byte short */
    assert_int_equal(cerebro_phone_normalize("600111222", 9, "34", out, 13,
                                             NULL),
                     CEREBRO_PHONE_OK);
    assert_int_equal(cerebro_phone_normalize("600111222", 9, "34", out, 12,
                                             &len),
                     CEREBRO_PHONE_NO_ROOM);
    assert_int_equal(len, 0);
    assert_string_equal(out, "");

    assert_int_equal(cerebro_phone_normalize(NULL, 0, "34", out,
                                             sizeof(out), NULL),
                     CEREBRO_PHONE_EMPTY);
    assert_int_equal(cerebro_phone_normalize("600111222", 9, NULL, out,
                                             sizeof(out), NULL),
                     CEREBRO_PHONE_BAD_COUNTRY);
}


/* Each way of typing a number, and each normalises back to it. */
static void
test_phone_forms(void **state)
{
    static const struct {
        const char  *e164;
        const char  *cc;
        int          n;
        const char  *forms[CEREBRO_PHONE_FORMS];
    } cases[] = {
        { "+34600111222", "34", 4,
          { "+34600111222", "0034600111222", "600111222", "34600111222" } },
        { "+447700900123", "44", 4,
          { "+447700900123", "00447700900123", "7700900123",
            "07700900123" } },
        /* a number of another country: only its international forms */
        { "+447700900123", "34", 2,
          { "+447700900123", "00447700900123" } },
        { "+33612345678", "34", 2, { "+33612345678", "0033612345678" } },
    };
    char    forms[CEREBRO_PHONE_FORMS][CEREBRO_PHONE_FORM_SIZE];
    char    back[CEREBRO_PHONE_E164_SIZE];
    size_t  i;
    int     n, k;

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = cerebro_phone_forms(cases[i].e164, cases[i].cc, forms,
                                CEREBRO_PHONE_FORMS);
        assert_int_equal(n, cases[i].n);

        for (k = 0; k < n; k++) {
            assert_string_equal(forms[k], cases[i].forms[k]);
            assert_int_equal(cerebro_phone_normalize(forms[k],
                                                     strlen(forms[k]),
                                                     cases[i].cc, back,
                                                     sizeof(back), NULL),
                             CEREBRO_PHONE_OK);
            assert_string_equal(back, cases[i].e164);
        }
    }

    /* no more than asked for; nothing for what is not E.164 */
    assert_int_equal(cerebro_phone_forms("+34600111222", "34", forms, 1), 1);
    assert_string_equal(forms[0], "+34600111222");
    assert_int_equal(cerebro_phone_forms("600111222", "34", forms,
                                         CEREBRO_PHONE_FORMS), 0);
    assert_int_equal(cerebro_phone_forms("+346", "34", forms,
                                         CEREBRO_PHONE_FORMS), 0);
    assert_int_equal(cerebro_phone_forms("+34 600", "34", forms,
                                         CEREBRO_PHONE_FORMS), 0);
    assert_int_equal(cerebro_phone_forms(NULL, "34", forms,
                                         CEREBRO_PHONE_FORMS), 0);
}


static void
test_phone_reasons(void **state)
{
    int  rc, other;

    (void) state;

    for (rc = CEREBRO_PHONE_OK; rc <= CEREBRO_PHONE_NO_ROOM; rc++) {
        assert_true(strlen(cerebro_phone_reason_es(rc)) > 5);

        for (other = CEREBRO_PHONE_OK; other < rc; other++) {
            assert_string_not_equal(cerebro_phone_reason_es(rc),
                                    cerebro_phone_reason_es(other));
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_phone_table),
        cmocka_unit_test(test_phone_buffers),
        cmocka_unit_test(test_phone_forms),
        cmocka_unit_test(test_phone_reasons),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
