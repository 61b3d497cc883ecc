"""Who still has to establish what: the facts a determination still needs, grouped by the party that may establish
each one, with the clauses each fact serves.

A determination that is undetermined names its minimal set of unknown facts (`Result.needed`); the pack's vocabulary
says, for every fact, which kinds of finding may establish it (`FactDef.established_by`: the applicant's declaration,
the host unit's attestation, the bureau's investigation, the expert panel, the committee, the system). Together they
say whose turn it is. Nothing here knows a platform role or a database: the platform maps its roles to these parties.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rongcuo.engine.model import EstablishedBy, FactDef, Text
from rongcuo.engine.pack import Pack

# The parties in the order the procedure usually reaches them.
PARTY_ORDER: tuple[EstablishedBy, ...] = (
    EstablishedBy.applicant_declaration,
    EstablishedBy.host_unit_attestation,
    EstablishedBy.investigation_finding,
    EstablishedBy.expert_panel_finding,
    EstablishedBy.committee,
    EstablishedBy.system_computed,
)

PARTY_TEXT: dict[EstablishedBy, Text] = {
    EstablishedBy.applicant_declaration: Text(zh="申请人声明", en="Applicant's declaration"),
    EstablishedBy.host_unit_attestation: Text(zh="承担单位证明", en="Host unit's attestation"),
    EstablishedBy.investigation_finding: Text(zh="调查核实", en="Investigation finding"),
    EstablishedBy.expert_panel_finding: Text(zh="专家评审", en="Expert panel finding"),
    EstablishedBy.committee: Text(zh="集体审定", en="Committee"),
    EstablishedBy.system_computed: Text(zh="系统计算", en="Computed by the system"),
}


@dataclass(frozen=True)
class ClauseRef:
    """A clause a fact serves, as a person reads it: its label and the article it cites."""

    id: str
    label: Text
    article: str


@dataclass(frozen=True)
class NeededFact:
    fact: FactDef
    clauses: tuple[ClauseRef, ...]
    parties: tuple[EstablishedBy, ...]  # every party that may establish it, in PARTY_ORDER


@dataclass(frozen=True)
class PartyNeeds:
    party: EstablishedBy
    label: Text
    facts: tuple[NeededFact, ...]


def fact_clauses(pack: Pack, fact_id: str) -> tuple[ClauseRef, ...]:
    """The clauses whose conditions read `fact_id`, in the pack's order."""
    return tuple(ClauseRef(id=cid, label=cc.clause.label, article=cc.clause.cites.article)
                 for cid, cc in pack.clauses.items() if fact_id in cc.facts)


def parties_of(fdef: FactDef) -> tuple[EstablishedBy, ...]:
    """The parties that may establish a fact, in PARTY_ORDER."""
    allowed = set(fdef.established_by)
    return tuple(p for p in PARTY_ORDER if p in allowed)


def needed_facts(pack: Pack, needed: Iterable[str]) -> list[NeededFact]:
    """The still-needed facts (ids from a determination) the pack knows, each with its clauses and parties."""
    out = []
    for fid in needed:
        fdef = pack.facts.get(fid)
        if fdef is not None:
            out.append(NeededFact(fact=fdef, clauses=fact_clauses(pack, fid), parties=parties_of(fdef)))
    return out


def needed_by_party(pack: Pack, needed: Iterable[str]) -> list[PartyNeeds]:
    """The still-needed facts grouped by each party that may establish them (a fact two parties may establish is
    listed under both), parties in PARTY_ORDER, facts in the order the determination names them. Parties with
    nothing to establish are left out."""
    facts = needed_facts(pack, needed)
    groups = []
    for party in PARTY_ORDER:
        mine = tuple(f for f in facts if party in f.parties)
        if mine:
            groups.append(PartyNeeds(party=party, label=PARTY_TEXT[party], facts=mine))
    return groups


def awaiting(pack: Pack, needed: Iterable[str], parties: Sequence[EstablishedBy | str]) -> list[NeededFact]:
    """The still-needed facts that one of `parties` may establish."""
    wanted = {EstablishedBy(p) for p in parties}
    return [f for f in needed_facts(pack, needed) if wanted & set(f.parties)]
