"""Issue 5: the key-value layer through nginx, against a real redis-server.

The staff endpoint GET /cerebro/reservations?date= reads a day through the
cache, so a booking written into the SQLite file behind nginx's back stays
invisible until the cached day expires or a write through nginx
invalidates it. That is how these tests tell a cache hit from a miss
without looking inside the module."""

import concurrent.futures
import datetime
import json
import signal
import sqlite3
import subprocess
import threading
import time
from zoneinfo import ZoneInfo

import pytest

from harness import Redis
from voice import post, result_of, spoken, tool_call

MADRID = ZoneInfo("Europe/Madrid")


def in_days(n):
    """An open day about n days ahead (conf/restaurant.json closes on
    Mondays)."""
    d = datetime.datetime.now(MADRID).date() + datetime.timedelta(days=n)
    while d.weekday() == 0:
        d += datetime.timedelta(days=1)
    return d.isoformat()


def day(n, date):
    r = n.get(f"/cerebro/reservations?date={date}")
    assert r.status == 200, r.body
    return r.json()["reservations"]


def book(n, date, name="Ana", phone="600 111 222", time_="21:00", pax=2):
    body = {"client_name": name, "client_phone": phone, "date": date,
            "time": time_, "pax": pax}
    r = n.request("POST", "/cerebro/reservations", body=json.dumps(body),
                  headers={"Content-Type": "application/json"})
    assert r.status == 201, r.body
    return r.json()["reservation"]


def sneak_in(n, date, name="Behind The Back", data_dir=None):
    """A booking written straight into the SQLite file, as another program
    would: nginx does not know of it."""
    path = (data_dir or n.prefix / "data") / "cerebro.sqlite"
    local = datetime.datetime.fromisoformat(f"{date}T13:30").replace(
        tzinfo=MADRID)
    start = int(local.timestamp())
    db = sqlite3.connect(path, timeout=5)
    with db:
        db.execute("INSERT INTO reservations (client_name, client_phone, "
                   "start, pax, table_name, status, created, updated) "
                   "VALUES (?, '+34600999888', ?, 2, '', 'confirmed', ?, ?)",
                   (name, start, start, start))
    db.close()


def names(reservations):
    return sorted(x["client_name"] for x in reservations)


def wait_for(predicate, timeout=10.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def redis_clients(redis):
    """Each worker's command connection: not its subscriber (flags=P, the
    near cache's invalidations), not redis-cli asking."""
    lines = [line for line in redis.cli("CLIENT", "LIST").splitlines()
             if line and "cmd=client|list" not in line
             and "flags=P" not in line]
    return len(lines)


def day_keys(redis, date):
    return [k for k in redis.cli("--scan", "--pattern",
                                 f"cerebro:v1:*:day:{date}").splitlines()
            if k and ":fill:" not in k]


def fill_locks(redis):
    return [k for k in redis.cli("--scan", "--pattern",
                                 "cerebro:v1:*:fill:*").splitlines() if k]


def command_calls(redis, command):
    for line in redis.cli("INFO", "commandstats").splitlines():
        if line.startswith(f"cmdstat_{command}:"):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


def log_count(n, text):
    return sum(1 for line in n.log_text().splitlines() if text in line)


@pytest.fixture
def cached(nginx_factory, redis_server):
    n = nginx_factory(env={"REDIS_URL": redis_server.url}).start()
    assert wait_for(lambda: redis_clients(redis_server) == 2)
    return n


def test_a_day_is_cached_in_redis_until_a_write_invalidates_it(
        cached, redis_server):
    date = in_days(9)

    assert day(cached, date) == []
    keys = day_keys(redis_server, date)
    assert len(keys) == 1, keys
    ttl = int(redis_server.cli("PTTL", keys[0]))
    assert 0 < ttl <= 60000
    # the filler released its lock (compare-and-delete script)
    assert wait_for(lambda: fill_locks(redis_server) == [], timeout=2)

    # hit: what changed behind nginx's back is not seen
    sneak_in(cached, date)
    for _ in range(5):
        assert day(cached, date) == []

    # a booking through nginx invalidates the day: both are seen now
    mine = book(cached, date)
    assert names(day(cached, date)) == ["Ana", "Behind The Back"]
    assert len(day_keys(redis_server, date)) == 1

    # and so does a cancellation
    r = cached.request("DELETE", f"/cerebro/reservations/{mine['id']}")
    assert r.status == 200
    status = {x["client_name"]: x["status"] for x in day(cached, date)}
    assert status == {"Ana": "cancelled", "Behind The Back": "confirmed"}

    # the invalidation was a DEL in Redis, not a local forget
    redis_server.cli("DEL", day_keys(redis_server, date)[0])
    sneak_in(cached, date, name="Second Sneak")
    assert "Second Sneak" in names(day(cached, date))


def test_a_guests_bookings_are_cached_until_one_of_theirs_changes(
        cached, redis_server):
    def mine():
        r = cached.get("/cerebro/reservations?phone=600999888")
        assert r.status == 200, r.body
        return names(r.json()["reservations"])

    assert mine() == []
    assert redis_server.cli("--scan", "--pattern",
                            "cerebro:v1:*:phone:+34600999888") != ""

    sneak_in(cached, in_days(12))            # +34600999888, behind the back
    assert mine() == []
    book(cached, in_days(13), name="Otra", phone="600 111 222")
    assert mine() == []                      # another guest's write

    # the guest's own write, the number as said: the entry goes
    mine_id = book(cached, in_days(13), name="Yo", phone="600 99 98 88")["id"]
    assert mine() == ["Behind The Back", "Yo"]

    # and so does their cancellation
    r = cached.request("DELETE", f"/cerebro/reservations/{mine_id}")
    assert r.status == 200
    assert mine() == ["Behind The Back"]


def test_tables_are_cached_with_a_long_ttl(cached, redis_server):
    r = cached.get("/cerebro/tables")
    assert r.status == 200
    keys = [k for k in redis_server.cli("--scan", "--pattern",
                                        "cerebro:v1:*:tables").splitlines()
            if k and ":fill:" not in k]
    assert len(keys) == 1
    # the embedded store's tables change only with its file: an hour (an
    # Airtable base's Mesas, which staff edit, five minutes)
    assert int(redis_server.cli("PTTL", keys[0])) > 3000000
    # served from the cache: the same answer
    assert cached.get("/cerebro/tables").json() == r.json()


def test_without_redis_shared_memory_caches_the_day(nginx_factory):
    n = nginx_factory().start()
    date = in_days(10)
    assert day(n, date) == []
    sneak_in(n, date)
    for _ in range(4):          # every worker sees the one zone
        assert day(n, date) == []
    book(n, date)
    assert names(day(n, date)) == ["Ana", "Behind The Back"]


def test_cache_off_reads_the_store_every_time(nginx_factory, redis_server):
    n = nginx_factory(env={"REDIS_URL": redis_server.url})
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_cache off;")
    n.start()
    date = in_days(11)
    assert day(n, date) == []
    sneak_in(n, date)
    assert names(day(n, date)) == ["Behind The Back"]
    assert day_keys(redis_server, date) == []


def test_concurrent_misses_fill_the_cache_once(cached, redis_server):
    """40 concurrent misses of one day: one store read fills the cache
    (one SET of the value), the others wait for it (single flight)."""
    date = in_days(12)
    monitor = subprocess.Popen(["redis-cli", "-p", str(redis_server.port),
                                "MONITOR"], stdout=subprocess.PIPE,
                               text=True)
    try:
        assert monitor.stdout.readline().strip() == "OK"

        with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(lambda _: day(cached, date), range(40)))
        assert all(r == [] for r in results)
        time.sleep(0.3)
    finally:
        monitor.terminate()
        seen = monitor.communicate(timeout=5)[0]

    key = day_keys(redis_server, date)[0]
    value_sets = [line for line in seen.splitlines()
                  if f'"SET" "{key}"' in line]
    lock_sets = [line for line in seen.splitlines()
                 if '"SET"' in line and ":fill:" in line and '"NX"' in line]
    assert len(value_sets) == 1, value_sets
    assert len(lock_sets) >= 1
    # the waiters polled Redis for the value (those that came after it
    # was read may have had it from their worker's near cache)
    assert sum(1 for line in seen.splitlines()
               if f'"GET" "{key}"' in line) >= 2


def test_redis_killed_mid_run_then_back(cached, redis_server):
    date = in_days(13)
    assert day(cached, date) == []

    redis_server.stop()
    for i in range(30):
        assert cached.get(f"/cerebro/reservations?date={date}").status == 200
        if i == 10:
            book(cached, date, name="During Outage")
    assert names(day(cached, date)) == ["During Outage"]

    warnings = log_count(cached, "unavailable")
    assert warnings == 1, cached.log_text()

    redis_server.start()            # same port
    assert wait_for(lambda: redis_clients(redis_server) == 2, timeout=15), \
        redis_server.cli("CLIENT", "LIST")
    assert wait_for(lambda: log_count(cached, "is back") == 1)

    # Redis serves again: the day gets cached there
    assert names(day(cached, date)) == ["During Outage"]
    assert wait_for(lambda: len(day_keys(redis_server, date)) == 1)
    assert log_count(cached, "unavailable") == 1

    # and each worker has Redis track its keys again, for its new
    # subscriber connection
    def tracking():
        lines = redis_server.cli("CLIENT", "LIST").splitlines()
        subscribers = {line.split()[0] for line in lines if "flags=P" in line}
        redirects = {"id=" + line.split("redir=")[1].split()[0]
                     for line in lines if "flags=tB" in line}
        return len(subscribers) == 2 and redirects == subscribers

    assert wait_for(tracking, timeout=15), redis_server.cli("CLIENT", "LIST")


def test_a_password_protected_redis(nginx_factory, tmp_path):
    redis = Redis(tmp_path / "locked", password="s3cr3t-pw").start()
    try:
        n = nginx_factory(env={"REDIS_URL": redis.url}).start()
        assert wait_for(lambda: redis_clients(redis) == 2)
        date = in_days(14)
        assert day(n, date) == []
        assert len(day_keys(redis, date)) == 1
        assert "s3cr3t-pw" not in n.log_text()

        # REDIS_PASSWORD when the URL carries none
        url = f"redis://127.0.0.1:{redis.port}/0"
        m = nginx_factory(env={"REDIS_URL": url,
                               "REDIS_PASSWORD": "s3cr3t-pw"}).start()
        assert wait_for(lambda: redis_clients(redis) == 4)
        assert day(m, date) == []
    finally:
        redis.stop()


def test_a_wrong_password_degrades_to_shared_memory(nginx_factory,
                                                    tmp_path):
    redis = Redis(tmp_path / "locked", password="right").start()
    try:
        url = f"redis://:wrong@127.0.0.1:{redis.port}/0"
        n = nginx_factory(env={"REDIS_URL": url}).start()
        date = in_days(15)
        for _ in range(5):
            assert day(n, date) == []
        assert wait_for(lambda: log_count(n, "AUTH refused") >= 1)
        assert log_count(n, "unavailable") == 1
        assert "wrong" not in n.log_text().replace("wrongpass", "")
    finally:
        redis.stop()


def test_a_slow_redis_hits_the_command_deadline(cached, redis_server):
    """Redis stops answering for 2 s (DEBUG SLEEP where the server allows
    it; Redis 7 disables DEBUG by default, so SIGSTOP does the same): every
    request still answers within the command deadline, from shared memory,
    and the connection survives."""
    date = in_days(16)
    book(cached, date, name="Before")

    slept = redis_server.cli("DEBUG", "SLEEP", "0")
    if slept == "OK":
        sleeper = threading.Thread(
            target=redis_server.cli, args=("DEBUG", "SLEEP", "2"))
        sleeper.start()
        wake = sleeper.join
    else:
        redis_server.proc.send_signal(signal.SIGSTOP)
        waker = threading.Timer(
            2.0, redis_server.proc.send_signal, args=(signal.SIGCONT,))
        waker.start()
        wake = waker.join
    time.sleep(0.1)
    try:
        started = time.monotonic()
        assert names(day(cached, date)) == ["Before"]
        # the deadline (300 ms), not Redis' 2 s
        assert time.monotonic() - started < 1.0
        for _ in range(5):
            t = time.monotonic()
            assert names(day(cached, date)) == ["Before"]
            assert time.monotonic() - t < 0.5
    finally:
        wake()

    assert log_count(cached, "no reply within its deadline") == 1, \
        cached.log_text()
    assert wait_for(lambda: log_count(cached, "is back") == 1, timeout=5)
    # the connection was kept: still one per worker
    assert redis_clients(redis_server) == 2
    assert day(cached, date) and len(day_keys(redis_server, date)) == 1


def test_two_hosts_see_each_others_invalidations(nginx_factory,
                                                 redis_server, prefixes):
    shared = prefixes / "shared-data"
    shared.mkdir()
    shared.chmod(0o777)
    env = {"REDIS_URL": redis_server.url, "CEREBRO_DATA_DIR": str(shared)}
    a = nginx_factory(env=env, name="host-a").start()
    b = nginx_factory(env=env, name="host-b").start()
    assert wait_for(lambda: redis_clients(redis_server) == 4)

    date = in_days(17)
    assert day(a, date) == []
    sneak_in(a, date, data_dir=shared)
    assert day(a, date) == [] and day(b, date) == []   # one shared cache

    book(b, date, name="Booked On B")
    assert names(day(a, date)) == ["Behind The Back", "Booked On B"]


def sneak_in_evening(n, date, tables, time_="21:00"):
    """Every table taken at time_ on date, behind nginx's back."""
    path = n.prefix / "data" / "cerebro.sqlite"
    local = datetime.datetime.fromisoformat(f"{date}T{time_}").replace(
        tzinfo=MADRID)
    start = int(local.timestamp())
    db = sqlite3.connect(path, timeout=5)
    with db:
        for i, t in enumerate(tables):
            db.execute("INSERT INTO reservations (client_name, client_phone,"
                       " start, pax, table_name, status, created, updated)"
                       " VALUES (?, ?, ?, 2, ?, 'confirmed', ?, ?)",
                       (f"Sneak {t}", "+3460077%04d" % i, start, t, start,
                        start))
    db.close()


@pytest.mark.parametrize("backend", ["redis", "shared memory"])
def test_the_following_days_are_read_from_the_day_cache(
        nginx_factory, redis_server, backend):
    """A closed Monday offers the following days: the days after the
    three the tool reads are one range, served from (and filling) the
    days' own cache entries, which a write to one of them invalidates."""
    env = {"REDIS_URL": redis_server.url} if backend == "redis" else {}
    n = nginx_factory(env=env).start()
    if backend == "redis":
        assert wait_for(lambda: redis_clients(redis_server) == 2)
    monday = datetime.date.fromisoformat(in_days(10))
    while monday.weekday() != 0:
        monday += datetime.timedelta(days=1)
    wednesday = monday + datetime.timedelta(days=2)
    ask = tool_call("check_availability", {"date": monday.isoformat(),
                                           "time": "21:00",
                                           "party_size": 2})

    def answer():
        ask["message"]["toolCallList"][0]["id"] = f"t-{time.monotonic()}"
        return result_of(post(n, ask))

    text = answer()
    assert "cerrado" in text and spoken(wednesday) in text, text
    if backend == "redis":
        # every day of the range has its own entry now
        for k in range(2, 15):
            date = (monday + datetime.timedelta(days=k)).isoformat()
            assert len(day_keys(redis_server, date)) == 1, date

    # Wednesday's evening fills behind nginx's back: still offered, from
    # the cache
    tables = [f"T{i}" for i in range(1, 15)]
    sneak_in_evening(n, wednesday.isoformat(), tables)
    for _ in range(3):
        assert spoken(wednesday) in answer()

    # a write through nginx on Wednesday invalidates that day: the range
    # is read again, and Wednesday is not offered any more
    book(n, wednesday.isoformat(), name="Lunch", time_="13:30")
    text = answer()
    assert spoken(wednesday) not in text, text
    assert spoken(monday + datetime.timedelta(days=1)) in text, text


def redis_reads(redis):
    return sum(command_calls(redis, c) for c in ("get", "mget"))


def test_a_worker_keeps_what_redis_says_has_not_changed(nginx_factory,
                                                        redis_server):
    """The near cache: Redis tracks the cached keys for each worker (a
    subscriber connection per worker gets the invalidations), so a warm
    tool call asks Redis nothing; any change to one of them — through
    nginx, or straight in Redis — makes the next read ask again."""
    n = nginx_factory(env={"REDIS_URL": redis_server.url}, workers=1)
    n.start()
    assert wait_for(lambda: redis_clients(redis_server) == 1)
    assert wait_for(lambda: "flags=tB" in redis_server.cli("CLIENT", "LIST"))
    subscribers = [line for line in
                   redis_server.cli("CLIENT", "LIST").splitlines()
                   if "flags=P" in line]
    assert len(subscribers) == 1, subscribers
    date = in_days(15)
    ask = tool_call("check_availability", {"date": date, "time": "14:00",
                                           "party_size": 2})

    def reads_of_one_answer():
        redis_server.cli("CONFIG", "RESETSTAT")
        ask["message"]["toolCallList"][0]["id"] = f"t-{time.monotonic()}"
        assert result_of(post(n, ask)).startswith("Sí")
        return redis_reads(redis_server)

    def settles():
        # the first reads fill the cache, and the fills are changes too
        return any(reads_of_one_answer() == 0 for _ in range(6))

    assert settles()
    assert [reads_of_one_answer() for _ in range(3)] == [0, 0, 0]

    # behind nginx's back: unseen, the day is trusted
    sneak_in(n, date)
    assert reads_of_one_answer() == 0
    assert day(n, date) == []

    # a change to another cached key leaves these trusted
    key = day_keys(redis_server, date)[0]
    redis_server.cli("SET", key.rsplit(":", 1)[0] + ":2099-01-01", "x")
    assert reads_of_one_answer() == 0

    # a change straight in Redis: the worker hears of it and reads again
    key = day_keys(redis_server, date)[0]
    redis_server.cli("DEL", key)
    assert reads_of_one_answer() > 0
    assert names(day(n, date)) == ["Behind The Back"]
    assert settles()

    # a FLUSHALL tells of every key at once
    redis_server.cli("FLUSHALL")
    assert reads_of_one_answer() > 0


def test_near_cache_off_asks_redis_at_every_read(nginx_factory,
                                                 redis_server):
    n = nginx_factory(env={"REDIS_URL": redis_server.url}, workers=1)
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_near_cache off;")
    n.start()
    assert wait_for(lambda: redis_clients(redis_server) == 1)
    lines = redis_server.cli("CLIENT", "LIST")
    assert "flags=P" not in lines and "flags=tB" not in lines, lines
    date = in_days(16)
    assert day(n, date) == []
    for _ in range(3):
        redis_server.cli("CONFIG", "RESETSTAT")
        assert day(n, date) == []
        assert command_calls(redis_server, "get") == 1


def test_a_redis_refusing_tracking_is_noticed_and_asked_at_every_read(
        nginx_factory, redis_server):
    """An ACL without CLIENT TRACKING (as a Redis before 6.0 has none): a
    notice in the log, and no read is kept in the worker."""
    redis_server.cli("ACL", "SETUSER", "cerebro", "on", ">pw", "~*", "&*",
                     "+@all", "-client|tracking")
    url = f"redis://cerebro:pw@127.0.0.1:{redis_server.port}/0"
    n = nginx_factory(env={"REDIS_URL": url}, workers=1).start()
    assert wait_for(lambda: log_count(
        n, "Redis does not track the cached keys") >= 1), n.log_text()
    assert "flags=tB" not in redis_server.cli("CLIENT", "LIST")
    date = in_days(17)
    assert day(n, date) == []
    for _ in range(3):
        redis_server.cli("CONFIG", "RESETSTAT")
        assert day(n, date) == []
        assert command_calls(redis_server, "get") == 1
