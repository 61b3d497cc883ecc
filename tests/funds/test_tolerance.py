"""Loss tolerance over the fund's life, decided by the engine under each fund's pack."""

from __future__ import annotations

import datetime as dt

from rongcuo.audit.models import AuditEvent
from rongcuo.funds import selectors
from rongcuo.funds import services as svc

from .conftest import DILIGENT, FWorld


def _cat(report: dict, cat: str) -> dict:
    return next(c for c in report["categories"] if c["category"] == cat)


def test_qualifying_guangzhou_seed_project_written_off_is_within_tolerance(fw: FWorld) -> None:
    fund = fw.gz_fund()
    inv = fw.invest(fund, "seed", 3_000_000, dt.date(2025, 4, 10), stage="seed", qualifies_for_full_tolerance=True,
                    qualification_reason="种子直投项目，经投资决策委员会审议")
    fw.invest(fund, "seed", 5_000_000, dt.date(2025, 5, 10), stage="seed")
    svc.investment_set_facts(actor=fw.users["gz_supervisor"], investment=inv, facts=DILIGENT,
                             role="investigation_finding",
                             evidence=["尽职调查报告 DD-2025-017", "投决会纪要 IC-2025-04"])
    fw.write_off(inv, dt.date(2026, 5, 20))

    report = selectors.tolerance_report(fund, dt.date(2026, 6, 30))
    project = next(p for p in report["projects"] if p["investment_id"] == inv.pk)
    assert project["ratio"] == 1.0 and project["status"] == "written_off"
    # During the term, the project's position against its 100% limit, and no conclusion either way.
    assert report["life"]["interim"] is True
    assert (project["outcome"], project["position"]) == ("interim_position", "within")
    assert project["limit"]["parameter"] == "single_project_max_loss" and project["limit"]["value"] == 1.0
    assert project["decisive"] == [] and "record" not in project
    # The manager's declaration and the pack agree: a total loss of this seed project is within tolerance.
    q = project["qualification"]
    assert (q["declared"], q["pack"], q["mismatch"], q["outcome"]) == (True, True, False, "exempt")
    assert report["qualification_mismatches"] == []
    seed = _cat(report, "seed")
    # The seed category has lost 3 of 8 million: 37.5%, within its limit, but during the term: no conclusion.
    assert seed["ratio"] == 0.375 and seed["position"] == "within"
    assert seed["outcome"] == "out_of_scope" and seed["outcome_label"]["zh"].startswith("期中检查")

    # The whole-life check (the term ended early, approved) decides the project under the pack.
    fund = svc.fund_set_term_end(actor=fw.users["gz_supervisor"], fund=fund, term_end=dt.date(2026, 6, 30),
                                 reason="提前清算（测试）")
    report = selectors.tolerance_report(fund, dt.date(2026, 6, 30))
    project = next(p for p in report["projects"] if p["investment_id"] == inv.pk)
    assert report["life"]["complete"] is True
    assert project["determination"] == "project_loss_tolerance"
    assert project["outcome"] == "exempt"
    assert project["outcome_label"]["zh"] == "在单项目容亏范围内"
    assert project["decisive"][-1] == "gz.tolerance.single_project"
    assert project["limit"]["parameter"] == "single_project_max_loss" and project["limit"]["value"] == 1.0
    assert project["position"] == "within"
    # The engine was fed the computed ratio, with provenance, and the findings with theirs.
    facts = project["record"]["facts"]
    assert facts["project_loss_ratio"]["value"] == 1.0 and facts["project_loss_ratio"]["role"] == "system_computed"
    assert facts["due_diligence_conducted"]["by"] == "t_gz_supervisor"
    assert "尽职调查报告 DD-2025-017" in facts["due_diligence_conducted"]["evidence"]
    assert _cat(report, "seed")["outcome"] == "exempt"  # 37.5% against 50%, now concluded


def test_futian_fund_85_percent_loss_at_the_end_of_its_life_is_beyond_its_limit(fw: FWorld) -> None:
    fund = fw.ft_fund(vintage=dt.date(2020, 1, 1), term=6)  # the term ends on 2026-01-01
    a = fw.invest(fund, "industry", 6_000_000, dt.date(2020, 6, 1), stage="early")
    b = fw.invest(fund, "industry", 4_000_000, dt.date(2021, 3, 1), stage="mid")
    fw.write_off(a, dt.date(2024, 12, 31))
    svc.exit_create(actor=fw.users["ft_manager"], investment=b, kind="exit", exited_on=dt.date(2025, 10, 1),
                    proceeds_yuan=1_500_000)
    check = svc.fund_check(actor=fw.users["ft_supervisor"], fund=fund, on=dt.date(2026, 1, 1))
    total = check.report["fund_total"]
    assert total["ratio"] == 0.85
    assert check.interim is False and check.report["life"]["complete"] is True
    assert total["determination"] == "fund_loss_tolerance"
    assert total["outcome"] == "not_exempt"
    assert total["outcome_label"] == {"zh": "超出容亏比例", "en": "Beyond the loss-tolerance limit"}
    assert total["decisive"] == ["ft.tolerance.fund"]
    assert total["limit"]["value"] == 0.8 and total["limit"]["parameter"] == "fund_max_loss"
    assert total["position"] == "beyond"
    assert check.report["loss_measure"]["id"] == "realised_plus_unrealised_at_fair_value"
    assert AuditEvent.objects.filter(action="fund.check", subject_id=str(fund.pk)).count() == 1


def test_futian_fund_at_exactly_80_percent_is_within(fw: FWorld) -> None:
    fund = fw.ft_fund()
    a = fw.invest(fund, "industry", 8_000_000, dt.date(2020, 6, 1))
    fw.invest(fund, "industry", 2_000_000, dt.date(2020, 7, 1))
    fw.write_off(a, dt.date(2023, 1, 1))
    total = selectors.tolerance_report(fund, dt.date(2026, 3, 1))["fund_total"]
    assert total["ratio"] == 0.8 and total["outcome"] == "exempt" and total["position"] == "within"


def test_interim_check_in_year_two_reports_the_position_without_concluding_failure(fw: FWorld) -> None:
    fund = fw.gz_fund(vintage=dt.date(2025, 3, 1), term=8)
    s1 = fw.invest(fund, "seed", 4_000_000, dt.date(2025, 4, 1))
    s2 = fw.invest(fund, "seed", 6_000_000, dt.date(2025, 6, 1))
    ind = fw.invest(fund, "industry", 20_000_000, dt.date(2025, 7, 1))
    fw.write_off(s1, dt.date(2026, 9, 1))
    fw.value(s2, dt.date(2026, 12, 31), 2_000_000)  # 4 + 4 of 10 million lost: 80% against a 50% limit
    fw.value(ind, dt.date(2026, 12, 31), 10_000_000)  # 50% against a 30% limit
    check = svc.fund_check(actor=fw.users["gz_manager"], fund=fund, on=dt.date(2026, 12, 31))
    report = check.report
    assert check.interim is True and report["life"]["interim"] is True
    assert report["life"]["label"]["zh"].startswith("期中检查")
    for cat, ratio, limit in (("seed", 0.8, 0.5), ("industry", 0.5, 0.3)):
        c = _cat(report, cat)
        assert c["ratio"] == ratio and c["limit"]["value"] == limit
        assert c["position"] == "beyond"  # the position is reported …
        assert c["outcome"] == "out_of_scope"  # … but no failure is concluded
        assert c["outcome_label"]["zh"] == "期中检查：仅报告位置，不作结论（或不属本细则适用范围，见决定性条款）"
        assert c["decisive"] == ["gz.scope.whole_life"]
    assert not any(c.get("outcome") == "not_exempt" for c in report["categories"])
    # The projects: their position against the pack's single-project limit, never a conclusion — not even for
    # the industry project written down by half, which the single-project 100% tolerance does not cover.
    rows = {p["investment_id"]: p for p in report["projects"]}
    assert [(rows[i.pk]["ratio"], rows[i.pk]["position"]) for i in (s1, s2, ind)] == [
        (1.0, "within"), (4 / 6, "within"), (0.5, "no_limit")]
    for p in report["projects"]:
        assert p["outcome"] == "interim_position" and p["outcome_label"]["zh"].startswith("期中位置，不作结论")
        assert p["determination"] == "project_loss_tolerance" and p["decisive"] == [] and p["needed"] == []
    assert not any(p.get("outcome") in ("not_exempt", "exempt") for p in report["projects"])
    stored = check.report["projects"]  # what the stored check says is the same
    assert {p["outcome"] for p in stored} == {"interim_position"}
    # The same portfolio at the end of the term is concluded.
    fund.term_end = dt.date(2027, 1, 1)
    fund.save()
    final = selectors.tolerance_report(fund, dt.date(2027, 1, 1))
    seed = _cat(final, "seed")
    assert seed["outcome"] == "not_exempt" and seed["outcome_label"]["zh"] == "超出容亏比例"
    rows = {p["investment_id"]: p for p in final["projects"]}
    assert rows[ind.pk]["outcome"] == "not_exempt"  # an industry project: outside the single-project tolerance
    assert rows[s1.pk]["outcome"] == "undetermined"  # within 100%, but the diligence precondition is unknown


def test_the_series_reports_the_position_by_category_against_the_limits_over_time(fw: FWorld) -> None:
    fund = fw.gz_fund()
    s1 = fw.invest(fund, "seed", 4_000_000, dt.date(2025, 4, 1))
    fw.invest(fund, "angel", 10_000_000, dt.date(2025, 5, 1))
    fw.write_off(s1, dt.date(2025, 11, 15))
    series = selectors.loss_series(fund, dt.date(2026, 3, 31))
    dates = [p["date"] for p in series]
    assert dates == ["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31", "2026-03-31"]
    seed = [p["categories"]["seed"]["ratio"] for p in series]
    assert seed == [None, 0.0, 0.0, 1.0, 1.0]  # nothing invested at the end of March 2025: unknown, not 0
    assert {p["categories"]["seed"]["limit"]["value"] for p in series if p["categories"]["seed"]["limit"]} == {0.5}
    assert {p["categories"]["angel"]["limit"]["value"] for p in series if p["categories"]["angel"]["limit"]} == {0.4}
    assert all(p["interim"] for p in series)
    assert all(p["categories"]["seed"]["outcome"] in ("out_of_scope", "undetermined") for p in series)
    assert series[-1]["categories"]["seed"]["position"] == "beyond"
    assert series[-1]["fund"]["ratio"] == 4 / 14 and series[-1]["fund"]["position"] == "no_limit"


def test_the_loss_definition_is_stated_and_a_new_dated_value_changes_the_figures(fw: FWorld, packs_copy) -> None:
    fund = fw.gz_fund()
    s = fw.invest(fund, "seed", 10_000_000, dt.date(2025, 4, 1))
    fw.value(s, dt.date(2025, 12, 31), 4_000_000)  # unrealised: 60% below cost
    before = selectors.loss_report(fund, dt.date(2026, 9, 30))
    m = before["loss_measure"]
    assert m["id"] == "realised_plus_unrealised_at_fair_value"
    assert "公允价值" in m["definition"]["zh"] and "fair value" in m["definition"]["en"]
    assert m["source"]["parameter"] == "loss_measure" and m["source"]["from"] == "2025-02-10"
    assert _cat(before, "seed")["ratio"] == 0.6

    packs_copy("guangzhou-devzone-direct-investment", "loss_measure",
               {"from": dt.date(2026, 7, 1), "value": "realised_only", "reference": "测试：改为仅计已实现亏损"})
    after = selectors.loss_report(fund, dt.date(2026, 9, 30))
    assert after["loss_measure"]["id"] == "realised_only"
    assert after["loss_measure"]["source"]["from"] == "2026-07-01"
    assert "仅计" in after["loss_measure"]["label"]["zh"]
    assert _cat(after, "seed")["ratio"] == 0.0
    # Earlier points keep the measure in force on their dates; the report lists both, with their spans.
    used = [(u["id"], u["from"], u["to"]) for u in after["measures_used"]]
    assert used == [("realised_plus_unrealised_at_fair_value", "2025-03-31", "2026-06-30"),
                    ("realised_only", "2026-09-30", "2026-09-30")]
    ratios = {p["date"]: p["categories"]["seed"]["ratio"] for p in after["series"]}
    assert ratios["2026-06-30"] == 0.6 and ratios["2026-09-30"] == 0.0


def test_nanshan_project_decided_under_its_pack_and_the_exemption_under_the_17_measures(fw: FWorld) -> None:
    fund = svc.fund_create(
        actor=fw.users["ns_supervisor"], code="NS-SEED", name_zh="南山区战略直投专项种子基金",
        manager=fw.orgs["ns_mgr"], supervisor=fw.orgs["ns_bureau"], size_yuan=250_000_000,
        vintage_date=dt.date(2025, 3, 15), term_years=8, categories=["seed"],
        facts={"ns_strategic_seed_angel_fund": True, "state_owned_vc": True}, role="investigation_finding")
    inv = fw.invest(fund, "seed", 2_000_000, dt.date(2025, 5, 1))
    fw.write_off(inv, dt.date(2026, 8, 1))
    p = selectors.tolerance_report(fund, dt.date(2026, 9, 30))["projects"][0]
    assert p["outcome"] == "interim_position" and p["position"] == "within"  # during the term
    assert p["qualification"]["pack"] is True and p["qualification"]["status"] == "pack_only"  # not declared
    fund = svc.fund_set_term_end(actor=fw.users["ns_supervisor"], fund=fund, term_end=dt.date(2026, 9, 30),
                                 reason="提前清算（测试）")
    p = selectors.tolerance_report(fund, dt.date(2026, 9, 30))["projects"][0]
    assert p["outcome"] == "exempt" and p["decisive"] == ["ns.tolerance.single_project"]
    res = selectors.exemption_result(inv, dt.date(2026, 9, 30))
    assert res.pack.id == "cn-vc-measures-2024" and res.determination == "due_diligence_compliance_exemption"
    assert res.outcome == "undetermined"
