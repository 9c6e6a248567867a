/*
 * The booking engine.  Everything a slot needs is decided by one pass over
 * the bookings (tables busy in the slot's interval, covers starting in its
 * quarter hour), so a query with alternatives costs a few dozen such
 * passes and no allocation.
 */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cerebro_engine.h"


#define SLOT_SECS      (CEREBRO_SLOT_MINUTES * 60)
/* every slot of two days' services, which never overlap, within 72 h */
#define MAX_CANDS      (3 * 1440 / CEREBRO_SLOT_MINUTES + 8)


typedef struct {
    const cerebro_restaurant_t  *r;
    const cerebro_booking_t     *b;
    int                          nb;
    int                          sorted;    /* by start: windows searched */
    int64_t                      longest;   /* sorted: the longest stay */
    int64_t                      now;
    int64_t                      today;     /* local days since epoch */
    int                          party;
    const char                  *location;
} query_ctx_t;


typedef struct {
    const cerebro_service_t     *svc;
    int                          sm;        /* minutes on the service day */
    int                          day;       /* 0 asked day, 1 the day before */
    int                          dist;
} cand_t;


static void index_bookings(query_ctx_t *q);
static int first_from(const query_ctx_t *q, int64_t t);
static const cerebro_service_t *locate(const cerebro_restaurant_t *r,
    const cerebro_date_t *d, int m, int use_end, cerebro_date_t *sday,
    int *sm);
static int max_capacity(const cerebro_restaurant_t *r);
static int location_is(const char *have, const char *want);
static int choose(const query_ctx_t *q, uint64_t busy, cerebro_slot_t *s);
static cerebro_reason_t evaluate(const query_ctx_t *q,
    const cerebro_date_t *sday, const cerebro_service_t *svc, int sm,
    cerebro_slot_t *slot);
static void same_day_alternatives(const query_ctx_t *q,
    const cerebro_request_t *req, const cerebro_service_t *svc,
    const cerebro_date_t *sday, int req_sm, cerebro_answer_t *out);
static void next_day_alternatives(const query_ctx_t *q,
    const cerebro_request_t *req, cerebro_answer_t *out);


/*
 * A busy day is hundreds of bookings and a query with alternatives a few
 * dozen slots: bookings sorted by start (as the store returns a day) let
 * each slot look only at those that can overlap it, found by binary
 * search from the longest stay; any other order is scanned whole.
 */
static void
index_bookings(query_ctx_t *q)
{
    int      i;
    int64_t  end;

    q->sorted = 1;
    q->longest = 0;

    for (i = 0; i < q->nb; i++) {
        if (i > 0 && q->b[i].start < q->b[i - 1].start) {
            q->sorted = 0;
            return;
        }

        end = cerebro_engine_booking_end(q->r, &q->b[i]);

        if (end - q->b[i].start > q->longest) {
            q->longest = end - q->b[i].start;
        }
    }
}


/* The first booking starting at t or later (sorted bookings only). */
static int
first_from(const query_ctx_t *q, int64_t t)
{
    int  lo, hi, mid;

    lo = 0;
    hi = q->nb;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (q->b[mid].start < t) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return lo;
}


/*
 * The service a local time belongs to: one of that day's, or the tail of
 * the previous day's that runs past midnight.  With use_end the service
 * counts up to its closing time rather than its last seating.
 */
static const cerebro_service_t *
locate(const cerebro_restaurant_t *r, const cerebro_date_t *d, int m,
    int use_end, cerebro_date_t *sday, int *sm)
{
    int                         i, limit;
    cerebro_date_t              prev;
    const cerebro_service_t    *s;
    const cerebro_day_hours_t  *h;

    h = cerebro_restaurant_hours(r, d, NULL);

    for (i = 0; h != NULL && i < h->nservices; i++) {
        s = &h->services[i];
        limit = use_end ? s->end : s->last_seating;

        if (m >= s->start && m <= limit) {
            *sday = *d;
            *sm = m;
            return s;
        }
    }

    prev = cerebro_date_add_days(d, -1);
    h = cerebro_restaurant_hours(r, &prev, NULL);

    for (i = 0; h != NULL && i < h->nservices; i++) {
        s = &h->services[i];
        limit = use_end ? s->end : s->last_seating;

        if (m + 1440 >= s->start && m + 1440 <= limit) {
            *sday = prev;
            *sm = m + 1440;
            return s;
        }
    }

    return NULL;
}


static int
max_capacity(const cerebro_restaurant_t *r)
{
    int  i, cap;

    cap = 0;

    for (i = 0; i < r->ntables; i++) {
        if (r->tables[i].capacity_max > cap) {
            cap = r->tables[i].capacity_max;
        }
    }

    for (i = 0; i < r->ngroups; i++) {
        if (r->groups[i].active && r->groups[i].capacity_max > cap) {
            cap = r->groups[i].capacity_max;
        }
    }

    return cap;
}


static int
location_is(const char *have, const char *want)
{
    return want == NULL || want[0] == '\0' || strcasecmp(have, want) == 0;
}


/*
 * Best free table or group.  The guest's stated location comes first (a
 * wish they said out loud outranks two wasted seats), then single tables
 * before joined ones, least waste, fewest joined tables, model order.
 */
static int
choose(const query_ctx_t *q, uint64_t busy, cerebro_slot_t *s)
{
    int                     i, key[4], best[4], found, better, k;
    const cerebro_group_t  *g;
    const cerebro_table_t  *t;

    found = 0;
    memset(best, 0, sizeof(best));

    for (i = 0; i < q->r->ntables; i++) {
        t = &q->r->tables[i];

        if ((busy >> i) & 1 || q->party < t->capacity_min
            || q->party > t->capacity_max)
        {
            continue;
        }

        key[0] = !location_is(t->location, q->location);
        key[1] = 0;
        key[2] = t->capacity_max - q->party;
        key[3] = 1;

        better = !found;
        for (k = 0; !better && k < 4 && key[k] <= best[k]; k++) {
            better = key[k] < best[k];
        }

        if (better) {
            memcpy(best, key, sizeof(best));
            found = 1;
            s->table = i;
            s->group = -1;
            s->tables = (uint64_t) 1 << i;
            s->seats = t->capacity_max;
            s->name = t->name;
            s->location = t->location;
        }
    }

    for (i = 0; i < q->r->ngroups; i++) {
        g = &q->r->groups[i];

        if (!g->active || (busy & g->mask) || q->party < g->capacity_min
            || q->party > g->capacity_max)
        {
            continue;
        }

        key[0] = !location_is(g->location, q->location);
        key[1] = 1;
        key[2] = g->capacity_max - q->party;
        key[3] = g->ntables;

        better = !found;
        for (k = 0; !better && k < 4 && key[k] <= best[k]; k++) {
            better = key[k] < best[k];
        }

        if (better) {
            memcpy(best, key, sizeof(best));
            found = 1;
            s->table = -1;
            s->group = i;
            s->tables = g->mask;
            s->seats = g->capacity_max;
            s->name = g->name;
            s->location = g->location;
        }
    }

    s->location_match = found && best[0] == 0;

    return found;
}


static cerebro_reason_t
evaluate(const query_ctx_t *q, const cerebro_date_t *sday,
    const cerebro_service_t *svc, int sm, cerebro_slot_t *slot)
{
    int                       i, covers;
    int64_t                   start, end, bs, be, qs;
    uint64_t                  busy;
    cerebro_date_t            date;
    cerebro_local_t           local;
    const cerebro_booking_t  *b;
    const cerebro_restaurant_t  *r;

    r = q->r;
    date = *sday;

    if (sm >= 1440) {
        date = cerebro_date_add_days(sday, sm / 1440);
    }

    start = cerebro_tz_from_local(&r->tz, &date, sm % 1440, NULL);

    if (start < q->now) {
        return CEREBRO_AVAIL_PAST;
    }

    if (cerebro_days_from_civil(sday->year, sday->month, sday->day)
        - q->today > r->max_days_ahead)
    {
        return CEREBRO_AVAIL_TOO_FAR;
    }

    if (start < q->now + (int64_t) r->min_lead_minutes * 60) {
        return CEREBRO_AVAIL_TOO_SOON;
    }

    end = start + (int64_t) cerebro_restaurant_turn(r, q->party) * 60;
    qs = cerebro_floor_div(start, SLOT_SECS) * SLOT_SECS;
    busy = 0;
    covers = 0;

    if (q->sorted) {
        /*
         * The covers of the slot's quarter hour first: when pacing alone
         * says full (a busy evening), the tables are not looked at.
         */
        for (i = first_from(q, qs);
             i < q->nb && q->b[i].start < qs + SLOT_SECS;
             i++)
        {
            if (q->b[i].status != CEREBRO_BOOKING_CANCELLED) {
                covers += q->b[i].party;
            }
        }

        if (r->pacing_covers > 0 && covers + q->party > r->pacing_covers) {
            return CEREBRO_AVAIL_FULL;
        }

        /* nothing that starts earlier can reach the slot */
        for (i = first_from(q, start - q->longest);
             i < q->nb && q->b[i].start < end;
             i++)
        {
            b = &q->b[i];

            if (b->status != CEREBRO_BOOKING_CANCELLED
                && start < cerebro_engine_booking_end(r, b))
            {
                busy |= b->tables;
            }
        }

    } else {
        for (i = 0; i < q->nb; i++) {
            b = &q->b[i];

            if (b->status == CEREBRO_BOOKING_CANCELLED) {
                continue;
            }

            bs = b->start;
            be = cerebro_engine_booking_end(r, b);

            if (bs < end && start < be) {
                busy |= b->tables;
            }

            if (bs >= qs && bs < qs + SLOT_SECS) {
                covers += b->party;
            }
        }

        if (r->pacing_covers > 0 && covers + q->party > r->pacing_covers) {
            return CEREBRO_AVAIL_FULL;
        }
    }

    if (!choose(q, busy, slot)) {
        return CEREBRO_AVAIL_FULL;
    }

    /* read the instant back: a time in the spring gap moved forward */
    cerebro_tz_to_local(&r->tz, start, &local);
    slot->date = local.date;
    slot->minutes = local.minutes;
    slot->start = start;
    slot->end = end;
    slot->service = svc->name;

    return CEREBRO_AVAIL_OK;
}


static int
has_start(const cerebro_answer_t *out, int64_t start)
{
    int  i;

    for (i = 0; i < out->nalts; i++) {
        if (out->alts[i].start == start) {
            return 1;
        }
    }

    return 0;
}


/*
 * Candidates are the slots of the asked service or, when the time was
 * outside hours, of every service that day, the previous day's
 * past-midnight tail included; nearest to the asked time first.
 */
static void
same_day_alternatives(const query_ctx_t *q, const cerebro_request_t *req,
    const cerebro_service_t *svc, const cerebro_date_t *sday, int req_sm,
    cerebro_answer_t *out)
{
    int                         i, j, n, sm, nsvc, day;
    cand_t                      cands[MAX_CANDS], c;
    cerebro_date_t              days[2];
    cerebro_slot_t              slot, tmp;
    const cerebro_service_t    *list[2 * CEREBRO_MAX_SERVICES];
    int                         list_day[2 * CEREBRO_MAX_SERVICES];
    const cerebro_day_hours_t  *h;

    days[0] = *sday;
    days[1] = cerebro_date_add_days(&req->date, -1);
    nsvc = 0;

    if (svc != NULL) {
        list[0] = svc;
        list_day[0] = 0;
        nsvc = 1;

    } else {
        for (day = 0; day < 2; day++) {
            h = cerebro_restaurant_hours(q->r, &days[day], NULL);

            for (i = 0; h != NULL && i < h->nservices; i++) {
                if (day == 0 || h->services[i].last_seating >= 1440) {
                    list[nsvc] = &h->services[i];
                    list_day[nsvc++] = day;
                }
            }
        }
    }

    n = 0;

    for (i = 0; i < nsvc; i++) {
        for (sm = list[i]->start;
             sm <= list[i]->last_seating && n < MAX_CANDS;
             sm += CEREBRO_SLOT_MINUTES)
        {
            /* the asked slot failed already; of the day before, only
             * what falls on the asked date counts as "that day" */
            if ((sm == req_sm && list_day[i] == 0)
                || (list_day[i] == 1 && sm < 1440))
            {
                continue;
            }

            c.svc = list[i];
            c.sm = sm;
            c.day = list_day[i];
            /* on the asked day's clock, the previous day's tail is -1440 */
            c.dist = abs(sm - (c.day ? 1440 : 0) - req_sm);

            /* insertion by (distance, time): the lists are short */
            for (j = n; j > 0 && (cands[j - 1].dist > c.dist
                                  || (cands[j - 1].dist == c.dist
                                      && cands[j - 1].sm
                                         - (cands[j - 1].day ? 1440 : 0)
                                         > c.sm - (c.day ? 1440 : 0)));
                 j--)
            {
                cands[j] = cands[j - 1];
            }

            cands[j] = c;
            n++;
        }
    }

    for (i = 0; i < n && out->nsame < CEREBRO_ENGINE_SAME_DAY_ALTS; i++) {
        if (evaluate(q, &days[cands[i].day], cands[i].svc, cands[i].sm,
                     &slot)
            != CEREBRO_AVAIL_OK || has_start(out, slot.start))
        {
            continue;
        }

        out->alts[out->nalts++] = slot;
        out->nsame++;
    }

    /* read out in clock order, not in order of distance */
    for (i = 1; i < out->nsame; i++) {
        tmp = out->alts[i];

        for (j = i; j > 0 && out->alts[j - 1].start > tmp.start; j--) {
            out->alts[j] = out->alts[j - 1];
        }

        out->alts[j] = tmp;
    }
}


static void
next_day_alternatives(const query_ctx_t *q, const cerebro_request_t *req,
    cerebro_answer_t *out)
{
    int                       k, sm, found;
    cerebro_date_t            d, sday;
    cerebro_slot_t            slot;
    cerebro_reason_t          rc;
    const cerebro_service_t  *svc;

    found = 0;

    for (k = 1; k <= CEREBRO_ENGINE_NEXT_DAY_SEARCH
                && found < CEREBRO_ENGINE_NEXT_DAY_ALTS; k++)
    {
        d = cerebro_date_add_days(&req->date, k);
        svc = locate(q->r, &d, req->minutes, 0, &sday, &sm);

        if (svc == NULL) {
            continue;
        }

        rc = evaluate(q, &sday, svc, sm, &slot);

        if (rc == CEREBRO_AVAIL_TOO_FAR) {
            break;
        }

        if (rc == CEREBRO_AVAIL_OK && !has_start(out, slot.start)) {
            out->alts[out->nalts++] = slot;
            found++;
        }
    }
}


void
cerebro_engine_query(const cerebro_restaurant_t *r,
    const cerebro_booking_t *bookings, int nbookings, int64_t now,
    const cerebro_request_t *req, cerebro_answer_t *out)
{
    int                       sm, req_sm;
    int64_t                   asked, req_days;
    query_ctx_t               q;
    cerebro_date_t            sday;
    cerebro_local_t           local;
    const cerebro_service_t  *svc;

    memset(out, 0, sizeof(*out));
    out->slot.table = -1;
    out->slot.group = -1;

    if (req->party < 1 || req->party > CEREBRO_MAX_PARTY
        || !cerebro_date_valid(&req->date)
        || req->minutes < 0 || req->minutes >= 1440 || nbookings < 0)
    {
        out->reason = CEREBRO_AVAIL_INVALID;
        return;
    }

    if (req->party > r->max_party || req->party > max_capacity(r)) {
        out->reason = CEREBRO_AVAIL_TOO_LARGE;
        return;
    }

    q.r = r;
    q.b = bookings;
    q.nb = bookings != NULL ? nbookings : 0;
    q.now = now;
    q.party = req->party;
    q.location = req->location;

    index_bookings(&q);

    cerebro_tz_to_local(&r->tz, now, &local);
    q.today = cerebro_days_from_civil(local.date.year, local.date.month,
                                      local.date.day);
    req_days = cerebro_days_from_civil(req->date.year, req->date.month,
                                       req->date.day);

    (void) cerebro_restaurant_hours(r, &req->date, &out->special);

    asked = cerebro_tz_from_local(&r->tz, &req->date, req->minutes, NULL);
    svc = locate(r, &req->date, req->minutes, 0, &sday, &sm);

    if (asked < now) {
        out->reason = CEREBRO_AVAIL_PAST;

        if (req_days < q.today) {
            return;
        }

    } else if (req_days - q.today > r->max_days_ahead) {
        out->reason = CEREBRO_AVAIL_TOO_FAR;
        return;

    } else if (svc == NULL) {
        out->reason = CEREBRO_AVAIL_CLOSED;
        out->day_closed = cerebro_restaurant_hours(r, &req->date, NULL)
                          == NULL;

    } else {
        out->reason = evaluate(&q, &sday, svc, sm, &out->slot);

        if (out->reason == CEREBRO_AVAIL_OK) {
            return;
        }

        if (out->reason == CEREBRO_AVAIL_TOO_FAR) {
            return;
        }
    }

    if (svc != NULL) {
        req_sm = sm;

    } else {
        sday = req->date;
        req_sm = req->minutes;
    }

    same_day_alternatives(&q, req, svc, &sday, req_sm, out);
    next_day_alternatives(&q, req, out);
}


int64_t
cerebro_engine_booking_end(const cerebro_restaurant_t *r,
    const cerebro_booking_t *b)
{
    if (b->end > b->start) {
        return b->end;
    }

    return b->start + (int64_t) cerebro_restaurant_turn(r, b->party) * 60;
}


int
cerebro_engine_tables_for_name(const cerebro_restaurant_t *r,
    const char *name, uint64_t *mask, int *idx, int max)
{
    int                     i, n, t;
    size_t                  len;
    char                    part[CEREBRO_NAME_LEN];
    const char             *p, *e;
    const cerebro_group_t  *g;

    *mask = 0;

    if (name == NULL) {
        return -1;
    }

    while (isspace((unsigned char) *name)) {
        name++;
    }

    t = cerebro_restaurant_table_index(r, name);
    if (t >= 0) {
        *mask = (uint64_t) 1 << t;
        if (idx != NULL && max > 0) {
            idx[0] = t;
        }

        return 1;
    }

    i = cerebro_restaurant_group_index(r, name);
    if (i >= 0 && r->groups[i].active) {
        g = &r->groups[i];
        *mask = g->mask;

        for (n = 0; n < g->ntables; n++) {
            if (idx != NULL && n < max) {
                idx[n] = g->tables[n];
            }
        }

        return g->ntables;
    }

    /* a list written by hand: "T3+T4", "T3, T4" */
    n = 0;

    for (p = name; ; p = e + 1) {
        for (e = p; *e && *e != '+' && *e != ','; e++) {
            /* find the separator */
        }

        while (p < e && isspace((unsigned char) *p)) {
            p++;
        }

        len = (size_t) (e - p);
        while (len > 0 && isspace((unsigned char) p[len - 1])) {
            len--;
        }

        if (len == 0 || len >= sizeof(part)) {
            *mask = 0;
            return -1;
        }

        memcpy(part, p, len);
        part[len] = '\0';

        t = cerebro_restaurant_table_index(r, part);
        if (t < 0) {
            *mask = 0;
            return -1;
        }

        if (!((*mask >> t) & 1)) {
            *mask |= (uint64_t) 1 << t;
            if (idx != NULL && n < max) {
                idx[n] = t;
            }

            n++;
        }

        if (*e == '\0') {
            break;
        }
    }

    return n;
}


int
cerebro_engine_resolve_hour(const cerebro_restaurant_t *r,
    const cerebro_date_t *date, int minutes_am)
{
    int             am, pm, i, score[2], sm;
    cerebro_date_t  sday;

    if (minutes_am < 0 || !cerebro_date_valid(date)) {
        return -1;
    }

    am = minutes_am % 720;
    pm = am + 720;

    for (i = 0; i < 2; i++) {
        if (locate(r, date, i ? pm : am, 0, &sday, &sm) != NULL) {
            score[i] = 2;

        } else if (locate(r, date, i ? pm : am, 1, &sday, &sm) != NULL) {
            score[i] = 1;

        } else {
            score[i] = 0;
        }
    }

    return score[0] > score[1] ? am : pm;
}


int
cerebro_booking_status_from_string(const char *s)
{
    static const char  *gone[] = {
        "cancel", "anulad", "rechaz", "reject", "declin", "delet", "borrad"
    };
    size_t              i;

    if (s == NULL) {
        return CEREBRO_BOOKING_ACTIVE;
    }

    while (isspace((unsigned char) *s)) {
        s++;
    }

    /* read for every booking of every query: most are "confirmed" */
    for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
        if (tolower((unsigned char) s[0]) == gone[i][0]
            && tolower((unsigned char) s[1]) == gone[i][1]
            && strncasecmp(s, gone[i], strlen(gone[i])) == 0)
        {
            return CEREBRO_BOOKING_CANCELLED;
        }
    }

    return CEREBRO_BOOKING_ACTIVE;
}


const char *
cerebro_reason_name(cerebro_reason_t reason)
{
    static const char  *names[] = {
        "ok", "closed", "full", "too_large", "too_soon", "too_far", "past",
        "invalid"
    };

    if ((unsigned) reason >= sizeof(names) / sizeof(names[0])) {
        return "invalid";
    }

    return names[reason];
}
