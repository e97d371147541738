"""Evidence import in the workspace: upload (with a progress bar) → preview of every row → confirm → result.

As for the items import, the uploaded file waits on the server (MEDIA_ROOT/imports) under its
fingerprint, recorded in the session; the confirmation carries only the fingerprint. Confirming reads
and checks the file again and writes every row through ``services.evaluation.bulk_record_evidence``:
all rows or none."""
from __future__ import annotations

import secrets
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ...services import DomainError
from ...services.evaluation import bulk_record_evidence
from ...services.imports import fingerprint
from ...spreadsheets_evaluation import (
    EVIDENCE_COLUMNS,
    READ_ONLY_COLUMNS,
    TEMPLATE_NOTE,
    evidence_template_csv,
    evidence_template_xlsx,
    preview_evidence,
)
from .evaluation_forms import EvidenceUploadForm
from .workspace_import import _store

SESSION_KEY = "workspace_evidence_imports"


def _crumbs(*extra):
    return [{"label": _("工作台"), "url": reverse("workspace")},
            {"label": _("评估"), "url": reverse("evaluation-rounds")},
            {"label": _("导入评估依据"), "url": reverse("workspace-evidence-import") if extra else None}, *extra]


def _upload_page(request, form, *, error=None, status=200):
    return render(request, "web/evaluation/evidence_import.html", {
        "form": form, "columns": EVIDENCE_COLUMNS, "read_only_columns": READ_ONLY_COLUMNS, "note": TEMPLATE_NOTE,
        "error": error, "crumbs": _crumbs(),
    }, status=status)


def _preview_page(request, preview, digest, *, error=None, status=200):
    return render(request, "web/evaluation/evidence_preview.html", {
        "preview": preview, "counts": preview.counts, "rows": preview.shown(), "fingerprint": digest,
        "hidden": len(preview.rows) - len(preview.shown()), "error": error,
        "crumbs": _crumbs({"label": _("预览"), "url": None}),
    }, status=status)


@login_required
def upload(request):
    form = EvidenceUploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return _upload_page(request, form)
    if not form.is_valid():
        return _upload_page(request, form, status=400)
    upload = form.cleaned_data["file"]
    data = upload.read()
    try:
        preview = preview_evidence(data, upload.name, actor=request.user)
    except DomainError as exc:
        form.add_error("file", exc.message())
        return _upload_page(request, form, status=exc.status)
    digest = fingerprint(data)
    if not preview.has_errors:
        path = _store() / f"evidence-{digest}-{secrets.token_hex(8)}"
        path.write_bytes(data)
        stored = request.session.get(SESSION_KEY, {})
        stored[digest] = {"path": str(path), "filename": upload.name}
        request.session[SESSION_KEY] = stored
    return _preview_page(request, preview, digest)


def _line_message(exc: DomainError, preview) -> str:
    """A service error naming a record by its index, told by the file's line instead."""
    zh, en = preview.explain(exc)
    return en if (translation.get_language() or "").startswith("en") else zh


@login_required
@require_POST
def confirm(request):
    digest = request.POST.get("fingerprint", "")
    stored = request.session.get(SESSION_KEY, {})
    entry = stored.get(digest)
    path = Path(entry["path"]) if entry else None
    if entry is None or not path.is_file():
        return _upload_page(request, EvidenceUploadForm(),
                            error=_("这次预览已失效或已导入过。请重新上传文件并预览。"), status=400)
    data = path.read_bytes()
    try:
        preview = preview_evidence(data, entry["filename"], actor=request.user)
    except DomainError as exc:
        return _upload_page(request, EvidenceUploadForm(), error=exc.message(), status=exc.status)
    if preview.has_errors:  # something changed since the preview (a role, an item)
        return _preview_page(request, preview, digest, error=_("文件中有错误，未导入任何数据。"), status=400)
    try:
        saved = bulk_record_evidence(preview.records(), actor=request.user)
    except DomainError as exc:
        return _upload_page(request, EvidenceUploadForm(),
                            error=_("未导入任何数据。") + " " + _line_message(exc, preview), status=exc.status)
    path.unlink(missing_ok=True)
    stored.pop(digest, None)
    request.session[SESSION_KEY] = stored
    counts = preview.counts
    messages.success(request, _("已导入 %(n)s 行评估依据：新增 %(new)s，替换 %(replace)s。") % {
        "n": len(saved), "new": counts["new"], "replace": counts["replace"]})
    return redirect("workspace-evidence-import")


@login_required
def template(request, fmt):
    if fmt == "xlsx":
        body = evidence_template_xlsx()
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv":
        body, content_type = evidence_template_csv(), "text/csv; charset=utf-8"
    else:
        raise Http404
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="evidence-template.{fmt}"'
    return response


__all__ = ["confirm", "template", "upload"]
