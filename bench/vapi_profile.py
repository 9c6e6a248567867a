"""bench/vapi_profile: where a warm tool call's time goes in the nginx
worker, by body size.  The same nginx, references and bodies as bench/vapi;
wrk saturates one target at 50 connections while `perf record` samples the
(single, pinned) worker; the worker's CPU time per request comes from
/proc, and each group of functions gets its share of it.

Symbols: Debian's nginx is stripped, so nginx's own functions show as
addresses.  Point NGINX at an nginx 1.22.1 built from source with the same
configure arguments (--with-compat, so the module loads) to name them:

    NGINX=/path/to/objs/nginx bench/vapi_profile [--body 3k --body 64k]

The groups are inclusive (a function with everything it calls), so they
overlap where one calls another; the table says which."""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import vapi_client  # noqa: E402
from harness import world_traversable_dir  # noqa: E402

def _f(*names):
    """the inclusive share of a function (the largest of its aliases)"""
    return lambda pct: max(pct.get(x, 0.0) for x in names)


def _minus(a, *b):
    return lambda pct: max(0.0, a(pct) - sum(x(pct) for x in b))


_send_json = _f("ngx_cerebro_http_send_json")
_out = _f("ngx_http_output_filter")
_hdr = _f("ngx_http_send_header")
_free_req = _f("ngx_http_free_request")
_json_cleanup = _f("ngx_cerebro_http_json_cleanup")
_read_body = _f("ngx_http_do_read_client_request_body")
_vapi_body = _f("ngx_cerebro_vapi_body")
_mirror_body = _f("ngx_http_mirror_body_handler")
_echo_body = _f("ngx_http_echo_post_read_request_body")

# (label, share of the samples, note): each a function with all it calls,
# or the difference of two; rows overlap where the note says so
GROUPS = [
    ("new request: ngx_http_create_request (pool)",
     _f("ngx_http_create_request"), "a malloc_consolidate inside"),
    ("recv() of headers and body (ngx_unix_recv)", _f("ngx_unix_recv"), ""),
    ("reading the body (ngx_http_do_read_client_request_body)",
     _minus(_read_body, _vapi_body, _mirror_body, _echo_body),
     "without the handler it calls at the end"),
    ("ngx_cerebro_http_body (the body's copy)",
     _f("ngx_cerebro_http_body"), ""),
    ("a scan of the body for the members a tool call needs",
     _minus(_f("ngx_cerebro_vapi_parse"), _f("cJSON_ParseWithLengthOpts",
                                             "cJSON_ParseWithLength")),
     "a candidate build's, if it has one"),
    ("cJSON parse of the body", _f("cJSON_ParseWithLengthOpts",
                                   "cJSON_ParseWithLength"), "its mallocs"),
    ("cJSON_Delete of the body's tree (pool cleanup)", _json_cleanup,
     "its frees"),
    ("the tool (ngx_cerebro_tool_start)", _f("ngx_cerebro_tool_start"), ""),
    ("the answer: cJSON build, print, copy",
     _minus(_send_json, _out, _hdr), "send_json without sending"),
    ("  of which cJSON_PrintUnformatted", _f("cJSON_PrintUnformatted"), ""),
    ("send header and answer (writev, loopback)",
     lambda pct: _out(pct) + _hdr(pct), "the references' too"),
    ("free the request (pool, cleanups)",
     _minus(_free_req, _json_cleanup), "without the tree's cJSON_Delete"),
    ("keepalive handler (next request's recv)",
     _f("ngx_http_keepalive_handler"), "overlaps the recv() row"),
    ("access log (ngx_http_log_handler)", _f("ngx_http_log_handler"), ""),
    ("error log (ngx_log_error_core)", _f("ngx_log_error_core"), ""),
    ("malloc, all callers", _f("__GI___libc_malloc", "malloc",
                               "__libc_malloc"), "overlaps"),
    ("free, all callers", _f("__GI___libc_free", "free", "cfree"),
     "overlaps"),
    ("posix_memalign (nginx pools)", _f("__posix_memalign"), "overlaps"),
    ("malloc_consolidate", _f("malloc_consolidate"), "overlaps"),
    ("epoll_wait", _f("epoll_wait", "__GI_epoll_wait"), ""),
]


def worker_pid(master):
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True,
                         text=True).stdout.split()
    return int(out[0])


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def inclusive(report):
    """symbol -> inclusive percentage, from perf report --children."""
    pct = {}
    for line in report.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+([\d.]+)%\s+\S+\s+\[.\]\s+(\S+)",
                     line)
        if m:
            sym = m.group(3)
            pct[sym] = max(pct.get(sym, 0.0), float(m.group(1)))
    return pct


def profile(args, n, scripts, path, size, base):
    master = n.proc.pid
    worker = worker_pid(master)
    data = base / f"perf-{size}-{path.strip('/').replace('/', '_')}.data"
    pin = ["taskset", "-c", "1"] if (os.cpu_count() or 1) >= 2 else []
    wrk = subprocess.Popen(
        [*pin, "wrk", "-t1", "-c", str(args.connections), "-d",
         f"{args.seconds + 2}s", "--latency", "-s", str(scripts[size]),
         f"http://127.0.0.1:{n.port}{path}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    cpu0 = cpu_seconds(worker)
    t0 = time.monotonic()
    if args.cpu_only:
        time.sleep(args.seconds)
        cpu1 = cpu_seconds(worker)
        t1 = time.monotonic()
        out, _ = wrk.communicate(timeout=args.seconds + 60)
        rps = vapi_client.parse_wrk(out)["rps"]
        return (rps, (cpu1 - cpu0) / (rps * (t1 - t0)) * 1e6,
                (cpu1 - cpu0) / (t1 - t0), {}, "")
    subprocess.run([*pin, "perf", "record", "-q", "-e", "cpu-clock", "-F",
                    str(args.frequency), "--call-graph", "dwarf,16384", "-p",
                    str(worker), "-o", str(data), "--", "sleep",
                    str(args.seconds)],
                   check=True, capture_output=True, timeout=args.seconds + 60)
    cpu1 = cpu_seconds(worker)
    t1 = time.monotonic()
    out, _ = wrk.communicate(timeout=args.seconds + 60)
    rps = vapi_client.parse_wrk(out)["rps"]
    # the worker's CPU per request while perf was recording
    us_per_req = (cpu1 - cpu0) / (rps * (t1 - t0)) * 1e6
    busy = (cpu1 - cpu0) / (t1 - t0)

    children = subprocess.run(
        ["perf", "report", "-i", str(data), "--children", "--stdio",
         "--sort", "dso,symbol", "-g", "none", "--percent-limit", "0.2"],
        capture_output=True, text=True, timeout=600).stdout
    selfrep = subprocess.run(
        ["perf", "report", "-i", str(data), "--no-children", "--stdio",
         "--sort", "dso,symbol", "-g", "none", "--percent-limit", "0.7"],
        capture_output=True, text=True, timeout=600).stdout
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        shutil.move(str(data), str(Path(args.keep) / data.name))
    else:
        data.unlink(missing_ok=True)
    return rps, us_per_req, busy, inclusive(children), selfrep


def main():
    ap = vapi_client.options("Where a warm tool call's time goes, by body "
                             "size (perf, one pinned worker).")
    ap.add_argument("--seconds", type=int, default=5,
                    help="seconds of sampling per target (default 5)")
    ap.add_argument("--frequency", type=int, default=1999)
    ap.add_argument("--cpu-only", action="store_true",
                    help="no perf: only the worker's CPU per request (perf's "
                         "DWARF sampling adds to it)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs of each row; with --cpu-only a table of "
                         "median [min-max]")
    ap.add_argument("--keep", metavar="DIR",
                    help="keep the perf.data files there (perf report -i)")
    ap.add_argument("--target", action="append",
                    choices=["tool", "mirror", "return", "echo"],
                    help="what to profile (default: tool and mirror)")
    args = ap.parse_args()
    args.workers = 1
    if args.body is None:
        args.body = ["3k", "64k"]
    vapi_client.finish_options(args)
    paths = {"tool": "/vapi/webhook", "mirror": "/bench/mirror",
             "return": "/bench/return", "echo": "/bench/echo"}
    targets = args.target or ["tool", "mirror"]
    if "echo" in targets and not args.use_echo:
        targets.remove("echo")

    base = world_traversable_dir("bench-profile")
    n = backend = None
    results = []
    try:
        backend_env, backend = vapi_client.start_backend(args, base)
        n, bodies, scripts, _ = vapi_client.start(args, base, backend_env)
        for s in args.sizes:
            subprocess.run(["wrk", "-t1", "-c", str(args.connections), "-d1s",
                            "-s", str(scripts[s]),
                            f"http://127.0.0.1:{n.port}/vapi/webhook"],
                           capture_output=True, check=True, timeout=60)
        for _ in range(args.repeat):
            for s in args.sizes:
                for t in targets:
                    results.append((s, t, len(bodies[s].encode()),
                                    *profile(args, n, scripts, paths[t], s,
                                             base)))
    finally:
        if n is not None:
            n.stop()
        if backend is not None:
            backend.stop()
        shutil.rmtree(base, ignore_errors=True)

    nginx = os.environ.get("NGINX", "/usr/sbin/nginx")
    if args.cpu_only:
        print(f"bench/vapi_profile --cpu-only: {nginx}, one worker on core "
              f"0, wrk on core 1 at {args.connections} connections, "
              f"toolCallList {args.order}, access log "
              f"{'on' if args.access_log else 'off'}"
              + (f", module {args.module}" if args.module else "")
              + f", backend {args.backend}"
              + f"; {args.seconds} s per run, {args.repeat} run(s): "
              "median [min–max]")
        print(f"{'':<24}{'worker CPU µs/request':>28}{'worker busy %':>22}"
              f"{'req/s':>26}")
        for s in args.sizes:
            for t in targets:
                rows = [r for r in results if r[0] == s and r[1] == t]
                print(f"{s + ' ' + t:<24}"
                      f"{vapi_client.fmt_range([r[4] for r in rows], '{:.1f}'):>28}"
                      f"{vapi_client.fmt_range([100 * r[5] for r in rows], '{:.0f}'):>22}"
                      f"{vapi_client.fmt_range([r[3] for r in rows]):>26}")
        return
    print(f"bench/vapi_profile: {nginx}, one worker on core 0, wrk on core "
          f"1 at {args.connections} connections, toolCallList {args.order}, "
          f"access log {'on' if args.access_log else 'off'}"
          + (f", module {args.module}" if args.module else "") + "; perf "
          f"cpu-clock at {args.frequency} Hz for {args.seconds} s per row")
    for s, t, size, rps, us, busy, pct, selfrep in results:
        print()
        print(f"== {t} ({paths[t]}), {s} body ({size:,} bytes): "
              f"{rps:,.0f} req/s, worker {busy * 100:.0f} % busy, "
              f"{us:.1f} µs of worker CPU per request")
        print(f"  {'inclusive, per request':<58}{'µs':>7}{'%':>7}")
        for label, share, note in GROUPS:
            p = share(pct)
            if p < 0.05:
                continue
            print(f"  {label:<58}{p / 100 * us:>7.1f}{p:>6.1f}%"
                  + (f"   ({note})" if note else ""))
        print("  top functions by self time:")
        for line in selfrep.splitlines():
            m = re.match(r"\s+([\d.]+)%\s+(\S+)\s+\[.\]\s+(\S+)", line)
            if m:
                p = float(m.group(1))
                print(f"    {p:5.1f}%  {p / 100 * us:6.1f} µs  "
                      f"{m.group(3)}  ({os.path.basename(m.group(2))})")


if __name__ == "__main__":
    main()
