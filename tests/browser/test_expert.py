"""Journey: an expert drawn for a Zhejiang case sees only her own seats, scores the case against the pack's
criteria (a score off the scale is refused beside its field), records findings and an opinion; once the whole
panel has reviewed, the caseworker sees the members, the excluded expert and the aggregated findings, and
concludes the panel, which records the panel's findings as facts of the case."""

from __future__ import annotations

import os
import re
from typing import Any

from rongcuo.cases.models import Case
from rongcuo.review import services as review_svc
from rongcuo.review.models import MemberStatus
from tests.factories import OPINIONS

from .support import ARTIFACTS, shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CRITERIA = {"innovativeness": "科技创新活动的创新性", "strategic_value": "战略性", "necessity": "必要性",
            "insight_for_follow_up": "对后续研究的启发性", "records_completeness": "原始资料和记录的完整性",
            "funds_compliance": "资金使用的合规性"}


def test_expert_scores_and_the_caseworker_concludes(site: Any, demo: dict[str, Case], new_page: Any) -> None:
    case = demo["ZJ-2024-202"]  # expert review, panel drawn with the seed demo-ZJ-2024-202
    panel = case.panel
    mine = panel.members.get(expert__user__username="expert_li")
    seats = {c.number for c in demo.values() if hasattr(c, "panel")
             and c.panel.members.filter(expert__user__username="expert_li").exists()}
    others = [c for c in demo.values() if c.number not in seats]
    assert case.number in seats and others

    page = new_page()
    site.login(page, "expert_li")
    with page.expect_navigation():  # count the rows of the page opened, not of the page left (under load)
        page.get_by_role("link", name="专家评审").click()
    assert page.url.endswith("/expert/")
    rows = page.locator("main tbody tr")
    assert rows.count() == len(seats)  # only the cases she was drawn for
    row = page.locator(f"tr[data-case='{case.number}']")
    assert "待评审" in row.inner_text()
    assert not any(c.number in page.locator("main").inner_text() for c in others)
    shot(page, "expert-home")
    row.get_by_role("link", name=re.compile("评审")).click()
    assert page.url.endswith(f"/expert/cases/{case.pk}/review/")

    for label in CRITERIA.values():
        page.get_by_label(label, exact=True).fill("8")
    page.get_by_label("资金使用的合规性", exact=True).fill("12")  # off the 0–10 scale
    page.get_by_role("group", name=re.compile("原始记录证明已勤勉尽责")).get_by_label("是").check()
    page.get_by_role("group", name=re.compile("技术路线选择不当")).get_by_label("是").check()
    page.get_by_label("评审意见（必填）").fill("原始记录完整，技术路线失误属探索性风险。")
    with page.expect_response(lambda r: r.url.endswith("/review/") and r.request.method == "POST") as resp:
        page.get_by_role("button", name="提交评审意见").click()
    assert resp.value.status == 400
    inline = page.locator("#score-funds_compliance-error").inner_text()
    assert "资金使用的合规性" in inline and "0–10" in inline
    assert page.get_by_label("资金使用的合规性", exact=True).get_attribute("aria-invalid") == "true"
    assert page.get_by_label("评审意见（必填）").input_value().startswith("原始记录完整")  # what was typed is kept
    assert page.get_by_role("group", name=re.compile("原始记录证明已勤勉尽责")).get_by_label("是").is_checked()
    shot(page, "expert-review-refused")

    field = page.get_by_label("资金使用的合规性", exact=True)
    field.fill("7.5")
    field.press("Enter")  # the keyboard submits the form
    page.wait_for_load_state()
    assert "评审意见已提交" in page.locator(".messages").inner_text()
    mine.refresh_from_db()
    assert mine.status == MemberStatus.reviewed
    assert mine.review.scores["funds_compliance"] == 7.5
    assert mine.review.findings == {"original_records_prove_diligence": True, "failure_technical_route": True}
    assert "7.5 / 10" in page.locator("main").inner_text()
    shot(page, "expert-review-submitted")

    # The rest of the panel reviews; the caseworker concludes on the case page.
    for m in panel.members.filter(status=MemberStatus.invited).select_related("expert__user"):
        review_svc.review_submit(case=Case.objects.get(pk=case.pk), actor=m.expert.user,
                                 scores=dict.fromkeys(CRITERIA, 6), opinion="同意。",
                                 findings={"original_records_prove_diligence": True, "zj_covered_activity": True})
    cw = new_page()
    site.login(cw, "zj_caseworker")
    cw.goto(site.url(f"/cases/{case.pk}/"))
    section = cw.locator("section[aria-labelledby='panel-form']")
    assert "demo-ZJ-2024-202" in section.inner_text()  # the seed
    members = section.locator("table.panel-members tbody tr")
    assert members.count() == 5 and members.get_by_text("已评审").count() == 5
    section.get_by_text(re.compile("因利益冲突排除的专家")).click()
    assert "吴研究员" in section.inner_text() and "同一单位" in section.inner_text()
    assert "6.3 / 10" in section.locator("table.panel-scores").inner_text()  # (7.5 + 4×6) / 5
    cw.get_by_role("button", name="汇总专家组意见").click()
    assert "专家组意见已汇总" in cw.locator(".messages").inner_text()
    facts = cw.locator("section[aria-labelledby='facts-head']").inner_text()
    assert "原始记录证明已勤勉尽责" in facts and "专家评审" in facts
    case.refresh_from_db()
    assert case.panel.concluded_at is not None
    shot(cw, "case-panel-concluded")
    section.screenshot(path=str(ARTIFACTS / "case-panel-section.png"))


def test_caseworker_draws_a_panel_that_breaks_the_rules(site: Any, demo: dict[str, Case], new_page: Any) -> None:
    from rongcuo.cases import services as svc

    case = svc.case_transition(case=demo["ZJ-2024-200"], actor=site.world.users["zj_caseworker"],
                               action="refer_to_panel", opinion=OPINIONS["refer_to_panel"])
    page = new_page()
    site.login(page, "zj_caseworker")
    page.goto(site.url(f"/cases/{case.pk}/"))
    page.get_by_label(re.compile("人数")).fill("2")
    with page.expect_response(lambda r: r.request.method == "POST") as resp:
        page.get_by_role("button", name="抽取专家组").click()
    assert resp.value.status == 409
    assert "专家组不符合规则" in page.locator("#panel-override-error").inner_text()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    page.get_by_label(re.compile("如不符合规则仍需组成")).fill("本领域专家库人数不足，经分管领导同意。")
    page.get_by_role("button", name="抽取专家组").click()
    assert "不符合规则之处已记录并标示" in page.locator(".messages").inner_text()
    breach = page.locator(".breach")
    assert "专家人数 2 少于 5 人" in breach.inner_text() and "本领域专家库人数不足" in breach.inner_text()
    assert breach.evaluate("el => getComputedStyle(el).color") == "rgb(180, 35, 24)"  # red
    page.locator("section[aria-labelledby='panel-form']").screenshot(path=str(ARTIFACTS / "case-panel-breach.png"))
