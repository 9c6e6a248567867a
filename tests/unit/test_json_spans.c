/*
 * The span finder: what it finds, what it refuses, how deep it goes, and
 * what it passes over unchecked.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "cerebro_json_spans.h"


static const char *const  vapi_paths[] = {
    "message.type", "message.toolCallList", "message.call.id",
    "message.call.customer.number", "message.customer.number"
};

#define NVAPI  (sizeof(vapi_paths) / sizeof(vapi_paths[0]))


static cerebro_json_rc_t
find(const char *text, cerebro_json_span_t *spans)
{
    return cerebro_json_spans(text, strlen(text), vapi_paths, NVAPI, spans,
                              NULL);
}


static void
assert_span(const cerebro_json_span_t *span, cerebro_json_type_t type,
    const char *text)
{
    assert_int_equal(span->type, type);
    assert_int_equal(span->len, strlen(text));
    assert_memory_equal(span->data, text, span->len);
}


static void
test_finds_the_members_in_either_order(void **state)
{
    static const char  *bodies[] = {
        "{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[{\"id\":"
        "\"t1\"}],\"artifact\":{\"messages\":[{\"role\":\"user\",\"message\":"
        "\"mesa\"}]},\"call\":{\"id\":\"c1\",\"customer\":{\"number\":"
        "\"+34600111222\"}},\"customer\":{\"number\":\"600\"}}}",

        " {\"message\" : { \"customer\" : {\"number\":\"600\"} , \"call\":"
        "{\"customer\":{\"number\":\"+34600111222\",\"x\":[1,2]},\"id\":"
        "\"c1\"},\"artifact\":{\"messages\":[]},\"toolCallList\" :\n"
        "[{\"id\":\"t1\"}],\"type\":\"tool-calls\"}}\r\n",
    };
    size_t               i;
    cerebro_json_span_t  s[NVAPI];

    (void) state;

    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        assert_int_equal(find(bodies[i], s), CEREBRO_JSON_OK);
        assert_span(&s[0], CEREBRO_JSON_STRING, "\"tool-calls\"");
        assert_span(&s[1], CEREBRO_JSON_ARRAY, "[{\"id\":\"t1\"}]");
        assert_span(&s[2], CEREBRO_JSON_STRING, "\"c1\"");
        assert_span(&s[3], CEREBRO_JSON_STRING, "\"+34600111222\"");
        assert_span(&s[4], CEREBRO_JSON_STRING, "\"600\"");
    }
}


static void
test_lookups_as_cjson(void **state)
{
    size_t               len;
    const char          *plain;
    cerebro_json_span_t  s[NVAPI];

    (void) state;

    /* the first of duplicate keys counts, at every level */
    assert_int_equal(find("{\"message\":{\"type\":\"a\",\"type\":\"b\"},"
                          "\"message\":{\"type\":\"c\"}}", s),
                     CEREBRO_JSON_OK);
    assert_span(&s[0], CEREBRO_JSON_STRING, "\"a\"");

    /* a path through a value that is not an object finds nothing */
    assert_int_equal(find("{\"message\":{\"call\":[{\"id\":\"x\"}],"
                          "\"call\":{\"id\":\"y\"}}}", s), CEREBRO_JSON_OK);
    assert_int_equal(s[2].type, CEREBRO_JSON_ABSENT);

    assert_int_equal(find("[{\"message\":{\"type\":\"a\"}}]", s),
                     CEREBRO_JSON_OK);
    assert_int_equal(s[0].type, CEREBRO_JSON_ABSENT);

    /* keys compare decoded, up to a decoded NUL as cJSON's strcmp */
    assert_int_equal(find("{\"m\\u0065ssage\":{\"typ\\u0065\\u0000x\":"
                          "\"a\\\"b\"}}", s), CEREBRO_JSON_OK);
    assert_span(&s[0], CEREBRO_JSON_STRING, "\"a\\\"b\"");
    assert_true(s[0].escaped);
    assert_null(cerebro_json_plain_string(&s[0], &len));

    assert_int_equal(find("{\"message\":{\"type\":\"tool-calls\","
                          "\"call\":{\"id\":null}}}", s), CEREBRO_JSON_OK);
    plain = cerebro_json_plain_string(&s[0], &len);
    assert_non_null(plain);
    assert_int_equal(len, 10);
    assert_memory_equal(plain, "tool-calls", 10);
    assert_int_equal(s[2].type, CEREBRO_JSON_NULL);
    assert_null(cerebro_json_plain_string(&s[2], &len));
}


static void
test_refuses_what_is_not_json(void **state)
{
    static const char  *bad[] = {
        "", " ", "{", "}", "{\"message\":}", "{\"a\":1,}", "[1,]", "[,1]",
        "{\"a\" 1}", "{a:1}", "{'a':1}", "{\"a\":1}}", "{\"a\":1} x",
        "{\"a\":1}{}", "[01]", "[1.]", "[.5]", "[+1]", "[1e]", "[1e+]",
        "[-]", "[0x10]", "[NaN]", "[Infinity]", "[tru]", "[nul]",
        "[True]", "[\"\\x\"]", "[\"\\u12\"]", "[\"\\u12G4\"]",
        "[\"\\udc00\"]", "[\"\\ud800\"]", "[\"\\ud800\\u0041\"]",
        "[\"a\tb\"]", "[\"a\nb\"]", "[\"abc]", "[\"abc\\\"]",
        "{\"a\":1,\"b\"}", "[1 2]", "\"a\"\"b\"", "[\x01]",
        "[1234567890123456789012345678901234567890123456789012345678901234]",
    };
    size_t               i;
    cerebro_json_span_t  s[NVAPI];

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (find(bad[i], s) != CEREBRO_JSON_SYNTAX) {
            fail_msg("accepted: %s", bad[i]);
        }
    }

    /* a NUL inside is not the end of the text */
    assert_int_equal(cerebro_json_spans("{}\0", 3, vapi_paths, NVAPI, s,
                                        NULL),
                     CEREBRO_JSON_SYNTAX);
}


static void
test_accepts_json_and_agrees_with_cjson(void **state)
{
    static const char  *good[] = {
        "{}", "[]", "0", "-0", "-0.0e-0", "1E+2", "\"\"", "true", "null",
        "\xEF\xBB\xBF{\"a\":1}", "[\"\\ud83d\\ude00 \\u00f1 \\/\\b\\f\\n\"]",
        "{\"\":{\"\":[]}}", "[\"\xff\xfe\"]", " \t\r\n[ 1 , { } ] \t\r\n",
        "[123456789012345678901234567890123456789012345678901234567890123]",
    };
    size_t               i;
    cJSON               *json;
    cerebro_json_span_t  s[NVAPI];

    (void) state;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (find(good[i], s) != CEREBRO_JSON_OK) {
            fail_msg("refused: %s", good[i]);
        }

        json = cJSON_Parse(good[i]);
        assert_non_null(json);
        cJSON_Delete(json);
    }
}


static void
test_every_cut_of_a_body_is_refused(void **state)
{
    size_t               len, i;
    const char          *body;
    cerebro_json_span_t  s[NVAPI];

    (void) state;

    body = "{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[{\"id\":"
           "\"t\\u00f1\",\"n\":-1.5e3,\"b\":[true,false,null]}],\"call\":"
           "{\"id\":\"c1\"}}}";
    len = strlen(body);

    assert_int_equal(cerebro_json_spans(body, len, vapi_paths, NVAPI, s,
                                        NULL),
                     CEREBRO_JSON_OK);

    for (i = 0; i < len; i++) {
        if (cerebro_json_spans(body, i, vapi_paths, NVAPI, s, NULL)
            != CEREBRO_JSON_SYNTAX)
        {
            fail_msg("accepted the first %zu bytes", i);
        }
    }
}


/* cJSON's limit, both ways, without recursion */
static void
test_depth(void **state)
{
    char                *text;
    size_t               n, depth;
    cJSON               *json;
    cerebro_json_rc_t    rc;
    cerebro_json_span_t  s[NVAPI];

    (void) state;

    for (depth = CEREBRO_JSON_MAX_DEPTH; depth <= CEREBRO_JSON_MAX_DEPTH + 1;
         depth++)
    {
        text = malloc(2 * depth + 1);
        assert_non_null(text);

        for (n = 0; n < depth; n++) {
            text[n] = '[';
            text[2 * depth - 1 - n] = ']';
        }

        text[2 * depth] = '\0';

        rc = cerebro_json_spans(text, 2 * depth, vapi_paths, NVAPI, s, NULL);
        json = cJSON_Parse(text);

        if (depth <= CEREBRO_JSON_MAX_DEPTH) {
            assert_int_equal(rc, CEREBRO_JSON_OK);
            assert_non_null(json);
        } else {
            assert_int_equal(rc, CEREBRO_JSON_TOO_DEEP);
            assert_null(json);
        }

        cJSON_Delete(json);
        free(text);
    }
}


static void
test_bad_paths(void **state)
{
    static const char *const  deep[] = { "a.b.c.d.e.f.g" };
    static const char *const  many[CEREBRO_JSON_MAX_PATHS + 1] = { "a" };
    size_t                    at;
    cerebro_json_span_t       s[CEREBRO_JSON_MAX_PATHS + 1];

    (void) state;

    assert_int_equal(cerebro_json_spans("{}", 2, deep, 1, s, &at),
                     CEREBRO_JSON_BAD_PATHS);
    assert_int_equal(cerebro_json_spans("{}", 2, many,
                                        CEREBRO_JSON_MAX_PATHS + 1, s, &at),
                     CEREBRO_JSON_BAD_PATHS);
    assert_int_equal(cerebro_json_spans("{\"a\":", 5, deep, 0, s, &at),
                     CEREBRO_JSON_SYNTAX);
    assert_int_equal(at, 5);
}


/*
 * A string's plain run is scanned several bytes a step: the byte that ends
 * it (a quote, an escape, a control), at every offset of a step and with
 * the text ending right after it, as cJSON reads it.
 */
static void
test_every_offset_of_a_string(void **state)
{
    size_t                i, k, n, len;
    char                  text[128];
    cJSON                *json;
    cerebro_json_rc_t     rc;
    cerebro_json_span_t   s[NVAPI];
    static const char    *const  paths[] = { "message.type" };
    static const char    *const  stops[] = {
        "\"", "\\n\"", "\\u00f1\"", "\x01\"", "\x1f\"", "\x7f\"",
        "\xc3\xb1\"", "\\\"\"", "\\", "\\x\""
    };

    (void) state;

    for (k = 0; k < sizeof(stops) / sizeof(stops[0]); k++) {
        for (n = 0; n < 40; n++) {
            len = (size_t) snprintf(text, sizeof(text),
                                    "{\"message\":{\"type\":\"");
            for (i = 0; i < n; i++) {
                text[len++] = (char) ('a' + i % 26);
            }

            len += (size_t) snprintf(text + len, sizeof(text) - len, "%s}}",
                                     stops[k]);

            rc = cerebro_json_spans(text, len, paths, 1, s, NULL);

            /* stricter than cJSON: a control in a string is refused */
            json = (unsigned char) stops[k][0] < 0x20
                   ? NULL : cJSON_ParseWithLength(text, len);

            if ((rc == CEREBRO_JSON_OK) != (json != NULL)) {
                fail_msg("%s, %s here: %.*s",
                         json ? "JSON" : "not strict JSON",
                         cerebro_json_strerror(rc), (int) len, text);
            }

            if (json) {
                assert_int_equal(s[0].type, CEREBRO_JSON_STRING);
                /* the span ends at the quote before the closing braces */
                assert_ptr_equal(s[0].data + s[0].len, text + len - 2);
                cJSON_Delete(json);
            }
        }
    }
}


/*
 * A member no path reaches is passed over: only its strings and brackets
 * must close.  What a path finds, and the objects on the way, stay strict.
 */
static void
test_passes_over_members_no_path_reaches(void **state)
{
    char                *text;
    size_t               i, len;
    cerebro_json_span_t  s[NVAPI];

    static const char  *loose[] = {
        "{\"message\":{\"artifact\":{\"x\":tru,01,\"\\x\",'a'},"
        "\"type\":\"t\"}}",
        "{\"message\":{\"type\":\"t\",\"call\":{\"x\":[1 2 {]],\"id\":"
        "\"c\"}}}",
        "{\"message\":{\"type\":\"t\",\"assistant\":[\"a\tb\",\"\\udc00\","
        "\"]}\"]}}",
    };
    static const char  *strict[] = {
        /* the value a path finds */
        "{\"message\":{\"type\":\"t\",\"toolCallList\":[tru]}}",
        "{\"message\":{\"type\":\"t\",\"toolCallList\":[{\"a\":01}]}}",
        /* an object on a path, and a scalar or string off one */
        "{\"message\":{\"type\":\"t\",\"call\":{\"id\" \"c\"}}}",
        "{\"message\":{\"type\":\"t\",\"x\":01}}",
        "{\"message\":{\"type\":\"t\",\"x\":\"a\tb\"}}",
        /* strings and brackets that do not close */
        "{\"message\":{\"type\":\"t\",\"x\":{\"a\":\"}}}",
        "{\"message\":{\"type\":\"t\",\"x\":{\"a\":\"\\\"}}\"}}",
        "{\"message\":{\"type\":\"t\",\"x\":[[]}}",
        "{\"message\":{\"type\":\"t\",\"x\":[]]}}",
    };

    (void) state;

    for (i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
        if (find(loose[i], s) != CEREBRO_JSON_OK) {
            fail_msg("refused: %s", loose[i]);
        }

        assert_span(&s[0], CEREBRO_JSON_STRING, "\"t\"");
    }

    assert_int_equal(find(loose[1], s), CEREBRO_JSON_OK);
    assert_span(&s[2], CEREBRO_JSON_STRING, "\"c\"");

    for (i = 0; i < sizeof(strict) / sizeof(strict[0]); i++) {
        if (find(strict[i], s) != CEREBRO_JSON_SYNTAX) {
            fail_msg("accepted: %s", strict[i]);
        }
    }

    /* no stack for what is passed over: no depth either; a path's has */
    len = 2 * CEREBRO_JSON_MAX_DEPTH + 2;
    text = malloc(len + 64);
    assert_non_null(text);

    for (i = 0; i < 2; i++) {
        memset(text, 0, len + 64);
        strcpy(text, i ? "{\"message\":{\"toolCallList\":"
                       : "{\"message\":{\"artifact\":");
        memset(text + strlen(text), '[', len / 2);
        memset(text + strlen(text), ']', len / 2);
        strcat(text, ",\"type\":\"t\"}}");

        assert_int_equal(cerebro_json_spans(text, strlen(text), vapi_paths,
                                            NVAPI, s, NULL),
                         i ? CEREBRO_JSON_TOO_DEEP : CEREBRO_JSON_OK);
    }

    free(text);
}


/*
 * Passed over 64 bytes a step: quotes, backslash runs and brackets in
 * strings at every offset of a block, so that each straddles a boundary;
 * on valid JSON the spans after it are cJSON's, every cut is refused.
 */
static void
test_passes_over_at_every_offset(void **state)
{
    char                 text[512];
    size_t               i, k, n, len, cut;
    cJSON               *json;
    cerebro_json_span_t  s[NVAPI];

    static const char  *tricky[] = {
        "\"a\\\"b\"", "\"\\\\\"", "\"\\\\\\\"]}\"", "\"\\\\\\\\\"",
        "\"}]{[\"", "[\"\\\\\",{\"\\\"\":[]}]", "\"\\u005c\"", "{}", "[[]]",
    };

    (void) state;

    for (k = 0; k < sizeof(tricky) / sizeof(tricky[0]); k++) {
        for (n = 0; n < 2 * 64 + 2; n++) {
            len = (size_t) snprintf(text, sizeof(text),
                                    "{\"message\":{\"artifact\":[\"");
            for (i = 0; i < n; i++) {
                text[len++] = (char) ('a' + i % 26);
            }

            len += (size_t) snprintf(text + len, sizeof(text) - len,
                                     "\",%s,%s],\"type\":\"t\",\"call\":"
                                     "{\"id\":\"c\"}}}", tricky[k],
                                     tricky[k]);

            json = cJSON_ParseWithLength(text, len);
            assert_non_null(json);
            cJSON_Delete(json);

            if (cerebro_json_spans(text, len, vapi_paths, NVAPI, s, NULL)
                != CEREBRO_JSON_OK)
            {
                fail_msg("refused: %.*s", (int) len, text);
            }

            assert_span(&s[0], CEREBRO_JSON_STRING, "\"t\"");
            assert_span(&s[2], CEREBRO_JSON_STRING, "\"c\"");

            for (cut = 0; cut < len; cut++) {
                if (cerebro_json_spans(text, cut, vapi_paths, NVAPI, s, NULL)
                    != CEREBRO_JSON_SYNTAX)
                {
                    fail_msg("accepted the first %zu bytes of %.*s", cut,
                             (int) len, text);
                }
            }
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_finds_the_members_in_either_order),
        cmocka_unit_test(test_lookups_as_cjson),
        cmocka_unit_test(test_refuses_what_is_not_json),
        cmocka_unit_test(test_accepts_json_and_agrees_with_cjson),
        cmocka_unit_test(test_every_cut_of_a_body_is_refused),
        cmocka_unit_test(test_every_offset_of_a_string),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_bad_paths),
        cmocka_unit_test(test_passes_over_members_no_path_reaches),
        cmocka_unit_test(test_passes_over_at_every_offset),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
