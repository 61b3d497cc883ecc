"""Schemathesis against our own OpenAPI, as each role: no generated input may produce a 5xx, and every error
is our JSON error shape."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings

from rongcuo.web.api import token_create

ROLES = ["wang", "zju_reviewer", "sz_caseworker", "expert_li", "zj_committee", "auditor", "admin", None]


@pytest.mark.slow
def test_no_server_errors_for_any_role(world, settings, tmp_path) -> None:
    from rongcuo.web.wsgi import application

    settings.MEDIA_ROOT = tmp_path
    # Like Django's test client: requests must not close the test's connection (it is inside the test's
    # transaction, which Django would otherwise take for a broken autocommit state on PostgreSQL).
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        _fuzz(world, application)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _fuzz(world, application) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    tokens = {r: (token_create(user=world.users[r], label="fuzz") if r else None) for r in ROLES}
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) >= 30
    failures: list[str] = []
    calls = [0]

    for op in operations:
        @hsettings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=op.as_strategy())
        def run(case) -> None:
            for role, key in tokens.items():
                headers = {"Authorization": f"Bearer {key}"} if key else {}
                response = case.call(headers=headers)
                calls[0] += 1
                if response.status_code >= 500:
                    failures.append(f"{role} {case.method} {case.formatted_path}: {response.status_code}")
                elif response.status_code >= 400 and "json" in response.headers.get("content-type", [""])[0]:
                    body = response.json()
                    if not (isinstance(body, dict) and "code" in body and "message" in body):
                        failures.append(f"{role} {case.method} {case.formatted_path}: shape {body!r:.200}")

        run()
    assert not failures, "\n".join(failures[:20])
    assert calls[0] >= len(operations) * len(ROLES)
