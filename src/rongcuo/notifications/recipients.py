"""Who holds a role on a case, by the registry's grants and the review's panel: the people a notification goes to.

The scopes are those of `rongcuo.cases.permissions`: the applicant is the case's applicant's account; host-unit
reviewers are those of the case's host unit; caseworkers and committee members are those of the case's bureau (and
an NSF office's caseworkers those of an office under that bureau, for a case routed to such an office); experts are
the members of the case's current panel who have not declined, or the experts assigned to the case. Only active
accounts are named.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model

from rongcuo.cases.models import Case, ExpertAssignment
from rongcuo.common.errors import Invalid
from rongcuo.engine.model import Procedure
from rongcuo.registry.models import OrgKind, Person, Role, RoleGrant
from rongcuo.review.models import Expert, MemberStatus, PanelMember

CASE_ROLES = ("applicant", "host_unit_reviewer", "caseworker", "nsf_office", "expert", "committee")

# A finding role of the fact vocabulary (`established_by`) → the case role whose holders record it.
FINDING_ROLES = {"applicant_declaration": "applicant", "host_unit_attestation": "host_unit_reviewer",
                 "investigation_finding": "caseworker", "expert_panel_finding": "expert", "committee": "committee"}


def users(ids: Iterable[int]) -> list[Any]:
    """The active accounts with these ids, in id order, each once."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list(get_user_model().objects.filter(pk__in=wanted, is_active=True).order_by("pk"))


def holders(case: Case, role: str) -> list[int]:
    """The ids of the accounts holding `role` (a case role, or a finding role) on the case."""
    role = FINDING_ROLES.get(role, role)
    if role == "applicant":
        user_id = case.applicant.user_id
        return [user_id] if user_id else []
    if role == "host_unit_reviewer":
        return _granted(Role.host_unit_reviewer, organisation_id=case.host_unit_id)
    if role == "caseworker":  # the case's assignee once it has one; until then every caseworker of the bureau
        if case.assignee_id:
            return [case.assignee_id]
        return _granted(Role.caseworker, organisation_id=case.bureau_id, organisation__kind=OrgKind.bureau)
    if role == "nsf_office":
        if not case.routed_to:
            return []
        return _granted(Role.caseworker, organisation__kind=OrgKind.nsf_office, organisation__parent_id=case.bureau_id)
    if role == "committee":
        return _granted(Role.committee, organisation_id=case.bureau_id)
    if role == "expert":
        seated = list(PanelMember.objects.filter(panel__case=case).exclude(status=MemberStatus.declined)
                      .values_list("expert__user_id", flat=True))
        return seated or list(ExpertAssignment.objects.filter(case=case).values_list("expert_id", flat=True))
    raise Invalid(f"未知的案件角色：{role}（可用：{'、'.join(CASE_ROLES)}）",
                  f"unknown case role: {role} (one of {', '.join(CASE_ROLES)})", field="role")


def _granted(role: str, **where: Any) -> list[int]:
    return list(RoleGrant.objects.filter(role=role, **where).values_list("user_id", flat=True).distinct())


def stage_actors(proc: Procedure | None, stage_id: str) -> set[str]:
    """The roles that act in a stage of the procedure (none for an unknown stage)."""
    if proc is None:
        return set()
    return next((set(s.actors) for s in proc.stages if s.id == stage_id), set())


def stage_audience(case: Case, proc: Procedure | None, from_stage: str, to_stage: str) -> set[int]:
    """Whose case it is when it changes stage: the applicant, the bureau's caseworkers (and the NSF office's, when
    routed there), the host unit's reviewers when the case comes to or leaves a stage they act in (their step),
    and the committee when it comes to theirs."""
    ids = set(holders(case, "applicant")) | set(holders(case, "caseworker")) | set(holders(case, "nsf_office"))
    if "host_unit_reviewer" in stage_actors(proc, from_stage) | stage_actors(proc, to_stage):
        ids |= set(holders(case, "host_unit_reviewer"))
    if "committee" in stage_actors(proc, to_stage):
        ids |= set(holders(case, "committee"))
    return ids


def waiting_experts(case: Case) -> set[int]:
    """The experts whose review the case is waiting for: invited members of its current, unconcluded panel."""
    return set(PanelMember.objects.filter(panel__case=case, panel__concluded_at__isnull=True,
                                          status=MemberStatus.invited).values_list("expert__user_id", flat=True))


def display_name(user: Any) -> str:
    """What a person is called in a message: their registry name, the expert record's, or the account's full name;
    never the username ("" when there is none)."""
    name = (Person.objects.filter(user_id=user.pk).values_list("name", flat=True).first()
            or Expert.objects.filter(user_id=user.pk).values_list("name", flat=True).first()
            or user.get_full_name())
    return str(name or "")
