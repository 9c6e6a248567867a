
/*
 * Prompt templates: {{restaurant}}, {{address}}, {{today}}, {{date_iso}},
 * {{time}} and {{timezone}}, filled per message; {{guest_name}},
 * {{guest_booking}}, {{guest_preferences}} and {{caller}} tell what the caller's number says of
 * them (empty, and "ask the name", until ngx_cerebro_prompt_caller).
 */

#ifndef _NGX_CEREBRO_PROMPT_H_INCLUDED_
#define _NGX_CEREBRO_PROMPT_H_INCLUDED_


#include "ngx_cerebro.h"
#include "ngx_cerebro_caller.h"


#define NGX_CEREBRO_PROMPT_NVARS  10


typedef struct {
    const char  *name;
    char         value[640];
} ngx_cerebro_var_t;


/* The values of now: vars must hold NGX_CEREBRO_PROMPT_NVARS entries. */
void ngx_cerebro_prompt_vars(ngx_http_request_t *r, ngx_cerebro_var_t *vars);

/*
 * The caller's variables from what was found of them; NULL: nothing.
 * written: the guest writes (WhatsApp) rather than calls.
 */
void ngx_cerebro_prompt_caller(ngx_http_request_t *r,
    ngx_cerebro_var_t *vars, const ngx_cerebro_caller_t *caller,
    ngx_uint_t written);

/* tmpl with every {{name}} of vars replaced; NUL-terminated, pool memory. */
char *ngx_cerebro_prompt_render(ngx_http_request_t *r, ngx_str_t *tmpl,
    ngx_cerebro_var_t *vars);


#endif /* _NGX_CEREBRO_PROMPT_H_INCLUDED_ */
