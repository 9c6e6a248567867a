/*
 * Time zone conversion from the system tz database (TZif, RFC 8536).
 *
 * The zone file is read once, at load time, into a self-contained struct;
 * every conversion afterwards is a pure function of that struct.  Nothing
 * here touches TZ, tzset() or localtime(): those are process-global state,
 * and an nginx worker serves several configurations over its life.
 */

#ifndef CEREBRO_TZ_H
#define CEREBRO_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "cerebro_civil.h"


#define CEREBRO_TZ_DEFAULT_DIR   "/usr/share/zoneinfo"

/* Fat files carry transitions up to 2037; the busiest zones have ~250. */
#define CEREBRO_TZ_MAX_TRANS     1200
#define CEREBRO_TZ_MAX_TYPES     64
#define CEREBRO_TZ_NAME_LEN      64

/* Flags reported by cerebro_tz_from_local(). */
#define CEREBRO_TZ_GAP           0x01  /* non-existent local time, shifted */
#define CEREBRO_TZ_REPEATED      0x02  /* repeated local time, first taken */


typedef struct {
    int32_t   utoff;        /* seconds east of UTC */
    int       isdst;
} cerebro_tz_type_t;


/* One rule of a POSIX TZ string: Jn, n or Mm.w.d, plus a local time. */
typedef struct {
    int       kind;         /* 'J', 'D' (zero-based day) or 'M' */
    int       day;          /* J: 1..365, D: 0..365, M: weekday 0..6 */
    int       month;        /* M only */
    int       week;         /* M only, 1..5 (5 = last) */
    int32_t   time;         /* seconds after local midnight, may be <0 */
} cerebro_tz_rule_t;


typedef struct {
    char               name[CEREBRO_TZ_NAME_LEN];

    int                ntrans;
    int64_t            trans[CEREBRO_TZ_MAX_TRANS];
    uint8_t            trans_type[CEREBRO_TZ_MAX_TRANS];

    int                ntypes;
    cerebro_tz_type_t  types[CEREBRO_TZ_MAX_TYPES];

    /* The footer, used past the last transition (and alone, if slim). */
    int                has_footer;
    int                footer_has_dst;
    int32_t            std_off;       /* seconds east of UTC */
    int32_t            dst_off;
    cerebro_tz_rule_t  dst_start;
    cerebro_tz_rule_t  dst_end;
} cerebro_tz_t;


/* A UTC instant seen on the restaurant's wall clock. */
typedef struct {
    cerebro_date_t     date;
    int                minutes;       /* 0..1439 since local midnight */
    int                seconds;       /* 0..59 */
    int                wday;          /* 0 = Sunday */
    int32_t            utoff;         /* seconds east of UTC */
    int                isdst;
} cerebro_local_t;


/*
 * Reads <dir>/<name> (dir NULL means CEREBRO_TZ_DEFAULT_DIR).  The name
 * must look like an IANA name ("Europe/Madrid"): no "..", no leading "/".
 * Returns 0, or -1 with a message in err.
 */
int cerebro_tz_load(cerebro_tz_t *tz, const char *dir, const char *name,
    char *err, size_t errlen);

/* Parses a TZif image already in memory (tests, embedded zones). */
int cerebro_tz_parse(cerebro_tz_t *tz, const unsigned char *data,
    size_t len, char *err, size_t errlen);

/* A zone from a POSIX TZ string alone, e.g. "CET-1CEST,M3.5.0,M10.5.0/3". */
int cerebro_tz_set_posix(cerebro_tz_t *tz, const char *posix,
    char *err, size_t errlen);

/* Offset from UTC in force at instant t (seconds east). */
int32_t cerebro_tz_offset(const cerebro_tz_t *tz, int64_t t, int *isdst);

void cerebro_tz_to_local(const cerebro_tz_t *tz, int64_t t,
    cerebro_local_t *out);

/*
 * Local civil date + minutes since midnight (0..1439; larger values roll
 * over into the following days) -> UTC instant.
 *
 * A repeated local time (autumn) is read as its first occurrence, in
 * summer time.  A non-existent local time (spring) is read with the offset
 * in force before the gap, which moves it forward by the gap's length:
 * 02:30 on the last Sunday of March in Madrid is 03:30 CEST.  This is what
 * POSIX mktime() does too.  flags (may be NULL) gets CEREBRO_TZ_GAP or
 * CEREBRO_TZ_REPEATED.
 */
int64_t cerebro_tz_from_local(const cerebro_tz_t *tz,
    const cerebro_date_t *date, int minutes, int *flags);

#endif /* CEREBRO_TZ_H */
