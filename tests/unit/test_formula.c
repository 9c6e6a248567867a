/* Airtable filterByFormula text: exact shapes and injection-proof quoting. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cerebro_formula.h"


#define TZ  "Europe/Madrid"


static void
test_string_escaping(void **state)
{
    static const struct {
        const char  *in;
        const char  *want;
    } cases[] = {
        { "Ana", "{client_name}='Ana'" },
        { "O'Brien", "{client_name}='O\\'Brien'" },
        { "}{", "{client_name}='}{'" },
        { "a\\", "{client_name}='a\\\\'" },
        { "\\'", "{client_name}='\\\\\\''" },
        { "') , TRUE(), ('", "{client_name}='\\') , TRUE(), (\\''" },
        { "", "{client_name}=''" },
        { "José Ñúñez", "{client_name}='José Ñúñez'" },
        { "\"dq\"", "{client_name}='\"dq\"'" },
    };
    cerebro_formula_t  f;
    char               buf[256];
    size_t             i, len;

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cerebro_formula_init(&f, buf, sizeof(buf));
        cerebro_formula_cmp_str(&f, "client_name", "=", cases[i].in,
                                strlen(cases[i].in));
        assert_int_equal(cerebro_formula_finish(&f, &len),
                         CEREBRO_FORMULA_OK);
        assert_string_equal(buf, cases[i].want);
        assert_int_equal(len, strlen(cases[i].want));
        assert_int_equal(cerebro_formula_string_size(cases[i].in,
                                                     strlen(cases[i].in)),
                         strlen(cases[i].want) - strlen("{client_name}="));
    }
}


static void
test_shapes(void **state)
{
    cerebro_formula_t  f;
    cerebro_date_t     day = { 2026, 11, 28 };
    cerebro_date_t     from = { 2026, 12, 1 };
    cerebro_date_t     to = { 2026, 12, 31 };
    char               buf[512];

    (void) state;

    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_date_eq(&f, "date_time", TZ, &day);
    assert_int_equal(cerebro_formula_finish(&f, NULL), CEREBRO_FORMULA_OK);
    assert_string_equal(buf,
        "DATETIME_FORMAT(SET_TIMEZONE({date_time},'Europe/Madrid'),"
        "'YYYY-MM-DD')='2026-11-28'");

    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_open(&f, CEREBRO_FORMULA_AND);
    cerebro_formula_date_eq(&f, "date_time", TZ, &day);
    cerebro_formula_cmp_str(&f, "status", "!=", "cancelada", 9);
    cerebro_formula_open(&f, CEREBRO_FORMULA_OR);
    cerebro_formula_cmp_num(&f, "pax", ">=", 4);
    cerebro_formula_cmp_num(&f, "pax", "=", -1);
    cerebro_formula_close(&f);
    cerebro_formula_close(&f);
    assert_int_equal(cerebro_formula_finish(&f, NULL), CEREBRO_FORMULA_OK);
    assert_string_equal(buf,
        "AND(DATETIME_FORMAT(SET_TIMEZONE({date_time},'Europe/Madrid'),"
        "'YYYY-MM-DD')='2026-11-28',{status}!='cancelada',"
        "OR({pax}>=4,{pax}=-1))");

    /* a range of days: from-1 < day < to+1, crossing a year */
    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_date_range(&f, "date_time", TZ, &from, &to);
    assert_int_equal(cerebro_formula_finish(&f, NULL), CEREBRO_FORMULA_OK);
    assert_string_equal(buf,
        "AND(IS_AFTER(DATETIME_FORMAT(SET_TIMEZONE({date_time},"
        "'Europe/Madrid'),'YYYY-MM-DD'),'2026-11-30'),"
        "IS_BEFORE(DATETIME_FORMAT(SET_TIMEZONE({date_time},"
        "'Europe/Madrid'),'YYYY-MM-DD'),'2027-01-01'))");

    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_open(&f, CEREBRO_FORMULA_AND);
    cerebro_formula_record_id(&f, "recABC", 6);
    cerebro_formula_cmp_str(&f, "Field Name", "=", "x", 1);
    cerebro_formula_raw(&f, "TRUE()");
    cerebro_formula_close(&f);
    assert_int_equal(cerebro_formula_finish(&f, NULL), CEREBRO_FORMULA_OK);
    assert_string_equal(buf,
        "AND(RECORD_ID()='recABC',{Field Name}='x',TRUE())");

    /* the pieces for other shapes */
    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_open(&f, CEREBRO_FORMULA_NOT);
    cerebro_formula_arg(&f);
    cerebro_formula_text(&f, "FIND(", 5);
    cerebro_formula_string(&f, "O'B", 3);
    cerebro_formula_text(&f, ",", 1);
    cerebro_formula_field(&f, "client_name", 11);
    cerebro_formula_text(&f, ")", 1);
    cerebro_formula_close(&f);
    assert_int_equal(cerebro_formula_finish(&f, NULL), CEREBRO_FORMULA_OK);
    assert_string_equal(buf, "NOT(FIND('O\\'B',{client_name}))");
}


static void
test_errors(void **state)
{
    cerebro_formula_t  f;
    cerebro_date_t     day = { 2026, 11, 28 };
    cerebro_date_t     bad = { 2026, 2, 30 };
    char               buf[128];
    size_t             len;
    int                i;

    (void) state;

    /* field names with '}' cannot be written */
    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_cmp_str(&f, "a}b", "=", "x", 1);
    assert_int_equal(cerebro_formula_finish(&f, &len),
                     CEREBRO_FORMULA_BAD_FIELD);
    assert_string_equal(buf, "");
    assert_int_equal(len, 0);

    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_cmp_num(&f, "", "=", 1);
    assert_int_equal(cerebro_formula_finish(&f, NULL),
                     CEREBRO_FORMULA_BAD_FIELD);

    /* NUL in a value, bad operators, bad dates */
    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_cmp_str(&f, "n", "=", "a\0b", 3);
    assert_int_equal(cerebro_formula_finish(&f, NULL),
                     CEREBRO_FORMULA_BAD_VALUE);

    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_cmp_str(&f, "n", ">=", "a", 1);
    assert_int_equal(cerebro_formula_finish(&f, NULL),
                     CEREBRO_FORMULA_BAD_VALUE);

    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_cmp_num(&f, "n", "=1 OR 1", 1);
    assert_int_equal(cerebro_formula_finish(&f, NULL),
                     CEREBRO_FORMULA_BAD_VALUE);

    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_date_eq(&f, "d", TZ, &bad);
    assert_int_equal(cerebro_formula_finish(&f, NULL),
                     CEREBRO_FORMULA_BAD_VALUE);

    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_date_range(&f, "d", TZ, &day, &bad);
    assert_int_equal(cerebro_formula_finish(&f, NULL),
                     CEREBRO_FORMULA_BAD_VALUE);

    /* from after to */
    {
        cerebro_date_t  before = { 2026, 11, 27 };

        cerebro_formula_init(&f, buf, sizeof(buf));
        cerebro_formula_date_range(&f, "d", TZ, &day, &before);
        assert_int_equal(cerebro_formula_finish(&f, NULL),
                         CEREBRO_FORMULA_BAD_VALUE);
    }

    /* nesting */
    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_open(&f, CEREBRO_FORMULA_AND);
    cerebro_formula_raw(&f, "1");
    assert_int_equal(cerebro_formula_finish(&f, NULL),
                     CEREBRO_FORMULA_BAD_NESTING);

    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_close(&f);
    assert_int_equal(cerebro_formula_finish(&f, NULL),
                     CEREBRO_FORMULA_BAD_NESTING);

    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_raw(&f, "1");
    cerebro_formula_raw(&f, "2");
    assert_int_equal(cerebro_formula_finish(&f, NULL),
                     CEREBRO_FORMULA_BAD_NESTING);

    cerebro_formula_init(&f, buf, sizeof(buf));

    for (i = 0; i <= CEREBRO_FORMULA_MAX_DEPTH; i++) {
        cerebro_formula_open(&f, CEREBRO_FORMULA_OR);
    }

    assert_int_equal(cerebro_formula_finish(&f, NULL),
                     CEREBRO_FORMULA_BAD_NESTING);
    assert_string_not_equal(cerebro_formula_strerror(CEREBRO_FORMULA_OK),
                            cerebro_formula_strerror(
                                CEREBRO_FORMULA_BAD_NESTING));
}


static void
test_overflow(void **state)
{
    cerebro_formula_t  f;
    char               buf[64];
    const char        *want;
    size_t             n, size;

    (void) state;

    want = "{client_name}='O\\'Brien'";
    n = strlen(want);

    /* exactly enough: n + 1 for the NUL */
    for (size = 0; size <= n + 1; size++) {
        memset(buf, 'Z', sizeof(buf));
        cerebro_formula_init(&f, buf, size);
        cerebro_formula_cmp_str(&f, "client_name", "=", "O'Brien", 7);

        if (size == n + 1) {
            assert_int_equal(cerebro_formula_finish(&f, NULL),
                             CEREBRO_FORMULA_OK);
            assert_string_equal(buf, want);

        } else {
            assert_int_equal(cerebro_formula_finish(&f, NULL),
                             CEREBRO_FORMULA_OVERFLOW);

            if (size > 0) {
                assert_int_equal(buf[0], '\0');
            }

            /* nothing written past the given size */
            assert_int_equal(buf[size], 'Z');
        }
    }
}


/* A number however it was typed: the separators out, each form in. */
static void
test_phone(void **state)
{
    char               buf[1024];
    char               forms[CEREBRO_PHONE_FORMS][CEREBRO_PHONE_FORM_SIZE];
    int                n;
    cerebro_formula_t  f;

    (void) state;

    n = cerebro_phone_forms("+34600111222", "34", forms, 2);
    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_phone(&f, "client_phone", forms, n);
    assert_int_equal(cerebro_formula_finish(&f, NULL), CEREBRO_FORMULA_OK);
    assert_string_equal(buf,
        "OR(SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(SUBSTITUTE("
        "SUBSTITUTE({client_phone},' ',''),'-',''),'.',''),'/',''),'(',''),"
        "')','')='+34600111222',"
        "SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(SUBSTITUTE("
        "SUBSTITUTE({client_phone},' ',''),'-',''),'.',''),'/',''),'(',''),"
        "')','')='0034600111222')");

    /* inside an AND, as one of its terms */
    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_open(&f, CEREBRO_FORMULA_AND);
    cerebro_formula_phone(&f, "Teléfono", forms, 1);
    cerebro_formula_cmp_str(&f, "status", "!=", "cancelled", 9);
    cerebro_formula_close(&f);
    assert_int_equal(cerebro_formula_finish(&f, NULL), CEREBRO_FORMULA_OK);
    assert_non_null(strstr(buf, "AND(OR(SUBSTITUTE("));
    assert_non_null(strstr(buf, "{Teléfono},' ','')"));
    assert_non_null(strstr(buf, "='+34600111222'),{status}!='cancelled')"));

    /* no form, or a field that cannot be written */
    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_phone(&f, "client_phone", forms, 0);
    assert_int_equal(cerebro_formula_finish(&f, NULL),
                     CEREBRO_FORMULA_BAD_VALUE);
    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_phone(&f, "a}b", forms, 1);
    assert_int_equal(cerebro_formula_finish(&f, NULL),
                     CEREBRO_FORMULA_BAD_FIELD);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_string_escaping),
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_phone),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
