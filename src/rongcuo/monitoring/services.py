"""Every change to monitoring data, warnings, inspections and corrections goes through these functions.

Names follow `<entity>_<action>`; the acting user is an explicit keyword argument; each function is one
transaction that writes its audit event (`rongcuo.audit`), and errors are `rongcuo.common.errors.ServiceError`s
naming the field, leaving stored data as it was.

* Monitoring records: milestones and their reports, mid-term checks (中期检查), spending against plan,
  changes of major matters and their reporting (重大事项调整变更报备).
* `monitoring_sweep`: the pack's early-warning rules (monitoring.yaml) over all running projects of a bureau,
  set-based — a handful of queries and bulk inserts whatever the number of projects; idempotent.
* `inspection_draw` / `inspection_replay`: random inspections (随机抽查) that replay from their stored seed
  and candidate list.
* The correction procedure (纠错): `STEPS` below is its whole state table; `correction_sweep`
  escalates corrections whose deadline to rectify has passed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.constants import OnConflict
from django.utils import timezone

from rongcuo.audit.services import audit_append, canonical
from rongcuo.common.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from rongcuo.common.packs import pack_changed, registry
from rongcuo.common.uploads import content_type_of, upload_check
from rongcuo.engine.model import transitions_from
from rongcuo.engine.monitoring import (
    ChangeFact,
    CheckFact,
    CorrectionRules,
    MilestoneFact,
    Monitor,
    MonitoringError,
    ProjectFacts,
    SpendingFact,
    rectification_days,
)
from rongcuo.engine.pack import Pack, UnknownPack
from rongcuo.monitoring import notices
from rongcuo.monitoring import permissions as perm
from rongcuo.monitoring.explain import warning_text
from rongcuo.monitoring.models import (
    CheckResult,
    CorrectionCase,
    CorrectionDocument,
    CorrectionEvent,
    CorrectionState,
    EarlyWarning,
    Inspection,
    InspectionItem,
    InspectionResult,
    MajorChange,
    MidTermCheck,
    MilestoneReport,
    MonitoringSweep,
    SpendingReport,
    WarningStatus,
)
from rongcuo.monitoring.packs import monitoring_pack
from rongcuo.registry.models import Milestone, Organisation, Project, ProjectStatus
from rongcuo.workdays.services import due_date, load_calendar, on_calendar_change


def today() -> dt.date:
    return timezone.localdate()


def _text(value: str | None, field: str, *, limit: int = 5000, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise Invalid("此项必填", "this field is required", field=field)
    if len(text) > limit:
        raise Invalid(f"不能超过 {limit} 字", f"at most {limit} characters", field=field)
    return text


def _not_future(day: dt.date, field: str) -> dt.date:
    if day > today():
        raise Invalid(f"日期 {day} 晚于今天", f"the date {day} is in the future", field=field)
    return day


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Invalid("金额须为数字（元）", "the amount must be a number (yuan)", field=field) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e14"):
        raise Invalid("金额须为不小于 0 的数字（元）", "the amount must be a non-negative number of yuan",
                      field=field)
    return amount.quantize(Decimal("0.01"))


# --- monitoring records -------------------------------------------------------------------------------

REPORTERS = {"caseworker", "lead", "host_unit_reviewer"}


@transaction.atomic
def milestone_create(*, project: Project, actor: Any, planned_date: dt.date, deliverable: str) -> Milestone:
    """A milestone (里程碑) of a project's plan."""
    perm.require(perm.project_roles(actor, project), {"caseworker"}, "登记里程碑", "add milestones")
    m = Milestone.objects.create(project=project, planned_date=planned_date,
                                 deliverable=_text(deliverable, "deliverable", limit=300))
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
    day = _not_future(reported_on or today(), "reported_on")
    report = MilestoneReport.objects.create(milestone=milestone, status=status, reported_on=day,
                                            evidence=_text(evidence, "evidence", limit=300, required=False),
                                            note=_text(note, "note", required=False), recorded_by=actor)
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
    _not_future(check_date, "check_date")
    text = _text(notes, "notes", required=result == CheckResult.failed)
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
    _not_future(as_of, "as_of")
    spent, planned = _money(spent_yuan, "spent_yuan"), _money(planned_yuan, "planned_yuan")
    if SpendingReport.objects.filter(project=project, as_of=as_of).exists():
        raise Conflict(f"{as_of} 的经费执行报告已存在", f"a spending report as of {as_of} exists already",
                       field="as_of")
    report = SpendingReport.objects.create(project=project, as_of=as_of, spent_yuan=spent, planned_yuan=planned,
                                           note=_text(note, "note", required=False), recorded_by=actor)
    audit_append(actor=actor, action="monitoring.spending_report", subject=project,
                 after={"report": report.pk, "as_of": as_of, "spent_yuan": spent, "planned_yuan": planned})
    return report


@transaction.atomic
def major_change_record(*, project: Project, actor: Any, occurred_on: dt.date, description: str,
                        reported_on: dt.date | None = None) -> MajorChange:
    """Record a change of a major matter (重大事项调整变更), reported already (reported_on) or not yet."""
    perm.require(perm.project_roles(actor, project), REPORTERS, "登记重大事项变更", "record major changes")
    _not_future(occurred_on, "occurred_on")
    if reported_on is not None:
        _not_future(reported_on, "reported_on")
        if reported_on < occurred_on:
            raise Invalid("报备日期不能早于变更日期", "reported_on cannot be before occurred_on", field="reported_on")
    change = MajorChange.objects.create(project=project, occurred_on=occurred_on,
                                        description=_text(description, "description"),
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
    day = _not_future(reported_on or today(), "reported_on")
    if day < change.occurred_on:
        raise Invalid("报备日期不能早于变更日期", "reported_on cannot be before occurred_on", field="reported_on")
    change.reported, change.reported_on = True, day
    change.save(update_fields=["reported", "reported_on"])
    audit_append(actor=actor, action="monitoring.major_change_report", subject=change.project,
                 after={"change": change.pk, "reported_on": day})
    return change


# --- the early-warning sweep ------------------------------------------------------------------------------

@dataclass
class SweepResult:
    bureau: str
    on: dt.date
    pack_ref: str
    projects: int
    raised: int
    cleared: int
    seconds: float
    by_rule: dict[str, int] = field(default_factory=dict)


def _day_counter(on: dt.date) -> Any:
    cal = load_calendar(on.year - 1, on.year)  # earlier years load on demand

    @functools.lru_cache(maxsize=65536)
    def count(a: dt.date, b: dt.date, kind: str) -> int:
        return cal.working_days_between(a, b) if kind == "working" else (b - a).days

    return count


def _insert_warnings(bureau: Organisation, pack_ref: str, on: dt.date,
                     rows: Sequence[tuple[int, str, str, str, dict[str, Any]]]) -> None:
    """Insert warnings in one executemany, skipping any that exist already (the unique (rule, project, record)).

    What `bulk_create(ignore_conflicts=True)` does, without building a model instance per row: the first
    sweep over 100,000 projects inserts tens of thousands of warnings, and the ORM's per-row work would
    be most of its time. Values are prepared by the fields themselves, so each database gets its own types.
    """
    if not rows:
        return
    ops = connection.ops
    meta = EarlyWarning._meta
    names = ("bureau", "project", "rule_id", "subject", "pack_ref", "severity", "facts", "raised_on", "status",
             "resolution")
    fields = [meta.get_field(n) for n in names]
    facts_field, day = meta.get_field("facts"), ops.adapt_datefield_value(on)
    sql = (f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {ops.quote_name(meta.db_table)} "
           f"({', '.join(ops.quote_name(f.column) for f in fields)}) VALUES ({', '.join(['%s'] * len(fields))}) "
           f"{ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)}")
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(sql, [
                (bureau.pk, pid, rule, subject, pack_ref, severity, facts_field.get_db_prep_save(facts, connection),
                 day, WarningStatus.open.value, "") for pid, rule, subject, severity, facts in rows[i:i + 5000]])


CLEARED = "条件已不再成立，由预警巡查解除 / cleared by the sweep: the condition no longer holds"


@transaction.atomic
def monitoring_sweep(*, bureau: Organisation, on: dt.date | None = None, actor: Any = None) -> SweepResult:
    """Apply the pack's early-warning rules to every running project of a bureau on a day.

    Set-based: one query per kind of record (only the records that can matter), the rules evaluated in
    memory, new warnings inserted in bulk. Idempotent: a warning is keyed by (rule, project, record), so a
    second run records nothing new. Open warnings whose condition no longer holds (the milestone was
    reached, a later check passed, a newer spending report is on plan) are resolved as cleared.
    """
    started = time.perf_counter()
    on = on or today()
    pack = monitoring_pack(bureau, on)
    if pack is None or pack.monitoring is None:
        raise Invalid("该主管部门适用的政策包没有监测预警规则（monitoring.yaml）",
                      "none of the bureau's packs in force defines early-warning rules (monitoring.yaml)",
                      field="bureau")
    try:
        monitor = Monitor(pack.monitoring, pack.params_dict(on), on, _day_counter(on))
    except MonitoringError as exc:
        raise Invalid(f"预警规则无法适用：{exc}", f"the rules cannot be applied: {exc}", field="on") from None
    rules = {r.id: r for r in pack.monitoring.rules}
    running = Q(project__bureau=bureau, project__status=ProjectStatus.running)
    projects = {pid: (start, end, float(budget)) for pid, start, end, budget in Project.objects.filter(
        bureau=bureau, status=ProjectStatus.running).values_list("id", "start_date", "end_date", "budget_yuan")}

    milestones: dict[int, list[MilestoneFact]] = {}
    cutoff = monitor.milestones_planned_before
    if cutoff is not None:
        for mid, pid, planned, deliverable in Milestone.objects.filter(running, planned_date__lt=cutoff).exclude(
                status="done").values_list("id", "project_id", "planned_date", "deliverable"):
            milestones.setdefault(pid, []).append(MilestoneFact(str(mid), planned, False, deliverable))
    spending: dict[int, tuple[Any, ...]] = {}
    if monitor.spending_rules:
        # Each project's latest report, and only those outside some rule's band (the engine decides).
        latest = SpendingReport.objects.filter(project=OuterRef("project"), as_of__lte=on).order_by("-as_of", "-id")
        outside = Q()
        for basis, lo, hi in monitor.spending_bands:
            base = F("planned_yuan") if basis == "planned" else F("project__budget_yuan")
            if lo is not None:
                outside |= Q(spent_x100__lt=base * Value(lo))
            if hi is not None:
                outside |= Q(spent_x100__gt=base * Value(hi))
        spending = {row[1]: row for row in SpendingReport.objects.filter(
            running, pk=Subquery(latest.values("pk")[:1])).annotate(
            spent_x100=ExpressionWrapper(F("spent_yuan") * Value(100), output_field=DecimalField())).filter(
            outside).values_list("id", "project_id", "as_of", "spent_yuan", "planned_yuan")}
    checks: dict[int, tuple[Any, ...]] = {}
    if monitor.check_rules:
        latest_check = MidTermCheck.objects.filter(project=OuterRef("project"), check_date__lte=on).order_by(
            "-check_date", "-id")
        checks = {row[1]: row for row in MidTermCheck.objects.filter(
            running, pk=Subquery(latest_check.values("pk")[:1]), result=CheckResult.failed).values_list(
            "id", "project_id", "check_date", "result")}
    changes: dict[int, list[ChangeFact]] = {}
    before = monitor.unreported_changes_before
    if before is not None:
        unreported = Q(reported_on__isnull=True) | Q(reported_on__gt=on)
        for cid, pid, occurred, reported_on, desc in MajorChange.objects.filter(running, occurred_on__lte=on).filter(
                (unreported & Q(occurred_on__lt=before)) | (Q(reported_on__lte=on) & Q(reported_on__gt=F(
                    "occurred_on")))).values_list("id", "project_id", "occurred_on", "reported_on", "description"):
            changes.setdefault(pid, []).append(ChangeFact(str(cid), occurred, reported_on if reported_on and
                                                          reported_on <= on else None, desc[:200]))

    alerts: list[tuple[int, Any]] = []
    for pid in set(milestones) | set(spending) | set(checks) | set(changes):
        if pid not in projects:
            continue
        start, end, budget = projects[pid]
        s = spending.get(pid)
        c = checks.get(pid)
        facts = ProjectFacts(
            start=start, end=end, budget=budget, milestones=milestones.get(pid, ()),
            spending=SpendingFact(str(s[0]), s[2], float(s[3]), float(s[4])) if s else None,
            last_check=CheckFact(str(c[0]), c[2], c[3] == CheckResult.passed) if c else None,
            changes=changes.get(pid, ()))
        alerts.extend((pid, a) for a in monitor.check(facts))

    current = {(a.rule, pid, a.subject) for pid, a in alerts}
    existing = set(EarlyWarning.objects.filter(bureau=bureau, rule_id__in=list(rules)).values_list(
        "rule_id", "project_id", "subject"))
    new = [(pid, a) for pid, a in alerts if (a.rule, pid, a.subject) not in existing]
    _insert_warnings(bureau, pack.ref, on, [(pid, a.rule, a.subject, rules[a.rule].severity, a.facts)
                                            for pid, a in new])
    stale = [wid for wid, rule_id, pid, subject in EarlyWarning.objects.filter(
        bureau=bureau, status=WarningStatus.open, project__status=ProjectStatus.running).values_list(
        "id", "rule_id", "project_id", "subject") if (rule_id, pid, subject) not in current]
    for i in range(0, len(stale), 900):
        EarlyWarning.objects.filter(pk__in=stale[i:i + 900]).update(
            status=WarningStatus.resolved, resolved_on=on, resolution=CLEARED)
    by_rule: dict[str, int] = {}
    for _, a in new:
        by_rule[a.rule] = by_rule.get(a.rule, 0) + 1
    result = SweepResult(bureau=bureau.code, on=on, pack_ref=pack.ref, projects=len(projects), raised=len(new),
                         cleared=len(stale), seconds=round(time.perf_counter() - started, 3), by_rule=by_rule)
    sweep = MonitoringSweep.objects.create(bureau=bureau, on=on, pack_ref=pack.ref, projects=result.projects,
                                           raised=result.raised, cleared=result.cleared, seconds=result.seconds,
                                           actor=actor if getattr(actor, "pk", None) else None)
    audit_append(actor=actor, action="monitoring.sweep", subject=sweep,
                 after={"bureau": bureau.code, "on": on, "pack": pack.ref, "projects": result.projects,
                        "raised": result.raised, "cleared": result.cleared, "by_rule": by_rule})
    return result


def monitoring_sweep_request(*, bureau: Organisation, actor: Any, on: dt.date | None = None) -> SweepResult:
    """A caseworker runs the sweep for their bureau (up to today, never ahead of it)."""
    perm.require(perm.bureau_roles(actor, bureau.pk), {"caseworker"}, "运行预警巡查", "run the warning sweep")
    if on is not None and on > today():
        raise Invalid("巡查日期不能晚于今天", "the sweep date cannot be in the future", field="on")
    return monitoring_sweep(bureau=bureau, on=on, actor=actor)


@transaction.atomic
def warning_resolve(*, warning: EarlyWarning, actor: Any, resolution: str) -> EarlyWarning:
    """A caseworker closes a warning, saying how it was dealt with."""
    perm.require(perm.bureau_roles(actor, warning.bureau_id), {"caseworker"}, "处理预警", "resolve warnings")
    warning = EarlyWarning.objects.select_for_update().get(pk=warning.pk)
    if warning.status != WarningStatus.open:
        raise Conflict("该预警已处理", "the warning was resolved already", field="warning")
    warning.status, warning.resolved_on = WarningStatus.resolved, today()
    warning.resolution, warning.resolved_by = _text(resolution, "resolution"), actor
    warning.save(update_fields=["status", "resolved_on", "resolution", "resolved_by"])
    audit_append(actor=actor, action="monitoring.warning_resolve", subject=warning.project,
                 after={"warning": warning.pk, "rule": warning.rule_id, "resolution": warning.resolution})
    return warning


def warning_describe(w: EarlyWarning, pack: Pack | None = None) -> dict[str, Any]:
    """A warning with its rule's label, clause and a sentence saying what raised it."""
    try:
        pack = pack or registry().get(w.pack_ref)
        rule = pack.monitoring.rule(w.rule_id) if pack.monitoring else None
    except (UnknownPack, KeyError):
        rule = None
    zh, en = warning_text(rule.kind if rule else "", w.facts)
    clause = pack.clauses[rule.clause].clause if rule and pack and rule.clause in pack.clauses else None
    return {"rule": w.rule_id, "kind": rule.kind if rule else None,
            "label": {"zh": rule.label.zh, "en": rule.label.en} if rule else {"zh": w.rule_id, "en": w.rule_id},
            "clause": rule.clause if rule else None,
            "cites": clause.cites.model_dump(exclude_none=True) if clause else None,
            "quote": rule.quote if rule else None, "text": {"zh": zh, "en": en}}


# --- random inspections (随机抽查) ----------------------------------------------------------------------

STRATA = ("none", "programme", "risk")


def _lottery(seed: str, stratum: str, project_id: int) -> str:
    """Each candidate's lottery number: SHA-256 of seed|stratum|project id. Anyone can recompute it."""
    return hashlib.sha256(f"{seed}|{stratum}|{project_id}".encode()).hexdigest()


def draw_sample(candidates: dict[str, list[int]], sizes: dict[str, int], seed: str) -> dict[str, list[int]]:
    """In each stratum, the `sizes[stratum]` candidates with the lowest lottery numbers (ascending ids)."""
    return {s: sorted(sorted(ids, key=lambda pid: (_lottery(seed, s, pid), pid))[:sizes.get(s, 0)])
            for s, ids in sorted(candidates.items())}


def allocate(counts: dict[str, int], size: int) -> dict[str, int]:
    """Split a sample proportionally to the strata (largest remainder; ties by stratum name)."""
    total = sum(counts.values())
    if total == 0:
        return {s: 0 for s in counts}
    exact = {s: size * n / total for s, n in counts.items()}
    out = {s: int(x) for s, x in exact.items()}
    for s in sorted(counts, key=lambda s: (-(exact[s] - out[s]), s))[:size - sum(out.values())]:
        out[s] += 1
    return out


def _candidates(bureau: Organisation, strata: str) -> dict[str, list[int]]:
    rows = list(Project.objects.filter(bureau=bureau, status=ProjectStatus.running).order_by("id").values_list(
        "id", "programme"))
    if strata == "programme":
        out: dict[str, list[int]] = {}
        for pid, programme in rows:
            out.setdefault(programme or "", []).append(pid)
        return out
    if strata == "risk":
        risky = set(EarlyWarning.objects.filter(bureau=bureau, status=WarningStatus.open).values_list(
            "project_id", flat=True))
        return {"open_warnings": [pid for pid, _ in rows if pid in risky],
                "no_open_warnings": [pid for pid, _ in rows if pid not in risky]}
    return {"all": [pid for pid, _ in rows]}


@transaction.atomic
def inspection_draw(*, bureau: Organisation, actor: Any, size: int | None = None,
                    sizes: dict[str, int] | None = None, strata: str = "none", seed: str | None = None) -> Inspection:
    """Draw running projects of a bureau for a random inspection (随机抽查).

    `strata`: none, programme (计划类别) or risk (has open warnings or not). Give `size` (split across strata
    in proportion) or `sizes` per stratum. The seed (random unless given, e.g. a publicly drawn number) and
    the candidate list are stored, so `inspection_replay` gives the same sample whatever changes later.
    """
    perm.require(perm.bureau_roles(actor, bureau.pk), {"caseworker"}, "组织随机抽查", "draw inspections")
    if strata not in STRATA:
        raise Invalid(f"分层方式须为 {'/'.join(STRATA)}", f"strata must be one of {', '.join(STRATA)}", field="strata")
    if (size is None) == (sizes is None):
        raise Invalid("请给出抽查数量 size，或按层给出 sizes（二者选一）",
                      "give size, or sizes per stratum (one of them)", field="size")
    if seed is not None and (not seed.strip() or len(seed) > 128):
        raise Invalid("随机种子须为 1–128 个字符", "the seed must be 1–128 characters", field="seed")
    on = today()
    candidates = _candidates(bureau, strata)
    counts = {s: len(ids) for s, ids in candidates.items()}
    if sizes is not None:
        for s, n in sizes.items():
            if s not in counts:
                raise Invalid(f"没有“{s}”这一层；现有：{', '.join(sorted(counts)) or '无'}",
                              f"no stratum {s!r}; strata are: {', '.join(sorted(counts)) or 'none'}",
                              field=f"sizes.{s}")
            if not isinstance(n, int) or isinstance(n, bool) or n < 0 or n > counts[s]:
                raise Invalid(f"“{s}”层只有 {counts[s]} 个项目", f"stratum {s!r} has {counts[s]} projects",
                              field=f"sizes.{s}")
        chosen = {s: sizes.get(s, 0) for s in counts}
    else:
        assert size is not None
        total = sum(counts.values())
        if isinstance(size, bool) or size < 1 or size > total:
            raise Invalid(f"抽查数量须在 1 到 {total}（执行中项目数）之间", f"size must be 1 to {total} (running "
                          "projects)", field="size")
        chosen = allocate(counts, size)
    if sum(chosen.values()) == 0:
        raise Invalid("抽查数量不能为 0", "the sample cannot be empty", field="sizes")
    seed = seed.strip() if seed else secrets.token_hex(16)
    sample = draw_sample(candidates, chosen, seed)
    pack = monitoring_pack(bureau, on, need="inspection")
    insp = Inspection.objects.create(number=f"TMP-{secrets.token_hex(6)}", bureau=bureau, drawn_on=on,
                                     pack_ref=pack.ref if pack else "", strata=strata, sizes=chosen, seed=seed,
                                     candidates=candidates, sample=sample, drawn_by=actor)
    insp.number = f"CC-{on.year}-{insp.pk:06d}"
    insp.save(update_fields=["number"])
    InspectionItem.objects.bulk_create([InspectionItem(inspection=insp, project_id=pid, stratum=s)
                                        for s, ids in sample.items() for pid in ids])
    audit_append(actor=actor, action="inspection.draw", subject=insp,
                 after={"number": insp.number, "bureau": bureau.code, "strata": strata, "sizes": chosen, "seed": seed,
                        "candidates": counts, "sample": sample,
                        "candidates_sha256": hashlib.sha256(repr(sorted(candidates.items())).encode()).hexdigest()})
    return insp


def inspection_replay(*, inspection: Inspection) -> dict[str, list[int]]:
    """Re-run the draw from the stored seed and candidate list; equal to `inspection.sample`."""
    return draw_sample(inspection.candidates, inspection.sizes, inspection.seed)


@transaction.atomic
def inspection_item_record(*, item: InspectionItem, actor: Any, result: str, notes: str = "",
                           findings: dict[str, str] | None = None) -> InspectionItem:
    """Record what checking one sampled project found (per inspection item of the pack, e.g. 经费管理使用)."""
    insp = item.inspection
    perm.require(perm.bureau_roles(actor, insp.bureau_id), {"caseworker"}, "登记抽查结果", "record inspection results")
    if result not in (InspectionResult.no_issues, InspectionResult.issues_found):
        raise Invalid("结果须为 no_issues（未发现问题）或 issues_found（发现问题）",
                      "result must be no_issues or issues_found", field="result")
    findings = findings or {}
    pack = _pack_by_ref(insp.pack_ref)
    allowed = [i.id for i in pack.monitoring.inspection.items] if pack and pack.monitoring and \
        pack.monitoring.inspection else []
    clean: dict[str, str] = {}
    for key, text in findings.items():
        if key not in allowed:
            raise Invalid(f"检查事项须为：{', '.join(allowed) or '（政策包未列）'}",
                          f"inspection items are: {', '.join(allowed) or '(none in the pack)'}",
                          field=f"findings.{key}")
        clean[key] = _text(text, f"findings.{key}", required=False)
    notes = _text(notes, "notes", required=result == InspectionResult.issues_found and not any(clean.values()))
    item = InspectionItem.objects.select_for_update().get(pk=item.pk)
    before = item.result
    item.result, item.notes, item.findings = result, notes, clean
    item.checked_on, item.checked_by = today(), actor
    item.save()
    audit_append(actor=actor, action="inspection.record", subject=insp, before={"result": before},
                 after={"project": item.project_id, "result": result, "findings": clean})
    return item


def _pack_by_ref(ref: str) -> Pack | None:
    if not ref:
        return None
    try:
        return registry().get(ref)
    except UnknownPack:
        return None


# --- the correction procedure (纠错) ----------------------------------------------------------------------

S = CorrectionState


@dataclass(frozen=True)
class Step:
    """One allowed move of a correction, in the shape of a pack procedure's transition
    (`rongcuo.engine.model.Transition`): from a state, to a state, by whom, on what preconditions."""

    from_: str
    to: str
    by: frozenset[str]
    action: str
    label_zh: str
    label_en: str
    requires: tuple[str, ...] = ()


def _step(action: str, sources: Sequence[str], to: str, by: Iterable[str], label_zh: str, label_en: str,
          requires: tuple[str, ...] = ()) -> list[Step]:
    """An action possible from several states: one step from each, as a procedure writes it."""
    return [Step(s, to, frozenset(by), action, label_zh, label_en, requires) for s in sources]


AWAITING_RECTIFICATION = (S.notice_served, S.interview_scheduled, S.interview_held)
TERMINAL = (S.verified, S.measure_recorded)
OPEN_STATES = tuple(s for s in S.values if s not in TERMINAL)

#: The whole procedure, as data read like a pack's procedure (`rongcuo.engine.model.transitions_from`), in the
#: order its actions are offered. `system` is the correction sweep.
STEPS: tuple[Step, ...] = (
    *_step("serve_notice", (S.opened,), S.notice_served, {"caseworker"}, "送达纠错通知书",
           "Serve the correction notice"),
    *_step("schedule_interview", (S.notice_served, S.interview_scheduled), S.interview_scheduled, {"caseworker"},
           "安排谈话问询", "Schedule the interview", ("procedure_has_interview",)),
    *_step("hold_interview", (S.interview_scheduled,), S.interview_held, {"caseworker"}, "记录谈话问询",
           "Record the interview"),
    *_step("submit_rectification", AWAITING_RECTIFICATION, S.rectification_submitted,
           {"lead", "host_unit_reviewer", "caseworker"}, "提交整改情况", "Submit the rectification",
           ("interview_held_if_required", "deadline_set", "before_deadline")),
    *_step("accept_rectification", (S.rectification_submitted,), S.verified, {"caseworker"}, "整改验收通过",
           "Accept the rectification"),
    *_step("reject_rectification", (S.rectification_submitted,), S.escalated, {"caseworker"},
           "整改验收不通过，移交严肃处理", "Reject the rectification and escalate"),
    *_step("escalate", AWAITING_RECTIFICATION, S.escalated, {"system", "caseworker"}, "逾期未整改，移交严肃处理",
           "Escalate: the deadline to rectify has passed", ("deadline_passed",)),
    *_step("record_measure", (S.escalated,), S.measure_recorded, {"caseworker", "committee"}, "记录处理措施",
           "Record the measure taken"),
)
#: Each action with its first step (for its label).
ACTIONS: dict[str, Step] = {s.action: s for s in reversed(STEPS)}


def steps_from(state: str) -> list[Step]:
    """The steps that can be taken in `state`, read from STEPS as a pack's procedure is read."""
    return transitions_from(STEPS, state, TERMINAL)


def correction_rules(case: CorrectionCase) -> CorrectionRules:
    pack = registry().get(f"{case.pack_id}@{case.pack_version}")
    assert pack.monitoring is not None and pack.monitoring.correction is not None
    return pack.monitoring.correction


def _unmet(case: CorrectionCase, req: str, on: dt.date) -> tuple[str, str] | None:
    rules = correction_rules(case)
    if req == "procedure_has_interview":
        if rules.interview is None:
            return "本纠错程序没有谈话问询环节", "this correction procedure has no interview"
        return None
    if req == "interview_held_if_required":
        if rules.interview is not None and rules.interview.required and case.state != S.interview_held:
            return ("须先进行谈话问询，再提交整改情况",
                    "the interview must be held before the rectification is submitted")
        return None
    if req == "deadline_set":
        return None if case.rectify_due else ("整改期限尚未起算", "the deadline to rectify has not started yet")
    if req == "before_deadline":
        if case.rectify_due and on > case.rectify_due:
            return (f"整改期限（{case.rectify_due}）已过，本案将移交严肃处理",
                    f"the deadline to rectify ({case.rectify_due}) has passed; the case is escalated")
        return None
    if req == "deadline_passed":
        if not case.rectify_due or on <= case.rectify_due:
            return (f"整改期限（{case.rectify_due or '未起算'}）尚未届满",
                    f"the deadline to rectify ({case.rectify_due or 'not started'}) has not passed")
        return None
    raise PreconditionFailed(f"未知前提 {req}", f"unknown precondition {req}", field="action")


def available_actions(case: CorrectionCase, roles: set[str], on: dt.date | None = None) -> list[dict[str, Any]]:
    """The steps the user could take now, each with its unmet precondition (None if it can be taken)."""
    on = on or today()
    acting = roles - perm.READ_ONLY_ROLES
    out = []
    for step in steps_from(case.state):
        if not ("admin" in acting or acting & step.by):
            continue
        unmet = next((u for u in (_unmet(case, r, on) for r in step.requires) if u), None)
        out.append({"action": step.action, "to": step.to, "label": {"zh": step.label_zh, "en": step.label_en},
                    "possible": unmet is None, "unmet": {"zh": unmet[0], "en": unmet[1]} if unmet else None})
    return out


def _snapshot(case: CorrectionCase) -> dict[str, Any]:
    return {"state": case.state, "version": case.version, "rectify_due": case.rectify_due,
            "notice_number": case.notice_number}


def _begin(case: CorrectionCase, actor: Any, action: str, expected_version: int | None,
           on: dt.date) -> tuple[CorrectionCase, Step, str, dict[str, Any]]:
    """Lock the case, check the table (state, role, preconditions); the caller then fills in its fields."""
    locked = CorrectionCase.objects.select_for_update().select_related("project", "bureau").get(pk=case.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(f"纠错案件已被他人修改（当前版本 {locked.version}，您提交的是 {expected_version}），"
                       "请刷新后重试",
                       f"the correction was changed by someone else (version {locked.version}, you sent "
                       f"{expected_version}); reload and try again", field="version")
    possible = steps_from(locked.state)
    step = next((s for s in possible if s.action == action), None)
    if step is None:
        here = [s.action for s in possible]
        raise Conflict(f"当前状态“{S(locked.state).label}”不能执行“{ACTIONS[action].label_zh}”；"
                       f"可执行：{', '.join(here) or '无'}",
                       f"cannot {action} in state {locked.state}; possible: {', '.join(here) or 'none'}",
                       field="action")
    role = "system" if actor is None else perm.require(
        perm.project_roles(actor, locked.project), set(step.by), step.label_zh, step.label_en.lower())
    if role == "system" and "system" not in step.by:
        raise Forbidden("须由经办人执行", "a caseworker must take this step", field="role")
    pack = registry().get(f"{locked.pack_id}@{locked.pack_version}")
    refused = pack_changed(locked, pack, ("本纠错案件启动", "this correction was opened"))
    if refused is not None:  # every step runs under the text pinned when the correction was opened
        raise refused
    for req in step.requires:
        unmet = _unmet(locked, req, on)
        if unmet:
            raise PreconditionFailed(unmet[0], unmet[1], field="action")
    return locked, step, role, _snapshot(locked)


def _finish(case: CorrectionCase, actor: Any, step: Step, role: str, before: dict[str, Any], on: dt.date,
            data: dict[str, Any]) -> CorrectionCase:
    from_state = case.state
    case.state = step.to
    case.version += 1
    if step.to in TERMINAL:
        case.closed_on = on
        # The warnings behind the correction are dealt with once it is closed (verified, or the measure taken).
        open_ids = list(case.warnings.filter(status=WarningStatus.open).values_list("id", flat=True))
        if open_ids:
            EarlyWarning.objects.filter(pk__in=open_ids).update(
                status=WarningStatus.resolved, resolved_on=on,
                resolved_by=actor if getattr(actor, "pk", None) else None,
                resolution=f"纠错案件 {case.number}：{step.label_zh} / correction {case.number}: {step.label_en}")
            data = {**data, "warnings_resolved": open_ids}
    case.save()
    CorrectionEvent.objects.create(case=case, action=step.action, from_state=from_state, to_state=step.to,
                                   actor=actor if getattr(actor, "pk", None) else None, role=role, on=on,
                                   at=timezone.now(), data=canonical(data))
    audit_append(actor=actor, action=f"correction.{step.action}", subject=case, before=before,
                 after={**_snapshot(case), **data, "role": role})
    return case


def _deadline(case: CorrectionCase, rules: CorrectionRules, pack: Pack, start: dt.date) -> None:
    r = rules.rectification
    days = rectification_days(rules, pack.params_dict(case.opened_on))
    due = due_date(start=start, days=days, day_kind=r.day_kind, start_day_counts=r.start_day_counts)
    case.rectify_start, case.rectify_days, case.rectify_day_kind = start, days, r.day_kind
    case.rectify_start_day_counts = r.start_day_counts
    case.rectify_due, case.rectify_provisional = due.date, due.provisional


@transaction.atomic
def correction_open(*, project: Project, actor: Any, problem: str, warnings: Sequence[EarlyWarning] = (),
                    inspection_item: InspectionItem | None = None) -> CorrectionCase:
    """Start the correction procedure on a project (启动纠错程序) for a problem found — by a warning, an
    inspection, or otherwise. One open correction per project at a time."""
    role = perm.require(perm.project_roles(actor, project), {"caseworker"}, "启动纠错程序", "open a correction")
    text = _text(problem, "problem")
    on = today()
    bureau = project.bureau
    pack = monitoring_pack(bureau, on, need="correction")
    if pack is None:
        raise Invalid("该主管部门适用的政策包没有规定纠错程序（monitoring.yaml 的 correction）",
                      "none of the bureau's packs in force defines a correction procedure (correction in "
                      "monitoring.yaml)", field="project_id")
    for w in warnings:
        if w.project_id != project.pk:
            raise Invalid(f"预警 {w.pk} 不属于该项目", f"warning {w.pk} is not about this project", field="warning_ids")
    if inspection_item is not None and inspection_item.project_id != project.pk:
        raise Invalid("抽查记录不属于该项目", "the inspection item is not about this project",
                      field="inspection_item_id")
    Project.objects.select_for_update().filter(pk=project.pk).first()  # one open correction per project
    other = CorrectionCase.objects.filter(project=project, state__in=OPEN_STATES).first()
    if other is not None:
        raise Conflict(f"该项目已有进行中的纠错案件 {other.number}",
                       f"the project has an open correction {other.number}", field="project_id")
    case = CorrectionCase.objects.create(number=f"TMP-{secrets.token_hex(6)}", project=project, bureau=bureau,
                                         pack_id=pack.id, pack_version=pack.version, pack_hash=pack.content_hash,
                                         problem=text, inspection_item=inspection_item, opened_on=on, opened_by=actor)
    case.number = f"JC-{on.year}-{case.pk:06d}"
    case.save(update_fields=["number"])
    if warnings:
        case.warnings.set(warnings)
    data = {"problem": text, "warnings": [w.pk for w in warnings],
            "inspection_item": inspection_item.pk if inspection_item else None, "pack": pack.ref}
    CorrectionEvent.objects.create(case=case, action="open", from_state="", to_state=case.state, actor=actor,
                                   role=role, on=on, at=timezone.now(), data=canonical(data))
    audit_append(actor=actor, action="correction.open", subject=case,
                 after={**_snapshot(case), "number": case.number, "project": project.code, **data})
    return case


def _notice_data(case: CorrectionCase, rules: CorrectionRules, pack: Pack, cc: str) -> notices.NoticeData:
    project = case.project
    # The clauses the procedure rests on, each cited once with its full text.
    used = [rules.clause] + [step.clause for step in (rules.notice, rules.interview, rules.rectification,
                                                      rules.escalation) if step is not None and step.clause]
    basis = [(cl.cites.article + (cl.cites.item or ""), cl.text_zh)
             for cl in (pack.clauses[cid].clause for cid in dict.fromkeys(used))]
    findings = []
    for w in case.warnings.all().order_by("id"):
        d = warning_describe(w, pack)
        findings.append((d["text"]["zh"], d["text"]["en"]))
    esc = rules.escalation
    escalation_zh = f"根据上述规定，{esc.quote}" if esc.quote else "逾期未整改或整改未通过的，本机关将依规处理"
    return notices.NoticeData(
        issuer_zh=case.bureau.name_zh, issuer_en=case.bureau.name_en or case.bureau.name_zh,
        doc_number=case.notice_number, title_zh=rules.notice.title.zh, title_en=rules.notice.title.en,
        recipient_zh=project.host_unit.name_zh, project_zh=project.title, project_code=project.code,
        lead_zh=project.lead.name, case_number=case.number, pack_title_zh=pack.meta.title.zh, pack_ref=pack.ref,
        pack_hash=pack.content_hash, basis=tuple(basis), problem_zh=case.problem,
        findings=tuple(findings), requirements_zh=case.requirements, due=case.rectify_due,
        due_days=case.rectify_days or rectification_days(rules, pack.params_dict(case.opened_on)),
        day_kind=rules.rectification.day_kind, due_provisional=case.rectify_provisional,
        from_event=rules.rectification.from_event, interview=rules.interview is not None,
        escalation_zh=escalation_zh, cc_zh=cc or None, date=case.notice_served_on or today())


def _store(case: CorrectionCase, kind: str, name: str, content: bytes, content_type: str,
           actor: Any) -> CorrectionDocument:
    digest = hashlib.sha256(content).hexdigest()
    doc = CorrectionDocument(case=case, kind=kind, original_name=name[:255], content_type=content_type,
                             size=len(content), sha256=digest,
                             uploaded_by=actor if getattr(actor, "pk", None) else None)
    doc.file.save(f"{case.number}-{kind}-{digest[:12]}{PurePath(name).suffix.lower()}", ContentFile(content),
                  save=False)
    doc.save()
    return doc


@transaction.atomic
def correction_serve_notice(*, case: CorrectionCase, actor: Any, requirements: str, cc: str = "",
                            expected_version: int | None = None) -> CorrectionCase:
    """Generate and serve the correction notice (发送纠错通知书) as a DOCX, recorded with its SHA-256; the
    deadline to rectify starts now when the pack counts it from the notice."""
    on = today()
    case, step, role, before = _begin(case, actor, "serve_notice", expected_version, on)
    case.requirements = _text(requirements, "requirements")
    cc = _text(cc, "cc", limit=300, required=False)
    rules = correction_rules(case)
    pack = registry().get(f"{case.pack_id}@{case.pack_version}")
    case.notice_number = f"{case.bureau.code}纠〔{on.year}〕{case.pk}号"
    case.notice_served_on = on
    if rules.rectification.from_event == "notice_served":
        _deadline(case, rules, pack, on)
    content = notices.render_notice_docx(_notice_data(case, rules, pack, cc))
    doc = _store(case, "notice", f"{case.number}-{rules.notice.title.zh}.docx", content,
                 content_type_of(".docx"), actor)
    return _finish(case, actor, step, role, before, on, {
        "notice_number": case.notice_number, "sha256": doc.sha256, "document": doc.pk,
        "rectify_due": case.rectify_due, "rectify_days": case.rectify_days, "day_kind": case.rectify_day_kind,
        "provisional": case.rectify_provisional})


@transaction.atomic
def correction_schedule_interview(*, case: CorrectionCase, actor: Any, at: dt.datetime, place: str,
                                  expected_version: int | None = None) -> CorrectionCase:
    """Schedule (or move) the interview (谈话问询)."""
    on = today()
    case, step, role, before = _begin(case, actor, "schedule_interview", expected_version, on)
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if timezone.localtime(at).date() < on:
        raise Invalid("谈话日期不能早于今天", "the interview cannot be scheduled in the past", field="at")
    case.interview_at, case.interview_place = at, _text(place, "place", limit=200)
    return _finish(case, actor, step, role, before, on, {"at": at.isoformat(), "place": case.interview_place})


def _upload(case: CorrectionCase, actor: Any, kind: str, file: Any) -> CorrectionDocument:
    """A document checked like case evidence (`rongcuo.common.uploads`): allowed type by content, size, no
    executables; stored under its safe name with its SHA-256."""
    checked = upload_check(file)
    return _store(case, kind, checked.safe_name, file.read(), checked.content_type, actor)


ATTACHABLE: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    # kind: (who may attach it, in which states)
    "interview_record": (frozenset({"caseworker"}), (S.interview_scheduled, S.interview_held)),
    "rectification_evidence": (frozenset({"lead", "host_unit_reviewer", "caseworker"}),
                               (*AWAITING_RECTIFICATION, S.rectification_submitted)),
}


@transaction.atomic
def correction_attach(*, case: CorrectionCase, actor: Any, kind: str, file: Any) -> CorrectionDocument:
    """Attach an interview record or evidence of rectification (type checked by content, SHA-256 kept)."""
    if kind not in ATTACHABLE:
        raise Invalid(f"文件类型须为：{', '.join(ATTACHABLE)}", f"kind must be one of: {', '.join(ATTACHABLE)}",
                      field="kind")
    case = CorrectionCase.objects.select_for_update().select_related("project").get(pk=case.pk)
    who, states = ATTACHABLE[kind]
    perm.require(perm.project_roles(actor, case.project), set(who), "上传该文件", f"attach {kind}")
    if case.state not in states:
        raise Conflict(f"当前状态“{S(case.state).label}”不能上传该文件", f"cannot attach {kind} in state {case.state}",
                       field="kind")
    doc = _upload(case, actor, kind, file)
    case.version += 1
    case.save(update_fields=["version"])
    audit_append(actor=actor, action="correction.attach", subject=case,
                 after={"kind": kind, "document": doc.pk, "name": doc.original_name, "sha256": doc.sha256})
    return doc


@transaction.atomic
def correction_hold_interview(*, case: CorrectionCase, actor: Any, record: str, file: Any = None,
                              expected_version: int | None = None) -> CorrectionCase:
    """Record the interview held (谈话问询记录); the deadline starts now when the pack counts it from here."""
    on = today()
    case, step, role, before = _begin(case, actor, "hold_interview", expected_version, on)
    case.interview_record = _text(record, "record", limit=20000)
    case.interview_held_on = on
    doc = _upload(case, actor, "interview_record", file) if file is not None else None
    rules = correction_rules(case)
    if rules.rectification.from_event == "interview_held":
        _deadline(case, rules, registry().get(f"{case.pack_id}@{case.pack_version}"), on)
    return _finish(case, actor, step, role, before, on, {
        "held_on": on, "document": doc.pk if doc else None, "sha256": doc.sha256 if doc else None,
        "rectify_due": case.rectify_due})


@transaction.atomic
def correction_submit_rectification(*, case: CorrectionCase, actor: Any, description: str, file: Any = None,
                                    expected_version: int | None = None) -> CorrectionCase:
    """The project (or the caseworker for it) submits what was rectified, with evidence, before the deadline."""
    on = today()
    case, step, role, before = _begin(case, actor, "submit_rectification", expected_version, on)
    case.rectification = _text(description, "description", limit=20000)
    case.rectification_submitted_on = on
    doc = _upload(case, actor, "rectification_evidence", file) if file is not None else None
    return _finish(case, actor, step, role, before, on, {
        "submitted_on": on, "document": doc.pk if doc else None, "sha256": doc.sha256 if doc else None})


@transaction.atomic
def correction_verify(*, case: CorrectionCase, actor: Any, passed: bool, notes: str = "",
                      expected_version: int | None = None) -> CorrectionCase:
    """Verify the rectification: passed closes the correction; failed (整改效果不明显) escalates it."""
    on = today()
    action = "accept_rectification" if passed else "reject_rectification"
    case, step, role, before = _begin(case, actor, action, expected_version, on)
    case.verification_passed, case.verified_on = passed, on
    case.verification_notes = _text(notes, "notes", limit=20000, required=not passed)
    if not passed:
        case.escalated_on, case.escalation_reason = on, "verification_failed"
    return _finish(case, actor, step, role, before, on, {"passed": passed, "notes": case.verification_notes})


@transaction.atomic
def correction_escalate(*, case: CorrectionCase, actor: Any = None, on: dt.date | None = None) -> CorrectionCase:
    """The deadline to rectify passed without a rectification: escalate (移交严肃处理)."""
    on = on or today()
    case, step, role, before = _begin(case, actor, "escalate", None, on)
    case.escalated_on, case.escalation_reason = on, "deadline_missed"
    return _finish(case, actor, step, role, before, on, {"reason": "deadline_missed", "rectify_due": case.rectify_due})


@transaction.atomic
def correction_record_measure(*, case: CorrectionCase, actor: Any, measure: str, text: str,
                              expected_version: int | None = None) -> CorrectionCase:
    """The bureau records the measure it took after the escalation (给予严肃处理) and its basis."""
    on = today()
    case, step, role, before = _begin(case, actor, "record_measure", expected_version, on)
    allowed = [m.id for m in correction_rules(case).measures]
    if measure not in allowed:
        raise Invalid(f"处理措施须为：{', '.join(allowed)}", f"the measure must be one of: {', '.join(allowed)}",
                      field="measure")
    case.measure, case.measure_text, case.measure_on = measure, _text(text, "text", limit=20000), on
    return _finish(case, actor, step, role, before, on, {"measure": measure, "text": case.measure_text})


def correction_sweep(*, on: dt.date | None = None, bureau: Organisation | None = None) -> list[str]:
    """Escalate every correction whose deadline to rectify has passed without a rectification; returns their
    numbers. Idempotent: an escalated correction is no longer awaiting rectification."""
    on = on or today()
    qs = CorrectionCase.objects.filter(state__in=AWAITING_RECTIFICATION, rectify_due__lt=on)
    if bureau is not None:
        qs = qs.filter(bureau=bureau)
    done = []
    for case in qs.order_by("rectify_due", "id"):
        try:
            done.append(correction_escalate(case=case, on=on).number)
        except Conflict:
            continue  # taken by someone else meanwhile
    return done


def correction_sweep_request(*, bureau: Organisation, actor: Any) -> list[str]:
    perm.require(perm.bureau_roles(actor, bureau.pk), {"caseworker"}, "运行纠错期限巡查", "run the correction sweep")
    return correction_sweep(bureau=bureau)


def correction_recompute(years: Iterable[int] | None = None) -> int:
    """Recompute open deadlines to rectify after a change of the official calendar; returns how many moved."""
    changed = 0
    with transaction.atomic():
        for case in CorrectionCase.objects.select_for_update().filter(state__in=AWAITING_RECTIFICATION,
                                                                     rectify_start__isnull=False):
            due = due_date(start=case.rectify_start, days=case.rectify_days or 0,
                           day_kind=case.rectify_day_kind,  # type: ignore[arg-type]
                           start_day_counts=case.rectify_start_day_counts)
            if (due.date, due.provisional) != (case.rectify_due, case.rectify_provisional):
                before = {"rectify_due": case.rectify_due, "provisional": case.rectify_provisional}
                case.rectify_due, case.rectify_provisional = due.date, due.provisional
                case.save(update_fields=["rectify_due", "rectify_provisional"])
                audit_append(actor=None, action="correction.deadline_recompute", subject=case, before=before,
                             after={"rectify_due": due.date, "provisional": due.provisional,
                                    "years": sorted(years or [])})
                changed += 1
    return changed


@on_calendar_change
def _calendar_changed(years: frozenset[int]) -> None:
    correction_recompute(years)


# --- reading --------------------------------------------------------------------------------------------

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
        "state_label": _state_label(case.state), "problem": case.problem, "requirements": case.requirements,
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


def _state_label(state: str) -> dict[str, str]:
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

