"""Access to every route: each endpoint and page refuses whoever is outside the government's scope, a
reviewer deciding their own proposal, and anonymous callers — with no data in the refusal and nothing
written.

``ACCESS_TABLE`` below names every route of the project (as ``django.urls`` knows it, the admin apart)
and every HTTP method it answers, with its access class:

  INFRA      public infrastructure (health, language, login, the API's root and documentation): anonymous
             callers get it, and it carries none of the world's private data.
  PUBLIC     anyone reads it; lists filter out what a caller may not see. Anonymous callers and people
             outside the territory get 200 without any private text (reasons and comments of proposals,
             titles of batches not yet effective, rounds in progress, evidence, decisions' reasons), and
             anonymous callers never see a person's name.
  SIGNED_IN  any signed-in person (their own workspace, tokens, forms, templates): anonymous callers are
             refused; people outside the territory get the page without private data.
  PRIVATE    a read of a private object (a proposal, a batch not yet effective, a round in progress,
             evidence, a joint review): refused to anonymous callers and outsiders (401/403/404, or the
             login page), with no data in the refusal.
  SCOPED     a write that needs a role in the government's territory: refused to anonymous callers and
             outsiders, with no data in the refusal and nothing written.
  REVIEW     a decision on a proposal (approve, return, reject, accept; a batch's approve, reject, accept):
             as SCOPED, and also refused to a reviewer who created or edited the proposal (maker-checker).
  OWN        a person's own thing (an API token): refused to anyone else.

The callers: ``anonymous``; ``outsider``, an administrator of another province's whole territory (every
role, somewhere else); ``neighbour``, an administrator of the sibling district's whole territory (every
role, next door, under the same city); ``nobody``, signed in without any role. For REVIEW rows, ``maker``
(who created every proposal involved) and ``co_maker`` (who edited each): both editor *and* reviewer of the
district's whole territory (two memberships each), so only maker-checker stands in their way. Each row
also names the ``rightful`` caller, who must succeed with the very same request — so every refusal is
about who asks, never about a bad request — and, for a read, sees the private text the others do not.
API routes are also asked with a format suffix (``/api/v1/transfers/5.json``): the product serves none, so
each is a 404 with nothing in it.

Tests that keep the table honest: a route the project serves that the table does not list fails the suite
(a new endpoint needs its access row and its request in ``REQUESTS``), and so do a row naming a route or a
method that no longer exists, and a route name shared by two views. The admin is covered by one check
per admin route: anonymous callers and outsiders are sent to the admin's login, nothing written. Two more:
an ``Idempotency-Key`` replays its answer to its own caller only, and a batch shows a receiving street only
the proposals it may see.

One small world is built once for the module inside a transaction rolled back at the end (like
``test_permissions.py``); each test runs in a savepoint inside it. Its private texts carry the marker
``秘密`` (which no product text contains) so that a leak is found wherever it appears: HTML, JSON (decoded),
CSV, the XML inside XLSX files, and the headers that carry data.
"""
from __future__ import annotations

import datetime
import html
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.models import Membership
from powerlists import services
from powerlists.models import (
    AuditEvent,
    Batch,
    Category,
    Department,
    Edition,
    EvaluationResult,
    EvaluationRound,
    Evidence,
    Exercise,
    Government,
    IdempotencyRecord,
    ImportMapping,
    Law,
    PowerItem,
    Tier,
    Transfer,
)
from powerlists.services import editions, evaluation, workflow
from powerlists.services.imports import fingerprint as file_fingerprint
from powerlists.services.laws import create_law
from powerlists.spreadsheets import ITEM_COLUMNS, write_csv

D = datetime.date
SINCE = D(2016, 1, 1)
DAY = D(2017, 3, 1)  # the proposals' date
DEVOLVED_ON = D(2017, 6, 1)  # the evaluated powers were devolved on this date
START, END = D(2018, 1, 1), D(2019, 12, 31)  # the evaluation period

# --- the table ------------------------------------------------------------------------------------------
#
# object: which object of the world the request is about ("-": none, or a list). rightful: who succeeds
# with the same request ("-": nobody in particular; for a PUBLIC list, an insider who sees what the list
# hides from others).

ACCESS_TABLE = """
# route name                           method  access     object            rightful
# --- infrastructure
healthz                                GET     INFRA      -                 -
set_language                           POST    INFRA      -                 -
login                                  GET     INFRA      -                 -
logout                                 POST    INFRA      -                 -
api-root                               GET     INFRA      -                 -
api-schema                             GET     INFRA      -                 -
api-docs                               GET     INFRA      -                 -
api-redoc                              GET     INFRA      -                 -
# --- API: governments, departments, exercises, statistics (public)
api-government-list                    GET     PUBLIC     -                 -
api-government-detail                  GET     PUBLIC     home              -
api-government-diff                    GET     PUBLIC     home              -
api-government-powers                  GET     PUBLIC     home              -
api-department-list                    GET     PUBLIC     -                 -
api-department-detail                  GET     PUBLIC     home_dept         -
api-department-responsibilities        GET     PUBLIC     home_dept         -
api-exercise-list                      GET     PUBLIC     -                 -
api-exercise-detail                    GET     PUBLIC     exercise          -
api-stats-list                         GET     PUBLIC     -                 -
# --- API: audit history (public history for all; proposals' events for their sides)
api-audit-event-list                   GET     PUBLIC     -                 h_reviewer
api-audit-event-detail                 GET     PUBLIC     public_event      -
api-audit-event-detail                 GET     PRIVATE    draft_event       h_reviewer
api-audit-event-head                   GET     PUBLIC     -                 -
# --- API: items
api-item-list                          GET     PUBLIC     -                 -
api-item-list                          POST    SCOPED     home              h_editor
api-item-detail                        GET     PUBLIC     item_free         -
api-item-detail                        PATCH   SCOPED     item_free         h_editor
api-item-history                       GET     PUBLIC     item_draft        h_reviewer

api-government-editions                GET     PUBLIC     home              h_editor
api-government-editions                POST    SCOPED     home              h_editor
api-government-edition                 GET     PUBLIC     edition_published -
api-government-edition                 GET     PRIVATE    edition_draft     h_editor
api-government-edition-compare         GET     PUBLIC     edition_published -
api-government-edition-approve         POST    SCOPED     edition_draft     h_reviewer
api-government-edition-publish         POST    SCOPED     edition_approved  h_reviewer
api-government-edition-file            POST    SCOPED     edition_published root
api-law-list                           GET     PUBLIC     -                 -
api-law-list                           POST    SIGNED_IN  -                 h_editor
api-law-detail                         GET     PUBLIC     law               -
# --- API: transfers
api-transfer-list                      GET     PUBLIC     -                 h_reviewer
api-transfer-list                      POST    SCOPED     home              h_editor
api-transfer-bulk                      POST    SCOPED     home              h_editor
api-transfer-detail                    GET     PUBLIC     effective         -
api-transfer-detail                    GET     PRIVATE    draft             h_reviewer
api-transfer-detail                    PATCH   SCOPED     draft             h_editor
api-transfer-submit                    POST    SCOPED     draft             h_editor
api-transfer-withdraw                  POST    SCOPED     draft             maker
api-transfer-approve                   POST    REVIEW     submitted         h_reviewer
api-transfer-return                    POST    REVIEW     submitted         h_reviewer
api-transfer-reject                    POST    REVIEW     submitted         h_reviewer
api-transfer-reject                    POST    REVIEW     approved          s_reviewer
api-transfer-accept                    POST    REVIEW     approved          s_reviewer
# --- API: batches
api-batch-list                         GET     PUBLIC     -                 h_reviewer
api-batch-list                         POST    SCOPED     home              h_editor
api-batch-detail                       GET     PUBLIC     batch_effective   -
api-batch-detail                       GET     PRIVATE    batch_draft       h_reviewer
api-batch-add                          POST    SCOPED     batch_draft       h_editor
api-batch-approve                      POST    REVIEW     batch_draft       h_reviewer
api-batch-reject                       POST    REVIEW     batch_draft       h_reviewer
api-batch-accept                       POST    REVIEW     batch_waiting     s_reviewer
api-batch-effect                       POST    SCOPED     batch_ready       h_reviewer
# --- API: evaluation (evidence is never public; a round is public once confirmed)
# round_tag is a round in progress scoped by a tag only (opened by a superuser); the tag is carried by one
# street of the district, so the round is about that street alone, and people with no role anywhere near
# it are outside its scope. (policy.round_visibility_q once showed such a round to anyone holding any
# role; these rows, and the lists of rounds and results, caught it.)
api-evidence-list                      GET     PUBLIC     -                 h_editor
api-evidence-list                      POST    SCOPED     street            h_editor
api-evidence-bulk                      POST    SCOPED     street            h_editor
api-evidence-detail                    GET     PRIVATE    evidence          h_editor
api-evaluation-round-list              GET     PUBLIC     -                 h_editor
api-evaluation-round-list              POST    SCOPED     home              h_editor
api-evaluation-round-detail            GET     PUBLIC     round_confirmed   -
api-evaluation-round-detail            GET     PRIVATE    round_open        h_editor
api-evaluation-round-report            GET     PUBLIC     round_confirmed   -
api-evaluation-round-report            GET     PRIVATE    round_open        h_editor
api-evaluation-round-detail            GET     PRIVATE    round_tag         h_editor
api-evaluation-round-report            GET     PRIVATE    round_tag         h_editor
api-evaluation-round-run               POST    SCOPED     round_open        h_editor
api-evaluation-round-run               POST    SCOPED     round_tag         root
api-evaluation-round-follow-up         POST    SCOPED     round_open        h_editor
api-evaluation-result-list             GET     PUBLIC     -                 h_reviewer
api-evaluation-result-detail           GET     PUBLIC     result_confirmed  -
api-evaluation-result-detail           GET     PRIVATE    result_decided    h_reviewer
api-evaluation-result-detail           GET     PRIVATE    result_tag        h_reviewer
api-evaluation-result-decide           POST    SCOPED     result_open       h_reviewer
api-evaluation-result-decide           POST    SCOPED     result_tag_open   h_reviewer
# --- public pages
home                                   GET     PUBLIC     -                 -
government                             GET     PUBLIC     home              -
government-export                      GET     PUBLIC     home              -
government-diff                        GET     PUBLIC     home              -
government-chart                       GET     PUBLIC     home              -
government-editions                    GET     PUBLIC     home              h_editor
government-edition                     GET     PUBLIC     edition_published -
government-edition                     GET     PRIVATE    edition_draft     h_editor
government-editions-compare            GET     PUBLIC     home              -
workspace-edition-draft                POST    SCOPED     home              h_editor
workspace-edition-step                 POST    SCOPED     edition_draft/approve h_reviewer
workspace-edition-step                 POST    SCOPED     edition_approved/publish h_reviewer
workspace-edition-step                 POST    SCOPED     edition_published/file root
item                                   GET     PUBLIC     item_draft        -
department                             GET     PUBLIC     home_dept         -
evaluation-rounds                      GET     PUBLIC     -                 h_editor
evaluation-round                       GET     PUBLIC     round_confirmed   -
evaluation-round                       GET     PRIVATE    round_open        h_editor
evaluation-report                      GET     PUBLIC     round_confirmed   -
evaluation-report                      GET     PRIVATE    round_open        h_editor
evaluation-results                     GET     PUBLIC     round_confirmed   -
evaluation-results                     GET     PRIVATE    round_open        h_reviewer
evaluation-result                      GET     PUBLIC     result_confirmed  -
evaluation-result                      GET     PRIVATE    result_decided    h_reviewer
evaluation-round                       GET     PRIVATE    round_tag         h_editor
evaluation-report                      GET     PRIVATE    round_tag         h_editor
evaluation-results                     GET     PRIVATE    round_tag         h_reviewer
evaluation-result                      GET     PRIVATE    result_tag        h_reviewer
# --- the workspace (uploads: an outsider's is refused by the form, 400, or previewed with every row refused,
# 200, and nothing is kept to confirm; confirmations are sent holding a preview in the session, as a person
# whose role was revoked since would)
workspace                              GET     SIGNED_IN  -                 maker
workspace-transfer-new                 GET     SIGNED_IN  -                 -
workspace-transfer-new                 POST    SCOPED     home              h_editor
workspace-transfer                     GET     PRIVATE    draft             h_reviewer
workspace-transfer-edit                GET     PRIVATE    draft             h_editor
workspace-transfer-edit                POST    SCOPED     draft             h_editor
workspace-transfer-action              POST    SCOPED     draft/submit      h_editor
workspace-transfer-action              POST    SCOPED     draft/withdraw    maker
workspace-transfer-action              POST    REVIEW     submitted/approve h_reviewer
workspace-transfer-action              POST    REVIEW     submitted/return  h_reviewer
workspace-transfer-action              POST    REVIEW     submitted/reject  h_reviewer
workspace-transfer-action              POST    REVIEW     approved/reject   s_reviewer
workspace-transfer-action              POST    REVIEW     approved/accept   s_reviewer
workspace-batches                      GET     SIGNED_IN  -                 h_reviewer
workspace-batches                      POST    SCOPED     home              h_editor
workspace-batch                        GET     PRIVATE    batch_draft       h_reviewer
workspace-batch-action                 POST    REVIEW     batch_draft/approve h_reviewer
workspace-batch-action                 POST    REVIEW     batch_draft/reject h_reviewer
workspace-batch-action                 POST    SCOPED     batch_ready/effect h_reviewer
workspace-joint-review                 GET     SIGNED_IN  -                 -
workspace-joint-review                 GET     PRIVATE    home/street       h_reviewer
workspace-item-edit                    GET     SCOPED     item_free         h_editor
workspace-item-edit                    POST    SCOPED     item_free         h_editor
password_change                        GET     SIGNED_IN  -                 -
password_change                        POST    SIGNED_IN  -                 -
password_change_done                   GET     SIGNED_IN  -                 -
workspace-tokens                       GET     SIGNED_IN  -                 -
workspace-tokens                       POST    SIGNED_IN  -                 -
workspace-token-revoke                 POST    OWN        maker_token       maker
workspace-import                       GET     SIGNED_IN  -                 -
workspace-import                       POST    SCOPED     home              h_editor
workspace-import-confirm               POST    SCOPED     home              h_editor
workspace-import-mapping               POST    SCOPED     home              h_editor
workspace-bulk                         POST    SCOPED     home              h_editor
workspace-import-template              GET     SIGNED_IN  -                 -
workspace-evaluation-new               GET     SIGNED_IN  -                 -
workspace-evaluation-new               POST    SCOPED     home              h_editor
workspace-evaluation-run               POST    SCOPED     round_open        h_editor
workspace-evaluation-run               POST    SCOPED     round_tag         root
workspace-evaluation-confirm           POST    SCOPED     round_open        h_reviewer
workspace-evaluation-follow-up         POST    SCOPED     round_open        h_editor
workspace-evaluation-decide            POST    SCOPED     result_open       h_reviewer
workspace-evaluation-decide            POST    SCOPED     result_tag_open   h_reviewer
workspace-evidence-import              GET     SIGNED_IN  -                 -
workspace-evidence-import              POST    SCOPED     street            h_editor
workspace-evidence-confirm             POST    SCOPED     street            h_editor
workspace-evidence-template            GET     SIGNED_IN  -                 -
"""

ACCESS_CLASSES = ("INFRA", "PUBLIC", "SIGNED_IN", "PRIVATE", "SCOPED", "REVIEW", "OWN")
REFUSING = ("PRIVATE", "SCOPED", "REVIEW", "OWN")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Row:
    route: str
    method: str
    access: str
    obj: str
    rightful: str

    @property
    def id(self) -> str:
        return f"{self.route}:{self.method}:{self.obj}"


def _parse(table: str) -> list[Row]:
    rows = []
    for line in table.strip().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        route, method, access, obj, rightful = line.split()
        assert method in METHODS, line
        assert access in ACCESS_CLASSES, line
        rows.append(Row(route, method, access, obj, rightful))
    ids = [r.id for r in rows]
    assert len(ids) == len(set(ids)), "a row of the table is repeated"
    return rows


ROWS = _parse(ACCESS_TABLE)


# --- every route of the project ---------------------------------------------------------------------------


def _walk(patterns, prefix="", *, admin=False, in_admin=False):
    """(pattern, URLPattern) of every route under ``patterns``: the admin's (``admin``), or all the others."""
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern), admin=admin,
                             in_admin=in_admin or p.namespace == "admin")
        elif in_admin == admin:
            yield prefix + str(p.pattern), p


def _view(p: URLPattern) -> str:
    view = getattr(p.callback, "cls", None) or getattr(p.callback, "view_class", None) or p.callback
    return f"{view.__module__}.{view.__qualname__}"


def project_routes() -> dict[str, set[str] | None]:
    """Route name → the HTTP methods it answers, for the API's viewset routes (read from their actions);
    ``None`` for other views (their methods are the table's to state). The admin is left out."""
    routes: dict[str, set[str] | None] = {}
    for pattern, p in _walk(get_resolver().url_patterns):
        name = p.name or f"<unnamed {pattern}>"
        actions = getattr(p.callback, "actions", None)
        if actions:
            methods = {m.upper() for m in actions} - {"OPTIONS", "HEAD"}
            routes[name] = (routes.get(name) or set()) | methods
        else:
            routes.setdefault(name, None)
    return routes


def admin_routes() -> list[str]:
    names = []
    for _pattern, p in _walk(get_resolver().url_patterns, admin=True):
        if p.name and p.name not in names:
            names.append(p.name)
    return names


def test_every_route_of_the_project_has_a_row_in_the_access_table():
    """A new endpoint or page without an access row fails here: add its row (and its request below)."""
    listed: dict[str, set[str]] = {}
    for row in ROWS:
        listed.setdefault(row.route, set()).add(row.method)
    missing = []
    for name, methods in sorted(project_routes().items()):
        if name not in listed:
            missing.append(f"{name} (every method)")
        elif methods is not None:
            missing += [f"{name} {m}" for m in sorted(methods - listed[name])]
    assert not missing, "routes with no access row: " + ", ".join(missing)


def test_no_route_name_is_shared_by_two_views():
    """The table lists routes by name: a second view under a name already listed would slip past it."""
    views: dict[str, set[str]] = {}
    for pattern, p in _walk(get_resolver().url_patterns):
        views.setdefault(p.name or pattern, set()).add(_view(p))
    shared = {name: sorted(v) for name, v in views.items() if len(v) > 1}
    assert not shared, shared


def test_every_row_of_the_access_table_names_a_route_that_exists():
    routes = project_routes()
    gone = sorted({row.route for row in ROWS if row.route not in routes})
    assert not gone, "rows naming routes that no longer exist: " + ", ".join(gone)
    extra = sorted(f"{row.route} {row.method}" for row in ROWS
                   if routes[row.route] is not None and row.method not in routes[row.route])
    assert not extra, "rows naming methods the route does not answer: " + ", ".join(extra)


def test_every_row_has_a_request_and_every_request_a_row():
    assert sorted(r.id for r in ROWS) == sorted(REQUESTS), (
        set(r.id for r in ROWS) ^ set(REQUESTS))


# --- the world ---------------------------------------------------------------------------------------------
#
# 广东省 44 → 深圳市 4403 → 罗湖区 440303 (home: the district every private object belongs to) → its streets
# 桂园街道 440303001 (street: receives the district's proposals) and 黄贝街道 440303002; 福田区 440304 is the
# sibling district (neighbour's); 新疆 65 → 乌鲁木齐市 6501 is somewhere else (outsider's).

SECRET = "秘密"  # in every private text of the world, and in no product text


class World:
    pass


def _person(username, display_name, *memberships):
    user = get_user_model().objects.create_user(username, display_name=display_name)
    for government, role in memberships:
        Membership.objects.create(user=user, government=government, role=role, include_subtree=True)
    return user


def _build_world() -> World:
    w = World()
    gov = services.create_government
    w.province = gov(code="44", name="广东省", tier=Tier.PROVINCE)
    w.city = gov(code="4403", name="深圳市", tier=Tier.CITY, parent=w.province)
    w.home = gov(code="440303", name="罗湖区", tier=Tier.COUNTY, parent=w.city, kind="区")
    w.street = gov(code="440303001", name="桂园街道", tier=Tier.TOWNSHIP, parent=w.home, kind="街道",
                   tags=["pilot-k7q"])
    w.street2 = gov(code="440303002", name="黄贝街道", tier=Tier.TOWNSHIP, parent=w.home, kind="街道")
    w.sibling = gov(code="440304", name="福田区", tier=Tier.COUNTY, parent=w.city, kind="区")
    w.elsewhere_province = gov(code="65", name="新疆维吾尔自治区", tier=Tier.PROVINCE)
    w.elsewhere = gov(code="6501", name="乌鲁木齐市", tier=Tier.CITY, parent=w.elsewhere_province)
    w.home_dept = services.create_department(government=w.home, name="罗湖区市场监督管理局")
    w.street_dept = services.create_department(government=w.street, name="桂园街道便民服务中心",
                                               kind="service_centre")

    # People. Memberships cover the government's whole territory (include_subtree) unless said.
    w.people = {
        "h_editor": _person("acc-heditor-k7q", "人名编辑甲", (w.home, "editor")),
        "h_reviewer": _person("acc-hreviewer-k7q", "人名审核乙", (w.home, "reviewer")),
        "maker": _person("acc-maker-k7q", "人名经办丙", (w.home, "editor"), (w.home, "reviewer")),
        "co_maker": _person("acc-comaker-k7q", "人名修改庚", (w.home, "editor"), (w.home, "reviewer")),
        "s_reviewer": _person("acc-sreviewer-k7q", "人名街道丁", (w.street, "reviewer")),
        "outsider": _person("acc-outsider-k7q", "人名外省戊", (w.elsewhere_province, "administrator")),
        "neighbour": _person("acc-neighbour-k7q", "人名邻区己", (w.sibling, "administrator")),
        "nobody": _person("acc-nobody-k7q", "人名无角色辛"),
        "root": _person("acc-root-k7q", "人名超级壬"),
    }
    get_user_model().objects.filter(pk=w.people["root"].pk).update(is_superuser=True, is_staff=True)
    w.people["root"].refresh_from_db()
    Membership.objects.filter(user=w.people["h_editor"]).update(include_subtree=False)
    Membership.objects.filter(user=w.people["h_reviewer"]).update(include_subtree=False)
    Membership.objects.filter(user=w.people["s_reviewer"]).update(include_subtree=False)
    p = w.people
    w.tokens = {name: AuthToken.objects.create(user, expiry=datetime.timedelta(days=1))[1]
                for name, user in p.items()}
    w.maker_token_key = AuthToken.objects.filter(user=p["maker"]).get().token_key

    counter = iter(range(1, 100))

    def item(name, **values):
        return services.create_item(government=w.home, holder_from=SINCE, code=f"A{next(counter):02d}", name=name,
                                    category=Category.LICENSING, field="市场监管", **values)

    w.item_free = item("公开事项NM-自由")
    w.item_draft = item("事项NM-草稿")
    names = {k: f"事项NM-{k}" for k in ("submitted", "approved", "b1", "b2", "b3")}
    items = {k: item(v) for k, v in names.items()}
    w.item_b4 = item("公开事项NM-已生效批次")
    w.item_good = item("公开事项NM-可推广", statutory_days=20)
    w.item_poor = item("公开事项NM-运行不良", statutory_days=20)
    # item names are public, but never part of a refusal about the proposal they are in
    w.private_item_names = [w.item_draft.name, *names.values()]

    maker, h_editor, h_reviewer, s_reviewer = p["maker"], p["h_editor"], p["h_reviewer"], p["s_reviewer"]

    def offer(item, reason, batch=None):
        """A devolution to the street proposed by the maker and edited by the co-maker (both makers)."""
        t = workflow.propose(actor=maker, kind="devolve", item=item, giver=w.home, receiver=w.street,
                             effective_on=DAY, reason=reason, batch=batch)
        workflow.edit(t, actor=p["co_maker"], staff_posts=1)
        return t

    w.draft = offer(w.item_draft, "秘密理由-草稿")
    w.submitted = offer(items["submitted"], "秘密理由-待批")
    workflow.submit(w.submitted, actor=maker, comment="秘密意见-提交")
    w.approved = offer(items["approved"], "秘密理由-待接")
    workflow.submit(w.approved, actor=maker)
    workflow.approve(w.approved, actor=h_reviewer, comment="秘密意见-批准")

    def batch(title, number):
        return workflow.create_batch(actor=h_editor, issuer=w.home, title=title, number=number, effective_on=DAY)

    # Editions of the district's list: a draft (private: its title is a secret), one approved, one published.
    w.edition_draft = editions.draft_edition(w.home, number="2019", title="秘密清单版本-草稿", actor=h_editor)
    w.edition_approved = editions.approve_edition(
        editions.draft_edition(w.home, number="2020", title="秘密清单版本-待公布", actor=h_editor),
        approved_on=D(2020, 3, 1), actor=h_reviewer)
    w.edition_published = editions.publish_edition(
        editions.approve_edition(editions.draft_edition(w.home, number="2018", title="罗湖区权责清单（2018年版）",
                                                        actor=h_editor), approved_on=D(2018, 3, 1), actor=h_reviewer),
        document_number="罗府〔2018〕5号", published_on=D(2018, 3, 15), actor=h_reviewer)
    w.law = create_law(name="中华人民共和国行政许可法", kind="law", version_date=D(2003, 8, 27))

    w.batch_draft = batch("秘密批次-甲", "罗府秘密〔2017〕1号")
    w.in_batch_draft = offer(items["b1"], "秘密理由-批一", w.batch_draft)
    workflow.submit(w.in_batch_draft, actor=maker)
    w.batch_waiting = batch("秘密批次-乙", "罗府秘密〔2017〕2号")
    w.in_batch_waiting = offer(items["b2"], "秘密理由-批二", w.batch_waiting)
    workflow.submit(w.in_batch_waiting, actor=maker)
    workflow.approve_batch(w.batch_waiting, actor=h_reviewer)
    w.batch_ready = batch("秘密批次-丙", "罗府秘密〔2017〕3号")
    w.in_batch_ready = offer(items["b3"], "秘密理由-批三", w.batch_ready)
    workflow.submit(w.in_batch_ready, actor=maker)
    workflow.approve_batch(w.batch_ready, actor=h_reviewer)
    workflow.accept(w.in_batch_ready, actor=s_reviewer, receiving_department=w.street_dept)
    w.batch_effective = batch("公开批次-丁", "罗府〔2017〕4号")
    w.effective = offer(w.item_b4, "公开理由-已生效", w.batch_effective)
    workflow.submit(w.effective, actor=maker)
    workflow.approve_batch(w.batch_effective, actor=h_reviewer)
    workflow.accept(w.effective, actor=s_reviewer, receiving_department=w.street_dept)
    workflow.effect_batch(w.batch_effective, actor=h_reviewer)

    # Evaluation: two powers devolved to the street, with evidence; a round over the district in progress
    # (one result decided, one not), and a round over the street confirmed (public).
    for it in (w.item_good, w.item_poor):
        services.devolve(item=it, giver=w.home, receiver=w.street, effective_on=DEVOLVED_ON,
                         receiving_department=w.street_dept)
    w.evidence = evaluation.record_evidence(item=w.item_good, government=w.street, period_start=START,
                                            period_end=END, cases_handled=50, satisfaction="95", average_days="5",
                                            capacity="adequate", note="秘密依据-甲", actor=h_editor)
    evaluation.record_evidence(item=w.item_poor, government=w.street, period_start=START, period_end=END,
                               cases_handled=0, capacity="adequate", note="秘密依据-乙", actor=h_editor)
    w.round_open = evaluation.create_round(name="秘密评估轮次", scope_government=w.home, period_start=START,
                                           period_end=END, actor=h_editor)
    evaluation.run_round(w.round_open, actor=h_editor)
    results = {r.item_id: r for r in EvaluationResult.objects.filter(round=w.round_open)}
    assert {w.item_good.pk, w.item_poor.pk} <= set(results), results  # (and the proposals not yet effective)
    w.result_decided = results[w.item_poor.pk]
    evaluation.decide(w.result_decided, w.result_decided.suggested, actor=h_reviewer, reason="秘密结论理由")
    w.result_open = results[w.item_good.pk]
    w.round_confirmed = evaluation.create_round(name="公开评估轮次", scope_government=w.street, period_start=START,
                                                period_end=END, actor=maker)
    evaluation.run_round(w.round_confirmed, actor=maker)
    for r in EvaluationResult.objects.filter(round=w.round_confirmed):
        evaluation.decide(r, r.suggested, actor=h_reviewer)
    w.result_confirmed = EvaluationResult.objects.filter(round=w.round_confirmed).order_by("id").first()
    # A round scoped by a tag only (only a superuser opens one): the tag is carried by the district's street
    # alone, so the round is about that street and nothing else.
    w.round_tag = evaluation.create_round(name="秘密标签轮次", scope_tag="pilot-k7q", period_start=START,
                                          period_end=END, actor=p["root"])
    evaluation.run_round(w.round_tag, actor=p["root"])
    results = {r.item_id: r for r in EvaluationResult.objects.filter(round=w.round_tag)}
    w.result_tag = results[w.item_poor.pk]
    evaluation.decide(w.result_tag, w.result_tag.suggested, actor=h_reviewer, reason="秘密标签结论")
    w.result_tag_open = results[w.item_good.pk]

    w.exercise = Exercise.objects.filter(item=w.item_free).get()
    w.public_event = AuditEvent.objects.get(action="item.create", item=w.item_free)
    w.draft_event = AuditEvent.objects.get(action="workflow.propose", transfer=w.draft)

    for name in ("draft", "submitted", "approved", "effective", "batch_draft", "batch_waiting", "batch_ready",
                 "batch_effective", "round_open", "round_confirmed", "result_decided", "result_open",
                 "result_confirmed", "round_tag", "result_tag", "result_tag_open", "evidence"):
        obj = getattr(w, name)
        setattr(w, name, type(obj).objects.get(pk=obj.pk))
    assert (w.draft.state, w.submitted.state, w.approved.state, w.effective.state) == (
        "draft", "submitted", "approved", "effective")
    assert (w.batch_draft.state, w.batch_waiting.state, w.batch_ready.state, w.batch_effective.state) == (
        "draft", "approved", "approved", "effective")
    assert (w.round_open.state, w.round_confirmed.state, w.round_tag.state) == (
        "evaluated", "confirmed", "evaluated")
    assert w.result_decided.decision and not w.result_open.decision
    for t in (w.submitted, w.approved, w.in_batch_draft, w.in_batch_waiting):
        assert t.created_by == maker and set(t.editors.all()) == {maker, p["co_maker"]}
    w.people_markers = {name: (u.username, u.display_name) for name, u in p.items()}
    return w


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once; rolled back when the module is done. Each test's own writes roll back with its ``db``."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world()
        transaction.set_rollback(True)


@pytest.fixture
def w(world, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # uploads waiting for confirmation go here
    return world


# --- the requests ----------------------------------------------------------------------------------------


@dataclass
class Req:
    url: str
    data: object = None
    api: bool = False
    headers: dict = field(default_factory=dict)
    ok: tuple = (200,)  # the rightful caller's status
    refused: tuple | None = None  # an outsider's status, when it differs from the class's
    prepare: Callable | None = None  # (client, world) → None: what the caller's session holds first
    witness: str | None = None  # a private text the rightful caller's answer shows


def api(url, data=None, ok=(200,), **kw):
    return Req(url, data, api=True, ok=ok, **kw)


def web(url, data=None, ok=(302,), **kw):
    return Req(url, data, ok=ok, **kw)


def page(url, ok=(200,), **kw):
    return Req(url, None, ok=ok, **kw)


def _form(prefix: str, version: int, **values) -> dict:
    data = {f"{prefix}-version": version, f"{prefix}-comment": values.pop("comment", "")}
    data.update({f"{prefix}-{k}": v for k, v in values.items()})
    return data


def _item_form(w) -> dict:
    it = PowerItem.objects.get(pk=w.item_free.pk)
    return {"version": it.version, "code": it.code, "name": "公开事项NM-改名", "category": it.category,
            "field": it.field, "department": "", "division": "", "legal_basis": "", "statutory_days": "",
            "promised_days": "", "lowest_tier": it.lowest_tier, "responsibilities": "", "accountability": "",
            "reason": "更正"}


def _items_csv() -> bytes:
    return write_csv([{"code": "N01", "name": "导入事项", "category": "行政许可", "field": "市场监管", "is_core": "否"}],
                     ITEM_COLUMNS)


def _unmapped_csv() -> bytes:
    """An import with a column the product does not know (内部编号): the workspace asks what it is."""
    return ("\ufeff事项编码,事项名称,权力类别,内部编号\nN02,导入事项二,行政许可,x-1\n").encode("utf-8")


EVIDENCE_HEADER = ("事项编码,承接政府代码,统计起始日期,统计截止日期,办件量,平均办理时间（工作日）,法定时限（工作日）,"
                   "满意度（%）,投诉数,已明确承接单位,已配备人员,承接能力,备注")


def _evidence_csv(w) -> bytes:
    line = f"{w.item_good.code},{w.street.code},2018-01-01,2019-12-31,7,,,,0,,,,"
    return ("\ufeff" + EVIDENCE_HEADER + "\n" + line + "\n").encode("utf-8")


def _waiting_upload(session_key: str, data: bytes, filename: str, **entry):
    """A preview the caller's session holds, as the upload page leaves it: the file stored on the server
    and its fingerprint in the session. (An outsider holding one is a person whose role was revoked after
    the preview, or a forged session: the confirmation must ask the policy again.)"""

    def prepare(client, w):
        from django.conf import settings

        folder = Path(settings.MEDIA_ROOT) / "imports"
        folder.mkdir(parents=True, exist_ok=True)
        digest = file_fingerprint(data)
        path = folder / f"{digest}-waiting"
        path.write_bytes(data)
        session = client.session
        session[session_key] = {digest: {"path": str(path), "filename": filename, **entry}}
        session.save()
        return digest

    return prepare


def _confirm_waiting(url: str, session_key: str, data_of: Callable, filename: str, refused=None,
                     **entry) -> Callable:
    def build(w):
        data = data_of(w)
        return web(url, {"fingerprint": file_fingerprint(data)}, refused=refused,
                   prepare=_waiting_upload(session_key, data, filename, **entry))

    return build


def _upload(url, filename, data_of, ok=(200,), refused=None, **fields):
    def build(w):
        return web(url, lambda: {**fields, "file": SimpleUploadedFile(filename, data_of(w))}, ok=ok,
                   refused=refused)

    return build


V1 = "/api/v1"
OFFER = {"kind": "devolve", "giver": "440303", "receiver": "440303001", "effective_on": "2017-03-01"}
EVIDENCE = {"government": "440303001", "period_start": "2018-01-01", "period_end": "2019-12-31", "cases_handled": 7}
ROUND = {"name": "新评估", "scope_government": "440303", "period_start": "2018-01-01", "period_end": "2019-12-31"}
ROUND_FORM = {**ROUND, "scope_tag": "", "min_cases": 10, "min_satisfaction": 80, "max_days_ratio": 1,
              "compare_before": "on", "not_yet_overdue_days": 90, "requested_undecided_days": 60}

REQUESTS: dict[str, Callable[[World], Req]] = {
    # infrastructure
    "healthz:GET:-": lambda w: page("/healthz"),
    "set_language:POST:-": lambda w: web(reverse("set_language"), {"language": "en", "next": "/"}),
    "login:GET:-": lambda w: page(reverse("login")),
    "logout:POST:-": lambda w: web(reverse("logout")),
    "api-root:GET:-": lambda w: api(f"{V1}/"),
    "api-schema:GET:-": lambda w: api("/api/schema/"),
    "api-docs:GET:-": lambda w: page("/api/docs/"),
    "api-redoc:GET:-": lambda w: page("/api/redoc/"),
    # API: public reads
    "api-government-list:GET:-": lambda w: api(f"{V1}/governments/?page_size=500"),
    "api-government-detail:GET:home": lambda w: api(f"{V1}/governments/440303/"),
    "api-government-diff:GET:home": lambda w: api(f"{V1}/governments/440303/diff/?from=2016-06-01&to=2018-01-01"),
    "api-government-powers:GET:home": lambda w: api(f"{V1}/governments/440303/powers/?as_of=2017-03-01"),
    "api-department-list:GET:-": lambda w: api(f"{V1}/departments/?page_size=500"),
    "api-department-detail:GET:home_dept": lambda w: api(f"{V1}/departments/{w.home_dept.pk}/"),
    "api-department-responsibilities:GET:home_dept": lambda w: api(
        f"{V1}/departments/{w.home_dept.pk}/responsibilities/"),
    "api-exercise-list:GET:-": lambda w: api(f"{V1}/exercises/?page_size=500"),
    "api-exercise-detail:GET:exercise": lambda w: api(f"{V1}/exercises/{w.exercise.pk}/"),
    "api-stats-list:GET:-": lambda w: api(f"{V1}/stats/?government=440303"),
    "api-audit-event-list:GET:-": lambda w: api(f"{V1}/audit/?page_size=500", witness="秘密理由-草稿"),
    "api-audit-event-detail:GET:public_event": lambda w: api(f"{V1}/audit/{w.public_event.pk}/"),
    "api-audit-event-detail:GET:draft_event": lambda w: api(f"{V1}/audit/{w.draft_event.pk}/",
                                                            witness="秘密理由-草稿"),
    "api-audit-event-head:GET:-": lambda w: api(f"{V1}/audit/head/"),
    # API: items
    "api-item-list:GET:-": lambda w: api(f"{V1}/items/?page_size=500"),
    "api-item-list:POST:home": lambda w: api(f"{V1}/items/", {"government": "440303", "code": "N01",
                                                              "name": "新增事项", "category": "licensing"}, ok=(201,)),
    "api-item-detail:GET:item_free": lambda w: api(f"{V1}/items/{w.item_free.pk}/"),
    # the district's free item to both its streets, in a new batch (outsiders: 403 for the batch)
    "api-transfer-bulk:POST:home": lambda w: api(f"{V1}/transfers/bulk/", {
        "kind": "devolve", "giver": "440303", "receivers": ["440303001", "440303002"], "items": [w.item_free.code],
        "effective_on": "2017-03-01", "new_batch": {"title": "批量下放"}}, ok=(201,)),
    "api-government-editions:GET:home": lambda w: api(f"{V1}/governments/440303/editions/"),
    "api-government-editions:POST:home": lambda w: api(f"{V1}/governments/440303/editions/",
                                                       {"number": "2022", "title": "罗湖区权责清单（2022年版）"},
                                                       ok=(201,)),
    "api-government-edition:GET:edition_published": lambda w: api(f"{V1}/governments/440303/editions/2018/"),
    "api-government-edition:GET:edition_draft": lambda w: api(f"{V1}/governments/440303/editions/2019/"),
    "api-government-edition-compare:GET:edition_published": lambda w: api(
        f"{V1}/governments/440303/editions/2018/compare/?with=2018"),
    "api-government-edition-approve:POST:edition_draft": lambda w: api(
        f"{V1}/governments/440303/editions/2019/approve/", {"approved_on": "2019-03-01"}),
    "api-government-edition-publish:POST:edition_approved": lambda w: api(
        f"{V1}/governments/440303/editions/2020/publish/", {"document_number": "罗府〔2020〕2号",
                                                            "published_on": "2020-03-15"}),
    "api-government-edition-file:POST:edition_published": lambda w: api(
        f"{V1}/governments/440303/editions/2018/file/", {"filed_with": "4403", "filed_on": "2018-04-01"}),
    "api-law-list:GET:-": lambda w: api(f"{V1}/laws/"),
    # Laws are one register for every list: anyone with an editor role somewhere registers one (201: the
    # outsider and the neighbour are administrators elsewhere); a person with no role is refused (403).
    "api-law-list:POST:-": lambda w: api(f"{V1}/laws/", {"name": "不动产登记暂行条例", "kind": "administrative_regulation",
                                                         "version_date": "2014-11-24"}, ok=(201, 403)),
    "api-law-detail:GET:law": lambda w: api(f"{V1}/laws/{w.law.pk}/"),
    "api-item-detail:PATCH:item_free": lambda w: api(f"{V1}/items/{w.item_free.pk}/", {"name": "公开事项NM-改名"},
                                                     headers={"HTTP_IF_MATCH": "*"}),
    "api-item-history:GET:item_draft": lambda w: api(f"{V1}/items/{w.item_draft.pk}/history/?page_size=500",
                                                     witness="秘密理由-草稿"),
    # API: transfers
    "api-transfer-list:GET:-": lambda w: api(f"{V1}/transfers/?page_size=500", witness="秘密理由-草稿"),
    "api-transfer-list:POST:home": lambda w: api(f"{V1}/transfers/", {**OFFER, "item": w.item_free.pk}, ok=(201,)),
    "api-transfer-detail:GET:effective": lambda w: api(f"{V1}/transfers/{w.effective.pk}/"),
    "api-transfer-detail:GET:draft": lambda w: api(f"{V1}/transfers/{w.draft.pk}/", witness="秘密理由-草稿"),
    "api-transfer-detail:PATCH:draft": lambda w: api(f"{V1}/transfers/{w.draft.pk}/", {"staff_posts": 3},
                                                     headers={"HTTP_IF_MATCH": "*"}),
    "api-transfer-submit:POST:draft": lambda w: api(f"{V1}/transfers/{w.draft.pk}/submit/", {}),
    "api-transfer-withdraw:POST:draft": lambda w: api(f"{V1}/transfers/{w.draft.pk}/withdraw/", {}),
    "api-transfer-approve:POST:submitted": lambda w: api(f"{V1}/transfers/{w.submitted.pk}/approve/",
                                                         {"comment": "同意"}),
    "api-transfer-return:POST:submitted": lambda w: api(f"{V1}/transfers/{w.submitted.pk}/return/",
                                                        {"comment": "请修改"}),
    "api-transfer-reject:POST:submitted": lambda w: api(f"{V1}/transfers/{w.submitted.pk}/reject/",
                                                        {"reason": "不同意"}),
    "api-transfer-reject:POST:approved": lambda w: api(f"{V1}/transfers/{w.approved.pk}/reject/",
                                                       {"reason": "接不住"}),
    "api-transfer-accept:POST:approved": lambda w: api(f"{V1}/transfers/{w.approved.pk}/accept/",
                                                       {"receiving_department": w.street_dept.pk}),
    # API: batches
    "api-batch-list:GET:-": lambda w: api(f"{V1}/batches/?page_size=500", witness="秘密批次-甲"),
    "api-batch-list:POST:home": lambda w: api(f"{V1}/batches/", {"issuer": "440303", "title": "新批次",
                                                                 "effective_on": "2017-03-01"}, ok=(201,)),
    "api-batch-detail:GET:batch_effective": lambda w: api(f"{V1}/batches/{w.batch_effective.pk}/"),
    "api-batch-detail:GET:batch_draft": lambda w: api(f"{V1}/batches/{w.batch_draft.pk}/", witness="秘密批次-甲"),
    "api-batch-add:POST:batch_draft": lambda w: api(f"{V1}/batches/{w.batch_draft.pk}/add/",
                                                    {"transfer": w.draft.pk}),
    "api-batch-approve:POST:batch_draft": lambda w: api(f"{V1}/batches/{w.batch_draft.pk}/approve/", {}),
    "api-batch-reject:POST:batch_draft": lambda w: api(f"{V1}/batches/{w.batch_draft.pk}/reject/",
                                                       {"reason": "不同意"}),
    "api-batch-accept:POST:batch_waiting": lambda w: api(f"{V1}/batches/{w.batch_waiting.pk}/accept/", {
        "government": "440303001", "receiving_department": w.street_dept.pk}),
    "api-batch-effect:POST:batch_ready": lambda w: api(f"{V1}/batches/{w.batch_ready.pk}/effect/", {}),
    # API: evaluation
    "api-evidence-list:GET:-": lambda w: api(f"{V1}/evidence/?page_size=500", witness="秘密依据-甲"),
    "api-evidence-list:POST:street": lambda w: api(f"{V1}/evidence/", {**EVIDENCE, "item": w.item_good.pk}),
    "api-evidence-bulk:POST:street": lambda w: api(f"{V1}/evidence/bulk/", [{**EVIDENCE, "item": w.item_good.pk}]),
    "api-evidence-detail:GET:evidence": lambda w: api(f"{V1}/evidence/{w.evidence.pk}/", witness="秘密依据-甲"),
    "api-evaluation-round-list:GET:-": lambda w: api(f"{V1}/evaluation-rounds/?page_size=500",
                                                     witness="秘密评估轮次"),
    "api-evaluation-round-list:POST:home": lambda w: api(f"{V1}/evaluation-rounds/", ROUND, ok=(201,)),
    "api-evaluation-round-detail:GET:round_confirmed": lambda w: api(
        f"{V1}/evaluation-rounds/{w.round_confirmed.pk}/"),
    "api-evaluation-round-detail:GET:round_open": lambda w: api(f"{V1}/evaluation-rounds/{w.round_open.pk}/",
                                                                witness="秘密评估轮次"),
    "api-evaluation-round-report:GET:round_confirmed": lambda w: api(
        f"{V1}/evaluation-rounds/{w.round_confirmed.pk}/report/"),
    "api-evaluation-round-report:GET:round_open": lambda w: api(f"{V1}/evaluation-rounds/{w.round_open.pk}/report/"),
    "api-evaluation-round-run:POST:round_open": lambda w: api(f"{V1}/evaluation-rounds/{w.round_open.pk}/run/", {}),
    "api-evaluation-round-detail:GET:round_tag": lambda w: api(f"{V1}/evaluation-rounds/{w.round_tag.pk}/",
                                                               witness="秘密标签轮次"),
    "api-evaluation-round-report:GET:round_tag": lambda w: api(f"{V1}/evaluation-rounds/{w.round_tag.pk}/report/"),
    "api-evaluation-round-run:POST:round_tag": lambda w: api(f"{V1}/evaluation-rounds/{w.round_tag.pk}/run/", {}),
    "api-evaluation-round-follow-up:POST:round_open": lambda w: api(
        f"{V1}/evaluation-rounds/{w.round_open.pk}/follow-up/", {"title": "后续批次", "effective_on": "2020-03-01"},
        ok=(201,)),
    "api-evaluation-result-list:GET:-": lambda w: api(f"{V1}/evaluation-results/?page_size=500",
                                                      witness="秘密结论理由"),
    "api-evaluation-result-detail:GET:result_confirmed": lambda w: api(
        f"{V1}/evaluation-results/{w.result_confirmed.pk}/"),
    "api-evaluation-result-detail:GET:result_decided": lambda w: api(
        f"{V1}/evaluation-results/{w.result_decided.pk}/", witness="秘密结论理由"),
    "api-evaluation-result-decide:POST:result_open": lambda w: api(
        f"{V1}/evaluation-results/{w.result_open.pk}/decide/", {"decision": w.result_open.suggested}),
    "api-evaluation-result-detail:GET:result_tag": lambda w: api(f"{V1}/evaluation-results/{w.result_tag.pk}/",
                                                                 witness="秘密标签结论"),
    "api-evaluation-result-decide:POST:result_tag_open": lambda w: api(
        f"{V1}/evaluation-results/{w.result_tag_open.pk}/decide/", {"decision": w.result_tag_open.suggested}),
    # public pages
    "home:GET:-": lambda w: page("/"),
    "government:GET:home": lambda w: page("/g/440303/"),
    "government-export:GET:home": lambda w: page("/g/440303/export.xlsx"),
    "government-diff:GET:home": lambda w: page("/g/440303/diff/?from=2016-06-01&to=2018-01-01"),
    "government-chart:GET:home": lambda w: page("/g/440303/chart/?date=2017-03-01"),
    "government-editions:GET:home": lambda w: page("/g/440303/editions/"),
    "government-edition:GET:edition_published": lambda w: page("/g/440303/editions/2018/"),
    "government-edition:GET:edition_draft": lambda w: page("/g/440303/editions/2019/", witness="秘密清单版本-草稿"),
    "government-editions-compare:GET:home": lambda w: page("/g/440303/editions/compare/?a=2018&b=2018"),
    "workspace-edition-draft:POST:home": lambda w: web("/workspace/editions/440303/draft/",
                                                       {"number": "2022", "title": "罗湖区权责清单（2022年版）"}),
    "workspace-edition-step:POST:edition_draft/approve": lambda w: web(
        f"/workspace/editions/{w.edition_draft.pk}/approve/", {"approved_on": "2019-03-01"}),
    "workspace-edition-step:POST:edition_approved/publish": lambda w: web(
        f"/workspace/editions/{w.edition_approved.pk}/publish/", {"document_number": "罗府〔2020〕2号",
                                                                  "published_on": "2020-03-15"}),
    "workspace-edition-step:POST:edition_published/file": lambda w: web(
        f"/workspace/editions/{w.edition_published.pk}/file/", {"filed_with": "4403", "filed_on": "2018-04-01"}),
    "item:GET:item_draft": lambda w: page(f"/items/{w.item_draft.pk}/"),
    "department:GET:home_dept": lambda w: page(f"/departments/{w.home_dept.pk}/"),
    "evaluation-rounds:GET:-": lambda w: page("/evaluation/", witness="秘密评估轮次"),
    "evaluation-round:GET:round_confirmed": lambda w: page(f"/evaluation/{w.round_confirmed.pk}/"),
    "evaluation-round:GET:round_open": lambda w: page(f"/evaluation/{w.round_open.pk}/", witness="秘密评估轮次"),
    "evaluation-report:GET:round_confirmed": lambda w: page(f"/evaluation/{w.round_confirmed.pk}/report.xlsx"),
    "evaluation-report:GET:round_open": lambda w: page(f"/evaluation/{w.round_open.pk}/report.xlsx",
                                                       witness="秘密结论理由"),
    "evaluation-results:GET:round_confirmed": lambda w: page(f"/evaluation/{w.round_confirmed.pk}/results/"),
    "evaluation-results:GET:round_open": lambda w: page(f"/evaluation/{w.round_open.pk}/results/",
                                                        witness="秘密评估轮次"),
    "evaluation-result:GET:result_confirmed": lambda w: page(f"/evaluation/results/{w.result_confirmed.pk}/"),
    "evaluation-result:GET:result_decided": lambda w: page(f"/evaluation/results/{w.result_decided.pk}/",
                                                           witness="秘密结论理由"),
    "evaluation-round:GET:round_tag": lambda w: page(f"/evaluation/{w.round_tag.pk}/", witness="秘密标签轮次"),
    "evaluation-report:GET:round_tag": lambda w: page(f"/evaluation/{w.round_tag.pk}/report.xlsx",
                                                      witness="秘密标签结论"),
    "evaluation-results:GET:round_tag": lambda w: page(f"/evaluation/{w.round_tag.pk}/results/",
                                                       witness="秘密标签轮次"),
    "evaluation-result:GET:result_tag": lambda w: page(f"/evaluation/results/{w.result_tag.pk}/",
                                                       witness="秘密标签结论"),
    # the workspace
    "workspace:GET:-": lambda w: page("/workspace/", witness="事项NM-草稿"),
    "workspace-transfer-new:GET:-": lambda w: page("/workspace/transfers/new/"),
    "workspace-transfer-new:POST:home": lambda w: web("/workspace/transfers/new/", {
        "kind": "devolve", "origin": "offered", "giver": "440303", "item": w.item_free.code, "receiver": "440303001",
        "method": "", "effective_on": "2017-03-01", "staff_posts": 0, "reason": "新提议"}),
    "workspace-transfer:GET:draft": lambda w: page(f"/workspace/transfers/{w.draft.pk}/", witness="秘密理由-草稿"),
    "workspace-transfer-edit:GET:draft": lambda w: page(f"/workspace/transfers/{w.draft.pk}/edit/",
                                                        witness="秘密理由-草稿"),
    "workspace-transfer-edit:POST:draft": lambda w: web(f"/workspace/transfers/{w.draft.pk}/edit/", {
        "version": w.draft.version, "method": "", "effective_on": "2017-03-01", "staff_posts": 2, "reason": "改",
        "comment": ""}),
    "workspace-transfer-action:POST:draft/submit": lambda w: web(f"/workspace/transfers/{w.draft.pk}/submit/",
                                                                 _form("submit", w.draft.version)),
    "workspace-transfer-action:POST:draft/withdraw": lambda w: web(f"/workspace/transfers/{w.draft.pk}/withdraw/",
                                                                   _form("withdraw", w.draft.version)),
    "workspace-transfer-action:POST:submitted/approve": lambda w: web(
        f"/workspace/transfers/{w.submitted.pk}/approve/", _form("approve", w.submitted.version, comment="同意")),
    "workspace-transfer-action:POST:submitted/return": lambda w: web(
        f"/workspace/transfers/{w.submitted.pk}/return/", _form("return", w.submitted.version, comment="请修改")),
    "workspace-transfer-action:POST:submitted/reject": lambda w: web(
        f"/workspace/transfers/{w.submitted.pk}/reject/", _form("reject", w.submitted.version, comment="不同意")),
    "workspace-transfer-action:POST:approved/reject": lambda w: web(
        f"/workspace/transfers/{w.approved.pk}/reject/", _form("reject", w.approved.version, comment="接不住")),
    "workspace-transfer-action:POST:approved/accept": lambda w: web(
        f"/workspace/transfers/{w.approved.pk}/accept/",
        _form("accept", w.approved.version, receiving_department=w.street_dept.pk)),
    "workspace-batches:GET:-": lambda w: page("/workspace/batches/", witness="秘密批次-甲"),
    "workspace-batches:POST:home": lambda w: web("/workspace/batches/", {"issuer": "440303", "title": "新批次",
                                                                        "effective_on": "2017-03-01"}),
    "workspace-batch:GET:batch_draft": lambda w: page(f"/workspace/batches/{w.batch_draft.pk}/",
                                                      witness="秘密批次-甲"),
    "workspace-batch-action:POST:batch_draft/approve": lambda w: web(
        f"/workspace/batches/{w.batch_draft.pk}/approve/", {}),
    "workspace-batch-action:POST:batch_draft/reject": lambda w: web(
        f"/workspace/batches/{w.batch_draft.pk}/reject/", {"reason": "不同意"}),
    "workspace-batch-action:POST:batch_ready/effect": lambda w: web(
        f"/workspace/batches/{w.batch_ready.pk}/effect/", {}),
    "workspace-joint-review:GET:-": lambda w: page("/workspace/joint-review/"),
    "workspace-joint-review:GET:home/street": lambda w: page("/workspace/joint-review/?upper=440303&lower=440303001",
                                                             witness="事项NM-submitted"),
    "workspace-item-edit:GET:item_free": lambda w: page(f"/workspace/items/{w.item_free.pk}/edit/"),
    "workspace-item-edit:POST:item_free": lambda w: web(f"/workspace/items/{w.item_free.pk}/edit/", _item_form(w)),
    # a wrong old password: the form again, for anyone signed in (tests/test_tokens_and_passwords.py changes one)
    "password_change:GET:-": lambda w: page(reverse("password_change")),
    "password_change:POST:-": lambda w: web(reverse("password_change"), {
        "old_password": "not-the-password", "new_password1": "steady-river-lantern-42",
        "new_password2": "steady-river-lantern-42"}, ok=(200,)),
    "password_change_done:GET:-": lambda w: page(reverse("password_change_done")),
    "workspace-tokens:GET:-": lambda w: page("/workspace/tokens/"),
    "workspace-tokens:POST:-": lambda w: web("/workspace/tokens/", {"days": 30}, ok=(200,)),
    "workspace-token-revoke:POST:maker_token": lambda w: web("/workspace/tokens/revoke/",
                                                             {"token_key": w.maker_token_key}),
    "workspace-import:GET:-": lambda w: page("/workspace/import/"),
    "workspace-import:POST:home": _upload("/workspace/import/", "list.csv", lambda w: _items_csv(),
                                          refused=(400, 403, 404), government="440303"),
    "workspace-import-confirm:POST:home": _confirm_waiting("/workspace/import/confirm/", "workspace_imports",
                                                           lambda w: _items_csv(), "list.csv", government="440303",
                                                           holder_from=None),
    "workspace-import-mapping:POST:home": lambda w: web(
        "/workspace/import/mapping/", {"fingerprint": file_fingerprint(_unmapped_csv()), "key_0": "-"},
        ok=(200,), refused=(400, 403, 404),
        prepare=_waiting_upload("workspace_imports", _unmapped_csv(), "other.csv", government="440303",
                                holder_from=None)),
    "workspace-import-template:GET:-": lambda w: page("/workspace/import/template.csv"),
    "workspace-bulk:POST:home": lambda w: web("/workspace/bulk/", {
        "giver": "440303", "items": [w.item_free.code], "kind": "devolve", "receivers": ["440303001", "440303002"],
        "effective_on": "2017-03-01", "batch_title": "批量下放", "step": "confirm"}),
    "workspace-evaluation-new:GET:-": lambda w: page("/workspace/evaluation/new/"),
    "workspace-evaluation-new:POST:home": lambda w: web("/workspace/evaluation/new/", ROUND_FORM),
    "workspace-evaluation-run:POST:round_open": lambda w: web(f"/workspace/evaluation/{w.round_open.pk}/run/", {}),
    "workspace-evaluation-run:POST:round_tag": lambda w: web(f"/workspace/evaluation/{w.round_tag.pk}/run/", {}),
    "workspace-evaluation-confirm:POST:round_open": lambda w: web(
        f"/workspace/evaluation/{w.round_open.pk}/confirm/", {"result": [w.result_open.pk]}),
    "workspace-evaluation-follow-up:POST:round_open": lambda w: web(
        f"/workspace/evaluation/{w.round_open.pk}/follow-up/", {"title": "后续批次", "effective_on": "2020-03-01"}),
    "workspace-evaluation-decide:POST:result_open": lambda w: web(
        f"/workspace/evaluation/results/{w.result_open.pk}/decide/", {"decision": w.result_open.suggested,
                                                                      "reason": ""}),
    "workspace-evaluation-decide:POST:result_tag_open": lambda w: web(
        f"/workspace/evaluation/results/{w.result_tag_open.pk}/decide/", {"decision": w.result_tag_open.suggested,
                                                                          "reason": ""}),
    "workspace-evidence-import:GET:-": lambda w: page("/workspace/evaluation/evidence/"),
    # an outsider's upload is previewed with every row refused (200 or 400), and nothing is kept to confirm
    "workspace-evidence-import:POST:street": _upload("/workspace/evaluation/evidence/", "evidence.csv", _evidence_csv,
                                                     refused=(200, 400, 403, 404)),
    "workspace-evidence-confirm:POST:street": _confirm_waiting("/workspace/evaluation/evidence/confirm/",
                                                               "workspace_evidence_imports", _evidence_csv,
                                                               "evidence.csv", refused=(400, 403, 404)),
    "workspace-evidence-template:GET:-": lambda w: page("/workspace/evaluation/evidence/template.csv"),
}


# --- sending, reading, and what must not be there ---------------------------------------------------------


def send(w, row: Row, req: Req, caller: str | None, url: str | None = None, raise_errors: bool = True):
    """Send ``req`` as ``caller`` (None: anonymous): API requests with the caller's bearer token, pages with
    the caller's session."""
    url = url or req.url
    data = req.data() if callable(req.data) else req.data
    if req.api:
        client = APIClient(raise_request_exception=raise_errors)
        if caller:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {w.tokens[caller]}")
        if row.method == "GET":
            return client.get(url, **req.headers)
        return getattr(client, row.method.lower())(url, data, format="json", **req.headers)
    client = Client()
    if caller:
        client.force_login(w.people[caller])
        if req.prepare is not None:
            req.prepare(client, w)
    if row.method == "GET":
        return client.get(url, **req.headers)
    return client.post(url, data or {}, **req.headers)


def readable(response) -> str:
    """The whole answer as text: headers that carry data, HTML unescaped, JSON decoded, XLSX unzipped."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            text = "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist() if n.endswith(".xml"))
    else:
        text = body.decode("utf-8-sig", errors="replace")
        if "json" in kind:
            try:
                text = json.dumps(json.loads(text), ensure_ascii=False)
            except ValueError:
                pass
    extra = " ".join(response.get(h, "") for h in ("Location", "Content-Disposition", "ETag"))
    return html.unescape(text) + " " + extra


def secrets_in(text: str) -> list[str]:
    return sorted(set(re.findall(SECRET + r"[^\s\"'<>,]{0,12}", text)))


def people_in(w, text: str, caller: str | None) -> list[str]:
    return [marker for name, markers in w.people_markers.items() if name != caller for marker in markers
            if marker in text]


# What a refused request could have written, as aggregates of every table a request writes, read in one
# query (a request costs a few milliseconds; this check runs two or three times per test): rows added or
# removed (count, highest id), and rows changed (every versioned row's version moves on each write; the
# other columns a write sets are summed).
WRITTEN = (
    (AuditEvent, "COUNT(*)", "MAX(id)"),
    (Transfer, "COUNT(*)", "MAX(id)", "SUM(version)", "SUM(staff_posts)", "COUNT(batch_id)", "SUM(LENGTH(state))"),
    (Batch, "COUNT(*)", "MAX(id)", "SUM(version)", "SUM(LENGTH(state))"),
    (PowerItem, "COUNT(*)", "MAX(id)", "SUM(version)", "SUM(LENGTH(name))"),
    (Exercise, "COUNT(*)", "MAX(id)", "COUNT(valid_to)"),
    (Evidence, "COUNT(*)", "MAX(id)", "SUM(cases_handled)", "SUM(LENGTH(note))"),
    (EvaluationRound, "COUNT(*)", "MAX(id)", "SUM(LENGTH(state))", "COUNT(evaluated_at)"),
    (EvaluationResult, "COUNT(*)", "MAX(id)", "SUM(LENGTH(decision))", "SUM(LENGTH(follow_up_note))"),
    (AuthToken, "COUNT(*)"),
    (Government, "COUNT(*)"),
    (Department, "COUNT(*)"),
    (Membership, "COUNT(*)"),
    (IdempotencyRecord, "COUNT(*)"),
    (Edition, "COUNT(*)", "SUM(version)", "SUM(LENGTH(state))"),
    (Law, "COUNT(*)"),
    (ImportMapping, "COUNT(*)"),
)


def _state_sql() -> str:
    quote = connection.ops.quote_name
    return "SELECT " + ", ".join(f"(SELECT {expr} FROM {quote(model._meta.db_table)})"
                                 for model, *exprs in WRITTEN for expr in exprs)


def state(w) -> tuple:
    """What a refused request could have written: the written tables' aggregates, and the uploads kept."""
    from django.conf import settings

    with connection.cursor() as cursor:
        cursor.execute(_state_sql())
        row = cursor.fetchone()
    uploads = Path(settings.MEDIA_ROOT) / "imports"
    kept = sorted(p.name for p in uploads.iterdir() if not p.name.endswith("-waiting")) if uploads.is_dir() else []
    return (*row, kept)


def _to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _suffixed(url: str) -> str:
    """The same API route with a format suffix (``/api/v1/transfers/5.json``), which the product does not serve."""
    path, _, query = url.partition("?")
    return path.rstrip("/") + ".json" + (f"?{query}" if query else "")


def assert_refused(w, row: Row, req: Req, caller: str | None, response, before, suffixed=False) -> None:
    label = f"{row.id} as {caller or 'anonymous'}" + (" (with a format suffix)" if suffixed else "")
    status = response.status_code
    if suffixed:  # no format-suffix routes (they once answered the @action routes with a 500)
        assert status == 404, f"{label}: {status} {readable(response)[:300]}"
    elif caller is None:
        if req.api:
            allowed = (401, 403) if row.route.endswith("-list") else (401, 403, 404)
            assert status in allowed, f"{label}: {status} {readable(response)[:300]}"
        else:
            assert _to_login(response) or status in (403, 404), f"{label}: {status} {readable(response)[:300]}"
    else:
        allowed = req.refused or (403, 404)
        assert status in allowed, f"{label}: {status}, not one of {allowed}: {readable(response)[:500]}"
    text = readable(response)
    assert not secrets_in(text), f"{label}: the refusal shows {secrets_in(text)}"
    assert not people_in(w, text, caller), f"{label}: the refusal names {people_in(w, text, caller)}"
    names = [n for n in w.private_item_names if n in text]
    assert not names, f"{label}: the refusal names the proposal's item {names}"
    assert state(w) == before, f"{label}: a refused request wrote something"


# --- the tests -------------------------------------------------------------------------------------------

CALLERS = ("anonymous", "outsider", "neighbour", "nobody")


def _cases():
    for row in ROWS:
        callers = ("anonymous",) if row.access == "INFRA" else CALLERS
        for caller in callers:
            yield pytest.param(row, caller, id=f"{row.id}-{caller}")


@pytest.mark.parametrize("row, who", list(_cases()))
def test_access(w, row, who):
    """Anonymous callers, the outsider, the neighbour and a person with no role: refused what is not theirs,
    with nothing in the refusal and nothing written; given what is public without a trace of what is
    private (and anonymous callers without anyone's name)."""
    caller = None if who == "anonymous" else who
    req = REQUESTS[row.id](w)
    before = state(w)
    response = send(w, row, req, caller)
    label = f"{row.id} as {who}"
    if row.access in REFUSING or (row.access == "SIGNED_IN" and caller is None):
        assert_refused(w, row, req, caller, response, before)
        if req.api and who in ("anonymous", "outsider"):  # the route with a format suffix: not served
            suffixed = send(w, row, req, caller, _suffixed(req.url), raise_errors=False)
            assert_refused(w, row, req, caller, suffixed, before, suffixed=True)
        return
    assert response.status_code in ((200, 204, 302) if row.access == "INFRA" else req.ok), (
        f"{label}: {response.status_code} {readable(response)[:300]}")
    text = readable(response)
    assert not secrets_in(text), f"{label}: shows {secrets_in(text)}"
    if caller is None:
        assert not people_in(w, text, None), f"{label}: names {people_in(w, text, None)} to an anonymous caller"
    if row.access == "SIGNED_IN":  # the caller's own workspace: nothing of the district's proposals
        names = [n for n in w.private_item_names if n in text]
        assert not names, f"{label}: shows the proposals' items {names}"
    if row.method == "GET":
        assert state(w) == before, f"{label}: a read wrote something"


REVIEW_ROWS = [pytest.param(row, who, id=f"{row.id}-{who}") for row in ROWS if row.access == "REVIEW"
               for who in ("maker", "co_maker")]


@pytest.mark.parametrize("row, who", REVIEW_ROWS)
def test_a_reviewer_cannot_decide_their_own_proposal(w, row, who):
    """The maker created every proposal involved, the co-maker edited each of them; both hold the editor
    and the reviewer role over the whole district (so the role check passes on either side):
    maker-checker refuses, nothing written. (They may see their own proposal: a web refusal shows it.)"""
    req = REQUESTS[row.id](w)
    before = state(w)
    response = send(w, row, req, who)
    assert response.status_code == 403, f"{row.id} as {who}: {response.status_code} {readable(response)[:500]}"
    if req.api:
        assert response.json()["code"] == "maker_checker", response.json()
    else:
        assert "审核与经办分离" in readable(response)
    assert state(w) == before, f"{row.id}: the {who}'s refused decision wrote something"


RIGHTFUL_ROWS = [pytest.param(row, id=row.id) for row in ROWS if row.rightful != "-"]


@pytest.mark.parametrize("row", RIGHTFUL_ROWS)
def test_the_rightful_caller_gets_through(w, row):
    """The same request succeeds for the person it is meant for: every refusal above is about who asks,
    never about a bad request. A read shows the private text the others were refused; a write writes."""
    req = REQUESTS[row.id](w)
    before = state(w)
    response = send(w, row, req, row.rightful)
    assert response.status_code in req.ok, f"{row.id} as {row.rightful}: {response.status_code} " \
                                           f"{readable(response)[:800]}"
    if response.status_code == 302:
        assert not _to_login(response)
    if row.method == "GET":
        if req.witness:
            assert req.witness in readable(response), f"{row.id}: {req.witness} not shown to {row.rightful}"
        if row.access == "PRIVATE":  # no shared cache may keep a private answer for others
            assert "public" not in response.get("Cache-Control", ""), response.get("Cache-Control")
    elif row.route not in ("workspace-import", "workspace-evidence-import"):  # a preview writes nothing
        assert state(w) != before, f"{row.id}: {row.rightful}'s request wrote nothing"


@pytest.mark.parametrize("who", CALLERS)
def test_another_callers_idempotency_key_replays_nothing(w, who):
    """An Idempotency-Key replays the first answer to its own caller only: someone else sending the same
    key and body is refused as if it were new, and gets nothing of the first answer."""
    body = {**OFFER, "item": w.item_free.pk, "reason": "秘密理由-幂等"}
    key = {"HTTP_IDEMPOTENCY_KEY": "access-test-key-1"}
    editor = APIClient()
    editor.credentials(HTTP_AUTHORIZATION=f"Bearer {w.tokens['h_editor']}")
    assert editor.post(f"{V1}/transfers/", body, format="json", **key).status_code == 201
    before = state(w)
    client = APIClient()
    if who != "anonymous":
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {w.tokens[who]}")
    again = client.post(f"{V1}/transfers/", body, format="json", **key)
    assert again.status_code in ((401, 403) if who == "anonymous" else (403,)), again.content[:300]
    assert "Idempotent-Replayed" not in again
    assert not secrets_in(readable(again)) and not people_in(w, readable(again), who)
    assert state(w) == before


@pytest.mark.parametrize("route", ["api-batch-detail", "workspace-batch"])
def test_a_batch_shows_a_receiver_only_the_proposals_they_may_see(w, route):
    """A reviewer of one receiving street sees a batch that holds a devolution to their street, but not
    the other street's proposal in the same batch (a proposal is seen from its giver and its receiver
    only: ``policy.can_view_transfer``). The API lists "the transfers in it the caller may see"; the page
    must not show more."""
    from powerlists import policy

    reviewer = _person("acc-s2reviewer-k7q", "人名黄贝癸", (w.street2, "reviewer"))
    Membership.objects.filter(user=reviewer).update(include_subtree=False)
    maker = w.people["maker"]
    batch = workflow.create_batch(actor=w.people["h_editor"], issuer=w.home, title="两街道批次", effective_on=DAY)
    proposals = {}
    for code, street, name in (("M01", w.street2, "事项NM-黄贝的"), ("M02", w.street, "事项NM-桂园的")):
        item = services.create_item(government=w.home, holder_from=SINCE, code=code, name=name,
                                    category=Category.LICENSING, field="市场监管")
        proposals[street.code] = workflow.propose(actor=maker, kind="devolve", item=item, giver=w.home,
                                                  receiver=street, effective_on=DAY, batch=batch,
                                                  reason=f"秘密理由-{street.name}" if street == w.street else "")
        workflow.submit(proposals[street.code], actor=maker)
    theirs, others = proposals[w.street2.code], proposals[w.street.code]
    assert policy.can_view_transfer(reviewer, theirs) and not policy.can_view_transfer(reviewer, others)
    if route == "api-batch-detail":
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Bearer " + AuthToken.objects.create(reviewer)[1])
        response = client.get(f"{V1}/batches/{batch.pk}/")
    else:
        client = Client()
        client.force_login(reviewer)
        response = client.get(f"/workspace/batches/{batch.pk}/")
    text = readable(response)
    assert response.status_code == 200 and "事项NM-黄贝的" in text
    assert "事项NM-桂园的" not in text and not secrets_in(text), (
        f"{route}: a reviewer of {w.street2.name} is shown the proposal to {w.street.name} in the same batch")


# --- the admin -------------------------------------------------------------------------------------------


def _admin_url(name: str, w) -> str | None:
    """The admin route ``name`` about the world's draft proposal (or the maker, for a user's page)."""
    from django.urls import NoReverseMatch

    samples = {"object_id": str(w.draft.pk), "app_label": "powerlists", "id": w.people["maker"].pk,
               "url": "powerlists/transfer/"}
    for kwargs in ({}, *({k: v} for k, v in samples.items()), {"content_type_id": 1, "object_id": w.draft.pk}):
        try:
            return reverse(f"admin:{name}", kwargs=kwargs)
        except NoReverseMatch:
            continue
    return None


ADMIN_ROUTES = [n for n in admin_routes() if n not in ("login", "logout")]


@pytest.mark.parametrize("name", ADMIN_ROUTES)
def test_the_admin_sends_anonymous_callers_and_outsiders_to_its_login(w, name):
    """Every admin page and form, read or posted: anonymous callers and people who are not staff (an
    "administrator" membership included) are sent to the admin's login, shown nothing, and write nothing."""
    url = _admin_url(name, w)
    assert url is not None, f"admin:{name}: no sample arguments reverse it"
    before = state(w)
    for caller in (None, "outsider", "neighbour"):
        client = Client()
        if caller:
            client.force_login(w.people[caller])
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), (
                f"admin:{name} {method} as {caller or 'anonymous'}: {response.status_code}")
            assert not secrets_in(readable(response))
    assert state(w) == before
