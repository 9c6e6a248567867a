/*
 * The builder never writes past size - 1, so finish() always has room for
 * the NUL, and a failed build leaves "" rather than a truncated formula
 * that Airtable might still accept with a different meaning.
 */

#include <stdio.h>
#include <string.h>

#include "cerebro_formula.h"


static void
cerebro_formula_fail(cerebro_formula_t *f, cerebro_formula_rc_t rc)
{
    if (f->rc == CEREBRO_FORMULA_OK) {
        f->rc = rc;
    }
}


static void
cerebro_formula_put(cerebro_formula_t *f, const char *p, size_t n)
{
    if (f->rc != CEREBRO_FORMULA_OK) {
        return;
    }

    if (f->size == 0 || n > f->size - 1 - f->len) {
        cerebro_formula_fail(f, CEREBRO_FORMULA_OVERFLOW);
        return;
    }

    memcpy(f->buf + f->len, p, n);
    f->len += n;
}


static void
cerebro_formula_puts(cerebro_formula_t *f, const char *s)
{
    cerebro_formula_put(f, s, strlen(s));
}


void
cerebro_formula_init(cerebro_formula_t *f, char *buf, size_t size)
{
    memset(f, 0, sizeof(*f));
    f->buf = buf;
    f->size = size;

    if (size > 0) {
        buf[0] = '\0';
    }
}


void
cerebro_formula_arg(cerebro_formula_t *f)
{
    if (f->rc != CEREBRO_FORMULA_OK) {
        return;
    }

    if (f->has_arg[f->depth]) {
        if (f->depth == 0) {
            /* two terms side by side at the top would be no formula */
            cerebro_formula_fail(f, CEREBRO_FORMULA_BAD_NESTING);
            return;
        }

        cerebro_formula_put(f, ",", 1);
    }

    f->has_arg[f->depth] = 1;
}


void
cerebro_formula_open(cerebro_formula_t *f, const char *func)
{
    cerebro_formula_arg(f);

    if (f->rc != CEREBRO_FORMULA_OK) {
        return;
    }

    if (f->depth >= CEREBRO_FORMULA_MAX_DEPTH) {
        cerebro_formula_fail(f, CEREBRO_FORMULA_BAD_NESTING);
        return;
    }

    cerebro_formula_puts(f, func);
    cerebro_formula_put(f, "(", 1);

    f->depth++;
    f->has_arg[f->depth] = 0;
}


void
cerebro_formula_close(cerebro_formula_t *f)
{
    if (f->rc != CEREBRO_FORMULA_OK) {
        return;
    }

    if (f->depth == 0) {
        cerebro_formula_fail(f, CEREBRO_FORMULA_BAD_NESTING);
        return;
    }

    cerebro_formula_put(f, ")", 1);
    f->depth--;
}


void
cerebro_formula_text(cerebro_formula_t *f, const char *text, size_t len)
{
    cerebro_formula_put(f, text, len);
}


size_t
cerebro_formula_string_size(const char *value, size_t len)
{
    size_t  i, n;

    n = 2;

    for (i = 0; i < len; i++) {
        n += (value[i] == '\\' || value[i] == '\'') ? 2 : 1;
    }

    return n;
}


void
cerebro_formula_string(cerebro_formula_t *f, const char *value, size_t len)
{
    size_t  i, start;

    if (f->rc != CEREBRO_FORMULA_OK) {
        return;
    }

    if (len > 0 && memchr(value, '\0', len) != NULL) {
        /* the formula travels as a C string and a URL parameter */
        cerebro_formula_fail(f, CEREBRO_FORMULA_BAD_VALUE);
        return;
    }

    cerebro_formula_put(f, "'", 1);

    start = 0;

    for (i = 0; i < len; i++) {
        if (value[i] == '\\' || value[i] == '\'') {
            cerebro_formula_put(f, value + start, i - start);
            cerebro_formula_put(f, "\\", 1);
            start = i;
        }
    }

    cerebro_formula_put(f, value + start, len - start);
    cerebro_formula_put(f, "'", 1);
}


void
cerebro_formula_field(cerebro_formula_t *f, const char *name, size_t len)
{
    if (f->rc != CEREBRO_FORMULA_OK) {
        return;
    }

    if (name == NULL || len == 0 || memchr(name, '}', len) != NULL
        || memchr(name, '\0', len) != NULL)
    {
        cerebro_formula_fail(f, CEREBRO_FORMULA_BAD_FIELD);
        return;
    }

    cerebro_formula_put(f, "{", 1);
    cerebro_formula_put(f, name, len);
    cerebro_formula_put(f, "}", 1);
}


static int
cerebro_formula_op_ok(const char *op, int numeric)
{
    static const char  *ops[] = { "=", "!=", "<", "<=", ">", ">=" };
    size_t              i, n;

    if (op == NULL) {
        return 0;
    }

    n = numeric ? sizeof(ops) / sizeof(ops[0]) : 2;

    for (i = 0; i < n; i++) {
        if (strcmp(op, ops[i]) == 0) {
            return 1;
        }
    }

    return 0;
}


void
cerebro_formula_cmp_str(cerebro_formula_t *f, const char *field,
    const char *op, const char *value, size_t value_len)
{
    if (!cerebro_formula_op_ok(op, 0) || (value == NULL && value_len)) {
        cerebro_formula_fail(f, CEREBRO_FORMULA_BAD_VALUE);
        return;
    }

    cerebro_formula_arg(f);
    cerebro_formula_field(f, field, field ? strlen(field) : 0);
    cerebro_formula_puts(f, op);
    cerebro_formula_string(f, value, value_len);
}


/* what people put between the digits of a number, as cerebro_phone.c */
static const char  *cerebro_formula_phone_seps[] = {
    " ", "-", ".", "/", "(", ")"
};

#define CEREBRO_FORMULA_PHONE_NSEPS                                           \
    (sizeof(cerebro_formula_phone_seps)                                       \
     / sizeof(cerebro_formula_phone_seps[0]))


void
cerebro_formula_phone(cerebro_formula_t *f, const char *field,
    char forms[][CEREBRO_PHONE_FORM_SIZE], int n)
{
    int     i;
    size_t  k;

    if (forms == NULL || n <= 0) {
        cerebro_formula_fail(f, CEREBRO_FORMULA_BAD_VALUE);
        return;
    }

    cerebro_formula_open(f, CEREBRO_FORMULA_OR);

    for (i = 0; i < n; i++) {
        cerebro_formula_arg(f);

        for (k = 0; k < CEREBRO_FORMULA_PHONE_NSEPS; k++) {
            cerebro_formula_puts(f, "SUBSTITUTE(");
        }

        cerebro_formula_field(f, field, field ? strlen(field) : 0);

        for (k = 0; k < CEREBRO_FORMULA_PHONE_NSEPS; k++) {
            cerebro_formula_puts(f, ",");
            cerebro_formula_string(f, cerebro_formula_phone_seps[k], 1);
            cerebro_formula_puts(f, ",'')");
        }

        cerebro_formula_puts(f, "=");
        cerebro_formula_string(f, forms[i], strlen(forms[i]));
    }

    cerebro_formula_close(f);
}


void
cerebro_formula_cmp_num(cerebro_formula_t *f, const char *field,
    const char *op, long long value)
{
    char  num[32];
    int   n;

    if (!cerebro_formula_op_ok(op, 1)) {
        cerebro_formula_fail(f, CEREBRO_FORMULA_BAD_VALUE);
        return;
    }

    n = snprintf(num, sizeof(num), "%lld", value);

    cerebro_formula_arg(f);
    cerebro_formula_field(f, field, field ? strlen(field) : 0);
    cerebro_formula_puts(f, op);
    cerebro_formula_put(f, num, (size_t) n);
}


void
cerebro_formula_record_id(cerebro_formula_t *f, const char *id,
    size_t id_len)
{
    if (id == NULL && id_len) {
        cerebro_formula_fail(f, CEREBRO_FORMULA_BAD_VALUE);
        return;
    }

    cerebro_formula_arg(f);
    cerebro_formula_puts(f, "RECORD_ID()=");
    cerebro_formula_string(f, id, id_len);
}


static void
cerebro_formula_local_day(cerebro_formula_t *f, const char *field,
    const char *tz)
{
    cerebro_formula_puts(f, "DATETIME_FORMAT(SET_TIMEZONE(");
    cerebro_formula_field(f, field, field ? strlen(field) : 0);
    cerebro_formula_put(f, ",", 1);
    cerebro_formula_string(f, tz, tz ? strlen(tz) : 0);
    cerebro_formula_puts(f, "),'YYYY-MM-DD')");
}


static void
cerebro_formula_day(cerebro_formula_t *f, const cerebro_date_t *d)
{
    char  iso[16];

    cerebro_date_format_iso(iso, sizeof(iso), d);
    cerebro_formula_string(f, iso, strlen(iso));
}


void
cerebro_formula_date_eq(cerebro_formula_t *f, const char *field,
    const char *tz, const cerebro_date_t *day)
{
    if (day == NULL || !cerebro_date_valid(day) || tz == NULL || *tz == '\0')
    {
        cerebro_formula_fail(f, CEREBRO_FORMULA_BAD_VALUE);
        return;
    }

    cerebro_formula_arg(f);
    cerebro_formula_local_day(f, field, tz);
    cerebro_formula_put(f, "=", 1);
    cerebro_formula_day(f, day);
}


void
cerebro_formula_date_range(cerebro_formula_t *f, const char *field,
    const char *tz, const cerebro_date_t *from, const cerebro_date_t *to)
{
    cerebro_date_t  before, after;

    if (from == NULL || to == NULL || !cerebro_date_valid(from)
        || !cerebro_date_valid(to) || cerebro_date_cmp(from, to) > 0
        || tz == NULL || *tz == '\0')
    {
        cerebro_formula_fail(f, CEREBRO_FORMULA_BAD_VALUE);
        return;
    }

    before = cerebro_date_add_days(from, -1);
    after = cerebro_date_add_days(to, 1);

    cerebro_formula_open(f, CEREBRO_FORMULA_AND);

    cerebro_formula_arg(f);
    cerebro_formula_puts(f, "IS_AFTER(");
    cerebro_formula_local_day(f, field, tz);
    cerebro_formula_put(f, ",", 1);
    cerebro_formula_day(f, &before);
    cerebro_formula_put(f, ")", 1);

    cerebro_formula_arg(f);
    cerebro_formula_puts(f, "IS_BEFORE(");
    cerebro_formula_local_day(f, field, tz);
    cerebro_formula_put(f, ",", 1);
    cerebro_formula_day(f, &after);
    cerebro_formula_put(f, ")", 1);

    cerebro_formula_close(f);
}


void
cerebro_formula_raw(cerebro_formula_t *f, const char *text)
{
    cerebro_formula_arg(f);
    cerebro_formula_puts(f, text);
}


cerebro_formula_rc_t
cerebro_formula_finish(cerebro_formula_t *f, size_t *len)
{
    if (f->rc == CEREBRO_FORMULA_OK && f->depth != 0) {
        f->rc = CEREBRO_FORMULA_BAD_NESTING;
    }

    if (f->rc != CEREBRO_FORMULA_OK) {
        f->len = 0;
    }

    if (f->size > 0) {
        f->buf[f->len] = '\0';
    }

    if (len) {
        *len = f->len;
    }

    return f->rc;
}


const char *
cerebro_formula_strerror(cerebro_formula_rc_t rc)
{
    switch (rc) {
    case CEREBRO_FORMULA_OK:
        return "ok";
    case CEREBRO_FORMULA_OVERFLOW:
        return "formula too long for its buffer";
    case CEREBRO_FORMULA_BAD_FIELD:
        return "field name empty or containing '}'";
    case CEREBRO_FORMULA_BAD_VALUE:
        return "invalid value (NUL byte, bad date or operator)";
    case CEREBRO_FORMULA_BAD_NESTING:
        return "unbalanced or too deeply nested formula";
    }

    return "unknown formula error";
}
