/*
 * cerebro_sentence: the exact Spanish for each outcome, on the demo model
 * with real engine answers; single line, bounded, weekday always present.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cerebro_sentence.h"


static cerebro_restaurant_t  *demo;
static cerebro_booking_t      bk[16];
static int                    nbk;


static int64_t
utc(int y, int mo, int d, int h, int mi)
{
    return cerebro_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}


#define NOW  utc(2026, 11, 20, 10, 0)


static const char *
say(int y, int mo, int d, int h, int mi, int party, const char *loc,
    int64_t now)
{
    static char        buf[512];
    size_t             n;
    cerebro_answer_t   a;
    cerebro_request_t  req;

    req.date = (cerebro_date_t) { y, mo, d };
    req.minutes = h * 60 + mi;
    req.party = party;
    req.location = loc;
    cerebro_engine_query(demo, bk, nbk, now, &req, &a);
    n = cerebro_sentence_answer(buf, sizeof(buf), demo, &req, &a, 2026);

    assert_int_equal(n, strlen(buf));
    assert_null(strchr(buf, '\n'));

    return buf;
}


static void
test_available(void **state)
{
    (void) state;

    nbk = 0;
    assert_string_equal(say(2026, 11, 27, 21, 0, 4, "terraza", NOW),
        "Sí, tenemos mesa para 4 el viernes 27 de noviembre a las 21:00 "
        "en la terraza.");
    assert_string_equal(say(2026, 11, 29, 14, 0, 1, NULL, NOW),
        "Sí, tenemos mesa para una persona el domingo 29 de noviembre a las "
        "14:00 en la sala.");
    assert_string_equal(say(2027, 1, 15, 21, 30, 2, NULL, NOW),
        "Sí, tenemos mesa para 2 el viernes 15 de enero de 2027 a las 21:30 "
        "en la sala.");

    /* the preference could not be met, and the sentence says so */
    bk[0] = (cerebro_booking_t) { utc(2026, 11, 27, 20, 0), 0, 2,
                                  0x3f << 9, CEREBRO_BOOKING_ACTIVE };
    nbk = 1;
    assert_string_equal(say(2026, 11, 27, 21, 0, 2, "terraza", NOW),
        "No nos queda mesa en la terraza, pero sí tenemos mesa para 2 el "
        "viernes 27 de noviembre a las 21:00 en la sala.");
    nbk = 0;
}


static void
test_alternatives(void **state)
{
    uint64_t  all;

    (void) state;

    /* everything taken at 21:00 on Friday the 27th */
    all = ((uint64_t) 1 << demo->ntables) - 1;
    bk[0] = (cerebro_booking_t) { utc(2026, 11, 27, 19, 45), 0, 2, all,
                                  CEREBRO_BOOKING_ACTIVE };
    nbk = 1;
    assert_string_equal(say(2026, 11, 27, 21, 0, 2, NULL, NOW),
        "Lo siento, el viernes 27 de noviembre a las 21:00 no nos queda "
        "mesa para 2. Puedo ofrecerle ese día a las 22:15, 22:30 o 22:45, "
        "o a la misma hora el sábado 28 de noviembre, el martes 1 de "
        "diciembre o el miércoles 2 de diciembre. ¿Le viene bien alguna? "
        "Si no, puedo apuntarle en la lista de espera y avisarle por "
        "WhatsApp si se libera una mesa.");
    nbk = 0;

    assert_string_equal(say(2026, 11, 30, 21, 0, 2, NULL, NOW),
        "Lo siento, el lunes 30 de noviembre el restaurante está cerrado. "
        "Puedo ofrecerle a la misma hora el martes 1 de diciembre, el "
        "miércoles 2 de diciembre o el jueves 3 de diciembre. ¿Le viene "
        "bien alguna?");

    assert_string_equal(say(2026, 11, 27, 18, 0, 2, NULL, NOW),
        "Lo siento, el viernes 27 de noviembre a las 18:00 no tenemos "
        "servicio. Puedo ofrecerle ese día a las 20:00, 20:15 o 20:30. "
        "¿Le viene bien alguna?");

    assert_string_equal(say(2026, 12, 25, 21, 0, 2, NULL,
                            utc(2026, 12, 1, 10, 0)),
        "Lo siento, el viernes 25 de diciembre el restaurante está cerrado "
        "por Navidad. Puedo ofrecerle a la misma hora el sábado 26 de "
        "diciembre, el martes 29 de diciembre o el miércoles 30 de "
        "diciembre. ¿Le viene bien alguna?");

    /* 20:45 on the night itself */
    assert_string_equal(say(2026, 11, 27, 21, 0, 2, NULL,
                            utc(2026, 11, 27, 19, 45)),
        "Lo siento, las reservas se hacen con al menos 30 minutos de "
        "antelación. Puedo ofrecerle ese día a las 21:15, 21:30 o 21:45, "
        "o a la misma hora el sábado 28 de noviembre, el martes 1 de "
        "diciembre o el miércoles 2 de diciembre. ¿Le viene bien alguna?");

    assert_string_equal(say(2026, 11, 26, 21, 0, 2, NULL,
                            utc(2026, 11, 27, 19, 45)),
        "Lo siento, el jueves 26 de noviembre a las 21:00 ya ha pasado. "
        "No encuentro otra hora disponible en los próximos días.");

    assert_string_equal(say(2027, 3, 2, 21, 0, 2, NULL, NOW),
        "Lo siento, solo aceptamos reservas con hasta 60 días de "
        "antelación.");
}


static void
test_handover_invalid(void **state)
{
    (void) state;

    assert_string_equal(say(2026, 11, 27, 21, 0, 12, NULL, NOW),
        "Para grupos de más de 8 personas la reserva la gestiona "
        "directamente nuestro equipo; le pongo en contacto con una persona "
        "del restaurante.");
    assert_string_equal(say(2026, 11, 27, 21, 0, 0, NULL, NOW),
        "Ese número de personas no es válido; ¿para cuántas personas es la "
        "reserva?");
    assert_string_equal(say(2026, 2, 31, 21, 0, 2, NULL, NOW),
        "Esa fecha no existe; ¿qué día quiere venir?");
    assert_string_equal(say(2026, 11, 27, 25, 0, 2, NULL, NOW),
        "No he entendido la hora; ¿a qué hora quiere venir?");
}


static void
test_caller_sentences(void **state)
{
    char            buf[512];
    cerebro_date_t  d = { 2026, 12, 4 };

    (void) state;

    cerebro_sentence_caller(buf, sizeof(buf), CEREBRO_CALLER_KNOWN,
                            "Ana García", &d, 21 * 60, 4, NULL, 2026, 0);
    assert_string_equal(buf, "Llama Ana García, que ya es cliente: salúdele "
                        "por su nombre y no le pregunte el nombre ni el "
                        "teléfono. Su próxima reserva es para 4 personas el "
                        "viernes 4 de diciembre a las 21:00.");

    cerebro_sentence_caller(buf, sizeof(buf), CEREBRO_CALLER_KNOWN, "Ana",
                            NULL, 0, 0, "mesa en terraza", 2026, 0);
    assert_non_null(strstr(buf, "Tiene anotado: mesa en terraza;"));

    cerebro_sentence_caller(buf, sizeof(buf), CEREBRO_CALLER_KNOWN, "Luis",
                            NULL, 0, 0, "", 2026, 0);
    assert_non_null(strstr(buf, "Llama Luis"));
    assert_null(strstr(buf, "reserva"));

    /* a shared number names nobody, whatever it is given */
    cerebro_sentence_caller(buf, sizeof(buf), CEREBRO_CALLER_SHARED, "Ana",
                            &d, 21 * 60, 4, "terraza", 2026, 0);
    assert_null(strstr(buf, "Ana"));
    assert_null(strstr(buf, "diciembre"));
    assert_null(strstr(buf, "terraza"));
    assert_non_null(strstr(buf, "pregunte con quién habla"));

    cerebro_sentence_caller(buf, sizeof(buf), CEREBRO_CALLER_NEW, "Ana",
                            &d, 21 * 60, 4, "terraza", 2026, 0);
    assert_null(strstr(buf, "Ana"));
    assert_null(strstr(buf, "diciembre"));

    /* on WhatsApp the guest writes */
    cerebro_sentence_caller(buf, sizeof(buf), CEREBRO_CALLER_KNOWN, "Ana",
                            &d, 21 * 60, 4, "sin gluten", 2026, 1);
    assert_string_equal(buf, "Escribe Ana, que ya es cliente: salúdele por "
                        "su nombre y no le pregunte el nombre ni el "
                        "teléfono. Su próxima reserva es para 4 personas el "
                        "viernes 4 de diciembre a las 21:00. Tiene anotado: "
                        "sin gluten; téngalo en cuenta sin que tenga que "
                        "repetirlo.");

    cerebro_sentence_caller(buf, sizeof(buf), CEREBRO_CALLER_SHARED, "Ana",
                            &d, 21 * 60, 4, "terraza", 2026, 1);
    assert_null(strstr(buf, "Ana"));
    assert_non_null(strstr(buf, "pregunte quién escribe"));

    /* a stored name cannot break the prompt's line */
    cerebro_sentence_caller(buf, sizeof(buf), CEREBRO_CALLER_KNOWN,
                            "Ana\nGarcía", NULL, 0, 0, "a\nb", 2026, 0);
    assert_null(strchr(buf, '\n'));
}


static void
test_booking_sentences(void **state)
{
    char            buf[256];
    cerebro_date_t  d = { 2026, 11, 27 };
    cerebro_date_t  j = { 2027, 1, 2 };

    (void) state;

    cerebro_sentence_booked(buf, sizeof(buf), "Ana García", &d, 21 * 60, 4,
                            2026);
    assert_string_equal(buf, "Reserva confirmada a nombre de Ana García para "
                        "4 personas el viernes 27 de noviembre a las 21:00. "
                        "¡Le esperamos!");

    cerebro_sentence_booked(buf, sizeof(buf), NULL, &j, 60 + 30, 1, 2026);
    assert_string_equal(buf, "Reserva confirmada para una persona el sábado "
                        "2 de enero de 2027 a la 01:30. ¡Le esperamos!");

    cerebro_sentence_changed(buf, sizeof(buf), "Luis", &d, 21 * 60 + 30, 2,
                             2026);
    assert_string_equal(buf, "Listo, he cambiado su reserva a nombre de "
                        "Luis: ahora es para 2 personas el viernes 27 de "
                        "noviembre a las 21:30.");

    cerebro_sentence_cancelled(buf, sizeof(buf), "Luis", &d, 14 * 60, 2026);
    assert_string_equal(buf, "He cancelado su reserva a nombre de Luis del "
                        "viernes 27 de noviembre a las 14:00. Gracias por "
                        "avisarnos.");

    cerebro_sentence_not_found(buf, sizeof(buf), "Marta");
    assert_string_equal(buf, "No encuentro ninguna reserva a nombre de "
                        "Marta. ¿Me confirma el nombre y el teléfono con los "
                        "que reservó?");
    cerebro_sentence_not_found(buf, sizeof(buf), NULL);
    assert_string_equal(buf, "No encuentro ninguna reserva con esos datos. "
                        "¿Me confirma el nombre y el teléfono con los que "
                        "reservó?");

    /* a guest-supplied name cannot break the line */
    cerebro_sentence_booked(buf, sizeof(buf), "Ana\r\nGarcía", &d, 21 * 60,
                            2, 2026);
    assert_null(strchr(buf, '\n'));
    assert_null(strchr(buf, '\r'));
    assert_non_null(strstr(buf, "Ana  García"));

    /* truncation is safe and reported */
    assert_int_equal(cerebro_sentence_booked(buf, 10, "Ana", &d, 21 * 60, 2,
                                             2026), 9);
    assert_string_equal(buf, "Reserva c");
    assert_int_equal(cerebro_sentence_not_found(buf, 0, "Ana"), 0);
}


/* the WhatsApp confirmations and reminders, whichever channel booked */
static void
test_written_confirmations(void **state)
{
    char            buf[512];
    size_t          n;
    cerebro_date_t  d = { 2026, 11, 27 };
    cerebro_date_t  today = { 2026, 11, 26 };
    cerebro_date_t  later = { 2026, 12, 3 };

    (void) state;

    n = cerebro_sentence_confirmation(buf, sizeof(buf), CEREBRO_CHANGE_BOOKED,
                                      "En Las Nubes", "Ana", &d, 21 * 60, 4,
                                      2026);
    assert_int_equal(n, strlen(buf));
    assert_string_equal(buf, "Reserva confirmada en En Las Nubes: el viernes "
                        "27 de noviembre a las 21:00, mesa para 4 a nombre "
                        "de Ana. Para cambiarla o anularla, escríbanos por "
                        "aquí.");

    cerebro_sentence_confirmation(buf, sizeof(buf), CEREBRO_CHANGE_CHANGED,
                                  "En Las Nubes", "Ana", &d, 13 * 60 + 30, 2,
                                  2026);
    assert_string_equal(buf, "Su reserva en En Las Nubes ha cambiado: el "
                        "viernes 27 de noviembre a las 13:30, mesa para 2 a "
                        "nombre de Ana. Para cualquier cambio, escríbanos "
                        "por aquí.");

    cerebro_sentence_confirmation(buf, sizeof(buf), CEREBRO_CHANGE_CANCELLED,
                                  "En Las Nubes", "Ana", &d, 21 * 60, 4,
                                  2026);
    assert_string_equal(buf, "Su reserva en En Las Nubes del viernes 27 de "
                        "noviembre a las 21:00 a nombre de Ana ha quedado "
                        "anulada. Esperamos verle pronto.");

    cerebro_sentence_reminder(buf, sizeof(buf), "En Las Nubes", "Ana", &d,
                              &d, 21 * 60, 4);
    assert_string_equal(buf, "Le recordamos su reserva en En Las Nubes hoy, "
                        "viernes 27 de noviembre, a las 21:00: mesa para 4 "
                        "a nombre de Ana. Responda CANCELAR para anular.");

    cerebro_sentence_reminder(buf, sizeof(buf), "En Las Nubes", "Ana", &d,
                              &today, 21 * 60, 4);
    assert_string_equal(buf, "Le recordamos su reserva en En Las Nubes "
                        "mañana, viernes 27 de noviembre, a las 21:00: mesa "
                        "para 4 a nombre de Ana. Responda CANCELAR para "
                        "anular.");

    cerebro_sentence_reminder(buf, sizeof(buf), "En Las Nubes", "Ana", &later,
                              &today, 20 * 60, 2);
    assert_string_equal(buf, "Le recordamos su reserva en En Las Nubes el "
                        "jueves 3 de diciembre a las 20:00: mesa para 2 a "
                        "nombre de Ana. Responda CANCELAR para anular.");

    /* bounded, and a guest's name cannot break the message's line */
    n = cerebro_sentence_confirmation(buf, 16, CEREBRO_CHANGE_BOOKED,
                                      "En Las Nubes", "Ana", &d, 21 * 60, 4,
                                      2026);
    assert_int_equal(n, 15);
    assert_int_equal(strlen(buf), 15);

    cerebro_sentence_reminder(buf, sizeof(buf), "En Las Nubes", "A\nB", &d,
                              &d, 21 * 60, 4);
    assert_null(strchr(buf, '\n'));
}


static void
test_waitlist_sentences(void **state)
{
    char            buf[512];
    size_t          n;
    cerebro_date_t  d = { 2026, 12, 4 };

    (void) state;

    n = cerebro_sentence_waitlist_joined(buf, sizeof(buf), "Ana", &d,
                                         21 * 60, 21 * 60, 4, 15, 2026);
    assert_int_equal(n, strlen(buf));
    assert_string_equal(buf, "Listo, Ana: queda en la lista de espera para "
                        "4 personas el viernes 4 de diciembre a las 21:00. "
                        "Si se libera una mesa le escribiremos por WhatsApp "
                        "y tendrá 15 minutos para confirmarla. Todavía no "
                        "es una reserva.");

    /* a window, and one o'clock singular */
    cerebro_sentence_waitlist_joined(buf, sizeof(buf), "Luis", &d,
                                     13 * 60 + 30, 15 * 60, 1, 1, 2026);
    assert_string_equal(buf, "Listo, Luis: queda en la lista de espera para "
                        "una persona el viernes 4 de diciembre entre las "
                        "13:30 y las 15:00. Si se libera una mesa le "
                        "escribiremos por WhatsApp y tendrá 1 minuto para "
                        "confirmarla. Todavía no es una reserva.");

    n = cerebro_sentence_waitlist_offer(buf, sizeof(buf), "En Las Nubes",
                                        "Ana", &d, 21 * 60, 4, 15, 2026);
    assert_int_equal(n, strlen(buf));
    assert_string_equal(buf, "Hola, Ana: se ha liberado una mesa en En Las "
                        "Nubes el viernes 4 de diciembre a las 21:00, para "
                        "4 personas. ¿La quiere? Responda SÍ en los "
                        "próximos 15 minutos y es suya, o NO para dejársela "
                        "a otra persona. Para salir de la lista de espera, "
                        "responda BAJA DE LA LISTA.");

    /* cut safely, never past the buffer */
    n = cerebro_sentence_waitlist_offer(buf, 20, "En Las Nubes", "Ana", &d,
                                        21 * 60, 4, 15, 2026);
    assert_true(n < 20);
    assert_int_equal(n, strlen(buf));
}


static void
test_missing(void **state)
{
    char  buf[256];

    (void) state;

    cerebro_sentence_missing(buf, sizeof(buf), CEREBRO_MISSING_PARTY);
    assert_string_equal(buf,
        "Necesito saber para cuántas personas es la reserva.");

    cerebro_sentence_missing(buf, sizeof(buf), CEREBRO_MISSING_DATE
                             | CEREBRO_MISSING_TIME | CEREBRO_MISSING_PARTY);
    assert_string_equal(buf, "Necesito saber qué día, a qué hora y para "
                        "cuántas personas es la reserva.");

    cerebro_sentence_missing(buf, sizeof(buf), CEREBRO_MISSING_NAME
                             | CEREBRO_MISSING_PHONE);
    assert_string_equal(buf, "Necesito saber a nombre de quién es la reserva "
                        "y un teléfono de contacto.");

    cerebro_sentence_missing(buf, sizeof(buf), CEREBRO_MISSING_PHONE);
    assert_string_equal(buf, "Necesito saber un teléfono de contacto para la "
                        "reserva.");

    assert_int_equal(cerebro_sentence_missing(buf, sizeof(buf), 0), 0);
    assert_string_equal(buf, "");
}


static void
test_readback(void **state)
{
    char            buf[512];
    cerebro_date_t  d = { 2026, 12, 4 };

    (void) state;

    cerebro_sentence_readback(buf, sizeof(buf), "Ana", &d, 21 * 60, 4, NULL,
                              2026);
    assert_string_equal(buf, "¿Confirmo mesa para 4 el viernes 4 de "
                        "diciembre a las 21:00 a nombre de Ana?");

    cerebro_sentence_readback(buf, sizeof(buf), "Ana", &d, 60, 1,
                              "siempre en terraza", 2026);
    assert_string_equal(buf, "Anoto para sus próximas visitas: siempre en "
                        "terraza. ¿Confirmo mesa para una persona el "
                        "viernes 4 de diciembre a la 01:00 a nombre de "
                        "Ana?");

    cerebro_sentence_read_first(buf, sizeof(buf), "Ana", &d, 21 * 60, 4,
                                2026);
    assert_string_equal(buf, "Todavía no he reservado. Antes de reservar, "
                        "lea al cliente: «Mesa para 4 el viernes 4 de "
                        "diciembre a las 21:00 a nombre de Ana». Si dice "
                        "que sí, vuelva a llamar a create_reservation con "
                        "confirmed=true; si no, pregúntele qué quiere "
                        "cambiar.");

    /* a guest's words never break the line */
    cerebro_sentence_readback(buf, sizeof(buf), "Ana\nGil", &d, 21 * 60, 2,
                              "sin\rgluten", 2026);
    assert_null(strchr(buf, '\n'));
    assert_null(strchr(buf, '\r'));

    /* cut, never past the buffer */
    assert_true(cerebro_sentence_read_first(buf, 20, "Ana", &d, 21 * 60, 4,
                                            2026) < 20);
}


int
main(void)
{
    char    *json, err[256];
    size_t   len;
    FILE    *f;
    int      rc;

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_available),
        cmocka_unit_test(test_alternatives),
        cmocka_unit_test(test_handover_invalid),
        cmocka_unit_test(test_booking_sentences),
        cmocka_unit_test(test_caller_sentences),
        cmocka_unit_test(test_written_confirmations),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_waitlist_sentences),
        cmocka_unit_test(test_readback),
    };

    f = fopen("conf/restaurant.json", "rb");
    if (f == NULL) {
        fprintf(stderr, "run from the repository root\n");
        return 1;
    }

    json = malloc(1 << 20);
    len = fread(json, 1, 1 << 20, f);
    fclose(f);
    demo = cerebro_restaurant_load(json, len, NULL, err, sizeof(err));
    free(json);

    if (demo == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }

    rc = cmocka_run_group_tests(tests, NULL, NULL);
    cerebro_restaurant_free(demo);

    return rc;
}
