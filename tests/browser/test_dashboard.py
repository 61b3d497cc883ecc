"""Journey: an auditor opens the dashboard — cases by stage, outcome, jurisdiction, exemption situation cited,
processing time against the time limit, and overdue counts, each an inline SVG chart (no script) beside its
table — and downloads the Excel export, one sheet per breakdown."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from rongcuo.cases.models import Case

from .support import shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def test_dashboard_charts_and_export(site: Any, demo: dict[str, Case], new_page: Any) -> None:
    page = new_page()
    site.login(page, "auditor")
    page.get_by_role("link", name="统计").click()
    assert page.url.endswith("/dashboard/")
    assert f"共 {len(demo)} 件案件" in page.locator("main .lead").inner_text()
    sections = page.locator("section.breakdown")
    assert sections.count() == 6
    for bid in ("stage", "outcome", "jurisdiction", "situation", "time", "overdue"):
        chart = page.locator(f"section[data-breakdown='{bid}'] figure.chart svg[role='img']")
        assert chart.count() == 1, bid
        assert chart.get_attribute("aria-label"), bid
        box = chart.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100, bid  # drawn, not collapsed
    assert page.locator("main script").count() == 0  # pygal's inline script is stripped
    stage_table = page.locator("section[data-breakdown='stage'] table").inner_text()
    assert "专家评审（浙江省）" in stage_table and "受理调查（深圳市）" in stage_table
    situation = page.locator("section[data-breakdown='situation']").inner_text()
    assert "技术路线选择失误" in situation
    time = page.locator("section[data-breakdown='time'] table").inner_text()
    assert "认定工作时限" in time and "按期" in time
    shot(page, "dashboard")
    page.locator("section[data-breakdown='outcome']").screenshot(
        path=str(Path(shot(page, "dashboard-top", full_page=False)).with_name("dashboard-outcome.png")))

    with page.expect_download() as dl:
        page.get_by_role("link", name=re.compile("导出 Excel")).click()
    name = dl.value.suggested_filename
    assert name.startswith("rongcuo-dashboard-") and name.endswith(".xlsx")
    wb = load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes()))
    assert wb.sheetnames == ["阶段 Stage", "结论 Outcome", "地区 Jurisdiction", "免责情形 Situation",
                             "时限 Time limits", "逾期 Overdue"]
    outcome = [[c for c in row] for row in wb["结论 Outcome"].iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(outcome) if r[0] and str(r[0]).startswith("结论"))
    exempt = next(r for r in outcome[header + 1:] if str(r[0]).startswith("免责 /"))
    assert exempt[1] == Case.objects.filter(outcome="exempt").count()
