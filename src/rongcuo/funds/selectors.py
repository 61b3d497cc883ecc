"""Loss positions, tolerance checks and exemptions of a fund, decided by the engine under the fund's pack.

How the packs' determinations are fed: for each level (project, category, fund) the determination that
reads that level's loss ratio (`rules.ratio_determinations`) is decided with

- the loss ratio computed by `measures` under the pack's `loss_measure` in force on the check date;
- `fund_life_complete`: whether the check date is on or after the end of the fund's term (interim before);
- for a project: its amount (`investment_amount`), stage (`investment_stage`) and category (in the pack's
  category fact, if the fund names one); for a category: the category;
- every current finding about the fund and (for a project) about the investment, with its provenance.

Facts computed from the records carry provenance `system_computed` and name the records they come from.
Nothing here compares a ratio with a limit: the outcome, the decisive clauses and the position against the
limit are the engine's (the position is the engine's evaluation of the pack's own comparison).

An interim check (before the end of the fund's term) reports each project's position only, with the outcome
`interim_position`: the fund is judged over its whole life, and one project at one point in time concludes
nothing. Categories and the fund are decided as the pack says (the packs' whole-life scope clause makes them
`out_of_scope` during the term). Each project also compares the manager's declaration that it qualifies for
full tolerance with the pack's answer (`_qualification`); a mismatch is reported, neither side is changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

from rongcuo.common import packs as case_packs
from rongcuo.common.errors import Invalid
from rongcuo.engine import conditions as C
from rongcuo.engine.decide import Result, decide
from rongcuo.engine.facts import parse_facts
from rongcuo.engine.pack import Pack, UnknownPack
from rongcuo.engine.render import outcome_text, result_json
from rongcuo.funds import rules
from rongcuo.funds.measures import (
    AggregateLoss,
    Holding,
    LossMeasure,
    PortfolioLoss,
    ProjectLoss,
    UnknownMeasure,
    portfolio_loss,
)
from rongcuo.funds.measures import report_dates as _report_dates
from rongcuo.funds.models import Category, Finding, Fund, Investment

# Facts the platform computes from a fund's records; findings cannot set them (change the records instead).
RESERVED_FACTS = {"project_loss_ratio", "category_loss_ratio", "fund_loss_ratio", "fund_life_complete",
                  "investment_amount", "investment_stage"}

CATEGORY_TEXT = {c.value: {"zh": c.label.split(" ", 1)[0], "en": c.label.split(" ", 1)[1]} for c in Category}
POSITION_TEXT = {
    "within": {"zh": "未超过限额", "en": "within the limit"},
    "beyond": {"zh": "超过限额", "en": "beyond the limit"},
    "unknown": {"zh": "无法比较（比例或限额未知）", "en": "cannot compare (ratio or limit unknown)"},
    "no_limit": {"zh": "本政策未设此项限额", "en": "no such limit in this policy"},
}


#: An interim check's project rows: the position against the limit only. The fund is judged over its whole
#: life; one project at one point in time concludes nothing (the engine is not asked for an outcome).
INTERIM_POSITION = "interim_position"
INTERIM_POSITION_TEXT = {
    "zh": "期中位置，不作结论（单个项目按整个基金生命周期评价）",
    "en": "Interim position, no conclusion (a single project is judged over the fund's whole life)"}
#: The manager's declaration that a project qualifies for full (100%) tolerance, against the pack's answer.
QUALIFICATION_TEXT = {
    "agree_yes": {"zh": "申报符合全额容亏条件，与政策包认定一致",
                  "en": "Declared qualifying for full tolerance; the pack agrees"},
    "agree_no": {"zh": "未申报全额容亏，与政策包认定一致", "en": "Not declared qualifying; the pack agrees"},
    "declared_only": {"zh": "不一致：管理机构申报符合全额容亏条件，政策包认定不符合",
                      "en": "Mismatch: the manager declares it qualifying for full tolerance, the pack does not"},
    "pack_only": {"zh": "不一致：政策包认定符合全额容亏条件，管理机构未申报",
                  "en": "Mismatch: the pack qualifies it for full tolerance, the manager did not declare it"},
    "unknown": {"zh": "尚无法比对：政策包认定所需事实尚未查明",
                "en": "Cannot compare yet: facts the pack needs are not established"},
}


def today() -> dt.date:
    return timezone.localdate()


def registry() -> Any:
    return case_packs.registry()


def fund_pack(fund: Fund, on: dt.date, field: str = "on") -> Pack:
    try:
        return registry().get(fund.pack_id, on)  # type: ignore[no-any-return]
    except UnknownPack as exc:
        raise Invalid(f"{on.isoformat()} 没有施行中的政策包版本：{exc}",
                      f"no version of the fund's pack is in force on {on.isoformat()}: {exc}", field=field) from None


def fund_measure(pack: Pack, on: dt.date, field: str = "on") -> LossMeasure:
    try:
        return rules.loss_measure(pack, on)
    except UnknownMeasure as exc:
        raise Invalid(f"政策包 {pack.ref} 的亏损计量口径参数无法识别：{exc}",
                      f"the loss-measure parameter of pack {pack.ref} is not usable: {exc}", field=field) from None


def holdings(fund: Fund) -> list[Holding]:
    out = []
    invs = Investment.objects.filter(fund=fund).prefetch_related("valuations").select_related("exit")
    for inv in invs:
        ex = getattr(inv, "exit", None) if hasattr(inv, "exit") else None
        out.append(Holding(
            key=str(inv.pk), category=inv.category, amount=inv.amount_yuan, invested_on=inv.invested_on,
            valuations=tuple((v.valued_on, v.fair_value_yuan) for v in inv.valuations.all()),
            exit=(ex.exited_on, ex.proceeds_yuan, ex.kind == "write_off") if ex else None))
    return out


def findings_of(fund: Fund, investment: Investment | None) -> dict[str, Any]:
    qs = Finding.objects.filter(fund=fund, current=True).select_related("established_by")
    qs = qs.filter(investment=investment) if investment else qs.filter(investment__isnull=True)
    out: dict[str, Any] = {}
    for f in qs:
        if f.value is None:
            continue
        out[f.fact_id] = {"value": f.value, "by": f.established_by.get_username(), "role": f.role,
                          "at": f.established_at.isoformat(), "evidence": list(f.evidence)}
    return out


def finding_input(fund: Fund, investment: Investment | None = None) -> dict[str, Any]:
    """Current findings about the fund and, over them, about the investment: the engine's input."""
    out = findings_of(fund, None)
    if investment is not None:
        out.update(findings_of(fund, investment))
    return out


def _computed(value: Any, on: dt.date, evidence: str) -> dict[str, Any]:
    return {"value": value, "by": "system", "role": "system_computed", "at": on.isoformat(), "evidence": [evidence]}


def life(fund: Fund, on: dt.date) -> dict[str, Any]:
    end = fund.life_end
    complete = on >= end
    if complete:
        label = {"zh": f"基金存续期已于 {end.isoformat()} 届满：按整个生命周期作出结论",
                 "en": f"The fund's term ended on {end.isoformat()}: the whole-life check concludes"}
    else:
        label = {"zh": f"期中检查：基金存续期至 {end.isoformat()} 届满，仅报告位置，不作结论",
                 "en": f"Interim check: the fund's term runs until {end.isoformat()}; the position is reported, "
                       "no conclusion is drawn"}
    return {"vintage_date": fund.vintage_date.isoformat(), "term_years": fund.term_years,
            "term_end": fund.term_end.isoformat() if fund.term_end else None, "life_end": end.isoformat(),
            "complete": complete, "interim": not complete, "label": label}


def _ratio(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _decide(pack: Pack, det: str, on: dt.date, raw: Mapping[str, Any]) -> Result:
    facts = parse_facts(pack.facts, dict(raw), ignore_unknown=True)
    return decide(pack, facts, on, det)


def _label(pack: Pack, det: str, outcome: str) -> dict[str, str]:
    return {"zh": outcome_text(pack, det, outcome, "zh"), "en": outcome_text(pack, det, outcome, "en")}


def _position(pack: Pack, det: str, level: str, on: dt.date, facts: Mapping[str, Any]) -> tuple[Any, str]:
    """The limit (for display) and the engine's evaluation of the pack's comparison of the ratio with it."""
    found = rules.limit_for(pack, det, level, on, facts)
    if found is None:
        return None, "no_limit"
    limit, node = found
    value = C.evaluate(node, facts, pack.params_dict(on), {})
    return limit.as_dict(), {True: "within", False: "beyond", None: "unknown"}[value]


def _level(pack: Pack, det: str | None, level: str, on: dt.date, raw: dict[str, Any], *,
           full: bool) -> dict[str, Any]:
    if det is None:
        return {"determination": None, "limit": None, "position": "no_limit",
                "position_label": POSITION_TEXT["no_limit"]}
    res = _decide(pack, det, on, raw)
    limit, position = _position(pack, det, level, on, res.facts.values)
    out: dict[str, Any] = {
        "determination": det, "determination_label": pack.determinations[det].label.model_dump(),
        "outcome": res.outcome, "outcome_label": _label(pack, det, res.outcome),
        "decisive": res.decisive, "needed": res.needed,
        "needed_facts": [{"id": f, "label": pack.facts[f].label.model_dump()} for f in res.needed if f in pack.facts],
        "limit": limit, "position": position, "position_label": POSITION_TEXT[position],
    }
    if full:
        out["record"] = result_json(res)
    return out


def _position_only(pack: Pack, det: str | None, level: str, on: dt.date, raw: dict[str, Any]) -> dict[str, Any]:
    """An interim check's row for one project: the limit and the position against it (the engine's evaluation
    of the pack's comparison), with a distinct outcome that concludes nothing."""
    if det is None:
        return _level(pack, det, level, on, raw, full=False)
    facts = parse_facts(pack.facts, dict(raw), ignore_unknown=True)
    limit, position = _position(pack, det, level, on, facts.values)
    return {"determination": det, "determination_label": pack.determinations[det].label.model_dump(),
            "outcome": INTERIM_POSITION, "outcome_label": INTERIM_POSITION_TEXT, "decisive": [], "needed": [],
            "needed_facts": [], "limit": limit, "position": position, "position_label": POSITION_TEXT[position]}


def _qualification(pack: Pack, det: str | None, on: dt.date, raw: Mapping[str, Any], declared: bool,
                   reason: str) -> dict[str, Any]:
    """Compare the manager's declaration that a project qualifies for full tolerance with the pack.

    The pack's answer is the engine's: the project-level determination decided as if the project had lost
    everything (`project_loss_ratio` 1.0, marked as assumed) — exempt means the pack tolerates a total loss of
    this project, not_exempt / out_of_scope that it does not, undetermined that facts are still needed (then
    nothing is compared). A pack without a project-level determination tolerates no single project in full.
    Neither side is changed: a mismatch is reported for the people concerned to resolve.
    """
    out: dict[str, Any] = {"declared": declared, "reason": reason, "determination": det, "outcome": None,
                           "decisive": [], "needed_facts": []}
    if det is None:
        qualifies: bool | None = False
    else:
        assumed = {**raw, "project_loss_ratio": _computed(1.0, on, "假定全额亏损 / assuming a total loss")}
        res = _decide(pack, det, on, assumed)
        qualifies = {"exempt": True, "not_exempt": False, "out_of_scope": False}.get(res.outcome)
        out.update(outcome=res.outcome, outcome_label=_label(pack, det, res.outcome), decisive=res.decisive,
                   needed_facts=[{"id": f, "label": pack.facts[f].label.model_dump()} for f in res.needed
                                 if f in pack.facts])
    key = ("unknown" if qualifies is None else ("agree_yes" if declared else "pack_only") if qualifies
           else ("declared_only" if declared else "agree_no"))
    out.update(pack=qualifies, mismatch=key in ("declared_only", "pack_only"), status=key,
               label=QUALIFICATION_TEXT[key])
    return out


class Context:
    """Everything one check date needs: the pack version in force, its loss measure, the fund's facts."""

    def __init__(self, fund: Fund, on: dt.date, holdings_: Sequence[Holding] | None = None):
        self.fund = fund
        self.on = on
        self.pack = fund_pack(fund, on)
        self.measure = fund_measure(self.pack, on)
        self.dets = rules.ratio_determinations(self.pack)
        self.holdings = list(holdings_) if holdings_ is not None else holdings(fund)
        self.loss: PortfolioLoss = portfolio_loss(self.holdings, on, self.measure, fund.categories)
        self.life = life(fund, on)
        self.fund_facts = finding_input(fund)

    def base(self) -> dict[str, Any]:
        complete = self.life["complete"]
        return {**self.fund_facts,
                "fund_life_complete": _computed(complete, self.on, f"基金存续期至 {self.life['life_end']} / "
                                                                   f"term ends {self.life['life_end']}")}

    def category_facts(self, category: str) -> dict[str, Any]:
        out = self.base()
        agg = self.loss.categories.get(category)
        if agg is not None and agg.ratio is not None:
            out["category_loss_ratio"] = _computed(_ratio(agg.ratio), self.on,
                                                   f"{self.measure.id}: {category} {self.on.isoformat()}")
        if self.fund.category_fact:
            out[self.fund.category_fact] = _computed(category, self.on, f"category {category}")
        return out

    def fund_level_facts(self) -> dict[str, Any]:
        out = self.base()
        if self.loss.fund.ratio is not None:
            out["fund_loss_ratio"] = _computed(_ratio(self.loss.fund.ratio), self.on,
                                               f"{self.measure.id}: fund {self.on.isoformat()}")
        return out

    def project_facts(self, inv: Investment, row: ProjectLoss | None) -> dict[str, Any]:
        out = {**self.base(), **findings_of(self.fund, inv)}
        src = f"investment {inv.code}"
        out["investment_amount"] = _computed(float(inv.amount_yuan), self.on, src)
        if inv.stage:
            out["investment_stage"] = _computed(inv.stage, self.on, src)
        if self.fund.category_fact:
            out[self.fund.category_fact] = _computed(inv.category, self.on, src)
        if row is not None:
            out["project_loss_ratio"] = _computed(_ratio(row.ratio), self.on,
                                                  f"{self.measure.id}: {inv.code} {self.on.isoformat()}")
        return out


def _agg_out(agg: AggregateLoss) -> dict[str, Any]:
    return {"invested": float(agg.invested), "loss": float(agg.loss), "ratio": _ratio(agg.ratio),
            "projects": agg.projects, "not_valued": agg.not_valued}


def measure_out(pack: Pack, measure: LossMeasure, on: dt.date) -> dict[str, Any]:
    return {**measure.as_dict(), "source": rules.measure_source(pack, on)}


def pack_out(pack: Pack) -> dict[str, Any]:
    return {"id": pack.id, "version": pack.version, "ref": pack.ref, "content_hash": pack.content_hash,
            "title": pack.meta.title.model_dump(), "status": pack.meta.status.value}


def tolerance_report(fund: Fund, on: dt.date, *, full: bool = True) -> dict[str, Any]:
    """The fund's loss position on `on` per project, category and fund, each decided under the pack."""
    ctx = Context(fund, on)
    pack = ctx.pack
    rows = {r.key: r for r in ctx.loss.projects}
    projects = []
    for inv in Investment.objects.filter(fund=fund).select_related("exit"):
        row = rows.get(str(inv.pk))
        item: dict[str, Any] = {
            "investment_id": inv.pk, "code": inv.code, "company": inv.company, "category": inv.category,
            "category_label": CATEGORY_TEXT[inv.category], "stage": inv.stage or None,
            "invested_on": inv.invested_on.isoformat(), "amount": float(inv.amount_yuan),
            "qualifies_for_full_tolerance": inv.qualifies_for_full_tolerance,
            "qualification_reason": inv.qualification_reason, "invested_by_then": row is not None,
        }
        raw = ctx.project_facts(inv, row)
        item["qualification"] = _qualification(pack, ctx.dets.get("project"), on, raw,
                                               inv.qualifies_for_full_tolerance, inv.qualification_reason)
        if row is not None:
            item.update({"status": row.status, "value": float(row.value),
                         "fair_value": None if row.fair_value is None else float(row.fair_value),
                         "valued_on": row.valued_on.isoformat() if row.valued_on else None,
                         "realised_loss": float(row.realised_loss), "unrealised_loss": float(row.unrealised_loss),
                         "loss": float(row.loss), "ratio": _ratio(row.ratio)})
            if ctx.life["interim"]:
                item.update(_position_only(pack, ctx.dets.get("project"), "project", on, raw))
            else:
                item.update(_level(pack, ctx.dets.get("project"), "project", on, raw, full=full))
        projects.append(item)
    categories = []
    for cat, agg in ctx.loss.categories.items():
        categories.append({"category": cat, "category_label": CATEGORY_TEXT.get(cat, {"zh": cat, "en": cat}),
                           **_agg_out(agg),
                           **_level(pack, ctx.dets.get("category"), "category", on, ctx.category_facts(cat),
                                    full=full)})
    whole = {**_agg_out(ctx.loss.fund),
             **_level(pack, ctx.dets.get("fund"), "fund", on, ctx.fund_level_facts(), full=full)}
    return {
        "fund": fund_summary(fund), "on": on.isoformat(), "pack": pack_out(pack),
        "loss_measure": measure_out(pack, ctx.measure, on), "life": ctx.life,
        "determinations": {lvl: ctx.dets.get(lvl) for lvl in rules.LEVELS},
        "projects": projects, "categories": categories, "fund_total": whole,
        "qualification_mismatches": [{"investment_id": p["investment_id"], "code": p["code"],
                                      "company": p["company"], **{k: p["qualification"][k] for k in
                                                                  ("declared", "pack", "status", "label")}}
                                     for p in projects if p["qualification"]["mismatch"]],
    }


def series_start(fund: Fund) -> dt.date | None:
    versions = registry().packs.get(fund.pack_id) or []
    if not versions:
        return None
    return max(fund.vintage_date, min(p.meta.effective_from for p in versions))


def loss_series(fund: Fund, until: dt.date | None = None) -> list[dict[str, Any]]:
    """The fund's loss position by category (and overall) against its limits over time.

    One point per quarter end from the vintage (or the first day a version of the pack is in force) to
    `until` (default today) or the end of the fund's term, whichever comes first, plus that last day and
    the end of the term. Each point is what a check on that day says: the pack version and loss measure in
    force then, the ratios, the limits and the engine's outcome (interim points conclude nothing).
    """
    until = until or today()
    start = series_start(fund)
    if start is None:
        return []
    end = min(until, fund.life_end)
    hs = holdings(fund)
    points = []
    for day in _report_dates(start, end, extra=[fund.life_end]):
        try:
            ctx = Context(fund, day, hs)
        except Invalid:
            continue
        cats = {}
        for cat, agg in ctx.loss.categories.items():
            cats[cat] = {**_agg_out(agg), **_level(ctx.pack, ctx.dets.get("category"), "category", day,
                                                   ctx.category_facts(cat), full=False)}
        points.append({
            "date": day.isoformat(), "pack": ctx.pack.ref, "loss_measure": ctx.measure.id,
            "interim": ctx.life["interim"], "categories": cats,
            "fund": {**_agg_out(ctx.loss.fund), **_level(ctx.pack, ctx.dets.get("fund"), "fund", day,
                                                          ctx.fund_level_facts(), full=False)},
        })
    return points


def measures_used(fund: Fund, series: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The loss measures the series used, each with the span of dates it covers and its definition."""
    out: list[dict[str, Any]] = []
    for p in series:
        if out and out[-1]["id"] == p["loss_measure"]:
            out[-1]["to"] = p["date"]
            continue
        pack = registry().get(fund.pack_id, dt.date.fromisoformat(p["date"]))
        m = rules.loss_measure(pack, dt.date.fromisoformat(p["date"]))
        out.append({**m.as_dict(), "from": p["date"], "to": p["date"],
                    "source": rules.measure_source(pack, dt.date.fromisoformat(p["date"]))})
    return out


def loss_report(fund: Fund, on: dt.date) -> dict[str, Any]:
    """The report: the position on `on` (with its definition), the series up to it and the measures used."""
    current = tolerance_report(fund, on, full=False)
    series = loss_series(fund, on)
    return {**current, "series": series, "measures_used": measures_used(fund, series)}


def fund_summary(fund: Fund) -> dict[str, Any]:
    return {"id": fund.pk, "code": fund.code, "name_zh": fund.name_zh, "name_en": fund.name_en,
            "pack_id": fund.pack_id, "manager_id": fund.manager_id, "supervisor_id": fund.supervisor_id,
            "size_yuan": float(fund.size_yuan), "vintage_date": fund.vintage_date.isoformat(),
            "term_years": fund.term_years, "term_end": fund.term_end.isoformat() if fund.term_end else None,
            "life_end": fund.life_end.isoformat(), "categories": list(fund.categories),
            "category_fact": fund.category_fact or None}


# --- the manager's due-diligence exemption ---------------------------------------------------------------

def exemption_result(investment: Investment, on: dt.date) -> Result:
    """Decide the manager's due-diligence exemption for the loss on one investment."""
    fund = investment.fund
    pack = fund_pack(fund, on)
    found = rules.exemption_determination(pack, registry(), on)
    if found is None:
        raise Invalid(f"政策包 {pack.ref} 及其上位规定未规定受托管理机构尽职免责认定",
                      f"neither pack {pack.ref} nor the rules it builds on decide a manager's due-diligence "
                      "exemption", field="pack_id")
    epack, det = found
    ctx = Context(fund, on)
    row = next((r for r in ctx.loss.projects if r.key == str(investment.pk)), None)
    return _decide(epack, det, on, ctx.project_facts(investment, row))


def fund_vocabulary(fund: Fund, on: dt.date | None = None) -> dict[str, Any]:
    """The facts a finding about this fund may name: the fund pack's and its exemption pack's vocabulary."""
    on = on or today()
    try:
        pack = registry().get(fund.pack_id, on)
    except UnknownPack:
        pack = registry().get(fund.pack_id)
    vocab = {**pack.accepted_facts, **pack.facts}
    found = rules.exemption_determination(pack, registry(), on)
    if found is not None:
        vocab.update({**found[0].accepted_facts, **found[0].facts})
    return {k: v for k, v in vocab.items() if k not in RESERVED_FACTS and k != fund.category_fact}


def investment(pk: Any) -> Investment | None:
    """The investment `pk` with its fund, or None (also for a malformed id)."""
    from rongcuo.funds.permissions import valid_pk

    return Investment.objects.select_related("fund").filter(pk=pk).first() if valid_pk(pk) else None
