"""Rules of the standard power list that are checked where the change is made (issue: "The standard
power list", point 4), with a clear refusal in Chinese and English and nothing written:

- a core power (核心事权) is not devolved until its core mark is lifted through an audited change with a reason;
- the receiving unit fits the method (派驻机构交办 → a stationed agency of the giver's department; 派员办理 → the
  giver's own department; 直接下放 / 委托 → a department of the receiver);
- 三集中: a department that concentrates its approvals keeps every licensing item in one division;
- a legal basis cites a version of a law that existed when the item was first held; a law revision raises
  the lowest tier and names who exercises below it;
- editions are drafted, approved and published by different people (maker-checker) and filed with an
  upper government;
- 镇区合一 is a recorded merger of a township with a development zone;
- staff posts returned by a recall are subtracted from those a batch moves down.
"""
from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from powerlists import services, standard_codes
from powerlists.models import (
    AuditEvent,
    Category,
    Department,
    Edition,
    EditionState,
    Exercise,
    LegalBasis,
    PowerItem,
    Tier,
    TownZoneMerger,
    TransferKind,
)
from powerlists.services import Forbidden, workflow
from powerlists.services.batches import staff_posts_moved
from powerlists.services.editions import (
    approve_edition,
    draft_edition,
    file_edition,
    merge_town_and_zone,
    publish_edition,
)
from powerlists.services.errors import Conflict, InvalidInput, RuleViolation, TransferError
from powerlists.services.laws import apply_law_revision, create_law

from .helpers import devolve, last_event, refused

D = datetime.date
DAY = D(2017, 3, 1)


def _messages_in_both_languages(error):
    assert error.message_zh and error.message_en and error.message_zh != error.message_en


# --- core powers --------------------------------------------------------------------------------------


def test_a_core_power_is_not_devolved_nor_proposed(tree, make_item, people):
    item = make_item(tree.city, name="重大建设项目核准", is_core=True)
    with refused(TransferError, "core_power") as info:
        devolve(item, tree.city, tree.district, DAY)
    _messages_in_both_languages(info.value)
    with refused(TransferError, "core_power"):
        workflow.propose(actor=people.city_editor, kind=TransferKind.DEVOLVE, item=item, giver=tree.city,
                         receiver=tree.district, effective_on=DAY, reason="便民")


def test_lifting_the_core_mark_needs_a_reason_and_is_audited_then_the_power_can_go_down(tree, make_item):
    item = make_item(tree.city, name="重大建设项目核准", is_core=True)
    with refused(InvalidInput, "reason_required_to_lift_core"):
        services.update_item(item, is_core=False)
    services.update_item(item, is_core=False, reason="经市委编办审核，不再作为市级核心事权")
    event = last_event()
    assert event.action == "item.core_lifted"
    assert event.before["is_core"] is True and event.after["is_core"] is False
    assert event.reason == "经市委编办审核，不再作为市级核心事权"
    devolve(item, tree.city, tree.district, DAY)
    assert Exercise.objects.filter(item=item, government=tree.district, valid_to__isnull=True).exists()


# --- the receiving unit fits the method ---------------------------------------------------------------


@pytest.fixture
def units(tree):
    class Units:
        pass

    u = Units()
    u.city_bureau = services.create_department(government=tree.city, name="哈尔滨市市场监督管理局")
    u.agency = services.create_department(government=tree.district, name="哈尔滨市市场监督管理局道里分局",
                                          kind="stationed_agency", upper_department=u.city_bureau)
    u.district_bureau = tree.district_dept
    return u


def test_a_stationed_agency_method_needs_an_agency_of_the_givers_department(tree, make_item, units):
    item = make_item(tree.city)
    with refused(TransferError, "method_needs_stationed_agency") as info:
        devolve(item, tree.city, tree.district, DAY, method="stationed_agency", receiving_department=units.district_bureau)
    _messages_in_both_languages(info.value)
    devolve(item, tree.city, tree.district, DAY, method="stationed_agency", receiving_department=units.agency)
    row = Exercise.objects.get(item=item, government=tree.district, valid_to__isnull=True)
    assert row.department == units.agency


def test_an_agency_receives_only_by_the_stationed_agency_method(tree, make_item, units):
    item = make_item(tree.city)
    with refused(TransferError, "stationed_agency_needs_method"):
        devolve(item, tree.city, tree.district, DAY, method="direct", receiving_department=units.agency)


def test_staff_sent_keeps_the_power_with_the_givers_department(tree, make_item, units):
    item = make_item(tree.city)
    with refused(TransferError, "staff_sent_keeps_upper_department") as info:
        devolve(item, tree.city, tree.district, DAY, method="staff_sent", receiving_department=units.district_bureau)
    assert "哈尔滨市" in info.value.message_zh
    devolve(item, tree.city, tree.district, DAY, method="staff_sent", receiving_department=units.city_bureau)
    row = Exercise.objects.get(item=item, government=tree.district, valid_to__isnull=True)
    assert row.department == units.city_bureau  # the city's department, which sends its staff


def test_a_direct_devolution_names_a_department_of_the_receiver(tree, make_item, units):
    item = make_item(tree.city)
    with refused(TransferError):
        devolve(item, tree.city, tree.district, DAY, method="direct", receiving_department=units.city_bureau)
    devolve(item, tree.city, tree.district, DAY, method="direct", receiving_department=units.district_bureau)


def test_a_proposal_and_its_edit_are_checked_against_the_method(tree, make_item, units, people):
    item = make_item(tree.city)
    with refused(TransferError, "method_needs_stationed_agency"):
        workflow.propose(actor=people.city_editor, kind=TransferKind.DEVOLVE, item=item, giver=tree.city,
                         receiver=tree.district, method="stationed_agency",
                         receiving_department=units.district_bureau, effective_on=DAY)
    draft = workflow.propose(actor=people.city_editor, kind=TransferKind.DEVOLVE, item=item, giver=tree.city,
                             receiver=tree.district, method="direct", effective_on=DAY)
    with refused(TransferError, "staff_sent_keeps_upper_department"):
        workflow.edit(draft, actor=people.city_editor, method="staff_sent",
                      receiving_department=units.district_bureau)
    workflow.edit(draft, actor=people.city_editor, method="staff_sent", receiving_department=units.city_bureau)


# --- 三集中 -------------------------------------------------------------------------------------------


@pytest.fixture
def concentrated(tree):
    dept = services.create_department(government=tree.city, name="哈尔滨市行政审批局")
    one = services.create_division(department=dept, name="行政审批一处")
    two = services.create_division(department=dept, name="行政审批二处")
    return dept, one, two


def test_turning_concentration_on_is_refused_while_licences_are_spread(tree, make_item, concentrated):
    dept, one, two = concentrated
    make_item(tree.city, department=dept, division=one)
    make_item(tree.city, department=dept, division=two)
    with refused(RuleViolation, "approvals_not_concentrated") as info:
        services.update_department(dept, approvals_concentrated=True)
    assert "行政审批一处" in info.value.message_zh and "行政审批二处" in info.value.message_zh
    _messages_in_both_languages(info.value)


def test_a_concentrated_department_keeps_its_licences_in_one_division(tree, make_item, concentrated):
    dept, one, two = concentrated
    first = make_item(tree.city, department=dept, division=one)
    services.update_department(dept, approvals_concentrated=True, reason="审批职能集中到行政审批一处")
    assert last_event().action == "department.update"
    with refused(RuleViolation, "approvals_not_concentrated"):
        make_item(tree.city, department=dept, division=two)
    with refused(RuleViolation, "approvals_not_concentrated"):
        make_item(tree.city, department=dept)  # a licence naming no division
    second = make_item(tree.city, department=dept, division=one)
    with refused(RuleViolation, "approvals_not_concentrated"):
        services.update_item(second, division=two)  # moving one licence away from the others
    make_item(tree.city, department=dept, category=Category.PENALTY, division=two)  # not a licence
    assert PowerItem.objects.filter(department=dept).count() == 3
    assert first.division == one


# --- laws and legal bases -----------------------------------------------------------------------------


LICENSING_LAW_2019 = D(2019, 4, 23)


def _law(name="中华人民共和国行政许可法", version=LICENSING_LAW_2019, effective=None, kind="law"):
    return create_law(name=name, kind=kind, version_date=version, effective_on=effective,
                      document="主席令第二十九号")


def test_a_basis_cites_a_version_that_existed_when_the_item_was_first_held(tree, make_item):
    later = _law(version=D(2019, 4, 23))
    with refused(RuleViolation, "law_postdates_item") as info:
        make_item(tree.city, holder_from=D(2016, 1, 1), bases=[{"role": "setting", "law": later, "article": "第十二条"}])
    assert "2019-04-23" in info.value.message_zh
    earlier = _law(version=D(2003, 8, 27))
    item = make_item(tree.city, holder_from=D(2016, 1, 1),
                     bases=[{"role": "setting", "law": earlier, "article": "第十二条", "text": "下列事项可以设定行政许可"}])
    basis = LegalBasis.objects.get(item=item)
    assert (basis.role, basis.law, basis.article) == ("setting", earlier, "第十二条")
    assert last_event("item.create").after["bases"][0]["version_date"] == "2003-08-27"


def test_a_law_takes_effect_after_it_was_adopted_and_is_registered_once(db):
    with refused(InvalidInput, "effective_before_version"):
        _law(version=D(2014, 11, 24), effective=D(2014, 1, 1))
    with refused(InvalidInput, "invalid_law_kind"):
        _law(kind="decree")
    _law(name="《不动产登记暂行条例》", kind="administrative_regulation", version=D(2014, 11, 24),
         effective=D(2015, 3, 1))
    assert last_event("law.create").after["name"] == "不动产登记暂行条例"  # the book-title marks dropped
    with refused(Conflict, "law_exists"):
        _law(name="不动产登记暂行条例", kind="administrative_regulation", version=D(2014, 11, 24))


def test_a_law_revision_raises_the_lowest_tier_and_names_who_exercises_below_it(tree, make_item):
    item = make_item(tree.city, name="不动产登记", lowest_tier=Tier.TOWNSHIP, levels=[3, 4, 5])
    devolve(item, tree.city, tree.district, DAY)
    devolve(item, tree.district, tree.street, DAY)
    regulation = create_law(name="不动产登记暂行条例", kind="administrative_regulation",
                            version_date=D(2014, 11, 24), effective_on=D(2015, 3, 1))
    with refused(InvalidInput, "reason_required"):
        apply_law_revision(item, lowest_tier=Tier.COUNTY, effective_on=D(2018, 1, 1), reason="")
    with refused(RuleViolation, "revision_does_not_raise"):
        apply_law_revision(item, lowest_tier=Tier.VILLAGE, effective_on=D(2018, 1, 1), reason="放宽")
    apply_law_revision(item, lowest_tier=Tier.COUNTY, effective_on=D(2018, 1, 1),
                       reason="第七条：不动产登记由不动产所在地的县级人民政府不动产登记机构办理",
                       bases=[{"role": "setting", "law": regulation, "article": "第七条"}])
    item.refresh_from_db()
    assert item.lowest_tier == Tier.COUNTY and item.levels == [3, 4]
    event = last_event("item.law_revision")
    assert event.after["below_lowest_tier"] == [{"code": tree.street.code, "name": tree.street.name}]
    assert LegalBasis.objects.get(item=item).law == regulation
    # The street keeps its row (a fact until recalled); the evaluation's tier rule finds it.
    assert Exercise.objects.filter(item=item, government=tree.street, valid_to__isnull=True).exists()


# --- codes ----------------------------------------------------------------------------------------------


def _credit_code(body17="11230100MB1234567"):
    return body17 + standard_codes.credit_code_check_digit(body17)


def test_credit_codes_are_checked_and_make_the_implementing_code(tree, make_item):
    code = _credit_code()
    with refused(InvalidInput, "invalid_credit_code"):
        services.create_department(government=tree.city, name="哈尔滨市民政局", credit_code=code[:17] + "0"
                                   if code[17] != "0" else code[:17] + "1")
    dept = services.create_department(government=tree.city, name="哈尔滨市民政局", credit_code=code.lower())
    assert dept.credit_code == code
    item = make_item(tree.city, department=dept, basic_code="000107001000")
    implementing = standard_codes.implementing_code(dept.credit_code, tree.city.tier, item.basic_code)
    assert implementing == code + "3" + "000107001000"  # 3: the city level
    assert standard_codes.IMPLEMENTING_CODE.match(implementing)
    with refused(InvalidInput, "invalid_basic_code"):
        make_item(tree.city, basic_code="12345")


def test_levels_name_the_lowest_tier(tree, make_item):
    item = make_item(tree.city, levels="2,3,4")
    assert (item.levels, item.lowest_tier) == ([2, 3, 4], Tier.COUNTY)
    with refused(RuleViolation, "levels_disagree_with_lowest_tier"):
        make_item(tree.city, levels=[2, 3], lowest_tier=Tier.TOWNSHIP)


# --- editions -------------------------------------------------------------------------------------------


def test_an_edition_is_drafted_approved_published_and_filed_by_different_people(tree, people):
    edition = draft_edition(tree.city, number="2021", title="哈尔滨市市级权责清单（2021年版）",
                            actor=people.city_editor)
    assert edition.state == EditionState.DRAFT and edition.created_by == people.city_editor
    with refused(Forbidden, "forbidden"):
        approve_edition(edition, approved_on=D(2021, 3, 1), actor=people.city_editor)  # an editor, not a reviewer
    # The province's administrator may draft and review the city's list, but not approve what they drafted.
    own = draft_edition(tree.city, number="2022", title="哈尔滨市市级权责清单（2022年版）", actor=people.administrator)
    with refused(Forbidden, "maker_checker"):
        approve_edition(own, approved_on=D(2021, 3, 1), actor=people.administrator)
    edition = approve_edition(edition, approved_on=D(2021, 3, 1), actor=people.city_reviewer)
    with refused(RuleViolation, "published_before_approved"):
        publish_edition(edition, document_number="哈政发〔2021〕5号", published_on=D(2021, 2, 1),
                        actor=people.city_reviewer2)
    with refused(RuleViolation, "published_in_future"):
        publish_edition(edition, document_number="哈政发〔2021〕5号",
                        published_on=timezone.localdate() + datetime.timedelta(days=1), actor=people.city_reviewer2)
    edition = publish_edition(edition, document_number="哈政发〔2021〕5号", published_on=D(2021, 3, 15),
                              actor=people.city_reviewer2)
    assert (edition.state, edition.document_number) == (EditionState.PUBLISHED, "哈政发〔2021〕5号")
    with refused(RuleViolation, "filed_with_not_upper"):
        file_edition(edition, filed_with=tree.district, filed_on=D(2021, 4, 1), actor=people.district_reviewer)
    with refused(RuleViolation, "filed_before_published"):
        file_edition(edition, filed_with=tree.province, filed_on=D(2021, 3, 1), actor=people.administrator)
    with refused(Forbidden):
        file_edition(edition, filed_with=tree.province, filed_on=D(2021, 4, 1), actor=people.city_reviewer)
    edition = file_edition(edition, filed_with=tree.province, filed_on=D(2021, 4, 1), filing_number="黑编备〔2021〕12号",
                           actor=people.administrator)
    assert (edition.state, edition.filed_with, edition.filing_number) == (
        EditionState.FILED, tree.province, "黑编备〔2021〕12号")
    actions = list(AuditEvent.objects.filter(action__startswith="edition.", object_id=str(edition.pk))
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["edition.draft", "edition.approve", "edition.publish", "edition.file"]


def test_edition_numbers_are_unique_per_government_and_published_in_order(tree, people):
    draft_edition(tree.city, number="2019", title="2019年版", actor=people.city_editor)
    with refused(Conflict, "edition_exists"):
        draft_edition(tree.city, number="2019", title="又一个2019年版", actor=people.city_editor)
    with refused(InvalidInput, "invalid_edition_number"):
        draft_edition(tree.city, number="2019 版", title="2019年版", actor=people.city_editor)
    draft_edition(tree.district, number="2019", title="道里区2019年版", actor=people.district_editor)  # another list
    first = Edition.objects.get(government=tree.city, number="2019")
    later = draft_edition(tree.city, number="2021", title="2021年版", actor=people.city_editor)
    for edition, day in ((later, D(2021, 3, 1)),):
        approve_edition(edition, approved_on=day, actor=people.city_reviewer)
        publish_edition(Edition.objects.get(pk=edition.pk), document_number="哈政发〔2021〕5号", published_on=day,
                        actor=people.city_reviewer)
    approve_edition(first, approved_on=D(2019, 3, 1), actor=people.city_reviewer)
    with refused(RuleViolation, "edition_out_of_order"):
        publish_edition(Edition.objects.get(pk=first.pk), document_number="哈政发〔2019〕3号",
                        published_on=D(2019, 3, 1), actor=people.city_reviewer)


# --- 镇区合一 --------------------------------------------------------------------------------------------


def test_a_town_and_zone_merger_is_a_record_and_the_zone_a_searchable_name(tree):
    with refused(RuleViolation, "merger_needs_town"):
        merge_town_and_zone(tree.district, zone_name="哈尔滨经济技术开发区", effective_on=D(2018, 1, 1))
    merger = merge_town_and_zone(tree.street, zone_name="兆麟经济开发区", effective_on=D(2018, 1, 1),
                                 document="道政发〔2018〕1号")
    tree.street.refresh_from_db()
    assert "兆麟经济开发区" in tree.street.aliases
    assert TownZoneMerger.objects.get(town=tree.street) == merger
    assert last_event().action == "merger.create"
    with refused(Conflict, "merger_exists"):
        merge_town_and_zone(tree.street, zone_name="兆麟经济开发区", effective_on=D(2018, 1, 1))


def test_an_alias_alone_is_not_a_merger(tree):
    services.update_government(tree.street2, aliases=["靖宇经济开发区"])
    assert not TownZoneMerger.objects.exists()


# --- staff posts in a batch -----------------------------------------------------------------------------


def test_posts_returned_by_a_recall_are_subtracted(tree, make_item):
    out_item, back_item = make_item(tree.city), make_item(tree.city)
    devolve(back_item, tree.city, tree.district, D(2016, 6, 1), staff_posts=1)
    batch = services.create_batch(issuer=tree.city, title="关于调整市区两级事权的通知", effective_on=DAY)
    services.devolve(item=out_item, giver=tree.city, receiver=tree.district, effective_on=DAY, staff_posts=2,
                     batch=batch)
    services.recall(item=back_item, giver=tree.city, receiver=tree.district, effective_on=DAY, staff_posts=1,
                    batch=batch)
    rows = staff_posts_moved(batch)
    assert [(r["posts_out"], r["posts_back"], r["posts"]) for r in rows] == [(2, 1, 1)]


# --- optional fields -----------------------------------------------------------------------------------


def test_items_and_departments_keep_the_new_fields_optional(tree):
    item = services.create_item(government=tree.city, code="X1", name="其他事项", category=Category.OTHER)
    assert (item.basic_code, item.initiation, item.levels, item.processing_steps, item.fee_basis) == ("", "", [], [], "")
    assert Department.objects.get(pk=tree.city_dept.pk).credit_code == ""


# --- a draft's receiver and item ----------------------------------------------------------------------------


def test_the_author_changes_a_drafts_receiver_and_item_under_the_same_rules(tree, make_item, people):
    first, second = make_item(tree.city), make_item(tree.city)
    core = make_item(tree.city, is_core=True)
    draft = workflow.propose(actor=people.city_editor, kind=TransferKind.DEVOLVE, item=first, giver=tree.city,
                             receiver=tree.district, effective_on=DAY)
    draft = workflow.edit(draft, actor=people.city_editor, receiver=tree.district2, item=second)
    assert (draft.receiver, draft.item) == (tree.district2, second)
    event = last_event("workflow.edit")
    assert (event.before["receiver_id"], event.after["receiver_id"]) == (tree.district.pk, tree.district2.pk)
    with refused(TransferError, "core_power"):
        workflow.edit(draft, actor=people.city_editor, item=core)
    with refused(Forbidden):  # a district editor could not have offered the city's item
        workflow.edit(draft, actor=people.district_editor, receiver=tree.district)
    # the submitted proposal is checked again in full (the territory rule here)
    draft = workflow.edit(draft, actor=people.city_editor, receiver=tree.other_city)
    with refused(TransferError, "receiver_outside_territory"):
        workflow.submit(draft, actor=people.city_editor)


def test_a_drafts_receiver_and_item_over_the_api(tree, make_item, people):
    from .helpers import client_for

    first, second = make_item(tree.city), make_item(tree.city)
    draft = workflow.propose(actor=people.city_editor, kind=TransferKind.DEVOLVE, item=first, giver=tree.city,
                             receiver=tree.district, effective_on=DAY)
    api = client_for(people.city_editor)
    etag = api.get(f"/api/v1/transfers/{draft.pk}/")["ETag"]
    response = api.patch(f"/api/v1/transfers/{draft.pk}/", {"receiver": "230104", "item": second.pk}, format="json",
                         HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert (response.json()["receiver"], response.json()["item"]) == ("230104", second.pk)
