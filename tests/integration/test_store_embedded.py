"""Issue 4, embedded backend: the store driven through nginx by the staff
endpoints, with the SQLite file under the prefix's data directory."""

import concurrent.futures
import datetime
import json
import sqlite3
from zoneinfo import ZoneInfo

import pytest

from harness import REPO

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"
MADRID = ZoneInfo("Europe/Madrid")


def in_days(n):
    return (datetime.datetime.now(MADRID).date()
            + datetime.timedelta(days=n)).isoformat()


def small_restaurant(nginx_factory, workers=2, name=None):
    n = nginx_factory(workers=workers, name=name)
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};")
    return n


def book(n, **kw):
    body = {"client_name": "Ana", "client_phone": "600 111 222",
            "date": in_days(7), "time": "21:00", "pax": 2}
    body.update(kw)
    return n.request("POST", "/cerebro/reservations", body=json.dumps(body),
                     headers={"Content-Type": "application/json"})


@pytest.fixture
def small(nginx_factory):
    return small_restaurant(nginx_factory).start()


def test_tables_come_from_the_restaurant_file(small):
    r = small.get("/cerebro/tables")
    assert r.status == 200
    body = r.json()
    assert body["backend"] == "embedded"
    assert [t["name"] for t in body["tables"]] == ["T1", "T2"]
    assert body["tables"][1]["location"] == "terraza"


def test_book_read_and_cancel(small):
    r = book(small, client_name="Ana O'Brien", notes="cumpleaños")
    assert r.status == 201, r.body
    rec = r.json()["reservation"]
    assert rec["client_phone"] == "+34600111222"
    assert rec["client_name"] == "Ana O'Brien"
    assert rec["date"] == in_days(7) and rec["time"] == "21:00"
    assert rec["table"] in ("T1", "T2")
    assert rec["status"] == "confirmed"
    local = datetime.datetime.fromisoformat(
        rec["date_time"].replace("Z", "+00:00")).astimezone(MADRID)
    assert local.strftime("%Y-%m-%d %H:%M") == f"{in_days(7)} 21:00"

    day = small.get(f"/cerebro/reservations?date={in_days(7)}").json()
    assert [x["id"] for x in day["reservations"]] == [rec["id"]]

    mine = small.get("/cerebro/reservations?phone=%2B34600111222").json()
    assert [x["id"] for x in mine["reservations"]] == [rec["id"]]

    r = small.request("DELETE", f"/cerebro/reservations/{rec['id']}")
    assert r.status == 200
    assert r.json()["reservation"]["status"] == "cancelled"
    assert r.json()["already_cancelled"] is False

    r = small.request("DELETE", f"/cerebro/reservations/{rec['id']}")
    assert r.status == 200 and r.json()["already_cancelled"] is True

    assert small.request("DELETE", "/cerebro/reservations/999999").status \
        == 404


def test_full_slot_gets_alternatives_and_cancel_frees_it(small):
    first = book(small).json()["reservation"]
    assert book(small, client_phone="600111333").status == 201
    r = book(small, client_phone="600111444")
    assert r.status == 409
    body = r.json()
    assert body["reason"] == "full"
    assert body["alternatives"], body
    assert all({"date", "time", "table"} <= set(a) for a in body["alternatives"])
    small.request("DELETE", f"/cerebro/reservations/{first['id']}")
    assert book(small, client_phone="600111444").status == 201


def test_repeated_call_is_booked_once(small):
    a = book(small, call_id="call-123")
    b = book(small, call_id="call-123")
    assert a.status == 201 and b.status == 200
    assert b.json()["repeated"] is True
    assert a.json()["reservation"]["id"] == b.json()["reservation"]["id"]
    day = small.get(f"/cerebro/reservations?date={in_days(7)}").json()
    assert len(day["reservations"]) == 1


@pytest.mark.parametrize("body, words", [
    ("not json", "JSON"),
    ('{"client_name":"Ana"}', "client_phone"),
    ('{"client_name":"Ana","client_phone":"abc","date":"2026-12-01",'
     '"time":"21:00","pax":2}', "client_phone"),
    ('{"client_name":"Ana","client_phone":"600111222","date":"2026-02-31",'
     '"time":"21:00","pax":2}', "date"),
    ('{"client_name":"Ana","client_phone":"600111222","date":"2026-12-01",'
     '"time":"25:00","pax":2}', "time"),
    ('{"client_name":"Ana","client_phone":"600111222","date":"2026-12-01",'
     '"time":"21:00","pax":0}', "pax"),
])
def test_bad_bookings_are_refused_clearly(small, body, words):
    r = small.request("POST", "/cerebro/reservations", body=body,
                      headers={"Content-Type": "application/json"})
    assert r.status == 400
    assert words in r.json()["error"]
    day = small.get("/cerebro/reservations?date=2026-12-01").json()
    assert day["reservations"] == []


def test_bad_queries(small):
    assert small.get("/cerebro/reservations").status == 400
    assert small.get("/cerebro/reservations?date=2026-13-01").status == 400
    assert small.get("/cerebro/reservations?phone=abc").status == 400
    assert small.request("PUT", "/cerebro/reservations").status == 405


def test_the_book_survives_a_restart(nginx_factory):
    n = small_restaurant(nginx_factory, name="keep").start()
    rec = book(n).json()["reservation"]
    n.stop()
    n.start()
    day = n.get(f"/cerebro/reservations?date={in_days(7)}").json()
    assert [x["id"] for x in day["reservations"]] == [rec["id"]]
    assert (n.prefix / "data" / "cerebro.sqlite").exists()


def test_concurrent_bookings_never_double_book(nginx_factory):
    n = small_restaurant(nginx_factory, workers=2).start()

    def attempt(i):
        return book(n, client_phone=f"6001{i:05d}").status

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(attempt, range(40)))

    # two tables: exactly two win, the others get alternatives or a busy
    # answer, never a server error
    assert statuses.count(201) == 2, statuses
    assert set(statuses) <= {201, 409, 503}
    db = sqlite3.connect(n.prefix / "data" / "cerebro.sqlite")
    tables = [row[0] for row in db.execute(
        "SELECT table_name FROM reservations WHERE status != 'cancelled'")]
    db.close()
    assert sorted(tables) == ["T1", "T2"]
