"""After any change of the calendar, the functions registered with :func:`on_calendar_change` are called
(once the transaction commits) with the affected years, so open deadlines can be recomputed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.db import transaction

from rongcuo.common import generations
from rongcuo.workdays.selectors import CALENDAR_GENERATION

logger = logging.getLogger(__name__)

CalendarHook = Callable[[frozenset[int]], None]
_hooks: list[CalendarHook] = []


def on_calendar_change(fn: CalendarHook) -> CalendarHook:
    """Register ``fn(years)`` to be called after the calendar of ``years`` changed; usable as a decorator.

    Called through ``transaction.on_commit``: only once the change is committed, never for a rolled-back
    one. A failing hook is logged and does not stop the others (the calendar change itself stands; the
    periodic deadline sweep will catch up). Registering the same function twice has no effect.
    """
    if fn not in _hooks:
        _hooks.append(fn)
    return fn


def remove_calendar_change_hook(fn: CalendarHook) -> None:
    """Unregister a hook (for tests and for apps that are being unloaded)."""
    if fn in _hooks:
        _hooks.remove(fn)


def _fire_hooks(years: frozenset[int]) -> None:
    for fn in list(_hooks):
        try:
            fn(years)
        except Exception:
            logger.exception("日历变更回调失败 calendar change hook %r failed for years %s", fn, sorted(years))


def notify_on_commit(years: Iterable[int]) -> None:
    frozen = frozenset(years)
    if frozen:
        generations.bump(CALENDAR_GENERATION)  # calendars shown on pages (SharedCalendar) are stale from now on
        transaction.on_commit(lambda: _fire_hooks(frozen))
