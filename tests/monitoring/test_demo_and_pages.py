"""The monitoring demo (through the services, once) and the server-rendered pages, in Chinese and English."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from rongcuo.audit.services import audit_verify
from rongcuo.monitoring.demo import monitoring_demo_load
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
