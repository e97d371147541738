"""Load the seed cases from ``fixtures/`` — every write through :mod:`powerlists.services`.

Each fixture file is a list of operations applied in order; each operation is one service call:
``government`` → create_government, ``department`` → create_department, ``division`` → create_division,
``item`` → create_item(holder_from=…), ``batch`` → create_batch (recorded as already effective),
``devolve`` / ``recall`` / ``share`` / ``cancel`` / ``adjust`` → the service of that name; ``law`` →
laws.create_law (one version of a law, named by its ``key``; items cite it in ``bases``), ``law_revision``
→ laws.apply_law_revision.

The review workflow (case 000, Harbin) is played by demo users, each op naming its ``actor`` by
username: ``user`` → create_user and accounts.services.grant (one per membership), ``batch_draft`` →
workflow.create_batch, ``propose`` / ``submit`` / ``reject`` → workflow.propose / submit / reject,
``approve_batch`` / ``accept_in_batch`` / ``effect_batch`` → the workflow service of that name.
The evaluation (case 004 and the satisfaction of case 000): ``evidence`` → evaluation.bulk_record_evidence,
``evaluation_round`` → create_round and run_round, ``decide_round`` → evaluation.decide for every
result (confirming each suggestion unless ``overrides`` names the item), ``follow_up`` →
generate_follow_up, then ``submit_batch`` (workflow.submit of each draft in it), ``approve`` and
``withdraw`` (of one proposal) and the batch steps above carry the follow-up through the workflow.
The demo users' password is the environment variable ``DEMO_PASSWORD`` (default
``powerlists-demo-2026``): this is a demo data set.
"""
from __future__ import annotations

import datetime
import gc
import json
import os
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from accounts.services import grant

from .. import services
from ..models import BatchState, Government
from ..services import Party, evaluation, workflow

FIXTURES_DIR = Path(__file__).resolve().parent.parent.parent / "fixtures"
ACTOR_NAME = "seedcases"
DEFAULT_DEMO_PASSWORD = "powerlists-demo-2026"


def demo_password() -> str:
    """The demo users' password: ``DEMO_PASSWORD`` from the environment, else the documented default."""
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


class SeedLoadError(Exception):
    """The seed cases cannot be loaded; the message is given in Chinese and in English."""

    def __init__(self, zh: str, en: str):
        self.message_zh, self.message_en = zh, en
        super().__init__(f"{zh} / {en}")


@dataclass
class LoadResult:
    files: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    governments: dict = field(default_factory=dict)
    users: list[str] = field(default_factory=list)


def fixture_files(directory: Path | None = None) -> list[Path]:
    directory = directory or FIXTURES_DIR
    files = sorted(directory.glob("[0-9][0-9][0-9]_*.json"))
    if not files:
        raise SeedLoadError(f"在{directory}中找不到种子案例文件。", f"No seed case files found in {directory}.")
    return files


def read_cases(directory: Path | None = None) -> list[dict]:
    cases = []
    for path in fixture_files(directory):
        with path.open(encoding="utf-8") as fh:
            case = json.load(fh)
        case["file"] = path.name
        cases.append(case)
    return cases


def root_codes(cases: list[dict]) -> list[str]:
    """Codes of the governments the cases create (used to refuse a second load)."""
    return [op["code"] for case in cases for op in case["ops"] if op["op"] == "government"]


def usernames(cases: list[dict]) -> list[str]:
    """Usernames of the demo users the cases create."""
    return [op["username"] for case in cases for op in case["ops"] if op["op"] == "user"]


def already_loaded(cases: list[dict]) -> list[str]:
    codes = list(Government.objects.filter(code__in=root_codes(cases)).values_list("code", flat=True)[:5])
    names = list(get_user_model().objects.filter(username__in=usernames(cases)).values_list("username", flat=True)[:5])
    return codes + names


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


class Loader:
    """Applies the operations; keeps the objects it made so later operations can name them."""

    def __init__(self, progress=None):
        self.governments: dict[str, Government] = {}
        self.departments: dict[tuple[str, str], object] = {}
        self.divisions: dict[tuple[str, str, str], object] = {}
        self.items: dict[tuple[str, str], object] = {}
        self.batches: dict[str, object] = {}
        self.users: dict[str, object] = {}
        self.proposals: dict[str, object] = {}
        self.rounds: dict[str, object] = {}
        self.laws: dict[str, object] = {}
        self._password_hash: str | None = None
        self.progress = progress
        self.counts: Counter = Counter()

    # --- references -------------------------------------------------------------------------------

    def gov(self, code):
        if code is None:
            return None
        try:
            return self.governments[code]
        except KeyError:
            raise SeedLoadError(f"种子数据引用了未定义的政府代码 {code}。",
                                f"The seed data names an undefined government code {code}.") from None

    def dept(self, ref):
        if not ref:
            return None
        try:
            return self.departments[tuple(ref)]
        except KeyError:
            raise SeedLoadError(f"种子数据引用了未定义的部门 {ref}。",
                                f"The seed data names an undefined department {ref}.") from None

    def item(self, ref):
        try:
            return self.items[tuple(ref)]
        except KeyError:
            raise SeedLoadError(f"种子数据引用了未定义的事项 {ref}。",
                                f"The seed data names an undefined item {ref}.") from None

    def batch(self, key):
        return self.batches[key] if key else None

    def user(self, username):
        try:
            return self.users[username]
        except KeyError:
            raise SeedLoadError(f"种子数据引用了未定义的用户 {username}。",
                                f"The seed data names an undefined user {username}.") from None

    def proposal(self, key):
        try:
            return self.proposals[key]
        except KeyError:
            raise SeedLoadError(f"种子数据引用了未定义的提议 {key}。",
                                f"The seed data names an undefined proposal {key}.") from None

    # --- operations -------------------------------------------------------------------------------

    def op_government(self, op):
        g = services.create_government(
            code=op["code"], name=op["name"], tier=op["tier"], parent=self.gov(op.get("parent")),
            kind=op.get("kind", ""), aliases=op.get("aliases", []), tags=op.get("tags", []),
            assessment_type=op.get("assessment_type", ""), actor_name=ACTOR_NAME,
        )
        self.governments[g.code] = g

    def op_department(self, op):
        upper = self.dept(op.get("upper"))
        d = services.create_department(
            government=self.gov(op["government"]), name=op["name"], kind=op.get("kind", "department"),
            upper_department=upper, actor_name=ACTOR_NAME,
        )
        self.departments[(op["government"], op["name"])] = d

    def op_division(self, op):
        d = services.create_division(
            department=self.departments[(op["government"], op["department"])], name=op["name"],
            module=op.get("module", ""), actor_name=ACTOR_NAME,
        )
        self.divisions[(op["government"], op["department"], op["name"])] = d

    def law(self, key):
        try:
            return self.laws[key]
        except KeyError:
            raise SeedLoadError(f"种子数据引用了未登记的法律法规 {key}。",
                                f"The seed data names an unregistered law {key}.") from None

    def bases(self, entries):
        """Structured legal bases: ``[{"role", "law": law key, "article", "text"}]`` → services' form."""
        return [{"role": b.get("role", "setting"), "law": self.law(b["law"]), "article": b.get("article", ""),
                 "text": b.get("text", "")} for b in entries or []]

    def op_law(self, op):
        """One version of a law (laws.create_law), named by ``key`` in later ops."""
        self.laws[op["key"]] = services.create_law(
            name=op["name"], kind=op["kind"], version_date=_date(op["version_date"]), document=op.get("document", ""),
            effective_on=_date(op.get("effective_on")), actor_name=ACTOR_NAME)

    def op_item(self, op):
        gov = op["government"]
        department = self.departments[(gov, op["department"])] if op.get("department") else None
        division = self.divisions[(gov, op["department"], op["division"])] if op.get("division") else None
        extra = {}
        if op.get("bases"):
            extra["bases"] = self.bases(op["bases"])
        if op.get("parent"):
            extra["parent"] = self.item([gov, op["parent"]])
        for name in ("initiation", "levels"):
            if op.get(name):
                extra[name] = op[name]
        item = services.create_item(
            government=self.gov(gov), holder_from=_date(op.get("holder_from")), actor_name=ACTOR_NAME,
            code=op["code"], name=op["name"], category=op["category"], field=op.get("field", ""),
            legal_basis=op.get("legal_basis", ""), statutory_days=op.get("statutory_days"),
            promised_days=op.get("promised_days"), responsibilities=op.get("responsibilities", []),
            accountability=op.get("accountability", []), lowest_tier=op.get("lowest_tier", 5),
            is_core=op.get("is_core", False), department=department, division=division, **extra,
        )
        self.items[(gov, op["code"])] = item

    def op_law_revision(self, op):
        """The law (or the list's reading of it) raised the item's lowest tier: laws.apply_law_revision.
        Governments below it keep their rows until recalled; the evaluation's tier rule finds them."""
        key = tuple(op["item"])
        self.items[key] = services.apply_law_revision(
            self.item(key), lowest_tier=op["lowest_tier"], effective_on=_date(op["effective_on"]),
            reason=op["reason"], bases=self.bases(op["bases"]) if op.get("bases") else None, actor_name=ACTOR_NAME)

    def op_batch(self, op):
        self.batches[op["key"]] = services.create_batch(
            issuer=self.gov(op["issuer"]), title=op["title"], number=op.get("number", ""),
            round_no=op.get("round_no"), issued_on=_date(op.get("issued_on")),
            effective_on=_date(op["effective_on"]), state=BatchState.EFFECTIVE, actor_name=ACTOR_NAME,
        )

    def op_devolve(self, op):
        services.devolve(
            item=self.item(op["item"]), giver=self.gov(op["giver"]), receiver=self.gov(op["receiver"]),
            effective_on=_date(op.get("effective_on")), batch=self.batch(op.get("batch")),
            method=op.get("method", "direct"), origin=op.get("origin", "offered"),
            receiving_department=self.dept(op.get("receiving_department")), staff_posts=op.get("staff_posts", 0),
            reason=op.get("reason", ""), actor_name=ACTOR_NAME,
        )

    def op_recall(self, op):
        services.recall(
            item=self.item(op["item"]), giver=self.gov(op["giver"]), receiver=self.gov(op.get("receiver")),
            effective_on=_date(op.get("effective_on")), batch=self.batch(op.get("batch")),
            origin=op.get("origin", "reform"), staff_posts=op.get("staff_posts", 0), reason=op.get("reason", ""),
            actor_name=ACTOR_NAME,
        )

    def op_share(self, op):
        parties = [
            Party(self.gov(p["government"]), p["role"], Decimal(p["fiscal_share"]), self.dept(p.get("department")))
            for p in op["parties"]
        ]
        services.share(
            item=self.item(op["item"]), sharer=self.gov(op["sharer"]), parties=parties,
            effective_on=_date(op.get("effective_on")), batch=self.batch(op.get("batch")),
            origin=op.get("origin", "reform"), reason=op.get("reason", ""), actor_name=ACTOR_NAME,
        )

    def op_cancel(self, op):
        services.cancel(
            item=self.item(op["item"]), effective_on=_date(op.get("effective_on")), batch=self.batch(op.get("batch")),
            reason=op.get("reason", ""), actor_name=ACTOR_NAME,
        )

    def op_adjust(self, op):
        key = tuple(op["item"])
        transfer = services.adjust(
            item=self.item(key), changes=op["changes"], effective_on=_date(op.get("effective_on")),
            batch=self.batch(op.get("batch")), reason=op.get("reason", ""), actor_name=ACTOR_NAME,
        )
        self.items[key] = transfer.result_item  # the adjusted version replaces it from now on

    # --- the review workflow, played by demo users ----------------------------------------------------

    def op_user(self, op):
        """A demo user and its roles. The password is hashed once and the hash reused for every demo user
        (the same known password; hashing it 21 times would cost seconds)."""
        if self._password_hash is None:
            self._password_hash = make_password(demo_password())
        user = get_user_model().objects.create_user(username=op["username"], display_name=op.get("display_name", ""))
        user.password = self._password_hash
        user.save(update_fields=["password"])
        for m in op.get("memberships", []):
            grant(user=user, government=self.gov(m["government"]), role=m["role"],
                  include_subtree=m.get("include_subtree", False), reason="演示用户 / demo user")
        self.users[user.username] = user

    def op_batch_draft(self, op):
        self.batches[op["key"]] = workflow.create_batch(
            actor=self.user(op["actor"]), issuer=self.gov(op["issuer"]), title=op["title"],
            number=op.get("number", ""), round_no=op.get("round_no"), issued_on=_date(op.get("issued_on")),
            effective_on=_date(op["effective_on"]),
        )

    def op_propose(self, op):
        batch = self.batch(op.get("batch"))
        effective_on = _date(op.get("effective_on")) or (batch.effective_on if batch is not None else None)
        self.proposals[op["key"]] = workflow.propose(
            actor=self.user(op["actor"]), kind=op.get("kind", "devolve"), item=self.item(op["item"]),
            giver=self.gov(op["giver"]), receiver=self.gov(op.get("receiver")), effective_on=effective_on,
            origin=op.get("origin", "offered"), method=op.get("method", ""),
            receiving_department=self.dept(op.get("receiving_department")), staff_posts=op.get("staff_posts", 0),
            reason=op.get("reason", ""), batch=batch,
        )

    def op_submit(self, op):
        key = op["proposal"]
        self.proposals[key] = workflow.submit(self.proposal(key), actor=self.user(op["actor"]),
                                              comment=op.get("comment", ""))

    def op_reject(self, op):
        key = op["proposal"]
        self.proposals[key] = workflow.reject(self.proposal(key), actor=self.user(op["actor"]), reason=op["reason"])

    def op_approve_batch(self, op):
        workflow.approve_batch(self.batch(op["batch"]), actor=self.user(op["actor"]), comment=op.get("comment", ""))

    def op_accept_in_batch(self, op):
        workflow.accept_in_batch(
            self.batch(op["batch"]), actor=self.user(op["actor"]), government=self.gov(op["government"]),
            receiving_department=self.dept(op.get("receiving_department")), comment=op.get("comment", ""),
        )

    def op_effect_batch(self, op):
        workflow.effect_batch(self.batch(op["batch"]), actor=self.user(op["actor"]), comment=op.get("comment", ""))

    def op_approve(self, op):
        key = op["proposal"]
        self.proposals[key] = workflow.approve(self.proposal(key), actor=self.user(op["actor"]),
                                               comment=op.get("comment", ""))

    def op_withdraw(self, op):
        key = op["proposal"]
        self.proposals[key] = workflow.withdraw(self.proposal(key), actor=self.user(op["actor"]),
                                                comment=op.get("comment", ""))

    def op_submit_batch(self, op):
        actor = self.user(op["actor"])
        for transfer in self.batch(op["batch"]).transfers.filter(state="draft").order_by("id"):
            workflow.submit(transfer, actor=actor, comment=op.get("comment", ""))

    # --- the evaluation ---------------------------------------------------------------------------

    EVIDENCE_COLUMNS = ("item_government", "item_code", "government", "period_start", "period_end",
                        "cases_handled", "average_days", "satisfaction", "complaints", "receiving_unit_named",
                        "staffed", "capacity")

    def op_evidence(self, op):
        rows = []
        for values in op["rows"]:
            row = dict(zip(self.EVIDENCE_COLUMNS, values, strict=True))
            row["item"] = self.item((row.pop("item_government"), row.pop("item_code")))
            row["government"] = self.gov(row["government"])
            row["period_start"], row["period_end"] = _date(row["period_start"]), _date(row["period_end"])
            rows.append(row)
        evaluation.bulk_record_evidence(rows, actor=self.user(op["actor"]))

    def op_evaluation_round(self, op):
        from ..models import EvaluationRound

        rnd = evaluation.create_round(
            name=op["name"], scope_government=self.gov(op.get("scope")), scope_tag=op.get("tag", ""),
            period_start=_date(op["period_start"]), period_end=_date(op["period_end"]), rules=op.get("rules"),
            actor=self.user(op["actor"]))
        evaluation.run_round(rnd, actor=self.user(op["actor"]))
        self.rounds[op["key"]] = EvaluationRound.objects.get(pk=rnd.pk)

    def op_decide_round(self, op):
        rnd = self.rounds[op["round"]]
        actor = self.user(op["actor"])
        overrides = {(o["item"][0], o["item"][1], o["government"]): o for o in op.get("overrides", [])}
        results = rnd.results.filter(decision="").select_related("item__government", "government").order_by("id")
        for result in results:
            override = overrides.get((result.item.government.code, result.item.code, result.government.code))
            if override:
                evaluation.decide(result, override["decision"], actor=actor, reason=override["reason"])
            else:
                evaluation.decide(result, result.suggested, actor=actor)

    def op_follow_up(self, op):
        self.batches[op["key"]] = evaluation.generate_follow_up(
            self.rounds[op["round"]], actor=self.user(op["actor"]), batch_title=op["title"],
            batch_number=op.get("number", ""), effective_on=_date(op["effective_on"]), round_no=op.get("round_no"))

    def apply(self, case: dict, op: dict):
        handler = getattr(self, f"op_{op['op']}", None)
        if handler is None:
            raise SeedLoadError(f"未知的操作类型：{op['op']}（{case['file']}）。",
                                f"Unknown operation {op['op']!r} in {case['file']}.")
        try:
            handler(op)
        except services.DomainError as exc:
            raise SeedLoadError(
                f"{case['file']} 中的操作被拒绝：{exc.message_zh}（{json.dumps(op, ensure_ascii=False)[:200]}）",
                f"An operation in {case['file']} was refused: {exc.message_en} ({json.dumps(op)[:200]})",
            ) from exc
        self.counts[op["op"]] += 1


TRANSFER_OPS = {"devolve", "recall", "share", "cancel", "adjust", "propose", "law_revision"}


def refresh_planner_statistics() -> None:
    """ANALYZE the tables just filled, so the planner picks the (item, government) index for the
    services' per-item look-ups instead of scanning a government's rows (SQLite and PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
        elif connection.vendor == "postgresql":
            cursor.execute("ANALYZE powerlists_exercise, powerlists_poweritem, powerlists_transfer, powerlists_government")


@contextmanager
def fewer_garbage_collections(threshold: int = 50_000):
    """Run the cyclic garbage collector less often while loading: the load keeps tens of thousands of
    model instances alive, and with the default threshold (700 allocations) the collector's passes
    over them cost about a seventh of the load's time. Nothing is left uncollected; it is restored after."""
    before = gc.get_threshold()
    gc.set_threshold(max(threshold, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def load(directory: Path | None = None, progress_factory=None) -> LoadResult:
    """Load every case in one transaction. Refuses (SeedLoadError) if the seed governments exist."""
    with fewer_garbage_collections():
        return _load(directory, progress_factory)


def _load(directory: Path | None, progress_factory) -> LoadResult:
    cases = read_cases(directory)
    total = sum(len(case["ops"]) for case in cases)
    with transaction.atomic():
        existing = already_loaded(cases)
        if existing:
            raise SeedLoadError(
                "种子案例已加载（已存在政府代码：" + "、".join(existing) + "）；请在空数据库中加载。",
                "The seed cases are already loaded (government codes exist: " + ", ".join(existing)
                + "); load them into an empty database.",
            )
        progress = progress_factory(total) if progress_factory else None
        loader = Loader(progress)
        try:
            for case in cases:
                if progress is not None:
                    progress.set_description(case["source"])
                analyzed = False
                for op in case["ops"]:
                    if not analyzed and op["op"] in TRANSFER_OPS:
                        refresh_planner_statistics()
                        analyzed = True
                    loader.apply(case, op)
                    if progress is not None:
                        progress.update(1)
        finally:
            if progress is not None:
                progress.close()
    return LoadResult(files=[c["file"] for c in cases], counts=loader.counts, governments=loader.governments,
                      users=list(loader.users))
