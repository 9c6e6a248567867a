
/*
 * The store: one asynchronous interface, two backends (embedded SQLite,
 * Airtable through subrequests).  Tools and channels build an operation,
 * start it, and get done() back from the event loop; they never know which
 * backend answered.
 */

#ifndef _NGX_CEREBRO_STORE_H_INCLUDED_
#define _NGX_CEREBRO_STORE_H_INCLUDED_


#include "ngx_cerebro.h"
#include "ngx_cerebro_net.h"
#include "cerebro_engine.h"
#include "cerebro_records.h"
#include "cerebro_sqlite.h"


typedef enum {
    NGX_CEREBRO_STORE_TABLES = 0,     /* Mesas (and groups) */
    NGX_CEREBRO_STORE_FAQ,
    NGX_CEREBRO_STORE_DAY,            /* bookings of op->date */
    NGX_CEREBRO_STORE_BY_PHONE,       /* upcoming bookings of op->phone */
    NGX_CEREBRO_STORE_GET,            /* booking op->id */
    NGX_CEREBRO_STORE_CREATE,         /* op->booking, re-checked */
    NGX_CEREBRO_STORE_UPDATE,         /* op->id, op->change, re-checked */
    NGX_CEREBRO_STORE_CANCEL,         /* op->id */
    NGX_CEREBRO_STORE_GUEST,          /* find or create op->phone */
    NGX_CEREBRO_STORE_CALL_LOG,       /* op->call_log, once per call id */
    NGX_CEREBRO_STORE_RANGE,          /* bookings starting in [from, to) */
    NGX_CEREBRO_STORE_REPLAY_FIND,    /* the answer kept for op->key */
    NGX_CEREBRO_STORE_REPLAY_KEEP,    /* keep op->text for op->key */
    NGX_CEREBRO_STORE_GUEST_FIND,     /* the guest of op->phone, never
                                         created: nguests found */
    NGX_CEREBRO_STORE_RECENT,         /* active bookings created since
                                         op->from, starting after op->to;
                                         a backend without atomic
                                         notices only */
    NGX_CEREBRO_STORE_WAITLIST_PUT    /* op->waitlist as it stands, into
                                         Airtable's list; the file holds
                                         it already (embedded: nothing) */
} ngx_cerebro_store_kind_e;


typedef struct ngx_cerebro_store_op_s    ngx_cerebro_store_op_t;
typedef struct ngx_cerebro_store_conf_s  ngx_cerebro_store_conf_t;

typedef void (*ngx_cerebro_store_done_pt)(ngx_cerebro_store_op_t *op);


#define NGX_CEREBRO_STORE_MAX_BOOKINGS  512


struct ngx_cerebro_store_op_s {
    /* the caller's */
    ngx_http_request_t           *request;        /* the main request */
    ngx_cerebro_store_kind_e      kind;
    ngx_msec_t                    deadline;       /* 0: the default */
    ngx_cerebro_store_done_pt     done;
    void                         *data;

    /* arguments, by kind */
    cerebro_date_t                date;
    int64_t                       from;           /* UTC seconds */
    int64_t                       to;
    char                          id[CEREBRO_REC_ID_LEN];
    char                          phone[CEREBRO_REC_PHONE_LEN];
    char                          name[CEREBRO_REC_NAME_LEN];
    cerebro_booking_req_t         booking;
    cerebro_booking_change_t      change;
    const char                   *preference;     /* GUEST: one to keep
                                                     (NULL: none), only on
                                                     a guest of op->name:
                                                     never on another's */
    cerebro_call_log_t           *call_log;       /* CALL_LOG: the caller's */
    cerebro_notice_t             *notice;         /* CREATE, UPDATE, CANCEL:
                                                     the caller's message,
                                                     queued with the write
                                                     where the backend can
                                                     (or NULL) */
    const cerebro_waitlist_t     *waitlist;       /* WAITLIST_PUT */
    ngx_str_t                     key;            /* REPLAY_*: NUL after */
    ngx_str_t                     text;           /* REPLAY_KEEP: the
                                                     answer; REPLAY_FIND:
                                                     the one kept, in the
                                                     request's pool */
    ngx_uint_t                    failed;         /* REPLAY_*: of text */
    ngx_msec_t                    ttl;            /* REPLAY_KEEP */
    ngx_uint_t                    cache_only;     /* RANGE: read only when
                                                     a remote cache holds
                                                     every day, in the round
                                                     trip of the caller's
                                                     other reads; else it
                                                     ends UNAVAILABLE */

    /* the outcome */
    cerebro_store_error_t         error;          /* kind OK on success */
    int                           repeated;       /* create: same call */
    int                           already;        /* cancel: was before */
    cerebro_reservation_t        *bookings;       /* read-only: the
                                                     request's pool or the
                                                     cache's shared decoding,
                                                     alive with the request */
    int                           nbookings;
    const cerebro_booking_t      *engine;         /* DAY, RANGE from the
                                                     cache: the bookings in
                                                     the engine's form
                                                     (cerebro_rec_to_engine)
                                                     or NULL */
    int                           nengine;
    cerebro_reservation_t         reservation;    /* create, update... */
    cerebro_answer_t              answer;         /* create, update */
    cerebro_table_rec_t          *tables;
    int                           ntables;
    cerebro_group_rec_t          *groups;
    int                           ngroups;
    cerebro_faq_t                *faq;
    int                           nfaq;
    cerebro_guest_t              *guest;          /* GUEST, GUEST_FIND: set
                                                     by the store when the
                                                     caller has no place for
                                                     it */
    int                           nguests;        /* GUEST_FIND: records of
                                                     the phone (0: none) */
    unsigned                      names_differ:1; /* GUEST_FIND: they carry
                                                     different names */

    /* private */
    ngx_event_t                   wakeup;
    void                         *backend;
    unsigned                      finished:1;
    unsigned                      held:1;         /* a count of request */
};


/*
 * A backend.  start() either finishes op (ngx_cerebro_store_finish) at
 * once or later from the event loop; it returns NGX_ERROR only when it
 * could not even begin (no memory), and then op is not finished.
 */
typedef struct {
    const char   *name;
    ngx_int_t   (*init_process)(ngx_cycle_t *cycle,
                                ngx_cerebro_store_conf_t *scf);
    void        (*exit_process)(ngx_cycle_t *cycle,
                                ngx_cerebro_store_conf_t *scf);
    ngx_int_t   (*start)(ngx_cerebro_store_op_t *op);
    /* its TABLES are the truth: the restaurant file's tables give way */
    ngx_uint_t    own_tables;
    /* op->notice is written in the write's own transaction */
    ngx_uint_t    atomic_notices;
} ngx_cerebro_store_backend_t;


extern ngx_cerebro_store_backend_t  ngx_cerebro_store_sqlite;
extern ngx_cerebro_store_backend_t  ngx_cerebro_store_airtable;


typedef struct ngx_cerebro_health_s   ngx_cerebro_health_t;
typedef struct ngx_cerebro_at_conf_s  ngx_cerebro_at_conf_t;


/*
 * The store's main configuration (store/ngx_cerebro_store_db.c): its own
 * nginx module's, reached with
 * ngx_http_get_module_main_conf(r, ngx_cerebro_store_module).
 */
struct ngx_cerebro_store_conf_s {
    ngx_msec_t                    deadline;  /* cerebro_store_timeout */
    ngx_flag_t                    cache;     /* cerebro_cache */
    ngx_cerebro_at_conf_t        *airtable;  /* cerebro_airtable_*; NULL:
                                                the original's names */

    /* made when the configuration loads */
    ngx_cerebro_store_backend_t  *backend;
    ngx_str_t                     sqlite_path;
    ngx_cerebro_health_t         *health;    /* ngx_cerebro_store_health.c */

    cerebro_sqlite_t             *db;        /* this worker's, or NULL */
};

extern ngx_module_t  ngx_cerebro_store_module;

/*
 * The layer's part of init_main_conf, run by ngx_cerebro_module's after
 * the net layer's: the defaults, the SQLite file's path, the backend,
 * the health zone, and the read cache told of Redis's changes.
 */
ngx_int_t ngx_cerebro_store_init_conf(ngx_conf_t *cf);

/*
 * This worker's SQLite handle, whatever the backend (with Airtable it
 * holds the outbox and the opt-outs); NULL when it could not be opened.
 */
cerebro_sqlite_t *ngx_cerebro_store_db(ngx_http_request_t *r);

/* For a backend's init_process: opens it once; NGX_ERROR with e filled. */
ngx_int_t ngx_cerebro_store_db_open(ngx_cycle_t *cycle,
    cerebro_store_error_t *e);

void ngx_cerebro_store_db_close(ngx_cycle_t *cycle);

/* The backend's process hooks, and this worker's SQLite handle. */
ngx_int_t ngx_cerebro_store_init_process(ngx_cycle_t *cycle);
void ngx_cerebro_store_exit_process(ngx_cycle_t *cycle);


/*
 * Starts op; done() runs later from the event loop, exactly once.
 * NGX_DECLINED (cache_only ops): not started, no remote cache to ask;
 * op->error says so and done() never runs.
 */
ngx_int_t ngx_cerebro_store_start(ngx_cerebro_store_op_t *op);

/* Ends op with its outcome set: posts done() (backends call this). */
void ngx_cerebro_store_finish(ngx_cerebro_store_op_t *op);

/*
 * The restaurant model of this configuration: hours, rules and zone from
 * the restaurant file; the tables the store holds (Airtable's Mesas, as
 * this worker last read them, or the file's where the file seeded the
 * store).  A new model when the tables change; an old one stays valid for
 * the requests that hold it.
 */
const cerebro_restaurant_t *ngx_cerebro_store_model(ngx_http_request_t *r);

/* The read cache hears of changes Redis tells of (after the kv layer). */
ngx_int_t ngx_cerebro_store_init_near(ngx_cerebro_net_conf_t *ncf);

/* "cerebro_cache on|off": the store's read cache. */
ngx_uint_t ngx_cerebro_store_cached(ngx_http_request_t *r);

/*
 * Whether a write's notice (op->notice) is queued with the write itself;
 * if not, what a dead worker left unqueued is found with
 * NGX_CEREBRO_STORE_RECENT.
 */
ngx_uint_t ngx_cerebro_store_atomic_notices(ngx_http_request_t *r);

/* "embedded" or "airtable", for /health and the logs. */
const char *ngx_cerebro_store_backend_name(ngx_http_request_t *r);


#endif /* _NGX_CEREBRO_STORE_H_INCLUDED_ */
