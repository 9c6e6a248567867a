"""Every answer we send VAPI, type-checked against VAPI's official
TypeScript SDK (@vapi-ai/server-sdk, tests/vapi_sdk/): a field VAPI does
not know, or a value of a type it does not take, fails here and not in a
real call. See docs/vapi.md for what the SDK allows in each answer.

nginx answers real messages; the answers are written into a generated .ts
file (build/vapi_sdk/checks/<test>.ts), one typed object literal each, and
`tsc --noEmit --strict` checks them (tests/integration/vapi_sdk.py). Needs
node and npm: skipped without them, failed without them in CI (CI=true)."""

import json
import re

import pytest

import vapi_sdk
from harness import REPO
from voice import day, fixture, post, tool_call
from test_vapi import restaurant_file

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"
SECRET = "vapi-sdk-test-secret-4410"
PUBLIC_URL = "https://cerebro.example.com"
ASSISTANT_ID = "3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f"


@pytest.fixture(scope="session")
def sdk():
    vapi_sdk.require_node()
    vapi_sdk.install()
    return vapi_sdk


def check(sdk, request, answers):
    """Fails with tsc's messages, each after the path in the answer it is
    about, if any answer does not fit its type."""
    __tracebackhide__ = True
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")
    found = sdk.type_errors(answers, name)
    problems = [f"[{answer}] {m}" for answer, messages in found.items()
                for m in messages]
    if problems:
        sdk_version, ts_version = sdk.versions()
        raise sdk.TypeErrors(
            f"{len(problems)} type errors against @vapi-ai/server-sdk "
            f"{sdk_version} (tsc {ts_version}, {sdk.CHECKS / name}.ts):\n"
            + "\n".join(problems))


# --- the check itself cannot pass silently ---------------------------------------

GOOD_RESULTS = {"results": [{"name": "check_availability",
                             "toolCallId": "call_1", "result": "Sí."}]}


def test_the_check_accepts_a_valid_answer(sdk, request):
    check(sdk, request, {
        "tool_calls": ("Vapi.ServerMessageResponseToolCalls", GOOD_RESULTS),
        "destination": ("Vapi.ServerMessageResponseTransferDestinationRequest",
                        {"destination": {"type": "number",
                                         "number": "+34941000000",
                                         "message": "Le paso."}}),
        "empty": ("NoAnswer", {}),
    })


def test_the_check_rejects_what_vapi_does_not_know(sdk, request):
    tool = {"type": "function",
            "function": {"name": "f", "parameters": {
                "type": "object",
                "properties": {"a": {"type": "string"},
                               "b": {"type": ["string", "null"]}},
                "required": ["a"],
                "additionalProperties": False}}}
    extra_top = ("Vapi.ServerMessageResponseToolCalls",
                 dict(GOOD_RESULTS, forwardToClient=True))
    found = sdk.type_errors({
        # an unknown field, at the top and deep inside
        "extra_top": extra_top,
        "extra_deep": ("Vapi.ServerMessageResponseToolCalls",
                       {"results": [dict(GOOD_RESULTS["results"][0],
                                         spoken="Sí.")]}),
        # a required field missing, a wrong value
        "no_id": ("Vapi.ServerMessageResponseToolCalls",
                  {"results": [{"name": "f", "result": "x"}]}),
        "wrong_value": ("Vapi.ServerMessageResponseTransferDestinationRequest",
                        {"destination": {"type": "phone",
                                         "number": "+34941000000"}}),
        # both schema mistakes in one tool: the second is found although
        # tsc reports only the first in one run
        "schema": ("Vapi.ServerMessageResponseAssistantRequest",
                   {"assistant": {"model": {"provider": "openai",
                                            "model": "gpt-4o",
                                            "tools": [tool]}}}),
        "not_empty": ("NoAnswer", {"ok": True}),
    }, request.node.name)

    def only(name):
        assert len(found[name]) == 1, found[name]
        return found[name][0]

    assert "forwardToClient" in only("extra_top") \
        and "TS2353" in only("extra_top")
    assert only("extra_deep").startswith("results[0].spoken: error TS2353")
    assert "toolCallId" in only("no_id")
    assert only("wrong_value").startswith("destination")
    schema = "\n".join(found["schema"])
    assert len(found["schema"]) == 2, schema
    assert ("assistant.model.tools[0].function.parameters.properties.b.type: "
            "error TS2322") in schema and "JsonSchemaType" in schema
    assert ("assistant.model.tools[0].function.parameters."
            "additionalProperties: error TS2353") in schema
    assert only("not_empty").startswith("ok: error TS2322")

    # and what the answers' test calls fails on them
    with pytest.raises(sdk.TypeErrors, match="forwardToClient"):
        check(sdk, request, {"extra_top": extra_top})


EXAMPLE = re.compile(r"^<!-- tsc (accepts|rejects): (\S+) -->\n```json\n"
                     r"(.*?)^```$", re.M | re.S)


def test_the_examples_of_docs_vapi_md(sdk):
    """What docs/vapi.md shows as fitting fits, and what it shows as
    refused is refused."""
    examples = EXAMPLE.findall((REPO / "docs" / "vapi.md").read_text())
    assert len(examples) >= 12, "the examples of docs/vapi.md are gone"
    answers = {f"example_{i}": (ts_type, json.loads(text))
               for i, (_, ts_type, text) in enumerate(examples)}
    found = sdk.type_errors(answers, "docs_vapi_md")
    wrong = [f"example {i + 1} ({verdict} {ts_type}): "
             + ("\n  ".join(found[f"example_{i}"]) or "no error")
             for i, (verdict, ts_type, _) in enumerate(examples)
             if bool(found[f"example_{i}"]) != (verdict == "rejects")]
    assert not wrong, "\n".join(wrong)


# --- what nginx answers ------------------------------------------------------------

def start(nginx_factory, env, restaurant=SMALL):
    n = nginx_factory(env=env)
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {restaurant};\n")
    return n.start()


def answer(n, body, key=None, headers=None):
    r = post(n, body, headers=headers)
    assert r.status == 200, r.body
    data = r.json()
    # an error body would type-check as some answers' "error"
    if key is not None:
        assert key in data, data
    return data


WITH_SECRET = {"VAPI_WEBHOOK_SECRET": SECRET, "PUBLIC_URL": PUBLIC_URL}
AUTH = {"X-Vapi-Secret": SECRET}


def whole_assistant(n):
    return {"assistant": ("Vapi.ServerMessageResponseAssistantRequest",
                          answer(n, fixture("assistant-request.json"),
                                 "assistant", AUTH))}


def stored_assistant(n):
    return {"assistant_id": ("Vapi.ServerMessageResponseAssistantRequest",
                             answer(n, fixture("assistant-request.json"),
                                    "assistantId", AUTH))}


def tool_calls(n):
    d = day(9).isoformat()
    several = tool_call("check_availability",
                        {"date": d, "time": "21:00", "party_size": 2},
                        call_id="c-sdk-1", tool_id="t-sdk-avail")
    calls = several["message"]["toolCallList"]
    calls += [
        {"id": "t-sdk-book", "type": "function",
         "function": {"name": "create_reservation",
                      "arguments": {"name": "Lucía", "date": d,
                                    "time": "21:00", "party_size": 2,
                                    "notes": "trona", "confirmed": True}}},
        {"id": "t-sdk-info", "type": "function",
         "function": {"name": "get_restaurant_info",
                      "arguments": "{\"topic\":\"horario\"}"}},
        {"id": "t-sdk-find", "type": "function",
         "function": {"name": "find_reservations", "arguments": {}}},
        # arguments missing: a sentence saying what to ask
        {"id": "t-sdk-ask", "type": "function",
         "function": {"name": "check_availability", "arguments": {}}},
        # a tool nobody has: an "error" result
        {"id": "t-sdk-pizza", "type": "function",
         "function": {"name": "order_pizza", "arguments": {}}},
    ]
    answers = {
        "several": answer(n, several, "results", AUTH),
        "string_arguments": answer(n, fixture("tool-calls-string-args.json"),
                                   "results", AUTH),
        "tool_with_tool_call_list": answer(
            n, fixture("tool-calls-parameters.json"), "results", AUTH),
    }
    results = answers["several"]["results"]
    assert len(results) == 6 and "error" in results[-1], results
    return {k: ("Vapi.ServerMessageResponseToolCalls", v)
            for k, v in answers.items()}


def function_call(n):
    return {"function_call": ("FunctionCallAnswer",
                              answer(n, fixture("function-call.json"),
                                     "result", AUTH))}


def transfer_destination(n):
    return {"transfer": (
        "Vapi.ServerMessageResponseTransferDestinationRequest",
        answer(n, fixture("transfer-destination-request.json"),
               "destination", AUTH))}


def no_answer_expected(n):
    names = ["status-update-in-progress.json", "status-update-ended.json",
             "end-of-call-report.json", "end-of-call-report-old.json"]
    return {re.sub(r"\W", "_", name[:-5]):
            ("NoAnswer", answer(n, fixture(name), None, AUTH))
            for name in names}


@pytest.mark.parametrize("env, collect", [
    pytest.param(WITH_SECRET, whole_assistant, id="assistant-request"),
    pytest.param(dict(WITH_SECRET, VAPI_ASSISTANT_ID=ASSISTANT_ID),
                 stored_assistant, id="assistant-request-assistant-id"),
    pytest.param(WITH_SECRET, tool_calls, id="tool-calls"),
    pytest.param(WITH_SECRET, function_call, id="function-call"),
    pytest.param(WITH_SECRET, transfer_destination,
                 id="transfer-destination-request"),
    pytest.param(WITH_SECRET, no_answer_expected,
                 id="status-update-and-end-of-call-report"),
])
def test_answers_fit_vapi_sdk_types(sdk, nginx_factory, request, tmp_path,
                                    env, collect):
    # a transfer is to a number only while somebody is there: always, here
    n = start(nginx_factory, env,
              restaurant_file(tmp_path, True)
              if collect is transfer_destination else SMALL)
    check(sdk, request, collect(n))
