"""The experts' reviews, and the panel's conclusion drawn from them as findings with provenance."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.cases import permissions as perm
from rongcuo.cases import services as case_svc
from rongcuo.cases.models import Case
from rongcuo.common.errors import Conflict, Forbidden, Invalid, NotFound
from rongcuo.common.packs import pack_of
from rongcuo.engine.facts import InputError, parse_facts
from rongcuo.review import permissions as review_perm
from rongcuo.review.models import MemberStatus, Panel, Review
from rongcuo.review.services.panels import panel_rules


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
    rules = panel_rules(case)
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
    rules = panel_rules(panel.for_case)
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
    perm.require_any(actor, case, review_perm.PANEL_MANAGERS, "汇总专家组意见", "conclude the panel")
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
