
/*
 * bench/json_parsers: what one VAPI tool call needs from its body, as each
 * library extracts it.  Shared by json_parsers.c and the simdjson
 * translation unit (json/simdjson.cpp).
 */

#ifndef JSON_PARSERS_H
#define JSON_PARSERS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif


#define JP_MAX_CALLS  8


typedef struct {
    char    id[130];
    char    name[64];
    char    date[48];
    char    time[48];
    long    party_size;
    int     have_args;
} jp_call_t;


typedef struct {
    char       type[48];
    char       call_id[130];
    char       number[40];
    int        ncalls;
    jp_call_t  calls[JP_MAX_CALLS];
} jp_toolcall_t;


/* a member's value as it is in the body */
typedef struct {
    const char  *p;
    size_t       len;
} jp_span_t;


/* the members of "message" (and of message.call) a tool call needs */
typedef struct {
    jp_span_t    type;
    jp_span_t    list;              /* toolCallList */
    jp_span_t    twtcl;             /* toolWithToolCallList */
    jp_span_t    call_id;
    jp_span_t    call_customer;
    jp_span_t    customer;
    void        *parsed_list;       /* cJSON *, if the scan parsed it */
} jp_spans_t;


/*
 * Each extractor reads body[0..len) (and may read up to cap bytes: the
 * simdjson ones need padding past the end) and fills *tc; 0 on success.
 */
typedef int (*jp_extract_pt)(const char *body, size_t len, size_t cap,
    jp_toolcall_t *tc);


/* copies at most size - 1 bytes and a NUL */
void jp_copy(char *dst, size_t size, const char *src, size_t len);

/* json_parsers.c: cJSON on the spans only */
int jp_cjson_from_spans(const jp_spans_t *s, jp_toolcall_t *tc);

/* json/jsonc.c */
int jp_jsonc(const char *body, size_t len, size_t cap, jp_toolcall_t *tc);

/* json/simdjson.cpp, built plain and with -march=haswell */
int jp_simdjson_ondemand_generic(const char *body, size_t len, size_t cap,
    jp_toolcall_t *tc);
int jp_simdjson_dom_generic(const char *body, size_t len, size_t cap,
    jp_toolcall_t *tc);
size_t jp_simdjson_padding_generic(void);
const char *jp_simdjson_kernel_generic(void);
int jp_simdjson_spans_generic(const char *body, size_t len, size_t cap,
    jp_toolcall_t *tc);
int jp_simdjson_ondemand_haswell(const char *body, size_t len, size_t cap,
    jp_toolcall_t *tc);
int jp_simdjson_dom_haswell(const char *body, size_t len, size_t cap,
    jp_toolcall_t *tc);
size_t jp_simdjson_padding_haswell(void);
const char *jp_simdjson_kernel_haswell(void);
int jp_simdjson_spans_haswell(const char *body, size_t len, size_t cap,
    jp_toolcall_t *tc);


#ifdef __cplusplus
}
#endif

#endif /* JSON_PARSERS_H */
