"""Journey: a researcher checks, without signing in, whether a failed milestone project would be exempt —
in Shenzhen (yes: 免责情形（二）) and in Zhejiang (no: none of its five situations applies)."""

from __future__ import annotations

import os
import re
from typing import Any

from .support import shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

# A milestone project that failed its assessment; diligent; no private gain. Original records: "don't know".
SHENZHEN = {"sz_municipal_fiscal_funds": "1", "sz_covered_party": "1", "followed_strategic_direction": "1",
            "followed_decision_procedure": "1", "sought_private_gain": "0", "acted_proactively": "1",
            "corrected_proactively": "1", "original_records_prove_diligence": "?", "goals_not_completed": "1",
            "project_mode": "milestone", "failed_assessment": "1"}
# The same failure under Zhejiang's rules: in scope, no exclusion, diligent, but none of its situations.
ZHEJIANG = {"zj_researcher_in_province": "1", "zj_provincial_fiscal_funds": "1", "zj_covered_activity": "1",
            "zj_termination_application": "1", "original_records_prove_diligence": "1"}


def answer_until_done(page: Any, answers: dict[str, str], default: str = "0") -> list[str]:
    """Answer every question asked, step by step, until none is left; returns the facts asked, in order."""
    asked: list[str] = []
    for _ in range(12):
        questions = page.locator("fieldset.q")
        if questions.count() == 0:
            return asked
        for i in range(questions.count()):
            q = questions.nth(i)
            fact = q.get_attribute("data-fact")
            asked.append(fact)
            value = answers.get(fact, default)
            if q.locator("select").count():
                q.locator("select").select_option(value)
            else:
                q.locator(f"input[type=radio][value='{value}']").check()
        with page.expect_navigation():  # the next step is a new page (a GET form): read it, not the one left
            page.get_by_role("button", name=re.compile("下一步|Next")).click()
    raise AssertionError(f"still asking after 12 steps: {asked}")


def test_self_check_shenzhen_exempt_zhejiang_not(site: Any, page: Any, new_page: Any) -> None:
    page.goto(site.url("/"))
    page.get_by_role("link", name="开始自测").click()
    shot(page, "self-check-choose")
    page.get_by_label(re.compile("深圳市 · 深圳市科技创新领域宽容失败")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="开始").click()

    asked = answer_until_done(page, SHENZHEN)
    # Scope first; and once situation (二) holds, the remaining situations are no longer asked.
    assert asked[:2] == ["sz_municipal_fiscal_funds", "sz_covered_party"]
    assert "project_mode" in asked
    assert "other_situation_by_law" not in asked and "failure_new_mechanism_exploration" not in asked
    result = page.locator("#pack-shenzhen-tolerance-guideline")
    assert result.get_attribute("data-outcome") == "exempt"
    assert "免责" in result.locator(".badge").first.inner_text()
    assert "免责情形（二）" in result.inner_text()
    assert "「对“里程碑式”“赛马式”项目未通过考核的」" in result.inner_text()
    assert "认定申请书" in result.inner_text()  # the materials checklist of the procedure's stages
    shot(page, "self-check-shenzhen-exempt")

    # The address carries the answers: opened elsewhere, it reproduces the result.
    share = page.locator("#share-url").input_value()
    assert page.get_by_role("button", name="复制链接").is_visible()  # app.js loaded (the CSP allows it)
    assert "f.project_mode=milestone" in share and "f.original_records_prove_diligence=%3F" in share
    other = new_page()
    other.goto(share)
    assert other.locator("#pack-shenzhen-tolerance-guideline").get_attribute("data-outcome") == "exempt"
    assert other.locator("fieldset.q").count() == 0

    page.goto(site.url("/self-check/?pack=zhejiang-implementing-opinion"))
    asked = answer_until_done(page, ZHEJIANG)
    assert "project_mode" not in asked  # Zhejiang's rules do not ask how the project was organised
    result = page.locator("#pack-zhejiang-implementing-opinion")
    assert result.get_attribute("data-outcome") == "not_exempt"
    text = result.inner_text()
    assert "不予认定容错免责" in text
    assert "「因技术路线选择失误导致难以完成预定目标」" in text  # a situation that does not hold, with its text
    assert "容错免责认定申请书" in text
    shot(page, "self-check-zhejiang-not-exempt")

    # Compare all: the Shenzhen answers side by side; Zhejiang's scope questions are asked next.
    page.goto(share.replace("pack=shenzhen-tolerance-guideline", "pack=all"))
    assert page.locator("#pack-shenzhen-tolerance-guideline").get_attribute("data-outcome") == "exempt"
    assert page.locator("fieldset.q[data-fact^='zj_']").count() >= 1
    shot(page, "self-check-compare-all")
