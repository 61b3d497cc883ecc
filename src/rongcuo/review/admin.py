"""管理后台 Admin for the expert pool (专家库): a bureau's administrator adds experts and keeps their field,
expertise type, unit, declared conflicts and availability current. The draw reads the pool as it is then and
stores what it saw of each candidate, so later edits never change a panel already drawn.

Each save is recorded in the audit trail (`expert.save`, with the fields and declared conflicts after the change)
in the admin's transaction. Deleting is not offered: an expert who sat on a panel must stay on the record; mark
them unavailable instead.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from rongcuo.audit.services import audit_append
from rongcuo.review.models import Expert


def expert_record(expert: Expert) -> dict[str, Any]:
    return {"name": expert.name, "user": expert.user.get_username(), "expertise": expert.expertise,
            "fields": expert.fields, "unit": expert.unit_id, "person": expert.person_id,
            "conflict_units": sorted(expert.conflict_units.values_list("id", flat=True)),
            "conflict_people": sorted(expert.conflict_people.values_list("id", flat=True)),
            "available": expert.available}


@admin.register(Expert)
class ExpertAdmin(admin.ModelAdmin):
    list_display = ["name", "expertise", "unit", "available"]
    list_filter = ["expertise", "available"]
    search_fields = ["name", "user__username"]
    raw_id_fields = ["user", "person"]
    filter_horizontal = ["conflict_units", "conflict_people"]
    fields = ["user", "name", "expertise", "fields", "unit", "person", "conflict_units", "conflict_people",
              "available"]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Declared conflicts are many-to-many: saved here, after the row; the audit event records both.
        before = getattr(form, "_rongcuo_before", None)
        super().save_related(request, form, formsets, change)
        audit_append(actor=request.user, action="expert.save", subject=form.instance, before=before,
                     after=expert_record(form.instance))

    def get_form(self, request: HttpRequest, obj: Expert | None = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)
        before = expert_record(obj) if obj is not None else None

        class RecordingForm(form_class):  # type: ignore[misc, valid-type]
            _rongcuo_before = before

        return RecordingForm

    def has_delete_permission(self, request: HttpRequest, obj: Expert | None = None) -> bool:
        return False
