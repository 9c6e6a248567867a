"""Issue 12: booking integrity on Airtable.  Tables come from the base's
Mesas (never from the restaurant file) and no booking names a table the
base does not hold."""

import concurrent.futures

import pytest

from tests.fakes.airtable import AirtableFake
from test_store_airtable import (TOKEN, active, booking, booking_day, post,
                                 start_nginx)

THREE = [{"name": n, "capacity_min": 1, "capacity_max": 2,
          "location": "sala"} for n in ("T1", "T2", "T3")]


@pytest.fixture
def three_tables():
    fake = AirtableFake(token=TOKEN, max_page_size=3, rate_pause=30.0)
    fake.start()
    fake.add_records("Mesas", THREE)
    fake.clear_log()
    yield fake
    fake.stop()


def burst(n, count, make):
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda i: post(n, make(i), timeout=60),
                             range(count)))


def test_tables_only_from_mesas(nginx_factory, three_tables, tmp_path):
    fake = three_tables
    n = start_nginx(nginx_factory, fake, tmp_path, deadline=30.0)
    day = booking_day()

    got = burst(n, 12, lambda i: booking(day, name="Guest %d" % i,
                                         phone="+3460011%04d" % i, pax=2))

    assert all(r.status in (201, 409) for r in got), \
        [(r.status, r.body) for r in got]
    confirmed = [r.json()["reservation"] for r in got if r.status == 201]
    assert 1 <= len(confirmed) <= 3
    assert {c["table"] for c in confirmed} <= {"T1", "T2", "T3"}
    records = active(fake.records("Reservas"))
    assert len(records) == len(confirmed)
    tables = [r["fields"]["table"] for r in records]
    assert sorted(tables) == sorted(set(tables))
    assert set(tables) <= {"T1", "T2", "T3"}

    listed = n.get("/cerebro/tables").json()["tables"]
    assert [t["name"] for t in listed] == ["T1", "T2", "T3"]

