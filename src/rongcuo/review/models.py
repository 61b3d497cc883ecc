"""Expert review (专家评审), collective decision (集体审定), decision letters (认定结果通知书), consequences
(结果应用: obligations, integrity records). Writes go through `rongcuo.review.services`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from rongcuo.cases.models import Case
from rongcuo.registry.models import Organisation, Person


class Expertise(models.TextChoices):
    technical = "technical", "技术专家 Technical"
    financial = "financial", "财务专家 Financial"
    legal = "legal", "法律专家 Legal"


class Expert(models.Model):
    """An expert in the pool (专家库)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expert_profile")
    name = models.CharField(max_length=100)
    expertise = models.CharField(max_length=12, choices=Expertise.choices)
    fields = models.JSONField(default=list, help_text="fields of expertise, e.g. ['材料', '储能']")
    unit = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="experts")
    person = models.OneToOneField(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="expert")
    conflict_units = models.ManyToManyField(Organisation, blank=True, related_name="+")
    conflict_people = models.ManyToManyField(Person, blank=True, related_name="+")
    available = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_expertise_display()}）"


class Panel(models.Model):
    """A panel drawn for a case: the seed and candidate list are stored so the draw can be replayed.

    `case` points at the case whose current panel this is; a panel replaced by a new draw (after the decision was
    re-opened) keeps every row, loses `case` and gets `superseded_at`; `for_case` always names its case."""

    case = models.OneToOneField(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="panel",
                                help_text="set while this is the case's current panel")
    for_case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="panels")
    superseded_at = models.DateTimeField(null=True, blank=True)
    seed = models.CharField(max_length=40)
    size = models.PositiveSmallIntegerField()
    candidates = models.JSONField(help_text="eligible expert ids, in id order, when drawn")
    drawn_from = models.JSONField(default=list, help_text="each candidate as the draw saw it: id, name, expertise, "
                                                          "unit (the replay reads these, not today's records)")
    excluded = models.JSONField(default=dict, help_text="expert id → reason for exclusion (conflicts)")
    order = models.JSONField(help_text="the candidates in the order the seed put them")
    rule_breaches = models.JSONField(default=list)
    override_reason = models.TextField(blank=True)
    override_breaches = models.JSONField(default=list, help_text="the breaches the override reason was given for")
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField()
    concluded_at = models.DateTimeField(null=True, blank=True)
    conclusion = models.JSONField(null=True, blank=True)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.for_case_id is None:  # a new panel is its case's current one
            self.for_case_id = self.case_id
        super().save(*args, **kwargs)

    @property
    def flagged(self) -> bool:
        return bool(self.rule_breaches)

    @property
    def override_covers(self) -> bool:
        """Whether the recorded reason covers every breach the panel has now (a decline may add one)."""
        return bool(self.override_reason) and set(self.rule_breaches) <= set(self.override_breaches)


class MemberStatus(models.TextChoices):
    invited = "invited", "已邀请 Invited"
    declined = "declined", "已回避/谢绝 Declined"
    reviewed = "reviewed", "已评审 Reviewed"


class PanelMember(models.Model):
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="members")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="memberships")
    status = models.CharField(max_length=10, choices=MemberStatus.choices, default=MemberStatus.invited)
    decline_reason = models.TextField(blank=True)
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["panel", "expert"], name="one_seat_per_expert")]


class Review(models.Model):
    """One expert's scores against the pack's criteria, diligence opinion and findings."""

    member = models.OneToOneField(PanelMember, on_delete=models.PROTECT, related_name="review")
    scores = models.JSONField(help_text="criterion id → score")
    findings = models.JSONField(default=dict, help_text="fact id → value the expert finds")
    opinion = models.TextField()
    material_request = models.TextField(blank=True)
    submitted_at = models.DateTimeField()


class Decision(models.Model):
    """The collective decision (集体审定) with what the committee had in front of it, frozen.

    `case` points at the case whose current decision this is. When the case goes back to be investigated again
    (e.g. after a sustained objection) the decision is superseded: the row stays, with `superseded_at` and the
    reason, and `case` is cleared; `for_case` always names its case."""

    case = models.OneToOneField(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="decision",
                                help_text="set while this is the case's current decision")
    for_case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_reason = models.TextField(blank=True)
    decision = models.CharField(max_length=12)  # exempt | not_exempt
    engine_outcome = models.CharField(max_length=16)
    departs_from_engine = models.BooleanField(default=False)
    reasons = models.TextField()
    clauses = models.JSONField(help_text="clause ids relied on")
    members = models.JSONField(default=list, help_text="the committee when it decided: [{user, name}]")
    rule = models.JSONField(default=dict, help_text="the quorum and majority applied, where they come from, and "
                                                    "the tally")
    determination = models.JSONField(help_text="the engine's frozen record at the decision")
    panel_findings = models.JSONField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_on = models.DateField()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.for_case_id is None:  # a new decision is its case's current one
            self.for_case_id = self.case_id
        super().save(*args, **kwargs)


class VoteChoice(models.TextChoices):
    exempt = "exempt", "同意免责 Agree: exempt"
    not_exempt = "not_exempt", "不同意免责 Disagree: not exempt"
    abstain = "abstain", "弃权 Abstain"


class CommitteeVote(models.Model):
    """One committee member's vote (表决) on a case's collective decision, with their reasons, cast by the member.

    A member's later vote before the decision replaces the earlier one, which stays with `replaced_at`. When the
    decision is taken every vote of that round (replaced ones included) gets `decision`; a round that starts
    after the decision was superseded has votes of its own."""

    for_case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="committee_votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    member_name = models.CharField(max_length=100, help_text="the member's name when voting")
    vote = models.CharField(max_length=12, choices=VoteChoice.choices)
    reasons = models.TextField()
    cast_at = models.DateTimeField()
    replaced_at = models.DateTimeField(null=True, blank=True)
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="vote_records")

    class Meta:
        ordering = ["cast_at", "id"]
        constraints = [models.UniqueConstraint(
            fields=["for_case", "member"], condition=models.Q(replaced_at__isnull=True, decision__isnull=True),
            name="one_open_vote_per_member")]


class Letter(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="letters")
    doc_number = models.CharField(max_length=60, unique=True)
    docx = models.FileField(upload_to="letters/%Y/")
    pdf = models.FileField(upload_to="letters/%Y/", blank=True)
    docx_sha256 = models.CharField(max_length=64)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    # 正文校验码: the SHA-256 of the letter's text, printed in its verification block (a file cannot carry its own)
    text_sha256 = models.CharField(max_length=64, blank=True)
    issued_on = models.DateField()


class ObligationStatus(models.TextChoices):
    open = "open", "待履行 Open"
    fulfilled = "fulfilled", "已履行 Fulfilled"


class Obligation(models.Model):
    """后续义务: e.g. return surplus funds within 60 days, submit the failure-analysis report."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="obligations")
    key = models.CharField(max_length=64)
    clause = models.CharField(max_length=100)
    label_zh = models.CharField(max_length=200)
    label_en = models.CharField(max_length=200)
    due_date = models.DateField(null=True, blank=True)
    provisional = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ObligationStatus.choices, default=ObligationStatus.open)
    fulfilled_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    document_kind = models.CharField(max_length=64, blank=True,
                                     help_text="evidence kind whose upload fulfils it (the pack's `document`)")
    document = models.ForeignKey("cases.Evidence", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="obligations", help_text="the document submitted to fulfil it")

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="one_obligation_per_key")]


class IntegrityRecord(models.Model):
    """科研诚信记录: e.g. a malicious or fraudulent application (浙江 六(三)); shown on later applications."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="integrity_records")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="integrity_records")
    clause = models.CharField(max_length=100)
    note = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_on = models.DateField()
