/*
 * bench/json_parsers: the tool call's fields read with simdjson (Debian's
 * libsimdjson-dev), On-Demand and DOM, with the same meaning as cJSON's
 * lookups in the module: the first of duplicate keys counts, "arguments"
 * before "parameters", toolCallList unless it is missing or empty, then
 * toolWithToolCallList, call.customer.number then customer.number.
 *
 * On-Demand reads forward only, so each choice is made when the object
 * ends; values it is not asked for are skipped, not parsed.  The body must
 * be followed by SIMDJSON_PADDING readable bytes (nginx could allocate the
 * body buffer so; here the caller does).
 */

#include <cstdlib>
#include <cstring>
#include <string>

#include <simdjson.h>

#include "json_parsers.h"

using namespace simdjson;


/*
 * On-Demand runs the kernel chosen when it is compiled (-march), DOM the
 * best one for the CPU it runs on: bench/json_parsers builds this file
 * twice, plain (JP_SD_SUFFIX _generic) and with -march=haswell (_haswell).
 */
#ifndef JP_SD_SUFFIX
#define JP_SD_SUFFIX  _generic
#endif
#define JP_SD_CAT(a, b)  a ## b
#define JP_SD_NAME(a, b)  JP_SD_CAT(a, b)
#define jp_simdjson_ondemand  JP_SD_NAME(jp_simdjson_ondemand, JP_SD_SUFFIX)
#define jp_simdjson_dom       JP_SD_NAME(jp_simdjson_dom, JP_SD_SUFFIX)
#define jp_simdjson_padding   JP_SD_NAME(jp_simdjson_padding, JP_SD_SUFFIX)
#define jp_simdjson_spans     JP_SD_NAME(jp_simdjson_spans, JP_SD_SUFFIX)

extern "C" {
int jp_simdjson_ondemand(const char *body, size_t len, size_t cap,
    jp_toolcall_t *tc);
int jp_simdjson_dom(const char *body, size_t len, size_t cap,
    jp_toolcall_t *tc);
size_t jp_simdjson_padding(void);
int jp_simdjson_spans(const char *body, size_t len, size_t cap,
    jp_toolcall_t *tc);
const char *JP_SD_NAME(jp_simdjson_kernel, JP_SD_SUFFIX)(void);
}


const char *
JP_SD_NAME(jp_simdjson_kernel, JP_SD_SUFFIX)(void)
{
    static std::string  name;

    /* builtin_implementation() lives in the shared library: not this */
    name = std::string(SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION))
           + " / " + simdjson::get_active_implementation()->name();

    return name.c_str();
}


static ondemand::parser  od;
static ondemand::parser  od_args;
static dom::parser       dp;


static void
sv_copy(char *dst, size_t size, std::string_view s)
{
    jp_copy(dst, size, s.data(), s.size());
}


/* --- On-Demand ---------------------------------------------------------- */

static int od_object_args(ondemand::object args, jp_call_t *c);


/* the value of "arguments" or "parameters": an object or a JSON string */
static int
od_args_value(ondemand::value v, jp_call_t *c)
{
    ondemand::json_type  t;

    if (v.type().get(t)) {
        return -1;
    }

    if (t == ondemand::json_type::object) {
        ondemand::object  o;

        if (v.get_object().get(o)) {
            return -1;
        }

        return od_object_args(o, c);
    }

    if (t == ondemand::json_type::string) {
        std::string_view  s;

        if (v.get_string().get(s)) {
            return -1;
        }

        padded_string       ps(s);
        ondemand::document  d;
        ondemand::object    o;

        if (od_args.iterate(ps).get(d) || d.get_object().get(o)) {
            return 0;           /* not an object: no arguments */
        }

        return od_object_args(o, c);
    }

    return 0;
}


static int
od_object_args(ondemand::object args, jp_call_t *c)
{
    int  seen_date = 0, seen_time = 0, seen_party = 0;

    c->have_args = 1;

    for (auto f : args) {
        std::string_view  k;
        ondemand::value   v;

        if (f.unescaped_key().get(k) || f.value().get(v)) {
            return -1;
        }

        if ((k == "date" && !seen_date) || (k == "time" && !seen_time)) {
            std::string_view  s;
            bool              date = (k == "date");

            (date ? seen_date : seen_time) = 1;

            if (v.get_string().get(s) == SUCCESS) {
                sv_copy(date ? c->date : c->time, sizeof(c->date), s);
            }

        } else if (k == "party_size" && !seen_party) {
            ondemand::json_type  t;

            seen_party = 1;

            if (v.type().get(t)) {
                return -1;
            }

            if (t == ondemand::json_type::number) {
                double  d;

                if (v.get_double().get(d) == SUCCESS) {
                    c->party_size = (long) d;
                }

            } else if (t == ondemand::json_type::string) {
                std::string_view  s;

                if (v.get_string().get(s) == SUCCESS) {
                    c->party_size = strtol(std::string(s).c_str(), NULL, 10);
                }
            }
        }
    }

    return 0;
}


static int
od_function(ondemand::object fn, jp_call_t *c)
{
    int        seen_name = 0, seen_args = 0, seen_params = 0;
    jp_call_t  params;

    std::memset(&params, 0, sizeof(jp_call_t));

    for (auto f : fn) {
        std::string_view  k;
        ondemand::value   v;

        if (f.unescaped_key().get(k) || f.value().get(v)) {
            return -1;
        }

        if (k == "name" && !seen_name) {
            std::string_view  s;

            seen_name = 1;

            if (v.get_string().get(s) == SUCCESS) {
                sv_copy(c->name, sizeof(c->name), s);
            }

        } else if (k == "arguments" && !seen_args) {
            seen_args = 1;

            if (od_args_value(v, c) != 0) {
                return -1;
            }

        } else if (k == "parameters" && !seen_params) {
            seen_params = 1;

            if (od_args_value(v, &params) != 0) {
                return -1;
            }
        }
    }

    if (!seen_args && seen_params) {
        c->have_args = params.have_args;
        std::memcpy(c->date, params.date, sizeof(c->date));
        std::memcpy(c->time, params.time, sizeof(c->time));
        c->party_size = params.party_size;
    }

    return 0;
}


/* an item of toolCallList or of toolWithToolCallList (with "toolCall") */
static int
od_call(ondemand::object item, jp_call_t *c, int depth)
{
    int        seen_id = 0, seen_fn = 0, seen_tc = 0, tc_object = 0;
    jp_call_t  self, inner;

    std::memset(&self, 0, sizeof(jp_call_t));
    std::memset(&inner, 0, sizeof(jp_call_t));

    for (auto f : item) {
        std::string_view  k;
        ondemand::value   v;

        if (f.unescaped_key().get(k) || f.value().get(v)) {
            return -1;
        }

        if (k == "id" && !seen_id) {
            std::string_view  s;

            seen_id = 1;

            if (v.get_string().get(s) == SUCCESS) {
                sv_copy(self.id, sizeof(self.id), s);
            }

        } else if (k == "function" && !seen_fn) {
            ondemand::object  o;

            seen_fn = 1;

            if (v.get_object().get(o) == SUCCESS
                && od_function(o, &self) != 0)
            {
                return -1;
            }

        } else if (k == "toolCall" && !seen_tc && depth == 0) {
            ondemand::object  o;

            seen_tc = 1;

            if (v.get_object().get(o) == SUCCESS) {
                tc_object = 1;

                if (od_call(o, &inner, 1) != 0) {
                    return -1;
                }
            }
        }
    }

    *c = tc_object ? inner : self;

    return 0;
}


/* n = -1 for a value that is not an array */
static int
od_list(ondemand::value v, jp_call_t *calls, int *n)
{
    ondemand::array  a;

    *n = -1;

    if (v.get_array().get(a)) {
        return 0;
    }

    *n = 0;

    for (auto el : a) {
        ondemand::object  o;
        ondemand::value   item;

        if (el.get(item)) {
            return -1;
        }

        if (*n == JP_MAX_CALLS) {
            *n = JP_MAX_CALLS + 1;      /* too many: refused below */
            continue;
        }

        if (item.get_object().get(o) == SUCCESS) {
            if (od_call(o, &calls[*n], 0) != 0) {
                return -1;
            }
        }

        (*n)++;
    }

    return 0;
}


static int
od_number(ondemand::value v, char *dst, size_t size, int *found)
{
    ondemand::object  o;

    if (v.get_object().get(o)) {
        return 0;
    }

    for (auto f : o) {
        std::string_view  k, s;
        ondemand::value   nv;

        if (f.unescaped_key().get(k) || f.value().get(nv)) {
            return -1;
        }

        if (k == "number") {
            if (nv.get_string().get(s) == SUCCESS) {
                sv_copy(dst, size, s);
                *found = 1;
            }

            return 0;
        }
    }

    return 0;
}


static int
od_message(ondemand::object msg, jp_toolcall_t *tc)
{
    int   seen_type = 0, seen_list = 0, seen_twtcl = 0, seen_call = 0;
    int   seen_customer = 0, nlist = -1, ntwtcl = -1, n;
    int   call_number = 0, msg_number = 0;
    char  number[sizeof(tc->number)];

    static jp_call_t  list[JP_MAX_CALLS], twtcl[JP_MAX_CALLS];

    number[0] = '\0';

    for (auto f : msg) {
        std::string_view  k;
        ondemand::value   v;

        if (f.unescaped_key().get(k) || f.value().get(v)) {
            return -1;
        }

        if (k == "type" && !seen_type) {
            std::string_view  s;

            seen_type = 1;

            if (v.get_string().get(s) == SUCCESS) {
                sv_copy(tc->type, sizeof(tc->type), s);
            }

        } else if (k == "toolCallList" && !seen_list) {
            seen_list = 1;
            std::memset(list, 0, sizeof(list));

            if (od_list(v, list, &nlist) != 0) {
                return -1;
            }

        } else if (k == "toolWithToolCallList" && !seen_twtcl) {
            seen_twtcl = 1;
            std::memset(twtcl, 0, sizeof(twtcl));

            if (od_list(v, twtcl, &ntwtcl) != 0) {
                return -1;
            }

        } else if (k == "call" && !seen_call) {
            ondemand::object  o;
            int               seen_id = 0, seen_cust = 0;

            seen_call = 1;

            if (v.get_object().get(o) == SUCCESS) {
                for (auto cf : o) {
                    std::string_view  ck;
                    ondemand::value   cv;

                    if (cf.unescaped_key().get(ck) || cf.value().get(cv)) {
                        return -1;
                    }

                    if (ck == "id" && !seen_id) {
                        std::string_view  s;

                        seen_id = 1;

                        if (cv.get_string().get(s) == SUCCESS) {
                            sv_copy(tc->call_id, sizeof(tc->call_id), s);
                        }

                    } else if (ck == "customer" && !seen_cust) {
                        seen_cust = 1;

                        if (od_number(cv, tc->number, sizeof(tc->number),
                                      &call_number)
                            != 0)
                        {
                            return -1;
                        }
                    }
                }
            }

        } else if (k == "customer" && !seen_customer) {
            seen_customer = 1;

            if (od_number(v, number, sizeof(number), &msg_number) != 0) {
                return -1;
            }
        }
    }

    if (!call_number && msg_number) {
        std::memcpy(tc->number, number, sizeof(number));
    }

    if (nlist > 0) {
        n = nlist;
        std::memcpy(tc->calls, list, sizeof(jp_call_t) * std::min(n, JP_MAX_CALLS));

    } else {
        n = ntwtcl;
        if (n > 0) {
            std::memcpy(tc->calls, twtcl,
                        sizeof(jp_call_t) * std::min(n, JP_MAX_CALLS));
        }
    }

    if (n <= 0 || n > JP_MAX_CALLS) {
        return -1;
    }

    tc->ncalls = n;

    return 0;
}


int
jp_simdjson_ondemand(const char *body, size_t len, size_t cap,
    jp_toolcall_t *tc)
{
    int                 seen = 0, rc = -1;
    ondemand::document  doc;
    ondemand::object    root;

    if (od.iterate(body, len, cap).get(doc) || doc.get_object().get(root)) {
        return -1;
    }

    for (auto f : root) {
        std::string_view  k;
        ondemand::value   v;

        if (f.unescaped_key().get(k) || f.value().get(v)) {
            return -1;
        }

        if (k == "message" && !seen) {
            ondemand::object  msg;

            seen = 1;

            if (v.get_object().get(msg)) {
                return -1;
            }

            rc = od_message(msg, tc);
            if (rc != 0) {
                return rc;
            }
        }
    }

    /* simdjson 3.0.1 has no document::at_end(): trailing bytes go unseen */
    return rc;
}


/* --- On-Demand finds the spans, cJSON parses them ----------------------- */

static int
od_span(ondemand::value v, jp_span_t *span)
{
    ondemand::json_type  t;
    std::string_view     raw;

    if (span->p != NULL) {
        return 0;               /* the first occurrence counts */
    }

    if (v.type().get(t)) {
        return -1;
    }

    switch (t) {
    case ondemand::json_type::array: {
        ondemand::array  a;

        if (v.get_array().get(a) || a.raw_json().get(raw)) {
            return -1;
        }

        break;
    }

    case ondemand::json_type::object: {
        ondemand::object  o;

        if (v.get_object().get(o) || o.raw_json().get(raw)) {
            return -1;
        }

        break;
    }

    default:
        /* a string or a scalar: its token, with the quotes of a string */
        raw = v.raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n'
                                || raw.back() == '\r' || raw.back() == '\t'))
        {
            raw.remove_suffix(1);
        }
    }

    span->p = raw.data();
    span->len = raw.size();

    return 0;
}


int
jp_simdjson_spans(const char *body, size_t len, size_t cap,
    jp_toolcall_t *tc)
{
    int                 seen = 0, seen_call = 0;
    jp_spans_t          s;
    ondemand::document  doc;
    ondemand::object    root;

    std::memset(&s, 0, sizeof(jp_spans_t));

    if (od.iterate(body, len, cap).get(doc) || doc.get_object().get(root)) {
        return -1;
    }

    for (auto f : root) {
        std::string_view  k;
        ondemand::value   v;
        ondemand::object  msg;

        if (f.unescaped_key().get(k) || f.value().get(v)) {
            return -1;
        }

        if (k != "message" || seen) {
            continue;
        }

        seen = 1;

        if (v.get_object().get(msg)) {
            return -1;
        }

        for (auto mf : msg) {
            std::string_view  mk;
            ondemand::value   mv;

            if (mf.unescaped_key().get(mk) || mf.value().get(mv)) {
                return -1;
            }

            if (mk == "type") {
                if (od_span(mv, &s.type)) return -1;

            } else if (mk == "toolCallList") {
                if (od_span(mv, &s.list)) return -1;

            } else if (mk == "toolWithToolCallList") {
                if (od_span(mv, &s.twtcl)) return -1;

            } else if (mk == "customer") {
                if (od_span(mv, &s.customer)) return -1;

            } else if (mk == "call" && !seen_call) {
                ondemand::object  co;

                seen_call = 1;

                if (mv.get_object().get(co) != SUCCESS) {
                    continue;
                }

                for (auto cf : co) {
                    std::string_view  ck;
                    ondemand::value   cv;

                    if (cf.unescaped_key().get(ck) || cf.value().get(cv)) {
                        return -1;
                    }

                    if (ck == "id") {
                        if (od_span(cv, &s.call_id)) return -1;

                    } else if (ck == "customer") {
                        if (od_span(cv, &s.call_customer)) return -1;
                    }
                }
            }
        }
    }

    if (!seen) {
        return -1;
    }

    return jp_cjson_from_spans(&s, tc);
}


/* --- DOM ---------------------------------------------------------------- */

template <typename T>
static void
dom_string(T e, char *dst, size_t size)
{
    std::string_view  s;

    if (e.get(s) == SUCCESS) {
        sv_copy(dst, size, s);
    }
}


static void
dom_args(dom::element fn, jp_call_t *c)
{
    dom::element  args, party;
    dom::object   o;

    if (fn["arguments"].get(args) && fn["parameters"].get(args)) {
        return;
    }

    std::string_view  s;
    dom::parser       p2;

    if (args.get(s) == SUCCESS) {
        if (p2.parse(std::string(s)).get(args)) {
            return;
        }
    }

    if (args.get(o)) {
        return;
    }

    c->have_args = 1;
    dom_string(o["date"], c->date, sizeof(c->date));
    dom_string(o["time"], c->time, sizeof(c->time));

    if (o["party_size"].get(party) == SUCCESS) {
        double  d;

        if (party.get(d) == SUCCESS) {
            c->party_size = (long) d;

        } else if (party.get(s) == SUCCESS) {
            c->party_size = strtol(std::string(s).c_str(), NULL, 10);
        }
    }
}


int
jp_simdjson_dom(const char *body, size_t len, size_t cap, jp_toolcall_t *tc)
{
    int           i;
    size_t        n;
    dom::element  doc, message, list, item, call, fn, number;
    dom::array    a;

    (void) cap;

    if (dp.parse(body, len, false).get(doc)
        || doc["message"].get(message) || !message.is_object())
    {
        return -1;
    }

    dom_string(message["type"], tc->type, sizeof(tc->type));

    if (message["toolCallList"].get(a) || a.size() == 0) {
        if (message["toolWithToolCallList"].get(a)) {
            return -1;
        }
    }

    n = a.size();
    if (n == 0 || n > JP_MAX_CALLS) {
        return -1;
    }

    tc->ncalls = (int) n;
    i = 0;

    for (dom::element el : a) {
        if (el["toolCall"].get(call) || !call.is_object()) {
            call = el;
        }

        dom_string(call["id"], tc->calls[i].id, sizeof(tc->calls[i].id));

        if (call["function"].get(fn) == SUCCESS) {
            dom_string(fn["name"], tc->calls[i].name,
                       sizeof(tc->calls[i].name));
            dom_args(fn, &tc->calls[i]);
        }

        i++;
    }

    if (message["call"].get(call) == SUCCESS) {
        dom_string(call["id"], tc->call_id, sizeof(tc->call_id));
    }

    if (message["call"]["customer"]["number"].get(number)
        || !number.is_string())
    {
        if (message["customer"]["number"].get(number)) {
            return 0;
        }
    }

    dom_string(number, tc->number, sizeof(tc->number));

    return 0;
}


size_t
jp_simdjson_padding(void)
{
    return SIMDJSON_PADDING;
}
