/*
 * Guest-facing Spanish.  Sentences are built by appending to a bounded
 * buffer; anything that came from a guest (a name) passes through a filter
 * that turns control characters into spaces, so no line break ever
 * reaches VAPI or WhatsApp.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cerebro_sentence.h"


typedef struct {
    char    *buf;
    size_t   size;
    size_t   len;
} out_t;


static void out_init(out_t *o, char *buf, size_t size);
static void put(out_t *o, const char *s);
static void putf(out_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put_int(out_t *o, int v, int width);
static void put_date(out_t *o, const cerebro_date_t *d, int ref_year);
static void put_time(out_t *o, int minutes, int with_article);
static void put_party(out_t *o, int party, int table_phrase);
static void put_location(out_t *o, const char *location);
static void put_name(out_t *o, const char *name);
static void put_table_for(out_t *o, int minutes, const char *sep, int party,
    const char *name);
static void put_readback(out_t *o, int capital, const char *name,
    const cerebro_date_t *date, int minutes, int party, int ref_year);


static void
out_init(out_t *o, char *buf, size_t size)
{
    o->buf = buf;
    o->size = size;
    o->len = 0;

    if (size > 0) {
        buf[0] = '\0';
    }
}


static void
put(out_t *o, const char *s)
{
    unsigned char  c;

    for ( ; *s && o->len + 1 < o->size; s++) {
        c = (unsigned char) *s;
        o->buf[o->len++] = (c < 0x20 || c == 0x7f) ? ' ' : (char) c;
    }

    if (o->size > 0) {
        o->buf[o->len] = '\0';
    }
}


static void
putf(out_t *o, const char *fmt, ...)
{
    char     tmp[256];
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);

    put(o, tmp);
}


/*
 * "%d" (width 0) or "%02d" (width 2) without vsnprintf: a time and a party
 * are in nearly every answer, and vsnprintf cost more than the rest of it.
 */
static void
put_int(out_t *o, int v, int width)
{
    char  tmp[16], *p;

    if (v < 0) {
        if (width == 2) {
            putf(o, "%02d", v);

        } else {
            putf(o, "%d", v);
        }

        return;
    }

    p = tmp + sizeof(tmp);
    *--p = '\0';

    do {
        *--p = (char) ('0' + v % 10);
        v /= 10;
        width--;
    } while (v);

    while (width-- > 0) {
        *--p = '0';
    }

    put(o, p);
}


static void
put_date(out_t *o, const cerebro_date_t *d, int ref_year)
{
    char  tmp[64];

    cerebro_date_format_es(tmp, sizeof(tmp), d, ref_year);
    put(o, tmp);
}


/* "a las 21:00", "a la 01:30" (one o'clock is singular in Spanish) */
static void
put_time(out_t *o, int minutes, int with_article)
{
    int  h;

    h = minutes / 60 % 24;

    if (with_article) {
        put(o, h == 1 ? "a la " : "a las ");
    }

    put_int(o, h, 2);
    put(o, ":");
    put_int(o, minutes % 60, 2);
}


static void
put_party(out_t *o, int party, int table_phrase)
{
    if (party == 1) {
        put(o, "una persona");

    } else if (table_phrase) {
        put_int(o, party, 0);

    } else {
        put_int(o, party, 0);
        put(o, " personas");
    }
}


static void
put_location(out_t *o, const char *location)
{
    static const char  *feminine[] = { "sala", "terraza", "barra", "planta",
                                       "zona" };
    size_t              i;

    if (location == NULL || location[0] == '\0') {
        return;
    }

    for (i = 0; i < sizeof(feminine) / sizeof(feminine[0]); i++) {
        if (strncasecmp(location, feminine[i], strlen(feminine[i])) == 0) {
            put(o, " en la ");
            put(o, location);
            return;
        }
    }

    put(o, " en el ");
    put(o, location);
}


static void
put_name(out_t *o, const char *name)
{
    if (name != NULL && name[0] != '\0') {
        put(o, " a nombre de ");
        put(o, name);
    }
}


size_t
cerebro_sentence_available(char *buf, size_t size,
    const cerebro_request_t *req, const cerebro_slot_t *slot, int ref_year)
{
    out_t  o;
    int    asked_place;

    out_init(&o, buf, size);
    asked_place = req->location != NULL && req->location[0] != '\0';

    if (asked_place && !slot->location_match) {
        put(&o, "No nos queda mesa");
        put_location(&o, req->location);
        put(&o, ", pero sí tenemos mesa para ");

    } else {
        put(&o, "Sí, tenemos mesa para ");
    }

    put_party(&o, req->party, 1);
    put(&o, " el ");
    put_date(&o, &slot->date, ref_year);
    put(&o, " ");
    put_time(&o, slot->minutes, 1);
    put_location(&o, slot->location);
    put(&o, ".");

    return o.len;
}


static void
put_reason(out_t *o, const cerebro_restaurant_t *r,
    const cerebro_request_t *req, const cerebro_answer_t *a, int ref_year)
{
    switch (a->reason) {

    case CEREBRO_AVAIL_CLOSED:
        put(o, "Lo siento, el ");
        put_date(o, &req->date, ref_year);

        if (a->day_closed) {
            put(o, " el restaurante está cerrado");

            if (a->special != NULL && a->special->note[0] != '\0') {
                put(o, " por ");
                put(o, a->special->note);
            }

        } else {
            put(o, " ");
            put_time(o, req->minutes, 1);
            put(o, " no tenemos servicio");
        }

        put(o, ".");
        break;

    case CEREBRO_AVAIL_TOO_SOON:
        putf(o, "Lo siento, las reservas se hacen con al menos %d minutos "
             "de antelación.", r->min_lead_minutes);
        break;

    case CEREBRO_AVAIL_TOO_FAR:
        putf(o, "Lo siento, solo aceptamos reservas con hasta %d días de "
             "antelación.", r->max_days_ahead);
        break;

    case CEREBRO_AVAIL_PAST:
        put(o, "Lo siento, el ");
        put_date(o, &req->date, ref_year);
        put(o, " ");
        put_time(o, req->minutes, 1);
        put(o, " ya ha pasado.");
        break;

    default:
        put(o, "Lo siento, el ");
        put_date(o, &req->date, ref_year);
        put(o, " ");
        put_time(o, req->minutes, 1);
        put(o, " no nos queda mesa para ");
        put_party(o, req->party, 1);
        put(o, ".");
    }
}


size_t
cerebro_sentence_alternatives(char *buf, size_t size,
    const cerebro_restaurant_t *r, const cerebro_request_t *req,
    const cerebro_answer_t *a, int ref_year)
{
    int    i, n, same_time;
    out_t  o;

    out_init(&o, buf, size);
    put_reason(&o, r, req, a, ref_year);

    if (a->reason == CEREBRO_AVAIL_TOO_FAR) {
        return o.len;
    }

    if (a->nalts == 0) {
        put(&o, " No encuentro otra hora disponible en los próximos días.");
        return o.len;
    }

    put(&o, " Puedo ofrecerle");

    if (a->nsame > 0) {
        put(&o, " ese día ");

        for (i = 0; i < a->nsame; i++) {
            if (i > 0) {
                put(&o, i == a->nsame - 1 ? " o " : ", ");
            }

            put_time(&o, a->alts[i].minutes, i == 0);
        }
    }

    n = a->nalts - a->nsame;

    if (n > 0) {
        same_time = 1;

        for (i = a->nsame; i < a->nalts; i++) {
            same_time &= a->alts[i].minutes == req->minutes;
        }

        put(&o, a->nsame > 0 ? ", o" : "");

        if (same_time) {
            put(&o, " a la misma hora");
        }

        for (i = a->nsame; i < a->nalts; i++) {
            if (i > a->nsame) {
                put(&o, i == a->nalts - 1 ? " o" : ",");
            }

            put(&o, " el ");
            put_date(&o, &a->alts[i].date, ref_year);

            if (!same_time) {
                put(&o, " ");
                put_time(&o, a->alts[i].minutes, 1);
            }
        }
    }

    put(&o, ". ¿Le viene bien alguna?");

    if (a->reason == CEREBRO_AVAIL_FULL) {
        put(&o, " Si no, puedo apuntarle en la lista de espera y avisarle "
            "por WhatsApp si se libera una mesa.");
    }

    return o.len;
}


size_t
cerebro_sentence_handover(char *buf, size_t size, int party, int max_party)
{
    out_t  o;

    out_init(&o, buf, size);

    if (party > max_party) {
        putf(&o, "Para grupos de más de %d personas la reserva la gestiona "
             "directamente nuestro equipo; le pongo en contacto con una "
             "persona del restaurante.", max_party);

    } else {
        put(&o, "Le pongo en contacto con una persona del restaurante para "
            "ayudarle con su reserva.");
    }

    return o.len;
}


size_t
cerebro_sentence_answer(char *buf, size_t size,
    const cerebro_restaurant_t *r, const cerebro_request_t *req,
    const cerebro_answer_t *a, int ref_year)
{
    out_t  o;

    switch (a->reason) {

    case CEREBRO_AVAIL_OK:
        return cerebro_sentence_available(buf, size, req, &a->slot,
                                          ref_year);

    case CEREBRO_AVAIL_TOO_LARGE:
        return cerebro_sentence_handover(buf, size, req->party,
                                         r->max_party);

    case CEREBRO_AVAIL_INVALID:
        out_init(&o, buf, size);

        if (req->party < 1 || req->party > CEREBRO_MAX_PARTY) {
            put(&o, "Ese número de personas no es válido; ¿para cuántas "
                "personas es la reserva?");

        } else if (!cerebro_date_valid(&req->date)) {
            put(&o, "Esa fecha no existe; ¿qué día quiere venir?");

        } else {
            put(&o, "No he entendido la hora; ¿a qué hora quiere venir?");
        }

        return o.len;

    default:
        return cerebro_sentence_alternatives(buf, size, r, req, a,
                                             ref_year);
    }
}


size_t
cerebro_sentence_booked(char *buf, size_t size, const char *name,
    const cerebro_date_t *date, int minutes, int party, int ref_year)
{
    out_t  o;

    out_init(&o, buf, size);
    put(&o, "Reserva confirmada");
    put_name(&o, name);
    put(&o, " para ");
    put_party(&o, party, 0);
    put(&o, " el ");
    put_date(&o, date, ref_year);
    put(&o, " ");
    put_time(&o, minutes, 1);
    put(&o, ". ¡Le esperamos!");

    return o.len;
}


/* "mesa para 4 el viernes 4 de diciembre a las 21:00 a nombre de Ana" */
static void
put_readback(out_t *o, int capital, const char *name,
    const cerebro_date_t *date, int minutes, int party, int ref_year)
{
    put(o, capital ? "Mesa para " : "mesa para ");
    put_party(o, party, 1);
    put(o, " el ");
    put_date(o, date, ref_year);
    put(o, " ");
    put_time(o, minutes, 1);
    put_name(o, name);
}


size_t
cerebro_sentence_readback(char *buf, size_t size, const char *name,
    const cerebro_date_t *date, int minutes, int party,
    const char *preferences, int ref_year)
{
    out_t  o;

    out_init(&o, buf, size);

    if (preferences != NULL && preferences[0] != '\0') {
        put(&o, "Anoto para sus próximas visitas: ");
        put(&o, preferences);
        put(&o, ". ");
    }

    put(&o, "¿Confirmo ");
    put_readback(&o, 0, name, date, minutes, party, ref_year);
    put(&o, "?");

    return o.len;
}


size_t
cerebro_sentence_read_first(char *buf, size_t size, const char *name,
    const cerebro_date_t *date, int minutes, int party, int ref_year)
{
    out_t  o;

    out_init(&o, buf, size);
    put(&o, "Todavía no he reservado. Antes de reservar, lea al cliente: «");
    put_readback(&o, 1, name, date, minutes, party, ref_year);
    put(&o, "». Si dice que sí, vuelva a llamar a create_reservation con "
        "confirmed=true; si no, pregúntele qué quiere cambiar.");

    return o.len;
}


size_t
cerebro_sentence_next_booking(char *buf, size_t size,
    const cerebro_date_t *date, int minutes, int party, int ref_year)
{
    out_t  o;

    out_init(&o, buf, size);
    put(&o, "para ");
    put_party(&o, party, 0);
    put(&o, " el ");
    put_date(&o, date, ref_year);
    put(&o, " ");
    put_time(&o, minutes, 1);

    return o.len;
}


size_t
cerebro_sentence_caller(char *buf, size_t size, cerebro_caller_kind_t kind,
    const char *name, const cerebro_date_t *date, int minutes, int party,
    const char *preferences, int ref_year, int written)
{
    char   next[160];
    out_t  o;

    out_init(&o, buf, size);

    switch (kind) {

    case CEREBRO_CALLER_SHARED:
        put(&o, written ? "Este número lo usan varios clientes: pregunte "
                          "quién escribe"
                        : "Este número lo usan varios clientes: pregunte "
                          "con quién habla");
        put(&o, " y no diga ningún nombre ni ninguna reserva hasta "
            "saberlo.");
        break;

    case CEREBRO_CALLER_KNOWN:
        if (name != NULL && name[0] != '\0') {
            put(&o, written ? "Escribe " : "Llama ");
            put(&o, name);
            put(&o, ", que ya es cliente: salúdele por su nombre y no le "
                "pregunte el nombre ni el teléfono.");

        } else {
            put(&o, "Este número ya es de un cliente: no le pregunte el "
                "teléfono.");
        }

        if (date != NULL) {
            cerebro_sentence_next_booking(next, sizeof(next), date, minutes,
                                          party, ref_year);
            put(&o, " Su próxima reserva es ");
            put(&o, next);
            put(&o, ".");
        }

        if (preferences != NULL && preferences[0] != '\0') {
            put(&o, " Tiene anotado: ");
            put(&o, preferences);
            put(&o, "; téngalo en cuenta sin que tenga que repetirlo.");
        }

        break;

    default:
        put(&o, "No conocemos este número: pida el nombre para reservar.");
    }

    return o.len;
}


size_t
cerebro_sentence_changed(char *buf, size_t size, const char *name,
    const cerebro_date_t *date, int minutes, int party, int ref_year)
{
    out_t  o;

    out_init(&o, buf, size);
    put(&o, "Listo, he cambiado su reserva");
    put_name(&o, name);
    put(&o, ": ahora es para ");
    put_party(&o, party, 0);
    put(&o, " el ");
    put_date(&o, date, ref_year);
    put(&o, " ");
    put_time(&o, minutes, 1);
    put(&o, ".");

    return o.len;
}


size_t
cerebro_sentence_cancelled(char *buf, size_t size, const char *name,
    const cerebro_date_t *date, int minutes, int ref_year)
{
    out_t  o;

    out_init(&o, buf, size);
    put(&o, "He cancelado su reserva");
    put_name(&o, name);
    put(&o, " del ");
    put_date(&o, date, ref_year);
    put(&o, " ");
    put_time(&o, minutes, 1);
    put(&o, ". Gracias por avisarnos.");

    return o.len;
}


size_t
cerebro_sentence_not_found(char *buf, size_t size, const char *name)
{
    out_t  o;

    out_init(&o, buf, size);

    if (name != NULL && name[0] != '\0') {
        put(&o, "No encuentro ninguna reserva");
        put_name(&o, name);
        put(&o, ".");

    } else {
        put(&o, "No encuentro ninguna reserva con esos datos.");
    }

    put(&o, " ¿Me confirma el nombre y el teléfono con los que reservó?");

    return o.len;
}


/* " a las 21:00, mesa para 4 a nombre de Ana": what the guest booked */
static void
put_table_for(out_t *o, int minutes, const char *sep, int party,
    const char *name)
{
    put(o, " a las ");
    put_time(o, minutes, 0);
    put(o, sep);
    put(o, "mesa para ");
    put_int(o, party, 0);
    put(o, " a nombre de ");
    put(o, name);
}


size_t
cerebro_sentence_confirmation(char *buf, size_t size,
    cerebro_change_kind_t kind, const char *restaurant, const char *name,
    const cerebro_date_t *date, int minutes, int party, int ref_year)
{
    out_t  o;

    out_init(&o, buf, size);

    switch (kind) {

    case CEREBRO_CHANGE_CANCELLED:
        put(&o, "Su reserva en ");
        put(&o, restaurant);
        put(&o, " del ");
        put_date(&o, date, ref_year);
        put(&o, " a las ");
        put_time(&o, minutes, 0);
        put(&o, " a nombre de ");
        put(&o, name);
        put(&o, " ha quedado anulada. Esperamos verle pronto.");
        break;

    case CEREBRO_CHANGE_CHANGED:
        put(&o, "Su reserva en ");
        put(&o, restaurant);
        put(&o, " ha cambiado: el ");
        put_date(&o, date, ref_year);
        put_table_for(&o, minutes, ", ", party, name);
        put(&o, ". Para cualquier cambio, escríbanos por aquí.");
        break;

    default: /* CEREBRO_CHANGE_BOOKED */
        put(&o, "Reserva confirmada en ");
        put(&o, restaurant);
        put(&o, ": el ");
        put_date(&o, date, ref_year);
        put_table_for(&o, minutes, ", ", party, name);
        put(&o, ". Para cambiarla o anularla, escríbanos por aquí.");
    }

    return o.len;
}


size_t
cerebro_sentence_reminder(char *buf, size_t size, const char *restaurant,
    const char *name, const cerebro_date_t *date,
    const cerebro_date_t *today, int minutes, int party)
{
    out_t           o;
    cerebro_date_t  tomorrow;

    tomorrow = cerebro_date_add_days(today, 1);

    out_init(&o, buf, size);
    put(&o, "Le recordamos su reserva en ");
    put(&o, restaurant);

    if (cerebro_date_cmp(date, today) == 0) {
        put(&o, " hoy, ");
        put_date(&o, date, today->year);
        put(&o, ",");

    } else if (cerebro_date_cmp(date, &tomorrow) == 0) {
        put(&o, " mañana, ");
        put_date(&o, date, today->year);
        put(&o, ",");

    } else {
        put(&o, " el ");
        put_date(&o, date, today->year);
    }

    put_table_for(&o, minutes, ": ", party, name);
    put(&o, ". Responda CANCELAR para anular.");

    return o.len;
}


size_t
cerebro_sentence_missing(char *buf, size_t size, unsigned what)
{
    static const struct {
        unsigned     flag;
        const char  *text;
    } parts[] = {
        { CEREBRO_MISSING_DATE,  "qué día" },
        { CEREBRO_MISSING_TIME,  "a qué hora" },
        { CEREBRO_MISSING_PARTY, "para cuántas personas" },
        { CEREBRO_MISSING_NAME,  "a nombre de quién" },
    };
    int       i, n, total;
    out_t     o;

    out_init(&o, buf, size);

    total = 0;
    for (i = 0; i < 4; i++) {
        total += (what & parts[i].flag) != 0;
    }

    if (total == 0 && !(what & CEREBRO_MISSING_PHONE)) {
        return o.len;
    }

    put(&o, "Necesito saber ");

    n = 0;
    for (i = 0; i < 4; i++) {
        if (!(what & parts[i].flag)) {
            continue;
        }

        if (n > 0) {
            put(&o, n == total - 1 ? " y " : ", ");
        }

        put(&o, parts[i].text);
        n++;
    }

    if (total > 0) {
        put(&o, " es la reserva");
    }

    if (what & CEREBRO_MISSING_PHONE) {
        put(&o, total > 0 ? " y un teléfono de contacto"
                          : "un teléfono de contacto para la reserva");
    }

    put(&o, ".");

    return o.len;
}


/* "a las 21:00", or "entre las 20:30 y las 22:00" for a window */
static void
put_window(out_t *o, int from, int to)
{
    if (to <= from) {
        put_time(o, from, 1);
        return;
    }

    put(o, from / 60 % 24 == 1 ? "entre la " : "entre las ");
    put_time(o, from, 0);
    put(o, to / 60 % 24 == 1 ? " y la " : " y las ");
    put_time(o, to, 0);
}


size_t
cerebro_sentence_waitlist_joined(char *buf, size_t size, const char *name,
    const cerebro_date_t *date, int from, int to, int party,
    int hold_minutes, int ref_year)
{
    out_t  o;

    out_init(&o, buf, size);

    put(&o, "Listo, ");
    put(&o, name);
    put(&o, ": queda en la lista de espera para ");
    put_party(&o, party, 0);
    put(&o, " el ");
    put_date(&o, date, ref_year);
    put(&o, " ");
    put_window(&o, from, to);
    put(&o, ". Si se libera una mesa le escribiremos por WhatsApp y tendrá ");
    put_int(&o, hold_minutes, 0);
    put(&o, hold_minutes == 1 ? " minuto" : " minutos");
    put(&o, " para confirmarla. Todavía no es una reserva.");

    return o.len;
}


size_t
cerebro_sentence_waitlist_offer(char *buf, size_t size,
    const char *restaurant, const char *name, const cerebro_date_t *date,
    int minutes, int party, int hold_minutes, int ref_year)
{
    out_t  o;

    out_init(&o, buf, size);

    put(&o, "Hola, ");
    put(&o, name);
    put(&o, ": se ha liberado una mesa en ");
    put(&o, restaurant);
    put(&o, " el ");
    put_date(&o, date, ref_year);
    put(&o, " ");
    put_time(&o, minutes, 1);
    put(&o, ", para ");
    put_party(&o, party, 0);
    put(&o, ". ¿La quiere? Responda SÍ en los próximos ");
    put_int(&o, hold_minutes, 0);
    put(&o, hold_minutes == 1 ? " minuto" : " minutos");
    put(&o, " y es suya, o NO para dejársela a otra persona. Para salir de "
        "la lista de espera, responda BAJA DE LA LISTA.");

    return o.len;
}
