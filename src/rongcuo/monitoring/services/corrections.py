"""The correction procedure (纠错): `STEPS` is its whole state table, read as a pack's procedure is; each step
is one transaction with its event and audit event. `correction_sweep` escalates corrections whose deadline to
rectify has passed."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from rongcuo.audit.chain import canonical
from rongcuo.audit.services import audit_append
from rongcuo.common.errors import Conflict, Forbidden, Invalid, PreconditionFailed
from rongcuo.common.packs import pack_changed, registry
from rongcuo.common.uploads import content_type_of, upload_check
from rongcuo.engine.model import transitions_from
from rongcuo.engine.monitoring import CorrectionRules, rectification_days
from rongcuo.engine.pack import Pack
from rongcuo.monitoring import notices, services
from rongcuo.monitoring import permissions as perm
from rongcuo.monitoring.models import (
    CorrectionCase,
    CorrectionDocument,
    CorrectionEvent,
    CorrectionState,
    EarlyWarning,
    InspectionItem,
    WarningStatus,
)
from rongcuo.monitoring.packs import monitoring_pack
from rongcuo.monitoring.services.inputs import clean_text
from rongcuo.monitoring.services.sweep import warning_describe
from rongcuo.registry.models import Organisation, Project
from rongcuo.workdays.selectors import due_date
from rongcuo.workdays.services import on_calendar_change

S = CorrectionState


@dataclass(frozen=True)
class Step:
    """One allowed move of a correction, in the shape of a pack procedure's transition
    (`rongcuo.engine.model.Transition`): from a state, to a state, by whom, on what preconditions."""

    from_: str
    to: str
    by: frozenset[str]
    action: str
    label_zh: str
    label_en: str
    requires: tuple[str, ...] = ()


def _step(action: str, sources: Sequence[str], to: str, by: Iterable[str], label_zh: str, label_en: str,
          requires: tuple[str, ...] = ()) -> list[Step]:
    """An action possible from several states: one step from each, as a procedure writes it."""
    return [Step(s, to, frozenset(by), action, label_zh, label_en, requires) for s in sources]


AWAITING_RECTIFICATION = (S.notice_served, S.interview_scheduled, S.interview_held)
TERMINAL = (S.verified, S.measure_recorded)
OPEN_STATES = tuple(s for s in S.values if s not in TERMINAL)

#: The whole procedure, as data read like a pack's procedure (`rongcuo.engine.model.transitions_from`), in the
#: order its actions are offered. `system` is the correction sweep.
STEPS: tuple[Step, ...] = (
    *_step("serve_notice", (S.opened,), S.notice_served, {"caseworker"}, "送达纠错通知书",
           "Serve the correction notice"),
    *_step("schedule_interview", (S.notice_served, S.interview_scheduled), S.interview_scheduled, {"caseworker"},
           "安排谈话问询", "Schedule the interview", ("procedure_has_interview",)),
    *_step("hold_interview", (S.interview_scheduled,), S.interview_held, {"caseworker"}, "记录谈话问询",
           "Record the interview"),
    *_step("submit_rectification", AWAITING_RECTIFICATION, S.rectification_submitted,
           {"lead", "host_unit_reviewer", "caseworker"}, "提交整改情况", "Submit the rectification",
           ("interview_held_if_required", "deadline_set", "before_deadline")),
    *_step("accept_rectification", (S.rectification_submitted,), S.verified, {"caseworker"}, "整改验收通过",
           "Accept the rectification"),
    *_step("reject_rectification", (S.rectification_submitted,), S.escalated, {"caseworker"},
           "整改验收不通过，移交严肃处理", "Reject the rectification and escalate"),
    *_step("escalate", AWAITING_RECTIFICATION, S.escalated, {"system", "caseworker"}, "逾期未整改，移交严肃处理",
           "Escalate: the deadline to rectify has passed", ("deadline_passed",)),
    *_step("record_measure", (S.escalated,), S.measure_recorded, {"caseworker", "committee"}, "记录处理措施",
           "Record the measure taken"),
)
#: Each action with its first step (for its label).
ACTIONS: dict[str, Step] = {s.action: s for s in reversed(STEPS)}


def steps_from(state: str) -> list[Step]:
    """The steps that can be taken in `state`, read from STEPS as a pack's procedure is read."""
    return transitions_from(STEPS, state, TERMINAL)


def correction_rules(case: CorrectionCase) -> CorrectionRules:
    pack = registry().get(f"{case.pack_id}@{case.pack_version}")
    assert pack.monitoring is not None and pack.monitoring.correction is not None
    return pack.monitoring.correction


def _unmet(case: CorrectionCase, req: str, on: dt.date) -> tuple[str, str] | None:
    rules = correction_rules(case)
    if req == "procedure_has_interview":
        if rules.interview is None:
            return "本纠错程序没有谈话问询环节", "this correction procedure has no interview"
        return None
    if req == "interview_held_if_required":
        if rules.interview is not None and rules.interview.required and case.state != S.interview_held:
            return ("须先进行谈话问询，再提交整改情况",
                    "the interview must be held before the rectification is submitted")
        return None
    if req == "deadline_set":
        return None if case.rectify_due else ("整改期限尚未起算", "the deadline to rectify has not started yet")
    if req == "before_deadline":
        if case.rectify_due and on > case.rectify_due:
            return (f"整改期限（{case.rectify_due}）已过，本案将移交严肃处理",
                    f"the deadline to rectify ({case.rectify_due}) has passed; the case is escalated")
        return None
    if req == "deadline_passed":
        if not case.rectify_due or on <= case.rectify_due:
            return (f"整改期限（{case.rectify_due or '未起算'}）尚未届满",
                    f"the deadline to rectify ({case.rectify_due or 'not started'}) has not passed")
        return None
    raise PreconditionFailed(f"未知前提 {req}", f"unknown precondition {req}", field="action")


def available_actions(case: CorrectionCase, roles: set[str], on: dt.date | None = None) -> list[dict[str, Any]]:
    """The steps the user could take now, each with its unmet precondition (None if it can be taken)."""
    on = on or services.today()
    acting = roles - perm.READ_ONLY_ROLES
    out = []
    for step in steps_from(case.state):
        if not ("admin" in acting or acting & step.by):
            continue
        unmet = next((u for u in (_unmet(case, r, on) for r in step.requires) if u), None)
        out.append({"action": step.action, "to": step.to, "label": {"zh": step.label_zh, "en": step.label_en},
                    "possible": unmet is None, "unmet": {"zh": unmet[0], "en": unmet[1]} if unmet else None})
    return out


def _snapshot(case: CorrectionCase) -> dict[str, Any]:
    return {"state": case.state, "version": case.version, "rectify_due": case.rectify_due,
            "notice_number": case.notice_number}


def _begin(case: CorrectionCase, actor: Any, action: str, expected_version: int | None,
           on: dt.date) -> tuple[CorrectionCase, Step, str, dict[str, Any]]:
    """Lock the case, check the table (state, role, preconditions); the caller then fills in its fields."""
    locked = CorrectionCase.objects.select_for_update().select_related("project", "bureau").get(pk=case.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(f"纠错案件已被他人修改（当前版本 {locked.version}，您提交的是 {expected_version}），"
                       "请刷新后重试",
                       f"the correction was changed by someone else (version {locked.version}, you sent "
                       f"{expected_version}); reload and try again", field="version")
    possible = steps_from(locked.state)
    step = next((s for s in possible if s.action == action), None)
    if step is None:
        here = [s.action for s in possible]
        raise Conflict(f"当前状态“{S(locked.state).label}”不能执行“{ACTIONS[action].label_zh}”；"
                       f"可执行：{', '.join(here) or '无'}",
                       f"cannot {action} in state {locked.state}; possible: {', '.join(here) or 'none'}",
                       field="action")
    role = "system" if actor is None else perm.require(
        perm.project_roles(actor, locked.project), set(step.by), step.label_zh, step.label_en.lower())
    if role == "system" and "system" not in step.by:
        raise Forbidden("须由经办人执行", "a caseworker must take this step", field="role")
    pack = registry().get(f"{locked.pack_id}@{locked.pack_version}")
    refused = pack_changed(locked, pack, ("本纠错案件启动", "this correction was opened"))
    if refused is not None:  # every step runs under the text pinned when the correction was opened
        raise refused
    for req in step.requires:
        unmet = _unmet(locked, req, on)
        if unmet:
            raise PreconditionFailed(unmet[0], unmet[1], field="action")
    return locked, step, role, _snapshot(locked)


def _finish(case: CorrectionCase, actor: Any, step: Step, role: str, before: dict[str, Any], on: dt.date,
            data: dict[str, Any]) -> CorrectionCase:
    from_state = case.state
    case.state = step.to
    case.version += 1
    if step.to in TERMINAL:
        case.closed_on = on
        # The warnings behind the correction are dealt with once it is closed (verified, or the measure taken).
        open_ids = list(case.warnings.filter(status=WarningStatus.open).values_list("id", flat=True))
        if open_ids:
            EarlyWarning.objects.filter(pk__in=open_ids).update(
                status=WarningStatus.resolved, resolved_on=on,
                resolved_by=actor if getattr(actor, "pk", None) else None,
                resolution=f"纠错案件 {case.number}：{step.label_zh} / correction {case.number}: {step.label_en}")
            data = {**data, "warnings_resolved": open_ids}
    case.save()
    CorrectionEvent.objects.create(case=case, action=step.action, from_state=from_state, to_state=step.to,
                                   actor=actor if getattr(actor, "pk", None) else None, role=role, on=on,
                                   at=timezone.now(), data=canonical(data))
    audit_append(actor=actor, action=f"correction.{step.action}", subject=case, before=before,
                 after={**_snapshot(case), **data, "role": role})
    return case


def _deadline(case: CorrectionCase, rules: CorrectionRules, pack: Pack, start: dt.date) -> None:
    r = rules.rectification
    days = rectification_days(rules, pack.params_dict(case.opened_on))
    due = due_date(start=start, days=days, day_kind=r.day_kind, start_day_counts=r.start_day_counts)
    case.rectify_start, case.rectify_days, case.rectify_day_kind = start, days, r.day_kind
    case.rectify_start_day_counts = r.start_day_counts
    case.rectify_due, case.rectify_provisional = due.date, due.provisional


@transaction.atomic
def correction_open(*, project: Project, actor: Any, problem: str, warnings: Sequence[EarlyWarning] = (),
                    inspection_item: InspectionItem | None = None) -> CorrectionCase:
    """Start the correction procedure on a project (启动纠错程序) for a problem found — by a warning, an
    inspection, or otherwise. One open correction per project at a time."""
    role = perm.require(perm.project_roles(actor, project), {"caseworker"}, "启动纠错程序", "open a correction")
    text = clean_text(problem, "problem")
    on = services.today()
    bureau = project.bureau
    pack = monitoring_pack(bureau, on, need="correction")
    if pack is None:
        raise Invalid("该主管部门适用的政策包没有规定纠错程序（monitoring.yaml 的 correction）",
                      "none of the bureau's packs in force defines a correction procedure (correction in "
                      "monitoring.yaml)", field="project_id")
    for w in warnings:
        if w.project_id != project.pk:
            raise Invalid(f"预警 {w.pk} 不属于该项目", f"warning {w.pk} is not about this project", field="warning_ids")
    if inspection_item is not None and inspection_item.project_id != project.pk:
        raise Invalid("抽查记录不属于该项目", "the inspection item is not about this project",
                      field="inspection_item_id")
    Project.objects.select_for_update().filter(pk=project.pk).first()  # one open correction per project
    other = CorrectionCase.objects.filter(project=project, state__in=OPEN_STATES).first()
    if other is not None:
        raise Conflict(f"该项目已有进行中的纠错案件 {other.number}",
                       f"the project has an open correction {other.number}", field="project_id")
    case = CorrectionCase.objects.create(number=f"TMP-{secrets.token_hex(6)}", project=project, bureau=bureau,
                                         pack_id=pack.id, pack_version=pack.version, pack_hash=pack.content_hash,
                                         problem=text, inspection_item=inspection_item, opened_on=on, opened_by=actor)
    case.number = f"JC-{on.year}-{case.pk:06d}"
    case.save(update_fields=["number"])
    if warnings:
        case.warnings.set(warnings)
    data = {"problem": text, "warnings": [w.pk for w in warnings],
            "inspection_item": inspection_item.pk if inspection_item else None, "pack": pack.ref}
    CorrectionEvent.objects.create(case=case, action="open", from_state="", to_state=case.state, actor=actor,
                                   role=role, on=on, at=timezone.now(), data=canonical(data))
    audit_append(actor=actor, action="correction.open", subject=case,
                 after={**_snapshot(case), "number": case.number, "project": project.code, **data})
    return case


def _notice_data(case: CorrectionCase, rules: CorrectionRules, pack: Pack, cc: str) -> notices.NoticeData:
    project = case.project
    # The clauses the procedure rests on, each cited once with its full text.
    used = [rules.clause] + [step.clause for step in (rules.notice, rules.interview, rules.rectification,
                                                      rules.escalation) if step is not None and step.clause]
    basis = [(cl.cites.article + (cl.cites.item or ""), cl.text_zh)
             for cl in (pack.clauses[cid].clause for cid in dict.fromkeys(used))]
    findings = []
    for w in case.warnings.all().order_by("id"):
        d = warning_describe(w, pack)
        findings.append((d["text"]["zh"], d["text"]["en"]))
    esc = rules.escalation
    escalation_zh = f"根据上述规定，{esc.quote}" if esc.quote else "逾期未整改或整改未通过的，本机关将依规处理"
    return notices.NoticeData(
        issuer_zh=case.bureau.name_zh, issuer_en=case.bureau.name_en or case.bureau.name_zh,
        doc_number=case.notice_number, title_zh=rules.notice.title.zh, title_en=rules.notice.title.en,
        recipient_zh=project.host_unit.name_zh, project_zh=project.title, project_code=project.code,
        lead_zh=project.lead.name, case_number=case.number, pack_title_zh=pack.meta.title.zh, pack_ref=pack.ref,
        pack_hash=pack.content_hash, basis=tuple(basis), problem_zh=case.problem,
        findings=tuple(findings), requirements_zh=case.requirements, due=case.rectify_due,
        due_days=case.rectify_days or rectification_days(rules, pack.params_dict(case.opened_on)),
        day_kind=rules.rectification.day_kind, due_provisional=case.rectify_provisional,
        from_event=rules.rectification.from_event, interview=rules.interview is not None,
        escalation_zh=escalation_zh, cc_zh=cc or None, date=case.notice_served_on or services.today(),
        date_numerals=case.bureau.date_numerals)


def _store(case: CorrectionCase, kind: str, name: str, content: bytes, content_type: str,
           actor: Any) -> CorrectionDocument:
    digest = hashlib.sha256(content).hexdigest()
    doc = CorrectionDocument(case=case, kind=kind, original_name=name[:255], content_type=content_type,
                             size=len(content), sha256=digest,
                             uploaded_by=actor if getattr(actor, "pk", None) else None)
    doc.file.save(f"{case.number}-{kind}-{digest[:12]}{PurePath(name).suffix.lower()}", ContentFile(content),
                  save=False)
    doc.save()
    return doc


@transaction.atomic
def correction_serve_notice(*, case: CorrectionCase, actor: Any, requirements: str, cc: str = "",
                            expected_version: int | None = None) -> CorrectionCase:
    """Generate and serve the correction notice (发送纠错通知书) as a DOCX, recorded with its SHA-256; the
    deadline to rectify starts now when the pack counts it from the notice."""
    on = services.today()
    case, step, role, before = _begin(case, actor, "serve_notice", expected_version, on)
    case.requirements = clean_text(requirements, "requirements")
    cc = clean_text(cc, "cc", limit=300, required=False)
    rules = correction_rules(case)
    pack = registry().get(f"{case.pack_id}@{case.pack_version}")
    case.notice_number = case.bureau.doc_number(on.year, case.pk, "纠")
    case.notice_served_on = on
    if rules.rectification.from_event == "notice_served":
        _deadline(case, rules, pack, on)
    content = notices.render_notice_docx(_notice_data(case, rules, pack, cc))
    doc = _store(case, "notice", f"{case.number}-{rules.notice.title.zh}.docx", content,
                 content_type_of(".docx"), actor)
    return _finish(case, actor, step, role, before, on, {
        "notice_number": case.notice_number, "sha256": doc.sha256, "document": doc.pk,
        "rectify_due": case.rectify_due, "rectify_days": case.rectify_days, "day_kind": case.rectify_day_kind,
        "provisional": case.rectify_provisional})


@transaction.atomic
def correction_schedule_interview(*, case: CorrectionCase, actor: Any, at: dt.datetime, place: str,
                                  expected_version: int | None = None) -> CorrectionCase:
    """Schedule (or move) the interview (谈话问询)."""
    on = services.today()
    case, step, role, before = _begin(case, actor, "schedule_interview", expected_version, on)
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if timezone.localtime(at).date() < on:
        raise Invalid("谈话日期不能早于今天", "the interview cannot be scheduled in the past", field="at")
    case.interview_at, case.interview_place = at, clean_text(place, "place", limit=200)
    return _finish(case, actor, step, role, before, on, {"at": at.isoformat(), "place": case.interview_place})


def _upload(case: CorrectionCase, actor: Any, kind: str, file: Any) -> CorrectionDocument:
    """A document checked like case evidence (`rongcuo.common.uploads`): allowed type by content, size, no
    executables; stored under its safe name with its SHA-256."""
    checked = upload_check(file)
    return _store(case, kind, checked.safe_name, file.read(), checked.content_type, actor)


ATTACHABLE: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    # kind: (who may attach it, in which states)
    "interview_record": (frozenset({"caseworker"}), (S.interview_scheduled, S.interview_held)),
    "rectification_evidence": (frozenset({"lead", "host_unit_reviewer", "caseworker"}),
                               (*AWAITING_RECTIFICATION, S.rectification_submitted)),
}


@transaction.atomic
def correction_attach(*, case: CorrectionCase, actor: Any, kind: str, file: Any) -> CorrectionDocument:
    """Attach an interview record or evidence of rectification (type checked by content, SHA-256 kept)."""
    if kind not in ATTACHABLE:
        raise Invalid(f"文件类型须为：{', '.join(ATTACHABLE)}", f"kind must be one of: {', '.join(ATTACHABLE)}",
                      field="kind")
    case = CorrectionCase.objects.select_for_update().select_related("project").get(pk=case.pk)
    who, states = ATTACHABLE[kind]
    perm.require(perm.project_roles(actor, case.project), set(who), "上传该文件", f"attach {kind}")
    if case.state not in states:
        raise Conflict(f"当前状态“{S(case.state).label}”不能上传该文件", f"cannot attach {kind} in state {case.state}",
                       field="kind")
    doc = _upload(case, actor, kind, file)
    case.version += 1
    case.save(update_fields=["version"])
    audit_append(actor=actor, action="correction.attach", subject=case,
                 after={"kind": kind, "document": doc.pk, "name": doc.original_name, "sha256": doc.sha256})
    return doc


@transaction.atomic
def correction_hold_interview(*, case: CorrectionCase, actor: Any, record: str, file: Any = None,
                              expected_version: int | None = None) -> CorrectionCase:
    """Record the interview held (谈话问询记录); the deadline starts now when the pack counts it from here."""
    on = services.today()
    case, step, role, before = _begin(case, actor, "hold_interview", expected_version, on)
    case.interview_record = clean_text(record, "record", limit=20000)
    case.interview_held_on = on
    doc = _upload(case, actor, "interview_record", file) if file is not None else None
    rules = correction_rules(case)
    if rules.rectification.from_event == "interview_held":
        _deadline(case, rules, registry().get(f"{case.pack_id}@{case.pack_version}"), on)
    return _finish(case, actor, step, role, before, on, {
        "held_on": on, "document": doc.pk if doc else None, "sha256": doc.sha256 if doc else None,
        "rectify_due": case.rectify_due})


@transaction.atomic
def correction_submit_rectification(*, case: CorrectionCase, actor: Any, description: str, file: Any = None,
                                    expected_version: int | None = None) -> CorrectionCase:
    """The project (or the caseworker for it) submits what was rectified, with evidence, before the deadline."""
    on = services.today()
    case, step, role, before = _begin(case, actor, "submit_rectification", expected_version, on)
    case.rectification = clean_text(description, "description", limit=20000)
    case.rectification_submitted_on = on
    doc = _upload(case, actor, "rectification_evidence", file) if file is not None else None
    return _finish(case, actor, step, role, before, on, {
        "submitted_on": on, "document": doc.pk if doc else None, "sha256": doc.sha256 if doc else None})


@transaction.atomic
def correction_verify(*, case: CorrectionCase, actor: Any, passed: bool, notes: str = "",
                      expected_version: int | None = None) -> CorrectionCase:
    """Verify the rectification: passed closes the correction; failed (整改效果不明显) escalates it."""
    on = services.today()
    action = "accept_rectification" if passed else "reject_rectification"
    case, step, role, before = _begin(case, actor, action, expected_version, on)
    case.verification_passed, case.verified_on = passed, on
    case.verification_notes = clean_text(notes, "notes", limit=20000, required=not passed)
    if not passed:
        case.escalated_on, case.escalation_reason = on, "verification_failed"
    return _finish(case, actor, step, role, before, on, {"passed": passed, "notes": case.verification_notes})


@transaction.atomic
def correction_escalate(*, case: CorrectionCase, actor: Any = None, on: dt.date | None = None) -> CorrectionCase:
    """The deadline to rectify passed without a rectification: escalate (移交严肃处理)."""
    on = on or services.today()
    case, step, role, before = _begin(case, actor, "escalate", None, on)
    case.escalated_on, case.escalation_reason = on, "deadline_missed"
    return _finish(case, actor, step, role, before, on, {"reason": "deadline_missed", "rectify_due": case.rectify_due})


@transaction.atomic
def correction_record_measure(*, case: CorrectionCase, actor: Any, measure: str, text: str,
                              expected_version: int | None = None) -> CorrectionCase:
    """The bureau records the measure it took after the escalation (给予严肃处理) and its basis."""
    on = services.today()
    case, step, role, before = _begin(case, actor, "record_measure", expected_version, on)
    allowed = [m.id for m in correction_rules(case).measures]
    if measure not in allowed:
        raise Invalid(f"处理措施须为：{', '.join(allowed)}", f"the measure must be one of: {', '.join(allowed)}",
                      field="measure")
    case.measure, case.measure_text, case.measure_on = measure, clean_text(text, "text", limit=20000), on
    return _finish(case, actor, step, role, before, on, {"measure": measure, "text": case.measure_text})


def correction_sweep(*, on: dt.date | None = None, bureau: Organisation | None = None) -> list[str]:
    """Escalate every correction whose deadline to rectify has passed without a rectification; returns their
    numbers. Idempotent: an escalated correction is no longer awaiting rectification."""
    on = on or services.today()
    qs = CorrectionCase.objects.filter(state__in=AWAITING_RECTIFICATION, rectify_due__lt=on)
    if bureau is not None:
        qs = qs.filter(bureau=bureau)
    done = []
    for case in qs.order_by("rectify_due", "id"):
        try:
            done.append(correction_escalate(case=case, on=on).number)
        except Conflict:
            continue  # taken by someone else meanwhile
    return done


def correction_sweep_request(*, bureau: Organisation, actor: Any) -> list[str]:
    perm.require(perm.bureau_roles(actor, bureau.pk), {"caseworker"}, "运行纠错期限巡查", "run the correction sweep")
    return correction_sweep(bureau=bureau)


def correction_recompute(years: Iterable[int] | None = None) -> int:
    """Recompute open deadlines to rectify after a change of the official calendar; returns how many moved."""
    changed = 0
    with transaction.atomic():
        for case in CorrectionCase.objects.select_for_update().filter(state__in=AWAITING_RECTIFICATION,
                                                                     rectify_start__isnull=False):
            due = due_date(start=case.rectify_start, days=case.rectify_days or 0,
                           day_kind=case.rectify_day_kind,  # type: ignore[arg-type]
                           start_day_counts=case.rectify_start_day_counts)
            if (due.date, due.provisional) != (case.rectify_due, case.rectify_provisional):
                before = {"rectify_due": case.rectify_due, "provisional": case.rectify_provisional}
                case.rectify_due, case.rectify_provisional = due.date, due.provisional
                case.save(update_fields=["rectify_due", "rectify_provisional"])
                audit_append(actor=None, action="correction.deadline_recompute", subject=case, before=before,
                             after={"rectify_due": due.date, "provisional": due.provisional,
                                    "years": sorted(years or [])})
                changed += 1
    return changed


@on_calendar_change
def _calendar_changed(years: frozenset[int]) -> None:
    correction_recompute(years)
