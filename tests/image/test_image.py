"""The Dockerfile built with podman (docker format, so HEALTHCHECK stays)
on a base made from Debian's packages, and run as Coolify runs it: a data
volume, port 8000 published, /health and the HEALTHCHECK, a booking, an
unclean kill, a new container on the same volume, a graceful stop; and
HOST=:: with a HEALTHCHECK that follows it."""

import datetime
import json

import pytest

from image_env import REPO, free_port, http, podman, wait_until

IMAGE = "localhost/ngx-cerebro:test"


@pytest.fixture(scope="module")
def image(base_image):
    # earlier builds' images, untagged by this one, are of no more use
    podman("image", "prune", "-f", "--filter", "until=24h", check=False)
    # the host's network for the build: apt reaches the mirror directly
    podman("build", "--format", "docker", "--network", "host", "-t", IMAGE,
           str(REPO), timeout=1200)
    return IMAGE


def booking_day():
    """A day in a week or so on which lunch is served (closed Mondays)."""
    d = datetime.date.today() + datetime.timedelta(days=7)
    while d.weekday() == 0:
        d += datetime.timedelta(days=1)
    return d.isoformat()


# the staff's API token: the book is behind the staff login, as deployed
STAFF_TOKEN = "image-test-staff-token-0123456789"


def run(containers, name, volume, port, *env):
    n = containers.name(name)
    args = ["run", "-d", "--name", n, "-p", "127.0.0.1:%d:8000" % port,
            "-v", "%s:/var/lib/cerebro" % volume, "-e", "ENVIRONMENT=test",
            "-e", "CEREBRO_STAFF_TOKEN=" + STAFF_TOKEN]
    for e in env:
        args += ["-e", e]
    podman(*args, IMAGE)
    return n


def state(name):
    return json.loads(podman("inspect", "--format", "{{json .State}}",
                             name).stdout)


def wait_healthy(name, port):
    def probe():
        st = state(name)
        if not st["Running"]:
            logs = podman("logs", name, check=False)
            raise AssertionError("container %s exited (%s):\n%s%s"
                                 % (name, st["ExitCode"], logs.stdout,
                                    logs.stderr))
        status, body = http("GET", "http://127.0.0.1:%d/health" % port)
        return status == 200 and body
    return wait_until("/health of " + name, probe, timeout=60)


def book(port, name):
    msg = {"message": {
        "type": "tool-calls",
        "toolCallList": [{"id": "t-image-1", "type": "function",
                          "function": {"name": "create_reservation",
                                       "arguments": {
                                           "name": name,
                                           "date": booking_day(),
                                           "time": "14:00",
                                           "party_size": 2,
                                           "confirmed": True}}}],
        "call": {"id": "c-image-1",
                 "customer": {"number": "+34600111222"}}}}
    status, body = http("POST", "http://127.0.0.1:%d/vapi/webhook" % port,
                        msg, timeout=20)
    assert status == 200, body
    return body["results"][0]


def day_book(name):
    """The staff endpoint, with the staff token, as a script would."""
    out = podman("exec", name, "curl", "-fsS", "-H",
                 "Authorization: Bearer " + STAFF_TOKEN,
                 "http://127.0.0.1:8000/cerebro/reservations?date=%s"
                 % booking_day()).stdout
    return json.loads(out)["reservations"]


def test_the_image_keeps_its_healthcheck_and_stop_signal(image):
    cfg = json.loads(podman("image", "inspect", "--format",
                            "{{json .Config}}", image).stdout)
    hc = json.loads(podman("image", "inspect", "--format",
                           "{{json .HealthCheck}}", image).stdout)
    assert "curl -fsS" in " ".join(hc["Test"])
    assert cfg["StopSignal"] == "SIGQUIT"
    assert "/var/lib/cerebro" in cfg["Volumes"]
    # the operator tool ships in the image
    out = podman("run", "--rm", image, "cerebro", "--version").stdout
    assert out == "cerebro 1.0.0\n"


def test_as_coolify_runs_it(image, containers):
    vol = containers.volume("data")
    port = free_port()
    first = run(containers, "first", vol, port)
    health = wait_healthy(first, port)
    assert health["status"] == "healthy"
    assert health["environment"] == "test"

    # the HEALTHCHECK itself, as the engine runs it
    hc = podman("healthcheck", "run", first, check=False)
    assert hc.returncode == 0, hc.stdout + hc.stderr
    assert state(first)["Health"]["Status"] == "healthy"

    result = book(port, "Lucía")
    assert "Lucía" in result.get("result", ""), result
    assert [r["client_name"] for r in day_book(first)] == ["Lucía"]

    # an unclean end: no shutdown, the volume as the kill left it
    podman("kill", "-s", "KILL", first)
    assert podman("wait", first).stdout.strip() == "137"

    port2 = free_port()
    second = run(containers, "second", vol, port2)
    wait_healthy(second, port2)
    assert [r["client_name"] for r in day_book(second)] == ["Lucía"]

    # nginx's graceful stop (STOPSIGNAL SIGQUIT): exits 0 before the
    # engine's timeout would kill it
    podman("stop", "-t", "30", second, timeout=60)
    st = state(second)
    assert st["ExitCode"] == 0, st
    logs = podman("logs", second).stderr + podman("logs", second).stdout
    assert "gracefully shutting down" in logs


def test_the_healthcheck_follows_host(image, containers):
    vol = containers.volume("v6")
    n = run(containers, "v6", vol, free_port(), "HOST=::")

    def healthy():
        st = state(n)
        if not st["Running"]:
            raise AssertionError(podman("logs", n, check=False).stderr)
        return podman("healthcheck", "run", n, check=False).returncode == 0
    wait_until("the HEALTHCHECK with HOST=::", healthy, timeout=60)
    assert state(n)["Health"]["Status"] == "healthy"
    # nginx listens on IPv6 only: asking IPv4's loopback would fail
    v4 = podman("exec", n, "curl", "-fsS", "http://127.0.0.1:8000/health",
                check=False)
    assert v4.returncode != 0
