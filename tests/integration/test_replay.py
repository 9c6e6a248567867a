"""Issue 12: replay keys are durable.  A retried toolCallId of a tool call
that wrote gets the first answer and books nothing: after 100,000 other
writes (which once pushed the key out of the shared-memory cache), after
nginx restarts (on SQLite and on Airtable, whose keys are in the file
beside the outbox), with Redis gone, and on another host sharing the
Redis."""

import concurrent.futures
import sqlite3
import time

from harness import REPO
from voice import day, post, result_of, tool_call
from test_vapi_airtable import make_fake, start as start_on_airtable

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"

# VAPI's calls in one message, at most what the module runs at once
BATCH = 32
OTHER_WRITES = 100_000


def start(nginx_factory, env=None, name=None):
    n = nginx_factory(env=env, name=name)
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};\n")
    return n.start()


def book(n, tool_id, name="Ana"):
    msg = tool_call("create_reservation", {"name": name,
                                           "date": day().isoformat(),
                                           "time": "21:00", "party_size": 2},
                    call_id=f"c-{tool_id}", tool_id=tool_id)
    return msg, result_of(post(n, msg))


def reservations(n):
    return n.get(f"/cerebro/reservations?date={day().isoformat()}") \
        .json()["reservations"]


def book_and_cancel(n, tool_id):
    """A booking the guest made, then cancelled by the staff."""
    msg, first = book(n, tool_id)
    assert first.startswith("Reserva confirmada"), first
    [rec] = reservations(n)
    assert n.request("DELETE", f"/cerebro/reservations/{rec['id']}") \
        .status == 200
    assert [r["status"] for r in reservations(n)] == ["cancelled"]
    return msg, first


def other_writes(n, count):
    """count create_reservation calls, each with its own toolCallId, as
    VAPI sends them (BATCH a message): each is a write whose answer is
    kept for its replays.  Without a date they touch no booking."""
    def send(start_at):
        calls = [{"id": f"t-other-{i:06d}", "type": "function",
                  "function": {"name": "create_reservation",
                               "arguments": {"name": f"Otro {i}",
                                             "confirmed": True}}}
                 for i in range(start_at, min(start_at + BATCH, count))]
        r = post(n, {"message": {"type": "tool-calls",
                                 "toolCallList": calls,
                                 "call": {"id": f"c-other-{start_at}",
                                          "customer": {
                                              "number": "+34600777888"}}}},
                 timeout=60)
        assert r.status == 200, r.body
        results = r.json()["results"]
        assert len(results) == len(calls)
        return results[-1]["result"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        last = list(pool.map(send, range(0, count, BATCH)))
    assert all("fecha" in t or "día" in t for t in last), last[:3]


def count(n, table):
    db = sqlite3.connect(n.prefix / "data" / "cerebro.sqlite")
    try:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        db.close()


def test_a_retry_after_100000_other_writes_books_nothing(nginx_factory):
    n = start(nginx_factory)
    msg, first = book_and_cancel(n, "t-replay-100k")

    other_writes(n, OTHER_WRITES)
    assert count(n, "replay") == OTHER_WRITES + 1

    assert result_of(post(n, msg)) == first
    assert [r["status"] for r in reservations(n)] == ["cancelled"]


def test_a_retry_after_a_restart_books_nothing(nginx_factory):
    n = start(nginx_factory)
    msg, first = book_and_cancel(n, "t-replay-restart")

    assert n.stop() == 0
    n.start()

    assert result_of(post(n, msg)) == first
    assert [r["status"] for r in reservations(n)] == ["cancelled"]


def wait_for_cache(n, state, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if n.get("/health").json()["checks"]["cache"] == state:
            return True
        time.sleep(0.05)
    return False


def test_with_redis_down_the_file_still_answers(nginx_factory, redis_server):
    n = start(nginx_factory, env={"REDIS_URL": redis_server.url})
    assert wait_for_cache(n, "redis")
    msg, first = book_and_cancel(n, "t-replay-redis-down")
    assert redis_server.cli("EXISTS",
                            "cerebro:v1:vapi:tool:t-replay-redis-down") == "1"

    redis_server.stop()
    assert wait_for_cache(n, "degraded")

    assert result_of(post(n, msg)) == first
    assert [r["status"] for r in reservations(n)] == ["cancelled"]


def test_another_host_finds_the_key_in_redis(nginx_factory, redis_server):
    env = {"REDIS_URL": redis_server.url}
    a = start(nginx_factory, env=env, name="host-a")
    b = start(nginx_factory, env=env, name="host-b")
    assert wait_for_cache(a, "redis") and wait_for_cache(b, "redis")

    msg, first = book(a, "t-replay-two-hosts")
    assert first.startswith("Reserva confirmada"), first

    # host b has a file of its own, without the key: Redis has it
    assert count(b, "replay") == 0
    assert result_of(post(b, msg)) == first
    assert count(b, "reservations") == 0
    assert count(a, "reservations") == 1


def test_on_airtable_the_file_beside_the_outbox_keeps_the_key(
        nginx_factory):
    fake = make_fake()
    try:
        n = start_on_airtable(nginx_factory, fake)
        msg, first = book(n, "t-replay-airtable")
        assert first.startswith("Reserva confirmada"), first
        [rec] = fake.records("Reservas")
        assert n.request("DELETE", f"/cerebro/reservations/{rec['id']}") \
            .status == 200
        assert count(n, "replay") == 1

        assert n.stop() == 0
        n.start()

        assert result_of(post(n, msg)) == first
        assert [r["fields"]["status"] for r in fake.records("Reservas")] \
            == ["cancelled"]
    finally:
        fake.stop()
