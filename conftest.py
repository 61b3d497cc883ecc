"""Fixtures for every test, under tests/ and beside the code in src/."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate limits, cached grants and cached calendars live in the cache: each test starts with an empty one (a
    rolled-back test leaves its generations behind, and the next test's rows are not the ones cached under them)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _audit_anchor_dir(settings, tmp_path_factory, monkeypatch) -> None:
    """The audit chain's anchors (rongcuo.audit.anchor) go to a folder of each test's own, in this process and in the
    processes a test starts: a test's database never meets another test's anchors."""
    folder = tmp_path_factory.mktemp("audit-anchor")
    settings.RONGCUO_AUDIT_ANCHOR_DIR = str(folder)
    monkeypatch.setenv("RONGCUO_AUDIT_ANCHOR_DIR", str(folder))
