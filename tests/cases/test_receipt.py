"""The acceptance receipt (受理回执): issued when the caseworker accepts a Shenzhen case, stored with its SHA-256s,
listed on the case page with the letters, downloadable by the applicant, the host unit and the bureau only."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

from rongcuo.audit.models import AuditEvent
from rongcuo.cases.models import Receipt
from tests.cases.test_letters import docx_text, pdf_text
from tests.factories import file_case, step


def test_accepting_issues_the_receipt(world, as_user, today, tmp_path) -> None:
    today.set(dt.date(2026, 12, 7))
    wang, sz = as_user("wang"), as_user("sz_caseworker")
    case = file_case(wang, world, "sz_chip", "wang", "shenzhen-tolerance-guideline", "2026-12-07")
    cid = case["id"]
    wang.upload(cid, "application_form")
    assert not Receipt.objects.filter(case_id=cid).exists()
    code, case = sz.post(f"/cases/{cid}/transitions", step("accept"))
    assert code == 200, case
    overall = next(d for d in case["deadlines"] if d["key"] == "overall")
    assert overall["provisional"] is True  # 30 working days from 12/07 end in 2027, whose arrangement is not loaded

    receipt = Receipt.objects.get(case_id=cid)
    assert re.fullmatch(r"深科创容受〔2026〕\d+号", receipt.doc_number) and receipt.issued_on == dt.date(2026, 12, 7)
    pdf, docx = receipt.pdf.read(), receipt.docx.read()
    assert hashlib.sha256(pdf).hexdigest() == receipt.pdf_sha256
    assert hashlib.sha256(docx).hexdigest() == receipt.docx_sha256
    # the transition's audit event, then the receipt's (rendered before the head lock, stored after it)
    actions = list(AuditEvent.objects.filter(subject_type="cases.case", subject_id=str(cid)).order_by("seq")
                   .values_list("action", flat=True))
    assert actions[-2:] == ["case.transition.accept", "case.receipt"]

    text = "".join(pdf_text(pdf, tmp_path).split("English summary")[0].split())
    due = dt.date.fromisoformat(overall["due_date"])
    for expected in (receipt.doc_number, case["number"], "本机关已于2026年12月7日受理",
                     f"至{due.year}年{due.month}月{due.day}日届满（{due.year}年的调休上班日尚未公布",
                     "本机关将依次进行“组织决定”、“结果反馈”等程序", f"正文校验码（SHA-256）：{receipt.text_sha256}"):
        assert expected in text, expected
    body = text.split("文书核验")[0]
    assert "sz_caseworker" not in body and "wang" not in body and "shenzhen-tolerance-guideline" not in body
    assert receipt.doc_number in docx_text(docx)

    # listed on the case page with the letters, and downloadable by the applicant, the host unit and the bureau
    for who in ("wang", "szu_reviewer", "sz_caseworker", "sz_committee", "auditor"):
        api = as_user(who)
        page = api.client.get(f"/cases/{cid}/").content.decode()
        assert "受理回执" in page and receipt.doc_number in page and receipt.text_sha256 in page, who
        r = api.client.get(f"/cases/{cid}/receipt/pdf/")
        assert r.status_code == 200 and b"".join(r.streaming_content) == pdf, who
        code, meta = api.get(f"/cases/{cid}/receipt")
        assert code == 200 and meta["pdf_sha256"] == receipt.pdf_sha256, who
        r = api.client.get(f"/api/cases/{cid}/receipt/docx")
        assert r.status_code == 200 and b"".join(r.streaming_content) == docx, who

    # an expert assigned to the case reads it but is not given the receipt; others do not see the case at all
    code, _ = sz.post(f"/cases/{cid}/experts", {"expert_username": "expert_he"})
    assert code == 200
    expert = as_user("expert_he")
    assert expert.client.get(f"/cases/{cid}/").status_code == 200
    assert "受理回执" not in expert.client.get(f"/cases/{cid}/").content.decode()
    assert expert.client.get(f"/cases/{cid}/receipt/pdf/").status_code == 404
    assert expert.get(f"/cases/{cid}/receipt")[0] == 404
    for who in ("outsider", "zj_caseworker"):
        assert as_user(who).client.get(f"/cases/{cid}/receipt/pdf/").status_code == 404
        assert as_user(who).get(f"/cases/{cid}/receipt")[0] == 404
    assert as_user(None).client.get(f"/cases/{cid}/receipt/pdf/").status_code == 302  # to the sign-in page


def test_a_second_acceptance_issues_no_second_receipt(world, as_user, today) -> None:
    today.set(dt.date(2025, 9, 10))
    wang, sz = as_user("wang"), as_user("sz_caseworker")
    cid = file_case(wang, world, "sz_chip", "wang", "shenzhen-tolerance-guideline", "2025-09-10")["id"]
    wang.upload(cid, "application_form")
    assert sz.post(f"/cases/{cid}/transitions", step("accept"))[0] == 200
    first = Receipt.objects.get(case_id=cid)
    code, _ = sz.post(f"/cases/{cid}/transitions", {"action": "request_supplement", "reason": "请补充原始记录"})
    assert code == 200
    code, case = sz.post(f"/cases/{cid}/transitions", step("accept"))
    assert code == 200 and case["stage"] == "acceptance_investigation"
    assert list(Receipt.objects.filter(case_id=cid)) == [first]
    docx = __import__("docx").Document(io.BytesIO(first.docx.read()))
    assert any("2025年9月10日受理" in p.text for p in docx.paragraphs)
