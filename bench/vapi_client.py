"""bench/vapi: a warm check_availability tool call (POST /vapi/webhook)
against nginx's own answers to the same POST body, for bodies of 3, 16 and
64 KB shaped like VAPI's (bench/vapi_bodies.py), from one nginx started
here with the module.  A benchmark: it prints figures, it asserts nothing
but that the tool call answers.

The references, in the same nginx, to the same body, with the same
client_body_buffer_size as /vapi/webhook:

- "return 200": nginx's rewrite module answers before the body is read;
  nginx then reads the body off the socket into a 4 KB scratch buffer and
  drops it (the cheapest nginx can possibly be).
- "mirror (reads body)": stock nginx reading the whole body into one
  memory buffer (mirror_request_body, a mirror to an internal location
  answering 204, then a fixed answer by error_page).  It costs one
  subrequest and one internal redirect on top of reading the body.
- "echo_read_request_body": the same read by the echo module (Debian's
  libnginx-mod-http-echo, not part of nginx), a content handler that reads
  the body into memory and answers, as ours does; shown when installed.

Each is measured at 50 connections (throughput) and at 1 connection
(latency), with the same wrk script and body (--unique-ids: every request
with its own toolCallId, at a cost to the client).
One nginx worker on core 0 and wrk on core 1 (--workers 1, the default), or
one worker per core with wrk beside them (--workers 2).  With --repeat N
every figure is the median of N runs [min-max], the ratios taken within each
run; the machine's speed varies, compare the rows of one run."""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(REPO / "bench"))

sys.path.insert(0, str(REPO))

from harness import Nginx, Redis, world_traversable_dir  # noqa: E402
from tests.fakes.airtable import AirtableFake  # noqa: E402
import vapi_bodies  # noqa: E402

AIRTABLE_TOKEN = "patBENCH.0123456789"

ECHO_MODULE = Path("/usr/lib/nginx/modules/ngx_http_echo_module.so")

LOCATIONS = r"""
        # bench/vapi's references: the same body limits as /vapi/webhook
        location = /bench/return {
            client_max_body_size 1m;
            client_body_buffer_size 1m;
            return 200 '{}\n';
        }

        location = /bench/mirror {
            client_max_body_size 1m;
            client_body_buffer_size 1m;
            mirror /_bench/sink;
            mirror_request_body on;
            stub_status;
            error_page 405 =200 @bench_ok;
        }

        location = /_bench/sink {
            internal;
            return 204;
        }

        location @bench_ok {
            return 200 '{}\n';
        }
"""

ECHO_LOCATION = r"""
        location = /bench/echo {
            client_max_body_size 1m;
            client_body_buffer_size 1m;
            echo_read_request_body;
            echo '{}';
        }
"""


def lua_script(path, body, unique_ids=False):
    """A wrk script posting body.  By default the same bytes every time
    (wrk builds the request once: the client's cost stays low, and a
    check_availability is not answered from the replay store, which only
    writes use); with unique_ids its TOOLCALLID becomes a new id at every
    request, built in Lua."""
    if not unique_ids:
        path.write_text(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            "wrk.body = "
            + json.dumps(body.replace(vapi_bodies.PLACEHOLDER,
                                      "call_bench0001"), ensure_ascii=False)
            + "\n", encoding="utf-8")
        return path
    parts = body.split(vapi_bodies.PLACEHOLDER)
    lits = ",\n".join(json.dumps(p, ensure_ascii=False) for p in parts)
    path.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"local parts = {{\n{lits}\n}}\n"
        "local n = 0\n"
        "local tag = tostring(math.random(1, 1000000000))\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  return wrk.format(nil, nil, nil,\n"
        "                    table.concat(parts, 'call_' .. tag .. '_' .. n))\n"
        "end\n", encoding="utf-8")
    return path


def parse_wrk(out):
    def lat(pct):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value * {"us": 1.0, "ms": 1000.0, "s": 1e6}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": lat(50), "p99": lat(99),
            "bad": int(errors.group(1)) if errors else 0,
            "sock": sock.group(1) if sock else ""}


class Bench:
    def __init__(self, args, port, base, candidate_port=None):
        self.args = args
        self.port = port
        self.candidate_port = candidate_port
        self.base = base
        ncpu = os.cpu_count() or 1
        if args.workers == 1 and ncpu >= 2:
            self.pin = ["taskset", "-c", f"1-{ncpu - 1}"]
        else:
            self.pin = []

    def wrk(self, path, script, conns, seconds):
        """path "candidate:/x" is /x on the candidate build's nginx"""
        port = self.port
        if path.startswith("candidate:"):
            path, port = path[len("candidate:"):], self.candidate_port
        threads = 1 if conns == 1 else self.args.wrk_threads
        cmd = [*self.pin, "wrk", "-t", str(threads), "-c", str(conns),
               "-d", f"{seconds}s", "--latency", "-s", str(script),
               f"http://127.0.0.1:{port}{path}"]
        out = subprocess.run(cmd, capture_output=True, text=True,
                             check=True, timeout=seconds + 30).stdout
        return parse_wrk(out)


def fmt_range(values, spec="{:,.0f}"):
    med = statistics.median(values)
    if len(values) == 1:
        return spec.format(med)
    return (spec.format(med) + " [" + spec.format(min(values)) + "–"
            + spec.format(max(values)) + "]")


def options(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--body", action="append",
                    choices=sorted(vapi_bodies.SIZES),
                    help="body size (several allowed; default all three)")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--workers", type=int, choices=[1, 2], default=1)
    ap.add_argument("--wrk-threads", type=int, default=None,
                    help="wrk threads at 50 connections (default: 1 with "
                         "one worker, 2 with two)")
    ap.add_argument("--order", choices=["early", "late"], default="early",
                    help="toolCallList before artifact, as VAPI sends it "
                         "(early), or last, as in the SDK's type (late)")
    ap.add_argument("--access-log", action="store_true",
                    help="keep the shipped access_log (default: off)")
    ap.add_argument("--no-echo", action="store_true",
                    help="leave out the echo module's reference")
    ap.add_argument("--module", metavar="SO",
                    help="another build of ngx_cerebro_module.so to measure "
                         "(default: this tree's build/nginx/)")
    ap.add_argument("--candidate", metavar="SO",
                    help="a second nginx with this build of the module, its "
                         "tool call measured in the same runs, alternating "
                         "with this tree's (bench/vapi only)")
    ap.add_argument("--backend", choices=["shm", "redis", "airtable"],
                    default="shm",
                    help="the store and cache behind the tool call: "
                         "embedded SQLite with the shared-memory cache "
                         "(default), the same with Redis (near cache on), "
                         "or the Airtable fake (warm: answered from the "
                         "cache)")
    ap.add_argument("--unique-ids", action="store_true",
                    help="a new toolCallId at every request (built by wrk's "
                         "Lua, which costs the client a copy of the body)")
    return ap


def finish_options(args):
    if args.wrk_threads is None:
        args.wrk_threads = args.workers
    args.sizes = args.body or ["3k", "16k", "64k"]
    args.use_echo = ECHO_MODULE.exists() and not args.no_echo


def start_backend(args, base):
    """Redis or the Airtable fake for --backend, its environment for
    nginx, and what to stop afterwards."""
    if args.backend == "redis":
        redis = Redis(base / "redis").start()
        return {"REDIS_URL": redis.url}, redis
    if args.backend == "airtable":
        restaurant = json.loads((REPO / "conf" / "restaurant.json")
                                .read_text())
        fake = AirtableFake(token=AIRTABLE_TOKEN, rate_pause=30.0)
        fake.start()
        fake.add_records("Mesas", [
            {k: t[k] for k in ("name", "capacity_min", "capacity_max",
                               "location")}
            for t in restaurant["tables"]])
        return {"AIRTABLE_API_KEY": AIRTABLE_TOKEN,
                "AIRTABLE_BASE_ID": fake.base_id,
                "AIRTABLE_API_URL": fake.url}, fake
    return {}, None


def start(args, base, backend_env=None):
    """nginx with the module and the references, the bodies and the wrk
    scripts; the caller stops nginx."""
    env = {} if args.access_log else {"CEREBRO_ACCESS_LOG": "off"}
    env.update(backend_env or {})
    if args.module:
        env["CEREBRO_MODULE"] = str(Path(args.module).resolve())
    n = Nginx(base / "p", env=env, workers=args.workers)
    n.render()
    if args.workers == 1 and (os.cpu_count() or 1) >= 2:
        affinity = "worker_cpu_affinity 1;"
    else:
        affinity = "worker_cpu_affinity auto;"
    n.edit_conf(f"worker_processes {args.workers};",
                f"worker_processes {args.workers};\n{affinity}")
    locations = LOCATIONS + (ECHO_LOCATION if args.use_echo else "")
    n.edit_conf("        location = / {",
                locations + "\n        location = / {")
    if args.use_echo:
        n.edit_conf("load_module ", f"load_module {ECHO_MODULE};\n"
                    "load_module ")
    n.start()
    time.sleep(0.3)

    targets = [("return 200 (discards body)", "/bench/return"),
               ("mirror (reads body)", "/bench/mirror")]
    if args.use_echo:
        targets.append(("echo_read_request_body", "/bench/echo"))
    targets.append(("tool call", "/vapi/webhook"))

    assistant = json.loads(n.request("POST", "/vapi/webhook", body=json.dumps(
        {"message": {"type": "assistant-request",
                     "call": {"id": "bench", "customer":
                              {"number": "+34600111222"}}}}),
        headers={"Content-Type": "application/json"}).body)["assistant"]
    date = vapi_bodies.bench_date()
    bodies = {s: vapi_bodies.body(vapi_bodies.SIZES[s], assistant, date,
                                  args.order) for s in args.sizes}
    scripts = {}
    for s, b in bodies.items():
        probe = b.replace(vapi_bodies.PLACEHOLDER, "probe").encode()
        r = n.request("POST", "/vapi/webhook", body=probe,
                      headers={"Content-Type": "application/json"})
        answer = r.body.decode(errors="replace")
        if r.status != 200 or '"result":"' not in answer:
            n.stop()
            sys.exit(f"bench/vapi: the {s} tool call did not answer: "
                     f"{r.status} {answer[:200]}")
        for _, path in targets[:-1]:
            r = n.request("POST", path, body=probe,
                          headers={"Content-Type": "application/json"})
            if r.status != 200:
                n.stop()
                sys.exit(f"bench/vapi: {path} answered {r.status}")
        scripts[s] = lua_script(base / f"tool-{s}.lua", b, args.unique_ids)
    return n, bodies, scripts, targets


def main():
    ap = options("A warm tool call against nginx's static answers to the "
                 "same POST body, at several body sizes.")
    ap.add_argument("legacy_seconds", nargs="?", type=int,
                    help=argparse.SUPPRESS)
    ap.add_argument("--seconds", type=int, default=5,
                    help="length of each wrk run (default 5)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs of every measurement (default 1)")
    args = ap.parse_args()
    if args.legacy_seconds:
        args.seconds = args.legacy_seconds
    finish_options(args)
    sizes = args.sizes

    base = world_traversable_dir("bench-vapi")
    n = n2 = backend = None
    try:
        backend_env, backend = start_backend(args, base)
        n, bodies, scripts, targets = start(args, base, backend_env)
        port2 = None
        if args.candidate:
            cargs = argparse.Namespace(**vars(args))
            cargs.module = args.candidate
            (base / "candidate").mkdir()
            n2, _, _, _ = start(cargs, base / "candidate", backend_env)
            port2 = n2.port
            targets.append(("tool call, candidate", "candidate:/vapi/webhook"))
        bench = Bench(args, n.port, base, port2)

        # warm the cache and the workers' memory
        for s in sizes:
            for _, path in targets:
                if path.endswith("/vapi/webhook"):
                    bench.wrk(path, scripts[s], args.connections, 1)

        res = {s: {p: {"c50": [], "c1": []} for _, p in targets}
               for s in sizes}
        for _ in range(args.repeat):
            for s in sizes:
                for _, path in targets:
                    res[s][path]["c50"].append(bench.wrk(
                        path, scripts[s], args.connections, args.seconds))
                    res[s][path]["c1"].append(bench.wrk(
                        path, scripts[s], 1, args.seconds))
        bad_lines = n.bad_log_lines() + (n2.bad_log_lines() if n2 else [])
    finally:
        if n2 is not None:
            n2.stop()
        if n is not None:
            n.stop()
        if backend is not None:
            backend.stop()
        shutil.rmtree(base, ignore_errors=True)

    pin = ("one nginx worker on core 0, wrk on the other core(s)"
           if args.workers == 1 else
           f"{args.workers} nginx workers, one per core, wrk beside them")
    print(f"bench/vapi: warm check_availability, toolCallList {args.order}, "
          f"{pin}; wrk {args.wrk_threads} thread(s) at {args.connections} "
          f"connections, 1 at 1 connection; {args.seconds} s per run, "
          f"{args.repeat} run(s): median [min–max]; access log "
          f"{'on' if args.access_log else 'off'}; backend {args.backend}"
          + (f"; module {args.module}" if args.module else "")
          + (f"; candidate {args.candidate}" if args.candidate else ""))
    for s in sizes:
        size = len(bodies[s].encode())
        print()
        print(f"== {s} body: {size:,} bytes")
        print(f"{'':<28}{'req/s, c' + str(args.connections):>26}"
              f"{'p50 µs, c1':>22}{'p99 µs, c1':>22}{'non-2xx':>9}")
        for label, path in targets:
            r = res[s][path]
            bad = sum(x["bad"] for x in r["c50"] + r["c1"])
            print(f"{label:<28}"
                  f"{fmt_range([x['rps'] for x in r['c50']]):>26}"
                  f"{fmt_range([x['p50'] for x in r['c1']]):>22}"
                  f"{fmt_range([x['p99'] for x in r['c1']]):>22}"
                  f"{bad:>9}")
        refs = [t for t in targets if not t[1].endswith("/vapi/webhook")]
        for tlabel, tpath in targets:
            if not tpath.endswith("/vapi/webhook"):
                continue
            tool = res[s][tpath]
            for label, path in refs:
                ref = res[s][path]
                ratio = [100 * t["rps"] / f["rps"]
                         for t, f in zip(tool["c50"], ref["c50"])]
                delta = [t["p50"] - f["p50"]
                         for t, f in zip(tool["c1"], ref["c1"])]
                print(f"  {tlabel} against {label}: throughput "
                      f"{fmt_range(ratio, '{:.0f}')} %, p50 "
                      f"{fmt_range(delta, '{:+.0f}')} µs")
    if bad_lines:
        print("\nnginx logged:\n" + "\n".join(bad_lines[:10]))
        sys.exit(1)


if __name__ == "__main__":
    main()
