"""Monitoring of running projects (事前事中监管) and the correction procedure (纠错).

Records of what projects report (milestone reports, mid-term checks, spending against plan, changes of major
matters), the warnings the pack's rules raise on them, random inspections, and correction cases with their
timeline and documents. Writes go only through `rongcuo.monitoring.services`; no business logic here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rongcuo.registry.models import Milestone, Organisation, Project


class MilestoneReport(models.Model):
    """A report on a milestone (里程碑): reached, or not; the latest one sets the milestone's status."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="reports")
    status = models.CharField(max_length=20)  # done | missed | planned
    reported_on = models.DateField()
    evidence = models.CharField(max_length=300, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reported_on", "id"]


class CheckResult(models.TextChoices):
    passed = "pass", "通过 Passed"
    failed = "fail", "未通过 Failed"


class MidTermCheck(models.Model):
    """中期检查."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="midterm_checks")
    check_date = models.DateField()
    result = models.CharField(max_length=4, choices=CheckResult.choices)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["check_date", "id"]
        indexes = [models.Index(fields=["project", "check_date"])]


class SpendingReport(models.Model):
    """经费执行报告: spending to a date against the plan to that date."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="spending_reports")
    as_of = models.DateField()
    spent_yuan = models.DecimalField(max_digits=16, decimal_places=2)
    planned_yuan = models.DecimalField(max_digits=16, decimal_places=2)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["as_of", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "as_of"], name="one_spending_report_per_day")]


class MajorChange(models.Model):
    """重大事项调整变更 and whether (and when) it was reported (报备)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="major_changes")
    occurred_on = models.DateField()
    description = models.TextField()
    reported = models.BooleanField(default=False)
    reported_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_on", "id"]
        indexes = [models.Index(fields=["project", "reported"])]


class WarningStatus(models.TextChoices):
    open = "open", "未处理 Open"
    resolved = "resolved", "已处理 Resolved"


class EarlyWarning(models.Model):
    """预警: raised by a pack rule on one record of one project; one per (rule, project, record)."""

    bureau = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="monitoring_warnings")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="monitoring_warnings")
    rule_id = models.CharField(max_length=100)
    subject = models.CharField(max_length=100)  # the record that raised it, e.g. milestone:17
    pack_ref = models.CharField(max_length=120)
    severity = models.CharField(max_length=10, default="warning")
    facts = models.JSONField(default=dict)
    raised_on = models.DateField()
    status = models.CharField(max_length=10, choices=WarningStatus.choices, default=WarningStatus.open)
    resolved_on = models.DateField(null=True, blank=True)
    resolution = models.TextField(blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-raised_on", "id"]
        constraints = [models.UniqueConstraint(fields=["rule_id", "project", "subject"], name="one_warning_per_record")]
        indexes = [models.Index(fields=["bureau", "status", "rule_id"])]


class MonitoringSweep(models.Model):
    """One run of the early-warning sweep over a bureau's running projects."""

    bureau = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="monitoring_sweeps")
    on = models.DateField()
    pack_ref = models.CharField(max_length=120)
    projects = models.PositiveIntegerField()
    raised = models.PositiveIntegerField()
    cleared = models.PositiveIntegerField()
    seconds = models.FloatField()
    ran_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")

    class Meta:
        ordering = ["-ran_at", "-id"]


class Inspection(models.Model):
    """随机抽查: a replayable draw — the seed and the candidate list are stored with the sample."""

    number = models.CharField(max_length=32, unique=True)
    bureau = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="inspections")
    drawn_on = models.DateField()
    pack_ref = models.CharField(max_length=120, blank=True)
    strata = models.CharField(max_length=16)  # none | programme | risk
    sizes = models.JSONField()  # {stratum: n}
    seed = models.CharField(max_length=128)
    candidates = models.JSONField()  # {stratum: [project id, ...]} in ascending id order
    sample = models.JSONField()  # {stratum: [project id, ...]}
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-drawn_on", "-id"]


class InspectionResult(models.TextChoices):
    pending = "pending", "待检查 Pending"
    no_issues = "no_issues", "未发现问题 No issues"
    issues_found = "issues_found", "发现问题 Issues found"


class InspectionItem(models.Model):
    """One sampled project of an inspection, and what checking it found."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="items")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="inspection_items")
    stratum = models.CharField(max_length=200)
    result = models.CharField(max_length=16, choices=InspectionResult.choices, default=InspectionResult.pending)
    findings = models.JSONField(default=dict)  # {inspection item id: text}
    notes = models.TextField(blank=True)
    checked_on = models.DateField(null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["inspection", "project"]
        constraints = [models.UniqueConstraint(fields=["inspection", "project"], name="one_item_per_project")]


class CorrectionState(models.TextChoices):
    opened = "opened", "已启动纠错 Opened"
    notice_served = "notice_served", "已送达通知书 Notice served"
    interview_scheduled = "interview_scheduled", "已安排谈话问询 Interview scheduled"
    interview_held = "interview_held", "已谈话问询 Interview held"
    rectification_submitted = "rectification_submitted", "已提交整改 Rectification submitted"
    verified = "verified", "整改验收通过 Rectification verified"
    escalated = "escalated", "已移交严肃处理 Escalated"
    measure_recorded = "measure_recorded", "已记录处理措施 Measure recorded"


class CorrectionCase(models.Model):
    """A correction procedure (纠错) on one project, under the pack version in force when it was opened."""

    number = models.CharField(max_length=32, unique=True)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="corrections")
    bureau = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="corrections")
    pack_id = models.CharField(max_length=100)
    pack_version = models.CharField(max_length=50)
    pack_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=32, choices=CorrectionState.choices, default=CorrectionState.opened)
    problem = models.TextField()  # what was found (发现的问题)
    requirements = models.TextField(blank=True)  # what must be rectified (整改要求), set with the notice
    warnings = models.ManyToManyField(EarlyWarning, blank=True, related_name="corrections")
    inspection_item = models.ForeignKey(InspectionItem, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="corrections")
    opened_on = models.DateField()
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    notice_number = models.CharField(max_length=60, blank=True)
    notice_served_on = models.DateField(null=True, blank=True)
    interview_at = models.DateTimeField(null=True, blank=True)
    interview_place = models.CharField(max_length=200, blank=True)
    interview_held_on = models.DateField(null=True, blank=True)
    interview_record = models.TextField(blank=True)
    # 整改期限 on the official working-day calendar (workdays.selectors.due_date)
    rectify_start = models.DateField(null=True, blank=True)
    rectify_days = models.PositiveIntegerField(null=True, blank=True)
    rectify_day_kind = models.CharField(max_length=10, blank=True)
    rectify_start_day_counts = models.BooleanField(default=False)
    rectify_due = models.DateField(null=True, blank=True)
    rectify_provisional = models.BooleanField(default=False)
    rectification = models.TextField(blank=True)
    rectification_submitted_on = models.DateField(null=True, blank=True)
    verified_on = models.DateField(null=True, blank=True)
    verification_passed = models.BooleanField(null=True)
    verification_notes = models.TextField(blank=True)
    escalated_on = models.DateField(null=True, blank=True)
    escalation_reason = models.CharField(max_length=32, blank=True)  # deadline_missed | verification_failed
    measure = models.CharField(max_length=64, blank=True)
    measure_text = models.TextField(blank=True)
    measure_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        indexes = [models.Index(fields=["bureau", "state"]), models.Index(fields=["state", "rectify_due"])]

    def __str__(self) -> str:
        return self.number


class CorrectionEvent(models.Model):
    """The correction timeline: one row per step, who took it, when, with what."""

    case = models.ForeignKey(CorrectionCase, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    role = models.CharField(max_length=32)
    on = models.DateField()
    at = models.DateTimeField()
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "id"]


class CorrectionDocument(models.Model):
    """A document of a correction: the notice (generated), an interview record, evidence of rectification."""

    case = models.ForeignKey(CorrectionCase, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=32)  # notice | interview_record | rectification_evidence
    file = models.FileField(upload_to="corrections/%Y/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
