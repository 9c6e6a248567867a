"""What the voice tests share: VAPI messages as VAPI sends them, and how
the answers read a date back."""

import datetime
import json
import uuid
from zoneinfo import ZoneInfo

from harness import REPO

FIXTURES = REPO / "tests" / "fixtures" / "vapi"
MADRID = ZoneInfo("Europe/Madrid")
WEEKDAYS = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado",
            "domingo"]
MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio",
          "agosto", "septiembre", "octubre", "noviembre", "diciembre"]


def day(n=7):
    return datetime.datetime.now(MADRID).date() + datetime.timedelta(days=n)


def spoken(d):
    """How the answers read a date back: "sábado 5 de diciembre"."""
    return f"{WEEKDAYS[d.weekday()]} {d.day} de {MONTHS[d.month - 1]}"


def fixture(name, when=None):
    text = (FIXTURES / name).read_text()
    return text.replace("{{DATE}}", (when or day()).isoformat())


def post(n, body, headers=None, timeout=30):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    if not isinstance(body, str):
        body = json.dumps(body)
    return n.request("POST", "/vapi/webhook", body=body, headers=h,
                     timeout=timeout)


def tool_call(name, args, call_id="c-1", tool_id=None, caller="+34600111222",
              confirmed=True):
    """One tool call as VAPI sends it.  A create_reservation carries
    confirmed=true, as the assistant sends it after the guest's yes to the
    read-back, unless confirmed=False (then the argument is left out)."""
    if (name == "create_reservation" and confirmed and isinstance(args, dict)
            and "confirmed" not in args):
        args = dict(args, confirmed=True)
    return {"message": {
        "type": "tool-calls",
        "toolCallList": [{"id": tool_id or f"t-{uuid.uuid4().hex}",
                          "type": "function",
                          "function": {"name": name, "arguments": args}}],
        "call": {"id": call_id, "customer": {"number": caller}}}}


def result_of(resp):
    assert resp.status == 200, resp.body
    results = resp.json()["results"]
    assert len(results) == 1
    text = results[0].get("result", results[0].get("error"))
    assert "\n" not in text
    return text
