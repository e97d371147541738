"""API tokens are stored hashed and expire; passwords are validated and hashed."""
import datetime

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _token(user, **kwargs):
    from knox.models import AuthToken

    return AuthToken.objects.create(user=user, **kwargs)


def _get(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/v1/transfers/", HTTP_ACCEPT_LANGUAGE="en")


def test_a_token_is_stored_only_as_a_hash(people):
    from knox.models import AuthToken

    instance, token = _token(people.city_editor, expiry=datetime.timedelta(days=1))
    row = AuthToken.objects.values().get(pk=instance.pk)
    assert token not in {str(v) for v in row.values()}
    assert _get(token).status_code == 200


def test_an_expired_token_is_refused_and_removed(people):
    from knox.models import AuthToken

    instance, token = _token(people.city_editor, expiry=datetime.timedelta(days=1))
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    response = _get(token)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert people.city_editor.username not in response.content.decode()
    assert not AuthToken.objects.filter(pk=instance.pk).exists()


def test_tokens_from_the_workspace_expire(people, client):
    """The web page that makes tokens never makes one that lives for ever."""
    from knox.models import AuthToken

    client.force_login(people.city_editor)
    response = client.post("/workspace/tokens/", {"days": "30"})
    assert response.status_code in (200, 302)
    token = AuthToken.objects.filter(user=people.city_editor).first()
    assert token is not None and token.expiry is not None
    assert token.expiry <= timezone.now() + datetime.timedelta(days=366)


@pytest.mark.parametrize("password", ["12345678901", "password123", "short", "city_editor2026"])
def test_weak_passwords_are_refused(people, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=people.city_editor)


def test_a_strong_password_is_taken_and_stored_hashed(people):
    validate_password("steady-river-lantern-42", user=people.city_editor)
    people.city_editor.set_password("steady-river-lantern-42")
    people.city_editor.save()
    stored = type(people.city_editor).objects.values_list("password", flat=True).get(pk=people.city_editor.pk)
    assert "steady-river-lantern-42" not in stored
    people.city_editor.refresh_from_db()
    assert people.city_editor.check_password("steady-river-lantern-42")


def test_the_product_hashes_passwords_with_pbkdf2():
    """The suite uses a fast hasher (tests/conftest.py); the product's settings do not."""
    import powerlists.settings as product_settings

    hashers = product_settings.PASSWORD_HASHERS
    assert hashers[0] in ("django.contrib.auth.hashers.PBKDF2PasswordHasher",
                          "django.contrib.auth.hashers.Argon2PasswordHasher",
                          "django.contrib.auth.hashers.ScryptPasswordHasher")


def test_a_person_changes_their_password_with_the_old_one_and_it_is_audited(people, client):
    from django.contrib.auth import get_user_model

    from powerlists.models import AuditEvent

    client.force_login(people.city_editor)
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and 'name="old_password"' in page.content.decode()
    weak = client.post("/accounts/password/", {"old_password": "a-long-pass-phrase-2026",
                                               "new_password1": "1234567890", "new_password2": "1234567890"})
    assert weak.status_code == 200 and 'role="alert"' in weak.content.decode()
    wrong = client.post("/accounts/password/", {"old_password": "guess", "new_password1": "steady-river-lantern-42",
                                                "new_password2": "steady-river-lantern-42"})
    assert wrong.status_code == 200
    user = get_user_model().objects.get(pk=people.city_editor.pk)
    assert user.check_password("a-long-pass-phrase-2026")
    assert not AuditEvent.objects.filter(action="account.password_change").exists()

    done = client.post("/accounts/password/", {"old_password": "a-long-pass-phrase-2026",
                                               "new_password1": "steady-river-lantern-42",
                                               "new_password2": "steady-river-lantern-42"})
    assert done.status_code == 302 and done["Location"] == "/accounts/password/done/"
    user.refresh_from_db()
    assert user.check_password("steady-river-lantern-42")
    event = AuditEvent.objects.get(action="account.password_change")
    assert event.actor_id == user.pk
    assert "steady" not in str(event.before) + str(event.after) and user.password not in str(event.after)
    assert client.get("/accounts/password/done/").status_code == 200  # this session stays signed in


def test_changing_the_password_signs_out_other_sessions(people, client):
    from django.test import Client

    other = Client()
    other.force_login(people.city_editor)
    assert other.get("/workspace/").status_code == 200
    client.force_login(people.city_editor)
    client.post("/accounts/password/", {"old_password": "a-long-pass-phrase-2026",
                                        "new_password1": "steady-river-lantern-42",
                                        "new_password2": "steady-river-lantern-42"})
    assert other.get("/workspace/").status_code == 302  # back to the login page


def test_anonymous_callers_are_sent_to_sign_in(client):
    response = client.get("/accounts/password/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_changing_the_password_revokes_the_persons_api_tokens(people, client):
    from knox.models import AuthToken

    from powerlists.models import AuditEvent

    _instance, token = _token(people.city_editor, expiry=datetime.timedelta(days=30))
    _token(people.city_reviewer, expiry=datetime.timedelta(days=30))
    assert _get(token).status_code == 200
    client.force_login(people.city_editor)
    client.post("/accounts/password/", {"old_password": "a-long-pass-phrase-2026",
                                        "new_password1": "steady-river-lantern-42",
                                        "new_password2": "steady-river-lantern-42"})
    assert _get(token).status_code == 401
    assert not AuthToken.objects.filter(user=people.city_editor).exists()
    assert AuthToken.objects.filter(user=people.city_reviewer).count() == 1  # nobody else's
    assert AuditEvent.objects.get(action="account.password_change").after == {"tokens_revoked": 1}


def test_guessing_the_old_password_is_locked_out_like_signing_in(people, client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    client.force_login(people.city_editor)
    wrong = {"old_password": "guess", "new_password1": "steady-river-lantern-42",
             "new_password2": "steady-river-lantern-42"}
    for _ in range(3):
        assert client.post("/accounts/password/", wrong).status_code == 200
    right = {**wrong, "old_password": "a-long-pass-phrase-2026"}
    locked = client.post("/accounts/password/", right)
    assert locked.status_code == 429 and "锁定" in locked.content.decode()
    people.city_editor.refresh_from_db()
    assert people.city_editor.check_password("a-long-pass-phrase-2026")
