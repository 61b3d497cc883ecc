"""Registry (登记): organisations, people, projects, milestones, role grants, exemption marks."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class OrgKind(models.TextChoices):
    bureau = "bureau", "主管部门（科技局/厅、财政专项资金主管部门） Bureau"
    host_unit = "host_unit", "项目承担单位 Host unit"
    fund = "fund", "基金 Fund"
    nsf_office = "nsf_office", "自然科学基金委员会办公室 NSF office"


class UnitType(models.TextChoices):
    government = "government", "政府部门 Government"
    university = "university", "高校 University"
    institute = "institute", "科研院所 Research institute"
    hospital = "hospital", "医疗卫生机构 Hospital"
    enterprise = "enterprise", "企业 Enterprise"
    other = "other", "其他 Other"


class DateNumerals(models.TextChoices):
    """GB/T 9704-2012 7.3.5.1 writes the 成文日期 in Arabic numerals; a bureau keeping the older Chinese-numeral
    form (GB/T 9704-1999, as court documents still do) may choose it."""

    arabic = "arabic", "阿拉伯数字 2026年12月7日（GB/T 9704-2012）"
    chinese = "chinese", "汉字 二〇二六年十二月七日"


class Organisation(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=OrgKind.choices)
    unit_type = models.CharField(max_length=20, choices=UnitType.choices, default=UnitType.other)
    jurisdiction_zh = models.CharField(max_length=100, blank=True)
    jurisdiction_en = models.CharField(max_length=100, blank=True)
    # The bureau that supervises a host unit's projects, or a bureau's parent.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # Packs this bureau applies (its jurisdiction's rules), e.g. ["shenzhen-tolerance-guideline"].
    packs = models.JSONField(default=list, blank=True)
    # What a bureau's documents say of it (GB/T 9704-2012): the 机关代字 its document numbers begin with
    # (浙科容 → 浙科容〔2026〕2号), how the 成文日期 is written, and where its determinations can be challenged.
    doc_prefix = models.CharField(
        "发文机关代字 document-number prefix", max_length=20, blank=True,
        help_text="如 浙科容：通知书编号 浙科容〔2026〕2号；空则用机构代码 / e.g. 浙科容; blank: the code")
    date_numerals = models.CharField(
        "成文日期写法 how the date of a document is written", max_length=8, choices=DateNumerals.choices,
        default=DateNumerals.arabic)
    review_body_zh = models.CharField(
        "行政复议机关 administrative review body", max_length=100, blank=True,
        help_text="如 浙江省人民政府（《行政复议法》第二十四条）/ e.g. the people's government at the same level")
    court_zh = models.CharField(
        "行政诉讼管辖法院 court for a lawsuit", max_length=100, blank=True,
        help_text="空则写“有管辖权的人民法院” / blank: “the court with jurisdiction”")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_zh

    def doc_number(self, year: int, seq: int, kind: str = "") -> str:
        """发文字号 (GB/T 9704-2012 7.2.3): the 机关代字 (and a kind's character: 受 a receipt, 公 a public notice,
        纠 a correction notice), the year in 〔〕 and the sequence number, e.g. 浙科容〔2026〕2号."""
        return f"{self.doc_series(year, kind)}{seq}号"

    def doc_series(self, year: int, kind: str = "") -> str:
        """The start of each number of the year's series: 浙科容〔2026〕 (without a prefix: the code and 容)."""
        return f"{self.doc_prefix.strip() or self.code + '容'}{kind}〔{year}〕"


class Person(models.Model):
    name = models.CharField(max_length=100)
    birth_date = models.DateField(null=True, blank=True)
    unit = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="people")
    title = models.CharField(max_length=100, blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="person")

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class FundingLevel(models.TextChoices):
    national = "national", "国家级 National"
    provincial = "provincial", "省级 Provincial"
    municipal = "municipal", "市级 Municipal"
    district = "district", "区级 District"


class ProjectStatus(models.TextChoices):
    running = "running", "执行中 Running"
    failed = "failed", "未完成 Failed"
    terminated = "terminated", "已终止 Terminated"
    accepted = "accepted", "已验收 Accepted"


class Project(models.Model):
    code = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=300)
    programme = models.CharField(max_length=200, blank=True)
    funding_source = models.CharField(max_length=200, blank=True)
    funding_level = models.CharField(max_length=20, choices=FundingLevel.choices)
    budget_yuan = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    acceptance_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.running)
    project_mode = models.CharField(max_length=20, default="ordinary")
    basic_public_welfare = models.BooleanField(default=False)
    host_unit = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="projects")
    bureau = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="supervised_projects")
    lead = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="led_projects")
    co_investigators = models.ManyToManyField(Person, blank=True, related_name="co_projects")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    planned_date = models.DateField()
    deliverable = models.CharField(max_length=300)
    status = models.CharField(max_length=20, default="planned")
    evidence = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["planned_date", "id"]


class ExemptionMark(models.Model):
    """免责标注: set on a project when an exemption is decided (Zhejiang 三(六))."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="exemption_marks")
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="exemption_mark")
    pack_ref = models.CharField(max_length=120)
    marked_on = models.DateField()
    note = models.CharField(max_length=300, blank=True)


class Role(models.TextChoices):
    applicant = "applicant", "申请人 Applicant"
    host_unit_reviewer = "host_unit_reviewer", "承担单位审核人 Host-unit reviewer"
    caseworker = "caseworker", "经办人 Caseworker"
    caseworker_lead = "caseworker_lead", "经办负责人 Caseworker lead"
    expert = "expert", "评审专家 Expert"
    committee = "committee", "集体审议成员 Committee member"
    auditor = "auditor", "审计（只读） Auditor (read-only)"
    admin = "admin", "管理员 Administrator"


class RoleGrant(models.Model):
    """A user's role, scoped to an organisation where the role needs one (unit, bureau)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=24, choices=Role.choices)
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="role_grants")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role", "organisation"], name="uniq_role_grant")]

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.organisation or ''}"
