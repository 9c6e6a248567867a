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



# ---- two hosts, Redis configured and down ---------------------------------

TWO_FIT = [{"name": "T1", "capacity_min": 1, "capacity_max": 2,
            "location": "sala"},
           {"name": "T2", "capacity_min": 1, "capacity_max": 2,
            "location": "sala"},
           {"name": "T3", "capacity_min": 5, "capacity_max": 8,
            "location": "sala"}]


def start_host(nginx_factory, fake, redis_url, name):
    n = nginx_factory(env={
        "AIRTABLE_API_KEY": TOKEN,
        "AIRTABLE_BASE_ID": fake.base_id,
        "AIRTABLE_API_URL": fake.url,
        "REDIS_URL": redis_url,
    }, workers=2, name=name)
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_store_timeout 30s;")
    n.edit_conf("            cerebro_jobs;\n", "            return 404;\n")
    return n.start()


def overlapping(records):
    """Pairs of active records holding one table at one time."""
    seen, pairs = {}, []
    for r in active(records):
        key = (r["fields"]["table"], r["fields"]["date_time"])
        if key in seen:
            pairs.append((seen[key], r["id"]))
        seen[key] = r["id"]
    return pairs


def test_two_hosts_redis_down_never_double_book(nginx_factory, tmp_path):
    from harness import Redis
    redis = Redis(tmp_path / "redis").start()
    url = redis.url
    redis.stop()          # configured, and down before and during the burst

    # two hosts each pacing 5 requests a second would be paused by a real
    # base; the fake lets them through: what is tested is who books
    fake = AirtableFake(token=TOKEN, max_page_size=100, rate_limit=0)
    fake.start()
    try:
        fake.add_records("Mesas", TWO_FIT)
        hosts = [start_host(nginx_factory, fake, url, "host%d" % i)
                 for i in range(2)]

        for run in range(3):
            day = booking_day(5 + 7 * run)
            got = burst_on(hosts, 24, lambda i: booking(
                day, name="Run%d Guest%d" % (run, i),
                phone="+346004%02d%03d" % (run, i), pax=2))
            assert all(r.status in (201, 409) for r in got), \
                [(r.status, r.body) for r in got]
            confirmed = [r.json()["reservation"] for r in got
                         if r.status == 201]
            assert 1 <= len(confirmed) <= 2, confirmed
            records = fake.records("Reservas")
            assert overlapping(records) == []
            mine = [r for r in active(records)
                    if r["fields"]["client_name"].startswith("Run%d " % run)]
            assert sorted(r["id"] for r in mine) == \
                sorted(c["id"] for c in confirmed)
            assert {r["fields"]["table"] for r in mine} <= {"T1", "T2"}
    finally:
        fake.stop()


def burst_on(hosts, count, make):
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        return list(pool.map(
            lambda i: post(hosts[i % len(hosts)], make(i), timeout=90),
            range(count)))
