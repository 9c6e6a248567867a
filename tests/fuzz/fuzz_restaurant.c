/*
 * The restaurant file is the operator's input: any bytes give a model or a
 * message naming the field, and an accepted model keeps the invariants the
 * engine relies on, so a query on it stays in bounds.
 */

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cerebro_engine.h"
#include "cerebro_restaurant.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                    d, i, s;
    char                   err[256];
    cerebro_answer_t       answer;
    cerebro_request_t      req;
    cerebro_restaurant_t  *r;

    err[0] = '\0';
    r = cerebro_restaurant_load((const char *) data, size, NULL, err,
                                sizeof(err));

    if (r == NULL) {
        /* refused: always with a reason */
        assert(err[0] != '\0');
        assert(memchr(err, '\0', sizeof(err)) != NULL);
        return 0;
    }

    assert(r->ntables >= 0 && r->ntables <= CEREBRO_MAX_TABLES);
    assert(r->ngroups >= 0 && r->ngroups <= CEREBRO_MAX_GROUPS);
    assert(r->nspecial >= 0 && r->nspecial <= CEREBRO_MAX_SPECIAL_DAYS);

    for (i = 0; i < r->ntables; i++) {
        assert(r->tables[i].capacity_min >= 1);
        assert(r->tables[i].capacity_min <= r->tables[i].capacity_max);
    }

    for (d = 0; d < 7; d++) {
        assert(r->week[d].nservices >= 0
               && r->week[d].nservices <= CEREBRO_MAX_SERVICES);

        for (s = 0; s < r->week[d].nservices; s++) {
            assert(r->week[d].services[s].start
                   <= r->week[d].services[s].last_seating);
            assert(r->week[d].services[s].last_seating
                   <= r->week[d].services[s].end);
        }
    }

    /* a query on whatever was accepted answers in bounds */
    memset(&req, 0, sizeof(req));
    req.date.year = 2026;
    req.date.month = 11;
    req.date.day = 28;
    req.minutes = 21 * 60;
    req.party = 4;

    cerebro_engine_query(r, NULL, 0, 1795000000, &req, &answer);
    assert(answer.nalts >= 0 && answer.nalts <= CEREBRO_ENGINE_MAX_ALTS);

    cerebro_restaurant_free(r);

    return 0;
}
