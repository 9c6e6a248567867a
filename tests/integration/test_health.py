"""/health beyond the four original fields: which store and which cache
serve; "degraded" (still HTTP 200) while a configured Redis is down or the
store has a passing fault, and 503 "unhealthy" while this host's store
cannot serve at all."""

import datetime as dt
import json
import os
import subprocess
import time

import pytest

from harness import REPO, free_port, world_traversable_dir
from tests.fakes.airtable import AirtableFake

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"


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


# ---- the store: 503 "unhealthy" only when this host cannot serve ---------


TOKEN = "patHEALTH.0123456789"
ORIGINAL_FIELDS = ["status", "service", "version", "environment"]


def wait_for_health(n, status, timeout=10.0):
    """/health until it says status (each answer is an event of its own:
    the store learns from its operations, the jobs run's included)."""
    deadline = time.monotonic() + timeout
    while True:
        r = n.get("/health")
        if r.json()["status"] == status or time.monotonic() > deadline:
            return r
        time.sleep(0.05)


@pytest.fixture
def airtable():
    fake = AirtableFake(token=TOKEN, rate_pause=30.0)
    fake.start()
    fake.add_records("Mesas", [{"name": "T1", "capacity_min": 1,
                                "capacity_max": 4, "location": "sala"}])
    yield fake
    fake.stop()


def on_airtable(nginx_factory, fake, token=TOKEN, base=None):
    n = nginx_factory(env={"AIRTABLE_API_KEY": token,
                           "AIRTABLE_BASE_ID": base or fake.base_id,
                           "AIRTABLE_API_URL": fake.url})
    n.render()
    n.edit_conf("http {", "http {\n    cerebro_store_timeout 1500ms;")
    return n.start()


def test_a_data_directory_the_workers_cannot_enter_stops_nginx_t(
        nginx_factory, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("not run as root: the workers are this very user")
    # pytest's tmp_path is private to root: the workers (www-data) cannot
    # enter it
    data = tmp_path / "private" / "data"
    # the refusal is the expected outcome: kept out of the checked log
    n = nginx_factory(env={"CEREBRO_DATA_DIR": str(data),
                           "CEREBRO_ERROR_LOG": "logs/nginx-t.log"})
    code, out = n.test_config()
    assert code != 0, out
    assert str(tmp_path) in out and "www-data" in out, out
    assert "CEREBRO_DATA_DIR" in out


@pytest.fixture
def small_volume(tmp_path):
    """A 4 MB volume of its own for the data directory, to fill up."""
    vol = world_traversable_dir("volume")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755",
                       "tmpfs", str(vol)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (not root)")
    yield vol
    subprocess.run(["umount", "-l", str(vol)], check=True)
    vol.rmdir()


def book(n, day):
    return n.request("POST", "/cerebro/reservations", body=json.dumps({
        "client_name": "Ana", "client_phone": "600 111 222",
        "date": day.isoformat(), "time": "21:00", "pax": 2}),
        headers={"Content-Type": "application/json"})


def test_a_full_data_volume_is_503_unhealthy_until_it_has_room(
        nginx_factory, small_volume):
    n = nginx_factory(env={"CEREBRO_DATA_DIR": str(small_volume / "data")})
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};")
    n.start()
    assert n.get("/health").status == 200
    day = dt.date.today() + dt.timedelta(days=7)
    filler = small_volume / "filler"
    with pytest.raises(OSError):
        with open(filler, "wb") as f:
            f.write(b"x" * (8 << 20))
    r = book(n, day)
    assert r.status == 503, r.body
    r = n.get("/health")
    assert r.status == 503, r.body
    body = r.json()
    assert list(body)[:4] == ORIGINAL_FIELDS
    assert body["status"] == "unhealthy"
    assert body["checks"]["store"] == "embedded"
    assert body["checks"]["store_status"] == "down"
    assert "full" in body["checks"]["store_reason"]
    # room again: the next write is served, and /health says so
    filler.unlink()
    assert book(n, day).status == 201
    assert n.get("/health").json()["status"] == "healthy"


def test_airtable_refusing_the_credentials_is_503_unhealthy(nginx_factory,
                                                           airtable):
    n = on_airtable(nginx_factory, airtable, token="patWRONG.000")
    assert n.get("/cerebro/tables").status == 503
    r = wait_for_health(n, "unhealthy")
    assert r.status == 503
    body = r.json()
    assert list(body)[:4] == ORIGINAL_FIELDS
    assert body["checks"]["store"] == "airtable"
    assert "401" in body["checks"]["store_reason"]
    assert "patWRONG" not in r.body.decode()


def test_airtable_without_the_base_is_503_unhealthy(nginx_factory,
                                                    airtable):
    n = on_airtable(nginx_factory, airtable, base="appNoSuchBase0001")
    assert n.get("/cerebro/tables").status == 503
    r = wait_for_health(n, "unhealthy")
    assert r.status == 503
    assert r.json()["checks"]["store_status"] == "down"


def test_an_airtable_429_pause_is_200_degraded(nginx_factory, airtable):
    n = on_airtable(nginx_factory, airtable)
    assert wait_for_health(n, "healthy").status == 200
    airtable.fail_next(1, 429, body={"errors": [
        {"error": "RATE_LIMIT_REACHED", "message": "Rate limit exceeded"}]},
        path="/v0/")
    n.get("/cerebro/tables")
    r = wait_for_health(n, "degraded")
    assert r.status == 200
    assert r.json()["checks"]["store_status"] == "degraded"


def test_airtable_failing_for_a_while_is_200_degraded_then_healthy(
        nginx_factory, airtable):
    n = on_airtable(nginx_factory, airtable)
    airtable.fail_next(20, 503, body={"error": {
        "type": "SERVICE_UNAVAILABLE", "message": "try again"}},
        path="/v0/%s/Mesas" % airtable.base_id)
    assert n.get("/cerebro/tables").status == 503
    r = wait_for_health(n, "degraded")
    assert r.status == 200, r.body
    airtable.clear_faults()
    assert n.get("/cerebro/tables").status == 200
    assert wait_for_health(n, "healthy").status == 200
