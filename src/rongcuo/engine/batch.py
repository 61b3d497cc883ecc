"""Deciding many cases at once, and the policy impact of a new pack version (政策影响评估)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import conditions as C
from .decide import Result, decide
from .facts import FactSet, InputError, parse_facts
from .model import FactDef, FactType
from .pack import Pack

TRUE_WORDS = {"true", "1", "yes", "y", "是", "真"}
FALSE_WORDS = {"false", "0", "no", "n", "否", "假"}
RESERVED_COLUMNS = ("case_id", "on")


@dataclass(frozen=True)
class CaseInput:
    where: str  # file:line, for error messages
    case_id: str
    on: dt.date | None
    facts: Mapping[str, Any]


def parse_case(obj: Any, where: str, default_id: str) -> CaseInput:
    """One case object: {"case_id": ..., "on": "YYYY-MM-DD", "facts": {...}}."""
    if not isinstance(obj, Mapping):
        raise InputError(where, "a case is a JSON object with `facts` (and optionally `case_id`, `on`)")
    extra = set(obj) - {"case_id", "on", "facts", "note"}
    if extra:
        raise InputError(f"{where}: {sorted(extra)[0]}", "unknown key; a case has case_id, on, facts, note")
    if "facts" not in obj or not isinstance(obj["facts"], Mapping):
        raise InputError(f"{where}: facts", "required: an object mapping fact ids to values (null = unknown)")
    on = None
    if obj.get("on") is not None:
        try:
            on = dt.date.fromisoformat(str(obj["on"]))
        except ValueError:
            raise InputError(f"{where}: on", f"expected a date as YYYY-MM-DD, got {obj['on']!r}") from None
    return CaseInput(where, str(obj.get("case_id") or default_id), on, obj["facts"])


def read_case_file(path: Path) -> CaseInput:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read: {exc}") from None
    return parse_case(obj, path.name, path.stem)


def _csv_value(fact: FactDef | None, raw: str, where: str) -> Any:
    raw = raw.strip()
    if raw == "" or raw.lower() in {"null", "unknown", "未知"}:
        return None
    if fact is None:
        return raw
    if fact.type is FactType.bool:
        low = raw.lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        raise InputError(f"{where}: {fact.id}", f"expected true/false (是/否, 1/0) or blank for unknown, got {raw!r}")
    if fact.type in (FactType.number, FactType.money, FactType.age):
        try:
            num = float(raw)
        except ValueError:
            raise InputError(f"{where}: {fact.id}", f"expected a number, got {raw!r}") from None
        return int(num) if num.is_integer() and fact.type is not FactType.number else num
    return raw


def iter_cases(path: Path, vocabulary: Mapping[str, FactDef]) -> Iterator[CaseInput]:
    """Cases from a .jsonl file (one case object a line) or a .csv file (columns case_id, on, fact ids)."""
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read: {exc}") from None
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        for col in reader.fieldnames or []:
            if col not in RESERVED_COLUMNS and col not in vocabulary:
                raise InputError(f"{path.name}: column {col!r}", "not a known fact id (nor case_id/on)")
        for n, row in enumerate(reader, start=2):
            where = f"{path.name}:{n}"
            facts = {k: _csv_value(vocabulary.get(k), v or "", where) for k, v in row.items()
                     if k not in RESERVED_COLUMNS and k is not None}
            yield parse_case({"case_id": row.get("case_id") or f"row-{n}", "on": row.get("on") or None,
                              "facts": facts}, where, f"row-{n}")
    elif suffix in (".jsonl", ".ndjson"):
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path.name}:{n}", f"malformed JSON: {exc.msg} (column {exc.colno})") from None
            yield parse_case(obj, f"{path.name}:{n}", f"line-{n}")
    else:
        raise InputError(str(path), "expected a .jsonl or .csv file")


@dataclass
class BatchOutcome:
    case_id: str
    result: Result


def decide_cases(cases: list[CaseInput], pick: Callable[[dt.date], Pack], default_on: dt.date,
                 progress: Callable[[int], None] | None = None,
                 known: Mapping[str, FactDef] | None = None) -> list[BatchOutcome]:
    """Validate every case first (nothing is decided if one is bad), then decide them all."""
    parsed = []
    for c in cases:
        on = c.on or default_on
        pack = pick(on)
        try:
            facts = parse_facts(pack.facts, c.facts, accepted={**(known or {}), **pack.accepted_facts})
        except InputError as exc:
            raise InputError(f"{c.where}: {exc.field}", exc.message) from None
        parsed.append((c.case_id, pack, facts, on))
    out = []
    for i, (cid, pack, facts, on) in enumerate(parsed):
        out.append(BatchOutcome(cid, decide(pack, facts, on)))
        if progress and i % 1000 == 999:
            progress(1000)
    if progress:
        progress(len(parsed) % 1000)
    return out


@dataclass
class Impact:
    old: str
    new: str
    total: int = 0
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    changed: list[dict[str, Any]] = field(default_factory=list)
    patterns: int = 0  # distinct fact patterns decided (impact_values)

    @property
    def changed_count(self) -> int:
        return sum(n for (a, b), n in self.transitions.items() if a != b)


def impact(cases: list[CaseInput], old: Pack, new: Pack, default_on: dt.date,
           progress: Callable[[int], None] | None = None, keep: int = 1000,
           known: Mapping[str, FactDef] | None = None) -> Impact:
    """Re-decide the same cases under two pack versions and report which outcomes change and why."""
    rep = Impact(old.ref, new.ref)
    vocab = {**old.facts, **new.facts}
    accepted = {**(known or {}), **old.accepted_facts, **new.accepted_facts}
    for i, c in enumerate(cases):
        try:
            facts = parse_facts(vocab, c.facts, accepted=accepted)
        except InputError as exc:
            raise InputError(f"{c.where}: {exc.field}", exc.message) from None
        on = c.on or default_on
        a = decide(old, facts, on)
        b = decide(new, facts, on)
        rep.total += 1
        rep.transitions[(a.outcome, b.outcome)] += 1
        if a.outcome != b.outcome and len(rep.changed) < keep:
            rep.changed.append({"case_id": c.case_id, "old": a.outcome, "new": b.outcome,
                                "old_decisive": a.decisive, "new_decisive": b.decisive,
                                "new_needed": b.needed})
        if progress and i % 1000 == 999:
            progress(1000)
    if progress:
        progress(rep.total % 1000)
    return rep


def impact_values(cases: Iterable[tuple[str, Mapping[str, Any]]], old: Pack, new: Pack, on: dt.date,
                  keep: int = 1000) -> Impact:
    """Policy impact over already-validated past cases (e.g. as stored): (case id, fact values) pairs.

    An outcome depends only on the values of the facts the two packs read, so the cases are grouped by
    their pattern of those values, each pattern is decided once under each version, and the counts are
    multiplied out. A second, early-stopping pass names the first `keep` changed cases with their reasons.
    """
    rep = Impact(old.ref, new.ref)
    read = sorted({f for p in (old, new) for c in p.clauses.values() for f in c.facts}
                  | {f for p in (old, new) for nodes in p.determination_nodes.values() for n in nodes
                     for f in C.facts_read(n)})
    cases = cases if isinstance(cases, list) else list(cases)
    counts: dict[tuple[Any, ...], int] = {}
    get = counts.get
    for _, values in cases:
        key = tuple(map(values.get, read))
        counts[key] = get(key, 0) + 1
    changed: dict[tuple[Any, ...], tuple[Result, Result]] = {}
    for key, n in counts.items():
        facts = FactSet({f: v for f, v in zip(read, key, strict=True) if v is not None})
        a, b = decide(old, facts, on), decide(new, facts, on)
        rep.transitions[(a.outcome, b.outcome)] += n
        if a.outcome != b.outcome:
            changed[key] = (a, b)
    rep.total = len(cases)
    rep.patterns = len(counts)
    if changed and keep:
        for case_id, values in cases:
            hit = changed.get(tuple(map(values.get, read)))
            if hit is None:
                continue
            a, b = hit
            rep.changed.append({"case_id": case_id, "old": a.outcome, "new": b.outcome, "old_decisive": a.decisive,
                                "new_decisive": b.decisive, "new_needed": b.needed})
            if len(rep.changed) >= keep:
                break
    return rep
