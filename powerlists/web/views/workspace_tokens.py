"""API tokens (knox): a person lists, creates (shown once) and revokes their own."""
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from knox.models import AuthToken

from ...services.audit import record
from ..forms import TokenForm


def _page(request, form, token=None, status=200):
    tokens = list(AuthToken.objects.filter(user=request.user).order_by("-created"))
    response = render(request, "web/workspace/tokens.html", {
        "tokens": tokens, "form": form, "token": token,
        "crumbs": [{"label": _("工作台"), "url": reverse("workspace")}, {"label": _("接口令牌"), "url": None}],
    }, status=status)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def tokens(request):
    if request.method != "POST":
        return _page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    days = form.cleaned_data["days"]
    instance, token = AuthToken.objects.create(user=request.user, expiry=timedelta(days=days))
    record("token.create", instance, actor=request.user, object_id=instance.token_key,
           after={"user": request.user.username, "token_key": instance.token_key,
                  "expiry": instance.expiry.isoformat() if instance.expiry else None})
    return _page(request, TokenForm(), token=token)


@login_required
@require_POST
def token_revoke(request):
    key = request.POST.get("token_key", "")
    mine = list(AuthToken.objects.filter(user=request.user, token_key=key))
    if not key or not mine:
        raise Http404
    for instance in mine:
        record("token.revoke", instance, actor=request.user, object_id=instance.token_key,
               before={"user": request.user.username, "token_key": instance.token_key})
    AuthToken.objects.filter(user=request.user, token_key=key).delete()
    messages.success(request, _("令牌已吊销，使用它的程序将无法再访问接口。"))
    return redirect("workspace-tokens")
