"""Issue 16: alerts to a webhook (ALERT_WEBHOOK_URL / cerebro_alert_webhook)
in Slack- and Discord-compatible JSON, one per episode and one "resolved",
through the outbox, against a loopback receiver."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.fakes.airtable import AirtableFake

TOKEN = "patALERTS.0123456789"
SECRET_PATH = "/services/T0ALERT/B0ALERT/s3cr3tW3bh00kT0k3n"


class Receiver:
    """A webhook on loopback that records every JSON body posted to it;
    answers `status` (a list is consumed one a post, then 200)."""

    def __init__(self):
        self.posts = []
        self.paths = []
        self.answers = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with receiver.cond:
                    status = receiver.answers.pop(0) \
                        if receiver.answers else 200
                    if status == 200:
                        receiver.posts.append(json.loads(body))
                        receiver.paths.append(self.path)
                    receiver.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}{SECRET_PATH}"

    def of(self, alert):
        with self.cond:
            return [p for p in self.posts if p["alert"] == alert]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def airtable(port=0):
    fake = AirtableFake(token=TOKEN, port=port)
    fake.start()
    fake.add_records("Mesas", [{"name": "T1", "capacity_min": 1,
                                "capacity_max": 4, "location": "sala"}])
    return fake


def until(what, poke, timeout=40.0):
    """poke() (a request: each answer is an event) until what() holds."""
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "timed out"
        poke()
        time.sleep(0.2)


def test_a_dead_store_fires_one_alert_then_one_resolved(nginx_factory,
                                                        receiver):
    fake = airtable()
    port = fake.port
    # at debug level nginx names every subrequest: the path is redacted
    n = nginx_factory(env={"AIRTABLE_API_KEY": TOKEN,
                           "AIRTABLE_BASE_ID": fake.base_id,
                           "AIRTABLE_API_URL": fake.url,
                           "ALERT_WEBHOOK_URL": receiver.url,
                           "CEREBRO_LOG_LEVEL": "debug"})
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_store_timeout 1500ms;\n"
                "    cerebro_cache off;\n    cerebro_jobs_interval 1s;\n"
                "    cerebro_alert_after 2s;")
    n.start()
    try:
        assert n.get("/cerebro/tables").status == 200

        # the store's upstream dies
        fake.stop()

        def tables():
            n.get("/cerebro/tables")

        until(lambda: receiver.of("store_unavailable"), tables)
        assert len(receiver.of("store_unavailable")) == 1, \
            [(p["status"], p["since"]) for p in receiver.posts]
        [fired] = receiver.of("store_unavailable")
        assert fired["status"] == "firing"
        assert fired["text"] == fired["content"]
        assert "store (airtable)" in fired["text"]
        assert fired["service"] == "Cerebro En Las Nubes"

        # it comes back
        fake = airtable(port)
        until(lambda: len(receiver.of("store_unavailable")) == 2, tables)
        fired, resolved = receiver.of("store_unavailable")
        assert resolved["status"] == "resolved"
        assert resolved["since"] == fired["since"]
        assert receiver.paths[0] == SECRET_PATH

        # one episode, one row each in the outbox, both sent
        out = n.get("/cerebro/outbox?limit=50").json()["messages"]
        alerts = [m for m in out if m.get("kind") == "alert"]
        assert len(alerts) == 2, alerts
        assert {m["status"] for m in alerts} == {"sent"}
    finally:
        fake.stop()

    # the webhook's path is its secret: in no file of the prefix
    for path in n.prefix.rglob("*"):
        if path.is_file() and path.suffix != ".sqlite":
            assert SECRET_PATH.encode() not in path.read_bytes(), path


def test_an_alert_waits_in_the_outbox_while_the_webhook_fails(
        nginx_factory, receiver):
    fake = airtable()
    n = nginx_factory(env={"AIRTABLE_API_KEY": TOKEN,
                           "AIRTABLE_BASE_ID": fake.base_id,
                           "AIRTABLE_API_URL": fake.url,
                           "ALERT_WEBHOOK_URL": receiver.url})
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_store_timeout 1500ms;\n"
                "    cerebro_cache off;\n    cerebro_jobs_interval 1s;\n"
                "    cerebro_alert_after 1s;\n    cerebro_outbox_retry 1s;")
    n.start()
    try:
        # the receiver is down twice (503), then takes it
        receiver.answers = [503, 503]
        fake.fail_next(1000, 503, body={"error": {
            "type": "SERVICE_UNAVAILABLE", "message": "down"}})

        def tables():
            n.get("/cerebro/tables")

        until(lambda: receiver.of("store_unavailable"), tables)
        assert receiver.answers == []
        [fired] = receiver.of("store_unavailable")
        assert fired["status"] == "firing"
        out = n.get("/cerebro/outbox?limit=50").json()["messages"]
        [row] = [m for m in out if m.get("kind") == "alert"]
        assert row["status"] == "sent" and row["attempts"] == 3
    finally:
        fake.stop()


def test_redis_down_then_up_is_one_alert_and_one_resolved(nginx_factory,
                                                           receiver,
                                                           tmp_path):
    from harness import Redis
    redis = Redis(tmp_path / "redis")
    n = nginx_factory(env={"REDIS_URL": redis.url,
                           "ALERT_WEBHOOK_URL": receiver.url})
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_jobs_interval 1s;\n"
                "    cerebro_alert_after 1s;")
    n.start()
    try:
        def health():
            n.get("/health")

        # Redis was never there: down from the start
        until(lambda: receiver.of("redis_down"), health)
        [fired] = receiver.of("redis_down")
        assert fired["status"] == "firing"
        assert "Redis is down" in fired["text"]

        redis.start()
        until(lambda: len(receiver.of("redis_down")) == 2, health)
        assert receiver.of("redis_down")[1]["status"] == "resolved"
        # nothing else was wrong
        assert {p["alert"] for p in receiver.posts} == {"redis_down"}
    finally:
        redis.stop()


def test_an_airtable_429_pause_is_an_alert_until_it_ends(nginx_factory,
                                                         receiver):
    fake = airtable()
    n = nginx_factory(env={"AIRTABLE_API_KEY": TOKEN,
                           "AIRTABLE_BASE_ID": fake.base_id,
                           "AIRTABLE_API_URL": fake.url,
                           "ALERT_WEBHOOK_URL": receiver.url})
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_store_timeout 1500ms;\n"
                "    cerebro_cache off;\n    cerebro_jobs_interval 1s;\n"
                "    cerebro_airtable_pause 3s;")
    n.start()
    try:
        fake.fail_next(1, 429, body={"errors": [
            {"error": "RATE_LIMIT_REACHED",
             "message": "Rate limit exceeded"}]}, path="/v0/")
        assert n.get("/cerebro/tables").status == 429

        def health():
            n.get("/health")

        until(lambda: len(receiver.of("airtable_paused")) == 2, health)
        fired, resolved = receiver.of("airtable_paused")
        assert (fired["status"], resolved["status"]) == ("firing",
                                                         "resolved")
        assert "429" in fired["text"]
    finally:
        fake.stop()
