"""What the benchmark measures, and the baseline each figure is held against (run in the scratch database).

Every product figure goes through the product's own entry point — the API or page through Django's test
client with the whole middleware stack, the queries layer for the tree, the import and evaluation
services — and its baseline does the same work by hand in the same run: one hand-written SQL statement
fetching the same rows, encoded to the same JSON or CSV (checked equal before timing), or the same
aggregate, or the same file parsed and its rows inserted with plain INSERTs. Times are medians of
interleaved repetitions after a warm-up; lists and statistics are measured cold (the cache emptied
before each repetition), and the warm figure is reported beside.
"""
from __future__ import annotations

import cProfile
import csv
import datetime
import io
import json
import pstats
import random
import sys
import time
import warnings
from collections.abc import Callable

from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from .. import synthesize
from ..models import (
    Arrangement,
    AuditEvent,
    Category,
    Department,
    Evidence,
    Exercise,
    Government,
    Initiation,
    PowerItem,
    Role,
    Tier,
    Transfer,
)
from . import evaluation as evaluation_data
from . import load
from .report import HEADER, Figure, database, machine, median, percentile, seconds, write

FIGURES = ("list", "past", "cache", "stats", "tree", "load", "import", "bulk", "evaluation")
# Figures that write (an import, an evaluation round) run in a fresh database of their own: the audit
# events they write can never be removed (the hash chain's triggers), and the data read stays the same.
WRITES = ("import", "bulk", "evaluation")
D = datetime.date


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model) -> str:
    return qn(model._meta.db_table)


def _iso(value):
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()


def _json_list(value):
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


def settings_base():
    from django.conf import settings

    return f"{settings.BASE_DIR}/"


def timed(fn: Callable) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


# --- the hand-written SQL -------------------------------------------------------------------------------


def _in_force(alias: str) -> str:
    return f"{alias}.valid_from <= %s AND ({alias}.valid_to IS NULL OR {alias}.valid_to > %s)"


def list_sql(*, export: bool = False, limit: bool = False) -> str:
    """One statement: the rows of a list on a date, with each row's arrangement decided in SQL."""
    E, It, G = table(Exercise), table(PowerItem), table(Government)
    Dp, Dv = table(Department), qn("powerlists_division")
    shared = ", ".join(f"'{r}'" for r in (Role.LEAD, Role.SUPPORT))
    arrangement = (
        f"CASE WHEN e.role = '{Role.RECEIVER}' THEN '{Arrangement.RECEIVED}' "
        f"WHEN e.role = '{Role.LEAD}' THEN '{Arrangement.SHARED_LEAD}' "
        f"WHEN e.role = '{Role.SUPPORT}' THEN '{Arrangement.SHARED_SUPPORT}' "
        f"WHEN EXISTS (SELECT 1 FROM {E} x WHERE x.source_id = e.id AND x.role = '{Role.RECEIVER}' "
        f"AND {_in_force('x')}) THEN '{Arrangement.DEVOLVED_OUT}' "
        f"WHEN EXISTS (SELECT 1 FROM {E} y WHERE y.item_id = e.item_id AND y.shared_by_id = e.government_id "
        f"AND y.role IN ({shared}) AND {_in_force('y')}) THEN '{Arrangement.SHARED_OUT}' "
        f"ELSE '{Arrangement.RETAINED}' END"
    )
    columns = ("e.id, e.item_id, i.code, i.name, i.category, i.field, i.legal_basis, i.statutory_days, "
               "i.promised_days, i.lowest_tier, i.is_core, i.parent_id, e.role, e.method, e.fiscal_share, "
               "e.department_id, d.name, dv.name, sg.code, sg.name, sb.code, e.valid_from, e.valid_to, "
               + arrangement)
    joins = (f"FROM {E} e JOIN {It} i ON i.id = e.item_id LEFT JOIN {Dp} d ON d.id = e.department_id "
             f"LEFT JOIN {Dv} dv ON dv.id = e.division_id LEFT JOIN {E} s ON s.id = e.source_id "
             f"LEFT JOIN {G} sg ON sg.id = s.government_id LEFT JOIN {G} sb ON sb.id = e.shared_by_id")
    if not export:  # for the 实施编码 of each row
        columns += ", d.credit_code, i.basic_code"
    if export:
        columns += (", sb.name, i.responsibilities, i.accountability, pi.code, i.basic_code, i.levels, i.initiation, "
                    "i.fee_basis, i.service_object, i.supervision, i.supervision_phone")
        joins += f" LEFT JOIN {It} pi ON pi.id = i.parent_id"
    sql = f"SELECT {columns} {joins} WHERE e.government_id = %s AND {_in_force('e')} ORDER BY i.category, i.code, e.id"
    return sql + (" LIMIT %s" if limit else "")


def list_params(government_id: int, day, limit: int | None = None) -> list:
    return [day, day, day, day, government_id, day, day] + ([limit] if limit else [])


def count_sql() -> str:
    return f"SELECT COUNT(*) FROM {table(Exercise)} e WHERE e.government_id = %s AND {_in_force('e')}"


def row_json(r, tier: int) -> dict:
    share = r[14]
    implementing = f"{r[24]}{tier + 1}{r[25]}" if r[24] and r[25] else None
    return {
        "item_id": r[1], "code": r[2], "name": r[3], "category": r[4], "field": r[5], "legal_basis": r[6],
        "statutory_days": r[7], "promised_days": r[8], "lowest_tier": r[9], "is_core": bool(r[10]),
        "parent_item_id": r[11], "role": r[12], "arrangement": r[23], "method": r[13],
        "fiscal_share": None if share is None else f"{share:.2f}", "department_id": r[15], "department": r[16],
        "division": r[17], "from_government": r[18], "shared_by": r[20], "valid_from": _iso(r[21]),
        "valid_to": _iso(r[22]), "exercise_id": r[0], "implementing_code": implementing,
    }


class CsvBaseline:
    """The export's bytes written from the raw rows: labels looked up, cells formula-guarded."""

    def __init__(self):
        from ..spreadsheets import EXPORT_COLUMNS

        self.headers = [c.header for c in EXPORT_COLUMNS]
        with translation.override("zh-hans"):
            self.category = {v: str(label) for v, label in Category.choices}
            self.tier = {v: str(label) for v, label in Tier.choices}
            self.arrangement = {v: str(label) for v, label in Arrangement.choices}
            self.initiation = {v: str(label) for v, label in Initiation.choices}

    def encode(self, rows) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.headers)
        cat, tier, arr = self.category, self.tier, self.arrangement
        for r in rows:
            share = r[14]
            cells = [
                r[2], r[3], cat.get(r[4], r[4] or ""), r[5], r[16] or "", r[17] or "", r[6], r[7], r[8],
                tier.get(r[9], ""), "；".join(_json_list(r[25])), "；".join(_json_list(r[26])),
                "是" if r[10] else "否", r[27] or "", r[28] or "", ",".join(str(v) for v in _json_list(r[29])),
                self.initiation.get(r[30], ""), r[31] or "", r[32] or "", r[33] or "", r[34] or "",
                arr.get(r[23], ""), r[12], r[19] or "",
                "" if share is None else f"{share:.2f}", _iso(r[21]) or "", _iso(r[22]) or "",
            ]
            writer.writerow(["" if c is None else ("'" + c if isinstance(c, str) and c and c[0] in "=+-@\t\r" else c)
                             for c in cells])
        return ("\ufeff" + out.getvalue()).encode("utf-8")


def stats_sql(vendor: str) -> str:
    E, It, G = table(Exercise), table(PowerItem), table(Government)
    prefix = "g.path LIKE %s" if vendor == "postgresql" else "g.path >= %s AND g.path < %s"
    base = (f"FROM {E} e JOIN {G} g ON g.id = e.government_id JOIN {It} i ON i.id = e.item_id "
            f"WHERE {prefix} AND {_in_force('e')}")
    if vendor == "postgresql":
        return (f"SELECT g.tier, i.category, COUNT(*), COUNT(DISTINCT e.item_id) {base} "
                f"GROUP BY GROUPING SETS ((g.tier), (i.category))")
    return (f"WITH r AS (SELECT g.tier AS tier, i.category AS category, e.item_id AS item_id {base}) "
            f"SELECT tier, NULL, COUNT(*), COUNT(DISTINCT item_id) FROM r GROUP BY tier UNION ALL "
            f"SELECT NULL, category, COUNT(*), COUNT(DISTINCT item_id) FROM r GROUP BY category")


def stats_params(vendor: str, path: str, day) -> list:
    if vendor == "postgresql":
        return [path + "%", day, day]
    return [path, path[:-1] + chr(ord("/") + 1), day, day]


# --- the benchmark -----------------------------------------------------------------------------------


class Bench:
    def __init__(self, *, scale: str, quick: bool, out, only: str | None = None, profile: bool = False,
                 load_seconds: float | None = None, connections: int | None = None, repeat: int | None = None):
        self.scale, self.quick, self.out, self.profile = scale, quick, out, profile
        self.only = set(only.split(",")) if only else set(FIGURES)
        unknown = self.only - set(FIGURES)
        if unknown:
            raise ValueError(f"unknown figures: {', '.join(sorted(unknown))}; choose from {', '.join(FIGURES)}")
        self.reps = repeat or (3 if quick else 9)
        self.load_seconds = load_seconds or (2.0 if quick else 10.0)
        self.connections = connections or 8
        self.vendor = connection.vendor
        self.client = Client(HTTP_HOST="127.0.0.1")
        self.figures: list[Figure] = []
        self.today = timezone.localdate()

    # --- plumbing ------------------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        write(self.out, text)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        self.say(figure.line())

    def get(self, path: str, params: dict | None = None, **headers):
        response = self.client.get(path, params or {}, **headers)
        if response.status_code not in (200, 304):
            raise RuntimeError(f"GET {path} {params or ''}: {response.status_code} {response.content[:300]!r}")
        return response

    def pair(self, product: Callable, baseline: Callable, reps: int | None = None, *, cold: bool = True):
        """Medians of interleaved repetitions, after one warm-up of each."""
        reps = reps or self.reps
        if cold:
            cache.clear()
        product()
        baseline()
        p, b = [], []
        for _ in range(reps):
            if cold:
                cache.clear()
            p.append(timed(product))
            b.append(timed(baseline))
        return median(p), median(b)

    def fetch(self, sql: str, params: list) -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    # --- the run ---------------------------------------------------------------------------------------

    def run(self) -> int:
        started = time.perf_counter()
        warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise, before collectstatic
        call_command("migrate", verbosity=0)
        self.ensure_data()
        root_code = synthesize.SHAPES[self.scale].root_codes()[0]
        self.root = Government.objects.filter(code=root_code).first()
        if self.root is not None:
            self.county = Government.objects.get(code=f"{root_code}0101")
            self.town = Government.objects.get(code=f"{self.county.code}001")
        self.header()
        self.say(HEADER)
        for name in FIGURES:
            if name in self.only:
                getattr(self, f"figure_{name}")()
        self.footer(time.perf_counter() - started)
        return 0

    def ensure_data(self) -> None:
        scales = []
        if self.only & {"list", "past", "cache", "stats", "load"} or ("tree" in self.only and self.scale == "county"):
            scales.append(self.scale)
        if "tree" in self.only and self.scale == "province":
            scales.append("nation")
        for scale in scales:
            found = synthesize.existing_roots(scale)
            if found:
                self.say(f"data: the {scale} scale is already in this database (built by an earlier run; "
                         f"--rebuild starts over)")
                continue
            _expect, took, checks = synthesize.run(scale, out=self.out, err=sys.stderr)
            failed = [c for c in checks if not c.ok]
            if failed:
                raise RuntimeError("synthesized data failed its checks: " + "; ".join(c.name for c in failed))
            self.say(f"data: synthesize --scale {scale} took {took:.1f} s here")

    def header(self) -> None:
        counts = {}
        for label, model in (("governments", Government), ("items", PowerItem), ("exercise rows", Exercise),
                             ("transfers", Transfer), ("audit events", AuditEvent)):
            counts[label] = self.fetch(f"SELECT COUNT(*) FROM {table(model)}", [])[0][0]
        self.say(machine())
        self.say(database())
        from django.conf import settings

        backend = settings.CACHES["default"]
        cache_backend = backend["BACKEND"].rsplit(".", 1)[-1] + (f" {backend['LOCATION']}" if "redis" in
                                                                  backend["BACKEND"].lower() else "")
        self.say(f"cache: {cache_backend}; mode: {'quick' if self.quick else 'full'}, {self.reps} repetitions "
                 f"(medians), lists and statistics cold unless marked warm")
        if self.root is not None:
            self.say("data: " + ", ".join(f"{n:,} {label}" for label, n in counts.items())
                     + f"; scale {self.scale} ({self.root.code} {self.root.name})")
        else:
            self.say("data: a fresh database; the figures below build their own data")
        self.say(f"today: {self.today}; past date: {synthesize.PAST_DATE}; statistics date: {synthesize.STATS_DATE}")
        self.say()

    def footer(self, took: float) -> None:
        failed = [f for f in self.figures if f.ok is False]
        self.say()
        self.say(f"{sum(1 for f in self.figures if f.ok)} ✓, {len(failed)} ✗, "
                 f"{sum(1 for f in self.figures if f.ok is None)} reported without a goal; the run took {took:.0f} s")
        self.say("baseline: the same work by hand in the same run — one hand-written SQL statement for the same rows "
                 "encoded to the same bytes (checked equal), the same aggregate, raw SQL on the same index, or the "
                 "same file parsed and inserted with plain INSERTs; ratio = product / baseline")
        if self.profile:
            for f in failed:
                if f.profile is not None:
                    self.explain(f)

    def explain(self, figure: Figure) -> None:
        """Where the product's time goes in a ✗ figure: cProfile's top functions and the slowest query's plan."""
        self.say()
        self.say(f"--- profile: {figure.name}")
        cache.clear()
        profiler = cProfile.Profile()
        with CaptureQueriesContext(connection) as ctx:
            profiler.enable()
            figure.profile()
            profiler.disable()
        for order, limit, pattern in (("tottime", 10, ""), ("cumulative", 14, r"powerlists|rest_framework|django/db"
                                                                               r"|django/core/handlers/base|listcache")):
            stream = io.StringIO()
            stats = pstats.Stats(profiler, stream=stream).sort_stats(order)
            if pattern:
                stats.print_stats(pattern, limit)
            else:
                stats.print_stats(limit)
            lines = [line for line in stream.getvalue().splitlines() if line.strip()]
            start = next((k for k, line in enumerate(lines) if line.strip().startswith("ncalls")), 0)
            self.say(f"    by {order} time:" if order == "tottime" else "    by cumulative time (product and framework):")
            for line in lines[start:start + limit + 1]:
                self.say("    " + line.replace(str(settings_base()), "").replace(sys.prefix, "…"))
        queries = sorted(ctx.captured_queries, key=lambda q: float(q.get("time") or 0), reverse=True)
        total = sum(float(q.get("time") or 0) for q in ctx.captured_queries)
        self.say(f"    {len(queries)} queries, {total * 1000:.0f} ms in the database driver")
        if queries and self.vendor == "postgresql":
            sql = queries[0]["sql"]
            if sql.lstrip().upper().startswith("SELECT"):
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plan = [row[0] for row in cursor.fetchall()]
                self.say(f"    slowest query ({float(queries[0]['time']) * 1000:.0f} ms), its plan:")
                for line in plan[:30]:
                    self.say("      " + line)

    # --- 1. a county's list through the API and the export ----------------------------------------------

    def figure_list(self) -> None:
        gov, day = self.county, self.today
        n = self.fetch(count_sql(), [gov.pk, day, day])[0][0]
        self.list_rows = n
        url = f"/api/v1/governments/{gov.code}/powers/"
        page_sql = list_sql(limit=True)

        def product_page(params=None):
            return self.get(url, {"page_size": 100, **(params or {})})

        def baseline_page(on=day):
            count = self.fetch(count_sql(), [gov.pk, on, on])[0][0]
            rows = self.fetch(page_sql, list_params(gov.pk, on, 100))
            data = {"count": count, "next": f"http://127.0.0.1{url}?page=2&page_size=100" if count > 100 else None,
                    "previous": None, "results": [row_json(r, gov.tier) for r in rows]}
            return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

        cache.clear()
        same = json.loads(product_page().content) == json.loads(baseline_page())
        p, b = self.pair(product_page, baseline_page)
        self.add(Figure(f"county list {gov.code} ({n:,} rows): API page of 100, JSON", p, b, "≤ 2× baseline",
                        p <= 2 * b, "" if same else "OUTPUTS DIFFER", profile=product_page))

        export = f"/g/{gov.code}/export.csv"
        encoder = CsvBaseline()
        export_sql = list_sql(export=True)

        def product_csv(params=None):
            return self.get(export, params)

        def baseline_csv(on=day):
            return encoder.encode(self.fetch(export_sql, list_params(gov.pk, on)))

        cache.clear()
        same = product_csv().content == baseline_csv()
        reps = max(3, self.reps // 2)
        p, b = self.pair(product_csv, baseline_csv, reps)
        self.add(Figure(f"county list {gov.code}: whole list as CSV (export)", p, b, "≤ 2× baseline", p <= 2 * b,
                        ("" if same else "OUTPUTS DIFFER; ") + f"{len(baseline_csv()) / 1024:,.0f} KB",
                        profile=product_csv))
        self._product_page, self._product_csv, self._baseline_page = product_page, product_csv, baseline_page

    # --- 2. the same list on a past date ---------------------------------------------------------------

    def figure_past(self) -> None:
        if not hasattr(self, "_product_page"):
            self.figure_list()
        past = synthesize.PAST_DATE
        n_past = self.fetch(count_sql(), [self.county.pk, past, past])[0][0]
        page, export = self._product_page, self._product_csv
        p, b = self.pair(lambda: page({"as_of": past.isoformat()}), page)
        self.add(Figure(f"county list: page of 100 on {past} ({n_past:,} rows) vs today", p, b, "≤ 1.2× today",
                        p <= 1.2 * b, "baseline: the product's own page today",
                        profile=lambda: page({"as_of": past.isoformat()})))
        reps = max(3, self.reps // 2)
        p, b = self.pair(lambda: export({"date": past.isoformat()}), export, reps)
        self.add(Figure(f"county list: whole CSV on {past} vs today", p, b, "≤ 1.2× today", p <= 1.2 * b,
                        "baseline: the product's own export today",
                        profile=lambda: export({"date": past.isoformat()})))

    # --- 3. answers from the cache -----------------------------------------------------------------------

    def figure_cache(self) -> None:
        if not hasattr(self, "_product_page"):
            self.figure_list()
        page, baseline = self._product_page, self._baseline_page
        p, b = self.pair(page, baseline, cold=False)
        self.add(Figure("county list: page of 100 from the cache (warm)", p, b, "—", None,
                        "the same request again: Redis or process memory"))
        etag = page()["ETag"]
        url = f"/api/v1/governments/{self.county.code}/powers/"

        def conditional():
            response = self.client.get(url, {"page_size": 100}, HTTP_IF_NONE_MATCH=etag)
            if response.status_code != 304:
                raise RuntimeError(f"expected 304, got {response.status_code}")

        if etag:
            p, b = self.pair(conditional, baseline, cold=False)
            self.add(Figure("county list: page of 100, If-None-Match → 304", p, b, "—", None,
                            "a client holding the list revalidates it"))

    # --- 4. statistics over the province's subtree ------------------------------------------------------

    def figure_stats(self) -> None:
        root, day = self.root, synthesize.STATS_DATE
        sql, params = stats_sql(self.vendor), stats_params(self.vendor, root.path, day)

        def product():
            return self.get("/api/v1/stats/", {"government": root.code, "by": "tier,category", "as_of": day.isoformat()})

        def baseline():
            return self.fetch(sql, params)

        rows = baseline()
        expected = {"tier": {}, "category": {}}
        for tier, category, exercises, items in rows:
            if tier is not None:
                expected["tier"][str(tier)] = (exercises, items)
            else:
                expected["category"][category] = (exercises, items)
        cache.clear()
        data = json.loads(product().content)
        got = {g["by"]: {x["key"]: (x["exercises"], x["items"]) for x in g["groups"]} for g in data["groupings"]}
        same = got == expected
        in_force = sum(x[0] for x in expected["tier"].values())
        reps = max(3, self.reps // 2)
        p, b = self.pair(product, baseline, reps)
        goal = "≤ 1.5×, < 0.5 s" if self.vendor == "postgresql" else "≤ 1.5× baseline"
        ok = p <= 1.5 * b and (p < 0.5 or self.vendor != "postgresql")
        self.add(Figure(f"counts by tier and category, {root.code} subtree on {day}", p, b, goal, ok,
                        ("" if same else "OUTPUTS DIFFER; ") + f"over {in_force:,} rows in force; "
                        f"baseline one statement ({'GROUPING SETS' if self.vendor == 'postgresql' else 'UNION ALL'})",
                        profile=product))
        p_warm, _ = self.pair(product, baseline, reps, cold=False)
        self.add(Figure("counts by tier and category, from the cache (warm)", p_warm, b, "—", None, ""))

    # --- 5. the tree -----------------------------------------------------------------------------------

    def figure_tree(self) -> None:
        from ..queries import ancestors, subtree

        nation = synthesize.SHAPES["nation"].root_codes()
        roots = list(Government.objects.filter(code__in=nation)) if self.scale == "province" else []
        if not roots and self.root is not None:
            roots = [self.root]
        if not roots:
            self.say("(no tree to measure: the scale's data is not in this database)")
            return
        size = sum(subtree(r).count() for r in roots)
        label = "nation tree" if roots[0].code in nation else f"{self.scale} tree"
        rng = random.Random(7)
        samples = 30 if self.quick else 300
        first_villages = []
        for r in roots[:8]:
            first_villages += list(Government.objects.filter(path__startswith=r.path, tier=Tier.VILLAGE)
                                   .values_list("id", flat=True)[:5000])
        villages = list(Government.objects.filter(id__in=rng.sample(first_villages, min(samples, len(first_villages)))))
        counties = list(Government.objects.filter(path__startswith=roots[0].path, tier=Tier.COUNTY)[: samples // 3 or 1])
        G = table(Government)

        def measure(fn, objs):
            times, queries = [], 0
            for obj in objs:
                with CaptureQueriesContext(connection) as ctx:
                    times.append(timed(lambda o=obj: fn(o)))
                queries = max(queries, len(ctx.captured_queries))
            return median(times), percentile(times, 99), queries

        def base_ancestors(g):
            codes = g.ancestor_codes
            self.fetch(f"SELECT * FROM {G} WHERE code IN ({', '.join(['%s'] * len(codes))})", codes)

        def base_subtree(g):
            self.fetch(f"SELECT * FROM {G} WHERE path >= %s AND path < %s", [g.path, g.path[:-1] + "0"])

        plan = ""
        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                qs = subtree(villages[0])
                sql, params = qs.query.sql_with_params()
                cursor.execute("EXPLAIN " + sql, params)
                scans = [row[0].split("  (")[0].strip(" ->") for row in cursor.fetchall() if "Scan" in row[0]]
                plan = "; plan: " + ", ".join(scans)
        for name, fn, base, objs in (
            ("ancestors of a village", ancestors, base_ancestors, villages),
            ("subtree of a village", lambda g: list(subtree(g)), base_subtree, villages),
        ):
            measure(fn, objs[:5])
            p50, p99, queries = measure(fn, objs)
            b50, _b99, _ = measure(base, objs)
            self.add(Figure(f"{name} ({label}, {size:,} governments)", p50, b50, "< 5 ms, 1 query",
                            p50 < 0.005 and queries == 1,
                            f"p99 {seconds(p99)}, {queries} quer{'y' if queries == 1 else 'ies'}, {len(objs)} samples"
                            + (plan if name.startswith("subtree") else "")))
        if counties:
            n = subtree(counties[0]).count()
            p50, p99, queries = measure(lambda g: list(subtree(g)), counties)
            b50, _, _ = measure(base_subtree, counties)
            self.add(Figure(f"subtree of a county (~{n:,} governments)", p50, b50, "—", None,
                            f"p99 {seconds(p99)}, {queries} query"))

    # --- 6. import --------------------------------------------------------------------------------------

    def _bench_root(self) -> Government:
        from .. import services

        if not hasattr(self, "_root_bm"):
            code = evaluation_data.next_root("BM")
            self._root_bm = services.create_government(code=code, name=f"基准测试{code}", tier=Tier.PROVINCE,
                                                       actor_name="bench")
            self._targets = 0
        return self._root_bm

    def _target(self, label: str) -> Government:
        from .. import services

        root = self._bench_root()
        self._targets += 1
        government = services.create_government(code=f"{root.code}{self._targets:02d}", name=f"{label}开发区",
                                                tier=Tier.COUNTY, parent=root, kind="开发区", actor_name="bench")
        services.create_department(government=government, name="发展和改革局", actor_name="bench")
        return government

    def figure_import(self) -> None:
        from ..services import imports
        from ..spreadsheets import ITEM_COLUMNS, write_csv, write_xlsx

        n = 1000 if self.quick else 10_000
        pool = synthesize.item_pool()
        with translation.override("zh-hans"):
            labels = {v: str(label) for v, label in Category.choices}
        records = []
        for i in range(n):
            spec = pool[i % len(pool)]
            records.append({"code": f"M{i:05d}", "name": spec.name, "category": labels[spec.category],
                            "field": spec.field, "department": "发展和改革局", "statutory_days": "20",
                            "promised_days": "10", "responsibilities": "受理责任；审查责任；决定责任",
                            "lowest_tier": "乡级（街道、镇、乡）",
                            "parent_code": "" if i % 10 == 0 else f"M{i - i % 10:05d}"})
        files = {"XLSX": ("items.xlsx", write_xlsx(records, ITEM_COLUMNS)),
                 "CSV": ("items.csv", write_csv(records, ITEM_COLUMNS))}
        for kind, (filename, data) in files.items():
            target, other = self._target("导入"), self._target("对照")

            def product(target, filename=filename, data=data):
                getattr(imports, "_PARSED", {}).clear()  # the file is parsed once, as on a first upload
                preview = imports.preview_import(target, data, filename)
                if preview.counts["new"] != n:
                    raise RuntimeError(f"import preview: {preview.counts} {preview.errors[:1]}")
                imports.apply_import(target, data, filename, None, preview.fingerprint, actor_name="bench",
                                     holder_from=D(2020, 1, 1))

            p = timed(lambda product=product, target=target: product(target))
            b = timed(lambda other=other, filename=filename, data=data: self.baseline_import(other, filename, data))
            created = PowerItem.objects.filter(government=target).count()
            events = AuditEvent.objects.filter(government=target, action="item.create").count()
            self.add(Figure(f"import {n:,} spreadsheet rows ({kind}): preview + apply", p, b, "≥ 2,000 rows/s",
                            n / p >= 2000,
                            f"{n / p:,.0f} rows/s (baseline {n / b:,.0f}); {created:,} items, {events:,} audit events"
                            + ("" if created == n and events == n else " — INCOMPLETE"),
                            profile=lambda product=product: product(self._target("剖析"))))

    def baseline_import(self, government: Government, filename: str, data: bytes) -> None:
        """The file parsed with the same library, its rows inserted with plain INSERTs: items (main items
        first, then sub-items under their ids), holder rows and one audit event per item."""
        if filename.endswith(".xlsx"):
            from openpyxl import load_workbook

            sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
            rows = [["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)]
        else:
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        header, body = rows[0], rows[1:]
        col = {h: i for i, h in enumerate(header)}
        with translation.override("zh-hans"):
            categories = {str(label): v for v, label in Category.choices}
            tiers = {str(label): v for v, label in Tier.choices}
        department = Department.objects.get(government=government, name="发展和改革局").pk
        now = timezone.now()
        items_table = PowerItem._meta.db_table
        json_cast = "::jsonb" if self.vendor == "postgresql" else ""
        item_columns = ["government_id", "department_id", "code", "name", "category", "field", "legal_basis",
                        "statutory_days", "promised_days", "responsibilities", "accountability", "parent_id",
                        "lowest_tier", "is_core", "version", "created_at", "updated_at"]
        # Every other column that needs a value gets the model's default ("" for text without one).
        extra = [f for f in PowerItem._meta.concrete_fields
                 if not f.primary_key and f.attname not in item_columns and (f.has_default() or not f.null)]
        marks = ", ".join(f"%s{json_cast}" if c in ("responsibilities", "accountability") else "%s"
                          for c in item_columns) + "".join(", %s" for _ in extra)
        insert_item = (f"INSERT INTO {qn(items_table)} ({', '.join(qn(c) for c in item_columns)}"
                       + "".join(", " + qn(f.column) for f in extra) + f") VALUES ({marks})")
        defaults = [f.get_default() for f in extra]
        defaults = [json.dumps(d) if isinstance(d, list | dict) else d for d in defaults]

        def item_row(cells, parent_id):
            days = [int(cells[col[h]]) if cells[col[h]] else None for h in ("法定时限（工作日）", "承诺时限（工作日）")]
            resp = [x for x in cells[col["责任事项"]].split("；") if x]
            return [government.pk, department, cells[col["事项编码"]], cells[col["事项名称"]],
                    categories[cells[col["权力类别"]]], cells[col["领域"]], cells[col["设定依据"]],
                    days[0], days[1], json.dumps(resp), "[]", parent_id, tiers.get(cells[col["法定最低实施层级"]], 5),
                    False, 1, now, now, *defaults]

        parent_col = col["所属主项编码"]
        with transaction.atomic(), connection.cursor() as cursor:
            mains = [r for r in body if not r[parent_col]]
            subs = [r for r in body if r[parent_col]]
            cursor.executemany(insert_item, [item_row(r, None) for r in mains])
            ids = dict(self.fetch(f"SELECT code, id FROM {qn(items_table)} WHERE government_id = %s", [government.pk]))
            cursor.executemany(insert_item, [item_row(r, ids[r[parent_col]]) for r in subs])
            ids = dict(self.fetch(f"SELECT code, id FROM {qn(items_table)} WHERE government_id = %s", [government.pk]))
            exercise_columns = ["item_id", "government_id", "role", "department_id", "method", "valid_from",
                                "created_at"]
            exercise_extra = [f for f in Exercise._meta.concrete_fields if not f.primary_key
                              and f.attname not in exercise_columns and (f.has_default() or not f.null)]
            exercise_defaults = [json.dumps(d) if isinstance(d, list | dict) else d
                                 for d in (f.get_default() for f in exercise_extra)]
            cursor.executemany(
                f"INSERT INTO {table(Exercise)} ({', '.join(exercise_columns + [f.column for f in exercise_extra])}) "
                f"VALUES ({', '.join(['%s'] * (len(exercise_columns) + len(exercise_extra)))})",
                [(ids[r[0]], government.pk, Role.HOLDER, department, "", D(2020, 1, 1), now, *exercise_defaults)
                 for r in body])
            # One event per item with the item and its holder row as the product records them, signed for the
            # audit chain when the model has one (the database seals it: on insert on SQLite, at commit on
            # PostgreSQL).
            signed = {f.attname for f in AuditEvent._meta.concrete_fields} >= {"content_hash"}
            if signed:
                from ..audit_chain import content_hash
            events = []
            for r in body:
                pk = ids[r[0]]
                after = {"id": pk, "government_id": government.pk, "department_id": department, "code": r[0],
                         "name": r[1], "category": categories[r[2]], "field": r[3], "statutory_days": r[7] or None,
                         "promised_days": r[8] or None, "responsibilities": [x for x in r[10].split("；") if x],
                         "lowest_tier": tiers.get(r[9], 5), "holding": {"item_id": pk, "government_id": government.pk,
                                                                         "role": Role.HOLDER, "valid_from": "2020-01-01"}}
                values = {"at": now, "actor_id": None, "actor_name": "bench", "action": "item.create",
                          "object_type": "poweritem", "object_id": str(pk), "government_id": government.pk,
                          "item_id": pk, "transfer_id": None, "batch_id": None, "before": None, "after": after,
                          "reason": ""}
                row = [now, str(pk), government.pk, pk, json.dumps(after, ensure_ascii=False)]
                if signed:
                    row.append(content_hash(values))
                events.append(row)
            cursor.executemany(
                f"INSERT INTO {table(AuditEvent)} (at, actor_name, action, object_type, object_id, government_id, "
                f"item_id, after, reason{', content_hash' if signed else ''}) VALUES (%s, 'bench', 'item.create', "
                f"'poweritem', %s, %s, %s, %s{json_cast}, ''{', %s' if signed else ''})", events)

    # --- bulk proposals ---------------------------------------------------------------------------------

    BULK_ITEMS, BULK_RECEIVERS = 175, 9  # Harbin's reform: 175 powers to nine districts

    def _bulk_world(self, label: str):
        """A city holding 175 items, its nine districts, and an editor of the city."""
        from django.contrib.auth import get_user_model

        from accounts.models import Membership

        from .. import services

        root = self._bench_root()
        self._targets += 1
        city = services.create_government(code=f"{root.code}{self._targets:02d}", name=f"{label}市", tier=Tier.CITY,
                                          parent=root, actor_name="bench")
        districts = [services.create_government(code=f"{city.code}{n:02d}", name=f"{label}第{n}区", tier=Tier.COUNTY,
                                                parent=city, kind="区", actor_name="bench")
                     for n in range(1, self.BULK_RECEIVERS + 1)]
        pool = synthesize.item_pool()
        items = [services.create_item(government=city, code=f"B{n:04d}", name=f"{pool[n % len(pool)].name}{n}",
                                      category=Category.LICENSING, field=pool[n % len(pool)].field,
                                      holder_from=D(2015, 1, 1), actor_name="bench")
                 for n in range(self.BULK_ITEMS)]
        user = get_user_model().objects.create_user(f"bench-{city.code}")
        Membership.objects.create(user=user, government=city, role="editor")
        return city, districts, items, user

    def figure_bulk(self) -> None:
        from ..services.bulk import propose_bulk

        n_pairs = self.BULK_ITEMS * self.BULK_RECEIVERS
        city, districts, items, user = self._bulk_world("批量")

        def product(city=city, districts=districts, items=items, user=user):
            result = propose_bulk(actor=user, kind="devolve", giver=city, receivers=districts, items=items,
                                  effective_on=D(2017, 3, 1), reason="简政放权", new_batch={"title": "批量下放"})
            if not result.written or len(result.transfers) != n_pairs:
                raise RuntimeError(f"bulk proposal: {len(result.refused)} refused, e.g. "
                                   f"{[(p.code, p.message_en) for p in result.refused[:1]]}")

        other = self._bulk_world("对照")
        p = timed(product)
        b = timed(lambda: self.baseline_bulk(*other))
        made = Transfer.objects.filter(giver=city).count()
        events = AuditEvent.objects.filter(government=city, action="workflow.propose").count()
        goal_met = p < 10.0 if self.vendor == "postgresql" else None
        self.add(Figure(f"propose {self.BULK_ITEMS} items × {self.BULK_RECEIVERS} receivers in one action", p, b,
                        "< 10 s on PostgreSQL", goal_met,
                        f"{n_pairs:,} drafts checked and written, {events:,} audit events ({n_pairs / p:,.0f} pairs/s)"
                        + ("" if made == n_pairs and events == n_pairs else " — INCOMPLETE"),
                        profile=lambda: propose_bulk(actor=self._bulk_world("剖析")[3], kind="devolve",
                                                     giver=city, receivers=districts, items=items,
                                                     effective_on=D(2017, 3, 1), dry_run=True)))

    def baseline_bulk(self, city, districts, items, user) -> None:
        """The same drafts inserted by hand: one INSERT run for the transfers, one for their makers, one for
        their audit events — no rule checked (the product checks every pair against the rows first)."""
        now = timezone.now()
        transfer_columns = ["kind", "item_id", "giver_id", "receiver_id", "origin", "method", "effective_on",
                            "reason", "state", "created_by_id", "created_at", "updated_at", "version"]
        extra = [f for f in Transfer._meta.concrete_fields
                 if not f.primary_key and f.attname not in transfer_columns and (f.has_default() or not f.null)]
        defaults = [json.dumps(d) if isinstance(d, list | dict) else d for d in (f.get_default() for f in extra)]
        json_cast = "::jsonb" if self.vendor == "postgresql" else ""
        marks = ", ".join(["%s"] * len(transfer_columns)) + "".join(
            f", %s{json_cast}" if f.get_internal_type() == "JSONField" else ", %s" for f in extra)
        rows = [("devolve", item.pk, city.pk, d.pk, "offered", "direct", D(2017, 3, 1), "简政放权", "draft", user.pk,
                 now, now, 1, *defaults) for item in items for d in districts]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table(Transfer)} ({', '.join(qn(c) for c in transfer_columns + [f.column for f in extra])})"
                f" VALUES ({marks})", rows)
            ids = [r[0] for r in self.fetch(f"SELECT id FROM {table(Transfer)} WHERE giver_id = %s", [city.pk])]
            cursor.executemany(f"INSERT INTO {qn(Transfer.editors.through._meta.db_table)} (transfer_id, user_id) "
                               f"VALUES (%s, %s)", [(pk, user.pk) for pk in ids])
            signed = {f.attname for f in AuditEvent._meta.concrete_fields} >= {"content_hash"}
            if signed:
                from ..audit_chain import content_hash
            events = []
            for pk in ids:
                after = {"id": pk, "state": "draft", "kind": "devolve"}
                values = {"at": now, "actor_id": user.pk, "actor_name": "", "action": "workflow.propose",
                          "object_type": "transfer", "object_id": str(pk), "government_id": city.pk, "item_id": None,
                          "transfer_id": pk, "batch_id": None, "before": None, "after": after, "reason": "简政放权"}
                row = [now, user.pk, str(pk), city.pk, pk, json.dumps(after)]
                if signed:
                    row.append(content_hash(values))
                events.append(row)
            cursor.executemany(
                f"INSERT INTO {table(AuditEvent)} (at, actor_id, actor_name, action, object_type, object_id, "
                f"government_id, transfer_id, after, reason{', content_hash' if signed else ''}) VALUES (%s, %s, '', "
                f"'workflow.propose', 'transfer', %s, %s, %s, %s{json_cast}, '简政放权'{', %s' if signed else ''})",
                events)

    # --- 7. evaluation ----------------------------------------------------------------------------------

    def figure_evaluation(self) -> None:
        from ..services import evaluation

        towns, items = (50, 100) if self.quick else (500, 200)
        built = time.perf_counter()
        city = evaluation_data.build(towns, items)
        built = time.perf_counter() - built
        start, end = evaluation_data.PERIOD
        pairs = towns * items
        rnd = evaluation.create_round(name="bench", period_start=start, period_end=end, scope_government=city)
        with CaptureQueriesContext(connection) as ctx:
            p = timed(lambda: evaluation.run_round(rnd))
        queries = len(ctx.captured_queries)
        rnd.refresh_from_db()
        b = timed(lambda: self.baseline_evaluation(city, start, end))
        self.add(Figure(f"evaluation round, {pairs:,} item-town pairs", p, b, "< 10 s", p < 10,
                        f"{pairs / p:,.0f} pairs/s, {queries} queries, {rnd.summary.get('results', 0):,} results; "
                        f"data built in {built:.0f} s",
                        profile=lambda: evaluation.run_round(rnd)))

    def baseline_evaluation(self, city: Government, start, end) -> None:
        """The round's inputs read by two hand-written statements, and as many result rows written by one
        INSERT per chunk into a temporary table of the same shape."""
        E, G, V = table(Exercise), table(Government), table(Evidence)
        prefix = "g.path LIKE %s" if self.vendor == "postgresql" else "g.path >= %s AND g.path < %s"
        pparams = [city.path + "%"] if self.vendor == "postgresql" else [city.path, city.path[:-1] + "0"]
        pairs = self.fetch(f"SELECT e.id, e.item_id, e.government_id, e.department_id FROM {E} e "
                           f"JOIN {G} g ON g.id = e.government_id WHERE {prefix} AND e.role = 'receiver' "
                           f"AND e.valid_from <= %s AND (e.valid_to IS NULL OR e.valid_to > %s)", [*pparams, end, start])
        evidence = self.fetch(f"SELECT v.item_id, v.government_id, v.cases_handled, v.satisfaction, v.average_days, "
                              f"v.capacity FROM {V} v JOIN {G} g ON g.id = v.government_id WHERE {prefix} "
                              f"AND v.period_start >= %s AND v.period_end <= %s", [*pparams, start, end])
        by_pair = {(r[0], r[1]): r for r in evidence}
        rows = [(pk, item, gov, "promotable", "bench", json.dumps({"cases": (by_pair.get((item, gov)) or [0, 0, 0])[2]}))
                for pk, item, gov, _dept in pairs]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE bench_results (exercise_id bigint, item_id bigint, "
                           "government_id bigint, suggested varchar(20), rule varchar(50), figures text)")
            cursor.executemany("INSERT INTO bench_results VALUES (%s, %s, %s, %s, %s, %s)", rows)
            cursor.execute("DROP TABLE bench_results")

    # --- 8. concurrent load ----------------------------------------------------------------------------

    def figure_load(self) -> None:
        if self.vendor != "postgresql":
            self.say("(the load test runs on PostgreSQL only: gunicorn's processes share one database server)")
            return
        from django.urls import NoReverseMatch, reverse

        try:
            floor = reverse("healthz")
            floor_label = "/healthz (checks the database and the cache)"
        except NoReverseMatch:
            floor, floor_label = "/api/v1/", "the API root /api/v1/"
        if not hasattr(self, "list_rows"):
            self.list_rows = self.fetch(count_sql(), [self.county.pk, self.today, self.today])[0][0]
        town_rows = self.fetch(count_sql(), [self.town.pk, self.today, self.today])[0][0]
        targets = [
            (f"public list page /g/{self.county.code}/ ({self.list_rows:,} rows)", f"/g/{self.county.code}/"),
            (f"public list page /g/{self.town.code}/ ({town_rows:,} rows)", f"/g/{self.town.code}/"),
            ("API page of 100 (JSON, served from the cache)",
             f"/api/v1/governments/{self.county.code}/powers/?page_size=100"),
        ]
        seconds_each = self.load_seconds
        with load.Server() as server:
            warm = 0.5 if self.quick else 1.0
            for path in [floor] + [p for _, p in targets]:
                load.generate(server.port, path, warm, 2)
            base = load.generate(server.port, floor, seconds_each, self.connections)
            self.say(f"(load: {self.connections} connections for {seconds_each:.0f} s per path, closed loop, on "
                     f"loopback; {server.description}; floor {floor_label}: {base.rps:,.0f} req/s, "
                     f"p50 {seconds(base.p(50))}, p99 {seconds(base.p(99))}, {base.errors} errors)")
            for name, path in targets:
                r = load.generate(server.port, path, seconds_each, self.connections)
                self.add(Figure(f"under load: {name}", r.p(50), base.p(50), "—", None,
                                f"{r.rps:,.1f} req/s (floor {base.rps:,.0f}); p99 {seconds(r.p(99))} "
                                f"(floor {seconds(base.p(99))}); {r.requests:,} requests, {r.errors} errors, "
                                f"{r.bytes / max(1, r.requests) / 1024:,.0f} KB each"))


def main(**options) -> int:
    bench = Bench(scale=options["scale"], quick=options["quick"], out=options.get("out") or sys.stdout,
                  only=options.get("only"), profile=options.get("profile", False),
                  load_seconds=options.get("load_seconds"), connections=options.get("connections"),
                  repeat=options.get("repeat"))
    return bench.run()


__all__ = ["FIGURES", "Bench", "main"]
