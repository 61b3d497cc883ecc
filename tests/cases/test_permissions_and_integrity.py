"""Each role refused where it should be; stale updates get 409; bad uploads are refused and change nothing;
the audit chain catches an edited, deleted or reordered event."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command

from rongcuo.audit.models import AuditEvent
from rongcuo.audit.selectors import audit_verify
from rongcuo.cases.models import Case, Evidence
from tests.factories import Api, step


def test_anonymous_gets_401_and_packs_are_public(world) -> None:
    anon = Api()
    code, err = anon.get("/cases")
    assert code == 401 and err["code"] == "unauthenticated" and err["message"]["zh"]
    code, packs = anon.get("/packs")
    assert code == 200 and any(p["id"] == "shenzhen-tolerance-guideline" for p in packs)


@pytest.mark.parametrize("who", ["outsider", "chen", "zju_reviewer", "zj_caseworker", "zj_committee", "expert_li",
                                 "zj_nsf"])
def test_people_outside_the_case_do_not_see_it(sz_case, as_user, who) -> None:
    api = as_user(who)
    code, err = api.get(f"/cases/{sz_case['id']}")
    assert code == 404 and err["code"] == "not_found"
    code, listed = api.get("/cases")
    assert code == 200 and sz_case["id"] not in [c["id"] for c in listed]
    code, _ = api.post(f"/cases/{sz_case['id']}/transitions", step("accept"))
    assert code == 404


@pytest.mark.parametrize(("who", "visible"), [("wang", True), ("szu_reviewer", True), ("sz_caseworker", True),
                                              ("sz_committee", True), ("auditor", True), ("admin", True)])
def test_people_on_the_case_see_it(sz_case, as_user, who, visible) -> None:
    code, _ = as_user(who).get(f"/cases/{sz_case['id']}")
    assert (code == 200) is visible


def test_roles_are_refused_actions_that_are_not_theirs(sz_case, as_user) -> None:
    cid = sz_case["id"]
    as_user("wang").upload(cid, "application_form")
    # The applicant may not accept their own case; the host unit may not either.
    for who in ("wang", "szu_reviewer", "sz_committee"):
        code, err = as_user(who).post(f"/cases/{cid}/transitions", step("accept"))
        assert code == 403 and err["code"] == "forbidden", who
    # The applicant may not record investigation findings; the auditor may record nothing.
    code, err = as_user("wang").post(f"/cases/{cid}/facts", {"role": "investigation_finding",
                                                             "facts": {"sz_municipal_fiscal_funds": True}})
    assert code == 403 and err["field"] == "role"
    code, err = as_user("auditor").post(f"/cases/{cid}/facts", {"facts": {"sz_municipal_fiscal_funds": True}})
    assert code == 403
    code, err = as_user("auditor").post(f"/cases/{cid}/transitions", step("accept"))
    assert code == 403
    # An expert sees a case only once assigned, and then cannot take the caseworker's actions.
    code, _ = as_user("sz_caseworker").post(f"/cases/{cid}/experts", {"expert_username": "expert_zhao"})
    assert code == 200
    code, _ = as_user("expert_zhao").get(f"/cases/{cid}")
    assert code == 200
    code, _ = as_user("expert_zhao").post(f"/cases/{cid}/transitions", step("accept"))
    assert code == 403
    code, _ = as_user("expert_li").get(f"/cases/{cid}")
    assert code == 404
    # Only auditors and administrators verify the audit chain.
    assert as_user("sz_caseworker").get("/audit/verify")[0] == 403
    assert as_user("auditor").get("/audit/verify")[0] == 200


def test_token_auth_for_machines(sz_case, world) -> None:
    from django.test import Client

    from rongcuo.web.api import token_create

    key = token_create(user=world.users["sz_caseworker"], label="批量接口")
    c = Client()
    r = c.get(f"/api/cases/{sz_case['id']}", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 200 and r.json()["number"].startswith("RC-2025-")
    r = c.get(f"/api/cases/{sz_case['id']}", HTTP_AUTHORIZATION="Bearer wrong")
    assert r.status_code == 401


def test_stale_version_gets_409_and_no_lost_update(sz_case, as_user) -> None:
    cid, version = sz_case["id"], sz_case["version"]
    a, b = as_user("wang"), as_user("sz_caseworker")
    code, first = a.patch(f"/cases/{cid}", {"version": version, "failure_explanation": "第一次修改"})
    assert code == 200 and first["version"] == version + 1
    code, err = b.patch(f"/cases/{cid}", {"version": version, "failure_explanation": "第二次修改（基于旧版本）"})
    assert code == 409 and err["field"] == "version"
    assert Case.objects.get(pk=cid).failure_explanation == "第一次修改"
    code, err = b.post(f"/cases/{cid}/facts", {"version": version, "role": "investigation_finding",
                                               "facts": {"sz_municipal_fiscal_funds": True}})
    assert code == 409


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(("name", "content", "needle"), [
    ("report.pdf", b"MZ\x90\x00 this is an exe", "可执行"),
    ("setup.exe", b"MZ\x90\x00", "不支持的文件类型"),
    ("empty.pdf", b"", "文件为空"),
    ("fake.docx", _zip({"hello.txt": b"x"}), "不是有效的 DOCX"),
    ("bomb.xlsx", _zip({"xl/workbook.xml": b"<x/>", "big.bin": b"\0" * (210 * 1024 * 1024)}), "压缩炸弹"),
    ("../../etc/passwd.png", b"GIF89a", "不符"),
])
def test_bad_uploads_are_refused_and_change_nothing(sz_case, as_user, name, content, needle) -> None:
    before_version = Case.objects.get(pk=sz_case["id"]).version
    before_events = AuditEvent.objects.count()
    code, err = as_user("wang").upload(sz_case["id"], "application_form", name=name, content=content)
    assert code == 400 and needle in err["message"]["zh"] and err["field"] == "file"
    assert Evidence.objects.count() == 0
    assert Case.objects.get(pk=sz_case["id"]).version == before_version
    assert AuditEvent.objects.count() == before_events


def test_path_traversal_name_is_neutralised(sz_case, as_user) -> None:
    code, ev = as_user("wang").upload(sz_case["id"], "application_form", name="../../../../tmp/evil.pdf")
    assert code == 201 and ev["original_name"] == "evil.pdf"
    stored = Evidence.objects.get(pk=ev["id"]).file.name
    assert ".." not in stored and stored.startswith("evidence/")


def test_bad_json_and_wrong_types_are_clear_400s(sz_case, as_user) -> None:
    api = as_user("sz_caseworker")
    r = api.client.post(f"/api/cases/{sz_case['id']}/facts", "{not json", content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    code, err = api.post(f"/cases/{sz_case['id']}/facts", {"role": "investigation_finding",
                                                          "facts": {"sz_municipal_fiscal_funds": "maybe"}})
    assert code == 400 and err["field"] == "sz_municipal_fiscal_funds" and "true or false" in err["message"]["en"]
    code, err = api.post(f"/cases/{sz_case['id']}/transitions", {"action": "fly"})
    assert code == 400 and err["field"] == "action" and "accept" in err["message"]["en"]


def test_audit_verify_catches_edited_deleted_and_reordered_events(sz_case, as_user, capsys) -> None:
    as_user("wang").upload(sz_case["id"], "application_form")
    as_user("wang").patch(f"/cases/{sz_case['id']}", {"version": 2, "failure_explanation": "补充说明"})
    assert audit_verify().ok and audit_verify().checked == 4  # calendar seed, filing, upload, amendment
    call_command("audit_verify")
    assert "audit chain intact" in capsys.readouterr().out
    target = AuditEvent.objects.order_by("seq")[1]
    original = target.after
    AuditEvent.objects.filter(pk=target.pk).update(after={**original, "size": 1})
    res = audit_verify()
    assert not res.ok and res.first_broken == target.seq and "edited" in res.reason
    with pytest.raises(CommandError, match="chain broken at event"):
        call_command("audit_verify")
    AuditEvent.objects.filter(pk=target.pk).update(after=original)
    assert audit_verify().ok
    last = AuditEvent.objects.order_by("-seq").first()
    AuditEvent.objects.filter(pk=last.pk)._raw_delete(AuditEvent.objects.db)
    res = audit_verify()
    assert not res.ok and "deleted" in res.reason
    with pytest.raises(Exception, match="append-only"):
        AuditEvent.objects.first().delete()


def test_rongcuo_audit_verify_command(sz_case) -> None:
    from typer.testing import CliRunner

    from rongcuo.cli import app

    res = CliRunner().invoke(app, ["audit", "verify"])
    assert res.exit_code == 0 and "audit chain intact: 2 events" in res.stdout  # calendar seed, filing
    ev = AuditEvent.objects.get(action="case.create")
    AuditEvent.objects.filter(pk=ev.pk).update(action="case.tampered")
    res = CliRunner().invoke(app, ["audit", "verify"])
    assert res.exit_code == 1 and f"chain broken at event {ev.seq}" in res.stderr


def test_paging_bounds_are_clear_400s(sz_case, as_user) -> None:
    api = as_user("sz_caseworker")
    code, err = api.get("/cases", offset=10**20)
    assert code == 400 and err["field"] == "offset"
    code, err = api.get("/cases", limit=0)
    assert code == 400 and err["field"] == "limit"
    code, page = api.get("/cases", offset=0, limit=1)
    assert code == 200 and len(page) == 1


def test_nul_characters_are_refused_alike_on_every_database(sz_case, as_user, world) -> None:
    """PostgreSQL cannot store U+0000 (SQLite can): refused everywhere, naming the field, changing nothing."""
    wang = as_user("wang")
    before = (Case.objects.get(pk=sz_case["id"]).failure_explanation, AuditEvent.objects.count())
    code, err = wang.get("/cases", stage="accept\x00ed")
    assert code == 400 and err["field"] == "stage" and "U+0000" in err["message"]["en"]
    assert "空字符" in err["message"]["zh"]
    code, err = wang.patch(f"/cases/{sz_case['id']}", {"version": sz_case["version"],
                                                        "failure_explanation": "里程碑\x00未通过"})
    assert code == 400 and err["field"] == "failure_explanation"
    code, err = wang.post(f"/cases/{sz_case['id']}/facts", {"facts": {"a\x00": True}, "version": 1})
    assert code == 400 and err["field"] == "facts.a"
    from django.test import Client

    page = Client()
    page.force_login(world.users["wang"])
    r = page.post(f"/cases/{sz_case['id']}/", {"note": "x\x00y"})
    assert r.status_code == 400 and "U+0000" in r.content.decode()
    assert (Case.objects.get(pk=sz_case["id"]).failure_explanation, AuditEvent.objects.count()) == before


def test_a_refused_findings_form_shows_again_what_was_chosen(sz_case, world) -> None:
    import re

    from django.test import Client

    cid = sz_case["id"]
    c = Client()
    c.force_login(world.users["sz_caseworker"])
    stale = sz_case["version"] - 1  # someone else has saved the case since this form was shown
    r = c.post(f"/cases/{cid}/facts/", {"version": stale, "role": "investigation_finding", "note": "核查说明",
                                        "fact.sz_municipal_fiscal_funds": "0", "fact.project_mode": "horse_race"})
    page = r.content.decode()
    assert r.status_code == 409 and Case.objects.get(pk=cid).version == sz_case["version"]  # nothing recorded

    def chosen(fact: str) -> list[str]:
        select = re.search(rf'<select id="fact-{fact}"[^>]*>(.*?)</select>', page, re.S)
        assert select, fact
        return re.findall(r'<option value="([^"]*)" selected>', select.group(1))

    assert chosen("sz_municipal_fiscal_funds") == ["0"] and chosen("project_mode") == ["horse_race"]
    assert "核查说明</textarea>" in page
    fresh = c.get(f"/cases/{cid}/").content.decode()
    assert 'value="0" selected' not in fresh and "horse_race\" selected" not in fresh  # a new form starts clean


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", "application/x-json", ""])
def test_nul_characters_are_refused_whatever_the_declared_content_type(sz_case, world, content_type) -> None:
    """The API reads any body as JSON: an objection's text with an escaped U+0000 sent as text/plain is refused
    like one sent as JSON (it was stored on SQLite and a 500 on PostgreSQL), and nothing is stored."""
    from django.test import Client

    from rongcuo.cases.models import Objection

    before = (Objection.objects.count(), AuditEvent.objects.count(), Case.objects.get(pk=sz_case["id"]).version)
    c = Client()
    c.force_login(world.users["wang"])
    body = json.dumps({"version": sz_case["version"], "failure_explanation": "里程碑\u0000未通过"})
    assert "\\u0000" in body
    r = c.generic("PATCH", f"/api/cases/{sz_case['id']}", body, content_type=content_type)
    assert r.status_code == 400, r.content
    err = r.json()
    assert err["field"] == "failure_explanation" and "U+0000" in err["message"]["en"]
    assert "空字符" in err["message"]["zh"]
    r = c.generic("PATCH", f"/api/cases/{sz_case['id']}", b'{"failure_explanation": "x\x00"}',
                  content_type=content_type)
    assert r.status_code == 400 and r.json()["field"] == "body"
    assert (Objection.objects.count(), AuditEvent.objects.count(), Case.objects.get(pk=sz_case["id"]).version) \
        == before


def test_an_escaped_backslash_before_u0000_is_text_not_a_nul(sz_case, as_user) -> None:
    code, case = as_user("wang").patch(f"/cases/{sz_case['id']}", {"version": sz_case["version"],
                                                                    "failure_explanation": "见附件 \\u0000 一节"})
    assert code == 200 and case["failure_explanation"] == "见附件 \\u0000 一节"


def test_the_auditor_reads_a_cases_audit_trail_and_changes_nothing(sz_case, as_user) -> None:
    """Auditing is the auditor's job: the case's audit trail answers (it was refused with 403), while the
    auditor still may not act on the case."""
    auditor = as_user("auditor")
    code, events = auditor.get(f"/cases/{sz_case['id']}/audit")
    assert code == 200 and events and events[0]["action"] == "case.create"
    code, err = auditor.post(f"/cases/{sz_case['id']}/facts", {"facts": {"sz_municipal_fiscal_funds": True},
                                                                "version": sz_case["version"]})
    assert code == 403 and err["field"] == "role"
    code, _ = as_user("chen").get(f"/cases/{sz_case['id']}/audit")
    assert code == 404


def test_api_errors_are_json_never_an_html_page(sz_case, world, monkeypatch, caplog) -> None:
    """An unexpected error in an API view, a path the API does not have, a case that is not there: each answers in
    the API's JSON form with both languages (an unexpected error was Django's HTML 500 page); the error is logged."""
    from django.test import Client

    c = Client()
    c.force_login(world.users["wang"])

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr("rongcuo.cases.api._case_detail", broken)
    r = c.get(f"/api/cases/{sz_case['id']}")
    assert r.status_code == 500 and r["Content-Type"].startswith("application/json")
    assert r.json()["code"] == "server_error" and "系统出错" in r.json()["message"]["zh"]
    assert any("boom" in (rec.exc_text or str(rec.exc_info)) for rec in caplog.records if rec.name == "rongcuo.api")
    for url in ("/api/no-such-endpoint", "/api/cases/999999"):
        r = c.get(url)
        assert r.status_code == 404 and r["Content-Type"].startswith("application/json"), url
        assert r.json()["message"]["zh"] and r.json()["message"]["en"]
    r = c.get("/no-such-page/")
    assert r.status_code == 404 and r["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("char", ["\u202e", "\u202a", "\u2066", "\u2069"])
def test_invisible_text_direction_controls_are_refused_in_names_and_titles(sz_case, world, char) -> None:
    """A title or name with U+202E displays as something other than what it is (security review, hole 8): refused
    like NUL, in the API (raw or escaped in JSON) and the pages' forms, naming the field and the character."""
    from django.test import Client

    c = Client()
    c.force_login(world.users["wang"])
    before = (Case.objects.get(pk=sz_case["id"]).failure_explanation, AuditEvent.objects.count())
    for body in (json.dumps({"version": sz_case["version"], "failure_explanation": f"里程碑{char}未通过"},
                            ensure_ascii=False).encode(),
                 json.dumps({"version": sz_case["version"], "failure_explanation": f"里程碑{char}未通过"}).encode()):
        r = c.generic("PATCH", f"/api/cases/{sz_case['id']}", body, content_type="application/json")
        assert r.status_code == 400, r.content
        err = r.json()
        assert err["field"] == "failure_explanation" and f"U+{ord(char):04X}" in err["message"]["en"]
        assert "文字方向控制字符" in err["message"]["zh"]
    r = c.post(f"/cases/{sz_case['id']}/", {"note": f"x{char}y"})
    assert r.status_code == 400 and "文字方向控制字符" in r.content.decode()
    assert (Case.objects.get(pk=sz_case["id"]).failure_explanation, AuditEvent.objects.count()) == before


def test_right_to_left_text_without_controls_is_accepted(sz_case, as_user) -> None:
    code, case = as_user("wang").patch(f"/cases/{sz_case['id']}", {"version": sz_case["version"],
                                                                    "failure_explanation": "合作方 مختبر الشارقة"})
    assert code == 200 and case["failure_explanation"] == "合作方 مختبر الشارقة"
