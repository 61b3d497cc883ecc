"""Who handles a case (承办人): a caseworker claims an unassigned case, or a caseworker lead or an administrator
assigns one or many; every change is audited, and the assignee is told (`hooks.ON_CASE_ASSIGNED`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from rongcuo.audit.services import audit_append
from rongcuo.cases import hooks
from rongcuo.cases import permissions as perm
from rongcuo.cases.models import Case, Disposition
from rongcuo.cases.services.base import case_bump, case_lock
from rongcuo.common.errors import Conflict, Forbidden, Invalid, NotFound
from rongcuo.registry.models import OrgKind, Role
from rongcuo.registry.permissions import org_ids

HANDLERS = {"caseworker", "nsf_office"}  # the case roles that may be assigned a case
MAX_BULK = 200


def may_assign_others(user: Any, case: Case) -> bool:
    """A caseworker lead of the case's bureau, or an administrator."""
    return perm.is_admin(user) or case.bureau_id in org_ids(user, Role.caseworker_lead, OrgKind.bureau)


def _name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _assign(case: Case, actor: Any, assignee: Any, reason: str) -> Case:
    case = case_lock(case, None)
    if case.disposition != Disposition.open:
        raise Conflict(f"案件 {case.number} 已办结，不再分配承办人",
                       f"case {case.number} is closed; it is no longer assigned", field="case")
    claiming = assignee is not None and assignee.pk == actor.pk
    if not claiming or case.assignee_id not in (None, actor.pk):
        if not may_assign_others(actor, case):
            raise Forbidden("只有经办负责人或管理员可以把案件分配给他人或改派；经办人可以认领未分配的案件",
                            "only a caseworker lead or an administrator may assign a case to someone else or "
                            "reassign it; a caseworker may claim an unassigned case", field="assignee")
    elif not perm.roles_on_case(actor, case) & HANDLERS:
        raise Forbidden("只有本案主管部门的经办人可以认领", "only a caseworker of this case's bureau may claim it",
                        field="assignee")
    if assignee is not None and not perm.roles_on_case(assignee, case) & HANDLERS:
        raise Invalid(f"“{_name(assignee)}”不是本案主管部门的经办人，不能承办本案",
                      f"“{_name(assignee)}” is not a caseworker of this case's bureau and cannot handle it",
                      field="assignee")
    if len(reason) > 1000:
        raise Invalid("说明不能超过 1000 字", "the note may be at most 1000 characters", field="reason")
    before = case.assignee
    if (before.pk if before else None) == (assignee.pk if assignee else None):
        return case
    Case.objects.filter(pk=case.pk).update(assignee=assignee)
    case.assignee = assignee
    case_bump(case)
    audit_append(actor=actor, action="case.assign", subject=case,
                 before={"assignee": before.get_username() if before else None},
                 after={"assignee": assignee.get_username() if assignee else None, "reason": reason.strip(),
                        "claimed": claiming})
    if assignee is not None and not claiming:
        for assigned in hooks.ON_CASE_ASSIGNED:  # notifications: the assignee is told
            assigned(case=case, user=assignee, role="caseworker", actor=actor)
    return case


@transaction.atomic
def case_assign(*, case: Case, actor: Any, assignee: Any, reason: str = "") -> Case:
    """Make `assignee` (None: nobody) the case's handler. A caseworker may claim an unassigned case (assignee is
    themselves); assigning someone else, reassigning or unassigning takes a caseworker lead or an administrator.
    The assignee must be a caseworker of the case's bureau (or of the office it is routed to)."""
    return _assign(case, actor, assignee, reason)


@transaction.atomic
def cases_assign(*, case_ids: Iterable[int], actor: Any, assignee: Any, reason: str = "") -> list[Case]:
    """Assign several cases at once, all or none: a case the actor may not see, or may not assign, refuses all."""
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        raise Invalid("请选择要分配的案件", "choose the cases to assign", field="cases")
    if len(ids) > MAX_BULK:
        raise Invalid(f"一次最多分配 {MAX_BULK} 件", f"at most {MAX_BULK} cases at a time", field="cases")
    visible = {c.pk: c for c in perm.visible_cases(actor).filter(pk__in=ids)}
    if any(i not in visible for i in ids):
        raise NotFound("所选案件中有不存在或您无权查看的", "some of the chosen cases do not exist or are not yours to "
                       "see", field="cases")
    return [_assign(visible[i], actor, assignee, reason) for i in ids]
