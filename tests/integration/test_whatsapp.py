"""Issue 7, inbound: POST /whatsapp/webhook — Twilio signatures, TwiML,
idempotency on MessageSid, STOP/ALTA, the rule-based dialogue and the
OpenAI agents (with the OpenAI fake), against the embedded store."""

import datetime
import json
import time
import urllib.parse
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest

from harness import REPO
from voice import spoken
from tests.fakes.openai import OpenAIFake, DEFAULT_KEY
from tests.fakes.twilio import TwilioFake
from tests.fakes.twilio_sign import compute_signature

FIXTURES = REPO / "tests" / "fixtures" / "twilio"
MADRID = ZoneInfo("Europe/Madrid")
GUEST = "+34600111222"
TOKEN = "twilio-test-token-5521"
SID = "AC" + "0123456789abcdef" * 2
PUBLIC = "https://cerebro.example.com"
MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio",
          "agosto", "septiembre", "octubre", "noviembre", "diciembre"]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def dinner_day():
    """A day at least 3 days ahead with dinner service (Tuesday-Friday in
    conf/restaurant.json)."""
    d = datetime.datetime.now(MADRID).date() + datetime.timedelta(days=3)
    while d.weekday() not in (1, 2, 3, 4):
        d += datetime.timedelta(days=1)
    return d


def said(d):
    return f"el {d.day} de {MONTHS[d.month - 1]}"


class Guest:
    """One WhatsApp number writing to the webhook, as Twilio posts it."""

    def __init__(self, n, phone=GUEST, token=None, url=None):
        self.n = n
        self.phone = phone
        self.token = token
        self.url = url or PUBLIC + "/whatsapp/webhook"
        self.count = 0

    def params(self, text, sid=None):
        self.count += 1
        return {"SmsMessageSid": sid or f"SM{self.phone[1:]}{self.count:06d}",
                "MessageSid": sid or f"SM{self.phone[1:]}{self.count:06d}",
                "AccountSid": SID, "From": f"whatsapp:{self.phone}",
                "To": "whatsapp:+14155238886", "Body": text,
                "NumMedia": "0", "ProfileName": "Ana",
                "WaId": self.phone[1:]}

    def post(self, params, signature=None, headers=None):
        h = dict(FORM)
        if self.token and signature is None:
            signature = compute_signature(self.token, self.url, params)
        if signature is not None:
            h["X-Twilio-Signature"] = signature
        h.update(headers or {})
        return self.n.request("POST", "/whatsapp/webhook",
                              body=urllib.parse.urlencode(params), headers=h)

    def say(self, text, sid=None):
        r = self.post(self.params(text, sid))
        assert r.status == 200, r.body
        return twiml(r)


def twiml(r):
    """The Message text of a TwiML answer ("" for <Response/>), checking it
    is well-formed XML of the right type."""
    assert r.header("content-type").startswith("text/xml"), r.headers
    root = ET.fromstring(r.body)
    assert root.tag == "Response"
    msgs = root.findall("Message")
    assert len(msgs) <= 1
    return msgs[0].text if msgs else ""


def start(nginx_factory, env=None, conf="", workers=2):
    n = nginx_factory(env=env, workers=workers)
    n.render()
    if conf:
        n.edit_conf("http {", "http {\n" + conf)
    return n.start()


def bookings(n, phone=GUEST):
    r = n.get("/cerebro/reservations?phone=" + urllib.parse.quote(phone))
    assert r.status == 200, r.body
    body = r.json()
    items = body if isinstance(body, list) else (
        body.get("reservations") or body.get("records") or [])
    return [b for b in items if b.get("status") != "cancelled"]


@pytest.fixture
def wa(nginx_factory):
    return start(nginx_factory)


# --- signatures -------------------------------------------------------------

@pytest.fixture
def signed(nginx_factory):
    return start(nginx_factory, env={"TWILIO_AUTH_TOKEN": TOKEN,
                                     "TWILIO_ACCOUNT_SID": SID,
                                     "PUBLIC_URL": PUBLIC})


def test_valid_signature_is_answered(signed):
    g = Guest(signed, token=TOKEN)
    assert "En Las Nubes" in g.say("Hola")


def test_missing_and_wrong_signatures_are_refused(signed):
    g = Guest(signed)
    p = g.params("Hola")
    r = g.post(p)
    assert r.status == 403
    assert "X-Twilio-Signature" in r.json()["error"]
    r = g.post(p, signature="RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert r.status == 403
    # signed with another token
    r = g.post(p, signature=compute_signature("other", g.url, p))
    assert r.status == 403
    # signed for another URL
    r = g.post(p, signature=compute_signature(
        TOKEN, "https://evil.example.com/whatsapp/webhook", p))
    assert r.status == 403


def test_tampered_parameter_is_refused(signed):
    g = Guest(signed)
    p = g.params("Hola")
    sig = compute_signature(TOKEN, g.url, p)
    p["Body"] = "CANCELAR"
    assert g.post(p, signature=sig).status == 403
    p["Body"] = "Hola"
    assert g.post(p, signature=sig).status == 200


def test_port_variants_are_accepted(signed):
    g = Guest(signed)
    for url in (PUBLIC + ":443/whatsapp/webhook",
                PUBLIC + "/whatsapp/webhook"):
        p = g.params("Hola")
        r = g.post(p, signature=compute_signature(TOKEN, url, p))
        assert r.status == 200, url
    p = g.params("Hola")
    r = g.post(p, signature=compute_signature(
        TOKEN, PUBLIC + ":8443/whatsapp/webhook", p))
    assert r.status == 403


def test_unsigned_requests_pass_without_a_token(wa):
    assert "En Las Nubes" in Guest(wa).say("Hola")


# --- the rule-based dialogue --------------------------------------------------

def test_booking_over_several_messages(wa):
    g = Guest(wa)
    d = dinner_day()
    assert "cuántas personas" in g.say("Hola, quiero reservar")
    reply = g.say("para 4")
    assert "mesa para 4" in reply and "día" in reply
    reply = g.say(said(d))
    assert f"{d.day} de {MONTHS[d.month - 1]}" in reply and "hora" in reply
    reply = g.say("a las 9")
    assert reply.startswith("Sí"), reply
    assert "21:00" in reply and "nombre" in reply
    assert bookings(wa) == []
    # read back, booked only on the guest's yes
    reply = g.say("a nombre de Ana")
    assert reply == (f"¿Confirmo mesa para 4 el {spoken(d)} a las 21:00 a "
                     "nombre de Ana?"), reply
    assert bookings(wa) == []
    reply = g.say("sí")
    assert "Reserva confirmada a nombre de Ana" in reply, reply
    books = bookings(wa)
    assert len(books) == 1
    b = books[0]
    assert b["client_name"] == "Ana" and b["pax"] == 4
    assert d.isoformat() in b["date_time"] or d.isoformat() in json.dumps(b)
    assert b.get("source", "whatsapp") == "whatsapp"


def test_booking_in_one_message(wa):
    g = Guest(wa, phone="+34600333444")
    d = dinner_day()
    reply = g.say(f"¿Tenéis mesa para 2 {said(d)} a las 21:30?")
    assert reply.startswith("Sí") and "nombre" in reply
    assert g.say("Íñigo").startswith("¿Confirmo mesa para 2")
    g.say("Sí, confirmo")
    books = bookings(wa, "+34600333444")
    assert [(b["client_name"], b["pax"]) for b in books] == [("Íñigo", 2)]


def test_hours_address_check_cancel(wa):
    g = Guest(wa, phone="+34600555666")
    assert "20:00" in g.say("¿Qué horario tenéis?")
    assert g.say("¿Dónde estáis?")
    assert "No encuentro" in g.say("¿Tengo alguna reserva?")
    d = dinner_day()
    g.say(f"mesa para 3 {said(d)} a las 21:00 a nombre de Eva")
    g.say("vale")
    assert len(bookings(wa, "+34600555666")) == 1
    assert "reserva" in g.say("¿Tengo alguna reserva?").lower()
    g.say("CANCELAR")
    assert bookings(wa, "+34600555666") == []


def test_memory_is_per_phone(wa):
    a, b = Guest(wa, phone="+34600000001"), Guest(wa, phone="+34600000002")
    a.say("quiero reservar para 5")
    reply = b.say(said(dinner_day()))
    assert "mesa para 5" not in reply


# --- idempotency, STOP -------------------------------------------------------

def test_message_sid_replay_books_once(wa):
    g = Guest(wa, phone="+34600777888")
    d = dinner_day()
    g.say(f"mesa para 2 {said(d)} a las 21:00")
    assert "Leo?" in g.say("a nombre de Leo")
    p = g.params("sí")
    first = g.post(p)
    again = g.post(p)
    assert first.status == again.status == 200
    assert first.body == again.body
    assert "Leo" in twiml(first)
    assert len(bookings(wa, "+34600777888")) == 1


def test_stop_then_no_reply_then_alta(wa):
    g = Guest(wa, phone="+34600999000")
    assert "ALTA" in g.say("STOP")
    assert g.say("Hola") == ""
    assert g.say("quiero reservar para 2") == ""
    assert "nuevo" in g.say("ALTA")
    assert "En Las Nubes" in g.say("Hola")
    assert "ALTA" in g.say("baja")
    assert g.say("Hola") == ""


# --- bad input ---------------------------------------------------------------

def test_bad_input_gets_a_clear_4xx(wa):
    r = wa.request("POST", "/whatsapp/webhook", body="", headers=FORM)
    assert r.status == 400 and "empty" in r.json()["error"]
    body = urllib.parse.urlencode({"Body": "Hola", "MessageSid": "SM1"})
    r = wa.request("POST", "/whatsapp/webhook", body=body, headers=FORM)
    assert r.status == 400 and "From" in r.json()["error"]
    body = urllib.parse.urlencode({"Body": "Hola", "From": "whatsapp:hola"})
    r = wa.request("POST", "/whatsapp/webhook", body=body, headers=FORM)
    assert r.status == 400 and "From" in r.json()["error"]
    r = wa.request("POST", "/whatsapp/webhook", body='{"Body":"Hola"}',
                   headers={"Content-Type": "application/json"})
    assert r.status == 415
    r = wa.request("POST", "/whatsapp/webhook",
                   body="Body=" + "a" * 100000
                   + "&From=whatsapp%3A%2B34600111222",
                   headers=FORM)
    assert r.status == 413
    assert len(r.body) < 200 and "larger" in r.json()["error"]
    r = wa.get("/whatsapp/webhook")
    assert r.status == 405


def test_twilio_fixture_with_unknown_fields(wa):
    body = (FIXTURES / "inbound-whatsapp.txt").read_text().strip()
    r = wa.request("POST", "/whatsapp/webhook", body=body, headers=FORM)
    text = twiml(r)
    # "mañana" is read: the reply is about that day, whatever it holds
    t = datetime.datetime.now(MADRID).date() + datetime.timedelta(days=1)
    assert f"{t.day} de {MONTHS[t.month - 1]}" in text


# --- the OpenAI agents ------------------------------------------------------

@pytest.fixture
def openai():
    fake = OpenAIFake(api_key=DEFAULT_KEY)
    fake.start()
    yield fake
    fake.stop()


def with_openai(nginx_factory, fake, conf="", env=None):
    e = {"OPENAI_API_KEY": DEFAULT_KEY, "OPENAI_BASE_URL": fake.url + "/v1"}
    e.update(env or {})
    return start(nginx_factory, env=e, conf=conf)


def test_orchestrator_books_with_tools(nginx_factory, openai):
    n = with_openai(nginx_factory, openai)
    d = dinner_day()
    args = {"date": d.isoformat(), "time": "21:00", "party_size": 4}
    openai.push_content("book")
    openai.push_tool_calls([("check_availability",
                             dict(args, location=None))])
    openai.push_tool_calls([("create_reservation",
                             dict(args, name="Ana", phone=None, notes=None,
                                  location=None, confirmed=True,
                                  preferences=None))],
                           finish_reason="stop")
    openai.push_content("¡Hecho, Ana! Mesa para 4 reservada.")
    reply = Guest(n).say(f"Mesa para 4 {said(d)} a las 21:00, soy Ana")
    assert reply == "¡Hecho, Ana! Mesa para 4 reservada."
    assert [(b["client_name"], b["pax"]) for b in bookings(n)] == [("Ana", 4)]

    reqs = openai.chat_requests()
    assert len(reqs) == 4
    router, first, second, last = reqs
    assert "tools" not in router
    assert router["messages"][0]["role"] == "system"
    assert d.isoformat() not in router["messages"][0]["content"]
    names = {t["function"]["name"] for t in first["tools"]}
    assert "create_reservation" in names
    assert "get_restaurant_info" not in names
    assert all(t["function"]["strict"] for t in first["tools"])
    # strict schemas and parallel calls do not go together (OpenAI)
    assert first["parallel_tool_calls"] is False
    # {{date_iso}} was filled in
    today = datetime.datetime.now(MADRID).date().isoformat()
    assert today in first["messages"][0]["content"]
    assert "{{" not in first["messages"][0]["content"]
    # each tool call answered by a tool message, in order
    tail = last["messages"][-4:]
    assert [m["role"] for m in tail] == ["assistant", "tool",
                                         "assistant", "tool"]
    assert tail[1]["tool_call_id"] == tail[0]["tool_calls"][0]["id"]
    assert tail[3]["tool_call_id"] == tail[2]["tool_calls"][0]["id"]
    assert tail[1]["content"].startswith("Sí")


def test_orchestrator_remembers_the_conversation(nginx_factory, openai):
    n = with_openai(nginx_factory, openai)
    g = Guest(n, phone="+34611222333")
    openai.push_content("other")
    openai.push_content("¡Hola! ¿En qué puedo ayudarle?")
    g.say("Hola")
    openai.push_content("book")
    openai.push_content("¿Para cuántas personas?")
    g.say("Quiero reservar")
    last = openai.chat_requests()[-1]["messages"]
    contents = [m.get("content") for m in last]
    assert "Hola" in contents and "¡Hola! ¿En qué puedo ayudarle?" in contents
    assert contents[-1] == "Quiero reservar"


def test_orchestrator_retries_a_rate_limit(nginx_factory, openai):
    n = with_openai(nginx_factory, openai)
    openai.push_rate_limit(retry_after_ms=300)
    openai.push_content("ask")
    openai.push_tool_calls([("get_restaurant_info", {"topic": "horario"})])
    openai.push_content("Abrimos de martes a sábado.")
    t0 = time.monotonic()
    assert Guest(n).say("¿Qué horario tenéis?") == \
        "Abrimos de martes a sábado."
    assert time.monotonic() - t0 >= 0.3
    assert openai.pending() == 0


@pytest.mark.parametrize("failure", ["quota", "server_error", "bad_key",
                                     "down"])
def test_openai_failure_falls_back_to_rules(nginx_factory, openai, failure):
    env = {}
    if failure == "quota":
        openai.push_quota()
    elif failure == "server_error":
        openai.push_server_error(500)
    elif failure == "bad_key":
        env["OPENAI_API_KEY"] = "sk-wrong-key"
    else:
        env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"
    n = with_openai(nginx_factory, openai, env=env)
    reply = Guest(n).say("Hola")
    assert "En Las Nubes" in reply          # the rule-based greeting
    assert "OpenAI" in n.log_text()


def test_openai_failure_after_a_booking_says_it(nginx_factory, openai):
    n = with_openai(nginx_factory, openai)
    d = dinner_day()
    openai.push_content("book")
    openai.push_tool_calls([("create_reservation",
                             {"name": "Sol", "date": d.isoformat(),
                              "time": "21:00", "party_size": 2,
                              "phone": None, "notes": None,
                              "location": None, "confirmed": True,
                              "preferences": None})])
    openai.push_server_error(503)
    reply = Guest(n).say("reserva para 2 a nombre de Sol")
    assert "Sol" in reply
    assert len(bookings(n)) == 1


def test_bad_tool_arguments_are_answered_not_run(nginx_factory, openai):
    n = with_openai(nginx_factory, openai)
    openai.push_content("book")
    # a model that breaks the schema: sent raw, the fake would refuse it
    openai.push({"status": 200, "raw": {
        "id": "chatcmpl-bad", "object": "chat.completion", "created": 1,
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": None, "tool_calls": [
                {"id": "call_bad1", "type": "function",
                 "function": {"name": "create_reservation",
                              "arguments": "[1, 2]"}},
                {"id": "call_bad2", "type": "function",
                 "function": {"name": "get_restaurant_info",
                              "arguments": "{}"}}]}}]}})
    openai.push_content("Perdone, ¿me repite los datos?")
    assert Guest(n).say("reserva") == "Perdone, ¿me repite los datos?"
    tools = [m for m in openai.chat_requests()[-1]["messages"]
             if m["role"] == "tool"]
    assert len(tools) == 2
    assert "JSON" in tools[0]["content"]
    assert "no está disponible" in tools[1]["content"]
    assert bookings(n) == []


def test_twiml_is_escaped(nginx_factory, openai):
    n = with_openai(nginx_factory, openai)
    text = 'Sí & no: <b>"21:00"</b> it\'s ok'
    openai.push_content("other")
    openai.push_content(text)
    r = Guest(n).post(Guest(n).params("Hola"))
    assert b"<b>" not in r.body and b"&amp;" in r.body
    assert twiml(r) == text


def test_slow_brain_answers_through_the_outbox(nginx_factory, openai):
    twilio = TwilioFake()
    twilio.start()
    try:
        n = with_openai(
            nginx_factory, openai,
            conf="    cerebro_whatsapp_inline_budget 500ms;\n",
            env={"TWILIO_ACCOUNT_SID": twilio.config["account_sid"],
                 "TWILIO_AUTH_TOKEN": twilio.config["auth_token"],
                 "TWILIO_WHATSAPP_NUMBER": "whatsapp:+14155238886",
                 "TWILIO_API_URL": twilio.url,
                 "PUBLIC_URL": PUBLIC})
        twilio.open_window(GUEST)
        openai.push_content("other")
        openai.push_content("Respuesta tardía", delay=1.5)
        g = Guest(n, token=twilio.config["auth_token"])
        t0 = time.monotonic()
        assert g.say("Hola") == ""
        assert time.monotonic() - t0 < 1.4
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            bodies = [m.get("body") for m in twilio.messages(GUEST)]
            if "Respuesta tardía" in bodies:
                break
            time.sleep(0.1)
        assert "Respuesta tardía" in bodies
    finally:
        twilio.stop()


# --- Twilio's rules: 1,600 characters a message, signed in production -------

def long_reply():
    """2,000 characters of sentences, accents and an emoji included."""
    text = ""
    while len(text) < 2000:
        text += "La terraza está abierta hasta las once 🌙. "
    return text.strip()


def utf16_units(s):
    return len(s.encode("utf-16-le")) // 2


def test_a_long_reply_arrives_as_parts_twilio_accepts(nginx_factory,
                                                      openai):
    n = with_openai(nginx_factory, openai)
    text = long_reply()
    openai.push_content("other")
    openai.push_content(text)
    r = Guest(n).post(Guest(n).params("¿Hasta qué hora abre la terraza?"))
    assert r.status == 200
    parts = [m.text for m in ET.fromstring(r.body).findall("Message")]
    assert len(parts) == 2
    assert all(utf16_units(p) <= 1600 for p in parts)
    assert all(p.endswith(".") for p in parts)
    assert " ".join(parts) == text


def test_a_long_late_reply_goes_out_as_parts(nginx_factory, openai):
    twilio = TwilioFake()
    twilio.start()
    try:
        n = with_openai(
            nginx_factory, openai,
            conf="    cerebro_whatsapp_inline_budget 200ms;\n",
            env={"TWILIO_ACCOUNT_SID": twilio.config["account_sid"],
                 "TWILIO_AUTH_TOKEN": twilio.config["auth_token"],
                 "TWILIO_WHATSAPP_NUMBER": "whatsapp:+14155238886",
                 "TWILIO_API_URL": twilio.url,
                 "PUBLIC_URL": PUBLIC})
        twilio.open_window(GUEST)
        text = long_reply()
        openai.push_content("other")
        openai.push_content(text, delay=1.0)
        g = Guest(n, token=twilio.config["auth_token"])
        assert g.say("¿Hasta qué hora abre la terraza?") == ""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and \
                len(twilio.messages(GUEST)) < 2:
            time.sleep(0.05)
        sent = twilio.messages(GUEST)
        # the fake refuses (21617) any body over 1,600 characters
        assert len(sent) == 2, sent
        assert " ".join(m["body"] for m in sent) == text
    finally:
        twilio.stop()


@pytest.mark.parametrize("env, missing", [
    ({}, "TWILIO_AUTH_TOKEN"),
    ({"TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_ACCOUNT_SID": SID}, "PUBLIC_URL"),
], ids=["no token", "no public url"])
def test_production_refuses_unsigned_whatsapp(nginx_factory, env, missing):
    n = start(nginx_factory, env=dict(env, ENVIRONMENT="production",
                                      ALLOWED_ORIGINS="https://p.example"))
    assert missing in n.log_text() and "503" in n.log_text()
    g = Guest(n)
    r = g.post(g.params(f"mesa para 2 {said(dinner_day())} a las 21:00 a "
                        "nombre de Ana"))
    assert r.status == 503, r.body
    assert missing in r.json()["error"]
    r = n.request("POST", "/whatsapp/status", body="MessageSid=SM1&"
                  "MessageStatus=delivered", headers=FORM)
    assert r.status == 503
    # nothing was booked, nobody opted out
    assert bookings(n) == []
    assert g.post(g.params("BAJA")).status == 503


def test_unsigned_whatsapp_outside_production_is_warned_at_start(wa):
    assert "accept unsigned messages" in wa.log_text()
