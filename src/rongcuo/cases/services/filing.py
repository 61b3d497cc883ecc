"""Filing an application (提出申请) and amending it: the pack in force is pinned to the case."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.cases import clock
from rongcuo.cases import permissions as perm
from rongcuo.cases.models import Case, CaseFact, Disposition
from rongcuo.cases.selectors import pack_procedure
from rongcuo.cases.services.base import case_bump, case_lock, case_redecide, case_snapshot
from rongcuo.cases.services.deadlines import open_deadlines
from rongcuo.common.errors import Conflict, Forbidden, Invalid
from rongcuo.common.packs import registry
from rongcuo.engine.pack import Pack, UnknownPack
from rongcuo.registry.models import Organisation, Person, Project


def _system_facts(case: Case, pack: Pack) -> dict[str, Any]:
    """Facts the registry already knows (generic vocabulary ids only; no jurisdiction here)."""
    out: dict[str, Any] = {}
    project = case.project
    if "project_mode" in pack.facts:
        allowed = {v.value for v in pack.facts["project_mode"].values}
        if project.project_mode in allowed:
            out["project_mode"] = project.project_mode
    birth = case.applicant.birth_date
    if "researcher_age" in pack.facts and birth:
        at = project.acceptance_date or case.relevant_date
        out["researcher_age"] = at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))
    return out


@transaction.atomic
def case_create(*, actor: Any, project: Project, applicant: Person, failure_explanation: str,
                pack_id: str | None = None, relevant_date: dt.date | None = None,
                host_unit: Organisation | None = None, bureau: Organisation | None = None,
                determination_id: str | None = None) -> Case:
    """File an application (提出申请). The pack version in force on `relevant_date` is pinned to the case."""
    bureau = bureau or project.bureau
    host_unit = host_unit or project.host_unit
    person = perm.person_of(actor)
    may = (perm.is_admin(actor) or (person is not None and person.pk == applicant.pk)
           or bureau.pk in perm.org_ids(actor, "caseworker"))
    if not may:
        raise Forbidden("只有申请人本人或主管部门经办人可以提出申请",
                        "only the applicant or a caseworker of the bureau may file", field="applicant")
    if applicant.pk != project.lead_id:  # the rule the applicant's page applies, for every way of filing
        if person is not None and person.pk == applicant.pk:
            raise Forbidden("只能为您负责的项目提出申请", "you may file only for a project you lead",
                            field="project_id")
        raise Invalid("申请人须为该项目的负责人", "the applicant must be the project's lead", field="applicant_id")
    if not failure_explanation or not failure_explanation.strip():
        raise Invalid("请填写失败情况说明", "the failure explanation is required", field="failure_explanation")
    if len(failure_explanation) > 20000:
        raise Invalid("失败情况说明不能超过 20000 字", "the failure explanation may be at most 20000 characters",
                      field="failure_explanation")
    pack_id = pack_id or (bureau.packs[0] if bureau.packs else None)
    if not pack_id:
        raise Invalid("主管部门未配置适用的政策包", "the bureau has no policy pack configured", field="pack_id")
    if bureau.packs and pack_id not in bureau.packs:
        raise Invalid(f"该主管部门适用的政策包为：{', '.join(bureau.packs)}",
                      f"this bureau applies: {', '.join(bureau.packs)}", field="pack_id")
    when = relevant_date or clock.today()
    try:
        pack = registry().get(pack_id, when)
    except UnknownPack as exc:
        raise Invalid(f"没有可适用的政策包版本：{exc}", f"no applicable pack version: {exc}", field="pack_id") from None
    proc = pack_procedure(pack)
    det = determination_id or pack.default_determination
    if det not in pack.determinations:
        raise Invalid(f"政策包没有认定事项 {det}", f"the pack has no determination {det}", field="determination_id")
    case = Case.objects.create(
        number=f"TMP-{timezone.now().timestamp()}", pack_id=pack.id, pack_version=pack.version,
        pack_hash=pack.content_hash, determination_id=det, relevant_date=when, bureau=bureau, host_unit=host_unit,
        applicant=applicant, project=project, failure_explanation=failure_explanation.strip(),
        stage=proc.stages[0].id, filed_on=clock.today())
    case.number = f"RC-{case.filed_on.year}-{case.pk:06d}"
    system_user = actor
    for fid, value in _system_facts(case, pack).items():
        CaseFact.objects.create(case=case, fact_id=fid, value=value, role="system_computed", stage=case.stage,
                                established_by=system_user, established_at=timezone.now(),
                                note="由登记信息计算 / computed from the registry")
    case_redecide(case)
    case.save()
    open_deadlines(case, pack, event="filed", on=case.filed_on)
    audit_append(actor=actor, action="case.create", subject=case,
                 after={**case_snapshot(case), "number": case.number, "pack": pack.ref, "project": project.code})
    return case


@transaction.atomic
def case_update(*, case: Case, actor: Any, failure_explanation: str, expected_version: int) -> Case:
    """Amend the failure explanation; a stale version is refused with 409."""
    perm.require_any(actor, case, {"applicant", "caseworker"}, "修改申请", "amend the application")
    case = case_lock(case, expected_version)
    if case.disposition != Disposition.open:
        raise Conflict("案件已办结", "the case is closed", field="failure_explanation")
    text = (failure_explanation or "").strip()
    if not text or len(text) > 20000:
        raise Invalid("失败情况说明必填，且不超过 20000 字", "the failure explanation is required (at most 20000 "
                      "characters)", field="failure_explanation")
    before = case.failure_explanation
    case.failure_explanation = text
    case.save(update_fields=["failure_explanation", "updated_at"])
    case_bump(case)
    audit_append(actor=actor, action="case.update", subject=case, before={"failure_explanation": before},
                 after={"failure_explanation": text})
    return case
