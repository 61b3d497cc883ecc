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

Points where something happened that people are told about (notifications: the inbox and its e-mail). Each is
called within the transaction of the change, after it is made; a function that does more than write rows (sends
mail, calls out) must wait for the commit (`transaction.on_commit`), so a change rolled back tells nobody.

- `ON_STAGE_CHANGED`: `f(case=, from_stage=, to_stage=, action=, actor=)`, when a case is filed (`from_stage` is
  "" and `action` "file") and after every transition of its procedure (`action` the transition's; `from_stage`
  and `to_stage` are the same when it stays in its stage, e.g. an application returned to the applicant).
- `ON_CASE_ASSIGNED`: `f(case=, user=, role=, actor=)`, when a case is assigned to a person to work on: `role` is the
  case role they work on it in ("caseworker" for the caseworker it is assigned to, "expert" for an expert assigned
  to it or drawn onto its panel); `actor` is who assigned it (None for the platform).
- `ON_FACTS_REQUESTED`: `f(case=, role=, facts=, actor=)`, when the findings of some facts are asked of whoever holds
  `role` on the case (a case role such as "applicant" or "host_unit_reviewer", or a finding role of the fact
  vocabulary such as "host_unit_attestation"); `facts` are the facts' labels, each a pack `Text`, a
  {"zh": …, "en": …} mapping or a (zh, en) pair.
- `ON_OBJECTION_FILED`: `f(case=, objection=)`, when a member of the public objects during the public notice.
- `ON_DEADLINE_WARNING`: `f(warning=)`, when the deadline sweep records a due-soon or overdue warning
  (`warning.deadline` is the deadline, `warning.kind` "due_soon" or "overdue").
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
ON_STAGE_CHANGED: list[Callable[..., Any]] = []
ON_CASE_ASSIGNED: list[Callable[..., Any]] = []
ON_FACTS_REQUESTED: list[Callable[..., Any]] = []
ON_OBJECTION_FILED: list[Callable[..., Any]] = []
ON_DEADLINE_WARNING: list[Callable[..., Any]] = []

HookT = TypeVar("HookT")


def register(hooks: list[HookT], hook: HookT) -> None:
    """Add `hook` to `hooks` once (a second AppConfig.ready(), as in some test runners, adds nothing)."""
    if hook not in hooks:
        hooks.append(hook)
