"""Statistics over a subtree on a date, and the government tree's queries (subtree, ancestors, is_within)."""
import pytest

from powerlists import services
from powerlists.models import Arrangement, Category, Role, Tier
from powerlists.queries import ancestors, children, counts, subtree, tier_counts
from powerlists.services import Party

from .helpers import D, devolve

DAY = D(2019, 1, 1)


@pytest.fixture
def scene(tree, make_item):
    """city: A (retained), B (devolved to district and district2), C (shared: district lead, district2 support);
    district: own item E devolved to the street; other province: one item (outside every Harbin count)."""

    class Scene:
        pass

    s = Scene()
    s.a = make_item(category=Category.LICENSING, field="规划建设")
    s.b = make_item(category=Category.PENALTY, field="市场监管")
    s.c = make_item(category=Category.PENALTY, field="环境保护")
    s.e = make_item(government=tree.district, category=Category.BENEFIT, field="社会保障")
    s.x = make_item(government=tree.other_city, category=Category.LICENSING, field="规划建设")
    devolve(s.b, tree.city, tree.district, D(2017, 1, 1))
    devolve(s.b, tree.city, tree.district2, D(2017, 1, 1))
    services.share(item=s.c, sharer=tree.city, effective_on=D(2018, 1, 1), parties=[
        Party(tree.district, Role.LEAD, 70), Party(tree.district2, Role.SUPPORT, 30)])
    devolve(s.e, tree.district, tree.street, D(2018, 6, 1))
    return s


def test_counts_by_tier(tree, scene, django_assert_num_queries):
    with django_assert_num_queries(1):
        result = counts(tree.city, DAY, by="tier")
    assert result == {
        Tier.CITY: {"exercises": 3, "items": 3},
        Tier.COUNTY: {"exercises": 5, "items": 3},  # district: B, C, E; district2: B, C
        Tier.TOWNSHIP: {"exercises": 1, "items": 1},
    }
    assert tier_counts(tree.city, DAY) == {Tier.CITY: 3, Tier.COUNTY: 3, Tier.TOWNSHIP: 1}
    assert counts(tree.district, DAY, by="tier") == {
        Tier.COUNTY: {"exercises": 3, "items": 3}, Tier.TOWNSHIP: {"exercises": 1, "items": 1}}
    assert counts(tree.province, DAY, by="tier") == result
    assert counts(tree.other_province, DAY, by="tier") == {Tier.CITY: {"exercises": 1, "items": 1}}


def test_counts_on_an_earlier_date(tree, scene):
    assert counts(tree.city, D(2016, 6, 1), by="tier") == {
        Tier.CITY: {"exercises": 3, "items": 3}, Tier.COUNTY: {"exercises": 1, "items": 1}}
    assert counts(tree.city, D(2015, 1, 1), by="tier") == {}


def test_counts_by_category_and_field(tree, scene, django_assert_num_queries):
    with django_assert_num_queries(1):
        by_category = counts(tree.city, DAY, by="category")
    assert by_category == {
        Category.LICENSING: {"exercises": 1, "items": 1},
        Category.PENALTY: {"exercises": 6, "items": 2},
        Category.BENEFIT: {"exercises": 2, "items": 1},
    }
    with django_assert_num_queries(1):
        by_field = counts(tree.district, DAY, by="field")
    assert by_field == {
        "市场监管": {"exercises": 1, "items": 1},
        "环境保护": {"exercises": 1, "items": 1},
        "社会保障": {"exercises": 2, "items": 1},
    }


def test_counts_by_arrangement(tree, scene, django_assert_num_queries):
    with django_assert_num_queries(1):
        result = counts(tree.city, DAY, by="arrangement")
    assert result == {
        Arrangement.RETAINED: {"exercises": 1, "items": 1},        # city A
        Arrangement.DEVOLVED_OUT: {"exercises": 2, "items": 2},    # city B, district E
        Arrangement.SHARED_OUT: {"exercises": 1, "items": 1},      # city C
        Arrangement.RECEIVED: {"exercises": 3, "items": 2},        # district B, district2 B, street E
        Arrangement.SHARED_LEAD: {"exercises": 1, "items": 1},     # district C
        Arrangement.SHARED_SUPPORT: {"exercises": 1, "items": 1},  # district2 C
    }


def test_counts_unknown_grouping_is_a_clear_error(tree):
    from powerlists.services import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        counts(tree.city, DAY, by="colour")
    assert refused.value.code == "invalid_grouping" and refused.value.status == 400
    assert "tier" in refused.value.message("en")


# --- tree -----------------------------------------------------------------------------------------


@pytest.fixture
def deep(tree):
    """A deeper branch under the other province, with codes that share prefixes with their cousins."""
    class Deep:
        pass

    d = Deep()
    d.county = services.create_government(code="421127", name="黄梅县", tier=Tier.COUNTY, parent=tree.other_city)
    d.town = services.create_government(code="421127100", name="小池镇", tier=Tier.TOWNSHIP, parent=d.county)
    d.village = services.create_government(code="421127100201", name="小池村", tier=Tier.VILLAGE, parent=d.town)
    d.cousin = services.create_government(code="4211271", name="前缀相同的县", tier=Tier.COUNTY,
                                          parent=tree.other_city)
    d.town2 = services.create_government(code="421127101", name="孔垄镇", tier=Tier.TOWNSHIP, parent=d.county)
    d.prefix_province = services.create_government(code="4", name="前缀省", tier=Tier.PROVINCE)
    d.prefix_city = services.create_government(code="42110", name="前缀市", tier=Tier.CITY, parent=tree.other_province)
    return d


def codes(qs):
    return sorted(g.code for g in qs)


def test_subtree_one_query(tree, deep, django_assert_num_queries):
    with django_assert_num_queries(1):
        result = codes(subtree(deep.county))
    assert result == ["421127", "421127100", "421127100201", "421127101"]
    with django_assert_num_queries(1):
        assert codes(subtree(tree.other_city)) == sorted([
            "4211", "421127", "421127100", "421127100201", "421127101", "4211271"])
    assert codes(subtree(tree.other_province)) == sorted([
        "42", "4211", "42110", "421127", "421127100", "421127100201", "421127101", "4211271"])
    assert codes(subtree(deep.county, include_self=False)) == ["421127100", "421127100201", "421127101"]
    assert codes(subtree(deep.village)) == ["421127100201"]
    assert codes(subtree(deep.prefix_province)) == ["4"]
    assert codes(subtree(tree.district)) == ["230102", "230102001", "230102001001"]


def test_subtree_in_further_queries(tree, deep):
    """The subtree is a lazy queryset: it can be filtered and counted like any other."""
    assert subtree(tree.other_province).filter(tier=Tier.TOWNSHIP).count() == 2
    assert subtree(tree.province).count() == 7


def test_ancestors_one_query(tree, deep, django_assert_num_queries):
    with django_assert_num_queries(1):
        chain = ancestors(deep.village)
    assert [g.code for g in chain] == ["42", "4211", "421127", "421127100"]
    with django_assert_num_queries(1):
        chain = ancestors(deep.village, include_self=True)
    assert [g.code for g in chain] == ["42", "4211", "421127", "421127100", "421127100201"]
    assert [g.code for g in ancestors(tree.community)] == ["23", "2301", "230102", "230102001"]
    with django_assert_num_queries(0):
        assert ancestors(tree.province) == []
    assert [g.code for g in ancestors(tree.province, include_self=True)] == ["23"]


def test_children(tree, deep):
    assert [g.code for g in children(deep.county)] == ["421127100", "421127101"]
    assert [g.code for g in children(tree.city)] == ["230102", "230104"]
    assert list(children(deep.village)) == []


def test_is_within(tree, deep):
    assert deep.village.is_within(deep.village)
    assert deep.village.is_within(deep.county)
    assert deep.village.is_within(tree.other_province)
    assert not deep.county.is_within(deep.village)
    assert not deep.town2.is_within(deep.town)
    assert not deep.cousin.is_within(deep.county)      # "4211271" starts with "421127", but is not inside it
    assert not deep.prefix_city.is_within(tree.other_city)
    assert not tree.other_province.is_within(deep.prefix_province)
    assert not tree.street.is_within(tree.district2)
    assert tree.community.is_within(tree.province)
