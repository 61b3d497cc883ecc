from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from rongcuo.cases.models import Case
from rongcuo.demo.world import World
from rongcuo.engine.pack import Registry, default_root
from tests.factories import Api, Clock, Today, file_case

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.load(default_root())


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    return Today(monkeypatch)


@pytest.fixture
def as_user(world: World):
    def make(name: str | None) -> Api:
        return Api(world.users[name] if name else None)
    return make


@pytest.fixture
def sz_case(world: World, as_user: Any, today: Today) -> dict[str, Any]:
    """A Shenzhen case filed by wang on 2025-09-10 (a milestone assessment failed)."""
    today.set(dt.date(2025, 9, 10))
    return file_case(as_user("wang"), world, "sz_chip", "wang", "shenzhen-tolerance-guideline", "2025-09-10",
                     "里程碑考核未通过")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, dt.date(2025, 10, 9))


@pytest.fixture
def demo(db: Any, clock: Clock) -> dict[str, Case]:
    """The demo data (rongcuo.demo.cases, loaded once per session), its cases by project code."""
    return {c.project.code: c for c in Case.objects.select_related("project")}
