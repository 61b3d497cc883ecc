"""The correction history of a project on the case page of a later exemption application for it (read-only):
`{% set corrections = case_corrections(case, roles) %}` (a global of the template environment, rongcuo.web.jinja).

Who sees it is the API's rule (`permissions.CASE_HISTORY_READERS`, as `/api/monitoring/cases/{id}/corrections`);
the data is `selectors.correction_history` (timeline only: one query, two when the project has corrections).
"""

from __future__ import annotations

from typing import Any

from rongcuo.common.presence import may_have
from rongcuo.monitoring import permissions as perm
from rongcuo.monitoring import selectors
from rongcuo.monitoring.views import history_texts


def case_corrections(case: Any, roles: Any) -> list[dict[str, Any]] | None:
    """The corrections of the case's project, oldest first; None for a role that may not read them."""
    if case is None or not set(roles or ()) & perm.CASE_HISTORY_READERS:
        return None
    if not may_have(case, "corrections"):  # read with the case (rongcuo.common.presence): none, no query
        return []
    return history_texts(selectors.correction_history(case.project, timeline_only=True))
