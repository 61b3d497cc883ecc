"""Reading the calendar: whole years from the database (``DbCalendar``), from the cache for pages that only show
deadline states (``SharedCalendar``), and due dates counted on it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from rongcuo.common import generations
from rongcuo.workdays.counting import DayKind, Due, WorkCalendar
from rongcuo.workdays.models import CalendarDay, CalendarYear


class DbCalendar(WorkCalendar):
    """A :class:`WorkCalendar` backed by the database, loading whole year ranges in one query each.

    Build it with :func:`load_calendar`. A year outside the range loaded so far is fetched on first use
    (one more query), so a count that runs past the expected range is still correct. Lives for one call or
    request: it is a cache, and a cache of a calendar that administrators edit must not outlive a request unless
    a change replaces it (that is :class:`SharedCalendar`, for display).
    """

    def __init__(self) -> None:
        super().__init__({}, ())
        self._fetched: set[int] = set()

    def fetch(self, from_year: int, to_year: int) -> None:
        """Load years ``from_year..to_year`` (inclusive) that are not loaded yet: one query for days, one for years."""
        missing = [y for y in range(from_year, to_year + 1) if y not in self._fetched]
        if not missing:
            return
        lo, hi = missing[0], missing[-1]
        self._days.update(
            CalendarDay.objects.filter(date__gte=date(lo, 1, 1), date__lt=date(hi + 1, 1, 1)).values_list(
                "date", "is_workday"
            )
        )
        self._loaded.update(CalendarYear.objects.filter(year__gte=lo, year__lte=hi).values_list("year", flat=True))
        self._fetched.update(range(lo, hi + 1))

    def _ensure_year(self, year: int) -> None:
        if year not in self._fetched:
            self.fetch(year, year)


CALENDAR_GENERATION = generations.CALENDAR
SHARED_CALENDAR_TTL = 300  # seconds a year is kept in the cache (a change of the calendar replaces it at once)


class SharedCalendar(DbCalendar):
    """A :class:`DbCalendar` whose years come from the cache when they are there: for pages that SHOW deadline
    states (overdue, due soon), which would otherwise read the calendar twice on every request.

    Each process keeps the years it has read under their cache key as well (so a page reads only the generation).
    Never for computing a date that is stored: services use :class:`DbCalendar`. The cache key carries the
    calendar's generation (common.generations), which every calendar change replaces (the seed, a notice file, an
    administrator's edit that moves a day: the same points that fire the calendar-change hooks, and any save or
    delete of a day or a year row), so the next request reads the new calendar.
    """

    def fetch(self, from_year: int, to_year: int) -> None:
        missing = [y for y in range(from_year, to_year + 1) if y not in self._fetched]
        if not missing:
            return
        from django.core.cache import cache

        gen = generations.current(CALENDAR_GENERATION)
        keys = {y: f"rongcuo:calendar:{gen}:{y}" for y in missing}
        # this process's copy of a year under this generation first: no round trip, nothing to unpickle
        found = {key: _YEARS[key] for key in keys.values() if key in _YEARS}
        if len(found) < len(keys):
            found.update(cache.get_many([key for key in keys.values() if key not in found]))
            _keep({key: found[key] for key in keys.values() if key in found})
        for year, key in keys.items():
            if key in found:
                days, loaded = found[key]
                self._days.update(days)
                if loaded:
                    self._loaded.add(year)
                self._fetched.add(year)
        absent = [y for y in missing if keys[y] not in found]
        if not absent:
            return
        super().fetch(absent[0], absent[-1])
        years = {keys[y]: ({d: v for d, v in self._days.items() if d.year == y}, y in self._loaded) for y in absent}
        cache.set_many(years, SHARED_CALENDAR_TTL)
        _keep(years)


_YEARS: dict[str, tuple[dict[date, Any], bool]] = {}  # SharedCalendar's years in this process, by cache key


def _keep(years: dict[str, tuple[dict[date, Any], bool]]) -> None:
    if len(_YEARS) > 64:  # older generations' years are never asked for again
        _YEARS.clear()
    _YEARS.update(years)


def calendar_changed(**kwargs: Any) -> None:
    """Signal receiver (workdays app): a day or year row was saved or deleted outside the services above."""
    generations.bump(CALENDAR_GENERATION)


def load_calendar(from_year: int, to_year: int, *, shared: bool = False) -> DbCalendar:
    """The calendar for ``from_year..to_year`` (inclusive) from the database; later years load on demand.
    ``shared=True``: a :class:`SharedCalendar`, for showing deadline states only."""
    if to_year < from_year:
        raise ValueError(f"年份范围无效 invalid year range {from_year}..{to_year}")
    calendar = SharedCalendar() if shared else DbCalendar()
    calendar.fetch(from_year, to_year)
    return calendar


def _calendar_for(start: date, days: int) -> DbCalendar:
    # A working-day period of n days spans about 7n/5 calendar days plus the longest holidays; load the
    # years that range may touch in one go (more are fetched on demand).
    reach = start + timedelta(days=days * 2 + 30)
    return load_calendar(start.year, max(start.year, reach.year))


def due_date(
    *,
    start: date,
    days: int,
    day_kind: DayKind,
    start_day_counts: bool,
    roll_to_workday: bool = True,
    paused: Sequence[tuple[date, date]] = (),
    calendar: WorkCalendar | None = None,
) -> Due:
    """:meth:`WorkCalendar.due_date` on the database calendar (or on ``calendar`` when given)."""
    cal = calendar if calendar is not None else _calendar_for(start, days)
    return cal.due_date(
        start=start,
        days=days,
        day_kind=day_kind,
        start_day_counts=start_day_counts,
        roll_to_workday=roll_to_workday,
        paused=paused,
    )


def working_days_between(a: date, b: date, *, calendar: WorkCalendar | None = None) -> int:
    """Working days after ``a`` up to and including ``b`` on the database calendar (negative if b < a)."""
    cal = calendar if calendar is not None else load_calendar(min(a, b).year, max(a, b).year)
    return cal.working_days_between(a, b)
