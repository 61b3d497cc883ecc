"""Every change to funds and transfer records goes through one of these functions: one transaction, one audit
event. Names follow `<entity>_<action>`; the acting user is an explicit keyword argument. Errors are
`rongcuo.common.errors.ServiceError`s (code, message in Chinese and English, field); a failed call leaves stored
data as it was.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.common.errors import Conflict, Forbidden, Invalid, PreconditionFailed
from rongcuo.common.packs import pack_changed
from rongcuo.engine.decide import decide
from rongcuo.engine.facts import InputError, parse_facts
from rongcuo.engine.model import FactDef
from rongcuo.engine.pack import Pack, UnknownPack
from rongcuo.engine.render import result_json
from rongcuo.funds import permissions as perm
from rongcuo.funds import reports, rules
from rongcuo.funds.measures import UnknownMeasure, add_years
from rongcuo.funds.models import (
    Category,
    Exit,
    ExitKind,
    Finding,
    Fund,
    Investment,
    ManagerExemption,
    Stage,
    ToleranceCheck,
    TransferFinding,
    TransferMethod,
    TransferRecord,
    Valuation,
)
from rongcuo.registry.models import Organisation, OrgKind

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_YUAN = Decimal("1e14")
EARLIEST, LATEST = dt.date(1980, 1, 1), dt.date(2100, 12, 31)  # dates a fund's term may have
FUND_DOMAIN = "state_venture_fund"
TRANSFER_DOMAIN = "tech_transfer"
# Facts a transfer record itself carries (change the record, not a finding).
TRANSFER_RECORD_FACTS = {"transfer_method", "agreement_price_publicly_noticed"}


def today() -> dt.date:
    return timezone.localdate()


# --- input checks -------------------------------------------------------------------------------------

def _text(value: Any, field: str, zh: str, en: str, *, max_len: int, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise Invalid(f"{zh}应为文字", f"{en} must be text", field=field)
    if required and not text:
        raise Invalid(f"请填写{zh}", f"{en} is required", field=field)
    if len(text) > max_len:
        raise Invalid(f"{zh}不能超过 {max_len} 字", f"{en} may be at most {max_len} characters", field=field)
    return text


def _money(value: Any, field: str, zh: str, en: str, *, positive: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value)) if not isinstance(value, bool) and value is not None else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise Invalid(f"{zh}应为金额（元）", f"{en} must be an amount in yuan", field=field)
    if amount < 0 or (positive and amount == 0):
        least = ("大于", "above") if positive else ("不小于", "at least")
        raise Invalid(f"{zh}应{least[0]}零", f"{en} must be {least[1]} zero", field=field)
    if amount >= MAX_YUAN:
        raise Invalid(f"{zh}过大", f"{en} is too large", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise Invalid(f"{zh}最多保留两位小数（分）", f"{en} may have at most two decimals (fen)", field=field)
    return amount.quantize(Decimal("0.01"))


def _date(value: Any, field: str, zh: str, en: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise Invalid(f"{zh}应为日期（YYYY-MM-DD）", f"{en} must be a date (YYYY-MM-DD)", field=field)


def _past(value: Any, field: str, zh: str, en: str) -> dt.date:
    """A date that has happened: a record or a frozen decision cannot be dated after today."""
    day = _date(value, field, zh, en)
    if day > today():
        raise Invalid(f"{zh}不能晚于今天（{today()}）", f"{en} cannot be later than today ({today()})", field=field)
    return day


def _code(value: Any, field: str = "code") -> str:
    if not isinstance(value, str) or not CODE.match(value):
        raise Invalid("编号只能由字母、数字和 . _ - 组成（最多 64 个字符）",
                      "a code is letters, digits and . _ - (at most 64 characters)", field=field)
    return value


def _evidence(values: Iterable[Any]) -> list[str]:
    out = []
    for v in values or ():
        if not isinstance(v, str) or not v.strip() or len(v) > 300:
            raise Invalid("证据应为文件名或文号（每项最多 300 字）",
                          "evidence is a list of document references (at most 300 characters each)",
                          field="evidence")
        out.append(v.strip())
    if len(out) > 50:
        raise Invalid("证据最多 50 项", "at most 50 evidence references", field="evidence")
    return out


def _pick_pack(pack_id: str | None, bureau: Organisation | None, domain: str, field: str = "pack_id") -> Pack:
    """The pack named, or the first of the bureau's packs for the domain; checked against the domain."""
    registry = reports.registry()
    candidates = list(bureau.packs) if bureau is not None else []
    if not pack_id:
        for pid in candidates:
            try:
                if domain in registry.get(pid).meta.domain:
                    pack_id = pid
                    break
            except UnknownPack:
                continue
    if not pack_id:
        raise Invalid("请指定适用的政策包", "name the policy pack that applies", field=field)
    if candidates and pack_id not in candidates:
        raise Invalid(f"该主管部门适用的政策包为：{', '.join(candidates)}",
                      f"this bureau applies: {', '.join(candidates)}", field=field)
    try:
        pack: Pack = registry.get(pack_id)
    except UnknownPack as exc:
        raise Invalid(f"没有该政策包：{exc}", f"no such pack: {exc}", field=field) from None
    if domain not in pack.meta.domain:
        raise Invalid(f"政策包 {pack_id} 不适用于该领域", f"pack {pack_id} does not cover this domain ({domain})",
                      field=field)
    return pack


def _finding_role(roles: set[str], role: str | None) -> str:
    allowed = set().union(*(perm.FINDING_ROLES.get(r, set()) for r in roles - perm.READ_ONLY))
    if not allowed:
        raise Forbidden("您无权认定事实", "you may not record findings", field="role")
    if role is None:
        if len(allowed) != 1:
            raise Invalid(f"请说明以何种身份认定：{', '.join(sorted(allowed))}",
                          f"say in which role you record the finding: {', '.join(sorted(allowed))}", field="role")
        role = next(iter(allowed))
    if role not in allowed:
        raise Forbidden(f"您不能以 {role} 身份认定事实（可用：{', '.join(sorted(allowed))}）",
                        f"you may not record {role} findings (you may: {', '.join(sorted(allowed))})", field="role")
    return role


def _parse_findings(vocab: Mapping[str, FactDef], facts: Any, role: str, roles: set[str],
                    reserved: set[str]) -> dict[str, Any]:
    """Validated finding values (None retracts), each fact known, settable and established in `role`."""
    if not isinstance(facts, Mapping) or not facts:
        raise Invalid("请至少提供一项事实", "give at least one fact", field="facts")
    for fid in facts:
        if fid in reserved:
            raise Invalid(f"事实 {fid} 由登记记录计算，请修改相应记录", f"fact {fid} is computed from the records; "
                          "change the records instead", field=str(fid))
        fdef = vocab.get(fid)
        if fdef is None:
            raise Invalid(f"未知事实 {fid}；可认定的事实为：{', '.join(sorted(vocab))}",
                          f"unknown fact {fid}; facts that may be recorded: {', '.join(sorted(vocab))}",
                          field=str(fid))
        if role not in {e.value for e in fdef.established_by} and "admin" not in roles:
            names = ", ".join(e.value for e in fdef.established_by)
            raise Forbidden(f"事实 {fid} 应由 {names} 认定", f"fact {fid} is established by {names}", field=str(fid))
    try:
        parsed = parse_facts(vocab, {k: v for k, v in facts.items() if v is not None})
    except InputError as exc:
        raise Invalid(exc.message, exc.message, field=exc.field) from None
    out: dict[str, Any] = {}
    for fid in facts:
        v = parsed.values.get(fid)
        out[fid] = v.isoformat() if isinstance(v, dt.date) else v
    return out


# --- funds --------------------------------------------------------------------------------------------

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
    code = _code(code)
    name_zh = _text(name_zh, "name_zh", "基金中文名称", "the fund's Chinese name", max_len=200)
    name_en = _text(name_en, "name_en", "基金英文名称", "the fund's English name", max_len=200, required=False)
    size = _money(size_yuan, "size_yuan", "基金规模", "the fund size", positive=True)
    vintage = _date(vintage_date, "vintage_date", "设立日期", "the vintage date")
    if not EARLIEST <= vintage <= LATEST:
        raise Invalid(f"设立日期应在 {EARLIEST} 至 {LATEST} 之间", f"the vintage date must fall between {EARLIEST} "
                      f"and {LATEST}", field="vintage_date")
    if isinstance(term_years, bool) or not isinstance(term_years, int) or not 1 <= term_years <= 30:
        raise Invalid("存续期应为 1 至 30 年的整数", "the term is a whole number of years from 1 to 30",
                      field="term_years")
    cats = _categories(categories)
    category_fact = (category_fact or "").strip()
    pack = _pick_pack(pack_id, supervisor, FUND_DOMAIN)
    _fund_pack_checks(pack, cats, category_fact)
    if Fund.objects.filter(code=code).exists():
        raise Conflict(f"基金编号 {code} 已存在", f"fund code {code} is taken", field="code")
    fund = Fund.objects.create(code=code, name_zh=name_zh, name_en=name_en, pack_id=pack.id, manager=manager,
                               supervisor=supervisor, size_yuan=size, vintage_date=vintage, term_years=term_years,
                               categories=cats, category_fact=category_fact, created_by=actor)
    recorded: dict[str, Any] = {}
    if facts:
        recorded = _record_findings(actor=actor, fund=fund, investment=None, facts=facts, role=role,
                                    evidence=evidence, note=note)
    audit_append(actor=actor, action="fund.create", subject=fund,
                 after={**reports.fund_summary(fund), "facts": recorded})
    return fund


@transaction.atomic
def fund_set_term_end(*, actor: Any, fund: Fund, term_end: Any, reason: str) -> Fund:
    """Record an approved end of the term other than vintage + term: an extension or an early liquidation."""
    perm.require(perm.fund_roles(actor, fund), {"supervisor"}, "变更基金存续期", "change the fund's term")
    end = _date(term_end, "term_end", "存续期届满日", "the end of the term")
    if end <= fund.vintage_date or end > LATEST:
        raise Invalid(f"存续期届满日应晚于设立日期、不晚于 {LATEST}",
                      f"the end of the term must be after the vintage date and not after {LATEST}", field="term_end")
    reason = _text(reason, "reason", "变更理由", "the reason", max_len=2000)
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    before = fund.life_end
    fund.term_end = None if end == add_years(fund.vintage_date, fund.term_years) else end
    fund.save(update_fields=["term_end"])
    audit_append(actor=actor, action="fund.term_end", subject=fund,
                 before={"life_end": before}, after={"life_end": fund.life_end, "reason": reason})
    return fund


def _record_findings(*, actor: Any, fund: Fund, investment: Investment | None, facts: Mapping[str, Any],
                     role: str | None, evidence: Iterable[str], note: str) -> dict[str, Any]:
    roles = perm.fund_roles(actor, fund)
    role = _finding_role(roles, role)
    reserved = set(reports.RESERVED_FACTS) | ({fund.category_fact} if fund.category_fact else set())
    values = _parse_findings(reports.fund_vocabulary(fund), facts, role, roles, reserved)
    refs = _evidence(evidence)
    note = _text(note, "note", "说明", "the note", max_len=5000, required=False)
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
    before = {k: v["value"] for k, v in reports.finding_input(fund).items() if k in (facts or {})}
    recorded = _record_findings(actor=actor, fund=fund, investment=None, facts=facts, role=role,
                                evidence=evidence, note=note)
    audit_append(actor=actor, action="fund.facts", subject=fund, before={"facts": before}, after=recorded)
    return fund


@transaction.atomic
def fund_check(*, actor: Any, fund: Fund, on: Any = None) -> ToleranceCheck:
    """Run the loss-tolerance check of the fund on `on` (default today) and freeze it."""
    perm.require(perm.fund_roles(actor, fund), {"manager", "supervisor"}, "进行容亏检查", "run a tolerance check")
    day = today() if on is None else _past(on, "on", "检查日期", "the check date")
    if day < fund.vintage_date:
        raise Invalid("检查日期早于基金设立日期", "the check date is before the fund's vintage", field="on")
    report = reports.tolerance_report(fund, day)
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


# --- investments --------------------------------------------------------------------------------------

@transaction.atomic
def investment_create(*, actor: Any, fund: Fund, company: str, category: str, amount_yuan: Any,
                      invested_on: Any, code: str = "", stage: str = "", qualifies_for_full_tolerance: bool = False,
                      qualification_reason: str = "") -> Investment:
    perm.require(perm.fund_roles(actor, fund), {"manager"}, "登记投资", "register investments")
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    company = _text(company, "company", "被投企业", "the investee company", max_len=200)
    if category not in fund.categories:
        raise Invalid(f"该基金的投资类别为：{', '.join(fund.categories)}",
                      f"the fund's categories are: {', '.join(fund.categories)}", field="category")
    stages = [s.value for s in Stage]
    if stage and stage not in stages:
        raise Invalid(f"投资阶段应为：{', '.join(stages)}", f"the stage is one of: {', '.join(stages)}", field="stage")
    amount = _money(amount_yuan, "amount_yuan", "投资金额", "the amount invested", positive=True)
    day = _past(invested_on, "invested_on", "投资日期", "the investment date")
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
    reason = _text(qualification_reason, "qualification_reason", "符合条件的理由", "the reason", max_len=2000,
                   required=qualifies_for_full_tolerance)
    code = _code(code) if code else f"{fund.code}-{fund.investments.count() + 1:03d}"
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
    before = {k: v["value"] for k, v in reports.findings_of(fund, investment).items() if k in (facts or {})}
    recorded = _record_findings(actor=actor, fund=fund, investment=investment, facts=facts, role=role,
                                evidence=evidence, note=note)
    audit_append(actor=actor, action="investment.facts", subject=investment, before={"facts": before},
                 after=recorded)
    return investment


def _no_procedure(investment: Investment, day: dt.date) -> None:
    """Refuse a direct decision when the fund's pack, or the pack that decides the exemption, prescribes a
    procedure (investigation, panel, collective decision, notice): that procedure is followed as a case."""
    pack = reports.fund_pack(investment.fund, day)
    found = rules.exemption_determination(pack, reports.registry(), day)
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
    day = today() if on is None else _past(on, "on", "认定日期", "the decision date")
    _no_procedure(investment, day)
    res = reports.exemption_result(investment, day)
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
    day = _past(valued_on, "valued_on", "估值日期", "the valuation date")
    value = _money(fair_value_yuan, "fair_value_yuan", "公允价值", "the fair value")
    basis = _text(basis, "basis", "估值依据", "the basis", max_len=300, required=False)
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
    day = _past(exited_on, "exited_on", "退出日期", "the exit date")
    proceeds = _money(proceeds_yuan, "proceeds_yuan", "收回金额", "the proceeds")
    note = _text(note, "note", "说明", "the note", max_len=300, required=False)
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


# --- technology transfers -----------------------------------------------------------------------------

def _transfer_vocab(pack: Pack) -> dict[str, FactDef]:
    return {k: v for k, v in {**pack.accepted_facts, **pack.facts}.items() if k not in TRANSFER_RECORD_FACTS}


def transfer_pack(transfer: TransferRecord, *, verify: bool = False) -> Pack:
    """The pack version the record was pinned to; with `verify` (recording findings, which decides anew), the
    text pinned then, else PackChanged (409), as for a case."""
    pack: Pack = reports.registry().get(f"{transfer.pack_id}@{transfer.pack_version}")
    if verify:
        refused = pack_changed(transfer, pack, ("本成果转化记录登记", "this transfer record was created"))
        if refused is not None:
            raise refused
    return pack


def transfer_fact_input(transfer: TransferRecord) -> dict[str, Any]:
    """The record's own facts (method, public notice) and the current findings, with provenance."""
    src = {"by": transfer.created_by.get_username(), "at": transfer.created_at.isoformat(),
           "evidence": [f"transfer record {transfer.code}"]}
    out: dict[str, Any] = {"transfer_method": {"value": transfer.method, **src}}
    if transfer.publicly_noticed is not None:
        where = [f"{transfer.notice_where} {transfer.notice_from}–{transfer.notice_to}"] if transfer.publicly_noticed \
            else []
        out["agreement_price_publicly_noticed"] = {"value": transfer.publicly_noticed, **src,
                                                   "evidence": src["evidence"] + where}
    for f in transfer.findings.filter(current=True).select_related("established_by"):
        if f.value is not None:
            out[f.fact_id] = {"value": f.value, "by": f.established_by.get_username(), "role": f.role,
                              "at": f.established_at.isoformat(), "evidence": list(f.evidence)}
    return out


def _transfer_decide(transfer: TransferRecord) -> None:
    pack = transfer_pack(transfer)
    facts = parse_facts(pack.facts, transfer_fact_input(transfer), ignore_unknown=True)
    out = {}
    for det in pack.determinations:
        out[det] = result_json(decide(pack, facts, transfer.transfer_date, det))
    transfer.decisions = out
    transfer.outcome = out[pack.default_determination]["outcome"]


def _notice(publicly_noticed: Any, where: str, start: Any, end: Any) -> tuple[bool | None, str, Any, Any]:
    where = _text(where, "notice_where", "公示地点", "where the notice ran", max_len=300, required=False)
    start_d = _date(start, "notice_from", "公示开始日期", "the notice's first day") if start else None
    end_d = _date(end, "notice_to", "公示结束日期", "the notice's last day") if end else None
    if publicly_noticed is None and (where or start_d or end_d):
        publicly_noticed = True
    if publicly_noticed is not None and not isinstance(publicly_noticed, bool):
        raise Invalid("是否公示应为是、否或空（未知）", "publicly_noticed is true, false or null (unknown)",
                      field="publicly_noticed")
    if publicly_noticed:
        if not where:
            raise Invalid("已公示的，请填写公示地点", "say where the notice ran", field="notice_where")
        if start_d is None:
            raise Invalid("已公示的，请填写公示开始日期", "give the notice's first day", field="notice_from")
        if end_d is None:
            raise Invalid("已公示的，请填写公示结束日期", "give the notice's last day", field="notice_to")
        if end_d < start_d:
            raise Invalid("公示结束日期早于开始日期", "the notice ends before it starts", field="notice_to")
    elif publicly_noticed is False and (where or start_d or end_d):
        raise Invalid("未公示的，不应填写公示地点或日期", "no notice: leave its place and dates empty",
                      field="publicly_noticed")
    return publicly_noticed, where, start_d, end_d


@transaction.atomic
def transfer_create(*, actor: Any, unit: Organisation, code: str, achievement: str, method: str,
                    transfer_date: Any, price_yuan: Any, publicly_noticed: bool | None = None, notice_where: str = "",
                    notice_from: Any = None, notice_to: Any = None, later_value_yuan: Any = None,
                    later_value_on: Any = None, pack_id: str | None = None, facts: Mapping[str, Any] | None = None,
                    role: str | None = None, evidence: Iterable[str] = (), note: str = "") -> TransferRecord:
    """Record a transfer of an S&T achievement and decide it under its pack's determinations (pricing first)."""
    roles = perm.unit_roles(actor, unit)
    perm.require(roles, {"unit", "supervisor"}, "登记成果转化", "record transfers")
    code = _code(code)
    achievement = _text(achievement, "achievement", "科技成果", "the achievement", max_len=300)
    methods = [m.value for m in TransferMethod]
    if method not in methods:
        raise Invalid(f"定价方式应为：{', '.join(methods)}", f"the pricing method is one of: {', '.join(methods)}",
                      field="method")
    day = _past(transfer_date, "transfer_date", "转化（定价）日期", "the transfer date")
    price = _money(price_yuan, "price_yuan", "成交价格", "the price")
    noticed, where, n_from, n_to = _notice(publicly_noticed, notice_where, notice_from, notice_to)
    later = None if later_value_yuan is None else _money(later_value_yuan, "later_value_yuan", "后续价值",
                                                         "the later value")
    later_on = None
    if later is not None:
        if later_value_on is None:
            raise Invalid("请填写后续价值的评估日期", "give the date of the later value", field="later_value_on")
        later_on = _past(later_value_on, "later_value_on", "后续价值日期", "the date of the later value")
        if later_on < day:
            raise Invalid("后续价值日期早于转化日期", "the later value is dated before the transfer",
                          field="later_value_on")
    pack = _pick_pack(pack_id, unit.parent, TRANSFER_DOMAIN)
    try:
        pinned = reports.registry().get(pack.id, day)
    except UnknownPack as exc:
        raise Invalid(f"转化日期 {day} 没有施行中的政策包版本：{exc}",
                      f"no version of pack {pack.id} is in force on the transfer date {day}: {exc}",
                      field="transfer_date") from None
    if not any("transfer_method" in rules.determination_facts(pinned, d) for d in pinned.determinations):
        raise Invalid(f"政策包 {pinned.ref} 不对定价方式作认定", f"pack {pinned.ref} does not decide on pricing",
                      field="pack_id")
    values: dict[str, Any] = {}
    if facts:
        frole = _finding_role(roles, role)
        values = _parse_findings(_transfer_vocab(pinned), facts, frole, roles, TRANSFER_RECORD_FACTS)
        role = frole
    refs = _evidence(evidence)
    note = _text(note, "note", "说明", "the note", max_len=5000, required=False)
    if TransferRecord.objects.filter(code=code).exists():
        raise Conflict(f"编号 {code} 已存在", f"code {code} is taken", field="code")
    t = TransferRecord.objects.create(
        code=code, unit=unit, achievement=achievement, method=method, transfer_date=day, price_yuan=price,
        publicly_noticed=noticed, notice_where=where, notice_from=n_from, notice_to=n_to, later_value_yuan=later,
        later_value_on=later_on, pack_id=pinned.id, pack_version=pinned.version, pack_hash=pinned.content_hash,
        created_by=actor)
    now = timezone.now()
    for fid, value in values.items():
        TransferFinding.objects.create(transfer=t, fact_id=fid, value=value, role=role or "", established_by=actor,
                                       established_at=now, evidence=refs, note=note)
    _transfer_decide(t)
    t.save(update_fields=["decisions", "outcome"])
    audit_append(actor=actor, action="transfer.create", subject=t, after={
        "code": code, "unit": unit.code, "achievement": achievement, "method": method, "transfer_date": day,
        "price_yuan": price, "publicly_noticed": noticed, "notice": [where, n_from, n_to],
        "later_value_yuan": later, "pack": pinned.ref, "facts": values, "outcome": t.outcome,
        "outcomes": {d: r["outcome"] for d, r in t.decisions.items()}})
    return t


def _lock_transfer(transfer: TransferRecord, expected_version: int | None) -> TransferRecord:
    locked = TransferRecord.objects.select_for_update().get(pk=transfer.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(f"记录已被他人修改（当前版本 {locked.version}），请刷新后重试",
                       f"the record was changed by someone else (version {locked.version}); reload and try again",
                       field="version")
    return locked


@transaction.atomic
def transfer_set_facts(*, actor: Any, transfer: TransferRecord, facts: Mapping[str, Any], role: str | None = None,
                       evidence: Iterable[str] = (), note: str = "",
                       expected_version: int | None = None) -> TransferRecord:
    """Record findings about a transfer (diligence, illegal gain, the boundaries' facts …); redecide."""
    t = _lock_transfer(transfer, expected_version)
    roles = perm.transfer_roles(actor, t)
    frole = _finding_role(roles, role)
    values = _parse_findings(_transfer_vocab(transfer_pack(t, verify=True)), facts, frole, roles,
                             TRANSFER_RECORD_FACTS)
    refs = _evidence(evidence)
    note = _text(note, "note", "说明", "the note", max_len=5000, required=False)
    before = {f.fact_id: f.value for f in t.findings.filter(current=True, fact_id__in=list(values))}
    old = {d: r["outcome"] for d, r in t.decisions.items()}
    now = timezone.now()
    t.findings.filter(fact_id__in=list(values), current=True).update(current=False)
    for fid, value in values.items():
        TransferFinding.objects.create(transfer=t, fact_id=fid, value=value, role=frole, established_by=actor,
                                       established_at=now, evidence=refs, note=note)
    _transfer_decide(t)
    t.version += 1
    t.save(update_fields=["decisions", "outcome", "version", "updated_at"])
    audit_append(actor=actor, action="transfer.facts", subject=t, before={"facts": before, "outcomes": old},
                 after={"facts": values, "role": frole, "evidence": refs,
                        "outcomes": {d: r["outcome"] for d, r in t.decisions.items()}})
    return t


@transaction.atomic
def transfer_set_later_value(*, actor: Any, transfer: TransferRecord, later_value_yuan: Any, later_value_on: Any,
                             expected_version: int | None = None) -> TransferRecord:
    """Record the achievement's later value (which, under a pricing exemption, creates no liability)."""
    t = _lock_transfer(transfer, expected_version)
    perm.require(perm.transfer_roles(actor, t), {"unit", "supervisor"}, "登记后续价值", "record the later value")
    value = _money(later_value_yuan, "later_value_yuan", "后续价值", "the later value")
    day = _past(later_value_on, "later_value_on", "后续价值日期", "the date of the later value")
    if day < t.transfer_date:
        raise Invalid("后续价值日期早于转化日期", "the later value is dated before the transfer",
                      field="later_value_on")
    before = {"later_value_yuan": t.later_value_yuan, "later_value_on": t.later_value_on}
    t.later_value_yuan, t.later_value_on = value, day
    t.version += 1
    t.save(update_fields=["later_value_yuan", "later_value_on", "version", "updated_at"])
    audit_append(actor=actor, action="transfer.later_value", subject=t, before=before,
                 after={"later_value_yuan": value, "later_value_on": day})
    return t
