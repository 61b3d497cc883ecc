"""The public self-check (免责自测): ask only what can still change the outcome, under one pack or all.

Answers travel in the query string (`?pack=...&f.failure_technical_route=1`), so a result page's address
reproduces it and can be shared. A fact answered "don't know" (`?`) stays unknown — the engine treats it
exactly like a fact nobody has established — and is not asked again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from rongcuo.common.explain import determination_view, materials
from rongcuo.common.i18n import tr
from rongcuo.engine.decide import Result, decide
from rongcuo.engine.facts import InputError, parse_facts
from rongcuo.engine.model import ClauseKind, FactDef, FactType
from rongcuo.engine.pack import Pack, Registry, UnknownPack

PREFIX = "f."
UNKNOWN = "?"
QUESTIONS_PER_STEP = 5
DOMAIN = "research_project"


def selfcheck_pack_ids(registry: Registry) -> list[str]:
    """Packs for failed research projects that name exemption situations (免责情形), national first."""
    order = {"national": 0, "provincial": 1, "municipal": 2, "district": 3, "development_zone": 4}
    ids = [p.id for p in registry.latest()
           if DOMAIN in p.meta.domain and p.clauses_of(ClauseKind.exemption_situation)]
    return sorted(ids, key=lambda pid: (order[registry.get(pid).meta.level], pid))


@dataclass
class Answers:
    values: dict[str, Any] = field(default_factory=dict)  # validated, typed
    unknown: set[str] = field(default_factory=set)  # answered "don't know"
    raw: dict[str, str] = field(default_factory=dict)  # as given, to carry forward in the form
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def answered(self) -> set[str]:
        return set(self.values) | self.unknown


def _typed(fact: FactDef, raw: str) -> Any:
    if fact.type is FactType.bool:
        return {"1": True, "0": False}.get(raw, raw)
    if fact.type in (FactType.number, FactType.money, FactType.age):
        try:
            number = float(raw)
        except ValueError:
            return raw
        return int(number) if number.is_integer() else number
    return raw


def parse_answers(query: QueryDict, vocabulary: dict[str, FactDef]) -> Answers:
    out = Answers()
    for key in query:
        if not key.startswith(PREFIX):
            continue
        fid, raw = key[len(PREFIX):], query.get(key, "").strip()
        fact = vocabulary.get(fid)
        if fact is None or raw == "":
            continue
        out.raw[fid] = raw
        if raw == UNKNOWN:
            out.unknown.add(fid)
            continue
        try:
            out.values[fid] = parse_facts({fid: fact}, {fid: _typed(fact, raw)}).values[fid]
        except InputError as exc:
            out.errors[fid] = exc.message
            del out.raw[fid]
    return out


@dataclass
class PackCheck:
    pack: Pack | None
    pack_id: str
    result: Result | None
    view: dict[str, Any]
    materials: list[Any]
    not_in_force: str = ""


def evaluate(registry: Registry, pack_ids: list[str], answers: Answers, on: dt.date) -> list[PackCheck]:
    out = []
    for pid in pack_ids:
        try:
            pack = registry.get(pid, on)
        except UnknownPack:
            out.append(PackCheck(None, pid, None, {}, [], not_in_force=tr(
                "{on} 无有效版本", "no version in force on {on}", on=on.isoformat())))
            continue
        facts = parse_facts(pack.facts, answers.values, ignore_unknown=True)
        result = decide(pack, facts, on)
        out.append(PackCheck(pack, pid, result, determination_view(pack, result.record()), materials(pack)))
    return out


def next_questions(checks: list[PackCheck], answers: Answers, limit: int = QUESTIONS_PER_STEP) -> list[FactDef]:
    """The first unanswered facts that could still change an outcome, taken in turn from each pack."""
    queues = [[f for f in c.result.needed if f not in answers.answered] for c in checks if c.result]
    vocab = {fid: f for c in checks if c.pack for fid, f in c.pack.facts.items()}
    out: list[str] = []
    while len(out) < limit and any(queues):
        for q in queues:
            while q and q[0] in out:
                q.pop(0)
            if q and len(out) < limit:
                out.append(q.pop(0))
    return [vocab[f] for f in out]


def without(query: QueryDict, fact_id: str) -> str:
    """The query string with one answer removed (to change it)."""
    q = query.copy()
    q.pop(PREFIX + fact_id, None)
    return q.urlencode()
