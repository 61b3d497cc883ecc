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
LOOKUP_LIMIT = (20, 600)  # at most 20 status look-ups per address per 10 minutes: guessing codes goes nowhere


def _limited(request: HttpRequest, what: str, limit: tuple[int, int], field: str) -> None:
    key = f"{what}:{client_address(request)}"
    n = cache.get_or_set(key, 0, limit[1])
    if n >= limit[0]:
        raise TooManyRequests("提交过于频繁，请稍后再试", "too many requests from this address; try again later",
                              field=field)
    cache.incr(key)


def objection_rate_limit(request: HttpRequest) -> None:
    """Refuse a sixth objection from the same address within ten minutes (the public may file without an account)."""
    _limited(request, "objection", OBJECTION_LIMIT, "contact")


def lookup_rate_limit(request: HttpRequest) -> None:
    """Refuse the 21st look-up of an objection's status from the same address within ten minutes."""
    _limited(request, "objection-lookup", LOOKUP_LIMIT, "lookup_code")
