"""Services on the database: seeding, notice files, administrator edits, hooks, the DB calendar."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from rongcuo.workdays.models import CalendarDay, CalendarYear, Origin
from rongcuo.workdays.selectors import due_date, load_calendar, working_days_between
from rongcuo.workdays.services import (
    CalendarFileError,
    calendar_load_file,
    calendar_seed,
    calendar_set_day,
    chinesecalendar_years,
    on_calendar_change,
    remove_calendar_change_hook,
)
from rongcuo.workdays.services import hooks as calendar_hooks
from tests.workdays.brief_calendar import brief_calendar

D = date
pytestmark = pytest.mark.django_db

#: A made-up 2027 notice (the real one is not published yet): New Year's Day Friday 1/1 off, and a
#: Spring Festival with one make-up Saturday. Only the days that differ from the weekend rule are listed.
NOTICE_2027_CSV = """\
date,is_workday,note
2027-01-01,否,元旦
2027-02-06,true,春节调休上班
2027-02-08,false,春节
2027-02-09,0,春节
2027-02-10,false,春节
"""


@pytest.fixture
def calls() -> Iterator[list[frozenset[int]]]:
    """Register a hook recording the years it is called with; unregistered afterwards."""
    seen: list[frozenset[int]] = []

    def hook(years: frozenset[int]) -> None:
        seen.append(years)

    on_calendar_change(hook)
    yield seen
    remove_calendar_change_hook(hook)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- seeding ---------------------------------------------------------------------------------------------


def test_seed_everything_is_idempotent(django_capture_on_commit_callbacks: Callable[..., Any], calls: list) -> None:
    years = chinesecalendar_years()
    assert years.start == 2004 and years.stop - 1 >= 2026
    expected = (D(years.stop, 1, 1) - D(2004, 1, 1)).days
    with django_capture_on_commit_callbacks(execute=True):
        assert calendar_seed() == expected
    assert CalendarDay.objects.count() == expected
    assert set(CalendarYear.objects.values_list("year", flat=True)) == set(years)
    assert calls == [frozenset(years)]
    snapshot = list(CalendarDay.objects.values_list("date", "is_workday", "note", "source", "updated_at"))

    with django_capture_on_commit_callbacks(execute=True):
        assert calendar_seed() == 0
    assert list(CalendarDay.objects.values_list("date", "is_workday", "note", "source", "updated_at")) == snapshot
    assert calls == [frozenset(years)]  # nothing changed, nobody notified


def test_seed_notes_and_source() -> None:
    calendar_seed(years=[2025])
    national = CalendarDay.objects.get(date=D(2025, 10, 3))
    assert not national.is_workday and national.note.startswith("国庆节")
    make_up = CalendarDay.objects.get(date=D(2025, 10, 11))
    assert make_up.is_workday and make_up.note.startswith("国庆节调休上班")
    assert national.source.startswith("chinesecalendar ") and national.origin == Origin.SEED
    assert CalendarDay.objects.get(date=D(2025, 3, 3)).note == ""


def test_seed_never_overwrites_file_or_administrator_days() -> None:
    calendar_seed(years=[2025])
    calendar_set_day(day=D(2025, 10, 11), is_workday=False, note="临时调整 test", actor="alice")
    CalendarDay.objects.filter(date=D(2025, 12, 26)).update(
        is_workday=False, origin=Origin.FILE, source="国办发明电〔2025〕99号", note="test"
    )
    CalendarDay.objects.filter(date=D(2025, 3, 3)).update(is_workday=False)  # a seed day gone wrong
    assert calendar_seed(years=[2025]) == 1  # only the seed day is repaired
    assert CalendarDay.objects.get(date=D(2025, 3, 3)).is_workday
    admin_day = CalendarDay.objects.get(date=D(2025, 10, 11))
    assert not admin_day.is_workday and admin_day.source == "administrator" and admin_day.changed_by == "alice"
    file_day = CalendarDay.objects.get(date=D(2025, 12, 26))
    assert not file_day.is_workday and file_day.origin == Origin.FILE


def test_seed_rejects_years_the_library_does_not_cover() -> None:
    last = chinesecalendar_years().stop - 1
    with pytest.raises(ValueError, match="chinesecalendar"):
        calendar_seed(years=[last + 1])
    with pytest.raises(ValueError):
        calendar_seed(years=[2003])
    assert not CalendarDay.objects.exists()


# --- the DB calendar -------------------------------------------------------------------------------------


def test_db_calendar_equals_the_brief(django_assert_num_queries: Callable[..., Any]) -> None:
    calendar_seed(years=[2025, 2026])
    with django_assert_num_queries(2):  # one for the days of the range, one for the loaded years
        cal = load_calendar(2025, 2026)
    brief = brief_calendar()
    d = D(2025, 1, 1)
    with django_assert_num_queries(0):
        while d.year < 2027:
            assert cal.is_workday(d) == brief.is_workday(d), d
            d += timedelta(days=1)
    with django_assert_num_queries(2):  # a year outside the range is fetched once, on demand
        assert cal.is_workday(D(2027, 1, 1)) == (False, True)  # 元旦 by law, 2027 not loaded
        assert cal.is_workday(D(2027, 1, 2)) == (False, True)


def test_db_due_date_national_day_2025() -> None:
    calendar_seed(years=[2025, 2026])
    due = due_date(start=D(2025, 9, 15), days=30, day_kind="working", start_day_counts=False)
    assert due.date == D(2025, 10, 31) and not due.provisional  # see test_counting for the hand count
    assert working_days_between(D(2025, 9, 15), D(2025, 10, 31)) == 30


def test_unseeded_database_is_provisional_everywhere() -> None:
    due = due_date(start=D(2025, 9, 15), days=30, day_kind="working", start_day_counts=False)
    # The law only (no arrangement loaded): Sep 16 … 30 weekdays = 11; 国庆节 10/1–3 and 中秋节 10/6 (a Monday, on the
    # lunar calendar) are rest days; Oct 7–10 → 15, 13–17 → 20, 20–24 → 25, 27–31 → 30.
    assert due.date == D(2025, 10, 31) and due.provisional


# --- notice files ----------------------------------------------------------------------------------------


def test_loading_2027_makes_the_deadline_final_and_calls_the_hook(
    tmp_path: Path, django_capture_on_commit_callbacks: Callable[..., Any], calls: list
) -> None:
    calendar_seed(years=[2026])
    before = due_date(start=D(2026, 12, 15), days=30, day_kind="working", start_day_counts=False)
    assert before.date == D(2027, 1, 27) and before.provisional  # hand count in test_counting (元旦 skipped)
    festival = due_date(start=D(2027, 1, 25), days=10, day_kind="working", start_day_counts=False)
    assert festival.date == D(2027, 2, 12) and festival.provisional  # 春节 and its 补假 skipped (test_counting)

    path = write(tmp_path, "2027.csv", NOTICE_2027_CSV)
    with django_capture_on_commit_callbacks(execute=True):
        written = calendar_load_file(path=path, source="国办发明电〔2026〕99号")
    assert written == 365
    assert calls == [frozenset({2027})]
    year = CalendarYear.objects.get(year=2027)
    assert year.source == "国办发明电〔2026〕99号"

    after = due_date(start=D(2026, 12, 15), days=30, day_kind="working", start_day_counts=False)
    # The notice also makes 1/1 a holiday: the same date, now final.
    assert after.date == D(2027, 1, 27) and not after.provisional
    # The notice's festival differs from the law's reading (2/5 worked, 2/6 a make-up Saturday, 2/8–10 off):
    #   Jan 26–29 → 4, Feb 1–5 → 9, Sat Feb 6 → 10. Recomputed and final.
    festival = due_date(start=D(2027, 1, 25), days=10, day_kind="working", start_day_counts=False)
    assert festival.date == D(2027, 2, 6) and not festival.provisional
    # Unlisted days follow the weekend rule; listed ones keep their note.
    assert CalendarDay.objects.get(date=D(2027, 3, 1)).is_workday
    assert not CalendarDay.objects.get(date=D(2027, 3, 6)).is_workday
    sat = CalendarDay.objects.get(date=D(2027, 2, 6))
    assert sat.is_workday and sat.note == "春节调休上班" and sat.origin == Origin.FILE


def test_json_file(tmp_path: Path) -> None:
    items = [
        {"date": "2027-01-01", "is_workday": False, "note": "元旦"},
        {"date": "2027/2/6", "is_workday": "是", "note": "春节调休上班"},
        {"date": "2027-02-08", "is_workday": 0},
    ]
    path = write(tmp_path, "2027.json", json.dumps(items, ensure_ascii=False))
    assert calendar_load_file(path=path, source="国办发明电〔2026〕99号") == 365
    assert CalendarDay.objects.get(date=D(2027, 2, 6)).is_workday
    assert not CalendarDay.objects.get(date=D(2027, 2, 8)).is_workday
    assert CalendarDay.objects.get(date=D(2027, 2, 8)).note == ""


def test_reloading_the_same_file_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, "2027.csv", NOTICE_2027_CSV)
    calendar_load_file(path=path, source="国办发明电〔2026〕99号")
    assert calendar_load_file(path=path, source="国办发明电〔2026〕99号", replace=True) == 0


@pytest.mark.parametrize(
    ("text", "line", "field", "fragment"),
    [
        (NOTICE_2027_CSV.replace("2027-02-08,false", "2027-02-08,maybe"), 4, "is_workday", "true/false/1/0/是/否"),
        (NOTICE_2027_CSV.replace("2027-02-09", "2027-02-30"), 5, "date", "YYYY-MM-DD"),
        (NOTICE_2027_CSV + "2027-01-01,false,重复\n", 7, "date", "2027-01-01"),
        ("day,workday\n2027-01-01,false\n", 1, None, "date,is_workday,note"),
        (NOTICE_2027_CSV + "2027-03-01,true,x,extra\n", 7, None, "4"),
    ],
)
def test_bad_file_line_is_rejected_with_nothing_written(
    tmp_path: Path,
    text: str,
    line: int,
    field: str | None,
    fragment: str,
    calls: list,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    path = write(tmp_path, "2027.csv", text)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CalendarFileError) as info:
        calendar_load_file(path=path, source="国办发明电〔2026〕99号")
    err = info.value
    assert err.line == line and err.field == field
    assert f"第 {line} 行" in str(err) and f"line {line}" in str(err) and fragment in str(err)
    assert not CalendarDay.objects.exists() and not CalendarYear.objects.exists()
    assert calls == []


def test_bad_json_item(tmp_path: Path) -> None:
    items = [{"date": "2027-01-01", "is_workday": False}, {"date": "2027-01-02", "is_workday": "yes"}]
    path = write(tmp_path, "2027.json", json.dumps(items))
    with pytest.raises(CalendarFileError) as info:
        calendar_load_file(path=path, source="x")
    assert info.value.line == 2 and "第 2 项 item 2" in str(info.value)
    assert not CalendarDay.objects.exists()


def test_other_file_errors(tmp_path: Path) -> None:
    with pytest.raises(CalendarFileError, match="csv"):
        calendar_load_file(path=write(tmp_path, "2027.txt", NOTICE_2027_CSV), source="x")
    with pytest.raises(CalendarFileError, match="不存在"):
        calendar_load_file(path=tmp_path / "missing.csv", source="x")
    with pytest.raises(CalendarFileError, match="UTF-8"):
        path = tmp_path / "gbk.csv"
        path.write_bytes(NOTICE_2027_CSV.encode("gbk"))
        calendar_load_file(path=path, source="x")
    with pytest.raises(CalendarFileError, match="来源"):
        calendar_load_file(path=write(tmp_path, "2027.csv", NOTICE_2027_CSV), source="  ")
    with pytest.raises(CalendarFileError, match="没有任何日期"):
        calendar_load_file(path=write(tmp_path, "empty.csv", "date,is_workday,note\n"), source="x")
    assert not CalendarDay.objects.exists()


def test_a_loaded_year_is_not_reset_by_accident(tmp_path: Path) -> None:
    # A 2027 notice that also mentions 2026-12-31 would reset all of 2026 to the weekend rule. Refused.
    calendar_seed(years=[2026])
    text = NOTICE_2027_CSV + "2026-12-31,false,元旦\n"
    with pytest.raises(CalendarFileError) as info:
        calendar_load_file(path=write(tmp_path, "2027.csv", text), source="x")
    assert info.value.line == 7 and "--replace" in str(info.value)
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).origin == Origin.SEED


def test_replace_keeps_administrator_days(tmp_path: Path) -> None:
    calendar_seed(years=[2026])
    calendar_set_day(day=D(2026, 12, 31), is_workday=False, note="元旦前调整", actor="alice")
    text = "date,is_workday,note\n2026-10-01,false,国庆节\n"
    written = calendar_load_file(path=write(tmp_path, "2026.csv", text), source="重新载入 reload", replace=True)
    assert written == 364  # every day of 2026 becomes file-owned, except the administrator's day
    assert CalendarDay.objects.get(date=D(2026, 12, 31)).origin == Origin.ADMIN
    # The 2026 holidays not in this (deliberately partial) file are now ordinary days: that is what
    # "replace the whole year" means.
    assert CalendarDay.objects.get(date=D(2026, 10, 2)).is_workday
    assert CalendarYear.objects.get(year=2026).source == "重新载入 reload"


# --- administrator edits and hooks ----------------------------------------------------------------------


def test_set_day_in_an_unloaded_year_stays_provisional(
    django_capture_on_commit_callbacks: Callable[..., Any], calls: list
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        row = calendar_set_day(day=D(2027, 1, 1), is_workday=False, note="元旦（预计）", actor="bob")
    assert row.source == "administrator" and row.changed_by == "bob" and row.origin == Origin.ADMIN
    assert calls == [frozenset({2027})]
    assert load_calendar(2027, 2027).is_workday(D(2027, 1, 1)) == (False, True)
    assert not CalendarYear.objects.exists()
    # A note-only edit moves no deadline: no hook.
    with django_capture_on_commit_callbacks(execute=True):
        calendar_set_day(day=D(2027, 1, 1), is_workday=False, note="元旦", actor="bob")
    assert calls == [frozenset({2027})]
    with pytest.raises(ValueError):
        calendar_set_day(day=D(2027, 1, 1), is_workday=True, note="", actor=" ")


def test_hooks_do_not_run_for_a_rolled_back_change(
    django_capture_on_commit_callbacks: Callable[..., Any], calls: list
) -> None:
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as captured:
        try:
            with transaction.atomic():
                calendar_set_day(day=D(2027, 1, 1), is_workday=False, note="x", actor="bob")
                raise RuntimeError("abort")
        except RuntimeError:
            pass
    assert captured == [] and calls == []
    assert not CalendarDay.objects.exists()


def test_a_failing_hook_does_not_stop_the_others(
    django_capture_on_commit_callbacks: Callable[..., Any], calls: list, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(years: frozenset[int]) -> None:
        raise RuntimeError("boom")

    calendar_hooks._hooks.insert(0, broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            calendar_set_day(day=D(2027, 1, 1), is_workday=False, note="x", actor="bob")
    finally:
        remove_calendar_change_hook(broken)
    assert calls == [frozenset({2027})]
    assert "boom" in caplog.text


def test_registering_twice_calls_once(django_capture_on_commit_callbacks: Callable[..., Any], calls: list) -> None:
    on_calendar_change(calendar_hooks._hooks[-1])
    with django_capture_on_commit_callbacks(execute=True):
        calendar_set_day(day=D(2027, 1, 1), is_workday=False, note="x", actor="bob")
    assert calls == [frozenset({2027})]


# --- the calendar pages show (shared across requests) -----------------------------------------------------


def test_shared_calendar_reads_the_database_once_and_every_change_replaces_it(
    tmp_path: Path, django_assert_num_queries: Callable[..., Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    calendar_seed(years=[2025, 2026])
    with django_assert_num_queries(2):  # the first page reads the days and the loaded years
        first = load_calendar(2025, 2026, shared=True)
    with django_assert_num_queries(0):  # later pages read them from the cache
        later = load_calendar(2025, 2026, shared=True)
        assert later.is_workday(D(2025, 10, 1)) == (False, False)  # National Day (a rest day, not provisional)
        assert later.is_workday(D(2025, 9, 28)) == (True, False)  # make-up Sunday
        assert later.is_loaded(2026)
    assert first.is_workday(D(2025, 10, 1)) == later.is_workday(D(2025, 10, 1))
    with django_assert_num_queries(2):  # the services never take the cached copy: they read the database
        load_calendar(2025, 2026)

    # An administrator's edit that moves a day: the next page sees it.
    with django_capture_on_commit_callbacks(execute=True):
        calendar_set_day(day=D(2025, 10, 1), is_workday=True, note="测试", actor="carol")
    assert load_calendar(2025, 2026, shared=True).is_workday(D(2025, 10, 1)) == (True, False)

    # A year that was not loaded, then loaded from a notice file in bulk (no model signals): the next page sees it.
    assert not load_calendar(2027, 2027, shared=True).is_loaded(2027)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_load_file(path=write(tmp_path, "2027.csv", NOTICE_2027_CSV), source="国办发明电〔2026〕99号")
    cal = load_calendar(2027, 2027, shared=True)
    assert cal.is_loaded(2027) and cal.is_workday(D(2027, 1, 1)) == (False, False)

    # A row saved or deleted outside the services (a shell, a migration) replaces it too.
    CalendarDay.objects.filter(date=D(2027, 2, 6)).get().delete()
    assert load_calendar(2027, 2027, shared=True).is_workday(D(2027, 2, 6)) == (False, False)  # weekend rule


def test_shared_calendar_years_are_kept_in_the_process_under_their_generation(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from django.core.cache import cache

    calendar_seed(years=[2025])
    load_calendar(2025, 2025, shared=True)
    with monkeypatch.context() as m:  # the next page asks the shared cache for nothing but the generation
        m.setattr(cache, "get_many", lambda *a, **k: pytest.fail("years read from the shared cache again"))
        assert load_calendar(2025, 2025, shared=True).is_workday(D(2025, 10, 1)) == (False, False)
    with django_capture_on_commit_callbacks(execute=True):  # a change: a new generation, read afresh
        calendar_set_day(day=D(2025, 10, 1), is_workday=True, note="测试", actor="carol")
    assert load_calendar(2025, 2025, shared=True).is_workday(D(2025, 10, 1)) == (True, False)


def test_shared_calendar_loads_later_years_on_demand_and_caches_them(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    calendar_seed(years=[2025])
    early = load_calendar(2025, 2026, shared=True)
    assert early.is_workday(D(2026, 1, 1)) == (False, True)  # 2026 not loaded: 元旦 by law, provisional
    assert early.is_workday(D(2026, 1, 5)) == (True, True)
    with django_capture_on_commit_callbacks(execute=True):  # the seed writes in bulk (no model signals)
        calendar_seed(years=[2026])
    load_calendar(2025, 2025, shared=True)
    cal = load_calendar(2025, 2025, shared=True)
    assert cal.is_workday(D(2026, 1, 1)) == (False, False)  # 2026 fetched on demand, New Year's Day
    again = load_calendar(2025, 2025, shared=True)
    assert again.is_workday(D(2026, 2, 14)) == (True, False)  # the Spring Festival make-up Saturday of 2026
