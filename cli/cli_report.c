
/*
 * What a person or a machine reads: one line per check with the fix under
 * a failure, or one JSON document with --json; a progress bar on a
 * terminal and plain lines in a log.
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"


struct cli_report_s {
    int      json;
    int      counts[4];
    cJSON   *checks;
};


static const char  *cli_status_words[] = { "ok", "warn", "FAIL", "skip" };


cli_report_t *
cli_report_new(int json)
{
    cli_report_t  *rp;

    rp = calloc(1, sizeof(cli_report_t));
    if (rp == NULL) {
        return NULL;
    }

    rp->json = json;
    rp->checks = cJSON_CreateArray();

    return rp;
}


void
cli_report_free(cli_report_t *rp)
{
    if (rp) {
        cJSON_Delete(rp->checks);
        free(rp);
    }
}


void
cli_check(cli_report_t *rp, cli_status_e st, const char *name,
    const char *fix, const char *fmt, ...)
{
    char      msg[1024];
    cJSON    *c;
    va_list   ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    rp->counts[st]++;

    c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "check", name);
    cJSON_AddStringToObject(c, "status", st == CLI_FAIL ? "fail"
                                         : cli_status_words[st]);
    cJSON_AddStringToObject(c, "message", msg);
    if (fix) {
        cJSON_AddStringToObject(c, "fix", fix);
    }
    cJSON_AddItemToArray(rp->checks, c);

    if (rp->json) {
        return;
    }

    printf("%-5s %s: %s\n", cli_status_words[st], name, msg);

    if (fix && st != CLI_OK) {
        printf("      fix: %s\n", fix);
    }

    fflush(stdout);
}


int
cli_report_fails(const cli_report_t *rp)
{
    return rp->counts[CLI_FAIL];
}


void
cli_report_end(cli_report_t *rp, const char *what)
{
    char   *text;
    cJSON  *doc;

    if (rp->json) {
        doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "command", what);
        cJSON_AddBoolToObject(doc, "ok", rp->counts[CLI_FAIL] == 0);
        cJSON_AddNumberToObject(doc, "fail", rp->counts[CLI_FAIL]);
        cJSON_AddNumberToObject(doc, "warn", rp->counts[CLI_WARN]);
        cJSON_AddNumberToObject(doc, "ok_count", rp->counts[CLI_OK]);
        cJSON_AddItemReferenceToObject(doc, "checks", rp->checks);

        text = cJSON_Print(doc);
        if (text) {
            printf("%s\n", text);
            free(text);
        }

        cJSON_Delete(doc);
        return;
    }

    printf("%s: %d ok, %d warn, %d FAIL\n", what, rp->counts[CLI_OK],
           rp->counts[CLI_WARN], rp->counts[CLI_FAIL]);
}


void
cli_say(cli_report_t *rp, const char *fmt, ...)
{
    va_list  ap;

    if (rp && rp->json) {
        return;
    }

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}


void
cli_progress(const char *what, size_t done, size_t total)
{
    int            i, filled;
    static size_t  last;

    if (!isatty(STDERR_FILENO)) {
        /* a log gets a line per step of a short job, per hundred else */
        if (total <= 20 || done == total || done / 100 != last / 100) {
            fprintf(stderr, "%s: %zu", what, done);
            if (total) {
                fprintf(stderr, " of %zu", total);
            }
            fputc('\n', stderr);
        }
        last = done;
        return;
    }

    filled = total ? (int) (30 * done / total) : 0;

    fprintf(stderr, "\r\033[K%-28.28s [", what);
    for (i = 0; i < 30; i++) {
        fputc(i < filled ? '#' : ' ', stderr);
    }
    fprintf(stderr, "] %zu", done);
    if (total) {
        fprintf(stderr, "/%zu", total);
    }
    fflush(stderr);
}


void
cli_progress_end(const char *what, size_t done)
{
    if (isatty(STDERR_FILENO)) {
        fprintf(stderr, "\r\033[K");
    }

    (void) what;
    (void) done;
}


void
cli_error(const char *fmt, ...)
{
    va_list  ap;

    fputs("cerebro: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
