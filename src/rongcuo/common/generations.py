"""Generations: cache keys that a change of the data behind them replaces at once.

A value cached across requests (a user's role grants, the working-day calendar) is believed only under the
generation of its data it was computed under: :func:`cached` stores it with that generation, the calendar under
a key that carries it (``rongcuo:calendar:<generation>:<year>``). Every change of that
data calls :func:`bump`, which writes a new random generation twice: at once (so the writing request itself
reads afresh) and again after its transaction commits (so a request that read the old rows while the change was
uncommitted, and cached them under the generation of that moment, is not believed afterwards). Entries of older
generations are never read again and expire with their time to live.

With RONGCUO_CACHE_URL (Redis) the generation is shared by every worker; with the per-process default cache other
workers see a change when their entries expire (`check --deploy` warns about that cache, rongcuo.W001).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

GRANTS = "grants"  # role grants and organisations (rongcuo.registry.permissions)
CALENDAR = "calendar"  # the working-day calendar shown on pages (rongcuo.workdays.services)
RECORDS = "records"  # anything recorded with an audit event: replaced by every audit_append (public notices)
ACCOUNTS = "accounts"  # users, their people and API tokens (the bearer-token lookup, rongcuo.web.api)
ALL = (GRANTS, CALENDAR, RECORDS, ACCOUNTS)


def _key(name: str) -> str:
    return f"rongcuo:{name}:generation"


def current(name: str) -> str:
    """The current generation of `name`; read it before reading the data that is cached under it."""
    gen = cache.get(_key(name))
    if gen is None:  # first use, or evicted: a new random value can never bring back an older generation
        gen = uuid.uuid4().hex
        if not cache.add(_key(name), gen, None):
            gen = cache.get(_key(name)) or gen
    return str(gen)


def bump(name: str) -> None:
    """The data of `name` changed: entries cached under earlier generations are stale from now on."""
    cache.set(_key(name), uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(_key(name), uuid.uuid4().hex, None))


def bump_all() -> None:
    """Everything cached under a generation is stale (a database restored from a backup)."""
    for name in ALL:
        bump(name)


def cached(name: str | tuple[str, ...], key: str, ttl: int, compute: Callable[[], T]) -> T:
    """`compute()`, kept in the cache for `ttl` seconds and believed while the generation of `name` (or of each
    of several names, for a value derived from their data together) is the one it was computed under. One round
    trip to the cache on a hit: the generations and the value are read together (the value is stored with the
    generations read before computing it, so a value computed while a change was uncommitted carries a
    generation that change replaces). `compute` must not return None (None is "not cached")."""
    names = (name,) if isinstance(name, str) else name
    gen_keys = [_key(n) for n in names]
    full = f"rongcuo:{'+'.join(names)}:value:{key}"
    found = cache.get_many([*gen_keys, full])
    gens = tuple(found.get(k) for k in gen_keys)
    hit = found.get(full)
    if None not in gens and hit is not None and hit[0] == gens:
        return hit[1]  # type: ignore[no-any-return]
    gens = tuple(g if g is not None else current(n) for g, n in zip(gens, names, strict=True))
    value = compute()
    cache.set(full, (gens, value), ttl)
    return value
