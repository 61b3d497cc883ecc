"""Fixtures for every test, under tests/ and beside the code in src/."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate limits, cached grants and cached calendars live in the cache: each test starts with an empty one (a
    rolled-back test leaves its generations behind, and the next test's rows are not the ones cached under them)."""
    from django.core.cache import cache

    cache.clear()
