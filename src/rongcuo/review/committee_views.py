"""The committee's page (集体审定): the engine's determination beside the panel's findings, each member's own vote
with reasons, the tally against the quorum and majority, and the decision form (nothing chosen in advance).

Thin like the other views: each write is one service call (`committee_vote`, `committee_decide`); a ServiceError
is shown beside the form that caused it, with the service's status.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rongcuo.cases import permissions as perm
from rongcuo.cases.models import Case, ObjectionStatus
from rongcuo.cases.selectors.record import pack_or_none
from rongcuo.cases.views.common import case_or_404, error_context, posted_version
from rongcuo.common.errors import ServiceError
from rongcuo.common.explain import determination_view, stage_label
from rongcuo.common.i18n import lang, pick, tr
from rongcuo.engine.model import ClauseKind, Text
from rongcuo.engine.pack import Pack
from rongcuo.engine.render import KIND_TEXT, OUTCOME_TEXT, citation
from rongcuo.review import permissions as rp
from rongcuo.review import selectors
from rongcuo.review import services as review_svc
from rongcuo.review.models import CommitteeVote, Decision
from rongcuo.review.services.votes import MAJORITY_OF_TEXT
from rongcuo.review.views import decision_stage, panel_summary

VOTE_TEXT = {"exempt": Text(zh="同意免责", en="Agree: exempt"),
             "not_exempt": Text(zh="不同意免责", en="Disagree: not exempt"),
             "abstain": Text(zh="弃权", en="Abstain")}


def _clause_options(pack: Pack | None, det_record: dict[str, Any]) -> list[dict[str, Any]]:
    if pack is None:
        return []
    decisive = list(det_record.get("decisive") or [])
    values = {item["id"]: item.get("value") for item in det_record.get("trace", [])}
    groups: list[dict[str, Any]] = []
    for kind in ClauseKind:
        items = [{"id": c.id, "label": c.label, "cite": citation(pack, c.id), "value": values.get(c.id),
                  "decisive": c.id in decisive} for c in pack.clauses_of(kind) if c.id not in decisive
                 and c.id in values]
        if items:
            groups.append({"label": KIND_TEXT[kind], "items": items})
    first = [{"id": cid, "label": pack.clauses[cid].clause.label, "cite": citation(pack, cid),
              "value": values.get(cid), "decisive": True, "kind": KIND_TEXT.get(pack.clauses[cid].clause.kind)}
             for cid in decisive if cid in pack.clauses]
    return [{"label": None, "items": first}, *groups]


def rule_text(rule: dict[str, Any]) -> Text:
    """The quorum and majority as people read them, and where they come from."""
    of_zh, of_en = MAJORITY_OF_TEXT.get(rule.get("majority_of", ""), ("", ""))
    src = (Text(zh="政策包规定", en="set by the pack") if rule.get("source") == "pack"
           else Text(zh="平台默认（政策文本未作规定）", en="platform default (the policy text is silent)"))
    return Text(zh=f"法定人数：至少 {rule['quorum']} 的成员参加表决（弃权计入）；表决规则：同意票须超过{of_zh}的 "
                   f"{rule['majority']}（{src.zh}）",
                en=f"Quorum: at least {rule['quorum']} of the members vote (abstaining counts); majority: more than "
                   f"{rule['majority']} of {of_en} ({src.en})")


def vote_rows(votes: list[CommitteeVote]) -> list[dict[str, Any]]:
    return [{"v": v, "name": v.member_name, "text": VOTE_TEXT.get(v.vote), "replaced": v.replaced_at is not None}
            for v in votes]


def _committee_context(request: HttpRequest, case: Case, error: dict[str, Any] | None = None,
                       posted: dict[str, Any] | None = None) -> dict[str, Any]:
    pack = pack_or_none(case)
    roles = perm.roles_on_case(request.user, case)
    det = determination_view(pack, case.determination) if pack else {}
    panel = selectors.panel_of(case)
    decision: Decision | None = getattr(case, "decision", None)
    engine = case.outcome if case.outcome in ("exempt", "not_exempt") else ""
    posted = posted or {}
    voting = decision is None and decision_stage(case, pack)
    can_decide = bool(roles & rp.COMMITTEE_ACT_ROLES) and voting
    options = _clause_options(pack, case.determination or {})
    chosen = set(posted["clauses"]) if "clauses" in posted else set(case.determination.get("decisive") or [])
    for g in options:
        for item in g["items"]:
            item["checked"] = item["id"] in chosen
        g["open"] = any(item["checked"] for item in g["items"])
    ctx: dict[str, Any] = {
        "case": case, "pack": pack, "roles": roles, "det": det, "stage": stage_label(pack, case.stage),
        "panel": panel, "summary": panel_summary(panel, pack) if panel else None,
        "decision": decision, "decision_text": OUTCOME_TEXT.get(decision.decision) if decision else None,
        "can_decide": can_decide, "error": error, "posted": posted, "vote_options": list(VOTE_TEXT.items()),
        "choice": posted.get("decision", ""), "engine": engine, "engine_text": OUTCOME_TEXT.get(case.outcome),
        "clause_groups": options, "outcomes": [("exempt", OUTCOME_TEXT["exempt"]),
                                               ("not_exempt", OUTCOME_TEXT["not_exempt"])],
        "undetermined": case.outcome == "undetermined",
        "objections": list(case.objections.filter(status=ObjectionStatus.open)) if can_decide else [],
    }
    if voting and pack is not None:
        try:
            tally = review_svc.committee_tally(case, pack)
        except ServiceError as exc:  # a pack parameter without a valid share: shown, nothing decided
            ctx["rule_error"] = exc.en if lang() == "en" else exc.zh
        else:
            by_member = {v.member_id: v for v in tally.votes}
            ctx["tally"] = tally
            ctx["rule_text"] = rule_text(tally.record())
            ctx["members"] = [{"name": m.name, "vote": by_member.get(m.user_id),
                               "text": VOTE_TEXT.get(by_member[m.user_id].vote) if m.user_id in by_member else None}
                              for m in tally.members]
            ctx["mine"] = next((m for m in tally.members if m.user_id == request.user.pk), None)
            ctx["my_vote"] = by_member.get(request.user.pk)
            ctx["round_votes"] = vote_rows(review_svc.open_votes(case))
            ctx["result_text"] = OUTCOME_TEXT.get(tally.result) if tally.result else None
    if decision is not None:
        d_pack_clauses = pack.clauses if pack else {}
        ctx["decision_clauses"] = [{"id": c, "label": d_pack_clauses[c].clause.label if c in d_pack_clauses
                                    else Text(zh=c, en=c), "cite": citation(pack, c) if pack and c in
                                    d_pack_clauses else ""} for c in decision.clauses]
        ctx["decision_votes"] = vote_rows(list(decision.vote_records.order_by("cast_at", "id")))
        ctx["decision_rule"] = rule_text(decision.rule) if decision.rule.get("quorum") else None
    return ctx


def _page(request: HttpRequest, pk: int) -> Case:
    case = case_or_404(request.user, pk)
    if not perm.roles_on_case(request.user, case) & rp.COMMITTEE_VIEW_ROLES:
        raise PermissionDenied("the committee page is for the committee, caseworkers and auditors")
    return case


@login_required
def committee_case(request: HttpRequest, pk: int) -> HttpResponse:
    case = _page(request, pk)
    if request.method != "POST":
        return render(request, "review/committee.html", _committee_context(request, case))
    decision, reasons = request.POST.get("decision", ""), request.POST.get("reasons", "")
    clauses = request.POST.getlist("clauses")
    posted = {"decision": decision, "reasons": reasons, "clauses": clauses}
    try:
        record = review_svc.committee_decide(case=case, actor=request.user, decision=decision, reasons=reasons,
                                             clauses=clauses or None, expected_version=posted_version(request))
    except ServiceError as exc:
        case = case_or_404(request.user, pk)
        ctx = _committee_context(request, case, error_context(exc, "decision", pack_or_none(case)), posted)
        return render(request, "review/committee.html", ctx, status=exc.status)
    case.refresh_from_db()
    messages.success(request, tr("集体审定已记录：{d}。当前阶段：{s}", "The collective decision is recorded: {d}. "
                                 "The case is now at: {s}", d=pick(OUTCOME_TEXT[record.decision]),
                                 s=pick(stage_label(pack_or_none(case), case.stage))))
    return redirect("case", pk=case.pk)


@login_required
@require_POST
def committee_vote(request: HttpRequest, pk: int) -> HttpResponse:
    """A member records their own vote with reasons (a second vote replaces the first until the decision)."""
    case = _page(request, pk)
    vote, reasons = request.POST.get("vote", ""), request.POST.get("vote_reasons", "")
    try:
        record = review_svc.committee_vote(case=case, actor=request.user, vote=vote, reasons=reasons)
    except ServiceError as exc:
        case = case_or_404(request.user, pk)
        ctx = _committee_context(request, case, error_context(exc, "vote", pack_or_none(case)),
                                 {"vote": vote, "vote_reasons": reasons})
        return render(request, "review/committee.html", ctx, status=exc.status)
    messages.success(request, tr("您的表决已记录：{v}", "Your vote is recorded: {v}", v=pick(VOTE_TEXT[record.vote])))
    return redirect("committee_case", pk=case.pk)


__all__ = ["committee_case", "committee_vote", "rule_text", "vote_rows"]
