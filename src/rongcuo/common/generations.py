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

Within a request (between Django's request_started and request_finished signals: `begin_request`, `end_request`)
the generations are read once, all of them, with the request's first cached value, and kept for the request: a
page that reads its user from the cache and then the calendar makes one round trip for both generations, not two.
A change the request makes itself (`bump`) is kept too, so the request reads afresh what it changed; a change
another request makes meanwhile applies from the next request on, as if this one had started a moment earlier.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

GRANTS = "grants"  # role grants and organisations (rongcuo.cases.permissions)
CALENDAR = "calendar"  # the working-day calendar shown on pages (rongcuo.workdays.services)
RECORDS = "records"  # anything recorded with an audit event: replaced by every audit_append (public notices)
ACCOUNTS = "accounts"  # users, their people and API tokens (the bearer-token lookup, rongcuo.web.api)
ALL = (GRANTS, CALENDAR, RECORDS, ACCOUNTS)

# The generations read during the current request (None outside a request: every read asks the cache).
_REQUEST: ContextVar[dict[str, str] | None] = ContextVar("rongcuo_generations", default=None)


def begin_request(**kwargs: Any) -> None:
    """Signal receiver (request_started): this request reads the generations once."""
    _REQUEST.set({})


def end_request(**kwargs: Any) -> None:
    """Signal receiver (request_finished)."""
    _REQUEST.set(None)


def _key(name: str) -> str:
    return f"rongcuo:{name}:generation"


def current(name: str) -> str:
    """The current generation of `name`; read it before reading the data that is cached under it."""
    request = _REQUEST.get()
    if request is not None and name in request:
        return request[name]
    gen = cache.get(_key(name))
    if gen is None:  # first use, or evicted: a new random value can never bring back an older generation
        gen = uuid.uuid4().hex
        if not cache.add(_key(name), gen, None):
            gen = cache.get(_key(name)) or gen
    if request is not None:
        request[name] = str(gen)
    return str(gen)


def bump(name: str) -> None:
    """The data of `name` changed: entries cached under earlier generations are stale from now on."""
    request = _REQUEST.get()

    def renew() -> None:
        gen = uuid.uuid4().hex
        cache.set(_key(name), gen, None)
        if request is not None:
            request[name] = gen

    renew()
    transaction.on_commit(renew)


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
    full = f"rongcuo:{'+'.join(names)}:value:{key}"
    request = _REQUEST.get()
    if request is None:
        gen_keys = [_key(n) for n in names]
        found = cache.get_many([*gen_keys, full])
        gens = tuple(found.get(k) for k in gen_keys)
    else:  # in a request: the generations not read yet, all of them, with the value
        unread = [n for n in ALL if n not in request]
        found = cache.get_many([*(_key(n) for n in unread), full])
        for n in unread:
            if found.get(_key(n)) is not None:
                request[n] = str(found[_key(n)])
        gens = tuple(request.get(n) for n in names)
    hit = found.get(full)
    if None not in gens and hit is not None and hit[0] == gens:
        return hit[1]  # type: ignore[no-any-return]
    gens = tuple(g if g is not None else current(n) for g, n in zip(gens, names, strict=True))
    value = compute()
    cache.set(full, (gens, value), ttl)
    return value
