"""X-Twilio-Signature, computed and checked the way Twilio does.

signature = base64(HMAC-SHA1(auth_token, URL + every POST parameter
name+value, sorted by name)); for a JSON body the URL carries
bodySHA256=<hex sha256 of the raw body> and the signature covers the URL
alone.  Validation accepts the URL with the default port added or removed,
as Twilio's SDKs do.

Command line:
  python3 -m tests.fakes.twilio_sign --token T --url URL Name=Value ...
  python3 -m tests.fakes.twilio_sign --token T --url URL --json-body FILE
  python3 -m tests.fakes.twilio_sign --self-test
prints the signature (and, for --json-body, the URL to call).
"""

import argparse
import base64
import hashlib
import hmac
import sys
import urllib.parse

# Published vector (twilio-python tests, see PROTOCOLS.md).
VECTOR_TOKEN = "12345"
VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
VECTOR_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def _pairs(params):
    """{name: value | [values]} or [(name, value)] -> {name: [values]}."""
    out = {}
    if params is None:
        return out
    items = params.items() if hasattr(params, "items") else params
    for k, v in items:
        vals = v if isinstance(v, (list, tuple)) else [v]
        out.setdefault(k, []).extend(str(x) for x in vals)
    return out


def compute_signature(auth_token, url, params=None):
    """base64 HMAC-SHA1 over url + sorted name+value pairs."""
    s = url
    grouped = _pairs(params)
    for name in sorted(grouped):
        for value in sorted(set(grouped[name])):
            s += name + value
    mac = hmac.new(auth_token.encode("utf-8"), s.encode("utf-8"),
                   hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def body_sha256(body):
    if isinstance(body, str):
        body = body.encode("utf-8")
    return hashlib.sha256(body).hexdigest()


def sign_json(auth_token, url, body):
    """For a JSON webhook: returns (url_with_bodySHA256, signature)."""
    sep = "&" if urllib.parse.urlsplit(url).query else "?"
    signed_url = url + sep + "bodySHA256=" + body_sha256(body)
    return signed_url, compute_signature(auth_token, signed_url)


def _with_port(url):
    p = urllib.parse.urlsplit(url)
    if p.port:
        return url
    port = 443 if p.scheme == "https" else 80
    netloc = "%s:%d" % (p.netloc, port)
    return urllib.parse.urlunsplit((p.scheme, netloc, p.path, p.query,
                                    p.fragment))


def _without_port(url):
    p = urllib.parse.urlsplit(url)
    if not p.port:
        return url
    netloc = p.netloc.rsplit(":", 1)[0]
    return urllib.parse.urlunsplit((p.scheme, netloc, p.path, p.query,
                                    p.fragment))


def validate(auth_token, url, params, signature):
    """True when `signature` is valid for `url` and `params`.  `params`
    is a dict/pairs for a form body, or the raw body (str/bytes) when the
    URL carries bodySHA256."""
    if signature is None:
        return False
    body_ok = True
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    if isinstance(params, (str, bytes)):
        if "bodySHA256" not in query:
            return False
        body_ok = hmac.compare_digest(body_sha256(params),
                                      query["bodySHA256"][0])
        params = {}
    ok = False
    for candidate in (_without_port(url), _with_port(url)):
        ok |= hmac.compare_digest(
            compute_signature(auth_token, candidate, params), signature)
    return body_ok and ok


def self_test():
    got = compute_signature(VECTOR_TOKEN, VECTOR_URL, VECTOR_PARAMS)
    return got == VECTOR_SIGNATURE, got


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m tests.fakes.twilio_sign")
    p.add_argument("--token")
    p.add_argument("--url")
    p.add_argument("--json-body", help="file holding a JSON body")
    p.add_argument("--verify", help="check this signature instead")
    p.add_argument("--self-test", action="store_true")
    p.add_argument("params", nargs="*", help="Name=Value form parameters")
    a = p.parse_args(argv)
    if a.self_test:
        ok, got = self_test()
        print("%s %s" % ("ok" if ok else "FAIL", got))
        return 0 if ok else 1
    if not a.token or not a.url:
        p.error("--token and --url are required")
    if a.json_body:
        with open(a.json_body, "rb") as fh:
            body = fh.read()
        if a.verify:
            return 0 if validate(a.token, a.url, body, a.verify) else 1
        url, sig = sign_json(a.token, a.url, body)
        print(url)
        print(sig)
        return 0
    pairs = []
    for kv in a.params:
        if "=" not in kv:
            p.error("parameter %r is not Name=Value" % kv)
        pairs.append(tuple(kv.split("=", 1)))
    if a.verify:
        return 0 if validate(a.token, a.url, pairs, a.verify) else 1
    print(compute_signature(a.token, a.url, pairs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
