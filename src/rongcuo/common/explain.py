"""A determination made readable for a page (认定结论说明): from the engine's frozen record and the pinned pack.

The case page reads `case.determination` (the services store `render.result_json` there); the self-check
reads `Result.record()` of a fresh decision. Both are the same record shape, so both pages explain a
determination in one way: outcome, decisive clauses with their original text, exclusions that overrode
situations, facts still needed, consequences, obligations and the full trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rongcuo.common.i18n import lang, tr
from rongcuo.engine.model import FactDef, Material, Text
from rongcuo.engine.pack import Pack
from rongcuo.engine.render import KIND_TEXT, OUTCOME_TEXT, citation, fact_value_text
from rongcuo.engine.tasks import PARTY_TEXT


@dataclass
class FactLine:
    id: str
    label: Text | None
    value: Any
    value_text: str
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def mark(self) -> str:
        return _mark(None if self.value is None else bool(self.value))


@dataclass
class ClauseLine:
    id: str
    kind: str
    kind_label: Text | None
    cite: str
    label: Text | None
    text_zh: str
    value: bool | None
    note: Text | None = None
    facts: list[FactLine] = field(default_factory=list)
    is_fact: bool = False  # a fact a determination reads directly, not a clause

    @property
    def mark(self) -> str:
        return _mark(self.value)

    @property
    def mark_class(self) -> str:
        return {True: "yes", False: "no", None: "unknown"}[self.value]


def _mark(value: bool | None) -> str:
    return {True: "✓", False: "✗", None: "?"}[value]


def value_text(fact: FactDef | None, value: Any) -> str:
    if isinstance(value, str) and fact is not None and fact.type.value == "date":
        return value
    return fact_value_text(fact, value, "en" if lang() == "en" else "zh")


def clause_line(pack: Pack, cid: str, value: bool | None, facts: dict[str, Any] | None = None,
                provenance: dict[str, Any] | None = None) -> ClauseLine:
    if cid not in pack.clauses:  # a fact read directly by the determination
        f = pack.facts.get(cid)
        v = (facts or {}).get(cid)
        return ClauseLine(id=cid, kind="fact", kind_label=Text(zh="事实", en="Fact"), cite="",
                          label=f.label if f else None, text_zh="", value=None if v is None else bool(v), is_fact=True)
    cc = pack.clauses[cid]
    cl = cc.clause
    lines = []
    for fid in cc.facts:
        v = (facts or {}).get(fid)
        lines.append(FactLine(id=fid, label=pack.facts[fid].label if fid in pack.facts else None, value=v,
                              value_text=value_text(pack.facts.get(fid), v),
                              provenance=(provenance or {}).get(fid) or {}))
    return ClauseLine(id=cid, kind=cl.kind.value, kind_label=KIND_TEXT.get(cl.kind), cite=citation(pack, cid),
                      label=cl.label, text_zh=cl.text_zh, value=value, note=cl.note, facts=lines)


def _fact_values(record: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for fid, v in (record.get("facts") or {}).items():
        out[fid] = v.get("value") if isinstance(v, dict) else v
    return out


def determination_view(pack: Pack, record: dict[str, Any]) -> dict[str, Any]:
    """Everything a page shows of one determination, with texts from the pack version it was made under."""
    if not record:
        return {}
    values = {item["id"]: item.get("value") for item in record.get("trace", [])}
    facts = _fact_values(record)
    provenance: dict[str, Any] = {}
    for item in record.get("trace", []):
        provenance.update(item.get("provenance") or {})
    raw_prov = record.get("facts") or {}
    for fid, v in raw_prov.items():
        if isinstance(v, dict) and fid not in provenance:
            provenance[fid] = {k: v[k] for k in ("by", "role", "at", "stage", "evidence") if v.get(k)}
    outcome = record.get("outcome", "undetermined")
    det = pack.determinations.get(record.get("determination", ""))
    label = (det.outcome_labels.get(outcome) if det else None) or OUTCOME_TEXT[outcome]
    overrides = []
    for excl, hits in (record.get("overrides") or {}).items():
        overrides.append((clause_line(pack, excl, values.get(excl), facts),
                          [clause_line(pack, h, values.get(h), facts) for h in hits]))
    obligations = []
    for ob in record.get("obligations") or []:
        clause = pack.clauses.get(ob["clause"])
        spec = next((o for o in clause.clause.obligations if o.id == ob["id"]), None) if clause else None
        obligations.append({"label": spec.label if spec else Text(zh=ob["id"], en=ob["id"]),
                            "period": period_text(ob.get("due_days"), ob.get("day_kind"), ob.get("from_event"))})
    return {
        "outcome": outcome,
        "outcome_label": label,
        "determination_label": det.label if det else None,
        "on": record.get("on"),
        "pack_ref": f"{record['pack']['id']}@{record['pack']['version']}" if record.get("pack") else pack.ref,
        "content_hash": (record.get("pack") or {}).get("content_hash", pack.content_hash),
        "decisive": [clause_line(pack, cid, values.get(cid), facts) for cid in record.get("decisive") or []],
        "overrides": overrides,
        "needed": [pack.facts[f] for f in record.get("needed") or [] if f in pack.facts],
        "consequences": [clause_line(pack, cid, values.get(cid), facts) for cid in record.get("consequences") or []
                         if cid in pack.clauses],
        "obligations": obligations,
        "routed_to": [Text(**r) for r in record.get("routed_to") or [] if r.get("zh") and r.get("en")],
        "trace": [clause_line(pack, item["id"], item.get("value"), facts, provenance)
                  for item in record.get("trace", []) if item["id"] in pack.clauses],
    }


def period_text(days: int | None, day_kind: str | None, event: str | None) -> str:
    if not days:
        return tr("未规定期限", "no period set")
    unit = tr("个工作日", " working days") if day_kind == "working" else tr("日", " days")
    return tr("{n}{unit}内（自 {event} 起算）", "within {n}{unit} (from {event})", n=days, unit=unit, event=event or "")


def materials(pack: Pack) -> list[tuple[Text, Material]]:
    """The procedure's materials checklist (申请材料清单): (stage label, material), in procedure order."""
    if pack.procedure is None:
        return []
    return [(s.label, m) for s in pack.procedure.stages for m in s.materials]


def stage_label(pack: Pack | None, stage_id: str) -> Text:
    if pack is not None and pack.procedure is not None:
        for s in pack.procedure.stages:
            if s.id == stage_id:
                return s.label
    return Text(zh=stage_id, en=stage_id)


ROLE_TEXT: dict[str, Text] = {
    **{party.value: text for party, text in PARTY_TEXT.items()},  # the kinds of finding (established_by)
    # case roles
    "applicant": Text(zh="申请人", en="Applicant"),
    "host_unit_reviewer": Text(zh="承担单位审核人", en="Host-unit reviewer"),
    "caseworker": Text(zh="经办人", en="Caseworker"),
    "nsf_office": Text(zh="自然科学基金办公室", en="NSF office"),
    "expert": Text(zh="评审专家", en="Expert"),
    "auditor": Text(zh="审计（只读）", en="Auditor (read-only)"),
    "admin": Text(zh="管理员", en="Administrator"),
    "public": Text(zh="公众", en="Public"),
}


def role_text(role: str) -> Text:
    return ROLE_TEXT.get(role) or Text(zh=role, en=role)
