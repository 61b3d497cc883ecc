"""The policy packs the platform runs on: loaded once per process from RONGCUO_PACKS (or ./packs)."""

from __future__ import annotations

from functools import lru_cache

from rongcuo.engine.pack import Pack, Registry, default_root


@lru_cache(maxsize=1)
def registry() -> Registry:
    return Registry.load(default_root())


def pack_of(case: object) -> Pack:
    """The exact pack version a case was pinned to when it was filed."""
    pack_id = getattr(case, "pack_id")  # noqa: B009 - any object with the pinned reference
    version = getattr(case, "pack_version")  # noqa: B009
    return registry().get(f"{pack_id}@{version}")
