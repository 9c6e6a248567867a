"""Issue 12: booking integrity on Airtable.  Tables come from the base's
Mesas (never from the restaurant file) and no booking names a table the
base does not hold; two hosts with Redis down never double-book; what the
guest is told is what the base holds, however slow or failing the write."""

import concurrent.futures
import datetime as dt
import time

import pytest

from tests.fakes.airtable import AirtableFake
from test_store_airtable import (TOKEN, active, booking, booking_day, post,
                                 start_nginx, utc_iso)
from test_vapi_airtable import EXTRAS, RESERVAS
from voice import post as vapi_post, result_of, tool_call

THREE = [{"name": n, "capacity_min": 1, "capacity_max": 2,
          "location": "sala"} for n in ("T1", "T2", "T3")]


@pytest.fixture
def three_tables():
    fake = AirtableFake(token=TOKEN, max_page_size=3, rate_pause=30.0)
    fake.start()
    # a provisioned base: our fields too, so that one write is one POST
    fake.seed({"tables": {"Reservas": {"fields": dict(RESERVAS, **EXTRAS)},
                          "Mesas": {"records": THREE}}})
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


# ---- a change of time settled as a create is ---------------------------------

# six tables that seat two; at the target time all but T1 are taken
SIX = [{"name": "T%d" % k, "capacity_min": 1, "capacity_max": 2,
        "location": "sala"} for k in range(1, 7)]


def patch_on(hosts, moves):
    """moves: (record id, body); each PATCH on the next host, at once."""
    import json

    def one(i):
        rec_id, body = moves[i]
        return hosts[i % len(hosts)].request(
            "PATCH", "/cerebro/reservations/" + rec_id,
            body=json.dumps(body),
            headers={"Content-Type": "application/json"}, timeout=90)

    with concurrent.futures.ThreadPoolExecutor(len(moves)) as pool:
        return list(pool.map(one, range(len(moves))))


def test_two_hosts_redis_down_concurrent_moves_never_overlap(nginx_factory,
                                                             tmp_path):
    """Six guests booked for lunch move at once, from two hosts with Redis
    down, into a dinner slot where one table is left (the moved record is
    written anew, so the earliest writer wins as for a create): one move
    stands, no two active records hold a table at one time, and every
    guest still has exactly one booking (the moved one, or the one they
    had)."""
    from harness import Redis
    redis = Redis(tmp_path / "redis").start()
    url = redis.url
    redis.stop()

    fake = AirtableFake(token=TOKEN, max_page_size=100, rate_limit=0)
    fake.start()
    try:
        fake.seed({"tables": {
            "Reservas": {"fields": dict(RESERVAS, **EXTRAS)},
            "Mesas": {"records": SIX}}})
        hosts = [start_host(nginx_factory, fake, url, "host%d" % i)
                 for i in range(2)]

        for run in range(3):
            target = booking_day(5 + 7 * run)
            fake.add_records("Reservas", [
                {"client_name": "Ya%d" % k, "client_phone": "+3461200%04d" % k,
                 "date_time": utc_iso(target, "21:00"), "pax": 2,
                 "table": "T%d" % k, "status": "confirmed"}
                for k in range(2, 7)])
            guests = []
            for i in range(6):
                phone = "+346005%02d%03d" % (run, i)
                r = post(hosts[i % 2], booking(
                    target, name="Run%d Mover%d" % (run, i), phone=phone,
                    time_="13:00", pax=2), timeout=60)
                assert r.status == 201, r.body
                guests.append((phone, r.json()["reservation"]["id"]))

            got = patch_on(hosts, [
                (rec_id, {"date": target.isoformat(), "time": "21:00"})
                for _, rec_id in guests])
            assert all(r.status in (200, 409) for r in got), \
                [(r.status, r.body) for r in got]
            moved = [r.json()["reservation"] for r in got
                     if r.status == 200]
            assert len(moved) == 1, [(r.status, r.body) for r in got]

            records = fake.records("Reservas")
            assert overlapping(records) == []
            at_target = [r for r in active(records)
                         if r["fields"]["date_time"]
                         == utc_iso(target, "21:00")
                         and r["fields"]["client_name"].startswith(
                             "Run%d Mover" % run)]
            assert len(at_target) == 1, at_target
            for phone, rec_id in guests:
                mine = [r for r in active(records)
                        if r["fields"]["client_phone"] == phone]
                assert len(mine) == 1, (phone, mine)
            if moved:
                [r] = at_target
                assert r["id"] == moved[0]["id"]
                assert r["fields"]["table"] == "T1"
    finally:
        fake.stop()


# ---- what the guest is told is what exists ---------------------------------

CALLER = "+34600777888"


def start_voice(nginx_factory, fake):
    n = nginx_factory(env={
        "AIRTABLE_API_KEY": TOKEN,
        "AIRTABLE_BASE_ID": fake.base_id,
        "AIRTABLE_API_URL": fake.url,
    }, workers=2)
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_store_timeout 5s;\n"
                "    cerebro_vapi_timeout 5s;")
    n.edit_conf("            cerebro_jobs;\n", "            return 404;\n")
    return n.start()


def wait_until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def guest_records(fake, phone):
    return [r for r in active(fake.records("Reservas"))
            if r["fields"].get("client_phone") == phone]


def outbox_to(n, phone, kind):
    box = n.get("/cerebro/outbox?limit=50").json()["messages"]
    return [m for m in box
            if m["to"] == "whatsapp:" + phone and m["kind"] == kind]


def test_a_slow_create_is_confirmed_never_failed(nginx_factory,
                                                 three_tables):
    fake = three_tables
    n = start_voice(nginx_factory, fake)
    day = booking_day()
    args = {"name": "Lenta", "date": day.isoformat(), "time": "21:00",
            "party_size": 2}
    # the fake counts a delayed request when it answers it, Airtable and
    # the limiter when it is sent: this test is not about the rate
    fake.config["rate_limit"] = 0
    # Airtable takes 12 s to answer the create; the tool answers at 5 s
    fake.set_latency(12.0, path="/v0/%s/Reservas" % fake.base_id,
                     method="POST")

    text = result_of(vapi_post(n, tool_call("create_reservation", args,
                                            "c-slow-1", caller=CALLER)))
    assert "no puedo consultar" not in text
    assert "confirmar" in text and "WhatsApp" in text

    # the record lands, and what the guest was promised follows
    assert wait_until(lambda: outbox_to(n, CALLER, "confirmation"))
    [rec] = guest_records(fake, CALLER)
    assert rec["fields"]["table"] in {"T1", "T2", "T3"}
    fake.clear_faults()

    # the same guest asks again, in another call: the booking they have
    text = result_of(vapi_post(n, tool_call("create_reservation", args,
                                            "c-slow-2", caller=CALLER)))
    assert "Lenta" in text and "21:00" in text
    assert [r["id"] for r in guest_records(fake, CALLER)] == [rec["id"]]


def test_a_5xx_to_a_create_that_landed_books_once(nginx_factory,
                                                  three_tables, tmp_path):
    fake = three_tables
    n = start_nginx(nginx_factory, fake, tmp_path, deadline=10.0)
    day = booking_day()
    fake.land_then_fail(1, 503, body={"error": {"type": "SERVER_ERROR",
                                                "message": "try again"}},
                        path="/v0/%s/Reservas" % fake.base_id,
                        method="POST")
    r = post(n, booking(day, phone=CALLER), timeout=30)
    assert r.status == 201, r.body
    [rec] = guest_records(fake, CALLER)
    assert r.json()["reservation"]["id"] == rec["id"]
    # read again by its key, never written a second time
    assert len(fake.requests(path="/v0/%s/Reservas" % fake.base_id,
                             method="POST")) == 1


def test_a_5xx_to_a_create_that_did_not_land_is_decided_again(
        nginx_factory, three_tables, tmp_path):
    fake = three_tables
    n = start_nginx(nginx_factory, fake, tmp_path, deadline=10.0)
    day = booking_day()
    fake.fail_next(1, 503, path="/v0/%s/Reservas" % fake.base_id,
                   method="POST")
    r = post(n, booking(day, phone=CALLER), timeout=30)
    assert r.status == 201, r.body
    [rec] = guest_records(fake, CALLER)
    assert r.json()["reservation"]["id"] == rec["id"]
    log = fake.requests(path="/v0/%s/Reservas" % fake.base_id)
    methods = [q["method"] for q in log]
    # the failed write, then the day read for it (twice), then a new write
    first = methods.index("POST")
    assert methods[first + 1:].index("POST") >= 2
    assert methods.count("POST") == 2


# ---- a 429 pause is a queue, not a wall --------------------------------------


def test_a_429_pause_answers_what_the_cache_holds(nginx_factory,
                                                  three_tables):
    fake = three_tables
    n = start_voice(nginx_factory, fake)
    day = booking_day()
    # a full evening: the answer needs the following fortnight too
    fake.add_records("Reservas", [
        {"client_name": "X%s" % t, "client_phone": "+3461100000%d" % i,
         "date_time": utc_iso(day, "21:00"), "pax": 2, "table": t,
         "status": "confirmed"} for i, t in enumerate(("T1", "T2", "T3"))])
    ask = {"date": day.isoformat(), "time": "21:00", "party_size": 2}

    first = result_of(vapi_post(n, tool_call("check_availability", ask)))
    assert "no puedo" not in first and not first.startswith("Sí"), first

    # one 429 (a day not cached yet): the base is paused for 30 s
    fake.fail_next(1, 429, body={"errors": [{"error": "RATE_LIMIT_REACHED",
                                             "message": "slow down"}]},
                   path="/v0/%s/Reservas" % fake.base_id)
    other = {"date": (day + dt.timedelta(days=30)).isoformat(),
             "time": "21:00", "party_size": 2}
    paused = result_of(vapi_post(n, tool_call("check_availability", other)))
    assert wait_until(lambda: "429" in n.log_text())

    # the day in the cache is answered as before, on either worker
    for _ in range(4):
        again = result_of(vapi_post(n, tool_call("check_availability", ask)))
        assert again == first, (again, paused)
    assert fake.rate_limited_count == 0


def start_paused(nginx_factory, fake, pause):
    n = nginx_factory(env={
        "AIRTABLE_API_KEY": TOKEN,
        "AIRTABLE_BASE_ID": fake.base_id,
        "AIRTABLE_API_URL": fake.url,
    }, workers=2)
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_store_timeout 6s;\n"
                "    cerebro_vapi_timeout 8s;\n"
                "    cerebro_airtable_pause %s;" % pause)
    n.edit_conf("            cerebro_jobs;\n", "            return 404;\n")
    return n.start()


def queued(n):
    for line in n.get("/metrics").body.decode().splitlines():
        if line.startswith("cerebro_limiter_queued_total"):
            return int(float(line.rsplit(" ", 1)[1]))
    return 0


def pause_the_base(n, fake, day):
    """One 429 to a read: the base is paused for every worker."""
    fake.fail_next(1, 429, body={"errors": [{"error": "RATE_LIMIT_REACHED",
                                             "message": "slow down"}]},
                   path="/v0/%s/Reservas" % fake.base_id)
    ask = {"date": (day + dt.timedelta(days=21)).isoformat(),
           "time": "21:00", "party_size": 2}
    text = result_of(vapi_post(n, tool_call("check_availability", ask)))
    assert "no puedo consultar" in text, text
    assert wait_until(lambda: "paused for" in n.log_text())


def test_a_create_during_a_429_pause_waits_its_turn_and_books(
        nginx_factory, three_tables):
    """The pause (3 s) ends within the create's deadline (6 s): the create
    waits for it in the queue and books; the guest never hears the
    apology."""
    fake = three_tables
    n = start_paused(nginx_factory, fake, "3s")
    day = booking_day()
    pause_the_base(n, fake, day)
    before = queued(n)

    args = {"name": "Paciente", "date": day.isoformat(), "time": "21:00",
            "party_size": 2}
    text = result_of(vapi_post(n, tool_call("create_reservation", args,
                                            "c-paused", caller=CALLER)))
    assert "no puedo consultar" not in text, text
    assert text.startswith("Reserva confirmada"), text
    [rec] = guest_records(fake, CALLER)
    assert rec["fields"]["client_name"] == "Paciente"
    # it did wait in the queue for the pause to end
    assert queued(n) > before
    assert fake.rate_limited_count == 0


def test_a_create_that_cannot_outwait_a_429_pause_hears_the_apology(
        nginx_factory, three_tables):
    """The pause (60 s) outlasts the create's deadline: the guest hears at
    once that the system cannot be reached, and nothing is written."""
    fake = three_tables
    n = start_paused(nginx_factory, fake, "60s")
    day = booking_day()
    pause_the_base(n, fake, day)
    fake.clear_log()

    args = {"name": "Impaciente", "date": day.isoformat(), "time": "21:00",
            "party_size": 2}
    text = result_of(vapi_post(n, tool_call("create_reservation", args,
                                            "c-wall", caller=CALLER)))
    assert "no puedo consultar" in text, text
    assert guest_records(fake, CALLER) == []
    assert fake.requests(path="/v0/%s/Reservas" % fake.base_id) == []


@pytest.mark.parametrize("value,ok", [("5", True), ("2r/s", True),
                                      ("0", False), ("51", False),
                                      ("fast", False)])
def test_cerebro_airtable_rate_is_checked(nginx_factory, value, ok):
    n = nginx_factory(env={"AIRTABLE_API_KEY": TOKEN,
                           "AIRTABLE_BASE_ID": "appFakeBase000001"})
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_airtable_rate %s;" % value)
    code, out = n.test_config()
    assert (code == 0) == ok, out
    if not ok:
        assert "cerebro_airtable_rate" in out and value in out


# ---- a worker that dies between the write and the confirmation's row ------

def test_a_booking_whose_worker_died_gets_one_confirmation(nginx_factory,
                                                           tmp_path):
    """Airtable cannot write the booking and the outbox row at once: the
    record lands, the worker dies before its answer (SIGKILL), and the
    jobs run's reconciliation queues the confirmation it never queued —
    once, however many times it looks again."""
    import threading
    import urllib.parse
    from tests.fakes.twilio import DEFAULT_SID, DEFAULT_TOKEN, TwilioFake

    fake = AirtableFake(token=TOKEN, max_page_size=100, rate_limit=0)
    fake.start()
    twilio = TwilioFake(window_numbers=[CALLER])
    twilio.start()
    try:
        fake.seed({"tables": {
            "Reservas": {"fields": dict(RESERVAS, **EXTRAS)},
            "Mesas": {"records": THREE}}})
        n = nginx_factory(env={
            "AIRTABLE_API_KEY": TOKEN,
            "AIRTABLE_BASE_ID": fake.base_id,
            "AIRTABLE_API_URL": fake.url,
            "TWILIO_ACCOUNT_SID": DEFAULT_SID,
            "TWILIO_AUTH_TOKEN": DEFAULT_TOKEN,
            "TWILIO_WHATSAPP_NUMBER": "whatsapp:+14155238886",
            "TWILIO_API_URL": twilio.url,
        }, workers=1)
        n.render()
        n.edit_conf("http {", "http {\n    cerebro_store_timeout 30s;\n"
                    "    cerebro_vapi_timeout 15s;\n"
                    "    cerebro_jobs_interval 1s;\n"
                    "    cerebro_outbox_lease 1s;\n"
                    "    cerebro_outbox_retry 1s;\n")
        n.start()
        [worker] = wait_until(n.workers)
        # the create lands at once, its answer never comes back in time
        fake.land_then_wait(1, 60.0, path="/v0/%s/Reservas" % fake.base_id,
                            method="POST")
        day = booking_day()
        args = {"name": "Huérfana", "date": day.isoformat(),
                "time": "21:00", "party_size": 2}

        def call():
            try:
                vapi_post(n, tool_call("create_reservation", args,
                                       "c-orphan", caller=CALLER))
            except OSError:
                pass        # its worker died under it

        t = threading.Thread(target=call)
        t.start()
        [rec] = wait_until(lambda: guest_records(fake, CALLER))
        n.kill_worker(worker)
        t.join(30)
        fake.clear_faults()
        assert wait_until(lambda: worker not in n.workers()
                          and len(n.workers()) == 1)

        def sent():
            rows = outbox_to(n, CALLER, "confirmation")
            return rows if rows and all(m["status"] == "sent"
                                        for m in rows) else None

        # the reconciliation looks every 30 runs of the jobs (30 s here)
        [row] = wait_until(sent, timeout=120)
        assert row["reservation_id"] == rec["id"]
        assert "Huérfana" in row["body"]

        # another look of the reconciliation: nothing more is queued
        def looks():
            return [q for q in fake.requests(
                        path="/v0/%s/Reservas" % fake.base_id)
                    if "CREATED_TIME" in urllib.parse.unquote(
                        q.get("raw_query") or "")]
        seen = len(looks())
        assert wait_until(lambda: len(looks()) >= seen + 1, timeout=90)
        assert len(outbox_to(n, CALLER, "confirmation")) == 1
        assert len(twilio.messages(CALLER)) == 1
        assert "was not queued by its writer" in n.log_text()
    finally:
        twilio.stop()
        fake.stop()
