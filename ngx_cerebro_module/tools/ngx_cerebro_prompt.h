
/*
 * Prompt templates: {{restaurant}}, {{address}}, {{today}}, {{date_iso}},
 * {{time}} and {{timezone}}, filled per message.
 */

#ifndef _NGX_CEREBRO_PROMPT_H_INCLUDED_
#define _NGX_CEREBRO_PROMPT_H_INCLUDED_


#include "ngx_cerebro.h"


#define NGX_CEREBRO_PROMPT_NVARS  6


typedef struct {
    const char  *name;
    char         value[160];
} ngx_cerebro_var_t;


/* The values of now: vars must hold NGX_CEREBRO_PROMPT_NVARS entries. */
void ngx_cerebro_prompt_vars(ngx_http_request_t *r, ngx_cerebro_var_t *vars);

/* tmpl with every {{name}} of vars replaced; NUL-terminated, pool memory. */
char *ngx_cerebro_prompt_render(ngx_http_request_t *r, ngx_str_t *tmpl,
    ngx_cerebro_var_t *vars);


#endif /* _NGX_CEREBRO_PROMPT_H_INCLUDED_ */
