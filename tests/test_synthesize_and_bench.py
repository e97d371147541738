"""The generator (``synthesize``) keeps the model's invariants, and the benchmark's quick run prints every figure.

Both on SQLite and PostgreSQL: the synthetic county is written into the test database; the benchmark
runs as the command does, in a scratch database of its own for the database the tests run on.
"""
import datetime
import io
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from powerlists import services, synthesize
from powerlists.models import (
    Arrangement,
    AuditEvent,
    Batch,
    Exercise,
    Government,
    PowerItem,
    Role,
    Tier,
    Transfer,
    TransferKind,
)
from powerlists.queries import ancestors, counts, power_list, subtree

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def county(db):
    out = io.StringIO()
    expect, took, checks = synthesize.run("county", out=out, err=io.StringIO(), progress=False)
    return expect, took, checks, out.getvalue()


def test_county_scale_passes_its_own_checks(county):
    expect, took, checks, printed = county
    assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok]
    assert "written in" in printed and took < 60
    assert expect.governments == 1 + 1 + 1 + 6 + 30
    assert Government.objects.filter(path__startswith="/C9/").count() == 39


def test_county_scale_counts_and_lists(county):
    expect, *_ = county
    root = Government.objects.get(code="C9")
    assert [g.tier for g in subtree(root).order_by("depth").distinct()][:1] == [Tier.PROVINCE]
    assert Counter(subtree(root).values_list("tier", flat=True)) == {1: 1, 2: 1, 3: 1, 4: 6, 5: 30}
    county_gov = Government.objects.get(code="C90101")
    today = power_list(county_gov)
    assert 2900 <= len(today) <= 3100  # "a county's list runs to thousands of items"
    arrangements = Counter(r["arrangement"] for r in today)
    assert arrangements[Arrangement.RECEIVED] == 300  # from the city, over three batches
    assert arrangements[Arrangement.SHARED_LEAD] == 18
    assert arrangements[Arrangement.DEVOLVED_OUT] == 230 - 20 + 10  # devolved, recalled, devolved again
    past = power_list(county_gov, synthesize.PAST_DATE)
    assert len(past) == 2910  # before the 2022 cancellations and the 2023 city batch
    town = Government.objects.get(code="C90101001")
    assert 250 <= len(power_list(town)) <= 400  # hundreds per town
    village = Government.objects.get(code="C90101001001")
    assert [g.code for g in ancestors(village)] == ["C9", "C901", "C90101", "C90101001"]
    assert len(power_list(village)) == 8
    assert sum(v["exercises"] for v in counts(root, synthesize.STATS_DATE, "tier").values()) \
        == expect.by_date[synthesize.STATS_DATE]


def test_county_scale_keeps_the_invariants(county):
    rows = Exercise.objects.filter(government__path__startswith="/C9/")
    # one open row per (item, government), never two overlapping ones
    open_pairs = Counter(rows.filter(valid_to__isnull=True).values_list("item_id", "government_id"))
    assert max(open_pairs.values()) == 1
    by_pair = {}
    for item_id, gov_id, start, end in rows.values_list("item_id", "government_id", "valid_from", "valid_to"):
        by_pair.setdefault((item_id, gov_id), []).append((start, end or datetime.date.max))
    for spans in by_pair.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    # every receiver row has a source above it, in force when it began; closed rows name their transfer
    for row in rows.filter(role=Role.RECEIVER).select_related("source__government", "government")[:2000]:
        assert row.source.government.depth < row.government.depth
        assert row.government.is_within(row.source.government)
        assert row.source.is_in_force(row.valid_from)
    assert not rows.filter(valid_to__isnull=False, closed_by__isnull=True).exists()
    # paths follow the parents
    for gov in Government.objects.filter(path__startswith="/C9/").select_related("parent"):
        if gov.parent:
            assert gov.path == f"{gov.parent.path}{gov.code}/" and gov.depth == gov.parent.depth + 1
    # one audit event per transfer, as the services write them
    transfers = Transfer.objects.filter(giver__path__startswith="/C9/")
    assert transfers.count() == AuditEvent.objects.filter(
        action__startswith="transfer.", transfer__in=transfers).count() > 2000
    assert set(transfers.values_list("kind", flat=True)) == set(TransferKind.values)
    assert Batch.objects.filter(issuer__path__startswith="/C9/", state="effective").count() == 22
    event = AuditEvent.objects.filter(action="transfer.devolve", transfer__in=transfers).first()
    assert event.after["opened"][0]["role"] == Role.RECEIVER and event.before == {"state": "draft"}


def test_the_services_carry_on_from_synthesized_data(county):
    """Ids and sequences are right, and the rules accept the data: a devolution and a new government."""
    county_gov = Government.objects.get(code="C90101")
    town = Government.objects.get(code="C90101003")
    retained = next(r for r in power_list(county_gov)
                    if r["arrangement"] == Arrangement.RETAINED and r["item__lowest_tier"] >= Tier.TOWNSHIP)
    item = PowerItem.objects.get(pk=retained["item_id"])
    transfer = services.devolve(item=item, giver=county_gov, receiver=town, effective_on=datetime.date(2026, 1, 1))
    assert Exercise.objects.get(transfer=transfer).source_id == retained["id"]
    created = services.create_government(code="C9010199", name="新区", tier=Tier.TOWNSHIP, parent=county_gov)
    assert created.pk > Government.objects.exclude(pk=created.pk).order_by("-pk").first().pk


def test_a_scale_already_there_is_refused(county):
    with pytest.raises(CommandError) as info:
        call_command("synthesize", "--scale", "county", "--no-progress", stdout=io.StringIO(), stderr=io.StringIO())
    assert "已有" in str(info.value) and "already holds" in str(info.value)


def test_the_command_prints_its_time_and_checks(db):
    out = io.StringIO()
    call_command("synthesize", "--scale", "county", "--no-progress", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "written in" in text and "✓ one audit event per transfer" in text and "✗" not in text


FIGURE_LINES = [
    "API page of 100, JSON", "whole list as CSV", "page of 100 on 2021-06-30", "whole CSV on 2021-06-30",
    "from the cache (warm)", "If-None-Match → 304", "counts by tier and category", "ancestors of a village",
    "subtree of a village", "import 1,000 spreadsheet rows (XLSX)", "import 1,000 spreadsheet rows (CSV)",
    "propose 175 items × 9 receivers in one action", "evaluation round, 5,000 item-town pairs",
]


def test_bench_quick_prints_every_figure(run_names):
    """``bench --quick`` on the database the tests run on, in a scratch database of its own (named after the
    test database) and the run's own Redis, if it has one."""
    postgres = connection.vendor == "postgresql"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "bench", "--quick", "--postgres-only" if postgres else "--sqlite-only",
         "--scratch-name", run_names.scratch("bench"), "--redis-url", run_names.redis_url],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "machine:" in out and "database:" in out and "data:" in out
    for name in FIGURE_LINES:
        line = next((line for line in out.splitlines() if name in line), None)
        assert line is not None, f"no line for {name!r} in:\n{out}"
        assert any(mark in line for mark in ("✓", "✗", "·")), line
    assert "OUTPUTS DIFFER" not in out and "INCOMPLETE" not in out
    if postgres:
        assert out.count("under load:") == 3 and "floor /healthz" in out
        scratch = run_names.scratch("bench")
        assert re.findall(r"^=== postgresql, .* on .*: postgres://\S+/(\w+) ===$", out, re.M) == [
            f"{scratch}_reads", f"{scratch}_writes"], out
    else:
        assert "load test runs on PostgreSQL only" in out
