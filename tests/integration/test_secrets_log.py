"""Issue 15: no secret in any file of the prefix with the error log at
nginx's debug level, which prints every request header ("http header"),
every variable a script copies ("http script var") and every request sent
upstream ("http proxy header") — with traffic to every API: Airtable (the
store), Twilio (the confirmation), OpenAI (a WhatsApp message), and the
inbound VAPI secret, the staff's password, token, cookie and CSRF token,
and the jobs poke's token; the link secret, and a guest's link opened."""

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.parse

from harness import REPO, STAFF_TOKEN
from voice import day, post, result_of, tool_call
from tests.fakes.airtable import AirtableFake
from tests.fakes.openai import DEFAULT_KEY as OPENAI_KEY, OpenAIFake
from tests.fakes.twilio import DEFAULT_SID, DEFAULT_TOKEN, TwilioFake
from tests.fakes.twilio_sign import compute_signature

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"
TABLES = json.loads(SMALL.read_text())["tables"]
AIRTABLE_TOKEN = "patSECRET.0123456789abcdefSECRET"
VAPI_SECRET = "vapi-secret-never-logged-4417"
PASSWORD = "staff-password-never-logged"
LINK_SECRET = "link-secret-never-logged-0123456789abcdef"
PUBLIC = "https://cerebro.example.com"
GUEST = "+34600111222"
MESSAGES = f"/2010-04-01/Accounts/{DEFAULT_SID}/Messages.json"


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def test_no_secret_in_any_file_at_debug_level(nginx_factory):
    airtable = AirtableFake(token=AIRTABLE_TOKEN, rate_pause=1.0)
    twilio = TwilioFake(window_numbers=[GUEST])
    openai = OpenAIFake(api_key=OPENAI_KEY)
    for fake in (airtable, twilio, openai):
        fake.start()
    try:
        airtable.seed({"tables": {"Mesas": {"records": [dict(t)
                                                        for t in TABLES]}}})
        n = nginx_factory(env={
            "AIRTABLE_API_KEY": AIRTABLE_TOKEN,
            "AIRTABLE_BASE_ID": airtable.base_id,
            "AIRTABLE_API_URL": airtable.url,
            "TWILIO_ACCOUNT_SID": DEFAULT_SID,
            "TWILIO_AUTH_TOKEN": DEFAULT_TOKEN,
            "TWILIO_WHATSAPP_NUMBER": "whatsapp:+14155238886",
            "TWILIO_API_URL": twilio.url,
            "OPENAI_API_KEY": OPENAI_KEY,
            "OPENAI_BASE_URL": openai.url + "/v1",
            "PUBLIC_URL": PUBLIC,
            "VAPI_WEBHOOK_SECRET": VAPI_SECRET,
            "CEREBRO_STAFF_PASSWORD": PASSWORD,
            "CEREBRO_LINK_SECRET": LINK_SECRET,
        })
        twilio.configure(callback_rewrite={PUBLIC:
                                           f"http://127.0.0.1:{n.port}"})
        n.render()
        text = n.conf.read_text()
        n.conf.write_text(text.replace(
            "error_log logs/error.log notice;",
            "error_log logs/error.log debug;").replace(
            "http {", f"http {{\n    cerebro_restaurant {SMALL};\n"
            "    cerebro_store_timeout 10s;\n"
            "    cerebro_jobs_interval 1s;\n", 1))
        assert "error_log logs/error.log debug;" in n.conf.read_text()
        n.start()

        # a phone call books: Airtable, then the confirmation to Twilio
        text = result_of(post(n, tool_call("create_reservation", {
            "name": "Ana", "date": day(9).isoformat(), "time": "14:00",
            "party_size": 2}, caller=GUEST),
            headers={"X-Vapi-Secret": VAPI_SECRET}))
        assert "Ana" in text
        assert wait_for(lambda: twilio.requests(path=MESSAGES,
                                                method="POST"))

        # the guest opens the confirmation's link: the token is a
        # credential of its own, kept out of the error log too
        [sent] = wait_for(lambda: twilio.messages(GUEST))
        token = re.search(re.escape(PUBLIC) + r"/r/([A-Za-z0-9_-]+)",
                          sent["body"]).group(1)
        r = n.get(f"/r/{token}")
        assert r.status == 200 and "Ana" in r.body.decode(), r.body

        # a WhatsApp message: the agents ask OpenAI
        params = {"MessageSid": "SM" + "1" * 32, "AccountSid": DEFAULT_SID,
                  "From": f"whatsapp:{GUEST}",
                  "To": "whatsapp:+14155238886", "Body": "hola",
                  "NumMedia": "0"}
        r = n.request("POST", "/whatsapp/webhook",
                      body=urllib.parse.urlencode(params), headers={
                          "Content-Type":
                              "application/x-www-form-urlencoded",
                          "X-Twilio-Signature": compute_signature(
                              DEFAULT_TOKEN, PUBLIC + "/whatsapp/webhook",
                              params)})
        assert r.status == 200, r.body
        assert wait_for(lambda: openai.requests())

        # the staff: a login, its cookie and CSRF token, the API token
        r = n.request("POST", "/cerebro/login", body=json.dumps(
            {"user": "staff", "password": PASSWORD}),
            headers={"Content-Type": "application/json"})
        assert r.status == 200, r.body
        cookie = r.header("set-cookie").split(";")[0]
        csrf = r.json()["csrf"]
        assert n.get("/cerebro/tables", headers={"Cookie": cookie}).status \
            == 200
        assert n.request("DELETE", "/cerebro/session", headers={
            "Cookie": cookie, "X-CSRF-Token": csrf}).status == 200
        assert n.get("/cerebro/outbox").status == 200     # the token

        # at least one jobs run (the poke and its token) after all that
        log = n.error_log
        assert wait_for(lambda: "GET /_cerebro/jobs" in log.read_text())
        key = (n.prefix / "data" / "session.key").read_bytes()
        n.stop()
    finally:
        for fake in (airtable, twilio, openai):
            fake.stop()

    basic = base64.b64encode(
        f"{DEFAULT_SID}:{DEFAULT_TOKEN}".encode()).decode()
    jobs = hmac.new(key, b"jobs", hashlib.sha256).hexdigest()[:32]
    secrets = [AIRTABLE_TOKEN, DEFAULT_TOKEN, basic, OPENAI_KEY, VAPI_SECRET,
               PASSWORD, STAFF_TOKEN, cookie.split("=", 1)[1], csrf, jobs,
               LINK_SECRET]

    debug = n.error_log.read_text(errors="replace")
    assert "GET /r/[redacted]" in debug
    assert token not in debug
    # the dumps that used to carry them are there, without them
    for dump in ("http header: \"X-Vapi-Secret: [redacted]",
                 "http script var: \"[redacted]\"",
                 "http proxy header:", "Authorization: [redacted]",
                 "X-Cerebro-Jobs: [redacted]"):
        assert dump in debug, dump

    checked = 0
    for path in n.prefix.rglob("*"):
        if path.is_file() and path.name != "session.key":
            data = path.read_bytes()
            for s in secrets:
                assert s.encode() not in data, f"{s[:6]}... in {path}"
            checked += 1
    assert checked > 3
