"""The pure loss measures: what each definition counts (no Django, no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as Dec

import pytest

from rongcuo.funds.measures import (
    MEASURES,
    Holding,
    UnknownMeasure,
    add_years,
    measure_of,
    portfolio_loss,
    project_loss,
    report_dates,
)

D = dt.date
FV = MEASURES["realised_plus_unrealised_at_fair_value"]
RO = MEASURES["realised_only"]

WRITTEN_OFF = Holding("a", "seed", Dec(4_000_000), D(2025, 1, 1), exit=(D(2025, 12, 1), Dec(0), True))
DOWN = Holding("b", "seed", Dec(6_000_000), D(2025, 2, 1),
               valuations=((D(2025, 6, 30), Dec(3_000_000)), (D(2026, 6, 30), Dec(1_000_000))))
UP = Holding("c", "seed", Dec(10_000_000), D(2025, 3, 1), exit=(D(2026, 3, 1), Dec(25_000_000), False))
UNVALUED = Holding("d", "angel", Dec(5_000_000), D(2025, 4, 1))


def test_measure_of_refuses_unknown_values() -> None:
    assert measure_of("realised_only") is RO
    for bad in (None, "", "mark_to_model", 1):
        with pytest.raises(UnknownMeasure):
            measure_of(bad)
    assert all(m.definition_zh and m.definition_en and m.label_zh and m.label_en for m in MEASURES.values())


def test_project_losses_under_each_measure() -> None:
    on = D(2025, 12, 31)
    assert project_loss(WRITTEN_OFF, on, RO).ratio == 1 == project_loss(WRITTEN_OFF, on, FV).ratio
    assert project_loss(WRITTEN_OFF, D(2025, 11, 30), RO).ratio == 0  # not yet written off
    held = project_loss(DOWN, on, FV)
    assert (held.status, held.ratio, held.valued_on) == ("valued", Dec("0.5"), D(2025, 6, 30))
    assert project_loss(DOWN, D(2026, 7, 1), FV).ratio == Dec(5) / Dec(6)  # the latest value on or before
    ro = project_loss(DOWN, on, RO)
    assert ro.ratio == 0 and ro.unrealised_loss == Dec(3_000_000) and ro.value == Dec(6_000_000)
    assert project_loss(UP, D(2026, 3, 1), FV).loss == 0 and project_loss(UP, D(2026, 3, 1), FV).gain == 15_000_000
    assert project_loss(UNVALUED, on, FV).status == "at_cost"
    assert project_loss(UNVALUED, D(2025, 3, 31), FV) is None  # not yet invested


def test_portfolio_gross_and_net() -> None:
    hs = [WRITTEN_OFF, DOWN, UP, UNVALUED]
    on = D(2026, 6, 30)
    gross = portfolio_loss(hs, on, FV, ["seed", "angel", "industry"])
    seed = gross.categories["seed"]
    assert seed.invested == 20_000_000 and seed.loss == 9_000_000 and seed.ratio == Dec("0.45")
    assert gross.categories["industry"].ratio is None and gross.categories["industry"].projects == 0
    assert gross.categories["angel"].not_valued == 1
    net = portfolio_loss(hs, on, MEASURES["realised_plus_unrealised_at_fair_value_net"], ["seed"])
    assert net.categories["seed"].loss == 0  # the 15 million gain covers the 9 million of losses
    ro = portfolio_loss(hs, on, RO, ["seed"])
    assert ro.categories["seed"].loss == 4_000_000 and ro.fund.ratio == Dec(4) / Dec(25)
    assert ro.fund.not_valued == 0  # at cost is the rule under realised-only, not a gap


def test_dates() -> None:
    assert add_years(D(2024, 2, 29), 5) == D(2029, 2, 28)
    assert report_dates(D(2025, 3, 1), D(2025, 11, 15), extra=[D(2030, 1, 1), D(2025, 8, 8)]) == [
        D(2025, 3, 31), D(2025, 6, 30), D(2025, 8, 8), D(2025, 9, 30), D(2025, 11, 15)]
    assert report_dates(D(2025, 3, 1), D(2025, 1, 1)) == []


def test_a_holding_needs_a_positive_amount() -> None:
    with pytest.raises(ValueError):
        Holding("x", "seed", Dec(0), D(2025, 1, 1))
