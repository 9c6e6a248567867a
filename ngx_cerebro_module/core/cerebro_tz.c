/*
 * TZif reader and POSIX TZ rule evaluator.  Only the 64-bit (v2+) data
 * block is used when present; its footer string covers every instant after
 * the last transition, which is all there is past 2007 in a "slim" file.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerebro_tz.h"


#define TZIF_HEADER_LEN   44
#define TZIF_MAX_FILE     (1024 * 1024)
#define SECS_PER_DAY      86400


static uint32_t be32(const unsigned char *p);
static int64_t be64(const unsigned char *p);
static void set_err(char *err, size_t errlen, const char *msg);
static int valid_zone_name(const char *name);
static const char *posix_name(const char *p);
static const char *posix_time(const char *p, int32_t *secs, int max_hours);
static const char *posix_rule(const char *p, cerebro_tz_rule_t *rule);
static int64_t rule_instant(const cerebro_tz_rule_t *rule, int year,
    int32_t off_before);
static int32_t footer_offset(const cerebro_tz_t *tz, int64_t t, int *isdst);


static uint32_t
be32(const unsigned char *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | (uint32_t) p[3];
}


static int64_t
be64(const unsigned char *p)
{
    return (int64_t) (((uint64_t) be32(p) << 32) | be32(p + 4));
}


static void
set_err(char *err, size_t errlen, const char *msg)
{
    if (err != NULL && errlen > 0) {
        snprintf(err, errlen, "%s", msg);
    }
}


static int
valid_zone_name(const char *name)
{
    const char  *p;

    if (name == NULL || name[0] == '\0' || name[0] == '/'
        || strlen(name) >= CEREBRO_TZ_NAME_LEN || strstr(name, "..") != NULL)
    {
        return 0;
    }

    for (p = name; *p; p++) {
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
              || (*p >= '0' && *p <= '9') || *p == '/' || *p == '_'
              || *p == '-' || *p == '+'))
        {
            return 0;
        }
    }

    return 1;
}


int
cerebro_tz_load(cerebro_tz_t *tz, const char *dir, const char *name,
    char *err, size_t errlen)
{
    int             rc;
    char            path[512], msg[600];
    FILE           *f;
    size_t          len, n;
    unsigned char  *buf;

    if (!valid_zone_name(name)) {
        snprintf(msg, sizeof(msg), "invalid time zone name \"%.64s\"",
                 name ? name : "");
        set_err(err, errlen, msg);
        return -1;
    }

    if (dir == NULL || dir[0] == '\0') {
        dir = CEREBRO_TZ_DEFAULT_DIR;
    }

    if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, name)
        >= sizeof(path))
    {
        set_err(err, errlen, "time zone path too long");
        return -1;
    }

    f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(msg, sizeof(msg), "unknown time zone \"%s\": %s: %s",
                 name, path, strerror(errno));
        set_err(err, errlen, msg);
        return -1;
    }

    buf = malloc(TZIF_MAX_FILE);
    if (buf == NULL) {
        fclose(f);
        set_err(err, errlen, "out of memory");
        return -1;
    }

    len = 0;
    while (len < TZIF_MAX_FILE
           && (n = fread(buf + len, 1, TZIF_MAX_FILE - len, f)) > 0)
    {
        len += n;
    }

    fclose(f);

    rc = cerebro_tz_parse(tz, buf, len, msg, sizeof(msg));
    free(buf);

    if (rc != 0) {
        char  full[700];

        snprintf(full, sizeof(full), "time zone \"%s\": %s", name, msg);
        set_err(err, errlen, full);
        return -1;
    }

    snprintf(tz->name, sizeof(tz->name), "%s", name);

    return 0;
}


int
cerebro_tz_parse(cerebro_tz_t *tz, const unsigned char *data, size_t len,
    char *err, size_t errlen)
{
    int                   version, i, timesize;
    size_t                off, need, end;
    uint32_t              isutcnt, isstdcnt, leapcnt, timecnt, typecnt;
    uint32_t              charcnt;
    const unsigned char  *h, *p;
    char                  footer[128];

    memset(tz, 0, sizeof(*tz));

    if (len < TZIF_HEADER_LEN || memcmp(data, "TZif", 4) != 0) {
        set_err(err, errlen, "not a TZif file");
        return -1;
    }

    version = data[4];
    h = data;
    off = 0;
    timesize = 4;

    for ( ;; ) {
        if (len - off < TZIF_HEADER_LEN || memcmp(h, "TZif", 4) != 0) {
            set_err(err, errlen, "truncated TZif header");
            return -1;
        }

        isutcnt = be32(h + 20);
        isstdcnt = be32(h + 24);
        leapcnt = be32(h + 28);
        timecnt = be32(h + 32);
        typecnt = be32(h + 36);
        charcnt = be32(h + 40);

        if (isutcnt > 1024 || isstdcnt > 1024 || leapcnt > 1024
            || timecnt > 100000 || typecnt > 1024 || charcnt > 65536)
        {
            set_err(err, errlen, "absurd TZif counts");
            return -1;
        }

        need = (size_t) timecnt * (timesize + 1) + (size_t) typecnt * 6
               + charcnt + (size_t) leapcnt * (timesize + 4)
               + isstdcnt + isutcnt;

        if (len - off - TZIF_HEADER_LEN < need) {
            set_err(err, errlen, "truncated TZif data");
            return -1;
        }

        if (timesize == 8 || version < '2') {
            break;
        }

        /* skip the 32-bit block: the 64-bit one follows it */
        off += TZIF_HEADER_LEN + need;
        h = data + off;
        timesize = 8;
    }

    if (leapcnt != 0) {
        set_err(err, errlen, "leap-second (\"right/\") zones not supported");
        return -1;
    }

    if (typecnt == 0 || typecnt > CEREBRO_TZ_MAX_TYPES) {
        set_err(err, errlen, "bad number of local time types");
        return -1;
    }

    if (timecnt > CEREBRO_TZ_MAX_TRANS) {
        set_err(err, errlen, "too many transitions");
        return -1;
    }

    p = h + TZIF_HEADER_LEN;

    for (i = 0; i < (int) timecnt; i++) {
        tz->trans[i] = timesize == 8 ? be64(p) : (int32_t) be32(p);
        p += timesize;

        if (i > 0 && tz->trans[i] <= tz->trans[i - 1]) {
            set_err(err, errlen, "transitions out of order");
            return -1;
        }
    }

    for (i = 0; i < (int) timecnt; i++) {
        if (p[i] >= typecnt) {
            set_err(err, errlen, "transition names an unknown type");
            return -1;
        }

        tz->trans_type[i] = p[i];
    }

    p += timecnt;

    for (i = 0; i < (int) typecnt; i++) {
        tz->types[i].utoff = (int32_t) be32(p);
        tz->types[i].isdst = p[4] != 0;
        p += 6;

        if (tz->types[i].utoff < -25 * 3600
            || tz->types[i].utoff > 26 * 3600)
        {
            set_err(err, errlen, "absurd UT offset");
            return -1;
        }
    }

    tz->ntrans = (int) timecnt;
    tz->ntypes = (int) typecnt;

    if (timesize != 8) {
        return 0;
    }

    /* footer: "\n<POSIX TZ string>\n" right after the 64-bit block */
    off = (size_t) (h - data) + TZIF_HEADER_LEN + need;

    if (off >= len || data[off] != '\n') {
        set_err(err, errlen, "missing TZif footer");
        return -1;
    }

    for (end = off + 1; end < len && data[end] != '\n'; end++) {
        /* find the closing newline */
    }

    if (end >= len || end - off - 1 >= sizeof(footer)) {
        set_err(err, errlen, "bad TZif footer");
        return -1;
    }

    memcpy(footer, data + off + 1, end - off - 1);
    footer[end - off - 1] = '\0';

    if (footer[0] == '\0') {
        return 0;
    }

    {
        cerebro_tz_t  rules;
        char          msg[160];

        if (cerebro_tz_set_posix(&rules, footer, msg, sizeof(msg)) != 0) {
            set_err(err, errlen, msg);
            return -1;
        }

        tz->has_footer = 1;
        tz->footer_has_dst = rules.footer_has_dst;
        tz->std_off = rules.std_off;
        tz->dst_off = rules.dst_off;
        tz->dst_start = rules.dst_start;
        tz->dst_end = rules.dst_end;
    }

    return 0;
}


/* A zone abbreviation: "CET" or a quoted "<-03>"; NULL when malformed. */
static const char *
posix_name(const char *p)
{
    const char  *s;

    if (*p == '<') {
        s = strchr(p, '>');
        return (s != NULL && s - p >= 4) ? s + 1 : NULL;
    }

    for (s = p; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'); s++) {
        /* alphabetic run */
    }

    return s - p >= 3 ? s : NULL;
}


/* [+-]hh[:mm[:ss]] */
static const char *
posix_time(const char *p, int32_t *secs, int max_hours)
{
    int      sign, n, part, v;
    int32_t  total;

    sign = 1;

    if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        p++;
    }

    total = 0;

    for (part = 0; part < 3; part++) {
        if (*p < '0' || *p > '9') {
            return NULL;
        }

        v = 0;
        for (n = 0; *p >= '0' && *p <= '9' && n < 3; n++, p++) {
            v = v * 10 + (*p - '0');
        }

        if ((part == 0 && v > max_hours) || (part > 0 && v > 59)) {
            return NULL;
        }

        total = total * 60 + v;

        if (*p != ':' || part == 2) {
            break;
        }

        p++;
    }

    /* hh alone or hh:mm: scale to seconds */
    for ( ; part < 2; part++) {
        total *= 60;
    }

    *secs = sign * total;

    return p;
}


static const char *
posix_num(const char *p, int *v, int lo, int hi)
{
    int  n, x;

    x = 0;
    for (n = 0; *p >= '0' && *p <= '9' && n < 4; n++, p++) {
        x = x * 10 + (*p - '0');
    }

    if (n == 0 || x < lo || x > hi) {
        return NULL;
    }

    *v = x;

    return p;
}


static const char *
posix_rule(const char *p, cerebro_tz_rule_t *rule)
{
    memset(rule, 0, sizeof(*rule));
    rule->time = 2 * 3600;

    if (*p == 'J') {
        rule->kind = 'J';
        p = posix_num(p + 1, &rule->day, 1, 365);

    } else if (*p == 'M') {
        rule->kind = 'M';
        p = posix_num(p + 1, &rule->month, 1, 12);
        if (p == NULL || *p++ != '.') {
            return NULL;
        }

        p = posix_num(p, &rule->week, 1, 5);
        if (p == NULL || *p++ != '.') {
            return NULL;
        }

        p = posix_num(p, &rule->day, 0, 6);

    } else {
        rule->kind = 'D';
        p = posix_num(p, &rule->day, 0, 365);
    }

    if (p != NULL && *p == '/') {
        /* RFC 8536 3.3.1 extends the rule time to -167..167 hours */
        p = posix_time(p + 1, &rule->time, 167);
    }

    return p;
}


int
cerebro_tz_set_posix(cerebro_tz_t *tz, const char *posix, char *err,
    size_t errlen)
{
    int32_t      off;
    const char  *p;

    memset(tz, 0, sizeof(*tz));

    p = posix_name(posix);
    if (p == NULL || (p = posix_time(p, &off, 24)) == NULL) {
        set_err(err, errlen, "bad POSIX TZ string (standard time)");
        return -1;
    }

    /* POSIX counts hours west of Greenwich; TZif counts seconds east */
    tz->std_off = -off;
    tz->dst_off = tz->std_off + 3600;
    tz->has_footer = 1;
    tz->types[0].utoff = tz->std_off;
    tz->ntypes = 1;

    if (*p == '\0') {
        return 0;
    }

    p = posix_name(p);
    if (p == NULL) {
        set_err(err, errlen, "bad POSIX TZ string (summer time name)");
        return -1;
    }

    if (*p != ',' && *p != '\0') {
        p = posix_time(p, &off, 24);
        if (p == NULL) {
            set_err(err, errlen, "bad POSIX TZ string (summer offset)");
            return -1;
        }

        tz->dst_off = -off;
    }

    tz->footer_has_dst = 1;

    if (*p == '\0') {
        /* POSIX leaves the default rules to the implementation: US ones */
        p = ",M3.2.0,M11.1.0";
    }

    if (*p != ',' || (p = posix_rule(p + 1, &tz->dst_start)) == NULL
        || *p != ',' || (p = posix_rule(p + 1, &tz->dst_end)) == NULL
        || *p != '\0')
    {
        set_err(err, errlen, "bad POSIX TZ string (rules)");
        return -1;
    }

    return 0;
}


static int64_t
rule_instant(const cerebro_tz_rule_t *rule, int year, int32_t off_before)
{
    int      wd1, mdays;
    int64_t  days, first;

    days = cerebro_days_from_civil(year, 1, 1);

    switch (rule->kind) {

    case 'J':
        days += rule->day - 1;
        if (cerebro_is_leap_year(year) && rule->day >= 60) {
            days++;
        }
        break;

    case 'D':
        days += rule->day;
        break;

    default: /* 'M' */
        first = cerebro_days_from_civil(year, rule->month, 1);
        wd1 = (int) (((first + 4) % 7 + 7) % 7);
        days = first + (rule->day - wd1 + 7) % 7 + 7 * (rule->week - 1);
        mdays = cerebro_days_in_month(year, rule->month);

        while (days - first >= mdays) {
            days -= 7;
        }
    }

    return days * SECS_PER_DAY + rule->time - off_before;
}


static int32_t
footer_offset(const cerebro_tz_t *tz, int64_t t, int *isdst)
{
    int             dst;
    int64_t         s, e;
    cerebro_date_t  d;

    dst = 0;

    if (tz->footer_has_dst) {
        cerebro_civil_from_days(cerebro_floor_div(t + tz->std_off,
                                                  SECS_PER_DAY),
                                &d);

        s = rule_instant(&tz->dst_start, d.year, tz->std_off);
        e = rule_instant(&tz->dst_end, d.year, tz->dst_off);

        if (s < e) {
            dst = (t >= s && t < e);

        } else {
            /* southern hemisphere: summer spans the new year */
            dst = !(t >= e && t < s);
        }
    }

    if (isdst != NULL) {
        *isdst = dst;
    }

    return dst ? tz->dst_off : tz->std_off;
}


int32_t
cerebro_tz_offset(const cerebro_tz_t *tz, int64_t t, int *isdst)
{
    int                       lo, hi, mid;
    const cerebro_tz_type_t  *type;

    if (tz->has_footer
        && (tz->ntrans == 0 || t >= tz->trans[tz->ntrans - 1]))
    {
        return footer_offset(tz, t, isdst);
    }

    if (tz->ntrans == 0 || t < tz->trans[0]) {
        /* RFC 8536: before the first transition, type 0 applies */
        type = &tz->types[0];

    } else {
        lo = 0;
        hi = tz->ntrans - 1;

        while (lo < hi) {
            mid = lo + (hi - lo + 1) / 2;

            if (tz->trans[mid] <= t) {
                lo = mid;

            } else {
                hi = mid - 1;
            }
        }

        type = &tz->types[tz->trans_type[lo]];
    }

    if (isdst != NULL) {
        *isdst = type->isdst;
    }

    return type->utoff;
}


void
cerebro_tz_to_local(const cerebro_tz_t *tz, int64_t t, cerebro_local_t *out)
{
    int64_t  lt, days, secs;

    out->utoff = cerebro_tz_offset(tz, t, &out->isdst);

    lt = t + out->utoff;
    days = cerebro_floor_div(lt, SECS_PER_DAY);
    secs = lt - days * SECS_PER_DAY;

    cerebro_civil_from_days(days, &out->date);
    out->minutes = (int) (secs / 60);
    out->seconds = (int) (secs % 60);
    out->wday = (int) (((days + 4) % 7 + 7) % 7);
}


int64_t
cerebro_tz_from_local(const cerebro_tz_t *tz, const cerebro_date_t *date,
    int minutes, int *flags)
{
    int      va, vb;
    int32_t  oa, ob;
    int64_t  l, ta, tb;

    if (flags != NULL) {
        *flags = 0;
    }

    l = cerebro_days_from_civil(date->year, date->month, date->day)
        * SECS_PER_DAY + (int64_t) minutes * 60;

    /*
     * The offsets a day either side bracket any single transition near l;
     * each is a candidate if the instant it yields really has it.
     */
    oa = cerebro_tz_offset(tz, l - SECS_PER_DAY, NULL);
    ob = cerebro_tz_offset(tz, l + SECS_PER_DAY, NULL);

    ta = l - oa;
    tb = l - ob;
    va = cerebro_tz_offset(tz, ta, NULL) == oa;
    vb = cerebro_tz_offset(tz, tb, NULL) == ob;

    if (va && vb) {
        if (ta != tb && flags != NULL) {
            *flags = CEREBRO_TZ_REPEATED;
        }

        return ta < tb ? ta : tb;
    }

    if (va) {
        return ta;
    }

    if (vb) {
        return tb;
    }

    if (flags != NULL) {
        *flags = CEREBRO_TZ_GAP;
    }

    return ta;
}
