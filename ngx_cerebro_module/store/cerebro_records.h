/*
 * The records every store backend returns (embedded SQLite, Airtable), and
 * the error kinds every store result carries.  Field names follow the
 * original's Airtable tables (Reservas, Mesas, Clientes, FAQ) plus the
 * tables we add (call log, outbox).
 *
 * Fixed-size char arrays, NUL-terminated: a list of records is one array
 * the caller owns, with no allocation per record.  A backend refuses a
 * value too long for its field when writing (CEREBRO_STORE_INVALID) and
 * truncates at a UTF-8 character boundary when reading foreign data.
 */

#ifndef CEREBRO_RECORDS_H
#define CEREBRO_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "cerebro_restaurant.h"
#include "cerebro_engine.h"


/* sizes include the terminating NUL */
#define CEREBRO_REC_ID_LEN        32    /* "recXXXXXXXXXXXXXX" or a rowid */
#define CEREBRO_REC_NAME_LEN      96
#define CEREBRO_REC_PHONE_LEN     32    /* E.164 needs 17 */
#define CEREBRO_REC_TABLE_LEN     64    /* "T3", "T3+T4", "T3, T4, T5" */
#define CEREBRO_REC_STATUS_LEN    16
#define CEREBRO_REC_NOTES_LEN     512
#define CEREBRO_REC_SOURCE_LEN    16
#define CEREBRO_REC_CALL_ID_LEN   64
#define CEREBRO_REC_EMAIL_LEN     128
#define CEREBRO_REC_PREFS_LEN     512
#define CEREBRO_REC_QUESTION_LEN  256
#define CEREBRO_REC_ANSWER_LEN    1024
#define CEREBRO_REC_TOPIC_LEN     CEREBRO_NAME_LEN
#define CEREBRO_REC_REASON_LEN    64
#define CEREBRO_REC_SUMMARY_LEN   1024
#define CEREBRO_REC_TO_LEN        48    /* "whatsapp:+34600111222" */
/* Twilio takes 1600 characters; Spanish text is at most 2 bytes each */
#define CEREBRO_REC_BODY_LEN      3200
#define CEREBRO_REC_SID_LEN       64
#define CEREBRO_REC_VARS_LEN      512   /* template variables, JSON */
#define CEREBRO_REC_ERROR_LEN     256
#define CEREBRO_REC_KIND_LEN      16
#define CEREBRO_REC_DEDUPE_LEN    128

#define CEREBRO_STORE_MSG_LEN     256


typedef enum {
    CEREBRO_STORE_OK = 0,
    CEREBRO_STORE_NOT_FOUND,
    CEREBRO_STORE_CONFLICT,     /* slot taken, or a unique key in use */
    CEREBRO_STORE_INVALID,      /* bad argument, or refused by the rules */
    CEREBRO_STORE_UNAVAILABLE,  /* upstream down, database busy or broken */
    CEREBRO_STORE_RATE_LIMITED
} cerebro_store_err_t;


/*
 * An error kind and what went wrong, for a log line (never for a guest).
 * broken: an UNAVAILABLE that lasts until somebody acts (the file cannot
 * be opened or written, the credentials or the base are refused), unlike
 * a busy database or an upstream that is slow for a while.  busy: an
 * UNAVAILABLE because another connection held the database, with nothing
 * written: the same call may simply be made again.
 */
typedef struct {
    cerebro_store_err_t  kind;
    int                  broken;
    int                  busy;
    char                 message[CEREBRO_STORE_MSG_LEN];
} cerebro_store_error_t;


/* The original's words, as written in Reservas.status. */
#define CEREBRO_STATUS_CONFIRMED  "confirmed"
#define CEREBRO_STATUS_CANCELLED  "cancelled"
#define CEREBRO_STATUS_PENDING    "pending"
#define CEREBRO_STATUS_COMPLETED  "completed"
#define CEREBRO_STATUS_NO_SHOW    "no_show"

#define CEREBRO_SOURCE_VOICE      "voice"
#define CEREBRO_SOURCE_WHATSAPP   "whatsapp"


/* Reservas */
typedef struct {
    char      id[CEREBRO_REC_ID_LEN];
    char      client_name[CEREBRO_REC_NAME_LEN];
    char      client_phone[CEREBRO_REC_PHONE_LEN];      /* E.164 */
    int64_t   start;            /* UTC seconds; Airtable date_time */
    int       pax;
    char      table[CEREBRO_REC_TABLE_LEN];   /* table, group or "T3+T4" */
    char      status[CEREBRO_REC_STATUS_LEN];
    char      notes[CEREBRO_REC_NOTES_LEN];
    char      source[CEREBRO_REC_SOURCE_LEN];           /* voice, whatsapp */
    char      call_id[CEREBRO_REC_CALL_ID_LEN];
    int64_t   created;          /* UTC seconds */
    int64_t   written_ms;       /* UTC ms the store put it there (Airtable's
                                   createdTime), 0 unknown: who came first */
} cerebro_reservation_t;


/* Mesas: cerebro_table_t of the engine (name, capacities, location). */
typedef cerebro_table_t  cerebro_table_rec_t;


/* A combinable group of tables ("T3+T4"): an extra table of ours. */
typedef struct {
    char      name[CEREBRO_NAME_LEN];
    int       capacity_min;
    int       capacity_max;
    int       ntables;
    char      members[CEREBRO_MAX_GROUP_TABLES][CEREBRO_NAME_LEN];
} cerebro_group_rec_t;


/* Clientes */
typedef struct {
    char      id[CEREBRO_REC_ID_LEN];
    char      name[CEREBRO_REC_NAME_LEN];
    char      phone[CEREBRO_REC_PHONE_LEN];
    char      email[CEREBRO_REC_EMAIL_LEN];
    char      preferences[CEREBRO_REC_PREFS_LEN];
} cerebro_guest_t;


/* FAQ; topic is the info key it was seeded from ("parking"), or "". */
typedef struct {
    char      topic[CEREBRO_REC_TOPIC_LEN];
    char      question[CEREBRO_REC_QUESTION_LEN];
    char      answer[CEREBRO_REC_ANSWER_LEN];
} cerebro_faq_t;


/* One per call, from VAPI's end-of-call report. */
typedef struct {
    char      call_id[CEREBRO_REC_CALL_ID_LEN];
    char      caller[CEREBRO_REC_PHONE_LEN];
    int64_t   started;          /* UTC seconds */
    int64_t   ended;
    int       duration_s;
    char      ended_reason[CEREBRO_REC_REASON_LEN];
    char      summary[CEREBRO_REC_SUMMARY_LEN];
    double    cost;             /* USD, as VAPI reports it */
    int       booked;
    int       changed;
    int       cancelled;
} cerebro_call_log_t;


typedef enum {
    CEREBRO_OUTBOX_PENDING = 0,
    CEREBRO_OUTBOX_SENT,
    CEREBRO_OUTBOX_FAILED       /* for good: no more attempts */
} cerebro_outbox_status_t;


#define CEREBRO_OUTBOX_KIND_CONFIRMATION  "confirmation"
#define CEREBRO_OUTBOX_KIND_REMINDER      "reminder"
#define CEREBRO_OUTBOX_KIND_WAITLIST      "waitlist_offer"
#define CEREBRO_OUTBOX_KIND_REPLY         "reply"
#define CEREBRO_OUTBOX_KIND_ALERT         "alert"     /* to the webhook */


/* A WhatsApp message to send: free text (body) or a template. */
typedef struct {
    int64_t                  id;
    char                     to[CEREBRO_REC_TO_LEN];
    char                     body[CEREBRO_REC_BODY_LEN];
    char                     template_sid[CEREBRO_REC_SID_LEN];
    char                     variables[CEREBRO_REC_VARS_LEN];   /* JSON */
    cerebro_outbox_status_t  status;
    int                      attempts;
    int64_t                  next_attempt;      /* UTC seconds */
    char                     last_error[CEREBRO_REC_ERROR_LEN];
    char                     twilio_sid[CEREBRO_REC_SID_LEN];
    int64_t                  created;
    char                     kind[CEREBRO_REC_KIND_LEN];
    char                     reservation_id[CEREBRO_REC_ID_LEN];
    char                     dedupe_key[CEREBRO_REC_DEDUPE_LEN];
} cerebro_outbox_msg_t;


/*
 * The message a write of a booking queues in its own transaction, so that
 * a booking never stands without its confirmation (a worker may die right
 * after the write).  The store calls compose() with the booking as
 * written and m zeroed; compose() fills m (to, body, kind, dedupe_key,
 * next_attempt) and returns 1, or 0 for nothing to send.  After the write
 * queued says whether m is a new row of the outbox (m is then that row).
 * A backend that cannot write both at once leaves queued 0.
 */
typedef struct cerebro_notice_s  cerebro_notice_t;

struct cerebro_notice_s {
    int                    (*compose)(cerebro_notice_t *n,
                                      const cerebro_reservation_t *rec,
                                      cerebro_outbox_msg_t *m);
    void                    *data;
    cerebro_outbox_msg_t     msg;
    int                      queued;
};


/* "ok", "not_found", "conflict", "invalid", "unavailable", "rate_limited" */
const char *cerebro_store_err_name(cerebro_store_err_t kind);

/* "pending", "sent", "failed"; from_string returns -1 for anything else */
const char *cerebro_outbox_status_name(cerebro_outbox_status_t status);
int cerebro_outbox_status_from_string(const char *s);

/*
 * Sets e->kind and a printf-style message (broken, busy cleared); returns
 * kind, so that a function can end with
 * `return cerebro_store_error_set(e, ...);`.  e may be NULL.
 */
cerebro_store_err_t cerebro_store_error_set(cerebro_store_error_t *e,
    cerebro_store_err_t kind, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/*
 * Copies src into dst[size] with NUL, cutting at a UTF-8 character
 * boundary when it does not fit.  Returns 1 when it was cut, 0 when not.
 */
int cerebro_rec_copy(char *dst, size_t size, const char *src);

/*
 * One stored booking in the engine's form: its end computed, an unknown
 * table name kept for pacing with no table held; the one rule every
 * backend's bookings are read into the engine by.
 */
void cerebro_rec_engine_booking(const cerebro_restaurant_t *r, int64_t start,
    int pax, const char *table, const char *status, cerebro_booking_t *b);

/*
 * Stored bookings in the engine's form (cerebro_engine.h), in their order:
 * the cancelled ones left out, and the one whose id is exclude (a booking
 * being moved does not block itself; NULL for none), each end computed, an
 * unknown table name kept for pacing with no table held.  out has room
 * for n; returns how many were written.
 */
int cerebro_rec_to_engine(const cerebro_restaurant_t *r,
    const cerebro_reservation_t *recs, int n, const char *exclude,
    cerebro_booking_t *out);

/*
 * The booking decision, the same for every backend, made with the
 * bookings as the store holds them now (inside the write's transaction,
 * or just read again): the engine's answer to want, and the store's
 * outcome of it — OK, CONFLICT (alternatives in answer) or INVALID.
 */
cerebro_store_err_t cerebro_rec_decide(const cerebro_restaurant_t *r,
    const cerebro_booking_t *b, int n, int64_t now,
    const cerebro_request_t *want, cerebro_answer_t *answer,
    cerebro_store_error_t *e);

/*
 * Who keeps a table when writers raced in a store without transactions
 * (Airtable), settled the same way by every one of them from what the
 * store holds after their writes: the active bookings taken in the order
 * the store put them there (written_ms, then id), each keeps its tables
 * unless a booking kept before it holds one of them at an overlapping
 * time, or the covers kept in its quarter hour with its own pass the
 * restaurant's pacing.  exclude (may be NULL) holds nothing: the booking
 * a move replaces, until the move stands.  Returns 1 when the booking id
 * keeps its place, 0 when it must be withdrawn, -1 when recs does not
 * hold it (active).
 */
int cerebro_rec_stands(const cerebro_restaurant_t *r,
    const cerebro_reservation_t *recs, int n, const char *id,
    const char *exclude);

/*
 * A booking's key is its guest and its time: the index of the active
 * booking of phone at start the store put there first (written_ms, then
 * id), or -1.  Any other with that key is a second booking of one guest
 * (a write whose answer was lost and that landed after all).
 */
int cerebro_rec_first_of_guest(const cerebro_reservation_t *recs, int n,
    const char *phone, int64_t start);

/*
 * A guest's preferences are "; "-separated entries ("siempre en terraza;
 * sin gluten").  Adds item to list (size bytes) unless it is there
 * already (ASCII case aside): 1 added, 0 already there, -1 no room or an
 * item that is empty or holds ';' (list unchanged).
 */
int cerebro_rec_prefs_add(char *list, size_t size, const char *item);

/*
 * Whether two names are one guest's ("Ana García", "ana garcía "): a
 * preference is kept only on the guest of the name that stated it.
 */
int cerebro_rec_same_name(const char *a, const char *b);

#endif /* CEREBRO_RECORDS_H */
