"""JSON API for funds (容亏) and technology transfers (成果转化定价). Thin: every write calls a service.

Mounted by `rongcuo.web.api`:

    from rongcuo.funds.api import router as funds_router, transfers as transfers_router
    api.add_router("/funds", funds_router)
    api.add_router("/transfers", transfers_router)

Every loss figure is returned with the loss measure (`loss_measure`: id, label, definition and the pack
parameter value it comes from) it was computed under.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from rongcuo.common.api import Whole
from rongcuo.common.errors import Invalid, NotFound
from rongcuo.engine.render import outcome_text, result_json
from rongcuo.funds import permissions as perm
from rongcuo.funds import selectors
from rongcuo.funds import services as svc
from rongcuo.funds.models import Finding, Fund, Investment, ManagerExemption, ToleranceCheck, TransferRecord
from rongcuo.registry.models import Organisation

router = Router(tags=["funds"])
transfers = Router(tags=["transfers"])


# --- schemas ------------------------------------------------------------------------------------------

class FactsIn(Schema):
    facts: dict[str, Any]
    role: str | None = None
    evidence: list[str] = []
    note: str = ""


class FundIn(Schema):
    code: str
    name_zh: str
    name_en: str = ""
    pack_id: str | None = None
    manager_id: Whole
    supervisor_id: Whole
    size_yuan: Decimal
    vintage_date: dt.date
    term_years: Whole
    categories: list[str]
    category_fact: str = ""
    facts: dict[str, Any] | None = None
    role: str | None = None
    evidence: list[str] = []
    note: str = ""


class TermEndIn(Schema):
    term_end: dt.date
    reason: str


class InvestmentIn(Schema):
    company: str
    category: str
    amount_yuan: Decimal
    invested_on: dt.date
    code: str = ""
    stage: str = ""
    qualifies_for_full_tolerance: bool = False
    qualification_reason: str = ""


class ValuationIn(Schema):
    valued_on: dt.date
    fair_value_yuan: Decimal
    basis: str = ""


class ExitIn(Schema):
    kind: str
    exited_on: dt.date
    proceeds_yuan: Decimal
    note: str = ""


class OnIn(Schema):
    on: dt.date | None = None


class TransferIn(Schema):
    unit_id: Whole
    code: str
    achievement: str
    method: str
    transfer_date: dt.date
    price_yuan: Decimal
    publicly_noticed: bool | None = None
    notice_where: str = ""
    notice_from: dt.date | None = None
    notice_to: dt.date | None = None
    later_value_yuan: Decimal | None = None
    later_value_on: dt.date | None = None
    pack_id: str | None = None
    facts: dict[str, Any] | None = None
    role: str | None = None
    evidence: list[str] = []
    note: str = ""


class TransferFactsIn(FactsIn):
    version: int | None = None


class LaterValueIn(Schema):
    later_value_yuan: Decimal
    later_value_on: dt.date
    version: Whole | None = None


# --- helpers ------------------------------------------------------------------------------------------

def _org(pk: int, field: str) -> Organisation:
    org = Organisation.objects.filter(pk=pk).first() if perm.valid_pk(pk) else None
    if org is None:
        raise Invalid("机构不存在", "no such organisation", field=field)
    return org


def _investment_for(user: Any, pk: int) -> Investment:
    inv = selectors.investment(pk)
    if inv is None or not perm.fund_roles(user, inv.fund):
        raise NotFound("投资不存在", "no such investment", field="investment")
    return inv


def _finding_out(f: Finding) -> dict[str, Any]:
    return {"fact_id": f.fact_id, "value": f.value, "role": f.role, "established_by": f.established_by.get_username(),
            "established_at": f.established_at.isoformat(), "evidence": f.evidence, "note": f.note,
            "current": f.current}


def _investment_out(inv: Investment, *, full: bool = False) -> dict[str, Any]:
    ex = getattr(inv, "exit", None) if hasattr(inv, "exit") else None
    out: dict[str, Any] = {
        "id": inv.pk, "fund_id": inv.fund_id, "code": inv.code, "company": inv.company, "category": inv.category,
        "stage": inv.stage or None, "amount_yuan": float(inv.amount_yuan), "invested_on": inv.invested_on.isoformat(),
        "qualifies_for_full_tolerance": inv.qualifies_for_full_tolerance,
        "qualification_reason": inv.qualification_reason,
        "exit": ({"kind": ex.kind, "exited_on": ex.exited_on.isoformat(), "proceeds_yuan": float(ex.proceeds_yuan),
                  "note": ex.note} if ex else None),
    }
    if full:
        out["valuations"] = [{"valued_on": v.valued_on.isoformat(), "fair_value_yuan": float(v.fair_value_yuan),
                              "basis": v.basis} for v in inv.valuations.all()]
        out["findings"] = [_finding_out(f) for f in inv.findings.select_related("established_by")]
        out["exemptions"] = [_exemption_out(e, record=False) for e in inv.exemptions.all()]
    return out


def _fund_out(fund: Fund, user: Any, *, full: bool = False) -> dict[str, Any]:
    out = {**selectors.fund_summary(fund), "manager": fund.manager.name_zh, "supervisor": fund.supervisor.name_zh,
           "roles": sorted(perm.fund_roles(user, fund))}
    if full:
        out["investments"] = [_investment_out(i) for i in fund.investments.select_related("exit")]
        out["findings"] = [_finding_out(f) for f in fund.findings.filter(investment__isnull=True)
                           .select_related("established_by")]
    return out


def _decision_out(record: dict[str, Any], pack: Any) -> dict[str, Any]:
    det = record["determination"]
    return {"pack": pack.ref, "determination": det,
            "determination_label": pack.determinations[det].label.model_dump(), "outcome": record["outcome"],
            "outcome_label": {"zh": outcome_text(pack, det, record["outcome"], "zh"),
                              "en": outcome_text(pack, det, record["outcome"], "en")},
            "decisive": record["decisive"], "needed": record["needed"],
            "needed_questions": record.get("needed_questions", []), "record": record}


def _exemption_out(ex: ManagerExemption, *, record: bool = True) -> dict[str, Any]:
    out = {"id": ex.pk, "investment_id": ex.investment_id, "on": ex.on.isoformat(), "pack": ex.pack_ref,
           "pack_hash": ex.pack_hash, "determination": ex.determination, "outcome": ex.outcome,
           "outcome_label": ex.record.get("outcome_label"), "decisive": ex.record.get("decisive"),
           "needed": ex.record.get("needed"), "needed_questions": ex.record.get("needed_questions"),
           "decided_by": ex.decided_by.get_username(), "decided_at": ex.decided_at.isoformat()}
    if record:
        out["record"] = ex.record
    return out


def _check_out(c: ToleranceCheck, *, report: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"id": c.pk, "fund_id": c.fund_id, "on": c.on.isoformat(), "pack": c.pack_ref,
                           "pack_hash": c.pack_hash, "loss_measure": c.report["loss_measure"], "interim": c.interim,
                           "life": c.report["life"], "checked_by": c.checked_by.get_username(),
                           "checked_at": c.checked_at.isoformat()}
    if report:
        out["report"] = c.report
    else:
        out["categories"] = [{k: v for k, v in cat.items() if k != "record"} for cat in c.report["categories"]]
        out["fund_total"] = {k: v for k, v in c.report["fund_total"].items() if k != "record"}
    return out


def _transfer_out(t: TransferRecord, *, full: bool = False) -> dict[str, Any]:
    pack = svc.transfer_pack(t)
    default = pack.default_determination
    change = None
    if t.later_value_yuan is not None and t.price_yuan:
        change = float((t.later_value_yuan - t.price_yuan) / t.price_yuan)
    out: dict[str, Any] = {
        "id": t.pk, "code": t.code, "unit_id": t.unit_id, "unit": t.unit.name_zh, "achievement": t.achievement,
        "method": t.method, "transfer_date": t.transfer_date.isoformat(), "price_yuan": float(t.price_yuan),
        "publicly_noticed": t.publicly_noticed, "notice_where": t.notice_where,
        "notice_from": t.notice_from.isoformat() if t.notice_from else None,
        "notice_to": t.notice_to.isoformat() if t.notice_to else None,
        "later_value_yuan": None if t.later_value_yuan is None else float(t.later_value_yuan),
        "later_value_on": t.later_value_on.isoformat() if t.later_value_on else None, "value_change": change,
        "pack": pack.ref, "pack_hash": t.pack_hash, "version": t.version,
        "pricing": _decision_out(t.decisions[default], pack) if default in t.decisions else None,
    }
    if full:
        out["determinations"] = {d: _decision_out(r, pack) for d, r in t.decisions.items()}
        out["findings"] = [{"fact_id": f.fact_id, "value": f.value, "role": f.role,
                            "established_by": f.established_by.get_username(),
                            "established_at": f.established_at.isoformat(), "evidence": f.evidence, "note": f.note,
                            "current": f.current} for f in t.findings.select_related("established_by")]
    elif out["pricing"]:
        out["pricing"] = {k: v for k, v in out["pricing"].items() if k != "record"}
    return out


# --- funds --------------------------------------------------------------------------------------------

@router.get("")
def funds_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_fund_out(f, request.user) for f in perm.visible_funds(request.user)]


@router.post("", response={201: dict})
def funds_create(request: HttpRequest, payload: FundIn) -> Any:
    fund = svc.fund_create(actor=request.user, code=payload.code, name_zh=payload.name_zh, name_en=payload.name_en,
                           pack_id=payload.pack_id, manager=_org(payload.manager_id, "manager_id"),
                           supervisor=_org(payload.supervisor_id, "supervisor_id"), size_yuan=payload.size_yuan,
                           vintage_date=payload.vintage_date, term_years=payload.term_years,
                           categories=payload.categories, category_fact=payload.category_fact, facts=payload.facts,
                           role=payload.role, evidence=payload.evidence, note=payload.note)
    return Status(201, _fund_out(fund, request.user, full=True))


@router.get("/{fund_id}")
def funds_get(request: HttpRequest, fund_id: int) -> dict[str, Any]:
    return _fund_out(perm.fund_for(request.user, fund_id), request.user, full=True)


@router.post("/{fund_id}/facts")
def funds_facts(request: HttpRequest, fund_id: int, payload: FactsIn) -> dict[str, Any]:
    fund = perm.fund_for(request.user, fund_id)
    svc.fund_set_facts(actor=request.user, fund=fund, facts=payload.facts, role=payload.role,
                       evidence=payload.evidence, note=payload.note)
    return _fund_out(fund, request.user, full=True)


@router.post("/{fund_id}/term-end")
def funds_term_end(request: HttpRequest, fund_id: int, payload: TermEndIn) -> dict[str, Any]:
    fund = svc.fund_set_term_end(actor=request.user, fund=perm.fund_for(request.user, fund_id),
                                 term_end=payload.term_end, reason=payload.reason)
    return _fund_out(fund, request.user)


@router.get("/{fund_id}/investments")
def investments_list(request: HttpRequest, fund_id: int) -> list[dict[str, Any]]:
    fund = perm.fund_for(request.user, fund_id)
    return [_investment_out(i) for i in fund.investments.select_related("exit")]


@router.post("/{fund_id}/investments", response={201: dict})
def investments_create(request: HttpRequest, fund_id: int, payload: InvestmentIn) -> Any:
    fund = perm.fund_for(request.user, fund_id)
    inv = svc.investment_create(actor=request.user, fund=fund, company=payload.company, category=payload.category,
                                amount_yuan=payload.amount_yuan, invested_on=payload.invested_on, code=payload.code,
                                stage=payload.stage,
                                qualifies_for_full_tolerance=payload.qualifies_for_full_tolerance,
                                qualification_reason=payload.qualification_reason)
    return Status(201, _investment_out(inv, full=True))


@router.get("/{fund_id}/loss-report")
def funds_loss_report(request: HttpRequest, fund_id: int, on: dt.date | None = None) -> dict[str, Any]:
    """Loss position by category and for the fund against the limits, now and over time, with the definition."""
    fund = perm.fund_for(request.user, fund_id)
    return selectors.loss_report(fund, on or selectors.today())


@router.get("/{fund_id}/tolerance")
def funds_tolerance(request: HttpRequest, fund_id: int, on: dt.date | None = None) -> dict[str, Any]:
    """The tolerance check on `on` (default today), with every engine record; nothing is stored."""
    fund = perm.fund_for(request.user, fund_id)
    return selectors.tolerance_report(fund, on or selectors.today())


@router.get("/{fund_id}/checks")
def funds_checks(request: HttpRequest, fund_id: int) -> list[dict[str, Any]]:
    fund = perm.fund_for(request.user, fund_id)
    return [_check_out(c, report=False) for c in fund.checks.select_related("checked_by")]


@router.post("/{fund_id}/checks", response={201: dict})
def funds_check(request: HttpRequest, fund_id: int, payload: OnIn) -> Any:
    check = svc.fund_check(actor=request.user, fund=perm.fund_for(request.user, fund_id), on=payload.on)
    return Status(201, _check_out(check))


# --- investments --------------------------------------------------------------------------------------

@router.get("/investments/{investment_id}")
def investments_get(request: HttpRequest, investment_id: int) -> dict[str, Any]:
    return _investment_out(_investment_for(request.user, investment_id), full=True)


@router.post("/investments/{investment_id}/valuations", response={201: dict})
def valuations_create(request: HttpRequest, investment_id: int, payload: ValuationIn) -> Any:
    inv = _investment_for(request.user, investment_id)
    svc.valuation_create(actor=request.user, investment=inv, valued_on=payload.valued_on,
                         fair_value_yuan=payload.fair_value_yuan, basis=payload.basis)
    return Status(201, _investment_out(inv, full=True))


@router.post("/investments/{investment_id}/exit", response={201: dict})
def exits_create(request: HttpRequest, investment_id: int, payload: ExitIn) -> Any:
    inv = _investment_for(request.user, investment_id)
    svc.exit_create(actor=request.user, investment=inv, kind=payload.kind, exited_on=payload.exited_on,
                    proceeds_yuan=payload.proceeds_yuan, note=payload.note)
    return Status(201, _investment_out(Investment.objects.get(pk=inv.pk), full=True))


@router.post("/investments/{investment_id}/facts")
def investments_facts(request: HttpRequest, investment_id: int, payload: FactsIn) -> dict[str, Any]:
    inv = _investment_for(request.user, investment_id)
    svc.investment_set_facts(actor=request.user, investment=inv, facts=payload.facts, role=payload.role,
                             evidence=payload.evidence, note=payload.note)
    return _investment_out(inv, full=True)


@router.get("/investments/{investment_id}/exemption")
def exemption_preview(request: HttpRequest, investment_id: int, on: dt.date | None = None) -> dict[str, Any]:
    """The manager's due-diligence exemption as the facts stand (nothing stored): outcome, trace, facts needed."""
    inv = _investment_for(request.user, investment_id)
    res = selectors.exemption_result(inv, on or selectors.today())
    return _decision_out(result_json(res), res.pack)


@router.post("/investments/{investment_id}/exemption", response={201: dict})
def exemption_decide(request: HttpRequest, investment_id: int, payload: OnIn) -> Any:
    inv = _investment_for(request.user, investment_id)
    ex = svc.investment_decide_exemption(actor=request.user, investment=inv, on=payload.on)
    return Status(201, _exemption_out(ex))


# --- transfers ----------------------------------------------------------------------------------------

@transfers.get("")
def transfers_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_transfer_out(t) for t in perm.visible_transfers(request.user)]


@transfers.post("", response={201: dict})
def transfers_create(request: HttpRequest, payload: TransferIn) -> Any:
    t = svc.transfer_create(
        actor=request.user, unit=_org(payload.unit_id, "unit_id"), code=payload.code,
        achievement=payload.achievement, method=payload.method, transfer_date=payload.transfer_date,
        price_yuan=payload.price_yuan, publicly_noticed=payload.publicly_noticed, notice_where=payload.notice_where,
        notice_from=payload.notice_from, notice_to=payload.notice_to, later_value_yuan=payload.later_value_yuan,
        later_value_on=payload.later_value_on, pack_id=payload.pack_id, facts=payload.facts, role=payload.role,
        evidence=payload.evidence, note=payload.note)
    return Status(201, _transfer_out(t, full=True))


@transfers.get("/{transfer_id}")
def transfers_get(request: HttpRequest, transfer_id: int) -> dict[str, Any]:
    return _transfer_out(perm.transfer_for(request.user, transfer_id), full=True)


@transfers.post("/{transfer_id}/facts")
def transfers_facts(request: HttpRequest, transfer_id: int, payload: TransferFactsIn) -> dict[str, Any]:
    t = svc.transfer_set_facts(actor=request.user, transfer=perm.transfer_for(request.user, transfer_id),
                               facts=payload.facts, role=payload.role, evidence=payload.evidence, note=payload.note,
                               expected_version=payload.version)
    return _transfer_out(t, full=True)


@transfers.post("/{transfer_id}/later-value")
def transfers_later_value(request: HttpRequest, transfer_id: int, payload: LaterValueIn) -> dict[str, Any]:
    t = svc.transfer_set_later_value(actor=request.user, transfer=perm.transfer_for(request.user, transfer_id),
                                     later_value_yuan=payload.later_value_yuan,
                                     later_value_on=payload.later_value_on, expected_version=payload.version)
    return _transfer_out(t, full=True)
