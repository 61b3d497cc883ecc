"""Who may see and do what in monitoring and correction — in one place, for the API and the pages alike.

Roles are scoped to a project's bureau: its caseworkers record checks, run sweeps and inspections and conduct
corrections; its committee reads, and may record the measure taken after an escalation; auditors read
everything and change nothing; administrators may do anything. A project's lead and its host unit's reviewer
see their own project's monitoring records and corrections, report on them and submit the rectification.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from rongcuo.cases import permissions as perm
from rongcuo.common.errors import Forbidden, NotFound
from rongcuo.monitoring.models import CorrectionCase
from rongcuo.monitoring.packs import monitoring_pack
from rongcuo.registry.models import Organisation, OrgKind, Project, Role

READ_ONLY_ROLES = {"auditor"}
#: Who reads a project's correction history (also when handling a later exemption application for it).
HISTORY_READERS = {"caseworker", "committee", "auditor", "admin"}
#: Who, among those handling a later exemption case on the project (`cases.permissions.roles_on_case`), reads
#: its correction history there: the API's /cases/{id}/corrections and the case page alike.
CASE_HISTORY_READERS = {"caseworker", "nsf_office", "committee", "auditor", "admin"}
#: Who reads the monitoring dashboard and the warning lists of a bureau.
BUREAU_READERS = {"caseworker", "committee", "auditor", "admin"}


def _person_id(user: Any) -> int | None:
    from rongcuo.cases.permissions import person_of

    return getattr(person_of(user), "id", None)


def bureau_roles(user: Any, bureau_id: int) -> set[str]:
    """The user's roles over one bureau's projects."""
    if not getattr(user, "is_authenticated", False):
        return set()
    roles: set[str] = set()
    if perm.is_admin(user):
        roles.add("admin")
    if perm.is_auditor(user):
        roles.add("auditor")
    for g in perm.grants(user):
        if g.organisation_id != bureau_id:
            continue
        if g.role == Role.caseworker and g.organisation.kind == OrgKind.bureau:
            roles.add("caseworker")
        elif g.role == Role.committee:
            roles.add("committee")
    return roles


def project_roles(user: Any, project: Project) -> set[str]:
    """The user's roles on one project: the bureau's, and `lead` / `host_unit_reviewer` for their own."""
    roles = bureau_roles(user, project.bureau_id)
    if not roles and not getattr(user, "is_authenticated", False):
        return roles
    pid = _person_id(user)
    if pid is not None and project.lead_id == pid:
        roles.add("lead")
    if any(g.role == Role.host_unit_reviewer and g.organisation_id == project.host_unit_id
           for g in perm.grants(user)):
        roles.add("host_unit_reviewer")
    return roles


def visible_bureaus(user: Any) -> set[int] | None:
    """Bureaus whose dashboard the user may read; None means every bureau (administrators, auditors)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    if perm.is_admin(user) or perm.is_auditor(user):
        return None
    return {g.organisation_id for g in perm.grants(user)
            if g.organisation_id and ((g.role == Role.caseworker and g.organisation.kind == OrgKind.bureau)
                                      or g.role == Role.committee)}


def may_see_dashboard(user: Any, on: dt.date | None = None) -> bool:
    """Whether the site's navigation links the monitoring dashboard: for administrators and auditors, and for
    those who may read a bureau's dashboard when one of their bureaus applies a pack that monitors projects
    (monitoring.yaml) in force `on` (default today). Read from the user's role grants and the packs in memory:
    no query of its own."""
    mine = visible_bureaus(user)
    if mine is None:
        return True
    if not mine:
        return False
    on = on or timezone.localdate()
    return any(monitoring_pack(g.organisation, on, need="inspection") is not None
               for g in perm.grants(user) if g.organisation_id in mine)


def require(roles: set[str], allowed: set[str], what_zh: str, what_en: str) -> str:
    """The role the user acts in; Forbidden naming the roles that may act otherwise."""
    if "admin" in roles:
        return "admin"
    for r in sorted(roles - READ_ONLY_ROLES):
        if r in allowed:
            return r
    names = ", ".join(sorted(allowed))
    raise Forbidden(f"您无权{what_zh}（需要：{names}）", f"you may not {what_en} (allowed: {names})", field="role")


def project_for(user: Any, pk: int | str) -> tuple[Project, set[str]]:
    """The project and the user's roles on it; 404 when the user has none (no hint that it exists)."""
    try:
        project = Project.objects.select_related("bureau", "host_unit", "lead").get(pk=pk)
    except (Project.DoesNotExist, ValueError):
        raise NotFound("项目不存在", "no such project", field="project_id") from None
    roles = project_roles(user, project)
    if not roles:
        raise NotFound("项目不存在", "no such project", field="project_id")
    return project, roles


def correction_for(user: Any, pk: int | str) -> tuple[CorrectionCase, set[str]]:
    try:
        case = CorrectionCase.objects.select_related("project", "project__host_unit", "project__lead",
                                                     "bureau").get(pk=pk)
    except (CorrectionCase.DoesNotExist, ValueError):
        raise NotFound("纠错案件不存在", "no such correction case", field="correction_id") from None
    roles = project_roles(user, case.project)
    if not roles:
        raise NotFound("纠错案件不存在", "no such correction case", field="correction_id")
    return case, roles


def bureau_for(user: Any, bureau_id: int, allowed: set[str] = BUREAU_READERS) -> Organisation:
    """The bureau `bureau_id` if the user may read its monitoring with one of `allowed` roles; a bureau the user has
    no role at is "no such bureau" (404), one they have another role at is refused (403)."""
    bureau = Organisation.objects.filter(pk=bureau_id, kind="bureau").first()
    roles = bureau_roles(user, bureau_id) if bureau else set()
    if bureau is None or not roles:
        raise NotFound("主管部门不存在", "no such bureau", field="bureau_id")
    if not roles & allowed:
        raise Forbidden("您无权查看该主管部门的监测信息", "you may not read this bureau's monitoring", field="role")
    return bureau


def scoped(user: Any, qs: Any, bureau_id: int | None, field: str = "bureau_id") -> Any:
    """`qs` narrowed to one bureau the user may read (`bureau_id`), or to all the bureaus they may read."""
    if bureau_id is not None:
        bureau_for(user, bureau_id)
        return qs.filter(**{field: bureau_id})
    mine = visible_bureaus(user)
    return qs if mine is None else qs.filter(**{f"{field}__in": mine})
