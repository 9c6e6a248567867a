/*
 * The read cache's binary values (see cerebro_cache_codec.h): smaller than
 * JSON for a day of several hundred bookings, and cheaper to read back.
 */

#include <limits.h>
#include <string.h>

#include "cerebro_cache_codec.h"


#define CEREBRO_CACHE_DAY_MAGIC     "day1"
#define CEREBRO_CACHE_TABLES_MAGIC  "tab2"
#define CEREBRO_CACHE_MAGIC_LEN     4

/* the fewest bytes a record takes: its strings empty */
#define CEREBRO_CACHE_DAY_REC_MIN   (8 * 2 + 8 + 8 + 4)
#define CEREBRO_CACHE_TABLE_MIN     (2 + 2 + 4 + 4)
#define CEREBRO_CACHE_GROUP_MIN     (2 + 4 + 4 + 4)


typedef struct {
    unsigned char  *out;        /* NULL: the length is only counted */
    size_t          size;
    size_t          len;        /* past size: out is too small */
} cerebro_cache_out_t;


typedef struct {
    const unsigned char  *p;
    const unsigned char  *last;
} cerebro_cache_in_t;


static void cerebro_cache_write_day(cerebro_cache_out_t *w,
    const cerebro_reservation_t *recs, int n, int64_t from, int64_t to);
static void cerebro_cache_write_tables(cerebro_cache_out_t *w,
    const cerebro_table_rec_t *tables, int ntables,
    const cerebro_group_rec_t *groups, int ngroups);
static size_t cerebro_cache_written(cerebro_cache_out_t *w);
static void cerebro_cache_put(cerebro_cache_out_t *w, const void *data,
    size_t n);
static void cerebro_cache_put_u32(cerebro_cache_out_t *w, uint32_t v);
static void cerebro_cache_put_i64(cerebro_cache_out_t *w, int64_t v);
static void cerebro_cache_put_str(cerebro_cache_out_t *w, const char *s,
    size_t size);
static int cerebro_cache_get_magic(cerebro_cache_in_t *r, const char *magic);
static int cerebro_cache_get_u32(cerebro_cache_in_t *r, uint32_t *v);
static int cerebro_cache_get_i32(cerebro_cache_in_t *r, int *v);
static int cerebro_cache_get_i64(cerebro_cache_in_t *r, int64_t *v);
static int cerebro_cache_get_str(cerebro_cache_in_t *r, char *out,
    size_t size);


size_t
cerebro_cache_day_encode(const cerebro_reservation_t *recs, int n,
    int64_t from, int64_t to, unsigned char *out, size_t size)
{
    cerebro_cache_out_t  w;

    if (n < 0) {
        return 0;
    }

    w.out = out;
    w.size = size;
    w.len = 0;

    cerebro_cache_write_day(&w, recs, n, from, to);

    return cerebro_cache_written(&w);
}


static void
cerebro_cache_write_day(cerebro_cache_out_t *w,
    const cerebro_reservation_t *recs, int n, int64_t from, int64_t to)
{
    int                           i;
    uint32_t                      count;
    const cerebro_reservation_t  *rec;

    count = 0;

    for (i = 0; i < n; i++) {
        if (recs[i].start >= from && recs[i].start < to) {
            count++;
        }
    }

    cerebro_cache_put(w, CEREBRO_CACHE_DAY_MAGIC, CEREBRO_CACHE_MAGIC_LEN);
    cerebro_cache_put_u32(w, count);

    for (i = 0; i < n; i++) {
        rec = &recs[i];

        if (rec->start < from || rec->start >= to) {
            continue;
        }

        cerebro_cache_put_str(w, rec->id, sizeof(rec->id));
        cerebro_cache_put_str(w, rec->client_name, sizeof(rec->client_name));
        cerebro_cache_put_str(w, rec->client_phone,
                              sizeof(rec->client_phone));
        cerebro_cache_put_str(w, rec->table, sizeof(rec->table));
        cerebro_cache_put_str(w, rec->status, sizeof(rec->status));
        cerebro_cache_put_str(w, rec->notes, sizeof(rec->notes));
        cerebro_cache_put_str(w, rec->source, sizeof(rec->source));
        cerebro_cache_put_str(w, rec->call_id, sizeof(rec->call_id));
        cerebro_cache_put_i64(w, rec->start);
        cerebro_cache_put_i64(w, rec->created);
        cerebro_cache_put_u32(w, (uint32_t) rec->pax);
    }
}


int
cerebro_cache_day_count(const unsigned char *in, size_t len)
{
    uint32_t            count;
    cerebro_cache_in_t  r;

    r.p = in;
    r.last = in + len;

    if (cerebro_cache_get_magic(&r, CEREBRO_CACHE_DAY_MAGIC) != 0
        || cerebro_cache_get_u32(&r, &count) != 0
        || count > (size_t) (r.last - r.p) / CEREBRO_CACHE_DAY_REC_MIN
        || count > INT_MAX)
    {
        return -1;
    }

    return (int) count;
}


int
cerebro_cache_day_decode(const unsigned char *in, size_t len,
    cerebro_reservation_t *recs, int max)
{
    int                     i, n;
    cerebro_cache_in_t      r;
    cerebro_reservation_t  *rec;

    n = cerebro_cache_day_count(in, len);

    if (n < 0 || n > max) {
        return -1;
    }

    r.p = in + CEREBRO_CACHE_MAGIC_LEN + 4;
    r.last = in + len;

    for (i = 0; i < n; i++) {
        rec = &recs[i];

        memset(rec, 0, sizeof(cerebro_reservation_t));

        if (cerebro_cache_get_str(&r, rec->id, sizeof(rec->id)) != 0
            || cerebro_cache_get_str(&r, rec->client_name,
                                     sizeof(rec->client_name)) != 0
            || cerebro_cache_get_str(&r, rec->client_phone,
                                     sizeof(rec->client_phone)) != 0
            || cerebro_cache_get_str(&r, rec->table, sizeof(rec->table)) != 0
            || cerebro_cache_get_str(&r, rec->status, sizeof(rec->status))
               != 0
            || cerebro_cache_get_str(&r, rec->notes, sizeof(rec->notes)) != 0
            || cerebro_cache_get_str(&r, rec->source, sizeof(rec->source))
               != 0
            || cerebro_cache_get_str(&r, rec->call_id, sizeof(rec->call_id))
               != 0
            || cerebro_cache_get_i64(&r, &rec->start) != 0
            || cerebro_cache_get_i64(&r, &rec->created) != 0
            || cerebro_cache_get_i32(&r, &rec->pax) != 0)
        {
            return -1;
        }
    }

    return r.p == r.last ? n : -1;
}


size_t
cerebro_cache_tables_encode(const cerebro_table_rec_t *tables, int ntables,
    const cerebro_group_rec_t *groups, int ngroups, unsigned char *out,
    size_t size)
{
    cerebro_cache_out_t  w;

    if (ntables < 0 || ngroups < 0) {
        return 0;
    }

    w.out = out;
    w.size = size;
    w.len = 0;

    cerebro_cache_write_tables(&w, tables, ntables, groups, ngroups);

    return cerebro_cache_written(&w);
}


static void
cerebro_cache_write_tables(cerebro_cache_out_t *w,
    const cerebro_table_rec_t *tables, int ntables,
    const cerebro_group_rec_t *groups, int ngroups)
{
    int                         i, k, members;
    const cerebro_table_rec_t  *t;
    const cerebro_group_rec_t  *g;

    cerebro_cache_put(w, CEREBRO_CACHE_TABLES_MAGIC, CEREBRO_CACHE_MAGIC_LEN);
    cerebro_cache_put_u32(w, (uint32_t) ntables);
    cerebro_cache_put_u32(w, (uint32_t) ngroups);

    for (i = 0; i < ntables; i++) {
        t = &tables[i];

        cerebro_cache_put_str(w, t->name, sizeof(t->name));
        cerebro_cache_put_str(w, t->location, sizeof(t->location));
        cerebro_cache_put_u32(w, (uint32_t) t->capacity_min);
        cerebro_cache_put_u32(w, (uint32_t) t->capacity_max);
    }

    for (i = 0; i < ngroups; i++) {
        g = &groups[i];

        members = g->ntables < 0 ? 0
                  : g->ntables > CEREBRO_MAX_GROUP_TABLES
                  ? CEREBRO_MAX_GROUP_TABLES : g->ntables;

        cerebro_cache_put_str(w, g->name, sizeof(g->name));
        cerebro_cache_put_u32(w, (uint32_t) g->capacity_min);
        cerebro_cache_put_u32(w, (uint32_t) g->capacity_max);
        cerebro_cache_put_u32(w, (uint32_t) members);

        for (k = 0; k < members; k++) {
            cerebro_cache_put_str(w, g->members[k], sizeof(g->members[k]));
        }
    }
}


int
cerebro_cache_tables_decode(const unsigned char *in, size_t len,
    cerebro_table_rec_t *tables, int maxtables, int *ntables,
    cerebro_group_rec_t *groups, int maxgroups, int *ngroups)
{
    uint32_t              i, k, nt, ng, members;
    cerebro_cache_in_t    r;
    cerebro_table_rec_t  *t;
    cerebro_group_rec_t  *g;

    r.p = in;
    r.last = in + len;

    if (cerebro_cache_get_magic(&r, CEREBRO_CACHE_TABLES_MAGIC) != 0
        || cerebro_cache_get_u32(&r, &nt) != 0
        || cerebro_cache_get_u32(&r, &ng) != 0
        || maxtables < 0 || nt > (uint32_t) maxtables
        || maxgroups < 0 || ng > (uint32_t) maxgroups
        || (uint64_t) nt * CEREBRO_CACHE_TABLE_MIN
           + (uint64_t) ng * CEREBRO_CACHE_GROUP_MIN
           > (uint64_t) (r.last - r.p))
    {
        return -1;
    }

    for (i = 0; i < nt; i++) {
        t = &tables[i];

        memset(t, 0, sizeof(cerebro_table_rec_t));

        if (cerebro_cache_get_str(&r, t->name, sizeof(t->name)) != 0
            || cerebro_cache_get_str(&r, t->location, sizeof(t->location))
               != 0
            || cerebro_cache_get_i32(&r, &t->capacity_min) != 0
            || cerebro_cache_get_i32(&r, &t->capacity_max) != 0)
        {
            return -1;
        }
    }

    for (i = 0; i < ng; i++) {
        g = &groups[i];

        memset(g, 0, sizeof(cerebro_group_rec_t));

        if (cerebro_cache_get_str(&r, g->name, sizeof(g->name)) != 0
            || cerebro_cache_get_i32(&r, &g->capacity_min) != 0
            || cerebro_cache_get_i32(&r, &g->capacity_max) != 0
            || cerebro_cache_get_u32(&r, &members) != 0
            || members > CEREBRO_MAX_GROUP_TABLES)
        {
            return -1;
        }

        for (k = 0; k < members; k++) {
            if (cerebro_cache_get_str(&r, g->members[k],
                                      sizeof(g->members[k]))
                != 0)
            {
                return -1;
            }
        }

        g->ntables = (int) members;
    }

    if (r.p != r.last) {
        return -1;
    }

    *ntables = (int) nt;
    *ngroups = (int) ng;

    return 0;
}


/* The length of what was written; 0 when it did not fit. */
static size_t
cerebro_cache_written(cerebro_cache_out_t *w)
{
    if (w->out != NULL && w->len > w->size) {
        return 0;
    }

    return w->len;
}


static void
cerebro_cache_put(cerebro_cache_out_t *w, const void *data, size_t n)
{
    if (w->out != NULL && w->len <= w->size && n <= w->size - w->len) {
        memcpy(w->out + w->len, data, n);
    }

    /* past size the writing stops, the counting goes on */
    w->len += n;
}


static void
cerebro_cache_put_u32(cerebro_cache_out_t *w, uint32_t v)
{
    unsigned char  b[4];

    b[0] = (unsigned char) v;
    b[1] = (unsigned char) (v >> 8);
    b[2] = (unsigned char) (v >> 16);
    b[3] = (unsigned char) (v >> 24);

    cerebro_cache_put(w, b, sizeof(b));
}


static void
cerebro_cache_put_i64(cerebro_cache_out_t *w, int64_t v)
{
    cerebro_cache_put_u32(w, (uint32_t) (uint64_t) v);
    cerebro_cache_put_u32(w, (uint32_t) ((uint64_t) v >> 32));
}


/* A field's string: up to its NUL, and never its last byte. */
static void
cerebro_cache_put_str(cerebro_cache_out_t *w, const char *s, size_t size)
{
    size_t         len;
    unsigned char  b[2];

    len = strnlen(s, size - 1);

    b[0] = (unsigned char) len;
    b[1] = (unsigned char) (len >> 8);

    cerebro_cache_put(w, b, sizeof(b));
    cerebro_cache_put(w, s, len);
}


static int
cerebro_cache_get_magic(cerebro_cache_in_t *r, const char *magic)
{
    if (r->last - r->p < CEREBRO_CACHE_MAGIC_LEN
        || memcmp(r->p, magic, CEREBRO_CACHE_MAGIC_LEN) != 0)
    {
        return -1;
    }

    r->p += CEREBRO_CACHE_MAGIC_LEN;

    return 0;
}


static int
cerebro_cache_get_u32(cerebro_cache_in_t *r, uint32_t *v)
{
    if (r->last - r->p < 4) {
        return -1;
    }

    *v = (uint32_t) r->p[0] | (uint32_t) r->p[1] << 8
         | (uint32_t) r->p[2] << 16 | (uint32_t) r->p[3] << 24;
    r->p += 4;

    return 0;
}


static int
cerebro_cache_get_i32(cerebro_cache_in_t *r, int *v)
{
    uint32_t  u;

    if (cerebro_cache_get_u32(r, &u) != 0) {
        return -1;
    }

    *v = (int32_t) u;

    return 0;
}


static int
cerebro_cache_get_i64(cerebro_cache_in_t *r, int64_t *v)
{
    uint32_t  lo, hi;

    if (cerebro_cache_get_u32(r, &lo) != 0
        || cerebro_cache_get_u32(r, &hi) != 0)
    {
        return -1;
    }

    *v = (int64_t) ((uint64_t) hi << 32 | lo);

    return 0;
}


/* A string that fits out[size] with its NUL, and has none of its own. */
static int
cerebro_cache_get_str(cerebro_cache_in_t *r, char *out, size_t size)
{
    size_t  len;

    if (r->last - r->p < 2) {
        return -1;
    }

    len = (size_t) r->p[0] | (size_t) r->p[1] << 8;
    r->p += 2;

    if (len >= size || (size_t) (r->last - r->p) < len
        || memchr(r->p, '\0', len) != NULL)
    {
        return -1;
    }

    memcpy(out, r->p, len);
    out[len] = '\0';
    r->p += len;

    return 0;
}
