"""The review pages through Django's test client: who sees what (experts only their seats, the public only the
published fields, staff only their bureau's figures), the Excel export, the registry import's all-or-nothing
write, and the case page's panel, objection, letter and obligation actions with the services' errors shown."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from rongcuo.audit.models import AuditEvent
from rongcuo.cases import selectors as sel
from rongcuo.cases import services as svc
from rongcuo.cases.models import Case, Objection
from rongcuo.common.errors import Invalid
from rongcuo.registry.models import Person, Project
from rongcuo.registry.services import PEOPLE_COLUMNS, PROJECT_COLUMNS, ImportRow, registry_import
from rongcuo.registry.spreadsheet import workbook
from rongcuo.review.models import Expert, MemberStatus, Obligation, Panel
from tests.factories import OPINIONS, Clock

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def client(name: str | None = None, lang: str | None = None) -> Client:
    c = Client()
    if name:
        c.force_login(get_user_model().objects.get(username=name))
    if lang:
        c.cookies["django_language"] = lang
    return c


def html(r: Any) -> str:
    return r.content.decode()


# --- experts ------------------------------------------------------------------------------------------

def test_expert_sees_only_assigned_cases(demo: dict[str, Case]) -> None:
    case = demo["ZJ-2024-202"]
    seats = {c.number for c in demo.values() if Panel.objects.filter(case=c, members__expert__user__username=
                                                                     "expert_li").exists()}
    page = html(client("expert_li").get("/expert/"))
    for c in demo.values():
        assert (c.number in page) == (c.number in seats), c.number
    not_mine = next(c for c in demo.values() if c.number not in seats)
    assert client("expert_li").get(f"/expert/cases/{not_mine.pk}/review/").status_code == 404
    # The expert excluded for a conflict of interest (same university) is not on the panel and sees nothing.
    assert str(Expert.objects.get(user__username="expert_wu").pk) in case.panel.excluded
    assert case.number not in html(client("expert_wu").get("/expert/"))
    assert client("expert_wu").get(f"/expert/cases/{case.pk}/review/").status_code == 404
    assert client("zj_caseworker").get(f"/expert/cases/{case.pk}/review/").status_code == 404  # not a member
    assert client("outsider").get("/expert/").status_code == 200  # a page saying they are not in the pool
    r = Client().get("/expert/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")

    # A refused review keeps what was typed and names the field; a decline removes the expert from the case.
    li = client("expert_li")
    r = li.post(f"/expert/cases/{case.pk}/review/", {"score.innovativeness": "8", "opinion": "  "})
    assert r.status_code == 400 and "请对每项评审内容打分（未打分：" in html(r)
    assert "对后续研究的启发性" in html(r) and "insight_for_follow_up：" not in html(r)  # by label, not by id
    scores = {f"score.{c}": "7" for c in ("innovativeness", "strategic_value", "necessity", "insight_for_follow_up",
                                          "records_completeness", "funds_compliance")}
    r = li.post(f"/expert/cases/{case.pk}/review/", {**scores, "opinion": " "})
    assert r.status_code == 400 and 'id="opinion-error"' in html(r) and "请填写评审意见" in html(r)
    r = li.post(f"/expert/cases/{case.pk}/decline/", {"reason": ""})
    assert r.status_code == 400 and 'id="decline-error"' in html(r)
    r = li.post(f"/expert/cases/{case.pk}/decline/", {"reason": "近三年与申请人有合作"})
    assert r.status_code == 302 and r["Location"] == "/expert/"
    assert case.panel.members.get(expert__user__username="expert_li").status == MemberStatus.declined
    assert li.get(f"/expert/cases/{case.pk}/review/").status_code == 404
    assert li.get(f"/cases/{case.pk}/").status_code == 404
    page = html(li.get("/expert/"))
    assert "近三年与申请人有合作" in page and case.project.title not in page  # the seat, no longer the case


def test_expert_review_through_the_page(demo: dict[str, Case]) -> None:
    case = demo["ZJ-2024-202"]
    member = case.panel.members.select_related("expert__user").first()
    assert member is not None
    scores = {f"score.{c}": "8" for c in ("innovativeness", "strategic_value", "necessity", "insight_for_follow_up",
                                          "records_completeness", "funds_compliance")}
    r = client(member.expert.user.username).post(
        f"/expert/cases/{case.pk}/review/",
        {**scores, "score.necessity": "6.5", "finding.original_records_prove_diligence": "1",
         "finding.failure_force_majeure": "0", "finding.zj_covered_activity": "unknown", "opinion": "同意免责。",
         "material_request": "请补充中试原始记录"})
    assert r.status_code == 302
    member.refresh_from_db()
    assert member.status == MemberStatus.reviewed
    assert member.review.scores["necessity"] == 6.5 and member.review.scores["innovativeness"] == 8
    assert member.review.findings == {"original_records_prove_diligence": True, "failure_force_majeure": False}
    assert member.review.material_request == "请补充中试原始记录"
    page = html(client(member.expert.user.username).get(f"/expert/cases/{case.pk}/review/"))
    assert "6.5 / 10" in page and 'name="opinion"' not in page  # shown, no longer editable


# --- public notices -----------------------------------------------------------------------------------

def test_public_notice_shows_no_unpublished_fields(demo: dict[str, Case]) -> None:
    case = demo["ZJ-2024-204"]
    facts = sel.current_facts(case)
    for path in ("/notices/", f"/notices/{case.pk}/"):
        for lang in (None, "en"):
            r = client(lang=lang).get(path)
            page = html(r)
            assert r.status_code == 200
            assert case.number in page and case.project.title in page and case.applicant.name in page
            unit = case.host_unit
            assert (unit.name_en if lang == "en" and unit.name_en else unit.name_zh) in page  # in the page's language
            # published_fields of the Zhejiang pack: project name, host unit, applicant, decision — nothing else.
            assert case.project.code not in page and case.failure_explanation not in page
            assert case.pack_hash[:12] not in page and "original_records_prove_diligence" not in page
            assert case.applicant.birth_date.isoformat() not in page
            assert "认定为尽职免责" not in page and case.decision.reasons not in page
            assert all(f.note not in page for f in facts.values() if f.note)
    assert "Proposed decision" in html(client(lang="en").get(f"/notices/{case.pk}/"))
    for other in demo.values():  # no other case is under notice, whatever its stage
        if other.pk != case.pk:
            assert Client().get(f"/notices/{other.pk}/").status_code == 404
            assert other.number not in html(Client().get("/notices/"))


def test_objection_validation_and_rate_limit(demo: dict[str, Case]) -> None:
    case = demo["ZJ-2024-204"]
    anon = Client()
    r = anon.post(f"/notices/{case.pk}/", {"name": "张三", "contact": "", "text": "x"})
    assert r.status_code == 400 and 'id="obj-contact-error"' in html(r) and 'id="obj-name-error"' not in html(r)
    assert 'value="张三"' in html(r)  # kept
    r = anon.post(f"/notices/{case.pk}/", {"name": "张三", "contact": "1" * 201, "text": "x"})
    assert r.status_code == 400 and "不能超过 200 字" in html(r)
    assert not Objection.objects.exists()
    for i in range(4):  # five submissions that reach the service per ten minutes, the refused long one included
        r = anon.post(f"/notices/{case.pk}/", {"name": f"公众{i}", "contact": "13812345678", "text": f"有异议{i}"})
        assert r.status_code == 200 and "您的异议已登记" in html(r), i
    r = anon.post(f"/notices/{case.pk}/", {"name": "公众5", "contact": "13812345678", "text": "有异议"})
    assert r.status_code == 429 and "提交过于频繁" in html(r)
    assert Objection.objects.filter(case=case).count() == 4
    assert Client().post(f"/notices/{demo['ZJ-2024-203'].pk}/", {"name": "a", "contact": "b",
                                                                  "text": "c"}).status_code == 404


# --- dashboard ----------------------------------------------------------------------------------------

def test_dashboard_is_for_staff_and_scoped(demo: dict[str, Case]) -> None:
    assert Client().get("/dashboard/").status_code == 302
    for name in ("wang", "expert_li", "zju_reviewer", "outsider"):
        assert client(name).get("/dashboard/").status_code == 403, name
        assert client(name).get("/dashboard/export.xlsx").status_code == 403, name
    page = html(client("zj_caseworker").get("/dashboard/"))
    assert page.count('<svg role="img"') >= 4 and "<script" not in page.split("</main>")[0]
    assert "浙江省" in page and "深圳市" not in page.split("<main")[1]  # only the bureau's own cases
    assert html(client("auditor").get("/dashboard/")).count("深圳市") > 0
    assert client("zj_committee").get("/dashboard/").status_code == 200


def test_dashboard_export_is_an_xlsx(demo: dict[str, Case]) -> None:
    r = client("zj_caseworker").get("/dashboard/export.xlsx")
    assert r.status_code == 200 and r["Content-Type"] == XLSX
    assert "attachment" in r["Content-Disposition"] and ".xlsx" in r["Content-Disposition"]
    assert r.content[:4] == b"PK\x03\x04"
    wb = load_workbook(io.BytesIO(r.content))
    assert len(wb.sheetnames) == 6 and "阶段 Stage" in wb.sheetnames
    rows = [r for r in wb["地区 Jurisdiction"].iter_rows(values_only=True) if r and r[0]]
    body = " ".join(str(c) for row in rows for c in row if c)
    assert "浙江省" in body and "深圳市" not in body
    zj = next(row for row in rows if str(row[0]).startswith("浙江省 ·"))
    assert zj[3] == sum(1 for c in demo.values() if c.pack_id == "zhejiang-implementing-opinion")


# --- registry import ----------------------------------------------------------------------------------

PROJECT_HEAD = [c.header for c in PROJECT_COLUMNS]
PEOPLE_HEAD = [c.header for c in PEOPLE_COLUMNS]
GOOD = ["SZ-2025-601", "柔性电子皮肤传感器", "深圳市科技计划", "市级", 1_200_000, dt.datetime(2025, 1, 1),
        "2026/12/31", None, "SZU", "马博士", "1990-02-03", "milestone"]
BAD = ["SZ-2025-602", "微流控芯片", "", "city", -5, "2025-06-01", "2024-01-01", None, "NOPE", "无名氏", None, "lottery"]


def _upload(c: Client, data: bytes, name: str = "import.xlsx") -> Any:
    return c.post("/registry/import/", {"step": "preview", "file": SimpleUploadedFile(name, data, XLSX)})


def test_import_refuses_bad_rows_and_writes_nothing(demo: dict[str, Case]) -> None:
    data = workbook({"项目 projects": [PROJECT_HEAD, GOOD, BAD], "人员 people": [PEOPLE_HEAD, ["马博士", "1990-02-03",
                                                                                          "SZU", "助理研究员"]]})
    before = (Project.objects.count(), Person.objects.count(), AuditEvent.objects.count())
    cw = client("sz_caseworker")
    r = _upload(cw, data)
    page = html(r)
    assert r.status_code == 200
    for text in ("第 3 行“资助层级”", "national（国家级）", "第 3 行“预算（元）”",
                 "第 3 行“结束日期”：不能早于开始日期", "没有代码为 NOPE 的承担单位", "第 3 行“组织方式”",
                 "第 3 行“负责人姓名”"):
        assert text in page, text
    token = page.split('name="token" value="')[1].split('"')[0]
    r = cw.post("/registry/import/", {"step": "import", "token": token})
    assert r.status_code == 400 and "1 行有错误，未导入任何数据" in html(r)
    assert (Project.objects.count(), Person.objects.count(), AuditEvent.objects.count()) == before
    r = cw.post("/registry/import/", {"step": "import", "token": "stale"})
    assert r.status_code == 409
    r = cw.post("/registry/import/", {"step": "import", "token": token, "skip_bad": "1"})
    assert r.status_code == 302
    assert Project.objects.count() == before[0] + 1 and Person.objects.count() == before[1] + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert AuditEvent.objects.count() == before[2] + 1 and event is not None and event.action == "registry.import"
    assert event.after["projects"]["created"] == ["SZ-2025-601"] and event.after["skipped"][0]["row"] == 3
    p = Project.objects.get(code="SZ-2025-601")
    assert (p.funding_level, p.start_date, p.end_date, p.bureau.code) == ("municipal", dt.date(2025, 1, 1),
                                                                          dt.date(2026, 12, 31), "SZ-STIB")
    assert p.lead.birth_date == dt.date(1990, 2, 3) and p.lead.title == "助理研究员"


def test_import_service_is_all_or_nothing(demo: dict[str, Case]) -> None:
    actor = get_user_model().objects.get(username="sz_caseworker")
    rows = [ImportRow("projects", 2, dict(zip([c.id for c in PROJECT_COLUMNS], GOOD, strict=True))),
            ImportRow("projects", 3, dict(zip([c.id for c in PROJECT_COLUMNS], BAD, strict=True))),
            ImportRow("people", 2, {"name": "马博士", "birth_date": "1990-02-03", "unit_code": "SZU"})]
    before = (Project.objects.count(), Person.objects.count(), AuditEvent.objects.count())
    with pytest.raises(Invalid) as exc:
        registry_import(actor=actor, rows=rows)
    assert exc.value.field == "rows"
    assert (Project.objects.count(), Person.objects.count(), AuditEvent.objects.count()) == before
    # Zhejiang's caseworker may not write Shenzhen's registry.
    zj = get_user_model().objects.get(username="zj_caseworker")
    with pytest.raises(Invalid) as exc:
        registry_import(actor=zj, rows=rows[:1] + rows[2:])
    assert "不属于您的主管部门" in exc.value.zh or "不由您的主管部门监管" in exc.value.zh
    # An existing project is updated, not duplicated; a second import of the same rows changes nothing new.
    result = registry_import(actor=actor, rows=rows[:1] + rows[2:])
    assert result.created_projects == ["SZ-2025-601"] and result.created_people == ["马博士"]
    again = registry_import(actor=actor, rows=rows[:1] + rows[2:])
    assert again.updated_projects == ["SZ-2025-601"] and again.updated_people == ["马博士"]
    assert Project.objects.filter(code="SZ-2025-601").count() == 1 and Person.objects.filter(name="马博士").count() == 1


def test_an_update_with_blank_cells_keeps_the_stored_values_and_the_preview_says_so(demo: dict[str, Case]) -> None:
    """Blank means "unchanged" (security review, hole 8): a second import that leaves the programme, budget, dates
    and mode blank overwrote them with nothing, 0 and "ordinary"."""
    actor = get_user_model().objects.get(username="sz_caseworker")
    ids = [c.id for c in PROJECT_COLUMNS]
    people = ImportRow("people", 2, {"name": "马博士", "birth_date": "1990-02-03", "unit_code": "SZU"})
    registry_import(actor=actor, rows=[ImportRow("projects", 2, dict(zip(ids, GOOD, strict=True))), people])
    stored = Project.objects.values("programme", "budget_yuan", "start_date", "end_date", "project_mode").get(
        code="SZ-2025-601")
    blank = [GOOD[0], "柔性电子皮肤传感器（二期）", "", "市级", None, None, "", None, "SZU", "马博士", "1990-02-03", ""]
    result = registry_import(actor=actor, rows=[ImportRow("projects", 2, dict(zip(ids, blank, strict=True)))])
    assert result.updated_projects == ["SZ-2025-601"]
    p = Project.objects.get(code="SZ-2025-601")
    assert p.title == "柔性电子皮肤传感器（二期）"  # a filled cell changes
    assert {k: getattr(p, k) for k in stored} == stored  # the blank ones keep what was there
    # The preview says so, for the rows it updates and above the table.
    page = html(_upload(client("sz_caseworker"), workbook({"项目 projects": [PROJECT_HEAD, blank]})))
    assert "保留已登记的值" in page and "不会被清空" in page


def test_import_refuses_invisible_text_direction_controls_in_any_cell(demo: dict[str, Case]) -> None:
    actor = get_user_model().objects.get(username="sz_caseworker")
    ids = [c.id for c in PROJECT_COLUMNS]
    spoofed = [*GOOD]
    spoofed[1] = "柔性电子\u202e皮肤传感器"
    before = Project.objects.count()
    with pytest.raises(Invalid) as exc:
        registry_import(actor=actor, rows=[ImportRow("projects", 2, dict(zip(ids, spoofed, strict=True)))])
    assert "U+202E" in exc.value.zh and "项目名称" in exc.value.zh and "text-direction" in exc.value.en
    assert Project.objects.count() == before


def test_import_page_permissions_and_bad_files(demo: dict[str, Case]) -> None:
    assert Client().get("/registry/import/").status_code == 302
    for name in ("wang", "expert_li", "auditor", "zj_committee", "zju_reviewer"):
        assert client(name).get("/registry/import/").status_code == 403, name
    for name in ("sz_caseworker", "zj_caseworker", "admin"):
        assert client(name).get("/registry/import/").status_code == 200, name
    r = client("sz_caseworker").get("/registry/import/template.xlsx")
    assert r.status_code == 200 and r["Content-Type"] == XLSX
    assert load_workbook(io.BytesIO(r.content)).sheetnames == ["项目 projects", "人员 people", "说明 notes"]
    cw = client("sz_caseworker")
    r = _upload(cw, b"%PDF-1.4 not a workbook", "x.xlsx")
    assert r.status_code == 400 and "不是有效的 Excel" in html(r)
    r = _upload(cw, b"id,name", "x.csv")
    assert r.status_code == 400 and "只接受 .xlsx" in html(r)
    r = _upload(cw, workbook({"Sheet": [["a"], [1]]}))
    assert r.status_code == 400 and "找不到" in html(r)
    r = _upload(cw, workbook({"项目 projects": [["项目编号 code"], ["X-1"]]}))
    assert r.status_code == 400 and "缺少必填列" in html(r) and "项目名称 title" in html(r)
    r = client("zj_caseworker").post("/registry/import/", {"step": "preview", "file": SimpleUploadedFile(
        "p.xlsx", workbook({"项目 projects": [PROJECT_HEAD, GOOD]}), XLSX)})
    assert r.status_code == 200 and "由深圳市科技创新局监管，不属于您的主管部门" in html(r)


# --- the case page: panel, committee, objections, letters, obligations, integrity --------------------

def test_panel_draw_on_the_case_page_flags_rule_breaches(demo: dict[str, Case]) -> None:
    case = demo["ZJ-2024-200"]  # investigation
    cw = get_user_model().objects.get(username="zj_caseworker")
    case = svc.case_transition(case=case, actor=cw, action="refer_to_panel", opinion=OPINIONS["refer_to_panel"])
    page = html(client("zj_caseworker").get(f"/cases/{case.pk}/"))
    assert 'data-action="draw-panel"' in page
    assert 'data-action="draw-panel"' not in html(client("auditor").get(f"/cases/{case.pk}/"))  # read-only
    r = client("zj_committee").post(f"/cases/{case.pk}/panel/", {"size": "5"})
    assert r.status_code == 403 and not Panel.objects.filter(case=case).exists()
    r = client("zj_caseworker").post(f"/cases/{case.pk}/panel/", {"size": "abc"})
    assert r.status_code == 400 and "专家组人数应为整数" in html(r)
    r = client("zj_caseworker").post(f"/cases/{case.pk}/panel/", {"size": "2"})
    assert r.status_code == 409 and 'id="panel-override-error"' in html(r) and "专家组不符合规则" in html(r)
    assert not Panel.objects.filter(case=case).exists()
    r = client("zj_caseworker").post(f"/cases/{case.pk}/panel/", {"size": "2", "override_reason": "专家库不足"})
    assert r.status_code == 302
    panel = Panel.objects.get(case=case)
    assert panel.rule_breaches and panel.override_reason == "专家库不足"
    page = html(client("zj_caseworker").get(f"/cases/{case.pk}/"))
    assert 'class="breach"' in page and "专家库不足" in page and panel.seed in page
    assert "专家人数 2 少于 5 人" in page
    assert 'aria-labelledby="panel-form"' not in html(client("zju_reviewer").get(f"/cases/{case.pk}/"))


def test_committee_page_permissions_and_errors(demo: dict[str, Case]) -> None:
    case = demo["ZJ-2024-203"]
    expert = case.panel.members.select_related("expert__user").first().expert.user.username  # type: ignore[union-attr]
    assert client(expert).get(f"/cases/{case.pk}/").status_code == 200  # may read the case, but
    assert client(expert).get(f"/committee/cases/{case.pk}/").status_code == 403  # the committee page is not theirs
    assert client("sz_committee").get(f"/committee/cases/{case.pk}/").status_code == 404  # another bureau
    page = html(client("zj_caseworker").get(f"/committee/cases/{case.pk}/"))
    assert "作出集体审定" not in page  # caseworkers see, the committee decides
    assert "进入集体审定" in html(client("zj_committee").get(f"/cases/{case.pk}/"))
    assert "进入集体审定" not in html(client("zj_caseworker").get(f"/cases/{case.pk}/"))
    r = client("zj_committee").post(f"/committee/cases/{case.pk}/", {"version": case.version})
    assert r.status_code == 400 and "请选择决定" in html(r)
    r = client("zj_committee").post(f"/committee/cases/{case.pk}/", {"decision": "exempt", "version": case.version})
    assert r.status_code == 409 and "引擎结论仍为待定" in html(r)
    assert not hasattr(Case.objects.get(pk=case.pk), "decision")


def test_objections_letters_obligations_and_integrity(demo: dict[str, Case], clock: Clock) -> None:
    case = demo["ZJ-2024-204"]  # under notice
    objection = svc.objection_file(case=case, name="张三", contact="13812345678", text="有异议").objection
    cw = client("zj_caseworker")
    r = cw.post(f"/cases/{case.pk}/objections/{objection.pk}/answer/", {"answer": "经核实不成立"})
    assert r.status_code == 400 and "请选择异议是否成立" in html(r)
    r = client("zj_committee").post(f"/cases/{case.pk}/objections/{objection.pk}/answer/",
                                    {"answer": "x", "sustained": "0"})
    assert r.status_code == 403
    r = cw.post(f"/cases/{case.pk}/objections/{objection.pk}/answer/", {"answer": "经核实不成立", "sustained": "0"})
    assert r.status_code == 302
    objection.refresh_from_db()
    assert objection.status == "answered" and objection.sustained is False
    # The notice period ends; closing it archives the case: a letter, and the pack's obligations.
    clock.value = case.deadlines.get(key="stage:public_notice").due_date + dt.timedelta(days=1)
    case = svc.case_transition(case=Case.objects.get(pk=case.pk), actor=get_user_model().objects.get(
        username="zj_caseworker"), action="close_notice")
    letter = case.letters.get()
    page = html(cw.get(f"/cases/{case.pk}/"))
    assert f"/cases/{case.pk}/letters/{letter.pk}/docx/" in page and 'aria-labelledby="obligations-form"' in page
    r = cw.get(f"/cases/{case.pk}/letters/{letter.pk}/docx/")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    assert b"".join(r.streaming_content)[:2] == b"PK"
    assert cw.get(f"/cases/{case.pk}/letters/{letter.pk}/exe/").status_code == 404
    assert client("sz_caseworker").get(f"/cases/{case.pk}/letters/{letter.pk}/docx/").status_code == 404
    ob = Obligation.objects.filter(case=case).first()
    assert ob is not None and ob.status == "open"
    r = cw.post(f"/cases/{case.pk}/obligations/{ob.pk}/fulfil/", {"note": "已退回结余经费"})
    assert r.status_code == 302
    ob.refresh_from_db()
    assert ob.status == "fulfilled" and ob.note == "已退回结余经费"
    r = cw.post(f"/cases/{case.pk}/obligations/{ob.pk}/fulfil/", {"note": "again"})
    assert r.status_code == 409 and "该义务已履行" in html(r)
    assert client("auditor").post(f"/cases/{case.pk}/obligations/{ob.pk}/fulfil/", {}).status_code in (403, 409)
    # Integrity records of the case's people from other cases: caseworkers, committee and auditors only.
    for name in ("zj_caseworker", "zj_committee", "auditor"):
        assert 'aria-labelledby="integrity-head"' in html(client(name).get(f"/cases/{case.pk}/")), name
    assert 'aria-labelledby="integrity-head"' not in html(client("zju_reviewer").get(f"/cases/{case.pk}/"))


def test_public_notices_come_in_pages(demo: dict[str, Case], monkeypatch: pytest.MonkeyPatch) -> None:
    from rongcuo.cases.models import Deadline

    first = demo["ZJ-2024-204"]
    notice = first.deadlines.get(key__startswith="stage:", status="open")
    second = demo["ZJ-2024-203"]  # put under notice as well, its notice ending a day later
    Case.objects.filter(pk=second.pk).update(stage=first.stage)
    Deadline.objects.create(case=second, key=notice.key, label_zh=notice.label_zh, label_en=notice.label_en,
                            start_date=notice.start_date, days=notice.days, day_kind=notice.day_kind,
                            due_date=notice.due_date + dt.timedelta(days=1), status="open")
    monkeypatch.setattr("rongcuo.review.notice_views.NOTICES_PAGE", 1)
    page1, page2 = html(Client().get("/notices/")), html(Client().get("/notices/", {"page": 2}))
    assert first.number in page1 and second.number not in page1 and "下一页" in page1 and "上一页" not in page1
    assert second.number in page2 and first.number not in page2 and "上一页" in page2 and "下一页" not in page2
    assert "Page 2" in html(client(lang="en").get("/notices/", {"page": 2}))
    api = Client()
    assert [n["number"] for n in api.get("/api/notices").json()] == [first.number, second.number]
    assert [n["number"] for n in api.get("/api/notices", {"limit": 1, "offset": 1}).json()] == [second.number]
    r = api.get("/api/notices", {"limit": 501})
    assert r.status_code == 400 and r.json()["field"] == "limit"
    assert Client().get(f"/notices/{second.pk}/").status_code == 200  # one notice found without listing all


def test_public_notices_are_read_once_and_follow_every_recorded_change(demo: dict[str, Case], clock: Clock) -> None:
    """The list (page and API) is the same for every visitor: the database is read once per page, language and
    day; any recorded change (here the transition that ends the notice) shows on the next request."""
    from django.db import connection

    case = demo["ZJ-2024-204"]
    deadline_reads: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if "cases_deadline" in sql:
            deadline_reads.append(sql)
        return execute(sql, params, many, context)

    def both() -> tuple[str, list[str]]:  # the page's main part (the header has each visitor's CSRF token)
        main = html(Client().get("/notices/")).split("<main", 1)[1].split("</main>", 1)[0]
        return main, [n["number"] for n in Client().get("/api/notices").json()]

    with connection.execute_wrapper(count):
        page, numbers = both()
        assert case.number in page and numbers == [case.number] and len(deadline_reads) == 2
        again, numbers_again = both()
        assert (again, numbers_again) == (page, numbers) and len(deadline_reads) == 2  # from the cache
        assert case.number in html(client(lang="en").get("/notices/")) and len(deadline_reads) == 3  # per language
        clock.value += dt.timedelta(days=1)  # another day: read afresh (a notice ends by date)
        both()
        assert len(deadline_reads) == 5
    cw = get_user_model().objects.get(username="zj_caseworker")
    action = next(t.action for t, unmet in sel.available_transitions(case, cw) if not unmet)
    case = svc.case_transition(case=case, actor=cw, action=action, reason="公示期满，无异议。",
                               expected_version=case.version)
    assert case.stage != demo["ZJ-2024-204"].stage
    page, numbers = both()
    assert case.number not in page and numbers == [] and "目前没有处于公示期的认定结果" in page


def test_timelines_name_every_step_in_words(demo: dict[str, Case]) -> None:
    """Each step of every demo case's timeline is told in the page's language, not by its audit action id."""
    import re

    from rongcuo.audit.models import AuditEvent

    actions = set(AuditEvent.objects.filter(subject_type="cases.case").values_list("action", flat=True))
    assert {"committee.decide", "case.archive", "panel.draw", "review.submit"} <= actions  # the demo covers them
    for lang in (None, "en"):
        admin = client("admin", lang)
        for case in demo.values():
            page = html(admin.get(f"/cases/{case.pk}/"))
            timeline = page.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
            steps = re.findall(r"<strong>(.*?)</strong>", timeline)
            assert steps and not [s for s in steps if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", s)], (case.number, steps)


def test_case_page_asks_only_for_the_records_a_case_has(demo: dict[str, Case], monkeypatch: pytest.MonkeyPatch) -> None:
    # The case page reads which kinds of records exist (letters, obligations, decisions, panel, objections,
    # corrections, materials, integrity records of its people from other cases) with the case itself and queries
    # only those kinds: every demo case, as each kind of staff user and an applicant, renders the same page as
    # without that shortcut (every kind queried), with fewer queries; again once the people have integrity records.
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rongcuo.cases.selectors import records
    from rongcuo.common.prepared import Prepared
    from rongcuo.review.models import IntegrityRecord

    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')

    def page(c: Client, pk: int) -> tuple[str, list[str]]:
        with CaptureQueriesContext(connection) as ctx:
            r = c.get(f"/cases/{pk}/")
        assert r.status_code in (200, 404)
        return token.sub("", html(r)), [q["sql"] for q in ctx.captured_queries]

    kinds = ("review_letter", "review_obligation", "review_decision", "review_panel", "cases_objection",
             "cases_receipt", "monitoring_correctioncase", "cases_evidence", "review_integrityrecord")

    def asked(sqls: list[str]) -> set[str]:  # the kinds read by a query of their own (not an EXISTS column)
        return {k for k in kinds for s in sqls if s.startswith(f'SELECT "{k}".')}

    def compare() -> tuple[int, set[str]]:
        fewer, kinds_asked = 0, set()
        for name in ("zj_caseworker", "sz_caseworker", "zj_committee", "auditor", "chen"):  # and an applicant
            c = client(name)
            for case in demo.values():
                c.get(f"/cases/{case.pk}/")  # caches warm alike for both readings
                quick, quick_sql = page(c, case.pk)
                with monkeypatch.context() as m:
                    m.setattr(records, "page_presence", lambda: {})
                    m.setattr(records, "PAGE_CASE", Prepared(records.PAGE_CASE.build))  # built anew without
                    full, full_sql = page(c, case.pk)
                assert quick == full, (name, case.project.code)
                quick_asked, full_asked = asked(quick_sql), asked(full_sql)
                assert quick_asked <= full_asked, (name, case.project.code)
                assert len(full_sql) - len(quick_sql) == len(full_asked - quick_asked), (name, case.project.code)
                fewer += len(quick_sql) < len(full_sql)
                kinds_asked |= quick_asked
        return fewer, kinds_asked

    fewer, _ = compare()
    assert fewer > 0
    # Integrity records from other cases: of one case's applicant, of another project's lead and of a third
    # project's co-investigator; and one on a case's own applicant in that very case (not shown there).
    cases = sorted(demo.values(), key=lambda c: c.pk)
    by = get_user_model().objects.get(username="zj_caseworker")
    member_of = next((c for c in cases if c.project.co_investigators.exists()), None)
    people = [cases[0].applicant, cases[1].project.lead] + ([member_of.project.co_investigators.first()]
                                                            if member_of else [])
    for person in people:
        IntegrityRecord.objects.create(person=person, case=cases[-1], clause="test", note="测试记录", recorded_by=by,
                                       recorded_on=dt.date(2025, 10, 1))
    IntegrityRecord.objects.create(person=cases[2].applicant, case=cases[2], clause="test", note="本案记录",
                                   recorded_by=by, recorded_on=dt.date(2025, 10, 1))
    _, kinds_asked = compare()
    assert "review_integrityrecord" in kinds_asked
