"""Operating the product: /healthz, reads routed to a replica, structured request logs."""
import json
import logging

import pytest
from django.conf import settings
from django.db import OperationalError, connections, transaction
from django.test import RequestFactory

from powerlists.models import Government
from powerlists.ops import health
from powerlists.ops.logs import JsonFormatter
from powerlists.ops.routers import PIN_COOKIE, PinPrimaryMiddleware, PrimaryReplicaRouter, pinned_to_primary

ALL = pytest.mark.django_db(databases="__all__")  # /healthz checks every configured database


@ALL
def test_healthz_checks_database_and_cache(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["checks"]["database:default"] == "ok" and body["checks"]["cache"] == "ok"
    assert "no-cache" in response["Cache-Control"]


@ALL
def test_healthz_answers_503_when_the_cache_is_down(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(health.cache, "set", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "failed" and "redis" not in response.content.decode()


@ALL
def test_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(connections["default"], "cursor", broken)
        response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["checks"]["database:default"] == "failed"


@ALL
def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == 405


# --- the replica router -----------------------------------------------------------------------------


@pytest.fixture
def with_replica(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": dict(settings.DATABASES["default"])}
    return PrimaryReplicaRouter()


@pytest.mark.django_db(transaction=True)
def test_reads_go_to_the_replica_and_writes_to_the_primary(with_replica):
    router = with_replica
    assert router.db_for_read(Government) == "replica"
    assert router.db_for_write(Government) == "default"
    with transaction.atomic():  # a transaction reads what it writes
        assert router.db_for_read(Government) == "default"
    with pinned_to_primary():
        assert router.db_for_read(Government) == "default"
    assert router.allow_migrate("default", "powerlists") and not router.allow_migrate("replica", "powerlists")


def test_without_a_replica_everything_uses_the_primary(db):
    assert PrimaryReplicaRouter().db_for_read(Government) == "default"


@pytest.mark.django_db(transaction=True)
def test_a_writing_request_and_its_clients_next_reads_are_pinned_to_the_primary(with_replica):
    router, seen = with_replica, []
    middleware = PinPrimaryMiddleware(lambda request: seen.append(router.db_for_read(Government)) or _ok())
    factory = RequestFactory()
    assert PIN_COOKIE not in middleware(factory.get("/")).cookies and seen[-1] == "replica"
    written = middleware(factory.post("/"))
    assert seen[-1] == "default" and written.cookies[PIN_COOKIE]["max-age"] == 10
    after = factory.get("/")
    after.COOKIES[PIN_COOKIE] = "1"
    middleware(after)
    assert seen[-1] == "default"


def _ok():
    from django.http import HttpResponse

    return HttpResponse("ok")


@pytest.mark.skipif("replica" not in settings.DATABASES, reason="set DATABASE_REPLICA_URL to run against a second alias")
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_a_second_database_alias_serves_the_reads(client):
    """With DATABASE_REPLICA_URL set (in CI: the same PostgreSQL server, mirroring the test database), the
    ORM reads through the ``replica`` connection what the primary committed."""
    from powerlists import services

    services.create_government(code="99", name="复制测试省", tier=1)
    assert Government.objects.db == "replica"
    assert Government.objects.filter(code="99").exists()
    assert connections["replica"].queries_log is not None
    response = client.get("/healthz")
    assert response.json()["checks"]["database:replica"] == "ok"


# --- structured logs --------------------------------------------------------------------------------


def test_each_request_is_logged_once_as_json_without_secrets(client, db, caplog):
    with caplog.at_level(logging.INFO, logger="powerlists.request"):
        response = client.get("/api/v1/governments/?page_size=1", HTTP_X_REQUEST_ID="abc-123",
                              HTTP_AUTHORIZATION="Bearer not-a-real-token")
    records = [r for r in caplog.records if r.name == "powerlists.request"]
    assert len(records) == 1 and response["X-Request-ID"] == "abc-123"
    line = json.loads(JsonFormatter().format(records[0]))
    assert response.status_code == 401  # a token that does not exist
    assert line["method"] == "GET" and line["path"] == "/api/v1/governments/" and line["status"] == 401
    assert line["request_id"] == "abc-123" and line["user"] is None and line["duration_ms"] >= 0
    assert "not-a-real-token" not in json.dumps(line)


@ALL
def test_a_forged_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="<script>" + "x" * 100)
    assert response["X-Request-ID"] != "<script>" and len(response["X-Request-ID"]) == 32


def test_production_settings_pass_the_deployment_checks():
    """`manage.py check --deploy` under the settings of README's Deploying section: no warning."""
    import os
    import subprocess
    import sys

    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set by browser tests
    env = {**inherited, "HTTPS": "1", "DEBUG": "0", "SECRET_KEY": "k" * 20 + "-production-only-4f9a2c81b7e6d5",
           "ALLOWED_HOSTS": "lists.example.gov.cn"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", ["/", "/api/v1/governments/", "/healthz", "/no-such-page/", "/accounts/login/"])
@ALL
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]


@ALL
def test_the_api_documentation_may_start_its_scripts_inline_but_loads_nothing_from_elsewhere(client):
    csp = client.get("/api/docs/")["Content-Security-Policy"]
    assert "'unsafe-inline'" in csp and "http" not in csp


def test_no_page_template_carries_an_inline_script_or_style():
    """What makes the strict policy possible: scripts and styles come from static files."""
    from pathlib import Path

    templates = Path(settings.BASE_DIR) / "powerlists" / "templates"
    offenders = [str(p) for p in templates.rglob("*.html")
                 if "<script>" in p.read_text() or "<style" in p.read_text() or " style=" in p.read_text()
                 or " onclick=" in p.read_text()]
    assert offenders == []
