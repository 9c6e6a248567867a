/*
 * One-line Spanish sentences the assistant reads or writes to the guest,
 * for every outcome of the engine and the booking tools.  Every function
 * writes into the caller's buffer, never a line break (VAPI's results are
 * single-line strings), truncates safely and returns the length written.
 * Dates are always read back with the weekday ("viernes 27 de
 * noviembre"); ref_year is the current year in the restaurant's zone.
 */

#ifndef CEREBRO_SENTENCE_H
#define CEREBRO_SENTENCE_H

#include <stddef.h>

#include "cerebro_civil.h"
#include "cerebro_engine.h"


/* What a request still lacks, for cerebro_sentence_missing(). */
#define CEREBRO_MISSING_DATE    0x01
#define CEREBRO_MISSING_TIME    0x02
#define CEREBRO_MISSING_PARTY   0x04
#define CEREBRO_MISSING_NAME    0x08
#define CEREBRO_MISSING_PHONE   0x10


/* Any engine answer: available, alternatives, hand-over or invalid. */
size_t cerebro_sentence_answer(char *buf, size_t size,
    const cerebro_restaurant_t *r, const cerebro_request_t *req,
    const cerebro_answer_t *a, int ref_year);

size_t cerebro_sentence_available(char *buf, size_t size,
    const cerebro_request_t *req, const cerebro_slot_t *slot, int ref_year);

size_t cerebro_sentence_alternatives(char *buf, size_t size,
    const cerebro_restaurant_t *r, const cerebro_request_t *req,
    const cerebro_answer_t *a, int ref_year);

size_t cerebro_sentence_handover(char *buf, size_t size, int party,
    int max_party);

size_t cerebro_sentence_booked(char *buf, size_t size, const char *name,
    const cerebro_date_t *date, int minutes, int party, int ref_year);

size_t cerebro_sentence_changed(char *buf, size_t size, const char *name,
    const cerebro_date_t *date, int minutes, int party, int ref_year);

size_t cerebro_sentence_cancelled(char *buf, size_t size, const char *name,
    const cerebro_date_t *date, int minutes, int ref_year);

/* name may be NULL */
size_t cerebro_sentence_not_found(char *buf, size_t size, const char *name);


/* What happened to a booking, for the guest's written confirmation. */
typedef enum {
    CEREBRO_CHANGE_BOOKED = 1,
    CEREBRO_CHANGE_CHANGED,
    CEREBRO_CHANGE_CANCELLED
} cerebro_change_kind_t;

/*
 * The WhatsApp confirmation of a booking at restaurant made, changed or
 * cancelled; the same words whichever channel made the change.
 */
size_t cerebro_sentence_confirmation(char *buf, size_t size,
    cerebro_change_kind_t kind, const char *restaurant, const char *name,
    const cerebro_date_t *date, int minutes, int party, int ref_year);

/*
 * The WhatsApp reminder of a booking on date ("hoy", "mañana" or the
 * date, seen from today), which a "CANCELAR" reply cancels.
 */
size_t cerebro_sentence_reminder(char *buf, size_t size,
    const char *restaurant, const char *name, const cerebro_date_t *date,
    const cerebro_date_t *today, int minutes, int party);

/*
 * The read-back before a booking is made, the same line on both
 * channels: "¿Confirmo mesa para 4 el viernes 4 de diciembre a las 21:00 a
 * nombre de Ana?", after what will be kept of the guest ("Anoto para sus
 * próximas visitas: siempre en terraza."; preferences NULL or "": none).
 */
size_t cerebro_sentence_readback(char *buf, size_t size, const char *name,
    const cerebro_date_t *date, int minutes, int party,
    const char *preferences, int ref_year);

/*
 * create_reservation's answer to a call without confirmed=true: the line
 * to read to the guest, and to call again after their yes.
 */
size_t cerebro_sentence_read_first(char *buf, size_t size, const char *name,
    const cerebro_date_t *date, int minutes, int party, int ref_year);

/* Who calls, as far as the caller's number tells (the voice prompt). */
typedef enum {
    CEREBRO_CALLER_NEW = 0,       /* nothing of the number is known */
    CEREBRO_CALLER_KNOWN,         /* one guest: name and next booking */
    CEREBRO_CALLER_SHARED         /* several names: nothing may be said */
} cerebro_caller_kind_t;

/* "para 4 personas el viernes 4 de diciembre a las 21:00" */
size_t cerebro_sentence_next_booking(char *buf, size_t size,
    const cerebro_date_t *date, int minutes, int party, int ref_year);

/*
 * What the assistant is told of the guest before it answers: for a
 * known guest their name (may be ""), their next booking (date NULL:
 * none) and the preferences noted of them (NULL or "": none); for a
 * shared number, to ask who speaks and say nothing of anyone; for a new
 * number, to ask the name.  written: the guest writes (WhatsApp), else
 * calls.
 */
size_t cerebro_sentence_caller(char *buf, size_t size,
    cerebro_caller_kind_t kind, const char *name, const cerebro_date_t *date,
    int minutes, int party, const char *preferences, int ref_year,
    int written);

/* what: CEREBRO_MISSING_* flags */
size_t cerebro_sentence_missing(char *buf, size_t size, unsigned what);

/*
 * The waiting list: what the guest is told on joining it (from..to local
 * minutes, to == from for one time), and the WhatsApp offer of a table
 * that freed up, held for hold_minutes.
 */
size_t cerebro_sentence_waitlist_joined(char *buf, size_t size,
    const char *name, const cerebro_date_t *date, int from, int to,
    int party, int hold_minutes, int ref_year);
size_t cerebro_sentence_waitlist_offer(char *buf, size_t size,
    const char *restaurant, const char *name, const cerebro_date_t *date,
    int minutes, int party, int hold_minutes, int ref_year);

#endif /* CEREBRO_SENTENCE_H */
