
/*
 * The staff's login (channels/ngx_cerebro_auth.c, a module of its own in
 * the same .so): accounts, the signed session cookie, the CSRF token, the
 * staff API token, the rate limit on logins, and the token that only the
 * module's own jobs poke carries.  Loopback is no credential.
 */

#ifndef _NGX_CEREBRO_AUTH_H_INCLUDED_
#define _NGX_CEREBRO_AUTH_H_INCLUDED_


#include "ngx_cerebro.h"


#define NGX_CEREBRO_JOBS_HEADER  "X-Cerebro-Jobs"


extern ngx_module_t  ngx_cerebro_auth_module;


/* The request is for a location under "cerebro_staff_auth on". */
ngx_flag_t ngx_cerebro_auth_is_staff(ngx_http_request_t *r);

/* The header line the jobs poke sends: "X-Cerebro-Jobs: <token>\r\n". */
ngx_str_t *ngx_cerebro_auth_jobs_line(ngx_cycle_t *cycle);

/*
 * A change sent by a page of this site: Origin, when the browser sends
 * it, this host's, PUBLIC_URL's or one of ALLOWED_ORIGINS; Sec-Fetch-Site,
 * when sent, same-origin.  NGX_OK or NGX_DECLINED.
 */
ngx_int_t ngx_cerebro_auth_same_site(ngx_http_request_t *r);

/* NGX_OK when the request carries this cycle's jobs token. */
ngx_int_t ngx_cerebro_auth_jobs_check(ngx_http_request_t *r);


#endif /* _NGX_CEREBRO_AUTH_H_INCLUDED_ */
