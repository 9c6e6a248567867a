/*
 * The phrase is first folded into lower-case ASCII words, numbers and a
 * few punctuation marks (tokens), then dates and times are looked for as
 * token patterns anywhere in it, so that filler words never matter. Every
 * pattern checks the token count before it looks ahead: nothing reads
 * past the tokens, and the tokens never past the input.
 */

#include <string.h>

#include "cerebro_spanish.h"


#define ES_MAX_TOKENS   512
#define ES_NUM_CAP      1000000
#define ES_MAX_NEAR_CHECKS  32

#define ES_WORD   1
#define ES_NUM    2
#define ES_PUNCT  3


typedef struct {
    unsigned short  start;
    unsigned short  len;
    unsigned char   type;
    unsigned char   digits;         /* of a number, capped at 255 */
    unsigned char   lead_zero;      /* a number written "09" */
    int             value;          /* of a number, capped at ES_NUM_CAP */
} es_tok_t;


typedef struct {
    char       buf[CEREBRO_ES_MAX_INPUT + 1];
    size_t     blen;
    es_tok_t   tok[ES_MAX_TOKENS];
    int        ntok;
    int        blank;               /* nothing but blanks in the input */
} es_text_t;


typedef enum {
    ES_PERIOD_NONE = 0,
    ES_PERIOD_MANANA,
    ES_PERIOD_MADRUGADA,
    ES_PERIOD_MEDIODIA,
    ES_PERIOD_TARDE,
    ES_PERIOD_NOCHE,
    ES_PERIOD_AM,
    ES_PERIOD_PM
} es_period_t;


typedef struct {
    const char  *word;
    int          value;
} es_word_t;


static const es_word_t  es_weekdays[] = {
    { "domingo", 0 }, { "lunes", 1 }, { "martes", 2 }, { "miercoles", 3 },
    { "jueves", 4 }, { "viernes", 5 }, { "sabado", 6 }, { NULL, 0 }
};

static const es_word_t  es_months[] = {
    { "enero", 1 }, { "febrero", 2 }, { "marzo", 3 }, { "abril", 4 },
    { "mayo", 5 }, { "junio", 6 }, { "julio", 7 }, { "agosto", 8 },
    { "septiembre", 9 }, { "setiembre", 9 }, { "octubre", 10 },
    { "noviembre", 11 }, { "diciembre", 12 }, { NULL, 0 }
};

static const es_word_t  es_numbers[] = {
    { "cero", 0 }, { "un", 1 }, { "uno", 1 }, { "una", 1 },
    { "primero", 1 }, { "dos", 2 }, { "tres", 3 }, { "cuatro", 4 },
    { "cinco", 5 }, { "seis", 6 }, { "siete", 7 }, { "ocho", 8 },
    { "nueve", 9 }, { "diez", 10 }, { "once", 11 }, { "doce", 12 },
    { "trece", 13 }, { "catorce", 14 }, { "quince", 15 },
    { "dieciseis", 16 }, { "diecisiete", 17 }, { "dieciocho", 18 },
    { "diecinueve", 19 }, { "veinte", 20 }, { "veintiun", 21 },
    { "veintiuno", 21 }, { "veintiuna", 21 }, { "veintidos", 22 },
    { "veintitres", 23 }, { "veinticuatro", 24 }, { "veinticinco", 25 },
    { "veintiseis", 26 }, { "veintisiete", 27 }, { "veintiocho", 28 },
    { "veintinueve", 29 }, { "treinta", 30 }, { "cuarenta", 40 },
    { "cincuenta", 50 }, { NULL, 0 }
};

/* After a number, these make it a head count, not a day or an hour. */
static const char  *es_count_words[] = {
    "personas", "persona", "pax", "comensales", "adultos", "adulto",
    "ninos", "nino", "ninas", "nina", "bebes", "bebe", "gente",
    "cubiertos", "sillas", "mesas", "mas", NULL
};


/* Text */


static void
es_add_token(es_text_t *t, size_t start, int type)
{
    es_tok_t  *k;

    k = &t->tok[t->ntok++];
    memset(k, 0, sizeof(*k));
    k->start = (unsigned short) start;
    k->len = 0;
    k->type = (unsigned char) type;
}


/*
 * Folds one UTF-8 sequence starting at in[i] to an ASCII letter, 0 for a
 * separator, or -1 for a mark to drop without splitting a word (a
 * combining accent). *n gets the bytes used.
 */
static int
es_fold_utf8(const unsigned char *in, size_t len, size_t i, size_t *n)
{
    unsigned char  c, d;

    c = in[i];
    *n = 1;

    if (c == 0xc3 && i + 1 < len && (in[i + 1] & 0xc0) == 0x80) {
        d = in[i + 1];
        *n = 2;

        switch (d | 0x20) {
        case 0xa0: case 0xa1: case 0xa2: case 0xa4:
            return 'a';
        case 0xa8: case 0xa9: case 0xaa: case 0xab:
            return 'e';
        case 0xac: case 0xad: case 0xae: case 0xaf:
            return 'i';
        case 0xb2: case 0xb3: case 0xb4: case 0xb6:
            return 'o';
        case 0xb9: case 0xba: case 0xbb: case 0xbc:
            return 'u';
        case 0xb1:
            return 'n';
        case 0xa7:
            return 'c';
        }

        return 0;
    }

    if ((c == 0xcc && i + 1 < len && in[i + 1] >= 0x80)
        || (c == 0xcd && i + 1 < len && in[i + 1] <= 0xaf
            && in[i + 1] >= 0x80))
    {
        /* U+0300..U+036F: "a" + combining acute is still "a" */
        *n = 2;
        return -1;
    }

    /* any other sequence, or a stray byte, separates words */
    if (c >= 0xc0) {
        while (*n < 4 && i + *n < len && (in[i + *n] & 0xc0) == 0x80) {
            (*n)++;
        }
    }

    return 0;
}


static cerebro_es_rc_t
es_tokenize(const char *input, size_t len, es_text_t *t)
{
    const unsigned char  *in;
    size_t                i, n, start;
    int                   c, cur;
    es_tok_t             *k;

    in = (const unsigned char *) input;
    t->blen = 0;
    t->ntok = 0;
    t->blank = 1;
    cur = 0;
    start = 0;

    for (i = 0; i < len; i += n) {
        n = 1;
        c = in[i];

        if (c >= 0x80) {
            c = es_fold_utf8(in, len, i, &n);

            if (c < 0) {
                continue;
            }

        } else if (c >= 'A' && c <= 'Z') {
            c += 32;
        }

        if (c != 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            t->blank = 0;
        }

        if (c >= 'a' && c <= 'z') {
            if (cur != ES_WORD) {
                if (t->ntok == ES_MAX_TOKENS) {
                    return CEREBRO_ES_TOO_LONG;
                }

                start = t->blen;
                cur = ES_WORD;
                es_add_token(t, start, ES_WORD);
            }

            t->buf[t->blen++] = (char) c;
            t->tok[t->ntok - 1].len++;
            continue;
        }

        if (c >= '0' && c <= '9') {
            if (cur != ES_NUM) {
                if (t->ntok == ES_MAX_TOKENS) {
                    return CEREBRO_ES_TOO_LONG;
                }

                start = t->blen;
                cur = ES_NUM;
                es_add_token(t, start, ES_NUM);
                t->tok[t->ntok - 1].lead_zero = (c == '0');
            }

            k = &t->tok[t->ntok - 1];
            t->buf[t->blen++] = (char) c;
            k->len++;

            if (k->digits < 255) {
                k->digits++;
            }

            if (k->value < ES_NUM_CAP) {
                k->value = k->value * 10 + (c - '0');
            }

            continue;
        }

        cur = 0;

        if (c == ':' || c == '.' || c == '/' || c == '-') {
            if (t->ntok == ES_MAX_TOKENS) {
                return CEREBRO_ES_TOO_LONG;
            }

            start = t->blen;
            es_add_token(t, start, ES_PUNCT);
            t->buf[t->blen++] = (char) c;
            t->tok[t->ntok - 1].len = 1;
        }

        /* anything else (blanks, commas, '¿', emoji) just separates */
    }

    t->buf[t->blen] = '\0';

    return CEREBRO_ES_OK;
}


static const es_tok_t *
es_at(const es_text_t *t, int i)
{
    return (i >= 0 && i < t->ntok) ? &t->tok[i] : NULL;
}


static int
es_is(const es_text_t *t, int i, const char *word)
{
    const es_tok_t  *k;
    size_t           n;

    k = es_at(t, i);

    if (k == NULL || k->type == ES_NUM || t->buf[k->start] != word[0]) {
        return 0;
    }

    n = strlen(word);

    return k->len == n && memcmp(t->buf + k->start, word, n) == 0;
}


static int
es_lookup(const es_text_t *t, int i, const es_word_t *table)
{
    const es_tok_t  *k;

    k = es_at(t, i);

    if (k == NULL || k->type != ES_WORD) {
        return -1;
    }

    for ( /* void */ ; table->word; table++) {
        if (table->word[0] == t->buf[k->start]
            && strlen(table->word) == k->len
            && memcmp(t->buf + k->start, table->word, k->len) == 0)
        {
            return table->value;
        }
    }

    return -1;
}


static int
es_is_num(const es_text_t *t, int i, int max_digits)
{
    const es_tok_t  *k;

    k = es_at(t, i);

    return k != NULL && k->type == ES_NUM && k->digits <= max_digits;
}


static int
es_num(const es_text_t *t, int i)
{
    return t->tok[i].value;
}


static int
es_is_count_word(const es_text_t *t, int i)
{
    int  w;

    for (w = 0; es_count_words[w]; w++) {
        if (es_is(t, i, es_count_words[w])) {
            return 1;
        }
    }

    return 0;
}


/*
 * A number at i, in digits (up to 2) or in words, "treinta y uno"
 * included. Returns the tokens used, 0 if none.
 */
static int
es_number(const es_text_t *t, int i, int *value)
{
    int  v, u;

    if (es_is_num(t, i, 2)) {
        *value = es_num(t, i);
        return 1;
    }

    v = es_lookup(t, i, es_numbers);

    if (v < 0) {
        return 0;
    }

    if ((v == 30 || v == 40 || v == 50) && es_is(t, i + 1, "y")) {
        u = es_lookup(t, i + 2, es_numbers);

        if (u >= 1 && u <= 9 && !es_is(t, i + 2, "primero")) {
            *value = v + u;
            return 3;
        }
    }

    *value = v;
    return 1;
}


/* Levenshtein distance of two short words, or 99 when too long. */
static int
es_distance(const char *a, size_t la, const char *b, size_t lb)
{
    int     row[17], prev, tmp, best;
    size_t  i, j;

    if (la > 16 || lb > 16) {
        return 99;
    }

    for (j = 0; j <= lb; j++) {
        row[j] = (int) j;
    }

    for (i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = (int) i;

        for (j = 1; j <= lb; j++) {
            tmp = row[j];
            best = prev + (a[i - 1] != b[j - 1]);

            if (row[j] + 1 < best) {
                best = row[j] + 1;
            }

            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }

            row[j] = best;
            prev = tmp;
        }
    }

    return row[lb];
}


/* A word near (but not equal to) one of table: a misspelt name. */
static int
es_near(const es_text_t *t, int i, const es_word_t *table)
{
    const es_tok_t  *k;
    size_t           n;
    int              d;

    k = es_at(t, i);

    if (k == NULL || k->type != ES_WORD || k->len < 4) {
        return 0;
    }

    for ( /* void */ ; table->word; table++) {
        n = strlen(table->word);

        if (n + 2 < k->len || (size_t) k->len + 2 < n) {
            continue;
        }

        d = es_distance(t->buf + k->start, k->len, table->word, n);

        if (d > 0 && d <= (n >= 7 ? 2 : 1)) {
            return 1;
        }
    }

    return 0;
}


/* Dates */


/* A refusal, with the date understood when there is one to name. */
typedef struct {
    cerebro_es_rc_t        rc;
    int                    dated;
    cerebro_date_t         date;
} es_error_t;


typedef struct {
    const cerebro_date_t  *today;
    int                    past_days;       /* see es_resolve_dmy() */

    int                    have;            /* a date found */
    cerebro_date_t         date;
    unsigned               flags;
    int                    conflict;        /* two different dates */

    int                    weekday_said;
    int                    weekday_conflict;

    es_error_t             hard;            /* an impossible date said */
    es_error_t             soft;            /* reported if nothing else */
} es_dates_t;


static void
es_date_found(es_dates_t *s, const cerebro_date_t *d, unsigned flags)
{
    if (s->have && cerebro_date_cmp(&s->date, d) != 0) {
        s->conflict = 1;
        return;
    }

    if (!s->have) {
        s->date = *d;
        s->flags = flags;
        s->have = 1;
    }
}


static void
es_date_error(es_error_t *slot, cerebro_es_rc_t rc)
{
    if (slot->rc == CEREBRO_ES_OK) {
        slot->rc = rc;
    }
}


/* A date understood and refused: the caller names it to the guest. */
static void
es_date_refused(es_error_t *slot, cerebro_es_rc_t rc, const cerebro_date_t *d)
{
    if (slot->rc == CEREBRO_ES_OK) {
        slot->rc = rc;
        slot->dated = 1;
        slot->date = *d;
    }
}


static int
es_too_far(const es_dates_t *s, const cerebro_date_t *d)
{
    return d->year > s->today->year + CEREBRO_ES_MAX_YEARS_AHEAD;
}


static int
es_max_days(int month)
{
    /* February can have 29: a date above this never exists */
    return month == 2 ? 29 : cerebro_days_in_month(2001, month);
}


/*
 * Day, month and maybe year as said. year_digits is 0 without a year.
 * Without a year, a date that passed at most s->past_days days ago is
 * taken as said by mistake (or meant in the past) and refused; an older
 * one is next year's.
 */
static void
es_resolve_dmy(es_dates_t *s, int day, int month, int year, int year_digits)
{
    cerebro_date_t  d;
    unsigned        flags;
    int64_t         ago;

    if (month < 1 || month > 12) {
        es_date_error(&s->hard, CEREBRO_ES_BAD_MONTH);
        return;
    }

    if (day < 1 || day > 31) {
        es_date_error(&s->hard, CEREBRO_ES_BAD_DAY);
        return;
    }

    if (day > es_max_days(month)) {
        es_date_error(&s->hard, CEREBRO_ES_NONEXISTENT_DATE);
        return;
    }

    flags = 0;
    d.month = month;
    d.day = day;

    if (year_digits) {
        d.year = year_digits <= 2 ? 2000 + year : year;

        /* checked first, so that a date refused is always a real one */
        if (day > cerebro_days_in_month(d.year, month)) {
            es_date_error(&s->hard, CEREBRO_ES_NONEXISTENT_DATE);
            return;
        }

        if (es_too_far(s, &d)) {
            es_date_refused(&s->hard, CEREBRO_ES_OUT_OF_RANGE, &d);
            return;
        }

        if (cerebro_date_cmp(&d, s->today) < 0) {
            es_date_refused(&s->hard, CEREBRO_ES_PAST, &d);
            return;
        }

    } else {
        d.year = s->today->year;

        if (month < s->today->month
            || (month == s->today->month && day < s->today->day))
        {
            if (day <= cerebro_days_in_month(d.year, month)) {
                ago = cerebro_days_from_civil(s->today->year,
                                              s->today->month,
                                              s->today->day)
                      - cerebro_days_from_civil(d.year, month, day);

                if (ago <= s->past_days) {
                    es_date_refused(&s->hard, CEREBRO_ES_PAST, &d);
                    return;
                }
            }

            d.year++;
            flags |= CEREBRO_ES_DATE_NEXT_YEAR;
        }

        if (day > cerebro_days_in_month(d.year, month)) {
            es_date_error(&s->hard, CEREBRO_ES_NONEXISTENT_DATE);
            return;
        }
    }

    es_date_found(s, &d, flags);
}


/* "el día 3": the next 3rd, today included. */
static void
es_resolve_day_of_month(es_dates_t *s, int day)
{
    cerebro_date_t  d;
    int             i;

    if (day < 1 || day > 31) {
        es_date_error(&s->hard, CEREBRO_ES_BAD_DAY);
        return;
    }

    d.year = s->today->year;
    d.month = s->today->month;
    d.day = day;

    for (i = 0; i < 13; i++) {
        if (day <= cerebro_days_in_month(d.year, d.month)
            && (i > 0 || day >= s->today->day))
        {
            es_date_found(s, &d, 0);
            return;
        }

        if (++d.month > 12) {
            d.month = 1;
            d.year++;
        }
    }
}


/*
 * A date counted from today. "ayer" and "hace tres días" are only soft:
 * "ayer no, mañana" is tomorrow.
 */
static void
es_relative_date(es_dates_t *s, const cerebro_date_t *d)
{
    if (cerebro_date_cmp(d, s->today) < 0) {
        es_date_refused(&s->soft, CEREBRO_ES_PAST, d);
        return;
    }

    if (es_too_far(s, d)) {
        es_date_refused(&s->hard, CEREBRO_ES_OUT_OF_RANGE, d);
        return;
    }

    es_date_found(s, d, CEREBRO_ES_DATE_RELATIVE);
}


static void
es_relative(es_dates_t *s, int days)
{
    cerebro_date_t  d;

    d = cerebro_date_add_days(s->today, days);
    es_relative_date(s, &d);
}


/*
 * Spans: "dentro de tres días", "en 2 semanas", "de aquí a un mes",
 * "hace una semana".
 */

#define ES_SPAN_DAYS    1
#define ES_SPAN_WEEKS   2
#define ES_SPAN_MONTHS  3

#define ES_SPAN_MAX     9999

/* "3 días", "una semana", "treinta y un días". Returns the tokens used. */
static int
es_span_count(const es_text_t *t, int i, int *unit, int *count)
{
    const es_tok_t  *k;
    int              n, v;

    k = es_at(t, i);

    if (k == NULL || es_is(t, i, "primero")) {
        return 0;
    }

    if (k->type == ES_NUM) {
        if (k->digits > 4) {
            return 0;
        }

        v = k->value;
        n = 1;

    } else {
        n = es_number(t, i, &v);
    }

    if (n == 0 || v < 1 || v > ES_SPAN_MAX) {
        return 0;
    }

    if (es_is(t, i + n, "dia") || es_is(t, i + n, "dias")) {
        *unit = ES_SPAN_DAYS;

    } else if (es_is(t, i + n, "semana") || es_is(t, i + n, "semanas")) {
        *unit = ES_SPAN_WEEKS;

    } else if (es_is(t, i + n, "mes") || es_is(t, i + n, "meses")) {
        *unit = ES_SPAN_MONTHS;

    } else {
        return 0;
    }

    *count = v;

    return n + 1;
}


/* A span at i; *count < 0 for "hace". Returns the tokens used, 0 if none. */
static int
es_span(const es_text_t *t, int i, int *unit, int *count)
{
    const es_tok_t  *k;
    int              head, n;

    k = es_at(t, i);

    /* most words start no span: "dentro", "de", "en", "hace" */
    if (k == NULL || k->type != ES_WORD
        || (t->buf[k->start] != 'd' && t->buf[k->start] != 'e'
            && t->buf[k->start] != 'h'))
    {
        return 0;
    }

    if (es_is(t, i, "dentro") && es_is(t, i + 1, "de")) {
        head = 2;

    } else if (es_is(t, i, "de") && es_is(t, i + 1, "aqui")
               && es_is(t, i + 2, "a"))
    {
        head = 3;

    } else if (es_is(t, i, "en") || es_is(t, i, "hace")) {
        head = 1;

    } else {
        return 0;
    }

    n = es_span_count(t, i + head, unit, count);

    if (n == 0) {
        return 0;
    }

    if (head == 1 && es_is(t, i, "hace")) {
        *count = -*count;
    }

    return head + n;
}


/*
 * The same day of the month count months on; a shorter month gives its
 * last day, so that "dentro de un mes" on 31 January is the end of
 * February (the read-back shows it) rather than a refusal.
 */
static void
es_months_later(es_dates_t *s, int count)
{
    cerebro_date_t  d;
    int             months, dim;

    months = s->today->year * 12 + (s->today->month - 1) + count;

    d.year = months / 12;
    d.month = months % 12 + 1;
    dim = cerebro_days_in_month(d.year, d.month);
    d.day = s->today->day < dim ? s->today->day : dim;

    es_relative_date(s, &d);
}


static void
es_resolve_span(es_dates_t *s, int unit, int count)
{
    switch (unit) {
    case ES_SPAN_WEEKS:
        es_relative(s, 7 * count);
        break;
    case ES_SPAN_MONTHS:
        es_months_later(s, count);
        break;
    default:
        es_relative(s, count);
        break;
    }
}


/* "dentro de dos semanas", for a weekday said with it; 0 if none. */
static int
es_weeks_ahead_said(const es_text_t *t)
{
    int  i, unit, count;

    for (i = 0; i < t->ntok; i++) {
        if (es_span(t, i, &unit, &count) > 0 && unit == ES_SPAN_WEEKS
            && count > 0)
        {
            return count;
        }
    }

    return 0;
}


static int
es_any_weekday(const es_text_t *t)
{
    int  i;

    for (i = 0; i < t->ntok; i++) {
        if (es_lookup(t, i, es_weekdays) >= 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * A day number in words, "veintidós", "treinta y uno", "primero": not
 * "un", "una" nor "veintiuna", which never name a day after "el", and
 * nothing above 31 ("el cuarenta aniversario"). Returns the tokens used.
 */
static int
es_day_word(const es_text_t *t, int i, int *day)
{
    const es_tok_t  *k;
    int              n;

    k = es_at(t, i);

    if (k == NULL || k->type != ES_WORD || es_is(t, i, "un")
        || es_is(t, i, "una") || es_is(t, i, "veintiun")
        || es_is(t, i, "veintiuna"))
    {
        return 0;
    }

    n = es_number(t, i, day);

    return (n > 0 && *day >= 1 && *day <= 31) ? n : 0;
}


/* Named days */


/*
 * The days of the Spanish year a restaurant is booked for, by name, with
 * Logroño's own fiestas. month 0 is a day of Easter: day is then the
 * days after Easter Sunday.
 */
typedef struct {
    const char  *words;             /* folded tokens, one space apart */
    int          month;
    int          day;
} es_named_t;


static const es_named_t  es_named_days[] = {
    { "nochebuena", 12, 24 },
    { "noche buena", 12, 24 },
    { "navidad", 12, 25 },
    { "nochevieja", 12, 31 },
    { "noche vieja", 12, 31 },
    { "fin de ano", 12, 31 },
    { "ano nuevo", 1, 1 },
    { "noche de reyes", 1, 5 },
    { "vispera de reyes", 1, 5 },
    { "reyes", 1, 6 },
    { "san valentin", 2, 14 },
    { "dia de los enamorados", 2, 14 },
    { "san bernabe", 6, 11 },
    /* the verbena is the night before the saint's day */
    { "noche de san juan", 6, 23 },
    { "vispera de san juan", 6, 23 },
    { "san juan", 6, 24 },
    { "san mateo", 9, 21 },
    { "hispanidad", 10, 12 },
    { "fiesta nacional", 10, 12 },
    /* "Pilar" and "Inmaculada" alone are names of guests */
    { "el pilar", 10, 12 },
    { "del pilar", 10, 12 },
    { "todos los santos", 11, 1 },
    { "constitucion", 12, 6 },
    { "la inmaculada", 12, 8 },
    { "inmaculada concepcion", 12, 8 },
    { "domingo de ramos", 0, -7 },
    { "jueves santo", 0, -3 },
    { "viernes santo", 0, -2 },
    { "sabado santo", 0, -1 },
    { "domingo de resurreccion", 0, 0 },
    { "domingo de pascua", 0, 0 },
    { "pascua de resurreccion", 0, 0 },
    { "lunes de pascua", 0, 1 },
    { NULL, 0, 0 }
};


/*
 * The tokens at i spell words. Returns the tokens used, 0 if not. Byte by
 * byte: it runs at every token of the phrase.
 */
static int
es_phrase(const es_text_t *t, int i, const char *words)
{
    const es_tok_t  *k;
    const char      *p, *w;
    int              used;
    size_t           j;

    p = words;

    for (used = 0; /* void */; used++) {
        k = es_at(t, i + used);

        if (k == NULL || k->type != ES_WORD) {
            return 0;
        }

        w = t->buf + k->start;

        for (j = 0; j < k->len; j++) {
            if (p[j] != w[j]) {
                return 0;
            }
        }

        p += j;

        if (*p == '\0') {
            return used + 1;
        }

        if (*p++ != ' ') {
            return 0;
        }
    }
}


/*
 * After these, a named day is a wish, a guest or a street: "¡feliz
 * Navidad!", "la señora Reyes", "la calle San Juan" (Logroño's street of
 * tapas bars).
 */
static const char  *es_not_date_words[] = {
    "feliz", "felices", "prospero", "apellido", "apellidos", "senor",
    "senora", "sr", "sra", "familia", "calle", "c", "plaza", "avenida",
    "paseo", "iglesia", "parroquia", "colegio", NULL
};


/* Whether the named day at i is a wish, a name or a street instead. */
static int
es_not_a_date(const es_text_t *t, int i)
{
    int  w;

    for (w = 0; es_not_date_words[w]; w++) {
        if (es_is(t, i - 1, es_not_date_words[w])) {
            return 1;
        }
    }

    /* "a nombre de Reyes" */
    return es_is(t, i - 1, "de") && es_is(t, i - 2, "nombre");
}


/* A named day at i. Returns the tokens used, 0 if none. */
static int
es_named_at(const es_text_t *t, int i, const es_named_t **named)
{
    const es_named_t  *nd;
    const es_tok_t    *k;
    int                n;

    k = es_at(t, i);

    if (k == NULL || k->type != ES_WORD) {
        return 0;
    }

    for (nd = es_named_days; nd->words; nd++) {
        if (nd->words[0] != t->buf[k->start]) {
            continue;
        }

        n = es_phrase(t, i, nd->words);

        if (n > 0) {
            if (es_not_a_date(t, i)) {
                return 0;
            }

            *named = nd;
            return n;
        }
    }

    return 0;
}


void
cerebro_es_easter(int year, cerebro_date_t *out)
{
    int  a, b, c, d, e, f, g, h, i, k, l, m;

    /* the anonymous Gregorian computus (Meeus, Jones, Butcher) */
    a = year % 19;
    b = year / 100;
    c = year % 100;
    d = b / 4;
    e = b % 4;
    f = (b + 8) / 25;
    g = (b - f + 1) / 3;
    h = (19 * a + b - d - g + 15) % 30;
    i = c / 4;
    k = c % 4;
    l = (32 + 2 * e + 2 * i - h - k) % 7;
    m = (a + 11 * h + 22 * l) / 451;

    out->year = year;
    out->month = (h + l - 7 * m + 114) / 31;
    out->day = (h + l - 7 * m + 114) % 31 + 1;
}


static cerebro_date_t
es_named_in(const es_named_t *nd, int year)
{
    cerebro_date_t  d;

    if (nd->month == 0) {
        cerebro_es_easter(year, &d);
        return cerebro_date_add_days(&d, nd->day);
    }

    d.year = year;
    d.month = nd->month;
    d.day = nd->day;

    return d;
}


/*
 * A year said after a named day: "de 2027", "de este año" (then a past
 * day is refused), "del año que viene", "del próximo año". Returns the
 * tokens used, 0 if none.
 */
static int
es_year_said(const es_text_t *t, int j, int this_year, int *year, int *next)
{
    *next = 0;

    if ((es_is(t, j, "de") || es_is(t, j, "del"))
        && es_is_num(t, j + 1, 4) && t->tok[j + 1].digits == 4)
    {
        *year = t->tok[j + 1].value;
        return 2;
    }

    if (es_is(t, j, "de") && es_is(t, j + 1, "este") && es_is(t, j + 2, "ano"))
    {
        *year = this_year;
        return 3;
    }

    if (!es_is(t, j, "del")) {
        return 0;
    }

    *year = this_year + 1;
    *next = 1;

    if (es_is(t, j + 1, "ano") && es_is(t, j + 2, "que")
        && es_is(t, j + 3, "viene"))
    {
        return 4;
    }

    if ((es_is(t, j + 1, "proximo") && es_is(t, j + 2, "ano"))
        || (es_is(t, j + 1, "ano")
            && (es_is(t, j + 2, "proximo") || es_is(t, j + 2, "siguiente"))))
    {
        return 3;
    }

    *next = 0;

    return 0;
}


/* A named day: its next occurrence, today included, or in the year said. */
static void
es_resolve_named(es_dates_t *s, const es_named_t *nd, int year, int said,
    int next)
{
    cerebro_date_t  d;

    if (!said) {
        d = es_named_in(nd, s->today->year);

        if (cerebro_date_cmp(&d, s->today) >= 0) {
            es_date_found(s, &d, CEREBRO_ES_DATE_RELATIVE);
            return;
        }

        d = es_named_in(nd, s->today->year + 1);
        es_date_found(s, &d, CEREBRO_ES_DATE_RELATIVE
                             | CEREBRO_ES_DATE_NEXT_YEAR);
        return;
    }

    d = es_named_in(nd, year);

    if (es_too_far(s, &d)) {
        es_date_refused(&s->hard, CEREBRO_ES_OUT_OF_RANGE, &d);
        return;
    }

    if (cerebro_date_cmp(&d, s->today) < 0) {
        es_date_refused(&s->hard, CEREBRO_ES_PAST, &d);
        return;
    }

    es_date_found(s, &d, next ? CEREBRO_ES_DATE_NEXT_YEAR : 0);
}


/* Whether the number at i is a day rather than a count or an hour. */
static int
es_day_follows_ok(const es_text_t *t, int i)
{
    const es_tok_t  *k;

    k = es_at(t, i + 1);

    if (k == NULL) {
        return 1;
    }

    if (k->type == ES_PUNCT) {
        /* "9:30", "9.30" are times; a full stop ends a sentence */
        return t->buf[k->start] == '.' ? !es_is_num(t, i + 2, 2)
                                       : t->buf[k->start] != ':';
    }

    if (es_is_count_word(t, i + 1)) {
        return 0;
    }

    if (es_is(t, i + 1, "y") || es_is(t, i + 1, "menos")
        || es_is(t, i + 1, "h") || es_is(t, i + 1, "hs")
        || es_is(t, i + 1, "hrs") || es_is(t, i + 1, "horas")
        || es_is(t, i + 1, "en"))
    {
        return 0;
    }

    /* "9 de la noche" is an hour */
    if (es_is(t, i + 1, "de") && es_is(t, i + 2, "la")) {
        return 0;
    }

    return 1;
}


static int
es_is_sep(const es_text_t *t, int i, char c)
{
    const es_tok_t  *k;

    k = es_at(t, i);

    return k != NULL && k->type == ES_PUNCT && t->buf[k->start] == c;
}


/*
 * Explicit dates at i: ISO, D/M[/Y], "D [de] MES [de AÑO]". Returns the
 * tokens used, 0 if none.
 */
static int
es_explicit_date(const es_text_t *t, int i, es_dates_t *s)
{
    const es_tok_t  *k;
    char             sep;
    int              day, month, n, j, yd;

    k = es_at(t, i);

    if (k == NULL) {
        return 0;
    }

    /* 2026-11-28, 2026/11/28 */
    if (k->type == ES_NUM && k->digits == 4 && i + 4 < t->ntok
        && (es_is_sep(t, i + 1, '-') || es_is_sep(t, i + 1, '/'))
        && es_is_num(t, i + 2, 2)
        && es_is_sep(t, i + 3, t->buf[t->tok[i + 1].start])
        && es_is_num(t, i + 4, 2))
    {
        es_resolve_dmy(s, es_num(t, i + 4), es_num(t, i + 2), k->value, 4);
        return 5;
    }

    /* 28/11, 28-11, 28/11/2026, 28.11.2026, 28/11/26 */
    if (k->type == ES_NUM && k->digits <= 2 && i + 2 < t->ntok
        && es_is_num(t, i + 2, 2))
    {
        sep = t->buf[t->tok[i + 1].start];

        if (t->tok[i + 1].type == ES_PUNCT && (sep == '/' || sep == '-'
                                                || sep == '.'))
        {
            if (es_is_sep(t, i + 3, sep) && es_at(t, i + 4) != NULL
                && t->tok[i + 4].type == ES_NUM
                && (t->tok[i + 4].digits == 2 || t->tok[i + 4].digits == 4))
            {
                es_resolve_dmy(s, k->value, es_num(t, i + 2),
                               t->tok[i + 4].value, t->tok[i + 4].digits);
                return 5;
            }

            /* "21.30" is a time, not the 21st of month 30 */
            if (sep != '.') {
                es_resolve_dmy(s, k->value, es_num(t, i + 2), 0, 0);
                return 3;
            }
        }
    }

    /* 28 de noviembre [de 2027], veintiocho de noviembre, 1 noviembre */
    n = es_number(t, i, &day);

    if (n == 0) {
        return 0;
    }

    j = i + n;

    if (es_is(t, j, "de")) {
        j++;
    }

    month = es_lookup(t, j, es_months);

    if (month < 0) {
        if (es_is(t, i + n, "de") && es_near(t, j, es_months)) {
            es_date_error(&s->soft, CEREBRO_ES_BAD_MONTH);
        }

        return 0;
    }

    j++;

    if ((es_is(t, j, "de") || es_is(t, j, "del"))
        && es_at(t, j + 1) != NULL && t->tok[j + 1].type == ES_NUM
        && (t->tok[j + 1].digits == 4 || t->tok[j + 1].digits == 2))
    {
        yd = t->tok[j + 1].digits;
        es_resolve_dmy(s, day, month, t->tok[j + 1].value, yd);
        return j + 2 - i;
    }

    if (es_is_num(t, j, 4) && t->tok[j].digits == 4) {
        es_resolve_dmy(s, day, month, t->tok[j].value, 4);
        return j + 1 - i;
    }

    es_resolve_dmy(s, day, month, 0, 0);
    return j - i;
}


/* Whether an explicit date starts at i (then it is not "el día N"). */
static int
es_starts_explicit(const es_text_t *t, int i, const cerebro_date_t *today)
{
    es_dates_t  scratch;

    memset(&scratch, 0, sizeof(scratch));
    scratch.today = today;

    return es_explicit_date(t, i, &scratch) > 0;
}


static int
es_next_week_said(const es_text_t *t)
{
    int  i;

    for (i = 0; i < t->ntok; i++) {
        if (es_is(t, i, "semana")
            && ((es_is(t, i + 1, "que") && es_is(t, i + 2, "viene"))
                || es_is(t, i - 1, "proxima") || es_is(t, i + 1, "proxima")
                || es_is(t, i + 1, "siguiente")))
        {
            return 1;
        }
    }

    return 0;
}


static int
es_this_week_said(const es_text_t *t)
{
    int  i;

    for (i = 0; i < t->ntok; i++) {
        if (es_is(t, i, "semana") && es_is(t, i - 1, "esta")) {
            return 1;
        }
    }

    return 0;
}


/*
 * week: N > 0 "la semana que viene" (1) or "dentro de N semanas", -1
 * "esta semana", 0 neither.
 */
static void
es_weekday(const es_text_t *t, int i, int wd, int week, es_dates_t *s)
{
    cerebro_date_t  d, monday;
    int             today_wd, ahead, next;
    unsigned        flags;

    if (s->weekday_said >= 0 && s->weekday_said != wd) {
        s->weekday_conflict = 1;
    }

    s->weekday_said = wd;

    today_wd = cerebro_weekday(s->today);
    flags = CEREBRO_ES_DATE_RELATIVE;

    /* Monday-based weeks: Monday 0 ... Sunday 6 */
    monday = cerebro_date_add_days(s->today, -((today_wd + 6) % 7));

    if (week > 0) {
        d = cerebro_date_add_days(&monday, 7 * week + (wd + 6) % 7);

        if (es_too_far(s, &d)) {
            es_date_refused(&s->soft, CEREBRO_ES_OUT_OF_RANGE, &d);
            return;
        }

    } else if (week < 0) {
        d = cerebro_date_add_days(&monday, (wd + 6) % 7);

        if (cerebro_date_cmp(&d, s->today) < 0) {
            es_date_refused(&s->soft, CEREBRO_ES_PAST, &d);
            return;
        }

    } else {
        next = es_is(t, i - 1, "proximo") || es_is(t, i - 1, "proxima")
               || es_is(t, i + 1, "proximo")
               || es_is(t, i - 1, "siguiente")
               || (es_is(t, i + 1, "que") && es_is(t, i + 2, "viene"));

        ahead = (wd - today_wd + 7) % 7;

        if (ahead == 0) {
            if (next) {
                ahead = 7;

            } else {
                flags |= CEREBRO_ES_DATE_WEEKDAY_TODAY;
            }
        }

        d = cerebro_date_add_days(s->today, ahead);
    }

    /* kept apart: an explicit date said with it wins, and is checked */
    if (!s->have) {
        s->date = d;
        s->flags = flags;
    }
}


/*
 * "2026-11-28" and "21:30" exactly, as assistants send them: these skip the
 * tokenizer and the word lists (most of a tool call's parsing), and end as
 * the full parsers would (tests/unit/test_spanish.c compares them).
 */

static int
es_digits(const char *p, size_t n)
{
    int  v;

    v = 0;

    while (n--) {
        if (*p < '0' || *p > '9') {
            return -1;
        }

        v = v * 10 + (*p++ - '0');
    }

    return v;
}


static int
es_iso_date(const char *in, size_t len, int *year, int *month, int *day)
{
    if (len != 10 || in[4] != '-' || in[7] != '-') {
        return 0;
    }

    *year = es_digits(in, 4);
    *month = es_digits(in + 5, 2);
    *day = es_digits(in + 8, 2);

    return *year >= 0 && *month >= 0 && *day >= 0;
}


/* 12:00 to 23:59, the hours that have one reading */
static int
es_iso_time(const char *in, size_t len, int *minutes)
{
    int  h, m;

    if (len != 5 || in[2] != ':') {
        return 0;
    }

    h = es_digits(in, 2);
    m = es_digits(in + 3, 2);

    if (h < 12 || h > 23 || m < 0 || m > 59) {
        return 0;
    }

    *minutes = h * 60 + m;

    return 1;
}


/* A refusal into out: the date understood, when there is one. */
static cerebro_es_rc_t
es_refuse(const es_error_t *e, int weekday_said, cerebro_es_date_t *out)
{
    if (e->dated) {
        out->date = e->date;
        out->weekday = cerebro_weekday(&e->date);
        out->weekday_said = weekday_said;
    }

    return e->rc;
}


cerebro_es_rc_t
cerebro_es_parse_date(const char *in, size_t len, const cerebro_date_t *today,
    cerebro_es_date_t *out)
{
    return cerebro_es_parse_date_window(in, len, today, 0, out);
}


cerebro_es_rc_t
cerebro_es_parse_date_window(const char *in, size_t len,
    const cerebro_date_t *today, int past_days, cerebro_es_date_t *out)
{
    es_text_t          t;
    es_dates_t         s, w, h;
    cerebro_es_rc_t    rc;
    const es_named_t  *nd;
    int                i, n, m, wd, day, week, weekday_found, said_wd;
    int                unknown_weekday, near_checks, month, year, unit;
    int                count, weeks_ahead, next;

    if (out == NULL || today == NULL || !cerebro_date_valid(today)
        || (in == NULL && len > 0))
    {
        return CEREBRO_ES_INVALID_ARG;
    }

    memset(out, 0, sizeof(*out));
    out->weekday_said = -1;

    if (len > CEREBRO_ES_MAX_INPUT) {
        return CEREBRO_ES_TOO_LONG;
    }

    memset(&s, 0, sizeof(s));
    s.today = today;
    s.past_days = past_days > 0 ? past_days : 0;
    s.weekday_said = -1;

    /*
     * Weekdays apart, so that their date never conflicts with others;
     * named days too, so that "la cena de Navidad de la empresa, el 18 de
     * diciembre" is the 18th.
     */
    w = s;
    h = s;
    weekday_found = 0;
    unknown_weekday = 0;
    near_checks = 0;
    weeks_ahead = 0;

    if (es_iso_date(in, len, &year, &month, &day)) {
        /* what es_explicit_date() makes of these five tokens */
        es_resolve_dmy(&s, day, month, year, 4);
        goto resolved;
    }

    rc = es_tokenize(in, len, &t);

    if (rc != CEREBRO_ES_OK) {
        return rc;
    }

    if (t.blank) {
        return CEREBRO_ES_EMPTY;
    }

    /* said once for the whole phrase, looked up once */
    if (es_any_weekday(&t)) {
        weeks_ahead = es_weeks_ahead_said(&t);
    }

    week = weeks_ahead ? weeks_ahead
                       : es_next_week_said(&t) ? 1
                       : es_this_week_said(&t) ? -1 : 0;

    for (i = 0; i < t.ntok; i += n) {
        n = es_explicit_date(&t, i, &s);

        if (n > 0) {
            continue;
        }

        n = es_named_at(&t, i, &nd);

        if (n > 0) {
            m = es_year_said(&t, i + n, today->year, &year, &next);
            es_resolve_named(&h, nd, year, m > 0, next);
            n += m;
            continue;
        }

        n = es_span(&t, i, &unit, &count);

        if (n > 0) {
            /* with a weekday, the weeks pick its week (es_weekday) */
            if (!(weeks_ahead && unit == ES_SPAN_WEEKS && count > 0)) {
                es_resolve_span(&s, unit, count);
            }

            continue;
        }

        n = 1;

        if (es_is(&t, i, "hoy")) {
            es_relative(&s, 0);

        } else if (es_is(&t, i, "pasado") && es_is(&t, i + 1, "manana")) {
            es_relative(&s, 2);
            n = 2;

        } else if (es_is(&t, i, "manana") && !es_is(&t, i - 1, "la")
                   && !es_is(&t, i - 1, "esta"))
        {
            es_relative(&s, 1);

        } else if (es_is(&t, i, "esta")
                   && (es_is(&t, i + 1, "noche") || es_is(&t, i + 1, "tarde")
                       || es_is(&t, i + 1, "manana")))
        {
            es_relative(&s, 0);
            n = 2;

        } else if (es_is(&t, i, "ayer")) {
            es_relative(&s, -1);

        } else if (es_is(&t, i, "anteayer")
                   || (es_is(&t, i, "antes") && es_is(&t, i + 1, "de")
                       && es_is(&t, i + 2, "ayer")))
        {
            es_relative(&s, -2);
            n = es_is(&t, i, "antes") ? 3 : 1;

        } else if (es_is(&t, i, "dia")
                   && (m = es_number(&t, i + 1, &day)) > 0
                   && !es_starts_explicit(&t, i + 1, today))
        {
            /* "el día 3" (and "el día 3 de diciembre" is explicit) */
            n = 1 + m;
            es_resolve_day_of_month(&s, day);

        } else if ((wd = es_lookup(&t, i, es_weekdays)) >= 0) {
            weekday_found = 1;
            es_weekday(&t, i, wd, week, &w);

            if (es_is_num(&t, i + 1, 2) && es_day_follows_ok(&t, i + 1)
                && !es_starts_explicit(&t, i + 1, today))
            {
                /* "el viernes 28": the next 28th, checked below */
                es_resolve_day_of_month(&s, es_num(&t, i + 1));
                n = 2;

            } else if ((m = es_day_word(&t, i + 1, &day)) > 0
                       && es_day_follows_ok(&t, i + m)
                       && !es_starts_explicit(&t, i + 1, today))
            {
                /* "el viernes veintiocho" */
                es_resolve_day_of_month(&s, day);
                n = 1 + m;
            }

        } else if (es_is(&t, i, "el") && es_is_num(&t, i + 1, 2)
                   && es_day_follows_ok(&t, i + 1)
                   && !es_starts_explicit(&t, i + 1, today))
        {
            /* "para el 28" */
            es_resolve_day_of_month(&s, es_num(&t, i + 1));
            n = 2;

        } else if (es_is(&t, i, "el")
                   && (m = es_day_word(&t, i + 1, &day)) > 0
                   && es_day_follows_ok(&t, i + m)
                   && !es_starts_explicit(&t, i + 1, today))
        {
            /* "para el veintidós", "el treinta y uno", "el primero" */
            es_resolve_day_of_month(&s, day);
            n = 1 + m;

        } else if (unknown_weekday || near_checks >= ES_MAX_NEAR_CHECKS) {
            /*
             * One misspelt weekday is enough to say so, and the edit
             * distance is not worth computing for every word of a long
             * message.
             */

        } else if ((near_checks++, es_near(&t, i, es_weekdays))
                   || ((es_is(&t, i - 1, "proximo")
                        || (es_is(&t, i + 1, "que")
                            && es_is(&t, i + 2, "viene")))
                       && es_at(&t, i)->type == ES_WORD
                       && !es_is(&t, i, "semana") && !es_is(&t, i, "mes")
                       && !es_is(&t, i, "ano") && !es_is(&t, i, "dia")
                       && !es_is(&t, i, "finde") && !es_is(&t, i, "fin")
                       && es_lookup(&t, i, es_months) < 0))
        {
            unknown_weekday = 1;
        }
    }

resolved:

    said_wd = weekday_found ? w.weekday_said : -1;

    if (s.hard.rc != CEREBRO_ES_OK) {
        return es_refuse(&s.hard, said_wd, out);
    }

    if (s.conflict || w.weekday_conflict) {
        return CEREBRO_ES_AMBIGUOUS;
    }

    /* a named day said alone */
    if (!s.have) {
        if (h.hard.rc != CEREBRO_ES_OK) {
            return es_refuse(&h.hard, said_wd, out);
        }

        if (h.conflict) {
            return CEREBRO_ES_AMBIGUOUS;
        }

        if (h.have) {
            s.have = 1;
            s.date = h.date;
            s.flags = h.flags;
        }
    }

    if (!s.have && weekday_found) {
        if (w.soft.rc != CEREBRO_ES_OK) {
            return es_refuse(&w.soft, said_wd, out);
        }

        s.have = 1;
        s.date = w.date;
        s.flags = w.flags;
    }

    if (!s.have) {
        if (s.soft.rc != CEREBRO_ES_OK) {
            return es_refuse(&s.soft, said_wd, out);
        }

        return unknown_weekday ? CEREBRO_ES_UNKNOWN_WEEKDAY
                               : CEREBRO_ES_NOT_UNDERSTOOD;
    }

    out->date = s.date;
    out->weekday = cerebro_weekday(&s.date);
    out->weekday_said = said_wd;
    out->flags = s.flags;

    if (weekday_found && out->weekday != w.weekday_said) {
        return CEREBRO_ES_WEEKDAY_MISMATCH;
    }

    return CEREBRO_ES_OK;
}


/* Times */


typedef struct {
    int              have;
    int              minutes;
    unsigned         flags;
    int              conflict;
    int              bad;               /* an impossible time was said */
    es_period_t      global;            /* "por la noche" anywhere */
} es_times_t;


/*
 * A period at i: "de la noche", "por la tarde", "del mediodía", "pm".
 * Returns the tokens used, 0 if none.
 */
static int
es_period(const es_text_t *t, int i, es_period_t *p)
{
    int  j;

    j = i;

    if (es_is(t, j, "de") || es_is(t, j, "por") || es_is(t, j, "a")
        || es_is(t, j, "en"))
    {
        j++;
    }

    if (es_is(t, j, "la") || (j == i && es_is(t, j, "esta"))) {
        j++;

        if (es_is(t, j, "manana")) {
            *p = ES_PERIOD_MANANA;

        } else if (es_is(t, j, "madrugada")) {
            *p = ES_PERIOD_MADRUGADA;

        } else if (es_is(t, j, "tarde")) {
            *p = ES_PERIOD_TARDE;

        } else if (es_is(t, j, "noche")) {
            *p = ES_PERIOD_NOCHE;

        } else {
            return 0;
        }

        return j + 1 - i;
    }

    if (es_is(t, i, "del") && es_is(t, i + 1, "mediodia")) {
        *p = ES_PERIOD_MEDIODIA;
        return 2;
    }

    if (es_is(t, i, "de") && es_is(t, i + 1, "mediodia")) {
        *p = ES_PERIOD_MEDIODIA;
        return 2;
    }

    if (es_is(t, i, "am") || es_is(t, i, "pm")) {
        *p = es_is(t, i, "am") ? ES_PERIOD_AM : ES_PERIOD_PM;
        return 1;
    }

    /* "a.m.", "p.m." */
    if ((es_is(t, i, "a") || es_is(t, i, "p")) && es_is_sep(t, i + 1, '.')
        && es_is(t, i + 2, "m"))
    {
        *p = es_is(t, i, "a") ? ES_PERIOD_AM : ES_PERIOD_PM;
        return es_is_sep(t, i + 3, '.') ? 4 : 3;
    }

    return 0;
}


/*
 * Hour h (as said, 0..24) plus offset minutes under a period into
 * minutes after midnight; -1 when they contradict each other.
 */
static int
es_apply_period(int h, int offset, es_period_t p)
{
    if (h > 12 && p != ES_PERIOD_NONE) {
        /* "21 de la noche" is fine, "15 de la mañana" is not */
        if (p == ES_PERIOD_MANANA || p == ES_PERIOD_MADRUGADA
            || p == ES_PERIOD_AM)
        {
            return -1;
        }

        p = ES_PERIOD_NONE;
    }

    switch (p) {
    case ES_PERIOD_NONE:
    case ES_PERIOD_MANANA:
        break;
    case ES_PERIOD_MADRUGADA:
    case ES_PERIOD_AM:
        h = h == 12 ? 0 : h;
        break;
    case ES_PERIOD_MEDIODIA:
        if (h >= 6 && h <= 11) {
            return -1;
        }

        h = h == 12 || h == 0 ? 12 : h + 12;
        break;
    case ES_PERIOD_TARDE:
    case ES_PERIOD_PM:
        h = h == 12 || h == 0 ? 12 : h + 12;
        break;
    case ES_PERIOD_NOCHE:
        h = h == 12 ? 0 : (h >= 1 && h <= 4) ? h : h == 0 ? 0 : h + 12;
        break;
    }

    return ((h * 60 + offset) % 1440 + 1440) % 1440;
}


static void
es_time_found(es_times_t *s, int minutes, unsigned flags)
{
    int  other;

    if (!s->have) {
        s->have = 1;
        s->minutes = minutes;
        s->flags = flags;
        return;
    }

    if (s->minutes == minutes) {
        /* said twice; once without doubt is enough */
        if (!(flags & CEREBRO_ES_TIME_AMBIGUOUS)) {
            s->flags = flags;
        }

        return;
    }

    /* "a las 9 ... a las 21:00": the ambiguous one agrees with the other */
    if (s->flags & CEREBRO_ES_TIME_AMBIGUOUS) {
        other = (s->minutes + 720) % 1440;

        if (other == minutes && !(flags & CEREBRO_ES_TIME_AMBIGUOUS)) {
            s->minutes = minutes;
            s->flags = flags;
            return;
        }
    }

    if (flags & CEREBRO_ES_TIME_AMBIGUOUS) {
        if ((minutes + 720) % 1440 == s->minutes) {
            return;
        }
    }

    s->conflict = 1;
}


/*
 * A clock at i: "21:30", "21.30", "21h", "9", "nueve y media", "nueve
 * menos cuarto de la noche". forced: after "las"/"la", where a bare hour
 * is a time. Returns the tokens used, 0 if no clock is there.
 */
static int
es_clock(const es_text_t *t, int i, int forced, es_times_t *s)
{
    const es_tok_t  *k;
    es_period_t      p;
    int              h, m, j, n, v, strong, zero, bad, minutes;
    unsigned         flags;

    k = es_at(t, i);

    if (k == NULL) {
        return 0;
    }

    strong = forced;
    zero = 0;
    m = 0;
    bad = 0;

    if (k->type == ES_NUM) {
        if (k->digits > 2) {
            return 0;
        }

        h = k->value;
        zero = k->lead_zero && k->digits == 2;
        j = i + 1;

        if ((es_is_sep(t, j, ':') || es_is_sep(t, j, '.'))
            && es_at(t, j + 1) != NULL && t->tok[j + 1].type == ES_NUM
            && t->tok[j + 1].digits == 2)
        {
            m = t->tok[j + 1].value;
            j += 2;
            strong = 1;

            if (es_is_sep(t, j, ':') && es_is_num(t, j + 1, 2)
                && t->tok[j + 1].digits == 2)
            {
                j += 2;     /* seconds */
            }

        } else if (es_is_sep(t, j, ':')) {
            /* "21:5" and the like */
            return 0;
        }

        if (es_is(t, j, "h") || es_is(t, j, "hs") || es_is(t, j, "hrs")
            || es_is(t, j, "horas") || es_is(t, j, "hora"))
        {
            strong = 1;
            j++;

            if (m == 0 && es_is_num(t, j, 2) && t->tok[j].digits == 2) {
                m = t->tok[j].value;     /* "21h30" */
                j++;
            }
        }

    } else {
        h = es_lookup(t, i, es_numbers);

        if (h < 0 || h > 24 || es_is(t, i, "primero")) {
            return 0;
        }

        j = i + 1;
    }

    if (es_is_count_word(t, i + 1)) {
        /* "las 4 personas" */
        return 0;
    }

    /* minutes in words: y media, y cuarto, y diez, menos cuarto ... */
    if (m == 0 && j == i + 1) {
        if (es_is(t, j, "y") && es_is(t, j + 1, "media")) {
            m = 30;
            j += 2;
            strong = 1;

        } else if (es_is(t, j, "y") && es_is(t, j + 1, "cuarto")) {
            m = 15;
            j += 2;
            strong = 1;

        } else if (es_is(t, j, "menos") && es_is(t, j + 1, "cuarto")) {
            m = -15;
            j += 2;
            strong = 1;

        } else if ((es_is(t, j, "y") || es_is(t, j, "menos"))
                   && (n = es_number(t, j + 1, &v)) > 0
                   && !es_is_count_word(t, j + 1 + n)
                   && ((es_at(t, j + 1)->type == ES_WORD && v >= 5)
                       || t->tok[j + 1].digits == 2
                       || es_is(t, j + 1 + n, "minutos")))
        {
            m = es_is(t, j, "y") ? v : -v;
            j += 1 + n;
            strong = 1;

            if (es_is(t, j, "minutos") || es_is(t, j, "min")) {
                j++;
            }

            if (v > 59 || (m < 0 && v > 30)) {
                bad = 1;
            }
        }
    }

    if (es_is(t, j, "en") && es_is(t, j + 1, "punto")) {
        j += 2;
        strong = 1;
    }

    p = ES_PERIOD_NONE;
    n = es_period(t, j, &p);

    if (n > 0) {
        j += n;
        strong = 1;
    }

    if (!strong) {
        return 0;
    }

    if (h > 24 || m > 59 || (h == 24 && m != 0) || bad) {
        s->bad = 1;
        return j - i;
    }

    flags = 0;

    if (p == ES_PERIOD_NONE && s->global != ES_PERIOD_NONE && !zero) {
        p = s->global;
    }

    if (p != ES_PERIOD_NONE) {
        flags |= CEREBRO_ES_TIME_PERIOD;

    } else if (h >= 1 && h <= 11 && !zero) {
        flags |= CEREBRO_ES_TIME_AMBIGUOUS;
    }

    minutes = es_apply_period(h == 24 ? 0 : h, m, p);

    if (minutes < 0) {
        s->bad = 1;
        return j - i;
    }

    es_time_found(s, minutes, flags);

    return j - i;
}


cerebro_es_rc_t
cerebro_es_parse_time(const char *in, size_t len, cerebro_es_time_t *out)
{
    es_text_t        t;
    es_times_t       s;
    es_period_t      p;
    cerebro_es_rc_t  rc;
    int              i, n, mediodia, medianoche, period_said;

    if (out == NULL || (in == NULL && len > 0)) {
        return CEREBRO_ES_INVALID_ARG;
    }

    memset(out, 0, sizeof(*out));

    if (len > CEREBRO_ES_MAX_INPUT) {
        return CEREBRO_ES_TOO_LONG;
    }

    if (es_iso_time(in, len, &out->minutes)) {
        return CEREBRO_ES_OK;
    }

    rc = es_tokenize(in, len, &t);

    if (rc != CEREBRO_ES_OK) {
        return rc;
    }

    if (t.blank) {
        return CEREBRO_ES_EMPTY;
    }

    memset(&s, 0, sizeof(s));
    period_said = 0;
    mediodia = 0;
    medianoche = 0;

    /* a period said anywhere ("esta noche ... a las 9") */
    for (i = 0; i < t.ntok; i++) {
        p = ES_PERIOD_NONE;

        if (es_period(&t, i, &p) > 0) {
            period_said = 1;

            if (s.global == ES_PERIOD_NONE) {
                s.global = p;
            }
        }
    }

    /* "a mediodía, a la una" is 13:00 */
    for (i = 0; s.global == ES_PERIOD_NONE && i < t.ntok; i++) {
        if (es_is(&t, i, "mediodia")) {
            s.global = ES_PERIOD_MEDIODIA;
        }
    }

    for (i = 0; i < t.ntok; i += n) {
        n = 0;

        if ((es_is(&t, i, "las") || es_is(&t, i, "la"))) {
            n = es_clock(&t, i + 1, 1, &s);
            n = n ? n + 1 : 0;
        }

        if (n == 0) {
            n = es_clock(&t, i, t.ntok == 1, &s);
        }

        if (n > 0) {
            continue;
        }

        n = 1;

        if (es_is(&t, i, "mediodia")
            || (es_is(&t, i, "medio") && es_is(&t, i + 1, "dia")))
        {
            mediodia = 1;

        } else if (es_is(&t, i, "medianoche")) {
            medianoche = 1;
        }
    }

    if (!s.have && !s.bad) {
        if (mediodia) {
            /* lunch "a mediodía" in Spain: about two o'clock */
            es_time_found(&s, 14 * 60, CEREBRO_ES_TIME_PERIOD);

        } else if (medianoche) {
            es_time_found(&s, 0, CEREBRO_ES_TIME_PERIOD);
        }
    }

    if (s.conflict) {
        return CEREBRO_ES_AMBIGUOUS;
    }

    if (!s.have) {
        if (s.bad) {
            return CEREBRO_ES_BAD_TIME;
        }

        return period_said ? CEREBRO_ES_VAGUE_TIME
                           : CEREBRO_ES_NOT_UNDERSTOOD;
    }

    out->minutes = s.minutes;
    out->flags = s.flags;

    return CEREBRO_ES_OK;
}


/* Reasons */


const char *
cerebro_es_reason(cerebro_es_rc_t rc, cerebro_es_kind_t kind)
{
    int  date;

    date = kind == CEREBRO_ES_KIND_DATE;

    switch (rc) {
    case CEREBRO_ES_OK:
        return date ? "la fecha está clara" : "la hora está clara";
    case CEREBRO_ES_EMPTY:
        return date ? "no me ha dicho para qué día"
                    : "no me ha dicho a qué hora";
    case CEREBRO_ES_NOT_UNDERSTOOD:
        return date ? "no he entendido para qué día"
                    : "no he entendido a qué hora";
    case CEREBRO_ES_TOO_LONG:
        return date ? "el mensaje es demasiado largo para entender la fecha"
                    : "el mensaje es demasiado largo para entender la hora";
    case CEREBRO_ES_BAD_MONTH:
        return "no reconozco ese mes";
    case CEREBRO_ES_BAD_DAY:
        return "ese número de día no existe en ningún mes";
    case CEREBRO_ES_NONEXISTENT_DATE:
        return "esa fecha no existe en el calendario";
    case CEREBRO_ES_PAST:
        return "esa fecha ya ha pasado";
    case CEREBRO_ES_OUT_OF_RANGE:
        return "esa fecha está demasiado lejos";
    case CEREBRO_ES_UNKNOWN_WEEKDAY:
        return "no he reconocido el día de la semana";
    case CEREBRO_ES_WEEKDAY_MISMATCH:
        return "el día de la semana no coincide con la fecha";
    case CEREBRO_ES_AMBIGUOUS:
        return date ? "me ha dicho más de un día"
                    : "me ha dicho más de una hora";
    case CEREBRO_ES_BAD_TIME:
        return "esa hora no existe";
    case CEREBRO_ES_VAGUE_TIME:
        return "me falta la hora exacta";
    case CEREBRO_ES_INVALID_ARG:
        return date ? "no he podido comprobar la fecha"
                    : "no he podido comprobar la hora";
    }

    return date ? "no he entendido la fecha" : "no he entendido la hora";
}


/*
 * The refusal is built whole, then copied: a cut must not split a UTF-8
 * sequence ("¿", "é") that a channel would then refuse to send.
 */
#define ES_REFUSAL_LEN  256

typedef struct {
    char    buf[ES_REFUSAL_LEN];
    size_t  len;
} es_line_t;


static void
es_line_put(es_line_t *l, const char *s)
{
    size_t  n;

    n = strlen(s);

    if (n > sizeof(l->buf) - 1 - l->len) {
        n = sizeof(l->buf) - 1 - l->len;
    }

    memcpy(l->buf + l->len, s, n);
    l->len += n;
    l->buf[l->len] = '\0';
}


static int
es_date_sane(const cerebro_date_t *d)
{
    return d->year >= 1 && d->year <= 9999 && d->day >= 1
           && d->day <= cerebro_days_in_month(d->year, d->month);
}


size_t
cerebro_es_refusal(cerebro_es_rc_t rc, const cerebro_es_date_t *d,
    const cerebro_date_t *today, char *buf, size_t size)
{
    char       date[80];
    int        ref_year, dated, have_today;
    size_t     n;
    int64_t    ago;
    es_line_t  l;

    l.len = 0;
    l.buf[0] = '\0';
    have_today = today != NULL && cerebro_date_valid(today);

    dated = d != NULL && es_date_sane(&d->date)
            && (rc == CEREBRO_ES_PAST || rc == CEREBRO_ES_OUT_OF_RANGE
                || (rc == CEREBRO_ES_WEEKDAY_MISMATCH
                    && d->weekday_said >= 0 && d->weekday_said <= 6));

    if (dated) {
        ref_year = have_today ? today->year : d->date.year;
        cerebro_date_format_es(date, sizeof(date), &d->date, ref_year);
    }

    if (rc == CEREBRO_ES_OK) {
        /* nothing to refuse */

    } else if (dated && rc == CEREBRO_ES_PAST) {
        ago = have_today ? cerebro_days_from_civil(today->year, today->month,
                                                   today->day)
                           - cerebro_days_from_civil(d->date.year,
                                                     d->date.month,
                                                     d->date.day)
                         : 0;

        /* said so whatever the words: "el 30 de noviembre" on the 1st */
        if (ago == 1) {
            es_line_put(&l, "Ayer fue ");
            es_line_put(&l, date);

        } else if (ago == 2) {
            es_line_put(&l, "Anteayer fue ");
            es_line_put(&l, date);

        } else {
            es_line_put(&l, "El ");
            es_line_put(&l, date);
            es_line_put(&l, " ya ha pasado");
        }

    } else if (dated && rc == CEREBRO_ES_OUT_OF_RANGE) {
        es_line_put(&l, "El ");
        es_line_put(&l, date);
        es_line_put(&l, " queda demasiado lejos");

    } else if (dated) {
        es_line_put(&l, "Me ha dicho ");
        es_line_put(&l, cerebro_weekday_name_es(d->weekday_said));
        es_line_put(&l, ", pero esa fecha es el ");
        es_line_put(&l, date);

    } else if (rc == CEREBRO_ES_EMPTY) {
        es_line_put(&l, "¿Para qué día sería la reserva?");

    } else if (rc == CEREBRO_ES_NOT_UNDERSTOOD) {
        es_line_put(&l, "Lo siento, no he entendido el día");

    } else {
        es_line_put(&l, "Lo siento, ");
        es_line_put(&l, cerebro_es_reason(rc, CEREBRO_ES_KIND_DATE));
    }

    if (rc != CEREBRO_ES_OK && rc != CEREBRO_ES_EMPTY) {
        es_line_put(&l, "; ¿para qué día sería la reserva?");
    }

    if (buf != NULL && size > 0) {
        n = l.len < size ? l.len : size - 1;

        /* back to the start of a sequence the cut would split */
        while (n > 0 && n < l.len
               && ((unsigned char) l.buf[n] & 0xc0) == 0x80)
        {
            n--;
        }

        memcpy(buf, l.buf, n);
        buf[n] = '\0';
    }

    return l.len;
}


const char *
cerebro_es_rc_name(cerebro_es_rc_t rc)
{
    static const char  *names[] = {
        "CEREBRO_ES_OK", "CEREBRO_ES_EMPTY", "CEREBRO_ES_NOT_UNDERSTOOD",
        "CEREBRO_ES_TOO_LONG", "CEREBRO_ES_BAD_MONTH", "CEREBRO_ES_BAD_DAY",
        "CEREBRO_ES_NONEXISTENT_DATE", "CEREBRO_ES_PAST",
        "CEREBRO_ES_OUT_OF_RANGE", "CEREBRO_ES_UNKNOWN_WEEKDAY",
        "CEREBRO_ES_WEEKDAY_MISMATCH", "CEREBRO_ES_AMBIGUOUS",
        "CEREBRO_ES_BAD_TIME", "CEREBRO_ES_VAGUE_TIME",
        "CEREBRO_ES_INVALID_ARG"
    };

    if ((unsigned) rc < sizeof(names) / sizeof(names[0])) {
        return names[rc];
    }

    return "CEREBRO_ES_?";
}
