"""bench/store: what a read and a write cost on each store backend.

For each backend — embedded SQLite, Airtable fake with no latency, Airtable
fake with 150 ms per request — a real nginx (2 workers, the store's read
cache off so that every read reaches the backend) answers sequential
check_availability tool calls for one evening that already holds bookings;
then one create_reservation, counting the requests the Airtable fake saw
for it.  Then what a booking costs now on Airtable, side by side with and
without Redis (the read cache on, as deployed): for each, a guest checks
an evening and books it, several times, and the run prints the Airtable
requests one booking costs (by table and method, the guest's record in
Clientes included) and how long the guest waits for the answer.  A
benchmark: it prints figures, it asserts nothing."""

import argparse
import datetime
import json
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(REPO))

from harness import Nginx, Redis, world_traversable_dir  # noqa: E402
from tests.fakes.airtable import AirtableFake  # noqa: E402

MADRID = ZoneInfo("Europe/Madrid")
RESTAURANT = json.loads((REPO / "conf" / "restaurant.json").read_text())
TOKEN = "patBENCH.0123456789"


def bench_day():
    d = datetime.datetime.now(MADRID).date() + datetime.timedelta(days=10)
    while d.weekday() != 4:             # a Friday evening
        d += datetime.timedelta(days=1)
    return d.isoformat()


def tool(n, name, args):
    body = {"message": {"type": "tool-calls",
                        "call": {"id": "bench",
                                 "customer": {"number": "+34600111222"}},
                        "toolCallList": [{"id": uuid.uuid4().hex,
                                          "type": "function",
                                          "function": {"name": name,
                                                       "arguments": args}}]}}
    t0 = time.perf_counter()
    r = n.request("POST", "/vapi/webhook", body=json.dumps(body),
                  headers={"Content-Type": "application/json"}, timeout=30)
    elapsed = (time.perf_counter() - t0) * 1000
    return elapsed, r.json()["results"][0]


def run(name, base, date, reads, fake=None, latency=0.0):
    env = {}
    if fake:
        env = {"AIRTABLE_API_KEY": TOKEN, "AIRTABLE_BASE_ID": fake.base_id,
               "AIRTABLE_API_URL": fake.url}
    n = Nginx(base / name.replace(" ", "-"), env=env, workers=2)
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_cache off;\n"
                "    cerebro_store_timeout 10s;\n"
                "    cerebro_vapi_timeout 15s;")
    n.start()
    try:
        # an evening with some bookings already
        for i in range(12):
            tool(n, "create_reservation", {
                "name": f"Cliente {i}", "date": date,
                "time": ["20:30", "21:00", "21:30"][i % 3],
                "party_size": 2, "phone": f"+3461{i:07d}",
                "confirmed": True})
        if fake:
            fake.set_latency(latency)
        times = []
        for _ in range(reads):
            ms, res = tool(n, "check_availability", {
                "date": date, "time": "21:00", "party_size": 2})
            times.append(ms)
        answer = res.get("result", res.get("error"))
        if fake:
            fake.clear_log()
        ms_book, res = tool(n, "create_reservation", {
            "name": "Ana", "date": date, "time": "22:00", "party_size": 2,
            "phone": "+34699000000", "confirmed": True})
        upstream = len(fake.requests()) if fake else 0
        return {"name": name, "p50": statistics.median(times),
                "p95": sorted(times)[int(len(times) * 0.95) - 1],
                "book_ms": ms_book, "upstream": upstream,
                "answer": answer, "booked": res.get("result", "")}
    finally:
        n.stop()


def settle(fake, quiet=0.3, limit=5.0):
    """Waits until the fake has seen no request for `quiet` seconds: what a
    booking sets off after its answer (the guest's record) is counted."""
    deadline = time.monotonic() + limit
    seen = -1
    while time.monotonic() < deadline:
        n = len(fake.requests())
        if n == seen:
            return
        seen = n
        time.sleep(quiet)


def run_bookings(name, base, date, count, latency, redis_url=None):
    fake = AirtableFake(token=TOKEN, rate_pause=30.0)
    fake.start()
    fake.add_records("Mesas", [
        {k: t[k] for k in ("name", "capacity_min", "capacity_max",
                           "location")} for t in RESTAURANT["tables"]])
    env = {"AIRTABLE_API_KEY": TOKEN, "AIRTABLE_BASE_ID": fake.base_id,
           "AIRTABLE_API_URL": fake.url}
    if redis_url:
        env["REDIS_URL"] = redis_url
    n = Nginx(base / name.replace(" ", "-").replace(",", ""), env=env,
              workers=2)
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_store_timeout 10s;\n"
                "    cerebro_vapi_timeout 15s;")
    n.edit_conf("            cerebro_jobs;\n", "            return 404;\n")
    n.start()
    try:
        fake.set_latency(latency)
        # the tables and the evening are read once before: a warm server
        tool(n, "check_availability", {"date": date, "time": "20:00",
                                       "party_size": 2})
        settle(fake)
        waits, checks, per, kinds = [], [], [], {}
        for i in range(count):
            hhmm = ["20:00", "20:30", "21:00", "21:30", "22:00"][i % 5]
            fake.clear_log()
            ms, _ = tool(n, "check_availability", {
                "date": date, "time": hhmm, "party_size": 2})
            checks.append(ms)
            settle(fake)
            fake.clear_log()
            # each guest its own phone: one phone books 3 a day at most
            ms, res = tool(n, "create_reservation", {
                "name": f"Guest {i}", "date": date, "time": hhmm,
                "party_size": 2, "phone": f"+3469{i:07d}",
                "confirmed": True})
            waits.append(ms)
            settle(fake)
            log = fake.requests()
            per.append(len(log))
            for q in log:
                k = "%s %s" % (q["method"], q["path"].rsplit("/", 1)[-1])
                kinds[k] = kinds.get(k, 0) + 1
        return {"name": name, "wait": statistics.median(waits),
                "wait_max": max(waits), "check": statistics.median(checks),
                "per": statistics.mean(per),
                "kinds": {k: v / count for k, v in sorted(kinds.items())},
                "last": res.get("result", res.get("error", ""))}
    finally:
        n.stop()
        fake.stop()


def bookings(base, date, count):
    rows = []
    redis = Redis(base / "redis").start()
    try:
        for latency in (0.0, 0.150):
            for url in (None, redis.url):
                redis.cli("FLUSHALL")
                rows.append(run_bookings(
                    "%d ms, %s" % (latency * 1000,
                                   "Redis" if url else "no Redis"),
                    base, date, count, latency, url))
    finally:
        redis.stop()

    print()
    print(f"one booking on Airtable (fake on loopback), {count} guests each "
          f"checking then booking {date}, read cache on, 2 workers")
    print(f"{'latency, cache':<20}{'requests':>10}{'wait p50 ms':>13}"
          f"{'wait max ms':>13}{'check p50 ms':>14}")
    for r in rows:
        print(f"{r['name']:<20}{r['per']:>10.1f}{r['wait']:>13.1f}"
              f"{r['wait_max']:>13.1f}{r['check']:>14.1f}")
    print()
    for r in rows:
        print(f"{r['name']}: " + ", ".join(
            f"{k} {v:.1f}" for k, v in r["kinds"].items()))
    print(f"last answer: \"{rows[-1]['last']}\"")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reads", type=int, default=40)
    ap.add_argument("--bookings", type=int, default=5,
                    help="guests booking in the with/without Redis part")
    ap.add_argument("--only-bookings", action="store_true")
    args = ap.parse_args()

    if args.only_bookings:
        base = world_traversable_dir("bench-store")
        try:
            bookings(base, bench_day(), args.bookings)
        finally:
            shutil.rmtree(base, ignore_errors=True)
        return

    base = world_traversable_dir("bench-store")
    date = bench_day()
    rows = []
    try:
        rows.append(run("embedded SQLite", base, date, args.reads))
        for latency in (0.0, 0.150):
            fake = AirtableFake(token=TOKEN, rate_pause=30.0)
            fake.start()
            fake.add_records("Mesas", [
                {k: t[k] for k in ("name", "capacity_min", "capacity_max",
                                   "location")}
                for t in RESTAURANT["tables"]])
            try:
                rows.append(run(f"Airtable fake, {int(latency * 1000)} ms",
                                base, date, args.reads, fake, latency))
            finally:
                fake.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)

    print(f"check_availability for {date} 21:00 (an evening with 12 "
          f"bookings), {args.reads} sequential calls, read cache off")
    print(f"{'backend':<24}{'p50 ms':>9}{'p95 ms':>9}{'booking ms':>12}"
          f"{'upstream requests per booking':>32}")
    for r in rows:
        print(f"{r['name']:<24}{r['p50']:>9.1f}{r['p95']:>9.1f}"
              f"{r['book_ms']:>12.1f}"
              f"{(str(r['upstream']) if 'Airtable' in r['name'] else '-'):>32}")
    print()
    for r in rows:
        print(f"{r['name']}: \"{r['answer']}\"")

    base = world_traversable_dir("bench-store")
    try:
        bookings(base, date, args.bookings)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
