
/*
 * One HTTPS request at a time through libcurl's easy interface.  Airtable
 * requests are paced at 5 per second (the limit per base) and a 429 is
 * waited out before one more try, as the module does.  Credentials go in
 * headers only, never in a message: curl's error buffer names the host,
 * not the request.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>

#include <curl/curl.h>

#include "cli.h"


#define CLI_AT_RATE      5          /* requests per second per base */
#define CLI_AT_TRIES     3


unsigned  cli_http_writes;

static const cli_conf_t  *cli_http_conf;
static CURL              *cli_curl;
static double             cli_at_sent[CLI_AT_RATE];
static int                cli_at_next;          /* the slot to reuse */


static double cli_now(void);
static void cli_sleep(double seconds);
static void cli_at_pace(void);
static size_t cli_collect(char *data, size_t size, size_t n, void *arg);
static int cli_http_once(const cli_req_t *req, cli_resp_t *resp);


int
cli_http_init(const cli_conf_t *cf)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        return -1;
    }

    cli_curl = curl_easy_init();
    cli_http_conf = cf;

    return cli_curl ? 0 : -1;
}


void
cli_http_cleanup(void)
{
    if (cli_curl) {
        curl_easy_cleanup(cli_curl);
        cli_curl = NULL;
    }

    curl_global_cleanup();
}


static double
cli_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static void
cli_sleep(double seconds)
{
    struct timespec  ts;

    if (seconds <= 0) {
        return;
    }

    ts.tv_sec = (time_t) seconds;
    ts.tv_nsec = (long) ((seconds - ts.tv_sec) * 1e9);

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        /* void */
    }
}


/*
 * At most CLI_AT_RATE requests in any second: the sixth waits until the
 * first is a second old (plus a margin for the other side's clock).  The
 * times are kept in a file per base, so that commands run one after the
 * other share the budget: a 429 would pause the base for 30 s, for the
 * running module too.
 */
static void
cli_at_pace(void)
{
    int      fd;
    char     path[512];
    double   sent[CLI_AT_RATE], oldest, now;
    ssize_t  n;

    fd = -1;

    if (cli_http_conf->airtable_base) {
        snprintf(path, sizeof(path), "%s/cerebro-airtable-%s.pace",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
                 cli_http_conf->airtable_base);
        fd = open(path, O_RDWR | O_CREAT, 0600);
    }

    if (fd >= 0 && flock(fd, LOCK_EX) == 0) {
        memset(sent, 0, sizeof(sent));
        n = pread(fd, sent, sizeof(sent), 0);
        if (n == (ssize_t) sizeof(sent)) {
            memcpy(cli_at_sent, sent, sizeof(sent));
        }
    }

    /* the oldest of the last CLI_AT_RATE, wall clock: shared by processes */
    oldest = cli_at_sent[0];
    for (cli_at_next = 0, n = 1; n < CLI_AT_RATE; n++) {
        if (cli_at_sent[n] < oldest) {
            oldest = cli_at_sent[n];
            cli_at_next = n;
        }
    }

    now = cli_now();

    if (oldest > 0 && now - oldest < 1.05 && now >= oldest) {
        cli_sleep(1.05 - (now - oldest));
    }

    cli_at_sent[cli_at_next] = cli_now();

    if (fd >= 0) {
        if (pwrite(fd, cli_at_sent, sizeof(cli_at_sent), 0)
            != (ssize_t) sizeof(cli_at_sent))
        {
            /* the next command paces alone: a 429 is waited out anyway */
        }

        close(fd);                      /* and the lock with it */
    }
}


static size_t
cli_collect(char *data, size_t size, size_t n, void *arg)
{
    char        *p;
    cli_resp_t  *resp = arg;

    p = realloc(resp->body, resp->len + size * n + 1);
    if (p == NULL) {
        return 0;
    }

    memcpy(p + resp->len, data, size * n);
    resp->body = p;
    resp->len += size * n;
    resp->body[resp->len] = '\0';

    return size * n;
}


int
cli_http(const cli_req_t *req, cli_resp_t *resp)
{
    int   tries, rc;

    for (tries = 1; ; tries++) {
        if (req->airtable) {
            cli_at_pace();
        }

        rc = cli_http_once(req, resp);

        if (rc != 0 || tries >= CLI_AT_TRIES) {
            return rc;
        }

        if (req->airtable && resp->status == 429) {
            /* the base is paused for 30 s: another request restarts it */
            cli_sleep(cli_http_conf->airtable_pause);

        } else if (strcmp(req->method, "GET") == 0
                   && (resp->status == 500 || resp->status == 502
                       || resp->status == 503))
        {
            cli_sleep(tries);

        } else {
            return 0;
        }

        cli_resp_free(resp);
    }
}


static int
cli_http_once(const cli_req_t *req, cli_resp_t *resp)
{
    char                cerr[CURL_ERROR_SIZE], ct[128], *auth;
    size_t              n;
    CURLcode            rc;
    struct curl_slist  *headers;

    memset(resp, 0, sizeof(cli_resp_t));
    headers = NULL;
    auth = NULL;
    cerr[0] = '\0';

    curl_easy_reset(cli_curl);
    curl_easy_setopt(cli_curl, CURLOPT_URL, req->url);
    curl_easy_setopt(cli_curl, CURLOPT_CUSTOMREQUEST, req->method);
    curl_easy_setopt(cli_curl, CURLOPT_TIMEOUT,
                     req->timeout ? req->timeout : 20L);
    curl_easy_setopt(cli_curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(cli_curl, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(cli_curl, CURLOPT_WRITEFUNCTION, cli_collect);
    curl_easy_setopt(cli_curl, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(cli_curl, CURLOPT_USERAGENT, "cerebro/" CEREBRO_VERSION);
    curl_easy_setopt(cli_curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(cli_curl, CURLOPT_PROTOCOLS_STR, "http,https");

    if (cli_http_conf->ca_file) {
        curl_easy_setopt(cli_curl, CURLOPT_CAINFO, cli_http_conf->ca_file);
    }

    if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(cli_curl, CURLOPT_NOBODY, 1L);
    }

    if (req->auth == CLI_AUTH_BEARER && req->secret) {
        n = sizeof("Authorization: Bearer ") + strlen(req->secret);
        auth = malloc(n);
        if (auth == NULL) {
            return -1;
        }
        snprintf(auth, n, "Authorization: Bearer %s", req->secret);
        headers = curl_slist_append(headers, auth);

    } else if (req->auth == CLI_AUTH_BASIC && req->user && req->secret) {
        curl_easy_setopt(cli_curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(cli_curl, CURLOPT_USERNAME, req->user);
        curl_easy_setopt(cli_curl, CURLOPT_PASSWORD, req->secret);
    }

    if (req->header) {
        headers = curl_slist_append(headers, req->header);
    }

    if (req->body) {
        snprintf(ct, sizeof(ct), "Content-Type: %s",
                 req->content_type ? req->content_type : "application/json");
        headers = curl_slist_append(headers, ct);
        curl_easy_setopt(cli_curl, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(cli_curl, CURLOPT_POSTFIELDSIZE,
                         (long) strlen(req->body));
    }

    /* no "Expect: 100-continue" round trip for a small body */
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(cli_curl, CURLOPT_HTTPHEADER, headers);

    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        cli_http_writes++;
    }

    rc = curl_easy_perform(cli_curl);

    curl_slist_free_all(headers);
    if (auth) {
        /* the token lived in this buffer: leave nothing behind */
        memset(auth, 0, strlen(auth));
        free(auth);
    }

    if (rc != CURLE_OK) {
        snprintf(resp->error, sizeof(resp->error), "%s",
                 cerr[0] ? cerr : curl_easy_strerror(rc));
        n = strlen(resp->error);
        while (n && (resp->error[n - 1] == '\n' || resp->error[n - 1] == '.'))
        {
            resp->error[--n] = '\0';
        }
        return -1;
    }

    curl_easy_getinfo(cli_curl, CURLINFO_RESPONSE_CODE, &resp->status);

    if (resp->body) {
        resp->json = cJSON_Parse(resp->body);
    }

    return 0;
}


void
cli_resp_free(cli_resp_t *resp)
{
    free(resp->body);
    cJSON_Delete(resp->json);
    memset(resp, 0, sizeof(cli_resp_t));
}


char *
cli_escape(const char *s)
{
    char  *e, *out;

    e = curl_easy_escape(cli_curl, s, 0);
    if (e == NULL) {
        return NULL;
    }

    out = strdup(e);
    curl_free(e);

    return out;
}


/*
 * Airtable: {"error":"X"} or {"error":{"type","message"}} or
 * {"errors":[...]}; VAPI: {"message": "..." or [...], "error": "..."};
 * Twilio: {"code","message"}; OpenAI: {"error":{"message"}}.
 */
void
cli_api_error(const cli_resp_t *resp, char *buf, size_t size)
{
    cJSON  *e, *m, *t;

    buf[0] = '\0';

    if (resp->json == NULL) {
        return;
    }

    e = cJSON_GetObjectItemCaseSensitive(resp->json, "error");
    if (e == NULL) {
        e = cJSON_GetObjectItemCaseSensitive(resp->json, "errors");
        if (cJSON_IsArray(e)) {
            e = cJSON_GetArrayItem(e, 0);
        }
    }

    m = cJSON_GetObjectItemCaseSensitive(resp->json, "message");
    if (cJSON_IsArray(m)) {
        m = cJSON_GetArrayItem(m, 0);
    }

    if (cJSON_IsString(e) && cJSON_IsString(m)) {
        snprintf(buf, size, "%s: %s", e->valuestring, m->valuestring);
        return;
    }

    if (cJSON_IsString(m)) {
        snprintf(buf, size, "%s", m->valuestring);
        return;
    }

    if (cJSON_IsString(e)) {
        snprintf(buf, size, "%s", e->valuestring);
        return;
    }

    if (cJSON_IsObject(e)) {
        t = cJSON_GetObjectItemCaseSensitive(e, "type");
        if (t == NULL) {
            t = cJSON_GetObjectItemCaseSensitive(e, "error");
        }
        m = cJSON_GetObjectItemCaseSensitive(e, "message");

        snprintf(buf, size, "%s%s%s",
                 cJSON_IsString(t) ? t->valuestring : "",
                 cJSON_IsString(t) && cJSON_IsString(m) ? ": " : "",
                 cJSON_IsString(m) ? m->valuestring : "");
    }
}
