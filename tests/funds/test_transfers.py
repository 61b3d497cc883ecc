"""Tianjin technology transfers: the pricing exemption and the policy boundaries, through the pack."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from rongcuo.audit.models import AuditEvent
from rongcuo.common.errors import Conflict, Invalid
from rongcuo.funds import services as svc
from rongcuo.funds.models import TransferRecord

from .conftest import FWorld

OK = {"tj_tianjin_transfer": True, "transfer_duties_diligent": True, "sought_private_gain": False}


def _transfer(fw: FWorld, code: str, method: str, *, facts: dict[str, Any] | None = OK, **kw: Any) -> TransferRecord:
    return svc.transfer_create(actor=fw.users["tj_caseworker"], unit=fw.orgs["tj_univ"], code=code,
                               achievement="一种固态电解质材料的制备方法（发明专利）", method=method,
                               transfer_date=dt.date(2025, 9, 1), price_yuan=3_200_000, facts=facts,
                               role="investigation_finding", evidence=["转让合同 TJU-2025-088"],
                               later_value_yuan=12_000_000, later_value_on=dt.date(2026, 6, 30), **kw)


def test_auction_price_is_exempt_whatever_the_later_value(fw: FWorld) -> None:
    t = _transfer(fw, "TJ-A", "auction")
    assert t.pack_id == "tianjin-transfer-guideline" and t.pack_version == "2025-trial"
    pricing = t.decisions["pricing_exemption"]
    assert t.outcome == pricing["outcome"] == "exempt"
    assert pricing["outcome_label"]["zh"] == "定价免责：即使后续价值变化也不追究责任"
    assert pricing["decisive"] == ["tj.diligence.duties_performed", "tj.diligence.no_illegal_gain",
                                   "tj.pricing.listed_or_auction"]
    assert pricing["consequences"] == ["tj.consequence.no_liability_on_value_change"]
    assert pricing["facts"]["transfer_method"]["value"] == "auction"
    assert AuditEvent.objects.filter(action="transfer.create", subject_id=str(t.pk)).exists()


def test_agreement_with_public_notice_is_exempt(fw: FWorld) -> None:
    t = _transfer(fw, "TJ-N", "agreement", notice_where="本校网站及天津市技术交易市场",
                  notice_from=dt.date(2025, 8, 15), notice_to=dt.date(2025, 8, 29))
    assert t.publicly_noticed is True
    pricing = t.decisions["pricing_exemption"]
    assert pricing["outcome"] == "exempt"
    assert pricing["decisive"][-1] == "tj.pricing.agreement_noticed"
    evidence = pricing["facts"]["agreement_price_publicly_noticed"]["evidence"]
    assert any("技术交易市场" in e and "2025-08-15" in e for e in evidence)


def test_agreement_without_notice_is_not_covered_by_the_pricing_clause(fw: FWorld) -> None:
    t = _transfer(fw, "TJ-X", "agreement", publicly_noticed=False)
    pricing = t.decisions["pricing_exemption"]
    assert t.outcome == pricing["outcome"] == "not_exempt"
    assert pricing["outcome_label"]["zh"] == "不适用定价免责条款"
    assert pricing["decisive"] == ["tj.pricing.listed_or_auction", "tj.pricing.agreement_noticed"]
    assert pricing["consequences"] == []


def test_agreement_with_notice_unrecorded_asks_for_it(fw: FWorld) -> None:
    t = _transfer(fw, "TJ-U", "agreement")
    pricing = t.decisions["pricing_exemption"]
    assert pricing["outcome"] == "undetermined" and pricing["needed"] == ["agreement_price_publicly_noticed"]


def test_boundaries_and_correction_first_are_decided_with_their_clauses(fw: FWorld) -> None:
    t = _transfer(fw, "TJ-B", "listed_trading")
    # The unit attests what it is and what the money is (the vocabulary lets the unit establish these).
    t = svc.transfer_set_facts(actor=fw.users["tj_tto"], transfer=t, role="host_unit_attestation",
                               facts={"unit_category": "public_welfare_1", "income_from_achievement_transfer": True,
                                      "payment_is_transfer_cash_reward": True}, evidence=["事业单位法人证书"])
    d = t.decisions
    assert set(d) == {"pricing_exemption", "boundary_public_welfare_income", "boundary_cash_reward",
                      "boundary_horizontal_surplus", "boundary_leader_equity", "correction_first"}
    assert d["boundary_public_welfare_income"]["outcome"] == "exempt"
    assert d["boundary_public_welfare_income"]["outcome_label"]["zh"] == "不视为经营性收入"
    assert d["boundary_cash_reward"]["decisive"] == ["tj.boundary.cash_reward"]
    assert d["boundary_leader_equity"]["outcome"] == "undetermined"
    assert d["boundary_leader_equity"]["needed"] == ["incentive_recipient_is_leader", "incentive_is_transfer_equity"]
    assert d["correction_first"]["outcome"] == "undetermined"
    svc.transfer_set_facts(actor=fw.users["tj_caseworker"], transfer=t, role="investigation_finding",
                           facts={"error_in_service_achievement_handling": True,
                                  "acted_under_law_and_unit_rules": True}, expected_version=2)
    t.refresh_from_db()
    assert t.decisions["correction_first"]["outcome"] == "exempt"
    assert t.decisions["correction_first"]["outcome_label"]["zh"] == "以纠正为主，不进行责任追究"
    assert t.version == 3
    with pytest.raises(Conflict):
        svc.transfer_set_facts(actor=fw.users["tj_caseworker"], transfer=t, role="investigation_finding",
                               facts={"acted_under_law_and_unit_rules": True}, expected_version=2)


def test_bad_transfer_input_names_the_field_and_stores_nothing(fw: FWorld) -> None:
    cases = [
        ({"method": "gift"}, "method"),
        ({"method": "agreement", "publicly_noticed": True, "notice_where": "本校网站"}, "notice_from"),
        ({"method": "agreement", "notice_where": "本校网站", "notice_from": dt.date(2025, 8, 30),
          "notice_to": dt.date(2025, 8, 1)}, "notice_to"),
        ({"method": "auction", "transfer_date": dt.date(2025, 1, 1)}, "transfer_date"),  # before the guideline
        ({"method": "auction", "facts": {"transfer_method": "agreement"}, "role": "investigation_finding"},
         "transfer_method"),
        ({"method": "auction", "facts": {"tj_tianjin_transfer": True}}, "role"),  # which role?
    ]
    for kw, field in cases:
        args = {"actor": fw.users["tj_caseworker"], "unit": fw.orgs["tj_univ"], "code": "TJ-BAD",
                "achievement": "成果", "transfer_date": dt.date(2025, 9, 1), "price_yuan": 100, "role": None, **kw}
        with pytest.raises(Invalid) as e:
            svc.transfer_create(**args)
        assert e.value.field == field, kw
    assert not TransferRecord.objects.exists()


def test_boundary_3_horizontal_project_surplus_may_reward_researchers(fw: FWorld) -> None:
    """政策界限（三）：横向科研项目结余经费可依法奖励科研人员 — decided with its clause, on the unit's attestation."""
    t = _transfer(fw, "TJ-H", "auction")
    surplus = t.decisions["boundary_horizontal_surplus"]
    assert surplus["outcome"] == "undetermined"
    assert surplus["needed"] == ["project_funding_source", "funds_are_project_surplus", "reward_complies_with_rules"]
    t = svc.transfer_set_facts(actor=fw.users["tj_tto"], transfer=t, role="host_unit_attestation",
                               facts={"project_funding_source": "horizontal", "funds_are_project_surplus": True,
                                      "reward_complies_with_rules": True},
                               evidence=["横向合同 HX-2023-015", "结题决算表", "本校横向经费管理办法"])
    surplus = t.decisions["boundary_horizontal_surplus"]
    assert surplus["outcome"] == "exempt"
    assert surplus["outcome_label"]["zh"] == "可依法用于奖励科研人员"
    assert surplus["decisive"] == ["tj.boundary.horizontal_surplus"]
    assert surplus["facts"]["project_funding_source"]["value"] == "horizontal"
    assert surplus["facts"]["project_funding_source"]["by"] == "t_tj_tto"
    assert "结题决算表" in surplus["facts"]["funds_are_project_surplus"]["evidence"]
    assert t.decisions["pricing_exemption"]["outcome"] == "exempt"  # the other determinations are unaffected
    # Surplus of a vertical (government-funded) project is not covered by this boundary.
    t = svc.transfer_set_facts(actor=fw.users["tj_tto"], transfer=t, role="host_unit_attestation",
                               facts={"project_funding_source": "vertical"}, expected_version=t.version)
    surplus = t.decisions["boundary_horizontal_surplus"]
    assert surplus["outcome"] == "not_exempt" and surplus["decisive"] == ["tj.boundary.horizontal_surplus"]
    assert surplus["outcome_label"]["zh"].startswith("本条政策界限不适用")
    # Nor is a reward that did not follow the rules, even from a horizontal project's surplus.
    t = svc.transfer_set_facts(actor=fw.users["tj_caseworker"], transfer=t, role="investigation_finding",
                               facts={"reward_complies_with_rules": False}, expected_version=t.version)
    t = svc.transfer_set_facts(actor=fw.users["tj_tto"], transfer=t, role="host_unit_attestation",
                               facts={"project_funding_source": "horizontal"}, expected_version=t.version)
    assert t.decisions["boundary_horizontal_surplus"]["outcome"] == "not_exempt"
    assert AuditEvent.objects.filter(action="transfer.facts", subject_id=str(t.pk)).count() == 4


def test_findings_are_refused_while_the_pinned_pack_text_has_changed(fw: FWorld) -> None:
    # As for a case: a transfer record is decided under the pack text pinned when it was created. Here the pinned
    # hash no longer matches the loaded text (the version was edited in place): recording findings is refused
    # with 409 naming both hashes, and nothing changes; reading the record still works.
    from rongcuo.common.packs import PackChanged

    t = _transfer(fw, "TJ-P", "listed_trading")
    loaded = t.pack_hash
    TransferRecord.objects.filter(pk=t.pk).update(pack_hash="0" * 64)
    t.refresh_from_db()
    events = AuditEvent.objects.count()
    with pytest.raises(PackChanged) as refused:
        svc.transfer_set_facts(actor=fw.users["tj_tto"], transfer=t, role="host_unit_attestation",
                               facts={"unit_category": "public_welfare_1"})
    err = refused.value
    assert err.status == 409 and err.field == "pack_hash"
    assert "本成果转化记录登记后被原地修改" in err.zh and "0" * 64 in err.zh and loaded in err.zh
    assert "after this transfer record was created" in err.en
    t.refresh_from_db()
    assert t.version == 1 and AuditEvent.objects.count() == events and not t.findings.filter(
        fact_id="unit_category").exists()
    assert svc.transfer_pack(t).content_hash == loaded  # reading does not verify
    TransferRecord.objects.filter(pk=t.pk).update(pack_hash=loaded)
    t.refresh_from_db()
    assert svc.transfer_set_facts(actor=fw.users["tj_tto"], transfer=t, role="host_unit_attestation",
                                  facts={"unit_category": "public_welfare_1"}).version == 2
