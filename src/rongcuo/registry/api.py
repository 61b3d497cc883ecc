"""The registry's API: organisations, projects and people, for staff."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from rongcuo.common.errors import Forbidden, NotFound
from rongcuo.registry import permissions as perm
from rongcuo.registry import selectors
from rongcuo.registry.models import Project

# --- schemas ------------------------------------------------------------------------------------------

class OrganisationOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    kind: str
    unit_type: str
    jurisdiction_zh: str
    parent_id: int | None
    packs: list[str]
    doc_prefix: str


class PersonOut(Schema):
    id: int
    name: str
    unit_id: int | None
    title: str


class ExemptionMarkOut(Schema):
    case_number: str
    pack_ref: str
    marked_on: dt.date


class ProjectOut(Schema):
    id: int
    code: str
    title: str
    programme: str
    funding_level: str
    budget_yuan: float
    start_date: dt.date | None
    end_date: dt.date | None
    acceptance_date: dt.date | None
    status: str
    project_mode: str
    host_unit_id: int
    bureau_id: int
    lead_id: int
    exemption_marks: list[ExemptionMarkOut]


# --- registry -----------------------------------------------------------------------------------------

registry_router = Router(tags=["registry"])


def _require_staff(request: HttpRequest) -> None:
    if not perm.is_staff(request.user):
        raise Forbidden("仅限工作人员", "staff only", field="role")


@registry_router.get("/organisations", response=list[OrganisationOut])
def organisations(request: HttpRequest) -> Any:
    return selectors.organisations()


@registry_router.get("/projects", response=list[ProjectOut])
def projects(request: HttpRequest, code: str | None = None) -> Any:
    _require_staff(request)
    return [_project_out(p) for p in selectors.projects(request.user, code=code)]


def _project_out(p: Project) -> dict[str, Any]:
    return {**{f: getattr(p, f) for f in ProjectOut.model_fields if f not in ("exemption_marks", "budget_yuan")},
            "budget_yuan": float(p.budget_yuan),
            "exemption_marks": [{"case_number": m.case.number, "pack_ref": m.pack_ref, "marked_on": m.marked_on}
                                for m in p.exemption_marks.select_related("case")]}


@registry_router.get("/projects/{project_id}", response=ProjectOut)
def project_get(request: HttpRequest, project_id: int) -> Any:
    """A project the user may read (`permissions.visible_projects`); any other is "not found", as if it did not
    exist (its existence in another jurisdiction is not disclosed)."""
    p = selectors.project(request.user, project_id)
    if p is None:
        raise NotFound("项目不存在", "no such project", field="project_id")
    return _project_out(p)


@registry_router.get("/people", response=list[PersonOut])
def people(request: HttpRequest) -> Any:
    _require_staff(request)
    return selectors.people(request.user)


