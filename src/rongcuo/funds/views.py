"""Pages: the funds list, a fund's loss position over time, the manager's exemption with its trace, and
technology transfers with their pricing determination. Thin: the figures come from `selectors`, the
decisions from the engine, the explanations from `rongcuo.common.explain`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from rongcuo.common.errors import NotFound, ServiceError
from rongcuo.common.explain import determination_view
from rongcuo.common.i18n import lang, pick, tr
from rongcuo.engine.render import outcome_text, result_json
from rongcuo.funds import permissions as perm
from rongcuo.funds import selectors
from rongcuo.funds import services as svc
from rongcuo.funds.chart import loss_chart_svg
from rongcuo.funds.models import TransferMethod

METHOD_TEXT = {m.value: {"zh": m.label.split(" ", 1)[0], "en": m.label.split(" ", 1)[1]} for m in TransferMethod}
STATUS_TEXT = {
    "exited": {"zh": "已退出", "en": "Exited"}, "written_off": {"zh": "已核销", "en": "Written off"},
    "valued": {"zh": "持有（已估值）", "en": "Held (valued)"},
    "at_cost": {"zh": "持有（按成本）", "en": "Held (at cost)"},
}


def _on(request: HttpRequest) -> dt.date:
    raw = request.GET.get("on", "")
    if raw:
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            messages.error(request, tr("日期格式应为 YYYY-MM-DD，已按今天显示", "Dates are YYYY-MM-DD; showing today"))
    return selectors.today()


def _get_or_404(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except NotFound:
        raise Http404 from None


def _pct(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


@login_required
def fund_list(request: HttpRequest) -> HttpResponse:
    on = selectors.today()
    rows = []
    for fund in perm.visible_funds(request.user):
        row: dict[str, Any] = {"fund": fund, "life": selectors.life(fund, on)}
        try:
            ctx = selectors.Context(fund, on)
            row.update(pack=ctx.pack, measure=ctx.measure, invested=ctx.loss.fund.invested,
                       ratio=_pct(ctx.loss.fund.ratio))
        except ServiceError as exc:
            row["error"] = {"zh": exc.zh, "en": exc.en}
        rows.append(row)
    return render(request, "funds/fund_list.html", {"rows": rows, "on": on})


@login_required
def fund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    fund = _get_or_404(perm.fund_for, request.user, pk)
    on = _on(request)
    ctx: dict[str, Any] = {"fund": fund, "on": on, "roles": perm.fund_roles(request.user, fund)}
    try:
        report = selectors.loss_report(fund, on)
    except ServiceError as exc:
        ctx["error"] = {"zh": exc.zh, "en": exc.en}
        return render(request, "funds/fund_detail.html", ctx)
    pack = selectors.registry().get(report["pack"]["ref"])
    series_rows = []
    for p in report["series"]:
        cells = []
        for cat in fund.categories:
            c = p["categories"].get(cat) or {}
            cells.append({"ratio": _pct(c.get("ratio")), "limit": _pct((c.get("limit") or {}).get("value")),
                          "position": c.get("position"), "position_label": c.get("position_label"),
                          "outcome": c.get("outcome"), "outcome_label": c.get("outcome_label")})
        f = p["fund"]
        series_rows.append({"date": p["date"], "measure": p["loss_measure"], "interim": p["interim"], "cells": cells,
                            "fund": {"ratio": _pct(f.get("ratio")), "limit": _pct((f.get("limit") or {}).get("value")),
                                     "position": f.get("position"), "outcome": f.get("outcome"),
                                     "outcome_label": f.get("outcome_label")}})
    for c in report["categories"]:
        c["ratio_text"], c["limit_text"] = _pct(c["ratio"]), _pct((c.get("limit") or {}).get("value"))
    total = report["fund_total"]
    total["ratio_text"], total["limit_text"] = _pct(total["ratio"]), _pct((total.get("limit") or {}).get("value"))
    for p in report["projects"]:
        p["ratio_text"], p["limit_text"] = _pct(p.get("ratio")), _pct((p.get("limit") or {}).get("value"))
        p["status_label"] = STATUS_TEXT.get(p.get("status", ""), {"zh": "尚未投资", "en": "Not yet invested"})
    ctx.update(report=report, pack=pack, series_rows=series_rows,
               chart=loss_chart_svg(report["series"], fund.categories),
               category_labels=[selectors.CATEGORY_TEXT[c] for c in fund.categories],
               checks=fund.checks.select_related("checked_by")[:10])
    return render(request, "funds/fund_detail.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def exemption(request: HttpRequest, pk: int) -> HttpResponse:
    inv = selectors.investment(pk)
    if inv is None or not perm.fund_roles(request.user, inv.fund):
        raise Http404
    roles = perm.fund_roles(request.user, inv.fund)
    if request.method == "POST":
        try:
            svc.investment_decide_exemption(actor=request.user, investment=inv, on=request.POST.get("on") or None)
            messages.success(request, tr("已作出并记录尽职免责认定", "The exemption decision was made and recorded"))
        except ServiceError as exc:
            if exc.status == 403:  # who may not decide is refused outright, as on every other page
                raise PermissionDenied(f"{exc.zh} / {exc.en}") from None
            messages.error(request, pick({"zh": exc.zh, "en": exc.en}))
        return redirect("funds:exemption", pk=inv.pk)
    on = _on(request)
    stored = inv.exemptions.select_related("decided_by").first()
    ctx: dict[str, Any] = {"inv": inv, "fund": inv.fund, "on": on, "stored": stored,
                           "may_decide": bool(roles & {"supervisor", "admin"})}
    try:
        if stored is not None and "on" not in request.GET:
            pack = selectors.registry().get(stored.pack_ref)
            record = stored.record
        else:
            res = selectors.exemption_result(inv, on)
            pack, record = res.pack, result_json(res)
            ctx["preview"] = True
    except ServiceError as exc:
        ctx["error"] = {"zh": exc.zh, "en": exc.en}
        return render(request, "funds/exemption.html", ctx)
    ctx.update(pack=pack, record=record, d=determination_view(pack, record),
               findings=inv.findings.select_related("established_by").order_by("fact_id", "-established_at"),
               fund_findings=inv.fund.findings.filter(investment__isnull=True).select_related("established_by"),
               vocab=selectors.fund_vocabulary(inv.fund, on))
    return render(request, "funds/exemption.html", ctx)


def _transfer_row(t: Any) -> dict[str, Any]:
    pack = svc.transfer_pack(t)
    det = pack.default_determination
    record = t.decisions.get(det) or {}
    change = None
    if t.later_value_yuan is not None and t.price_yuan:
        change = f"{float((t.later_value_yuan - t.price_yuan) / t.price_yuan) * 100:+.1f}%"
    return {"t": t, "pack": pack, "method": METHOD_TEXT[t.method], "change": change,
            "pricing": determination_view(pack, record) if record else None,
            "pricing_label": pack.determinations[det].label}


@login_required
def transfer_list(request: HttpRequest) -> HttpResponse:
    rows = [_transfer_row(t) for t in perm.visible_transfers(request.user)]
    return render(request, "funds/transfer_list.html", {"rows": rows})


@login_required
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    t = _get_or_404(perm.transfer_for, request.user, pk)
    row = _transfer_row(t)
    pack = row["pack"]
    dets = [{"id": d, "label": pack.determinations[d].label, "view": determination_view(pack, r),
             "outcome_text": outcome_text(pack, d, r["outcome"], lang())} for d, r in t.decisions.items()]
    findings = t.findings.select_related("established_by").order_by("fact_id", "-established_at")
    page = {("transfer" if k == "t" else k): v for k, v in row.items()}  # `t` is the pages' text function
    return render(request, "funds/transfer_detail.html", {**page, "dets": dets, "findings": findings})
