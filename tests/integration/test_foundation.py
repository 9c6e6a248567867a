"""Issue 2: /health, /, methods, configuration validation, CORS, logs."""

import json
import os
import signal
import subprocess
import time

import pytest

from harness import REPO, base_env, free_port, wait_for_file, wait_for_port

HEALTH_KEYS = ["status", "service", "version", "environment"]


def test_health_is_the_original_json(nginx):
    r = nginx.get("/health")
    assert r.status == 200
    assert r.header("content-type").startswith("application/json")
    body = json.loads(r.body)
    assert list(body)[:4] == HEALTH_KEYS
    assert body["status"] == "healthy"
    assert body["service"] == "Cerebro En Las Nubes"
    assert body["version"] == "1.0.0"
    assert body["environment"] == "development"


def test_health_reports_the_configured_environment(nginx_factory):
    n = nginx_factory(env={"ENVIRONMENT": "staging"}).start()
    assert n.get("/health").json()["environment"] == "staging"


def test_directive_overrides_the_environment(nginx_factory):
    n = nginx_factory(env={"ENVIRONMENT": "staging"})
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_environment test;")
    n.start()
    assert n.get("/health").json()["environment"] == "test"


def test_head_has_headers_and_no_body(nginx):
    r = nginx.request("HEAD", "/health")
    assert r.status == 200
    assert r.body == b""
    assert int(r.header("content-length")) > 0


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_get_405_with_allow(nginx, method):
    r = nginx.request(method, "/health", body="{}")
    assert r.status == 405
    assert r.header("allow") == "GET, HEAD, OPTIONS"
    assert r.json()["error"]
    # the connection and the worker survive: the next request is fine
    assert nginx.get("/health").status == 200


def test_info_lists_the_endpoints_of_this_configuration(nginx):
    body = nginx.get("/").json()
    assert body["service"] == "Cerebro En Las Nubes"
    assert body["version"] == "1.0.0"
    assert body["endpoints"]["health"] == "/health"
    assert body["endpoints"]["info"] == "/"
    assert nginx.request("POST", "/").status == 405


def test_info_leaves_out_internal_locations(nginx_factory):
    n = nginx_factory()
    n.render()
    n.edit_conf("location = / {",
                "location = /_probe {\n internal;\n cerebro_health;\n}\n"
                "location = / {")
    n.start()
    assert "/_probe" not in n.get("/").body.decode()


def test_unknown_path_is_a_json_404(nginx):
    r = nginx.get("/nope")
    assert r.status == 404
    assert r.json() == {"error": "not found"}


# --- configuration is validated when it is loaded -----------------------

@pytest.mark.parametrize("env, names", [
    ({"ENVIRONMENT": "prod"}, ["ENVIRONMENT", "cerebro_environment"]),
    ({"DEBUG": "maybe"}, ["DEBUG", "cerebro_debug"]),
    ({"AIRTABLE_API_KEY": "pat1", "AIRTABLE_BASE_ID": "base1"},
     ["AIRTABLE_BASE_ID", "cerebro_airtable_base_id"]),
    ({"AIRTABLE_API_KEY": "pat1"}, ["AIRTABLE_BASE_ID", "AIRTABLE_API_KEY"]),
    ({"TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": "x"},
     ["TWILIO_ACCOUNT_SID", "cerebro_twilio_account_sid"]),
    ({"TWILIO_WHATSAPP_NUMBER": "600111222"}, ["TWILIO_WHATSAPP_NUMBER"]),
    ({"REDIS_URL": "http://localhost:6379"}, ["REDIS_URL"]),
    ({"REDIS_URL": "rediss://cache:6380"}, ["REDIS_URL", "TLS"]),
    ({"PUBLIC_URL": "cerebro.example.com"}, ["PUBLIC_URL"]),
    ({"ALLOWED_ORIGINS": "panel.example.com"}, ["ALLOWED_ORIGINS"]),
    ({"VAPI_ASSISTANT_ID": "assistant-1"}, ["VAPI_ASSISTANT_ID"]),
])
def test_bad_environment_value_fails_nginx_t(nginx_factory, env, names):
    code, out = nginx_factory(env=env).test_config()
    assert code != 0
    assert "[emerg]" in out
    for name in names:
        assert name in out


@pytest.mark.parametrize("directive", [
    "cerebro_environment prod;",
    "cerebro_debug maybe;",
    "cerebro_airtable_base_id nope;",
    "cerebro_public_url ftp://x;",
])
def test_bad_directive_value_fails_nginx_t_naming_it(nginx_factory,
                                                     directive):
    n = nginx_factory()
    n.render()
    n.edit_conf("http {", "http {\n    " + directive)
    code, out = n.test_config()
    assert code != 0
    assert directive.split()[0] in out


def test_good_configuration_passes_nginx_t(nginx_factory):
    code, out = nginx_factory(env={
        "ENVIRONMENT": "production",
        "ALLOWED_ORIGINS": "https://panel.example.com",
        "AIRTABLE_API_KEY": "patABC.def", "AIRTABLE_BASE_ID": "appABCDEFGHIJKLMN",
        "TWILIO_ACCOUNT_SID": "AC" + "0123456789abcdef" * 2,
        "TWILIO_AUTH_TOKEN": "f" * 32,
        "TWILIO_WHATSAPP_NUMBER": "whatsapp:+14155238886",
        "REDIS_URL": "redis://:pw@127.0.0.1:6379/2",
        "PUBLIC_URL": "https://cerebro.example.com/",
        "VAPI_WEBHOOK_SECRET": "s3cret",
        "VAPI_ASSISTANT_ID": "3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f",
        "DEBUG": "False",
    }).test_config()
    assert code == 0, out


@pytest.mark.parametrize("origins", ["*", "", "https://a.example.com,*"])
def test_production_refuses_any_origin(nginx_factory, origins):
    code, out = nginx_factory(env={"ENVIRONMENT": "production",
                                   "ALLOWED_ORIGINS": origins}).test_config()
    assert code != 0
    assert "ALLOWED_ORIGINS" in out and "production" in out


def test_production_without_webhook_secret_warns(nginx_factory):
    code, out = nginx_factory(env={
        "ENVIRONMENT": "production",
        "ALLOWED_ORIGINS": "https://panel.example.com"}).test_config()
    assert code == 0
    assert "[warn]" in out and "VAPI_WEBHOOK_SECRET" in out


def test_invalid_secret_is_named_but_not_shown(nginx_factory):
    secret = "sk-live-VERY-SECRET"
    code, out = nginx_factory(
        env={"OPENAI_API_KEY": secret + "\nstray"}).test_config()
    assert code != 0
    assert "OPENAI_API_KEY" in out
    assert secret not in out


# --- CORS ------------------------------------------------------------------

ALLOWED = "https://panel.example.com"
FOREIGN = "https://evil.example.net"


@pytest.fixture
def cors_nginx(nginx_factory):
    return nginx_factory(env={
        "ALLOWED_ORIGINS": f"{ALLOWED}, http://localhost:3000"}).start()


def test_allowed_origin_gets_cors_headers(cors_nginx):
    r = cors_nginx.get("/health", headers={"Origin": ALLOWED})
    assert r.status == 200
    assert r.header("access-control-allow-origin") == ALLOWED
    assert "Origin" in r.header("vary")
    r = cors_nginx.get("/", headers={"Origin": "http://localhost:3000"})
    assert r.header("access-control-allow-origin") == "http://localhost:3000"


def test_foreign_origin_gets_no_cors_headers(cors_nginx):
    r = cors_nginx.get("/health", headers={"Origin": FOREIGN})
    assert r.status == 200
    assert r.header("access-control-allow-origin") is None
    assert "Origin" in r.header("vary")


def test_preflight_from_allowed_origin(cors_nginx):
    r = cors_nginx.request("OPTIONS", "/health", headers={
        "Origin": ALLOWED,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "content-type, authorization"})
    assert r.status == 204
    assert r.header("access-control-allow-origin") == ALLOWED
    assert "GET" in r.header("access-control-allow-methods")
    assert r.header("access-control-allow-headers") == \
        "content-type, authorization"
    assert r.header("access-control-max-age")


def test_preflight_from_foreign_origin(cors_nginx):
    r = cors_nginx.request("OPTIONS", "/health", headers={
        "Origin": FOREIGN, "Access-Control-Request-Method": "GET"})
    assert r.status == 204
    assert r.header("access-control-allow-origin") is None
    assert r.header("access-control-allow-methods") is None


def test_wildcard_origin_in_development(nginx):
    r = nginx.get("/health", headers={"Origin": FOREIGN})
    assert r.header("access-control-allow-origin") == "*"


# --- logs and secrets --------------------------------------------------------

SECRETS = {
    "OPENAI_API_KEY": "sk-test-OPENAI-0001",
    "VAPI_API_KEY": "vapi-test-KEY-0002",
    "VAPI_WEBHOOK_SECRET": "vapi-test-WEBHOOK-0003",
    "AIRTABLE_API_KEY": "pat-test-AIRTABLE-0004",
    "AIRTABLE_BASE_ID": "appABCDEFGHIJKLMN",
    "TWILIO_ACCOUNT_SID": "AC" + "ab" * 16,
    "TWILIO_AUTH_TOKEN": "twilio-test-TOKEN-0005",
    "REDIS_PASSWORD": "redis-test-PASSWORD-0006",
    "REDIS_URL": "redis://:redis-test-URLPASS-0007@127.0.0.1:1/0",
}
SECRET_VALUES = [v for k, v in SECRETS.items()
                 if k not in ("AIRTABLE_BASE_ID", "TWILIO_ACCOUNT_SID")]


def test_debug_raises_detail_and_no_secret_is_logged(nginx_factory):
    n = nginx_factory(env={"DEBUG": "True", **SECRETS})
    n.render()
    # the most verbose log nginx has
    n.edit_conf("error_log logs/error.log info;", "error_log logs/error.log debug;")
    n.start()
    for path in ("/health", "/", "/nope"):
        n.get(path, headers={"Authorization": "Bearer x"})
    n.request("POST", "/health", body="{}")
    n.stop()
    log = n.log_text()
    assert "cerebro: GET /health answered 200" in log
    assert "cerebro: POST /health answered 405" in log
    for value in SECRET_VALUES:
        assert value not in log
    for path in n.prefix.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            for value in SECRET_VALUES:
                assert value not in text, f"{value} written to {path}"


def test_without_debug_the_detail_stays_out(nginx_factory):
    n = nginx_factory().start()
    n.get("/health")
    n.stop()
    log = n.log_text()
    assert "cerebro: " in log           # the start-up line is there
    assert "answered 200" not in log


def test_start_line_names_the_backends(nginx_factory):
    n = nginx_factory(env={"ENVIRONMENT": "staging"}).start()
    n.stop()
    assert "cerebro: Cerebro En Las Nubes 1.0.0, environment staging, " \
           "data embedded SQLite" in n.log_text()


def test_reload_keeps_serving(nginx):
    nginx.reload()
    time.sleep(0.5)
    assert nginx.get("/health").status == 200


# --- scripts/run ---------------------------------------------------------------

def test_run_starts_and_refuses_a_second_instance(prefixes):
    tmp_path = prefixes
    port = free_port()
    env = base_env({"PORT": str(port), "CEREBRO_PREFIX": str(tmp_path / "run"),
                    "CEREBRO_ERROR_LOG": "logs/error.log"})
    run = [str(REPO / "scripts" / "run")]
    first = subprocess.Popen(run, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert wait_for_port(port, first), first.stdout.read().decode()
        assert wait_for_file(tmp_path / "run" / "logs" / "nginx.pid", first)
        second = subprocess.run(run, env=env, capture_output=True, text=True,
                                timeout=20)
        assert second.returncode != 0
        assert "already running" in second.stderr
        other = dict(env, CEREBRO_PREFIX=str(tmp_path / "other"))
        third = subprocess.run(run, env=other, capture_output=True, text=True,
                               timeout=20)
        assert third.returncode != 0
        assert "already in use" in third.stderr
    finally:
        os.killpg(first.pid, signal.SIGINT)    # Ctrl-C
        assert first.wait(timeout=15) == 0


def test_render_refuses_a_bad_port(tmp_path):
    p = subprocess.run([str(REPO / "scripts" / "render-conf"),
                        str(tmp_path / "p")], env=base_env({"PORT": "80a"}),
                       capture_output=True, text=True)
    assert p.returncode != 0 and "PORT" in p.stderr


def test_harness_flags_alerts_and_crashed_workers(nginx_factory):
    """The check every integration test relies on must be able to fail."""
    n = nginx_factory()
    n.render()
    n.error_log.write_text(
        "2026/11/27 21:00:00 [notice] 1#1: start\n"
        "2026/11/27 21:00:01 [alert] 1#1: worker process 7 exited on "
        "signal 11\n"
        "2026/11/27 21:00:02 [emerg] 1#1: bind() failed\n")
    assert len(n.bad_log_lines()) == 2
    n.error_log.write_text("")


def test_setup_is_idempotent_and_quiet_when_all_is_installed():
    p = subprocess.run([str(REPO / "scripts" / "setup.sh"), "--if-needed",
                        "all"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0
    assert p.stdout == "" and p.stderr == ""
    p = subprocess.run([str(REPO / "scripts" / "setup.sh"), "bogus"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "unknown argument" in p.stderr
