
/*
 * What one VAPI tool call costs to read, library by library, on the bodies
 * given on the command line (bench/json_parsers builds them like VAPI's and
 * runs this): message.type, each toolCallList[] id, function.name and
 * function.arguments (an object, a JSON string, or "parameters") with the
 * check_availability arguments read out of it, call.id and
 * call.customer.number (or message.customer.number).  Every extractor must
 * agree with cJSON's full parse, which the module does today and which is
 * the reference of every row.
 *
 *   cJSON full          cJSON_ParseWithLength of the whole body (today)
 *   cJSON full, arena   the same with cJSON_InitHooks on a bump allocator
 *                       freed at once, as an nginx pool would be
 *   cJSON spans         a bounded skip over the body finds the few members
 *                       the call needs (type, toolCallList, call.id,
 *                       call.customer, customer, toolWithToolCallList if
 *                       toolCallList is missing); only those spans go to
 *                       cJSON.  Nothing else is parsed or validated.
 *   ..., early stop     the same, stopping after toolCallList when its
 *                       calls need neither caller nor call id
 *   jansson, json-c     their full parse (neither can skip)
 *   simdjson OD spans   On-Demand finds the same spans, cJSON parses them
 *   simdjson On-Demand  fields visited in document order, the rest skipped
 *                       (json/simdjson.cpp, plain and -march=haswell)
 *   simdjson DOM        its full parse into a tape
 *
 * Built by `make bench` with cJSON alone; bench/json_parsers builds it with
 * every library installed (-DJP_JANSSON -DJP_JSONC -DJP_SIMDJSON).
 *
 * Also, for scale: one memcpy of the body (what ngx_cerebro_http_body adds
 * to nginx's reading), HMAC-SHA256 of the body (VAPI's HMAC credential),
 * and the answer {"results":[...]} built as a cJSON tree and printed, or
 * written straight into a buffer.
 */

#define _GNU_SOURCE

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#ifdef JP_JANSSON
#include <jansson.h>
#endif

#include "json/json_parsers.h"
#include "cerebro_json_spans.h"


static size_t jp_simdjson_padding(void);


static double  jp_budget = 0.25;        /* seconds per measurement */
static int     jp_samples = 9;


/* --- helpers ------------------------------------------------------------ */

void
jp_copy(char *dst, size_t size, const char *src, size_t len)
{
    if (len >= size) {
        len = size - 1;
    }

    memcpy(dst, src, len);
    dst[len] = '\0';
}


static double
jp_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static int
jp_cmp_double(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}


/* --- cJSON, on the whole tree or on spans ------------------------------- */

static void
cj_string(cJSON *item, char *dst, size_t size)
{
    if (cJSON_IsString(item)) {
        jp_copy(dst, size, item->valuestring, strlen(item->valuestring));
    }
}


static void
cj_args(cJSON *function, jp_call_t *c)
{
    cJSON  *args, *parsed, *party;

    parsed = NULL;

    args = cJSON_GetObjectItemCaseSensitive(function, "arguments");
    if (args == NULL) {
        args = cJSON_GetObjectItemCaseSensitive(function, "parameters");
    }

    if (cJSON_IsString(args)) {
        parsed = cJSON_Parse(args->valuestring);
        args = parsed;
    }

    if (cJSON_IsObject(args)) {
        c->have_args = 1;
        cj_string(cJSON_GetObjectItemCaseSensitive(args, "date"),
                  c->date, sizeof(c->date));
        cj_string(cJSON_GetObjectItemCaseSensitive(args, "time"),
                  c->time, sizeof(c->time));

        party = cJSON_GetObjectItemCaseSensitive(args, "party_size");
        if (cJSON_IsNumber(party)) {
            c->party_size = (long) party->valuedouble;

        } else if (cJSON_IsString(party)) {
            c->party_size = strtol(party->valuestring, NULL, 10);
        }
    }

    cJSON_Delete(parsed);
}


/* toolCallList, or the calls inside toolWithToolCallList, as the module */
static int
cj_calls(cJSON *list, jp_toolcall_t *tc)
{
    int     i, n;
    cJSON  *item, *call, *function;

    n = cJSON_GetArraySize(list);
    if (!cJSON_IsArray(list) || n == 0 || n > JP_MAX_CALLS) {
        return -1;
    }

    tc->ncalls = n;

    for (i = 0; i < n; i++) {
        item = cJSON_GetArrayItem(list, i);

        call = cJSON_GetObjectItemCaseSensitive(item, "toolCall");
        if (!cJSON_IsObject(call)) {
            call = item;
        }

        cj_string(cJSON_GetObjectItemCaseSensitive(call, "id"),
                  tc->calls[i].id, sizeof(tc->calls[i].id));

        function = cJSON_GetObjectItemCaseSensitive(call, "function");
        cj_string(cJSON_GetObjectItemCaseSensitive(function, "name"),
                  tc->calls[i].name, sizeof(tc->calls[i].name));
        cj_args(function, &tc->calls[i]);
    }

    return 0;
}


static int
jp_cjson_full(const char *body, size_t len, size_t cap, jp_toolcall_t *tc)
{
    int     rc;
    cJSON  *json, *message, *list, *call, *number;

    (void) cap;

    json = cJSON_ParseWithLength(body, len);
    if (json == NULL) {
        return -1;
    }

    rc = -1;

    message = cJSON_GetObjectItemCaseSensitive(json, "message");
    if (!cJSON_IsObject(message)) {
        goto done;
    }

    cj_string(cJSON_GetObjectItemCaseSensitive(message, "type"),
              tc->type, sizeof(tc->type));

    list = cJSON_GetObjectItemCaseSensitive(message, "toolCallList");
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0) {
        list = cJSON_GetObjectItemCaseSensitive(message,
                                                "toolWithToolCallList");
    }

    if (cj_calls(list, tc) != 0) {
        goto done;
    }

    call = cJSON_GetObjectItemCaseSensitive(message, "call");
    cj_string(cJSON_GetObjectItemCaseSensitive(call, "id"),
              tc->call_id, sizeof(tc->call_id));

    number = cJSON_GetObjectItemCaseSensitive(
                 cJSON_GetObjectItemCaseSensitive(call, "customer"), "number");
    if (!cJSON_IsString(number)) {
        number = cJSON_GetObjectItemCaseSensitive(
                     cJSON_GetObjectItemCaseSensitive(message, "customer"),
                     "number");
    }

    cj_string(number, tc->number, sizeof(tc->number));

    rc = 0;

done:

    cJSON_Delete(json);

    return rc;
}


/*
 * cJSON's allocations from a bump arena that is reset, not freed, after
 * each body: what cJSON_InitHooks with an nginx pool would give (cJSON
 * frees node by node; a pool frees everything with the request).
 */

static char    *jp_arena;
static size_t   jp_arena_size, jp_arena_used;


static void *
jp_arena_alloc(size_t size)
{
    void  *p;

    size = (size + 15) & ~(size_t) 15;

    if (jp_arena_used + size > jp_arena_size) {
        return NULL;
    }

    p = jp_arena + jp_arena_used;
    jp_arena_used += size;

    return p;
}


static void
jp_arena_free(void *p)
{
    (void) p;
}


static int
jp_cjson_arena(const char *body, size_t len, size_t cap, jp_toolcall_t *tc)
{
    int           rc;
    cJSON_Hooks   arena = { jp_arena_alloc, jp_arena_free };
    cJSON_Hooks   libc = { malloc, free };

    cJSON_InitHooks(&arena);
    jp_arena_used = 0;

    rc = jp_cjson_full(body, len, cap, tc);

    cJSON_InitHooks(&libc);

    return rc;
}


/*
 * The bounded skip: a JSON value's end, found by matching brackets outside
 * strings and by looking for each string's closing quote, never past the
 * end of the body nor deeper than SC_DEPTH.  It checks the structure it
 * walks (brackets, quotes, colons, commas) but not numbers, literals or
 * escapes, which it never interprets: the spans it keeps go to cJSON.
 */

#define SC_DEPTH  64


typedef struct {
    jp_spans_t   s;
    int          escaped_key;
    int          stop_early;        /* once the calls need nothing else */
    int          stopped;
} sc_found_t;


typedef const char *(*sc_member_pt)(sc_found_t *f, const char *key,
    size_t klen, const char *v, const char *end);


static const char *
sc_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
        p++;
    }

    return p;
}


/* p at the opening quote: past the closing one, or NULL */
static const char *
sc_string(const char *p, const char *end)
{
    const char  *q, *b;

    p++;

    for ( ;; ) {
        q = memchr(p, '"', end - p);
        if (q == NULL) {
            return NULL;
        }

        for (b = q; b > p && b[-1] == '\\'; b--) { /* void */ }

        if (((q - b) & 1) == 0) {
            return q + 1;
        }

        p = q + 1;
    }
}


static const char *
sc_skip(const char *p, const char *end)
{
    int   depth;
    char  stack[SC_DEPTH], c;

    if (p >= end) {
        return NULL;
    }

    c = *p;

    if (c == '"') {
        return sc_string(p, end);
    }

    if (c != '{' && c != '[') {
        /* a number or a literal: cJSON would check it, we do not */
        while (p < end && *p != ',' && *p != '}' && *p != ']'
               && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
        {
            p++;
        }

        return p;
    }

    depth = 0;

    while (p < end) {
        c = *p;

        switch (c) {

        case '"':
            p = sc_string(p, end);
            if (p == NULL) {
                return NULL;
            }

            continue;

        case '{':
        case '[':
            if (depth == SC_DEPTH) {
                return NULL;
            }

            stack[depth++] = c;
            break;

        case '}':
        case ']':
            if (depth == 0 || stack[--depth] != (c == '}' ? '{' : '[')) {
                return NULL;
            }

            if (depth == 0) {
                return p + 1;
            }

            break;
        }

        p++;
    }

    return NULL;
}


/* p at '{': calls fn for each member, which returns the end of its value */
static const char *
sc_members(sc_found_t *f, const char *p, const char *end, sc_member_pt fn)
{
    size_t       klen;
    const char  *k;

    p = sc_ws(p + 1, end);

    if (p < end && *p == '}') {
        return p + 1;
    }

    for ( ;; ) {
        if (p >= end || *p != '"') {
            return NULL;
        }

        k = p + 1;
        p = sc_string(p, end);
        if (p == NULL) {
            return NULL;
        }

        klen = p - 1 - k;

        if (memchr(k, '\\', klen) != NULL) {
            /* an escaped key may spell one we want: let cJSON decide */
            f->escaped_key = 1;
            return NULL;
        }

        p = sc_ws(p, end);
        if (p >= end || *p != ':') {
            return NULL;
        }

        p = fn(f, k, klen, sc_ws(p + 1, end), end);
        if (p == NULL || f->stopped) {
            return p;
        }

        p = sc_ws(p, end);

        if (p < end && *p == ',') {
            p = sc_ws(p + 1, end);
            continue;
        }

        if (p < end && *p == '}') {
            return p + 1;
        }

        return NULL;
    }
}


#define sc_key(k, klen, s)  ((klen) == sizeof(s) - 1                          \
                             && memcmp(k, s, sizeof(s) - 1) == 0)


/* the first occurrence counts, as with cJSON_GetObjectItem */
static const char *
sc_keep(jp_span_t *span, const char *v, const char *end)
{
    const char  *e;

    e = sc_skip(v, end);

    if (e != NULL && span->p == NULL) {
        span->p = v;
        span->len = e - v;
    }

    return e;
}


/*
 * Early stop: the calls of toolCallList are all tools that need neither the
 * caller's number nor the call's id (check_availability and
 * get_restaurant_info read, they book nothing for anyone), so nothing after
 * it can change the answer: with the first of duplicate keys counting, as
 * in cJSON, a later member is never read.  What follows is not checked
 * either (a body cut short there is taken).
 */
static void
sc_stop_if_done(sc_found_t *f)
{
    int          i, n;
    cJSON       *list, *name, *item, *call;

    list = cJSON_ParseWithLengthOpts(f->s.list.p, f->s.list.len, NULL, 0);
    n = cJSON_GetArraySize(list);

    if (!cJSON_IsArray(list) || n == 0) {
        cJSON_Delete(list);
        return;
    }

    for (i = 0; i < n; i++) {
        item = cJSON_GetArrayItem(list, i);
        call = cJSON_GetObjectItemCaseSensitive(item, "toolCall");
        if (!cJSON_IsObject(call)) {
            call = item;
        }

        name = cJSON_GetObjectItemCaseSensitive(
                   cJSON_GetObjectItemCaseSensitive(call, "function"), "name");

        if (!cJSON_IsString(name)
            || (strcmp(name->valuestring, "check_availability") != 0
                && strcmp(name->valuestring, "get_restaurant_info") != 0))
        {
            cJSON_Delete(list);
            return;
        }
    }

    f->s.parsed_list = list;
    f->stopped = 1;
}


static const char *
sc_call(sc_found_t *f, const char *k, size_t klen, const char *v,
    const char *end)
{
    if (sc_key(k, klen, "id")) {
        return sc_keep(&f->s.call_id, v, end);
    }

    if (sc_key(k, klen, "customer")) {
        return sc_keep(&f->s.call_customer, v, end);
    }

    return sc_skip(v, end);
}


static const char *
sc_message(sc_found_t *f, const char *k, size_t klen, const char *v,
    const char *end)
{
    switch (klen) {

    case 4:
        if (sc_key(k, klen, "type")) {
            return sc_keep(&f->s.type, v, end);
        }

        if (sc_key(k, klen, "call")) {
            if (v < end && *v == '{' && f->s.call_id.p == NULL
                && f->s.call_customer.p == NULL)
            {
                return sc_members(f, v, end, sc_call);
            }
        }

        break;

    case 8:
        if (sc_key(k, klen, "customer")) {
            return sc_keep(&f->s.customer, v, end);
        }

        break;

    case 12:
        if (sc_key(k, klen, "toolCallList")) {
            v = sc_keep(&f->s.list, v, end);

            if (v && f->stop_early && f->s.type.p) {
                sc_stop_if_done(f);
            }

            return v;
        }

        break;

    case 20:
        if (sc_key(k, klen, "toolWithToolCallList")) {
            return sc_keep(&f->s.twtcl, v, end);
        }

        break;
    }

    return sc_skip(v, end);
}


static int  sc_seen_message;


static const char *
sc_root(sc_found_t *f, const char *k, size_t klen, const char *v,
    const char *end)
{
    if (sc_key(k, klen, "message") && v < end && *v == '{'
        && !sc_seen_message)
    {
        sc_seen_message = 1;
        return sc_members(f, v, end, sc_message);
    }

    return sc_skip(v, end);
}


/* a JSON string span without a backslash needs no unescaping */
static int
sc_plain_string(const jp_span_t *s, char *dst, size_t size)
{
    cJSON  *json;

    if (s->p == NULL || s->len < 2 || s->p[0] != '"') {
        return 0;
    }

    if (memchr(s->p, '\\', s->len) == NULL) {
        jp_copy(dst, size, s->p + 1, s->len - 2);
        return 0;
    }

    json = cJSON_ParseWithLengthOpts(s->p, s->len, NULL, 0);
    cj_string(json, dst, size);
    cJSON_Delete(json);

    return 0;
}


static int
jp_cjson_scan(const char *body, size_t len, size_t cap, jp_toolcall_t *tc,
    int stop_early)
{
    const char  *p, *end;
    sc_found_t   f;

    memset(&f, 0, sizeof(sc_found_t));
    f.stop_early = stop_early;
    sc_seen_message = 0;
    end = body + len;

    p = sc_ws(body, end);
    if (p >= end || *p != '{') {
        return -1;
    }

    p = sc_members(&f, p, end, sc_root);

    if (p == NULL && f.escaped_key) {
        memset(tc, 0, sizeof(jp_toolcall_t));
        return jp_cjson_full(body, len, cap, tc);
    }

    if (p == NULL || (!f.stopped && sc_ws(p, end) != end)
        || !sc_seen_message)
    {
        cJSON_Delete(f.s.parsed_list);
        return -1;
    }

    return jp_cjson_from_spans(&f.s, tc);
}


static int
jp_cjson_spans(const char *body, size_t len, size_t cap, jp_toolcall_t *tc)
{
    return jp_cjson_scan(body, len, cap, tc, 0);
}


static int
jp_cjson_spans_early(const char *body, size_t len, size_t cap,
    jp_toolcall_t *tc)
{
    return jp_cjson_scan(body, len, cap, tc, 1);
}


/*
 * What a tool call needs, from the spans of the members that hold it: the
 * same lookups as on the whole tree.  Also used with the spans simdjson
 * finds (json/simdjson.cpp).
 */
int
jp_cjson_from_spans(const jp_spans_t *s, jp_toolcall_t *tc)
{
    int          rc;
    cJSON       *list, *customer;

    sc_plain_string(&s->type, tc->type, sizeof(tc->type));

    rc = -1;
    list = s->parsed_list;

    if (list == NULL && s->list.p) {
        list = cJSON_ParseWithLengthOpts(s->list.p, s->list.len, NULL, 0);
        if (list == NULL) {
            return -1;
        }
    }

    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0) {
        cJSON_Delete(list);
        list = NULL;

        if (s->twtcl.p) {
            list = cJSON_ParseWithLengthOpts(s->twtcl.p, s->twtcl.len, NULL,
                                             0);
        }
    }

    if (cj_calls(list, tc) != 0) {
        goto done;
    }

    sc_plain_string(&s->call_id, tc->call_id, sizeof(tc->call_id));

    customer = NULL;

    if (s->call_customer.p) {
        customer = cJSON_ParseWithLengthOpts(s->call_customer.p,
                                             s->call_customer.len, NULL, 0);
    }

    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(customer, "number"))
        && s->customer.p)
    {
        cJSON_Delete(customer);
        customer = cJSON_ParseWithLengthOpts(s->customer.p, s->customer.len,
                                             NULL, 0);
    }

    cj_string(cJSON_GetObjectItemCaseSensitive(customer, "number"),
              tc->number, sizeof(tc->number));
    cJSON_Delete(customer);

    rc = 0;

done:

    cJSON_Delete(list);

    return rc;
}


/*
 * What the module does (core/cerebro_json_spans.c): what the paths reach
 * checked strictly, the members they do not (artifact, assistant) passed
 * over, the spans kept, cJSON on them.
 */
static int
jp_cerebro_spans(const char *body, size_t len, size_t cap, jp_toolcall_t *tc)
{
    size_t               i;
    jp_span_t           *out[6];
    jp_spans_t           s;
    cerebro_json_span_t  found[6];

    static const char *const  paths[] = {
        "message.type", "message.toolCallList",
        "message.toolWithToolCallList", "message.call.id",
        "message.call.customer", "message.customer"
    };

    (void) cap;

    if (cerebro_json_spans(body, len, paths, 6, found, NULL)
        != CEREBRO_JSON_OK
        || found[0].type != CEREBRO_JSON_STRING)
    {
        return -1;
    }

    memset(&s, 0, sizeof(jp_spans_t));
    out[0] = &s.type;
    out[1] = &s.list;
    out[2] = &s.twtcl;
    out[3] = &s.call_id;
    out[4] = &s.call_customer;
    out[5] = &s.customer;

    for (i = 0; i < 6; i++) {
        if (found[i].type != CEREBRO_JSON_ABSENT) {
            out[i]->p = found[i].data;
            out[i]->len = found[i].len;
        }
    }

    return jp_cjson_from_spans(&s, tc);
}


/* the module's walk of the body for one path, no span parsed */
static int
jp_cerebro_walk(const char *body, size_t len, const char *path)
{
    cerebro_json_span_t  found[1];

    return cerebro_json_spans(body, len, &path, 1, found, NULL)
           == CEREBRO_JSON_OK ? 0 : -1;
}


/* a path that finds nothing: the whole message passed over */
static int
jp_cerebro_pass_only(const char *body, size_t len, size_t cap,
    jp_toolcall_t *tc)
{
    (void) cap;
    (void) tc;

    return jp_cerebro_walk(body, len, "none");
}


/* one path holding it all: the whole body checked strictly */
static int
jp_cerebro_check_only(const char *body, size_t len, size_t cap,
    jp_toolcall_t *tc)
{
    (void) cap;
    (void) tc;

    return jp_cerebro_walk(body, len, "message");
}


/* the skip alone: how fast the body can be walked without parsing */
static int
jp_skip_only(const char *body, size_t len, size_t cap, jp_toolcall_t *tc)
{
    (void) cap;
    (void) tc;

    return sc_skip(sc_ws(body, body + len), body + len) ? 0 : -1;
}


/* --- jansson ------------------------------------------------------------ */

#ifdef JP_JANSSON

static void
ja_string(json_t *item, char *dst, size_t size)
{
    if (json_is_string(item)) {
        jp_copy(dst, size, json_string_value(item), json_string_length(item));
    }
}


static void
ja_args(json_t *function, jp_call_t *c)
{
    json_t        *args, *parsed, *party;
    json_error_t   err;

    parsed = NULL;

    args = json_object_get(function, "arguments");
    if (args == NULL) {
        args = json_object_get(function, "parameters");
    }

    if (json_is_string(args)) {
        parsed = json_loadb(json_string_value(args), json_string_length(args),
                            0, &err);
        args = parsed;
    }

    if (json_is_object(args)) {
        c->have_args = 1;
        ja_string(json_object_get(args, "date"), c->date, sizeof(c->date));
        ja_string(json_object_get(args, "time"), c->time, sizeof(c->time));

        party = json_object_get(args, "party_size");
        if (json_is_number(party)) {
            c->party_size = (long) json_number_value(party);

        } else if (json_is_string(party)) {
            c->party_size = strtol(json_string_value(party), NULL, 10);
        }
    }

    json_decref(parsed);
}


static int
jp_jansson(const char *body, size_t len, size_t cap, jp_toolcall_t *tc)
{
    int            rc;
    size_t         i, n;
    json_t        *json, *message, *list, *item, *call, *function, *number;
    json_error_t   err;

    (void) cap;

    json = json_loadb(body, len, 0, &err);
    if (json == NULL) {
        return -1;
    }

    rc = -1;

    message = json_object_get(json, "message");
    if (!json_is_object(message)) {
        goto done;
    }

    ja_string(json_object_get(message, "type"), tc->type, sizeof(tc->type));

    list = json_object_get(message, "toolCallList");
    if (!json_is_array(list) || json_array_size(list) == 0) {
        list = json_object_get(message, "toolWithToolCallList");
    }

    n = json_array_size(list);
    if (!json_is_array(list) || n == 0 || n > JP_MAX_CALLS) {
        goto done;
    }

    tc->ncalls = (int) n;

    for (i = 0; i < n; i++) {
        item = json_array_get(list, i);

        call = json_object_get(item, "toolCall");
        if (!json_is_object(call)) {
            call = item;
        }

        ja_string(json_object_get(call, "id"), tc->calls[i].id,
                  sizeof(tc->calls[i].id));

        function = json_object_get(call, "function");
        ja_string(json_object_get(function, "name"), tc->calls[i].name,
                  sizeof(tc->calls[i].name));
        ja_args(function, &tc->calls[i]);
    }

    call = json_object_get(message, "call");
    ja_string(json_object_get(call, "id"), tc->call_id, sizeof(tc->call_id));

    number = json_object_get(json_object_get(call, "customer"), "number");
    if (!json_is_string(number)) {
        number = json_object_get(json_object_get(message, "customer"),
                                 "number");
    }

    ja_string(number, tc->number, sizeof(tc->number));

    rc = 0;

done:

    json_decref(json);

    return rc;
}

#endif


/* --- calibration: a copy of the body, its HMAC -------------------------- */

static char  *jp_copy_dst;


static int
jp_memcpy(const char *body, size_t len, size_t cap, jp_toolcall_t *tc)
{
    (void) cap;
    (void) tc;

    memcpy(jp_copy_dst, body, len);
    __asm__ __volatile__("" : : "r" (jp_copy_dst) : "memory");

    return 0;
}


static int
jp_hmac(const char *body, size_t len, size_t cap, jp_toolcall_t *tc)
{
    unsigned int    mdlen;
    unsigned char   md[EVP_MAX_MD_SIZE];

    static const char  key[] = "a-vapi-webhook-secret-of-32-bytes";

    (void) cap;
    (void) tc;

    return HMAC(EVP_sha256(), key, sizeof(key) - 1,
                (const unsigned char *) body, len, md, &mdlen)
           ? 0 : -1;
}


/* --- the answer --------------------------------------------------------- */

static const char  jp_result[] =
    "Sí, hay mesa para 4 el martes 8 de diciembre a las 21:00 en la sala. "
    "¿Quiere que la reserve? Dígame a nombre de quién.";


static int
jp_answer_cjson(const char *body, size_t len, size_t cap, jp_toolcall_t *tc)
{
    char   *text;
    cJSON  *json, *results, *item;

    (void) body;
    (void) len;
    (void) cap;

    json = cJSON_CreateObject();
    results = cJSON_AddArrayToObject(json, "results");
    item = cJSON_CreateObject();
    cJSON_AddItemToArray(results, item);
    cJSON_AddItemToObjectCS(item, "name",
                            cJSON_CreateStringReference(tc->calls[0].name));
    cJSON_AddItemToObjectCS(item, "toolCallId",
                            cJSON_CreateStringReference(tc->calls[0].id));
    cJSON_AddItemToObjectCS(item, "result",
                            cJSON_CreateStringReference(jp_result));

    text = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);

    if (text == NULL) {
        return -1;
    }

    memcpy(jp_copy_dst, text, strlen(text) + 1);
    cJSON_free(text);

    return 0;
}


/* a JSON string's contents, escaped as RFC 8259 asks; dst has 6 * len */
static char *
jp_escape(char *dst, const char *s, size_t len)
{
    unsigned char  c;

    static const char  hex[] = "0123456789abcdef";

    while (len--) {
        c = (unsigned char) *s++;

        if (c >= 0x20 && c != '"' && c != '\\') {
            *dst++ = (char) c;
            continue;
        }

        *dst++ = '\\';

        switch (c) {
        case '"':  *dst++ = '"'; break;
        case '\\': *dst++ = '\\'; break;
        case '\n': *dst++ = 'n'; break;
        case '\r': *dst++ = 'r'; break;
        case '\t': *dst++ = 't'; break;
        default:
            *dst++ = 'u';
            *dst++ = '0';
            *dst++ = '0';
            *dst++ = hex[c >> 4];
            *dst++ = hex[c & 0xf];
        }
    }

    return dst;
}


#define jp_literal(p, s)  (memcpy(p, s, sizeof(s) - 1), (p) + sizeof(s) - 1)


static int
jp_answer_direct(const char *body, size_t len, size_t cap, jp_toolcall_t *tc)
{
    char  *p;

    (void) body;
    (void) len;
    (void) cap;

    /* the module would size this from the strings and take it from r->pool */
    p = jp_copy_dst;
    p = jp_literal(p, "{\"results\":[{\"name\":\"");
    p = jp_escape(p, tc->calls[0].name, strlen(tc->calls[0].name));
    p = jp_literal(p, "\",\"toolCallId\":\"");
    p = jp_escape(p, tc->calls[0].id, strlen(tc->calls[0].id));
    p = jp_literal(p, "\",\"result\":\"");
    p = jp_escape(p, jp_result, sizeof(jp_result) - 1);
    p = jp_literal(p, "\"}]}\n");
    *p = '\0';

    return 0;
}


/* --- the bench ---------------------------------------------------------- */

typedef struct {
    const char     *name;
    jp_extract_pt   fn;
    int             extracts;       /* must agree with cJSON full */
} jp_method_t;


static jp_method_t  jp_methods[] = {
    { "cJSON full (today)", jp_cjson_full, 1 },
    { "cJSON full, arena hooks", jp_cjson_arena, 1 },
    { "cJSON spans (skip)", jp_cjson_spans, 1 },
    { "cJSON spans, early stop", jp_cjson_spans_early, 2 },
    { "module: spans + cJSON", jp_cerebro_spans, 1 },
#ifdef JP_JANSSON
    { "jansson", jp_jansson, 1 },
#endif
#ifdef JP_JSONC
    { "json-c", jp_jsonc, 1 },
#endif
#ifdef JP_SIMDJSON
    { "simdjson OD spans + cJSON", jp_simdjson_spans_haswell, 1 },
    { "simdjson On-Demand", jp_simdjson_ondemand_generic, 1 },
    { "simdjson On-Demand haswell", jp_simdjson_ondemand_haswell, 1 },
    { "simdjson DOM", jp_simdjson_dom_generic, 1 },
#endif
    { "- the skip alone", jp_skip_only, 0 },
    { "- the module's passing over", jp_cerebro_pass_only, 0 },
    { "- the module's strict check", jp_cerebro_check_only, 0 },
    { "- memcpy of the body", jp_memcpy, 0 },
    { "- HMAC-SHA256 of the body", jp_hmac, 0 },
    { "- answer: cJSON tree+print", jp_answer_cjson, 0 },
    { "- answer: written directly", jp_answer_direct, 0 },
    { NULL, NULL, 0 }
};


/* calls_only: an early stop does not read call.id nor the number */
static int
jp_same(jp_toolcall_t *a, jp_toolcall_t *b, int calls_only)
{
    int  i;

    if (strcmp(a->type, b->type) || a->ncalls != b->ncalls
        || (!calls_only && (strcmp(a->call_id, b->call_id)
                            || strcmp(a->number, b->number))))
    {
        return 0;
    }

    for (i = 0; i < a->ncalls; i++) {
        if (strcmp(a->calls[i].id, b->calls[i].id)
            || strcmp(a->calls[i].name, b->calls[i].name)
            || strcmp(a->calls[i].date, b->calls[i].date)
            || strcmp(a->calls[i].time, b->calls[i].time)
            || a->calls[i].party_size != b->calls[i].party_size
            || a->calls[i].have_args != b->calls[i].have_args)
        {
            return 0;
        }
    }

    return 1;
}


static void
jp_show(const char *label, jp_toolcall_t *t)
{
    fprintf(stderr, "  %s: type=%s call=%s number=%s calls=%d", label,
            t->type, t->call_id, t->number, t->ncalls);

    if (t->ncalls > 0) {
        fprintf(stderr, " [%s %s %s %s %ld]", t->calls[0].id,
                t->calls[0].name, t->calls[0].date, t->calls[0].time,
                t->calls[0].party_size);
    }

    fprintf(stderr, "\n");
}


/* every extractor against cJSON's full parse; 0 if all agree */
static int
jp_check(const char *label, const char *body, size_t len, size_t cap)
{
    int             bad, ref_rc, rc;
    jp_method_t    *m;
    jp_toolcall_t   ref, tc;

    bad = 0;
    memset(&ref, 0, sizeof(jp_toolcall_t));
    ref_rc = jp_cjson_full(body, len, cap, &ref);

    for (m = jp_methods; m->name; m++) {
        if (!m->extracts) {
            continue;
        }

        memset(&tc, 0, sizeof(jp_toolcall_t));
        rc = m->fn(body, len, cap, &tc);

        if ((rc == 0) != (ref_rc == 0) || (rc == 0 && !jp_same(&ref, &tc, m->extracts == 2))) {
            fprintf(stderr, "json_parsers: %s disagrees with cJSON on %s "
                    "(%d, %d)\n", m->name, label, rc, ref_rc);
            jp_show("cJSON", &ref);
            jp_show(m->name, &tc);
            bad = 1;
        }
    }

    return bad;
}


/* small bodies in every shape the module accepts, and a few it refuses */
static int
jp_selftest(void)
{
    int          bad;
    size_t       len, cap;
    char        *buf;
    const char **s;

    static const char  *cases[] = {
        "{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[{\"id\":"
        "\"a\",\"type\":\"function\",\"function\":{\"name\":\"check_"
        "availability\",\"arguments\":\"{\\\"date\\\":\\\"2026-12-08\\\","
        "\\\"time\\\":\\\"21:00\\\",\\\"party_size\\\":2}\"}}],\"call\":{"
        "\"id\":\"c\",\"customer\":{\"number\":\"+34600111222\"}}}}",

        "{ \"message\" : { \"call\" : { \"customer\" : { \"number\" : "
        "\"+34 600 111 222\" } , \"id\" : \"c\\u002d1\" } , \"type\" : "
        "\"tool-calls\" , \"toolWithToolCallList\" : [ { \"type\" : "
        "\"function\" , \"toolCall\" : { \"id\" : \"t\\\"1\" , \"function\""
        " : { \"name\" : \"check_availability\" , \"parameters\" : { "
        "\"date\" : \"mañana\" , \"time\" : \"21:00\" , \"party_size\" : "
        "\"3\" } } } } ] , \"toolCallList\" : [ ] } }\n",

        "{\"message\":{\"type\":\"tool-calls\",\"customer\":{\"number\":"
        "\"+34611\"},\"artifact\":{\"messages\":[{\"m\":\"}]\\\\\"},{\"x\":"
        "[1,2,{\"y\":null}]}]},\"toolCallList\":[{\"id\":\"a\",\"function\""
        ":{\"name\":\"x\",\"arguments\":{}}},{\"id\":\"b\",\"function\":{"
        "\"name\":\"y\"}}],\"call\":{\"id\":\"c\"}}}",

        "{\"message\":{\"t\\u0079pe\":\"tool-calls\",\"toolCallList\":[{"
        "\"id\":\"a\",\"function\":{\"name\":\"x\",\"arguments\":{}}}]}}",

        "{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[{\"id\":"
        "\"a\",\"function\":{\"name\":\"x\"}}],\"call\":{\"id\":\"c\"}}",

        "{\"message\":{\"type\":\"tool-calls\",\"artifact\":[}]}}",

        "{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[]}}",

        NULL
    };

    bad = 0;

    for (s = cases; *s; s++) {
        len = strlen(*s);
        cap = len + 64 + jp_simdjson_padding();
        buf = calloc(1, cap);
        memcpy(buf, *s, len);

        bad |= jp_check("a test body", buf, len, cap);
        free(buf);
    }

    return bad;
}


/* an extractor starts from zero, as from ngx_pcalloc(); an answer reads */
static void
jp_run(jp_method_t *m, const char *body, size_t len, size_t cap,
    jp_toolcall_t *ref, jp_toolcall_t *tc)
{
    if (m->extracts) {
        memset(tc, 0, sizeof(jp_toolcall_t));
        m->fn(body, len, cap, tc);

    } else {
        m->fn(body, len, cap, ref);
    }
}


static void
jp_measure(jp_method_t *m, const char *body, size_t len, size_t cap,
    jp_toolcall_t *ref, double *median, double *min)
{
    int             s;
    long            i, iters;
    double          t0, t, samples[64];
    jp_toolcall_t   tc;

    /* iterations per sample: about budget / samples seconds */
    iters = 1;

    for ( ;; ) {
        t0 = jp_now();

        for (i = 0; i < iters; i++) {
            jp_run(m, body, len, cap, ref, &tc);
        }

        t = jp_now() - t0;

        if (t > jp_budget / jp_samples / 4 || iters > (1L << 30)) {
            break;
        }

        iters *= 2;
    }

    iters = (long) (iters * (jp_budget / jp_samples) / t) + 1;

    for (s = 0; s < jp_samples; s++) {
        t0 = jp_now();

        for (i = 0; i < iters; i++) {
            jp_run(m, body, len, cap, ref, &tc);
        }

        samples[s] = (jp_now() - t0) / iters * 1e9;
    }

    qsort(samples, jp_samples, sizeof(double), jp_cmp_double);
    *median = samples[jp_samples / 2];
    *min = samples[0];
}


static char *
jp_read(const char *path, size_t *len, size_t *cap)
{
    long   n;
    char  *buf;
    FILE  *f;

    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "json_parsers: %s: %s\n", path, strerror(errno));
        return NULL;
    }

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);

    /* room for simdjson's padding: nginx could allocate the body so */
    *cap = (size_t) n + 64 + jp_simdjson_padding();
    buf = aligned_alloc(64, (*cap + 63) & ~(size_t) 63);

    if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n) {
        fclose(f);
        free(buf);
        return NULL;
    }

    memset(buf + n, 0, *cap - (size_t) n);
    fclose(f);
    *len = (size_t) n;

    return buf;
}


int
main(int argc, char **argv)
{
    int             i, bad;
    char           *body;
    size_t          len, cap;
    double          med, min, ref_med;
    const char     *base;
    jp_method_t    *m;
    jp_toolcall_t   ref;

    while (argc > 1 && argv[1][0] == '-') {
        if (strcmp(argv[1], "--seconds") == 0 && argc > 2) {
            jp_budget = atof(argv[2]);
            argv += 2;
            argc -= 2;
            continue;
        }

        fprintf(stderr, "usage: json_parsers [--seconds S] BODY.json...\n");
        return 2;
    }

    jp_arena_size = 8 << 20;
    jp_arena = malloc(jp_arena_size);
    jp_copy_dst = malloc(1 << 20);

    if (jp_selftest() != 0) {
        return 1;
    }

#ifdef JP_SIMDJSON
    printf("simdjson: On-Demand kernel (compiled in) / DOM kernel (chosen "
           "at run time): %s; with -march=haswell: %s\n",
           jp_simdjson_kernel_generic(), jp_simdjson_kernel_haswell());
#endif

    printf("%-28s %10s %10s %9s %8s\n", "", "ns/body", "(min)", "MB/s",
           "vs cJSON");

    bad = 0;

    for (i = 1; i < argc; i++) {
        body = jp_read(argv[i], &len, &cap);
        if (body == NULL) {
            return 1;
        }

        base = strrchr(argv[i], '/');
        base = base ? base + 1 : argv[i];

        if (jp_check(base, body, len, cap) != 0) {
            bad = 1;
            free(body);
            continue;
        }

        memset(&ref, 0, sizeof(jp_toolcall_t));
        jp_cjson_full(body, len, cap, &ref);

        printf("\n== %s: %zu bytes; %s, %s at %s, %ld people; call %s, "
               "caller %s\n", base, len, ref.calls[0].name, ref.calls[0].date,
               ref.calls[0].time, ref.calls[0].party_size, ref.call_id,
               ref.number);

        ref_med = 0;

        for (m = jp_methods; m->name; m++) {
            jp_measure(m, body, len, cap, &ref, &med, &min);

            if (m == jp_methods) {
                ref_med = med;
            }

            printf("%-28s %10.0f %10.0f %9.0f %7.2fx\n", m->name, med, min,
                   len / med * 1e3, ref_med / med);
            fflush(stdout);
        }

        free(body);
    }

    return bad;
}


static size_t
jp_simdjson_padding(void)
{
#ifdef JP_SIMDJSON
    size_t  a = jp_simdjson_padding_generic(), b = jp_simdjson_padding_haswell();

    return a > b ? a : b;
#else
    return 64;
#endif
}
