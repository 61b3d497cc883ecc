"""Demo data for monitoring and correction: a Yunnan department beside the demo world, monitored projects
in Zhejiang and Yunnan with milestones, mid-term checks, spending and changes of major matters, a warning
sweep, a random inspection, and corrections in every state of the procedure.

Everything goes through the services (so the audit chain is complete), dated relative to today so the
deadlines are live whenever the demo is loaded. A second call adds nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from rongcuo.demo.world import World, build_world, committee, org, person, project, refuse_in_production, user
from rongcuo.monitoring import services as svc
from rongcuo.monitoring.models import CorrectionCase, EarlyWarning
from rongcuo.registry.models import OrgKind, Role, UnitType

YN_PACK = "yunnan-correction-measures"
MARKER = "YN-2024-GY-011"


def add_yunnan(w: World) -> World:
    """The Yunnan department (applies the Yunnan correction measures), a university, its reviewer, a
    researcher with an account, and two running projects."""
    o, u, p, pr = w.orgs, w.users, w.people, w.projects
    o["yn_dept"] = org("YN-DST", "云南省科学技术厅", "Yunnan Department of Science and Technology", OrgKind.bureau,
                       unit_type=UnitType.government, jurisdiction=("云南省", "Yunnan"), packs=[YN_PACK],
                       doc_prefix="云科容", review_body_zh="云南省人民政府")
    o["ynu"] = org("YNU", "云南某大学", "A Yunnan University", OrgKind.host_unit, unit_type=UnitType.university,
                   parent=o["yn_dept"])
    u["yn_caseworker"] = user("yn_caseworker", (Role.caseworker, o["yn_dept"]))
    committee(w, "yn", o["yn_dept"])
    u["ynu_reviewer"] = user("ynu_reviewer", (Role.host_unit_reviewer, o["ynu"]))
    u["zhao"] = user("zhao")
    p["zhao"] = person("赵研究员", o["ynu"], birth=dt.date(1990, 4, 1), account=u["zhao"], title="副研究员")
    pr["yn_plateau"] = project(MARKER, "高原特色作物分子育种", host=o["ynu"], bureau=o["yn_dept"], lead=p["zhao"],
                               level="provincial", programme="云南省重点研发计划", budget=1_200_000,
                               start=dt.date(2024, 1, 1), end=dt.date(2026, 12, 31))
    pr["yn_herb"] = project("YN-2024-ZY-021", "中药材道地性评价体系", host=o["ynu"], bureau=o["yn_dept"],
                            lead=p["zhao"], level="provincial", programme="云南省基础研究计划", budget=600_000,
                            start=dt.date(2024, 3, 1), end=dt.date(2026, 2, 28))
    return w


def _zj_monitored(w: World, today: dt.date) -> list[Any]:
    o = w.orgs
    rows = [
        ("ZJ-2024-301", "海上风电运维机器人", "浙江省重点研发计划", o["zju"]),
        ("ZJ-2024-302", "抗体药物连续生产工艺", "尖兵领雁计划", o["zj_hospital"]),
        ("ZJ-2024-303", "工业软件内核求解器", "浙江省重点研发计划", o["zj_institute"]),
        ("ZJ-2024-304", "钙钛矿叠层电池中试", "尖兵领雁计划", o["zju"]),
        ("ZJ-2024-305", "近海生态修复基础研究", "浙江省基础公益研究计划", o["zj_institute"]),
    ]
    out = []
    for i, (code, title, programme, unit) in enumerate(rows):
        lead = person(f"项目负责人{i + 1}", unit, birth=dt.date(1980 + i, 6, 1))
        out.append(project(code, title, host=unit, bureau=o["zj_dept"], lead=lead, level="provincial",
                           programme=programme, budget=1_000_000 + 200_000 * i, start=today - dt.timedelta(days=600),
                           end=today + dt.timedelta(days=400)))
    return out


@transaction.atomic
def monitoring_demo_load(world: World | None = None) -> dict[str, int]:
    """Load the monitoring demo into `world` (or the demo world); returns counts. A second call adds nothing."""
    refuse_in_production()
    if CorrectionCase.objects.filter(project__code=MARKER).exists():
        return {"warnings": 0, "corrections": 0, "inspections": 0}
    w = add_yunnan(world or build_world())
    today = svc.today()
    days = dt.timedelta
    zcw, ycw, zhao = w.users["zj_caseworker"], w.users["yn_caseworker"], w.users["zhao"]

    # Zhejiang: one project per kind of warning, and one on track.
    p1, p2, p3, p4, p5 = _zj_monitored(w, today)
    svc.milestone_create(project=p1, actor=zcw, planned_date=today - days(75), deliverable="样机海试")
    done = svc.milestone_create(project=p1, actor=zcw, planned_date=today - days(200), deliverable="总体方案评审")
    svc.milestone_report(milestone=done, actor=zcw, status="done", reported_on=today - days(198),
                         evidence="方案评审意见")
    svc.milestone_create(project=p1, actor=zcw, planned_date=today + days(90), deliverable="示范运行")
    svc.spending_report_record(project=p2, actor=zcw, as_of=today - days(20), spent_yuan=260_000,
                               planned_yuan=800_000, note="设备采购延迟")
    svc.midterm_check_record(project=p3, actor=zcw, check_date=today - days(30), result="fail",
                             notes="核心算法指标未达到中期考核要求")
    svc.major_change_record(project=p4, actor=zcw, occurred_on=today - days(45), description="调整中试基地")
    svc.spending_report_record(project=p5, actor=zcw, as_of=today - days(20), spent_yuan=610_000,
                               planned_yuan=640_000)
    svc.midterm_check_record(project=p5, actor=zcw, check_date=today - days(40), result="pass")

    # Yunnan: a failed mid-term check and an overdue milestone.
    yp, yh = w.projects["yn_plateau"], w.projects["yn_herb"]
    svc.midterm_check_record(project=yp, actor=ycw, check_date=today - days(10), result="fail",
                             notes="关键性状筛选进度严重滞后")
    svc.milestone_create(project=yh, actor=ycw, planned_date=today - days(50), deliverable="道地性评价指标体系")

    raised = sum(svc.monitoring_sweep(bureau=w.orgs[b], on=today).raised for b in ("zj_dept", "yn_dept"))
    svc.inspection_draw(bureau=w.orgs["zj_dept"], actor=zcw, strata="risk",
                        sizes={"open_warnings": 2, "no_open_warnings": 1}, seed=f"demo-{today.isoformat()}")

    def warnings_of(p: Any) -> list[EarlyWarning]:
        return list(EarlyWarning.objects.filter(project=p))

    at = timezone.make_aware(dt.datetime.combine(today, dt.time(15, 0)))
    # Yunnan, verified: notice → interview → rectification → accepted.
    c1 = svc.correction_open(project=yp, actor=ycw, warnings=warnings_of(yp),
                             problem="中期检查未通过：关键性状筛选进度严重滞后。")
    c1 = svc.correction_serve_notice(case=c1, actor=ycw, requirements="一、补充完成关键性状筛选试验；\n"
                                     "二、提交调整后的研究计划和经费使用计划。", cc="云南省财政厅")
    c1 = svc.correction_schedule_interview(case=c1, actor=ycw, at=at, place="省科技厅 305 会议室")
    c1 = svc.correction_hold_interview(case=c1, actor=ycw, record="项目负责人说明：试验田受旱灾影响；已制定补种计划。")
    c1 = svc.correction_submit_rectification(case=c1, actor=zhao, description="已完成补种和关键性状筛选，"
                                             "提交调整后的研究计划。")
    svc.correction_verify(case=c1, actor=ycw, passed=True, notes="整改到位，恢复正常管理。")
    # Yunnan, open: notice served and the interview scheduled; the deadline is running.
    c2 = svc.correction_open(project=yh, actor=ycw, warnings=warnings_of(yh), problem="里程碑节点逾期未完成。")
    c2 = svc.correction_serve_notice(case=c2, actor=ycw, requirements="按调整后的计划完成道地性评价指标体系。")
    svc.correction_schedule_interview(case=c2, actor=ycw, at=at + days(2), place="云南某大学科研处")
    # Zhejiang, escalated: the rectification was not good enough; the bureau recorded the measure.
    c3 = svc.correction_open(project=p3, actor=zcw, warnings=warnings_of(p3), problem="中期检查未通过。")
    c3 = svc.correction_serve_notice(case=c3, actor=zcw, requirements="提交核心算法指标的补充验证报告。")
    c3 = svc.correction_submit_rectification(case=c3, actor=zcw, description="承担单位提交补充验证报告。")
    c3 = svc.correction_verify(case=c3, actor=zcw, passed=False, notes="指标仍未达到要求，整改效果不明显。")
    svc.correction_record_measure(case=c3, actor=w.users["zj_committee"], measure="suspend_funding",
                                  text="暂停拨付下一年度经费，待复查通过后恢复。")
    # Zhejiang, open: the notice is served and the deadline to rectify is running.
    c4 = svc.correction_open(project=p4, actor=zcw, warnings=warnings_of(p4), problem="重大事项调整变更未按期报备。")
    svc.correction_serve_notice(case=c4, actor=zcw, requirements="补办报备手续并说明调整理由。")
    return {"warnings": raised, "corrections": 4, "inspections": 1}
