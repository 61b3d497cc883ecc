"""The manager's due-diligence exemption: facts with provenance in, a traced determination out."""

from __future__ import annotations

import datetime as dt

import pytest

from rongcuo.audit.models import AuditEvent
from rongcuo.common.errors import Forbidden, Invalid
from rongcuo.funds import selectors
from rongcuo.funds import services as svc
from rongcuo.funds.models import Finding

from .conftest import DILIGENT, FWorld


@pytest.fixture
def written_off(fw: FWorld):
    fund = fw.gz_fund()
    inv = fw.invest(fund, "angel", 12_000_000, dt.date(2025, 5, 1), stage="angel")
    fw.write_off(inv, dt.date(2026, 10, 8))
    return inv


def test_exemption_decided_with_its_trace(fw: FWorld, written_off) -> None:
    inv = written_off
    sup = fw.users["gz_supervisor"]
    svc.investment_set_facts(actor=sup, investment=inv, facts=DILIGENT, role="investigation_finding",
                             evidence=["尽职调查报告 DD-2025-031", "投决会纪要 IC-2025-07", "投后管理报告 PI-2026-02"])
    svc.investment_set_facts(actor=sup, investment=inv, facts={"loss_from_industry_or_market_risk": True},
                             role="expert_panel_finding", evidence=["专家论证意见 EP-2026-11"],
                             note="下游需求骤降，行业整体出清")
    ex = svc.investment_decide_exemption(actor=sup, investment=inv, on=dt.date(2026, 11, 1))
    assert ex.pack_ref == "guangzhou-devzone-direct-investment@2025-02"
    assert ex.determination == "manager_due_diligence"
    assert ex.outcome == "exempt"
    rec = ex.record
    assert rec["outcome_label"]["zh"] == "尽职免责：不追究受托管理机构及相关人员责任，不作负面评价"
    assert rec["decisive"] == ["gz.diligence.prescribed_procedure", "gz.diligence.post_investment",
                               "gz.diligence.no_private_gain", "gz.situation.industry_or_market_risk"]
    trace = {item["id"]: item for item in rec["trace"]}
    assert trace["gz.situation.industry_or_market_risk"]["value"] is True
    assert trace["gz.situation.force_majeure"]["value"] is None  # not established: unknown, not false
    assert trace["gz.diligence.prescribed_procedure"]["text_zh"].startswith("对已履行规定程序作出投资决策")
    prov = trace["gz.situation.industry_or_market_risk"]["provenance"]["loss_from_industry_or_market_risk"]
    assert prov == {"by": "t_gz_supervisor", "role": "expert_panel_finding", "at": prov["at"],
                    "evidence": ["专家论证意见 EP-2026-11"]}
    ev = AuditEvent.objects.filter(action="investment.exemption", subject_id=str(inv.pk)).get()
    assert ev.after["outcome"] == "exempt"


def test_undetermined_lists_the_facts_still_needed(fw: FWorld, written_off) -> None:
    inv = written_off
    svc.investment_set_facts(actor=fw.users["gz_supervisor"], investment=inv,
                             facts={"due_diligence_conducted": True, "investment_committee_approved": True,
                                    "sought_private_gain": False}, role="investigation_finding")
    res = selectors.exemption_result(inv, dt.date(2026, 11, 1))
    assert res.outcome == "undetermined"
    assert res.needed == ["post_investment_management_diligent", "failure_force_majeure", "loss_from_policy_change",
                          "loss_from_industry_or_market_risk"]
    ex = svc.investment_decide_exemption(actor=fw.users["gz_supervisor"], investment=inv, on=dt.date(2026, 11, 1))
    assert ex.outcome == "undetermined"
    questions = {q["fact"]: q["question"]["zh"] for q in ex.record["needed_questions"]}
    assert "投后管理" in questions["post_investment_management_diligent"]
    assert ex.record["outcome_label"]["zh"].startswith("待查明")


def test_private_gain_refuses_the_exemption(fw: FWorld, written_off) -> None:
    svc.investment_set_facts(actor=fw.users["gz_supervisor"], investment=written_off,
                             facts={**DILIGENT, "sought_private_gain": True, "loss_from_policy_change": True},
                             role="investigation_finding")
    res = selectors.exemption_result(written_off, dt.date(2026, 11, 1))
    assert res.outcome == "not_exempt" and res.decisive == ["gz.diligence.no_private_gain"]


def test_findings_are_checked_and_kept_as_history(fw: FWorld, written_off) -> None:
    inv = written_off
    sup, mgr = fw.users["gz_supervisor"], fw.users["gz_manager"]
    with pytest.raises(Forbidden) as e:  # the manager cannot find its own diligence
        svc.investment_set_facts(actor=mgr, investment=inv, facts={"due_diligence_conducted": True})
    assert e.value.field == "due_diligence_conducted"
    with pytest.raises(Invalid) as e:
        svc.investment_set_facts(actor=sup, investment=inv, facts={"no_such_fact": True},
                                 role="investigation_finding")
    assert e.value.field == "no_such_fact"
    with pytest.raises(Invalid) as e:
        svc.investment_set_facts(actor=sup, investment=inv, facts={"project_loss_ratio": 0.2},
                                 role="investigation_finding")
    assert e.value.field == "project_loss_ratio"  # computed from the records
    with pytest.raises(Invalid) as e:
        svc.investment_set_facts(actor=sup, investment=inv, facts={"due_diligence_conducted": "yes"},
                                 role="investigation_finding")
    assert e.value.field == "due_diligence_conducted"
    with pytest.raises(Forbidden):
        svc.investment_decide_exemption(actor=mgr, investment=inv)
    assert Finding.objects.filter(investment=inv).count() == 0
    svc.investment_set_facts(actor=sup, investment=inv, facts={"due_diligence_conducted": True},
                             role="investigation_finding")
    svc.investment_set_facts(actor=sup, investment=inv, facts={"due_diligence_conducted": None},
                             role="investigation_finding", note="报告真实性存疑，撤回")
    rows = list(Finding.objects.filter(investment=inv).order_by("id"))
    assert [(r.value, r.current) for r in rows] == [(True, False), (None, True)]
    assert "due_diligence_conducted" not in selectors.finding_input(inv.fund, inv)


PROCEDURE = """\
decided_by: {zh: 测试用主管部门, en: A bureau (test only)}
stages:
  - id: start
    label: {zh: 受理, en: Acceptance}
    actors: [caseworker]
  - id: decision
    label: {zh: 集体审定, en: Collective decision}
    actors: [committee]
    terminal: true
transitions:
  - {from: start, to: decision, by: [caseworker], action: submit, label: {zh: 提请审定, en: Submit}}
"""


def test_a_pack_with_a_procedure_refuses_the_direct_decision(fw: FWorld, written_off, packs_copy, tmp_path,
                                                             as_api) -> None:
    """Where the pack prescribes a procedure, the exemption goes through it as a case: refused here, with a
    message saying so, and nothing stored (a test-only copy of the Guangzhou pack with a procedure.yaml)."""
    from rongcuo.common import packs as case_packs
    from rongcuo.common.errors import PreconditionFailed
    from rongcuo.funds.models import ManagerExemption

    inv = written_off
    sup = fw.users["gz_supervisor"]
    svc.investment_set_facts(actor=sup, investment=inv, facts=DILIGENT, role="investigation_finding")
    (tmp_path / "packs" / "guangzhou-devzone-direct-investment" / "procedure.yaml").write_text(PROCEDURE,
                                                                                                encoding="utf-8")
    case_packs.registry.cache_clear()
    assert case_packs.registry().get("guangzhou-devzone-direct-investment").procedure is not None

    with pytest.raises(PreconditionFailed) as e:
        svc.investment_decide_exemption(actor=sup, investment=inv, on=dt.date(2026, 11, 1))
    assert e.value.field == "pack_id"
    assert "规定了认定程序" in e.value.zh and "作为案件提出" in e.value.zh
    assert "prescribes a procedure" in e.value.en and "as a case" in e.value.en
    code, err = as_api("gz_supervisor").post(f"/funds/investments/{inv.pk}/exemption", {"on": "2026-11-01"})
    assert code == 409 and err["code"] == "precondition_failed" and err["field"] == "pack_id"
    assert err["message"]["zh"].startswith("政策包 guangzhou-devzone-direct-investment@")
    from django.test import Client

    c = Client()
    c.force_login(sup)
    r = c.post(f"/funds/investments/{inv.pk}/exemption/", {"on": "2026-11-01"}, follow=True)
    assert r.status_code == 200 and "规定了认定程序" in r.content.decode()
    assert not ManagerExemption.objects.exists()
    assert not AuditEvent.objects.filter(action="investment.exemption").exists()
    # The preview (nothing stored) still shows what the pack would say.
    assert selectors.exemption_result(inv, dt.date(2026, 11, 1)).outcome == "undetermined"
