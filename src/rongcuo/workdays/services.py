"""工作日历服务 Loading, editing and reading the official working-day calendar.

Three ways a day gets its status, in increasing authority (a weaker one never overwrites a stronger one):

1. ``calendar_seed``      — the ``chinesecalendar`` library (2004 up to its last covered year);
2. ``calendar_load_file`` — a State Council notice (国务院办公厅 放假安排通知) typed into a CSV/JSON file,
                            for a year the library does not know yet;
3. ``calendar_set_day``   — an administrator's correction of one day.

After any change, the functions registered with :func:`on_calendar_change` are called (once the
transaction commits) with the affected years, so open deadlines can be recomputed.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

import chinese_calendar
from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.common import generations
from rongcuo.workdays.counting import DayKind, Due, WorkCalendar, weekend_rule
from rongcuo.workdays.models import CalendarDay, CalendarYear, Origin

logger = logging.getLogger(__name__)

ADMIN_SOURCE = "administrator"

#: chinesecalendar's English holiday names → the official Chinese names (Chinese first in notes).
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

TRUE_WORDS = frozenset({"true", "1", "是"})
FALSE_WORDS = frozenset({"false", "0", "否"})
ALLOWED_BOOL = "true/false/1/0/是/否"


# ---------------------------------------------------------------------------------------------------------
# Change hooks
# ---------------------------------------------------------------------------------------------------------

CalendarHook = Callable[[frozenset[int]], None]
_hooks: list[CalendarHook] = []


def on_calendar_change(fn: CalendarHook) -> CalendarHook:
    """Register ``fn(years)`` to be called after the calendar of ``years`` changed; usable as a decorator.

    Called through ``transaction.on_commit``: only once the change is committed, never for a rolled-back
    one. A failing hook is logged and does not stop the others (the calendar change itself stands; the
    periodic deadline sweep will catch up). Registering the same function twice has no effect.
    """
    if fn not in _hooks:
        _hooks.append(fn)
    return fn


def remove_calendar_change_hook(fn: CalendarHook) -> None:
    """Unregister a hook (for tests and for apps that are being unloaded)."""
    if fn in _hooks:
        _hooks.remove(fn)


def _fire_hooks(years: frozenset[int]) -> None:
    for fn in list(_hooks):
        try:
            fn(years)
        except Exception:
            logger.exception("日历变更回调失败 calendar change hook %r failed for years %s", fn, sorted(years))


def _notify_on_commit(years: Iterable[int]) -> None:
    frozen = frozenset(years)
    if frozen:
        generations.bump(CALENDAR_GENERATION)  # calendars shown on pages (SharedCalendar) are stale from now on
        transaction.on_commit(lambda: _fire_hooks(frozen))


# ---------------------------------------------------------------------------------------------------------
# Seeding from chinesecalendar
# ---------------------------------------------------------------------------------------------------------


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


def _days_of_year(year: int) -> list[date]:
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
            for d in _days_of_year(year):
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
        _notify_on_commit(changed_years)
    return written


# ---------------------------------------------------------------------------------------------------------
# Loading a State Council notice from a file
# ---------------------------------------------------------------------------------------------------------


class CalendarFileError(ValueError):
    """A notice file that cannot be loaded; says where (line or item) and what is allowed.

    ``line`` is the physical line number for CSV and the 1-based item number for JSON (``unit`` says which);
    ``field`` is the column/key at fault, when there is one. Nothing has been written when this is raised.
    """

    def __init__(self, line: int | None, message: str, *, field: str | None = None, unit: str = "line") -> None:
        self.line = line
        self.field = field
        self.unit = unit
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(
                f"第 {self.line} 行 line {self.line}" if self.unit == "line" else f"第 {self.line} 项 item {self.line}"
            )
        if self.field:
            where.append(self.field)
        return f"{' '.join(where)}: {self.message}" if where else self.message


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    date: date
    is_workday: bool
    note: str


def _parse_date(text: Any, line: int, unit: str) -> date:
    raw = str(text).strip() if text is not None else ""
    for fmt in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise CalendarFileError(
        line,
        f"日期无效 {raw!r}；允许格式 YYYY-MM-DD 或 YYYY/M/D / invalid date {raw!r}; allowed: YYYY-MM-DD or YYYY/M/D",
        field="date",
        unit=unit,
    )


def _parse_bool(value: Any, line: int, unit: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower() if value is not None else ""
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CalendarFileError(
        line,
        f"是否工作日的值无效 {value!r}；允许 {ALLOWED_BOOL} / invalid is_workday {value!r}; allowed: {ALLOWED_BOOL}",
        field="is_workday",
        unit=unit,
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CalendarFileError(None, f"文件不存在 file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise CalendarFileError(
            None, f"文件须为 UTF-8 编码（第 {exc.start} 字节出错）/ the file must be UTF-8 (bad byte at {exc.start})"
        ) from None


def _parse_csv(text: str) -> list[_Row]:
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    rows: list[_Row] = []
    for record in reader:
        line = reader.line_num
        if not record or all(not cell.strip() for cell in record) or record[0].lstrip().startswith("#"):
            continue  # blank lines and "# comment" lines are allowed
        if header is None:
            header = [cell.strip().lower() for cell in record]
            missing = [c for c in ("date", "is_workday") if c not in header]
            unknown = [c for c in header if c not in ("date", "is_workday", "note")]
            if missing or unknown:
                raise CalendarFileError(
                    line,
                    f"表头须为 date,is_workday,note（note 可省略），收到 {','.join(header)} / "
                    f"header must be date,is_workday,note (note optional), got {','.join(header)}",
                )
            continue
        if len(record) > len(header):
            raise CalendarFileError(
                line,
                f"列数 {len(record)} 多于表头的 {len(header)} 列 / {len(record)} columns, header has {len(header)}",
            )
        cells = dict(zip(header, (c.strip() for c in record), strict=False))
        rows.append(
            _Row(
                line,
                _parse_date(cells.get("date", ""), line, "line"),
                _parse_bool(cells.get("is_workday", ""), line, "line"),
                cells.get("note", "") or "",
            )
        )
    if header is None:
        raise CalendarFileError(
            None, "文件为空，须有表头 date,is_workday,note / empty file; expected header date,is_workday,note"
        )
    return rows


def _parse_json(text: str) -> list[_Row]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CalendarFileError(exc.lineno, f"JSON 格式错误 invalid JSON: {exc.msg}") from None
    if not isinstance(data, list):
        raise CalendarFileError(
            None, "JSON 须为列表 [{date, is_workday, note}, …] / JSON must be a list of {date, is_workday, note}"
        )
    rows: list[_Row] = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise CalendarFileError(
                index, "每项须为对象 {date, is_workday, note} / each item must be an object", unit="item"
            )
        unknown = sorted(set(item) - {"date", "is_workday", "note"})
        if unknown:
            raise CalendarFileError(
                index, f"未知字段 {unknown}；允许 date, is_workday, note / unknown keys {unknown}", unit="item"
            )
        if "is_workday" not in item:
            raise CalendarFileError(index, "缺少 is_workday / is_workday is missing", field="is_workday", unit="item")
        note = item.get("note") or ""
        if not isinstance(note, str):
            raise CalendarFileError(index, "note 须为文字 / note must be text", field="note", unit="item")
        rows.append(
            _Row(
                index,
                _parse_date(item.get("date"), index, "item"),
                _parse_bool(item["is_workday"], index, "item"),
                note.strip(),
            )
        )
    return rows


def parse_calendar_file(path: Path) -> tuple[list[_Row], str]:
    """Parse and check a notice file without touching the database; returns its rows and the row unit."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise CalendarFileError(
            None, f"只接受 .csv 或 .json 文件，收到 {path.name} / only .csv or .json files, got {path.name}"
        )
    text = _read_text(path)
    unit = "line" if suffix == ".csv" else "item"
    rows = _parse_csv(text) if suffix == ".csv" else _parse_json(text)
    if not rows:
        raise CalendarFileError(None, "文件没有任何日期 / the file lists no dates")
    seen: dict[date, int] = {}
    for row in rows:
        if row.date in seen:
            raise CalendarFileError(
                row.line,
                f"日期 {row.date} 重复（已在第 {seen[row.date]} {'行' if unit == 'line' else '项'}）/ "
                f"duplicate date {row.date} (already at {unit} {seen[row.date]})",
                field="date",
                unit=unit,
            )
        seen[row.date] = row.line
        if len(row.note) > 200:
            raise CalendarFileError(
                row.line, "说明最长 200 字 / note is longer than 200 characters", field="note", unit=unit
            )
    return rows, unit


def calendar_load_file(*, path: Path, source: str, replace: bool = False) -> int:
    """Load a State Council holiday notice for whole years from a CSV or JSON file; returns days written.

    The file lists the days that differ from the weekend rule (holidays and make-up working days; listing
    ordinary days too is allowed). The years it covers are the years of its dates, and each of them is
    loaded **whole**: every unlisted day follows the weekend rule, and the year is marked loaded, so its
    deadlines stop being provisional. Days an administrator edited are kept (the administrator has the last
    word; change them in the admin if the notice supersedes them).

    A year that is already loaded is refused unless ``replace`` — this is what catches a notice that
    mentions a day of the previous year (e.g. a New Year holiday starting on 12/31), which would otherwise
    reset that whole previous year to the weekend rule. Change such single days with
    :func:`calendar_set_day` instead.

    The whole file is checked before anything is written; any bad row raises :class:`CalendarFileError`
    naming the line (CSV) or item (JSON) and what is allowed, and nothing is written.
    """
    source = source.strip()
    if not source:
        raise CalendarFileError(None, "须写明来源（通知文号）/ a source (the notice's reference) is required")
    rows, unit = parse_calendar_file(path)
    by_year: dict[int, list[_Row]] = {}
    for row in rows:
        by_year.setdefault(row.date.year, []).append(row)
    years = sorted(by_year)

    written = 0
    with transaction.atomic():
        if not replace:
            loaded = {y.year: y.source for y in CalendarYear.objects.filter(year__in=years)}
            for year in years:
                if year in loaded:
                    first = min(by_year[year], key=lambda r: r.line)
                    raise CalendarFileError(
                        first.line,
                        f"{year} 年已载入（来源 {loaded[year]}）；文件会按周末规则重置该年全部日期。"
                        f"整年替换请加 --replace，单日修改请用管理后台 / "
                        f"year {year} is already loaded (source {loaded[year]}); loading this file would reset the "
                        f"whole year. Pass --replace to replace the year, or edit single days in the admin",
                        field="date",
                        unit=unit,
                    )
        existing = {
            row.date: row
            for row in CalendarDay.objects.filter(date__gte=date(years[0], 1, 1), date__lt=date(years[-1] + 1, 1, 1))
        }
        listed = {row.date: row for row in rows}
        to_create: list[CalendarDay] = []
        to_update: list[CalendarDay] = []
        now = timezone.now()
        for year in years:
            for d in _days_of_year(year):
                entry = listed.get(d)
                value = entry.is_workday if entry else weekend_rule(d)
                note = entry.note if entry else ""
                current = existing.get(d)
                if current is None:
                    to_create.append(
                        CalendarDay(date=d, is_workday=value, origin=Origin.FILE, source=source, note=note)
                    )
                elif current.origin != Origin.ADMIN and (
                    current.is_workday != value
                    or current.note != note
                    or current.source != source
                    or current.origin != Origin.FILE
                ):
                    current.is_workday, current.note, current.source, current.origin = value, note, source, Origin.FILE
                    current.changed_by = ""
                    current.updated_at = now
                    to_update.append(current)
        CalendarDay.objects.bulk_create(to_create, batch_size=1000)
        CalendarDay.objects.bulk_update(
            to_update, ["is_workday", "note", "source", "origin", "changed_by", "updated_at"], batch_size=1000
        )
        written = len(to_create) + len(to_update)
        for year in years:
            CalendarYear.objects.update_or_create(
                year=year, defaults={"source": source, "note": f"文件载入 file {path.name}"}
            )
        audit_append(actor=None, action="calendar.load_file", subject_type="workdays.calendar",
                     subject_id=",".join(str(y) for y in sorted(years)),
                     after={"years": sorted(years), "days_written": written, "source": source, "file": path.name})
        _notify_on_commit(years)
    return written


# ---------------------------------------------------------------------------------------------------------
# Administrator edits
# ---------------------------------------------------------------------------------------------------------


def calendar_set_day(*, day: date, is_workday: bool, note: str, actor: str) -> CalendarDay:
    """An administrator sets one day (e.g. a correction, or an ad-hoc arrangement); returns the row.

    The day becomes administrator-owned: later seeds and file loads leave it alone. It does not mark the
    year loaded — one known day does not make a year's arrangement official. Hooks run when the day's
    working/rest status changed or the day is new (a note-only edit moves no deadline).
    """
    actor = actor.strip()
    if not actor:
        raise ValueError("须写明修改人 / actor is required")
    note = note.strip()
    with transaction.atomic():
        row = CalendarDay.objects.select_for_update().filter(date=day).first()
        moved = row is None or row.is_workday != is_workday
        before = None if row is None else {"is_workday": row.is_workday, "note": row.note, "source": row.source}
        if row is None:
            row = CalendarDay(date=day)
        row.is_workday = is_workday
        row.note = note
        row.origin = Origin.ADMIN
        row.source = ADMIN_SOURCE
        row.changed_by = actor
        row.save()
        audit_append(actor=actor, action="calendar.set_day", subject_type="workdays.calendarday",
                     subject_id=day.isoformat(), before=before, after={"is_workday": is_workday, "note": note})
        if moved:
            _notify_on_commit([day.year])
    return row


# ---------------------------------------------------------------------------------------------------------
# Reading the calendar
# ---------------------------------------------------------------------------------------------------------


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
