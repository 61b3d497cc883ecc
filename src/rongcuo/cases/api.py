"""The cases' API: filing, facts, evidence, the procedure's steps, deadlines and a case's audit trail.
Thin: every write calls a service function."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import TextField
from django.db.models.functions import Cast
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from rongcuo.audit import selectors as audit_selectors
from rongcuo.cases import permissions as perm
from rongcuo.cases import selectors as sel
from rongcuo.cases import services as svc
from rongcuo.cases.models import Case, Deadline, DeadlineStatus, Objection
from rongcuo.cases.selectors import lists, needs, records
from rongcuo.cases.selectors.record import pack_or_none
from rongcuo.common.api import Whole, listed
from rongcuo.common.errors import Forbidden, Invalid, NotFound, check_page
from rongcuo.registry.models import Person, Project

# --- schemas ------------------------------------------------------------------------------------------

class AuditOut(Schema):
    seq: int
    at: dt.datetime
    actor_name: str
    action: str
    subject_type: str
    subject_id: str
    before: Any
    after: Any
    hash: str


class VerifyOut(Schema):
    ok: bool
    checked: int
    first_broken: int | None
    reason: str


class CaseIn(Schema):
    project_id: Whole
    applicant_id: Whole | None = None
    failure_explanation: str
    pack_id: str | None = None
    relevant_date: dt.date | None = None
    determination_id: str | None = None


class CaseUpdateIn(Schema):
    version: Whole
    failure_explanation: str


class CaseOut(Schema):
    id: int
    number: str
    pack_id: str
    pack_version: str
    pack_hash: str
    determination_id: str
    relevant_date: dt.date
    filed_on: dt.date
    bureau_id: int
    host_unit_id: int
    applicant_id: int
    project_id: int
    stage: str
    disposition: str
    outcome: str
    routed_to: str
    awaiting_supplement_since: dt.date | None
    version: int


class FactOut(Schema):
    fact_id: str
    value: Any
    role: str
    stage: str
    established_by: str
    established_at: dt.datetime
    evidence: list[str]
    note: str
    current: bool


class DeadlineOut(Schema):
    id: int
    case_id: int
    case_number: str
    key: str
    label_zh: str
    label_en: str
    start_date: dt.date
    days: int
    day_kind: str
    extension_days: int
    extension_available: int
    due_date: dt.date | None
    provisional: bool
    status: str
    state: str


class StageChangeOut(Schema):
    from_stage: str
    to_stage: str
    action: str
    actor: str
    role: str
    reason: str
    at: dt.datetime


class TransitionOut(Schema):
    action: str
    to: str
    label_zh: str
    label_en: str
    reason_required: bool
    opinion: dict[str, str] | None  # the opinion the step records (required then), by its name in the text
    possible: bool
    unmet: str | None


class NeededFactOut(Schema):
    fact_id: str
    label: dict[str, str]
    question: dict[str, str]
    clauses: list[str]


class NeededOut(Schema):
    party: str  # the kind of finding (established_by) that may establish these facts
    label: dict[str, str]
    yours: bool  # whether the signed-in user is asked for it
    facts: list[NeededFactOut]


class CaseDetailOut(CaseOut):
    failure_explanation: str
    facts: list[FactOut]
    deadlines: list[DeadlineOut]
    history: list[StageChangeOut]
    transitions: list[TransitionOut]
    roles: list[str]
    needed: list[NeededOut]


class FactsIn(Schema):
    version: Whole | None = None
    facts: dict[str, Any]
    role: str | None = None
    evidence_ids: list[Whole] = []
    note: str = ""


class TransitionIn(Schema):
    action: str
    reason: str = ""
    opinion: str = ""  # required where the step records an opinion (the transition's `opinion` says which)
    version: Whole | None = None


class ExtendIn(Schema):
    key: str = "overall"
    reason: str
    version: Whole | None = None


class EvidenceOut(Schema):
    id: int
    kind: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


class ObjectionAnswerIn(Schema):
    answer: str
    sustained: bool


class ObjectionOut(Schema):
    id: int
    receipt_number: str | None
    status: str
    filed_at: dt.datetime
    answer_due: dt.date | None
    answer_due_provisional: bool
    answer: str
    sustained: bool | None


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    sha256: str
    url: str


class ObjectionFullOut(ObjectionOut):
    name: str
    contact: str
    text: str
    attachments: list[AttachmentOut]


class AssignIn(Schema):
    expert_username: str


# --- helpers ------------------------------------------------------------------------------------------

def _user(request: HttpRequest) -> Any:
    return request.user


def _deadline_out(d: Deadline, cal: Any = None) -> dict[str, Any]:
    return {"id": d.id, "case_id": d.case_id, "case_number": d.case.number, "key": d.key, "label_zh": d.label_zh,
            "label_en": d.label_en, "start_date": d.start_date, "days": d.days, "day_kind": d.day_kind,
            "extension_days": d.extension_days, "extension_available": d.extension_available,
            "due_date": d.due_date, "provisional": d.provisional, "status": d.status,
            "state": sel.deadline_state(d, cal=cal)}


def _deadlines_out(deadlines: list[Deadline]) -> list[dict[str, Any]]:
    """A case's deadlines (d.case is that case: no join, no re-read) with their states, on one calendar."""
    cal = sel.display_calendar(deadlines) if any(d.status == DeadlineStatus.open for d in deadlines) else None
    return [_deadline_out(d, cal) for d in deadlines]


def _case_detail(case: Case, user: Any) -> dict[str, Any]:
    out = {f: getattr(case, f) for f in CaseOut.model_fields}
    out["failure_explanation"] = case.failure_explanation
    out["facts"] = records.finding_rows(case)
    out["deadlines"] = _deadlines_out(sel.case_deadlines(case.pk, known={"case": case}))
    out["history"] = records.history_rows(case)
    out["transitions"] = [{"action": t.action, "to": t.to, "label_zh": t.label.zh, "label_en": t.label.en,
                           "reason_required": t.reason_required,
                           "opinion": t.opinion.model_dump() if t.opinion else None,
                           "possible": unmet is None, "unmet": unmet}
                          for t, unmet in sel.available_transitions(case, user)]
    out["roles"] = sorted(perm.roles_on_case(user, case))
    out["needed"] = [{"party": g["party"], "label": g["label"].model_dump(), "yours": g["mine"],
                      "facts": [{"fact_id": f["id"], "label": f["label"].model_dump(),
                                 "question": f["question"].model_dump(), "clauses": [c.id for c in f["clauses"]]}
                                for f in g["facts"]]}
                     for g in needs.case_needs(case, pack_or_none(case), out["roles"])] \
        if case.disposition == "open" else []
    return out


# --- cases --------------------------------------------------------------------------------------------

cases_router = Router(tags=["cases"])




@cases_router.get("", response=list[CaseOut])
def cases_list(request: HttpRequest, stage: str | None = None, outcome: str | None = None,
               disposition: str | None = None, awaiting: bool = False, limit: int = 100, offset: int = 0) -> Any:
    """The cases you may see, newest first; `awaiting=true`: only the open ones waiting for a finding you are
    asked for (the work queue's "awaiting me")."""
    check_page(limit, offset)
    chosen = {name: value for name, value in (("stage", stage), ("outcome", outcome), ("disposition", disposition))
              if value}
    if awaiting:
        qs = needs.awaiting_cases(request.user).filter(**chosen).order_by("-id")[offset:offset + limit]
        return listed(request, list(qs.values(*CaseOut.model_fields)))
    return listed(request, lists.case_rows(request.user, chosen, CaseOut.model_fields, limit=limit, offset=offset))


@cases_router.post("", response={201: CaseDetailOut})
def cases_create(request: HttpRequest, payload: CaseIn) -> Any:
    project = Project.objects.filter(pk=payload.project_id).select_related("bureau", "host_unit").first()
    if project is None:
        raise NotFound("项目不存在", "no such project", field="project_id")
    if payload.applicant_id is not None:
        applicant = Person.objects.filter(pk=payload.applicant_id).first()
        if applicant is None:
            raise NotFound("申请人不存在", "no such person", field="applicant_id")
    else:
        applicant = perm.person_of(request.user)
        if applicant is None:
            raise Invalid("请指定申请人", "give applicant_id", field="applicant_id")
    case = svc.case_create(actor=request.user, project=project, applicant=applicant,
                           failure_explanation=payload.failure_explanation, pack_id=payload.pack_id,
                           relevant_date=payload.relevant_date, determination_id=payload.determination_id)
    return Status(201, _case_detail(case, request.user))


@cases_router.get("/{case_id}", response=CaseDetailOut)
def cases_get(request: HttpRequest, case_id: int) -> Any:
    return _case_detail(perm.case_for(request.user, case_id), request.user)


@cases_router.patch("/{case_id}", response=CaseDetailOut)
def cases_update(request: HttpRequest, case_id: int, payload: CaseUpdateIn) -> Any:
    case = perm.case_for(request.user, case_id)
    case = svc.case_update(case=case, actor=request.user, failure_explanation=payload.failure_explanation,
                           expected_version=payload.version)
    return _case_detail(case, request.user)


@cases_router.post("/{case_id}/facts", response=CaseDetailOut)
def cases_facts(request: HttpRequest, case_id: int, payload: FactsIn) -> Any:
    case = perm.case_for(request.user, case_id)
    case = svc.case_set_facts(case=case, actor=request.user, facts=payload.facts, role=payload.role,
                              evidence_ids=payload.evidence_ids, note=payload.note, expected_version=payload.version)
    return _case_detail(case, request.user)


@cases_router.get("/{case_id}/determination")
def cases_determination(request: HttpRequest, case_id: int, assume_in_scope: bool = False) -> Any:
    if not assume_in_scope:
        # The stored determination is sent as the database holds it: no JSON parse and re-serialisation of a
        # document of several kilobytes per request, and only the columns the permission check reads.
        case = perm.case_for(request.user, case_id, only=perm.PERMISSION_COLUMNS,
                             annotate={"determination_text": Cast("determination", TextField())})
        return HttpResponse(case.determination_text or "{}", content_type="application/json; charset=utf-8")
    case = perm.case_for(request.user, case_id)
    from rongcuo.engine.render import result_json

    return result_json(sel.case_evaluate(case, assume_in_scope=True))


@cases_router.post("/{case_id}/evidence", response={201: EvidenceOut})
def cases_evidence_upload(request: HttpRequest, case_id: int, kind: Form[str], file: File[UploadedFile]) -> Any:
    case = perm.case_for(request.user, case_id)
    ev = svc.evidence_upload(case=case, actor=request.user, file=file, kind=kind, name=file.name)
    return Status(201, ev)


@cases_router.get("/{case_id}/evidence", response=list[EvidenceOut])
def cases_evidence(request: HttpRequest, case_id: int) -> Any:
    return perm.case_for(request.user, case_id).evidence.all()


class ReceiptOut(Schema):
    doc_number: str
    issued_on: dt.date
    docx_sha256: str
    pdf_sha256: str
    text_sha256: str
    docx: str
    pdf: str


def _receipt(request: HttpRequest, case_id: int) -> Any:
    case = perm.case_for(request.user, case_id)
    receipt = getattr(case, "receipt", None) if perm.may_see_receipt(request.user, case) else None
    if receipt is None:
        raise NotFound("受理回执不存在（案件尚未受理，或您无权查看）",
                       "no acceptance receipt (the case is not accepted yet, or you may not see it)", field="case_id")
    return receipt


@cases_router.get("/{case_id}/receipt", response=ReceiptOut)
def cases_receipt(request: HttpRequest, case_id: int) -> Any:
    """The acceptance receipt (受理回执), for the applicant, the host unit and the bureau."""
    r = _receipt(request, case_id)
    return {"doc_number": r.doc_number, "issued_on": r.issued_on, "docx_sha256": r.docx_sha256,
            "pdf_sha256": r.pdf_sha256, "text_sha256": r.text_sha256,
            "docx": f"/api/cases/{case_id}/receipt/docx", "pdf": f"/api/cases/{case_id}/receipt/pdf"}


@cases_router.get("/{case_id}/receipt/{fmt}")
def cases_receipt_download(request: HttpRequest, case_id: int, fmt: str) -> Any:
    r = _receipt(request, case_id)
    if fmt not in ("docx", "pdf"):
        raise NotFound("格式须为 docx 或 pdf", "the format is docx or pdf", field="fmt")
    return FileResponse((r.docx if fmt == "docx" else r.pdf).open("rb"), as_attachment=True,
                        filename=f"{r.doc_number}.{fmt}")


@cases_router.get("/{case_id}/transitions", response=list[TransitionOut])
def cases_transitions(request: HttpRequest, case_id: int) -> Any:
    case = perm.case_for(request.user, case_id)
    return _case_detail(case, request.user)["transitions"]


@cases_router.post("/{case_id}/transitions", response=CaseDetailOut)
def cases_transition(request: HttpRequest, case_id: int, payload: TransitionIn) -> Any:
    case = perm.case_for(request.user, case_id)
    case = svc.case_transition(case=case, actor=request.user, action=payload.action, reason=payload.reason,
                               opinion=payload.opinion, expected_version=payload.version)
    return _case_detail(case, request.user)


@cases_router.get("/{case_id}/deadlines", response=list[DeadlineOut])
def cases_deadlines(request: HttpRequest, case_id: int) -> Any:
    case = perm.case_for(request.user, case_id)
    return _deadlines_out(list(case.deadlines.all()))


@cases_router.post("/{case_id}/deadlines/extend", response=DeadlineOut)
def cases_extend(request: HttpRequest, case_id: int, payload: ExtendIn) -> Any:
    case = perm.case_for(request.user, case_id)
    return _deadline_out(svc.deadline_extend(case=case, actor=request.user, key=payload.key, reason=payload.reason,
                                             expected_version=payload.version))


@cases_router.post("/{case_id}/experts")
def cases_assign_expert(request: HttpRequest, case_id: int, payload: AssignIn) -> Any:
    case = perm.case_for(request.user, case_id)
    expert = get_user_model().objects.filter(username=payload.expert_username).first()
    if expert is None:
        raise NotFound("专家不存在", "no such expert", field="expert_username")
    svc.expert_assign(case=case, actor=request.user, expert=expert)
    return {"ok": True}


@cases_router.get("/{case_id}/audit", response=list[AuditOut])
def cases_audit(request: HttpRequest, case_id: int) -> Any:
    case = perm.case_for(request.user, case_id)
    perm.require_any(request.user, case, {"caseworker", "auditor", "committee"}, "查看审计日志",
                     "read the audit trail", reading=True)
    return audit_selectors.events_of(case)


OBJECTION_READERS = {"caseworker", "nsf_office", "committee", "auditor"}  # as the case page's objections section


@cases_router.get("/{case_id}/objections", response=list[ObjectionFullOut])
def cases_objections(request: HttpRequest, case_id: int) -> Any:
    """The case's objections with their receipt numbers, answer dates and attachments (bureau staff, auditors)."""
    case = perm.case_for(request.user, case_id)
    perm.require_any(request.user, case, OBJECTION_READERS, "查看异议", "read objections", reading=True)
    return [{"id": o.id, "receipt_number": o.receipt_number, "status": o.status, "filed_at": o.filed_at,
             "answer_due": o.answer_due, "answer_due_provisional": o.answer_due_provisional, "answer": o.answer,
             "sustained": o.sustained, "name": o.name, "contact": o.contact, "text": o.text,
             "attachments": [{"id": a.id, "name": a.original_name, "size": a.size, "sha256": a.sha256,
                              "url": reverse("case_objection_attachment", args=[case.id, o.id, a.id])}
                             for a in o.attachments.all()]}
            for o in case.objections.prefetch_related("attachments").order_by("filed_at", "id")]


@cases_router.post("/{case_id}/objections/{objection_id}/answer", response=ObjectionOut)
def cases_object_answer(request: HttpRequest, case_id: int, objection_id: int, payload: ObjectionAnswerIn) -> Any:
    case = perm.case_for(request.user, case_id)
    obj = Objection.objects.filter(pk=objection_id, case=case).first()
    if obj is None:
        raise NotFound("异议不存在", "no such objection", field="objection_id")
    return svc.objection_answer(objection=obj, actor=request.user, answer=payload.answer, sustained=payload.sustained)


# --- deadlines and audit ------------------------------------------------------------------------------

deadlines_router = Router(tags=["deadlines"])


@deadlines_router.get("", response=list[DeadlineOut])
def deadlines(request: HttpRequest, state: str | None = None, limit: int = 100, offset: int = 0) -> Any:
    """Open deadlines of the cases you may see, earliest due first; `state` = overdue | due_soon | on_track |
    paused; `limit` (1–500, default 100) and `offset` page through them."""
    check_page(limit, offset)
    return listed(request, lists.deadline_rows(request.user, state=state, limit=limit, offset=offset))


# --- the audit trail as a whole (its API is here: who may verify it is a question of roles) -----------------

audit_router = Router(tags=["audit"])


@audit_router.get("/verify", response=VerifyOut)
def audit_verify_api(request: HttpRequest) -> Any:
    if not (perm.is_admin(request.user) or perm.is_auditor(request.user)):
        raise Forbidden("仅限审计人员或管理员", "auditors and administrators only", field="role")
    r = audit_selectors.audit_verify()
    return {"ok": r.ok, "checked": r.checked, "first_broken": r.first_broken, "reason": r.reason}


