"""Issue 5: what the key-value layer coordinates across hosts — the
booking day lock in Redis between two nginx instances (two prefixes, two
ports, one Redis, one Airtable fake) — and a graceful stop that our Redis
timers do not hold up."""

import concurrent.futures
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
    return len([line for line in redis.cli("CLIENT", "LIST").splitlines()
                if line and "cmd=client" not in line])


def two_hosts(nginx_factory, fake, tmp_path, redis):
    hosts = []
    for name in ("host-a", "host-b"):
        n = nginx_factory(env={
            "AIRTABLE_API_KEY": "patTEST.0123456789",
            "AIRTABLE_BASE_ID": fake.base_id,
            "AIRTABLE_API_URL": fake.url,
            "REDIS_URL": redis.url,
        }, name=name)
        n.render()
        n.edit_conf("http {", "http {\n    cerebro_store_timeout 20000ms;")
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
