"""State venture funds (政府投资基金): registered under a pack, their term, findings and loss-tolerance checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.common.errors import Conflict, Forbidden, Invalid
from rongcuo.engine.pack import Pack
from rongcuo.funds import permissions as perm
from rongcuo.funds import rules, selectors, services
from rongcuo.funds.measures import UnknownMeasure, add_years
from rongcuo.funds.models import Category, Finding, Fund, Investment, ToleranceCheck
from rongcuo.funds.services.inputs import (
    code_field,
    date_field,
    evidence_refs,
    finding_role,
    money_field,
    parse_findings,
    past_date,
    pick_pack,
    text_field,
)
from rongcuo.registry.models import Organisation, OrgKind

EARLIEST, LATEST = dt.date(1980, 1, 1), dt.date(2100, 12, 31)  # dates a fund's term may have
FUND_DOMAIN = "state_venture_fund"


def _categories(value: Any) -> list[str]:
    allowed = [c.value for c in Category]
    if not isinstance(value, list | tuple) or not value:
        raise Invalid(f"请列出基金使用的投资类别（{', '.join(allowed)}）",
                      f"list the investment categories the fund uses ({', '.join(allowed)})", field="categories")
    out = []
    for c in value:
        if c not in allowed:
            raise Invalid(f"未知类别 {c!r}；可选：{', '.join(allowed)}", f"unknown category {c!r}; allowed: "
                          f"{', '.join(allowed)}", field="categories")
        if c in out:
            raise Invalid(f"类别 {c} 重复", f"category {c} is listed twice", field="categories")
        out.append(c)
    return out


def _fund_pack_checks(pack: Pack, categories: list[str], category_fact: str) -> None:
    try:
        rules.loss_measure(pack, pack.meta.effective_from)
    except UnknownMeasure as exc:
        raise Invalid(f"政策包 {pack.ref} 未以参数 loss_measure 明示亏损计量口径：{exc}",
                      f"pack {pack.ref} does not state its loss measure (parameter loss_measure): {exc}",
                      field="pack_id") from None
    if not rules.ratio_determinations(pack):
        raise Invalid(f"政策包 {pack.ref} 没有容亏认定", f"pack {pack.ref} has no loss-tolerance determination",
                      field="pack_id")
    if category_fact:
        fdef = pack.facts.get(category_fact)
        if fdef is None or fdef.type.value != "enum":
            raise Invalid(f"政策包 {pack.ref} 没有名为 {category_fact} 的类别事实",
                          f"pack {pack.ref} has no enum fact {category_fact}", field="category_fact")
        values = {v.value for v in fdef.values}
        missing = [c for c in categories if c not in values]
        if missing:
            raise Invalid(f"类别 {', '.join(missing)} 不是事实 {category_fact} 的取值",
                          f"categories {', '.join(missing)} are not values of {category_fact}", field="category_fact")


@transaction.atomic
def fund_create(*, actor: Any, code: str, name_zh: str, manager: Organisation, supervisor: Organisation,
                size_yuan: Any, vintage_date: Any, term_years: Any, categories: Any, name_en: str = "",
                pack_id: str | None = None, category_fact: str = "", facts: Mapping[str, Any] | None = None,
                role: str | None = None, evidence: Iterable[str] = (), note: str = "") -> Fund:
    """Register a fund under its pack; `facts` are findings about the fund (e.g. which scheme it belongs to)."""
    if supervisor.kind != OrgKind.bureau:
        raise Invalid("监管机构应为主管部门", "the supervisor must be a bureau", field="supervisor_id")
    if not perm.may_register_fund(actor, supervisor):
        raise Forbidden("只有监管部门经办人或管理员可以登记基金",
                        "only a caseworker of the supervising bureau or an administrator may register a fund",
                        field="supervisor_id")
    if manager.kind != OrgKind.fund:
        raise Invalid("管理机构应为基金管理机构（机构类别 fund）",
                      "the manager must be a fund-management organisation (kind fund)", field="manager_id")
    code = code_field(code)
    name_zh = text_field(name_zh, "name_zh", "基金中文名称", "the fund's Chinese name", max_len=200)
    name_en = text_field(name_en, "name_en", "基金英文名称", "the fund's English name", max_len=200, required=False)
    size = money_field(size_yuan, "size_yuan", "基金规模", "the fund size", positive=True)
    vintage = date_field(vintage_date, "vintage_date", "设立日期", "the vintage date")
    if not EARLIEST <= vintage <= LATEST:
        raise Invalid(f"设立日期应在 {EARLIEST} 至 {LATEST} 之间", f"the vintage date must fall between {EARLIEST} "
                      f"and {LATEST}", field="vintage_date")
    if isinstance(term_years, bool) or not isinstance(term_years, int) or not 1 <= term_years <= 30:
        raise Invalid("存续期应为 1 至 30 年的整数", "the term is a whole number of years from 1 to 30",
                      field="term_years")
    cats = _categories(categories)
    category_fact = (category_fact or "").strip()
    pack = pick_pack(pack_id, supervisor, FUND_DOMAIN)
    _fund_pack_checks(pack, cats, category_fact)
    if Fund.objects.filter(code=code).exists():
        raise Conflict(f"基金编号 {code} 已存在", f"fund code {code} is taken", field="code")
    fund = Fund.objects.create(code=code, name_zh=name_zh, name_en=name_en, pack_id=pack.id, manager=manager,
                               supervisor=supervisor, size_yuan=size, vintage_date=vintage, term_years=term_years,
                               categories=cats, category_fact=category_fact, created_by=actor)
    recorded: dict[str, Any] = {}
    if facts:
        recorded = record_findings(actor=actor, fund=fund, investment=None, facts=facts, role=role,
                                    evidence=evidence, note=note)
    audit_append(actor=actor, action="fund.create", subject=fund,
                 after={**selectors.fund_summary(fund), "facts": recorded})
    return fund


@transaction.atomic
def fund_set_term_end(*, actor: Any, fund: Fund, term_end: Any, reason: str) -> Fund:
    """Record an approved end of the term other than vintage + term: an extension or an early liquidation."""
    perm.require(perm.fund_roles(actor, fund), {"supervisor"}, "变更基金存续期", "change the fund's term")
    end = date_field(term_end, "term_end", "存续期届满日", "the end of the term")
    if end <= fund.vintage_date or end > LATEST:
        raise Invalid(f"存续期届满日应晚于设立日期、不晚于 {LATEST}",
                      f"the end of the term must be after the vintage date and not after {LATEST}", field="term_end")
    reason = text_field(reason, "reason", "变更理由", "the reason", max_len=2000)
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    before = fund.life_end
    fund.term_end = None if end == add_years(fund.vintage_date, fund.term_years) else end
    fund.save(update_fields=["term_end"])
    audit_append(actor=actor, action="fund.term_end", subject=fund,
                 before={"life_end": before}, after={"life_end": fund.life_end, "reason": reason})
    return fund


def record_findings(*, actor: Any, fund: Fund, investment: Investment | None, facts: Mapping[str, Any],
                     role: str | None, evidence: Iterable[str], note: str) -> dict[str, Any]:
    roles = perm.fund_roles(actor, fund)
    role = finding_role(roles, role)
    reserved = set(selectors.RESERVED_FACTS) | ({fund.category_fact} if fund.category_fact else set())
    values = parse_findings(selectors.fund_vocabulary(fund), facts, role, roles, reserved)
    refs = evidence_refs(evidence)
    note = text_field(note, "note", "说明", "the note", max_len=5000, required=False)
    now = timezone.now()
    scope = Finding.objects.filter(fund=fund, fact_id__in=list(values), current=True)
    scope = scope.filter(investment=investment) if investment else scope.filter(investment__isnull=True)
    scope.update(current=False)
    for fid, value in values.items():
        Finding.objects.create(fund=fund, investment=investment, fact_id=fid, value=value, role=role,
                               established_by=actor, established_at=now, evidence=refs, note=note)
    return {"facts": values, "role": role, "evidence": refs}


@transaction.atomic
def fund_set_facts(*, actor: Any, fund: Fund, facts: Mapping[str, Any], role: str | None = None,
                   evidence: Iterable[str] = (), note: str = "") -> Fund:
    """Record findings about the fund (null retracts a finding; history is kept)."""
    before = {k: v["value"] for k, v in selectors.finding_input(fund).items() if k in (facts or {})}
    recorded = record_findings(actor=actor, fund=fund, investment=None, facts=facts, role=role,
                                evidence=evidence, note=note)
    audit_append(actor=actor, action="fund.facts", subject=fund, before={"facts": before}, after=recorded)
    return fund


@transaction.atomic
def fund_check(*, actor: Any, fund: Fund, on: Any = None) -> ToleranceCheck:
    """Run the loss-tolerance check of the fund on `on` (default today) and freeze it."""
    perm.require(perm.fund_roles(actor, fund), {"manager", "supervisor"}, "进行容亏检查", "run a tolerance check")
    day = services.today() if on is None else past_date(on, "on", "检查日期", "the check date")
    if day < fund.vintage_date:
        raise Invalid("检查日期早于基金设立日期", "the check date is before the fund's vintage", field="on")
    report = selectors.tolerance_report(fund, day)
    check = ToleranceCheck.objects.create(
        fund=fund, on=day, pack_ref=report["pack"]["ref"], pack_hash=report["pack"]["content_hash"],
        loss_measure=report["loss_measure"]["id"], interim=report["life"]["interim"], report=report,
        checked_by=actor, checked_at=timezone.now())
    audit_append(actor=actor, action="fund.check", subject=fund, after={
        "check": check.pk, "on": day, "pack": check.pack_ref, "loss_measure": check.loss_measure,
        "interim": check.interim,
        "categories": {c["category"]: [c["ratio"], c.get("outcome")] for c in report["categories"]},
        "fund": [report["fund_total"]["ratio"], report["fund_total"].get("outcome")]})
    return check
