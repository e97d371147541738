"""The permission matrix: who may do what, where — asked of the policy and of the workflow services.

The tables below *are* the policy, written out: each row an action, each column a person (a role held
at some place relative to the government the action concerns), ``Y`` allowed and ``.`` refused. The
tests check every cell twice: ``policy.may``/``policy.require`` answer it, and the workflow service
obeys it (a refusal raises :class:`Forbidden` and writes nothing; an allowance does the step).

One small world (its own governments, users and proposals in every state) is built once for the module
inside a transaction that is rolled back at the end; each test runs in a savepoint inside it, like
Django's ``TestCase.setUpTestData``. It uses codes and names of its own, so the shared ``tree`` fixture
can live beside it.
"""
from __future__ import annotations

import datetime
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import translation

from accounts.models import Membership
from powerlists import policy, services
from powerlists.models import (
    AuditEvent,
    Batch,
    BatchState,
    Category,
    Edition,
    EvaluationResult,
    EvaluationRound,
    Exercise,
    Origin,
    Tier,
    Transfer,
    TransferKind,
    TransferParty,
    TransferState,
)
from powerlists.services import Forbidden, Party, workflow

D = datetime.date
DAY = D(2017, 3, 1)
SINCE = D(2016, 1, 1)

# --- who asks ---------------------------------------------------------------------------------------
#
# The government every action below concerns is H, 上城区 (a district). Scopes, relative to H:
#   self     a membership at H itself
#   subtree  a membership at H's parent city, 杭州市, with include_subtree=True
#   parent   a membership at H's parent city, 杭州市, WITHOUT include_subtree
#   other    a membership at 成都市, in another province (with include_subtree=True)
# "inactive" people hold the strongest role, administrator, at the scope, but their account is inactive.
# "nobody" is signed in with no membership, "anonymous" is django's AnonymousUser.

ROLES = ("editor", "reviewer", "administrator", "inactive")
SCOPES = ("self", "subtree", "parent", "other")
COLUMNS = tuple(f"{role}@{scope}" for role in ROLES for scope in SCOPES) + (
    "nobody", "anonymous", "superuser", "inactive-superuser")
SIGNED_OUT = {c for c in COLUMNS if c.startswith("inactive")} | {"anonymous"}

# --- what they may do -------------------------------------------------------------------------------
#
# Which side of a proposal each row concerns (H in every case; the other side is named):
#   transfer.propose/offered      端菜: H gives (to its street 湖滨街道); H's editors offer
#   transfer.propose/requested    点菜: 杭州市 gives to H; H's editors request (devolutions only)
#   transfer.edit|submit|withdraw             a draft offered by H (giver H, receiver its street)
#   transfer.edit|submit|withdraw/requested   a draft requested by H (giver 杭州市, receiver H)
#   transfer.approve|return|reject_as_giver   a submitted proposal H gives (H's reviewers decide)
#   transfer.accept|reject_as_receiver        an approved devolution from 杭州市 to H (H's reviewers)
#   batch.*                                   a batch H issues
#   law.register                      the one register of laws: any editor, wherever they are
#   edition.draft|approve|publish     an edition of H's list (drafted by H's editor, not a column)
#   edition.file                      H's edition filed with 杭州市 (the upper 编办's reviewers record it)
#   evaluation.evidence               evidence of a power H received (H's editors or the giving side's above it)
#   evaluation.create|run|follow_up   a round over H's territory (H's editors); /tag a round scoped by a tag only
#   evaluation.decide                 a result of H in a round over H (reviewers of H or of the giving side above)
# Nobody in the table created or edited the proposals (maker-checker is tested separately), so only an
# administrator of the proposing side withdraws (the author's own withdrawal is tested separately).

POLICY_TABLE = """
#                               editor      reviewer    administr.  inactive    nobody anonymous superuser inactive-superuser
#                               sel sub par oth sel sub par oth sel sub par oth sel sub par oth
item.create                      Y   Y   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
item.edit                        Y   Y   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
list.correct                     .   .   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
law.register                     Y   Y   Y   Y   .   .   .   .   Y   Y   Y   Y   .   .   .   .   .   .   Y   .
edition.draft                    Y   Y   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
edition.approve                  .   .   .   .   Y   Y   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
edition.publish                  .   .   .   .   Y   Y   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
edition.file                     .   .   .   .   .   Y   Y   .   .   Y   Y   .   .   .   .   .   .   .   Y   .
transfer.propose/offered         Y   Y   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
transfer.propose/requested       Y   Y   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
transfer.edit                    Y   Y   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
transfer.edit/requested          Y   Y   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
transfer.submit                  Y   Y   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
transfer.submit/requested        Y   Y   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
transfer.withdraw                .   .   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
transfer.withdraw/requested      .   .   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
transfer.approve                 .   .   .   .   Y   Y   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
transfer.return                  .   .   .   .   Y   Y   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
transfer.reject_as_giver         .   .   .   .   Y   Y   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
transfer.accept                  .   .   .   .   Y   Y   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
transfer.reject_as_receiver      .   .   .   .   Y   Y   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
batch.create                     Y   Y   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
batch.edit                       Y   Y   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
batch.approve                    .   .   .   .   Y   Y   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
batch.reject                     .   .   .   .   Y   Y   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
batch.effect                     .   .   .   .   Y   Y   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
evaluation.evidence              Y   Y   Y   .   .   .   .   .   Y   Y   Y   .   .   .   .   .   .   .   Y   .
evaluation.create                Y   Y   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
evaluation.create/tag            .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   Y   .
evaluation.run                   Y   Y   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
evaluation.follow_up             Y   Y   .   .   .   .   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .
evaluation.decide                .   .   .   .   Y   Y   Y   .   Y   Y   Y   .   .   .   .   .   .   .   Y   .
"""

# Who sees a proposal (policy.can_view_transfer). Two more columns: an editor and a reviewer of H's
# street 湖滨街道, the receiver of H's offers and a party of H's shared arrangement.
#   draft        a draft devolution offered by H to its street
#   submitted    a submitted devolution offered by H to its street
#   approved-in  an approved devolution from 杭州市 to H (so 杭州市's own people are a side of it)
#   share-draft  a draft shared arrangement of H with its street as a party
#   rejected     a rejected devolution offered by H to its street
#   effective    a devolution from H to its street that has taken effect: public
VIEW_COLUMNS = COLUMNS + ("street-editor", "street-reviewer")
VIEW_TABLE = """
#                 editor      reviewer    administr.  inactive    nobody anonymous superuser inactive-super street-editor street-reviewer
#                 sel sub par oth sel sub par oth sel sub par oth sel sub par oth
draft              Y   Y   .   .   Y   Y   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .   Y   Y
submitted          Y   Y   .   .   Y   Y   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .   Y   Y
approved-in        Y   Y   Y   .   Y   Y   Y   .   Y   Y   Y   .   .   .   .   .   .   .   Y   .   .   .
share-draft        Y   Y   .   .   Y   Y   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .   Y   Y
rejected           Y   Y   .   .   Y   Y   .   .   Y   Y   .   .   .   .   .   .   .   .   Y   .   Y   Y
effective          Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y
"""


def _parse(table: str, columns: tuple[str, ...]) -> dict[tuple[str, str], bool]:
    expected = {}
    for line in table.strip().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        label, *marks = line.split()
        assert len(marks) == len(columns), f"row {label!r} has {len(marks)} cells, not {len(columns)}"
        for who, mark in zip(columns, marks, strict=True):
            assert mark in ("Y", "."), f"row {label!r}: {mark!r}"
            expected[label, who] = mark == "Y"
    return expected


EXPECTED = _parse(POLICY_TABLE, COLUMNS)
LABELS = tuple(dict.fromkeys(label for label, _ in EXPECTED))
SERVICE_LABELS = tuple(label for label in LABELS if label.startswith(("transfer.", "batch.")))
VIEW_EXPECTED = _parse(VIEW_TABLE, VIEW_COLUMNS)
VIEW_LABELS = tuple(dict.fromkeys(label for label, _ in VIEW_EXPECTED))


def test_the_tables_cover_every_policy_action():
    assert {label.split("/")[0] for label in LABELS} == set(policy.ACTIONS)
    assert len(EXPECTED) == len(LABELS) * len(COLUMNS)


def expected_code(label: str, who: str) -> str:
    if who in SIGNED_OUT:
        return "login_required"
    if label.startswith("transfer.withdraw"):
        return "author_only"
    return "forbidden"


# --- the world --------------------------------------------------------------------------------------


class World:
    pass


def _build_world() -> World:
    w = World()
    gov = services.create_government
    w.province = gov(code="33", name="浙江省", tier=Tier.PROVINCE)
    w.city = gov(code="3301", name="杭州市", tier=Tier.CITY, parent=w.province)
    w.home = gov(code="330102", name="上城区", tier=Tier.COUNTY, parent=w.city, kind="区")
    w.street = gov(code="330102001", name="湖滨街道", tier=Tier.TOWNSHIP, parent=w.home, kind="街道")
    w.other_province = gov(code="51", name="四川省", tier=Tier.PROVINCE)
    w.other_city = gov(code="5101", name="成都市", tier=Tier.CITY, parent=w.other_province)
    w.home_dept = services.create_department(government=w.home, name="上城区市场监督管理局")
    w.street_dept = services.create_department(government=w.street, name="湖滨街道便民服务中心",
                                               kind="service_centre")
    w.governments = [w.province, w.city, w.home, w.street, w.other_province, w.other_city]

    user_model = get_user_model()

    def member(username, government, role, subtree=False, **extra):
        user = user_model.objects.create_user(username, **extra)
        Membership.objects.create(user=user, government=government, role=role, include_subtree=subtree)
        return user

    scope_at = {"self": (w.home, False), "subtree": (w.city, True), "parent": (w.city, False),
                "other": (w.other_city, True)}
    w.subjects = {}
    for role in ROLES:
        for scope, (government, subtree) in scope_at.items():
            held = "administrator" if role == "inactive" else role
            w.subjects[f"{role}@{scope}"] = member(f"perm_{role}_{scope}", government, held, subtree,
                                                   is_active=role != "inactive")
    w.subjects["nobody"] = user_model.objects.create_user("perm_nobody")
    w.subjects["anonymous"] = AnonymousUser()
    w.subjects["superuser"] = user_model.objects.create_superuser("perm_superuser")
    w.subjects["inactive-superuser"] = user_model.objects.create_superuser("perm_inactive_superuser",
                                                                           is_active=False)
    # The people who made the proposals of the world (none of them is a column of the tables).
    w.home_editor = member("perm_maker_home_editor", w.home, "editor")
    w.home_reviewer = member("perm_maker_home_reviewer", w.home, "reviewer")
    w.city_editor = member("perm_maker_city_editor", w.city, "editor")
    w.city_reviewer = member("perm_maker_city_reviewer", w.city, "reviewer")
    w.street_reviewer = member("perm_street_reviewer", w.street, "reviewer")
    w.street_editor = member("perm_street_editor", w.street, "editor")
    w.subjects["street-editor"] = w.street_editor
    w.subjects["street-reviewer"] = w.street_reviewer

    w.items = []

    def item(government, name):
        made = services.create_item(government=government, holder_from=SINCE, code=f"P{len(w.items) + 1:03d}",
                                    name=name, category=Category.LICENSING, field="市场监管")
        w.items.append(made)
        return made

    def offer(name, batch=None):
        return workflow.propose(actor=w.home_editor, kind="devolve", item=item(w.home, name), giver=w.home,
                                receiver=w.street, effective_on=DAY, batch=batch)

    w.free_home_item = item(w.home, "食品经营许可（仅销售预包装食品）")
    w.free_city_item = item(w.city, "户外广告设施设置审批")

    w.draft = offer("小餐饮登记")
    w.requested = workflow.propose(actor=w.home_editor, kind="devolve", item=item(w.city, "城市道路占用挖掘审批"),
                                   giver=w.city, receiver=w.home, origin=Origin.REQUESTED, effective_on=DAY)
    w.submitted = offer("临时占用绿地审批")
    workflow.submit(w.submitted, actor=w.home_editor)
    w.approved_in = workflow.propose(actor=w.city_editor, kind="devolve", item=item(w.city, "建筑垃圾处置核准"),
                                     giver=w.city, receiver=w.home, effective_on=DAY)
    workflow.submit(w.approved_in, actor=w.city_editor)
    workflow.approve(w.approved_in, actor=w.city_reviewer)
    w.rejected = offer("犬类养殖登记")
    workflow.submit(w.rejected, actor=w.home_editor)
    workflow.reject(w.rejected, actor=w.home_reviewer, reason="条件不具备")
    w.effective = offer("门头招牌设置备案")
    workflow.submit(w.effective, actor=w.home_editor)
    workflow.approve(w.effective, actor=w.home_reviewer)
    workflow.accept(w.effective, actor=w.street_reviewer, receiving_department=w.street_dept)
    w.share_draft = workflow.propose(
        actor=w.home_editor, kind="share", item=item(w.home, "背街小巷环境整治"), giver=w.home, effective_on=DAY,
        parties=[Party(w.home, "lead", 60), Party(w.street, "support", 40)])

    w.batch_draft = workflow.create_batch(actor=w.home_editor, issuer=w.home, title="关于下放第一批区级事项的通知",
                                          number="上政发〔2017〕1号", effective_on=DAY)
    w.in_batch_draft = offer("再生资源回收站点备案", batch=w.batch_draft)
    workflow.submit(w.in_batch_draft, actor=w.home_editor)
    w.batch_approved = workflow.create_batch(actor=w.home_editor, issuer=w.home, title="关于下放第二批区级事项的通知",
                                             number="上政发〔2017〕2号", effective_on=DAY)
    w.in_batch_approved = offer("沿街晾晒管理", batch=w.batch_approved)
    workflow.submit(w.in_batch_approved, actor=w.home_editor)
    workflow.approve_batch(w.batch_approved, actor=w.home_reviewer)
    workflow.accept(w.in_batch_approved, actor=w.street_reviewer, receiving_department=w.street_dept)

    for name in ("draft", "requested", "submitted", "approved_in", "rejected", "effective", "share_draft",
                 "batch_draft", "in_batch_draft", "batch_approved", "in_batch_approved"):
        setattr(w, name, fresh(getattr(w, name)))
    assert (w.draft.state, w.requested.state, w.submitted.state, w.approved_in.state, w.rejected.state,
            w.effective.state, w.in_batch_approved.state, w.batch_approved.state) == (
        "draft", "draft", "submitted", "approved", "rejected", "effective", "accepted", "approved")
    for user in w.subjects.values():
        policy.forget(user)
    return w


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once; rolled back when the module is done. Each test's own writes roll back with its ``db``."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world()
        transaction.set_rollback(True)


@pytest.fixture
def w(world, db):
    """The world, for a test that writes: its writes are rolled back when it ends."""
    return world


def fingerprint():
    """Everything a workflow step could write."""
    return {
        "audit": AuditEvent.objects.count(),
        "transfers": list(Transfer.objects.order_by("pk").values_list(
            "pk", "state", "version", "batch_id", "effective_on", "reason", "giver_decision", "receiver_decision",
            "receiving_department_id")),
        "editors": sorted(Transfer.editors.through.objects.values_list("transfer_id", "user_id")),
        "parties": list(TransferParty.objects.order_by("pk").values_list("pk", "decision", "decided_by_id")),
        "batches": list(Batch.objects.order_by("pk").values_list("pk", "state", "version")),
        "exercises": Exercise.objects.count(),
    }


# --- the policy -------------------------------------------------------------------------------------


def policy_target(w, label):
    if label in ("item.create", "item.edit", "list.correct"):
        return w.home
    if label == "law.register":
        return None
    if label == "edition.draft":
        return w.home
    if label in ("edition.approve", "edition.publish"):
        return Edition(government=w.home, number="2017", title="上城区权责清单（2017年版）", created_by=w.home_editor)
    if label == "edition.file":
        return Edition(government=w.home, number="2017", title="上城区权责清单（2017年版）", created_by=w.home_editor,
                       filed_with=w.city)
    if label == "transfer.propose/offered":
        return Transfer(kind=TransferKind.DEVOLVE, origin=Origin.OFFERED, item=w.free_home_item, giver=w.home,
                        receiver=w.street, effective_on=DAY)
    if label == "transfer.propose/requested":
        return Transfer(kind=TransferKind.DEVOLVE, origin=Origin.REQUESTED, item=w.free_city_item, giver=w.city,
                        receiver=w.home, effective_on=DAY)
    if label in ("transfer.edit", "transfer.submit", "transfer.withdraw"):
        return w.draft
    if label.endswith("/requested"):
        return w.requested
    if label in ("transfer.approve", "transfer.return", "transfer.reject_as_giver"):
        return w.submitted
    if label in ("transfer.accept", "transfer.reject_as_receiver"):
        return w.approved_in
    if label == "batch.create":
        return Batch(issuer=w.home, title="新批次", effective_on=DAY)
    if label in ("batch.edit", "batch.approve", "batch.reject"):
        return w.batch_draft
    if label == "batch.effect":
        return w.batch_approved
    if label in ("evaluation.evidence", "evaluation.create"):
        return w.home
    if label == "evaluation.create/tag":
        return EvaluationRound(scope_tag="pilot")
    if label in ("evaluation.run", "evaluation.follow_up"):
        return EvaluationRound(scope_government=w.home)
    if label == "evaluation.decide":
        return EvaluationResult(round=EvaluationRound(scope_government=w.home), government=w.home)
    raise AssertionError(label)


def _ask(user, action, target):
    """(may, what require says): (True, None) or (False, (status, code))."""
    may = policy.may(user, action, target)
    try:
        policy.require(user, action, target)
    except Forbidden as refused:
        return may, (refused.status, refused.code)
    return may, None


@pytest.mark.parametrize("label", LABELS)
def test_policy_matrix(w, label):
    """One row of the table: every column's answer from policy.may, and policy.require agreeing with it
    (nothing raised, or Forbidden with status 403 and the code of the refusal)."""
    action = label.split("/")[0]
    answers = {who: _ask(w.subjects[who], action, policy_target(w, label)) for who in COLUMNS}
    expected = {who: (True, None) if EXPECTED[label, who] else (False, (403, expected_code(label, who)))
                for who in COLUMNS}
    assert answers == expected


# --- the workflow services --------------------------------------------------------------------------


def _propose_offered(w, actor):
    t = workflow.propose(actor=actor, kind="devolve", item=w.free_home_item, giver=w.home, receiver=w.street,
                         effective_on=DAY, reason="便民")
    return [(t, "draft")]


def _propose_requested(w, actor):
    t = workflow.propose(actor=actor, kind="devolve", item=w.free_city_item, giver=w.city, receiver=w.home,
                         origin="requested", effective_on=DAY)
    return [(t, "draft")]


def _edit(name):
    def run(w, actor):
        t = getattr(w, name)
        workflow.edit(fresh(t), actor=actor, reason="补充理由", expected_version=t.version)
        assert Transfer.objects.get(pk=t.pk).editors.filter(pk=actor.pk).exists()
        return [(t, "draft")]
    return run


def _submit(name):
    def run(w, actor):
        t = getattr(w, name)
        workflow.submit(fresh(t), actor=actor)
        return [(t, "submitted")]
    return run


def _withdraw(name):
    def run(w, actor):
        t = getattr(w, name)
        workflow.withdraw(fresh(t), actor=actor, comment="另行研究")
        return [(t, "withdrawn")]
    return run


def _approve(w, actor):
    workflow.approve(fresh(w.submitted), actor=actor, comment="同意")
    return [(w.submitted, "approved")]


def _return(w, actor):
    workflow.return_for_changes(fresh(w.submitted), actor=actor, comment="请写明承接条件")
    return [(w.submitted, "returned")]


def _reject_as_giver(w, actor):
    workflow.reject(fresh(w.submitted), actor=actor, reason="不宜下放")
    return [(w.submitted, "rejected")]


def _accept(w, actor):
    workflow.accept(fresh(w.approved_in), actor=actor, receiving_department=w.home_dept, comment="接得住")
    return [(w.approved_in, "effective")]


def _reject_as_receiver(w, actor):
    workflow.reject(fresh(w.approved_in), actor=actor, reason="接不住")
    return [(w.approved_in, "rejected")]


def _create_batch(w, actor):
    batch = workflow.create_batch(actor=actor, issuer=w.home, title="关于下放第三批区级事项的通知", effective_on=DAY)
    return [(batch, "draft")]


def _add_to_batch(w, actor):
    workflow.add_to_batch(fresh(w.draft), fresh(w.batch_draft), actor=actor)
    assert Transfer.objects.get(pk=w.draft.pk).batch_id == w.batch_draft.pk
    return [(w.draft, "draft")]


def _approve_batch(w, actor):
    workflow.approve_batch(fresh(w.batch_draft), actor=actor)
    return [(w.batch_draft, "approved"), (w.in_batch_draft, "approved")]


def _reject_batch(w, actor):
    workflow.reject_batch(fresh(w.batch_draft), actor=actor, reason="未经常务会议审议")
    return [(w.batch_draft, "rejected"), (w.in_batch_draft, "rejected")]


def _effect_batch(w, actor):
    workflow.effect_batch(fresh(w.batch_approved), actor=actor)
    return [(w.batch_approved, "effective"), (w.in_batch_approved, "effective")]


SERVICES = {
    "transfer.propose/offered": _propose_offered,
    "transfer.propose/requested": _propose_requested,
    "transfer.edit": _edit("draft"),
    "transfer.edit/requested": _edit("requested"),
    "transfer.submit": _submit("draft"),
    "transfer.submit/requested": _submit("requested"),
    "transfer.withdraw": _withdraw("draft"),
    "transfer.withdraw/requested": _withdraw("requested"),
    "transfer.approve": _approve,
    "transfer.return": _return,
    "transfer.reject_as_giver": _reject_as_giver,
    "transfer.accept": _accept,
    "transfer.reject_as_receiver": _reject_as_receiver,
    "batch.create": _create_batch,
    "batch.edit": _add_to_batch,  # add_to_batch asks batch.edit (and transfer.edit of the same side)
    "batch.approve": _approve_batch,
    "batch.reject": _reject_batch,
    "batch.effect": _effect_batch,
}

def _service_cells():
    for label in SERVICE_LABELS:
        for who in COLUMNS:
            yield pytest.param(label, who, id=f"{label}-{who}")


def test_every_service_action_is_in_the_matrix():
    assert set(SERVICES) == set(SERVICE_LABELS)


@pytest.mark.parametrize(("label", "who"), list(_service_cells()))
def test_workflow_matrix(w, label, who):
    actor = w.subjects[who]
    run = SERVICES[label]
    before = fingerprint()
    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    if EXPECTED[label, who]:
        for obj, state in run(w, actor):
            assert fresh(obj).state == state
        assert AuditEvent.objects.filter(pk__gt=last_event, actor=actor).exists()
        if label.startswith("transfer.propose"):
            assert Transfer.objects.count() == len(before["transfers"]) + 1
    else:
        with pytest.raises(Forbidden) as refused:
            run(w, actor)
        assert refused.value.status == 403
        assert refused.value.code == expected_code(label, who)
        assert fingerprint() == before


# --- withdrawal by the author ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["draft", "requested", "submitted"])
def test_the_author_withdraws_their_proposal_and_another_editor_cannot(w, name):
    t = getattr(w, name)
    assert t.created_by_id == w.home_editor.pk
    other = w.subjects["editor@self"]
    assert policy.may(other, "transfer.edit", t)  # may edit it, yet not withdraw it
    before = fingerprint()
    with pytest.raises(Forbidden) as refused:
        workflow.withdraw(fresh(t), actor=other)
    assert refused.value.code == "author_only"
    assert fingerprint() == before
    assert policy.may(w.home_editor, "transfer.withdraw", t)
    workflow.withdraw(fresh(t), actor=w.home_editor)
    assert fresh(t).state == TransferState.WITHDRAWN


def test_a_lower_government_can_only_request_a_devolution(w):
    user = w.subjects["editor@self"]
    before = fingerprint()
    with pytest.raises(Forbidden) as refused:
        workflow.propose(actor=user, kind="recall", item=w.free_city_item, giver=w.city, receiver=w.home,
                         origin="requested", effective_on=DAY)
    assert refused.value.code == "requested_only_devolve"
    assert fingerprint() == before


def test_an_unknown_action_is_a_programming_error(w):
    with pytest.raises(ValueError):
        policy.may(w.subjects["superuser"], "transfer.teleport", w.draft)


# --- maker-checker ----------------------------------------------------------------------------------

MAKERS = ("reviewer", "administrator", "superuser")
GIVER_DECISIONS = ("approve", "return", "reject_as_giver")
RECEIVER_DECISIONS = ("accept", "reject_as_receiver")


def _maker(w, django_user_model, kind):
    """A person who may both propose for H and decide for H."""
    if kind == "superuser":
        return django_user_model.objects.create_superuser("perm_maker_super")
    user = django_user_model.objects.create_user(f"perm_maker_{kind}")
    roles = ("editor", "reviewer") if kind == "reviewer" else ("administrator",)
    for role in roles:
        Membership.objects.create(user=user, government=w.home, role=role)
    policy.forget(user)
    return user


DECIDE = {
    "approve": ("transfer.approve", lambda t, a, w: workflow.approve(t, actor=a), "approved"),
    "return": ("transfer.return", lambda t, a, w: workflow.return_for_changes(t, actor=a, comment="请修改"),
               "returned"),
    "reject_as_giver": ("transfer.reject_as_giver", lambda t, a, w: workflow.reject(t, actor=a, reason="不同意"),
                        "rejected"),
    "accept": ("transfer.accept",
               lambda t, a, w: workflow.accept(t, actor=a, receiving_department=w.home_dept), "effective"),
    "reject_as_receiver": ("transfer.reject_as_receiver",
                           lambda t, a, w: workflow.reject(t, actor=a, reason="接不住"), "rejected"),
}


@pytest.mark.parametrize("decision", GIVER_DECISIONS + RECEIVER_DECISIONS)
@pytest.mark.parametrize("how", ["created", "edited"])
@pytest.mark.parametrize("kind", MAKERS)
def test_maker_checker_on_a_single_transfer(w, django_user_model, kind, how, decision):
    maker = _maker(w, django_user_model, kind)
    if decision in GIVER_DECISIONS:  # H offers; H's reviewers decide
        item = services.create_item(government=w.home, holder_from=SINCE, code="MC1", name="测试事项甲",
                                    category=Category.LICENSING, field="市场监管")
        spec = dict(kind="devolve", item=item, giver=w.home, receiver=w.street, effective_on=DAY)
    else:  # H requests; 杭州市 approves; H's reviewers accept or refuse
        item = services.create_item(government=w.city, holder_from=SINCE, code="MC2", name="测试事项乙",
                                    category=Category.LICENSING, field="市场监管")
        spec = dict(kind="devolve", item=item, giver=w.city, receiver=w.home, origin="requested", effective_on=DAY)
    t = workflow.propose(actor=maker if how == "created" else w.home_editor, **spec)
    if how == "edited":
        workflow.edit(t, actor=maker, reason="补充理由")
    workflow.submit(t, actor=w.home_editor)
    if decision in RECEIVER_DECISIONS:
        workflow.approve(t, actor=w.city_reviewer)
    t = fresh(t)
    action, call, state = DECIDE[decision]

    with pytest.raises(Forbidden) as refused:
        policy.require(maker, action, t)
    assert refused.value.code == "maker_checker" and refused.value.status == 403
    assert not policy.may(maker, action, t)
    before = fingerprint()
    with pytest.raises(Forbidden) as refused:
        call(fresh(t), maker, w)
    assert refused.value.code == "maker_checker"
    assert fingerprint() == before

    checker = w.subjects["reviewer@self"]  # the same roles at H, but not a maker of it
    assert policy.may(checker, action, t)
    call(fresh(t), checker, w)
    assert fresh(t).state == state


@pytest.mark.parametrize("how", ["created", "edited"])
@pytest.mark.parametrize("kind", MAKERS)
def test_maker_checker_on_approve_batch(w, django_user_model, kind, how):
    maker = _maker(w, django_user_model, kind)
    item = services.create_item(government=w.home, holder_from=SINCE, code="MC3", name="测试事项丙",
                                category=Category.LICENSING, field="市场监管")
    t = workflow.propose(actor=maker if how == "created" else w.home_editor, kind="devolve", item=item,
                         giver=w.home, receiver=w.street, effective_on=DAY, batch=w.batch_draft)
    if how == "edited":
        workflow.edit(t, actor=maker, reason="补充理由")
    workflow.submit(t, actor=w.home_editor)
    assert policy.may(maker, "batch.approve", w.batch_draft)  # the batch itself is theirs to decide...
    before = fingerprint()
    with pytest.raises(Forbidden) as refused:
        workflow.approve_batch(fresh(w.batch_draft), actor=maker)  # ...but not with their own proposal in it
    assert refused.value.code == "maker_checker"
    assert fingerprint() == before

    workflow.approve_batch(fresh(w.batch_draft), actor=w.subjects["reviewer@self"])
    assert fresh(w.batch_draft).state == BatchState.APPROVED
    assert {fresh(x).state for x in (t, w.in_batch_draft)} == {TransferState.APPROVED}


@pytest.mark.parametrize("kind", MAKERS)
def test_maker_checker_on_reject_batch(w, django_user_model, kind):
    maker = _maker(w, django_user_model, kind)
    item = services.create_item(government=w.home, holder_from=SINCE, code="MC4", name="测试事项丁",
                                category=Category.LICENSING, field="市场监管")
    t = workflow.propose(actor=maker, kind="devolve", item=item, giver=w.home, receiver=w.street,
                         effective_on=DAY, batch=w.batch_draft)
    workflow.submit(t, actor=w.home_editor)
    assert not policy.may(maker, "transfer.reject_as_giver", fresh(t))
    before = fingerprint()
    with pytest.raises(Forbidden) as refused:
        workflow.reject_batch(fresh(w.batch_draft), actor=maker, reason="不同意")
    assert refused.value.code == "maker_checker"
    assert fingerprint() == before


# --- the refusal's message --------------------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


def _refusals(w):
    def recall_requested():
        return Transfer(kind=TransferKind.RECALL, origin=Origin.REQUESTED, item=w.free_city_item, giver=w.city,
                        receiver=w.home, effective_on=DAY)

    return {
        "forbidden": (w.subjects["nobody"], "transfer.approve", w.submitted),
        "login_required": (w.subjects["anonymous"], "transfer.approve", w.submitted),
        "author_only": (w.subjects["editor@self"], "transfer.withdraw", w.draft),
        "maker_checker": (w.home_editor, "transfer.approve", w.submitted),
        "requested_only_devolve": (w.subjects["editor@self"], "transfer.propose", recall_requested()),
    }


@pytest.mark.parametrize("code", ["forbidden", "login_required", "author_only", "maker_checker",
                                  "requested_only_devolve"])
def test_forbidden_speaks_chinese_by_default_english_on_request_and_names_no_data(w, code):
    user, action, target = _refusals(w)[code]
    if code == "maker_checker":  # the author is given a reviewer's role at H: now only maker-checker stops them
        Membership.objects.create(user=user, government=w.home, role="reviewer")
        policy.forget(user)
    try:
        with pytest.raises(Forbidden) as refused:
            policy.require(user, action, target)
    finally:
        policy.forget(user)
    error = refused.value
    assert error.code == code and error.status == 403

    with translation.override(None):
        default = error.message()
    assert default == error.message_zh and CJK.search(default)
    with translation.override("zh-hans"):
        assert error.message() == error.message_zh
    english = error.message("en")
    assert english == error.message_en and english.isascii() and re.search("[A-Za-z]{3}", english)
    with translation.override("en"):
        assert error.message() == english
        assert error.as_dict()["message"] == english

    said = " ".join([default, english, str(error), json.dumps(error.as_dict(), ensure_ascii=False),
                     json.dumps(error.as_dict("en"), ensure_ascii=False)])
    data = [g.name for g in w.governments] + [g.code for g in w.governments]
    data += [i.name for i in w.items] + [i.code for i in w.items]
    data += [u.username for u in w.subjects.values() if u.pk] + [w.home_editor.username]
    data += [w.home_dept.name, w.street_dept.name, w.batch_draft.title]
    leaked = [d for d in data if d in said]
    assert leaked == []


# --- who sees a proposal ----------------------------------------------------------------------------

VIEW_TARGETS = {"draft": "draft", "submitted": "submitted", "approved-in": "approved_in",
                "share-draft": "share_draft", "rejected": "rejected", "effective": "effective"}


@pytest.mark.parametrize("label", VIEW_LABELS)
def test_who_sees_a_transfer(w, label):
    t = getattr(w, VIEW_TARGETS[label])
    assert {who: policy.can_view_transfer(w.subjects[who], t) for who in VIEW_COLUMNS} == {
        who: VIEW_EXPECTED[label, who] for who in VIEW_COLUMNS}


def test_a_share_party_sees_the_arrangement_only_as_a_party(w):
    # The street is no side of the shared arrangement except as a party: drop the party and it sees nothing.
    viewer = w.street_reviewer
    assert policy.can_view_transfer(viewer, w.share_draft)
    TransferParty.objects.filter(transfer=w.share_draft, government=w.street).update(government=w.city)
    assert not policy.can_view_transfer(viewer, fresh(w.share_draft))
