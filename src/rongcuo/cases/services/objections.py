"""Experts assigned to a case, and objections from the public while a decision is under notice (公示异议)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.cases import clock
from rongcuo.cases import permissions as perm
from rongcuo.cases.models import Case, DeadlineStatus, ExpertAssignment, Objection, ObjectionStatus
from rongcuo.cases.selectors import pack_procedure
from rongcuo.cases.services.base import case_bump, case_lock
from rongcuo.common.errors import Conflict, Invalid
from rongcuo.common.packs import pack_of


@transaction.atomic
def expert_assign(*, case: Case, actor: Any, expert: Any) -> ExpertAssignment:
    case = case_lock(case, None)
    perm.require_any(actor, case, {"caseworker", "nsf_office"}, "指派评审专家", "assign experts")
    a, created = ExpertAssignment.objects.get_or_create(case=case, expert=expert)
    if created:
        case_bump(case)
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
    case = case_lock(case, None)
    proc = pack_procedure(pack_of(case))
    if not proc.public_notice or not proc.public_notice.objections or not proc.public_notice.stage:
        raise Invalid("本程序没有公示异议环节", "this procedure has no objection period", field="case")
    notice = case.deadlines.filter(key=f"stage:{proc.public_notice.stage}", status=DeadlineStatus.open).first()
    if case.stage != proc.public_notice.stage or notice is None or notice.due_date is None \
            or clock.today() > notice.due_date:
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
    case_bump(case)
    audit_append(actor=None, action="objection.file", subject=case, after={"objection": obj.pk})
    return obj


@transaction.atomic
def objection_answer(*, objection: Objection, actor: Any, answer: str, sustained: bool) -> Objection:
    case = case_lock(objection.case, None)
    perm.require_any(actor, case, {"caseworker"}, "答复异议", "answer an objection")
    if objection.status != ObjectionStatus.open:
        raise Conflict("该异议已答复", "the objection was already answered", field="objection")
    if not answer.strip():
        raise Invalid("答复须说明理由", "the answer must give reasons", field="answer")
    objection.status, objection.answer, objection.sustained = ObjectionStatus.answered, answer.strip(), sustained
    objection.answered_by, objection.answered_at = actor, timezone.now()
    objection.save()
    case_bump(case)
    audit_append(actor=actor, action="objection.answer", subject=case,
                 after={"objection": objection.pk, "sustained": sustained})
    return objection
