"""Journey: a policy maker reads a pack and compares Shenzhen's guideline with Zhejiang's opinion clause by clause."""

from __future__ import annotations

import os
import re
from typing import Any

from .support import shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def test_packs_list_detail_and_compare(site: Any, page: Any) -> None:
    page.goto(site.url("/"))
    page.keyboard.press("Tab")  # keyboard users first meet the skip link, which lands on the main content
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="政策包").click()
    assert page.locator("h1").inner_text() == "政策包"
    page.get_by_role("link", name=re.compile("^浙江省科学技术厅关于构建科技创新容错免责机制的实施意见")).click()
    body = page.locator("main").inner_text()
    assert "不适用情形" in body and "「发生《科学技术活动违规行为处理暂行规定》" in body  # clause text, verbatim
    assert "二(三)3" in body  # its citation
    assert "参数（带生效日期）" in body and "编写说明" in body
    shot(page, "pack-detail-zhejiang")

    page.goto(site.url("/packs/"))
    page.get_by_label("对照：左侧").select_option(label="深圳指引 (2025-trial)")
    page.get_by_label("右侧").select_option(label="浙江实施意见（征求意见稿） (draft-for-comment)")
    page.get_by_role("button", name="逐条对照").click()
    assert "/packs/compare/" in page.url
    situations = page.locator("section[aria-labelledby='k-exemption_situation']")
    rows = situations.locator("tbody tr")
    assert rows.count() >= 9
    route = situations.locator("tr", has_text="技术路线选择不当")
    assert "技术路线选择失误" in route.inner_text() and "依据相同事实" in route.inner_text()
    milestone = situations.locator("tr", has_text="里程碑式、赛马式项目未通过考核")
    assert "仅左侧有" in milestone.inner_text()  # Zhejiang has no milestone situation
    exclusions = page.locator("section[aria-labelledby='k-exclusion']")
    assert exclusions.locator("tr.rel-only_right").count() == 4  # Zhejiang's four exclusions; Shenzhen lists none
    shot(page, "packs-compare-shenzhen-zhejiang")
