"""Issue 12: VAPI may deliver an end-of-call report twice, at the same
moment.  The call is logged once, on either backend: one atomic write on
the call id (SQLite's INSERT ... ON CONFLICT (call_id), Airtable's
performUpsert on call_id), never a read and then a create."""

import concurrent.futures
import json
import sqlite3
import threading
import time

from harness import REPO
from voice import FIXTURES, post
from test_vapi_airtable import make_fake, start as start_on_airtable

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"
CALLS = 5


def deliver_twice_at_once(n):
    """Each of CALLS reports, sent twice at the same moment."""
    report = json.loads((FIXTURES / "end-of-call-report.json").read_text())
    gate = threading.Barrier(2)

    def send(call_id):
        body = json.loads(json.dumps(report))
        body["message"]["call"]["id"] = call_id
        gate.wait()
        r = post(n, body)
        assert r.status == 200 and r.json() == {}, r.body

    ids = [f"c-twice-{i}" for i in range(CALLS)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for call_id in ids:
            list(pool.map(send, [call_id, call_id]))
    return ids


def test_two_deliveries_at_once_log_the_call_once_embedded(nginx_factory):
    n = nginx_factory()
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};\n")
    n.start()

    ids = deliver_twice_at_once(n)

    db = sqlite3.connect(n.prefix / "data" / "cerebro.sqlite")
    rows = db.execute("SELECT call_id, summary FROM call_log"
                      " ORDER BY call_id").fetchall()
    db.close()
    assert rows == [(i, "Reservó, cambió y canceló una mesa.") for i in ids]


def test_two_deliveries_at_once_log_the_call_once_on_airtable(
        nginx_factory):
    fake = make_fake()
    try:
        n = start_on_airtable(nginx_factory, fake)
        ids = deliver_twice_at_once(n)
        # every write has been answered once nginx has stopped
        assert n.stop() == 0

        logged = sorted(r["fields"]["call_id"]
                        for r in fake.records("Llamadas"))
        assert logged == ids
        writes = [q for q in fake.requests(method="PATCH")
                  if q["path"].endswith("/Llamadas")]
        assert len(writes) == 2 * CALLS
        assert all(json.loads(q["body"])["performUpsert"]
                   == {"fieldsToMergeOn": ["call_id"]} for q in writes)
        assert not [q for q in fake.requests(method="POST")
                    if q["path"].endswith("/Llamadas")]
    finally:
        fake.stop()
