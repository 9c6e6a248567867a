"""Issue 20: the second reminder, cerebro_reminder_second hours before a
booking, with CANCELAR and the booking's link: sent once (across jobs runs
and a restart), not when off, not for a cancelled booking, not for one made
within the window (its confirmation is as recent); once across two hosts
that share Redis, each with its own outbox."""

import datetime
import json
import re
import sqlite3
import time
import urllib.parse

import pytest

from harness import REPO
from voice import MADRID
from tests.fakes import twilio_sign
from tests.fakes.airtable import AirtableFake
from tests.fakes.twilio import DEFAULT_SID, DEFAULT_TOKEN, TwilioFake

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"
PUBLIC = "https://cerebro.example.com"
SENDER = "whatsapp:+14155238886"
SECRET = "link-secret-for-the-tests-0123456789abcdef"
ANA, BEA, CARLA, DORA = ("+34600111222", "+34600333444", "+34600555666",
                         "+34600777888")
REMINDER = "Le recordamos su reserva"
AIRTABLE_TOKEN = "patSECOND.0123456789abcdefREMIND"


@pytest.fixture
def twilio():
    fake = TwilioFake(window_numbers=[ANA, BEA, CARLA, DORA])
    fake.start()
    yield fake
    fake.stop()


def start(nginx_factory, twilio, conf):
    n = nginx_factory(env={"TWILIO_ACCOUNT_SID": DEFAULT_SID,
                           "TWILIO_AUTH_TOKEN": DEFAULT_TOKEN,
                           "TWILIO_WHATSAPP_NUMBER": SENDER,
                           "TWILIO_API_URL": twilio.url,
                           "PUBLIC_URL": PUBLIC,
                           "CEREBRO_LINK_SECRET": SECRET})
    twilio.configure(callback_rewrite={PUBLIC: f"http://127.0.0.1:{n.port}"})
    configure(n, conf)
    return n.start()


def configure(n, conf):
    # no read cache: the test dates a booking back in the file itself
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};\n"
                "    cerebro_jobs_interval 1s;\n    cerebro_cache off;\n"
                f"{conf}")


def slot():
    """The next quarter hour at least 30 minutes away that the restaurant
    seats (12:00 to 23:00 every day): always within 24 hours."""
    t = datetime.datetime.now(MADRID) + datetime.timedelta(minutes=30)
    t = t.replace(minute=t.minute - t.minute % 15, second=0, microsecond=0) \
        + datetime.timedelta(minutes=15)
    if t.hour < 12:
        t = t.replace(hour=12, minute=0)
    elif t.hour > 22 or (t.hour == 22 and t.minute > 45):
        t = (t + datetime.timedelta(days=1)).replace(hour=12, minute=0)
    return t


def book(n, name, phone, when, party=2):
    msg = {"message": {
        "type": "tool-calls",
        "toolCallList": [{"id": f"t-{name}-{time.monotonic_ns()}",
                          "type": "function",
                          "function": {"name": "create_reservation",
                                       "arguments": {
                                           "name": name,
                                           "date": when.date().isoformat(),
                                           "time": when.strftime("%H:%M"),
                                           "party_size": party,
                                           "confirmed": True}}}],
        "call": {"id": f"c-{name}", "customer": {"number": phone}}}}
    r = n.request("POST", "/vapi/webhook", body=json.dumps(msg),
                  headers={"Content-Type": "application/json"})
    assert r.status == 200, r.body
    assert name in r.json()["results"][0]["result"], r.body
    rows = [b for b in bookings(n, when)
            if b["client_name"] == name and b["status"] == "confirmed"]
    assert len(rows) == 1, rows
    return rows[0]["id"]


def bookings(n, when):
    r = n.get(f"/cerebro/reservations?date={when.date().isoformat()}")
    assert r.status == 200, r.body
    return r.json()["reservations"]


def made_long_ago(n, booking_id):
    """As if the guest had booked two days before."""
    db = sqlite3.connect(n.prefix / "data" / "cerebro.sqlite", timeout=10)
    db.execute("UPDATE reservations SET created = created - 172800"
               " WHERE id = ?", (int(booking_id),))
    db.commit()
    db.close()


def reminders(twilio, phone):
    return [m for m in twilio.messages(phone) if REMINDER in m["body"]]


def wait_for(what, timeout=15.0):
    end = time.monotonic() + timeout
    while True:
        value = what()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.05)


# the morning reminder only for bookings a month away: not these
MORNING_ELSEWHERE = ("    cerebro_reminder_hour 0;\n"
                     "    cerebro_reminder_days_before 30;\n")


def test_second_reminder_once_and_only_where_due(nginx_factory, twilio):
    n = start(nginx_factory, twilio,
              MORNING_ELSEWHERE + "    cerebro_reminder_second 24h;\n")
    when = slot()

    # Carla booked long ago and cancelled: her table is free again
    carla = book(n, "Carla", CARLA, when)
    assert n.request("DELETE", f"/cerebro/reservations/{carla}").status \
        == 200
    made_long_ago(n, carla)
    ana = book(n, "Ana", ANA, when)
    made_long_ago(n, ana)
    book(n, "Bea", BEA, when)          # just made: the confirmation is enough

    [rem] = wait_for(lambda: reminders(twilio, ANA))
    body = rem["body"]
    assert "Ana" in body and when.strftime("%H:%M") in body
    assert "Responda CANCELAR para anular." in body
    link = re.search(re.escape(PUBLIC) + r"/r/([A-Za-z0-9_-]+)", body)
    assert link, body
    assert n.get(f"/r/{link.group(1)}").status == 200
    # the run that queued Ana's looked at Bea's and Carla's too
    assert reminders(twilio, BEA) == [] and reminders(twilio, CARLA) == []

    rows = [m for m in n.get("/cerebro/outbox").json()["messages"]
            if m["kind"] == "reminder"]
    assert [r["dedupe_key"] for r in rows] == \
        [f"remind2:{ana}:{int(when.timestamp())}"]

    # a restart, then another booking due: its reminder shows a run after
    # the restart looked at Ana's again, and did not send it twice
    assert n.stop() == 0
    n.start()
    bea = [b["id"] for b in bookings(n, when) if b["client_name"] == "Bea"]
    assert n.request("DELETE", f"/cerebro/reservations/{bea[0]}").status \
        == 200
    dora = book(n, "Dora", DORA, when)
    made_long_ago(n, dora)
    assert wait_for(lambda: reminders(twilio, DORA))
    assert len(reminders(twilio, ANA)) == 1

    # CANCELAR answers the second reminder as it does the morning's
    params = {"MessageSid": "SM" + "cd" * 16, "AccountSid": DEFAULT_SID,
              "From": f"whatsapp:{ANA}", "To": SENDER, "Body": "CANCELAR",
              "NumMedia": "0", "WaId": ANA[1:]}
    r = n.request("POST", "/whatsapp/webhook",
                  body=urllib.parse.urlencode(params),
                  headers={"Content-Type":
                           "application/x-www-form-urlencoded",
                           "X-Twilio-Signature": twilio_sign
                           .compute_signature(DEFAULT_TOKEN,
                                              PUBLIC + "/whatsapp/webhook",
                                              params)})
    assert r.status == 200, r.body
    rows = {b["client_name"]: b["status"] for b in bookings(n, when)}
    assert rows["Ana"] == "cancelled" and rows["Dora"] == "confirmed", rows


def test_no_second_reminder_when_off(nginx_factory, twilio):
    # the morning reminder of a booking a week away is the witness that
    # the jobs ran: the second reminder is off by default
    n = start(nginx_factory, twilio,
              "    cerebro_reminder_hour 0;\n"
              "    cerebro_reminder_days_before 7;\n")
    when = slot()
    ana = book(n, "Ana", ANA, when)
    made_long_ago(n, ana)
    week = (datetime.datetime.now(MADRID) + datetime.timedelta(days=7)) \
        .replace(hour=21, minute=0, second=0, microsecond=0)
    book(n, "Dora", DORA, week)

    # Dora's reminder went out after Ana's booking was dated back
    assert wait_for(lambda: reminders(twilio, DORA))
    assert reminders(twilio, ANA) == []
    assert not [m for m in n.get("/cerebro/outbox").json()["messages"]
                if m["dedupe_key"].startswith("remind2:")]


def test_bad_values_fail_nginx_t(nginx_factory):
    for value in ("0", "25h", "soon"):
        n = nginx_factory()
        n.render()
        n.edit_conf("http {", "http {\n"
                    f"    cerebro_reminder_second {value};\n")
        code, out = n.test_config()
        assert code != 0 and "cerebro_reminder_second" in out, value


@pytest.mark.parametrize("which", ["second", "morning"])
def test_two_hosts_sharing_redis_send_it_once(nginx_factory, twilio,
                                              redis_server, which):
    # each host has an outbox file of its own: the claim in Redis is what
    # tells the second host that the first sent it (the morning reminder
    # is claimed the same way)
    airtable = AirtableFake(token=AIRTABLE_TOKEN)
    airtable.start()
    try:
        airtable.seed({"tables": {"Mesas": {"records": [
            dict(t) for t in json.loads(SMALL.read_text())["tables"]]}}})
        if which == "second":
            when = slot()
            conf = MORNING_ELSEWHERE + "    cerebro_reminder_second 24h;\n"
            prefix = "remind2:rec"
        else:
            when = (datetime.datetime.now(MADRID)
                    + datetime.timedelta(days=7)).replace(
                        hour=21, minute=0, second=0, microsecond=0)
            conf = ("    cerebro_reminder_hour 0;\n"
                    "    cerebro_reminder_days_before 7;\n")
            prefix = "remind:rec"
        long_ago = (datetime.datetime.now(datetime.timezone.utc)
                    - datetime.timedelta(days=2)).strftime(
                        "%Y-%m-%dT%H:%M:%S.000Z")

        def add(name, phone):
            airtable.seed({"tables": {"Reservas": {"records": [{
                "fields": {"client_name": name, "client_phone": phone,
                           "date_time": when.astimezone(
                               datetime.timezone.utc).strftime(
                                   "%Y-%m-%dT%H:%M:%S.000Z"),
                           "pax": 2, "table": "T1" if name == "Ana"
                           else "T2", "status": "confirmed"},
                "createdTime": long_ago}]}}})

        def host():
            n = nginx_factory(env={
                "TWILIO_ACCOUNT_SID": DEFAULT_SID,
                "TWILIO_AUTH_TOKEN": DEFAULT_TOKEN,
                "TWILIO_WHATSAPP_NUMBER": SENDER,
                "TWILIO_API_URL": twilio.url,
                "PUBLIC_URL": PUBLIC,
                "CEREBRO_LINK_SECRET": SECRET,
                "AIRTABLE_API_KEY": AIRTABLE_TOKEN,
                "AIRTABLE_BASE_ID": airtable.base_id,
                "AIRTABLE_API_URL": airtable.url,
                "REDIS_URL": redis_server.url})
            configure(n, conf)
            return n.start()

        add("Ana", ANA)
        first = host()
        [rem] = wait_for(lambda: reminders(twilio, ANA))
        assert "/r/" in rem["body"]
        assert first.stop() == 0

        # only the second host runs now; Dora's reminder is its witness
        second = host()
        add("Dora", DORA)
        assert wait_for(lambda: reminders(twilio, DORA))
        assert len(reminders(twilio, ANA)) == 1
        keys = [m["dedupe_key"] for m in
                second.get("/cerebro/outbox").json()["messages"]
                if m["kind"] == "reminder"]
        assert len(keys) == 1 and keys[0].startswith(prefix), keys
    finally:
        airtable.stop()
