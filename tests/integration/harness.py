"""Start the packaged nginx with the freshly built module from a private
prefix, and a real redis-server, for the integration tests.

Every nginx is rendered by scripts/render-conf from the shipped
conf/nginx.conf.template, so the tests exercise the configuration a user
runs. Nothing here knows how the module works inside."""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
MODULE = REPO / "build" / "nginx" / "ngx_cerebro_module.so"
RENDER = REPO / "scripts" / "render-conf"

# What makes a run bad, whatever the test asserted.
BAD_LOG_LINE = re.compile(r"\[(alert|emerg)\]|exited on signal")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc=None, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def wait_for_file(path, proc=None, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        if path.exists() and path.stat().st_size > 0:
            return True
        time.sleep(0.01)
    return False


def world_traversable_dir(name):
    """pytest's temporary directories are private to root, but the workers
    of a root master run as www-data and must reach their data directory,
    as in a real deployment: prefixes live in a directory they can
    traverse."""
    path = Path(tempfile.mkdtemp(prefix=f"cerebro-{name}-", dir="/tmp"))
    path.chmod(0o755)
    return path


# The staff API token every instance of the tests accepts; requests to
# /cerebro/ carry it unless they say who they are themselves (a cookie, an
# Authorization of their own, or anonymous=True).
STAFF_TOKEN = "test-staff-token-0123456789abcdef"


def staff_headers(path, headers, anonymous=False):
    headers = dict(headers or {})
    named = {k.lower() for k in headers}
    if (path.startswith("/cerebro/") and not anonymous
            and not named & {"authorization", "cookie"}):
        headers["Authorization"] = f"Bearer {STAFF_TOKEN}"
    return headers


def base_env(extra=None):
    """A minimal environment, so that the host's variables cannot leak in."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "LANG": "C.UTF-8", "CEREBRO_STAFF_TOKEN": STAFF_TOKEN}
    # CEREBRO_LOG_LEVEL=debug on the pytest command line, to read a failure
    if "CEREBRO_LOG_LEVEL" in os.environ:
        env["CEREBRO_LOG_LEVEL"] = os.environ["CEREBRO_LOG_LEVEL"]
    env.update(extra or {})
    return env


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())

    def json(self):
        import json
        return json.loads(self.body)


class Nginx:
    def __init__(self, workdir, env=None, workers=2):
        self.prefix = Path(workdir)
        self.port = free_port()
        self.env = base_env({
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "CEREBRO_WORKERS": str(workers),
            "CEREBRO_ERROR_LOG": "logs/error.log",
            "CEREBRO_MODULE": str(MODULE),
            # never the real APIs: a test that needs one starts a fake
            "AIRTABLE_API_URL": "http://127.0.0.1:9",
            "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
            "TWILIO_API_URL": "http://127.0.0.1:9",
            # load and fault tests send more from loopback than VAPI's or
            # Twilio's addresses do: the shipped limits are
            # test_rate_limits.py's
            "CEREBRO_VAPI_RATE": "100000r/s",
            "CEREBRO_VAPI_BURST": "100000",
            "CEREBRO_TWILIO_RATE": "100000r/s",
            "CEREBRO_TWILIO_BURST": "100000",
        })
        self.env.update(env or {})
        self.proc = None
        self.killed = set()

    @property
    def error_log(self):
        return self.prefix / "logs" / "error.log"

    @property
    def conf(self):
        return self.prefix / "conf" / "nginx.conf"

    def render(self):
        subprocess.run([str(RENDER), str(self.prefix)], env=self.env,
                       check=True, capture_output=True, text=True)

    def edit_conf(self, old, new):
        text = self.conf.read_text()
        assert old in text, f"{old!r} not in the rendered configuration"
        self.conf.write_text(text.replace(old, new, 1))

    def _cmd(self, *extra, startup_log="logs/error.log"):
        return [NGINX, "-p", f"{self.prefix}/", "-c", "conf/nginx.conf",
                "-e", startup_log, *extra]

    def test_config(self):
        """nginx -t: returns (exit code, everything it printed)."""
        if not self.conf.exists():
            self.render()
        # its own log: a refused configuration is the expected outcome here
        p = subprocess.run(self._cmd("-t", startup_log="logs/nginx-t.log"),
                           env=self.env, capture_output=True, text=True,
                           timeout=30)
        return p.returncode, p.stdout + p.stderr

    def start(self):
        if not self.conf.exists():
            self.render()
        out = open(self.prefix / "logs" / "stdout.log", "ab")
        self.proc = subprocess.Popen(self._cmd("-g", "daemon off;"),
                                     env=self.env, stdout=out,
                                     stderr=subprocess.STDOUT)
        out.close()
        # nginx listens before its modules finish starting, and handles
        # signals only once it has written its pid file
        pidfile = self.prefix / "logs" / "nginx.pid"
        if not wait_for_port(self.port, self.proc) \
                or not wait_for_file(pidfile, self.proc):
            self.stop()
            raise RuntimeError("nginx did not start:\n" + self.log_text())
        return self

    def stop(self):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code, self.proc = self.proc.returncode, None
        return code

    def reload(self):
        self.proc.send_signal(signal.SIGHUP)

    def log_text(self):
        parts = []
        for name in ("error.log", "stdout.log"):
            path = self.prefix / "logs" / name
            if path.exists():
                parts.append(path.read_text(errors="replace"))
        return "".join(parts)

    def workers(self):
        """The master's children now (the workers, and nothing else
        unless a cache is configured)."""
        pid = self.proc.pid
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                return {int(p) for p in f.read().split()}
        except OSError:
            return set()

    def kill_worker(self, pid):
        """SIGKILL one worker, as the OOM killer or a crash would: what
        nginx logs about that death is ours, not a fault of the module."""
        self.killed.add(pid)
        os.kill(pid, signal.SIGKILL)

    def bad_log_lines(self):
        def ours(line):
            return any(f"process {pid} exited on signal 9" in line
                       or f"was locked by {pid}" in line
                       for pid in self.killed)
        return [line for line in self.log_text().splitlines()
                if BAD_LOG_LINE.search(line) and not ours(line)]

    def request(self, method, path, body=None, headers=None, timeout=10,
                anonymous=False):
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)
        try:
            if isinstance(body, str):
                body = body.encode()
            conn.request(method, path, body=body,
                         headers=staff_headers(path, headers, anonymous))
            resp = conn.getresponse()
            data = resp.read()
            headers = {}
            for k, v in resp.getheaders():
                k = k.lower()
                headers[k] = f"{headers[k]}, {v}" if k in headers else v
            return Response(resp.status, headers, data)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def jobs_headers(self):
        """What the module's own jobs poke sends: a token derived from the
        session key (only a test with the prefix at hand can make it)."""
        import hashlib
        import hmac
        key = (self.prefix / "data" / "session.key").read_bytes()
        token = hmac.new(key, b"jobs", hashlib.sha256).hexdigest()[:32]
        return {"X-Cerebro-Jobs": token}


class Redis:
    """A private redis-server on a free loopback port."""

    def __init__(self, workdir, password=None):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.password = password
        self.proc = None

    @property
    def url(self):
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self):
        cmd = [shutil.which("redis-server") or "/usr/bin/redis-server",
               "--port", str(self.port), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no", "--dir", str(self.dir),
               "--logfile", str(self.dir / "redis.log")]
        if self.password:
            cmd += ["--requirepass", self.password]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        if not wait_for_port(self.port, self.proc):
            raise RuntimeError("redis-server did not start")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cli(self, *args):
        cmd = ["redis-cli", "-p", str(self.port)]
        if self.password:
            cmd += ["--no-auth-warning", "-a", self.password]
        return subprocess.run(cmd + list(args), capture_output=True,
                              text=True, timeout=10).stdout.strip()
