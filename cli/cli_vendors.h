
/*
 * VAPI's phone numbers and assistants, Twilio's account, WhatsApp sender,
 * Messaging Service and content templates: read for doctor, written by
 * provision.
 */

#ifndef CEREBRO_CLI_VENDORS_H
#define CEREBRO_CLI_VENDORS_H

#include "cli.h"


/* the parts of a VAPI phone number we look at; pointers into its JSON */
typedef struct {
    const char  *id;
    const char  *number;
    const char  *server_url;
    const char  *secret;            /* server.headers X-Vapi-Secret */
    const char  *assistant_id;
    const char  *fallback;          /* fallbackDestination.number */
} cli_vapi_pn_t;


/* VAPI_PHONE_NUMBER_ID's, or the account's only one; NULL with err. */
cJSON *cli_vapi_phone_number(const cli_conf_t *cf, char *err, size_t errlen);
void cli_vapi_pn_read(cJSON *pn, cli_vapi_pn_t *p);
cJSON *cli_vapi_assistant(const cli_conf_t *cf, const char *id, char *err,
    size_t errlen);

/* method "POST" or "PATCH" on path ("/assistant"); the answer or NULL */
cJSON *cli_vapi_write(const cli_conf_t *cf, const char *method,
    const char *path, cJSON *body, char *err, size_t errlen);
cJSON *cli_vapi_get(const cli_conf_t *cf, const char *path, char *err,
    size_t errlen);


typedef struct {
    const char  *what;              /* "WhatsApp sender", ... */
    char        *sid;
    char        *inbound;
    char        *status;
    int          service;           /* a Messaging Service's */
} cli_twilio_wh_t;


int cli_twilio_account(const cli_conf_t *cf, char *err, size_t errlen);
int cli_twilio_is_sandbox(const char *number);
int cli_twilio_webhooks(const cli_conf_t *cf, cli_twilio_wh_t *wh, char *err,
    size_t errlen);
int cli_twilio_set_webhooks(const cli_conf_t *cf, const cli_twilio_wh_t *wh,
    const char *inbound, const char *status, char *err, size_t errlen);
void cli_twilio_wh_free(cli_twilio_wh_t *wh);

/* 0 usable, 1 not yet (pending), 2 not usable; msg says which */
int cli_twilio_template(const cli_conf_t *cf, char *msg, size_t size);

/* Records in a table's first page: 0, 1 or more; -1 with err. */
int cli_at_count(const cli_conf_t *cf, const char *table, char *err,
    size_t errlen);

#endif /* CEREBRO_CLI_VENDORS_H */
