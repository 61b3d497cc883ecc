from __future__ import annotations

from pathlib import Path

import pytest

from rongcuo.engine.pack import Registry, default_root

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.load(default_root())


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Demo accounts are created per test; PBKDF2's deliberate slowness is no use there."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

