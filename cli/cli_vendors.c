
/*
 * VAPI (Bearer VAPI_API_KEY, JSON) and Twilio (Basic AccountSid:AuthToken;
 * the Senders API takes JSON, the older resources take forms).
 *
 * A WhatsApp sender's webhooks live on the sender itself (Senders API,
 * messaging.twilio.com/v2/Channels/Senders: webhook.callback_url and
 * webhook.status_callback_url).  IncomingPhoneNumbers' SmsUrl is for SMS
 * and is not consulted for WhatsApp.  When the sender belongs to a
 * Messaging Service (TWILIO_MESSAGING_SERVICE_SID), the service's
 * InboundRequestUrl and StatusCallback win, unless the service is set to
 * use the sender's own webhook.
 */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli_vendors.h"
#include "cerebro_phone.h"


#define CLI_SANDBOX  "+14155238886"


static char *cli_cat(const char *a, const char *b, const char *c);
static cJSON *cli_vapi_do(const cli_conf_t *cf, const char *method,
    const char *path, cJSON *body, long *status, char *err, size_t errlen);
static const char *cli_str(cJSON *o, const char *name);
static int cli_same_number(const char *a, const char *b);


static char *
cli_cat(const char *a, const char *b, const char *c)
{
    char    *s;
    size_t   n;

    n = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 1;
    s = malloc(n);
    if (s) {
        snprintf(s, n, "%s%s%s", a, b, c ? c : "");
    }

    return s;
}


static const char *
cli_str(cJSON *o, const char *name)
{
    cJSON  *v;

    v = cJSON_GetObjectItemCaseSensitive(o, name);

    return (cJSON_IsString(v) && v->valuestring[0]) ? v->valuestring : NULL;
}


/* ---- VAPI ---------------------------------------------------------------- */

static cJSON *
cli_vapi_do(const cli_conf_t *cf, const char *method, const char *path,
    cJSON *body, long *status, char *err, size_t errlen)
{
    char        *url, *text, api[256];
    cJSON       *out;
    cli_req_t    req;
    cli_resp_t   resp;

    url = cli_cat(cf->vapi_url, path, NULL);
    text = body ? cJSON_PrintUnformatted(body) : NULL;

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.url = url;
    req.auth = CLI_AUTH_BEARER;
    req.secret = cf->vapi_key;
    req.body = text;

    if (cli_http(&req, &resp) != 0) {
        snprintf(err, errlen, "cannot reach VAPI at %s (%s): check "
                 "VAPI_API_URL and the network", cf->vapi_url, resp.error);
        free(url);
        free(text);
        return NULL;
    }

    free(url);
    free(text);
    *status = resp.status;

    if (resp.status >= 200 && resp.status < 300 && resp.json) {
        out = resp.json;
        resp.json = NULL;
        cli_resp_free(&resp);
        return out;
    }

    cli_api_error(&resp, api, sizeof(api));

    if (resp.status == 401) {
        snprintf(err, errlen, "VAPI refused the key (401): set VAPI_API_KEY "
                 "to the private key of dashboard.vapi.ai > Organization "
                 "> API Keys (not the public one)");
    } else {
        snprintf(err, errlen, "VAPI answered %ld to %s %s%s%s",
                 resp.status, method, path, api[0] ? ": " : "", api);
    }

    cli_resp_free(&resp);

    return NULL;
}


cJSON *
cli_vapi_get(const cli_conf_t *cf, const char *path, char *err,
    size_t errlen)
{
    long  status;

    return cli_vapi_do(cf, "GET", path, NULL, &status, err, errlen);
}


cJSON *
cli_vapi_write(const cli_conf_t *cf, const char *method, const char *path,
    cJSON *body, char *err, size_t errlen)
{
    long  status;

    return cli_vapi_do(cf, method, path, body, &status, err, errlen);
}


cJSON *
cli_vapi_phone_number(const cli_conf_t *cf, char *err, size_t errlen)
{
    int     i, n;
    char   *path, list[512];
    cJSON  *all, *pn;
    long    status;

    if (cf->vapi_phone_id) {
        path = cli_cat("/phone-number/", cf->vapi_phone_id, NULL);
        pn = cli_vapi_do(cf, "GET", path, NULL, &status, err, errlen);
        free(path);

        if (pn == NULL && status == 404) {
            snprintf(err, errlen, "VAPI has no phone number %s: set "
                     "VAPI_PHONE_NUMBER_ID to one of the dashboard's Phone "
                     "Numbers", cf->vapi_phone_id);
        }

        return pn;
    }

    all = cli_vapi_do(cf, "GET", "/phone-number", NULL, &status, err,
                      errlen);
    if (all == NULL) {
        return NULL;
    }

    n = cJSON_IsArray(all) ? cJSON_GetArraySize(all) : 0;

    if (n == 1) {
        pn = cJSON_DetachItemFromArray(all, 0);
        cJSON_Delete(all);
        return pn;
    }

    if (n == 0) {
        snprintf(err, errlen, "the VAPI account has no phone number: buy or "
                 "import one in dashboard.vapi.ai > Phone Numbers");
        cJSON_Delete(all);
        return NULL;
    }

    list[0] = '\0';
    for (i = 0; i < n && strlen(list) < sizeof(list) - 80; i++) {
        pn = cJSON_GetArrayItem(all, i);
        snprintf(list + strlen(list), sizeof(list) - strlen(list),
                 "%s%s (%s)", i ? ", " : "",
                 cli_str(pn, "id") ? cli_str(pn, "id") : "?",
                 cli_str(pn, "number") ? cli_str(pn, "number") : "no number");
    }

    snprintf(err, errlen, "the VAPI account has %d phone numbers: set "
             "VAPI_PHONE_NUMBER_ID to the restaurant's, one of %s", n, list);
    cJSON_Delete(all);

    return NULL;
}


void
cli_vapi_pn_read(cJSON *pn, cli_vapi_pn_t *p)
{
    cJSON  *server, *headers, *h, *fb;

    memset(p, 0, sizeof(cli_vapi_pn_t));

    p->id = cli_str(pn, "id");
    p->number = cli_str(pn, "number");
    if (p->number == NULL) {
        p->number = cli_str(pn, "sipUri");
    }
    if (p->id == NULL) {
        p->id = "?";
    }
    if (p->number == NULL) {
        p->number = "(no number)";
    }

    p->assistant_id = cli_str(pn, "assistantId");

    server = cJSON_GetObjectItemCaseSensitive(pn, "server");
    p->server_url = cli_str(server, "url");
    if (p->server_url == NULL) {
        p->server_url = cli_str(pn, "serverUrl");       /* the older DTO */
    }

    headers = cJSON_GetObjectItemCaseSensitive(server, "headers");
    cJSON_ArrayForEach(h, headers) {
        if (h->string && strcasecmp(h->string, "X-Vapi-Secret") == 0
            && cJSON_IsString(h))
        {
            p->secret = h->valuestring;
        }
    }

    if (p->secret == NULL) {
        p->secret = cli_str(pn, "serverUrlSecret");
    }

    fb = cJSON_GetObjectItemCaseSensitive(pn, "fallbackDestination");
    p->fallback = cli_str(fb, "number");
    if (p->fallback == NULL) {
        p->fallback = cli_str(fb, "sipUri");
    }
}


cJSON *
cli_vapi_assistant(const cli_conf_t *cf, const char *id, char *err,
    size_t errlen)
{
    char   *path;
    long    status;
    cJSON  *a;

    path = cli_cat("/assistant/", id, NULL);
    a = cli_vapi_do(cf, "GET", path, NULL, &status, err, errlen);
    free(path);

    if (a == NULL && status == 404) {
        snprintf(err, errlen, "VAPI has no assistant %s: unset "
                 "VAPI_ASSISTANT_ID, or run cerebro provision vapi "
                 "--assistant", id);
    }

    return a;
}


/* ---- Twilio -------------------------------------------------------------- */

static int
cli_twilio_do(const cli_conf_t *cf, const char *method, const char *url,
    const char *ctype, const char *body, cli_resp_t *resp, char *err,
    size_t errlen)
{
    char       api[256];
    cli_req_t  req;

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.url = url;
    req.auth = CLI_AUTH_BASIC;
    req.user = cf->twilio_sid;
    req.secret = cf->twilio_token;
    req.content_type = ctype;
    req.body = body;

    if (cli_http(&req, resp) != 0) {
        snprintf(err, errlen, "cannot reach Twilio (%s): check "
                 "TWILIO_API_URL and the network", resp->error);
        return -1;
    }

    if (resp->status >= 200 && resp->status < 300) {
        return 0;
    }

    cli_api_error(resp, api, sizeof(api));

    if (resp->status == 401) {
        snprintf(err, errlen, "Twilio refused the account SID or auth token "
                 "(401): copy both from console.twilio.com > Account "
                 "Info");
    } else {
        snprintf(err, errlen, "Twilio answered %ld to %s %s%s%s",
                 resp->status, method, url, api[0] ? ": " : "", api);
    }

    return -1;
}


int
cli_twilio_account(const cli_conf_t *cf, char *err, size_t errlen)
{
    int          rc;
    char        *url;
    cli_resp_t   resp;

    if (cf->twilio_sid == NULL || cf->twilio_token == NULL) {
        snprintf(err, errlen, "set both TWILIO_ACCOUNT_SID and "
                 "TWILIO_AUTH_TOKEN: nginx refuses one without the other");
        return -1;
    }

    url = malloc(strlen(cf->twilio_url) + strlen(cf->twilio_sid) + 32);
    sprintf(url, "%s/2010-04-01/Accounts/%s.json", cf->twilio_url,
            cf->twilio_sid);

    rc = cli_twilio_do(cf, "GET", url, NULL, NULL, &resp, err, errlen);

    cli_resp_free(&resp);
    free(url);

    return rc;
}


int
cli_twilio_is_sandbox(const char *number)
{
    return strcmp(number, "whatsapp:" CLI_SANDBOX) == 0
           || strcmp(number, CLI_SANDBOX) == 0;
}


/* "whatsapp:+34 600..." and "+34600..." are the same number */
static int
cli_same_number(const char *a, const char *b)
{
    char  x[CEREBRO_PHONE_E164_SIZE], y[CEREBRO_PHONE_E164_SIZE];

    if (a == NULL || b == NULL
        || cerebro_phone_normalize(a, strlen(a), "34", x, sizeof(x), NULL)
           != CEREBRO_PHONE_OK
        || cerebro_phone_normalize(b, strlen(b), "34", y, sizeof(y), NULL)
           != CEREBRO_PHONE_OK)
    {
        return 0;
    }

    return strcmp(x, y) == 0;
}


static char *
cli_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}


int
cli_twilio_webhooks(const cli_conf_t *cf, cli_twilio_wh_t *wh, char *err,
    size_t errlen)
{
    int          i, n;
    char        *url;
    cJSON       *list, *s, *w, *v;
    cli_resp_t   resp;

    memset(wh, 0, sizeof(cli_twilio_wh_t));

    if (cf->twilio_service_sid) {
        url = cli_cat(cf->twilio_messaging_url, "/v1/Services/",
                      cf->twilio_service_sid);

        if (cli_twilio_do(cf, "GET", url, NULL, NULL, &resp, err, errlen)
            != 0)
        {
            if (resp.status == 404) {
                snprintf(err, errlen, "Twilio has no Messaging Service %s: "
                         "fix TWILIO_MESSAGING_SERVICE_SID or unset it",
                         cf->twilio_service_sid);
            }
            cli_resp_free(&resp);
            free(url);
            return -1;
        }

        free(url);
        v = cJSON_GetObjectItemCaseSensitive(resp.json,
                                             "use_inbound_webhook_on_number");

        if (!cJSON_IsTrue(v)) {
            wh->what = "Messaging Service";
            wh->service = 1;
            wh->sid = cli_dup(cf->twilio_service_sid);
            wh->inbound = cli_dup(cli_str(resp.json, "inbound_request_url"));
            wh->status = cli_dup(cli_str(resp.json, "status_callback"));
            cli_resp_free(&resp);
            return 0;
        }

        /* the service defers to the sender's own webhook */
        cli_resp_free(&resp);
    }

    url = cli_cat(cf->twilio_messaging_url,
                  "/v2/Channels/Senders?Channel=whatsapp&PageSize=100", NULL);

    if (cli_twilio_do(cf, "GET", url, NULL, NULL, &resp, err, errlen) != 0) {
        cli_resp_free(&resp);
        free(url);
        return -1;
    }

    free(url);
    list = cJSON_GetObjectItemCaseSensitive(resp.json, "senders");
    n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;

    for (i = 0; i < n; i++) {
        s = cJSON_GetArrayItem(list, i);

        if (!cli_same_number(cli_str(s, "sender_id"), cf->twilio_number)) {
            continue;
        }

        w = cJSON_GetObjectItemCaseSensitive(s, "webhook");
        wh->what = "WhatsApp sender";
        wh->sid = cli_dup(cli_str(s, "sid"));
        wh->inbound = cli_dup(cli_str(w, "callback_url"));
        wh->status = cli_dup(cli_str(w, "status_callback_url"));
        cli_resp_free(&resp);

        return wh->sid ? 0 : -1;
    }

    snprintf(err, errlen, "%s is not a WhatsApp sender of account %s: "
             "register it in console.twilio.com > Messaging > Senders > "
             "WhatsApp senders, or fix TWILIO_WHATSAPP_NUMBER",
             cf->twilio_number, cf->twilio_sid);
    cli_resp_free(&resp);

    return -1;
}


int
cli_twilio_set_webhooks(const cli_conf_t *cf, const cli_twilio_wh_t *wh,
    const char *inbound, const char *status, char *err, size_t errlen)
{
    int          rc;
    char        *url, *body, *a, *b;
    cJSON       *doc, *w;
    size_t       n;
    cli_resp_t   resp;

    if (wh->service) {
        url = cli_cat(cf->twilio_messaging_url, "/v1/Services/", wh->sid);
        a = cli_escape(inbound);
        b = cli_escape(status);
        n = strlen(a) + strlen(b) + 128;
        body = malloc(n);
        snprintf(body, n, "InboundRequestUrl=%s&InboundMethod=POST&"
                 "StatusCallback=%s&UseInboundWebhookOnNumber=false", a, b);
        free(a);
        free(b);

        rc = cli_twilio_do(cf, "POST", url,
                           "application/x-www-form-urlencoded", body, &resp,
                           err, errlen);

    } else {
        url = cli_cat(cf->twilio_messaging_url, "/v2/Channels/Senders/",
                      wh->sid);
        doc = cJSON_CreateObject();
        w = cJSON_AddObjectToObject(doc, "webhook");
        cJSON_AddStringToObject(w, "callback_url", inbound);
        cJSON_AddStringToObject(w, "callback_method", "POST");
        cJSON_AddStringToObject(w, "status_callback_url", status);
        cJSON_AddStringToObject(w, "status_callback_method", "POST");
        body = cJSON_PrintUnformatted(doc);
        cJSON_Delete(doc);

        rc = cli_twilio_do(cf, "POST", url, "application/json", body, &resp,
                           err, errlen);
    }

    cli_resp_free(&resp);
    free(body);
    free(url);

    return rc;
}


void
cli_twilio_wh_free(cli_twilio_wh_t *wh)
{
    free(wh->sid);
    free(wh->inbound);
    free(wh->status);
    memset(wh, 0, sizeof(cli_twilio_wh_t));
}


/*
 * The module sends {"1": "<text>"} to cerebro_whatsapp_template: the
 * template's body must use {{1}} and nothing else, not at its start or end
 * (WhatsApp refuses that: 63040), and WhatsApp must have approved it.
 */
int
cli_twilio_template(const cli_conf_t *cf, char *msg, size_t size)
{
    int          i, rc;
    char        *url, err[CLI_ERR_LEN], *p;
    size_t       len;
    cJSON       *types, *t, *wa;
    const char  *body, *sid, *status, *reason;
    cli_resp_t   resp;

    sid = cf->template_sid;

    for (i = 0; sid[i]; i++) {
        if (i >= 2 && !isxdigit((unsigned char) sid[i])) {
            break;
        }
    }

    if (strncmp(sid, "HX", 2) != 0 || i != 34 || sid[i] != '\0') {
        snprintf(msg, size, "template %s is not a Content SID (HX and 32 "
                 "hex digits): copy it from console.twilio.com > Messaging "
                 "> Content Template Builder", sid);
        return 2;
    }

    if (cf->twilio_sid == NULL || cf->twilio_token == NULL) {
        snprintf(msg, size, "template %s has the right form; set the Twilio "
                 "credentials to check it is approved", sid);
        return 1;
    }

    url = cli_cat(cf->twilio_content_url, "/v1/Content/", sid);
    rc = cli_twilio_do(cf, "GET", url, NULL, NULL, &resp, err, sizeof(err));
    free(url);

    if (rc != 0) {
        snprintf(msg, size, "%s", resp.status == 404
                 ? "Twilio has no such template: fix "
                   "CEREBRO_WHATSAPP_TEMPLATE (cerebro_whatsapp_template)"
                 : err);
        cli_resp_free(&resp);
        return 2;
    }

    /* the text of twilio/text, or of the first type that has a body */
    body = NULL;
    types = cJSON_GetObjectItemCaseSensitive(resp.json, "types");
    cJSON_ArrayForEach(t, types) {
        if (cli_str(t, "body")) {
            body = cli_str(t, "body");
            break;
        }
    }

    if (body == NULL) {
        snprintf(msg, size, "template %s has no text body: make it a text "
                 "template holding {{1}}", sid);
        cli_resp_free(&resp);
        return 2;
    }

    len = strlen(body);
    p = strstr(body, "{{");

    if (strstr(body, "{{1}}") == NULL) {
        snprintf(msg, size, "template %s does not use {{1}}, where the "
                 "module puts its words: edit the template", sid);
        rc = 2;

    } else if (p && strstr(p + 2, "{{") && strstr(body, "{{2}}")) {
        snprintf(msg, size, "template %s has more variables than {{1}}: the "
                 "module fills only {{1}}", sid);
        rc = 2;

    } else if (strncmp(body, "{{", 2) == 0
               || (len >= 2 && strcmp(body + len - 2, "}}") == 0))
    {
        snprintf(msg, size, "template %s starts or ends with {{1}}, which "
                 "WhatsApp refuses (63040): put words before and after it",
                 sid);
        rc = 2;

    } else {
        rc = 0;
    }

    cli_resp_free(&resp);

    if (rc != 0) {
        return rc;
    }

    url = cli_cat(cf->twilio_content_url, "/v1/Content/", sid);
    p = cli_cat(url, "/ApprovalRequests", NULL);
    free(url);
    rc = cli_twilio_do(cf, "GET", p, NULL, NULL, &resp, err, sizeof(err));
    free(p);

    if (rc != 0) {
        snprintf(msg, size, "%s", err);
        cli_resp_free(&resp);
        return 2;
    }

    wa = cJSON_GetObjectItemCaseSensitive(resp.json, "whatsapp");
    status = cli_str(wa, "status");
    reason = cli_str(wa, "rejection_reason");

    if (status && strcmp(status, "approved") == 0) {
        snprintf(msg, size, "template %s is approved by WhatsApp and uses "
                 "{{1}}", sid);
        rc = 0;

    } else if (status && (strcmp(status, "rejected") == 0
                          || strcmp(status, "paused") == 0
                          || strcmp(status, "disabled") == 0))
    {
        snprintf(msg, size, "WhatsApp %s template %s%s%s: edit it and "
                 "submit it again", status, sid, reason ? ": " : "",
                 reason ? reason : "");
        rc = 2;

    } else {
        snprintf(msg, size, "template %s is %s, not approved yet: submit it "
                 "for WhatsApp approval, or wait for it",
                 sid, status ? status : "not submitted");
        rc = 1;
    }

    cli_resp_free(&resp);

    return rc;
}


/* ---- Airtable: is a table empty ----------------------------------------- */

int
cli_at_count(const cli_conf_t *cf, const char *table, char *err,
    size_t errlen)
{
    int          n;
    char        *t, *url;
    cJSON       *recs;
    cli_req_t    req;
    cli_resp_t   resp;

    t = cli_escape(table);
    url = malloc(strlen(cf->airtable_url) + strlen(cf->airtable_base)
                 + strlen(t) + 32);
    sprintf(url, "%s/v0/%s/%s?pageSize=2", cf->airtable_url,
            cf->airtable_base, t);
    free(t);

    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.url = url;
    req.auth = CLI_AUTH_BEARER;
    req.secret = cf->airtable_key;
    req.airtable = 1;

    n = -1;

    if (cli_http(&req, &resp) != 0) {
        snprintf(err, errlen, "cannot reach Airtable: %s", resp.error);

    } else {
        recs = cJSON_GetObjectItemCaseSensitive(resp.json, "records");
        if (resp.status == 200 && cJSON_IsArray(recs)) {
            n = cJSON_GetArraySize(recs);
        } else {
            snprintf(err, errlen, "Airtable answered %ld reading %s",
                     resp.status, table);
        }
    }

    cli_resp_free(&resp);
    free(url);

    return n;
}
