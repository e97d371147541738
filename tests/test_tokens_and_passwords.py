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
