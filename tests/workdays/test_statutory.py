"""The public holidays the law fixes (全国年节及纪念日放假办法), for years whose arrangement is not loaded."""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from rongcuo.workdays.statutory import revision_for, revisions, statutory_rest_days, statutory_rule

D = date


def test_2027_holidays_from_the_lunar_calendar_and_the_solar_term() -> None:
    days = statutory_rest_days(2027)
    named = {d: (r.festival_zh, r.substitute) for d, r in days.items()}
    assert named[D(2027, 1, 1)] == ("元旦", False)
    # 春节 2024 revision: 除夕 and 正月初一 to 初三 (正月初一 2027 is Saturday 2/6), 补假 for Sat 2/6 and Sun 2/7.
    assert [d for d, (name, _) in named.items() if name == "春节"] == [
        D(2027, 2, 5), D(2027, 2, 6), D(2027, 2, 7), D(2027, 2, 8), D(2027, 2, 9), D(2027, 2, 10)]
    assert named[D(2027, 2, 9)] == ("春节", True) and named[D(2027, 2, 10)] == ("春节", True)
    assert named[D(2027, 4, 5)] == ("清明节", False)  # the 清明 solar term, a Monday
    assert named[D(2027, 5, 1)] == named[D(2027, 5, 2)] == ("劳动节", False)  # two days since 2025
    assert named[D(2027, 5, 3)] == ("劳动节", True)  # 5/1–2 are Saturday and Sunday: two weekdays given back
    assert named[D(2027, 5, 4)] == ("劳动节", True)
    assert named[D(2027, 6, 9)] == ("端午节", False)  # 五月初五
    assert named[D(2027, 9, 15)] == ("中秋节", False)  # 八月十五
    assert [d for d, (name, sub) in named.items() if name == "国庆节" and not sub] == [
        D(2027, 10, 1), D(2027, 10, 2), D(2027, 10, 3)]
    basis = days[D(2027, 2, 5)].basis
    assert basis.startswith("《全国年节及纪念日放假办法》（2024年11月10日国务院令第795号修订）第二条")
    assert not statutory_rule(D(2027, 2, 8)) and statutory_rule(D(2027, 2, 11))
    assert not statutory_rule(D(2027, 2, 13))  # a Saturday: no make-up working day is known without the notice


@pytest.mark.parametrize("year", range(2014, 2027))
def test_the_law_agrees_with_every_published_arrangement(year: int) -> None:
    """Every holiday the law fixes is a rest day in the official arrangement (chinesecalendar) of 2014–2026, under
    the revision in force that year (2014: 春节 3 days, 劳动节 1; 2025: 春节 with 除夕, 劳动节 2). The 补假 the
    platform places on the next weekdays is a rest day too, but for 2015 (中秋 on a Sunday, no weekday given)."""
    days = statutory_rest_days(year)
    holidays = [d for d, r in days.items() if not r.substitute]
    assert len(holidays) >= (13 if year >= 2025 else 11) - 1  # two festivals may share a day (2020: 中秋 = 国庆)
    assert [d for d in holidays if chinese_calendar.is_workday(d)] == []
    wrong = [d for d, r in days.items() if r.substitute and chinese_calendar.is_workday(d)]
    assert wrong == ([D(2015, 9, 28)] if year == 2015 else [])


def test_revisions_are_data_in_force_from_their_date() -> None:
    titles = [r.title_zh for r in revisions()]
    assert len(titles) == 2 and "第795号" in titles[1]
    assert revision_for(2024) is revisions()[0] and revision_for(2025) is revisions()[1]
    assert revision_for(2013) is None and statutory_rest_days(2013) == {}
    spring = next(h for h in revisions()[1].holidays if h.name_zh == "春节")
    assert spring.days == 4 and spring.first_day == {"lunar": "除夕"}


def test_every_year_has_the_2024_revisions_thirteen_days_or_more() -> None:
    for year in range(2025, 2101):
        days = statutory_rest_days(year)
        assert sum(1 for r in days.values() if not r.substitute) >= 12, year
        assert all(d.weekday() < 5 for d, r in days.items() if r.substitute)
        first = min(days)
        assert first == D(year, 1, 1) and max(days) < D(year + 1, 1, 1)
