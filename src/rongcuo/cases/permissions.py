"""Who may see and do what on a case — decided here, in one place, for the API and the pages alike.

Roles are scoped: an applicant to their own cases, a host-unit reviewer to their unit's, a caseworker and a
committee member to their bureau's (and an NSF-office caseworker to cases routed to their office), an expert
to assigned cases only; an auditor reads everything and changes nothing; an administrator may do anything.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import Q, QuerySet

from rongcuo.cases.models import Case, ExpertAssignment
from rongcuo.common.errors import Forbidden, NotFound
from rongcuo.common.prepared import Prepared
from rongcuo.registry.models import OrgKind, Role
from rongcuo.registry.permissions import (
    grants,
    is_admin,
    is_auditor,
    org_ids,
    person_of,
    user_state,
)

READ_ONLY_ROLES = {"auditor"}

# Which finding roles (the fact vocabulary's `established_by`) each case role may record.
FINDING_ROLES: dict[str, set[str]] = {
    "applicant": {"applicant_declaration"},
    "host_unit_reviewer": {"host_unit_attestation"},
    # The caseworker records the bureau's investigation and, as clerk, the panel's and committee's findings.
    "caseworker": {"investigation_finding", "expert_panel_finding", "committee", "system_computed"},
    "nsf_office": {"investigation_finding", "expert_panel_finding"},
    "expert": {"expert_panel_finding"},
    "committee": {"committee"},
    "admin": {"applicant_declaration", "host_unit_attestation", "investigation_finding", "expert_panel_finding",
              "committee", "system_computed"},
}


# 受理回执: the applicant it is addressed to, the host unit it is copied to, the bureau that issued it (its caseworkers,
# NSF office and committee), and whoever reads every case (administrators, auditors) — not the experts.
RECEIPT_ROLES = {"applicant", "host_unit_reviewer", "caseworker", "nsf_office", "committee", "admin", "auditor"}


def may_see_receipt(user: Any, case: Case) -> bool:
    return bool(roles_on_case(user, case) & RECEIPT_ROLES)


# Whose turn it is: the kinds of finding (the pack's `established_by`) each role is asked for when the determination
# still needs them. The caseworker may also record the panel's and the committee's findings as their clerk
# (FINDING_ROLES), but is not asked for them: the experts and the committee are.
PARTIES_OF_ROLE: dict[str, tuple[str, ...]] = {
    "applicant": ("applicant_declaration",),
    "host_unit_reviewer": ("host_unit_attestation",),
    "caseworker": ("investigation_finding", "system_computed"),
    "nsf_office": ("investigation_finding",),
    "expert": ("expert_panel_finding",),
    "committee": ("committee",),
}
# Roles asked only while the case is at a stage where they act (the pack's `actors`): an expert before the panel
# is drawn, a committee before the case reaches it, has nothing to do yet. The others are asked whenever the case is
# open and a fact of theirs is still needed.
STAGE_GATED_ROLES = ("expert", "committee")


# Where a pack's procedure has no stage at which the experts (or the committee) act on the platform, the caseworker
# records their findings as their clerk, and is asked for them.
CLERKED = {"expert": "expert_panel_finding", "committee": "committee"}
CLERKS = ("caseworker", "nsf_office")


def clerked_parties(pack: Any) -> set[str]:
    """The kinds of finding the caseworker records for a body that has no stage of its own in the pack's procedure."""
    stages = pack.procedure.stages if pack is not None and pack.procedure else []
    return {party for role, party in CLERKED.items() if not any(role in s.actors for s in stages)}


def parties_of(roles: set[str], pack: Any = None) -> set[str]:
    """The kinds of finding these roles are asked for (under `pack`, with what a caseworker records as clerk)."""
    out = {p for r in roles for p in PARTIES_OF_ROLE.get(r, ())}
    if pack is not None and roles & set(CLERKS):
        out |= clerked_parties(pack)
    return out


def nsf_bureaus(user: Any) -> set[int]:
    """Bureaus whose routed cases this user handles as an NSF-office caseworker."""
    return {g.organisation.parent_id for g in grants(user)
            if g.role == Role.caseworker and g.organisation and g.organisation.kind == OrgKind.nsf_office
            and g.organisation.parent_id}


def roles_on_case(user: Any, case: Case) -> set[str]:
    """The user's roles on the case (remembered on the case object for this user: a page asks several times)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    memo: dict[Any, set[str]] = case.__dict__.setdefault("_rongcuo_roles", {})
    key = (user.pk, case.applicant_id, case.host_unit_id, case.bureau_id, case.routed_to)
    if key not in memo:
        memo[key] = _roles_on_case(user, case)
    return set(memo[key])


def _roles_on_case(user: Any, case: Case) -> set[str]:
    roles: set[str] = set()
    if is_admin(user):
        roles.add("admin")
    if is_auditor(user):
        roles.add("auditor")
    person = person_of(user)
    if person is not None and case.applicant_id == person.id:
        roles.add("applicant")
    if case.host_unit_id in org_ids(user, Role.host_unit_reviewer):
        roles.add("host_unit_reviewer")
    if case.bureau_id in org_ids(user, Role.caseworker, OrgKind.bureau):
        roles.add("caseworker")
    if case.routed_to and case.bureau_id in nsf_bureaus(user):
        roles.add("nsf_office")
    if case.bureau_id in org_ids(user, Role.committee):
        roles.add("committee")
    assigned = _assigned(user)
    if case.pk in assigned if len(assigned) <= EXPERT_IDS_INLINE \
            else ExpertAssignment.objects.filter(case=case, expert=user).exists():
        roles.add("expert")
    return roles


EXPERT_IDS_INLINE = 5000  # an expert's assigned cases are listed inline up to this many, else a subquery


def _assigned(user: Any) -> list[int]:
    """The ids of the cases the user is assigned to as an expert (up to EXPERT_IDS_INLINE + 1, so more than
    EXPERT_IDS_INLINE means "ask the database"): from `user_state`, so a page that narrows several lists (cases,
    deadlines) or checks a case's roles asks no query for them."""
    assigned: list[int] | None = getattr(user, "_rongcuo_assigned", None)
    if assigned is None:
        assigned = user_state(user)["assigned"] if user.pk else []
        user._rongcuo_assigned = assigned
    return assigned


def visibility_key(user: Any) -> str:
    """A short digest of everything `visible_q` depends on (grants with their organisations, the user's person,
    their expert assignments): two users, or one user at two moments, with the same key see the same cases. For
    values cached per user and derived from the cases they may see."""
    if not getattr(user, "is_authenticated", False):
        return "none"
    if is_admin(user) or is_auditor(user):
        return "all"
    person = person_of(user)
    parts = sorted((g.role, g.organisation_id or 0, g.organisation.kind if g.organisation else "",
                    g.organisation.parent_id or 0 if g.organisation else 0) for g in grants(user))
    raw = repr((parts, person.id if person is not None else None, _assigned(user)))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def visibility_shape(user: Any) -> str:
    """A key for SQL built from `visible_q`: users with the same shape get the same SQL and parameters from it
    (`visibility_key`, and the user's id when their assignments are read by a subquery naming them)."""
    key = visibility_key(user)
    return f"{key}:{user.pk}" if key not in ("all", "none") and len(_assigned(user)) > EXPERT_IDS_INLINE else key


def visible_q(user: Any, prefix: str = "") -> Q | None:
    """The condition "the user may read this case" on Case (or, with prefix "case__", on a model pointing at a
    case); None when the user may read every case. Only the branches that can match are built, and an expert's
    assignments are inlined as ids: a plain OR over indexed columns lets the database use its indexes, where a
    join through the assignments (and the DISTINCT it needs) made it collect every case the user may read."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if is_admin(user) or is_auditor(user):
        return None
    q = Q(pk__in=[])
    assigned = _assigned(user)
    if len(assigned) > EXPERT_IDS_INLINE:
        q |= Q(**{f"{prefix}pk__in": ExpertAssignment.objects.filter(expert=user).values("case_id")})
    elif assigned:
        q |= Q(**{f"{prefix}pk__in": assigned})
    person = person_of(user)
    if person is not None:
        q |= Q(**{f"{prefix}applicant_id": person.id})
    for field, ids in (("host_unit_id", org_ids(user, Role.host_unit_reviewer)),
                       ("bureau_id", org_ids(user, Role.caseworker, OrgKind.bureau) | org_ids(user, Role.committee))):
        if ids:
            q |= Q(**{f"{prefix}{field}__in": sorted(ids)})
    nsf = nsf_bureaus(user)
    if nsf:
        q |= Q(**{f"{prefix}bureau_id__in": sorted(nsf)}) & ~Q(**{f"{prefix}routed_to": ""})
    return q


def visible_cases(user: Any) -> QuerySet[Case]:
    """Every case the user may read (the base of every list, in the API and the pages)."""
    qs = Case.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    q = visible_q(user)
    return qs if q is None else qs.filter(q)


def visible_through_case(user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    """`qs` (of a model with a `case` foreign key) narrowed to the rows of cases the user may read."""
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    q = visible_q(user, "case__")
    return qs if q is None else qs.filter(q)


# The columns `may_read` and `roles_on_case` read: enough for a request that needs one more column only.
PERMISSION_COLUMNS = ("id", "applicant_id", "host_unit_id", "bureau_id", "routed_to")


def case_for(user: Any, pk: int | str, only: tuple[str, ...] = (), annotate: dict[str, Any] | None = None) -> Case:
    """The case if the user may read it; otherwise 404 (no hint that it exists). `only` loads just those
    columns (then nothing is joined), `annotate` adds computed ones."""
    try:
        if only or annotate:
            qs = Case.objects.only(*only) if only else Case.objects.select_related(*CASE_JOINED)
            case = (qs.annotate(**annotate) if annotate else qs).get(pk=pk)
        else:
            case = _CASE.first(int(pk))
    except (Case.DoesNotExist, ValueError):
        case = None
    return readable(user, case)


CASE_JOINED = ("project", "bureau", "host_unit", "applicant")  # what `case_for` reads with the case
_CASE = Prepared(lambda pk: Case.objects.select_related(*CASE_JOINED).filter(pk=pk).order_by())  # compiled once


def readable(user: Any, case: Case | None) -> Case:
    """The case, loaded by the caller, if the user may read it; otherwise (or when there is none) 404, with no
    hint that it exists."""
    if case is None or not may_read(user, case):
        raise NotFound("案件不存在", "no such case", field="case")
    return case


def may_read(user: Any, case: Case) -> bool:
    """Whether the user has any role on the case; asks the database about expert assignments only when no
    other role answers (the roles themselves are computed by `roles_on_case` when an action needs them)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if is_admin(user) or is_auditor(user):
        return True
    person = person_of(user)
    if (person is not None and case.applicant_id == person.id) \
            or case.host_unit_id in org_ids(user, Role.host_unit_reviewer) \
            or case.bureau_id in org_ids(user, Role.caseworker, OrgKind.bureau) \
            or case.bureau_id in org_ids(user, Role.committee) \
            or (case.routed_to and case.bureau_id in nsf_bureaus(user)):
        return True
    return bool(roles_on_case(user, case))


def require_any(user: Any, case: Case, allowed: set[str], what_zh: str, what_en: str, *,
                reading: bool = False) -> str:
    """The first of the user's roles that is allowed; Forbidden naming the roles that may act otherwise. A
    read-only role (the auditor's) counts only for `reading`: it reads everything and changes nothing."""
    roles = roles_on_case(user, case)
    if "admin" in roles:
        return "admin"
    for r in sorted(roles if reading else roles - READ_ONLY_ROLES):
        if r in allowed:
            return r
    raise Forbidden(f"您无权{what_zh}（需要：{', '.join(sorted(allowed))}）",
                    f"you may not {what_en} (allowed: {', '.join(sorted(allowed))})", field="role")


def _acting_stages(role: str) -> Q:
    """The condition "the case is at a stage where `role` acts" over every loaded pack version."""
    from rongcuo.common.packs import registry

    q = Q(pk__in=[])
    for pack in registry().all():
        stages = [s.id for s in pack.procedure.stages if role in s.actors] if pack.procedure else []
        if stages:
            q |= Q(pack_id=pack.id, pack_version=pack.version, stage__in=stages)
    return q


def awaiting_q(user: Any) -> Q:
    """The condition on Case "an open case waiting for a finding this user is asked for": for each role the user
    holds, the cases where that role applies whose determination still needs a fact of that role's kinds
    (PARTIES_OF_ROLE), the stage-gated roles only at a stage where they act."""
    from django.db.models import Exists, OuterRef

    from rongcuo.cases.models import CaseNeed

    def need(role: str) -> Q:
        return Q(Exists(CaseNeed.objects.filter(case=OuterRef("pk"), party__in=PARTIES_OF_ROLE[role])))

    def clerked() -> Q:  # the panel's or committee's findings a caseworker records where those bodies have no stage
        from rongcuo.common.packs import registry

        q = Q(pk__in=[])
        for pack in registry().all():
            parties = sorted(clerked_parties(pack))
            if parties:
                q |= Q(pack_id=pack.id, pack_version=pack.version) & Q(Exists(CaseNeed.objects.filter(
                    case=OuterRef("pk"), party__in=parties)))
        return q

    none = Q(pk__in=[])
    if not getattr(user, "is_authenticated", False):
        return none
    q = none
    person = person_of(user)
    if person is not None:
        q |= Q(applicant_id=person.id) & need("applicant")
    units = org_ids(user, Role.host_unit_reviewer)
    if units:
        q |= Q(host_unit_id__in=sorted(units)) & need("host_unit_reviewer")
    bureaus = org_ids(user, Role.caseworker, OrgKind.bureau)
    if bureaus:
        q |= Q(bureau_id__in=sorted(bureaus)) & (need("caseworker") | clerked())
    nsf = nsf_bureaus(user)
    if nsf:
        q |= Q(bureau_id__in=sorted(nsf)) & ~Q(routed_to="") & (need("nsf_office") | clerked())
    committees = org_ids(user, Role.committee)
    if committees:
        q |= Q(bureau_id__in=sorted(committees)) & _acting_stages("committee") & need("committee")
    assigned = _assigned(user)
    if assigned:
        seats = Q(pk__in=ExpertAssignment.objects.filter(expert=user).values("case_id")) \
            if len(assigned) > EXPERT_IDS_INLINE else Q(pk__in=assigned)
        q |= seats & _acting_stages("expert") & need("expert")
    return Q(disposition="open") & q


def asked_parties(user: Any) -> set[str]:
    """Every kind of finding this user is asked for under some role they hold (for counting a case's facts)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    roles = set()
    if person_of(user) is not None:
        roles.add("applicant")
    if org_ids(user, Role.host_unit_reviewer):
        roles.add("host_unit_reviewer")
    if org_ids(user, Role.caseworker, OrgKind.bureau):
        roles.add("caseworker")
    if nsf_bureaus(user):
        roles.add("nsf_office")
    if org_ids(user, Role.committee):
        roles.add("committee")
    if _assigned(user):
        roles.add("expert")
    out = parties_of(roles)
    if roles & set(CLERKS):
        out |= set(CLERKED.values())  # recorded as clerk under some packs (counted only on cases that wait)
    return out
