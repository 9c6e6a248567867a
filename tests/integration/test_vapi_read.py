"""Issue 18: a tool call is read from spans of the body, not from a tree
of all of it; what it reads, and what it refuses there, stay those of a
tree; the members it never reads are passed over, not checked."""

import json

import pytest

from harness import REPO
from voice import day, post, result_of

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"


@pytest.fixture
def vapi(nginx_factory):
    n = nginx_factory(workers=1)
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};\n")
    return n.start()


def transcript(n):
    return [{"role": "user" if i % 2 else "bot",
             "message": f"mensaje {i} con \"comillas\", \\ y ñ 😀",
             "time": 1.7e12 + i, "secondsFromStart": i * 2.5}
            for i in range(n)]


def test_escaped_and_late_members_are_read(vapi):
    # escapes in the type, the ids and the number; the calls after a long
    # transcript; the number from message.customer when call has none
    when = day(9).isoformat()
    calls = json.dumps([{"id": "t-\"late\"", "type": "function",
                         "function": {"name": "create_reservation",
                                      "arguments": {
                                          "name": "Nuria", "date": when,
                                          "time": "20:00",
                                          "party_size": 2,
                                          "confirmed": True}}}])
    body = ('{"message":{"type":"tool\\u002dcalls","artifact":{"messages":'
            + json.dumps(transcript(200)) + '},"call":{"id":"c\\u002d9"},'
            '"customer":{"number":"\\u002b34600777111"},"toolCallList":'
            + calls + '}}')
    r = post(vapi, body)
    [res] = r.json()["results"]
    assert res["toolCallId"] == 't-"late"' and "Nuria" in res["result"]
    book = vapi.get(f"/cerebro/reservations?date={when}").json()
    [rec] = book["reservations"]
    assert rec["client_phone"] == "+34600777111"


def test_the_first_of_duplicate_members_counts(vapi):
    def calls(tool_id):
        return json.dumps([{"id": tool_id, "type": "function",
                            "function": {"name": "get_restaurant_info",
                                         "arguments": {"topic": "parking"}}}])
    body = ('{"message":{"type":"tool-calls","toolCallList":'
            + calls("first") + ',"toolCallList":' + calls("second")
            + '},"message":{"type":"status-update"}}')
    [res] = post(vapi, body).json()["results"]
    assert res["toolCallId"] == "first"


def test_calls_inside_tool_with_tool_call_list_are_read(vapi):
    body = {"message": {"type": "tool-calls", "toolCallList": [],
                        "toolWithToolCallList": [{
                            "type": "function", "toolCall": {
                                "id": "twtc-1", "type": "function",
                                "function": {"name": "get_restaurant_info",
                                             "arguments": "{\"topic\":"
                                             "\"parking\"}"}}}]}}
    [res] = post(vapi, body).json()["results"]
    assert res["toolCallId"] == "twtc-1" and "result" in res


@pytest.mark.parametrize("body", [
    '{"message":{"type":"tool-calls"}} trailing',
    '{"message":{"type":"tool-calls","x":"a\tb"}}',
    '{"message":{"type":"tool-calls","x":01}}',
    '{"message":{"type":"tool-calls","x":"\\udc00"}}',
    '{"message":{"type":"tool-calls","toolCallList":' + "[" * 1001
    + "]" * 1001 + "}}",
    '{"message":{"type":"tool-calls","artifact":{"m":"}}',
    '{"message":{"type":"tool-calls","artifact":[[]}}',
    '{"message":{"type":"tool-calls","toolCallList":[{"id":"t"}]',
], ids=["trailing bytes", "control character", "leading zero",
        "lone surrogate", "too deep", "cut short", "unclosed string",
        "unbalanced brackets"])
def test_what_is_not_json_gets_the_same_400(vapi, body):
    r = post(vapi, body)
    assert r.status == 400
    assert r.json() == {"error": "the body is not valid JSON"}
    assert vapi.get("/health").status == 200


def test_what_a_tool_call_never_reads_is_passed_over(vapi):
    # the transcript is VAPI's; a tool call does not read it, nor check it
    # (beyond its strings and brackets); a message that reads it does
    garbage = '"artifact":{"messages":[tru,01,"a\tb",{"x" 1}]},'
    body = ('{"message":{"type":"tool-calls",' + garbage
            + '"toolCallList":[{"id":"t1","type":"function","function":'
            '{"name":"get_restaurant_info","arguments":{"topic":'
            '"parking"}}}]}}')
    [res] = post(vapi, body).json()["results"]
    assert res["toolCallId"] == "t1" and res["result"]

    r = post(vapi, '{"message":{"type":"end-of-call-report",' + garbage
             + '"call":{"id":"c1"}}}')
    assert r.status == 400
    assert r.json() == {"error": "the body is not valid JSON"}
    assert vapi.get("/health").status == 200


def test_every_guest_string_is_escaped_in_the_answer(vapi):
    nasty = ["q\"uote", "back\\slash", "new\nline\ttab\r", "ctl\u0001\u001f",
             "ñ é 😀 \u2028", "</script>", "{\"results\":[]}"]
    calls = [{"id": f"id-{s}", "type": "function",
              "function": {"name": f"tool-{s}", "arguments": {}}}
             for s in nasty]
    calls.append({"id": "ok-1", "type": "function",
                  "function": {"name": "get_restaurant_info",
                               "arguments": {"topic": "parking"}}})
    r = post(vapi, {"message": {"type": "tool-calls", "toolCallList": calls}})
    assert r.status == 200
    assert r.header("Content-Type").startswith("application/json")
    results = json.loads(r.body)["results"]
    assert [x["toolCallId"] for x in results] == [c["id"] for c in calls]
    assert [x["name"] for x in results] == \
        [c["function"]["name"] for c in calls]
    assert all("error" in x for x in results[:-1])
    assert "\n" not in result_of(post(vapi, {"message": {
        "type": "tool-calls", "toolCallList": calls[-1:]}}))


def test_a_legacy_function_call_answers_one_result(vapi):
    body = {"message": {"type": "function-call", "functionCall": {
        "name": "get_restaurant_info", "parameters": {"topic": "parking"}}}}
    r = post(vapi, body)
    assert r.status == 200
    answer = json.loads(r.body)
    assert list(answer) == ["result"] and answer["result"]
