"""Every change to a case goes through one of these functions: one transaction, one audit event.

Names follow `<entity>_<action>`; the acting user is always an explicit keyword argument. Errors are
`rongcuo.common.errors.ServiceError`s with a code, a message in Chinese and English and the field, and a
failed call leaves stored data as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.cases import hooks
from rongcuo.cases import permissions as perm
from rongcuo.cases.models import (
    Case,
    CaseFact,
    Deadline,
    DeadlineStatus,
    DeadlineWarning,
    Disposition,
    Evidence,
    ExpertAssignment,
    Objection,
    ObjectionStatus,
    StageChange,
)
from rongcuo.common.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from rongcuo.common.packs import pack_changed, pack_of, registry
from rongcuo.common.prepared import Prepared
from rongcuo.common.uploads import upload_check
from rongcuo.engine.decide import Result, decide
from rongcuo.engine.facts import InputError, parse_facts
from rongcuo.engine.model import Procedure, Stage, TimeLimit, Transition
from rongcuo.engine.pack import Pack, UnknownPack
from rongcuo.engine.render import result_json
from rongcuo.registry.models import Organisation, Person, Project
from rongcuo.workdays.counting import Due
from rongcuo.workdays.services import due_date, load_calendar, on_calendar_change

# --- helpers ------------------------------------------------------------------------------------------


def today() -> dt.date:
    return timezone.localdate()


def _lock(case: Case, expected_version: int | None, actor: Any = None) -> Case:
    """Re-read the case under a row lock; a stale `expected_version` is a 409, never a lost update.

    With `actor`, someone who may not change this case at all is refused first, so a refusal never
    reveals the case's version or state.
    """
    if actor is not None and not (perm.roles_on_case(actor, case) - perm.READ_ONLY_ROLES):
        raise Forbidden("您无权修改本案", "you may not change this case", field="role")
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(f"案件已被他人修改（当前版本 {locked.version}，您提交的是 {expected_version}），请刷新后重试",
                       f"the case was changed by someone else (version {locked.version}, you sent "
                       f"{expected_version}); reload and try again", field="version")
    return locked


def _bump(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1)
    case.version += 1


def case_snapshot(case: Case) -> dict[str, Any]:
    return {"stage": case.stage, "disposition": case.disposition, "outcome": case.outcome, "version": case.version,
            "awaiting_supplement_since": case.awaiting_supplement_since, "routed_to": case.routed_to}


def _procedure(pack: Pack) -> Procedure:
    if pack.procedure is None:
        raise Invalid(f"政策包 {pack.ref} 未规定认定程序，不能立案", f"pack {pack.ref} defines no procedure; "
                      "cases cannot be filed under it", field="pack_id")
    return pack.procedure


def _stage(proc: Procedure, stage_id: str) -> Stage:
    for s in proc.stages:
        if s.id == stage_id:
            return s
    raise Invalid(f"未知阶段 {stage_id}", f"unknown stage {stage_id}", field="stage")


def current_facts(case: Case) -> dict[str, CaseFact]:
    return {f.fact_id: f for f in case.facts.filter(current=True).select_related("established_by")
            .prefetch_related("evidence")}


def case_fact_input(case: Case) -> dict[str, Any]:
    """The engine's input: current findings with their provenance."""
    out: dict[str, Any] = {}
    for f in current_facts(case).values():
        if f.value is None:
            continue
        out[f.fact_id] = {"value": f.value, "by": f.established_by.get_username(), "role": f.role,
                          "at": f.established_at.isoformat(), "stage": f.stage,
                          "evidence": [e.sha256[:12] + ":" + e.original_name for e in f.evidence.all()]}
    return out


def case_evaluate(case: Case, *, assume_in_scope: bool = False) -> Result:
    pack = pack_of(case, verify=True)  # decided under the text pinned at filing, or not at all
    facts = parse_facts(pack.facts, case_fact_input(case), accepted=pack.accepted_facts)
    return decide(pack, facts, case.relevant_date, case.determination_id, assume_in_scope=assume_in_scope)


def _redecide(case: Case) -> None:
    """Recompute the engine's determination (after any fact change) and the routing it implies."""
    res = case_evaluate(case)
    case.outcome = res.outcome
    case.determination = result_json(res)
    case.routed_to = "；".join(f"{r.handled_by.zh} {r.handled_by.en}" for r in res.routed_to)[:200]


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


# --- filing -------------------------------------------------------------------------------------------

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
           or bureau.pk in perm._org_ids(actor, "caseworker"))
    if not may:
        raise Forbidden("只有申请人本人或主管部门经办人可以提出申请",
                        "only the applicant or a caseworker of the bureau may file", field="applicant")
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
    when = relevant_date or today()
    try:
        pack = registry().get(pack_id, when)
    except UnknownPack as exc:
        raise Invalid(f"没有可适用的政策包版本：{exc}", f"no applicable pack version: {exc}", field="pack_id") from None
    proc = _procedure(pack)
    det = determination_id or pack.default_determination
    if det not in pack.determinations:
        raise Invalid(f"政策包没有认定事项 {det}", f"the pack has no determination {det}", field="determination_id")
    case = Case.objects.create(
        number=f"TMP-{timezone.now().timestamp()}", pack_id=pack.id, pack_version=pack.version,
        pack_hash=pack.content_hash, determination_id=det, relevant_date=when, bureau=bureau, host_unit=host_unit,
        applicant=applicant, project=project, failure_explanation=failure_explanation.strip(),
        stage=proc.stages[0].id, filed_on=today())
    case.number = f"RC-{case.filed_on.year}-{case.pk:06d}"
    system_user = actor
    for fid, value in _system_facts(case, pack).items():
        CaseFact.objects.create(case=case, fact_id=fid, value=value, role="system_computed", stage=case.stage,
                                established_by=system_user, established_at=timezone.now(),
                                note="由登记信息计算 / computed from the registry")
    _redecide(case)
    case.save()
    _open_deadlines(case, pack, event="filed", on=case.filed_on)
    audit_append(actor=actor, action="case.create", subject=case,
                 after={**case_snapshot(case), "number": case.number, "pack": pack.ref, "project": project.code})
    return case


@transaction.atomic
def case_update(*, case: Case, actor: Any, failure_explanation: str, expected_version: int) -> Case:
    """Amend the failure explanation; a stale version is refused with 409."""
    perm.require_any(actor, case, {"applicant", "caseworker"}, "修改申请", "amend the application")
    case = _lock(case, expected_version)
    if case.disposition != Disposition.open:
        raise Conflict("案件已办结", "the case is closed", field="failure_explanation")
    text = (failure_explanation or "").strip()
    if not text or len(text) > 20000:
        raise Invalid("失败情况说明必填，且不超过 20000 字", "the failure explanation is required (at most 20000 "
                      "characters)", field="failure_explanation")
    before = case.failure_explanation
    case.failure_explanation = text
    case.save(update_fields=["failure_explanation", "updated_at"])
    _bump(case)
    audit_append(actor=actor, action="case.update", subject=case, before={"failure_explanation": before},
                 after={"failure_explanation": text})
    return case


# --- facts --------------------------------------------------------------------------------------------

@transaction.atomic
def case_set_facts(*, case: Case, actor: Any, facts: Mapping[str, Any], role: str | None = None,
                   evidence_ids: Iterable[int] = (), note: str = "", expected_version: int | None = None) -> Case:
    """Record findings (认定事实) with provenance; the determination is recomputed at once.

    `role` is the finding role (applicant_declaration, investigation_finding, …); it must be one the actor
    may record on this case and one the pack's vocabulary lists for the fact. A value of null retracts a
    finding (the fact becomes unknown again); history is kept.
    """
    case = _lock(case, expected_version)
    if case.disposition != Disposition.open:
        raise Conflict("案件已办结，不能再修改事实", "the case is closed; facts can no longer change", field="facts")
    if not isinstance(facts, Mapping) or not facts:
        raise Invalid("请至少提供一项事实", "give at least one fact", field="facts")
    roles = perm.roles_on_case(actor, case)
    allowed_roles = set().union(*(perm.FINDING_ROLES.get(r, set()) for r in roles)) if roles else set()
    if not allowed_roles:
        raise Forbidden("您无权认定本案事实", "you may not record facts on this case", field="role")
    pack = pack_of(case, verify=True)
    if role is None:
        role = sorted(allowed_roles)[0] if len(allowed_roles) == 1 else None
        if role is None:
            raise Invalid(f"请说明以何种身份认定：{', '.join(sorted(allowed_roles))}",
                          f"say in which role you record the finding: {', '.join(sorted(allowed_roles))}",
                          field="role")
    if role not in allowed_roles:
        raise Forbidden(f"您不能以 {role} 身份认定事实（可用：{', '.join(sorted(allowed_roles))}）",
                        f"you may not record {role} findings (you may: {', '.join(sorted(allowed_roles))})",
                        field="role")
    for fid in facts:
        fdef = pack.facts.get(fid)
        if fdef is None:
            raise Invalid(f"未知事实 {fid}；本政策包的事实为：{', '.join(sorted(pack.facts))}",
                          f"unknown fact {fid}; this pack's facts are: {', '.join(sorted(pack.facts))}", field=fid)
        if role not in {e.value for e in fdef.established_by} and "admin" not in roles:
            raise Forbidden(f"事实 {fid} 应由 {', '.join(e.value for e in fdef.established_by)} 认定",
                            f"fact {fid} is established by {', '.join(e.value for e in fdef.established_by)}",
                            field=fid)
    try:
        parsed = parse_facts(pack.facts, {k: v for k, v in facts.items() if v is not None})
    except InputError as exc:
        raise Invalid(exc.message, exc.message, field=exc.field) from None
    evidence = list(Evidence.objects.filter(case=case, pk__in=list(evidence_ids)))
    if len(evidence) != len(set(evidence_ids)):
        raise Invalid("证据不属于本案", "evidence does not belong to this case", field="evidence_ids")
    if len(note) > 5000:
        raise Invalid("说明不能超过 5000 字", "the note may be at most 5000 characters", field="note")
    before = {f.fact_id: f.value for f in current_facts(case).values() if f.fact_id in facts}
    now = timezone.now()
    CaseFact.objects.filter(case=case, fact_id__in=list(facts), current=True).update(current=False)
    for fid in facts:
        value = parsed.values.get(fid)
        stored = value.isoformat() if isinstance(value, dt.date) else value
        row = CaseFact.objects.create(case=case, fact_id=fid, value=stored, role=role, stage=case.stage,
                                      established_by=actor, established_at=now, note=note)
        if evidence:
            row.evidence.set(evidence)
    old_outcome = case.outcome
    _redecide(case)
    case.save(update_fields=["outcome", "determination", "routed_to", "updated_at"])
    _bump(case)
    audit_append(actor=actor, action="case.facts", subject=case,
                 before={"facts": before, "outcome": old_outcome},
                 after={"facts": {k: parsed.values.get(k) for k in facts}, "role": role, "outcome": case.outcome,
                        "evidence": [e.sha256 for e in evidence]})
    return case


# --- evidence -----------------------------------------------------------------------------------------

@transaction.atomic
def evidence_upload(*, case: Case, actor: Any, file: Any, kind: str, name: str | None = None) -> Evidence:
    """Attach a document (PDF, OFD, DOCX, XLSX, JPG, PNG), checking type by content, size, and storing SHA-256."""
    case = _lock(case, None)
    perm.require_any(actor, case, {"applicant", "host_unit_reviewer", "caseworker", "nsf_office", "expert"},
                     "上传本案证据", "upload evidence to this case")
    if case.disposition != Disposition.open:
        raise Conflict("案件已办结，不能再上传材料", "the case is closed; no more uploads", field="file")
    ev = _store_evidence(case, actor, file, kind, name)
    _bump(case)
    audit_append(actor=actor, action="evidence.upload", subject=case,
                 after={"evidence": ev.pk, "kind": kind, "name": ev.original_name, "size": ev.size,
                        "sha256": ev.sha256})
    return ev


def _store_evidence(case: Case, actor: Any, file: Any, kind: str, name: str | None) -> Evidence:
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


# --- procedure ----------------------------------------------------------------------------------------

def available_transitions(case: Case, user: Any) -> list[tuple[Transition, str | None]]:
    """Transitions from the case's stage, each with the unmet precondition (None if it can be taken now)."""
    if case.disposition != Disposition.open:
        return []
    pack = pack_of(case)
    proc = _procedure(pack)
    roles = perm.roles_on_case(user, case) - perm.READ_ONLY_ROLES
    changed = pack_changed(case, pack)
    out = []
    for t in proc.transitions_from(case.stage):
        if "admin" not in roles and not roles & set(t.by):
            continue
        unmet = None if changed else _unmet(case, pack, t)
        out.append((t, f"{changed.zh} / {changed.en}" if changed else unmet[0] if unmet else None))
    return out


def _unmet(case: Case, pack: Pack, t: Transition) -> tuple[str, str] | None:
    """The first requirement of `t` the case does not meet: ("中文 / English" message, the requirement's id: a
    material or a precondition), or None."""
    from rongcuo.engine.model import PRECONDITIONS

    materials = {m.id: m for s in _procedure(pack).stages for m in s.materials}
    for req in t.requires:
        if req in materials:
            if not case.evidence.filter(kind=req).exists():
                m = materials[req]
                return f"缺少材料：{m.label.zh} / Missing material: {m.label.en}", req
            continue
        ok = _precondition(case, req)
        if not ok:
            # PRECONDITIONS holds "中文 / English" (the English half may itself contain " / "); the Chinese half
            # never does, so the message splits back at its first " / ". The texts state what the step requires
            # (some read like statements, e.g. "supplementary material was asked for and is outstanding"), so the
            # message names them as the condition, not as a finding about the case.
            zh, _, en = PRECONDITIONS[req].partition(" / ")
            return f"未满足办理条件：{zh} / Requirement not met: {en}", req
    return None


def _precondition(case: Case, req: str) -> bool:
    if req == "determination_settled":
        return case.outcome != "undetermined"
    if req == "filed_before_project_acceptance":
        # 验收前: strictly before the acceptance date (an application on the acceptance day is not "before").
        acc = case.project.acceptance_date
        return acc is None or case.filed_on < acc
    if req == "not_awaiting_supplement":
        return case.awaiting_supplement_since is None
    if req == "awaiting_supplement":
        return case.awaiting_supplement_since is not None
    if req == "panel_formed":
        panel = getattr(case, "panel", None)
        return panel is not None and (not panel.rule_breaches or panel.override_covers)
    if req == "panel_reviewed":
        panel = getattr(case, "panel", None)
        return panel is not None and panel.concluded_at is not None
    if req == "committee_decided":
        return hasattr(case, "decision")
    if req == "notice_period_over":
        d = case.deadlines.filter(key=f"stage:{case.stage}", status=DeadlineStatus.open).first()
        return d is not None and d.due_date is not None and today() > d.due_date
    if req == "no_open_objections":
        return not case.objections.filter(status=ObjectionStatus.open).exists()
    if req == "no_sustained_objections":
        # Objections found sustained since the case last entered its current stage (the notice of the decision
        # now published); one sustained during an earlier notice sent the case back and was dealt with then.
        entered = case.stage_changes.filter(to_stage=case.stage).order_by("-at", "-id").values_list("at", flat=True)
        sustained = case.objections.filter(status=ObjectionStatus.answered, sustained=True)
        since = entered.first()
        return not (sustained.filter(answered_at__gte=since) if since else sustained).exists()
    raise PreconditionFailed(f"未知前提 {req}", f"unknown precondition {req}", field="action")


@transaction.atomic
def case_transition(*, case: Case, actor: Any, action: str, reason: str = "",
                    expected_version: int | None = None, _decision: str | None = None) -> Case:
    """Move the case along its pack's procedure. A refused transition says which precondition is unmet.

    Transitions that record the collective decision are taken only by `review.services.committee_decide`
    (which passes `_decision`), so that the vote, reasons and frozen determination are never skipped.
    """
    case = _lock(case, expected_version, actor)
    if case.disposition != Disposition.open:
        raise Conflict("案件已办结", "the case is closed", field="action")
    pack = pack_of(case, verify=True)
    proc = _procedure(pack)
    terminal = proc.terminal_stages
    possible = proc.transitions_from(case.stage)
    candidates = [t for t in possible if t.action == action]
    if not candidates:
        here = sorted({t.action for t in possible})
        stage_zh = _stage(proc, case.stage).label.zh
        raise Invalid(f"当前阶段“{stage_zh}”不能执行 {action}；可执行：{', '.join(here) or '无'}",
                      f"action {action} is not possible in stage {case.stage}; "
                      f"possible: {', '.join(here) or 'none'}", field="action")
    t = candidates[0]
    role = perm.require_any(actor, case, set(t.by), f"执行“{t.label.zh}”", f"take action {action}")
    if t.records_decision and _decision not in t.records_decision:
        raise Invalid("集体审定须通过“作出决定”办理（登记出席、表决和理由）",
                      "the collective decision is taken through the committee decision (attendance, vote, reasons)",
                      field="action")
    if t.reason_required and not reason.strip():
        raise Invalid(f"“{t.label.zh}”须说明理由", f"“{t.label.en}” requires a reason", field="reason")
    if len(reason) > 5000:
        raise Invalid("理由不能超过 5000 字", "the reason may be at most 5000 characters", field="reason")
    unmet = _unmet(case, pack, t)
    if unmet:
        zh, _, en = unmet[0].partition(" / ")
        raise PreconditionFailed(zh, en, field="action", unmet=unmet[1])
    before = case_snapshot(case)
    day = today()
    from_stage = case.stage
    case.stage = t.to
    if t.clock == "pause":
        case.awaiting_supplement_since = day
    elif t.clock == "resume":
        case.awaiting_supplement_since = None
    if t.to in terminal:
        case.disposition = {"withdraw": Disposition.withdrawn,
                            "reject_inadmissible": Disposition.inadmissible}.get(action, Disposition.decided)
    case.save(update_fields=["stage", "disposition", "awaiting_supplement_since", "updated_at"])
    StageChange.objects.create(case=case, from_stage=from_stage, to_stage=t.to, action=action, actor=actor, role=role,
                               reason=reason.strip(), at=timezone.now())
    _deadlines_after_transition(case, pack, t, from_stage, day, terminal)
    _bump(case)
    audit_append(actor=actor, action=f"case.transition.{action}", subject=case, before=before,
                 after={**case_snapshot(case), "reason": reason.strip(), "role": role})
    if _reopens_decision(proc, t) and hasattr(case, "decision"):
        for reopened in hooks.ON_DECISION_REOPENED:  # review: the decision taken is superseded
            reopened(case=case, actor=actor, reason=reason.strip(), action=action)
    if t.to in terminal and case.disposition == Disposition.decided:
        for decided in hooks.ON_CASE_DECIDED:  # review: exemption mark, obligations, letter
            decided(case=case, actor=actor, on=day)
    return case


def _reopens_decision(proc: Procedure, t: Transition) -> bool:
    """Whether a transition sends the case back from after the decision to the decision stage or before it
    (stages in the order the pack lists them), so that the decision must be taken again: e.g. back to the
    investigation after an objection. The decision taken is then superseded, not deleted."""
    order = {s.id: i for i, s in enumerate(proc.stages)}
    deciding = [order[x.from_] for x in proc.transitions if x.records_decision and x.from_ in order]
    if not deciding or t.from_ not in order or t.to not in order:
        return False
    return order[t.to] <= max(deciding) < order[t.from_]


# --- deadlines ----------------------------------------------------------------------------------------

def _limit_days(pack: Pack, tl: TimeLimit, on: dt.date) -> tuple[int, int]:
    params = pack.params_dict(on)
    days = tl.days if tl.days is not None else params.get(tl.parameter or "")
    ext = tl.extension_days or (params.get(tl.extension_parameter) if tl.extension_parameter else 0) or 0
    if not isinstance(days, int | float):
        raise Invalid(f"政策包参数 {tl.parameter} 在 {on} 无有效值", f"pack parameter {tl.parameter} has no value on "
                      f"{on}", field="pack")
    return int(days), int(ext)


def _open_deadlines(case: Case, pack: Pack, *, event: str, on: dt.date) -> None:
    proc = _procedure(pack)
    limits: list[tuple[str, str, str, TimeLimit]] = []
    if proc.overall_time_limit and proc.overall_time_limit.from_event == event:
        limits.append(("overall", "认定工作时限", "Time limit for the determination", proc.overall_time_limit))
    for s in proc.stages:
        if s.time_limit and s.time_limit.from_event == event:
            limits.append((f"stage:{s.id}", f"{s.label.zh}期限", f"{s.label.en} period", s.time_limit))
    for key, zh, en, tl in limits:
        earlier = case.deadlines.filter(key=key).exclude(status=DeadlineStatus.cancelled)
        if earlier.filter(status=DeadlineStatus.open).exists() or (key == "overall" and earlier.exists()):
            continue  # e.g. re-accepting after supplementary material does not restart the clock
        # A stage's period that ran and closed when the case left the stage runs anew when the case comes back
        # (e.g. the notice of a new decision after the case was investigated again); the old one stays closed.
        days, ext = _limit_days(pack, tl, case.relevant_date)
        d = Deadline(case=case, key=key, label_zh=zh, label_en=en, start_date=on, days=days, day_kind=tl.day_kind,
                     start_day_counts=tl.start_day_counts, roll_to_workday=tl.roll_to_workday,
                     extension_available=ext, pausable="awaiting_supplement" in tl.paused_while)
        _recompute(d)
        d.save()


def _pauses(d: Deadline) -> list[tuple[dt.date, dt.date]]:
    return [(dt.date.fromisoformat(a), dt.date.fromisoformat(b)) for a, b in d.pauses if b]


def _recompute(d: Deadline, calendar: Any = None) -> None:
    if d.pauses and d.pauses[-1][1] is None:
        d.due_date, d.provisional = None, False  # clock stopped while waiting for supplementary material
        return
    ext_kind = _extension_day_kind(d) if d.extension_days else d.day_kind
    if ext_kind == d.day_kind:
        due: Due = due_date(start=d.start_date, days=d.days + d.extension_days, day_kind=d.day_kind,  # type: ignore[arg-type]
                            start_day_counts=d.start_day_counts, roll_to_workday=d.roll_to_workday,
                            paused=_pauses(d), calendar=calendar)
        d.due_date, d.provisional = due.date, due.provisional
        return
    # An extension counted in another kind of day runs from the end of the base period (the start day of the
    # extension, the base due date, not counted): e.g. 15 natural days, extendable by 10 working days.
    base: Due = due_date(start=d.start_date, days=d.days, day_kind=d.day_kind,  # type: ignore[arg-type]
                         start_day_counts=d.start_day_counts, roll_to_workday=d.roll_to_workday, paused=_pauses(d),
                         calendar=calendar)
    ext: Due = due_date(start=base.date, days=d.extension_days, day_kind=ext_kind,  # type: ignore[arg-type]
                        start_day_counts=False, roll_to_workday=d.roll_to_workday, paused=_pauses(d),
                        calendar=calendar)
    d.due_date, d.provisional = ext.date, base.provisional or ext.provisional


def _extension_day_kind(d: Deadline) -> str:
    """The day kind the pack counts this deadline's extension in (`extension_day_kind`, default its own)."""
    try:
        proc = pack_of(d.case).procedure
    except UnknownPack:
        return d.day_kind
    tl: TimeLimit | None = None
    if proc is not None and d.key == "overall":
        tl = proc.overall_time_limit
    elif proc is not None and d.key.startswith("stage:"):
        tl = next((s.time_limit for s in proc.stages if s.id == d.key[len("stage:"):]), None)
    return (tl.extension_day_kind if tl else None) or d.day_kind


def _deadlines_after_transition(case: Case, pack: Pack, t: Transition, from_stage: str, day: dt.date,
                                terminal: frozenset[str]) -> None:
    for d in case.deadlines.filter(status=DeadlineStatus.open):
        changed = False
        if d.pausable and t.clock == "pause" and not (d.pauses and d.pauses[-1][1] is None):
            d.pauses = [*d.pauses, [day.isoformat(), None]]
            changed = True
        elif d.pausable and t.clock == "resume" and d.pauses and d.pauses[-1][1] is None:
            d.pauses = [*d.pauses[:-1], [d.pauses[-1][0], day.isoformat()]]
            changed = True
        closes = (d.key == f"stage:{from_stage}" and t.to != from_stage) or (d.key == "overall" and t.to in terminal)
        if changed:
            _recompute(d)
        if closes:
            d.status = DeadlineStatus.met if (d.due_date is None or day <= d.due_date) else DeadlineStatus.missed
            d.closed_on = day
        d.save()
    _open_deadlines(case, pack, event=t.action, on=day)


@transaction.atomic
def deadline_extend(*, case: Case, actor: Any, key: str = "overall", reason: str,
                    expected_version: int | None = None) -> Deadline:
    """Grant the pack's extension once (深圳：复杂情况可延长), with the reason recorded."""
    perm.require_any(actor, case, {"caseworker"}, "延长期限", "extend a deadline")
    case = _lock(case, expected_version)
    pack_of(case, verify=True)  # the extension is the pinned text's
    if not reason.strip():
        raise Invalid("延长期限须说明理由", "an extension requires a reason", field="reason")
    d = case.deadlines.select_for_update().filter(key=key, status=DeadlineStatus.open).first()
    if d is None:
        raise NotFound(f"没有进行中的期限 {key}", f"no open deadline {key}", field="key")
    if not d.extension_available or d.extension_days:
        raise Conflict("该期限不可延长或已延长", "this deadline cannot be extended, or already was", field="key")
    before = {"due_date": d.due_date, "provisional": d.provisional}
    d.extension_days = d.extension_available
    _recompute(d)
    d.save()
    _bump(case)
    audit_append(actor=actor, action="deadline.extend", subject=case, before=before,
                 after={"key": key, "due_date": d.due_date, "extension_days": d.extension_days, "reason": reason})
    return d


def deadlines_recompute(years: Iterable[int] | None = None) -> int:
    """Recompute every open deadline (after a calendar change); returns how many due dates changed."""
    open_ = list(Deadline.objects.filter(status=DeadlineStatus.open).select_related("case"))
    if not open_:
        return 0
    lo = min(d.start_date.year for d in open_)
    cal = load_calendar(lo, lo + 3)
    changed = 0
    with transaction.atomic():
        for d in open_:
            before = (d.due_date, d.provisional)
            _recompute(d, cal)
            if (d.due_date, d.provisional) != before:
                d.save(update_fields=["due_date", "provisional"])
                audit_append(actor=None, action="deadline.recompute", subject=d.case,
                             before={"key": d.key, "due_date": before[0], "provisional": before[1]},
                             after={"key": d.key, "due_date": d.due_date, "provisional": d.provisional,
                                    "years": sorted(years or [])})
                changed += 1
    return changed


@on_calendar_change
def _calendar_changed(years: frozenset[int]) -> None:
    deadlines_recompute(years)


def deadline_state(d: Deadline, on: dt.date | None = None, cal: Any = None) -> str:
    """paused | overdue | due_soon | on_track | closed — due soon is within DUE_SOON_WORKING_DAYS working days."""
    on = on or today()
    if d.status != DeadlineStatus.open:
        return "closed"
    if d.due_date is None:
        return "paused"
    if on > d.due_date:
        return "overdue"
    cal = cal or load_calendar(on.year, d.due_date.year)
    if cal.working_days_between(on, d.due_date) <= settings.DUE_SOON_WORKING_DAYS:
        return "due_soon"
    return "on_track"


# A case's deadlines, as `case.deadlines.all()` reads them, through a query compiled once (rongcuo.common.prepared): the
# case page and the case API list them on every view. Give `known={"case": case}` so that `d.case` asks nothing.
case_deadlines = Prepared(lambda case_id: Deadline.objects.filter(case_id=case_id))


def display_calendar(deadlines: list[Deadline]) -> Any:
    """One calendar for SHOWING the states of these deadlines (from today to the last due date's year), read from
    the cache across requests (SharedCalendar); never for a date that is stored."""
    on = today()
    last = max((d.due_date.year for d in deadlines if d.due_date), default=on.year)
    return load_calendar(min(on.year, last), max(on.year, last), shared=True)


def due_soon_until(on: dt.date, cal: Any = None) -> dt.date:
    """The last due date still "due soon" seen from `on` (DUE_SOON_WORKING_DAYS working days or fewer): the
    states of open deadlines are due-date ranges, so lists can be filtered and paged by the database."""
    cal = cal or load_calendar(on.year, on.year + 1)
    day = on
    for _ in range(366):  # a year without N working days is no calendar; stop rather than loop
        nxt = day + dt.timedelta(days=1)
        if cal.working_days_between(on, nxt) > settings.DUE_SOON_WORKING_DAYS:
            break
        day = nxt
    return day


def deadlines_sweep(*, on: dt.date | None = None) -> int:
    """Record a warning for each deadline newly due soon or overdue; running it twice records nothing new."""
    on = on or today()
    count = 0
    qs = Deadline.objects.filter(status=DeadlineStatus.open, due_date__isnull=False).select_related("case")
    cal = load_calendar(on.year, on.year + 2)
    for d in qs.iterator(chunk_size=2000):
        state = deadline_state(d, on, cal)
        if state not in ("due_soon", "overdue"):
            continue
        try:
            with transaction.atomic():
                DeadlineWarning.objects.create(deadline=d, kind=state, raised_on=on, due_date=d.due_date)
                audit_append(actor=None, action=f"deadline.{state}", subject=d.case,
                             after={"key": d.key, "due_date": d.due_date, "on": on})
                count += 1
        except IntegrityError:
            continue  # already warned for this due date
    return count


# --- experts and objections (used by preconditions; the full review procedure builds on these) -------

@transaction.atomic
def expert_assign(*, case: Case, actor: Any, expert: Any) -> ExpertAssignment:
    case = _lock(case, None)
    perm.require_any(actor, case, {"caseworker", "nsf_office"}, "指派评审专家", "assign experts")
    a, created = ExpertAssignment.objects.get_or_create(case=case, expert=expert)
    if created:
        _bump(case)
        audit_append(actor=actor, action="case.expert_assign", subject=case, after={"expert": expert.get_username()})
    return a


MOBILE = re.compile(r"(?:\+?86)?1[3-9]\d{9}")
LANDLINE = re.compile(r"(?:\+?86-?)?(?:0\d{2,3}-?|\(0\d{2,3}\))[1-9]\d{6,7}(?:-\d{1,6})?")
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")


def contact_valid(contact: str) -> bool:
    """A mainland mobile number, a landline with its area code (extension allowed), or an e-mail address."""
    value = contact.strip()
    phone = re.sub(r"[\s]", "", value)
    return bool(MOBILE.fullmatch(phone) or LANDLINE.fullmatch(phone) or EMAIL.fullmatch(value))


@transaction.atomic
def objection_file(*, case: Case, name: str, contact: str, text: str) -> Objection:
    """A member of the public objects to a decision under notice (no login)."""
    case = _lock(case, None)
    proc = _procedure(pack_of(case))
    if not proc.public_notice or not proc.public_notice.objections or not proc.public_notice.stage:
        raise Invalid("本程序没有公示异议环节", "this procedure has no objection period", field="case")
    notice = case.deadlines.filter(key=f"stage:{proc.public_notice.stage}", status=DeadlineStatus.open).first()
    if case.stage != proc.public_notice.stage or notice is None or notice.due_date is None \
            or today() > notice.due_date:
        raise Conflict("该案件不在公示期内", "the case is not under public notice", field="case")
    for field_name, value, limit in (("name", name, 100), ("contact", contact, 200), ("text", text, 5000)):
        if not value or not value.strip():
            raise Invalid("此项必填", "this field is required", field=field_name)
        if len(value) > limit:
            raise Invalid(f"不能超过 {limit} 字", f"at most {limit} characters", field=field_name)
    if not contact_valid(contact):
        raise Invalid("联系方式应为手机号码（如 13812345678）、带区号的固定电话（如 0571-87654321）或电子邮箱",
                      "contact must be a mobile number (e.g. 13812345678), a landline with its area code "
                      "(e.g. 0571-87654321) or an e-mail address", field="contact")
    obj = Objection.objects.create(case=case, name=name.strip(), contact=contact.strip(), text=text.strip(),
                                   filed_at=timezone.now())
    _bump(case)
    audit_append(actor=None, action="objection.file", subject=case, after={"objection": obj.pk})
    return obj


@transaction.atomic
def objection_answer(*, objection: Objection, actor: Any, answer: str, sustained: bool) -> Objection:
    case = _lock(objection.case, None)
    perm.require_any(actor, case, {"caseworker"}, "答复异议", "answer an objection")
    if objection.status != ObjectionStatus.open:
        raise Conflict("该异议已答复", "the objection was already answered", field="objection")
    if not answer.strip():
        raise Invalid("答复须说明理由", "the answer must give reasons", field="answer")
    objection.status, objection.answer, objection.sustained = ObjectionStatus.answered, answer.strip(), sustained
    objection.answered_by, objection.answered_at = actor, timezone.now()
    objection.save()
    _bump(case)
    audit_append(actor=actor, action="objection.answer", subject=case,
                 after={"objection": objection.pk, "sustained": sustained})
    return objection


# --- applications with their materials, and drafts (申请草稿) -----------------------------------------
# A draft is private to its applicant: whoever else asks is told there is no such draft (404), so a refusal
# never reveals that one exists. Its text is never written to the audit trail (only its length and SHA-256):
# the trail is read by staff, and an unfiled draft is nobody's business but the applicant's.

MAX_DRAFTS_PER_APPLICANT = 50


def application_materials(pack: Pack) -> list[Any]:
    """The materials an application is filed with: those of the first stage of the pack's procedure."""
    proc = pack.procedure
    return list(proc.stages[0].materials) if proc and proc.stages else []


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
        registry().get(pack_id, today())
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
                     pack_id: str | None = None, uploads: Iterable[tuple[str, Any]] = ()) -> Case:
    """File an application (`case_create`) with its materials, all or nothing.

    `uploads` are (material id, file) pairs; each material must be one the chosen pack asks the application
    for (`application_materials`), and each file passes `evidence_upload`'s checks. Any refusal — named
    `file.<material id>` — leaves no case behind.
    """
    uploads = list(uploads)
    case = case_create(actor=actor, project=project, applicant=applicant, failure_explanation=failure_explanation,
                       pack_id=pack_id or None)
    pack = pack_of(case)
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
               expected_version: int | None = None) -> Case:
    """File the application from a draft — with the form's current values where given — and delete the draft,
    in one transaction: if the filing or any upload is refused, the draft is still there, unchanged."""
    draft = _own_draft(actor, draft, expected_version)
    person = draft.applicant
    project = project or draft.project
    _leads(person, project, "为其提出申请", "file an application for it")
    text = draft.failure_explanation if failure_explanation is None else failure_explanation
    pack = draft.pack_id if pack_id is None else pack_id
    case = application_file(actor=actor, applicant=person, project=project, failure_explanation=text,
                            pack_id=pack or None, uploads=uploads)
    audit_append(actor=actor, action="draft.file", subject=case,
                 before={"draft": draft.pk, **_draft_audit(draft)}, after={"case": case.number})
    draft.delete()
    return case
