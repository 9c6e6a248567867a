
/*
 * cerebro: the operator tool of ngx_cerebro.
 *
 *   cerebro [--env-file FILE] [--conf NGINX_CONF] COMMAND [options]
 *
 * doctor, provision, backup, restore, migrate; --help for each.
 */

#include <stdlib.h>
#include <string.h>

#include "cli.h"


typedef struct {
    const char   *name;
    int         (*run)(cli_ctx_t *ctx);
    const char   *summary;
    const char   *help;
} cli_command_t;


static const char  cli_help_doctor[] =
"usage: cerebro doctor [--json]\n"
"\n"
"Checks what nginx -t cannot know, one line each (ok, warn, FAIL and the\n"
"fix): every credential against its API (Airtable, VAPI, Twilio, OpenAI),\n"
"the Airtable base's tables and fields and their types, the VAPI phone\n"
"number's server URL and secret, the Twilio WhatsApp sender's webhooks,\n"
"PUBLIC_URL/health over TLS, Redis and CLIENT TRACKING, and the WhatsApp\n"
"template.  Exits 1 when a check FAILs.\n"
"\n"
"  --json   one JSON document instead of lines\n";

static const char  cli_help_provision[] =
"usage: cerebro provision airtable|vapi|twilio|all [--dry-run] [--json]\n"
"                         [--assistant] [--from URL]\n"
"\n"
"Creates what is missing and changes nothing that is right; running it\n"
"twice writes nothing the second time.\n"
"\n"
"  airtable  the tables and fields the module uses (Meta API), optional\n"
"            ones included (call log, groups), and the restaurant's\n"
"            tables into an empty Mesas\n"
"  vapi      the phone number's server URL, X-Vapi-Secret header and\n"
"            fallback destination; with --assistant (or VAPI_ASSISTANT_ID)\n"
"            also the stored assistant, taken from the running module's\n"
"            answer to assistant-request at --from (default PUBLIC_URL)\n"
"  twilio    the WhatsApp sender's webhooks (or the Messaging Service's,\n"
"            with TWILIO_MESSAGING_SERVICE_SID)\n"
"  all       the three, each where its credentials are set\n"
"\n"
"  --dry-run   print the plan, change nothing\n";

static const char  cli_help_backup[] =
"usage: cerebro backup [--dir DIR]\n"
"\n"
"Writes every table of the Airtable base to DIR (default\n"
"cerebro-backup-<date>): schema.json, <table>.json with each record's id,\n"
"createdTime and fields, and <table>.csv.  At most 5 requests a second;\n"
"a progress bar on a terminal, plain lines otherwise.\n";

static const char  cli_help_restore[] =
"usage: cerebro restore --dir DIR [--dry-run]\n"
"\n"
"Puts a backup into the base of AIRTABLE_BASE_ID: creates the tables and\n"
"fields it lacks, then the records.  A table that already holds records\n"
"is left alone (restore into an empty base, or empty the table first).\n";

static const char  cli_help_migrate[] =
"usage: cerebro migrate --to airtable [--data-dir DIR] [--dry-run]\n"
"\n"
"Copies a restaurant that started on the embedded store\n"
"(CEREBRO_DATA_DIR/cerebro.sqlite) into its Airtable base: bookings,\n"
"guests and the call log.  A record already there (same phone and time,\n"
"same phone, same call id) is not copied again, so running it twice adds\n"
"nothing.  WhatsApp opt-outs stay in the SQLite file, which the outbox\n"
"keeps using with Airtable.  Run provision airtable first.\n";

static const char  cli_help_staff_hash[] =
"usage: cerebro staff-hash < password\n"
"\n"
"Prints the scrypt hash of a staff password, read from the standard input\n"
"(asked for without echo on a terminal), for the module's directive\n"
"\"cerebro_staff_user NAME HASH;\" in nginx.conf.  The password itself is\n"
"kept nowhere.\n";

static const cli_command_t  cli_commands[] = {
    { "doctor", cli_doctor, "check every account and setting",
      cli_help_doctor },
    { "provision", cli_provision, "create what is missing in the accounts",
      cli_help_provision },
    { "backup", cli_backup, "write the Airtable base to files",
      cli_help_backup },
    { "restore", cli_restore, "put a backup into an Airtable base",
      cli_help_restore },
    { "migrate", cli_migrate, "copy the embedded store into Airtable",
      cli_help_migrate },
    { "staff-hash", cli_staff_hash, "hash a staff password for the console",
      cli_help_staff_hash },
    { NULL, NULL, NULL, NULL }
};


static void
cli_usage(FILE *out)
{
    int  i;

    fprintf(out,
        "usage: cerebro [--env-file FILE] [--conf NGINX_CONF] COMMAND "
        "[options]\n"
        "       cerebro --version | --help | COMMAND --help\n\n"
        "The operator tool of ngx_cerebro.  It reads the variables of the\n"
        "module's .env (AIRTABLE_API_KEY, VAPI_API_KEY, TWILIO_ACCOUNT_SID,\n"
        "PUBLIC_URL, ...) from the environment and ./.env, and the\n"
        "Airtable names of an nginx.conf given with --conf.\n\n"
        "commands:\n");

    for (i = 0; cli_commands[i].name; i++) {
        fprintf(out, "  %-10s %s\n", cli_commands[i].name,
                cli_commands[i].summary);
    }

    fprintf(out, "\nSee cerebro(1).\n");
}


int
main(int argc, char **argv)
{
    int                   i, rc, json;
    char                  err[CLI_ERR_LEN];
    const char           *env_file, *nginx_conf;
    cli_ctx_t             ctx;
    cli_conf_t            conf;
    const cli_command_t  *cmd;

    env_file = NULL;
    nginx_conf = NULL;
    json = 0;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--version") == 0) {
            printf("cerebro %s\n", CEREBRO_VERSION);
            return 0;
        }

        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_usage(stdout);
            return 0;
        }

        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
            continue;
        }

        if ((strcmp(argv[i], "--env-file") == 0
             || strcmp(argv[i], "--conf") == 0) && i + 1 < argc)
        {
            if (argv[i][2] == 'e') {
                env_file = argv[++i];
            } else {
                nginx_conf = argv[++i];
            }
            continue;
        }

        cli_error("unknown option \"%s\"; see cerebro --help.", argv[i]);
        return 2;
    }

    if (i == argc) {
        cli_usage(stderr);
        return 2;
    }

    if (strcmp(argv[i], "help") == 0) {
        cli_usage(stdout);
        return 0;
    }

    if (strcmp(argv[i], "version") == 0) {
        printf("cerebro %s\n", CEREBRO_VERSION);
        return 0;
    }

    for (cmd = cli_commands; cmd->name; cmd++) {
        if (strcmp(cmd->name, argv[i]) == 0) {
            break;
        }
    }

    if (cmd->name == NULL) {
        cli_error("unknown command \"%s\"; the commands are doctor, "
                  "provision, backup, restore, migrate and staff-hash.",
                  argv[i]);
        return 2;
    }

    memset(&ctx, 0, sizeof(ctx));
    ctx.json = json;
    ctx.argc = argc - i - 1;
    ctx.argv = argv + i + 1;

    for (i = 0; i < ctx.argc; i++) {
        if (strcmp(ctx.argv[i], "--help") == 0
            || strcmp(ctx.argv[i], "-h") == 0)
        {
            fputs(cmd->help, stdout);
            return 0;
        }

        if (strcmp(ctx.argv[i], "--json") == 0) {
            ctx.json = 1;
        }

        if (strcmp(ctx.argv[i], "--dry-run") == 0) {
            ctx.dry_run = 1;
        }
    }

    if (cli_conf_load(&conf, env_file, nginx_conf, err, sizeof(err)) != 0) {
        cli_error("%s", err);
        return 2;
    }

    ctx.conf = &conf;

    if (cli_http_init(&conf) != 0) {
        cli_error("libcurl could not start; reinstall libcurl4.");
        return 2;
    }

    rc = cmd->run(&ctx);

    cli_http_cleanup();

    return rc;
}
