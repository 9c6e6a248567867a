/*
 * The read cache's values come back from Redis, which anybody with its
 * address may write to: any bytes are refused or decoded without reading
 * or writing out of bounds, every decoded string ends inside its field,
 * and what decodes encodes back to the very same bytes.
 */

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cerebro_cache_codec.h"


/* more than the 10 kB inputs `make fuzz` gives can hold */
#define FUZZ_MAX_BOOKINGS  512


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_day(const uint8_t *data, size_t size);
static void fuzz_tables(const uint8_t *data, size_t size);
static void check_str(const char *s, size_t size);


/* large: kept off the stack */
static cerebro_reservation_t  recs[FUZZ_MAX_BOOKINGS];
static cerebro_reservation_t  again[FUZZ_MAX_BOOKINGS];
static cerebro_table_rec_t    tables[CEREBRO_MAX_TABLES];
static cerebro_group_rec_t    groups[CEREBRO_MAX_GROUPS];
static cerebro_table_rec_t    tables_again[CEREBRO_MAX_TABLES];
static cerebro_group_rec_t    groups_again[CEREBRO_MAX_GROUPS];


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_day(data, size);
    fuzz_tables(data, size);

    return 0;
}


static void
fuzz_day(const uint8_t *data, size_t size)
{
    int             i, n, count;
    size_t          need, len;
    unsigned char  *out;

    count = cerebro_cache_day_count(data, size);
    n = cerebro_cache_day_decode(data, size, recs, FUZZ_MAX_BOOKINGS);

    if (n < 0) {
        return;
    }

    assert(n == count);

    for (i = 0; i < n; i++) {
        check_str(recs[i].id, sizeof(recs[i].id));
        check_str(recs[i].client_name, sizeof(recs[i].client_name));
        check_str(recs[i].client_phone, sizeof(recs[i].client_phone));
        check_str(recs[i].table, sizeof(recs[i].table));
        check_str(recs[i].status, sizeof(recs[i].status));
        check_str(recs[i].notes, sizeof(recs[i].notes));
        check_str(recs[i].source, sizeof(recs[i].source));
        check_str(recs[i].call_id, sizeof(recs[i].call_id));
    }

    need = cerebro_cache_day_encode(recs, n, INT64_MIN, INT64_MAX, NULL, 0);
    assert(need == size);

    out = malloc(need);
    assert(out != NULL);

    len = cerebro_cache_day_encode(recs, n, INT64_MIN, INT64_MAX, out, need);
    assert(len == size && memcmp(out, data, size) == 0);

    assert(cerebro_cache_day_decode(out, len, again, n) == n);
    assert(memcmp(again, recs, n * sizeof(cerebro_reservation_t)) == 0);

    free(out);
}


static void
fuzz_tables(const uint8_t *data, size_t size)
{
    int             i, k, nt, ng, nt2, ng2;
    size_t          need, len;
    unsigned char  *out;

    if (cerebro_cache_tables_decode(data, size, tables, CEREBRO_MAX_TABLES,
                                    &nt, groups, CEREBRO_MAX_GROUPS, &ng)
        != 0)
    {
        return;
    }

    assert(nt >= 0 && nt <= CEREBRO_MAX_TABLES);
    assert(ng >= 0 && ng <= CEREBRO_MAX_GROUPS);

    for (i = 0; i < nt; i++) {
        check_str(tables[i].name, sizeof(tables[i].name));
        check_str(tables[i].location, sizeof(tables[i].location));
    }

    for (i = 0; i < ng; i++) {
        check_str(groups[i].name, sizeof(groups[i].name));
        assert(groups[i].ntables >= 0
               && groups[i].ntables <= CEREBRO_MAX_GROUP_TABLES);

        for (k = 0; k < groups[i].ntables; k++) {
            check_str(groups[i].members[k], sizeof(groups[i].members[k]));
        }
    }

    need = cerebro_cache_tables_encode(tables, nt, groups, ng, NULL, 0);
    assert(need == size);

    out = malloc(need);
    assert(out != NULL);

    len = cerebro_cache_tables_encode(tables, nt, groups, ng, out, need);
    assert(len == size && memcmp(out, data, size) == 0);

    assert(cerebro_cache_tables_decode(out, len, tables_again,
                                       CEREBRO_MAX_TABLES, &nt2,
                                       groups_again, CEREBRO_MAX_GROUPS,
                                       &ng2)
           == 0);
    assert(nt2 == nt && ng2 == ng);
    assert(memcmp(tables_again, tables, nt * sizeof(cerebro_table_rec_t))
           == 0);
    assert(memcmp(groups_again, groups, ng * sizeof(cerebro_group_rec_t))
           == 0);

    free(out);
}


/* the string ends inside its field */
static void
check_str(const char *s, size_t size)
{
    assert(memchr(s, '\0', size) != NULL);
}
