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
    assert f'<span class="powers" data-code="2301">{items} 项</span>' in page
    assert f'href="{reverse("government", args=["2301"])}"' in page


def test_home_in_english(client, db):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert 'lang="en"' in response.content.decode()


def test_the_old_front_page_is_gone():
    import importlib.util

    assert importlib.util.find_spec("powerlists.views") is None
