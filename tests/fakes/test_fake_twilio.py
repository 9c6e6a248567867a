"""Self-tests of the Twilio fake, over HTTP with urllib, with a tiny local
server receiving its signed status callbacks."""

import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from . import twilio_sign
from .common import FakeProcess
from .helpers import basic, http
from .twilio import TwilioClient, TwilioFake

SID = "AC" + "f" * 32
TOKEN = "selftest_auth_token"
FROM = "whatsapp:+14155238886"
GUEST = "+34600111222"
TEMPLATE = "HX" + "a" * 32


@pytest.fixture
def fake():
    f = TwilioFake(account_sid=SID, auth_token=TOKEN, callback_delay=0.01,
                   templates={TEMPLATE: "Hola {{1}}, mesa el {{2}}."})
    f.start()
    yield f
    f.stop()


class Receiver:
    """Collects POSTs: (path, headers, form params)."""

    def __init__(self, status=200):
        self.got = []
        self.cond = threading.Condition()
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n).decode()
                with outer.cond:
                    outer.got.append((self.path, dict(self.headers),
                                      urllib.parse.parse_qsl(body)))
                    outer.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, args=(0.05,),
                         daemon=True).start()

    def wait(self, n, timeout=5):
        with self.cond:
            self.cond.wait_for(lambda: len(self.got) >= n, timeout)
            return list(self.got)

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def send(f, form, user=SID, password=TOKEN, sid=SID):
    return http("POST", "%s/2010-04-01/Accounts/%s/Messages.json"
                % (f.url, sid), form=form, headers=basic(user, password))


def test_bad_credentials_20003(fake):
    form = {"To": "whatsapp:" + GUEST, "From": FROM, "Body": "x"}
    for kw in ({"password": "wrong"}, {"user": "AC" + "0" * 32},
               {"sid": "AC" + "1" * 32}):
        a = send(fake, form, **kw)
        assert a.status == 401
        assert a.json()["code"] == 20003
        assert a.json()["status"] == 401
        assert a.json()["more_info"].endswith("/20003")
    a = http("POST", "%s/2010-04-01/Accounts/%s/Messages.json"
             % (fake.url, SID), form=form)
    assert a.status == 401
    assert fake.messages() == []


def test_created_message_shape(fake):
    fake.open_window(GUEST)
    a = send(fake, {"To": "whatsapp:" + GUEST, "From": FROM,
                    "Body": "Reserva confirmada"})
    assert a.status == 201
    m = a.json()
    assert re.fullmatch(r"SM[0-9a-f]{32}", m["sid"])
    assert m["status"] == "queued"
    assert m["to"] == "whatsapp:" + GUEST and m["from"] == FROM
    assert m["body"] == "Reserva confirmada"
    assert m["account_sid"] == SID
    assert m["error_code"] is None and m["num_segments"] == "1"
    assert m["uri"] == "/2010-04-01/Accounts/%s/Messages/%s.json" % (
        SID, m["sid"])
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000",
                        m["date_created"])
    one = http("GET", "%s%s" % (fake.url, m["uri"]),
               headers=basic(SID, TOKEN))
    assert one.json()["sid"] == m["sid"]
    assert [x["sid"] for x in fake.messages()] == [m["sid"]]


@pytest.mark.parametrize("form,code", [
    ({"From": FROM, "Body": "x"}, 21604),
    ({"To": "whatsapp:" + GUEST, "Body": "x"}, 21603),
    ({"To": "whatsapp:" + GUEST, "From": FROM}, 21602),
    ({"To": "whatsapp:600111222", "From": FROM, "Body": "x"}, 21211),
    ({"To": "whatsapp:+34abc", "From": FROM, "Body": "x"}, 21211),
    ({"To": GUEST, "From": FROM, "Body": "x"}, 21910),
    ({"To": "whatsapp:" + GUEST, "From": FROM, "Body": "x" * 1601}, 21617),
    ({"To": "whatsapp:" + GUEST, "From": FROM, "ContentSid": TEMPLATE,
      "ContentVariables": "{not json"}, 21656),
])
def test_errors(fake, form, code):
    a = send(fake, form)
    assert a.status == 400
    b = a.json()
    assert b["code"] == code and b["status"] == 400
    assert b["message"] and b["more_info"].endswith(str(code))
    assert fake.messages() == []


def test_status_callbacks_signed(fake, receiver):
    fake.open_window(GUEST)
    cb = receiver.url + "/whatsapp/status?x=1"
    a = send(fake, {"To": "whatsapp:" + GUEST, "From": FROM, "Body": "hola",
                    "StatusCallback": cb})
    sid = a.json()["sid"]
    got = receiver.wait(2)
    assert [dict(p)["MessageStatus"] for _, _, p in got] == ["sent",
                                                             "delivered"]
    for path, headers, params in got:
        assert path == "/whatsapp/status?x=1"
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        p = dict(params)
        assert p["MessageSid"] == sid and p["AccountSid"] == SID
        assert "ErrorCode" not in p
        sig = headers["X-Twilio-Signature"]
        assert twilio_sign.validate(TOKEN, cb, params, sig)
        assert not twilio_sign.validate("other", cb, params, sig)
        tampered = [(k, v + "x" if k == "MessageStatus" else v)
                    for k, v in params]
        assert not twilio_sign.validate(TOKEN, cb, tampered, sig)
    fake.wait_callbacks(2)
    assert fake.messages()[0]["status"] == "delivered"


def test_63016_outside_window_async_and_template(fake, receiver):
    cb = receiver.url + "/st"
    a = send(fake, {"To": "whatsapp:" + GUEST, "From": FROM,
                    "Body": "fuera de ventana", "StatusCallback": cb})
    assert a.status == 201          # accepted, fails afterwards
    got = receiver.wait(1)
    p = dict(got[0][2])
    assert p["MessageStatus"] == "failed" and p["ErrorCode"] == "63016"
    fake.wait_callbacks(1)
    assert fake.messages()[0]["error_code"] == 63016
    assert fake.messages()[0]["status"] == "failed"
    # a template goes through outside the window
    a = send(fake, {"To": "whatsapp:" + GUEST, "From": FROM,
                    "ContentSid": TEMPLATE,
                    "ContentVariables": '{"1":"Ana","2":"28/11"}',
                    "StatusCallback": cb})
    assert a.status == 201
    assert a.json()["body"] == "Hola Ana, mesa el 28/11."
    got = receiver.wait(3)
    assert [dict(x[2])["MessageStatus"] for x in got[1:]] == ["sent",
                                                              "delivered"]


def test_63016_sync_mode(fake):
    fake.configure(window_mode="sync")
    a = send(fake, {"To": "whatsapp:" + GUEST, "From": FROM, "Body": "x"})
    assert a.status == 400 and a.json()["code"] == 63016
    fake.configure(window_numbers=[GUEST])
    assert send(fake, {"To": "whatsapp:" + GUEST, "From": FROM,
                       "Body": "x"}).status == 201


def test_callback_rewrite_keeps_public_signature(fake, receiver):
    public = "https://cerebro.example.com"
    fake.configure(callback_rewrite={public: receiver.url})
    fake.open_window(GUEST)
    send(fake, {"To": "whatsapp:" + GUEST, "From": FROM, "Body": "x",
                "StatusCallback": public + "/whatsapp/status"})
    path, headers, params = receiver.wait(1)[0]
    assert path == "/whatsapp/status"
    assert twilio_sign.validate(TOKEN, public + "/whatsapp/status", params,
                                headers["X-Twilio-Signature"])


def test_injected_429_and_5xx(fake):
    fake.open_window(GUEST)
    form = {"To": "whatsapp:" + GUEST, "From": FROM, "Body": "x"}
    fake.too_many_requests(2)
    fake.server_error(1, 503)
    got = [send(fake, form) for _ in range(4)]
    assert [a.status for a in got] == [429, 429, 503, 201]
    assert got[0].json()["code"] == 20429
    assert got[2].json()["code"] == 20503
    assert len(fake.messages()) == 1


def test_messaging_service_and_fail_numbers(fake, receiver):
    fake.configure(fail_numbers={"+34600999000": 63024})
    a = send(fake, {"To": "whatsapp:+34600999000",
                    "MessagingServiceSid": "MG" + "b" * 32,
                    "ContentSid": TEMPLATE,
                    "StatusCallback": receiver.url + "/s"})
    assert a.status == 201 and a.json()["status"] == "accepted"
    assert a.json()["from"] is None
    p = dict(receiver.wait(1)[0][2])
    assert (p["MessageStatus"], p["ErrorCode"]) == ("failed", "63024")


def test_subprocess_control():
    p = FakeProcess("twilio", ["--account-sid", SID, "--auth-token", TOKEN],
                    client_class=TwilioClient)
    try:
        c = p.client
        c.open_window(GUEST)
        c.too_many_requests(1)
        form = {"To": "whatsapp:" + GUEST, "From": FROM, "Body": "hola"}
        url = "%s/2010-04-01/Accounts/%s/Messages.json" % (p.url, SID)
        assert http("POST", url, form=form,
                    headers=basic(SID, TOKEN)).status == 429
        assert http("POST", url, form=form,
                    headers=basic(SID, TOKEN)).status == 201
        assert [m["body"] for m in c.messages()] == ["hola"]
        log = c.requests()
        assert [e["status"] for e in log] == [429, 201]
        assert log[1]["form"]["Body"] == ["hola"]
    finally:
        p.stop()
