"""The one clock of cases: services and selectors read today's date here, so a test sets the date for all of them
by patching `rongcuo.cases.clock.today` (the procedure's clocks run on it)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def today() -> dt.date:
    """The date the procedure takes as today."""
    return timezone.localdate()
