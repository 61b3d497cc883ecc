"""The inbox (/inbox/) and the e-mail switches (/inbox/preferences/): the signed-in user's own, in Chinese and
English like every page. Thin: each write is one service call; a ServiceError is shown on the page, naming the
field, with the service's status — never a 500."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from rongcuo.common.errors import Invalid, ServiceError
from rongcuo.common.i18n import lang, tr
from rongcuo.notifications import selectors
from rongcuo.notifications import services as svc
from rongcuo.notifications.api import kind_label

PAGE_SIZE = 30
FIELDS = {"ids": ("通知", "Notification"), "email": ("邮件提醒", "E-mail")}


def _error(exc: ServiceError) -> dict[str, Any]:
    zh, en = FIELDS.get(exc.field or "", (exc.field or "", exc.field or ""))
    return {"field": exc.field or "", "field_label": tr(zh, en), "message": exc.en if lang() == "en" else exc.zh}


def _inbox(request: HttpRequest, *, status: int = 200, error: dict[str, Any] | None = None) -> HttpResponse:
    raw = request.GET.get("page", "1")
    page = int(raw) if raw.isdigit() and 0 < int(raw) <= 100_000 else 1
    only_unread = request.GET.get("unread") == "1"
    rows = list(selectors.inbox(request.user, unread=True if only_unread else None)
                .select_related("case")[(page - 1) * PAGE_SIZE:page * PAGE_SIZE + 1])
    items = [{"n": n, "kind": kind_label(n.kind)} for n in rows[:PAGE_SIZE]]
    return render(request, "notifications/inbox.html", {
        "items": items, "page": page, "has_next": len(rows) > PAGE_SIZE, "only_unread": only_unread,
        "first_no": (page - 1) * PAGE_SIZE + 1, "last_no": (page - 1) * PAGE_SIZE + len(items),
        "unread": selectors.unread_count(request.user), "error": error}, status=status)


@login_required
@require_http_methods(["GET"])
def inbox(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first, 30 to a page; `?unread=1` only the unread ones."""
    return _inbox(request)


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    """Mark one of the user's notifications read (`id`), or all of them (`all`); then back to the inbox, or to the
    notification's page (`open`). Someone else's notification: refused, naming it, and nothing is marked."""
    everything = request.POST.get("all") == "1"
    raw = request.POST.get("id", "")
    try:
        if not everything and not raw.isdigit():
            raise Invalid("请选择要标为已读的通知", "choose the notification to mark read", field="ids")
        marked = svc.notifications_mark_read(user=request.user, ids=[] if everything else [int(raw)],
                                             everything=everything)
    except ServiceError as exc:
        return _inbox(request, status=exc.status, error=_error(exc))
    if request.POST.get("open") == "1" and not everything:
        target = selectors.inbox(request.user).filter(pk=int(raw)).values_list("link", flat=True).first()
        if target and target.startswith("/") and not target.startswith("//"):
            return redirect(target)
    if everything:
        messages.success(request, tr("已将 {n} 条通知标为已读", "{n} notifications marked read", n=marked))
    return redirect("inbox")


@login_required
@require_http_methods(["GET", "POST"])
def inbox_preferences(request: HttpRequest) -> HttpResponse:
    """GET: which kinds of notification also come by e-mail. POST: the form's switches (a kind left unticked is
    switched off)."""
    status, error = 200, None
    if request.method == "POST":
        unknown = [k[len("email."):] for k in request.POST if k.startswith("email.") and k[6:] not in svc.KINDS]
        wanted: dict[str, Any] = {k: request.POST.get(f"email.{k}") == "1" for k in svc.KINDS}
        wanted.update({k: True for k in unknown})  # refused by the service, naming the kind
        try:
            svc.preferences_set(user=request.user, email=wanted)
        except ServiceError as exc:
            status, error = exc.status, _error(exc)
        else:
            messages.success(request, tr("邮件提醒设置已保存", "E-mail settings saved"))
            return redirect("inbox_preferences")
    prefs = svc.preferences_of(request.user)
    kinds = [{"kind": k, "label": kind_label(k), "on": prefs[k]} for k in svc.KINDS]
    return render(request, "notifications/preferences.html", {
        "kinds": kinds, "address": request.user.email, "error": error,
        "unread": selectors.unread_count(request.user)}, status=status)
