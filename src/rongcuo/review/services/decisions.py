"""The collective decision (集体审定): taken on the members' votes (`votes`), with the reasons, the frozen
determination, and the decision's transition; a decision superseded when the case goes back to be investigated
again."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.cases import clock as case_clock
from rongcuo.cases import permissions as perm
from rongcuo.cases import selectors as case_sel
from rongcuo.cases import services as case_svc
from rongcuo.cases.models import Case
from rongcuo.common.errors import Conflict, Invalid
from rongcuo.common.packs import pack_of
from rongcuo.engine.model import Text
from rongcuo.review import permissions as review_perm
from rongcuo.review.models import CommitteeVote, Decision, Panel
from rongcuo.review.services.votes import MAJORITY_OF_TEXT, committee_tally


@transaction.atomic
def committee_decide(*, case: Case, actor: Any, decision: str, reasons: str, clauses: list[str] | None = None,
                     expected_version: int | None = None) -> Decision:
    """Record the collective decision the members' votes carry, and take the procedure's decision transition.

    The decision is taken when the quorum has voted and the chosen decision has the majority (the pack's
    `procedure.committee`, or the platform default: at least two thirds of the members vote, more than half of
    the votes cast for or against). The engine's determination and trace, the panel's findings, the committee
    as it stood and every vote of the round are kept with it. Departing from the engine requires written
    reasons; a refusal always carries reasons and the clauses relied on.
    """
    # Who decides is the pack's: the roles of its decision transitions (e.g. 深圳 组织决定 by the department).
    proc0 = case_sel.pack_procedure(pack_of(case))
    deciders = {r for t in proc0.transitions if t.records_decision for r in t.by}
    perm.require_any(actor, case, deciders or review_perm.DECIDERS, "作出集体审定", "record the collective decision")
    case = case_svc.case_lock(case, expected_version)
    if decision not in ("exempt", "not_exempt"):
        raise Invalid("请选择决定：免责或不予免责", "choose the decision: exempt or not exempt", field="decision")
    if hasattr(case, "decision"):
        raise Conflict("本案已作出决定", "this case has already been decided", field="decision")
    res = case_sel.case_evaluate(case)
    departs = res.outcome in ("exempt", "not_exempt") and res.outcome != decision
    if res.outcome == "undetermined":
        facts = pack_of(case).facts  # the facts still needed, by their labels
        labels = [facts[f].label if f in facts else Text(zh=f, en=f) for f in res.needed]
        raise Conflict("引擎结论仍为待定，请先查明：" + "、".join(t.zh for t in labels),
                       "The determination is still undetermined; establish first: " + "; ".join(t.en for t in labels),
                       field="decision")
    tally = committee_tally(case, res.pack)
    if not tally.members:
        raise Conflict("主管部门尚未登记集体审议成员，不能作出集体审定；请管理员登记成员",
                       "the bureau has no committee member on record, so no collective decision can be taken; an "
                       "administrator records the members first", field="votes")
    if not tally.quorum_met:
        raise Conflict(f"表决人数未达法定人数：{len(tally.members)} 名成员中须至少 {tally.quorum_needed} 名表决（弃权"
                       f"计入），现有 {tally.voted} 名",
                       f"no quorum: at least {tally.quorum_needed} of the {len(tally.members)} members must vote "
                       f"(abstaining counts); {tally.voted} have", field="votes")
    if not tally.carries(decision):
        n, d = tally.rules.majority
        of_zh, of_en = MAJORITY_OF_TEXT[tally.rules.majority_of]
        c = tally.counts
        raise Conflict(f"表决未形成该决定所需的多数（须超过{of_zh}的 {n}/{d}）：同意免责 {c['exempt']} 票，不同意 "
                       f"{c['not_exempt']} 票，弃权 {c['abstain']} 票",
                       f"the votes do not carry this decision (it needs more than {n}/{d} of {of_en}): "
                       f"{c['exempt']} for exemption, {c['not_exempt']} against, {c['abstain']} abstaining",
                       field="votes")
    reasons = (reasons or "").strip()
    if (departs or decision == "not_exempt") and not reasons:
        raise Invalid("不予认定或与引擎结论不一致时，必须书面说明理由", "a refusal, or a departure from the engine's "
                      "determination, requires written reasons", field="reasons")
    clauses = list(res.decisive if clauses is None else clauses)  # an explicit empty list stays empty
    unknown = [c for c in clauses if c not in res.pack.clauses]
    if unknown:
        raise Invalid(f"未知条款：{', '.join(unknown)}", f"unknown clauses: {', '.join(unknown)}", field="clauses")
    if decision == "not_exempt" and not clauses:
        raise Invalid("不予认定须列明所依据的条款", "a refusal must name the clauses relied on", field="clauses")
    proc = case_sel.pack_procedure(res.pack)
    t = next((t for t in proc.transitions_from(case.stage) if decision in t.records_decision), None)
    if t is None:
        raise Conflict("当前阶段不能作出集体审定", "the collective decision cannot be taken in this stage",
                       field="decision")
    panel = Panel.objects.filter(case=case).first()
    members = [{"user": m.user_id, "name": m.name} for m in tally.members]
    record = Decision.objects.create(
        case=case, for_case=case, decision=decision, engine_outcome=res.outcome, departs_from_engine=departs,
        reasons=reasons or "与引擎认定一致 / as determined", clauses=clauses, members=members, rule=tally.record(),
        determination=res.record(), panel_findings=panel.conclusion if panel else None,
        decided_by=actor, decided_on=case_clock.today())
    CommitteeVote.objects.filter(for_case=case, decision__isnull=True).update(decision=record)
    after = {"decision": decision, "engine": res.outcome, "departs": departs,
             "votes": [{"member": v.member_name, "vote": v.vote} for v in tally.votes], "rule": tally.record(),
             "clauses": clauses, "pack_hash": res.pack.content_hash}
    # The decision's event is written by the transition, after the letter of a case it archives is rendered.
    case_svc.case_transition(case=case, actor=actor, action=t.action, reason=reasons or "与引擎认定一致",
                             _decision=decision, _decision_event=lambda: audit_append(
                                 actor=actor, action="committee.decide", subject=case, after=after))
    return record


def decision_supersede(*, case: Case, actor: Any, reason: str, action: str) -> Decision | None:
    """The case goes back to be investigated again (e.g. after a sustained objection): its decision stops being
    the current one. Nothing is deleted — the row keeps its vote, reasons and frozen determination, with when and
    why it was superseded. Called by `case_transition` within its transaction; audit event `decision.supersede`."""
    decision = Decision.objects.filter(case=case).first()
    if decision is None:
        return None
    decision.case, decision.superseded_at = None, timezone.now()
    decision.superseded_reason = reason
    decision.save(update_fields=["case", "superseded_at", "superseded_reason"])
    case._state.fields_cache.pop("decision", None)
    audit_append(actor=actor, action="decision.supersede", subject=case,
                 after={"decision": decision.decision, "decided_on": decision.decided_on, "action": action,
                        "reason": reason})
    return decision
