"""Fake Twilio Messages API, loopback only.

    fake = TwilioFake(account_sid="AC...", auth_token="...",
                      window_numbers=["+34600111222"])
    base = fake.start()                  # TWILIO_API_URL
    ... POST {base}/2010-04-01/Accounts/{sid}/Messages.json ...
    fake.messages()                      # what was "sent"
    fake.stop()

or `python3 -m tests.fakes.twilio --port 0 [--account-sid S --auth-token T]`.

POST /2010-04-01/Accounts/{AccountSid}/Messages.json, Basic auth
AccountSid:AuthToken (401 code 20003 otherwise), form body:
To, From | MessagingServiceSid, Body | ContentSid (+ ContentVariables JSON)
| MediaUrl, StatusCallback.  201 with the Message resource (sid SM + 32
hex, status "queued" -- "accepted" with a MessagingServiceSid).  Errors in
Twilio's shape {"code", "message", "more_info", "status"}:
21604 To missing, 21603 From missing, 21602 Body missing, 21211 invalid To,
21910 From/To of different channels, 21617 body over 1600 chars,
21656 ContentVariables not a JSON object, 21655 ContentSid not HX...,
20429 (inject with too_many_requests()), 20500/20503 (server_error()).
lose_answers(n): the next n sends are accepted and sent, then their
connection is closed before the 201; answer_delay holds every 201.

GET .../Messages.json lists the account's messages newest first, filtered
as Twilio filters: To, From, DateSent (and DateSent<, DateSent>, on the UTC
day of date_sent), PageSize 1..1000 (default 50); one page.

WhatsApp's 24-hour window: free-form text (Body, no ContentSid) to a
whatsapp: number that is not in the window is accepted (201) and then
fails with ErrorCode 63016, reported in the status callback and on the
message resource -- that is how Twilio reports it.  window_mode="sync"
answers 400 code 63016 at once instead.  A template (ContentSid) is always
delivered.  open_window(number) models an inbound message.

After a 201, when StatusCallback was given, a background thread POSTs the
status progression (sent, delivered -- or failed with ErrorCode) to it,
form-encoded and signed with X-Twilio-Signature over the StatusCallback URL
exactly as Twilio does.  callback_rewrite maps a public URL prefix to the
loopback address the callback is delivered to (the signature still covers
the public URL, as behind a TLS proxy).
"""

import base64
import binascii
import email.utils
import hmac
import json
import random
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from . import twilio_sign
from .common import (Drop, FakeClient, FakeServer, Response, json_response,
                     main)

DEFAULT_SID = "AC" + "0123456789abcdef" * 2
DEFAULT_TOKEN = "fake_auth_token_0123456789abcdef"
API = "/2010-04-01"
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def _hex(n):
    return "".join(random.choice("0123456789abcdef") for _ in range(n))


def _rfc2822(t=None):
    return email.utils.formatdate(t if t is not None else time.time(),
                                  usegmt=False).replace("-0000", "+0000")


def twilio_error(status, code, message):
    return json_response(status, {
        "code": code, "message": message,
        "more_info": "https://www.twilio.com/docs/errors/%d" % code,
        "status": status})


def _sent_day(msg):
    """The UTC day (YYYY-MM-DD) of date_sent, None while unsent."""
    if not msg.get("date_sent"):
        return None
    t = email.utils.parsedate_to_datetime(msg["date_sent"])
    return t.strftime("%Y-%m-%d")


def _public(msg):
    return {k: v for k, v in msg.items() if not k.startswith("_")}


def _gsm_segments(body):
    gsm = all(ord(c) < 128 for c in body)
    single, multi = (160, 153) if gsm else (70, 67)
    n = len(body)
    return 1 if n <= single else -(-n // multi)


# ---- account configuration ---------------------------------------------------
# What an operator's tool reads and changes: the Account, IncomingPhoneNumbers
# (SmsUrl, StatusCallback), WhatsApp senders (Senders API,
# messaging.twilio.com/v2/Channels/Senders, JSON: webhook.callback_url,
# webhook.status_callback_url), Messaging Services (messaging.twilio.com
# /v1/Services, forms: InboundRequestUrl, StatusCallback,
# UseInboundWebhookOnNumber) and content templates (content.twilio.com
# /v1/Content/{HX}, /ApprovalRequests).  One fake serves every host: point
# TWILIO_API_URL, TWILIO_MESSAGING_API_URL and TWILIO_CONTENT_API_URL at it.
# Seeded with add_sender(), add_service(), add_incoming_number(),
# add_content() or POST /_fake/account; config_writes() counts the updates.

_WEBHOOK_KEYS = {"callback_url", "callback_method", "fallback_url",
                 "fallback_method", "status_callback_url",
                 "status_callback_method"}
_URL_OK = re.compile(r"^(https://|http://(127\.\d+\.\d+\.\d+|localhost)"
                     r"(:\d+)?(/|$))")


def _page(key, items, path):
    return {key: items, "meta": {
        "page": 0, "page_size": 50, "first_page_url": path + "?Page=0",
        "previous_page_url": None, "next_page_url": None, "key": key,
        "url": path + "?Page=0"}}


class _AccountConfig:
    """A mixin of TwilioFake: the account's configuration resources."""

    def _account_reset(self):
        self.senders = []
        self.services = []
        self.incoming_numbers = []
        self.contents = {}

    def add_sender(self, number, webhook=None, status="ONLINE"):
        number = number if number.startswith("whatsapp:") \
            else "whatsapp:" + number
        sid = "XE" + _hex(32)
        s = {"sid": sid, "status": status, "sender_id": number,
             "configuration": {"waba_id": "1234567890",
                               "verification_method": "sms"},
             "webhook": dict({k: None for k in sorted(_WEBHOOK_KEYS)},
                             **(webhook or {})),
             "profile": {"name": "En Las Nubes"}, "properties": None,
             "offline_reasons": None,
             "url": "https://messaging.twilio.com/v2/Channels/Senders/"
                    + sid}
        with self.lock:
            self.senders.append(s)
        return sid

    def add_service(self, friendly_name="Cerebro", **fields):
        sid = "MG" + _hex(32)
        svc = {"sid": sid, "account_sid": self.config["account_sid"],
               "friendly_name": friendly_name,
               "inbound_request_url": None, "inbound_method": "POST",
               "fallback_url": None, "fallback_method": "POST",
               "status_callback": None,
               "use_inbound_webhook_on_number": False,
               "date_created": _rfc2822(), "date_updated": _rfc2822(),
               "url": "https://messaging.twilio.com/v1/Services/" + sid}
        svc.update(fields)
        with self.lock:
            self.services.append(svc)
        return sid

    def add_incoming_number(self, number, **fields):
        sid = "PN" + _hex(32)
        pn = {"sid": sid, "account_sid": self.config["account_sid"],
              "phone_number": number, "friendly_name": number,
              "sms_url": "", "sms_method": "POST", "sms_fallback_url": "",
              "status_callback": "", "voice_url": "",
              "capabilities": {"sms": True, "voice": True, "mms": False}}
        pn.update(fields)
        with self.lock:
            self.incoming_numbers.append(pn)
        return sid

    def add_content(self, body, status="approved", sid=None, variables=None,
                    rejection_reason=""):
        sid = sid or "HX" + _hex(32)
        with self.lock:
            self.contents[sid] = {
                "sid": sid, "account_sid": self.config["account_sid"],
                "friendly_name": "cerebro_message", "language": "es",
                "variables": variables or {"1": "texto"},
                "types": {"twilio/text": {"body": body}},
                "_status": status, "_reason": rejection_reason}
        return sid

    def account_state(self):
        with self.lock:
            return json.loads(json.dumps({
                "senders": self.senders, "services": self.services,
                "incoming_numbers": self.incoming_numbers,
                "contents": self.contents,
                "config_writes": self.config_writes()}))

    def config_writes(self):
        """Successful updates of the configuration resources."""
        return len([r for r in self.requests()
                    if r["method"] == "POST" and r["status"] is not None
                    and r["status"] < 300
                    and "/Messages" not in r["path"]])

    def _account_control(self, req):
        if req.method == "GET":
            return json_response(200, self.account_state())
        d = req.json()
        out = {"senders": [self.add_sender(**x)
                           for x in d.get("senders", [])],
               "services": [self.add_service(**x)
                            for x in d.get("services", [])],
               "incoming_numbers": [self.add_incoming_number(**x)
                                    for x in d.get("incoming_numbers", [])],
               "contents": [self.add_content(**x)
                            for x in d.get("contents", [])]}
        return json_response(200, out)

    def _account_config(self, req):
        """The answer to a configuration request, or None for a path this
        section does not serve."""
        p = req.path
        m = re.fullmatch(API + r"/Accounts/([^/]+?)(\.json|/IncomingPhone"
                         r"Numbers(?:/(PN[0-9a-f]{32}))?\.json)", p)
        if m:
            denied = self._auth(req, m.group(1))
            if denied:
                return denied
            if m.group(2) == ".json":
                return json_response(200, {
                    "sid": m.group(1), "friendly_name": "Restaurant",
                    "status": "active", "type": "Full",
                    "date_created": _rfc2822(), "owner_account_sid":
                    m.group(1)})
            return self._incoming(req, m.group(3))
        if not (p.startswith("/v2/Channels/Senders")
                or p.startswith("/v1/Services")
                or p.startswith("/v1/Content")):
            return None
        denied = self._auth(req, self.config["account_sid"])
        if denied:
            return denied
        with self.lock:
            if p.startswith("/v2/Channels/Senders"):
                return self._senders(req)
            if p.startswith("/v1/Services"):
                return self._services(req)
            return self._content(req)

    @staticmethod
    def _not_found(path):
        return twilio_error(404, 20404, "The requested resource %s was not "
                            "found" % path)

    def _form(self, req):
        return {k: v[-1] for k, v in req.form().items()}

    def _incoming(self, req, sid):
        with self.lock:
            if sid is None:
                if req.method != "GET":
                    return twilio_error(405, 20004, "Method not allowed")
                want = req.arg("PhoneNumber")
                items = [x for x in self.incoming_numbers
                         if not want or x["phone_number"] == want]
                return json_response(200, {
                    "incoming_phone_numbers": json.loads(json.dumps(items)),
                    "page": 0, "page_size": 50, "next_page_uri": None,
                    "uri": req.path})
            pn = [x for x in self.incoming_numbers if x["sid"] == sid]
            if not pn:
                return self._not_found(req.path)
            if req.method == "POST":
                names = {"SmsUrl": "sms_url", "SmsMethod": "sms_method",
                         "SmsFallbackUrl": "sms_fallback_url",
                         "StatusCallback": "status_callback",
                         "VoiceUrl": "voice_url",
                         "FriendlyName": "friendly_name"}
                for k, v in self._form(req).items():
                    if k not in names:
                        return twilio_error(400, 20001, "Unknown parameter "
                                            "%s" % k)
                    pn[0][names[k]] = v
            return json_response(200, pn[0])

    def _senders(self, req):
        m = re.fullmatch(r"/v2/Channels/Senders(?:/(XE[0-9a-f]{32}))?",
                         req.path)
        if not m:
            return self._not_found(req.path)
        if m.group(1) is None:
            if req.method != "GET":
                return twilio_error(405, 20004, "Method not allowed")
            channel = req.arg("Channel")
            items = [x for x in self.senders if channel in (None, "whatsapp")]
            return json_response(200, _page(
                "senders", json.loads(json.dumps(items)), req.path))
        s = [x for x in self.senders if x["sid"] == m.group(1)]
        if not s:
            return self._not_found(req.path)
        s = s[0]
        if req.method == "POST":
            if req.content_type() != "application/json":
                return twilio_error(415, 20415, "The Senders API takes a "
                                    "JSON body")
            try:
                body = req.json()
            except ValueError:
                return twilio_error(400, 20001, "Invalid JSON body")
            unknown = set(body) - {"webhook", "profile", "configuration"}
            if unknown:
                return twilio_error(400, 20001, "Unknown field %s"
                                    % sorted(unknown)[0])
            wh = body.get("webhook", {})
            bad = set(wh) - _WEBHOOK_KEYS
            if bad:
                return twilio_error(400, 20001, "Unknown webhook field %s"
                                    % sorted(bad)[0])
            for k, v in wh.items():
                if k.endswith("_url") and v and not _URL_OK.match(v):
                    return twilio_error(400, 21609, "Invalid %s: %s"
                                        % (k, v))
                if k.endswith("_method") and v not in ("POST", "GET"):
                    return twilio_error(400, 20001, "Invalid %s" % k)
            s["webhook"].update(wh)
            for part in ("profile", "configuration"):
                if part in body:
                    s[part].update(body[part])
        elif req.method == "DELETE":
            self.senders.remove(s)
            return Response(204)
        return json_response(200, s)

    def _services(self, req):
        m = re.fullmatch(r"/v1/Services(?:/(MG[0-9a-f]{32}))?", req.path)
        if not m:
            return self._not_found(req.path)
        if m.group(1) is None:
            if req.method != "GET":
                return twilio_error(405, 20004, "Method not allowed")
            return json_response(200, _page(
                "services", json.loads(json.dumps(self.services)),
                req.path))
        svc = [x for x in self.services if x["sid"] == m.group(1)]
        if not svc:
            return self._not_found(req.path)
        svc = svc[0]
        if req.method == "POST":
            names = {"InboundRequestUrl": "inbound_request_url",
                     "InboundMethod": "inbound_method",
                     "FallbackUrl": "fallback_url",
                     "FallbackMethod": "fallback_method",
                     "StatusCallback": "status_callback",
                     "UseInboundWebhookOnNumber":
                         "use_inbound_webhook_on_number",
                     "FriendlyName": "friendly_name"}
            for k, v in self._form(req).items():
                if k not in names:
                    return twilio_error(400, 20001, "Unknown parameter %s"
                                        % k)
                if k.endswith("Url") or k == "StatusCallback":
                    if v and not _URL_OK.match(v):
                        return twilio_error(400, 21609, "Invalid %s: %s"
                                            % (k, v))
                if k == "UseInboundWebhookOnNumber":
                    v = v.lower() == "true"
                svc[names[k]] = v
            svc["date_updated"] = _rfc2822()
        return json_response(200, svc)

    def _content(self, req):
        m = re.fullmatch(r"/v1/Content/(HX[0-9a-f]{32})(/ApprovalRequests)?",
                         req.path)
        if not m or req.method != "GET":
            return self._not_found(req.path)
        c = self.contents.get(m.group(1))
        if c is None:
            return self._not_found(req.path)
        if m.group(2):
            return json_response(200, {
                "sid": c["sid"], "account_sid": c["account_sid"],
                "whatsapp": {"type": "whatsapp", "name": c["friendly_name"],
                             "category": "UTILITY",
                             "content_type": "twilio/text",
                             "status": c["_status"],
                             "rejection_reason": c["_reason"],
                             "allow_category_change": True},
                "url": "https://content.twilio.com/v1/Content/%s/"
                       "ApprovalRequests" % c["sid"]})
        return json_response(200, {k: v for k, v in c.items()
                                   if not k.startswith("_")})
# ---- end of the account configuration ----------------------------------------


class TwilioFake(_AccountConfig, FakeServer):
    name = "twilio"
    default_config = {
        "account_sid": DEFAULT_SID,
        "auth_token": DEFAULT_TOKEN,
        # numbers (E.164, no "whatsapp:") whose 24 h window is open
        "window_numbers": [],
        "window_mode": "async",       # or "sync": 400 code 63016 at once
        "invalid_numbers": [],        # To numbers that answer 21211
        # To number -> error code its messages fail with (async)
        "fail_numbers": {},
        "callbacks": True,            # send status callbacks
        "callback_statuses": ["sent", "delivered"],
        "callback_delay": 0.05,       # seconds between callbacks
        "callback_rewrite": {},       # public URL prefix -> loopback prefix
        "templates": {},              # ContentSid -> text with {{1}}...
        "answer_delay": 0.0,          # seconds a 201 waits, the message
                                      # already accepted (a slow Twilio)
    }

    def reset_state(self):
        self.sent = []            # Message resources, in creation order
        self.callbacks = []       # callbacks delivered: dicts
        self._window = set()
        self._threads = []
        self._lose = 0
        self._account_reset()       # the account configuration section

    # ---- control ------------------------------------------------------------

    def open_window(self, number):
        """The guest wrote to us: free-form messages to them are allowed."""
        with self.lock:
            self._window.add(number.replace("whatsapp:", ""))

    def close_window(self, number):
        with self.lock:
            self._window.discard(number.replace("whatsapp:", ""))

    def messages(self, to=None):
        with self.lock:
            return [json.loads(json.dumps(m)) for m in self.sent
                    if to is None or m["to"] == to
                    or m["to"] == "whatsapp:" + to]

    def delivered_callbacks(self):
        with self.lock:
            return [dict(c) for c in self.callbacks]

    def wait_callbacks(self, n, timeout=5.0):
        """Wait until n callbacks were delivered (or timeout); returns
        them."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if len(self.callbacks) >= n:
                    break
            time.sleep(0.01)
        return self.delivered_callbacks()

    def too_many_requests(self, n=1):
        """The next n sends answer 429 code 20429."""
        return self.fail_next(n, 429, {
            "code": 20429, "message": "Too Many Requests",
            "more_info": "https://www.twilio.com/docs/errors/20429",
            "status": 429}, path=API)

    def lose_answers(self, n=1):
        """The next n sends are accepted and sent, and their connection
        closed before the 201: the client cannot know they went."""
        with self.lock:
            self._lose += n

    def server_error(self, n=1, status=500):
        code, msg = {500: (20500, "Internal Server Error"),
                     503: (20503, "Service Unavailable")}.get(
                         status, (20500, "Internal Server Error"))
        return self.fail_next(n, status, {
            "code": code, "message": msg,
            "more_info": "https://www.twilio.com/docs/errors/%d" % code,
            "status": status}, path=API)

    def state(self):
        with self.lock:
            return {"messages": self.messages(),
                    "callbacks": self.delivered_callbacks(),
                    "window": sorted(self._window)}

    def control(self, req, action):
        if action == "messages" and req.method == "GET":
            return json_response(200, {"messages": self.messages(
                req.arg("to"))})
        if action == "window" and req.method in ("POST", "DELETE"):
            num = req.json()["number"]
            (self.open_window if req.method == "POST"
             else self.close_window)(num)
            return json_response(200, {"ok": True})
        if action == "too_many_requests" and req.method == "POST":
            return json_response(200, {"id": self.too_many_requests(
                req.json().get("n", 1))})
        if action == "server_error" and req.method == "POST":
            d = req.json()
            return json_response(200, {"id": self.server_error(
                d.get("n", 1), d.get("status", 500))})
        if action == "account":           # the account configuration
            return self._account_control(req)
        if action == "callbacks" and req.method == "GET":
            return json_response(200, {"callbacks":
                                       self.delivered_callbacks()})
        return None

    def stop(self):
        super().stop()
        for t in list(self._threads):
            t.join(2)

    # ---- serving ------------------------------------------------------------

    def handle(self, req):
        resp = self._account_config(req)    # the account configuration
        if resp is not None:
            return resp
        m = re.fullmatch(API + r"/Accounts/([^/]+)/Messages"
                         r"(?:/(SM[0-9a-f]{32}|MM[0-9a-f]{32}))?\.json",
                         req.path)
        if not m:
            return twilio_error(404, 20404, "The requested resource %s was "
                                "not found" % req.path)
        denied = self._auth(req, m.group(1))
        if denied:
            return denied
        if m.group(2):
            if req.method != "GET":
                return twilio_error(405, 20004, "Method not allowed")
            with self.lock:
                for msg in self.sent:
                    if msg["sid"] == m.group(2):
                        return json_response(200, _public(msg))
            return twilio_error(404, 20404, "The requested resource %s was "
                                "not found" % req.path)
        if req.method == "GET":
            return self._list(req)
        if req.method != "POST":
            return twilio_error(405, 20004, "Method not allowed")
        return self._create(req, m.group(1))

    def _list(self, req):
        """GET Messages.json: newest first, filtered as Twilio filters by
        To, From and DateSent (YYYY-MM-DD, with the DateSent< and DateSent>
        variants, on the day the message was sent), PageSize 1..1000
        (default 50), one page."""
        try:
            size = int(req.arg("PageSize") or 50)
        except ValueError:
            size = 0
        if not 1 <= size <= 1000:
            return twilio_error(400, 20001, "PageSize must be between 1 "
                                "and 1000")
        to, frm = req.arg("To"), req.arg("From")
        days = {op: req.arg("DateSent" + op) for op in ("", "<", ">")}
        for op, day in days.items():
            if day and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
                return twilio_error(400, 20001, "Invalid DateSent%s" % op)
        msgs = []
        for x in reversed(self.messages()):
            if (to and x["to"] != to) or (frm and x["from"] != frm):
                continue
            sent = _sent_day(x)
            if days[""] and sent != days[""]:
                continue
            if days["<"] and (sent is None or sent > days["<"]):
                continue
            if days[">"] and (sent is None or sent < days[">"]):
                continue
            msgs.append(_public(x))
        msgs = msgs[:size]
        uri = "%s?PageSize=%d&Page=0" % (req.path, size)
        return json_response(200, {
            "messages": msgs, "end": max(len(msgs) - 1, 0),
            "first_page_uri": uri, "next_page_uri": None, "page": 0,
            "page_size": size, "previous_page_uri": None, "start": 0,
            "uri": uri})

    def _auth(self, req, path_sid):
        auth = req.header("Authorization") or ""
        user = pw = None
        if auth.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(
                    auth[6:].strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                pass
        cfg = self.config
        if user != cfg["account_sid"] or pw is None or not hmac.compare_digest(
                pw.encode(), cfg["auth_token"].encode()) \
                or path_sid != cfg["account_sid"]:
            return twilio_error(401, 20003, "Authenticate")
        return None

    def _create(self, req, sid):
        if req.content_type() == "application/x-www-form-urlencoded":
            form = {k: v[-1] for k, v in req.form().items()}
        else:
            form = {}  # Twilio reads form parameters only
        to = form.get("To", "")
        frm = form.get("From", "")
        mss = form.get("MessagingServiceSid", "")
        body = form.get("Body")
        content_sid = form.get("ContentSid", "")
        media = [v for k, v in form.items() if k.startswith("MediaUrl")]
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is "
                                "required.")
        if not frm and not mss:
            return twilio_error(400, 21603, "A 'From' phone number is "
                                "required.")
        if not body and not content_sid and not media:
            return twilio_error(400, 21602, "Message body is required.")
        bare_to = to.replace("whatsapp:", "", 1)
        if not _E164.match(bare_to) or bare_to in self.config[
                "invalid_numbers"]:
            return twilio_error(400, 21211, "Invalid 'To' Phone Number: %s"
                                % to)
        if frm and to.startswith("whatsapp:") != frm.startswith("whatsapp:"):
            return twilio_error(400, 21910, "Invalid From and To pair. From "
                                "and To should be of the same channel")
        if frm and not _E164.match(frm.replace("whatsapp:", "", 1)):
            return twilio_error(400, 21212, "Invalid From Number (caller "
                                "ID): %s" % frm)
        if mss and not re.fullmatch(r"MG[0-9a-f]{32}", mss):
            return twilio_error(400, 21701, "The Messaging Service Sid %s "
                                "is invalid." % mss)
        if body and len(body) > 1600:
            return twilio_error(400, 21617, "The concatenated message body "
                                "exceeds the 1600 character limit.")
        variables = None
        if content_sid:
            if not re.fullmatch(r"HX[0-9a-f]{32}", content_sid):
                return twilio_error(400, 21655, "The ContentSid is Invalid")
            if "ContentVariables" in form:
                try:
                    variables = json.loads(form["ContentVariables"])
                except ValueError:
                    variables = None
                if not isinstance(variables, dict):
                    return twilio_error(400, 21656, "The ContentVariables "
                                        "Parameter is invalid.")
            template = self.config["templates"].get(content_sid)
            if template is not None:
                body = re.sub(r"\{\{(\w+)\}\}",
                              lambda m: str((variables or {}).get(
                                  m.group(1), m.group(0))), template)
        callback = form.get("StatusCallback")
        if callback and not re.match(r"https?://", callback):
            return twilio_error(400, 21609, "Invalid StatusCallback: %s"
                                % callback)
        failure = None
        whatsapp = to.startswith("whatsapp:")
        with self.lock:
            in_window = (bare_to in self._window
                         or bare_to in self.config["window_numbers"])
        if whatsapp and not content_sid and not in_window:
            if self.config["window_mode"] == "sync":
                return twilio_error(400, 63016, "Failed to send freeform "
                                    "message because you are outside the "
                                    "allowed window. If you are using "
                                    "WhatsApp, please use a Message "
                                    "Template.")
            failure = 63016
        failure = self.config["fail_numbers"].get(bare_to, failure)
        now = _rfc2822()
        msg_sid = "SM" + _hex(32)
        msg = {
            "account_sid": sid,
            "api_version": "2010-04-01",
            "body": body or "",
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": frm or None,
            "messaging_service_sid": mss or None,
            "num_media": str(len(media)),
            "num_segments": "1" if whatsapp else str(
                _gsm_segments(body or "")),
            "price": None,
            "price_unit": "USD",
            "sid": msg_sid,
            "status": "accepted" if mss else "queued",
            "subresource_uris": {
                "media": "%s/Accounts/%s/Messages/%s/Media.json"
                         % (API, sid, msg_sid)},
            "to": to,
            "uri": "%s/Accounts/%s/Messages/%s.json" % (API, sid, msg_sid),
        }
        answer = dict(msg)
        record = dict(msg, _request=form, _failure=failure)
        with self.lock:
            self.sent.append(record)
            lose = self._lose > 0
            self._lose -= 1 if lose else 0
        self._progress(record, callback, failure)
        if lose:
            # accepted, sent, and the answer never reaches the client
            raise Drop()
        return json_response(201, answer, delay=self.config["answer_delay"])

    # ---- delivery and status callbacks --------------------------------------

    def _progress(self, record, callback, failure):
        if failure:
            statuses = ["failed"]
        else:
            statuses = list(self.config["callback_statuses"])
        t = threading.Thread(target=self._run_progress,
                             args=(record, callback, statuses, failure),
                             daemon=True)
        with self.lock:
            self._threads = [x for x in self._threads if x.is_alive()]
            self._threads.append(t)
        t.start()

    def _run_progress(self, record, callback, statuses, failure):
        for status in statuses:
            if self._stop_event.wait(self.config["callback_delay"]):
                return
            with self.lock:
                record["status"] = status
                record["date_updated"] = _rfc2822()
                if status == "sent":
                    record["date_sent"] = record["date_updated"]
                if status in ("failed", "undelivered"):
                    record["error_code"] = failure
                    record["error_message"] = None
            if callback and self.config["callbacks"]:
                self._callback(record, callback, status, failure)

    def _callback(self, record, url, status, failure):
        params = {
            "AccountSid": record["account_sid"],
            "ApiVersion": "2010-04-01",
            "From": record["from"] or "",
            "MessageSid": record["sid"],
            "MessageStatus": status,
            "SmsSid": record["sid"],
            "SmsStatus": status,
            "To": record["to"],
        }
        if record["to"].startswith("whatsapp:"):
            params["ChannelPrefix"] = "whatsapp"
            params["ChannelToAddress"] = record["to"][len("whatsapp:"):]
        if record["messaging_service_sid"]:
            params["MessagingServiceSid"] = record["messaging_service_sid"]
        if failure and status in ("failed", "undelivered"):
            params["ErrorCode"] = str(failure)
        signature = twilio_sign.compute_signature(
            self.config["auth_token"], url, params)
        target = url
        for prefix, local in self.config["callback_rewrite"].items():
            if url.startswith(prefix):
                target = local + url[len(prefix):]
                break
        data = urllib.parse.urlencode(sorted(params.items())).encode()
        req = urllib.request.Request(target, data=data, method="POST")
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
        req.add_header("X-Twilio-Signature", signature)
        req.add_header("User-Agent", "TwilioProxy/1.1")
        req.add_header("I-Twilio-Idempotency-Token", _hex(32))
        entry = {"url": url, "target": target, "params": params,
                 "signature": signature, "status": None, "error": None,
                 "time": time.time()}
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                entry["status"] = r.status
        except urllib.error.HTTPError as e:
            entry["status"] = e.code
        except (OSError, ValueError) as e:
            entry["error"] = repr(e)
        with self.lock:
            self.callbacks.append(entry)


class TwilioClient(FakeClient):
    """Control API of a Twilio fake in another process."""

    def messages(self, to=None):
        return self.call("GET", "messages",
                         query={"to": to} if to else None)["messages"]

    def open_window(self, number):
        self.call("POST", "window", {"number": number})

    def close_window(self, number):
        self.call("DELETE", "window", {"number": number})

    def too_many_requests(self, n=1):
        return self.call("POST", "too_many_requests", {"n": n})["id"]

    def lose_answers(self, n=1):
        """The next n sends are accepted and sent, and their connection
        closed before the 201: the client cannot know they went."""
        with self.lock:
            self._lose += n

    def server_error(self, n=1, status=500):
        return self.call("POST", "server_error", {"n": n,
                                                  "status": status})["id"]

    def delivered_callbacks(self):
        return self.call("GET", "callbacks")["callbacks"]

    # the account configuration
    def seed_account(self, data):
        return self.call("POST", "account", data)

    def account_state(self):
        return self.call("GET", "account")

    def config_writes(self):
        return self.account_state()["config_writes"]


def _args(p):
    p.add_argument("--account-sid", default=None)
    p.add_argument("--auth-token", default=None)


def _options(a):
    out = {}
    if a.account_sid:
        out["account_sid"] = a.account_sid
    if a.auth_token:
        out["auth_token"] = a.auth_token
    return out


if __name__ == "__main__":
    sys.exit(main(TwilioFake, add_arguments=_args,
                  options_from_args=_options))
