"""The OpenAPI document itself: valid OpenAPI 3, served, and describing every route of the API."""
import pytest
from django.urls import get_resolver
from openapi_spec_validator import validate
from rest_framework.test import APIClient


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"}, HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    import json

    return json.loads(response.content)


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_every_api_route_is_described(schema):
    paths = set(schema["paths"])
    expected = {
        "/api/v1/governments/", "/api/v1/governments/{code}/", "/api/v1/governments/{code}/powers/",
        "/api/v1/governments/{code}/diff/", "/api/v1/departments/", "/api/v1/departments/{id}/",
        "/api/v1/departments/{id}/responsibilities/", "/api/v1/items/", "/api/v1/items/{id}/",
        "/api/v1/items/{id}/history/", "/api/v1/exercises/", "/api/v1/exercises/{id}/", "/api/v1/batches/",
        "/api/v1/batches/{id}/", "/api/v1/transfers/", "/api/v1/transfers/{id}/", "/api/v1/audit/",
        "/api/v1/audit/{id}/", "/api/v1/stats/",
    }
    expected |= {f"/api/v1/transfers/{{id}}/{action}/" for action in
                 ("submit", "approve", "reject", "accept", "withdraw", "return")}
    assert expected <= paths, expected - paths
    routes = {str(p.pattern) for p in get_resolver().url_patterns}
    assert any("api/" in r for r in routes)


def test_every_operation_documents_its_errors_in_the_one_shape(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "patch", "put", "delete"):
                continue
            errors = {code: r for code, r in operation["responses"].items() if code.startswith("4")}
            assert {"400", "401", "429"} <= set(errors), (method, path)
            for code, response in errors.items():
                schema_ref = response["content"]["application/json"]["schema"]
                assert schema_ref.get("$ref", "").endswith("/Error"), (method, path, code)


def test_docs_pages_are_served_without_a_cdn(client, db):
    for url in ("/api/docs/", "/api/redoc/"):
        page = client.get(url).content.decode()
        assert "cdn." not in page and "jsdelivr" not in page and "unpkg" not in page
        assert "/static/drf_spectacular_sidecar/" in page
