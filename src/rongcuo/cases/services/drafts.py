"""Applications filed with their materials, and drafts (申请草稿)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any

from django.db import transaction

from rongcuo.audit.services import audit_append
from rongcuo.cases import clock
from rongcuo.cases import permissions as perm
from rongcuo.cases.models import Case, Evidence
from rongcuo.cases.selectors import application_materials
from rongcuo.cases.services.declarations import declarations_record
from rongcuo.cases.services.evidence import evidence_upload
from rongcuo.cases.services.filing import case_create
from rongcuo.common.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from rongcuo.common.packs import pack_of, registry
from rongcuo.engine.pack import UnknownPack
from rongcuo.registry.models import Person, Project

# A draft is private to its applicant: whoever else asks is told there is no such draft (404), so a refusal
# never reveals that one exists. Its text is never written to the audit trail (only its length and SHA-256):
# the trail is read by staff, and an unfiled draft is nobody's business but the applicant's.

MAX_DRAFTS_PER_APPLICANT = 50


def _draft_text(text: str | None) -> str:
    text = text or ""
    if len(text) > 20000:
        raise Invalid("失败情况说明不能超过 20000 字", "the failure explanation may be at most 20000 characters",
                      field="failure_explanation")
    return text


def _draft_pack_id(project: Project, pack_id: str | None) -> str:
    pack_id = (pack_id or "").strip()
    if not pack_id:
        return ""  # the bureau's default, resolved when filing
    packs = project.bureau.packs or []
    if packs and pack_id not in packs:
        raise Invalid(f"该主管部门适用的政策包为：{', '.join(packs)}", f"this bureau applies: {', '.join(packs)}",
                      field="pack_id")
    try:
        registry().get(pack_id, clock.today())
    except UnknownPack:
        raise Invalid(f"没有可适用的政策包 {pack_id}", f"no applicable pack {pack_id}", field="pack_id") from None
    return pack_id


def _own_draft(actor: Any, draft: Any, expected_version: int | None) -> Any:
    """The draft, re-read under a row lock, if it is the actor's own; else 404. A stale version is a 409."""
    from rongcuo.cases.models import ApplicationDraft

    person = perm.person_of(actor)
    locked = ApplicationDraft.objects.select_for_update().filter(pk=getattr(draft, "pk", None)).first()
    if locked is None or person is None or locked.applicant_id != person.pk:
        raise NotFound("没有这份草稿", "no such draft", field="draft")
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(f"草稿已在别处保存过（当前版本 {locked.version}，您提交的是 {expected_version}），"
                       "请重新载入后再改",
                       f"the draft was saved elsewhere in the meantime (version {locked.version}, you sent "
                       f"{expected_version}); reload it and try again", field="version")
    return locked


def _leads(person: Person, project: Project, zh: str, en: str) -> None:
    if project.lead_id != person.pk:
        raise Forbidden(f"您不是该项目的负责人，不能{zh}", f"you do not lead this project, so you may not {en}",
                        field="project")


def _draft_audit(draft: Any) -> dict[str, Any]:
    text = draft.failure_explanation or ""
    return {"project": draft.project.code, "pack_id": draft.pack_id, "version": draft.version, "chars": len(text),
            "sha256": hashlib.sha256(text.encode()).hexdigest()}


@transaction.atomic
def draft_save(*, actor: Any, applicant: Person, project: Project, pack_id: str | None,
               failure_explanation: str | None, draft: Any = None, expected_version: int | None = None) -> Any:
    """Save an application draft (new when `draft` is None). A stale `expected_version` is refused with 409."""
    from rongcuo.cases.models import ApplicationDraft

    person = perm.person_of(actor)
    if person is None or person.pk != applicant.pk:
        raise Forbidden("只能保存您本人的申请草稿", "you may only save drafts of your own applications",
                        field="applicant")
    before = None
    if draft is not None:
        draft = _own_draft(actor, draft, expected_version)
        before = _draft_audit(draft)
    elif ApplicationDraft.objects.filter(applicant=person).count() >= MAX_DRAFTS_PER_APPLICANT:
        raise Invalid(f"草稿最多保留 {MAX_DRAFTS_PER_APPLICANT} 份，请先删除不再需要的草稿",
                      f"at most {MAX_DRAFTS_PER_APPLICANT} drafts are kept; delete some you no longer need",
                      field="draft")
    _leads(person, project, "为其保存申请草稿", "save a draft for it")
    pack_id = _draft_pack_id(project, pack_id)
    text = _draft_text(failure_explanation)
    if draft is None:
        draft = ApplicationDraft.objects.create(applicant=person, project=project, pack_id=pack_id,
                                                failure_explanation=text)
    else:
        draft.project, draft.pack_id, draft.failure_explanation = project, pack_id, text
        draft.version += 1
        draft.save()
    audit_append(actor=actor, action="draft.save", subject=draft, before=before, after=_draft_audit(draft))
    return draft


@transaction.atomic
def draft_delete(*, actor: Any, draft: Any, expected_version: int | None = None) -> None:
    """Delete one of the actor's own drafts."""
    draft = _own_draft(actor, draft, expected_version)
    audit_append(actor=actor, action="draft.delete", subject=draft, before=_draft_audit(draft))
    draft.delete()


@transaction.atomic
def application_file(*, actor: Any, applicant: Person, project: Project, failure_explanation: str,
                     pack_id: str | None = None, uploads: Iterable[tuple[str, Any]] = (),
                     declarations: Mapping[str, Any] | None = None, declared_under: str = "") -> Case:
    """File an application (`case_create`) with its materials, all or nothing.

    `uploads` are (material id, file) pairs; each material must be one the chosen pack asks the application
    for (`application_materials`), and each file passes `evidence_upload`'s checks. Any refusal — named
    `file.<material id>` — leaves no case behind.
    """
    uploads = list(uploads)
    case = case_create(actor=actor, project=project, applicant=applicant, failure_explanation=failure_explanation,
                       pack_id=pack_id or None)
    pack = pack_of(case)
    if declarations:
        declarations_record(case, pack, actor, declarations, declared_under)
    materials = {m.id: m for m in application_materials(pack)}
    offered_zh = "、".join(m.label.zh for m in materials.values()) or "无"
    offered_en = ", ".join(m.label.en for m in materials.values()) or "none"
    for mid, _file in uploads:
        if mid not in materials:
            raise Invalid(f"所选规定（{pack.meta.short.zh}）的申请材料中没有“{mid}”；可上传：{offered_zh}",
                          f"the chosen rules ({pack.meta.short.en}) ask for no material “{mid}”; "
                          f"they ask for: {offered_en}", field=f"file.{mid}")
    stored: list[Evidence] = []
    try:
        for mid, file in uploads:
            name = getattr(file, "name", "") or ""
            try:
                stored.append(evidence_upload(case=case, actor=actor, file=file, kind=mid, name=name))
            except (Invalid, Forbidden, NotFound, Conflict, PreconditionFailed) as exc:
                base = PurePath(name.replace("\\", "/")).name
                raise type(exc)(f"{base}：{exc.zh}", f"{base}: {exc.en}", field=f"file.{mid}",
                                code=exc.code) from None
    except Exception:
        for ev in stored:  # the rows roll back with the transaction; the files stored before the refusal go too
            ev.file.delete(save=False)
        raise
    return case


@transaction.atomic
def draft_file(*, actor: Any, draft: Any, project: Project | None = None, pack_id: str | None = None,
               failure_explanation: str | None = None, uploads: Iterable[tuple[str, Any]] = (),
               expected_version: int | None = None, declarations: Mapping[str, Any] | None = None,
               declared_under: str = "") -> Case:
    """File the application from a draft — with the form's current values where given — and delete the draft,
    in one transaction: if the filing or any upload is refused, the draft is still there, unchanged."""
    draft = _own_draft(actor, draft, expected_version)
    person = draft.applicant
    project = project or draft.project
    _leads(person, project, "为其提出申请", "file an application for it")
    text = draft.failure_explanation if failure_explanation is None else failure_explanation
    pack = draft.pack_id if pack_id is None else pack_id
    case = application_file(actor=actor, applicant=person, project=project, failure_explanation=text,
                            pack_id=pack or None, uploads=uploads, declarations=declarations,
                            declared_under=declared_under)
    audit_append(actor=actor, action="draft.file", subject=case,
                 before={"draft": draft.pk, **_draft_audit(draft)}, after={"case": case.number})
    draft.delete()
    return case
