"""Where the apps built on cases join in, without cases importing them.

An app above cases (review, monitoring) registers its functions here in its AppConfig.ready(); cases calls them
at the named points. Each list is called in registration order (the apps' order in INSTALLED_APPS).

- `ON_DECISION_REOPENED`: `f(case=, actor=, reason=, action=)`, within the transaction of a transition that sends
  a decided case back to the decision stage or before it (review: the decision taken is superseded).
- `ON_CASE_DECIDED`: a `Decided` pair, within the transaction of the transition that brings a decided case to its
  terminal stage (review: exemption mark, obligations, letter). Its `prepare` runs before the transition's audit
  event, its `record` after it: see `Decided`.
- `CASE_RECORDS`: name -> a function giving the `exists_columns` relation for that kind of the case's records
  (`rongcuo.common.presence`): the case page asks only for the kinds that exist.
- `CASE_PAGE_SECTIONS`: `f(case, roles, pack) -> dict`, what each app adds to the case page's context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar


@dataclass(frozen=True)
class Decided:
    """What an app does when a decided case reaches its terminal stage, in two steps of the same transaction.

    `prepare(case=, actor=, on=)` runs before the transition writes its audit event, so before the transaction
    takes the audit chain's head lock (`rongcuo.audit.services.audit_append`), which every other write waits for
    until this transaction commits: the slow work goes here — rendering documents — with the app's own rows.
    What it returns is passed on to `record(case=, actor=, on=, prepared=)`, which runs after the transition's
    audit event, holding the head lock: what must be serialised with every other write (the next number of a
    sequence), and the app's own audit event.
    """

    prepare: Callable[..., Any]
    record: Callable[..., Any]


ON_DECISION_REOPENED: list[Callable[..., Any]] = []
ON_CASE_DECIDED: list[Decided] = []
CASE_RECORDS: dict[str, Callable[[], Any]] = {}
CASE_PAGE_SECTIONS: list[Callable[[Any, set[str], Any], dict[str, Any]]] = []

HookT = TypeVar("HookT")


def register(hooks: list[HookT], hook: HookT) -> None:
    """Add `hook` to `hooks` once (a second AppConfig.ready(), as in some test runners, adds nothing)."""
    if hook not in hooks:
        hooks.append(hook)
