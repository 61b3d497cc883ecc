"""The e-mail outbox in Django's admin: what was sent, what waits for its next attempt and what failed, with the
last error (administrators; `manage.py notifications_deliver --failed` tries the failed ones again)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from rongcuo.notifications.models import EmailDelivery


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "to", "status", "attempts", "next_attempt_at", "sent_at", "short_error")
    list_filter = ("status",)
    search_fields = ("to",)
    readonly_fields = ("notification", "to", "status", "attempts", "next_attempt_at", "last_error", "sent_at",
                       "created_at")

    @admin.display(description="last error / 最近一次错误")
    def short_error(self, obj: EmailDelivery) -> str:
        return obj.last_error[:120]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[EmailDelivery]:
        return super().get_queryset(request).select_related("notification")
