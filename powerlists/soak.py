"""The soak test: the product under gunicorn on PostgreSQL, with readers, editors and reviewers at once.

``python manage.py soak`` (see the command for its options) makes a scratch database, and in a child
process pointed at it (``--worker``, this module):

1. migrates it and builds a small world through the services: a city with districts and streets, its
   departments, items held by the city and some already devolved, people with roles and API tokens;
2. starts the product under gunicorn (the project's ``gunicorn.conf.py``) on a free loopback port and
   checks that every reader's address answers 200 before the clock starts;
3. for the given number of seconds drives, each in its own thread on its own keep-alive connection:
   *readers* (anonymous; lists on random dates, searches, statistics, pages, histories), *editors*
   (propose devolutions and recalls over the API, submit them, withdraw some), *city reviewers*
   (approve or reject submitted proposals, with the ETag they read) and *district reviewers* (accept
   approved proposals, which makes them take effect) — racing each other on the same proposals;
4. stops the server and checks: no answer was a 5xx and no connection failed; readers always got 200;
   no actor was refused as unauthenticated, forbidden or throttled (the world is set up so that each acts
   within their role); writes did happen (proposals made, taking effect); every proposal made has its
   audit event and every devolution that took effect its exercise row; and every invariant of
   :mod:`powerlists.integrity`, the audit chain included.

A refusal by the domain (400, 404, 409, 412) is an expected outcome of racing actors and is counted, not
failed. The report prints each actor's answers by status and the latencies; the exit status is 1 when a
check fails.
"""
from __future__ import annotations

import datetime
import http.client
import json
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote

from django.db import transaction
from django.utils import timezone

from .bench.load import Server
from .bench.report import percentile

CITY = "9901"
HOLDING_SINCE = datetime.date(2020, 1, 1)
DEVOLVED_ON = datetime.date(2021, 1, 1)
ACTOR_REFUSALS = {401, 403, 428, 429}


@dataclass
class World:
    city: str
    districts: list[str]
    departments: dict[str, int]  # district code → its department id
    items: list[int]
    devolved: dict[int, str]  # item id → the district it was devolved to at the start
    tokens: dict[str, list[str]]  # role → tokens
    reader_paths: list[str]


def build_world(*, districts: int, items: int, editors: int, reviewers: int, seed: int) -> World:
    """Everything through the services, in one transaction."""
    from knox.models import AuthToken

    from accounts.models import Membership, User

    from . import services
    from .models import Category, Tier

    rng = random.Random(seed)
    with transaction.atomic():
        province = services.create_government(code="99", name="演练省", tier=Tier.PROVINCE)
        city = services.create_government(code=CITY, name="演练市", tier=Tier.CITY, parent=province)
        services.create_department(government=city, name="演练市行政审批局")
        district_codes, departments = [], {}
        for d in range(1, districts + 1):
            code = f"{CITY}{d:02d}"
            district = services.create_government(code=code, name=f"演练第{d}区", tier=Tier.COUNTY, parent=city,
                                                  kind="区")
            departments[code] = services.create_department(government=district, name=f"演练第{d}区行政审批局").pk
            for s in range(1, 3):
                services.create_government(code=f"{code}{s:03d}", name=f"演练第{d}区第{s}街道", tier=Tier.TOWNSHIP,
                                           parent=district, kind="街道")
            district_codes.append(code)
        categories = [Category.LICENSING, Category.PENALTY, Category.INSPECTION, Category.OTHER]
        item_ids = []
        for n in range(1, items + 1):
            item = services.create_item(government=city, code=f"YL{n:04d}", name=f"演练事项{n}",
                                        category=rng.choice(categories), field=rng.choice(["投资", "建设", "民生"]),
                                        holder_from=HOLDING_SINCE)
            item_ids.append(item.pk)
        devolved = {}
        for item_id in item_ids[: items // 3]:
            district = rng.choice(district_codes)
            services.devolve(item=_item(item_id), giver=city, receiver=_gov(district), effective_on=DEVOLVED_ON,
                             receiving_department=_dept(departments[district]))
            devolved[item_id] = district

        def person(name: str) -> User:
            return User.objects.create_user(name, password=None)

        tokens: dict[str, list[str]] = {"editor": [], "city_reviewer": [], "district_reviewer": []}
        for i in range(editors):
            user = person(f"soak-editor-{i}")
            Membership.objects.create(user=user, government=city, role="editor")
            tokens["editor"].append(AuthToken.objects.create(user=user, expiry=datetime.timedelta(hours=6))[1])
        for i in range(reviewers):
            user = person(f"soak-city-reviewer-{i}")
            Membership.objects.create(user=user, government=city, role="reviewer")
            tokens["city_reviewer"].append(AuthToken.objects.create(user=user, expiry=datetime.timedelta(hours=6))[1])
            user = person(f"soak-district-reviewer-{i}")
            for code in district_codes:
                Membership.objects.create(user=user, government=_gov(code), role="reviewer")
            tokens["district_reviewer"].append(
                AuthToken.objects.create(user=user, expiry=datetime.timedelta(hours=6))[1])

    sample_items = rng.sample(item_ids, min(5, len(item_ids)))
    today = timezone.localdate()
    reader_paths = [
        "/", f"/g/{CITY}/", f"/g/{district_codes[0]}/", f"/g/{CITY}/diff/?from=2020-06-01&to={today}",
        f"/api/v1/governments/{CITY}/powers/?as_of=2021-06-01",
        f"/api/v1/governments/{district_codes[0]}/powers/",
        f"/api/v1/items/?search={quote('演练')}", f"/api/v1/stats/?government={CITY}", "/api/v1/transfers/?state=effective",
        *[f"/api/v1/items/{i}/history/" for i in sample_items], *[f"/items/{i}/" for i in sample_items[:2]],
        "/healthz",
    ]
    return World(city=CITY, districts=district_codes, departments=departments, items=item_ids, devolved=devolved,
                 tokens=tokens, reader_paths=reader_paths)


def _gov(code):
    from .models import Government

    return Government.objects.get(code=code)


def _item(pk):
    from .models import PowerItem

    return PowerItem.objects.get(pk=pk)


def _dept(pk):
    from .models import Department

    return Department.objects.get(pk=pk)


# --- HTTP --------------------------------------------------------------------------------------------


@dataclass
class Tally:
    statuses: Counter = field(default_factory=Counter)  # (actor kind, action, status) → count
    latencies: dict = field(default_factory=dict)  # actor kind → [seconds]
    by_address: dict = field(default_factory=dict)  # (actor kind, method and path without query) → [seconds]
    failures: list = field(default_factory=list)  # (actor kind, action, status or error, path, body head)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, action: str, status, seconds: float, path: str, body: bytes) -> None:
        with self.lock:
            self.statuses[(kind, action, status)] += 1
            self.latencies.setdefault(kind, []).append(seconds)
            address = re.sub(r"/\d+/", "/{id}/", path.split("?")[0])
            self.by_address.setdefault((kind, action, address), []).append(seconds)
            unexpected = (not isinstance(status, int) or status >= 500
                          or (kind == "reader" and status != 200)
                          or (kind != "reader" and status in ACTOR_REFUSALS))
            if unexpected and len(self.failures) < 50:
                self.failures.append((kind, action, status, path, body[:300].decode("utf-8", "replace")))

    def count(self, predicate) -> int:
        return sum(n for key, n in self.statuses.items() if predicate(*key))


class Client:
    """One keep-alive connection; reconnects after an error (which is counted)."""

    def __init__(self, port: int, kind: str, tally: Tally, token: str | None = None):
        self.port, self.kind, self.tally, self.token = port, kind, tally, token
        self.conn: http.client.HTTPConnection | None = None

    def request(self, action: str, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        all_headers = {"Accept": "application/json", "Accept-Language": "en"}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        started = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, path, body=payload, headers=all_headers)
            response = self.conn.getresponse()
            data = response.read()
            status, etag = response.status, response.getheader("ETag")
            if response.getheader("Connection", "").lower() == "close":
                self.close()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            self.tally.add(self.kind, action, f"error: {type(error).__name__}: {error}", time.perf_counter() - started,
                           path, b"")
            return None, None, None
        self.tally.add(self.kind, action, status, time.perf_counter() - started, path, data)
        try:
            parsed = json.loads(data) if data and status < 500 and data[:1] in (b"{", b"[") else None
        except ValueError:
            parsed = None
        return status, parsed, etag

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --- actors ------------------------------------------------------------------------------------------


def reader(client: Client, world: World, rng: random.Random, deadline: float) -> None:
    while time.monotonic() < deadline:
        path = rng.choice(world.reader_paths)
        if "as_of=" in path and rng.random() < 0.5:
            day = HOLDING_SINCE + datetime.timedelta(days=rng.randrange(0, 3000))
            path = f"/api/v1/governments/{rng.choice(world.districts)}/powers/?as_of={day}"
        client.request("read", "GET", path)


def editor(client: Client, world: World, rng: random.Random, deadline: float) -> None:
    today = timezone.localdate()
    while time.monotonic() < deadline:
        effective_on = today + datetime.timedelta(days=rng.randrange(30, 400))
        roll = rng.random()
        if roll < 0.15 and len(world.districts) >= 2:
            lead, support = rng.sample(world.districts, 2)
            share = rng.choice([50, 60, 70, 80])
            body = {"kind": "share", "item": rng.choice(world.items), "giver": world.city,
                    "effective_on": effective_on.isoformat(), "reason": "演练：共有事权",
                    "parties": [{"government": lead, "role": "lead", "fiscal_share": str(share)},
                                {"government": support, "role": "support", "fiscal_share": str(100 - share)}]}
        elif world.devolved and roll < 0.4:
            item = rng.choice(list(world.devolved))
            body = {"kind": "recall", "item": item, "giver": world.city, "receiver": world.devolved[item],
                    "effective_on": effective_on.isoformat(), "reason": "演练：收回"}
        else:
            receiver = rng.choice(world.districts)
            body = {"kind": "devolve", "item": rng.choice(world.items), "giver": world.city, "receiver": receiver,
                    "effective_on": effective_on.isoformat(), "reason": "演练：下放",
                    "receiving_department": world.departments[receiver]}
        status, created, _etag = client.request("propose", "POST", "/api/v1/transfers/", body)
        if status != 201 or not created:
            continue
        status, submitted, _etag = client.request("submit", "POST", f"/api/v1/transfers/{created['id']}/submit/", {})
        if status == 200 and rng.random() < 0.1:
            client.request("withdraw", "POST", f"/api/v1/transfers/{created['id']}/withdraw/", {})


def _pick(client: Client, state: str, rng: random.Random):
    status, page, _etag = client.request(f"list {state}", "GET",
                                         f"/api/v1/transfers/?state={state}&giver={CITY}&page_size=20")
    if status != 200 or not page or not page.get("results"):
        return None
    return rng.choice(page["results"])


def city_reviewer(client: Client, world: World, rng: random.Random, deadline: float) -> None:
    while time.monotonic() < deadline:
        transfer = _pick(client, "submitted", rng)
        if transfer is None:
            time.sleep(0.05)
            continue
        headers = {"If-Match": f'"transfer-{transfer["id"]}-v{transfer["version"]}"'}
        if rng.random() < 0.15:
            client.request("reject", "POST", f"/api/v1/transfers/{transfer['id']}/reject/",
                           {"reason": "演练：暂缓"}, headers)
        else:
            client.request("approve", "POST", f"/api/v1/transfers/{transfer['id']}/approve/",
                           {"comment": "演练：同意"}, headers)


def district_reviewer(client: Client, world: World, rng: random.Random, deadline: float) -> None:
    while time.monotonic() < deadline:
        transfer = _pick(client, "approved", rng)
        if transfer is None:
            time.sleep(0.05)
            continue
        headers = {"If-Match": f'"transfer-{transfer["id"]}-v{transfer["version"]}"'}
        body = {"comment": "演练：接得住"}
        if transfer.get("kind") == "devolve" and transfer.get("receiver") in world.departments:
            body["receiving_department"] = world.departments[transfer["receiver"]]
        elif transfer.get("kind") == "share":
            open_parties = [p for p in transfer.get("parties", []) if not p.get("decision")]
            if not open_parties:
                continue
            party = rng.choice(open_parties)
            body["government"] = party["government"]
            body["receiving_department"] = world.departments[party["government"]]
        client.request("accept", "POST", f"/api/v1/transfers/{transfer['id']}/accept/", body, headers)


ACTORS = {"reader": reader, "editor": editor, "city_reviewer": city_reviewer, "district_reviewer": district_reviewer}


# --- the run -----------------------------------------------------------------------------------------


@dataclass
class Outcome:
    checks: list = field(default_factory=list)  # (ok, text)

    @property
    def ok(self) -> bool:
        return all(ok for ok, _ in self.checks)

    def check(self, ok: bool, text: str) -> None:
        self.checks.append((bool(ok), text))


def run(*, seconds: float, readers: int, editors: int, reviewers: int, districts: int = 4, items: int = 60,
        seed: int = 2026, out=print) -> Outcome:
    from django.db.models import Exists, OuterRef

    from . import integrity
    from .models import AuditEvent, Exercise, Transfer, TransferKind, TransferState

    started = time.monotonic()
    world = build_world(districts=districts, items=items, editors=editors, reviewers=reviewers, seed=seed)
    transfers_before = Transfer.objects.count()
    out(f"world: {len(world.districts)} districts, {len(world.items)} items ({len(world.devolved)} devolved), "
        f"{readers} readers, {editors} editors, {reviewers} city + {reviewers} district reviewers "
        f"({time.monotonic() - started:.1f} s)")
    tally = Tally()
    outcome = Outcome()
    server = Server(env={"API_RATE_ANON": "1000000/minute", "API_RATE_USER": "1000000/minute"})
    with server:
        out(f"server: {server.description} on 127.0.0.1:{server.port}")
        preflight = Client(server.port, "preflight", Tally())
        for path in world.reader_paths:
            status, _body, _etag = preflight.request("preflight", "GET", path)
            if status != 200:
                outcome.check(False, f"before the clock: GET {path} answered {status}")
        preflight.close()
        if not outcome.ok:
            return outcome
        deadline = time.monotonic() + seconds
        threads = []
        counts = {"reader": readers, "editor": editors, "city_reviewer": reviewers, "district_reviewer": reviewers}
        for kind, number in counts.items():
            for i in range(number):
                tokens = world.tokens.get(kind)
                token = tokens[i % len(tokens)] if tokens else None
                client = Client(server.port, kind, tally, token)
                rng = random.Random(f"{seed}-{kind}-{i}")

                def act(actor=ACTORS[kind], client=client, rng=rng):
                    try:
                        actor(client, world, rng, deadline)
                    finally:
                        client.close()

                threads.append(threading.Thread(target=act, name=f"soak-{kind}-{i}", daemon=True))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 120)
        stuck = [t.name for t in threads if t.is_alive()]
        outcome.check(not stuck, f"every actor stopped in time{': ' + ', '.join(stuck) if stuck else ''}")
    elapsed = time.monotonic() - deadline + seconds

    # --- the report --------------------------------------------------------------------------------
    out(f"\n{sum(tally.statuses.values()):,} requests in {elapsed:.1f} s "
        f"({sum(tally.statuses.values()) / elapsed:.0f}/s)")
    for kind in counts:
        lat = tally.latencies.get(kind, [])
        by_status = Counter()
        for (k, action, status), n in tally.statuses.items():
            if k == kind:
                by_status[f"{action} {status}"] += n
        if lat:
            out(f"  {kind:<18} {len(lat):>6,} requests, p50 {percentile(lat, 50) * 1000:.0f} ms, "
                f"p99 {percentile(lat, 99) * 1000:.0f} ms — " + ", ".join(f"{k}: {v}" for k, v in sorted(by_status.items())))

    slowest = sorted(tally.by_address.items(), key=lambda kv: -percentile(kv[1], 50))[:5]
    out("  slowest (p50): " + "; ".join(f"{kind} {action} {path} {percentile(lat, 50) * 1000:.0f} ms"
                                         for (kind, action, path), lat in slowest))

    server_errors = tally.count(lambda k, a, s: isinstance(s, int) and s >= 500)
    broken = tally.count(lambda k, a, s: not isinstance(s, int))
    outcome.check(server_errors == 0, f"no 5xx answer ({server_errors})")
    outcome.check(broken == 0, f"no connection failed ({broken})")
    outcome.check(tally.count(lambda k, a, s: k == "reader" and s != 200) == 0, "readers always got 200")
    outcome.check(tally.count(lambda k, a, s: k != "reader" and s in ACTOR_REFUSALS) == 0,
                  "no actor was refused as unauthenticated, forbidden or throttled")
    for failure in tally.failures[:10]:
        out(f"    ✗ {failure}")

    made = Transfer.objects.count() - transfers_before
    effective = Transfer.objects.filter(state=TransferState.EFFECTIVE).exclude(created_by=None)
    outcome.check(made > 0 and tally.count(lambda k, a, s: a == "propose" and s == 201) == made,
                  f"proposals were made ({made}), each answered 201 once")
    kinds = Counter(effective.values_list("kind", flat=True))
    outcome.check(effective.exists() or editors == 0 or reviewers == 0,
                  "proposals took effect (" + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) + ")")
    # ~Exists, not NOT IN: a NULL in the subquery would make NOT IN never true.
    unaudited = Transfer.objects.exclude(created_by=None).filter(
        ~Exists(AuditEvent.objects.filter(action="workflow.propose", transfer_id=OuterRef("pk")))).count()
    outcome.check(unaudited == 0, f"every proposal has its audit event ({unaudited} without)")
    missing = effective.filter(kind=TransferKind.DEVOLVE).filter(
        ~Exists(Exercise.objects.filter(transfer_id=OuterRef("pk")))).count()
    outcome.check(missing == 0, f"every devolution that took effect has its exercise row ({missing} without)")
    for finding in integrity.check():
        outcome.check(finding.ok, str(finding).lstrip("✓✗ "))
    return outcome
