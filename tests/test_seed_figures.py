"""The seed cases loaded once (through the services) and the figures the seed documents report."""
import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from powerlists.models import AuditEvent, DepartmentKind, Exercise, Government, Method, Role, Transfer
from powerlists.models.choices import SHARED_ROLES
from powerlists.queries import diff, power_list
from powerlists.seedcases.figures import LANSHAN_DAY, compute_figures
from powerlists.seedcases.loader import load

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


def test_only_the_figures_needing_missing_features_are_pending(figures):
    pending = {(f.source, f.seed, f.pending) for f in figures if f.match is None}
    assert pending == {
        ("000", "149", "workflow issue (proposals, joint review)"),
        ("000", "33", "workflow issue (proposals, joint review)"),
        ("000", "84.92%", "evaluation issue"),
    }


def _xiaochi_dates():
    xiaochi = gov("小池镇", "黄梅县")
    first = Transfer.objects.filter(receiver=xiaochi, batch__round_no__isnull=True).values_list(
        "effective_on", flat=True).first()
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
    added = Transfer.objects.filter(receiver=xiaochi, kind="devolve", batch__round_no__isnull=False).count()
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
    transfers = Transfer.objects.count()
    assert transfers > 4000
    assert AuditEvent.objects.filter(action__startswith="transfer.").count() == transfers


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
    assert "1977" in out and ", 0 ✗," in out and "pending: evaluation issue" in out
