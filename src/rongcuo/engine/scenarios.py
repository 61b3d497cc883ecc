"""Scenario tests that live beside each pack: decisions (tests/*.yaml) and monitoring alerts
(tests/monitoring/*.yaml)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import Field, ValidationError

from .decide import decide
from .facts import InputError, parse_facts
from .model import Strict
from .monitoring import (
    ChangeFact,
    CheckFact,
    DayCounter,
    MilestoneFact,
    Monitor,
    MonitoringError,
    ProjectFacts,
    SpendingFact,
    natural_days,
    validation_errors,
)
from .pack import Pack
from .yamlsrc import PackError, PackErrors, read_yaml


@dataclass(frozen=True)
class ScenarioResult:
    pack: str
    where: str
    name: str
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


def run_scenarios(pack: Pack) -> list[ScenarioResult]:
    out = []
    for where, sc in pack.scenarios:
        fails: list[str] = []
        try:
            facts = parse_facts(pack.facts, sc.facts, accepted=pack.accepted_facts)
            res = decide(pack, facts, sc.date or pack.meta.effective_from, sc.determination)
        except (InputError, LookupError) as exc:
            out.append(ScenarioResult(pack.ref, where, sc.name, (f"cannot run: {exc}",)))
            continue
        exp = sc.expect
        if res.outcome != exp.outcome:
            fails.append(f"outcome: expected {exp.outcome}, got {res.outcome}")
        if exp.decisive is not None and res.decisive != exp.decisive:
            fails.append(f"decisive: expected {exp.decisive}, got {res.decisive}")
        if exp.needed is not None and res.needed != exp.needed:
            fails.append(f"needed: expected {exp.needed}, got {res.needed}")
        if exp.overrides is not None and res.overrides != exp.overrides:
            fails.append(f"overrides: expected {exp.overrides}, got {res.overrides}")
        if exp.obligations is not None:
            got = [ob.id for _, ob, _ in res.obligations]
            if got != exp.obligations:
                fails.append(f"obligations: expected {exp.obligations}, got {got}")
        out.append(ScenarioResult(pack.ref, where, sc.name, tuple(fails)))
    return out


# --- monitoring scenarios (tests/monitoring/*.yaml): the alerts a project's records raise ----------------------

SCENARIO_DIR = "tests/monitoring"

class _ScMilestone(Strict):
    key: str | None = None
    planned: dt.date
    done: bool = False
    deliverable: str = ""


class _ScSpending(Strict):
    as_of: dt.date
    spent: float = Field(ge=0)
    planned: float = Field(ge=0)


class _ScCheck(Strict):
    date: dt.date
    passed: bool


class _ScChange(Strict):
    date: dt.date
    reported_on: dt.date | None = None
    description: str = ""


class _ScProject(Strict):
    start: dt.date | None = None
    end: dt.date | None = None
    budget: float = Field(default=0, ge=0)


class MonitoringExpect(Strict):
    alerts: list[str]  # the rule ids that fire, in rule order and then record order
    facts: dict[str, dict[str, Any]] = Field(default_factory=dict)  # rule id → facts its first alert carries


class MonitoringScenario(Strict):
    name: str
    date: dt.date
    project: _ScProject = Field(default_factory=_ScProject)
    milestones: list[_ScMilestone] = Field(default_factory=list)
    spending: list[_ScSpending] = Field(default_factory=list)
    checks: list[_ScCheck] = Field(default_factory=list)
    changes: list[_ScChange] = Field(default_factory=list)
    expect: MonitoringExpect

    def facts(self) -> ProjectFacts:
        on = self.date
        reports = sorted((s for s in self.spending if s.as_of <= on), key=lambda s: s.as_of)
        checks = sorted((c for c in self.checks if c.date <= on), key=lambda c: c.date)
        last_s = reports[-1] if reports else None
        last_c = checks[-1] if checks else None
        return ProjectFacts(
            start=self.project.start, end=self.project.end, budget=self.project.budget,
            milestones=[MilestoneFact(m.key or f"m{i + 1}", m.planned, m.done, m.deliverable)
                        for i, m in enumerate(self.milestones)],
            spending=SpendingFact(f"s{reports.index(last_s) + 1}", last_s.as_of, last_s.spent, last_s.planned)
            if last_s else None,
            last_check=CheckFact(f"c{checks.index(last_c) + 1}", last_c.date, last_c.passed) if last_c else None,
            changes=[ChangeFact(f"x{i + 1}", ch.date, ch.reported_on if ch.reported_on and ch.reported_on <= on
                                else None, ch.description) for i, ch in enumerate(self.changes) if ch.date <= on])


@dataclass(frozen=True)
class MonitoringScenarioResult:
    where: str
    name: str
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


def load_monitoring_scenarios(pack: Pack) -> list[tuple[str, MonitoringScenario]]:
    """The pack's monitoring scenarios; PackErrors naming file and line for any problem."""
    directory = pack.directory / SCENARIO_DIR
    if not directory.is_dir():
        return []
    errors: list[PackError] = []
    out: list[tuple[str, MonitoringScenario]] = []
    known = {r.id for r in pack.monitoring.rules} if pack.monitoring else set()
    for path in sorted(directory.glob("*.yaml")):
        shown = f"{pack.directory.name}/{SCENARIO_DIR}/{path.name}"
        src = read_yaml(path, shown)
        if not isinstance(src.data, list):
            errors.append(src.error((), "expected a list of monitoring scenarios"))
            continue
        for i, raw in enumerate(src.data):
            try:
                sc = MonitoringScenario.model_validate(raw)
            except ValidationError as exc:
                errors.extend(validation_errors(src, exc, (i,)))
                continue
            for rid in [*sc.expect.alerts, *sc.expect.facts]:
                if rid not in known:
                    errors.append(src.error((i, "expect"), f"unknown monitoring rule {rid!r}"))
            out.append((f"{shown}:{src.line((i,))}", sc))
    if errors:
        raise PackErrors(errors)
    return out


def run_monitoring_scenarios(pack: Pack, days_between: DayCounter = natural_days) -> list[MonitoringScenarioResult]:
    results = []
    for where, sc in load_monitoring_scenarios(pack):
        fails: list[str] = []
        if pack.monitoring is None:
            results.append(MonitoringScenarioResult(where, sc.name, ("the pack has no monitoring.yaml",)))
            continue
        try:
            alerts = Monitor(pack.monitoring, pack.params_dict(sc.date), sc.date, days_between).check(sc.facts())
        except MonitoringError as exc:
            results.append(MonitoringScenarioResult(where, sc.name, (f"cannot run: {exc}",)))
            continue
        got = [a.rule for a in alerts]
        if got != sc.expect.alerts:
            fails.append(f"alerts: expected {sc.expect.alerts}, got {got}")
        for rid, want in sc.expect.facts.items():
            first = next((a for a in alerts if a.rule == rid), None)
            if first is None:
                fails.append(f"facts: rule {rid} raised no alert")
                continue
            for k, v in want.items():
                if first.facts.get(k) != (v.isoformat() if isinstance(v, dt.date) else v):
                    fails.append(f"facts of {rid}: {k} expected {v!r}, got {first.facts.get(k)!r}")
        results.append(MonitoringScenarioResult(where, sc.name, tuple(fails)))
    return results
