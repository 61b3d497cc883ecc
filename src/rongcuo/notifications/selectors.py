"""Reads of the notifications: always the signed-in user's own, never anyone else's."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from rongcuo.notifications.models import Notification


def inbox(user: Any, *, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's notifications, newest first (only unread ones, or only read ones, when asked)."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient_id=user.pk)
    if unread is not None:
        qs = qs.filter(read_at__isnull=unread)
    return qs.order_by("-id")


def unread_count(user: Any) -> int:
    """How many of the user's notifications are unread (the page header shows it): one count from an index."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
