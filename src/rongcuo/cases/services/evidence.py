"""Documents attached to a case, checked by `rongcuo.common.uploads` and stored with their SHA-256."""

from __future__ import annotations

import re
from typing import Any

from django.core.files.base import File
from django.db import transaction

from rongcuo.audit.services import audit_append
from rongcuo.cases import permissions as perm
from rongcuo.cases.models import Case, Disposition, Evidence
from rongcuo.cases.services.base import case_bump, case_lock
from rongcuo.common.errors import Conflict, Invalid
from rongcuo.common.uploads import upload_check


@transaction.atomic
def evidence_upload(*, case: Case, actor: Any, file: Any, kind: str, name: str | None = None) -> Evidence:
    """Attach a document (PDF, OFD, DOCX, XLSX, JPG, PNG), checking type by content, size, and storing SHA-256."""
    case = case_lock(case, None)
    perm.require_any(actor, case, {"applicant", "host_unit_reviewer", "caseworker", "nsf_office", "expert"},
                     "上传本案证据", "upload evidence to this case")
    if case.disposition != Disposition.open:
        raise Conflict("案件已办结，不能再上传材料", "the case is closed; no more uploads", field="file")
    ev = evidence_store(case, actor, file, kind, name)
    case_bump(case)
    audit_append(actor=actor, action="evidence.upload", subject=case,
                 after={"evidence": ev.pk, "kind": kind, "name": ev.original_name, "size": ev.size,
                        "sha256": ev.sha256})
    return ev


def evidence_store(case: Case, actor: Any, file: Any, kind: str, name: str | None) -> Evidence:
    """Check a document's kind, type (by content), size, and store it with its SHA-256; nothing is stored if a
    check fails. The caller checks who may upload and when, and records the audit event."""
    if not kind or not re.fullmatch(r"[a-z0-9_.\-]{1,64}", kind):
        raise Invalid("材料类型应为材料清单中的编号", "kind must be a material id like application_form", field="kind")
    checked = upload_check(file, name=name)
    ev = Evidence(case=case, kind=kind, original_name=checked.name, content_type=checked.content_type,
                  size=checked.size, sha256=checked.sha256, uploaded_by=actor)
    ev.file.save(f"{case.number}-{checked.sha256[:12]}-{checked.safe_name}", File(file), save=False)
    ev.save()
    return ev
