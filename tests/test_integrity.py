"""The whole-database invariant checks (powerlists/integrity.py, ``manage.py checkintegrity``) pass on data
the services wrote and catch each rule broken behind the application's back."""
import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from powerlists import integrity, services
from powerlists.models import Exercise, Role
from powerlists.services import Party

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def history(tree, make_item):
    """Devolutions, a recall, a cascade and a shared power, through the services."""
    items = [make_item() for _ in range(4)]
    services.devolve(item=items[0], giver=tree.city, receiver=tree.district, effective_on=D(2017, 1, 1))
    services.devolve(item=items[0], giver=tree.district, receiver=tree.street, effective_on=D(2017, 6, 1))
    services.recall(item=items[0], giver=tree.city, receiver=tree.district, effective_on=D(2018, 1, 1))
    services.devolve(item=items[1], giver=tree.city, receiver=tree.district2, effective_on=D(2017, 3, 1))
    services.share(item=items[2], sharer=tree.city, effective_on=D(2017, 2, 1), parties=[
        Party(government=tree.district, role=Role.LEAD, fiscal_share=Decimal(60)),
        Party(government=tree.district2, role=Role.SUPPORT, fiscal_share=Decimal(40))])
    from powerlists import audit_chain
    audit_chain.seal_pending()
    return items


def by_rule(findings):
    return {f.rule.split(" (")[0]: f for f in findings}


def test_data_written_by_the_services_keeps_every_rule(history, capsys):
    findings = integrity.check()
    assert all(f.ok for f in findings), [str(f) for f in findings]
    assert len(findings) == 4
    call_command("checkintegrity")
    out = capsys.readouterr().out
    assert out.count("✓") == 4 and "Every rule holds" in out


def test_a_share_changed_behind_the_back_is_caught(history):
    support = Exercise.objects.get(item=history[2], role=Role.SUPPORT)
    Exercise.objects.filter(pk=support.pk).update(fiscal_share=Decimal(30))
    finding = by_rule(integrity.check())["every shared power has one lead and shares adding up to 100 %"]
    assert not finding.ok
    assert finding.examples[0]["item"] == history[2].pk
    with pytest.raises(CommandError) as failed:
        call_command("checkintegrity")
    assert failed.value.returncode == 1


def test_a_second_lead_is_caught(history):
    Exercise.objects.filter(item=history[2], role=Role.SUPPORT).update(role=Role.LEAD)
    assert not by_rule(integrity.check())["every shared power has one lead and shares adding up to 100 %"].ok


def test_a_receiver_outliving_its_giver_is_caught(history, tree):
    giver_row = Exercise.objects.get(item=history[1], government=tree.city, valid_to=None)
    received = Exercise.objects.get(item=history[1], government=tree.district2)
    Exercise.objects.filter(pk=received.pk).update(valid_from=giver_row.valid_from - datetime.timedelta(days=400))
    finding = by_rule(integrity.check())["every received power traces back to its giver"]
    assert not finding.ok and finding.examples == [received.pk]


@pytest.mark.skipif(connection.vendor == "postgresql",
                    reason="PostgreSQL's exclusion constraint refuses overlapping rows itself")
def test_overlapping_rows_are_caught(history, tree):
    row = Exercise.objects.get(item=history[3], government=tree.city)
    overlap = Exercise.objects.create(item=row.item, government=row.government, role=Role.HOLDER,
                                      department=row.department, valid_from=row.valid_from,
                                      valid_to=row.valid_from + datetime.timedelta(days=10))
    finding = by_rule(integrity.check())["nobody exercises an item twice at once"]
    assert not finding.ok and set(finding.examples) & {overlap.pk, row.pk}


def test_an_altered_audit_event_is_caught(history):
    from powerlists.models import AuditEvent
    from tests.test_audit_chain import drop_triggers

    event = AuditEvent.objects.order_by("seq")[2]
    drop_triggers()  # what someone with the database's password could do; rolled back with the test
    AuditEvent.objects.filter(pk=event.pk).update(reason="改写过的理由")
    finding = integrity.check()[-1]
    assert not finding.ok and str(event.pk) in finding.examples[0]


def test_shares_in_hundredths_add_up_exactly_on_both_databases(tree, make_item):
    """0.01 + 65.40 + 34.59 is 100 exactly, though not in floating point (which SQLite sums in)."""
    services.share(item=make_item(), sharer=tree.city, effective_on=D(2017, 2, 1), parties=[
        Party(government=tree.district, role=Role.LEAD, fiscal_share=Decimal("65.40")),
        Party(government=tree.district2, role=Role.SUPPORT, fiscal_share=Decimal("34.59")),
        Party(government=tree.street, role=Role.SUPPORT, fiscal_share=Decimal("0.01"))])
    assert by_rule(integrity.check())["every shared power has one lead and shares adding up to 100 %"].ok
