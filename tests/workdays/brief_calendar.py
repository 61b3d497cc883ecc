"""The official holiday arrangements for 2025 and 2026 exactly as the brief states them.

Tests count against this hand-typed data rather than against chinesecalendar, so that an error in either
the library or the counting code shows up (``test_brief_matches_chinesecalendar`` checks the two agree).
"""

from __future__ import annotations

from datetime import date, timedelta

from rongcuo.workdays.counting import WorkCalendar


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


D = date

#: 放假 rest days (holidays, including the weekend days inside them).
HOLIDAYS: list[date] = [
    # 2025
    D(2025, 1, 1),
    *_span(D(2025, 1, 28), D(2025, 2, 4)),
    *_span(D(2025, 4, 4), D(2025, 4, 6)),
    *_span(D(2025, 5, 1), D(2025, 5, 5)),
    *_span(D(2025, 5, 31), D(2025, 6, 2)),
    *_span(D(2025, 10, 1), D(2025, 10, 8)),
    # 2026
    *_span(D(2026, 1, 1), D(2026, 1, 3)),
    *_span(D(2026, 2, 15), D(2026, 2, 23)),
    *_span(D(2026, 4, 4), D(2026, 4, 6)),
    *_span(D(2026, 5, 1), D(2026, 5, 5)),
    *_span(D(2026, 6, 19), D(2026, 6, 21)),
    *_span(D(2026, 9, 25), D(2026, 9, 27)),
    *_span(D(2026, 10, 1), D(2026, 10, 7)),
]

#: 调休上班 make-up working days (weekend days that are worked).
MAKE_UP_DAYS: list[date] = [
    D(2025, 1, 26),
    D(2025, 2, 8),
    D(2025, 4, 27),
    D(2025, 9, 28),
    D(2025, 10, 11),
    D(2026, 1, 4),
    D(2026, 2, 14),
    D(2026, 2, 28),
    D(2026, 5, 9),
    D(2026, 9, 20),
    D(2026, 10, 10),
]

LOADED_YEARS = frozenset({2025, 2026})


def brief_calendar() -> WorkCalendar:
    """2025 and 2026 loaded from the brief; every other year unknown (weekend rule, provisional)."""
    days = {d: False for d in HOLIDAYS}
    days.update({d: True for d in MAKE_UP_DAYS})
    return WorkCalendar(days, LOADED_YEARS)
