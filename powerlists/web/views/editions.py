"""Editions of a government's list (年度动态调整): public pages and the workspace's steps.

Public: a government's editions (published and filed; drafts too for its editors and reviewers), one
edition (its record, its document, its filing, a link to the list on its publication date), and two
editions compared (the diff page between their publication dates, titled with their numbers).

Workspace: draft an edition, approve it, publish it with its 文号, record its filing (备案) — each a POST
that calls :mod:`powerlists.services.editions` (which asks the policy and audits), then redirects to the
edition's page with a message (POST-redirect-GET). A step refused for what was sent (a date, a state, a
stale version) goes back to the page with the service's reason; one refused to whom the policy refuses
is answered 403 on the page itself, with the reason. A button shows only to whom the policy allows it.
"""
from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ... import policy
from ...models import Edition, EditionState, Government
from ...queries import ancestors
from ...queries.editions import edition_by_number, editions_of
from ...services import DomainError
from ...services.editions import approve_edition, draft_edition, file_edition, publish_edition
from .public import _crumb, _government, _government_crumbs, _page, diff_context

LIST_LIMIT = 200  # editions are yearly: two centuries of them on one page


def _steps_allowed(user, edition: Edition, chain: list[Government]) -> dict:
    """Which step buttons ``user`` sees on ``edition``'s page: those the policy lets them take now."""
    state = edition.state
    upper = [g for g in chain if policy.has_role(user, policy.REVIEWER, g)] if state == EditionState.PUBLISHED else []
    return {
        "approve": state == EditionState.DRAFT and policy.may(user, "edition.approve", edition),
        "publish": state == EditionState.APPROVED and policy.may(user, "edition.publish", edition),
        "file": bool(upper),
        "upper": upper,
    }


def _editions_page(request, government: Government, *, status: int = 200):
    editions = list(editions_of(government, request.user)[:LIST_LIMIT])
    chain = ancestors(government)
    context = {
        "government": government, "editions": editions, "published": [e for e in editions if e.published_on],
        "may_draft": policy.may(request.user, "edition.draft", government),
        "crumbs": _government_crumbs(government, chain, _crumb(_("清单版本"))),
    }
    response = _page(request, "web/public/editions.html", context)
    response.status_code = status
    return response


def government_editions(request, code: str):
    """A government's editions, newest first: the public sees the published and filed ones."""
    return _editions_page(request, _government(code))


def _edition_page(request, government: Government, edition: Edition, *, status: int = 200):
    chain = ancestors(government)
    context = {
        "government": government, "edition": edition, "steps": _steps_allowed(request.user, edition, chain),
        "today": timezone.localdate(),
        "crumbs": _government_crumbs(government, chain,
                                     _crumb(_("清单版本"), reverse("government-editions", args=[government.code])),
                                     _crumb(edition.number)),
    }
    response = _page(request, "web/public/edition.html", context)
    response.status_code = status
    return response


def government_edition(request, code: str, number: str):
    government = _government(code)
    edition = edition_by_number(government, number, request.user)
    if edition is None:
        raise Http404
    return _edition_page(request, government, edition)


def government_editions_compare(request, code: str):
    """Two published editions compared: the diff page between their publication dates."""
    government = _government(code)
    a = edition_by_number(government, (request.GET.get("a") or "")[:30], request.user)
    b = edition_by_number(government, (request.GET.get("b") or "")[:30], request.user)
    if a is None or b is None or a.published_on is None or b.published_on is None:
        messages.error(request, _("请选择两个已公布的版本进行比较。"))
        return redirect("government-editions", code=government.code)
    older, newer = sorted((a, b), key=lambda e: (e.published_on, e.number))
    context = diff_context(government, older.published_on, newer.published_on)
    published = [e for e in editions_of(government, request.user)[:LIST_LIMIT] if e.published_on]
    context.update(compared=(older, newer), published=published, crumbs=_government_crumbs(
        government, ancestors(government),
        _crumb(_("清单版本"), reverse("government-editions", args=[government.code])),
        _crumb(_("%(a)s 与 %(b)s 对比") % {"a": older.number, "b": newer.number})))
    return _page(request, "web/public/diff.html", context)


# --- the workspace's steps -----------------------------------------------------------------------------------


def _date(request, name: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(request.POST.get(name, "")[:10])
    except ValueError:
        return None


@login_required
@require_POST
def edition_draft(request, code: str):
    government = _government(code)
    try:
        edition = draft_edition(government, number=request.POST.get("number", "")[:100],
                                title=request.POST.get("title", "")[:1000], actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message())
        if exc.status == 403:  # the reason on the page itself, with the status
            return _editions_page(request, government, status=403)
        return redirect("government-editions", code=government.code)
    messages.success(request, _("已起草版本 %(number)s。") % {"number": edition.number})
    return _back(edition)


def _back(edition: Edition):
    return redirect("government-edition", code=edition.government.code, number=edition.number)


def _edition_for_step(request, pk: str) -> Edition:
    edition = get_object_or_404(Edition.objects.select_related("government"), pk=pk)
    if edition_by_number(edition.government, edition.number, request.user) is None:
        raise Http404  # a draft the person may not see
    return edition


def _run_step(request, edition: Edition, step: str) -> tuple[Edition, str]:
    version = request.POST.get("version", "")
    expected = int(version) if version.isdigit() and len(version) <= 9 else None
    if step == "approve":
        edition = approve_edition(edition, approved_on=_date(request, "approved_on"), actor=request.user,
                                  expected_version=expected)
        return edition, _("已审定。")
    if step == "publish":
        edition = publish_edition(edition, document_number=request.POST.get("document_number", "")[:1000],
                                  published_on=_date(request, "published_on"), actor=request.user,
                                  expected_version=expected)
        return edition, _("已公布。")
    if step == "file":
        upper = Government.objects.filter(code=request.POST.get("filed_with", "")[:20]).first()
        edition = file_edition(edition, filed_with=upper, filed_on=_date(request, "filed_on"),
                               filing_number=request.POST.get("filing_number", "")[:1000], actor=request.user,
                               expected_version=expected)
        return edition, _("已记录备案。")
    raise Http404


@login_required
@require_POST
def edition_step(request, pk: str, step: str):
    edition = _edition_for_step(request, pk)
    try:
        edition, done = _run_step(request, edition, step)
    except DomainError as exc:
        messages.error(request, exc.message())
        if exc.status == 403:
            edition.refresh_from_db()
            return _edition_page(request, edition.government, edition, status=403)
        return _back(edition)
    messages.success(request, done)
    return _back(edition)


__all__ = ["edition_draft", "edition_step", "government_edition", "government_editions",
           "government_editions_compare"]
