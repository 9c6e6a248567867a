
/*
 * cerebro migrate --to airtable: the embedded store's bookings, guests and
 * call log into the Airtable base, without duplicates when run twice.
 *
 * The file is opened through the store's own code (cerebro_sqlite_*), so
 * bookings read as the module reads them; guests and calls, which the
 * store API can only fetch one by one, are listed through its handle.
 * What is already in the base is matched by key and counted: a booking by
 * phone and start, a guest by phone, a call by call_id.  A key present n
 * times locally and m times in the base gets n - m new records, so two
 * bookings of one guest at one time (one cancelled) both arrive once.
 *
 * WhatsApp opt-outs are not copied: with Airtable the outbox, and the
 * opt-outs it obeys, stay in the same SQLite file.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cli_vendors.h"
#include "cerebro_civil.h"
#include "cerebro_restaurant.h"
#include "cerebro_sqlite.h"
/*
 * The adapter has no list of every guest, call or opt-out yet: migrate
 * reads those tables through the adapter's own connection.
 */
#include "cerebro_sqlite_int.h"


typedef struct {
    char   *key;
    int     count;
} cli_key_t;


typedef struct {
    cli_key_t  *keys;
    int         n;
    int         cap;
} cli_keys_t;


static void
cli_keys_add(cli_keys_t *ks, const char *key)
{
    int  i;

    for (i = 0; i < ks->n; i++) {
        if (strcmp(ks->keys[i].key, key) == 0) {
            ks->keys[i].count++;
            return;
        }
    }

    if (ks->n == ks->cap) {
        ks->cap = ks->cap ? ks->cap * 2 : 64;
        ks->keys = realloc(ks->keys, ks->cap * sizeof(cli_key_t));
    }

    ks->keys[ks->n].key = strdup(key);
    ks->keys[ks->n].count = 1;
    ks->n++;
}


/* 1 when the base already has one more of this key (and it is used up) */
static int
cli_keys_take(cli_keys_t *ks, const char *key)
{
    int  i;

    for (i = 0; i < ks->n; i++) {
        if (strcmp(ks->keys[i].key, key) == 0 && ks->keys[i].count > 0) {
            ks->keys[i].count--;
            return 1;
        }
    }

    return 0;
}


static void
cli_keys_free(cli_keys_t *ks)
{
    int  i;

    for (i = 0; i < ks->n; i++) {
        free(ks->keys[i].key);
    }

    free(ks->keys);
    memset(ks, 0, sizeof(cli_keys_t));
}


/* UTC seconds -> "2026-11-28T20:00:00.000Z", as Airtable gives them back */
static void
cli_iso(int64_t t, char *buf, size_t size)
{
    int64_t         days, secs;
    cerebro_date_t  d;

    days = t / 86400;
    secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }

    cerebro_civil_from_days(days, &d);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.000Z", d.year, d.month,
             d.day, (int) (secs / 3600), (int) (secs / 60 % 60),
             (int) (secs % 60));
}


/* "2026-11-28T21:00:00+01:00" and "...Z" name the same instant */
static int
cli_iso_normalize(const char *in, char *out, size_t size)
{
    int      y, mo, d, h, mi, sec, oh, om, n;
    int64_t  t;
    char     sign;

    h = mi = sec = 0;
    n = 0;

    if (in == NULL
        || sscanf(in, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
                  &n) < 5)
    {
        return -1;
    }

    t = cerebro_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;

    in += n;
    if (*in == '.') {
        for (in++; *in >= '0' && *in <= '9'; in++) {
            /* void */
        }
    }

    if ((*in == '+' || *in == '-')
        && sscanf(in, "%c%2d:%2d", &sign, &oh, &om) == 3)
    {
        t -= (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    }

    cli_iso(t, out, size);

    return 0;
}


static const char *
cli_fstr(cJSON *fields, const char *name)
{
    cJSON  *v;

    v = cJSON_GetObjectItemCaseSensitive(fields, name);

    return cJSON_IsString(v) ? v->valuestring : "";
}


/* The keys of what the base holds; NULL table: nothing. */
static int
cli_base_keys(const cli_conf_t *cf, cli_table_e t, cli_keys_t *ks, char *err,
    size_t errlen)
{
    char         key[256], iso[40];
    cJSON       *recs, *r, *f;
    const char  *a, *b;

    recs = cli_at_list(cf, cf->table[t], err, errlen);
    if (recs == NULL) {
        return -1;
    }

    cJSON_ArrayForEach(r, recs) {
        f = cJSON_GetObjectItem(r, "fields");

        if (t == CLI_T_RESERVATIONS) {
            a = cli_fstr(f, cf->field[cli_field_index(t, "client_phone")]);
            b = cli_fstr(f, cf->field[cli_field_index(t, "date_time")]);
            if (cli_iso_normalize(b, iso, sizeof(iso)) != 0) {
                continue;
            }
            snprintf(key, sizeof(key), "%s|%s", a, iso);

        } else if (t == CLI_T_GUESTS) {
            snprintf(key, sizeof(key), "%s",
                     cli_fstr(f, cf->field[cli_field_index(t, "phone")]));

        } else {
            snprintf(key, sizeof(key), "%s",
                     cli_fstr(f, cf->field[cli_field_index(t, "call_id")]));
        }

        cli_keys_add(ks, key);
    }

    cJSON_Delete(recs);

    return 0;
}


static void
cli_put_str(cJSON *o, const cli_conf_t *cf, cli_table_e t, const char *ours,
    const char *value)
{
    if (value && *value) {
        cJSON_AddStringToObject(o, cf->field[cli_field_index(t, ours)], value);
    }
}


static void
cli_put_num(cJSON *o, const cli_conf_t *cf, cli_table_e t, const char *ours,
    double value)
{
    cJSON_AddNumberToObject(o, cf->field[cli_field_index(t, ours)], value);
}


/*
 * Says what of n records is copied (the rest, skipped, in the base
 * already), then creates them in the table of role t, unless a dry run;
 * list is freed.  0, or -1 when Airtable refused them (said).
 */
static int
cli_migrate_copy(cli_ctx_t *ctx, cli_table_e t, cJSON *list, int n,
    const char *what, const char *skipped, int *created)
{
    int          made, rc;
    char         err[CLI_ERR_LEN];
    cli_conf_t  *cf = ctx->conf;

    made = cJSON_GetArraySize(list);
    printf("%s%d of %d %s%s\n", ctx->dry_run ? "would copy " : "copy ",
           made, n, what, made < n ? skipped : "");

    rc = 0;

    if (!ctx->dry_run && made
        && cli_at_create(cf, cf->table[t], list, what, err, sizeof(err)) < 0)
    {
        cli_error("%s", err);
        rc = -1;

    } else {
        *created += made;
    }

    cJSON_Delete(list);

    return rc;
}


int
cli_migrate(cli_ctx_t *ctx)
{
    int                     i, n, total, rc, extras, created;
    char                    err[CLI_ERR_LEN], path[1024], key[256], iso[40];
    char                   *json;
    size_t                  len;
    const char             *to, *dir;
    cJSON                  *list, *f;
    sqlite3                *h;
    sqlite3_stmt           *st;
    cli_keys_t              ks;
    cli_conf_t             *cf = ctx->conf;
    cli_at_schema_t         s;
    cerebro_sqlite_t       *db;
    cerebro_restaurant_t   *model;
    cerebro_reservation_t  *res;
    cerebro_store_error_t   se;
    const cli_at_table_t   *at;

    to = NULL;
    dir = cf->data_dir;

    for (i = 0; i < ctx->argc; i++) {
        if (strcmp(ctx->argv[i], "--to") == 0 && i + 1 < ctx->argc) {
            to = ctx->argv[++i];

        } else if (strcmp(ctx->argv[i], "--data-dir") == 0
                   && i + 1 < ctx->argc)
        {
            dir = ctx->argv[++i];

        } else if (strcmp(ctx->argv[i], "--dry-run") != 0) {
            cli_error("migrate: unknown argument \"%s\"; see cerebro "
                      "migrate --help.", ctx->argv[i]);
            return 2;
        }
    }

    if (to == NULL || strcmp(to, "airtable") != 0) {
        cli_error("migrate goes to one place: cerebro migrate --to "
                  "airtable.");
        return 2;
    }

    if (cf->airtable_key == NULL || cf->airtable_base == NULL) {
        cli_error("migrate needs AIRTABLE_API_KEY and AIRTABLE_BASE_ID of "
                  "the base to fill.");
        return 2;
    }

    if (dir == NULL) {
        dir = access("/var/lib/cerebro/data/cerebro.sqlite", R_OK) == 0
              ? "/var/lib/cerebro/data" : "build/run/data";
    }

    snprintf(path, sizeof(path), "%s/cerebro.sqlite", dir);
    if (access(path, R_OK) != 0) {
        cli_error("there is no embedded store at %s (%s): give its "
                  "directory with --data-dir or CEREBRO_DATA_DIR.", path,
                  strerror(errno));
        return 2;
    }

    /* the store's code runs the engine on the model: it wants one */
    json = cf->restaurant_file ? cli_read_file(cf->restaurant_file, &len)
                               : NULL;
    model = json ? cerebro_restaurant_load(json, len, NULL, err, sizeof(err))
                 : NULL;
    free(json);

    if (model == NULL) {
        cli_error("cannot load the restaurant file %s: set "
                  "CEREBRO_RESTAURANT to the restaurant.json nginx uses.",
                  cf->restaurant_file ? cf->restaurant_file : "(none)");
        return 2;
    }

    db = cerebro_sqlite_open(path, model, NULL, 0, &se);
    if (db == NULL) {
        cli_error("cannot open %s: %s; stop the server if it holds the "
                  "file, and retry.", path, se.message);
        cerebro_restaurant_free(model);
        return 1;
    }

    cerebro_sqlite_set_busy_timeout(db, 2000);

    if (cli_at_schema(cf, &s, err, sizeof(err)) != 0) {
        cli_error("%s", err);
        cerebro_sqlite_close(db);
        cerebro_restaurant_free(model);
        return 1;
    }

    rc = 0;
    created = 0;

    for (i = CLI_T_RESERVATIONS; i <= CLI_T_GUESTS; i += 2) {
        if (cli_at_find_table(&s, cf->table[i]) == NULL) {
            cli_error("the base has no table %s: run cerebro provision "
                      "airtable first.", cf->table[i]);
            rc = 1;
        }
    }

    if (rc) {
        goto done;
    }

    /* ---- bookings ---- */

    at = cli_at_find_table(&s, cf->table[CLI_T_RESERVATIONS]);
    extras = cli_at_find_field(at, cf->field[cli_field_index(
                 CLI_T_RESERVATIONS, "notes")]) != NULL;

    n = 0;
    total = 0;
    (void) cerebro_sqlite_bookings_range(db, INT64_MIN / 2, INT64_MAX / 2,
                                         CEREBRO_SQLITE_WITH_CANCELLED, NULL,
                                         0, &n, &total, &se);
    res = calloc(total ? total : 1, sizeof(cerebro_reservation_t));

    if (res == NULL
        || cerebro_sqlite_bookings_range(db, INT64_MIN / 2, INT64_MAX / 2,
                                         CEREBRO_SQLITE_WITH_CANCELLED, res,
                                         total, &n, &total, &se)
           != CEREBRO_STORE_OK)
    {
        cli_error("cannot read the bookings of %s: %s.", path, se.message);
        free(res);
        rc = 1;
        goto done;
    }

    memset(&ks, 0, sizeof(ks));
    if (cli_base_keys(cf, CLI_T_RESERVATIONS, &ks, err, sizeof(err)) != 0) {
        cli_error("%s", err);
        free(res);
        rc = 1;
        goto done;
    }

    list = cJSON_CreateArray();

    for (i = 0; i < n; i++) {
        cli_iso(res[i].start, iso, sizeof(iso));
        snprintf(key, sizeof(key), "%s|%s", res[i].client_phone, iso);

        if (cli_keys_take(&ks, key)) {
            continue;
        }

        f = cJSON_CreateObject();
        cli_put_str(f, cf, CLI_T_RESERVATIONS, "client_name",
                    res[i].client_name);
        cli_put_str(f, cf, CLI_T_RESERVATIONS, "client_phone",
                    res[i].client_phone);
        cli_put_str(f, cf, CLI_T_RESERVATIONS, "date_time", iso);
        cli_put_num(f, cf, CLI_T_RESERVATIONS, "pax", res[i].pax);
        cli_put_str(f, cf, CLI_T_RESERVATIONS, "table", res[i].table);
        cli_put_str(f, cf, CLI_T_RESERVATIONS, "status", res[i].status);

        if (extras) {
            cli_put_str(f, cf, CLI_T_RESERVATIONS, "notes", res[i].notes);
            cli_put_str(f, cf, CLI_T_RESERVATIONS, "source", res[i].source);
            cli_put_str(f, cf, CLI_T_RESERVATIONS, "call_id",
                        res[i].call_id);
        }

        cJSON_AddItemToArray(list, f);
    }

    cli_keys_free(&ks);
    free(res);

    if (cli_migrate_copy(ctx, CLI_T_RESERVATIONS, list, n, "bookings",
                         " (the others are in the base already)", &created)
        != 0)
    {
        rc = 1;
        goto done;
    }

    /* ---- guests: the store API reads one phone at a time ---- */

    h = db->conn;
    memset(&ks, 0, sizeof(ks));

    if (cli_base_keys(cf, CLI_T_GUESTS, &ks, err, sizeof(err)) != 0) {
        cli_error("%s", err);
        rc = 1;
        goto done;
    }

    list = cJSON_CreateArray();
    n = 0;

    if (sqlite3_prepare_v2(h, "SELECT name, phone, email, preferences FROM "
                           "guests ORDER BY id", -1, &st, NULL) == SQLITE_OK)
    {
        while (sqlite3_step(st) == SQLITE_ROW) {
            n++;
            if (cli_keys_take(&ks, (const char *) sqlite3_column_text(st, 1)))
            {
                continue;
            }

            f = cJSON_CreateObject();
            cli_put_str(f, cf, CLI_T_GUESTS, "name",
                        (const char *) sqlite3_column_text(st, 0));
            cli_put_str(f, cf, CLI_T_GUESTS, "phone",
                        (const char *) sqlite3_column_text(st, 1));
            cli_put_str(f, cf, CLI_T_GUESTS, "email",
                        (const char *) sqlite3_column_text(st, 2));
            cli_put_str(f, cf, CLI_T_GUESTS, "preferences",
                        (const char *) sqlite3_column_text(st, 3));
            cJSON_AddItemToArray(list, f);
        }

        sqlite3_finalize(st);
    }

    cli_keys_free(&ks);
    if (cli_migrate_copy(ctx, CLI_T_GUESTS, list, n, "guests", "", &created)
        != 0)
    {
        rc = 1;
        goto done;
    }

    /* ---- the call log, where the base has one ---- */

    if (cf->table[CLI_T_CALLS] == NULL
        || cli_at_find_table(&s, cf->table[CLI_T_CALLS]) == NULL)
    {
        printf("skip  the call log: the base has no table %s (cerebro "
               "provision airtable creates it)\n",
               cf->table[CLI_T_CALLS] ? cf->table[CLI_T_CALLS] : "(off)");

    } else {
        memset(&ks, 0, sizeof(ks));
        if (cli_base_keys(cf, CLI_T_CALLS, &ks, err, sizeof(err)) != 0) {
            cli_error("%s", err);
            rc = 1;
            goto done;
        }

        list = cJSON_CreateArray();
        n = 0;

        if (sqlite3_prepare_v2(h, "SELECT call_id, caller, started, ended, "
                               "duration_s, ended_reason, summary, cost, "
                               "booked, changed, cancelled FROM call_log "
                               "ORDER BY created", -1, &st, NULL)
            == SQLITE_OK)
        {
            while (sqlite3_step(st) == SQLITE_ROW) {
                n++;
                if (cli_keys_take(&ks,
                                  (const char *) sqlite3_column_text(st, 0)))
                {
                    continue;
                }

                f = cJSON_CreateObject();
                cli_put_str(f, cf, CLI_T_CALLS, "call_id",
                            (const char *) sqlite3_column_text(st, 0));
                cli_put_str(f, cf, CLI_T_CALLS, "caller",
                            (const char *) sqlite3_column_text(st, 1));
                if (sqlite3_column_int64(st, 2)) {
                    cli_iso(sqlite3_column_int64(st, 2), iso, sizeof(iso));
                    cli_put_str(f, cf, CLI_T_CALLS, "started", iso);
                }
                if (sqlite3_column_int64(st, 3)) {
                    cli_iso(sqlite3_column_int64(st, 3), iso, sizeof(iso));
                    cli_put_str(f, cf, CLI_T_CALLS, "ended", iso);
                }
                cli_put_num(f, cf, CLI_T_CALLS, "duration_s",
                            sqlite3_column_int(st, 4));
                cli_put_str(f, cf, CLI_T_CALLS, "ended_reason",
                            (const char *) sqlite3_column_text(st, 5));
                cli_put_str(f, cf, CLI_T_CALLS, "summary",
                            (const char *) sqlite3_column_text(st, 6));
                cli_put_num(f, cf, CLI_T_CALLS, "cost",
                            sqlite3_column_double(st, 7));
                cJSON_AddBoolToObject(f, cf->field[cli_field_index(
                    CLI_T_CALLS, "booked")], sqlite3_column_int(st, 8));
                cJSON_AddBoolToObject(f, cf->field[cli_field_index(
                    CLI_T_CALLS, "changed")], sqlite3_column_int(st, 9));
                cJSON_AddBoolToObject(f, cf->field[cli_field_index(
                    CLI_T_CALLS, "cancelled")], sqlite3_column_int(st, 10));
                cJSON_AddItemToArray(list, f);
            }

            sqlite3_finalize(st);
        }

        cli_keys_free(&ks);
        if (cli_migrate_copy(ctx, CLI_T_CALLS, list, n, "calls", "",
                             &created)
            != 0)
        {
            rc = 1;
            goto done;
        }
    }

    /* ---- opt-outs stay ---- */

    n = 0;
    if (sqlite3_prepare_v2(h, "SELECT count(*) FROM opt_out WHERE "
                           "opted_out = 1", -1, &st, NULL) == SQLITE_OK)
    {
        if (sqlite3_step(st) == SQLITE_ROW) {
            n = sqlite3_column_int(st, 0);
        }
        sqlite3_finalize(st);
    }

    printf("keep  %d WhatsApp opt-out%s in %s: the outbox reads them there "
           "with Airtable too; keep that file\n", n, n == 1 ? "" : "s", path);
    printf("migrate: %d records %s base %s\n", created,
           ctx->dry_run ? "would go into" : "copied into", cf->airtable_base);

done:

    cli_at_schema_free(&s);
    cerebro_sqlite_close(db);
    cerebro_restaurant_free(model);

    return rc;
}
