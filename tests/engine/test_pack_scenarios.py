"""Every scenario test beside every pack runs here (tests/*.yaml in each pack directory)."""

from __future__ import annotations

import pytest

from rongcuo.engine.pack import Registry, default_root
from rongcuo.engine.scenarios import run_scenarios

_REGISTRY = Registry.load(default_root())
_CASES = [(p, i) for p in _REGISTRY.all() for i in range(len(p.scenarios))]


def test_every_pack_has_scenarios() -> None:
    for pack in _REGISTRY.all():
        assert pack.scenarios, f"{pack.ref} has no scenario tests"


@pytest.mark.parametrize(("pack", "index"), _CASES, ids=[f"{p.id}:{p.scenarios[i][1].name}" for p, i in _CASES])
def test_scenario(pack, index) -> None:
    result = run_scenarios(pack)[index]
    assert result.ok, f"{result.where} {result.name}: " + "; ".join(result.failures)
