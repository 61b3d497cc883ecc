"""Reading a case's time limits: their days under the pack, their states seen from today, the calendar to show them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

from rongcuo.cases import clock
from rongcuo.cases.models import Deadline, DeadlineStatus
from rongcuo.common.errors import Invalid
from rongcuo.common.prepared import Prepared
from rongcuo.engine.model import TimeLimit
from rongcuo.engine.pack import Pack
from rongcuo.workdays.selectors import load_calendar


def limit_days(pack: Pack, tl: TimeLimit, on: dt.date) -> tuple[int, int]:
    params = pack.params_dict(on)
    days = tl.days if tl.days is not None else params.get(tl.parameter or "")
    ext = tl.extension_days or (params.get(tl.extension_parameter) if tl.extension_parameter else 0) or 0
    if not isinstance(days, int | float):
        raise Invalid(f"政策包参数 {tl.parameter} 在 {on} 无有效值", f"pack parameter {tl.parameter} has no value on "
                      f"{on}", field="pack")
    return int(days), int(ext)


def deadline_state(d: Deadline, on: dt.date | None = None, cal: Any = None) -> str:
    """paused | overdue | due_soon | on_track | closed — due soon is within DUE_SOON_WORKING_DAYS working days."""
    on = on or clock.today()
    if d.status != DeadlineStatus.open:
        return "closed"
    if d.due_date is None:
        return "paused"
    if on > d.due_date:
        return "overdue"
    cal = cal or load_calendar(on.year, d.due_date.year)
    if cal.working_days_between(on, d.due_date) <= settings.DUE_SOON_WORKING_DAYS:
        return "due_soon"
    return "on_track"


# A case's deadlines, as `case.deadlines.all()` reads them, through a query compiled once (rongcuo.common.prepared): the
# case page and the case API list them on every view. Give `known={"case": case}` so that `d.case` asks nothing.


# A case's deadlines, as `case.deadlines.all()` reads them, through a query compiled once (rongcuo.common.prepared): the
# case page and the case API list them on every view. Give `known={"case": case}` so that `d.case` asks nothing.
case_deadlines = Prepared(lambda case_id: Deadline.objects.filter(case_id=case_id))


def display_calendar(deadlines: list[Deadline]) -> Any:
    """One calendar for SHOWING the states of these deadlines (from today to the last due date's year), read from
    the cache across requests (SharedCalendar); never for a date that is stored."""
    on = clock.today()
    last = max((d.due_date.year for d in deadlines if d.due_date), default=on.year)
    return load_calendar(min(on.year, last), max(on.year, last), shared=True)


def due_soon_until(on: dt.date, cal: Any = None) -> dt.date:
    """The last due date still "due soon" seen from `on` (DUE_SOON_WORKING_DAYS working days or fewer): the
    states of open deadlines are due-date ranges, so lists can be filtered and paged by the database."""
    cal = cal or load_calendar(on.year, on.year + 1)
    day = on
    for _ in range(366):  # a year without N working days is no calendar; stop rather than loop
        nxt = day + dt.timedelta(days=1)
        if cal.working_days_between(on, nxt) > settings.DUE_SOON_WORKING_DAYS:
            break
        day = nxt
    return day
