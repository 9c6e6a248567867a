"""Self-tests of twilio_sign against Twilio's published vector."""

import base64
import hashlib
import hmac
import json
import subprocess

from . import twilio_sign as ts
from .common import REPO_ROOT


def test_published_vector():
    got = ts.compute_signature(ts.VECTOR_TOKEN, ts.VECTOR_URL,
                               ts.VECTOR_PARAMS)
    assert got == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert ts.validate(ts.VECTOR_TOKEN, ts.VECTOR_URL, ts.VECTOR_PARAMS,
                       "RSOYDt4T1cUTdK1PDd93/VVr8B8=")


def test_order_of_params_does_not_matter_but_values_do():
    pairs = list(reversed(list(ts.VECTOR_PARAMS.items())))
    assert ts.compute_signature(ts.VECTOR_TOKEN, ts.VECTOR_URL,
                                pairs) == ts.VECTOR_SIGNATURE
    tampered = dict(ts.VECTOR_PARAMS, Digits="1235")
    assert not ts.validate(ts.VECTOR_TOKEN, ts.VECTOR_URL, tampered,
                           ts.VECTOR_SIGNATURE)
    assert not ts.validate("54321", ts.VECTOR_URL, ts.VECTOR_PARAMS,
                           ts.VECTOR_SIGNATURE)
    assert not ts.validate(ts.VECTOR_TOKEN, ts.VECTOR_URL + "&x=1",
                           ts.VECTOR_PARAMS, ts.VECTOR_SIGNATURE)
    assert not ts.validate(ts.VECTOR_TOKEN, ts.VECTOR_URL, ts.VECTOR_PARAMS,
                           None)


def test_matches_an_independent_hmac():
    url = "https://cerebro.example.com/whatsapp/webhook"
    params = {"Body": "Mesa para 4", "From": "whatsapp:+34600111222",
              "To": "whatsapp:+14155238886", "MessageSid": "SM" + "1" * 32}
    s = url + "".join(k + params[k] for k in sorted(params))
    want = base64.b64encode(hmac.new(b"tok", s.encode(),
                                     hashlib.sha1).digest()).decode()
    assert ts.compute_signature("tok", url, params) == want


def test_port_variants():
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    sig = ts.compute_signature("12345", url, ts.VECTOR_PARAMS)
    sig_port = ts.compute_signature("12345", with_port, ts.VECTOR_PARAMS)
    assert sig != sig_port
    assert ts.validate("12345", with_port, ts.VECTOR_PARAMS, sig)
    assert ts.validate("12345", url, ts.VECTOR_PARAMS, sig_port)


def test_body_sha256_variant():
    body = json.dumps({"MessageSid": "SMx", "Body": "hola"})
    url, sig = ts.sign_json("tok", "https://a.example/hook?x=1", body)
    assert url == ("https://a.example/hook?x=1&bodySHA256="
                   + hashlib.sha256(body.encode()).hexdigest())
    assert sig == ts.compute_signature("tok", url)
    assert ts.validate("tok", url, body, sig)
    assert not ts.validate("tok", url, body + " ", sig)


def test_cli():
    run = ["/usr/bin/python3", "-m", "tests.fakes.twilio_sign"]
    out = subprocess.run(run + ["--self-test"], cwd=REPO_ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0 and ts.VECTOR_SIGNATURE in out.stdout
    args = ["--token", ts.VECTOR_TOKEN, "--url", ts.VECTOR_URL] + [
        "%s=%s" % kv for kv in ts.VECTOR_PARAMS.items()]
    out = subprocess.run(run + args, cwd=REPO_ROOT, capture_output=True,
                         text=True)
    assert out.stdout.strip() == ts.VECTOR_SIGNATURE
    ok = subprocess.run(run + args + ["--verify", ts.VECTOR_SIGNATURE],
                        cwd=REPO_ROOT)
    bad = subprocess.run(run + args + ["--verify", "AAAA"], cwd=REPO_ROOT)
    assert (ok.returncode, bad.returncode) == (0, 1)
