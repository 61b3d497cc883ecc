"""Changes to the registry (登记) that are more than one row: the import of projects and people.

`registry_check` says, row by row and column by column, what is wrong with rows read from a spreadsheet
(nothing is written); `registry_import` writes them in one transaction with one audit event. When any row is
invalid nothing is written, unless the caller asks to skip the bad rows — then only the valid ones are, and
the skipped rows are named in the result and in the audit event.

Rows come from `rongcuo.registry.spreadsheet.read_xlsx` (or any caller): a sheet ("projects" | "people"),
the row number shown to the user, and the raw cell values by column id.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from rongcuo.audit.services import audit_append
from rongcuo.common.errors import Forbidden, Invalid
from rongcuo.common.text import character_texts, forbidden_character
from rongcuo.registry import permissions as perm
from rongcuo.registry.models import Organisation, OrgKind, Person, Project, Role

MAX_ROWS = 5000


@dataclass(frozen=True)
class Column:
    id: str
    zh: str
    en: str
    required: bool = False
    hint_zh: str = ""
    hint_en: str = ""

    @property
    def header(self) -> str:
        """The heading the template carries: both languages, either is accepted back."""
        return f"{self.zh} {self.en}"


FUNDING_LEVELS = {"national": "国家级", "provincial": "省级", "municipal": "市级", "district": "区级"}
MODES = {"ordinary": "一般项目", "milestone": "里程碑式项目", "horse_race": "赛马式项目"}
DATE_HINT = ("日期，如 2024-01-31", "a date such as 2024-01-31")

PROJECT_COLUMNS: tuple[Column, ...] = (
    Column("code", "项目编号", "code", True, "不超过 64 个字符；已登记的编号将更新该项目",
           "at most 64 characters; an existing code updates that project"),
    Column("title", "项目名称", "title", True, "不超过 300 字", "at most 300 characters"),
    Column("programme", "计划类别", "programme", False, "不超过 200 字", "at most 200 characters"),
    Column("funding_level", "资助层级", "funding_level", True,
           "national/provincial/municipal/district 或 国家级/省级/市级/区级",
           "national, provincial, municipal or district (or 国家级/省级/市级/区级)"),
    Column("budget", "预算（元）", "budget", False, "不小于 0 的金额（元）", "an amount in yuan, 0 or more"),
    Column("start", "开始日期", "start", False, *DATE_HINT),
    Column("end", "结束日期", "end", False, "日期，不早于开始日期", "a date, not before the start"),
    Column("acceptance", "验收日期", "acceptance", False, "日期，不早于开始日期", "a date, not before the start"),
    Column("host_unit_code", "承担单位代码", "host_unit_code", True,
           "已登记的承担单位代码（由您的主管部门监管）", "the code of a registered host unit your bureau supervises"),
    Column("lead_name", "负责人姓名", "lead_name", True, "已登记的人员，或本表“人员”页中的人员",
           "a registered person, or one in this workbook's people sheet"),
    Column("lead_birth_date", "负责人出生日期", "lead_birth_date", False, "日期；同名时用于区分",
           "a date; tells people of the same name apart"),
    Column("mode", "组织方式", "mode", False,
           "ordinary/milestone/horse_race 或 一般项目/里程碑式项目/赛马式项目（空为一般项目）",
           "ordinary, milestone or horse_race (blank: ordinary)"),
)
PEOPLE_COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", "name", True, "不超过 100 字", "at most 100 characters"),
    Column("birth_date", "出生日期", "birth_date", False, *DATE_HINT),
    Column("unit_code", "所在单位代码", "unit_code", True, "已登记的单位代码", "the code of a registered organisation"),
    Column("title", "职称", "title", False, "不超过 100 字", "at most 100 characters"),
)
COLUMNS: dict[str, tuple[Column, ...]] = {"projects": PROJECT_COLUMNS, "people": PEOPLE_COLUMNS}
SHEET_TEXT = {"projects": ("项目", "projects"), "people": ("人员", "people")}


@dataclass
class ImportRow:
    sheet: str  # projects | people
    row: int  # the spreadsheet's row number, as the user sees it
    values: dict[str, Any]


@dataclass
class CellError:
    column: str
    zh: str
    en: str

    def label(self, sheet: str) -> tuple[str, str]:
        col = next((c for c in COLUMNS.get(sheet, ()) if c.id == self.column), None)
        return (col.zh, col.en) if col else (self.column, self.column)


@dataclass
class RowCheck:
    sheet: str
    row: int
    values: dict[str, Any]
    errors: list[CellError] = field(default_factory=list)
    action: str = ""  # create | update (when valid)
    clean: dict[str, Any] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)  # an update's blank cells: their stored values are kept

    def kept_labels(self) -> list[tuple[str, str]]:
        """(Chinese, English) labels of the columns whose stored values an update keeps."""
        return [CellError(c, "", "").label(self.sheet) for c in self.kept]

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, column: str, zh: str, en: str) -> None:
        self.errors.append(CellError(column, zh, en))


@dataclass
class ImportResult:
    checked: int
    created_projects: list[str] = field(default_factory=list)
    updated_projects: list[str] = field(default_factory=list)
    created_people: list[str] = field(default_factory=list)
    updated_people: list[str] = field(default_factory=list)
    skipped: list[RowCheck] = field(default_factory=list)

    @property
    def written(self) -> int:
        return (len(self.created_projects) + len(self.updated_projects) + len(self.created_people)
                + len(self.updated_people))


# --- reading cells ------------------------------------------------------------------------------------

def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value: Any) -> dt.date | None:
    """A date cell, or text like 2024-01-31, 2024/1/31, 2024年1月31日. Raises ValueError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", _text(value))
    if not m:
        raise ValueError(value)
    return dt.date(int(m[1]), int(m[2]), int(m[3]))


def _choice(value: Any, allowed: Mapping[str, str]) -> str | None:
    text = _text(value)
    for key, label in allowed.items():
        if text.lower() == key or text == label:
            return key
    return None


def _allowed(allowed: Mapping[str, str]) -> tuple[str, str]:
    return ("、".join(f"{k}（{v}）" for k, v in allowed.items()), ", ".join(allowed))


# --- who may import -----------------------------------------------------------------------------------

def import_bureaus(actor: Any) -> set[int] | None:
    """The bureaus whose registry the actor may change: None for an administrator (all of them)."""
    if perm.is_admin(actor):
        return None
    return perm.org_ids(actor, Role.caseworker, OrgKind.bureau)


def may_import(actor: Any) -> bool:
    if not getattr(actor, "is_authenticated", False):
        return False
    bureaus = import_bureaus(actor)
    return bureaus is None or bool(bureaus)


# --- checking -----------------------------------------------------------------------------------------

def _check_person(row: RowCheck, orgs: dict[str, Organisation], bureaus: set[int] | None) -> None:
    v = row.values
    name = _text(v.get("name"))
    if not name:
        row.error("name", "必填", "required")
    elif len(name) > 100:
        row.error("name", "不能超过 100 字", "at most 100 characters")
    try:
        birth = _date(v.get("birth_date"))
        if birth and not dt.date(1900, 1, 1) <= birth <= dt.date.today():
            row.error("birth_date", "出生日期应在 1900-01-01 与今天之间", "a birth date between 1900-01-01 and today")
    except ValueError:
        birth = None
        row.error("birth_date", f"“{_text(v.get('birth_date'))}”不是日期；应为如 1985-05-01 的日期",
                  f"“{_text(v.get('birth_date'))}” is not a date; write a date such as 1985-05-01")
    code = _text(v.get("unit_code"))
    unit = orgs.get(code)
    if not code:
        row.error("unit_code", "必填：已登记的单位代码", "required: the code of a registered organisation")
    elif unit is None:
        row.error("unit_code", f"没有代码为 {code} 的单位", f"there is no organisation with code {code}")
    elif bureaus is not None and unit.pk not in bureaus and unit.parent_id not in bureaus:
        row.error("unit_code", f"单位 {code} 不由您的主管部门监管", f"unit {code} is not supervised by your bureau")
    title = _text(v.get("title"))
    if len(title) > 100:
        row.error("title", "不能超过 100 字", "at most 100 characters")
    if row.ok:
        row.clean = {"name": name, "birth_date": birth, "unit": unit, "title": title}


def _existing_person(name: str, birth: dt.date | None, unit: Organisation | None) -> list[Person]:
    qs = Person.objects.filter(name=name)
    if birth:
        return list(qs.filter(birth_date=birth)[:2])
    return list(qs.filter(unit=unit)[:2]) if unit else list(qs[:2])


# A project's cells that may be left blank: blank leaves the stored value of an existing project unchanged (for a new
# project: no programme, a budget of 0, no dates, an ordinary project).
OPTIONAL_PROJECT_CELLS = {"programme": "programme", "budget": "budget_yuan", "start": "start_date", "end": "end_date",
                          "acceptance": "acceptance_date", "mode": "project_mode"}


def _check_characters(row: RowCheck) -> None:
    """Every cell's text: no character that no text may hold (rongcuo.common.text), named with its column."""
    for column, value in row.values.items():
        char = forbidden_character(_text(value)) if isinstance(value, str) else None
        if char:
            row.error(column, *character_texts(char))


def _check_project(row: RowCheck, orgs: dict[str, Organisation], bureaus: set[int] | None,
                   sheet_people: dict[tuple[str, dt.date | None], RowCheck]) -> None:
    v = row.values
    code, title, programme = _text(v.get("code")), _text(v.get("title")), _text(v.get("programme"))
    for col, value, limit in (("code", code, 64), ("title", title, 300)):
        if not value:
            row.error(col, "必填", "required")
        elif len(value) > limit:
            row.error(col, f"不能超过 {limit} 字", f"at most {limit} characters")
    if code and re.search(r"\s", code):
        row.error("code", "编号中不能有空格", "a code has no spaces")
    if len(programme) > 200:
        row.error("programme", "不能超过 200 字", "at most 200 characters")
    level = _choice(v.get("funding_level"), FUNDING_LEVELS)
    if level is None:
        zh, en = _allowed(FUNDING_LEVELS)
        got = _text(v.get("funding_level"))
        row.error("funding_level", f"“{got}”不是允许的值；允许：{zh}" if got else f"必填；允许：{zh}",
                  f"“{got}” is not allowed; allowed: {en}" if got else f"required; allowed: {en}")
    budget = Decimal(0)
    raw_budget = _text(v.get("budget")).replace(",", "").replace("，", "")
    if raw_budget:
        try:
            budget = Decimal(raw_budget)
            if not budget.is_finite() or budget < 0 or budget >= Decimal("1e14"):
                raise InvalidOperation
        except InvalidOperation:
            row.error("budget", f"“{_text(v.get('budget'))}”不是有效金额；应为不小于 0 的数字（元）",
                      f"“{_text(v.get('budget'))}” is not an amount; write a number of yuan, 0 or more")
    dates: dict[str, dt.date | None] = {}
    for col in ("start", "end", "acceptance", "lead_birth_date"):
        try:
            dates[col] = _date(v.get(col))
        except ValueError:
            dates[col] = None
            row.error(col, f"“{_text(v.get(col))}”不是日期；应为如 2024-01-31 的日期",
                      f"“{_text(v.get(col))}” is not a date; write a date such as 2024-01-31")
    start = dates["start"]
    for col in ("end", "acceptance"):
        later = dates[col]
        if start and later and later < start:
            row.error(col, "不能早于开始日期", "may not be before the start date")
    unit_code = _text(v.get("host_unit_code"))
    unit = orgs.get(unit_code)
    bureau: Organisation | None = None
    if not unit_code:
        row.error("host_unit_code", "必填：已登记的承担单位代码", "required: the code of a registered host unit")
    elif unit is None or unit.kind != OrgKind.host_unit:
        row.error("host_unit_code", f"没有代码为 {unit_code} 的承担单位",
                  f"there is no host unit with code {unit_code}")
    else:
        bureau = unit.parent
        if bureau is None or bureau.kind != OrgKind.bureau:
            row.error("host_unit_code", f"承担单位 {unit_code} 没有登记主管部门", f"host unit {unit_code} has no "
                      "supervising bureau in the registry")
            bureau = None
        elif bureaus is not None and bureau.pk not in bureaus:
            row.error("host_unit_code", f"承担单位 {unit_code} 由{bureau.name_zh}监管，不属于您的主管部门",
                      f"host unit {unit_code} is supervised by {bureau.name_en or bureau.code}, not your bureau")
    mode = _choice(v.get("mode") or "ordinary", MODES)
    if mode is None:
        zh, en = _allowed(MODES)
        row.error("mode", f"“{_text(v.get('mode'))}”不是允许的值；允许：{zh}",
                  f"“{_text(v.get('mode'))}” is not allowed; allowed: {en}")
    lead_name, lead_birth = _text(v.get("lead_name")), dates["lead_birth_date"]
    lead: Person | RowCheck | None = None
    if not lead_name:
        row.error("lead_name", "必填", "required")
    else:
        in_sheet = sheet_people.get((lead_name, lead_birth)) or (
            None if lead_birth else next((p for (n, _), p in sheet_people.items() if n == lead_name), None))
        if in_sheet is not None:
            if in_sheet.ok:
                lead = in_sheet
            else:
                row.error("lead_name", f"负责人在“人员”页第 {in_sheet.row} 行，该行有错误",
                          f"the lead is on row {in_sheet.row} of the people sheet, which has errors")
        else:
            found = _existing_person(lead_name, lead_birth, unit)
            if len(found) == 1:
                lead = found[0]
            elif not found:
                row.error("lead_name", f"登记中没有{lead_name}" + (f"（出生日期 {lead_birth}）" if lead_birth else
                          "（本单位）") + "；请先在“人员”页登记", f"{lead_name} is not in the registry"
                          + (f" (born {lead_birth})" if lead_birth else " (at this unit)")
                          + "; add them to the people sheet")
            else:
                row.error("lead_birth_date", f"登记中有多位{lead_name}，请填写出生日期以区分",
                          f"there are several people named {lead_name}; give the birth date")
    existing = Project.objects.filter(code=code).first() if code else None
    if existing is not None and bureaus is not None and existing.bureau_id not in bureaus:
        row.error("code", f"项目 {code} 已由其他主管部门登记，您不能修改",
                  f"project {code} is registered by another bureau; you may not change it")
    if row.ok:
        row.action = "update" if existing else "create"
        row.clean = {"code": code, "title": title, "programme": programme, "funding_level": level,
                     "budget_yuan": budget, "start_date": start, "end_date": dates["end"],
                     "acceptance_date": dates["acceptance"], "host_unit": unit, "bureau": bureau,
                     "lead": lead, "project_mode": mode}
        if existing is not None:  # a blank cell leaves what is stored unchanged
            row.kept = [cell for cell in OPTIONAL_PROJECT_CELLS if not _text(v.get(cell))]
            for cell in row.kept:
                row.clean.pop(OPTIONAL_PROJECT_CELLS[cell])


def registry_check(*, actor: Any, rows: Sequence[ImportRow]) -> list[RowCheck]:
    """Every row checked, with its errors by column (what is wrong and what is allowed). Writes nothing."""
    bureaus = import_bureaus(actor)
    if bureaus is not None and not bureaus:
        raise Forbidden("只有主管部门经办人或管理员可以导入登记信息",
                        "only a bureau's caseworker or an administrator may import into the registry", field="role")
    if len(rows) > MAX_ROWS:
        raise Invalid(f"一次最多导入 {MAX_ROWS} 行", f"at most {MAX_ROWS} rows at a time", field="rows")
    orgs = {o.code: o for o in Organisation.objects.select_related("parent")}
    checks = [RowCheck(sheet=r.sheet, row=r.row, values=dict(r.values)) for r in rows]
    for c in checks:
        if c.sheet not in COLUMNS:
            c.error("sheet", f"未知工作表 {c.sheet}", f"unknown sheet {c.sheet}")
        _check_characters(c)
    people = [c for c in checks if c.sheet == "people"]
    seen_people: dict[tuple[str, dt.date | None], RowCheck] = {}
    for c in people:
        _check_person(c, orgs, bureaus)
        key = (_text(c.values.get("name")), c.clean.get("birth_date"))
        if c.ok and key in seen_people:
            c.error("name", f"与第 {seen_people[key].row} 行重复", f"the same person as row {seen_people[key].row}")
        if key[0]:
            seen_people.setdefault(key, c)
        if c.ok:
            found = _existing_person(c.clean["name"], c.clean["birth_date"], c.clean["unit"])
            c.action = "update" if len(found) == 1 else "create"
            if len(found) > 1:
                c.error("birth_date", f"登记中有多位{c.clean['name']}，请填写出生日期以区分",
                        f"there are several people named {c.clean['name']}; give the birth date")
            c.clean["existing"] = found[0] if len(found) == 1 else None
    seen_codes: dict[str, int] = {}
    for c in checks:
        if c.sheet != "projects":
            continue
        _check_project(c, orgs, bureaus, seen_people)
        code = _text(c.values.get("code"))
        if code and code in seen_codes:
            c.error("code", f"与第 {seen_codes[code]} 行的编号重复", f"the same code as row {seen_codes[code]}")
        elif code:
            seen_codes[code] = c.row
    return checks


# --- writing ------------------------------------------------------------------------------------------

@transaction.atomic
def registry_import(*, actor: Any, rows: Sequence[ImportRow], skip_bad: bool = False) -> ImportResult:
    """Create or update the rows' people and projects: one transaction, one audit event.

    Any invalid row refuses the whole import (Invalid, nothing written) unless `skip_bad`; then the valid
    rows are written and the skipped ones are returned and recorded in the audit event.
    """
    checks = registry_check(actor=actor, rows=rows)
    bad = [c for c in checks if not c.ok]
    if bad and not skip_bad:
        first = bad[0]
        zh_sheet, en_sheet = SHEET_TEXT.get(first.sheet, (first.sheet, first.sheet))
        col_zh, col_en = first.errors[0].label(first.sheet)
        raise Invalid(f"{len(bad)} 行有错误，未导入任何数据（如“{zh_sheet}”第 {first.row} 行“{col_zh}”："
                      f"{first.errors[0].zh}）。请改正后重新上传，或选择跳过有错误的行",
                      f"{len(bad)} rows have errors and nothing was imported (e.g. {en_sheet} row {first.row}, "
                      f"{col_en}: {first.errors[0].en}). Correct them and upload again, or skip the bad rows",
                      field="rows")
    good = [c for c in checks if c.ok]
    if not good:
        raise Invalid("没有可导入的行", "there is no row to import", field="rows")
    result = ImportResult(checked=len(checks), skipped=bad)
    made: dict[int, Person] = {}  # id(RowCheck) → Person written from the people sheet
    for c in good:
        if c.sheet != "people":
            continue
        p: Person | None = c.clean.get("existing")
        if p is None:
            p = Person.objects.create(name=c.clean["name"], birth_date=c.clean["birth_date"], unit=c.clean["unit"],
                                      title=c.clean["title"])
            result.created_people.append(p.name)
        else:
            p.unit, p.title = c.clean["unit"], c.clean["title"] or p.title
            p.birth_date = c.clean["birth_date"] or p.birth_date
            p.save(update_fields=["unit", "title", "birth_date"])
            result.updated_people.append(p.name)
        made[id(c)] = p
    for c in good:
        if c.sheet != "projects":
            continue
        data = dict(c.clean)
        lead = data.pop("lead")
        data["lead"] = made[id(lead)] if isinstance(lead, RowCheck) else lead
        if "programme" in data:
            data["funding_source"] = data["programme"]
        code = data.pop("code")
        _, created = Project.objects.update_or_create(code=code, defaults=data)
        (result.created_projects if created else result.updated_projects).append(code)
    audit_append(actor=actor, action="registry.import", subject_type="registry.import",
                 subject_id=dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ"),
                 after={"projects": {"created": result.created_projects, "updated": result.updated_projects},
                        "people": {"created": result.created_people, "updated": result.updated_people},
                        "skipped": [{"sheet": c.sheet, "row": c.row,
                                     "errors": [{"column": e.column, "message": e.en} for e in c.errors]}
                                    for c in bad]})
    return result


def rows_from(data: Iterable[Mapping[str, Any]]) -> list[ImportRow]:
    """Rows from plain mappings ({"sheet", "row", "values"}), e.g. as kept between preview and import."""
    return [ImportRow(sheet=str(d["sheet"]), row=int(d["row"]), values=dict(d["values"])) for d in data]


__all__ = ["COLUMNS", "FUNDING_LEVELS", "MODES", "PEOPLE_COLUMNS", "PROJECT_COLUMNS", "CellError", "Column",
           "ImportResult", "ImportRow", "RowCheck", "may_import", "registry_check",
           "registry_import", "rows_from"]
