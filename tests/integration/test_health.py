"""/health beyond the four original fields: which store and which cache
serve, and "degraded" (still HTTP 200) while a configured Redis is down."""

import time

from harness import free_port


def test_embedded_defaults(nginx):
    body = nginx.get("/health").json()
    assert body["status"] == "healthy"
    assert body["checks"] == {"store": "embedded", "cache": "shared memory"}


def test_with_redis(nginx_factory, redis_server):
    n = nginx_factory(env={"REDIS_URL": redis_server.url}).start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        body = n.get("/health").json()
        if body["checks"]["cache"] == "redis":
            break
        time.sleep(0.1)
    assert body["status"] == "healthy"
    assert body["checks"]["cache"] == "redis"


def test_redis_down_is_degraded_but_200(nginx_factory):
    n = nginx_factory(env={
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}).start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        r = n.get("/health")
        if r.json()["status"] == "degraded":
            break
        time.sleep(0.1)
    assert r.status == 200
    body = r.json()
    assert list(body)[:4] == ["status", "service", "version", "environment"]
    assert body["status"] == "degraded"
    assert body["checks"]["cache"] == "degraded"
    assert body["checks"]["reason"]
