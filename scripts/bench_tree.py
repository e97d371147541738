#!/usr/bin/env python
"""Tree queries at national scale: ancestors and subtree of villages in a 500,000-government tree.

Builds the tree in a scratch database of its own (a temporary SQLite file, or with --postgres the
database powerlists_bench_tree on 127.0.0.1, dropped and recreated), then times the product's
queries against a baseline measured in the same run: the same rows fetched by one hand-written SQL
statement on the primary key. Prints the machine, the database and the size with the figures.

    .venv/bin/python scripts/bench_tree.py [--size 500000] [--postgres] [--samples 300]
"""
import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=500_000, help="about how many governments (default 500,000)")
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL on 127.0.0.1 instead of SQLite")
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()

    if args.postgres:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS powerlists_bench_tree")
            conn.execute("CREATE DATABASE powerlists_bench_tree")
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/powerlists_bench_tree"
    else:
        scratch = Path(tempfile.mkdtemp()) / "bench_tree.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerlists.settings")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from tqdm import tqdm

    from powerlists.models import Government, Tier
    from powerlists.queries import ancestors, subtree

    call_command("migrate", verbosity=0)

    # 1 province, 15 cities, 20 counties each, 12 towns each, the rest villages: about args.size in all.
    towns_total = 15 * 20 * 12
    villages_per_town = max(1, (args.size - 1 - 15 - 300 - towns_total) // towns_total)
    bar = tqdm(total=1 + 15 + 300 + towns_total * (1 + villages_per_town), desc="building tree", unit="gov",
               file=sys.stderr)

    def make(code, tier, parent_path, depth):
        return Government(code=code, name=code, tier=tier, path=f"{parent_path}{code}/", depth=depth,
                          search_text=code)

    def flush(rows):
        Government.objects.bulk_create(rows, batch_size=5000)
        bar.update(len(rows))
        rows.clear()

    rows = [make("P", Tier.PROVINCE, "/", 0)]
    flush(rows)
    province = Government.objects.get(code="P")
    rows = [make(f"P{c:02d}", Tier.CITY, province.path, 1) for c in range(15)]
    flush(rows)
    for city in Government.objects.filter(tier=Tier.CITY):
        rows += [make(f"{city.code}{k:02d}", Tier.COUNTY, city.path, 2) for k in range(20)]
    flush(rows)
    for county in Government.objects.filter(tier=Tier.COUNTY):
        rows += [make(f"{county.code}{t:03d}", Tier.TOWNSHIP, county.path, 3) for t in range(12)]
    flush(rows)
    for town in Government.objects.filter(tier=Tier.TOWNSHIP).iterator():
        rows += [make(f"{town.code}{v:03d}", Tier.VILLAGE, town.path, 4) for v in range(villages_per_town)]
        if len(rows) >= 50_000:
            flush(rows)
    flush(rows)
    bar.close()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE powerlists_government")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    total = Government.objects.count()
    village_ids = list(Government.objects.filter(tier=Tier.VILLAGE).values_list("id", flat=True))
    rng = random.Random(7)
    villages = list(Government.objects.filter(id__in=rng.sample(village_ids, args.samples)))
    counties = list(Government.objects.filter(tier=Tier.COUNTY)[: args.samples])

    def timed(fn, objs):
        times, queries = [], []
        for obj in objs:
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                fn(obj)
                times.append(time.perf_counter() - start)
            queries.append(len(ctx.captured_queries))
        times.sort()
        return statistics.median(times) * 1000, times[int(len(times) * 0.99) - 1] * 1000, max(queries)

    table = connection.ops.quote_name(Government._meta.db_table)

    def baseline_ancestors(g):  # the floor: the same rows by one raw statement on the same index
        codes = g.ancestor_codes
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table} WHERE code IN ({', '.join(['%s'] * len(codes))})", codes)
            cursor.fetchall()

    def baseline_subtree(g):  # the floor: the same rows by one raw range scan on the path index
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table} WHERE path >= %s AND path < %s", [g.path, g.path[:-1] + "0"])
            cursor.fetchall()

    def product_subtree(g):
        return list(subtree(g))

    county_size = 1 + 12 * (1 + villages_per_town)
    figures = [
        ("ancestors of a village", timed(ancestors, villages), timed(baseline_ancestors, villages)),
        ("subtree of a village", timed(product_subtree, villages), timed(baseline_subtree, villages)),
        (f"subtree of a county ({county_size:,})", timed(product_subtree, counties),
         timed(baseline_subtree, counties)),
    ]
    print(f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    version = connection.Database.sqlite_version if connection.vendor == "sqlite" else connection.pg_version
    print(f"database: {connection.vendor} {version}")
    print(f"governments: {total:,}")
    print(f"{'figure':32} {'p50 ms':>8} {'p99 ms':>8} {'queries':>8} {'baseline p50':>13} {'ratio':>6}")
    for name, (p50, p99, queries), (b50, _b99, _bq) in figures:
        print(f"{name:32} {p50:8.3f} {p99:8.3f} {queries:8d} {b50:13.3f} {p50 / b50:6.2f}")
    print("baseline: the same rows fetched by one hand-written SQL statement on the same index, "
          "in the same run; ratio = product / baseline")


if __name__ == "__main__":
    main()
