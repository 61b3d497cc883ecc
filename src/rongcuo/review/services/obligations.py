"""Obligations fulfilled after the decision, and integrity records seen on later cases."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from rongcuo.audit.services import audit_append
from rongcuo.cases import clock as case_clock
from rongcuo.cases import permissions as perm
from rongcuo.cases import services as case_svc
from rongcuo.common.errors import Conflict, Invalid
from rongcuo.registry.models import Project
from rongcuo.review import permissions as review_perm
from rongcuo.review.models import IntegrityRecord, Obligation, ObligationStatus


@transaction.atomic
def obligation_fulfil(*, obligation: Obligation, actor: Any, note: str, file: Any = None) -> Obligation:
    """Record an obligation fulfilled (the applicant, or a caseworker on their behalf).

    An obligation the pack fulfils by a document (e.g. 浙江 四(二) the written failure-analysis report) takes the
    document: it is checked as any evidence is (type by content, size), stored on the case although the case is
    decided — obligations follow the decision — and linked to the obligation, with its SHA-256 in the audit event.
    A file that fails a check leaves nothing stored and the obligation open.
    """
    case = case_svc.case_lock(obligation.case, None)
    perm.require_any(actor, case, review_perm.OBLIGATION_RECORDERS, "登记义务履行", "record the obligation fulfilled")
    obligation = Obligation.objects.get(pk=obligation.pk)  # re-read under the case's lock
    if obligation.status != ObligationStatus.open:
        raise Conflict("该义务已履行", "the obligation is already fulfilled", field="obligation")
    if obligation.document_kind and file is None:
        raise Invalid("履行该义务须上传文件（如书面报告），请选择文件",
                      "this obligation is fulfilled by submitting a document (such as the written report): "
                      "choose a file", field="file")
    if not obligation.document_kind and file is not None:
        raise Invalid("该义务无需上传文件；如需提交证明材料，请在案件材料中上传",
                      "this obligation takes no document; upload supporting material with the case's evidence",
                      field="file")
    evidence = None
    if file is not None:
        evidence = case_svc.evidence_store(case, actor, file, obligation.document_kind,
                                            getattr(file, "name", None))
    try:
        obligation.status, obligation.fulfilled_on = ObligationStatus.fulfilled, case_clock.today()
        obligation.note, obligation.document = note, evidence
        obligation.save()
        after: dict[str, Any] = {"key": obligation.key, "on": obligation.fulfilled_on, "note": note}
        if evidence is not None:
            after.update({"evidence": evidence.pk, "kind": evidence.kind, "name": evidence.original_name,
                          "size": evidence.size, "sha256": evidence.sha256})
        audit_append(actor=actor, action="obligation.fulfil", subject=case, after=after)
    except BaseException:
        if evidence is not None:  # the rows roll back with the transaction; the stored file must go too
            evidence.file.delete(save=False)
        raise
    return obligation


def integrity_exists_column() -> Any:
    """Whether `selectors.integrity_history(case)` would find a record, as a column of a query of cases (an ORM
    `Exists`, the
    same condition: a record of the applicant, the project's lead or one of its co-investigators, from another
    case). The case page reads it with the case (`rongcuo.common.presence`)."""
    from django.db.models import Exists, OuterRef, Q

    project = OuterRef(OuterRef("project_id"))  # the case's project, from within the records' subquery
    leads = Project.objects.filter(pk=project).values("lead_id")
    members = Project.co_investigators.through.objects.filter(project_id=project).values("person_id")
    return Exists(IntegrityRecord.objects.exclude(case_id=OuterRef("pk")).filter(
        Q(person_id=OuterRef("applicant_id")) | Q(person_id__in=leads) | Q(person_id__in=members)))
