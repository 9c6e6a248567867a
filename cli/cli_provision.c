
/*
 * cerebro provision airtable|vapi|twilio|all: creates what is missing and
 * changes nothing that is right, so that a second run writes nothing.
 * --dry-run prints the same lines as "would ..." and writes nothing.
 *
 * The VAPI assistant is not defined here: by default the phone number has
 * no assistant and VAPI asks the module (assistant-request) on every call,
 * so the module's assistant is the only one.  With --assistant the tool
 * stores that same assistant in VAPI, taken from the running module's
 * answer, for operators who want it in VAPI's dashboard.
 */

#include <stdlib.h>
#include <string.h>

#include "cli_vendors.h"
#include "cerebro_phone.h"
#include "cerebro_restaurant.h"


typedef struct {
    cli_ctx_t     *ctx;
    cli_report_t  *rp;
    int            changes;
    int            fails;
} cli_prov_t;


static int cli_prov_airtable(cli_prov_t *pv);
static int cli_prov_vapi(cli_prov_t *pv, int assistant, const char *from);
static int cli_prov_twilio(cli_prov_t *pv);
static int cli_prov_seed_tables(cli_prov_t *pv, int groups);
static void cli_prov_change(cli_prov_t *pv, const char *name,
    const char *fmt, const char *what);
static cerebro_restaurant_t *cli_restaurant(const cli_conf_t *cf, char *err,
    size_t errlen);


int
cli_provision(cli_ctx_t *ctx)
{
    int            i, rc, assistant, did;
    const char    *what, *from;
    cli_prov_t     pv;
    cli_conf_t    *cf = ctx->conf;

    what = NULL;
    from = NULL;
    assistant = 0;

    for (i = 0; i < ctx->argc; i++) {
        if (strcmp(ctx->argv[i], "--assistant") == 0) {
            assistant = 1;

        } else if (strcmp(ctx->argv[i], "--from") == 0 && i + 1 < ctx->argc) {
            from = ctx->argv[++i];

        } else if (ctx->argv[i][0] != '-' && what == NULL) {
            what = ctx->argv[i];

        } else if (strcmp(ctx->argv[i], "--dry-run") != 0
                   && strcmp(ctx->argv[i], "--json") != 0)
        {
            cli_error("provision: unknown argument \"%s\"; see cerebro "
                      "provision --help.", ctx->argv[i]);
            return 2;
        }
    }

    if (what == NULL
        || (strcmp(what, "airtable") && strcmp(what, "vapi")
            && strcmp(what, "twilio") && strcmp(what, "all")))
    {
        cli_error("provision needs what to provision: airtable, vapi, "
                  "twilio or all (cerebro provision all).");
        return 2;
    }

    memset(&pv, 0, sizeof(pv));
    pv.ctx = ctx;
    pv.rp = cli_report_new(ctx->json);
    rc = 0;
    did = 0;

    if (strcmp(what, "airtable") == 0
        || (strcmp(what, "all") == 0 && cf->airtable_key))
    {
        rc |= cli_prov_airtable(&pv);
        did++;
    }

    if (strcmp(what, "vapi") == 0 || (strcmp(what, "all") == 0
                                      && cf->vapi_key))
    {
        rc |= cli_prov_vapi(&pv, assistant || cf->vapi_assistant_id, from);
        did++;
    }

    if (strcmp(what, "twilio") == 0
        || (strcmp(what, "all") == 0 && cf->twilio_sid))
    {
        rc |= cli_prov_twilio(&pv);
        did++;
    }

    if (did == 0) {
        cli_check(pv.rp, CLI_FAIL, "provision", "set AIRTABLE_API_KEY, "
                  "VAPI_API_KEY or TWILIO_ACCOUNT_SID (in the environment "
                  "or ./.env)", "no account is configured: nothing to "
                  "provision");
        rc = 1;
    }

    if (ctx->json) {
        cli_report_end(pv.rp, "provision");

    } else if (ctx->dry_run) {
        cli_say(pv.rp, "provision %s: %d change%s planned, nothing written "
                "(--dry-run)", what, pv.changes, pv.changes == 1 ? "" : "s");

    } else {
        cli_say(pv.rp, "provision %s: %d change%s made%s", what, pv.changes,
                pv.changes == 1 ? "" : "s",
                pv.changes ? "" : ", everything was in place");
    }

    cli_report_free(pv.rp);

    return (rc || pv.fails) ? 1 : 0;
}


/* "created field notes" or, with --dry-run, "would create field notes" */
static void
cli_prov_change(cli_prov_t *pv, const char *name, const char *fmt,
    const char *what)
{
    char  msg[1024];

    snprintf(msg, sizeof(msg), fmt, pv->ctx->dry_run ? "would " : "", what);
    cli_check(pv->rp, CLI_OK, name, NULL, "%s", msg);
    pv->changes++;
}


static cerebro_restaurant_t *
cli_restaurant(const cli_conf_t *cf, char *err, size_t errlen)
{
    char                  *json;
    size_t                 len;
    cerebro_restaurant_t  *r;

    if (cf->restaurant_file == NULL) {
        snprintf(err, errlen, "no restaurant file: set CEREBRO_RESTAURANT "
                 "to the restaurant.json nginx uses");
        return NULL;
    }

    json = cli_read_file(cf->restaurant_file, &len);
    if (json == NULL) {
        snprintf(err, errlen, "cannot read %s: set CEREBRO_RESTAURANT to "
                 "the restaurant.json nginx uses", cf->restaurant_file);
        return NULL;
    }

    r = cerebro_restaurant_load(json, len, NULL, err, errlen);
    free(json);

    return r;
}


int
cli_transfer_number(const cli_conf_t *cf, char *out, size_t size, char *err,
    size_t errlen)
{
    const char            *n;
    cerebro_restaurant_t  *r;
    cerebro_phone_rc_t     rc;

    r = NULL;
    n = cf->transfer_number;

    if (n == NULL) {
        r = cli_restaurant(cf, err, errlen);
        if (r == NULL) {
            return -1;
        }
        n = r->phone;
    }

    rc = cerebro_phone_normalize(n, strlen(n), "34", out, size, NULL);

    if (rc != CEREBRO_PHONE_OK) {
        snprintf(err, errlen, "the transfer number \"%s\" is not a phone "
                 "number (%s): fix CEREBRO_TRANSFER_NUMBER or the "
                 "restaurant file's phone", n, cerebro_phone_reason_es(rc));
    }

    cerebro_restaurant_free(r);

    return rc == CEREBRO_PHONE_OK ? 0 : -1;
}


/* ---- Airtable ------------------------------------------------------------- */

static int
cli_at_meta_post(const cli_conf_t *cf, const char *path, cJSON *body,
    char *err, size_t errlen)
{
    char        *url, *text, api[256];
    cli_req_t    req;
    cli_resp_t   resp;
    size_t       n;

    n = strlen(cf->airtable_url) + strlen(cf->airtable_base)
        + strlen(path) + 40;
    url = malloc(n);
    snprintf(url, n, "%s/v0/meta/bases/%s/tables%s", cf->airtable_url,
             cf->airtable_base, path);
    text = cJSON_PrintUnformatted(body);

    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = url;
    req.auth = CLI_AUTH_BEARER;
    req.secret = cf->airtable_key;
    req.body = text;
    req.airtable = 1;

    if (cli_http(&req, &resp) != 0) {
        snprintf(err, errlen, "cannot reach Airtable (%s)", resp.error);
        free(url);
        free(text);
        return -1;
    }

    free(url);
    free(text);

    if (resp.status != 200) {
        cli_api_error(&resp, api, sizeof(api));
        snprintf(err, errlen, "Airtable answered %ld%s%s%s", resp.status,
                 api[0] ? " (" : "", api, api[0] ? ")" : "");
        if (resp.status == 403) {
            snprintf(err + strlen(err), errlen - strlen(err), ": give the "
                     "token the schema.bases:write scope");
        }
        cli_resp_free(&resp);
        return -1;
    }

    cli_resp_free(&resp);

    return 0;
}


static int
cli_prov_airtable(cli_prov_t *pv)
{
    int                    i, t, empty;
    char                   err[CLI_ERR_LEN], name[96], path[512], *id;
    cJSON                 *body, *fields;
    cli_conf_t            *cf = pv->ctx->conf;
    cli_at_schema_t        s;
    const cli_at_table_t  *at;

    if (cf->airtable_key == NULL || cf->airtable_base == NULL) {
        cli_check(pv->rp, CLI_FAIL, "airtable", "set AIRTABLE_API_KEY and "
                  "AIRTABLE_BASE_ID", "Airtable is not configured");
        return 1;
    }

    if (cli_at_schema(cf, &s, err, sizeof(err)) != 0) {
        cli_check(pv->rp, CLI_FAIL, "airtable", NULL, "%s", err);
        return 1;
    }

    for (t = 0; t < CLI_NTABLES; t++) {
        if (cf->table[t] == NULL) {
            continue;
        }

        snprintf(name, sizeof(name), "airtable.%s", cf->table[t]);
        at = cli_at_find_table(&s, cf->table[t]);

        if (at == NULL) {
            body = cJSON_CreateObject();
            cJSON_AddStringToObject(body, "name", cf->table[t]);
            fields = cJSON_AddArrayToObject(body, "fields");

            for (i = 0; i < CLI_NFIELDS; i++) {
                if ((int) cli_fields[i].table == t) {
                    cJSON_AddItemToArray(fields, cli_at_field_spec(
                        cf->field[i], cli_fields[i].kind, cli_fields[i].ours));
                }
            }

            snprintf(path, sizeof(path), "table %s with %d fields",
                     cf->table[t], cJSON_GetArraySize(fields));

            if (!pv->ctx->dry_run
                && cli_at_meta_post(cf, "", body, err, sizeof(err)) != 0)
            {
                cli_check(pv->rp, CLI_FAIL, name, NULL, "cannot create "
                          "table %s: %s", cf->table[t], err);
                pv->fails++;

            } else {
                cli_prov_change(pv, name, "%screate %s", path);
            }

            cJSON_Delete(body);
            continue;
        }

        empty = 1;

        for (i = 0; i < CLI_NFIELDS; i++) {
            if ((int) cli_fields[i].table != t) {
                continue;
            }

            if (cli_at_find_field(at, cf->field[i])) {
                if (!cli_at_kind_ok(cli_fields[i].kind,
                                    cli_at_find_field(at, cf->field[i])->type))
                {
                    cli_check(pv->rp, cli_fields[i].optional ? CLI_WARN
                                                             : CLI_FAIL,
                              name, "change its type in Airtable's "
                              "interface: the API cannot, and provision "
                              "does not delete fields",
                              "field %s has type %s, which does not fit",
                              cf->field[i],
                              cli_at_find_field(at, cf->field[i])->type);
                    pv->fails += !cli_fields[i].optional;
                }
                continue;
            }

            empty = 0;
            body = cli_at_field_spec(cf->field[i], cli_fields[i].kind,
                                     cli_fields[i].ours);
            id = cli_escape(at->id[0] ? at->id : at->name);
            snprintf(path, sizeof(path), "/%s/fields", id);
            free(id);

            if (!pv->ctx->dry_run
                && cli_at_meta_post(cf, path, body, err, sizeof(err)) != 0)
            {
                cli_check(pv->rp, CLI_FAIL, name, NULL, "cannot create "
                          "field %s: %s", cf->field[i], err);
                pv->fails++;

            } else {
                cli_prov_change(pv, name, "%screate field %s", cf->field[i]);
            }

            cJSON_Delete(body);
        }

        if (empty) {
            cli_check(pv->rp, CLI_OK, name, NULL, "has every field");
        }
    }

    cli_at_schema_free(&s);

    if (!pv->ctx->dry_run) {
        if (cli_prov_seed_tables(pv, 0) != 0) {
            return 1;
        }

        if (cf->table[CLI_T_GROUPS] && cli_prov_seed_tables(pv, 1) != 0) {
            return 1;
        }
    }

    return pv->fails ? 1 : 0;
}


/*
 * An empty Mesas leaves the engine nothing to offer: fill it (and Grupos)
 * from the restaurant file, once.  A table with records is never touched.
 */
static int
cli_prov_seed_tables(cli_prov_t *pv, int groups)
{
    int                    i, j, n;
    char                   err[CLI_ERR_LEN], name[96], members[512];
    cJSON                 *list, *f;
    cli_conf_t            *cf = pv->ctx->conf;
    const char            *table;
    cerebro_restaurant_t  *r;

    table = cf->table[groups ? CLI_T_GROUPS : CLI_T_TABLES];
    snprintf(name, sizeof(name), "airtable.%s", table);

    n = cli_at_count(cf, table, err, sizeof(err));
    if (n != 0) {
        if (n < 0) {
            cli_check(pv->rp, CLI_FAIL, name, NULL, "%s", err);
            return -1;
        }
        return 0;
    }

    r = cli_restaurant(cf, err, sizeof(err));
    if (r == NULL) {
        cli_check(pv->rp, CLI_WARN, name, "add the tables in Airtable, or "
                  "set CEREBRO_RESTAURANT and run provision again",
                  "is empty and %s", err);
        return 0;
    }

    list = cJSON_CreateArray();
    n = groups ? r->ngroups : r->ntables;

    for (i = 0; i < n; i++) {
        f = cJSON_CreateObject();

        if (groups) {
            members[0] = '\0';
            for (j = 0; j < r->groups[i].ntables; j++) {
                snprintf(members + strlen(members),
                         sizeof(members) - strlen(members), "%s%s",
                         j ? "+" : "", r->groups[i].members[j]);
            }

            cJSON_AddStringToObject(f, cf->field[cli_field_index(
                CLI_T_GROUPS, "name")], r->groups[i].name);
            cJSON_AddNumberToObject(f, cf->field[cli_field_index(
                CLI_T_GROUPS, "capacity_min")], r->groups[i].capacity_min);
            cJSON_AddNumberToObject(f, cf->field[cli_field_index(
                CLI_T_GROUPS, "capacity_max")], r->groups[i].capacity_max);
            cJSON_AddStringToObject(f, cf->field[cli_field_index(
                CLI_T_GROUPS, "tables")], members);

        } else {
            cJSON_AddStringToObject(f, cf->field[cli_field_index(
                CLI_T_TABLES, "name")], r->tables[i].name);
            cJSON_AddNumberToObject(f, cf->field[cli_field_index(
                CLI_T_TABLES, "capacity_min")], r->tables[i].capacity_min);
            cJSON_AddNumberToObject(f, cf->field[cli_field_index(
                CLI_T_TABLES, "capacity_max")], r->tables[i].capacity_max);
            cJSON_AddStringToObject(f, cf->field[cli_field_index(
                CLI_T_TABLES, "location")], r->tables[i].location);
        }

        cJSON_AddItemToArray(list, f);
    }

    cerebro_restaurant_free(r);

    if (n == 0) {
        cJSON_Delete(list);
        return 0;
    }

    if (cli_at_create(cf, table, list, NULL, err, sizeof(err)) < 0) {
        cli_check(pv->rp, CLI_FAIL, name, NULL, "%s", err);
        cJSON_Delete(list);
        return -1;
    }

    cJSON_Delete(list);
    snprintf(members, sizeof(members), "%d %s from %s", n,
             groups ? "groups" : "tables", cf->restaurant_file);
    cli_prov_change(pv, name, "%sadd %s", members);

    return 0;
}


/* ---- VAPI ---------------------------------------------------------------- */

cJSON *
cli_module_assistant(const cli_conf_t *cf, const char *from, char *err,
    size_t errlen)
{
    char        *url, hdr[512];
    cJSON       *a;
    size_t       n;
    cli_req_t    req;
    cli_resp_t   resp;

    static const char  body[] =
        "{\"message\":{\"type\":\"assistant-request\",\"timestamp\":0,"
        "\"call\":{\"id\":\"cerebro-provision\",\"type\":"
        "\"inboundPhoneCall\",\"customer\":{\"number\":\"+34600000000\"}}}}";

    n = strlen(from);
    while (n && from[n - 1] == '/') {
        n--;
    }

    url = malloc(n + 16);
    snprintf(url, n + 16, "%.*s/vapi/webhook", (int) n, from);

    snprintf(hdr, sizeof(hdr), "X-Vapi-Secret: %s",
             cf->vapi_secret ? cf->vapi_secret : "");

    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = url;
    req.body = body;
    req.header = cf->vapi_secret ? hdr : NULL;

    if (cli_http(&req, &resp) != 0) {
        snprintf(err, errlen, "the module does not answer at %s (%s): "
                 "deploy it first, or give --from http://127.0.0.1:8000 of "
                 "a local `make run`", url, resp.error);
        memset(hdr, 0, sizeof(hdr));
        free(url);
        return NULL;
    }

    memset(hdr, 0, sizeof(hdr));
    a = cJSON_DetachItemFromObject(resp.json, "assistant");

    if (resp.status != 200 || !cJSON_IsObject(a)) {
        snprintf(err, errlen, "the module at %s answered %ld without an "
                 "assistant%s", url, resp.status,
                 cJSON_GetObjectItem(resp.json, "assistantId")
                 ? " (it hands out a stored one: VAPI_ASSISTANT_ID is set "
                   "where it runs)" : "");
        cJSON_Delete(a);
        a = NULL;
    }

    cli_resp_free(&resp);
    free(url);

    return a;
}


/* Keys of ours whose value VAPI holds differently. */
static int
cli_assistant_differs(cJSON *ours, cJSON *stored)
{
    cJSON  *k;

    cJSON_ArrayForEach(k, ours) {
        if (!cJSON_Compare(k, cJSON_GetObjectItemCaseSensitive(stored,
                                                               k->string), 1))
        {
            return 1;
        }
    }

    return 0;
}


/*
 * The module fills its prompt for each call ({{today}}, {{time}}...); a
 * stored assistant gets those as variableValues from the module's
 * assistant-request answer instead, so it keeps the prompt file's text
 * with its placeholders, which VAPI fills.  Returns -1 with err.
 */
static int
cli_assistant_template(const cli_conf_t *cf, cJSON *a, char *err,
    size_t errlen)
{
    char   *text;
    cJSON  *m, *role;

    if (cf->voice_prompt == NULL
        || (text = cli_read_file(cf->voice_prompt, NULL)) == NULL)
    {
        snprintf(err, errlen, "cannot read the voice prompt %s: set "
                 "CEREBRO_VOICE_PROMPT to the file of cerebro_voice_prompt "
                 "(conf/agents/voice.md)", cf->voice_prompt
                 ? cf->voice_prompt : "(none)");
        return -1;
    }

    cJSON_ArrayForEach(m, cJSON_GetObjectItem(cJSON_GetObjectItem(a,
                                                                  "model"),
                                              "messages"))
    {
        role = cJSON_GetObjectItem(m, "role");
        if (cJSON_IsString(role) && strcmp(role->valuestring, "system") == 0)
        {
            cJSON_ReplaceItemInObject(m, "content",
                                      cJSON_CreateString(text));
        }
    }

    free(text);

    return 0;
}


/* The id of the stored assistant, made or brought up to date; NULL. */
static char *
cli_prov_assistant(cli_prov_t *pv, const char *from)
{
    int          i;
    char         err[CLI_ERR_LEN], path[256], *id;
    cJSON       *ours, *stored, *list, *a, *name;
    cli_conf_t  *cf = pv->ctx->conf;

    ours = cli_module_assistant(cf, from ? from : cf->public_url
                                              ? cf->public_url : "",
                                err, sizeof(err));
    if (ours == NULL) {
        cli_check(pv->rp, CLI_FAIL, "vapi.assistant", NULL, "%s", err);
        pv->fails++;
        return NULL;
    }

    if (cli_assistant_template(cf, ours, err, sizeof(err)) != 0) {
        cli_check(pv->rp, CLI_FAIL, "vapi.assistant", NULL, "%s", err);
        pv->fails++;
        cJSON_Delete(ours);
        return NULL;
    }

    id = NULL;
    stored = NULL;

    if (cf->vapi_assistant_id) {
        stored = cli_vapi_assistant(cf, cf->vapi_assistant_id, err,
                                    sizeof(err));
        if (stored == NULL) {
            cli_check(pv->rp, CLI_FAIL, "vapi.assistant", NULL, "%s", err);
            pv->fails++;
            cJSON_Delete(ours);
            return NULL;
        }

    } else {
        /* one made by an earlier run has our name: no second one */
        name = cJSON_GetObjectItemCaseSensitive(ours, "name");
        list = cli_vapi_get(cf, "/assistant", err, sizeof(err));

        for (i = 0; cJSON_IsString(name) && i < cJSON_GetArraySize(list);
             i++)
        {
            a = cJSON_GetArrayItem(list, i);
            if (cJSON_Compare(cJSON_GetObjectItem(a, "name"), name, 1)) {
                stored = cJSON_Duplicate(a, 1);
                break;
            }
        }

        cJSON_Delete(list);
    }

    if (stored) {
        id = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(stored, "id"))
                    ? cJSON_GetStringValue(cJSON_GetObjectItem(stored, "id"))
                    : "");

        if (!cli_assistant_differs(ours, stored)) {
            cli_check(pv->rp, CLI_OK, "vapi.assistant", NULL, "assistant %s "
                      "is the module's", id);

        } else {
            snprintf(path, sizeof(path), "/assistant/%s", id);
            if (!pv->ctx->dry_run
                && (a = cli_vapi_write(cf, "PATCH", path, ours, err,
                                       sizeof(err))) == NULL)
            {
                cli_check(pv->rp, CLI_FAIL, "vapi.assistant", NULL, "%s",
                          err);
                pv->fails++;
            } else {
                if (!pv->ctx->dry_run) {
                    cJSON_Delete(a);
                }
                cli_prov_change(pv, "vapi.assistant", "%supdate assistant "
                                "%s to the module's", id);
            }
        }

    } else if (pv->ctx->dry_run) {
        cli_prov_change(pv, "vapi.assistant", "%screate %s",
                        "the module's assistant");
        id = strdup("(new)");

    } else {
        a = cli_vapi_write(cf, "POST", "/assistant", ours, err, sizeof(err));
        if (a == NULL) {
            cli_check(pv->rp, CLI_FAIL, "vapi.assistant", NULL, "%s", err);
            pv->fails++;
        } else {
            id = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(a, "id"))
                        ? cJSON_GetStringValue(cJSON_GetObjectItem(a, "id"))
                        : "");
            cli_prov_change(pv, "vapi.assistant", "%screate assistant %s",
                            id);
            cli_say(pv->rp, "      set VAPI_ASSISTANT_ID=%s where the module "
                    "runs, so that it hands out this assistant", id);
            cJSON_Delete(a);
        }
    }

    cJSON_Delete(stored);
    cJSON_Delete(ours);

    return id;
}


static int
cli_prov_vapi(cli_prov_t *pv, int assistant, const char *from)
{
    char            err[CLI_ERR_LEN], transfer[32], path[256], what[512];
    char           *want, *aid;
    cJSON          *pn, *patch, *server, *headers, *fb, *out;
    cli_conf_t     *cf = pv->ctx->conf;
    cli_vapi_pn_t   p;

    if (cf->vapi_key == NULL) {
        cli_check(pv->rp, CLI_FAIL, "vapi", "set VAPI_API_KEY", "VAPI is not "
                  "configured");
        return 1;
    }

    if (cf->public_url == NULL || cf->vapi_secret == NULL) {
        cli_check(pv->rp, CLI_FAIL, "vapi", "set PUBLIC_URL and "
                  "VAPI_WEBHOOK_SECRET (openssl rand -hex 32) first",
                  "the phone number needs PUBLIC_URL and "
                  "VAPI_WEBHOOK_SECRET");
        return 1;
    }

    pn = cli_vapi_phone_number(cf, err, sizeof(err));
    if (pn == NULL) {
        cli_check(pv->rp, CLI_FAIL, "vapi", NULL, "%s", err);
        return 1;
    }

    cli_vapi_pn_read(pn, &p);
    want = cli_public_path(cf, "/vapi/webhook");
    patch = cJSON_CreateObject();
    what[0] = '\0';

    if (p.server_url == NULL || strcmp(p.server_url, want) != 0
        || p.secret == NULL || strcmp(p.secret, cf->vapi_secret) != 0)
    {
        server = cJSON_AddObjectToObject(patch, "server");
        cJSON_AddStringToObject(server, "url", want);
        cJSON_AddNumberToObject(server, "timeoutSeconds", 20);
        headers = cJSON_AddObjectToObject(server, "headers");
        cJSON_AddStringToObject(headers, "X-Vapi-Secret", cf->vapi_secret);
        snprintf(what, sizeof(what), "server URL %s with X-Vapi-Secret",
                 want);
    }

    aid = assistant ? cli_prov_assistant(pv, from) : NULL;

    if (assistant && aid == NULL) {
        /* the failure is reported; the rest can still be put right */

    } else if (aid && (p.assistant_id == NULL
                       || strcmp(p.assistant_id, aid) != 0)
               && strcmp(aid, "(new)") != 0)
    {
        cJSON_AddStringToObject(patch, "assistantId", aid);
        snprintf(what + strlen(what), sizeof(what) - strlen(what),
                 "%sassistant %s", what[0] ? ", " : "", aid);

    } else if (!assistant && p.assistant_id) {
        /* no assistant: VAPI sends assistant-request to the server URL */
        cJSON_AddNullToObject(patch, "assistantId");
        snprintf(what + strlen(what), sizeof(what) - strlen(what),
                 "%sno stored assistant (was %s)", what[0] ? ", " : "",
                 p.assistant_id);
    }

    if (cli_transfer_number(cf, transfer, sizeof(transfer), err,
                            sizeof(err)) != 0)
    {
        cli_check(pv->rp, CLI_WARN, "vapi.fallback", NULL, "%s", err);

    } else if (p.fallback == NULL || strcmp(p.fallback, transfer) != 0) {
        fb = cJSON_AddObjectToObject(patch, "fallbackDestination");
        cJSON_AddStringToObject(fb, "type", "number");
        cJSON_AddStringToObject(fb, "number", transfer);
        cJSON_AddStringToObject(fb, "message",
                                "Le paso con el restaurante.");
        snprintf(what + strlen(what), sizeof(what) - strlen(what),
                 "%sfallback destination %s", what[0] ? ", " : "", transfer);
    }

    if (cJSON_GetArraySize(patch) == 0) {
        cli_check(pv->rp, CLI_OK, "vapi.phone-number", NULL, "%s already "
                  "calls %s with our secret", p.number, want);

    } else {
        snprintf(path, sizeof(path), "/phone-number/%s", p.id);
        out = pv->ctx->dry_run ? NULL
              : cli_vapi_write(cf, "PATCH", path, patch, err, sizeof(err));

        if (!pv->ctx->dry_run && out == NULL) {
            cli_check(pv->rp, CLI_FAIL, "vapi.phone-number", NULL, "%s",
                      err);
            pv->fails++;
        } else {
            cli_prov_change(pv, "vapi.phone-number", "%sset %s", what);
        }

        cJSON_Delete(out);
    }

    free(aid);
    free(want);
    cJSON_Delete(patch);
    cJSON_Delete(pn);

    return 0;
}


/* ---- Twilio -------------------------------------------------------------- */

static int
cli_prov_twilio(cli_prov_t *pv)
{
    int               rc;
    char              err[CLI_ERR_LEN], *in, *st, what[512];
    cli_conf_t       *cf = pv->ctx->conf;
    cli_twilio_wh_t   wh;

    if (cli_twilio_account(cf, err, sizeof(err)) != 0) {
        cli_check(pv->rp, CLI_FAIL, "twilio", NULL, "%s", err);
        return 1;
    }

    if (cf->public_url == NULL || cf->twilio_number == NULL) {
        cli_check(pv->rp, CLI_FAIL, "twilio", "set PUBLIC_URL and "
                  "TWILIO_WHATSAPP_NUMBER", "the webhooks need PUBLIC_URL "
                  "and TWILIO_WHATSAPP_NUMBER");
        return 1;
    }

    if (cli_twilio_is_sandbox(cf->twilio_number)) {
        cli_check(pv->rp, CLI_WARN, "twilio.sender", "set it in Twilio's "
                  "console: Messaging > Try it out > WhatsApp sandbox "
                  "settings", "the sandbox's webhook cannot be set through "
                  "the API");
        return 0;
    }

    if (cli_twilio_webhooks(cf, &wh, err, sizeof(err)) != 0) {
        cli_check(pv->rp, CLI_FAIL, "twilio.sender", NULL, "%s", err);
        return 1;
    }

    in = cli_public_path(cf, "/whatsapp/webhook");
    st = cli_public_path(cf, "/whatsapp/status");
    rc = 0;

    if (wh.inbound && strcmp(wh.inbound, in) == 0
        && wh.status && strcmp(wh.status, st) == 0)
    {
        cli_check(pv->rp, CLI_OK, "twilio.sender", NULL, "%s %s already "
                  "posts to %s and %s", wh.what, wh.sid, in, st);

    } else if (!pv->ctx->dry_run
               && cli_twilio_set_webhooks(cf, &wh, in, st, err, sizeof(err))
                  != 0)
    {
        cli_check(pv->rp, CLI_FAIL, "twilio.sender", NULL, "%s", err);
        rc = 1;

    } else {
        snprintf(what, sizeof(what), "%s %s webhooks to %s and %s", wh.what,
                 wh.sid, in, st);
        cli_prov_change(pv, "twilio.sender", "%sset %s", what);
    }

    free(in);
    free(st);
    cli_twilio_wh_free(&wh);

    return rc;
}
