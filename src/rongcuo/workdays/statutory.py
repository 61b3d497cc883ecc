"""法定节假日 The public holidays the law fixes, for a year whose official arrangement is not published yet.

《全国年节及纪念日放假办法》第二条 names the holidays and their dates (some on the lunar calendar, 清明 on a solar
term); 第六条 gives a working day off (补假) for one that falls on a Saturday or Sunday. Which weekend days are
worked instead (调休上班), and which weekday the 补假 is, only the State Council's yearly arrangement says. So for a
year without a loaded arrangement a deadline skips these days and stays provisional (暂定) — for that reason alone.

The holidays are data (``statutory_holidays.yaml`` beside this module: festival, date, days, legal basis, one entry
per revision of the regulations); the lunar dates and the solar term come from ``lunar_python``. Pure Python, no
Django: the counting module uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).with_name("statutory_holidays.yaml")
ONE_DAY = timedelta(days=1)
EVE = "除夕"


@dataclass(frozen=True, slots=True)
class Holiday:
    """One festival of one revision: its name, how its first day is found, how many days, and the article."""

    name_zh: str
    name_en: str
    first_day: dict[str, str]
    days: int
    basis: str


@dataclass(frozen=True, slots=True)
class Revision:
    """A revision of the regulations, in force for holidays from ``start`` on."""

    title_zh: str
    title_en: str
    start: date
    substitute: str
    holidays: tuple[Holiday, ...]


@dataclass(frozen=True, slots=True)
class RestDay:
    """A rest day the law fixes: its festival, whether it is a 补假 (a weekday given back), the legal basis."""

    festival_zh: str
    festival_en: str
    substitute: bool
    basis: str

    @property
    def note(self) -> str:
        """How the calendar names the day: 春节 / 春节补假 (法定)."""
        return f"{self.festival_zh}补假" if self.substitute else self.festival_zh


def _revision(entry: dict[str, Any]) -> Revision:
    holidays = []
    for h in entry["holidays"]:
        first = {str(k): str(v) for k, v in h["first_day"].items()}
        if len(first) != 1 or next(iter(first)) not in ("solar", "lunar", "solar_term"):
            raise ValueError(f"{DATA.name}: first_day of {h['festival']['zh']} must be one of solar, lunar, solar_term")
        if int(h["days"]) < 1:
            raise ValueError(f"{DATA.name}: {h['festival']['zh']} must have at least one day")
        holidays.append(Holiday(name_zh=h["festival"]["zh"], name_en=h["festival"]["en"], first_day=first,
                                days=int(h["days"]), basis=str(h["basis"])))
    return Revision(title_zh=entry["revision"]["zh"], title_en=entry["revision"]["en"], start=entry["from"],
                    substitute=str(entry["substitute"]), holidays=tuple(holidays))


@cache
def revisions() -> tuple[Revision, ...]:
    """The revisions in the data file, oldest first."""
    entries = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return tuple(sorted((_revision(e) for e in entries), key=lambda r: r.start))


def revision_for(year: int) -> Revision | None:
    """The revision in force on 1 January of ``year``; None before the first one in the data."""
    found = None
    for rev in revisions():
        if rev.start <= date(year, 1, 1):
            found = rev
    return found


def _as_date(solar: Any) -> date:
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def first_day(spec: dict[str, str], year: int) -> date:
    """The first day of a holiday in ``year`` (the Gregorian year it falls in)."""
    from lunar_python import Lunar, Solar

    kind, value = next(iter(spec.items()))
    if kind == "solar":
        month, day = (int(x) for x in value.split("-"))
        return date(year, month, day)
    if kind == "lunar":
        if value == EVE:  # the eve of the lunar new year that begins in this Gregorian year
            return _as_date(Lunar.fromYmd(year, 1, 1).getSolar()) - ONE_DAY
        month, day = (int(x) for x in value.split("-"))
        return _as_date(Lunar.fromYmd(year, month, day).getSolar())
    # solar_term: the table of the lunar year around April holds this Gregorian year's terms of spring
    table = Solar.fromYmd(year, 6, 1).getLunar().getJieQiTable()
    if value not in table:
        raise ValueError(f"{DATA.name}: unknown solar term {value!r}")
    return _as_date(table[value])


@cache
def statutory_rest_days(year: int) -> dict[date, RestDay]:
    """The rest days of ``year`` that the law fixes: each holiday's days, and for a holiday day on a Saturday or
    Sunday the first following weekday that is not itself a holiday (补假, the platform's reading). Empty for a year
    before the first revision in the data."""
    rev = revision_for(year)
    if rev is None:
        return {}
    blocks: list[tuple[Holiday, list[date]]] = []
    days: dict[date, RestDay] = {}
    for h in rev.holidays:
        start = first_day(h.first_day, year)
        block = [start + i * ONE_DAY for i in range(h.days)]
        blocks.append((h, block))
        for d in block:
            days.setdefault(d, RestDay(h.name_zh, h.name_en, False, f"{rev.title_zh}{h.basis}"))
    for h, block in blocks:
        owed = sum(1 for d in block if d.weekday() >= 5)
        d = block[-1]
        while owed:
            d += ONE_DAY
            if d.weekday() < 5 and d not in days:
                days[d] = RestDay(h.name_zh, h.name_en, True, f"{rev.title_zh}{rev.substitute.split('：')[0]}")
                owed -= 1
    return {d: v for d, v in sorted(days.items()) if d.year == year}


def statutory_rule(d: date) -> bool:
    """Whether ``d`` is a working day by the law alone: Monday to Friday, less the statutory rest days. Make-up
    working days (调休上班) are not known without the arrangement, so no weekend day is a working day here."""
    return d.weekday() < 5 and d not in statutory_rest_days(d.year)
