"""Journey: every unknown fact becomes someone's task. A researcher takes the Zhejiang self-check and applies with
her answers; the host unit finds the application under "awaiting me", attests its two facts beside her declarations
in one submission and forwards it; the department's caseworker lead finds it in the queue, assigns it, and the
caseworker sees what is still needed from them. No submission is refused."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import pytest

from rongcuo.cases.models import Case, CaseFact, Declaration

from .support import Today, shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ZJ = "zhejiang-implementing-opinion"


def test_from_self_check_to_the_caseworker_without_a_refused_submission(site: Any, page: Any, pdf_file: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    Today(monkeypatch, dt.date(2025, 10, 9))
    submissions: list[tuple[str, int]] = []  # (who, status) of every form submitted

    def submit(who: str, button: Any, url_part: str) -> None:
        with page.expect_response(lambda r: url_part in r.url and r.request.method == "POST") as resp:
            button.click()
        submissions.append((who, resp.value.status))
        page.wait_for_load_state()

    # The researcher: the self-check, then "apply with these answers".
    site.login(page, "chen")
    page.goto(site.url(f"/self-check/?pack={ZJ}&f.zj_researcher_in_province=1&f.failure_technical_route=1"
                       "&f.research_misconduct=0&f.violated_prohibitions=0"))
    page.get_by_role("link", name="据此申请").last.click()
    page.wait_for_url(re.compile(r"/my/\?"))
    declared = page.locator("#ap-declared").inner_text()
    assert "在浙江省" in declared or "浙江" in declared
    page.get_by_label(re.compile("^项目")).select_option(str(site.world.projects["zj_material"].pk))
    page.get_by_label(re.compile("失败情况说明")).fill("储能材料中试放大后循环寿命未达指标，技术路线需调整。")
    for box in page.locator(f'fieldset[data-pack="{ZJ}"] input[type=file]').all():
        box.set_input_files(str(pdf_file))
    submit("chen", page.get_by_role("button", name="提交申请"), "/my/apply/")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get()
    assert Declaration.objects.filter(case=case).count() == 4
    assert not CaseFact.objects.filter(case=case, role="applicant_declaration").exists()

    # The host unit: its queue says what waits for it; one form with just its two facts; then forward.
    site.login(page, "zju_reviewer")
    page.goto(site.url("/work/"))
    page.locator("nav.tabs a[data-awaiting]").click()
    row = page.locator(f'tr[data-case="{case.number}"]')
    assert "待我认定 2 项" in row.inner_text()
    row.get_by_role("link", name=case.number).click()
    needs = page.locator("#needs-head").locator("..").inner_text()
    assert "承担单位证明" in needs and "待您认定" in needs
    form = page.locator("#facts-form").locator("..")
    assert form.locator("select[name^='fact.']").count() == 2
    assert "待核实：申请人自述" in form.inner_text()  # chen's declaration, to confirm
    form.locator("select[name='fact.zj_researcher_in_province']").select_option("1")
    form.locator("select[name='fact.zj_termination_application']").select_option("1")
    shot(page, "guided-host-unit-facts")
    submit("zju_reviewer", form.get_by_role("button", name="记录认定"), "/facts/")
    assert "已记录 2 项事实" in page.locator(".messages").inner_text()
    forward = page.locator("form[data-action='forward_by_host_unit']")
    forward.get_by_label("单位审核意见（必填）").fill("经审核，申请人所述情况属实，同意报送。")
    submit("zju_reviewer", forward.get_by_role("button"), "/transition/")
    case.refresh_from_db()
    assert case.stage == "investigation"
    assert case.number not in page.goto(site.url("/work/?view=awaiting")).text()

    # The department: the lead finds the new case unassigned and gives it to 吴经办, who finds it as theirs.
    site.login(page, "zj_caseworker")
    page.goto(site.url("/work/?view=unassigned"))
    page.locator(f'tr[data-case="{case.number}"] input[name=cases]').check()
    page.get_by_label("将所选案件分配给").select_option(label="吴经办")
    submit("zj_caseworker", page.get_by_role("button", name="分配", exact=True), "/work/assign/")
    site.login(page, "zj_caseworker2")
    page.goto(site.url("/work/?view=mine"))
    assert case.number in page.locator("main").inner_text()
    page.goto(site.url("/work/?view=awaiting"))
    page.locator(f'tr[data-case="{case.number}"]').get_by_role("link", name=case.number).click()
    mine = page.locator("[data-party='investigation_finding']").inner_text()
    assert "待您认定" in mine
    shot(page, "guided-caseworker-needs")

    assert submissions and all(status < 400 for _, status in submissions), submissions
    assert [who for who, _ in submissions] == ["chen", "zju_reviewer", "zju_reviewer", "zj_caseworker"]
