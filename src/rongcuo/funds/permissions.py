"""Who may see and do what on a fund or a transfer record — in one place, for the API and the pages alike.

The platform's role grants (`rongcuo.registry.models.RoleGrant`) are reused; no new role is introduced:

- `manager` (the fund's manager staff): `caseworker` or `host_unit_reviewer` on the fund's manager
  organisation. Reads; records investments, valuations, exits and write-offs; runs and stores tolerance
  checks; records `host_unit_attestation` findings.
- `supervisor`: `caseworker` on the fund's supervising bureau (e.g. the state-assets bureau). Reads;
  registers the fund and changes its term; records investigation, panel, committee and system findings;
  runs checks; decides the manager's due-diligence exemption.
- `committee`: `committee` on the supervising bureau. Reads; records `committee` findings.
- `auditor`: `auditor` (any organisation). Reads everything, changes nothing.
- `admin`: a superuser or `admin`. Anything.

Transfer records work the same way with the unit's staff (`caseworker` or `host_unit_reviewer` on the unit
that holds the achievement: its technology-transfer office) in the place of the manager, and the unit's
supervising bureau (the unit's `parent`) as the supervisor. Anyone else gets 404 (no hint that it exists).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from rongcuo.cases import permissions as case_perm
from rongcuo.common.errors import Forbidden, NotFound
from rongcuo.funds.models import Fund, TransferRecord
from rongcuo.registry.models import Organisation, OrgKind, Role

READ_ONLY = {"auditor"}
STAFF_ROLES = {Role.caseworker, Role.host_unit_reviewer}

# Which finding roles (the vocabulary's `established_by`) each role may record.
FINDING_ROLES: dict[str, set[str]] = {
    "manager": {"host_unit_attestation"},
    "unit": {"host_unit_attestation"},
    "supervisor": {"investigation_finding", "expert_panel_finding", "committee", "system_computed"},
    "committee": {"committee"},
    "admin": {"applicant_declaration", "host_unit_attestation", "investigation_finding", "expert_panel_finding",
              "committee", "system_computed"},
}


def _orgs(user: Any, roles: set[str]) -> set[int]:
    return {g.organisation_id for g in case_perm.grants(user) if g.role in roles and g.organisation_id}


def _base_roles(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    out = set()
    if case_perm.is_admin(user):
        out.add("admin")
    if case_perm.is_auditor(user):
        out.add("auditor")
    return out


def fund_roles(user: Any, fund: Fund) -> set[str]:
    roles = _base_roles(user)
    if not getattr(user, "is_authenticated", False):
        return roles
    if fund.manager_id in _orgs(user, STAFF_ROLES):
        roles.add("manager")
    if fund.supervisor_id in _orgs(user, {Role.caseworker}):
        roles.add("supervisor")
    if fund.supervisor_id in _orgs(user, {Role.committee}):
        roles.add("committee")
    return roles


def visible_funds(user: Any) -> QuerySet[Fund]:
    qs = Fund.objects.select_related("manager", "supervisor")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if case_perm.is_admin(user) or case_perm.is_auditor(user):
        return qs
    return qs.filter(Q(manager_id__in=_orgs(user, STAFF_ROLES))
                     | Q(supervisor_id__in=_orgs(user, {Role.caseworker, Role.committee})))


FUNDS_DOMAINS = {"state_venture_fund", "tech_transfer"}


def may_see_funds(user: Any) -> bool:
    """Whether the site's navigation links the funds pages: for administrators and auditors, a fund manager's
    staff, and the staff or committee of a bureau applying a fund or transfer pack — read from the role grants
    and the packs in memory. Only for a grant that says neither (a unit's staff: its transfers; a bureau
    without packs) are the funds and transfers the user may read looked up."""
    if not getattr(user, "is_authenticated", False):
        return False
    if case_perm.is_admin(user) or case_perm.is_auditor(user):
        return True
    from rongcuo.common.packs import registry

    packs = registry().packs
    unsure = False
    for g in case_perm.grants(user):
        o = g.organisation
        if o is None or g.role not in (*STAFF_ROLES, Role.committee):
            continue
        if o.kind == OrgKind.fund:
            if g.role in STAFF_ROLES:
                return True
        elif o.kind == OrgKind.bureau and g.role in (Role.caseworker, Role.committee):
            if not o.packs:
                unsure = True
            elif any(FUNDS_DOMAINS & set(v.meta.domain) for pid in o.packs for v in packs.get(pid, ())):
                return True
        elif g.role in STAFF_ROLES:
            unsure = True
    return unsure and (visible_funds(user).exists() or visible_transfers(user).exists())


MAX_PK = 2**63 - 1


def valid_pk(pk: Any) -> bool:
    """An id the database can hold (a larger one would be a database error, not a 404)."""
    try:
        return 0 < int(pk) <= MAX_PK
    except (TypeError, ValueError):
        return False


def fund_for(user: Any, pk: int | str) -> Fund:
    if not valid_pk(pk):
        raise NotFound("基金不存在", "no such fund", field="fund")
    try:
        fund = visible_funds(user).get(pk=pk)
    except (Fund.DoesNotExist, ValueError):
        raise NotFound("基金不存在", "no such fund", field="fund") from None
    return fund


def require(roles: set[str], allowed: set[str], what_zh: str, what_en: str) -> str:
    """The first of the roles that may act; Forbidden naming who may otherwise."""
    if "admin" in roles:
        return "admin"
    for r in sorted(roles - READ_ONLY):
        if r in allowed:
            return r
    names = ", ".join(sorted(allowed))
    raise Forbidden(f"您无权{what_zh}（需要：{names}）", f"you may not {what_en} (allowed: {names})", field="role")


def may_register_fund(user: Any, supervisor: Organisation) -> bool:
    return case_perm.is_admin(user) or supervisor.pk in _orgs(user, {Role.caseworker})


# --- transfers ----------------------------------------------------------------------------------------

def transfer_roles(user: Any, transfer: TransferRecord) -> set[str]:
    return unit_roles(user, transfer.unit)


def unit_roles(user: Any, unit: Organisation) -> set[str]:
    roles = _base_roles(user)
    if not getattr(user, "is_authenticated", False):
        return roles
    if unit.pk in _orgs(user, STAFF_ROLES):
        roles.add("unit")
    if unit.parent_id and unit.parent_id in _orgs(user, {Role.caseworker}):
        roles.add("supervisor")
    if unit.parent_id and unit.parent_id in _orgs(user, {Role.committee}):
        roles.add("committee")
    return roles


def visible_transfers(user: Any) -> QuerySet[TransferRecord]:
    qs = TransferRecord.objects.select_related("unit", "unit__parent")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if case_perm.is_admin(user) or case_perm.is_auditor(user):
        return qs
    return qs.filter(Q(unit_id__in=_orgs(user, STAFF_ROLES))
                     | Q(unit__parent_id__in=_orgs(user, {Role.caseworker, Role.committee})))


def transfer_for(user: Any, pk: int | str) -> TransferRecord:
    if not valid_pk(pk):
        raise NotFound("成果转化记录不存在", "no such transfer record", field="transfer")
    try:
        return visible_transfers(user).get(pk=pk)
    except (TransferRecord.DoesNotExist, ValueError):
        raise NotFound("成果转化记录不存在", "no such transfer record", field="transfer") from None
