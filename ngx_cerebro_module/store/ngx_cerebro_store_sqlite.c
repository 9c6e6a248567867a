
/*
 * The embedded backend: each worker holds its own connection to the SQLite
 * file under the data directory.  The calls are short (a few indexed rows,
 * a busy timeout of a few ms), so they run inline; the dispatcher still
 * answers from the event loop, as for Airtable.
 *
 * When another worker holds the file, a call gives up after the busy
 * timeout having written nothing, and is made again on a timer, with a
 * growing, jittered pause, until the operation's deadline: the worker
 * serves its other requests meanwhile, and the guest hears "busy" only
 * when the whole deadline passed without a turn.
 */

#include "ngx_cerebro_store.h"
#include "ngx_cerebro_store_health.h"


static ngx_int_t ngx_cerebro_sqlite_init_process(ngx_cycle_t *cycle,
    ngx_cerebro_store_conf_t *scf);
static void ngx_cerebro_sqlite_exit_process(ngx_cycle_t *cycle,
    ngx_cerebro_store_conf_t *scf);
static ngx_int_t ngx_cerebro_sqlite_start(ngx_cerebro_store_op_t *op);
static ngx_int_t ngx_cerebro_sqlite_alloc(ngx_cerebro_store_op_t *op);
static ngx_int_t ngx_cerebro_sqlite_bookings(ngx_cerebro_store_op_t *op,
    cerebro_sqlite_t *db, time_t now);
static void ngx_cerebro_sqlite_replay(ngx_cerebro_store_op_t *op,
    cerebro_sqlite_t *db, time_t now);
static void ngx_cerebro_sqlite_attempt(ngx_cerebro_store_op_t *op);
static ngx_int_t ngx_cerebro_sqlite_wait(ngx_cerebro_store_op_t *op);
static void ngx_cerebro_sqlite_again(ngx_event_t *ev);
static void ngx_cerebro_sqlite_cleanup(void *data);
static void ngx_cerebro_sqlite_finish(ngx_cerebro_store_op_t *op);


/* an operation waiting for its turn at the file */
typedef struct {
    ngx_cerebro_store_op_t       *op;
    ngx_event_t                   retry;
    ngx_msec_t                    until;
    ngx_msec_t                    pause;
    ngx_uint_t                    attempts;
} ngx_cerebro_sqlite_wait_t;


/* the first pause after a busy answer, and the longest */
#define NGX_CEREBRO_SQLITE_PAUSE_MIN   2
#define NGX_CEREBRO_SQLITE_PAUSE_MAX   50


/*
 * Most days hold a few dozen bookings: a list starts that small, and is
 * read again at its real size only when it did not fit, so that the hot
 * path allocates tens of KB, not the maximum.
 */
#define NGX_CEREBRO_SQLITE_FIRST_READ  48


ngx_cerebro_store_backend_t  ngx_cerebro_store_sqlite = {
    "embedded",
    ngx_cerebro_sqlite_init_process,
    ngx_cerebro_sqlite_exit_process,
    ngx_cerebro_sqlite_start,
    0,
    1
};


static ngx_int_t
ngx_cerebro_sqlite_init_process(ngx_cycle_t *cycle,
    ngx_cerebro_store_conf_t *scf)
{
    cerebro_store_error_t  e;

    if (ngx_cerebro_store_db_open(cycle, &e) != NGX_OK) {
        /*
         * The worker still serves: every operation answers "unavailable",
         * and /health says the host cannot book.
         */
        ngx_cerebro_log(NGX_LOG_ERR, cycle->log, 0,
                        "embedded store \"%V\" unavailable (%s): %s",
                        &scf->sqlite_path, cerebro_store_err_name(e.kind),
                        e.message);
        ngx_cerebro_store_health_note(scf, NGX_CEREBRO_HEALTH_DOWN,
                                      e.message);
    }

    return NGX_OK;
}


static void
ngx_cerebro_sqlite_exit_process(ngx_cycle_t *cycle,
    ngx_cerebro_store_conf_t *scf)
{
    ngx_cerebro_store_db_close(cycle);
}


static ngx_int_t
ngx_cerebro_sqlite_start(ngx_cerebro_store_op_t *op)
{
    if (ngx_cerebro_store_db(op->request) == NULL) {
        cerebro_store_error_set(&op->error, CEREBRO_STORE_UNAVAILABLE,
                                "the embedded store could not be opened");
        op->error.broken = 1;
        ngx_cerebro_store_finish(op);
        return NGX_OK;
    }

    if (ngx_cerebro_sqlite_alloc(op) != NGX_OK) {
        return NGX_ERROR;
    }

    op->backend = NULL;

    ngx_cerebro_sqlite_attempt(op);

    if (op->error.busy && ngx_cerebro_sqlite_wait(op) == NGX_OK) {
        return NGX_OK;
    }

    ngx_cerebro_sqlite_finish(op);

    return NGX_OK;
}


/* NGX_OK: the operation is made again later; NGX_DECLINED: no time left */
static ngx_int_t
ngx_cerebro_sqlite_wait(ngx_cerebro_store_op_t *op)
{
    ngx_msec_t                  pause;
    ngx_msec_int_t              left;
    ngx_pool_cleanup_t         *cln;
    ngx_cerebro_store_conf_t   *scf;
    ngx_cerebro_sqlite_wait_t  *w;

    w = op->backend;

    if (w == NULL) {
        w = ngx_pcalloc(op->request->pool, sizeof(ngx_cerebro_sqlite_wait_t));
        cln = ngx_pool_cleanup_add(op->request->pool, 0);
        if (w == NULL || cln == NULL) {
            return NGX_DECLINED;
        }

        cln->handler = ngx_cerebro_sqlite_cleanup;
        cln->data = w;

        scf = ngx_http_get_module_main_conf(op->request,
                                            ngx_cerebro_store_module);

        w->op = op;
        w->until = ngx_current_msec + (op->deadline ? op->deadline
                                                    : scf->deadline);
        w->pause = NGX_CEREBRO_SQLITE_PAUSE_MIN;
        w->retry.handler = ngx_cerebro_sqlite_again;
        w->retry.data = w;
        w->retry.log = op->request->connection->log;

        op->backend = w;
    }

    left = (ngx_msec_int_t) (w->until - ngx_current_msec);
    if (left <= 0) {
        return NGX_DECLINED;
    }

    /* jittered, so that two workers that collided do not collide again */
    pause = w->pause / 2 + ngx_random() % (w->pause / 2 + 1);
    pause = ngx_min(pause, (ngx_msec_t) left);

    w->pause = ngx_min(w->pause * 2, NGX_CEREBRO_SQLITE_PAUSE_MAX);
    w->attempts++;

    ngx_add_timer(&w->retry, pause);

    return NGX_OK;
}


static void
ngx_cerebro_sqlite_again(ngx_event_t *ev)
{
    ngx_connection_t           *c;
    ngx_cerebro_sqlite_wait_t  *w;

    w = ev->data;
    c = w->op->request->connection;

    ngx_cerebro_sqlite_attempt(w->op);

    if (w->op->error.busy && ngx_cerebro_sqlite_wait(w->op) == NGX_OK) {
        return;
    }

    if (w->op->error.busy) {
        ngx_cerebro_log(NGX_LOG_WARN, c->log, 0,
                        "embedded store busy for the whole deadline "
                        "(%ui attempts)", w->attempts + 1);
    }

    ngx_cerebro_sqlite_finish(w->op);
}


static void
ngx_cerebro_sqlite_cleanup(void *data)
{
    ngx_cerebro_sqlite_wait_t *w = data;

    if (w->retry.timer_set) {
        ngx_del_timer(&w->retry);
    }
}


/* One try of op on the file; op->error.busy when it had no turn. */
static void
ngx_cerebro_sqlite_attempt(ngx_cerebro_store_op_t *op)
{
    int                inserted;
    time_t             now;
    cerebro_sqlite_t  *db;

    db = ngx_cerebro_store_db(op->request);
    now = ngx_time();

    op->error.kind = CEREBRO_STORE_OK;
    op->error.broken = 0;
    op->error.busy = 0;
    op->error.message[0] = '\0';

    if (op->kind == NGX_CEREBRO_STORE_REPLAY_FIND
        || op->kind == NGX_CEREBRO_STORE_REPLAY_KEEP)
    {
        ngx_cerebro_sqlite_replay(op, db, now);
        return;
    }

    switch (op->kind) {

    case NGX_CEREBRO_STORE_TABLES:
        if (cerebro_sqlite_tables(db, op->tables, CEREBRO_MAX_TABLES,
                                  &op->ntables, &op->error)
            == CEREBRO_STORE_OK)
        {
            (void) cerebro_sqlite_groups(db, op->groups, CEREBRO_MAX_GROUPS,
                                         &op->ngroups, &op->error);
        }
        break;

    case NGX_CEREBRO_STORE_FAQ:
        (void) cerebro_sqlite_faq(db, op->faq, CEREBRO_MAX_INFO * 4,
                                  &op->nfaq, &op->error);
        break;

    case NGX_CEREBRO_STORE_DAY:
    case NGX_CEREBRO_STORE_RANGE:
    case NGX_CEREBRO_STORE_BY_PHONE:
        if (ngx_cerebro_sqlite_bookings(op, db, now) != NGX_OK) {
            cerebro_store_error_set(&op->error, CEREBRO_STORE_UNAVAILABLE,
                                    "the embedded store: no memory");
        }
        break;

    case NGX_CEREBRO_STORE_GET:
        (void) cerebro_sqlite_booking_get(db, op->id, &op->reservation,
                                          &op->error);
        break;

    case NGX_CEREBRO_STORE_CREATE:
        (void) cerebro_sqlite_booking_create(db, &op->booking, now,
                                             op->notice, &op->reservation,
                                             &op->answer, &op->repeated,
                                             &op->error);
        break;

    case NGX_CEREBRO_STORE_UPDATE:
        (void) cerebro_sqlite_booking_update(db, op->id, &op->change, now,
                                             op->notice, &op->reservation,
                                             &op->answer, &op->error);
        break;

    case NGX_CEREBRO_STORE_CANCEL:
        (void) cerebro_sqlite_booking_cancel(db, op->id, now, op->notice,
                                             &op->reservation, &op->already,
                                             &op->error);
        break;

    case NGX_CEREBRO_STORE_GUEST:
        if (cerebro_sqlite_guest_upsert(db, op->phone, op->name, NULL, now,
                                        op->guest, NULL, &op->error)
            == CEREBRO_STORE_OK
            && op->preference != NULL
            && cerebro_rec_same_name(op->guest->name, op->name))
        {
            (void) cerebro_sqlite_guest_add_preference(db, op->phone,
                                                       op->preference, now,
                                                       op->guest,
                                                       &op->error);
        }
        break;

    case NGX_CEREBRO_STORE_GUEST_FIND:
        /* one guest a phone here: the phone is the guests' key */
        op->nguests = 0;
        op->names_differ = 0;

        if (cerebro_sqlite_guest_get(db, op->phone, op->guest, &op->error)
            == CEREBRO_STORE_OK)
        {
            op->nguests = 1;

        } else if (op->error.kind == CEREBRO_STORE_NOT_FOUND) {
            op->error.kind = CEREBRO_STORE_OK;
            op->error.message[0] = '\0';
        }
        break;

    case NGX_CEREBRO_STORE_CALL_LOG:
        if (cerebro_sqlite_call_log_insert(db, op->call_log, now,
                                           &inserted, &op->error)
            == CEREBRO_STORE_OK)
        {
            op->repeated = !inserted;
        }
        break;

    case NGX_CEREBRO_STORE_WAITLIST_PUT:
        /* the waiting list is this file's already */
        break;

    default:
        cerebro_store_error_set(&op->error, CEREBRO_STORE_INVALID,
                                "unknown store operation %d", (int) op->kind);
    }

}


static void
ngx_cerebro_sqlite_finish(ngx_cerebro_store_op_t *op)
{
    ngx_cerebro_store_conf_t  *scf;

    /* replay keys: the file beside the store, on both backends */
    if (op->kind != NGX_CEREBRO_STORE_REPLAY_FIND
        && op->kind != NGX_CEREBRO_STORE_REPLAY_KEEP)
    {
        scf = ngx_http_get_module_main_conf(op->request,
                                            ngx_cerebro_store_module);
        ngx_cerebro_store_health_outcome(scf, &op->error);
    }

    ngx_cerebro_store_finish(op);
}


/* Lists land in the request's pool; sized for the kind only. */
static ngx_int_t
ngx_cerebro_sqlite_alloc(ngx_cerebro_store_op_t *op)
{
    ngx_pool_t  *pool;

    pool = op->request->pool;

    switch (op->kind) {

    case NGX_CEREBRO_STORE_TABLES:
        op->tables = ngx_palloc(pool, CEREBRO_MAX_TABLES
                                      * sizeof(cerebro_table_rec_t));
        op->groups = ngx_palloc(pool, CEREBRO_MAX_GROUPS
                                      * sizeof(cerebro_group_rec_t));
        return (op->tables && op->groups) ? NGX_OK : NGX_ERROR;

    case NGX_CEREBRO_STORE_FAQ:
        op->faq = ngx_palloc(pool, CEREBRO_MAX_INFO * 4
                                   * sizeof(cerebro_faq_t));
        return op->faq ? NGX_OK : NGX_ERROR;

    case NGX_CEREBRO_STORE_REPLAY_FIND:
        op->text.data = ngx_pnalloc(pool, CEREBRO_SQLITE_REPLAY_LEN);
        op->text.len = 0;
        return op->text.data ? NGX_OK : NGX_ERROR;

    default:
        return NGX_OK;
    }
}


static ngx_int_t
ngx_cerebro_sqlite_bookings(ngx_cerebro_store_op_t *op, cerebro_sqlite_t *db,
    time_t now)
{
    int                  max, total;
    ngx_uint_t           attempt;
    cerebro_store_err_t  rc;

    max = NGX_CEREBRO_SQLITE_FIRST_READ;
    rc = CEREBRO_STORE_OK;

    for (attempt = 0; attempt < 2; attempt++) {
        op->bookings = ngx_palloc(op->request->pool,
                                  max * sizeof(cerebro_reservation_t));
        if (op->bookings == NULL) {
            return NGX_ERROR;
        }

        total = 0;

        switch (op->kind) {

        case NGX_CEREBRO_STORE_DAY:
            rc = cerebro_sqlite_bookings_day(db, &op->date,
                                             CEREBRO_SQLITE_WITH_CANCELLED,
                                             op->bookings, max,
                                             &op->nbookings, &total,
                                             &op->error);
            break;

        case NGX_CEREBRO_STORE_RANGE:
            rc = cerebro_sqlite_bookings_range(db, op->from, op->to,
                                               CEREBRO_SQLITE_WITH_CANCELLED,
                                               op->bookings, max,
                                               &op->nbookings, &total,
                                               &op->error);
            break;

        default: /* NGX_CEREBRO_STORE_BY_PHONE */
            rc = cerebro_sqlite_bookings_by_phone(db, op->phone,
                                                  CEREBRO_SQLITE_UPCOMING,
                                                  now, op->bookings, max,
                                                  &op->nbookings, &total,
                                                  &op->error);
        }

        if (rc != CEREBRO_STORE_OK || total <= max
            || max == NGX_CEREBRO_STORE_MAX_BOOKINGS)
        {
            break;
        }

        ngx_pfree(op->request->pool, op->bookings);
        max = ngx_min(total, NGX_CEREBRO_STORE_MAX_BOOKINGS);
    }

    return NGX_OK;
}


static void
ngx_cerebro_sqlite_replay(ngx_cerebro_store_op_t *op, cerebro_sqlite_t *db,
    time_t now)
{
    int  failed, inserted;

    if (op->kind == NGX_CEREBRO_STORE_REPLAY_FIND) {
        if (cerebro_sqlite_replay_get(db, (char *) op->key.data, now,
                                      (char *) op->text.data,
                                      CEREBRO_SQLITE_REPLAY_LEN,
                                      &op->text.len, &failed, &op->error)
            == CEREBRO_STORE_OK)
        {
            op->failed = failed;
        }

        return;
    }

    if (cerebro_sqlite_replay_put(db, (char *) op->key.data, op->failed != 0,
                                  (char *) op->text.data, op->text.len, now,
                                  now + (op->ttl + 999) / 1000, &inserted,
                                  &op->error)
        == CEREBRO_STORE_OK)
    {
        op->repeated = !inserted;
    }
}
