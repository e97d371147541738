"""Spreadsheet import in the workspace: upload → preview of every row → confirm → result.

The uploaded file is kept on the server (MEDIA_ROOT/imports) under its fingerprint, recorded in the
session; the confirmation carries only the fingerprint, which must be one the session holds."""
from __future__ import annotations

import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ... import policy
from ...models import Government
from ...services import DomainError
from ...services.imports import (
    apply_import,
    file_headers,
    fingerprint,
    preview_import,
    save_mapping,
    saved_mapping,
)
from ...spreadsheets import IGNORE, ITEM_COLUMNS, unknown_headers, write_csv, write_xlsx
from ..forms import ImportForm
from .workspace import editable_governments

SESSION_KEY = "workspace_imports"


KEEP_UPLOADS_SECONDS = 24 * 3600


def _store() -> Path:
    """The folder of uploaded files awaiting confirmation; files older than a day are removed."""
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - KEEP_UPLOADS_SECONDS
    for stale in path.iterdir():
        try:
            if stale.is_file() and stale.stat().st_mtime < cutoff:
                stale.unlink(missing_ok=True)
        except OSError:  # another process removed it first
            continue
    return path


def _crumbs(*extra):
    return [{"label": _("工作台"), "url": reverse("workspace")},
            {"label": _("导入事项"), "url": reverse("workspace-import") if extra else None}, *extra]


def _keep(request, government, data: bytes, filename: str, holder_from, create_departments: bool) -> str:
    """Keep the uploaded file for the confirmation (or the column mapping); its fingerprint."""
    digest = fingerprint(data)
    path = _store() / f"{digest}-{secrets.token_hex(8)}"
    path.write_bytes(data)
    stored = request.session.get(SESSION_KEY, {})
    stored[digest] = {"path": str(path), "filename": filename, "government": government.code,
                      "holder_from": holder_from.isoformat() if holder_from else None,
                      "create_departments": bool(create_departments)}
    request.session[SESSION_KEY] = stored
    return digest


def _preview_page(request, preview, holder_from):
    return render(request, "web/workspace/import_preview.html", {
        "preview": preview, "counts": preview.counts, "holder_from": holder_from,
        "crumbs": _crumbs({"label": _("预览"), "url": None}),
    })


def _mapping_page(request, government, digest, headers, unknown, error=None, status=200):
    choices = [(c.key, f"{c.header}（{c.english}）") for c in ITEM_COLUMNS]
    choices += [("implementing_basis", _("实施依据（并入依据原文）")), ("implementing_code", _("实施编码（仅核对）"))]
    return render(request, "web/workspace/import_mapping.html", {
        "government": government, "fingerprint": digest, "headers": headers, "unknown": unknown,
        "choices": choices, "ignore": IGNORE, "error": error,
        "crumbs": _crumbs({"label": _("指定列对应"), "url": None}),
    }, status=status)


@login_required
def upload(request):
    governments = list(editable_governments(request.user))
    form = ImportForm(request.POST or None, request.FILES or None, governments=governments,
                      initial={"government": request.GET.get("government", "")})
    context = {"form": form, "crumbs": _crumbs(), "columns": ITEM_COLUMNS}
    if request.method != "POST":
        return render(request, "web/workspace/import.html", context)
    if not form.is_valid():
        return render(request, "web/workspace/import.html", context, status=400)
    government = Government.objects.get(code=form.cleaned_data["government"])
    upload = form.cleaned_data["file"]
    data = upload.read()
    holder_from = form.cleaned_data.get("holder_from")
    create_departments = form.cleaned_data.get("create_departments", False)
    try:
        preview = preview_import(government, data, upload.name, actor=request.user,
                                 create_departments=create_departments)
    except DomainError as exc:
        if exc.code == "unknown_columns":  # the editor says once what the columns are; kept for the government
            digest = _keep(request, government, data, upload.name, holder_from, create_departments)
            headers = file_headers(data, upload.name)
            return _mapping_page(request, government, digest, headers, unknown_headers(headers, saved_mapping(government)))
        form.add_error("file", exc.message())
        return render(request, "web/workspace/import.html", context, status=exc.status)
    if not preview.has_errors:
        _keep(request, government, data, upload.name, holder_from, create_departments)
    return _preview_page(request, preview, holder_from)


def _stored(request, digest):
    entry = request.session.get(SESSION_KEY, {}).get(digest)
    if entry is None or not Path(entry["path"]).is_file():
        return None
    return entry


def _expired(request):
    return render(request, "web/workspace/import.html", {
        "form": ImportForm(governments=list(editable_governments(request.user))), "crumbs": _crumbs(),
        "columns": ITEM_COLUMNS, "error": _("这次预览已失效或已导入过。请重新上传文件并预览。"),
    }, status=400)


@login_required
@require_POST
def mapping(request):
    """Save the column mapping the editor chose for the unknown headers, then preview the kept file."""
    import datetime

    digest = request.POST.get("fingerprint", "")
    entry = _stored(request, digest)
    if entry is None:
        return _expired(request)
    government = Government.objects.get(code=entry["government"])
    data = Path(entry["path"]).read_bytes()
    headers = file_headers(data, entry["filename"])
    unknown = unknown_headers(headers, saved_mapping(government))
    chosen = {}
    for index, header in enumerate(unknown):
        key = request.POST.get(f"key_{index}", "")
        if key:
            chosen[header] = key
    if len(chosen) < len(unknown):
        return _mapping_page(request, government, digest, headers, unknown,
                             error=_("请为每个无法识别的列选择对应的栏目，或选择“忽略此列”。"), status=400)
    try:
        save_mapping(government, chosen, actor=request.user)
        preview = preview_import(government, data, entry["filename"], actor=request.user,
                                 create_departments=entry.get("create_departments", False))
    except DomainError as exc:
        return _mapping_page(request, government, digest, headers, unknown, error=exc.message(), status=exc.status)
    holder_from = datetime.date.fromisoformat(entry["holder_from"]) if entry.get("holder_from") else None
    return _preview_page(request, preview, holder_from)


@login_required
@require_POST
def confirm(request):
    import datetime

    digest = request.POST.get("fingerprint", "")
    stored = request.session.get(SESSION_KEY, {})
    entry = _stored(request, digest)
    if entry is None:
        return _expired(request)
    path = Path(entry["path"])
    government = Government.objects.get(code=entry["government"])
    holder_from = datetime.date.fromisoformat(entry["holder_from"]) if entry.get("holder_from") else None
    try:
        result = apply_import(government, path.read_bytes(), entry["filename"], request.user, digest,
                              holder_from=holder_from, create_departments=entry.get("create_departments", False))
    except DomainError as exc:
        return render(request, "web/workspace/import.html", {
            "form": ImportForm(governments=list(editable_governments(request.user)),
                               initial={"government": government.code}),
            "crumbs": _crumbs(), "columns": ITEM_COLUMNS, "error": exc.message(),
        }, status=exc.status)
    path.unlink(missing_ok=True)
    stored.pop(digest, None)
    request.session[SESSION_KEY] = stored
    messages.success(request, _("已导入到%(government)s：新增 %(new)s，修改 %(changed)s，未变 %(unchanged)s。") % {
        "government": government.name, "new": result.created, "changed": result.changed,
        "unchanged": result.unchanged})
    return redirect(reverse("workspace-import") + f"?government={government.code}")


@login_required
def template(request, fmt):
    if fmt == "xlsx":
        body = write_xlsx([], ITEM_COLUMNS, title=_("导入模板"))
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv":
        body, content_type = write_csv([], ITEM_COLUMNS), "text/csv; charset=utf-8"
    else:
        raise Http404
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="powerlist-template.{fmt}"'
    return response


__all__ = ["confirm", "mapping", "policy", "template", "upload"]
