"""Fake VAPI REST API (docs.vapi.ai/api-reference), loopback only.

    fake = VapiFake(api_key="vapi-test")
    base = fake.start()                       # VAPI_API_URL
    fake.add_phone_number("+34941000000")     # an imported number
    ... PATCH {base}/phone-number/{id} ...
    fake.writes()                             # successful writes
    fake.stop()

or `python3 -m tests.fakes.vapi --port 0 [--api-key K]`.

What it serves, per VAPI's API reference and its server SDK's DTOs:
- `Authorization: Bearer <private key>`; missing or wrong -> 401
  {"message": "Invalid Key. Hot tip, you may be using the private key
  instead of the public key, or vice versa.", "error": "Unauthorized",
  "statusCode": 401}.
- GET /assistant (array, newest first, ?limit), POST /assistant (201),
  GET/PATCH/DELETE /assistant/{id}.
- GET /phone-number (array), GET/PATCH /phone-number/{id}.  Phone numbers
  are bought or imported in the dashboard: the fake has no POST; seed them.
- Bodies are validated as VAPI's NestJS DTOs are: an unknown property is
  400 {"message": ["property X should not exist"], "error": "Bad
  Request", "statusCode": 400} (server.secret and serverUrlSecret are
  gone from the current schema, so they are refused too); a server URL
  must be https (or http on loopback, for tests); a fallback destination
  needs a type and an E.164 number; assistantId must be null or an
  assistant of the account.  A bad id is 404 {"message": "Not Found",
  "statusCode": 404}.
"""

import copy
import datetime as _dt
import re
import sys
import uuid

from .common import FakeClient, FakeServer, json_response, main

DEFAULT_KEY = "vapi-fake-private-key-0123456789"

ASSISTANT_KEYS = {
    "name", "transcriber", "model", "voice", "firstMessage",
    "firstMessageMode", "firstMessageInterruptionsEnabled",
    "voicemailDetection", "voicemailMessage", "clientMessages",
    "serverMessages", "silenceTimeoutSeconds", "maxDurationSeconds",
    "backgroundSound", "backgroundDenoisingEnabled",
    "modelOutputInMessagesEnabled", "transportConfigurations",
    "credentials", "credentialIds", "hooks", "endCallMessage",
    "endCallPhrases", "metadata", "analysisPlan", "artifactPlan",
    "messagePlan", "startSpeakingPlan", "stopSpeakingPlan", "monitorPlan",
    "server", "keypadInputPlan", "compliancePlan", "observabilityPlan",
    "variableValues",
}
PHONE_KEYS = {"fallbackDestination", "hooks", "name", "assistantId",
              "workflowId", "squadId", "server", "smsEnabled"}
SERVER_KEYS = {"url", "timeoutSeconds", "headers", "credentialId",
               "backoffPlan"}
DESTINATION_KEYS = {"type", "number", "sipUri", "message", "description",
                    "numberE164CheckEnabled", "extension", "callerId",
                    "transferPlan"}
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_LOOPBACK = re.compile(r"^http://(127\.\d+\.\d+\.\d+|localhost|\[::1\])"
                       r"(:\d+)?(/|$)")


class BadRequest(Exception):
    def __init__(self, messages, status=400):
        super().__init__("; ".join(messages))
        self.messages = messages
        self.status = status


def _now():
    return _dt.datetime.now(_dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.") + "000Z"


def _unknown(obj, allowed, where=""):
    return ["property %s%s should not exist" % (where, k)
            for k in obj if k not in allowed]


class VapiFake(FakeServer):
    name = "vapi"
    default_config = {
        "api_key": DEFAULT_KEY,     # None: any bearer
        "org_id": "00000000-0000-4000-8000-00000000f00d",
    }

    def reset_state(self):
        self.assistants = {}        # id -> object, in creation order
        self.phone_numbers = {}

    # ---- seeding and reading ------------------------------------------------

    def add_phone_number(self, number, **fields):
        """A number imported in the dashboard (Twilio provider): no server,
        no assistant, unless given."""
        pn = {"id": str(uuid.uuid4()), "orgId": self.config["org_id"],
              "number": number, "provider": "twilio", "status": "active",
              "name": fields.pop("name", "Restaurant"),
              "createdAt": _now(), "updatedAt": _now()}
        pn.update(fields)
        with self.lock:
            self.phone_numbers[pn["id"]] = pn
        return copy.deepcopy(pn)

    def add_assistant(self, **fields):
        a = {"id": str(uuid.uuid4()), "orgId": self.config["org_id"],
             "createdAt": _now(), "updatedAt": _now()}
        a.update(fields)
        with self.lock:
            self.assistants[a["id"]] = a
        return copy.deepcopy(a)

    def seed(self, data):
        """{"phone_numbers": [{"number": ..., ...}], "assistants": [{...}]}
        -> {"phone_numbers": [ids], "assistants": [ids]}"""
        out = {"phone_numbers": [], "assistants": []}
        for p in data.get("phone_numbers", []):
            p = dict(p)
            out["phone_numbers"].append(
                self.add_phone_number(p.pop("number"), **p)["id"])
        for a in data.get("assistants", []):
            out["assistants"].append(self.add_assistant(**a)["id"])
        return out

    def state(self):
        with self.lock:
            return {"assistants": list(copy.deepcopy(
                        self.assistants).values()),
                    "phone_numbers": list(copy.deepcopy(
                        self.phone_numbers).values()),
                    "writes": self.writes()}

    def writes(self):
        """Successful POST/PATCH/DELETE requests so far."""
        return len([r for r in self.requests()
                    if r["method"] in ("POST", "PATCH", "DELETE")
                    and r["status"] is not None and r["status"] < 300])

    # ---- serving ------------------------------------------------------------

    def handle(self, req):
        auth = req.header("Authorization") or ""
        want = self.config["api_key"]
        if not auth.startswith("Bearer ") or (
                want is not None and auth[7:].strip() != want):
            return json_response(401, {
                "message": "Invalid Key. Hot tip, you may be using the "
                           "private key instead of the public key, or vice "
                           "versa.",
                "error": "Unauthorized", "statusCode": 401})
        m = re.fullmatch(r"/(assistant|phone-number)(?:/([^/]+))?/?",
                         req.path)
        if not m:
            return self._not_found("Cannot %s %s" % (req.method, req.path))
        kind, rid = m.group(1), m.group(2)
        try:
            with self.lock:
                if kind == "assistant":
                    return self._assistant(req, rid)
                return self._phone_number(req, rid)
        except BadRequest as e:
            return json_response(e.status, {
                "message": e.messages, "error": "Bad Request",
                "statusCode": e.status})

    @staticmethod
    def _not_found(message="Not Found"):
        return json_response(404, {"message": message, "error": "Not Found",
                                   "statusCode": 404})

    def _body(self, req):
        if req.content_type() != "application/json":
            raise BadRequest(["the body must be JSON (Content-Type: "
                              "application/json)"])
        try:
            body = req.json()
        except ValueError:
            raise BadRequest(["Unexpected token in JSON"])
        if not isinstance(body, dict):
            raise BadRequest(["the body must be an object"])
        return body

    def _check_server(self, server, where):
        if not isinstance(server, dict):
            raise BadRequest(["%s must be an object" % where])
        errors = _unknown(server, SERVER_KEYS, where + ".")
        url = server.get("url")
        if url is not None and not (isinstance(url, str) and (
                url.startswith("https://") or _LOOPBACK.match(url))):
            errors.append("%s.url must be a URL address" % where)
        headers = server.get("headers", {})
        if not isinstance(headers, dict) or not all(
                isinstance(v, str) for v in headers.values()):
            errors.append("%s.headers must be an object of strings" % where)
        t = server.get("timeoutSeconds")
        if t is not None and not (isinstance(t, (int, float))
                                  and 1 <= t <= 300):
            errors.append("%s.timeoutSeconds must not be less than 1 and "
                          "not greater than 300" % where)
        if errors:
            raise BadRequest(errors)

    def _assistant(self, req, rid):
        if rid is None:
            if req.method == "GET":
                items = list(reversed(list(self.assistants.values())))
                limit = req.arg("limit")
                if limit:
                    items = items[:int(limit)]
                return json_response(200, copy.deepcopy(items))
            if req.method == "POST":
                body = self._body(req)
                self._validate_assistant(body)
                a = {"id": str(uuid.uuid4()),
                     "orgId": self.config["org_id"],
                     "createdAt": _now(), "updatedAt": _now()}
                a.update(copy.deepcopy(body))
                self.assistants[a["id"]] = a
                return json_response(201, copy.deepcopy(a))
            return self._not_found()
        a = self.assistants.get(rid)
        if a is None:
            return self._not_found()
        if req.method == "GET":
            return json_response(200, copy.deepcopy(a))
        if req.method == "PATCH":
            body = self._body(req)
            self._validate_assistant(body)
            a.update(copy.deepcopy(body))
            a["updatedAt"] = _now()
            return json_response(200, copy.deepcopy(a))
        if req.method == "DELETE":
            del self.assistants[rid]
            return json_response(200, a)
        return self._not_found()

    def _validate_assistant(self, body):
        errors = _unknown(body, ASSISTANT_KEYS)
        if errors:
            raise BadRequest(errors)
        if "server" in body:
            self._check_server(body["server"], "server")
        model = body.get("model")
        if model is not None:
            if not isinstance(model, dict) or "provider" not in model \
                    or "model" not in model:
                raise BadRequest(["model.provider and model.model are "
                                  "required"])
            for i, tool in enumerate(model.get("tools") or []):
                if not isinstance(tool, dict) or "type" not in tool:
                    raise BadRequest(["model.tools.%d.type is required" % i])
                if "server" in tool:
                    self._check_server(tool["server"],
                                       "model.tools.%d.server" % i)

    def _phone_number(self, req, rid):
        if rid is None:
            if req.method == "GET":
                return json_response(200, copy.deepcopy(
                    list(self.phone_numbers.values())))
            return self._not_found("Cannot %s /phone-number: buy or import "
                                   "a number in the dashboard" % req.method)
        pn = self.phone_numbers.get(rid)
        if pn is None:
            return self._not_found()
        if req.method == "GET":
            return json_response(200, copy.deepcopy(pn))
        if req.method != "PATCH":
            return self._not_found()
        body = self._body(req)
        errors = _unknown(body, PHONE_KEYS)
        if errors:
            raise BadRequest(errors)
        if "server" in body:
            self._check_server(body["server"], "server")
        aid = body.get("assistantId", "absent")
        if aid not in ("absent", None) and aid not in self.assistants:
            raise BadRequest(["Couldn't Find Assistant %s" % aid])
        fb = body.get("fallbackDestination")
        if fb is not None:
            if not isinstance(fb, dict):
                raise BadRequest(["fallbackDestination must be an object"])
            errors = _unknown(fb, DESTINATION_KEYS, "fallbackDestination.")
            if fb.get("type") not in ("number", "sip"):
                errors.append("fallbackDestination.type must be one of: "
                              "number, sip")
            elif fb["type"] == "number" and not _E164.match(
                    str(fb.get("number", ""))):
                errors.append("fallbackDestination.number must be a valid "
                              "phone number in the E.164 format")
            if errors:
                raise BadRequest(errors)
        for k, v in body.items():
            if v is None:
                pn.pop(k, None)
            else:
                pn[k] = copy.deepcopy(v)
        pn["updatedAt"] = _now()
        return json_response(200, copy.deepcopy(pn))


class VapiClient(FakeClient):
    """Control API of a VAPI fake in another process."""

    def writes(self):
        return self.state()["writes"]


def _args(p):
    p.add_argument("--api-key", default=None)


def _options(a):
    return {"api_key": a.api_key} if a.api_key else {}


if __name__ == "__main__":
    sys.exit(main(VapiFake, add_arguments=_args,
                  options_from_args=_options))
