"""Issue 15: an unauthenticated body is never buffered. The VAPI secret (and
Twilio's signature, for its webhooks) is
checked from the headers before the body is read: 300 connections each
sending a megabyte without the secret get 401 at once, and the workers'
memory stays where it was (it used to grow by the megabytes kept)."""

import selectors
import socket
from pathlib import Path

from voice import post

SECRET = "vapi-unauth-body-secret-1201"
CONNECTIONS = 300
BODY = 1024 * 1024
CHUNK = 64 * 1024


def workers_of(master):
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return pids


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_300_unauthenticated_megabytes_are_refused_unread(nginx_factory):
    n = nginx_factory(env={"VAPI_WEBHOOK_SECRET": SECRET}).start()
    # the location takes a megabyte: the limit is not what refuses them
    assert post(n, "{}", headers={"X-Vapi-Secret": SECRET}).status == 400
    workers = workers_of(n.proc.pid)
    assert len(workers) == 2
    before = {w: rss_kb(w) for w in workers}

    head = (f"POST /vapi/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\n"
            f"Content-Length: {BODY}\r\n\r\n").encode()
    chunk = b" " * CHUNK
    sel = selectors.DefaultSelector()
    socks = {}
    for _ in range(CONNECTIONS):
        s = socket.create_connection(("127.0.0.1", n.port), timeout=10)
        s.setblocking(False)
        s.send(head)
        socks[s] = {"sent": 0, "answer": b"", "done": False}
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)

    peak = dict(before)
    open_ = len(socks)
    rounds = 0
    while open_ and rounds < 200000:
        rounds += 1
        for key, events in sel.select(timeout=10):
            s, st = key.fileobj, socks[key.fileobj]
            try:
                if events & selectors.EVENT_READ:
                    data = s.recv(65536)
                    st["answer"] += data
                    if not data or b"\r\n\r\n" in st["answer"]:
                        st["done"] = True
                if events & selectors.EVENT_WRITE and st["sent"] < BODY:
                    st["sent"] += s.send(chunk[:BODY - st["sent"]])
            except (BrokenPipeError, ConnectionResetError):
                st["done"] = True
            if st["done"]:
                sel.unregister(s)
                s.close()
                open_ -= 1
        if rounds % 50 == 0:
            for w in workers:
                peak[w] = max(peak[w], rss_kb(w))
    for w in workers:
        peak[w] = max(peak[w], rss_kb(w))

    answers = [st["answer"] for st in socks.values()]
    assert open_ == 0
    # refused, each from its headers: the secret, or the webhook's rate
    # limit once an address has sent too many
    assert sum(a.startswith((b"HTTP/1.1 401", b"HTTP/1.1 429"))
               for a in answers) == CONNECTIONS, {a[:40] for a in answers}
    assert any(a.startswith(b"HTTP/1.1 401") for a in answers)
    print("worker RSS kB before/peak:", before, peak)
    # a megabyte a connection would be 150 MB a worker; allow 32 MB
    for w in workers:
        assert peak[w] - before[w] < 32 * 1024, (before, peak)


def test_an_unsigned_whatsapp_body_is_refused_unread(nginx_factory):
    n = nginx_factory(env={"TWILIO_AUTH_TOKEN": "tw-token-for-the-test-01",
                           "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                           "PUBLIC_URL": "https://cerebro.example.com"})
    n.start()
    for path in ("/whatsapp/webhook", "/whatsapp/status"):
        s = socket.create_connection(("127.0.0.1", n.port), timeout=10)
        # the headers of a 60 KB form, and not one byte of it
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  f"Content-Type: application/x-www-form-urlencoded\r\n"
                  f"Content-Length: 60000\r\n\r\n".encode())
        answer = s.recv(65536)
        s.close()
        assert answer.startswith(b"HTTP/1.1 403"), answer[:80]
        assert b"X-Twilio-Signature" in answer
