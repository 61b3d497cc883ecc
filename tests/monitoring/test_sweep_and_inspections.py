"""The early-warning sweep (idempotent, set-based) and random inspections (replayable, stratified)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rongcuo.audit.models import AuditEvent
from rongcuo.monitoring import services as svc
from rongcuo.monitoring.models import EarlyWarning, Inspection, InspectionItem
from rongcuo.registry.models import Milestone, Project, ProjectStatus

from .conftest import URLS

pytestmark = pytest.mark.urls(URLS)


def zj_projects(world, n: int, programmes: tuple[str, ...]) -> list[Project]:
    o, lead = world.orgs, world.people["chen"]
    Project.objects.bulk_create([
        Project(code=f"ZJ-T-{i:04d}", title=f"测试项目{i}", programme=programmes[i % len(programmes)],
                funding_level="provincial", budget_yuan=Decimal(1_000_000), start_date=dt.date(2024, 1, 1),
                end_date=dt.date(2025, 12, 31), host_unit=o["zju"] if i % 2 else o["zj_hospital"],
                bureau=o["zj_dept"], lead=lead) for i in range(n)])
    return list(Project.objects.filter(code__startswith="ZJ-T-").order_by("id"))


def test_sweep_records_each_warning_once_and_clears_what_no_longer_holds(world, as_user, today) -> None:
    today.set(dt.date(2025, 10, 17))
    cw, zj = world.users["zj_caseworker"], world.orgs["zj_dept"]
    projects = zj_projects(world, 6, ("浙江省重点研发计划",))
    p0, p1, p2, p3 = projects[:4]
    late = svc.milestone_create(project=p0, actor=cw, planned_date=dt.date(2025, 6, 30), deliverable="中试线建成")
    svc.milestone_create(project=p0, actor=cw, planned_date=dt.date(2025, 10, 1), deliverable="样品")  # 16 days
    svc.spending_report_record(project=p1, actor=cw, as_of=dt.date(2025, 9, 30), spent_yuan=300_000,
                               planned_yuan=1_000_000)
    svc.midterm_check_record(project=p2, actor=cw, check_date=dt.date(2025, 6, 1), result="fail", notes="进度滞后")
    svc.major_change_record(project=p3, actor=cw, occurred_on=dt.date(2025, 9, 26), description="更换项目负责人")
    Project.objects.filter(pk=projects[5].pk).update(status=ProjectStatus.accepted)  # not running: not swept

    with CaptureQueriesContext(connection) as queries:
        first = svc.monitoring_sweep(bureau=zj, on=dt.date(2025, 10, 17))
    assert (first.projects, first.raised, first.cleared) == (6 - 1 + 1, 4, 0)  # + the world's zj_material
    assert first.by_rule == {"zj.monitor.milestone_overdue": 1, "zj.monitor.spending_off_plan": 1,
                             "zj.monitor.midterm_failed": 1, "zj.monitor.major_change_unreported": 1}
    assert len(queries) < 25  # set-based: no query per project
    w = EarlyWarning.objects.get(rule_id="zj.monitor.major_change_unreported")
    assert w.facts["days"] == 11 and w.facts["status"] == "unreported"  # 11 working days over National Day
    assert w.raised_on == dt.date(2025, 10, 17) and w.pack_ref.startswith("zhejiang-implementing-opinion@")

    again = svc.monitoring_sweep(bureau=zj, on=dt.date(2025, 10, 17))
    assert (again.raised, again.cleared) == (0, 0)
    assert EarlyWarning.objects.count() == 4
    assert AuditEvent.objects.filter(action="monitoring.sweep").count() == 2

    # The milestone is reached and the change reported late: the first clears, the second stays (it was late).
    svc.milestone_report(milestone=late, actor=cw, status="done", evidence="验收记录")
    svc.major_change_report(change=p3.major_changes.get(), actor=cw)
    third = svc.monitoring_sweep(bureau=zj, on=dt.date(2025, 10, 17))
    assert (third.raised, third.cleared) == (0, 1)
    cleared = EarlyWarning.objects.get(rule_id="zj.monitor.milestone_overdue")
    assert cleared.status == "resolved" and "no longer holds" in cleared.resolution
    assert Milestone.objects.get(pk=late.pk).status == "done"

    code, summary = as_user("zj_caseworker").get("/monitoring/warnings/summary", bureau_id=zj.pk)
    assert code == 200 and summary["open"] == 3
    assert {r["rule_id"] for r in summary["by_rule"]} == {"zj.monitor.spending_off_plan", "zj.monitor.midterm_failed",
                                                         "zj.monitor.major_change_unreported"}
    code, by_unit = as_user("zj_caseworker").get("/monitoring/warnings", bureau_id=zj.pk, unit_id=world.orgs["zju"].pk)
    assert code == 200 and {w["project_id"] for w in by_unit["items"]} <= {p.pk for p in projects if p.host_unit_id
                                                                           == world.orgs["zju"].pk}


def test_a_manually_resolved_warning_is_not_raised_again(world, as_user, today) -> None:
    today.set(dt.date(2025, 10, 17))
    cw, zj = world.users["zj_caseworker"], world.orgs["zj_dept"]
    p = world.projects["zj_material"]
    svc.midterm_check_record(project=p, actor=cw, check_date=dt.date(2025, 6, 1), result="fail", notes="滞后")
    svc.monitoring_sweep(bureau=zj)
    w = EarlyWarning.objects.get()
    code, out = as_user("zj_caseworker").post(f"/monitoring/warnings/{w.pk}/resolve",
                                              {"resolution": "已约谈，列入纠错"})
    assert code == 200 and out["status"] == "resolved"
    assert svc.monitoring_sweep(bureau=zj).raised == 0
    assert EarlyWarning.objects.get().status == "resolved"


def test_inspection_replays_identically_and_respects_strata(world, as_user, today) -> None:
    zj, cw = world.orgs["zj_dept"], world.users["zj_caseworker"]
    projects = zj_projects(world, 30, ("浙江省重点研发计划", "浙江省基础公益研究计划", "尖兵领雁计划"))
    programme = {p.pk: p.programme for p in Project.objects.filter(bureau=zj)}
    api = as_user("zj_caseworker")

    code, insp = api.post("/monitoring/inspections", {"bureau_id": zj.pk, "strata": "programme", "size": 9})
    assert code == 201 and insp["number"].startswith("CC-2025-") and len(insp["seed"]) == 32
    # 31 running projects (30 + the world's, in 浙江省重点研发计划): 11 / 10 / 10 → 3 / 3 / 3.
    assert insp["candidates"] == {"尖兵领雁计划": 10, "浙江省基础公益研究计划": 10, "浙江省重点研发计划": 11}
    assert insp["sizes"] == {"尖兵领雁计划": 3, "浙江省基础公益研究计划": 3, "浙江省重点研发计划": 3}
    for stratum, ids in insp["sample"].items():
        assert len(ids) == insp["sizes"][stratum] and all(programme[pid] == stratum for pid in ids)
    code, replay = api.get(f"/monitoring/inspections/{insp['id']}/replay")
    assert code == 200 and replay["identical"] and replay["replayed"] == insp["sample"]

    # The stored candidate list, not today's registry, is what replays: later changes do not move the sample.
    Project.objects.filter(pk__in=[p.pk for p in projects[:10]]).update(status=ProjectStatus.terminated)
    stored = Inspection.objects.get(pk=insp["id"])
    assert svc.inspection_replay(inspection=stored) == stored.sample
    assert InspectionItem.objects.filter(inspection=stored).count() == 9

    # The same seed on the same candidates draws the same projects; the seed is what makes it random.
    Project.objects.filter(pk__in=[p.pk for p in projects[:10]]).update(status=ProjectStatus.running)
    again = svc.inspection_draw(bureau=zj, actor=cw, strata="programme", size=9, seed=insp["seed"])
    assert again.sample == insp["sample"]
    other = svc.inspection_draw(bureau=zj, actor=cw, strata="programme", size=9, seed="another seed")
    assert other.sample != insp["sample"]


def test_risk_strata_use_open_warnings(world, as_user, today) -> None:
    today.set(dt.date(2025, 10, 17))
    zj, cw = world.orgs["zj_dept"], world.users["zj_caseworker"]
    projects = zj_projects(world, 12, ("浙江省重点研发计划",))
    for p in projects[:4]:
        svc.midterm_check_record(project=p, actor=cw, check_date=dt.date(2025, 6, 1), result="fail", notes="滞后")
    svc.monitoring_sweep(bureau=zj)
    risky = {p.pk for p in projects[:4]}
    code, insp = as_user("zj_caseworker").post("/monitoring/inspections", {
        "bureau_id": zj.pk, "strata": "risk", "sizes": {"open_warnings": 3, "no_open_warnings": 2}, "seed": "2025-10"})
    assert code == 201
    assert set(insp["sample"]["open_warnings"]) <= risky and len(insp["sample"]["open_warnings"]) == 3
    assert not set(insp["sample"]["no_open_warnings"]) & risky and len(insp["sample"]["no_open_warnings"]) == 2
    assert svc.inspection_replay(inspection=Inspection.objects.get(pk=insp["id"])) == insp["sample"]

    pid = insp["sample"]["open_warnings"][0]
    code, item = as_user("zj_caseworker").post(f"/monitoring/inspections/{insp['id']}/items/{pid}", {
        "result": "issues_found", "findings": {"fund_use": "报销凭证不全"}})
    assert code == 200 and item["result"] == "issues_found"
    code, err = as_user("zj_caseworker").post(f"/monitoring/inspections/{insp['id']}/items/{pid}", {
        "result": "issues_found", "findings": {"canteen": "x"}})
    assert code == 400 and err["field"] == "findings.canteen"


def test_allocation_is_proportional_with_largest_remainders() -> None:
    assert svc.allocate({"a": 5, "b": 3, "c": 2}, 4) == {"a": 2, "b": 1, "c": 1}
    assert svc.allocate({"a": 1, "b": 1}, 1) == {"a": 1, "b": 0}  # ties by stratum name
    assert sum(svc.allocate({"x": 7, "y": 13, "z": 1}, 10).values()) == 10


@pytest.mark.parametrize("name", ["monitoring_sweep", "correction_sweep", "monitoring_demo_load"])
def test_command_help_is_chinese_first_then_english(name: str) -> None:
    from django.core.management import load_command_class

    cmd = load_command_class("rongcuo.demo" if name == "monitoring_demo_load" else "rongcuo.monitoring", name)
    zh, en = cmd.help.split("\n")
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert cjk.search(zh) and not cjk.search(en) and re.match(r"[A-Z]", en), name
    own = [a for a in cmd.create_parser("manage.py", name)._actions if a.dest in ("on", "bureau")]
    assert len(own) == (0 if name == "monitoring_demo_load" else 2 if name == "monitoring_sweep" else 1)
    for action in own:
        first, _, second = action.help.partition("/ ")
        assert cjk.search(first) and second and not cjk.search(second), (name, action.dest)
