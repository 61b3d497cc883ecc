"""A realistic demo: bureaus, units, people, projects and cases in every stage of every procedure.

Everything is created through the same service functions as real use, so the audit chain is complete.
Demo accounts share the password `rongcuo-demo`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from rongcuo.cases import services as svc
from rongcuo.cases.models import Case
from rongcuo.demo.documents import sample_pdf
from rongcuo.demo.world import COMMITTEES, World, build_world, person, project, refuse_in_production
from rongcuo.registry.models import Project
from rongcuo.review import services as review_svc

CRITERIA = ["innovativeness", "strategic_value", "necessity", "insight_for_follow_up", "records_completeness",
            "funds_compliance"]
PDF = sample_pdf("Rongcuo demo document")

SZ_DILIGENT = {"sz_municipal_fiscal_funds": True, "followed_strategic_direction": True,
               "followed_decision_procedure": True, "sought_private_gain": False, "acted_proactively": True,
               "corrected_proactively": True}
ZJ_CLEAN = {"zj_provincial_fiscal_funds": True, "zj_researcher_in_province": True, "major_risk_unreported": False,
            "violated_prohibitions": False, "research_misconduct": False, "research_dishonesty": False}


def _upload(case: Case, actor: Any, kind: str) -> None:
    f = ContentFile(PDF + kind.encode(), name=f"{kind}.pdf")
    svc.evidence_upload(case=case, actor=actor, file=f, kind=kind, name=f"{kind}.pdf")


# What the steps that record an opinion (the packs' `opinion`) say in the demo.
OPINIONS = {"accept": "申请材料齐全，符合受理条件，予以受理。",
            "forward_by_host_unit": "经单位审核，所述情况属实，同意报送。",
            "refer_to_panel": "材料齐全，初步审核认为属于容错免责申请范围，提请专家评审。"}


def _go(case: Case, actor: Any, *actions: str, reason: str = "演示 demo") -> Case:
    for a in actions:
        case = svc.case_transition(case=case, actor=actor, action=a, reason=reason, opinion=OPINIONS.get(a, ""))
    return case


def _facts(case: Case, actor: Any, role: str, facts: dict[str, Any]) -> Case:
    return svc.case_set_facts(case=case, actor=actor, role=role, facts=facts)


def _more_projects(w: World) -> None:
    o, p = w.orgs, w.people
    for i, (name, title, mode) in enumerate([
        ("赵博士", "新型量子传感器原型研制", "horse_race"), ("孙研究员", "固态电池电解质筛选平台", "ordinary"),
        ("周工程师", "工业机器人视觉控制系统", "milestone"), ("吴教授", "脑机接口信号解码算法", "ordinary"),
    ]):
        lead = person(name, o["szu"] if i % 2 == 0 else o["sz_chip"], birth=dt.date(1985 + i, 5, 1 + i))
        w.people[f"sz{i}"] = lead
        w.projects[f"sz{i}"] = project(f"SZ-2024-{100 + i}", title, host=lead.unit, bureau=o["sz_bureau"],  # type: ignore[arg-type]
                                       lead=lead, level="municipal", programme="深圳市科技计划", mode=mode,
                                       budget=1_500_000 + i * 250_000, start=dt.date(2023, 1, 1),
                                       end=dt.date(2026, 6, 30))
    for i, (name, title, basic) in enumerate([
        ("钱研究员", "海洋碳汇机理基础研究", True), ("郑教授", "罕见病基因治疗载体优化", False),
        ("冯博士", "高通量催化剂智能设计", False), ("褚研究员", "低空飞行器适航验证", False),
        ("卫教授", "肿瘤早筛液体活检", False), ("蒋研究员", "氢能储运材料", False),
    ]):
        unit = o["zju"] if i % 2 == 0 else o["zj_hospital"]
        lead = person(name, unit, birth=dt.date(1982 + i, 3, 10))
        p[f"zj{i}"] = lead
        w.projects[f"zj{i}"] = project(f"ZJ-2024-{200 + i}", title, host=unit, bureau=o["zj_dept"], lead=lead,
                                       level="provincial", programme="浙江省基础公益研究计划" if basic else
                                       "浙江省重点研发计划", budget=800_000 + i * 100_000, start=dt.date(2024, 1, 1),
                                       end=dt.date(2027, 12, 31), acceptance=dt.date(2027, 12, 20),
                                       basic_public_welfare=basic)


def _vote(w: World, case: Case, bureau: str, vote: str, reasons: str) -> None:
    """Every member of the bureau's demo committee votes (the third abstains: two of three carry it)."""
    for i, (username, _, _) in enumerate(COMMITTEES[bureau]):
        review_svc.committee_vote(case=case, actor=w.users[username], vote=vote if i < 2 else "abstain",
                                  reasons=reasons if i < 2 else "回避表决：本人此前参与过该项目的立项评审。")


def _sz_case(w: World, key: str, stop: str) -> Case:
    u = w.users
    pr: Project = w.projects[key]
    case = svc.case_create(actor=u["sz_caseworker"], project=pr, applicant=pr.lead, relevant_date=dt.date(2025, 10, 9),
                           failure_explanation=f"{pr.title}：项目未能达到合同约定目标，申请宽容失败认定。")
    if stop == "start":
        return case
    _upload(case, u["sz_caseworker"], "application_form")
    case = _go(case, u["sz_caseworker"], "accept")
    case = _facts(case, u["sz_caseworker"], "investigation_finding",
                  {**SZ_DILIGENT, "sz_covered_party": True, "failed_assessment": True, "goals_not_completed": True})
    if stop == "acceptance_investigation":
        return case
    case = _facts(case, u["sz_caseworker"], "expert_panel_finding", {"original_records_prove_diligence": True})
    case = _go(case, u["sz_caseworker"], "submit_for_decision")
    if stop == "decision":
        return case
    _vote(w, case, "sz", "exempt", "五项勤勉尽责条件均已查实，符合免责情形（一）。")
    review_svc.committee_decide(case=case, actor=u["sz_committee"], decision="exempt",
                                reasons="符合五项勤勉尽责条件及免责情形（一）")
    return Case.objects.get(pk=case.pk)


def _zj_case(w: World, key: str, stop: str) -> Case:
    u = w.users
    pr: Project = w.projects[key]
    case = svc.case_create(actor=u["zj_caseworker"], project=pr, applicant=pr.lead, relevant_date=dt.date(2025, 10, 9),
                           failure_explanation=f"{pr.title}：技术路线选择失误，申请终止项目并认定容错免责。")
    if stop == "application":
        return case
    for kind in ("application_form", "situation_statement", "host_unit_certificate", "audit_report",
                 "performance_materials"):
        _upload(case, u["zj_caseworker"], kind)
    case = _facts(case, u["zj_caseworker"], "system_computed",
                  {"zj_basic_public_welfare_programme": pr.basic_public_welfare})
    reviewer = u["zju_reviewer"] if pr.host_unit.code == "ZJU" else u["admin"]
    case = _facts(case, reviewer, "host_unit_attestation", {"zj_termination_application": True})
    case = _go(case, reviewer, "forward_by_host_unit")
    case = _facts(case, u["zj_caseworker"], "investigation_finding", ZJ_CLEAN)
    if stop == "investigation":
        return case
    case = _go(case, u["zj_caseworker"], "refer_to_panel")
    panel = review_svc.panel_draw(case=case, actor=u["zj_caseworker"], seed=f"demo-{pr.code}")
    if stop == "expert_review":
        return case
    for i, m in enumerate(panel.members.select_related("expert__user")):
        review_svc.review_submit(
            case=case, actor=m.expert.user, scores={c: 6 + (i + j) % 4 for j, c in enumerate(CRITERIA)},
            findings={"original_records_prove_diligence": True, "failure_technical_route": True,
                      "zj_covered_activity": True},
            opinion="原始记录较完整；中试阶段暴露的技术路线问题属探索性风险。")
    review_svc.panel_conclude(case=case, actor=u["zj_caseworker"])
    case = _go(case, u["zj_caseworker"], "submit_panel_opinion")
    if stop == "collective_decision":
        return case
    case = _facts(case, u["zj_committee"], "committee", {"liability_required_by_law": False})
    if stop == "refused":
        case = _facts(case, u["zj_caseworker"], "investigation_finding", {"research_dishonesty": True})
        _vote(w, case, "zj", "not_exempt", "调查发现科研失信行为，属排除情形。")
        review_svc.committee_decide(case=case, actor=u["zj_committee"], decision="not_exempt",
                                    reasons="调查发现存在科研失信行为，依实施意见二(三)3 不适用容错免责。")
        return Case.objects.get(pk=case.pk)
    _vote(w, case, "zj", "exempt", "专家组认定原始记录证明已勤勉尽责，技术路线失误属探索性风险。")
    review_svc.committee_decide(case=case, actor=u["zj_committee"], decision="exempt",
                                reasons="技术路线选择失误，专家组认定原始记录证明已勤勉尽责。")
    return Case.objects.get(pk=case.pk)


@transaction.atomic
def demo_load() -> dict[str, int]:
    """Load the demo once; returns counts. A second call adds nothing."""
    refuse_in_production()
    if Case.objects.filter(project__code__startswith="SZ-2024-").exists():
        return {"cases": 0}
    w = build_world()
    _more_projects(w)
    made = [
        _sz_case(w, "sz0", "start"), _sz_case(w, "sz1", "acceptance_investigation"), _sz_case(w, "sz2", "decision"),
        _sz_case(w, "sz3", "feedback"),
        _zj_case(w, "zj0", "investigation"), _zj_case(w, "zj1", "application"), _zj_case(w, "zj2", "expert_review"),
        _zj_case(w, "zj3", "collective_decision"), _zj_case(w, "zj4", "public_notice"),
        _zj_case(w, "zj5", "refused"),
    ]
    # The other parts of the demo: state funds and technology transfers, monitoring and corrections.
    from rongcuo.demo.funds import funds_demo_load
    from rongcuo.demo.monitoring import monitoring_demo_load

    funds_demo_load()
    monitoring_demo_load(w)
    return {"cases": len(made)}
