"""Issue 20, the waiting list: a full evening, guests who join the list by
voice and WhatsApp, a cancellation whose table is offered on WhatsApp to
the first guest whose party fits, held for cerebro_waitlist_hold; SÍ books
it, NO or silence passes it on, BAJA DE LA LISTA takes a guest off; never
two offers of one table (two hosts on one file and one Redis included);
never an offer for a slot inside the lead time.  Embedded store."""

import datetime as dt
import json
import sqlite3
import time
from zoneinfo import ZoneInfo

import pytest

from harness import REPO
from voice import day, post, result_of, spoken, tool_call
from test_whatsapp import Guest, said
from tests.fakes.twilio import DEFAULT_SID, DEFAULT_TOKEN, TwilioFake

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"
PUBLIC = "https://cerebro.example.com"
SENDER = "whatsapp:+14155238886"
MADRID = ZoneInfo("Europe/Madrid")

ANA, BEA = "+34600000001", "+34600000002"         # the full evening
WENDY, WALTER = "+34600000011", "+34600000012"    # the waiting list
GUESTS = [ANA, BEA, WENDY, WALTER]


@pytest.fixture
def twilio():
    fake = TwilioFake(window_numbers=GUESTS)
    fake.start()
    yield fake
    fake.stop()


def start(nginx_factory, fake, hold="15m", env=None, name=None,
          restaurant=SMALL):
    e = {"TWILIO_ACCOUNT_SID": DEFAULT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_TOKEN,
         "TWILIO_WHATSAPP_NUMBER": SENDER, "TWILIO_API_URL": fake.url,
         "PUBLIC_URL": PUBLIC}
    e.update(env or {})
    n = nginx_factory(env=e, name=name)
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {restaurant};\n"
                "    cerebro_jobs_interval 1s;\n"
                "    cerebro_outbox_retry 1s;\n"
                f"    cerebro_waitlist_hold {hold};\n")
    return n.start()


def wait_for(what, timeout=15.0):
    end = time.monotonic() + timeout
    while True:
        value = what()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.05)


def call(n, name, args, caller):
    return result_of(post(n, tool_call(name, args, caller=caller,
                                       call_id=f"c-{caller}-{name}")))


def book(n, who, name, when, time_="21:00", party=4):
    text = call(n, "create_reservation",
                {"name": name, "date": when.isoformat(), "time": time_,
                 "party_size": party}, who)
    assert name in text and "Lo siento" not in text, text
    return text


def full_evening(n, when):
    """Both tables taken at 21:00."""
    book(n, ANA, "Ana", when)
    book(n, BEA, "Bea", when)


def join(n, who, name, when, time_="21:00", party=2, **extra):
    args = {"name": name, "date": when.isoformat(), "time": time_,
            "party_size": party}
    args.update(extra)
    return call(n, "join_waitlist", args, who)


def cancel(n, who):
    text = call(n, "cancel_reservation", {}, who)
    assert "anulad" in text or "cancel" in text.lower(), text
    return text


def offers(fake, to):
    return [m for m in fake.messages(to=to)
            if "se ha liberado una mesa" in m["body"]]


def waitlist(n):
    r = n.get("/cerebro/waitlist")
    assert r.status == 200, r.body
    return {w["phone"]: w for w in r.json()["waitlist"]}


def reservations(n, when):
    r = n.get(f"/cerebro/reservations?date={when.isoformat()}")
    assert r.status == 200, r.body
    return [x for x in r.json()["reservations"] if x["status"] == "confirmed"]


_guests = {}


def guest(n, phone):
    """One Guest per host and number: its MessageSids never repeat."""
    key = (n.port, phone)
    if key not in _guests:
        _guests[key] = Guest(n, phone=phone, token=DEFAULT_TOKEN)
    return _guests[key]


# ---- the journey -------------------------------------------------------------

def test_full_evening_cancel_offer_yes_books(nginx_factory, twilio):
    n = start(nginx_factory, twilio)
    when = day(7)
    full_evening(n, when)

    # the check says so, and offers the list
    text = call(n, "check_availability",
                {"date": when.isoformat(), "time": "21:00", "party_size": 2},
                WENDY)
    assert "lista de espera" in text, text

    # voice: Wendy joins first; WhatsApp (rule-based dialogue): Walter next
    text = join(n, WENDY, "Wendy", when)
    assert "lista de espera" in text and spoken(when) in text, text
    assert "Todavía no es una reserva" in text
    reply = guest(n, WALTER).say(
        f"Apúntame en la lista de espera para 2 {said(when)} a las 21:00 "
        "a nombre de Walter")
    assert "lista de espera" in reply, reply

    listed = waitlist(n)
    assert listed[WENDY]["status"] == "waiting"
    assert listed[WALTER]["status"] == "waiting"
    assert listed[WALTER]["name"] == "Walter"
    assert listed[WENDY]["party_size"] == 2

    # a second join of the same slot is the same entry
    join(n, WENDY, "Wendy", when)
    assert len([w for w in waitlist(n).values()
                if w["phone"] == WENDY]) == 1

    cancel(n, ANA)

    [offer] = wait_for(lambda: offers(twilio, WENDY))
    assert "21:00" in offer["body"] and "SÍ" in offer["body"]
    assert "15 minutos" in offer["body"] and spoken(when) in offer["body"]
    listed = waitlist(n)
    assert listed[WENDY]["status"] == "offered"
    assert listed[WENDY]["offer_time"] == "21:00"
    assert listed[WALTER]["status"] == "waiting"
    assert offers(twilio, WALTER) == []

    reply = guest(n, WENDY).say("Sí")
    assert "Wendy" in reply and "Lo siento" not in reply, reply

    names = sorted(x["client_name"] for x in reservations(n, when))
    assert names == ["Bea", "Wendy"]
    listed = waitlist(n)
    assert listed[WENDY]["status"] == "booked"
    assert listed[WENDY]["reservation_id"]
    # the one table went to Wendy: nobody else was offered it
    assert listed[WALTER]["status"] == "waiting"
    assert offers(twilio, WALTER) == []
    # and the booking was confirmed like any other
    assert wait_for(lambda: [m for m in twilio.messages(to=WENDY)
                             if "Reserva confirmada" in m["body"]])

    # another table frees: now Walter's turn, and he says NO
    cancel(n, BEA)
    assert wait_for(lambda: offers(twilio, WALTER))
    reply = guest(n, WALTER).say("no")
    assert "siguiente persona" in reply, reply
    assert waitlist(n)[WALTER]["status"] == "declined"
    assert [x["client_name"] for x in reservations(n, when)] == ["Wendy"]


def test_a_hold_that_runs_out_passes_to_the_next(nginx_factory, twilio):
    n = start(nginx_factory, twilio, hold="2s")
    when = day(8)
    full_evening(n, when)
    join(n, WENDY, "Wendy", when)
    join(n, WALTER, "Walter", when)
    cancel(n, ANA)

    assert wait_for(lambda: offers(twilio, WENDY))
    # Wendy says nothing: past her hold the table is Walter's
    [offer] = wait_for(lambda: offers(twilio, WALTER))
    assert "2 minutos" not in offer["body"]
    listed = waitlist(n)
    assert listed[WENDY]["status"] == "passed"
    assert listed[WALTER]["status"] == "offered"
    assert len(offers(twilio, WENDY)) == 1

    # a SÍ after the hold is no booking from the list
    guest(n, WENDY).say("Sí")
    assert waitlist(n)[WENDY]["status"] == "passed"
    assert "Wendy" not in [x["client_name"] for x in reservations(n, when)]

    reply = guest(n, WALTER).say("SÍ")
    assert "Walter" in reply, reply
    assert sorted(x["client_name"] for x in reservations(n, when)) == \
        ["Bea", "Walter"]


def test_baja_de_la_lista(nginx_factory, twilio):
    n = start(nginx_factory, twilio)
    when = day(9)
    full_evening(n, when)
    join(n, WENDY, "Wendy", when)
    join(n, WALTER, "Walter", when)

    reply = guest(n, WENDY).say("BAJA DE LA LISTA")
    assert "ya no está en la lista" in reply, reply
    assert waitlist(n)[WENDY]["status"] == "left"
    # a second time: nothing to leave
    assert "No le tenemos" in guest(n, WENDY).say("baja de la lista")

    cancel(n, ANA)
    assert wait_for(lambda: offers(twilio, WALTER))
    assert offers(twilio, WENDY) == []


def test_no_offer_inside_the_lead_time(nginx_factory, twilio, tmp_path):
    # a restaurant that books 60 minutes ahead at least
    rules = json.loads(SMALL.read_text())
    rules["booking_window"]["min_lead_minutes"] = 60
    # open all day: "soon" is always inside a service
    for services in rules["services"].values():
        services[:] = [{"name": "todo el día", "start": "00:00",
                        "end": "23:59", "last_seating": "23:59"}]
    path = tmp_path / "lead.json"
    path.write_text(json.dumps(rules))
    n = start(nginx_factory, twilio, restaurant=path)
    data = n.prefix / "data"

    now = dt.datetime.now(MADRID)
    soon = now + dt.timedelta(minutes=20)

    # an entry that was far enough when it joined and no longer is, with
    # every table free: it is not offered, it expires
    db = sqlite3.connect(data / "cerebro.sqlite", timeout=5)
    stamp = int(time.time())
    db.execute("INSERT INTO waitlist (name, phone, day, time_from, time_to,"
               " pax, until, created, updated) VALUES (?, ?, ?, ?, ?, 2, ?,"
               " ?, ?)",
               ("Walter", WALTER, soon.date().isoformat(),
                soon.hour * 60 + soon.minute, soon.hour * 60 + soon.minute,
                stamp + 20 * 60, stamp, stamp))
    db.commit()
    db.close()

    assert wait_for(lambda: waitlist(n).get(WALTER, {}).get("status")
                    == "expired")
    assert offers(twilio, WALTER) == []


def test_two_hosts_one_redis_one_offer(nginx_factory, twilio, prefixes,
                                       redis_server):
    """Two nginx instances on one data directory and one Redis, each with
    its jobs run every second: one table, two waiting guests, one offer."""
    data = prefixes / "shared"
    env = {"REDIS_URL": redis_server.url, "CEREBRO_DATA_DIR": str(data)}
    hosts = [start(nginx_factory, twilio, env=env, name=f"host{i}")
             for i in range(2)]
    when = day(10)
    full_evening(hosts[0], when)
    join(hosts[1], WENDY, "Wendy", when)
    join(hosts[0], WALTER, "Walter", when)

    cancel(hosts[1], ANA)

    assert wait_for(lambda: offers(twilio, WENDY))
    for h in hosts:
        listed = waitlist(h)
        assert listed[WENDY]["status"] == "offered"
        assert listed[WALTER]["status"] == "waiting"

    # Wendy answers on the other host: booked once, nobody else offered
    reply = guest(hosts[0], WENDY).say("sí")
    assert "Wendy" in reply, reply
    assert sorted(x["client_name"] for x in reservations(hosts[1], when)) \
        == ["Bea", "Wendy"]
    assert len(offers(twilio, WENDY)) == 1
    assert offers(twilio, WALTER) == []


def test_two_hosts_own_lists_one_redis_one_offer(nginx_factory, twilio,
                                                 redis_server):
    """Airtable as the store: each host keeps its own list (its file), the
    book is shared; one freed table is offered by one host only, the claim
    in Redis refusing the other; a NO lets the other host offer it."""
    from tests.fakes.airtable import AirtableFake, WAITLIST_SCHEMA
    from test_store_airtable import TOKEN
    from test_vapi_airtable import EXTRAS, RESERVAS

    fake = AirtableFake(token=TOKEN, max_page_size=100, rate_limit=0)
    fake.start()
    try:
        fake.seed({"tables": {
            "ListaEspera": {"fields": WAITLIST_SCHEMA["ListaEspera"]},
            "Reservas": {"fields": dict(RESERVAS, **EXTRAS)},
            "Mesas": {"records": [
                {"name": n, "capacity_min": 1, "capacity_max": 4,
                 "location": "sala"} for n in ("T1", "T2")]}}})
        env = {"AIRTABLE_API_KEY": TOKEN, "AIRTABLE_BASE_ID": fake.base_id,
               "AIRTABLE_API_URL": fake.url, "REDIS_URL": redis_server.url,
               "CEREBRO_LOG_LEVEL": "info"}
        hosts = [start(nginx_factory, twilio, env=env, name=f"host{i}")
                 for i in range(2)]
        when = day(11)
        full_evening(hosts[0], when)
        join(hosts[0], WENDY, "Wendy", when)
        join(hosts[1], WALTER, "Walter", when)
        assert WALTER not in waitlist(hosts[0])
        assert WENDY not in waitlist(hosts[1])

        cancel(hosts[1], ANA)

        def offered():
            return offers(twilio, WENDY) + offers(twilio, WALTER)

        [first] = wait_for(offered, timeout=30)
        winner = 0 if first["to"].endswith(WENDY) else 1
        loser = hosts[1 - winner]
        # the other host's run found the table claimed, and sent nothing
        assert wait_for(lambda: "is offered elsewhere"
                        in loser.error_log.read_text(), timeout=30)
        assert len(offered()) == 1

        # a NO lets the claim go: the other host's guest gets the table
        who = (WENDY, WALTER)
        reply = guest(hosts[winner], who[winner]).say("No")
        assert "siguiente persona" in reply, reply
        assert wait_for(lambda: offers(twilio, who[1 - winner]), timeout=30)
        reply = guest(loser, who[1 - winner]).say("Sí")
        assert "Lo siento" not in reply, reply
        assert len(offered()) == 2

        # the base's ListaEspera shows both, as the hosts' files say
        def listed():
            rows = {r["fields"]["phone"]: r["fields"]
                    for r in fake.records("ListaEspera")}
            statuses = {p: rows.get(p, {}).get("status") for p in who}
            return rows if statuses == {who[winner]: "declined",
                                        who[1 - winner]: "booked"} else None
        rows = wait_for(listed, timeout=30)
        assert rows, fake.records("ListaEspera")
        assert rows[WENDY]["name"] == "Wendy"
        assert rows[WENDY]["date"] == when.isoformat()
        assert rows[WENDY]["time"] == "21:00"
        assert rows[WENDY]["party_size"] == 2
        assert rows[who[1 - winner]]["reservation_id"].startswith("rec")
        assert len(fake.records("ListaEspera")) == 2
    finally:
        fake.stop()
