"""Scenario tests that live beside each pack (tests/*.yaml)."""

from __future__ import annotations

from dataclasses import dataclass

from .decide import decide
from .facts import InputError, parse_facts
from .pack import Pack


@dataclass(frozen=True)
class ScenarioResult:
    pack: str
    where: str
    name: str
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


def run_scenarios(pack: Pack) -> list[ScenarioResult]:
    out = []
    for where, sc in pack.scenarios:
        fails: list[str] = []
        try:
            facts = parse_facts(pack.facts, sc.facts, accepted=pack.accepted_facts)
            res = decide(pack, facts, sc.date or pack.meta.effective_from, sc.determination)
        except (InputError, LookupError) as exc:
            out.append(ScenarioResult(pack.ref, where, sc.name, (f"cannot run: {exc}",)))
            continue
        exp = sc.expect
        if res.outcome != exp.outcome:
            fails.append(f"outcome: expected {exp.outcome}, got {res.outcome}")
        if exp.decisive is not None and res.decisive != exp.decisive:
            fails.append(f"decisive: expected {exp.decisive}, got {res.decisive}")
        if exp.needed is not None and res.needed != exp.needed:
            fails.append(f"needed: expected {exp.needed}, got {res.needed}")
        if exp.overrides is not None and res.overrides != exp.overrides:
            fails.append(f"overrides: expected {exp.overrides}, got {res.overrides}")
        if exp.obligations is not None:
            got = [ob.id for _, ob, _ in res.obligations]
            if got != exp.obligations:
                fails.append(f"obligations: expected {exp.obligations}, got {got}")
        out.append(ScenarioResult(pack.ref, where, sc.name, tuple(fails)))
    return out

