"""Every change to a case goes through one of these functions: one transaction, one audit event.

Names follow `<entity>_<action>`; the acting user is always an explicit keyword argument. Errors are
`rongcuo.common.errors.ServiceError`s with a code, a message in Chinese and English and the field, and a
failed call leaves stored data as it was.

One module per part of a case: `filing`, `facts`, `evidence`, `transitions`, `deadlines`, `objections` (with the
experts assigned), `drafts` (and applications filed with their materials), `receipts` (the acceptance receipt);
`base` holds what they share (the row lock, the version, the procedure, the determination).
Callers use the names below from the package.

Reads (the determination, deadlines' states, the transitions offered) are in `rongcuo.cases.selectors`; today's
date is `rongcuo.cases.clock.today`.
"""

from __future__ import annotations

from rongcuo.cases.services.assignment import case_assign, cases_assign, may_assign_others
from rongcuo.cases.services.base import case_bump, case_lock, case_snapshot
from rongcuo.cases.services.deadlines import (
    deadline_extend,
    deadlines_recompute,
    deadlines_sweep,
)
from rongcuo.cases.services.drafts import (
    MAX_DRAFTS_PER_APPLICANT,
    application_file,
    draft_delete,
    draft_file,
    draft_save,
)
from rongcuo.cases.services.evidence import evidence_store, evidence_upload
from rongcuo.cases.services.facts import case_set_facts
from rongcuo.cases.services.filing import case_create, case_update
from rongcuo.cases.services.objections import (
    FiledObjection,
    ObjectionStatusView,
    contact_valid,
    expert_assign,
    objection_answer,
    objection_answer_period,
    objection_file,
    objection_lookup,
)
from rongcuo.cases.services.receipts import receipt_data, receipt_prepare, receipt_store
from rongcuo.cases.services.transitions import case_transition

__all__ = [
    "MAX_DRAFTS_PER_APPLICANT",
    "FiledObjection",
    "ObjectionStatusView",
    "application_file",
    "case_assign",
    "case_bump",
    "case_create",
    "case_lock",
    "case_set_facts",
    "case_snapshot",
    "case_transition",
    "case_update",
    "cases_assign",
    "contact_valid",
    "deadline_extend",
    "deadlines_recompute",
    "deadlines_sweep",
    "draft_delete",
    "draft_file",
    "draft_save",
    "evidence_store",
    "evidence_upload",
    "expert_assign",
    "may_assign_others",
    "objection_answer",
    "objection_answer_period",
    "objection_file",
    "objection_lookup",
    "receipt_data",
    "receipt_prepare",
    "receipt_store",
]
