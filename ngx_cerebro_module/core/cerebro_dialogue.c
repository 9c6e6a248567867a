/*
 * The rule-based Spanish dialogue (see cerebro_dialogue.h).  Keywords are
 * matched on a folded copy of the message (lower case, no accents, words
 * between single blanks); dates and times are left to cerebro_spanish,
 * which reads the guest's own words.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerebro_dialogue.h"
#include "cerebro_sentence.h"
#include "cerebro_spanish.h"


#define CEREBRO_DLG_FOLD_MAX  (CEREBRO_ES_MAX_INPUT + 4)


typedef struct {
    const char            *word;        /* folded, between blanks */
    cerebro_dlg_intent_t   intent;
} cerebro_dlg_keyword_t;


/* first match wins: the order is the priority */
static const cerebro_dlg_keyword_t  cerebro_dlg_keywords[] = {
    { " lista de espera ", CEREBRO_DLG_WAITLIST },
    { " cancel", CEREBRO_DLG_CANCEL },          /* cancelar, cancela... */
    { " anul", CEREBRO_DLG_CANCEL },
    { " no podremos ir ", CEREBRO_DLG_CANCEL },
    { " no vamos a poder ir ", CEREBRO_DLG_CANCEL },
    { " cambi", CEREBRO_DLG_CHANGE },
    { " modific", CEREBRO_DLG_CHANGE },
    { " mover ", CEREBRO_DLG_CHANGE },
    { " retrasar ", CEREBRO_DLG_CHANGE },
    { " adelantar ", CEREBRO_DLG_CHANGE },
    { " hablar con ", CEREBRO_DLG_HUMAN },
    { " una persona ", CEREBRO_DLG_HUMAN },
    { " humano ", CEREBRO_DLG_HUMAN },
    { " encargad", CEREBRO_DLG_HUMAN },
    { " que me llamen ", CEREBRO_DLG_HUMAN },
    { " llamadme ", CEREBRO_DLG_HUMAN },
    { " mi reserva ", CEREBRO_DLG_CHECK },
    { " mis reservas ", CEREBRO_DLG_CHECK },
    { " tengo reserva ", CEREBRO_DLG_CHECK },
    { " tengo una reserva ", CEREBRO_DLG_CHECK },
    { " tengo alguna reserva ", CEREBRO_DLG_CHECK },
    { " reserv", CEREBRO_DLG_BOOK },
    { " mesa ", CEREBRO_DLG_BOOK },
    { " mesa para ", CEREBRO_DLG_BOOK },
    { " hueco ", CEREBRO_DLG_BOOK },
    { " sitio para ", CEREBRO_DLG_BOOK },
    { " horario", CEREBRO_DLG_HOURS },
    { " abr", CEREBRO_DLG_HOURS },              /* abrís, abren, abierto */
    { " cerr", CEREBRO_DLG_HOURS },             /* cerráis, cerrado */
    { " cierr", CEREBRO_DLG_HOURS },
    { " direccion", CEREBRO_DLG_ADDRESS },
    { " donde esta", CEREBRO_DLG_ADDRESS },
    { " donde estais ", CEREBRO_DLG_ADDRESS },
    { " donde os ", CEREBRO_DLG_ADDRESS },
    { " donde queda", CEREBRO_DLG_ADDRESS },
    { " ubicacion", CEREBRO_DLG_ADDRESS },
    { " como llego ", CEREBRO_DLG_ADDRESS },
    { " como llegar ", CEREBRO_DLG_ADDRESS },
    { " aparca", CEREBRO_DLG_INFO },
    { " parking ", CEREBRO_DLG_INFO },
    { " carta ", CEREBRO_DLG_INFO },
    { " menu ", CEREBRO_DLG_INFO },
    { " alerg", CEREBRO_DLG_INFO },
    { " gluten ", CEREBRO_DLG_INFO },
    { " celiac", CEREBRO_DLG_INFO },
    { " vegan", CEREBRO_DLG_INFO },
    { " vegetarian", CEREBRO_DLG_INFO },
    { " perro", CEREBRO_DLG_INFO },
    { " mascota", CEREBRO_DLG_INFO },
    { " silla de ruedas ", CEREBRO_DLG_INFO },
    { " accesib", CEREBRO_DLG_INFO },
    { " telefono ", CEREBRO_DLG_INFO },
    { " gracias ", CEREBRO_DLG_THANKS },
    { " hola ", CEREBRO_DLG_GREETING },
    { " buenas ", CEREBRO_DLG_GREETING },
    { " buenos dias ", CEREBRO_DLG_GREETING },
    { " buenas tardes ", CEREBRO_DLG_GREETING },
    { " buenas noches ", CEREBRO_DLG_GREETING },
    { " ayuda ", CEREBRO_DLG_HELP },
    { " help ", CEREBRO_DLG_HELP },
    { " que puedes hacer ", CEREBRO_DLG_HELP },
    { " opciones ", CEREBRO_DLG_HELP },
    { NULL, CEREBRO_DLG_NONE }
};


/* the whole message, folded */
static const cerebro_dlg_keyword_t  cerebro_dlg_whole[] = {
    { " stop ", CEREBRO_DLG_STOP },
    { " stopall ", CEREBRO_DLG_STOP },
    { " baja ", CEREBRO_DLG_STOP },
    { " unsubscribe ", CEREBRO_DLG_STOP },
    { " start ", CEREBRO_DLG_START },
    { " alta ", CEREBRO_DLG_START },
    { " unstop ", CEREBRO_DLG_START },
    { " si ", CEREBRO_DLG_YES },
    { " vale ", CEREBRO_DLG_YES },
    { " ok ", CEREBRO_DLG_YES },
    { " de acuerdo ", CEREBRO_DLG_YES },
    { " si por favor ", CEREBRO_DLG_YES },
    { " perfecto ", CEREBRO_DLG_YES },
    { " confirmo ", CEREBRO_DLG_YES },
    { " si confirmo ", CEREBRO_DLG_YES },       /* the read-back's yes */
    { " si claro ", CEREBRO_DLG_YES },
    { " si gracias ", CEREBRO_DLG_YES },
    { " si vale ", CEREBRO_DLG_YES },
    { " si perfecto ", CEREBRO_DLG_YES },
    { " si si ", CEREBRO_DLG_YES },
    { " claro ", CEREBRO_DLG_YES },
    { " correcto ", CEREBRO_DLG_YES },
    { " confirmado ", CEREBRO_DLG_YES },
    { " adelante ", CEREBRO_DLG_YES },
    { " eso es ", CEREBRO_DLG_YES },
    { " no ", CEREBRO_DLG_NO },
    { " no gracias ", CEREBRO_DLG_NO },
    { " baja de la lista ", CEREBRO_DLG_LEAVE_LIST },
    { " baja de la lista de espera ", CEREBRO_DLG_LEAVE_LIST },
    { " baja lista ", CEREBRO_DLG_LEAVE_LIST },
    { " salir de la lista ", CEREBRO_DLG_LEAVE_LIST },
    { " salir de la lista de espera ", CEREBRO_DLG_LEAVE_LIST },
    { NULL, CEREBRO_DLG_NONE }
};


static const char *cerebro_dlg_numbers[] = {
    "cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete",
    "ocho", "nueve", "diez", "once", "doce", "trece", "catorce", "quince",
    "dieciseis", "diecisiete", "dieciocho", "diecinueve", "veinte", NULL
};


/* words that end a name: "a nombre de Ana para el sábado" */
static const char *cerebro_dlg_name_stop[] = {
    "para", "el", "la", "los", "las", "a", "al", "y", "con", "de", "del",
    "por", "que", "manana", "hoy", "somos", "seremos", "gracias", "mesa",
    "reserva", "personas", "porfa", "porfavor", "favor", "pf", "hola",
    "si", "no", "vale", "ok", "siempre", "soy", "en", "tengo", "mi", NULL
};


static const char  cerebro_dlg_help[] =
    "Puedo reservar mesa, decirle si tiene reserva, cambiarla o "
    "cancelarla, y darle el horario y la dirección. Escriba, por ejemplo: "
    "\"mesa para 4 el sábado a las 21:00\".";


static size_t cerebro_dlg_fold_map(const char *text, size_t len, char *out,
    size_t size, size_t *map);
static int cerebro_dlg_number(const char *word, size_t len);
static int cerebro_dlg_word_at(const char *folded, const char *p,
    const char **start, size_t *len);
static void cerebro_dlg_describe(const cerebro_dlg_state_t *st,
    const cerebro_date_t *today, char *out, size_t size);
static size_t cerebro_dlg_question(const cerebro_dlg_state_t *st,
    unsigned missing, const cerebro_date_t *today, char *out, size_t size);
static int cerebro_dlg_tool(cerebro_dlg_step_t *step, cerebro_tool_id_t id);
static int cerebro_dlg_add(cJSON *args, const char *name, const char *value);
static void cerebro_dlg_reset_booking(cerebro_dlg_state_t *st);
static size_t cerebro_dlg_readback(const cerebro_dlg_state_t *st,
    const cerebro_date_t *today, char *out, size_t size);
static size_t cerebro_dlg_copy(char *out, size_t size, const char *s);


size_t
cerebro_dlg_fold(const char *text, size_t len, char *out, size_t size)
{
    return cerebro_dlg_fold_map(text, len, out, size, NULL);
}


/* map (optional, size entries): the offset in text of each folded byte */
static size_t
cerebro_dlg_fold_map(const char *text, size_t len, char *out, size_t size,
    size_t *map)
{
    size_t                i, n;
    unsigned char         c, d;
    char                  f;

    if (size < 3) {
        if (size) {
            out[0] = '\0';
        }
        return 0;
    }

    n = 0;
    if (map) {
        map[n] = 0;
    }
    out[n++] = ' ';

    for (i = 0; i < len && n + 2 < size; i++) {
        c = (unsigned char) text[i];
        f = ' ';

        if (map) {
            map[n] = i;
        }

        if (c >= 'A' && c <= 'Z') {
            f = (char) (c - 'A' + 'a');

        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            f = (char) c;

        } else if (c == 0xc3 && i + 1 < len) {
            /* Latin-1 supplement: á é í ó ú ü ñ and their capitals */
            d = (unsigned char) text[i + 1] | 0x20;
            i++;

            switch (d) {
            case 0xa1: f = 'a'; break;
            case 0xa9: f = 'e'; break;
            case 0xad: f = 'i'; break;
            case 0xb3: f = 'o'; break;
            case 0xba: case 0xbc: f = 'u'; break;
            case 0xb1: f = 'n'; break;
            default: f = ' ';
            }
        }

        if (f == ' ' && out[n - 1] == ' ') {
            continue;
        }

        out[n++] = f;
    }

    if (out[n - 1] != ' ') {
        if (map) {
            map[n] = i;
        }
        out[n++] = ' ';
    }

    if (map) {
        map[n] = i;
    }

    out[n] = '\0';

    return n;
}


cerebro_dlg_intent_t
cerebro_dlg_intent(const char *text, size_t len)
{
    char                          folded[CEREBRO_DLG_FOLD_MAX];
    const cerebro_dlg_keyword_t  *k;

    if (len > CEREBRO_ES_MAX_INPUT) {
        len = CEREBRO_ES_MAX_INPUT;
    }

    cerebro_dlg_fold(text, len, folded, sizeof(folded));

    for (k = cerebro_dlg_whole; k->word; k++) {
        if (strcmp(folded, k->word) == 0) {
            return k->intent;
        }
    }

    for (k = cerebro_dlg_keywords; k->word; k++) {
        if (strstr(folded, k->word)) {
            return k->intent;
        }
    }

    return CEREBRO_DLG_NONE;
}


const char *
cerebro_dlg_intent_name(cerebro_dlg_intent_t intent)
{
    static const char  *names[] = {
        "none", "stop", "start", "book", "check", "change", "cancel",
        "hours", "address", "info", "human", "greeting", "help", "thanks",
        "yes", "no", "waitlist", "leave_list"
    };

    if ((size_t) intent >= sizeof(names) / sizeof(names[0])) {
        return "none";
    }

    return names[intent];
}


/* a folded word as a number: digits or "cuatro"; -1 if not one */
static int
cerebro_dlg_number(const char *word, size_t len)
{
    int     n;
    size_t  i;

    if (len == 0) {
        return -1;
    }

    if (word[0] >= '0' && word[0] <= '9') {
        n = 0;
        for (i = 0; i < len; i++) {
            if (word[i] < '0' || word[i] > '9' || n > 10000) {
                return -1;
            }
            n = n * 10 + (word[i] - '0');
        }
        return n;
    }

    for (i = 1; cerebro_dlg_numbers[i]; i++) {
        if (strlen(cerebro_dlg_numbers[i]) == len
            && strncmp(cerebro_dlg_numbers[i], word, len) == 0)
        {
            return (int) i;
        }
    }

    if ((len == 2 && strncmp(word, "un", 2) == 0)
        || (len == 3 && strncmp(word, "una", 3) == 0))
    {
        return 1;
    }

    return -1;
}


/*
 * The word that starts at p (p points past a blank) in folded text;
 * returns 0 at the end.
 */
static int
cerebro_dlg_word_at(const char *folded, const char *p, const char **start,
    size_t *len)
{
    const char  *e;

    (void) folded;

    if (*p == '\0') {
        return 0;
    }

    e = strchr(p, ' ');
    if (e == NULL) {
        return 0;
    }

    *start = p;
    *len = (size_t) (e - p);

    return *len > 0;
}


int
cerebro_dlg_party(const char *text, size_t len, int bare)
{
    int          n;
    char         folded[CEREBRO_DLG_FOLD_MAX];
    size_t       wl, nl;
    const char  *p, *w, *next;

    static const char  *after[] = {
        " personas ", " persona ", " pax ", " comensales ", " adultos ",
        " invitados ", " cubiertos ", NULL
    };
    static const char  *before[] = {
        " para ", " somos ", " seremos ", " mesa de ", NULL
    };

    int          i;

    if (len > CEREBRO_ES_MAX_INPUT) {
        len = CEREBRO_ES_MAX_INPUT;
    }

    cerebro_dlg_fold(text, len, folded, sizeof(folded));

    /* "para 4", "somos cuatro"; not "para 28 de noviembre", "para las 9" */
    for (i = 0; before[i]; i++) {
        for (p = strstr(folded, before[i]); p; p = strstr(p + 1, before[i]))
        {
            if (!cerebro_dlg_word_at(folded, p + strlen(before[i]), &w, &wl))
            {
                continue;
            }

            n = cerebro_dlg_number(w, wl);
            if (n < 1 || n > CEREBRO_DLG_MAX_PARTY) {
                continue;
            }

            if (cerebro_dlg_word_at(folded, w + wl + 1, &next, &nl)
                && ((nl == 2 && strncmp(next, "de", 2) == 0)
                    || (nl == 1 && next[0] == 'h')
                    || (nl == 5 && strncmp(next, "horas", 5) == 0)
                    || (nl >= 2 && next[0] >= '0' && next[0] <= '9')))
            {
                /* a date, an hour or "21 00" */
                continue;
            }

            return n;
        }
    }

    /* "6 personas", "cuatro comensales" */
    for (i = 0; after[i]; i++) {
        p = strstr(folded, after[i]);
        if (p == NULL || p == folded) {
            continue;
        }

        w = p - 1;
        while (w > folded && w[-1] != ' ') {
            w--;
        }

        n = cerebro_dlg_number(w, (size_t) (p - w));
        if (n >= 1 && n <= CEREBRO_DLG_MAX_PARTY) {
            return n;
        }
    }

    /* the whole message is one number: the answer to "¿cuántos?" */
    if (bare && cerebro_dlg_word_at(folded, folded + 1, &w, &wl)
        && strlen(folded) == wl + 2)
    {
        n = cerebro_dlg_number(w, wl);
        if (n >= 1 && n <= CEREBRO_DLG_MAX_PARTY) {
            return n;
        }
    }

    return 0;
}


size_t
cerebro_dlg_name(const char *text, size_t len, int bare, char *out,
    size_t size)
{
    int          words, stop, i;
    char         folded[CEREBRO_DLG_FOLD_MAX];
    size_t       map[CEREBRO_DLG_FOLD_MAX];
    size_t       wl, k, total, from, to;
    const char  *p, *w, *hit;

    static const char  *marks[] = {
        " a nombre de ", " nombre de ", " mi nombre es ", " me llamo ",
        " nombre ", NULL
    };

    if (size == 0) {
        return 0;
    }

    out[0] = '\0';

    if (len > CEREBRO_ES_MAX_INPUT) {
        len = CEREBRO_ES_MAX_INPUT;
    }

    total = cerebro_dlg_fold_map(text, len, folded, sizeof(folded), map);

    hit = NULL;
    p = NULL;

    for (i = 0; marks[i]; i++) {
        hit = strstr(folded, marks[i]);
        if (hit) {
            p = hit + strlen(marks[i]);
            break;
        }
    }

    if (hit == NULL) {
        if (!bare) {
            return 0;
        }

        /* a short answer made of words alone is the name */
        for (k = 0; k < total; k++) {
            if (folded[k] >= '0' && folded[k] <= '9') {
                return 0;
            }
        }

        p = folded + 1;
    }

    words = 0;
    from = 0;
    to = 0;

    while (words < 4 && cerebro_dlg_word_at(folded, p, &w, &wl)) {
        stop = 0;
        for (i = 0; cerebro_dlg_name_stop[i]; i++) {
            if (strlen(cerebro_dlg_name_stop[i]) == wl
                && strncmp(cerebro_dlg_name_stop[i], w, wl) == 0)
            {
                stop = 1;
                break;
            }
        }

        if (stop || (w[0] >= '0' && w[0] <= '9')) {
            if (hit == NULL) {
                /* "hola", "sí", "a las 9": not a bare name */
                return 0;
            }

            break;
        }

        if (words == 0) {
            from = map[w - folded];
        }

        /* the blank after the word maps to the byte after it */
        to = map[w + wl - folded];
        words++;
        p = w + wl + 1;
    }

    if (words == 0 || (hit == NULL && cerebro_dlg_word_at(folded, p, &w, &wl)))
    {
        /* nothing, or a whole sentence rather than a bare name */
        return 0;
    }

    /* the guest's own spelling, accents included */
    while (to > from && (text[to - 1] == ' ' || text[to - 1] == ','
                         || text[to - 1] == '.'))
    {
        to--;
    }

    k = to - from;
    if (k >= size) {
        k = size - 1;
    }

    memcpy(out, text + from, k);
    out[k] = '\0';

    if (out[0] >= 'a' && out[0] <= 'z') {
        out[0] = (char) (out[0] - 'a' + 'A');
    }

    return k;
}


unsigned
cerebro_dlg_fill(cerebro_dlg_state_t *st, const char *text, size_t len,
    const cerebro_date_t *today, int *date_error, cerebro_es_date_t *refused)
{
    int                n;
    char               name[CEREBRO_DLG_NAME_LEN];
    unsigned           set;
    cerebro_es_rc_t    rc;
    cerebro_es_date_t  d;
    cerebro_es_time_t  t;

    set = 0;

    if (date_error) {
        *date_error = 0;
    }

    if (len > CEREBRO_ES_MAX_INPUT) {
        len = CEREBRO_ES_MAX_INPUT;
    }

    n = cerebro_dlg_party(text, len,
                          (st->asked & CEREBRO_DLG_SLOT_PARTY) != 0);
    if (n > 0) {
        st->party = n;
        set |= CEREBRO_DLG_SLOT_PARTY;
    }

    rc = cerebro_es_parse_date_window(text, len, today,
                                      CEREBRO_ES_PAST_WINDOW, &d);

    if (rc == CEREBRO_ES_OK) {
        cerebro_date_format_iso(st->date, sizeof(st->date), &d.date);
        set |= CEREBRO_DLG_SLOT_DATE;

    } else if (rc != CEREBRO_ES_NOT_UNDERSTOOD && rc != CEREBRO_ES_EMPTY
               && date_error)
    {
        *date_error = (int) rc;

        if (refused) {
            *refused = d;
        }
    }

    if (cerebro_es_parse_time(text, len, &t) == CEREBRO_ES_OK) {
        snprintf(st->time, sizeof(st->time),
                 (t.flags & CEREBRO_ES_TIME_AMBIGUOUS) ? "%d:%02d"
                                                      : "%02d:%02d",
                 t.minutes / 60, t.minutes % 60);
        set |= CEREBRO_DLG_SLOT_TIME;
    }

    /* a bare word is a name only when the name is all that was asked */
    if (cerebro_dlg_name(text, len,
                         st->asked == CEREBRO_DLG_SLOT_NAME && set == 0,
                         name, sizeof(name)))
    {
        cerebro_dlg_copy(st->name, sizeof(st->name), name);
        set |= CEREBRO_DLG_SLOT_NAME;
    }

    return set;
}


unsigned
cerebro_dlg_missing(const cerebro_dlg_state_t *st)
{
    unsigned  missing;

    missing = 0;

    if (st->party <= 0) {
        missing |= CEREBRO_DLG_SLOT_PARTY;
    }

    if (st->date[0] == '\0') {
        missing |= CEREBRO_DLG_SLOT_DATE;
    }

    if (st->time[0] == '\0') {
        missing |= CEREBRO_DLG_SLOT_TIME;
    }

    if (st->name[0] == '\0') {
        missing |= CEREBRO_DLG_SLOT_NAME;
    }

    return missing;
}


size_t
cerebro_dlg_preference(const char *text, size_t len, char *out,
    size_t size)
{
    int          i, whole, asks;
    char         folded[CEREBRO_DLG_FOLD_MAX];
    size_t       map[CEREBRO_DLG_FOLD_MAX];
    size_t       start, end, from, to, k, n;
    const char  *hit, *w;

    /* after "siempre": what is wanted; the others: the whole clause */
    static const char  *marks[] = {
        " siempre ", " soy alergic", " somos alergic", " soy celiac",
        " somos celiac", " soy vegan", " soy vegetarian", " alergia a",
        " alergias a", " alergico a", " alergica a", " alergicos a",
        " alergicas a", " intolerancia a", " intolerante a", NULL
    };

    if (size == 0) {
        return 0;
    }

    out[0] = '\0';

    if (len > CEREBRO_ES_MAX_INPUT) {
        len = CEREBRO_ES_MAX_INPUT;
    }

    for (start = 0; start < len; start = end + 1) {
        for (end = start; end < len && strchr(",.;:!?()\n", text[end]) == NULL;
             end++)
        {
            /* a clause */
        }

        /* "¿tenéis menú para alérgicos?" asks; it states nothing */
        asks = (end < len && text[end] == '?');

        for (k = start; !asks && k + 1 < end; k++) {
            asks = ((unsigned char) text[k] == 0xc2
                    && (unsigned char) text[k + 1] == 0xbf);
        }

        if (asks) {
            continue;
        }

        n = cerebro_dlg_fold_map(text + start, end - start, folded,
                                 sizeof(folded), map);
        if (n < 2) {
            continue;
        }

        for (i = 0; marks[i]; i++) {
            hit = strstr(folded, marks[i]);
            if (hit != NULL) {
                break;
            }
        }

        if (marks[i] == NULL) {
            continue;
        }

        whole = (i != 0);

        if (!whole) {
            /* "como siempre", "lo de siempre": nothing said after it */
            w = hit + strlen(marks[0]);
            if (*w == '\0') {
                continue;
            }
        }

        from = start + (whole ? map[1] : map[hit + 1 - folded]);
        to = end;

        while (from < to && text[from] == ' ') {
            from++;
        }

        while (to > from && text[to - 1] == ' ') {
            to--;
        }

        k = to - from;
        if (k >= size) {
            /* not inside a UTF-8 character */
            k = size - 1;
            while (k > 0 && ((unsigned char) text[from + k] & 0xc0) == 0x80)
            {
                k--;
            }
        }

        if (k == 0) {
            continue;
        }

        memcpy(out, text + from, k);
        out[k] = '\0';

        return k;
    }

    return 0;
}


/* "mesa para 4, el sábado 5 de diciembre, a las 21:00" of what is known */
static void
cerebro_dlg_describe(const cerebro_dlg_state_t *st,
    const cerebro_date_t *today, char *out, size_t size)
{
    int             n;
    char            day[64];
    size_t          len;
    cerebro_date_t  d;

    len = 0;
    out[0] = '\0';

    if (st->party > 0) {
        n = snprintf(out, size, "mesa para %d", st->party);
        len = (n > 0 && (size_t) n < size) ? (size_t) n : 0;
    }

    if (st->date[0]
        && sscanf(st->date, "%d-%d-%d", &d.year, &d.month, &d.day) == 3
        && cerebro_date_valid(&d))
    {
        cerebro_date_format_es(day, sizeof(day), &d, today->year);
        n = snprintf(out + len, size - len, "%sel %s", len ? ", " : "", day);
        len += (n > 0 && (size_t) n < size - len) ? (size_t) n : 0;
    }

    if (st->time[0]) {
        n = snprintf(out + len, size - len, "%sa las %s", len ? ", " : "",
                     st->time);
        len += (n > 0 && (size_t) n < size - len) ? (size_t) n : 0;
    }

    if (st->name[0]) {
        (void) snprintf(out + len, size - len, "%sa nombre de %s",
                        len ? ", " : "", st->name);
    }
}


static size_t
cerebro_dlg_question(const cerebro_dlg_state_t *st, unsigned missing,
    const cerebro_date_t *today, char *out, size_t size)
{
    int   n;
    char  known[256];

    static const char  *asks[] = {
        "¿para cuántas personas", "¿qué día", "¿a qué hora",
        "¿a nombre de quién"
    };
    static const char  *alone[] = {
        "¿Para cuántas personas?", "¿Qué día le viene bien?",
        "¿A qué hora?", "¿A nombre de quién hago la reserva?"
    };

    int     i, first, left;
    size_t  len;

    cerebro_dlg_describe(st, today, known, sizeof(known));

    if (known[0]) {
        n = snprintf(out, size, "Perfecto: %s. ", known);
    } else {
        n = snprintf(out, size, "¡Con gusto le reservo mesa! ");
    }

    len = (n > 0 && (size_t) n < size) ? (size_t) n : 0;

    /* one question for one slot; the rest in one sentence */
    for (i = 0; i < 4; i++) {
        if (missing == (1u << i)) {
            n = snprintf(out + len, size - len, "%s", alone[i]);
            len += (n > 0 && (size_t) n < size - len) ? (size_t) n : 0;
            return len;
        }
    }

    left = 0;
    for (i = 0; i < 4; i++) {
        left += (missing >> i) & 1;
    }

    first = 1;
    for (i = 0; i < 4; i++) {
        if (!(missing & (1u << i))) {
            continue;
        }

        left--;

        /* "Dígame ¿para cuántas personas, qué día y a qué hora?" */
        n = snprintf(out + len, size - len, "%s%s",
                     first ? "Dígame " : (left ? ", " : " y "),
                     first ? asks[i] : asks[i] + 2);
        len += (n > 0 && (size_t) n < size - len) ? (size_t) n : 0;
        first = 0;
    }

    n = snprintf(out + len, size - len, "?");
    len += (n > 0 && (size_t) n < size - len) ? (size_t) n : 0;

    return len;
}


static int
cerebro_dlg_tool(cerebro_dlg_step_t *step, cerebro_tool_id_t id)
{
    step->action = CEREBRO_DLG_TOOL;
    step->tool = cerebro_tool_name(id);
    step->tool_id = id;
    step->args = cJSON_CreateObject();

    return step->args ? 0 : -1;
}


static int
cerebro_dlg_add(cJSON *args, const char *name, const char *value)
{
    return cJSON_AddStringToObject(args, name, value) ? 0 : -1;
}


static void
cerebro_dlg_reset_booking(cerebro_dlg_state_t *st)
{
    st->booking = 0;
    st->date[0] = '\0';
    st->time[0] = '\0';
    st->party = 0;
    st->asked = 0;
    st->confirming = 0;
    st->prefs[0] = '\0';
}


/* "¿Confirmo mesa para 4 el viernes 4 de diciembre a las 21:00 a ...?" */
static size_t
cerebro_dlg_readback(const cerebro_dlg_state_t *st,
    const cerebro_date_t *today, char *out, size_t size)
{
    int             h, m;
    cerebro_date_t  d;

    if (sscanf(st->date, "%d-%d-%d", &d.year, &d.month, &d.day) != 3
        || !cerebro_date_valid(&d)
        || sscanf(st->time, "%d:%d", &h, &m) != 2)
    {
        return cerebro_dlg_copy(out, size, "¿Confirmo la reserva?");
    }

    return cerebro_sentence_readback(out, size, st->name, &d, h * 60 + m,
                                     st->party, st->prefs, today->year);
}


static size_t
cerebro_dlg_copy(char *out, size_t size, const char *s)
{
    size_t  n;

    if (size == 0) {
        return 0;
    }

    n = strlen(s);
    if (n >= size) {
        n = size - 1;
    }

    memcpy(out, s, n);
    out[n] = '\0';

    return n;
}


int
cerebro_dlg_step(cerebro_dlg_state_t *st, const char *text, size_t len,
    const cerebro_date_t *today, const char *restaurant,
    cerebro_dlg_step_t *step)
{
    int                    date_error;
    char                   prefs[CEREBRO_DLG_PREFS_LEN];
    size_t                 prefs_len;
    unsigned               set, missing;
    cerebro_es_date_t      refused;
    cerebro_dlg_intent_t   intent;

    memset(step, 0, sizeof(cerebro_dlg_step_t));
    memset(&refused, 0, sizeof(refused));

    if (len > CEREBRO_ES_MAX_INPUT) {
        len = CEREBRO_ES_MAX_INPUT;
    }

    intent = cerebro_dlg_intent(text, len);

    /* "soy alérgica al marisco" while booking: said for the booking */
    prefs_len = cerebro_dlg_preference(text, len, prefs, sizeof(prefs));

    if (prefs_len && st->booking && intent == CEREBRO_DLG_INFO) {
        intent = CEREBRO_DLG_NONE;
    }

    step->intent = intent;

    switch (intent) {

    case CEREBRO_DLG_CANCEL:
    case CEREBRO_DLG_CHECK:
    case CEREBRO_DLG_CHANGE:
    case CEREBRO_DLG_HUMAN:
    case CEREBRO_DLG_HOURS:
    case CEREBRO_DLG_ADDRESS:
    case CEREBRO_DLG_INFO:
        /* another subject: what was pending is dropped, and a yes
         * after it must follow a read-back heard again */
        st->pending = CEREBRO_DLG_PENDING_NONE;
        st->confirming = 0;
        break;

    default:
        break;
    }

    /* an answer to "¿qué reserva?" or "¿a qué día la cambio?" */
    if (st->pending != CEREBRO_DLG_PENDING_NONE
        && st->pending != CEREBRO_DLG_PENDING_WAITLIST
        && (intent == CEREBRO_DLG_NONE || intent == CEREBRO_DLG_BOOK))
    {
        intent = (st->pending == CEREBRO_DLG_PENDING_CANCEL)
                 ? CEREBRO_DLG_CANCEL : CEREBRO_DLG_CHANGE;
        step->intent = intent;
    }

    switch (intent) {

    case CEREBRO_DLG_STOP:
    case CEREBRO_DLG_START:
        /* the channel answers these before the dialogue runs */
        cerebro_dlg_copy(step->text, sizeof(step->text),
                         intent == CEREBRO_DLG_STOP
                         ? "No le enviaremos más mensajes. Escriba ALTA "
                           "para volver a recibirlos."
                         : "Vuelve a recibir nuestros mensajes.");
        return 0;

    case CEREBRO_DLG_CANCEL:
        st->pending = CEREBRO_DLG_PENDING_NONE;

        if (cerebro_dlg_tool(step, CEREBRO_TOOL_CANCEL) != 0) {
            goto nomem;
        }

        {
            cerebro_dlg_state_t  tmp;

            memset(&tmp, 0, sizeof(tmp));
            cerebro_dlg_fill(&tmp, text, len, today, NULL, NULL);

            if (tmp.date[0] && cerebro_dlg_add(step->args, "date", tmp.date))
            {
                goto nomem;
            }
        }

        return 0;

    case CEREBRO_DLG_CHANGE:
        {
            cerebro_dlg_state_t  tmp;

            memset(&tmp, 0, sizeof(tmp));
            set = cerebro_dlg_fill(&tmp, text, len, today, NULL, NULL);

            if (!(set & (CEREBRO_DLG_SLOT_DATE | CEREBRO_DLG_SLOT_TIME
                         | CEREBRO_DLG_SLOT_PARTY)))
            {
                st->pending = CEREBRO_DLG_PENDING_CHANGE;
                cerebro_dlg_copy(step->text, sizeof(step->text),
                                 "Claro. ¿A qué día, hora o número de "
                                 "personas quiere cambiar su reserva?");
                return 0;
            }

            st->pending = CEREBRO_DLG_PENDING_NONE;

            if (cerebro_dlg_tool(step, CEREBRO_TOOL_MODIFY) != 0
                || (tmp.date[0]
                    && cerebro_dlg_add(step->args, "new_date", tmp.date))
                || (tmp.time[0]
                    && cerebro_dlg_add(step->args, "new_time", tmp.time)))
            {
                goto nomem;
            }

            if (tmp.party
                && cJSON_AddNumberToObject(step->args, "new_party_size",
                                           tmp.party) == NULL)
            {
                goto nomem;
            }
        }

        return 0;

    case CEREBRO_DLG_CHECK:
        return cerebro_dlg_tool(step, CEREBRO_TOOL_FIND) == 0 ? 0 : -1;

    case CEREBRO_DLG_WAITLIST:
        /* the slots of the booking that found no table, or new ones */
        st->pending = CEREBRO_DLG_PENDING_WAITLIST;
        st->booking = 1;
        break;

    case CEREBRO_DLG_HOURS:
    case CEREBRO_DLG_ADDRESS:
    case CEREBRO_DLG_INFO:
        if (cerebro_dlg_tool(step, CEREBRO_TOOL_INFO) != 0) {
            goto nomem;
        }

        if (intent == CEREBRO_DLG_HOURS) {
            return cerebro_dlg_add(step->args, "topic", "horario");
        }

        if (intent == CEREBRO_DLG_ADDRESS) {
            return cerebro_dlg_add(step->args, "topic", "dirección");
        }

        {
            char  topic[256];

            cerebro_dlg_fold(text, len < 250 ? len : 250, topic,
                             sizeof(topic));
            return cerebro_dlg_add(step->args, "topic", topic);
        }

    case CEREBRO_DLG_HUMAN:
        if (cerebro_dlg_tool(step, CEREBRO_TOOL_HANDOVER) != 0) {
            goto nomem;
        }

        {
            char    reason[256];
            size_t  n;

            /* text is len bytes, not a C string */
            n = len < sizeof(reason) - 1 ? len : sizeof(reason) - 1;
            memcpy(reason, text, n);
            reason[n] = '\0';
            return cerebro_dlg_add(step->args, "reason",
                                   reason[0] ? reason
                                             : "el cliente lo pide");
        }

    default:
        break;
    }

    /* a booking: started by the words, or going on with its slots */
    set = cerebro_dlg_fill(st, text, len, today, &date_error, &refused);

    if (prefs_len && (st->booking || intent == CEREBRO_DLG_BOOK
                      || (set & ~CEREBRO_DLG_SLOT_NAME)))
    {
        cerebro_dlg_copy(st->prefs, sizeof(st->prefs), prefs);
        set |= CEREBRO_DLG_SLOT_PREFS;
    }

    if (set || date_error) {
        /* what was read back is not what would be booked now */
        st->confirming = 0;
    }

    if (date_error) {
        st->booking = 1;
        st->asked = CEREBRO_DLG_SLOT_DATE;
        /* naming the day understood: "Ayer fue lunes 30 de noviembre..." */
        (void) cerebro_es_refusal((cerebro_es_rc_t) date_error, &refused,
                                  today, step->text, sizeof(step->text));
        return 0;
    }

    if (intent == CEREBRO_DLG_BOOK
        || (set & (CEREBRO_DLG_SLOT_PARTY | CEREBRO_DLG_SLOT_DATE
                   | CEREBRO_DLG_SLOT_TIME)))
    {
        st->booking = 1;
    }

    if (!st->booking || (set == 0 && intent != CEREBRO_DLG_BOOK
                         && intent != CEREBRO_DLG_NONE
                         && intent != CEREBRO_DLG_YES
                         && intent != CEREBRO_DLG_WAITLIST))
    {
        switch (intent) {

        case CEREBRO_DLG_GREETING:
        case CEREBRO_DLG_HELP:
            (void) snprintf(step->text, sizeof(step->text),
                            "¡Hola! Le atiende el asistente de %s. %s",
                            restaurant ? restaurant : "el restaurante",
                            cerebro_dlg_help);
            break;

        case CEREBRO_DLG_THANKS:
            cerebro_dlg_copy(step->text, sizeof(step->text),
                             "¡A usted! Aquí estamos para lo que necesite.");
            break;

        case CEREBRO_DLG_NO:
            if (st->confirming) {
                /* the guest heard it and something is wrong */
                st->confirming = 0;
                cerebro_dlg_copy(step->text, sizeof(step->text),
                                 "De acuerdo, todavía no la reservo. ¿Qué "
                                 "quiere cambiar: el día, la hora, las "
                                 "personas o el nombre?");
                break;
            }

            if (st->booking) {
                cerebro_dlg_reset_booking(st);
                cerebro_dlg_copy(step->text, sizeof(step->text),
                                 "De acuerdo, no hago la reserva. ¿Puedo "
                                 "ayudarle en algo más?");
                break;
            }

            /* fall through */

        default:
            (void) snprintf(step->text, sizeof(step->text),
                            "Perdone, no le he entendido. %s",
                            cerebro_dlg_help);
        }

        return 0;
    }

    missing = cerebro_dlg_missing(st);

    if (missing == 0 && st->confirming) {
        if (intent != CEREBRO_DLG_YES) {
            /* neither yes nor no: the same question again */
            cerebro_dlg_readback(st, today, step->text, sizeof(step->text));
            return 0;
        }

        /* the guest said yes to the line read back: now it is booked */
        st->confirming = 0;
        st->asked = 0;

        if (cerebro_dlg_tool(step, CEREBRO_TOOL_CREATE) != 0
            || cerebro_dlg_add(step->args, "name", st->name)
            || cerebro_dlg_add(step->args, "date", st->date)
            || cerebro_dlg_add(step->args, "time", st->time)
            || cJSON_AddNumberToObject(step->args, "party_size", st->party)
               == NULL
            || cJSON_AddTrueToObject(step->args, "confirmed") == NULL
            || (st->prefs[0]
                && cerebro_dlg_add(step->args, "preferences", st->prefs)))
        {
            goto nomem;
        }

        return 0;
    }

    if (missing == 0 && st->pending == CEREBRO_DLG_PENDING_WAITLIST) {
        /* a place on the list books nothing: no read-back before it */
        st->asked = 0;

        if (cerebro_dlg_tool(step, CEREBRO_TOOL_WAITLIST) != 0
            || cerebro_dlg_add(step->args, "name", st->name)
            || cerebro_dlg_add(step->args, "date", st->date)
            || cerebro_dlg_add(step->args, "time", st->time)
            || cJSON_AddNumberToObject(step->args, "party_size", st->party)
               == NULL)
        {
            goto nomem;
        }

        return 0;
    }

    if (missing == 0) {
        /* whether there is a table first; the read-back after it */
        st->asked = 0;

        if (cerebro_dlg_tool(step, CEREBRO_TOOL_CHECK) != 0
            || cerebro_dlg_add(step->args, "date", st->date)
            || cerebro_dlg_add(step->args, "time", st->time))
        {
            goto nomem;
        }

        return cJSON_AddNumberToObject(step->args, "party_size", st->party)
               ? 0 : -1;
    }

    if (missing == CEREBRO_DLG_SLOT_NAME
        && st->pending != CEREBRO_DLG_PENDING_WAITLIST
        && (set & (CEREBRO_DLG_SLOT_PARTY | CEREBRO_DLG_SLOT_DATE
                   | CEREBRO_DLG_SLOT_TIME)))
    {
        /* all but the name: say first whether there is a table */
        st->asked = CEREBRO_DLG_SLOT_NAME;

        if (cerebro_dlg_tool(step, CEREBRO_TOOL_CHECK) != 0
            || cerebro_dlg_add(step->args, "date", st->date)
            || cerebro_dlg_add(step->args, "time", st->time))
        {
            goto nomem;
        }

        return cJSON_AddNumberToObject(step->args, "party_size", st->party)
               ? 0 : -1;
    }

    st->asked = missing;
    cerebro_dlg_question(st, missing, today, step->text, sizeof(step->text));

    return 0;

nomem:

    cJSON_Delete(step->args);
    step->args = NULL;
    step->action = CEREBRO_DLG_REPLY;
    step->tool = NULL;
    step->tool_id = CEREBRO_TOOL_UNKNOWN;
    cerebro_dlg_copy(step->text, sizeof(step->text),
                     "Lo siento, ha habido un problema. Inténtelo de nuevo "
                     "en un momento.");

    return -1;
}


size_t
cerebro_dlg_after_tool(cerebro_dlg_state_t *st,
    const cerebro_dlg_step_t *step, const char *tool_text, int done,
    const cerebro_date_t *today, char *out, size_t size)
{
    int      n;
    cJSON   *date;

    if (size == 0) {
        return 0;
    }

    if (tool_text == NULL || tool_text[0] == '\0') {
        tool_text = "Lo siento, no he podido completar la consulta.";
    }

    if (step->tool == NULL) {
        return cerebro_dlg_copy(out, size, tool_text);
    }

    if (step->tool_id == CEREBRO_TOOL_CREATE) {
        st->confirming = 0;

        if (done) {
            cerebro_dlg_reset_booking(st);
            st->pending = CEREBRO_DLG_PENDING_NONE;

        } else {
            /* the engine proposed other times: the guest picks one */
            st->time[0] = '\0';
            st->asked = CEREBRO_DLG_SLOT_TIME;
        }

        return cerebro_dlg_copy(out, size, tool_text);
    }

    if (step->tool_id == CEREBRO_TOOL_WAITLIST) {
        cerebro_dlg_reset_booking(st);
        st->pending = CEREBRO_DLG_PENDING_NONE;

        return cerebro_dlg_copy(out, size, tool_text);
    }

    if (step->tool_id == CEREBRO_TOOL_CHECK) {
        /* the engine's sentences start "Sí, ..." when there is a table */
        if (strncmp(tool_text, "Sí", sizeof("Sí") - 1) == 0
            && cerebro_dlg_missing(st) == 0)
        {
            /* all is known: read it back, book on the guest's yes */
            st->confirming = 1;
            st->asked = 0;
            return cerebro_dlg_readback(st, today, out, size);
        }

        if (strncmp(tool_text, "Sí", sizeof("Sí") - 1) == 0) {
            st->asked = CEREBRO_DLG_SLOT_NAME;
            n = snprintf(out, size, "%s ¿A nombre de quién hago la "
                         "reserva?", tool_text);
            return (n > 0 && (size_t) n < size) ? (size_t) n : size - 1;
        }

        st->time[0] = '\0';
        st->asked = CEREBRO_DLG_SLOT_TIME;

        return cerebro_dlg_copy(out, size, tool_text);
    }

    if (step->tool_id == CEREBRO_TOOL_CANCEL) {
        date = cJSON_GetObjectItemCaseSensitive(step->args, "date");

        /* several bookings and no date: the tool asks which one */
        st->pending = (!done && !cJSON_IsString(date))
                      ? CEREBRO_DLG_PENDING_CANCEL : CEREBRO_DLG_PENDING_NONE;

        return cerebro_dlg_copy(out, size, tool_text);
    }

    return cerebro_dlg_copy(out, size, tool_text);
}


cJSON *
cerebro_dlg_state_to_json(const cerebro_dlg_state_t *st)
{
    cJSON  *json;

    json = cJSON_CreateObject();
    if (json == NULL) {
        return NULL;
    }

    if (cJSON_AddNumberToObject(json, "booking", st->booking) == NULL
        || cJSON_AddStringToObject(json, "date", st->date) == NULL
        || cJSON_AddStringToObject(json, "time", st->time) == NULL
        || cJSON_AddNumberToObject(json, "party", st->party) == NULL
        || cJSON_AddStringToObject(json, "name", st->name) == NULL
        || cJSON_AddNumberToObject(json, "asked", st->asked) == NULL
        || cJSON_AddNumberToObject(json, "pending", st->pending) == NULL
        || cJSON_AddBoolToObject(json, "confirming", st->confirming != 0)
           == NULL
        || cJSON_AddStringToObject(json, "prefs", st->prefs) == NULL)
    {
        cJSON_Delete(json);
        return NULL;
    }

    return json;
}


void
cerebro_dlg_state_from_json(cerebro_dlg_state_t *st, const cJSON *json)
{
    const cJSON  *item;

    memset(st, 0, sizeof(cerebro_dlg_state_t));

    if (!cJSON_IsObject(json)) {
        return;
    }

    item = cJSON_GetObjectItemCaseSensitive(json, "booking");
    st->booking = cJSON_IsNumber(item) && item->valueint != 0;

    item = cJSON_GetObjectItemCaseSensitive(json, "date");
    if (cJSON_IsString(item) && strlen(item->valuestring) == 10) {
        cerebro_dlg_copy(st->date, sizeof(st->date), item->valuestring);
    }

    item = cJSON_GetObjectItemCaseSensitive(json, "time");
    if (cJSON_IsString(item) && strlen(item->valuestring) < sizeof(st->time))
    {
        cerebro_dlg_copy(st->time, sizeof(st->time), item->valuestring);
    }

    item = cJSON_GetObjectItemCaseSensitive(json, "party");
    if (cJSON_IsNumber(item) && item->valueint > 0
        && item->valueint <= CEREBRO_DLG_MAX_PARTY)
    {
        st->party = item->valueint;
    }

    item = cJSON_GetObjectItemCaseSensitive(json, "name");
    if (cJSON_IsString(item)) {
        cerebro_dlg_copy(st->name, sizeof(st->name), item->valuestring);
    }

    item = cJSON_GetObjectItemCaseSensitive(json, "asked");
    if (cJSON_IsNumber(item)) {
        st->asked = (unsigned) item->valueint & CEREBRO_DLG_SLOTS;
    }

    item = cJSON_GetObjectItemCaseSensitive(json, "pending");
    if (cJSON_IsNumber(item) && item->valueint >= 0
        && item->valueint <= CEREBRO_DLG_PENDING_CHANGE)
    {
        st->pending = (cerebro_dlg_pending_t) item->valueint;
    }

    item = cJSON_GetObjectItemCaseSensitive(json, "confirming");
    st->confirming = cJSON_IsTrue(item);

    item = cJSON_GetObjectItemCaseSensitive(json, "prefs");
    if (cJSON_IsString(item)) {
        cerebro_dlg_copy(st->prefs, sizeof(st->prefs), item->valuestring);
    }
}
