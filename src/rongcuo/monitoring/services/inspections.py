"""Random inspections (随机抽查) that replay from their stored seed and candidate list."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction

from rongcuo.audit.services import audit_append
from rongcuo.common.errors import Invalid
from rongcuo.common.packs import registry
from rongcuo.engine.pack import Pack, UnknownPack
from rongcuo.monitoring import permissions as perm
from rongcuo.monitoring import services
from rongcuo.monitoring.models import EarlyWarning, Inspection, InspectionItem, InspectionResult, WarningStatus
from rongcuo.monitoring.packs import monitoring_pack
from rongcuo.monitoring.services.inputs import clean_text
from rongcuo.registry.models import Organisation, Project, ProjectStatus

STRATA = ("none", "programme", "risk")


def _lottery(seed: str, stratum: str, project_id: int) -> str:
    """Each candidate's lottery number: SHA-256 of seed|stratum|project id. Anyone can recompute it."""
    return hashlib.sha256(f"{seed}|{stratum}|{project_id}".encode()).hexdigest()


def draw_sample(candidates: dict[str, list[int]], sizes: dict[str, int], seed: str) -> dict[str, list[int]]:
    """In each stratum, the `sizes[stratum]` candidates with the lowest lottery numbers (ascending ids)."""
    return {s: sorted(sorted(ids, key=lambda pid: (_lottery(seed, s, pid), pid))[:sizes.get(s, 0)])
            for s, ids in sorted(candidates.items())}


def allocate(counts: dict[str, int], size: int) -> dict[str, int]:
    """Split a sample proportionally to the strata (largest remainder; ties by stratum name)."""
    total = sum(counts.values())
    if total == 0:
        return {s: 0 for s in counts}
    exact = {s: size * n / total for s, n in counts.items()}
    out = {s: int(x) for s, x in exact.items()}
    for s in sorted(counts, key=lambda s: (-(exact[s] - out[s]), s))[:size - sum(out.values())]:
        out[s] += 1
    return out


def _candidates(bureau: Organisation, strata: str) -> dict[str, list[int]]:
    rows = list(Project.objects.filter(bureau=bureau, status=ProjectStatus.running).order_by("id").values_list(
        "id", "programme"))
    if strata == "programme":
        out: dict[str, list[int]] = {}
        for pid, programme in rows:
            out.setdefault(programme or "", []).append(pid)
        return out
    if strata == "risk":
        risky = set(EarlyWarning.objects.filter(bureau=bureau, status=WarningStatus.open).values_list(
            "project_id", flat=True))
        return {"open_warnings": [pid for pid, _ in rows if pid in risky],
                "no_open_warnings": [pid for pid, _ in rows if pid not in risky]}
    return {"all": [pid for pid, _ in rows]}


@transaction.atomic
def inspection_draw(*, bureau: Organisation, actor: Any, size: int | None = None,
                    sizes: dict[str, int] | None = None, strata: str = "none", seed: str | None = None) -> Inspection:
    """Draw running projects of a bureau for a random inspection (随机抽查).

    `strata`: none, programme (计划类别) or risk (has open warnings or not). Give `size` (split across strata
    in proportion) or `sizes` per stratum. The seed (random unless given, e.g. a publicly drawn number) and
    the candidate list are stored, so `inspection_replay` gives the same sample whatever changes later.
    """
    perm.require(perm.bureau_roles(actor, bureau.pk), {"caseworker"}, "组织随机抽查", "draw inspections")
    if strata not in STRATA:
        raise Invalid(f"分层方式须为 {'/'.join(STRATA)}", f"strata must be one of {', '.join(STRATA)}", field="strata")
    if (size is None) == (sizes is None):
        raise Invalid("请给出抽查数量 size，或按层给出 sizes（二者选一）",
                      "give size, or sizes per stratum (one of them)", field="size")
    if seed is not None and (not seed.strip() or len(seed) > 128):
        raise Invalid("随机种子须为 1–128 个字符", "the seed must be 1–128 characters", field="seed")
    on = services.today()
    candidates = _candidates(bureau, strata)
    counts = {s: len(ids) for s, ids in candidates.items()}
    if sizes is not None:
        for s, n in sizes.items():
            if s not in counts:
                raise Invalid(f"没有“{s}”这一层；现有：{', '.join(sorted(counts)) or '无'}",
                              f"no stratum {s!r}; strata are: {', '.join(sorted(counts)) or 'none'}",
                              field=f"sizes.{s}")
            if not isinstance(n, int) or isinstance(n, bool) or n < 0 or n > counts[s]:
                raise Invalid(f"“{s}”层只有 {counts[s]} 个项目", f"stratum {s!r} has {counts[s]} projects",
                              field=f"sizes.{s}")
        chosen = {s: sizes.get(s, 0) for s in counts}
    else:
        assert size is not None
        total = sum(counts.values())
        if isinstance(size, bool) or size < 1 or size > total:
            raise Invalid(f"抽查数量须在 1 到 {total}（执行中项目数）之间", f"size must be 1 to {total} (running "
                          "projects)", field="size")
        chosen = allocate(counts, size)
    if sum(chosen.values()) == 0:
        raise Invalid("抽查数量不能为 0", "the sample cannot be empty", field="sizes")
    seed = seed.strip() if seed else secrets.token_hex(16)
    sample = draw_sample(candidates, chosen, seed)
    pack = monitoring_pack(bureau, on, need="inspection")
    insp = Inspection.objects.create(number=f"TMP-{secrets.token_hex(6)}", bureau=bureau, drawn_on=on,
                                     pack_ref=pack.ref if pack else "", strata=strata, sizes=chosen, seed=seed,
                                     candidates=candidates, sample=sample, drawn_by=actor)
    insp.number = f"CC-{on.year}-{insp.pk:06d}"
    insp.save(update_fields=["number"])
    InspectionItem.objects.bulk_create([InspectionItem(inspection=insp, project_id=pid, stratum=s)
                                        for s, ids in sample.items() for pid in ids])
    audit_append(actor=actor, action="inspection.draw", subject=insp,
                 after={"number": insp.number, "bureau": bureau.code, "strata": strata, "sizes": chosen, "seed": seed,
                        "candidates": counts, "sample": sample,
                        "candidates_sha256": hashlib.sha256(repr(sorted(candidates.items())).encode()).hexdigest()})
    return insp


def inspection_replay(*, inspection: Inspection) -> dict[str, list[int]]:
    """Re-run the draw from the stored seed and candidate list; equal to `inspection.sample`."""
    return draw_sample(inspection.candidates, inspection.sizes, inspection.seed)


@transaction.atomic
def inspection_item_record(*, item: InspectionItem, actor: Any, result: str, notes: str = "",
                           findings: dict[str, str] | None = None) -> InspectionItem:
    """Record what checking one sampled project found (per inspection item of the pack, e.g. 经费管理使用)."""
    insp = item.inspection
    perm.require(perm.bureau_roles(actor, insp.bureau_id), {"caseworker"}, "登记抽查结果", "record inspection results")
    if result not in (InspectionResult.no_issues, InspectionResult.issues_found):
        raise Invalid("结果须为 no_issues（未发现问题）或 issues_found（发现问题）",
                      "result must be no_issues or issues_found", field="result")
    findings = findings or {}
    pack = _pack_by_ref(insp.pack_ref)
    allowed = [i.id for i in pack.monitoring.inspection.items] if pack and pack.monitoring and \
        pack.monitoring.inspection else []
    clean: dict[str, str] = {}
    for key, text in findings.items():
        if key not in allowed:
            raise Invalid(f"检查事项须为：{', '.join(allowed) or '（政策包未列）'}",
                          f"inspection items are: {', '.join(allowed) or '(none in the pack)'}",
                          field=f"findings.{key}")
        clean[key] = clean_text(text, f"findings.{key}", required=False)
    notes = clean_text(notes, "notes", required=result == InspectionResult.issues_found and not any(clean.values()))
    item = InspectionItem.objects.select_for_update().get(pk=item.pk)
    before = item.result
    item.result, item.notes, item.findings = result, notes, clean
    item.checked_on, item.checked_by = services.today(), actor
    item.save()
    audit_append(actor=actor, action="inspection.record", subject=insp, before={"result": before},
                 after={"project": item.project_id, "result": result, "findings": clean})
    return item


def _pack_by_ref(ref: str) -> Pack | None:
    if not ref:
        return None
    try:
        return registry().get(ref)
    except UnknownPack:
        return None
