"""Fake OpenAI chat completions API, loopback only.

    fake = OpenAIFake(api_key="sk-test")
    base = fake.start() + "/v1"          # OPENAI_BASE_URL
    fake.push_content("¡Hola! ¿Para cuántas personas?")
    fake.push_tool_calls([("check_availability",
                           {"date": "2026-11-28", "time": "21:00",
                            "party_size": 4})])
    fake.push_rate_limit(retry_after_ms=200)
    ...
    fake.stop()

or `python3 -m tests.fakes.openai --port 0 [--api-key K]`, scripted over
HTTP with POST /_fake/script {"entries": [...]}.

POST /v1/chat/completions checks what the real API checks and answers in
its shapes:
- bearer auth (401 invalid_api_key);
- the body: model (404 model_not_found for unknown models when `models`
  is a list), messages (roles, content, assistant tool_calls with string
  arguments, every tool_call_id answered by the tool messages that follow,
  in order -- 400 otherwise), tools (names, strict schemas:
  additionalProperties false and every property required), tool_choice,
  unknown top-level parameters (400);
- the answer: the next script entry (or the responder callback, or
  `default_content`), with id, object, created, model, choices, usage.

Script entries (dicts):
  {"content": "text"}
  {"tool_calls": [{"name": n, "arguments": dict | json-string, "id": opt}],
   "content": None, "finish_reason": "tool_calls" (default) | "stop"}
  {"error": "rate_limit" | "insufficient_quota" | "server_error" |
            "overloaded" | "timeout", "retry_after_ms": n,
   "retry_after": s, "status": code}
  {"raw": {...}, "status": 200}   -- a body sent as is
  any entry may carry "delay": seconds before the answer.
"""

import json
import random
import re
import string
import sys
import time

from .common import Drop, FakeClient, FakeServer, json_response, main

DEFAULT_KEY = "sk-fake-0123456789abcdefghijklmnopqrstuvwxyz"
MODEL_SNAPSHOTS = {
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4-turbo": "gpt-4-turbo-2024-04-09",
    "gpt-3.5-turbo": "gpt-3.5-turbo-0125",
}
KNOWN_PARAMS = {
    "model", "messages", "tools", "tool_choice", "parallel_tool_calls",
    "temperature", "top_p", "n", "stream", "stream_options", "stop",
    "max_tokens", "max_completion_tokens", "presence_penalty",
    "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "user",
    "seed", "response_format", "functions", "function_call", "store",
    "metadata", "service_tier", "reasoning_effort", "modalities",
    "prediction", "audio", "web_search_options",
}
ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
_ALNUM = string.ascii_letters + string.digits
_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def _rand(n):
    return "".join(random.choice(_ALNUM) for _ in range(n))


class BadRequest(Exception):
    def __init__(self, message, param=None, code=None, status=400,
                 etype="invalid_request_error"):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": etype,
                               "param": param, "code": code}}


def error_body(message, etype, code=None, param=None):
    return {"error": {"message": message, "type": etype, "param": param,
                      "code": code}}


def _strict_schema_errors(fname, schema, path="()"):
    """What the API says about a strict function schema, or None."""
    if not isinstance(schema, dict):
        return None
    if schema.get("type") == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        if schema.get("additionalProperties") is not False:
            return ("Invalid schema for function '%s': In context=%s, "
                    "'additionalProperties' is required to be supplied "
                    "and to be false." % (fname, path))
        req = schema.get("required")
        missing = [k for k in props if not isinstance(req, list)
                   or k not in req]
        if missing:
            return ("Invalid schema for function '%s': In context=%s, "
                    "'required' is required to be supplied and to be an "
                    "array including every key in properties. Missing "
                    "'%s'." % (fname, path, missing[0]))
        for k, sub in props.items():
            e = _strict_schema_errors(fname, sub, "('properties', '%s')"
                                      % k)
            if e:
                return e
    if isinstance(schema.get("items"), dict):
        return _strict_schema_errors(fname, schema["items"], path)
    for key in ("anyOf", "$defs", "definitions"):
        subs = schema.get(key)
        subs = subs.values() if isinstance(subs, dict) else (subs or [])
        for sub in subs:
            e = _strict_schema_errors(fname, sub, path)
            if e:
                return e
    return None


def validate_request(body, models=None):
    """Raises BadRequest the way the API answers; returns the tool names
    offered."""
    if not isinstance(body, dict):
        raise BadRequest("We could not parse the JSON body of your request."
                         " (HINT: This likely means you aren't using your "
                         "HTTP library correctly. The OpenAI API expects a "
                         "JSON payload, but what was sent was not valid "
                         "JSON.)")
    for k in body:
        if k not in KNOWN_PARAMS:
            raise BadRequest("Unrecognized request argument supplied: %s"
                             % k)
    model = body.get("model")
    if not model:
        raise BadRequest("you must provide a model parameter")
    if not isinstance(model, str):
        raise BadRequest("Invalid type for 'model': expected a string",
                         "model", "invalid_type")
    if models is not None and model not in models:
        raise BadRequest("The model `%s` does not exist or you do not have "
                         "access to it." % model, None, "model_not_found",
                         404)
    if body.get("stream"):
        raise BadRequest("this fake does not stream", "stream")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise BadRequest("Missing required parameter: 'messages'.",
                         "messages", "missing_required_parameter")
    pending = []   # tool_call ids of the last assistant message, in order
    pending_at = None
    for i, m in enumerate(msgs):
        p = "messages[%d]" % i
        if not isinstance(m, dict):
            raise BadRequest("Invalid type for '%s': expected an object"
                             % p, p, "invalid_type")
        role = m.get("role")
        if role not in ROLES:
            raise BadRequest("Invalid value: '%s'. Supported values are: "
                             "'system', 'assistant', 'user', 'tool', "
                             "'function' and 'developer'." % (role,),
                             p + ".role", "invalid_value")
        if pending and role != "tool":
            raise BadRequest(
                "An assistant message with 'tool_calls' must be followed "
                "by tool messages responding to each 'tool_call_id'. The "
                "following tool_call_ids did not have response messages: "
                + ", ".join(pending), "messages.[%d].role" % pending_at)
        content = m.get("content")
        if role == "tool":
            tcid = m.get("tool_call_id")
            if not isinstance(tcid, str):
                raise BadRequest("Missing required parameter: "
                                 "'%s.tool_call_id'." % p,
                                 p + ".tool_call_id",
                                 "missing_required_parameter")
            if not pending:
                raise BadRequest(
                    "Invalid parameter: messages with role 'tool' must be "
                    "a response to a preceeding message with 'tool_calls'.",
                    "messages.[%d].role" % i)
            if tcid != pending[0]:
                raise BadRequest(
                    "Invalid parameter: tool message %s answers "
                    "tool_call_id '%s' but '%s' is the next one to answer "
                    "(answer the tool_calls in order)."
                    % (p, tcid, pending[0]), p + ".tool_call_id")
            pending.pop(0)
        if role == "assistant":
            calls = m.get("tool_calls")
            if calls is not None:
                if not isinstance(calls, list) or not calls:
                    raise BadRequest("Invalid 'messages[%d].tool_calls': "
                                     "empty array." % i,
                                     p + ".tool_calls", "empty_array")
                for j, c in enumerate(calls):
                    cp = "%s.tool_calls[%d]" % (p, j)
                    if not isinstance(c, dict) or not isinstance(
                            c.get("id"), str) or c.get("type") != "function":
                        raise BadRequest("Invalid value for '%s': expected "
                                         "{id, type: 'function', function}"
                                         % cp, cp)
                    fn = c.get("function") or {}
                    if not isinstance(fn.get("name"), str):
                        raise BadRequest("Missing required parameter: "
                                         "'%s.function.name'." % cp,
                                         cp + ".function.name",
                                         "missing_required_parameter")
                    if not isinstance(fn.get("arguments"), str):
                        raise BadRequest(
                            "Invalid type for '%s.function.arguments': "
                            "expected a string, but got %s instead."
                            % (cp, type(fn.get("arguments")).__name__),
                            cp + ".function.arguments", "invalid_type")
                pending = [c["id"] for c in calls]
                pending_at = i
            elif content is None:
                raise BadRequest("Missing required parameter: '%s.content'."
                                 % p, p + ".content",
                                 "missing_required_parameter")
        elif role != "tool" and content is None:
            raise BadRequest("Missing required parameter: '%s.content'." % p,
                             p + ".content", "missing_required_parameter")
        if content is not None and not isinstance(content, (str, list)):
            raise BadRequest("Invalid type for '%s.content': expected one "
                             "of a string or array of objects" % p,
                             p + ".content", "invalid_type")
    if pending:
        raise BadRequest(
            "An assistant message with 'tool_calls' must be followed by "
            "tool messages responding to each 'tool_call_id'. The following "
            "tool_call_ids did not have response messages: "
            + ", ".join(pending), "messages.[%d].role" % pending_at)
    names = []
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise BadRequest("Invalid type for 'tools': expected an array",
                             "tools", "invalid_type")
        for j, t in enumerate(tools):
            tp = "tools[%d]" % j
            fn = t.get("function") if isinstance(t, dict) else None
            if not isinstance(fn, dict) or t.get("type") != "function":
                raise BadRequest("Missing required parameter: '%s.function'."
                                 % tp, tp + ".function",
                                 "missing_required_parameter")
            name = fn.get("name")
            if not isinstance(name, str) or not _NAME_RE.match(name):
                raise BadRequest("Invalid '%s.function.name': string does "
                                 "not match pattern. Expected a string "
                                 "that matches the pattern "
                                 "'^[a-zA-Z0-9_-]+$'." % tp,
                                 tp + ".function.name", "invalid_value")
            params = fn.get("parameters")
            if params is not None and not isinstance(params, dict):
                raise BadRequest("Invalid type for '%s.function.parameters'"
                                 % tp, tp + ".function.parameters",
                                 "invalid_type")
            if fn.get("strict") is True:
                e = _strict_schema_errors(name, params or {})
                if e:
                    raise BadRequest(e, tp + ".function.parameters",
                                     "invalid_function_parameters")
            names.append(name)
    choice = body.get("tool_choice")
    if choice is not None:
        if not tools:
            raise BadRequest("Invalid value for 'tool_choice': "
                             "'tool_choice' is only allowed when 'tools' "
                             "are specified.", "tool_choice")
        if isinstance(choice, dict):
            want = (choice.get("function") or {}).get("name")
            if want not in names:
                raise BadRequest("Invalid value for 'tool_choice': no "
                                 "function named '%s' was specified in the "
                                 "'tools' parameter." % (want,),
                                 "tool_choice")
        elif choice not in ("none", "auto", "required"):
            raise BadRequest("Invalid value: '%s'. Supported values are: "
                             "'none', 'auto', and 'required'." % (choice,),
                             "tool_choice", "invalid_value")
    return names


def _tokens(text):
    return max(1, len(text) // 4)


class OpenAIFake(FakeServer):
    name = "openai"
    default_config = {
        "api_key": DEFAULT_KEY,     # None: any bearer key
        "models": sorted(MODEL_SNAPSHOTS),  # None: any model name
        "default_content": None,    # answer when the script is empty;
                                    # None: 500 so a test sees it
    }

    def reset_state(self):
        self.script = []
        self.responder = None
        self.script_errors = []
        self.completions = []   # (request body, response body)

    # ---- scripting ----------------------------------------------------------

    def push(self, *entries):
        with self.lock:
            for e in entries:
                if not isinstance(e, dict):
                    raise ValueError("script entries are dicts")
                self.script.append(dict(e))

    def push_content(self, text, delay=0.0):
        self.push({"content": text, "delay": delay})

    def push_tool_calls(self, calls, content=None, finish_reason=None,
                        delay=0.0):
        """calls: [(name, arguments)] or [{"name", "arguments", "id"}];
        finish_reason "stop" models a forced tool call."""
        norm = []
        for c in calls:
            if isinstance(c, (list, tuple)):
                c = {"name": c[0], "arguments": c[1]}
            norm.append(c)
        self.push({"tool_calls": norm, "content": content,
                   "finish_reason": finish_reason, "delay": delay})

    def push_rate_limit(self, retry_after_ms=None, retry_after=None):
        self.push({"error": "rate_limit", "retry_after_ms": retry_after_ms,
                   "retry_after": retry_after})

    def push_quota(self):
        self.push({"error": "insufficient_quota"})

    def push_server_error(self, status=500):
        self.push({"error": "server_error" if status != 503
                   else "overloaded", "status": status})

    def push_timeout(self, seconds):
        """Hold the answer `seconds`, then close the connection."""
        self.push({"error": "timeout", "delay": seconds})

    def set_responder(self, fn):
        """fn(request_body) -> script entry; used when the queue is
        empty (in-process only)."""
        with self.lock:
            self.responder = fn

    def pending(self):
        with self.lock:
            return len(self.script)

    def chat_requests(self):
        """Bodies of the chat completion requests that reached the
        script (valid ones), oldest first."""
        with self.lock:
            return [json.loads(json.dumps(r)) for r, _ in self.completions]

    def state(self):
        with self.lock:
            return {"pending": len(self.script),
                    "script_errors": list(self.script_errors),
                    "completions": len(self.completions)}

    def control(self, req, action):
        if action == "script" and req.method == "POST":
            data = req.json()
            self.push(*data.get("entries", []))
            return json_response(200, {"pending": self.pending()})
        if action == "script" and req.method == "DELETE":
            with self.lock:
                self.script = []
            return json_response(200, {"ok": True})
        if action == "completions" and req.method == "GET":
            return json_response(200, {"requests": self.chat_requests()})
        return None

    # ---- serving ------------------------------------------------------------

    def _headers(self, extra=None):
        h = {"x-request-id": "req_" + _rand(32).lower(),
             "openai-processing-ms": str(random.randint(80, 900)),
             "openai-version": "2020-10-01",
             "x-ratelimit-limit-requests": "10000",
             "x-ratelimit-remaining-requests": "9999",
             "x-ratelimit-reset-requests": "6ms"}
        h.update(extra or {})
        return h

    def handle(self, req):
        if req.path.rstrip("/") == "/v1/models" and req.method == "GET":
            return self._auth(req) or json_response(200, {
                "object": "list",
                "data": [{"id": m, "object": "model", "created": 1715367049,
                          "owned_by": "system"}
                         for m in (self.config["models"] or [])]})
        if req.path.rstrip("/") != "/v1/chat/completions":
            return json_response(404, error_body(
                "Invalid URL (%s %s)" % (req.method, req.path),
                "invalid_request_error"))
        if req.method != "POST":
            return json_response(405, error_body(
                "Invalid method for URL (%s %s)" % (req.method, req.path),
                "invalid_request_error"))
        denied = self._auth(req)
        if denied:
            return denied
        try:
            try:
                body = req.json()
            except ValueError:
                body = None
            tools = validate_request(body, self.config["models"])
        except BadRequest as e:
            return json_response(e.status, e.body, self._headers())
        with self.lock:
            if self.script:
                entry = self.script.pop(0)
            elif self.responder:
                entry = None
            elif self.config["default_content"] is not None:
                entry = {"content": self.config["default_content"]}
            else:
                self.script_errors.append("script empty")
                return json_response(500, error_body(
                    "openai fake: the script queue is empty",
                    "fake_error"), self._headers())
            responder = self.responder
        if entry is None:
            entry = responder(body)
        return self._answer(body, tools, entry)

    def _auth(self, req):
        auth = req.header("Authorization") or ""
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return json_response(401, error_body(
                "You didn't provide an API key. You need to provide your "
                "API key in an Authorization header using Bearer auth "
                "(i.e. Authorization: Bearer YOUR_KEY), or as the password "
                "field (with blank username) if you're accessing the API "
                "from your browser and are prompted for a username and "
                "password. You can obtain an API key from "
                "https://platform.openai.com/account/api-keys.",
                "invalid_request_error"), self._headers())
        key = auth[7:].strip()
        want = self.config["api_key"]
        if want is not None and key != want:
            shown = key[:3] + "*" * 4 + key[-4:] if len(key) > 8 else key
            return json_response(401, error_body(
                "Incorrect API key provided: %s. You can find your API key "
                "at https://platform.openai.com/account/api-keys." % shown,
                "invalid_request_error", "invalid_api_key"),
                self._headers())
        return None

    def _answer(self, body, tools, entry):
        delay = float(entry.get("delay") or 0)
        err = entry.get("error")
        if err:
            return self._error(entry, delay)
        if "raw" in entry:
            return json_response(entry.get("status", 200), entry["raw"],
                                 self._headers(), delay)
        message = {"role": "assistant", "content": entry.get("content"),
                   "refusal": None, "annotations": []}
        finish = entry.get("finish_reason")
        calls = entry.get("tool_calls")
        if calls:
            out = []
            for c in calls:
                if c["name"] not in tools:
                    self.script_errors.append(
                        "scripted tool %r was not offered by the request"
                        % c["name"])
                    return json_response(500, error_body(
                        "openai fake: scripted tool %r was not in the "
                        "request's tools %r" % (c["name"], tools),
                        "fake_error"), self._headers())
                args = c.get("arguments", {})
                if not isinstance(args, str):
                    args = json.dumps(args, ensure_ascii=False)
                out.append({"id": c.get("id") or "call_" + _rand(24),
                            "type": "function",
                            "function": {"name": c["name"],
                                         "arguments": args}})
            message["tool_calls"] = out
            finish = finish or "tool_calls"
        else:
            if message["content"] is None:
                message["content"] = ""
            finish = finish or "stop"
        model = body["model"]
        prompt = _tokens(json.dumps(body["messages"], ensure_ascii=False)
                         + json.dumps(body.get("tools") or []))
        completion = _tokens(json.dumps(message, ensure_ascii=False))
        resp = {
            "id": "chatcmpl-" + _rand(29),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": MODEL_SNAPSHOTS.get(model, model),
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": finish}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": 0,
                                          "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": 0, "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0},
            },
            "service_tier": "default",
            "system_fingerprint": "fp_" + _rand(10).lower(),
        }
        with self.lock:
            self.completions.append((body, resp))
        return json_response(200, resp, self._headers(), delay)

    def _error(self, entry, delay):
        kind = entry["error"]
        if kind == "timeout":
            # hold the connection, then close it without an answer
            self._stop_event.wait(delay)
            raise Drop()
        if kind == "rate_limit":
            ms = entry.get("retry_after_ms")
            secs = entry.get("retry_after")
            headers = {"x-ratelimit-limit-tokens": "30000",
                       "x-ratelimit-remaining-tokens": "0",
                       "x-ratelimit-reset-tokens": "%.3fs"
                       % ((ms or 1000) / 1000.0)}
            if ms is not None:
                headers["retry-after-ms"] = str(int(ms))
            if secs is not None:
                headers["retry-after"] = str(int(secs))
            wait = (ms / 1000.0) if ms is not None else (secs or 1)
            return json_response(429, error_body(
                "Rate limit reached for gpt-4o in organization "
                "org-fake on tokens per min (TPM): Limit 30000, Used 30000, "
                "Requested 812. Please try again in %.3fs. Visit "
                "https://platform.openai.com/account/rate-limits to learn "
                "more." % wait, "tokens", "rate_limit_exceeded"),
                self._headers(headers), delay)
        if kind == "insufficient_quota":
            return json_response(429, error_body(
                "You exceeded your current quota, please check your plan "
                "and billing details. For more information on this error, "
                "read the docs: https://platform.openai.com/docs/guides/"
                "error-codes/api-errors.", "insufficient_quota",
                "insufficient_quota"), self._headers(), delay)
        if kind == "overloaded":
            return json_response(entry.get("status") or 503, error_body(
                "The engine is currently overloaded, please try again "
                "later", "server_error"), self._headers(), delay)
        if kind == "server_error":
            return json_response(entry.get("status") or 500, error_body(
                "The server had an error while processing your request. "
                "Sorry about that!", "server_error"), self._headers(),
                delay)
        raise ValueError("unknown scripted error %r" % kind)


class OpenAIClient(FakeClient):
    """Control API of an OpenAI fake in another process."""

    def push(self, *entries):
        return self.call("POST", "script", {"entries": list(entries)})

    def push_content(self, text, delay=0.0):
        return self.push({"content": text, "delay": delay})

    def push_tool_calls(self, calls, content=None, finish_reason=None,
                        delay=0.0):
        norm = [{"name": c[0], "arguments": c[1]}
                if isinstance(c, (list, tuple)) else c for c in calls]
        return self.push({"tool_calls": norm, "content": content,
                          "finish_reason": finish_reason, "delay": delay})

    def push_rate_limit(self, retry_after_ms=None, retry_after=None):
        return self.push({"error": "rate_limit",
                          "retry_after_ms": retry_after_ms,
                          "retry_after": retry_after})

    def push_quota(self):
        return self.push({"error": "insufficient_quota"})

    def push_server_error(self, status=500):
        return self.push({"error": "server_error" if status != 503
                          else "overloaded", "status": status})

    def push_timeout(self, seconds):
        return self.push({"error": "timeout", "delay": seconds})

    def chat_requests(self):
        return self.call("GET", "completions")["requests"]

    def pending(self):
        return self.state()["pending"]


def _args(p):
    p.add_argument("--api-key", default=None)


def _options(a):
    return {"api_key": a.api_key} if a.api_key else {}


if __name__ == "__main__":
    sys.exit(main(OpenAIFake, add_arguments=_args,
                  options_from_args=_options))
