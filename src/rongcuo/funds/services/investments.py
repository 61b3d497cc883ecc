"""A fund's investments, their valuations and exits, and the manager's exemption decision on one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.common.errors import Conflict, Invalid, PreconditionFailed
from rongcuo.engine.render import result_json
from rongcuo.funds import permissions as perm
from rongcuo.funds import rules, selectors, services
from rongcuo.funds.models import Exit, ExitKind, Fund, Investment, ManagerExemption, Stage, Valuation
from rongcuo.funds.services.funds import record_findings
from rongcuo.funds.services.inputs import code_field, money_field, past_date, text_field


@transaction.atomic
def investment_create(*, actor: Any, fund: Fund, company: str, category: str, amount_yuan: Any,
                      invested_on: Any, code: str = "", stage: str = "", qualifies_for_full_tolerance: bool = False,
                      qualification_reason: str = "") -> Investment:
    perm.require(perm.fund_roles(actor, fund), {"manager"}, "登记投资", "register investments")
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    company = text_field(company, "company", "被投企业", "the investee company", max_len=200)
    if category not in fund.categories:
        raise Invalid(f"该基金的投资类别为：{', '.join(fund.categories)}",
                      f"the fund's categories are: {', '.join(fund.categories)}", field="category")
    stages = [s.value for s in Stage]
    if stage and stage not in stages:
        raise Invalid(f"投资阶段应为：{', '.join(stages)}", f"the stage is one of: {', '.join(stages)}", field="stage")
    amount = money_field(amount_yuan, "amount_yuan", "投资金额", "the amount invested", positive=True)
    day = past_date(invested_on, "invested_on", "投资日期", "the investment date")
    if day < fund.vintage_date or day >= fund.life_end:
        raise Invalid(f"投资日期应在基金存续期内（{fund.vintage_date} 至 {fund.life_end}）",
                      f"the investment date must fall within the fund's term ({fund.vintage_date} to "
                      f"{fund.life_end})", field="invested_on")
    total = sum((i.amount_yuan for i in fund.investments.all()), Decimal(0))
    if total + amount > fund.size_yuan:
        raise Invalid(f"累计投资额将超过基金规模（已投 {total} 元，规模 {fund.size_yuan} 元）",
                      f"the investments would exceed the fund size (invested {total}, size {fund.size_yuan})",
                      field="amount_yuan")
    if not isinstance(qualifies_for_full_tolerance, bool):
        raise Invalid("是否符合全额容亏条件应为是或否", "qualifies_for_full_tolerance must be true or false",
                      field="qualifies_for_full_tolerance")
    reason = text_field(qualification_reason, "qualification_reason", "符合条件的理由", "the reason", max_len=2000,
                   required=qualifies_for_full_tolerance)
    code = code_field(code) if code else f"{fund.code}-{fund.investments.count() + 1:03d}"
    if fund.investments.filter(code=code).exists():
        raise Conflict(f"投资编号 {code} 已存在", f"investment code {code} is taken", field="code")
    inv = Investment.objects.create(fund=fund, code=code, company=company, category=category, stage=stage,
                                    amount_yuan=amount, invested_on=day,
                                    qualifies_for_full_tolerance=qualifies_for_full_tolerance,
                                    qualification_reason=reason, created_by=actor)
    audit_append(actor=actor, action="investment.create", subject=inv, after={
        "fund": fund.code, "code": code, "company": company, "category": category, "stage": stage,
        "amount_yuan": amount, "invested_on": day, "qualifies_for_full_tolerance": qualifies_for_full_tolerance,
        "qualification_reason": reason})
    return inv


@transaction.atomic
def investment_set_facts(*, actor: Any, investment: Investment, facts: Mapping[str, Any], role: str | None = None,
                         evidence: Iterable[str] = (), note: str = "") -> Investment:
    """Record findings about one investment (diligence, cause of the loss, …) with provenance."""
    fund = investment.fund
    before = {k: v["value"] for k, v in selectors.findings_of(fund, investment).items() if k in (facts or {})}
    recorded = record_findings(actor=actor, fund=fund, investment=investment, facts=facts, role=role,
                                evidence=evidence, note=note)
    audit_append(actor=actor, action="investment.facts", subject=investment, before={"facts": before},
                 after=recorded)
    return investment


def _no_procedure(investment: Investment, day: dt.date) -> None:
    """Refuse a direct decision when the fund's pack, or the pack that decides the exemption, prescribes a
    procedure (investigation, panel, collective decision, notice): that procedure is followed as a case."""
    pack = selectors.fund_pack(investment.fund, day)
    found = rules.exemption_determination(pack, selectors.registry(), day)
    for p in (pack, found[0] if found else None):
        if p is not None and p.procedure is not None:
            raise PreconditionFailed(
                f"政策包 {p.ref} 规定了认定程序：尽职免责应作为案件提出，按该程序办理（受理、调查、评审、集体审定等），"
                "不能在此直接认定",
                f"pack {p.ref} prescribes a procedure: file the manager's exemption as a case and decide it through "
                "that procedure (acceptance, investigation, review, collective decision); it cannot be decided "
                "directly here", field="pack_id")


@transaction.atomic
def investment_decide_exemption(*, actor: Any, investment: Investment, on: Any = None) -> ManagerExemption:
    """Decide and freeze the manager's due-diligence exemption for the loss on `investment`.

    Only where no pack concerned prescribes a procedure: when the fund's pack or the pack that decides the
    exemption has one (procedure.yaml), the exemption goes through that procedure as a case, not here.
    """
    perm.require(perm.fund_roles(actor, investment.fund), {"supervisor"}, "作出尽职免责认定",
                 "decide the manager's exemption")
    day = services.today() if on is None else past_date(on, "on", "认定日期", "the decision date")
    _no_procedure(investment, day)
    res = selectors.exemption_result(investment, day)
    record = result_json(res)
    ex = ManagerExemption.objects.create(investment=investment, on=day, pack_ref=res.pack.ref,
                                         pack_hash=res.pack.content_hash, determination=res.determination,
                                         outcome=res.outcome, record=record, decided_by=actor,
                                         decided_at=timezone.now())
    audit_append(actor=actor, action="investment.exemption", subject=investment, after={
        "exemption": ex.pk, "on": day, "pack": ex.pack_ref, "determination": ex.determination,
        "outcome": ex.outcome, "decisive": res.decisive, "needed": res.needed})
    return ex


@transaction.atomic
def valuation_create(*, actor: Any, investment: Investment, valued_on: Any, fair_value_yuan: Any,
                     basis: str = "") -> Valuation:
    perm.require(perm.fund_roles(actor, investment.fund), {"manager"}, "登记估值", "record valuations")
    investment = Investment.objects.select_for_update().get(pk=investment.pk)
    day = past_date(valued_on, "valued_on", "估值日期", "the valuation date")
    value = money_field(fair_value_yuan, "fair_value_yuan", "公允价值", "the fair value")
    basis = text_field(basis, "basis", "估值依据", "the basis", max_len=300, required=False)
    if day < investment.invested_on:
        raise Invalid("估值日期早于投资日期", "the valuation date is before the investment date", field="valued_on")
    ex = Exit.objects.filter(investment=investment).first()
    if ex is not None and day > ex.exited_on:
        raise Invalid("该投资已退出或核销，之后不再估值", "the investment has ended; no valuation after its exit",
                      field="valued_on")
    if investment.valuations.filter(valued_on=day).exists():
        raise Conflict(f"{day} 已有估值", f"there is already a valuation on {day}", field="valued_on")
    v = Valuation.objects.create(investment=investment, valued_on=day, fair_value_yuan=value, basis=basis,
                                 created_by=actor)
    audit_append(actor=actor, action="valuation.create", subject=investment,
                 after={"valuation": v.pk, "valued_on": day, "fair_value_yuan": value, "basis": basis})
    return v


@transaction.atomic
def exit_create(*, actor: Any, investment: Investment, kind: str, exited_on: Any, proceeds_yuan: Any,
                note: str = "") -> Exit:
    """Record the end of an investment: an exit with its proceeds, or a write-off (proceeds usually 0)."""
    perm.require(perm.fund_roles(actor, investment.fund), {"manager"}, "登记退出或核销", "record exits")
    investment = Investment.objects.select_for_update().get(pk=investment.pk)
    kinds = [k.value for k in ExitKind]
    if kind not in kinds:
        raise Invalid(f"类型应为：{', '.join(kinds)}", f"the kind is one of: {', '.join(kinds)}", field="kind")
    day = past_date(exited_on, "exited_on", "退出日期", "the exit date")
    proceeds = money_field(proceeds_yuan, "proceeds_yuan", "收回金额", "the proceeds")
    note = text_field(note, "note", "说明", "the note", max_len=300, required=False)
    if day < investment.invested_on:
        raise Invalid("退出日期早于投资日期", "the exit date is before the investment date", field="exited_on")
    last = investment.valuations.order_by("-valued_on").first()
    if last is not None and day < last.valued_on:
        raise Invalid(f"退出日期早于最近一次估值（{last.valued_on}）",
                      f"the exit date is before the latest valuation ({last.valued_on})", field="exited_on")
    if kind == ExitKind.write_off and proceeds > investment.amount_yuan:
        raise Invalid("核销收回金额不能超过投资额", "a write-off cannot return more than the amount invested",
                      field="proceeds_yuan")
    if Exit.objects.filter(investment=investment).exists():
        raise Conflict("该投资已退出或核销", "the investment has already ended", field="investment")
    try:
        with transaction.atomic():
            ex = Exit.objects.create(investment=investment, kind=kind, exited_on=day, proceeds_yuan=proceeds,
                                     note=note, created_by=actor)
    except IntegrityError:
        raise Conflict("该投资已退出或核销", "the investment has already ended", field="investment") from None
    audit_append(actor=actor, action="exit.create", subject=investment,
                 after={"kind": kind, "exited_on": day, "proceeds_yuan": proceeds, "note": note})
    return ex
