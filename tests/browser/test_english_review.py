"""Journey: the review pages in English — public notices, the expert's pages, the case page's panel,
objections, letters and obligations, the committee page, the dashboard and the registry import — show no
Chinese that is interface text (Chinese remains only as content: names, titles, clause texts)."""

from __future__ import annotations

import os
from typing import Any

from rongcuo.cases.models import Case

from .support import chinese_outside_content, shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def _check(page: Any, name: str) -> None:
    assert page.locator("html").get_attribute("lang") == "en", page.url
    found = chinese_outside_content(page)
    assert not found, f"Chinese interface text on {page.url}: {found}"
    shot(page, name)


def _english(page: Any, site: Any) -> None:
    page.goto(site.url("/"))
    page.get_by_role("button", name="English").click()


def test_review_pages_in_english(site: Any, demo: dict[str, Case], new_page: Any) -> None:
    notice, panel_case, refused = demo["ZJ-2024-204"], demo["ZJ-2024-202"], demo["ZJ-2024-205"]
    decided_sz = demo["SZ-2024-103"]
    public = new_page(locale="en-US")
    _english(public, site)
    for path, name in [("/notices/", "en-notices"), (f"/notices/{notice.pk}/", "en-notice")]:
        public.goto(site.url(path))
        _check(public, name)
    public.get_by_role("button", name="Submit the objection").click()
    assert "This field is required" in public.locator("#obj-name-error").inner_text()
    _check(public, "en-notice-refused")

    expert = new_page(locale="en-US")
    _english(expert, site)
    site.login(expert, "expert_li")
    expert.goto(site.url("/expert/"))
    _check(expert, "en-expert-home")
    expert.goto(site.url(f"/expert/cases/{panel_case.pk}/review/"))
    _check(expert, "en-expert-review")

    staff = new_page(locale="en-US")
    _english(staff, site)
    site.login(staff, "zj_caseworker")
    for path, name in [(f"/cases/{panel_case.pk}/", "en-case-panel"), (f"/cases/{notice.pk}/", "en-case-notice"),
                       (f"/cases/{refused.pk}/", "en-case-refused-letter"), ("/dashboard/", "en-dashboard"),
                       ("/registry/import/", "en-registry-import")]:
        staff.goto(site.url(path))
        _check(staff, name)

    committee = new_page(locale="en-US")
    _english(committee, site)
    site.login(committee, "zj_committee")
    for c, name in [(demo["ZJ-2024-203"], "en-committee-to-decide"), (refused, "en-committee-decided")]:
        committee.goto(site.url(f"/committee/cases/{c.pk}/"))
        _check(committee, name)

    sz = new_page(locale="en-US")
    _english(sz, site)
    site.login(sz, "sz_caseworker")
    sz.goto(site.url(f"/cases/{decided_sz.pk}/"))
    _check(sz, "en-case-obligations")
