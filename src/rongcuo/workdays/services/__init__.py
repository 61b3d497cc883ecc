"""工作日历服务 Loading, editing and reading the official working-day calendar.

Three ways a day gets its status, in increasing authority (a weaker one never overwrites a stronger one):

1. ``calendar_seed``      — the ``chinesecalendar`` library (2004 up to its last covered year);
2. ``calendar_load_file`` — a State Council notice (国务院办公厅 放假安排通知) typed into a CSV/JSON file,
                            for a year the library does not know yet;
3. ``calendar_set_day``   — an administrator's correction of one day.

After any change, the functions registered with :func:`on_calendar_change` are called (once the
transaction commits) with the affected years, so open deadlines can be recomputed.

One module each: ``seed``, ``files``, ``edits`` and ``hooks`` (the change hooks). Reading the calendar and counting
due dates on it is ``rongcuo.workdays.selectors``. Callers use the names below from the package.
"""

from __future__ import annotations

from rongcuo.workdays.services.edits import ADMIN_SOURCE, calendar_set_day
from rongcuo.workdays.services.files import CalendarFileError, calendar_load_file, parse_calendar_file
from rongcuo.workdays.services.hooks import CalendarHook, on_calendar_change, remove_calendar_change_hook
from rongcuo.workdays.services.seed import HOLIDAY_NAMES_ZH, calendar_seed, chinesecalendar_years

__all__ = [
    "ADMIN_SOURCE",
    "HOLIDAY_NAMES_ZH",
    "CalendarFileError",
    "CalendarHook",
    "calendar_load_file",
    "calendar_seed",
    "calendar_set_day",
    "chinesecalendar_years",
    "on_calendar_change",
    "parse_calendar_file",
    "remove_calendar_change_hook",
]
