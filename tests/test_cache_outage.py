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
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": UNREACHABLE, "KEY_PREFIX": "powerlists"}}
    from django.core.cache import cache

    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises: it is really down
        cache.get("probe")


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
    assert "rate limit: the cache is unavailable" in caplog.text


def test_people_still_sign_in_with_the_cache_down(redis_down, people, caplog):
    client = Client()
    wrong = client.post("/accounts/login/", {"username": "city_editor", "password": "not-the-password"})
    assert wrong.status_code == 200  # the form again, with its error
    right = client.post("/accounts/login/", {"username": "city_editor", "password": "a-long-pass-phrase-2026"})
    assert right.status_code == 302
    assert "sign-in lockout: the cache is unavailable" in caplog.text


def test_healthz_names_the_cache(redis_down):
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "failed"
    assert response.json()["checks"]["database:default"] == "ok"
