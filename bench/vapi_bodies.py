#!/usr/bin/python3
"""VAPI tool-calls bodies of a chosen size, shaped like the ones VAPI posts
late in a call: the tool call (three times: toolCalls, toolCallList and
toolWithToolCallList), the transcript so far (artifact.messages and
artifact.messagesOpenAIFormatted, the system prompt at the head of both),
the call, the phone number, the customer and the whole assistant (its model
with the system prompt and every tool's schema), and a timestamp.

The order of the members follows what VAPI sends ("early": captured
payloads put toolCalls, toolCallList and toolWithToolCallList right after
"type", before artifact and call) or the order of the SDK's type
ServerMessageToolCalls ("late": toolCallList is its last property, after
call).  Both are valid; a reader must not depend on either.

The tool call's id is the placeholder TOOLCALLID, so that a load generator
can give every request its own id.

As a program it writes the bodies to a directory, asking a short-lived
nginx with the module for the assistant it serves (assistant-request):

    bench/vapi_bodies.py OUTDIR [--body 3k ...] [--order early|late|both]
"""

import argparse
import datetime
import json
import random
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
MADRID = ZoneInfo("Europe/Madrid")
PLACEHOLDER = "TOOLCALLID"
SIZES = {"3k": 3 * 1024, "16k": 16 * 1024, "64k": 64 * 1024}

# what a guest and the assistant say, in turns; cycled and varied
TURNS = [
    ("bot", "Restaurante En Las Nubes, dígame."),
    ("user", "Hola, buenas noches. Quería reservar una mesa para cuatro "
             "personas."),
    ("bot", "Claro. ¿Para qué día y a qué hora le vendría bien?"),
    ("user", "Pues había pensado en el viernes, a eso de las nueve de la "
             "noche, si puede ser en la terraza."),
    ("bot", "Un momento, lo compruebo."),
    ("user", "Vale, gracias. Una pregunta, ¿tienen menú para celíacos? "
             "Mi hermana no puede tomar gluten."),
    ("bot", "Sí, la cocina prepara la mayoría de los platos sin gluten si "
            "se avisa al reservar. Lo anoto en la reserva si quiere."),
    ("user", "Sí, por favor, apúntelo. Y si puede ser, una trona para el "
             "pequeño."),
    ("bot", "Perfecto, trona y sin gluten. ¿A nombre de quién pongo la "
            "reserva?"),
    ("user", "A nombre de María José Fernández, con efe."),
    ("bot", "Gracias, María José. ¿Le confirmo el viernes a las nueve, "
            "cuatro personas, en la terraza?"),
    ("user", "Espere, que me dice mi marido que mejor a las nueve y media, "
             "que salimos tarde del trabajo. ¿Habría sitio?"),
    ("bot", "Lo miro ahora mismo, un segundo."),
    ("user", "Y otra cosa, ¿hay aparcamiento cerca? La última vez estuvimos "
             "dando vueltas media hora."),
    ("bot", "Hay un aparcamiento público a doscientos metros, en la calle "
            "de al lado, abierto hasta la una."),
]


def _tool_call(call_id, args_as_string=False):
    args = {"date": "DATE", "time": "21:00", "party_size": 4}
    return {"id": call_id, "type": "function",
            "function": {"name": "check_availability",
                         "arguments": json.dumps(args) if args_as_string
                         else args}}


def _short_assistant():
    """What a 3 KB body has room for: the assistant without its prompt and
    tools (as in the FastAPI peer's body)."""
    return {"id": "a1b2c3d4-e5f6-7a8b-9c0d-e1f2a3b4c5d6",
            "name": "Cerebro En Las Nubes",
            "firstMessageMode": "assistant-speaks-first",
            "model": {"provider": "openai", "model": "gpt-4o",
                      "temperature": 0.3},
            "voice": {"provider": "azure", "voiceId": "es-ES-ElviraNeural"},
            "transcriber": {"provider": "deepgram", "model": "nova-2",
                            "language": "es"},
            "serverUrl": "https://cerebro.example.com/vapi/webhook"}


def _full_assistant(served):
    """The assistant we serve, as VAPI echoes it back with its defaults."""
    a = json.loads(json.dumps(served))
    a.setdefault("id", "a1b2c3d4-e5f6-7a8b-9c0d-e1f2a3b4c5d6")
    a.setdefault("orgId", "0a1b2c3d-4e5f-6789-abcd-ef9876543210")
    a["voice"] = {"provider": "azure", "voiceId": "es-ES-ElviraNeural",
                  "speed": 1.05, "chunkPlan": {"enabled": True,
                                               "minCharacters": 30}}
    a["endCallPhrases"] = ["adiós", "hasta luego", "gracias, adiós"]
    a["serverMessages"] = ["conversation-update", "end-of-call-report",
                           "function-call", "hang", "speech-update",
                           "status-update", "tool-calls",
                           "transfer-destination-request",
                           "user-interrupted"]
    a["clientMessages"] = ["conversation-update", "function-call", "hang",
                           "model-output", "speech-update", "status-update",
                           "transfer-update", "transcript", "tool-calls",
                           "user-interrupted", "voice-input"]
    a["backgroundDenoisingEnabled"] = True
    a["maxDurationSeconds"] = 900
    a["silenceTimeoutSeconds"] = 30
    a["createdAt"] = "2026-11-27T21:37:40.120Z"
    a["updatedAt"] = "2026-11-27T21:37:40.120Z"
    return a


def _system_prompt(assistant):
    for m in assistant.get("model", {}).get("messages", []):
        if m.get("role") == "system":
            return m.get("content", "")
    return ""


def _transcript(nturns, prompt, start_ms, call_id, rnd):
    """artifact.messages and artifact.messagesOpenAIFormatted for nturns
    spoken turns, then the tool call being asked for now."""
    vapi, openai = [], []
    t = start_ms
    if prompt:
        vapi.append({"role": "system", "message": prompt, "time": t,
                     "secondsFromStart": 0})
        openai.append({"role": "system", "content": prompt})
    for i in range(nturns):
        role, text = TURNS[i % len(TURNS)]
        if i >= len(TURNS):
            text = text + " " + TURNS[(i * 7) % len(TURNS)][1]
        dur = 900 + 55 * len(text) + rnd.randint(0, 400)
        entry = {"role": role, "message": text, "time": t,
                 "endTime": t + dur,
                 "secondsFromStart": round((t - start_ms) / 1000, 3),
                 "duration": dur}
        if role == "bot":
            entry["source"] = ""
        vapi.append(entry)
        openai.append({"role": "assistant" if role == "bot" else "user",
                       "content": text})
        # an earlier tool call and its result, every few turns
        if role == "bot" and i % 6 == 4:
            old = f"call_{rnd.getrandbits(96):024x}"
            tc = _tool_call(old, args_as_string=True)
            result = ("El viernes a las 21:00 no queda mesa para 4 en "
                      "terraza; hay a las 20:30 o a las 22:15, o en sala a "
                      "las 21:00.")
            vapi.append({"role": "tool_calls", "toolCalls": [tc],
                         "message": "", "time": t + dur + 50,
                         "secondsFromStart": round((t + dur + 50 - start_ms)
                                                   / 1000, 3)})
            vapi.append({"role": "tool_call_result",
                         "time": t + dur + 400,
                         "secondsFromStart": round((t + dur + 400 - start_ms)
                                                   / 1000, 3),
                         "name": "check_availability", "result": result,
                         "toolCallId": old})
            openai.append({"role": "assistant", "content": "",
                           "tool_calls": [tc]})
            openai.append({"role": "tool", "tool_call_id": old,
                           "content": result})
        t += dur + rnd.randint(300, 1500)
    tc = _tool_call(call_id, args_as_string=True)
    vapi.append({"role": "tool_calls", "toolCalls": [tc], "message": "",
                 "time": t, "secondsFromStart": round((t - start_ms) / 1000,
                                                      3)})
    openai.append({"role": "assistant", "content": "", "tool_calls": [tc]})
    return vapi, openai, t


def body(size, served_assistant, date, order="early", seed=18):
    """The body (a str, UTF-8 when encoded) closest to size bytes from
    below, with PLACEHOLDER as the tool call's id."""
    rnd_seed = seed

    def build(nturns, assistant):
        rnd = random.Random(rnd_seed)
        start_ms = 1764284260001
        prompt = _system_prompt(assistant)
        vapi, openai, t = _transcript(nturns, prompt, start_ms,
                                      PLACEHOLDER, rnd)
        tc = _tool_call(PLACEHOLDER)
        schema = None
        for tool in assistant.get("model", {}).get("tools", []):
            if tool.get("function", {}).get("name") == "check_availability":
                schema = dict(tool)
        if schema is None:
            schema = {"type": "function", "async": False,
                      "server": {"url": "https://cerebro.example.com/vapi/"
                                        "webhook"},
                      "function": {"name": "check_availability",
                                   "description": "Comprueba si hay mesa "
                                   "libre para un día, hora y número de "
                                   "personas.",
                                   "parameters": {"type": "object",
                                   "properties": {
                                       "date": {"type": "string"},
                                       "time": {"type": "string"},
                                       "party_size": {"type": "integer"}},
                                   "required": ["date", "time",
                                                "party_size"]}},
                      "messages": []}
        schema["toolCall"] = tc
        call = {"id": "8f1c2d3e-4b5a-6789-abcd-ef0123456789",
                "orgId": "0a1b2c3d-4e5f-6789-abcd-ef9876543210",
                "createdAt": "2026-11-27T21:37:40.120Z",
                "updatedAt": "2026-11-27T21:37:40.950Z",
                "type": "inboundPhoneCall", "status": "in-progress",
                "phoneCallProvider": "twilio",
                "phoneCallProviderId": "CA0123456789abcdef0123456789abcdef",
                "phoneCallTransport": "pstn",
                "phoneNumberId": "1d2e3f4a-5b6c-7d8e-9f0a-b1c2d3e4f5a6",
                "customer": {"number": "+34600111222"}}
        phone = {"id": "1d2e3f4a-5b6c-7d8e-9f0a-b1c2d3e4f5a6",
                 "orgId": "0a1b2c3d-4e5f-6789-abcd-ef9876543210",
                 "number": "+34941000000", "provider": "twilio",
                 "name": "En Las Nubes",
                 "createdAt": "2026-06-29T03:03:00.576Z",
                 "updatedAt": "2026-06-29T03:04:32.131Z"}
        parts = {
            "timestamp": t + 120,
            "type": "tool-calls",
            "toolCalls": [tc],
            "toolCallList": [tc],
            "toolWithToolCallList": [schema],
            "artifact": {"messages": vapi, "messagesOpenAIFormatted": openai},
            "call": call,
            "phoneNumber": phone,
            "customer": {"number": "+34600111222"},
            "assistant": assistant,
        }
        if order == "early":
            keys = ["timestamp", "type", "toolCalls", "toolCallList",
                    "toolWithToolCallList", "artifact", "call",
                    "phoneNumber", "customer", "assistant"]
        else:   # the SDK's ServerMessageToolCalls, toolCallList last
            keys = ["phoneNumber", "type", "toolWithToolCallList",
                    "timestamp", "artifact", "assistant", "customer",
                    "call", "toolCalls", "toolCallList"]
        msg = {k: parts[k] for k in keys}
        text = json.dumps({"message": msg}, ensure_ascii=False,
                          separators=(",", ":"))
        return text.replace('"DATE"', json.dumps(date)).replace(
            '\\"DATE\\"', '\\"' + date + '\\"')

    full = _full_assistant(served_assistant) if served_assistant else None
    assistant = full
    if full is None or len(build(0, full).encode()) > size:
        assistant = _short_assistant()
    best = build(0, assistant)
    n = 1
    while True:
        b = build(n, assistant)
        if len(b.encode()) > size:
            break
        best = b
        n += 1
    return best


def served_assistant():
    """The assistant a short-lived nginx with the module answers to
    assistant-request."""
    sys.path.insert(0, str(REPO / "tests" / "integration"))
    from harness import Nginx, world_traversable_dir  # noqa: E402
    import shutil
    base = world_traversable_dir("bench-bodies")
    n = Nginx(base / "p", workers=1)
    try:
        n.render()
        n.start()
        r = n.request("POST", "/vapi/webhook", body=json.dumps(
            {"message": {"type": "assistant-request",
                         "call": {"id": "bench",
                                  "customer": {"number": "+34600111222"}}}}),
            headers={"Content-Type": "application/json"})
        return json.loads(r.body)["assistant"]
    finally:
        n.stop()
        shutil.rmtree(base, ignore_errors=True)


def bench_date():
    return (datetime.datetime.now(MADRID).date()
            + datetime.timedelta(days=7)).isoformat()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--body", action="append", choices=sorted(SIZES))
    ap.add_argument("--order", choices=["early", "late", "both"],
                    default="both")
    ap.add_argument("--date", default=bench_date())
    args = ap.parse_args()
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    assistant = served_assistant()
    orders = ["early", "late"] if args.order == "both" else [args.order]
    for name in args.body or ["3k", "16k", "64k"]:
        for order in orders:
            b = body(SIZES[name], assistant, args.date, order)
            path = out / f"toolcall-{name}-{order}.json"
            path.write_text(b.replace(PLACEHOLDER, "call_bench0001"))
            print(f"{path}: {len(b.encode())} bytes")


if __name__ == "__main__":
    main()
