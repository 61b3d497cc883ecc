"""The case record itself, for every service of the package: the row lock and version, the snapshot the audit
events keep, the pinned pack's procedure, the current findings and the engine's determination."""

from __future__ import annotations

from typing import Any

from django.db.models import F

from rongcuo.cases import permissions as perm
from rongcuo.cases.models import Case, CaseNeed
from rongcuo.cases.selectors import case_evaluate
from rongcuo.common.errors import Conflict, Forbidden
from rongcuo.engine.pack import Pack
from rongcuo.engine.render import result_json
from rongcuo.engine.tasks import needed_facts


def case_lock(case: Case, expected_version: int | None, actor: Any = None) -> Case:
    """Re-read the case under a row lock; a stale `expected_version` is a 409, never a lost update.

    With `actor`, someone who may not change this case at all is refused first, so a refusal never
    reveals the case's version or state.
    """
    if actor is not None and not (perm.roles_on_case(actor, case) - perm.READ_ONLY_ROLES):
        raise Forbidden("您无权修改本案", "you may not change this case", field="role")
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(f"案件已被他人修改（当前版本 {locked.version}，您提交的是 {expected_version}），请刷新后重试",
                       f"the case was changed by someone else (version {locked.version}, you sent "
                       f"{expected_version}); reload and try again", field="version")
    return locked


def case_bump(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1)
    case.version += 1


def case_snapshot(case: Case) -> dict[str, Any]:
    return {"stage": case.stage, "disposition": case.disposition, "outcome": case.outcome, "version": case.version,
            "awaiting_supplement_since": case.awaiting_supplement_since, "routed_to": case.routed_to}


def case_redecide(case: Case) -> None:
    """Recompute the engine's determination (after any fact change) and the routing it implies."""
    res = case_evaluate(case)
    case.outcome = res.outcome
    case.determination = result_json(res)
    case.routed_to = "；".join(f"{r.handled_by.zh} {r.handled_by.en}" for r in res.routed_to)[:200]
    case_needs_rebuild(case, res.pack, res.needed)


def case_needs_rebuild(case: Case, pack: Pack, needed: list[str]) -> None:
    """Store who may establish each fact the determination still needs (`CaseNeed`), replacing what was there."""
    want = {(n.fact.id, p.value) for n in needed_facts(pack, needed) for p in n.parties}
    have = set(CaseNeed.objects.filter(case=case).values_list("fact_id", "party"))
    if want == have:
        return
    CaseNeed.objects.filter(case=case).exclude(
        pk__in=[pk for pk, f, p in CaseNeed.objects.filter(case=case).values_list("pk", "fact_id", "party")
                if (f, p) in want]).delete()
    CaseNeed.objects.bulk_create([CaseNeed(case=case, fact_id=f, party=p) for f, p in sorted(want - have)])
