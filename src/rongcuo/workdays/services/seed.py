"""Seeding the calendar from the ``chinesecalendar`` library (2004 up to its last covered year)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from importlib.metadata import version as dist_version

import chinese_calendar
from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.workdays.models import CalendarDay, CalendarYear, Origin
from rongcuo.workdays.services.hooks import notify_on_commit

HOLIDAY_NAMES_ZH: dict[str, str] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def _chinesecalendar_source() -> str:
    version = getattr(chinese_calendar, "__version__", None) or dist_version("chinesecalendar")
    return f"chinesecalendar {version}"


def chinesecalendar_years() -> range:
    """The years the installed chinesecalendar covers: 2004 through its last year with an arrangement."""
    last = max(d.year for d in (*chinese_calendar.holidays, *chinese_calendar.workdays))
    return range(2004, last + 1)


def _seed_note(d: date) -> str:
    """Holiday name for a holiday, "<name>调休上班" for a make-up working day, else empty."""
    on_holiday, name = chinese_calendar.get_holiday_detail(d)
    if not name:
        return ""
    zh = HOLIDAY_NAMES_ZH.get(name, name)
    if on_holiday:
        return f"{zh} {name}"
    return f"{zh}调休上班 {name} make-up working day"


def days_of_year(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


def calendar_seed(*, years: Iterable[int] | None = None) -> int:
    """Load every day of ``years`` (default: all chinesecalendar covers) and mark those years loaded.

    Returns how many days were created or changed. Idempotent: a second run with the same library
    version writes nothing and returns 0. A day that came from a notice file or an administrator is never
    overwritten — those are more authoritative than the library. A newer library version that corrects a
    day updates only days it seeded itself.
    """
    covered = chinesecalendar_years()
    wanted = sorted(set(covered if years is None else years))
    outside = [y for y in wanted if y not in covered]
    if outside:
        raise ValueError(
            f"chinesecalendar 只覆盖 {covered.start}–{covered.stop - 1} 年，不含 {outside}；"
            f"新年度请用通知文件载入（calendar_load FILE）/ "
            f"chinesecalendar covers {covered.start}–{covered.stop - 1} only, not {outside}; "
            f"load a notice file for a new year"
        )
    if not wanted:
        return 0
    source = _chinesecalendar_source()
    written = 0
    changed_years: set[int] = set()
    with transaction.atomic():
        existing = {
            row.date: row
            for row in CalendarDay.objects.filter(date__gte=date(wanted[0], 1, 1), date__lt=date(wanted[-1] + 1, 1, 1))
        }
        to_create: list[CalendarDay] = []
        to_update: list[CalendarDay] = []
        for year in wanted:
            for d in days_of_year(year):
                value = chinese_calendar.is_workday(d)
                note = _seed_note(d)
                row = existing.get(d)
                if row is None:
                    to_create.append(
                        CalendarDay(date=d, is_workday=value, origin=Origin.SEED, source=source, note=note)
                    )
                    changed_years.add(year)
                elif row.origin == Origin.SEED and (row.is_workday != value or row.note != note):
                    row.is_workday, row.note, row.source = value, note, source
                    to_update.append(row)
                    changed_years.add(year)
        CalendarDay.objects.bulk_create(to_create, batch_size=1000)
        # bulk_update does not run auto_now; set it so "updated_at" stays truthful.
        now = timezone.now()
        for row in to_update:
            row.updated_at = now
        CalendarDay.objects.bulk_update(to_update, ["is_workday", "note", "source", "updated_at"], batch_size=1000)
        written = len(to_create) + len(to_update)
        known_years = set(CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True))
        CalendarYear.objects.bulk_create(
            [
                CalendarYear(year=y, source=source, note="chinesecalendar 库 library")
                for y in wanted
                if y not in known_years
            ]
        )
        changed_years |= set(wanted) - known_years
        if written or changed_years:
            audit_append(actor=None, action="calendar.seed", subject_type="workdays.calendar", subject_id="seed",
                         after={"years": sorted(changed_years), "days_written": written, "source": source})
        notify_on_commit(changed_years)
    return written
