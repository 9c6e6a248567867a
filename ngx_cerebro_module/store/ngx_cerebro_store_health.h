
/*
 * Whether this host's store can serve, for /health: what the backends
 * learnt from their last answers, kept in a small shared-memory zone so
 * that every worker's /health tells the same.
 *
 *   ok        the last operation was served (or none ran yet)
 *   degraded  a transient fault: Airtable retrying or paused after a 429,
 *             the database busy; it ends by itself, or after
 *             NGX_CEREBRO_HEALTH_DEGRADED_FOR ms without another
 *   down      the store cannot serve until somebody acts: the file cannot
 *             be opened or written, the credentials or the base refused;
 *             it lasts until an operation is served again
 */

#ifndef _NGX_CEREBRO_STORE_HEALTH_H_INCLUDED_
#define _NGX_CEREBRO_STORE_HEALTH_H_INCLUDED_


#include "ngx_cerebro_store.h"
#include "cerebro_records.h"


#define NGX_CEREBRO_HEALTH_DEGRADED_FOR  60000
#define NGX_CEREBRO_HEALTH_REASON_LEN    192


typedef enum {
    NGX_CEREBRO_HEALTH_OK = 0,
    NGX_CEREBRO_HEALTH_DEGRADED,
    NGX_CEREBRO_HEALTH_DOWN
} ngx_cerebro_health_e;


/* The zone "cerebro_health"; from the store layer's init. */
ngx_int_t ngx_cerebro_store_health_init_conf(ngx_conf_t *cf,
    ngx_cerebro_store_conf_t *scf);

/*
 * What one backend operation's outcome says: broken is down, unavailable
 * and rate limited are degraded, anything else (found or not, refused by
 * the rules) is a store that serves.
 */
void ngx_cerebro_store_health_outcome(ngx_cerebro_store_conf_t *scf,
    const cerebro_store_error_t *e);

void ngx_cerebro_store_health_note(ngx_cerebro_store_conf_t *scf,
    ngx_cerebro_health_e state, const char *reason);

/* The state now; reason (NUL-terminated, size len) filled unless ok. */
ngx_cerebro_health_e ngx_cerebro_store_health(ngx_http_request_t *r,
    u_char *reason, size_t len);

/* "ok", "degraded", "down" */
const char *ngx_cerebro_store_health_name(ngx_cerebro_health_e state);


#endif /* _NGX_CEREBRO_STORE_HEALTH_H_INCLUDED_ */
