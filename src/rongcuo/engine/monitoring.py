"""Monitoring and correction rules of a pack (监测预警与纠错规则, `monitoring.yaml`), as data.

A pack may say how running projects are supervised (事前事中监管) and what happens when something goes wrong:

* `rules` — early warnings (预警): a milestone overdue by more than N days, spending off plan, a failed
  mid-term check, a major change not reported in time. Every threshold is a number or a dated parameter;
  every rule names the clause it rests on and quotes the words of that clause it implements.
* `inspection` — random inspections (随机抽查): what an inspection checks.
* `correction` — the correction procedure (纠错程序): the notice, the interview, the deadline to rectify and
  the escalation when it is missed, with the measures a bureau may record.

Pure Python, no Django: the platform turns its records into `ProjectFacts`, and `Monitor.check` returns the
`Alert`s they raise, each with the facts that raised it. The engine knows no jurisdiction; a rule kind is a
generic supervision instrument, and the numbers and words are the pack's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StrictFloat, StrictInt, ValidationError, model_validator

from .model import ID_PATTERN, Clause, Note, Parameter, Strict, Text
from .yamlsrc import Located, PackError

MONITORING_FILE = "monitoring.yaml"

DayKind = Literal["working", "natural"]
#: days after `a` up to and including `b`, counted as working or natural days (negative when b < a).
DayCounter = Callable[[dt.date, dt.date, str], int]


class MonitoringError(ValueError):
    """A rule that cannot be applied on a day (e.g. its parameter has no value yet, or no calendar)."""


def natural_days(a: dt.date, b: dt.date, kind: str) -> int:
    """The day counter used when no working-day calendar is given: natural days only."""
    if kind != "natural":
        raise MonitoringError("working days need the official calendar / 工作日须按官方日历计算")
    return (b - a).days


# --- schema ---------------------------------------------------------------------------------------------

class ParamRef(Strict):
    param: str = Field(pattern=r"^[a-z][a-z0-9_]*$")


def _quantity(value: Any) -> Any:
    if isinstance(value, bool) or not (isinstance(value, int | float) or (
            isinstance(value, dict) and set(value) == {"param"})):
        raise ValueError("give a number or {param: id} (a parameter of parameters.yaml)")
    return value


#: A threshold: a number written in the rule, or a dated parameter of the pack.
Quantity = Annotated[StrictInt | StrictFloat | ParamRef, BeforeValidator(_quantity)]


class _Rule(Strict):
    id: str = Field(pattern=ID_PATTERN)
    label: Text
    clause: str  # the clause the rule rests on
    quote: str = Field(min_length=2)  # the words of that clause it implements, verbatim
    severity: Literal["notice", "warning", "serious"] = "warning"
    note: Text | None = None


class MilestoneOverdue(_Rule):
    """A milestone (里程碑) not reached more than `grace_days` after its planned date."""

    kind: Literal["milestone_overdue"]
    grace_days: Quantity
    day_kind: DayKind = "natural"


class SpendingOffPlan(_Rule):
    """The latest spending report is below `min_percent` or above `max_percent` of plan, once the project is
    at least `from_progress_percent` through its term (50: from mid-term on). `basis`: the plan to date
    given in the report (planned), or the whole budget (budget)."""

    kind: Literal["spending_off_plan"]
    min_percent: Quantity | None = None
    max_percent: Quantity | None = None
    from_progress_percent: Quantity = 0
    basis: Literal["planned", "budget"] = "planned"

    @model_validator(mode="after")
    def _bounds(self) -> SpendingOffPlan:
        if self.min_percent is None and self.max_percent is None:
            raise ValueError("give min_percent, max_percent or both")
        return self


class MidTermCheckFailed(_Rule):
    """The latest mid-term check (中期检查) failed."""

    kind: Literal["midterm_check_failed"]


class MajorChangeUnreported(_Rule):
    """A change of a major matter (重大事项调整变更) not reported within `report_days`."""

    kind: Literal["major_change_unreported"]
    report_days: Quantity
    day_kind: DayKind = "working"


Rule = Annotated[MilestoneOverdue | SpendingOffPlan | MidTermCheckFailed | MajorChangeUnreported,
                 Field(discriminator="kind")]
RULE_KINDS = ("milestone_overdue", "spending_off_plan", "midterm_check_failed", "major_change_unreported")


class Step(Strict):
    """A step of the correction procedure and the words it rests on (default clause: the section's)."""

    clause: str | None = None
    quote: str | None = Field(default=None, min_length=2)
    note: Text | None = None


class NoticeStep(Step):
    title: Text  # e.g. 纠错通知书


class InterviewStep(Step):
    required: bool = True  # the rectification may be accepted only after the interview was held


class RectificationStep(Step):
    """The deadline to rectify (限期整改), counted from the notice or from the interview."""

    days: int | None = Field(default=None, gt=0)
    parameter: str | None = None
    day_kind: DayKind = "working"
    start_day_counts: bool = False
    from_event: Literal["notice_served", "interview_held"] = "notice_served"

    @model_validator(mode="after")
    def _period(self) -> RectificationStep:
        if (self.days is None) == (self.parameter is None):
            raise ValueError("give exactly one of days, parameter")
        return self


class EscalationStep(Step):
    label: Text  # e.g. 严肃处理


class Measure(Strict):
    id: str = Field(pattern=ID_PATTERN)
    label: Text
    note: Text | None = None


class CorrectionRules(Strict):
    clause: str
    label: Text
    notice: NoticeStep
    interview: InterviewStep | None = None  # None: the procedure has no interview
    rectification: RectificationStep
    escalation: EscalationStep
    measures: list[Measure] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> CorrectionRules:
        ids = [m.id for m in self.measures]
        if len(set(ids)) != len(ids):
            raise ValueError("measure ids must be unique")
        if self.rectification.from_event == "interview_held" and self.interview is None:
            raise ValueError("rectification counts from interview_held, but the procedure has no interview")
        return self


class InspectionItem(Strict):
    id: str = Field(pattern=ID_PATTERN)
    label: Text


class InspectionRules(Strict):
    clause: str
    quote: str = Field(min_length=2)
    items: list[InspectionItem] = Field(default_factory=list)  # what an inspection checks


class MonitoringRules(Strict):
    rules: list[Rule] = Field(default_factory=list)
    inspection: InspectionRules | None = None
    correction: CorrectionRules | None = None
    notes: list[Note] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> MonitoringRules:
        ids = [r.id for r in self.rules]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate rule id(s) {dup}")
        return self

    def rule(self, rule_id: str) -> MilestoneOverdue | SpendingOffPlan | MidTermCheckFailed | MajorChangeUnreported:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


# --- loading and checking against the pack ----------------------------------------------------------------

def _squash(text: str) -> str:
    return "".join(text.split())


def validation_errors(src: Located, exc: ValidationError, base: tuple[str | int, ...] = ()) -> list[PackError]:
    out = []
    for err in exc.errors():
        loc = [*base, *err["loc"]]
        # A discriminated union puts the tag in the path (rules.0.milestone_overdue.grace_days): drop it.
        loc = [x for i, x in enumerate(loc) if not (x in RULE_KINDS and i > 0 and isinstance(loc[i - 1], int))]
        loc = [x for x in loc if not (isinstance(x, str) and x.startswith("function-"))]
        name = ".".join(str(x) for x in loc) or "(document)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field; check the spelling against docs/pack-format.md"
        elif err["type"] == "missing":
            msg = "required field is missing"
        out.append(src.error(tuple(loc), f"{name}: {msg}"))
    return out


def load_monitoring(src: Located, clauses: Mapping[str, Clause],
                    params: Mapping[str, Parameter]) -> tuple[MonitoringRules | None, list[PackError]]:
    """Validate `monitoring.yaml` and check it against the pack: every clause exists, every quote is words
    of its clause, every parameter exists and holds numbers."""
    try:
        rules = MonitoringRules.model_validate(src.data if src.data is not None else {})
    except ValidationError as exc:
        return None, validation_errors(src, exc)
    errors: list[PackError] = []

    def anchor(path: tuple[str | int, ...], clause: str | None, quote: str | None) -> None:
        if clause is None:
            return
        cl = clauses.get(clause)
        if cl is None:
            errors.append(src.error((*path, "clause"), f"unknown clause {clause!r}"))
        elif quote is not None and _squash(quote) not in _squash(cl.text_zh):
            errors.append(src.error((*path, "quote"), f"quote is not in the text of clause {clause}: {quote!r}"))

    def param(path: tuple[str | int, ...], name: str, whole: bool = False) -> None:
        p = params.get(name)
        if p is None:
            errors.append(src.error(path, f"unknown parameter {name!r}; declare it in parameters.yaml"))
            return
        for v in p.values:
            ok = isinstance(v.value, int) if whole else isinstance(v.value, int | float)
            if isinstance(v.value, bool) or not ok:
                errors.append(src.error(path, f"parameter {name!r} must hold {'whole ' if whole else ''}numbers, "
                                              f"not {v.value!r}"))
                return

    for i, r in enumerate(rules.rules):
        anchor(("rules", i), r.clause, r.quote)
        for fname in ("grace_days", "min_percent", "max_percent", "from_progress_percent", "report_days"):
            q = getattr(r, fname, None)
            if isinstance(q, ParamRef):
                param(("rules", i, fname), q.param, whole=fname in ("grace_days", "report_days"))
            elif isinstance(q, int | float) and q < 0:
                errors.append(src.error(("rules", i, fname), f"{fname} cannot be negative"))
    if rules.inspection:
        anchor(("inspection",), rules.inspection.clause, rules.inspection.quote)
    c = rules.correction
    if c:
        anchor(("correction",), c.clause, None)
        for step_name in ("notice", "interview", "rectification", "escalation"):
            step: Step | None = getattr(c, step_name)
            if step is not None:
                anchor(("correction", step_name), step.clause or c.clause, step.quote)
        if c.rectification.parameter:
            param(("correction", "rectification", "parameter"), c.rectification.parameter, whole=True)
    return rules, errors


# --- evaluation ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MilestoneFact:
    key: str
    planned: dt.date
    done: bool = False
    label: str = ""


@dataclass(frozen=True, slots=True)
class SpendingFact:
    key: str
    as_of: dt.date
    spent: float
    planned: float


@dataclass(frozen=True, slots=True)
class CheckFact:
    key: str
    date: dt.date
    passed: bool


@dataclass(frozen=True, slots=True)
class ChangeFact:
    key: str
    date: dt.date
    reported_on: dt.date | None
    label: str = ""


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    """What the platform knows of one running project on the day of the check."""

    start: dt.date | None = None
    end: dt.date | None = None
    budget: float = 0.0
    milestones: Sequence[MilestoneFact] = ()
    spending: SpendingFact | None = None  # the latest spending report up to the day
    last_check: CheckFact | None = None  # the latest mid-term check up to the day
    changes: Sequence[ChangeFact] = ()


@dataclass(frozen=True, slots=True)
class Alert:
    """A warning raised by a rule: `subject` names the record that raised it (one warning per record)."""

    rule: str
    subject: str
    facts: dict[str, Any] = field(default_factory=dict)


def progress_percent(start: dt.date | None, end: dt.date | None, on: dt.date) -> float | None:
    """How far through its term a project is on a day, in percent (None if the term is unknown)."""
    if start is None or end is None or end <= start:
        return None
    return max(0.0, min(100.0, (on - start).days * 100.0 / (end - start).days))


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 2)


class Monitor:
    """A pack's rules resolved for one day: `check` a project's facts, get its alerts."""

    def __init__(self, rules: MonitoringRules, params: Mapping[str, Any], on: dt.date,
                 days_between: DayCounter = natural_days):
        self.rules = rules
        self.on = on
        self.days_between = days_between
        self._params = params
        self.milestone_rules = [(r, int(self._q(r, r.grace_days))) for r in rules.rules
                                if isinstance(r, MilestoneOverdue)]
        self.spending_rules = [(r, self._q(r, r.min_percent), self._q(r, r.max_percent),
                                self._q(r, r.from_progress_percent))
                               for r in rules.rules if isinstance(r, SpendingOffPlan)]
        self.check_rules = [r for r in rules.rules if isinstance(r, MidTermCheckFailed)]
        self.change_rules = [(r, int(self._q(r, r.report_days))) for r in rules.rules
                             if isinstance(r, MajorChangeUnreported)]

    def _q(self, rule: Any, q: Any) -> Any:
        if not isinstance(q, ParamRef):
            return q
        value = self._params.get(q.param)
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            raise MonitoringError(f"rule {rule.id}: parameter {q.param} has no value on {self.on.isoformat()}")
        return value

    # Hints that let a caller fetch only the records that can matter (a milestone planned on or after the
    # day is never overdue; neither is a change that happened within the shortest reporting period).
    @property
    def milestones_planned_before(self) -> dt.date | None:
        if not self.milestone_rules:
            return None
        return self.on - dt.timedelta(days=min(n for _, n in self.milestone_rules))

    @property
    def spending_bands(self) -> list[tuple[str, float | None, float | None]]:
        """(basis, floor, ceiling) of each spending rule: a report inside every band raises nothing."""
        return [(r.basis, lo, hi) for r, lo, hi, _ in self.spending_rules]

    @property
    def unreported_changes_before(self) -> dt.date | None:
        if not self.change_rules:
            return None
        return self.on - dt.timedelta(days=min(n for _, n in self.change_rules))

    def check(self, p: ProjectFacts) -> list[Alert]:
        out: list[Alert] = []
        on = self.on
        for rule, grace in self.milestone_rules:
            for m in p.milestones:
                if m.done or m.planned >= on:
                    continue
                late = self.days_between(m.planned, on, rule.day_kind)
                if late > grace:
                    out.append(Alert(rule.id, f"milestone:{m.key}", {
                        "milestone": m.key, "deliverable": m.label, "planned": m.planned.isoformat(),
                        "days_late": late, "grace_days": grace, "day_kind": rule.day_kind}))
        s = p.spending
        if s is not None:
            for rule_s, lo, hi, from_progress in self.spending_rules:
                base = s.planned if rule_s.basis == "planned" else p.budget
                if base <= 0:
                    continue
                progress = progress_percent(p.start, p.end, s.as_of)
                if from_progress and (progress is None or progress < from_progress):
                    continue
                percent = s.spent * 100.0 / base
                direction = "below" if lo is not None and percent < lo else (
                    "above" if hi is not None and percent > hi else None)
                if direction:
                    out.append(Alert(rule_s.id, f"spending:{s.key}", {
                        "report": s.key, "as_of": s.as_of.isoformat(), "spent": _num(s.spent),
                        "basis": rule_s.basis, "plan": _num(base), "percent": round(percent, 1),
                        "direction": direction, "min_percent": lo, "max_percent": hi,
                        "progress_percent": None if progress is None else round(progress, 1)}))
        c = p.last_check
        if c is not None and not c.passed:
            for rule_c in self.check_rules:
                out.append(Alert(rule_c.id, f"check:{c.key}", {"check": c.key, "date": c.date.isoformat(),
                                                                 "passed": False}))
        for rule_m, limit in self.change_rules:
            for ch in p.changes:
                until = ch.reported_on or on
                lag = self.days_between(ch.date, until, rule_m.day_kind)
                if lag > limit:
                    out.append(Alert(rule_m.id, f"change:{ch.key}", {
                        "change": ch.key, "description": ch.label, "date": ch.date.isoformat(),
                        "reported_on": ch.reported_on.isoformat() if ch.reported_on else None,
                        "status": "late" if ch.reported_on else "unreported", "days": lag,
                        "report_days": limit, "day_kind": rule_m.day_kind}))
        return out


def rectification_days(c: CorrectionRules, params: Mapping[str, Any]) -> int:
    """The number of days to rectify under the pack's parameters of the day."""
    r = c.rectification
    value = r.days if r.days is not None else params.get(r.parameter or "")
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        raise MonitoringError(f"parameter {r.parameter} has no whole-number value")
    return value


__all__ = [
    "MONITORING_FILE", "Alert", "ChangeFact", "CheckFact", "CorrectionRules", "DayCounter", "InspectionRules",
    "MilestoneFact", "Monitor", "MonitoringError", "MonitoringRules", "ProjectFacts", "SpendingFact",
    "load_monitoring", "natural_days", "progress_percent", "rectification_days", "validation_errors",
]
