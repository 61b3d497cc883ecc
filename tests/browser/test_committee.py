"""Journey: a Zhejiang committee member opens a case awaiting the collective decision from its case page, sees
the engine's determination and trace beside the panel's findings, finds the decision form with nothing chosen,
is refused a decision without quorum, records their own vote with reasons (refused without), sees a second
member's vote carry the majority, is refused a decision the votes do not carry, and records the decision; the
record lists every vote by the member's name."""

from __future__ import annotations

import os
import re
from typing import Any

from rongcuo.cases import services as svc
from rongcuo.cases.models import Case
from rongcuo.review import services as review_svc

from .support import shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def test_committee_decides(site: Any, demo: dict[str, Case], new_page: Any) -> None:
    case = demo["ZJ-2024-203"]  # collective decision; the committee's own finding is still missing
    committee = site.world.users["zj_committee"]
    case = svc.case_set_facts(case=case, actor=committee, role="committee", facts={"liability_required_by_law": False})
    assert case.outcome == "exempt"
    decisive = list(case.determination["decisive"])

    page = new_page()
    site.login(page, "zj_committee")
    page.goto(site.url(f"/cases/{case.pk}/"))
    page.get_by_role("link", name=re.compile("进入集体审定")).click()
    assert page.url.endswith(f"/committee/cases/{case.pk}/")
    engine = page.locator("section[aria-labelledby='engine-head']")
    panel = page.locator("section[aria-labelledby='panel-head']")
    assert "免责" in engine.locator(".badge").first.inner_text()
    assert engine.locator("details ol.trace").count() == 1  # the full trace, folded
    assert "5 名专家提交评审" in panel.inner_text() and "原始记录证明已勤勉尽责" in panel.inner_text()
    left, right = engine.bounding_box(), panel.bounding_box()
    assert left and right and right["x"] > left["x"] + 200 and abs(right["y"] - left["y"]) < 5  # side by side
    ticked = page.locator("input[name=clauses]:checked")
    assert sorted(ticked.evaluate_all("els => els.map(e => e.value)")) == sorted(decisive)
    assert page.locator("input[name=decision]:checked").count() == 0  # nothing chosen in advance
    beside = page.locator("aside[aria-labelledby='beside-head']")
    assert "免责" in beside.locator(".badge").inner_text() and beside.locator("table.scores tr").count() == 6
    form, aside = page.locator(f"form[action$='/committee/cases/{case.pk}/']").bounding_box(), beside.bounding_box()
    assert form and aside and aside["x"] > form["x"] + 200  # beside the decision form
    assert "平台默认" in page.locator("section[aria-labelledby='votes-head']").inner_text()
    shot(page, "committee-page")

    # No choice, then no quorum: refused beside the decision, nothing recorded.
    with page.expect_response(lambda r: r.request.method == "POST") as resp:
        page.get_by_role("button", name="记录集体审定").click()
    assert resp.value.status == 400 and "请选择决定" in page.locator("#decision-error").inner_text()
    page.get_by_role("radio", name=re.compile("^免责")).check()
    with page.expect_response(lambda r: r.request.method == "POST") as resp:
        page.get_by_role("button", name="记录集体审定").click()
    assert resp.value.status == 409 and "法定人数" in page.locator("#decision-error").inner_text()
    assert page.evaluate("document.activeElement.id") == "error-summary"

    # The member's own vote: refused without reasons, then recorded.
    page.get_by_role("radio", name="同意免责", exact=True).check()
    with page.expect_response(lambda r: r.request.method == "POST") as resp:
        page.get_by_role("button", name="记录我的表决").click()
    assert resp.value.status == 400 and "表决理由" in page.locator("#vote-reasons-error").inner_text()
    assert page.get_by_role("radio", name="同意免责", exact=True).is_checked()  # the choice is kept
    page.get_by_label("表决理由").fill("专家组认定原始记录证明已勤勉尽责。")
    page.get_by_role("button", name="记录我的表决").click()
    assert "您的表决已记录：同意免责" in page.locator(".messages").inner_text()
    votes = page.locator("section[aria-labelledby='votes-head']")
    assert "钱志远" in votes.inner_text() and "未达法定人数" in votes.inner_text()
    review_svc.committee_vote(case=case, actor=site.world.users["zj_committee2"], vote="exempt",
                              reasons="技术路线失误属探索性风险。")
    page.reload()
    assert "表决形成多数：免责" in page.locator("section[aria-labelledby='votes-head']").inner_text()
    shot(page, "committee-votes", full_page=False)

    # A decision the votes do not carry is refused; the one they carry is recorded.
    page.get_by_role("radio", name="不予免责").check()
    page.get_by_label("理由", exact=True).fill("x")
    with page.expect_response(lambda r: r.request.method == "POST") as resp:
        page.get_by_role("button", name="记录集体审定").click()
    assert resp.value.status == 409 and "多数" in page.locator("#decision-error").inner_text()
    page.get_by_role("radio", name=re.compile("^免责")).check()
    page.get_by_label("理由", exact=True).fill("技术路线选择失误属探索性风险，专家组认定原始记录证明已勤勉尽责。")
    page.get_by_role("button", name="记录集体审定").click()
    assert page.url.endswith(f"/cases/{case.pk}/")
    assert "集体审定已记录：免责" in page.locator(".messages").inner_text()
    assert "结果公示" in page.locator("main .badge").first.inner_text()
    case.refresh_from_db()
    d = case.decision
    assert d.decision == "exempt" and not d.departs_from_engine and sorted(d.clauses) == sorted(decisive)
    assert [(v.member_name, v.vote) for v in d.vote_records.all()] == [("钱志远", "exempt"), ("孙丽华", "exempt")]
    assert d.panel_findings and d.panel_findings["findings"]["original_records_prove_diligence"] is True
    page.goto(site.url(f"/committee/cases/{case.pk}/"))
    record = page.locator("section[aria-labelledby='record-head']").inner_text()
    assert "钱志远" in record and "孙丽华" in record and "冯卫东" in record and "zj_committee" not in record
    shot(page, "committee-decided", full_page=False)
