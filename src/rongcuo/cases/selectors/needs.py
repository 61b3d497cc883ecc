"""Whose turn it is on a case: the facts its determination still needs, grouped by the party that may establish
them (the engine's `tasks`), which of them the signed-in user is asked for, and the cases waiting for the user."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count

from rongcuo.cases import permissions as perm
from rongcuo.cases.models import Case, CaseNeed
from rongcuo.engine.model import Text
from rongcuo.engine.pack import Pack
from rongcuo.engine.tasks import needed_by_party

# Who establishes each kind of finding, as the case page names them.
PARTY_WHO: dict[str, Text] = {
    "applicant_declaration": Text(zh="申请人", en="the applicant"),
    "host_unit_attestation": Text(zh="项目承担单位", en="the host unit"),
    "investigation_finding": Text(zh="主管部门经办人", en="the bureau's caseworker"),
    "expert_panel_finding": Text(zh="评审专家组", en="the expert panel"),
    "committee": Text(zh="集体审定会议", en="the committee"),
    "system_computed": Text(zh="系统（由经办人核对）", en="the system (checked by the caseworker)"),
}


def case_needs(case: Case, pack: Pack | None, roles: Iterable[str]) -> list[dict[str, Any]]:
    """The facts the case's stored determination still needs, by party: each group with its label, who that is,
    whether the user (with `roles` on the case) is asked for it, and each fact with its question and the clauses
    it serves. Empty when the determination is settled or the pack is not loaded."""
    if pack is None or not case.determination:
        return []
    mine = perm.parties_of(set(roles) - perm.READ_ONLY_ROLES)
    return [{"party": g.party.value, "label": g.label, "who": PARTY_WHO[g.party.value], "mine": g.party.value in mine,
             "facts": [{"id": f.fact.id, "label": f.fact.label, "question": f.fact.question, "clauses": f.clauses,
                        "shared": len(f.parties) > 1} for f in g.facts]}
            for g in needed_by_party(pack, case.determination.get("needed") or [])]


def awaiting_cases(user: Any) -> Any:
    """The open cases waiting for a finding this user is asked for (`permissions.awaiting_q`)."""
    return perm.visible_cases(user).filter(perm.awaiting_q(user))


def awaiting_counts(user: Any, case_ids: list[int]) -> dict[int, int]:
    """For those of `case_ids` that wait for the user: how many facts they wait for (by the kinds of finding the
    user is asked for)."""
    if not case_ids:
        return {}
    waiting = list(awaiting_cases(user).filter(pk__in=case_ids).values_list("pk", flat=True))
    if not waiting:
        return {}
    rows = CaseNeed.objects.filter(case_id__in=waiting, party__in=sorted(perm.asked_parties(user))) \
        .values("case_id").annotate(n=Count("fact_id", distinct=True))
    return {r["case_id"]: r["n"] for r in rows}
