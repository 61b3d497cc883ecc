"""JSON API for monitoring, warnings, random inspections and corrections (mounted at /api/monitoring).

Thin: every write calls a service of `rongcuo.monitoring.services`; who may do what is decided in
`rongcuo.monitoring.permissions`. Errors are the platform's JSON errors ({"code", "message": {"zh", "en"},
"field"}), raised as `ServiceError`s and rendered by the main API's handlers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from rongcuo.cases import permissions as case_perm
from rongcuo.common.api import Number, Whole
from rongcuo.common.errors import Forbidden, Invalid, NotFound, check_page
from rongcuo.monitoring import permissions as perm
from rongcuo.monitoring import selectors
from rongcuo.monitoring import services as svc
from rongcuo.monitoring.models import (
    CorrectionCase,
    CorrectionDocument,
    CorrectionState,
    EarlyWarning,
    Inspection,
    InspectionItem,
    MajorChange,
)
from rongcuo.registry.models import Milestone

router = Router(tags=["monitoring"])
monitoring_router = router  # the name rongcuo.web.api mounts


# --- schemas ------------------------------------------------------------------------------------------

class SweepIn(Schema):
    bureau_id: Whole
    on: dt.date | None = None


class BureauIn(Schema):
    bureau_id: Whole


class ResolveIn(Schema):
    resolution: str


class MilestoneIn(Schema):
    planned_date: dt.date
    deliverable: str


class MilestoneReportIn(Schema):
    status: str
    reported_on: dt.date | None = None
    evidence: str = ""
    note: str = ""


class CheckIn(Schema):
    check_date: dt.date
    result: str
    notes: str = ""


class SpendingIn(Schema):
    as_of: dt.date
    spent_yuan: Number
    planned_yuan: Number
    note: str = ""


class ChangeIn(Schema):
    occurred_on: dt.date
    description: str
    reported_on: dt.date | None = None


class ChangeReportIn(Schema):
    reported_on: dt.date | None = None


class InspectionIn(Schema):
    bureau_id: Whole
    strata: str = "none"
    size: Whole | None = None
    sizes: dict[str, int] | None = None
    seed: str | None = None


class InspectionItemIn(Schema):
    result: str
    notes: str = ""
    findings: dict[str, str] = {}


class CorrectionIn(Schema):
    project_id: Whole
    problem: str
    warning_ids: list[Whole] = []
    inspection_item_id: Whole | None = None


class NoticeIn(Schema):
    requirements: str
    cc: str = ""
    version: Whole | None = None


class InterviewIn(Schema):
    at: dt.datetime
    place: str
    version: Whole | None = None


class InterviewRecordIn(Schema):
    record: str
    version: Whole | None = None


class RectificationIn(Schema):
    description: str
    version: Whole | None = None


class VerifyIn(Schema):
    passed: bool
    notes: str = ""
    version: Whole | None = None


class MeasureIn(Schema):
    measure: str
    text: str
    version: Whole | None = None


# --- helpers ------------------------------------------------------------------------------------------

def _warning_out(w: EarlyWarning) -> dict[str, Any]:
    return {"id": w.id, "project_id": w.project_id, "project_code": w.project.code,
            "programme": w.project.programme, "unit_id": w.project.host_unit_id,
            "unit": w.project.host_unit.name_zh, "bureau_id": w.bureau_id, "severity": w.severity,
            "raised_on": w.raised_on, "status": w.status, "resolved_on": w.resolved_on, "resolution": w.resolution,
            "pack_ref": w.pack_ref, "facts": w.facts, **svc.warning_describe(w)}


def _inspection_out(i: Inspection, items: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": i.id, "number": i.number, "bureau_id": i.bureau_id, "drawn_on": i.drawn_on, "pack_ref": i.pack_ref,
        "strata": i.strata, "sizes": i.sizes, "seed": i.seed, "sample": i.sample,
        "candidates": {s: len(ids) for s, ids in i.candidates.items()}, "drawn_by": i.drawn_by.get_username()}
    if items:
        out["items"] = [{"id": it.id, "project_id": it.project_id, "project_code": it.project.code,
                         "stratum": it.stratum, "result": it.result, "findings": it.findings, "notes": it.notes,
                         "checked_on": it.checked_on}
                        for it in i.items.select_related("project")]
    return out


def _correction_out(case: CorrectionCase, roles: set[str]) -> dict[str, Any]:
    return {**selectors.correction_detail(case), "roles": sorted(roles),
            "actions": svc.available_actions(case, roles)}


def _project_overview(project: Any) -> dict[str, Any]:
    milestones = list(project.milestones.prefetch_related("reports"))
    return {
        "id": project.id, "code": project.code, "title": project.title, "programme": project.programme,
        "status": project.status, "start_date": project.start_date, "end_date": project.end_date,
        "budget_yuan": float(project.budget_yuan), "bureau_id": project.bureau_id, "host_unit_id": project.host_unit_id,
        "milestones": [{"id": m.id, "planned_date": m.planned_date, "deliverable": m.deliverable, "status": m.status,
                        "reports": [{"status": r.status, "reported_on": r.reported_on, "evidence": r.evidence}
                                    for r in m.reports.all()]} for m in milestones],
        "midterm_checks": [{"id": c.id, "check_date": c.check_date, "result": c.result, "notes": c.notes}
                           for c in project.midterm_checks.all()],
        "spending_reports": [{"id": s.id, "as_of": s.as_of, "spent_yuan": float(s.spent_yuan),
                              "planned_yuan": float(s.planned_yuan)} for s in project.spending_reports.all()],
        "major_changes": [{"id": c.id, "occurred_on": c.occurred_on, "description": c.description,
                           "reported": c.reported, "reported_on": c.reported_on} for c in project.major_changes.all()],
        "warnings": [_warning_out(w) for w in project.monitoring_warnings.select_related(
            "project", "project__host_unit")],
    }


# --- warnings and the sweep ----------------------------------------------------------------------------

@router.post("/sweep")
def sweep(request: HttpRequest, payload: SweepIn) -> Any:
    bureau = perm.bureau_for(request.user, payload.bureau_id)
    r = svc.monitoring_sweep_request(bureau=bureau, actor=request.user, on=payload.on)
    return {"bureau": r.bureau, "on": r.on, "pack_ref": r.pack_ref, "projects": r.projects, "raised": r.raised,
            "cleared": r.cleared, "seconds": r.seconds, "by_rule": r.by_rule}


@router.get("/warnings")
def warnings(request: HttpRequest, bureau_id: int | None = None, rule: str | None = None,
             programme: str | None = None, unit_id: int | None = None, status: str = "open",
             limit: int = 200, offset: int = 0) -> Any:
    if status not in ("open", "resolved", "all"):
        raise Invalid("status 须为 open、resolved 或 all", "status must be open, resolved or all", field="status")
    check_page(limit, offset, most=1000)  # an offset past a database integer was a 500
    qs = perm.scoped(request.user, EarlyWarning.objects.select_related("project", "project__host_unit"), bureau_id)
    if status != "all":
        qs = qs.filter(status=status)
    if rule:
        qs = qs.filter(rule_id=rule)
    if programme is not None:
        qs = qs.filter(project__programme=programme)
    if unit_id is not None:
        qs = qs.filter(project__host_unit_id=unit_id)
    total = qs.count()
    return {"total": total, "items": [_warning_out(w) for w in qs.order_by("-raised_on", "id")[offset:offset + limit]]}


@router.get("/warnings/summary")
def warnings_summary(request: HttpRequest, bureau_id: int | None = None) -> Any:
    return selectors.warning_summary(perm.scoped(request.user, EarlyWarning.objects.all(), bureau_id))


@router.post("/warnings/{warning_id}/resolve")
def warning_resolve(request: HttpRequest, warning_id: int, payload: ResolveIn) -> Any:
    w = EarlyWarning.objects.select_related("project", "project__host_unit").filter(pk=warning_id).first()
    if w is None or not perm.bureau_roles(request.user, w.bureau_id):
        raise NotFound("预警不存在", "no such warning", field="warning_id")
    return _warning_out(svc.warning_resolve(warning=w, actor=request.user, resolution=payload.resolution))


# --- monitoring records of a project -------------------------------------------------------------------

@router.get("/projects/{project_id}")
def project_get(request: HttpRequest, project_id: int) -> Any:
    project, _ = perm.project_for(request.user, project_id)
    return _project_overview(project)


@router.post("/projects/{project_id}/milestones", response={201: dict})
def milestone_create(request: HttpRequest, project_id: int, payload: MilestoneIn) -> Any:
    project, _ = perm.project_for(request.user, project_id)
    m = svc.milestone_create(project=project, actor=request.user, planned_date=payload.planned_date,
                             deliverable=payload.deliverable)
    return Status(201, {"id": m.id, "planned_date": m.planned_date, "deliverable": m.deliverable, "status": m.status})


@router.post("/milestones/{milestone_id}/reports", response={201: dict})
def milestone_report(request: HttpRequest, milestone_id: int, payload: MilestoneReportIn) -> Any:
    m = Milestone.objects.select_related("project").filter(pk=milestone_id).first()
    if m is None or not perm.project_roles(request.user, m.project):
        raise NotFound("里程碑不存在", "no such milestone", field="milestone_id")
    r = svc.milestone_report(milestone=m, actor=request.user, status=payload.status, reported_on=payload.reported_on,
                             evidence=payload.evidence, note=payload.note)
    return Status(201, {"id": r.id, "milestone_id": m.id, "status": r.status, "reported_on": r.reported_on})


@router.post("/projects/{project_id}/midterm-checks", response={201: dict})
def midterm_check(request: HttpRequest, project_id: int, payload: CheckIn) -> Any:
    project, _ = perm.project_for(request.user, project_id)
    c = svc.midterm_check_record(project=project, actor=request.user, check_date=payload.check_date,
                                 result=payload.result, notes=payload.notes)
    return Status(201, {"id": c.id, "check_date": c.check_date, "result": c.result})


@router.post("/projects/{project_id}/spending-reports", response={201: dict})
def spending_report(request: HttpRequest, project_id: int, payload: SpendingIn) -> Any:
    project, _ = perm.project_for(request.user, project_id)
    s = svc.spending_report_record(project=project, actor=request.user, as_of=payload.as_of,
                                   spent_yuan=payload.spent_yuan, planned_yuan=payload.planned_yuan, note=payload.note)
    return Status(201, {"id": s.id, "as_of": s.as_of, "spent_yuan": float(s.spent_yuan),
                        "planned_yuan": float(s.planned_yuan)})


@router.post("/projects/{project_id}/major-changes", response={201: dict})
def major_change(request: HttpRequest, project_id: int, payload: ChangeIn) -> Any:
    project, _ = perm.project_for(request.user, project_id)
    c = svc.major_change_record(project=project, actor=request.user, occurred_on=payload.occurred_on,
                                description=payload.description, reported_on=payload.reported_on)
    return Status(201, {"id": c.id, "occurred_on": c.occurred_on, "reported": c.reported,
                        "reported_on": c.reported_on})


@router.post("/major-changes/{change_id}/report")
def major_change_report(request: HttpRequest, change_id: int, payload: ChangeReportIn) -> Any:
    c = MajorChange.objects.select_related("project").filter(pk=change_id).first()
    if c is None or not perm.project_roles(request.user, c.project):
        raise NotFound("重大事项变更不存在", "no such change", field="change_id")
    c = svc.major_change_report(change=c, actor=request.user, reported_on=payload.reported_on)
    return {"id": c.id, "reported": c.reported, "reported_on": c.reported_on}


# --- correction history (for the project, and for a later exemption case on it) -------------------------

@router.get("/projects/{project_id}/corrections")
def project_corrections(request: HttpRequest, project_id: int) -> Any:
    project, roles = perm.project_for(request.user, project_id)
    if not roles & perm.HISTORY_READERS:
        raise Forbidden("纠错记录仅供主管部门经办人、集体审议成员、审计和管理员查阅",
                        "correction history is for the bureau's caseworkers, committee, auditors and administrators",
                        field="role")
    return {"project_id": project.id, "project_code": project.code,
            "corrections": selectors.correction_history(project)}


@router.get("/cases/{case_id}/corrections")
def case_corrections(request: HttpRequest, case_id: int) -> Any:
    """The correction history of an exemption case's project, read-only, for those handling the case."""
    case = case_perm.case_for(request.user, case_id)
    if not case_perm.roles_on_case(request.user, case) & perm.CASE_HISTORY_READERS:
        raise Forbidden("纠错记录仅供办理本案的经办人、集体审议成员、审计和管理员查阅",
                        "correction history is for those handling the case, auditors and administrators",
                        field="role")
    return {"case_id": case.id, "case_number": case.number, "project_id": case.project_id,
            "corrections": selectors.correction_history(case.project)}


# --- random inspections ------------------------------------------------------------------------------

@router.post("/inspections", response={201: dict})
def inspection_draw(request: HttpRequest, payload: InspectionIn) -> Any:
    bureau = perm.bureau_for(request.user, payload.bureau_id)
    insp = svc.inspection_draw(bureau=bureau, actor=request.user, size=payload.size, sizes=payload.sizes,
                               strata=payload.strata, seed=payload.seed)
    return Status(201, _inspection_out(insp))


@router.get("/inspections")
def inspections(request: HttpRequest, bureau_id: int | None = None) -> Any:
    qs = perm.scoped(request.user, Inspection.objects.select_related("drawn_by"), bureau_id)
    return [_inspection_out(i, items=False) for i in qs[:200]]


def _inspection(user: Any, inspection_id: int) -> Inspection:
    i = Inspection.objects.select_related("drawn_by").filter(pk=inspection_id).first()
    if i is None or not perm.bureau_roles(user, i.bureau_id) & perm.BUREAU_READERS:
        raise NotFound("抽查不存在", "no such inspection", field="inspection_id")
    return i


@router.get("/inspections/{inspection_id}")
def inspection_get(request: HttpRequest, inspection_id: int) -> Any:
    return _inspection_out(_inspection(request.user, inspection_id))


@router.get("/inspections/{inspection_id}/replay")
def inspection_replay(request: HttpRequest, inspection_id: int) -> Any:
    i = _inspection(request.user, inspection_id)
    again = svc.inspection_replay(inspection=i)
    return {"identical": again == i.sample, "seed": i.seed, "stored": i.sample, "replayed": again}


@router.post("/inspections/{inspection_id}/items/{project_id}")
def inspection_item(request: HttpRequest, inspection_id: int, project_id: int, payload: InspectionItemIn) -> Any:
    i = _inspection(request.user, inspection_id)
    item = InspectionItem.objects.filter(inspection=i, project_id=project_id).select_related("inspection").first()
    if item is None:
        raise NotFound("该项目不在本次抽查样本中", "the project is not in this inspection's sample", field="project_id")
    item = svc.inspection_item_record(item=item, actor=request.user, result=payload.result, notes=payload.notes,
                                      findings=payload.findings)
    return {"id": item.id, "project_id": item.project_id, "result": item.result, "findings": item.findings}


# --- corrections ----------------------------------------------------------------------------------------

@router.post("/corrections/sweep")
def correction_sweep(request: HttpRequest, payload: BureauIn) -> Any:
    bureau = perm.bureau_for(request.user, payload.bureau_id)
    return {"escalated": svc.correction_sweep_request(bureau=bureau, actor=request.user)}


@router.get("/corrections")
def corrections(request: HttpRequest, bureau_id: int | None = None, state: str | None = None,
                open: bool | None = None) -> Any:
    qs = perm.scoped(request.user, CorrectionCase.objects.select_related("project"), bureau_id)
    if state:
        if state not in CorrectionState.values:
            states = ", ".join(CorrectionState.values)
            raise Invalid(f"状态须为：{states}", f"state must be one of {states}", field="state")
        qs = qs.filter(state=state)
    if open is not None:
        qs = qs.filter(state__in=svc.OPEN_STATES) if open else qs.exclude(state__in=svc.OPEN_STATES)
    return [{"id": c.id, "number": c.number, "project_id": c.project_id, "project_code": c.project.code,
             "state": c.state, "opened_on": c.opened_on, "rectify_due": c.rectify_due,
             "rectify_provisional": c.rectify_provisional} for c in qs.order_by("rectify_due", "id")[:500]]


@router.post("/corrections", response={201: dict})
def correction_open(request: HttpRequest, payload: CorrectionIn) -> Any:
    project, roles = perm.project_for(request.user, payload.project_id)
    warns = list(EarlyWarning.objects.filter(pk__in=payload.warning_ids))
    missing = set(payload.warning_ids) - {w.pk for w in warns}
    if missing:
        raise Invalid(f"预警不存在：{sorted(missing)}", f"no such warning(s): {sorted(missing)}", field="warning_ids")
    item = None
    if payload.inspection_item_id is not None:
        item = InspectionItem.objects.filter(pk=payload.inspection_item_id).first()
        if item is None:
            raise Invalid("抽查记录不存在", "no such inspection item", field="inspection_item_id")
    case = svc.correction_open(project=project, actor=request.user, problem=payload.problem, warnings=warns,
                               inspection_item=item)
    return Status(201, _correction_out(case, roles))


@router.get("/corrections/{correction_id}")
def correction_get(request: HttpRequest, correction_id: int) -> Any:
    case, roles = perm.correction_for(request.user, correction_id)
    return _correction_out(case, roles)


def _act(request: HttpRequest, correction_id: int, fn: Any, **kw: Any) -> Any:
    case, _ = perm.correction_for(request.user, correction_id)
    case = fn(case=case, actor=request.user, **kw)
    case, roles = perm.correction_for(request.user, case.pk)
    return _correction_out(case, roles)


@router.post("/corrections/{correction_id}/notice")
def correction_notice(request: HttpRequest, correction_id: int, payload: NoticeIn) -> Any:
    return _act(request, correction_id, svc.correction_serve_notice, requirements=payload.requirements,
                cc=payload.cc, expected_version=payload.version)


@router.post("/corrections/{correction_id}/interview")
def correction_interview(request: HttpRequest, correction_id: int, payload: InterviewIn) -> Any:
    return _act(request, correction_id, svc.correction_schedule_interview, at=payload.at, place=payload.place,
                expected_version=payload.version)


@router.post("/corrections/{correction_id}/interview/record")
def correction_interview_record(request: HttpRequest, correction_id: int, payload: InterviewRecordIn) -> Any:
    return _act(request, correction_id, svc.correction_hold_interview, record=payload.record,
                expected_version=payload.version)


@router.post("/corrections/{correction_id}/rectification")
def correction_rectification(request: HttpRequest, correction_id: int, payload: RectificationIn) -> Any:
    return _act(request, correction_id, svc.correction_submit_rectification, description=payload.description,
                expected_version=payload.version)


@router.post("/corrections/{correction_id}/verify")
def correction_verify(request: HttpRequest, correction_id: int, payload: VerifyIn) -> Any:
    return _act(request, correction_id, svc.correction_verify, passed=payload.passed, notes=payload.notes,
                expected_version=payload.version)


@router.post("/corrections/{correction_id}/measure")
def correction_measure(request: HttpRequest, correction_id: int, payload: MeasureIn) -> Any:
    return _act(request, correction_id, svc.correction_record_measure, measure=payload.measure, text=payload.text,
                expected_version=payload.version)


@router.post("/corrections/{correction_id}/documents", response={201: dict})
def correction_document(request: HttpRequest, correction_id: int, kind: Form[str] = "",
                        file: File[UploadedFile | None] = None) -> Any:
    case, _ = perm.correction_for(request.user, correction_id)
    if file is None:  # checked here so that the error names the field (the site's handler drops "file")
        raise Invalid("请选择要上传的文件", "choose a file to upload", field="file")
    doc = svc.correction_attach(case=case, actor=request.user, kind=kind, file=file)
    return Status(201, {"id": doc.id, "kind": doc.kind, "name": doc.original_name, "sha256": doc.sha256,
                        "size": doc.size})


@router.get("/corrections/{correction_id}/documents/{document_id}")
def correction_document_get(request: HttpRequest, correction_id: int, document_id: int) -> Any:
    case, _ = perm.correction_for(request.user, correction_id)
    doc = CorrectionDocument.objects.filter(case=case, pk=document_id).first()
    if doc is None:
        raise NotFound("文件不存在", "no such document", field="document_id")
    resp = FileResponse(doc.file.open("rb"), as_attachment=True, filename=doc.original_name,
                        content_type=doc.content_type)
    resp["X-Content-SHA256"] = doc.sha256
    return resp


@router.get("/corrections/{correction_id}/notice.docx")
def correction_notice_docx(request: HttpRequest, correction_id: int) -> Any:
    case, _ = perm.correction_for(request.user, correction_id)
    doc = selectors.notice_file(case)
    resp = FileResponse(doc.file.open("rb"), as_attachment=True, filename=doc.original_name,
                        content_type=doc.content_type)
    resp["X-Content-SHA256"] = doc.sha256
    return resp
