"""Power items: creation and correction, validation, codes unique per catalogue, stale edits, audit."""
import pytest

from powerlists import services
from powerlists.models import AuditEvent, Category, Exercise, PowerItem, Role, Tier
from powerlists.services import Conflict, InvalidInput, RuleViolation

from .helpers import D, assert_one_new_event, devolve, item_ids, max_event_id, refused


def new(tree, **values):
    values.setdefault("code", "X001")
    values.setdefault("name", "企业投资项目核准")
    values.setdefault("category", Category.LICENSING)
    return services.create_item(government=values.pop("government", tree.city), **values)


# --- create ---------------------------------------------------------------------------------------


def test_create_item_with_holder_is_in_list_and_audited(tree):
    mark = max_event_id()
    item = new(tree, field="投资审批", legal_basis="《企业投资项目核准和备案管理条例》", statutory_days=20,
               promised_days=5, responsibilities="受理责任\n审查责任\n\n", department=tree.city_dept,
               holder_from=D(2016, 1, 1), actor_name="编辑")
    item.refresh_from_db()
    assert item.responsibilities == ["受理责任", "审查责任"]
    assert item.version == 1 and item.status == "active"
    row = Exercise.objects.get(item=item)
    assert (row.government, row.role, row.department, row.valid_from, row.valid_to) == (
        tree.city, Role.HOLDER, tree.city_dept, D(2016, 1, 1), None)
    assert item_ids(tree.city, D(2016, 1, 1)) == {item.pk}
    assert item_ids(tree.city, D(2015, 12, 31)) == set()
    event = assert_one_new_event(mark, "item.create")
    assert event.item_id == item.pk and event.government_id == tree.city.pk and event.actor_name == "编辑"
    assert event.before is None
    assert event.after["code"] == "X001" and event.after["promised_days"] == 5
    assert event.after["holding"]["valid_from"] == "2016-01-01"
    assert event.after["holding"]["role"] == "holder"


def test_create_item_without_holder_has_no_exercise(tree):
    item = new(tree)
    assert not Exercise.objects.filter(item=item).exists()
    assert "holding" not in AuditEvent.objects.get(action="item.create", item=item).after
    assert item_ids(tree.city, D(2030, 1, 1)) == set()


def test_establish_holding(tree):
    item = new(tree)
    mark = max_event_id()
    row = services.establish_holding(item, valid_from=D(2018, 5, 1))
    assert (row.government, row.role, row.valid_from) == (tree.city, Role.HOLDER, D(2018, 5, 1))
    event = assert_one_new_event(mark, "exercise.open")
    assert event.after["id"] == row.pk and event.item_id == item.pk
    with refused(Conflict, "already_held"):
        services.establish_holding(item, valid_from=D(2019, 1, 1))
    other = new(tree, code="X002")
    with refused(RuleViolation, "department_not_of_government"):
        services.establish_holding(other, valid_from=D(2019, 1, 1), department=tree.district_dept)


@pytest.mark.parametrize("values, error, code", [
    ({"category": "permit"}, InvalidInput, "invalid_category"),
    ({"category": ""}, InvalidInput, "invalid_category"),
    ({"category": None}, InvalidInput, "invalid_category"),
    ({"name": ""}, InvalidInput, "name_required"),
    ({"name": "   "}, InvalidInput, "name_required"),
    ({"name": None}, InvalidInput, "name_required"),
    ({"name": "名" * 201}, InvalidInput, "name_too_long"),
    ({"code": ""}, InvalidInput, "code_required"),
    ({"code": "  "}, InvalidInput, "code_required"),
    ({"code": "C" * 51}, InvalidInput, "code_too_long"),
    ({"name": 12}, InvalidInput, "invalid_text"),
    ({"statutory_days": -1}, InvalidInput, "invalid_days"),
    ({"statutory_days": 3651}, InvalidInput, "invalid_days"),
    ({"promised_days": "三天"}, InvalidInput, "invalid_days"),
    ({"statutory_days": 5, "promised_days": 6}, RuleViolation, "promise_exceeds_statute"),
    ({"lowest_tier": 7}, InvalidInput, "invalid_tier"),
    ({"responsibilities": [1, 2]}, InvalidInput, "invalid_list"),
    ({"accountability": 5}, InvalidInput, "invalid_list"),
    ({"colour": "red"}, InvalidInput, "unknown_field"),
    ({"department": "市发改委"}, InvalidInput, "invalid_department"),
])
def test_create_validation_writes_nothing(tree, values, error, code):
    with refused(error, code):
        new(tree, holder_from=D(2016, 1, 1), **values)


def test_days_accepted(tree):
    item = new(tree, statutory_days="20", promised_days=20)
    assert (item.statutory_days, item.promised_days) == (20, 20)
    item = new(tree, code="X002", statutory_days="", promised_days=None)
    assert (item.statutory_days, item.promised_days) == (None, None)
    item = new(tree, code="X003", promised_days=10)  # no statutory limit: any promise
    assert item.promised_days == 10


def test_department_and_division_must_match(tree):
    division = services.create_division(department=tree.district_dept, name="投资股")
    with refused(RuleViolation, "department_not_of_government"):
        new(tree, department=tree.district_dept)
    with refused(RuleViolation, "division_not_of_department"):
        new(tree, department=tree.city_dept, division=division)


def test_sub_items(tree):
    parent = new(tree, code="P1")
    sub = new(tree, code="P1-1", parent=parent)
    assert list(parent.sub_items.all()) == [sub]
    with refused(RuleViolation, "nested_sub_item"):
        new(tree, code="P1-1-1", parent=sub)
    district_item = new(tree, government=tree.district, code="D1")
    with refused(RuleViolation, "parent_not_of_government"):
        new(tree, code="P2", parent=district_item)
    with refused(RuleViolation, "self_parent"):
        services.update_item(parent, parent=parent)


def test_code_unique_per_government(tree):
    new(tree, code="X001")
    with refused(Conflict, "item_code_taken") as info:
        new(tree, code="X001", name="另一个事项", holder_from=D(2016, 1, 1))
    assert info.value.status == 409
    # The same code in another government's catalogue is fine.
    other = new(tree, government=tree.district, code="X001")
    assert other.government == tree.district


def test_code_reused_after_adjust_is_allowed(tree, make_item):
    item = make_item(code="OLD1")
    services.adjust(item=item, changes={"code": "NEW1"}, effective_on=D(2020, 1, 1))
    reused = new(tree, code="OLD1", name="新设事项")
    assert reused.code == "OLD1"
    assert PowerItem.objects.filter(government=tree.city, code="OLD1").count() == 2
    with refused(Conflict, "item_code_taken"):
        new(tree, code="NEW1")


def test_code_kept_by_adjustment_stays_taken(tree, make_item):
    item = make_item(code="SAME")
    services.adjust(item=item, changes={"name": "新名称"}, effective_on=D(2020, 1, 1))
    with refused(Conflict, "item_code_taken"):
        new(tree, code="SAME")


# --- update ---------------------------------------------------------------------------------------


def test_update_item_audited_with_before_after_and_version(tree, make_item):
    item = make_item(name="旧名称", statutory_days=20)
    mark = max_event_id()
    updated = services.update_item(item, expected_version=1, name="新名称", promised_days=3, reason="勘误",
                                   actor_name="审核员")
    assert updated.version == 2
    item.refresh_from_db()
    assert (item.name, item.promised_days, item.version) == ("新名称", 3, 2)
    event = assert_one_new_event(mark, "item.update")
    assert event.before["name"] == "旧名称" and event.after["name"] == "新名称"
    assert event.before["promised_days"] is None and event.after["promised_days"] == 3
    assert event.before["version"] == 1 and event.after["version"] == 2
    assert event.reason == "勘误" and event.actor_name == "审核员" and event.item_id == item.pk
    # A correction keeps no date: the list shows the corrected name on every date.
    assert {r["item__name"] for r in services_list(tree.city, D(2017, 1, 1))} == {"新名称"}


def services_list(government, day):
    from powerlists.queries import power_list

    return power_list(government, day)


def test_update_item_stale_version_is_conflict_and_writes_nothing(tree, make_item):
    item = make_item()
    services.update_item(item, name="第一次修改")
    with refused(Conflict, "stale_version") as info:
        services.update_item(item, expected_version=1, name="第二次修改")
    assert info.value.status == 409
    assert info.value.details == {"expected_version": 1, "current_version": 2}
    item.refresh_from_db()
    assert item.name == "第一次修改"


def test_update_item_without_change_writes_nothing(tree, make_item):
    item = make_item(name="同名")
    before = AuditEvent.objects.count()
    result = services.update_item(item, name=" 同名 ")
    assert result.version == 1
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("values, error, code", [
    ({"name": ""}, InvalidInput, "name_required"),
    ({"category": "x"}, InvalidInput, "invalid_category"),
    ({"promised_days": 30}, RuleViolation, "promise_exceeds_statute"),
    ({"code": "T_TAKEN"}, Conflict, "item_code_taken"),
    ({"department": "x"}, InvalidInput, "invalid_department"),
])
def test_update_item_refusals_write_nothing(tree, make_item, values, error, code):
    make_item(code="T_TAKEN")
    item = make_item(statutory_days=20)
    with refused(error, code):
        services.update_item(item, expected_version=1, **values)


def test_update_closed_item_refused(tree, make_item):
    cancelled = make_item()
    services.cancel(item=cancelled, effective_on=D(2020, 1, 1))
    with refused(Conflict, "item_closed"):
        services.update_item(cancelled, name="改")
    adjusted = make_item()
    services.adjust(item=adjusted, changes={"name": "调整后"}, effective_on=D(2020, 1, 1))
    with refused(Conflict, "item_closed"):
        services.update_item(adjusted, name="改")
    with refused(Conflict, "item_closed"):
        services.establish_holding(adjusted, valid_from=D(2021, 1, 1))


def test_update_lowest_tier_below_a_receiver_refused(tree, make_item):
    """A correction cannot move the law's lowest tier above a government that exercises the item."""
    item = make_item(lowest_tier=Tier.TOWNSHIP)
    devolve(item, tree.city, tree.district, D(2017, 1, 1))
    devolve(item, tree.district, tree.street, D(2018, 1, 1))
    with refused(RuleViolation, "below_lowest_tier"):
        services.update_item(item, lowest_tier=Tier.COUNTY)
    # Raising it to where the receivers are is fine.
    services.update_item(item, lowest_tier=Tier.VILLAGE)
    item.refresh_from_db()
    assert item.lowest_tier == Tier.VILLAGE


def test_item_with_sub_items_cannot_become_a_sub_item(tree, make_item):
    """Sub-items are one level deep: an item that has sub-items cannot be put under another item."""
    main = make_item()
    make_item(parent=main)
    other = make_item()
    with refused(RuleViolation, "nested_sub_item"):
        services.update_item(main, parent=other)
    main.refresh_from_db()
    assert main.parent is None


def test_no_sub_item_under_a_cancelled_or_adjusted_item(tree, make_item):
    """A cancelled main item has taken its sub-items with it; a new one under it would outlive it."""
    cancelled = make_item()
    services.cancel(item=cancelled, effective_on=D(2030, 1, 1))  # even a cancellation still to come
    with refused(Conflict, "parent_closed"):
        new(tree, code="SUB1", parent=cancelled)
    adjusted = make_item()
    services.adjust(item=adjusted, changes={"name": "新"}, effective_on=D(2020, 1, 1))
    with refused(Conflict, "parent_closed"):
        new(tree, code="SUB2", parent=adjusted)
    adjusted.refresh_from_db()
    assert new(tree, code="SUB3", parent=adjusted.replaced_by).parent == adjusted.replaced_by
