"""A NUL character in a query string or a form field is refused with 400 before any view reads it
(powerlists/ops/input.py); every page's and endpoint's own parameters are swept in test_hostile_input.py."""
import pytest

from .helpers import db_state

pytestmark = pytest.mark.django_db


def test_a_nul_in_a_form_field_is_a_400_before_any_view(people, client):
    """As the query string's: a form field no view has to remember to check (was a 500 on PostgreSQL)."""
    client.force_login(people.city_editor)
    before = db_state()
    response = client.post("/workspace/tokens/revoke/", {"token_key": "ab\x00cd"})
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert db_state() == before


def test_a_nul_in_the_query_string_is_a_400_in_the_api_shape(client):
    response = client.get("/api/v1/items/", {"search": "a\x00b"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_characters"
