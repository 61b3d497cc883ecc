"""What every page's header needs: who is signed in, which of their pages to link, the interface language."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from rongcuo.common.i18n import lang
from rongcuo.registry import permissions as perm
from rongcuo.registry.models import Role


def is_expert(user: Any) -> bool:
    """In the expert pool (专家库) or granted the expert role: the expert's page is theirs."""
    if not getattr(user, "is_authenticated", False):
        return False
    if any(g.role == Role.expert for g in perm.grants(user)):
        return True
    # Asked on every page: cached with the grants (perm.user_state), under their generation, which a saved or
    # deleted expert record replaces too (review app).
    in_pool = getattr(user, "_rongcuo_in_pool", None)
    return bool(perm.user_state(user)["in_pool"] if in_pool is None else in_pool)


def navigation(request: HttpRequest) -> dict[str, Any]:
    from rongcuo.cases.dashboard import may_see_dashboard
    from rongcuo.funds.permissions import may_see_funds
    from rongcuo.monitoring.permissions import may_see_dashboard as may_see_monitoring
    from rongcuo.notifications.selectors import unread_count
    from rongcuo.registry.services import may_import

    user = getattr(request, "user", None)
    return {
        "nav_expert": is_expert(user),
        "nav_dashboard": may_see_dashboard(user),
        "nav_import": may_import(user) if user is not None else False,
        "ui_lang": lang(),
        "html_lang": "en" if lang() == "en" else "zh-Hans",
        "nav_work": perm.works_on_cases(user),
        "nav_monitoring": may_see_monitoring(user),
        "nav_funds": may_see_funds(user),
        "nav_my": perm.person_of(user) is not None,
        "nav_unread": unread_count(user),  # the header's count of unread notifications (signed in)
        "here": request.get_full_path(),
    }
