"""bench/vapi_rss: the nginx worker's resident memory over a long run of
warm tool calls (bench/vapi's body, one worker, 50 connections), read from
/proc between slices of wrk until --calls have been answered.  A flat line
is what the module promises: nothing kept from one call to the next.  A
benchmark: it prints figures, it asserts nothing but that calls answer."""

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests" / "integration"))

import vapi_client  # noqa: E402
from harness import world_traversable_dir  # noqa: E402


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main():
    ap = vapi_client.options("The worker's RSS over a long run of tool calls.")
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--slice", type=int, default=10,
                    help="seconds of wrk between two readings (default 10)")
    ap.add_argument("--max-seconds", type=int, default=300,
                    help="stop here even if --calls is not reached")
    args = ap.parse_args()
    args.workers = 1
    args.no_echo = True
    vapi_client.finish_options(args)
    size = args.sizes[0]

    base = world_traversable_dir("bench-vapi-rss")
    n = backend = None
    try:
        backend_env, backend = vapi_client.start_backend(args, base)
        n, bodies, scripts, _ = vapi_client.start(args, base, backend_env)
        bench = vapi_client.Bench(args, n.port, base)
        [worker] = n.workers()
        bench.wrk("/vapi/webhook", scripts[size], args.connections, 2)
        start_rss = rss_kb(worker)
        print(f"bench/vapi_rss: {size} body ({len(bodies[size].encode()):,} "
              f"bytes), backend {args.backend}, one worker, "
              f"{args.connections} connections, {args.slice} s slices")
        print(f"{'calls':>12}{'RSS KB':>10}{'req/s':>10}{'non-2xx':>9}")
        print(f"{0:>12,}{start_rss:>10,}{'':>10}{'':>9}")
        calls = 0
        t0 = time.monotonic()
        while calls < args.calls and time.monotonic() - t0 < args.max_seconds:
            r = bench.wrk("/vapi/webhook", scripts[size], args.connections,
                          args.slice)
            calls += int(r["rps"] * args.slice)
            print(f"{calls:>12,}{rss_kb(worker):>10,}{r['rps']:>10,.0f}"
                  f"{r['bad']:>9}", flush=True)
        bad = n.bad_log_lines()
    finally:
        if n is not None:
            n.stop()
        if backend is not None:
            backend.stop()
        shutil.rmtree(base, ignore_errors=True)
    if bad:
        print("\nnginx logged:\n" + "\n".join(bad[:10]))
        sys.exit(1)


if __name__ == "__main__":
    main()
