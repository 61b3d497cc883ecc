"""Findings (认定事实) with their provenance; the determination is recomputed with every change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.cases import permissions as perm
from rongcuo.cases.models import Case, CaseFact, Declaration, Disposition, Evidence
from rongcuo.cases.selectors import current_facts
from rongcuo.cases.selectors.needs import PARTY_WHO
from rongcuo.cases.services.base import case_bump, case_lock, case_redecide
from rongcuo.common.errors import Conflict, Forbidden, Invalid, Problems
from rongcuo.common.packs import pack_of
from rongcuo.engine.facts import InputError, parse_facts
from rongcuo.engine.model import FactDef, FactType, Text
from rongcuo.engine.pack import Pack
from rongcuo.engine.tasks import PARTY_ORDER, PARTY_TEXT, parties_of


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
    if role is not None and role not in allowed_roles:
        allowed = [FINDING_KIND[r] for r in FINDING_ORDER if r in allowed_roles]
        raise Forbidden(f"您不能以“{role_text(role).zh}”的身份认定事实（可用：{'、'.join(x.zh for x in allowed)}）",
                        f"you may not record findings as “{role_text(role).en}” (you may: "
                        f"{', '.join(x.en for x in allowed)})", field="role")
    asked = perm.parties_of(roles - perm.READ_ONLY_ROLES, pack)
    roles_of: dict[str, str] = {}
    problems: list[tuple[str, str, str]] = []
    not_theirs = 0
    for fid, value in facts.items():
        fdef = pack.facts.get(fid)
        if fdef is None:
            problems.append((str(fid), f"本案适用的政策没有“{fid}”这一事实",
                             f"the rules of this case have no fact “{fid}”"))
            continue
        chosen = finding_role(fdef, role, asked, allowed_roles, admin="admin" in roles)
        if chosen is None:
            who = [PARTY_WHO[p.value] for p in parties_of(fdef)]
            problems.append((fid, f"“{fdef.label.zh}”应由{'或'.join(w.zh for w in who)}认定，您不能认定",
                             f"“{fdef.label.en}” is established by {' or '.join(w.en for w in who)}, not by you"))
            not_theirs += 1
            continue
        roles_of[fid] = chosen
        wrong = value_problem(pack, fdef, value)
        if wrong:
            problems.append((fid, f"“{fdef.label.zh}”{wrong[0]}", f"“{fdef.label.en}”: {wrong[1]}"))
    if problems:
        raise Problems(problems, forbidden=not_theirs == len(problems))
    parsed = parse_facts(pack.facts, {k: v for k, v in facts.items() if v is not None})
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
        row = CaseFact.objects.create(case=case, fact_id=fid, value=stored, role=roles_of[fid], stage=case.stage,
                                      established_by=actor, established_at=now, note=note)
        if evidence:
            row.evidence.set(evidence)
        Declaration.objects.filter(case=case, fact_id=fid, finding__isnull=True).update(finding=row)
    old_outcome = case.outcome
    case_redecide(case, actor)
    case.save(update_fields=["outcome", "determination", "routed_to", "updated_at"])
    case_bump(case)
    audit_append(actor=actor, action="case.facts", subject=case,
                 before={"facts": before, "outcome": old_outcome},
                 after={"facts": {k: parsed.values.get(k) for k in facts}, "roles": roles_of, "outcome": case.outcome,
                        "evidence": [e.sha256 for e in evidence]})
    return case


# The kinds of finding as a person reads them, in the order the procedure reaches them.
FINDING_ORDER = [p.value for p in PARTY_ORDER]
FINDING_KIND = {p.value: PARTY_TEXT[p] for p in PARTY_ORDER}


def role_text(role: str) -> Text:
    return FINDING_KIND.get(role) or Text(zh="未知身份", en="an unknown role")


def finding_role(fdef: FactDef, role: str | None, asked: set[str], allowed: set[str], *, admin: bool) -> str | None:
    """The kind of finding a user records `fdef` as: the one asked for (`role`), else the first of the fact's kinds
    the user is asked for (PARTIES_OF_ROLE), else the first they may record at all (a caseworker as the panel's or
    the committee's clerk); None when they may record none of the fact's kinds."""
    kinds = [p.value for p in parties_of(fdef)]
    if role is not None:
        return role if role in kinds or admin else None
    for pool in (asked, allowed):
        for kind in kinds:
            if kind in pool:
                return kind
    return kinds[0] if admin and kinds else None


def value_problem(pack: Pack, fdef: FactDef, value: Any) -> tuple[str, str] | None:
    """What is wrong with `value` for `fdef`, as the rest of a sentence naming the fact ("应为……", "must be …"),
    or None. A null retracts a finding and is always allowed."""
    if value is None:
        return None
    try:
        parse_facts(pack.facts, {fdef.id: value})
    except InputError:
        pass
    else:
        return None
    if fdef.type is FactType.bool:
        return "应为“是”或“否”（true 或 false）", "must be yes or no (true or false)"
    if fdef.type is FactType.enum:
        return (f"应为以下之一：{'、'.join(v.label.zh for v in fdef.values)}",
                f"must be one of: {', '.join(v.label.en for v in fdef.values)}")
    if fdef.type is FactType.date:
        return "应为日期（年-月-日，如 2026-12-07）", "must be a date (year-month-day, e.g. 2026-12-07)"
    low = "" if fdef.minimum is None else f"{fdef.minimum:g}"
    high = "" if fdef.maximum is None else f"{fdef.maximum:g}"
    bounds_zh = f"，不小于 {low}" * bool(low) + f"，不大于 {high}" * bool(high)
    bounds_en = f", at least {low}" * bool(low) + f", at most {high}" * bool(high)
    if fdef.type is FactType.age:
        return f"应为整数岁数（0–150{bounds_zh}）", f"must be a whole number of years (0–150{bounds_en})"
    if fdef.type is FactType.money:
        return f"应为不小于 0 的金额（元{bounds_zh}）", f"must be an amount in yuan, not negative{bounds_en}"
    return f"应为数字{bounds_zh}", f"must be a number{bounds_en}"
