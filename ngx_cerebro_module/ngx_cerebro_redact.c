
/*
 * The error log's redacting writer (see ngx_cerebro_redact.h).
 */

#include "ngx_cerebro.h"
#include "ngx_cerebro_redact.h"


typedef struct ngx_cerebro_redact_ctx_s  ngx_cerebro_redact_ctx_t;

struct ngx_cerebro_redact_ctx_s {
    ngx_array_t               *secrets;
    ngx_array_t               *names;
    ngx_log_t                 *log;
    ngx_log_writer_pt          writer;   /* the one it had, or NULL */
    void                      *wdata;
    ngx_cerebro_redact_ctx_t  *next;
};


static ngx_int_t ngx_cerebro_redact_log(ngx_cycle_t *cycle, ngx_log_t *log,
    ngx_array_t *secrets, ngx_array_t *names,
    ngx_cerebro_redact_ctx_t **list);
static void ngx_cerebro_redact_writer(ngx_log_t *log, ngx_uint_t level,
    u_char *buf, size_t len);
static size_t ngx_cerebro_redact_value(u_char *p, u_char *last);
static void ngx_cerebro_redact_cleanup(void *data);


ngx_int_t
ngx_cerebro_redact_init(ngx_cycle_t *cycle, ngx_array_t *secrets,
    ngx_array_t *names)
{
    ngx_uint_t                  s;
    ngx_http_core_srv_conf_t  **cscfp;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_core_main_conf_t  *cmcf;

    ngx_pool_cleanup_t         *cln;
    ngx_cerebro_redact_ctx_t  **list;

    /*
     * The writer is this module's code: the logs get theirs back before
     * nginx unloads the module with the cycle's pool (its cleanups run
     * newest first, and load_module's is older).
     */
    cln = ngx_pool_cleanup_add(cycle->pool,
                               sizeof(ngx_cerebro_redact_ctx_t *));
    if (cln == NULL) {
        return NGX_ERROR;
    }

    list = cln->data;
    *list = NULL;
    cln->handler = ngx_cerebro_redact_cleanup;

    if (ngx_cerebro_redact_log(cycle, &cycle->new_log, secrets, names, list)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_core_module);
    if (cmcf == NULL) {
        return NGX_OK;
    }

    /*
     * A connection's log is a copy of its server's or location's error
     * log, writer included; an error_log of a location of its own is not
     * reached here (the shipped configuration has none).
     */
    cscfp = cmcf->servers.elts;

    for (s = 0; s < cmcf->servers.nelts; s++) {
        clcf = cscfp[s]->ctx->loc_conf[ngx_http_core_module.ctx_index];

        if (ngx_cerebro_redact_log(cycle, clcf->error_log, secrets, names,
                                   list)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_redact_log(ngx_cycle_t *cycle, ngx_log_t *log,
    ngx_array_t *secrets, ngx_array_t *names, ngx_cerebro_redact_ctx_t **list)
{
    ngx_log_t                 *last, *tail, *file;
    ngx_cerebro_redact_ctx_t  *ctx;

    last = NULL;
    file = NULL;

    for ( /* void */ ; log; log = log->next) {

        last = log;

        if (log->writer == ngx_cerebro_redact_writer
            || (log->writer == NULL && log->log_level == NGX_LOG_STDERR
                && log->next == NULL))
        {
            continue;
        }

        if (file == NULL && log->writer == NULL) {
            file = log;
        }

        ctx = ngx_palloc(cycle->pool, sizeof(ngx_cerebro_redact_ctx_t));
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        ctx->secrets = secrets;
        ctx->names = names;
        ctx->log = log;
        ctx->writer = log->writer;
        ctx->wdata = log->wdata;
        ctx->next = *list;
        *list = ctx;

        log->writer = ngx_cerebro_redact_writer;
        log->wdata = ctx;
    }

    if (file == NULL) {
        return NGX_OK;
    }

    /*
     * nginx looks for the first log without a writer to redirect stderr
     * to and to log a worker's exit with: one more, at the end of the
     * chain, whose level lets no message reach it (only debug_connection
     * goes past the levels).
     */
    tail = ngx_palloc(cycle->pool, sizeof(ngx_log_t));
    if (tail == NULL) {
        return NGX_ERROR;
    }

    *tail = *file;
    tail->writer = NULL;
    tail->wdata = NULL;
    tail->log_level = NGX_LOG_STDERR;
    tail->next = NULL;
    last->next = tail;

    return NGX_OK;
}


static void
ngx_cerebro_redact_writer(ngx_log_t *log, ngx_uint_t level, u_char *buf,
    size_t len)
{
    size_t                     n;
    ngx_log_t                  orig;
    ngx_cerebro_redact_ctx_t  *ctx;
    u_char                     out[NGX_MAX_ERROR_STR];

    ctx = log->wdata;

    n = ngx_cerebro_redact(ctx->secrets, ctx->names, buf, len, out,
                           sizeof(out));

    if (ctx->writer) {
        orig = *log;
        orig.writer = ctx->writer;
        orig.wdata = ctx->wdata;
        ctx->writer(&orig, level, out, n);
        return;
    }

    if (ngx_time() == log->disk_full_time) {
        return;
    }

    if (ngx_write_fd(log->file->fd, out, n) == -1
        && ngx_errno == NGX_ENOSPC)
    {
        log->disk_full_time = ngx_time();
    }
}


size_t
ngx_cerebro_redact(ngx_array_t *secrets, ngx_array_t *names, u_char *in,
    size_t len, u_char *out, size_t size)
{
    u_char      *p, *last, *o, *end;
    size_t       n, k, skip;
    ngx_str_t   *s, *nm;
    ngx_uint_t   i;

    static u_char  redacted[] = NGX_CEREBRO_REDACTED;

    p = in;
    last = in + len;
    o = out;
    end = out + size;

    s = secrets ? secrets->elts : NULL;
    nm = names ? names->elts : NULL;

    while (p < last && o < end) {

        skip = 0;

        for (i = 0; nm && i < names->nelts; i++) {
            n = nm[i].len;

            if ((size_t) (last - p) >= n
                && ngx_strncasecmp(p, nm[i].data, n) == 0)
            {
                k = ngx_min(n, (size_t) (end - o));
                o = ngx_cpymem(o, p, k);
                p += n;
                skip = ngx_cerebro_redact_value(p, last);
                break;
            }
        }

        if (nm && i < names->nelts) {
            if (skip) {
                k = ngx_min(sizeof(redacted) - 1, (size_t) (end - o));
                o = ngx_cpymem(o, redacted, k);
                p += skip;
            }

            continue;
        }

        for (i = 0; s && i < secrets->nelts; i++) {
            n = ngx_min(s[i].len, (size_t) (last - p));

            /* a line cut at NGX_MAX_ERROR_STR may end inside a secret */
            if (n && ngx_memcmp(p, s[i].data, n) == 0
                && (n == s[i].len || p + n == last))
            {
                skip = n;
                break;
            }
        }

        if (skip) {
            k = ngx_min(sizeof(redacted) - 1, (size_t) (end - o));
            o = ngx_cpymem(o, redacted, k);
            p += skip;
            continue;
        }

        *o++ = *p++;
    }

    /* the line's end, even when the redaction made it longer */
    if (len && in[len - 1] == LF && o > out && o[-1] != LF) {
        o[-1] = LF;
    }

    return o - out;
}


/* A header's or a cookie's value: up to a quote, a separator or the line */
static size_t
ngx_cerebro_redact_value(u_char *p, u_char *last)
{
    u_char  *start;

    start = p;

    while (p < last && *p != '"' && *p != ';' && *p != CR && *p != LF
           && *p != ',')
    {
        p++;
    }

    return p - start;
}


static void
ngx_cerebro_redact_cleanup(void *data)
{
    ngx_cerebro_redact_ctx_t  **list = data;

    ngx_cerebro_redact_ctx_t  *ctx;

    for (ctx = *list; ctx; ctx = ctx->next) {
        ctx->log->writer = ctx->writer;
        ctx->log->wdata = ctx->wdata;
    }
}
