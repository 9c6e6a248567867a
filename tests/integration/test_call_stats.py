"""Issue 16: the per-day figures a manager reads (GET /cerebro/stats/calls),
from the call log that VAPI's end-of-call reports fill: calls a day of the
restaurant's calendar and their conversion."""

import datetime
import json

from voice import MADRID, fixture, post


def report(call_id, started, booked=False):
    msg = json.loads(fixture("end-of-call-report.json"))
    m = msg["message"]
    m["call"]["id"] = call_id
    m["startedAt"] = started.astimezone(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")
    m["endedAt"] = (started + datetime.timedelta(minutes=3)).astimezone(
        datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    # the fixture's call books, changes and cancels: only the booking kept
    m["artifact"]["messages"] = [
        x for x in m["artifact"]["messages"]
        if x.get("name") is None
        or (booked and x.get("name") == "create_reservation")]
    return msg


def at(days_ago, hour, minute=0):
    d = datetime.datetime.now(MADRID).date() - datetime.timedelta(
        days=days_ago)
    return datetime.datetime(d.year, d.month, d.day, hour, minute,
                             tzinfo=MADRID)


def test_calls_a_day_and_conversion(nginx):
    calls = [("c-s-1", at(0, 13), True), ("c-s-2", at(0, 14), False),
             ("c-s-3", at(0, 0, 30), False),
             # 00:30 in Madrid is the day before in UTC, 23:30 still the
             # same day: both are counted on Madrid's day
             ("c-s-4", at(2, 23, 30), True),
             ("c-s-5", at(40, 21), True)]
    for call_id, started, booked in calls:
        assert post(nginx, report(call_id, started, booked)).json() == {}
    # a report VAPI sent again is not another call
    assert post(nginx, report("c-s-1", at(0, 13), True)).json() == {}

    r = nginx.get("/cerebro/stats/calls")
    assert r.status == 200, r.body
    body = r.json()
    days = body["days"]
    assert len(days) == 30
    today = datetime.datetime.now(MADRID).date()
    assert days[-1]["date"] == today.isoformat()
    assert days[0]["date"] == (today - datetime.timedelta(days=29)
                               ).isoformat()
    by_date = {d["date"]: d for d in days}
    t = by_date[today.isoformat()]
    assert (t["calls"], t["booked"]) == (3, 1)
    assert abs(t["conversion"] - 1 / 3) < 1e-9
    two = by_date[(today - datetime.timedelta(days=2)).isoformat()]
    assert (two["calls"], two["booked"], two["conversion"]) == (1, 1, 1)
    assert sum(d["calls"] for d in days) == 4
    assert body["total"]["calls"] == 4 and body["total"]["booked"] == 2
    assert body["total"]["conversion"] == 0.5
    assert body["truncated"] is False

    week = nginx.get("/cerebro/stats/calls?days=7").json()["days"]
    assert len(week) == 7 and week[-1]["date"] == today.isoformat()


def test_bad_days_are_refused(nginx):
    for q in ("0", "367", "x", "-1"):
        r = nginx.get("/cerebro/stats/calls?days=" + q)
        assert r.status == 400
        assert r.json()["error"] == "days is 1 to 366"
    assert nginx.request("POST", "/cerebro/stats/calls").status == 405
