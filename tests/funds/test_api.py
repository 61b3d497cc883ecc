"""The funds and transfers API: status codes, permission refusals, bad input → 400 naming the field."""

from __future__ import annotations

import datetime as dt

import pytest

from rongcuo.audit.models import AuditEvent
from rongcuo.funds.models import Exit, Fund, Investment, ManagerExemption, ToleranceCheck, TransferRecord, Valuation

from .conftest import DILIGENT, FWorld


@pytest.fixture
def gz(fw: FWorld):
    fund = fw.gz_fund()
    inv = fw.invest(fund, "seed", 3_000_000, dt.date(2025, 4, 10), stage="seed")
    return fund, inv


def _fund_body(fw: FWorld, **kw):
    body = {"code": "GZ-API", "name_zh": "广州开发区直投资金（二期）", "manager_id": fw.orgs["gz_mgr"].pk,
            "supervisor_id": fw.orgs["gz_bureau"].pk, "size_yuan": "300000000", "vintage_date": "2025-06-01",
            "term_years": 10, "categories": ["seed", "angel"], "category_fact": "gz_direct_investment_category",
            "facts": {"gz_devzone_direct_investment": True}, "role": "investigation_finding"}
    body.update(kw)
    return body


def test_funds_list_and_get_are_scoped(fw: FWorld, gz, as_api) -> None:
    fund, _ = gz
    assert as_api(None).get("/funds")[0] == 401
    st, body = as_api("gz_supervisor").get("/funds")
    assert st == 200 and [f["code"] for f in body] == ["GZ-DI"] and body[0]["roles"] == ["supervisor"]
    assert as_api("gz_manager").get("/funds")[1][0]["roles"] == ["manager"]
    assert as_api("ft_supervisor").get("/funds") == (200, [])
    assert as_api("auditor").get(f"/funds/{fund.pk}")[0] == 200
    st, body = as_api("outsider").get(f"/funds/{fund.pk}")
    assert st == 404 and body["code"] == "not_found"


def test_fund_create(fw: FWorld, as_api) -> None:
    st, body = as_api("gz_supervisor").post("/funds", _fund_body(fw))
    assert st == 201, body
    assert body["pack_id"] == "guangzhou-devzone-direct-investment" and body["life_end"] == "2035-06-01"
    assert body["findings"][0]["fact_id"] == "gz_devzone_direct_investment"
    assert AuditEvent.objects.filter(action="fund.create").count() == 1
    st, body = as_api("gz_supervisor").post("/funds", _fund_body(fw))
    assert st == 409 and body["field"] == "code"


@pytest.mark.parametrize("change, field, status", [
    ({"categories": ["seed", "venture"]}, "categories", 400),
    ({"size_yuan": "lots"}, "size_yuan", 400),
    ({"term_years": 0}, "term_years", 400),
    ({"category_fact": "investment_amount"}, "category_fact", 400),
    ({"pack_id": "tianjin-transfer-guideline"}, "pack_id", 400),
    ({"facts": {"fund_loss_ratio": 0.1}}, "fund_loss_ratio", 400),
    ({"facts": {"gz_devzone_direct_investment": "yes"}}, "gz_devzone_direct_investment", 400),
    ({"manager_id": 999999}, "manager_id", 400),
])
def test_fund_create_bad_input_names_the_field_and_stores_nothing(fw: FWorld, as_api, change, field, status) -> None:
    st, body = as_api("gz_supervisor").post("/funds", _fund_body(fw, **change))
    assert st == status and body["field"] == field, body
    assert body["message"]["zh"] and body["message"]["en"]
    assert not Fund.objects.exists() and not AuditEvent.objects.exists()


def test_fund_create_refusals(fw: FWorld, as_api) -> None:
    assert as_api("gz_manager").post("/funds", _fund_body(fw))[0] == 403
    assert as_api("ft_supervisor").post("/funds", _fund_body(fw))[0] == 403
    assert as_api("auditor").post("/funds", _fund_body(fw))[0] == 403
    assert not Fund.objects.exists()


def test_investments_valuations_and_exits(fw: FWorld, gz, as_api) -> None:
    fund, inv = gz
    mgr = as_api("gz_manager")
    st, body = mgr.post(f"/funds/{fund.pk}/investments", {
        "company": "广州某生物医药有限公司", "category": "angel", "amount_yuan": "8000000", "invested_on": "2025-07-01",
        "stage": "angel", "qualifies_for_full_tolerance": True, "qualification_reason": "天使直投"})
    assert st == 201 and body["code"] == "GZ-DI-002"
    new_id = body["id"]
    assert mgr.post(f"/funds/investments/{new_id}/valuations",
                    {"valued_on": "2025-12-31", "fair_value_yuan": "5000000", "basis": "估值报告"})[0] == 201
    st, body = mgr.post(f"/funds/investments/{new_id}/exit",
                        {"kind": "exit", "exited_on": "2026-03-01", "proceeds_yuan": "6000000"})
    assert st == 201 and body["exit"]["proceeds_yuan"] == 6_000_000
    st, body = mgr.post(f"/funds/investments/{new_id}/exit",
                        {"kind": "write_off", "exited_on": "2026-04-01", "proceeds_yuan": "0"})
    assert st == 409 and body["field"] == "investment"
    # refusals
    assert as_api("auditor").post(f"/funds/{fund.pk}/investments", {
        "company": "x", "category": "seed", "amount_yuan": "1", "invested_on": "2025-07-01"})[0] == 403
    assert as_api("gz_supervisor").post(f"/funds/investments/{inv.pk}/valuations",
                                        {"valued_on": "2025-12-31", "fair_value_yuan": "1"})[0] == 403
    assert as_api("outsider").post(f"/funds/{fund.pk}/investments", {
        "company": "x", "category": "seed", "amount_yuan": "1", "invested_on": "2025-07-01"})[0] == 404
    assert as_api("outsider").get(f"/funds/investments/{inv.pk}")[0] == 404


@pytest.mark.parametrize("body, field", [
    ({"company": "x", "category": "seed", "amount_yuan": "-5", "invested_on": "2025-07-01"}, "amount_yuan"),
    ({"company": "x", "category": "seed", "amount_yuan": "1.001", "invested_on": "2025-07-01"}, "amount_yuan"),
    ({"company": "x", "category": "buyout", "amount_yuan": "5", "invested_on": "2025-07-01"}, "category"),
    ({"company": "x", "category": "seed", "amount_yuan": "5", "invested_on": "2024-07-01"}, "invested_on"),
    ({"company": "x", "category": "seed", "amount_yuan": "5"}, "invested_on"),
    ({"company": "x", "category": "seed", "amount_yuan": "5", "invested_on": "2027-07-01"}, "invested_on"),  # future
    ({"company": "", "category": "seed", "amount_yuan": "5", "invested_on": "2025-07-01"}, "company"),
    ({"company": "x", "category": "seed", "amount_yuan": "5", "invested_on": "2025-07-01",
      "qualifies_for_full_tolerance": True}, "qualification_reason"),
    ({"company": "x", "category": "seed", "amount_yuan": "900000000", "invested_on": "2025-07-01"}, "amount_yuan"),
    ({"company": "x", "category": "seed", "amount_yuan": "5", "invested_on": "2025-07-01", "stage": "pre-ipo"},
     "stage"),
])
def test_investment_bad_input(fw: FWorld, gz, as_api, body, field) -> None:
    fund, _ = gz
    events = AuditEvent.objects.count()
    st, out = as_api("gz_manager").post(f"/funds/{fund.pk}/investments", body)
    assert st == 400 and out["field"] == field, out
    assert Investment.objects.count() == 1 and AuditEvent.objects.count() == events


def test_valuation_and_exit_bad_input(fw: FWorld, gz, as_api) -> None:
    _, inv = gz
    mgr = as_api("gz_manager")
    st, out = mgr.post(f"/funds/investments/{inv.pk}/valuations", {"valued_on": "2025-01-01", "fair_value_yuan": "1"})
    assert st == 400 and out["field"] == "valued_on"
    st, out = mgr.post(f"/funds/investments/{inv.pk}/valuations", {"valued_on": "2025-09-01", "fair_value_yuan": "-1"})
    assert st == 400 and out["field"] == "fair_value_yuan"
    st, out = mgr.post(f"/funds/investments/{inv.pk}/exit", {"kind": "sale", "exited_on": "2026-01-01",
                                                            "proceeds_yuan": "1"})
    assert st == 400 and out["field"] == "kind"
    st, out = mgr.post(f"/funds/investments/{inv.pk}/exit", {"kind": "write_off", "exited_on": "2026-01-01",
                                                            "proceeds_yuan": "9000000"})
    assert st == 400 and out["field"] == "proceeds_yuan"
    assert not Valuation.objects.exists() and not Exit.objects.exists()


def test_loss_report_states_the_definition(fw: FWorld, gz, as_api) -> None:
    fund, inv = gz
    fw.value(inv, dt.date(2025, 12, 31), 1_500_000)
    st, body = as_api("auditor").get(f"/funds/{fund.pk}/loss-report", on="2026-03-31")
    assert st == 200
    m = body["loss_measure"]
    assert m["id"] == "realised_plus_unrealised_at_fair_value"
    assert m["definition"]["zh"] and m["definition"]["en"] and m["source"]["pack"].startswith("guangzhou")
    assert body["life"]["interim"] is True
    seed = next(c for c in body["categories"] if c["category"] == "seed")
    assert seed["ratio"] == 0.5 and seed["limit"]["value"] == 0.5 and seed["position"] == "within"
    assert [p["date"] for p in body["series"]][-1] == "2026-03-31"
    assert body["measures_used"][0]["id"] == m["id"]
    assert as_api("outsider").get(f"/funds/{fund.pk}/loss-report")[0] == 404
    st, body = as_api("gz_manager").get(f"/funds/{fund.pk}/loss-report", on="2024-01-01")
    assert st == 400 and body["field"] == "on"
    st, body = as_api("gz_manager").get(f"/funds/{fund.pk}/tolerance", on="2026-03-31")
    assert st == 200 and "record" in body["categories"][0]


def test_checks_and_exemptions(fw: FWorld, gz, as_api) -> None:
    fund, inv = gz
    fw.write_off(inv, dt.date(2026, 5, 1))
    assert as_api("auditor").post(f"/funds/{fund.pk}/checks", {"on": "2026-06-30"})[0] == 403
    st, body = as_api("gz_manager").post(f"/funds/{fund.pk}/checks", {"on": "2026-06-30"})
    assert st == 201 and body["interim"] is True and body["loss_measure"]["definition"]["zh"]
    assert ToleranceCheck.objects.count() == 1
    assert as_api("gz_supervisor").get(f"/funds/{fund.pk}/checks")[1][0]["on"] == "2026-06-30"

    st, body = as_api("gz_manager").get(f"/funds/investments/{inv.pk}/exemption", on="2026-06-30")
    assert st == 200 and body["outcome"] == "undetermined" and "due_diligence_conducted" in body["needed"]
    assert body["needed_questions"][0]["question"]["zh"]
    sup = as_api("gz_supervisor")
    st, body = sup.post(f"/funds/investments/{inv.pk}/facts", {
        "facts": {**DILIGENT, "failure_force_majeure": True}, "role": "investigation_finding",
        "evidence": ["调查报告 INV-2026-03"]})
    assert st == 200 and {f["fact_id"] for f in body["findings"]} >= set(DILIGENT)
    st, body = sup.post(f"/funds/investments/{inv.pk}/facts", {"facts": {"sought_private_gain": "no"},
                                                               "role": "investigation_finding"})
    assert st == 400 and body["field"] == "sought_private_gain"
    assert as_api("gz_manager").post(f"/funds/investments/{inv.pk}/exemption", {"on": "2026-06-30"})[0] == 403
    st, body = sup.post(f"/funds/investments/{inv.pk}/exemption", {"on": "2099-01-01"})
    assert st == 400 and body["field"] == "on"
    st, body = sup.post(f"/funds/investments/{inv.pk}/exemption", {"on": "2026-06-30"})
    assert st == 201 and body["outcome"] == "exempt" and body["decisive"][-1] == "gz.situation.force_majeure"
    assert body["record"]["trace"]
    assert ManagerExemption.objects.count() == 1


def test_transfers_api(fw: FWorld, as_api) -> None:
    tto = as_api("tj_tto")
    body = {"unit_id": fw.orgs["tj_univ"].pk, "code": "TJU-2025-088", "achievement": "一种固态电解质材料的制备方法",
            "method": "agreement", "transfer_date": "2025-09-01", "price_yuan": "800000",
            "notice_where": "本校网站及天津市技术交易市场", "notice_from": "2025-08-15", "notice_to": "2025-08-29",
            "facts": {"tj_tianjin_transfer": True}, "role": "host_unit_attestation"}
    st, out = tto.post("/transfers", body)
    assert st == 201, out
    assert out["pricing"]["outcome"] == "undetermined"
    assert out["pricing"]["needed"] == ["transfer_duties_diligent", "sought_private_gain"]
    tid = out["id"]
    st, out = as_api("tj_caseworker").post(f"/transfers/{tid}/facts", {
        "facts": {"transfer_duties_diligent": True, "sought_private_gain": False}, "role": "investigation_finding",
        "version": 1})
    assert st == 200 and out["pricing"]["outcome"] == "exempt"
    assert out["determinations"]["pricing_exemption"]["outcome_label"]["en"].startswith("Pricing exemption")
    st, out = tto.post(f"/transfers/{tid}/later-value", {"later_value_yuan": "5000000", "later_value_on": "2026-06-30"})
    assert st == 200 and out["value_change"] == 5.25 and out["pricing"]["outcome"] == "exempt"
    assert as_api("tj_tto").get("/transfers")[1][0]["pricing"]["outcome"] == "exempt"
    assert as_api("outsider").get("/transfers") == (200, [])
    assert as_api("outsider").get(f"/transfers/{tid}")[0] == 404
    assert as_api("auditor").get(f"/transfers/{tid}")[0] == 200
    st, out = as_api("auditor").post(f"/transfers/{tid}/facts", {"facts": {"sought_private_gain": False}})
    assert st == 403
    st, out = tto.post("/transfers", {**body, "code": "TJU-2", "notice_to": "2025-08-01"})
    assert st == 400 and out["field"] == "notice_to"
    st, out = tto.post("/transfers", {**body, "code": "TJU-3", "price_yuan": "abc"})
    assert st == 400 and out["field"] == "price_yuan"
    st, out = as_api("outsider").post("/transfers", {**body, "code": "TJU-4"})
    assert st == 403
    assert TransferRecord.objects.count() == 1


def test_ids_beyond_the_database_range_are_not_found(fw: FWorld, gz, as_api) -> None:
    huge = 10**20
    sup = as_api("gz_supervisor")
    assert sup.get(f"/funds/{huge}")[0] == 404
    assert sup.get(f"/funds/{huge}/loss-report")[0] == 404
    assert sup.get(f"/funds/investments/{huge}")[0] == 404
    assert sup.post(f"/funds/investments/{huge}/exemption", {})[0] == 404
    assert as_api("tj_tto").get(f"/transfers/{huge}")[0] == 404
    st, body = sup.post("/funds", _fund_body(fw, code="GZ-H", manager_id=huge))
    assert st == 400 and body["field"] == "manager_id"
    st, body = sup.post("/funds", _fund_body(fw, code="GZ-V", vintage_date="9999-01-01", term_years=30))
    assert st == 400 and body["field"] == "vintage_date"
