"""Expert panels, reviews, the collective decision, and what follows it (letters, marks, obligations).

Every function is one transaction with its audit event; errors are `rongcuo.common.errors.ServiceError`s.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.cases import permissions as perm
from rongcuo.cases import services as case_svc
from rongcuo.cases.models import Case, Disposition, ExpertAssignment
from rongcuo.common.errors import Conflict, Forbidden, Invalid, NotFound
from rongcuo.common.packs import pack_of
from rongcuo.engine.facts import InputError, parse_facts
from rongcuo.engine.model import PanelRules, Text
from rongcuo.registry.models import ExemptionMark, Project, Role, RoleGrant
from rongcuo.review.models import (
    Decision,
    Expert,
    IntegrityRecord,
    Letter,
    MemberStatus,
    Obligation,
    ObligationStatus,
    Panel,
    PanelMember,
    Review,
)
from rongcuo.workdays.services import due_date

# --- panels -------------------------------------------------------------------------------------------


def _rules(case: Case) -> PanelRules:
    proc = pack_of(case).procedure
    if proc is None or proc.panel is None:
        raise Invalid("本程序没有专家评审环节", "this procedure has no expert panel", field="case")
    return proc.panel


def panel_conflicts(case: Case, expert: Expert) -> str | None:
    """Why an expert may not sit on this case's panel (回避), or None."""
    project = case.project
    units = {case.host_unit_id, case.applicant.unit_id, project.host_unit_id}
    if expert.unit_id and expert.unit_id in units:
        return "与申请人或承担单位同一单位 / same unit as the applicant or host unit"
    if set(expert.conflict_units.values_list("id", flat=True)) & units:
        return "申报的利益冲突单位 / declared conflict with the unit"
    people = {case.applicant_id, project.lead_id, *project.co_investigators.values_list("id", flat=True)}
    if set(expert.conflict_people.values_list("id", flat=True)) & people:
        return "申报的利益冲突人员 / declared conflict with a person on the project"
    if expert.person_id and expert.person_id in people:
        return "本项目参与人员 / works on the project"
    return None


def _order(candidates: list[int], seed: str) -> list[int]:
    """The candidates in the order the seed puts them: replayable, and shown to be random."""
    order = sorted(candidates)
    random.Random(seed).shuffle(order)
    return order


def _pick(order: list[int], size: int, expertise: Mapping[int, str], required: Iterable[str]) -> list[int]:
    """First the first candidate of each required expertise in seed order, then the rest in seed order."""
    chosen: list[int] = []
    for need in required:
        for eid in order:
            if eid not in chosen and expertise[eid] == need:
                chosen.append(eid)
                break
    for eid in order:
        if len(chosen) >= size:
            break
        if eid not in chosen:
            chosen.append(eid)
    return chosen[:max(size, len(chosen))]


def _breaches(rules: PanelRules, members: list[Expert]) -> list[str]:
    out = []
    if len(members) < rules.min_size:
        out.append(f"专家人数 {len(members)} 少于 {rules.min_size} 人 / {len(members)} experts, fewer than "
                   f"{rules.min_size}")
    have = {m.expertise for m in members}
    for need in rules.expertise:
        if need not in have:
            out.append(f"缺少{ {'technical': '技术', 'financial': '财务', 'legal': '法律'}[need] }专家 / no {need} "
                       f"expert")
    return out


@transaction.atomic
def panel_draw(*, case: Case, actor: Any, size: int | None = None, seed: str | None = None,
               override_reason: str = "") -> Panel:
    """Draw the expert panel at random from the available pool, excluding conflicts of interest.

    A panel that breaks the pack's rules (too small, missing an expertise) is formed only with a recorded
    `override_reason`, and stays flagged on the case.
    """
    case = case_svc.case_lock(case, None)
    perm.require_any(actor, case, {"caseworker", "nsf_office"}, "组织专家评审", "draw the expert panel")
    rules = _rules(case)
    previous = Panel.objects.filter(case=case).first()
    if previous is not None and not panel_redraw_allowed(case, previous):
        raise Conflict("本案已组成专家组（只有在集体审定被撤销、重新调查后才能另行抽取）",
                       "this case already has a panel (a new one can be drawn only after the decision was "
                       "superseded and the case investigated again)", field="case")
    size = size or rules.min_size
    if not 1 <= size <= 50:
        raise Invalid("专家组人数应在 1–50 之间", "panel size must be 1–50", field="size")
    pool = list(Expert.objects.filter(available=True).select_related("unit"))
    excluded: dict[str, str] = {}
    eligible: list[Expert] = []
    for e in pool:
        why = panel_conflicts(case, e)
        if why:
            excluded[str(e.pk)] = why
        else:
            eligible.append(e)
    seed = seed or secrets.token_hex(16)
    candidates = sorted(e.pk for e in eligible)
    order = _order(candidates, seed)
    by_id = {e.pk: e for e in eligible}
    chosen = _pick(order, size, {e.pk: e.expertise for e in eligible}, rules.expertise)[:size]
    members = [by_id[i] for i in chosen]
    breaches = _breaches(rules, members)
    if breaches and not override_reason.strip():
        raise Conflict("专家组不符合规则：" + "；".join(b.split(" / ")[0] for b in breaches)
                       + "。如确需使用，请填写理由", "the panel breaks the rules: "
                       + "; ".join(b.split(" / ")[1] for b in breaches) + ". Give a reason to use it anyway",
                       field="override_reason")
    now = timezone.now()
    if previous is not None:  # superseded, not deleted: its members, reviews and conclusion stay on the record
        previous.case, previous.superseded_at = None, now
        previous.save(update_fields=["case", "superseded_at"])
        old_users = previous.members.exclude(status=MemberStatus.declined).values_list("expert__user", flat=True)
        ExpertAssignment.objects.filter(case=case, expert__in=list(old_users)).delete()
    drawn_from = [{"id": e.pk, "name": e.name, "expertise": e.expertise, "unit": e.unit_id,
                   "unit_name": e.unit.name_zh if e.unit else None} for e in sorted(eligible, key=lambda e: e.pk)]
    reason = override_reason.strip()
    panel = Panel.objects.create(case=case, for_case=case, seed=seed, size=size, candidates=candidates,
                                 drawn_from=drawn_from, excluded=excluded, order=order, rule_breaches=breaches,
                                 override_reason=reason, override_breaches=breaches if reason else [],
                                 drawn_by=actor, drawn_at=now)
    for e in members:
        PanelMember.objects.create(panel=panel, expert=e)
        ExpertAssignment.objects.get_or_create(case=case, expert=e.user)
    case_svc.case_bump(case)
    audit_append(actor=actor, action="panel.draw", subject=case,
                 after={"seed": seed, "candidates": candidates, "excluded": excluded, "members": chosen,
                        "breaches": breaches, "override_reason": reason,
                        "supersedes": previous.pk if previous is not None else None})
    return panel


def panel_redraw_allowed(case: Case, panel: Panel) -> bool:
    """A case's panel is replaced only for a new round: a decision taken with it was superseded since the draw
    (the case was sent back to be investigated again) and no new decision has been taken yet."""
    return (not Decision.objects.filter(case=case).exists()
            and Decision.objects.filter(for_case=case, superseded_at__gt=panel.drawn_at).exists())


@transaction.atomic
def panel_override(*, case: Case, actor: Any, reason: str) -> Panel:
    """Record why a panel that breaks the pack's rules (e.g. after declines left it too small) is used anyway.

    The reason covers the breaches the panel has now; a later decline that adds a breach needs a new reason.
    """
    case = case_svc.case_lock(case, None)
    perm.require_any(actor, case, {"caseworker", "nsf_office"}, "调整专家组", "change the panel")
    if case.disposition != Disposition.open:
        raise Conflict("案件已办结", "the case is closed", field="case")
    panel = Panel.objects.filter(case=case).first()
    if panel is None:
        raise NotFound("本案尚未组成专家组", "this case has no panel yet", field="case")
    if not panel.rule_breaches:
        raise Conflict("本专家组符合规则，无需说明理由", "the panel keeps to the rules; no reason is needed",
                       field="override_reason")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请说明仍使用该专家组的理由", "give the reason to use this panel anyway", field="override_reason")
    if len(reason) > 5000:
        raise Invalid("理由不能超过 5000 字", "the reason may be at most 5000 characters", field="override_reason")
    before = {"override_reason": panel.override_reason, "override_breaches": panel.override_breaches}
    panel.override_reason, panel.override_breaches = reason, list(panel.rule_breaches)
    panel.save(update_fields=["override_reason", "override_breaches"])
    case_svc.case_bump(case)
    audit_append(actor=actor, action="panel.override", subject=case, before=before,
                 after={"override_reason": reason, "override_breaches": panel.override_breaches})
    return panel


def panel_replay(panel: Panel) -> list[int]:
    """Re-run the draw from its stored seed and candidate list; equals the original members (before declines)."""
    rules = _rules(panel.for_case)
    # What the draw saw of each candidate, stored with the panel: today's expert records may have changed.
    expertise = {c["id"]: c["expertise"] for c in panel.drawn_from}
    order = _order(list(panel.candidates), panel.seed)
    return _pick(order, panel.size, expertise, rules.expertise)[:panel.size]


@transaction.atomic
def panel_member_decline(*, member: PanelMember, actor: Any, reason: str) -> PanelMember | None:
    """An expert declines (or must withdraw); the next candidate in seed order replaces them."""
    if member.panel.case_id is None:
        raise Conflict("该专家组已被新抽取的专家组取代", "this panel was replaced by a new draw", field="member")
    case = case_svc.case_lock(member.panel.for_case, None)
    is_self = member.expert.user_id == getattr(actor, "pk", None)
    if not is_self:
        perm.require_any(actor, case, {"caseworker", "nsf_office"}, "调整专家组", "change the panel")
    if member.status != MemberStatus.invited:
        raise Conflict("该专家已评审或已谢绝", "this expert has already reviewed or declined", field="member")
    if not reason.strip():
        raise Invalid("请说明理由", "give a reason", field="reason")
    member.status, member.decline_reason = MemberStatus.declined, reason.strip()
    member.save()
    ExpertAssignment.objects.filter(case=case, expert=member.expert.user).delete()
    panel = member.panel
    seated = set(panel.members.values_list("expert_id", flat=True))
    experts = {e.pk: e for e in Expert.objects.filter(pk__in=panel.order, available=True)}
    replacement = None
    # Prefer the next candidate with the same expertise, so the mix is kept; else the next one at all.
    for same in (True, False):
        for eid in panel.order:
            e = experts.get(eid)
            if e and eid not in seated and (not same or e.expertise == member.expert.expertise):
                replacement = PanelMember.objects.create(panel=panel, expert=e, replaces=member)
                ExpertAssignment.objects.get_or_create(case=case, expert=e.user)
                break
        if replacement:
            break
    active = [m.expert for m in panel.members.exclude(status=MemberStatus.declined).select_related("expert")]
    panel.rule_breaches = _breaches(_rules(case), active)
    panel.save(update_fields=["rule_breaches"])
    case_svc.case_bump(case)
    audit_append(actor=actor, action="panel.decline", subject=case,
                 after={"expert": member.expert_id, "reason": reason.strip(),
                        "replacement": replacement.expert_id if replacement else None,
                        "breaches": panel.rule_breaches})
    return replacement


@transaction.atomic
def review_submit(*, case: Case, actor: Any, scores: Mapping[str, Any], opinion: str,
                  findings: Mapping[str, Any] | None = None, material_request: str = "") -> Review:
    """An assigned expert scores the case against the pack's criteria and gives findings and an opinion."""
    case = case_svc.case_lock(case, None)
    panel = getattr(case, "panel", None)
    member = panel and panel.members.filter(expert__user=actor, status=MemberStatus.invited).first()
    if not member:
        raise Forbidden("您不是本案专家组的在任成员", "you are not a sitting member of this case's panel",
                        field="role")
    rules = _rules(case)
    criteria = {c.id: c for c in rules.criteria}
    if set(scores) != set(criteria):
        missing = [c for cid, c in criteria.items() if cid not in scores]  # in the order the form lists them
        extra = sorted(set(scores) - set(criteria))
        raise Invalid("请对每项评审内容打分"
                      + (f"（未打分：{'、'.join(c.label.zh for c in missing)}）" if missing else "")
                      + (f"（不属于本案评审内容：{'、'.join(extra)}）" if extra else ""),
                      "Score every criterion" + (f" (not scored: {'; '.join(c.label.en for c in missing)})"
                                                 if missing else "")
                      + (f" (not a criterion of this review: {', '.join(extra)})" if extra else ""), field="scores")
    for cid, v in scores.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= rules.score_scale:
            raise Invalid(f"{criteria[cid].label.zh}：分数应为 0–{rules.score_scale}",
                          f"{criteria[cid].label.en}: a score is 0–{rules.score_scale}", field=f"scores.{cid}")
    if not opinion.strip() or len(opinion) > 10000:
        raise Invalid("请填写评审意见（不超过 10000 字）", "write an opinion (at most 10000 characters)",
                      field="opinion")
    pack = pack_of(case)
    findings = dict(findings or {})
    for fid in findings:
        f = pack.facts.get(fid)
        if f is None or "expert_panel_finding" not in {e.value for e in f.established_by}:
            raise Invalid(f"专家组不认定事实 {fid}", f"{fid} is not a fact the expert panel establishes",
                          field=f"findings.{fid}")
    try:
        parse_facts(pack.facts, {k: v for k, v in findings.items() if v is not None})
    except InputError as exc:
        raise Invalid(exc.message, exc.message, field=f"findings.{exc.field}") from None
    review = Review.objects.create(member=member, scores=dict(scores), findings=findings, opinion=opinion.strip(),
                                   material_request=material_request.strip(), submitted_at=timezone.now())
    member.status = MemberStatus.reviewed
    member.save(update_fields=["status"])
    case_svc.case_bump(case)
    audit_append(actor=actor, action="review.submit", subject=case,
                 after={"scores": dict(scores), "findings": findings, "material_request": bool(material_request)})
    return review


def panel_aggregate(panel: Panel) -> dict[str, Any]:
    """Mean (or median) score per criterion; per fact the majority (or unanimous) finding, ties unknown."""
    rules = _rules(panel.for_case)
    reviews = [m.review for m in panel.members.filter(status=MemberStatus.reviewed).select_related("review")]
    agg = statistics.mean if rules.score_aggregation == "mean" else statistics.median
    scores = {c.id: round(agg([r.scores[c.id] for r in reviews]), 2) if reviews else None for c in rules.criteria}
    votes: dict[str, Counter[Any]] = {}
    for r in reviews:
        for fid, v in r.findings.items():
            votes.setdefault(fid, Counter())[v] += 1
    findings: dict[str, Any] = {}
    for fid, counter in votes.items():
        top, n = counter.most_common(1)[0]
        if rules.finding_aggregation == "unanimous":
            findings[fid] = top if n == len(reviews) else None
        else:
            findings[fid] = top if n * 2 > len(reviews) else None
    return {"reviews": len(reviews), "scores": scores, "findings": findings,
            "material_requests": [r.material_request for r in reviews if r.material_request]}


@transaction.atomic
def panel_conclude(*, case: Case, actor: Any) -> Panel:
    """Turn the panel's reviews into findings with provenance ("expert panel, date, case documents")."""
    case = case_svc.case_lock(case, None)
    perm.require_any(actor, case, {"caseworker", "nsf_office"}, "汇总专家组意见", "conclude the panel")
    panel = getattr(case, "panel", None)
    if panel is None:
        raise NotFound("本案尚未组成专家组", "this case has no panel yet", field="case")
    if panel.concluded_at:
        raise Conflict("专家组意见已汇总", "the panel has already concluded", field="case")
    pending = panel.members.filter(status=MemberStatus.invited).count()
    if pending:
        raise Conflict(f"尚有 {pending} 名专家未提交评审意见", f"{pending} experts have not reviewed yet", field="case")
    result = panel_aggregate(panel)
    if not result["reviews"]:
        raise Conflict("没有专家提交评审意见", "no expert has reviewed", field="case")
    panel.concluded_at, panel.conclusion = timezone.now(), result
    panel.save(update_fields=["concluded_at", "conclusion"])
    facts = {k: v for k, v in result["findings"].items() if v is not None}
    if facts:
        case_svc.case_set_facts(case=case, actor=actor, facts=facts, role="expert_panel_finding",
                                note=f"专家组评审结论（{result['reviews']} 名专家，{timezone.localdate()}，"
                                     f"依据本案材料） / expert panel conclusion ({result['reviews']} experts, "
                                     "on the case documents)")
    audit_append(actor=actor, action="panel.conclude", subject=case, after=result)
    return panel


# --- collective decision ------------------------------------------------------------------------------

@transaction.atomic
def committee_decide(*, case: Case, actor: Any, decision: str, reasons: str, members_present: list[str],
                     votes: Mapping[str, str], clauses: list[str] | None = None,
                     expected_version: int | None = None) -> Decision:
    """Record the collective decision and take the procedure's decision transition.

    The engine's determination and trace and the panel's findings are frozen with it. Departing from the
    engine requires written reasons; a refusal always carries reasons and the clauses relied on.
    """
    # Who decides is the pack's: the roles of its decision transitions (e.g. 深圳 组织决定 by the department).
    proc0 = case_svc.pack_procedure(pack_of(case))
    deciders = {r for t in proc0.transitions if t.records_decision for r in t.by}
    perm.require_any(actor, case, deciders or {"committee"}, "作出集体审定", "record the collective decision")
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
    res = case_svc.case_evaluate(case)
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
    proc = case_svc.pack_procedure(res.pack)
    t = next((t for t in proc.transitions_from(case.stage) if decision in t.records_decision), None)
    if t is None:
        raise Conflict("当前阶段不能作出集体审定", "the collective decision cannot be taken in this stage",
                       field="decision")
    panel = Panel.objects.filter(case=case).first()
    record = Decision.objects.create(
        case=case, for_case=case, decision=decision, engine_outcome=res.outcome, departs_from_engine=departs,
        reasons=reasons or "与引擎认定一致 / as determined", clauses=clauses, members_present=members_present,
        votes=dict(votes), determination=res.record(), panel_findings=panel.conclusion if panel else None,
        decided_by=actor, decided_on=case_svc.today())
    audit_append(actor=actor, action="committee.decide", subject=case,
                 after={"decision": decision, "engine": res.outcome, "departs": departs, "votes": dict(votes),
                        "members_present": members_present, "clauses": clauses,
                        "pack_hash": res.pack.content_hash})
    case_svc.case_transition(case=case, actor=actor, action=t.action, reason=reasons or "与引擎认定一致",
                             _decision=decision)
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


# --- after the decision: letter, mark, obligations, integrity ------------------------------------------

def _obligation_due(case: Case, days: int | None, day_kind: str | None, on: dt.date) -> tuple[dt.date | None, bool]:
    if not days or not day_kind:
        return None, False
    d = due_date(start=on, days=days, day_kind=day_kind, start_day_counts=False)  # type: ignore[arg-type]
    return d.date, d.provisional


def case_archive(*, case: Case, actor: Any, on: dt.date) -> None:
    """Called when a decided case reaches its terminal stage (反馈归档): mark, obligations, letter."""
    decision = getattr(case, "decision", None)
    if decision is None or case.disposition != Disposition.decided:
        return
    res = case_svc.case_evaluate(case)
    if decision.decision == "exempt":
        ExemptionMark.objects.get_or_create(case=case, defaults={
            "project": case.project, "pack_ref": f"{case.pack_id}@{case.pack_version}", "marked_on": on,
            "note": "容错免责标注 / exemption mark"})
    made = []
    for cid, ob, days in res.obligations:
        if decision.decision not in res.pack.clauses[cid].clause.applies_on:
            continue
        if ob.id == "record_in_integrity_record":
            IntegrityRecord.objects.get_or_create(case=case, person=case.applicant, clause=cid, defaults={
                "note": ob.label.zh, "recorded_by": actor, "recorded_on": on})
            continue
        due, provisional = _obligation_due(case, days, ob.day_kind, on)
        Obligation.objects.get_or_create(case=case, key=ob.id, defaults={
            "clause": cid, "label_zh": ob.label.zh, "label_en": ob.label.en, "due_date": due,
            "provisional": provisional, "document_kind": ob.document or ""})
        made.append(ob.id)
    letter = letter_issue(case=case, on=on)
    audit_append(actor=actor, action="case.archive", subject=case,
                 after={"decision": decision.decision, "obligations": made, "letter": letter.doc_number,
                        "docx_sha256": letter.docx_sha256, "pdf_sha256": letter.pdf_sha256})


def _letter_data(case: Case, on: dt.date) -> Any:
    from rongcuo.cases import letters

    decision: Decision = case.decision
    pack = pack_of(case)
    rec = decision.determination
    facts = {f["id"]: f for f in rec.get("trace", [])}
    by_fact = case_svc.current_facts(case)
    clause_items = []
    for cid in decision.clauses:
        cl = pack.clauses[cid].clause
        clause_items.append(letters.LetterClause(cite=f"{cl.cites.article}{cl.cites.item or ''}",
                                                 label_zh=cl.label.zh, text_zh=cl.text_zh, label_en=cl.label.en))
    fact_items = []
    seen: set[str] = set()
    for cid in decision.clauses:
        for fid, value in facts.get(cid, {}).get("facts", {}).items():
            if fid in seen or fid not in pack.facts:
                continue
            seen.add(fid)
            f = by_fact.get(fid)
            from rongcuo.engine.render import fact_value_text

            fact_items.append(letters.LetterFact(
                label_zh=pack.facts[fid].label.zh, value_zh=fact_value_text(pack.facts[fid], value, "zh"),
                by=f.established_by.get_username() if f else "", at=f.established_at.date().isoformat() if f else ""))
    overrides = tuple(f"{pack.clauses[x].clause.label.zh}（{pack.clauses[x].clause.cites.article}"
                      f"{pack.clauses[x].clause.cites.item or ''}）排除了 "
                      + "、".join(pack.clauses[h].clause.label.zh for h in hits)
                      for x, hits in rec.get("overrides", {}).items())
    consequences = tuple(f"{pack.clauses[c].clause.label.zh}：「{pack.clauses[c].clause.text_zh}」"
                         for c in rec.get("consequences", []) if c in pack.clauses
                         and decision.decision in pack.clauses[c].clause.applies_on)
    obligations = tuple(letters.LetterObligation(label_zh=o.label_zh, label_en=o.label_en,
                                                 due=o.due_date.isoformat() if o.due_date else None)
                        for o in case.obligations.all())
    from rongcuo.engine.render import OUTCOME_TEXT

    outcome_text = pack.determinations[case.determination_id].outcome_labels.get(decision.decision) \
        or OUTCOME_TEXT[decision.decision]
    seq = Letter.objects.filter(issued_on__year=on.year).count() + 1
    return letters.LetterData(
        issuer_zh=case.bureau.name_zh, issuer_en=case.bureau.name_en, doc_number=f"{case.bureau.code}容〔{on.year}〕"
        f"{seq}号", title_zh=f"关于{case.applicant.name}“{case.project.title}”项目容错免责申请的认定结果通知书",
        recipient_zh=f"{case.host_unit.name_zh}、{case.applicant.name}", applicant_zh=case.applicant.name,
        project_zh=f"{case.project.code} {case.project.title}", case_number=case.number,
        pack_title_zh=pack.meta.title.zh, pack_ref=pack.ref, pack_hash=pack.content_hash, outcome=decision.decision,
        outcome_zh=outcome_text.zh, outcome_en=outcome_text.en, reasons_zh=decision.reasons,
        clauses=tuple(clause_items), facts=tuple(fact_items), overrides_zh=overrides, consequences_zh=consequences,
        obligations=obligations, remedy_zh="如对本认定结果有异议，可自收到本通知书之日起依法申请复核。",
        cc_zh=None, date=on)


def letter_issue(*, case: Case, on: dt.date) -> Letter:
    from rongcuo.cases import letters

    data = _letter_data(case, on)
    docx = letters.render_docx(data)
    pdf = letters.render_pdf(data)
    letter = Letter(case=case, doc_number=data.doc_number, docx_sha256=letters.letter_sha256(docx),
                    pdf_sha256=letters.letter_sha256(pdf), issued_on=on)
    letter.docx.save(f"{case.number}-letter.docx", ContentFile(docx), save=False)
    letter.pdf.save(f"{case.number}-letter.pdf", ContentFile(pdf), save=False)
    letter.save()
    return letter


@transaction.atomic
def obligation_fulfil(*, obligation: Obligation, actor: Any, note: str, file: Any = None) -> Obligation:
    """Record an obligation fulfilled (the applicant, or a caseworker on their behalf).

    An obligation the pack fulfils by a document (e.g. 浙江 四(二) the written failure-analysis report) takes the
    document: it is checked as any evidence is (type by content, size), stored on the case although the case is
    decided — obligations follow the decision — and linked to the obligation, with its SHA-256 in the audit event.
    A file that fails a check leaves nothing stored and the obligation open.
    """
    case = case_svc.case_lock(obligation.case, None)
    perm.require_any(actor, case, {"caseworker", "applicant"}, "登记义务履行", "record the obligation fulfilled")
    obligation = Obligation.objects.get(pk=obligation.pk)  # re-read under the case's lock
    if obligation.status != ObligationStatus.open:
        raise Conflict("该义务已履行", "the obligation is already fulfilled", field="obligation")
    if obligation.document_kind and file is None:
        raise Invalid("履行该义务须上传文件（如书面报告），请选择文件",
                      "this obligation is fulfilled by submitting a document (such as the written report): "
                      "choose a file", field="file")
    if not obligation.document_kind and file is not None:
        raise Invalid("该义务无需上传文件；如需提交证明材料，请在案件材料中上传",
                      "this obligation takes no document; upload supporting material with the case's evidence",
                      field="file")
    evidence = None
    if file is not None:
        evidence = case_svc.evidence_store(case, actor, file, obligation.document_kind,
                                            getattr(file, "name", None))
    try:
        obligation.status, obligation.fulfilled_on = ObligationStatus.fulfilled, case_svc.today()
        obligation.note, obligation.document = note, evidence
        obligation.save()
        after: dict[str, Any] = {"key": obligation.key, "on": obligation.fulfilled_on, "note": note}
        if evidence is not None:
            after.update({"evidence": evidence.pk, "kind": evidence.kind, "name": evidence.original_name,
                          "size": evidence.size, "sha256": evidence.sha256})
        audit_append(actor=actor, action="obligation.fulfil", subject=case, after=after)
    except BaseException:
        if evidence is not None:  # the rows roll back with the transaction; the stored file must go too
            evidence.file.delete(save=False)
        raise
    return obligation


def integrity_exists_column() -> Any:
    """Whether `integrity_history(case)` would find a record, as a column of a query of cases (an `EXISTS` written
    from the models' metadata, the same condition: a record of the applicant, the project's lead or one of its
    co-investigators, from another case). The case page reads it with the case (`rongcuo.common.presence`)."""
    from django.db import connection
    from django.db.models import BooleanField
    from django.db.models.expressions import RawSQL

    from rongcuo.common.presence import column as col

    q = connection.ops.quote_name
    members = Project.co_investigators.through
    record, case = IntegrityRecord, Case
    sql = (f"EXISTS (SELECT 1 FROM {q(record._meta.db_table)} WHERE {col(record, 'case')} <> {col(case, 'id')} AND "
           f"({col(record, 'person')} = {col(case, 'applicant')} "
           f"OR {col(record, 'person')} IN (SELECT {col(Project, 'lead')} FROM {q(Project._meta.db_table)} "
           f"WHERE {col(Project, 'id')} = {col(case, 'project')}) "
           f"OR {col(record, 'person')} IN (SELECT {col(members, 'person')} FROM {q(members._meta.db_table)} "
           f"WHERE {col(members, 'project')} = {col(case, 'project')})))")
    return RawSQL(sql, (), output_field=BooleanField())


def integrity_history(case: Case) -> list[IntegrityRecord]:
    """Integrity records of the applicant and the project's people from other cases (for caseworkers)."""
    from django.db.models import Q

    # One query: the co-investigators come in as a subquery on the project's membership table.
    members = Project.co_investigators.through.objects.filter(project_id=case.project_id).values("person_id")
    return list(IntegrityRecord.objects.filter(Q(person_id__in={case.applicant_id, case.project.lead_id})
                                               | Q(person_id__in=members)).exclude(case=case)
                .select_related("case", "person")  # what the page and the API show of them, no more
                .only("clause", "note", "recorded_on", "person", "person__name", "case", "case__number"))
