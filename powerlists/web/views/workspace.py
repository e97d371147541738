"""The workspace: a person's proposals and inbox, a transfer's page and its review steps, batches, the
joint review, item corrections and API tokens. Every step goes through the workflow services; every
button is shown only when the one policy allows it; every list is one SQL query."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ... import policy
from ...models import (
    AuditEvent,
    Batch,
    BatchState,
    Department,
    Government,
    PowerItem,
    Transfer,
    TransferParty,
)
from ...models import TransferKind as K
from ...models import TransferState as S
from ...queries import joint_review as joint_review_query
from ...queries.history import describe, with_subjects
from ...services import DomainError, staff_posts_moved, update_item, workflow
from ...services.errors import Conflict
from ..forms import (
    AcceptForm,
    BatchForm,
    BatchRejectForm,
    CommentForm,
    ItemForm,
    ProposeForm,
    ReasonForm,
    TransferEditForm,
)
from .redirects import safe_next

LIST_LIMIT = 200
REVIEWING = {policy.REVIEWER, policy.ADMINISTRATOR}
EDITING = {policy.EDITOR, policy.ADMINISTRATOR}


# --- visibility, in SQL, from the memberships (as the policy decides it) ------------------------------


def scope_q(field: str, user, roles=None) -> Q | None:
    """Rows whose government ``field`` (a path) lies in the scope of ``user``'s memberships with one of
    ``roles`` (any role when None). ``None`` means everywhere (a superuser)."""
    return None if user.is_superuser else policy.scope_q(user, field, roles)


def _filter(qs, q):
    return qs if q is None else qs.filter(q)


visible_transfers = policy.visible_transfers
visible_batches = policy.visible_batches


def maker_ids(user):
    return Transfer.editors.through.objects.filter(user_id=user.pk).values("transfer_id")


def editable_governments(user):
    """Governments whose list the user may edit (policy "item.edit"), at most LIST_LIMIT."""
    return _filter(Government.objects.all(), scope_q("path", user, EDITING)).order_by("path")[:LIST_LIMIT]


def _keep_typed_after_stale(form, version: int, message) -> None:
    """A stale save: say so, keep what was typed, and carry the current version so saving again wins."""
    form.add_error(None, message)
    data = form.data.copy()
    data["version"] = version
    form.data = data


def crumbs(*pairs):
    return [{"label": label, "url": url} for label, url in pairs]


def _workspace_crumb():
    return (_("工作台"), reverse("workspace"))


TRANSFER_RELATED = ("item", "giver", "receiver", "receiving_department", "batch", "created_by")


# --- the workspace ------------------------------------------------------------------------------------


@login_required
def index(request):
    user = request.user
    mine = list(
        Transfer.objects.filter(Q(created_by=user) | Q(pk__in=maker_ids(user)))
        .filter(state__in=workflow.OPEN_STATES).select_related(*TRANSFER_RELATED)
        .order_by("-updated_at", "-id")[:LIST_LIMIT]
    )
    to_approve = list(
        _filter(Transfer.objects.filter(state=S.SUBMITTED), scope_q("giver__path", user, REVIEWING))
        .exclude(created_by=user).exclude(pk__in=maker_ids(user)).select_related(*TRANSFER_RELATED)
        .order_by("effective_on", "id")[:LIST_LIMIT]
    )
    receiver_scope = scope_q("receiver__path", user, REVIEWING)
    party_scope = scope_q("government__path", user, REVIEWING)
    pending_parties = _filter(TransferParty.objects.exclude(decision="approved"), party_scope).values("transfer_id")
    waiting = Q(kind=K.DEVOLVE) if receiver_scope is None else Q(kind=K.DEVOLVE) & receiver_scope
    to_accept = list(
        Transfer.objects.filter(state=S.APPROVED).filter(waiting | Q(kind=K.SHARE, pk__in=pending_parties))
        .exclude(created_by=user).exclude(pk__in=maker_ids(user)).exclude(giver_decided_by=user)
        .select_related(*TRANSFER_RELATED).order_by("effective_on", "id")[:LIST_LIMIT]
    )
    return render(request, "web/workspace/index.html", {
        "mine": mine, "to_approve": to_approve, "to_accept": to_accept, "limit": LIST_LIMIT,
        "crumbs": crumbs((_("工作台"), None)),
    })


# --- proposing ----------------------------------------------------------------------------------------


@login_required
def transfer_new(request):
    form = ProposeForm(request.POST or None, initial={
        k: request.GET[k] for k in ("giver", "item", "receiver", "kind", "origin") if k in request.GET})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            batch = None
            if data.get("batch"):
                batch = Batch.objects.filter(pk=data["batch"]).first()
                if batch is None or not visible_batches(request.user).filter(pk=batch.pk).exists():
                    form.add_error("batch", _("找不到该批次。"))
            if not form.errors:
                try:
                    transfer = workflow.propose(
                        actor=request.user, kind=data["kind"], item=data["item_object"], giver=data["giver"],
                        receiver=data["receiver"], origin=data["origin"], method=data["method"] or "",
                        effective_on=data["effective_on"], staff_posts=data.get("staff_posts") or 0,
                        reason=data["reason"], batch=batch,
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message())
                    status = exc.status
                else:
                    messages.success(request, _("提议已保存为草稿。请核对后提交审核。"))
                    return redirect("workspace-transfer", pk=transfer.pk)
    return render(request, "web/workspace/transfer_new.html", {
        "form": form, "crumbs": crumbs(_workspace_crumb(), (_("提出变更"), None)),
    }, status=status)


# --- a transfer's page ----------------------------------------------------------------------------------


def _visible_transfer(request, pk) -> Transfer:
    return get_object_or_404(visible_transfers(request.user).select_related(*TRANSFER_RELATED), pk=pk)


def _buttons(user, t: Transfer) -> dict:
    may = policy.may
    editable = t.state in workflow.EDITABLE_STATES
    batch_effective = t.batch_id is not None and t.batch.state == BatchState.EFFECTIVE
    needs = policy.needs_acceptance(t)
    return {
        "submit": editable and may(user, "transfer.submit", t),
        "edit": editable and may(user, "transfer.edit", t),
        "withdraw": t.state in workflow.OPEN_STATES and not batch_effective and may(user, "transfer.withdraw", t),
        "approve": t.state == S.SUBMITTED and may(user, "transfer.approve", t),
        "return": t.state == S.SUBMITTED and may(user, "transfer.return", t),
        "reject": (t.state == S.SUBMITTED and may(user, "transfer.reject_as_giver", t))
        or (t.state == S.APPROVED and needs and may(user, "transfer.reject_as_receiver", t)),
        "accept": t.state == S.APPROVED and needs and may(user, "transfer.accept", t),
    }


def _forms(t: Transfer, bound: dict | None = None) -> dict:
    initial = {"version": t.version}
    departments = Department.objects.filter(government_id=t.receiver_id).order_by("name")
    forms = {
        "submit": CommentForm(initial=initial, prefix="submit"),
        "withdraw": CommentForm(initial=initial, prefix="withdraw"),
        "approve": CommentForm(initial=initial, prefix="approve"),
        "return": ReasonForm(initial=initial, prefix="return"),
        "reject": ReasonForm(initial=initial, prefix="reject"),
        "accept": AcceptForm(initial={**initial, "receiving_department": t.receiving_department_id},
                             departments=departments, prefix="accept"),
    }
    forms.update(bound or {})
    return forms


def _detail(request, t: Transfer, *, bound=None, error=None, status=200):
    history = list(with_subjects(AuditEvent.objects.filter(transfer=t)).order_by("id"))
    for event in history:
        event.words = describe(event)  # "哈尔滨市编办审核人 批准了 下放：…（已提交 → 放出方已批准）"
    parties = list(t.parties.select_related("government", "department")) if t.kind == K.SHARE else []
    return render(request, "web/workspace/transfer_detail.html", {
        "t": t, "history": history, "parties": parties, "buttons": _buttons(request.user, t),
        "forms": _forms(t, bound), "error": error, "next": request.POST.get("next") or request.GET.get("next", ""),
        "crumbs": crumbs(_workspace_crumb(), (_("变更 #%(id)s") % {"id": t.pk}, None)),
    }, status=status)


@login_required
def transfer_detail(request, pk):
    return _detail(request, _visible_transfer(request, pk))


def _run_step(action, t, user, data):
    v = data["version"]
    if action == "submit":
        return workflow.submit(t, actor=user, comment=data["comment"], expected_version=v)
    if action == "withdraw":
        return workflow.withdraw(t, actor=user, comment=data["comment"], expected_version=v)
    if action == "approve":
        return workflow.approve(t, actor=user, comment=data["comment"], expected_version=v)
    if action == "return":
        return workflow.return_for_changes(t, actor=user, comment=data["comment"], expected_version=v)
    if action == "reject":
        return workflow.reject(t, actor=user, reason=data["comment"], expected_version=v)
    if action == "accept":
        return workflow.accept(t, actor=user, receiving_department=data.get("receiving_department"),
                               comment=data["comment"], expected_version=v)
    raise Http404


DONE = {
    "submit": gettext_lazy("已提交审核。"), "withdraw": gettext_lazy("已撤回。"), "approve": gettext_lazy("已批准。"),
    "return": gettext_lazy("已退回修改。"), "reject": gettext_lazy("已驳回。"), "accept": gettext_lazy("已确认承接。"),
}


@login_required
@require_POST
def transfer_action(request, pk, action):
    if action not in DONE:
        raise Http404
    t = _visible_transfer(request, pk)
    if action == "accept":
        form = AcceptForm(request.POST, prefix=action,
                          departments=Department.objects.filter(government_id=t.receiver_id).order_by("name"))
    elif action in ("return", "reject"):
        form = ReasonForm(request.POST, prefix=action)
    else:
        form = CommentForm(request.POST, prefix=action)
    if not form.is_valid():
        return _detail(request, t, bound={action: form}, error=_("请按提示补全后再提交。"), status=400)
    try:
        _run_step(action, t, request.user, form.cleaned_data)
    except DomainError as exc:
        message = exc.message()
        if isinstance(exc, Conflict) and exc.code == "stale_version":
            message = _("该提议已被他人修改（您看到的是旧版本）。下面是最新内容，请核对后再操作。")
        t = _visible_transfer(request, pk)
        return _detail(request, t, bound={action: form} if exc.code != "stale_version" else None,
                       error=message, status=exc.status)
    messages.success(request, DONE[action])
    return redirect(safe_next(request, reverse("workspace-transfer", args=[pk])))


@login_required
def transfer_edit(request, pk):
    t = _visible_transfer(request, pk)
    if not policy.may(request.user, "transfer.edit", t):
        raise PermissionDenied
    initial = {"version": t.version, "method": t.method, "effective_on": t.effective_on,
               "staff_posts": t.staff_posts, "reason": t.reason}
    form = TransferEditForm(request.POST or None, initial=initial)
    status, current = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            changes = {"effective_on": d["effective_on"], "staff_posts": d["staff_posts"], "reason": d["reason"]}
            if t.kind == K.DEVOLVE:
                changes["method"] = d["method"] or t.method
            try:
                workflow.edit(t, actor=request.user, expected_version=d["version"], comment=d["comment"], **changes)
            except DomainError as exc:
                status = exc.status
                if exc.code == "stale_version":
                    current = Transfer.objects.get(pk=t.pk)
                    _keep_typed_after_stale(form, current.version, _("该提议已被他人修改。下面列出了当前内容；您填写的内容已保留，"
                                                                   "核对后再次保存即以您的为准。"))
                else:
                    form.add_error(None, exc.message())
            else:
                messages.success(request, _("已保存修改。"))
                return redirect("workspace-transfer", pk=pk)
    return render(request, "web/workspace/transfer_edit.html", {
        "t": t, "form": form, "current": current,
        "crumbs": crumbs(_workspace_crumb(), (_("变更 #%(id)s") % {"id": t.pk},
                                              reverse("workspace-transfer", args=[t.pk])), (_("修改"), None)),
    }, status=status)


# --- batches -------------------------------------------------------------------------------------------


@login_required
def batches(request):
    form = BatchForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                batch = workflow.create_batch(actor=request.user, issuer=d["issuer"], title=d["title"],
                                              effective_on=d["effective_on"], number=d["number"],
                                              issued_on=d["issued_on"], round_no=d["round_no"])
            except DomainError as exc:
                form.add_error(None, exc.message())
                status = exc.status
            else:
                messages.success(request, _("批次已创建。"))
                return redirect("workspace-batch", pk=batch.pk)
    rows = list(visible_batches(request.user).select_related("issuer").annotate(n=Count("transfers"))
                .order_by("-effective_on", "-id")[:LIST_LIMIT])
    return render(request, "web/workspace/batches.html", {
        "batches": rows, "form": form, "crumbs": crumbs(_workspace_crumb(), (_("批次"), None)),
    }, status=status)


def _visible_batch(request, pk) -> Batch:
    return get_object_or_404(visible_batches(request.user).select_related("issuer"), pk=pk)


def _batch_page(request, batch, *, reject_form=None, error=None, status=200):
    # Only the proposals this person may see (a street's reviewer does not see a neighbour's).
    transfers = list(visible_transfers(request.user).filter(batch=batch)
                     .select_related("item", "giver", "receiver", "receiving_department").order_by("id"))
    user = request.user
    buttons = {
        "approve": batch.state == BatchState.DRAFT and policy.may(user, "batch.approve", batch),
        "reject": batch.state in (BatchState.DRAFT, BatchState.APPROVED) and policy.may(user, "batch.reject", batch),
        "effect": batch.state == BatchState.APPROVED and policy.may(user, "batch.effect", batch),
    }
    return render(request, "web/workspace/batch_detail.html", {
        "batch": batch, "transfers": transfers, "posts": staff_posts_moved(batch), "buttons": buttons,
        "reject_form": reject_form or BatchRejectForm(), "error": error,
        "crumbs": crumbs(_workspace_crumb(), (_("批次"), reverse("workspace-batches")), (str(batch), None)),
    }, status=status)


@login_required
def batch_detail(request, pk):
    return _batch_page(request, _visible_batch(request, pk))


@login_required
@require_POST
def batch_action(request, pk, action):
    batch = _visible_batch(request, pk)
    reject_form = None
    try:
        if action == "approve":
            workflow.approve_batch(batch, actor=request.user)
            done = _("已批准批次中所有已提交的提议。")
        elif action == "reject":
            reject_form = BatchRejectForm(request.POST)
            if not reject_form.is_valid():
                return _batch_page(request, batch, reject_form=reject_form, error=_("请说明驳回理由。"), status=400)
            workflow.reject_batch(batch, actor=request.user, reason=reject_form.cleaned_data["reason"])
            done = _("批次已驳回。")
        elif action == "effect":
            workflow.effect_batch(batch, actor=request.user)
            done = _("批次已生效。")
        else:
            raise Http404
    except DomainError as exc:
        return _batch_page(request, _visible_batch(request, pk), reject_form=reject_form, error=exc.message(),
                           status=exc.status)
    messages.success(request, done)
    return redirect("workspace-batch", pk=pk)


# --- joint review -------------------------------------------------------------------------------------


@login_required
def joint_review(request):
    upper_code, lower_code = request.GET.get("upper", "").strip(), request.GET.get("lower", "").strip()
    context = {"upper_code": upper_code, "lower_code": lower_code,
               "crumbs": crumbs(_workspace_crumb(), (_("对接会（联合审核）"), None))}
    if not (upper_code and lower_code):
        return render(request, "web/workspace/joint_review.html", context)
    found = {g.code: g for g in Government.objects.filter(code__in=[upper_code, lower_code])}
    upper, lower = found.get(upper_code), found.get(lower_code)
    user = request.user
    if upper is None or lower is None or not any(
        policy.has_role(user, role, g) for g in (upper, lower) for role in (policy.EDITOR, policy.REVIEWER)
    ):
        raise Http404
    review = joint_review_query(upper, lower)
    rows = review.offered + review.requested
    ids = [r["id"] for r in rows]
    meta = {m["id"]: m for m in Transfer.objects.filter(pk__in=ids).values("id", "version", "created_by_id",
                                                                            "giver_decided_by_id")}
    makers = set(Transfer.editors.through.objects.filter(user_id=user.pk, transfer_id__in=ids)
                 .values_list("transfer_id", flat=True))
    giver_reviewer = policy.has_role(user, policy.REVIEWER, upper)
    receiver_reviewer = policy.has_role(user, policy.REVIEWER, lower)
    for r in rows:  # the policy's rules for deciding, with maker-checker, without a query per row
        m = meta[r["id"]]
        maker = m["created_by_id"] == user.pk or r["id"] in makers
        r["version"] = m["version"]
        r["can_approve"] = r["state"] == S.SUBMITTED and giver_reviewer and not maker
        r["can_accept"] = (r["state"] == S.APPROVED and receiver_reviewer and not maker
                           and m["giver_decided_by_id"] != user.pk)
        r["can_reject"] = r["can_approve"] or r["can_accept"]
    context.update({
        "review": review, "upper": upper, "lower": lower,
        "departments": list(Department.objects.filter(government=lower).order_by("name")),
        "here": request.get_full_path(),
    })
    return render(request, "web/workspace/joint_review.html", context)


# --- items ----------------------------------------------------------------------------------------------


def _item_values(d: dict) -> dict:
    lines = lambda text: [line.strip() for line in (text or "").splitlines() if line.strip()]  # noqa: E731
    return {
        "code": d["code"], "name": d["name"], "category": d["category"], "field": d["field"],
        "department": d["department"], "division": d["division"], "legal_basis": d["legal_basis"],
        "statutory_days": d["statutory_days"], "promised_days": d["promised_days"], "lowest_tier": d["lowest_tier"],
        "responsibilities": lines(d["responsibilities"]), "accountability": lines(d["accountability"]),
        "is_core": d["is_core"],
    }


@login_required
def item_edit(request, pk):
    item = get_object_or_404(PowerItem.objects.select_related("government", "department", "division"), pk=pk)
    if not policy.may(request.user, "item.edit", item.government):
        raise PermissionDenied
    form = ItemForm(request.POST or None, initial=ItemForm.initial_for(item), government=item.government)
    status, current = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                update_item(item, expected_version=d["version"], actor=request.user, reason=d["reason"],
                            **_item_values(d))
            except DomainError as exc:
                status = exc.status
                if exc.code == "stale_version":
                    current = PowerItem.objects.select_related("department", "division").get(pk=item.pk)
                    _keep_typed_after_stale(form, current.version, _("有人刚修改了该事项，您的修改未保存。下面列出了当前内容；您填写的内容已保留，"
                                                                   "核对后再次保存即以您的为准。"))
                else:
                    form.add_error(None, exc.message())
            else:
                messages.success(request, _("事项已保存。"))
                return redirect("workspace-item-edit", pk=pk)
    item_url = None
    try:
        item_url = reverse("item", args=[item.pk])
    except Exception:  # the public pages may not be there
        item_url = None
    return render(request, "web/workspace/item_edit.html", {
        "item": item, "form": form, "current": current, "item_url": item_url,
        "crumbs": crumbs(_workspace_crumb(), (str(item.government), None), (item.name, None)),
    }, status=status)
