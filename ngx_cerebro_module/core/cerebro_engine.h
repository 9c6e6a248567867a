/*
 * Availability and alternatives.  Pure: the caller hands in the model, the
 * bookings of the days concerned, "now" and the request; the answer goes
 * into a fixed-size struct, with no allocation.
 *
 * Tables are 64-bit masks (bit i = model->tables[i]): a booking holds a
 * mask, a group is a mask, and "a booked group blocks its tables, a booked
 * table blocks its groups" is one AND.
 */

#ifndef CEREBRO_ENGINE_H
#define CEREBRO_ENGINE_H

#include <stdint.h>

#include "cerebro_civil.h"
#include "cerebro_restaurant.h"


#define CEREBRO_ENGINE_SAME_DAY_ALTS    3
#define CEREBRO_ENGINE_NEXT_DAY_ALTS    3
#define CEREBRO_ENGINE_MAX_ALTS         (CEREBRO_ENGINE_SAME_DAY_ALTS \
                                         + CEREBRO_ENGINE_NEXT_DAY_ALTS)
/* how many following days are tried for "the same time another day" */
#define CEREBRO_ENGINE_NEXT_DAY_SEARCH  14


typedef enum {
    CEREBRO_BOOKING_ACTIVE = 0,
    CEREBRO_BOOKING_CANCELLED
} cerebro_booking_status_t;


typedef struct {
    int64_t   start;        /* UTC seconds */
    int64_t   end;          /* UTC seconds; 0 = start + turn time */
    int       party;
    uint64_t  tables;       /* held tables; 0 = unassigned (pacing only) */
    int       status;       /* cerebro_booking_status_t */
} cerebro_booking_t;


typedef struct {
    cerebro_date_t  date;       /* local civil date */
    int             minutes;    /* local minutes since midnight, 0..1439 */
    int             party;
    const char     *location;   /* preference; NULL or "" for none */
} cerebro_request_t;


typedef enum {
    CEREBRO_AVAIL_OK = 0,
    CEREBRO_AVAIL_CLOSED,       /* closed day, closure, or outside hours */
    CEREBRO_AVAIL_FULL,         /* no table free, or pacing reached */
    CEREBRO_AVAIL_TOO_LARGE,    /* above max_party: hand over to a person */
    CEREBRO_AVAIL_TOO_SOON,     /* inside the minimum lead time */
    CEREBRO_AVAIL_TOO_FAR,      /* beyond max_days_ahead */
    CEREBRO_AVAIL_PAST,
    CEREBRO_AVAIL_INVALID       /* bad date, time or party size */
} cerebro_reason_t;


typedef struct {
    cerebro_date_t  date;       /* local civil date of the start */
    int             minutes;    /* local minutes since that midnight */
    int64_t         start;      /* UTC */
    int64_t         end;        /* UTC, start + turn time */
    int             table;      /* index, or -1 when a group */
    int             group;      /* index, or -1 when a single table */
    uint64_t        tables;     /* mask held */
    int             seats;      /* capacity_max of the choice */
    int             location_match;   /* preference met (1 if none) */
    const char     *name;       /* table or group name, in the model */
    const char     *location;   /* "" for a group spanning locations */
    const char     *service;    /* "comida", "cena" */
} cerebro_slot_t;


typedef struct {
    cerebro_reason_t              reason;
    int                           day_closed;  /* CLOSED: the whole day */
    const cerebro_special_day_t  *special;     /* closure/holiday entry */
    cerebro_slot_t                slot;        /* when reason == OK */
    int                           nsame;       /* alts on the asked day */
    int                           nalts;       /* same day first, by time */
    cerebro_slot_t                alts[CEREBRO_ENGINE_MAX_ALTS];
} cerebro_answer_t;


/*
 * The asked slot, or why not and the alternatives: up to three nearest
 * feasible times on the asked day (its service, or every service when the
 * time is outside hours), then the same time on the following days.
 * Cancelled bookings are ignored.  To move a booking, leave it out of the
 * list (or mark it cancelled) so that it does not block itself.
 */
void cerebro_engine_query(const cerebro_restaurant_t *r,
    const cerebro_booking_t *bookings, int nbookings, int64_t now,
    const cerebro_request_t *req, cerebro_answer_t *out);

int64_t cerebro_engine_booking_end(const cerebro_restaurant_t *r,
    const cerebro_booking_t *b);

/*
 * A booking's `table` field ("T4", a group name, or "T3+T4") -> mask and
 * indices (idx may be NULL).  Returns the number of tables, or -1 when a
 * name is unknown.
 */
int cerebro_engine_tables_for_name(const cerebro_restaurant_t *r,
    const char *name, uint64_t *mask, int *idx, int max);

/*
 * "las nueve": minutes_am (taken modulo 12 hours) or 12 hours later,
 * whichever falls in a service of that day (start..last seating, then
 * start..end); the later one when both or neither do, since a restaurant
 * is asked about lunch and dinner far more than about breakfast.
 * Returns minutes since midnight, or -1 for a bad argument.
 */
int cerebro_engine_resolve_hour(const cerebro_restaurant_t *r,
    const cerebro_date_t *date, int minutes_am);

/* "cancelled", "canceled", "cancelada", "anulada"... -> CANCELLED */
int cerebro_booking_status_from_string(const char *s);

const char *cerebro_reason_name(cerebro_reason_t reason);

#endif /* CEREBRO_ENGINE_H */
