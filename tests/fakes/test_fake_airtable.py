"""Self-tests of the Airtable fake, over HTTP with urllib."""

import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from .airtable import AirtableClient, AirtableFake, DEFAULT_SCHEMA
from .common import FakeProcess
from .helpers import bearer, http

TOKEN = "patTEST.selftest"


@pytest.fixture
def fake():
    f = AirtableFake(token=TOKEN, rate_limit=0)
    f.start()
    yield f
    f.stop()


def url(f, table="Reservas", rest=""):
    return "%s/v0/%s/%s%s" % (f.url, f.base_id, table, rest)


def get(f, table="Reservas", **query):
    return http("GET", url(f, table), headers=bearer(TOKEN), query=query)


def send(f, method, body, table="Reservas", rest=""):
    return http(method, url(f, table, rest), body=body,
                headers=bearer(TOKEN))


def seed_bookings(f):
    return f.add_records("Reservas", [
        {"client_name": "Ana García", "client_phone": "+34600111222",
         "date_time": "2026-11-28T21:00:00+01:00", "pax": 4,
         "table": "T1", "status": "confirmed"},
        {"client_name": "O'Brien", "client_phone": "+34600333444",
         "date_time": "2026-11-28T19:30:00Z", "pax": 2,
         "table": "T2", "status": "pending"},
        # 00:30 on the 29th in Madrid, the 28th in UTC
        {"client_name": "Luis", "client_phone": "+34600555666",
         "date_time": "2026-11-28T23:30:00Z", "pax": 6,
         "table": "T3", "status": "confirmed"},
        {"client_name": "Marta }{ x", "client_phone": "+34600777888",
         "date_time": "2026-11-30T13:00:00Z", "pax": 3,
         "status": "cancelled"},
    ])


def names(answer):
    return sorted(r["fields"].get("client_name")
                  for r in answer.json()["records"])


def test_auth_missing_and_wrong(fake):
    for headers in ({}, bearer("patWRONG"), {"Authorization": "Basic x"}):
        a = http("GET", url(fake), headers=headers)
        assert a.status == 401
        assert a.json()["error"]["type"] == "AUTHENTICATION_REQUIRED"
    assert get(fake).status == 200


def test_default_schema_exact_fields(fake):
    a = http("GET", "%s/v0/meta/bases/%s/tables" % (fake.url, fake.base_id),
             headers=bearer(TOKEN))
    assert a.status == 200
    got = {t["name"]: [f["name"] for f in t["fields"]]
           for t in a.json()["tables"]}
    assert got == {t: list(f) for t, f in DEFAULT_SCHEMA.items()}


def test_record_shape_and_empty_fields_omitted(fake):
    a = send(fake, "POST", {"records": [{"fields": {
        "client_name": "Ana", "pax": 2, "table": "",
        "client_phone": None, "date_time": "2026-11-28T21:00:00+01:00"}}]})
    assert a.status == 200, a.body
    rec = a.json()["records"][0]
    assert re.fullmatch(r"rec[A-Za-z0-9]{14}", rec["id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",
                        rec["createdTime"])
    assert rec["fields"] == {"client_name": "Ana", "pax": 2,
                             "date_time": "2026-11-28T20:00:00.000Z"}
    one = http("GET", url(fake, rest="/" + rec["id"]), headers=bearer(TOKEN))
    assert one.json() == rec


def test_paging_to_the_end(fake):
    fake.configure(max_page_size=3)
    fake.add_records("FAQ", [{"question": "q%02d" % i, "answer": "a"}
                             for i in range(10)])
    seen, pages, offset = [], 0, None
    while True:
        q = {"pageSize": 100}
        if offset:
            q["offset"] = offset
        a = get(fake, "FAQ", **q)
        assert a.status == 200
        body = a.json()
        assert len(body["records"]) <= 3
        seen += [r["fields"]["question"] for r in body["records"]]
        pages += 1
        offset = body.get("offset")
        if not offset:
            break
    assert pages == 4
    assert seen == ["q%02d" % i for i in range(10)]
    # an offset is only valid for the same query
    first = get(fake, "FAQ").json()["offset"]
    a = get(fake, "FAQ", offset=first, filterByFormula="1")
    assert a.status == 422
    assert a.json()["error"]["type"] == "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"
    assert get(fake, "FAQ", offset="itrBOGUS/recBOGUS").status == 422


def test_page_size_max_records_fields_sort(fake):
    seed_bookings(fake)
    assert get(fake, pageSize=101).status == 422
    a = get(fake, **{"sort[0][field]": "pax", "sort[0][direction]": "desc",
                     "fields[]": ["client_name", "pax"], "maxRecords": 3})
    recs = a.json()["records"]
    assert [r["fields"]["pax"] for r in recs] == [6, 4, 3]
    assert all(set(r["fields"]) == {"client_name", "pax"} for r in recs)
    assert "offset" not in a.json()
    a = get(fake, **{"fields[]": ["nope"]})
    assert a.status == 422
    assert a.json()["error"]["type"] == "UNKNOWN_FIELD_NAME"
    # a parameter Airtable does not know (e.g. fields without brackets)
    assert get(fake, fields="pax").status == 422


FORMULAS = [
    ("{client_name}='O\\'Brien'", ["O'Brien"]),
    ('{client_name}="O\'Brien"', ["O'Brien"]),
    ("{client_name}='Marta }{ x'", ["Marta }{ x"]),
    ("AND({pax}>=4,{status}='confirmed')", ["Ana García", "Luis"]),
    ("OR({pax}=2,{pax}=3)", ["Marta }{ x", "O'Brien"]),
    ("NOT({status}='confirmed')", ["Marta }{ x", "O'Brien"]),
    ("{status}!='cancelled'", ["Ana García", "Luis", "O'Brien"]),
    ("{table}=BLANK()", ["Marta }{ x"]),
    ("{table}=''", ["Marta }{ x"]),
    ("LOWER({client_name})='luis'", ["Luis"]),
    ("UPPER({status})='PENDING'", ["O'Brien"]),
    ("FIND('Garc',{client_name})>0", ["Ana García"]),
    ("SEARCH('zzz',{client_name})", []),
    ("LEN({client_name})=4", ["Luis"]),
    ("{client_phone}&''='+34600111222'", ["Ana García"]),
    ("{pax}*2=12", ["Luis"]),
    ("TRUE()", ["Ana García", "Luis", "Marta }{ x", "O'Brien"]),
    ("FALSE()", []),
    # UTC day: Luis (00:30 Madrid on the 29th) is on the 28th in UTC
    ("IS_SAME({date_time},'2026-11-28','day')",
     ["Ana García", "Luis", "O'Brien"]),
    ("DATETIME_FORMAT(SET_TIMEZONE({date_time},'Europe/Madrid'),"
     "'YYYY-MM-DD')='2026-11-28'", ["Ana García", "O'Brien"]),
    ("DATETIME_FORMAT(SET_TIMEZONE({date_time},'Europe/Madrid'),"
     "'YYYY-MM-DD')='2026-11-29'", ["Luis"]),
    ("DATETIME_FORMAT({date_time},'HH:mm')='20:00'", ["Ana García"]),
    ("IS_AFTER({date_time},'2026-11-28T22:00:00.000Z')",
     ["Luis", "Marta }{ x"]),
    ("IS_BEFORE({date_time},DATETIME_PARSE('28/11/2026 20:00',"
     "'DD/MM/YYYY HH:mm'))", ["O'Brien"]),
    ("IS_SAME(DATEADD({date_time},2,'days'),'2026-12-02','day')",
     ["Marta }{ x"]),
    ("AND(IS_AFTER({date_time},DATETIME_PARSE('2026-11-28')),"
     "IS_BEFORE({date_time},DATEADD(DATETIME_PARSE('2026-11-28'),1,"
     "'days')),{status}!='cancelled')", ["Ana García", "Luis", "O'Brien"]),
]


@pytest.mark.parametrize("formula,expected", FORMULAS)
def test_formula(fake, formula, expected):
    seed_bookings(fake)
    a = get(fake, filterByFormula=formula)
    assert a.status == 200, a.body
    assert names(a) == sorted(expected)


def test_formula_record_id_and_listrecords_post(fake):
    recs = seed_bookings(fake)
    f = "RECORD_ID()='%s'" % recs[1]["id"]
    a = send(fake, "POST", {"filterByFormula": f, "pageSize": 10},
             rest="/listRecords")
    assert a.status == 200, a.body
    assert names(a) == ["O'Brien"]
    a = send(fake, "POST", {"sort": [{"field": "pax"}],
                            "fields": ["pax"]}, rest="/listRecords")
    assert [r["fields"]["pax"] for r in a.json()["records"]] == [2, 3, 4, 6]


@pytest.mark.parametrize("formula", [
    "AND(", "{nope}='x'", "{client_name}='unterminated", "FOO(1)",
    "NOT(1,2)", "{pax} = = 4", "IS_SAME({date_time})", "'a' 'b'",
])
def test_malformed_formula_is_422(fake, formula):
    a = get(fake, filterByFormula=formula)
    assert a.status == 422
    assert a.json()["error"]["type"] == "INVALID_FILTER_BY_FORMULA"


def test_create_limit_and_validation(fake):
    rows = [{"fields": {"question": "q%d" % i}} for i in range(11)]
    a = send(fake, "POST", {"records": rows}, "FAQ")
    assert a.status == 422
    assert fake.records("FAQ") == []
    assert send(fake, "POST", {"records": rows[:10]}, "FAQ").status == 200
    assert len(fake.records("FAQ")) == 10
    a = send(fake, "POST", {"records": [{"fields": {"question": "x"}},
                                        {"fields": {"nope": 1}}]}, "FAQ")
    assert a.status == 422
    assert a.json()["error"]["type"] == "UNKNOWN_FIELD_NAME"
    assert len(fake.records("FAQ")) == 10  # nothing half written
    a = send(fake, "POST", {"records": [{"fields": {"pax": "4"}}]})
    assert a.json()["error"]["type"] == "INVALID_VALUE_FOR_COLUMN"
    a = send(fake, "POST", {"records": [{"fields": {"pax": "4"}}],
                            "typecast": True})
    assert a.json()["records"][0]["fields"]["pax"] == 4
    a = send(fake, "POST", {"records": [{"fields": {
        "date_time": "mañana"}}]})
    assert a.json()["error"]["type"] == "INVALID_VALUE_FOR_COLUMN"


def test_single_select_needs_typecast(fake):
    a = send(fake, "POST", {"records": [{"fields": {"status": "seated"}}]})
    assert a.status == 422
    assert a.json()["error"]["type"] == "INVALID_MULTIPLE_CHOICE_OPTIONS"
    a = send(fake, "POST", {"records": [{"fields": {"status": "seated"}}],
                            "typecast": True})
    assert a.status == 200
    # the option exists now
    assert send(fake, "POST", {"records": [{"fields": {
        "status": "seated"}}]}).status == 200
    assert send(fake, "POST", {"records": [{"fields": {
        "status": "confirmed"}}]}).status == 200


def test_update_put_delete(fake):
    recs = seed_bookings(fake)
    a = send(fake, "PATCH", {"records": [{"id": recs[0]["id"],
                                          "fields": {"pax": 5}}]})
    assert a.status == 200
    assert fake.record("Reservas", recs[0]["id"])["fields"]["pax"] == 5
    assert fake.record("Reservas",
                       recs[0]["id"])["fields"]["client_name"] == "Ana García"
    a = send(fake, "PUT", {"records": [{"id": recs[1]["id"],
                                        "fields": {"pax": 7}}]})
    assert a.json()["records"][0]["fields"] == {"pax": 7}
    a = send(fake, "PATCH", {"records": [{"id": "recDOESNOTEXIST1",
                                          "fields": {"pax": 1}}]})
    assert a.status in (404, 422)
    too_many = [{"id": recs[0]["id"], "fields": {"pax": 1}}] * 11
    assert send(fake, "PATCH", {"records": too_many}).status == 422
    a = http("DELETE", url(fake), headers=bearer(TOKEN),
             query={"records[]": [recs[2]["id"], recs[3]["id"]]})
    assert a.status == 200
    assert a.json() == {"records": [{"id": recs[2]["id"], "deleted": True},
                                    {"id": recs[3]["id"], "deleted": True}]}
    assert len(fake.records("Reservas")) == 2
    a = http("DELETE", url(fake), headers=bearer(TOKEN),
             query={"records[]": ["recX%013d" % i for i in range(11)]})
    assert a.status == 422


def test_upsert(fake):
    body = {"performUpsert": {"fieldsToMergeOn": ["phone"]},
            "records": [{"fields": {"phone": "+34600111222",
                                    "name": "Ana"}}]}
    a = send(fake, "PATCH", body, "Clientes")
    assert a.json()["createdRecords"] and not a.json()["updatedRecords"]
    body["records"][0]["fields"]["preferences"] = "terraza"
    a = send(fake, "PATCH", body, "Clientes")
    assert a.json()["updatedRecords"] and not a.json()["createdRecords"]
    assert len(fake.records("Clientes")) == 1


def test_not_found_shapes(fake):
    a = get(fake, "Nope")
    assert a.status == 404
    assert a.json()["error"]["type"] == "TABLE_NOT_FOUND"
    fake.configure(not_found_style="string")
    assert get(fake, "Nope").json() == {"error": "NOT_FOUND"}
    a = http("GET", "%s/v0/appNOPENOPENOPE12/Reservas" % fake.url,
             headers=bearer(TOKEN))
    assert (a.status, a.json()) == (404, {"error": "NOT_FOUND"})
    a = http("GET", url(fake, rest="/recNOPENOPENOPE12"),
             headers=bearer(TOKEN))
    assert (a.status, a.json()) == (404, {"error": "NOT_FOUND"})


def test_seeded_extra_table(fake):
    fake.seed({"tables": {"CallLog": {
        "fields": {"call_id": "singleLineText", "duration": "number"},
        "records": [{"call_id": "c-1", "duration": 61}]}},
        "drop_tables": ["FAQ"]})
    a = get(fake, "CallLog", filterByFormula="{duration}>60")
    assert a.json()["records"][0]["fields"] == {"call_id": "c-1",
                                                "duration": 61}
    assert get(fake, "FAQ").status == 404


def test_rate_limit_and_pause(fake):
    fake.configure(rate_limit=5, rate_window=1.0, rate_pause=0.6)
    statuses = [get(fake).status for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    a = get(fake)
    assert a.status == 429      # still paused
    assert a.json()["errors"][0]["error"] == "RATE_LIMIT_REACHED"
    assert fake.rate_limited_count == 2
    assert fake.rate_limited()
    time.sleep(0.7)
    assert get(fake).status == 200
    fake.configure(rate_limit_body="error")
    for _ in range(5):
        get(fake)
    a = get(fake)
    assert a.json()["error"]["type"] == "RATE_LIMIT_REACHED"


def test_rate_limit_is_per_window(fake):
    fake.configure(rate_limit=5, rate_window=0.3, rate_pause=5)
    for _ in range(3):
        assert [get(fake).status for _ in range(5)] == [200] * 5
        time.sleep(0.32)
    assert fake.rate_limited_count == 0


def test_concurrent_burst_gets_429(fake):
    fake.configure(rate_limit=5, rate_pause=0.5)
    out = []
    threads = [threading.Thread(target=lambda: out.append(get(fake).status))
               for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out.count(200) == 5 and out.count(429) == 7


def test_latency_and_failures(fake):
    fake.set_latency(0.3, path="/v0/%s/Mesas" % fake.base_id)
    t = time.monotonic()
    assert get(fake, "Mesas").status == 200
    assert time.monotonic() - t >= 0.3
    t = time.monotonic()
    assert get(fake, "FAQ").status == 200
    assert time.monotonic() - t < 0.25
    fake.clear_faults()
    fake.fail_next(2, 503, {"error": {"type": "SERVICE_UNAVAILABLE",
                                      "message": "down"}})
    assert [get(fake).status for _ in range(3)] == [503, 503, 200]
    fake.malformed_next(1)
    a = get(fake)
    assert a.status == 200
    with pytest.raises(ValueError):
        json.loads(a.body)
    fake.drop_next(1)
    with pytest.raises((urllib.error.URLError, ConnectionError,
                        socket.error)):
        urllib.request.urlopen(urllib.request.Request(
            url(fake), headers=bearer(TOKEN)), timeout=5).read()
    assert get(fake).status == 200
    log = fake.requests(path="/v0/")
    assert [e["status"] for e in log][-4:] == [200, 200, None, 200]
    assert log[-2]["dropped"]
    assert log[-1]["headers"]["authorization"] == "Bearer " + TOKEN


def test_log_records_bodies(fake):
    send(fake, "POST", {"records": [{"fields": {"question": "¿Parking?"}}]},
         "FAQ")
    e = fake.requests(method="POST")[-1]
    assert e["json"]["records"][0]["fields"]["question"] == "¿Parking?"
    assert e["status"] == 200 and e["path"].endswith("/FAQ")


def test_stopped_fake_refuses():
    f = AirtableFake(token=TOKEN)
    base = f.start()
    assert http("GET", base + "/v0/x/y", headers=bearer(TOKEN)).status == 404
    f.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base + "/v0/x/y", timeout=2)


def test_subprocess_and_http_control():
    p = FakeProcess("airtable", ["--token", TOKEN, "--config",
                                 json.dumps({"max_page_size": 2,
                                             "rate_limit": 0})],
                    client_class=AirtableClient)
    try:
        c = p.client
        ids = c.add_records("Mesas", [{"name": "T%d" % i, "capacity_min": 1,
                                       "capacity_max": i} for i in range(5)])
        assert len(ids) == 5
        base = c.state()["bases"]
        base_id = list(base)[0]
        a = http("GET", "%s/v0/%s/Mesas" % (p.url, base_id),
                 headers=bearer(TOKEN),
                 query={"filterByFormula": "{capacity_max}>=3"})
        assert [r["fields"]["name"] for r in a.json()["records"]] == \
            ["T3", "T4"]
        c.fail_next(1, 502, "bad gateway")
        assert http("GET", "%s/v0/%s/Mesas" % (p.url, base_id),
                    headers=bearer(TOKEN)).status == 502
        assert [e["status"] for e in c.requests()] == [200, 502]
        c.configure(rate_limit=1, rate_pause=0.2)
        for _ in range(2):
            http("GET", "%s/v0/%s/Mesas" % (p.url, base_id),
                 headers=bearer(TOKEN))
        assert c.rate_limited_count == 1
        c.reset()
        assert c.records("Mesas") == [] and c.requests() == []
    finally:
        p.stop()
    assert p.proc.returncode == 0
