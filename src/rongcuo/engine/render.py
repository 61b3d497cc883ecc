"""Explanations in Chinese and English (说明理由): text for people, JSON for machines."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from .decide import Result
from .model import ClauseKind, FactDef, FactType, Text
from .pack import Pack

Lang = Literal["zh", "en"]

OUTCOME_TEXT: dict[str, Text] = {
    "exempt": Text(zh="免责", en="Exempt"),
    "not_exempt": Text(zh="不予免责", en="Not exempt"),
    "out_of_scope": Text(zh="不适用", en="Out of scope"),
    "undetermined": Text(zh="待定（事实尚未查明）", en="Undetermined (facts still open)"),
}

KIND_TEXT: dict[str, Text] = {
    ClauseKind.scope: Text(zh="适用范围", en="Scope"),
    ClauseKind.diligence_condition: Text(zh="勤勉尽责条件", en="Diligence condition"),
    ClauseKind.exemption_situation: Text(zh="免责情形", en="Exemption situation"),
    ClauseKind.exclusion: Text(zh="不适用情形", en="Exclusion"),
    ClauseKind.special_provision: Text(zh="特别规定", en="Special provision"),
    ClauseKind.consequence: Text(zh="结果应用", en="Consequence"),
    ClauseKind.principle: Text(zh="原则与政策界限", en="Principle"),
    ClauseKind.loss_tolerance: Text(zh="容亏规定", en="Loss tolerance"),
    ClauseKind.procedure: Text(zh="程序", en="Procedure"),
}

STATUS_TEXT: dict[str, Text] = {
    "draft_for_comment": Text(zh="征求意见稿", en="draft for comment"),
    "trial": Text(zh="试行", en="trial"),
    "in_force": Text(zh="施行", en="in force"),
    "reported": Text(zh="据报道", en="as reported"),
}

TRI_TEXT = {True: Text(zh="是", en="yes"), False: Text(zh="否", en="no"), None: Text(zh="未知", en="unknown")}
MARK = {True: "✓", False: "✗", None: "?"}

L: dict[str, Text] = {
    "pack": Text(zh="政策包", en="Policy pack"),
    "on": Text(zh="认定日期", en="Date"),
    "determination": Text(zh="认定事项", en="Determination"),
    "outcome": Text(zh="结论", en="Outcome"),
    "decisive": Text(zh="决定性条款", en="Decisive clauses"),
    "overrides": Text(zh="排除情形优先", en="Exclusions override situations"),
    "overrode": Text(zh="排除了", en="overrides"),
    "needed": Text(zh="尚需查明的事实", en="Facts still needed"),
    "consequences": Text(zh="结果应用", en="Consequences"),
    "obligations": Text(zh="后续义务", en="Obligations"),
    "routed": Text(zh="受理机构", en="Handled by"),
    "trace": Text(zh="全部条款", en="All clauses"),
    "facts_read": Text(zh="所依据事实", en="facts"),
    "by": Text(zh="认定", en="established by"),
    "evidence": Text(zh="证据", en="evidence"),
    "within": Text(zh="日内", en="days"),
    "working": Text(zh="个工作日", en="working days"),
    "natural": Text(zh="日", en="days"),
    "from": Text(zh="自", en="from"),
    "no_period": Text(zh="未规定期限", en="no period set"),
    "hash": Text(zh="内容指纹", en="content hash"),
    "status": Text(zh="状态", en="status"),
}


def t(text: Text | None, lang: Lang) -> str:
    if text is None:
        return ""
    return text.zh if lang == "zh" else text.en


def outcome_text(pack: Pack, determination: str, outcome: str, lang: Lang) -> str:
    det = pack.determinations[determination]
    custom = det.outcome_labels.get(outcome)
    return t(custom or OUTCOME_TEXT[outcome], lang)


def fact_value_text(fact: FactDef | None, value: Any, lang: Lang) -> str:
    if value is None or isinstance(value, bool):
        return t(TRI_TEXT[value], lang)
    if fact is not None and fact.type is FactType.enum:
        for v in fact.values:
            if v.value == value:
                return t(v.label, lang)
    if isinstance(value, dt.date):
        return value.isoformat()
    if fact is not None and fact.type is FactType.money:
        return f"{value:,} 元" if lang == "zh" else f"¥{value:,}"
    return str(value)


def citation(pack: Pack, clause_id: str) -> str:
    c = pack.clauses[clause_id].clause.cites
    return f"{c.article}{c.item or ''}"


def explain(result: Result, lang: Lang = "zh", *, full: bool = True) -> str:
    """The determination as text: outcome, decisive clauses with their original text, what is missing."""
    pack = result.pack
    lines: list[str] = []
    meta = pack.meta
    lines.append(f"{t(meta.title, lang)}")
    lines.append(f"  {t(L['pack'], lang)}: {pack.ref} · {t(L['status'], lang)}: {t(STATUS_TEXT[meta.status], lang)}"
                 f" · {t(L['hash'], lang)}: {pack.content_hash[:12]}")
    lines.append(f"  {t(L['on'], lang)}: {result.on.isoformat()} · {t(L['determination'], lang)}: "
                 f"{t(pack.determinations[result.determination].label, lang)}")
    lines.append(f"{t(L['outcome'], lang)}: {outcome_text(pack, result.determination, result.outcome, lang)}"
                 f"  [{result.outcome}]")
    if result.decisive:
        lines.append(f"{t(L['decisive'], lang)}:")
        for name in result.decisive:
            lines.extend(_clause_lines(result, name, lang, indent="  "))
    if result.overrides:
        lines.append(f"{t(L['overrides'], lang)}:")
        for excl, hits in result.overrides.items():
            names = "、".join(t(pack.clauses[h].clause.label, lang) for h in hits) if lang == "zh" else \
                "; ".join(t(pack.clauses[h].clause.label, lang) for h in hits)
            lines.append(f"  {t(pack.clauses[excl].clause.label, lang)} {t(L['overrode'], lang)} {names}")
    if result.needed:
        lines.append(f"{t(L['needed'], lang)}:")
        for fid in result.needed:
            f = pack.facts[fid]
            lines.append(f"  - {t(f.label, lang)} [{fid}]")
            lines.append(f"    {t(f.question, lang)}")
    if result.routed_to:
        lines.append(f"{t(L['routed'], lang)}: " + "; ".join(t(r.handled_by, lang) for r in result.routed_to))
    if result.consequences:
        lines.append(f"{t(L['consequences'], lang)}:")
        for cid in result.consequences:
            cl = pack.clauses[cid].clause
            lines.append(f"  - {t(cl.label, lang)} ({citation(pack, cid)})")
            lines.append(f"    「{cl.text_zh}」")
    if result.obligations:
        lines.append(f"{t(L['obligations'], lang)}:")
        for _, ob, days in result.obligations:
            lines.append(f"  - {t(ob.label, lang)}: {_period(days, ob.day_kind, ob.from_event, lang)}")
    if full:
        lines.append(f"{t(L['trace'], lang)}:")
        for cid in pack.evaluable:
            lines.extend(_clause_lines(result, cid, lang, indent="  ", with_facts=True))
    return "\n".join(lines)


def _period(days: int | None, kind: str | None, event: str | None, lang: Lang) -> str:
    if not days:
        return t(L["no_period"], lang)
    unit = t(L["working" if kind == "working" else "natural"], lang)
    if lang == "zh":
        return f"{t(L['from'], lang)} {event} 起 {days} {unit}内"
    return f"within {days} {unit} of {event}"


def _clause_lines(result: Result, name: str, lang: Lang, *, indent: str, with_facts: bool = False) -> list[str]:
    pack = result.pack
    if name not in pack.clauses:  # a fact used directly by a determination
        f = pack.facts.get(name)
        return [f"{indent}{MARK[_tri(result.facts.values.get(name))]} {t(f.label, lang) if f else name}"]
    cc = pack.clauses[name]
    value = result.clause_values.get(name)
    cl = cc.clause
    cite = citation(pack, name)
    kind = t(KIND_TEXT[cl.kind], lang)
    head = cite if (lang == "zh" and cite.startswith(kind)) else f"{kind} · {cite}"
    out = [f"{indent}{MARK[value]} {head} {t(cl.label, lang)} [{name}]",
           f"{indent}    「{cl.text_zh}」"]
    if with_facts and cc.facts:
        parts = []
        for fid in cc.facts:
            v = result.facts.values.get(fid)
            s = f"{t(pack.facts[fid].label, lang)} = {fact_value_text(pack.facts[fid], v, lang)}"
            prov = result.facts.provenance.get(fid)
            if prov:
                who = " ".join(x for x in (prov.by, prov.role, prov.at) if x)
                s += f" ({t(L['by'], lang)}: {who}"
                if prov.evidence:
                    s += f"; {t(L['evidence'], lang)}: {', '.join(prov.evidence)}"
                s += ")"
            parts.append(s)
        out.append(f"{indent}    {t(L['facts_read'], lang)}: " + "; ".join(parts))
    return out


def _tri(v: Any) -> bool | None:
    return None if v is None else bool(v)


def result_json(result: Result, lang: Lang = "zh") -> dict[str, Any]:
    """The frozen record plus human labels, for `--json` output and the API."""
    rec = result.record()
    pack = result.pack
    rec["outcome_label"] = {"zh": outcome_text(pack, result.determination, result.outcome, "zh"),
                            "en": outcome_text(pack, result.determination, result.outcome, "en")}
    for item in rec["trace"]:
        cl = pack.clauses[item["id"]].clause
        item["label"] = cl.label.model_dump()
        item["text_zh"] = cl.text_zh
        item["provenance"] = {f: result.facts.provenance[f].as_dict() for f in item["facts"]
                              if f in result.facts.provenance}
    rec["needed_questions"] = [{"fact": f, "label": pack.facts[f].label.model_dump(),
                                "question": pack.facts[f].question.model_dump()} for f in result.needed]
    return rec
