"""Issue 12: phones match however they were typed.  A guest and a booking
that staff wrote as "600 11 12 22" are the caller +34600111222's, on the
embedded store (whose older files are normalised when opened) and on
Airtable (searched on a normalised form; what staff typed stays)."""

import datetime
import sqlite3
import time

from harness import REPO
from voice import MADRID, day, post, result_of, spoken, tool_call
from test_vapi_airtable import make_fake, start as start_on_airtable, \
    utc_iso, wait_for

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"
CALLER = "+34600111222"
TYPED = "600 11 12 22"


def say(n, name, args, tool_id):
    return result_of(post(n, tool_call(name, args, f"c-{tool_id}", tool_id,
                                       CALLER)))


def start_embedded(nginx_factory):
    n = nginx_factory()
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};\n")
    return n.start()


def local_ts(d, hhmm):
    h, m = map(int, hhmm.split(":"))
    return int(datetime.datetime(d.year, d.month, d.day, h, m,
                                 tzinfo=MADRID).timestamp())


def test_a_typed_phone_is_the_callers_on_the_embedded_store(nginx_factory):
    n = start_embedded(nginx_factory)
    assert n.stop() == 0

    # a file of the version before, where staff wrote the number by hand
    db = sqlite3.connect(n.prefix / "data" / "cerebro.sqlite")
    now = int(time.time())
    db.execute("INSERT INTO reservations (client_name, client_phone, start,"
               " pax, table_name, status, created, updated)"
               " VALUES ('Marta', ?, ?, 2, 'T1', 'confirmed', ?, ?)",
               (TYPED, local_ts(day(3), "21:00"), now, now))
    db.execute("INSERT INTO guests (name, phone, preferences, created,"
               " updated) VALUES ('Marta', ?, 'sin gluten', ?, ?)",
               (TYPED, now, now))
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()

    n.start()

    text = say(n, "find_reservations", {}, "t-find")
    assert "Marta" in text and spoken(day(3)) in text, text

    text = say(n, "create_reservation", {"name": "Marta",
                                         "date": day(5).isoformat(),
                                         "time": "21:00",
                                         "party_size": 2}, "t-book")
    assert text.startswith("Reserva confirmada"), text

    db = sqlite3.connect(n.prefix / "data" / "cerebro.sqlite")
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 5
        phones = {p for (p,) in db.execute(
            "SELECT client_phone FROM reservations")}
        assert phones == {CALLER}
        guests = wait_for(lambda: db.execute(
            "SELECT name, phone, preferences FROM guests").fetchall())
    finally:
        db.close()
    # one guest, the one staff typed: found, not made again
    assert guests == [("Marta", CALLER, "sin gluten")]


def test_a_typed_phone_is_the_callers_on_airtable(nginx_factory):
    fake = make_fake()
    try:
        [guest] = fake.add_records("Clientes", [{"name": "Marta",
                                                 "phone": TYPED}])
        fake.add_records("Reservas", [{
            "client_name": "Marta", "client_phone": "(+34) 600-111-222",
            "date_time": utc_iso(day(3), "21:00"), "pax": 2, "table": "T1",
            "status": "confirmed"}])
        n = start_on_airtable(nginx_factory, fake)

        text = say(n, "find_reservations", {}, "t-find")
        assert "Marta" in text and spoken(day(3)) in text, text

        # ours in E.164; the base keeps what staff typed
        [seen] = n.get(f"/cerebro/reservations?date={day(3).isoformat()}") \
            .json()["reservations"]
        assert seen["client_phone"] == CALLER

        text = say(n, "create_reservation", {"name": "Marta",
                                             "date": day(5).isoformat(),
                                             "time": "21:00",
                                             "party_size": 2}, "t-book")
        assert text.startswith("Reserva confirmada"), text

        # the guest's lookup ran, found the typed record, made none
        wait_for(lambda: any(q["path"].endswith("/Clientes")
                             for q in fake.requests(method="GET")))
        assert n.stop() == 0
        assert [(g["id"], g["fields"]) for g in fake.records("Clientes")] \
            == [(guest["id"], {"name": "Marta", "phone": TYPED})]
        assert sorted(r["fields"]["client_phone"]
                      for r in fake.records("Reservas")) == \
            ["(+34) 600-111-222", CALLER]
    finally:
        fake.stop()
