/*
 * Airtable filterByFormula text, built into a caller's buffer.
 *
 * Every value that may come from a guest (a name, a phone) goes through
 * cerebro_formula_string(), which writes a single-quoted literal with '\'
 * and '\'' escaped, so "O'Brien", "}{" or a trailing backslash stays one
 * literal. Field names come from configuration and are written as
 * {Field Name}; a name with '}' cannot be written that way and is refused.
 *
 * Errors are sticky: after the first one every call is a no-op and
 * cerebro_formula_finish() reports it, so callers check once at the end.
 *
 *   cerebro_formula_init(&f, buf, sizeof(buf));
 *   cerebro_formula_open(&f, CEREBRO_FORMULA_AND);
 *   cerebro_formula_date_eq(&f, "date_time", "Europe/Madrid", &day);
 *   cerebro_formula_cmp_str(&f, "status", "!=", "cancelada", 9);
 *   cerebro_formula_close(&f);
 *   if (cerebro_formula_finish(&f, &len) != CEREBRO_FORMULA_OK) ...
 *
 * gives
 *   AND(DATETIME_FORMAT(SET_TIMEZONE({date_time},'Europe/Madrid'),
 *   'YYYY-MM-DD')='2026-11-28',{status}!='cancelada')     (one line)
 */

#ifndef CEREBRO_FORMULA_H
#define CEREBRO_FORMULA_H

#include <stddef.h>

#include "cerebro_civil.h"
#include "cerebro_phone.h"


#define CEREBRO_FORMULA_MAX_DEPTH  16

#define CEREBRO_FORMULA_AND  "AND"
#define CEREBRO_FORMULA_OR   "OR"
#define CEREBRO_FORMULA_NOT  "NOT"


typedef enum {
    CEREBRO_FORMULA_OK = 0,
    CEREBRO_FORMULA_OVERFLOW,       /* the buffer is too small */
    CEREBRO_FORMULA_BAD_FIELD,      /* empty, or has '}' or a NUL */
    CEREBRO_FORMULA_BAD_VALUE,      /* a NUL byte, a bad date or operator */
    CEREBRO_FORMULA_BAD_NESTING     /* close without open, too deep, or
                                       unclosed at finish */
} cerebro_formula_rc_t;


typedef struct {
    char                  *buf;
    size_t                 size;
    size_t                 len;
    cerebro_formula_rc_t   rc;
    unsigned               depth;
    /* whether the open call at each depth already has an argument */
    unsigned char          has_arg[CEREBRO_FORMULA_MAX_DEPTH + 1];
} cerebro_formula_t;


void cerebro_formula_init(cerebro_formula_t *f, char *buf, size_t size);

/* "AND(", "OR(", "NOT(": func is our own constant text, not escaped. */
void cerebro_formula_open(cerebro_formula_t *f, const char *func);
void cerebro_formula_close(cerebro_formula_t *f);

/*
 * Terms. Each is one argument of the innermost open call (a ',' is put
 * before it when needed) or the whole formula at depth 0.
 */

/* {field} op 'value', op one of "=", "!=" */
void cerebro_formula_cmp_str(cerebro_formula_t *f, const char *field,
    const char *op, const char *value, size_t value_len);

/* {field} op number, op one of "=", "!=", "<", "<=", ">", ">=" */
void cerebro_formula_cmp_num(cerebro_formula_t *f, const char *field,
    const char *op, long long value);

/*
 * A telephone field equal to one of forms[0..n) (cerebro_phone_forms())
 * once the separators staff type are taken out of the field, so that a
 * record whose number was typed "600 11 12 22" or "(+34) 600-111-222"
 * is found by the number in E.164:
 *   OR(X='+34600111222',X='0034600111222',X='600111222',...)
 * with X = SUBSTITUTE(...SUBSTITUTE({field},' ','')...,')','').
 */
void cerebro_formula_phone(cerebro_formula_t *f, const char *field,
    char forms[][CEREBRO_PHONE_FORM_SIZE], int n);

/* RECORD_ID()='rec...' */
void cerebro_formula_record_id(cerebro_formula_t *f, const char *id,
    size_t id_len);

/*
 * DATETIME_FORMAT(SET_TIMEZONE({field},'tz'),'YYYY-MM-DD')='2026-11-28':
 * the stored UTC instant falls on that local day.
 */
void cerebro_formula_date_eq(cerebro_formula_t *f, const char *field,
    const char *tz, const cerebro_date_t *day);

/*
 * The local day is in [from, to], both inclusive, written with strict
 * IS_AFTER / IS_BEFORE on the formatted local day against the day before
 * from and the day after to, so both sides are plain 'YYYY-MM-DD' days:
 *   AND(IS_AFTER(X,'<from-1>'),IS_BEFORE(X,'<to+1>'))
 * with X the DATETIME_FORMAT(...) expression of cerebro_formula_date_eq.
 */
void cerebro_formula_date_range(cerebro_formula_t *f, const char *field,
    const char *tz, const cerebro_date_t *from, const cerebro_date_t *to);

/* A trusted term written as is (e.g. "TRUE()"). */
void cerebro_formula_raw(cerebro_formula_t *f, const char *text);

/*
 * Pieces, for shapes the terms above do not cover: they add no ','.
 * cerebro_formula_arg() starts a new argument (adds the ',' if needed).
 */
void cerebro_formula_arg(cerebro_formula_t *f);
void cerebro_formula_text(cerebro_formula_t *f, const char *text,
    size_t len);
void cerebro_formula_string(cerebro_formula_t *f, const char *value,
    size_t len);
void cerebro_formula_field(cerebro_formula_t *f, const char *name,
    size_t len);

/*
 * NUL-terminates and returns the first error, or BAD_NESTING if an open
 * call is left unclosed. len (optional) gets the formula's length. On
 * error the buffer holds "" (never a half formula).
 */
cerebro_formula_rc_t cerebro_formula_finish(cerebro_formula_t *f,
    size_t *len);

/* Size needed to quote value (including quotes, without NUL). */
size_t cerebro_formula_string_size(const char *value, size_t len);

const char *cerebro_formula_strerror(cerebro_formula_rc_t rc);

#endif /* CEREBRO_FORMULA_H */
