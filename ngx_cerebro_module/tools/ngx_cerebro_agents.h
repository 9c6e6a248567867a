
/*
 * The WhatsApp orchestrator on OpenAI chat completions: a router agent
 * classifies the message (book, change, cancel, ask, human, other) and a
 * specialist agent — reservations with the booking tools, information
 * with the FAQ tool, hand-over — answers it through a bounded tool loop.
 * Any failure of OpenAI (quota, credentials, 5xx, timeouts, a rate limit
 * that does not clear within the deadline) hands the message to the
 * rule-based dialogue: the guest always gets an answer.
 */

#ifndef _NGX_CEREBRO_AGENTS_H_INCLUDED_
#define _NGX_CEREBRO_AGENTS_H_INCLUDED_


#include "ngx_cerebro.h"
#include "ngx_cerebro_tools_conf.h"
#include "ngx_cerebro_dialogue.h"


#define NGX_CEREBRO_AGENT_ROUTER        0
#define NGX_CEREBRO_AGENT_RESERVATIONS  1
#define NGX_CEREBRO_AGENT_INFORMATION   2
#define NGX_CEREBRO_AGENT_HANDOVER      3
#define NGX_CEREBRO_NAGENTS             4

/* tool rounds of a specialist before it must answer */
#define NGX_CEREBRO_AGENT_MAX_ROUNDS    5


/*
 * Configuration time: reads <cerebro_agents_dir>/{router,reservations,
 * information,handover}.md (a missing file: the built-in prompt, with a
 * warning) and sets the model's default.  Their {{placeholders}} are
 * those of ngx_cerebro_prompt.h, filled per message.
 */
ngx_int_t ngx_cerebro_agents_init_conf(ngx_conf_t *cf,
    ngx_cerebro_tools_conf_t *tcf);

/* Starts the agents; done() runs later from the event loop, once. */
ngx_int_t ngx_cerebro_agents_start(ngx_cerebro_brain_t *brain);

#endif /* _NGX_CEREBRO_AGENTS_H_INCLUDED_ */
