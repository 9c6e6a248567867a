"""Issue 15: the staff console in a real browser — Debian's chromium,
headless, driven by puppeteer-core (tests/browser/, pinned by its lock
file, installed into build/browser/ with `npm ci`). A scripted phone call
books; the staff log in, see it on the day's timeline, book by hand, move
and cancel that booking, find the three WhatsApp confirmations in the
outbox and the call in the call log. Screenshots land in build/browser/shots/ (docs/console-hoy.png in
the README is one). Without a session the console is the login page."""

import datetime
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time

import pytest

from harness import REPO
from voice import MADRID, fixture, post, result_of, tool_call

SOURCE = REPO / "tests" / "browser"
BUILD = REPO / "build" / "browser"
SHOTS = BUILD / "shots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "sala-password-for-the-browser"
USER = "sala"


def in_ci():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def puppeteer():
    missing = [t for t in ("node", "npm") if shutil.which(t) is None]
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(CHROMIUM)
    if missing:
        why = (f"{', '.join(missing)} not found: the console is tested in "
               f"Debian's chromium (scripts/setup.sh test)")
        if in_ci():
            pytest.fail(why, pytrace=False)
        pytest.skip(why)
    BUILD.mkdir(parents=True, exist_ok=True)
    stamp = hashlib.sha256(
        (SOURCE / "package-lock.json").read_bytes()).hexdigest()
    with open(BUILD / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = BUILD / ".installed"
        if not (done.exists() and done.read_text() == stamp and
                (BUILD / "node_modules" / "puppeteer-core").exists()):
            for name in ("package.json", "package-lock.json"):
                shutil.copyfile(SOURCE / name, BUILD / name)
            p = subprocess.run(["npm", "ci", "--ignore-scripts",
                                "--no-audit", "--no-fund", "--prefer-offline"],
                               cwd=BUILD, capture_output=True, text=True,
                               timeout=900)
            assert p.returncode == 0, p.stdout + p.stderr
            done.write_text(stamp)
    shutil.copyfile(SOURCE / "console.mjs", BUILD / "console.mjs")
    SHOTS.mkdir(exist_ok=True)
    return BUILD / "console.mjs"


def run(script, n, what, **env):
    p = subprocess.run(["node", str(script), what], cwd=BUILD, env={
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(BUILD), "CHROMIUM": CHROMIUM,
        "BASE": f"http://127.0.0.1:{n.port}", "USER": USER,
        "PASSWORD": PASSWORD, "SHOTS": str(SHOTS), **env},
        capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stdout + p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert "error" not in out, out["error"] + "\n" + json.dumps(out["steps"])
    assert not [s for s in out["steps"] if s["name"] == "pageerror"], out
    return {s["name"]: s for s in out["steps"]}


def dinner_day():
    """Three or more days ahead, Tuesday to Friday: dinner is served."""
    d = datetime.datetime.now(MADRID).date() + datetime.timedelta(days=3)
    while d.weekday() not in (1, 2, 3, 4):
        d += datetime.timedelta(days=1)
    return d


@pytest.fixture
def server(nginx_factory):
    return nginx_factory(env={"CEREBRO_STAFF_PASSWORD": PASSWORD,
                              "CEREBRO_STAFF_USER": USER}).start()


def test_the_day_book_move_cancel_and_outbox_in_chromium(puppeteer, server):
    day = dinner_day()
    said = result_of(post(server, tool_call("create_reservation", {
        "name": "Ana Teléfono", "date": day.isoformat(), "time": "20:30",
        "party_size": 2}, call_id="c-browser", caller="+34600111222")))
    assert "Ana" in said
    report = json.loads(fixture("end-of-call-report.json"))
    msg = report["message"]
    msg["call"]["id"] = "c-browser"
    msg["call"].setdefault("customer", {})["number"] = "+34600111222"
    started = time.time() - 600
    msg["startedAt"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                     time.gmtime(started))
    msg["endedAt"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                   time.gmtime(started + 95))
    assert post(server, report).json() == {}

    steps = run(puppeteer, server, "flow", DAY=day.isoformat(),
                GUEST="Ana Teléfono")

    assert steps["logged in"]["url"].endswith("/cerebro/")
    assert steps["logged in"]["who"] == USER
    ana = [b for b in steps["the day"]["blocks"] if "Ana Teléfono" in
           b["text"]]
    assert ana and "teléfono" in ana[0]["text"] and "2 pers." in \
        ana[0]["text"] and "+34600111222" in ana[0]["text"]
    assert "cena" in steps["the day"]["services"]
    assert "2 cubiertos" in steps["the day"]["services"]
    assert "Reservado: Berta Mano" in steps["booked"]["notice"]
    berta = [b for b in steps["the day after booking"]["blocks"]
             if "Berta Mano" in b["text"]]
    assert berta and "personal" in berta[0]["text"] \
        and "trona" in berta[0]["text"]
    assert "22:00" in steps["moved"]["notice"]
    assert "cancelada" in steps["cancelled"]["notice"]
    assert not [b for b in steps["the day after cancelling"]["blocks"]
                if "Berta Mano" in b["text"]]
    rows = [r for r in steps["outbox"]["rows"] if "Berta Mano" in r]
    assert len(rows) == 3
    assert any("anulada" in r for r in rows) \
        and any("ha cambiado" in r and "22:00" in r for r in rows)
    assert steps["next days"]["rows"] == 14
    [call] = steps["calls"]["rows"]
    assert "+34600111222" in call and "1:35" in call and "reservó" in call
    assert "1 terminaron en reserva (100 %)" in steps["calls"]["summary"]
    for shot in ("hoy.png", "mensajes.png", "dias.png", "llamadas.png"):
        assert (SHOTS / shot).stat().st_size > 10000

    # what the browser did is what the store holds
    book = server.get(f"/cerebro/reservations?date={day.isoformat()}") \
        .json()["reservations"]
    assert {(b["client_name"], b["time"], b["status"]) for b in book} == {
        ("Ana Teléfono", "20:30", "confirmed"),
        ("Berta Mano", "22:00", "cancelled")}


def test_the_console_wants_a_login_in_chromium(puppeteer, server):
    steps = run(puppeteer, server, "login")
    assert steps["console without a session"] == {
        "name": "console without a session", "status": 401, "form": True}
    assert steps["book without a session"]["status"] == 401
    assert "incorrectos" in steps["wrong password"]["error"]
    # the login page, served in place of the console, stays
    assert steps["wrong password"]["url"].endswith("/cerebro/")
