"""Journey: a member of the public opens the decisions under notice (no login), sees only the fields the pack
publishes, submits an empty objection (each missing field named beside it), then a complete one with an
attachment and gets a receipt number, a lookup code and the date it will be answered by; the caseworker finds it
by its receipt number on the case page and answers it; the objector reads the answer on the status page."""

from __future__ import annotations

import os
import re
from typing import Any

from rongcuo.cases.models import Case, Objection
from tests.factories import PDF

from .support import shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def test_public_notice_and_objection(site: Any, demo: dict[str, Case], new_page: Any) -> None:
    case = demo["ZJ-2024-204"]  # decided exempt, under its 7-day notice
    page = new_page()
    page.goto(site.url("/"))
    page.get_by_role("link", name="结果公示").click()
    assert page.url.endswith("/notices/")
    rows = page.locator("table.notices tbody tr")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert case.number in text and "卫教授" in text and "肿瘤早筛液体活检" in text and "拟认定容错免责" in text
    main = page.locator("main").inner_text()
    # Only the published fields: no project code, no failure explanation, no engine outcome.
    assert case.project.code not in main and "技术路线选择失误" not in main and "引擎" not in main
    shot(page, "notices")

    rows.first.get_by_role("link", name=re.compile("查看并提出异议")).click()
    assert page.url.endswith(f"/notices/{case.pk}/")
    assert "浙江省科学技术厅门户网站" in page.locator("main").inner_text()
    with page.expect_response(lambda r: r.request.method == "POST") as resp:
        page.get_by_role("button", name="提交异议").click()
    assert resp.value.status == 400
    for field in ("name", "contact", "text"):
        assert page.locator(f"#obj-{field}-error").inner_text() == "此项必填"
        assert page.locator(f"#obj-{field}").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "error-summary"
    shot(page, "notice-objection-refused")

    page.get_by_label(re.compile("^姓名")).fill("张三")
    page.get_by_label(re.compile("^联系方式")).fill("zhangsan@example.cn")
    page.get_by_label(re.compile("^异议内容")).fill("据我所知，该项目中试数据存在未如实记录的情况。")
    assert "15 个工作日内答复" in page.locator("#answer-period").inner_text()
    page.set_input_files("#obj-attachments", files=[{"name": "记录.pdf", "mimeType": "application/pdf",
                                                     "buffer": PDF}])
    page.get_by_role("button", name="提交异议").click()
    assert "您的异议已登记" in page.locator("h1").inner_text()
    objection = Objection.objects.get(case=case)
    assert objection.name == "张三" and objection.status == "open"
    receipt, code = page.locator("#receipt-number").inner_text(), page.locator("#lookup-code").inner_text()
    assert receipt == objection.receipt_number and code not in objection.lookup_hash
    assert page.locator("#answer-due").inner_text().startswith(objection.answer_due.isoformat())
    assert [a.original_name for a in objection.attachments.all()] == ["记录.pdf"]
    shot(page, "notice-objection-filed", full_page=False)

    cw = new_page()
    site.login(cw, "zj_caseworker")
    cw.goto(site.url(f"/cases/{case.pk}/"))
    section = cw.locator("section[aria-labelledby='objections-form']")
    assert "张三" in section.inner_text() and "待核实" in section.inner_text() and receipt in section.inner_text()
    assert section.get_by_role("link", name="记录.pdf").count() == 1
    close = cw.locator("form[data-action='close_notice'] button")
    assert close.is_disabled()  # an open objection holds the notice open
    card = section.locator(f"article[data-objection='{objection.pk}']")
    card.get_by_label("异议不成立").check()
    card.get_by_label(re.compile("答复及理由")).fill("经核查中试原始记录完整，异议不成立。")
    card.get_by_role("button", name="答复异议").click()
    assert "已答复异议（不成立）" in cw.locator(".messages").inner_text()
    objection.refresh_from_db()
    assert objection.status == "answered" and objection.sustained is False
    assert "异议不成立" in cw.locator("section[aria-labelledby='objections-form']").inner_text()
    cw.locator("section[aria-labelledby='objections-form']").screenshot(
        path=str(shot(cw, "case-objection-answered", full_page=False).with_name("case-objection-section.png")))

    # The objector follows it: a wrong code is refused naming the field; the right one shows the answer.
    page.goto(site.url("/notices/objections/"))
    page.get_by_label("异议登记号").fill(receipt)
    page.get_by_label("查询码").fill("AAAA-BBBB-CCCC-DDDD")
    page.get_by_role("button", name="查询").click()
    assert "登记号或查询码不正确" in page.locator("#error-summary").inner_text()
    assert "张三" not in page.locator("main").inner_text()
    page.get_by_label("查询码").fill(code.lower())
    page.get_by_role("button", name="查询").click()
    assert "异议不成立" in page.locator("#objection-state").inner_text()
    assert "中试原始记录完整" in page.locator("#objection-answer").inner_text()
    main = page.locator("main").inner_text()
    assert "张三" not in main and "zhangsan@example.cn" not in main
    shot(page, "objection-status", full_page=False)
