"""Cases (认定案件): a failed project's application travelling through its pack's procedure.

Writes go only through `rongcuo.cases.services`; these models hold no business logic.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rongcuo.registry.models import Organisation, Person, Project


class Disposition(models.TextChoices):
    open = "open", "办理中 Open"
    decided = "decided", "已作出决定 Decided"
    withdrawn = "withdrawn", "已撤回 Withdrawn"
    inadmissible = "inadmissible", "不予受理 Inadmissible"
    archived = "archived", "已归档 Archived"


class Case(models.Model):
    number = models.CharField(max_length=32, unique=True)
    pack_id = models.CharField(max_length=100)
    pack_version = models.CharField(max_length=50)
    pack_hash = models.CharField(max_length=64)
    determination_id = models.CharField(max_length=100)
    relevant_date = models.DateField(help_text="the date whose pack version applies / 适用版本所依日期")
    bureau = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cases_handled")
    host_unit = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cases_hosted")
    applicant = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="cases")
    failure_explanation = models.TextField()
    stage = models.CharField(max_length=64)
    disposition = models.CharField(max_length=16, choices=Disposition.choices, default=Disposition.open)
    awaiting_supplement_since = models.DateField(null=True, blank=True)
    routed_to = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=16, default="undetermined", db_index=True)
    determination = models.JSONField(default=dict)
    filed_on = models.DateField()
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="cases_assigned", help_text="the caseworker who handles it / 承办人")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["bureau", "disposition", "stage"]),
            models.Index(fields=["host_unit", "disposition"]),
            # A bureau's or a unit's case ids from the index alone: the work page joins its open deadlines to
            # them (at 100,000 cases the count of overdue and due-soon deadlines went from 61 ms to 17 ms).
            models.Index(fields=["bureau", "id"], name="cases_case_bureau_id_idx"),
            models.Index(fields=["host_unit", "id"], name="cases_case_unit_id_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class Receipt(models.Model):
    """受理回执: the document the applicant is given when the bureau accepts the application (a transition marked
    `receipt` in the pack): case number, date, the time limits that start then, what happens next. One per case."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="receipt")
    doc_number = models.CharField(max_length=60, unique=True)
    docx = models.FileField(upload_to="receipts/%Y/")
    pdf = models.FileField(upload_to="receipts/%Y/")
    docx_sha256 = models.CharField(max_length=64)
    pdf_sha256 = models.CharField(max_length=64)
    text_sha256 = models.CharField(max_length=64, help_text="正文校验码, printed in the receipt's verification block")
    issued_on = models.DateField()


class Evidence(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=64, help_text="material id of the pack, or an evidence type")
    file = models.FileField(upload_to="evidence/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]


class CaseFact(models.Model):
    """One finding of one fact, with provenance. A new finding supersedes the current one (history kept)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="facts")
    fact_id = models.CharField(max_length=100)
    value = models.JSONField(null=True)  # null: retracted, unknown again
    role = models.CharField(max_length=32, help_text="established_by role of the pack vocabulary")
    stage = models.CharField(max_length=64)
    established_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    established_at = models.DateTimeField()
    evidence = models.ManyToManyField(Evidence, blank=True, related_name="facts")
    note = models.TextField(blank=True)
    current = models.BooleanField(default=True)

    class Meta:
        ordering = ["fact_id", "-established_at", "-id"]
        indexes = [models.Index(fields=["case", "current"])]
        constraints = [
            models.UniqueConstraint(fields=["case", "fact_id"], condition=models.Q(current=True),
                                    name="one_current_finding_per_fact"),
        ]


class StageChange(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="stage_changes")
    from_stage = models.CharField(max_length=64)
    to_stage = models.CharField(max_length=64)
    action = models.CharField(max_length=64)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=32)
    reason = models.TextField(blank=True)
    opinion = models.TextField(blank=True, help_text="the opinion the step records (pack: transition.opinion)")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]


class DeadlineStatus(models.TextChoices):
    open = "open", "进行中 Open"
    met = "met", "已按期完成 Met"
    missed = "missed", "逾期完成 Met late"
    cancelled = "cancelled", "已取消 Cancelled"


class Deadline(models.Model):
    """A time limit running on a case, recomputed from its inputs whenever the calendar or pauses change."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="deadlines")
    key = models.CharField(max_length=100, help_text="overall, stage:<id>, notice …")
    label_zh = models.CharField(max_length=200)
    label_en = models.CharField(max_length=200)
    start_date = models.DateField()
    days = models.PositiveIntegerField()
    day_kind = models.CharField(max_length=10)
    start_day_counts = models.BooleanField(default=False)
    roll_to_workday = models.BooleanField(default=True)
    extension_days = models.PositiveIntegerField(default=0)
    extension_available = models.PositiveIntegerField(default=0)
    pauses = models.JSONField(default=list, help_text="[[paused_on, resumed_on or null], …]")
    pausable = models.BooleanField(default=False)
    due_date = models.DateField(null=True)
    provisional = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=DeadlineStatus.choices, default=DeadlineStatus.open)
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        # Running deadlines in due order (the work queue lists the first thirty): with `id`, the index gives them in
        # the order shown and the scan stops at the thirtieth instead of sorting every running deadline.
        indexes = [models.Index(fields=["status", "due_date", "id"], name="cases_deadline_running")]


class DeadlineWarning(models.Model):
    """Recorded by the sweep; one per deadline and kind, so a second sweep records nothing new."""

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="warnings")
    kind = models.CharField(max_length=10)  # due_soon | overdue
    raised_on = models.DateField()
    due_date = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deadline", "kind", "due_date"], name="one_warning_per_due")]


class ExpertAssignment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="expert_assignments")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expert_assignments")
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "expert"], name="one_assignment_per_expert")]


class ApiToken(models.Model):
    """A machine's bearer token; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked = models.BooleanField(default=False)


class ObjectionStatus(models.TextChoices):
    open = "open", "待核实 Open"
    answered = "answered", "已答复 Answered"


class Objection(models.Model):
    """异议: raised against a decision under public notice; the case cannot be archived while one is open.

    Filing gives a receipt number (登记号, shown to the caseworker too) and a lookup code (查询码) with which the
    objector follows it on the public status page; only the code's SHA-256 is kept."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="objections")
    receipt_number = models.CharField(max_length=24, unique=True, null=True, blank=True)
    lookup_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the lookup code")
    answer_due = models.DateField(null=True, blank=True, help_text="the day by which it is answered")
    answer_due_provisional = models.BooleanField(default=False, help_text="counted on a calendar year not yet "
                                                                          "published")
    name = models.CharField(max_length=100)
    contact = models.CharField(max_length=200)
    text = models.TextField()
    filed_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.open)
    answer = models.TextField(blank=True)
    sustained = models.BooleanField(null=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)


class ObjectionAttachment(models.Model):
    """A document filed with an objection, checked as any evidence is (`rongcuo.common.uploads`)."""

    objection = models.ForeignKey(Objection, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to="objections/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]


class ApplicationDraft(models.Model):
    """申请草稿: an application the applicant is still writing; private to them, filed (and removed) by
    `services.draft_file`. Files are never kept in a draft — they are uploaded when filing or on the case page."""

    applicant = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="application_drafts")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="application_drafts")
    pack_id = models.CharField(max_length=100, blank=True, help_text="blank: the bureau's default / 主管部门默认")
    failure_explanation = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return f"draft {self.pk} ({self.project_id})"


class CaseNeed(models.Model):
    """A fact the case's determination still needs, once for each party that may establish it (the pack's
    `established_by`): rebuilt with the determination (`services.base.case_redecide`), so that a work queue can
    ask "which cases wait for my findings" of the database."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="needs")
    fact_id = models.CharField(max_length=100)
    party = models.CharField(max_length=32, help_text="established_by kind of the pack vocabulary")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["party", "case"], name="cases_need_party_case")]
        constraints = [models.UniqueConstraint(fields=["case", "fact_id", "party"], name="one_need_per_party")]


class Declaration(models.Model):
    """申请人自述: an answer the applicant gave before filing (in the self-check), carried into the application.
    Never an established finding: the engine does not read it. It is shown to whoever establishes the fact "to
    confirm", and `finding` is the finding recorded on it afterwards (confirming or replacing it)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="declarations")
    fact_id = models.CharField(max_length=100)
    value = models.JSONField()
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField()
    source = models.CharField(max_length=20, default="self_check")
    source_pack = models.CharField(max_length=160, help_text="the pack version the self-check ran under (id@version)")
    finding = models.ForeignKey(CaseFact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["case", "fact_id"], name="one_declaration_per_fact")]
