"""The API's governments: lookup by code, filters, Chinese search, lists on a date, diffs, error shape."""
import datetime

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from powerlists import services

D = datetime.date


def test_government_by_code_with_etag(api, tree):
    response = api.get("/api/v1/governments/230102/")
    assert response.status_code == 200
    assert response.json()["name"] == "道里区" and response.json()["parent"] == "2301"
    assert response.json()["tags"] == ["pilot"]
    assert response["ETag"]


@pytest.mark.parametrize("query, names", [
    ("tier=3", ["道里区", "道外区"]),
    ("parent=2301", ["道里区", "道外区"]),
    ("ancestor=230102", ["兆麟街道", "兆麟社区"]),
    ("tag=pilot", ["道里区"]),
    ("search=道里", ["道里区"]),
    ("search=兆麟", ["兆麟街道", "兆麟社区"]),
])
def test_government_filters_and_search(api, tree, query, names):
    response = api.get(f"/api/v1/governments/?{query}")
    assert response.status_code == 200
    assert [g["name"] for g in response.json()["results"]] == names


def test_search_finds_an_alias(api, tree):
    services.update_government(tree.street, aliases=["兆麟经济开发区"])
    assert [g["code"] for g in api.get("/api/v1/governments/?search=开发区").json()["results"]] == ["230102001"]


@pytest.mark.parametrize("size", [3, 30])
def test_governments_list_in_constant_queries(api, tree, size, django_assert_max_num_queries):
    for n in range(size):
        services.create_government(code=f"2301029{n:02d}", name=f"街道{n}", tier=4, parent=tree.district)
    with django_assert_max_num_queries(3):
        response = api.get("/api/v1/governments/?page_size=100")
    assert response.json()["count"] == 9 + size


@pytest.mark.parametrize("size", [3, 40])
def test_powers_on_a_date_in_constant_queries(api, tree, make_item, size, django_assert_max_num_queries):
    items = [make_item(name=f"建设工程许可{n}") for n in range(size)]
    services.devolve(item=items[0], giver=tree.city, receiver=tree.district, effective_on=D(2017, 1, 1))
    with django_assert_max_num_queries(3):
        response = api.get("/api/v1/governments/2301/powers/?as_of=2017-06-01&page_size=100")
    body = response.json()
    assert body["count"] == size
    assert {r["arrangement"] for r in body["results"]} == ({"devolved_out", "retained"} if size > 1 else {"devolved_out"})
    past = api.get("/api/v1/governments/230102/powers/?as_of=2016-06-01").json()
    assert past["count"] == 0
    now = api.get("/api/v1/governments/230102/powers/?as_of=2017-06-01").json()
    assert [(r["name"], r["arrangement"], r["from_government"]) for r in now["results"]] == [
        ("建设工程许可0", "received", "2301")]
    assert api.get("/api/v1/governments/2301/powers/?search=许可1&as_of=2017-06-01").json()["count"] >= 1


def test_diff_between_two_dates(api, tree, make_item):
    item = make_item(name="食品经营许可")
    services.devolve(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2017, 1, 1))
    body = api.get("/api/v1/governments/230102/diff/?from=2016-06-01&to=2017-06-01").json()
    assert body["count_from"] == 0 and body["count_to"] == 1
    assert [r["name"] for r in body["added"]] == ["食品经营许可"]


@pytest.mark.parametrize("url", [
    "/api/v1/governments/2301/powers/?as_of=2017-13-01",
    "/api/v1/governments/2301/powers/?category=nonsense",
    "/api/v1/governments/2301/powers/?department=abc",
    "/api/v1/governments/2301/diff/",
])
def test_bad_parameters_are_400_in_one_shape(api, tree, url):
    response = api.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["message"].isascii()
    chinese = api.get(url).json()
    assert not chinese["message"].isascii()


def test_absent_government_is_404_in_one_shape(api, db):
    response = api.get("/api/v1/governments/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_createtoken_prints_a_token_that_authenticates(db, django_user_model, capsys):
    from knox.models import AuthToken

    django_user_model.objects.create_user("api-user")
    call_command("createtoken", "api-user", "--days", "7")
    token = capsys.readouterr().out.strip()
    assert len(token) >= 64
    stored = AuthToken.objects.get(user__username="api-user")
    assert token not in (stored.digest, stored.token_key) and stored.expiry is not None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/governments/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Bearer " + "0" * 64)
    response = client.get("/api/v1/governments/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


@pytest.mark.parametrize("page", ["2917447835734360576", "99999999999999999999999999", "0", "-3", "x"])
def test_absurd_page_numbers_are_404_never_500(api, tree, make_item, page):
    make_item()
    for url in ("/api/v1/governments/", "/api/v1/items/", "/api/v1/transfers/", "/api/v1/governments/2301/powers/"):
        response = api.get(url, {"page": page, "page_size": "-6874"})
        assert response.status_code == 404, (url, response.content)
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("url", [
    "/api/v1/transfers/?batch=-1.7480981066851455e%2B180",
    "/api/v1/transfers/?item=-5.187484964424586e%2B16",
    "/api/v1/items/?department=99999999999999999999999",
    "/api/v1/exercises/?item=1e300",
    "/api/v1/audit/?batch=123456789012345678901234",
    "/api/v1/governments/2301/powers/?department=99999999999999999999999",
])
def test_huge_or_fractional_ids_are_400_never_500(api, tree, url):
    response = api.get(url)
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"code", "message", "details"}


@pytest.mark.parametrize("url", [
    "/api/v1/items/99999999999999999999999/", "/api/v1/transfers/99999999999999999999999/",
    "/api/v1/batches/99999999999999999999999/", "/api/v1/departments/99999999999999999999999/",
    "/api/v1/exercises/99999999999999999999999/", "/api/v1/audit/99999999999999999999999/",
])
def test_ids_past_any_real_one_are_404(api, db, url):
    response = api.get(url)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_body_naming_an_impossible_id_is_400(api, people, tree, make_item):
    api.force_authenticate(people.city_editor)
    response = api.post("/api/v1/transfers/", {
        "kind": "devolve", "item": 10**30, "giver": "2301", "receiver": "230102",
        "effective_on": "2017-01-01"}, format="json")
    assert response.status_code == 400 and "item" in response.json()["details"]
