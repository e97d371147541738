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
from ...services.imports import apply_import, fingerprint, preview_import
from ...spreadsheets import ITEM_COLUMNS, write_csv, write_xlsx
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
    try:
        preview = preview_import(government, data, upload.name, actor=request.user)
    except DomainError as exc:
        form.add_error("file", exc.message())
        return render(request, "web/workspace/import.html", context, status=exc.status)
    if not preview.has_errors:
        digest = fingerprint(data)
        path = _store() / f"{digest}-{secrets.token_hex(8)}"
        path.write_bytes(data)
        stored = request.session.get(SESSION_KEY, {})
        holder_from = form.cleaned_data.get("holder_from")
        stored[digest] = {"path": str(path), "filename": upload.name, "government": government.code,
                          "holder_from": holder_from.isoformat() if holder_from else None}
        request.session[SESSION_KEY] = stored
    return render(request, "web/workspace/import_preview.html", {
        "preview": preview, "counts": preview.counts, "holder_from": form.cleaned_data.get("holder_from"),
        "crumbs": _crumbs({"label": _("预览"), "url": None}),
    })


@login_required
@require_POST
def confirm(request):
    import datetime

    digest = request.POST.get("fingerprint", "")
    stored = request.session.get(SESSION_KEY, {})
    entry = stored.get(digest)
    path = Path(entry["path"]) if entry else None
    if entry is None or not path.is_file():
        return render(request, "web/workspace/import.html", {
            "form": ImportForm(governments=list(editable_governments(request.user))), "crumbs": _crumbs(),
            "columns": ITEM_COLUMNS, "error": _("这次预览已失效或已导入过。请重新上传文件并预览。"),
        }, status=400)
    government = Government.objects.get(code=entry["government"])
    holder_from = datetime.date.fromisoformat(entry["holder_from"]) if entry.get("holder_from") else None
    try:
        result = apply_import(government, path.read_bytes(), entry["filename"], request.user, digest,
                              holder_from=holder_from)
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


__all__ = ["confirm", "policy", "template", "upload"]
