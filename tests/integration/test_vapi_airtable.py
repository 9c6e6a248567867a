"""Issues 4 and 6: the voice channel, POST /vapi/webhook, against the
Airtable backend (the loopback fake of tests/fakes/airtable.py): the
scripted phone call of test_vapi.py played on Airtable, and each store
operation a call needs — UPDATE, GUEST, CALL_LOG (with and without the
optional call table), RANGE — checked in the fake's own records."""

import concurrent.futures
import datetime
import json
import re
import time
import urllib.parse

import pytest

from harness import REPO
from voice import MADRID, day, fixture, post, result_of, spoken, tool_call
from tests.fakes.airtable import AirtableFake

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"
TABLES = json.loads(SMALL.read_text())["tables"]
TOKEN = "patVOICE.0123456789"

# our extra fields, and the optional call log table, as provisioned
EXTRAS = {"notes": "multilineText", "source": "singleLineText",
          "call_id": "singleLineText"}
RESERVAS = {
    "client_name": "singleLineText", "client_phone": "phoneNumber",
    "date_time": "dateTime", "pax": "number", "table": "singleLineText",
    "status": {"type": "singleSelect",
               "choices": ["confirmed", "pending", "cancelled",
                           "completed", "no_show"]},
}
LLAMADAS = {
    "call_id": "singleLineText", "caller": "phoneNumber",
    "started": "dateTime", "ended": "dateTime", "duration_s": "number",
    "ended_reason": "singleLineText", "summary": "multilineText",
    "cost": "number", "booked": "checkbox", "changed": "checkbox",
    "cancelled": "checkbox",
}




def utc_iso(d, hhmm):
    h, m = map(int, hhmm.split(":"))
    local = datetime.datetime(d.year, d.month, d.day, h, m, tzinfo=MADRID)
    return local.astimezone(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")






def wait_for(predicate, timeout=10.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def formulas(fake, table="Reservas"):
    """filterByFormula of every list request the fake saw on a table, but
    the jobs run's look at the bookings of the last hour (its
    confirmations), which is not the tool calls'."""
    out = []
    for q in fake.requests(method="GET"):
        if not q["path"].endswith("/" + table):
            continue
        qs = urllib.parse.parse_qs(q["raw_query"] or "")
        out += [f for f in qs.get("filterByFormula", [])
                if "CREATED_TIME()" not in f]
    return out


def make_fake(extras=True, call_table=True):
    fake = AirtableFake(token=TOKEN, max_page_size=3, rate_pause=1.0)
    fake.start()
    tables = {"Mesas": {"records": [dict(t) for t in TABLES]}}
    if extras:
        tables["Reservas"] = {"fields": dict(RESERVAS, **EXTRAS)}
    if call_table:
        tables["Llamadas"] = {"fields": LLAMADAS}
    fake.seed({"tables": tables})
    fake.clear_log()
    return fake


def start(nginx_factory, fake, workers=2, conf=""):
    n = nginx_factory(env={"AIRTABLE_API_KEY": TOKEN,
                           "AIRTABLE_BASE_ID": fake.base_id,
                           "AIRTABLE_API_URL": fake.url}, workers=workers)
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_restaurant %s;\n"
                "    cerebro_store_timeout 10s;\n%s" % (SMALL, conf))
    return n.start()


@pytest.fixture
def fake():
    f = make_fake()
    yield f
    f.stop()


@pytest.fixture
def vapi(nginx_factory, fake):
    return start(nginx_factory, fake)


# --- the scripted call --------------------------------------------------------


def test_a_whole_phone_call_on_airtable(vapi, fake):
    caller = "+34600999888"
    d, later = day(7), day(8)

    def say(name, args, tool_id):
        return result_of(post(vapi, tool_call(name, args, "c-script-1",
                                              tool_id, caller)))

    assert post(vapi, fixture("status-update-in-progress.json")).json() == {}

    text = say("check_availability", {"date": d.isoformat(), "time": "21:00",
                                      "party_size": 2}, "t1")
    assert text.startswith("Sí") and spoken(d) in text

    text = say("create_reservation", {"name": "Lucía", "date": d.isoformat(),
                                      "time": "21:00", "party_size": 2,
                                      "notes": "sin gluten"}, "t2")
    assert "Lucía" in text and spoken(d) in text and "21:00" in text
    [rec] = fake.records("Reservas")
    f = rec["fields"]
    assert (f["client_name"], f["client_phone"], f["date_time"], f["pax"],
            f["status"], f["notes"], f["source"], f["call_id"]) == \
        ("Lucía", caller, utc_iso(d, "21:00"), 2, "confirmed", "sin gluten",
         "voice", "c-script-1")
    assert f["table"] in {t["name"] for t in TABLES}

    text = say("find_reservations", {}, "t3")
    assert "Lucía" in text and spoken(d) in text

    # UPDATE: the moved booking is a new record (settled as a create is,
    # by its createdTime), and the one it replaced is cancelled after it
    text = say("modify_reservation", {"new_date": later.isoformat(),
                                      "new_time": "20:30",
                                      "new_party_size": 3}, "t4")
    assert spoken(later) in text and "20:30" in text
    old, moved = fake.records("Reservas")
    assert old["id"] == rec["id"] and old["fields"]["status"] == "cancelled"
    assert moved["id"] != rec["id"]
    assert (moved["fields"]["date_time"], moved["fields"]["pax"],
            moved["fields"]["notes"], moved["fields"]["status"],
            moved["fields"]["client_phone"], moved["fields"]["call_id"]) == \
        (utc_iso(later, "20:30"), 3, "sin gluten", "confirmed", caller,
         "c-script-1")
    assert fake.requests(path=f"/v0/{fake.base_id}/Reservas",
                         method="PATCH")

    book = vapi.get(f"/cerebro/reservations?date={later.isoformat()}").json()
    [seen] = book["reservations"]
    assert (seen["client_name"], seen["client_phone"], seen["time"],
            seen["pax"], seen["notes"], seen["source"]) == \
        ("Lucía", caller, "20:30", 3, "sin gluten", "voice")

    text = say("cancel_reservation", {}, "t5")
    assert "cancel" in text.lower() and spoken(later) in text
    assert [(r["id"], r["fields"]["status"])
            for r in fake.records("Reservas")] == \
        [(rec["id"], "cancelled"), (moved["id"], "cancelled")]

    # GUEST: the booking recorded the caller in Clientes
    guests = wait_for(lambda: fake.records("Clientes"))
    assert [(g["fields"].get("name"), g["fields"].get("phone"))
            for g in guests] == [("Lucía", caller)]

    assert post(vapi, fixture("status-update-ended.json")).json() == {}
    assert post(vapi, fixture("end-of-call-report.json")).json() == {}
    # sent twice (VAPI may): one entry
    assert post(vapi, fixture("end-of-call-report.json")).json() == {}

    calls = wait_for(lambda: fake.records("Llamadas"))
    time.sleep(0.5)
    calls = fake.records("Llamadas")
    assert len(calls) == 1, calls
    c = calls[0]["fields"]
    assert (c["call_id"], c["caller"], c["duration_s"], c["ended_reason"],
            c["summary"], c["cost"], c["started"], c["ended"]) == \
        ("c-script-1", caller, 210, "customer-ended-call",
         "Reservó, cambió y canceló una mesa.", 0.1234,
         "2026-11-28T19:00:00.000Z", "2026-11-28T19:03:30.000Z")
    assert (c.get("booked"), c.get("changed"), c.get("cancelled")) == \
        (True, True, True)
    assert fake.rate_limited_count == 0


def test_a_retried_create_books_once_on_airtable(vapi, fake):
    args = {"name": "Pablo", "date": day(9).isoformat(), "time": "20:00",
            "party_size": 2}
    first = result_of(post(vapi, tool_call("create_reservation", args,
                                           tool_id="t-retry")))
    again = result_of(post(vapi, tool_call("create_reservation", args,
                                           tool_id="t-retry")))
    assert first == again
    assert len(fake.records("Reservas")) == 1


# --- CALL_LOG without the optional table ---------------------------------------


def test_a_base_without_the_call_table_skips_the_log_quietly(
        nginx_factory):
    fake = make_fake(call_table=False)
    try:
        n = start(nginx_factory, fake, workers=1)
        report = json.loads(fixture("end-of-call-report.json"))
        for i in range(3):
            report["message"]["call"]["id"] = f"c-nolog-{i}"
            r = post(n, report)
            assert r.status == 200 and r.json() == {}
        line = 'no table "Llamadas" in the base'
        assert wait_for(lambda: line in n.log_text())
        time.sleep(0.5)
        # logged once, asked once: the worker remembers the base lacks it
        assert n.log_text().count(line) == 1
        asked = fake.requests(path=f"/v0/{fake.base_id}/Llamadas")
        assert len(asked) == 1 and asked[0]["status"] == 404
        assert "Llamadas" not in fake.state()["bases"][fake.base_id]
        assert n.bad_log_lines() == []
    finally:
        fake.stop()


def test_calls_off_never_asks_for_the_call_table(nginx_factory):
    fake = make_fake()
    try:
        n = start(nginx_factory, fake,
                  conf="    cerebro_airtable_table calls off;\n")
        r = post(n, fixture("end-of-call-report.json"))
        assert r.status == 200 and r.json() == {}
        time.sleep(0.5)
        assert fake.requests(path=f"/v0/{fake.base_id}/Llamadas") == []
        assert fake.records("Llamadas") == []
    finally:
        fake.stop()


# --- RANGE: a full evening reads the following days ----------------------------


def fill_the_day(fake, d, phones):
    """Both tables, back to back, from opening to the last seating."""
    fake.add_records("Reservas", [
        {"client_name": f"Lleno {t['name']} {h}",
         "client_phone": phones + "%03d" % (i * 10 + j),
         "date_time": utc_iso(d, "%02d:00" % h), "pax": 2,
         "table": t["name"], "status": "confirmed"}
        for i, t in enumerate(TABLES)
        for j, h in enumerate(range(12, 24, 2))])


def test_a_full_day_offers_the_following_days_from_a_range_read(vapi, fake):
    d = day(10)
    fill_the_day(fake, d, "+34600000")
    fake.clear_log()

    text = result_of(post(vapi, tool_call("check_availability", {
        "date": d.isoformat(), "time": "21:00", "party_size": 2})))
    assert not text.startswith("Sí"), text
    following = [day(10 + k) for k in range(1, 8)]
    assert any(spoken(x) in text for x in following), text

    ranges = [f for f in formulas(fake) if "IS_AFTER" in f]
    assert ranges, formulas(fake)
    # a read that reaches past the asked day: the following days'
    covered = [datetime.date.fromisoformat(x) for f in ranges
               for x in re.findall(r"'(\d{4}-\d\d-\d\d)'", f)]
    assert max(covered) > d + datetime.timedelta(days=2), ranges
    assert fake.rate_limited_count == 0


def test_the_following_days_come_from_the_cache_the_second_time(vapi, fake):
    """The range fills the days' cache entries (shared memory here): the
    same question again costs Airtable nothing, the answer is the same."""
    d = day(11)
    fill_the_day(fake, d, "+34600001")
    ask = {"date": d.isoformat(), "time": "21:00", "party_size": 2}

    first = result_of(post(vapi, tool_call("check_availability", ask)))
    assert any(spoken(day(11 + k)) in first for k in range(2, 8)), first
    fake.clear_log()

    again = result_of(post(vapi, tool_call("check_availability", ask)))
    assert again == first
    assert formulas(fake) == [], formulas(fake)


def test_concurrent_full_evenings_read_the_following_days_once(vapi, fake):
    """Single flight for the range too: eight guests asking at once for a
    full evening cost one read of the following days."""
    d = day(12)
    fill_the_day(fake, d, "+34600002")
    fake.clear_log()
    ask = {"date": d.isoformat(), "time": "21:00", "party_size": 2}

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        texts = list(pool.map(
            lambda _: result_of(post(vapi, tool_call("check_availability",
                                                     ask))), range(8)))
    assert len(set(texts)) == 1, texts
    assert not texts[0].startswith("Sí"), texts[0]
    ranges = [f for f in formulas(fake) if "IS_AFTER" in f]
    assert len(ranges) == 1, ranges
