"""The collective decision (集体审定): the vote, the reasons, the frozen determination, and the decision's
transition; a decision superseded when the case goes back to be investigated again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
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
from rongcuo.registry.models import Role, RoleGrant
from rongcuo.review import permissions as review_perm
from rongcuo.review.models import Decision, Panel


@transaction.atomic
def committee_decide(*, case: Case, actor: Any, decision: str, reasons: str, members_present: list[str],
                     votes: Mapping[str, str], clauses: list[str] | None = None,
                     expected_version: int | None = None) -> Decision:
    """Record the collective decision and take the procedure's decision transition.

    The engine's determination and trace and the panel's findings are frozen with it. Departing from the
    engine requires written reasons; a refusal always carries reasons and the clauses relied on.
    """
    # Who decides is the pack's: the roles of its decision transitions (e.g. 深圳 组织决定 by the department).
    proc0 = case_sel.pack_procedure(pack_of(case))
    deciders = {r for t in proc0.transitions if t.records_decision for r in t.by}
    perm.require_any(actor, case, deciders or review_perm.DECIDERS, "作出集体审定", "record the collective decision")
    case = case_svc.case_lock(case, expected_version)
    if decision not in ("exempt", "not_exempt"):
        raise Invalid("决定应为 exempt（免责）或 not_exempt（不予免责）", "decision must be exempt or not_exempt",
                      field="decision")
    if hasattr(case, "decision"):
        raise Conflict("本案已作出决定", "this case has already been decided", field="decision")
    members_present = list(dict.fromkeys(m.strip() for m in members_present if isinstance(m, str) and m.strip()))
    if not members_present:
        raise Invalid("请登记出席成员", "list the members present", field="members_present")
    committee = committee_members(case, actor)
    unknown = [m for m in members_present if m not in committee]
    if unknown:
        raise Invalid(f"出席成员须为本案主管部门集体审定成员，以下不是：{'、'.join(unknown)}",
                      f"members present must hold the committee role for this case's bureau; these do not: "
                      f"{', '.join(unknown)}", field="members_present")
    bad_votes = {k: v for k, v in votes.items() if v not in ("exempt", "not_exempt", "abstain")}
    if bad_votes or set(votes) - set(members_present):
        raise Invalid("表决只能由出席成员作出，取值 exempt / not_exempt / abstain",
                      "votes come from members present, each exempt, not_exempt or abstain", field="votes")
    res = case_sel.case_evaluate(case)
    departs = res.outcome in ("exempt", "not_exempt") and res.outcome != decision
    if res.outcome == "undetermined":
        facts = pack_of(case).facts  # the facts still needed, by their labels
        labels = [facts[f].label if f in facts else Text(zh=f, en=f) for f in res.needed]
        raise Conflict("引擎结论仍为待定，请先查明：" + "、".join(t.zh for t in labels),
                       "The determination is still undetermined; establish first: " + "; ".join(t.en for t in labels),
                       field="decision")
    # 集体审定: every member present votes (abstaining is a vote), and the decision needs more than half of them.
    silent = [m for m in members_present if m not in votes]
    if silent:
        raise Invalid(f"每位出席成员都须表决（可弃权），尚未表决：{'、'.join(silent)}",
                      f"every member present votes (abstaining counts); no vote from: {', '.join(silent)}",
                      field="votes")
    tally = Counter(votes.values())
    if tally[decision] * 2 <= len(members_present):
        raise Invalid(f"表决结果（{dict(tally)}）未过出席成员半数，不能作出该决定",
                      f"the vote ({dict(tally)}) has no majority of members present for this decision", field="votes")
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
    record = Decision.objects.create(
        case=case, for_case=case, decision=decision, engine_outcome=res.outcome, departs_from_engine=departs,
        reasons=reasons or "与引擎认定一致 / as determined", clauses=clauses, members_present=members_present,
        votes=dict(votes), determination=res.record(), panel_findings=panel.conclusion if panel else None,
        decided_by=actor, decided_on=case_clock.today())
    after = {"decision": decision, "engine": res.outcome, "departs": departs, "votes": dict(votes),
             "members_present": members_present, "clauses": clauses, "pack_hash": res.pack.content_hash}
    # The decision's event is written by the transition, after the letter of a case it archives is rendered.
    case_svc.case_transition(case=case, actor=actor, action=t.action, reason=reasons or "与引擎认定一致",
                             _decision=decision, _decision_event=lambda: audit_append(
                                 actor=actor, action="committee.decide", subject=case, after=after))
    return record


def committee_members(case: Case, actor: Any = None) -> list[str]:
    """Usernames holding the committee role for the case's bureau: who may be recorded as present. An
    administrator acting for a bureau that has no committee member on record stands in (as on the page)."""
    names = set(RoleGrant.objects.filter(role=Role.committee, organisation=case.bureau)
                .values_list("user__username", flat=True))
    if not names and actor is not None and perm.is_admin(actor):
        names.add(actor.get_username())
    return sorted(names)


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
