"""The registry's Excel workbook (登记导入模板): the template to fill in, and reading a filled-in one into rows.

Sheets are found by name ("项目 projects", "人员 people"; either language alone will do) and columns by their
heading in the first row (Chinese, English, or both as the template writes them), so reordered columns still
read. Cell values are kept as text, numbers or ISO dates, so the rows can wait in the session between the
preview and the import.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

from rongcuo.common.errors import Invalid
from rongcuo.registry.services import COLUMNS, FUNDING_LEVELS, MODES, SHEET_TEXT, Column, ImportRow

MAX_BYTES = 5 * 1024 * 1024
MAX_UNPACKED = 60 * 1024 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_title(sheet: str) -> str:
    zh, en = SHEET_TEXT[sheet]
    return f"{zh} {en}"


def template_xlsx() -> bytes:
    """An empty workbook with the two sheets, their headings, and a sheet that explains every column."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8EEFC")
    first = True
    for sheet, columns in COLUMNS.items():
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = sheet_title(sheet)
        for i, col in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=i, value=col.header)
            cell.font, cell.fill = bold, fill
            ws.column_dimensions[cell.column_letter].width = max(14, len(col.header) + 6)
        ws.freeze_panes = "A2"
        for col_id, allowed in (("funding_level", FUNDING_LEVELS), ("mode", MODES)):
            idx = next((i for i, c in enumerate(columns, start=1) if c.id == col_id), None)
            if idx:
                letter = ws.cell(row=1, column=idx).column_letter
                dv = DataValidation(type="list", formula1='"' + ",".join(allowed) + '"', allow_blank=True)
                dv.add(f"{letter}2:{letter}{5001}")
                ws.add_data_validation(dv)
    notes = wb.create_sheet("说明 notes")
    notes.append(["工作表 sheet", "列 column", "必填 required", "说明", "notes"])
    for cell in notes[1]:
        cell.font, cell.fill = bold, fill
    for sheet, columns in COLUMNS.items():
        for col in columns:
            notes.append([sheet_title(sheet), col.header, "是 yes" if col.required else "否 no", col.hint_zh,
                          col.hint_en])
    notes.append([])
    notes.append(["", "", "",
                  "日期可写作 2024-01-31 或使用 Excel 日期格式；有任何一行错误时不导入，除非选择跳过有错误的行。",
                  "Dates as 2024-01-31 or Excel dates. Nothing is imported while any row has an error, unless "
                  "you choose to skip the bad rows."])
    for letter, width in zip("ABCDE", (16, 28, 12, 60, 60), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _match_sheet(title: str) -> str | None:
    t = title.strip().lower()
    for sheet, (zh, en) in SHEET_TEXT.items():
        if t in (f"{zh} {en}".lower(), zh, en) or (zh in t and en in t):
            return sheet
    return None


def _match_column(heading: Any, columns: tuple[Column, ...]) -> Column | None:
    h = " ".join(str(heading or "").split()).lower()
    if not h:
        return None
    for col in columns:
        if h in (col.header.lower(), col.zh.lower(), col.en.lower(), col.id, col.en.replace("_", " ").lower()):
            return col
    return None


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _check_container(data: bytes) -> None:
    if len(data) > MAX_BYTES:
        raise Invalid(f"文件超过 {MAX_BYTES // (1024 * 1024)} MB", f"the file exceeds {MAX_BYTES // (1024 * 1024)} MB",
                      field="file")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if sum(i.file_size for i in infos) > MAX_UNPACKED or len(infos) > 2000:
                raise Invalid("文件解压后过大", "the workbook expands too far", field="file")
            if "xl/workbook.xml" not in {i.filename for i in infos}:
                raise zipfile.BadZipFile
    except zipfile.BadZipFile:
        raise Invalid("不是有效的 Excel（.xlsx）文件", "not a valid Excel (.xlsx) workbook", field="file") from None


def read_xlsx(data: bytes) -> list[ImportRow]:
    """The rows of a filled-in template. Unknown sheets are ignored; a sheet without a required column, or a
    workbook with neither sheet, is refused naming what is missing."""
    from openpyxl import load_workbook

    _check_container(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken workbook
        raise Invalid("无法读取该 Excel 文件", "the workbook cannot be read", field="file") from None
    rows: list[ImportRow] = []
    found = []
    try:
        for ws in wb.worksheets:
            sheet = _match_sheet(ws.title)
            if sheet is None:
                continue
            found.append(sheet)
            columns = COLUMNS[sheet]
            it = ws.iter_rows(values_only=True)
            header = next(it, None) or ()
            mapping = {i: col for i, h in enumerate(header) if (col := _match_column(h, columns))}
            missing = [c for c in columns if c.required and c not in mapping.values()]
            if missing:
                zh, en = SHEET_TEXT[sheet]
                raise Invalid(f"“{zh}”工作表缺少必填列：" + "、".join(c.header for c in missing),
                              f"the {en} sheet lacks required columns: " + ", ".join(c.header for c in missing),
                              field="file")
            for n, values in enumerate(it, start=2):
                cells = {col.id: _cell(values[i]) for i, col in mapping.items() if i < len(values)}
                if all(v in (None, "") for v in cells.values()):
                    continue
                rows.append(ImportRow(sheet=sheet, row=n, values={k: v for k, v in cells.items()
                                                                  if v not in (None, "")}))
    finally:
        wb.close()
    if not found:
        raise Invalid("找不到“项目 projects”或“人员 people”工作表，请使用导入模板",
                      "there is no “项目 projects” or “人员 people” sheet; use the import template", field="file")
    if not rows:
        raise Invalid("工作表中没有数据行", "the sheets have no data rows", field="file")
    return rows


def workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    """A workbook from rows, first row the heading (tests and the template's examples)."""
    from openpyxl import Workbook

    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for title, data in sheets.items():
        ws = wb.create_sheet(title)
        for row in data:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
