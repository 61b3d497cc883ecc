"""The audit chain's form: what is hashed for an event and how, shared by appending and verifying."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64  # the previous hash of the first event


def _default(o: Any) -> Any:
    if isinstance(o, dt.datetime | dt.date):
        return o.isoformat()
    if isinstance(o, Decimal):
        return str(o)
    if isinstance(o, set | frozenset | tuple):
        return list(o)
    raise TypeError(f"not JSON-serialisable: {type(o).__name__}")


def canonical(value: Any) -> Any:
    """JSON-safe, order-stable form of before/after data (what is stored is what is hashed)."""
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False, sort_keys=True))


def event_hash(*, seq: int, at: str, actor_name: str, action: str, subject_type: str, subject_id: str,
               before: Any, after: Any, prev_hash: str) -> str:
    body = json.dumps([seq, at, actor_name, action, subject_type, subject_id, before, after, prev_hash],
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()
