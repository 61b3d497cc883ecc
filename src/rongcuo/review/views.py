"""Pages of the review procedure: the panel, objections, letters, obligations and integrity records on the case
page; the expert's own cases and scoring form; the committee's decision page.

Thin, like `work_views`: reads go through `permissions` and the review services' selectors, every write is one
service call, and a ServiceError is shown beside the form that caused it with the service's status.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from rongcuo.cases import clock as case_clock
from rongcuo.cases import permissions as perm
from rongcuo.cases import selectors as case_sel
from rongcuo.cases import services as case_svc
from rongcuo.cases.models import Case, Disposition, Objection, ObjectionAttachment, Receipt
from rongcuo.cases.selectors.record import pack_or_none
from rongcuo.cases.views.case import refused
from rongcuo.cases.views.common import case_or_404, error_context
from rongcuo.common.errors import Invalid, ServiceError
from rongcuo.common.explain import stage_label, value_text
from rongcuo.common.i18n import pick, tr
from rongcuo.common.presence import may_have
from rongcuo.engine.model import FactType, Text
from rongcuo.engine.pack import Pack
from rongcuo.engine.render import OUTCOME_TEXT
from rongcuo.review import permissions as rp
from rongcuo.review import selectors
from rongcuo.review import services as review_svc
from rongcuo.review.models import Expert, Letter, MemberStatus, Obligation, Panel, PanelMember

EXPERTISE_TEXT = {"technical": Text(zh="技术专家", en="Technical"), "financial": Text(zh="财务专家", en="Financial"),
                  "legal": Text(zh="法律专家", en="Legal")}
MEMBER_TEXT = {"invited": Text(zh="待评审", en="To review"), "declined": Text(zh="已回避/谢绝", en="Declined"),
               "reviewed": Text(zh="已评审", en="Reviewed")}
VOTE_TEXT = {"exempt": Text(zh="同意免责", en="Exempt"), "not_exempt": Text(zh="不同意免责", en="Not exempt"),
             "abstain": Text(zh="弃权", en="Abstain")}


def _rules(pack: Pack | None) -> Any:
    return pack.procedure.panel if pack and pack.procedure else None


def _finding_value(pack: Pack | None, fid: str, value: Any) -> str:
    fdef = pack.facts.get(fid) if pack else None
    return value_text(fdef, value)


def panel_summary(panel: Panel, pack: Pack | None) -> dict[str, Any]:
    """The panel's scores per criterion and findings per fact (aggregated as the pack says), with the reviews."""
    rules = _rules(pack)
    reviewed = panel.members.filter(status=MemberStatus.reviewed).exists()
    agg = panel.conclusion or (review_svc.panel_aggregate(panel) if reviewed else None)
    if agg is None or rules is None:
        return {"reviews": 0}
    criteria = [{"c": c, "score": agg["scores"].get(c.id)} for c in rules.criteria]
    findings = [{"id": fid, "def": pack.facts.get(fid) if pack else None, "value": v,
                 "text": _finding_value(pack, fid, v)} for fid, v in agg["findings"].items()]
    reviews = []
    for m in panel.members.filter(status=MemberStatus.reviewed).select_related("expert", "review"):
        r = m.review
        reviews.append({"m": m, "r": r, "expertise": EXPERTISE_TEXT.get(m.expert.expertise),
                        "scores": [{"c": c, "score": r.scores.get(c.id)} for c in rules.criteria],
                        "findings": [{"def": pack.facts.get(fid) if pack else None, "id": fid,
                                      "text": _finding_value(pack, fid, v)} for fid, v in r.findings.items()]})
    return {"reviews": agg["reviews"], "criteria": criteria, "findings": findings, "scale": rules.score_scale,
            "aggregation": rules.score_aggregation, "finding_aggregation": rules.finding_aggregation,
            "material_requests": agg.get("material_requests") or [], "concluded": panel.concluded_at is not None,
            "individual": reviews}


def _stage_takes_experts(pack: Pack | None, stage: str) -> bool:
    stages = pack.procedure.stages if pack and pack.procedure else []
    with_experts = [s.id for s in stages if "expert" in s.actors]
    return not with_experts or stage in with_experts


def decision_stage(case: Case, pack: Pack | None) -> bool:
    """Whether the case is in a stage from which a transition records the collective decision."""
    if pack is None or pack.procedure is None or case.disposition != Disposition.open:
        return False
    return any(t.records_decision for t in pack.procedure.transitions_from(case.stage))


def case_review_context(case: Case, roles: set[str], pack: Pack | None) -> dict[str, Any]:
    """What the case page's review sections need (review/_case_review.html)."""
    acting = roles - perm.READ_ONLY_ROLES
    is_open = case.disposition == Disposition.open
    ctx: dict[str, Any] = {"today": case_clock.today()}
    rules = _rules(pack)
    if rules is not None and roles & rp.PANEL_VIEW_ROLES:  # a pack without panel rules never has a panel: no query
        panel = selectors.panel_of(case) if may_have(case, "panel") else None
        ctx["panel_rules"] = rules
        ctx["panel_can_act"] = is_open and bool(acting & rp.PANEL_ACT_ROLES)
        redraw = panel is not None and review_svc.panel_redraw_allowed(case, panel)
        ctx["panel_redraw"] = redraw
        ctx["panel_can_draw"] = ctx["panel_can_act"] and (panel is None or redraw) \
            and _stage_takes_experts(pack, case.stage)
        if panel is not None:
            members = list(panel.members.select_related("expert", "expert__unit", "replaces__expert"))
            ids = [int(k) for k in panel.excluded if str(k).isdigit()]
            names = {e.pk: e for e in Expert.objects.filter(pk__in=ids).select_related("unit")}
            pending = sum(1 for m in members if m.status == MemberStatus.invited)
            ctx["panel"] = {
                "p": panel, "members": [{"m": m, "expertise": EXPERTISE_TEXT.get(m.expert.expertise),
                                         "status": MEMBER_TEXT.get(m.status)} for m in members],
                "excluded": [{"e": names.get(int(k)) if str(k).isdigit() else None, "id": k, "reason": why}
                             for k, why in panel.excluded.items()],
                "pending": pending, "summary": panel_summary(panel, pack),
                "can_conclude": ctx["panel_can_act"] and panel.concluded_at is None,
                "can_override": ctx["panel_can_act"] and bool(panel.rule_breaches) and not panel.override_covers,
                "conclude_unmet": tr("尚有 {n} 名专家未提交评审意见", "{n} experts have not reviewed yet", n=pending)
                if pending else "",
            }
    notice = pack.procedure.public_notice if pack and pack.procedure else None
    if roles & rp.OBJECTION_VIEW_ROLES and notice and notice.objections:  # objections come only through a notice
        objections = list(case.objections.select_related("answered_by").prefetch_related("attachments")
                          .order_by("filed_at", "id")) \
            if may_have(case, "objections") else []
        if objections or case.stage == notice.stage:
            ctx["objections"] = objections
            ctx["objection_can_answer"] = bool(acting & rp.OBJECTION_ANSWER_ROLES)
    ctx["letters"] = list(case.letters.order_by("issued_on", "id")) if may_have(case, "letters") else []
    # the acceptance receipt (受理回执) is listed with the letters, for those it is given to (cases.permissions)
    ctx["receipt"] = Receipt.objects.filter(case=case).first() \
        if may_have(case, "receipt") and roles & perm.RECEIPT_ROLES else None
    obligations = list(case.obligations.all()) if may_have(case, "obligations") else []
    ctx["obligations"] = obligations
    ctx["obligation_can_fulfil"] = bool(acting & rp.FULFIL_ROLES)
    if roles & rp.INTEGRITY_ROLES:
        ctx["integrity"] = selectors.integrity_history(case) if may_have(case, "integrity") else []
        ctx["show_integrity"] = True
    # The current decision and the superseded ones in one read.
    decisions = selectors.decisions_of(case) \
        if may_have(case, "decisions") else []
    decision = next((d for d in decisions if d.case_id is not None), None)
    ctx["decision"] = decision
    if decision is not None:
        ctx["decision_text"] = OUTCOME_TEXT.get(decision.decision)
    ctx["superseded_decisions"] = [{"d": d, "text": OUTCOME_TEXT.get(d.decision)} for d in decisions
                                   if d.case_id is None]
    if (roles & rp.COMMITTEE_ACT_ROLES and decision_stage(case, pack)) \
            or (decision and roles & rp.COMMITTEE_VIEW_ROLES):
        ctx["committee_url"] = reverse("committee_case", args=[case.pk])
        ctx["committee_to_decide"] = decision is None and bool(roles & rp.COMMITTEE_ACT_ROLES)
    return ctx


# --- case-page actions --------------------------------------------------------------------------------

def _int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else None


@login_required
@require_POST
def panel_draw(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request.user, pk)
    raw_size, reason = request.POST.get("size", "").strip(), request.POST.get("override_reason", "")
    posted = {"size": raw_size, "override_reason": reason}
    try:
        size = _int(raw_size)
        if raw_size and size is None:
            raise Invalid("专家组人数应为整数", "the panel size is a whole number", field="size")
        panel = review_svc.panel_draw(case=case, actor=request.user, size=size, override_reason=reason)
    except ServiceError as exc:
        return refused(request, pk, exc, "panel", {**posted, "action": "draw"})
    n = panel.members.count()
    msg = tr("已抽取专家组（{n} 人）", "Panel drawn ({n} experts)", n=n)
    if panel.rule_breaches:
        msg += tr("；不符合规则之处已记录并标示", "; its departures from the rules are recorded and flagged")
    messages.success(request, msg)
    return redirect(reverse("case", args=[pk]) + "#panel-form")


@login_required
@require_POST
def panel_override(request: HttpRequest, pk: int) -> HttpResponse:
    """Record why a panel that breaks the rules (e.g. after declines) is used anyway."""
    case = case_or_404(request.user, pk)
    reason = request.POST.get("override_reason", "")
    try:
        review_svc.panel_override(case=case, actor=request.user, reason=reason)
    except ServiceError as exc:
        return refused(request, pk, exc, "panel", {"action": "override", "override_reason": reason})
    messages.success(request, tr("已记录仍使用该专家组的理由", "The reason to use this panel anyway is recorded"))
    return redirect(reverse("case", args=[pk]) + "#panel-form")


@login_required
@require_POST
def panel_conclude(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request.user, pk)
    try:
        panel = review_svc.panel_conclude(case=case, actor=request.user)
    except ServiceError as exc:
        return refused(request, pk, exc, "panel", {"action": "conclude"})
    found = sum(1 for v in (panel.conclusion or {}).get("findings", {}).values() if v is not None)
    messages.success(request, tr("专家组意见已汇总，记录 {n} 项专家组认定", "The panel has concluded; {n} panel "
                                 "findings recorded", n=found))
    return redirect(reverse("case", args=[pk]) + "#panel-form")


@login_required
@require_POST
def panel_withdraw(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """A caseworker withdraws a panel member (回避) with a reason; the next candidate in seed order replaces them."""
    case = case_or_404(request.user, pk)
    member = selectors.panel_member(case, member_pk)
    if member is None:
        raise Http404("no such panel member")
    reason = request.POST.get("reason", "")
    try:
        replacement = review_svc.panel_member_decline(member=member, actor=request.user, reason=reason)
    except ServiceError as exc:
        return refused(request, pk, exc, "panel", {"action": f"withdraw-{member_pk}", "reason": reason})
    messages.success(request, tr("{a} 已回避；{b}", "{a} withdrawn; {b}", a=member.expert.name,
                                 b=tr("由 {x} 递补", "replaced by {x}", x=replacement.expert.name) if replacement
                                 else tr("没有可递补的专家", "no expert left to replace them")))
    return redirect(reverse("case", args=[pk]) + "#panel-form")


@login_required
@require_POST
def objection_answer(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    case = case_or_404(request.user, pk)
    objection = Objection.objects.filter(pk=objection_pk, case=case).first()
    if objection is None:
        raise Http404("no such objection")
    answer, sustained = request.POST.get("answer", ""), request.POST.get("sustained", "")
    posted = {"action": str(objection_pk), "answer": answer, "sustained": sustained}
    try:
        if sustained not in ("1", "0"):
            raise Invalid("请选择异议是否成立", "say whether the objection is sustained", field="sustained")
        answered = case_svc.objection_answer(objection=objection, actor=request.user, answer=answer,
                                                         sustained=sustained == "1")
    except ServiceError as exc:
        return refused(request, pk, exc, "objections", posted)
    messages.success(request, tr("已答复异议（{s}）", "Objection answered ({s})",
                                 s=tr("成立", "sustained") if answered.sustained
                                 else tr("不成立", "not sustained")))
    return redirect(reverse("case", args=[pk]) + "#objections-form")


@login_required
def objection_attachment(request: HttpRequest, pk: int, objection_pk: int, attachment_pk: int) -> FileResponse:
    """A document filed with an objection, for those who read the case's objections."""
    case = case_or_404(request.user, pk)
    if not perm.roles_on_case(request.user, case) & rp.OBJECTION_VIEW_ROLES:
        raise Http404("no such attachment")
    att = ObjectionAttachment.objects.filter(pk=attachment_pk, objection_id=objection_pk,
                                             objection__case=case).first()
    if att is None:
        raise Http404("no such attachment")
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.original_name)


@login_required
@require_POST
def obligation_fulfil(request: HttpRequest, pk: int, obligation_pk: int) -> HttpResponse:
    case = case_or_404(request.user, pk)
    ob = Obligation.objects.filter(pk=obligation_pk, case=case).first()
    if ob is None:
        raise Http404("no such obligation")
    note = request.POST.get("note", "")
    try:
        ob = review_svc.obligation_fulfil(obligation=ob, actor=request.user, note=note,
                                          file=request.FILES.get("file"))
    except ServiceError as exc:
        return refused(request, pk, exc, "obligations", {"action": str(obligation_pk), "note": note})
    label = pick(Text(zh=ob.label_zh, en=ob.label_en or ob.label_zh))
    if ob.document is not None:
        messages.success(request, tr("已提交文件并登记履行：{x}（{n}）",
                                     "Document submitted and recorded as fulfilled: {x} ({n})",
                                     x=label, n=ob.document.original_name))
    else:
        messages.success(request, tr("已登记履行：{x}", "Recorded as fulfilled: {x}", x=label))
    return redirect(reverse("case", args=[pk]) + "#obligations-form")


@login_required
def letter_download(request: HttpRequest, pk: int, letter_pk: int, fmt: str) -> FileResponse:
    """A decision letter, for users who may read the case (checked as the API's letter route does)."""
    case = case_or_404(request.user, pk)
    letter = Letter.objects.filter(pk=letter_pk, case=case).first()
    if letter is None or fmt not in ("docx", "pdf") or (fmt == "pdf" and not letter.pdf):
        raise Http404("no such letter")
    f = letter.docx if fmt == "docx" else letter.pdf
    return FileResponse(f.open("rb"), as_attachment=True, filename=f"{letter.doc_number}.{fmt}")


# --- expert -------------------------------------------------------------------------------------------

@login_required
def expert_home(request: HttpRequest) -> HttpResponse:
    """The expert's own panel seats: only cases the expert was drawn for."""
    expert = Expert.objects.filter(user=request.user).first()
    seats = selectors.expert_seats(request.user)
    rows = []
    for m in seats:
        case = m.panel.case
        assert case is not None
        pack = pack_or_none(case)
        rows.append({"m": m, "case": case, "stage": stage_label(pack, case.stage), "status": MEMBER_TEXT[m.status],
                     "open": m.status == MemberStatus.invited and case.disposition == Disposition.open,
                     "concluded": m.panel.concluded_at is not None})
    return render(request, "review/expert.html", {"expert": expert, "rows": rows,
                                               "expertise": EXPERTISE_TEXT.get(expert.expertise) if expert else None,
                                               "todo": sum(1 for r in rows if r["open"])})


def _seat(request: HttpRequest, pk: int) -> tuple[Case, PanelMember]:
    case = case_or_404(request.user, pk)
    member = selectors.expert_seat(case, request.user)
    if member is None:
        raise Http404("not a member of this case's panel")
    return case, member


def _expert_facts(pack: Pack | None) -> list[Any]:
    if pack is None:
        return []
    return [f for f in pack.facts.values() if "expert_panel_finding" in {e.value for e in f.established_by}]


def _review_context(request: HttpRequest, case: Case, member: PanelMember, error: dict[str, Any] | None = None,
                    posted: dict[str, Any] | None = None) -> dict[str, Any]:
    pack = pack_or_none(case)
    rules = _rules(pack)
    posted = posted or {}
    current = case_sel.current_facts(case)
    field = (error or {}).get("field") or ""
    message = (error or {}).get("message", "")
    findings = []
    for f in _expert_facts(pack):
        cur = current.get(f.id)
        findings.append({"def": f, "input": "bool" if f.type is FactType.bool else
                         "enum" if f.type is FactType.enum else "text",
                         "posted": (posted.get("findings") or {}).get(f.id, ""),
                         "error": message if field == f"findings.{f.id}" else "",
                         "current": value_text(f, cur.value) if cur and cur.value is not None else ""})
    criteria = [{"c": c, "posted": (posted.get("scores") or {}).get(c.id, ""),
                 "error": message if field == f"scores.{c.id}" else ""} for c in (rules.criteria if rules else [])]
    review = getattr(member, "review", None) if member.status == MemberStatus.reviewed else None
    return {
        "case": case, "pack": pack, "member": member, "rules": rules, "findings": findings, "review": review,
        "criteria": criteria,
        "review_scores": [{"c": c, "score": review.scores.get(c.id)} for c in rules.criteria] if review and rules
        else [],
        "review_findings": [{"def": pack.facts.get(fid) if pack else None, "id": fid,
                             "text": _finding_value(pack, fid, v)} for fid, v in review.findings.items()]
        if review else [],
        "stage": stage_label(pack, case.stage), "evidence": list(case.evidence.all()),
        "error": error, "posted": posted, "field": field,
        "can_review": member.status == MemberStatus.invited and case.disposition == Disposition.open,
    }


def _labelled(error: dict[str, Any], pack: Pack | None) -> dict[str, Any]:
    """Name a criterion or a fact in the error by its label, not its id ("scores.necessity" → 必要性)."""
    field = error.get("field") or ""
    rules = _rules(pack)
    if field.startswith("scores.") and rules is not None:
        crit = next((c for c in rules.criteria if c.id == field[7:]), None)
        if crit is not None:
            error["field_label"] = pick(crit.label)
    elif field.startswith("findings.") and pack is not None and field[9:] in pack.facts:
        error["field_label"] = pick(pack.facts[field[9:]].label)
    return error


def _number(raw: str) -> Any:
    try:
        n = float(raw)
    except ValueError:
        return raw  # the service names the criterion and the scale
    return int(n) if n.is_integer() else n


@login_required
def expert_review(request: HttpRequest, pk: int) -> HttpResponse:
    case, member = _seat(request, pk)
    if request.method != "POST":
        return render(request, "review/expert_review.html", _review_context(request, case, member))
    pack = pack_or_none(case)
    rules = _rules(pack)
    raw_scores = {c.id: request.POST.get(f"score.{c.id}", "").strip() for c in (rules.criteria if rules else [])}
    scores = {k: _number(v) for k, v in raw_scores.items() if v != ""}
    raw_findings = {f.id: request.POST.get(f"finding.{f.id}", "") for f in _expert_facts(pack)}
    findings: dict[str, Any] = {}
    for f in _expert_facts(pack):
        raw = raw_findings[f.id]
        if raw in ("", "unknown"):
            continue
        if f.type is FactType.bool:
            findings[f.id] = {"1": True, "0": False}.get(raw, raw)
        elif f.type in (FactType.number, FactType.money, FactType.age):
            findings[f.id] = _number(raw)
        else:
            findings[f.id] = raw
    opinion, material = request.POST.get("opinion", ""), request.POST.get("material_request", "")
    posted = {"scores": raw_scores, "findings": raw_findings, "opinion": opinion, "material_request": material}
    try:
        review_svc.review_submit(case=case, actor=request.user, scores=scores, opinion=opinion, findings=findings,
                                 material_request=material)
    except ServiceError as exc:
        ctx = _review_context(request, case, member, _labelled(error_context(exc, "review", pack), pack), posted)
        return render(request, "review/expert_review.html", ctx, status=exc.status)
    messages.success(request, tr("评审意见已提交：{n}", "Your review of {n} is submitted", n=case.number))
    return redirect("expert_review", pk=case.pk)


@login_required
@require_POST
def expert_decline(request: HttpRequest, pk: int) -> HttpResponse:
    case, member = _seat(request, pk)
    reason = request.POST.get("reason", "")
    try:
        review_svc.panel_member_decline(member=member, actor=request.user, reason=reason)
    except ServiceError as exc:
        ctx = _review_context(request, case, member, error_context(exc, "decline", pack_or_none(case)),
                              {"reason": reason})
        return render(request, "review/expert_review.html", ctx, status=exc.status)
    messages.success(request, tr("您已谢绝评审 {n}；理由已记录，将由下一位候选专家递补。",
                                 "You have declined {n}; the reason is recorded and the next candidate replaces you.",
                                 n=case.number))
    return redirect("expert_home")


__all__ = ["case_review_context", "decision_stage", "expert_decline", "expert_home", "expert_review",
           "letter_download", "objection_answer", "objection_attachment", "obligation_fulfil", "panel_conclude",
           "panel_draw", "panel_override", "panel_summary", "panel_withdraw"]
