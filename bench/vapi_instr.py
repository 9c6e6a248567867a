"""bench/vapi_instr: the instructions the nginx worker runs a request, for
the warm tool call and for nginx's own answers to the same POST body
(bench/vapi's nginx, references and bodies), counted by valgrind's
callgrind rather than timed.  On a machine shared with other work a count
does not move with the load as requests/s, latency and even CPU time do:
it is the figure to compare two builds or two body sizes with.

What it does not count: the kernel's side of recv() and writev() (the
copy of the body off the socket costs the same whatever answers it), and
time lost to cache misses or mispredicted branches.  callgrind counts one
instruction for each byte a `rep movsb` moves (glibc's memcpy of large
blocks), so memcpy is shown on a line of its own.

One worker, one connection kept alive, the requests one after the other;
the counters are zeroed after a warm-up and read after --requests."""

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests" / "integration"))

import harness  # noqa: E402
import vapi_client  # noqa: E402

PATHS = {"return": "/bench/return", "mirror": "/bench/mirror",
         "echo": "/bench/echo", "tool": "/vapi/webhook"}

# inclusive rows: (label, function names whose largest count is taken)
ROWS = [
    ("the check of the body (cerebro_json_spans)", ["cerebro_json_spans"]),
    ("cJSON on the spans", ["cJSON_ParseWithLength",
                            "cJSON_ParseWithLengthOpts"]),
    ("the tool (ngx_cerebro_tool_start)", ["ngx_cerebro_tool_start"]),
    ("the answer (ngx_cerebro_vapi_answer_tools)",
     ["ngx_cerebro_vapi_answer_tools"]),
    ("malloc", ["malloc"]),
    ("free", ["free"]),
    ("memcpy/memmove", ["__memmove_avx_unaligned_erms",
                        "__memcpy_avx_unaligned_erms",
                        "__memmove_avx512_unaligned_erms",
                        "__memmove_sse2_unaligned_erms"]),
    ("memset (a step of rep stosb counts a byte)",
     ["__memset_avx2_unaligned_erms", "__memset_avx512_unaligned_erms",
      "__memset_sse2_unaligned_erms"]),
]


class GrindNginx(harness.Nginx):
    """nginx under callgrind, one process (no master), its counters zeroed
    as /health starts and written out as / starts: the requests between
    the two are what a dump holds."""

    out_dir = None

    def start(self):
        self.edit_conf("worker_processes ", "master_process off;\n"
                       "worker_processes ")
        return super().start()

    def _cmd(self, *extra, startup_log="logs/error.log"):
        cmd = super()._cmd(*extra, startup_log=startup_log)
        if "-t" in extra:
            return cmd
        return ["valgrind", "--tool=callgrind", "--quiet",
                "--zero-before=ngx_cerebro_health_handler",
                "--dump-before=ngx_cerebro_info_handler",
                f"--callgrind-out-file={self.out_dir}/cg", *cmd]

    def counted(self, run):
        """the instructions run() costs, read from a dump of its own"""
        self.get("/health")
        run()
        self.get("/")
        self.dumps = getattr(self, "dumps", 0) + 1
        dump = self.out_dir / f"cg.{self.dumps}"
        deadline = time.monotonic() + 120
        while not dump.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        return inclusive(dump)


def post_n(port, path, body, n):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for _ in range(n):
            conn.request("POST", path, body=body,
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                sys.exit(f"bench/vapi_instr: {path} answered {r.status}")
    finally:
        conn.close()


def inclusive(dump):
    """function -> inclusive Ir, and the total, from one dump"""
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes",
                          "--threshold=100", str(dump)],
                         capture_output=True, text=True, timeout=300).stdout
    total = 0
    incl = {}
    if not Path(dump).exists():
        sys.exit(f"bench/vapi_instr: callgrind wrote no {dump}")
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$", line)
        if not m:
            continue
        count = int(m.group(1).replace(",", ""))
        what = m.group(2)
        if what.startswith("PROGRAM TOTALS"):
            total = count
            continue
        fn = re.sub(r"\s+\[.*\]$", "", what).split(":")[-1].strip()
        incl[fn] = max(incl.get(fn, 0), count)
    return total, incl


HEAP = {"malloc", "calloc", "realloc", "posix_memalign", "aligned_alloc"}


def heap_calls(dump):
    """caller -> calls into the heap (malloc and its kin) from outside
    them: posix_memalign's own malloc is not counted again"""
    names, calls = {}, {}
    fn = cfn = None
    for line in Path(dump).read_text(errors="replace").splitlines():
        m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?$", line)
        if m:
            kind, ident, name = m.groups()
            if name:
                names[ident] = name
            name = names.get(ident, "?")
            if kind == "fn":
                fn = name
            else:
                cfn = name
            continue
        m = re.match(r"calls=(\d+) ", line)
        if m and cfn in HEAP and fn not in HEAP \
                and not fn.startswith("_mid_memalign"):
            calls[fn] = calls.get(fn, 0) + int(m.group(1))
    return calls


def main():
    ap = vapi_client.options("Instructions a request, by callgrind.")
    ap.add_argument("--requests", type=int, default=300,
                    help="requests counted a row (default 300)")
    ap.add_argument("--keep", metavar="DIR",
                    help="keep the callgrind dumps there (callgrind_annotate)")
    ap.add_argument("--target", action="append", choices=sorted(PATHS),
                    help="default: return, mirror, tool")
    args = ap.parse_args()
    args.workers = 1
    vapi_client.finish_options(args)
    targets = args.target or ["return", "mirror", "tool"]
    if "echo" in targets and not args.use_echo:
        targets.remove("echo")
    if shutil.which("valgrind") is None:
        sys.exit("bench/vapi_instr: needs valgrind")

    base = harness.world_traversable_dir("bench-vapi-instr")
    (base / "cg").mkdir()
    GrindNginx.out_dir = base / "cg"
    # valgrind starts nginx and the module's first requests slowly
    wait = harness.wait_for_port
    harness.wait_for_port = lambda port, proc=None, timeout=10.0: \
        wait(port, proc, timeout=120.0)
    vapi_client.Nginx = GrindNginx

    n = backend = None
    results = {}
    try:
        backend_env, backend = vapi_client.start_backend(args, base)
        n, bodies, _, _ = vapi_client.start(args, base, backend_env)
        # what /health's end and /'s start cost, taken off every row
        empty, _ = n.counted(lambda: None)
        empty_heap = heap_calls(base / "cg" / f"cg.{n.dumps}")
        for s in args.sizes:
            body = bodies[s].replace(vapi_client.vapi_bodies.PLACEHOLDER,
                                     "call_bench0001").encode()
            for t in targets:
                post_n(n.port, PATHS[t], body, 30)
                total, incl = n.counted(
                    lambda: post_n(n.port, PATHS[t], body, args.requests))
                heap = heap_calls(base / "cg" / f"cg.{n.dumps}")
                for fn, c in empty_heap.items():
                    heap[fn] = heap.get(fn, 0) - c
                results[(s, t)] = (len(body), total - empty, incl,
                                   {fn: c for fn, c in heap.items() if c})
                if args.keep:
                    Path(args.keep).mkdir(parents=True, exist_ok=True)
                    shutil.copy(base / "cg" / f"cg.{n.dumps}",
                                Path(args.keep) / f"cg-{s}-{t}")
        bad = n.bad_log_lines()
    finally:
        if n is not None:
            n.stop()
        if backend is not None:
            backend.stop()
        shutil.rmtree(base, ignore_errors=True)

    print(f"bench/vapi_instr: instructions of the nginx worker a request "
          f"(callgrind; user space only), one connection, "
          f"{args.requests} requests a row, toolCallList {args.order}, "
          f"backend {args.backend}"
          + (f", module {args.module}" if args.module else ""))
    print(f"{'':<12}" + "".join(f"{t:>14}" for t in targets)
          + ("   tool / " + targets[0] if "tool" in targets
             and targets[0] != "tool" else ""))
    for s in args.sizes:
        row = [results[(s, t)][1] / args.requests for t in targets]
        line = f"{s:<12}" + "".join(f"{v:>14,.0f}" for v in row)
        if "tool" in targets and targets[0] != "tool":
            line += f"   {row[targets.index('tool')] / row[0]:.1f}x"
        print(line)
    if "tool" in targets:
        print("\nthe tool call, inclusive, a request:")
        print(f"{'':<46}" + "".join(f"{s:>12}" for s in args.sizes))
        for label, names in ROWS:
            vals = [max(results[(s, 'tool')][2].get(x, 0) for x in names)
                    / args.requests for s in args.sizes]
            print(f"{label:<46}" + "".join(f"{v:>12,.0f}" for v in vals))
    print("\ncalls into the heap (malloc, calloc, realloc, posix_memalign) "
          "a request, by caller:")
    for s in args.sizes:
        for t in targets:
            heap = results[(s, t)][3]
            total = sum(heap.values()) / args.requests
            by = ", ".join(f"{fn} {c / args.requests:g}"
                           for fn, c in sorted(heap.items(),
                                               key=lambda x: -x[1]))
            print(f"  {s} {t}: {total:g} ({by})")
    if bad:
        print("\nnginx logged:\n" + "\n".join(bad[:10]))
        sys.exit(1)


if __name__ == "__main__":
    main()
