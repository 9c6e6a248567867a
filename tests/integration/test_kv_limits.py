"""Issue 5: what the key-value layer coordinates across hosts — the
booking day lock in Redis between two nginx instances (two prefixes, two
ports, one Redis, one Airtable fake) — and a graceful stop that our Redis
timers do not hold up."""

import collections
import concurrent.futures
import datetime as dt
import subprocess
import time

from harness import Redis
from test_store_airtable import (RESTAURANT, active, airtable,  # noqa: F401
                                 booking, booking_day, post, reservas,
                                 start_nginx, utc_iso)


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
    return len([line for line in redis.cli("CLIENT", "LIST").splitlines()
                if line and "cmd=client|list" not in line
                and "flags=P" not in line])


def two_hosts(nginx_factory, fake, tmp_path, redis, conf=""):
    hosts = []
    for name in ("host-a", "host-b"):
        n = nginx_factory(env={
            "AIRTABLE_API_KEY": "patTEST.0123456789",
            "AIRTABLE_BASE_ID": fake.base_id,
            "AIRTABLE_API_URL": fake.url,
            "REDIS_URL": redis.url,
        }, name=name)
        n.render()
        n.edit_conf("http {", "http {\n    cerebro_store_timeout 20000ms;\n"
                    + conf)
        hosts.append(n.start())
    assert wait_for(lambda: redis_clients(redis) == 4)
    return hosts


def test_the_day_lock_holds_across_two_hosts(nginx_factory, airtable,
                                             tmp_path):
    """Six bookings for 6 at 21:00 at once, three on each host: the
    slot's pacing takes only max_covers_per_slot // 6 of them, and only
    a lock both hosts share keeps the others out (each host alone would
    read the same free slot).  The lock went through Redis, with an
    expiry shorter than VAPI's tool deadline, and was released."""
    airtable.configure(max_page_size=100, rate_limit=0)
    redis = Redis(tmp_path / "redis").start()
    try:
        a, b = two_hosts(nginx_factory, airtable, tmp_path, redis)
        day = booking_day()
        pacing = RESTAURANT["pacing"]["max_covers_per_slot"]
        fits = pacing // 6

        monitor = subprocess.Popen(["redis-cli", "-p", str(redis.port),
                                    "MONITOR"], stdout=subprocess.PIPE,
                                   text=True)
        try:
            assert monitor.stdout.readline().strip() == "OK"

            def one(i):
                host = (a, b)[i % 2]
                return post(host, booking(day, name="Seis %d" % i,
                                          phone="+346002%05d" % i, pax=6),
                            timeout=60)

            with concurrent.futures.ThreadPoolExecutor(max_workers=6) as ex:
                results = list(ex.map(one, range(6)))
            time.sleep(0.3)
        finally:
            monitor.terminate()
            seen = monitor.communicate(timeout=5)[0]

        statuses = sorted(r.status for r in results)
        assert statuses == [201] * fits + [409] * (6 - fits), \
            [(r.status, r.body) for r in results]
        booked = active(reservas(airtable))
        assert sum(r["fields"]["pax"] for r in booked) <= pacing
        held = []
        for r in booked:
            held += r["fields"]["table"].split("+")
        assert len(held) == len(set(held)), held

        locks = [line for line in seen.splitlines()
                 if '"SET" "cerebro:v1:lock:at:' in line and '"NX"' in line]
        assert len(locks) >= 6, seen[-2000:]
        for line in locks:
            px = int(line.split('"PX" "')[1].split('"')[0])
            assert 0 < px <= 15000, line
        # released by their owners: nothing left behind
        assert redis.cli("--scan", "--pattern", "cerebro:v1:lock:*") == ""
    finally:
        redis.stop()


def test_a_graceful_stop_is_not_held_up_by_redis_timers(nginx_factory,
                                                        tmp_path):
    """Reconnect backoff and command timers are cancelable: with Redis
    gone (a reconnect timer armed) nginx still stops at once."""
    redis = Redis(tmp_path / "redis").start()
    n = nginx_factory(env={"REDIS_URL": redis.url}).start()
    assert wait_for(lambda: redis_clients(redis) == 2)
    redis.stop()
    assert n.get("/health").status == 200
    assert wait_for(lambda: "unavailable" in n.log_text())
    started = time.monotonic()
    assert n.stop() == 0
    assert time.monotonic() - started < 3.0


def most_in_one_second(times):
    """The most requests the fake received within any 1 s."""
    times = sorted(times)
    window = collections.deque()
    most = 0
    for t in times:
        window.append(t)
        while window[0] <= t - 1.0:
            window.popleft()
        most = max(most, len(window))
    return most


def test_the_airtable_limiter_is_shared_by_two_hosts(nginx_factory,
                                                     airtable, tmp_path):
    """Bookings on three days at once, split across two hosts: each host
    alone would allow 5 requests/s, together 10; the send slots live in
    Redis, so the fake (5 requests/s per base) never answers 429 and no
    table is held twice."""
    airtable.configure(max_page_size=100, rate_limit=5, rate_pause=2.0)
    redis = Redis(tmp_path / "redis").start()
    try:
        a, b = two_hosts(nginx_factory, airtable, tmp_path, redis)
        first = booking_day()
        days = [first + dt.timedelta(days=7 * k) for k in range(3)]
        airtable.clear_log()

        monitor = subprocess.Popen(["redis-cli", "-p", str(redis.port),
                                    "MONITOR"], stdout=subprocess.PIPE,
                                   text=True)
        try:
            assert monitor.stdout.readline().strip() == "OK"

            def one(i):
                host = (a, b)[i % 2]
                return post(host, booking(days[i % 3],
                                          name="Ráfaga %d" % i,
                                          phone="+346003%05d" % i, pax=6),
                            timeout=60)

            with concurrent.futures.ThreadPoolExecutor(max_workers=18) as ex:
                results = list(ex.map(one, range(18)))
            time.sleep(0.3)
        finally:
            monitor.terminate()
            seen = monitor.communicate(timeout=5)[0]

        assert airtable.rate_limited_count == 0
        statuses = [r.status for r in results]
        assert set(statuses) <= {201, 409}, \
            [(r.status, r.body) for r in results]
        assert 201 in statuses
        sent = [q["time"] for q in airtable.requests()]
        assert len(sent) >= 36
        assert most_in_one_second(sent) <= 5
        # the slots were taken in Redis, by both hosts' workers
        slots = [line for line in seen.splitlines()
                 if "cerebro:v1:rate:" + airtable.base_id in line]
        assert len(slots) >= len(sent), seen[-2000:]
        assert len({line.split("[")[1].split(" ")[1] for line in slots}) \
            >= 2
        booked = active(reservas(airtable))
        assert len(booked) == statuses.count(201)
        for d in days:
            held = []
            for r in booked:
                if r["fields"]["date_time"] == utc_iso(d, "21:00"):
                    held += r["fields"]["table"].split("+")
            assert len(held) == len(set(held)), held
    finally:
        redis.stop()


def test_a_429_on_one_host_pauses_the_other(nginx_factory, airtable,
                                           tmp_path):
    """Host A meets a 429; host B's next request waits for the pause (in
    Redis) to end before it reaches the fake, and then succeeds."""
    airtable.configure(max_page_size=100, rate_limit=0)
    redis = Redis(tmp_path / "redis").start()
    try:
        a, b = two_hosts(nginx_factory, airtable, tmp_path, redis,
                         conf="    cerebro_airtable_pause 2s;\n")
        airtable.fail_next(1, 429, body={"errors": [
            {"error": "RATE_LIMIT_REACHED",
             "message": "Rate limit exceeded. Please try again later"}]},
            path="/v0/")
        airtable.clear_log()

        r = a.get("/cerebro/tables")
        assert r.status == 429, r.body
        assert r.json()["kind"] == "rate_limited"
        limited_at = airtable.requests()[-1]["answered_at"]
        pttl = int(redis.cli("PTTL", "cerebro:v1:pause:"
                             + airtable.base_id))
        assert 0 < pttl <= 2000

        t0 = time.monotonic()
        r = b.get("/cerebro/tables", timeout=30)
        took = time.monotonic() - t0
        assert r.status == 200, r.body
        assert took >= 1.0
        after = airtable.requests()
        assert after[0]["status"] == 429
        assert len(after) > 1
        # nothing of B's reached the fake before A's pause was over
        assert min(q["time"] for q in after[1:]) >= limited_at + 1.9
        assert "paused for 2000 ms" in a.log_text()
    finally:
        redis.stop()
