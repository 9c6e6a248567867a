"""A body at a location's client_max_body_size is read whole, however it is
framed; one byte more ends the request once, with a JSON 413, and nothing
of ours runs after it (the fixture fails the test on any [alert], such as
"header already sent")."""

import json
import socket
import urllib.parse

import pytest

VAPI_LIMIT = 1 << 20          # conf/nginx.conf.template, /vapi/webhook
WHATSAPP_LIMIT = 64 << 10     # /whatsapp/webhook


def vapi_body(size):
    """A status-update padded to exactly size bytes: answered 200 {}."""
    head = '{"message":{"type":"status-update","status":"queued","pad":"'
    tail = '"}}'
    body = head + "a" * (size - len(head) - len(tail)) + tail
    assert len(body) == size
    json.loads(body)
    return body.encode()


def whatsapp_body(size):
    fields = [("MessageSid", "SM" + "0" * 32),
              ("From", "whatsapp:+34600111222"),
              ("To", "whatsapp:+14155238886"), ("Body", "hola")]
    base = urllib.parse.urlencode(fields) + "&Pad="
    body = base + "a" * (size - len(base))
    assert len(body) == size
    return body.encode()


def send_raw(port, path, content_type, body, chunked, chunk=8192):
    """One request on a socket of our own, so that the framing is exactly
    the one asked for; returns (status, headers, body)."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: {content_type}\r\nConnection: close\r\n")
    if chunked:
        head += "Transfer-Encoding: chunked\r\n\r\n"
        payload = b"".join(
            b"%x\r\n%s\r\n" % (len(body[i:i + chunk]), body[i:i + chunk])
            for i in range(0, len(body), chunk)) + b"0\r\n\r\n"
    else:
        head += f"Content-Length: {len(body)}\r\n\r\n"
        payload = body
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head.encode())
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass            # nginx may answer 413 and close before the end
        data = b""
        while True:
            try:
                part = s.recv(65536)
            except ConnectionResetError:
                break
            if not part:
                break
            data += part
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in
               (line.partition(":") for line in lines[1:])}
    if headers.get("transfer-encoding") == "chunked":
        out, rest = b"", rest
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        rest = out
    return status, headers, rest


@pytest.fixture
def server(nginx_factory):
    return nginx_factory().start()


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_vapi_body_at_the_limit_is_read_whole(server, chunked):
    status, _, body = send_raw(server.port, "/vapi/webhook",
                               "application/json", vapi_body(VAPI_LIMIT),
                               chunked)
    assert status == 200, body
    assert json.loads(body) == {}


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_vapi_body_one_byte_over_is_a_json_413(server, chunked):
    status, headers, body = send_raw(server.port, "/vapi/webhook",
                                     "application/json",
                                     vapi_body(VAPI_LIMIT + 1), chunked)
    assert status == 413, body
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["error"]
    # the server goes on answering
    assert server.get("/health").status == 200


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_whatsapp_body_at_the_limit_is_read_whole(server, chunked):
    status, headers, body = send_raw(server.port, "/whatsapp/webhook",
                                     "application/x-www-form-urlencoded",
                                     whatsapp_body(WHATSAPP_LIMIT), chunked)
    assert status == 200, body
    assert headers["content-type"].startswith("text/xml")
    assert b"<Response" in body


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_whatsapp_body_one_byte_over_is_a_json_413(server, chunked):
    status, headers, body = send_raw(server.port, "/whatsapp/webhook",
                                     "application/x-www-form-urlencoded",
                                     whatsapp_body(WHATSAPP_LIMIT + 1),
                                     chunked)
    assert status == 413, body
    assert json.loads(body)["error"]
    assert server.get("/health").status == 200
