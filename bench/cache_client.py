"""bench/cache: a day's availability — the check_availability tool call
VAPI makes, and the day's book through GET /cerebro/reservations — served
from Redis, from nginx shared memory (no REDIS_URL) and with the cache off
("cerebro_cache off;": SQLite every time), side by side, with wrk at 50
concurrent connections.  A benchmark: it prints figures, it asserts
nothing.

Two loads.  Saturating: each of the 50 connections sends its next request
as soon as the last is answered, which gives the throughput; but then
latency is only 50 / throughput, whatever the server does (and wrk, nginx
and Redis share the machine's cores).  Paced: the same 50 connections open at once, each
sending at a random interval (--paced-rate requests/s in all), which
measures what one request costs while 50 clients are connected.

"Redis" is the module as shipped: each worker keeps what it read while
Redis, tracking the keys, tells of no change (the near cache); "Redis, no
near" asks Redis at every read ("cerebro_near_cache off;").

The day is seeded with the staff endpoint first (as many bookings as the
restaurant's tables take), then topped up to the target straight into the
SQLite file, since one evening of 14 tables cannot hold 300 bookings."""

import argparse
import datetime
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))

from harness import Nginx, Redis, world_traversable_dir  # noqa: E402

MADRID = ZoneInfo("Europe/Madrid")


def bench_day():
    d = datetime.datetime.now(MADRID).date() + datetime.timedelta(days=20)
    while d.weekday() != 4:         # a Friday: lunch and a long dinner
        d += datetime.timedelta(days=1)
    return d.isoformat()


def seed(n, date, target):
    booked = 0
    for i in range(400):
        if booked >= target:
            break
        minutes = [13 * 60 + 15 * (i % 9), 20 * 60 + 15 * (i % 13)][i % 2]
        body = {"client_name": f"Cliente {i}",
                "client_phone": f"+346{i:08d}", "date": date,
                "time": f"{minutes // 60:02d}:{minutes % 60:02d}",
                "pax": 1 + i % 4}
        r = n.request("POST", "/cerebro/reservations",
                      body=json.dumps(body),
                      headers={"Content-Type": "application/json"})
        booked += r.status == 201
    through_nginx = booked
    db = sqlite3.connect(n.prefix / "data" / "cerebro.sqlite", timeout=5)
    with db:
        i = 0
        while booked < target:
            local = datetime.datetime.fromisoformat(
                f"{date}T{20 + i % 4:02d}:{(i * 7) % 60:02d}").replace(
                tzinfo=MADRID)
            start = int(local.timestamp())
            db.execute("INSERT INTO reservations (client_name, client_phone,"
                       " start, pax, table_name, status, created, updated)"
                       " VALUES (?, ?, ?, 2, 'T1', 'confirmed', ?, ?)",
                       (f"Extra {i}", f"+347{i:08d}", start, start, start))
            booked += 1
            i += 1
    db.close()
    return through_nginx, booked


def pacing(rate, connections):
    """wrk's delay(): a random wait (ms) between one connection's requests
    so that all of them together send about rate requests/s."""
    mean = max(1, round(1000 * connections / rate))
    return ("delay = function()\n"
            f"  return math.random(1, {2 * mean - 1})\n"
            "end\n")


def get_script(base, rate, connections):
    path = base / "get-paced.lua"
    path.write_text(pacing(rate, connections))
    return path


def tool_script(base, date, rate=None, connections=50):
    """A wrk script posting check_availability tool calls, each with a new
    toolCallId (a repeated one would be answered from the replay store)."""
    body = json.dumps({"message": {
        "type": "tool-calls",
        "call": {"id": "bench", "customer": {"number": "+34600111222"}},
        "toolCallList": [{"id": "TOOLCALLID", "type": "function",
                          "function": {
            "name": "check_availability",
            "arguments": {"date": date, "time": "21:00",
                          "party_size": 2}}}]}})
    path = base / ("tool-paced.lua" if rate else "tool.lua")
    path.write_text((pacing(rate, connections) if rate else "")
                    + 'wrk.method = "POST"\n'
                    'wrk.headers["Content-Type"] = "application/json"\n'
                    f"local body = {json.dumps(body)}\n"
                    "local n = 0\n"
                    "local tag = tostring(math.random(1, 1000000000))\n"
                    "request = function()\n"
                    "  n = n + 1\n"
                    "  local b = body:gsub('TOOLCALLID',\n"
                    "                      't' .. tag .. '-' .. n)\n"
                    "  return wrk.format(nil, nil, nil, b)\n"
                    "end\n")
    return path


def wrk(port, path, seconds, connections, threads, script=None):
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections),
                          "-d", f"{seconds}s", "--latency",
                          *(["-s", str(script)] if script else []),
                          f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, check=True).stdout

    def lat(pct):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"p50": lat(50), "p99": lat(99), "rps": rps,
            "non2xx": int(errors.group(1)) if errors else 0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=50)
    # one wrk thread keeps up with 50 connections here, and every other
    # thread would take CPU from the server on a 2-core machine
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--bookings", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--paced-rate", type=int, default=2000,
                    help="requests/s of the paced tool calls, all "
                         "connections")
    ap.add_argument("--paced-get-rate", type=int, default=300,
                    help="requests/s of the paced GETs (each encodes the "
                         "whole day as JSON)")
    args = ap.parse_args()

    base = world_traversable_dir("bench-cache")
    redis = Redis(base / "redis").start()
    date = bench_day()
    path = f"/cerebro/reservations?date={date}"
    script = tool_script(base, date)
    paced_tool = tool_script(base, date, args.paced_rate, args.connections)
    paced_get = get_script(base, args.paced_get_rate, args.connections)
    rows = []
    tools = []
    paced = []
    try:
        setups = [("Redis", {"REDIS_URL": redis.url}, None),
                  ("Redis, no near", {"REDIS_URL": redis.url},
                   "cerebro_near_cache off;"),
                  ("shared memory", {}, None),
                  ("no cache (SQLite)", {}, "cerebro_cache off;")]
        for i, (name, env, directive) in enumerate(setups):
            if i:
                redis.cli("FLUSHALL")   # each setup fills its own cache
            n = Nginx(base / f"setup{i}", env=env, workers=args.workers)
            n.render()
            n.edit_conf("access_log", "access_log off; #")
            if directive:
                n.edit_conf("http {", "http {\n    " + directive)
            n.start()
            try:
                time.sleep(0.3)
                via, total = seed(n, date, args.bookings)
                body = n.get(path).json()
                count = len(body["reservations"])
                wrk(n.port, path, 1, args.connections, args.threads)  # warm
                res = wrk(n.port, path, args.seconds, args.connections,
                          args.threads)
                res.update(name=name, count=count, via=via,
                           size=len(n.get(path).body))
                rows.append(res)
                wrk(n.port, "/vapi/webhook", 1, args.connections,
                    args.threads, script)
                res = wrk(n.port, "/vapi/webhook", args.seconds,
                          args.connections, args.threads, script)
                res.update(name=name)
                tools.append(res)
                res = wrk(n.port, "/vapi/webhook", args.seconds,
                          args.connections, args.threads, paced_tool)
                get = wrk(n.port, path, args.seconds, args.connections,
                          args.threads, paced_get)
                paced.append({"name": name, "tool": res, "get": get})
            finally:
                n.stop()
    finally:
        redis.stop()
        shutil.rmtree(base, ignore_errors=True)

    print(f"check_availability tool call (POST /vapi/webhook) for {date} "
          f"21:00, 2 people, a full evening: wrk {args.connections} "
          f"connections, {args.threads} threads, {args.seconds} s")
    print(f"{'served from':<20}{'p50 ms':>10}{'p99 ms':>10}"
          f"{'requests/s':>14}{'non-2xx':>10}")
    for r in tools:
        print(f"{r['name']:<20}{r['p50']:>10.3f}{r['p99']:>10.3f}"
              f"{r['rps']:>14.0f}{r['non2xx']:>10}")
    print()
    print(f"paced: {args.connections} connections open at once, "
          f"tool calls at {args.paced_rate} requests/s in all, GETs at "
          f"{args.paced_get_rate}, {args.seconds} s")
    print(f"{'served from':<20}{'tool p50':>10}{'tool p99':>10}"
          f"{'req/s':>8}{'GET p50':>10}{'GET p99':>10}{'req/s':>8}"
          f"{'non-2xx':>9}")
    for r in paced:
        t, g = r["tool"], r["get"]
        print(f"{r['name']:<20}{t['p50']:>10.3f}{t['p99']:>10.3f}"
              f"{t['rps']:>8.0f}{g['p50']:>10.3f}{g['p99']:>10.3f}"
              f"{g['rps']:>8.0f}{t['non2xx'] + g['non2xx']:>9}")
    print()
    print(f"GET {path.split('?')[0]}?date={date}: {rows[0]['count']} "
          f"bookings ({rows[0]['via']} through the staff endpoint), "
          f"{rows[0]['size']} bytes of JSON; wrk {args.connections} "
          f"connections, {args.threads} threads, {args.seconds} s, "
          f"{args.workers} nginx workers")
    print(f"{'served from':<20}{'p50 ms':>10}{'p99 ms':>10}"
          f"{'requests/s':>14}{'non-2xx':>10}")
    for r in rows:
        print(f"{r['name']:<20}{r['p50']:>10.3f}{r['p99']:>10.3f}"
              f"{r['rps']:>14.0f}{r['non2xx']:>10}")


if __name__ == "__main__":
    main()
