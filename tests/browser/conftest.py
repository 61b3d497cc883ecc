"""Browser journeys: Playwright's sync API driving Debian's Chromium against pytest-django's live server.

Every journey saves screenshots under test-artifacts/ (gitignored). Without /usr/bin/chromium (or the
playwright package) the journeys are skipped with the reason — except on CI, where that is a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .support import PDF

# Playwright's sync API keeps an event loop running in the test's thread; the test itself still calls the ORM
# (fixtures, assertions), which Django would otherwise refuse as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "rongcuo-demo"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The journeys are marked `browser` and, under xdist, run by one worker (one Chromium for them all)."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
            if config.pluginmanager.hasplugin("xdist"):
                item.add_marker(pytest.mark.xdist_group("browser"))


def _unavailable() -> str | None:
    if not CHROMIUM.exists():
        return (f"{CHROMIUM} is missing: install Debian's chromium and fonts-noto-cjk "
                "(python3 dev.py test does so when run as root)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run on CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """Open a fresh browser context (own cookies) and page; `new_page(locale="en-US")` for another locale."""
    contexts = []

    def make(locale: str = "zh-CN") -> Any:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def page(new_page: Any) -> Any:
    return new_page()


class Site:
    """The live server with a registry of bureaus, units, people, accounts and projects (registry.world)."""

    def __init__(self, base: str, world: Any):
        self.base = base.rstrip("/")
        self.world = world

    def url(self, path: str) -> str:
        return self.base + path

    def login(self, page: Any, username: str) -> None:
        page.goto(self.url("/accounts/login/"))
        page.get_by_label(re.compile("用户名|Username")).fill(username)
        page.get_by_label(re.compile("密码|Password")).fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        assert "/accounts/login/" not in page.url, f"login failed for {username}"

    def logout(self, page: Any) -> None:
        page.locator("header form[action$='/accounts/logout/'] button").click()
        page.wait_for_load_state()


@pytest.fixture
def site(live_server: Any, transactional_db: Any, world: Any) -> Site:
    """The live server on the test database: the registry world, or the whole demo with `demo` (loaded once per
    session and put back after each of these tests, which commit: conftest.py at the root)."""
    return Site(live_server.url, world)


@pytest.fixture
def pdf_file(tmp_path: Path) -> Path:
    path = tmp_path / "application_form.pdf"
    path.write_bytes(PDF)
    return path


@pytest.fixture
def demo(site: Site, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The demo (cases in every stage of both procedures) on the live server, as of 2025-10-09; cases by project
    code (SZ-2024-100…103, ZJ-2024-200…205)."""
    import datetime as dt

    from rongcuo.cases.models import Case

    from .support import Today

    Today(monkeypatch, dt.date(2025, 10, 9))
    return {c.project.code: c for c in Case.objects.select_related("project")}
