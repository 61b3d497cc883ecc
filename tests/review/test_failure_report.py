"""The failure-analysis report (浙江 四(二)): after an exemption the researcher submits a written report; the
obligation is fulfilled by uploading it as a document, checked like any evidence and linked to the obligation,
through the case page or the API. Bad files leave nothing behind; JSON callers of obligations without a document
work as before."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from rongcuo.audit.models import AuditEvent
from rongcuo.cases.models import Case, Evidence
from rongcuo.common.packs import pack_of
from rongcuo.demo.documents import sample_pdf
from rongcuo.review.models import Obligation
from tests.factories import Api, committee_votes, panel_review

from .test_review_e2e import _to_panel

REPORT_PDF = sample_pdf("Failure-analysis report")
ACCEPT = 'accept=".pdf,.ofd,.docx,.xlsx,.jpg,.jpeg,.png"'


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _decided(world: Any, as_user: Any, today: Any) -> int:
    """A Zhejiang case taken to an exemption and archived (the obligations are made at the archive)."""
    cid, zj, committee = _to_panel(world, as_user, today)
    panel_review(world, zj, cid, findings={"original_records_prove_diligence": True,
                                           "failure_technical_route": True, "zj_covered_activity": True})
    assert zj.post(f"/cases/{cid}/transitions", {"action": "submit_panel_opinion"})[0] == 200
    assert committee.post(f"/cases/{cid}/facts", {"facts": {"liability_required_by_law": False}})[0] == 200
    today.set(dt.date(2025, 10, 13))
    committee_votes(world, cid, "zj", "exempt")
    code, d = committee.post(f"/cases/{cid}/decision", {"decision": "exempt"})
    assert code == 201 and d["decision"] == "exempt", d
    today.set(dt.date(2025, 10, 21))
    code, case = zj.post(f"/cases/{cid}/transitions", {"action": "close_notice"})
    assert code == 200 and case["disposition"] == "decided", case
    return cid


def _report(cid: int) -> Obligation:
    return Obligation.objects.get(case_id=cid, key="failure_analysis_report")


def _web(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _api_fulfil(user: Any, cid: int, ob: Obligation, note: str = "", file: Any = None) -> tuple[int, Any]:
    data: dict[str, Any] = {"note": note}
    if file is not None:
        data["file"] = file
    r = _web(user).post(f"/api/cases/{cid}/obligations/{ob.pk}/fulfil", data)
    return r.status_code, r.json()


def _pdf(name: str = "失败原因分析报告.pdf", content: bytes = REPORT_PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/pdf")


def _fulfil_events() -> int:
    return AuditEvent.objects.filter(action="obligation.fulfil").count()


def test_exemption_creates_the_report_obligation_with_its_document(world, as_user, today, media) -> None:
    cid = _decided(world, as_user, today)
    pack = pack_of(Case.objects.get(pk=cid))
    spec = next(o for o in pack.clauses["zj.consequence.failure_report"].clause.obligations
                if o.id == "failure_analysis_report")
    assert spec.document == "failure_analysis_report" and spec.document_label is not None
    report = _report(cid)
    assert report.document_kind == "failure_analysis_report" and report.status == "open" and report.document is None
    assert Obligation.objects.get(case_id=cid, key="return_surplus_funds").document_kind == ""
    _, obligations = as_user("chen").get(f"/cases/{cid}/obligations")
    by_key = {o["key"]: o for o in obligations}
    assert by_key["failure_analysis_report"]["document_kind"] == "failure_analysis_report"
    assert by_key["failure_analysis_report"]["document"] is None
    assert by_key["return_surplus_funds"]["document_kind"] is None

    # The applicant sees the obligation, that a document is due, and the upload form on the case page.
    page = _web(world.users["chen"]).get(f"/cases/{cid}/").content.decode()
    row = page[page.index('data-obligation="failure_analysis_report"'):]
    row = row[:row.index("</tr>")]
    assert "须提交书面文件" in row and 'enctype="multipart/form-data"' in row
    assert f'<label for="ob-file-{report.pk}">' in row and f'id="ob-file-{report.pk}" name="file"' in row
    assert ACCEPT in row and f'action="/cases/{cid}/obligations/{report.pk}/fulfil/"' in row
    # In English too.
    en = _web(world.users["chen"])
    en.cookies["django_language"] = "en"
    page = en.get(f"/cases/{cid}/").content.decode()
    assert "A document is to be submitted" in page and "Submit the document and mark fulfilled" in page
    # The obligation without a document keeps the one-line form (no file input).
    other = Obligation.objects.get(case_id=cid, key="return_surplus_funds")
    assert f'id="ob-file-{other.pk}"' not in page and f'id="ob-note-{other.pk}"' in page


def test_the_report_is_refused_without_a_good_file_and_nothing_is_stored(world, as_user, today, media,
                                                                       settings) -> None:
    cid = _decided(world, as_user, today)
    report = _report(cid)
    chen = world.users["chen"]
    evidence, files, events = Evidence.objects.count(), _files(media), _fulfil_events()

    def nothing_changed() -> None:
        assert Evidence.objects.count() == evidence and _files(media) == files and _fulfil_events() == events
        r = _report(cid)
        assert r.status == "open" and r.document is None and r.fulfilled_on is None

    # No file: through the API (form or JSON) and through the page.
    code, err = _api_fulfil(chen, cid, report, note="报告见附件")
    assert code == 400 and err["field"] == "file" and "上传文件" in err["message"]["zh"] and err["message"]["en"]
    code, err = as_user("chen").post(f"/cases/{cid}/obligations/{report.pk}/fulfil", {"note": "x"})
    assert code == 400 and err["field"] == "file"
    r = _web(chen).post(f"/cases/{cid}/obligations/{report.pk}/fulfil/", {"note": "报告见附件"})
    assert r.status_code == 400
    page = r.content.decode()
    assert "履行该义务须上传文件" in page and f'aria-describedby="ob-error-{report.pk}"' in page
    nothing_changed()

    bad = [
        ("report.pdf", b"MZ\x90\x00" + b"\x00" * 200),  # a renamed executable
        ("report.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200),
        ("report.exe", REPORT_PDF),  # a type that is not allowed
        ("report.pdf", b""),  # empty
        ("report.docx", b"PK\x03\x04not a zip"),  # a corrupt container
    ]
    for name, content in bad:
        code, err = _api_fulfil(chen, cid, report, file=_pdf(name, content))
        assert code == 400 and err["field"] == "file", (name, err)
        r = _web(chen).post(f"/cases/{cid}/obligations/{report.pk}/fulfil/", {"file": _pdf(name, content)})
        assert r.status_code == 400, name
        nothing_changed()
    settings.EVIDENCE_MAX_BYTES = 64
    code, err = _api_fulfil(chen, cid, report, file=_pdf(content=REPORT_PDF + b"x" * 100))
    assert code == 400 and err["field"] == "file" and "MB" in err["message"]["en"]
    nothing_changed()

    # Only the applicant and the caseworker (and the administrator) fulfil it; others store nothing.
    code, err = _api_fulfil(world.users["zju_reviewer"], cid, report, file=_pdf())
    assert code == 403
    assert _web(world.users["wang"]).post(f"/cases/{cid}/obligations/{report.pk}/fulfil/",
                                          {"file": _pdf()}).status_code == 404
    assert _api_fulfil(world.users["wang"], cid, report, file=_pdf())[0] == 404
    nothing_changed()


def test_the_applicant_submits_the_report_through_the_page(world, as_user, today, media) -> None:
    cid = _decided(world, as_user, today)
    report = _report(cid)
    chen = _web(world.users["chen"])
    r = chen.post(f"/cases/{cid}/obligations/{report.pk}/fulfil/", {"note": "按要求提交", "file": _pdf()})
    assert r.status_code == 302 and r["Location"].endswith("#obligations-form")
    report.refresh_from_db()
    ev = report.document
    assert report.status == "fulfilled" and report.note == "按要求提交" and ev is not None
    assert ev.case_id == cid and ev.kind == "failure_analysis_report" and ev.original_name == "失败原因分析报告.pdf"
    assert ev.uploaded_by == world.users["chen"] and ev.sha256 == hashlib.sha256(REPORT_PDF).hexdigest()
    event = AuditEvent.objects.filter(action="obligation.fulfil").get()
    assert event.after["evidence"] == ev.pk and event.after["sha256"] == ev.sha256
    assert event.after["key"] == "failure_analysis_report" and event.actor == world.users["chen"]
    assert Case.objects.get(pk=cid).disposition == "decided"  # stored although the case is decided

    # The fulfilled obligation shows the document with its download link, for the applicant and the bureau.
    url = f"/cases/{cid}/evidence/{ev.pk}/"
    for name in ("chen", "zj_caseworker"):
        page = _web(world.users[name]).get(f"/cases/{cid}/").content.decode()
        row = page[page.index('data-obligation="failure_analysis_report"'):]
        row = row[:row.index("</tr>")]
        assert f'href="{url}"' in row and "失败原因分析报告.pdf" in row and 'name="file"' not in row, name
    r = chen.get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content) == REPORT_PDF
    assert _web(world.users["wang"]).get(url).status_code == 404  # an outsider
    assert _web(world.users["sz_caseworker"]).get(url).status_code == 404  # another bureau

    # Fulfilled once: a second submission is refused and stores nothing.
    files, evidence = _files(media), Evidence.objects.count()
    r = chen.post(f"/cases/{cid}/obligations/{report.pk}/fulfil/", {"file": _pdf("again.pdf")})
    assert r.status_code == 409 and Evidence.objects.count() == evidence and _files(media) == files


def test_the_applicant_submits_the_report_through_the_api(world, as_user, today, media) -> None:
    cid = _decided(world, as_user, today)
    report = _report(cid)
    code, out = _api_fulfil(world.users["chen"], cid, report, note="报告", file=_pdf("report.pdf"))
    assert code == 200 and out["status"] == "fulfilled", out
    ev = Evidence.objects.get(pk=out["document"]["id"])
    assert out["document"]["sha256"] == ev.sha256 == hashlib.sha256(REPORT_PDF).hexdigest()
    assert out["document_kind"] == ev.kind == "failure_analysis_report"
    assert _report(cid).document == ev
    event = AuditEvent.objects.filter(action="obligation.fulfil").get()
    assert event.after["evidence"] == ev.pk and event.after["sha256"] == ev.sha256
    code, listed = as_user("chen").get(f"/cases/{cid}/obligations")
    doc = next(o for o in listed if o["key"] == "failure_analysis_report")["document"]
    assert doc["id"] == ev.pk and doc["url"] == f"/cases/{cid}/evidence/{ev.pk}/"
    r = _web(world.users["chen"]).get(doc["url"])
    assert r.status_code == 200 and b"".join(r.streaming_content) == REPORT_PDF
    assert _web(world.users["wang"]).get(doc["url"]).status_code == 404
    # The evidence list of the case has it too.
    code, evidence = as_user("chen").get(f"/cases/{cid}/evidence")
    assert ev.pk in [e["id"] for e in evidence]


def test_an_obligation_without_a_document_is_fulfilled_by_json_as_before(world, as_user, today, media) -> None:
    cid = _decided(world, as_user, today)
    funds = Obligation.objects.get(case_id=cid, key="return_surplus_funds")
    # A file where none is asked for is refused, not silently dropped.
    files, evidence = _files(media), Evidence.objects.count()
    code, err = _api_fulfil(world.users["zj_caseworker"], cid, funds, file=_pdf())
    assert code == 400 and err["field"] == "file"
    assert Evidence.objects.count() == evidence and _files(media) == files
    code, err = as_user("chen").post(f"/cases/{cid}/obligations/{funds.pk}/fulfil", {"note": 5})
    assert code == 400 and err["field"] == "note"
    r = Api(world.users["chen"]).client.post(f"/api/cases/{cid}/obligations/{funds.pk}/fulfil", "{not json",
                                              content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    code, out = as_user("chen").post(f"/cases/{cid}/obligations/{funds.pk}/fulfil", {"note": "已按原渠道退回"})
    assert code == 200 and out["status"] == "fulfilled" and out["document"] is None, out
    funds.refresh_from_db()
    assert funds.note == "已按原渠道退回" and funds.document is None
    event = AuditEvent.objects.filter(action="obligation.fulfil").get()
    assert event.after["note"] == "已按原渠道退回" and "sha256" not in event.after
    # And through the one-line page form, as before (the caseworker, for the bureau's own duty).
    duty = Obligation.objects.get(case_id=cid, key="scientific_value_assessment")
    r = _web(world.users["zj_caseworker"]).post(f"/cases/{cid}/obligations/{duty.pk}/fulfil/", {"note": "已评估"})
    assert r.status_code == 302
    duty.refresh_from_db()
    assert duty.status == "fulfilled" and duty.document is None


def test_a_failure_after_the_file_is_stored_leaves_no_file(world, as_user, today, media, monkeypatch) -> None:
    cid = _decided(world, as_user, today)
    report = _report(cid)
    files, evidence = _files(media), Evidence.objects.count()

    def broken(**kw: Any) -> None:
        if kw["action"] == "obligation.fulfil":
            raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("rongcuo.review.services.obligations.audit_append", broken)
    with pytest.raises(RuntimeError):
        _web(world.users["chen"]).post(f"/cases/{cid}/obligations/{report.pk}/fulfil/", {"file": _pdf()})
    assert Evidence.objects.count() == evidence and _files(media) == files and _report(cid).status == "open"


def test_obligations_made_before_documents_were_asked_for_get_their_document_kind(world, as_user, today,
                                                                                   media) -> None:
    # Migration review.0006: an open obligation without document_kind (made before 0002) gets the kind of the
    # document its clause asks for in the case's pinned pack; one without a document, a fulfilled one and one whose
    # clause is not in the pack stay as they are.
    from django.apps import apps

    cid = _decided(world, as_user, today)
    report, surplus = _report(cid), Obligation.objects.get(case_id=cid, key="return_surplus_funds")
    Obligation.objects.filter(pk=report.pk).update(document_kind="")
    stray = Obligation.objects.create(case_id=cid, key="failure_analysis_report_old", clause="no.such.clause",
                                      label_zh="旧义务", label_en="old obligation")
    _fill_document_kinds(apps, None)
    for ob in (report, surplus, stray):
        ob.refresh_from_db()
    assert report.document_kind == "failure_analysis_report"
    assert surplus.document_kind == "" and stray.document_kind == ""
    Obligation.objects.filter(pk=report.pk).update(document_kind="", status="fulfilled")
    _fill_document_kinds(apps, None)
    report.refresh_from_db()
    assert report.document_kind == ""  # fulfilled: kept as it was fulfilled


def test_the_obligation_migration_leaves_rows_alone_when_the_packs_do_not_load(world, as_user, today, media,
                                                                               monkeypatch, capsys) -> None:
    from django.apps import apps

    from rongcuo.common import packs
    from rongcuo.engine.pack import PackErrors

    cid = _decided(world, as_user, today)
    report = _report(cid)
    Obligation.objects.filter(pk=report.pk).update(document_kind="")

    def broken() -> None:
        raise PackErrors([])

    monkeypatch.setattr(packs, "registry", broken)
    _fill_document_kinds(apps, None)
    report.refresh_from_db()
    assert report.document_kind == "" and "review.0006" in capsys.readouterr().out


def _fill_document_kinds(apps: Any, schema_editor: Any) -> None:
    """Migration review.0006's function (a migration module's name starts with a digit: imported by name)."""
    import importlib

    importlib.import_module("rongcuo.review.migrations.0006_fill_obligation_document_kind").fill(apps, schema_editor)
