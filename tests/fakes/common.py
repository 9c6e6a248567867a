"""Shared plumbing of the loopback fakes.

A fake is a subclass of FakeServer that implements handle(req) -> Response.
This module gives it:

- a threaded HTTP/1.1 server (keep-alive, Content-Length or chunked request
  bodies) on 127.0.0.1, on an ephemeral port by default, started in-process
  (start() returns the base URL, stop() closes it and every open
  connection, so a stopped fake really refuses) or from the command line
  (main(), used by `python -m tests.fakes.<name> --port 0`, which prints the
  bound port on its first stdout line);
- a log of every request (control requests excluded);
- fault injection: latency per path prefix, the next N requests answer a
  given status/body, drop the connection without answering, answer
  malformed JSON;
- a control API over HTTP under /_fake/ and the same control as Python
  methods (FakeServer in-process, FakeClient for a fake in another process).

Faults are applied before the fake's own logic (they model the network and
the vendor's front end), so a faulted request changes no state and is not
counted by a fake's rate limiter; except "landed" (land_then_fail), which
carries the request out and then answers the fault's status.
"""

import argparse
import copy
import itertools
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTROL_PREFIX = "/_fake/"
MAX_BODY = 64 * 1024 * 1024
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class Request:
    """One parsed HTTP request as the fake's handler sees it."""

    def __init__(self, method, target, headers, body, client):
        parts = urllib.parse.urlsplit(target)
        self.method = method
        self.target = target
        self.path = parts.path
        self.raw_query = parts.query
        self.query = urllib.parse.parse_qs(parts.query,
                                           keep_blank_values=True)
        self.headers = headers
        self.body = body
        self.client = client
        self.match = None  # filled by fakes that route by regex

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def arg(self, name, default=None):
        vals = self.query.get(name)
        return vals[-1] if vals else default

    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        """Parsed JSON body; raises ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8"))

    def form(self):
        """application/x-www-form-urlencoded body as {name: [values]}."""
        return urllib.parse.parse_qs(self.body.decode("utf-8"),
                                     keep_blank_values=True,
                                     strict_parsing=False)

    def content_type(self):
        ct = self.headers.get("Content-Type", "") or ""
        return ct.split(";")[0].strip().lower()


class Response:
    def __init__(self, status=200, body=b"", headers=None,
                 content_type=None, delay=0.0):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.status = status
        self.body = body
        self.headers = list((headers or {}).items()) \
            if isinstance(headers, dict) else list(headers or [])
        if content_type and not any(k.lower() == "content-type"
                                    for k, _ in self.headers):
            self.headers.append(("Content-Type", content_type))
        self.delay = delay


class Drop(Exception):
    """Raised by a handler to close the connection without answering."""

    def __init__(self, rst=False):
        super().__init__("drop")
        self.rst = rst


def json_response(status, obj, headers=None, delay=0.0):
    return Response(status, json.dumps(obj).encode("utf-8"), headers,
                    "application/json; charset=utf-8", delay)


def _decode_body_for_log(headers, body):
    entry = {"body": body.decode("utf-8", errors="replace")}
    ct = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if ct == "application/json" and body:
        try:
            entry["json"] = json.loads(body)
        except ValueError:
            pass
    elif ct == "application/x-www-form-urlencoded":
        entry["form"] = urllib.parse.parse_qs(
            body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return entry


class _Fault:
    _ids = itertools.count(1)

    def __init__(self, kind, path=None, method=None, count=None,
                 status=None, body=None, headers=None, seconds=None,
                 rst=False):
        if kind not in ("latency", "status", "drop", "malformed", "landed",
                        "answer_late"):
            raise ValueError("unknown fault kind %r" % (kind,))
        if kind in ("status", "landed") and status is None:
            raise ValueError("a status fault needs a status")
        if kind in ("latency", "answer_late") and seconds is None:
            raise ValueError("a %s fault needs seconds" % kind)
        self.id = next(self._ids)
        self.kind = kind
        self.path = path
        self.method = method.upper() if method else None
        self.count = count
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.seconds = seconds
        self.rst = rst

    def matches(self, method, path):
        if self.count is not None and self.count <= 0:
            return False
        if self.method and self.method != method:
            return False
        if self.path and not path.startswith(self.path):
            return False
        return True

    def as_dict(self):
        return {k: v for k, v in self.__dict__.items()}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake"
    sys_version = ""
    fake = None  # set per server class

    def setup(self):
        super().setup()
        self.fake._track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.fake._track(self.connection, False)

    def log_message(self, fmt, *args):
        if self.fake.verbose:
            sys.stderr.write("[%s] %s\n" % (self.fake.name, fmt % args))

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # trailers until the empty line
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n",
                                                             b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def _dispatch(self):
        received = time.time()
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._write(Response(400, b"bad request body\n"))
            return
        req = Request(self.command, self.path, self.headers, body,
                      self.client_address)
        fake = self.fake
        if req.path.startswith(CONTROL_PREFIX):
            try:
                resp = fake._control(req)
            except Exception as e:  # a broken control call is a test bug
                resp = json_response(500, {"fake_error": repr(e)})
            self._write(resp)
            return
        entry = fake._log_start(req, received)
        try:
            resp = fake._serve(req)
        except Drop as d:
            fake._log_end(entry, None, dropped=True)
            self._drop(d.rst)
            return
        except Exception as e:
            import traceback
            traceback.print_exc()
            resp = json_response(500, {"fake_error": repr(e)})
        if resp.delay and fake._stop_event.wait(resp.delay):
            fake._log_end(entry, None, dropped=True)
            self._drop(False)
            return
        fake._log_end(entry, resp)
        self._write(resp)

    def _drop(self, rst):
        self.close_connection = True
        try:
            if rst:
                self.connection.setsockopt(socket.SOL_SOCKET,
                                           socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _write(self, resp):
        try:
            self.send_response(resp.status)
            names = set()
            for k, v in resp.headers:
                self.send_header(k, v)
                names.add(k.lower())
            if "content-length" not in names:
                self.send_header("Content-Length", str(len(resp.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(resp.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch
    do_HEAD = do_OPTIONS = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class FakeServer:
    """Base class of every fake.  Subclasses implement handle(req)."""

    name = "fake"
    default_config = {}

    def __init__(self, host="127.0.0.1", port=0, verbose=False, **config):
        self.host = host
        self.requested_port = port
        self.verbose = verbose
        self.lock = threading.RLock()
        self._base_config = copy.deepcopy(self.default_config)
        unknown = set(config) - set(self._base_config)
        if unknown:
            raise TypeError("unknown %s option(s): %s"
                            % (self.name, ", ".join(sorted(unknown))))
        self._base_config.update(config)
        self.config = copy.deepcopy(self._base_config)
        self._log = []
        self._seq = itertools.count(1)
        self._faults = []
        self._conns = set()
        self._server = None
        self._thread = None
        self._stop_event = threading.Event()
        self.reset_state()

    # ---- lifecycle ----------------------------------------------------------

    def start(self):
        """Start serving in a background thread; returns the base URL."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._stop_event.clear()
        self._server = _Server((self.host, self.requested_port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="fake-" + self.name,
                                        daemon=True)
        self._thread.start()
        return self.url

    def stop(self):
        if not self._server:
            return
        self._stop_event.set()
        self._server.shutdown()
        self._server.server_close()
        with self.lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(5)
        self._server = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self._server.server_address[1] if self._server else None

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    def _track(self, conn, add):
        with self.lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    # ---- hooks for subclasses -----------------------------------------------

    def reset_state(self):
        """Put the fake's data back to its defaults."""

    def handle(self, req):
        raise NotImplementedError

    def seed(self, data):
        raise ValueError("%s takes no seed data" % self.name)

    def state(self):
        return {}

    def control(self, req, action):
        """Extra /_fake/<action> endpoints; None when unknown."""
        return None

    # ---- control, Python side -----------------------------------------------

    def reset(self):
        """Data, log, faults and configuration back to the start values."""
        with self.lock:
            self.config = copy.deepcopy(self._base_config)
            self._log = []
            self._faults = []
            self.reset_state()

    def configure(self, **kw):
        with self.lock:
            unknown = set(kw) - set(self.config)
            if unknown:
                raise ValueError("unknown %s option(s): %s"
                                 % (self.name, ", ".join(sorted(unknown))))
            self.config.update(kw)
            return dict(self.config)

    def requests(self, path=None, method=None):
        """Logged requests (dicts), oldest first, optionally filtered by
        path prefix and method."""
        with self.lock:
            out = []
            for e in self._log:
                if path and not e["path"].startswith(path):
                    continue
                if method and e["method"] != method.upper():
                    continue
                out.append(copy.deepcopy(e))
            return out

    def clear_log(self):
        with self.lock:
            self._log = []

    def add_fault(self, kind, path=None, method=None, count=None,
                  status=None, body=None, headers=None, seconds=None,
                  rst=False):
        f = _Fault(kind, path, method, count, status, body, headers,
                   seconds, rst)
        with self.lock:
            self._faults.append(f)
        return f.id

    def set_latency(self, seconds, path=None, method=None, count=None):
        """Every matching request (or the next `count`) waits `seconds`
        before it is answered."""
        return self.add_fault("latency", path, method, count,
                              seconds=seconds)

    def fail_next(self, n, status, body=None, headers=None, path=None,
                  method=None):
        """The next n matching requests answer `status` with `body` (a
        dict/list is sent as JSON, a str/bytes as is)."""
        return self.add_fault("status", path, method, n, status=status,
                              body=body, headers=headers)

    def land_then_fail(self, n, status, body=None, path=None, method=None):
        """The next n matching requests are carried out (a write lands)
        and then answered `status` with `body`: what a vendor's front end
        that failed after its back end wrote looks like."""
        return self.add_fault("landed", path, method, n, status=status,
                              body=body)

    def land_then_wait(self, n, seconds, path=None, method=None):
        """The next n matching requests are carried out at once (a write
        lands) and their answer is held `seconds`: a client that gives up
        or dies meanwhile never learns the write was made."""
        return self.add_fault("answer_late", path, method, n,
                              seconds=seconds)

    def drop_next(self, n=1, path=None, method=None, rst=False):
        """The next n matching requests get their connection closed with
        no answer (rst=True: a TCP reset instead of a FIN)."""
        return self.add_fault("drop", path, method, n, rst=rst)

    def malformed_next(self, n=1, path=None, method=None, status=200,
                       body=None):
        """The next n matching requests answer `status` with a body that
        says application/json but does not parse."""
        return self.add_fault("malformed", path, method, n, status=status,
                              body=body)

    def clear_faults(self):
        with self.lock:
            self._faults = []

    def faults(self):
        with self.lock:
            return [f.as_dict() for f in self._faults]

    # ---- request path -------------------------------------------------------

    def _log_start(self, req, received):
        lower = {}
        for k, v in req.headers.items():
            k = k.lower()
            lower[k] = v if k not in lower else lower[k] + ", " + v
        entry = {
            "seq": next(self._seq),
            "time": received,
            "method": req.method,
            "path": req.path,
            "raw_query": req.raw_query,
            "query": req.query,
            "headers": lower,
            "status": None,
            "dropped": False,
            "answered_at": None,
        }
        entry.update(_decode_body_for_log(lower, req.body))
        with self.lock:
            self._log.append(entry)
        return entry

    def _log_end(self, entry, resp, dropped=False):
        with self.lock:
            entry["answered_at"] = time.time()
            entry["dropped"] = dropped
            if resp is not None:
                entry["status"] = resp.status
                entry["response"] = resp.body.decode("utf-8",
                                                     errors="replace")

    def _pick_faults(self, req):
        latency = 0.0
        chosen = None
        with self.lock:
            for f in self._faults:
                if not f.matches(req.method, req.path):
                    continue
                if f.kind == "latency":
                    latency += f.seconds
                    if f.count is not None:
                        f.count -= 1
                elif chosen is None:
                    chosen = f
                    if f.count is not None:
                        f.count -= 1
            self._faults = [f for f in self._faults
                            if f.count is None or f.count > 0]
        return latency, chosen

    def _serve(self, req):
        latency, fault = self._pick_faults(req)
        if latency and self._stop_event.wait(latency):
            raise Drop()
        if fault is None:
            return self.handle(req)
        if fault.kind == "drop":
            raise Drop(fault.rst)
        if fault.kind == "answer_late":
            resp = self.handle(req)
            resp.delay = fault.seconds
            return resp
        if fault.kind == "landed":
            self.handle(req)
        if fault.kind == "malformed":
            body = fault.body if fault.body is not None \
                else '{"error": {"message": "truncat'
            return Response(fault.status or 200, body, fault.headers,
                            "application/json")
        body = fault.body
        if isinstance(body, (dict, list)):
            return json_response(fault.status, body, fault.headers)
        raw = body.encode() if isinstance(body, str) else (body or b"")
        looks_json = raw.lstrip()[:1] in (b"{", b"[")
        return Response(fault.status, raw, fault.headers,
                        "application/json" if looks_json else "text/plain")

    # ---- control, HTTP side -------------------------------------------------

    def _control(self, req):
        action = req.path[len(CONTROL_PREFIX):].strip("/")
        data = {}
        if req.body:
            try:
                data = req.json()
            except ValueError:
                return json_response(400, {"fake_error": "body not JSON"})
        m = req.method
        try:
            if action == "reset" and m == "POST":
                self.reset()
                return json_response(200, {"ok": True})
            if action == "log" and m == "GET":
                return json_response(200, {"requests": self.requests(
                    req.arg("path"), req.arg("method"))})
            if action == "log" and m == "DELETE":
                self.clear_log()
                return json_response(200, {"ok": True})
            if action == "faults" and m == "POST":
                return json_response(200, {"id": self.add_fault(**data)})
            if action == "faults" and m == "GET":
                return json_response(200, {"faults": self.faults()})
            if action == "faults" and m == "DELETE":
                self.clear_faults()
                return json_response(200, {"ok": True})
            if action == "config" and m == "POST":
                return json_response(200, self.configure(**data))
            if action == "config" and m == "GET":
                return json_response(200, dict(self.config))
            if action == "seed" and m == "POST":
                return json_response(200, {"ok": True,
                                           "result": self.seed(data)})
            if action == "state" and m == "GET":
                return json_response(200, self.state())
            resp = self.control(req, action)
        except (TypeError, ValueError, KeyError) as e:
            return json_response(400, {"fake_error": str(e)})
        if resp is None:
            return json_response(404, {"fake_error": "no control %s %s"
                                       % (m, req.path)})
        return resp


class FakeClient:
    """The control API of a fake running elsewhere, as Python methods with
    the same names as FakeServer's."""

    def __init__(self, base_url, timeout=10):
        self.url = base_url.rstrip("/")
        self.timeout = timeout

    def call(self, method, action, body=None, query=None):
        url = self.url + CONTROL_PREFIX + action
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raise RuntimeError("fake control %s %s: %d %s"
                               % (method, action, e.code,
                                  e.read().decode(errors="replace")))

    def reset(self):
        self.call("POST", "reset")

    def configure(self, **kw):
        return self.call("POST", "config", kw)

    def requests(self, path=None, method=None):
        q = {k: v for k, v in (("path", path), ("method", method)) if v}
        return self.call("GET", "log", query=q)["requests"]

    def clear_log(self):
        self.call("DELETE", "log")

    def add_fault(self, kind, **kw):
        kw["kind"] = kind
        return self.call("POST", "faults", kw)["id"]

    def set_latency(self, seconds, path=None, method=None, count=None):
        return self.add_fault("latency", seconds=seconds, path=path,
                              method=method, count=count)

    def fail_next(self, n, status, body=None, headers=None, path=None,
                  method=None):
        return self.add_fault("status", count=n, status=status, body=body,
                              headers=headers, path=path, method=method)

    def land_then_fail(self, n, status, body=None, path=None, method=None):
        return self.add_fault("landed", count=n, status=status, body=body,
                              path=path, method=method)

    def drop_next(self, n=1, path=None, method=None, rst=False):
        return self.add_fault("drop", count=n, path=path, method=method,
                              rst=rst)

    def malformed_next(self, n=1, path=None, method=None, status=200,
                       body=None):
        return self.add_fault("malformed", count=n, path=path,
                              method=method, status=status, body=body)

    def clear_faults(self):
        self.call("DELETE", "faults")

    def faults(self):
        return self.call("GET", "faults")["faults"]

    def seed(self, data):
        return self.call("POST", "seed", data)["result"]

    def state(self):
        return self.call("GET", "state")


class FakeProcess:
    """A fake in a child process: FakeProcess("airtable", ["--token", "x"]).
    .url is its base URL, .client its control API; stop() ends it."""

    def __init__(self, module, args=(), client_class=FakeClient,
                 timeout=10):
        cmd = ["/usr/bin/python3", "-m", "tests.fakes." + module,
               "--port", "0"] + list(args)
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.isdigit():
            self.proc.kill()
            raise RuntimeError("fake %s did not print its port (%r)"
                               % (module, line))
        self.port = int(line)
        self.url = "http://127.0.0.1:%d" % self.port
        self.client = client_class(self.url, timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def main(cls, argv=None, add_arguments=None, options_from_args=None):
    """Command line of a fake: prints the bound port, serves until SIGTERM
    or SIGINT."""
    p = argparse.ArgumentParser(prog="python3 -m tests.fakes." + cls.name)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0,
                   help="0 picks a free port (printed on stdout)")
    p.add_argument("--config", default=None,
                   help="JSON object of configuration options")
    p.add_argument("--seed", default=None,
                   help="JSON file of seed data")
    p.add_argument("--verbose", action="store_true")
    if add_arguments:
        add_arguments(p)
    args = p.parse_args(argv)
    options = json.loads(args.config) if args.config else {}
    if options_from_args:
        options.update(options_from_args(args))
    fake = cls(host=args.host, port=args.port, verbose=args.verbose,
               **options)
    if args.seed:
        with open(args.seed) as fh:
            fake.seed(json.load(fh))
    fake.start()
    print(fake.port, flush=True)
    sys.stderr.write("%s fake listening on %s\n" % (cls.name, fake.url))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    while not done.wait(0.5):
        pass
    fake.stop()
    return 0
