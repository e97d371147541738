"""Power lists as of a date (arrangements, filters, one query) and the difference between two dates."""
import datetime
from decimal import Decimal

import pytest

from powerlists import services
from powerlists.models import Arrangement, Category, Role
from powerlists.queries import diff, power_list
from powerlists.services import Party

from .helpers import D, devolve

DAY = D(2019, 1, 1)


@pytest.fixture
def scene(tree, make_item):
    """Every arrangement at once, on DAY.

    city: retained (A), devolved out (B → district), shared out (C: district lead, district2 support);
    district: received (B), shared lead (C), shared lead of its own item (E, street support), retained (F);
    district2: shared support (C); street: shared support (E).
    """

    class Scene:
        pass

    s = Scene()
    s.a = make_item(code="A01", name="建设工程规划许可", category=Category.LICENSING, field="规划建设",
                    department=tree.city_dept)
    s.b = make_item(code="B01", name="企业投资项目核准", category=Category.LICENSING, field="投资审批")
    s.c = make_item(code="C01", name="环境污染行为处罚", category=Category.PENALTY, field="环境保护")
    s.e = make_item(government=tree.district, code="E01", name="城市道路挖掘许可", category=Category.LICENSING,
                    field="城市管理", department=tree.district_dept)
    s.f = make_item(government=tree.district, code="F01", name="最低生活保障金给付", category=Category.BENEFIT,
                    field="社会保障")
    devolve(s.b, tree.city, tree.district, D(2017, 1, 1), method="entrusted", receiving_department=tree.district_dept)
    services.share(item=s.c, sharer=tree.city, effective_on=D(2018, 1, 1), parties=[
        Party(tree.district, Role.LEAD, "60", tree.district_dept), Party(tree.district2, Role.SUPPORT, "40")])
    services.share(item=s.e, sharer=tree.district, effective_on=D(2018, 1, 1), parties=[
        Party(tree.district, Role.LEAD, "80"), Party(tree.street, Role.SUPPORT, "20", tree.street_dept)])
    return s


def by_item(rows):
    return {r["item_id"]: r for r in rows}


def test_arrangements(tree, scene):
    s = scene
    assert {k: v["arrangement"] for k, v in by_item(power_list(tree.city, DAY)).items()} == {
        s.a.pk: Arrangement.RETAINED, s.b.pk: Arrangement.DEVOLVED_OUT, s.c.pk: Arrangement.SHARED_OUT}
    assert {k: v["arrangement"] for k, v in by_item(power_list(tree.district, DAY)).items()} == {
        s.b.pk: Arrangement.RECEIVED, s.c.pk: Arrangement.SHARED_LEAD, s.e.pk: Arrangement.SHARED_LEAD,
        s.f.pk: Arrangement.RETAINED}
    assert {k: v["arrangement"] for k, v in by_item(power_list(tree.district2, DAY)).items()} == {
        s.c.pk: Arrangement.SHARED_SUPPORT}
    assert {k: v["arrangement"] for k, v in by_item(power_list(tree.street, DAY)).items()} == {
        s.e.pk: Arrangement.SHARED_SUPPORT}
    assert power_list(tree.community, DAY) == []
    assert power_list(tree.other_city, DAY) == []


def test_row_values(tree, scene):
    s = scene
    rows = by_item(power_list(tree.district, DAY))
    b = rows[s.b.pk]
    assert (b["item__code"], b["item__name"], b["item__category"], b["item__field"]) == (
        "B01", "企业投资项目核准", "licensing", "投资审批")
    assert (b["role"], b["method"], b["department__name"], b["source__government__code"]) == (
        Role.RECEIVER, "entrusted", "道里区发展和改革局", "2301")
    assert (b["valid_from"], b["valid_to"], b["fiscal_share"]) == (D(2017, 1, 1), None, None)
    c = rows[s.c.pk]
    assert (c["role"], c["fiscal_share"], c["shared_by__code"], c["department_id"]) == (
        Role.LEAD, Decimal("60.00"), "2301", tree.district_dept.pk)
    street = power_list(tree.street, DAY)[0]
    assert (street["fiscal_share"], street["shared_by__code"], street["department__name"]) == (
        Decimal("20.00"), "230102", "兆麟街道便民服务中心")
    city_a = by_item(power_list(tree.city, DAY))[s.a.pk]
    assert city_a["department__name"] == "市发展和改革委员会" and city_a["source__government__code"] is None


def test_ordering_by_category_then_code(tree, make_item):
    make_item(code="Z9", category=Category.BENEFIT)
    make_item(code="A1", category=Category.PENALTY)
    make_item(code="B2", category=Category.BENEFIT)
    assert [r["item__code"] for r in power_list(tree.city, DAY)] == ["B2", "Z9", "A1"]


def test_list_on_a_date(tree, scene):
    s = scene
    assert {r["item_id"] for r in power_list(tree.district, D(2016, 12, 31))} == {s.e.pk, s.f.pk}
    assert by_item(power_list(tree.district, D(2017, 12, 31)))[s.e.pk]["arrangement"] == Arrangement.RETAINED
    assert {r["item_id"] for r in power_list(tree.district, D(2017, 1, 1))} == {s.b.pk, s.e.pk, s.f.pk}
    assert power_list(tree.city, D(2015, 12, 31)) == []


@pytest.mark.parametrize("filters, expected", [
    ({"category": Category.LICENSING}, {"B01", "E01"}),
    ({"category": Category.PENALTY}, {"C01"}),
    ({"field": "社会保障"}, {"F01"}),
    ({"arrangement": Arrangement.SHARED_LEAD}, {"C01", "E01"}),
    ({"arrangement": Arrangement.RECEIVED}, {"B01"}),
    ({"arrangement": Arrangement.RETAINED}, {"F01"}),
    ({"arrangement": Arrangement.DEVOLVED_OUT}, set()),
    ({"search": "许可"}, {"E01"}),
    ({"search": "保障"}, {"F01"}),
    ({"search": "项目核准"}, {"B01"}),
    ({"search": "b01"}, {"B01"}),
    ({"search": "许可 道路"}, {"E01"}),
    ({"search": "许可 处罚"}, set()),
    ({"search": "规划"}, set()),  # the city's item, not in the district's list
    ({"category": Category.LICENSING, "arrangement": Arrangement.SHARED_LEAD}, {"E01"}),
])
def test_filters(tree, scene, filters, expected):
    assert {r["item__code"] for r in power_list(tree.district, DAY, **filters)} == expected


def test_filter_by_department(tree, scene):
    assert {r["item__code"] for r in power_list(tree.district, DAY, department=tree.district_dept.pk)} == {
        "B01", "C01", "E01"}  # E01: the district's own department carried into its lead row
    assert {r["item__code"] for r in power_list(tree.city, DAY, department=tree.city_dept.pk)} == {"A01"}


def test_search_two_character_chinese_term(tree, make_item):
    licence = make_item(name="建设工程规划许可")
    make_item(name="企业投资项目核准")
    other = make_item(name="许可证遗失补办")
    assert {r["item_id"] for r in power_list(tree.city, DAY, search="许可")} == {licence.pk, other.pk}
    assert {r["item_id"] for r in power_list(tree.city, DAY, search="规划许可")} == {licence.pk}


@pytest.mark.parametrize("size", [5, 50])
def test_power_list_is_one_query_whatever_the_size(tree, make_item, django_assert_num_queries, size):
    items = [make_item(category=[Category.LICENSING, Category.PENALTY][n % 2]) for n in range(size)]
    for item in items[: size // 5]:
        devolve(item, tree.city, tree.district, D(2017, 1, 1))
    for item in items[size // 5: 2 * size // 5]:
        services.share(item=item, sharer=tree.city, effective_on=D(2018, 1, 1), parties=[
            Party(tree.city, Role.LEAD, 50), Party(tree.district2, Role.SUPPORT, 50)])
    with django_assert_num_queries(1):
        rows = power_list(tree.city, DAY)
    assert len(rows) == size
    assert {r["arrangement"] for r in rows} == {
        Arrangement.DEVOLVED_OUT, Arrangement.SHARED_LEAD, Arrangement.RETAINED}
    with django_assert_num_queries(1):
        filtered = power_list(tree.city, DAY, category=Category.LICENSING, arrangement=Arrangement.RETAINED,
                              search="测试")
    assert 0 < len(filtered) < size
    with django_assert_num_queries(1):
        assert len(power_list(tree.district, DAY)) == size // 5


# --- diff -----------------------------------------------------------------------------------------


def test_diff_added_removed_changed_unchanged(tree, make_item, django_assert_max_num_queries):
    same = make_item(code="S1")
    moved = make_item(code="M1")
    gone = make_item(code="G1")
    renamed = make_item(code="R1", name="旧名称")
    make_item(code="N1", holder_from=D(2019, 1, 1))
    devolve(moved, tree.city, tree.district, D(2018, 1, 1))
    services.cancel(item=gone, effective_on=D(2018, 1, 1))
    services.adjust(item=renamed, changes={"name": "新名称"}, effective_on=D(2018, 1, 1))
    with django_assert_max_num_queries(2):
        d = diff(tree.city, D(2017, 1, 1), D(2020, 1, 1))
    assert [r["item__code"] for r in d.added] == ["N1"]
    assert [r["item__code"] for r in d.removed] == ["G1"]
    changed = {old["item__code"]: (old, new) for old, new in d.changed}
    assert set(changed) == {"M1", "R1"}
    assert (changed["M1"][0]["arrangement"], changed["M1"][1]["arrangement"]) == (
        Arrangement.RETAINED, Arrangement.DEVOLVED_OUT)
    assert (changed["R1"][0]["item__name"], changed["R1"][1]["item__name"]) == ("旧名称", "新名称")
    assert changed["R1"][0]["item_id"] == renamed.pk != changed["R1"][1]["item_id"]
    assert d.unchanged == 1
    assert (d.count_from, d.count_to) == (4, 4)
    assert d.count_from == len(power_list(tree.city, D(2017, 1, 1)))
    assert d.count_to == len(power_list(tree.city, D(2020, 1, 1)))
    assert d.government == tree.city and (d.date_from, d.date_to) == (D(2017, 1, 1), D(2020, 1, 1))
    assert same.pk not in {r["item_id"] for r in d.added + d.removed}


def test_diff_of_the_receiver(tree, make_item):
    item = make_item(code="X1")
    devolve(item, tree.city, tree.district, D(2018, 1, 1))
    d = diff(tree.district, D(2017, 1, 1), D(2019, 1, 1))
    assert [r["item_id"] for r in d.added] == [item.pk]
    assert (d.removed, d.changed, d.unchanged, d.count_from, d.count_to) == ([], [], 0, 0, 1)
    back = diff(tree.district, D(2019, 1, 1), D(2017, 1, 1))
    assert [r["item_id"] for r in back.removed] == [item.pk] and back.added == []


def test_diff_with_equal_codes_from_two_catalogues(tree, make_item):
    """A district's list can hold its own item and a received city item with the same code."""
    own = make_item(government=tree.district, code="SAME")
    received = make_item(code="SAME")
    devolve(received, tree.city, tree.district, D(2017, 1, 1))
    assert len(power_list(tree.district, D(2018, 1, 1))) == 2
    d = diff(tree.district, D(2018, 1, 1), D(2019, 1, 1))
    assert (d.unchanged, d.count_from, d.count_to, d.added, d.removed, d.changed) == (2, 2, 2, [], [], [])
    services.recall(item=received, giver=tree.city, receiver=tree.district, effective_on=D(2020, 1, 1))
    d = diff(tree.district, D(2019, 1, 1), D(2021, 1, 1))
    assert [r["item_id"] for r in d.removed] == [received.pk]
    assert d.unchanged == 1 and (d.count_from, d.count_to) == (2, 1)
    assert own.pk in {r["item_id"] for r in power_list(tree.district, D(2021, 1, 1))}


def test_diff_same_day_is_all_unchanged(tree, scene):
    d = diff(tree.district, DAY, DAY)
    assert (d.added, d.removed, d.changed, d.unchanged) == ([], [], [], 4)


def test_diff_sees_share_changes(tree, make_item):
    item = make_item(code="SH")
    services.share(item=item, sharer=tree.city, effective_on=D(2018, 1, 1), parties=[
        Party(tree.city, Role.LEAD, 50), Party(tree.district, Role.SUPPORT, 50)])
    d = diff(tree.city, D(2017, 1, 1), D(2019, 1, 1))
    [(old, new)] = d.changed
    assert (old["role"], new["role"]) == (Role.HOLDER, Role.LEAD)
    assert new["fiscal_share"] == Decimal("50.00")
    assert datetime.date(2018, 1, 1) == new["valid_from"]
