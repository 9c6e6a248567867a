
/*
 * Configuration: the environment, a .env file beside it, and the Airtable
 * names an nginx.conf gives with cerebro_airtable_table and
 * cerebro_airtable_field, so that the tool and the module agree on the
 * base without a second place to write them.
 */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"


const char  *cli_table_roles[CLI_NTABLES] = {
    "reservations", "tables", "guests", "faq", "calls", "groups"
};

const char  *cli_table_defaults[CLI_NTABLES] = {
    "Reservas", "Mesas", "Clientes", "FAQ", "Llamadas", "Grupos"
};


/*
 * The module's fields (store/ngx_cerebro_airtable_json.c) with the kind
 * it reads and writes, and Grupos, which only this tool knows yet.
 */
const cli_field_def_t  cli_fields[CLI_NFIELDS] = {
    { CLI_T_RESERVATIONS, "client_name", CLI_K_TEXT, 0 },
    { CLI_T_RESERVATIONS, "client_phone", CLI_K_TEXT, 0 },
    { CLI_T_RESERVATIONS, "date_time", CLI_K_DATETIME, 0 },
    { CLI_T_RESERVATIONS, "pax", CLI_K_NUMBER, 0 },
    { CLI_T_RESERVATIONS, "table", CLI_K_TEXT, 0 },
    { CLI_T_RESERVATIONS, "status", CLI_K_SELECT, 0 },
    { CLI_T_RESERVATIONS, "notes", CLI_K_TEXT, 1 },
    { CLI_T_RESERVATIONS, "source", CLI_K_SELECT, 1 },
    { CLI_T_RESERVATIONS, "call_id", CLI_K_TEXT, 1 },

    { CLI_T_TABLES, "name", CLI_K_TEXT, 0 },
    { CLI_T_TABLES, "capacity_min", CLI_K_NUMBER, 0 },
    { CLI_T_TABLES, "capacity_max", CLI_K_NUMBER, 0 },
    { CLI_T_TABLES, "location", CLI_K_TEXT, 0 },

    { CLI_T_GUESTS, "name", CLI_K_TEXT, 0 },
    { CLI_T_GUESTS, "phone", CLI_K_TEXT, 0 },
    { CLI_T_GUESTS, "email", CLI_K_TEXT, 0 },
    { CLI_T_GUESTS, "preferences", CLI_K_TEXT, 0 },

    { CLI_T_FAQ, "question", CLI_K_TEXT, 0 },
    { CLI_T_FAQ, "answer", CLI_K_TEXT, 0 },

    { CLI_T_CALLS, "call_id", CLI_K_TEXT, 1 },
    { CLI_T_CALLS, "caller", CLI_K_TEXT, 1 },
    { CLI_T_CALLS, "started", CLI_K_DATETIME, 1 },
    { CLI_T_CALLS, "ended", CLI_K_DATETIME, 1 },
    { CLI_T_CALLS, "duration_s", CLI_K_NUMBER, 1 },
    { CLI_T_CALLS, "ended_reason", CLI_K_TEXT, 1 },
    { CLI_T_CALLS, "summary", CLI_K_TEXT, 1 },
    { CLI_T_CALLS, "cost", CLI_K_NUMBER, 1 },
    { CLI_T_CALLS, "booked", CLI_K_CHECKBOX, 1 },
    { CLI_T_CALLS, "changed", CLI_K_CHECKBOX, 1 },
    { CLI_T_CALLS, "cancelled", CLI_K_CHECKBOX, 1 },

    { CLI_T_GROUPS, "name", CLI_K_TEXT, 1 },
    { CLI_T_GROUPS, "capacity_min", CLI_K_NUMBER, 1 },
    { CLI_T_GROUPS, "capacity_max", CLI_K_NUMBER, 1 },
    { CLI_T_GROUPS, "tables", CLI_K_TEXT, 1 }
};


static const char *cli_env(const char *name, const char *def);
static int cli_load_env_file(const char *path, char *err, size_t errlen);
static int cli_load_nginx_conf(cli_conf_t *cf, const char *path, char *err,
    size_t errlen);
static int cli_directive(cli_conf_t *cf, int argc, char **argv, char *err,
    size_t errlen);


int
cli_field_index(cli_table_e t, const char *ours)
{
    int  i;

    for (i = 0; i < CLI_NFIELDS; i++) {
        if (cli_fields[i].table == t && strcmp(cli_fields[i].ours, ours) == 0)
        {
            return i;
        }
    }

    return -1;
}


static const char *
cli_env(const char *name, const char *def)
{
    const char  *v;

    v = getenv(name);

    return (v != NULL && *v != '\0') ? v : def;
}


int
cli_conf_load(cli_conf_t *cf, const char *env_file, const char *nginx_conf,
    char *err, size_t errlen)
{
    int          i;
    const char  *pause;

    memset(cf, 0, sizeof(cli_conf_t));

    if (env_file != NULL) {
        if (cli_load_env_file(env_file, err, errlen) != 0) {
            return -1;
        }

    } else if (access(".env", R_OK) == 0
               && cli_load_env_file(".env", err, errlen) != 0)
    {
        return -1;
    }

    cf->airtable_key = cli_env("AIRTABLE_API_KEY", NULL);
    cf->airtable_base = cli_env("AIRTABLE_BASE_ID", NULL);
    cf->airtable_url = cli_env("AIRTABLE_API_URL", "https://api.airtable.com");
    cf->vapi_key = cli_env("VAPI_API_KEY", NULL);
    cf->vapi_url = cli_env("VAPI_API_URL", "https://api.vapi.ai");
    cf->vapi_assistant_id = cli_env("VAPI_ASSISTANT_ID", NULL);
    cf->vapi_phone_id = cli_env("VAPI_PHONE_NUMBER_ID", NULL);
    cf->vapi_secret = cli_env("VAPI_WEBHOOK_SECRET", NULL);
    cf->twilio_sid = cli_env("TWILIO_ACCOUNT_SID", NULL);
    cf->twilio_token = cli_env("TWILIO_AUTH_TOKEN", NULL);
    cf->twilio_url = cli_env("TWILIO_API_URL", "https://api.twilio.com");
    cf->twilio_messaging_url = cli_env("TWILIO_MESSAGING_API_URL",
                                       "https://messaging.twilio.com");
    cf->twilio_content_url = cli_env("TWILIO_CONTENT_API_URL",
                                     "https://content.twilio.com");
    cf->twilio_number = cli_env("TWILIO_WHATSAPP_NUMBER", NULL);
    cf->twilio_service_sid = cli_env("TWILIO_MESSAGING_SERVICE_SID", NULL);
    cf->openai_key = cli_env("OPENAI_API_KEY", NULL);
    cf->openai_url = cli_env("OPENAI_BASE_URL", "https://api.openai.com/v1");
    cf->public_url = cli_env("PUBLIC_URL", NULL);
    cf->redis_url = cli_env("REDIS_URL", NULL);
    cf->redis_password = cli_env("REDIS_PASSWORD", NULL);
    cf->template_sid = cli_env("CEREBRO_WHATSAPP_TEMPLATE", NULL);
    cf->transfer_number = cli_env("CEREBRO_TRANSFER_NUMBER", NULL);
    cf->restaurant_file = cli_env("CEREBRO_RESTAURANT", NULL);
    cf->voice_prompt = cli_env("CEREBRO_VOICE_PROMPT", NULL);
    cf->data_dir = cli_env("CEREBRO_DATA_DIR", NULL);
    cf->ca_file = cli_env("CEREBRO_CA_FILE", NULL);

    pause = cli_env("CEREBRO_AIRTABLE_PAUSE", "30");
    cf->airtable_pause = atof(pause);
    if (cf->airtable_pause < 0 || cf->airtable_pause > 600) {
        snprintf(err, errlen, "CEREBRO_AIRTABLE_PAUSE must be a number of "
                 "seconds from 0 to 600, not \"%s\".", pause);
        return -1;
    }

    for (i = 0; i < CLI_NTABLES; i++) {
        cf->table[i] = cli_table_defaults[i];
    }

    for (i = 0; i < CLI_NFIELDS; i++) {
        cf->field[i] = cli_fields[i].ours;
    }

    if (nginx_conf == NULL) {
        nginx_conf = cli_env("CEREBRO_NGINX_CONF", NULL);
    }

    if (nginx_conf != NULL
        && cli_load_nginx_conf(cf, nginx_conf, err, errlen) != 0)
    {
        return -1;
    }

    if (cf->restaurant_file == NULL) {
        if (access("conf/restaurant.json", R_OK) == 0) {
            cf->restaurant_file = "conf/restaurant.json";

        } else if (access("/usr/share/cerebro/conf/restaurant.json", R_OK)
                   == 0)
        {
            cf->restaurant_file = "/usr/share/cerebro/conf/restaurant.json";
        }
    }

    if (cf->voice_prompt == NULL) {
        if (access("conf/agents/voice.md", R_OK) == 0) {
            cf->voice_prompt = "conf/agents/voice.md";

        } else if (access("/usr/share/cerebro/conf/agents/voice.md", R_OK)
                   == 0)
        {
            cf->voice_prompt = "/usr/share/cerebro/conf/agents/voice.md";
        }
    }

    return 0;
}


char *
cli_public_path(const cli_conf_t *cf, const char *path)
{
    char    *out;
    size_t   len;

    if (cf->public_url == NULL) {
        return NULL;
    }

    len = strlen(cf->public_url);
    while (len && cf->public_url[len - 1] == '/') {
        len--;
    }

    out = malloc(len + strlen(path) + 1);
    if (out == NULL) {
        return NULL;
    }

    memcpy(out, cf->public_url, len);
    strcpy(out + len, path);

    return out;
}


char *
cli_read_file(const char *path, size_t *len)
{
    long   size;
    char  *buf;
    FILE  *f;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }

    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        fclose(f);
        return NULL;
    }

    buf = malloc(size + 1);
    if (buf == NULL) {
        fclose(f);
        return NULL;
    }

    if (fread(buf, 1, size, f) != (size_t) size) {
        free(buf);
        fclose(f);
        errno = EIO;
        return NULL;
    }

    fclose(f);
    buf[size] = '\0';

    if (len) {
        *len = size;
    }

    return buf;
}


/*
 * KEY=value, "export KEY=value", '#' comments, values in single or double
 * quotes.  A variable the environment already has wins, as with docker's
 * --env-file behind -e.
 */
static int
cli_load_env_file(const char *path, char *err, size_t errlen)
{
    char    *text, *line, *next, *eq, *key, *val, *end;
    size_t   len;
    int      lineno;

    text = cli_read_file(path, &len);
    if (text == NULL) {
        snprintf(err, errlen, "cannot read the environment file %s (%s); "
                 "give an existing file with --env-file.", path,
                 strerror(errno));
        return -1;
    }

    lineno = 0;

    for (line = text; line != NULL; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next) {
            *next++ = '\0';
        }

        while (isspace((unsigned char) *line)) {
            line++;
        }

        if (*line == '\0' || *line == '#') {
            continue;
        }

        if (strncmp(line, "export ", 7) == 0) {
            line += 7;
        }

        eq = strchr(line, '=');
        if (eq == NULL) {
            snprintf(err, errlen, "%s:%d: expected NAME=value; fix or "
                     "remove that line.", path, lineno);
            free(text);
            return -1;
        }

        *eq = '\0';
        key = line;
        for (end = eq; end > key && isspace((unsigned char) end[-1]); end--) {
            /* void */
        }
        *end = '\0';

        val = eq + 1;
        while (isspace((unsigned char) *val)) {
            val++;
        }

        end = val + strlen(val);
        while (end > val && isspace((unsigned char) end[-1])) {
            end--;
        }
        *end = '\0';

        if ((*val == '"' || *val == '\'') && end - val >= 2
            && end[-1] == *val)
        {
            end[-1] = '\0';
            val++;

        } else if ((end = strstr(val, " #")) != NULL) {
            *end = '\0';
        }

        if (setenv(key, val, 0) != 0) {
            snprintf(err, errlen, "%s:%d: \"%s\" is not a variable name; "
                     "fix that line.", path, lineno, key);
            free(text);
            return -1;
        }
    }

    /* the environment now holds copies: setenv copies its arguments */
    free(text);

    return 0;
}


/*
 * Enough of nginx's syntax for the directives we read: words, quotes,
 * comments, ';' and blocks.  The names are kept for the whole run.
 */
static int
cli_load_nginx_conf(cli_conf_t *cf, const char *path, char *err,
    size_t errlen)
{
    int      argc;
    char    *text, *p, *w, *argv[8];
    char     q, delim;
    size_t   len;

    text = cli_read_file(path, &len);
    if (text == NULL) {
        snprintf(err, errlen, "cannot read the nginx configuration %s (%s); "
                 "give the file nginx runs with --conf.", path,
                 strerror(errno));
        return -1;
    }

    argc = 0;
    p = text;

    for ( ;; ) {
        while (*p && isspace((unsigned char) *p)) {
            p++;
        }

        if (*p == '\0') {
            break;
        }

        if (*p == '#') {
            while (*p && *p != '\n') {
                p++;
            }
            continue;
        }

        delim = 0;

        if (*p == ';' || *p == '{' || *p == '}') {
            delim = *p++;

        } else {
            if (*p == '"' || *p == '\'') {
                q = *p++;
                w = p;
                while (*p && *p != q) {
                    if (*p == '\\' && p[1]) {
                        memmove(p, p + 1, strlen(p));
                    }
                    p++;
                }

            } else {
                q = 0;
                w = p;
                while (*p && !isspace((unsigned char) *p) && *p != ';'
                       && *p != '{' && *p != '}')
                {
                    p++;
                }
            }

            if (argc < 8) {
                argv[argc++] = w;
            }

            if (*p == ';' || *p == '{' || *p == '}') {
                delim = *p;
            }

            if (*p) {
                *p++ = '\0';
            }
        }

        if (delim == ';' && argc > 0
            && cli_directive(cf, argc, argv, err, errlen) != 0)
        {
            free(text);
            return -1;
        }

        if (delim) {
            argc = 0;
        }
    }

    /* the names point into text: it is kept for the whole run */
    return 0;
}


static int
cli_directive(cli_conf_t *cf, int argc, char **argv, char *err,
    size_t errlen)
{
    int  i, t;

    if (strcmp(argv[0], "cerebro_whatsapp_template") == 0 && argc == 2) {
        if (cf->template_sid == NULL) {
            cf->template_sid = argv[1];
        }
        return 0;
    }

    if (strcmp(argv[0], "cerebro_voice_prompt") == 0 && argc == 2) {
        if (cf->voice_prompt == NULL) {
            cf->voice_prompt = argv[1];
        }
        return 0;
    }

    if (strcmp(argv[0], "cerebro_transfer_number") == 0 && argc == 2) {
        if (cf->transfer_number == NULL) {
            cf->transfer_number = argv[1];
        }
        return 0;
    }

    if (strcmp(argv[0], "cerebro_airtable_table") != 0
        && strcmp(argv[0], "cerebro_airtable_field") != 0)
    {
        return 0;
    }

    t = -1;
    for (i = 0; argc > 1 && i < CLI_T_GROUPS; i++) {
        if (strcmp(argv[1], cli_table_roles[i]) == 0) {
            t = i;
        }
    }

    if (t < 0) {
        snprintf(err, errlen, "%s: unknown table \"%s\"; expected "
                 "reservations, tables, guests, faq or calls, as nginx "
                 "-t says.", argv[0], argc > 1 ? argv[1] : "");
        return -1;
    }

    if (strcmp(argv[0], "cerebro_airtable_table") == 0 && argc == 3) {
        if (strcmp(argv[2], "off") == 0) {
            if (t != CLI_T_CALLS) {
                snprintf(err, errlen, "cerebro_airtable_table: only the "
                         "calls table may be off.");
                return -1;
            }
            cf->table[t] = NULL;

        } else {
            cf->table[t] = argv[2];
        }

        return 0;
    }

    if (argc == 4) {
        i = cli_field_index(t, argv[2]);
        if (i < 0) {
            snprintf(err, errlen, "cerebro_airtable_field: the %s table has "
                     "no field \"%s\" of ours.", argv[1], argv[2]);
            return -1;
        }

        cf->field[i] = argv[3];
        return 0;
    }

    snprintf(err, errlen, "%s: wrong number of arguments; run nginx -t on "
             "that configuration.", argv[0]);
    return -1;
}
