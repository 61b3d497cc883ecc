"""Journey: an English-speaking reader switches the interface to English; no page then shows Chinese that is
interface text. Chinese remains only as content: clause texts in 「」, names, titles (marked lang="zh-Hans")."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from django.core.files.base import ContentFile

from rongcuo.cases import services as svc
from tests.factories import OPINIONS

from .support import PDF, Today, chinese_outside_content, shot
from .test_self_check import SHENZHEN

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture
def filed_case(site: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Wang's case, accepted, with findings and evidence: every part of the case page has something to show."""
    Today(monkeypatch, dt.date(2025, 10, 9))
    w = site.world
    cw = w.users["sz_caseworker"]
    case = svc.case_create(actor=w.users["wang"], project=w.projects["sz_chip"], applicant=w.people["wang"],
                           failure_explanation="第二个里程碑考核未通过，流片良率未达合同指标。")
    ev = svc.evidence_upload(case=case, actor=w.users["wang"], file=ContentFile(PDF, name="申请书.pdf"),
                             kind="application_form", name="申请书.pdf")
    case.refresh_from_db()
    case = svc.case_transition(case=case, actor=cw, action="accept", opinion=OPINIONS["accept"])
    return svc.case_set_facts(case=case, actor=cw, role="investigation_finding", evidence_ids=[ev.pk],
                              note="经核实 / verified", facts={"sz_municipal_fiscal_funds": True,
                                                             "sz_covered_party": True, "failed_assessment": True})


def _check(page: Any, name: str) -> None:
    assert page.locator("html").get_attribute("lang") == "en", page.url
    found = chinese_outside_content(page)
    assert not found, f"Chinese interface text on {page.url}: {found}"
    shot(page, name)


def test_english_pages_show_no_chinese_interface_text(site: Any, new_page: Any, filed_case: Any) -> None:
    page = new_page(locale="en-US")
    page.goto(site.url("/"))
    # Chinese first: an English-language browser still gets Chinese until the reader chooses English.
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.get_by_role("button", name="English").click()
    _check(page, "en-home")
    assert page.get_by_role("heading", level=1).inner_text() == "Tolerate-failure determination platform"

    query = "&".join(f"f.{k}={v}" for k, v in SHENZHEN.items()).replace("?", "%3F")
    pages = [
        ("/self-check/", "en-self-check-choose"),
        ("/self-check/?pack=shenzhen-tolerance-guideline", "en-self-check-questions"),
        (f"/self-check/?pack=all&{query}", "en-self-check-compare-all"),
        ("/packs/", "en-packs"),
        ("/packs/shenzhen-tolerance-guideline/", "en-pack-detail"),
        ("/packs/compare/?a=shenzhen-tolerance-guideline&b=zhejiang-implementing-opinion", "en-packs-compare"),
        ("/accounts/login/", "en-login"),
    ]
    for path, name in pages:
        page.goto(site.url(path))
        _check(page, name)
    assert "Exempt" in page.goto(site.url(f"/self-check/?pack=shenzhen-tolerance-guideline&{query}")).text()

    site.login(page, "sz_caseworker")
    _check(page, "en-work-queue")
    page.goto(site.url(f"/cases/{filed_case.pk}/"))
    _check(page, "en-case")
    assert "Acceptance and investigation" in page.locator("main").inner_text()
    # A refused action is explained in English, naming the field.
    page.locator("form[data-action='request_supplement'] textarea").evaluate("el => el.removeAttribute('required')")
    page.locator("form[data-action='request_supplement'] button").click()
    assert "requires a reason" in page.locator("#error-summary").inner_text()
    assert "Field: reason" in page.locator("#error-summary").inner_text()
    _check(page, "en-case-refused")

    site.logout(page)
    site.login(page, "wang")
    _check(page, "en-my")
    page.get_by_role("button", name="中文").click()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("heading", level=1).inner_text() == "我的申请"
