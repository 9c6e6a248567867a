/*
 * Restaurant model from JSON.  Every error carries the JSON path of the
 * field at fault, because the person reading it is editing that file (or
 * an Airtable row) and needs to know exactly where to look.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "cerebro_restaurant.h"


#define PATH_LEN  128


typedef struct {
    char    *err;
    size_t   errlen;
} load_ctx_t;


static const char  *weekday_en[] = {
    "sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday"
};

static const char  *weekday_es_plain[] = {
    "domingo", "lunes", "martes", "miercoles", "jueves", "viernes", "sabado"
};


static int fail(load_ctx_t *ctx, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int weekday_from_name(const char *s);
static int parse_hhmm(const char *s, int *minutes);
static int parse_iso_date(const char *s, cerebro_date_t *d);
static int get_string(load_ctx_t *ctx, const cJSON *obj, const char *key,
    const char *path, char *out, size_t outlen, int required);
static int get_int(load_ctx_t *ctx, const cJSON *obj, const char *key,
    const char *path, int lo, int hi, int *out, int required);
static int get_time(load_ctx_t *ctx, const cJSON *obj, const char *key,
    const char *path, int *out, int required);
static int parse_hours(load_ctx_t *ctx, const cJSON *arr, const char *path,
    int default_turn, cerebro_day_hours_t *hours);
static int parse_table(load_ctx_t *ctx, const cJSON *obj, const char *path,
    cerebro_table_t *t, int airtable);
static int check_tables(load_ctx_t *ctx, const cerebro_table_t *tables,
    int n, const char *path);
static void resolve_groups(cerebro_restaurant_t *r);
static int parse_model(load_ctx_t *ctx, cerebro_restaurant_t *r,
    const cJSON *root, const char *zoneinfo_dir);


static int
fail(load_ctx_t *ctx, const char *path, const char *fmt, ...)
{
    int      n;
    va_list  ap;

    if (ctx->err == NULL || ctx->errlen == 0) {
        return -1;
    }

    n = snprintf(ctx->err, ctx->errlen, "%s: ", path);

    if (n >= 0 && (size_t) n < ctx->errlen) {
        va_start(ap, fmt);
        vsnprintf(ctx->err + n, ctx->errlen - n, fmt, ap);
        va_end(ap);
    }

    return -1;
}


static int
weekday_from_name(const char *s)
{
    int  i;

    for (i = 0; i < 7; i++) {
        if (strcasecmp(s, weekday_en[i]) == 0
            || strcasecmp(s, weekday_es_plain[i]) == 0)
        {
            return i;
        }
    }

    /* the accented spellings, as a Spanish speaker writes them */
    if (strcmp(s, "miércoles") == 0) {
        return 3;
    }

    if (strcmp(s, "sábado") == 0) {
        return 6;
    }

    return -1;
}


static int
parse_hhmm(const char *s, int *minutes)
{
    int  h, m;

    if (strlen(s) != 5 || s[2] != ':'
        || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9'
        || s[3] < '0' || s[3] > '9' || s[4] < '0' || s[4] > '9')
    {
        return -1;
    }

    h = (s[0] - '0') * 10 + (s[1] - '0');
    m = (s[3] - '0') * 10 + (s[4] - '0');

    if (h > 23 || m > 59) {
        return -1;
    }

    *minutes = h * 60 + m;

    return 0;
}


static int
parse_iso_date(const char *s, cerebro_date_t *d)
{
    int  i;

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') {
        return -1;
    }

    for (i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) {
            return -1;
        }
    }

    d->year = atoi(s);
    d->month = atoi(s + 5);
    d->day = atoi(s + 8);

    return cerebro_date_valid(d) ? 0 : -1;
}


static int
get_string(load_ctx_t *ctx, const cJSON *obj, const char *key,
    const char *path, char *out, size_t outlen, int required)
{
    char          p[PATH_LEN];
    const cJSON  *v;

    snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", key);
    v = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (v == NULL || cJSON_IsNull(v)) {
        if (required) {
            return fail(ctx, p, "missing");
        }

        return 0;
    }

    if (!cJSON_IsString(v) || (required && v->valuestring[0] == '\0')) {
        return fail(ctx, p, "expected a non-empty string");
    }

    if (strlen(v->valuestring) >= outlen) {
        return fail(ctx, p, "longer than %d characters", (int) outlen - 1);
    }

    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);

    return 0;
}


static int
get_int(load_ctx_t *ctx, const cJSON *obj, const char *key,
    const char *path, int lo, int hi, int *out, int required)
{
    char          p[PATH_LEN];
    double        d;
    const cJSON  *v;

    snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", key);
    v = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (v == NULL || cJSON_IsNull(v)) {
        return required ? fail(ctx, p, "missing") : 0;
    }

    if (!cJSON_IsNumber(v)) {
        return fail(ctx, p, "expected a whole number from %d to %d", lo, hi);
    }

    d = v->valuedouble;

    if (d != (double) (long) d || d < lo || d > hi) {
        return fail(ctx, p, "expected a whole number from %d to %d", lo, hi);
    }

    *out = (int) d;

    return 0;
}


static int
get_time(load_ctx_t *ctx, const cJSON *obj, const char *key,
    const char *path, int *out, int required)
{
    char          p[PATH_LEN];
    const cJSON  *v;

    snprintf(p, sizeof(p), "%s.%s", path, key);
    v = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (v == NULL || cJSON_IsNull(v)) {
        return required ? fail(ctx, p, "missing") : 1;
    }

    if (!cJSON_IsString(v) || parse_hhmm(v->valuestring, out) != 0) {
        return fail(ctx, p, "expected \"HH:MM\"");
    }

    return 0;
}


static int
parse_hours(load_ctx_t *ctx, const cJSON *arr, const char *path,
    int default_turn, cerebro_day_hours_t *hours)
{
    int                 i, rc;
    char                p[PATH_LEN];
    const cJSON        *item;
    cerebro_service_t  *s;

    memset(hours, 0, sizeof(*hours));

    if (!cJSON_IsArray(arr)) {
        return fail(ctx, path, "expected a list of services");
    }

    i = 0;
    cJSON_ArrayForEach(item, arr) {
        snprintf(p, sizeof(p), "%s[%d]", path, i);

        if (i >= CEREBRO_MAX_SERVICES) {
            return fail(ctx, p, "at most %d services a day",
                        CEREBRO_MAX_SERVICES);
        }

        if (!cJSON_IsObject(item)) {
            return fail(ctx, p, "expected an object");
        }

        s = &hours->services[i];

        if (get_string(ctx, item, "name", p, s->name, sizeof(s->name), 0)
            != 0
            || get_time(ctx, item, "start", p, &s->start, 1) != 0
            || get_time(ctx, item, "end", p, &s->end, 1) != 0)
        {
            return -1;
        }

        if (s->name[0] == '\0') {
            snprintf(s->name, sizeof(s->name), "%s",
                     s->start < 17 * 60 ? "comida" : "cena");
        }

        /* an end at or before the start means the service ends after
         * midnight, on the next calendar day */
        if (s->end <= s->start) {
            s->end += 1440;
        }

        rc = get_time(ctx, item, "last_seating", p, &s->last_seating, 0);
        if (rc < 0) {
            return -1;
        }

        if (rc == 1) {
            s->last_seating = s->end - default_turn;
            if (s->last_seating < s->start) {
                s->last_seating = s->start;
            }

        } else {
            if (s->last_seating < s->start) {
                s->last_seating += 1440;
            }

            if (s->last_seating > s->end) {
                snprintf(p, sizeof(p), "%s[%d]", path, i);
                return fail(ctx, p, "last_seating must lie between start "
                            "and end");
            }
        }

        if (i > 0 && s->start < hours->services[i - 1].end) {
            return fail(ctx, p, "overlaps the previous service (list "
                        "services in order)");
        }

        i++;
    }

    hours->nservices = i;

    return 0;
}


static int
parse_table(load_ctx_t *ctx, const cJSON *obj, const char *path,
    cerebro_table_t *t, int airtable)
{
    char  p[PATH_LEN];

    memset(t, 0, sizeof(*t));

    if (!cJSON_IsObject(obj)) {
        return fail(ctx, path, "expected an object");
    }

    t->capacity_min = 1;

    if (get_string(ctx, obj, "name", path, t->name, sizeof(t->name), 1) != 0
        || get_int(ctx, obj, "capacity_min", path, 1, CEREBRO_MAX_PARTY,
                   &t->capacity_min, !airtable) != 0
        || get_int(ctx, obj, "capacity_max", path, 1, CEREBRO_MAX_PARTY,
                   &t->capacity_max, 1) != 0
        || get_string(ctx, obj, "location", path, t->location,
                      sizeof(t->location), !airtable) != 0)
    {
        return -1;
    }

    if (t->capacity_min > t->capacity_max) {
        snprintf(p, sizeof(p), "%s.capacity_min", path);
        return fail(ctx, p, "greater than capacity_max");
    }

    return 0;
}


static int
check_tables(load_ctx_t *ctx, const cerebro_table_t *tables, int n,
    const char *path)
{
    int   i, j;
    char  p[PATH_LEN];

    if (n > CEREBRO_MAX_TABLES) {
        return fail(ctx, path, "at most %d tables", CEREBRO_MAX_TABLES);
    }

    for (i = 0; i < n; i++) {
        snprintf(p, sizeof(p), "%s[%d].name", path, i);

        if (tables[i].name[0] == '\0' || strchr(tables[i].name, '+')) {
            return fail(ctx, p, "expected a non-empty name without '+'");
        }

        if (tables[i].capacity_min < 1
            || tables[i].capacity_min > tables[i].capacity_max
            || tables[i].capacity_max > CEREBRO_MAX_PARTY)
        {
            snprintf(p, sizeof(p), "%s[%d].capacity_max", path, i);
            return fail(ctx, p, "capacities must satisfy 1 <= capacity_min "
                        "<= capacity_max <= %d", CEREBRO_MAX_PARTY);
        }

        for (j = 0; j < i; j++) {
            if (strcasecmp(tables[i].name, tables[j].name) == 0) {
                return fail(ctx, p, "duplicate table \"%s\"",
                            tables[i].name);
            }
        }
    }

    return 0;
}


static void
resolve_groups(cerebro_restaurant_t *r)
{
    int               g, k, t;
    cerebro_group_t  *grp;

    for (g = 0; g < r->ngroups; g++) {
        grp = &r->groups[g];
        grp->active = 1;
        grp->mask = 0;

        if (cerebro_restaurant_table_index(r, grp->name) >= 0) {
            /* a name that now means a table cannot also mean a group */
            grp->active = 0;
        }

        for (k = 0; k < grp->ntables; k++) {
            t = cerebro_restaurant_table_index(r, grp->members[k]);

            if (t < 0) {
                grp->active = 0;
                grp->tables[k] = -1;
                continue;
            }

            grp->tables[k] = t;
            grp->mask |= (uint64_t) 1 << t;
        }

        grp->location[0] = '\0';

        if (grp->active) {
            snprintf(grp->location, sizeof(grp->location), "%s",
                     r->tables[grp->tables[0]].location);

            for (k = 1; k < grp->ntables; k++) {
                if (strcmp(grp->location,
                           r->tables[grp->tables[k]].location) != 0)
                {
                    grp->location[0] = '\0';
                    break;
                }
            }
        }
    }
}


static int
parse_special(load_ctx_t *ctx, cerebro_restaurant_t *r, const cJSON *item,
    const char *path, int closed)
{
    int                     i, rc;
    char                    p[PATH_LEN], date[16];
    const cJSON            *sv;
    cerebro_special_day_t  *sd;

    if (r->nspecial >= CEREBRO_MAX_SPECIAL_DAYS) {
        return fail(ctx, path, "at most %d closures and special days",
                    CEREBRO_MAX_SPECIAL_DAYS);
    }

    sd = &r->special[r->nspecial];
    memset(sd, 0, sizeof(*sd));
    sd->closed = closed;

    if (cJSON_IsString(item) && closed) {
        snprintf(date, sizeof(date), "%.15s", item->valuestring);
        snprintf(p, sizeof(p), "%s", path);

    } else if (cJSON_IsObject(item)) {
        if (get_string(ctx, item, "date", path, date, sizeof(date), 1) != 0
            || get_string(ctx, item, "note", path, sd->note,
                          sizeof(sd->note), 0) != 0)
        {
            return -1;
        }

        snprintf(p, sizeof(p), "%s.date", path);

    } else {
        return fail(ctx, path, closed ? "expected \"YYYY-MM-DD\" or an "
                    "object with date" : "expected an object");
    }

    if (parse_iso_date(date, &sd->date) != 0) {
        return fail(ctx, p, "expected a valid \"YYYY-MM-DD\"");
    }

    for (i = 0; i < r->nspecial; i++) {
        if (cerebro_date_cmp(&r->special[i].date, &sd->date) == 0) {
            return fail(ctx, p, "date %s listed twice", date);
        }
    }

    if (!closed) {
        snprintf(p, sizeof(p), "%s.services", path);
        sv = cJSON_GetObjectItemCaseSensitive(item, "services");

        if (sv == NULL) {
            return fail(ctx, p, "missing");
        }

        rc = parse_hours(ctx, sv, p, r->default_turn, &sd->hours);
        if (rc != 0) {
            return -1;
        }

        /* special hours with no service at all mean closed */
        sd->closed = sd->hours.nservices == 0;
    }

    r->nspecial++;

    return 0;
}


static int
parse_turns(load_ctx_t *ctx, cerebro_restaurant_t *r, const cJSON *root)
{
    int           i, p, prev;
    char          path[PATH_LEN];
    const cJSON  *tt, *arr, *item;

    tt = cJSON_GetObjectItemCaseSensitive(root, "turn_times");
    if (!cJSON_IsObject(tt)) {
        return fail(ctx, "turn_times", tt ? "expected an object" : "missing");
    }

    if (get_int(ctx, tt, "default", "turn_times", 15, 600,
                &r->default_turn, 1) != 0)
    {
        return -1;
    }

    arr = cJSON_GetObjectItemCaseSensitive(tt, "by_party");
    if (arr != NULL && !cJSON_IsArray(arr)) {
        return fail(ctx, "turn_times.by_party", "expected a list");
    }

    i = 0;
    prev = 0;
    cJSON_ArrayForEach(item, arr) {
        snprintf(path, sizeof(path), "turn_times.by_party[%d]", i);

        if (i >= CEREBRO_MAX_TURNS) {
            return fail(ctx, path, "at most %d rules", CEREBRO_MAX_TURNS);
        }

        if (!cJSON_IsObject(item)) {
            return fail(ctx, path, "expected an object");
        }

        if (get_int(ctx, item, "max_party", path, 1, CEREBRO_MAX_PARTY,
                    &r->turns[i].max_party, 1) != 0
            || get_int(ctx, item, "minutes", path, 15, 600,
                       &r->turns[i].minutes, 1) != 0)
        {
            return -1;
        }

        if (r->turns[i].max_party <= prev) {
            snprintf(path, sizeof(path), "turn_times.by_party[%d].max_party",
                     i);
            return fail(ctx, path, "must grow from one rule to the next");
        }

        prev = r->turns[i].max_party;
        i++;
    }

    r->nturns = i;
    r->max_turn = r->default_turn;

    for (p = 0; p <= CEREBRO_MAX_PARTY; p++) {
        r->turn_by_party[p] = r->default_turn;

        for (i = 0; i < r->nturns; i++) {
            if (p <= r->turns[i].max_party) {
                r->turn_by_party[p] = r->turns[i].minutes;
                break;
            }
        }

        if (r->turn_by_party[p] > r->max_turn) {
            r->max_turn = r->turn_by_party[p];
        }
    }

    return 0;
}


static int
parse_groups(load_ctx_t *ctx, cerebro_restaurant_t *r, const cJSON *root)
{
    int               i, k, j;
    char              p[PATH_LEN], q[PATH_LEN + 32];
    const cJSON      *arr, *item, *tl, *m;
    cerebro_group_t  *g;

    arr = cJSON_GetObjectItemCaseSensitive(root, "groups");
    if (arr == NULL) {
        return 0;
    }

    if (!cJSON_IsArray(arr)) {
        return fail(ctx, "groups", "expected a list");
    }

    i = 0;
    cJSON_ArrayForEach(item, arr) {
        snprintf(p, sizeof(p), "groups[%d]", i);

        if (i >= CEREBRO_MAX_GROUPS) {
            return fail(ctx, p, "at most %d groups", CEREBRO_MAX_GROUPS);
        }

        if (!cJSON_IsObject(item)) {
            return fail(ctx, p, "expected an object");
        }

        g = &r->groups[i];

        if (get_string(ctx, item, "name", p, g->name, sizeof(g->name), 1)
            != 0
            || get_int(ctx, item, "capacity_min", p, 1, CEREBRO_MAX_PARTY,
                       &g->capacity_min, 1) != 0
            || get_int(ctx, item, "capacity_max", p, 1, CEREBRO_MAX_PARTY,
                       &g->capacity_max, 1) != 0)
        {
            return -1;
        }

        if (g->capacity_min > g->capacity_max) {
            snprintf(q, sizeof(q), "%s.capacity_min", p);
            return fail(ctx, q, "greater than capacity_max");
        }

        snprintf(q, sizeof(q), "%s.name", p);

        if (cerebro_restaurant_table_index(r, g->name) >= 0) {
            return fail(ctx, q, "\"%s\" is already a table's name", g->name);
        }

        for (j = 0; j < i; j++) {
            if (strcasecmp(r->groups[j].name, g->name) == 0) {
                return fail(ctx, q, "duplicate group \"%s\"", g->name);
            }
        }

        snprintf(q, sizeof(q), "%s.tables", p);
        tl = cJSON_GetObjectItemCaseSensitive(item, "tables");

        if (!cJSON_IsArray(tl) || cJSON_GetArraySize(tl) < 2
            || cJSON_GetArraySize(tl) > CEREBRO_MAX_GROUP_TABLES)
        {
            return fail(ctx, q, "expected a list of 2 to %d table names",
                        CEREBRO_MAX_GROUP_TABLES);
        }

        k = 0;
        cJSON_ArrayForEach(m, tl) {
            snprintf(q, sizeof(q), "%s.tables[%d]", p, k);

            if (!cJSON_IsString(m)
                || cerebro_restaurant_table_index(r, m->valuestring) < 0)
            {
                return fail(ctx, q, "not the name of a table");
            }

            for (j = 0; j < k; j++) {
                if (strcmp(g->members[j], m->valuestring) == 0) {
                    return fail(ctx, q, "table listed twice");
                }
            }

            snprintf(g->members[k], CEREBRO_NAME_LEN, "%s", m->valuestring);
            k++;
        }

        g->ntables = k;
        i++;
    }

    r->ngroups = i;
    resolve_groups(r);

    return 0;
}


static int
parse_info(load_ctx_t *ctx, cerebro_restaurant_t *r, const cJSON *root)
{
    int           i;
    char          p[PATH_LEN];
    const cJSON  *obj, *v;

    obj = cJSON_GetObjectItemCaseSensitive(root, "info");
    if (obj == NULL) {
        return 0;
    }

    if (!cJSON_IsObject(obj)) {
        return fail(ctx, "info", "expected an object of texts");
    }

    i = 0;
    cJSON_ArrayForEach(v, obj) {
        snprintf(p, sizeof(p), "info.%.64s", v->string);

        if (i >= CEREBRO_MAX_INFO) {
            return fail(ctx, p, "at most %d entries", CEREBRO_MAX_INFO);
        }

        if (!cJSON_IsString(v) || strlen(v->string) >= CEREBRO_NAME_LEN) {
            return fail(ctx, p, "expected a text under a short key");
        }

        snprintf(r->info[i].key, CEREBRO_NAME_LEN, "%s", v->string);
        r->info[i].value = strdup(v->valuestring);

        if (r->info[i].value == NULL) {
            return fail(ctx, p, "out of memory");
        }

        r->ninfo = ++i;
    }

    return 0;
}


static int
parse_model(load_ctx_t *ctx, cerebro_restaurant_t *r, const cJSON *root,
    const char *zoneinfo_dir)
{
    int           i, w, rc;
    char          p[PATH_LEN], tzerr[256];
    const cJSON  *obj, *item;

    if (!cJSON_IsObject(root)) {
        return fail(ctx, "(top)", "expected a JSON object");
    }

    if (get_string(ctx, root, "name", "", r->name, sizeof(r->name), 1) != 0
        || get_string(ctx, root, "address", "", r->address,
                      sizeof(r->address), 0) != 0
        || get_string(ctx, root, "phone", "", r->phone, sizeof(r->phone), 0)
           != 0
        || get_string(ctx, root, "country_code", "", r->country_code,
                      sizeof(r->country_code), 0) != 0
        || get_string(ctx, root, "timezone", "", r->timezone,
                      sizeof(r->timezone), 1) != 0)
    {
        return -1;
    }

    if (r->country_code[0] == '\0') {
        /* the original served one restaurant, in Spain */
        strcpy(r->country_code, "34");
    }

    for (i = 0; r->country_code[i]; i++) {
        if (r->country_code[i] < '0' || r->country_code[i] > '9') {
            return fail(ctx, "country_code", "expected the country's "
                        "calling code in digits, as \"34\"");
        }
    }

    if (cerebro_tz_load(&r->tz, zoneinfo_dir, r->timezone, tzerr,
                        sizeof(tzerr)) != 0)
    {
        return fail(ctx, "timezone", "%s", tzerr);
    }

    if (parse_info(ctx, r, root) != 0 || parse_turns(ctx, r, root) != 0) {
        return -1;
    }

    /* services per weekday */
    obj = cJSON_GetObjectItemCaseSensitive(root, "services");
    if (!cJSON_IsObject(obj)) {
        return fail(ctx, "services", obj ? "expected an object by weekday"
                                         : "missing");
    }

    cJSON_ArrayForEach(item, obj) {
        snprintf(p, sizeof(p), "services.%.64s", item->string);
        w = weekday_from_name(item->string);

        if (w < 0) {
            return fail(ctx, p, "unknown weekday");
        }

        if (parse_hours(ctx, item, p, r->default_turn, &r->week[w]) != 0) {
            return -1;
        }
    }

    obj = cJSON_GetObjectItemCaseSensitive(root, "closed_weekdays");
    if (obj != NULL && !cJSON_IsArray(obj)) {
        return fail(ctx, "closed_weekdays", "expected a list of weekdays");
    }

    i = 0;
    cJSON_ArrayForEach(item, obj) {
        snprintf(p, sizeof(p), "closed_weekdays[%d]", i++);

        if (!cJSON_IsString(item)
            || (w = weekday_from_name(item->valuestring)) < 0)
        {
            return fail(ctx, p, "unknown weekday");
        }

        r->week[w].nservices = 0;
    }

    obj = cJSON_GetObjectItemCaseSensitive(root, "closures");
    if (obj != NULL && !cJSON_IsArray(obj)) {
        return fail(ctx, "closures", "expected a list of dates");
    }

    i = 0;
    cJSON_ArrayForEach(item, obj) {
        snprintf(p, sizeof(p), "closures[%d]", i++);

        if (parse_special(ctx, r, item, p, 1) != 0) {
            return -1;
        }
    }

    obj = cJSON_GetObjectItemCaseSensitive(root, "special_hours");
    if (obj != NULL && !cJSON_IsArray(obj)) {
        return fail(ctx, "special_hours", "expected a list");
    }

    i = 0;
    cJSON_ArrayForEach(item, obj) {
        snprintf(p, sizeof(p), "special_hours[%d]", i++);

        if (parse_special(ctx, r, item, p, 0) != 0) {
            return -1;
        }
    }

    /* tables */
    obj = cJSON_GetObjectItemCaseSensitive(root, "tables");
    if (!cJSON_IsArray(obj) || cJSON_GetArraySize(obj) == 0) {
        return fail(ctx, "tables", "expected a non-empty list");
    }

    if (cJSON_GetArraySize(obj) > CEREBRO_MAX_TABLES) {
        return fail(ctx, "tables", "at most %d tables", CEREBRO_MAX_TABLES);
    }

    i = 0;
    cJSON_ArrayForEach(item, obj) {
        snprintf(p, sizeof(p), "tables[%d]", i);

        if (parse_table(ctx, item, p, &r->tables[i], 0) != 0) {
            return -1;
        }

        i++;
    }

    r->ntables = i;

    if (check_tables(ctx, r->tables, r->ntables, "tables") != 0
        || parse_groups(ctx, r, root) != 0)
    {
        return -1;
    }

    /* pacing, window, party limit */
    obj = cJSON_GetObjectItemCaseSensitive(root, "pacing");
    if (obj != NULL) {
        w = CEREBRO_SLOT_MINUTES;

        if (!cJSON_IsObject(obj)) {
            return fail(ctx, "pacing", "expected an object");
        }

        if (get_int(ctx, obj, "max_covers_per_slot", "pacing", 0, 10000,
                    &r->pacing_covers, 1) != 0
            || get_int(ctx, obj, "slot_minutes", "pacing", 1, 1440, &w, 0)
               != 0)
        {
            return -1;
        }

        if (w != CEREBRO_SLOT_MINUTES) {
            return fail(ctx, "pacing.slot_minutes", "only %d is supported",
                        CEREBRO_SLOT_MINUTES);
        }
    }

    obj = cJSON_GetObjectItemCaseSensitive(root, "booking_window");
    if (!cJSON_IsObject(obj)) {
        return fail(ctx, "booking_window", obj ? "expected an object"
                                               : "missing");
    }

    if (get_int(ctx, obj, "min_lead_minutes", "booking_window", 0,
                7 * 1440, &r->min_lead_minutes, 1) != 0
        || get_int(ctx, obj, "max_days_ahead", "booking_window", 0, 730,
                   &r->max_days_ahead, 1) != 0)
    {
        return -1;
    }

    rc = get_int(ctx, root, "max_party", "", 1, CEREBRO_MAX_PARTY,
                 &r->max_party, 1);

    return rc;
}


cerebro_restaurant_t *
cerebro_restaurant_load(const char *json, size_t len,
    const char *zoneinfo_dir, char *err, size_t errlen)
{
    int                    rc;
    cJSON                 *root;
    load_ctx_t             ctx;
    cerebro_restaurant_t  *r;

    ctx.err = err;
    ctx.errlen = errlen;

    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }

    if (json == NULL) {
        fail(&ctx, "(top)", "no JSON given");
        return NULL;
    }

    root = cJSON_ParseWithLength(json, len);
    if (root == NULL) {
        const char  *at = cJSON_GetErrorPtr();

        if (at != NULL && at >= json && at <= json + len) {
            fail(&ctx, "(top)", "invalid JSON near byte %d",
                 (int) (at - json));

        } else {
            fail(&ctx, "(top)", "invalid JSON");
        }

        return NULL;
    }

    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        cJSON_Delete(root);
        fail(&ctx, "(top)", "out of memory");
        return NULL;
    }

    rc = parse_model(&ctx, r, root, zoneinfo_dir);
    cJSON_Delete(root);

    if (rc != 0) {
        cerebro_restaurant_free(r);
        return NULL;
    }

    return r;
}


void
cerebro_restaurant_free(cerebro_restaurant_t *r)
{
    int  i;

    if (r == NULL) {
        return;
    }

    for (i = 0; i < r->ninfo; i++) {
        free(r->info[i].value);
    }

    free(r);
}


int
cerebro_restaurant_set_tables(cerebro_restaurant_t *r,
    const cerebro_table_t *tables, int ntables, char *err, size_t errlen)
{
    int         g, inactive;
    load_ctx_t  ctx;

    ctx.err = err;
    ctx.errlen = errlen;

    if (ntables <= 0) {
        return fail(&ctx, "tables", "expected at least one table");
    }

    if (check_tables(&ctx, tables, ntables, "tables") != 0) {
        return -1;
    }

    memcpy(r->tables, tables, sizeof(cerebro_table_t) * ntables);
    r->ntables = ntables;
    resolve_groups(r);

    inactive = 0;
    for (g = 0; g < r->ngroups; g++) {
        inactive += !r->groups[g].active;
    }

    return inactive;
}


int
cerebro_restaurant_tables_from_json(const char *json, size_t len,
    cerebro_table_t *out, int max, char *err, size_t errlen)
{
    int           n, i, airtable;
    char          p[PATH_LEN];
    cJSON        *root;
    const cJSON  *arr, *item, *fields;
    load_ctx_t    ctx;

    ctx.err = err;
    ctx.errlen = errlen;

    root = cJSON_ParseWithLength(json, len);
    if (root == NULL) {
        return fail(&ctx, "(top)", "invalid JSON");
    }

    airtable = 0;
    arr = root;

    if (cJSON_IsObject(root)) {
        arr = cJSON_GetObjectItemCaseSensitive(root, "records");
        airtable = 1;
    }

    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(root);
        return fail(&ctx, "(top)", "expected a list of tables or "
                    "{\"records\":[...]}");
    }

    n = 0;
    i = 0;
    cJSON_ArrayForEach(item, arr) {
        if (airtable) {
            snprintf(p, sizeof(p), "records[%d].fields", i);
            fields = cJSON_GetObjectItemCaseSensitive(item, "fields");

            /* Airtable omits empty fields: a blank row has none at all */
            if (fields == NULL || (cJSON_IsObject(fields)
                                   && fields->child == NULL))
            {
                i++;
                continue;
            }

        } else {
            snprintf(p, sizeof(p), "[%d]", i);
            fields = item;
        }

        if (n >= max) {
            cJSON_Delete(root);
            return fail(&ctx, p, "more than %d tables", max);
        }

        if (parse_table(&ctx, fields, p, &out[n], airtable) != 0) {
            cJSON_Delete(root);
            return -1;
        }

        n++;
        i++;
    }

    cJSON_Delete(root);

    if (check_tables(&ctx, out, n, airtable ? "records" : "") != 0) {
        return -1;
    }

    return n;
}


const cerebro_day_hours_t *
cerebro_restaurant_hours(const cerebro_restaurant_t *r,
    const cerebro_date_t *date, const cerebro_special_day_t **special)
{
    int                         i;
    const cerebro_day_hours_t  *h;

    if (special != NULL) {
        *special = NULL;
    }

    for (i = 0; i < r->nspecial; i++) {
        if (cerebro_date_cmp(&r->special[i].date, date) == 0) {
            if (special != NULL) {
                *special = &r->special[i];
            }

            return r->special[i].closed ? NULL : &r->special[i].hours;
        }
    }

    h = &r->week[cerebro_weekday(date)];

    return h->nservices > 0 ? h : NULL;
}


int
cerebro_restaurant_turn(const cerebro_restaurant_t *r, int party)
{
    if (party < 0) {
        party = 0;
    }

    if (party > CEREBRO_MAX_PARTY) {
        party = CEREBRO_MAX_PARTY;
    }

    return r->turn_by_party[party];
}


const char *
cerebro_restaurant_info(const cerebro_restaurant_t *r, const char *key)
{
    int  i;

    for (i = 0; i < r->ninfo; i++) {
        if (strcmp(r->info[i].key, key) == 0) {
            return r->info[i].value;
        }
    }

    return NULL;
}


int
cerebro_restaurant_table_index(const cerebro_restaurant_t *r,
    const char *name)
{
    int  i;

    for (i = 0; i < r->ntables; i++) {
        if (strcasecmp(r->tables[i].name, name) == 0) {
            return i;
        }
    }

    return -1;
}


int
cerebro_restaurant_group_index(const cerebro_restaurant_t *r,
    const char *name)
{
    int  i;

    for (i = 0; i < r->ngroups; i++) {
        if (strcasecmp(r->groups[i].name, name) == 0) {
            return i;
        }
    }

    return -1;
}
