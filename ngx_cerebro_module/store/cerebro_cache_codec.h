/*
 * The read cache's values as they are kept in Redis or in the host's
 * shared memory zone: a day's bookings and the tables.  The bytes come
 * back from a server that other processes, hosts and people write to, so
 * a decoder trusts nothing in them: every magic, version, count and
 * length is checked against the input and against the arrays it fills,
 * every string ends with a NUL inside its field, and anything unexpected
 * is refused (a miss for the cache), never read or written past.
 *
 * The form: 4 bytes naming the kind (3) and its version (1), "day1" or
 * "tab2"; counts (unsigned, 32 bits) and numbers (signed, 32 or 64 bits)
 * little-endian; a string as its length (16 bits) and its bytes, no NUL
 * among them; nothing after the last record.  One form for one value: an
 * input decodes only if encoding what it decoded gives it back.
 */

#ifndef CEREBRO_CACHE_CODEC_H
#define CEREBRO_CACHE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "cerebro_records.h"


/*
 * Encodes the bookings of recs[n] that start in [from, to) into
 * out[size], in their order.  Returns the length of the encoding, or,
 * with out NULL, the size it needs; 0 when n is negative or out is too
 * small.  A string that fills its field with no NUL is cut to fit.
 */
size_t cerebro_cache_day_encode(const cerebro_reservation_t *recs, int n,
    int64_t from, int64_t to, unsigned char *out, size_t size);

/*
 * How many bookings an encoded day holds, from its header: -1 when it is
 * not a day of this version, or claims more bookings than len bytes can
 * hold.  For sizing the array cerebro_cache_day_decode() fills.
 */
int cerebro_cache_day_count(const unsigned char *in, size_t len);

/*
 * Decodes a day into recs[max] (each record zeroed, then filled).
 * Returns the number of bookings, or -1 for any malformed input or more
 * than max bookings; recs may then be partly written.
 */
int cerebro_cache_day_decode(const unsigned char *in, size_t len,
    cerebro_reservation_t *recs, int max);

/*
 * Encodes tables[ntables] and groups[ngroups] into out[size]; returns as
 * cerebro_cache_day_encode() does.  A group's members past
 * CEREBRO_MAX_GROUP_TABLES are left out.
 */
size_t cerebro_cache_tables_encode(const cerebro_table_rec_t *tables,
    int ntables, const cerebro_group_rec_t *groups, int ngroups,
    unsigned char *out, size_t size);

/*
 * Decodes the tables into tables[maxtables] and groups[maxgroups] (each
 * record zeroed, then filled) and sets *ntables and *ngroups.  Returns 0,
 * or -1 for any malformed input or more records than the arrays hold.
 */
int cerebro_cache_tables_decode(const unsigned char *in, size_t len,
    cerebro_table_rec_t *tables, int maxtables, int *ntables,
    cerebro_group_rec_t *groups, int maxgroups, int *ngroups);

#endif /* CEREBRO_CACHE_CODEC_H */
