"""Journey: a Shenzhen caseworker downloads the import template, uploads a workbook whose second project has a
bad funding level and an end before its start, sees the preview with each error named by row and column,
is refused the import (nothing written), then skips the bad row and imports the rest."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from rongcuo.registry.models import Person, Project
from rongcuo.registry.services import PEOPLE_COLUMNS, PROJECT_COLUMNS
from rongcuo.registry.spreadsheet import workbook

from .support import shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def _book(tmp_path: Path) -> Path:
    data = workbook({
        "项目 projects": [[c.header for c in PROJECT_COLUMNS],
                        ["SZ-2025-501", "柔性电子皮肤传感器", "深圳市科技计划", "municipal", 1_200_000, "2025-01-01",
                         "2026-12-31", None, "SZU", "马博士", "1990-02-03", "milestone"],
                        ["SZ-2025-502", "微流控芯片", "深圳市科技计划", "city", "80万", "2025-06-01", "2024-01-01",
                         None, "SZU", "马博士", "1990-02-03", ""]],
        "人员 people": [[c.header for c in PEOPLE_COLUMNS], ["马博士", "1990-02-03", "SZU", "助理研究员"]],
    })
    path = tmp_path / "登记导入.xlsx"
    path.write_bytes(data)
    return path


def test_registry_import_preview_refuse_and_skip(site: Any, new_page: Any, tmp_path: Path) -> None:
    page = new_page()
    site.login(page, "sz_caseworker")
    page.get_by_role("link", name="登记导入").click()
    assert page.url.endswith("/registry/import/")
    with page.expect_download() as dl:
        page.get_by_role("link", name=re.compile("下载导入模板")).click()
    template = load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes()))
    assert template.sheetnames[:2] == ["项目 projects", "人员 people"]
    assert [c.value for c in template["项目 projects"][1]][:2] == ["项目编号 code", "项目名称 title"]

    page.get_by_label(re.compile("Excel 文件")).set_input_files(str(_book(tmp_path)))
    page.get_by_role("button", name="检查并预览").click()
    bad = page.locator("table[data-sheet='projects'] tr[data-row='3']")
    assert "overdue" in (bad.get_attribute("class") or "")
    errors = page.locator("table[data-sheet='projects'] tr.row-errors").inner_text()
    assert "第 3 行“资助层级”" in errors and "national" in errors  # what is allowed
    assert "第 3 行“预算（元）”" in errors and "第 3 行“结束日期”：不能早于开始日期" in errors
    assert "可导入 2 行" in page.locator("main").inner_text()
    shot(page, "registry-import-preview")

    with page.expect_response(lambda r: r.request.method == "POST") as resp:
        page.get_by_role("button", name="导入", exact=True).click()
    assert resp.value.status == 400
    assert "1 行有错误，未导入任何数据" in page.locator("#error-summary").inner_text()
    assert not Project.objects.filter(code__startswith="SZ-2025-5").exists()
    assert not Person.objects.filter(name="马博士").exists()

    page.get_by_label(re.compile("跳过有错误的行")).check()
    page.get_by_role("button", name="导入", exact=True).click()
    assert "新增项目 1 个" in page.locator(".messages").inner_text()
    assert "跳过有错误的行 1 行" in page.locator(".messages").inner_text()
    p = Project.objects.get(code="SZ-2025-501")
    assert p.lead.name == "马博士" and p.bureau.code == "SZ-STIB" and p.project_mode == "milestone"
    assert not Project.objects.filter(code="SZ-2025-502").exists()
    shot(page, "registry-import-done", full_page=False)
