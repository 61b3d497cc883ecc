"""The transitions a case's stage offers the user, and the first requirement each does not meet yet."""

from __future__ import annotations

from typing import Any

from rongcuo.cases import clock
from rongcuo.cases import permissions as perm
from rongcuo.cases.models import Case, DeadlineStatus, Disposition, ObjectionStatus
from rongcuo.cases.selectors.record import pack_procedure
from rongcuo.common.errors import PreconditionFailed
from rongcuo.common.packs import pack_changed, pack_of
from rongcuo.engine.model import Transition
from rongcuo.engine.pack import Pack


def available_transitions(case: Case, user: Any) -> list[tuple[Transition, str | None]]:
    """Transitions from the case's stage, each with the unmet precondition (None if it can be taken now)."""
    if case.disposition != Disposition.open:
        return []
    pack = pack_of(case)
    proc = pack_procedure(pack)
    roles = perm.roles_on_case(user, case) - perm.READ_ONLY_ROLES
    changed = pack_changed(case, pack)
    out = []
    for t in proc.transitions_from(case.stage):
        if "admin" not in roles and not roles & set(t.by):
            continue
        unmet = None if changed else unmet_requirement(case, pack, t)
        out.append((t, f"{changed.zh} / {changed.en}" if changed else unmet[0] if unmet else None))
    return out


def unmet_requirement(case: Case, pack: Pack, t: Transition) -> tuple[str, str] | None:
    """The first requirement of `t` the case does not meet: ("中文 / English" message, the requirement's id: a
    material or a precondition), or None."""
    from rongcuo.engine.model import PRECONDITIONS

    materials = {m.id: m for s in pack_procedure(pack).stages for m in s.materials}
    for req in t.requires:
        if req in materials:
            if not case.evidence.filter(kind=req).exists():
                m = materials[req]
                return f"缺少材料：{m.label.zh} / Missing material: {m.label.en}", req
            continue
        ok = precondition_met(case, req)
        if not ok:
            # PRECONDITIONS holds "中文 / English" (the English half may itself contain " / "); the Chinese half
            # never does, so the message splits back at its first " / ". The texts state what the step requires
            # (some read like statements, e.g. "supplementary material was asked for and is outstanding"), so the
            # message names them as the condition, not as a finding about the case.
            zh, _, en = PRECONDITIONS[req].partition(" / ")
            return f"未满足办理条件：{zh} / Requirement not met: {en}", req
    return None


def precondition_met(case: Case, req: str) -> bool:
    if req == "determination_settled":
        return case.outcome != "undetermined"
    if req == "filed_before_project_acceptance":
        # 验收前: strictly before the acceptance date (an application on the acceptance day is not "before").
        acc = case.project.acceptance_date
        return acc is None or case.filed_on < acc
    if req == "not_awaiting_supplement":
        return case.awaiting_supplement_since is None
    if req == "awaiting_supplement":
        return case.awaiting_supplement_since is not None
    if req == "panel_formed":
        panel = getattr(case, "panel", None)
        return panel is not None and (not panel.rule_breaches or panel.override_covers)
    if req == "panel_reviewed":
        panel = getattr(case, "panel", None)
        return panel is not None and panel.concluded_at is not None
    if req == "committee_decided":
        return hasattr(case, "decision")
    if req == "notice_period_over":
        d = case.deadlines.filter(key=f"stage:{case.stage}", status=DeadlineStatus.open).first()
        return d is not None and d.due_date is not None and clock.today() > d.due_date
    if req == "no_open_objections":
        return not case.objections.filter(status=ObjectionStatus.open).exists()
    if req == "no_sustained_objections":
        # Objections found sustained since the case last entered its current stage (the notice of the decision
        # now published); one sustained during an earlier notice sent the case back and was dealt with then.
        entered = case.stage_changes.filter(to_stage=case.stage).order_by("-at", "-id").values_list("at", flat=True)
        sustained = case.objections.filter(status=ObjectionStatus.answered, sustained=True)
        since = entered.first()
        return not (sustained.filter(answered_at__gte=since) if since else sustained).exists()
    raise PreconditionFailed(f"未知前提 {req}", f"unknown precondition {req}", field="action")
