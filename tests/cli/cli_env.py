"""What the operator tool's tests share: the built `cerebro`, a fresh
account on every loopback fake (Airtable, VAPI, Twilio, OpenAI), a TLS
server standing in for PUBLIC_URL, and a private redis-server.

The tool runs as a separate process with an environment made here only:
nothing of the caller's environment (or a .env in the repository) leaks
in, and every secret has a known value that the tests look for in what
the tool prints and writes."""

import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.fakes.airtable import AirtableFake
from tests.fakes.openai import OpenAIFake
from tests.fakes.twilio import TwilioFake
from tests.fakes.vapi import VapiFake

REPO = Path(__file__).resolve().parents[2]
CEREBRO = REPO / "build" / "cli" / "cerebro"

AIRTABLE_TOKEN = "patCliTest.secret-airtable-0001"
BASE = "appCliTestBase001"
VAPI_KEY = "vapi-secret-key-0002"
VAPI_SECRET = "webhook-secret-0003"
TWILIO_SID = "AC" + "c" * 32
TWILIO_TOKEN = "twilio-secret-token-0004"
OPENAI_KEY = "sk-secret-openai-0005"
REDIS_PASSWORD = "redis-secret-0006"
SECRETS = [AIRTABLE_TOKEN, VAPI_KEY, VAPI_SECRET, TWILIO_TOKEN, OPENAI_KEY,
           REDIS_PASSWORD]
WHATSAPP = "whatsapp:+34941000111"
HEALTH = {"status": "healthy", "service": "Cerebro En Las Nubes",
          "version": "1.0.0", "environment": "test"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def lines(self, status):
        return [l for l in self.out.splitlines() if l.startswith(status)]

    def __repr__(self):
        return "rc=%d\n--- stdout\n%s--- stderr\n%s" % (self.rc, self.out,
                                                         self.err)


class PublicServer:
    """PUBLIC_URL: https on loopback with a certificate made for the test,
    answering /health as the module does and assistant-request with the
    assistant `assistant` (as the module's)."""

    def __init__(self, cert, key):
        self.cert = cert
        self.assistant = {"name": "Cerebro En Las Nubes",
                          "firstMessage": "En Las Nubes, ¿dígame?",
                          "model": {"provider": "openai", "model": "gpt-4o",
                                    "tools": [{"type": "function"}]}}
        self.requests = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def _send(self, status, obj):
                body = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                outer.requests.append(("GET", self.path, dict(self.headers)))
                if self.path == "/health":
                    self._send(200, HEALTH)
                else:
                    self._send(404, {"error": "not found"})

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(n) or b"{}")
                outer.requests.append(("POST", self.path, dict(self.headers)))
                if self.path != "/vapi/webhook":
                    return self._send(404, {})
                if self.headers.get("X-Vapi-Secret") != VAPI_SECRET:
                    return self._send(401, {"error": "unauthorized"})
                if body["message"]["type"] != "assistant-request":
                    return self._send(200, {})
                self._send(200, {"assistant": outer.assistant})

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.cert), str(key))
        self.srv.socket = ctx.wrap_socket(self.srv.socket, server_side=True)
        self.url = "https://127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, args=(0.05,),
                         daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class RedisServer:
    def __init__(self, workdir, password):
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(workdir),
             "--requirepass", password],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)


class Account:
    """Every fake, empty as a new customer's account, and the tool's
    environment pointing at them."""

    def __init__(self, workdir, cert, key):
        self.workdir = workdir
        self.airtable = AirtableFake(token=AIRTABLE_TOKEN, base_id=BASE,
                                     rate_pause=2.0)
        self.airtable.start()
        self.airtable.seed({"replace": True})      # a base with no table
        self.vapi = VapiFake(api_key=VAPI_KEY)
        self.vapi.start()
        self.phone = self.vapi.add_phone_number("+34941000111")
        self.twilio = TwilioFake(account_sid=TWILIO_SID,
                                 auth_token=TWILIO_TOKEN)
        self.twilio.start()
        self.sender = self.twilio.add_sender(WHATSAPP)
        self.template = self.twilio.add_content(
            "Mensaje de En Las Nubes: {{1}} Gracias.")
        self.openai = OpenAIFake(api_key=OPENAI_KEY)
        self.openai.start()
        self.public = PublicServer(cert, key)
        self.redis = RedisServer(workdir, REDIS_PASSWORD)
        self.env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(workdir),
            "TMPDIR": str(workdir),
            "AIRTABLE_API_KEY": AIRTABLE_TOKEN,
            "AIRTABLE_BASE_ID": BASE,
            "AIRTABLE_API_URL": self.airtable.url,
            "CEREBRO_AIRTABLE_PAUSE": "2",
            "VAPI_API_KEY": VAPI_KEY,
            "VAPI_API_URL": self.vapi.url,
            "VAPI_WEBHOOK_SECRET": VAPI_SECRET,
            "TWILIO_ACCOUNT_SID": TWILIO_SID,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "TWILIO_API_URL": self.twilio.url,
            "TWILIO_MESSAGING_API_URL": self.twilio.url,
            "TWILIO_CONTENT_API_URL": self.twilio.url,
            "TWILIO_WHATSAPP_NUMBER": WHATSAPP,
            "CEREBRO_WHATSAPP_TEMPLATE": self.template,
            "OPENAI_API_KEY": OPENAI_KEY,
            "OPENAI_BASE_URL": self.openai.url + "/v1",
            "PUBLIC_URL": self.public.url,
            "CEREBRO_CA_FILE": str(self.public.cert),
            "REDIS_URL": "redis://127.0.0.1:%d/0" % self.redis.port,
            "REDIS_PASSWORD": REDIS_PASSWORD,
            "CEREBRO_RESTAURANT": str(REPO / "conf" / "restaurant.json"),
            "CEREBRO_VOICE_PROMPT": str(REPO / "conf" / "agents" / "voice.md"),
        }

    def run(self, *args, env=None, cwd=None, timeout=120):
        e = dict(self.env)
        e.update(env or {})
        for k in [k for k, v in e.items() if v is None]:
            del e[k]
        proc = subprocess.run([str(CEREBRO)] + list(args), env=e,
                              cwd=str(cwd or self.workdir),
                              capture_output=True, text=True,
                              timeout=timeout)
        return Result(proc)

    def writes(self):
        return {"airtable": self.airtable.writes(),
                "vapi": self.vapi.writes(),
                "twilio": self.twilio.config_writes()}

    def close(self):
        for f in (self.airtable, self.vapi, self.twilio, self.openai):
            f.stop()
        self.public.close()
        self.redis.stop()




def assert_no_secret(*texts):
    for t in texts:
        for s in SECRETS:
            assert s not in t, "a secret was printed or written"
