"""Redis down: the product keeps serving. Lists are computed from the database, rate limits and sign-in
lockouts stop counting (an error is logged), /healthz says the cache failed."""
import datetime

import pytest
from django.test import Client
from rest_framework.test import APIClient

from powerlists import services

pytestmark = pytest.mark.django_db
UNREACHABLE = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings):
    from powerlists.ops.cache import FAILURES, breaker

    breaker.reset()
    settings.CACHES = {"default": {"BACKEND": "powerlists.ops.cache.ResilientRedisCache",
                                   "LOCATION": UNREACHABLE, "KEY_PREFIX": "powerlists"}}
    from django.core.cache import cache

    with pytest.raises(FAILURES):  # it is really down
        cache.get("probe")
    yield
    breaker.reset()


def test_the_api_reads_and_writes_with_the_cache_down(redis_down, tree, people, make_item, caplog):
    item = make_item()
    services.devolve(item=item, giver=tree.city, receiver=tree.district, effective_on=datetime.date(2017, 1, 1))
    response = APIClient().get("/api/v1/governments/230102/powers/", {"as_of": "2017-06-01"})
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 1
    client = APIClient()
    client.force_authenticate(people.city_editor)
    created = client.post("/api/v1/transfers/", {"kind": "devolve", "item": make_item().pk, "giver": "2301",
                                                 "receiver": "230104", "effective_on": "2018-01-01"}, format="json")
    assert created.status_code == 201, created.content
    assert "rate limit: the cache is unavailable" in caplog.text or "Redis" in caplog.text


def test_people_still_sign_in_with_the_cache_down(redis_down, people, caplog):
    client = Client()
    wrong = client.post("/accounts/login/", {"username": "city_editor", "password": "not-the-password"})
    assert wrong.status_code == 200  # the form again, with its error
    right = client.post("/accounts/login/", {"username": "city_editor", "password": "a-long-pass-phrase-2026"})
    assert right.status_code == 302
    assert "sign-in lockout: the cache is unavailable" in caplog.text or "Redis" in caplog.text


def test_healthz_names_the_cache(redis_down):
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "failed"
    assert response.json()["checks"]["database:default"] == "ok"


@pytest.fixture
def redis_hung(settings):
    """A server that accepts connections and never answers, as a wedged Redis would."""
    import socket
    import threading

    from powerlists.ops.cache import breaker

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    breaker.reset()
    settings.CACHES = {"default": {"BACKEND": "powerlists.ops.cache.ResilientRedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{server.getsockname()[1]}/0",
                                   "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3}}}
    yield
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()
    breaker.reset()


def test_a_hung_cache_costs_one_timeout_not_one_per_call(redis_hung, tree, people):
    import time

    started = time.monotonic()
    first = APIClient().get("/api/v1/governments/2301/powers/")
    first_took = time.monotonic() - started
    assert first.status_code == 200
    assert first_took < 2, f"{first_took:.2f} s"
    started = time.monotonic()
    for _ in range(3):
        assert APIClient().get("/api/v1/governments/2301/powers/").status_code == 200
    client = Client()
    assert client.post("/accounts/login/", {"username": "city_editor",
                                            "password": "a-long-pass-phrase-2026"}).status_code == 302
    assert time.monotonic() - started < 1.5  # the breaker is open: no call waits for the network
