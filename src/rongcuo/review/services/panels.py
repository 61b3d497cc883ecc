"""Expert panels (专家评审): drawn at random from the pool without conflicts of interest, replayable from their seed,
kept to the pack's rules or used with a recorded reason, a member who declines replaced in seed order."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.cases import permissions as perm
from rongcuo.cases import services as case_svc
from rongcuo.cases.models import Case, Disposition, ExpertAssignment
from rongcuo.common.errors import Conflict, Invalid, NotFound
from rongcuo.common.packs import pack_of
from rongcuo.engine.model import PanelRules
from rongcuo.review import permissions as review_perm
from rongcuo.review.models import Decision, Expert, MemberStatus, Panel, PanelMember


def panel_rules(case: Case) -> PanelRules:
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
    perm.require_any(actor, case, review_perm.PANEL_MANAGERS, "组织专家评审", "draw the expert panel")
    rules = panel_rules(case)
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
    perm.require_any(actor, case, review_perm.PANEL_MANAGERS, "调整专家组", "change the panel")
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
    rules = panel_rules(panel.for_case)
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
        perm.require_any(actor, case, review_perm.PANEL_MANAGERS, "调整专家组", "change the panel")
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
    panel.rule_breaches = _breaches(panel_rules(case), active)
    panel.save(update_fields=["rule_breaches"])
    case_svc.case_bump(case)
    audit_append(actor=actor, action="panel.decline", subject=case,
                 after={"expert": member.expert_id, "reason": reason.strip(),
                        "replacement": replacement.expert_id if replacement else None,
                        "breaches": panel.rule_breaches})
    return replacement
