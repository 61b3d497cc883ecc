"""The loss-position chart: each category's (and the fund's) loss ratio over time against its limit, as SVG.

Rendered on the server with pygal (pure Python, SVG out, no JavaScript: `js=[]` and the inline configuration
script removed, so the page works offline and under a strict content-security policy). The page always shows
the same figures as a table too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pygal
from pygal.style import Style

from rongcuo.common.i18n import pick, tr
from rongcuo.funds.selectors import CATEGORY_TEXT

SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
COLORS = {"seed": "#1b6e3a", "angel": "#8a4b08", "industry": "#1f4e8c", "fund": "#333333"}


def _pct(value: Any) -> float | None:
    return None if value is None else round(float(value) * 100, 2)


def loss_chart_svg(series: Sequence[Mapping[str, Any]], categories: Sequence[str]) -> str:
    """An inline SVG (no XML declaration, no script) of the series from `selectors.loss_series`."""
    if not series:
        return ""
    lines: list[tuple[str, list[float | None], str, bool]] = []
    for cat in categories:
        name = pick(CATEGORY_TEXT.get(cat, {"zh": cat, "en": cat}))
        ratios = [_pct((p["categories"].get(cat) or {}).get("ratio")) for p in series]
        limits = [_pct(((p["categories"].get(cat) or {}).get("limit") or {}).get("value")) for p in series]
        lines.append((tr("{c}类亏损比例", "{c} loss ratio", c=name), ratios, COLORS.get(cat, "#555555"), False))
        if any(v is not None for v in limits):
            lines.append((tr("{c}类容亏限额", "{c} limit", c=name), limits, COLORS.get(cat, "#555555"), True))
    fund_ratios = [_pct(p["fund"].get("ratio")) for p in series]
    fund_limits = [_pct((p["fund"].get("limit") or {}).get("value")) for p in series]
    lines.append((tr("基金整体亏损比例", "Fund loss ratio"), fund_ratios, COLORS["fund"], False))
    if any(v is not None for v in fund_limits):
        lines.append((tr("基金整体容亏限额", "Fund limit"), fund_limits, COLORS["fund"], True))
    style = Style(background="transparent", plot_background="#ffffff", foreground="#222222",
                  foreground_strong="#111111", foreground_subtle="#d5d5d5", opacity=".9", opacity_hover="1",
                  guide_stroke_dasharray="1,4", major_guide_stroke_dasharray="1,4",
                  colors=tuple(c for _, _, c, _ in lines), font_family="system-ui, sans-serif",
                  label_font_size=11, major_label_font_size=11, legend_font_size=12, value_font_size=11)
    chart = pygal.Line(js=[], disable_xml_declaration=True, style=style, height=380, width=860,
                       legend_at_bottom=True, legend_at_bottom_columns=2, truncate_legend=-1, show_dots=True,
                       dots_size=2.5, x_label_rotation=30, show_minor_x_labels=False,
                       x_labels_major_every=max(1, len(series) // 8), range=(0, 100), include_x_axis=True,
                       y_title=tr("占投资额 %", "% of amount invested"),
                       value_formatter=lambda v: f"{v:.1f}%", allow_interruptions=True,
                       no_data_text=tr("暂无数据", "No data"))
    chart.x_labels = [p["date"] for p in series]
    for title, values, _, dashed in lines:
        stroke = {"width": 2.5, "dasharray": "9, 5"} if dashed else {"width": 2.5}
        chart.add(title, values, stroke_style=stroke, show_dots=not dashed)
    svg: str = chart.render(is_unicode=True)
    # pygal always inlines its tooltip configuration as a script, even without its JavaScript: drop it, so
    # the page carries no script at all (nothing reads it, and a strict content-security policy would refuse it).
    return SCRIPT.sub("", svg)
