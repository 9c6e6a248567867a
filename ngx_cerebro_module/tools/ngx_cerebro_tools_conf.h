
/*
 * The tools' configuration (tools/ngx_cerebro_tools_conf.c): its own nginx
 * module's main conf, reached with
 * ngx_http_get_module_main_conf(r, ngx_cerebro_tools_module).
 */

#ifndef _NGX_CEREBRO_TOOLS_CONF_H_INCLUDED_
#define _NGX_CEREBRO_TOOLS_CONF_H_INCLUDED_


#include "ngx_cerebro.h"


typedef struct {
    ngx_int_t                  guest_limit;      /* bookings a phone, 24 h */

    /* the WhatsApp agents (ngx_cerebro_agents.c), by NGX_CEREBRO_AGENT_* */
    ngx_str_t                  openai_model;
    ngx_str_t                  agents_dir;
    ngx_str_t                  agent_prompts[4];
} ngx_cerebro_tools_conf_t;


extern ngx_module_t  ngx_cerebro_tools_module;


#endif /* _NGX_CEREBRO_TOOLS_CONF_H_INCLUDED_ */
