from __future__ import annotations

import datetime as dt

import pytest

from rongcuo.demo.monitoring import add_yunnan
from rongcuo.demo.world import World
from tests.factories import Api


class Today:
    """The date the services see as today (clocks and deadlines run on it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.value = dt.date(2025, 9, 1)
        monkeypatch.setattr("rongcuo.cases.clock.today", lambda: self.value)
        monkeypatch.setattr("rongcuo.monitoring.services.today", lambda: self.value)

    def set(self, value: dt.date) -> None:
        self.value = value


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    return Today(monkeypatch)


@pytest.fixture
def yunnan(world: World) -> World:
    """A Yunnan department, a host unit, a researcher and two running projects, added to the world."""
    return add_yunnan(world)


URLS = "tests.monitoring.urls"


@pytest.fixture
def as_user(world: World):
    def make(name: str | None) -> Api:
        return Api(world.users[name] if name else None)
    return make
