"""Self-tests of the VAPI fake, over HTTP with urllib."""

import pytest

from .common import FakeProcess
from .helpers import bearer, http
from .vapi import VapiClient, VapiFake

KEY = "vapi-selftest-key"


@pytest.fixture
def fake():
    f = VapiFake(api_key=KEY)
    f.start()
    yield f
    f.stop()


def call(f, method, path, body=None, key=KEY):
    return http(method, f.url + path, body=body, headers=bearer(key))


def test_wrong_key_is_401_in_vapis_shape(fake):
    a = call(fake, "GET", "/phone-number", key="nope")
    assert a.status == 401
    assert a.json()["statusCode"] == 401
    assert "Invalid Key" in a.json()["message"]


def test_phone_numbers_are_listed_and_patched(fake):
    pn = fake.add_phone_number("+34941000000")
    a = call(fake, "GET", "/phone-number")
    assert a.status == 200
    assert [p["id"] for p in a.json()] == [pn["id"]]

    a = call(fake, "PATCH", "/phone-number/" + pn["id"], {
        "server": {"url": "https://x.example/vapi/webhook",
                   "timeoutSeconds": 20,
                   "headers": {"X-Vapi-Secret": "s3cret"}},
        "fallbackDestination": {"type": "number", "number": "+34941000000",
                                "message": "Le paso."}})
    assert a.status == 200, a.body
    got = call(fake, "GET", "/phone-number/" + pn["id"]).json()
    assert got["server"]["url"] == "https://x.example/vapi/webhook"
    assert got["server"]["headers"]["X-Vapi-Secret"] == "s3cret"
    assert got["fallbackDestination"]["number"] == "+34941000000"
    assert fake.writes() == 1


def test_unknown_and_removed_properties_are_refused(fake):
    pn = fake.add_phone_number("+34941000000")
    a = call(fake, "PATCH", "/phone-number/" + pn["id"],
             {"serverUrlSecret": "x"})
    assert a.status == 400
    assert a.json()["message"] == ["property serverUrlSecret should not "
                                   "exist"]
    a = call(fake, "PATCH", "/phone-number/" + pn["id"],
             {"server": {"url": "https://x.example", "secret": "x"}})
    assert a.status == 400
    assert "property server.secret should not exist" in a.json()["message"]
    assert fake.writes() == 0


def test_fallback_needs_an_e164_number(fake):
    pn = fake.add_phone_number("+34941000000")
    a = call(fake, "PATCH", "/phone-number/" + pn["id"],
             {"fallbackDestination": {"type": "number",
                                      "number": "941 000 000"}})
    assert a.status == 400
    assert "E.164" in a.json()["message"][0]


def test_server_url_must_be_https_off_loopback(fake):
    pn = fake.add_phone_number("+34941000000")
    a = call(fake, "PATCH", "/phone-number/" + pn["id"],
             {"server": {"url": "http://example.com/vapi/webhook"}})
    assert a.status == 400
    a = call(fake, "PATCH", "/phone-number/" + pn["id"],
             {"server": {"url": "http://127.0.0.1:8000/vapi/webhook"}})
    assert a.status == 200


def test_assistant_id_must_exist_and_null_clears_it(fake):
    pn = fake.add_phone_number("+34941000000")
    a = call(fake, "PATCH", "/phone-number/" + pn["id"],
             {"assistantId": "0b0e0000-0000-4000-8000-000000000000"})
    assert a.status == 400
    made = call(fake, "POST", "/assistant", {
        "name": "Cerebro", "model": {"provider": "openai", "model": "gpt-4o",
                                     "tools": [{"type": "function"}]}})
    assert made.status == 201
    aid = made.json()["id"]
    assert call(fake, "PATCH", "/phone-number/" + pn["id"],
                {"assistantId": aid}).json()["assistantId"] == aid
    got = call(fake, "PATCH", "/phone-number/" + pn["id"],
               {"assistantId": None}).json()
    assert "assistantId" not in got


def test_assistants_create_get_patch_delete(fake):
    a = call(fake, "POST", "/assistant", {"name": "A", "firstMessage": "Hola"})
    aid = a.json()["id"]
    assert call(fake, "GET", "/assistant/" + aid).json()["firstMessage"] \
        == "Hola"
    call(fake, "PATCH", "/assistant/" + aid, {"firstMessage": "Buenas"})
    assert call(fake, "GET", "/assistant").json()[0]["firstMessage"] \
        == "Buenas"
    assert call(fake, "POST", "/assistant",
                {"name": "B", "serverUrl": "https://x"}).status == 400
    assert call(fake, "DELETE", "/assistant/" + aid).status == 200
    assert call(fake, "GET", "/assistant/" + aid).status == 404
    assert fake.writes() == 3


def test_tool_servers_are_checked_like_the_assistants(fake):
    a = call(fake, "POST", "/assistant", {
        "name": "A", "model": {"provider": "openai", "model": "gpt-4o",
                               "tools": [{"type": "function", "server": {
                                   "url": "https://x", "secret": "s"}}]}})
    assert a.status == 400
    assert "model.tools.0.server.secret" in a.json()["message"][0]


def test_another_process_seeds_and_counts():
    p = FakeProcess("vapi", ["--api-key", KEY], client_class=VapiClient)
    try:
        ids = p.client.seed({"phone_numbers": [{"number": "+34941000000"}]})
        a = http("PATCH", p.url + "/phone-number/" + ids["phone_numbers"][0],
                 body={"name": "Nubes"}, headers=bearer(KEY))
        assert a.status == 200
        assert p.client.writes() == 1
    finally:
        p.stop()
