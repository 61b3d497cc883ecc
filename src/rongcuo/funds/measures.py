"""Loss measures of state venture funds (国资基金亏损计量): pure Python, no Django, no engine.

The public texts say how much a project, a category or a fund may lose (容亏比例) but not how a loss is
measured. Each pack states its reading in the dated parameter `loss_measure`; this module knows what each
reading means and computes the losses of a portfolio on a date under it:

    realised_only                                loss counted only once realised: an exit or a write-off
                                                 below cost; a holding still held counts at cost (no loss)
    realised_plus_unrealised_at_fair_value       as above, plus the fall of a holding's latest fair value
                                                 (on or before the date) below cost; a holding not yet
                                                 valued counts at cost and is flagged
    …_net (either of the above with `_net`)      category and fund losses net gains against losses

Every ratio is a share of the amount invested (0 = nothing lost, 1 = all lost), the shared vocabulary's
definition of project_loss_ratio, category_loss_ratio and fund_loss_ratio. A project's loss is never
negative. Without `_net`, a category's or fund's loss is the sum of its projects' losses (a profitable
project does not offset a failed one); with `_net`, it is the shortfall of the total value (proceeds and
counted carrying values) below the total amount invested.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

ZERO = Decimal(0)

Status = Literal["exited", "written_off", "valued", "at_cost"]


@dataclass(frozen=True)
class LossMeasure:
    """One reading of “loss”, as a pack's `loss_measure` parameter names it."""

    id: str
    unrealised: bool  # count the fall of fair value below cost of holdings still held
    net: bool  # within a category or the fund, gains offset losses
    label_zh: str
    label_en: str
    definition_zh: str
    definition_en: str

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "unrealised": self.unrealised, "net": self.net,
                "label": {"zh": self.label_zh, "en": self.label_en},
                "definition": {"zh": self.definition_zh, "en": self.definition_en}}


_DEN_ZH = "以投资额（本金）为分母；项目亏损不为负"
_DEN_EN = "the denominator is the amount invested (cost); a project's loss is never negative"
_GROSS_ZH = "类别、基金亏损为各项目亏损之和（盈利项目不抵减）"
_GROSS_EN = "a category's or fund's loss is the sum of its projects' losses (gains do not offset losses)"
_NET_ZH = "类别、基金亏损为合计价值低于合计投资额的差额（盈亏相抵）"
_NET_EN = "a category's or fund's loss is the shortfall of its total value below its total cost (gains offset losses)"


def _m(mid: str, unrealised: bool, net: bool) -> LossMeasure:
    if unrealised:
        label = ("已实现亏损加按公允价值计量的未实现亏损", "Realised plus unrealised loss at fair value")
        what = ("已退出或核销项目按收回金额低于投资额的部分计亏损；仍持有项目按截至当日最近一次公允价值低于投资额的部分"
                "计未实现亏损（尚无估值的按成本计、不计亏损并予标注）",
                "exited or written-off projects lose what they returned below cost; projects still held lose the "
                "fall of their latest fair value (on or before the date) below cost (a holding not yet valued is "
                "carried at cost, with no loss, and flagged)")
    else:
        label = ("仅计已实现亏损", "Realised loss only")
        what = ("只计已退出或核销项目收回金额低于投资额的部分；仍持有项目按成本计，不计未实现亏损",
                "only exited or written-off projects count, by what they returned below cost; projects still "
                "held are carried at cost, with no unrealised loss")
    zh = f"{what[0]}；{_NET_ZH if net else _GROSS_ZH}；{_DEN_ZH}。"
    en = f"{what[1][0].upper()}{what[1][1:]}; {_NET_EN if net else _GROSS_EN}; {_DEN_EN}."
    if net:
        label = (label[0] + "（盈亏相抵）", label[1] + " (net of gains)")
    return LossMeasure(mid, unrealised, net, label[0], label[1], zh, en)


MEASURES: dict[str, LossMeasure] = {m.id: m for m in (
    _m("realised_only", False, False),
    _m("realised_plus_unrealised_at_fair_value", True, False),
    _m("realised_only_net", False, True),
    _m("realised_plus_unrealised_at_fair_value_net", True, True),
)}


class UnknownMeasure(ValueError):
    """A pack's `loss_measure` value this module does not know (or a pack without one)."""


def measure_of(value: object) -> LossMeasure:
    if not isinstance(value, str) or value not in MEASURES:
        raise UnknownMeasure(f"loss_measure {value!r} is not a known loss measure; known: {', '.join(MEASURES)}")
    return MEASURES[value]


# --- inputs -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Holding:
    """One investment's history: cost, valuations (date, fair value) and its exit or write-off, if any."""

    key: str
    category: str
    amount: Decimal
    invested_on: dt.date
    valuations: tuple[tuple[dt.date, Decimal], ...] = ()
    exit: tuple[dt.date, Decimal, bool] | None = None  # (date, proceeds, written off?)

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError(f"{self.key}: the amount invested must be positive")


# --- outputs ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProjectLoss:
    key: str
    category: str
    invested: Decimal
    status: Status
    value: Decimal  # proceeds if realised; else the carrying value the measure counts (fair value or cost)
    fair_value: Decimal | None  # the latest fair value on or before the date, whether counted or not
    valued_on: dt.date | None
    realised_loss: Decimal
    unrealised_loss: Decimal  # fall of fair value below cost, whether the measure counts it or not
    loss: Decimal  # what the measure counts
    ratio: Decimal

    @property
    def gain(self) -> Decimal:
        return self.value - self.invested


@dataclass(frozen=True)
class AggregateLoss:
    invested: Decimal
    loss: Decimal
    ratio: Decimal | None  # None: nothing invested yet (the ratio is unknown, not zero)
    projects: int
    not_valued: int  # holdings carried at cost because no fair value was recorded yet


@dataclass(frozen=True)
class PortfolioLoss:
    on: dt.date
    measure: LossMeasure
    projects: tuple[ProjectLoss, ...]
    categories: dict[str, AggregateLoss]
    fund: AggregateLoss


def _ratio(loss: Decimal, invested: Decimal) -> Decimal | None:
    return None if invested <= 0 else loss / invested


def project_loss(h: Holding, on: dt.date, measure: LossMeasure) -> ProjectLoss | None:
    """The project's loss on `on` under `measure`; None if it was not yet invested on that date."""
    if h.invested_on > on:
        return None
    fair: tuple[dt.date, Decimal] | None = None
    for when, fv in sorted(h.valuations):
        if when <= on:
            fair = (when, fv)
    unrealised = max(ZERO, h.amount - fair[1]) if fair else ZERO
    if h.exit is not None and h.exit[0] <= on:
        proceeds = h.exit[1]
        realised = max(ZERO, h.amount - proceeds)
        status: Status = "written_off" if h.exit[2] else "exited"
        return ProjectLoss(h.key, h.category, h.amount, status, proceeds, fair[1] if fair else None,
                           fair[0] if fair else None, realised, ZERO, realised, realised / h.amount)
    if fair is not None and measure.unrealised:
        value, status = fair[1], "valued"
    else:
        value, status = h.amount, ("valued" if fair is not None else "at_cost")
    loss = max(ZERO, h.amount - value)
    return ProjectLoss(h.key, h.category, h.amount, status, value, fair[1] if fair else None,
                       fair[0] if fair else None, ZERO, unrealised, loss, loss / h.amount)


def _aggregate(rows: Sequence[ProjectLoss], measure: LossMeasure) -> AggregateLoss:
    invested = sum((r.invested for r in rows), ZERO)
    if measure.net:
        loss = max(ZERO, invested - sum((r.value for r in rows), ZERO))
    else:
        loss = sum((r.loss for r in rows), ZERO)
    not_valued = sum(1 for r in rows if r.status == "at_cost" and measure.unrealised)
    return AggregateLoss(invested, loss, _ratio(loss, invested), len(rows), not_valued)


def portfolio_loss(holdings: Iterable[Holding], on: dt.date, measure: LossMeasure,
                   categories: Sequence[str] = ()) -> PortfolioLoss:
    """Losses on `on` per project, per category (every category in `categories`, even if empty) and for the
    whole fund, under one loss measure."""
    rows = [r for h in holdings if (r := project_loss(h, on, measure)) is not None]
    rows.sort(key=lambda r: r.key)
    cats = list(dict.fromkeys([*categories, *(r.category for r in rows)]))
    by_cat = {c: _aggregate([r for r in rows if r.category == c], measure) for c in cats}
    return PortfolioLoss(on, measure, tuple(rows), by_cat, _aggregate(rows, measure))


# --- dates --------------------------------------------------------------------------------------------

def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (29 February becomes 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def quarter_end(day: dt.date) -> dt.date:
    month = ((day.month - 1) // 3 + 1) * 3
    nxt = dt.date(day.year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def report_dates(start: dt.date, end: dt.date, extra: Iterable[dt.date] = ()) -> list[dt.date]:
    """Quarter ends from `start` to `end`, with `end` itself and any `extra` dates in that span."""
    if end < start:
        return []
    out = {end, *(d for d in extra if start <= d <= end)}
    q = quarter_end(start)
    while q <= end:
        out.add(q)
        q = quarter_end(q + dt.timedelta(days=1))
    return sorted(out)
