"""Editions of a government's list (年度动态调整): public pages and the workspace's steps.

Public: a government's editions (published and filed; drafts too for its editors and reviewers), one
edition (its record, its document, its filing, a link to the list on its publication date), and two
editions compared (the diff page between their publication dates, titled with their numbers).

Workspace: draft an edition, approve it, publish it with its 文号, record its filing (备案) — each a POST
that calls :mod:`powerlists.services.editions` (which asks the policy and audits), then redirects to the
edition's page with a message (POST-redirect-GET, after a refusal too). A button shows only to whom the
policy allows the step.
"""
from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ... import policy
from ...models import Edition, EditionState, Government
from ...queries import ancestors
from ...queries.editions import edition_by_number, editions_of
from ...services import DomainError
from ...services.editions import approve_edition, draft_edition, file_edition, publish_edition
from .public import _crumb, _government, _government_crumbs, _page, diff_context


def _steps_allowed(user, edition: Edition) -> dict:
    upper = list(ancestors(edition.government))
    return {
        "approve": edition.state == EditionState.DRAFT and policy.may(user, "edition.approve", edition),
        "publish": edition.state == EditionState.APPROVED and policy.may(user, "edition.publish", edition),
        "file": edition.state == EditionState.PUBLISHED and any(policy.has_role(user, policy.REVIEWER, g)
                                                                 for g in upper),
        "upper": upper,
    }


def government_editions(request, code: str):
    government = _government(code)
    editions = list(editions_of(government, request.user)[:200])
    published = [e for e in editions if e.published_on]
    chain = ancestors(government)
    context = {
        "government": government, "editions": editions, "published": published,
        "may_draft": policy.may(request.user, "edition.draft", government),
        "crumbs": _government_crumbs(government, chain, _crumb(_("清单版本"))),
    }
    return _page(request, "web/public/editions.html", context)


def government_edition(request, code: str, number: str):
    government = _government(code)
    edition = edition_by_number(government, number, request.user)
    if edition is None:
        raise Http404
    chain = ancestors(government)
    context = {
        "government": government, "edition": edition, "steps": _steps_allowed(request.user, edition),
        "today": datetime.date.today(),
        "crumbs": _government_crumbs(government, chain,
                                     _crumb(_("清单版本"), reverse("government-editions", args=[government.code])),
                                     _crumb(edition.number)),
    }
    return _page(request, "web/public/edition.html", context)


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
    context.update(editions=(older, newer), crumbs=_government_crumbs(
        government, ancestors(government),
        _crumb(_("清单版本"), reverse("government-editions", args=[government.code])),
        _crumb(_("%(a)s 与 %(b)s 对比") % {"a": older.number, "b": newer.number})))
    return _page(request, "web/public/diff.html", context)


# --- the workspace's steps -----------------------------------------------------------------------------------


def _date(request, name: str):
    try:
        return datetime.date.fromisoformat(request.POST.get(name, ""))
    except ValueError:
        return None


def _refuse_forbidden(exc: DomainError) -> None:
    """Who may not take the step gets a 403 (with the reason); a step refused for what was sent (a date, a
    state, a stale version) goes back to the edition's page with the reason (POST-redirect-GET)."""
    if exc.status == 403:
        raise PermissionDenied(exc.message())


def _back(edition: Edition):
    return redirect("government-edition", code=edition.government.code, number=edition.number)


@login_required
@require_POST
def edition_draft(request, code: str):
    government = _government(code)
    try:
        edition = draft_edition(government, number=request.POST.get("number", "")[:100],
                                title=request.POST.get("title", "")[:1000], actor=request.user)
    except DomainError as exc:
        _refuse_forbidden(exc)
        messages.error(request, exc.message())
        return redirect("government-editions", code=government.code)
    messages.success(request, _("已起草版本 %(number)s。") % {"number": edition.number})
    return _back(edition)


def _edition_for_step(request, pk: str) -> Edition:
    edition = get_object_or_404(Edition.objects.select_related("government"), pk=pk)
    if edition_by_number(edition.government, edition.number, request.user) is None:
        raise Http404  # a draft the person may not see
    return edition


@login_required
@require_POST
def edition_step(request, pk: str, step: str):
    edition = _edition_for_step(request, pk)
    version = request.POST.get("version", "")
    expected = int(version) if version.isdigit() else None
    try:
        if step == "approve":
            edition = approve_edition(edition, approved_on=_date(request, "approved_on"), actor=request.user,
                                      expected_version=expected)
            done = _("已审定。")
        elif step == "publish":
            edition = publish_edition(edition, document_number=request.POST.get("document_number", "")[:1000],
                                      published_on=_date(request, "published_on"), actor=request.user,
                                      expected_version=expected)
            done = _("已公布。")
        elif step == "file":
            upper = Government.objects.filter(code=request.POST.get("filed_with", "")[:20]).first()
            if upper is None:
                messages.error(request, _("请选择备案机关所属的上级政府。"))
                return _back(edition)
            edition = file_edition(edition, filed_with=upper, filed_on=_date(request, "filed_on"),
                                   filing_number=request.POST.get("filing_number", "")[:1000], actor=request.user,
                                   expected_version=expected)
            done = _("已记录备案。")
        else:
            raise Http404
    except DomainError as exc:
        _refuse_forbidden(exc)
        messages.error(request, exc.message())
        return _back(edition)
    messages.success(request, done)
    return _back(edition)


__all__ = ["edition_draft", "edition_step", "government_edition", "government_editions",
           "government_editions_compare"]
