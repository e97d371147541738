"""One proxy, one lockout (hardening issue, point 3): the client's address is resolved once, behind a
configured number of trusted proxies (``TRUSTED_PROXIES``, powerlists/ops/client_ip.py), for the sign-in
lockout, the API's rate limits and the request log.

Behind the documented nginx every request has the proxy's REMOTE_ADDR (here 127.0.0.1) and nginx appends
the address it was reached from to X-Forwarded-For. Counting REMOTE_ADDR would lock everyone out after
30 wrong sign-ins by anyone; trusting the whole header would let a client pick a new address each time.
"""
from __future__ import annotations

import json
import logging

import pytest
from django.contrib.auth import get_user_model
from rest_framework.throttling import AnonRateThrottle

from powerlists.ops.client_ip import resolve
from powerlists.ops.logs import JsonFormatter

PASSWORD = "a-long-pass-phrase-2026"
PROXY = "127.0.0.1"


@pytest.mark.parametrize(("forwarded", "remote", "proxies", "expected"), [
    ("203.0.113.7", PROXY, 0, PROXY),                       # no proxy trusted: the header is ignored
    ("203.0.113.7", PROXY, 1, "203.0.113.7"),               # nginx appended the client
    ("6.6.6.6, 203.0.113.7", PROXY, 1, "203.0.113.7"),      # what the client wrote itself stays to the left
    ("6.6.6.6, 203.0.113.7, 10.0.0.5", PROXY, 2, "203.0.113.7"),  # two proxies: a load balancer, then nginx
    ("", "198.51.100.2", 1, "198.51.100.2"),                # not through the proxy: its own address
    ("203.0.113.7", PROXY, 3, PROXY),                       # fewer hops than proxies: not trusted
    ("not-an-address", PROXY, 1, PROXY),                    # garbage: the proxy's address, never the garbage
    ("203.0.113.7:51000", PROXY, 1, "203.0.113.7"),         # with a port
    ("[2001:db8::1]:443", PROXY, 1, "2001:db8::1"),
    ("2001:db8::2", PROXY, 1, "2001:db8::2"),
    (", ,203.0.113.7", PROXY, 1, "203.0.113.7"),
])
def test_the_client_is_the_hop_before_the_trusted_proxies(forwarded, remote, proxies, expected):
    meta = {"REMOTE_ADDR": remote, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})}
    assert resolve(meta, proxies) == expected


def test_a_huge_header_is_read_from_its_end_only():
    meta = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "1.1.1.1, " * 100_000 + "203.0.113.9"}
    assert resolve(meta, 1) == "203.0.113.9"


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("editor1", password=PASSWORD)


def sign_in(client, username, password, forwarded):
    return client.post("/accounts/login/", {"username": username, "password": password},
                       REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def test_behind_one_proxy_a_guesser_locks_only_their_own_address(client, user, settings):
    settings.TRUSTED_PROXIES = 1
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 30
    for n in range(30):  # made-up names, each with a new forged left part of the header
        sign_in(client, f"made-up-{n}", "wrong", f"10.9.{n}.1, 203.0.113.66")
    # Everyone else, through the same proxy, still signs in.
    assert sign_in(client, "editor1", PASSWORD, "198.51.100.20").status_code == 302
    client.logout()
    # The guesser is locked out, whatever they write to the left of the address nginx appended.
    assert sign_in(client, "editor1", PASSWORD, "1.2.3.4, 203.0.113.66").status_code == 200
    assert "_auth_user_id" not in client.session


def test_without_trusted_proxies_the_header_changes_nothing(client, user, settings):
    settings.TRUSTED_PROXIES = 0
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        client.post("/accounts/login/", {"username": f"x{n}", "password": "wrong"}, REMOTE_ADDR="203.0.113.5",
                    HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    refused = client.post("/accounts/login/", {"username": "editor1", "password": PASSWORD},
                          REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.0.0.99")
    assert refused.status_code == 200 and "_auth_user_id" not in client.session


def test_a_forged_header_does_not_make_a_new_anonymous_caller(client, db, settings, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "1000/minute"})
    settings.TRUSTED_PROXIES = 1
    codes = [client.get("/api/v1/items/", REMOTE_ADDR=PROXY,
                        HTTP_X_FORWARDED_FOR=f"10.1.{n}.1, 203.0.113.77").status_code for n in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    # Another client behind the same proxy is another caller.
    assert client.get("/api/v1/items/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.78").status_code == 200


def test_the_request_log_names_the_resolved_client(client, db, settings, caplog):
    settings.TRUSTED_PROXIES = 1
    with caplog.at_level(logging.INFO, logger="powerlists.request"):
        client.get("/healthz", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.80")
    record = next(r for r in caplog.records if r.name == "powerlists.request")
    assert record.client_ip == "203.0.113.80"
    assert json.loads(JsonFormatter().format(record))["client_ip"] == "203.0.113.80"


def test_a_bad_setting_is_refused_at_start(monkeypatch):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import django; django.setup()"], capture_output=True, text=True,
                          env={"DJANGO_SETTINGS_MODULE": "powerlists.settings", "DEBUG": "1",
                               "TRUSTED_PROXIES": "one", "PATH": "/usr/bin:/bin"})
    assert done.returncode != 0 and "TRUSTED_PROXIES" in done.stderr
