"""The signed-in user's API tokens: list them, issue one (its key shown once, on the answer to the POST) and
revoke one. Thin: each write is one service call (`rongcuo.cases.tokens`); a ServiceError is shown on the page,
naming the field, with the service's status — never a 500. An administrator also sees, and may revoke, the
other accounts' tokens that are still valid."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from rongcuo.cases import permissions as perm
from rongcuo.cases.models import ApiToken
from rongcuo.cases.tokens import LABEL_MAX, token_issue, token_revoke
from rongcuo.common.errors import NotFound, ServiceError
from rongcuo.common.i18n import lang, tr

FIELDS = {"label": ("令牌名称", "Label"), "token": ("令牌", "Token"), "user": ("账号", "Account")}


def _error(exc: ServiceError, form: str) -> dict[str, Any]:
    zh, en = FIELDS.get(exc.field or "", (exc.field or "", exc.field or ""))
    return {"form": form, "field": exc.field or "", "field_label": tr(zh, en),
            "message": exc.en if lang() == "en" else exc.zh, "status": exc.status}


def _render(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    user = request.user
    ctx: dict[str, Any] = {"tokens": ApiToken.objects.filter(user=user).order_by("-created_at", "-pk"),
                           "label_max": LABEL_MAX, "others": None, "error": None, "posted": {}, "issued": None}
    if perm.is_admin(user):
        ctx["others"] = (ApiToken.objects.filter(revoked=False).exclude(user=user).select_related("user")
                         .order_by("user__username", "-created_at"))
    ctx.update(extra)
    response = render(request, "cases/my_tokens.html", ctx, status=status)
    add_never_cache_headers(response)  # never a cached copy of a page that may show a key
    return response


@login_required
@require_http_methods(["GET", "POST"])
def my_tokens(request: HttpRequest) -> HttpResponse:
    """GET: the user's tokens. POST: issue one; the answer shows its key, this once."""
    if request.method == "GET":
        return _render(request)
    label = request.POST.get("label", "")
    try:
        token, key = token_issue(actor=request.user, user=request.user, label=label)
    except ServiceError as exc:
        return _render(request, status=exc.status, error=_error(exc, "issue"), posted={"label": label})
    return _render(request, issued={"token": token, "key": key})


@login_required
@require_POST
def my_token_revoke(request: HttpRequest, token_pk: int) -> HttpResponse:
    """Revoke one of the user's tokens (an administrator: anyone's). Someone else's: 404, as if there were none."""
    try:
        token = ApiToken.objects.select_related("user").filter(pk=token_pk).first()
        if token is None or (token.user_id != request.user.pk and not perm.is_admin(request.user)):
            raise NotFound(f"没有编号为 {token_pk} 的令牌", f"no token with id {token_pk}", field="token")
        token_revoke(actor=request.user, token=token)
    except ServiceError as exc:
        return _render(request, status=exc.status, error=_error(exc, "tokens"))
    messages.success(request, tr("令牌 #{n}（{label}）已撤销，立即失效",
                                 "Token #{n} ({label}) revoked; it no longer works", n=token.pk, label=token.label))
    return redirect("my_tokens")
