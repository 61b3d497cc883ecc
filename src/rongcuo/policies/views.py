"""Public pages: home, the self-check, policy packs and their clause-level comparison.

Thin: the engine decides and compares; `selfcheck` and `explain` only shape its answers for a page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from rongcuo.common.explain import materials, value_text
from rongcuo.common.i18n import tr
from rongcuo.common.packs import registry
from rongcuo.engine.diff import diff
from rongcuo.engine.model import ClauseKind, FactType
from rongcuo.engine.pack import Pack, UnknownPack
from rongcuo.engine.render import KIND_TEXT, STATUS_TEXT, citation
from rongcuo.policies import selfcheck as sc
from rongcuo.registry import permissions as perm

LEVEL_TEXT = {
    "national": ("国家", "National"), "provincial": ("省级", "Provincial"), "municipal": ("市级", "Municipal"),
    "district": ("区级", "District"), "development_zone": ("开发区", "Development zone"),
}
DOMAIN_TEXT = {
    "research_project": ("科研项目", "Research projects"), "tech_transfer": ("成果转化", "Technology transfer"),
    "state_venture_fund": ("国资创投", "State venture funds"),
}
RELATION_TEXT = {
    "same_text": ("条文相同", "Same text"), "same_facts": ("依据相同事实", "Same facts"),
    "overlapping": ("部分重叠", "Overlapping"), "only_left": ("仅左侧有", "Left only"),
    "only_right": ("仅右侧有", "Right only"),
}


def home(request: HttpRequest) -> HttpResponse:
    packs = sorted(registry().latest(), key=lambda p: (list(LEVEL_TEXT).index(p.meta.level), p.id))
    return render(request, "policies/home.html", {"packs": [_pack_row(p) for p in packs]})


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """Where a user lands after signing in: staff on the work queue, applicants on their applications."""
    if perm.works_on_cases(request.user):
        return redirect("work")
    if perm.person_of(request.user) is not None:
        return redirect("my")
    return redirect("home")


# --- self-check ---------------------------------------------------------------------------------------

def _on(request: HttpRequest) -> tuple[dt.date, str]:
    raw = request.GET.get("on", "")
    try:
        return dt.date.fromisoformat(raw), raw
    except ValueError:
        return timezone.localdate(), ""


def self_check(request: HttpRequest) -> HttpResponse:
    reg = registry()
    ids = sc.selfcheck_pack_ids(reg)
    choice = request.GET.get("pack", "")
    on, on_raw = _on(request)
    options = [{"id": pid, **_pack_row(reg.get(pid))} for pid in ids]
    ctx: dict[str, Any] = {"options": options, "choice": choice, "on": on, "on_raw": on_raw}
    if choice != "all" and choice not in ids:
        if choice:
            ctx["choice_error"] = tr("没有名为 {c} 的自测政策包，请重新选择",
                                     "There is no self-check pack {c}; choose again", c=choice)
        return render(request, "policies/self_check.html", ctx, status=404 if choice else 200)
    vocabulary = reg.vocabulary()
    answers = sc.parse_answers(request.GET, vocabulary)
    checks = sc.evaluate(reg, ids if choice == "all" else [choice], answers, on)
    questions = sc.next_questions(checks, answers)
    answered = []
    for fid, raw in answers.raw.items():
        fact = vocabulary[fid]
        text = tr("不清楚", "Don't know") if fid in answers.unknown else value_text(fact, answers.values.get(fid))
        answered.append({"fact": fact, "text": text, "change": sc.without(request.GET, fid), "raw": raw})
    ctx.update({
        "checks": checks, "questions": [_question(f, answers) for f in questions], "answered": answered,
        "errors": [{"fact": vocabulary[f], "message": m} for f, m in answers.errors.items()],
        "share_url": request.build_absolute_uri(), "compare": choice == "all",
        "open_count": sum(1 for c in checks if c.result and c.result.outcome == "undetermined"),
        "prefix": sc.PREFIX,
        "apply_query": _apply_query(request, choice, answers),
    })
    return render(request, "policies/self_check.html", ctx)


def _apply_query(request: HttpRequest, choice: str, answers: sc.Answers) -> str:
    """For a signed-in researcher who leads a project: the application form's address with these answers (据此申请);
    empty for anyone else, or before any answer."""
    from urllib.parse import urlencode

    from rongcuo.registry.models import Project
    from rongcuo.registry.permissions import person_of

    if not answers.values or not getattr(request.user, "is_authenticated", False):
        return ""
    person = person_of(request.user)
    if person is None or not Project.objects.filter(lead=person).exists():
        return ""
    params = {"from_self_check": choice, **{f"{sc.PREFIX}{fid}": answers.raw[fid] for fid in answers.values}}
    return urlencode(params)


def _question(fact: Any, answers: sc.Answers) -> dict[str, Any]:
    kind = fact.type.value
    if fact.type in (FactType.number, FactType.money, FactType.age):
        kind = "number"
    return {"fact": fact, "kind": kind, "name": sc.PREFIX + fact.id,
            "step": "1" if fact.type in (FactType.age, FactType.money) else "any",
            "min": fact.minimum if fact.minimum is not None else (0 if fact.type in (FactType.age, FactType.money)
                                                                  else None),
            "max": fact.maximum, "error": answers.errors.get(fact.id)}


# --- packs --------------------------------------------------------------------------------------------

def _pack_row(p: Pack) -> dict[str, Any]:
    return {"pack": p, "level": LEVEL_TEXT[p.meta.level], "status": STATUS_TEXT[p.meta.status.value],
            "domains": [DOMAIN_TEXT[d] for d in p.meta.domain]}


def packs(request: HttpRequest) -> HttpResponse:
    reg = registry()
    rows = sorted((_pack_row(p) for p in reg.all()),
                  key=lambda r: (list(LEVEL_TEXT).index(r["pack"].meta.level), r["pack"].id))
    return render(request, "policies/packs.html", {"rows": rows, "refs": [r["pack"].ref for r in rows]})


def _get_pack(ref: str) -> Pack:
    try:
        return registry().get(ref)
    except UnknownPack:
        raise Http404(ref) from None


def param_value_text(value: Any) -> str:
    """A pack parameter's value as a reader takes it: numbers grouped by thousands (1,000,000), yes/no for a
    switch, anything else (an enumerated value) as written in the pack."""
    if isinstance(value, bool):
        return tr("是", "yes") if value else tr("否", "no")
    if isinstance(value, int | float):
        return f"{value:,}"
    return str(value)


def pack_detail(request: HttpRequest, ref: str) -> HttpResponse:
    pack = _get_pack(ref)
    groups = []
    for kind in ClauseKind:
        clauses = pack.clauses_of(kind)
        if clauses:
            groups.append({"kind": kind.value, "label": KIND_TEXT[kind],
                           "clauses": [{"clause": c, "cite": citation(pack, c.id)} for c in clauses]})
    params = [{"param": prm, "values": [{"v": v, "text": param_value_text(v.value)} for v in prm.values]}
              for prm in pack.parameters.values()]
    versions = registry().packs.get(pack.id, [])
    return render(request, "policies/pack_detail.html", {
        "p": _pack_row(pack), "pack": pack, "groups": groups, "params": params, "materials": materials(pack),
        "versions": versions, "facts": list(pack.facts.values()), "in_self_check": pack.id in
        sc.selfcheck_pack_ids(registry()),
    })


def packs_compare(request: HttpRequest) -> HttpResponse:
    reg = registry()
    refs = [p.ref for p in sorted(reg.all(), key=lambda p: (list(LEVEL_TEXT).index(p.meta.level), p.id))]
    a_ref, b_ref = request.GET.get("a", ""), request.GET.get("b", "")
    ctx: dict[str, Any] = {"refs": [(r, reg.get(r)) for r in refs], "a_ref": a_ref, "b_ref": b_ref}
    if a_ref and b_ref:
        try:
            a, b = reg.get(a_ref), reg.get(b_ref)
        except UnknownPack:
            ctx["error"] = tr("请选择两个已加载的政策包", "Choose two loaded policy packs")
            return render(request, "policies/packs_compare.html", ctx, status=404)
        rows = diff(a, b)
        kinds: list[dict[str, Any]] = []
        for row in rows:
            if not kinds or kinds[-1]["kind"] != row.kind:
                kinds.append({"kind": row.kind, "label": KIND_TEXT[ClauseKind(row.kind)], "rows": []})
            kinds[-1]["rows"].append({
                "left": row.left, "right": row.right, "relation": row.relation,
                "relation_text": RELATION_TEXT[row.relation],
                "left_cite": citation(a, row.left.id) if row.left else "",
                "right_cite": citation(b, row.right.id) if row.right else ""})
        counts = {rel: sum(1 for r in rows if r.relation == rel) for rel in RELATION_TEXT}
        ctx.update({"a": a, "b": b, "kinds": kinds, "counts": [(k, RELATION_TEXT[k], v) for k, v in counts.items()]})
    return render(request, "policies/packs_compare.html", ctx)
