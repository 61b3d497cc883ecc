"""What a case is now: its pinned pack's procedure, its current findings, the engine's determination on them, the
materials an application is filed with."""

from __future__ import annotations

from typing import Any

from rongcuo.cases.models import Case, CaseFact
from rongcuo.common.errors import Invalid
from rongcuo.common.packs import pack_of
from rongcuo.engine.decide import Result, decide
from rongcuo.engine.facts import parse_facts
from rongcuo.engine.model import Procedure, Stage
from rongcuo.engine.pack import Pack


def pack_procedure(pack: Pack) -> Procedure:
    if pack.procedure is None:
        raise Invalid(f"政策包 {pack.ref} 未规定认定程序，不能立案", f"pack {pack.ref} defines no procedure; "
                      "cases cannot be filed under it", field="pack_id")
    return pack.procedure


def procedure_stage(proc: Procedure, stage_id: str) -> Stage:
    for s in proc.stages:
        if s.id == stage_id:
            return s
    raise Invalid(f"未知阶段 {stage_id}", f"unknown stage {stage_id}", field="stage")


def current_facts(case: Case) -> dict[str, CaseFact]:
    return {f.fact_id: f for f in case.facts.filter(current=True).select_related("established_by")
            .prefetch_related("evidence")}


def case_fact_input(case: Case) -> dict[str, Any]:
    """The engine's input: current findings with their provenance."""
    out: dict[str, Any] = {}
    for f in current_facts(case).values():
        if f.value is None:
            continue
        out[f.fact_id] = {"value": f.value, "by": f.established_by.get_username(), "role": f.role,
                          "at": f.established_at.isoformat(), "stage": f.stage,
                          "evidence": [e.sha256[:12] + ":" + e.original_name for e in f.evidence.all()]}
    return out


def case_evaluate(case: Case, *, assume_in_scope: bool = False) -> Result:
    pack = pack_of(case, verify=True)  # decided under the text pinned at filing, or not at all
    facts = parse_facts(pack.facts, case_fact_input(case), accepted=pack.accepted_facts)
    return decide(pack, facts, case.relevant_date, case.determination_id, assume_in_scope=assume_in_scope)


def application_materials(pack: Pack) -> list[Any]:
    """The materials an application is filed with: those of the first stage of the pack's procedure."""
    proc = pack.procedure
    return list(proc.stages[0].materials) if proc and proc.stages else []
