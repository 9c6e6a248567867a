"""Issue 15: what the staff console does through its JSON — move a booking
(PATCH, engine-checked), and every change by hand confirmed to the guest on
WhatsApp like a phone booking; the restaurant file for the timeline; the
console's files served with their types behind the login."""

import datetime
import json
from zoneinfo import ZoneInfo

import pytest

from harness import REPO

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"
MADRID = ZoneInfo("Europe/Madrid")
JSON = {"Content-Type": "application/json"}


def in_days(n):
    return (datetime.datetime.now(MADRID).date()
            + datetime.timedelta(days=n)).isoformat()


@pytest.fixture
def small(nginx_factory):
    n = nginx_factory()
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};")
    return n.start()


def book(n, **kw):
    body = {"client_name": "Ana", "client_phone": "600 111 222",
            "date": in_days(7), "time": "21:00", "pax": 2}
    body.update(kw)
    return n.request("POST", "/cerebro/reservations", body=json.dumps(body),
                     headers=JSON)


def outbox_to(n, phone):
    r = n.get("/cerebro/outbox")
    assert r.status == 200, r.body
    return [m for m in r.json()["messages"] if m["to"].endswith(phone)]


def test_move_by_hand_and_every_change_is_confirmed(small):
    r = book(small, client_name="Carmen")
    assert r.status == 201, r.body
    rec = r.json()["reservation"]
    r = small.request("PATCH", f"/cerebro/reservations/{rec['id']}",
                      body=json.dumps({"date": in_days(8), "time": "20:30"}),
                      headers=JSON)
    assert r.status == 200, r.body
    moved = r.json()["reservation"]
    assert (moved["date"], moved["time"]) == (in_days(8), "20:30")
    assert small.get(f"/cerebro/reservations?date={in_days(7)}").json()[
        "reservations"] == []
    r = small.request("DELETE", f"/cerebro/reservations/{rec['id']}")
    assert r.status == 200
    bodies = sorted(m["body"] for m in outbox_to(small, "+34600111222"))
    assert len(bodies) == 3, bodies
    assert all("Carmen" in b for b in bodies)
    assert [b for b in bodies if b.startswith("Reserva confirmada")]
    assert [b for b in bodies if "ha cambiado" in b and "20:30" in b]
    assert [b for b in bodies if "anulada" in b]


def test_a_move_into_a_full_slot_proposes_alternatives(small):
    # two tables: two bookings fill 21:00, a third is moved there
    assert book(small, client_name="A").status == 201
    assert book(small, client_name="B", client_phone="600 111 333") \
        .status == 201
    other = book(small, client_name="C", client_phone="600 111 444",
                 time="14:00").json()["reservation"]
    r = small.request("PATCH", f"/cerebro/reservations/{other['id']}",
                      body=json.dumps({"date": in_days(7), "time": "21:00"}),
                      headers=JSON)
    assert r.status == 409, r.body
    assert r.json()["alternatives"]
    still = small.get(f"/cerebro/reservations?date={in_days(7)}").json()
    assert {x["time"] for x in still["reservations"]
            if x["client_name"] == "C"} == {"14:00"}


def test_bad_moves_are_refused_clearly(small):
    rec = book(small).json()["reservation"]
    for body, words in ((b'{"time":"21:00"}', "both"),
                        (b'{"date":"2026-02-31","time":"21:00"}', "date"),
                        (b'{}', "nothing"), (b'[1]', "JSON")):
        r = small.request("PATCH", f"/cerebro/reservations/{rec['id']}",
                          body=body, headers=JSON)
        assert r.status == 400 and words in r.json()["error"], r.body
    r = small.request("PATCH", "/cerebro/reservations", body=b'{"pax":3}',
                      headers=JSON)
    assert r.status == 400


def test_the_restaurant_and_the_console_files(small):
    r = small.get("/cerebro/restaurant")
    assert r.status == 200
    assert [t["name"] for t in r.json()["tables"]] == ["T1", "T2"]
    for path, ctype in (("/cerebro/", "text/html"),
                        ("/cerebro/app.js", "application/javascript"),
                        ("/cerebro/public/console.css", "text/css")):
        r = small.get(path)
        assert r.status == 200, path
        assert r.header("content-type").startswith(ctype), path
        assert r.header("x-frame-options") == "DENY"
        assert "frame-ancestors 'none'" in \
            r.header("content-security-policy")


def test_a_failed_message_is_sent_again_by_hand(nginx_factory):
    from test_outbox import GUEST, TwilioFake, book as voice_book, row_where
    from test_outbox import start as outbox_start

    fake = TwilioFake(window_numbers=[GUEST])
    fake.start()
    try:
        fake.configure(invalid_numbers=[GUEST])
        n = outbox_start(nginx_factory, fake)
        voice_book(n)
        [failed] = row_where(n, lambda m: m["status"] == "failed")
        assert failed["last_error"].startswith("21211")
        fake.configure(invalid_numbers=[])

        def resend():
            return n.request("POST", "/cerebro/outbox", headers=JSON,
                             body=json.dumps({"resend": failed["id"]}))

        r = resend()
        assert r.status == 202, r.body
        again = row_where(n, lambda m: m["id"] != failed["id"]
                          and m["status"] == "sent")
        assert len(again) == 1 and again[0]["body"] == failed["body"]
        # a second click queues nothing more; the failed row stays failed
        assert resend().status == 202
        rows = n.get("/cerebro/outbox").json()["messages"]
        assert len(rows) == 2
        assert [m["status"] for m in rows if m["id"] == failed["id"]] \
            == ["failed"]
        assert len(fake.messages()) == 1
        # only a failed one
        r = n.request("POST", "/cerebro/outbox", headers=JSON,
                      body=json.dumps({"resend": again[0]["id"]}))
        assert r.status == 409
        assert n.request("POST", "/cerebro/outbox", headers=JSON,
                         body=b'{"resend": 99999}').status == 404
    finally:
        fake.stop()


def test_the_call_log_of_the_last_days(small):
    import time as clock
    from voice import fixture, post

    report = json.loads(fixture("end-of-call-report.json"))
    msg = report["message"]
    started = clock.time() - 3600
    msg["startedAt"] = clock.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                      clock.gmtime(started))
    msg["endedAt"] = clock.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                    clock.gmtime(started + 210))
    assert post(small, report).json() == {}
    r = small.get("/cerebro/calls?days=14")
    assert r.status == 200, r.body
    [call] = r.json()["calls"]
    assert call["call_id"] == msg["call"]["id"]
    assert call["duration_s"] == 210
    assert call["summary"] and call["ended_reason"] == msg["endedReason"]
    assert abs(call["started"] - started) < 2
    assert small.get("/cerebro/calls?days=0").status == 400
    assert small.get("/cerebro/calls", anonymous=True).status == 401
