"""Fixtures of the image and package tests (helpers: image_env.py)."""

import subprocess

import pytest

from image_env import BUILD, ENV, HERE, Containers


@pytest.fixture(scope="session")
def base_image():
    """docker.io/library/debian:bookworm-slim, made by debootstrap from
    this machine's mirror (cached under build/image by mirror and day)."""
    p = subprocess.run([str(HERE / "make-base"), str(BUILD)], env=ENV,
                       text=True, capture_output=True, timeout=900)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


@pytest.fixture
def containers():
    c = Containers()
    yield c
    c.cleanup()
