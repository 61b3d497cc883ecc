"""The notifications' API: the signed-in user's own inbox (paged like every list), marking read, the e-mail
switches. Thin: every write calls a service function."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from rongcuo.common.api import Whole
from rongcuo.common.errors import check_page
from rongcuo.notifications import selectors
from rongcuo.notifications import services as svc
from rongcuo.notifications.models import Kind, Notification

router = Router(tags=["notifications"])


class Bilingual(Schema):
    zh: str
    en: str


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: Bilingual
    title: Bilingual
    body: Bilingual
    link: str
    case_number: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Schema):
    total: int
    unread: int
    items: list[NotificationOut]


class ReadIn(Schema):
    ids: list[Whole] = []
    all: bool = False


class ReadOut(Schema):
    marked: int
    unread: int


class PreferencesIn(Schema):
    email: dict[str, Any]


class PreferencesOut(Schema):
    email: dict[str, bool]
    kinds: dict[str, Bilingual]
    address: bool


def kind_label(kind: str) -> dict[str, str]:
    """A kind's label as {"zh", "en"} (the choice's label is "中文 English")."""
    zh, _, en = str(Kind(kind).label).partition(" ")
    return {"zh": zh, "en": en}


def notification_out(n: Notification) -> dict[str, Any]:
    return {"id": n.pk, "kind": n.kind, "kind_label": kind_label(n.kind), "title": {"zh": n.title_zh, "en": n.title_en},
            "body": {"zh": n.body_zh, "en": n.body_en}, "link": n.link,
            "case_number": n.case.number if n.case_id else None, "created_at": n.created_at, "read_at": n.read_at}


@router.get("", response=NotificationPage)
def notifications_list(request: HttpRequest, unread: bool | None = None, limit: int = 50, offset: int = 0) -> Any:
    """The signed-in user's notifications, newest first; `unread=true` only the unread ones. `limit` (1–500,
    default 50) and `offset` page through them; `total` counts them all, `unread` the unread ones."""
    check_page(limit, offset)
    qs = selectors.inbox(request.user, unread=unread)
    page = qs.select_related("case")[offset:offset + limit]
    return {"total": qs.count(), "unread": selectors.unread_count(request.user),
            "items": [notification_out(n) for n in page]}


@router.post("/read", response=ReadOut)
def notifications_read(request: HttpRequest, payload: ReadIn) -> Any:
    """Mark notifications read: those of `ids`, or all of them with `"all": true`. An id that is not one of your
    own notifications refuses the request (404, naming `ids`) and marks nothing."""
    marked = svc.notifications_mark_read(user=request.user, ids=list(payload.ids), everything=payload.all)
    return {"marked": marked, "unread": selectors.unread_count(request.user)}


def _preferences(user: Any) -> dict[str, Any]:
    return {"email": svc.preferences_of(user), "kinds": {k: kind_label(k) for k in svc.KINDS},
            "address": bool(user.email)}


@router.get("/preferences", response=PreferencesOut)
def preferences_get(request: HttpRequest) -> Any:
    """Which kinds of notification you also receive by e-mail (all of them unless switched off), and whether your
    account has an e-mail address at all."""
    return _preferences(request.user)


@router.post("/preferences", response=PreferencesOut)
def preferences_post(request: HttpRequest, payload: PreferencesIn) -> Any:
    """Switch the e-mail of some kinds on or off, e.g. `{"email": {"stage_changed": false}}`; kinds not named stay
    as they are. An unknown kind or a value other than true/false is refused (400, naming `email`)."""
    svc.preferences_set(user=request.user, email=payload.email)
    return _preferences(request.user)
