"""Issue 6: the voice channel, POST /vapi/webhook, against the embedded
store (and the Airtable fake for the slow-store deadline)."""

import concurrent.futures
import datetime
import hashlib
import hmac
import json
import sqlite3
import time

import pytest

from harness import REPO
from voice import MADRID, day, fixture, post, result_of, spoken, tool_call
from tests.fakes.airtable import AirtableFake

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"
SECRET = "vapi-test-secret-7731"





def start(nginx_factory, env=None, conf="", workers=2):
    n = nginx_factory(env=env, workers=workers)
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};\n{conf}")
    return n.start()





@pytest.fixture
def vapi(nginx_factory):
    return start(nginx_factory)


# --- message shapes --------------------------------------------------------------

def test_tool_calls_with_object_arguments(vapi):
    r = post(vapi, fixture("tool-calls-object.json"))
    assert r.status == 200
    results = r.json()["results"]
    assert results == [{"name": "check_availability",
                        "toolCallId": "call_avail_1",
                        "result": results[0]["result"]}]
    assert "Sí" in results[0]["result"]
    assert spoken(day()) in results[0]["result"]


def test_tool_calls_with_string_arguments_run_in_order(vapi):
    r = post(vapi, fixture("tool-calls-string-args.json"))
    results = r.json()["results"]
    assert [x["toolCallId"] for x in results] == ["call_str_1", "call_str_2"]
    assert [x["name"] for x in results] == ["check_availability",
                                            "get_restaurant_info"]
    # "las nueve de la noche" is 21:00
    assert "21:00" in results[0]["result"]
    assert results[1]["result"]


def test_tool_calls_with_parameters_and_no_tool_call_list(vapi):
    r = post(vapi, fixture("tool-calls-parameters.json"))
    results = r.json()["results"]
    assert results[0]["toolCallId"] == "call_par_1"
    assert "aparcamiento" in results[0]["result"] \
        or "parking" in results[0]["result"]


def test_legacy_function_call(vapi):
    r = post(vapi, fixture("function-call.json"))
    assert r.status == 200
    body = r.json()
    assert set(body) == {"result"}
    assert spoken(day()) in body["result"]


@pytest.mark.parametrize("name", ["status-update-in-progress.json",
                                  "status-update-ended.json",
                                  "speech-update.json",
                                  "unknown-future-type.json"])
def test_fire_and_forget_messages_get_an_empty_200(vapi, name):
    r = post(vapi, fixture(name))
    assert r.status == 200 and r.json() == {}


def test_transfer_destination(nginx_factory, tmp_path):
    # staffed whatever the hour the test runs at
    n = start_with(nginx_factory, restaurant_file(tmp_path, True))
    r = post(n, fixture("transfer-destination-request.json"))
    dest = r.json()["destination"]
    assert dest["type"] == "number"
    assert dest["number"] == "+34941000000"
    assert dest["message"]


def test_assistant_request_gives_the_whole_assistant(nginx_factory):
    n = start(nginx_factory, env={"VAPI_WEBHOOK_SECRET": SECRET,
                                  "PUBLIC_URL": "https://cerebro.example.com"})
    r = post(n, fixture("assistant-request.json"),
             headers={"X-Vapi-Secret": SECRET})
    a = r.json()["assistant"]
    prompt = a["model"]["messages"][0]["content"]
    today = datetime.datetime.now(MADRID).date()
    assert today.isoformat() in prompt and spoken(today) in prompt
    assert "Europe/Madrid" in prompt and "{{" not in prompt
    functions = [t for t in a["model"]["tools"] if t["type"] == "function"]
    names = [t["function"]["name"] for t in functions]
    assert names == ["check_availability", "create_reservation",
                     "find_reservations", "modify_reservation",
                     "cancel_reservation", "get_restaurant_info",
                     "join_waitlist"]
    for t in functions:
        params = t["function"]["parameters"]
        # VAPI's JsonSchema: one type, no additionalProperties; optional
        # means absent from "required"
        assert "additionalProperties" not in params
        assert set(params["required"]) <= set(params["properties"])
        assert all(isinstance(p["type"], str)
                   for p in params["properties"].values())
        assert t["server"]["url"] == \
            "https://cerebro.example.com/vapi/webhook"
        assert t["server"]["headers"] == {"X-Vapi-Secret": SECRET}
    check = functions[0]["function"]["parameters"]
    assert check["required"] == ["date", "time", "party_size"]
    # the hand-over is VAPI's own transfer, its number asked for by VAPI
    [transfer] = [t for t in a["model"]["tools"]
                  if t["type"] == "transferCall"]
    assert transfer["destinations"] == []
    assert a["server"]["url"] == "https://cerebro.example.com/vapi/webhook"
    assert "secret" not in a["server"] and "serverUrlSecret" not in a
    # the original's stack
    assert a["transcriber"] == {"provider": "deepgram", "model": "nova-3",
                                "language": "es"}
    assert a["voice"]["provider"] == "11labs" and a["voice"]["voiceId"]
    assert (a["model"]["provider"], a["model"]["model"]) == \
        ("openai", "gpt-4o")
    restaurant = json.loads(SMALL.read_text())["name"]
    assert a["firstMessage"] == f"Restaurante {restaurant}, dígame."


def test_the_voice_stack_is_configurable(nginx_factory):
    n = start(nginx_factory, conf=(
        "    cerebro_vapi_voice 11labs voz-de-prueba eleven_turbo_v2_5;\n"
        "    cerebro_vapi_transcriber deepgram nova-2 es-419;\n"
        "    cerebro_vapi_model openai gpt-4o-mini;\n"
        "    cerebro_vapi_first_message \"Hola, ¿en qué puedo ayudarle?\";\n"))
    a = post(n, fixture("assistant-request.json")).json()["assistant"]
    assert a["voice"] == {"provider": "11labs", "voiceId": "voz-de-prueba",
                          "model": "eleven_turbo_v2_5"}
    assert a["transcriber"] == {"provider": "deepgram", "model": "nova-2",
                                "language": "es-419"}
    assert a["model"]["model"] == "gpt-4o-mini"
    assert a["firstMessage"] == "Hola, ¿en qué puedo ayudarle?"


def test_assistant_request_with_a_stored_assistant(nginx_factory):
    aid = "3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f"
    n = start(nginx_factory, env={"VAPI_ASSISTANT_ID": aid})
    body = post(n, fixture("assistant-request.json")).json()
    assert body["assistantId"] == aid
    values = body["assistantOverrides"]["variableValues"]
    assert values["date_iso"] == datetime.datetime.now(MADRID).date() \
        .isoformat()
    assert values["timezone"] == "Europe/Madrid"


# --- the scripted phone call --------------------------------------------------------

def test_a_whole_phone_call(vapi):
    caller = "+34600999888"
    d, later = day(7), day(8)

    def say(name, args, tool_id):
        return result_of(post(vapi, tool_call(name, args, "c-script-1",
                                              tool_id, caller)))

    assert post(vapi, fixture("status-update-in-progress.json")).json() == {}

    text = say("check_availability", {"date": d.isoformat(), "time": "21:00",
                                      "party_size": 2}, "t1")
    assert text.startswith("Sí") and spoken(d) in text

    text = say("create_reservation", {"name": "Lucía", "date": d.isoformat(),
                                      "time": "21:00", "party_size": 2,
                                      "notes": "sin gluten"}, "t2")
    assert "Lucía" in text and spoken(d) in text and "21:00" in text

    text = say("find_reservations", {}, "t3")
    assert "Lucía" in text and spoken(d) in text

    text = say("modify_reservation", {"new_date": later.isoformat(),
                                      "new_time": "20:30",
                                      "new_party_size": 3}, "t4")
    assert spoken(later) in text and "20:30" in text

    book = vapi.get(f"/cerebro/reservations?date={later.isoformat()}").json()
    [rec] = book["reservations"]
    assert (rec["client_name"], rec["client_phone"], rec["time"],
            rec["pax"], rec["notes"], rec["source"]) == \
        ("Lucía", caller, "20:30", 3, "sin gluten", "voice")

    text = say("cancel_reservation", {}, "t5")
    assert "cancel" in text.lower() and spoken(later) in text
    book = vapi.get(f"/cerebro/reservations?date={later.isoformat()}").json()
    assert book["reservations"][0]["status"] == "cancelled"

    assert post(vapi, fixture("status-update-ended.json")).json() == {}
    assert post(vapi, fixture("end-of-call-report.json")).json() == {}
    # sent twice (VAPI may): one entry
    assert post(vapi, fixture("end-of-call-report.json")).json() == {}

    db = sqlite3.connect(vapi.prefix / "data" / "cerebro.sqlite")
    rows = db.execute("SELECT call_id, caller, duration_s, ended_reason, "
                      "summary, cost, booked, changed, cancelled "
                      "FROM call_log").fetchall()
    db.close()
    assert rows == [("c-script-1", caller, 210, "customer-ended-call",
                     "Reservó, cambió y canceló una mesa.", 0.1234, 1, 1, 1)]


def test_old_end_of_call_layout(vapi):
    assert post(vapi, fixture("end-of-call-report-old.json")).json() == {}
    db = sqlite3.connect(vapi.prefix / "data" / "cerebro.sqlite")
    rows = db.execute("SELECT call_id, summary, duration_s FROM call_log") \
        .fetchall()
    db.close()
    assert rows == [("c-old-1", "Preguntó por el horario.", 60)]


# --- what the assistant is told to ask ----------------------------------------------

@pytest.mark.parametrize("args, words", [
    ({"time": "21:00", "party_size": 2}, "día"),
    ({"date": "mañana", "party_size": 2}, "hora"),
    ({"date": "mañana", "time": "21:00"}, "personas"),
    ({"date": "31 de febrero", "time": "21:00", "party_size": 2}, "fecha"),
    ({"date": "mañana", "time": "25:00", "party_size": 2}, "hora"),
    ({"date": "mañana", "time": "21:00", "party_size": 0}, "personas"),
])
def test_missing_or_invalid_arguments_say_what_to_ask(vapi, args, words):
    text = result_of(post(vapi, tool_call("check_availability", args)))
    assert words in text


def test_a_past_date_is_refused_naming_the_day_understood(vapi):
    yesterday = day(-1)
    for said in ("ayer", f"el {yesterday.day} de "
                         f"{spoken(yesterday).split(' de ')[1]}"):
        text = result_of(post(vapi, tool_call("check_availability", {
            "date": said, "time": "21:00", "party_size": 2})))
        assert text.startswith("Ayer fue " + spoken(yesterday)), text
        assert "¿para qué día" in text


@pytest.mark.parametrize("said, days", [("dentro de tres días", 3),
                                         ("en 3 días", 3),
                                         ("dentro de una semana", 7)])
def test_relative_spans_are_understood(vapi, said, days):
    text = result_of(post(vapi, tool_call("check_availability", {
        "date": said, "time": "21:00", "party_size": 2})))
    assert spoken(day(days)) in text, text


def test_create_without_a_name_asks_for_it(vapi):
    text = result_of(post(vapi, tool_call("create_reservation", {
        "date": day().isoformat(), "time": "21:00", "party_size": 2})))
    assert "nombre" in text
    assert vapi.get(f"/cerebro/reservations?date={day().isoformat()}") \
        .json()["reservations"] == []


def test_large_group_is_handed_over(vapi):
    text = result_of(post(vapi, tool_call("check_availability", {
        "date": day().isoformat(), "time": "21:00", "party_size": 12})))
    assert "persona del restaurante" in text
    assert vapi.get(f"/cerebro/reservations?date={day().isoformat()}") \
        .json()["reservations"] == []


def test_unknown_tool_is_an_error_result(vapi):
    r = post(vapi, tool_call("order_pizza", {}))
    assert r.status == 200
    assert "order_pizza" in r.json()["results"][0]["error"]


# --- never double-book, never book twice --------------------------------------------

def test_a_retried_tool_call_books_once(vapi):
    msg = tool_call("create_reservation", {"name": "Ana",
                                           "date": day().isoformat(),
                                           "time": "21:00", "party_size": 2},
                    call_id="c-retry", tool_id="t-retry")
    first, second = result_of(post(vapi, msg)), result_of(post(vapi, msg))
    assert "Ana" in first and "Ana" in second
    book = vapi.get(f"/cerebro/reservations?date={day().isoformat()}").json()
    assert len(book["reservations"]) == 1


@pytest.mark.parametrize("with_redis", [False, True])
def test_a_replayed_tool_call_id_gets_the_first_answer(nginx_factory,
                                                       redis_server,
                                                       with_redis):
    n = start(nginx_factory,
              env={"REDIS_URL": redis_server.url} if with_redis else None)
    msg = tool_call("create_reservation", {"name": "Ana",
                                           "date": day().isoformat(),
                                           "time": "21:00", "party_size": 2},
                    call_id="c-replay", tool_id="t-replay-1")
    first = result_of(post(n, msg))
    [rec] = n.get(f"/cerebro/reservations?date={day().isoformat()}") \
        .json()["reservations"]
    # staff cancel it; a replay of the same delivery must not book again
    n.request("DELETE", f"/cerebro/reservations/{rec['id']}")
    assert result_of(post(n, msg)) == first
    book = n.get(f"/cerebro/reservations?date={day().isoformat()}").json()
    assert [r["status"] for r in book["reservations"]] == ["cancelled"]
    if with_redis:
        assert redis_server.cli("EXISTS", "cerebro:v1:vapi:tool:t-replay-1") \
            == "1"


def test_concurrent_creates_for_the_last_tables(vapi):
    def create(i):
        return result_of(post(vapi, tool_call(
            "create_reservation", {"name": f"Cliente {i}",
                                   "date": day().isoformat(),
                                   "time": "21:00", "party_size": 2},
            call_id=f"c-{i}", caller=f"+3460012{i:04d}")))

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        texts = list(pool.map(create, range(12)))

    confirmed = [t for t in texts if t.startswith("Reserva confirmada")]
    assert len(confirmed) == 2, texts
    book = vapi.get(f"/cerebro/reservations?date={day().isoformat()}").json()
    assert sorted(r["table"] for r in book["reservations"]) == ["T1", "T2"]


# --- authentication ------------------------------------------------------------------

@pytest.fixture
def locked(nginx_factory):
    return start(nginx_factory, env={"VAPI_WEBHOOK_SECRET": SECRET})


def signed(body, secret=SECRET, ts=None):
    ts = str(int(time.time()) if ts is None else ts)
    sig = hmac.new(secret.encode(), f"{ts}.{body}".encode(),
                   hashlib.sha256).hexdigest()
    return {"x-signature": sig, "x-timestamp": ts}


@pytest.mark.parametrize("headers", [
    {},
    {"X-Vapi-Secret": "wrong"},
    {"X-Vapi-Secret": SECRET + "x"},
    {"Authorization": "Bearer wrong"},
    {"Authorization": "Basic " + SECRET},
])
def test_wrong_or_missing_credentials_get_401(locked, headers):
    r = post(locked, fixture("speech-update.json"), headers=headers)
    assert r.status == 401
    assert r.json()["error"]


def test_stale_or_tampered_hmac_gets_401(locked):
    body = fixture("speech-update.json")
    assert post(locked, body, signed(body, ts=int(time.time()) - 3600)) \
        .status == 401
    assert post(locked, body.replace("c-x", "c-y"), signed(body)).status \
        == 401


@pytest.mark.parametrize("how", ["legacy", "bearer", "hmac"])
def test_each_credential_shape_is_accepted(locked, how):
    body = fixture("tool-calls-object.json")
    headers = {"legacy": {"X-Vapi-Secret": SECRET},
               "bearer": {"Authorization": f"Bearer {SECRET}"},
               "hmac": signed(body)}[how]
    r = post(locked, body, headers)
    assert r.status == 200
    assert r.json()["results"][0]["toolCallId"] == "call_avail_1"


def test_refusals_never_log_the_secret(locked):
    post(locked, fixture("speech-update.json"),
         headers={"X-Vapi-Secret": "wrong"})
    locked.stop()
    assert SECRET not in locked.log_text()
    assert "VAPI webhook refused" in locked.log_text()


# --- the hand-over: VAPI's transfer, to a number that depends on the hour -----------

def restaurant_file(tmp_path, open_all_day):
    """The small restaurant, open round the clock or never."""
    data = json.loads(SMALL.read_text())
    days = list(data["services"])
    if open_all_day:
        # noon to noon: somebody is there whatever the hour of the test
        for d in days:
            data["services"][d] = [{"name": "cena", "start": "12:00",
                                    "end": "11:59", "last_seating": "23:00"}]
    else:
        data["closed_weekdays"] = days
        for d in days:
            data["services"][d] = []
    path = tmp_path / ("open.json" if open_all_day else "closed.json")
    path.write_text(json.dumps(data))
    return path


def start_with(nginx_factory, restaurant, conf=""):
    n = nginx_factory()
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {restaurant};\n"
                f"{conf}")
    return n.start()


def test_a_call_that_asks_for_a_person_is_transferred(nginx_factory,
                                                       tmp_path):
    n = start_with(nginx_factory, restaurant_file(tmp_path, True),
                   "    cerebro_transfer_number +34941111222;\n")
    a = post(n, fixture("assistant-request.json")).json()["assistant"]
    assert [t for t in a["model"]["tools"] if t["type"] == "transferCall"]
    # the guest asks; the model calls transferCall; VAPI asks where to
    r = post(n, {"message": {
        "type": "transfer-destination-request",
        "call": {"id": "c-transfer", "customer": {"number": "+34600111222"}},
        "artifact": {"messages": [
            {"role": "bot", "message": "¿En qué puedo ayudarle?"},
            {"role": "user", "message": "Quiero hablar con una persona, "
                                        "es para un grupo de veinte"}]}}})
    assert r.status == 200
    assert r.json() == {"destination": {
        "type": "number", "number": "+34941111222",
        "message": "Le paso con el restaurante."}}
    # the reason is kept in the log
    assert "grupo de veinte" in n.error_log.read_text()


def test_after_hours_the_transfer_goes_to_the_after_hours_number(
        nginx_factory, tmp_path):
    closed = restaurant_file(tmp_path, False)
    n = start_with(nginx_factory, closed,
                   "    cerebro_transfer_after_hours 600123456;\n")
    r = post(n, fixture("transfer-destination-request.json"))
    assert r.json()["destination"]["number"] == "+34600123456"


def test_after_hours_without_a_number_the_transfer_is_refused(
        nginx_factory, tmp_path):
    n = start_with(nginx_factory, restaurant_file(tmp_path, False))
    r = post(n, fixture("transfer-destination-request.json"))
    assert r.status == 200
    body = r.json()
    assert set(body) == {"error"} and "cerrado" in body["error"]


# --- every tool-calls message answers 200, whatever went wrong -------------------------

def tool_calls(calls):
    return {"message": {"type": "tool-calls", "toolCallList": calls,
                        "call": {"id": "c-1"}}}


@pytest.mark.parametrize("message", [
    {"message": {"type": "tool-calls"}},
    {"message": {"type": "tool-calls", "toolCallList": []}},
    {"message": {"type": "tool-calls", "toolCallList": "nada"}},
    {"message": {"type": "tool-calls", "toolCallList": [],
                 "toolWithToolCallList": []}},
], ids=["no list", "empty", "not a list", "both empty"])
def test_tool_calls_without_calls_get_200_and_an_error(vapi, message):
    r = post(vapi, message)
    assert r.status == 200
    assert r.json()["results"] == [] and r.json()["error"]


@pytest.mark.parametrize("call, expect", [
    ({"id": "t-a", "type": "function"}, "error"),
    ({"id": "t-b", "type": "function", "function": {"name": "pizza"}},
     "error"),
    ({"id": "t-c", "type": "function",
      "function": {"name": "check_availability", "arguments": "{no json"}},
     "result"),
    ({"id": "t-d", "type": "function",
      "function": {"name": "check_availability", "arguments": 42}},
     "result"),
    ({"type": "function", "function": {"name": "get_restaurant_info",
                                       "arguments": {}}}, "result"),
], ids=["no function", "unknown tool", "arguments not JSON",
        "arguments a number", "no id"])
def test_a_bad_call_gets_200_and_its_own_answer(vapi, call, expect):
    r = post(vapi, tool_calls([call]))
    assert r.status == 200
    [res] = r.json()["results"]
    assert res["toolCallId"] == call.get("id", "")
    assert expect in res and "\n" not in res[expect]


def test_too_many_calls_in_one_message_each_get_an_answer(vapi):
    calls = [{"id": f"t-{i}", "type": "function",
              "function": {"name": "get_restaurant_info",
                           "arguments": {"topic": "parking"}}}
             for i in range(40)]
    r = post(vapi, tool_calls(calls))
    assert r.status == 200
    results = r.json()["results"]
    assert [x["toolCallId"] for x in results] == [c["id"] for c in calls]
    assert all("result" in x for x in results[:32])
    assert all("error" in x for x in results[32:])


def test_the_top_level_tool_call_form_is_read(vapi):
    # {"id","name","parameters"} with no "function": an example of VAPI's
    r = post(vapi, tool_calls([{"id": "abc123", "name": "get_restaurant_info",
                                "parameters": {"topic": "parking"}}]))
    [res] = r.json()["results"]
    assert res["toolCallId"] == "abc123"
    assert res["name"] == "get_restaurant_info"
    assert "parking" in res["result"]


def test_a_legacy_function_call_without_a_function_gets_200(vapi):
    r = post(vapi, {"message": {"type": "function-call"}})
    assert r.status == 200 and set(r.json()) == {"result"}


# --- bad input -----------------------------------------------------------------------

@pytest.mark.parametrize("body, status", [
    ("not json", 400),
    ('{"message": {"type": "tool-calls", "toolCallList": [', 400),
    ('{"hello": 1}', 400),
    ('{"message": {"type": "end-of-call-report"}}', 400),
])
def test_bad_messages_get_a_json_4xx(vapi, body, status):
    r = post(vapi, body)
    assert r.status == status
    assert r.json()["error"]
    assert vapi.get("/health").status == 200


def test_wrong_content_type_gets_415(vapi):
    r = vapi.request("POST", "/vapi/webhook", body="{}",
                     headers={"Content-Type": "text/plain"})
    assert r.status == 415 and r.json()["error"]


def test_oversized_body_gets_a_json_413(vapi):
    r = post(vapi, '{"message": {"type": "x", "pad": "' + "a" * (2 << 20)
             + '"}}')
    assert r.status == 413
    assert r.json()["error"]


def test_get_is_not_allowed(vapi):
    r = vapi.get("/vapi/webhook")
    assert r.status == 405 and r.header("allow") == "POST, OPTIONS"


# --- the deadline ----------------------------------------------------------------------

def test_a_slow_store_gives_an_apology_before_the_deadline(nginx_factory,
                                                            prefixes):
    fake = AirtableFake(token="patSLOW", rate_pause=1.0)
    fake.start()
    try:
        fake.set_latency(5.0)
        n = nginx_factory(env={"AIRTABLE_API_KEY": "patSLOW",
                               "AIRTABLE_BASE_ID": fake.base_id,
                               "AIRTABLE_API_URL": fake.url})
        n.render()
        n.edit_conf("http {", "http {\n    cerebro_vapi_timeout 1s;")
        n.start()
        t0 = time.monotonic()
        text = result_of(post(n, tool_call("check_availability", {
            "date": day().isoformat(), "time": "21:00", "party_size": 2})))
        elapsed = time.monotonic() - t0
        assert elapsed < 3.0
        assert "tardando" in text or "no puedo consultar" in text
        assert fake.records("Reservas") == []
    finally:
        fake.stop()


def test_a_ringing_call_warms_the_cache(nginx_factory, redis_server):
    n = start(nginx_factory, env={"REDIS_URL": redis_server.url})
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and \
            n.get("/health").json()["checks"]["cache"] != "redis":
        time.sleep(0.1)
    assert redis_server.cli("KEYS", "*:day:*") == ""
    r = post(n, fixture("status-update-in-progress.json"))
    assert r.status == 200 and r.json() == {}
    today = datetime.datetime.now(MADRID).date()
    # the next three days, and the fortnight after them where a full
    # evening's alternatives are looked for
    want = {(today + datetime.timedelta(days=i)).isoformat()
            for i in range(3 + 14)}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        keys = redis_server.cli("KEYS", "*:day:*").split()
        if {k.rsplit(":", 1)[1] for k in keys} >= want:
            break
        time.sleep(0.05)
    assert {k.rsplit(":", 1)[1] for k in keys} >= want
    # and the caller's own bookings
    assert redis_server.cli("KEYS", "*:phone:+34600999888") != ""
    # and a call that ends warms nothing more
    assert post(n, fixture("status-update-ended.json")).json() == {}


def test_guests_are_recorded_after_a_booking(vapi):
    result_of(post(vapi, tool_call("create_reservation", {
        "name": "Marta", "date": day().isoformat(), "time": "21:00",
        "party_size": 2}, caller="+34600555444")))
    db = sqlite3.connect(vapi.prefix / "data" / "cerebro.sqlite")
    deadline = time.monotonic() + 5
    rows = []
    while time.monotonic() < deadline and not rows:
        rows = db.execute("SELECT name, phone FROM guests").fetchall()
        time.sleep(0.05)
    db.close()
    assert rows == [("Marta", "+34600555444")]
