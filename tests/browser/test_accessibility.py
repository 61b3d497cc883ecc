"""axe-core (installed from npm with its lock file, tests/browser/axe) on the main pages: no serious or critical
violations, in Chinese and in English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"


def violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")
    return list(result)


@pytest.mark.parametrize("lang", ["zh-CN", "en-US"])
def test_main_pages_have_no_serious_accessibility_violations(browser, site, demo, lang) -> None:
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run `npm ci` in tests/browser/axe (python3 dev.py test does)")
    # axe is injected as an inline script, which the site's CSP rightly forbids: bypass CSP for this check only.
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale=lang, bypass_csp=True)
    page = ctx.new_page()
    try:
        if lang == "en-US":
            page.goto(site.url("/"))
            page.get_by_role("button", name="English").click()
        case = next(iter(demo.values()))
        public = ["/", "/self-check/", "/self-check/?pack=shenzhen-tolerance-guideline", "/packs/",
                  "/packs/zhejiang-implementing-opinion/",
                  "/packs/compare/?a=shenzhen-tolerance-guideline&b=zhejiang-implementing-opinion",
                  "/accounts/login/"]
        found: dict[str, list[str]] = {}
        for path in public:
            page.goto(site.url(path))
            found[path] = violations(page)
        site.login(page, "sz_caseworker")
        for path in ["/work/", f"/cases/{case.pk}/"]:
            page.goto(site.url(path))
            found[path] = violations(page)
        bad = {p: v for p, v in found.items() if v}
        assert not bad, bad
    finally:
        ctx.close()


def test_pages_fit_a_phone_screen(browser, site, demo) -> None:
    # A scrolling table holds its visually hidden texts, and a filter's select is no wider than the screen, however
    # long its options (the packs' titles, a bureau's English name).
    ctx = browser.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN")
    page = ctx.new_page()
    wide = {}
    try:
        paths = ["/notices/", "/", "/packs/", "/packs/compare/"]
        for path in paths:
            page.goto(site.url(path))
            wide[path] = page.evaluate("document.documentElement.scrollWidth")
        site.login(page, "sz_caseworker")
        page.goto(site.url("/work/"))
        wide["/work/"] = page.evaluate("document.documentElement.scrollWidth")
        page.get_by_role("button", name="English").click()
        for path in ["/work/", "/packs/"]:
            page.goto(site.url(path))
            wide[f"{path} (en)"] = page.evaluate("document.documentElement.scrollWidth")
    finally:
        ctx.close()
    assert {p: w for p, w in wide.items() if w > 390} == {}, wide
