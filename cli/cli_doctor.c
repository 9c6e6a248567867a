
/*
 * cerebro doctor: everything nginx -t cannot know, asked of the services
 * themselves.  Each check is one line; a FAIL says what to do about it.
 * Nothing here writes to an account.
 */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "cli.h"
#include "cli_vendors.h"


static void cli_doctor_public(cli_ctx_t *ctx, cli_report_t *rp);
static void cli_doctor_airtable(cli_ctx_t *ctx, cli_report_t *rp);
static void cli_doctor_vapi(cli_ctx_t *ctx, cli_report_t *rp);
static void cli_doctor_twilio(cli_ctx_t *ctx, cli_report_t *rp);
static void cli_doctor_template(cli_ctx_t *ctx, cli_report_t *rp);
static void cli_doctor_openai(cli_ctx_t *ctx, cli_report_t *rp);
static void cli_doctor_redis(cli_ctx_t *ctx, cli_report_t *rp);


int
cli_doctor(cli_ctx_t *ctx)
{
    int            fails;
    cli_report_t  *rp;

    rp = cli_report_new(ctx->json);
    if (rp == NULL) {
        return 2;
    }

    cli_doctor_public(ctx, rp);
    cli_doctor_airtable(ctx, rp);
    cli_doctor_vapi(ctx, rp);
    cli_doctor_twilio(ctx, rp);
    cli_doctor_template(ctx, rp);
    cli_doctor_openai(ctx, rp);
    cli_doctor_redis(ctx, rp);

    cli_report_end(rp, "doctor");
    fails = cli_report_fails(rp);
    cli_report_free(rp);

    return fails ? 1 : 0;
}


/* ---- PUBLIC_URL ----------------------------------------------------------- */

static void
cli_doctor_public(cli_ctx_t *ctx, cli_report_t *rp)
{
    char          *url;
    cJSON         *st;
    cli_req_t      req;
    cli_resp_t     resp;
    cli_conf_t    *cf = ctx->conf;

    if (cf->public_url == NULL) {
        cli_check(rp, CLI_FAIL, "public-url", "set PUBLIC_URL to the https "
                  "origin VAPI and Twilio call, e.g. "
                  "PUBLIC_URL=https://cerebro.example.com",
                  "PUBLIC_URL is not set: VAPI and Twilio cannot be pointed "
                  "at us and Twilio's signatures cannot be checked");
        return;
    }

    if (strncmp(cf->public_url, "https://", 8) != 0) {
        cli_check(rp, CLI_FAIL, "public-url", "serve the module behind TLS "
                  "(Coolify's proxy does) and set PUBLIC_URL to its "
                  "https:// origin",
                  "PUBLIC_URL %s is not https: VAPI and Twilio call only "
                  "https URLs", cf->public_url);
        return;
    }

    url = cli_public_path(cf, "/health");
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.url = url;
    req.timeout = 10;

    if (cli_http(&req, &resp) != 0) {
        cli_check(rp, CLI_FAIL, "public-url", "deploy the server first, and "
                  "check the DNS name, the port and the TLS certificate",
                  "%s does not answer over TLS: %s", url, resp.error);
        free(url);
        return;
    }

    st = cJSON_GetObjectItemCaseSensitive(resp.json, "status");

    if (resp.status == 200 && cJSON_IsString(st)
        && strcmp(st->valuestring, "healthy") == 0)
    {
        cli_check(rp, CLI_OK, "public-url", NULL, "%s answers healthy over "
                  "TLS", url);

    } else {
        cli_check(rp, CLI_FAIL, "public-url", "point PUBLIC_URL's proxy at "
                  "the cerebro container's port 8000",
                  "%s answered %ld, not cerebro's health JSON", url,
                  resp.status);
    }

    cli_resp_free(&resp);
    free(url);
}


/* ---- Airtable ------------------------------------------------------------- */

static void
cli_doctor_airtable(cli_ctx_t *ctx, cli_report_t *rp)
{
    int                    i, t, nmissing, nopt, nrec;
    char                   err[CLI_ERR_LEN], missing[1024], opt[1024];
    char                   name[64], fix[1024];
    const char            *want;
    cli_conf_t            *cf = ctx->conf;
    cli_at_schema_t        s;
    const cli_at_table_t  *at;
    const cli_at_field_t  *af;

    if (cf->airtable_key == NULL && cf->airtable_base == NULL) {
        cli_check(rp, CLI_SKIP, "airtable", NULL, "AIRTABLE_API_KEY and "
                  "AIRTABLE_BASE_ID are not set: the embedded store is "
                  "used");
        return;
    }

    if (cf->airtable_key == NULL || cf->airtable_base == NULL) {
        cli_check(rp, CLI_FAIL, "airtable", "set both AIRTABLE_API_KEY and "
                  "AIRTABLE_BASE_ID, or neither for the embedded store",
                  "only one of AIRTABLE_API_KEY and AIRTABLE_BASE_ID is "
                  "set: nginx refuses to start");
        return;
    }

    if (cli_at_schema(cf, &s, err, sizeof(err)) != 0) {
        cli_check(rp, CLI_FAIL, "airtable", NULL, "%s", err);
        return;
    }

    cli_check(rp, CLI_OK, "airtable", NULL, "token and base %s accepted "
              "(%d tables)", cf->airtable_base, s.ntables);

    for (t = 0; t < CLI_NTABLES; t++) {
        if (cf->table[t] == NULL) {
            continue;               /* "calls off" */
        }

        snprintf(name, sizeof(name), "airtable.%s", cf->table[t]);
        at = cli_at_find_table(&s, cf->table[t]);

        if (at == NULL) {
            if (t >= CLI_T_CALLS) {
                cli_check(rp, CLI_WARN, name, "cerebro provision airtable",
                          "optional table %s (%s) is missing", cf->table[t],
                          t == CLI_T_CALLS ? "the call log"
                                           : "combinable tables");
            } else {
                cli_check(rp, CLI_FAIL, name, "cerebro provision airtable",
                          "table %s is missing", cf->table[t]);
            }
            continue;
        }

        nmissing = nopt = 0;
        missing[0] = opt[0] = '\0';
        fix[0] = '\0';

        for (i = 0; i < CLI_NFIELDS; i++) {
            if ((int) cli_fields[i].table != t) {
                continue;
            }

            af = cli_at_find_field(at, cf->field[i]);

            if (af == NULL) {
                if (cli_fields[i].optional && t < CLI_T_CALLS) {
                    snprintf(opt + strlen(opt), sizeof(opt) - strlen(opt),
                             "%s%s", nopt++ ? ", " : "", cf->field[i]);
                } else {
                    snprintf(missing + strlen(missing),
                             sizeof(missing) - strlen(missing), "%s%s",
                             nmissing++ ? ", " : "", cf->field[i]);
                }
                continue;
            }

            if (!cli_at_kind_ok(cli_fields[i].kind, af->type)) {
                want = cli_fields[i].kind == CLI_K_NUMBER ? "Number"
                       : cli_fields[i].kind == CLI_K_DATETIME
                         ? "Date with time"
                       : cli_fields[i].kind == CLI_K_CHECKBOX ? "Checkbox"
                       : cli_fields[i].kind == CLI_K_SELECT
                         ? "Single select" : "Single line text";
                snprintf(fix, sizeof(fix), "change the type of %s.%s to "
                         "\"%s\" in Airtable (the API cannot change a "
                         "field's type)", cf->table[t], cf->field[i], want);
                cli_check(rp, cli_fields[i].optional ? CLI_WARN : CLI_FAIL,
                          name, fix, "field %s is of type %s, which cannot "
                          "hold %s", cf->field[i], af->type,
                          cli_fields[i].kind == CLI_K_NUMBER ? "a number"
                          : cli_fields[i].kind == CLI_K_DATETIME
                            ? "a date and time"
                          : cli_fields[i].kind == CLI_K_CHECKBOX
                            ? "yes or no" : "text");
            }
        }

        if (nmissing) {
            cli_check(rp, t >= CLI_T_CALLS ? CLI_WARN : CLI_FAIL, name,
                      "cerebro provision airtable",
                      "missing field%s: %s", nmissing > 1 ? "s" : "",
                      missing);
        }

        if (nopt) {
            cli_check(rp, CLI_WARN, name, "cerebro provision airtable",
                      "optional field%s missing: %s (bookings are written "
                      "without them)", nopt > 1 ? "s" : "", opt);
        }

        if (!nmissing && !nopt && fix[0] == '\0') {
            if (t == CLI_T_TABLES) {
                nrec = cli_at_count(cf, cf->table[t], err, sizeof(err));
                if (nrec == 0) {
                    cli_check(rp, CLI_WARN, name, "cerebro provision "
                              "airtable (it copies the restaurant file's "
                              "tables into an empty Mesas)",
                              "has every field but no table to book");
                    continue;
                }
            }

            cli_check(rp, CLI_OK, name, NULL, "has every field we use");
        }
    }

    cli_at_schema_free(&s);
}


/* ---- VAPI ---------------------------------------------------------------- */

static void
cli_doctor_vapi(cli_ctx_t *ctx, cli_report_t *rp)
{
    char            err[CLI_ERR_LEN], *want;
    cJSON          *pn, *v;
    cli_conf_t     *cf = ctx->conf;
    cli_vapi_pn_t   p;

    if (cf->vapi_key == NULL) {
        cli_check(rp, CLI_SKIP, "vapi", NULL, "VAPI_API_KEY is not set: "
                  "the phone number is not checked");
        return;
    }

    pn = cli_vapi_phone_number(cf, err, sizeof(err));
    if (pn == NULL) {
        cli_check(rp, CLI_FAIL, "vapi", NULL, "%s", err);
        return;
    }

    cli_vapi_pn_read(pn, &p);
    cli_check(rp, CLI_OK, "vapi", NULL, "key accepted; phone number %s (%s)",
              p.number, p.id);

    if (cf->vapi_secret == NULL) {
        cli_check(rp, CLI_FAIL, "vapi.secret", "set VAPI_WEBHOOK_SECRET to "
                  "a long random string (openssl rand -hex 32), then "
                  "cerebro provision vapi",
                  "VAPI_WEBHOOK_SECRET is not set: anyone who finds the "
                  "URL can book and cancel");
    }

    want = cli_public_path(cf, "/vapi/webhook");

    if (want == NULL) {
        cli_check(rp, CLI_FAIL, "vapi.server", "set PUBLIC_URL, then "
                  "cerebro provision vapi", "cannot check the server URL "
                  "without PUBLIC_URL");

    } else if (p.server_url == NULL || strcmp(p.server_url, want) != 0) {
        cli_check(rp, CLI_FAIL, "vapi.server", "cerebro provision vapi",
                  "the phone number's server URL is %s, not %s",
                  p.server_url ? p.server_url : "unset", want);

    } else if (cf->vapi_secret
               && (p.secret == NULL || strcmp(p.secret, cf->vapi_secret)))
    {
        cli_check(rp, CLI_FAIL, "vapi.server", "cerebro provision vapi",
                  "the phone number's X-Vapi-Secret header %s "
                  "VAPI_WEBHOOK_SECRET", p.secret ? "differs from"
                                                  : "is missing: set it to");

    } else {
        cli_check(rp, CLI_OK, "vapi.server", NULL, "the phone number calls "
                  "%s%s", want, cf->vapi_secret ? " with our secret" : "");
    }

    if (cf->vapi_assistant_id == NULL && p.assistant_id) {
        cli_check(rp, CLI_FAIL, "vapi.assistant", "cerebro provision vapi "
                  "(it clears the assistant), or set VAPI_ASSISTANT_ID=%s "
                  "if that assistant is ours",
                  "the phone number uses assistant %s: our "
                  "assistant-request answer is never asked for",
                  p.assistant_id);

    } else if (cf->vapi_assistant_id
               && (p.assistant_id == NULL
                   || strcmp(p.assistant_id, cf->vapi_assistant_id)))
    {
        cli_check(rp, CLI_FAIL, "vapi.assistant", "cerebro provision vapi",
                  "the phone number uses %s, not VAPI_ASSISTANT_ID %s",
                  p.assistant_id ? p.assistant_id : "no assistant",
                  cf->vapi_assistant_id);

    } else if (cf->vapi_assistant_id) {
        v = cli_vapi_assistant(cf, cf->vapi_assistant_id, err, sizeof(err));
        if (v == NULL) {
            cli_check(rp, CLI_FAIL, "vapi.assistant", NULL, "%s", err);

        } else {
            cli_check(rp, CLI_OK, "vapi.assistant", NULL, "assistant %s "
                      "exists and the phone number uses it",
                      cf->vapi_assistant_id);
            cJSON_Delete(v);
        }

    } else {
        cli_check(rp, CLI_OK, "vapi.assistant", NULL, "no stored assistant: "
                  "VAPI asks the module for it on every call");
    }

    if (p.fallback == NULL) {
        cli_check(rp, CLI_WARN, "vapi.fallback", "cerebro provision vapi",
                  "no fallback destination: when the server cannot answer, "
                  "VAPI hangs up instead of passing the call to the "
                  "restaurant");
    } else {
        cli_check(rp, CLI_OK, "vapi.fallback", NULL, "calls go to %s when "
                  "the server cannot answer", p.fallback);
    }

    free(want);
    cJSON_Delete(pn);
}


/* ---- Twilio -------------------------------------------------------------- */

static void
cli_doctor_twilio(cli_ctx_t *ctx, cli_report_t *rp)
{
    char             err[CLI_ERR_LEN], *in, *st;
    cli_conf_t      *cf = ctx->conf;
    cli_twilio_wh_t  wh;

    if (cf->twilio_sid == NULL && cf->twilio_token == NULL) {
        cli_check(rp, CLI_SKIP, "twilio", NULL, "TWILIO_ACCOUNT_SID is not "
                  "set: WhatsApp messages wait in the outbox");
        return;
    }

    if (cli_twilio_account(cf, err, sizeof(err)) != 0) {
        cli_check(rp, CLI_FAIL, "twilio", NULL, "%s", err);
        return;
    }

    cli_check(rp, CLI_OK, "twilio", NULL, "account %s accepts the auth "
              "token", cf->twilio_sid);

    if (cf->twilio_number == NULL) {
        cli_check(rp, CLI_FAIL, "twilio.sender", "set TWILIO_WHATSAPP_NUMBER"
                  "=whatsapp:+34...", "TWILIO_WHATSAPP_NUMBER is not set");
        return;
    }

    if (cli_twilio_is_sandbox(cf->twilio_number)) {
        cli_check(rp, CLI_WARN, "twilio.sender", "in Twilio's console, "
                  "Messaging > Try it out > WhatsApp sandbox settings, set "
                  "\"When a message comes in\" to PUBLIC_URL/whatsapp/"
                  "webhook", "%s is Twilio's sandbox, whose webhook the API "
                  "cannot see", cf->twilio_number);
        return;
    }

    if (cli_twilio_webhooks(cf, &wh, err, sizeof(err)) != 0) {
        cli_check(rp, CLI_FAIL, "twilio.sender", NULL, "%s", err);
        return;
    }

    in = cli_public_path(cf, "/whatsapp/webhook");
    st = cli_public_path(cf, "/whatsapp/status");

    if (in == NULL) {
        cli_check(rp, CLI_FAIL, "twilio.sender", "set PUBLIC_URL",
                  "cannot check the webhooks without PUBLIC_URL");

    } else if (wh.inbound == NULL || strcmp(wh.inbound, in) != 0) {
        cli_check(rp, CLI_FAIL, "twilio.sender", "cerebro provision twilio",
                  "%s %s posts incoming messages to %s, not %s",
                  wh.what, wh.sid, wh.inbound ? wh.inbound : "nowhere", in);

    } else if (wh.status == NULL || strcmp(wh.status, st) != 0) {
        cli_check(rp, CLI_FAIL, "twilio.sender", "cerebro provision twilio",
                  "%s %s posts delivery statuses to %s, not %s", wh.what,
                  wh.sid, wh.status ? wh.status : "nowhere", st);

    } else {
        cli_check(rp, CLI_OK, "twilio.sender", NULL, "%s %s posts to "
                  "/whatsapp/webhook and /whatsapp/status", wh.what, wh.sid);
    }

    free(in);
    free(st);
    cli_twilio_wh_free(&wh);
}


static void
cli_doctor_template(cli_ctx_t *ctx, cli_report_t *rp)
{
    char         err[CLI_ERR_LEN];
    cli_conf_t  *cf = ctx->conf;

    if (cf->template_sid == NULL) {
        cli_check(rp, CLI_WARN, "whatsapp.template", "create a WhatsApp "
                  "template whose body holds {{1}} (e.g. \"Mensaje de En "
                  "Las Nubes: {{1}} Gracias.\"), then set "
                  "CEREBRO_WHATSAPP_TEMPLATE=HX... or "
                  "cerebro_whatsapp_template",
                  "no template: a message outside WhatsApp's 24-hour window "
                  "(a reminder) cannot be sent");
        return;
    }

    switch (cli_twilio_template(cf, err, sizeof(err))) {

    case 0:
        cli_check(rp, CLI_OK, "whatsapp.template", NULL, "%s", err);
        break;

    case 1:
        cli_check(rp, CLI_WARN, "whatsapp.template", NULL, "%s", err);
        break;

    default:
        cli_check(rp, CLI_FAIL, "whatsapp.template", NULL, "%s", err);
    }
}


/* ---- OpenAI --------------------------------------------------------------- */

static void
cli_doctor_openai(cli_ctx_t *ctx, cli_report_t *rp)
{
    char         *url, api[256];
    cli_req_t     req;
    cli_resp_t    resp;
    cli_conf_t   *cf = ctx->conf;

    if (cf->openai_key == NULL) {
        cli_check(rp, CLI_SKIP, "openai", NULL, "OPENAI_API_KEY is not set: "
                  "WhatsApp uses the rule-based dialogue");
        return;
    }

    url = malloc(strlen(cf->openai_url) + 16);
    sprintf(url, "%s/models", cf->openai_url);

    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.url = url;
    req.auth = CLI_AUTH_BEARER;
    req.secret = cf->openai_key;

    if (cli_http(&req, &resp) != 0) {
        cli_check(rp, CLI_FAIL, "openai", "check OPENAI_BASE_URL and the "
                  "network", "cannot reach %s: %s", cf->openai_url,
                  resp.error);

    } else if (resp.status == 200) {
        cli_check(rp, CLI_OK, "openai", NULL, "key accepted");

    } else {
        cli_api_error(&resp, api, sizeof(api));
        cli_check(rp, CLI_FAIL, "openai", resp.status == 401
                  ? "set OPENAI_API_KEY to a key of platform.openai.com's "
                    "API keys page" : NULL,
                  "OpenAI answered %ld%s%s", resp.status, api[0] ? ": " : "",
                  api);
    }

    cli_resp_free(&resp);
    free(url);
}


/* ---- Redis ---------------------------------------------------------------- */

static redisContext *
cli_redis_connect(cli_conf_t *cf, char *err, size_t errlen)
{
    int              port, n;
    char             host[256], pass[256];
    const char      *u, *at, *rest;
    redisReply      *r;
    redisContext    *c;
    struct timeval   tv = { 3, 0 };

    u = cf->redis_url;
    pass[0] = '\0';
    port = 6379;

    if (strncmp(u, "unix:", 5) == 0) {
        c = redisConnectUnixWithTimeout(u + 5, tv);

    } else {
        if (strncmp(u, "redis://", 8) != 0) {
            snprintf(err, errlen, "REDIS_URL must look like "
                     "redis://[:password@]host[:port][/db] or unix:/path");
            return NULL;
        }

        u += 8;
        at = strrchr(u, '@');
        if (at) {
            rest = strchr(u, ':');
            if (rest && rest < at) {
                n = (int) (at - rest - 1);
                snprintf(pass, sizeof(pass), "%.*s", n, rest + 1);
            }
            u = at + 1;
        }

        n = (int) strcspn(u, ":/");
        snprintf(host, sizeof(host), "%.*s", n, u);
        if (u[n] == ':') {
            port = atoi(u + n + 1);
        }

        c = redisConnectWithTimeout(host, port, tv);
    }

    if (c == NULL || c->err) {
        snprintf(err, errlen, "cannot connect to REDIS_URL (%s): start "
                 "Redis or fix the URL", c ? c->errstr : "no memory");
        if (c) {
            redisFree(c);
        }
        return NULL;
    }

    redisSetTimeout(c, tv);

    if (cf->redis_password && pass[0] == '\0') {
        snprintf(pass, sizeof(pass), "%s", cf->redis_password);
    }

    if (pass[0]) {
        r = redisCommand(c, "AUTH %s", pass);
        memset(pass, 0, sizeof(pass));

        if (r == NULL || r->type == REDIS_REPLY_ERROR) {
            snprintf(err, errlen, "Redis refused the password: set "
                     "REDIS_PASSWORD (or the URL's) to the server's");
            if (r) {
                freeReplyObject(r);
            }
            redisFree(c);
            return NULL;
        }

        freeReplyObject(r);
    }

    return c;
}


static void
cli_doctor_redis(cli_ctx_t *ctx, cli_report_t *rp)
{
    char            err[CLI_ERR_LEN];
    long long       id;
    redisReply     *r;
    cli_conf_t     *cf = ctx->conf;
    redisContext   *c, *sub;

    if (cf->redis_url == NULL) {
        cli_check(rp, CLI_SKIP, "redis", NULL, "REDIS_URL is not set: the "
                  "cache and locks live in shared memory, for one host");
        return;
    }

    c = cli_redis_connect(cf, err, sizeof(err));
    if (c == NULL) {
        cli_check(rp, CLI_FAIL, "redis", NULL, "%s", err);
        return;
    }

    r = redisCommand(c, "PING");
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        cli_check(rp, CLI_FAIL, "redis", "check that REDIS_URL names a Redis "
                  "server and its database", "PING failed: %s",
                  r ? r->str : c->errstr);
        if (r) {
            freeReplyObject(r);
        }
        redisFree(c);
        return;
    }

    freeReplyObject(r);
    cli_check(rp, CLI_OK, "redis", NULL, "answers PING");

    /* as the module's near cache: tracking redirected to a second link */
    sub = cli_redis_connect(cf, err, sizeof(err));
    r = sub ? redisCommand(sub, "CLIENT ID") : NULL;
    id = (r && r->type == REDIS_REPLY_INTEGER) ? r->integer : 0;
    if (r) {
        freeReplyObject(r);
    }

    r = id ? redisCommand(c, "CLIENT TRACKING on REDIRECT %lld BCAST "
                          "PREFIX cerebro:doctor:", id) : NULL;

    if (r && r->type == REDIS_REPLY_STATUS) {
        cli_check(rp, CLI_OK, "redis.tracking", NULL, "CLIENT TRACKING is "
                  "allowed: each worker keeps what it read (near cache)");
    } else {
        cli_check(rp, CLI_WARN, "redis.tracking", "allow the CLIENT command "
                  "(Redis 6 or later, not renamed), or set "
                  "cerebro_near_cache off", "CLIENT TRACKING is refused%s%s:"
                  " every read goes to Redis", r && r->str ? ": " : "",
                  r && r->str ? r->str : "");
    }

    if (r) {
        freeReplyObject(r);
    }

    if (sub) {
        redisFree(sub);
    }

    redisFree(c);
}
