"""A reload (SIGHUP) or a stop (SIGQUIT) never cuts a request: tool calls
waiting on a slow upstream and a jobs run sending to a slow Twilio are
answered by the workers that took them, which exit only then; the new
workers serve tool calls, store writes and jobs runs.  Coolify redeploys
this way, and a guest on the phone must not lose an answer.

Every wait here is for an event (a request seen by a fake, new worker
processes, nginx's exit); the fixture fails on any [alert] (such as "open
socket left in connection") or a worker that died on a signal."""

import concurrent.futures
import datetime
import json
import signal
import sqlite3
import time

import pytest

from harness import REPO
from voice import day, post, tool_call
from tests.fakes.airtable import AirtableFake
from tests.fakes.twilio import DEFAULT_SID, DEFAULT_TOKEN, TwilioFake

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"
RESTAURANT = json.loads((REPO / "conf" / "restaurant.json").read_text())
TOKEN = "patSHUTDOWN.000000"
GUEST = "+34600111222"
MESSAGES = f"/2010-04-01/Accounts/{DEFAULT_SID}/Messages.json"


def wait_for(what, timeout=20.0):
    end = time.monotonic() + timeout
    while True:
        value = what()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.02)


def workers(n):
    pid = n.proc.pid
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return {int(p) for p in f.read().split()}
    except OSError:
        return set()


def generation(n, count=2):
    """The workers, all of them: nginx listens before it has started every
    one."""
    whole = wait_for(lambda: (lambda s: s if len(s) >= count else None)(
        workers(n)))
    assert whole, "the workers did not all start"
    return whole


def reload(n, count=2):
    """SIGHUP, then the new generation of workers: count processes that
    were not there before."""
    before = generation(n, count)
    n.reload()
    new = wait_for(lambda: (lambda s: s if len(s) >= count else None)(
        workers(n) - before))
    assert new, "no new workers after SIGHUP"
    return new


def stop(n):
    """SIGQUIT, and nginx's own exit (the fixture's stop finds it done)."""
    n.proc.send_signal(signal.SIGQUIT)
    assert n.proc.wait(timeout=60) == 0


def in_flight(fake, path):
    return [q for q in fake.requests(path=path) if q["answered_at"] is None]


@pytest.fixture
def airtable():
    fake = AirtableFake(token=TOKEN, rate_limit=None)
    fake.start()
    fake.add_records("Mesas", [
        {k: t[k] for k in ("name", "capacity_min", "capacity_max",
                           "location")}
        for t in RESTAURANT["tables"]])
    yield fake
    fake.stop()


@pytest.fixture
def twilio():
    fake = TwilioFake(window_numbers=[GUEST])
    fake.start()
    yield fake
    fake.stop()


def twilio_env(fake):
    return {"TWILIO_ACCOUNT_SID": DEFAULT_SID,
            "TWILIO_AUTH_TOKEN": DEFAULT_TOKEN,
            "TWILIO_WHATSAPP_NUMBER": "whatsapp:+14155238886",
            "TWILIO_API_URL": fake.url,
            "PUBLIC_URL": "https://cerebro.example.com"}


def lunch_days(k):
    """k days a week apart from a week ahead, each its own Airtable read."""
    special = {c["date"] for c in RESTAURANT.get("closures", [])}
    special |= {s["date"] for s in RESTAURANT.get("special_hours", [])}
    out, d = [], day(7)
    while len(out) < k:
        if d.isoformat() not in special and d.weekday() not in (0,):
            out.append(d)
            d += datetime.timedelta(days=7)
        else:
            d += datetime.timedelta(days=1)
    return out


def test_tool_calls_in_flight_survive_two_reloads_and_a_stop(nginx_factory,
                                                             airtable):
    n = nginx_factory(env={"AIRTABLE_API_KEY": TOKEN,
                           "AIRTABLE_BASE_ID": airtable.base_id,
                           "AIRTABLE_API_URL": airtable.url})
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_store_timeout 10s;\n"
                "    cerebro_vapi_timeout 15s;")
    n.start()
    reservas = f"/v0/{airtable.base_id}/Reservas"
    # wait for the jobs run's first read, so that it is not counted below
    wait_for(lambda: airtable.requests(path=reservas))
    airtable.clear_log()
    airtable.set_latency(1.5, path=reservas)

    dates = lunch_days(6)

    def ask(d):
        return post(n, tool_call("check_availability", {
            "date": d.isoformat(), "time": "14:00", "party_size": 2}),
            timeout=60)

    with concurrent.futures.ThreadPoolExecutor(len(dates)) as ex:
        futures = [ex.submit(ask, d) for d in dates]
        # every call has reached nginx: each is waiting on Airtable for
        # its own day
        assert wait_for(lambda: all(
            any(d.isoformat() in q["raw_query"]
                for q in airtable.requests(path=reservas))
            for d in dates)), "not every tool call reached the store"
        assert in_flight(airtable, reservas)
        reload(n)
        reload(n)
        stop(n)
        answers = [f.result() for f in futures]

    for d, r in zip(dates, answers):
        assert r.status == 200, r.body
        result = r.json()["results"][0]
        assert "result" in result, result
        assert "tardando" not in result["result"], result
        assert str(d.day) in result["result"], result


@pytest.mark.parametrize("workers", [1, 2])
def test_a_jobs_run_in_flight_finishes_before_the_stop(nginx_factory,
                                                       twilio, workers):
    # the booking's own attempt fails: the jobs run sends it again, slowly
    twilio.fail_next(1, 500, path=MESSAGES, method="POST")
    n = nginx_factory(env=twilio_env(twilio), workers=workers)
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};\n"
                "    cerebro_jobs_interval 1s;\n"
                "    cerebro_outbox_retry 1s;")
    n.start()
    r = post(n, tool_call("create_reservation", {
        "name": "Ana", "date": day().isoformat(), "time": "21:00",
        "party_size": 2}, caller=GUEST))
    assert "Ana" in r.json()["results"][0]["result"]
    assert wait_for(lambda: twilio.requests(path=MESSAGES, method="POST"))
    twilio.set_latency(2.0, path=MESSAGES, method="POST")
    # the retry of a jobs run is on its way to Twilio, which takes its time
    assert wait_for(lambda: in_flight(twilio, MESSAGES))
    reload(n, count=workers)
    stop(n)

    sent = twilio.requests(path=MESSAGES, method="POST")
    assert [q["status"] for q in sent] == [500, 201]
    sent = sent[1:]
    db = sqlite3.connect(n.prefix / "data" / "cerebro.sqlite")
    try:
        rows = db.execute("SELECT status, twilio_sid FROM outbox").fetchall()
    finally:
        db.close()
    assert rows == [("sent", json.loads(sent[0]["response"])["sid"])]


def test_after_a_reload_new_workers_serve_tools_writes_and_jobs(
        nginx_factory, twilio):
    n = nginx_factory(env=twilio_env(twilio))
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};\n"
                "    cerebro_jobs_interval 1s;")
    n.start()
    old = generation(n)
    new = reload(n)
    # the old generation had nothing in flight: it is gone
    assert wait_for(lambda: not (workers(n) & old))
    assert workers(n) == new

    r = post(n, tool_call("check_availability", {
        "date": day().isoformat(), "time": "21:00", "party_size": 2}))
    assert r.status == 200 and "result" in r.json()["results"][0]

    r = n.request("POST", "/cerebro/reservations", body=json.dumps({
        "client_name": "Luis", "client_phone": "600 333 444",
        "date": day(8).isoformat(), "time": "21:00", "pax": 2}),
        headers={"Content-Type": "application/json"})
    assert r.status == 201, r.body

    r = post(n, tool_call("create_reservation", {
        "name": "Ana", "date": day().isoformat(), "time": "21:00",
        "party_size": 2}, caller=GUEST))
    assert "Ana" in r.json()["results"][0]["result"]
    # a jobs run of the new workers sends the confirmation
    assert wait_for(lambda: twilio.messages(GUEST))
    stop(n)


class StallingRedis:
    """A Redis that completes every handshake (PING, SELECT, SCRIPT LOAD,
    CLIENT ID/TRACKING, SUBSCRIBE) and then never answers a data command:
    what a worker sees of a Redis that hangs.  Counts the data commands it
    holds."""

    HANDSHAKE = {b"PING", b"AUTH", b"SELECT", b"SCRIPT", b"CLIENT",
                 b"SUBSCRIBE", b"HELLO"}

    def __init__(self):
        import socket
        import threading
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self.lock = threading.Lock()
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def _accept(self):
        import threading
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,),
                             daemon=True).start()

    @staticmethod
    def _commands(buf):
        """Whole RESP arrays in buf: (list of argv, rest)."""
        out = []
        while buf.startswith(b"*"):
            try:
                head, rest = buf.split(b"\r\n", 1)
                argv = []
                for _ in range(int(head[1:])):
                    size, rest = rest.split(b"\r\n", 1)
                    n = int(size[1:])
                    if len(rest) < n + 2:
                        raise ValueError
                    argv.append(rest[:n])
                    rest = rest[n + 2:]
            except ValueError:
                break
            out.append(argv)
            buf = rest
        return out, buf

    def _serve(self, c):
        buf = b""
        while True:
            try:
                data = c.recv(65536)
            except OSError:
                return
            if not data:
                return
            buf += data
            cmds, buf = self._commands(buf)
            for argv in cmds:
                name = argv[0].upper()
                if name not in self.HANDSHAKE:
                    with self.lock:
                        self.held.append(argv)
                    continue
                if name == b"CLIENT" and argv[1].upper() == b"ID":
                    c.sendall(b":7\r\n")
                elif name == b"SUBSCRIBE":
                    ch = argv[1]
                    c.sendall(b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n"
                              % (len(ch), ch))
                elif name == b"SCRIPT":
                    c.sendall(b"$40\r\n" + b"0" * 40 + b"\r\n")
                elif name == b"PING":
                    c.sendall(b"+PONG\r\n")
                else:
                    c.sendall(b"+OK\r\n")

    def holding(self):
        with self.lock:
            return list(self.held)

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.mark.parametrize("what", ["tool call", "staff read"])
def test_a_request_waiting_on_redis_holds_the_stop(nginx_factory, what):
    redis = StallingRedis()
    try:
        n = nginx_factory(env={"REDIS_URL": redis.url}, workers=1)
        n.render()
        n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};\n"
                    "    cerebro_jobs_interval 1h;")
        n.start()
        if what == "tool call":
            ask = lambda: post(n, tool_call("check_availability", {  # noqa
                "date": day().isoformat(), "time": "21:00",
                "party_size": 2}))
        else:
            # no deadline timer of its own: only Redis's command holds it
            ask = lambda: n.get("/cerebro/reservations?date="  # noqa
                                + day().isoformat())
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            held = len(redis.holding())
            future = ex.submit(ask)
            # the first cache read waits on Redis, for ever
            assert wait_for(lambda: len(redis.holding()) > held)
            stop(n)
            r = future.result()
        # the command's deadline passed, and the host's memory answered
        assert r.status == 200, r.body
        if what == "tool call":
            assert "result" in r.json()["results"][0]
        else:
            assert r.json()["reservations"] == []
    finally:
        redis.close()
