"""Fixtures for every test, under tests/ and beside the code in src/."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate limits, cached grants and cached calendars live in the cache: each test starts with an empty one (a
    rolled-back test leaves its generations behind, and the next test's rows are not the ones cached under them)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _test_settings() -> None:
    """Settings for the whole run. PBKDF2's deliberate slowness is no use to the test accounts. Django's test client
    builds the middleware chain afresh for every Client, and WhiteNoise (with autorefresh off, as in production) then
    lists every static file again, 40 ms a client; looking a file up when it is asked for costs nothing per client."""
    from django.test import override_settings

    override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                      WHITENOISE_AUTOREFRESH=True).enable()
