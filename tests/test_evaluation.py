"""Evaluation of devolved powers (Hubei, seed 004): four categories from evidence, confirmed by people,
and follow-up proposals carried through the ordinary workflow."""
import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from powerlists import services
from powerlists.models import (
    AuditEvent,
    Capacity,
    EvaluationResult,
    EvaluationRound,
    Evidence,
    Exercise,
    Government,
    PowerItem,
    RoundState,
    Tier,
    Transfer,
    TransferState,
)
from powerlists.queries import power_list
from powerlists.services import evaluation, workflow
from powerlists.services.errors import Conflict, Forbidden, InvalidInput

from .helpers import devolve, item_ids, refused

D = datetime.date
START, END = D(2018, 1, 1), D(2019, 12, 31)
DEVOLVED_ON = D(2017, 6, 1)


@pytest.fixture
def ev(tree, make_item):
    """Builders: an item devolved city → street with evidence, a round over the city, its result."""

    class Ev:
        pass

    e = Ev()

    def item(**values):
        values.setdefault("statutory_days", 20)
        return make_item(tree.city, **values)

    def devolved(town=None, *, department="auto", **values):
        town = town or tree.street
        it = item(**values)
        if department == "auto":
            department = tree.street_dept if town == tree.street else None
        devolve(it, tree.city, town, DEVOLVED_ON, receiving_department=department)
        return it

    def evidence(it, town=None, **values):
        values.setdefault("cases_handled", 50)
        values.setdefault("satisfaction", "95")
        values.setdefault("average_days", "5")
        values.setdefault("capacity", Capacity.ADEQUATE)
        return evaluation.record_evidence(item=it, government=town or tree.street, period_start=START,
                                          period_end=END, **values)

    def run(rules=None, **kwargs):
        kwargs.setdefault("scope_government", tree.city)
        rnd = evaluation.create_round(name="两年评估", period_start=START, period_end=END, rules=rules, **kwargs)
        return evaluation.run_round(rnd)

    def result(rnd, it, town=None):
        return EvaluationResult.objects.filter(round=rnd, item=it, government=town or tree.street).first()

    def judged(rules=None, item_values=None, **evidence_values):
        it = devolved(**(item_values or {}))
        evidence(it, **evidence_values)
        rnd = run(rules)
        r = result(rnd, it)
        return (r.suggested, r.rule) if r else None

    e.item, e.devolved, e.evidence, e.run, e.result, e.judged = item, devolved, evidence, run, result, judged
    return e


# --- each rule on its boundary ----------------------------------------------------------------------


def test_satisfaction_at_threshold_is_promotable_and_a_hundredth_below_is_poor(ev):
    assert ev.judged(satisfaction="80") == ("promotable", "promotable.runs_well")
    assert ev.judged(satisfaction="79.99") == ("poor", "poor.low_satisfaction")


def test_satisfaction_threshold_is_read_from_the_round(ev):
    assert ev.judged(rules={"min_satisfaction": 90}, satisfaction="89.99") == ("poor", "poor.low_satisfaction")
    assert ev.judged(rules={"min_satisfaction": 90}, satisfaction="90") == ("promotable", "promotable.runs_well")


def test_no_cases_is_poor_one_case_meets_a_minimum_of_one(ev):
    assert ev.judged(cases_handled=0) == ("poor", "poor.no_cases")
    assert ev.judged(rules={"min_cases": 1}, cases_handled=1) == ("promotable", "promotable.runs_well")


def test_below_the_minimum_cases_but_running_well_gets_no_category(ev):
    assert ev.judged(cases_handled=10) == ("promotable", "promotable.runs_well")  # default min_cases 10
    assert ev.judged(cases_handled=9) is None


def test_days_at_the_statutory_limit_pass_and_a_hundredth_more_is_poor(ev):
    values = {"statutory_days": 20}
    assert ev.judged(item_values=values, average_days="20") == ("promotable", "promotable.runs_well")
    assert ev.judged(item_values=values, average_days="20.01") == ("poor", "poor.slow")
    assert ev.judged(rules={"max_days_ratio": 0.5}, item_values=values, average_days="10.01") == ("poor", "poor.slow")
    # The evidence's own statutory days win over the item's.
    assert ev.judged(item_values=values, average_days="15.01", statutory_days=15) == ("poor", "poor.slow")


def test_days_worse_than_promised_before_devolution(ev):
    values = {"statutory_days": 30, "promised_days": 10}
    assert ev.judged(item_values=values, average_days="10") == ("promotable", "promotable.runs_well")
    assert ev.judged(item_values=values, average_days="10.01") == ("poor", "poor.slower_than_before")
    assert ev.judged(rules={"compare_before": False}, item_values=values, average_days="10.01") == (
        "promotable", "promotable.runs_well")


def test_tier_equal_to_the_lowest_is_fine_one_below_should_not(ev, tree):
    assert ev.judged(item_values={"lowest_tier": Tier.TOWNSHIP}) == ("promotable", "promotable.runs_well")
    it = ev.devolved()
    ev.evidence(it)
    PowerItem.objects.filter(pk=it.pk).update(lowest_tier=Tier.COUNTY)  # the law changed after devolution
    rnd = ev.run()
    r = ev.result(rnd, it)
    assert (r.suggested, r.rule) == ("should_not", "should_not.below_lowest_tier")
    assert r.figures["tier"] == Tier.TOWNSHIP and r.figures["lowest_tier"] == Tier.COUNTY


@pytest.mark.parametrize("capacity", [Capacity.NO_QUALIFIED_STAFF, Capacity.NO_LEGAL_STANDING])
def test_no_capacity_should_not_be_devolved(ev, capacity):
    assert ev.judged(capacity=capacity) == ("should_not", f"should_not.{capacity}")
    assert ev.judged(capacity=Capacity.UNKNOWN) == ("promotable", "promotable.runs_well")


def _pending_devolution(tree, it, *, state, effective_on, origin="offered"):
    return Transfer.objects.create(kind="devolve", item=it, giver=tree.city, receiver=tree.street, method="direct",
                                   origin=origin, effective_on=effective_on, state=state)


@pytest.mark.parametrize("state", [TransferState.APPROVED, TransferState.ACCEPTED])
def test_approved_devolution_not_effective_is_overdue_one_day_past_the_limit(ev, tree, state):
    at_limit, past = ev.item(), ev.item()
    _pending_devolution(tree, at_limit, state=state, effective_on=END - datetime.timedelta(days=90))
    t = _pending_devolution(tree, past, state=state, effective_on=END - datetime.timedelta(days=91))
    rnd = ev.run()
    assert ev.result(rnd, at_limit) is None
    r = ev.result(rnd, past)
    assert (r.suggested, r.rule, r.transfer_id, r.exercise_id) == ("not_yet", "not_yet.overdue", t.pk, None)
    assert r.figures["overdue_days"] == 91


def test_requested_devolution_undecided_too_long(ev, tree):
    at_limit, past, offered = ev.item(), ev.item(), ev.item()
    for it, days, origin in ((at_limit, 60, "requested"), (past, 61, "requested"), (offered, 400, "offered")):
        t = _pending_devolution(tree, it, state=TransferState.SUBMITTED, effective_on=END, origin=origin)
        Transfer.objects.filter(pk=t.pk).update(
            created_at=datetime.datetime.combine(END - datetime.timedelta(days=days), datetime.time(12),
                                                 tzinfo=datetime.UTC))
    rnd = ev.run()
    assert ev.result(rnd, at_limit) is None
    assert ev.result(rnd, offered) is None
    assert (ev.result(rnd, past).suggested, ev.result(rnd, past).rule) == ("not_yet", "not_yet.requested_undecided")


def test_in_force_without_receiving_unit_is_not_yet_even_without_evidence(ev):
    it = ev.devolved(department=None)
    rnd = ev.run()
    assert (ev.result(rnd, it).suggested, ev.result(rnd, it).rule) == ("not_yet", "not_yet.no_receiving_unit")
    assert ev.judged(receiving_unit_named=False) == ("not_yet", "not_yet.no_receiving_unit")


def test_precedence_should_not_then_not_yet_then_poor(ev):
    a = ev.devolved(department=None)
    ev.evidence(a, cases_handled=0, capacity=Capacity.NO_LEGAL_STANDING)
    b = ev.devolved(department=None)
    ev.evidence(b, cases_handled=0)
    c = ev.devolved()
    ev.evidence(c, cases_handled=0, satisfaction="10")
    rnd = ev.run()
    ra, rb, rc = ev.result(rnd, a), ev.result(rnd, b), ev.result(rnd, c)
    assert (ra.suggested, ra.rule) == ("should_not", "should_not.no_legal_standing")
    assert set(ra.figures["rules_applied"]) == {"should_not.no_legal_standing", "not_yet.no_receiving_unit",
                                                "poor.no_cases"}
    assert (rb.suggested, rb.rule) == ("not_yet", "not_yet.no_receiving_unit")
    assert (rc.suggested, rc.rule) == ("poor", "poor.no_cases")
    assert rc.figures["cases_handled"] == 0 and rc.figures["satisfaction"] == "10.00"


def test_no_evidence_and_no_rule_gives_no_result_counted_as_insufficient(ev):
    it = ev.devolved()
    rnd = ev.run()
    assert ev.result(rnd, it) is None
    assert rnd.summary["insufficient_evidence"] == 1 and rnd.summary["results"] == 0


def test_evidence_outside_the_round_scope_or_period_is_not_used(ev, tree):
    it = ev.devolved()
    evaluation.record_evidence(item=it, government=tree.street, period_start=D(2017, 1, 1), period_end=END,
                               cases_handled=0)
    rnd = ev.run()
    assert ev.result(rnd, it) is None
    rnd2 = ev.run(scope_government=tree.district2)
    assert rnd2.summary["pairs"] == 0


def test_evidence_rows_within_the_period_are_aggregated(ev, tree):
    it = ev.devolved()
    for start, end, cases, sat in ((START, D(2018, 12, 31), 10, "70"), (D(2019, 1, 1), END, 30, "90")):
        evaluation.record_evidence(item=it, government=tree.street, period_start=start, period_end=end,
                                   cases_handled=cases, satisfaction=sat, average_days="4")
    r = ev.result(ev.run(), it)
    assert r.suggested == "promotable"
    assert r.figures["cases_handled"] == 40 and r.figures["satisfaction"] == "85.00"


def test_scope_by_tag(ev, tree):
    pilot = services.create_government(code="230102002", name="试点镇", tier=Tier.TOWNSHIP, parent=tree.district,
                                       kind="镇", tags=["hubei-pilot"])
    a = ev.devolved(pilot, department=None)
    b = ev.devolved(department=None)
    rnd = ev.run(scope_government=None, scope_tag="hubei-pilot")
    assert ev.result(rnd, a, pilot) is not None and ev.result(rnd, b) is None
    both = ev.run(scope_tag="hubei-pilot")  # the city's territory and the tag
    assert both.summary["results"] == 1


# --- evidence validation ----------------------------------------------------------------------------


@pytest.mark.parametrize("values, field", [
    ({"cases_handled": -1}, "cases_handled"),
    ({"cases_handled": None}, "cases_handled"),
    ({"cases_handled": 1.5}, "cases_handled"),
    ({"cases_handled": 1, "satisfaction": "100.01"}, "satisfaction"),
    ({"cases_handled": 1, "satisfaction": "-1"}, "satisfaction"),
    ({"cases_handled": 1, "average_days": "abc"}, "average_days"),
    ({"cases_handled": 1, "complaints": -2}, "complaints"),
    ({"cases_handled": 1, "capacity": "great"}, "capacity"),
    ({"cases_handled": 2**31}, "cases_handled"),  # beyond the database's integer column
    ({"cases_handled": 1, "average_days": "100000.01"}, "average_days"),
])
def test_evidence_is_validated(ev, tree, values, field):
    it = ev.devolved()
    with pytest.raises(InvalidInput) as info:
        evaluation.record_evidence(item=it, government=tree.street, period_start=START, period_end=END, **values)
    assert info.value.details["field"] == field
    assert info.value.message("en") and info.value.message("zh-hans")
    assert not Evidence.objects.exists()


def test_bulk_evidence_is_all_or_nothing_and_names_the_row(ev, tree, people):
    it = ev.devolved()
    good = {"item": it, "government": tree.street, "period_start": START, "period_end": END, "cases_handled": 3}
    with pytest.raises(InvalidInput) as info:
        evaluation.bulk_record_evidence([good, {**good, "period_start": D(2019, 1, 1), "satisfaction": 101}],
                                        actor=people.district_editor)
    assert info.value.details["row"] == 1 and "Row 2" in info.value.message("en")
    assert not Evidence.objects.exists()
    with pytest.raises(Forbidden):
        evaluation.bulk_record_evidence([good], actor=people.outsider)
    with pytest.raises(InvalidInput) as info:  # two rows for one item, government and period: ambiguous
        evaluation.bulk_record_evidence([good, {**good, "cases_handled": 4}], actor=people.district_editor)
    assert info.value.code == "duplicate_evidence" and info.value.details["row"] == 1
    assert "row 1" in info.value.message("en")
    assert not Evidence.objects.exists()
    evaluation.bulk_record_evidence([good], actor=people.district_editor)
    saved = evaluation.bulk_record_evidence([{**good, "cases_handled": 4}, {**good, "period_end": D(2018, 12, 31)}],
                                            actor=people.district_editor)
    assert len(saved) == 2 and Evidence.objects.count() == 2
    assert Evidence.objects.get(period_end=END).cases_handled == 4  # the same period: replaced
    events = AuditEvent.objects.filter(action="evaluation.evidence").order_by("id")
    assert events.count() == 3
    assert events[1].before["cases_handled"] == 3 and events[1].after["cases_handled"] == 4
    assert events[2].before is None and events[2].item_id == it.pk


def test_evidence_ranges_are_database_constraints(ev, tree):
    it = ev.devolved()
    for values in ({"satisfaction": Decimal("100.5")}, {"average_days": Decimal("-1")},
                   {"period_end": D(2017, 1, 1)}, {"capacity": "nope"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Evidence.objects.create(**{"item": it, "government": tree.street, "period_start": START,
                                       "period_end": END, **values})


def test_round_needs_a_scope_and_valid_rules(tree):
    with pytest.raises(InvalidInput):
        evaluation.create_round(name="x", period_start=START, period_end=END)
    with pytest.raises(InvalidInput):
        evaluation.create_round(name="x", period_start=START, period_end=END, scope_government=tree.city,
                                rules={"min_satisfaction": 120})
    for rules in ({"min_cases": float("inf")}, {"min_cases": float("nan")}, {"min_cases": 10**12}):
        with pytest.raises(InvalidInput):  # a threshold the database's JSON could not hold, or absurd
            evaluation.create_round(name="x", period_start=START, period_end=END, scope_government=tree.city,
                                    rules=rules)
    with pytest.raises(InvalidInput):
        evaluation.create_round(name="x", period_start=START, period_end=END, scope_government=tree.city,
                                rules={"unknown": 1})
    with pytest.raises(IntegrityError), transaction.atomic():
        EvaluationRound.objects.create(name="x", period_start=START, period_end=END)


# --- confirm and override ---------------------------------------------------------------------------


def test_confirm_override_and_rerun(ev, tree, people):
    poor, good, third = ev.devolved(), ev.devolved(), ev.devolved()
    ev.evidence(poor, cases_handled=0)
    ev.evidence(good)
    ev.evidence(third, satisfaction="50")
    rnd = evaluation.create_round(name="两年评估", period_start=START, period_end=END, scope_government=tree.city,
                                  actor=people.city_editor)
    with pytest.raises(Forbidden):
        evaluation.run_round(rnd, actor=people.outsider)
    rnd = evaluation.run_round(rnd, actor=people.city_editor)
    assert rnd.state == RoundState.EVALUATED
    r_poor, r_good = ev.result(rnd, poor), ev.result(rnd, good)

    with pytest.raises(Forbidden):
        evaluation.decide(r_poor, "poor", actor=people.outsider)
    with pytest.raises(InvalidInput) as info:
        evaluation.decide(r_poor, "promotable", actor=people.district_reviewer)
    assert info.value.code == "reason_required"
    assert EvaluationResult.objects.get(pk=r_poor.pk).decision == ""

    evaluation.decide(r_good, "promotable", actor=people.district_reviewer)  # the giver side's reviewer
    evaluation.decide(r_poor, "should_not", actor=people.city_reviewer, reason="镇无执法资格")
    r_poor.refresh_from_db()
    assert (r_poor.suggested, r_poor.decision, r_poor.decision_reason) == ("poor", "should_not", "镇无执法资格")
    event = AuditEvent.objects.filter(action="evaluation.override").get()
    assert event.before["suggested"] == "poor" and event.before["decision"] == ""
    assert event.after["suggested"] == "poor" and event.after["decision"] == "should_not"
    assert event.reason == "镇无执法资格"
    assert AuditEvent.objects.filter(action="evaluation.confirm").count() == 1
    with pytest.raises(Conflict):
        evaluation.decide(r_poor, "poor", actor=people.city_reviewer)

    # Re-running replaces undecided results, keeps decided ones.
    ev.evidence(third, satisfaction="99")
    rnd = evaluation.run_round(rnd)
    assert ev.result(rnd, third).suggested == "promotable"
    assert ev.result(rnd, poor).decision == "should_not" and ev.result(rnd, good).decision == "promotable"
    assert rnd.summary["kept_decided"] == 2
    evaluation.decide(ev.result(rnd, third), "promotable", actor=people.city_reviewer)
    rnd.refresh_from_db()
    assert rnd.state == RoundState.CONFIRMED
    with pytest.raises(Conflict):
        evaluation.run_round(rnd)


# --- follow-up through the workflow -----------------------------------------------------------------


def test_follow_up_batch_goes_through_the_workflow(ev, tree, people, django_user_model):
    from accounts.models import Membership

    peer = services.create_government(code="230102003", name="同级街道", tier=Tier.TOWNSHIP, parent=tree.district,
                                      kind="街道")
    peer_dept = services.create_department(government=peer, name="同级街道便民服务中心", kind="service_centre")
    peer_reviewer = django_user_model.objects.create_user("peer_reviewer", password="a-long-pass-phrase-2026")
    Membership.objects.create(user=peer_reviewer, government=peer, role="reviewer")

    poor, good, unit_missing = ev.devolved(), ev.devolved(), ev.devolved(department=None)
    ev.evidence(poor, cases_handled=0)
    ev.evidence(good)
    overdue = ev.item()
    _pending_devolution(tree, overdue, state=TransferState.APPROVED, effective_on=D(2018, 6, 1))
    rnd = ev.run()
    assert {r.item_id: r.suggested for r in rnd.results.all()} == {
        poor.pk: "poor", good.pk: "promotable", unit_missing.pk: "not_yet", overdue.pk: "not_yet"}
    with pytest.raises(Conflict):  # nothing decided yet
        evaluation.generate_follow_up(rnd, actor=people.administrator, batch_title="t", effective_on=D(2020, 3, 1))
    for r in rnd.results.all():
        evaluation.decide(r, r.suggested, actor=people.city_reviewer)

    day = D(2020, 3, 1)
    with pytest.raises(Forbidden):
        evaluation.generate_follow_up(rnd, actor=people.district_editor, batch_title="评估后续调整",
                                      effective_on=day)
    assert not Transfer.objects.filter(origin="evaluation").exists()
    assert not EvaluationResult.objects.exclude(follow_up_note="").exists()

    batch = evaluation.generate_follow_up(rnd, actor=people.administrator, batch_title="评估后续调整",
                                          batch_number="哈政发〔2020〕1号", effective_on=day)
    assert batch.state == "draft" and batch.issuer == tree.city
    transfers = {(t.kind, t.item_id, t.receiver_id): t for t in batch.transfers.all()}
    assert set(transfers) == {("recall", poor.pk, tree.street.pk), ("devolve", good.pk, peer.pk),
                              ("devolve", overdue.pk, tree.street.pk)}
    assert all(t.state == "draft" and t.origin == "evaluation" and t.effective_on == day for t in transfers.values())
    results = {r.item_id: r for r in rnd.results.all()}
    assert results[poor.pk].follow_up_transfer == transfers[("recall", poor.pk, tree.street.pk)]
    assert results[good.pk].follow_up_transfer == transfers[("devolve", good.pk, peer.pk)]
    assert results[unit_missing.pk].follow_up_transfer is None and results[unit_missing.pk].follow_up_note
    with pytest.raises(Conflict):  # done once
        evaluation.generate_follow_up(rnd, actor=people.administrator, batch_title="again", effective_on=day)

    for t in transfers.values():
        workflow.submit(t, actor=people.administrator)
    workflow.approve_batch(batch, actor=people.city_reviewer)
    workflow.accept_in_batch(batch, actor=people.street_reviewer, government=tree.street,
                             receiving_department=tree.street_dept)
    workflow.accept_in_batch(batch, actor=peer_reviewer, government=peer, receiving_department=peer_dept)
    workflow.effect_batch(batch, actor=people.city_reviewer)

    before = day - datetime.timedelta(days=1)
    assert poor.pk in item_ids(tree.street, before) and poor.pk not in item_ids(tree.street, day)
    assert overdue.pk not in item_ids(tree.street, before) and overdue.pk in item_ids(tree.street, day)
    assert good.pk not in item_ids(peer, before) and good.pk in item_ids(peer, day)
    assert good.pk in {r["item_id"] for r in power_list(tree.street, day)}


def test_follow_up_is_all_or_nothing(ev, tree, people):
    poor = ev.devolved()
    ev.evidence(poor, cases_handled=0)
    rnd = ev.run()
    evaluation.decide(ev.result(rnd, poor), "poor", actor=people.city_reviewer)
    # A reviewer is no editor of the city: the batch is refused and nothing at all is written.
    with pytest.raises(Forbidden):
        evaluation.generate_follow_up(rnd, actor=people.city_reviewer, batch_title="x", effective_on=D(2020, 1, 1))
    assert not Transfer.objects.filter(origin="evaluation").exists()
    assert not AuditEvent.objects.filter(action__startswith="evaluation.follow_up").exists()


# --- a bounded number of queries --------------------------------------------------------------------


def _bulk_pairs(tree, code, towns, items):
    """``towns`` × ``items`` devolved pairs under a new county, written with bulk_create (test data only)."""
    county = services.create_government(code=code, name=code, tier=Tier.COUNTY, parent=tree.city)
    govs = Government.objects.bulk_create([
        Government(code=f"{code}{i:03d}", name=f"{code}{i:03d}", tier=Tier.TOWNSHIP, parent=county,
                   path=f"{county.path}{code}{i:03d}/", depth=county.depth + 1) for i in range(towns)])
    govs = list(Government.objects.filter(parent=county))
    its = PowerItem.objects.bulk_create([
        PowerItem(government=tree.city, code=f"B{code}-{i}", name=f"批量{i}", category="licensing",
                  statutory_days=20) for i in range(items)])
    its = list(PowerItem.objects.filter(code__startswith=f"B{code}-"))
    holders = Exercise.objects.bulk_create([
        Exercise(item=it, government=tree.city, role="holder", valid_from=D(2016, 1, 1)) for it in its])
    holders = {e.item_id: e.pk for e in Exercise.objects.filter(item__in=its, role="holder")}
    Exercise.objects.bulk_create([
        Exercise(item=it, government=g, role="receiver", source_id=holders[it.pk], valid_from=DEVOLVED_ON,
                 department=None if (n % 7 == 0) else tree.street_dept)
        for g in govs for n, it in enumerate(its)], batch_size=1000)
    Evidence.objects.bulk_create([
        Evidence(item=it, government=g, period_start=START, period_end=END, cases_handled=n % 30,
                 satisfaction=Decimal(70 + n % 30), average_days=Decimal(n % 25), capacity=Capacity.ADEQUATE)
        for g in govs for n, it in enumerate(its)], batch_size=1000)
    return county


def test_query_count_does_not_depend_on_the_number_of_pairs(tree):
    small = _bulk_pairs(tree, "2301901", 2, 5)
    large = _bulk_pairs(tree, "2301902", 20, 100)
    counts = {}
    for name, county in (("small", small), ("large", large)):
        rnd = evaluation.create_round(name=name, period_start=START, period_end=END, scope_government=county)
        with CaptureQueriesContext(connection) as ctx:
            rnd = evaluation.run_round(rnd)
        counts[name] = len(ctx.captured_queries)
        assert rnd.summary["pairs"] == (10 if name == "small" else 2000)
        assert rnd.results.count() == rnd.summary["results"] > 0
    assert counts["small"] == counts["large"], counts
    with CaptureQueriesContext(connection) as ctx:
        rnd = evaluation.run_round(rnd)  # re-run: undecided replaced, same bound
    assert len(ctx.captured_queries) == counts["large"]
    assert rnd.results.count() == rnd.summary["results"]


def test_results_query_gives_model_instances_with_their_category(ev):
    from powerlists.queries.evaluation import results_queryset

    poor = ev.devolved()
    ev.evidence(poor, cases_handled=0)
    rnd = ev.run()
    (result,) = list(results_queryset(rnd))
    assert result.category == "poor" and result.item == poor


def test_the_person_who_opened_a_round_cannot_decide_its_results(ev, tree, people):
    """Maker-checker: whoever chose the thresholds does not also confirm what they suggest."""
    from accounts.models import Membership
    from powerlists.policy import forget

    item = ev.devolved()
    ev.evidence(item)
    Membership.objects.create(user=people.city_editor, government=tree.city, role="reviewer")
    forget(people.city_editor)
    rnd = evaluation.create_round(name="两年评估", period_start=START, period_end=END, scope_government=tree.city,
                                  actor=people.city_editor)
    rnd = evaluation.run_round(rnd, actor=people.city_editor)
    result = ev.result(rnd, item)
    with refused(Forbidden, "maker_checker"):
        evaluation.decide(result, "promotable", actor=people.city_editor)
    evaluation.decide(result, "promotable", actor=people.city_reviewer)
    assert EvaluationResult.objects.get(pk=result.pk).decision == "promotable"
