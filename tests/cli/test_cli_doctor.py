"""cerebro doctor and cerebro provision against a fresh account on the
fakes: FAILs with fixes, provision makes them pass, a second provision
writes nothing."""

import json

import pytest

from tests.fakes.airtable import DEFAULT_SCHEMA

from cli_env import (BASE, SECRETS, TWILIO_SID, VAPI_SECRET, WHATSAPP,
                      assert_no_secret)


def statuses(result):
    """{check name: [statuses]} of a --json report"""
    out = {}
    for c in result.json()["checks"]:
        out.setdefault(c["check"], []).append(c["status"])
    return out


def test_a_fresh_account_fails_with_a_fix_for_each(account):
    r = account.run("doctor")
    assert r.rc == 1, r
    fails = r.lines("FAIL")
    names = [l.split()[1].rstrip(":") for l in fails]
    assert names == ["airtable.Reservas", "airtable.Mesas",
                     "airtable.Clientes", "airtable.FAQ", "vapi.server",
                     "twilio.sender"], r
    lines = r.out.splitlines()
    for f in fails:
        fix = lines[lines.index(f) + 1]
        assert fix.startswith("      fix: cerebro provision "), fix
    # the optional tables are a warning, not a failure
    assert any("Llamadas" in l for l in r.lines("warn"))
    assert r.out.splitlines()[-1] == "doctor: 9 ok, 3 warn, 6 FAIL"
    assert account.writes() == {"airtable": 0, "vapi": 0, "twilio": 0}
    assert_no_secret(r.out, r.err)


def test_json_report_says_the_same(account):
    r = account.run("--json", "doctor")
    assert r.rc == 1
    doc = r.json()
    assert doc["ok"] is False and doc["fail"] == 6
    st = statuses(r)
    assert st["airtable.Reservas"] == ["fail"]
    assert st["redis.tracking"] == ["ok"]
    fix = [c for c in doc["checks"] if c["check"] == "vapi.server"][0]
    assert fix["fix"] == "cerebro provision vapi"
    assert account.run("doctor", "--json").json() == doc


def test_dry_run_plans_and_writes_nothing(account):
    r = account.run("provision", "all", "--dry-run")
    assert r.rc == 0, r
    assert "would create table Reservas with 9 fields" in r.out
    assert "would set server URL %s/vapi/webhook" % account.public.url \
        in r.out
    assert "would set WhatsApp sender" in r.out
    assert r.out.splitlines()[-1] == \
        "provision all: 8 changes planned, nothing written (--dry-run)"
    assert account.writes() == {"airtable": 0, "vapi": 0, "twilio": 0}
    assert account.run("doctor").rc == 1


def test_provision_all_makes_doctor_pass_and_twice_changes_nothing(account):
    r = account.run("provision", "all")
    assert r.rc == 0, r
    first = account.writes()
    assert first["airtable"] >= 6 and first["vapi"] == 1 \
        and first["twilio"] == 1

    # what the accounts now hold
    tables = {name: {f["name"]: f["type"] for f in t["fields"]}
              for name, t in account.airtable.state()["bases"][BASE].items()}
    assert tables["Reservas"]["date_time"] == "dateTime"
    assert tables["Reservas"]["status"] == "singleSelect"
    assert tables["Llamadas"]["booked"] == "checkbox"
    assert set(tables) == {"Reservas", "Mesas", "Clientes", "FAQ",
                           "Llamadas", "Grupos"}
    assert [r["fields"]["name"] for r in account.airtable.records(
        "Mesas", BASE)][:2] == ["T1", "T2"]
    pn = account.vapi.state()["phone_numbers"][0]
    assert pn["server"]["url"] == account.public.url + "/vapi/webhook"
    assert pn["server"]["headers"] == {"X-Vapi-Secret": VAPI_SECRET}
    assert pn["fallbackDestination"]["number"] == "+34941000000"
    wh = account.twilio.account_state()["senders"][0]["webhook"]
    assert wh["callback_url"] == account.public.url + "/whatsapp/webhook"
    assert wh["status_callback_url"] == account.public.url \
        + "/whatsapp/status"

    d = account.run("doctor")
    assert d.rc == 0, d
    assert d.lines("FAIL") == [] and d.lines("warn") == []

    again = account.run("provision", "all")
    assert again.rc == 0, again
    assert again.out.splitlines()[-1] == \
        "provision all: 0 changes made, everything was in place"
    assert account.writes() == first
    assert_no_secret(r.out, r.err, d.out, again.out)


def test_a_base_of_the_original_gets_the_optional_parts(account):
    account.airtable.seed({"base": BASE, "replace": True})
    account.airtable.seed({"base": BASE, "tables": {
        name: {"fields": fields} for name, fields in DEFAULT_SCHEMA.items()}})
    account.airtable.add_records("FAQ", [{"question": "¿Parking?",
                                          "answer": "Sí"}], base=BASE)
    r = account.run("doctor")
    assert "ok    airtable.Clientes: has every field we use" in r.out
    assert "warn  airtable.Reservas: optional fields missing: notes, " \
        "source, call_id (bookings are written without them)" in r.out
    assert "warn  airtable.Mesas: has every field but no table to book" \
        in r.out

    p = account.run("provision", "airtable")
    assert p.rc == 0, p
    assert "create field notes" in p.out and "create field call_id" in p.out
    assert "create table Llamadas with 11 fields" in p.out
    assert "add 14 tables from" in p.out
    # the original's records are kept
    assert len(account.airtable.records("FAQ", BASE)) == 1
    assert [l for l in account.run("doctor").lines("warn")
            if "airtable" in l] == []


def test_a_field_of_the_wrong_type_is_not_touched(account):
    schema = dict(DEFAULT_SCHEMA)
    schema["Reservas"] = dict(schema["Reservas"], date_time="singleLineText")
    account.airtable.seed({"base": BASE, "tables": {
        name: {"fields": fields} for name, fields in schema.items()}})
    r = account.run("doctor")
    assert r.rc == 1
    assert "FAIL  airtable.Reservas: field date_time is of type " \
        "singleLineText, which cannot hold a date and time" in r.out
    assert 'fix: change the type of Reservas.date_time to "Date with ' \
        'time" in Airtable' in r.out

    before = account.airtable.schema_writes()
    p = account.run("provision", "airtable")
    assert p.rc == 1, p
    assert "FAIL  airtable.Reservas: field date_time has type " \
        "singleLineText" in p.out
    types = {f["name"]: f["type"] for f in account.airtable.state()[
        "bases"][BASE]["Reservas"]["fields"]}
    assert types["date_time"] == "singleLineText"
    # the missing optional fields were still added, nothing else
    assert account.airtable.schema_writes() - before == 3 + 2


def test_names_come_from_nginx_conf(account, tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        "http {\n"
        "    cerebro_airtable_table reservations Bookings;  # ours\n"
        '    cerebro_airtable_field reservations date_time "Fecha y hora";\n'
        "    cerebro_airtable_table calls off;\n"
        "    server { listen 8000; }\n"
        "}\n")
    r = account.run("--conf", str(conf), "provision", "airtable")
    assert r.rc == 0, r
    tables = account.airtable.state()["bases"][BASE]
    assert "Bookings" in tables and "Reservas" not in tables
    assert "Llamadas" not in tables
    assert "Fecha y hora" in [f["name"] for f in tables["Bookings"]["fields"]]
    d = account.run("--conf", str(conf), "doctor")
    assert "ok    airtable.Bookings: has every field we use" in d.out

    bad = tmp_path / "bad.conf"
    bad.write_text("cerebro_airtable_table bookings X;\n")
    r = account.run("--conf", str(bad), "doctor")
    assert r.rc == 2
    assert 'unknown table "bookings"' in r.err


@pytest.mark.parametrize("var, value, check, words", [
    ("AIRTABLE_API_KEY", "patWrong", "airtable",
     "Airtable refused the token (401)"),
    ("AIRTABLE_BASE_ID", "appNoSuchBase0001", "airtable",
     "check AIRTABLE_BASE_ID"),
    ("VAPI_API_KEY", "wrong", "vapi", "VAPI refused the key (401)"),
    ("TWILIO_AUTH_TOKEN", "wrong", "twilio",
     "Twilio refused the account SID or auth token"),
    ("OPENAI_API_KEY", "sk-wrong", "openai", "OpenAI answered 401"),
    ("REDIS_PASSWORD", "wrong", "redis", "Redis refused the password"),
    ("PUBLIC_URL", "http://127.0.0.1:1", "public-url", "is not https"),
    ("CEREBRO_CA_FILE", None, "public-url", "does not answer over TLS"),
])
def test_each_wrong_value_is_one_fail_that_says_so(account, var, value,
                                                   check, words):
    r = account.run("--json", "doctor", env={var: value})
    assert r.rc == 1
    got = [c for c in r.json()["checks"] if c["check"] == check][0]
    assert got["status"] == "fail", got
    assert words in got["message"], got
    assert_no_secret(r.out, r.err)


def test_several_vapi_numbers_need_the_id(account):
    other = account.vapi.add_phone_number("+34941999999")
    r = account.run("doctor")
    assert "FAIL  vapi: the VAPI account has 2 phone numbers: set " \
        "VAPI_PHONE_NUMBER_ID" in r.out
    assert other["id"] in r.out
    p = account.run("provision", "vapi",
                    env={"VAPI_PHONE_NUMBER_ID": other["id"]})
    assert p.rc == 0, p
    state = {x["id"]: x for x in account.vapi.state()["phone_numbers"]}
    assert "server" in state[other["id"]]
    assert "server" not in state[account.phone["id"]]


def test_a_stored_assistant_is_cleared_unless_it_is_ours(account):
    a = account.vapi.add_assistant(name="Old one")
    account.vapi.phone_numbers[account.phone["id"]]["assistantId"] = a["id"]
    r = account.run("doctor")
    assert "FAIL  vapi.assistant: the phone number uses assistant %s" \
        % a["id"] in r.out
    p = account.run("provision", "vapi")
    assert "no stored assistant (was %s)" % a["id"] in p.out
    assert "assistantId" not in account.vapi.state()["phone_numbers"][0]
    ok = account.run("doctor", env={"VAPI_ASSISTANT_ID": None})
    assert "ok    vapi.assistant: no stored assistant" in ok.out


def test_provision_vapi_assistant_stores_the_modules_once(account):
    r = account.run("provision", "vapi", "--assistant")
    assert r.rc == 0, r
    made = account.vapi.state()["assistants"]
    assert len(made) == 1
    assert made[0]["firstMessage"] == account.public.assistant[
        "firstMessage"]
    assert "set VAPI_ASSISTANT_ID=%s" % made[0]["id"] in r.out
    assert account.vapi.state()["phone_numbers"][0]["assistantId"] \
        == made[0]["id"]
    # asked with the secret, as VAPI asks
    posts = [x for x in account.public.requests if x[0] == "POST"]
    assert posts and posts[0][2]["X-Vapi-Secret"] == VAPI_SECRET

    writes = account.vapi.writes()
    again = account.run("provision", "vapi", "--assistant")
    assert again.rc == 0, again
    assert account.vapi.writes() == writes
    env = {"VAPI_ASSISTANT_ID": made[0]["id"]}
    d = account.run("doctor", env=env)
    assert "ok    vapi.assistant: assistant %s exists" % made[0]["id"] \
        in d.out

    # the module changed its assistant: the stored one follows
    account.public.assistant["firstMessage"] = "Nubes, dígame."
    account.run("provision", "vapi", env=env)
    assert account.vapi.state()["assistants"][0]["firstMessage"] \
        == "Nubes, dígame."
    assert len(account.vapi.state()["assistants"]) == 1


def test_a_messaging_service_gets_the_webhooks(account):
    sid = account.twilio.add_service()
    env = {"TWILIO_MESSAGING_SERVICE_SID": sid}
    r = account.run("doctor", env=env)
    assert "FAIL  twilio.sender: Messaging Service %s posts incoming " \
        "messages to nowhere" % sid in r.out
    p = account.run("provision", "twilio", env=env)
    assert p.rc == 0, p
    svc = account.twilio.account_state()["services"][0]
    assert svc["inbound_request_url"] == account.public.url \
        + "/whatsapp/webhook"
    assert svc["status_callback"] == account.public.url + "/whatsapp/status"
    assert svc["use_inbound_webhook_on_number"] is False
    assert "ok    twilio.sender: Messaging Service" in \
        account.run("doctor", env=env).out


def test_an_unknown_sender_and_the_sandbox(account):
    r = account.run("doctor",
                    env={"TWILIO_WHATSAPP_NUMBER": "whatsapp:+34600000001"})
    assert "is not a WhatsApp sender of account %s: register it" \
        % TWILIO_SID in r.out
    s = account.run("doctor",
                    env={"TWILIO_WHATSAPP_NUMBER": "whatsapp:+14155238886"})
    assert "warn  twilio.sender: whatsapp:+14155238886 is Twilio's sandbox" \
        in s.out


@pytest.mark.parametrize("body, status, level, words", [
    ("Hola {{1}} adiós", "rejected", "FAIL", "WhatsApp rejected"),
    ("Hola {{1}} adiós", "pending", "warn", "is pending, not approved"),
    ("{{1}} gracias", "approved", "FAIL", "starts or ends with {{1}}"),
    ("Hola, gracias", "approved", "FAIL", "does not use {{1}}"),
])
def test_the_template_must_have_an_accepted_form(account, body, status,
                                                 level, words):
    sid = account.twilio.add_content(body, status=status)
    r = account.run("doctor", env={"CEREBRO_WHATSAPP_TEMPLATE": sid})
    line = [l for l in r.out.splitlines() if "whatsapp.template" in l][0]
    assert line.startswith(level) and words in line, line


def test_a_template_sid_of_the_wrong_form(account):
    r = account.run("doctor", env={"CEREBRO_WHATSAPP_TEMPLATE": "HX12"})
    assert "FAIL  whatsapp.template: template HX12 is not a Content SID" \
        in r.out


def test_nothing_configured_is_skipped_not_failed(account):
    env = {k: None for k in account.env if k not in ("PATH", "HOME")}
    r = account.run("doctor", env=env)
    assert r.lines("FAIL")[0].startswith("FAIL  public-url: PUBLIC_URL is "
                                         "not set")
    assert len(r.lines("FAIL")) == 1
    assert len(r.lines("skip")) == 5
    p = account.run("provision", "all", env=env)
    assert p.rc == 1
    assert "no account is configured" in p.out


def test_a_dot_env_file_is_read_and_the_environment_wins(account, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    lines = ["# the original's .env"]
    for k, v in account.env.items():
        if k not in ("PATH", "HOME"):
            lines.append('export %s="%s"' % (k, v) if k == "PUBLIC_URL"
                         else "%s=%s" % (k, v))
    (work / ".env").write_text("\n".join(lines) + "\n")
    env = {k: None for k in account.env if k not in ("PATH", "HOME")}
    r = account.run("doctor", env=env, cwd=work)
    assert "ok    vapi: key accepted" in r.out, r
    assert "ok    redis: answers PING" in r.out
    r = account.run("doctor", env=dict(env, VAPI_API_KEY="overridden"),
                    cwd=work)
    assert "FAIL  vapi: VAPI refused the key" in r.out
    r = account.run("--env-file", str(tmp_path / "none"), "doctor")
    assert r.rc == 2 and "cannot read the environment file" in r.err


def test_help_version_and_usage_errors(account):
    v = account.run("--version")
    assert v.rc == 0 and v.out == "cerebro 1.0.0\n"
    h = account.run("--help")
    assert h.rc == 0
    for cmd in ("doctor", "provision", "backup", "restore", "migrate"):
        assert "  %s " % cmd in h.out
        sub = account.run(cmd, "--help")
        assert sub.rc == 0 and sub.out.startswith("usage: cerebro " + cmd)
    assert "hash-password" not in h.out
    bad = account.run("frobnicate")
    assert bad.rc == 2 and "unknown command" in bad.err
    bad = account.run("provision")
    assert bad.rc == 2 and "airtable, vapi, twilio or all" in bad.err
    assert account.writes() == {"airtable": 0, "vapi": 0, "twilio": 0}


def test_secrets_are_never_printed(account):
    outs = []
    for args in (["doctor"], ["--json", "doctor"],
                 ["provision", "all", "--dry-run"], ["provision", "all"],
                 ["provision", "vapi", "--assistant"], ["doctor"]):
        r = account.run(*args)
        outs += [r.out, r.err]
    # and the wrong ones, which the APIs refuse, neither
    for var in ("AIRTABLE_API_KEY", "VAPI_API_KEY", "TWILIO_AUTH_TOKEN",
                "OPENAI_API_KEY"):
        r = account.run("--json", "doctor", env={var: "wrong-" + SECRETS[0]})
        outs += [r.out, r.err]
        assert "wrong-" not in r.out + r.err
    assert_no_secret(*outs)
    assert json.dumps(outs)
