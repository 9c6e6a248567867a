/*
 * The tools' names, in the order of cerebro_tool_id_t.
 */

#include <string.h>

#include "cerebro_tools.h"


static const char  *cerebro_tool_names[CEREBRO_TOOL_COUNT] = {
    "check_availability",
    "create_reservation",
    "find_reservations",
    "modify_reservation",
    "cancel_reservation",
    "get_restaurant_info",
    "transfer_to_human",
    "join_waitlist"
};


const char *
cerebro_tool_name(cerebro_tool_id_t id)
{
    if (id < 0 || id >= CEREBRO_TOOL_COUNT) {
        return NULL;
    }

    return cerebro_tool_names[id];
}


cerebro_tool_id_t
cerebro_tool_lookup(const char *name, size_t len)
{
    int  i;

    if (name == NULL) {
        return CEREBRO_TOOL_UNKNOWN;
    }

    for (i = 0; i < CEREBRO_TOOL_COUNT; i++) {
        if (strlen(cerebro_tool_names[i]) == len
            && memcmp(cerebro_tool_names[i], name, len) == 0)
        {
            return (cerebro_tool_id_t) i;
        }
    }

    return CEREBRO_TOOL_UNKNOWN;
}
