"""Journey: a Zhejiang committee member opens a case awaiting the collective decision from its case page, sees
the engine's determination and trace beside the panel's findings, is refused a departure from the engine
without reasons (the service's message beside the reasons field), and records the decision with attendance,
votes, reasons and the clauses relied on (prefilled with the engine's decisive clauses)."""

from __future__ import annotations

import os
import re
from typing import Any

from rongcuo.cases import services as svc
from rongcuo.cases.models import Case

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
    assert page.get_by_label(re.compile("出席 zj_committee")).is_checked()
    shot(page, "committee-page")

    # Departing from the engine without reasons is refused, with the service's message beside the field.
    page.get_by_role("radio", name="不予免责").check()
    page.get_by_label(re.compile("表决：zj_committee")).select_option("not_exempt")
    with page.expect_response(lambda r: r.request.method == "POST") as resp:
        page.get_by_role("button", name="记录集体审定").click()
    assert resp.value.status == 400
    assert "必须书面说明理由" in page.locator("#reasons-error").inner_text()
    assert page.get_by_label("理由", exact=True).get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.get_by_role("radio", name="不予免责").is_checked()  # the choice is kept
    shot(page, "committee-refused-without-reasons", full_page=False)

    page.get_by_role("radio", name=re.compile("^免责")).check()
    page.get_by_label(re.compile("表决：zj_committee")).select_option("exempt")
    page.get_by_label("理由", exact=True).fill("技术路线选择失误属探索性风险，专家组认定原始记录证明已勤勉尽责。")
    page.get_by_role("button", name="记录集体审定").click()
    assert page.url.endswith(f"/cases/{case.pk}/")
    assert "集体审定已记录：免责" in page.locator(".messages").inner_text()
    assert "结果公示" in page.locator("main .badge").first.inner_text()
    case.refresh_from_db()
    d = case.decision
    assert d.decision == "exempt" and not d.departs_from_engine and sorted(d.clauses) == sorted(decisive)
    assert d.members_present == ["zj_committee"] and d.votes == {"zj_committee": "exempt"}
    assert d.panel_findings and d.panel_findings["findings"]["original_records_prove_diligence"] is True
    shot(page, "committee-decided", full_page=False)
