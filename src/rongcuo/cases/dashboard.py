"""The statistics dashboard (统计): breakdowns of the cases a user may see, as server-rendered SVG charts
and as one Excel sheet per breakdown.

Every figure is counted over `permissions.visible_cases(user)`, so a bureau's caseworker sees their bureau,
an auditor or administrator everything. Charts are drawn by pygal on the server — SVG with no script (the
site's content-security policy allows none inline), each beside the same figures as a table.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape

from rongcuo.cases import clock
from rongcuo.cases import permissions as perm
from rongcuo.cases import selectors as sel
from rongcuo.cases.models import Case, Deadline, DeadlineStatus
from rongcuo.common.explain import stage_label
from rongcuo.common.i18n import has_cjk, pick, tr
from rongcuo.common.packs import registry
from rongcuo.engine.model import Text
from rongcuo.engine.pack import Pack, UnknownPack
from rongcuo.engine.render import OUTCOME_TEXT, citation
from rongcuo.registry.models import Role
from rongcuo.workdays.selectors import load_calendar

STAFF_ROLES = {Role.caseworker, Role.committee, Role.auditor, Role.admin}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", system-ui, sans-serif'
SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
COLORS = ("#1d3f8f", "#8a1c1c", "#c9a227", "#05603a", "#7b8794")
OK, BAD, WARN, GREY, BLUE = "#05603a", "#b42318", "#c98a00", "#9aa5b1", "#1d3f8f"


def may_see_dashboard(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return perm.is_admin(user) or any(g.role in STAFF_ROLES for g in perm.grants(user))


@dataclass
class Row:
    label: Text
    values: list[Any]
    note: str = ""  # e.g. the clause citation


@dataclass
class Breakdown:
    id: str
    title: Text
    sheet: str  # the Excel sheet's name (at most 31 characters)
    label_head: Text
    columns: list[Text]
    rows: list[Row] = field(default_factory=list)
    note: Text | None = None
    chart_columns: list[int] = field(default_factory=lambda: [0])  # which columns the chart draws
    stacked: bool = False
    colors: tuple[str, ...] = COLORS
    svg: str = ""


# --- counting -----------------------------------------------------------------------------------------

def _pack(cache: dict[tuple[str, str], Pack | None], pack_id: str, version: str) -> Pack | None:
    key = (pack_id, version)
    if key not in cache:
        try:
            cache[key] = registry().get(f"{pack_id}@{version}")
        except UnknownPack:
            cache[key] = None
    return cache[key]


def _jurisdiction(pack: Pack | None, pack_id: str) -> Text:
    if pack is None:
        return Text(zh=pack_id, en=pack_id)
    return pack.meta.jurisdiction


def by_stage(cases: Any, packs: dict[tuple[str, str], Pack | None]) -> Breakdown:
    b = Breakdown("stage", Text(zh="各阶段案件数", en="Cases by stage"), "阶段 Stage",
                  Text(zh="阶段（地区）", en="Stage (jurisdiction)"), [Text(zh="案件数", en="Cases")])
    counts: Counter[tuple[str, str]] = Counter()
    where: dict[tuple[str, str], Pack | None] = {}
    for row in cases.values("pack_id", "pack_version", "stage").annotate(n=Count("id")):
        key = (row["pack_id"], row["stage"])
        counts[key] += row["n"]
        where.setdefault(key, _pack(packs, row["pack_id"], row["pack_version"]))

    def order(key: tuple[str, str]) -> tuple[str, int]:
        pack = where[key]
        stages = [s.id for s in pack.procedure.stages] if pack and pack.procedure else []
        return key[0], stages.index(key[1]) if key[1] in stages else len(stages)

    for key in sorted(counts, key=order):
        label, j = stage_label(where[key], key[1]), _jurisdiction(where[key], key[0])
        b.rows.append(Row(Text(zh=f"{label.zh}（{j.zh}）", en=f"{label.en} ({j.en})"), [counts[key]]))
    return b


def by_outcome(cases: Any) -> Breakdown:
    b = Breakdown("outcome", Text(zh="认定结论", en="Outcomes"), "结论 Outcome", Text(zh="结论", en="Outcome"),
                  [Text(zh="引擎结论", en="Engine's determination"), Text(zh="集体审定决定", en="Committee decision")],
                  note=Text(zh="引擎结论为依已认定事实计算的当前结论；集体审定决定为已作出的正式决定。",
                            en="The engine's determination is computed from the facts established so far; the "
                               "committee decision is the formal decision, where one was taken."),
                  chart_columns=[0, 1], colors=(BLUE, "#8a1c1c"))
    engine = dict(cases.values_list("outcome").annotate(n=Count("id")).values_list("outcome", "n"))
    decided = dict(cases.filter(decision__isnull=False).values_list("decision__decision")
                   .annotate(n=Count("id")).values_list("decision__decision", "n"))
    for key, label in OUTCOME_TEXT.items():
        b.rows.append(Row(label, [engine.get(key, 0), decided.get(key, 0) if key in ("exempt", "not_exempt")
                                  else None]))
    return b


def by_jurisdiction(cases: Any, packs: dict[tuple[str, str], Pack | None]) -> Breakdown:
    b = Breakdown("jurisdiction", Text(zh="各地区（政策包）案件数", en="Cases by jurisdiction (policy pack)"),
                  "地区 Jurisdiction", Text(zh="地区 · 政策包", en="Jurisdiction · pack"),
                  [Text(zh="办理中", en="Open"), Text(zh="已办结", en="Closed"), Text(zh="合计", en="Total")],
                  chart_columns=[0, 1], stacked=True, colors=(BLUE, GREY))
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    labels: dict[str, Text] = {}
    for row in cases.values("pack_id", "pack_version", "disposition").annotate(n=Count("id")):
        pack = _pack(packs, row["pack_id"], row["pack_version"])
        j = _jurisdiction(pack, row["pack_id"])
        short = pack.meta.short if pack else Text(zh=row["pack_id"], en=row["pack_id"])
        labels[row["pack_id"]] = Text(zh=f"{j.zh} · {short.zh}", en=f"{j.en} · {short.en}")
        counts[row["pack_id"]][0 if row["disposition"] == "open" else 1] += row["n"]
    for pid in sorted(counts, key=lambda p: -sum(counts[p])):
        o, c = counts[pid]
        b.rows.append(Row(labels[pid], [o, c, o + c]))
    return b


def by_situation(cases: Any, packs: dict[tuple[str, str], Pack | None]) -> Breakdown:
    b = Breakdown("situation", Text(zh="所援引的免责情形", en="Exemption situations cited"), "免责情形 Situation",
                  Text(zh="免责情形（条款）", en="Exemption situation (clause)"), [Text(zh="案件数", en="Cases")],
                  note=Text(zh="引擎结论为免责的案件中，作为决定性条款的免责情形。",
                            en="The exemption situations among the decisive clauses of cases the engine finds exempt."))
    counts: Counter[tuple[str, str]] = Counter()
    where: dict[tuple[str, str], Pack | None] = {}
    for pack_id, version, record in cases.filter(outcome="exempt").values_list(
            "pack_id", "pack_version", "determination").iterator(chunk_size=2000):
        kinds = {item["id"]: item.get("kind") for item in (record or {}).get("trace", [])}
        for cid in (record or {}).get("decisive") or []:
            if kinds.get(cid) == "exemption_situation":
                counts[(pack_id, cid)] += 1
                where.setdefault((pack_id, cid), _pack(packs, pack_id, version))
    for (pack_id, cid), n in counts.most_common():
        pack = where[(pack_id, cid)]
        if pack is not None and cid in pack.clauses:
            cl = pack.clauses[cid].clause
            j = _jurisdiction(pack, pack_id)
            label = Text(zh=f"{cl.label.zh}（{j.zh}）", en=f"{cl.label.en} ({j.en})")
            note = citation(pack, cid)
        else:
            label, note = Text(zh=cid, en=cid), ""
        b.rows.append(Row(label, [n], note=note))
    return b


def by_time_limit(cases: Any, packs: dict[tuple[str, str], Pack | None]) -> Breakdown:
    b = Breakdown("time", Text(zh="办理时间与时限（已结束的期限）", en="Processing time against the time limit "
                               "(closed deadlines)"), "时限 Time limits", Text(zh="期限", en="Deadline"),
                  [Text(zh="按期", en="Met"), Text(zh="逾期", en="Missed"),
                   Text(zh="平均用时", en="Average time used"), Text(zh="最长用时", en="Longest"),
                   Text(zh="时限", en="Time limit")],
                  note=Text(zh="用时与时限的单位相同（工作日或自然日）；时限含已批准的延长。",
                            en="Time used is counted in the limit's own unit (working or natural days); the limit "
                               "includes any extension granted."),
                  chart_columns=[0, 1], stacked=True, colors=(OK, BAD))
    closed = list(Deadline.objects.filter(case__in=cases.values("pk"), status__in=[DeadlineStatus.met,
                                                                                   DeadlineStatus.missed],
                                          closed_on__isnull=False).order_by("key", "id"))
    if not closed:
        return b
    lo = min(d.start_date.year for d in closed)
    hi = max(d.closed_on.year for d in closed if d.closed_on)
    cal = load_calendar(lo, hi, shared=True)
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for d in closed:
        key = (d.label_zh, d.label_en or d.label_zh, d.day_kind)
        g = groups.setdefault(key, {"met": 0, "missed": 0, "used": [], "limits": set()})
        g["met" if d.status == DeadlineStatus.met else "missed"] += 1
        assert d.closed_on is not None
        used = cal.working_days_between(d.start_date, d.closed_on) if d.day_kind == "working" \
            else (d.closed_on - d.start_date).days
        g["used"].append(used)
        g["limits"].add(d.days + d.extension_days)
    for (zh, en, kind), g in groups.items():
        unit = Text(zh="个工作日", en=" working days") if kind == "working" else Text(zh="日", en=" days")
        limits = sorted(g["limits"])
        limit = Text(zh="、".join(map(str, limits)) + unit.zh, en=", ".join(map(str, limits)) + unit.en)
        avg = round(sum(g["used"]) / len(g["used"]), 1)
        b.rows.append(Row(Text(zh=zh, en=en), [g["met"], g["missed"], avg, max(g["used"]), limit]))
    return b


def overdue(cases: Any, packs: dict[tuple[str, str], Pack | None], today: dt.date) -> Breakdown:
    b = Breakdown("overdue", Text(zh="进行中的期限：逾期与临期", en="Running deadlines: overdue and due soon"),
                  "逾期 Overdue", Text(zh="地区", en="Jurisdiction"),
                  [Text(zh="已逾期", en="Overdue"), Text(zh="即将到期", en="Due soon"), Text(zh="正常", en="On track"),
                   Text(zh="计时中止", en="Clock stopped")], chart_columns=[0, 1, 2, 3], stacked=True,
                  colors=(BAD, WARN, OK, GREY))
    running = list(Deadline.objects.filter(case__in=cases.values("pk"), status=DeadlineStatus.open)
                   .values_list("case__pack_id", "case__pack_version", "due_date", "status", "id"))
    if not running:
        return b
    last = max((r[2].year for r in running if r[2]), default=today.year)
    cal = load_calendar(min(today.year, last), max(today.year, last), shared=True)
    states = ["overdue", "due_soon", "on_track", "paused"]
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    labels: dict[str, Text] = {}
    for pack_id, version, due, status, pk in running:
        d = Deadline(pk=pk, due_date=due, status=status)
        state = sel.deadline_state(d, today, cal)
        counts[pack_id][states.index(state)] += 1
        labels[pack_id] = _jurisdiction(_pack(packs, pack_id, version), pack_id)
    for pid in sorted(counts, key=lambda p: (-counts[p][0], -counts[p][1], p)):
        b.rows.append(Row(labels[pid], counts[pid]))
    return b


def breakdowns(user: Any, *, today: dt.date | None = None) -> list[Breakdown]:
    cases = perm.visible_cases(user)
    if not (perm.is_admin(user) or perm.is_auditor(user)):
        cases = Case.objects.filter(pk__in=cases.values("pk"))  # the visibility query's DISTINCT, once
    packs: dict[tuple[str, str], Pack | None] = {}
    return [by_stage(cases, packs), by_outcome(cases), by_jurisdiction(cases, packs), by_situation(cases, packs),
            by_time_limit(cases, packs), overdue(cases, packs, today or clock.today())]


# --- charts -------------------------------------------------------------------------------------------

def chart_svg(b: Breakdown) -> str:
    """A horizontal bar chart (stacked where the parts add up) of the breakdown's chart columns, with whole-number
    ticks and each bar's value printed on it; "" when there is nothing to draw."""
    import pygal
    from pygal.style import Style

    def number(v: Any) -> float | None:
        return v if isinstance(v, int | float) and not isinstance(v, bool) and v else None

    if not any(number(r.values[c]) for r in b.rows for c in b.chart_columns):
        return ""
    n, series = len(b.rows), len(b.chart_columns)
    totals = [sum(number(r.values[c]) or 0 for c in b.chart_columns) if b.stacked
              else max(number(r.values[c]) or 0 for c in b.chart_columns) for r in b.rows]
    top = max(1, math.ceil(max(totals)))
    step = max(1, math.ceil(top / 6))
    style = Style(background="transparent", plot_background="#ffffff", foreground="#1f2933",
                  foreground_strong="#1f2933", foreground_subtle="#d9e2ec", opacity="1", opacity_hover=".85",
                  guide_stroke_color="#e4e7eb", guide_stroke_dasharray="0", major_guide_stroke_color="#cbd2d9",
                  major_guide_stroke_dasharray="0", colors=b.colors, font_family=FONTS,
                  label_font_size=13, major_label_font_size=13, legend_font_size=13, value_font_size=12,
                  value_colors=("#ffffff",) * series if b.stacked else (), tooltip_font_size=12)
    kind = pygal.HorizontalStackedBar if b.stacked else pygal.HorizontalBar
    labels = [_wrap(pick(r.label)) for r in reversed(b.rows)]
    per_row = 30 if (b.stacked or series == 1) else 18 * series + 10
    chart = kind(js=[], disable_xml_declaration=True, style=style, width=640,
                 height=60 + per_row * n + (36 if series > 1 else 0), show_legend=series > 1,
                 legend_at_bottom=True, legend_at_bottom_columns=min(series, 4), truncate_label=-1,
                 truncate_legend=-1, print_values=True, print_values_position="center" if b.stacked else "top",
                 margin=6, margin_left=6 + _cjk_extra(labels, 13), spacing=10, show_x_guides=True,
                 print_zeroes=False, show_y_guides=False, range=(0, top + step * 0.4),
                 value_formatter=lambda v: f"{v:g}", no_data_text=tr("暂无数据", "No data"))
    chart.x_labels = labels
    chart.y_labels = list(range(0, top + 1, step))
    for c in b.chart_columns:
        chart.add(pick(b.columns[c]), [number(r.values[c]) for r in reversed(b.rows)])
    svg: str = chart.render(is_unicode=True)
    svg = SCRIPT.sub("", svg)  # pygal inlines its tooltip configuration even without its JavaScript
    title = escape(pick(b.title))
    return svg.replace("<svg ", f'<svg role="img" aria-label="{title}" focusable="false" ', 1)


def _cjk_extra(labels: list[str], font_size: int) -> int:
    """pygal sizes labels as 0.6 em a character; a Chinese character is a full em: the missing width."""
    wide = max((sum(1 for ch in t if has_cjk(ch)) for t in labels), default=0)
    return math.ceil(wide * 0.42 * font_size)


def _wrap(text: str, width: float = 19.0) -> str:
    """Cut a chart label to about `width` em (a Chinese character is 1 em, a Latin one about 0.55); the table
    beside the chart has it whole."""
    used, out = 0.0, []
    for ch in text:
        used += 1.0 if has_cjk(ch) else 0.55
        if used > width:
            return "".join(out).rstrip() + "…"
        out.append(ch)
    return text


# --- export -------------------------------------------------------------------------------------------

def export_xlsx(items: list[Breakdown], *, scope: str, on: dt.date) -> bytes:
    """One sheet per breakdown: a title line, the headings (both languages), then the rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8EEFC")
    for b in items:
        ws = wb.create_sheet(b.sheet[:31])
        ws.append([f"{b.title.zh} {b.title.en}"])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append([f"范围 scope: {scope} · 统计日期 as of: {on.isoformat()}"])
        if b.note:
            ws.append([f"{b.note.zh} {b.note.en}"])
        ws.append([])
        heads = [b.label_head, *b.columns] + ([Text(zh="条款", en="Clause")] if any(r.note for r in b.rows) else [])
        ws.append([f"{h.zh} {h.en}" for h in heads])
        for cell in ws[ws.max_row]:
            cell.font, cell.fill = bold, fill
        for r in b.rows:
            values = [f"{v.zh} / {v.en}" if isinstance(v, Text) else v for v in r.values]
            ws.append([f"{r.label.zh} / {r.label.en}", *values] + ([r.note] if any(x.note for x in b.rows) else []))
        ws.column_dimensions["A"].width = 48
        for letter in "BCDEFG":
            ws.column_dimensions[letter].width = 18
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- views --------------------------------------------------------------------------------------------

def _scope(user: Any) -> str:
    if perm.is_admin(user) or perm.is_auditor(user):
        return tr("全部案件", "all cases")
    orgs = sorted({pick(Text(zh=g.organisation.name_zh, en=g.organisation.name_en or g.organisation.name_zh))
                   for g in perm.grants(user) if g.organisation_id and g.role in STAFF_ROLES})
    return tr("、", ", ").join(orgs)


def _staff(request: HttpRequest) -> None:
    if not may_see_dashboard(request.user):
        raise PermissionDenied("dashboard: staff only")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _staff(request)
    items = breakdowns(request.user)
    for b in items:
        b.svg = chart_svg(b)
    total = sum(r.values[2] for r in items[2].rows)
    return render(request, "cases/dashboard.html", {"items": items, "scope": _scope(request.user), "total": total,
                                                  "on": clock.today()})


@login_required
def dashboard_export(request: HttpRequest) -> HttpResponse:
    _staff(request)
    on = clock.today()
    data = export_xlsx(breakdowns(request.user, today=on), scope=_scope(request.user), on=on)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="rongcuo-dashboard-{on.isoformat()}.xlsx"'
    return response
