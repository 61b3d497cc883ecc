"""The policy-pack schema (政策包格式).

A pack is a directory of YAML describing one version of one policy document. These pydantic models are
the schema the loader validates against; `docs/pack-format.md` explains each field for pack authors.
Conditions (`when`) are parsed separately by `conditions.parse_condition` so that errors can name the
exact node; here they are kept as plain data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable
from enum import StrEnum
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9_.\-]*$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A bilingual text: Chinese first, English second."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class PackStatus(StrEnum):
    draft_for_comment = "draft_for_comment"  # 征求意见稿
    trial = "trial"  # 试行
    in_force = "in_force"  # 施行
    reported = "reported"  # known only from reports (news, briefings); the official text is not at hand


class Source(Strict):
    seed: str | None = None
    public_text: str | None = None
    reported_in: list[str] = Field(default_factory=list)
    note: Text | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Source:
        if not (self.seed or self.public_text or self.reported_in):
            raise ValueError("give at least one of seed, public_text, reported_in")
        return self


class Note(Strict):
    """An authoring note, e.g. how an ambiguity of the text was resolved."""

    topic: str
    text: Text
    parameter: str | None = None


class PackMeta(Strict):
    id: str = Field(pattern=ID_PATTERN)
    version: str = Field(min_length=1)
    title: Text
    short: Text
    issuer: Text
    jurisdiction: Text
    level: Literal["national", "provincial", "municipal", "district", "development_zone"]
    domain: list[Literal["research_project", "tech_transfer", "state_venture_fund"]]
    document_number: str | None = None
    issued: dt.date | None = None
    effective_from: dt.date
    effective_to: dt.date | None = None
    status: PackStatus
    source: Source
    builds_on: list[str] = Field(default_factory=list)
    vocabulary: list[str] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dates(self) -> PackMeta:
        if self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self


class FactType(StrEnum):
    bool = "bool"
    enum = "enum"
    number = "number"
    money = "money"  # 元 (yuan), non-negative
    date = "date"
    age = "age"  # whole years, 0..150


class EstablishedBy(StrEnum):
    applicant_declaration = "applicant_declaration"  # 申请人声明
    host_unit_attestation = "host_unit_attestation"  # 承担单位证明
    investigation_finding = "investigation_finding"  # 调查核实
    expert_panel_finding = "expert_panel_finding"  # 专家评审
    committee = "committee"  # 集体审定
    system_computed = "system_computed"  # 系统计算


class EnumValue(Strict):
    value: str = Field(pattern=ID_PATTERN)
    label: Text


class FactDef(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: FactType
    label: Text
    question: Text
    established_by: list[EstablishedBy] = Field(min_length=1)
    evidence: list[str] = Field(default_factory=list)
    values: list[EnumValue] = Field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    unit: Text | None = None

    @model_validator(mode="after")
    def _enum_values(self) -> FactDef:
        if self.type is FactType.enum and not self.values:
            raise ValueError("an enum fact needs `values`")
        if self.type is not FactType.enum and self.values:
            raise ValueError("only enum facts take `values`")
        if (self.minimum is not None or self.maximum is not None) and self.type not in (
                FactType.number, FactType.money, FactType.age):
            raise ValueError("only number, money and age facts take `minimum` / `maximum`")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"minimum {self.minimum} is above maximum {self.maximum}")
        return self


class ClauseKind(StrEnum):
    scope = "scope"  # 适用范围
    diligence_condition = "diligence_condition"  # 勤勉尽责条件
    exemption_situation = "exemption_situation"  # 免责情形
    exclusion = "exclusion"  # 不适用情形
    special_provision = "special_provision"  # 特别规定，如首次免责
    consequence = "consequence"  # 结果应用
    principle = "principle"  # 原则、政策界限
    loss_tolerance = "loss_tolerance"  # 容亏
    procedure = "procedure"  # 程序条款


class Citation(Strict):
    article: str
    item: str | None = None
    doc: str | None = None  # another pack id when the clause quotes a document the pack builds on


class Obligation(Strict):
    id: str = Field(pattern=ID_PATTERN)
    label: Text
    due_days: int | None = Field(default=None, gt=0)
    day_kind: Literal["working", "natural"] | None = None
    from_event: str | None = None
    parameter: str | None = None  # a parameter holding due_days, when it is dated
    # The kind of evidence (an id like the materials', e.g. failure_analysis_report) whose upload fulfils the
    # obligation: the applicant submits the document rather than ticking the obligation off with a note.
    document: str | None = Field(default=None, pattern=ID_PATTERN, max_length=64)
    document_label: Text | None = None  # what the document is called, when it is not the obligation's label

    @model_validator(mode="after")
    def _due(self) -> Obligation:
        if self.due_days is not None and self.parameter is not None:
            raise ValueError("give at most one of due_days, parameter")
        if (self.due_days or self.parameter) and not (self.day_kind and self.from_event):
            raise ValueError("an obligation with a due period needs day_kind and from_event")
        if self.document_label is not None and self.document is None:
            raise ValueError("document_label names a document: set `document` (its evidence kind) too")
        return self


class Clause(Strict):
    id: str = Field(pattern=ID_PATTERN)
    kind: ClauseKind
    cites: Citation
    text_zh: str = Field(min_length=2)
    label: Text
    when: Any = None
    overrides: list[str] = Field(default_factory=list)
    applies_on: list[Literal["exempt", "not_exempt", "out_of_scope"]] = Field(default_factory=list)
    determinations: list[str] = Field(default_factory=list)  # consequences: only after these (default: any)
    obligations: list[Obligation] = Field(default_factory=list)
    note: Text | None = None

    @model_validator(mode="after")
    def _shape(self) -> Clause:
        if self.kind is ClauseKind.consequence:
            if not self.applies_on:
                raise ValueError("a consequence clause needs `applies_on` (the outcomes it follows)")
        elif self.obligations:
            raise ValueError("only consequence clauses carry obligations")
        if self.overrides and self.kind is not ClauseKind.exclusion:
            raise ValueError("only exclusion clauses override other clauses")
        return self


class Determination(Strict):
    """How clauses combine into an outcome.

    scope false → out_of_scope; excluded true → not_exempt; exempt true → exempt; exempt false →
    not_exempt; anything still open → undetermined.
    """

    id: str = Field(pattern=ID_PATTERN)
    label: Text
    scope: Any = True
    excluded: Any = False
    exempt: Any
    outcome_labels: dict[str, Text] = Field(default_factory=dict)

    @field_validator("outcome_labels")
    @classmethod
    def _outcomes(cls, v: dict[str, Text]) -> dict[str, Text]:
        bad = set(v) - {"exempt", "not_exempt", "out_of_scope", "undetermined"}
        if bad:
            raise ValueError(f"unknown outcome(s) {sorted(bad)}; allowed: exempt, not_exempt, out_of_scope, "
                             "undetermined")
        return v


class DatedValue(Strict):
    from_: dt.date = Field(alias="from")
    value: float | int | bool | str
    reference: str
    note: Text | None = None


class Parameter(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text
    unit: Text | None = None
    values: list[DatedValue] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Parameter:
        dates = [v.from_ for v in self.values]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("values must be in strictly increasing `from` order")
        return self

    def value_on(self, on: dt.date) -> float | int | bool | str | None:
        found = None
        for v in self.values:
            if v.from_ <= on:
                found = v.value
        return found


Role = Literal["applicant", "host_unit_reviewer", "caseworker", "expert", "committee", "public", "system",
               "nsf_office"]


# Preconditions a transition may require, besides a material id of the procedure (evidence of that kind
# attached to the case). These are generic platform facts about a case, never jurisdiction-specific.
PRECONDITIONS: dict[str, str] = {
    "determination_settled": "引擎结论不是“待定” / the engine's determination is not undetermined",
    "filed_before_project_acceptance": "申请在项目验收前提出 / filed before the project's acceptance",
    "panel_formed": "评审专家组已组成 / the expert panel is formed",
    "panel_reviewed": "专家组已完成评审 / the expert panel has reviewed",
    "committee_decided": "集体审议已作出决定 / the committee has decided",
    "notice_period_over": "公示期已届满 / the public-notice period is over",
    "no_open_objections": "没有未处理的异议 / no objection is still open",
    "no_sustained_objections": "本次公示中没有经核实成立的异议（异议成立的，应重新调查核实） / no objection was "
                               "sustained during this notice (a sustained objection sends the case back to be "
                               "investigated again)",
    "not_awaiting_supplement": "没有待补正的材料 / no supplementary material is outstanding",
    "awaiting_supplement": "已通知补正材料且尚未补正 / supplementary material was asked for and is outstanding",
}
CLOCK_PAUSES = ("awaiting_supplement",)


class TimeLimit(Strict):
    days: int | None = Field(default=None, gt=0)
    parameter: str | None = None
    day_kind: Literal["working", "natural"]
    from_event: str
    start_day_counts: bool = False
    extension_days: int | None = Field(default=None, gt=0)
    extension_parameter: str | None = None
    extension_day_kind: Literal["working", "natural"] | None = None  # defaults to day_kind
    paused_while: list[Literal["awaiting_supplement"]] = Field(default_factory=list)
    roll_to_workday: bool = True  # natural days: a period ending on a rest day ends on the next working day

    @model_validator(mode="after")
    def _days(self) -> TimeLimit:
        if (self.days is None) == (self.parameter is None):
            raise ValueError("give exactly one of days, parameter")
        if self.extension_days is not None and self.extension_parameter is not None:
            raise ValueError("give at most one of extension_days, extension_parameter")
        return self


class Material(Strict):
    id: str = Field(pattern=ID_PATTERN)
    label: Text
    required: bool = True


class Stage(Strict):
    id: str = Field(pattern=ID_PATTERN)
    label: Text
    actors: list[Role] = Field(min_length=1)
    cites: Citation | None = None
    time_limit: TimeLimit | None = None
    materials: list[Material] = Field(default_factory=list)
    terminal: bool = False


#: A transition's `from` that stands for every stage that is not terminal (e.g. withdrawing an application).
ANY_STAGE = "*"


class Transition(Strict):
    from_: str = Field(alias="from")  # a stage id, or ANY_STAGE ("*") for every non-terminal stage
    to: str
    by: list[Role] = Field(min_length=1)
    action: str = Field(pattern=ID_PATTERN)
    label: Text
    requires: list[str] = Field(default_factory=list)
    reason_required: bool = False
    # pause: the case now waits for supplementary material (clocks with paused_while stop);
    # resume: the material is in (they run again).
    clock: Literal["pause", "resume"] | None = None
    # A transition that records the collective decision (集体审定): which decisions it carries. Such a
    # transition is taken only through the committee's decision, with its vote and reasons.
    records_decision: list[Literal["exempt", "not_exempt"]] = Field(default_factory=list)
    # The transition by which the bureau accepts the application (受理): the applicant is given an acceptance receipt
    # (受理回执) with the case number, the date and the time limits that start then.
    receipt: bool = False
    # An opinion the step records, named as the text names it (e.g. 单位审核意见, the host unit's opinion when it
    # forwards the application; 初步审核意见, the bureau's preliminary opinion when it accepts): required then.
    opinion: Text | None = None


class FromStage(Protocol):
    """Anything moving a procedure on from a stage: a pack's `Transition`, or a step of a procedure the platform
    writes down itself in the same shape (the correction procedure of `rongcuo.monitoring`)."""

    @property
    def from_(self) -> str: ...


MoveT = TypeVar("MoveT", bound=FromStage)


def transitions_from(transitions: Iterable[MoveT], stage: str, terminal: Collection[str]) -> list[MoveT]:
    """The transitions that can be taken in `stage`, in the order given: those from `stage`, and those from
    ANY_STAGE when `stage` is not one of the `terminal` stages."""
    return [t for t in transitions if t.from_ == stage or (t.from_ == ANY_STAGE and stage not in terminal)]


class PanelRules(Strict):
    min_size: int = Field(gt=0)
    # How the panel's individual reviews become findings: the mean of each criterion's scores, and per
    # fact the majority of the experts' findings (a tie leaves the fact unknown).
    score_aggregation: Literal["mean", "median"] = "mean"
    finding_aggregation: Literal["majority", "unanimous"] = "majority"
    score_scale: int = Field(default=10, gt=0)
    size_is_guideline: bool = False  # "一般不少于" – may be departed from with a recorded reason
    expertise: list[Literal["technical", "financial", "legal"]] = Field(default_factory=list)
    criteria: list[Material] = Field(default_factory=list)
    cites: Citation | None = None


class AnswerPeriod(Strict):
    """The time within which an objection is answered (异议答复期限), counted from the day it is filed."""

    days: int | None = Field(default=None, gt=0)
    parameter: str | None = None
    day_kind: Literal["working", "natural"]
    cites: Citation | None = None

    @model_validator(mode="after")
    def _period(self) -> AnswerPeriod:
        if (self.days is None) == (self.parameter is None):
            raise ValueError("give exactly one of days, parameter")
        return self


class PublicNotice(Strict):
    stage: str | None = None  # the stage during which the notice runs (its time limit is the notice period)
    days: int | None = Field(default=None, gt=0)
    parameter: str | None = None
    day_kind: Literal["working", "natural"]
    start_day_counts: bool = False
    channel: Text
    objections: bool = True
    published_fields: list[str] = Field(default_factory=list)
    cites: Citation | None = None
    # None: the platform default (15 working days from filing; rongcuo.cases.services.objections).
    answer_within: AnswerPeriod | None = None

    @model_validator(mode="after")
    def _period(self) -> PublicNotice:
        if (self.days is None) == (self.parameter is None):
            raise ValueError("give exactly one of days, parameter")
        return self


FRACTION = r"^[1-9][0-9]*/[1-9][0-9]*$"


class ParamRef(Strict):
    param: str


def fraction_value(raw: str | float | int) -> tuple[int, int] | None:
    """A share as (numerator, denominator): "2/3" → (2, 3); a number in (0, 1] as a fraction of 10000.
    None when it is neither, or not in (0, 1]."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        if not re.fullmatch(FRACTION, raw.strip()):
            return None
        n, d = (int(x) for x in raw.strip().split("/"))
    else:
        n, d = round(float(raw) * 10000), 10000
    return (n, d) if 0 < n <= d else None


class CommitteeRules(Strict):
    """How the collective decision (集体审定) is taken: the quorum and the majority. Without this section (the
    texts are silent) the platform default applies: at least two thirds of the committee's members vote
    (abstaining counts), and the decision takes more than half of the votes cast for or against."""

    # At least this share of the committee's members must vote (an abstention is a vote).
    quorum: str | ParamRef = "2/3"
    # More than this share of `majority_of` must vote for the decision.
    majority: str | ParamRef = "1/2"
    # votes_cast: the votes for and against (abstentions not counted); voting: every vote (an abstention counts
    # as not in favour); members: every member of the committee.
    majority_of: Literal["votes_cast", "voting", "members"] = "votes_cast"
    cites: Citation | None = None

    @model_validator(mode="after")
    def _shares(self) -> CommitteeRules:
        for name in ("quorum", "majority"):
            v = getattr(self, name)
            if isinstance(v, str) and fraction_value(v) is None:
                raise ValueError(f"committee.{name}: {v!r} is not a share like \"2/3\" (between 0 and 1) or "
                                 "{param: id}")
        return self


class Routing(Strict):
    when: Any
    handled_by: Text
    note: Text | None = None
    cites: Citation | None = None


class Remedy(Strict):
    """救济途径: what a decision letter tells the applicant about challenging the determination.

    `administrative` (the platform's default where the text is silent): administrative review (行政复议) before the
    review body the bureau's registry entry names, within `review_days`, and a lawsuit (行政诉讼) before the court it
    names (else "有管辖权的人民法院"), within `lawsuit_months`; the defaults are the general periods of the laws cited.
    `internal_review`: the text makes the determination an internal matter with its own review (复核): `body`,
    `days` (`day_kind`) and `cites` come from the pack.
    """

    kind: Literal["administrative", "internal_review"] = "administrative"
    review_days: int = Field(default=60, gt=0)
    review_basis: str = "《中华人民共和国行政复议法》第二十条第一款"
    lawsuit_months: int = Field(default=6, gt=0)
    lawsuit_basis: str = "《中华人民共和国行政诉讼法》第四十六条第一款"
    body: Text | None = None
    days: int | None = Field(default=None, gt=0)
    day_kind: Literal["working", "natural"] = "natural"
    cites: Citation | None = None

    @model_validator(mode="after")
    def _internal(self) -> Remedy:
        if self.kind == "internal_review" and (self.body is None or self.days is None):
            raise ValueError("remedy: an internal_review names its body and its days")
        return self


class Procedure(Strict):
    decided_by: Text
    stages: list[Stage] = Field(min_length=1)
    transitions: list[Transition] = Field(default_factory=list)
    overall_time_limit: TimeLimit | None = None
    panel: PanelRules | None = None
    public_notice: PublicNotice | None = None
    committee: CommitteeRules | None = None  # None: the platform default (CommitteeRules())
    routing: list[Routing] = Field(default_factory=list)
    filing_deadline: Text | None = None
    remedy: Remedy = Field(default_factory=Remedy)

    @property
    def terminal_stages(self) -> frozenset[str]:
        return frozenset(s.id for s in self.stages if s.terminal)

    def transitions_from(self, stage: str) -> list[Transition]:
        """The transitions that can be taken in `stage` (from it, or from "*" unless it is terminal)."""
        return transitions_from(self.transitions, stage, self.terminal_stages)

    @model_validator(mode="after")
    def _graph(self) -> Procedure:
        ids = [s.id for s in self.stages]
        if len(set(ids)) != len(ids):
            raise ValueError("stage ids must be unique")
        materials = {m.id for s in self.stages for m in s.materials}
        actions = {t.action for t in self.transitions} | {"filed"}
        for t in self.transitions:
            if t.from_ not in ids and t.from_ != ANY_STAGE:
                raise ValueError(f"transition {t.action}: unknown stage {t.from_!r} in `from`; stages are {ids} "
                                 "(or \"*\": every non-terminal stage)")
            if t.to not in ids:
                raise ValueError(f"transition {t.action}: unknown stage {t.to!r} in `to`; stages are {ids}")
            for req in t.requires:
                if req not in materials and req not in PRECONDITIONS:
                    raise ValueError(f"transition {t.action}: unknown precondition {req!r}; use a material id of "
                                     f"a stage or one of {sorted(PRECONDITIONS)}")
        notice = self.public_notice
        if notice and notice.stage:
            if notice.stage not in ids:
                raise ValueError(f"public_notice.stage {notice.stage!r} is not a stage ({ids})")
            # The platform counts the notice period with the notice stage's time limit: the period the notice
            # states must be that one, or the pack would say one period and the platform count another.
            tl = next(s.time_limit for s in self.stages if s.id == notice.stage)
            said = (notice.days, notice.parameter, notice.day_kind, notice.start_day_counts)
            if tl is None or (tl.days, tl.parameter, tl.day_kind, tl.start_day_counts) != said:
                counted = ("none" if tl is None else
                           f"days={tl.days}, parameter={tl.parameter}, day_kind={tl.day_kind}, "
                           f"start_day_counts={tl.start_day_counts}")
                raise ValueError(
                    f"public_notice: its period (days={notice.days}, parameter={notice.parameter}, "
                    f"day_kind={notice.day_kind}, start_day_counts={notice.start_day_counts}) must be the "
                    f"time_limit of its stage {notice.stage!r} ({counted}), which is what the platform counts")
        limits = [s.time_limit for s in self.stages if s.time_limit] + (
            [self.overall_time_limit] if self.overall_time_limit else [])
        for tl in limits:
            if tl.from_event not in actions:
                raise ValueError(f"time limit from_event {tl.from_event!r} is neither `filed` nor the action of a "
                                 f"transition ({sorted(actions)})")
        return self


class Scenario(Strict):
    name: str
    date: dt.date | None = None
    determination: str | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    expect: ScenarioExpect


class ScenarioExpect(Strict):
    outcome: Literal["exempt", "not_exempt", "out_of_scope", "undetermined"]
    decisive: list[str] | None = None
    needed: list[str] | None = None
    overrides: dict[str, list[str]] | None = None
    obligations: list[str] | None = None


Scenario.model_rebuild()
