import pytest
from django.urls import reverse


@pytest.mark.parametrize("items", [2, 20])
def test_home_lists_governments_with_todays_counts_in_fixed_queries(client, tree, make_item, items,
                                                                     django_assert_max_num_queries):
    for _ in range(items):
        make_item()
    with django_assert_max_num_queries(4):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "哈尔滨市" in page and "湖北省" in page
    assert f'<td class="num">{items}</td>' in page


def test_home_in_english(client, db):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert 'lang="en"' in response.content.decode()
