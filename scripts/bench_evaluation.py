#!/usr/bin/env python
"""Evaluation at scale: one round over 100,000 (item, town) pairs with evidence.

Builds the data in a scratch database of its own (a temporary SQLite file, or with --postgres the
database powerlists_bench_evaluation on 127.0.0.1, dropped and recreated) with bulk_create, then
times ``services.evaluation.run_round`` and prints the time, the pairs per second and the queries.

    .venv/bin/python scripts/bench_evaluation.py [--towns 500] [--items 200] [--postgres]
"""
import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--towns", type=int, default=500)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL on 127.0.0.1 instead of SQLite")
    parser.add_argument("--profile", action="store_true", help="print where the re-run spends its time")
    args = parser.parse_args()

    if args.postgres:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS powerlists_bench_evaluation")
            conn.execute("CREATE DATABASE powerlists_bench_evaluation")
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/powerlists_bench_evaluation"
    else:
        scratch = Path(tempfile.mkdtemp()) / "bench_evaluation.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerlists.settings")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from powerlists.models import Capacity, Department, Evidence, Exercise, Government, PowerItem, Tier
    from powerlists.services import evaluation

    call_command("migrate", verbosity=0)
    D = datetime.date
    start, end = D(2018, 1, 1), D(2019, 12, 31)

    built = time.perf_counter()

    def gov(code, tier, parent, depth):
        return Government(code=code, name=code, tier=tier, parent=parent,
                          path=f"{parent.path if parent else '/'}{code}/", depth=depth, search_text=code)

    province = Government.objects.bulk_create([gov("42", Tier.PROVINCE, None, 0)])[0]
    province = Government.objects.get(code="42")
    city = Government.objects.bulk_create([gov("4211", Tier.CITY, province, 1)])[0]
    city = Government.objects.get(code="4211")
    counties = [gov(f"4211{c:02d}", Tier.COUNTY, city, 2) for c in range(max(1, args.towns // 20))]
    Government.objects.bulk_create(counties)
    counties = list(Government.objects.filter(tier=Tier.COUNTY))
    towns = [gov(f"{counties[t % len(counties)].code}{t:04d}", Tier.TOWNSHIP, counties[t % len(counties)], 3)
             for t in range(args.towns)]
    Government.objects.bulk_create(towns, batch_size=2000)
    towns = list(Government.objects.filter(tier=Tier.TOWNSHIP))
    Department.objects.bulk_create([Department(government=g, name="便民服务中心", kind="service_centre")
                                    for g in towns], batch_size=2000)
    unit = dict(Department.objects.values_list("government_id", "id"))
    PowerItem.objects.bulk_create([
        PowerItem(government=city, code=f"I{i:05d}", name=f"事项{i}", category="licensing", statutory_days=20,
                  promised_days=10) for i in range(args.items)], batch_size=2000)
    items = list(PowerItem.objects.all())
    Exercise.objects.bulk_create([Exercise(item=it, government=city, role="holder", valid_from=D(2016, 1, 1))
                                  for it in items], batch_size=2000)
    holders = {e.item_id: e.pk for e in Exercise.objects.filter(role="holder")}
    Exercise.objects.bulk_create(
        (Exercise(item=it, government=g, role="receiver", source_id=holders[it.pk], valid_from=D(2017, 6, 1),
                  department_id=unit[g.pk] if n % 97 else None)
         for g in towns for n, it in enumerate(items)), batch_size=5000)
    Evidence.objects.bulk_create(
        (Evidence(item=it, government=g, period_start=start, period_end=end, cases_handled=(n * 7 + k) % 40,
                  satisfaction=Decimal(60 + (n + k) % 41), average_days=Decimal((n + 3 * k) % 25),
                  capacity=Capacity.ADEQUATE if (n + k) % 50 else Capacity.NO_QUALIFIED_STAFF)
         for k, g in enumerate(towns) for n, it in enumerate(items)), batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    built = time.perf_counter() - built
    pairs = len(towns) * len(items)

    rnd = evaluation.create_round(name="bench", period_start=start, period_end=end, scope_government=city)
    with CaptureQueriesContext(connection) as ctx:
        began = time.perf_counter()
        rnd = evaluation.run_round(rnd)
        took = time.perf_counter() - began
    first_queries = len(ctx.captured_queries)
    if args.profile:
        import cProfile
        import pstats

        cProfile.runctx("evaluation.run_round(rnd)", globals(), locals(), "/tmp/bench_evaluation.prof")
        pstats.Stats("/tmp/bench_evaluation.prof").sort_stats("tottime").print_stats(15)
    began = time.perf_counter()
    rnd = evaluation.run_round(rnd)  # a re-run replaces every undecided result
    rerun = time.perf_counter() - began

    print(f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    version = connection.Database.sqlite_version if connection.vendor == "sqlite" else connection.pg_version
    print(f"database: {connection.vendor} {version}")
    print(f"pairs: {pairs:,} ({len(towns):,} towns × {len(items):,} items), built in {built:.1f} s")
    print(f"run_round: {took:.2f} s, {pairs / took:,.0f} pairs/s, {first_queries} queries")
    print(f"re-run (replacing undecided results): {rerun:.2f} s, {pairs / rerun:,.0f} pairs/s")
    print(f"summary: {rnd.summary}")


if __name__ == "__main__":
    main()
