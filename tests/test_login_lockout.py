"""Failed sign-ins are throttled and locked out, on the login page and in the admin."""
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

PASSWORD = "a-long-pass-phrase-2026"


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("editor1", password=PASSWORD)


def sign_in(client, password, username="editor1", address="10.0.0.1", path="/accounts/login/"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_five_failures_lock_the_account_even_against_the_right_password(client, user, settings):
    settings.LOGIN_MAX_FAILURES = 5
    for _ in range(5):
        response = sign_in(client, "wrong")
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    locked = sign_in(client, PASSWORD)
    assert locked.status_code == 200 and "_auth_user_id" not in client.session
    assert "锁定" in locked.content.decode()
    english = client.post("/accounts/login/", {"username": "editor1", "password": PASSWORD},
                          HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.0.0.1")
    assert "Too many failed sign-ins" in english.content.decode()
    # The admin's sign-in is refused too.
    assert sign_in(client, PASSWORD, path="/admin/login/").status_code == 200
    assert "_auth_user_id" not in client.session
    cache.clear()  # the lockout time has passed
    assert sign_in(client, PASSWORD).status_code == 302 and client.session["_auth_user_id"]


def test_a_success_clears_the_count(client, user, settings):
    settings.LOGIN_MAX_FAILURES = 3
    sign_in(client, "wrong")
    sign_in(client, "wrong")
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()
    sign_in(client, "wrong")
    sign_in(client, "wrong")
    assert sign_in(client, PASSWORD).status_code == 302


def test_one_address_trying_many_accounts_is_locked_out(client, user, settings):
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 4
    for n in range(4):
        sign_in(client, "wrong", username=f"someone{n}")
    assert sign_in(client, PASSWORD).status_code == 200  # the right password, from that address: refused
    assert sign_in(client, PASSWORD, address="10.0.0.2").status_code == 302  # elsewhere: fine


def test_usernames_are_counted_without_regard_to_case(client, user, settings):
    settings.LOGIN_MAX_FAILURES = 2
    sign_in(client, "wrong", username="EDITOR1")
    sign_in(client, "wrong", username="editor1")
    assert sign_in(client, PASSWORD).status_code == 200
