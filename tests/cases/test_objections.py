"""Objections that can be followed: a receipt number and a lookup code on filing, the answer date counted on the
working-day calendar, a repeated objection recognised, attachments checked as evidence, the public status look-up
(and its refusals), and the same operations through the API as on the pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from rongcuo.audit.models import AuditEvent
from rongcuo.cases import services as svc
from rongcuo.cases.models import Case, Objection, ObjectionAttachment
from rongcuo.common.errors import Conflict, Invalid, NotFound
from rongcuo.workdays.selectors import due_date
from tests.factories import PDF, Api


def _stored() -> tuple[Any, ...]:
    return (list(Objection.objects.values_list("id", "receipt_number")), ObjectionAttachment.objects.count(),
            AuditEvent.objects.count())


def _files() -> set[str]:
    root = Path(settings.MEDIA_ROOT) / "objections"
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_filing_gives_a_receipt_a_code_and_an_answer_date(demo: dict[str, Case]) -> None:
    case = demo["ZJ-2024-204"]  # under notice
    filed = svc.objection_file(case=case, name="张三", contact="138 1234 5678", text="中试数据记录不完整。",
                               attachments=[SimpleUploadedFile("记录.pdf", PDF, "application/pdf")])
    o = filed.objection
    assert o.receipt_number and o.receipt_number.startswith("YY20251009-") and len(o.receipt_number) == 17
    assert len(filed.lookup_code) == 19 and filed.lookup_code not in o.lookup_hash and len(o.lookup_hash) == 64
    # 15 working days from the day of filing (that day not counted), on the official calendar: Saturday 11 October
    # 2025 is a make-up working day (国庆调休), so the fifteenth is 29 October.
    expected = due_date(start=dt.date(2025, 10, 9), days=15, day_kind="working", start_day_counts=False)
    assert o.answer_due == expected.date == dt.date(2025, 10, 29) and not o.answer_due_provisional
    att = o.attachments.get()
    assert att.original_name == "记录.pdf" and att.size == len(PDF) and att.file.read() == PDF
    # A second objection gets another receipt number and code.
    other = svc.objection_file(case=case, name="李四", contact="li@example.cn", text="另一异议。")
    assert other.objection.receipt_number != o.receipt_number and other.lookup_code != filed.lookup_code

    # Looked up with the number and the code (typed in lower case, without dashes): status, no contact.
    view = svc.objection_lookup(receipt_number=o.receipt_number.lower(),
                                lookup_code=filed.lookup_code.replace("-", "").lower())
    assert view.status == "open" and view.answer == "" and view.answer_due == dt.date(2025, 10, 29)
    assert not {"name", "contact", "text"} & set(vars(view))
    svc.objection_answer(objection=o, actor=demo_user("zj_caseworker"), answer="经核实，异议不成立。",
                         sustained=False)
    view = svc.objection_lookup(receipt_number=o.receipt_number, lookup_code=filed.lookup_code)
    assert view.status == "answered" and view.answer == "经核实，异议不成立。" and view.sustained is False


def demo_user(name: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=name)


def test_the_same_objection_from_the_same_contact_is_already_registered(demo: dict[str, Case]) -> None:
    case = demo["ZJ-2024-204"]
    first = svc.objection_file(case=case, name="张三", contact="zhangsan@example.cn", text="数据  存在补记。")
    before, files = _stored(), _files()
    # The same text (spacing aside) from the same contact (case aside): recognised, nothing stored.
    for contact, text in (("ZhangSan@Example.cn", "数据 存在补记。"), ("zhangsan@example.cn", "数据存在补记。 ")):
        try:
            svc.objection_file(case=case, name="张三", contact=contact, text=text,
                               attachments=[SimpleUploadedFile("a.pdf", PDF, "application/pdf")])
        except Conflict as exc:
            if text.startswith("数据存在"):
                raise AssertionError("a different text is a new objection") from exc
            assert exc.field == "text" and first.objection.receipt_number in exc.zh and "已经登记" in exc.zh
            assert first.objection.receipt_number in exc.en and "already registered" in exc.en
        else:
            assert text.startswith("数据存在")  # without the space inside it is another text
    assert Objection.objects.filter(case=case).count() == 2
    assert _stored()[1] == before[1] + 1 and len(_files()) == len(files) + 1


def test_a_bad_attachment_is_refused_and_nothing_is_stored(demo: dict[str, Case]) -> None:
    case = demo["ZJ-2024-204"]
    before, files = _stored(), _files()
    bad = [
        [SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")],  # an executable called .pdf
        [SimpleUploadedFile("x.exe", b"MZ\x90\x00", "application/octet-stream")],
        [SimpleUploadedFile("ok.pdf", PDF, "application/pdf"), SimpleUploadedFile("x.png", PDF, "image/png")],
        [SimpleUploadedFile(f"{i}.pdf", PDF, "application/pdf") for i in range(6)],  # more than five
    ]
    for attachments in bad:
        try:
            svc.objection_file(case=case, name="张三", contact="13812345678", text="附件有问题的异议。",
                               attachments=attachments)
        except Invalid as exc:
            assert exc.field == "attachments" and exc.zh and exc.en and exc.zh != exc.en
        else:
            raise AssertionError(f"accepted {[a.name for a in attachments]}")
        assert _stored() == before and _files() == files


def test_a_wrong_number_or_code_is_refused_alike_naming_the_field(demo: dict[str, Case]) -> None:
    case = demo["ZJ-2024-204"]
    filed = svc.objection_file(case=case, name="张三", contact="13812345678", text="异议。")
    number = filed.objection.receipt_number
    refusals = []
    for receipt, code in ((number, "AAAA-BBBB-CCCC-DDDD"), ("YY20251009-ZZZZZZ", filed.lookup_code),
                          ("x" * 500, filed.lookup_code)):
        try:
            svc.objection_lookup(receipt_number=receipt, lookup_code=code)
        except NotFound as exc:
            refusals.append((exc.field, exc.zh, exc.en))
        else:
            raise AssertionError((receipt, code))
    assert len(set(refusals)) == 1 and refusals[0][0] == "lookup_code"
    assert "查询码不正确" in refusals[0][1] and "lookup code is not right" in refusals[0][2]
    for receipt, code, field in (("", "x", "receipt_number"), (number, " ", "lookup_code")):
        try:
            svc.objection_lookup(receipt_number=receipt, lookup_code=code)
        except Invalid as exc:
            assert exc.field == field and exc.zh and exc.en
        else:
            raise AssertionError(field)
    # An objection filed before lookup codes existed cannot be looked up with any code.
    Objection.objects.filter(pk=filed.objection.pk).update(lookup_hash="")
    try:
        svc.objection_lookup(receipt_number=number, lookup_code=filed.lookup_code)
    except NotFound:
        pass
    else:
        raise AssertionError("looked up without a stored code")


def test_the_api_offers_what_the_pages_do(demo: dict[str, Case]) -> None:
    case = demo["ZJ-2024-204"]
    anon = Api()
    # JSON, as before, now with the receipt.
    code, filed = anon.post(f"/notices/{case.pk}/objections", {"name": "张三", "contact": "13812345678",
                                                                "text": "JSON 提交的异议。"})
    assert code == 201 and filed["receipt_number"] and filed["lookup_code"] and filed["answer_due"] == "2025-10-29"
    # The same again: already registered, 409 naming the field.
    code, err = anon.post(f"/notices/{case.pk}/objections", {"name": "张三", "contact": "13812345678",
                                                              "text": "JSON 提交的异议。"})
    assert code == 409 and err["field"] == "text" and filed["receipt_number"] in err["message"]["zh"]
    # A form with attachments; a bad one is refused naming the field.
    c = Client(REMOTE_ADDR="10.9.9.9")
    r = c.post(f"/api/notices/{case.pk}/objections", {"name": "李四", "contact": "li@example.cn", "text": "附件异议",
                                                      "attachments": [SimpleUploadedFile("x.exe", b"MZ\x90")]})
    assert r.status_code == 400 and r.json()["field"] == "attachments"
    r = c.post(f"/api/notices/{case.pk}/objections", {
        "name": "李四", "contact": "li@example.cn", "text": "附件异议",
        "attachments": [SimpleUploadedFile("a.pdf", PDF, "application/pdf"),
                        SimpleUploadedFile("b.pdf", PDF, "application/pdf")]})
    assert r.status_code == 201 and r.json()["attachments"] == ["a.pdf", "b.pdf"]
    # The status look-up.
    code, st = anon.post("/notices/objections/status", {"receipt_number": filed["receipt_number"],
                                                        "lookup_code": filed["lookup_code"]})
    assert code == 200 and st["status"] == "open" and st["answer_due"] == "2025-10-29"
    assert "contact" not in st and "name" not in st and "text" not in st
    code, err = anon.post("/notices/objections/status", {"receipt_number": filed["receipt_number"],
                                                         "lookup_code": "wrong"})
    assert code == 404 and err["field"] == "lookup_code" and err["message"]["en"]
    # The caseworker's list carries the receipt numbers and the attachments; an outsider gets nothing.
    code, rows = Api(demo_user("zj_caseworker")).get(f"/cases/{case.pk}/objections")
    assert code == 200 and {x["receipt_number"] for x in rows} >= {filed["receipt_number"], r.json()["receipt_number"]}
    with_files = next(x for x in rows if x["attachments"])
    assert [a["name"] for a in with_files["attachments"]] == ["a.pdf", "b.pdf"]
    got = Client()
    got.force_login(demo_user("zj_caseworker"))
    assert got.get(with_files["attachments"][0]["url"]).status_code == 200
    assert Api(demo_user("chen")).get(f"/cases/{case.pk}/objections")[0] == 404  # not a reader of this case


def test_lookups_are_rate_limited(demo: dict[str, Case]) -> None:
    c = Client(REMOTE_ADDR="10.7.7.7")
    codes = [c.post("/notices/objections/", {"receipt_number": "YY20251009-AAAAAA", "lookup_code": "x"}).status_code
             for _ in range(21)]
    assert codes[:20] == [404] * 20 and codes[20] == 429
