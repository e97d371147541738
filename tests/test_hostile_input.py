"""Hostile input is text, end to end through HTTP (SECURITY.md, "Hostile input is text").

- Names, reasons, comments and notes carrying HTML and script (``<script>``, an attribute breakout with
  ``<img onerror>``, a ``</textarea>`` breakout, a template expression) are stored as typed, given back
  unchanged as JSON strings by the API, and shown escaped on every page that shows them: the public
  pages, the workspace, the evaluation pages, the browsable API; the API's documentation carries no
  user data and reflects none of its query string.
- Every spreadsheet the product writes (the list exports, the evaluation report, the import templates)
  neutralises a text cell that a spreadsheet program would run as a formula — one starting with
  ``= + - @``, a tab or a carriage return — with a leading apostrophe, and holds no formula cell.
- Uploads (the item import and the evidence import in the workspace, the API's evidence bulk) are
  bounded in size (5 MB) and rows (20,000; 5,000 for the API's bulk) and checked for their real type;
  each refusal is a 4xx with a message in Chinese or English and writes nothing.
- Malformed dates and numbers in the query string are a 400 (never a 500) on every API endpoint and
  public page that takes them; text parameters never cause a 500 either (a NUL byte, which PostgreSQL
  cannot store or compare, included). Unknown query parameters: the API refuses them with 400
  ``unknown_parameters`` (``TestUnknownQueryParameters``); web pages ignore them.
"""
from __future__ import annotations

import csv
import datetime
import functools
import io
import json
import re
import struct
import zipfile
import zlib
from urllib.parse import quote, urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils.html import escape
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from accounts.models import Membership
from powerlists import services
from powerlists.models import (
    BatchState,
    Capacity,
    EvaluationResult,
    EvaluationRound,
    Evidence,
    PowerItem,
    RoundState,
    Tier,
)
from powerlists.services import evaluation, workflow
from powerlists.spreadsheets import ITEM_COLUMNS, MAX_ROWS, MAX_UPLOAD_BYTES, neutralise, read_table
from powerlists.spreadsheets_evaluation import EVIDENCE_COLUMNS

from .helpers import client_for, db_state

D = datetime.date
START, END = D(2018, 1, 1), D(2019, 12, 31)
DEVOLVED_ON = D(2017, 6, 1)
PROPOSED_ON = D(2021, 1, 1)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# --- the payloads --------------------------------------------------------------------------------------

XSS = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TEXTAREA = "</textarea>" + XSS
TPL = "{{7*7}}"
HYPERLINK = '=HYPERLINK("http://x","y")'
FORMULAS = (HYPERLINK, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Where they are put: markup in every value, and most start with a formula character as well.
COUNTY_NAME = "@SUM(A1)" + XSS + "区"
DEPT_NAME = "-2+3" + IMG + "局"
UNIT_NAME = "+1+1" + IMG + "承接科"  # the receiving unit (承接单位) of the devolution
ITEM_NAME = XSS + IMG + "许可"
FIELD = "+" + TPL
RESPONSIBILITY = "=1+1" + XSS
ACCOUNTABILITY = "@" + IMG
BATCH_TITLE = XSS + "关于下放事项的决定"
DEVOLVE_REASON = IMG + "下放理由"
PROPOSAL_REASON = XSS + "提议理由"
SUBMIT_COMMENT = IMG
APPROVE_COMMENT = TPL
REJECT_REASON = "=1+1" + XSS
INBOX_COMMENT = "-" + XSS
ROUND_NAME = XSS + "两年评估"
OVERRIDE_REASON = "-2+3" + XSS + IMG
EVIDENCE_NOTE = "=cmd|' /C calc'!A0" + XSS
FOLLOW_UP_TITLE = "=1+1" + XSS + "评估后续"
EVIL_USERNAME = "@evil+1"  # a username Django accepts, starting with a formula character


class Hostile:
    """What the fixture made; every text a person types somewhere carries a payload."""


HOLDING_SINCE = D(2016, 1, 1)


def _build() -> Hostile:
    """A province and its city (the city's editors and reviewers, the province's administrator). The city
    devolves an item (hostile name, field, legal basis, responsibilities, department) to a county with a
    hostile name, in a batch with a hostile title, to a receiving unit with a hostile name, for a hostile
    reason. Items named as formulas. Proposals in each state with hostile reasons and comments. Evidence
    with a hostile note; a round with a hostile name, evaluated, overridden with a hostile reason by a
    reviewer whose username starts with '@', confirmed (so public), and followed up in a batch with a
    hostile title."""
    from django.contrib.auth import get_user_model

    h = Hostile()
    h.province = services.create_government(code="23", name="黑龙江省", tier=Tier.PROVINCE)
    h.city = services.create_government(code="2301", name="哈尔滨市", tier=Tier.CITY, parent=h.province)
    h.dept = services.create_department(government=h.city, name=DEPT_NAME)
    h.county = services.create_government(code="230199", name=COUNTY_NAME, tier=Tier.COUNTY, parent=h.city,
                                          kind="区")
    h.unit = services.create_department(government=h.county, name=UNIT_NAME)

    def person(username, government, role, subtree=False):
        user = get_user_model().objects.create_user(username, password=None)  # tests sign in without one
        Membership.objects.create(user=user, government=government, role=role, include_subtree=subtree)
        return user

    h.city_editor = person("city_editor", h.city, "editor")
    h.city_reviewer = person("city_reviewer", h.city, "reviewer")
    h.county_reviewer = person("county_reviewer", h.county, "reviewer")
    h.administrator = person("administrator", h.province, "administrator", subtree=True)
    h.evil = person(EVIL_USERNAME, h.city, "reviewer")

    def item(code, name, **values):
        values.setdefault("category", "licensing")
        return services.create_item(government=h.city, holder_from=HOLDING_SINCE, code=code, name=name, **values)

    h.item = item("X1", ITEM_NAME, field=FIELD, legal_basis=IMG, responsibilities=[RESPONSIBILITY],
                  accountability=[ACCOUNTABILITY], department=h.dept, statutory_days=20)
    h.batch = services.create_batch(issuer=h.city, title=BATCH_TITLE, number=IMG, round_no=1,
                                    effective_on=DEVOLVED_ON, state=BatchState.EFFECTIVE)
    services.devolve(item=h.item, giver=h.city, receiver=h.county, batch=h.batch, receiving_department=h.unit,
                     reason=DEVOLVE_REASON)
    # Items named as formulas. The services strip a leading tab or carriage return from what a person
    # types; such values may still be stored by another route (an older import, the database), so two
    # items are given them directly: the exporter must neutralise whatever is stored.
    h.formulas = [item(f"F{i}", value if i < 4 else f"公式事项{i}", field=value[:50] if i < 4 else "",
                       legal_basis=value if i < 4 else "", department=h.dept)
                  for i, value in enumerate(FORMULAS)]
    for stored, value in zip(h.formulas[4:], FORMULAS[4:], strict=True):
        PowerItem.objects.filter(pk=stored.pk).update(name=value, field=value, legal_basis=value)

    def propose(proposed, reason):
        return workflow.propose(actor=h.city_editor, kind="devolve", item=proposed, giver=h.city, receiver=h.county,
                                reason=reason, effective_on=PROPOSED_ON)

    h.approved = propose(h.formulas[1], PROPOSAL_REASON)  # waits for the county to accept
    workflow.submit(h.approved, actor=h.city_editor, comment=SUBMIT_COMMENT)
    workflow.approve(h.approved, actor=h.city_reviewer, comment=APPROVE_COMMENT)
    h.rejected = propose(h.formulas[2], "理由")
    workflow.submit(h.rejected, actor=h.city_editor)
    workflow.reject(h.rejected, actor=h.city_reviewer, reason=REJECT_REASON)
    h.draft = propose(h.formulas[3], TEXTAREA)
    h.submitted = propose(h.formulas[0], PROPOSAL_REASON)  # in the city reviewer's inbox
    workflow.submit(h.submitted, actor=h.city_editor, comment=INBOX_COMMENT)
    h.submitted.refresh_from_db()

    evaluation.record_evidence(item=h.item, government=h.county, period_start=START, period_end=END,
                               cases_handled=50, satisfaction="95", average_days="5", capacity=Capacity.ADEQUATE,
                               note=EVIDENCE_NOTE)
    rnd = evaluation.create_round(name=ROUND_NAME, period_start=START, period_end=END, scope_government=h.city,
                                  actor=h.city_editor)
    h.round = evaluation.run_round(rnd, actor=h.city_editor)
    h.result = EvaluationResult.objects.get(round=h.round, item=h.item)
    evaluation.decide(h.result, "poor" if h.result.suggested != "poor" else "should_not", actor=h.evil,
                      reason=OVERRIDE_REASON)
    for other in EvaluationResult.objects.filter(round=h.round, decision=""):
        evaluation.decide(other, other.suggested, actor=h.city_reviewer)
    h.round.refresh_from_db()
    assert h.round.state == RoundState.CONFIRMED  # public: the anonymous pages show it
    h.follow_up = evaluation.generate_follow_up(h.round, actor=h.city_editor, batch_title=FOLLOW_UP_TITLE,
                                                batch_number=IMG, effective_on=D(2021, 6, 1))
    # Two published editions of the city's list with a hostile title and document number, and a law with
    # a hostile name (the editions and laws endpoints are swept below).
    from powerlists.services import editions as edition_service
    from powerlists.services.laws import create_law

    for number, day in (("2019", D(2019, 3, 15)), ("2021", D(2021, 3, 15))):
        edition = edition_service.draft_edition(h.city, number=number, title=FOLLOW_UP_TITLE, actor=h.city_editor)
        edition = edition_service.approve_edition(edition, approved_on=day, actor=h.city_reviewer)
        edition_service.publish_edition(edition, document_number=IMG[:100], published_on=day, actor=h.city_reviewer)
    h.law = create_law(name=ITEM_NAME[:200], kind="law", version_date=D(2003, 8, 27))
    return h


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The data, built once for the module inside a transaction that is rolled back at its end; each test
    runs in a savepoint inside it (as Django's ``TestCase.setUpTestData``), so what a test writes is gone
    after it. Every test of this module uses it (a test building its own tree would clash with it)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            data = _build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield data
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def hostile(world, db):
    """The module's data, for a test that may use the database (in its own savepoint)."""
    return world


# --- helpers --------------------------------------------------------------------------------------------


def user_of(name, hostile):
    return None if name is None else getattr(hostile, name)


def browser(user=None, **kwargs) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


def html_of(response) -> str:
    return response.content.decode()


def assert_no_markup(html: str, *shown: str) -> None:
    """No payload is in the page as markup; each of ``shown`` is in it as escaped text."""
    for raw in (XSS, IMG, TEXTAREA, "<script>alert", "<img src=x", "</textarea><script"):
        assert raw not in html, f"unescaped {raw!r} in the page"
    for value in shown:
        assert escape(value) in html, f"{value!r} is not shown as escaped text"


def no_throttle(monkeypatch) -> None:
    """The sweeps send hundreds of requests; the rate limits are not what they test."""
    from powerlists.api.throttles import AtomicWindowThrottle

    monkeypatch.setattr(AtomicWindowThrottle, "allow_request", lambda self, request, view: True)


def fetch(client, url, data=None, *, method="get", **extra):
    """A request in a savepoint, so that one failing inside the database cannot spoil the next ones; a
    500 comes back as a ``Crashed`` holding its exception (the test client raises what the view raised)."""
    try:
        with transaction.atomic():
            return getattr(client, method)(url, data, **extra)
    except Exception as exc:
        return Crashed(exc)


class Crashed:
    """What a sweep records of a request the view answered with an exception (a 500)."""

    status_code = 500

    def __init__(self, exc):
        self.exc_info = (type(exc), exc, exc.__traceback__)

    def __getitem__(self, header):
        return ""


def failure(response) -> str:
    """A short account of a response for an assertion message: status, and the exception of a 500."""
    exc = getattr(response, "exc_info", None)
    if exc:
        return f"{response.status_code} {exc[0].__name__}: {str(exc[1])[:160]}"
    return str(response.status_code)


# --- 1. pages show hostile text as text -------------------------------------------------------------------

# (id, who is signed in, the page, the payloads it must show escaped)
PAGES = [
    ("home", None, lambda h: "/", []),
    ("home-search", None, lambda h: "/?q=230199", [COUNTY_NAME]),
    ("city-list", None, lambda h: "/g/2301/", [ITEM_NAME, DEPT_NAME, COUNTY_NAME]),
    ("city-list-by-field", None, lambda h: "/g/2301/?group=field", [ITEM_NAME, FIELD]),
    ("city-list-search", None, lambda h: "/g/2301/?q=" + quote("许可"), [ITEM_NAME]),
    ("city-list-past-date", None, lambda h: "/g/2301/?date=2017-06-30", [ITEM_NAME, DEPT_NAME]),
    ("county-list", None, lambda h: "/g/230199/", [COUNTY_NAME, ITEM_NAME, UNIT_NAME]),
    ("city-diff", None, lambda h: "/g/2301/diff/?from=2017-01-01&to=2018-01-01", [ITEM_NAME]),
    ("county-diff", None, lambda h: "/g/230199/diff/?from=2017-01-01&to=2018-01-01", [COUNTY_NAME, ITEM_NAME]),
    ("city-chart", None, lambda h: "/g/2301/chart/", []),
    ("county-chart", None, lambda h: "/g/230199/chart/", [COUNTY_NAME]),
    ("item", None, lambda h: f"/items/{h.item.pk}/",
     [ITEM_NAME, IMG, FIELD, RESPONSIBILITY, ACCOUNTABILITY, DEPT_NAME, COUNTY_NAME, UNIT_NAME, BATCH_TITLE,
      DEVOLVE_REASON]),
    ("item-before-devolution", None, lambda h: f"/items/{h.item.pk}/?date=2017-01-01", [ITEM_NAME, DEPT_NAME]),
    ("item-signed-in", "city_editor", lambda h: f"/items/{h.item.pk}/", [ITEM_NAME, BATCH_TITLE, DEVOLVE_REASON]),
    ("department", None, lambda h: f"/departments/{h.dept.pk}/", [DEPT_NAME, ITEM_NAME]),
    ("receiving-unit", None, lambda h: f"/departments/{h.unit.pk}/", [UNIT_NAME, COUNTY_NAME, ITEM_NAME]),
    ("evaluation-rounds", None, lambda h: "/evaluation/", [ROUND_NAME]),
    ("evaluation-round", None, lambda h: f"/evaluation/{h.round.pk}/", [ROUND_NAME, COUNTY_NAME]),
    ("evaluation-round-chart-by-town", None, lambda h: f"/evaluation/{h.round.pk}/?chart=town",
     [ROUND_NAME, COUNTY_NAME]),
    ("evaluation-round-signed-in", "city_editor", lambda h: f"/evaluation/{h.round.pk}/", [ROUND_NAME]),
    ("evaluation-results", None, lambda h: f"/evaluation/{h.round.pk}/results/",
     [ROUND_NAME, ITEM_NAME, COUNTY_NAME]),
    ("evaluation-results-filtered", None,
     lambda h: f"/evaluation/{h.round.pk}/results/?town=230199&field=" + quote(FIELD), [ITEM_NAME, FIELD]),
    ("evaluation-result", None, lambda h: f"/evaluation/results/{h.result.pk}/",
     [ROUND_NAME, ITEM_NAME, COUNTY_NAME, OVERRIDE_REASON]),
    ("evaluation-result-signed-in", "city_reviewer", lambda h: f"/evaluation/results/{h.result.pk}/",
     [ITEM_NAME, OVERRIDE_REASON]),
    ("workspace-mine", "city_editor", lambda h: "/workspace/", [COUNTY_NAME, HYPERLINK]),
    ("workspace-to-approve", "city_reviewer", lambda h: "/workspace/", [COUNTY_NAME, HYPERLINK]),
    ("workspace-to-accept", "county_reviewer", lambda h: "/workspace/", [COUNTY_NAME]),
    ("transfer-approved", "city_editor", lambda h: f"/workspace/transfers/{h.approved.pk}/",
     [COUNTY_NAME, PROPOSAL_REASON, SUBMIT_COMMENT, APPROVE_COMMENT]),
    ("transfer-to-accept", "county_reviewer", lambda h: f"/workspace/transfers/{h.approved.pk}/",
     [COUNTY_NAME, PROPOSAL_REASON, UNIT_NAME]),
    ("transfer-rejected", "city_editor", lambda h: f"/workspace/transfers/{h.rejected.pk}/", [REJECT_REASON]),
    ("transfer-submitted", "city_reviewer", lambda h: f"/workspace/transfers/{h.submitted.pk}/",
     [HYPERLINK, PROPOSAL_REASON, INBOX_COMMENT]),
    ("transfer-draft", "city_editor", lambda h: f"/workspace/transfers/{h.draft.pk}/", [TEXTAREA]),
    ("transfer-edit", "city_editor", lambda h: f"/workspace/transfers/{h.draft.pk}/edit/", [TEXTAREA]),
    ("transfer-new-prefilled", "city_editor",
     lambda h: "/workspace/transfers/new/?" + urlencode({"giver": IMG, "item": XSS}), [IMG, XSS]),
    ("batches", "city_editor", lambda h: "/workspace/batches/", [BATCH_TITLE, FOLLOW_UP_TITLE]),
    ("batch", "city_editor", lambda h: f"/workspace/batches/{h.batch.pk}/",
     [BATCH_TITLE, IMG, ITEM_NAME, COUNTY_NAME]),
    ("follow-up-batch", "city_editor", lambda h: f"/workspace/batches/{h.follow_up.pk}/",
     [FOLLOW_UP_TITLE, ITEM_NAME, COUNTY_NAME]),
    ("joint-review", "city_editor", lambda h: "/workspace/joint-review/?upper=2301&lower=230199",
     [COUNTY_NAME, HYPERLINK]),
    ("item-edit", "city_editor", lambda h: f"/workspace/items/{h.item.pk}/edit/",
     [ITEM_NAME, IMG, FIELD, RESPONSIBILITY, ACCOUNTABILITY, DEPT_NAME]),
    ("import", "administrator", lambda h: "/workspace/import/?government=230199", [COUNTY_NAME]),
    ("evidence-import", "city_editor", lambda h: "/workspace/evaluation/evidence/", []),
    ("round-new", "city_editor", lambda h: "/workspace/evaluation/new/", []),
]


@pytest.mark.parametrize(("who", "url", "shown"), [p[1:] for p in PAGES], ids=[p[0] for p in PAGES])
def test_every_page_shows_hostile_text_as_text(hostile, who, url, shown):
    response = browser(user_of(who, hostile)).get(url(hostile))
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/html")
    assert_no_markup(html_of(response), *shown)


def test_pages_in_english_escape_as_well(hostile):
    client = browser(hostile.city_editor)
    for url in ("/g/2301/", f"/items/{hostile.item.pk}/", f"/evaluation/results/{hostile.result.pk}/",
                f"/workspace/transfers/{hostile.approved.pk}/"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200 and 'lang="en"' in html_of(response), url
        assert_no_markup(html_of(response), ITEM_NAME if "transfers" not in url else PROPOSAL_REASON)


def test_the_template_expression_is_shown_as_typed_not_evaluated(hostile):
    html = html_of(browser().get(f"/items/{hostile.item.pk}/"))
    assert TPL in html and escape(FIELD) in html


# What a visitor puts in the query string and a page shows back (a search box, a filter, an error message).
REFLECTED = [
    ("home-q", None, "/?" + urlencode({"q": XSS}), 200, [XSS]),
    ("list-q", None, "/g/2301/?" + urlencode({"q": IMG}), 200, [IMG]),
    ("list-field", None, "/g/2301/?" + urlencode({"field": IMG}), 200, [IMG]),
    ("list-date", None, "/g/2301/?" + urlencode({"date": XSS}), 400, [XSS[:20]]),
    ("list-category", None, "/g/2301/?" + urlencode({"category": IMG}), 400, [IMG]),
    ("list-arrangement", None, "/g/2301/?" + urlencode({"arrangement": XSS}), 400, [XSS]),
    ("list-department", None, "/g/2301/?" + urlencode({"department": IMG}), 400, [IMG]),
    ("diff-from", None, "/g/2301/diff/?" + urlencode({"from": XSS}), 400, [XSS[:20]]),
    ("chart-before", None, "/g/2301/chart/?" + urlencode({"before": IMG}), 400, [IMG[:20]]),
    ("item-date", None, "/items/{item}/?" + urlencode({"date": IMG}), 400, [IMG[:20]]),
    ("results-field", None, "/evaluation/{round}/results/?" + urlencode({"field": IMG}), 200, []),
    ("results-category", None, "/evaluation/{round}/results/?" + urlencode({"category": XSS}), 400, [XSS]),
    ("result-next", None, "/evaluation/results/{result}/?" + urlencode({"next": IMG}), 200, []),
    ("login-next", None, "/accounts/login/?" + urlencode({"next": IMG}), 200, [IMG]),
    ("joint-review", "city_editor", "/workspace/joint-review/?" + urlencode({"upper": XSS, "lower": IMG}), 404, []),
    ("import-government", "city_editor", "/workspace/import/?" + urlencode({"government": IMG}), 200, []),
    ("not-found", None, "/g/" + quote(XSS) + "/", 404, []),
]


@pytest.mark.parametrize(("who", "url", "status", "shown"), [r[1:] for r in REFLECTED], ids=[r[0] for r in REFLECTED])
def test_query_values_reflected_in_a_page_are_escaped(hostile, who, url, status, shown):
    url = url.format(item=hostile.item.pk, round=hostile.round.pk, result=hostile.result.pk)
    response = browser(user_of(who, hostile)).get(url)
    assert response.status_code == status
    assert_no_markup(html_of(response), *shown)


def test_an_export_refusing_a_bad_date_answers_plain_text_that_is_not_sniffed(hostile):
    response = browser().get("/g/2301/export.csv?" + urlencode({"date": XSS}))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_item_created_through_the_api_is_data_in_json_and_text_on_the_page(hostile):
    api = client_for(hostile.city_editor)
    body = {"government": "2301", "code": "API1", "name": XSS + "接口事项", "category": "licensing",
            "field": IMG[:50], "legal_basis": TEXTAREA, "responsibilities": [HYPERLINK], "holder_from": "2016-01-01",
            "reason": OVERRIDE_REASON}
    response = api.post("/api/v1/items/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["name"], data["field"], data["legal_basis"], data["responsibilities"]) == (
        XSS + "接口事项", IMG[:50], TEXTAREA, [HYPERLINK])
    html = html_of(browser().get(f"/items/{data['id']}/"))
    assert_no_markup(html, XSS + "接口事项", TEXTAREA, HYPERLINK)
    page = html_of(browser(hostile.city_editor).get(f"/workspace/items/{data['id']}/edit/"))
    assert_no_markup(page, XSS + "接口事项", TEXTAREA)


def test_an_item_edited_through_the_workspace_form_is_stored_as_typed_and_shown_as_text(hostile):
    client = browser(hostile.city_editor)
    item = PowerItem.objects.get(pk=hostile.formulas[0].pk)  # a copy: the module's objects stay as built
    form = {"version": item.version, "code": item.code, "name": TEXTAREA, "category": "licensing",
            "field": TPL, "legal_basis": IMG, "lowest_tier": item.lowest_tier, "responsibilities": XSS + "\n" + IMG,
            "accountability": "", "reason": XSS}
    response = client.post(f"/workspace/items/{item.pk}/edit/", form)
    assert response.status_code == 302, html_of(response)[:500]
    item.refresh_from_db()
    assert (item.name, item.legal_basis, item.responsibilities) == (TEXTAREA, IMG, [XSS, IMG])
    for url in (f"/workspace/items/{item.pk}/edit/", f"/items/{item.pk}/", "/g/2301/"):
        assert_no_markup(html_of(client.get(url)), TEXTAREA)


def test_an_import_preview_shows_hostile_cells_and_their_errors_as_text(hostile, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rows = [{"code": "H1", "name": XSS + "导入", "category": "行政许可", "field": TPL},
            {"code": "H2", "name": IMG, "category": XSS},            # an unknown category: its error names it
            {"code": "H3", "name": "子项", "category": "行政许可", "parent_code": IMG}]
    data = _csv_bytes(ITEM_COLUMNS, rows)
    before = db_state()
    response = browser(hostile.city_editor).post("/workspace/import/", {
        "government": "2301", "file": SimpleUploadedFile("hostile.csv", data)})
    assert response.status_code == 200
    assert_no_markup(html_of(response), XSS + "导入", IMG, XSS)
    assert db_state() == before


def test_an_evidence_preview_shows_hostile_cells_and_their_errors_as_text(hostile, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rows = [{"item_code": "X1", "government_code": "230199", "period_start": "2020-01-01",
             "period_end": "2020-12-31", "cases_handled": "3", "note": XSS},
            {"item_code": XSS, "government_code": "230199", "period_start": IMG, "period_end": "2020-12-31",
             "cases_handled": "1", "capacity": IMG}]
    data = _csv_bytes(EVIDENCE_COLUMNS, rows)
    before = Evidence.objects.count()
    response = browser(hostile.city_editor).post("/workspace/evaluation/evidence/",
                                                {"file": SimpleUploadedFile("e.csv", data)})
    assert response.status_code == 200
    assert_no_markup(html_of(response), ITEM_NAME, COUNTY_NAME, XSS, IMG)
    assert Evidence.objects.count() == before


# --- 2. the API gives the text unchanged as JSON; the browsable API and the docs escape it ------------------

# (id, who, url, how to pick the value, the value expected)
JSON_VALUES = [
    ("item-name", None, lambda h: f"/api/v1/items/{h.item.pk}/", lambda b: b["name"], ITEM_NAME),
    ("item-field", None, lambda h: f"/api/v1/items/{h.item.pk}/", lambda b: b["field"], FIELD),
    ("item-legal-basis", None, lambda h: f"/api/v1/items/{h.item.pk}/", lambda b: b["legal_basis"], IMG),
    ("item-responsibilities", None, lambda h: f"/api/v1/items/{h.item.pk}/", lambda b: b["responsibilities"],
     [RESPONSIBILITY]),
    ("item-department", None, lambda h: f"/api/v1/items/{h.item.pk}/", lambda b: b["department_name"], DEPT_NAME),
    ("item-tab-formula", None, lambda h: f"/api/v1/items/{h.formulas[4].pk}/", lambda b: b["name"], "\t=1"),
    ("item-cr-formula", None, lambda h: f"/api/v1/items/{h.formulas[5].pk}/", lambda b: b["name"], "\r=1"),
    ("item-search", None, lambda h: "/api/v1/items/?search=" + quote("许可"),
     lambda b: [r["name"] for r in b["results"]], [ITEM_NAME]),
    ("item-history-reason", None, lambda h: f"/api/v1/items/{h.item.pk}/history/",
     lambda b: [e["reason"] for e in b["results"] if e["action"] == "transfer.devolve"], [DEVOLVE_REASON]),
    ("government", None, lambda h: "/api/v1/governments/230199/", lambda b: b["name"], COUNTY_NAME),
    ("powers", None, lambda h: "/api/v1/governments/230199/powers/",
     lambda b: [(r["name"], r["department"]) for r in b["results"]], [(ITEM_NAME, UNIT_NAME)]),
    ("department", None, lambda h: f"/api/v1/departments/{h.dept.pk}/", lambda b: b["name"], DEPT_NAME),
    ("batch", None, lambda h: f"/api/v1/batches/{h.batch.pk}/", lambda b: (b["title"], b["number"]),
     (BATCH_TITLE, IMG)),
    ("transfer-reason", "city_editor", lambda h: f"/api/v1/transfers/{h.approved.pk}/", lambda b: b["reason"],
     PROPOSAL_REASON),
    ("evidence-note", "city_editor", lambda h: "/api/v1/evidence/?government=230199",
     lambda b: [r["note"] for r in b["results"]], [EVIDENCE_NOTE]),
    ("round-name", None, lambda h: f"/api/v1/evaluation-rounds/{h.round.pk}/", lambda b: b["name"], ROUND_NAME),
    ("override-reason", None, lambda h: f"/api/v1/evaluation-results/{h.result.pk}/",
     lambda b: b["decision_reason"], OVERRIDE_REASON),
]


@pytest.mark.parametrize(("who", "url", "pick", "expected"), [v[1:] for v in JSON_VALUES],
                         ids=[v[0] for v in JSON_VALUES])
def test_the_api_gives_the_text_unchanged_as_a_json_string(hostile, who, url, pick, expected):
    user = user_of(who, hostile)
    client = client_for(user) if user else APIClient()
    response = client.get(url(hostile))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert pick(json.loads(response.content)) == expected


BROWSABLE = [
    ("item", lambda h: f"/api/v1/items/{h.item.pk}/", [ITEM_NAME, IMG]),
    ("items", lambda h: "/api/v1/items/", [ITEM_NAME]),
    ("items-search", lambda h: "/api/v1/items/?" + urlencode({"search": XSS}), []),
    ("item-history", lambda h: f"/api/v1/items/{h.item.pk}/history/", [DEVOLVE_REASON]),
    ("government", lambda h: "/api/v1/governments/230199/", [COUNTY_NAME]),
    ("powers", lambda h: "/api/v1/governments/230199/powers/", [ITEM_NAME, UNIT_NAME]),
    ("department", lambda h: f"/api/v1/departments/{h.dept.pk}/", [DEPT_NAME]),
    ("batch", lambda h: f"/api/v1/batches/{h.batch.pk}/", [BATCH_TITLE]),
    ("result", lambda h: f"/api/v1/evaluation-results/{h.result.pk}/", [OVERRIDE_REASON]),
    ("round-report", lambda h: f"/api/v1/evaluation-rounds/{h.round.pk}/report/", [COUNTY_NAME]),
]


@pytest.mark.parametrize(("url", "shown"), [b[1:] for b in BROWSABLE], ids=[b[0] for b in BROWSABLE])
def test_the_browsable_api_escapes_the_text(hostile, url, shown):
    """Anonymous and signed in (whose page carries the forms of the writes), by ``?format=api`` and by
    ``Accept: text/html``."""
    url = url(hostile)
    in_json = [json.dumps(value, ensure_ascii=False)[1:-1] for value in shown]
    for user in (None, hostile.city_editor):
        client = browser(user)
        for response in (client.get(url + ("&" if "?" in url else "?") + "format=api"),
                         client.get(url, HTTP_ACCEPT="text/html")):
            assert response.status_code == 200
            assert response["Content-Type"].startswith("text/html")
            assert_no_markup(html_of(response), *in_json)


def test_the_browsable_api_escapes_a_json_error_echoing_hostile_input(hostile):
    client = browser(hostile.city_editor)
    response = client.get("/api/v1/governments/2301/powers/?" + urlencode({"as_of": XSS, "format": "api"}))
    assert response.status_code == 400
    assert_no_markup(html_of(response))
    response = client.get("/api/v1/governments/2301/powers/?" + urlencode({"as_of": XSS}))
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
    assert response.json()["details"]["value"] == XSS  # JSON is data: the value as sent


@pytest.mark.parametrize("url", ["/api/schema/", "/api/schema/?format=json", "/api/docs/", "/api/redoc/"])
def test_the_api_docs_carry_no_user_data(hostile, url):
    response = browser().get(url)
    assert response.status_code == 200
    text = html_of(response)
    for value in (XSS, IMG, "alert(1)", "onerror", ITEM_NAME, COUNTY_NAME, BATCH_TITLE, "230199"):
        assert value not in text, f"{value!r} in {url}"


HOSTILE_DOCS_QUERY = urlencode({"lang": "</script>" + XSS, "version": IMG, "url": "javascript:alert(1)",
                                "configUrl": "https://evil.example/x.json"})


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_api_docs_pages_reflect_nothing_of_a_hostile_query_string(db, url):
    response = browser().get(url + "?" + HOSTILE_DOCS_QUERY)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    text = html_of(response)
    for value in ("</script><script>", XSS, IMG, "javascript:alert", "evil.example"):
        assert value not in text, f"{value!r} reflected by {url}"


@pytest.mark.parametrize("url", ["/api/schema/", "/api/schema/?format=json"])
def test_the_schema_is_never_served_as_a_page(db, url):
    """The schema echoes ``?version=`` into its ``info.version`` (drf-spectacular): harmless as long as
    it is a YAML or JSON document a browser will not render as HTML."""
    response = browser().get(url + ("&" if "?" in url else "?") + HOSTILE_DOCS_QUERY)
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] in ("application/vnd.oai.openapi",
                                                      "application/vnd.oai.openapi+json")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "</script><script>" not in html_of(response)


# --- 3. spreadsheets neutralise formulas ----------------------------------------------------------------------


@pytest.mark.parametrize("value", [*FORMULAS, "=1+1", "+", "-", "@", "\t", "\r", "=cmd|' /C calc'!A0"])
def test_neutralise_prefixes_an_apostrophe_to_every_formula_start(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["企业投资项目核准", "'=already", " =1", "1+1", "", XSS, 5, -2, 1.5, None])
def test_neutralise_leaves_other_values_alone(value):
    assert neutralise(value) == value


NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _text_cells_of_csv(data: bytes) -> list[str]:
    text = data.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _text_cells_of_xlsx(data: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(data))  # not read-only: data_type tells a formula cell
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula cell {sheet.title}!{cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    cells.append(cell.value)
    return cells


def assert_neutralised(cells: list[str], *expected: str, xlsx: bool = False) -> None:
    """No text cell starts as a formula (a number written as text excepted); ``expected`` values are there
    with their apostrophe. (Read back from XLSX, whose XML turns a carriage return into a line feed, a
    value keeps its apostrophe but its carriage return reads as a line feed.)"""
    for cell in cells:
        if cell and cell[0] in FORMULA_START and not NUMBER.match(cell):
            raise AssertionError(f"cell {cell!r} would run as a formula")
    for value in expected:
        value = value.replace("\r", "\n") if xlsx else value
        assert "'" + value in cells, f"{value!r} is not in the spreadsheet, neutralised"


# (id, who, url, values neutralised in it, values kept as typed in it: markup is data in a spreadsheet)
EXPORTS = [
    ("city-csv", None, lambda h: "/g/2301/export.csv", [*FORMULAS, DEPT_NAME, FIELD, RESPONSIBILITY], [ITEM_NAME]),
    ("city-xlsx", None, lambda h: "/g/2301/export.xlsx", [*FORMULAS, DEPT_NAME, FIELD, RESPONSIBILITY], [ITEM_NAME]),
    ("city-csv-filtered", None, lambda h: f"/g/2301/export.csv?department={h.dept.pk}", [HYPERLINK, DEPT_NAME],
     [ITEM_NAME]),
    ("city-xlsx-searched", None, lambda h: "/g/2301/export.xlsx?q=" + quote("许可"), [DEPT_NAME, FIELD],
     [ITEM_NAME, IMG]),
    ("city-csv-past", None, lambda h: "/g/2301/export.csv?date=2017-01-01", [DEPT_NAME, FIELD, ACCOUNTABILITY],
     [ITEM_NAME]),
    ("county-csv", None, lambda h: "/g/230199/export.csv", [UNIT_NAME, FIELD, RESPONSIBILITY], [ITEM_NAME]),
    ("report-public", None, lambda h: f"/evaluation/{h.round.pk}/report.xlsx", [COUNTY_NAME, FIELD, OVERRIDE_REASON],
     [ITEM_NAME]),
    ("report-signed-in", "city_reviewer", lambda h: f"/evaluation/{h.round.pk}/report.xlsx",
     [COUNTY_NAME, FIELD, OVERRIDE_REASON, EVIL_USERNAME], [ITEM_NAME]),
    ("import-template-xlsx", "city_editor", lambda h: "/workspace/import/template.xlsx", [], []),
    ("import-template-csv", "city_editor", lambda h: "/workspace/import/template.csv", [], []),
    ("evidence-template-xlsx", "city_editor", lambda h: "/workspace/evaluation/evidence/template.xlsx", [], []),
    ("evidence-template-csv", "city_editor", lambda h: "/workspace/evaluation/evidence/template.csv", [], []),
]


@pytest.mark.parametrize(("who", "url", "neutralised", "kept"), [e[1:] for e in EXPORTS], ids=[e[0] for e in EXPORTS])
def test_every_spreadsheet_export_neutralises_formulas(hostile, who, url, neutralised, kept):
    response = browser(user_of(who, hostile)).get(url(hostile))
    assert response.status_code == 200, failure(response)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    xlsx = response["Content-Type"] == XLSX
    if xlsx:
        cells = _text_cells_of_xlsx(body)
    else:
        assert response["Content-Type"].startswith("text/csv")
        cells = _text_cells_of_csv(body)
    assert cells, "an empty spreadsheet"
    assert_neutralised(cells, *neutralised, xlsx=xlsx)
    for value in kept:
        assert value in cells, f"{value!r} is not in the spreadsheet as typed"


def test_the_list_export_of_a_government_whose_name_is_not_a_valid_sheet_title(hostile):
    """A government's name becomes the XLSX sheet's title, which may not hold / \\ ? * : [ ]; a name
    holding one (``</script>``) must still export (the CSV of the same list does)."""
    client = browser()
    assert client.get("/g/230199/export.csv").status_code == 200
    response = Client(raise_request_exception=False).get("/g/230199/export.xlsx")
    assert response.status_code == 200, failure(response)
    assert_neutralised(_text_cells_of_xlsx(response.content), UNIT_NAME, FIELD, xlsx=True)


def test_an_exported_list_imports_again_without_its_apostrophes(hostile, settings, tmp_path):
    """The apostrophe is the exporter's: the import takes it off, so the cell's text round-trips."""
    settings.MEDIA_ROOT = tmp_path
    exported = browser().get("/g/2301/export.csv").content
    headers, rows = read_table(exported, "list.csv")
    assert any(r[1] == "'" + HYPERLINK for r in rows)
    response = browser(hostile.city_editor).post("/workspace/import/", {
        "government": "2301", "file": SimpleUploadedFile("list.csv", exported)})
    assert response.status_code == 200
    html = html_of(response)
    assert_no_markup(html)
    assert "workspace/import/confirm" in html  # every row unchanged or changed, none in error


# --- 4. uploads are bounded and checked for their real type ---------------------------------------------------


def _csv_bytes(columns, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow([row.get(c.key, "") for c in columns])
    return out.getvalue().encode("utf-8")


def _png() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def _zip_not_xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
        archive.writestr("[Content_Types].xml", "<Types/>")
    return buffer.getvalue()


def _row_for(kind: str, n: int) -> list[str]:
    if kind == "items":
        return [f"R{n:05d}", f"事项{n}", "行政许可"]
    return ["X1", "230199", "2020-01-01", "2020-12-31", str(n)]


def _headers_for(kind: str) -> list[str]:
    if kind == "items":
        return [c.header for c in ITEM_COLUMNS[:3]]
    return [c.header for c in EVIDENCE_COLUMNS[:5]]


@functools.cache
def _too_many_rows(kind: str, fmt: str) -> bytes:
    """MAX_ROWS + 1 data rows: one more than allowed (made once per run)."""
    rows = [_row_for(kind, n) for n in range(MAX_ROWS + 1)]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(_headers_for(kind))
        writer.writerows(rows)
        return out.getvalue().encode("utf-8")
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(_headers_for(kind))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _nul_after_the_first_4_kb(kind: str) -> bytes:
    rows = [_row_for(kind, n) for n in range(300)]
    bad = _row_for(kind, 999)
    bad[0] = bad[0][:1] + "\x00" + bad[0][1:]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_headers_for(kind))
    writer.writerows([*rows, bad])
    data = out.getvalue().encode("utf-8")
    assert data.index(b"\x00") > 4096
    return data


# (id, file name, its bytes by kind, the Chinese message, the English message)
BAD_FILES = [
    ("over-5-mb-csv", "big.csv", lambda kind: b"a" * (MAX_UPLOAD_BYTES + 1), "文件过大", "too large"),
    ("over-5-mb-xlsx", "big.xlsx", lambda kind: b"PK\x03\x04" + b"\x00" * MAX_UPLOAD_BYTES, "文件过大", "too large"),
    ("too-many-rows-csv", "rows.csv", lambda kind: _too_many_rows(kind, "csv"), "行数过多", "Too many rows"),
    ("too-many-rows-xlsx", "rows.xlsx", lambda kind: _too_many_rows(kind, "xlsx"), "行数过多", "Too many rows"),
    ("png-named-xlsx", "list.xlsx", lambda kind: _png(), "不是有效的 Excel", "not a valid Excel"),
    ("text-named-xlsx", "list.xlsx", lambda kind: ",".join(_headers_for(kind)).encode() + b"\nA,B,C\n",
     "不是有效的 Excel", "not a valid Excel"),
    ("zip-not-xlsx", "list.xlsx", lambda kind: _zip_not_xlsx(), "不是有效的 Excel", "not a valid Excel"),
    ("png-named-csv", "list.csv", lambda kind: _png(), "不是有效的 CSV", "not a valid CSV"),
    ("nul-after-4-kb-csv", "list.csv", _nul_after_the_first_4_kb, "不是有效的 CSV", "not a valid CSV"),
    ("empty", "list.csv", lambda kind: b"", "空文件", "The submitted file is empty"),
    ("blank-lines-only", "list.csv", lambda kind: b"\n \n,,\n", "文件中没有数据", "holds no data"),
    ("executable", "list.exe", lambda kind: b"MZ\x90\x00" + b"\x00" * 100, "只接受 .xlsx 或 .csv", "Only .xlsx and .csv"),
    ("pdf", "list.pdf", lambda kind: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "只接受 .xlsx 或 .csv", "Only .xlsx and .csv"),
]
UPLOADS = {"items": ("/workspace/import/", {"government": "2301"}),
           "evidence": ("/workspace/evaluation/evidence/", {})}


def _upload_state() -> dict:
    state = db_state()
    state["Evidence"] = list(Evidence.objects.order_by("pk").values())
    state["EvaluationRound"] = list(EvaluationRound.objects.order_by("pk").values())
    return state


@pytest.mark.parametrize("kind", ["items", "evidence"])
@pytest.mark.parametrize(("filename", "make", "zh", "en"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES])
def test_a_bad_upload_is_refused_with_a_reason_and_writes_nothing(hostile, settings, tmp_path, kind, filename, make,
                                                                   zh, en):
    """Refused with a 400 naming the reason, in Chinese and in English; nothing is written, no file is kept
    for a confirmation. (The 20,001-row workbook, slow to read, is sent once: its English message is the
    CSV's.)"""
    settings.MEDIA_ROOT = tmp_path
    url, fields = UPLOADS[kind]
    client = browser(hostile.city_editor)
    before = _upload_state()
    data = make(kind)
    for language, message in (("zh-hans", zh), ("en", en))[: 1 if filename == "rows.xlsx" else 2]:
        response = fetch(client, url, {**fields, "file": SimpleUploadedFile(filename, data)}, method="post",
                         HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 400, failure(response)
        html = html_of(response)
        assert message in html, f"{message!r} not in the {language} page"
        assert 'name="fingerprint"' not in html  # nothing to confirm
        assert _upload_state() == before
    stored = tmp_path / "imports"
    assert not stored.exists() or not any(stored.iterdir()), "the refused file was kept on the server"


def test_the_row_bound_is_exactly_twenty_thousand():
    headers = _headers_for("items")
    at_bound = "\n".join([",".join(headers), *(",".join(_row_for("items", n)) for n in range(MAX_ROWS))]).encode()
    assert len(read_table(at_bound, "list.csv")[1]) == MAX_ROWS
    assert MAX_ROWS == 20_000 and MAX_UPLOAD_BYTES == 5 * 1024 * 1024


def test_an_upload_without_a_file_is_refused(hostile, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = browser(hostile.city_editor)
    before = _upload_state()
    for url, fields in UPLOADS.values():
        assert client.post(url, fields).status_code == 400  # no file at all
        assert client.post(url, {**fields, "file": "not a file"}).status_code == 400
    assert _upload_state() == before


def test_a_nul_byte_past_the_first_4_kb_never_reaches_the_database(hostile, settings, tmp_path):
    """The consequence of the check above, through preview and confirm: the item import must neither
    store the NUL (SQLite would) nor fail on it (PostgreSQL cannot store a NUL: a 500 at confirm)."""
    settings.MEDIA_ROOT = tmp_path
    client = browser(hostile.city_editor)
    data = _nul_after_the_first_4_kb("items")
    response = fetch(client, "/workspace/import/", {"government": "2301",
                                                   "file": SimpleUploadedFile("list.csv", data)}, method="post")
    assert response.status_code < 500, failure(response)
    found = re.search(r'name="fingerprint" value="([0-9a-f]+)"', html_of(response))
    if found:
        response = fetch(client, "/workspace/import/confirm/", {"fingerprint": found.group(1)}, method="post")
        assert response.status_code < 500, failure(response)
    stored = [code for code in PowerItem.objects.values_list("code", flat=True) if "\x00" in code]
    assert not stored, f"a NUL byte was stored: {stored}"


@pytest.mark.parametrize("field", ["name", "code", "field", "legal_basis", "responsibilities", "reason"])
def test_a_nul_byte_in_a_json_text_is_a_400_not_a_500(hostile, field):
    api = client_for(hostile.city_editor)
    body = {"government": "2301", "code": "N1", "name": "空字符事项", "category": "licensing"}
    body[field] = ["a\x00b"] if field == "responsibilities" else "a\x00b"
    before = db_state()
    response = fetch(api, "/api/v1/items/", body, method="post", format="json")
    assert response.status_code == 400, failure(response)
    assert db_state() == before


@pytest.mark.parametrize("field", ["name", "legal_basis", "responsibilities", "reason"])
def test_a_nul_byte_in_a_form_is_a_400_not_a_500(hostile, field):
    item = PowerItem.objects.get(pk=hostile.formulas[1].pk)
    form = {"version": item.version, "code": item.code, "name": item.name, "category": item.category,
            "field": "", "legal_basis": "", "lowest_tier": item.lowest_tier, "responsibilities": "",
            "accountability": "", "reason": ""}
    form[field] = "a\x00b"
    before = db_state()
    response = fetch(browser(hostile.city_editor), f"/workspace/items/{item.pk}/edit/", form, method="post")
    assert response.status_code == 400, failure(response)
    assert db_state() == before


BULK = "/api/v1/evidence/bulk/"


def _bulk_row(hostile, n: int, **extra) -> dict:
    return {"item": hostile.item.pk, "government": "230199", "period_start": f"{2000 + n % 20}-01-01",
            "period_end": f"{2000 + n % 20}-12-31", "cases_handled": n, **extra}


def test_the_api_bulk_takes_at_most_5000_rows_and_writes_nothing_over(hostile):
    api = client_for(hostile.city_editor)
    before = _upload_state()
    rows = [_bulk_row(hostile, n) for n in range(5001)]
    response = api.post(BULK, rows, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_rows" and response.json()["details"]["max_rows"] == 5000
    assert _upload_state() == before
    response = api.post(BULK, rows, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert "Send 1 to 5000 rows" in response.json()["message"]
    assert api.post(BULK, [], format="json").status_code == 400
    assert _upload_state() == before


@pytest.mark.parametrize(("body", "content_type"), [
    (b"[" + b'{"note": "' + b"x" * (MAX_UPLOAD_BYTES + 10) + b'"}]', "application/json"),
    (b"{not json", "application/json"),
    (b'{"item": 1}', "application/json"),
    (b"\x00\x01\x02", "application/json"),
    (b"item,government\n1,230199\n", "text/csv"),
    (_png(), "image/png"),
], ids=["over-5-mb", "malformed-json", "not-a-list", "binary", "csv", "png"])
def test_the_api_bulk_refuses_a_body_that_is_not_a_json_list_of_rows(hostile, body, content_type):
    api = client_for(hostile.city_editor)
    api.raise_request_exception = False
    before = _upload_state()
    response = api.generic("POST", BULK, body, content_type=content_type)
    assert 400 <= response.status_code < 500, failure(response)
    assert response["Content-Type"].startswith("application/json"), (
        f"{response.status_code} answered as {response['Content-Type']}, not in the API's error shape")
    assert set(response.json()) == {"code", "message", "details"}
    assert _upload_state() == before


def test_the_api_bulk_stores_hostile_text_as_data(hostile):
    api = client_for(hostile.city_editor)
    response = api.post(BULK, [_bulk_row(hostile, 1, note=TEXTAREA)], format="json")
    assert response.status_code == 200, response.content
    evidence = Evidence.objects.get(pk=response.json()["ids"][0])
    assert evidence.note == TEXTAREA
    row = api.get(f"/api/v1/evidence/{evidence.pk}/").json()
    assert row["note"] == TEXTAREA and row["government_name"] == COUNTY_NAME


# --- 5. malformed dates and numbers are a 400, never a 500 -----------------------------------------------------

MALFORMED_DATES = ["2020-13-45", "2020-02-30", "abc", "99999-01-01", "9" * 3000, "\x00", "2020-01-01\x00",
                   "-2020-01-01", XSS]
MALFORMED_DATETIMES = [*MALFORMED_DATES, "2020-01-01T25:00:00"]
# Real dates at the ends of the calendar, and dates some parsers take (another notation, other digits):
# whether taken or refused, never a 500.
ODD_DATES = ["0001-01-01", "1900-01-01", "9999-12-31", "2020/01/01", "２０２０-01-01"]
ODD_DATETIMES = [*ODD_DATES, "0001-01-01T00:00:00", "9999-12-31T23:59:59", "2020-01-01T00:00:00+14:00"]
MALFORMED_NUMBERS = ["abc", "1.5", "-1", "99999999999999999999999", "1e3", "\x00", "0x10"]
ODD_NUMBERS = ["١", "+1", "0", "9" * 18]
HOSTILE_TEXT = ["\x00", "a\x00b", "9" * 5000, XSS, "%_\\'; --", "\u202e😀"]
PAGING = {"page", "page_size"}


@pytest.fixture(scope="session")
def api_schema(django_db_setup, django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def _query_parameters(schema, path: str) -> list[tuple[str, str, str | None]]:
    operation = schema["paths"][path]["get"]
    return [(p["name"], p["schema"].get("type"), p["schema"].get("format"))
            for p in operation.get("parameters", []) if p["in"] == "query"]


API_ENDPOINTS = [
    "/api/v1/governments/", "/api/v1/governments/{code}/powers/", "/api/v1/governments/{code}/diff/",
    "/api/v1/items/", "/api/v1/items/{id}/history/", "/api/v1/exercises/", "/api/v1/departments/",
    "/api/v1/departments/{id}/responsibilities/", "/api/v1/stats/", "/api/v1/audit/", "/api/v1/batches/",
    "/api/v1/transfers/", "/api/v1/evidence/", "/api/v1/evaluation-rounds/", "/api/v1/evaluation-results/",
    "/api/v1/laws/", "/api/v1/governments/{code}/editions/{number}/",
    "/api/v1/governments/{code}/editions/{number}/compare/",
]
REQUIRED_ALONGSIDE = {"/api/v1/stats/": {"government": "2301"}, "/api/v1/governments/{code}/diff/":
                      {"from": "2017-01-01"}, "/api/v1/governments/{code}/editions/{number}/compare/": {"with": "2019"}}


def _concrete(path: str, hostile) -> str:
    return (path.replace("{code}", "2301").replace("{number}", "2021")
            .replace("departments/{id}", f"departments/{hostile.dept.pk}")
            .replace("items/{id}", f"items/{hostile.item.pk}"))


def test_the_sweep_covers_every_api_read_with_query_parameters(api_schema):
    reads = {path for path, item in api_schema["paths"].items()
             if "get" in item and any(p["in"] == "query" for p in item["get"].get("parameters", []))}
    assert reads == set(API_ENDPOINTS)


@pytest.mark.parametrize("path", API_ENDPOINTS)
def test_malformed_dates_and_numbers_are_a_400_on_every_api_read(hostile, api_schema, monkeypatch, path):
    """Every query parameter of the endpoint (from its OpenAPI description): malformed dates and numbers
    are a 400 in the one error shape; far but real dates and hostile text are never a 500."""
    no_throttle(monkeypatch)
    api = APIClient()
    api.force_authenticate(hostile.administrator)
    url = _concrete(path, hostile)
    base = REQUIRED_ALONGSIDE.get(path, {})
    problems = []

    def check(name, value, expected):
        response = fetch(api, url + "?" + urlencode({**base, name: value}))
        fine = response.status_code < 500 if expected is None else response.status_code in expected
        if not fine:
            problems.append(f"{name}={value[:24]!r}: {failure(response)}")
        elif response.status_code == 400:
            body = response.json()
            if set(body) != {"code", "message", "details"}:
                problems.append(f"{name}={value[:24]!r}: 400 not in the one error shape: {body}")

    for name, kind, fmt in _query_parameters(api_schema, path):
        if fmt in ("date", "date-time"):
            for value in MALFORMED_DATETIMES if fmt == "date-time" else MALFORMED_DATES:
                check(name, value, {400})
            for value in ODD_DATETIMES if fmt == "date-time" else ODD_DATES:
                check(name, value, None)
        elif kind == "integer":
            for value in MALFORMED_NUMBERS:
                # A bad page is DRF's 404 "Invalid page" and a bad page_size falls back to the default.
                check(name, value, None if name in PAGING else {400})
            for value in ODD_NUMBERS:
                check(name, value, None)
        for value in HOSTILE_TEXT:
            check(name, value, None)
    assert not problems, "\n".join(problems)


# (page, the parameter, what it takes, who is signed in)
WEB_PARAMETERS = [
    ("/g/2301/", "date", "date", None), ("/g/2301/", "department", "number", None),
    ("/g/2301/", "category", "choice", None), ("/g/2301/", "arrangement", "choice", None),
    ("/g/2301/", "group", "choice", None), ("/g/2301/", "q", "text", None), ("/g/2301/", "field", "text", None),
    ("/g/2301/export.csv", "date", "date", None), ("/g/2301/export.csv", "department", "number", None),
    ("/g/2301/export.xlsx", "date", "date", None), ("/g/2301/export.csv", "q", "text", None),
    ("/g/2301/export.csv", "field", "text", None), ("/g/2301/export.xlsx", "q", "text", None),
    ("/g/2301/diff/", "from", "date", None), ("/g/2301/diff/", "to", "date", None),
    ("/g/2301/chart/", "date", "date", None), ("/g/2301/chart/", "before", "date", None),
    ("/items/{item}/", "date", "date", None), ("/departments/{dept}/", "date", "date", None),
    ("/", "q", "text", None),
    ("/evaluation/", "page", "number", None), ("/evaluation/{round}/", "chart", "choice", None),
    ("/evaluation/{round}/results/", "page", "number", None),
    ("/evaluation/{round}/results/", "category", "choice", None),
    ("/evaluation/{round}/results/", "state", "choice", None),
    ("/evaluation/{round}/results/", "town", "text", None), ("/evaluation/{round}/results/", "field", "text", None),
    ("/workspace/joint-review/", "upper", "text", "city_editor"),
    ("/workspace/transfers/new/", "giver", "text", "city_editor"),
    ("/workspace/import/", "government", "text", "city_editor"),
]
WEB_VALUES = {
    "date": [*MALFORMED_DATES, "0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"],
    "number": MALFORMED_NUMBERS,
    "choice": [XSS, "\x00", "9" * 3000],
}


@pytest.mark.parametrize(("url", "name", "kind", "who"), WEB_PARAMETERS,
                         ids=[f"{u}?{n}" for u, n, _k, _w in WEB_PARAMETERS])
def test_malformed_query_values_are_a_400_on_every_page_never_a_500(hostile, url, name, kind, who):
    client = browser(user_of(who, hostile))
    url = url.format(item=hostile.item.pk, dept=hostile.dept.pk, round=hostile.round.pk)
    problems = []
    for value in WEB_VALUES.get(kind, []):
        query = {name: value}
        if name in ("upper", "lower"):
            query = {"upper": value, "lower": value}
        response = fetch(client, url + "?" + urlencode(query))
        if response.status_code != 400:
            problems.append(f"{name}={value[:24]!r}: {failure(response)}")
        elif response["Content-Type"].startswith("text/html"):
            html = html_of(response)
            if 'role="alert"' not in html:
                problems.append(f"{name}={value[:24]!r}: a 400 page that does not say what was wrong")
            try:
                assert_no_markup(html)
            except AssertionError as exc:
                problems.append(f"{name}={value[:24]!r}: {exc}")
    for value in HOSTILE_TEXT + (ODD_NUMBERS if kind == "number" else []):
        query = {"upper": value, "lower": value} if name in ("upper", "lower") else {name: value}
        response = fetch(client, url + "?" + urlencode(query))
        if response.status_code >= 500:
            problems.append(f"{name}={value[:24]!r}: {failure(response)}")
    assert not problems, "\n".join(problems)


def test_a_bad_date_message_is_in_chinese_and_in_english(hostile):
    client = browser()
    zh = html_of(client.get("/g/2301/?date=2020-13-45"))
    en = html_of(client.get("/g/2301/?date=2020-13-45", HTTP_ACCEPT_LANGUAGE="en"))
    assert "日期“2020-13-45”无效：请按 YYYY-MM-DD 填写" in zh
    assert "Invalid date “2020-13-45”: use YYYY-MM-DD" in en
    api = APIClient()
    zh = api.get("/api/v1/governments/2301/powers/?as_of=2020-13-45").json()
    en = api.get("/api/v1/governments/2301/powers/?as_of=2020-13-45", HTTP_ACCEPT_LANGUAGE="en").json()
    assert zh["code"] == en["code"] == "invalid_date"
    assert "YYYY-MM-DD" in zh["message"] and "日期" in zh["message"]
    assert "must be a date" in en["message"]


# --- 6. unknown query parameters ------------------------------------------------------------------------------


class TestUnknownQueryParameters:
    """The API (everything under /api/v1/) answers 400 ``unknown_parameters`` to a query parameter its
    operation's OpenAPI description does not list (``format`` is always taken); pages ignore them."""

    READS = [
        "/api/v1/governments/", "/api/v1/governments/2301/", "/api/v1/governments/2301/powers/",
        "/api/v1/governments/2301/diff/?from=2017-01-01", "/api/v1/items/", "/api/v1/items/{item}/",
        "/api/v1/items/{item}/history/", "/api/v1/exercises/", "/api/v1/departments/",
        "/api/v1/departments/{dept}/", "/api/v1/departments/{dept}/responsibilities/",
        "/api/v1/stats/?government=2301", "/api/v1/audit/", "/api/v1/batches/", "/api/v1/batches/{batch}/",
        "/api/v1/transfers/", "/api/v1/transfers/{transfer}/", "/api/v1/evidence/", "/api/v1/evaluation-rounds/",
        "/api/v1/evaluation-rounds/{round}/", "/api/v1/evaluation-rounds/{round}/report/",
        "/api/v1/evaluation-results/", "/api/v1/evaluation-results/{result}/",
    ]

    @staticmethod
    def url(template: str, h) -> str:
        return template.format(item=h.item.pk, dept=h.dept.pk, batch=h.batch.pk, transfer=h.approved.pk,
                               round=h.round.pk, result=h.result.pk)

    @staticmethod
    def with_query(url: str, **params) -> str:
        return url + ("&" if "?" in url else "?") + urlencode(params)

    @pytest.mark.parametrize("template", READS)
    def test_an_unknown_parameter_is_a_400_naming_it(self, hostile, template):
        api = client_for(hostile.administrator)
        url = self.url(template, hostile)
        assert api.get(url).status_code == 200, url  # the same read without it works
        response = api.get(self.with_query(url, bogus="1"))
        assert response.status_code == 400, (url, response.status_code)
        body = response.json()
        assert set(body) == {"code", "message", "details"}
        assert body["code"] == "unknown_parameters"
        assert "bogus" in body["message"] and "bogus" in json.dumps(body["details"])
        # ``format`` is always taken.
        assert api.get(self.with_query(url, format="json")).status_code == 200
        response = api.get(self.with_query(url, format="api"))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html")

    def test_the_api_root_refuses_an_unknown_parameter_too(self, db):
        """``/api/v1/`` (the router's index) is under /api/v1/ and takes no parameter."""
        api = APIClient()
        assert api.get("/api/v1/").status_code == 200
        assert api.get("/api/v1/?format=json").status_code == 200
        response = api.get("/api/v1/?bogus=1")
        assert response.status_code == 400 and response.json()["code"] == "unknown_parameters"

    def test_the_message_is_in_chinese_or_english(self, hostile):
        api = APIClient()
        zh = api.get("/api/v1/items/?bogus=1").json()
        en = api.get("/api/v1/items/?bogus=1", HTTP_ACCEPT_LANGUAGE="en").json()
        assert zh["code"] == en["code"] == "unknown_parameters"
        assert re.search(r"[\u4e00-\u9fff]", zh["message"]) and "bogus" in zh["message"]
        assert not re.search(r"[\u4e00-\u9fff]", en["message"]) and "bogus" in en["message"]

    def test_a_misspelt_filter_is_refused_not_ignored(self, hostile):
        api = APIClient()
        response = api.get("/api/v1/items/?goverment=2301")
        assert response.status_code == 400 and "goverment" in json.dumps(response.json())
        assert api.get("/api/v1/items/?government=2301").status_code == 200

    def test_every_unknown_parameter_is_named_and_listed_ones_still_work(self, hostile):
        api = APIClient()
        response = api.get("/api/v1/items/?category=licensing&bogus=1&utm_source=x&page=1")
        assert response.status_code == 400
        details = json.dumps(response.json()["details"])
        assert "bogus" in details and "utm_source" in details
        assert '"category"' not in json.dumps(response.json()["details"].get("unknown", []))
        ok = api.get("/api/v1/items/?category=licensing&page=1&page_size=5&ordering=code&search=" + quote("许可"))
        assert ok.status_code == 200 and [r["name"] for r in ok.json()["results"]] == [ITEM_NAME]

    @pytest.mark.parametrize(("path", "params"), [
        ("/api/v1/governments/2301/powers/", {"as_of": "2018-01-01", "category": "licensing", "field": FIELD,
                                              "arrangement": "devolved_out", "search": "许可", "page": "1",
                                              "page_size": "10"}),
        ("/api/v1/governments/2301/diff/", {"from": "2017-01-01", "to": "2018-01-01"}),
        ("/api/v1/stats/", {"government": "2301", "as_of": "2018-01-01", "by": "tier,category"}),
        ("/api/v1/exercises/", {"government": "230199", "in_force_on": "2018-01-01", "role": "receiver",
                                "valid_from_after": "2017-01-01", "open": "true", "search": "许可"}),
        ("/api/v1/audit/", {"since": "2000-01-01T00:00:00", "until": "2999-01-01T00:00:00", "action": "x"}),
        ("/api/v1/evidence/", {"government": "230199", "period_start_after": "2018-01-01",
                               "period_end_before": "2019-12-31", "capacity": "adequate"}),
        ("/api/v1/evaluation-results/", {"round": "{round}", "decided": "true", "government": "230199"}),
    ], ids=["powers", "diff", "stats", "exercises", "audit", "evidence", "results"])
    def test_the_parameters_an_operation_lists_are_taken(self, hostile, path, params):
        api = client_for(hostile.administrator)
        params = {k: v.format(round=hostile.round.pk) if k == "round" else v for k, v in params.items()}
        response = api.get(path + "?" + urlencode(params))
        assert response.status_code == 200, response.content[:300]

    def test_every_parameter_the_schema_lists_is_taken(self, hostile, api_schema):
        """Whatever value it has, a listed parameter is never refused as unknown (the contract is the
        schema's)."""
        api = client_for(hostile.administrator)
        refused = []
        for path in API_ENDPOINTS:
            for name, _kind, _fmt in _query_parameters(api_schema, path):
                response = api.get(_concrete(path, hostile) + "?" + urlencode(
                    {**REQUIRED_ALONGSIDE.get(path, {}), name: "1"}))
                if response.status_code == 400 and response.json()["code"] == "unknown_parameters":
                    refused.append(f"{path}?{name}")
        assert not refused

    def test_a_write_with_an_unknown_parameter_is_refused_and_writes_nothing(self, hostile):
        api = client_for(hostile.city_editor)
        before = db_state()
        response = api.post("/api/v1/items/?bogus=1", {"government": "2301", "code": "U1", "name": "未知参数",
                                                       "category": "licensing"}, format="json")
        assert response.status_code == 400 and response.json()["code"] == "unknown_parameters"
        assert db_state() == before
        response = api.post(f"/api/v1/transfers/{hostile.submitted.pk}/withdraw/?dry_run=1", {}, format="json",
                            HTTP_IF_MATCH=f'"transfer-{hostile.submitted.pk}-v{hostile.submitted.version}"')
        assert response.status_code == 400 and "dry_run" in json.dumps(response.json())
        assert db_state() == before

    def test_head_is_checked_like_get(self, hostile):
        api = APIClient()
        assert api.head("/api/v1/items/").status_code == 200
        assert api.head("/api/v1/items/?bogus=1").status_code == 400

    @pytest.mark.parametrize("url", [
        "/", "/g/2301/", "/g/2301/export.csv", "/g/2301/diff/", "/g/2301/chart/", "/items/{item}/",
        "/departments/{dept}/", "/evaluation/", "/evaluation/{round}/", "/evaluation/{round}/results/",
        "/accounts/login/",
    ])
    def test_pages_ignore_unknown_parameters(self, hostile, url):
        url = url.format(item=hostile.item.pk, dept=hostile.dept.pk, round=hostile.round.pk)
        response = browser().get(url + "?bogus=1&utm_source=" + quote(XSS) + "&fbclid=x")
        assert response.status_code == 200, url
        if response["Content-Type"].startswith("text/html"):
            assert_no_markup(html_of(response))

    def test_workspace_pages_ignore_unknown_parameters(self, hostile):
        client = browser(hostile.city_editor)
        for url in ("/workspace/", f"/workspace/transfers/{hostile.approved.pk}/", "/workspace/batches/",
                    "/workspace/import/", "/workspace/evaluation/evidence/"):
            assert client.get(url + "?bogus=1").status_code == 200, url
