"""Server-rendered pages: the monitoring dashboard of a bureau and a project's monitoring page.

Thin: reads through the same selectors as the API (`services.warning_describe`, `correction_history`, the
summary of `api.warning_summary`); who may read is `permissions`. Writes go through the API.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from rongcuo.common.errors import NotFound
from rongcuo.monitoring import permissions as perm
from rongcuo.monitoring import selectors
from rongcuo.monitoring import services as svc
from rongcuo.monitoring.explain import DAY_KIND_TEXT, ROLE_TEXT, stratum_text
from rongcuo.registry.models import Organisation

MILESTONE_STATUS_TEXT = {"planned": ("计划中", "Planned"), "done": ("已完成", "Reached"),
                         "missed": ("未完成", "Missed")}
SEVERITY_TEXT = {"notice": ("提示", "Notice"), "warning": ("预警", "Warning"), "serious": ("严重", "Serious")}
ESCALATION_TEXT = {"deadline_missed": ("逾期未整改", "Deadline missed"),
                   "verification_failed": ("整改验收不通过", "Rectification rejected")}


def _state_text(state: str) -> tuple[str, str]:
    label = selectors.state_label(state)
    return label["zh"], label["en"]


def _rule_labels(bureau: Organisation) -> dict[str, Any]:
    pack = svc.monitoring_pack(bureau, svc.today())
    return {r.id: r for r in pack.monitoring.rules} if pack and pack.monitoring else {}


def history_texts(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A correction history (`services.correction_history`) with the texts the pages show, in zh and en."""
    for c in history:
        c["state_text"] = (c["state_label"]["zh"], c["state_label"]["en"])
        c["day_kind_text"] = DAY_KIND_TEXT.get(c["rectify_day_kind"] or "working")
        c["escalation_text"] = ESCALATION_TEXT.get(c["escalation_reason"])
        for e in c["events"]:
            e["label_text"] = (e["label"]["zh"], e["label"]["en"])
            e["role_text"] = ROLE_TEXT.get(e["role"], (e["role"], e["role"]))
    return history


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    mine = perm.visible_bureaus(user)
    bureaus = selectors.bureaus_of(user, mine)
    if not bureaus:
        raise PermissionDenied("monitoring is for bureau staff, auditors and administrators")
    chosen = request.GET.get("bureau", "")
    today = svc.today()
    monitored = [b for b in bureaus if svc.monitoring_pack(b, today, need="inspection")]
    bureau = next((b for b in bureaus if str(b.pk) == chosen), (monitored or bureaus)[0])
    rules = _rule_labels(bureau)
    summary = selectors.bureau_warning_summary(bureau)
    for row in summary["by_rule"]:
        r = rules.get(row["rule_id"])
        row["label"] = r.label if r else (row["rule_id"], row["rule_id"])
        row["severity"] = SEVERITY_TEXT.get(r.severity if r else "warning")
    corrections = []
    for c in selectors.open_corrections(bureau):
        overdue = bool(c.rectify_due and today > c.rectify_due and c.state in svc.AWAITING_RECTIFICATION)
        corrections.append({"c": c, "state": _state_text(c.state), "overdue": overdue})
    recent = selectors.recent_warnings(bureau)
    return render(request, "monitoring/dashboard.html", {
        "bureaus": bureaus, "bureau": bureau, "summary": summary, "corrections": corrections, "today": today,
        "recent": [{"w": w, "d": svc.warning_describe(w)} for w in recent],
        "last_sweep": selectors.last_sweep(bureau),
        "inspections": [{"i": i, "strata": i.strata, "n": sum(len(v) for v in i.sample.values())}
                        for i in selectors.recent_inspections(bureau)],
        "has_rules": bool(rules),
    })


@login_required
def project_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        project, roles = perm.project_for(request.user, pk)
    except NotFound:
        raise Http404("no such project") from None
    if not roles & perm.HISTORY_READERS:
        raise PermissionDenied("the project's monitoring page is for bureau staff, auditors and administrators")
    milestones = [{"m": m, "status": MILESTONE_STATUS_TEXT.get(m.status, (m.status, m.status)),
                   "reports": list(m.reports.all())} for m in project.milestones.prefetch_related("reports")]
    warnings = [{"w": w, "d": svc.warning_describe(w), "severity": SEVERITY_TEXT.get(w.severity)}
                for w in project.monitoring_warnings.order_by("status", "-raised_on", "id")]
    history = history_texts(selectors.correction_history(project))
    items = [{"it": it, "stratum": stratum_text(it.inspection.strata, it.stratum)}
             for it in project.inspection_items.select_related("inspection")]
    return render(request, "monitoring/project.html", {
        "project": project, "milestones": milestones, "warnings": warnings, "corrections": history,
        "checks": list(project.midterm_checks.all()), "spending": list(project.spending_reports.all()),
        "changes": list(project.major_changes.all()), "inspection_items": items, "today": svc.today(),
    })
