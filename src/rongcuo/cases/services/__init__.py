"""Every change to a case goes through one of these functions: one transaction, one audit event.

Names follow `<entity>_<action>`; the acting user is always an explicit keyword argument. Errors are
`rongcuo.common.errors.ServiceError`s with a code, a message in Chinese and English and the field, and a
failed call leaves stored data as it was.

One module per part of a case: `filing`, `facts`, `evidence`, `transitions`, `deadlines`, `objections` (with the
experts assigned), `drafts` (and applications filed with their materials), `receipts` (the acceptance receipt);
`base` holds what they share (the row lock, the version, the procedure, the determination).
Callers use the names below from the package.

`today` is the one clock of the package: every module reads it from here, so a test sets the date for all of
them by patching `rongcuo.cases.services.today`.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from rongcuo.cases.services.base import (
    case_bump,
    case_evaluate,
    case_fact_input,
    case_lock,
    case_snapshot,
    current_facts,
    pack_procedure,
)
from rongcuo.cases.services.deadlines import (
    case_deadlines,
    deadline_extend,
    deadline_state,
    deadlines_recompute,
    deadlines_sweep,
    display_calendar,
    due_soon_until,
    limit_days,
)
from rongcuo.cases.services.drafts import (
    MAX_DRAFTS_PER_APPLICANT,
    application_file,
    application_materials,
    draft_delete,
    draft_file,
    draft_save,
)
from rongcuo.cases.services.evidence import evidence_store, evidence_upload
from rongcuo.cases.services.facts import case_set_facts
from rongcuo.cases.services.filing import case_create, case_update
from rongcuo.cases.services.objections import contact_valid, expert_assign, objection_answer, objection_file
from rongcuo.cases.services.receipts import receipt_data, receipt_prepare, receipt_store
from rongcuo.cases.services.transitions import available_transitions, case_transition


def today() -> dt.date:
    """The date the services take as today (the procedure's clocks run on it)."""
    return timezone.localdate()


__all__ = [
    "MAX_DRAFTS_PER_APPLICANT",
    "application_file",
    "application_materials",
    "available_transitions",
    "case_bump",
    "case_create",
    "case_deadlines",
    "case_evaluate",
    "case_fact_input",
    "case_lock",
    "case_set_facts",
    "case_snapshot",
    "case_transition",
    "case_update",
    "contact_valid",
    "current_facts",
    "deadline_extend",
    "deadline_state",
    "deadlines_recompute",
    "deadlines_sweep",
    "display_calendar",
    "draft_delete",
    "draft_file",
    "draft_save",
    "due_soon_until",
    "evidence_store",
    "evidence_upload",
    "expert_assign",
    "limit_days",
    "objection_answer",
    "objection_file",
    "pack_procedure",
    "receipt_data",
    "receipt_prepare",
    "receipt_store",
    "today",
]
