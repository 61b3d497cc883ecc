"""What a fund's pack says, read from the pack itself (no jurisdiction in Python, no Django).

- which determination checks a project's, a category's and the whole fund's loss: the one that reads the
  shared vocabulary's `project_loss_ratio`, `category_loss_ratio` or `fund_loss_ratio`;
- which determination decides the manager's due-diligence exemption: one that reads the vocabulary's
  `due_diligence_conducted` and no loss ratio — in the fund's pack, else in a pack it builds on;
- the limit a ratio is compared with (for reports and charts only: the decisions themselves are the
  engine's): the parameter of the `le`/`lt` comparison on the ratio inside the determination's exemption
  test, under the same conjunction as any condition on the category;
- the loss measure: the pack's dated parameter `loss_measure`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rongcuo.engine import conditions as C
from rongcuo.engine.pack import Pack, Registry, UnknownPack
from rongcuo.funds.measures import LossMeasure, measure_of

LEVELS = ("project", "category", "fund")
RATIO_FACT = {"project": "project_loss_ratio", "category": "category_loss_ratio", "fund": "fund_loss_ratio"}
DILIGENCE_MARKER = "due_diligence_conducted"
LOSS_MEASURE_PARAM = "loss_measure"


def _facts_deep(pack: Pack, node: C.Node, seen: set[str] | None = None) -> set[str]:
    seen = set() if seen is None else seen
    out = set(C.facts_read(node))
    for ref in C.clauses_read(node):
        if ref in seen:
            continue
        seen.add(ref)
        sub = pack.clauses[ref].node if ref in pack.clauses else None
        if sub is not None:
            out |= _facts_deep(pack, sub, seen)
    return out


def determination_facts(pack: Pack, det_id: str) -> set[str]:
    """Every fact a determination reads, through the clauses it refers to."""
    out: set[str] = set()
    for node in pack.determination_nodes[det_id]:
        out |= _facts_deep(pack, node)
    return out


def ratio_determinations(pack: Pack) -> dict[str, str]:
    """level → the first determination (in file order) reading that level's loss ratio."""
    out: dict[str, str] = {}
    for det_id in pack.determinations:
        read = determination_facts(pack, det_id)
        for level in LEVELS:
            if RATIO_FACT[level] in read and level not in out:
                out[level] = det_id
    return out


def _exemption_in(pack: Pack) -> str | None:
    ratios = set(RATIO_FACT.values())
    for det_id in pack.determinations:
        read = determination_facts(pack, det_id)
        if DILIGENCE_MARKER in read and not read & ratios:
            return det_id
    return None


def exemption_determination(pack: Pack, registry: Registry, on: dt.date) -> tuple[Pack, str] | None:
    """The pack and determination that decide the manager's due-diligence exemption for a fund under `pack`."""
    det = _exemption_in(pack)
    if det:
        return pack, det
    for base in pack.meta.builds_on:
        try:
            bp = registry.get(base, on)
        except UnknownPack:
            continue
        det = _exemption_in(bp)
        if det:
            return bp, det
    return None


def loss_measure(pack: Pack, on: dt.date) -> LossMeasure:
    """The loss measure in force on `on`; UnknownMeasure if the pack has none or an unknown one."""
    return measure_of(pack.params_dict(on).get(LOSS_MEASURE_PARAM))


def measure_source(pack: Pack, on: dt.date) -> dict[str, Any]:
    """Where the loss measure in force on `on` comes from: the parameter's dated value and its reference."""
    param = pack.parameters.get(LOSS_MEASURE_PARAM)
    if param is None:
        return {}
    found = None
    for v in param.values:
        if v.from_ <= on:
            found = v
    if found is None:
        return {}
    return {"pack": pack.ref, "parameter": LOSS_MEASURE_PARAM, "from": found.from_.isoformat(),
            "reference": found.reference,
            "note": {"zh": found.note.zh, "en": found.note.en} if found.note else None}


# --- limits (for reports: where the engine's comparison sits) ------------------------------------------

@dataclass(frozen=True)
class Limit:
    parameter: str
    value: float
    inclusive: bool  # `le` (at most, the limit itself is within) or `lt`
    reference: str
    label: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {"parameter": self.parameter, "value": self.value, "inclusive": self.inclusive,
                "reference": self.reference, "label": self.label}


def _comparisons(pack: Pack, node: C.Node, ratio_fact: str, context: tuple[C.Compare, ...],
                 seen: frozenset[str]) -> Iterator[tuple[tuple[C.Compare, ...], C.Compare]]:
    if isinstance(node, C.Compare):
        if node.fact == ratio_fact and node.op in ("le", "lt") and isinstance(node.value, C.ParamRef):
            yield context, node
    elif isinstance(node, C.All):
        here = tuple(p for p in node.parts if isinstance(p, C.Compare) and p.fact != ratio_fact
                     and p.op in ("eq", "in"))
        for part in node.parts:
            yield from _comparisons(pack, part, ratio_fact, context + here, seen)
    elif isinstance(node, C.AnyOf):
        for part in node.parts:
            yield from _comparisons(pack, part, ratio_fact, context, seen)
    elif isinstance(node, C.ClauseRef) and node.clause not in seen:
        sub = pack.clauses[node.clause].node if node.clause in pack.clauses else None
        if sub is not None:
            yield from _comparisons(pack, sub, ratio_fact, context, seen | {node.clause})


def _matches(cond: C.Compare, facts: Mapping[str, Any]) -> bool:
    if cond.fact not in facts or isinstance(cond.value, C.ParamRef):
        return False
    v = facts[cond.fact]
    return bool(v == cond.value) if cond.op == "eq" else v in cond.value


def limit_for(pack: Pack, det_id: str, level: str, on: dt.date,
              facts: Mapping[str, Any]) -> tuple[Limit, C.Compare] | None:
    """The limit the determination's exemption test compares `level`'s ratio with, given the other facts
    (e.g. the category), and the pack's comparison itself; None if no comparison applies (e.g. an industry
    project under a rule that sets a single-project limit for seed and angel projects only)."""
    exempt_node = pack.determination_nodes[det_id][2]
    params = pack.params_dict(on)
    for context, cmp in _comparisons(pack, exempt_node, RATIO_FACT[level], (), frozenset()):
        if all(_matches(c, facts) for c in context):
            assert isinstance(cmp.value, C.ParamRef)
            pid = cmp.value.param
            value = params.get(pid)
            if not isinstance(value, int | float) or isinstance(value, bool):
                continue
            p = pack.parameters[pid]
            ref = ""
            for dv in p.values:
                if dv.from_ <= on:
                    ref = dv.reference
            return Limit(pid, float(value), cmp.op == "le", ref, {"zh": p.label.zh, "en": p.label.en}), cmp
    return None
