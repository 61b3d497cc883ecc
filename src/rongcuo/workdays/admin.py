"""管理后台 Admin for the calendar: administrators correct single days; years are loaded by command.

Edits go through :func:`services.calendar_set_day`, so they are recorded as administrator-owned (never
overwritten by a re-seed or a file), carry the editor's name, and trigger deadline recomputation.
Deleting is not offered: a missing day would silently fall back to the weekend rule.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from rongcuo.workdays.models import CalendarDay, CalendarYear
from rongcuo.workdays.services import calendar_set_day

#: Recorded as the editor when the request has no username (should not happen behind admin login).
ADMIN_ANONYMOUS = "admin"


class CalendarDayForm(forms.ModelForm):
    """Requires a note: an administrator's change of a legal calendar must say why."""

    note = forms.CharField(
        label="说明 note",
        max_length=200,
        help_text="修改原因或通知文号（必填）/ reason or notice reference (required)",
    )

    class Meta:
        model = CalendarDay
        fields = ["date", "is_workday", "note"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    form = CalendarDayForm
    list_display = ["date", "weekday", "is_workday", "note", "origin", "source", "changed_by", "updated_at"]
    list_filter = ["is_workday", "origin"]
    date_hierarchy = "date"
    search_fields = ["note", "source"]
    list_per_page = 62

    @admin.display(description="星期 weekday")
    def weekday(self, obj: CalendarDay) -> str:
        return "一二三四五六日"[obj.date.weekday()]

    def get_readonly_fields(self, request: HttpRequest, obj: CalendarDay | None = None) -> list[str]:
        # The date is the primary key: editable when adding a day, fixed afterwards.
        readonly = ["origin", "source", "changed_by", "updated_at"]
        return [*readonly, "date"] if obj is not None else readonly

    def get_fields(self, request: HttpRequest, obj: CalendarDay | None = None) -> list[str]:
        return ["date", "is_workday", "note", "origin", "source", "changed_by", "updated_at"]

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        calendar_set_day(
            day=obj.date,
            is_workday=obj.is_workday,
            note=obj.note,
            actor=request.user.get_username() or ADMIN_ANONYMOUS,
        )
        obj.refresh_from_db()

    def has_delete_permission(self, request: HttpRequest, obj: CalendarDay | None = None) -> bool:
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """Read-only: a year becomes loaded only with its days, through ``manage.py calendar_load``."""

    list_display = ["year", "source", "note", "loaded_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: CalendarYear | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: CalendarYear | None = None) -> bool:
        return False
