"""State venture funds (国资创投基金) and technology transfers (科技成果转化): what is stored.

Funds: a fund, its investments, their valuations and exits or write-offs, findings (facts with provenance)
about the fund or an investment, frozen tolerance checks and frozen manager-exemption decisions.
Transfers: a transfer record, findings about it, and the frozen determinations of its pack.
Every change goes through `rongcuo.funds.services` (one transaction, one audit event).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from rongcuo.funds.measures import add_years
from rongcuo.registry.models import Organisation


class Category(models.TextChoices):
    seed = "seed", "种子 Seed"
    angel = "angel", "天使 Angel"
    industry = "industry", "产业 Industry"


class Stage(models.TextChoices):
    """The shared vocabulary's `investment_stage` values."""

    seed = "seed", "种子期 Seed stage"
    angel = "angel", "天使期 Angel stage"
    early = "early", "早期 Early stage"
    mid = "mid", "中期 Mid stage"
    late = "late", "后期 Late stage"


class Fund(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    pack_id = models.CharField(max_length=100, help_text="the policy pack whose loss-tolerance rules apply")
    manager = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="managed_funds")
    supervisor = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="supervised_funds")
    size_yuan = models.DecimalField(max_digits=16, decimal_places=2)
    vintage_date = models.DateField()
    term_years = models.PositiveSmallIntegerField()
    # The approved end of the term when it differs from vintage + term: an extension or an early liquidation.
    term_end = models.DateField(null=True, blank=True)
    categories = models.JSONField(default=list)
    # The pack's enum fact carrying an investment's category (e.g. a jurisdiction's direct-investment kind);
    # blank when the pack's rules do not depend on the category.
    category_fact = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_zh

    @property
    def life_end(self) -> dt.date:
        """The day the whole term is over: the anniversary `term_years` after the vintage, or the approved
        end of the term. From that day a whole-life check concludes; before it every check is interim."""
        return self.term_end or add_years(self.vintage_date, self.term_years)


class Investment(models.Model):
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="investments")
    code = models.CharField(max_length=64)
    company = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=Category.choices)
    stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    amount_yuan = models.DecimalField(max_digits=16, decimal_places=2)
    invested_on = models.DateField()
    qualifies_for_full_tolerance = models.BooleanField(default=False)
    qualification_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["fund", "invested_on", "id"]
        constraints = [models.UniqueConstraint(fields=["fund", "code"], name="uniq_investment_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.company}"


class Valuation(models.Model):
    investment = models.ForeignKey(Investment, on_delete=models.PROTECT, related_name="valuations")
    valued_on = models.DateField()
    fair_value_yuan = models.DecimalField(max_digits=16, decimal_places=2)
    basis = models.CharField(max_length=300, blank=True, help_text="e.g. the valuation report")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["investment", "valued_on"]
        constraints = [models.UniqueConstraint(fields=["investment", "valued_on"], name="uniq_valuation_day")]


class ExitKind(models.TextChoices):
    exit = "exit", "退出 Exit"
    write_off = "write_off", "核销 Write-off"


class Exit(models.Model):
    """The end of an investment: an exit (sale, buy-back, listing) or a write-off, with what it returned."""

    investment = models.OneToOneField(Investment, on_delete=models.PROTECT, related_name="exit")
    kind = models.CharField(max_length=20, choices=ExitKind.choices)
    exited_on = models.DateField()
    proceeds_yuan = models.DecimalField(max_digits=16, decimal_places=2)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")


class Finding(models.Model):
    """One finding of one pack fact about a fund (investment empty) or one of its investments, with provenance.
    A new finding supersedes the current one; history is kept."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="findings")
    investment = models.ForeignKey(Investment, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="findings")
    fact_id = models.CharField(max_length=100)
    value = models.JSONField(null=True)  # null: retracted, unknown again
    role = models.CharField(max_length=32, help_text="established_by role of the pack vocabulary")
    established_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    established_at = models.DateTimeField()
    evidence = models.JSONField(default=list, blank=True)  # references to documents (report numbers, minutes)
    note = models.TextField(blank=True)
    current = models.BooleanField(default=True)

    class Meta:
        ordering = ["fact_id", "-established_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "fact_id"], name="one_current_fund_finding",
                                    condition=models.Q(current=True, investment__isnull=True)),
            models.UniqueConstraint(fields=["investment", "fact_id"], name="one_current_investment_finding",
                                    condition=models.Q(current=True, investment__isnull=False)),
        ]


class ToleranceCheck(models.Model):
    """A frozen loss-tolerance check of a fund on a date: the loss measure, the ratios and every decision."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="checks")
    on = models.DateField()
    pack_ref = models.CharField(max_length=120)
    pack_hash = models.CharField(max_length=64)
    loss_measure = models.CharField(max_length=64)
    interim = models.BooleanField()
    report = models.JSONField()
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["fund", "-on", "-id"]


class ManagerExemption(models.Model):
    """A frozen decision on the manager's due-diligence exemption for the loss on one investment."""

    investment = models.ForeignKey(Investment, on_delete=models.PROTECT, related_name="exemptions")
    on = models.DateField()
    pack_ref = models.CharField(max_length=120)
    pack_hash = models.CharField(max_length=64)
    determination = models.CharField(max_length=100)
    outcome = models.CharField(max_length=20)
    record = models.JSONField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["investment", "-decided_at", "-id"]


class TransferMethod(models.TextChoices):
    """The shared vocabulary's `transfer_method` values."""

    listed_trading = "listed_trading", "技术交易市场挂牌交易 Listed trading"
    auction = "auction", "拍卖 Auction"
    agreement = "agreement", "协议定价 Agreement"
    other = "other", "其他方式 Other"


class TransferRecord(models.Model):
    code = models.CharField(max_length=64, unique=True)
    unit = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="transfers")
    achievement = models.CharField(max_length=300)
    method = models.CharField(max_length=20, choices=TransferMethod.choices)
    transfer_date = models.DateField()
    price_yuan = models.DecimalField(max_digits=16, decimal_places=2)
    publicly_noticed = models.BooleanField(null=True)  # null: not recorded
    notice_where = models.CharField(max_length=300, blank=True)
    notice_from = models.DateField(null=True, blank=True)
    notice_to = models.DateField(null=True, blank=True)
    later_value_yuan = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    later_value_on = models.DateField(null=True, blank=True)
    pack_id = models.CharField(max_length=100)
    pack_version = models.CharField(max_length=40)
    pack_hash = models.CharField(max_length=64)
    decisions = models.JSONField(default=dict)  # determination id → frozen engine record
    outcome = models.CharField(max_length=20, blank=True)  # of the pack's default determination (pricing)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-transfer_date", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.achievement}"


class TransferFinding(models.Model):
    transfer = models.ForeignKey(TransferRecord, on_delete=models.PROTECT, related_name="findings")
    fact_id = models.CharField(max_length=100)
    value = models.JSONField(null=True)
    role = models.CharField(max_length=32)
    established_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    established_at = models.DateTimeField()
    evidence = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)
    current = models.BooleanField(default=True)

    class Meta:
        ordering = ["fact_id", "-established_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "fact_id"], condition=models.Q(current=True),
                                    name="one_current_transfer_finding"),
        ]
