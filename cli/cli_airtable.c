
/*
 * Airtable from the tool's side: the base's schema through the Meta API,
 * which types hold what the module reads and writes, and whole tables
 * read and written in pages of 100 and batches of 10.
 */

#include <stdlib.h>
#include <string.h>

#include "cli.h"


static char *cli_at_url(const cli_conf_t *cf, const char *table,
    const char *query);
static void cli_at_explain(const cli_resp_t *resp, const char *what,
    char *err, size_t errlen);


static char *
cli_at_url(const cli_conf_t *cf, const char *table, const char *query)
{
    char    *url, *t;
    size_t   n;

    t = table ? cli_escape(table) : NULL;

    n = strlen(cf->airtable_url) + strlen(cf->airtable_base)
        + (t ? strlen(t) : 0) + (query ? strlen(query) : 0) + 64;
    url = malloc(n);

    if (url) {
        if (t) {
            snprintf(url, n, "%s/v0/%s/%s%s%s", cf->airtable_url,
                     cf->airtable_base, t, query ? "?" : "",
                     query ? query : "");
        } else {
            snprintf(url, n, "%s/v0/meta/bases/%s/tables", cf->airtable_url,
                     cf->airtable_base);
        }
    }

    free(t);

    return url;
}


/* The sentence for an answer that was not the one hoped for. */
static void
cli_at_explain(const cli_resp_t *resp, const char *what, char *err,
    size_t errlen)
{
    char  api[256];

    cli_api_error(resp, api, sizeof(api));

    switch (resp->status) {

    case 401:
        snprintf(err, errlen, "Airtable refused the token (401) while %s: "
                 "set AIRTABLE_API_KEY to a personal access token of the "
                 "base's owner.", what);
        break;

    case 403:
        snprintf(err, errlen, "Airtable refused access (403 %s) while %s: "
                 "give the token the scopes data.records:read, "
                 "data.records:write, schema.bases:read and "
                 "schema.bases:write, and access to the base.", api, what);
        break;

    case 404:
        snprintf(err, errlen, "Airtable does not know the base or table "
                 "(404 %s) while %s: check AIRTABLE_BASE_ID (app + 14 "
                 "characters, from the base's URL).", api, what);
        break;

    case 429:
        snprintf(err, errlen, "Airtable kept answering 429 (too many "
                 "requests) while %s: wait a minute and run it again.",
                 what);
        break;

    default:
        snprintf(err, errlen, "Airtable answered %ld%s%s while %s.",
                 resp->status, api[0] ? " " : "", api, what);
    }
}


int
cli_at_schema(const cli_conf_t *cf, cli_at_schema_t *s, char *err,
    size_t errlen)
{
    int              i, j, nt, nf;
    char            *url;
    cJSON           *tables, *t, *fields, *f, *v;
    cli_at_field_t  *af;
    cli_req_t        req;
    cli_resp_t       resp;

    memset(s, 0, sizeof(cli_at_schema_t));

    url = cli_at_url(cf, NULL, NULL);
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.url = url;
    req.auth = CLI_AUTH_BEARER;
    req.secret = cf->airtable_key;
    req.airtable = 1;

    if (cli_http(&req, &resp) != 0) {
        snprintf(err, errlen, "cannot reach Airtable at %s (%s): check "
                 "AIRTABLE_API_URL and the network.", cf->airtable_url,
                 resp.error);
        free(url);
        return -1;
    }

    free(url);

    tables = cJSON_GetObjectItemCaseSensitive(resp.json, "tables");

    if (resp.status != 200 || !cJSON_IsArray(tables)) {
        cli_at_explain(&resp, "reading the base's schema", err, errlen);
        cli_resp_free(&resp);
        return -1;
    }

    nt = cJSON_GetArraySize(tables);
    s->tables = calloc(nt ? nt : 1, sizeof(cli_at_table_t));
    s->json = resp.json;
    resp.json = NULL;
    cli_resp_free(&resp);

    if (s->tables == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    for (i = 0; i < nt; i++) {
        t = cJSON_GetArrayItem(tables, i);
        v = cJSON_GetObjectItemCaseSensitive(t, "name");
        if (!cJSON_IsString(v)) {
            continue;
        }

        s->tables[s->ntables].name = v->valuestring;
        v = cJSON_GetObjectItemCaseSensitive(t, "id");
        s->tables[s->ntables].id = cJSON_IsString(v) ? v->valuestring : "";

        fields = cJSON_GetObjectItemCaseSensitive(t, "fields");
        nf = cJSON_IsArray(fields) ? cJSON_GetArraySize(fields) : 0;
        s->tables[s->ntables].fields = calloc(nf ? nf : 1,
                                              sizeof(cli_at_field_t));
        if (s->tables[s->ntables].fields == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }

        for (j = 0; j < nf; j++) {
            f = cJSON_GetArrayItem(fields, j);
            v = cJSON_GetObjectItemCaseSensitive(f, "name");
            if (!cJSON_IsString(v)) {
                continue;
            }

            af = &s->tables[s->ntables].fields[
                     s->tables[s->ntables].nfields++];
            af->name = v->valuestring;
            v = cJSON_GetObjectItemCaseSensitive(f, "type");
            af->type = cJSON_IsString(v) ? v->valuestring : "";
            v = cJSON_GetObjectItemCaseSensitive(f, "id");
            af->id = cJSON_IsString(v) ? v->valuestring : "";
            af->options = cJSON_GetObjectItemCaseSensitive(f, "options");
        }

        s->ntables++;
    }

    return 0;
}


void
cli_at_schema_free(cli_at_schema_t *s)
{
    int  i;

    for (i = 0; i < s->ntables; i++) {
        free(s->tables[i].fields);
    }

    free(s->tables);
    cJSON_Delete(s->json);
    memset(s, 0, sizeof(cli_at_schema_t));
}


const cli_at_table_t *
cli_at_find_table(const cli_at_schema_t *s, const char *name)
{
    int  i;

    for (i = 0; name && i < s->ntables; i++) {
        if (strcmp(s->tables[i].name, name) == 0) {
            return &s->tables[i];
        }
    }

    return NULL;
}


const cli_at_field_t *
cli_at_find_field(const cli_at_table_t *t, const char *name)
{
    int  i;

    for (i = 0; t && i < t->nfields; i++) {
        if (strcmp(t->fields[i].name, name) == 0) {
            return &t->fields[i];
        }
    }

    return NULL;
}


int
cli_at_kind_ok(cli_kind_e kind, const char *type)
{
    static const char  *text[] = { "singleLineText", "multilineText",
        "richText", "phoneNumber", "email", "url", "singleSelect", NULL };
    static const char  *select[] = { "singleSelect", "singleLineText",
        "multilineText", NULL };
    static const char  *number[] = { "number", "currency", "percent",
        "rating", "duration", NULL };
    static const char  *datetime[] = { "dateTime", NULL };
    static const char  *checkbox[] = { "checkbox", NULL };

    int           i;
    const char  **ok;

    switch (kind) {
    case CLI_K_TEXT:      ok = text; break;
    case CLI_K_SELECT:    ok = select; break;
    case CLI_K_NUMBER:    ok = number; break;
    case CLI_K_DATETIME:  ok = datetime; break;
    default:              ok = checkbox; break;
    }

    for (i = 0; ok[i]; i++) {
        if (strcmp(ok[i], type) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * The Meta API wants the options of a number, a date-time, a checkbox and
 * a select when it creates one; the text types take none.
 */
cJSON *
cli_at_field_spec(const char *name, cli_kind_e kind, const char *ours)
{
    int          i;
    cJSON       *f, *o, *c, *x;
    const char  *type;

    static const char  *status[] = { "confirmed", "pending", "cancelled",
                                     "completed", "no_show", NULL };
    static const char  *source[] = { "voice", "whatsapp", "staff", NULL };

    f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "name", name);

    switch (kind) {

    case CLI_K_NUMBER:
        cJSON_AddStringToObject(f, "type", "number");
        o = cJSON_AddObjectToObject(f, "options");
        cJSON_AddNumberToObject(o, "precision",
                                strcmp(ours, "cost") == 0 ? 4 : 0);
        break;

    case CLI_K_DATETIME:
        cJSON_AddStringToObject(f, "type", "dateTime");
        o = cJSON_AddObjectToObject(f, "options");
        x = cJSON_AddObjectToObject(o, "dateFormat");
        cJSON_AddStringToObject(x, "name", "iso");
        x = cJSON_AddObjectToObject(o, "timeFormat");
        cJSON_AddStringToObject(x, "name", "24hour");
        cJSON_AddStringToObject(o, "timeZone", "Europe/Madrid");
        break;

    case CLI_K_CHECKBOX:
        cJSON_AddStringToObject(f, "type", "checkbox");
        o = cJSON_AddObjectToObject(f, "options");
        cJSON_AddStringToObject(o, "icon", "check");
        cJSON_AddStringToObject(o, "color", "greenBright");
        break;

    case CLI_K_SELECT:
        cJSON_AddStringToObject(f, "type", "singleSelect");
        o = cJSON_AddObjectToObject(f, "options");
        c = cJSON_AddArrayToObject(o, "choices");
        for (i = 0; (strcmp(ours, "status") == 0 ? status : source)[i]; i++)
        {
            x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "name",
                (strcmp(ours, "status") == 0 ? status : source)[i]);
            cJSON_AddItemToArray(c, x);
        }
        break;

    default:
        if (strcmp(ours, "client_phone") == 0 || strcmp(ours, "phone") == 0
            || strcmp(ours, "caller") == 0)
        {
            type = "phoneNumber";

        } else if (strcmp(ours, "email") == 0) {
            type = "email";

        } else if (strcmp(ours, "notes") == 0
                   || strcmp(ours, "preferences") == 0
                   || strcmp(ours, "question") == 0
                   || strcmp(ours, "answer") == 0
                   || strcmp(ours, "summary") == 0)
        {
            type = "multilineText";

        } else {
            type = "singleLineText";
        }

        cJSON_AddStringToObject(f, "type", type);
    }

    return f;
}


cJSON *
cli_at_list(const cli_conf_t *cf, const char *table, char *err,
    size_t errlen)
{
    char        *url, *off, query[512], what[300];
    cJSON       *all, *recs, *r, *next;
    cli_req_t    req;
    cli_resp_t   resp;

    all = cJSON_CreateArray();
    off = NULL;

    for ( ;; ) {
        snprintf(query, sizeof(query), "pageSize=100%s%s",
                 off ? "&offset=" : "", off ? off : "");
        free(off);
        off = NULL;

        url = cli_at_url(cf, table, query);
        memset(&req, 0, sizeof(req));
        req.method = "GET";
        req.url = url;
        req.auth = CLI_AUTH_BEARER;
        req.secret = cf->airtable_key;
        req.airtable = 1;

        if (cli_http(&req, &resp) != 0) {
            snprintf(err, errlen, "cannot reach Airtable (%s): check "
                     "AIRTABLE_API_URL and the network.", resp.error);
            free(url);
            cJSON_Delete(all);
            return NULL;
        }

        free(url);

        recs = cJSON_GetObjectItemCaseSensitive(resp.json, "records");
        if (resp.status != 200 || !cJSON_IsArray(recs)) {
            snprintf(what, sizeof(what), "reading table %s", table);
            cli_at_explain(&resp, what, err, errlen);
            cli_resp_free(&resp);
            cJSON_Delete(all);
            return NULL;
        }

        while ((r = cJSON_DetachItemFromArray(recs, 0)) != NULL) {
            cJSON_AddItemToArray(all, r);
        }

        next = cJSON_GetObjectItemCaseSensitive(resp.json, "offset");
        if (cJSON_IsString(next)) {
            off = cli_escape(next->valuestring);
        }

        cli_resp_free(&resp);

        if (off == NULL) {
            return all;
        }
    }
}


int
cli_at_create(const cli_conf_t *cf, const char *table, cJSON *fields_list,
    const char *progress, char *err, size_t errlen)
{
    int          i, j, n, done;
    char        *url, *body, what[300];
    cJSON       *doc, *recs, *r;
    cli_req_t    req;
    cli_resp_t   resp;

    n = cJSON_GetArraySize(fields_list);
    done = 0;
    url = cli_at_url(cf, table, NULL);

    for (i = 0; i < n; i += 10) {
        doc = cJSON_CreateObject();
        recs = cJSON_AddArrayToObject(doc, "records");

        for (j = i; j < n && j < i + 10; j++) {
            r = cJSON_CreateObject();
            cJSON_AddItemReferenceToObject(r, "fields",
                                           cJSON_GetArrayItem(fields_list, j));
            cJSON_AddItemToArray(recs, r);
        }

        cJSON_AddTrueToObject(doc, "typecast");
        body = cJSON_PrintUnformatted(doc);
        cJSON_Delete(doc);

        memset(&req, 0, sizeof(req));
        req.method = "POST";
        req.url = url;
        req.auth = CLI_AUTH_BEARER;
        req.secret = cf->airtable_key;
        req.body = body;
        req.airtable = 1;

        if (cli_http(&req, &resp) != 0) {
            snprintf(err, errlen, "cannot reach Airtable (%s) after %d "
                     "records of %s were written: check the network and "
                     "AIRTABLE_API_URL.", resp.error, done, table);
            free(body);
            free(url);
            return -1;
        }

        free(body);

        if (resp.status != 200) {
            snprintf(what, sizeof(what), "writing table %s (%d written)",
                     table, done);
            cli_at_explain(&resp, what, err, errlen);
            cli_resp_free(&resp);
            free(url);
            return -1;
        }

        cli_resp_free(&resp);
        done = (i + 10 < n) ? i + 10 : n;

        if (progress) {
            cli_progress(progress, done, n);
        }
    }

    if (progress) {
        cli_progress_end(progress, done);
    }

    free(url);

    return done;
}
