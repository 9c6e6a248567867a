"""cerebro provision vapi --assistant against the real module: the
assistant VAPI stores is the one the module hands out on assistant-request
(VAPI's schema accepts it), with the prompt file's placeholders that the
module's variableValues fill on each call."""

import json

from harness import Nginx, world_traversable_dir

from cli_env import VAPI_SECRET


def test_the_stored_assistant_is_the_modules(account):
    n = Nginx(world_traversable_dir("assistant") / "prefix", env={
        "PUBLIC_URL": account.public.url,
        "VAPI_WEBHOOK_SECRET": VAPI_SECRET}, workers=1)
    n.start()
    try:
        local = "http://127.0.0.1:%d" % n.port
        r = account.run("provision", "vapi", "--assistant", "--from", local)
        assert r.rc == 0, r
        stored = account.vapi.state()["assistants"]
        assert len(stored) == 1
        a = stored[0]
        prompt = [m["content"] for m in a["model"]["messages"]
                  if m["role"] == "system"][0]
        assert "{{today}}" in prompt and "{{time}}" in prompt
        tools = a["model"].get("tools") or []
        names = [t.get("function", {}).get("name") for t in tools]
        assert "create_reservation" in names
        urls = {t["server"]["url"] for t in tools if "server" in t}
        urls |= {a["server"]["url"]} if "server" in a else set()
        assert urls == {account.public.url + "/vapi/webhook"}
        assert account.vapi.state()["phone_numbers"][0]["assistantId"] \
            == a["id"]

        # the same module a minute later: nothing to change
        writes = account.vapi.writes()
        again = account.run("provision", "vapi", "--assistant", "--from",
                            local)
        assert again.rc == 0, again
        assert "is the module's" in again.out
        assert account.vapi.writes() == writes
    finally:
        n.stop()
    assert "[emerg]" not in n.log_text() and "[alert]" not in n.log_text()
    assert json.dumps(a)
