"""Journey: a researcher signs in, files an application for the project she leads with the application form
attached, and follows it on her page; a disguised executable is refused with the reason and nothing filed."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import pytest

from rongcuo.cases.models import Case, Evidence

from .support import Today, shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def test_applicant_files_an_application_with_the_form(site: Any, page: Any, pdf_file: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    Today(monkeypatch, dt.date(2025, 10, 9))
    site.login(page, "wang")
    assert page.url.endswith("/my/")  # an applicant lands on their own page
    assert "王博士" in page.locator("main").inner_text()
    assert "您还没有提出过申请" in page.locator("main").inner_text()

    page.get_by_label(re.compile("^项目")).select_option(str(site.world.projects["sz_chip"].pk))
    page.get_by_label(re.compile("失败情况说明")).fill("人工智能芯片新架构未通过第二个里程碑考核，流片良率未达合同指标。")
    fake = tmp_path / "申请书.pdf"
    fake.write_bytes(b"MZ\x90\x00 not a pdf")
    page.get_by_label(re.compile("认定申请书")).set_input_files(str(fake))
    with page.expect_response(lambda r: r.url.endswith("/my/apply/")) as resp:
        page.get_by_role("button", name="提交申请").click()
    assert resp.value.status == 400
    alert = page.locator("#apply-error").inner_text()
    assert "文件" in alert and "不接受可执行文件" in alert
    assert Case.objects.count() == 0  # the refused upload left no half-filed case
    assert "流片良率" in page.get_by_label(re.compile("失败情况说明")).input_value()  # what was typed is kept
    shot(page, "my-refused-upload", full_page=False)

    page.get_by_label(re.compile("认定申请书")).set_input_files(str(pdf_file))
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))  # the upload goes by XMLHttpRequest, with a progress bar
    case = Case.objects.get()
    assert page.url.endswith(f"/cases/{case.pk}/")
    assert f"申请已提交，案件编号 {case.number}" in page.locator(".messages").inner_text()
    assert case.applicant.name == "王博士" and case.pack_id == "shenzhen-tolerance-guideline"
    ev = Evidence.objects.get(case=case)
    assert ev.kind == "application_form" and ev.original_name == "application_form.pdf"
    checklist = page.locator("ul.checklist").inner_text()
    assert re.search(r"✓\s*认定申请书", checklist)
    assert page.locator("form[data-action='withdraw']").count() == 1  # the applicant may withdraw
    assert page.locator("form[data-action='accept']").count() == 0  # but not accept
    # The download link (permission-checked) works for her.
    with page.expect_download() as dl:
        page.get_by_role("link", name="application_form.pdf").first.click()
    assert Path(dl.value.path()).read_bytes().startswith(b"%PDF-")
    shot(page, "case-filed-by-applicant")

    with page.expect_navigation():  # count the rows of the page opened, not of the page left (under load)
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的申请").click()
    row = page.locator("section[aria-labelledby='mine-head'] tbody tr")
    assert row.count() == 1 and case.number in row.inner_text() and "启动程序" in row.inner_text()
    shot(page, "my-applications")
