"""The early-warning sweep: the pack's rules (monitoring.yaml) over all running projects of a bureau,
set-based — a handful of queries and bulk inserts whatever the number of projects; idempotent. And the
warnings it raises: resolved by a caseworker, described with their rule and clause."""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Q, Subquery, Value
from django.db.models.constants import OnConflict

from rongcuo.audit.services import audit_append
from rongcuo.common.errors import Conflict, Invalid
from rongcuo.common.packs import registry
from rongcuo.engine.monitoring import (
    ChangeFact,
    CheckFact,
    MilestoneFact,
    Monitor,
    MonitoringError,
    ProjectFacts,
    SpendingFact,
)
from rongcuo.engine.pack import Pack, UnknownPack
from rongcuo.monitoring import permissions as perm
from rongcuo.monitoring import services
from rongcuo.monitoring.explain import warning_text
from rongcuo.monitoring.models import (
    CheckResult,
    EarlyWarning,
    MajorChange,
    MidTermCheck,
    MonitoringSweep,
    SpendingReport,
    WarningStatus,
)
from rongcuo.monitoring.packs import monitoring_pack
from rongcuo.monitoring.services.inputs import clean_text
from rongcuo.registry.models import Milestone, Organisation, Project, ProjectStatus
from rongcuo.workdays.selectors import load_calendar


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
    on = on or services.today()
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
    if on is not None and on > services.today():
        raise Invalid("巡查日期不能晚于今天", "the sweep date cannot be in the future", field="on")
    return monitoring_sweep(bureau=bureau, on=on, actor=actor)


@transaction.atomic
def warning_resolve(*, warning: EarlyWarning, actor: Any, resolution: str) -> EarlyWarning:
    """A caseworker closes a warning, saying how it was dealt with."""
    perm.require(perm.bureau_roles(actor, warning.bureau_id), {"caseworker"}, "处理预警", "resolve warnings")
    warning = EarlyWarning.objects.select_for_update().get(pk=warning.pk)
    if warning.status != WarningStatus.open:
        raise Conflict("该预警已处理", "the warning was resolved already", field="warning")
    warning.status, warning.resolved_on = WarningStatus.resolved, services.today()
    warning.resolution, warning.resolved_by = clean_text(resolution, "resolution"), actor
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
