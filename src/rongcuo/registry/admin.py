"""管理后台 Admin for who holds which role (e.g. a bureau's committee members, 集体审议成员) and the registry person
that names an account. The committee of a bureau is the users holding the committee role for it; each member is
named on the committee page and in the decision record by their registry person.

Each save and each removal is recorded in the audit trail (`role_grant.save`, `role_grant.delete`, `person.save`)
in the admin's transaction. Bulk actions are not offered, so nothing is removed without its event.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from rongcuo.audit.services import audit_append
from rongcuo.registry.models import Person, RoleGrant


def grant_record(g: RoleGrant) -> dict[str, Any]:
    return {"user": g.user.get_username(), "role": g.role, "organisation": g.organisation_id}


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "organisation"]
    list_filter = ["role", "organisation"]
    search_fields = ["user__username", "organisation__name_zh"]
    raw_id_fields = ["user"]
    actions = None

    def save_model(self, request: HttpRequest, obj: RoleGrant, form: Any, change: bool) -> None:
        before = grant_record(RoleGrant.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        audit_append(actor=request.user, action="role_grant.save", subject=obj, before=before,
                     after=grant_record(obj))

    def delete_model(self, request: HttpRequest, obj: RoleGrant) -> None:
        before = grant_record(obj)
        super().delete_model(request, obj)
        audit_append(actor=request.user, action="role_grant.delete", subject_type="registry.rolegrant",
                     subject_id=str(before["user"]), before=before)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "unit", "user"]
    search_fields = ["name", "user__username"]
    raw_id_fields = ["user", "unit"]
    fields = ["name", "title", "unit", "user", "birth_date"]
    actions = None

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_append(actor=request.user, action="person.save", subject=obj,
                     after={"name": obj.name, "title": obj.title, "unit": obj.unit_id,
                            "user": obj.user.get_username() if obj.user else None})

    def has_delete_permission(self, request: HttpRequest, obj: Person | None = None) -> bool:
        return False  # a person may be an applicant, a lead or a member on record
