"""Determinations (认定结论): outcome, trace, facts still needed, frozen records and replay."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, overload

from . import conditions as C
from .facts import FactSet, parse_facts
from .model import ClauseKind, Obligation
from .pack import Pack, Registry

EXEMPT, NOT_EXEMPT, OUT_OF_SCOPE, UNDETERMINED = "exempt", "not_exempt", "out_of_scope", "undetermined"
OUTCOMES = (EXEMPT, NOT_EXEMPT, OUT_OF_SCOPE, UNDETERMINED)
RECORD_VERSION = 1


def combine(scope: C.Tri, excluded: C.Tri, exempt: C.Tri) -> str:
    """scope false → out of scope; an exclusion → not exempt; else the exemption test decides."""
    if scope is False:
        return OUT_OF_SCOPE
    if scope is True:
        if excluded is True or exempt is False:  # excluded or not, a failed exemption test refuses
            return NOT_EXEMPT
        if excluded is False and exempt is True:
            return EXEMPT
    return UNDETERMINED


def _possible(value: C.Tri) -> tuple[bool, ...]:
    return (True, False) if value is None else (value,)


T = TypeVar("T")


class memo(Generic[T]):
    """A lock-free cached property (functools.cached_property takes a lock on Python 3.11)."""

    def __init__(self, fn: Callable[[Any], T]):
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, cls: type) -> memo[T]: ...
    @overload
    def __get__(self, obj: object, cls: type) -> T: ...
    def __get__(self, obj: object | None, cls: type) -> T | memo[T]:
        if obj is None:
            return self
        value = self.fn(obj)
        obj.__dict__[self.name] = value
        return value


class DecisionError(LookupError):
    pass


class Result:
    """One determination of one case under one pack version, with everything needed to explain it.

    Construction records every clause value (the full trace); the explanations — decisive clauses,
    facts still needed, overrides, obligations — are derived from those values when first read.
    """

    __slots__ = ("__dict__", "components", "determination", "facts", "on", "outcome", "pack", "values")

    def __init__(self, pack: Pack, determination: str, on: dt.date, facts: FactSet,
                 values: tuple[C.Tri, ...], components: tuple[C.Tri, C.Tri, C.Tri], outcome: str):
        self.pack = pack
        self.determination = determination
        self.on = on
        self.facts = facts
        self.values = values
        self.components = components
        self.outcome = outcome

    # -- derived -----------------------------------------------------------------------------------
    @memo
    def clause_values(self) -> dict[str, C.Tri]:
        return dict(zip(self.pack.evaluable, self.values, strict=False))

    @memo
    def _params(self) -> dict[str, Any]:
        return self.pack.params_dict(self.on)

    def _nodes(self) -> tuple[C.Node, C.Node, C.Node]:
        return self.pack.determination_nodes[self.determination]

    @memo
    def decisive(self) -> list[str]:
        """Clause ids (or fact ids used directly) on which a settled outcome rests.

        Out of scope: the failing scope clauses. Not exempt by exclusion: the exclusions that hold.
        Otherwise the parts of the exemption test that settle it (scope clauses are background then).
        """
        outcome = self.outcome
        if outcome == UNDETERMINED:
            return []
        part = 0 if outcome == OUT_OF_SCOPE else (1 if self.components[1] is True else 2)
        why: list[str] = self.pack.explainers[self.determination][part](
            self.facts.values, self.pack.params_on(self.on), self.values)
        return why

    @memo
    def needed(self) -> list[str]:
        """The minimal set of unknown facts whose values could still change an undetermined outcome."""
        if self.outcome != UNDETERMINED:
            return []
        nodes = self._nodes()
        relevant = []
        for i in range(3):
            if self.components[i] is not None:
                continue
            outcomes_by_value: dict[bool, set[str]] = {True: set(), False: set()}
            others = [_possible(c) if j != i else (None,) for j, c in enumerate(self.components)]
            for combo in itertools.product(*others):
                for v in (True, False):
                    full = list(combo)
                    full[i] = v
                    outcomes_by_value[v].add(combine(full[0], full[1], full[2]))
            if outcomes_by_value[True] != outcomes_by_value[False]:
                relevant.append(nodes[i])
        clause_nodes = {cid: c.node for cid, c in self.pack.clauses.items() if c.node is not None}
        out: list[str] = []
        for node in relevant:
            for f in C.relevant_unknowns(node, self.facts.values, self._params, self.clause_values, clause_nodes):
                if f not in out:
                    out.append(f)
        return out

    @memo
    def overrides(self) -> dict[str, list[str]]:
        """Which true exclusion overrode which true situations (or other clauses it names)."""
        out: dict[str, list[str]] = {}
        v = self.values
        for excl, i, targets in self.pack.override_plan:
            if v[i] is True:
                hit = [t for t, j in targets if v[j] is True]
                if hit:
                    out[excl] = hit
        return out

    @memo
    def consequences(self) -> list[str]:
        """Consequence clauses that follow this outcome (and whose own condition, if any, holds)."""
        cv = self.clause_values
        return [cid for cid, cc in self.pack.clauses.items()
                if cc.clause.kind is ClauseKind.consequence and self.outcome in cc.clause.applies_on
                and (not cc.clause.determinations or self.determination in cc.clause.determinations)
                and (cc.node is None or cv.get(cid) is True)]

    @memo
    def obligations(self) -> list[tuple[str, Obligation, int | None]]:
        out = []
        for cid in self.consequences:
            for ob in self.pack.clauses[cid].clause.obligations:
                days = ob.due_days
                if ob.parameter:
                    v = self._params.get(ob.parameter)
                    days = int(v) if isinstance(v, int | float) else None
                out.append((cid, ob, days))
        return out

    @memo
    def routed_to(self) -> list[Any]:
        proc = self.pack.procedure
        if not proc:
            return []
        # The routing conditions as the loader parsed them (kinds expanded over the pack's clauses, as determinations).
        return [r for r, node in zip(proc.routing, self.pack.routing_nodes, strict=True)
                if C.evaluate(node, self.facts.values, self._params, self.clause_values) is True]

    # -- records -----------------------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        """A frozen, self-contained record: enough to replay and to explain without the engine."""
        clauses = []
        for cid in self.pack.evaluable:
            cc = self.pack.clauses[cid]
            clauses.append({
                "id": cid, "kind": cc.clause.kind.value, "value": self.clause_values.get(cid),
                "cites": cc.clause.cites.model_dump(exclude_none=True),
                "facts": {f: _jsonv(self.facts.values.get(f)) for f in cc.facts},
            })
        return {
            "record_version": RECORD_VERSION,
            "pack": {"id": self.pack.id, "version": self.pack.version, "content_hash": self.pack.content_hash,
                     "status": self.pack.meta.status.value},
            "determination": self.determination,
            "on": self.on.isoformat(),
            "facts": self.facts.as_json(),
            "outcome": self.outcome,
            "components": dict(zip(("scope", "excluded", "exempt"), self.components, strict=True)),
            "decisive": self.decisive,
            "needed": self.needed,
            "overrides": self.overrides,
            "consequences": self.consequences,
            "obligations": [{"clause": cid, "id": ob.id, "due_days": days, "day_kind": ob.day_kind,
                             "from_event": ob.from_event} for cid, ob, days in self.obligations],
            "routed_to": [r.handled_by.model_dump() for r in self.routed_to],
            "parameters": {k: v for k, v in self._params.items()},
            "trace": clauses,
        }


def _jsonv(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


def decide(pack: Pack, facts: FactSet, on: dt.date, determination: str | None = None, *,
           assume_in_scope: bool = False) -> Result:
    """Decide a case under `pack` as of `on`. The hot path: one compiled call, no explanation work.

    With `assume_in_scope` the scope test is taken as met: what the pack's substantive rules would say
    if the case fell under it (used to compare jurisdictions clause by clause).
    """
    if determination is None:
        determination = pack.default_determination
    at = pack.determination_offsets.get(determination)
    if at is None:
        raise DecisionError(f"pack {pack.ref} has no determination {determination!r}; it has "
                            f"{', '.join(pack.determination_nodes)}")
    values = pack.runner(facts.values, pack.params_on(on))
    s, x, e = values[at], values[at + 1], values[at + 2]
    if assume_in_scope:
        s = True
    return Result(pack, determination, on, facts, values, (s, x, e), combine(s, x, e))


class ReplayMismatch(Exception):
    pass


def replay(record: Mapping[str, Any], registry: Registry) -> Result:
    """Re-run a frozen determination with the same pack version; refuse if the pack's content changed."""
    p = record["pack"]
    pack = registry.get(f"{p['id']}@{p['version']}")
    if pack.content_hash != p["content_hash"]:
        raise ReplayMismatch(f"pack {pack.ref} has changed since the decision (hash {p['content_hash'][:12]}… "
                             f"then, {pack.content_hash[:12]}… now)")
    facts = parse_facts(pack.facts, record["facts"], accepted=pack.accepted_facts)
    result = decide(pack, facts, dt.date.fromisoformat(record["on"]), record["determination"])
    if result.outcome != record["outcome"]:
        raise ReplayMismatch(f"replay gave {result.outcome}, the record says {record['outcome']}")
    return result
