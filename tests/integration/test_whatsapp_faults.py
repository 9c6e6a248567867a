"""Issue 13: every inbound WhatsApp message answered once, even when the
worker handling it dies; one phone's messages handled one at a time.

A worker is killed with SIGKILL while the brain (the OpenAI fake, slow)
is working on a message.  Twilio's retry of the same MessageSid, or the
jobs run when no retry comes, takes the message over once its lease has
run out; a message that was answered is never answered twice."""

import threading
import time

import pytest

from tests.fakes.openai import OpenAIFake, DEFAULT_KEY
from test_whatsapp import Guest, twiml

PHONE = "+34622333444"
# the brain's whole budget: the lease is twice this, plus 2 s
TIMEOUT = ("cerebro_whatsapp_timeout 2s;\n"
           "    cerebro_whatsapp_inline_budget 1s;\n")


@pytest.fixture
def openai():
    fake = OpenAIFake(api_key=DEFAULT_KEY)
    fake.start()
    yield fake
    fake.stop()


def start(nginx_factory, openai, workers=1, jobs="1h"):
    e = {"OPENAI_API_KEY": DEFAULT_KEY, "OPENAI_BASE_URL": openai.url + "/v1"}
    n = nginx_factory(env=e, workers=workers)
    n.render()
    # jobs: how often the module's jobs run looks for messages to take over
    n.edit_conf("http {", "http {\n    " + TIMEOUT
                + f"    cerebro_jobs_interval {jobs};\n")
    return n.start()


def wait_for(what, timeout=20.0, every=0.05):
    end = time.monotonic() + timeout
    while True:
        value = what()
        if value or time.monotonic() > end:
            return value
        time.sleep(every)


def last_user_text(body):
    users = [m for m in body["messages"] if m.get("role") == "user"]
    return users[-1]["content"] if users else ""


def kill_while_thinking(n, openai, guest, params):
    """Posts the message and kills the one worker once the brain waits
    for OpenAI (the last answer scripted never comes: the fake holds
    it)."""
    [worker] = wait_for(n.workers, 10)
    t = threading.Thread(target=lambda: _post_quietly(guest, params))
    t.start()
    # the script is empty once the held answer's request has arrived
    assert wait_for(lambda: openai.pending() == 0, 10), \
        "the brain never asked OpenAI"
    n.kill_worker(worker)
    t.join(15)
    assert wait_for(lambda: n.workers() and worker not in n.workers(), 10)


def _post_quietly(guest, params):
    try:
        guest.post(params)
    except OSError:
        pass            # the worker died under this request


def replies_to(n, phone):
    r = n.get("/cerebro/outbox")
    assert r.status == 200, r.body
    return [m for m in r.json()["messages"]
            if m["to"] in (phone, "whatsapp:" + phone)
            and m["kind"] == "reply"]


def test_a_message_whose_worker_died_is_answered_on_twilios_retry(
        nginx_factory, openai):
    n = start(nginx_factory, openai)
    g = Guest(n, phone=PHONE)
    params = g.params("¿Abrís el lunes?")

    # the first delivery: the router answers, the agent never does
    openai.push_content("other")
    openai.push_timeout(30)
    kill_while_thinking(n, openai, g, params)

    openai.push_content("other")
    openai.push_content("El lunes cerramos.")

    # Twilio retries until it gets an answer; while the dead worker's
    # lease runs, a retry is answered empty and runs nothing
    asked = len(openai.chat_requests())
    answers = []

    def retry():
        r = g.post(params)
        assert r.status == 200, r.body
        answers.append(twiml(r))
        return answers[-1]

    assert wait_for(retry, timeout=20, every=0.25) == "El lunes cerramos."
    assert set(answers[:-1]) <= {""}
    assert len(openai.chat_requests()) == asked + 2

    # answered: a further retry gets the same answer and asks nobody
    assert retry() == "El lunes cerramos."
    assert len(openai.chat_requests()) == asked + 2
    assert "handled again" in n.log_text()


def test_a_message_whose_worker_died_is_answered_by_the_jobs_run(
        nginx_factory, openai):
    n = start(nginx_factory, openai, jobs="1s")
    g = Guest(n, phone=PHONE)
    params = g.params("¿Tenéis terraza?")

    openai.push_content("other")
    openai.push_timeout(30)
    kill_while_thinking(n, openai, g, params)

    openai.push_content("other")
    openai.push_content("Sí, tenemos terraza.")

    # the module's own jobs run (every second here) takes it over
    replies = wait_for(lambda: replies_to(n, PHONE), timeout=20,
                       every=0.25)
    assert len(replies) == 1, n.get("/cerebro/outbox").body
    [reply] = replies
    assert reply["body"] == "Sí, tenemos terraza."
    assert "handled again by the jobs run" in n.log_text()

    # a late retry of Twilio's does not answer it again
    asked = len(openai.chat_requests())
    assert twiml(g.post(params)) == ""
    assert len(replies_to(n, PHONE)) == 1
    assert len(openai.chat_requests()) == asked


def test_two_messages_at_once_from_one_phone_keep_both(nginx_factory,
                                                       openai):
    n = start(nginx_factory, openai, workers=2)
    first, second = "Somos cuatro personas", "Preferimos terraza"

    def respond(body):
        if "tools" not in body:
            return {"content": "other"}
        text = last_user_text(body)
        if text == first:
            # slow: the second message arrives while this one is handled
            return {"content": "Anotado: cuatro.", "delay": 0.8}
        return {"content": "Anotado."}

    openai.set_responder(respond)
    g = Guest(n, phone=PHONE)
    p1, p2 = g.params(first), g.params(second)

    t = threading.Thread(target=lambda: g.post(p1))
    t.start()
    # the second is posted once the first is with the brain
    assert wait_for(lambda: any(last_user_text(b) == first
                                for b in openai.chat_requests()), 10)
    assert g.post(p2).status == 200
    t.join(15)

    g.say("¿Lo tienes todo?")
    seen = [m.get("content") for m in openai.chat_requests()[-1]["messages"]]
    assert first in seen and second in seen, seen


# ---- without Redis, an answered MessageSid outlives the cache ---------------

# long messages from as many phones: several times the 8 MB zone
FLOOD = 20000


def received(n, outcome):
    for line in n.get("/metrics").body.decode().splitlines():
        if line.startswith("cerebro_whatsapp_messages_received_total{") \
                and f'outcome="{outcome}"' in line:
            return int(float(line.rsplit(" ", 1)[1]))
    return 0


def test_an_answered_message_outlives_a_flood_of_other_writes(
        nginx_factory):
    """Without Redis the keys live in the host's shared-memory zone (8 MB,
    least recently used evicted).  A flood of other guests' long messages
    pushes out everything the first guest left there, its conversation
    included; Twilio's retry of its MessageSid is still answered with the
    first answer and not handled again (the answer is a row of the SQLite
    file)."""
    import concurrent.futures

    n = nginx_factory(workers=2)
    n.start()
    guest = Guest(n, phone=PHONE)
    first = guest.params("Quiero reservar para 4 personas")
    r = guest.post(first)
    assert r.status == 200, r.body
    answer = twiml(r)
    assert answer
    answered = received(n, "answered")

    filler = ("Hola, quería preguntar por la carta y por la terraza. " * 30)

    def flood(i):
        other = Guest(n, phone="+3461%07d" % i)
        assert other.post(other.params(filler)).status == 200

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(flood, range(FLOOD)))

    # the zone forgot the guest: its conversation (the party of 4) is gone
    forgot = guest.say("el sábado")
    assert "cuántas personas" in forgot, forgot

    again = guest.post(first)
    assert again.status == 200, again.body
    assert twiml(again) == answer
    assert received(n, "duplicate") == 1
    # the retry was not handled: only the flood and "el sábado" were
    assert received(n, "answered") == answered + FLOOD + 1

