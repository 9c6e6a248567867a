"""Issue 15: the staff's endpoints behind a real login. Loopback is no
credential (behind a proxy on the same host every request is loopback); a
change needs the session, this site's Origin and the CSRF token, or the staff
API token, and a JSON body; a foreign preflight learns nothing."""

import base64
import datetime
import hashlib
import hmac
import json
import subprocess
import time
from zoneinfo import ZoneInfo

import pytest

from harness import (NGINX, REPO, STAFF_TOKEN, free_port, wait_for_port,
                     world_traversable_dir)

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"
MADRID = ZoneInfo("Europe/Madrid")
PASSWORD = "correct horse battery staple"
STAFF_ENDPOINTS = ["/cerebro/reservations?date=2030-01-01", "/cerebro/tables",
                   "/cerebro/outbox", "/cerebro/session", "/cerebro/",
                   "/cerebro/index.html"]


def in_days(n):
    return (datetime.datetime.now(MADRID).date()
            + datetime.timedelta(days=n)).isoformat()


def start(nginx_factory, env=None):
    n = nginx_factory(env={"CEREBRO_STAFF_PASSWORD": PASSWORD,
                           "CEREBRO_STAFF_USER": "sala", **(env or {})})
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};")
    return n.start()


@pytest.fixture
def server(nginx_factory):
    return start(nginx_factory)


def login(n, user="sala", password=PASSWORD, headers=None):
    return n.request("POST", "/cerebro/login",
                     body=json.dumps({"user": user, "password": password}),
                     headers={"Content-Type": "application/json",
                              **(headers or {})})


def session(n):
    """A logged-in browser: its cookie and CSRF token."""
    r = login(n)
    assert r.status == 200, r.body
    cookie = r.header("set-cookie").split(";")[0]
    csrf = r.json()["csrf"]
    return cookie, csrf


def booking(**kw):
    body = {"client_name": "Ana", "client_phone": "600 111 222",
            "date": in_days(7), "time": "21:00", "pax": 2}
    body.update(kw)
    return json.dumps(body)


def day_names(n):
    r = n.get(f"/cerebro/reservations?date={in_days(7)}")
    assert r.status == 200, r.body
    return [x["client_name"] for x in r.json()["reservations"]]


def test_every_staff_endpoint_wants_a_login_even_from_loopback(server):
    for path in STAFF_ENDPOINTS:
        for method in ("GET", "POST", "DELETE"):
            r = server.request(method, path, anonymous=True)
            assert r.status == 401, (method, path, r.status)
    # the console's page without a session is the login form
    r = server.get("/cerebro/", anonymous=True)
    assert b'id="login"' in r.body
    r = server.request("DELETE", "/cerebro/reservations/1", anonymous=True)
    assert r.status == 401 and "log in" in r.json()["error"]
    # the login page and what it needs are public, and hold no data
    assert server.get("/cerebro/login", anonymous=True).status == 200
    assert server.get("/cerebro/public/login.js",
                      anonymous=True).status == 200


def test_a_wrong_token_or_a_forged_cookie_is_refused(server):
    r = server.get("/cerebro/tables",
                   headers={"Authorization": "Bearer not-the-token-at-all"})
    assert r.status == 401
    cookie, _ = session(server)
    user, expires, nonce, mac = cookie.split("=", 1)[1].split(".")
    for forged in (f"admin.{expires}.{nonce}.{mac}",
                   f"{user}.{int(expires) + 3600}.{nonce}.{mac}",
                   f"{user}.{expires}.{nonce}.{'0' * 64}"):
        r = server.get("/cerebro/tables",
                       headers={"Cookie": f"cerebro_session={forged}"})
        assert r.status == 401, forged


def staff_hash(password):
    cli = REPO / "build" / "cli" / "cerebro"
    return subprocess.run([str(cli), "staff-hash"], input=password + "\n",
                          capture_output=True, text=True, check=True,
                          env={"PATH": "/usr/bin:/bin"}).stdout.strip()


def test_an_expired_session_or_a_new_password_is_refused(nginx_factory):
    hashed = staff_hash(PASSWORD)
    n = nginx_factory()
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_staff_user lu {hashed};")
    n.start()
    key = (n.prefix / "data" / "session.key").read_bytes()
    assert len(key) == 32
    dk = base64.b64decode(hashed.split("$")[5])
    nonce = "ab" * 16

    def cookie(expires, user="lu", dk=dk):
        signed = f"{user}.{expires}.{nonce}"
        mac = hmac.new(key, signed.encode() + dk, hashlib.sha256).hexdigest()
        return {"Cookie": f"cerebro_session={signed}.{mac}"}

    # the same construction is accepted while it lasts, refused after
    assert n.get("/cerebro/tables",
                 headers=cookie(int(time.time()) + 60)).status == 200
    assert n.get("/cerebro/tables",
                 headers=cookie(int(time.time()) - 1)).status == 401
    # signed for another password, or for an account not configured
    assert n.get("/cerebro/tables", headers=cookie(
        int(time.time()) + 60, dk=b"x" * 32)).status == 401
    assert n.get("/cerebro/tables", headers=cookie(
        int(time.time()) + 60, user="ana")).status == 401
    # a new password, a reload: the session it had ends
    live = login(n, user="lu").header("set-cookie").split(";")[0]
    assert n.get("/cerebro/tables", headers={"Cookie": live}).status == 200
    n.conf.write_text(n.conf.read_text().replace(
        hashed, staff_hash("otra clave distinta")))
    n.reload()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and n.get(
            "/cerebro/tables", headers={"Cookie": live}).status == 200:
        time.sleep(0.05)
    assert n.get("/cerebro/tables", headers={"Cookie": live}).status == 401


def test_login_sets_a_strict_http_only_cookie(server):
    assert login(server, password="wrong").status == 401
    assert login(server, user="nadie").status == 401
    r = login(server)
    assert r.status == 200
    attrs = [a.strip().lower() for a in r.header("set-cookie").split(";")]
    assert "httponly" in attrs and "samesite=strict" in attrs
    assert "path=/cerebro" in attrs
    assert "secure" not in attrs          # plain http, no PUBLIC_URL
    assert any(a.startswith("max-age=") for a in attrs)
    cookie = r.header("set-cookie").split(";")[0]
    me = server.get("/cerebro/session", headers={"Cookie": cookie}).json()
    assert me["user"] == "sala" and len(me["csrf"]) == 32
    assert server.get("/cerebro/tables",
                      headers={"Cookie": cookie}).status == 200
    # a login from another site is refused before the password is tried
    r = login(server, headers={"Origin": "https://evil.example"})
    assert r.status == 403


def test_the_cookie_is_secure_behind_https(nginx_factory):
    n = start(nginx_factory,
              env={"PUBLIC_URL": "https://cerebro.example.com"})
    r = login(n)
    assert r.status == 200
    attrs = [a.strip().lower() for a in r.header("set-cookie").split(";")]
    assert "secure" in attrs


def test_a_cross_site_text_plain_post_books_nothing(server):
    cookie, csrf = session(server)
    evil = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
    # what a page elsewhere can make a logged-in browser send
    r = server.request("POST", "/cerebro/reservations", body=booking(),
                       headers={**evil, "Cookie": cookie})
    assert r.status == 403
    r = server.request("POST", "/cerebro/reservations", body=booking(),
                       headers={**evil, "Cookie": cookie,
                                "X-CSRF-Token": csrf})
    assert r.status == 403
    r = server.request("POST", "/cerebro/reservations", body=booking(),
                       headers={"Cookie": cookie, "Sec-Fetch-Site":
                                "cross-site", "X-CSRF-Token": csrf,
                                "Content-Type": "application/json"})
    assert r.status == 403
    # this site, but no CSRF token, or text/plain
    same = {"Origin": f"http://127.0.0.1:{server.port}", "Cookie": cookie}
    r = server.request("POST", "/cerebro/reservations", body=booking(),
                       headers={**same, "Content-Type": "application/json"})
    assert r.status == 403
    r = server.request("POST", "/cerebro/reservations", body=booking(),
                       headers={**same, "X-CSRF-Token": csrf,
                                "Content-Type": "text/plain"})
    assert r.status == 415
    # the API token does not make text/plain acceptable either
    r = server.request("POST", "/cerebro/reservations", body=booking(),
                       headers={"Content-Type": "text/plain"})
    assert r.status == 415
    assert day_names(server) == []
    # the console's own request books
    r = server.request("POST", "/cerebro/reservations",
                       body=booking(client_name="Berta"),
                       headers={**same, "X-CSRF-Token": csrf,
                                "Sec-Fetch-Site": "same-origin",
                                "Content-Type": "application/json"})
    assert r.status == 201, r.body
    assert day_names(server) == ["Berta"]


def test_a_foreign_preflight_gets_no_cors(server):
    # ALLOWED_ORIGINS is "*" by default: fine for /health, not for the book
    for method in ("DELETE", "POST"):
        r = server.request("OPTIONS", "/cerebro/reservations/1", headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type,x-csrf-token"},
            anonymous=True)
        assert not [h for h in r.headers if h.startswith("access-control")]
        assert r.status == 401
    r = server.get("/cerebro/tables", headers={
        "Origin": "https://evil.example",
        "Authorization": f"Bearer {STAFF_TOKEN}"})
    assert r.status == 200
    assert r.header("access-control-allow-origin") is None
    r = server.get("/health", headers={"Origin": "https://evil.example"})
    assert r.header("access-control-allow-origin") == "*"


def test_a_listed_origin_may_ask(nginx_factory):
    n = start(nginx_factory,
              env={"ALLOWED_ORIGINS": "https://panel.example.com"})
    r = n.request("OPTIONS", "/cerebro/reservations/1", headers={
        "Origin": "https://panel.example.com",
        "Access-Control-Request-Method": "DELETE"}, anonymous=True)
    assert r.header("access-control-allow-origin") \
        == "https://panel.example.com"
    assert "DELETE" in r.header("access-control-allow-methods")


def test_guessing_is_rate_limited(server):
    for _ in range(10):
        assert login(server, password="guess").status == 401
    # then even the right password waits
    r = login(server)
    assert r.status == 429
    # the API token is another door, unaffected
    assert server.get("/cerebro/tables").status == 200


def test_logout_ends_the_session_in_the_browser(server):
    cookie, csrf = session(server)
    r = server.request("DELETE", "/cerebro/session", headers={
        "Cookie": cookie, "X-CSRF-Token": csrf})
    assert r.status == 200
    assert "max-age=0" in r.header("set-cookie").lower()


def test_jobs_answer_only_the_module_s_own_poke(server):
    r = server.get("/_cerebro/jobs")
    assert r.status == 403
    r = server.get("/_cerebro/jobs", headers={"X-Cerebro-Jobs": "0" * 32})
    assert r.status == 403
    # the token the poke sends, made from the key as the module makes it
    assert server.get("/_cerebro/jobs",
                      headers=server.jobs_headers()).status == 200


def test_through_a_proxy_on_the_same_host(server):
    """Coolify's proxy, or a plain proxy_pass: every request is loopback."""
    base = world_traversable_dir("proxy")
    port = free_port()
    (base / "logs").mkdir()
    (base / "nginx.conf").write_text(f"""
pid {base}/nginx.pid;
error_log {base}/logs/error.log;
daemon off;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {base}/tmp;
    proxy_temp_path {base}/tmp;
    fastcgi_temp_path {base}/tmp;
    uwsgi_temp_path {base}/tmp;
    scgi_temp_path {base}/tmp;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{server.port};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
        }}
    }}
}}
""")
    proxy = subprocess.Popen([NGINX, "-p", f"{base}/", "-c",
                              f"{base}/nginx.conf", "-e",
                              f"{base}/logs/error.log"],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        assert wait_for_port(port, proxy)
        import http.client
        for method, path, body in [
                ("GET", "/cerebro/reservations?date=" + in_days(7), None),
                ("POST", "/cerebro/reservations", booking()),
                ("DELETE", "/cerebro/reservations/1", None),
                ("GET", "/cerebro/outbox", None)]:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request(method, path, body=body,
                      headers={"Content-Type": "application/json"})
            assert c.getresponse().status == 401, (method, path)
            c.close()
        assert day_names(server) == []
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)


def test_accounts_from_cerebro_staff_hash(nginx_factory):
    hashed = staff_hash("la clave de Lu")
    assert hashed.startswith("scrypt$14$8$1$")
    assert "la clave" not in hashed
    n = nginx_factory()
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_staff_user lucia {hashed};\n"
                "    cerebro_staff_session_timeout 1h;")
    n.start()
    assert login(n, user="lucia", password="la clave de Lu").status == 200
    r = login(n, user="lucia", password="la clave de Lu ")
    assert r.status == 401
    cookie = login(n, user="lucia", password="la clave de Lu") \
        .header("set-cookie")
    assert "Max-Age=3600" in cookie


@pytest.mark.parametrize("line, words", [
    ("cerebro_staff_user lucia scrypt$14$8$1$c2FsdA==$eA==;", "staff-hash"),
    ("cerebro_staff_user lu.cia scrypt$14$8$1$c2FsdHNhbHQ=$"
     "MDEyMzQ1Njc4OWFiY2RlZg==;", "letters"),
    ("cerebro_staff_user lucia scrypt$30$8$1$c2FsdHNhbHQ=$"
     "MDEyMzQ1Njc4OWFiY2RlZg==;", "staff-hash"),
])
def test_bad_staff_accounts_fail_nginx_t(nginx_factory, line, words):
    n = nginx_factory()
    n.render()
    n.edit_conf("http {", "http {\n    " + line)
    code, out = n.test_config()
    assert code != 0
    assert "cerebro_staff_user" in out and words in out, out
