"""Who a case may be assigned to: the active caseworkers of some bureaus, by name, for the assignment forms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model

from rongcuo.registry.models import OrgKind, Role, RoleGrant
from rongcuo.registry.permissions import is_admin, org_ids


def caseworkers(bureau_ids: Iterable[int] | None) -> list[dict[str, Any]]:
    """The active caseworkers of these bureaus (None: of every bureau), each as {"pk", "name"}, in account order."""
    grants = RoleGrant.objects.filter(role=Role.caseworker)
    if bureau_ids is not None:
        grants = grants.filter(organisation__in=list(bureau_ids))
    users = get_user_model().objects.filter(pk__in=grants.values("user_id"), is_active=True).order_by("pk")
    return [{"pk": u.pk, "name": u.get_full_name() or u.get_username()} for u in users]


def assignable_by(user: Any) -> list[dict[str, Any]]:
    """For a caseworker lead (or an administrator): the caseworkers of the bureaus they lead; none for anyone else."""
    if is_admin(user):
        return caseworkers(None)
    bureaus = org_ids(user, Role.caseworker_lead, OrgKind.bureau)
    return caseworkers(bureaus) if bureaus else []
