"""Expert panels, reviews, the collective decision, and what follows it (letters, marks, obligations).

Every function is one transaction with its audit event; errors are `rongcuo.common.errors.ServiceError`s.
One module per step: `panels`, `reviews`, `decisions`, `archive` (the mark, the obligations and the letter when
a decided case is archived), `obligations` (fulfilled afterwards; integrity records). Callers use the names
below from the package.
"""

from __future__ import annotations

from rongcuo.review.services.archive import case_archive, case_archive_prepare, letter_render, letter_store
from rongcuo.review.services.decisions import committee_decide, committee_members, decision_supersede
from rongcuo.review.services.obligations import integrity_exists_column, obligation_fulfil
from rongcuo.review.services.panels import (
    panel_conflicts,
    panel_draw,
    panel_member_decline,
    panel_override,
    panel_redraw_allowed,
    panel_replay,
    panel_rules,
)
from rongcuo.review.services.reviews import panel_aggregate, panel_conclude, review_submit

__all__ = [
    "case_archive",
    "case_archive_prepare",
    "committee_decide",
    "committee_members",
    "decision_supersede",
    "integrity_exists_column",
    "letter_render",
    "letter_store",
    "obligation_fulfil",
    "panel_aggregate",
    "panel_conclude",
    "panel_conflicts",
    "panel_draw",
    "panel_member_decline",
    "panel_override",
    "panel_redraw_allowed",
    "panel_replay",
    "panel_rules",
    "review_submit",
]
