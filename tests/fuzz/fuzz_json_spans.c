/*
 * The span finder against cJSON, on any bytes.  Whatever it accepts: every
 * span it reports parses alone, inside the text.  If cJSON accepts the
 * text too: with nothing after the value, every span is what cJSON finds
 * at that path in the whole tree, and it finds nothing where cJSON finds
 * nothing.  Whatever cJSON accepts, printed by cJSON, it accepts (so its
 * refusals are only of what is not strict JSON); it refuses only what
 * nests deeper than cJSON does.  What it accepts and cJSON does not is
 * inside a member no path reaches, passed over unchecked.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "cerebro_json_spans.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static const char *const  paths[] = {
    "message", "message.type", "message.toolCallList",
    "message.toolWithToolCallList", "message.call.id",
    "message.call.customer.number", "message.customer.number",
    "a", "a.b", "a.b.c", "", "0", "\xc3\xb1"
};

#define NPATHS  (sizeof(paths) / sizeof(paths[0]))


static cJSON *
lookup(cJSON *json, const char *path)
{
    char         key[CEREBRO_JSON_MAX_KEY + 1];
    size_t       len;
    const char  *dot;

    for ( ;; ) {
        dot = strchr(path, '.');
        len = dot ? (size_t) (dot - path) : strlen(path);
        memcpy(key, path, len);
        key[len] = '\0';

        json = cJSON_GetObjectItemCaseSensitive(json, key);

        if (dot == NULL || json == NULL) {
            return json;
        }

        path = dot + 1;
    }
}


static int
same_type(cerebro_json_type_t t, cJSON *item)
{
    switch (t) {
    case CEREBRO_JSON_OBJECT:
        return cJSON_IsObject(item);
    case CEREBRO_JSON_ARRAY:
        return cJSON_IsArray(item);
    case CEREBRO_JSON_STRING:
        return cJSON_IsString(item);
    case CEREBRO_JSON_NUMBER:
        return cJSON_IsNumber(item);
    case CEREBRO_JSON_TRUE:
        return cJSON_IsTrue(item);
    case CEREBRO_JSON_FALSE:
        return cJSON_IsFalse(item);
    case CEREBRO_JSON_NULL:
        return cJSON_IsNull(item);
    default:
        return 0;
    }
}


/* the spans of a text accepted here, not by cJSON */
static void
spans_parse_alone(const char *text, size_t len, cerebro_json_span_t *spans)
{
    size_t   i;
    cJSON   *alone;

    for (i = 0; i < NPATHS; i++) {
        if (spans[i].type == CEREBRO_JSON_ABSENT) {
            continue;
        }

        if (spans[i].data < text
            || spans[i].data + spans[i].len > text + len)
        {
            abort();
        }

        alone = cJSON_ParseWithLength(spans[i].data, spans[i].len);
        if (alone == NULL || !same_type(spans[i].type, alone)) {
            abort();
        }

        cJSON_Delete(alone);
    }
}


/* the spans of an accepted text against cJSON's tree of it */
static void
check_spans(const char *text, size_t len, cerebro_json_span_t *spans)
{
    char                *copy, *a, *b;
    size_t               i, plen;
    cJSON               *json, *item, *alone;
    const char          *plain;
    const char          *end;

    json = cJSON_ParseWithLength(text, len);
    if (json == NULL) {
        spans_parse_alone(text, len, spans);
        return;
    }

    /* nothing after the value: cJSON's strict mode agrees */
    copy = malloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    alone = cJSON_ParseWithLengthOpts(copy, len + 1, &end, 1);
    if (alone == NULL) {
        abort();
    }

    cJSON_Delete(alone);
    free(copy);

    for (i = 0; i < NPATHS; i++) {
        item = lookup(json, paths[i]);

        if (spans[i].type == CEREBRO_JSON_ABSENT) {
            if (item != NULL) {
                abort();
            }

            continue;
        }

        if (item == NULL || !same_type(spans[i].type, item)
            || spans[i].data < text || spans[i].data + spans[i].len
                                       > text + len)
        {
            abort();
        }

        /* printed, not cJSON_Compare: that one mixes up duplicate keys */
        alone = cJSON_ParseWithLength(spans[i].data, spans[i].len);
        if (alone == NULL) {
            abort();
        }

        a = cJSON_PrintUnformatted(alone);
        b = cJSON_PrintUnformatted(item);
        if (a == NULL || b == NULL || strcmp(a, b) != 0) {
            abort();
        }

        cJSON_free(a);
        cJSON_free(b);
        cJSON_Delete(alone);

        plain = cerebro_json_plain_string(&spans[i], &plen);
        if (plain != NULL
            && (strlen(item->valuestring) != plen
                || memcmp(item->valuestring, plain, plen) != 0))
        {
            abort();
        }
    }

    cJSON_Delete(json);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                *printed;
    cJSON               *json;
    cerebro_json_rc_t    rc;
    cerebro_json_span_t  spans[NPATHS];

    rc = cerebro_json_spans((const char *) data, size, paths, NPATHS, spans,
                            NULL);

    if (rc == CEREBRO_JSON_OK) {
        check_spans((const char *) data, size, spans);
        return 0;
    }

    if (rc == CEREBRO_JSON_BAD_PATHS) {
        abort();
    }

    json = cJSON_ParseWithLength((const char *) data, size);
    if (json == NULL) {
        return 0;
    }

    /* cJSON took it: it nests no deeper than cJSON allows, as ours */
    if (rc == CEREBRO_JSON_TOO_DEEP) {
        abort();
    }

    printed = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);

    if (printed == NULL) {
        return 0;
    }

    rc = cerebro_json_spans(printed, strlen(printed), paths, NPATHS, spans,
                            NULL);
    if (rc != CEREBRO_JSON_OK) {
        abort();
    }

    check_spans(printed, strlen(printed), spans);
    cJSON_free(printed);

    return 0;
}
