"""What each hook of `rongcuo.cases.hooks` tells whom (registered in `apps`), in the transaction of the change.

The texts name the case by its number, the project by its title and the stage and step by the pack's labels, in
Chinese and English; never an id, a role code or a username.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse

from rongcuo.cases.models import Case, Disposition
from rongcuo.common.packs import pack_of
from rongcuo.engine.model import Procedure, Text
from rongcuo.engine.pack import UnknownPack
from rongcuo.notifications import recipients as rcp
from rongcuo.notifications.models import Kind
from rongcuo.notifications.services import notify


def _procedure(case: Case) -> Procedure | None:
    try:
        return pack_of(case).procedure
    except UnknownPack:
        return None


def _stage(proc: Procedure | None, stage_id: str) -> Text:
    found = next((s.label for s in proc.stages if s.id == stage_id), None) if proc else None
    return found or Text(zh="（未知阶段）", en="(unknown stage)")


def _step(proc: Procedure | None, from_stage: str, action: str) -> Text | None:
    if proc is None or not from_stage:
        return None
    return next((t.label for t in proc.transitions_from(from_stage) if t.action == action), None)


def _case_link(case: Case) -> str:
    return reverse("case", args=[case.pk])


def _label(value: Any) -> tuple[str, str]:
    """A fact's label as (zh, en): a pack Text, a {"zh","en"} mapping, a (zh, en) pair, or a plain text."""
    if isinstance(value, Text):
        return value.zh, value.en
    if isinstance(value, dict):
        zh = str(value.get("zh") or value.get("en") or "")
        return zh, str(value.get("en") or zh)
    if isinstance(value, tuple | list) and len(value) == 2:
        return str(value[0]), str(value[1])
    return str(value), str(value)


def stage_changed(*, case: Case, from_stage: str, to_stage: str, action: str, actor: Any) -> None:
    """`ON_STAGE_CHANGED`: the applicant, the bureau's caseworkers, and the host unit's reviewers or the committee
    at their step (`recipients.stage_audience`). A case just decided tells its applicant and host unit by the
    decision's own notification instead."""
    proc = _procedure(case)
    ids = rcp.stage_audience(case, proc, from_stage, to_stage)
    if case.disposition == Disposition.decided:
        ids -= set(rcp.holders(case, "applicant")) | set(rcp.holders(case, "host_unit_reviewer"))
    stage, step = _stage(proc, to_stage), _step(proc, from_stage, action)
    number, project = case.number, case.project.title
    if not from_stage:
        title = (f"新的申请 {number}：{stage.zh}", f"New application {number}: {stage.en}")
        body = (f"项目“{project}”的容错免责申请（案件 {number}）已提交，现处于“{stage.zh}”阶段。",
                f"The tolerate-failure application for the project “{project}” (case {number}) has been filed and "
                f"is now at the stage “{stage.en}”.")
    elif from_stage == to_stage:
        what = step or Text(zh="办理", en="handled")
        title = (f"案件 {number}：{what.zh}", f"Case {number}: {what.en}")
        body = (f"项目“{project}”的案件 {number}：{what.zh}。案件仍处于“{stage.zh}”阶段。",
                f"Case {number} of the project “{project}”: {what.en}. The case is still at the stage “{stage.en}”.")
    else:
        title = (f"案件 {number} 进入“{stage.zh}”阶段", f"Case {number} is now at the stage “{stage.en}”")
        done_zh = f"：{step.zh}。" if step else "，"
        done_en = f": {step.en}. It" if step else ""
        body = (f"项目“{project}”的案件 {number}{done_zh}现处于“{stage.zh}”阶段。",
                f"Case {number} of the project “{project}”{done_en} is now at the stage “{stage.en}”.")
    notify(recipients=rcp.users(ids), kind=Kind.stage_changed, case=case, title=title, body=body,
           link=_case_link(case), actor=actor)


def case_assigned(*, case: Case, user: Any, role: str, actor: Any = None) -> None:
    """`ON_CASE_ASSIGNED`: the person the case was assigned to (an expert: with the link to their review)."""
    number, project = case.number, case.project.title
    if role == "expert":
        title = (f"请评审案件 {number}", f"Please review case {number}")
        body = (f"您被选为项目“{project}”的案件 {number} 的评审专家，请在评审页面提交评审意见，或说明理由谢绝。",
                f"You have been chosen as an expert for case {number} of the project “{project}”: please submit "
                f"your review on the review page, or decline with your reasons.")
        link = reverse("expert_review", args=[case.pk])
    else:
        title = (f"案件 {number} 已分派给您办理", f"Case {number} has been assigned to you")
        body = (f"项目“{project}”的案件 {number} 已分派给您办理。", f"Case {number} of the project “{project}” has "
                "been assigned to you.")
        link = _case_link(case)
    notify(recipients=rcp.users([user.pk]), kind=Kind.assigned, case=case, title=title, body=body, link=link,
           actor=actor)


def facts_requested(*, case: Case, role: str, facts: Iterable[Any], actor: Any = None) -> None:
    """`ON_FACTS_REQUESTED`: whoever holds `role` on the case, with the facts' labels."""
    labels = [_label(f) for f in facts]
    number, project = case.number, case.project.title
    title = (f"请认定事实：案件 {number}", f"Facts requested: case {number}")
    body = (f"项目“{project}”的案件 {number} 请您认定以下事实：{'、'.join(zh for zh, _ in labels)}。",
            f"On case {number} of the project “{project}”, please establish: {'; '.join(en for _, en in labels)}.")
    notify(recipients=rcp.users(rcp.holders(case, role)), kind=Kind.facts_requested, case=case, title=title,
           body=body, link=_case_link(case), actor=actor)


def objection_filed(*, case: Case, objection: Any) -> None:
    """`ON_OBJECTION_FILED`: the bureau's caseworkers, who verify and answer it (the objector's name and contact
    stay on the case page, never in a message)."""
    number, project = case.number, case.project.title
    title = (f"案件 {number} 公示期间收到异议", f"Objection received on case {number}")
    body = (f"项目“{project}”的案件 {number} 在公示期间收到一件异议，请核实并答复。",
            f"An objection was filed against case {number} of the project “{project}” during its public notice: "
            "please verify and answer it.")
    notify(recipients=rcp.users(rcp.holders(case, "caseworker")), kind=Kind.objection_received, case=case,
           title=title, body=body, link=_case_link(case))


def deadline_warned(*, warning: Any) -> None:
    """`ON_DEADLINE_WARNING`: the experts whose review a case waits for (invited members of its current panel,
    not yet concluded), when a deadline running on the case in its present stage (the stage's own, or the
    overall time limit) is due soon or overdue."""
    d = warning.deadline
    case = d.case
    if d.key not in ("overall", f"stage:{case.stage}"):
        return
    ids = rcp.waiting_experts(case)
    if not ids:
        return
    number, project, due = case.number, case.project.title, d.due_date.isoformat() if d.due_date else ""
    if warning.kind == "overdue":
        title = (f"评审已逾期：案件 {number}", f"Review overdue: case {number}")
        body = (f"项目“{project}”的案件 {number} 的期限“{d.label_zh}”已于 {due} 届满，"
                "您的评审意见尚未提交，请尽快提交。",
                f"The time limit “{d.label_en}” of case {number} of the project “{project}” ended on {due} and your "
                "review has not been submitted: please submit it as soon as possible.")
    else:
        title = (f"评审即将到期：案件 {number}", f"Review due soon: case {number}")
        body = (f"项目“{project}”的案件 {number} 的期限“{d.label_zh}”将于 {due} 届满，请在此之前提交评审意见。",
                f"The time limit “{d.label_en}” of case {number} of the project “{project}” ends on {due}: "
                "please submit your review before then.")
    notify(recipients=rcp.users(ids), kind=Kind.review_due, case=case, title=title, body=body,
           link=reverse("expert_review", args=[case.pk]))


def decision_prepare(*, case: Case, actor: Any, on: Any) -> None:
    """The first half of the `ON_CASE_DECIDED` pair: nothing to prepare."""
    return None


def decision_issued(*, case: Case, actor: Any, on: Any, prepared: Any = None) -> None:
    """`ON_CASE_DECIDED` (after review has stored the decision letter): the applicant and the host unit's
    reviewers are told the decision and the letter's number."""
    from rongcuo.review.models import Decision, Letter

    decision = Decision.objects.filter(case=case).first()
    letter = Letter.objects.filter(case=case).order_by("-issued_on", "-id").first()
    number, project = case.number, case.project.title
    if decision is not None and decision.decision == "exempt":
        what = ("予以容错免责", "the exemption is granted")
    elif decision is not None:
        what = ("不予认定容错免责（理由见认定结果通知书）", "the exemption is refused (the letter gives the reasons)")
    else:
        what = ("已作出认定结果", "a decision has been made")
    doc = (f"认定结果通知书（{letter.doc_number}）可在案件页面下载。", f"The decision letter ({letter.doc_number}) "
           "can be downloaded on the case page.") if letter else ("", "")
    title = (f"案件 {number} 认定结果已出具", f"Decision issued on case {number}")
    body = (f"项目“{project}”的案件 {number}：{what[0]}。{doc[0]}",
            f"Case {number} of the project “{project}”: {what[1]}. {doc[1]}".strip())
    ids = set(rcp.holders(case, "applicant")) | set(rcp.holders(case, "host_unit_reviewer"))
    notify(recipients=rcp.users(ids), kind=Kind.decision_issued, case=case, title=title, body=body,
           link=_case_link(case), actor=actor)
