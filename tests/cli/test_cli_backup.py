"""cerebro backup, restore and migrate: an Airtable base to files and back
into an empty base, and the embedded store into Airtable, twice, without
duplicates."""

import csv
import json
import os
import pty
import select
import sqlite3
import subprocess
import time

import pytest

from harness import Nginx, world_traversable_dir

from cli_env import BASE, CEREBRO, assert_no_secret

OTHER = "appRestoredBase01"


def bookings(n):
    return [{"client_name": "Ana %d" % i,
             "client_phone": "+34600111%03d" % i,
             "date_time": "2026-12-%02dT20:%02d:00.000Z" % (i % 28 + 1, i % 60),
             "pax": i % 6 + 1, "table": "T%d" % (i % 14 + 1),
             "status": "cancelled" if i % 7 == 0 else "confirmed",
             "notes": "línea 1, \"comillas\"" if i == 3 else ""}
            for i in range(n)]


def comparable(records):
    return sorted(json.dumps(r["fields"], sort_keys=True) for r in records)


@pytest.fixture
def filled(account):
    r = account.run("provision", "airtable")
    assert r.rc == 0, r
    account.airtable.add_records("Reservas", bookings(23), base=BASE)
    account.airtable.add_records("Clientes", [
        {"name": "Ana", "phone": "+34600111000", "email": "ana@example.com",
         "preferences": "sin gluten; terraza"}], base=BASE)
    account.airtable.add_records("Llamadas", [
        {"call_id": "c-1", "caller": "+34600111000", "duration_s": 210,
         "booked": True, "cost": 0.1234,
         "started": "2026-11-28T19:00:00.000Z"}], base=BASE)
    # pages of 7 records: the backup must follow offset
    account.airtable.configure(max_page_size=7)
    # the runs before start from a quiet base: the limiter counts anew
    account.airtable.rate = {}
    account.airtable.rate_limited_count = 0
    return account


def test_backup_writes_every_table_with_its_schema(filled, tmp_path):
    a = filled
    d = tmp_path / "bk"
    r = a.run("backup", "--dir", str(d))
    assert r.rc == 0, r
    assert r.out == "backup: 6 tables, 43 records of base %s in %s\n" \
        % (BASE, d)
    # not a terminal: one plain line per table
    assert "backup Reservas, 23 records: 1 of 6" in r.err.splitlines()
    assert "\r" not in r.err
    names = sorted(p.name for p in d.iterdir())
    assert names == sorted(["manifest.json", "schema.json"]
                           + ["%s.%s" % (t, x) for t in
                              ("Reservas", "Mesas", "Clientes", "FAQ",
                               "Llamadas", "Grupos") for x in ("json",
                                                               "csv")])
    saved = json.loads((d / "Reservas.json").read_text())
    assert comparable(saved["records"]) == comparable(
        a.airtable.records("Reservas", BASE))
    rows = list(csv.DictReader(open(d / "Reservas.csv", newline="")))
    assert len(rows) == 23
    assert rows[3]["notes"] == "línea 1, \"comillas\""
    schema = json.loads((d / "schema.json").read_text())
    assert "Llamadas" in [t["name"] for t in schema["tables"]]
    # five requests a second at most: the fake never answered 429
    assert a.airtable.rate_limited_count == 0
    assert len(a.airtable.requests(path="/v0/")) >= 4 + 6
    assert_no_secret(r.out, r.err, *(p.read_text() for p in d.iterdir()))


def test_restore_into_an_empty_base_gives_the_same_records(filled,
                                                            tmp_path):
    a = filled
    d = tmp_path / "bk"
    assert a.run("backup", "--dir", str(d)).rc == 0
    a.airtable.seed({"base": OTHER, "replace": True})
    env = {"AIRTABLE_BASE_ID": OTHER}

    dry = a.run("restore", "--dir", str(d), "--dry-run", env=env)
    assert dry.rc == 0, dry
    assert "would create table Reservas (9 fields)" in dry.out
    assert a.airtable.state()["bases"][OTHER] == {}

    r = a.run("restore", "--dir", str(d), env=env)
    assert r.rc == 0, r
    assert r.out.splitlines()[-1] == \
        "restore: 43 records put into base %s" % OTHER
    for table in ("Reservas", "Mesas", "Clientes", "Llamadas", "Grupos"):
        assert comparable(a.airtable.records(table, OTHER)) == comparable(
            a.airtable.records(table, BASE)), table
    old = a.airtable.state()["bases"][BASE]["Reservas"]["fields"]
    new = a.airtable.state()["bases"][OTHER]["Reservas"]["fields"]
    assert [(f["name"], f["type"]) for f in old] == \
        [(f["name"], f["type"]) for f in new]

    # a second restore leaves the filled tables alone
    writes = a.airtable.writes()
    again = a.run("restore", "--dir", str(d), env=env)
    assert again.rc == 0
    assert "skip  table Reservas already holds records: left alone" \
        in again.out
    assert len(a.airtable.records("Reservas", OTHER)) == 23
    assert a.airtable.writes() == writes
    assert a.airtable.rate_limited_count == 0


def test_restore_needs_a_backup(account, tmp_path):
    r = account.run("restore", "--dir", str(tmp_path / "none"))
    assert r.rc == 1
    assert "cannot read" in r.err and "--dir" in r.err
    r = account.run("restore")
    assert r.rc == 2 and "needs the backup's directory" in r.err


def test_a_terminal_gets_a_progress_bar(filled, tmp_path):
    """stderr on a pseudo-terminal: the bar is redrawn in place."""
    master, slave = pty.openpty()
    env = dict(filled.env)
    p = subprocess.Popen([str(CEREBRO), "backup", "--dir",
                          str(tmp_path / "bk")], env=env, stdin=slave,
                         stdout=subprocess.PIPE, stderr=slave,
                         cwd=str(tmp_path))
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    p.wait(30)
    os.close(master)
    assert p.returncode == 0
    text = seen.decode()
    assert "\r" in text and "[" + "#" * 30 + "] 6/6" in text
    assert "backup Reservas, 23 records" in text


# ---- migrate ---------------------------------------------------------------

def tool_call(name, args, call_id, caller):
    return {"message": {
        "type": "tool-calls",
        "toolCallList": [{"id": "t-" + call_id, "type": "function",
                          "function": {"name": name, "arguments": args}}],
        "call": {"id": call_id, "customer": {"number": caller}}}}


@pytest.fixture
def embedded():
    """An embedded store made by the module itself: bookings through VAPI
    tool calls, a call log through an end-of-call report."""
    base = world_traversable_dir("migrate")
    data = base / "data"
    n = Nginx(base / "prefix", env={"CEREBRO_DATA_DIR": str(data)},
              workers=1)
    n.start()
    try:
        day = time.strftime("%Y-%m-%d", time.localtime(time.time()
                                                       + 9 * 86400))
        for i, (who, phone) in enumerate([("Lucía", "+34600111001"),
                                          ("Pedro", "+34600111002"),
                                          ("Lucía", "+34600111001")]):
            r = n.request("POST", "/vapi/webhook", body=json.dumps(tool_call(
                "create_reservation", {"name": who, "date": day,
                                       "time": "%d:00" % (13 + i),
                                       "party_size": 2 + i,
                                       "confirmed": True},
                "call-%d" % i, phone)),
                headers={"Content-Type": "application/json"})
            assert r.status == 200, r.body
        report = {"message": {
            "type": "end-of-call-report", "endedReason": "customer-ended-call",
            "startedAt": "2026-11-28T19:00:00.000Z",
            "endedAt": "2026-11-28T19:03:30.000Z", "cost": 0.1234,
            "analysis": {"summary": "Reservó una mesa."},
            "call": {"id": "call-0", "customer": {"number": "+34600111001"}}}}
        r = n.request("POST", "/vapi/webhook", body=json.dumps(report),
                      headers={"Content-Type": "application/json"})
        assert r.status == 200
    finally:
        n.stop()
    db = sqlite3.connect(str(data / "cerebro.sqlite"))
    counts = {t: db.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
              for t in ("reservations", "guests", "call_log")}
    now = int(time.time())
    # a guest who wrote STOP on WhatsApp
    db.execute("INSERT INTO opt_out (phone, opted_out, updated) VALUES "
               "('+34600111002', 1, ?)", (now,))
    db.commit()
    db.close()
    assert counts["reservations"] == 3 and counts["call_log"] == 1, counts
    yield data, counts
    import shutil
    shutil.rmtree(base, ignore_errors=True)


def test_migrate_twice_copies_once(account, embedded):
    data, counts = embedded
    assert account.run("provision", "airtable").rc == 0

    dry = account.run("migrate", "--to", "airtable", "--data-dir", str(data),
                      "--dry-run")
    assert dry.rc == 0, dry
    assert "would copy 3 of 3 bookings" in dry.out
    assert account.airtable.records("Reservas", BASE) == []

    r = account.run("migrate", "--to", "airtable", "--data-dir", str(data))
    assert r.rc == 0, r
    assert "copy 3 of 3 bookings" in r.out
    assert "copy 1 of 1 calls" in r.out
    assert "keep  1 WhatsApp opt-out in %s/cerebro.sqlite" % data in r.out
    res = account.airtable.records("Reservas", BASE)
    assert sorted(x["fields"]["client_phone"] for x in res) == \
        ["+34600111001", "+34600111001", "+34600111002"]
    assert {x["fields"]["source"] for x in res} == {"voice"}
    assert len(account.airtable.records("Clientes", BASE)) \
        == counts["guests"]
    call = account.airtable.records("Llamadas", BASE)[0]["fields"]
    assert call["call_id"] == "call-0" and call["duration_s"] == 210
    assert call["started"] == "2026-11-28T19:00:00.000Z"

    writes = account.airtable.writes()
    again = account.run("migrate", "--to", "airtable", "--data-dir",
                        str(data))
    assert again.rc == 0, again
    assert "copy 0 of 3 bookings (the others are in the base already)" \
        in again.out
    assert "copy 0 of 1 calls" in again.out
    assert account.airtable.writes() == writes
    assert len(account.airtable.records("Reservas", BASE)) == 3
    assert_no_secret(r.out, r.err, again.out)


def test_migrate_says_what_is_missing(account, tmp_path):
    r = account.run("migrate", "--to", "airtable", "--data-dir",
                    str(tmp_path))
    assert r.rc == 2 and "no embedded store at" in r.err
    r = account.run("migrate", "--to", "sqlite")
    assert r.rc == 2 and "--to airtable" in r.err
