/* The rule-based WhatsApp dialogue: intents, slots, steps. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cerebro_dialogue.h"
#include "cerebro_spanish.h"


/* a Wednesday */
static const cerebro_date_t  today = { 2026, 11, 25 };


#define S(s)  s, sizeof(s) - 1


static void
test_intents(void **state)
{
    static const struct {
        const char            *text;
        cerebro_dlg_intent_t   intent;
    } cases[] = {
        { "STOP", CEREBRO_DLG_STOP },
        { "  baja. ", CEREBRO_DLG_STOP },
        { "Baja", CEREBRO_DLG_STOP },
        { "ALTA", CEREBRO_DLG_START },
        { "start", CEREBRO_DLG_START },
        { "me doy de baja del gimnasio y quiero mesa", CEREBRO_DLG_BOOK },
        { "¿Tenéis mesa para 4 mañana a las 21:00?", CEREBRO_DLG_BOOK },
        { "Quiero reservar", CEREBRO_DLG_BOOK },
        { "Hola, quería hacer una reserva", CEREBRO_DLG_BOOK },
        { "CANCELAR", CEREBRO_DLG_CANCEL },
        { "quiero cancelar mi reserva", CEREBRO_DLG_CANCEL },
        { "Anula la reserva del sábado", CEREBRO_DLG_CANCEL },
        { "¿Puedo cambiar la hora de mi reserva?", CEREBRO_DLG_CHANGE },
        { "¿Tengo alguna reserva?", CEREBRO_DLG_CHECK },
        { "quiero ver mi reserva", CEREBRO_DLG_CHECK },
        { "¿A qué hora abrís el domingo?", CEREBRO_DLG_HOURS },
        { "¿Cuál es el horario?", CEREBRO_DLG_HOURS },
        { "¿Dónde estáis?", CEREBRO_DLG_ADDRESS },
        { "Dirección por favor", CEREBRO_DLG_ADDRESS },
        { "¿Hay aparcamiento?", CEREBRO_DLG_INFO },
        { "¿Tenéis menú sin gluten?", CEREBRO_DLG_INFO },
        { "Quiero hablar con una persona", CEREBRO_DLG_HUMAN },
        { "Hola", CEREBRO_DLG_GREETING },
        { "Buenas tardes", CEREBRO_DLG_GREETING },
        { "ayuda", CEREBRO_DLG_HELP },
        { "Muchas gracias!", CEREBRO_DLG_THANKS },
        { "Sí", CEREBRO_DLG_YES },
        { "vale", CEREBRO_DLG_YES },
        { "no", CEREBRO_DLG_NO },
        { "BAJA DE LA LISTA", CEREBRO_DLG_LEAVE_LIST },
        { "baja de la lista de espera.", CEREBRO_DLG_LEAVE_LIST },
        { "Apúnteme en la lista de espera", CEREBRO_DLG_WAITLIST },
        { "Sí, confirmo", CEREBRO_DLG_YES },
        { "sí, claro", CEREBRO_DLG_YES },
        { "a nombre de Ana", CEREBRO_DLG_NONE },
        { "", CEREBRO_DLG_NONE },
    };

    size_t  i;

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (cerebro_dlg_intent(cases[i].text, strlen(cases[i].text))
            != cases[i].intent)
        {
            fail_msg("\"%s\": %s, expected %s", cases[i].text,
                     cerebro_dlg_intent_name(cerebro_dlg_intent(
                         cases[i].text, strlen(cases[i].text))),
                     cerebro_dlg_intent_name(cases[i].intent));
        }
    }
}


static void
test_party(void **state)
{
    (void) state;

    assert_int_equal(cerebro_dlg_party(S("para 4"), 0), 4);
    assert_int_equal(cerebro_dlg_party(S("Mesa para cuatro"), 0), 4);
    assert_int_equal(cerebro_dlg_party(S("somos 6 mañana"), 0), 6);
    assert_int_equal(cerebro_dlg_party(S("seremos dos"), 0), 2);
    assert_int_equal(cerebro_dlg_party(S("8 personas el sábado"), 0), 8);
    assert_int_equal(cerebro_dlg_party(S("tres comensales"), 0), 3);
    assert_int_equal(cerebro_dlg_party(
                         S("¿Tenéis mesa para 4 mañana a las 21:00?"), 0), 4);
    /* dates and hours are not party sizes */
    assert_int_equal(cerebro_dlg_party(S("para el 28 de noviembre"), 0), 0);
    assert_int_equal(cerebro_dlg_party(S("para 28 de noviembre"), 0), 0);
    assert_int_equal(cerebro_dlg_party(S("para las 9"), 0), 0);
    assert_int_equal(cerebro_dlg_party(S("para 21:00"), 0), 0);
    assert_int_equal(cerebro_dlg_party(S("a las 21h"), 0), 0);
    /* a bare number only as the answer to "¿cuántos?" */
    assert_int_equal(cerebro_dlg_party(S("5"), 0), 0);
    assert_int_equal(cerebro_dlg_party(S("5"), 1), 5);
    assert_int_equal(cerebro_dlg_party(S(" cinco. "), 1), 5);
    assert_int_equal(cerebro_dlg_party(S("5 o 6"), 1), 0);
    assert_int_equal(cerebro_dlg_party(S("para 0"), 0), 0);
    assert_int_equal(cerebro_dlg_party(S("para 9999"), 0), 0);
}


static void
test_name(void **state)
{
    char  out[CEREBRO_DLG_NAME_LEN];

    (void) state;

    assert_true(cerebro_dlg_name(S("a nombre de Ana"), 0, out, sizeof(out))
                > 0);
    assert_string_equal(out, "Ana");

    assert_true(cerebro_dlg_name(S("A nombre de José Ramírez, gracias"), 0,
                                 out, sizeof(out)) > 0);
    assert_string_equal(out, "José Ramírez");

    assert_true(cerebro_dlg_name(S("me llamo ana para el sábado"), 0, out,
                                 sizeof(out)) > 0);
    assert_string_equal(out, "Ana");

    assert_true(cerebro_dlg_name(S("Íñigo"), 1, out, sizeof(out)) > 0);
    assert_string_equal(out, "Íñigo");

    assert_true(cerebro_dlg_name(S("maría luisa"), 1, out, sizeof(out)) > 0);
    assert_string_equal(out, "María luisa");

    /* not names */
    assert_int_equal(cerebro_dlg_name(S("Ana"), 0, out, sizeof(out)), 0);
    assert_int_equal(cerebro_dlg_name(S("hola"), 1, out, sizeof(out)), 0);
    assert_int_equal(cerebro_dlg_name(S("a las 9"), 1, out, sizeof(out)), 0);
    assert_int_equal(cerebro_dlg_name(S("para 4"), 1, out, sizeof(out)), 0);
    assert_int_equal(cerebro_dlg_name(
                         S("quiero una mesa grande junto a la ventana"), 1,
                         out, sizeof(out)), 0);

    /* cut to the buffer */
    assert_true(cerebro_dlg_name(S("a nombre de Maximiliano"), 0, out, 5)
                == 4);
    assert_string_equal(out, "Maxi");
}


static void
test_fold(void **state)
{
    char  out[64];

    (void) state;

    assert_int_equal(cerebro_dlg_fold(S("¿Tenéis MESA, mañana?"), out,
                                      sizeof(out)),
                     strlen(" teneis mesa manana "));
    assert_string_equal(out, " teneis mesa manana ");

    cerebro_dlg_fold(S(""), out, sizeof(out));
    assert_string_equal(out, " ");

    /* never past the buffer */
    cerebro_dlg_fold(S("abcdefghij"), out, 6);
    assert_true(strlen(out) < 6);
}


static void
step(cerebro_dlg_state_t *st, const char *text, cerebro_dlg_step_t *out)
{
    assert_int_equal(cerebro_dlg_step(st, text, strlen(text), &today,
                                      "En Las Nubes", out), 0);
}


/* "para 4" ... "mañana" ... "a las 9" ... "a nombre de Ana" */
static void
test_booking_over_four_messages(void **state)
{
    char                 reply[CEREBRO_DLG_TEXT_LEN];
    cJSON               *arg;
    cerebro_dlg_step_t   s;
    cerebro_dlg_state_t  st;

    (void) state;

    memset(&st, 0, sizeof(st));

    step(&st, "Hola, quiero reservar para 4", &s);
    assert_int_equal(s.action, CEREBRO_DLG_REPLY);
    assert_int_equal(st.party, 4);
    assert_non_null(strstr(s.text, "mesa para 4"));
    assert_non_null(strstr(s.text, "qué día"));
    assert_non_null(strstr(s.text, "hora"));

    step(&st, "mañana", &s);
    assert_int_equal(s.action, CEREBRO_DLG_REPLY);
    assert_string_equal(st.date, "2026-11-26");
    assert_non_null(strstr(s.text, "jueves 26 de noviembre"));
    assert_non_null(strstr(s.text, "hora"));
    assert_null(strstr(s.text, "qué día"));

    step(&st, "a las 9", &s);
    assert_int_equal(s.action, CEREBRO_DLG_TOOL);
    assert_string_equal(s.tool, "check_availability");
    assert_string_equal(st.time, "9:00");     /* the engine picks 21:00 */
    arg = cJSON_GetObjectItem(s.args, "party_size");
    assert_true(cJSON_IsNumber(arg) && arg->valueint == 4);

    cerebro_dlg_after_tool(&st, &s, "Sí, hay mesa para 4 el jueves 26 de "
                           "noviembre a las 21:00.", 0, &today, reply,
                           sizeof(reply));
    cJSON_Delete(s.args);
    assert_non_null(strstr(reply, "Sí, hay mesa"));
    assert_non_null(strstr(reply, "¿A nombre de quién"));
    assert_int_equal(st.asked, CEREBRO_DLG_SLOT_NAME);

    /* all known: the table asked again, then the booking read back */
    step(&st, "a nombre de Ana", &s);
    assert_int_equal(s.action, CEREBRO_DLG_TOOL);
    assert_string_equal(s.tool, "check_availability");
    strcpy(st.time, "21:00");                 /* as the tool read "9" */
    cerebro_dlg_after_tool(&st, &s, "Sí, hay mesa para 4 el jueves 26 de "
                           "noviembre a las 21:00.", 0, &today, reply,
                           sizeof(reply));
    cJSON_Delete(s.args);
    assert_string_equal(reply, "¿Confirmo mesa para 4 el jueves 26 de "
                        "noviembre a las 21:00 a nombre de Ana?");
    assert_true(st.confirming);

    step(&st, "Sí", &s);
    assert_int_equal(s.action, CEREBRO_DLG_TOOL);
    assert_string_equal(s.tool, "create_reservation");
    assert_string_equal(cJSON_GetObjectItem(s.args, "name")->valuestring,
                        "Ana");
    assert_string_equal(cJSON_GetObjectItem(s.args, "date")->valuestring,
                        "2026-11-26");
    assert_string_equal(cJSON_GetObjectItem(s.args, "time")->valuestring,
                        "21:00");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(s.args, "confirmed")));
    assert_null(cJSON_GetObjectItem(s.args, "preferences"));

    cerebro_dlg_after_tool(&st, &s, "Reservado.", 1, &today, reply,
                           sizeof(reply));
    cJSON_Delete(s.args);
    assert_string_equal(reply, "Reservado.");
    assert_int_equal(st.booking, 0);
    assert_int_equal(st.party, 0);
    assert_string_equal(st.date, "");
    /* the name is remembered for the next booking */
    assert_string_equal(st.name, "Ana");
}


static void
test_booking_in_one_message_then_bare_name(void **state)
{
    char                 reply[CEREBRO_DLG_TEXT_LEN];
    cerebro_dlg_step_t   s;
    cerebro_dlg_state_t  st;

    (void) state;

    memset(&st, 0, sizeof(st));

    step(&st, "¿Tenéis mesa para 4 mañana a las 21:00?", &s);
    assert_int_equal(s.action, CEREBRO_DLG_TOOL);
    assert_string_equal(s.tool, "check_availability");
    assert_string_equal(st.time, "21:00");
    assert_int_equal(st.party, 4);

    /* no table: the time is asked again, the rest kept */
    cerebro_dlg_after_tool(&st, &s, "Lo siento, a las 21:00 no hay mesa; "
                           "puedo ofrecerle las 22:00.", 0, &today, reply,
                           sizeof(reply));
    cJSON_Delete(s.args);
    assert_string_equal(st.time, "");
    assert_int_equal(st.party, 4);

    step(&st, "vale, a las 22:00", &s);
    assert_int_equal(s.action, CEREBRO_DLG_TOOL);
    assert_string_equal(s.tool, "check_availability");
    cerebro_dlg_after_tool(&st, &s, "Sí, hay mesa.", 0, &today, reply,
                           sizeof(reply));
    cJSON_Delete(s.args);

    step(&st, "Íñigo", &s);
    assert_int_equal(s.action, CEREBRO_DLG_TOOL);
    assert_string_equal(s.tool, "check_availability");
    cerebro_dlg_after_tool(&st, &s, "Sí, hay mesa.", 0, &today, reply,
                           sizeof(reply));
    cJSON_Delete(s.args);
    assert_string_equal(reply, "¿Confirmo mesa para 4 el jueves 26 de "
                        "noviembre a las 22:00 a nombre de Íñigo?");

    step(&st, "si, confirmo", &s);
    assert_int_equal(s.action, CEREBRO_DLG_TOOL);
    assert_string_equal(s.tool, "create_reservation");
    assert_string_equal(cJSON_GetObjectItem(s.args, "name")->valuestring,
                        "Íñigo");
    assert_string_equal(cJSON_GetObjectItem(s.args, "time")->valuestring,
                        "22:00");
    cJSON_Delete(s.args);
}


/* the state as the channel keeps it between two messages */
static void
step_kept(cerebro_dlg_state_t *st, const char *text, cerebro_dlg_step_t *out)
{
    cJSON  *json;

    json = cerebro_dlg_state_to_json(st);
    assert_non_null(json);
    cerebro_dlg_state_from_json(st, json);
    cJSON_Delete(json);

    step(st, text, out);
}


static void
read_back(cerebro_dlg_state_t *st, cerebro_dlg_step_t *s, char *reply,
    size_t size)
{
    assert_int_equal(s->action, CEREBRO_DLG_TOOL);
    assert_string_equal(s->tool, "check_availability");
    cerebro_dlg_after_tool(st, s, "Sí, tenemos mesa.", 0, &today, reply,
                           size);
    cJSON_Delete(s->args);
    s->args = NULL;
}


static void
test_readback_books_only_on_yes(void **state)
{
    char                 reply[CEREBRO_DLG_TEXT_LEN];
    cerebro_dlg_step_t   s;
    cerebro_dlg_state_t  st;

    static const char  *not_yes[] = {
        "hmm", "gracias", "¿Y tenéis terraza?", "a nombre de", NULL
    };
    static const char  *yes[] = {
        "sí", "Si", "vale", "ok", "confirmo", "Sí, confirmo", "sí claro",
        "de acuerdo", "perfecto", "Correcto", NULL
    };

    int  i;

    (void) state;

    for (i = 0; yes[i]; i++) {
        memset(&st, 0, sizeof(st));
        step(&st, "mesa para 4 el viernes a las 21:00 a nombre de Ana", &s);
        read_back(&st, &s, reply, sizeof(reply));
        assert_string_equal(reply, "¿Confirmo mesa para 4 el viernes 27 de "
                            "noviembre a las 21:00 a nombre de Ana?");

        step_kept(&st, yes[i], &s);
        assert_int_equal(s.action, CEREBRO_DLG_TOOL);
        assert_string_equal(s.tool, "create_reservation");
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(s.args, "confirmed")));
        cJSON_Delete(s.args);
    }

    /* anything but a yes or a no: nothing booked, the question again */
    for (i = 0; not_yes[i]; i++) {
        memset(&st, 0, sizeof(st));
        step(&st, "mesa para 4 el viernes a las 21:00 a nombre de Ana", &s);
        read_back(&st, &s, reply, sizeof(reply));

        step_kept(&st, not_yes[i], &s);
        if (s.action == CEREBRO_DLG_TOOL) {
            assert_string_not_equal(s.tool, "create_reservation");
            cJSON_Delete(s.args);
        }
        assert_true(st.confirming);
    }

    memset(&st, 0, sizeof(st));
    step(&st, "mesa para 4 el viernes a las 21:00 a nombre de Ana", &s);
    read_back(&st, &s, reply, sizeof(reply));
    step_kept(&st, "hmm", &s);
    assert_int_equal(s.action, CEREBRO_DLG_REPLY);
    assert_string_equal(s.text, reply);
}


static void
test_readback_no_lets_the_guest_change(void **state)
{
    char                 reply[CEREBRO_DLG_TEXT_LEN];
    cerebro_dlg_step_t   s;
    cerebro_dlg_state_t  st;

    (void) state;

    memset(&st, 0, sizeof(st));
    step(&st, "mesa para 4 el viernes a las 21:00 a nombre de Ana", &s);
    read_back(&st, &s, reply, sizeof(reply));

    step_kept(&st, "no", &s);
    assert_int_equal(s.action, CEREBRO_DLG_REPLY);
    assert_non_null(strstr(s.text, "todavía no la reservo"));
    assert_false(st.confirming);
    assert_int_equal(st.booking, 1);
    assert_int_equal(st.party, 4);

    /* a yes now confirms nothing: it was not asked */
    step_kept(&st, "sí", &s);
    if (s.action == CEREBRO_DLG_TOOL) {
        assert_string_not_equal(s.tool, "create_reservation");
        cJSON_Delete(s.args);
    }

    /* a change is read back again before it books */
    memset(&st, 0, sizeof(st));
    step(&st, "mesa para 4 el viernes a las 21:00 a nombre de Ana", &s);
    read_back(&st, &s, reply, sizeof(reply));
    step_kept(&st, "no", &s);
    step_kept(&st, "mejor a las 22:00", &s);
    read_back(&st, &s, reply, sizeof(reply));
    assert_string_equal(reply, "¿Confirmo mesa para 4 el viernes 27 de "
                        "noviembre a las 22:00 a nombre de Ana?");

    /* a new slot while the read-back waits also asks again */
    step_kept(&st, "somos 5", &s);
    assert_false(st.confirming);
    read_back(&st, &s, reply, sizeof(reply));
    assert_non_null(strstr(reply, "mesa para 5"));

    step_kept(&st, "vale", &s);
    assert_string_equal(s.tool, "create_reservation");
    assert_int_equal(cJSON_GetObjectItem(s.args, "party_size")->valueint, 5);
    cerebro_dlg_after_tool(&st, &s, "Reserva confirmada.", 1, &today, reply,
                           sizeof(reply));
    cJSON_Delete(s.args);
    assert_false(st.confirming);
    assert_int_equal(st.booking, 0);

    /* another subject in between: the yes after it books nothing */
    memset(&st, 0, sizeof(st));
    step(&st, "mesa para 4 el viernes a las 21:00 a nombre de Ana", &s);
    read_back(&st, &s, reply, sizeof(reply));
    step_kept(&st, "¿Dónde estáis?", &s);
    assert_string_equal(s.tool, "get_restaurant_info");
    cJSON_Delete(s.args);
    assert_false(st.confirming);
    step_kept(&st, "sí", &s);
    read_back(&st, &s, reply, sizeof(reply));
    assert_true(st.confirming);

    /* a second no, not after a read-back, drops the booking */
    memset(&st, 0, sizeof(st));
    step(&st, "mesa para 4 el viernes a las 21:00 a nombre de Ana", &s);
    read_back(&st, &s, reply, sizeof(reply));
    step_kept(&st, "no", &s);
    step_kept(&st, "no", &s);
    assert_non_null(strstr(s.text, "no hago la reserva"));
    assert_int_equal(st.booking, 0);
}


static void
test_preferences(void **state)
{
    char                 out[CEREBRO_DLG_PREFS_LEN];
    char                 reply[CEREBRO_DLG_TEXT_LEN];
    cerebro_dlg_step_t   s;
    cerebro_dlg_state_t  st;

    static const struct {
        const char  *text;
        const char  *pref;
    } cases[] = {
        { "mesa para 4 el viernes, siempre en terraza", "siempre en terraza" },
        { "Siempre en la terraza por favor", "Siempre en la terraza por "
                                             "favor" },
        { "soy celíaca", "soy celíaca" },
        { "somos 2. Mi marido tiene alergia al marisco",
          "Mi marido tiene alergia al marisco" },
        { "Soy alérgico a los frutos secos, a las 21:00",
          "Soy alérgico a los frutos secos" },
        { "¿Tenéis menú para alérgicos al gluten?", "" },
        { "tenéis algo para celíacos? soy celíaca", "soy celíaca" },
        { "como siempre", "" },
        { "lo de siempre.", "" },
        { "mesa para 2 mañana", "" },
        { "", "" },
    };

    size_t  i;

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cerebro_dlg_preference(cases[i].text, strlen(cases[i].text), out,
                               sizeof(out));
        assert_string_equal(out, cases[i].pref);
    }

    /* never past the buffer, nor inside a character */
    assert_true(cerebro_dlg_preference(S("siempre en la terraza"), out, 12)
                < 12);
    assert_string_equal(out, "siempre en ");
    assert_int_equal(cerebro_dlg_preference(S("soy celíaca"), out, 9), 7);
    assert_string_equal(out, "soy cel");

    /* stated with the booking: read back, sent with the create */
    memset(&st, 0, sizeof(st));
    step(&st, "mesa para 4 el viernes a las 21:00 a nombre de Ana, siempre "
         "en terraza", &s);
    read_back(&st, &s, reply, sizeof(reply));
    assert_string_equal(reply, "Anoto para sus próximas visitas: siempre "
                        "en terraza. ¿Confirmo mesa para 4 el viernes 27 de "
                        "noviembre a las 21:00 a nombre de Ana?");
    step_kept(&st, "sí", &s);
    assert_string_equal(s.tool, "create_reservation");
    assert_string_equal(
        cJSON_GetObjectItem(s.args, "preferences")->valuestring,
        "siempre en terraza");
    cerebro_dlg_after_tool(&st, &s, "Reserva confirmada.", 1, &today, reply,
                           sizeof(reply));
    cJSON_Delete(s.args);
    assert_string_equal(st.prefs, "");

    /* an allergy said while booking is for the booking, not a question */
    memset(&st, 0, sizeof(st));
    step(&st, "mesa para 2 el viernes a las 21:00", &s);
    cJSON_Delete(s.args);
    step_kept(&st, "soy alérgica al marisco", &s);
    assert_int_equal(s.action, CEREBRO_DLG_REPLY);
    assert_string_equal(st.prefs, "soy alérgica al marisco");
    assert_non_null(strstr(s.text, "nombre"));

    /* not booking: the same words ask about allergens */
    memset(&st, 0, sizeof(st));
    step(&st, "soy alérgica al marisco", &s);
    assert_string_equal(s.tool, "get_restaurant_info");
    cJSON_Delete(s.args);
    assert_string_equal(st.prefs, "");
}


static void
test_past_date_is_refused(void **state)
{
    cerebro_dlg_step_t   s;
    cerebro_dlg_state_t  st;

    (void) state;

    memset(&st, 0, sizeof(st));

    step(&st, "mesa para 2 ayer a las 21:00", &s);
    assert_int_equal(s.action, CEREBRO_DLG_REPLY);
    /* the day understood is named */
    assert_non_null(strstr(s.text, "Ayer fue"));
    assert_string_equal(st.date, "");
    assert_int_equal(st.party, 2);
}


static void
test_other_steps(void **state)
{
    char                 reply[CEREBRO_DLG_TEXT_LEN];
    cerebro_dlg_step_t   s;
    cerebro_dlg_state_t  st;

    (void) state;

    memset(&st, 0, sizeof(st));

    step(&st, "Hola", &s);
    assert_int_equal(s.action, CEREBRO_DLG_REPLY);
    assert_non_null(strstr(s.text, "En Las Nubes"));

    step(&st, "¿A qué hora abrís?", &s);
    assert_string_equal(s.tool, "get_restaurant_info");
    assert_string_equal(cJSON_GetObjectItem(s.args, "topic")->valuestring,
                        "horario");
    cJSON_Delete(s.args);

    step(&st, "¿Dónde estáis?", &s);
    assert_string_equal(cJSON_GetObjectItem(s.args, "topic")->valuestring,
                        "dirección");
    cJSON_Delete(s.args);

    step(&st, "¿tengo alguna reserva?", &s);
    assert_string_equal(s.tool, "find_reservations");
    cJSON_Delete(s.args);

    /* cancel: the tool asks which; the next message's date answers it */
    step(&st, "CANCELAR", &s);
    assert_string_equal(s.tool, "cancel_reservation");
    assert_null(cJSON_GetObjectItem(s.args, "date"));
    cerebro_dlg_after_tool(&st, &s, "Tiene dos reservas, ¿cuál?", 0, &today,
                           reply, sizeof(reply));
    cJSON_Delete(s.args);
    assert_int_equal(st.pending, CEREBRO_DLG_PENDING_CANCEL);

    step(&st, "la del sábado", &s);
    assert_string_equal(s.tool, "cancel_reservation");
    assert_string_equal(cJSON_GetObjectItem(s.args, "date")->valuestring,
                        "2026-11-28");
    cerebro_dlg_after_tool(&st, &s, "Cancelada.", 1, &today, reply,
                           sizeof(reply));
    cJSON_Delete(s.args);
    assert_int_equal(st.pending, CEREBRO_DLG_PENDING_NONE);

    step(&st, "quiero cambiar mi reserva", &s);
    assert_int_equal(s.action, CEREBRO_DLG_REPLY);
    assert_int_equal(st.pending, CEREBRO_DLG_PENDING_CHANGE);

    step(&st, "a las 22:00", &s);
    assert_string_equal(s.tool, "modify_reservation");
    assert_string_equal(cJSON_GetObjectItem(s.args, "new_time")->valuestring,
                        "22:00");
    cJSON_Delete(s.args);

    step(&st, "quiero hablar con una persona", &s);
    assert_string_equal(s.tool, "transfer_to_human");
    cJSON_Delete(s.args);

    step(&st, "blablá", &s);
    assert_int_equal(s.action, CEREBRO_DLG_REPLY);
    assert_non_null(strstr(s.text, "no le he entendido"));
}


static void
test_state_json_round_trip(void **state)
{
    cJSON                *json;
    cerebro_dlg_state_t   st, back;

    (void) state;

    memset(&st, 0, sizeof(st));
    st.booking = 1;
    strcpy(st.date, "2026-11-28");
    strcpy(st.time, "9:30");
    st.party = 4;
    strcpy(st.name, "Ana");
    st.asked = CEREBRO_DLG_SLOT_NAME;
    st.pending = CEREBRO_DLG_PENDING_CANCEL;
    st.confirming = 1;
    strcpy(st.prefs, "siempre en terraza");

    json = cerebro_dlg_state_to_json(&st);
    assert_non_null(json);
    cerebro_dlg_state_from_json(&back, json);
    cJSON_Delete(json);

    assert_memory_equal(&st, &back, sizeof(st));

    /* garbage is an empty state, never a crash */
    json = cJSON_Parse("{\"party\":-3,\"date\":7,\"time\":\"toolongvalue\","
                       "\"asked\":\"x\",\"pending\":99}");
    cerebro_dlg_state_from_json(&back, json);
    cJSON_Delete(json);
    assert_int_equal(back.party, 0);
    assert_string_equal(back.date, "");
    assert_string_equal(back.time, "");
    assert_int_equal(back.pending, CEREBRO_DLG_PENDING_NONE);

    cerebro_dlg_state_from_json(&back, NULL);
    assert_int_equal(back.booking, 0);
}


/* a full evening: the guest asks for the waiting list, with its slots */
static void
test_waitlist_join(void **state)
{
    char                 reply[CEREBRO_DLG_TEXT_LEN];
    cJSON               *arg;
    cerebro_dlg_step_t   s;
    cerebro_dlg_state_t  st;

    (void) state;

    memset(&st, 0, sizeof(st));

    step(&st, "Mesa para 4 mañana a las 21:00 a nombre de Ana", &s);
    assert_string_equal(s.tool, "check_availability");
    cerebro_dlg_after_tool(&st, &s, "Lo siento, a las 21:00 no nos queda "
                           "mesa.", 0, &today, reply, sizeof(reply));
    cJSON_Delete(s.args);

    /* the time is asked again: the list takes the one given now */
    step(&st, "apúntame en la lista de espera", &s);
    assert_int_equal(s.action, CEREBRO_DLG_REPLY);
    assert_non_null(strstr(s.text, "hora"));
    assert_int_equal(st.pending, CEREBRO_DLG_PENDING_WAITLIST);

    step(&st, "a las 21:00", &s);
    assert_int_equal(s.action, CEREBRO_DLG_TOOL);
    assert_string_equal(s.tool, "join_waitlist");
    assert_int_equal(s.tool_id, CEREBRO_TOOL_WAITLIST);
    assert_string_equal(cJSON_GetObjectItem(s.args, "date")->valuestring,
                        "2026-11-26");
    assert_string_equal(cJSON_GetObjectItem(s.args, "time")->valuestring,
                        "21:00");
    arg = cJSON_GetObjectItem(s.args, "party_size");
    assert_true(cJSON_IsNumber(arg) && arg->valueint == 4);

    cerebro_dlg_after_tool(&st, &s, "Listo, Ana: queda en la lista.", 1,
                           &today, reply, sizeof(reply));
    cJSON_Delete(s.args);
    assert_string_equal(reply, "Listo, Ana: queda en la lista.");
    assert_int_equal(st.pending, CEREBRO_DLG_PENDING_NONE);
    assert_int_equal(st.booking, 0);

    /* everything in one message goes straight to the list */
    step(&st, "lista de espera para 2 el sábado a las 14:00", &s);
    assert_int_equal(s.action, CEREBRO_DLG_TOOL);
    assert_string_equal(s.tool, "join_waitlist");
    cJSON_Delete(s.args);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_intents),
        cmocka_unit_test(test_party),
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_booking_over_four_messages),
        cmocka_unit_test(test_booking_in_one_message_then_bare_name),
        cmocka_unit_test(test_past_date_is_refused),
        cmocka_unit_test(test_readback_books_only_on_yes),
        cmocka_unit_test(test_readback_no_lets_the_guest_change),
        cmocka_unit_test(test_preferences),
        cmocka_unit_test(test_other_steps),
        cmocka_unit_test(test_state_json_round_trip),
        cmocka_unit_test(test_waitlist_join),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
