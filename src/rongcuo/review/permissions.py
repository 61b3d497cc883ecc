"""Who may do what in the review: the expert panel, the collective decision, objections, obligations, integrity
records. Roles on a case come from `rongcuo.cases.permissions` (`roles_on_case`); these sets say which of them
reach each part of the review, for the pages, the API and the services alike."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest

from rongcuo.common.errors import ServiceError
from rongcuo.common.security import client_address

# The expert panel: who sees it, who draws, changes and concludes it.
PANEL_VIEW_ROLES = {"caseworker", "nsf_office", "committee", "auditor", "admin"}
PANEL_ACT_ROLES = {"caseworker", "nsf_office", "admin"}
PANEL_MANAGERS = {"caseworker", "nsf_office"}  # the services' check (an administrator passes every check)
# Objections to a decision under public notice: who reads them (answering is the caseworker's: cases.services).
OBJECTION_VIEW_ROLES = {"caseworker", "nsf_office", "committee", "auditor", "admin"}
OBJECTION_ANSWER_ROLES = {"caseworker", "admin"}
# Integrity records of the case's people from other cases.
INTEGRITY_ROLES = {"caseworker", "nsf_office", "committee", "auditor", "admin"}
# Obligations that follow a decision: who records one fulfilled.
FULFIL_ROLES = {"caseworker", "applicant", "admin"}
OBLIGATION_RECORDERS = {"caseworker", "applicant"}
# The collective decision: who reads the committee page, who decides (a pack may name other deciders).
COMMITTEE_VIEW_ROLES = {"committee", "admin", "caseworker", "nsf_office", "auditor"}
COMMITTEE_ACT_ROLES = {"committee", "admin"}
DECIDERS = {"committee"}


class TooManyRequests(ServiceError):
    status = 429
    code = "rate_limited"


OBJECTION_LIMIT = (5, 600)  # at most 5 objections per client address (security.client_address) per 10 minutes


def objection_rate_limit(request: HttpRequest) -> None:
    """Refuse a sixth objection from the same address within ten minutes (the public may file without an account)."""
    key = f"objection:{client_address(request)}"
    n = cache.get_or_set(key, 0, OBJECTION_LIMIT[1])
    if n >= OBJECTION_LIMIT[0]:
        raise TooManyRequests("提交过于频繁，请稍后再试", "too many objections from this address; try again later",
                              field="contact")
    cache.incr(key)
