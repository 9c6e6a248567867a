"""Self-tests of the OpenAI fake, over HTTP with urllib."""

import json
import re
import socket
import time
import urllib.error
import urllib.request

import pytest

from .common import FakeProcess
from .helpers import bearer, http
from .openai import OpenAIClient, OpenAIFake

KEY = "sk-test-selftest-key-000000000000"

TOOLS = [{"type": "function", "function": {
    "name": "check_availability",
    "description": "¿Hay mesa?",
    "strict": True,
    "parameters": {
        "type": "object",
        "properties": {"date": {"type": "string"},
                       "time": {"type": "string"},
                       "party_size": {"type": "integer"}},
        "required": ["date", "time", "party_size"],
        "additionalProperties": False}}}]


@pytest.fixture
def fake():
    f = OpenAIFake(api_key=KEY)
    f.start()
    yield f
    f.stop()


def chat(f, body, key=KEY, timeout=10):
    return http("POST", f.url + "/v1/chat/completions", body=body,
                headers=bearer(key), timeout=timeout)


def req(messages=None, **kw):
    body = {"model": "gpt-4o",
            "messages": messages or [
                {"role": "system", "content": "Eres el restaurante."},
                {"role": "user", "content": "Mesa para 4 mañana"}]}
    body.update(kw)
    return body


def test_auth(fake):
    fake.push_content("hola")
    a = chat(fake, req(), key="sk-wrong-key-1234")
    assert a.status == 401
    err = a.json()["error"]
    assert err["code"] == "invalid_api_key"
    assert err["type"] == "invalid_request_error"
    assert "sk-wrong-key-1234" not in err["message"]
    a = http("POST", fake.url + "/v1/chat/completions", body=req())
    assert a.status == 401
    assert fake.pending() == 1      # nothing consumed


def test_content_answer_shape(fake):
    fake.push_content("¿Para cuántas personas?")
    a = chat(fake, req())
    assert a.status == 200
    b = a.json()
    assert re.fullmatch(r"chatcmpl-[A-Za-z0-9]{29}", b["id"])
    assert b["object"] == "chat.completion"
    assert isinstance(b["created"], int)
    assert abs(b["created"] - time.time()) < 5
    assert b["model"].startswith("gpt-4o")
    ch = b["choices"][0]
    assert ch["index"] == 0 and ch["finish_reason"] == "stop"
    assert ch["message"]["role"] == "assistant"
    assert ch["message"]["content"] == "¿Para cuántas personas?"
    assert "tool_calls" not in ch["message"]
    u = b["usage"]
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]
    assert u["prompt_tokens"] > 0
    assert a.headers["x-request-id"]


def test_tool_calls_then_tool_results(fake):
    fake.push_tool_calls([("check_availability",
                           {"date": "2026-11-28", "time": "21:00",
                            "party_size": 4}),
                          {"name": "check_availability", "id": "call_two",
                           "arguments": '{"date":"2026-11-29",'
                                        '"time":"21:00","party_size":4}'}])
    fake.push_content("Sí, hay mesa.")
    a = chat(fake, req(tools=TOOLS, tool_choice="auto"))
    b = a.json()
    ch = b["choices"][0]
    assert ch["finish_reason"] == "tool_calls"
    calls = ch["message"]["tool_calls"]
    assert [c["type"] for c in calls] == ["function", "function"]
    assert re.fullmatch(r"call_[A-Za-z0-9]{24}", calls[0]["id"])
    assert calls[1]["id"] == "call_two"
    assert isinstance(calls[0]["function"]["arguments"], str)
    assert json.loads(calls[0]["function"]["arguments"])["party_size"] == 4
    msgs = req()["messages"] + [ch["message"]] + [
        {"role": "tool", "tool_call_id": c["id"], "content": "libre"}
        for c in calls]
    a = chat(fake, req(msgs, tools=TOOLS))
    assert a.status == 200, a.body
    assert a.json()["choices"][0]["message"]["content"] == "Sí, hay mesa."
    sent = fake.chat_requests()
    assert len(sent) == 2 and sent[1]["messages"][-1]["role"] == "tool"


def test_forced_tool_call_finishes_with_stop(fake):
    fake.push_tool_calls([("check_availability", {"date": "x", "time": "y",
                                                  "party_size": 2})],
                         finish_reason="stop")
    choice = {"type": "function", "function": {"name": "check_availability"}}
    b = chat(fake, req(tools=TOOLS, tool_choice=choice)).json()
    assert b["choices"][0]["finish_reason"] == "stop"
    assert b["choices"][0]["message"]["tool_calls"]


def _assistant_with_calls(*ids):
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": i, "type": "function",
         "function": {"name": "check_availability", "arguments": "{}"}}
        for i in ids]}


@pytest.mark.parametrize("tail,fragment", [
    # a tool call left unanswered
    ([_assistant_with_calls("call_a", "call_b"),
      {"role": "tool", "tool_call_id": "call_a", "content": "x"}],
     "call_b"),
    # answered out of order
    ([_assistant_with_calls("call_a", "call_b"),
      {"role": "tool", "tool_call_id": "call_b", "content": "x"},
      {"role": "tool", "tool_call_id": "call_a", "content": "x"}],
     "in order"),
    # a user message before the answers
    ([_assistant_with_calls("call_a"),
      {"role": "user", "content": "¿y?"}], "call_a"),
    # a tool message with no tool_calls before it
    ([{"role": "tool", "tool_call_id": "call_z", "content": "x"}],
     "must be a response to a preceeding message"),
])
def test_unanswered_or_misordered_tool_calls_are_400(fake, tail, fragment):
    fake.push_content("no debería llegar")
    a = chat(fake, req(req()["messages"] + tail, tools=TOOLS))
    assert a.status == 400
    err = a.json()["error"]
    assert err["type"] == "invalid_request_error"
    assert fragment in err["message"]
    assert fake.pending() == 1


@pytest.mark.parametrize("body,status,fragment", [
    ({"messages": [{"role": "user", "content": "x"}]}, 400, "model"),
    ({"model": "gpt-9", "messages": [{"role": "user", "content": "x"}]},
     404, "does not exist"),
    ({"model": "gpt-4o", "messages": []}, 400, "messages"),
    ({"model": "gpt-4o", "messages": [{"role": "bot", "content": "x"}]},
     400, "Invalid value"),
    ({"model": "gpt-4o", "messages": [{"role": "user"}]}, 400, "content"),
    ({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}],
      "temprature": 1}, 400, "Unrecognized request argument"),
    ({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}],
      "tool_choice": "auto"}, 400, "only allowed when 'tools'"),
])
def test_request_validation(fake, body, status, fragment):
    a = chat(fake, body)
    assert a.status == status
    assert fragment in a.json()["error"]["message"]


def test_arguments_must_be_a_string(fake):
    msgs = req()["messages"] + [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_a", "type": "function",
             "function": {"name": "check_availability",
                          "arguments": {"date": "x"}}}]},
        {"role": "tool", "tool_call_id": "call_a", "content": "x"}]
    a = chat(fake, req(msgs, tools=TOOLS))
    assert a.status == 400
    assert a.json()["error"]["param"].endswith("function.arguments")


def test_strict_schema_checked(fake):
    loose = json.loads(json.dumps(TOOLS))
    del loose[0]["function"]["parameters"]["additionalProperties"]
    a = chat(fake, req(tools=loose))
    assert a.status == 400 and "additionalProperties" in a.body.decode()
    partial = json.loads(json.dumps(TOOLS))
    partial[0]["function"]["parameters"]["required"] = ["date"]
    a = chat(fake, req(tools=partial))
    assert a.status == 400 and "'time'" in a.body.decode()


def test_scripted_tool_not_offered_is_flagged(fake):
    fake.push_tool_calls([("cancel_reservation", {})])
    a = chat(fake, req(tools=TOOLS))
    assert a.status == 500
    assert fake.script_errors


def test_empty_script_and_default(fake):
    a = chat(fake, req())
    assert a.status == 500 and fake.script_errors == ["script empty"]
    fake.configure(default_content="Vale.")
    a = chat(fake, req())
    assert a.json()["choices"][0]["message"]["content"] == "Vale."


def test_responder_callback(fake):
    def respond(body):
        last = body["messages"][-1]["content"]
        return {"content": "eco: " + last}
    fake.set_responder(respond)
    b = chat(fake, req()).json()
    assert b["choices"][0]["message"]["content"] == "eco: Mesa para 4 mañana"


def test_rate_limit_quota_and_server_errors(fake):
    fake.push_rate_limit(retry_after_ms=250, retry_after=1)
    fake.push_quota()
    fake.push_server_error(500)
    fake.push_server_error(503)
    fake.push_content("por fin")
    a = chat(fake, req())
    assert a.status == 429
    assert a.json()["error"]["code"] == "rate_limit_exceeded"
    assert a.headers["retry-after-ms"] == "250"
    assert a.headers["retry-after"] == "1"
    a = chat(fake, req())
    assert a.status == 429
    assert a.json()["error"]["code"] == "insufficient_quota"
    assert a.json()["error"]["type"] == "insufficient_quota"
    assert "retry-after" not in a.headers
    a = chat(fake, req())
    assert a.status == 500 and a.json()["error"]["type"] == "server_error"
    a = chat(fake, req())
    assert a.status == 503
    assert chat(fake, req()).status == 200


def test_latency_and_timeout(fake):
    fake.push_content("lento", delay=0.3)
    t = time.monotonic()
    assert chat(fake, req()).status == 200
    assert time.monotonic() - t >= 0.3
    fake.push_timeout(2.0)
    t = time.monotonic()
    with pytest.raises((socket.timeout, TimeoutError, urllib.error.URLError)):
        urllib.request.urlopen(urllib.request.Request(
            fake.url + "/v1/chat/completions",
            data=json.dumps(req()).encode(),
            headers=dict(bearer(KEY), **{"Content-Type":
                                         "application/json"})),
            timeout=0.5).read()
    assert time.monotonic() - t < 1.5
    # the server side closes after 2 s without answering
    time.sleep(1.7)
    e = fake.requests()[-1]
    assert e["dropped"] and e["status"] is None


def test_subprocess_script_over_http():
    p = FakeProcess("openai", ["--api-key", KEY], client_class=OpenAIClient)
    try:
        c = p.client
        c.push_tool_calls([("check_availability",
                            {"date": "2026-11-28", "time": "21:00",
                             "party_size": 4})], finish_reason="stop")
        c.push_rate_limit(retry_after_ms=100)
        a = http("POST", p.url + "/v1/chat/completions", body=req(
            tools=TOOLS), headers=bearer(KEY))
        calls = a.json()["choices"][0]["message"]["tool_calls"]
        assert calls[0]["function"]["name"] == "check_availability"
        a = http("POST", p.url + "/v1/chat/completions", body=req(),
                 headers=bearer(KEY))
        assert a.status == 429
        assert c.pending() == 0
        assert len(c.chat_requests()) == 1
        assert [e["status"] for e in c.requests()] == [200, 429]
    finally:
        p.stop()
