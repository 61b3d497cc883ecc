"""The audit trail's API: verifying the chain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from rongcuo.audit.services import audit_verify
from rongcuo.cases import permissions as perm
from rongcuo.common.errors import Forbidden


class AuditOut(Schema):
    seq: int
    at: dt.datetime
    actor_name: str
    action: str
    subject_type: str
    subject_id: str
    before: Any
    after: Any
    hash: str


class VerifyOut(Schema):
    ok: bool
    checked: int
    first_broken: int | None
    reason: str


audit_router = Router(tags=["audit"])


@audit_router.get("/verify", response=VerifyOut)
def audit_verify_api(request: HttpRequest) -> Any:
    if not (perm.is_admin(request.user) or perm.is_auditor(request.user)):
        raise Forbidden("仅限审计人员或管理员", "auditors and administrators only", field="role")
    r = audit_verify()
    return {"ok": r.ok, "checked": r.checked, "first_broken": r.first_broken, "reason": r.reason}


