"""Experts assigned to a case, and objections from the public while a decision is under notice (公示异议): filed
with a receipt number and a lookup code, answered by a stated day, followed on a public status page."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.cases import clock, hooks
from rongcuo.cases import permissions as perm
from rongcuo.cases.models import (
    Case,
    DeadlineStatus,
    ExpertAssignment,
    Objection,
    ObjectionAttachment,
    ObjectionStatus,
)
from rongcuo.cases.selectors import pack_procedure
from rongcuo.cases.services.base import case_bump, case_lock
from rongcuo.common.errors import Conflict, Invalid, NotFound
from rongcuo.common.packs import pack_of
from rongcuo.common.uploads import upload_check
from rongcuo.workdays.selectors import due_date


@transaction.atomic
def expert_assign(*, case: Case, actor: Any, expert: Any) -> ExpertAssignment:
    case = case_lock(case, None)
    perm.require_any(actor, case, {"caseworker", "nsf_office"}, "指派评审专家", "assign experts")
    a, created = ExpertAssignment.objects.get_or_create(case=case, expert=expert)
    if created:
        case_bump(case)
        audit_append(actor=actor, action="case.expert_assign", subject=case, after={"expert": expert.get_username()})
        for assigned in hooks.ON_CASE_ASSIGNED:
            assigned(case=case, user=expert, role="expert", actor=actor)
    return a


MOBILE = re.compile(r"(?:\+?86)?1[3-9]\d{9}")
LANDLINE = re.compile(r"(?:\+?86-?)?(?:0\d{2,3}-?|\(0\d{2,3}\))[1-9]\d{6,7}(?:-\d{1,6})?")
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")


def contact_valid(contact: str) -> bool:
    """A mainland mobile number, a landline with its area code (extension allowed), or an e-mail address."""
    value = contact.strip()
    phone = re.sub(r"[\s]", "", value)
    return bool(MOBILE.fullmatch(phone) or LANDLINE.fullmatch(phone) or EMAIL.fullmatch(value))


#: Where the pack's text is silent on when an objection is answered: within 15 working days of the day it is filed
#: (that day not counted), a platform reading stated on the notice page and in docs/pack-format.md.
DEFAULT_ANSWER_DAYS, DEFAULT_ANSWER_DAY_KIND = 15, "working"
MAX_ATTACHMENTS = 5
#: Receipt numbers and lookup codes use letters and digits that cannot be misread (no 0/O, 1/I).
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LOOKUP_CODE_LENGTH = 16  # 80 bits: guessing one is hopeless, even without the rate limit


@dataclass(frozen=True)
class FiledObjection:
    """An objection just filed, with its lookup code: shown once to the objector and never stored."""

    objection: Objection
    lookup_code: str


def _normal_text(value: str) -> str:
    return " ".join(value.split())


def _normal_contact(value: str) -> str:
    value = value.strip()
    return value.lower() if "@" in value else re.sub(r"[\s\-()]", "", value)


def lookup_hash(code: str) -> str:
    """The SHA-256 kept for a lookup code, read as typed: case, spaces and dashes do not matter."""
    return hashlib.sha256(re.sub(r"[\s\-]", "", code).upper().encode()).hexdigest()


def _new_receipt(on: dt.date) -> str:
    while True:
        number = f"YY{on:%Y%m%d}-{''.join(secrets.choice(ALPHABET) for _ in range(6))}"
        if not Objection.objects.filter(receipt_number=number).exists():
            return number


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LOOKUP_CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, LOOKUP_CODE_LENGTH, 4))


def objection_answer_period(case: Case) -> tuple[int, str]:
    """(days, day kind) within which the case's objections are answered: the pack's `public_notice.answer_within`,
    read on the case's date, or the platform default of 15 working days."""
    pack = pack_of(case)
    notice = pack_procedure(pack).public_notice
    period = notice.answer_within if notice else None
    if period is None:
        return DEFAULT_ANSWER_DAYS, DEFAULT_ANSWER_DAY_KIND
    days = period.days if period.days is not None else pack.params_dict(case.relevant_date).get(period.parameter or "")
    if not isinstance(days, int | float) or isinstance(days, bool) or days <= 0:
        raise Invalid(f"政策包参数 {period.parameter} 在 {case.relevant_date} 无有效值",
                      f"pack parameter {period.parameter} has no value on {case.relevant_date}", field="pack")
    return int(days), period.day_kind


@transaction.atomic
def objection_file(*, case: Case, name: str, contact: str, text: str, attachments: Sequence[Any] = ()
                   ) -> FiledObjection:
    """A member of the public objects to a decision under notice (no login). Gives a receipt number and a lookup
    code, and the day by which it will be answered (counted on the working-day calendar). The same text from the
    same contact on the same case is recognised as already registered (409, nothing stored). Attachments pass the
    same check as evidence (`rongcuo.common.uploads`); one that fails leaves nothing stored."""
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
    same = _normal_contact(contact), _normal_text(text)
    for earlier in case.objections.only("contact", "text", "receipt_number", "filed_at"):
        if (_normal_contact(earlier.contact), _normal_text(earlier.text)) == same:
            raise Conflict(f"该异议已经登记（登记号 {earlier.receipt_number}，{earlier.filed_at:%Y-%m-%d} 提交），"
                           "无需重复提交；请用当时取得的查询码查询办理情况",
                           f"this objection is already registered (receipt number {earlier.receipt_number}, filed "
                           f"{earlier.filed_at:%Y-%m-%d}); there is no need to file it again: follow it with the "
                           "lookup code you received then", field="text")
    files = [f for f in attachments if f is not None]
    if len(files) > MAX_ATTACHMENTS:
        raise Invalid(f"附件最多 {MAX_ATTACHMENTS} 个", f"at most {MAX_ATTACHMENTS} attachments", field="attachments")
    checked = [upload_check(f, name=getattr(f, "name", None), field="attachments") for f in files]
    today = clock.today()
    days, kind = objection_answer_period(case)
    due = due_date(start=today, days=days, day_kind=kind, start_day_counts=False)  # type: ignore[arg-type]
    code = _new_code()
    obj = Objection.objects.create(case=case, name=name.strip(), contact=contact.strip(), text=text.strip(),
                                   filed_at=timezone.now(), receipt_number=_new_receipt(today),
                                   lookup_hash=lookup_hash(code), answer_due=due.date,
                                   answer_due_provisional=due.provisional)
    stored: list[ObjectionAttachment] = []
    try:
        for f, c in zip(files, checked, strict=True):
            att = ObjectionAttachment(objection=obj, original_name=c.name, content_type=c.content_type, size=c.size,
                                      sha256=c.sha256)
            att.file.save(f"{obj.receipt_number}-{c.sha256[:12]}-{c.safe_name}", File(f), save=False)
            stored.append(att)
            att.save()
        case_bump(case)
        audit_append(actor=None, action="objection.file", subject=case,
                     after={"objection": obj.pk, "receipt_number": obj.receipt_number, "answer_due": obj.answer_due,
                            "attachments": [{"name": a.original_name, "sha256": a.sha256} for a in stored]})
        for received in hooks.ON_OBJECTION_FILED:  # notifications: the bureau's caseworkers
            received(case=case, objection=obj)
    except BaseException:
        for att in stored:  # the rows roll back with the transaction; the stored files must go too
            att.file.delete(save=False)
        raise
    return FiledObjection(objection=obj, lookup_code=code)


@dataclass(frozen=True)
class ObjectionStatusView:
    """What the public status page shows of one objection: nothing about the objector or any other objection."""

    receipt_number: str
    filed_on: dt.date
    status: str
    answer_due: dt.date | None
    answer_due_provisional: bool
    answer: str
    sustained: bool | None
    answered_on: dt.date | None


_NO_MATCH = lookup_hash("no objection has this code")


def objection_lookup(*, receipt_number: str, lookup_code: str) -> ObjectionStatusView:
    """The status of one objection, for whoever holds its receipt number and lookup code. A wrong number and a
    wrong code get the same answer, and the code is compared in constant time."""
    number = (receipt_number or "").strip().upper()
    if not number:
        raise Invalid("请填写异议登记号", "enter the receipt number", field="receipt_number")
    if not (lookup_code or "").strip():
        raise Invalid("请填写查询码", "enter the lookup code", field="lookup_code")
    obj = Objection.objects.filter(receipt_number=number).first() if len(number) <= 24 else None
    stored = obj.lookup_hash if obj is not None and obj.lookup_hash else _NO_MATCH
    if not hmac.compare_digest(stored, lookup_hash(lookup_code)) or obj is None or not obj.lookup_hash:
        raise NotFound("登记号或查询码不正确，请核对提交异议时取得的登记号和查询码",
                       "the receipt number or the lookup code is not right; check the two you were given when "
                       "you filed the objection", field="lookup_code")
    return ObjectionStatusView(
        receipt_number=obj.receipt_number or "", filed_on=timezone.localdate(obj.filed_at), status=obj.status,
        answer_due=obj.answer_due, answer_due_provisional=obj.answer_due_provisional,
        answer=obj.answer if obj.status == ObjectionStatus.answered else "",
        sustained=obj.sustained if obj.status == ObjectionStatus.answered else None,
        answered_on=timezone.localdate(obj.answered_at) if obj.answered_at else None)


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
