/*
 * The tools a guest's assistant can call, by name: the one list of their
 * names, shared by the rule-based dialogue (core), the tool table
 * (tools/), the schemas the assistants see and the channels that log what
 * a call did.  What each tool does, and whether it writes, is the tool
 * table's (tools/ngx_cerebro_tools.c).
 */

#ifndef CEREBRO_TOOLS_H
#define CEREBRO_TOOLS_H

#include <stddef.h>


typedef enum {
    CEREBRO_TOOL_CHECK = 0,         /* check_availability */
    CEREBRO_TOOL_CREATE,            /* create_reservation */
    CEREBRO_TOOL_FIND,              /* find_reservations */
    CEREBRO_TOOL_MODIFY,            /* modify_reservation */
    CEREBRO_TOOL_CANCEL,            /* cancel_reservation */
    CEREBRO_TOOL_INFO,              /* get_restaurant_info */
    CEREBRO_TOOL_HANDOVER,          /* transfer_to_human */
    CEREBRO_TOOL_WAITLIST,          /* join_waitlist */
    CEREBRO_TOOL_COUNT,
    CEREBRO_TOOL_UNKNOWN = -1
} cerebro_tool_id_t;


/* "check_availability"...; NULL for an id out of range */
const char *cerebro_tool_name(cerebro_tool_id_t id);

/* The id of a name (len bytes, no NUL needed), or CEREBRO_TOOL_UNKNOWN. */
cerebro_tool_id_t cerebro_tool_lookup(const char *name, size_t len);

#endif /* CEREBRO_TOOLS_H */
