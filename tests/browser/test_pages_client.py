"""The pages through Django's test client (no browser): status codes, permissions, errors shown, languages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from rongcuo.cases import services as svc
from rongcuo.demo.world import World
from tests.factories import step

from .support import PDF
from .test_self_check import SHENZHEN


@pytest.fixture
def world(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr("rongcuo.cases.clock.today", lambda: dt.date(2025, 10, 9))
    return world


@pytest.fixture
def case(world: World) -> Any:
    c = svc.case_create(actor=world.users["wang"], project=world.projects["sz_chip"], applicant=world.people["wang"],
                        failure_explanation="里程碑考核未通过。")
    svc.evidence_upload(case=c, actor=world.users["wang"], file=ContentFile(PDF, name="form.pdf"),
                        kind="application_form", name="form.pdf")
    c.refresh_from_db()
    return c


def client(world: World, name: str | None = None, lang: str | None = None) -> Client:
    c = Client()
    if name:
        c.force_login(world.users[name])
    if lang:
        c.cookies["django_language"] = lang
    return c


@pytest.mark.parametrize("path", ["/", "/self-check/", "/self-check/?pack=all", "/packs/", "/packs/compare/",
                                  "/packs/cn-stpl-2021/", "/packs/compare/?a=cn-stpl-2021&b=yunnan-correction-measures",
                                  "/accounts/login/"])
@pytest.mark.parametrize("lang", [None, "en"])
def test_public_pages(world: World, path: str, lang: str | None) -> None:
    r = client(world, lang=lang).get(path)
    assert r.status_code == 200
    assert f'<html lang="{"en" if lang else "zh-Hans"}">' in r.content.decode()


def test_chinese_first_whatever_the_browser_says(world: World) -> None:
    assert 'lang="zh-Hans"' in Client().get("/", HTTP_ACCEPT_LANGUAGE="en-US,en").content.decode()
    c = Client()
    r = c.post("/i18n/setlang/", {"language": "en", "next": "/packs/"})
    assert r.status_code == 302 and r["Location"] == "/packs/"
    assert "Policy packs" in c.get("/packs/").content.decode()


def test_self_check_answers_in_the_address(world: World) -> None:
    query = {f"f.{k}": v for k, v in SHENZHEN.items()}
    r = Client().get("/self-check/", {"pack": "shenzhen-tolerance-guideline", **query})
    html = r.content.decode()
    assert r.status_code == 200 and 'data-outcome="exempt"' in html and 'class="q"' not in html
    assert "「对“里程碑式”“赛马式”项目未通过考核的」" in html
    # a bad answer is named, dropped and asked again; unknown facts and parameters are ignored
    r = Client().get("/self-check/", {"pack": "shenzhen-tolerance-guideline", "f.project_mode": "lottery",
                                      "f.no_such_fact": "1", "on": "not-a-date"})
    html = r.content.decode()
    assert r.status_code == 200 and "的回答无效" in html and 'data-fact="sz_municipal_fiscal_funds"' in html
    assert Client().get("/self-check/", {"pack": "nope"}).status_code == 404
    assert Client().get("/packs/nope/").status_code == 404


@pytest.mark.parametrize("lang", [None, "en"])
def test_pack_parameters_read_as_numbers_and_say_what_an_enumerated_value_means(world: World, lang: str | None) -> None:
    html = client(world, lang=lang).get("/packs/futian-industry-fund/").content.decode()
    assert "1,000,000 元" in html if lang is None else "1,000,000 yuan" in html  # grouped, not "1000000"
    assert "1000000" not in html
    if lang is None:
        assert "已实现亏损加按公允价值计量的未实现亏损" in html
    else:
        assert "Realised loss plus unrealised loss at fair value" in html
        assert "已实现亏损加按公允价值计量的未实现亏损" not in html


@pytest.mark.parametrize(("value", "zh", "en"), [
    (1000000, "1,000,000", "1,000,000"), (0.8, "0.8", "0.8"), (12345.5, "12,345.5", "12,345.5"),
    (True, "是", "yes"), (False, "否", "no"), ("realised_plus_unrealised_at_fair_value",) * 3])
def test_param_value_text(value: Any, zh: str, en: str) -> None:
    from django.utils import translation

    from rongcuo.policies.views import param_value_text

    with translation.override("zh-hans"):
        assert param_value_text(value) == zh
    with translation.override("en"):
        assert param_value_text(value) == en


def test_work_pages_need_a_login(world: World, case: Any) -> None:
    for path in ["/work/", f"/cases/{case.pk}/", "/my/"]:
        r = Client().get(path)
        assert r.status_code == 302 and r["Location"].startswith("/accounts/login/?next=")


def test_case_page_permissions_and_downloads(world: World, case: Any) -> None:
    ev = case.evidence.get()
    url = f"/cases/{case.pk}/evidence/{ev.pk}/"
    assert client(world, "outsider").get(f"/cases/{case.pk}/").status_code == 404
    assert client(world, "zj_caseworker").get(url).status_code == 404  # another bureau: no hint it exists
    r = client(world, "sz_caseworker").get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF-")
    assert "attachment" in r["Content-Disposition"]
    assert Client().get("/media/" + ev.file.name).status_code == 404  # the media directory is never served
    html = client(world, "auditor").get(f"/cases/{case.pk}/").content.decode()
    assert "data-action=" not in html and 'name="file"' not in html and 'id="facts-form"' not in html  # read-only
    assert "审计" in html and "提出申请（立案）" in html  # but the full timeline with the audit trail


def test_service_errors_are_shown_not_raised(world: World, case: Any) -> None:
    wang, cw = client(world, "wang"), client(world, "sz_caseworker")
    # the applicant may not accept: the page says who may, with the service's status
    r = wang.post(f"/cases/{case.pk}/transition/", step("accept", version=case.version))
    assert r.status_code == 403 and "您无权" in r.content.decode()
    r = cw.post(f"/cases/{case.pk}/transition/", {"action": "reject_inadmissible", "version": case.version})
    assert r.status_code == 400 and "须说明理由" in r.content.decode() and "涉及字段" in r.content.decode()
    r = cw.post(f"/cases/{case.pk}/transition/", step("accept", version=case.version - 1))
    assert r.status_code == 409 and "案件已被他人修改" in r.content.decode()
    r = cw.post(f"/cases/{case.pk}/transition/", step("accept", version=case.version))
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.stage == "acceptance_investigation"

    # findings: only what changed is sent; a bad value names the fact
    r = cw.post(f"/cases/{case.pk}/facts/", {"version": case.version, "role": "investigation_finding",
                                              "fact.sz_municipal_fiscal_funds": "1", "fact.project_mode": "lottery",
                                              "fact.failed_assessment": ""})
    assert r.status_code == 400 and "项目组织方式" in r.content.decode()
    r = cw.post(f"/cases/{case.pk}/facts/", {"version": case.version, "role": "investigation_finding",
                                              "fact.sz_municipal_fiscal_funds": "1", "note": "财政拨款文件"})
    assert r.status_code == 302
    fact = case.facts.get(fact_id="sz_municipal_fiscal_funds", current=True)
    assert fact.value is True and fact.role == "investigation_finding"
    assert fact.established_by.username == "sz_caseworker"

    # uploads: no file, a wrong type, then English
    r = cw.post(f"/cases/{case.pk}/evidence/", {"kind": "situation_statement"})
    assert r.status_code == 400 and "请选择要上传的文件" in r.content.decode()
    bad = ContentFile(b"#!/bin/sh\necho", name="x.sh")
    r = cw.post(f"/cases/{case.pk}/evidence/", {"kind": "situation_statement", "file": bad})
    assert r.status_code == 400 and "不支持的文件类型" in r.content.decode()
    r = client(world, "sz_caseworker", lang="en").post(f"/cases/{case.pk}/evidence/", {"kind": "x"})
    assert r.status_code == 400 and "choose a file to upload" in r.content.decode()


def test_applicant_page_lists_projects_and_refuses_others(world: World) -> None:
    wang = client(world, "wang")
    html = wang.get("/my/").content.decode()
    assert "SZ-2023-AI-017" in html and "ZJ-2023-NM-042" not in html  # only projects she leads
    r = wang.post("/my/apply/", {"project": world.projects["zj_material"].pk, "failure_explanation": "x"})
    assert r.status_code == 400 and "请选择您负责的项目" in r.content.decode()
    r = wang.post("/my/apply/", {"project": world.projects["sz_chip"].pk, "failure_explanation": " "})
    assert r.status_code == 400 and "请填写失败情况说明" in r.content.decode()
    html = client(world, "outsider").get("/my/").content.decode()
    assert "未关联登记的人员信息" in html


def test_work_queue_filters(world: World, case: Any) -> None:
    cw = client(world, "sz_caseworker")
    assert case.number in cw.get("/work/", {"q": "人工智能"}).content.decode()
    assert case.number not in cw.get("/work/", {"q": "不存在的项目"}).content.decode()
    assert case.number in cw.get("/work/", {"stage": "start", "outcome": "undetermined"}).content.decode()
    assert case.number not in cw.get("/work/", {"outcome": "exempt"}).content.decode()
    assert case.number not in client(world, "zj_caseworker").get("/work/").content.decode()


def test_work_queue_pages_and_counts_every_running_deadline(world: World, case: Any, monkeypatch) -> None:
    from rongcuo.cases.models import Deadline, DeadlineStatus

    other = svc.case_create(actor=world.users["chen"], project=world.projects["zj_material"],
                            applicant=world.people["chen"], failure_explanation="中试未达到预期指标。")
    Deadline.objects.filter(case=case).delete()
    base = dict(label_zh="办理期限", label_en="Time limit", start_date=dt.date(2025, 9, 1), days=10, day_kind="working",
                status=DeadlineStatus.open)
    Deadline.objects.create(case=case, key="a", due_date=dt.date(2025, 10, 1), **base)  # overdue on 2025-10-09
    Deadline.objects.create(case=other, key="b", due_date=dt.date(2025, 10, 13), **base)  # 2 working days ahead
    Deadline.objects.create(case=other, key="c", due_date=dt.date(2025, 12, 31), **base)  # on track
    monkeypatch.setattr("rongcuo.cases.selectors.lists.WORK_PAGE", 1)
    admin = client(world, "admin")
    first = admin.get("/work/").content.decode()
    assert "逾期 1" in first and "即将到期 1" in first  # counted over every running deadline, not the page
    assert other.number in first.split('id="cases-head"')[1] and case.number not in first.split('id="cases-head"')[1]
    assert "下一页" in first and "上一页" not in first
    second = admin.get("/work/", {"page": 2}).content.decode().split('id="cases-head"')[1]
    assert case.number in second and other.number not in second and "上一页" in second and "下一页" not in second
    assert admin.get("/work/", {"page": "-3"}).status_code == 200  # a bad page number is the first page
    en = client(world, "admin", "en").get("/work/").content.decode()
    assert "1 overdue" in en and "Next page" in en and "newest first" in en


def test_work_queue_counts_are_counted_once_until_the_next_recorded_change(world: World, case: Any) -> None:
    """The overdue / due-soon counts join a whole bureau's cases: they are kept per visibility and day until an
    audit event (every change through the services has one) replaces the records' generation."""
    from django.db import connection

    from rongcuo.cases.models import Deadline, DeadlineStatus

    Deadline.objects.filter(case=case).delete()
    Deadline.objects.create(case=case, key="a", label_zh="办理期限", label_en="Time limit",
                            start_date=dt.date(2025, 9, 1), days=10, day_kind="working", due_date=dt.date(2025, 10, 1),
                            status=DeadlineStatus.open)  # overdue on 2025-10-09
    counted: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if "FILTER (WHERE" in sql:
            counted.append(sql)
        return execute(sql, params, many, context)

    sz, zj = client(world, "sz_caseworker"), client(world, "zj_caseworker")
    with connection.execute_wrapper(count):
        assert "逾期 1" in sz.get("/work/").content.decode() and len(counted) == 1
        assert "逾期 1" in sz.get("/work/").content.decode() and len(counted) == 1  # kept
        assert "逾期" not in zj.get("/work/").content.decode() and len(counted) == 2  # other cases, own counts
        Deadline.objects.filter(case=case).update(status=DeadlineStatus.missed)  # not through a service ...
        assert "逾期 1" in sz.get("/work/").content.decode() and len(counted) == 2  # ... so nothing recorded it
        svc.evidence_upload(case=case, actor=world.users["wang"], file=ContentFile(PDF, name="more.pdf"),
                            kind="other", name="more.pdf")  # any recorded change
        assert "逾期" not in sz.get("/work/").content.decode() and len(counted) == 3
