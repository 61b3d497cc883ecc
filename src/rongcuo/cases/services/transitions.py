"""Moving a case along its pack's procedure: the transitions a stage offers, their preconditions, taking one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.cases import hooks, services
from rongcuo.cases import permissions as perm
from rongcuo.cases.models import Case, DeadlineStatus, Disposition, ObjectionStatus, StageChange
from rongcuo.cases.services.base import case_bump, case_lock, case_snapshot, pack_procedure, procedure_stage
from rongcuo.cases.services.deadlines import deadlines_after_transition
from rongcuo.cases.services.receipts import receipt_prepare, receipt_store
from rongcuo.common.errors import Conflict, Invalid, PreconditionFailed
from rongcuo.common.packs import pack_changed, pack_of
from rongcuo.engine.model import Procedure, Transition
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
        unmet = None if changed else _unmet(case, pack, t)
        out.append((t, f"{changed.zh} / {changed.en}" if changed else unmet[0] if unmet else None))
    return out


def _unmet(case: Case, pack: Pack, t: Transition) -> tuple[str, str] | None:
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
        ok = _precondition(case, req)
        if not ok:
            # PRECONDITIONS holds "中文 / English" (the English half may itself contain " / "); the Chinese half
            # never does, so the message splits back at its first " / ". The texts state what the step requires
            # (some read like statements, e.g. "supplementary material was asked for and is outstanding"), so the
            # message names them as the condition, not as a finding about the case.
            zh, _, en = PRECONDITIONS[req].partition(" / ")
            return f"未满足办理条件：{zh} / Requirement not met: {en}", req
    return None


def _precondition(case: Case, req: str) -> bool:
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
        return d is not None and d.due_date is not None and services.today() > d.due_date
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


@transaction.atomic
def case_transition(*, case: Case, actor: Any, action: str, reason: str = "",
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
    unmet = _unmet(case, pack, t)
    if unmet:
        zh, _, en = unmet[0].partition(" / ")
        raise PreconditionFailed(zh, en, field="action", unmet=unmet[1])
    before = case_snapshot(case)
    day = services.today()
    from_stage = case.stage
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
                               reason=reason.strip(), at=timezone.now())
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
                 after={**case_snapshot(case), "reason": reason.strip(), "role": role})
    receipt_store(case=case, actor=actor, on=day, prepared=receipt)
    if _reopens_decision(proc, t) and hasattr(case, "decision"):
        for reopened in hooks.ON_DECISION_REOPENED:  # review: the decision taken is superseded
            reopened(case=case, actor=actor, reason=reason.strip(), action=action)
    if decided:
        for hook, made in zip(hooks.ON_CASE_DECIDED, prepared, strict=True):
            hook.record(case=case, actor=actor, on=day, prepared=made)  # review: the letter stored, the archive event
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
