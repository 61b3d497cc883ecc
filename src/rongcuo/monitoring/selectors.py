"""Reads of monitoring, shared by the pages and the API: open warnings counted (the dashboard's tables), a
correction with its timeline and documents, a project's corrections, the notice served."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch

from rongcuo.common.errors import NotFound
from rongcuo.monitoring.models import (
    CorrectionCase,
    CorrectionDocument,
    CorrectionEvent,
    EarlyWarning,
    Inspection,
    MonitoringSweep,
    WarningStatus,
)
from rongcuo.monitoring.models import CorrectionState as S
from rongcuo.monitoring.services.corrections import ACTIONS, OPEN_STATES
from rongcuo.registry.models import Organisation, OrgKind, Project


def _related(case: CorrectionCase, name: str, qs: Any) -> Any:
    """A case's related rows: prefetched ones (`correction_history`) if there, else `qs` (one query)."""
    return getattr(case, "_prefetched_objects_cache", {}).get(name, qs)


def correction_detail(case: CorrectionCase, *, timeline_only: bool = False) -> dict[str, Any]:
    """One correction with its timeline and documents (read-only data for the API and the pages);
    `timeline_only` leaves out the documents and the warnings behind it (no query for them)."""
    events = [{"action": e.action, "from_state": e.from_state, "to_state": e.to_state,
               "label": _action_label(e.action), "actor": e.actor.get_username() if e.actor else "system",
               "role": e.role, "on": e.on, "at": e.at, "data": e.data}
              for e in _related(case, "events", case.events.select_related("actor"))]
    out: dict[str, Any] = {
        "id": case.id, "number": case.number, "project_id": case.project_id, "project_code": case.project.code,
        "project_title": case.project.title, "bureau_id": case.bureau_id, "pack_ref": f"{case.pack_id}@"
        f"{case.pack_version}", "pack_hash": case.pack_hash, "state": case.state,
        "state_label": state_label(case.state), "problem": case.problem, "requirements": case.requirements,
        "opened_on": case.opened_on, "notice_number": case.notice_number, "notice_served_on": case.notice_served_on,
        "interview_at": case.interview_at, "interview_place": case.interview_place,
        "interview_held_on": case.interview_held_on, "interview_record": case.interview_record,
        "rectify_due": case.rectify_due, "rectify_days": case.rectify_days, "rectify_day_kind": case.rectify_day_kind,
        "rectify_provisional": case.rectify_provisional, "rectification": case.rectification,
        "rectification_submitted_on": case.rectification_submitted_on, "verified_on": case.verified_on,
        "verification_passed": case.verification_passed, "verification_notes": case.verification_notes,
        "escalated_on": case.escalated_on, "escalation_reason": case.escalation_reason, "measure": case.measure,
        "measure_text": case.measure_text, "measure_on": case.measure_on, "closed_on": case.closed_on,
        "version": case.version, "events": events,
    }
    if not timeline_only:
        out["warnings"] = [w.id for w in _related(case, "warnings", case.warnings.only("id"))]
        out["documents"] = [{"id": d.id, "kind": d.kind, "name": d.original_name, "sha256": d.sha256,
                             "size": d.size, "created_at": d.created_at} for d in case.documents.all()]
    return out


def correction_history(project: Project, *, timeline_only: bool = False) -> list[dict[str, Any]]:
    """Every correction of a project, oldest first, each with its timeline — what a caseworker handling a
    later exemption application for the project sees (read-only).

    A fixed number of queries whatever the number of corrections and steps: the corrections, then their
    steps (and, unless `timeline_only`, their documents and warnings) each in one query.
    """
    related: list[Any] = [Prefetch("events", queryset=CorrectionEvent.objects.select_related("actor"))]
    if not timeline_only:
        related += ["documents", Prefetch("warnings", queryset=EarlyWarning.objects.only("id"))]
    cases = list(CorrectionCase.objects.filter(project=project).prefetch_related(*related).order_by("opened_on", "id"))
    for c in cases:
        c.project = project  # the caller's: no join for it
    return [correction_detail(c, timeline_only=timeline_only) for c in cases]


def state_label(state: str) -> dict[str, str]:
    zh, _, en = str(S(state).label).partition(" ")
    return {"zh": zh, "en": en}


def _action_label(action: str) -> dict[str, str]:
    if action == "open":
        return {"zh": "启动纠错程序", "en": "Correction opened"}
    step = ACTIONS.get(action)
    return {"zh": step.label_zh, "en": step.label_en} if step else {"zh": action, "en": action}


def notice_file(case: CorrectionCase) -> CorrectionDocument:
    doc = case.documents.filter(kind="notice").order_by("-id").first()
    if doc is None:
        raise NotFound("尚未送达通知书", "no notice has been served", field="correction_id")
    return doc


def file_bytes(doc: CorrectionDocument) -> bytes:
    with doc.file.open("rb") as fh:
        data: bytes = fh.read()
    return data


def warning_summary(qs: Any) -> dict[str, Any]:
    """Open warnings counted by rule, by programme and by host unit (the dashboard's three tables)."""
    open_ = qs.filter(status=WarningStatus.open)
    return {
        "open": open_.count(),
        "by_rule": list(open_.values("rule_id").annotate(n=Count("id")).order_by("-n", "rule_id")),
        "by_programme": list(open_.values("project__programme").annotate(n=Count("id")).order_by(
            "-n", "project__programme")),
        "by_unit": list(open_.values("project__host_unit_id", "project__host_unit__name_zh",
                                     "project__host_unit__name_en").annotate(
            n=Count("id")).order_by("-n", "project__host_unit_id")),
    }


def bureaus_of(user: Any, visible: set[int] | None) -> list[Organisation]:
    """The bureaus whose monitoring the user reads (`visible`: their ids, None for every bureau), by code."""
    qs = Organisation.objects.filter(kind=OrgKind.bureau) if visible is None else Organisation.objects.filter(
        pk__in=visible)
    return list(qs.order_by("code"))


def open_corrections(bureau: Organisation) -> list[CorrectionCase]:
    """The bureau's corrections still running, the one to rectify first first."""
    return list(CorrectionCase.objects.filter(bureau=bureau, state__in=OPEN_STATES).select_related(
        "project", "project__host_unit").order_by("rectify_due", "id"))


def recent_warnings(bureau: Organisation, n: int = 20) -> list[EarlyWarning]:
    """The bureau's `n` newest open warnings."""
    return list(EarlyWarning.objects.filter(bureau=bureau, status=WarningStatus.open).select_related(
        "project", "project__host_unit").order_by("-raised_on", "-id")[:n])


def bureau_warning_summary(bureau: Organisation) -> dict[str, Any]:
    return warning_summary(EarlyWarning.objects.filter(bureau=bureau))


def last_sweep(bureau: Organisation) -> MonitoringSweep | None:
    return MonitoringSweep.objects.filter(bureau=bureau).first()


def recent_inspections(bureau: Organisation, n: int = 10) -> list[Inspection]:
    return list(Inspection.objects.filter(bureau=bureau)[:n])
