"""The manager's declaration that a project qualifies for full (100%) tolerance, compared with the pack's own
qualification: a mismatch is flagged in the report, the API and on the fund page; neither side is changed."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from rongcuo.funds import selectors
from rongcuo.funds import services as svc
from rongcuo.funds.models import Investment

from .conftest import DILIGENT, Api, FWorld

ON = dt.date(2026, 6, 30)


def test_declaration_and_pack_qualification_are_compared_and_mismatches_flagged(fw: FWorld) -> None:
    fund = fw.gz_fund()
    sup = fw.users["gz_supervisor"]
    # Declared qualifying, but an industry investment: the Guangzhou rule tolerates 100% for seed and angel only.
    industry = fw.invest(fund, "industry", 20_000_000, dt.date(2025, 6, 1), stage="mid",
                         qualifies_for_full_tolerance=True, qualification_reason="重点产业项目")
    # Not declared, yet a diligently made seed investment: the pack tolerates its total loss.
    seed = fw.invest(fund, "seed", 3_000_000, dt.date(2025, 4, 10), stage="seed")
    svc.investment_set_facts(actor=sup, investment=seed, facts=DILIGENT, role="investigation_finding")
    # Declared, and the pack agrees.
    angel = fw.invest(fund, "angel", 5_000_000, dt.date(2025, 5, 10), stage="angel",
                      qualifies_for_full_tolerance=True, qualification_reason="天使直投")
    svc.investment_set_facts(actor=sup, investment=angel, facts=DILIGENT, role="investigation_finding")
    # Declared; the pack cannot answer until the diligence precondition is established: nothing compared.
    open_ = fw.invest(fund, "seed", 2_000_000, dt.date(2025, 7, 1), stage="seed",
                      qualifies_for_full_tolerance=True, qualification_reason="种子直投")

    report = selectors.tolerance_report(fund, ON)
    q = {p["investment_id"]: p["qualification"] for p in report["projects"]}
    assert (q[industry.pk]["declared"], q[industry.pk]["pack"], q[industry.pk]["status"]) == (
        True, False, "declared_only")
    assert q[industry.pk]["outcome"] == "not_exempt" and q[industry.pk]["decisive"] == ["gz.tolerance.single_project"]
    assert q[industry.pk]["label"]["zh"] == "不一致：管理机构申报符合全额容亏条件，政策包认定不符合"
    assert (q[seed.pk]["declared"], q[seed.pk]["pack"], q[seed.pk]["status"]) == (False, True, "pack_only")
    assert q[angel.pk]["mismatch"] is False and q[angel.pk]["status"] == "agree_yes"
    assert q[open_.pk]["pack"] is None and q[open_.pk]["mismatch"] is False and q[open_.pk]["status"] == "unknown"
    assert "due_diligence_conducted" in [f["id"] for f in q[open_.pk]["needed_facts"]]
    assert [(m["code"], m["status"]) for m in report["qualification_mismatches"]] == [
        (seed.code, "pack_only"), (industry.code, "declared_only")]  # in the order of investment

    # The same in the API and in a stored check; the records themselves are left as declared.
    code, body = Api(sup).get(f"/funds/{fund.pk}/tolerance", on=ON.isoformat())
    assert code == 200 and [m["code"] for m in body["qualification_mismatches"]] == [seed.code, industry.code]
    check = svc.fund_check(actor=fw.users["gz_manager"], fund=fund, on=ON)
    assert len(check.report["qualification_mismatches"]) == 2
    assert Investment.objects.get(pk=industry.pk).qualifies_for_full_tolerance is True
    assert Investment.objects.get(pk=seed.pk).qualifies_for_full_tolerance is False

    # The fund page flags them, in Chinese and in English.
    c = Client()
    c.force_login(sup)
    html = c.get(f"/funds/{fund.pk}/", {"on": ON.isoformat()}).content.decode()
    box = html.split('id="qualification-mismatches"')[1].split("</div>")[0]
    assert "全额容亏条件：管理机构申报与政策包认定不一致" in box and industry.code in box and seed.code in box
    assert angel.code not in box and open_.code not in box
    assert "不一致：政策包认定符合全额容亏条件，管理机构未申报" in box
    assert "尚无法比对：政策包认定所需事实尚未查明" in html and "申报符合全额容亏条件，与政策包认定一致" in html
    c.cookies["django_language"] = "en"
    html = c.get(f"/funds/{fund.pk}/", {"on": ON.isoformat()}).content.decode()
    assert "Full tolerance: the manager's declaration and the pack disagree" in html
    assert "Mismatch: the manager declares it qualifying for full tolerance, the pack does not" in html


def test_futian_qualification_follows_the_packs_cultivation_conditions(fw: FWorld) -> None:
    fund = fw.ft_fund(vintage=dt.date(2024, 1, 1), term=8)
    sup = fw.users["ft_supervisor"]
    big = fw.invest(fund, "industry", 8_000_000, dt.date(2024, 3, 1), stage="early",
                    qualifies_for_full_tolerance=True, qualification_reason="早期项目")  # above 5 million
    small = fw.invest(fund, "industry", 3_000_000, dt.date(2024, 4, 1), stage="early",
                      qualifies_for_full_tolerance=True, qualification_reason="培育引导型投资")
    for inv in (big, small):
        svc.investment_set_facts(actor=sup, investment=inv, facts={"ft_industrial_direction": True},
                                 role="investigation_finding")
    q = {p["investment_id"]: p["qualification"] for p in selectors.tolerance_report(fund, ON)["projects"]}
    assert (q[big.pk]["pack"], q[big.pk]["mismatch"]) == (False, True)
    assert q[big.pk]["decisive"] == ["ft.qualifying.cultivation_project"]
    assert (q[small.pk]["pack"], q[small.pk]["mismatch"]) == (True, False)
