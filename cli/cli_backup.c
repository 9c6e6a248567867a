
/*
 * cerebro backup / restore: every table of the base to files and back.
 *
 *   DIR/manifest.json   base, time, and each table's file name
 *   DIR/schema.json     the Meta API's answer, as Airtable gave it
 *   DIR/<table>.json    {"table","id","records":[{id,createdTime,fields}]}
 *   DIR/<table>.csv     the same records for a spreadsheet
 *
 * A restore makes new records (Airtable chooses record ids); fields that
 * Airtable computes (formulas, auto numbers, created times) and links
 * between records are left out, with a warning.
 */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli_vendors.h"


static int cli_write_file(const char *dir, const char *name, const char *text,
    char *err, size_t errlen);
static void cli_file_name(const char *table, char *out, size_t size);
static char *cli_csv(cJSON *fields, cJSON *records);
static int cli_writable_type(const char *type);


static void
cli_file_name(const char *table, char *out, size_t size)
{
    size_t  i;

    for (i = 0; table[i] && i + 1 < size; i++) {
        out[i] = (isalnum((unsigned char) table[i]) || table[i] == '-'
                  || table[i] == '_' || table[i] == '.') ? table[i] : '_';
    }

    out[i] = '\0';
}


static int
cli_write_file(const char *dir, const char *name, const char *text, char *err,
    size_t errlen)
{
    char   path[1024], tmp[1100];
    FILE  *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);

    f = fopen(tmp, "w");
    if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0
        || rename(tmp, path) != 0)
    {
        snprintf(err, errlen, "cannot write %s (%s): choose a writable "
                 "directory with --dir", path, strerror(errno));
        return -1;
    }

    return 0;
}


static void
cli_csv_cell(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t  need;

    need = *len + 2 * strlen(s) + 4;
    if (need > *cap) {
        *cap = need * 2;
        *buf = realloc(*buf, *cap);
    }

    (*buf)[(*len)++] = '"';
    for ( ; *s; s++) {
        if (*s == '"') {
            (*buf)[(*len)++] = '"';
        }
        (*buf)[(*len)++] = *s;
    }
    (*buf)[(*len)++] = '"';
    (*buf)[*len] = '\0';
}


static char *
cli_csv(cJSON *fields, cJSON *records)
{
    int      i, j, nf;
    char    *buf, *text, num[64];
    size_t   len, cap;
    cJSON   *rec, *vals, *v, *f;

    cap = 4096;
    len = 0;
    buf = malloc(cap);
    buf[0] = '\0';
    nf = cJSON_GetArraySize(fields);

    cli_csv_cell(&buf, &len, &cap, "id");
    for (i = 0; i < nf; i++) {
        f = cJSON_GetArrayItem(fields, i);
        buf[len++] = ',';
        cli_csv_cell(&buf, &len, &cap,
                     cJSON_GetStringValue(cJSON_GetObjectItem(f, "name")));
    }
    buf[len++] = '\n';
    buf[len] = '\0';

    cJSON_ArrayForEach(rec, records) {
        cli_csv_cell(&buf, &len, &cap,
                     cJSON_GetStringValue(cJSON_GetObjectItem(rec, "id")));
        vals = cJSON_GetObjectItem(rec, "fields");

        for (j = 0; j < nf; j++) {
            f = cJSON_GetArrayItem(fields, j);
            v = cJSON_GetObjectItem(vals, cJSON_GetStringValue(
                                        cJSON_GetObjectItem(f, "name")));
            buf[len++] = ',';
            buf[len] = '\0';

            if (v == NULL) {
                continue;
            }

            if (cJSON_IsString(v)) {
                cli_csv_cell(&buf, &len, &cap, v->valuestring);

            } else if (cJSON_IsNumber(v)) {
                snprintf(num, sizeof(num), "%.15g", v->valuedouble);
                cli_csv_cell(&buf, &len, &cap, num);

            } else if (cJSON_IsBool(v)) {
                cli_csv_cell(&buf, &len, &cap, cJSON_IsTrue(v) ? "true"
                                                               : "false");

            } else {
                text = cJSON_PrintUnformatted(v);
                cli_csv_cell(&buf, &len, &cap, text);
                free(text);
            }
        }

        if (len + 2 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        buf[len++] = '\n';
        buf[len] = '\0';
    }

    return buf;
}


int
cli_backup(cli_ctx_t *ctx)
{
    int               i, n, total;
    char              dir[512], err[CLI_ERR_LEN], file[300], *text;
    char              when[32];
    time_t            now;
    cJSON            *man, *mt, *doc, *recs, *t, *tables;
    cli_conf_t       *cf = ctx->conf;
    cli_at_schema_t   s;

    now = time(NULL);
    strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", gmtime(&now));
    snprintf(dir, sizeof(dir), "cerebro-backup-%s", when);

    for (i = 0; i < ctx->argc; i++) {
        if (strcmp(ctx->argv[i], "--dir") == 0 && i + 1 < ctx->argc) {
            snprintf(dir, sizeof(dir), "%s", ctx->argv[++i]);

        } else {
            cli_error("backup: unknown argument \"%s\"; see cerebro backup "
                      "--help.", ctx->argv[i]);
            return 2;
        }
    }

    if (cf->airtable_key == NULL || cf->airtable_base == NULL) {
        cli_error("backup needs AIRTABLE_API_KEY and AIRTABLE_BASE_ID (the "
                  "embedded store is one file: copy CEREBRO_DATA_DIR "
                  "instead).");
        return 2;
    }

    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        cli_error("cannot create %s (%s): choose another --dir.", dir,
                  strerror(errno));
        return 2;
    }

    if (cli_at_schema(cf, &s, err, sizeof(err)) != 0) {
        cli_error("%s", err);
        return 1;
    }

    text = cJSON_Print(s.json);
    if (cli_write_file(dir, "schema.json", text, err, sizeof(err)) != 0) {
        cli_error("%s", err);
        free(text);
        cli_at_schema_free(&s);
        return 1;
    }
    free(text);

    man = cJSON_CreateObject();
    cJSON_AddStringToObject(man, "base", cf->airtable_base);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    cJSON_AddStringToObject(man, "created", when);
    cJSON_AddStringToObject(man, "cerebro", CEREBRO_VERSION);
    mt = cJSON_AddArrayToObject(man, "tables");
    tables = cJSON_GetObjectItem(s.json, "tables");
    total = 0;

    for (i = 0; i < s.ntables; i++) {
        recs = cli_at_list(cf, s.tables[i].name, err, sizeof(err));
        if (recs == NULL) {
            cli_progress_end("backup", i);
            cli_error("%s", err);
            cJSON_Delete(man);
            cli_at_schema_free(&s);
            return 1;
        }

        n = cJSON_GetArraySize(recs);
        total += n;
        cli_file_name(s.tables[i].name, file, sizeof(file) - 8);

        t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "name", s.tables[i].name);
        cJSON_AddStringToObject(t, "file", file);
        cJSON_AddNumberToObject(t, "records", n);
        cJSON_AddItemToArray(mt, t);

        doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "table", s.tables[i].name);
        cJSON_AddStringToObject(doc, "id", s.tables[i].id);
        cJSON_AddItemToObject(doc, "records", recs);

        text = cJSON_Print(doc);
        strcat(file, ".json");
        if (cli_write_file(dir, file, text, err, sizeof(err)) != 0) {
            cli_error("%s", err);
            free(text);
            cJSON_Delete(doc);
            cJSON_Delete(man);
            cli_at_schema_free(&s);
            return 1;
        }
        free(text);

        text = cli_csv(cJSON_GetObjectItem(cJSON_GetArrayItem(tables, i),
                                           "fields"), recs);
        strcpy(file + strlen(file) - 5, ".csv");
        if (cli_write_file(dir, file, text, err, sizeof(err)) != 0) {
            cli_error("%s", err);
            free(text);
            cJSON_Delete(doc);
            cJSON_Delete(man);
            cli_at_schema_free(&s);
            return 1;
        }
        free(text);
        cJSON_Delete(doc);

        snprintf(when, sizeof(when), "%d records", n);
        snprintf(file, sizeof(file), "backup %s, %s", s.tables[i].name, when);
        cli_progress(file, i + 1, s.ntables);
    }

    cli_progress_end("backup", s.ntables);

    text = cJSON_Print(man);
    if (cli_write_file(dir, "manifest.json", text, err, sizeof(err)) != 0) {
        cli_error("%s", err);
        free(text);
        cJSON_Delete(man);
        cli_at_schema_free(&s);
        return 1;
    }

    free(text);
    cJSON_Delete(man);

    printf("backup: %d tables, %d records of base %s in %s\n", s.ntables,
           total, cf->airtable_base, dir);
    cli_at_schema_free(&s);

    return 0;
}


/* Types a record can be written to, and the Meta API can create. */
static int
cli_writable_type(const char *type)
{
    static const char  *ok[] = { "singleLineText", "multilineText",
        "richText", "email", "url", "phoneNumber", "number", "currency",
        "percent", "duration", "rating", "checkbox", "date", "dateTime",
        "singleSelect", "multipleSelects", NULL };

    int  i;

    for (i = 0; ok[i]; i++) {
        if (strcmp(ok[i], type) == 0) {
            return 1;
        }
    }

    return 0;
}


/* A field of the backup's schema as the Meta API creates it. */
static cJSON *
cli_restore_spec(cJSON *f)
{
    cJSON  *out, *opts, *ch, *c, *x;

    out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "name",
                          cJSON_Duplicate(cJSON_GetObjectItem(f, "name"), 1));
    cJSON_AddItemToObject(out, "type",
                          cJSON_Duplicate(cJSON_GetObjectItem(f, "type"), 1));

    opts = cJSON_GetObjectItem(f, "options");
    if (opts == NULL) {
        return out;
    }

    opts = cJSON_Duplicate(opts, 1);

    /* choices are created by name (and colour); their ids are Airtable's */
    ch = cJSON_GetObjectItem(opts, "choices");
    cJSON_ArrayForEach(c, ch) {
        x = cJSON_DetachItemFromObject(c, "id");
        cJSON_Delete(x);
    }

    cJSON_AddItemToObject(out, "options", opts);

    return out;
}


static cJSON *
cli_read_json(const char *dir, const char *name, char *err, size_t errlen)
{
    char    path[1024], *text;
    cJSON  *j;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    text = cli_read_file(path, NULL);

    if (text == NULL) {
        snprintf(err, errlen, "cannot read %s (%s): give the directory "
                 "cerebro backup wrote with --dir", path, strerror(errno));
        return NULL;
    }

    j = cJSON_Parse(text);
    free(text);

    if (j == NULL) {
        snprintf(err, errlen, "%s is not JSON: the backup is damaged", path);
    }

    return j;
}


static int
cli_meta_post(const cli_conf_t *cf, const char *suffix, cJSON *body,
    char *err, size_t errlen)
{
    char        *url, *text, api[256];
    size_t       n;
    cli_req_t    req;
    cli_resp_t   resp;

    n = strlen(cf->airtable_url) + strlen(cf->airtable_base)
        + strlen(suffix) + 40;
    url = malloc(n);
    snprintf(url, n, "%s/v0/meta/bases/%s/tables%s", cf->airtable_url,
             cf->airtable_base, suffix);
    text = cJSON_PrintUnformatted(body);

    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = url;
    req.auth = CLI_AUTH_BEARER;
    req.secret = cf->airtable_key;
    req.body = text;
    req.airtable = 1;

    n = cli_http(&req, &resp);
    free(url);
    free(text);

    if (n != 0 || resp.status != 200) {
        cli_api_error(&resp, api, sizeof(api));
        snprintf(err, errlen, "Airtable refused a schema change (%ld %s%s)",
                 resp.status, resp.status ? api : resp.error,
                 resp.status == 403 ? ": give the token the "
                 "schema.bases:write scope" : "");
        cli_resp_free(&resp);
        return -1;
    }

    cli_resp_free(&resp);

    return 0;
}


int
cli_restore(cli_ctx_t *ctx)
{
    int                    i, made, skipped, n, rc, keep;
    char                   err[CLI_ERR_LEN], file[300], suffix[300];
    char                  *id;
    const char            *dir, *name, *type;
    cJSON                 *man, *schema, *bt, *t, *f, *fields, *doc, *recs;
    cJSON                 *rec, *vals, *list, *body, *v, *nx;
    cli_conf_t            *cf = ctx->conf;
    cli_at_schema_t        s;
    const cli_at_table_t  *at;

    dir = NULL;

    for (i = 0; i < ctx->argc; i++) {
        if (strcmp(ctx->argv[i], "--dir") == 0 && i + 1 < ctx->argc) {
            dir = ctx->argv[++i];

        } else if (strcmp(ctx->argv[i], "--dry-run") != 0) {
            cli_error("restore: unknown argument \"%s\"; see cerebro "
                      "restore --help.", ctx->argv[i]);
            return 2;
        }
    }

    if (dir == NULL) {
        cli_error("restore needs the backup's directory: cerebro restore "
                  "--dir cerebro-backup-...");
        return 2;
    }

    if (cf->airtable_key == NULL || cf->airtable_base == NULL) {
        cli_error("restore needs AIRTABLE_API_KEY and AIRTABLE_BASE_ID of "
                  "the base to fill.");
        return 2;
    }

    man = cli_read_json(dir, "manifest.json", err, sizeof(err));
    schema = man ? cli_read_json(dir, "schema.json", err, sizeof(err))
                 : NULL;
    if (schema == NULL) {
        cli_error("%s", err);
        cJSON_Delete(man);
        return 1;
    }

    if (cli_at_schema(cf, &s, err, sizeof(err)) != 0) {
        cli_error("%s", err);
        cJSON_Delete(man);
        cJSON_Delete(schema);
        return 1;
    }

    rc = 0;
    made = 0;

    cJSON_ArrayForEach(bt, cJSON_GetObjectItem(schema, "tables")) {
        name = cJSON_GetStringValue(cJSON_GetObjectItem(bt, "name"));
        if (name == NULL) {
            continue;
        }

        at = cli_at_find_table(&s, name);

        /* the fields of the backup that a restore can write */
        fields = cJSON_CreateArray();
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(bt, "fields")) {
            type = cJSON_GetStringValue(cJSON_GetObjectItem(f, "type"));
            if (type && cli_writable_type(type)) {
                cJSON_AddItemToArray(fields, cli_restore_spec(f));
            } else {
                printf("warn  %s.%s: a %s field is computed by Airtable "
                       "and is not restored\n", name,
                       cJSON_GetStringValue(cJSON_GetObjectItem(f, "name")),
                       type ? type : "?");
            }
        }

        if (at == NULL) {
            body = cJSON_CreateObject();
            cJSON_AddStringToObject(body, "name", name);
            cJSON_AddItemReferenceToObject(body, "fields", fields);
            printf("%s table %s (%d fields)\n",
                   ctx->dry_run ? "would create" : "create", name,
                   cJSON_GetArraySize(fields));

            if (!ctx->dry_run
                && cli_meta_post(cf, "", body, err, sizeof(err)) != 0)
            {
                cli_error("%s: %s", name, err);
                cJSON_Delete(body);
                cJSON_Delete(fields);
                rc = 1;
                break;
            }

            cJSON_Delete(body);

        } else {
            n = cli_at_count(cf, name, err, sizeof(err));
            if (n != 0) {
                printf("skip  table %s already holds records: left alone\n",
                       name);
                cJSON_Delete(fields);
                continue;
            }

            cJSON_ArrayForEach(f, fields) {
                v = cJSON_GetObjectItem(f, "name");
                if (cli_at_find_field(at, cJSON_GetStringValue(v))) {
                    continue;
                }

                printf("%s field %s.%s\n",
                       ctx->dry_run ? "would create" : "create", name,
                       cJSON_GetStringValue(v));
                id = cli_escape(at->id);
                snprintf(suffix, sizeof(suffix), "/%s/fields", id);
                free(id);

                if (!ctx->dry_run
                    && cli_meta_post(cf, suffix, f, err, sizeof(err)) != 0)
                {
                    cli_error("%s: %s", name, err);
                    rc = 1;
                }
            }
        }

        /* the records, with the writable fields only */
        file[0] = '\0';
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(man, "tables")) {
            if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(t, "name"))
                       ? cJSON_GetStringValue(cJSON_GetObjectItem(t, "name"))
                       : "", name) == 0)
            {
                snprintf(file, sizeof(file), "%s.json",
                         cJSON_GetStringValue(cJSON_GetObjectItem(t, "file")));
            }
        }

        doc = file[0] ? cli_read_json(dir, file, err, sizeof(err)) : NULL;
        if (doc == NULL) {
            cli_error("%s", file[0] ? err : "the manifest lists no file for "
                      "a table of the schema: the backup is damaged");
            cJSON_Delete(fields);
            rc = 1;
            break;
        }

        recs = cJSON_GetObjectItem(doc, "records");
        list = cJSON_CreateArray();
        skipped = 0;

        cJSON_ArrayForEach(rec, recs) {
            vals = cJSON_Duplicate(cJSON_GetObjectItem(rec, "fields"), 1);
            v = vals ? vals->child : NULL;

            while (v) {
                nx = v->next;
                keep = 0;

                cJSON_ArrayForEach(f, fields) {
                    if (strcmp(cJSON_GetStringValue(
                                   cJSON_GetObjectItem(f, "name")),
                               v->string) == 0)
                    {
                        keep = 1;
                    }
                }

                if (!keep) {
                    cJSON_Delete(cJSON_DetachItemViaPointer(vals, v));
                    skipped++;
                }

                v = nx;
            }

            cJSON_AddItemToArray(list, vals ? vals : cJSON_CreateObject());
        }

        n = cJSON_GetArraySize(list);

        if (ctx->dry_run) {
            printf("would restore %d records into %s\n", n, name);

        } else if (n > 0) {
            if (cli_at_create(cf, name, list, name, err, sizeof(err)) < 0) {
                cli_error("%s", err);
                rc = 1;
            } else {
                printf("restore %d records into %s\n", n, name);
                made += n;
            }
        }

        if (skipped) {
            printf("warn  %s: %d computed values left out\n", name, skipped);
        }

        cJSON_Delete(list);
        cJSON_Delete(doc);
        cJSON_Delete(fields);

        if (rc) {
            break;
        }
    }

    if (rc == 0) {
        printf("restore: %d records %s base %s\n", made,
               ctx->dry_run ? "would go into" : "put into", cf->airtable_base);
    }

    cli_at_schema_free(&s);
    cJSON_Delete(man);
    cJSON_Delete(schema);

    return rc;
}
