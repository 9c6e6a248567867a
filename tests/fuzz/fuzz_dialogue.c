/*
 * A guest's WhatsApp text, any bytes, through the rule-based dialogue over
 * several messages: the state stays in range, what it says back is one
 * terminated line, and the state survives its JSON round trip.
 */

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cerebro_dialogue.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t               start, i, n;
    cJSON               *json;
    cerebro_date_t       today = { 2026, 11, 27 };
    cerebro_dlg_step_t   step;
    cerebro_dlg_state_t  st, back;

    memset(&st, 0, sizeof(st));

    /* a newline separates the guest's messages */
    for (start = 0, i = 0; i <= size; i++) {
        if (i < size && data[i] != '\n') {
            continue;
        }

        n = i - start;

        (void) cerebro_dlg_step(&st, (const char *) data + start, n, &today,
                                "En Las Nubes", &step);

        assert(memchr(step.text, '\0', sizeof(step.text)) != NULL);
        assert(st.party >= 0 && st.party <= CEREBRO_DLG_MAX_PARTY);
        assert(memchr(st.name, '\0', sizeof(st.name)) != NULL);
        assert(memchr(st.date, '\0', sizeof(st.date)) != NULL);
        assert(memchr(st.time, '\0', sizeof(st.time)) != NULL);

        if (step.action == CEREBRO_DLG_TOOL) {
            char  reply[CEREBRO_DLG_TEXT_LEN];

            assert(step.tool != NULL);

            /* a table found: the read-back, then the guest's next words */
            (void) cerebro_dlg_after_tool(&st, &step, "Sí, hay mesa.",
                                          step.tool_id == CEREBRO_TOOL_CREATE,
                                          &today, reply, sizeof(reply));
            assert(memchr(reply, '\0', sizeof(reply)) != NULL);
        }

        cJSON_Delete(step.args);
        assert(memchr(st.prefs, '\0', sizeof(st.prefs)) != NULL);

        json = cerebro_dlg_state_to_json(&st);
        memset(&back, 0, sizeof(back));
        cerebro_dlg_state_from_json(&back, json);
        cJSON_Delete(json);

        assert(back.party == st.party);
        assert(strcmp(back.name, st.name) == 0);
        assert(strcmp(back.date, st.date) == 0);
        assert(back.confirming == st.confirming);
        assert(strcmp(back.prefs, st.prefs) == 0);

        start = i + 1;
    }

    return 0;
}
