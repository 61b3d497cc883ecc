"""Health check for load balancers and monitors: `GET /healthz` answers plain "ok" once the database answers.

No login, no session, no template: one `SELECT 1` on the default database. When the database does not
answer, the status is 503 with a plain-text reason, so a balancer takes the instance out of rotation.
Never cached.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

log = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            row = cursor.fetchone()
    except DatabaseError as exc:
        log.warning("health check: database unavailable: %s", exc)
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain; charset=utf-8")
    if row is None or row[0] != 1:
        return HttpResponse("database answered wrongly\n", status=503, content_type="text/plain; charset=utf-8")
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
