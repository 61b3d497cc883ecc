"""What the case pages share: texts, the case read for a page, a refused step shown beside its form.

Thin: reads go through `permissions` (visible_cases, case_for, roles_on_case) and the services; every write is one
service call. A ServiceError is shown beside the form that caused it, naming the field, with the service's status
(400, 403, 404, 409) — never a 500."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse

from rongcuo.cases import clock
from rongcuo.cases import permissions as perm
from rongcuo.cases import selectors as sel
from rongcuo.cases.models import Case
from rongcuo.common.errors import NotFound, ServiceError
from rongcuo.common.i18n import lang, pick
from rongcuo.engine.model import Text
from rongcuo.engine.pack import Pack

UPLOAD_ROLES = {"applicant", "host_unit_reviewer", "caseworker", "nsf_office", "expert", "admin"}
AUDIT_ROLES = {"caseworker", "auditor", "committee", "admin"}  # as the API's audit endpoint
# The order a finding role is offered in: the one a user most likely acts in first.
ACCEPT = ".pdf,.ofd,.docx,.xlsx,.jpg,.jpeg,.png"

DISPOSITION_TEXT = {
    "open": Text(zh="办理中", en="Open"), "decided": Text(zh="已作出决定", en="Decided"),
    "withdrawn": Text(zh="已撤回", en="Withdrawn"), "inadmissible": Text(zh="不予受理", en="Inadmissible"),
    "archived": Text(zh="已归档", en="Archived"),
}
STATE_TEXT = {
    "overdue": Text(zh="已逾期", en="Overdue"), "due_soon": Text(zh="即将到期", en="Due soon"),
    "on_track": Text(zh="正常", en="On track"), "paused": Text(zh="计时中止", en="Clock stopped"),
    "closed": Text(zh="已结束", en="Closed"),
}
FIELD_TEXT = {
    "version": Text(zh="版本", en="version"), "action": Text(zh="操作", en="action"),
    "reason": Text(zh="理由", en="reason"), "file": Text(zh="文件", en="file"),
    "kind": Text(zh="材料类型", en="kind of material"), "facts": Text(zh="事实", en="facts"),
    "role": Text(zh="认定身份", en="finding role"), "note": Text(zh="说明", en="note"),
    "evidence_ids": Text(zh="证据", en="evidence"),
    "failure_explanation": Text(zh="失败情况说明", en="failure explanation"),
    "pack_id": Text(zh="政策包", en="policy pack"), "project": Text(zh="项目", en="project"),
    "applicant": Text(zh="申请人", en="applicant"), "case": Text(zh="案件", en="case"),
    "determination_id": Text(zh="认定事项", en="determination"), "key": Text(zh="期限", en="deadline"),
    "size": Text(zh="专家组人数", en="panel size"), "override_reason": Text(zh="不符合规则的理由", en="reason to "
                                                                               "depart from the rules"),
    "member": Text(zh="专家组成员", en="panel member"), "answer": Text(zh="答复", en="answer"),
    "sustained": Text(zh="异议是否成立", en="sustained or not"), "objection": Text(zh="异议", en="objection"),
    "obligation": Text(zh="义务", en="obligation"), "decision": Text(zh="决定", en="decision"),
    "reasons": Text(zh="理由", en="reasons"), "members_present": Text(zh="出席成员", en="members present"),
    "votes": Text(zh="表决", en="votes"), "clauses": Text(zh="所依据条款", en="clauses relied on"),
    "scores": Text(zh="评分", en="scores"), "opinion": Text(zh="评审意见", en="opinion"),
    "vote": Text(zh="表决意见", en="vote"), "committee_member": Text(zh="集体审议成员", en="committee member"),
    "receipt_number": Text(zh="异议登记号", en="receipt number"), "lookup_code": Text(zh="查询码", en="lookup code"),
    "attachments": Text(zh="附件", en="attachments"),
}
AUDIT_TEXT = {
    "case.create": Text(zh="提出申请（立案）", en="Application filed"),
    "case.update": Text(zh="修改失败情况说明", en="Failure explanation amended"),
    "case.facts": Text(zh="认定事实", en="Facts recorded"),
    "evidence.upload": Text(zh="上传材料", en="Material uploaded"),
    "deadline.extend": Text(zh="延长期限", en="Deadline extended"),
    "deadline.recompute": Text(zh="因日历调整重算期限", en="Deadline recomputed after a calendar change"),
    "deadline.due_soon": Text(zh="期限即将到期提醒", en="Due-soon warning"),
    "deadline.overdue": Text(zh="期限逾期提醒", en="Overdue warning"),
    "case.expert_assign": Text(zh="指派评审专家", en="Expert assigned"),
    "objection.file": Text(zh="收到异议", en="Objection filed"),
    "objection.answer": Text(zh="答复异议", en="Objection answered"),
    "panel.draw": Text(zh="抽取评审专家组", en="Expert panel drawn"),
    "panel.decline": Text(zh="专家回避或谢绝，递补", en="Expert withdrew; replacement drawn"),
    "review.submit": Text(zh="专家提交评审意见", en="Expert review submitted"),
    "panel.conclude": Text(zh="专家组评审结束", en="Panel review concluded"),
    "panel.override": Text(zh="专家组不合规则，记录使用理由", en="Panel used despite rule breaches; reason given"),
    "committee.vote": Text(zh="集体审议成员表决", en="Committee member voted"),
    "committee.decide": Text(zh="集体审定作出决定", en="Collective decision taken"),
    "decision.supersede": Text(zh="原决定因重新调查被取代", en="Decision superseded by a reinvestigation"),
    "case.archive": Text(zh="反馈归档", en="Fed back and archived"),
    "case.receipt": Text(zh="出具受理回执", en="Acceptance receipt issued"),
    "obligation.fulfil": Text(zh="履行后续义务", en="Obligation fulfilled"),
    "integrity.record": Text(zh="记入科研诚信记录", en="Recorded in the research-integrity record"),
    "draft.file": Text(zh="由草稿提交申请", en="Application filed from a draft"),
}


# --- helpers ------------------------------------------------------------------------------------------

def case_or_404(user: Any, pk: int) -> Case:
    try:
        return perm.case_for(user, pk)
    except NotFound:
        raise Http404("no such case") from None


def error_context(exc: ServiceError, form: str, pack: Pack | None = None, **extra: Any) -> dict[str, Any]:
    field = exc.field or ""
    label = FIELD_TEXT.get(field)
    if label is None and pack is not None and field in pack.facts:
        label = pack.facts[field].label
    en = lang() == "en"
    problems = {p["field"]: p["message"]["en" if en else "zh"] for p in getattr(exc, "problems", [])}
    return {"form": form, "message": exc.en if en else exc.zh, "code": exc.code, "problems": problems,
            "status": exc.status, "field": field, "field_label": pick(label) if label else field,
            "stale": exc.code == "conflict" and field == "version", **extra}


def deadline_table(deadlines: list[Any], cal: Any = None) -> list[dict[str, Any]]:
    """Deadlines with their state; `cal`, when given, is the request's calendar (years load on demand). Besides
    the texts in both languages, each row carries what long lists show already picked for the request's
    language (`state_name`, `label_text`) and the due date as text (`due`): the work queue lists dozens."""
    if not deadlines:
        return []
    cal, today = cal or sel.display_calendar(deadlines), clock.today()
    en = lang() == "en"
    rows = []
    for d in deadlines:
        state = sel.deadline_state(d, today, cal)
        label = (d.label_zh, d.label_en or d.label_zh)  # (zh, en), as `|tr` reads a pair
        rows.append({"d": d, "state": state, "state_text": STATE_TEXT[state], "label": label,
                     "state_name": pick(STATE_TEXT[state]), "label_text": label[1] if en else label[0],
                     "due": d.due_date.isoformat() if d.due_date else "—"})
    return rows


@lru_cache(maxsize=8)
def case_url_pattern(prefix: str) -> str:
    """`reverse("case", args=[pk])` as a pattern for `str.format(pk)`, reversed once per script prefix (the work
    queue links sixty cases)."""
    marker = 2147483647
    return reverse("case", args=[marker]).replace(str(marker), "{}")





def posted_version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None
