"""The monitoring demo (through the services, once) and the server-rendered pages, in Chinese and English."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from rongcuo.audit.selectors import audit_verify
from rongcuo.demo.monitoring import monitoring_demo_load
from rongcuo.monitoring.models import CorrectionCase, EarlyWarning, Inspection

from .conftest import URLS

pytestmark = pytest.mark.urls(URLS)


def page(user, url: str, lang: str = "zh-hans") -> tuple[int, str]:
    c = Client()
    if user is not None:
        c.force_login(user)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    r = c.get(url)
    return r.status_code, r.content.decode() if r.status_code == 200 else ""


def test_demo_loads_once_through_the_services(world, today) -> None:
    today.set(dt.date(2025, 11, 3))
    counts = monitoring_demo_load(world)
    assert counts["corrections"] == 4 and counts["warnings"] >= 6 and counts["inspections"] == 1
    states = dict(CorrectionCase.objects.values_list("project__code", "state"))
    assert states == {"YN-2024-GY-011": "verified", "YN-2024-ZY-021": "interview_scheduled",
                      "ZJ-2024-303": "measure_recorded", "ZJ-2024-304": "notice_served"}
    rules = set(EarlyWarning.objects.values_list("rule_id", flat=True))
    assert {"zj.monitor.milestone_overdue", "zj.monitor.spending_off_plan", "zj.monitor.midterm_failed",
            "zj.monitor.major_change_unreported", "yn.monitor.midterm_failed", "yn.monitor.milestone_overdue"} == rules
    assert not EarlyWarning.objects.filter(project__code="ZJ-2024-305").exists()  # on track
    assert Inspection.objects.count() == 1
    assert audit_verify().ok
    out = io.StringIO()
    call_command("monitoring_demo_load", stdout=out)
    assert "already loaded" in out.getvalue() and CorrectionCase.objects.count() == 4


def test_dashboard_and_project_page(world, today) -> None:
    today.set(dt.date(2025, 11, 3))
    monitoring_demo_load(world)
    u = world.users

    code, html = page(u["zj_caseworker"], "/monitoring/")
    assert code == 200
    assert "监测预警与纠错" in html and "进行中的纠错程序" in html and "按计划类别" in html and "按承担单位" in html
    assert "中期经费执行偏离计划" in html and "里程碑节点逾期未完成" in html  # the pack's rule labels
    zj4 = CorrectionCase.objects.get(project__code="ZJ-2024-304")
    assert zj4.number in html and zj4.rectify_due.isoformat() in html
    assert CorrectionCase.objects.get(project__code="ZJ-2024-303").number not in html  # closed: not listed

    code, html = page(u["zj_caseworker"], "/monitoring/", lang="en")
    assert code == 200 and "Monitoring and correction" in html and "Open correction procedures" in html
    assert "Spending off plan at mid-term" in html and "By programme" in html
    visible = re.sub(r"<[^>]+>|lang=\"zh-Hans\"", " ", html)
    assert "进行中的纠错程序" not in visible and "按规则" not in visible  # interface texts are translated
    unit = world.orgs["zju"]
    assert f"<td>{unit.name_en}</td>" in html and unit.name_zh not in visible  # the by-unit table in English
    for lang_ in ("zh-hans", "en"):  # the admin, who may choose among several bureaus: each in one language
        bureaus = re.search(r'<select id="f-bureau"[^>]*>(.*?)</select>', page(u["admin"], "/monitoring/",
                                                                               lang=lang_)[1], re.S)
        assert bureaus and bureaus.group(1).count("</option>") > 1 and " / " not in bureaus.group(1)

    yn = world.projects["yn_plateau"]
    code, html = page(u["yn_caseworker"], f"/monitoring/projects/{yn.pk}/")
    assert code == 200 and "纠错经过" in html and "送达纠错通知书" in html and "整改验收通过" in html
    assert "中期检查未通过" in html and "下载 DOCX" in html and "一旦发现科研失误错误" in html
    code, html = page(u["yn_caseworker"], f"/monitoring/projects/{yn.pk}/", lang="en")
    assert code == 200 and "Correction timeline" in html and "Serve the correction notice" in html
    assert "Project lead" in html  # who submitted the rectification

    assert page(u["auditor"], f"/monitoring/projects/{yn.pk}/")[0] == 200
    assert page(u["zj_caseworker"], f"/monitoring/projects/{yn.pk}/")[0] == 404
    assert page(u["zhao"], f"/monitoring/projects/{yn.pk}/")[0] == 403
    assert page(u["outsider"], "/monitoring/")[0] == 403
    r = Client().get("/monitoring/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_case_page_shows_the_projects_correction_history_read_only(world, today) -> None:
    """An exemption case on a project that went through correction shows that history (read-only) to those
    handling the case — the roles of /api/monitoring/cases/{id}/corrections — and to nobody else."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rongcuo.cases.services import case_create

    today.set(dt.date(2025, 11, 3))
    monitoring_demo_load(world)
    u = world.users
    escalated = CorrectionCase.objects.get(project__code="ZJ-2024-303")
    escalated.project.lead = world.people["chen"]  # an applicant with an account, who leads the project
    escalated.project.save(update_fields=["lead"])
    case = case_create(actor=u["zj_caseworker"], project=escalated.project, applicant=world.people["chen"],
                       failure_explanation="核心算法路线经论证后仍未达到预期指标。")
    url = f"/cases/{case.pk}/"

    for name in ("zj_caseworker", "zj_committee", "auditor", "admin"):
        code, html = page(u[name], url)
        assert code == 200, name
        assert "本项目的纠错记录（只读）" in html and escalated.number in html, name
    assert "已记录处理措施" in html and "中期检查未通过。" in html  # state and the problem found
    assert "送达纠错通知书" in html and "整改验收不通过，移交严肃处理" in html and "记录处理措施" in html
    assert "整改验收不通过" in html and "指标仍未达到要求，整改效果不明显。" in html
    assert "suspend_funding" in html and "暂停拨付下一年度经费，待复查通过后恢复。" in html
    assert escalated.notice_number in html
    assert 'href="#corr-head"' in html
    assert "<form" not in html.split('id="corr-head"')[1].split("</section>")[0]  # read-only: no form in it

    code, html = page(u["zj_caseworker"], url, lang="en")
    assert code == 200 and "s correction history (read-only)" in html
    assert "Measure recorded" in html and "Reject the rectification and escalate" in html

    # The applicant sees the case page, not the project's correction history.
    code, html = page(u["chen"], url)
    assert code == 200 and "纠错记录" not in html and escalated.number not in html and "corr-head" not in html

    # A fixed, small number of queries: the corrections and their steps, nothing per correction or step.
    c = Client()
    c.force_login(u["zj_caseworker"])
    with CaptureQueriesContext(connection) as queries:
        assert c.get(url).status_code == 200
    corr = [q["sql"] for q in queries.captured_queries  # (the case's own query asks whether any exist: not counted)
            if q["sql"].startswith('SELECT "monitoring_correction')]
    assert len(corr) == 2 and not any("correctiondocument" in q for q in corr)


def test_navigation_links_the_monitoring_dashboard_for_those_who_may_read_it(world, today) -> None:
    monitoring_demo_load(world)
    u = world.users
    link = 'href="/monitoring/"'
    for name in ("zj_caseworker", "zj_committee", "yn_caseworker", "auditor", "admin"):
        code, html = page(u[name], "/")
        assert code == 200 and link in html and "监测预警" in html, name
        assert page(u[name], "/monitoring/")[0] == 200, name  # the link leads somewhere they may read
    code, html = page(u["zj_caseworker"], "/packs/", lang="en")
    assert link in html and ">Monitoring</a>" in html
    # Applicants, unit reviewers, a bureau whose packs monitor nothing, strangers and visitors: no link.
    for name in ("chen", "zju_reviewer", "sz_caseworker", "outsider", None):
        code, html = page(u[name] if name else None, "/")
        assert code == 200 and link not in html, name
