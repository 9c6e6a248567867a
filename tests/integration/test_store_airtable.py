"""The Airtable backend of the store, through nginx and the staff JSON
endpoints, against the loopback fake Airtable (tests/fakes/airtable.py).

Every test starts a real nginx (two workers) with AIRTABLE_API_KEY,
AIRTABLE_BASE_ID and AIRTABLE_API_URL pointing at the fake, whose Mesas
table is seeded from conf/restaurant.json and whose pages are small so
that paging is exercised."""

import concurrent.futures
import datetime as dt
import json
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.fakes.airtable import AirtableFake  # noqa: E402

TOKEN = "patTEST.0123456789"
MADRID = ZoneInfo("Europe/Madrid")
RESTAURANT = json.loads((REPO / "conf" / "restaurant.json").read_text())
DEADLINE_S = 2.0


def booking_day(min_days=5):
    """A Saturday (dinner service) inside the booking window, away from the
    closures and special days of the demo restaurant."""
    special = {c["date"] for c in RESTAURANT.get("closures", [])}
    special |= {s["date"] for s in RESTAURANT.get("special_hours", [])}
    d = dt.date.today() + dt.timedelta(days=min_days)
    while d.weekday() != 5 or d.isoformat() in special:
        d += dt.timedelta(days=1)
    return d


def utc_iso(day, hhmm):
    h, m = map(int, hhmm.split(":"))
    local = dt.datetime(day.year, day.month, day.day, h, m, tzinfo=MADRID)
    return local.astimezone(dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")


def reservas(fake):
    return fake.records("Reservas")


def active(records):
    return [r for r in records if r["fields"].get("status") != "cancelled"]


@pytest.fixture
def airtable():
    fake = AirtableFake(token=TOKEN, max_page_size=3, rate_pause=30.0)
    fake.start()
    fake.add_records("Mesas", [
        {k: t[k] for k in ("name", "capacity_min", "capacity_max",
                           "location")}
        for t in RESTAURANT["tables"]])
    fake.clear_log()
    yield fake
    fake.stop()


def start_nginx(nginx_factory, fake, tmp_path, deadline=DEADLINE_S,
                workers=2):
    n = nginx_factory(env={
        "AIRTABLE_API_KEY": TOKEN,
        "AIRTABLE_BASE_ID": fake.base_id,
        "AIRTABLE_API_URL": fake.url,
    }, workers=workers)
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_store_timeout %dms;"
                % int(deadline * 1000))
    # no jobs run: its reminder reads would share the base's 5 requests a
    # second, and the requests counted, with the operations under test
    n.edit_conf("            cerebro_jobs;\n", "            return 404;\n")
    return n.start()


@pytest.fixture
def server(nginx_factory, airtable, tmp_path):
    return start_nginx(nginx_factory, airtable, tmp_path)


def post(n, body, timeout=10):
    return n.request("POST", "/cerebro/reservations",
                     body=json.dumps(body),
                     headers={"Content-Type": "application/json"},
                     timeout=timeout)


def booking(day, name="Ana García", phone="+34600111222", time_="21:00",
            pax=2, **extra):
    b = {"client_name": name, "client_phone": phone,
         "date": day.isoformat(), "time": time_, "pax": pax}
    b.update(extra)
    return b


def timed(fn, *args, **kw):
    t0 = time.monotonic()
    r = fn(*args, **kw)
    return r, time.monotonic() - t0


# ---- each operation ---------------------------------------------------------


def test_tables_come_from_mesas_page_by_page(server, airtable):
    r = server.get("/cerebro/tables")
    assert r.status == 200, r.body
    body = r.json()
    names = [t["name"] for t in body["tables"]]
    assert names == [t["name"] for t in RESTAURANT["tables"]]
    t7 = next(t for t in body["tables"] if t["name"] == "T7")
    assert (t7["capacity_min"], t7["capacity_max"], t7["location"]) == \
        (3, 6, "sala")
    # 14 tables in pages of 3: five requests, the last without offset
    pages = airtable.requests(path="/v0/%s/Mesas" % airtable.base_id)
    assert len(pages) == 5
    assert all(p["status"] == 200 for p in pages)
    assert "offset" not in pages[0]["query"]
    assert all("offset" in p["query"] for p in pages[1:])
    assert pages[0]["headers"]["authorization"] == "Bearer " + TOKEN


def test_create_list_by_phone_and_cancel(server, airtable):
    day = booking_day()
    r = post(server, booking(day, name="Seán O'Brien", pax=4))
    assert r.status == 201, r.body
    res = r.json()["reservation"]
    assert res["id"].startswith("rec")
    assert res["client_name"] == "Seán O'Brien"
    assert res["date_time"] == utc_iso(day, "21:00")
    assert res["table"]
    assert r.json()["repeated"] is False

    recs = reservas(airtable)
    assert len(recs) == 1
    f = recs[0]["fields"]
    assert f == {"client_name": "Seán O'Brien",
                 "client_phone": "+34600111222",
                 "date_time": utc_iso(day, "21:00"), "pax": 4,
                 "table": res["table"], "status": "confirmed"}
    # the original base has no notes/source/call_id: the first write was
    # refused with UNKNOWN_FIELD_NAME and sent again without them
    writes = airtable.requests(path="/v0/%s/Reservas" % airtable.base_id,
                               method="POST")
    assert [w["status"] for w in writes] == [422, 200]
    assert writes[1]["json"]["typecast"] is True

    r = server.get("/cerebro/reservations?date=" + day.isoformat())
    assert r.status == 200, r.body
    body = r.json()
    assert body["backend"] == "airtable"
    assert [x["id"] for x in body["reservations"]] == [res["id"]]
    assert body["reservations"][0]["time"] == "21:00"

    # the apostrophe travels inside a quoted, escaped formula literal
    r = server.get("/cerebro/reservations?phone=%2B34600111222")
    assert r.status == 200, r.body
    assert [x["id"] for x in r.json()["reservations"]] == [res["id"]]
    formulas = [q["query"]["filterByFormula"][0]
                for q in airtable.requests(method="GET")
                if "filterByFormula" in q["query"]]
    # the field with what staff put between the digits taken out
    assert any("SUBSTITUTE({client_phone},' ','')" in f
               and "='+34600111222'" in f and "='600111222'" in f
               for f in formulas)

    r = server.request("DELETE", "/cerebro/reservations/" + res["id"])
    assert r.status == 200, r.body
    assert r.json()["already_cancelled"] is False
    assert airtable.record("Reservas", res["id"])["fields"]["status"] == \
        "cancelled"

    r = server.request("DELETE", "/cerebro/reservations/" + res["id"])
    assert r.status == 200, r.body
    assert r.json()["already_cancelled"] is True

    r = server.request("DELETE", "/cerebro/reservations/recNoSuchRecord01")
    assert r.status == 404, r.body

    # cancelled: no longer upcoming for the guest, still in the day's book
    r = server.get("/cerebro/reservations?phone=%2B34600111222")
    assert r.json()["reservations"] == []
    r = server.get("/cerebro/reservations?date=" + day.isoformat())
    assert [x["status"] for x in r.json()["reservations"]] == ["cancelled"]


def test_name_that_looks_like_a_formula_is_data(server, airtable):
    day = booking_day()
    name = "O'Brien}{ ') , TRUE() \\"
    r = post(server, booking(day, name=name, phone="+34600999888"))
    assert r.status == 201, r.body
    assert reservas(airtable)[0]["fields"]["client_name"] == name
    r = server.get("/cerebro/reservations?phone=%2B34600999888")
    assert [x["client_name"] for x in r.json()["reservations"]] == [name]


def test_extra_fields_written_when_the_base_has_them(server, airtable):
    airtable.seed({"tables": {"Reservas": {"fields": {
        "client_name": "singleLineText", "client_phone": "phoneNumber",
        "date_time": "dateTime", "pax": "number", "table": "singleLineText",
        "status": {"type": "singleSelect",
                   "choices": ["confirmed", "cancelled"]},
        "notes": "multilineText", "source": "singleLineText",
        "call_id": "singleLineText"}}}})
    day = booking_day()
    r = post(server, booking(day, notes="sin gluten", call_id="call-1"))
    assert r.status == 201, r.body
    f = reservas(airtable)[0]["fields"]
    assert f["notes"] == "sin gluten"
    assert f["call_id"] == "call-1"
    writes = airtable.requests(method="POST")
    assert [w["status"] for w in writes] == [200]


def test_repeat_of_the_same_call_returns_the_first_booking(server, airtable):
    day = booking_day()
    b = booking(day, call_id="vapi-call-42")
    r1 = post(server, b)
    assert r1.status == 201, r1.body
    r2 = post(server, b)
    assert r2.status == 200, r2.body
    assert r2.json()["repeated"] is True
    assert r2.json()["reservation"]["id"] == r1.json()["reservation"]["id"]
    assert len(reservas(airtable)) == 1


def test_day_listing_follows_offset_to_the_end(server, airtable):
    day = booking_day()
    other = day + dt.timedelta(days=1)
    rows = [{"client_name": "Guest %d" % i, "client_phone": "+3460000%04d" % i,
             "date_time": utc_iso(day, "13:%02d" % (i * 5)), "pax": 2,
             "table": "T%d" % (i + 1), "status": "confirmed"}
            for i in range(8)]
    rows.append({"client_name": "Otro día", "client_phone": "+34600000999",
                 "date_time": utc_iso(other, "13:00"), "pax": 2,
                 "table": "T1", "status": "confirmed"})
    airtable.add_records("Reservas", rows)
    airtable.clear_log()
    r = server.get("/cerebro/reservations?date=" + day.isoformat())
    assert r.status == 200, r.body
    got = r.json()["reservations"]
    assert sorted(x["client_name"] for x in got) == \
        sorted("Guest %d" % i for i in range(8))
    assert [x["time"] for x in got] == sorted(x["time"] for x in got)
    # 8 records in pages of 3 (the tables of the base are read too, once)
    assert len(airtable.requests(
        method="GET", path="/v0/%s/Reservas" % airtable.base_id)) == 3


def test_full_slot_is_a_conflict_with_alternatives(server, airtable):
    day = booking_day()
    # every table or group that seats 6 is taken at 21:00
    airtable.add_records("Reservas", [
        {"client_name": "X%s" % t, "client_phone": "+34611000%03d" % i,
         "date_time": utc_iso(day, "21:00"), "pax": 6, "table": t,
         "status": "confirmed"}
        for i, t in enumerate(["T7", "T8", "T14", "T3+T4", "T5+T6",
                               "T12+T13"])])
    before = len(reservas(airtable))
    r = post(server, booking(day, pax=6))
    assert r.status == 409, r.body
    body = r.json()
    assert body["reason"]
    assert body["alternatives"]
    for alt in body["alternatives"]:
        assert alt["time"] != "21:00" or alt["date"] != day.isoformat()
    assert len(reservas(airtable)) == before


# ---- faults -----------------------------------------------------------------


def test_slow_airtable_ends_in_unavailable_within_the_deadline(server,
                                                                airtable):
    airtable.set_latency(DEADLINE_S + 2, path="/v0/")
    r, took = timed(server.get, "/cerebro/tables")
    assert r.status == 503, r.body
    assert r.json()["kind"] == "unavailable"
    assert took < DEADLINE_S + 1.0


def test_slow_read_before_a_booking_writes_nothing(server, airtable):
    airtable.set_latency(DEADLINE_S + 1, path="/v0/", method="GET")
    r, took = timed(post, server, booking(booking_day()))
    assert r.status == 503, r.body
    assert took < DEADLINE_S + 1.0
    time.sleep(1.5)
    assert reservas(airtable) == []
    assert airtable.requests(method="POST") == []


def test_429_pauses_the_base_for_every_worker(server, airtable):
    airtable.fail_next(1, 429, body={"errors": [
        {"error": "RATE_LIMIT_REACHED",
         "message": "Rate limit exceeded. Please try again later"}]},
        path="/v0/")
    r = server.get("/cerebro/tables")
    assert r.status == 429, r.body
    assert r.json()["kind"] == "rate_limited"
    seen = len(airtable.requests())
    # both workers answer from the shared pause, not from Airtable
    for _ in range(6):
        r, took = timed(server.get, "/cerebro/tables")
        assert r.status == 429, r.body
        assert took < 1.0
    assert len(airtable.requests()) == seen


def test_503_is_retried_then_succeeds(server, airtable):
    # the tables' own path: the jobs run may read Reservas meanwhile
    mesas = "/v0/%s/Mesas" % airtable.base_id
    airtable.fail_next(2, 503, body={"error": {
        "type": "SERVICE_UNAVAILABLE", "message": "try again"}},
        path=mesas)
    r = server.get("/cerebro/tables")
    assert r.status == 200, r.body
    assert len(r.json()["tables"]) == len(RESTAURANT["tables"])
    statuses = [q["status"] for q in airtable.requests(path=mesas)]
    assert statuses[:3] == [503, 503, 200]


def test_404_error_string_shape_and_422_object_shape(server, airtable):
    # {"error":"NOT_FOUND"} for an unknown record
    r = server.request("DELETE", "/cerebro/reservations/recAAAAAAAAAAAAAA")
    assert r.status == 404, r.body
    assert r.json()["kind"] == "not_found"
    # {"error":{"type":"INVALID_...","message":...}} -> invalid, no retry
    airtable.fail_next(1, 422, body={"error": {
        "type": "INVALID_FILTER_BY_FORMULA", "message": "bad formula"}},
        path="/v0/")
    r = server.get("/cerebro/reservations?date=" + booking_day().isoformat())
    assert r.status == 400, r.body
    assert r.json()["kind"] == "invalid"
    assert "INVALID_FILTER_BY_FORMULA" in r.json()["error"]


def test_bad_credentials_are_unavailable_and_the_key_is_never_logged(
        nginx_factory, airtable, tmp_path):
    airtable.configure(token="patSomethingElse")
    n = start_nginx(nginx_factory, airtable, tmp_path)
    r = n.get("/cerebro/tables")
    assert r.status == 503, r.body
    assert len(airtable.requests()) == 1      # 401: no retry
    log = n.error_log.read_text()
    assert "AIRTABLE_API_KEY" in log
    assert TOKEN not in log


def test_connection_refused_ends_in_unavailable(server, airtable):
    airtable.stop()
    r, took = timed(post, server, booking(booking_day()))
    assert r.status == 503, r.body
    assert r.json()["kind"] == "unavailable"
    assert took < DEADLINE_S + 1.0
    assert reservas(airtable) == []
    r = server.get("/health")
    assert r.status == 200


def test_malformed_json_is_unavailable(server, airtable):
    airtable.malformed_next(1, path="/v0/")
    r, took = timed(server.get, "/cerebro/tables")
    assert r.status == 503, r.body
    assert "JSON" in r.json()["error"]
    assert took < DEADLINE_S


# ---- the burst --------------------------------------------------------------


def test_burst_of_50_bookings_never_429_never_double_books(nginx_factory,
                                                            airtable,
                                                            tmp_path):
    airtable.configure(max_page_size=100)
    n = start_nginx(nginx_factory, airtable, tmp_path, deadline=40.0)
    day = booking_day()

    def one(i):
        return post(n, booking(day, name="Burst %d" % i,
                               phone="+346001%05d" % i, pax=2),
                    timeout=60)

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as ex:
        results = list(ex.map(one, range(50)))

    statuses = [r.status for r in results]
    assert airtable.rate_limited_count == 0
    assert set(statuses) <= {201, 409}, statuses
    created = [r.json()["reservation"] for r in results if r.status == 201]
    # 2 covers each: the pacing of the slot (16 covers) is what fills first
    assert len(created) == \
        RESTAURANT["pacing"]["max_covers_per_slot"] // 2, statuses
    recs = active(reservas(airtable))
    assert sorted(r["id"] for r in recs) == sorted(c["id"] for c in created)
    # all start at 21:00 on the same day: no table may be held twice
    held = []
    for r in recs:
        assert r["fields"]["date_time"] == utc_iso(day, "21:00")
        held += r["fields"]["table"].split("+")
    assert len(held) == len(set(held)), held
    for r in results:
        if r.status == 409:
            assert r.json()["alternatives"]


# ---- configurable names -----------------------------------------------------

RENAMED = """
    cerebro_airtable_table reservations "Reservas 2026";
    cerebro_airtable_table tables Salas;
    cerebro_airtable_table guests Huéspedes;
    cerebro_airtable_field reservations client_name "Nombre";
    cerebro_airtable_field reservations client_phone "Teléfono";
    cerebro_airtable_field reservations date_time "Fecha y hora";
    cerebro_airtable_field reservations pax Comensales;
    cerebro_airtable_field reservations table Mesa;
    cerebro_airtable_field reservations status Estado;
    cerebro_airtable_field tables name Nombre;
    cerebro_airtable_field tables capacity_min "Mínimo";
    cerebro_airtable_field tables capacity_max "Máximo";
    cerebro_airtable_field tables location Zona;
"""


def test_a_base_with_renamed_tables_and_fields_works_end_to_end(
        nginx_factory, tmp_path):
    fake = AirtableFake(token=TOKEN, max_page_size=3, rate_pause=30.0)
    fake.start()
    try:
        fake.seed({"replace": True, "tables": {
            "Reservas 2026": {"fields": {
                "Nombre": "singleLineText", "Teléfono": "phoneNumber",
                "Fecha y hora": "dateTime", "Comensales": "number",
                "Mesa": "singleLineText",
                "Estado": {"type": "singleSelect",
                           "choices": ["confirmed", "cancelled"]}}},
            "Salas": {"fields": {
                "Nombre": "singleLineText", "Mínimo": "number",
                "Máximo": "number", "Zona": "singleLineText"},
                "records": [{"Nombre": t["name"],
                             "Mínimo": t["capacity_min"],
                             "Máximo": t["capacity_max"],
                             "Zona": t["location"]}
                            for t in RESTAURANT["tables"]]},
        }})
        fake.clear_log()
        n = nginx_factory(env={"AIRTABLE_API_KEY": TOKEN,
                               "AIRTABLE_BASE_ID": fake.base_id,
                               "AIRTABLE_API_URL": fake.url})
        n.render()
        n.edit_conf("http {", "http {\n    cerebro_store_timeout 5s;\n"
                    + RENAMED)
        n.start()

        r = n.get("/cerebro/tables")
        assert r.status == 200, r.body
        t7 = next(t for t in r.json()["tables"] if t["name"] == "T7")
        assert (t7["capacity_min"], t7["capacity_max"], t7["location"]) == \
            (3, 6, "sala")

        day = booking_day()
        r = post(n, booking(day, name="O'Brien }{", pax=4))
        assert r.status == 201, r.body
        rid = r.json()["reservation"]["id"]
        [rec] = fake.records("Reservas 2026")
        f = rec["fields"]
        assert (f["Nombre"], f["Teléfono"], f["Fecha y hora"],
                f["Comensales"], f["Estado"]) == \
            ("O'Brien }{", "+34600111222", utc_iso(day, "21:00"), 4,
             "confirmed")
        assert f["Mesa"]

        r = n.get("/cerebro/reservations?date=" + day.isoformat())
        assert r.status == 200, r.body
        [got] = r.json()["reservations"]
        assert (got["id"], got["client_name"], got["pax"]) == \
            (rid, "O'Brien }{", 4)

        r = n.request("DELETE", "/cerebro/reservations/" + rid)
        assert r.status == 200, r.body
        assert fake.records("Reservas 2026")[0]["fields"]["Estado"] == \
            "cancelled"

        # the formulas name the configured fields, the paths the tables
        paths = {q["path"] for q in fake.requests()}
        assert paths <= {"/v0/%s/Reservas 2026" % fake.base_id,
                         "/v0/%s/Reservas%%202026" % fake.base_id,
                         "/v0/%s/Reservas 2026/%s" % (fake.base_id, rid),
                         "/v0/%s/Reservas%%202026/%s" % (fake.base_id, rid),
                         "/v0/%s/Salas" % fake.base_id}, paths
        text = json.dumps([q["raw_query"] for q in fake.requests()])
        assert "Fecha%20y%20hora" in text or "Fecha y hora" in text
        # only our optional extras (notes, source, call_id) were unknown
        bad = [q for q in fake.requests() if q["status"] >= 400]
        assert all(q["status"] == 422 and "UNKNOWN_FIELD_NAME" in
                   q["response"] and "Nombre" not in q["response"]
                   for q in bad), bad
    finally:
        fake.stop()


@pytest.mark.parametrize("line, words", [
    ('cerebro_airtable_field reservations status "Es}tado";', "Es}tado"),
    ('cerebro_airtable_field reservations colour Color;', "colour"),
    ('cerebro_airtable_table bookings Reservas;', "bookings"),
    ('cerebro_airtable_table tables off;', "optional"),
])
def test_bad_airtable_names_fail_the_configuration(nginx_factory, line,
                                                   words):
    n = nginx_factory()
    n.render()
    n.edit_conf("http {", "http {\n    %s" % line)
    code, out = n.test_config()
    assert code != 0
    assert "cerebro_airtable_" in out and words in out, out
