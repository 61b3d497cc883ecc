"""Case facts as input: typed values with provenance (谁、何时、依据何证据认定).

A fact given as `null`, or not given at all, is unknown — never false.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import EstablishedBy, FactDef, FactType


class InputError(ValueError):
    """Bad case input. `field` names the offending fact or key; the message says what is allowed."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Provenance:
    """Who established a fact, in which role and stage, when, and on which evidence."""

    by: str | None = None
    role: str | None = None
    at: str | None = None
    stage: str | None = None
    evidence: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"by": self.by, "role": self.role, "at": self.at, "stage": self.stage,
                             "evidence": list(self.evidence)}
        return {k: v for k, v in d.items() if v not in (None, [])}


@dataclass(frozen=True)
class FactSet:
    """Validated fact values (unknown facts absent) and the provenance of those that have one."""

    values: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Provenance] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in self.values.items():
            jv = v.isoformat() if isinstance(v, dt.date) else v
            prov = self.provenance.get(k)
            out[k] = {"value": jv, **prov.as_dict()} if prov else jv
        return out


PROVENANCE_KEYS = {"value", "by", "role", "at", "stage", "evidence"}


def _coerce(fact: FactDef, raw: Any) -> Any:
    t = fact.type
    fid = fact.id
    if t is FactType.bool:
        if isinstance(raw, bool):
            return raw
        raise InputError(fid, f"expected true or false (or null if unknown), got {raw!r}")
    if t is FactType.enum:
        allowed = [v.value for v in fact.values]
        if isinstance(raw, str) and raw in allowed:
            return raw
        raise InputError(fid, f"{raw!r} is not allowed; allowed values: {', '.join(allowed)}")
    if t is FactType.date:
        if isinstance(raw, dt.date):
            return raw
        if isinstance(raw, str):
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                pass
        raise InputError(fid, f"expected a date as YYYY-MM-DD, got {raw!r}")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InputError(fid, f"expected a number ({t.value}), got {raw!r}")
    if t is FactType.age:
        if not isinstance(raw, int) and not float(raw).is_integer():
            raise InputError(fid, f"an age is a whole number of years, got {raw!r}")
        raw = int(raw)
        if not 0 <= raw <= 150:
            raise InputError(fid, f"an age must be between 0 and 150, got {raw}")
    if t is FactType.money and raw < 0:
        raise InputError(fid, f"an amount in 元 cannot be negative, got {raw}")
    if fact.minimum is not None and raw < fact.minimum:
        raise InputError(fid, f"must be at least {fact.minimum}, got {raw}")
    if fact.maximum is not None and raw > fact.maximum:
        raise InputError(fid, f"must be at most {fact.maximum}, got {raw}")
    return raw


def _provenance(fid: str, raw: Mapping[str, Any]) -> Provenance:
    extra = set(raw) - PROVENANCE_KEYS
    if extra:
        raise InputError(fid, f"unknown key(s) {sorted(extra)}; a fact with provenance has "
                              f"{sorted(PROVENANCE_KEYS)}")
    role = raw.get("role")
    roles = [r.value for r in EstablishedBy]
    if role is not None and role not in roles:
        raise InputError(f"{fid}.role", f"{role!r} is not a role; allowed: {', '.join(roles)}")
    evidence = raw.get("evidence", [])
    if isinstance(evidence, str):
        evidence = [evidence]
    if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
        raise InputError(f"{fid}.evidence", "expected a list of evidence ids (strings)")
    for key in ("by", "at", "stage"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise InputError(f"{fid}.{key}", "expected text")
    if raw.get("at"):
        try:
            dt.datetime.fromisoformat(raw["at"])
        except ValueError:
            raise InputError(f"{fid}.at", f"expected an ISO date or date-time, got {raw['at']!r}") from None
    return Provenance(by=raw.get("by"), role=role, at=raw.get("at"), stage=raw.get("stage"),
                      evidence=tuple(evidence))


def parse_facts(vocabulary: Mapping[str, FactDef], raw: Any, *, accepted: Mapping[str, FactDef] | None = None,
                ignore_unknown: bool = False) -> FactSet:
    """Validate raw facts (e.g. from JSON) against a vocabulary.

    `accepted` holds facts that are known (e.g. to other packs) but not read by this one: they are
    validated all the same, then dropped. With `ignore_unknown`, ids outside the vocabulary are dropped
    unchecked (used when one case is tried under several packs, each reading only its own facts).
    """
    if not isinstance(raw, Mapping):
        raise InputError("facts", "expected an object mapping fact ids to values")
    values: dict[str, Any] = {}
    prov: dict[str, Provenance] = {}
    for fid, given in raw.items():
        fact = vocabulary.get(fid)
        if fact is None:
            if ignore_unknown:
                continue
            other = accepted.get(fid) if accepted is not None else None
            if other is not None:
                if isinstance(given, Mapping):
                    _provenance(fid, given)
                    given = given.get("value")
                if given is not None:
                    _coerce(other, given)
                continue
            near = sorted(vocabulary)
            raise InputError(str(fid), f"unknown fact; this pack's facts are: {', '.join(near)}")
        if isinstance(given, Mapping):
            p = _provenance(fid, given)
            given = given.get("value")
            if given is not None and (p.by or p.role or p.at or p.evidence or p.stage):
                prov[fid] = p
        if given is None:
            continue
        values[fid] = _coerce(fact, given)
    return FactSet(values, prov)
