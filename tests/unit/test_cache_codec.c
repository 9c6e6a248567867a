/*
 * The read cache's binary values: what is encoded decodes back the same
 * (empty, full and Spanish days, the tables), and bytes that are not an
 * encoding — cut short anywhere, another magic or version, counts larger
 * than the bytes, strings with no room for their NUL or with one inside,
 * bytes left over — are refused.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cerebro_cache_codec.h"


#define FULL_DAY  300


static cerebro_reservation_t  recs[FULL_DAY];
static cerebro_reservation_t  back[FULL_DAY];


static void
fill(char *field, size_t size, char c)
{
    memset(field, c, size - 1);
    field[size - 1] = '\0';
}


static void
booking(cerebro_reservation_t *rec, int i)
{
    memset(rec, 0, sizeof(cerebro_reservation_t));
    snprintf(rec->id, sizeof(rec->id), "rec%014d", i);
    snprintf(rec->client_name, sizeof(rec->client_name), "Guest %d", i);
    strcpy(rec->client_phone, "+34600111222");
    strcpy(rec->table, "T3+T4");
    strcpy(rec->status, "confirmed");
    strcpy(rec->source, "voice");
    rec->start = 1767297600 + i * 900;
    rec->created = 1767200000 + i;
    rec->pax = 1 + i % 8;
}


/* recs[n] encoded into a fresh buffer (the caller frees it) */
static unsigned char *
encode(const cerebro_reservation_t *r, int n, size_t *len)
{
    size_t          need;
    unsigned char  *out;

    need = cerebro_cache_day_encode(r, n, INT64_MIN, INT64_MAX, NULL, 0);
    assert_true(need >= 8);

    out = malloc(need);
    assert_non_null(out);

    *len = cerebro_cache_day_encode(r, n, INT64_MIN, INT64_MAX, out, need);
    assert_int_equal(*len, need);

    return out;
}


static void
test_empty_day(void **state)
{
    size_t          len;
    unsigned char  *in;

    (void) state;

    in = encode(recs, 0, &len);

    assert_int_equal(len, 8);
    assert_memory_equal(in, "day1\0\0\0\0", 8);
    assert_int_equal(cerebro_cache_day_count(in, len), 0);
    assert_int_equal(cerebro_cache_day_decode(in, len, back, 0), 0);
    assert_int_equal(cerebro_cache_day_decode(in, len, NULL, 0), 0);

    free(in);
}


static void
test_full_day(void **state)
{
    int             i;
    size_t          len;
    unsigned char  *in;

    (void) state;

    for (i = 0; i < FULL_DAY; i++) {
        booking(&recs[i], i);
    }

    /* every string as long as its field allows */
    fill(recs[7].id, sizeof(recs[7].id), 'i');
    fill(recs[7].client_name, sizeof(recs[7].client_name), 'n');
    fill(recs[7].client_phone, sizeof(recs[7].client_phone), '9');
    fill(recs[7].table, sizeof(recs[7].table), 't');
    fill(recs[7].status, sizeof(recs[7].status), 's');
    fill(recs[7].notes, sizeof(recs[7].notes), 'o');
    fill(recs[7].source, sizeof(recs[7].source), 'v');
    fill(recs[7].call_id, sizeof(recs[7].call_id), 'c');
    recs[8].start = INT64_MIN;
    recs[8].created = INT64_MAX;
    recs[8].pax = -1;

    in = encode(recs, FULL_DAY, &len);

    assert_int_equal(cerebro_cache_day_count(in, len), FULL_DAY);
    assert_int_equal(cerebro_cache_day_decode(in, len, back, FULL_DAY),
                     FULL_DAY);
    assert_memory_equal(back, recs, sizeof(recs));

    /* more bookings than the caller has room for */
    assert_int_equal(cerebro_cache_day_decode(in, len, back, FULL_DAY - 1),
                     -1);
    assert_int_equal(cerebro_cache_day_decode(in, len, back, -1), -1);

    free(in);
}


static void
test_unicode_day(void **state)
{
    size_t          len;
    unsigned char  *in;

    (void) state;

    booking(&recs[0], 0);
    strcpy(recs[0].client_name, "José Ñúñez Gómez-Peña");
    strcpy(recs[0].notes, "Cumpleaños 🎂, alergia al maíz; «mesa junto a "
                          "la ventana» — ¡gracias!");
    strcpy(recs[0].table, "Terraza·1");

    in = encode(recs, 1, &len);

    assert_int_equal(cerebro_cache_day_decode(in, len, back, 1), 1);
    assert_string_equal(back[0].client_name, "José Ñúñez Gómez-Peña");
    assert_string_equal(back[0].notes, recs[0].notes);
    assert_memory_equal(&back[0], &recs[0], sizeof(cerebro_reservation_t));

    free(in);
}


static void
test_day_range_and_sizes(void **state)
{
    int             i;
    size_t          need, len;
    unsigned char   small[16], *out;

    (void) state;

    for (i = 0; i < 10; i++) {
        booking(&recs[i], i);
    }

    /* the bookings starting in [from, to), in their order */
    need = cerebro_cache_day_encode(recs, 10, recs[3].start, recs[6].start,
                                    NULL, 0);
    out = malloc(need);
    assert_non_null(out);
    len = cerebro_cache_day_encode(recs, 10, recs[3].start, recs[6].start,
                                   out, need);
    assert_int_equal(len, need);
    assert_int_equal(cerebro_cache_day_decode(out, len, back, 10), 3);
    assert_memory_equal(back, &recs[3], 3 * sizeof(cerebro_reservation_t));

    /* one byte short of room: nothing claimed as written */
    assert_int_equal(cerebro_cache_day_encode(recs, 10, recs[3].start,
                                              recs[6].start, out, need - 1),
                     0);
    assert_int_equal(cerebro_cache_day_encode(recs, 10, INT64_MIN,
                                              INT64_MAX, small,
                                              sizeof(small)),
                     0);
    assert_int_equal(cerebro_cache_day_encode(recs, -1, INT64_MIN,
                                              INT64_MAX, NULL, 0),
                     0);

    free(out);
}


/* a field filled to its last byte, with no NUL, is cut to fit */
static void
test_day_field_without_nul(void **state)
{
    size_t          len;
    unsigned char  *in;

    (void) state;

    booking(&recs[0], 0);
    memset(recs[0].status, 'x', sizeof(recs[0].status));

    in = encode(recs, 1, &len);

    assert_int_equal(cerebro_cache_day_decode(in, len, back, 1), 1);
    assert_int_equal(strlen(back[0].status), sizeof(back[0].status) - 1);

    free(in);
}


static void
test_day_truncated(void **state)
{
    int             i;
    size_t          len, cut;
    unsigned char  *in;

    (void) state;

    for (i = 0; i < 3; i++) {
        booking(&recs[i], i);
    }

    strcpy(recs[1].notes, "sin gluten");

    in = encode(recs, 3, &len);

    for (cut = 0; cut < len; cut++) {
        assert_int_equal(cerebro_cache_day_decode(in, cut, back, 3), -1);
    }

    assert_int_equal(cerebro_cache_day_decode(in, len, back, 3), 3);

    free(in);
}


static void
test_day_magic_and_version(void **state)
{
    size_t          len;
    unsigned char  *in;

    (void) state;

    booking(&recs[0], 0);
    in = encode(recs, 1, &len);

    in[0] = 'D';
    assert_int_equal(cerebro_cache_day_count(in, len), -1);
    assert_int_equal(cerebro_cache_day_decode(in, len, back, 1), -1);
    in[0] = 'd';

    in[3] = '2';
    assert_int_equal(cerebro_cache_day_count(in, len), -1);
    assert_int_equal(cerebro_cache_day_decode(in, len, back, 1), -1);
    in[3] = '1';

    /* the tables' magic is not a day's */
    memcpy(in, "tab2", 4);
    assert_int_equal(cerebro_cache_day_decode(in, len, back, 1), -1);
    memcpy(in, "day1", 4);

    assert_int_equal(cerebro_cache_day_decode(in, len, back, 1), 1);

    free(in);
}


static void
test_day_counts(void **state)
{
    size_t          len;
    unsigned char  *in;

    (void) state;

    booking(&recs[0], 0);
    in = encode(recs, 1, &len);

    /* two claimed, one there */
    in[4] = 2;
    assert_int_equal(cerebro_cache_day_decode(in, len, back, 2), -1);

    /* more than the bytes could hold: refused before any decoding */
    in[4] = 0xff;
    in[5] = 0xff;
    in[6] = 0xff;
    in[7] = 0xff;
    assert_int_equal(cerebro_cache_day_count(in, len), -1);
    assert_int_equal(cerebro_cache_day_decode(in, len, back, FULL_DAY), -1);

    /* none claimed, one there: bytes left over */
    memset(&in[4], 0, 4);
    assert_int_equal(cerebro_cache_day_decode(in, len, back, 1), -1);

    free(in);
}


/*
 * A day of one booking whose id is the bytes given and whose other
 * strings are empty, as an encoder of another kind might write it.
 */
static size_t
day_with_id(unsigned char *out, const char *id, size_t idlen)
{
    size_t  n;

    memcpy(out, "day1\1\0\0\0", 8);
    n = 8;
    out[n++] = (unsigned char) idlen;
    out[n++] = (unsigned char) (idlen >> 8);
    memcpy(&out[n], id, idlen);
    n += idlen;
    memset(&out[n], 0, 7 * 2 + 8 + 8 + 4);
    n += 7 * 2 + 8 + 8;
    out[n] = 4;                  /* pax */

    return n + 4;
}


static void
test_day_strings(void **state)
{
    char           id[CEREBRO_REC_ID_LEN + 1];
    size_t         len;
    unsigned char  in[256];

    (void) state;

    memset(id, 'r', sizeof(id));

    /* the longest id with room for its NUL */
    len = day_with_id(in, id, CEREBRO_REC_ID_LEN - 1);
    assert_int_equal(cerebro_cache_day_decode(in, len, back, 1), 1);
    assert_int_equal(strlen(back[0].id), CEREBRO_REC_ID_LEN - 1);
    assert_int_equal(back[0].pax, 4);

    /* one byte more: no room for the NUL */
    len = day_with_id(in, id, CEREBRO_REC_ID_LEN);
    assert_int_equal(cerebro_cache_day_decode(in, len, back, 1), -1);

    /* a NUL inside a string is not what the encoder writes */
    len = day_with_id(in, "rec\0abc", 7);
    assert_int_equal(cerebro_cache_day_decode(in, len, back, 1), -1);

    /* a length running past the end */
    len = day_with_id(in, "rec1", 4);
    in[8] = 0xff;
    in[9] = 0xff;
    assert_int_equal(cerebro_cache_day_decode(in, len, back, 1), -1);
}


static cerebro_table_rec_t  tables[CEREBRO_MAX_TABLES];
static cerebro_group_rec_t  groups[CEREBRO_MAX_GROUPS];
static cerebro_table_rec_t  tables_back[CEREBRO_MAX_TABLES];
static cerebro_group_rec_t  groups_back[CEREBRO_MAX_GROUPS];


static void
restaurant_tables(int nt, int ng)
{
    int  i, k;

    memset(tables, 0, sizeof(tables));
    memset(groups, 0, sizeof(groups));

    for (i = 0; i < nt; i++) {
        snprintf(tables[i].name, sizeof(tables[i].name), "T%d", i + 1);
        strcpy(tables[i].location, i % 2 ? "terraza" : "sala");
        tables[i].capacity_min = 1 + i % 3;
        tables[i].capacity_max = 2 + i % 7;
    }

    for (i = 0; i < ng; i++) {
        snprintf(groups[i].name, sizeof(groups[i].name), "G%d", i);
        groups[i].capacity_min = 4;
        groups[i].capacity_max = 4 + i;
        groups[i].ntables = i % (CEREBRO_MAX_GROUP_TABLES + 1);

        for (k = 0; k < groups[i].ntables; k++) {
            snprintf(groups[i].members[k], sizeof(groups[i].members[k]),
                     "T%d", k + 1);
        }
    }
}


static unsigned char *
encode_tables(int nt, int ng, size_t *len)
{
    size_t          need;
    unsigned char  *out;

    need = cerebro_cache_tables_encode(tables, nt, groups, ng, NULL, 0);
    assert_true(need >= 12);

    out = malloc(need);
    assert_non_null(out);

    *len = cerebro_cache_tables_encode(tables, nt, groups, ng, out, need);
    assert_int_equal(*len, need);

    return out;
}


static int
decode_tables(const unsigned char *in, size_t len, int *nt, int *ng)
{
    return cerebro_cache_tables_decode(in, len, tables_back,
                                       CEREBRO_MAX_TABLES, nt, groups_back,
                                       CEREBRO_MAX_GROUPS, ng);
}


static void
test_tables_round_trip(void **state)
{
    int             nt, ng;
    size_t          len;
    unsigned char  *in;

    (void) state;

    /* none */
    restaurant_tables(0, 0);
    in = encode_tables(0, 0, &len);
    assert_int_equal(len, 12);
    assert_int_equal(decode_tables(in, len, &nt, &ng), 0);
    assert_int_equal(nt, 0);
    assert_int_equal(ng, 0);
    free(in);

    /* as many as a restaurant may have, names as long as they may be */
    restaurant_tables(CEREBRO_MAX_TABLES, CEREBRO_MAX_GROUPS);
    fill(tables[5].name, sizeof(tables[5].name), 'n');
    strcpy(tables[6].location, "jardín");
    fill(groups[8].members[7], sizeof(groups[8].members[7]), 'm');

    in = encode_tables(CEREBRO_MAX_TABLES, CEREBRO_MAX_GROUPS, &len);
    assert_int_equal(decode_tables(in, len, &nt, &ng), 0);
    assert_int_equal(nt, CEREBRO_MAX_TABLES);
    assert_int_equal(ng, CEREBRO_MAX_GROUPS);
    assert_memory_equal(tables_back, tables, sizeof(tables));
    assert_memory_equal(groups_back, groups, sizeof(groups));

    /* more than the caller has room for */
    assert_int_equal(cerebro_cache_tables_decode(in, len, tables_back,
                                                 CEREBRO_MAX_TABLES - 1,
                                                 &nt, groups_back,
                                                 CEREBRO_MAX_GROUPS, &ng),
                     -1);
    assert_int_equal(cerebro_cache_tables_decode(in, len, tables_back,
                                                 CEREBRO_MAX_TABLES, &nt,
                                                 groups_back,
                                                 CEREBRO_MAX_GROUPS - 1,
                                                 &ng),
                     -1);
    free(in);

    assert_int_equal(cerebro_cache_tables_encode(tables, -1, groups, 0,
                                                 NULL, 0),
                     0);
}


/* a group claiming more members than a record holds keeps what fits */
static void
test_tables_members(void **state)
{
    int             nt, ng;
    size_t          len;
    unsigned char  *in;

    (void) state;

    restaurant_tables(2, 1);
    groups[0].ntables = CEREBRO_MAX_GROUP_TABLES + 5;

    in = encode_tables(2, 1, &len);
    assert_int_equal(decode_tables(in, len, &nt, &ng), 0);
    assert_int_equal(groups_back[0].ntables, CEREBRO_MAX_GROUP_TABLES);
    free(in);

    /* and a decoder refuses such a group */
    restaurant_tables(0, 1);
    groups[0].ntables = 0;
    in = encode_tables(0, 1, &len);
    assert_int_equal(decode_tables(in, len, &nt, &ng), 0);
    in[len - 4] = CEREBRO_MAX_GROUP_TABLES + 1;
    assert_int_equal(decode_tables(in, len, &nt, &ng), -1);
    free(in);
}


static void
test_tables_malformed(void **state)
{
    int             nt, ng;
    size_t          len, cut;
    unsigned char  *in, *longer;

    (void) state;

    restaurant_tables(5, 3);
    in = encode_tables(5, 3, &len);

    for (cut = 0; cut < len; cut++) {
        assert_int_equal(decode_tables(in, cut, &nt, &ng), -1);
    }

    /* bytes left over */
    longer = malloc(len + 1);
    assert_non_null(longer);
    memcpy(longer, in, len);
    longer[len] = 0;
    assert_int_equal(decode_tables(longer, len + 1, &nt, &ng), -1);
    free(longer);

    /* another magic, another version: the first version held structs */
    in[0] = 'T';
    assert_int_equal(decode_tables(in, len, &nt, &ng), -1);
    in[0] = 't';
    in[3] = '1';
    assert_int_equal(decode_tables(in, len, &nt, &ng), -1);
    in[3] = '2';
    memcpy(in, "day1", 4);
    assert_int_equal(decode_tables(in, len, &nt, &ng), -1);
    memcpy(in, "tab2", 4);

    /* counts larger than the bytes */
    in[4] = 6;
    assert_int_equal(decode_tables(in, len, &nt, &ng), -1);
    in[4] = 5;
    in[8] = 0xff;
    in[9] = 0xff;
    in[10] = 0xff;
    in[11] = 0xff;
    assert_int_equal(decode_tables(in, len, &nt, &ng), -1);
    memset(&in[8], 0, 4);
    in[8] = 3;

    /* a table name with no room for its NUL, and one with a NUL inside */
    in[12] = CEREBRO_NAME_LEN;
    assert_int_equal(decode_tables(in, len, &nt, &ng), -1);
    in[12] = 2;
    in[15] = '\0';
    assert_int_equal(decode_tables(in, len, &nt, &ng), -1);
    in[15] = '1';

    assert_int_equal(decode_tables(in, len, &nt, &ng), 0);
    assert_int_equal(nt, 5);
    assert_int_equal(ng, 3);
    assert_string_equal(tables_back[0].name, "T1");

    free(in);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_empty_day),
        cmocka_unit_test(test_full_day),
        cmocka_unit_test(test_unicode_day),
        cmocka_unit_test(test_day_range_and_sizes),
        cmocka_unit_test(test_day_field_without_nul),
        cmocka_unit_test(test_day_truncated),
        cmocka_unit_test(test_day_magic_and_version),
        cmocka_unit_test(test_day_counts),
        cmocka_unit_test(test_day_strings),
        cmocka_unit_test(test_tables_round_trip),
        cmocka_unit_test(test_tables_members),
        cmocka_unit_test(test_tables_malformed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
