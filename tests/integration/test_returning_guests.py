"""Issue 20, returning guests recognised: the caller's number
(call.customer.number) looked up among the guests and their bookings
before the assistant speaks.  A returning caller's assistant-request answer
carries their name and their next booking; a new caller's none; a number
shared by several names asks who speaks and names nobody; a store slower
than the answer's short wait gets the assistant without the guest.  On the
embedded store and on Airtable (the loopback fake)."""

import json

import pytest

import vapi_sdk
from harness import REPO
from voice import day, fixture, post, result_of, spoken, tool_call
from tests.fakes.airtable import AirtableFake
from test_vapi_airtable import make_fake, start as start_airtable, utc_iso

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"
ASSISTANT_ID = "3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f"

ANA = "+34600222333"
NEW = "+34600777666"
SHARED = "+34600444555"


def start(nginx_factory, env=None):
    n = nginx_factory(env=env)
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};\n")
    return n.start()


def assistant_request(n, number, call_id="c-guest-1"):
    body = json.loads(fixture("assistant-request.json"))
    body["message"]["call"]["id"] = call_id
    body["message"]["call"]["customer"]["number"] = number
    r = post(n, body)
    assert r.status == 200, r.body
    return r.json()


def prompt_of(answer):
    return answer["assistant"]["model"]["messages"][0]["content"]


def book(n, caller, name, d, hhmm, party, phone=None):
    args = {"name": name, "date": d.isoformat(), "time": hhmm,
            "party_size": party}
    if phone:
        args["phone"] = phone
    text = result_of(post(n, tool_call("create_reservation", args,
                                       f"c-book-{name}", None, caller)))
    assert "Reserva confirmada" in text, text
    return text


# --- the embedded store ---------------------------------------------------------


@pytest.fixture
def vapi(nginx_factory):
    return start(nginx_factory)


def test_a_returning_caller_is_greeted_with_their_next_booking(vapi):
    near, far = day(3), day(9)
    book(vapi, ANA, "Ana García", far, "14:00", 2)
    book(vapi, ANA, "Ana García", near, "21:00", 4)

    prompt = prompt_of(assistant_request(vapi, ANA))
    assert "Ana García" in prompt
    # the next one, not the later one
    assert f"para 4 personas el {spoken(near)} a las 21:00" in prompt
    assert spoken(far) not in prompt
    assert "{{" not in prompt

    # the number as the caller's phone shows it, national form
    prompt = prompt_of(assistant_request(vapi, "600 222 333"))
    assert "Ana García" in prompt


def test_a_cancelled_booking_is_not_the_next_one(vapi):
    d = day(4)
    book(vapi, ANA, "Ana García", d, "21:00", 2)
    text = result_of(post(vapi, tool_call("cancel_reservation", {},
                                          "c-cancel", None, ANA)))
    assert "cancelado" in text, text

    prompt = prompt_of(assistant_request(vapi, ANA))
    # still a guest the restaurant knows, with no booking to speak of
    assert "Ana García" in prompt
    assert spoken(d) not in prompt


def test_a_new_caller_gets_none_of_it(vapi):
    book(vapi, ANA, "Ana García", day(3), "21:00", 4)

    prompt = prompt_of(assistant_request(vapi, NEW))
    assert "Ana" not in prompt and "García" not in prompt
    assert spoken(day(3)) not in prompt
    assert "No conocemos este número" in prompt

    # a hidden number neither
    body = json.loads(fixture("assistant-request.json"))
    del body["message"]["call"]["customer"]
    prompt = prompt_of(post(vapi, body).json())
    assert "Ana" not in prompt and "No conocemos este número" in prompt


def test_a_shared_number_asks_who_speaks(vapi):
    d1, d2 = day(3), day(5)
    # one phone, two guests: the bookings carry both names
    book(vapi, SHARED, "Marta Ruiz", d1, "21:00", 2)
    book(vapi, SHARED, "Pablo Ruiz", d2, "14:00", 3)

    prompt = prompt_of(assistant_request(vapi, SHARED))
    assert "Marta" not in prompt and "Pablo" not in prompt
    assert spoken(d1) not in prompt and spoken(d2) not in prompt
    assert "pregunte con quién habla" in prompt


def test_the_stored_assistant_gets_the_same_values(nginx_factory):
    n = start(nginx_factory, env={"VAPI_ASSISTANT_ID": ASSISTANT_ID})
    d = day(3)
    book(n, ANA, "Ana García", d, "21:00", 4)

    values = assistant_request(n, ANA)["assistantOverrides"]["variableValues"]
    assert values["guest_name"] == "Ana García"
    assert values["guest_booking"] == \
        f"para 4 personas el {spoken(d)} a las 21:00"
    assert "Ana García" in values["caller"]

    values = assistant_request(n, NEW)["assistantOverrides"]["variableValues"]
    assert values["guest_name"] == "" and values["guest_booking"] == ""
    assert values["guest_preferences"] == ""


def test_the_answers_fit_the_vapi_sdk_types(nginx_factory, request):
    vapi_sdk.require_node()
    vapi_sdk.install()
    n = start(nginx_factory)
    m = start(nginx_factory, env={"VAPI_ASSISTANT_ID": ASSISTANT_ID})
    book(n, ANA, "Ana García", day(3), "21:00", 4)
    book(m, ANA, "Ana García", day(3), "21:00", 4)
    t = "Vapi.ServerMessageResponseAssistantRequest"
    found = vapi_sdk.type_errors({
        "known": (t, assistant_request(n, ANA)),
        "unknown_caller": (t, assistant_request(n, NEW)),
        "stored_known": (t, assistant_request(m, ANA)),
    }, "returning_guests")
    assert not any(found.values()), found


# --- Airtable (the loopback fake) -----------------------------------------------


@pytest.fixture
def fake():
    f = make_fake()
    yield f
    f.stop()


def seed_bookings(fake, rows):
    fake.add_records("Reservas", [
        {"client_name": name, "client_phone": phone,
         "date_time": utc_iso(d, hhmm), "pax": pax, "table": "T1",
         "status": status}
        for name, phone, d, hhmm, pax, status in rows])


def test_a_returning_caller_on_airtable(nginx_factory, fake):
    near, far = day(3), day(9)
    fake.add_records("Clientes", [{"name": "Ana García", "phone": ANA,
                                   "preferences": "mesa en terraza"}])
    seed_bookings(fake, [
        ("Ana García", ANA, far, "14:00", 2, "confirmed"),
        ("Ana García", ANA, near, "21:00", 4, "confirmed"),
        ("Luis Pérez", NEW[:-1] + "0", near, "21:00", 2, "confirmed")])
    n = start_airtable(nginx_factory, fake)

    prompt = prompt_of(assistant_request(n, ANA))
    assert "Ana García" in prompt
    assert f"para 4 personas el {spoken(near)} a las 21:00" in prompt
    assert "Tiene anotado: mesa en terraza" in prompt
    assert "Luis" not in prompt

    prompt = prompt_of(assistant_request(n, NEW, "c-guest-2"))
    assert "Ana" not in prompt and "Luis" not in prompt
    assert spoken(near) not in prompt
    # nothing was written for a caller who only rang
    assert [r["fields"]["phone"] for r in fake.records("Clientes")] == [ANA]


def test_a_number_two_guests_share_on_airtable(nginx_factory, fake):
    fake.add_records("Clientes", [{"name": "Marta Ruiz", "phone": SHARED,
                                   "preferences": "sin gluten"},
                                  {"name": "Pablo Ruiz", "phone": SHARED}])
    seed_bookings(fake, [
        ("Marta Ruiz", SHARED, day(3), "21:00", 2, "confirmed")])
    n = start_airtable(nginx_factory, fake)

    prompt = prompt_of(assistant_request(n, SHARED))
    assert "Marta" not in prompt and "Pablo" not in prompt
    assert spoken(day(3)) not in prompt and "gluten" not in prompt
    assert "pregunte con quién habla" in prompt


def test_a_slow_airtable_still_gets_an_assistant_without_the_guest(
        nginx_factory, fake):
    fake.add_records("Clientes", [{"name": "Ana García", "phone": ANA}])
    seed_bookings(fake, [("Ana García", ANA, day(3), "21:00", 4,
                          "confirmed")])
    n = start_airtable(nginx_factory, fake)
    # the tables are read (and the model made) before the store is slow
    assert prompt_of(assistant_request(n, NEW, "c-warm"))

    fake.set_latency(3.0, path=f"/v0/{fake.base_id}/Clientes")
    fake.set_latency(3.0, path=f"/v0/{fake.base_id}/Reservas")
    answer = assistant_request(n, ANA, "c-slow")
    prompt = prompt_of(answer)
    assert "Ana" not in prompt
    assert "No conocemos este número" in prompt
    assert answer["assistant"]["model"]["tools"]
    assert "answered without them" in n.error_log.read_text()


# --- the tools default the name from the caller ---------------------------------


def test_a_known_caller_books_without_saying_their_name(vapi):
    book(vapi, ANA, "Ana García", day(3), "21:00", 4)

    text = result_of(post(vapi, tool_call("create_reservation", {
        "date": day(6).isoformat(), "time": "14:00", "party_size": 2},
        "c-noname", None, ANA)))
    assert "Reserva confirmada a nombre de Ana García" in text, text
    assert spoken(day(6)) in text

    # a new caller is asked
    text = result_of(post(vapi, tool_call("create_reservation", {
        "date": day(6).isoformat(), "time": "14:00", "party_size": 2},
        "c-noname-2", None, NEW)))
    assert "nombre" in text and "confirmada" not in text, text


def test_a_shared_number_is_asked_the_name_when_booking(vapi):
    book(vapi, SHARED, "Marta Ruiz", day(3), "21:00", 2)
    book(vapi, SHARED, "Pablo Ruiz", day(5), "14:00", 3)

    text = result_of(post(vapi, tool_call("create_reservation", {
        "date": day(6).isoformat(), "time": "14:00", "party_size": 2},
        "c-noname-3", None, SHARED)))
    assert "confirmada" not in text and "nombre" in text, text
    assert "Marta" not in text and "Pablo" not in text
