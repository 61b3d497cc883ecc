"""Loading a State Council notice (国务院办公厅 放假安排通知) typed into a CSV/JSON file, for a year the library
does not know yet: the whole file is checked before anything is written."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.workdays.counting import weekend_rule
from rongcuo.workdays.models import CalendarDay, CalendarYear, Origin
from rongcuo.workdays.services.hooks import notify_on_commit
from rongcuo.workdays.services.seed import days_of_year

TRUE_WORDS = frozenset({"true", "1", "是"})
FALSE_WORDS = frozenset({"false", "0", "否"})
ALLOWED_BOOL = "true/false/1/0/是/否"


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
            for d in days_of_year(year):
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
        notify_on_commit(years)
    return written
