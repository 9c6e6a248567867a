"""Fixtures of the operator tool's tests (the helpers are in cli_env.py:
a module named conftest is ambiguous when several test directories run in
one pytest session)."""

import subprocess

import pytest

from cli_env import CEREBRO, Account


def pytest_sessionstart(session):
    if not CEREBRO.exists():
        raise pytest.UsageError(f"{CEREBRO} is not built: run 'make cli'")


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory):
    """A certificate for 127.0.0.1, made once: RSA keys take a while."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-days", "2", "-subj", "/CN=127.0.0.1", "-keyout", str(key),
         "-out", str(cert), "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True)
    return cert, key


@pytest.fixture
def account(tmp_path, tls_cert):
    a = Account(tmp_path, *tls_cert)
    yield a
    a.close()
