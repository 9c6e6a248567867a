/*
 * The rule-based Spanish WhatsApp dialogue: what the guest wants (intent),
 * the slots of a booking in progress filled over several messages ("para
 * 4" ... "mañana" ... "a las 9" ... "a nombre de Ana"), and the next step:
 * a sentence to write back, or a tool to run whose one-line answer is then
 * composed into the reply.  It serves when there is no OpenAI key, and
 * whenever OpenAI fails, so it must never leave a guest without an answer.
 *
 * Pure: no clock (today is given), no allocation except the tool
 * arguments (cJSON), nothing past text[len - 1] read.  The state is a
 * plain struct that the nginx side keeps as JSON in the conversation
 * memory between messages.
 */

#ifndef CEREBRO_DIALOGUE_H
#define CEREBRO_DIALOGUE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "cerebro_civil.h"
#include "cerebro_spanish.h"
#include "cerebro_tools.h"


#define CEREBRO_DLG_NAME_LEN    64
#define CEREBRO_DLG_TEXT_LEN    1024
#define CEREBRO_DLG_MAX_PARTY   200
#define CEREBRO_DLG_PREFS_LEN   128


typedef enum {
    CEREBRO_DLG_NONE = 0,       /* nothing recognised (slots may be) */
    CEREBRO_DLG_STOP,           /* STOP, BAJA: the whole message */
    CEREBRO_DLG_START,          /* START, ALTA: the whole message */
    CEREBRO_DLG_BOOK,
    CEREBRO_DLG_CHECK,          /* "¿tengo reserva?" */
    CEREBRO_DLG_CHANGE,
    CEREBRO_DLG_CANCEL,
    CEREBRO_DLG_HOURS,
    CEREBRO_DLG_ADDRESS,
    CEREBRO_DLG_INFO,           /* parking, menu, allergens, pets ... */
    CEREBRO_DLG_HUMAN,
    CEREBRO_DLG_GREETING,
    CEREBRO_DLG_HELP,
    CEREBRO_DLG_THANKS,
    CEREBRO_DLG_YES,
    CEREBRO_DLG_NO,
    CEREBRO_DLG_WAITLIST,       /* "lista de espera" */
    CEREBRO_DLG_LEAVE_LIST      /* BAJA DE LA LISTA: the whole message */
} cerebro_dlg_intent_t;


/* the slots of a booking */
#define CEREBRO_DLG_SLOT_PARTY  0x01
#define CEREBRO_DLG_SLOT_DATE   0x02
#define CEREBRO_DLG_SLOT_TIME   0x04
#define CEREBRO_DLG_SLOT_NAME   0x08
#define CEREBRO_DLG_SLOTS       0x0f
#define CEREBRO_DLG_SLOT_PREFS  0x10    /* set by a step, never asked */


/* what an earlier step left open */
typedef enum {
    CEREBRO_DLG_PENDING_NONE = 0,
    CEREBRO_DLG_PENDING_CANCEL,     /* which booking: a date is awaited */
    CEREBRO_DLG_PENDING_CHANGE,     /* the new day or time is awaited */
    CEREBRO_DLG_PENDING_WAITLIST    /* the slots go to the waiting list */
} cerebro_dlg_pending_t;


typedef struct {
    int                     booking;        /* a booking in progress */
    char                    date[11];       /* "2026-11-28" or "" */
    char                    time[6];        /* "21:00"; "9:00": am or pm */
    int                     party;          /* 0: not said */
    char                    name[CEREBRO_DLG_NAME_LEN];
    unsigned                asked;          /* slots asked last */
    cerebro_dlg_pending_t   pending;
    int                     confirming;     /* the booking was read back:
                                               only a yes books it */
    char                    prefs[CEREBRO_DLG_PREFS_LEN];  /* "siempre en
                                               terraza": kept with it */
} cerebro_dlg_state_t;


typedef enum {
    CEREBRO_DLG_REPLY = 0,      /* write step->text */
    CEREBRO_DLG_TOOL            /* run step->tool (step->args), then
                                   cerebro_dlg_after_tool() */
} cerebro_dlg_action_t;


typedef struct {
    cerebro_dlg_action_t    action;
    cerebro_dlg_intent_t    intent;
    const char             *tool;           /* a static name */
    cerebro_tool_id_t       tool_id;
    cJSON                  *args;           /* the caller deletes it */
    char                    text[CEREBRO_DLG_TEXT_LEN];
} cerebro_dlg_step_t;


cerebro_dlg_intent_t cerebro_dlg_intent(const char *text, size_t len);
const char *cerebro_dlg_intent_name(cerebro_dlg_intent_t intent);

/*
 * The party size said in text ("para 4", "somos cuatro", "6 personas"),
 * or a bare number when bare is set (the question was "¿cuántos?"); 0
 * when none.
 */
int cerebro_dlg_party(const char *text, size_t len, int bare);

/*
 * The name given ("a nombre de Ana", "me llamo Ana Gil"), or, when bare is
 * set, a short message of words alone ("Ana"): its length in out, 0 when
 * none.  The first letter is capitalised.
 */
size_t cerebro_dlg_name(const char *text, size_t len, int bare, char *out,
    size_t size);

/*
 * Fills the state's slots from text (a new value replaces an old one) and
 * returns the slots it set.  A date said but impossible or past is not
 * taken: *date_error (may be NULL) gets the parser's code, else 0, and
 * *refused (may be NULL) what the parser understood of it.
 */
unsigned cerebro_dlg_fill(cerebro_dlg_state_t *st, const char *text,
    size_t len, const cerebro_date_t *today, int *date_error,
    cerebro_es_date_t *refused);

unsigned cerebro_dlg_missing(const cerebro_dlg_state_t *st);

/*
 * What the guest wants on every visit, in their own words, from a clause
 * of text: "siempre en terraza" (from "siempre" on), "soy celíaca", "alergia
 * al marisco" (the whole clause); never from a question ("¿tenéis menú
 * para alérgicos?").  Its length in out, 0 when none.
 */
size_t cerebro_dlg_preference(const char *text, size_t len, char *out,
    size_t size);

/*
 * The next step for the guest's message.  restaurant is the name used in
 * greetings.  Returns 0, or -1 when out of memory (step->text then holds
 * an apology that can be sent as it is).
 */
int cerebro_dlg_step(cerebro_dlg_state_t *st, const char *text, size_t len,
    const cerebro_date_t *today, const char *restaurant,
    cerebro_dlg_step_t *step);

/*
 * After the tool of a step has answered tool_text: updates the state and
 * writes the reply into out (NUL-terminated); returns its length.  done
 * says whether the tool did what it was asked (a booking made, a booking
 * cancelled or changed).
 */
size_t cerebro_dlg_after_tool(cerebro_dlg_state_t *st,
    const cerebro_dlg_step_t *step, const char *tool_text, int done,
    const cerebro_date_t *today, char *out, size_t size);

/* The state to and from the conversation memory. */
cJSON *cerebro_dlg_state_to_json(const cerebro_dlg_state_t *st);
void cerebro_dlg_state_from_json(cerebro_dlg_state_t *st, const cJSON *json);

/*
 * Folds text for keyword matching: ASCII lower case, Spanish accents and
 * ñ to their base letter, every other byte that is not a letter or a digit
 * to one blank, blanks collapsed, with one leading and one trailing blank
 * so that " word " matches whole words.  Returns the length written.
 */
size_t cerebro_dlg_fold(const char *text, size_t len, char *out,
    size_t size);

#endif /* CEREBRO_DIALOGUE_H */
