"""Demo data for funds and transfers, entered through the services (so every write is audited).

Guangzhou development zone direct-investment money (seed, angel, industry; interim), a Nanshan seed fund,
two Futian industry funds (one whose term has ended, one interim), and Tianjin transfers priced by auction,
by agreement with and without public notice, and by listed trading. The companies and people are invented.
Demo accounts use the password rongcuo-demo.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from rongcuo.demo.world import org, refuse_in_production, user
from rongcuo.funds import services as svc
from rongcuo.funds.models import Fund, Investment
from rongcuo.registry.models import Organisation, OrgKind, Role, UnitType

D = dt.date
DILIGENT = {"due_diligence_conducted": True, "investment_committee_approved": True,
            "post_investment_management_diligent": True, "sought_private_gain": False}


def _orgs() -> dict[str, Organisation]:
    o: dict[str, Organisation] = {}
    o["gz_bureau"] = org("GZDZ-SASAC", "广州开发区国有资产监督管理局",
                         "State-owned Assets Supervision Bureau of Guangzhou Development District", OrgKind.bureau,
                         unit_type=UnitType.government,
                         jurisdiction=("广州开发区（黄埔区）", "Guangzhou Development District"),
                         packs=["guangzhou-devzone-direct-investment"])
    o["gz_mgr"] = org("GZDZ-FOF-MGR", "广州开发区某科创投资管理有限公司（母基金受托管理机构）",
                      "A Guangzhou dev-zone fund-of-funds trustee manager", OrgKind.fund, parent=o["gz_bureau"])
    o["ns_bureau"] = org("NS-SASAC", "深圳市南山区国有资产监督管理局", "Nanshan District State-owned Assets Bureau",
                         OrgKind.bureau, unit_type=UnitType.government,
                         jurisdiction=("深圳市南山区", "Nanshan, Shenzhen"), packs=["nanshan-seed-angel-funds"])
    o["ns_mgr"] = org("NS-SEED-MGR", "南山某战略直投基金管理有限公司", "A Nanshan strategic direct-investment manager",
                      OrgKind.fund, parent=o["ns_bureau"])
    o["ft_bureau"] = org("FT-SASAC", "深圳市福田区国有资产监督管理局", "Futian District State-owned Assets Bureau",
                         OrgKind.bureau, unit_type=UnitType.government,
                         jurisdiction=("深圳市福田区", "Futian, Shenzhen"), packs=["futian-industry-fund"])
    o["ft_mgr"] = org("FT-ISF-MGR", "福田某产业协同基金管理有限公司", "A Futian industry synergy fund manager",
                      OrgKind.fund, parent=o["ft_bureau"])
    o["tj_bureau"] = org("TJ-STB", "天津市科学技术局", "Tianjin Science and Technology Bureau", OrgKind.bureau,
                         unit_type=UnitType.government, jurisdiction=("天津市", "Tianjin"),
                         packs=["tianjin-transfer-guideline"])
    o["tj_univ"] = org("TJ-UNIV", "天津某大学", "A Tianjin university", OrgKind.host_unit,
                       unit_type=UnitType.university, parent=o["tj_bureau"], jurisdiction=("天津市", "Tianjin"))
    o["tj_inst"] = org("TJ-INST", "天津某生物医药研究院", "A Tianjin biomedical research institute", OrgKind.host_unit,
                       unit_type=UnitType.institute, parent=o["tj_bureau"], jurisdiction=("天津市", "Tianjin"))
    return o


def _users(o: dict[str, Organisation]) -> dict[str, Any]:
    return {
        "gz_manager": user("gz_fund_manager", (Role.caseworker, o["gz_mgr"])),
        "gz_supervisor": user("gz_sasac", (Role.caseworker, o["gz_bureau"])),
        "ns_manager": user("ns_fund_manager", (Role.caseworker, o["ns_mgr"])),
        "ns_supervisor": user("ns_sasac", (Role.caseworker, o["ns_bureau"])),
        "ft_manager": user("ft_fund_manager", (Role.caseworker, o["ft_mgr"])),
        "ft_supervisor": user("ft_sasac", (Role.caseworker, o["ft_bureau"])),
        "tj_tto": user("tj_tto", (Role.host_unit_reviewer, o["tj_univ"])),
        "tj_inst_tto": user("tj_inst_tto", (Role.host_unit_reviewer, o["tj_inst"])),
        "tj_caseworker": user("tj_caseworker", (Role.caseworker, o["tj_bureau"])),
        "auditor": user("auditor", (Role.auditor, None)),
    }


def _inv(mgr: Any, fund: Fund, company: str, category: str, amount: int, day: dt.date, stage: str = "",
         reason: str = "") -> Investment:
    return svc.investment_create(actor=mgr, fund=fund, company=company, category=category, amount_yuan=amount,
                                 invested_on=day, stage=stage, qualifies_for_full_tolerance=bool(reason),
                                 qualification_reason=reason)


def _value(mgr: Any, inv: Investment, day: dt.date, fair: int, basis: str = "年度估值报告") -> None:
    svc.valuation_create(actor=mgr, investment=inv, valued_on=day, fair_value_yuan=fair, basis=basis)


def _guangzhou(o: dict[str, Organisation], u: dict[str, Any]) -> Fund:
    mgr, sup = u["gz_manager"], u["gz_supervisor"]
    fund = svc.fund_create(
        actor=sup, code="GZDZ-DI-2025", name_zh="广州开发区科创母基金直投资金",
        name_en="Guangzhou Development District S&T fund of funds: direct-investment money", manager=o["gz_mgr"],
        supervisor=o["gz_bureau"], size_yuan=600_000_000, vintage_date=D(2025, 3, 1), term_years=10,
        categories=["seed", "angel", "industry"], category_fact="gz_direct_investment_category",
        facts={"gz_devzone_direct_investment": True, "state_owned_vc": True}, role="investigation_finding",
        evidence=["直投资金设立批复 穗开国资〔2025〕12号"])
    seed1 = _inv(mgr, fund, "广州某量子传感科技有限公司", "seed", 3_000_000, D(2025, 4, 18), "seed",
                 "种子直投，投资决策委员会审议通过")
    seed2 = _inv(mgr, fund, "广州某脑机接口医疗科技有限公司", "seed", 5_000_000, D(2025, 6, 9), "seed",
                 "种子直投，投资决策委员会审议通过")
    seed3 = _inv(mgr, fund, "广州某合成生物材料有限公司", "seed", 4_000_000, D(2025, 9, 2), "seed",
                 "种子直投，投资决策委员会审议通过")
    _inv(mgr, fund, "广州某固态电池材料有限公司", "seed", 2_500_000, D(2025, 11, 20), "seed",
                 "种子直投，投资决策委员会审议通过")
    angel1 = _inv(mgr, fund, "广州某工业机器人有限公司", "angel", 12_000_000, D(2025, 5, 12), "angel",
                  "天使直投，投资决策委员会审议通过")
    angel2 = _inv(mgr, fund, "广州某创新药研发有限公司", "angel", 15_000_000, D(2025, 8, 25), "angel",
                  "天使直投，投资决策委员会审议通过")
    ind1 = _inv(mgr, fund, "广州某半导体封装测试有限公司", "industry", 40_000_000, D(2025, 7, 1), "mid")
    ind2 = _inv(mgr, fund, "广州某新型显示材料有限公司", "industry", 30_000_000, D(2026, 1, 15), "mid")
    _value(mgr, seed2, D(2025, 12, 31), 4_200_000)
    _value(mgr, seed3, D(2025, 12, 31), 4_000_000)
    _value(mgr, angel1, D(2025, 12, 31), 10_500_000)
    _value(mgr, angel2, D(2025, 12, 31), 18_000_000)
    _value(mgr, ind1, D(2025, 12, 31), 36_000_000)
    _value(mgr, seed2, D(2026, 6, 30), 2_000_000, "半年度估值报告")
    _value(mgr, seed3, D(2026, 6, 30), 3_200_000, "半年度估值报告")
    _value(mgr, angel1, D(2026, 6, 30), 6_000_000, "半年度估值报告")
    _value(mgr, ind1, D(2026, 6, 30), 31_000_000, "半年度估值报告")
    _value(mgr, ind2, D(2026, 6, 30), 29_000_000, "半年度估值报告")
    svc.exit_create(actor=mgr, investment=seed1, kind="write_off", exited_on=D(2026, 5, 20), proceeds_yuan=0,
                    note="被投企业清算注销，全额核销")
    # The write-off: the supervisor's investigation finds the trustee diligent and the loss caused by the market.
    svc.investment_set_facts(actor=sup, investment=seed1, facts=DILIGENT, role="investigation_finding",
                             evidence=["尽职调查报告 GZDI-DD-2025-004", "投资决策委员会会议纪要 GZDI-IC-2025-03",
                                       "投后管理季度报告（2025Q3–2026Q1）"])
    svc.investment_set_facts(actor=sup, investment=seed1, facts={"loss_from_industry_or_market_risk": True},
                             role="expert_panel_finding", evidence=["专家论证意见 GZDI-EP-2026-02"],
                             note="量子传感下游订单不及预期，同期同类企业普遍出清")
    svc.investment_decide_exemption(actor=sup, investment=seed1, on=D(2026, 7, 15))
    # A second loss still under investigation: procedure established, the rest still to find.
    svc.investment_set_facts(actor=sup, investment=seed2,
                             facts={"due_diligence_conducted": True, "investment_committee_approved": True},
                             role="investigation_finding", evidence=["尽职调查报告 GZDI-DD-2025-009"])
    svc.fund_check(actor=mgr, fund=fund, on=D(2026, 6, 30))
    svc.fund_check(actor=sup, fund=fund, on=D(2026, 9, 30))
    return fund


def _nanshan(o: dict[str, Organisation], u: dict[str, Any]) -> Fund:
    mgr, sup = u["ns_manager"], u["ns_supervisor"]
    fund = svc.fund_create(
        actor=sup, code="NS-SEED-2025", name_zh="南山区战略直投专项种子基金", name_en="Nanshan strategic seed fund",
        manager=o["ns_mgr"], supervisor=o["ns_bureau"], size_yuan=250_000_000, vintage_date=D(2025, 3, 20),
        term_years=8, categories=["seed"], facts={"ns_strategic_seed_angel_fund": True, "state_owned_vc": True},
        role="investigation_finding", evidence=["基金设立方案"])
    a = _inv(mgr, fund, "深圳某具身智能机器人有限公司", "seed", 5_000_000, D(2025, 4, 28), "seed", "基金内单个项目")
    b = _inv(mgr, fund, "深圳某AI芯片设计有限公司", "seed", 8_000_000, D(2025, 6, 16), "seed", "基金内单个项目")
    c = _inv(mgr, fund, "深圳某细胞治疗科技有限公司", "seed", 6_000_000, D(2025, 10, 9), "seed", "基金内单个项目")
    _value(mgr, b, D(2025, 12, 31), 11_000_000)
    _value(mgr, c, D(2026, 6, 30), 3_000_000, "半年度估值报告")
    svc.exit_create(actor=mgr, investment=a, kind="write_off", exited_on=D(2026, 8, 31), proceeds_yuan=250_000,
                    note="技术路线被替代，公司清算，收回残值")
    svc.investment_set_facts(actor=sup, investment=a, facts={**DILIGENT, "complied_with_investment_rules": True},
                             role="investigation_finding", evidence=["尽职调查报告 NS-DD-2025-002", "审计报告"])
    svc.investment_decide_exemption(actor=sup, investment=a, on=D(2026, 9, 30))
    svc.fund_check(actor=mgr, fund=fund, on=D(2026, 9, 30))
    return fund


def _futian(o: dict[str, Organisation], u: dict[str, Any]) -> list[Fund]:
    mgr, sup = u["ft_manager"], u["ft_supervisor"]
    old = svc.fund_create(
        actor=sup, code="FT-ISF-2019", name_zh="福田区产业协同基金（一期）", name_en="Futian industry synergy fund I",
        manager=o["ft_mgr"], supervisor=o["ft_bureau"], size_yuan=60_000_000, vintage_date=D(2019, 7, 1),
        term_years=7, categories=["industry"], facts={"ft_industry_synergy_fund": True, "state_owned_vc": True},
        role="investigation_finding", evidence=["基金合伙协议"])
    projects = [("深圳某智能网联汽车软件有限公司", 5_000_000, D(2019, 9, 10), "early", 0),
                ("深圳某柔性电子有限公司", 4_000_000, D(2020, 3, 2), "early", 400_000),
                ("深圳某金融科技有限公司", 3_000_000, D(2020, 11, 18), "mid", 4_500_000),
                ("深圳某医疗影像AI有限公司", 5_000_000, D(2021, 6, 7), "early", 600_000),
                ("深圳某跨境物流科技有限公司", 8_000_000, D(2022, 4, 21), "mid", 2_000_000)]
    for i, (company, amount, day, stage, proceeds) in enumerate(projects):
        inv = _inv(mgr, old, company, "industry", amount, day, stage,
                   "符合福田区产业发展方向的早中期培育引导型投资" if amount <= 5_000_000 else "")
        kind = "write_off" if proceeds < amount // 2 else "exit"
        svc.exit_create(actor=mgr, investment=inv, kind=kind, exited_on=D(2024 + i // 3, 3 + 2 * i, 28),
                        proceeds_yuan=proceeds)
    svc.fund_set_facts(actor=sup, fund=old, facts={"complied_with_investment_rules": True},
                       role="investigation_finding", evidence=["基金清算审计报告 FT-ISF-2026"])
    svc.fund_check(actor=sup, fund=old, on=D(2026, 7, 1))
    new = svc.fund_create(
        actor=sup, code="FT-ISF-2025", name_zh="福田区产业协同基金（二期）", name_en="Futian industry synergy fund II",
        manager=o["ft_mgr"], supervisor=o["ft_bureau"], size_yuan=200_000_000, vintage_date=D(2025, 4, 1),
        term_years=7, categories=["industry"], facts={"ft_industry_synergy_fund": True, "state_owned_vc": True},
        role="investigation_finding")
    x = _inv(mgr, new, "深圳某低空经济无人机有限公司", "industry", 5_000_000, D(2025, 6, 3), "early",
             "符合福田区产业发展方向的早期项目，投资额500万元")
    y = _inv(mgr, new, "深圳某数据要素服务有限公司", "industry", 3_000_000, D(2025, 9, 15), "early",
             "符合福田区产业发展方向的早期项目，投资额300万元")
    _inv(mgr, new, "深圳某高端医疗器械有限公司", "industry", 20_000_000, D(2025, 12, 1), "late")
    _value(mgr, x, D(2026, 6, 30), 1_000_000, "半年度估值报告")
    svc.exit_create(actor=mgr, investment=y, kind="write_off", exited_on=D(2026, 9, 1), proceeds_yuan=0,
                    note="核心团队解散")
    svc.investment_set_facts(actor=sup, investment=y, facts={"ft_industrial_direction": True},
                             role="committee", evidence=["福田区重点产业目录（2025）"])
    svc.fund_check(actor=mgr, fund=new, on=D(2026, 9, 30))
    return [old, new]


def _tianjin(o: dict[str, Organisation], u: dict[str, Any]) -> int:
    cw, tto = u["tj_caseworker"], u["tj_tto"]
    ok = {"tj_tianjin_transfer": True, "transfer_duties_diligent": True, "sought_private_gain": False}
    t1 = svc.transfer_create(
        actor=cw, unit=o["tj_univ"], code="TJU-2025-031", achievement="一种固态电解质材料的制备方法（发明专利）转让",
        method="auction", transfer_date=D(2025, 8, 20), price_yuan=3_200_000, later_value_yuan=12_000_000,
        later_value_on=D(2026, 6, 30), facts=ok, role="investigation_finding",
        evidence=["拍卖成交确认书 TJAE-2025-0815", "转让合同"])
    svc.transfer_set_facts(actor=tto, transfer=t1, role="host_unit_attestation",
                           facts={"unit_category": "public_welfare_2", "income_from_achievement_transfer": True,
                                  "payment_is_transfer_cash_reward": True},
                           evidence=["事业单位法人证书", "成果转化奖励决定 TJU-RW-2025-12"])
    svc.transfer_create(
        actor=cw, unit=o["tj_univ"], code="TJU-2025-044", achievement="高通量测序数据压缩算法（软件著作权）许可",
        method="agreement", transfer_date=D(2025, 9, 18), price_yuan=800_000,
        notice_where="本校网站及天津市技术交易市场", notice_from=D(2025, 9, 2), notice_to=D(2025, 9, 16),
        later_value_yuan=5_000_000, later_value_on=D(2026, 9, 30),
        facts=ok, role="investigation_finding", evidence=["公示截图及公示无异议证明", "许可合同"])
    svc.transfer_create(
        actor=cw, unit=o["tj_univ"], code="TJU-2025-052", achievement="工业机器人视觉定位技术（专利组合）作价投资",
        method="agreement", transfer_date=D(2025, 10, 27), price_yuan=1_500_000, publicly_noticed=False,
        later_value_yuan=6_000_000, later_value_on=D(2026, 9, 30), facts=ok, role="investigation_finding",
        evidence=["作价投资协议"], note="协议定价，未在本单位及技术交易市场公示")
    svc.transfer_create(
        actor=u["tj_inst_tto"], unit=o["tj_inst"], code="TJBI-2025-007",
        achievement="一种单克隆抗体制备工艺（专利）转让",
        method="listed_trading", transfer_date=D(2025, 11, 12), price_yuan=2_600_000,
        facts={"tj_tianjin_transfer": True}, role="host_unit_attestation", evidence=["挂牌交易成交公告"])
    t5 = svc.transfer_create(
        actor=cw, unit=o["tj_inst"], code="TJBI-2026-002", achievement="细胞培养基配方（技术秘密）许可",
        method="agreement", transfer_date=D(2026, 3, 9), price_yuan=450_000, notice_where="本院网站",
        notice_from=D(2026, 2, 20), notice_to=D(2026, 3, 5), facts=ok, role="investigation_finding")
    svc.transfer_set_facts(actor=cw, transfer=t5, role="investigation_finding",
                           facts={"error_in_service_achievement_handling": True,
                                  "acted_under_law_and_unit_rules": True},
                           evidence=["核查报告 TJSTB-HC-2026-04"], note="收益分配比例计算有误，已责令纠正")
    return 5


@transaction.atomic
def funds_demo_load() -> dict[str, int]:
    """Load the demo (skipped if already loaded): funds, investments, checks, exemptions, transfers."""
    refuse_in_production()
    if Fund.objects.filter(code="GZDZ-DI-2025").exists():
        return {"funds": 0, "transfers": 0}
    o = _orgs()
    u = _users(o)
    funds = [_guangzhou(o, u), _nanshan(o, u), *_futian(o, u)]
    return {"funds": len(funds), "transfers": _tianjin(o, u)}
