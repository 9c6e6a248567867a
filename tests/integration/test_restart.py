"""A restart always comes back: scripts/run (what `make run` and the Docker
image start) after the master was killed with SIGKILL, and with a pid file
that names no nginx of this prefix (a stale number, another program, the
script itself as in a new container where both are process 1)."""

import datetime
import json
import os
import signal
import subprocess
import time
from zoneinfo import ZoneInfo

import pytest

from harness import (BAD_LOG_LINE, MODULE, REPO, base_env, free_port,
                     staff_headers, wait_for_port, world_traversable_dir)

RUN = REPO / "scripts" / "run"
MADRID = ZoneInfo("Europe/Madrid")


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def gone(pid, timeout=60.0):
    """Waits for the process to end (or become a zombie nobody reaps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ")[1].startswith("Z"):
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def wait_for_pid(pidfile, proc, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if pidfile.read_text().strip() == str(proc.pid):
                return True
        except OSError:
            pass
        time.sleep(0.02)
    return False


class Launcher:
    """scripts/run in a prefix of its own, as an operator starts it."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.port = free_port()
        self.env = base_env({
            "HOST": "127.0.0.1", "PORT": str(self.port),
            "CEREBRO_PREFIX": str(prefix), "CEREBRO_MODULE": str(MODULE),
            "CEREBRO_WORKERS": "2", "CEREBRO_ERROR_LOG": "logs/error.log",
        })
        self.proc = None
        self.outputs = []

    @property
    def pidfile(self):
        return self.prefix / "logs" / "nginx.pid"

    def start(self, argv=None):
        out = self.prefix.parent / f"run-{len(self.outputs)}.out"
        self.outputs.append(out)
        with open(out, "wb") as f:
            self.proc = subprocess.Popen(argv or [str(RUN)], env=self.env,
                                         stdout=f, stderr=subprocess.STDOUT)
        # scripts/run becomes the master (exec): its pid in the pid file,
        # not a stale one, and an answer (scripts/run's own "nginx -t"
        # listens on the port for a moment too) say that it serves
        assert wait_for_pid(self.pidfile, self.proc), self.output()
        assert wait_for_port(self.port, self.proc, timeout=30), self.output()
        assert self.answers(), self.output()
        return self

    def answers(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if self.request("GET", "/health")[0] == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    def output(self):
        return "".join(p.read_text(errors="replace") for p in self.outputs)

    def request(self, method, path, body=None):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body,
                         headers=staff_headers(path, {
                             "Content-Type": "application/json"}))
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            self.proc.wait(timeout=20)
        return self.proc.returncode if self.proc else None

    def bad_log_lines(self):
        log = self.prefix / "logs" / "error.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        # the SIGKILL itself is ours; what nginx does about it is not
        return [line for line in (text + self.output()).splitlines()
                if BAD_LOG_LINE.search(line)]


@pytest.fixture
def launcher():
    base = world_traversable_dir("restart")
    lau = Launcher(base / "prefix")
    yield lau
    lau.stop()
    bad = lau.bad_log_lines()
    import shutil
    shutil.rmtree(base, ignore_errors=True)
    assert not bad, "\n".join(bad)


def booking_date():
    return (datetime.datetime.now(MADRID).date()
            + datetime.timedelta(days=9)).isoformat()


def book(lau, name):
    status, body = lau.request("POST", "/cerebro/reservations", json.dumps({
        "client_name": name, "client_phone": "600 222 333",
        "date": booking_date(), "time": "14:00", "pax": 2}))
    assert status == 201, body
    return json.loads(body)["reservation"]["id"]


def booked_ids(lau):
    status, body = lau.request("GET", "/cerebro/reservations?date="
                               + booking_date())
    assert status == 200, body
    return {r["id"] for r in json.loads(body)["reservations"]}


def test_sigkill_of_the_master_then_run_again(launcher):
    launcher.start()
    first = book(launcher, "Antes del golpe")
    master = launcher.proc.pid
    workers = children(master)
    assert len(workers) == 2

    os.kill(master, signal.SIGKILL)
    launcher.proc.wait()
    # the pid file still names the dead master: scripts/run must not care,
    # and its workers must let the port go by themselves
    assert launcher.pidfile.exists()

    launcher.start()
    for w in workers:
        assert gone(w), f"worker {w} of the killed master is still running"
    assert launcher.request("GET", "/health")[0] == 200
    assert first in booked_ids(launcher)
    second = book(launcher, "Después del golpe")
    assert {first, second} <= booked_ids(launcher)


def test_a_pid_file_naming_another_program_does_not_stop_a_start(launcher):
    (launcher.prefix / "logs").mkdir(parents=True)
    other = subprocess.Popen(["sleep", "60"])
    try:
        launcher.pidfile.write_text(f"{other.pid}\n")
        launcher.start()
        assert launcher.request("GET", "/health")[0] == 200
        assert other.poll() is None, "scripts/run must not touch it"
    finally:
        other.kill()
        other.wait()


def test_a_pid_file_naming_the_script_itself_does_not_stop_a_start(launcher):
    # In a new container on the same volume the pid file holds 1, and
    # scripts/run is process 1: the same number, written here by the shell
    # that then becomes scripts/run (exec keeps the pid).
    (launcher.prefix / "logs").mkdir(parents=True)
    launcher.start(["bash", "-c", f'echo $$ > "{launcher.pidfile}"; '
                                  f'exec "{RUN}"'])
    assert launcher.request("GET", "/health")[0] == 200
