"""The API takes exactly the query parameters its schema lists: any other is a 400 naming it."""
import pytest
from django.urls import resolve
from rest_framework.test import APIClient

from powerlists.api import query_contract

pytestmark = pytest.mark.django_db


def _operations():
    """Every GET operation of the schema, with a URL that resolves to it and the names it takes."""
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator()
    generator._initialise_endpoints()
    for path, _regex, method, _callback in generator.endpoints:
        if method == "GET" and path.startswith(query_contract.API_PREFIX):
            yield path


GET_PATHS = sorted(set(_operations()))


def _url(path: str, tree) -> str:
    return (path.replace("{pk}", "1").replace("{id}", "1").replace("{code}", tree.province.code)
            .replace("{number}", "2021"))


def test_every_api_operation_has_a_contract():
    contract = query_contract.contract()
    assert GET_PATHS, "no GET operation found"
    for path in GET_PATHS:
        match = resolve(path.replace("{pk}", "1").replace("{id}", "1").replace("{code}", "23").replace("{number}", "2021"))
        assert (match.func, "GET") in contract, path


@pytest.mark.parametrize("path", GET_PATHS)
def test_an_unknown_parameter_is_refused_and_named(path, tree):
    response = APIClient().get(_url(path, tree), {"colour": "red", "goverment": "2301"},
                               HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "unknown_parameters"
    assert body["details"]["unknown"] == ["colour", "goverment"]
    assert "colour" in body["message"] and "goverment" in body["message"]


@pytest.mark.parametrize("path", GET_PATHS)
def test_every_listed_parameter_is_taken(path, tree):
    """Each name the schema lists passes the contract (an empty value is no filter)."""
    url = _url(path, tree)
    allowed = query_contract.contract()[(resolve(url).func, "GET")]
    response = APIClient().get(url, {name: "" for name in allowed if name != "format"})
    assert response.status_code != 400 or response.json()["code"] != "unknown_parameters", response.content


def test_the_message_is_chinese_by_default_and_lists_what_is_taken(tree):
    response = APIClient().get("/api/v1/items/", {"bogus": "1"})
    assert response.status_code == 400
    body = response.json()
    assert body["message"].startswith("未知的查询参数：bogus")
    assert "government" in body["details"]["allowed"]


def test_format_is_always_taken_and_known_filters_still_filter(tree):
    client = APIClient()
    assert client.get("/api/v1/items/", {"format": "json"}).status_code == 200
    response = client.get("/api/v1/governments/", {"parent": tree.province.code})
    assert response.status_code == 200, response.content


def test_pages_outside_the_api_ignore_unknown_parameters(tree):
    from django.test import Client

    response = Client().get("/", {"utm_source": "newsletter"})
    assert response.status_code == 200


def test_writes_are_checked_too(tree):
    response = APIClient().post("/api/v1/items/?dry_run=1", {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_parameters"
