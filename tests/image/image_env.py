"""What the image and package tests share: the sandbox's settings
(containers.conf beside this file), the base image made from Debian's
packages (make-base), and a few helpers that wait for events."""

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUILD = REPO / "build" / "image"
ENV = dict(os.environ, CONTAINERS_CONF=str(HERE / "containers.conf"))


def podman(*args, check=True, timeout=600, capture=True):
    p = subprocess.run(["podman", *args], env=ENV, text=True,
                       capture_output=capture, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("podman %s failed (%d):\n%s%s"
                             % (" ".join(args), p.returncode,
                                p.stdout or "", p.stderr or ""))
    return p


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, timeout=5):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def wait_until(what, probe, timeout=60):
    """Polls probe() until it returns a true value (the event), up to
    timeout seconds; returns that value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except (OSError, ValueError) as e:
            last = e
        time.sleep(0.1)
    raise AssertionError("%s did not happen in %ds (last: %r)"
                         % (what, timeout, last))


class Containers:
    """Names every container and volume a test makes, and removes them."""

    def __init__(self):
        self.tag = uuid.uuid4().hex[:8]
        self.names = []
        self.volumes = []

    def name(self, what):
        n = "cerebro-%s-%s" % (what, self.tag)
        self.names.append(n)
        return n

    def volume(self, what):
        v = "cerebro-%s-%s" % (what, self.tag)
        podman("volume", "create", v)
        self.volumes.append(v)
        return v

    def cleanup(self):
        for n in self.names:
            podman("rm", "-f", "-t", "0", n, check=False)
        for v in self.volumes:
            podman("volume", "rm", "-f", v, check=False)


