"""Moving a case along its pack's procedure: the transitions a stage offers, their preconditions, taking one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.cases import clock, hooks
from rongcuo.cases import permissions as perm
from rongcuo.cases.models import Case, Disposition, StageChange
from rongcuo.cases.selectors import pack_procedure, procedure_stage, unmet_requirement
from rongcuo.cases.services.base import awaited_roles, case_bump, case_lock, case_snapshot, facts_requested
from rongcuo.cases.services.deadlines import deadlines_after_transition
from rongcuo.cases.services.receipts import receipt_prepare, receipt_store
from rongcuo.common.errors import Conflict, Invalid, PreconditionFailed
from rongcuo.common.packs import pack_of
from rongcuo.engine.model import Procedure, Transition


@transaction.atomic
def case_transition(*, case: Case, actor: Any, action: str, reason: str = "", opinion: str = "",
                    expected_version: int | None = None, _decision: str | None = None,
                    _decision_event: Callable[[], Any] | None = None) -> Case:
    """Move the case along its pack's procedure. A refused transition says which precondition is unmet.

    Transitions that record the collective decision are taken only by `review.services.committee_decide`
    (which passes `_decision`), so that the vote, reasons and frozen determination are never skipped. It passes
    the decision's own audit event as `_decision_event`, written just before the transition's: after what a
    decided case gets has been prepared (`hooks.Decided`), so that the audit chain's head lock is not held while
    the decision letter is rendered, and the events keep their order (decision, transition, archive).
    """
    case = case_lock(case, expected_version, actor)
    if case.disposition != Disposition.open:
        raise Conflict("案件已办结", "the case is closed", field="action")
    pack = pack_of(case, verify=True)
    proc = pack_procedure(pack)
    terminal = proc.terminal_stages
    possible = proc.transitions_from(case.stage)
    candidates = [t for t in possible if t.action == action]
    if not candidates:
        here = sorted({t.action for t in possible})
        stage_zh = procedure_stage(proc, case.stage).label.zh
        raise Invalid(f"当前阶段“{stage_zh}”不能执行 {action}；可执行：{', '.join(here) or '无'}",
                      f"action {action} is not possible in stage {case.stage}; "
                      f"possible: {', '.join(here) or 'none'}", field="action")
    t = candidates[0]
    role = perm.require_any(actor, case, set(t.by), f"执行“{t.label.zh}”", f"take action {action}")
    if t.records_decision and _decision not in t.records_decision:
        raise Invalid("集体审定须通过“作出决定”办理（登记出席、表决和理由）",
                      "the collective decision is taken through the committee decision (attendance, vote, reasons)",
                      field="action")
    if t.reason_required and not reason.strip():
        raise Invalid(f"“{t.label.zh}”须说明理由", f"“{t.label.en}” requires a reason", field="reason")
    if len(reason) > 5000:
        raise Invalid("理由不能超过 5000 字", "the reason may be at most 5000 characters", field="reason")
    if t.opinion is not None and not opinion.strip():
        raise Invalid(f"“{t.label.zh}”须填写{t.opinion.zh}", f"“{t.label.en}” requires {t.opinion.en.lower()}",
                      field="opinion")
    if t.opinion is None and opinion.strip():
        raise Invalid(f"“{t.label.zh}”不记录意见", f"“{t.label.en}” records no opinion", field="opinion")
    if len(opinion) > 5000:
        raise Invalid("意见不能超过 5000 字", "the opinion may be at most 5000 characters", field="opinion")
    unmet = unmet_requirement(case, pack, t)
    if unmet:
        zh, _, en = unmet[0].partition(" / ")
        raise PreconditionFailed(zh, en, field="action", unmet=unmet[1])
    before = case_snapshot(case)
    day = clock.today()
    from_stage = case.stage
    waiting = awaited_roles(case, pack, (case.determination or {}).get("needed") or [])
    case.stage = t.to
    if t.clock == "pause":
        case.awaiting_supplement_since = day
    elif t.clock == "resume":
        case.awaiting_supplement_since = None
    if t.to in terminal:
        case.disposition = {"withdraw": Disposition.withdrawn,
                            "reject_inadmissible": Disposition.inadmissible}.get(action, Disposition.decided)
    case.save(update_fields=["stage", "disposition", "awaiting_supplement_since", "updated_at"])
    StageChange.objects.create(case=case, from_stage=from_stage, to_stage=t.to, action=action, actor=actor, role=role,
                               reason=reason.strip(), opinion=opinion.strip(), at=timezone.now())
    deadlines_after_transition(case, pack, t, from_stage, day, terminal)
    case_bump(case)
    decided = t.to in terminal and case.disposition == Disposition.decided
    # The first audit event takes the audit chain's head lock until the transaction commits: what a decided case
    # gets (review: the letter rendered) is prepared before it, so that rendering holds up no other write.
    prepared = [h.prepare(case=case, actor=actor, on=day) for h in hooks.ON_CASE_DECIDED] if decided else []
    receipt = receipt_prepare(case=case, on=day, proc=proc) if t.receipt else None  # 受理回执, rendered likewise
    if _decision_event is not None:
        _decision_event()
    audit_append(actor=actor, action=f"case.transition.{action}", subject=case, before=before,
                 after={**case_snapshot(case), "reason": reason.strip(), "role": role,
                        **({"opinion": opinion.strip()} if t.opinion is not None else {})})
    receipt_store(case=case, actor=actor, on=day, prepared=receipt)
    if _reopens_decision(proc, t) and hasattr(case, "decision"):
        for reopened in hooks.ON_DECISION_REOPENED:  # review: the decision taken is superseded
            reopened(case=case, actor=actor, reason=reason.strip(), action=action)
    if decided:
        for hook, made in zip(hooks.ON_CASE_DECIDED, prepared, strict=True):
            hook.record(case=case, actor=actor, on=day, prepared=made)  # review: the letter stored, the archive event
    if case.disposition == Disposition.open:
        facts_requested(case, pack, waiting, actor)  # e.g. the committee, once the case reaches it
    for changed in hooks.ON_STAGE_CHANGED:  # notifications: who is told of the step
        changed(case=case, from_stage=from_stage, to_stage=t.to, action=action, actor=actor)
    return case


def _reopens_decision(proc: Procedure, t: Transition) -> bool:
    """Whether a transition sends the case back from after the decision to the decision stage or before it
    (stages in the order the pack lists them), so that the decision must be taken again: e.g. back to the
    investigation after an objection. The decision taken is then superseded, not deleted."""
    order = {s.id: i for i, s in enumerate(proc.stages)}
    deciding = [order[x.from_] for x in proc.transitions if x.records_decision and x.from_ in order]
    if not deciding or t.from_ not in order or t.to not in order:
        return False
    return order[t.to] <= max(deciding) < order[t.from_]
