
/*
 * cerebro, the operator tool: what one command shares with the others.
 *
 * Synchronous and short-lived: libcurl's easy interface for HTTPS, cJSON
 * for bodies, hiredis for one Redis check, and the module's pure core for
 * phones, dates and the restaurant file.  Every value comes from the
 * environment (and a .env file) under the names the module reads.
 */

#ifndef CEREBRO_CLI_H
#define CEREBRO_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>


#ifndef CEREBRO_VERSION
#define CEREBRO_VERSION  "1.0.0"
#endif

#define CLI_ERR_LEN      512


/* ---- configuration (cli_conf.c) ----------------------------------------- */

/* Table roles, as the module's cerebro_airtable_table names them. */
typedef enum {
    CLI_T_RESERVATIONS = 0,
    CLI_T_TABLES,
    CLI_T_GUESTS,
    CLI_T_FAQ,
    CLI_T_CALLS,            /* optional: the call log */
    CLI_T_GROUPS,           /* optional: combinable tables, ours */
    CLI_NTABLES
} cli_table_e;


/* What a field holds; a base may type it any compatible way. */
typedef enum {
    CLI_K_TEXT = 0,         /* any text type, or a single select */
    CLI_K_NUMBER,
    CLI_K_DATETIME,
    CLI_K_CHECKBOX,
    CLI_K_SELECT            /* single select, or text */
} cli_kind_e;


typedef struct {
    cli_table_e   table;
    const char   *ours;         /* the module's name of the field */
    cli_kind_e    kind;
    int           optional;     /* the module runs without it */
} cli_field_def_t;


#define CLI_NFIELDS  34

extern const cli_field_def_t  cli_fields[CLI_NFIELDS];
extern const char            *cli_table_roles[CLI_NTABLES];
extern const char            *cli_table_defaults[CLI_NTABLES];


typedef struct {
    /* the .env names of the original, and the module's extra ones */
    const char   *airtable_key;
    const char   *airtable_base;
    const char   *airtable_url;
    const char   *vapi_key;
    const char   *vapi_url;
    const char   *vapi_assistant_id;
    const char   *vapi_phone_id;
    const char   *vapi_secret;
    const char   *twilio_sid;
    const char   *twilio_token;
    const char   *twilio_url;
    const char   *twilio_messaging_url;
    const char   *twilio_content_url;
    const char   *twilio_number;
    const char   *twilio_service_sid;
    const char   *openai_key;
    const char   *openai_url;
    const char   *public_url;
    const char   *redis_url;
    const char   *redis_password;
    const char   *template_sid;
    const char   *transfer_number;
    const char   *restaurant_file;
    const char   *voice_prompt;         /* the prompt file, {{today}}... */
    const char   *data_dir;
    const char   *ca_file;
    double        airtable_pause;       /* seconds after a 429 */

    /* the base's names; NULL table: "cerebro_airtable_table calls off" */
    const char   *table[CLI_NTABLES];
    const char   *field[CLI_NFIELDS];
} cli_conf_t;


/* Reads .env (never over the environment) and nginx.conf's names. */
int cli_conf_load(cli_conf_t *cf, const char *env_file, const char *nginx_conf,
    char *err, size_t errlen);

/* "https://x/vapi/webhook" from PUBLIC_URL, malloc'd; NULL without it. */
char *cli_public_path(const cli_conf_t *cf, const char *path);

/* The index in cli_fields of a role's field, or -1. */
int cli_field_index(cli_table_e t, const char *ours);


/* ---- HTTP (cli_http.c) --------------------------------------------------- */

typedef enum {
    CLI_AUTH_NONE = 0,
    CLI_AUTH_BEARER,
    CLI_AUTH_BASIC
} cli_auth_e;


typedef struct {
    const char   *method;
    const char   *url;
    cli_auth_e    auth;
    const char   *user;         /* basic */
    const char   *secret;       /* bearer token or basic password */
    const char   *content_type;
    const char   *body;
    const char   *header;       /* one more "Name: value", or NULL */
    long          timeout;      /* seconds; 0: 20 */
    int           airtable;     /* paced at 5 requests/s, 429 waited */
} cli_req_t;


typedef struct {
    long          status;       /* 0: no answer (error says why) */
    char         *body;
    size_t        len;
    cJSON        *json;         /* the body when it is JSON */
    char          error[CLI_ERR_LEN];
} cli_resp_t;


int cli_http_init(const cli_conf_t *cf);
void cli_http_cleanup(void);

/* 0 when an answer came (any status), -1 when none (resp->error). */
int cli_http(const cli_req_t *req, cli_resp_t *resp);
void cli_resp_free(cli_resp_t *resp);

/* Requests this run made, for the plan's and the tests' honesty. */
extern unsigned  cli_http_writes;

/* "%2F"-escaped, malloc'd */
char *cli_escape(const char *s);

/* The vendor's error message of an answer, in buf ("" when none). */
void cli_api_error(const cli_resp_t *resp, char *buf, size_t size);


/* ---- output (cli_report.c) ----------------------------------------------- */

typedef enum {
    CLI_OK = 0,
    CLI_WARN,
    CLI_FAIL,
    CLI_SKIP
} cli_status_e;


typedef struct cli_report_s  cli_report_t;

cli_report_t *cli_report_new(int json);
void cli_report_free(cli_report_t *rp);

/*
 * One line: "ok    name: message" or "FAIL  name: message" and, under it,
 * "      fix: ...".  fix may be NULL.  printf-style message.
 */
void cli_check(cli_report_t *rp, cli_status_e st, const char *name,
    const char *fix, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

int cli_report_fails(const cli_report_t *rp);

/* --json: prints the whole report; plain: the summary line. */
void cli_report_end(cli_report_t *rp, const char *what);

/* A plain line to stdout (suppressed with --json). */
void cli_say(cli_report_t *rp, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Progress on a terminal ("\r[#####   ] 40/100"), plain lines otherwise. */
void cli_progress(const char *what, size_t done, size_t total);
void cli_progress_end(const char *what, size_t done);

/* Errors are sentences with the fix, on stderr. */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;


/* ---- Airtable (cli_airtable.c) -------------------------------------------- */

typedef struct {
    char         *id;
    char         *name;
    char         *type;
    cJSON        *options;      /* a reference into the schema answer */
} cli_at_field_t;


typedef struct {
    char            *id;
    char            *name;
    int              nfields;
    cli_at_field_t  *fields;
} cli_at_table_t;


typedef struct {
    int              ntables;
    cli_at_table_t  *tables;
    cJSON           *json;      /* the answer, owning options */
} cli_at_schema_t;


/* GET meta tables; -1 with err (a sentence with the fix). */
int cli_at_schema(const cli_conf_t *cf, cli_at_schema_t *s, char *err,
    size_t errlen);
void cli_at_schema_free(cli_at_schema_t *s);
const cli_at_table_t *cli_at_find_table(const cli_at_schema_t *s,
    const char *name);
const cli_at_field_t *cli_at_find_field(const cli_at_table_t *t,
    const char *name);

/* Whether an Airtable type holds a kind of ours. */
int cli_at_kind_ok(cli_kind_e kind, const char *type);

/* The field object we create for a kind: {"name","type","options"}. */
cJSON *cli_at_field_spec(const char *name, cli_kind_e kind, const char *ours);

/*
 * Every record of a table, following offset; an array the caller frees.
 * NULL with err.
 */
cJSON *cli_at_list(const cli_conf_t *cf, const char *table, char *err,
    size_t errlen);

/* Creates records in batches of 10 (typecast); returns the count made. */
int cli_at_create(const cli_conf_t *cf, const char *table, cJSON *fields_list,
    const char *progress, char *err, size_t errlen);


/* ---- subcommands ------------------------------------------------------------ */

typedef struct {
    cli_conf_t   *conf;
    int           json;
    int           dry_run;
    int           argc;
    char        **argv;
} cli_ctx_t;

int cli_doctor(cli_ctx_t *ctx);
int cli_provision(cli_ctx_t *ctx);
int cli_backup(cli_ctx_t *ctx);
int cli_restore(cli_ctx_t *ctx);
int cli_migrate(cli_ctx_t *ctx);
int cli_staff_hash(cli_ctx_t *ctx);

/* the phone number VAPI or Twilio is told, E.164; "" when none */
int cli_transfer_number(const cli_conf_t *cf, char *out, size_t size,
    char *err, size_t errlen);

/* the assistant our module answers to assistant-request, or NULL */
cJSON *cli_module_assistant(const cli_conf_t *cf, const char *from,
    char *err, size_t errlen);

/* reads a whole file; NULL with errno */
char *cli_read_file(const char *path, size_t *len);


#endif /* CEREBRO_CLI_H */
