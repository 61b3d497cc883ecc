"""An administrator's correction of one day: the last word on it."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from rongcuo.audit.services import audit_append
from rongcuo.workdays.models import CalendarDay, Origin
from rongcuo.workdays.services.hooks import notify_on_commit

ADMIN_SOURCE = "administrator"


def calendar_set_day(*, day: date, is_workday: bool, note: str, actor: str) -> CalendarDay:
    """An administrator sets one day (e.g. a correction, or an ad-hoc arrangement); returns the row.

    The day becomes administrator-owned: later seeds and file loads leave it alone. It does not mark the
    year loaded — one known day does not make a year's arrangement official. Hooks run when the day's
    working/rest status changed or the day is new (a note-only edit moves no deadline).
    """
    actor = actor.strip()
    if not actor:
        raise ValueError("须写明修改人 / actor is required")
    note = note.strip()
    with transaction.atomic():
        row = CalendarDay.objects.select_for_update().filter(date=day).first()
        moved = row is None or row.is_workday != is_workday
        before = None if row is None else {"is_workday": row.is_workday, "note": row.note, "source": row.source}
        if row is None:
            row = CalendarDay(date=day)
        row.is_workday = is_workday
        row.note = note
        row.origin = Origin.ADMIN
        row.source = ADMIN_SOURCE
        row.changed_by = actor
        row.save()
        audit_append(actor=actor, action="calendar.set_day", subject_type="workdays.calendarday",
                     subject_id=day.isoformat(), before=before, after={"is_workday": is_workday, "note": note})
        if moved:
            notify_on_commit([day.year])
    return row
