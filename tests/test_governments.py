"""Governments, departments and divisions: the tree's rules, codes, tags and aliases, each write audited."""
import pytest

from powerlists import services
from powerlists.models import AuditEvent, Department, DepartmentKind, Division, Government, Tier
from powerlists.services import Conflict, InvalidInput, RuleViolation

from .helpers import assert_one_new_event, max_event_id, refused

# --- governments ----------------------------------------------------------------------------------


def test_create_government_builds_path_depth_and_audit(tree):
    mark = max_event_id()
    town = services.create_government(code="230102002", name="新阳路街道", tier=Tier.TOWNSHIP, parent=tree.district,
                                      kind="街道", actor_name="编辑甲")
    town.refresh_from_db()
    assert town.path == "/23/2301/230102/230102002/"
    assert town.depth == 3
    assert town.ancestor_codes == ["23", "2301", "230102"]
    event = assert_one_new_event(mark, "government.create")
    assert event.object_type == "government" and event.object_id == str(town.pk)
    assert event.government_id == town.pk
    assert event.actor_name == "编辑甲"
    assert event.before is None
    assert event.after["code"] == "230102002" and event.after["tier"] == Tier.TOWNSHIP
    assert event.after["parent_id"] == tree.district.pk


def test_audit_actor_defaults_to_system(tree):
    mark = max_event_id()
    services.create_government(code="99", name="测试省", tier=Tier.PROVINCE)
    assert assert_one_new_event(mark, "government.create").actor_name == "system"


def test_province_has_no_parent(db):
    province = services.create_government(code="11", name="北京市", tier=Tier.PROVINCE)
    assert province.parent is None and province.depth == 0 and province.path == "/11/"


@pytest.mark.parametrize("tier", [Tier.PROVINCE, Tier.CITY])
def test_tier_must_be_below_parent(tree, tier):
    with refused(RuleViolation, "tier_not_below_parent") as info:
        services.create_government(code="230199", name="错层级", tier=tier, parent=tree.city)
    assert info.value.status == 400


def test_tier_may_skip_a_level(tree):
    """A development zone may sit at township level directly under a city."""
    zone = services.create_government(code="2301ZONE", name="开发区", tier=Tier.TOWNSHIP, parent=tree.city)
    assert zone.tier == Tier.TOWNSHIP and zone.parent == tree.city


def test_below_province_needs_parent(db):
    with refused(RuleViolation, "parent_required"):
        services.create_government(code="2301", name="无上级市", tier=Tier.CITY)


@pytest.mark.parametrize("code", ["", "   ", "23/01", "代码", "a b", "x" * 21, "23.01"])
def test_code_format(tree, code):
    with refused(InvalidInput, "invalid_code"):
        services.create_government(code=code, name="坏代码", tier=Tier.COUNTY, parent=tree.city)


@pytest.mark.parametrize("code", ["A-1_b", "1" * 20])
def test_code_format_accepts(tree, code):
    gov = services.create_government(code=code, name="好代码", tier=Tier.COUNTY, parent=tree.city)
    assert gov.code == code


def test_name_required_and_tier_valid(tree):
    with refused(InvalidInput, "name_required"):
        services.create_government(code="230199", name="  ", tier=Tier.COUNTY, parent=tree.city)
    with refused(InvalidInput, "invalid_tier"):
        services.create_government(code="230199", name="区", tier=9, parent=tree.city)
    with refused(InvalidInput, "invalid_assessment_type"):
        services.create_government(code="230199", name="区", tier=Tier.COUNTY, parent=tree.city,
                                   assessment_type="tourism")


def test_duplicate_code_is_conflict(tree):
    with refused(Conflict, "code_taken") as info:
        services.create_government(code="230102", name="重复", tier=Tier.COUNTY, parent=tree.city)
    assert info.value.status == 409
    # Same code elsewhere in the tree is also taken: codes are unique nationwide.
    with refused(Conflict, "code_taken"):
        services.create_government(code="2301", name="重复", tier=Tier.CITY, parent=tree.other_province)


def test_tags_and_aliases_on_create(tree):
    zone = services.create_government(
        code="421127100", name="小池镇", tier=Tier.TOWNSHIP, parent=tree.other_city,
        aliases=[" 小池滨江新区 ", "小池滨江新区", "", "小池开发区"], tags=["pilot", "national"],
        assessment_type="industry",
    )
    zone.refresh_from_db()
    assert zone.aliases == ["小池滨江新区", "小池开发区"]
    assert "小池滨江新区" in zone.search_text and "小池镇" in zone.search_text
    assert sorted(zone.tags.values_list("slug", flat=True)) == ["national", "pilot"]
    # The pilot tag is shared with the district of the fixture tree, not duplicated.
    assert sorted(Government.objects.filter(tags__slug="pilot").values_list("code", flat=True)) == [
        "230102", "421127100"]
    event = AuditEvent.objects.filter(action="government.create", object_id=str(zone.pk)).get()
    assert sorted(event.after["tags"]) == ["national", "pilot"]
    assert event.after["aliases"] == ["小池滨江新区", "小池开发区"]


def test_alias_must_be_text(tree):
    with refused(InvalidInput, "alias_not_text"):
        services.create_government(code="230199", name="区", tier=Tier.COUNTY, parent=tree.city, aliases=[3])


def test_update_government_audited_with_before_and_after(tree):
    mark = max_event_id()
    gov = services.update_government(tree.district, name="道里区（新）", aliases=["道里"], tags=["reform"],
                                     assessment_type="service", reason="更名")
    gov.refresh_from_db()
    assert gov.name == "道里区（新）" and gov.aliases == ["道里"] and gov.assessment_type == "service"
    assert list(gov.tags.values_list("slug", flat=True)) == ["reform"]
    assert "道里" in gov.search_text and "道里区（新）" in gov.search_text
    event = assert_one_new_event(mark, "government.update")
    assert event.before["name"] == "道里区" and event.after["name"] == "道里区（新）"
    assert event.before["tags"] == ["pilot"] and event.after["tags"] == ["reform"]
    assert event.before["aliases"] == [] and event.after["aliases"] == ["道里"]
    assert event.reason == "更名"


@pytest.mark.parametrize("changes, code", [
    ({"code": "X1"}, "field_not_editable"),
    ({"parent": None}, "field_not_editable"),
    ({"tier": Tier.TOWNSHIP}, "field_not_editable"),
    ({"name": " "}, "name_required"),
    ({"assessment_type": "bogus"}, "invalid_assessment_type"),
    ({"aliases": [None]}, "alias_not_text"),
])
def test_update_government_refusals_write_nothing(tree, changes, code):
    with refused(InvalidInput, code):
        services.update_government(tree.district, **changes)
    tree.district.refresh_from_db()
    assert tree.district.name == "道里区"


# --- departments and divisions --------------------------------------------------------------------


def test_create_department_audited(tree):
    mark = max_event_id()
    dept = services.create_department(government=tree.district, name="道里区市场监督管理局", code="SJ")
    event = assert_one_new_event(mark, "department.create")
    assert event.after["name"] == "道里区市场监督管理局" and event.government_id == tree.district.pk
    assert dept.kind == DepartmentKind.DEPARTMENT


def test_department_name_unique_per_government(tree):
    with refused(Conflict, "department_exists"):
        services.create_department(government=tree.city, name="市发展和改革委员会")
    # The same name in another government is fine.
    services.create_department(government=tree.other_city, name="市发展和改革委员会")


def test_department_validation(tree):
    with refused(InvalidInput, "name_required"):
        services.create_department(government=tree.city, name="")
    with refused(InvalidInput, "invalid_department_kind"):
        services.create_department(government=tree.city, name="某局", kind="bureau")


def test_stationed_agency_needs_upper_department(tree):
    with refused(RuleViolation, "stationed_agency_needs_upper"):
        services.create_department(government=tree.street, name="派驻所", kind=DepartmentKind.STATIONED_AGENCY)


def test_stationed_agency_in_descendant_of_upper_government(tree):
    agency = services.create_department(government=tree.street, name="市发改委驻兆麟街道工作站",
                                        kind=DepartmentKind.STATIONED_AGENCY, upper_department=tree.city_dept)
    assert agency.upper_department == tree.city_dept
    assert list(tree.city_dept.stationed_agencies.all()) == [agency]


@pytest.mark.parametrize("where", ["city", "street2", "other_city", "province"])
def test_stationed_agency_outside_upper_territory_refused(tree, where):
    """The upper department must be in an ancestor government: not the same one, not a sibling, not below."""
    upper = tree.district_dept  # belongs to 道里区
    government = {"city": tree.city, "street2": tree.street2, "other_city": tree.other_city,
                  "province": tree.province}[where]
    with refused(RuleViolation, "stationed_outside_territory"):
        services.create_department(government=government, name="派驻所", kind=DepartmentKind.STATIONED_AGENCY,
                                   upper_department=upper)


def test_stationed_agency_not_in_upper_government_itself(tree):
    with refused(RuleViolation, "stationed_outside_territory"):
        services.create_department(government=tree.district, name="派驻所", kind=DepartmentKind.STATIONED_AGENCY,
                                   upper_department=tree.district_dept)


def test_upper_department_only_for_stationed_agency(tree):
    with refused(RuleViolation, "upper_only_for_stationed"):
        services.create_department(government=tree.street, name="普通科室", upper_department=tree.city_dept)


def test_update_department(tree):
    mark = max_event_id()
    services.update_department(tree.city_dept, name="市发改委", code="FGW")
    tree.city_dept.refresh_from_db()
    assert tree.city_dept.name == "市发改委" and tree.city_dept.code == "FGW"
    event = assert_one_new_event(mark, "department.update")
    assert event.before["name"] == "市发展和改革委员会" and event.after["name"] == "市发改委"
    services.create_department(government=tree.city, name="市财政局")
    dept = Department.objects.get(name="市财政局")
    with refused(Conflict, "department_exists"):
        services.update_department(dept, name="市发改委")
    with refused(InvalidInput, "field_not_editable"):
        services.update_department(dept, government=tree.district)


def test_divisions(tree):
    mark = max_event_id()
    division = services.create_division(department=tree.city_dept, name="投资处", module="投资审批")
    event = assert_one_new_event(mark, "division.create")
    assert event.after["module"] == "投资审批" and event.government_id == tree.city.pk
    with refused(Conflict, "division_exists"):
        services.create_division(department=tree.city_dept, name="投资处")
    with refused(InvalidInput, "name_required"):
        services.create_division(department=tree.city_dept, name=" ")
    # Same name in another department is fine.
    services.create_division(department=tree.district_dept, name="投资处")
    mark = max_event_id()
    services.update_division(division, name="固定资产投资处", module="投资")
    division.refresh_from_db()
    assert (division.name, division.module) == ("固定资产投资处", "投资")
    event = assert_one_new_event(mark, "division.update")
    assert event.before["name"] == "投资处" and event.after["name"] == "固定资产投资处"
    other = services.create_division(department=tree.city_dept, name="综合处")
    with refused(Conflict, "division_exists"):
        services.update_division(other, name="固定资产投资处")
    with refused(InvalidInput, "field_not_editable"):
        services.update_division(other, department=tree.district_dept)
    assert Division.objects.filter(department=tree.city_dept).count() == 2
