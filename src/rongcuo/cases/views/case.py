"""The case page and its steps: transitions, findings, evidence."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rongcuo.cases import hooks
from rongcuo.cases import permissions as perm
from rongcuo.cases import selectors as sel
from rongcuo.cases import services as svc
from rongcuo.cases.models import Case, Disposition
from rongcuo.cases.selectors import assignment, records
from rongcuo.cases.selectors import needs as needs_sel
from rongcuo.cases.selectors.record import pack_or_none
from rongcuo.cases.views.common import (
    ACCEPT,
    AUDIT_ROLES,
    AUDIT_TEXT,
    DISPOSITION_TEXT,
    UPLOAD_ROLES,
    case_or_404,
    deadline_table,
    error_context,
    posted_version,
)
from rongcuo.common.errors import Invalid, NotFound, ServiceError
from rongcuo.common.explain import determination_view, stage_label, value_text
from rongcuo.common.i18n import pick, tr
from rongcuo.common.presence import may_have
from rongcuo.engine.model import FactType, Text
from rongcuo.engine.pack import Pack
from rongcuo.engine.render import OUTCOME_TEXT
from rongcuo.engine.tasks import parties_of


def _opinion_label(pack: Pack | None, action: str) -> Any:
    """What the pack calls the opinion a step records (e.g. 单位审核意见), for the timeline."""
    proc = pack.procedure if pack else None
    t = next((x for x in proc.transitions if x.action == action), None) if proc else None
    return t.opinion if t is not None and t.opinion is not None else Text(zh="意见", en="Opinion")


def _raw(fdef: Any, value: Any) -> str:
    """A stored value as the fact form's input holds it (what `_posted_facts` reads back)."""
    if fdef.type is FactType.bool:
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _fact_input(fdef: Any) -> str:
    if fdef.type is FactType.bool:
        return "bool"
    if fdef.type is FactType.enum:
        return "enum"
    if fdef.type is FactType.date:
        return "date"
    return "number"


def case_context(request: HttpRequest, case: Case, error: dict[str, Any] | None = None,
                 posted: dict[str, Any] | None = None) -> dict[str, Any]:
    user = request.user
    pack = pack_or_none(case)
    roles = perm.roles_on_case(user, case)
    acting = roles - perm.READ_ONLY_ROLES
    is_open = case.disposition == Disposition.open
    det = determination_view(pack, case.determination) if pack else {}
    needed = {f.id for f in det.get("needed", [])}

    # Current findings and the superseded ones in one read. The materials a finding rests on are among the case's
    # uploads (read below for the materials list): their links are read as id pairs, and not at all when the case
    # has no uploads.
    findings = records.FINDINGS(case.pk, known={"case": case})
    uploaded = records.UPLOADS(case.pk, known={"case": case}) if may_have(case, "evidence") else []
    evidence_of = records.evidence_of(uploaded)
    current = {f.fact_id: f for f in findings if f.current}
    fact_rows = []
    for fid, f in sorted(current.items(), key=lambda kv: kv[1].established_at):
        fdef = pack.facts.get(fid) if pack else None
        fact_rows.append({"f": f, "def": fdef, "value": value_text(fdef, f.value) if f.value is not None
                          else tr("未知（已撤回）", "unknown (retracted)"),
                          "stage": stage_label(pack, f.stage), "evidence": evidence_of.get(f.pk, [])})
    history = sorted((f for f in findings if not f.current), key=lambda f: f.established_at, reverse=True)
    history_rows = [{"f": f, "def": pack.facts.get(f.fact_id) if pack else None,
                     "value": value_text(pack.facts.get(f.fact_id) if pack else None, f.value)
                     if f.value is not None else tr("未知", "unknown"), "stage": stage_label(pack, f.stage)}
                    for f in history]

    material_labels = {m.id: m.label for s in (pack.procedure.stages if pack and pack.procedure else [])
                       for m in s.materials}
    for c in pack.clauses.values() if pack else []:  # documents that fulfil an obligation (e.g. a report)
        for ob in c.clause.obligations:
            if ob.document:
                material_labels.setdefault(ob.document, ob.document_label or ob.label)
    evidence = [{"e": e, "kind": material_labels.get(e.kind, Text(zh=e.kind, en=e.kind))} for e in uploaded]
    have_kinds = {e.kind for e in uploaded}
    checklist = [{"stage": s.label, "m": m, "have": m.id in have_kinds}
                 for s in (pack.procedure.stages if pack and pack.procedure else []) for m in s.materials]

    timeline: list[dict[str, Any]] = []
    for sc in records.STAGE_CHANGES(case.pk, known={"case": case}):
        timeline.append({"at": sc.at, "kind": "stage", "who": sc.by_name, "role": sc.role,
                         "text": tr("{a} → {b}", "{a} → {b}", a=pick(stage_label(pack, sc.from_stage)),
                                    b=pick(stage_label(pack, sc.to_stage))),
                         "action": sc.action, "reason": sc.reason, "opinion": sc.opinion,
                         "opinion_label": _opinion_label(pack, sc.action)})
    show_audit = bool(roles & AUDIT_ROLES)
    if show_audit:
        for ev in records.AUDIT_EVENTS(str(case.pk)):
            if ev.action.startswith("case.transition."):
                continue  # shown as a stage change above
            timeline.append({"at": ev.at, "kind": "audit", "who": ev.actor_name,
                             "text": pick(AUDIT_TEXT[ev.action]) if ev.action in AUDIT_TEXT else ev.action,
                             "action": ev.action, "seq": ev.seq, "hash": ev.hash[:12]})
    timeline.sort(key=lambda x: x["at"])

    transitions = []
    for t, unmet in sel.available_transitions(case, user):
        via_committee = bool(getattr(t, "records_decision", None))
        reason = unmet
        if via_committee and not unmet:
            reason = tr("须经集体审定办理（登记出席、表决和理由）",
                        "taken through the committee decision (attendance, vote, reasons)")
        transitions.append({"t": t, "to": stage_label(pack, t.to), "unmet": pick(reason) if reason else "",
                            "disabled": bool(reason)})

    # The facts this user establishes (the kinds of finding their roles are asked for; an administrator: all),
    # needed ones first, each pre-filled with its current finding. Other parties' facts are listed read-only in
    # "still needed, by whom".
    asked = perm.parties_of(acting, pack)
    declared = {d.fact_id: d for d in case.declarations.all()}
    fact_form = []
    if is_open and pack and (asked or "admin" in acting):
        for fid, fdef in pack.facts.items():
            by = [p.value for p in parties_of(fdef)]
            kind = next((k for k in by if k in asked), by[0] if "admin" in acting and by else None)
            if kind is None:
                continue
            cur = current.get(fid)
            dec = declared.get(fid)
            to_confirm = dec is not None and dec.finding_id is None and (cur is None or cur.value is None)
            fact_form.append({"def": fdef, "input": _fact_input(fdef), "needed": fid in needed, "kind": kind,
                              "current": value_text(fdef, cur.value) if cur and cur.value is not None else "",
                              # a declaration is shown beside the input, never filled in: recording it is a finding
                              "raw": _raw(fdef, cur.value) if cur and cur.value is not None else "",
                              "declared": {"d": dec, "text": value_text(fdef, dec.value)} if to_confirm and dec
                              else None})
        fact_form.sort(key=lambda x: (not x["needed"], x["def"].id in current))
    needs = needs_sel.case_needs(case, pack, roles) if is_open else []
    declarations = [{"d": d, "def": pack.facts.get(d.fact_id) if pack else None,
                     "text": value_text(pack.facts.get(d.fact_id) if pack else None, d.value),
                     "confirmed": d.finding_id is not None} for d in declared.values()]

    assign = {"name": (case.assignee.get_full_name() or "—") if case.assignee_id else "",
              "can_claim": is_open and bool(acting & {"caseworker", "nsf_office"}) and case.assignee_id is None,
              "options": [{**u, "current": u["pk"] == case.assignee_id}
                          for u in assignment.caseworkers([case.bureau_id])]
              if is_open and svc.may_assign_others(user, case) else []}
    return {
        "assign": assign, "case": case, "pack": pack, "roles": sorted(roles), "det": det, "facts": fact_rows,
        "history": history_rows,
        "evidence": evidence, "checklist": checklist, "timeline": timeline, "show_audit": show_audit,
        "transitions": transitions, "fact_form": fact_form, "needs": needs, "declarations": declarations,
        "can_upload": is_open and bool(acting & UPLOAD_ROLES),
        "materials": [(m.id, m.label) for s in (pack.procedure.stages if pack and pack.procedure else [])
                      for m in s.materials],
        "stage": stage_label(pack, case.stage), "disposition": DISPOSITION_TEXT.get(case.disposition),
        "deadlines": deadline_table(sel.case_deadlines(case.pk, known={"case": case})), "is_open": is_open,
        "accept": ACCEPT, "error": error, "posted": posted or {},
        **_review_sections(case, roles, pack),
    }


def _review_sections(case: Case, roles: set[str], pack: Pack | None) -> dict[str, Any]:
    """What the apps built on cases show on the case page (`hooks.CASE_PAGE_SECTIONS`; review: the panel,
    objections, letters, obligations and integrity records, review/_case_review.html)."""
    context: dict[str, Any] = {}
    for section in hooks.CASE_PAGE_SECTIONS:
        context.update(section(case, roles, pack))
    return context


@login_required
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        case = perm.readable(request.user, records.PAGE_CASE.first(pk))
    except NotFound:
        raise Http404("no such case") from None
    return render(request, "cases/case.html", case_context(request, case))






@login_required
@require_POST
def case_transition(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request.user, pk)
    action, reason = request.POST.get("action", ""), request.POST.get("reason", "")
    opinion = request.POST.get("opinion", "")
    try:
        case = svc.case_transition(case=case, actor=request.user, action=action, reason=reason, opinion=opinion,
                                   expected_version=posted_version(request))
    except ServiceError as exc:
        return refused(request, pk, exc, "transition", {"action": action, "reason": reason, "opinion": opinion})
    pack = pack_or_none(case)
    messages.success(request, tr("已办理。当前阶段：{s}", "Done. The case is now at: {s}",
                                 s=pick(stage_label(pack, case.stage))))
    return redirect("case", pk=case.pk)


def _same(stored: Any, posted: Any) -> bool:
    """Whether a posted value is the stored finding again (numbers compared as numbers, dates as text)."""
    if isinstance(stored, int | float) and isinstance(posted, int | float) and not isinstance(stored, bool):
        return float(stored) == float(posted)
    return bool(stored == posted)


def _posted_facts(request: HttpRequest, pack: Pack | None) -> dict[str, Any]:
    """Only the facts the user changed: blank means keep, "null" retracts (the fact becomes unknown)."""
    out: dict[str, Any] = {}
    if pack is None:
        return out
    for key, raw in request.POST.items():
        if not key.startswith("fact.") or raw == "":
            continue
        fid = key[5:]
        fdef = pack.facts.get(fid)
        if fdef is None:
            out[fid] = raw  # the service names the unknown fact
        elif raw == "null":
            out[fid] = None
        elif fdef.type is FactType.bool:
            out[fid] = {"1": True, "0": False}.get(raw, raw)
        elif fdef.type in (FactType.number, FactType.money, FactType.age):
            try:
                n = float(raw)
                out[fid] = int(n) if n.is_integer() else n
            except ValueError:
                out[fid] = raw  # the engine's validation names the fact and what is allowed
        else:
            out[fid] = raw
    return out


@login_required
@require_POST
def case_facts(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request.user, pk)
    pack = pack_or_none(case)
    # The form is pre-filled with the current findings: only what differs from them is a new finding.
    now = {f.fact_id: f.value for f in sel.current_facts(case).values()}
    facts = {k: v for k, v in _posted_facts(request, pack).items()
             if not (k in now and now[k] is not None and v is not None and _same(now[k], v))}
    ids = [int(x) for x in request.POST.getlist("evidence_ids") if x.isdigit()]
    posted = {"facts": {k[5:]: v for k, v in request.POST.items() if k.startswith("fact.")},
              "note": request.POST.get("note", ""), "evidence_ids": ids}
    try:
        if not facts:
            raise Invalid("没有改动任何事实：请填写新的认定后再提交", "nothing was changed: enter a new finding first",
                          field="facts")
        case = svc.case_set_facts(case=case, actor=request.user, facts=facts,
                                  evidence_ids=ids, note=request.POST.get("note", ""),
                                  expected_version=posted_version(request))
    except ServiceError as exc:
        return refused(request, pk, exc, "facts", posted)
    outcome = OUTCOME_TEXT.get(case.outcome)
    messages.success(request, tr("已记录 {n} 项事实；引擎结论：{o}", "{n} facts recorded; the engine now says: {o}",
                                 n=len(facts), o=pick(outcome)))
    return redirect("case", pk=case.pk)


@login_required
@require_POST
def case_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request.user, pk)
    kind, upload = request.POST.get("kind", ""), request.FILES.get("file")
    try:
        if upload is None:
            raise Invalid("请选择要上传的文件", "choose a file to upload", field="file")
        ev = svc.evidence_upload(case=case, actor=request.user, file=upload, kind=kind, name=upload.name)
    except ServiceError as exc:
        return refused(request, pk, exc, "evidence", {"kind": kind})
    messages.success(request, tr("已上传：{n}", "Uploaded: {n}", n=ev.original_name))
    return redirect("case", pk=case.pk)


@login_required
def evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    """Only for users who may read the case (the media directory itself is never served)."""
    case = case_or_404(request.user, pk)
    ev = case.evidence.filter(pk=evidence_pk).first()
    if ev is None:
        raise Http404("no such evidence")
    return FileResponse(ev.file.open("rb"), as_attachment=True, filename=ev.original_name,
                        content_type=ev.content_type)


@login_required
def receipt_download(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    """The acceptance receipt (受理回执), for the applicant, the host unit and the bureau (`perm.RECEIPT_ROLES`)."""
    case = case_or_404(request.user, pk)
    receipt = getattr(case, "receipt", None) if perm.may_see_receipt(request.user, case) else None
    if receipt is None or fmt not in ("docx", "pdf"):
        raise Http404("no such receipt")
    return FileResponse((receipt.docx if fmt == "docx" else receipt.pdf).open("rb"), as_attachment=True,
                        filename=f"{receipt.doc_number}.{fmt}")


# --- applicant ----------------------------------------------------------------------------------------
# The applicant's page: their cases, their drafts (private to them), and the application form, which asks for
# the materials of the chosen rules (the first stage of the pack's procedure), one file input per material
# (`file.<material id>`). Filing and every upload are one transaction (`svc.application_file`/`draft_file`).


def refused(request: HttpRequest, pk: int, exc: ServiceError, form: str, posted: dict[str, Any]) -> HttpResponse:
    case = case_or_404(request.user, pk)  # re-read: the failed call changed nothing
    ctx = case_context(request, case, error_context(exc, form, pack_or_none(case), action=posted.get("action")), posted)
    return render(request, "cases/case.html", ctx, status=exc.status)
