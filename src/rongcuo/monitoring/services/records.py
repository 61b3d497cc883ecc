"""Monitoring records: milestones and their reports, mid-term checks (中期检查), spending against plan, changes
of major matters and their reporting (重大事项调整变更报备)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from rongcuo.audit.services import audit_append
from rongcuo.common.errors import Conflict, Invalid
from rongcuo.monitoring import permissions as perm
from rongcuo.monitoring import services
from rongcuo.monitoring.models import CheckResult, MajorChange, MidTermCheck, MilestoneReport, SpendingReport
from rongcuo.monitoring.services.inputs import clean_text, money, not_future
from rongcuo.registry.models import Milestone, Project

REPORTERS = {"caseworker", "lead", "host_unit_reviewer"}


@transaction.atomic
def milestone_create(*, project: Project, actor: Any, planned_date: dt.date, deliverable: str) -> Milestone:
    """A milestone (里程碑) of a project's plan."""
    perm.require(perm.project_roles(actor, project), {"caseworker"}, "登记里程碑", "add milestones")
    m = Milestone.objects.create(project=project, planned_date=planned_date,
                                 deliverable=clean_text(deliverable, "deliverable", limit=300))
    audit_append(actor=actor, action="monitoring.milestone_create", subject=project,
                 after={"milestone": m.pk, "planned_date": planned_date, "deliverable": m.deliverable})
    return m


MILESTONE_STATUSES = ("done", "missed", "planned")


@transaction.atomic
def milestone_report(*, milestone: Milestone, actor: Any, status: str, reported_on: dt.date | None = None,
                     evidence: str = "", note: str = "") -> MilestoneReport:
    """Report a milestone reached (done) or missed; the latest report sets the milestone's status."""
    project = milestone.project
    perm.require(perm.project_roles(actor, project), REPORTERS, "报告里程碑", "report on milestones")
    if status not in MILESTONE_STATUSES:
        raise Invalid(f"状态须为 {'/'.join(MILESTONE_STATUSES)}", f"status must be one of {MILESTONE_STATUSES}",
                      field="status")
    day = not_future(reported_on or services.today(), "reported_on")
    report = MilestoneReport.objects.create(milestone=milestone, status=status, reported_on=day,
                                            evidence=clean_text(evidence, "evidence", limit=300, required=False),
                                            note=clean_text(note, "note", required=False), recorded_by=actor)
    before = milestone.status
    Milestone.objects.filter(pk=milestone.pk).update(status=status, evidence=report.evidence or milestone.evidence)
    milestone.refresh_from_db()
    audit_append(actor=actor, action="monitoring.milestone_report", subject=project, before={"status": before},
                 after={"milestone": milestone.pk, "status": status, "reported_on": day})
    return report


@transaction.atomic
def midterm_check_record(*, project: Project, actor: Any, check_date: dt.date, result: str,
                         notes: str = "") -> MidTermCheck:
    """Record a mid-term check (中期检查): pass or fail, with notes (required on a failure)."""
    perm.require(perm.project_roles(actor, project), {"caseworker"}, "登记中期检查", "record mid-term checks")
    if result not in CheckResult.values:
        raise Invalid("结果须为 pass（通过）或 fail（未通过）", "result must be pass or fail", field="result")
    not_future(check_date, "check_date")
    text = clean_text(notes, "notes", required=result == CheckResult.failed)
    check = MidTermCheck.objects.create(project=project, check_date=check_date, result=result, notes=text,
                                        recorded_by=actor)
    audit_append(actor=actor, action="monitoring.midterm_check", subject=project,
                 after={"check": check.pk, "date": check_date, "result": result})
    return check


@transaction.atomic
def spending_report_record(*, project: Project, actor: Any, as_of: dt.date, spent_yuan: Any, planned_yuan: Any,
                           note: str = "") -> SpendingReport:
    """Record spending to a date against the plan to that date (经费执行情况)."""
    perm.require(perm.project_roles(actor, project), REPORTERS, "报告经费执行", "report spending")
    not_future(as_of, "as_of")
    spent, planned = money(spent_yuan, "spent_yuan"), money(planned_yuan, "planned_yuan")
    if SpendingReport.objects.filter(project=project, as_of=as_of).exists():
        raise Conflict(f"{as_of} 的经费执行报告已存在", f"a spending report as of {as_of} exists already",
                       field="as_of")
    report = SpendingReport.objects.create(project=project, as_of=as_of, spent_yuan=spent, planned_yuan=planned,
                                           note=clean_text(note, "note", required=False), recorded_by=actor)
    audit_append(actor=actor, action="monitoring.spending_report", subject=project,
                 after={"report": report.pk, "as_of": as_of, "spent_yuan": spent, "planned_yuan": planned})
    return report


@transaction.atomic
def major_change_record(*, project: Project, actor: Any, occurred_on: dt.date, description: str,
                        reported_on: dt.date | None = None) -> MajorChange:
    """Record a change of a major matter (重大事项调整变更), reported already (reported_on) or not yet."""
    perm.require(perm.project_roles(actor, project), REPORTERS, "登记重大事项变更", "record major changes")
    not_future(occurred_on, "occurred_on")
    if reported_on is not None:
        not_future(reported_on, "reported_on")
        if reported_on < occurred_on:
            raise Invalid("报备日期不能早于变更日期", "reported_on cannot be before occurred_on", field="reported_on")
    change = MajorChange.objects.create(project=project, occurred_on=occurred_on,
                                        description=clean_text(description, "description"),
                                        reported=reported_on is not None, reported_on=reported_on, recorded_by=actor)
    audit_append(actor=actor, action="monitoring.major_change", subject=project,
                 after={"change": change.pk, "occurred_on": occurred_on, "reported_on": reported_on})
    return change


@transaction.atomic
def major_change_report(*, change: MajorChange, actor: Any, reported_on: dt.date | None = None) -> MajorChange:
    """Mark a change of a major matter as reported (报备)."""
    perm.require(perm.project_roles(actor, change.project), REPORTERS, "报备重大事项变更", "report major changes")
    change = MajorChange.objects.select_for_update().get(pk=change.pk)
    if change.reported:
        raise Conflict("该变更已报备", "the change was reported already", field="change")
    day = not_future(reported_on or services.today(), "reported_on")
    if day < change.occurred_on:
        raise Invalid("报备日期不能早于变更日期", "reported_on cannot be before occurred_on", field="reported_on")
    change.reported, change.reported_on = True, day
    change.save(update_fields=["reported", "reported_on"])
    audit_append(actor=actor, action="monitoring.major_change_report", subject=change.project,
                 after={"change": change.pk, "reported_on": day})
    return change
