"""Reads of cases, shared by the pages and the API: nothing here changes stored data.

One module per part: `record` (the pinned pack's procedure, the current findings, the engine's determination),
`deadlines` (time limits and their states), `transitions` (what the user may do next and what it still needs),
`lists` (the cases and deadlines a user may see, filtered and paged). Today's date comes from `rongcuo.cases.clock`.
"""

from __future__ import annotations

from rongcuo.cases.selectors.deadlines import (
    case_deadlines,
    deadline_state,
    display_calendar,
    due_soon_until,
    limit_days,
)
from rongcuo.cases.selectors.record import (
    application_materials,
    case_evaluate,
    case_fact_input,
    current_facts,
    pack_procedure,
    procedure_stage,
)
from rongcuo.cases.selectors.transitions import available_transitions, precondition_met, unmet_requirement

__all__ = [
    "application_materials",
    "available_transitions",
    "case_deadlines",
    "case_evaluate",
    "case_fact_input",
    "current_facts",
    "deadline_state",
    "display_calendar",
    "due_soon_until",
    "limit_days",
    "pack_procedure",
    "precondition_met",
    "procedure_stage",
    "unmet_requirement",
]
