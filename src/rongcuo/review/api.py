"""API for expert panels, reviews, the collective decision, public notices, letters and obligations."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.renderers import JSONRenderer
from pydantic import ValidationError as PydanticValidationError

from rongcuo.cases import permissions as perm
from rongcuo.cases import services as case_svc
from rongcuo.cases.models import Case, Objection
from rongcuo.common.api import Whole
from rongcuo.common.errors import Invalid, NotFound, check_page
from rongcuo.review import permissions as review_perm
from rongcuo.review import selectors
from rongcuo.review import services as svc
from rongcuo.review.models import Letter, Obligation

T = TypeVar("T")

router = Router(tags=["review"])
public = Router(tags=["public notices"])


class PanelIn(Schema):
    size: Whole | None = None
    seed: str | None = None
    override_reason: str = ""


class DeclineIn(Schema):
    reason: str


class OverrideIn(Schema):
    reason: str


class ReviewIn(Schema):
    scores: dict[str, float]
    findings: dict[str, Any] = {}
    opinion: str
    material_request: str = ""


class DecisionIn(Schema):
    decision: str
    reasons: str = ""
    members_present: list[str]
    votes: dict[str, str] = {}
    clauses: list[str] | None = None
    version: Whole | None = None


class FulfilIn(Schema):
    note: str = ""


def _panel_out(panel: Any) -> dict[str, Any]:
    return {
        "seed": panel.seed, "size": panel.size, "candidates": panel.candidates, "order": panel.order,
        "excluded": panel.excluded,
        "rule_breaches": panel.rule_breaches, "flagged": panel.flagged, "override_reason": panel.override_reason,
        "override_breaches": panel.override_breaches, "override_covers": panel.override_covers,
        "drawn_from": panel.drawn_from,
        "concluded": panel.concluded_at is not None, "conclusion": panel.conclusion,
        "members": [{"id": m.id, "expert_id": m.expert_id, "name": m.expert.name, "expertise": m.expert.expertise,
                     "status": m.status, "decline_reason": m.decline_reason, "replaces": m.replaces_id}
                    for m in panel.members.select_related("expert")],
    }


@router.post("/{case_id}/panel", response={201: dict})
def panel_draw(request: HttpRequest, case_id: int, payload: PanelIn) -> Any:
    case = perm.case_for(request.user, case_id)
    panel = svc.panel_draw(case=case, actor=request.user, size=payload.size, seed=payload.seed,
                           override_reason=payload.override_reason)
    return Status(201, _panel_out(panel))


@router.get("/{case_id}/panel")
def panel_get(request: HttpRequest, case_id: int) -> Any:
    case = perm.case_for(request.user, case_id)
    panel = getattr(case, "panel", None)
    if panel is None:
        raise NotFound("本案尚未组成专家组", "this case has no panel yet", field="case")
    out = _panel_out(panel)
    out["replayed_members"] = svc.panel_replay(panel)
    return out


@router.post("/{case_id}/panel/members/{member_id}/decline")
def panel_decline(request: HttpRequest, case_id: int, member_id: int, payload: DeclineIn) -> Any:
    case = perm.case_for(request.user, case_id)
    member = selectors.panel_member(case, member_id)
    if member is None:
        raise NotFound("专家组成员不存在", "no such panel member", field="member_id")
    svc.panel_member_decline(member=member, actor=request.user, reason=payload.reason)
    return _panel_out(case.panel)


@router.post("/{case_id}/panel/override")
def panel_override(request: HttpRequest, case_id: int, payload: OverrideIn) -> Any:
    """Record why a panel that breaks the pack's rules (e.g. after declines) is used anyway."""
    case = perm.case_for(request.user, case_id)
    return _panel_out(svc.panel_override(case=case, actor=request.user, reason=payload.reason))


@router.post("/{case_id}/reviews", response={201: dict})
def review_submit(request: HttpRequest, case_id: int, payload: ReviewIn) -> Any:
    case = perm.case_for(request.user, case_id)
    r = svc.review_submit(case=case, actor=request.user, scores=payload.scores, findings=payload.findings,
                          opinion=payload.opinion, material_request=payload.material_request)
    return Status(201, {"id": r.id, "submitted_at": r.submitted_at})


@router.post("/{case_id}/panel/conclude")
def panel_conclude(request: HttpRequest, case_id: int) -> Any:
    case = perm.case_for(request.user, case_id)
    return _panel_out(svc.panel_conclude(case=case, actor=request.user))


@router.post("/{case_id}/decision", response={201: dict})
def decide(request: HttpRequest, case_id: int, payload: DecisionIn) -> Any:
    case = perm.case_for(request.user, case_id)
    d = svc.committee_decide(case=case, actor=request.user, decision=payload.decision, reasons=payload.reasons,
                             members_present=payload.members_present, votes=payload.votes, clauses=payload.clauses,
                             expected_version=payload.version)
    return Status(201, _decision_out(d))


def _decision_out(d: Any) -> dict[str, Any]:
    return {"decision": d.decision, "engine_outcome": d.engine_outcome, "departs_from_engine": d.departs_from_engine,
            "reasons": d.reasons, "clauses": d.clauses, "members_present": d.members_present, "votes": d.votes,
            "decided_on": d.decided_on, "pack_hash": d.determination["pack"]["content_hash"],
            "panel_findings": d.panel_findings}


@router.get("/{case_id}/decision")
def decision_get(request: HttpRequest, case_id: int) -> Any:
    case = perm.case_for(request.user, case_id)
    d = getattr(case, "decision", None)
    if d is None:
        raise NotFound("尚未作出决定（或原决定已被撤销、正在重新调查）",
                       "not decided yet (or the decision was superseded and the case is being investigated again)",
                       field="case")
    return {**_decision_out(d), "determination": d.determination, "superseded": _superseded(case)}


def _superseded(case: Case) -> list[dict[str, Any]]:
    """Earlier decisions of the case, superseded when it went back to be investigated again (kept, not deleted)."""
    return [{**_decision_out(x), "superseded_at": x.superseded_at, "superseded_reason": x.superseded_reason}
            for x in selectors.superseded_decisions(case)]


@router.get("/{case_id}/letters")
def letters_list(request: HttpRequest, case_id: int) -> Any:
    case = perm.case_for(request.user, case_id)
    return [{"id": x.id, "doc_number": x.doc_number, "issued_on": x.issued_on, "docx_sha256": x.docx_sha256,
             "pdf_sha256": x.pdf_sha256, "docx": f"/api/cases/{case.id}/letters/{x.id}/docx",
             "pdf": f"/api/cases/{case.id}/letters/{x.id}/pdf" if x.pdf else None} for x in case.letters.all()]


@router.get("/{case_id}/letters/{letter_id}/{fmt}")
def letter_download(request: HttpRequest, case_id: int, letter_id: int, fmt: str) -> Any:
    case = perm.case_for(request.user, case_id)
    letter = Letter.objects.filter(pk=letter_id, case=case).first()
    if letter is None or fmt not in ("docx", "pdf") or (fmt == "pdf" and not letter.pdf):
        raise NotFound("文书不存在", "no such letter", field="letter_id")
    f = letter.docx if fmt == "docx" else letter.pdf
    return FileResponse(f.open("rb"), as_attachment=True, filename=f"{letter.doc_number}.{fmt}")


def _obligation_out(case: Case, o: Obligation) -> dict[str, Any]:
    doc = o.document
    return {"id": o.id, "key": o.key, "clause": o.clause, "label_zh": o.label_zh, "label_en": o.label_en,
            "due_date": o.due_date, "provisional": o.provisional, "status": o.status, "fulfilled_on": o.fulfilled_on,
            "document_kind": o.document_kind or None,
            "document": {"id": doc.id, "kind": doc.kind, "name": doc.original_name, "size": doc.size,
                         "sha256": doc.sha256, "url": reverse("case_evidence_download", args=[case.id, doc.id])}
            if doc else None}


@router.get("/{case_id}/obligations")
def obligations(request: HttpRequest, case_id: int) -> Any:
    case = perm.case_for(request.user, case_id)
    return [_obligation_out(case, o) for o in case.obligations.select_related("document")]


# The fulfilment is a form with an optional file (multipart/form-data: `note`, and `file` for an obligation
# fulfilled by a document, e.g. the failure-analysis report), or, as before, JSON {"note": ...}.
FULFIL_JSON = {"requestBody": {"content": {"application/json": {"schema": {
    "title": "FulfilIn", "type": "object", "properties": {"note": {"type": "string", "default": ""}}}}}}}


@router.post("/{case_id}/obligations/{obligation_id}/fulfil", openapi_extra=FULFIL_JSON)
def obligation_fulfil(request: HttpRequest, case_id: int, obligation_id: int, note: Form[str] = "",
                      file: File[UploadedFile | None] = None) -> Any:
    """Record an obligation fulfilled: multipart (`note`, and `file` — required when the obligation has a
    `document_kind`, e.g. the failure-analysis report) or JSON `{"note": ...}` for one without a document."""
    case = perm.case_for(request.user, case_id)
    ob = Obligation.objects.filter(pk=obligation_id, case=case).first()
    if ob is None:
        raise NotFound("义务不存在", "no such obligation", field="obligation_id")
    if request.content_type == "application/json":
        note = _json_note(request)
    ob = svc.obligation_fulfil(obligation=ob, actor=request.user, note=note, file=file)
    return _obligation_out(case, ob)


def _json_note(request: HttpRequest) -> str:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise Invalid("请求格式有误（请发送合法的 JSON）", "malformed request (send valid JSON)",
                      field="body") from None
    try:
        return FulfilIn.model_validate(data).note
    except PydanticValidationError:
        raise Invalid("说明应为文字", "note must be a string", field="note") from None


@router.get("/{case_id}/integrity")
def integrity(request: HttpRequest, case_id: int) -> Any:
    """Integrity records of this case's people from other cases (caseworkers, committee, auditors)."""
    case = perm.case_for(request.user, case_id)
    perm.require_any(request.user, case, review_perm.INTEGRITY_ROLES - {"admin"},
                     "查看科研诚信记录", "read integrity records")
    return [{"person": r.person.name, "case_number": r.case.number, "clause": r.clause, "note": r.note,
             "recorded_on": r.recorded_on} for r in selectors.integrity_history(case)]


# --- public notices (no login) ------------------------------------------------------------------------

@public.get("", auth=None)
def notices(request: HttpRequest, limit: int = 100, offset: int = 0) -> Any:
    """Decisions under public notice, the notice ending first first; `limit` (1–500) and `offset` page."""
    check_page(limit, offset)
    body = selectors.notices_cached(f"api:{offset}:{limit}", lambda: JSONRenderer().render(
        request, [selectors.notice_out(*x) for x in selectors.notice_cases(offset=offset, limit=limit)],
        response_status=200))
    return HttpResponse(body, content_type="application/json; charset=utf-8")


class ObjectionIn(Schema):
    name: str
    contact: str
    text: str


@public.post("/{case_id}/objections", auth=None, response={201: dict})
def object_to(request: HttpRequest, case_id: int, payload: ObjectionIn) -> Any:
    case = Case.objects.filter(pk=case_id).first()
    if case is None or not selectors.notice_cases(case_id=case_id):
        raise NotFound("该案件不在公示期内", "no such case under public notice", field="case_id")
    review_perm.objection_rate_limit(request)
    o: Objection = case_svc.objection_file(case=case, name=payload.name, contact=payload.contact, text=payload.text)
    return Status(201, {"id": o.id, "status": o.status, "filed_at": o.filed_at})

