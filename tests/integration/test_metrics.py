"""Issue 16: GET /metrics in Prometheus' text format, checked by Debian's
promtool and scraped by a real Prometheus, after a scripted phone call and
a WhatsApp conversation; the counters moved by the right amounts."""

import json
import re
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.error
import urllib.request

import pytest

from harness import REPO, free_port, wait_for_port
from voice import day, fixture, post, result_of, tool_call
from test_whatsapp import Guest, dinner_day, said
from tests.fakes.airtable import AirtableFake

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"')


def scrape(n):
    r = n.get("/metrics")
    assert r.status == 200, r.body
    assert r.header("content-type").startswith("text/plain; version=0.0.4")
    return r.body.decode()


def samples(text):
    """{(name, frozenset of labels): value} of an exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def value(s, name, **labels):
    return s.get((name, frozenset(labels.items())), 0.0)


def total(s, name, **labels):
    """The sum over the series of name whose labels include these."""
    want = set(labels.items())
    return sum(v for (n, ls), v in s.items() if n == name and want <= ls)


def promtool(text):
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def start(nginx_factory, env=None, workers=2):
    n = nginx_factory(env=env, workers=workers)
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};\n")
    return n.start()


def phone_call(n, call_id="c-script-1"):
    """The call of the end-of-call-report fixture: it starts, checks and
    books, and its report tells of a booking, a change and a cancel."""
    d = day(9)
    assert post(n, fixture("status-update-in-progress.json")).json() == {}
    text = result_of(post(n, tool_call("check_availability", {
        "date": d.isoformat(), "time": "21:00", "party_size": 2},
        call_id=call_id, caller="+34600999888")))
    assert text.startswith("Sí")
    text = result_of(post(n, tool_call("create_reservation", {
        "name": "Lucía", "date": d.isoformat(), "time": "21:00",
        "party_size": 2}, call_id=call_id, caller="+34600999888")))
    assert "Lucía" in text
    assert post(n, fixture("end-of-call-report.json")).json() == {}
    # VAPI may send it twice: still one call
    assert post(n, fixture("end-of-call-report.json")).json() == {}


def test_exposition_is_valid_before_anything_happened(nginx_factory):
    n = start(nginx_factory)
    text = scrape(n)
    rc, out = promtool(text)
    assert rc == 0, out
    s = samples(text)
    assert value(s, "cerebro_build_info", version="1.0.0",
                 nginx_version=subprocess.run(
                     ["/usr/sbin/nginx", "-v"], capture_output=True,
                     text=True).stderr.strip().split("/")[1].split()[0]) == 1
    assert value(s, "cerebro_store_up") == 1
    assert value(s, "cerebro_redis_up") == 0
    assert value(s, "cerebro_vapi_calls_started_total") == 0
    # every family has its HELP and TYPE, and units in its name
    families = re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M)
    assert len(families) >= 18
    for name, kind in families:
        assert f"# HELP {name} " in text
        if kind == "counter":
            assert name.endswith("_total"), name


def test_a_call_and_a_conversation_move_the_counters(nginx_factory):
    n = start(nginx_factory)
    before = samples(scrape(n))

    phone_call(n)
    voice = samples(scrape(n))

    def moved(name, **labels):
        return value(voice, name, **labels) - value(before, name, **labels)

    assert moved("cerebro_vapi_calls_started_total") == 1
    assert moved("cerebro_vapi_calls_ended_total",
                 reason="customer-ended-call") == 1
    assert total(voice, "cerebro_vapi_calls_ended_total") == 1
    # the report tells of a booking, a change and a cancel: one call each
    for change in ("booked", "changed", "cancelled"):
        assert moved("cerebro_vapi_calls_changing_bookings_total",
                     change=change) == 1
    assert moved("cerebro_tool_calls_total", tool="check_availability",
                 outcome="ok") == 1
    assert moved("cerebro_tool_calls_total", tool="create_reservation",
                 outcome="ok") == 1
    assert total(voice, "cerebro_tool_calls_total") == 2
    for tool in ("check_availability", "create_reservation"):
        assert value(voice, "cerebro_tool_duration_seconds_count",
                     tool=tool) == 1
        assert value(voice, "cerebro_tool_duration_seconds_bucket",
                     tool=tool, le="+Inf") == 1
    # the store served them all: nothing but successes and not-founds
    ops = total(voice, "cerebro_store_operations_total", backend="embedded")
    assert ops >= 3
    assert total(voice, "cerebro_store_operations_total",
                 outcome="unavailable") == 0

    g = Guest(n, phone="+34600123123")
    d = dinner_day()
    assert g.say("Hola, quiero reservar")
    assert g.say(f"mesa para 2 {said(d)} a las 21:00")
    text = scrape(n)
    rc, out = promtool(text)
    assert rc == 0, out
    wa = samples(text)
    assert value(wa, "cerebro_whatsapp_messages_received_total",
                 outcome="answered") - value(
        voice, "cerebro_whatsapp_messages_received_total",
        outcome="answered") == 2
    # voice's numbers stay as they were
    assert value(wa, "cerebro_vapi_calls_started_total") == 1
    assert value(wa, "cerebro_outbox_messages", status="pending") >= 0


def test_counters_survive_a_reload(nginx_factory):
    n = start(nginx_factory)
    phone_call(n, call_id="c-reload-1")
    before = samples(scrape(n))
    assert value(before, "cerebro_vapi_calls_started_total") == 1

    old = workers_of(n)
    n.reload()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = workers_of(n)
        if now and not (now & old):
            break
        time.sleep(0.1)
    assert now and not (now & old), "the workers were not replaced"

    after = samples(scrape(n))
    assert value(after, "cerebro_vapi_calls_started_total") == 1
    assert value(after, "cerebro_tool_calls_total",
                 tool="create_reservation", outcome="ok") == 1


def workers_of(n):
    master = n.proc.pid
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)],
                         capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


def test_from_elsewhere_the_staff_token_is_needed(nginx_factory):
    from harness import STAFF_TOKEN
    n = nginx_factory()
    n.render()
    # as a Prometheus on another host sees it: no loopback to trust
    n.edit_conf("satisfy any;\n            allow 127.0.0.1;\n"
                "            allow ::1;\n", "satisfy any;\n")
    n.start()
    assert n.get("/metrics").status in (401, 403)
    r = n.get("/metrics", headers={"Authorization": f"Bearer {STAFF_TOKEN}"})
    assert r.status == 200
    assert "# TYPE cerebro_tool_calls_total counter" in r.body.decode()


def test_only_get_and_no_guest_labels(nginx_factory):
    n = start(nginx_factory)
    assert n.request("POST", "/metrics", body="x").status == 405
    # a tool nobody has, and an ended reason VAPI may invent tomorrow
    result_of(post(n, tool_call("drop_tables; --", {})))
    report = json.loads(fixture("end-of-call-report.json"))
    report["message"]["endedReason"] = "a-reason-from-the-future"
    report["message"]["call"]["id"] = "c-future-1"
    assert post(n, report).json() == {}
    text = scrape(n)
    assert "drop_tables" not in text and "a-reason-from-the" not in text
    s = samples(text)
    assert value(s, "cerebro_tool_calls_total", tool="other",
                 outcome="failed") == 1
    assert value(s, "cerebro_vapi_calls_ended_total", reason="other") == 1


def test_airtable_requests_a_429_and_its_pause(nginx_factory):
    fake = AirtableFake(token="patMETRICS.0123456789", rate_pause=30.0)
    fake.start()
    try:
        fake.add_records("Mesas", [{"name": "T1", "capacity_min": 1,
                                    "capacity_max": 4, "location": "sala"}])
        n = nginx_factory(env={"AIRTABLE_API_KEY": "patMETRICS.0123456789",
                               "AIRTABLE_BASE_ID": fake.base_id,
                               "AIRTABLE_API_URL": fake.url})
        n.render()
        n.edit_conf("http {", "http {\n    cerebro_store_timeout 1500ms;\n"
                    "    cerebro_airtable_pause 1s;")
        n.start()
        fake.fail_next(1, 429, body={"errors": [
            {"error": "RATE_LIMIT_REACHED",
             "message": "Rate limit exceeded"}]}, path="/v0/")
        assert n.get("/cerebro/tables").status == 429
        text = scrape(n)
        rc, out = promtool(text)
        assert rc == 0, out
        s = samples(text)
        assert value(s, "cerebro_airtable_rate_limited_total") == 1
        assert value(s, "cerebro_airtable_pause_seconds_total") == 1
        assert value(s, "cerebro_upstream_requests_total", api="airtable",
                     status="4xx") == 1
        # the jobs run may have met the pause too
        assert value(s, "cerebro_store_operations_total",
                     backend="airtable", outcome="rate_limited") >= 1

        # past the pause the base answers again (each answer is an event)
        deadline = time.monotonic() + 20
        while n.get("/cerebro/tables").status != 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        s = samples(scrape(n))
        assert value(s, "cerebro_upstream_requests_total", api="airtable",
                     status="2xx") >= 1
        # the seconds waited on Airtable are in the access log
        tables = [x for x in access_lines(
            n, lambda ls: any(x["uri"] == "/cerebro/tables"
                              and x["status"] == 200 for x in ls))
            if x["uri"] == "/cerebro/tables"]
        assert tables[0]["status"] == 429
        assert re.fullmatch(r"\d+\.\d{3}", tables[0]["upstream_time"])
        assert re.fullmatch(r"\d+\.\d{3}", tables[-1]["upstream_time"])
        assert value(s, "cerebro_store_operations_total",
                     backend="airtable", outcome="ok") >= 1
    finally:
        fake.stop()


# --- the access log ----------------------------------------------------------

def access_lines(n, want, timeout=10.0):
    """The access log's JSON objects once want(lines) holds: nginx writes a
    line after the answer went out."""
    path = n.prefix / "logs" / "access.log"
    deadline = time.monotonic() + timeout
    while True:
        lines = [json.loads(x) for x in path.read_text().splitlines()
                 if x.strip()] if path.exists() else []
        if want(lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_one_phone_call_can_be_followed_in_the_access_log(nginx_factory):
    n = start(nginx_factory)
    phone_call(n)

    def of_call(lines):
        return [x for x in lines if x["call_id"] == "c-script-1"]

    lines = of_call(access_lines(n, lambda ls: len(of_call(ls)) >= 5))
    assert [x["uri"] for x in lines] == ["/vapi/webhook"] * 5
    # a line is written after its answer went out, by whichever worker
    # took the request: the next request's line may come first
    assert sorted((x["tool"], x["outcome"]) for x in lines) == [
        ("", ""), ("", ""), ("", ""), ("check_availability", "ok"),
        ("create_reservation", "ok")]
    assert all(x["status"] == 200 and x["method"] == "POST"
               for x in lines)
    # the embedded store asks nobody
    assert all(x["upstream_time"] == "" for x in lines)


def test_several_tool_calls_of_one_request_are_listed(nginx_factory):
    n = start(nginx_factory)
    result = post(n, fixture("tool-calls-string-args.json"))
    assert result.status == 200

    def wanted(lines):
        return [x for x in lines if x["uri"] == "/vapi/webhook"]

    [line] = wanted(access_lines(n, wanted))
    # in the order they answered
    assert sorted(line["tool"].split(",")) == ["check_availability",
                                               "get_restaurant_info"]
    assert line["outcome"] == "ok,ok"
    assert line["call_id"] == "c-string-1"


# --- a real Prometheus --------------------------------------------------------

@pytest.fixture
def prometheus(tmp_path):
    procs = []

    def run(target):
        port = free_port()
        conf = tmp_path / "prometheus.yml"
        conf.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: cerebro\n"
            f"    static_configs:\n      - targets: ['{target}']\n")
        log = open(tmp_path / "prometheus.log", "wb")
        p = subprocess.Popen(
            [PROMETHEUS, f"--config.file={conf}",
             f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        procs.append(p)
        assert wait_for_port(port, p, timeout=30), \
            (tmp_path / "prometheus.log").read_text()
        # it listens before its storage is open: /-/ready says when
        deadline = time.monotonic() + 60
        while not ready(port):
            assert time.monotonic() < deadline and p.poll() is None, \
                (tmp_path / "prometheus.log").read_text()
            time.sleep(0.1)
        return port

    yield run
    for p in procs:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def ready(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready",
                                    timeout=5) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def query(port, expr):
    url = (f"http://127.0.0.1:{port}/api/v1/query?"
           + urllib.parse.urlencode({"query": expr}))
    with urllib.request.urlopen(url, timeout=5) as r:
        body = json.loads(r.read())
    assert body["status"] == "success", body
    return body["data"]["result"]


def test_a_real_prometheus_scrapes_it(nginx_factory, prometheus):
    n = start(nginx_factory)
    port = prometheus(f"127.0.0.1:{n.port}")
    phone_call(n, call_id="c-prom-1")

    # Prometheus scrapes every second: wait for the scrape that saw it
    deadline = time.monotonic() + 60
    result = []
    while time.monotonic() < deadline:
        result = query(port, 'cerebro_tool_calls_total{tool='
                             '"create_reservation",outcome="ok"}')
        if result and float(result[0]["value"][1]) == 1:
            break
        time.sleep(0.5)
    assert result and float(result[0]["value"][1]) == 1, result
    up = query(port, 'up{job="cerebro"}')
    assert up and up[0]["value"][1] == "1"
    ended = query(port, "sum(cerebro_vapi_calls_ended_total)")
    assert float(ended[0]["value"][1]) == 1
