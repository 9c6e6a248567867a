"""Issue 16: the webhooks rate-limited by nginx's limit_req in the shipped
conf, and the module's cap on what one guest can book in a day
(cerebro_guest_limit, default 3), refused with a polite sentence."""

import concurrent.futures
import re

from harness import REPO
from voice import day, fixture, post, result_of, tool_call

SMALL = REPO / "tests" / "fixtures" / "restaurant-two-tables.json"


# the shipped limits (the harness lifts them for the other tests, which
# send more from loopback than any VAPI address does)
SHIPPED = {"CEREBRO_VAPI_RATE": "20r/s", "CEREBRO_VAPI_BURST": "200",
           "CEREBRO_TWILIO_RATE": "10r/s", "CEREBRO_TWILIO_BURST": "100"}


def start(nginx_factory, conf="", env=None):
    n = nginx_factory(env=dict(SHIPPED, **(env or {})))
    n.render()
    n.edit_conf("http {", f"http {{\n    cerebro_restaurant {SMALL};\n{conf}")
    return n.start()


def test_the_shipped_conf_limits_every_webhook(nginx_factory):
    n = nginx_factory(env=SHIPPED)
    n.render()
    conf = n.conf.read_text()
    for location in ("/vapi/webhook", "/whatsapp/webhook",
                     "/whatsapp/status"):
        block = re.search(r"location = %s \{(.*?)\}" % re.escape(location),
                          conf, re.S).group(1)
        assert re.search(r"limit_req zone=cerebro_\w+ burst=\d+ nodelay;",
                         block), location
    assert "limit_req_status 429;" in conf


def test_a_busy_evening_passes(nginx_factory):
    n = start(nginx_factory)

    def one(i):
        return post(n, fixture("status-update-in-progress.json")).status

    # forty messages at once from VAPI's one address: all within the burst
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(one, range(40))) == {200}


def test_past_the_burst_the_answer_is_429_json(nginx_factory):
    n = start(nginx_factory, env={"CEREBRO_VAPI_RATE": "1r/m",
                                  "CEREBRO_VAPI_BURST": "2"})
    statuses = [post(n, fixture("status-update-in-progress.json"))
                for _ in range(5)]
    assert [r.status for r in statuses[:3]] == [200, 200, 200]
    r = statuses[3]
    assert r.status == 429
    assert r.json()["error"].startswith("too many requests")
    assert r.header("retry-after") == "1"
    # other endpoints are not limited by VAPI's zone
    assert n.get("/health").status == 200


def book(n, d, caller, call_id):
    return result_of(post(n, tool_call("create_reservation", {
        "name": "Marta", "date": d.isoformat(), "time": "21:00",
        "party_size": 2}, call_id=call_id, caller=caller)))


def test_a_guests_fourth_booking_of_the_day_is_refused_politely(
        nginx_factory):
    n = start(nginx_factory)
    caller = "+34600444555"
    made, k = [], 3
    while len(made) < 4 and k < 40:
        d = day(k)
        k += 1
        text = book(n, d, caller, f"c-limit-{k}")
        if len(made) < 3:
            if text.startswith("Reserva confirmada"):
                made.append(d)
            continue
        # the fourth, on a day that has room
        check = result_of(post(n, tool_call("check_availability", {
            "date": d.isoformat(), "time": "21:00", "party_size": 2},
            caller=caller)))
        if not check.startswith("Sí"):
            continue
        assert "máximo" in text and "3 reservas" in text, text
        assert "pasarle con el restaurante" in text
        made.append(None)
    assert len(made) == 4, made

    r = n.get("/cerebro/reservations?phone=%2B34600444555")
    assert len([b for b in r.json()["reservations"]
                if b["status"] != "cancelled"]) == 3
    # another guest books that very day
    assert book(n, d, "+34600444666", "c-limit-other").startswith(
        "Reserva confirmada")


def test_the_limit_is_configurable(nginx_factory):
    n = start(nginx_factory, conf="    cerebro_guest_limit 1;\n")
    caller = "+34600777111"
    k = 3
    while not book(n, day(k), caller, f"c-one-{k}").startswith(
            "Reserva confirmada"):
        k += 1
        assert k < 40
    text = book(n, day(k + 7), caller, "c-one-next")
    assert "ya se ha hecho 1 reserva hoy, que es el máximo" in text, text
