"""Who still has to establish what: the engine's grouping of the facts still needed by party (pure Python)."""

from __future__ import annotations

import datetime as dt

from rongcuo.engine.decide import decide
from rongcuo.engine.facts import parse_facts
from rongcuo.engine.model import EstablishedBy
from rongcuo.engine.pack import Registry
from rongcuo.engine.tasks import PARTY_ORDER, awaiting, fact_clauses, needed_by_party

ZJ = "zhejiang-implementing-opinion"


def _needed(registry: Registry, facts: dict[str, object]) -> tuple[object, list[str]]:
    pack = registry.get(ZJ, dt.date(2025, 9, 1))
    res = decide(pack, parse_facts(pack.facts, facts), dt.date(2025, 9, 1), pack.default_determination)
    return pack, res.needed


def test_needed_facts_are_grouped_by_every_party_that_may_establish_them(registry: Registry) -> None:
    pack, needed = _needed(registry, {})
    assert needed, "an empty case is undetermined and needs facts"
    groups = needed_by_party(pack, needed)
    # parties in the procedure's order, each at most once, none without a fact
    order = [g.party for g in groups]
    assert order == [p for p in PARTY_ORDER if p in order] and len(set(order)) == len(order)
    assert all(g.facts for g in groups)
    # every needed fact is listed under each of its parties and nowhere else
    for fid in needed:
        fdef = pack.facts[fid]
        listed_under = {g.party for g in groups if fid in {f.fact.id for f in g.facts}}
        assert listed_under == set(fdef.established_by), fid
    # the host unit is asked for its attestations (Zhejiang: researcher in the province, termination applied for)
    host = next(g for g in groups if g.party is EstablishedBy.host_unit_attestation)
    assert {f.fact.id for f in host.facts} >= {"zj_researcher_in_province"}
    assert host.label.zh == "承担单位证明"


def test_each_needed_fact_names_the_clauses_it_serves(registry: Registry) -> None:
    pack, needed = _needed(registry, {})
    for group in needed_by_party(pack, needed):
        for f in group.facts:
            assert f.clauses == fact_clauses(pack, f.fact.id)
            for c in f.clauses:
                assert f.fact.id in pack.clauses[c.id].facts and c.article and c.label.zh
    assert any(f.clauses for g in needed_by_party(pack, needed) for f in g.facts)


def test_established_facts_leave_the_list_and_a_settled_case_needs_nothing(registry: Registry) -> None:
    pack, before = _needed(registry, {})
    _, after = _needed(registry, {"zj_researcher_in_province": True})
    assert "zj_researcher_in_province" in before and "zj_researcher_in_province" not in after
    _, settled = _needed(registry, {"zj_researcher_in_province": False})  # out of scope: nothing more to find
    assert needed_by_party(pack, settled) == []


def test_awaiting_picks_the_facts_of_the_given_parties(registry: Registry) -> None:
    pack, needed = _needed(registry, {})
    mine = awaiting(pack, needed, ["host_unit_attestation"])
    assert mine and all(EstablishedBy.host_unit_attestation in f.parties for f in mine)
    assert awaiting(pack, needed, []) == []
    assert needed_by_party(pack, ["no_such_fact"]) == []
