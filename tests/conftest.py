from __future__ import annotations

from pathlib import Path

import pytest

from rongcuo.engine.pack import Registry, default_root

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.load(default_root())
