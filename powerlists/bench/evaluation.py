"""The data of an evaluation round at scale: towns × items devolved from one city, with evidence.

Moved here from ``scripts/bench_evaluation.py`` (which now runs the benchmark): a city of its own under a
root of its own (``EV<run>``), ``towns`` towns each receiving the city's ``items`` items from 2017-06-01
and one evidence row per (item, town) over 2018–2019, written with ``bulk_create``.
"""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection

from ..models import Capacity, Department, Evidence, Exercise, Government, PowerItem, Tier

D = datetime.date
PERIOD = (D(2018, 1, 1), D(2019, 12, 31))


def next_root(prefix: str) -> str:
    """A root code not used yet: ``prefix`` and the next free run number (the benchmark's own data)."""
    used = Government.objects.filter(code__startswith=prefix, parent__isnull=True).count()
    while True:
        used += 1
        code = f"{prefix}{used:03d}"
        if not Government.objects.filter(code=code).exists():
            return code


def build(towns: int = 500, items: int = 200) -> Government:
    """Build the data; returns the city (the round's scope)."""
    root_code = next_root("EV")

    def gov(code, tier, parent, depth):
        return Government(code=code, name=f"评估{code}", tier=tier, parent=parent,
                          path=f"{parent.path if parent else '/'}{code}/", depth=depth, search_text=code)

    Government.objects.bulk_create([gov(root_code, Tier.PROVINCE, None, 0)])
    province = Government.objects.get(code=root_code)
    Government.objects.bulk_create([gov(f"{root_code}01", Tier.CITY, province, 1)])
    city = Government.objects.get(code=f"{root_code}01")
    counties = [gov(f"{city.code}{c:02d}", Tier.COUNTY, city, 2) for c in range(max(1, towns // 20))]
    Government.objects.bulk_create(counties)
    counties = list(Government.objects.filter(parent=city))
    rows = [gov(f"{counties[t % len(counties)].code}{t:04d}", Tier.TOWNSHIP, counties[t % len(counties)], 3)
            for t in range(towns)]
    Government.objects.bulk_create(rows, batch_size=2000)
    town_list = list(Government.objects.filter(parent__in=counties))
    Department.objects.bulk_create([Department(government=g, name="便民服务中心", kind="service_centre")
                                    for g in town_list], batch_size=2000)
    unit = dict(Department.objects.filter(government__in=town_list).values_list("government_id", "id"))
    PowerItem.objects.bulk_create([
        PowerItem(government=city, code=f"I{i:05d}", name=f"事项{i}", category="licensing", statutory_days=20,
                  promised_days=10) for i in range(items)], batch_size=2000)
    item_list = list(PowerItem.objects.filter(government=city))
    Exercise.objects.bulk_create([Exercise(item=it, government=city, role="holder", valid_from=D(2016, 1, 1))
                                  for it in item_list], batch_size=2000)
    holders = {e.item_id: e.pk for e in Exercise.objects.filter(government=city, role="holder")}
    Exercise.objects.bulk_create(
        (Exercise(item=it, government=g, role="receiver", source_id=holders[it.pk], valid_from=D(2017, 6, 1),
                  department_id=unit[g.pk] if n % 97 else None)
         for g in town_list for n, it in enumerate(item_list)), batch_size=5000)
    start, end = PERIOD
    Evidence.objects.bulk_create(
        (Evidence(item=it, government=g, period_start=start, period_end=end, cases_handled=(n * 7 + k) % 40,
                  satisfaction=Decimal(60 + (n + k) % 41), average_days=Decimal((n + 3 * k) % 25),
                  capacity=Capacity.ADEQUATE if (n + k) % 50 else Capacity.NO_QUALIFIED_STAFF)
         for k, g in enumerate(town_list) for n, it in enumerate(item_list)), batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return city
