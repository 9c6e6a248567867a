/*
 * A JSON text walked without building it: the values at a few member
 * paths ("message.call.id") come back as spans of the text, each to be
 * parsed alone (by cJSON) if it is needed at all.  A VAPI tool call
 * carries the whole conversation; a tree of all of it costs many times
 * what the five members a call needs do, and so does checking all of it.
 *
 * What a path can reach is checked against RFC 8259's grammar, strictly:
 * the root, the objects on the paths, every member's string or scalar, and
 * whole the value a path finds, so that its span parses.  Stricter than
 * cJSON there: no control characters in strings, no leading zeros,
 * nothing after the value but blanks, nothing cJSON reads as blank but
 * SP/HT/LF/CR; like cJSON: a leading UTF-8 BOM is skipped, \u escapes
 * must pair surrogates, numbers of more than 63 characters are refused,
 * the bytes of strings are not checked as UTF-8.  Strict JSON that cJSON
 * accepts is accepted, with the spans cJSON's tree has (the fuzzer holds
 * it to that).
 *
 * An object or array that is a member no path reaches (the transcript,
 * the assistant) is passed over: only its strings must close and its
 * brackets balance; the rest of it is not checked, nor how deep it nests.
 * A text accepted here may hold, there, what cJSON refuses.
 *
 * Lookups follow cJSON_GetObjectItemCaseSensitive: the first of duplicate
 * keys counts, keys compare after their escapes are decoded, up to a
 * decoded NUL; a path through a value that is not an object finds nothing.
 */

#ifndef CEREBRO_JSON_SPANS_H
#define CEREBRO_JSON_SPANS_H

#include <stddef.h>


/* cJSON's CJSON_NESTING_LIMIT: containers checked deeper are refused */
#define CEREBRO_JSON_MAX_DEPTH  1000

/* at most this many paths of at most this many keys, 64 bytes a key */
#define CEREBRO_JSON_MAX_PATHS  16
#define CEREBRO_JSON_MAX_KEYS   6
#define CEREBRO_JSON_MAX_KEY    64

/* the longest number cJSON reads whole (its buffer holds 63 characters) */
#define CEREBRO_JSON_MAX_NUMBER  63


typedef enum {
    CEREBRO_JSON_ABSENT = 0,
    CEREBRO_JSON_OBJECT,
    CEREBRO_JSON_ARRAY,
    CEREBRO_JSON_STRING,
    CEREBRO_JSON_NUMBER,
    CEREBRO_JSON_TRUE,
    CEREBRO_JSON_FALSE,
    CEREBRO_JSON_NULL
} cerebro_json_type_t;


typedef enum {
    CEREBRO_JSON_OK = 0,
    CEREBRO_JSON_SYNTAX,            /* not JSON, or cut short */
    CEREBRO_JSON_TOO_DEEP,          /* more than CEREBRO_JSON_MAX_DEPTH */
    CEREBRO_JSON_BAD_PATHS          /* the caller's paths do not fit */
} cerebro_json_rc_t;


typedef struct {
    const char           *data;     /* the value's text, in the input */
    size_t                len;
    cerebro_json_type_t   type;
    int                   escaped;  /* a string holding a backslash */
} cerebro_json_span_t;


/*
 * Walks text[0..len) and, for each of paths[0..npaths) (keys joined by
 * dots, "message.type"; a key holds no dot), sets spans[i] to the value
 * found there, or to CEREBRO_JSON_ABSENT.  On an error the spans mean
 * nothing and *error_at (if given) is the offset where reading stopped.
 */
cerebro_json_rc_t cerebro_json_spans(const char *text, size_t len,
    const char *const *paths, size_t npaths, cerebro_json_span_t *spans,
    size_t *error_at);

/*
 * A string span without escapes, as its bytes (between the quotes);
 * NULL if the span is not such a string.
 */
const char *cerebro_json_plain_string(const cerebro_json_span_t *span,
    size_t *len);

const char *cerebro_json_strerror(cerebro_json_rc_t rc);

#endif /* CEREBRO_JSON_SPANS_H */
