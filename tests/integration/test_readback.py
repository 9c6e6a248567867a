"""Issue 20, read back before booking, preferences kept, the WhatsApp
agents told who writes.

The rule-based WhatsApp dialogue reads the booking back ("¿Confirmo mesa
para 4 el viernes 4 de diciembre a las 21:00 a nombre de Ana?") and books
only on the guest's yes; create_reservation books nothing without
confirmed=true and answers the line to read back; what a guest wants on
every visit ("siempre en terraza") is kept on the guest and said in the
next assistant-request, never of another guest; the WhatsApp specialist's
prompt names the guest who writes."""

import json
import sqlite3

import pytest

from voice import fixture, post, result_of, spoken, tool_call
from test_vapi_airtable import make_fake, start as start_airtable, wait_for
from test_whatsapp import (Guest, bookings, dinner_day, said, start,
                           with_openai, openai)  # noqa: F401 (fixture)

ANA = "+34600222333"
NEW = "+34600777666"
SHARED = "+34600444555"


@pytest.fixture
def n(nginx_factory):
    return start(nginx_factory)


def create(n, args, caller=ANA, call_id="c-rb-1", confirmed=True):
    return result_of(post(n, tool_call("create_reservation", args, call_id,
                                       None, caller, confirmed=confirmed)))


def prompt_for(n, number, call_id="c-rb-guest"):
    body = json.loads(fixture("assistant-request.json"))
    body["message"]["call"]["id"] = call_id
    body["message"]["call"]["customer"]["number"] = number
    r = post(n, body)
    assert r.status == 200, r.body
    return r.json()["assistant"]["model"]["messages"][0]["content"]


def guests(n):
    db = sqlite3.connect(n.prefix / "data" / "cerebro.sqlite")
    try:
        return db.execute("SELECT name, phone, preferences FROM guests"
                          " ORDER BY phone").fetchall()
    finally:
        db.close()


# --- the WhatsApp dialogue ------------------------------------------------------


def test_the_dialogue_books_only_after_yes(n):
    g = Guest(n, phone=ANA)
    d = dinner_day()

    reply = g.say(f"mesa para 4 {said(d)} a las 9 a nombre de Ana")
    # "a las 9" as it would be booked
    assert reply == (f"¿Confirmo mesa para 4 el {spoken(d)} a las 21:00 a "
                     "nombre de Ana?"), reply
    assert bookings(n, ANA) == []

    # neither yes nor no: asked again, nothing booked
    assert g.say("mmm") == reply
    assert bookings(n, ANA) == []

    reply = g.say("Sí, confirmo")
    assert reply.startswith("Reserva confirmada a nombre de Ana"), reply
    books = bookings(n, ANA)
    assert [(b["client_name"], b["pax"]) for b in books] == [("Ana", 4)]

    # the yes was spent: another "sí" books nothing more
    g.say("sí")
    assert len(bookings(n, ANA)) == 1


def test_no_lets_the_guest_change_and_books_nothing(n):
    g = Guest(n, phone=NEW)
    d = dinner_day()

    g.say(f"mesa para 4 {said(d)} a las 21:00 a nombre de Luis")
    reply = g.say("no")
    assert "todavía no la reservo" in reply and "cambiar" in reply, reply
    assert bookings(n, NEW) == []

    # the change is read back in its turn, and only its yes books
    reply = g.say("mejor a las 22:00")
    assert reply == (f"¿Confirmo mesa para 4 el {spoken(d)} a las 22:00 a "
                     "nombre de Luis?"), reply
    assert bookings(n, NEW) == []
    g.say("vale")
    books = bookings(n, NEW)
    assert len(books) == 1 and "22:00" in json.dumps(books[0]), books

    # a "no" to a second read-back, then another: dropped, nothing booked
    g.say(f"mesa para 2 {said(d)} a las 14:00 a nombre de Luis")
    g.say("no")
    assert "no hago la reserva" in g.say("no")
    assert len(bookings(n, NEW)) == 1


# --- the voice tool -------------------------------------------------------------


def test_create_without_confirmed_books_nothing_and_says_what_to_read(n):
    d = dinner_day()
    args = {"name": "Ana", "date": d.isoformat(), "time": "a las nueve",
            "party_size": 4}

    for i, extra in enumerate([{}, {"confirmed": False},
                               {"confirmed": "false"}, {"confirmed": None},
                               {"confirmed": 1}]):
        text = create(n, dict(args, **extra), call_id=f"c-rb-no-{i}",
                      confirmed=False)
        assert text == (
            "Todavía no he reservado. Antes de reservar, lea al cliente: "
            f"«Mesa para 4 el {spoken(d)} a las 21:00 a nombre de Ana». Si "
            "dice que sí, vuelva a llamar a create_reservation con "
            "confirmed=true; si no, pregúntele qué quiere cambiar."), text
    assert bookings(n, ANA) == []

    text = create(n, dict(args, confirmed=True), call_id="c-rb-yes")
    assert text.startswith("Reserva confirmada a nombre de Ana"), text
    assert spoken(d) in text and "21:00" in text
    assert len(bookings(n, ANA)) == 1

    # an assistant that sends every value as text
    text = create(n, dict(args, time="14:00", confirmed="true"),
                  call_id="c-rb-yes-2")
    assert text.startswith("Reserva confirmada"), text
    assert len(bookings(n, ANA)) == 2


def test_the_tool_tells_the_assistant_to_read_back(n):
    tools = None
    body = json.loads(fixture("assistant-request.json"))
    answer = post(n, body).json()
    tools = {t["function"]["name"]: t["function"]
             for t in answer["assistant"]["model"]["tools"]
             if t.get("type") == "function"}
    create_fn = tools["create_reservation"]
    props = create_fn["parameters"]["properties"]
    assert props["confirmed"]["type"] == "boolean"
    assert "confirmed" not in create_fn["parameters"]["required"]
    assert "confirmed=true" in create_fn["description"]
    assert props["preferences"]["type"] == "string"
    prompt = answer["assistant"]["model"]["messages"][0]["content"]
    assert "confirmed=true solo después de que diga que sí" in prompt


# --- preferences ----------------------------------------------------------------


def test_preferences_stated_are_said_next_time(n):
    d = dinner_day()
    text = create(n, {"name": "Ana García", "date": d.isoformat(),
                      "time": "21:00", "party_size": 4,
                      "preferences": "siempre en terraza"})
    assert text.startswith("Reserva confirmada"), text

    assert wait_for(lambda: "Tiene anotado: siempre en terraza;"
                    in prompt_for(n, ANA)), prompt_for(n, ANA)

    # a second one is added, the first kept; one said twice is kept once
    create(n, {"name": "Ana García", "date": d.isoformat(), "time": "14:00",
               "party_size": 2, "preferences": "sin gluten; sin lactosa"},
           call_id="c-rb-2")
    create(n, {"name": "Ana García", "date": d.isoformat(), "time": "22:00",
               "party_size": 2, "preferences": "Siempre en terraza"},
           call_id="c-rb-3")
    assert wait_for(lambda: guests(n) == [
        ("Ana García", ANA, "siempre en terraza; sin gluten, sin lactosa")]), \
        guests(n)
    assert "siempre en terraza; sin gluten, sin lactosa" in prompt_for(n, ANA)

    # a new caller hears none of it
    prompt = prompt_for(n, NEW)
    assert "Tiene anotado" not in prompt and "gluten" not in prompt


def test_a_preference_is_never_kept_on_another_guest(n):
    d = dinner_day()
    create(n, {"name": "Marta Ruiz", "date": d.isoformat(), "time": "21:00",
               "party_size": 2}, caller=SHARED, call_id="c-rb-m")
    assert wait_for(lambda: guests(n))
    # Pablo books from Marta's phone and states his allergy
    create(n, {"name": "Pablo Ruiz", "date": d.isoformat(), "time": "14:00",
               "party_size": 2, "preferences": "alergia al marisco"},
           caller=SHARED, call_id="c-rb-p")
    # then Marta's own: hers is kept, his never reaches her record
    create(n, {"name": "Marta Ruiz", "date": d.isoformat(), "time": "22:00",
               "party_size": 2, "preferences": "junto a la ventana"},
           caller=SHARED, call_id="c-rb-m2")
    assert wait_for(lambda: guests(n)[0][2]), guests(n)
    assert guests(n) == [("Marta Ruiz", SHARED, "junto a la ventana")]

    # the number is shared: nobody's name, booking or preferences
    prompt = prompt_for(n, SHARED)
    assert "Marta" not in prompt and "Pablo" not in prompt
    assert "marisco" not in prompt and "ventana" not in prompt


def test_a_preference_stated_on_whatsapp_is_kept(n):
    g = Guest(n, phone=ANA)
    d = dinner_day()
    reply = g.say(f"mesa para 2 {said(d)} a las 21:00 a nombre de Eva, "
                  "siempre en terraza")
    assert reply == ("Anoto para sus próximas visitas: siempre en terraza. "
                     f"¿Confirmo mesa para 2 el {spoken(d)} a las 21:00 a "
                     "nombre de Eva?"), reply
    g.say("sí")
    assert len(bookings(n, ANA)) == 1
    assert wait_for(lambda: "Tiene anotado: siempre en terraza"
                    in prompt_for(n, ANA))
    assert "Llama Eva" in prompt_for(n, ANA)


def test_preferences_on_airtable_go_to_the_guest_of_the_name(nginx_factory):
    fake = make_fake()
    try:
        fake.add_records("Clientes", [
            {"name": "Marta Ruiz", "phone": SHARED, "preferences": "trona"},
            {"name": "Pablo Ruiz", "phone": SHARED}])
        m = start_airtable(nginx_factory, fake)
        d = dinner_day()

        create(m, {"name": "Pablo Ruiz", "date": d.isoformat(),
                   "time": "21:00", "party_size": 2,
                   "preferences": "alergia al marisco"}, caller=SHARED)

        def by_name():
            return {r["fields"].get("name"): r["fields"].get("preferences",
                                                               "")
                    for r in fake.records("Clientes")}
        assert wait_for(lambda: by_name().get("Pablo Ruiz")
                        == "alergia al marisco"), by_name()
        assert by_name()["Marta Ruiz"] == "trona"

        # a new guest's record is made with it
        create(m, {"name": "Ana García", "date": d.isoformat(),
                   "time": "14:00", "party_size": 2,
                   "preferences": "siempre en terraza"}, caller=ANA,
               call_id="c-rb-at-2")
        assert wait_for(lambda: by_name().get("Ana García")
                        == "siempre en terraza"), by_name()
        # the answer waits 300 ms for the guest: a busy host may need two
        assert wait_for(lambda: "Tiene anotado: siempre en terraza"
                        in prompt_for(m, ANA))
    finally:
        fake.stop()


# --- the WhatsApp agents are told who writes ------------------------------------


def specialist_prompt(openai, phone, n, text="Quiero reservar"):
    before = len(openai.chat_requests())
    openai.push_content("book")
    openai.push_content("¿Para qué día?")
    assert Guest(n, phone=phone).say(text) == "¿Para qué día?"
    reqs = openai.chat_requests()[before:]
    assert len(reqs) == 2
    router, specialist = reqs
    return (router["messages"][0]["content"],
            specialist["messages"][0]["content"])


def test_the_agents_know_who_writes(nginx_factory, openai):
    n = with_openai(nginx_factory, openai)
    d = dinner_day()
    create(n, {"name": "Ana García", "date": d.isoformat(), "time": "21:00",
               "party_size": 4, "preferences": "siempre en terraza"})
    create(n, {"name": "Marta Ruiz", "date": d.isoformat(), "time": "14:00",
               "party_size": 2}, caller=SHARED, call_id="c-rb-s1")
    create(n, {"name": "Pablo Ruiz", "date": d.isoformat(), "time": "22:00",
               "party_size": 2}, caller=SHARED, call_id="c-rb-s2")
    assert wait_for(lambda: len(guests(n)) == 2)

    router, prompt = specialist_prompt(openai, ANA, n)
    assert ("Escribe Ana García, que ya es cliente: salúdele por su nombre "
            "y no le pregunte el nombre ni el teléfono.") in prompt, prompt
    assert f"para 4 personas el {spoken(d)} a las 21:00" in prompt
    assert "Tiene anotado: siempre en terraza" in prompt
    assert "{{" not in prompt
    # the router only classifies: it is told nothing of the guest
    assert "Ana" not in router

    _, prompt = specialist_prompt(openai, NEW, n)
    assert "No conocemos este número" in prompt
    assert "Ana" not in prompt and "Tiene anotado" not in prompt

    _, prompt = specialist_prompt(openai, SHARED, n)
    assert "pregunte quién escribe" in prompt
    assert "Marta" not in prompt and "Pablo" not in prompt
    assert spoken(d) not in prompt
