"""The seed cases loaded once (through the services) and the figures the seed documents report."""
import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from accounts.models import Membership
from powerlists.models import (
    Arrangement,
    AuditEvent,
    Batch,
    BatchState,
    Decision,
    DepartmentKind,
    Exercise,
    Government,
    Method,
    Origin,
    Role,
    Transfer,
    TransferState,
)
from powerlists.models.choices import SHARED_ROLES
from powerlists.queries import diff, power_list
from powerlists.queries.joint_review import joint_review
from powerlists.seedcases.figures import LANSHAN_DAY, compute_figures
from powerlists.seedcases.loader import DEFAULT_DEMO_PASSWORD, load

pytestmark = pytest.mark.slow
D = datetime.date


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Load the seed cases once for this module, inside a transaction rolled back at its end."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield load()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def figures(seeded, django_db_blocker):
    with django_db_blocker.unblock():
        return compute_figures()


def gov(name, parent_name=None):
    qs = Government.objects.filter(name=name)
    if parent_name:
        qs = qs.filter(parent__name=parent_name)
    return qs.get()


@pytest.mark.parametrize("source", ["000", "001", "002", "003", "004"])
def test_figures_of_each_seed_match(figures, source):
    rows = [f for f in figures if f.source == source]
    assert rows, f"no figures for {source}"
    failed = [(f.description, f.seed, f.computed) for f in rows if f.match is False]
    assert not failed


def test_no_figure_is_pending(figures):
    assert [(f.source, f.seed, f.pending) for f in figures if f.match is None] == []


def test_harbin_workflow_figures_are_computed_from_the_proposals(figures):
    harbin = {f.description.split("/")[-1].strip(): (f.seed, f.computed, f.match) for f in figures if f.source == "000"}
    assert harbin["offered by city departments"] == ("149", "149", True)
    assert harbin["requested by districts"] == ("33", "33", True)
    assert harbin["agreed at the joint review and devolved to districts"] == ("175", "175", True)
    assert harbin["rejected at the joint review, each with a reason"] == ("7", "7", True)
    assert harbin["joint review: every agreed proposal has both sides' decisions"] == (
        "175", "175 (1575/1575 proposals)", True)


def _xiaochi_dates():
    xiaochi = gov("小池镇", "黄梅县")
    first = Transfer.objects.filter(receiver=xiaochi, state="effective", batch__round_no__isnull=True).values_list(
        "effective_on", flat=True).order_by("effective_on").first()
    last = Transfer.objects.filter(giver__name="黄梅县", batch__round_no=3).values_list("effective_on", flat=True).first()
    return xiaochi, first, last


def test_xiaochi_list_first_batch_and_after_round_three(seeded, db):
    xiaochi, first, last = _xiaochi_dates()
    assert len(power_list(xiaochi, first)) == 166
    assert len(power_list(xiaochi, first - datetime.timedelta(days=1))) == 0
    assert len(power_list(xiaochi, last)) == 120
    rows = power_list(xiaochi, last)
    assert all(r["role"] == Role.RECEIVER and r["source__government__name"] == "黄梅县" for r in rows)
    assert all(r["department__name"].startswith("小池镇") for r in rows), "each power names a receiving unit"


def test_xiaochi_diff_between_first_batch_and_round_three(seeded, db):
    xiaochi, first, last = _xiaochi_dates()
    change = diff(xiaochi, first, last)
    assert change.count_from == 166 and change.count_to == 120
    recalled = Transfer.objects.filter(receiver=xiaochi, kind="recall").count()
    cancelled = Transfer.objects.filter(kind="cancel", giver__name="黄梅县").count()
    added = Transfer.objects.filter(receiver=xiaochi, kind="devolve", state="effective",
                                    batch__round_no__isnull=False).count()
    assert len(change.removed) == recalled + cancelled
    assert len(change.added) == added
    assert len(change.changed) == Transfer.objects.filter(kind="adjust", giver__name="黄梅县").count() > 0


def test_lanshan_shared_power_has_one_lead_and_shares_summing_to_100(seeded, db):
    lanshan = gov("兰山区")
    rows = Exercise.objects.in_force(LANSHAN_DAY).filter(
        shared_by=lanshan, role__in=SHARED_ROLES, item__name="城管执法")
    assert rows.count() == 13
    assert [r.government for r in rows if r.role == Role.LEAD] == [lanshan]
    assert sum((r.fiscal_share for r in rows), Decimal(0)) == Decimal(100)
    listed = {r["arrangement"] for r in power_list(gov("兰山街道"), LANSHAN_DAY) if r["item__name"] == "城管执法"}
    assert listed == {"shared_support"}


def test_kuiwen_methods_include_stationed_agency(seeded, db):
    dayu = gov("大虞街道")
    rows = Exercise.objects.filter(government=dayu, role=Role.RECEIVER)
    methods = set(rows.values_list("method", flat=True))
    assert {Method.ENTRUSTED, Method.STATIONED_AGENCY, Method.STAFF_SENT} <= methods
    stationed = rows.filter(method=Method.STATIONED_AGENCY).select_related("department__upper_department")
    assert all(r.department.kind == DepartmentKind.STATIONED_AGENCY for r in stationed)
    assert all(r.department.upper_department.government.name == "奎文区" for r in stationed)


def test_harbin_each_district_exercises_the_same_boundary_set(seeded, db):
    daoli, songbei = gov("道里区"), gov("松北区")
    day = D(2018, 1, 1)
    received = [r for r in power_list(daoli, day) if r["role"] == Role.RECEIVER]
    assert len(received) == 175
    assert len([r for r in power_list(songbei, day) if r["role"] == Role.RECEIVER]) == 175
    assert not [r for r in power_list(daoli, D(2017, 2, 28)) if r["role"] == Role.RECEIVER]


def test_every_transfer_was_audited(seeded, db):
    effective = Transfer.objects.filter(state=TransferState.EFFECTIVE).count()
    assert effective > 4000
    assert AuditEvent.objects.filter(action__startswith="transfer.").count() == effective
    proposals = Transfer.objects.filter(created_by__isnull=False)
    harbin = proposals.filter(giver__name="哈尔滨市")
    assert harbin.count() == 182 * 9
    # 黄梅县 → 小池镇: 9 requests (点菜, approved and then withdrawn once the evaluation's follow-up batch
    # devolved them) and the three follow-up batches (51 recalls and 9 devolutions).
    huangmei = proposals.filter(giver__name="黄梅县")
    assert huangmei.filter(origin="requested", state="withdrawn").count() == 9
    follow_ups = huangmei.filter(origin="evaluation", state="effective")
    assert (follow_ups.filter(kind="recall").count(), follow_ups.filter(kind="devolve").count()) == (51, 9)
    assert huangmei.count() == 9 + 60 and proposals.count() == harbin.count() + huangmei.count()
    count = AuditEvent.objects.filter
    assert count(action="workflow.propose").count() == proposals.count()
    assert count(action="workflow.submit").count() == proposals.count()
    assert count(action="workflow.reject").count() == 7 * 9
    assert count(action="workflow.approve").count() == 175 * 9 + 9 + 60
    assert count(action="workflow.accept").count() == 175 * 9 + 9


def test_harbin_joint_review_with_daoli(seeded, db):
    """对接会 between 哈尔滨市 and 道里区: 149 offered and 33 requested proposals, 175 agreed, 7 rejected."""
    city, daoli = gov("哈尔滨市"), gov("道里区")
    review = joint_review(city, daoli)
    assert len(review.offered) == 149 and len(review.requested) == 33
    assert len(review.catalogue) == 175
    assert {r["state"] for r in review.catalogue} == {TransferState.EFFECTIVE}
    assert not review.undecided
    rejected = review.rejected
    assert len(rejected) == 7 and len({r["item_id"] for r in rejected}) == 7
    assert all(r["decision_reason"].strip() for r in rejected), "every rejection carries its reason"
    assert sorted(r["origin"] for r in rejected) == [Origin.OFFERED] * 5 + [Origin.REQUESTED] * 2
    assert {r["giver_decided_by__username"] for r in rejected} == {"harbin-reviewer"}
    for r in review.catalogue:
        assert r["giver_decision"] == r["receiver_decision"] == Decision.APPROVED
        assert r["giver_decided_by__username"] == "harbin-reviewer"
        assert r["receiver_decided_by__username"] == "daoli-reviewer"
        assert r["receiving_department__name"].startswith("道里区")
    # Offered proposals were made by the city's editor, requested ones by the district's.
    makers = dict(Transfer.objects.filter(giver=city, receiver=daoli).values_list("origin", "created_by__username")
                  .distinct())
    assert makers == {Origin.OFFERED: "harbin-editor", Origin.REQUESTED: "daoli-editor"}
    assert all(r["staff_posts"] == 0 for r in rejected), "staff posts move only with agreed powers"
    assert sum(r["staff_posts"] for r in review.catalogue) > 0


def test_harbin_rejected_items_stay_with_the_city(seeded, db):
    city = gov("哈尔滨市")
    rejected = set(Transfer.objects.filter(giver=city, state=TransferState.REJECTED).values_list("item_id", flat=True))
    assert len(rejected) == 7
    rows = {r["item_id"]: r for r in power_list(city, D(2018, 1, 1))}
    assert all(rows[item]["arrangement"] == Arrangement.RETAINED for item in rejected)
    assert not Exercise.objects.filter(item_id__in=rejected).exclude(government=city).exists()


def test_harbin_batches_went_through_the_workflow(seeded, db):
    batches = Batch.objects.filter(issuer__name="哈尔滨市").order_by("effective_on")
    assert [(b.state, b.created_by.username, b.decided_by.username) for b in batches] == [
        (BatchState.EFFECTIVE, "harbin-editor", "harbin-reviewer")] * 2
    assert [b.transfers.filter(state=TransferState.EFFECTIVE).values("item").distinct().count()
            for b in batches] == [120, 55]


def test_demo_users_and_their_roles(seeded, db, django_user_model, settings):
    # The module's load ran before the fast test hasher was set: accept both.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher",
                                 "django.contrib.auth.hashers.MD5PasswordHasher"]
    users = django_user_model.objects.filter(username__regex=r"^[a-z]+-(editor|reviewer)(-2)?$")
    assert users.count() == 3 + 9 * 2 + 6 + 1  # Harbin; Hubei, 黄梅县 and 小池镇; 兰山区
    daoli = django_user_model.objects.get(username="daoli-reviewer")
    assert daoli.check_password(DEFAULT_DEMO_PASSWORD)
    assert list(Membership.objects.filter(user=daoli).values_list("government__name", "role")) == [
        ("道里区", "reviewer")]
    city_roles = set(Membership.objects.filter(government__name="哈尔滨市").values_list("user__username", "role"))
    assert city_roles == {("harbin-editor", "editor"), ("harbin-reviewer", "reviewer"),
                          ("harbin-reviewer-2", "reviewer")}
    assert AuditEvent.objects.filter(action="membership.grant").count() == 28


def test_loadseedcases_refuses_a_second_load(seeded, db):
    before = Government.objects.count()
    with pytest.raises(CommandError) as excinfo:
        call_command("loadseedcases", "--no-progress")
    message = str(excinfo.value)
    assert "已加载" in message and "already loaded" in message
    assert Government.objects.count() == before


def test_seedfigures_command_prints_every_figure(seeded, db, capsys):
    call_command("seedfigures")
    out = capsys.readouterr().out
    assert "1977" in out and "84.92%" in out and "26 ✓, 0 ✗, 0 pending" in out


def test_xiaochi_rounds_each_recall_and_devolution_comes_from_a_decided_result(seeded, db):
    from powerlists.models import EvaluationResult, EvaluationRound
    from powerlists.queries.evaluation import round_report

    xiaochi = gov("小池镇", "黄梅县")
    rounds = list(EvaluationRound.objects.filter(scope_government__name="黄梅县").order_by("period_end"))
    assert [r.state for r in rounds] == ["confirmed"] * 3
    follow_ups = Transfer.objects.filter(origin=Origin.EVALUATION, receiver=xiaochi)
    assert follow_ups.count() == follow_ups.filter(state=TransferState.EFFECTIVE).count() == 60
    linked = EvaluationResult.objects.filter(round__in=rounds, follow_up_transfer__isnull=False)
    assert set(linked.values_list("follow_up_transfer", flat=True)) == set(follow_ups.values_list("pk", flat=True))
    for result in linked.select_related("follow_up_transfer"):
        expected = "recall" if result.decision in ("should_not", "poor") else "devolve"
        assert result.follow_up_transfer.kind == expected, result
        assert result.rule and result.figures["rules_applied"]
    # Round by round: what the rules found, and the list after the follow-up batch took effect.
    sizes = []
    for rnd in rounds:
        report = round_report(rnd)
        counts = {row["category"]: row["count"] for row in report.by_category}
        recalls = counts["should_not"] + counts["poor"]
        assert recalls == sum(1 for r in linked if r.round_id == rnd.pk and r.follow_up_transfer.kind == "recall")
        day = linked.filter(round=rnd).values_list("follow_up_transfer__effective_on", flat=True).first()
        sizes.append(len(power_list(xiaochi, day)))
    assert sizes == [144, 122, 120]
    override = EvaluationResult.objects.get(round=rounds[0], decision="should_not", suggested="poor")
    assert override.decision_reason and AuditEvent.objects.filter(action="evaluation.override").count() == 1


def test_hubei_pilot_round_puts_powers_in_four_categories_by_rule(seeded, db):
    from powerlists.models import EvaluationRound
    from powerlists.queries.evaluation import round_report

    rnd = EvaluationRound.objects.get(scope_government__name="湖北省", scope_tag="pilot")
    assert rnd.state == "evaluated"  # left for a reviewer to confirm (the demo)
    report = round_report(rnd)
    assert all(row["count"] > 0 for row in report.by_category)
    assert len(report.by_town) == 33 and sum(t["total"] for t in report.by_town) == report.totals["results"]
    rules = set(rnd.results.values_list("rule", flat=True))
    assert {"should_not.no_legal_standing", "should_not.no_qualified_staff", "not_yet.overdue",
            "not_yet.no_receiving_unit", "poor.no_cases", "poor.low_satisfaction", "poor.slow",
            "promotable.runs_well"} <= rules
    lanshan = round_report(EvaluationRound.objects.get(scope_government__name="兰山区"))
    assert {row["assessment_type"] for row in lanshan.by_assessment_type} == {"service", "industry", "agriculture"}
