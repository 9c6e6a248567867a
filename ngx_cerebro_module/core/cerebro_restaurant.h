/*
 * The restaurant model: opening hours, tables, combinable groups, turn
 * times, pacing and booking window, loaded from JSON (conf/restaurant.json
 * or the store) and validated with errors that name the offending field.
 *
 * One allocation per model (plus its info strings); cerebro_restaurant_free
 * releases everything, so the nginx glue frees it from a pool cleanup.
 */

#ifndef CEREBRO_RESTAURANT_H
#define CEREBRO_RESTAURANT_H

#include <stddef.h>
#include <stdint.h>

#include "cerebro_civil.h"
#include "cerebro_tz.h"


/* Table sets are 64-bit masks, so a model holds at most 64 tables. */
#define CEREBRO_MAX_TABLES         64
#define CEREBRO_MAX_GROUPS         32
#define CEREBRO_MAX_GROUP_TABLES   8
#define CEREBRO_MAX_SERVICES       4     /* per day */
#define CEREBRO_MAX_SPECIAL_DAYS   64    /* closures + special hours */
#define CEREBRO_MAX_TURNS          8
#define CEREBRO_MAX_INFO           16
#define CEREBRO_MAX_PARTY          64    /* absurd above this */
#define CEREBRO_NAME_LEN           32
#define CEREBRO_TEXT_LEN           160

#define CEREBRO_SLOT_MINUTES       15


typedef struct {
    char      name[CEREBRO_NAME_LEN];   /* "comida", "cena" */
    int       start;            /* minutes since the day's midnight */
    int       end;              /* > start; over 1440 past midnight */
    int       last_seating;     /* start <= last_seating <= end */
} cerebro_service_t;


typedef struct {
    int                nservices;
    cerebro_service_t  services[CEREBRO_MAX_SERVICES];
} cerebro_day_hours_t;


typedef struct {
    cerebro_date_t       date;
    int                  closed;
    cerebro_day_hours_t  hours;          /* when not closed */
    char                 note[CEREBRO_TEXT_LEN];   /* "Navidad" */
} cerebro_special_day_t;


typedef struct {
    char      name[CEREBRO_NAME_LEN];
    int       capacity_min;
    int       capacity_max;
    char      location[CEREBRO_NAME_LEN];   /* "sala", "terraza" */
} cerebro_table_t;


typedef struct {
    char      name[CEREBRO_NAME_LEN];
    int       capacity_min;
    int       capacity_max;
    int       ntables;
    char      members[CEREBRO_MAX_GROUP_TABLES][CEREBRO_NAME_LEN];
    /* resolved against the current table list; 0 when a member is gone */
    int       active;
    int       tables[CEREBRO_MAX_GROUP_TABLES];
    uint64_t  mask;
    char      location[CEREBRO_NAME_LEN];  /* "" when tables differ */
} cerebro_group_t;


typedef struct {
    int       max_party;
    int       minutes;
} cerebro_turn_t;


typedef struct {
    char      key[CEREBRO_NAME_LEN];
    char     *value;            /* malloc'd */
} cerebro_info_t;


typedef struct {
    char                   name[CEREBRO_TEXT_LEN];
    char                   address[CEREBRO_TEXT_LEN];
    char                   phone[CEREBRO_NAME_LEN];
    /* the calling code a national number of a guest belongs to: "34" */
    char                   country_code[4];
    char                   timezone[CEREBRO_TZ_NAME_LEN];
    cerebro_tz_t           tz;

    int                    ninfo;
    cerebro_info_t         info[CEREBRO_MAX_INFO];

    cerebro_day_hours_t    week[7];         /* 0 = Sunday */

    int                    nspecial;
    cerebro_special_day_t  special[CEREBRO_MAX_SPECIAL_DAYS];

    int                    ntables;
    cerebro_table_t        tables[CEREBRO_MAX_TABLES];
    int                    ngroups;
    cerebro_group_t        groups[CEREBRO_MAX_GROUPS];

    int                    default_turn;    /* minutes */
    int                    nturns;
    cerebro_turn_t         turns[CEREBRO_MAX_TURNS];  /* by max_party */
    int                    turn_by_party[CEREBRO_MAX_PARTY + 1];
    int                    max_turn;        /* longest of all */

    int                    pacing_covers;   /* per 15 min; 0 = no limit */
    int                    min_lead_minutes;
    int                    max_days_ahead;
    int                    max_party;       /* above: hand-over */
} cerebro_restaurant_t;


/*
 * Parses and validates; zoneinfo_dir NULL means the system default.
 * Returns NULL with a message such as
 * `services.friday[1].end: expected "HH:MM"` in err.
 */
cerebro_restaurant_t *cerebro_restaurant_load(const char *json, size_t len,
    const char *zoneinfo_dir, char *err, size_t errlen);

void cerebro_restaurant_free(cerebro_restaurant_t *r);

/*
 * Replaces the table list (the Airtable "Mesas" table, say).  Groups are
 * re-resolved by member name; a group that names a missing table becomes
 * inactive.  Returns the number of inactive groups, or -1 with err (the
 * model is left unchanged then).
 */
int cerebro_restaurant_set_tables(cerebro_restaurant_t *r,
    const cerebro_table_t *tables, int ntables, char *err, size_t errlen);

/*
 * Tables from JSON: an array of {name, capacity_min, capacity_max,
 * location} or an Airtable answer {"records":[{"fields":{...}}]}.
 * Returns the count, or -1 with err naming the field.
 */
int cerebro_restaurant_tables_from_json(const char *json, size_t len,
    cerebro_table_t *out, int max, char *err, size_t errlen);

/*
 * The hours of a date, closures and special hours applied.  Returns NULL
 * when closed that day; *special (may be NULL) is set to the special day
 * entry when one applies.
 */
const cerebro_day_hours_t *cerebro_restaurant_hours(
    const cerebro_restaurant_t *r, const cerebro_date_t *date,
    const cerebro_special_day_t **special);

int cerebro_restaurant_turn(const cerebro_restaurant_t *r, int party);

const char *cerebro_restaurant_info(const cerebro_restaurant_t *r,
    const char *key);

int cerebro_restaurant_table_index(const cerebro_restaurant_t *r,
    const char *name);
int cerebro_restaurant_group_index(const cerebro_restaurant_t *r,
    const char *name);

#endif /* CEREBRO_RESTAURANT_H */
