"""期间计算 Counting legal time limits on the official working-day calendar.

This module is pure Python on purpose (no Django import), so the legal reading of a time limit can be
unit-tested on its own and reused by any caller that can supply a calendar.

How the law counts (the reading implemented here):

* 民法典 第二百零一条：按照年、月、日、小时计算期间的，开始的当日不计入，自下一日开始计算。
  Civil Code art. 201: the day a period starts is not counted; counting begins the next day. A rule that
  says otherwise ("自受理之日起") is expressed with ``start_day_counts=True``.
* 民法典 第二百零三条：期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日。
  Civil Code art. 203: when the last day of a period is a statutory rest day, the period ends on the day
  after the rest ends. With official make-up working days (调休上班) that "day after" is simply the next
  official working day, which may be a Saturday or Sunday.
* "工作日" means the official working days of the State Council's yearly holiday arrangement
  (国务院办公厅 放假安排通知): Monday–Friday, minus the holidays, plus the make-up days.
* The arrangement for a year is published around the November before. For a year with no loaded
  arrangement the law alone is used (``statutory_rule``: Mon–Fri work, Sat–Sun rest, less the public holidays
  that 《全国年节及纪念日放假办法》 fixes, 春节 and the others found on the lunar calendar) and every result
  that depended on it is marked **provisional** (暂定): only the arrangement says which weekend days are worked
  instead (调休上班) — a deadline is never shown as certain when it is not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from rongcuo.workdays.statutory import statutory_rule

DayKind = Literal["working", "natural"]

ONE_DAY = timedelta(days=1)

#: Alias so that ``Due.date`` (the field) does not shadow the type inside the dataclass body.
_Date = date

#: Upper bound on how far a count may scan past what the period itself needs. A real calendar always has
#: working days; this only stops an absurd calendar (e.g. a whole loaded year edited to rest days) from
#: looping for ever.
MAX_SCAN_DAYS = 3660


class CountingError(ValueError):
    """期间参数或日历无效 Invalid period arguments, or a calendar in which the period cannot end."""


def weekend_rule(d: date) -> bool:
    """周一至周五上班、周六周日休息 Mon–Fri work, Sat–Sun rest: the days a loaded notice does not list."""
    return d.weekday() < 5


#: The rule for a day of a year with no loaded arrangement: the weekend rule less the statutory holidays.
DayRule = Callable[[date], bool]


@dataclass(frozen=True, slots=True)
class Due:
    """The end of a period, with what is needed to explain and trust it.

    ``date``            the last day of the period (到期日).
    ``provisional``     True when any day whose working/rest status mattered lies in a year whose official
                        arrangement is not loaded (暂定：该年调休上班日尚未公布; the statutory holidays are
                        skipped all the same).
    ``counted_days``    the days counted as day 1..N, in order (paused and, for working days, rest days
                        excluded); empty when ``days`` is 0.
    ``rolled_from``     for natural days rolled under art. 203, the last counted day before rolling.
    ``unloaded_years``  the years looked at that have no loaded arrangement (why it is provisional).
    """

    date: _Date
    provisional: bool
    counted_days: tuple[_Date, ...] = ()
    rolled_from: _Date | None = None
    unloaded_years: frozenset[int] = field(default_factory=frozenset)


def _check_pauses(paused: Sequence[tuple[date, date]]) -> tuple[tuple[date, date], ...]:
    checked = []
    for pair in paused:
        pause, resume = pair
        if resume < pause:
            raise CountingError(
                f"中止区间的恢复日早于中止日：{pause} → {resume} / "
                f"pause interval resumes before it pauses: {pause} → {resume}"
            )
        checked.append((pause, resume))
    return tuple(checked)


def _is_paused(d: date, paused: Sequence[tuple[date, date]]) -> bool:
    """A day is paused when pause_date < d <= resume_date (the clock stops the day after the pause)."""
    return any(pause < d <= resume for pause, resume in paused)


class WorkCalendar:
    """The official calendar: which days are working days, and which years are officially known.

    Built from a mapping {date: is_workday} (typically every day of the loaded years, but any subset works:
    an unlisted day of a loaded year follows the weekend rule) and the set of loaded years. A day in a year
    that is not loaded is answered with the weekend rule — or with the mapping if an administrator entered
    that day — and is always provisional. ``unloaded_rule`` answers such a day: by default
    :func:`~rongcuo.workdays.statutory.statutory_rule` (the weekend rule less the statutory holidays).

    Subclasses may override :meth:`_ensure_year` to fetch a year's data lazily (see the DB calendar in
    ``services``); the base class knows only what it was given.
    """

    def __init__(self, days: Mapping[date, bool], loaded_years: Iterable[int], *,
                 unloaded_rule: DayRule = statutory_rule) -> None:
        self._days: dict[date, bool] = dict(days)
        self._loaded: set[int] = set(loaded_years)
        self._unloaded_rule = unloaded_rule

    # -- lookup -----------------------------------------------------------------------------------------

    def _ensure_year(self, year: int) -> None:
        """Hook for lazy loading; the pure calendar has nothing more to fetch."""

    def is_loaded(self, year: int) -> bool:
        """Whether the official arrangement of ``year`` is loaded (not provisional)."""
        self._ensure_year(year)
        return year in self._loaded

    def is_workday(self, d: date) -> tuple[bool, bool]:
        """Return ``(is_working_day, provisional)`` for one day."""
        self._ensure_year(d.year)
        value = self._days.get(d)
        loaded = d.year in self._loaded
        if value is None:
            value = weekend_rule(d) if loaded else self._unloaded_rule(d)
        return value, not loaded

    # -- counting ---------------------------------------------------------------------------------------

    def due_date(
        self,
        *,
        start: date,
        days: int,
        day_kind: DayKind,
        start_day_counts: bool,
        roll_to_workday: bool = True,
        paused: Sequence[tuple[date, date]] = (),
    ) -> Due:
        """The last day of a period of ``days`` working or natural days beginning on ``start``.

        Legal reading (see the module docstring for the citations):

        * ``start_day_counts=False`` (the default reading, 民法典 第二百零一条): the start day is not
          counted; day 1 is the first counted day after it.
          ``start_day_counts=True``: the start day itself is day 1 — for working days only if it is a
          working day (a period cannot consume a rest day).
        * ``day_kind="working"``: the due date is the N-th working day counted; rest days are skipped and
          make-up working days (调休上班, even on a weekend) count. The result is always a working day, so
          ``roll_to_workday`` has no effect.
        * ``day_kind="natural"``: the due date is ``start + N`` (``start + N − 1`` when the start day
          counts), every calendar day counting. If that day is not a working day and ``roll_to_workday``
          (民法典 第二百零三条), the period ends on the next working day instead.
        * ``paused`` is a sequence of ``(pause_date, resume_date)`` intervals during which the clock stood
          still (e.g. 补正材料期间, waiting for supplementary material): a day ``d`` with
          ``pause_date < d <= resume_date`` is not counted, and is never a due date.
        * ``days == 0`` ends the period on ``start`` itself (rolled for natural days).
        * ``provisional`` is True when any day whose working/rest status was consulted lies in a year with
          no loaded arrangement. A natural-day period without rolling consults no day, so it is never
          provisional.
        """
        if day_kind not in ("working", "natural"):
            raise CountingError(
                f"期间类型须为 working（工作日）或 natural（自然日），收到 {day_kind!r} / "
                f"day_kind must be 'working' or 'natural', got {day_kind!r}"
            )
        if days < 0:
            raise CountingError(f"期间天数不能为负：{days} / a period cannot have {days} days")
        pauses = _check_pauses(paused)
        unloaded: set[int] = set()

        def working(d: date) -> bool:
            value, provisional = self.is_workday(d)
            if provisional:
                unloaded.add(d.year)
            return value

        counted: list[date] = []
        limit = start + timedelta(days=days * 2 + MAX_SCAN_DAYS)
        if pauses:
            limit += timedelta(days=sum((r - p).days for p, r in pauses))

        if day_kind == "working":
            if days == 0:
                return Due(start, False)
            if start_day_counts and not _is_paused(start, pauses) and working(start):
                counted.append(start)
            d = start
            while len(counted) < days:
                d += ONE_DAY
                if d > limit:
                    raise CountingError(
                        f"{start} 之后 {MAX_SCAN_DAYS} 天内找不到足够的工作日，请检查日历 / "
                        f"no {days} working days found after {start}; check the calendar"
                    )
                if not _is_paused(d, pauses) and working(d):
                    counted.append(d)
            last = counted[-1]
            return Due(last, bool(unloaded), tuple(counted), None, frozenset(unloaded))

        # natural days
        d = start
        if days > 0:
            if start_day_counts and not _is_paused(start, pauses):
                counted.append(start)
            while len(counted) < days:
                d += ONE_DAY
                if not _is_paused(d, pauses):
                    counted.append(d)
            d = counted[-1]
        rolled_from: date | None = None
        if roll_to_workday and not working(d):
            rolled_from = d
            while True:
                d += ONE_DAY
                if d > limit:
                    raise CountingError(
                        f"{rolled_from} 之后找不到工作日，请检查日历 / "
                        f"no working day found after {rolled_from}; check the calendar"
                    )
                if not _is_paused(d, pauses) and working(d):
                    break
        return Due(d, bool(unloaded), tuple(counted), rolled_from, frozenset(unloaded))

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after ``a`` up to and including ``b``; negative (−count of (b, a]) when b < a.

        Used for "due soon" (临期) checks: ``working_days_between(today, due) <= N``; a negative number
        means the deadline has passed by that many working days. Same convention as :meth:`due_date`
        (start day not counted), so ``working_days_between(s, due_date(start=s, days=n, …).date) == n``.
        """
        return self.working_days_between_provisional(a, b)[0]

    def working_days_between_provisional(self, a: date, b: date) -> tuple[int, bool]:
        """Like :meth:`working_days_between`, also saying whether any day looked at was provisional."""
        lo, hi = (a, b) if a <= b else (b, a)
        count = 0
        provisional = False
        d = lo
        while d < hi:
            d += ONE_DAY
            value, prov = self.is_workday(d)
            provisional = provisional or prov
            count += value
        return (count if a <= b else -count), provisional
