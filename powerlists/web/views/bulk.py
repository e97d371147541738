"""Propose one change for many items in the workspace (issue "Reform in bulk"): the items ticked on a
government's list page → choose the change (kind, receivers among the giver's lower governments, method,
date, reason, a new batch) → preview every pair that would be made and every one a rule refuses, with the
reason → confirm: all written or none (:func:`powerlists.services.bulk.propose_bulk`). Works without
JavaScript: every step is a plain form."""
from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ...models import Government, Method, TransferKind
from ...queries import children
from ...services import DomainError
from ...services.bulk import KINDS, MAX_ITEMS, items_by_code, propose_bulk
from ..views.workspace import crumbs

KIND_CHOICES = [(k, TransferKind(k).label) for k in KINDS]


@login_required
@require_POST
def bulk(request):
    giver = get_object_or_404(Government, code=(request.POST.get("giver") or "")[:20])
    codes = list(dict.fromkeys(c[:50] for c in request.POST.getlist("items") if c))[:MAX_ITEMS + 1]
    context = {"giver": giver, "codes": codes, "kinds": KIND_CHOICES, "methods": Method.choices,
               "lower": list(children(giver)), "crumbs": crumbs((_("批量提出变更"), None)),
               "values": request.POST, "chosen_receivers": request.POST.getlist("receivers")}
    if not codes:
        messages.error(request, _("请先在清单中勾选事项。"))
        return redirect(reverse("government", args=[giver.code]))
    try:
        items = items_by_code(giver, codes)
    except DomainError as exc:
        messages.error(request, exc.message())
        return redirect(reverse("government", args=[giver.code]))
    context["items"] = items
    step = request.POST.get("step", "")
    if step not in ("preview", "confirm"):
        return render(request, "web/workspace/bulk.html", context)
    kind = request.POST.get("kind", "")
    receivers = list(Government.objects.filter(code__in=request.POST.getlist("receivers")[:100], parent=giver))
    try:
        effective_on = datetime.date.fromisoformat(request.POST.get("effective_on", ""))
    except ValueError:
        effective_on = None
    title = (request.POST.get("batch_title") or "").strip()
    try:
        result = propose_bulk(
            actor=request.user, kind=kind, giver=giver, items=items,
            receivers=receivers if kind in (TransferKind.DEVOLVE, TransferKind.RECALL) else [],
            effective_on=effective_on, method=request.POST.get("method", "") if kind == TransferKind.DEVOLVE else "",
            reason=request.POST.get("reason", "")[:5000],
            new_batch={"title": title[:1000], "number": (request.POST.get("batch_number") or "")[:1000]} if title else None,
            dry_run=step == "preview")
    except DomainError as exc:
        context["error"] = exc.message()
        return render(request, "web/workspace/bulk.html", context, status=exc.status)
    if result.written:
        messages.success(request, _("已提出 %(n)s 项变更（草稿），请逐项或在批次中提交审核。") % {"n": len(result.transfers)})
        if result.batch is not None:
            return redirect("workspace-batch", pk=result.batch.pk)
        return redirect("workspace")
    context.update(result=result, preview=True)
    return render(request, "web/workspace/bulk.html", context, status=400 if step == "confirm" else 200)
