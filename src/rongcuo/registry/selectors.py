"""Reads of the registry, shared by the pages and the API: organisations, and the projects and people a user may
read (`permissions.visible_projects` / `visible_people`: anything else is as if it did not exist)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from rongcuo.registry import permissions as perm
from rongcuo.registry.models import Organisation, Person, Project


def organisations() -> Any:
    return Organisation.objects.all()


def projects(user: Any, *, code: str | None = None, limit: int = 500) -> list[Project]:
    """The projects `user` may read (with their exemption marks), or the one with `code`."""
    qs = perm.visible_projects(user).prefetch_related(Prefetch("exemption_marks")).select_related()
    if code:
        qs = qs.filter(code=code)
    return list(qs[:limit])


def project(user: Any, project_id: int) -> Project | None:
    """The project if `user` may read it, else None (its existence in another jurisdiction is not disclosed)."""
    return perm.visible_projects(user).filter(pk=project_id).first()


def people(user: Any, *, limit: int = 1000) -> list[Person]:
    return list(perm.visible_people(user)[:limit])
