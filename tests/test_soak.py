"""The soak test at a small size, in the suite's PostgreSQL run: gunicorn on loopback, readers, editors and
reviewers at once for a few seconds, then zero 5xx, every invariant and the audit chain. The longer run
is ``python manage.py soak --seconds 600`` (see README, Development)."""
import io
import re

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

on_postgresql = pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
                                reason="the soak test runs the product on PostgreSQL (the suite's PostgreSQL run)")


@on_postgresql
def test_soak_at_a_small_size_passes_every_check(run_names):
    out = io.StringIO()
    # In a scratch database and under cache keys named after the test database, in the run's own Redis.
    call_command("soak", seconds=8, readers=4, editors=2, reviewers=1, items=30, districts=3,
                 scratch_name=run_names.scratch("soak"), redis_url=run_names.redis_url, stdout=out)
    report = out.getvalue()
    assert re.search(r"^soak: .* on postgres://\S+/(\w+)$", report, re.M)[1] == run_names.scratch("soak"), report
    assert "The soak test passed." in report, report
    for line in ("✓ no 5xx answer (0)", "✓ readers always got 200", "✓ the audit chain verifies",
                 "✓ nobody exercises an item twice at once", "✓ every received power traces back to its giver"):
        assert line in report, report
    assert "✗" not in report, report


def test_soak_refuses_an_out_of_range_option():
    with pytest.raises(CommandError, match="out of range"):
        call_command("soak", seconds=0, stdout=io.StringIO())
