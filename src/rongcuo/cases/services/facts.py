"""Findings (认定事实) with their provenance; the determination is recomputed with every change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.cases import permissions as perm
from rongcuo.cases.models import Case, CaseFact, Disposition, Evidence
from rongcuo.cases.selectors import current_facts
from rongcuo.cases.services.base import case_bump, case_lock, case_redecide
from rongcuo.common.errors import Conflict, Forbidden, Invalid
from rongcuo.common.packs import pack_of
from rongcuo.engine.facts import InputError, parse_facts


@transaction.atomic
def case_set_facts(*, case: Case, actor: Any, facts: Mapping[str, Any], role: str | None = None,
                   evidence_ids: Iterable[int] = (), note: str = "", expected_version: int | None = None) -> Case:
    """Record findings (认定事实) with provenance; the determination is recomputed at once.

    `role` is the finding role (applicant_declaration, investigation_finding, …); it must be one the actor
    may record on this case and one the pack's vocabulary lists for the fact. A value of null retracts a
    finding (the fact becomes unknown again); history is kept.
    """
    case = case_lock(case, expected_version)
    if case.disposition != Disposition.open:
        raise Conflict("案件已办结，不能再修改事实", "the case is closed; facts can no longer change", field="facts")
    if not isinstance(facts, Mapping) or not facts:
        raise Invalid("请至少提供一项事实", "give at least one fact", field="facts")
    roles = perm.roles_on_case(actor, case)
    allowed_roles = set().union(*(perm.FINDING_ROLES.get(r, set()) for r in roles)) if roles else set()
    if not allowed_roles:
        raise Forbidden("您无权认定本案事实", "you may not record facts on this case", field="role")
    pack = pack_of(case, verify=True)
    if role is None:
        role = sorted(allowed_roles)[0] if len(allowed_roles) == 1 else None
        if role is None:
            raise Invalid(f"请说明以何种身份认定：{', '.join(sorted(allowed_roles))}",
                          f"say in which role you record the finding: {', '.join(sorted(allowed_roles))}",
                          field="role")
    if role not in allowed_roles:
        raise Forbidden(f"您不能以 {role} 身份认定事实（可用：{', '.join(sorted(allowed_roles))}）",
                        f"you may not record {role} findings (you may: {', '.join(sorted(allowed_roles))})",
                        field="role")
    for fid in facts:
        fdef = pack.facts.get(fid)
        if fdef is None:
            raise Invalid(f"未知事实 {fid}；本政策包的事实为：{', '.join(sorted(pack.facts))}",
                          f"unknown fact {fid}; this pack's facts are: {', '.join(sorted(pack.facts))}", field=fid)
        if role not in {e.value for e in fdef.established_by} and "admin" not in roles:
            raise Forbidden(f"事实 {fid} 应由 {', '.join(e.value for e in fdef.established_by)} 认定",
                            f"fact {fid} is established by {', '.join(e.value for e in fdef.established_by)}",
                            field=fid)
    try:
        parsed = parse_facts(pack.facts, {k: v for k, v in facts.items() if v is not None})
    except InputError as exc:
        raise Invalid(exc.message, exc.message, field=exc.field) from None
    evidence = list(Evidence.objects.filter(case=case, pk__in=list(evidence_ids)))
    if len(evidence) != len(set(evidence_ids)):
        raise Invalid("证据不属于本案", "evidence does not belong to this case", field="evidence_ids")
    if len(note) > 5000:
        raise Invalid("说明不能超过 5000 字", "the note may be at most 5000 characters", field="note")
    before = {f.fact_id: f.value for f in current_facts(case).values() if f.fact_id in facts}
    now = timezone.now()
    CaseFact.objects.filter(case=case, fact_id__in=list(facts), current=True).update(current=False)
    for fid in facts:
        value = parsed.values.get(fid)
        stored = value.isoformat() if isinstance(value, dt.date) else value
        row = CaseFact.objects.create(case=case, fact_id=fid, value=stored, role=role, stage=case.stage,
                                      established_by=actor, established_at=now, note=note)
        if evidence:
            row.evidence.set(evidence)
    old_outcome = case.outcome
    case_redecide(case)
    case.save(update_fields=["outcome", "determination", "routed_to", "updated_at"])
    case_bump(case)
    audit_append(actor=actor, action="case.facts", subject=case,
                 before={"facts": before, "outcome": old_outcome},
                 after={"facts": {k: parsed.values.get(k) for k in facts}, "role": role, "outcome": case.outcome,
                        "evidence": [e.sha256 for e in evidence]})
    return case
