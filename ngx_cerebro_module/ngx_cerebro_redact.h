
/*
 * Secrets out of the error log, at every level.  nginx's debug log prints
 * every request header ("http header"), every variable a script copies
 * ("http script var") and every request it sends upstream ("http proxy
 * header"): the credentials of the webhooks, of the staff and of the APIs
 * would be in it.  A writer on each error log of the configuration takes
 * them out of a line before it reaches the file (or the writer that was
 * there: syslog, memory).
 */

#ifndef _NGX_CEREBRO_REDACT_H_INCLUDED_
#define _NGX_CEREBRO_REDACT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


#define NGX_CEREBRO_REDACTED  "[redacted]"


/*
 * Installs the writer on every error log of the new cycle (main, http,
 * servers); "secrets" (ngx_str_t) are taken out wherever they appear, and
 * "names" (ngx_str_t, e.g. "Authorization: ", "cerebro_session=") hide
 * whatever value follows them.  Both arrays live as long as the cycle.
 */
ngx_int_t ngx_cerebro_redact_init(ngx_cycle_t *cycle, ngx_array_t *secrets,
    ngx_array_t *names);

/* The same rule on one buffer: the length written to out. */
size_t ngx_cerebro_redact(ngx_array_t *secrets, ngx_array_t *names,
    u_char *in, size_t len, u_char *out, size_t size);


#endif /* _NGX_CEREBRO_REDACT_H_INCLUDED_ */
