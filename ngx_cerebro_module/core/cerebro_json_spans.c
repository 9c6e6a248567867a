
/*
 * One pass, no recursion, no allocation: a bit a level says whether the
 * container open there is an array, and only the few levels that the paths
 * reach keep which path node they are.  A container no path reaches is
 * passed over 64 bytes a step, as bit masks of its quotes, backslashes and
 * brackets, without a state per byte.
 */

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) && !defined(CEREBRO_JSON_NO_SIMD)
#include <emmintrin.h>
#endif

/*
 * Passing over runs 32 bytes a compare where the CPU has AVX2 (and
 * PCLMULQDQ, which every AVX2 CPU has), chosen when it runs: the module is
 * built for every x86-64, as Debian's packages are.
 */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__SSE2__) \
    && !defined(CEREBRO_JSON_NO_SIMD) && !defined(CEREBRO_JSON_NO_AVX2)
#define CJ_AVX2  1
#include <immintrin.h>
#endif

#include "cerebro_json_spans.h"


#define CJ_NODES   (CEREBRO_JSON_MAX_PATHS * CEREBRO_JSON_MAX_KEYS + 1)
#define CJ_FRAMES  (CEREBRO_JSON_MAX_KEYS + 1)

/* a byte's value in each of a word's eight bytes, and their high bits */
#define CJ_ONES    0x0101010101010101ULL
#define CJ_HIGH    0x8080808080808080ULL

/* not 0 when one of the word's bytes is 0 */
#define CJ_ZERO_BYTE(w)  (((w) - CJ_ONES) & ~(w) & CJ_HIGH)

/* pn of a member that no path reaches, outside every path's value */
#define CJ_SKIP    (-2)

#define CJ_BLOCK   64


typedef struct {
    int                   parent;
    const char           *key;
    size_t                key_len;
    int                   seen;
    int                   leaf;     /* a path ends here: its value is read */
    cerebro_json_span_t   found;
} cj_node_t;


typedef struct {
    cj_node_t             nodes[CJ_NODES];
    int                   n;
} cj_trie_t;


#if defined(__SSE2__) && !defined(CEREBRO_JSON_NO_SIMD)

/* a bit a byte of a block: its quotes, backslashes, '{' or '[', '}' or ']' */
typedef struct {
    uint64_t              quote;
    uint64_t              backslash;
    uint64_t              open;
    uint64_t              close;
} cj_classes_t;

typedef void (*cj_classify_pt)(const unsigned char *s, cj_classes_t *c);
typedef uint64_t (*cj_inside_pt)(uint64_t quote, uint64_t *carry);

#endif


/* the bytes that end the plain run of a string: '"', '\\', controls */
static const unsigned char  cj_stop[256] = {
    [0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1
};


static int cj_trie(cj_trie_t *t, const char *const *paths, size_t npaths,
    int *leaf);
static int cj_child(cj_trie_t *t, int parent, const char *k, size_t len,
    int escaped);
static size_t cj_decode_key(const char *k, size_t len, char *out,
    size_t size);
static inline const char *cj_ws(const char *p, const char *end);
static const char *cj_skip(const char *p, const char *end);
#if defined(__SSE2__) && !defined(CEREBRO_JSON_NO_SIMD)
static inline const char *cj_skip_with(const char *p, const char *end,
    cj_classify_pt classify, cj_inside_pt inside_strings)
    __attribute__((always_inline));
static inline void cj_classify(const unsigned char *s, cj_classes_t *c)
    __attribute__((always_inline));
#if (CJ_AVX2)
static const char *cj_skip_avx2(const char *p, const char *end)
    __attribute__((target("avx2,pclmul,popcnt,bmi")));
static inline void cj_classify_avx2(const unsigned char *s, cj_classes_t *c)
    __attribute__((always_inline, target("avx2")));
static inline uint64_t cj_mask_avx2(__m256i lo, __m256i hi)
    __attribute__((always_inline, target("avx2")));
static inline uint64_t cj_inside_clmul(uint64_t quote, uint64_t *carry)
    __attribute__((always_inline, target("pclmul")));
#endif
static inline uint64_t cj_escaped(uint64_t backslash, uint64_t *carry);
static inline uint64_t cj_inside(uint64_t quote, uint64_t *carry);
#endif
static inline const unsigned char *cj_plain(const unsigned char *s,
    const unsigned char *e);
static inline const char *cj_string(const char *p, const char *end,
    int *escaped);
static const char *cj_escape(const char *s, const char *end,
    unsigned long *cp);
static long cj_hex4(const char *s);
static const char *cj_number(const char *p, const char *end);


cerebro_json_rc_t
cerebro_json_spans(const char *text, size_t len, const char *const *paths,
    size_t npaths, cerebro_json_span_t *spans, size_t *error_at)
{
    int                 pn, parent, escaped, is_array;
    int                 leaf[CEREBRO_JSON_MAX_PATHS];
    int                 frame_node[CJ_FRAMES];
    size_t              i, depth, target_depth;
    const char         *p, *q, *end, *start;
    const char         *frame_start[CJ_FRAMES];
    cj_trie_t           trie;
    cerebro_json_rc_t   rc;
    cerebro_json_type_t type;
    unsigned char       kinds[(CEREBRO_JSON_MAX_DEPTH + 7) / 8];

    if (cj_trie(&trie, paths, npaths, leaf) != 0) {
        if (error_at) {
            *error_at = 0;
        }

        return CEREBRO_JSON_BAD_PATHS;
    }

    rc = CEREBRO_JSON_SYNTAX;
    p = text;
    end = text + len;
    depth = 0;
    target_depth = 0;
    is_array = 0;

    /* as cJSON does (and only on a text longer than 4 bytes, as it does) */
    if (len > 4 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3;
    }

    pn = 0;

value:

    p = cj_ws(p, end);
    if (p >= end) {
        goto failed;
    }

    start = p;
    escaped = 0;

    switch (*p) {

    case '{':
    case '[':
        if (pn == CJ_SKIP) {
            q = cj_skip(p, end);
            if (q == NULL) {
                goto failed;
            }

            p = q;
            goto next;
        }

        if (depth >= CEREBRO_JSON_MAX_DEPTH) {
            rc = CEREBRO_JSON_TOO_DEEP;
            goto failed;
        }

        is_array = (*p == '[');

        if (is_array) {
            kinds[depth / 8] |= (unsigned char) (1u << (depth % 8));
        } else {
            kinds[depth / 8] &= (unsigned char) ~(1u << (depth % 8));
        }

        if (depth < CJ_FRAMES) {
            frame_node[depth] = pn;
            frame_start[depth] = p;
        }

        depth++;

        /* what a caller reads is all checked, to the last member */
        if (pn > 0 && trie.nodes[pn].leaf && target_depth == 0) {
            target_depth = depth;
        }

        p = cj_ws(p + 1, end);
        if (p >= end) {
            goto failed;
        }

        if (*p == (is_array ? ']' : '}')) {
            p++;
            goto close;
        }

        if (is_array) {
            pn = -1;
            goto value;
        }

        goto key;

    case '"':
        q = cj_string(p, end, &escaped);
        type = CEREBRO_JSON_STRING;
        break;

    case 't':
        q = (end - p >= 4 && memcmp(p, "true", 4) == 0) ? p + 4 : NULL;
        type = CEREBRO_JSON_TRUE;
        break;

    case 'f':
        q = (end - p >= 5 && memcmp(p, "false", 5) == 0) ? p + 5 : NULL;
        type = CEREBRO_JSON_FALSE;
        break;

    case 'n':
        q = (end - p >= 4 && memcmp(p, "null", 4) == 0) ? p + 4 : NULL;
        type = CEREBRO_JSON_NULL;
        break;

    default:
        q = cj_number(p, end);
        type = CEREBRO_JSON_NUMBER;
        break;
    }

    if (q == NULL) {
        goto failed;
    }

    if (pn > 0) {
        trie.nodes[pn].found.data = start;
        trie.nodes[pn].found.len = q - start;
        trie.nodes[pn].found.type = type;
        trie.nodes[pn].found.escaped = escaped;
    }

    p = q;
    goto next;

close:

    /* p is past the bracket that closes the container open at depth - 1 */
    depth--;

    if (depth < target_depth) {
        target_depth = 0;
    }

    if (depth < CJ_FRAMES && frame_node[depth] > 0) {
        pn = frame_node[depth];
        trie.nodes[pn].found.data = frame_start[depth];
        trie.nodes[pn].found.len = p - frame_start[depth];
        trie.nodes[pn].found.type = (kinds[depth / 8] & (1u << (depth % 8)))
                                    ? CEREBRO_JSON_ARRAY
                                    : CEREBRO_JSON_OBJECT;
        trie.nodes[pn].found.escaped = 0;
    }

next:

    p = cj_ws(p, end);

    if (depth == 0) {
        if (p != end) {
            goto failed;
        }

        for (i = 0; i < npaths; i++) {
            spans[i] = trie.nodes[leaf[i]].found;
        }

        return CEREBRO_JSON_OK;
    }

    if (p >= end) {
        goto failed;
    }

    is_array = (kinds[(depth - 1) / 8] & (1u << ((depth - 1) % 8))) != 0;

    if (*p == ',') {
        p = cj_ws(p + 1, end);

        if (is_array) {
            pn = -1;
            goto value;
        }

        goto key;
    }

    if (*p == (is_array ? ']' : '}')) {
        p++;
        goto close;
    }

    goto failed;

key:

    if (p >= end || *p != '"') {
        goto failed;
    }

    q = cj_string(p, end, &escaped);
    if (q == NULL) {
        goto failed;
    }

    parent = (depth - 1 < CJ_FRAMES) ? frame_node[depth - 1] : -1;
    pn = (parent >= 0) ? cj_child(&trie, parent, p + 1, q - p - 2, escaped)
                       : -1;

    if (pn < 0 && target_depth == 0) {
        pn = CJ_SKIP;
    }

    p = cj_ws(q, end);
    if (p >= end || *p != ':') {
        goto failed;
    }

    p++;
    goto value;

failed:

    if (error_at) {
        *error_at = (size_t) (p - text);
    }

    return rc;
}


const char *
cerebro_json_plain_string(const cerebro_json_span_t *span, size_t *len)
{
    if (span->type != CEREBRO_JSON_STRING || span->escaped || span->len < 2) {
        return NULL;
    }

    *len = span->len - 2;

    return span->data + 1;
}


const char *
cerebro_json_strerror(cerebro_json_rc_t rc)
{
    switch (rc) {
    case CEREBRO_JSON_OK:
        return "ok";
    case CEREBRO_JSON_SYNTAX:
        return "not valid JSON";
    case CEREBRO_JSON_TOO_DEEP:
        return "nested too deep";
    case CEREBRO_JSON_BAD_PATHS:
        return "too many or too long paths";
    }

    return "unknown error";
}


/* node 0 is the root; leaf[i] the node paths[i] ends at */
static int
cj_trie(cj_trie_t *t, const char *const *paths, size_t npaths, int *leaf)
{
    int          node, c, keys;
    size_t       i, len;
    const char  *k, *dot;

    if (npaths > CEREBRO_JSON_MAX_PATHS) {
        return -1;
    }

    memset(&t->nodes[0], 0, sizeof(cj_node_t));
    t->nodes[0].parent = -1;
    t->n = 1;

    for (i = 0; i < npaths; i++) {
        node = 0;
        keys = 0;
        k = paths[i];

        for ( ;; ) {
            dot = strchr(k, '.');
            len = dot ? (size_t) (dot - k) : strlen(k);

            if (len > CEREBRO_JSON_MAX_KEY || ++keys > CEREBRO_JSON_MAX_KEYS) {
                return -1;
            }

            for (c = 1; c < t->n; c++) {
                if (t->nodes[c].parent == node && t->nodes[c].key_len == len
                    && memcmp(t->nodes[c].key, k, len) == 0)
                {
                    break;
                }
            }

            if (c == t->n) {
                memset(&t->nodes[c], 0, sizeof(cj_node_t));
                t->nodes[c].parent = node;
                t->nodes[c].key = k;
                t->nodes[c].key_len = len;
                t->n++;
            }

            node = c;

            if (dot == NULL) {
                break;
            }

            k = dot + 1;
        }

        leaf[i] = node;
        t->nodes[node].leaf = 1;
    }

    return 0;
}


/* the node a member's key leads to, the first time only; or -1 */
static int
cj_child(cj_trie_t *t, int parent, const char *k, size_t len, int escaped)
{
    int    c;
    char   key[CEREBRO_JSON_MAX_KEY + 1];

    if (escaped) {
        len = cj_decode_key(k, len, key, sizeof(key));
        k = key;
    }

    for (c = 1; c < t->n; c++) {
        if (t->nodes[c].parent == parent && t->nodes[c].key_len == len
            && memcmp(t->nodes[c].key, k, len) == 0)
        {
            if (t->nodes[c].seen) {
                return -1;
            }

            t->nodes[c].seen = 1;
            return c;
        }
    }

    return -1;
}


/*
 * A checked key's escapes decoded as cJSON writes them, up to a decoded
 * NUL (where cJSON's strcmp stops); a key longer than any path's gets a
 * length no path key has.
 */
static size_t
cj_decode_key(const char *k, size_t len, char *out, size_t size)
{
    size_t          n;
    const char     *end, *next;
    unsigned long   cp;

    n = 0;
    end = k + len;

    while (k < end) {
        if (*k != '\\') {
            cp = (unsigned char) *k++;

            if (n >= size) {
                return size;
            }

            out[n++] = (char) cp;
            continue;
        }

        next = cj_escape(k, end, &cp);
        if (next == NULL) {
            return size;
        }

        k = next;

        if (cp == 0) {
            return n;
        }

        if (n + 4 > size) {
            return size;
        }

        if (cp < 0x80) {
            out[n++] = (char) cp;

        } else if (cp < 0x800) {
            out[n++] = (char) (0xc0 | (cp >> 6));
            out[n++] = (char) (0x80 | (cp & 0x3f));

        } else if (cp < 0x10000) {
            out[n++] = (char) (0xe0 | (cp >> 12));
            out[n++] = (char) (0x80 | ((cp >> 6) & 0x3f));
            out[n++] = (char) (0x80 | (cp & 0x3f));

        } else {
            out[n++] = (char) (0xf0 | (cp >> 18));
            out[n++] = (char) (0x80 | ((cp >> 12) & 0x3f));
            out[n++] = (char) (0x80 | ((cp >> 6) & 0x3f));
            out[n++] = (char) (0x80 | (cp & 0x3f));
        }
    }

    return n;
}


static inline const char *
cj_ws(const char *p, const char *end)
{
    /* a compact body, as VAPI's: no blank between tokens */
    if (p < end && (unsigned char) *p > ' ') {
        return p;
    }

    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
        p++;
    }

    return p;
}


/*
 * p at the '{' or '[' of a member no path reaches: past the bracket that
 * closes it, or NULL if the text ends first.  Only its strings and
 * brackets are followed, a block of 64 bytes at a time: a bracket that no
 * unescaped quote has opened a string around counts one level up or down,
 * and a block whose closing brackets cannot bring the count to 0 is passed
 * over whole.  Its other bytes are not checked: no path reads them.
 */
static const char *
cj_skip(const char *p, const char *end)
{
#if defined(__SSE2__) && !defined(CEREBRO_JSON_NO_SIMD)

#if (CJ_AVX2)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul")) {
        return cj_skip_avx2(p, end);
    }
#endif

    return cj_skip_with(p, end, cj_classify, cj_inside);

#else

    /* without SIMD masks cost more than they save: a byte a step */
    size_t                depth;
    const unsigned char  *s, *e;

    s = (const unsigned char *) p + 1;
    e = (const unsigned char *) end;
    depth = 1;

    while (s < e) {
        switch (*s++) {

        case '"':
            for ( ;; ) {
                s = cj_plain(s, e);

                if (s >= e) {
                    return NULL;
                }

                if (*s == '"') {
                    s++;
                    break;
                }

                /* a backslash escapes the byte after; a control passes */
                if (*s == '\\' && e - s < 2) {
                    return NULL;
                }

                s += (*s == '\\') ? 2 : 1;
            }

            break;

        case '{':
        case '[':
            depth++;
            break;

        case '}':
        case ']':
            if (--depth == 0) {
                return (const char *) s;
            }

            break;
        }
    }

    return NULL;

#endif
}


#if defined(__SSE2__) && !defined(CEREBRO_JSON_NO_SIMD)

#if (CJ_AVX2)

static const char *
cj_skip_avx2(const char *p, const char *end)
{
    return cj_skip_with(p, end, cj_classify_avx2, cj_inside_clmul);
}

#endif


static inline const char *
cj_skip_with(const char *p, const char *end, cj_classify_pt classify,
    cj_inside_pt inside_strings)
{
    int                   bit;
    size_t                depth, left;
    uint64_t              bracket, inside, escape_carry, string_carry;
    cj_classes_t          c;
    const unsigned char  *s, *e;
    unsigned char         tail[CJ_BLOCK];

    s = (const unsigned char *) p + 1;
    e = (const unsigned char *) end;
    depth = 1;
    escape_carry = 0;
    string_carry = 0;

    while (s < e) {
        left = e - s;

        if (left >= CJ_BLOCK) {
            classify(s, &c);

        } else {
            /* blanks after the end: they open nothing and close nothing */
            memset(tail, ' ', CJ_BLOCK);
            memcpy(tail, s, left);
            classify(tail, &c);
        }

        if (c.backslash | escape_carry) {
            c.quote &= ~cj_escaped(c.backslash, &escape_carry);
        }

        inside = inside_strings(c.quote, &string_carry);
        c.open &= ~inside;
        c.close &= ~inside;

        if (depth > (size_t) __builtin_popcountll(c.close)) {
            depth += __builtin_popcountll(c.open);
            depth -= __builtin_popcountll(c.close);
            s += CJ_BLOCK;
            continue;
        }

        /* the count may reach 0 here: the brackets in their order */
        bracket = c.open | c.close;

        while (bracket) {
            bit = __builtin_ctzll(bracket);

            if (c.open & (1ULL << bit)) {
                depth++;

            } else if (--depth == 0) {
                return (const char *) s + bit + 1;
            }

            bracket &= bracket - 1;
        }

        s += CJ_BLOCK;
    }

    return NULL;
}


static inline void
cj_classify(const unsigned char *s, cj_classes_t *c)
{
    int       i;
    __m128i   v, folded, quote, backslash, open, close, lower;

    quote = _mm_set1_epi8('"');
    backslash = _mm_set1_epi8('\\');
    open = _mm_set1_epi8('{');
    close = _mm_set1_epi8('}');

    /* '[' and ']' differ from '{' and '}' by the bit 0x20 alone */
    lower = _mm_set1_epi8(0x20);

    c->quote = 0;
    c->backslash = 0;
    c->open = 0;
    c->close = 0;

    for (i = 0; i < CJ_BLOCK; i += 16) {
        v = _mm_loadu_si128((const __m128i *) (s + i));
        folded = _mm_or_si128(v, lower);

        c->quote |= (uint64_t) (unsigned) _mm_movemask_epi8(
                                          _mm_cmpeq_epi8(v, quote)) << i;
        c->backslash |= (uint64_t) (unsigned) _mm_movemask_epi8(
                                          _mm_cmpeq_epi8(v, backslash)) << i;
        c->open |= (uint64_t) (unsigned) _mm_movemask_epi8(
                                          _mm_cmpeq_epi8(folded, open)) << i;
        c->close |= (uint64_t) (unsigned) _mm_movemask_epi8(
                                          _mm_cmpeq_epi8(folded, close)) << i;
    }
}


#if (CJ_AVX2)

static inline void
cj_classify_avx2(const unsigned char *s, cj_classes_t *c)
{
    __m256i  lo, hi, folded_lo, folded_hi, quote, backslash, open, close;
    __m256i  lower;

    quote = _mm256_set1_epi8('"');
    backslash = _mm256_set1_epi8('\\');
    open = _mm256_set1_epi8('{');
    close = _mm256_set1_epi8('}');
    lower = _mm256_set1_epi8(0x20);

    lo = _mm256_loadu_si256((const __m256i *) s);
    hi = _mm256_loadu_si256((const __m256i *) (s + 32));
    folded_lo = _mm256_or_si256(lo, lower);
    folded_hi = _mm256_or_si256(hi, lower);

    c->quote = cj_mask_avx2(_mm256_cmpeq_epi8(lo, quote),
                            _mm256_cmpeq_epi8(hi, quote));
    c->backslash = cj_mask_avx2(_mm256_cmpeq_epi8(lo, backslash),
                                _mm256_cmpeq_epi8(hi, backslash));
    c->open = cj_mask_avx2(_mm256_cmpeq_epi8(folded_lo, open),
                           _mm256_cmpeq_epi8(folded_hi, open));
    c->close = cj_mask_avx2(_mm256_cmpeq_epi8(folded_lo, close),
                            _mm256_cmpeq_epi8(folded_hi, close));
}


static inline uint64_t
cj_mask_avx2(__m256i lo, __m256i hi)
{
    return (uint32_t) _mm256_movemask_epi8(lo)
           | (uint64_t) (uint32_t) _mm256_movemask_epi8(hi) << 32;
}


/* cj_inside in one carry-less multiply: by all ones, a prefix XOR */
static inline uint64_t
cj_inside_clmul(uint64_t quote, uint64_t *carry)
{
    quote = (uint64_t) _mm_cvtsi128_si64(
                _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long) quote),
                                     _mm_set1_epi8((char) 0xff), 0));
    quote ^= *carry;

    *carry = (uint64_t) 0 - (quote >> 63);

    return quote;
}

#endif


/*
 * The bytes that a backslash escapes: each one after a run of backslashes
 * is escaped if the run is odd.  *carry is 1 when the block's last byte is
 * a backslash that escapes the next block's first.  Escapes are rare in a
 * transcript: a step per escaping backslash.
 */
static inline uint64_t
cj_escaped(uint64_t backslash, uint64_t *carry)
{
    int       bit;
    uint64_t  escaped;

    escaped = *carry;

    /* an escaped backslash escapes nothing */
    backslash &= ~escaped;
    *carry = 0;

    while (backslash) {
        bit = __builtin_ctzll(backslash);

        if (bit == CJ_BLOCK - 1) {
            *carry = 1;
            break;
        }

        escaped |= 1ULL << (bit + 1);
        backslash &= ~(3ULL << bit);
    }

    return escaped;
}


/*
 * The bytes inside strings, from the opening quote up to (not) the closing
 * one: a prefix XOR of the unescaped quotes, the state of the block before
 * in *carry (all ones inside a string, else 0).
 */
static inline uint64_t
cj_inside(uint64_t quote, uint64_t *carry)
{
    quote ^= quote << 1;
    quote ^= quote << 2;
    quote ^= quote << 4;
    quote ^= quote << 8;
    quote ^= quote << 16;
    quote ^= quote << 32;
    quote ^= *carry;

    *carry = (uint64_t) 0 - (quote >> 63);

    return quote;
}

#endif


/* p at the opening quote: past the closing one, or NULL */
static inline const char *
cj_string(const char *p, const char *end, int *escaped)
{
    unsigned long         cp;
    const unsigned char  *s, *e;

    s = (const unsigned char *) p + 1;
    e = (const unsigned char *) end;

    for ( ;; ) {
        s = cj_plain(s, e);

        if (s >= e) {
            return NULL;
        }

        if (*s == '"') {
            return (const char *) s + 1;
        }

        if (*s != '\\') {
            return NULL;
        }

        *escaped = 1;

        s = (const unsigned char *) cj_escape((const char *) s, end, &cp);
        if (s == NULL) {
            return NULL;
        }
    }
}


/*
 * The first byte at or after s that ends a string's plain run ('"', '\\',
 * a control), or e.  The transcript's text is most of a body: sixteen
 * bytes a step with SSE2 (every x86-64), eight elsewhere.
 */
static inline const unsigned char *
cj_plain(const unsigned char *s, const unsigned char *e)
{
#if defined(__SSE2__) && !defined(CEREBRO_JSON_NO_SIMD)
    int       mask;
    __m128i   v, stop, quote, backslash, control;

    quote = _mm_set1_epi8('"');
    backslash = _mm_set1_epi8('\\');
    control = _mm_set1_epi8(0x1f);

    while (e - s >= 16) {
        v = _mm_loadu_si128((const __m128i *) s);

        /* max(v, 0x1f) == 0x1f: v is a control (unsigned, unlike cmplt) */
        stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                         _mm_cmpeq_epi8(v, backslash)),
                            _mm_cmpeq_epi8(_mm_max_epu8(v, control),
                                           control));

        mask = _mm_movemask_epi8(stop);
        if (mask) {
            return s + __builtin_ctz((unsigned) mask);
        }

        s += 16;
    }
#else
    uint64_t  w;

    while (e - s >= 8) {
        memcpy(&w, s, 8);

        if (((w - CJ_ONES * 0x20) & ~w & CJ_HIGH)
            | CJ_ZERO_BYTE(w ^ (CJ_ONES * '"'))
            | CJ_ZERO_BYTE(w ^ (CJ_ONES * '\\')))
        {
            break;
        }

        s += 8;
    }
#endif

    while (s < e && !cj_stop[*s]) {
        s++;
    }

    return s;
}


/* s at a backslash: past the escape, its code point in *cp; or NULL */
static const char *
cj_escape(const char *s, const char *end, unsigned long *cp)
{
    long  hi, lo;

    if (end - s < 2) {
        return NULL;
    }

    switch (s[1]) {
    case '"':
    case '\\':
    case '/':
        *cp = (unsigned char) s[1];
        return s + 2;
    case 'b':
        *cp = '\b';
        return s + 2;
    case 'f':
        *cp = '\f';
        return s + 2;
    case 'n':
        *cp = '\n';
        return s + 2;
    case 'r':
        *cp = '\r';
        return s + 2;
    case 't':
        *cp = '\t';
        return s + 2;
    case 'u':
        break;
    default:
        return NULL;
    }

    if (end - s < 6 || (hi = cj_hex4(s + 2)) < 0) {
        return NULL;
    }

    /* as cJSON: a low surrogate alone, or a high one unpaired, is refused */
    if (hi >= 0xdc00 && hi <= 0xdfff) {
        return NULL;
    }

    if (hi < 0xd800 || hi > 0xdbff) {
        *cp = (unsigned long) hi;
        return s + 6;
    }

    if (end - s < 12 || s[6] != '\\' || s[7] != 'u'
        || (lo = cj_hex4(s + 8)) < 0xdc00 || lo > 0xdfff)
    {
        return NULL;
    }

    *cp = 0x10000 + (((unsigned long) hi - 0xd800) << 10)
          + ((unsigned long) lo - 0xdc00);

    return s + 12;
}


static long
cj_hex4(const char *s)
{
    int   i;
    long  v;
    char  c;

    v = 0;

    for (i = 0; i < 4; i++) {
        c = s[i];

        if (c >= '0' && c <= '9') {
            v = v * 16 + (c - '0');

        } else if (c >= 'a' && c <= 'f') {
            v = v * 16 + (c - 'a' + 10);

        } else if (c >= 'A' && c <= 'F') {
            v = v * 16 + (c - 'A' + 10);

        } else {
            return -1;
        }
    }

    return v;
}


/* RFC 8259's number, no longer than cJSON reads whole; or NULL */
static const char *
cj_number(const char *p, const char *end)
{
    const char  *s;

    s = p;

    if (s < end && *s == '-') {
        s++;
    }

    if (s >= end) {
        return NULL;
    }

    if (*s == '0') {
        s++;

    } else if (*s >= '1' && *s <= '9') {
        while (s < end && *s >= '0' && *s <= '9') {
            s++;
        }

    } else {
        return NULL;
    }

    if (s < end && *s == '.') {
        s++;

        if (s >= end || *s < '0' || *s > '9') {
            return NULL;
        }

        while (s < end && *s >= '0' && *s <= '9') {
            s++;
        }
    }

    if (s < end && (*s == 'e' || *s == 'E')) {
        s++;

        if (s < end && (*s == '+' || *s == '-')) {
            s++;
        }

        if (s >= end || *s < '0' || *s > '9') {
            return NULL;
        }

        while (s < end && *s >= '0' && *s <= '9') {
            s++;
        }
    }

    if (s - p > CEREBRO_JSON_MAX_NUMBER) {
        return NULL;
    }

    return s;
}
