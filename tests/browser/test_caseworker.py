"""Journey: a Shenzhen caseworker opens the work queue (overdue in red, due soon in amber), finds a new
application, uploads the required application form and accepts the case; a stale tab is refused with 409."""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any

import pytest
from django.core.files.base import ContentFile

from rongcuo.cases import selectors as sel
from rongcuo.cases import services as svc
from rongcuo.cases.models import Case
from rongcuo.demo.world import person, project
from tests.factories import OPINIONS

from .support import PDF, Today, shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def _case(world: Any, code: str, title: str, lead_name: str) -> Case:
    o = world.orgs
    lead = person(lead_name, o["szu"], birth=dt.date(1986, 4, 1))
    pr = project(code, title, host=o["szu"], bureau=o["sz_bureau"], lead=lead, level="municipal",
                 programme="深圳市科技计划", mode="milestone", start=dt.date(2023, 1, 1), end=dt.date(2025, 6, 30))
    return svc.case_create(actor=world.users["sz_caseworker"], project=pr, applicant=lead,
                           failure_explanation=f"{title}：里程碑考核未通过，申请宽容失败认定。")


def _accepted(world: Any, case: Case) -> Case:
    actor = world.users["sz_caseworker"]
    svc.evidence_upload(case=case, actor=actor, file=ContentFile(PDF, name="form.pdf"), kind="application_form",
                        name="form.pdf")
    case.refresh_from_db()
    return svc.case_transition(case=case, actor=actor, action="accept", opinion=OPINIONS["accept"])


@pytest.fixture
def queue(site: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    w = site.world
    today = Today(monkeypatch, dt.date(2025, 9, 1))
    late = _accepted(w, _case(w, "SZ-2025-301", "柔性显示驱动芯片研制", "林博士"))
    today.set(dt.date(2025, 9, 4))
    soon = _accepted(w, _case(w, "SZ-2025-302", "海水淡化膜材料中试", "何研究员"))
    fresh = _case(w, "SZ-2025-303", "深海探测机器人样机研制", "高工程师")
    late_due = late.deadlines.get(key="overall").due_date
    today.set(late_due + dt.timedelta(days=1))
    assert sel.deadline_state(late.deadlines.get(key="overall")) == "overdue"
    assert sel.deadline_state(soon.deadlines.get(key="overall")) == "due_soon"
    return {"late": late, "soon": soon, "fresh": fresh, "today": today}


def test_caseworker_queue_upload_and_accept(site: Any, queue: dict[str, Any], new_page: Any, pdf_file: Any) -> None:
    page = new_page()
    site.login(page, "sz_caseworker")
    assert page.url.endswith("/work/")  # staff land on their work queue
    late, soon, fresh = queue["late"], queue["soon"], queue["fresh"]
    deadlines = page.locator("section[aria-labelledby='dl-head'] tbody tr")
    assert deadlines.count() == 2
    assert "overdue" in (deadlines.nth(0).get_attribute("class") or "")  # sorted by due date: the late one first
    assert late.number in deadlines.nth(0).inner_text() and "已逾期" in deadlines.nth(0).inner_text()
    assert "due_soon" in (deadlines.nth(1).get_attribute("class") or "")
    assert "即将到期" in deadlines.nth(1).inner_text()
    color = deadlines.nth(0).locator("td.due").evaluate("el => getComputedStyle(el).color")
    assert color == "rgb(180, 35, 24)"  # red
    assert page.locator(f"tr[data-case='{soon.number}']").get_attribute("class") == "due_soon"
    shot(page, "work-queue")

    page.get_by_label(re.compile("搜索")).fill("深海探测")
    with page.expect_navigation():  # count the rows of the filtered page, not of the page left (under load)
        page.get_by_role("button", name="筛选").click()
    rows = page.locator("section[aria-labelledby='cases-head'] tbody tr")
    assert rows.count() == 1
    rows.first.get_by_role("link", name=fresh.number).click()
    assert page.url.endswith(f"/cases/{fresh.pk}/")

    accept = page.get_by_role("button", name="受理", exact=True)
    assert accept.is_disabled()
    assert "缺少材料：认定申请书" in page.locator("form[data-action='accept']").inner_text()
    other = page.context.new_page()  # a second tab of the same caseworker, opened before the upload
    other.goto(page.url)

    page.get_by_label("材料类型").select_option("application_form")
    page.get_by_label(re.compile("^文件")).set_input_files(str(pdf_file))
    page.get_by_role("button", name="上传").click()
    assert "已上传：application_form.pdf" in page.locator(".messages").inner_text()
    assert page.get_by_role("link", name="application_form.pdf").count() >= 1
    accept = page.get_by_role("button", name="受理", exact=True)
    assert accept.is_enabled()
    page.get_by_label("初步审核意见（必填）").fill("申请材料齐全，予以受理。")  # the acceptance records an opinion
    accept.click()
    assert "当前阶段：受理调查" in page.locator(".messages").inner_text()
    assert "认定工作时限" in page.locator("section[aria-labelledby='dl-head']").inner_text()
    assert "启动程序 → 受理调查" in page.locator("section[aria-labelledby='tl-head']").inner_text()
    shot(page, "case-accepted")

    # The other tab still shows the old version: its action is refused (409) with the reason, not a 500.
    other.get_by_label("理由（必填）").fill("不属于市财政资金资助项目")
    with other.expect_response(lambda r: r.url.endswith("/transition/")) as resp:
        other.get_by_role("button", name="不予受理").click()
    assert resp.value.status == 409
    alert = other.locator("#error-summary").inner_text()
    assert "案件已被他人修改" in alert and "版本" in alert
    assert other.evaluate("document.activeElement.id") == "error-summary"  # focus moved to the explanation
    fresh.refresh_from_db()
    assert fresh.stage == "acceptance_investigation" and fresh.disposition == "open"
    shot(other, "case-conflict-409", full_page=False)
