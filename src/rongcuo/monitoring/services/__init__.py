"""Every change to monitoring data, warnings, inspections and corrections goes through these functions.

Names follow `<entity>_<action>`; the acting user is an explicit keyword argument; each function is one
transaction that writes its audit event (`rongcuo.audit`), and errors are `rongcuo.common.errors.ServiceError`s
naming the field, leaving stored data as it was.

* `records`: milestones and their reports, mid-term checks (中期检查), spending against plan, changes of major
  matters and their reporting (重大事项调整变更报备).
* `sweep`: the pack's early-warning rules (monitoring.yaml) over all running projects of a bureau, set-based
  and idempotent; the warnings resolved and described.
* `inspections`: random inspections (随机抽查) that replay from their stored seed and candidate list.
* `corrections`: the correction procedure (纠错), its state table `STEPS` and its steps; `correction_sweep`
  escalates corrections whose deadline to rectify has passed. Reads are in `rongcuo.monitoring.selectors`.

Callers use the names below from the package. `today` is the one clock of the package: every module reads it
from here, so a test sets the date for all of them by patching `rongcuo.monitoring.services.today`.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from rongcuo.monitoring.packs import monitoring_pack
from rongcuo.monitoring.services.corrections import (
    ACTIONS,
    ATTACHABLE,
    AWAITING_RECTIFICATION,
    OPEN_STATES,
    STEPS,
    TERMINAL,
    Step,
    available_actions,
    correction_attach,
    correction_escalate,
    correction_hold_interview,
    correction_open,
    correction_recompute,
    correction_record_measure,
    correction_rules,
    correction_schedule_interview,
    correction_serve_notice,
    correction_submit_rectification,
    correction_sweep,
    correction_sweep_request,
    correction_verify,
    steps_from,
)
from rongcuo.monitoring.services.inspections import (
    STRATA,
    allocate,
    draw_sample,
    inspection_draw,
    inspection_item_record,
    inspection_replay,
)
from rongcuo.monitoring.services.records import (
    MILESTONE_STATUSES,
    REPORTERS,
    major_change_record,
    major_change_report,
    midterm_check_record,
    milestone_create,
    milestone_report,
    spending_report_record,
)
from rongcuo.monitoring.services.sweep import (
    CLEARED,
    SweepResult,
    monitoring_sweep,
    monitoring_sweep_request,
    warning_describe,
    warning_resolve,
)


def today() -> dt.date:
    """The date the services take as today."""
    return timezone.localdate()


__all__ = [
    "ACTIONS",
    "ATTACHABLE",
    "AWAITING_RECTIFICATION",
    "CLEARED",
    "MILESTONE_STATUSES",
    "OPEN_STATES",
    "REPORTERS",
    "STEPS",
    "STRATA",
    "TERMINAL",
    "Step",
    "SweepResult",
    "allocate",
    "available_actions",
    "correction_attach",
    "correction_escalate",
    "correction_hold_interview",
    "correction_open",
    "correction_recompute",
    "correction_record_measure",
    "correction_rules",
    "correction_schedule_interview",
    "correction_serve_notice",
    "correction_submit_rectification",
    "correction_sweep",
    "correction_sweep_request",
    "correction_verify",
    "draw_sample",
    "inspection_draw",
    "inspection_item_record",
    "inspection_replay",
    "major_change_record",
    "major_change_report",
    "midterm_check_record",
    "milestone_create",
    "milestone_report",
    "monitoring_pack",
    "monitoring_sweep",
    "monitoring_sweep_request",
    "spending_report_record",
    "steps_from",
    "today",
    "warning_describe",
    "warning_resolve",
]
