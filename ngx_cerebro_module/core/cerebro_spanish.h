/*
 * The guest's Spanish dates and times, as VAPI's assistant passes them on
 * or as a guest types them on WhatsApp: "el sábado que viene por la
 * noche", "28/11", "a las nueve y media", "21h".
 *
 * Input is a byte range (not NUL-terminated), UTF-8; case, accents
 * (miércoles/miercoles), punctuation and surrounding words ("para el
 * viernes, por favor") do not matter. Nothing is allocated and nothing
 * past in[len - 1] is read. Inputs longer than CEREBRO_ES_MAX_INPUT bytes
 * are refused with CEREBRO_ES_TOO_LONG.
 *
 * Dates are relative to "today", the restaurant's local date given by the
 * caller (cerebro_tz computes it), so the parser never reads a clock.
 *
 * The rules, which the assistant's read-back ("viernes 28 de noviembre")
 * lets the guest correct:
 *
 * - "hoy", "esta noche/tarde" = today; "mañana" = tomorrow, but "la
 *   mañana" ("por la mañana", "de la mañana") is the morning, not a date;
 *   "pasado mañana" = in 2 days; "ayer", "anteayer" = CEREBRO_ES_PAST.
 * - A weekday alone, with "el" or "este": its next occurrence counting
 *   today, so on a Friday "el viernes" and "este viernes" are today (flag
 *   CEREBRO_ES_DATE_WEEKDAY_TODAY, so the caller may confirm "¿hoy?").
 * - "el próximo X", "el X próximo", "el X que viene": the next X after
 *   today (1 to 7 days; on a Friday "el próximo viernes" is in 7 days).
 * - "X de la semana que viene", "la próxima semana, el X": X in the next
 *   Monday-to-Sunday week.
 * - "28 de noviembre", "28/11", "28-11": this year's date; when it has
 *   passed, next year's, with CEREBRO_ES_DATE_NEXT_YEAR set so the caller
 *   says so ("el 28 de noviembre del año que viene"). Never silent.
 * - With a year ("2026-11-28", "28/11/2026", "28 de noviembre de 2026",
 *   "28/11/26") a past date is CEREBRO_ES_PAST, never moved.
 * - "el día 3" / "día 3": the next 3rd, this month when the 3rd has not
 *   passed; when a month lacks the day ("el día 31" in November) the
 *   next month that has it. "el viernes 28": the next 28th, checked
 *   against the weekday.
 * - A weekday said with an explicit date ("el viernes 29 de noviembre")
 *   must agree with it: otherwise CEREBRO_ES_WEEKDAY_MISMATCH, the date
 *   in out, the weekday the guest said in out->weekday_said.
 * - Two different dates in one phrase ("el viernes o el sábado") are
 *   CEREBRO_ES_AMBIGUOUS.
 * - Years beyond today's + CEREBRO_ES_MAX_YEARS_AHEAD are
 *   CEREBRO_ES_OUT_OF_RANGE (the booking window is the engine's job).
 *
 * Times give minutes after midnight (0..1439):
 *
 * - "21:00", "21.30", "21h", "21 h", "21h30", "21:00:00", "21 horas".
 * - "a las nueve", "la una", "las 9 y media", "nueve y cuarto", "nueve
 *   menos cuarto" (8:45), "las 9 y 10", "en punto"; hours as words up to
 *   "veinticuatro"; "las veinticuatro" and "24:00" are midnight (0).
 * - "de la mañana" / "de la madrugada" keep 1..11; "de la tarde" and
 *   "de la noche" add 12 (but "la una de la noche" is 1:00 and "las doce
 *   de la noche" is 0:00); "del mediodía" makes 12 noon and 1..4 p.m.;
 *   "por la noche", "esta tarde", "pm", "am" anywhere in the phrase work
 *   the same way.
 * - "a mediodía" alone is 14:00: in Spain "a mediodía" for a meal means
 *   lunch time, about two, not 12:00 ("las doce del mediodía" is 12:00).
 *   "medianoche" is 0:00.
 * - An hour 1..11 with no period and no leading zero ("las nueve",
 *   "9:30", "9h") sets CEREBRO_ES_TIME_AMBIGUOUS: minutes holds the
 *   morning reading and minutes + 720 is the other one; the engine picks
 *   by opening hours. "09:30" (leading zero) and 12 ("las doce", noon)
 *   are not ambiguous.
 * - "por la noche" with no hour is CEREBRO_ES_VAGUE_TIME.
 */

#ifndef CEREBRO_SPANISH_H
#define CEREBRO_SPANISH_H

#include <stddef.h>

#include "cerebro_civil.h"


#define CEREBRO_ES_MAX_INPUT         2048
#define CEREBRO_ES_MAX_YEARS_AHEAD   5


typedef enum {
    CEREBRO_ES_OK = 0,
    CEREBRO_ES_EMPTY,               /* nothing but blanks */
    CEREBRO_ES_NOT_UNDERSTOOD,      /* no date / no time in the words */
    CEREBRO_ES_TOO_LONG,            /* over CEREBRO_ES_MAX_INPUT bytes */
    CEREBRO_ES_BAD_MONTH,           /* month 13, "28 de brumario" */
    CEREBRO_ES_BAD_DAY,             /* day 0 or 32 */
    CEREBRO_ES_NONEXISTENT_DATE,    /* 31 de febrero, 29/2 not leap */
    CEREBRO_ES_PAST,                /* a date before today */
    CEREBRO_ES_OUT_OF_RANGE,        /* a year too far ahead */
    CEREBRO_ES_UNKNOWN_WEEKDAY,     /* "el próximo juebes" */
    CEREBRO_ES_WEEKDAY_MISMATCH,    /* "viernes 29 de noviembre" (sábado) */
    CEREBRO_ES_AMBIGUOUS,           /* two different dates or times */
    CEREBRO_ES_BAD_TIME,            /* 25:00, 21:75, "15 de la mañana" */
    CEREBRO_ES_VAGUE_TIME,          /* "por la noche", no hour */
    CEREBRO_ES_INVALID_ARG          /* today invalid, NULL output */
} cerebro_es_rc_t;


/* out->flags of a date */
#define CEREBRO_ES_DATE_NEXT_YEAR      0x01  /* moved to next year: say it */
#define CEREBRO_ES_DATE_WEEKDAY_TODAY  0x02  /* "el viernes" said on one */
#define CEREBRO_ES_DATE_RELATIVE       0x04  /* hoy, mañana, a weekday */

typedef struct {
    cerebro_date_t  date;
    int             weekday;        /* 0 = Sunday, of date */
    int             weekday_said;   /* the weekday named, or -1 */
    unsigned        flags;
} cerebro_es_date_t;


/* out->flags of a time */
#define CEREBRO_ES_TIME_AMBIGUOUS  0x01  /* or minutes + 720 */
#define CEREBRO_ES_TIME_PERIOD     0x02  /* a mañana/tarde/noche was said */

typedef struct {
    int       minutes;              /* 0..1439 */
    unsigned  flags;
} cerebro_es_time_t;


typedef enum {
    CEREBRO_ES_KIND_DATE = 0,
    CEREBRO_ES_KIND_TIME
} cerebro_es_kind_t;


cerebro_es_rc_t cerebro_es_parse_date(const char *in, size_t len,
    const cerebro_date_t *today, cerebro_es_date_t *out);

cerebro_es_rc_t cerebro_es_parse_time(const char *in, size_t len,
    cerebro_es_time_t *out);

/*
 * A short Spanish reason, lower case, no final stop, to use in a sentence
 * to the guest: "Lo siento, <reason>." kind picks "la fecha" or "la hora"
 * for the codes shared by both parsers.
 */
const char *cerebro_es_reason(cerebro_es_rc_t rc, cerebro_es_kind_t kind);

/* "CEREBRO_ES_PAST" etc., for logs and tests. */
const char *cerebro_es_rc_name(cerebro_es_rc_t rc);

#endif /* CEREBRO_SPANISH_H */
