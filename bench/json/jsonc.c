
/*
 * bench/json_parsers: the tool call's fields read with json-c (Debian's
 * libjson-c-dev), a full parse with one reused tokener.  A translation
 * unit of its own: json-c and jansson both name a function json_object_get.
 */

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json_parsers.h"


/* --- json-c ------------------------------------------------------------- */


static struct json_tokener  *jc_tok;


static struct json_object *
jc_get(struct json_object *obj, const char *key)
{
    struct json_object  *v;

    if (obj == NULL || !json_object_is_type(obj, json_type_object)
        || !json_object_object_get_ex(obj, key, &v))
    {
        return NULL;
    }

    return v;
}


static void
jc_string(struct json_object *item, char *dst, size_t size)
{
    if (item && json_object_is_type(item, json_type_string)) {
        jp_copy(dst, size, json_object_get_string(item),
                (size_t) json_object_get_string_len(item));
    }
}


static void
jc_args(struct json_object *function, jp_call_t *c)
{
    struct json_object  *args, *parsed, *party;

    parsed = NULL;

    args = jc_get(function, "arguments");
    if (args == NULL) {
        args = jc_get(function, "parameters");
    }

    if (args && json_object_is_type(args, json_type_string)) {
        parsed = json_tokener_parse(json_object_get_string(args));
        args = parsed;
    }

    if (args && json_object_is_type(args, json_type_object)) {
        c->have_args = 1;
        jc_string(jc_get(args, "date"), c->date, sizeof(c->date));
        jc_string(jc_get(args, "time"), c->time, sizeof(c->time));

        party = jc_get(args, "party_size");
        if (party && (json_object_is_type(party, json_type_int)
                      || json_object_is_type(party, json_type_double)))
        {
            c->party_size = (long) json_object_get_double(party);

        } else if (party && json_object_is_type(party, json_type_string)) {
            c->party_size = strtol(json_object_get_string(party), NULL, 10);
        }
    }

    json_object_put(parsed);
}


int
jp_jsonc(const char *body, size_t len, size_t cap, jp_toolcall_t *tc)
{
    int                  rc;
    size_t               i, n;
    struct json_object  *json, *message, *list, *item, *call, *function;
    struct json_object  *number;

    (void) cap;

    if (jc_tok == NULL) {
        jc_tok = json_tokener_new();
    }

    json_tokener_reset(jc_tok);
    json = json_tokener_parse_ex(jc_tok, body, (int) len);

    if (json == NULL
        || json_tokener_get_error(jc_tok) != json_tokener_success)
    {
        json_object_put(json);
        return -1;
    }

    rc = -1;

    message = jc_get(json, "message");
    if (message == NULL || !json_object_is_type(message, json_type_object)) {
        goto done;
    }

    jc_string(jc_get(message, "type"), tc->type, sizeof(tc->type));

    list = jc_get(message, "toolCallList");
    if (list == NULL || !json_object_is_type(list, json_type_array)
        || json_object_array_length(list) == 0)
    {
        list = jc_get(message, "toolWithToolCallList");
    }

    if (list == NULL || !json_object_is_type(list, json_type_array)) {
        goto done;
    }

    n = json_object_array_length(list);
    if (n == 0 || n > JP_MAX_CALLS) {
        goto done;
    }

    tc->ncalls = (int) n;

    for (i = 0; i < n; i++) {
        item = json_object_array_get_idx(list, i);

        call = jc_get(item, "toolCall");
        if (call == NULL || !json_object_is_type(call, json_type_object)) {
            call = item;
        }

        jc_string(jc_get(call, "id"), tc->calls[i].id,
                  sizeof(tc->calls[i].id));

        function = jc_get(call, "function");
        jc_string(jc_get(function, "name"), tc->calls[i].name,
                  sizeof(tc->calls[i].name));
        jc_args(function, &tc->calls[i]);
    }

    call = jc_get(message, "call");
    jc_string(jc_get(call, "id"), tc->call_id, sizeof(tc->call_id));

    number = jc_get(jc_get(call, "customer"), "number");
    if (number == NULL || !json_object_is_type(number, json_type_string)) {
        number = jc_get(jc_get(message, "customer"), "number");
    }

    jc_string(number, tc->number, sizeof(tc->number));

    rc = 0;

done:

    json_object_put(json);

    return rc;
}
