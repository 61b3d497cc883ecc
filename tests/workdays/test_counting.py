"""Pure counting against the brief's official arrangements; no database.

Every expected date below was counted by hand from the brief's data and is explained in a comment.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rongcuo.workdays.counting import CountingError, WorkCalendar
from tests.workdays.brief_calendar import HOLIDAYS, MAKE_UP_DAYS, brief_calendar

D = date
CAL = brief_calendar()


def test_module_does_not_import_django() -> None:
    import subprocess
    import sys

    code = (
        "import sys, rongcuo.workdays.counting as c; "
        "sys.exit(1 if any(m == 'django' or m.startswith('django.') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_brief_matches_chinesecalendar() -> None:
    """The brief's arrangements and the installed library agree on every day of 2025 and 2026."""
    import chinese_calendar

    d = D(2025, 1, 1)
    while d.year < 2027:
        assert CAL.is_workday(d) == (chinese_calendar.is_workday(d), False), d
        d += timedelta(days=1)


def test_is_workday_loaded_and_unloaded_years() -> None:
    assert CAL.is_workday(D(2025, 10, 11)) == (True, False)  # Saturday, 国庆节调休上班
    assert CAL.is_workday(D(2025, 10, 8)) == (False, False)  # Wednesday, 国庆节
    assert CAL.is_workday(D(2025, 10, 18)) == (False, False)  # ordinary Saturday of a loaded year
    assert CAL.is_workday(D(2027, 1, 1)) == (False, True)  # Friday, 元旦 by law; 2027's arrangement unknown
    assert CAL.is_workday(D(2027, 1, 4)) == (True, True)  # Monday
    assert CAL.is_workday(D(2027, 1, 2)) == (False, True)
    assert CAL.is_loaded(2026) and not CAL.is_loaded(2027)


# --- working days --------------------------------------------------------------------------------------


def test_national_day_2025_thirty_working_days() -> None:
    # 受理 2025-09-15 (Monday), 30 working days, start day not counted (民法典 第二百零一条):
    #   Sep 16–19 (Tue–Fri)            4  → 4
    #   Sep 22–26 (Mon–Fri)            5  → 9
    #   Sep 27 Sat rest; Sep 28 Sun worked (调休)  1  → 10
    #   Sep 29–30 (Mon–Tue)            2  → 12
    #   Oct 1–8 National Day holiday   0
    #   Oct 9–10 (Thu–Fri)             2  → 14
    #   Oct 11 Sat worked (调休)        1  → 15
    #   Oct 13–17, 20–24, 27–31        15 → 30  => Friday 2025-10-31.
    # (The brief's helper guessed 2025-11-04; the careful count ends on 10-31, and chinesecalendar agrees.)
    due = CAL.due_date(start=D(2025, 9, 15), days=30, day_kind="working", start_day_counts=False)
    assert due.date == D(2025, 10, 31)
    assert not due.provisional and due.unloaded_years == frozenset()
    assert len(due.counted_days) == 30
    assert D(2025, 9, 28) in due.counted_days and D(2025, 10, 11) in due.counted_days
    assert D(2025, 9, 27) not in due.counted_days
    assert not any(D(2025, 10, 1) <= d <= D(2025, 10, 8) for d in due.counted_days)
    assert due.counted_days[0] == D(2025, 9, 16)


def test_shenzhen_extension_fifteen_more_working_days() -> None:
    # The Shenzhen procedure extends by 15 working days: from 10-31, Nov 3–7, 10–14, 17–21 → 2025-11-21.
    due = CAL.due_date(start=D(2025, 10, 31), days=15, day_kind="working", start_day_counts=False)
    assert due.date == D(2025, 11, 21)


def test_spring_festival_2026_with_make_up_days() -> None:
    # Start Monday 2026-02-09, 10 working days:
    #   Feb 10–13 (Tue–Fri) 4 → 4; Feb 14 Sat worked (调休) → 5; Feb 15–23 holiday;
    #   Feb 24–27 (Tue–Fri) 4 → 9; Feb 28 Sat worked (调休) → 10  => Saturday 2026-02-28.
    due = CAL.due_date(start=D(2026, 2, 9), days=10, day_kind="working", start_day_counts=False)
    assert due.date == D(2026, 2, 28)
    assert due.counted_days == (
        D(2026, 2, 10),
        D(2026, 2, 11),
        D(2026, 2, 12),
        D(2026, 2, 13),
        D(2026, 2, 14),
        D(2026, 2, 24),
        D(2026, 2, 25),
        D(2026, 2, 26),
        D(2026, 2, 27),
        D(2026, 2, 28),
    )
    assert not due.provisional
    # The working day after the make-up Saturday 2/14 is Tuesday 2/24 (2/15–23 are all holiday).
    assert CAL.due_date(start=D(2026, 2, 14), days=1, day_kind="working", start_day_counts=False).date == D(2026, 2, 24)
    # Feb 28 is worked, Mar 1 is Sunday: one working day after 2/27 is 2/28 itself.
    assert CAL.due_date(start=D(2026, 2, 27), days=1, day_kind="working", start_day_counts=False).date == D(2026, 2, 28)


def test_start_day_counted_working() -> None:
    # 自受理之日起: 9/15 (a working day) is day 1, so day 30 is one working day earlier than 10-31: 10-30.
    due = CAL.due_date(start=D(2025, 9, 15), days=30, day_kind="working", start_day_counts=True)
    assert due.date == D(2025, 10, 30)
    assert due.counted_days[0] == D(2025, 9, 15)
    # A start on a holiday cannot be a working day 1: 10-01 counted from, day 1 is the first working day, 10-09.
    due = CAL.due_date(start=D(2025, 10, 1), days=1, day_kind="working", start_day_counts=True)
    assert due.date == D(2025, 10, 9)


def test_pause_stops_the_clock() -> None:
    # As the 30-working-day count from 9/15, but paused on Mon 10-20 and resumed Fri 10-24 (补正材料):
    # 10-20 still counts (day 21); 10-21..10-24 (4 working days) do not; the count resumes on 10-27:
    # 10-27..10-31 → 26, Nov 3, 4, 5, 6 → 30  => 2025-11-06.
    due = CAL.due_date(
        start=D(2025, 9, 15),
        days=30,
        day_kind="working",
        start_day_counts=False,
        paused=[(D(2025, 10, 20), D(2025, 10, 24))],
    )
    assert due.date == D(2025, 11, 6)
    assert D(2025, 10, 20) in due.counted_days
    assert not any(D(2025, 10, 21) <= d <= D(2025, 10, 24) for d in due.counted_days)
    # A pause that starts and resumes the same day stops nothing.
    same = CAL.due_date(
        start=D(2025, 9, 15),
        days=30,
        day_kind="working",
        start_day_counts=False,
        paused=[(D(2025, 10, 20), D(2025, 10, 20))],
    )
    assert same.date == D(2025, 10, 31)


def test_pause_natural_days() -> None:
    # 2025-09-01 + 10 natural days, paused 9/5 → 9/8: 9/2–9/5 count (4), 9/6–9/8 do not, 9/9–9/14 (6) → 10,
    # ending Sunday 9/14, which rolls to Monday 2025-09-15.
    due = CAL.due_date(
        start=D(2025, 9, 1),
        days=10,
        day_kind="natural",
        start_day_counts=False,
        paused=[(D(2025, 9, 5), D(2025, 9, 8))],
    )
    assert due.counted_days[-1] == D(2025, 9, 14) and due.rolled_from == D(2025, 9, 14)
    assert due.date == D(2025, 9, 15)


def test_invalid_arguments() -> None:
    with pytest.raises(CountingError):
        CAL.due_date(start=D(2025, 1, 1), days=-1, day_kind="working", start_day_counts=False)
    with pytest.raises(CountingError):
        CAL.due_date(start=D(2025, 1, 1), days=5, day_kind="weeks", start_day_counts=False)  # type: ignore[arg-type]
    with pytest.raises(CountingError):
        CAL.due_date(
            start=D(2025, 1, 1),
            days=5,
            day_kind="working",
            start_day_counts=False,
            paused=[(D(2025, 1, 9), D(2025, 1, 3))],
        )


def test_zero_days() -> None:
    assert CAL.due_date(start=D(2025, 10, 3), days=0, day_kind="working", start_day_counts=False).date == D(2025, 10, 3)
    # A natural period ending on its start day still rolls off a holiday.
    assert CAL.due_date(start=D(2025, 10, 3), days=0, day_kind="natural", start_day_counts=False).date == D(2025, 10, 9)


def test_impossible_calendar_raises_instead_of_looping() -> None:
    # Every day of 2030-2045 marked as rest and "loaded": no working day can ever be found.
    d, days = D(2030, 1, 1), {}
    while d.year < 2046:
        days[d] = False
        d += timedelta(days=1)
    cal = WorkCalendar(days, range(2030, 2046))
    with pytest.raises(CountingError):
        cal.due_date(start=D(2030, 1, 1), days=1, day_kind="working", start_day_counts=False)


# --- natural days --------------------------------------------------------------------------------------


def test_natural_days_roll_past_national_day() -> None:
    # 2025-09-23 + 8 natural days = 10-01, a statutory holiday; 民法典 第二百零三条 moves the end to the day
    # after the holiday ends: 10-09 (10/1–8 are all rest days).
    due = CAL.due_date(start=D(2025, 9, 23), days=8, day_kind="natural", start_day_counts=False)
    assert due.rolled_from == D(2025, 10, 1)
    assert due.date == D(2025, 10, 9)
    assert len(due.counted_days) == 8 and due.counted_days[0] == D(2025, 9, 24)
    unrolled = CAL.due_date(
        start=D(2025, 9, 23), days=8, day_kind="natural", start_day_counts=False, roll_to_workday=False
    )
    assert unrolled.date == D(2025, 10, 1) and unrolled.rolled_from is None


def test_natural_days_roll_onto_make_up_sunday() -> None:
    # 2025-09-20 + 7 = Saturday 9/27 (rest); the next day, Sunday 9/28, is a make-up working day: ends 9/28.
    due = CAL.due_date(start=D(2025, 9, 20), days=7, day_kind="natural", start_day_counts=False)
    assert due.date == D(2025, 9, 28)


def test_natural_days_spring_festival_2026() -> None:
    # The 7-day public notice (公示) from 2026-02-08: ends 2/15 (Spring Festival) → rolls to 2/24.
    due = CAL.due_date(start=D(2026, 2, 8), days=7, day_kind="natural", start_day_counts=False)
    assert due.date == D(2026, 2, 24)
    # Not rolled when it ends on an ordinary working day: 2026-03-02 + 7 = Monday 3/9.
    assert CAL.due_date(start=D(2026, 3, 2), days=7, day_kind="natural", start_day_counts=False).date == D(2026, 3, 9)


def test_start_day_counted_natural() -> None:
    # start + N − 1: 2025-09-15 counted as day 1 of 10 → Wednesday 9/24.
    due = CAL.due_date(start=D(2025, 9, 15), days=10, day_kind="natural", start_day_counts=True)
    assert due.date == D(2025, 9, 24) and due.counted_days[0] == D(2025, 9, 15)
    # 2025-09-22 + 10 − 1 = 10/1 → rolls to 10/9.
    assert CAL.due_date(start=D(2025, 9, 22), days=10, day_kind="natural", start_day_counts=True).date == D(2025, 10, 9)


# --- provisional: years with no loaded arrangement -------------------------------------------------------


def test_deadline_into_2027_is_provisional_and_skips_the_statutory_holidays() -> None:
    # Start Tuesday 2026-12-15, 30 working days. 2026 has no holidays left in December:
    #   Dec 16–18 → 3, Dec 21–25 → 8, Dec 28–31 → 12.
    # 2027 is not loaded: the weekend rule less the holidays the law fixes. New Year's Day (Friday 1/1) is one,
    # so it is skipped; the result is provisional only because the make-up working days are unknown:
    #   Jan 4–8 → 17, 11–15 → 22, 18–22 → 27, Jan 25, 26, 27 → 30.
    due = CAL.due_date(start=D(2026, 12, 15), days=30, day_kind="working", start_day_counts=False)
    assert due.date == D(2027, 1, 27)
    assert due.provisional
    assert due.unloaded_years == frozenset({2027})
    assert D(2027, 1, 1) not in due.counted_days


def test_provisional_deadline_skips_the_spring_festival_from_the_lunar_calendar() -> None:
    # 2027: 正月初一 is Saturday 2/6, so 春节 (除夕 to 初三) is Fri 2/5 – Mon 2/8; its two weekend days are given back
    # on the next weekdays (补假, 第六条): Tue 2/9 and Wed 2/10. From Monday 1/25, 10 working days:
    #   Jan 26–29 → 4, Feb 1–4 → 8, Feb 5–10 rest, Feb 11 → 9, Feb 12 → 10.
    due = CAL.due_date(start=D(2027, 1, 25), days=10, day_kind="working", start_day_counts=False)
    assert due.date == D(2027, 2, 12) and due.provisional
    assert not {D(2027, 2, 5), D(2027, 2, 8), D(2027, 2, 9), D(2027, 2, 10)} & set(due.counted_days)
    # The pure weekend rule (what an unloaded year used to follow) counts through the festival.
    from rongcuo.workdays.counting import weekend_rule

    weekend_only = WorkCalendar({}, (), unloaded_rule=weekend_rule)
    assert weekend_only.due_date(start=D(2027, 1, 25), days=10, day_kind="working",
                                 start_day_counts=False).date == D(2027, 2, 8)


def test_provisional_only_when_an_unloaded_day_is_consulted() -> None:
    # Ends inside 2026: not provisional.
    assert not CAL.due_date(start=D(2026, 12, 1), days=10, day_kind="working", start_day_counts=False).provisional
    # Natural days without rolling consult no calendar day at all.
    due = CAL.due_date(
        start=D(2026, 12, 20), days=30, day_kind="natural", start_day_counts=False, roll_to_workday=False
    )
    assert due.date == D(2027, 1, 19) and not due.provisional
    # With rolling, the last day (in 2027) is consulted: provisional.
    due = CAL.due_date(start=D(2026, 12, 20), days=30, day_kind="natural", start_day_counts=False)
    assert due.date == D(2027, 1, 19) and due.provisional


# --- working days between ------------------------------------------------------------------------------


def test_working_days_between() -> None:
    assert CAL.working_days_between(D(2025, 9, 30), D(2025, 10, 9)) == 1  # only 10/9; 10/1–8 are holiday
    assert CAL.working_days_between(D(2025, 10, 9), D(2025, 9, 30)) == -1  # overdue by one working day
    assert CAL.working_days_between(D(2025, 10, 9), D(2025, 10, 9)) == 0
    assert CAL.working_days_between(D(2025, 9, 15), D(2025, 10, 31)) == 30
    assert CAL.working_days_between(D(2025, 9, 26), D(2025, 9, 28)) == 1  # Sat rest, Sun 9/28 worked
    assert CAL.working_days_between_provisional(D(2026, 12, 30), D(2027, 1, 4)) == (2, True)  # 1/1 元旦
    assert CAL.working_days_between_provisional(D(2026, 12, 1), D(2026, 12, 31)) == (22, False)


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(min_value=D(2024, 10, 1), max_value=D(2027, 6, 30)),
    days=st.integers(min_value=1, max_value=120),
)
def test_working_due_date_is_consistent_with_working_days_between(start: date, days: int) -> None:
    due = CAL.due_date(start=start, days=days, day_kind="working", start_day_counts=False)
    assert CAL.is_workday(due.date)[0]
    assert CAL.working_days_between(start, due.date) == days
    assert list(due.counted_days) == sorted(set(due.counted_days))
    # Every day in (start, due] was consulted; provisional exactly when one lies outside 2025–2026.
    consulted_years = set(range((start + timedelta(days=1)).year, due.date.year + 1))
    assert due.provisional == bool(consulted_years - {2025, 2026})
    assert due.unloaded_years == frozenset(consulted_years - {2025, 2026})


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 10, 31)),
    days=st.integers(min_value=1, max_value=60),
)
def test_natural_due_date_never_ends_on_a_rest_day(start: date, days: int) -> None:
    due = CAL.due_date(start=start, days=days, day_kind="natural", start_day_counts=False)
    assert due.date >= start + timedelta(days=days)
    assert CAL.is_workday(due.date)[0]
    # Every day strictly between the plain end and the rolled end is a rest day (rolled to the *next*).
    d = start + timedelta(days=days)
    while d < due.date:
        assert not CAL.is_workday(d)[0]
        d += timedelta(days=1)


def test_holiday_data_sanity() -> None:
    assert all(d.weekday() >= 5 for d in MAKE_UP_DAYS)
    assert not set(HOLIDAYS) & set(MAKE_UP_DAYS)
