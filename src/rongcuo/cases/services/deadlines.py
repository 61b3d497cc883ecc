"""The procedure's deadlines: opened, paused and closed by the transitions, extended once, recomputed when the
official calendar changes, shown as states, and swept for warnings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from rongcuo.audit.services import audit_append
from rongcuo.cases import clock, hooks
from rongcuo.cases import permissions as perm
from rongcuo.cases.models import Case, Deadline, DeadlineStatus, DeadlineWarning
from rongcuo.cases.selectors import deadline_state, limit_days, pack_procedure
from rongcuo.cases.services.base import case_bump, case_lock
from rongcuo.common.errors import Conflict, Invalid, NotFound
from rongcuo.common.packs import pack_of
from rongcuo.engine.model import TimeLimit, Transition
from rongcuo.engine.pack import Pack, UnknownPack
from rongcuo.workdays.counting import Due
from rongcuo.workdays.selectors import due_date, load_calendar
from rongcuo.workdays.services import on_calendar_change


def open_deadlines(case: Case, pack: Pack, *, event: str, on: dt.date) -> None:
    proc = pack_procedure(pack)
    limits: list[tuple[str, str, str, TimeLimit]] = []
    if proc.overall_time_limit and proc.overall_time_limit.from_event == event:
        limits.append(("overall", "认定工作时限", "Time limit for the determination", proc.overall_time_limit))
    for s in proc.stages:
        if s.time_limit and s.time_limit.from_event == event:
            limits.append((f"stage:{s.id}", f"{s.label.zh}期限", f"{s.label.en} period", s.time_limit))
    for key, zh, en, tl in limits:
        earlier = case.deadlines.filter(key=key).exclude(status=DeadlineStatus.cancelled)
        if earlier.filter(status=DeadlineStatus.open).exists() or (key == "overall" and earlier.exists()):
            continue  # e.g. re-accepting after supplementary material does not restart the clock
        # A stage's period that ran and closed when the case left the stage runs anew when the case comes back
        # (e.g. the notice of a new decision after the case was investigated again); the old one stays closed.
        days, ext = limit_days(pack, tl, case.relevant_date)
        d = Deadline(case=case, key=key, label_zh=zh, label_en=en, start_date=on, days=days, day_kind=tl.day_kind,
                     start_day_counts=tl.start_day_counts, roll_to_workday=tl.roll_to_workday,
                     extension_available=ext, pausable="awaiting_supplement" in tl.paused_while)
        _recompute(d)
        d.save()


def _pauses(d: Deadline) -> list[tuple[dt.date, dt.date]]:
    return [(dt.date.fromisoformat(a), dt.date.fromisoformat(b)) for a, b in d.pauses if b]


def _recompute(d: Deadline, calendar: Any = None) -> None:
    if d.pauses and d.pauses[-1][1] is None:
        d.due_date, d.provisional = None, False  # clock stopped while waiting for supplementary material
        return
    ext_kind = _extension_day_kind(d) if d.extension_days else d.day_kind
    if ext_kind == d.day_kind:
        due: Due = due_date(start=d.start_date, days=d.days + d.extension_days, day_kind=d.day_kind,  # type: ignore[arg-type]
                            start_day_counts=d.start_day_counts, roll_to_workday=d.roll_to_workday,
                            paused=_pauses(d), calendar=calendar)
        d.due_date, d.provisional = due.date, due.provisional
        return
    # An extension counted in another kind of day runs from the end of the base period (the start day of the
    # extension, the base due date, not counted): e.g. 15 natural days, extendable by 10 working days.
    base: Due = due_date(start=d.start_date, days=d.days, day_kind=d.day_kind,  # type: ignore[arg-type]
                         start_day_counts=d.start_day_counts, roll_to_workday=d.roll_to_workday, paused=_pauses(d),
                         calendar=calendar)
    ext: Due = due_date(start=base.date, days=d.extension_days, day_kind=ext_kind,  # type: ignore[arg-type]
                        start_day_counts=False, roll_to_workday=d.roll_to_workday, paused=_pauses(d),
                        calendar=calendar)
    d.due_date, d.provisional = ext.date, base.provisional or ext.provisional


def _extension_day_kind(d: Deadline) -> str:
    """The day kind the pack counts this deadline's extension in (`extension_day_kind`, default its own)."""
    try:
        proc = pack_of(d.case).procedure
    except UnknownPack:
        return d.day_kind
    tl: TimeLimit | None = None
    if proc is not None and d.key == "overall":
        tl = proc.overall_time_limit
    elif proc is not None and d.key.startswith("stage:"):
        tl = next((s.time_limit for s in proc.stages if s.id == d.key[len("stage:"):]), None)
    return (tl.extension_day_kind if tl else None) or d.day_kind


def deadlines_after_transition(case: Case, pack: Pack, t: Transition, from_stage: str, day: dt.date,
                                terminal: frozenset[str]) -> None:
    for d in case.deadlines.filter(status=DeadlineStatus.open):
        changed = False
        if d.pausable and t.clock == "pause" and not (d.pauses and d.pauses[-1][1] is None):
            d.pauses = [*d.pauses, [day.isoformat(), None]]
            changed = True
        elif d.pausable and t.clock == "resume" and d.pauses and d.pauses[-1][1] is None:
            d.pauses = [*d.pauses[:-1], [d.pauses[-1][0], day.isoformat()]]
            changed = True
        closes = (d.key == f"stage:{from_stage}" and t.to != from_stage) or (d.key == "overall" and t.to in terminal)
        if changed:
            _recompute(d)
        if closes:
            d.status = DeadlineStatus.met if (d.due_date is None or day <= d.due_date) else DeadlineStatus.missed
            d.closed_on = day
        d.save()
    open_deadlines(case, pack, event=t.action, on=day)


@transaction.atomic
def deadline_extend(*, case: Case, actor: Any, key: str = "overall", reason: str,
                    expected_version: int | None = None) -> Deadline:
    """Grant the pack's extension once (深圳：复杂情况可延长), with the reason recorded."""
    perm.require_any(actor, case, {"caseworker"}, "延长期限", "extend a deadline")
    case = case_lock(case, expected_version)
    pack_of(case, verify=True)  # the extension is the pinned text's
    if not reason.strip():
        raise Invalid("延长期限须说明理由", "an extension requires a reason", field="reason")
    d = case.deadlines.select_for_update().filter(key=key, status=DeadlineStatus.open).first()
    if d is None:
        raise NotFound(f"没有进行中的期限 {key}", f"no open deadline {key}", field="key")
    if not d.extension_available or d.extension_days:
        raise Conflict("该期限不可延长或已延长", "this deadline cannot be extended, or already was", field="key")
    before = {"due_date": d.due_date, "provisional": d.provisional}
    d.extension_days = d.extension_available
    _recompute(d)
    d.save()
    case_bump(case)
    audit_append(actor=actor, action="deadline.extend", subject=case, before=before,
                 after={"key": key, "due_date": d.due_date, "extension_days": d.extension_days, "reason": reason})
    return d


def deadlines_recompute(years: Iterable[int] | None = None) -> int:
    """Recompute every open deadline (after a calendar change); returns how many due dates changed."""
    open_ = list(Deadline.objects.filter(status=DeadlineStatus.open).select_related("case"))
    if not open_:
        return 0
    lo = min(d.start_date.year for d in open_)
    cal = load_calendar(lo, lo + 3)
    changed = 0
    with transaction.atomic():
        for d in open_:
            before = (d.due_date, d.provisional)
            _recompute(d, cal)
            if (d.due_date, d.provisional) != before:
                d.save(update_fields=["due_date", "provisional"])
                audit_append(actor=None, action="deadline.recompute", subject=d.case,
                             before={"key": d.key, "due_date": before[0], "provisional": before[1]},
                             after={"key": d.key, "due_date": d.due_date, "provisional": d.provisional,
                                    "years": sorted(years or [])})
                changed += 1
    return changed


@on_calendar_change
def _calendar_changed(years: frozenset[int]) -> None:
    deadlines_recompute(years)


def deadlines_sweep(*, on: dt.date | None = None) -> int:
    """Record a warning for each deadline newly due soon or overdue; running it twice records nothing new."""
    on = on or clock.today()
    count = 0
    qs = Deadline.objects.filter(status=DeadlineStatus.open, due_date__isnull=False).select_related("case")
    cal = load_calendar(on.year, on.year + 2)
    for d in qs.iterator(chunk_size=2000):
        state = deadline_state(d, on, cal)
        if state not in ("due_soon", "overdue"):
            continue
        try:
            with transaction.atomic():
                warning = DeadlineWarning.objects.create(deadline=d, kind=state, raised_on=on, due_date=d.due_date)
                audit_append(actor=None, action=f"deadline.{state}", subject=d.case,
                             after={"key": d.key, "due_date": d.due_date, "on": on})
                for warned in hooks.ON_DEADLINE_WARNING:  # notifications: whose work the deadline waits for
                    warned(warning=warning)
                count += 1
        except IntegrityError:
            continue  # already warned for this due date
    return count
