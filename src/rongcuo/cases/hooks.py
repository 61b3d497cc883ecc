"""Where the apps built on cases join in, without cases importing them.

An app above cases (review, monitoring) registers its functions here in its AppConfig.ready(); cases calls them
at the named points. Each list is called in registration order (the apps' order in INSTALLED_APPS).

- `ON_DECISION_REOPENED`: `f(case=, actor=, reason=, action=)`, within the transaction of a transition that sends
  a decided case back to the decision stage or before it (review: the decision taken is superseded).
- `ON_CASE_DECIDED`: `f(case=, actor=, on=)`, within the transaction of the transition that brings a decided case
  to its terminal stage (review: exemption mark, obligations, letter).
- `CASE_RECORDS`: name -> a function giving the `exists_columns` relation for that kind of the case's records
  (`rongcuo.common.presence`): the case page asks only for the kinds that exist.
- `CASE_PAGE_SECTIONS`: `f(case, roles, pack) -> dict`, what each app adds to the case page's context.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ON_DECISION_REOPENED: list[Callable[..., Any]] = []
ON_CASE_DECIDED: list[Callable[..., Any]] = []
CASE_RECORDS: dict[str, Callable[[], Any]] = {}
CASE_PAGE_SECTIONS: list[Callable[[Any, set[str], Any], dict[str, Any]]] = []


def register(hooks: list[Callable[..., Any]], function: Callable[..., Any]) -> None:
    """Add `function` to `hooks` once (a second AppConfig.ready(), as in some test runners, adds nothing)."""
    if function not in hooks:
        hooks.append(function)
