"""What the monitoring API answers, on success: a project's records, milestone reports, open corrections with
their deadlines, and the dashboard's counts by programme and by host unit; and the project page's milestones."""

from __future__ import annotations

import datetime as dt

import pytest

from rongcuo.audit.models import AuditEvent
from rongcuo.demo.monitoring import monitoring_demo_load
from rongcuo.monitoring.models import MilestoneReport
from rongcuo.registry.models import Milestone

from .conftest import URLS
from .test_demo_and_pages import page

pytestmark = pytest.mark.urls(URLS)


def test_project_overview_and_milestone_reports(world, as_user, today) -> None:
    today.set(dt.date(2025, 11, 3))
    project = world.projects["zj_material"]
    cw, chen = as_user("zj_caseworker"), as_user("chen")
    base = f"/monitoring/projects/{project.pk}"
    code, m1 = cw.post(f"{base}/milestones", {"planned_date": "2025-06-30", "deliverable": "中试线建成"})
    assert code == 201 and m1["status"] == "planned" and m1["deliverable"] == "中试线建成"
    code, m2 = cw.post(f"{base}/milestones", {"planned_date": "2025-09-30", "deliverable": "千吨级样品交付"})
    assert code == 201
    cw.post(f"{base}/midterm-checks", {"check_date": "2025-10-15", "result": "fail", "notes": "样品一致性不达标"})
    cw.post(f"{base}/spending-reports", {"as_of": "2025-10-31", "spent_yuan": 450000, "planned_yuan": 900000,
                                         "note": "设备到货延迟"})
    cw.post(f"{base}/major-changes", {"occurred_on": "2025-08-01", "description": "更换中试合作企业"})

    # The lead reports a milestone reached, with its evidence; the latest report sets the status.
    code, r = chen.post(f"/monitoring/milestones/{m1['id']}/reports",
                        {"status": "done", "reported_on": "2025-07-02", "evidence": "验收会议纪要 ZJ-MS-07"})
    assert code == 201
    assert r == {"id": r["id"], "milestone_id": m1["id"], "status": "done", "reported_on": "2025-07-02"}
    assert Milestone.objects.get(pk=m1["id"]).status == "done"
    assert AuditEvent.objects.filter(action="monitoring.milestone_report", subject_id=str(project.pk)).count() == 1
    code, r = cw.post(f"/monitoring/milestones/{m2['id']}/reports", {"status": "missed", "note": "原料未到"})
    assert code == 201 and r["status"] == "missed" and r["reported_on"] == "2025-11-03"  # today by default
    # Bad input names the field and changes nothing.
    for body, field in (({"status": "late"}, "status"), ({"status": "done", "reported_on": "2025-12-01"},
                                                          "reported_on")):
        code, err = chen.post(f"/monitoring/milestones/{m2['id']}/reports", body)
        assert code == 400 and err["field"] == field, body
    assert MilestoneReport.objects.filter(milestone_id=m2["id"]).count() == 1
    assert Milestone.objects.get(pk=m2["id"]).status == "missed"

    code, o = cw.get(base)
    assert code == 200
    assert (o["code"], o["programme"], o["bureau_id"]) == ("ZJ-2023-NM-042", "浙江省重点研发计划",
                                                          world.orgs["zj_dept"].pk)
    assert [(m["planned_date"], m["deliverable"], m["status"]) for m in o["milestones"]] == [
        ("2025-06-30", "中试线建成", "done"), ("2025-09-30", "千吨级样品交付", "missed")]
    assert o["milestones"][0]["reports"] == [{"status": "done", "reported_on": "2025-07-02",
                                              "evidence": "验收会议纪要 ZJ-MS-07"}]
    assert [(c["check_date"], c["result"], c["notes"]) for c in o["midterm_checks"]] == [
        ("2025-10-15", "fail", "样品一致性不达标")]
    assert [(s["as_of"], s["spent_yuan"], s["planned_yuan"]) for s in o["spending_reports"]] == [
        ("2025-10-31", 450000.0, 900000.0)]
    assert [(c["occurred_on"], c["description"], c["reported"], c["reported_on"]) for c in o["major_changes"]] == [
        ("2025-08-01", "更换中试合作企业", False, None)]
    code, lead_view = chen.get(base)  # the lead sees their own project's records too
    assert code == 200 and lead_view["milestones"] == o["milestones"]

    # The project page lists the milestones, their status and reports; the missed one is marked overdue.
    code, html = page(world.users["zj_caseworker"], f"/monitoring/projects/{project.pk}/")
    assert code == 200
    rows = {r.split("</tr>")[0] for r in html.split("<tr")[1:]}
    done = next(r for r in rows if "中试线建成" in r)
    missed = next(r for r in rows if "千吨级样品交付" in r)
    assert "2025-06-30" in done and "已完成" in done and "验收会议纪要 ZJ-MS-07" in done and "overdue" not in done
    assert "2025-09-30" in missed and "未完成" in missed and 'class="overdue"' in missed


def test_open_corrections_with_their_deadlines_and_the_warning_counts(world, as_user, today) -> None:
    today.set(dt.date(2025, 11, 3))  # a Monday
    monitoring_demo_load(world)
    zj, yn = world.orgs["zj_dept"], world.orgs["yn_dept"]
    cw = as_user("zj_caseworker")

    # Open corrections, each with its deadline to rectify on the official calendar.
    code, rows = cw.get("/monitoring/corrections", open="true")
    assert code == 200
    assert [(r["project_code"], r["state"], r["rectify_due"], r["rectify_provisional"]) for r in rows] == [
        ("ZJ-2024-304", "notice_served", "2025-12-15", False)]  # 30 working days from the day after the notice
    code, rows = cw.get("/monitoring/corrections", open="false")
    assert [(r["project_code"], r["state"]) for r in rows] == [("ZJ-2024-303", "measure_recorded")]
    code, rows = as_user("yn_caseworker").get("/monitoring/corrections", open="true")
    assert [(r["project_code"], r["state"], r["rectify_due"]) for r in rows] == [
        ("YN-2024-ZY-021", "interview_scheduled", "2025-12-01")]  # 20 working days
    code, rows = as_user("auditor").get("/monitoring/corrections", open="true")
    assert [r["rectify_due"] for r in rows] == ["2025-12-01", "2025-12-15"]  # soonest deadline first

    # Open warnings by rule, programme and host unit (the midterm warning went with its correction).
    code, s = cw.get("/monitoring/warnings/summary", bureau_id=zj.pk)
    assert code == 200 and s["open"] == 3
    assert [(r["rule_id"], r["n"]) for r in s["by_rule"]] == [
        ("zj.monitor.major_change_unreported", 1), ("zj.monitor.milestone_overdue", 1),
        ("zj.monitor.spending_off_plan", 1)]
    assert [(r["project__programme"], r["n"]) for r in s["by_programme"]] == [("尖兵领雁计划", 2),
                                                                           ("浙江省重点研发计划", 1)]
    assert [(r["project__host_unit_id"], r["project__host_unit__name_zh"], r["n"]) for r in s["by_unit"]] == [
        (world.orgs["zju"].pk, "浙江某大学", 2), (world.orgs["zj_hospital"].pk, "浙江某医院", 1)]
    code, s = as_user("yn_caseworker").get("/monitoring/warnings/summary", bureau_id=yn.pk)
    assert s["open"] == 1 and [(r["project__programme"], r["n"]) for r in s["by_programme"]] == [
        ("云南省基础研究计划", 1)]
    assert [(r["project__host_unit__name_zh"], r["n"]) for r in s["by_unit"]] == [("云南某大学", 1)]
    code, _ = cw.get("/monitoring/warnings/summary", bureau_id=yn.pk)  # not Zhejiang's to read
    assert code == 404
