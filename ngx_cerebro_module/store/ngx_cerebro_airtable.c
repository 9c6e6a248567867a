
/*
 * The Airtable backend: each store operation is a few steps over the
 * exchange engine (ngx_cerebro_airtable_http.c), which passes the limiter
 * and the subrequest client and applies the error policy; here is what
 * the tables of the base mean: which records to ask for, what to write,
 * what an answer changes.
 *
 * Bookings hold the day lock from before the re-read until the write is
 * answered, so that two workers of a host (and, with Redis, of every
 * host) seldom book from the same stale read.  The lock is no guarantee
 * (Redis may be down, and then it spans one host): after a create the day
 * is read again and cerebro_rec_stands() says whether the booking keeps
 * its table; when it does not (a writer elsewhere came first) it is
 * withdrawn and the engine decides again on what the base now holds.
 *
 * A change of time or party is such a create: the moved booking is a new
 * record (its createdTime is when it claimed the slot, which the order of
 * the settlement needs), the one it replaces holding nothing in its
 * decision and settlement; once the new record stands, the old one is
 * cancelled.  Withdrawn, the old one stays: the guest keeps the booking
 * they had.  On Airtable a moved booking therefore has a new record id.
 */

#include "ngx_cerebro_airtable.h"
#include "ngx_cerebro_airtable_http.h"
#include "cerebro_formula.h"


#define NGX_CEREBRO_AT_FORMULA_LEN       2048
/* a write whose answer never came may still land: readers wait this long */
#define NGX_CEREBRO_AT_UNKNOWN_WRITE     10000
#define NGX_CEREBRO_AT_MAX_FAQ           128
/* alternatives on following days need their bookings too */
#define NGX_CEREBRO_AT_WIDE_DAYS         CEREBRO_ENGINE_NEXT_DAY_SEARCH
/* writes of one create that lost its table to an earlier writer */
#define NGX_CEREBRO_AT_MAX_WRITES        3
/* a create's answer, and what settling it needs, are waited for this long */
#define NGX_CEREBRO_AT_WRITE_WAIT        30000


/* the base's name of one of our tables, of one of our fields */
#define at_t(at, x)  (at)->names->table[NGX_CEREBRO_AT_##x]
#define at_f(at, x)  (at)->names->field[NGX_CEREBRO_AT_F_##x]


typedef struct {
    ngx_cerebro_at_http_t          http;       /* the exchange under way */
    ngx_cerebro_store_op_t        *op;
    const ngx_cerebro_at_names_t  *names;
    const cerebro_restaurant_t    *model;

    /* bookings being gathered */
    cerebro_reservation_t         *res;
    ngx_uint_t                     nres;
    ngx_uint_t                     nalloc;

    /* the booking being made or moved */
    ngx_cerebro_lock_t             lock;
    u_char                         lock_key[NGX_CEREBRO_LIMITER_KEY_LEN];
    cerebro_reservation_t          cur;        /* update, cancel */
    cerebro_reservation_t          old;        /* move: what it replaces */
    cerebro_request_t              want;
    int64_t                        start;
    int                            pax;
    const char                    *notes;
    cerebro_date_t                 day;
    ngx_uint_t                     writes;     /* create: records written */
    unsigned                       extras:1;
    unsigned                       move:1;     /* update as a new record */
    unsigned                       wide:1;
    unsigned                       unseen:1;   /* settle: read again once */
    unsigned                       duplicate:1; /* withdrawn: the guest's
                                                   earlier record holds */
    ngx_uint_t                     lookups;    /* reads for a lost answer */
} ngx_cerebro_at_t;


static ngx_int_t ngx_cerebro_at_init_process(ngx_cycle_t *cycle,
    ngx_cerebro_store_conf_t *scf);
static void ngx_cerebro_at_exit_process(ngx_cycle_t *cycle,
    ngx_cerebro_store_conf_t *scf);
static ngx_int_t ngx_cerebro_at_start(ngx_cerebro_store_op_t *op);
static void ngx_cerebro_at_cleanup(void *data);
static void ngx_cerebro_at_done(ngx_cerebro_at_http_t *x);
static void ngx_cerebro_at_finish(ngx_cerebro_at_t *at,
    cerebro_store_err_t kind, const char *fmt, ...);
static void ngx_cerebro_at_ok(ngx_cerebro_at_t *at);
static void ngx_cerebro_at_patch_field(ngx_cerebro_at_t *at,
    const char *field, const char *value, ngx_cerebro_at_http_step_pt step);

static ngx_int_t ngx_cerebro_at_formula(ngx_cerebro_at_t *at,
    cerebro_formula_t *f, ngx_str_t *out);
static ngx_int_t ngx_cerebro_at_map_res(ngx_cerebro_at_http_t *x,
    cJSON *rec);
static ngx_int_t ngx_cerebro_at_valid_id(const char *id);
static ngx_int_t ngx_cerebro_at_repeated(ngx_cerebro_at_t *at);

static void ngx_cerebro_at_tables(ngx_cerebro_at_t *at);
static ngx_int_t ngx_cerebro_at_map_table(ngx_cerebro_at_http_t *x,
    cJSON *rec);
static void ngx_cerebro_at_tables_done(ngx_cerebro_at_http_t *x);
static void ngx_cerebro_at_faq_start(ngx_cerebro_at_t *at);
static ngx_int_t ngx_cerebro_at_map_faq(ngx_cerebro_at_http_t *x,
    cJSON *rec);
static void ngx_cerebro_at_faq_done(ngx_cerebro_at_http_t *x);
static ngx_int_t ngx_cerebro_at_list_day(ngx_cerebro_at_t *at,
    ngx_uint_t with_cancelled, ngx_cerebro_at_http_next_pt done);
static void ngx_cerebro_at_day_done(ngx_cerebro_at_http_t *x);
static void ngx_cerebro_at_range(ngx_cerebro_at_t *at);
static void ngx_cerebro_at_range_done(ngx_cerebro_at_http_t *x);
static void ngx_cerebro_at_recent(ngx_cerebro_at_t *at);
static void ngx_cerebro_at_recent_done(ngx_cerebro_at_http_t *x);
static void ngx_cerebro_at_phone_formula(ngx_cerebro_at_t *at,
    cerebro_formula_t *f, const char *field);
static void ngx_cerebro_at_by_phone(ngx_cerebro_at_t *at);
static void ngx_cerebro_at_by_phone_done(ngx_cerebro_at_http_t *x);
static void ngx_cerebro_at_get(ngx_cerebro_at_t *at,
    ngx_cerebro_at_http_step_pt step);
static void ngx_cerebro_at_get_done(ngx_cerebro_at_http_t *x,
    ngx_uint_t status, cJSON *json);

static void ngx_cerebro_at_create(ngx_cerebro_at_t *at);
static void ngx_cerebro_at_lock(ngx_cerebro_at_t *at);
static void ngx_cerebro_at_locked(ngx_cerebro_lock_t *lk, ngx_int_t rc);
static void ngx_cerebro_at_reread(ngx_cerebro_at_http_t *x);
static void ngx_cerebro_at_decide(ngx_cerebro_at_http_t *x);
static void ngx_cerebro_at_choose(ngx_cerebro_at_t *at);
static void ngx_cerebro_at_settle(ngx_cerebro_at_t *at);
static void ngx_cerebro_at_moved(ngx_cerebro_at_http_t *x,
    ngx_uint_t status, cJSON *json);
static void ngx_cerebro_at_settled(ngx_cerebro_at_http_t *x);
static void ngx_cerebro_at_withdrawn(ngx_cerebro_at_http_t *x,
    ngx_uint_t status, cJSON *json);
static void ngx_cerebro_at_landed(ngx_cerebro_at_http_t *x);
static void ngx_cerebro_at_landed_read(ngx_cerebro_at_http_t *x);
static void ngx_cerebro_at_wide(ngx_cerebro_at_t *at);
static void ngx_cerebro_at_engine(ngx_cerebro_at_t *at,
    cerebro_answer_t *answer);
static void ngx_cerebro_at_wide_done(ngx_cerebro_at_http_t *x);
static void ngx_cerebro_at_refuse(ngx_cerebro_at_t *at);
static void ngx_cerebro_at_write(ngx_cerebro_at_t *at);
static void ngx_cerebro_at_written(ngx_cerebro_at_http_t *x,
    ngx_uint_t status, cJSON *json);
static ngx_int_t ngx_cerebro_at_unknown_field(ngx_cerebro_at_t *at,
    ngx_uint_t status, cJSON *json);

static void ngx_cerebro_at_update(ngx_cerebro_at_http_t *x,
    ngx_uint_t status, cJSON *json);
static void ngx_cerebro_at_patch_notes(ngx_cerebro_at_t *at);
static void ngx_cerebro_at_cancel(ngx_cerebro_at_http_t *x,
    ngx_uint_t status, cJSON *json);

static void ngx_cerebro_at_guest_start(ngx_cerebro_at_t *at);
static ngx_int_t ngx_cerebro_at_map_guest(ngx_cerebro_at_http_t *x,
    cJSON *rec);
static void ngx_cerebro_at_guest_found(ngx_cerebro_at_http_t *x);
static void ngx_cerebro_at_guest_written(ngx_cerebro_at_http_t *x,
    ngx_uint_t status, cJSON *json);

static void ngx_cerebro_at_call_log(ngx_cerebro_at_t *at);
static void ngx_cerebro_at_upsert(ngx_cerebro_at_t *at, const char *table,
    const char *merge_on, cJSON *fields, ngx_cerebro_at_http_step_pt step);
static void ngx_cerebro_at_waitlist(ngx_cerebro_at_t *at);
static void ngx_cerebro_at_waitlist_written(ngx_cerebro_at_http_t *x,
    ngx_uint_t status, cJSON *json);
static void ngx_cerebro_at_call_log_written(ngx_cerebro_at_http_t *x,
    ngx_uint_t status, cJSON *json);
static ngx_int_t ngx_cerebro_at_no_table(ngx_uint_t status, cJSON *json);


ngx_cerebro_store_backend_t  ngx_cerebro_store_airtable = {
    "airtable",
    ngx_cerebro_at_init_process,
    ngx_cerebro_at_exit_process,
    ngx_cerebro_at_start,
    1,
    0
};


/*
 * This worker's knowledge of the base, learnt from its answers: a base
 * made by the original guide lacks our extra fields and the call log.
 */
static ngx_uint_t  ngx_cerebro_at_no_extras;
static ngx_uint_t  ngx_cerebro_at_no_call_log;
static ngx_uint_t  ngx_cerebro_at_no_waitlist;


static ngx_int_t
ngx_cerebro_at_init_process(ngx_cycle_t *cycle, ngx_cerebro_store_conf_t *scf)
{
    ngx_cerebro_net_conf_t  *ncf;

    ngx_cerebro_at_no_extras = 0;
    ngx_cerebro_at_no_call_log = 0;
    ngx_cerebro_at_no_waitlist = 0;

    ncf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cerebro_net_module);

    if (ncf->limiter == NULL) {
        ngx_cerebro_log(NGX_LOG_WARN, cycle->log, 0,
                        "airtable: no shared limiter zone, requests are "
                        "not rate limited across workers");
    }

    return NGX_OK;
}


/*
 * Nothing to close: a worker holds no connection of its own (nginx's
 * upstream keepalive pool does) and every operation lives in a request.
 */
static void
ngx_cerebro_at_exit_process(ngx_cycle_t *cycle, ngx_cerebro_store_conf_t *scf)
{
}


static ngx_int_t
ngx_cerebro_at_start(ngx_cerebro_store_op_t *op)
{
    ngx_cerebro_at_t       *at;
    ngx_pool_cleanup_t     *cln;
    ngx_cerebro_at_conf_t  *acf;

    at = ngx_pcalloc(op->request->pool, sizeof(ngx_cerebro_at_t));
    if (at == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(op->request->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_cerebro_at_cleanup;
    cln->data = at;

    if (ngx_cerebro_at_http_init(&at->http, op->request, op->deadline,
                                 &op->error, ngx_cerebro_at_done, at)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    acf = at->http.scf->airtable;
    at->http.pause = acf ? acf->pause : 0;
    at->http.per_second = acf ? acf->rate : 0;

    at->op = op;
    at->names = ngx_cerebro_at_names(at->http.scf);
    at->model = ngx_cerebro_store_model(op->request);
    at->lock.retry.log = at->http.log;

    op->backend = at;
    op->repeated = 0;
    op->already = 0;
    op->nbookings = 0;
    op->ntables = 0;
    op->ngroups = 0;
    op->nfaq = 0;

    if (at->http.mcf->airtable_base_id.len == 0) {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: no base id configured");
        return NGX_OK;
    }

    switch (op->kind) {

    case NGX_CEREBRO_STORE_TABLES:
        ngx_cerebro_at_tables(at);
        break;

    case NGX_CEREBRO_STORE_FAQ:
        ngx_cerebro_at_faq_start(at);
        break;

    case NGX_CEREBRO_STORE_DAY:
        at->day = op->date;
        if (ngx_cerebro_at_list_day(at, 1, ngx_cerebro_at_day_done)
            != NGX_OK)
        {
            ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                                  "airtable: no memory");
        }
        break;

    case NGX_CEREBRO_STORE_RANGE:
        ngx_cerebro_at_range(at);
        break;

    case NGX_CEREBRO_STORE_BY_PHONE:
        ngx_cerebro_at_by_phone(at);
        break;

    case NGX_CEREBRO_STORE_RECENT:
        ngx_cerebro_at_recent(at);
        break;

    case NGX_CEREBRO_STORE_GET:
        ngx_cerebro_at_get(at, ngx_cerebro_at_get_done);
        break;

    case NGX_CEREBRO_STORE_CREATE:
        ngx_cerebro_at_create(at);
        break;

    case NGX_CEREBRO_STORE_UPDATE:
        ngx_cerebro_at_get(at, ngx_cerebro_at_update);
        break;

    case NGX_CEREBRO_STORE_CANCEL:
        ngx_cerebro_at_get(at, ngx_cerebro_at_cancel);
        break;

    case NGX_CEREBRO_STORE_GUEST:
    case NGX_CEREBRO_STORE_GUEST_FIND:
        ngx_cerebro_at_guest_start(at);
        break;

    case NGX_CEREBRO_STORE_CALL_LOG:
        ngx_cerebro_at_call_log(at);
        break;

    case NGX_CEREBRO_STORE_WAITLIST_PUT:
        ngx_cerebro_at_waitlist(at);
        break;

    default:
        ngx_cerebro_at_finish(at, CEREBRO_STORE_INVALID,
                              "airtable: unknown operation %d",
                              (int) op->kind);
    }

    return NGX_OK;
}


/* The request is going away, finished or terminated: the lock with it. */
static void
ngx_cerebro_at_cleanup(void *data)
{
    ngx_cerebro_at_t *at = data;

    if (at->lock.limiter) {
        ngx_cerebro_lock_release(&at->lock);
    }
}


/* The exchange engine ends the operation: ours to say what it means. */
static void
ngx_cerebro_at_done(ngx_cerebro_at_http_t *x)
{
    u_char                  *p;
    cerebro_answer_t        *answer;
    ngx_cerebro_at_t        *at;
    ngx_cerebro_store_op_t  *op;

    at = x->data;
    op = at->op;

    if (x->maybe_written) {
        /* the next booking of the day must not read before it shows */
        ngx_cerebro_lock_expire_in(&at->lock, NGX_CEREBRO_AT_UNKNOWN_WRITE);
    }

    if (at->lock.limiter) {
        ngx_cerebro_lock_release(&at->lock);
    }

    if (at->wide && op->error.kind != CEREBRO_STORE_OK
        && op->error.kind != CEREBRO_STORE_CONFLICT
        && op->error.kind != CEREBRO_STORE_INVALID)
    {
        /*
         * The slot was refused already; only the following days could
         * not be read: the guest still hears the same day's alternatives.
         */
        answer = &op->answer;
        ngx_cerebro_log(NGX_LOG_WARN, x->log, 0,
                        "store: following days unread (%s)",
                        op->error.message);

        answer->nalts = answer->nsame;
        op->error.kind = CEREBRO_STORE_CONFLICT;
        p = ngx_snprintf((u_char *) op->error.message,
                         sizeof(op->error.message) - 1,
                         "airtable: slot refused: %s",
                         cerebro_reason_name(answer->reason));
        *p = '\0';
    }

    ngx_cerebro_store_finish(op);
}


static void
ngx_cerebro_at_finish(ngx_cerebro_at_t *at, cerebro_store_err_t kind,
    const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    ngx_cerebro_at_http_vfinish(&at->http, kind, fmt, args);
    va_end(args);
}


static void
ngx_cerebro_at_ok(ngx_cerebro_at_t *at)
{
    ngx_cerebro_at_finish(at, CEREBRO_STORE_OK, NULL);
}


/* ---- lists -------------------------------------------------------------- */


static ngx_int_t
ngx_cerebro_at_formula(ngx_cerebro_at_t *at, cerebro_formula_t *f,
    ngx_str_t *out)
{
    size_t                 len;
    cerebro_formula_rc_t   rc;

    rc = cerebro_formula_finish(f, &len);

    if (rc != CEREBRO_FORMULA_OK) {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_INVALID,
                              "airtable: formula: %s",
                              cerebro_formula_strerror(rc));
        return NGX_ERROR;
    }

    out->data = ngx_pnalloc(at->http.r->pool, len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(out->data, f->buf, len);
    out->len = len;

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_at_map_res(ngx_cerebro_at_http_t *x, cJSON *rec)
{
    ngx_uint_t              n;
    ngx_cerebro_at_t       *at;
    cerebro_reservation_t  *res;

    at = x->data;

    if (at->nres == at->nalloc) {
        if (at->nalloc == NGX_CEREBRO_STORE_MAX_BOOKINGS) {
            return NGX_DONE;
        }

        n = at->nalloc ? ngx_min(at->nalloc * 2,
                                 NGX_CEREBRO_STORE_MAX_BOOKINGS)
                       : 32;

        res = ngx_palloc(at->http.r->pool,
                         n * sizeof(cerebro_reservation_t));
        if (res == NULL) {
            return NGX_ERROR;
        }

        if (at->nres) {
            ngx_memcpy(res, at->res,
                       at->nres * sizeof(cerebro_reservation_t));
        }

        at->res = res;
        at->nalloc = n;
    }

    if (ngx_cerebro_at_reservation(at->names, rec, &at->res[at->nres])
        == NGX_OK)
    {
        at->nres++;
    }

    return NGX_OK;
}


/* Bookings of at->day in the restaurant's zone. */
static ngx_int_t
ngx_cerebro_at_list_day(ngx_cerebro_at_t *at, ngx_uint_t with_cancelled,
    ngx_cerebro_at_http_next_pt done)
{
    char               buf[NGX_CEREBRO_AT_FORMULA_LEN];
    ngx_str_t          formula;
    cerebro_formula_t  f;

    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_open(&f, CEREBRO_FORMULA_AND);
    cerebro_formula_date_eq(&f, at_f(at, DATE_TIME), at->model->timezone,
                            &at->day);
    if (!with_cancelled) {
        cerebro_formula_cmp_str(&f, at_f(at, STATUS), "!=",
                                CEREBRO_STATUS_CANCELLED,
                                sizeof(CEREBRO_STATUS_CANCELLED) - 1);
    }
    cerebro_formula_close(&f);

    if (ngx_cerebro_at_formula(at, &f, &formula) != NGX_OK) {
        return at->http.finished ? NGX_OK : NGX_ERROR;
    }

    return ngx_cerebro_at_http_list(&at->http, at_t(at, RESERVAS), &formula,
                                    ngx_cerebro_at_map_res, done);
}


static int
ngx_cerebro_at_cmp_start(const void *a, const void *b)
{
    const cerebro_reservation_t  *x = a, *y = b;

    return (x->start > y->start) - (x->start < y->start);
}


/* By start; with from > 0 only the active ones from then on. */
static void
ngx_cerebro_at_publish(ngx_cerebro_at_t *at, int64_t from)
{
    ngx_uint_t               i, n;
    ngx_cerebro_store_op_t  *op;

    op = at->op;
    n = 0;

    for (i = 0; i < at->nres; i++) {
        if (from
            && (cerebro_booking_status_from_string(at->res[i].status)
                == CEREBRO_BOOKING_CANCELLED
                || at->res[i].start < from))
        {
            continue;
        }

        at->res[n++] = at->res[i];
    }

    if (n > 1) {
        ngx_qsort(at->res, n, sizeof(cerebro_reservation_t),
                  ngx_cerebro_at_cmp_start);
    }

    op->bookings = at->res;
    op->nbookings = n;
}


static void
ngx_cerebro_at_day_done(ngx_cerebro_at_http_t *x)
{
    ngx_cerebro_at_t *at = x->data;

    ngx_cerebro_at_publish(at, 0);
    ngx_cerebro_at_ok(at);
}


/*
 * Bookings starting in [from, to): the local days that span it, as the
 * formula builder writes them, then cut to the exact instants here.
 */
static void
ngx_cerebro_at_range(ngx_cerebro_at_t *at)
{
    char                     buf[NGX_CEREBRO_AT_FORMULA_LEN];
    ngx_str_t                formula;
    cerebro_local_t          from, to;
    cerebro_formula_t        f;
    ngx_cerebro_store_op_t  *op;

    op = at->op;

    if (op->to <= op->from) {
        ngx_cerebro_at_ok(at);
        return;
    }

    cerebro_tz_to_local(&at->model->tz, op->from, &from);
    cerebro_tz_to_local(&at->model->tz, op->to - 1, &to);

    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_date_range(&f, at_f(at, DATE_TIME),
                               at->model->timezone, &from.date,
                               &to.date);

    if (ngx_cerebro_at_formula(at, &f, &formula) != NGX_OK
        || ngx_cerebro_at_http_list(&at->http, at_t(at, RESERVAS), &formula,
                                    ngx_cerebro_at_map_res,
                                    ngx_cerebro_at_range_done)
           != NGX_OK)
    {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: no memory");
    }
}


static void
ngx_cerebro_at_range_done(ngx_cerebro_at_http_t *x)
{
    ngx_uint_t         i, n;
    ngx_cerebro_at_t  *at;

    at = x->data;
    n = 0;

    for (i = 0; i < at->nres; i++) {
        if (at->res[i].start >= at->op->from && at->res[i].start < at->op->to)
        {
            at->res[n++] = at->res[i];
        }
    }

    at->nres = n;

    ngx_cerebro_at_publish(at, 0);
    ngx_cerebro_at_ok(at);
}


/*
 * Bookings the base wrote since op->from (its createdTime), of which the
 * active ones starting after op->to are kept: one list request, whatever
 * the days they are for.
 */
static void
ngx_cerebro_at_recent(ngx_cerebro_at_t *at)
{
    char               iso[32], buf[NGX_CEREBRO_AT_FORMULA_LEN];
    ngx_str_t          formula;
    cerebro_formula_t  f;

    ngx_cerebro_at_format_iso(at->op->from, iso, sizeof(iso));

    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_open(&f, "IS_AFTER");
    cerebro_formula_raw(&f, "CREATED_TIME()");
    cerebro_formula_open(&f, "DATETIME_PARSE");
    cerebro_formula_string(&f, iso, ngx_strlen(iso));
    cerebro_formula_close(&f);
    cerebro_formula_close(&f);

    if (ngx_cerebro_at_formula(at, &f, &formula) != NGX_OK
        || ngx_cerebro_at_http_list(&at->http, at_t(at, RESERVAS), &formula,
                                    ngx_cerebro_at_map_res,
                                    ngx_cerebro_at_recent_done)
           != NGX_OK)
    {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: no memory");
    }
}


static void
ngx_cerebro_at_recent_done(ngx_cerebro_at_http_t *x)
{
    ngx_cerebro_at_t *at = x->data;

    ngx_cerebro_at_publish(at, at->op->to + 1);
    ngx_cerebro_at_ok(at);
}


/*
 * Staff type numbers as they come ("600 11 12 22"): a record is found by
 * any form of op->phone (E.164), and what they typed stays in the base.
 */
static void
ngx_cerebro_at_phone_formula(ngx_cerebro_at_t *at, cerebro_formula_t *f,
    const char *field)
{
    int   n;
    char  forms[CEREBRO_PHONE_FORMS][CEREBRO_PHONE_FORM_SIZE];

    n = cerebro_phone_forms(at->op->phone, at->http.mcf->model->country_code,
                            forms, CEREBRO_PHONE_FORMS);

    if (n == 0) {
        /* not E.164 (a tool always gives it so): the value as it is */
        cerebro_formula_cmp_str(f, field, "=", at->op->phone,
                                ngx_strlen(at->op->phone));
        return;
    }

    cerebro_formula_phone(f, field, forms, n);
}


static void
ngx_cerebro_at_by_phone(ngx_cerebro_at_t *at)
{
    char               buf[NGX_CEREBRO_AT_FORMULA_LEN];
    ngx_str_t          formula;
    cerebro_formula_t  f;

    if (at->op->phone[0] == '\0') {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_INVALID,
                              "airtable: no phone to look up");
        return;
    }

    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_open(&f, CEREBRO_FORMULA_AND);
    ngx_cerebro_at_phone_formula(at, &f, at_f(at, CLIENT_PHONE));
    cerebro_formula_cmp_str(&f, at_f(at, STATUS), "!=",
                            CEREBRO_STATUS_CANCELLED,
                            sizeof(CEREBRO_STATUS_CANCELLED) - 1);
    cerebro_formula_close(&f);

    if (ngx_cerebro_at_formula(at, &f, &formula) != NGX_OK
        || ngx_cerebro_at_http_list(&at->http, at_t(at, RESERVAS), &formula,
                                    ngx_cerebro_at_map_res,
                                    ngx_cerebro_at_by_phone_done)
           != NGX_OK)
    {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: no memory");
    }
}


static void
ngx_cerebro_at_by_phone_done(ngx_cerebro_at_http_t *x)
{
    ngx_cerebro_at_t *at = x->data;

    /* upcoming: from now on */
    ngx_cerebro_at_publish(at, (int64_t) ngx_time());
    ngx_cerebro_at_ok(at);
}


static void
ngx_cerebro_at_tables(ngx_cerebro_at_t *at)
{
    at->op->tables = ngx_pcalloc(at->http.r->pool,
                                 CEREBRO_MAX_TABLES
                                 * sizeof(cerebro_table_rec_t));

    if (at->op->tables == NULL
        || ngx_cerebro_at_http_list(&at->http, at_t(at, MESAS), NULL,
                                    ngx_cerebro_at_map_table,
                                    ngx_cerebro_at_tables_done)
           != NGX_OK)
    {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: no memory");
    }
}


static ngx_int_t
ngx_cerebro_at_map_table(ngx_cerebro_at_http_t *x, cJSON *rec)
{
    ngx_cerebro_at_t        *at;
    ngx_cerebro_store_op_t  *op;

    at = x->data;
    op = at->op;

    if (op->ntables == CEREBRO_MAX_TABLES) {
        return NGX_DONE;
    }

    if (ngx_cerebro_at_table(at->names, rec, &op->tables[op->ntables])
        == NGX_OK)
    {
        op->ntables++;
    }

    return NGX_OK;
}


/* Groups are no table of the original base: they come from the model. */
static void
ngx_cerebro_at_tables_done(ngx_cerebro_at_http_t *x)
{
    int                          i, j;
    ngx_cerebro_at_t            *at;
    cerebro_group_rec_t         *g;
    ngx_cerebro_store_op_t      *op;
    const cerebro_restaurant_t  *model;

    at = x->data;
    op = at->op;
    model = at->model;

    if (model->ngroups) {
        op->groups = ngx_pcalloc(at->http.r->pool,
                                 model->ngroups
                                 * sizeof(cerebro_group_rec_t));
        if (op->groups == NULL) {
            ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                                  "airtable: no memory");
            return;
        }
    }

    for (i = 0; i < model->ngroups; i++) {
        g = &op->groups[op->ngroups++];

        ngx_memcpy(g->name, model->groups[i].name, CEREBRO_NAME_LEN);
        g->capacity_min = model->groups[i].capacity_min;
        g->capacity_max = model->groups[i].capacity_max;
        g->ntables = model->groups[i].ntables;

        for (j = 0; j < g->ntables; j++) {
            ngx_memcpy(g->members[j], model->groups[i].members[j],
                       CEREBRO_NAME_LEN);
        }
    }

    ngx_cerebro_at_ok(at);
}


static void
ngx_cerebro_at_faq_start(ngx_cerebro_at_t *at)
{
    at->op->faq = ngx_pcalloc(at->http.r->pool,
                              NGX_CEREBRO_AT_MAX_FAQ * sizeof(cerebro_faq_t));

    if (at->op->faq == NULL
        || ngx_cerebro_at_http_list(&at->http, at_t(at, FAQ), NULL,
                                    ngx_cerebro_at_map_faq,
                                    ngx_cerebro_at_faq_done)
           != NGX_OK)
    {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: no memory");
    }
}


static ngx_int_t
ngx_cerebro_at_map_faq(ngx_cerebro_at_http_t *x, cJSON *rec)
{
    ngx_cerebro_at_t        *at;
    ngx_cerebro_store_op_t  *op;

    at = x->data;
    op = at->op;

    if (op->nfaq == NGX_CEREBRO_AT_MAX_FAQ) {
        return NGX_DONE;
    }

    if (ngx_cerebro_at_faq(at->names, rec, &op->faq[op->nfaq]) == NGX_OK) {
        op->nfaq++;
    }

    return NGX_OK;
}


static void
ngx_cerebro_at_faq_done(ngx_cerebro_at_http_t *x)
{
    ngx_cerebro_at_ok(x->data);
}


/* ---- one booking -------------------------------------------------------- */


/* Airtable's ids are "rec" + 14 letters and digits: nothing else is sent. */
static ngx_int_t
ngx_cerebro_at_valid_id(const char *id)
{
    size_t  i;

    if (ngx_strncmp(id, "rec", 3) != 0) {
        return NGX_ERROR;
    }

    for (i = 3; id[i]; i++) {
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z')
              || (id[i] >= '0' && id[i] <= '9'))
            || i >= CEREBRO_REC_ID_LEN - 1)
        {
            return NGX_ERROR;
        }
    }

    return i > 3 ? NGX_OK : NGX_ERROR;
}


static void
ngx_cerebro_at_get(ngx_cerebro_at_t *at, ngx_cerebro_at_http_step_pt step)
{
    if (ngx_cerebro_at_valid_id(at->op->id) != NGX_OK) {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_NOT_FOUND,
                              "airtable: no booking \"%s\"", at->op->id);
        return;
    }

    if (ngx_cerebro_at_http_request(&at->http, NGX_HTTP_GET,
                                    at_t(at, RESERVAS), at->op->id, NULL,
                                    NULL, step)
        != NGX_OK)
    {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: no memory");
        return;
    }

    ngx_cerebro_at_http_send(&at->http);
}


static void
ngx_cerebro_at_get_done(ngx_cerebro_at_http_t *x, ngx_uint_t status,
    cJSON *json)
{
    ngx_cerebro_at_t *at = x->data;

    if (status != NGX_HTTP_OK) {
        ngx_cerebro_at_http_fail(x, status, json);
        return;
    }

    if (ngx_cerebro_at_reservation(at->names, json, &at->op->reservation)
        != NGX_OK)
    {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: a booking without date_time");
        return;
    }

    ngx_cerebro_at_ok(at);
}


static void
ngx_cerebro_at_create(ngx_cerebro_at_t *at)
{
    cerebro_booking_req_t  *b;

    b = &at->op->booking;

    if (b->client_name == NULL || b->client_name[0] == '\0'
        || ngx_strlen(b->client_name) >= CEREBRO_REC_NAME_LEN
        || b->client_phone == NULL || b->client_phone[0] == '\0'
        || ngx_strlen(b->client_phone) >= CEREBRO_REC_PHONE_LEN
        || (b->notes && ngx_strlen(b->notes) >= CEREBRO_REC_NOTES_LEN)
        || (b->call_id && ngx_strlen(b->call_id) >= CEREBRO_REC_CALL_ID_LEN)
        || !cerebro_date_valid(&b->when.date)
        || b->when.minutes < 0 || b->when.minutes >= 1440
        || b->when.party < 1)
    {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_INVALID,
                              "airtable: a booking needs a name, a phone, "
                              "a date, a time and a party");
        return;
    }

    at->want = b->when;
    at->pax = b->when.party;
    at->notes = b->notes;
    at->day = b->when.date;
    at->start = cerebro_tz_from_local(&at->model->tz, &at->day,
                                      at->want.minutes, NULL);

    ngx_cerebro_at_lock(at);
}


/* The day's lock: host-wide now, cluster-wide once Redis holds it. */
static void
ngx_cerebro_at_lock(ngx_cerebro_at_t *at)
{
    u_char      *p;
    ngx_msec_t   left;

    left = ngx_cerebro_at_http_left(&at->http);

    if (at->http.limiter == NULL) {
        ngx_cerebro_log(NGX_LOG_WARN, at->http.log, 0,
                        "airtable: booking without the day lock (no "
                        "shared zone)");
        ngx_cerebro_at_reread(&at->http);
        return;
    }

    p = ngx_snprintf(at->lock_key, sizeof(at->lock_key),
                     "at:%V:%04d-%02d-%02d", &at->http.mcf->airtable_base_id,
                     at->day.year, at->day.month, at->day.day);

    at->lock.limiter = at->http.limiter;
    at->lock.key.data = at->lock_key;
    at->lock.key.len = p - at->lock_key;
    at->lock.ttl = left + 1000;
    at->lock.wait = left;
    at->lock.log = at->http.log;
    at->lock.handler = ngx_cerebro_at_locked;
    at->lock.data = at;

    if (ngx_cerebro_lock_acquire(&at->lock) != NGX_OK) {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: the day lock \"%V\" is unusable",
                              &at->lock.key);
    }
}


static void
ngx_cerebro_at_locked(ngx_cerebro_lock_t *lk, ngx_int_t rc)
{
    ngx_connection_t  *c;
    ngx_cerebro_at_t  *at;

    at = lk->data;
    c = at->http.r->connection;

    if (at->http.finished) {
        return;
    }

    if (rc != NGX_OK) {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: the day %V stayed locked by other "
                              "bookings until the deadline", &lk->key);
        return;
    }

    ngx_cerebro_at_reread(&at->http);

    ngx_http_run_posted_requests(c);
}


/* Under the lock: the day as it is now. */
static void
ngx_cerebro_at_reread(ngx_cerebro_at_http_t *x)
{
    ngx_cerebro_at_t *at = x->data;

    at->nres = 0;
    at->wide = 0;

    if (ngx_cerebro_at_list_day(at, 0, ngx_cerebro_at_decide) != NGX_OK) {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: no memory");
    }
}


/*
 * The same guest at the same time: the booking they have, not a second
 * (cerebro_rec_first_of_guest, the key the settlement uses too).  A
 * booking typed by staff, with no call behind it, is theirs to repeat.
 */
static ngx_int_t
ngx_cerebro_at_repeated(ngx_cerebro_at_t *at)
{
    int                      k;
    ngx_cerebro_store_op_t  *op;

    op = at->op;

    if (op->booking.call_id == NULL || op->booking.call_id[0] == '\0') {
        return 0;
    }

    k = cerebro_rec_first_of_guest(at->res, (int) at->nres,
                                   op->booking.client_phone, at->start);
    if (k < 0) {
        return 0;
    }

    op->reservation = at->res[k];
    op->repeated = 1;

    return 1;
}


static void
ngx_cerebro_at_decide(ngx_cerebro_at_http_t *x)
{
    ngx_cerebro_at_t  *at;

    at = x->data;

    if (at->op->kind == NGX_CEREBRO_STORE_CREATE
        && ngx_cerebro_at_repeated(at))
    {
        ngx_cerebro_at_ok(at);
        return;
    }

    ngx_cerebro_at_choose(at);
}


/* The engine on the day as read: write, or refuse with alternatives. */
static void
ngx_cerebro_at_choose(ngx_cerebro_at_t *at)
{
    cerebro_answer_t  *answer;

    answer = &at->op->answer;

    ngx_cerebro_at_engine(at, answer);

    if (answer->reason == CEREBRO_AVAIL_OK) {
        ngx_cerebro_at_write(at);
        return;
    }

    if (answer->nalts > answer->nsame) {
        ngx_cerebro_at_wide(at);
        return;
    }

    ngx_cerebro_at_refuse(at);
}


/* The following days' alternatives, from their own bookings. */
static void
ngx_cerebro_at_wide(ngx_cerebro_at_t *at)
{
    char               buf[NGX_CEREBRO_AT_FORMULA_LEN];
    ngx_str_t          formula;
    cerebro_date_t     to;
    cerebro_formula_t  f;

    at->wide = 1;
    at->day = cerebro_date_add_days(&at->want.date, 1);
    to = cerebro_date_add_days(&at->want.date, NGX_CEREBRO_AT_WIDE_DAYS);

    cerebro_formula_init(&f, buf, sizeof(buf));
    cerebro_formula_open(&f, CEREBRO_FORMULA_AND);
    cerebro_formula_date_range(&f, at_f(at, DATE_TIME), at->model->timezone,
                               &at->day, &to);
    cerebro_formula_cmp_str(&f, at_f(at, STATUS), "!=",
                            CEREBRO_STATUS_CANCELLED,
                            sizeof(CEREBRO_STATUS_CANCELLED) - 1);
    cerebro_formula_close(&f);

    if (ngx_cerebro_at_formula(at, &f, &formula) != NGX_OK
        || ngx_cerebro_at_http_list(&at->http, at_t(at, RESERVAS), &formula,
                                    ngx_cerebro_at_map_res,
                                    ngx_cerebro_at_wide_done)
           != NGX_OK)
    {
        ngx_cerebro_at_refuse(at);
    }
}


/* The store's one booking decision (cerebro_rec_decide), on at->res. */
static void
ngx_cerebro_at_engine(ngx_cerebro_at_t *at, cerebro_answer_t *answer)
{
    int                 n;
    cerebro_booking_t  *b;

    b = ngx_palloc(at->http.r->pool,
                   (at->nres + 1) * sizeof(cerebro_booking_t));
    if (b == NULL) {
        ngx_memzero(answer, sizeof(cerebro_answer_t));
        answer->reason = CEREBRO_AVAIL_INVALID;
        return;
    }

    /* the booking being moved does not block itself */
    n = cerebro_rec_to_engine(at->model, at->res, (int) at->nres,
                              at->move ? at->old.id : NULL, b);

    at->want.party = at->pax;

    (void) cerebro_rec_decide(at->model, b, n, (int64_t) ngx_time(),
                              &at->want, answer, NULL);
}


static void
ngx_cerebro_at_wide_done(ngx_cerebro_at_http_t *x)
{
    ngx_cerebro_at_t *at = x->data;

    ngx_cerebro_at_engine(at, &at->op->answer);

    if (at->op->answer.reason == CEREBRO_AVAIL_OK) {
        /* cannot be: the asked day's bookings are the same; refuse */
        at->op->answer.reason = CEREBRO_AVAIL_FULL;
    }

    ngx_cerebro_at_refuse(at);
}


static void
ngx_cerebro_at_refuse(ngx_cerebro_at_t *at)
{
    cerebro_answer_t  *answer;

    answer = &at->op->answer;

    /* refused for good: a failure from now on cannot change that */
    at->wide = 0;

    if (answer->reason == CEREBRO_AVAIL_INVALID) {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_INVALID,
                              "airtable: the engine refused the request "
                              "as invalid");
        return;
    }

    ngx_cerebro_at_finish(at, CEREBRO_STORE_CONFLICT,
                          "airtable: slot refused: %s",
                          cerebro_reason_name(answer->reason));
}


static ngx_int_t
ngx_cerebro_at_build_write(ngx_cerebro_at_t *at, ngx_str_t *body)
{
    char                     iso[32];
    cJSON                   *fields;
    ngx_int_t                rc;
    const char              *table, *id;
    ngx_cerebro_store_op_t  *op;

    op = at->op;
    table = op->answer.slot.name;
    at->extras = !ngx_cerebro_at_no_extras;

    if (op->kind == NGX_CEREBRO_STORE_CREATE || at->move) {
        fields = ngx_cerebro_at_booking_fields(at->names, &op->booking,
                                               op->answer.slot.start, table,
                                               at->extras);
        id = NULL;

    } else {
        /* an update: only what changes */
        fields = cJSON_CreateObject();
        ngx_cerebro_at_format_iso(op->answer.slot.start, iso, sizeof(iso));

        if (fields
            && (cJSON_AddStringToObject(fields, at_f(at, DATE_TIME), iso)
                == NULL
                || cJSON_AddNumberToObject(fields, at_f(at, PAX), at->pax)
                   == NULL
                || cJSON_AddStringToObject(fields, at_f(at, TABLE), table)
                   == NULL
                || (at->extras && at->notes
                    && cJSON_AddStringToObject(fields, at_f(at, NOTES),
                                               at->notes)
                       == NULL)))
        {
            cJSON_Delete(fields);
            fields = NULL;
        }

        id = at->cur.id;
    }

    if (fields == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_cerebro_at_records_body(at->http.r->pool, id, NULL, fields,
                                     body);
    cJSON_Delete(fields);

    return rc;
}


static void
ngx_cerebro_at_write(ngx_cerebro_at_t *at)
{
    ngx_str_t    body;
    ngx_uint_t   create;

    create = (at->op->kind == NGX_CEREBRO_STORE_CREATE || at->move);

    if (ngx_cerebro_at_build_write(at, &body) != NGX_OK
        || ngx_cerebro_at_http_request(&at->http,
                                       create ? NGX_HTTP_POST
                                              : NGX_HTTP_PATCH,
                                       at_t(at, RESERVAS), NULL, NULL, &body,
                                       ngx_cerebro_at_written)
           != NGX_OK)
    {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: no memory");
        return;
    }

    /*
     * A create is not sent twice: refused unsent, the day is read again;
     * answered 5xx or not at all, the day is read for the booking's key.
     * Its answer is waited for past the operation's deadline: what the
     * guest is told must be what the base holds (the channel answers at
     * its own deadline that the booking is being confirmed).
     */
    at->http.unsafe = create;
    at->http.unsent = ngx_cerebro_at_reread;

    if (create) {
        at->http.unknown = ngx_cerebro_at_landed;

        if (ngx_cerebro_at_http_left(&at->http) < NGX_CEREBRO_AT_WRITE_WAIT) {
            at->http.deadline = ngx_current_msec + NGX_CEREBRO_AT_WRITE_WAIT;
        }
    }

    ngx_cerebro_at_http_send(&at->http);
}


/* 422 UNKNOWN_FIELD_NAME for one of our extra fields: once without them. */
static ngx_int_t
ngx_cerebro_at_unknown_field(ngx_cerebro_at_t *at, ngx_uint_t status,
    cJSON *json)
{
    ngx_cerebro_at_error_t  err;

    if (status != 422 || !at->extras) {
        return NGX_DECLINED;
    }

    ngx_cerebro_at_parse_error(json, &err);

    if (ngx_strcmp(err.type, "UNKNOWN_FIELD_NAME") != 0) {
        return NGX_DECLINED;
    }

    if (!ngx_cerebro_at_no_extras) {
        ngx_cerebro_log(NGX_LOG_NOTICE, at->http.log, 0,
                        "airtable: the base has no field of ours (%s): "
                        "notes, source and call_id are not written",
                        err.message);
        ngx_cerebro_at_no_extras = 1;
    }

    return NGX_OK;
}


static void
ngx_cerebro_at_written(ngx_cerebro_at_http_t *x, ngx_uint_t status,
    cJSON *json)
{
    cJSON                   *rec;
    ngx_cerebro_at_t        *at;
    ngx_cerebro_store_op_t  *op;

    at = x->data;
    op = at->op;

    if (ngx_cerebro_at_unknown_field(at, status, json) == NGX_OK) {
        ngx_cerebro_at_write(at);
        return;
    }

    if (status != NGX_HTTP_OK) {
        ngx_cerebro_at_http_fail(x, status, json);
        return;
    }

    rec = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(json,
                                                              "records"), 0);

    if (ngx_cerebro_at_reservation(at->names, rec, &op->reservation)
        != NGX_OK)
    {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: the written booking came back "
                              "without date_time");
        return;
    }

    if (op->kind == NGX_CEREBRO_STORE_CREATE || at->move) {
        at->writes++;
        at->unseen = 0;
        ngx_cerebro_at_settle(at);
        return;
    }

    ngx_cerebro_at_ok(at);
}


/*
 * After a create: the day as the base holds it now, written by every
 * writer (nothing else orders them: no transaction, a lock that may span
 * one host only).
 */
static void
ngx_cerebro_at_settle(ngx_cerebro_at_t *at)
{
    at->nres = 0;
    at->wide = 0;

    if (ngx_cerebro_at_list_day(at, 0, ngx_cerebro_at_settled) != NGX_OK) {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: no memory");
    }
}


static void
ngx_cerebro_at_settled(ngx_cerebro_at_http_t *x)
{
    int                      rc, k;
    ngx_cerebro_at_t        *at;
    ngx_cerebro_store_op_t  *op;

    at = x->data;
    op = at->op;

    k = cerebro_rec_first_of_guest(at->res, (int) at->nres,
                                   op->reservation.client_phone,
                                   op->reservation.start);

    if (k >= 0 && !at->move
        && ngx_strcmp(at->res[k].id, op->reservation.id) != 0
        && op->booking.call_id && op->booking.call_id[0])
    {
        /* the same guest's earlier record (a lost answer that landed) */
        ngx_cerebro_log(NGX_LOG_NOTICE, x->log, 0,
                        "airtable: booking %s withdrawn: the guest's %s "
                        "holds the same time", op->reservation.id,
                        at->res[k].id);
        at->duplicate = 1;
        at->cur = op->reservation;
        op->reservation = at->res[k];
        ngx_cerebro_at_patch_field(at, at_f(at, STATUS),
                                   CEREBRO_STATUS_CANCELLED,
                                   ngx_cerebro_at_withdrawn);
        return;
    }

    rc = cerebro_rec_stands(at->model, at->res, (int) at->nres,
                            op->reservation.id,
                            at->move ? at->old.id : NULL);

    if (rc < 0 && !at->unseen) {
        /* not listed yet: once more before taking it as it is */
        at->unseen = 1;
        ngx_cerebro_at_settle(at);
        return;
    }

    if (rc != 0 && at->move) {
        /* the move stands: the booking it replaces goes */
        at->cur = at->old;
        ngx_cerebro_at_patch_field(at, at_f(at, STATUS),
                                   CEREBRO_STATUS_CANCELLED,
                                   ngx_cerebro_at_moved);
        return;
    }

    if (rc != 0) {
        ngx_cerebro_at_ok(at);
        return;
    }

    ngx_cerebro_log(NGX_LOG_NOTICE, x->log, 0,
                    "airtable: booking %s on %s withdrawn: a booking "
                    "written before it holds the table, or its quarter "
                    "hour's covers",
                    op->reservation.id, op->reservation.table);

    at->cur = op->reservation;

    ngx_cerebro_at_patch_field(at, at_f(at, STATUS), CEREBRO_STATUS_CANCELLED,
                               ngx_cerebro_at_withdrawn);
}


/*
 * The old record of a move that stands.  Not cancelled (the base failed
 * meanwhile): the guest holds both until staff cancel the old one; the
 * move is what they asked for, and it is theirs.
 */
static void
ngx_cerebro_at_moved(ngx_cerebro_at_http_t *x, ngx_uint_t status,
    cJSON *json)
{
    ngx_cerebro_at_t *at = x->data;

    if (status != NGX_HTTP_OK) {
        ngx_cerebro_log(NGX_LOG_ERR, x->log, 0,
                        "airtable: booking %s moved to %s, and the old "
                        "record could not be cancelled (%ui): it is left "
                        "to staff", at->old.id, at->op->reservation.id,
                        status);
    }

    ngx_cerebro_at_ok(at);
}


/* Withdrawn: the engine again, on the day without it. */
static void
ngx_cerebro_at_withdrawn(ngx_cerebro_at_http_t *x, ngx_uint_t status,
    cJSON *json)
{
    ngx_uint_t               i;
    ngx_cerebro_at_t        *at;
    ngx_cerebro_store_op_t  *op;

    at = x->data;
    op = at->op;

    if (status != NGX_HTTP_OK) {
        ngx_cerebro_log(NGX_LOG_ERR, x->log, 0,
                        "airtable: booking %s lost its table and could "
                        "not be withdrawn (%ui): it is left to staff",
                        at->cur.id, status);
        ngx_cerebro_at_http_fail(x, status, json);
        return;
    }

    if (at->duplicate) {
        /* the booking the guest has already: theirs, not a second one */
        op->repeated = 1;
        ngx_cerebro_at_ok(at);
        return;
    }

    for (i = 0; i < at->nres; i++) {
        if (ngx_strcmp(at->res[i].id, at->cur.id) == 0) {
            (void) cerebro_rec_copy(at->res[i].status,
                                    sizeof(at->res[i].status),
                                    CEREBRO_STATUS_CANCELLED);
        }
    }

    ngx_memzero(&op->reservation, sizeof(cerebro_reservation_t));

    if (at->writes >= NGX_CEREBRO_AT_MAX_WRITES) {
        ngx_cerebro_at_engine(at, &op->answer);

        if (op->answer.reason == CEREBRO_AVAIL_OK) {
            /* a place, but this many races lost: say it is taken */
            op->answer.reason = CEREBRO_AVAIL_FULL;
        }

        ngx_cerebro_at_refuse(at);
        return;
    }

    ngx_cerebro_at_choose(at);
}


/*
 * A create answered 5xx or not at all: the day read for the booking's key
 * (the guest's phone and the time), so that the guest hears what the base
 * holds.  Found: it landed, and is settled as any other.  Not found after
 * a second read: it did not, and the engine decides again on that day.
 */
static void
ngx_cerebro_at_landed(ngx_cerebro_at_http_t *x)
{
    ngx_cerebro_at_t *at = x->data;

    at->nres = 0;
    at->wide = 0;
    at->lookups++;

    if (ngx_cerebro_at_list_day(at, 0, ngx_cerebro_at_landed_read)
        != NGX_OK)
    {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: no memory");
    }
}


static void
ngx_cerebro_at_landed_read(ngx_cerebro_at_http_t *x)
{
    int                      k;
    ngx_uint_t               i;
    ngx_cerebro_at_t        *at;
    ngx_cerebro_store_op_t  *op;

    at = x->data;
    op = at->op;

    for (i = 0; at->move && i < at->nres; i++) {
        if (ngx_strcmp(at->res[i].id, at->old.id) == 0) {
            /* a move of the party alone: the old record is not the new */
            (void) cerebro_rec_copy(at->res[i].status,
                                    sizeof(at->res[i].status),
                                    CEREBRO_STATUS_CANCELLED);
        }
    }

    k = cerebro_rec_first_of_guest(at->res, (int) at->nres,
                                   op->booking.client_phone,
                                   op->answer.slot.start);

    if (k >= 0) {
        ngx_cerebro_log(NGX_LOG_NOTICE, x->log, 0,
                        "airtable: the create whose answer was lost "
                        "landed as %s", at->res[k].id);
        op->reservation = at->res[k];
        at->writes++;
        at->unseen = 0;
        ngx_cerebro_at_settle(at);
        return;
    }

    if (at->lookups < 2) {
        ngx_cerebro_at_landed(x);
        return;
    }

    if (at->writes + 1 >= NGX_CEREBRO_AT_MAX_WRITES) {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: a create did not land, and no "
                              "more are tried");
        return;
    }

    /* not written: a new decision on the day as it is, not a blind retry */
    at->writes++;
    at->lookups = 0;
    ngx_cerebro_at_choose(at);
}


static void
ngx_cerebro_at_update(ngx_cerebro_at_http_t *x, ngx_uint_t status,
    cJSON *json)
{
    ngx_uint_t                 check;
    cerebro_local_t            local;
    ngx_cerebro_at_t          *at;
    cerebro_booking_req_t     *b;
    cerebro_booking_change_t  *ch;

    at = x->data;

    if (status != NGX_HTTP_OK) {
        ngx_cerebro_at_http_fail(x, status, json);
        return;
    }

    if (ngx_cerebro_at_reservation(at->names, json, &at->cur) != NGX_OK) {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: a booking without date_time");
        return;
    }

    if (cerebro_booking_status_from_string(at->cur.status)
        == CEREBRO_BOOKING_CANCELLED)
    {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_INVALID,
                              "airtable: booking %s is cancelled",
                              at->cur.id);
        return;
    }

    ch = &at->op->change;

    if (ch->notes && ngx_strlen(ch->notes) >= CEREBRO_REC_NOTES_LEN) {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_INVALID,
                              "airtable: notes too long");
        return;
    }

    cerebro_tz_to_local(&at->model->tz, at->cur.start, &local);

    at->want.date = ch->set_time ? ch->date : local.date;
    at->want.minutes = ch->set_time ? ch->minutes : local.minutes;
    at->want.location = ch->location;
    at->pax = ch->pax ? ch->pax : at->cur.pax;
    at->notes = ch->notes;
    at->day = at->want.date;

    check = ch->set_time || at->pax != at->cur.pax;

    at->op->reservation = at->cur;

    if (!check) {
        ngx_cerebro_at_patch_notes(at);
        return;
    }

    at->start = cerebro_tz_from_local(&at->model->tz, &at->day,
                                      at->want.minutes, NULL);

    /* written as a new record of the same guest; see the top of the file */
    at->move = 1;
    at->old = at->cur;

    b = &at->op->booking;
    b->client_name = at->old.client_name;
    b->client_phone = at->old.client_phone;
    b->notes = at->notes ? at->notes : at->old.notes;
    b->source = at->old.source;
    b->call_id = at->old.call_id;
    b->when = at->want;
    b->when.party = at->pax;

    ngx_cerebro_at_lock(at);
}


static void
ngx_cerebro_at_patch_notes_done(ngx_cerebro_at_http_t *x, ngx_uint_t status,
    cJSON *json)
{
    ngx_cerebro_at_t *at = x->data;

    if (ngx_cerebro_at_unknown_field(at, status, json) == NGX_OK) {
        /* nothing else was asked: the booking stays as it is */
        ngx_cerebro_at_ok(at);
        return;
    }

    ngx_cerebro_at_written(x, status, json);
}


static void
ngx_cerebro_at_patch_notes(ngx_cerebro_at_t *at)
{
    if (at->notes == NULL || ngx_cerebro_at_no_extras) {
        /* nothing to change, or nowhere to write it */
        ngx_cerebro_at_ok(at);
        return;
    }

    at->extras = 1;

    ngx_cerebro_at_patch_field(at, at_f(at, NOTES), at->notes,
                               ngx_cerebro_at_patch_notes_done);
}


/* PATCH one text field of the booking at hand, then step */
static void
ngx_cerebro_at_patch_field(ngx_cerebro_at_t *at, const char *field,
    const char *value, ngx_cerebro_at_http_step_pt step)
{
    cJSON      *fields;
    ngx_str_t   body;

    fields = cJSON_CreateObject();
    if (fields == NULL
        || cJSON_AddStringToObject(fields, field, value) == NULL
        || ngx_cerebro_at_records_body(at->http.r->pool, at->cur.id, NULL,
                                       fields, &body)
           != NGX_OK
        || ngx_cerebro_at_http_request(&at->http, NGX_HTTP_PATCH,
                                       at_t(at, RESERVAS), NULL, NULL, &body,
                                       step)
           != NGX_OK)
    {
        cJSON_Delete(fields);
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: no memory");
        return;
    }

    cJSON_Delete(fields);

    ngx_cerebro_at_http_send(&at->http);
}


static void
ngx_cerebro_at_cancel(ngx_cerebro_at_http_t *x, ngx_uint_t status,
    cJSON *json)
{
    ngx_cerebro_at_t *at = x->data;

    if (status != NGX_HTTP_OK) {
        ngx_cerebro_at_http_fail(x, status, json);
        return;
    }

    if (ngx_cerebro_at_reservation(at->names, json, &at->cur) != NGX_OK) {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: a booking without date_time");
        return;
    }

    at->op->reservation = at->cur;

    if (cerebro_booking_status_from_string(at->cur.status)
        == CEREBRO_BOOKING_CANCELLED)
    {
        at->op->already = 1;
        ngx_cerebro_at_ok(at);
        return;
    }

    at->extras = 0;

    ngx_cerebro_at_patch_field(at, at_f(at, STATUS), CEREBRO_STATUS_CANCELLED,
                               ngx_cerebro_at_written);
}


/* ---- guests ------------------------------------------------------------- */


static void
ngx_cerebro_at_guest_start(ngx_cerebro_at_t *at)
{
    char               buf[NGX_CEREBRO_AT_FORMULA_LEN];
    ngx_str_t          formula;
    cerebro_formula_t  f;

    if (at->op->phone[0] == '\0') {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_INVALID,
                              "airtable: a guest needs a phone");
        return;
    }

    at->op->guest->id[0] = '\0';
    at->op->nguests = 0;
    at->op->names_differ = 0;

    cerebro_formula_init(&f, buf, sizeof(buf));
    ngx_cerebro_at_phone_formula(at, &f, at_f(at, GUEST_PHONE));

    if (ngx_cerebro_at_formula(at, &f, &formula) != NGX_OK
        || ngx_cerebro_at_http_list(&at->http, at_t(at, CLIENTES), &formula,
                                    ngx_cerebro_at_map_guest,
                                    ngx_cerebro_at_guest_found)
           != NGX_OK)
    {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: no memory");
    }
}


static ngx_int_t
ngx_cerebro_at_map_guest(ngx_cerebro_at_http_t *x, cJSON *rec)
{
    ngx_cerebro_at_t *at = x->data;

    cerebro_guest_t  other;

    if (at->op->guest->id[0] == '\0') {
        if (ngx_cerebro_at_guest(at->names, rec, at->op->guest) == NGX_OK) {
            at->op->nguests = 1;
        }

        return NGX_OK;
    }

    /* Clientes may hold one phone twice: a family's, an office's */
    if (ngx_cerebro_at_guest(at->names, rec, &other) == NGX_OK) {
        at->op->nguests++;

        if (at->op->kind == NGX_CEREBRO_STORE_GUEST && at->op->name[0]
            && !cerebro_rec_same_name(at->op->guest->name, at->op->name)
            && cerebro_rec_same_name(other.name, at->op->name))
        {
            /* the record of the name booked is the one written */
            ngx_memcpy(at->op->guest, &other, sizeof(cerebro_guest_t));
            return NGX_OK;
        }

        if (at->op->guest->name[0] == '\0') {
            ngx_memcpy(at->op->guest->name, other.name, sizeof(other.name));

        } else if (other.name[0]
                   && ngx_strcasecmp((u_char *) other.name,
                                     (u_char *) at->op->guest->name) != 0)
        {
            at->op->names_differ = 1;
        }
    }

    return NGX_OK;
}


static void
ngx_cerebro_at_guest_found(ngx_cerebro_at_http_t *x)
{
    char                     prefs[CEREBRO_REC_PREFS_LEN];
    cJSON                   *fields;
    ngx_str_t                body;
    ngx_uint_t               create, name, prefer;
    ngx_cerebro_at_t        *at;
    ngx_cerebro_store_op_t  *op;

    at = x->data;
    op = at->op;
    create = (op->guest->id[0] == '\0');

    if (op->kind == NGX_CEREBRO_STORE_GUEST_FIND) {
        ngx_cerebro_at_ok(at);
        return;
    }

    /* a known guest keeps the name it has */
    name = op->name[0] && (create || op->guest->name[0] == '\0');

    /* a preference goes only to the guest of the name that stated it */
    ngx_memcpy(prefs, op->guest->preferences, sizeof(prefs));
    prefer = op->preference != NULL
             && (name || cerebro_rec_same_name(op->guest->name, op->name))
             && cerebro_rec_prefs_add(prefs, sizeof(prefs), op->preference)
                == 1;

    if (!create && !name && !prefer) {
        ngx_cerebro_at_ok(at);
        return;
    }

    fields = cJSON_CreateObject();
    if (fields == NULL
        || (name
            && cJSON_AddStringToObject(fields, at_f(at, GUEST_NAME),
                                       op->name)
               == NULL)
        || (prefer
            && cJSON_AddStringToObject(fields, at_f(at, PREFERENCES), prefs)
               == NULL)
        || (create
            && cJSON_AddStringToObject(fields, at_f(at, GUEST_PHONE),
                                       op->phone)
               == NULL)
        || ngx_cerebro_at_records_body(at->http.r->pool,
                                       create ? NULL : op->guest->id, NULL,
                                       fields, &body)
           != NGX_OK
        || ngx_cerebro_at_http_request(&at->http,
                                       create ? NGX_HTTP_POST
                                              : NGX_HTTP_PATCH,
                                       at_t(at, CLIENTES), NULL, NULL, &body,
                                       ngx_cerebro_at_guest_written)
           != NGX_OK)
    {
        cJSON_Delete(fields);
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: no memory");
        return;
    }

    cJSON_Delete(fields);

    ngx_cerebro_at_http_send(&at->http);
}


static void
ngx_cerebro_at_guest_written(ngx_cerebro_at_http_t *x, ngx_uint_t status,
    cJSON *json)
{
    cJSON             *rec;
    ngx_cerebro_at_t  *at;

    at = x->data;

    if (status != NGX_HTTP_OK) {
        ngx_cerebro_at_http_fail(x, status, json);
        return;
    }

    rec = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(json,
                                                              "records"), 0);

    if (ngx_cerebro_at_guest(at->names, rec, at->op->guest) != NGX_OK) {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: the guest came back without id");
        return;
    }

    ngx_cerebro_at_ok(at);
}


/* ---- the call log (an optional table) ----------------------------------- */


static ngx_int_t
ngx_cerebro_at_no_table(ngx_uint_t status, cJSON *json)
{
    ngx_cerebro_at_error_t  err;

    ngx_cerebro_at_parse_error(json, &err);

    return (status == NGX_HTTP_NOT_FOUND
            && (ngx_strcmp(err.type, "NOT_FOUND") == 0
                || ngx_strcmp(err.type, "TABLE_NOT_FOUND") == 0))
           || (status == NGX_HTTP_FORBIDDEN
               && ngx_strcmp(err.type,
                             "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND") == 0);
}


static void
ngx_cerebro_at_call_log(ngx_cerebro_at_t *at)
{
    cJSON  *fields;

    if (ngx_cerebro_at_no_call_log || at_t(at, CALLS) == NULL) {
        /* a base without the table, or "cerebro_airtable_table calls off" */
        ngx_cerebro_at_ok(at);
        return;
    }

    if (at->op->call_log->call_id[0] == '\0') {
        ngx_cerebro_at_finish(at, CEREBRO_STORE_INVALID,
                              "airtable: a call log entry needs a call id");
        return;
    }

    /*
     * One atomic create-or-update on the call id: VAPI may deliver a
     * report twice, at once, and a read then a create would log both.
     */
    fields = ngx_cerebro_at_call_log_fields(at->names, at->op->call_log);

    ngx_cerebro_at_upsert(at, at_t(at, CALLS), at_f(at, CALL_ID), fields,
                          ngx_cerebro_at_call_log_written);
}


/* one record created or updated on the value of its merge_on field */
static void
ngx_cerebro_at_upsert(ngx_cerebro_at_t *at, const char *table,
    const char *merge_on, cJSON *fields, ngx_cerebro_at_http_step_pt step)
{
    ngx_str_t  body;

    if (fields == NULL
        || ngx_cerebro_at_records_body(at->http.r->pool, NULL, merge_on,
                                       fields, &body)
           != NGX_OK
        || ngx_cerebro_at_http_request(&at->http, NGX_HTTP_PATCH, table,
                                       NULL, NULL, &body, step)
           != NGX_OK)
    {
        cJSON_Delete(fields);
        ngx_cerebro_at_finish(at, CEREBRO_STORE_UNAVAILABLE,
                              "airtable: no memory");
        return;
    }

    cJSON_Delete(fields);

    ngx_cerebro_at_http_send(&at->http);
}


static void
ngx_cerebro_at_call_log_written(ngx_cerebro_at_http_t *x, ngx_uint_t status,
    cJSON *json)
{
    cJSON             *updated;
    ngx_cerebro_at_t  *at;

    at = x->data;

    if (status == NGX_HTTP_OK) {
        /* a second report of the call: the same entry, updated */
        updated = cJSON_GetObjectItemCaseSensitive(json, "updatedRecords");
        at->op->repeated = cJSON_GetArraySize(updated) > 0;
        ngx_cerebro_at_ok(at);
        return;
    }

    if (json == NULL || ngx_cerebro_at_no_table(status, json)) {
        if (!ngx_cerebro_at_no_call_log) {
            ngx_cerebro_log(NGX_LOG_NOTICE, at->http.log, 0,
                            "airtable: no table \"%s\" in the base: calls "
                            "are not logged there",
                            at_t(at, CALLS));
            ngx_cerebro_at_no_call_log = 1;
        }

        ngx_cerebro_at_ok(at);
        return;
    }

    ngx_cerebro_at_http_fail(x, status, json);
}


/*
 * The waiting list, for staff reading the base: each entry upserted on its
 * key as it changes.  The host's file keeps the list the offers are made
 * from; a base without the table is told once and left alone.
 */
static void
ngx_cerebro_at_waitlist(ngx_cerebro_at_t *at)
{
    char    entry[CEREBRO_REC_PHONE_LEN + 32];
    cJSON  *fields;

    if (ngx_cerebro_at_no_waitlist || at_t(at, WAITLIST) == NULL) {
        ngx_cerebro_at_ok(at);
        return;
    }

    fields = ngx_cerebro_at_waitlist_fields(at->names, at->op->waitlist,
                                            entry, sizeof(entry));

    ngx_cerebro_at_upsert(at, at_t(at, WAITLIST), at_f(at, WL_ENTRY), fields,
                          ngx_cerebro_at_waitlist_written);
}


static void
ngx_cerebro_at_waitlist_written(ngx_cerebro_at_http_t *x, ngx_uint_t status,
    cJSON *json)
{
    ngx_cerebro_at_t  *at;

    at = x->data;

    if (status == NGX_HTTP_OK) {
        ngx_cerebro_at_ok(at);
        return;
    }

    if (json == NULL || ngx_cerebro_at_no_table(status, json)) {
        if (!ngx_cerebro_at_no_waitlist) {
            ngx_cerebro_log(NGX_LOG_NOTICE, at->http.log, 0,
                            "airtable: no table \"%s\" in the base: the "
                            "waiting list is only in the data directory",
                            at_t(at, WAITLIST));
            ngx_cerebro_at_no_waitlist = 1;
        }

        ngx_cerebro_at_ok(at);
        return;
    }

    ngx_cerebro_at_http_fail(x, status, json);
}
