/*
 * The embedded store: one SQLite file (WAL) shared by every worker, each
 * worker holding its own connection.  Synchronous and short: the nginx
 * glue calls these inline and wraps the result in the asynchronous store
 * interface.  No call waits for another writer longer than the busy
 * timeout (a few ms): a busy database answers CEREBRO_STORE_UNAVAILABLE
 * with e->busy set and nothing written, and the glue tries again later.
 *
 * Bookings are written in one BEGIN IMMEDIATE transaction that reads the
 * bookings around the asked slot and asks the engine again, so two
 * connections (two workers, two processes) never double-book a table.
 *
 * Every function that can fail returns a cerebro_store_err_t and, when e
 * is not NULL, fills e with the kind and a message for the log.
 *
 * A telephone number is taken as it was typed ("600 11 12 22") and
 * written and looked up in E.164 with the model's country code, so that
 * every form of one number is one guest.
 */

#ifndef CEREBRO_SQLITE_H
#define CEREBRO_SQLITE_H

#include <stddef.h>
#include <stdint.h>

#include "cerebro_engine.h"
#include "cerebro_records.h"


#define CEREBRO_SQLITE_SCHEMA_VERSION     5
/*
 * The longest one call blocks its worker waiting for another writer; the
 * store's operations wait longer, up to their deadline, on a timer
 * between calls (ngx_cerebro_store_sqlite.c).
 */
#define CEREBRO_SQLITE_BUSY_TIMEOUT_MS    5
/* opening may create the schema while another worker does the same */
#define CEREBRO_SQLITE_OPEN_TIMEOUT_MS    2000

/* flags of the booking lists */
#define CEREBRO_SQLITE_WITH_CANCELLED     0x01
#define CEREBRO_SQLITE_UPCOMING           0x02   /* start >= now */

/* counts of cerebro_sqlite_outbox_counts(), by cerebro_outbox_status_t */
#define CEREBRO_SQLITE_OUTBOX_STATUSES    (CEREBRO_OUTBOX_FAILED + 1)

/* a delivery status or error code of Twilio's, with its NUL */
#define CEREBRO_SQLITE_DELIVERY_LEN       24


typedef struct cerebro_sqlite_s  cerebro_sqlite_t;


/*
 * Opens (creating the file and its directory when missing) and brings the
 * schema up to CEREBRO_SQLITE_SCHEMA_VERSION, in place and in one
 * transaction: a file of an older version keeps its rows.  A new database
 * is seeded, once, from the model: its tables, groups and info texts (as
 * FAQ), and rules_json (the restaurant JSON; may be NULL) kept for
 * cerebro_sqlite_rules().  The model must outlive the handle; the booking
 * checks run the engine on it.
 * Returns NULL with e set (UNAVAILABLE when the file cannot be opened or
 * is locked, INVALID when its schema is newer than this code).
 */
cerebro_sqlite_t *cerebro_sqlite_open(const char *path,
    const cerebro_restaurant_t *model, const char *rules_json,
    size_t rules_len, cerebro_store_error_t *e);

void cerebro_sqlite_close(cerebro_sqlite_t *db);

/* 0 restores CEREBRO_SQLITE_BUSY_TIMEOUT_MS. */
void cerebro_sqlite_set_busy_timeout(cerebro_sqlite_t *db, int ms);

/* The user_version of the file. */
int cerebro_sqlite_schema_version(cerebro_sqlite_t *db);

/* The restaurant JSON stored at seeding; *len gets its full length. */
cerebro_store_err_t cerebro_sqlite_rules(cerebro_sqlite_t *db, char *buf,
    size_t size, size_t *len, cerebro_store_error_t *e);


/*
 * Lists fill out[0..max) and set *n to the count written; total (may be
 * NULL) gets the count of matching rows, which is larger when cut.
 */

/* Mesas in model order, and the combinable groups */
cerebro_store_err_t cerebro_sqlite_tables(cerebro_sqlite_t *db,
    cerebro_table_rec_t *out, int max, int *n, cerebro_store_error_t *e);
cerebro_store_err_t cerebro_sqlite_groups(cerebro_sqlite_t *db,
    cerebro_group_rec_t *out, int max, int *n, cerebro_store_error_t *e);

cerebro_store_err_t cerebro_sqlite_faq(cerebro_sqlite_t *db,
    cerebro_faq_t *out, int max, int *n, cerebro_store_error_t *e);


/* Bookings starting on a local day (the restaurant's time zone). */
cerebro_store_err_t cerebro_sqlite_bookings_day(cerebro_sqlite_t *db,
    const cerebro_date_t *day, int flags, cerebro_reservation_t *out,
    int max, int *n, int *total, cerebro_store_error_t *e);

/* Bookings starting in [from, to), UTC, by start. */
cerebro_store_err_t cerebro_sqlite_bookings_range(cerebro_sqlite_t *db,
    int64_t from, int64_t to, int flags, cerebro_reservation_t *out,
    int max, int *n, int *total, cerebro_store_error_t *e);

/* A guest's bookings by start; with UPCOMING only start >= now. */
cerebro_store_err_t cerebro_sqlite_bookings_by_phone(cerebro_sqlite_t *db,
    const char *phone, int flags, int64_t now, cerebro_reservation_t *out,
    int max, int *n, int *total, cerebro_store_error_t *e);

cerebro_store_err_t cerebro_sqlite_booking_get(cerebro_sqlite_t *db,
    const char *id, cerebro_reservation_t *out, cerebro_store_error_t *e);


typedef struct {
    cerebro_request_t  when;        /* local date, minutes, party, location */
    const char        *client_name;
    const char        *client_phone;    /* as typed; kept in E.164 */
    const char        *notes;           /* may be NULL */
    const char        *source;          /* "voice", "whatsapp"; may be NULL */
    const char        *call_id;         /* may be NULL */
} cerebro_booking_req_t;


/*
 * Books the slot if the engine, run on the bookings committed at that
 * moment, still offers a table; out gets the new reservation and answer
 * the engine's answer (the slot, or why not with alternatives).
 * CONFLICT: the engine refused (answer->reason FULL, CLOSED, TOO_SOON...);
 * INVALID: a bad field, or the engine's CEREBRO_AVAIL_INVALID;
 * UNAVAILABLE: busy.  A repeat of the same call_id for the same start and
 * phone returns the booking already made (OK, *repeated = 1).
 * notice (may be NULL) is queued in the outbox in the same transaction as
 * a new booking; not for a repeat (its own was, when it was made).
 */
cerebro_store_err_t cerebro_sqlite_booking_create(cerebro_sqlite_t *db,
    const cerebro_booking_req_t *req, int64_t now, cerebro_notice_t *notice,
    cerebro_reservation_t *out, cerebro_answer_t *answer, int *repeated,
    cerebro_store_error_t *e);


typedef struct {
    int                set_time;    /* move to date + minutes */
    cerebro_date_t     date;
    int                minutes;
    int                pax;         /* 0: keep */
    const char        *notes;       /* NULL: keep */
    const char        *location;    /* preference when re-seating */
} cerebro_booking_change_t;


/*
 * Changes time, party or notes.  A new time or party is checked like a new
 * booking, leaving this booking out so that it does not block itself; the
 * engine may then choose another table.  INVALID for a cancelled booking.
 * notice (may be NULL) is queued with the change, in its transaction.
 */
cerebro_store_err_t cerebro_sqlite_booking_update(cerebro_sqlite_t *db,
    const char *id, const cerebro_booking_change_t *ch, int64_t now,
    cerebro_notice_t *notice, cerebro_reservation_t *out,
    cerebro_answer_t *answer, cerebro_store_error_t *e);

/*
 * Idempotent: *already = 1 when it was cancelled before (still OK).
 * notice (may be NULL) is queued with the cancellation, not with a repeat.
 */
cerebro_store_err_t cerebro_sqlite_booking_cancel(cerebro_sqlite_t *db,
    const char *id, int64_t now, cerebro_notice_t *notice,
    cerebro_reservation_t *out, int *already,
    cerebro_store_error_t *e);


/*
 * Finds the guest by phone or creates it; an existing guest gets a name or
 * email it lacked (known ones are not overwritten).  *created may be NULL.
 */
cerebro_store_err_t cerebro_sqlite_guest_upsert(cerebro_sqlite_t *db,
    const char *phone, const char *name, const char *email, int64_t now,
    cerebro_guest_t *out, int *created, cerebro_store_error_t *e);

cerebro_store_err_t cerebro_sqlite_guest_get(cerebro_sqlite_t *db,
    const char *phone, cerebro_guest_t *out, cerebro_store_error_t *e);

/*
 * Adds a preference ("sin gluten") to the guest's list ("; "-separated)
 * unless it is there already (case-insensitive).  NOT_FOUND without the
 * guest; INVALID when the list would not fit CEREBRO_REC_PREFS_LEN.
 */
cerebro_store_err_t cerebro_sqlite_guest_add_preference(cerebro_sqlite_t *db,
    const char *phone, const char *preference, int64_t now,
    cerebro_guest_t *out, cerebro_store_error_t *e);


/* Idempotent on call_id: *inserted = 0 when it was logged already. */
cerebro_store_err_t cerebro_sqlite_call_log_insert(cerebro_sqlite_t *db,
    const cerebro_call_log_t *c, int64_t now, int *inserted,
    cerebro_store_error_t *e);

cerebro_store_err_t cerebro_sqlite_call_log_get(cerebro_sqlite_t *db,
    const char *call_id, cerebro_call_log_t *out, cerebro_store_error_t *e);

/* what the per-day figures need of one call */
typedef struct {
    int64_t   started;          /* UTC seconds */
    int       booked;
    int       changed;
    int       cancelled;
} cerebro_call_mark_t;

/* The calls that started at or after since, the oldest first, at most max. */
cerebro_store_err_t cerebro_sqlite_calls_since(cerebro_sqlite_t *db,
    int64_t since, cerebro_call_mark_t *out, int max, int *n,
    cerebro_store_error_t *e);

/* The calls started at or after since (UTC seconds), the newest first. */
cerebro_store_err_t cerebro_sqlite_call_log_recent(cerebro_sqlite_t *db,
    int64_t since, cerebro_call_log_t *out, int max, int *n,
    cerebro_store_error_t *e);


/*
 * Queues a message (fields of m: to, body or template_sid + variables,
 * kind, reservation_id, dedupe_key, next_attempt; 0 = now; created,
 * 0 = now: a message for something that happened earlier).  With a
 * dedupe key already queued nothing is added: out gets the existing one
 * and *duplicate = 1.  out and duplicate may be NULL.
 */
cerebro_store_err_t cerebro_sqlite_outbox_enqueue(cerebro_sqlite_t *db,
    const cerebro_outbox_msg_t *m, int64_t now, cerebro_outbox_msg_t *out,
    int *duplicate, cerebro_store_error_t *e);

/* Pending messages with next_attempt <= now, oldest due first. */
cerebro_store_err_t cerebro_sqlite_outbox_due(cerebro_sqlite_t *db,
    int64_t now, cerebro_outbox_msg_t *out, int max, int *n,
    cerebro_store_error_t *e);

cerebro_store_err_t cerebro_sqlite_outbox_get(cerebro_sqlite_t *db,
    int64_t id, cerebro_outbox_msg_t *out, cerebro_store_error_t *e);

/* The following three act on a pending message only (else CONFLICT). */
cerebro_store_err_t cerebro_sqlite_outbox_mark_sent(cerebro_sqlite_t *db,
    int64_t id, const char *twilio_sid, int64_t now,
    cerebro_store_error_t *e);

cerebro_store_err_t cerebro_sqlite_outbox_mark_failed(cerebro_sqlite_t *db,
    int64_t id, const char *reason, int64_t now, cerebro_store_error_t *e);

/* attempts + 1, next try at next_attempt, reason kept as last_error */
cerebro_store_err_t cerebro_sqlite_outbox_retry(cerebro_sqlite_t *db,
    int64_t id, const char *reason, int64_t next_attempt, int64_t now,
    cerebro_store_error_t *e);

/* The newest first, every status, for the staff page. */
cerebro_store_err_t cerebro_sqlite_outbox_recent(cerebro_sqlite_t *db,
    cerebro_outbox_msg_t *out, int max, int *n, cerebro_store_error_t *e);

/* How many messages of each status; all 0 when it fails. */
cerebro_store_err_t cerebro_sqlite_outbox_counts(cerebro_sqlite_t *db,
    int64_t counts[CEREBRO_SQLITE_OUTBOX_STATUSES],
    cerebro_store_error_t *e);

/*
 * Of the WhatsApp messages (not the alerts): when the oldest pending one
 * was queued (0: none), and how many failed since "since".
 */
cerebro_store_err_t cerebro_sqlite_outbox_health(cerebro_sqlite_t *db,
    int64_t since, int64_t *oldest_pending, int64_t *failed,
    cerebro_store_error_t *e);

/* The due pending messages of one kind, the oldest first. */
cerebro_store_err_t cerebro_sqlite_outbox_due_kind(cerebro_sqlite_t *db,
    int64_t now, const char *kind, cerebro_outbox_msg_t *out, int max,
    int *n, cerebro_store_error_t *e);

/* The message Twilio accepted as twilio_sid; NOT_FOUND without one. */
cerebro_store_err_t cerebro_sqlite_outbox_by_sid(cerebro_sqlite_t *db,
    const char *twilio_sid, cerebro_outbox_msg_t *out,
    cerebro_store_error_t *e);

/*
 * The newest reminder about a booking sent to `to` ("whatsapp:+34...")
 * and queued at `since` or later: the booking a "CANCELAR" answers.
 * NOT_FOUND without one.
 */
cerebro_store_err_t cerebro_sqlite_outbox_last_reminder(cerebro_sqlite_t *db,
    const char *to, int64_t since, cerebro_outbox_msg_t *out,
    cerebro_store_error_t *e);

/* Whether a message of kind about the reservation was ever queued. */
cerebro_store_err_t cerebro_sqlite_outbox_about(cerebro_sqlite_t *db,
    const char *kind, const char *reservation_id, int *found,
    cerebro_store_error_t *e);


/*
 * Twilio's delivery state of a message sent, kept by sid apart from the
 * outbox row: a status callback may come before the request that sent
 * the message has marked it sent.
 */
typedef struct {
    char     status[CEREBRO_SQLITE_DELIVERY_LEN];   /* "delivered", ... */
    char     error_code[CEREBRO_SQLITE_DELIVERY_LEN];   /* "63016" or "" */
    int64_t  updated;
} cerebro_delivery_t;

/* Twilio accepted outbox_id as twilio_sid; a callback may be known. */
cerebro_store_err_t cerebro_sqlite_delivery_sent(cerebro_sqlite_t *db,
    const char *twilio_sid, int64_t outbox_id, int64_t now,
    cerebro_store_error_t *e);

/*
 * A status callback.  Callbacks come out of order: one of a lower rank
 * than the status recorded changes nothing (and is OK).  An error_code
 * NULL or "" keeps the one recorded.
 */
cerebro_store_err_t cerebro_sqlite_delivery_record(cerebro_sqlite_t *db,
    const char *twilio_sid, const char *status, int rank,
    const char *error_code, int64_t now, cerebro_store_error_t *e);

/* NOT_FOUND before the first callback or the send is recorded. */
cerebro_store_err_t cerebro_sqlite_delivery_get(cerebro_sqlite_t *db,
    const char *twilio_sid, cerebro_delivery_t *out,
    cerebro_store_error_t *e);


/*
 * The answer given to a tool call that wrote, by the call's key, so that
 * a retry of the call gets that answer and writes nothing: a row of the
 * file, never evicted, kept across restarts until it expires.
 */
#define CEREBRO_SQLITE_REPLAY_KEY_LEN     192
#define CEREBRO_SQLITE_REPLAY_LEN         4096

/*
 * The answer kept for key and not expired at now, NUL-terminated in
 * answer[size] (*len its length), or NOT_FOUND.
 */
cerebro_store_err_t cerebro_sqlite_replay_get(cerebro_sqlite_t *db,
    const char *key, int64_t now, char *answer, size_t size, size_t *len,
    int *failed, cerebro_store_error_t *e);

/*
 * Keeps answer[0..len) for key until expires; a key kept already keeps
 * its first answer (*inserted = 0, still OK).  Each call also drops a
 * few keys expired at now, so that the table drains faster than it fills.
 * INVALID for a key or an answer too long (CEREBRO_SQLITE_REPLAY_*_LEN).
 */
cerebro_store_err_t cerebro_sqlite_replay_put(cerebro_sqlite_t *db,
    const char *key, int failed, const char *answer, size_t len,
    int64_t now, int64_t expires, int *inserted, cerebro_store_error_t *e);


/* WhatsApp STOP / START per phone: opted_out 1 or 0. */
cerebro_store_err_t cerebro_sqlite_opt_out_set(cerebro_sqlite_t *db,
    const char *phone, int opted_out, int64_t now, cerebro_store_error_t *e);

/* *opted_out = 0 for a phone never seen. */
cerebro_store_err_t cerebro_sqlite_opt_out_get(cerebro_sqlite_t *db,
    const char *phone, int *opted_out, cerebro_store_error_t *e);


/*
 * The waiting list (cerebro_sqlite_waitlist.c), in the SQLite file
 * whatever the store backend, like the outbox.  An entry is "waiting",
 * "offered" (a table held for it until hold_until), "booked", "declined"
 * (NO), "passed" (its hold ran out), "left" (BAJA de la lista) or
 * "expired" (its window went past the lead time unserved).  The status
 * of the row is the claim: an offer is made inside one BEGIN IMMEDIATE
 * transaction that sees every other offer, so two workers or two
 * processes of one file never offer one table twice.
 */
#define CEREBRO_WAITLIST_STATUS_LEN       12
#define CEREBRO_WAITLIST_MAX_OFFERS       8

typedef struct {
    int64_t         id;
    char            name[CEREBRO_REC_NAME_LEN];
    char            phone[CEREBRO_REC_PHONE_LEN];
    cerebro_date_t  date;
    int             time_from;          /* local minutes */
    int             time_to;            /* = time_from: one time */
    int             pax;
    int64_t         until;              /* UTC of time_to */
    char            status[CEREBRO_WAITLIST_STATUS_LEN];
    int64_t         offer_start;        /* UTC; 0 before an offer */
    char            offer_table[CEREBRO_REC_TABLE_LEN];
    int64_t         hold_until;
    char            reservation_id[CEREBRO_REC_ID_LEN];
    int64_t         created;
    int64_t         updated;
} cerebro_waitlist_t;

/*
 * Adds w (name, phone, date, time_from, time_to, pax, until); the same
 * phone already waiting for that day and window gets its entry back
 * (*existed = 1).  w->id and w->status are set.
 */
cerebro_store_err_t cerebro_sqlite_waitlist_join(cerebro_sqlite_t *db,
    cerebro_waitlist_t *w, int64_t now, int *existed,
    cerebro_store_error_t *e);

/*
 * Ends the holds that ran out at now ("passed") and the waiting entries
 * whose window no longer starts lead seconds ahead ("expired"); *n how
 * many changed.
 */
cerebro_store_err_t cerebro_sqlite_waitlist_expire(cerebro_sqlite_t *db,
    int64_t now, int64_t lead, int *n, cerebro_store_error_t *e);

/* The days (local) with someone waiting, the earliest first. */
cerebro_store_err_t cerebro_sqlite_waitlist_days(cerebro_sqlite_t *db,
    cerebro_date_t *out, int max, int *n, cerebro_store_error_t *e);

/*
 * The offers one day can make now: the bookings of that day (the
 * engine's form, as the store holds them) and the offers held already
 * take their tables; each waiting entry of the day, the oldest first,
 * gets the first time of its window the engine would book for its party
 * (lead time and pacing included), held for hold seconds.  Made in one
 * transaction; out gets the entries offered now (at most max).
 */
cerebro_store_err_t cerebro_sqlite_waitlist_offer(cerebro_sqlite_t *db,
    const cerebro_restaurant_t *model, const cerebro_date_t *date,
    const cerebro_booking_t *bookings, int nbookings, int64_t now,
    int64_t hold, cerebro_waitlist_t *out, int max, int *n,
    cerebro_store_error_t *e);

/* The offer held for phone at now; NOT_FOUND without one. */
cerebro_store_err_t cerebro_sqlite_waitlist_offered(cerebro_sqlite_t *db,
    const char *phone, int64_t now, cerebro_waitlist_t *out,
    cerebro_store_error_t *e);

/*
 * Ends the offer of entry id (still "offered"): "booked" with
 * reservation_id, "declined", or "waiting" again (the table went to
 * someone else meanwhile).  NOT_FOUND when it is no offer any more.
 */
cerebro_store_err_t cerebro_sqlite_waitlist_answer(cerebro_sqlite_t *db,
    int64_t id, const char *status, const char *reservation_id, int64_t now,
    cerebro_store_error_t *e);

/*
 * The entries changed since they were last written to Airtable's list,
 * the oldest change first; _mirrored() says entry id was written as it
 * stood at updated (a later change is written again).
 */
cerebro_store_err_t cerebro_sqlite_waitlist_unmirrored(cerebro_sqlite_t *db,
    cerebro_waitlist_t *out, int max, int *n, cerebro_store_error_t *e);
cerebro_store_err_t cerebro_sqlite_waitlist_mirrored(cerebro_sqlite_t *db,
    int64_t id, int64_t updated, cerebro_store_error_t *e);

/* BAJA de la lista: every waiting or offered entry of phone; *n. */
cerebro_store_err_t cerebro_sqlite_waitlist_leave(cerebro_sqlite_t *db,
    const char *phone, int64_t now, int *n, cerebro_store_error_t *e);

/*
 * The list as staff see it: entries whose window ends at since or later,
 * by day and order of arrival; *total all that matched.
 */
cerebro_store_err_t cerebro_sqlite_waitlist_list(cerebro_sqlite_t *db,
    int64_t since, cerebro_waitlist_t *out, int max, int *n, int *total,
    cerebro_store_error_t *e);

#endif /* CEREBRO_SQLITE_H */
