"""Issue 7, outbound: the durable outbox, Twilio's Messages API (the fake),
retries, the 24-hour-window template, status callbacks, confirmations of
voice bookings, reminders, opt-outs and restarts."""

import base64
import json
import sqlite3
import time
import urllib.parse

import pytest

from harness import REPO
from voice import day, spoken
from tests.fakes import twilio_sign
from tests.fakes.twilio import DEFAULT_SID, DEFAULT_TOKEN, TwilioFake

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"
PUBLIC = "https://cerebro.example.com"
SENDER = "whatsapp:+14155238886"
GUEST = "+34600111222"
TEMPLATE = "HX" + "0123456789abcdef" * 2
MESSAGES = f"/2010-04-01/Accounts/{DEFAULT_SID}/Messages.json"




@pytest.fixture
def twilio():
    fake = TwilioFake(window_numbers=[GUEST])
    fake.start()
    yield fake
    fake.stop()


def twilio_env(fake):
    return {"TWILIO_ACCOUNT_SID": DEFAULT_SID,
            "TWILIO_AUTH_TOKEN": DEFAULT_TOKEN,
            "TWILIO_WHATSAPP_NUMBER": SENDER,
            "TWILIO_API_URL": fake.url,
            "PUBLIC_URL": PUBLIC}


KNOBS = ("    cerebro_jobs_interval 1s;\n"
         "    cerebro_outbox_retry 1s;\n")


def configure(n, conf=""):
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};\n"
                f"{KNOBS}{conf}")


def start(nginx_factory, fake=None, conf="", env=None):
    e = twilio_env(fake) if fake else {}
    e.update(env or {})
    n = nginx_factory(env=e)
    if fake:
        # the callbacks go to the public URL; here it is this nginx
        fake.configure(callback_rewrite={PUBLIC: f"http://127.0.0.1:{n.port}"})
    configure(n, conf)
    return n.start()


def book(n, name="Ana", when=None, time_="21:00", party=2, call_id="c-1",
         caller=GUEST):
    msg = {"message": {
        "type": "tool-calls",
        "toolCallList": [{"id": f"t-{call_id}", "type": "function",
                          "function": {"name": "create_reservation",
                                       "arguments": {
                                           "name": name,
                                           "date": (when or day()).isoformat(),
                                           "time": time_,
                                           "party_size": party,
                                           "confirmed": True}}}],
        "call": {"id": call_id, "customer": {"number": caller}}}}
    r = n.request("POST", "/vapi/webhook", body=json.dumps(msg),
                  headers={"Content-Type": "application/json"})
    assert r.status == 200, r.body
    text = r.json()["results"][0]["result"]
    assert name in text, text
    return text


def outbox(n, query=""):
    r = n.get("/cerebro/outbox" + query)
    assert r.status == 200, r.body
    return r.json()


def wait_for(what, timeout=10.0):
    end = time.monotonic() + timeout
    while True:
        value = what()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.05)


def row_where(n, pred, timeout=10.0):
    def find():
        return [m for m in outbox(n)["messages"] if pred(m)]
    return wait_for(find, timeout)


def sends(fake):
    return [r for r in fake.requests(path=MESSAGES, method="POST")]


# --- the first send ----------------------------------------------------------

def test_voice_booking_sends_one_confirmation(nginx_factory, twilio):
    n = start(nginx_factory, twilio)
    book(n)

    msgs = wait_for(lambda: twilio.messages(GUEST))
    assert len(msgs) == 1
    sent = msgs[0]
    assert sent["to"] == f"whatsapp:{GUEST}"
    assert sent["from"] == SENDER
    assert "Reserva confirmada" in sent["body"]
    assert "Ana" in sent["body"] and spoken(day()) in sent["body"]
    assert "21:00" in sent["body"]

    [req] = sends(twilio)
    auth = base64.b64decode(req["headers"]["authorization"][6:]).decode()
    assert req["headers"]["authorization"].startswith("Basic ")
    assert auth == f"{DEFAULT_SID}:{DEFAULT_TOKEN}"
    assert req["form"]["StatusCallback"] == [PUBLIC + "/whatsapp/status"]

    [row] = row_where(n, lambda m: m["status"] == "sent")
    assert row["twilio_sid"] == sent["sid"]
    assert row["kind"] == "confirmation" and row["attempts"] == 1
    assert row["dedupe_key"].startswith("confirm:")

    # the fake's signed callbacks (sent, delivered) are recorded
    assert row_where(n, lambda m: m.get("delivery") == "delivered")
    assert all(c["status"] == 200 for c in twilio.delivered_callbacks())

    # later jobs runs send nothing more
    time.sleep(2.5)
    assert len(twilio.messages()) == 1
    assert len(sends(twilio)) == 1


def test_a_retried_booking_confirms_once(nginx_factory, twilio):
    n = start(nginx_factory, twilio)
    book(n, call_id="c-same")
    book(n, call_id="c-same")
    wait_for(lambda: twilio.messages(GUEST))
    time.sleep(2)
    assert len(twilio.messages()) == 1
    assert len(outbox(n)["messages"]) == 1


def test_without_twilio_the_message_waits_in_the_outbox(nginx_factory):
    n = start(nginx_factory)
    book(n)
    time.sleep(1.5)
    box = outbox(n)
    assert box["twilio"] is False
    [row] = box["messages"]
    assert row["status"] == "pending" and row["attempts"] == 0
    assert row["to"] == f"whatsapp:{GUEST}"
    assert "Reserva confirmada" in row["body"]
    assert box["counts"] == {"pending": 1, "sent": 0, "failed": 0}
    assert outbox(n, "?status=sent")["messages"] == []
    assert n.get("/cerebro/outbox?limit=0").status == 400


# --- retries -------------------------------------------------------------------

def test_429_is_retried_then_sent_once(nginx_factory, twilio):
    twilio.too_many_requests(1)
    n = start(nginx_factory, twilio)
    book(n)
    [row] = row_where(n, lambda m: m["status"] == "sent")
    assert row["attempts"] == 2
    assert [r["status"] for r in sends(twilio)] == [429, 201]
    time.sleep(2)
    assert len(twilio.messages()) == 1


def test_server_errors_are_retried_with_backoff(nginx_factory, twilio):
    twilio.server_error(2, status=503)
    n = start(nginx_factory, twilio)
    book(n)
    [row] = row_where(n, lambda m: m["status"] == "sent", timeout=15)
    assert row["attempts"] == 3
    # a 5xx may have sent it: each retry first asks Twilio (the second
    # 503 answers that question), and sends only when nothing went
    seen = [(r["method"], r["status"]) for r in twilio.requests(MESSAGES)]
    assert seen == [("POST", 503), ("GET", 503), ("GET", 200),
                    ("POST", 201)]
    times = [r["time"] for r in twilio.requests(MESSAGES)]
    # 1 s then 2 s (capped exponential), due times in whole seconds: the
    # second wait is at least 1 s however slow the machine (a lower bound:
    # load only ever delays an attempt)
    assert times[2] - times[1] >= 0.9
    assert len(twilio.messages()) == 1


def test_invalid_number_fails_for_good(nginx_factory, twilio):
    twilio.configure(invalid_numbers=[GUEST])
    n = start(nginx_factory, twilio)
    book(n)
    [row] = row_where(n, lambda m: m["status"] == "failed")
    assert row["last_error"].startswith("21211")
    time.sleep(2)
    assert len(sends(twilio)) == 1
    assert twilio.messages() == []


# --- attempts whose answer was lost: asked, never sent twice ----------------------

def lists(fake):
    return [r for r in fake.requests(path=MESSAGES, method="GET")]


def test_a_send_whose_answer_was_lost_is_not_sent_again(nginx_factory,
                                                        twilio):
    twilio.lose_answers(1)
    n = start(nginx_factory, twilio)
    book(n)
    [row] = row_where(n, lambda m: m["status"] == "sent", timeout=15)
    [msg] = twilio.messages(GUEST)
    assert row["twilio_sid"] == msg["sid"]
    # the retry asked Twilio for the latest messages to the guest
    [ask] = lists(twilio)
    assert ask["query"]["To"] == ["whatsapp:" + GUEST]
    assert ask["query"]["From"] == [SENDER]
    assert len(sends(twilio)) == 1
    assert "not sent again" in n.log_text()


def test_a_retry_that_twilio_never_received_is_sent(nginx_factory, twilio):
    twilio.drop_next(1, path=MESSAGES, method="POST")
    n = start(nginx_factory, twilio)
    book(n)
    [row] = row_where(n, lambda m: m["status"] == "sent", timeout=15)
    [msg] = twilio.messages(GUEST)
    assert row["twilio_sid"] == msg["sid"]
    assert len(lists(twilio)) == 1
    assert row["attempts"] == 2


def test_a_worker_killed_while_twilio_answers_sends_once(nginx_factory,
                                                        twilio):
    twilio.configure(answer_delay=30)
    e = twilio_env(twilio)
    n = nginx_factory(env=e, workers=1)
    twilio.configure(callback_rewrite={PUBLIC: f"http://127.0.0.1:{n.port}"})
    configure(n, "    cerebro_outbox_lease 2s;\n")
    n.start()
    [worker] = wait_for(n.workers)
    book(n)
    # Twilio has it, and holds its answer: the worker dies meanwhile
    assert wait_for(lambda: twilio.messages(GUEST))
    n.kill_worker(worker)
    twilio.configure(answer_delay=0)
    [row] = row_where(n, lambda m: m["status"] == "sent", timeout=20)
    [msg] = twilio.messages(GUEST)
    assert row["twilio_sid"] == msg["sid"]
    assert len(sends(twilio)) == 1


def test_confirmations_survive_killed_workers_sent_once(nginx_factory,
                                                         twilio):
    """Bookings from three callers at once while Twilio answers slowly
    (1.5 s) and a worker is killed three times with first attempts in
    flight: every booking the store holds has its confirmation, and
    Twilio gets each exactly once (the jobs run finds the killed attempts'
    messages at Twilio and adopts their sids)."""
    import threading

    PHONES = [GUEST, "+34600111333", "+34600111444"]
    for p in PHONES:
        twilio.open_window(p)

    def sent_to_all():
        return [m for p in PHONES for m in twilio.messages(p)]

    twilio.configure(answer_delay=1.5)
    n = nginx_factory(env=twilio_env(twilio), workers=2)
    twilio.configure(callback_rewrite={PUBLIC: f"http://127.0.0.1:{n.port}"})
    n.render()
    n.edit_conf("http {", "http {\n" + KNOBS
                + "    cerebro_outbox_lease 3s;\n"
                + "    cerebro_guest_limit 0;\n")
    n.start()
    assert wait_for(lambda: len(n.workers()) == 2)

    def caller(k):
        for i in range(8):
            msg = {"message": {
                "type": "tool-calls",
                "toolCallList": [{
                    "id": f"t-{k}-{i}", "type": "function",
                    "function": {"name": "create_reservation", "arguments": {
                        "name": f"Guest{k}x{i}",
                        "date": day(3 + 7 * i).isoformat(),
                        "time": ["13:00", "20:30", "21:30"][k],
                        "party_size": 2, "confirmed": True}}}],
                "call": {"id": f"c-{k}-{i}",
                         "customer": {"number": PHONES[k]}}}}
            try:
                n.request("POST", "/vapi/webhook", body=json.dumps(msg),
                          headers={"Content-Type": "application/json"})
            except OSError:
                # its worker was killed under it: booked or not, the
                # guest heard neither
                died.add(f"Guest{k}x{i}")

    died = set()

    threads = [threading.Thread(target=caller, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for k in (3, 8, 13):
        # killed while Twilio holds answers to attempts in flight
        assert wait_for(lambda: len(sent_to_all()) >= k, 30)
        victim = sorted(n.workers())[0]
        n.kill_worker(victim)
        assert wait_for(lambda: victim not in n.workers()
                        and len(n.workers()) == 2)
    for t in threads:
        t.join(60)

    booked = []
    for p in PHONES:
        r = n.get("/cerebro/reservations?phone=" + urllib.parse.quote(p))
        assert r.status == 200, r.body
        booked += [b for b in r.json()["reservations"]
                   if b.get("status") != "cancelled"]
    assert len(booked) >= 13

    def all_sent():
        rows = [m for m in outbox(n, "?limit=500")["messages"]
                if m["kind"] == "confirmation"]
        return rows if rows and all(m["status"] == "sent"
                                    for m in rows) else None

    rows = wait_for(all_sent, timeout=60)
    assert rows, outbox(n, "?limit=500")
    names = sorted(b["client_name"] for b in booked)
    confirmed = {m["reservation_id"] for m in rows}
    assert confirmed <= {b["id"] for b in booked}
    # every booking the store holds has exactly one confirmation, whether
    # its caller heard the answer or its worker died under it: the row is
    # written in the booking's own transaction
    assert confirmed == {b["id"] for b in booked}, (names, died)
    per_booking = [m["reservation_id"] for m in rows]
    assert len(per_booking) == len(set(per_booking)), rows
    bodies = [m["body"] for m in sent_to_all()]
    assert len(bodies) == len(set(bodies)) == len(rows), names
    assert {m["twilio_sid"] for m in rows} == {
        m["sid"] for m in sent_to_all()}


# --- the 24-hour window ----------------------------------------------------------

def test_63016_at_once_resends_as_template(nginx_factory, twilio):
    twilio.configure(window_numbers=[], window_mode="sync",
                     templates={TEMPLATE: "Mensaje de En Las Nubes: {{1}}"})
    n = start(nginx_factory, twilio,
              conf=f"    cerebro_whatsapp_template {TEMPLATE};\n")
    book(n)
    [tpl] = row_where(n, lambda m: m["status"] == "sent")
    [first] = [m for m in outbox(n)["messages"] if m["status"] == "failed"]
    assert first["last_error"].startswith("63016")
    assert "resent as template" in first["last_error"]
    assert tpl["template_sid"] == TEMPLATE
    assert "Reserva confirmada" in tpl["variables"]["1"]
    [msg] = twilio.messages()
    assert msg["body"].startswith("Mensaje de En Las Nubes: Reserva")
    form = sends(twilio)[-1]["form"]
    assert form["ContentSid"] == [TEMPLATE] and "Body" not in form
    assert json.loads(form["ContentVariables"][0])["1"] \
        == tpl["variables"]["1"]


def test_63016_in_the_status_callback_resends_as_template(nginx_factory,
                                                          twilio):
    twilio.configure(window_numbers=[])
    n = start(nginx_factory, twilio,
              conf=f"    cerebro_whatsapp_template {TEMPLATE};\n")
    book(n)
    [tpl] = row_where(n, lambda m: m.get("template_sid") == TEMPLATE
                      and m["status"] == "sent")
    [free] = [m for m in outbox(n)["messages"] if "body" in m]
    assert free["status"] == "sent"
    wait_for(lambda: [m for m in outbox(n)["messages"]
                      if m.get("error_code") == "63016"])
    [free] = [m for m in outbox(n)["messages"] if "body" in m]
    assert free["delivery"] == "failed" and free["error_code"] == "63016"
    msgs = twilio.messages()
    assert len(msgs) == 2 and msgs[1]["_request"]["ContentSid"] == TEMPLATE
    time.sleep(2)
    assert len(twilio.messages()) == 2


def test_63016_without_a_template_is_a_failure(nginx_factory, twilio):
    twilio.configure(window_numbers=[], window_mode="sync")
    n = start(nginx_factory, twilio)
    book(n)
    [row] = row_where(n, lambda m: m["status"] == "failed")
    assert "no cerebro_whatsapp_template" in row["last_error"]
    assert len(outbox(n)["messages"]) == 1


# --- status callbacks ------------------------------------------------------------

def status_post(n, params, signature):
    body = urllib.parse.urlencode(params)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return n.request("POST", "/whatsapp/status", body=body, headers=headers)


def test_status_callbacks_are_signed_and_recorded(nginx_factory, twilio):
    twilio.configure(callbacks=False)
    n = start(nginx_factory, twilio)
    book(n)
    [row] = row_where(n, lambda m: m["status"] == "sent")
    params = {"MessageSid": row["twilio_sid"], "MessageStatus": "read",
              "AccountSid": DEFAULT_SID, "To": f"whatsapp:{GUEST}"}
    url = PUBLIC + "/whatsapp/status"
    good = twilio_sign.compute_signature(DEFAULT_TOKEN, url, params)

    assert status_post(n, params, None).status == 403
    assert status_post(n, params, "AAAA" + good[4:]).status == 403
    tampered = dict(params, MessageStatus="failed")
    assert status_post(n, tampered, good).status == 403
    assert outbox(n)["messages"][0].get("delivery") == "queued"

    assert status_post(n, params, good).status == 200
    assert outbox(n)["messages"][0]["delivery"] == "read"

    # an older status arriving late does not go back
    late = dict(params, MessageStatus="delivered")
    sig = twilio_sign.compute_signature(DEFAULT_TOKEN, url, late)
    assert status_post(n, late, sig).status == 200
    assert outbox(n)["messages"][0]["delivery"] == "read"

    missing = {"MessageStatus": "sent"}
    sig = twilio_sign.compute_signature(DEFAULT_TOKEN, url, missing)
    assert status_post(n, missing, sig).status == 400


# --- restarts, reminders, opt-outs -------------------------------------------------

def test_pending_messages_are_sent_after_a_restart(nginx_factory, twilio):
    n = nginx_factory()
    configure(n)
    n.start()
    book(n)
    [row] = outbox(n)["messages"]
    assert row["status"] == "pending"
    assert n.stop() == 0
    assert twilio.messages() == []

    # the same prefix (and SQLite file), now with Twilio configured
    n.env.update(twilio_env(twilio))
    twilio.configure(callback_rewrite={PUBLIC: f"http://127.0.0.1:{n.port}"})
    configure(n)
    n.start()
    [row] = row_where(n, lambda m: m["status"] == "sent")
    [msg] = twilio.messages()
    assert row["twilio_sid"] == msg["sid"]
    assert "Reserva confirmada" in msg["body"]


def test_reminders_fire_once(nginx_factory, twilio):
    # "the morning of the booking" moved to today, from midnight on
    n = start(nginx_factory, twilio,
              conf="    cerebro_reminder_hour 0;\n"
                   "    cerebro_reminder_days_before 7;\n")
    book(n, when=day(7))
    book(n, name="Bea", when=day(8), call_id="c-2", caller="+34600333444")

    def reminders():
        return [m for m in twilio.messages() if "CANCELAR" in m["body"]]

    [rem] = wait_for(reminders)
    assert rem["to"] == f"whatsapp:{GUEST}"
    assert rem["body"].endswith("Responda CANCELAR para anular.")
    assert "Ana" in rem["body"] and spoken(day(7)) in rem["body"]
    assert "21:00" in rem["body"]
    time.sleep(3)
    assert len(reminders()) == 1
    rows = [m for m in outbox(n)["messages"] if m["kind"] == "reminder"]
    assert len(rows) == 1 and rows[0]["dedupe_key"].startswith("remind:")
    assert rows[0]["reservation_id"]
    # two confirmations and one reminder, nothing else
    assert len(twilio.messages()) == 3


def test_an_opted_out_number_gets_nothing(nginx_factory, twilio):
    n = start(nginx_factory, twilio)
    assert outbox(n)["messages"] == []      # a worker made the schema
    db = sqlite3.connect(n.prefix / "data" / "cerebro.sqlite")
    db.execute("INSERT INTO opt_out (phone, opted_out, updated)"
               " VALUES (?, 1, 0)", (GUEST,))
    db.commit()
    db.close()
    book(n)
    [row] = row_where(n, lambda m: m["status"] == "failed")
    assert row["last_error"] == "opted out"
    time.sleep(2)
    assert twilio.messages() == [] and sends(twilio) == []


def test_bad_directive_values_fail_nginx_t(nginx_factory):
    for conf in ("    cerebro_reminder_hour 24;\n",
                 "    cerebro_whatsapp_template HXnope;\n"):
        n = nginx_factory()
        configure(n, conf)
        code, out = n.test_config()
        assert code != 0
        assert "cerebro_reminder_hour" in out or \
            "cerebro_whatsapp_template" in out


def test_cancelar_after_a_reminder_cancels_that_booking(nginx_factory,
                                                        twilio):
    n = start(nginx_factory, twilio,
              conf="    cerebro_reminder_hour 0;\n"
                   "    cerebro_reminder_days_before 7;\n")
    book(n, when=day(7))
    book(n, name="Ana", when=day(9), call_id="c-2")   # the same guest

    assert wait_for(lambda: [m for m in twilio.messages()
                             if "CANCELAR" in m["body"]])

    params = {"MessageSid": "SM" + "ab" * 16, "AccountSid": DEFAULT_SID,
              "From": f"whatsapp:{GUEST}", "To": SENDER, "Body": "CANCELAR",
              "NumMedia": "0", "ProfileName": "Ana", "WaId": GUEST[1:]}
    url = PUBLIC + "/whatsapp/webhook"
    r = n.request("POST", "/whatsapp/webhook",
                  body=urllib.parse.urlencode(params),
                  headers={"Content-Type":
                           "application/x-www-form-urlencoded",
                           "X-Twilio-Signature":
                           twilio_sign.compute_signature(DEFAULT_TOKEN, url,
                                                         params)})
    assert r.status == 200, r.body
    assert "cancel" in r.body.decode().lower()

    def status_on(d):
        rows = n.get(f"/cerebro/reservations?date={d.isoformat()}") \
            .json()["reservations"]
        return [x["status"] for x in rows]

    assert status_on(day(7)) == ["cancelled"]
    assert status_on(day(9)) == ["confirmed"]
