"""Issue 20: the manage-my-booking link. The confirmation on WhatsApp (the
Twilio fake) carries PUBLIC_URL/r/<token>; the page it opens shows the
booking and cancels or changes it through the store; a token that expired,
was altered, signed with another secret or names another booking does
nothing."""

import base64
import hashlib
import hmac
import re
import struct
import time
import urllib.parse

import pytest

from harness import REPO
from voice import day, spoken
from tests.fakes.twilio import DEFAULT_SID, DEFAULT_TOKEN, TwilioFake

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"
PUBLIC = "https://cerebro.example.com"
SENDER = "whatsapp:+14155238886"
GUEST = "+34600111222"
OTHER = "+34600333444"
SECRET = "link-secret-for-the-tests-0123456789abcdef"
LINK = re.compile(re.escape(PUBLIC) + r"/r/([A-Za-z0-9_-]+)")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SAME = dict(FORM, Origin=PUBLIC)


@pytest.fixture
def twilio():
    fake = TwilioFake(window_numbers=[GUEST, OTHER])
    fake.start()
    yield fake
    fake.stop()


def start(nginx_factory, twilio, secret=SECRET, env=None):
    e = {"TWILIO_ACCOUNT_SID": DEFAULT_SID,
         "TWILIO_AUTH_TOKEN": DEFAULT_TOKEN,
         "TWILIO_WHATSAPP_NUMBER": SENDER,
         "TWILIO_API_URL": twilio.url,
         "PUBLIC_URL": PUBLIC}
    if secret:
        e["CEREBRO_LINK_SECRET"] = secret
    e.update(env or {})
    n = nginx_factory(env=e)
    twilio.configure(callback_rewrite={PUBLIC: f"http://127.0.0.1:{n.port}"})
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};\n"
                "    cerebro_jobs_interval 1s;\n")
    return n.start()


def wait_for(what, timeout=10.0):
    end = time.monotonic() + timeout
    while True:
        value = what()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.05)


def book(n, name="Ana", when=None, time_="21:00", party=2, caller=GUEST,
         call_id="c-1"):
    import json
    msg = {"message": {
        "type": "tool-calls",
        "toolCallList": [{"id": f"t-{call_id}", "type": "function",
                          "function": {"name": "create_reservation",
                                       "arguments": {
                                           "name": name,
                                           "date": (when or day()).isoformat(),
                                           "time": time_,
                                           "party_size": party,
                                           "confirmed": True}}}],
        "call": {"id": call_id, "customer": {"number": caller}}}}
    r = n.request("POST", "/vapi/webhook", body=json.dumps(msg),
                  headers={"Content-Type": "application/json"})
    assert r.status == 200, r.body
    assert "confirm" in r.json()["results"][0]["result"].lower()


def confirmation_link(twilio, to=GUEST, kind="Reserva confirmada"):
    msgs = wait_for(lambda: [m for m in twilio.messages(to)
                             if kind in m["body"]])
    assert msgs, twilio.messages()
    found = LINK.search(msgs[-1]["body"])
    assert found, msgs[-1]["body"]
    return found.group(1)


def bookings(n, d):
    r = n.get(f"/cerebro/reservations?date={d.isoformat()}")
    assert r.status == 200, r.body
    return r.json()["reservations"]


def post(n, token, fields, headers=SAME):
    return n.request("POST", f"/r/{token}",
                     body=urllib.parse.urlencode(fields), headers=headers)


def make_token(booking_id, expires, secret=SECRET):
    """The module's token, made here with the same secret."""
    raw = b"\x01" + struct.pack(">I", expires) + booking_id.encode()
    mac = hmac.new(secret.encode(), b"cerebro-link\x00" + raw,
                   hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(raw + mac).rstrip(b"=").decode()


def booking_of(token):
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return raw[5:-12].decode(), struct.unpack(">I", raw[1:5])[0]


def test_the_link_shows_the_booking_and_cancels_it(nginx_factory, twilio):
    n = start(nginx_factory, twilio)
    book(n, when=day(5), time_="21:00", party=2)
    token = confirmation_link(twilio)
    assert len(token) <= 32          # a row id: a short link

    r = n.get(f"/r/{token}")
    assert r.status == 200, r.body
    page = r.body.decode()
    assert r.header("content-type").startswith("text/html")
    assert r.header("cache-control") == "no-store"
    assert r.header("referrer-policy") == "no-referrer"
    assert "default-src 'none'" in r.header("content-security-policy")
    assert "frame-ancestors 'none'" in r.header("content-security-policy")
    assert r.header("x-frame-options") == "DENY"
    assert "<script" not in page
    assert "Ana" in page and spoken(day(5)) in page
    assert "21:00" in page and "<dd>2</dd>" in page
    assert 'name="action" value="cancel"' in page

    r = post(n, token, {"token": token, "action": "cancel"})
    assert r.status == 200, r.body
    assert "anulada" in r.body.decode()
    [row] = bookings(n, day(5))
    assert row["status"] == "cancelled"

    # the WhatsApp confirmation of the cancellation, with no link left
    cancelled = wait_for(lambda: [m for m in twilio.messages(GUEST)
                                  if "anulad" in m["body"].lower()
                                  or "cancel" in m["body"].lower()])
    assert cancelled and "/r/" not in cancelled[-1]["body"]

    # the page now says so and offers nothing; again changes nothing
    r = n.get(f"/r/{token}")
    assert r.status == 200 and "Anulada" in r.body.decode()
    assert 'value="cancel"' not in r.body.decode()
    r = post(n, token, {"token": token, "action": "cancel"})
    assert r.status == 409 and "ya está anulada" in r.body.decode()


def test_the_page_changes_party_and_time_through_the_engine(nginx_factory,
                                                            twilio):
    n = start(nginx_factory, twilio)
    book(n, when=day(6), time_="20:00", party=2)
    token = confirmation_link(twilio)

    r = post(n, token, {"token": token, "action": "change", "pax": "3",
                        "time": "21:30"})
    assert r.status == 200, r.body
    assert "ha cambiado" in r.body.decode() and "21:30" in r.body.decode()
    [row] = bookings(n, day(6))
    assert row["pax"] == 3 and row["time"] == "21:30", row
    assert row["status"] == "confirmed"
    # confirmed on WhatsApp, with a link of its own
    changed = confirmation_link(twilio, kind="21:30")
    assert booking_of(changed)[0] == booking_of(token)[0]

    # the engine refuses what does not fit: a party above both tables
    r = post(n, token, {"token": token, "action": "change", "pax": "7"})
    assert r.status == 409, r.body
    assert bookings(n, day(6))[0]["pax"] == 3

    # values the form does not take: said, nothing changed
    for bad in ({"pax": "99"}, {"pax": "dos"}, {"time": "9 y media"}):
        r = post(n, token, dict(bad, token=token, action="change"))
        assert r.status == 400, (bad, r.body)
    r = post(n, token, {"token": token, "action": "change",
                        "time": "21:30:00"})
    assert r.status == 200 and "No ha cambiado nada" in r.body.decode()
    assert bookings(n, day(6))[0]["pax"] == 3


def test_an_expired_token_is_refused(nginx_factory, twilio):
    n = start(nginx_factory, twilio)
    book(n, when=day(4))
    token = confirmation_link(twilio)
    booking_id, expires = booking_of(token)
    # good to the end of the booking's day, not much longer
    assert expires > time.time() + 3 * 86400
    assert expires < time.time() + 6 * 86400

    old = make_token(booking_id, int(time.time()) - 60)
    # the test's token is the module's: the same one for the same expiry
    assert make_token(booking_id, expires) == token
    r = n.get(f"/r/{old}")
    assert r.status == 410, r.body
    page = r.body.decode()
    assert "caducado" in page and "Ana" not in page
    assert r.header("cache-control") == "no-store"
    r = post(n, old, {"token": old, "action": "cancel"})
    assert r.status == 410
    assert bookings(n, day(4))[0]["status"] == "confirmed"


def test_a_forged_or_altered_token_is_refused(nginx_factory, twilio):
    n = start(nginx_factory, twilio)
    book(n, when=day(4))
    token = confirmation_link(twilio)
    booking_id, expires = booking_of(token)

    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    other_secret = make_token(booking_id, expires,
                              secret="not-our-secret-0123456789abcdefghij")
    next_id = make_token(str(int(booking_id) + 1), expires,
                         secret="not-our-secret-0123456789abcdefghij")
    for bad in (altered, other_secret, next_id, "x", token + "A",
                "%3Cscript%3E"):
        r = n.get(f"/r/{bad}")
        assert r.status == 404, (bad, r.status)
        page = r.body.decode()
        assert "no es válido" in page
        assert "Ana" not in page and "21:00" not in page
        r = post(n, bad, {"token": bad, "action": "cancel"})
        assert r.status == 404
    assert n.get("/r/").status == 404
    assert bookings(n, day(4))[0]["status"] == "confirmed"


def test_one_bookings_token_cannot_act_on_another(nginx_factory, twilio):
    n = start(nginx_factory, twilio)
    book(n, name="Ana", when=day(3), time_="14:00")
    book(n, name="Bea", when=day(3), time_="15:00", caller=OTHER,
         call_id="c-2")
    ana = confirmation_link(twilio, GUEST)
    bea = confirmation_link(twilio, OTHER)
    assert booking_of(ana)[0] != booking_of(bea)[0]

    # Bea's token in a form posted to Ana's page, and the other way round
    r = post(n, ana, {"token": bea, "action": "cancel"})
    assert r.status == 403, r.body
    r = post(n, bea, {"action": "cancel"})
    assert r.status == 403
    assert [b["status"] for b in bookings(n, day(3))] == ["confirmed"] * 2

    # each page shows its own booking only
    assert "Bea" not in n.get(f"/r/{ana}").body.decode()
    assert "Ana" not in n.get(f"/r/{bea}").body.decode()

    r = post(n, bea, {"token": bea, "action": "cancel"})
    assert r.status == 200
    rows = {b["client_name"]: b["status"] for b in bookings(n, day(3))}
    assert rows == {"Ana": "confirmed", "Bea": "cancelled"}


def test_a_post_from_another_site_changes_nothing(nginx_factory, twilio):
    n = start(nginx_factory, twilio)
    book(n, when=day(4))
    token = confirmation_link(twilio)
    fields = {"token": token, "action": "cancel"}

    for headers in (dict(FORM, Origin="https://evil.example"),
                    dict(FORM, **{"Sec-Fetch-Site": "cross-site"})):
        r = post(n, token, fields, headers=headers)
        assert r.status == 403, r.body
        assert "No se ha cambiado nada" in r.body.decode()
    # not a form: refused before anything is read
    r = post(n, token, fields, headers={"Content-Type": "text/plain",
                                        "Origin": PUBLIC})
    assert r.status == 415
    assert bookings(n, day(4))[0]["status"] == "confirmed"


def test_names_are_escaped(nginx_factory, twilio):
    n = start(nginx_factory, twilio)
    book(n, name='Ana "<b>&', when=day(4))
    token = confirmation_link(twilio)
    page = n.get(f"/r/{token}").body.decode()
    assert "<b>" not in page
    assert "Ana &quot;&lt;b&gt;&amp;" in page


def test_no_links_without_the_secret(nginx_factory, twilio):
    n = start(nginx_factory, twilio, secret=None)
    book(n, when=day(4))
    msgs = wait_for(lambda: twilio.messages(GUEST))
    assert msgs and "/r/" not in msgs[0]["body"]
    assert "Reserva confirmada" in msgs[0]["body"]
    # any token is then unknown
    assert n.get("/r/" + make_token("1", 2 ** 32 - 1)).status == 404


def test_a_short_secret_fails_nginx_t(nginx_factory):
    n = nginx_factory(env={"CEREBRO_LINK_SECRET": "short"})
    code, out = n.test_config()
    assert code != 0 and "CEREBRO_LINK_SECRET" in out
    assert "short" not in out.replace("too short", "")


def test_the_pages_are_rate_limited(nginx_factory, twilio):
    n = start(nginx_factory, twilio, env={"CEREBRO_MANAGE_RATE": "1r/m",
                                          "CEREBRO_MANAGE_BURST": "2"})
    codes = [n.get("/r/" + "A" * 26).status for _ in range(5)]
    assert codes[0] == 404 and codes[-1] == 429, codes
    r = n.get("/r/" + "A" * 26)
    assert r.status == 429 and "Espere" in r.body.decode()
    assert r.header("content-type").startswith("text/html")
