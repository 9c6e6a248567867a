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
 *   "pasado mañana" = in 2 days; "ayer" (today - 1), "anteayer" / "antes
 *   de ayer" (today - 2) and "hace N días/semanas/meses" are
 *   CEREBRO_ES_PAST, the date in out, unless another date is said ("ayer
 *   no, mañana" is tomorrow).
 * - Spans, flag CEREBRO_ES_DATE_RELATIVE: "dentro de N días", "en N
 *   días", "de aquí a N días" = today + N; "semanas" count 7 days each
 *   ("dentro de una semana" = today + 7); N is literal, so "dentro de
 *   quince días" / "en quince días" = today + 15 and "ocho días" = + 8.
 *   N in figures (1 to 9999) or in words ("un", "una", "dos" ...
 *   "treinta y uno" ... "cincuenta y nueve"). "dentro de N meses" / "en
 *   un mes": the same day N months on, or the last day of a shorter
 *   month ("dentro de un mes" on 31 January = 28 or 29 February). Beyond
 *   CEREBRO_ES_MAX_YEARS_AHEAD: CEREBRO_ES_OUT_OF_RANGE, the date in out.
 * - A weekday and "dentro de N semanas" in the same phrase, in either
 *   order ("el viernes dentro de dos semanas", "dentro de dos semanas el
 *   viernes"): that weekday in the Monday-to-Sunday week N weeks after
 *   this one, so N = 1 is "el viernes de la semana que viene" and, on a
 *   Friday, "el lunes dentro de dos semanas" is in 10 days. A weekday with
 *   a span of days or months is checked against it like an explicit date
 *   ("el lunes, dentro de tres días" said on a Friday is the Monday).
 * - A weekday alone, with "el" or "este": its next occurrence counting
 *   today, so on a Friday "el viernes" and "este viernes" are today (flag
 *   CEREBRO_ES_DATE_WEEKDAY_TODAY, so the caller may confirm "¿hoy?").
 * - "el próximo X", "el X próximo", "el X que viene": the next X after
 *   today (1 to 7 days; on a Friday "el próximo viernes" is in 7 days).
 * - "X de la semana que viene", "la próxima semana, el X": X in the next
 *   Monday-to-Sunday week.
 * - "28 de noviembre", "28/11", "28-11": this year's date; when it has
 *   passed, next year's, with CEREBRO_ES_DATE_NEXT_YEAR set so the caller
 *   says so ("el 28 de noviembre del año que viene"). Never silent. With
 *   cerebro_es_parse_date_window(), when this year's date passed at most
 *   past_days days ago it is CEREBRO_ES_PAST instead, this year's date in
 *   out: "el 30 de noviembre" said on 1 December was misspoken or meant
 *   in the past, not a booking eleven months ahead, while "el 1 de
 *   octubre" (61 days before) is still next year's. Callers pass
 *   CEREBRO_ES_PAST_WINDOW (60 days, the booking window of
 *   conf/restaurant.json: next year's date would be refused anyway).
 *   A weekday said with a past date is not checked: "el domingo 30 de
 *   noviembre" on 1 December is CEREBRO_ES_PAST, weekday_said 0.
 * - With a year ("2026-11-28", "28/11/2026", "28 de noviembre de 2026",
 *   "28/11/26") a past date is CEREBRO_ES_PAST, never moved.
 * - "el día 3" / "día 3": the next 3rd, this month when the 3rd has not
 *   passed; when a month lacks the day ("el día 31" in November) the
 *   next month that has it. "el viernes 28": the next 28th, checked
 *   against the weekday. The day in words is the same: "el veintidós",
 *   "el día veintidós", "el treinta y uno", "el primero", "el uno", "el
 *   viernes veintidós" (not "el un", "el una").
 * - Named days, flag CEREBRO_ES_DATE_RELATIVE: their next occurrence,
 *   today included, like a weekday; CEREBRO_ES_DATE_NEXT_YEAR too when it
 *   is next year's (never CEREBRO_ES_PAST). Nochebuena 24/12, Navidad
 *   25/12, Nochevieja / fin de año 31/12, Año Nuevo 1/1, Noche (víspera)
 *   de Reyes 5/1, Reyes 6/1, San Valentín 14/2, San Bernabé 11/6 and San
 *   Mateo 21/9 (Logroño), San Juan 24/6 but "la noche (víspera) de San
 *   Juan" 23/6, the night of the bonfires, el Pilar / la Hispanidad
 *   12/10, Todos los Santos 1/11, la Constitución 6/12, la Inmaculada
 *   8/12; from Easter (cerebro_es_easter()): Domingo de Ramos, Jueves,
 *   Viernes and Sábado Santo, Domingo de Resurrección / de Pascua, Lunes
 *   de Pascua. "Pilar" and "Inmaculada" need their article, and a name
 *   is not a day ("a nombre de Reyes", "¡feliz Navidad!"). A year may
 *   follow: "Nochevieja de 2027" or "de este año" (then a past one is
 *   CEREBRO_ES_PAST), "del año que viene" / "del próximo año" (flag
 *   CEREBRO_ES_DATE_NEXT_YEAR). Any other date said wins over a named
 *   day: "la cena de Navidad de la empresa, el 18 de diciembre" is the
 *   18th.
 * - A weekday said with an explicit date ("el viernes 29 de noviembre")
 *   must agree with it: otherwise CEREBRO_ES_WEEKDAY_MISMATCH, the date
 *   in out, the weekday the guest said in out->weekday_said.
 * - Two different dates in one phrase ("el viernes o el sábado") are
 *   CEREBRO_ES_AMBIGUOUS.
 * - Years beyond today's + CEREBRO_ES_MAX_YEARS_AHEAD are
 *   CEREBRO_ES_OUT_OF_RANGE (the booking window is the engine's job).
 * - Whenever a date understood is refused (CEREBRO_ES_PAST,
 *   CEREBRO_ES_OUT_OF_RANGE, CEREBRO_ES_WEEKDAY_MISMATCH), out->date and
 *   out->weekday hold it, and out->weekday_said the weekday named or -1,
 *   so that cerebro_es_refusal() can name it; a date that does not exist
 *   (BAD_MONTH, BAD_DAY, NONEXISTENT_DATE) leaves out zeroed. All of this
 *   is civil dates: a change of summer time (Europe/Madrid, last Sundays
 *   of March and October) moves no day.
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
#define CEREBRO_ES_PAST_WINDOW       60     /* days, see the rules above */


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
#define CEREBRO_ES_DATE_RELATIVE       0x04  /* hoy, a weekday, a span */

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


/* Every passed day and month without a year is next year's. */
cerebro_es_rc_t cerebro_es_parse_date(const char *in, size_t len,
    const cerebro_date_t *today, cerebro_es_date_t *out);

/*
 * The same, but a day and month without a year that passed at most
 * past_days days ago is CEREBRO_ES_PAST (0: never, as above).
 */
cerebro_es_rc_t cerebro_es_parse_date_window(const char *in, size_t len,
    const cerebro_date_t *today, int past_days, cerebro_es_date_t *out);

cerebro_es_rc_t cerebro_es_parse_time(const char *in, size_t len,
    cerebro_es_time_t *out);

/*
 * A short Spanish reason, lower case, no final stop, to use in a sentence
 * to the guest: "Lo siento, <reason>." kind picks "la fecha" or "la hora"
 * for the codes shared by both parsers.
 */
const char *cerebro_es_reason(cerebro_es_rc_t rc, cerebro_es_kind_t kind);

/*
 * The line to the guest when a date is refused, naming the day understood
 * (d as cerebro_es_parse_date*() left it, today as given to it):
 *
 *   PAST            "Ayer fue lunes 30 de noviembre; ¿para qué día sería
 *                   la reserva?" ("Anteayer fue ..." two days back),
 *                   however the day was said; else "El lunes 30 de
 *                   noviembre ya ha pasado; ¿para ..."
 *   OUT_OF_RANGE    "El jueves 1 de enero de 2032 queda demasiado lejos;
 *                   ¿para ..."
 *   WEEKDAY_MISMATCH  "Me ha dicho viernes, pero esa fecha es el sábado
 *                   28 de noviembre; ¿para ..."
 *   EMPTY           "¿Para qué día sería la reserva?"
 *   NOT_UNDERSTOOD  "Lo siento, no he entendido el día; ¿para ..."
 *   others          "Lo siento, <cerebro_es_reason()>; ¿para ..." (also
 *                   PAST etc. when d names no date)
 *
 * (OK writes ""). The year is said when it is not today's. One line, no
 * final stop, UTF-8. Returns the length of the whole line, as snprintf
 * does; a line cut to size never ends in half a character. buf may be
 * NULL with size 0 to measure; d and today may be NULL (no date named).
 */
size_t cerebro_es_refusal(cerebro_es_rc_t rc, const cerebro_es_date_t *d,
    const cerebro_date_t *today, char *buf, size_t size);

/* Easter Sunday of a Gregorian year (the anonymous computus). */
void cerebro_es_easter(int year, cerebro_date_t *out);

/* "CEREBRO_ES_PAST" etc., for logs and tests. */
const char *cerebro_es_rc_name(cerebro_es_rc_t rc);

#endif /* CEREBRO_SPANISH_H */
