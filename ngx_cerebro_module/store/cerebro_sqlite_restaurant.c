/*
 * The embedded store: the restaurant as it was seeded (its tables,
 * combinable groups, FAQ and the restaurant JSON), read only.
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "cerebro_sqlite_int.h"


static const cerebro_sqlite_sql_t  sql_rules = { ST_RULES,
    "SELECT value FROM meta WHERE key = 'rules'" };

static const cerebro_sqlite_sql_t  sql_tables = { ST_TABLES,
    "SELECT name, capacity_min, capacity_max, location FROM tables"
    " ORDER BY position, id" };

static const cerebro_sqlite_sql_t  sql_groups = { ST_GROUPS,
    "SELECT name, capacity_min, capacity_max, members FROM table_groups"
    " ORDER BY position, id" };

static const cerebro_sqlite_sql_t  sql_faq = { ST_FAQ,
    "SELECT topic, question, answer FROM faq ORDER BY position, id" };


static void read_table(sqlite3_stmt *st, void *out);
static void read_group(sqlite3_stmt *st, void *out);
static void read_faq(sqlite3_stmt *st, void *out);


cerebro_store_err_t
cerebro_sqlite_rules(cerebro_sqlite_t *db, char *buf, size_t size,
    size_t *len, cerebro_store_error_t *e)
{
    int                   rc, n;
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    err = cerebro_sqlite_stmt(db, &sql_rules, &st, "rules", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    rc = sqlite3_step(st);

    if (rc != SQLITE_ROW) {
        cerebro_sqlite_done(st);

        if (rc == SQLITE_DONE) {
            return cerebro_store_error_set(e, CEREBRO_STORE_NOT_FOUND,
                                           "rules: none stored");
        }

        return cerebro_sqlite_db_fail(db, rc, "rules", e);
    }

    n = sqlite3_column_bytes(st, 0);

    if (len != NULL) {
        *len = (size_t) n;
    }

    if (size > 0) {
        if ((size_t) n >= size) {
            n = (int) size - 1;
        }

        memcpy(buf, sqlite3_column_text(st, 0), (size_t) n);
        buf[n] = '\0';
    }

    cerebro_sqlite_done(st);

    return CEREBRO_STORE_OK;
}


static void
read_table(sqlite3_stmt *st, void *out)
{
    cerebro_table_rec_t  *t = out;

    cerebro_sqlite_col_copy(t->name, sizeof(t->name), st, 0);
    t->capacity_min = sqlite3_column_int(st, 1);
    t->capacity_max = sqlite3_column_int(st, 2);
    cerebro_sqlite_col_copy(t->location, sizeof(t->location), st, 3);
}


static void
read_group(sqlite3_stmt *st, void *out)
{
    cJSON                *arr, *item;
    cerebro_group_rec_t  *g = out;

    memset(g, 0, sizeof(*g));
    cerebro_sqlite_col_copy(g->name, sizeof(g->name), st, 0);
    g->capacity_min = sqlite3_column_int(st, 1);
    g->capacity_max = sqlite3_column_int(st, 2);

    arr = cJSON_Parse((const char *) sqlite3_column_text(st, 3));

    cJSON_ArrayForEach(item, arr) {
        if (cJSON_IsString(item)
            && g->ntables < CEREBRO_MAX_GROUP_TABLES)
        {
            (void) cerebro_rec_copy(g->members[g->ntables++],
                                    CEREBRO_NAME_LEN, item->valuestring);
        }
    }

    cJSON_Delete(arr);
}


static void
read_faq(sqlite3_stmt *st, void *out)
{
    cerebro_faq_t  *f = out;

    cerebro_sqlite_col_copy(f->topic, sizeof(f->topic), st, 0);
    cerebro_sqlite_col_copy(f->question, sizeof(f->question), st, 1);
    cerebro_sqlite_col_copy(f->answer, sizeof(f->answer), st, 2);
}


cerebro_store_err_t
cerebro_sqlite_tables(cerebro_sqlite_t *db, cerebro_table_rec_t *out,
    int max, int *n, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *n = 0;

    err = cerebro_sqlite_stmt(db, &sql_tables, &st, "tables", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    return cerebro_sqlite_list(db, st, read_table, out, sizeof(*out), max,
                               n, NULL, "tables", e);
}


cerebro_store_err_t
cerebro_sqlite_groups(cerebro_sqlite_t *db, cerebro_group_rec_t *out,
    int max, int *n, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *n = 0;

    err = cerebro_sqlite_stmt(db, &sql_groups, &st, "groups", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    return cerebro_sqlite_list(db, st, read_group, out, sizeof(*out), max,
                               n, NULL, "groups", e);
}


cerebro_store_err_t
cerebro_sqlite_faq(cerebro_sqlite_t *db, cerebro_faq_t *out, int max,
    int *n, cerebro_store_error_t *e)
{
    sqlite3_stmt         *st;
    cerebro_store_err_t   err;

    *n = 0;

    err = cerebro_sqlite_stmt(db, &sql_faq, &st, "faq", e);
    if (err != CEREBRO_STORE_OK) {
        return err;
    }

    return cerebro_sqlite_list(db, st, read_faq, out, sizeof(*out), max, n,
                               NULL, "faq", e);
}
