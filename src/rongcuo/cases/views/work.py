"""The work queue: the cases the user may see, filtered and paged, with the running deadlines."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, reverse
from django.views.decorators.http import require_POST

from rongcuo.cases import permissions as perm
from rongcuo.cases import services as svc
from rongcuo.cases.selectors import assignment, lists
from rongcuo.cases.selectors.record import pack_or_none
from rongcuo.cases.views.common import DISPOSITION_TEXT, case_url_pattern, deadline_table
from rongcuo.common.explain import stage_label
from rongcuo.common.i18n import pick, tr
from rongcuo.common.packs import registry
from rongcuo.engine.model import Text
from rongcuo.engine.pack import UnknownPack
from rongcuo.engine.render import OUTCOME_TEXT


def _stage_options(user: Any) -> list[tuple[str, Text]]:
    """The stages of the packs the user's cases are decided under, in their procedures' order. The pack versions
    in use change only when a case is filed under a new one, and collecting them means reading every case the user
    may see, so the list is cached per user for STAGE_OPTIONS_TTL seconds (the filter accepts any stage id
    meanwhile)."""
    from django.core.cache import cache

    key = f"work:pack-versions:{user.pk}"
    versions = cache.get(key)
    if versions is None:
        versions = sorted(set(perm.visible_cases(user).order_by().values_list("pack_id", "pack_version").distinct()))
        cache.set(key, versions, STAGE_OPTIONS_TTL)
    seen: dict[str, Text] = {}
    for pack_id, version in versions:
        try:
            pack = registry().get(f"{pack_id}@{version}")
        except UnknownPack:
            continue
        for s in pack.procedure.stages if pack.procedure else []:
            seen.setdefault(s.id, s.label)
    return list(seen.items())  # in the procedure's order (a case goes through them so), the first pack's first


STAGE_OPTIONS_TTL = 300


@login_required
def work(request: HttpRequest) -> HttpResponse:
    """The work queue: running deadlines by due date (with overdue / due-soon counts over all of them) and the
    user's cases, newest first, one page at a time. Reads only the listed columns: a bureau's queue may hold
    tens of thousands of cases, and the page must not load their determinations to show their numbers."""
    user = request.user
    stage, outcome, q = request.GET.get("stage", ""), request.GET.get("outcome", ""), request.GET.get("q", "").strip()
    raw_page = request.GET.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) <= 100_000 else 1
    view = request.GET.get("view", "")
    view = view if view in lists.VIEWS else ""
    awaiting = view == "awaiting"
    queue = lists.work_queue(user, page=page, stage=stage, outcome=outcome, q=q, view=view)
    cases, cal = queue.cases, queue.calendar
    url_of = case_url_pattern(get_script_prefix()).format  # (the script prefix read once for the page's links)
    deadline_rows = deadline_table(queue.deadlines, cal)
    for row in deadline_rows:
        row["url"] = url_of(row["d"].case_id)
    next_due: dict[int, dict[str, Any]] = {}
    for row in deadline_table(queue.next_of_listed, cal):
        next_due.setdefault(row["d"].case_id, row)
    # A page lists a handful of packs and stages many times: each label is picked once.
    packs = {(c.pack_id, c.pack_version): pack_or_none(c) for c in cases}
    pack_texts = {key: pick(pack.meta.short) if pack else "" for key, pack in packs.items()}
    stage_texts: dict[tuple[str, str, str], str] = {}
    outcome_texts = {k: pick(v) for k, v in OUTCOME_TEXT.items()}
    disposition_texts = {k: pick(v) for k, v in DISPOSITION_TEXT.items()}
    rows = []
    for c in cases:
        key = (c.pack_id, c.pack_version)
        stage_text = stage_texts.get((*key, c.stage))
        if stage_text is None:
            stage_text = stage_texts[(*key, c.stage)] = pick(stage_label(packs[key], c.stage))
        rows.append({"case": c, "url": url_of(c.pk), "next": next_due.get(c.pk), "stage_text": stage_text,
                     "pack_text": pack_texts[key], "outcome_text": outcome_texts.get(c.outcome, ""),
                     "disposition_text": disposition_texts.get(c.disposition, ""),
                     "waiting": queue.waiting_facts.get(c.pk, 0), "flags": queue.flags.get(c.pk, []),
                     "assignee": " ".join(x for x in (c.assignee__last_name, c.assignee__first_name) if x)
                     if c.assignee_id else ""})
    keep = {k: v for k, v in (("view", view), ("stage", stage), ("outcome", outcome), ("q", q)) if v}
    return render(request, "cases/work.html", {
        "rows": rows, "deadlines": deadline_rows, "stage": stage, "outcome": outcome, "q": q,
        "stages": _stage_options(user), "outcomes": list(OUTCOME_TEXT.items()),
        "filtered": bool(stage or outcome or q), "page": page, "has_next": queue.has_next,
        "first_no": (page - 1) * lists.WORK_PAGE + 1, "last_no": (page - 1) * lists.WORK_PAGE + len(rows),
        "prev_query": urlencode({**keep, "page": page - 1}), "next_query": urlencode({**keep, "page": page + 1}),
        "first_query": urlencode({**keep, "page": 1}),
        "more_deadlines": len(deadline_rows) == lists.WORK_DEADLINES,
        "overdue": queue.overdue, "due_soon": queue.due_soon, "awaiting": awaiting, "awaiting_count": queue.awaiting,
        "all_query": urlencode({k: v for k, v in keep.items() if k != "view"}),
        "awaiting_query": urlencode({**{k: v for k, v in keep.items() if k != "view"}, "view": "awaiting"}),
        "view": view, "back_query": urlencode({**keep, "page": page}), "mine_count": queue.mine,
        "unassigned_count": queue.unassigned,
        "view_query": {name: urlencode({**{k: v for k, v in keep.items() if k != "view"}, "view": name})
                       for name in lists.VIEWS},
        "can_assign": assignment.assignable_by(user),
    })


# --- case page ----------------------------------------------------------------------------------------


def _assignee(request: HttpRequest) -> Any:
    """The caseworker chosen in a form (`assignee`: a user id, "me", or "" for nobody)."""
    from django.contrib.auth import get_user_model

    from rongcuo.common.errors import Invalid

    raw = request.POST.get("assignee", "")
    if raw == "me":
        return request.user
    if raw == "":
        return None
    found = get_user_model().objects.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 12 else None
    if found is None:
        raise Invalid("请选择承办的经办人", "choose the caseworker to handle it", field="assignee")
    return found


@login_required
@require_POST
def work_assign(request: HttpRequest) -> HttpResponse:
    """Assign the cases ticked in the work queue (a caseworker lead or an administrator), all or none."""
    from rongcuo.common.errors import ServiceError

    ids = [int(x) for x in request.POST.getlist("cases") if x.isdigit() and len(x) < 12]
    back = request.POST.get("back", "")
    try:
        assignee = _assignee(request)
        done = svc.cases_assign(case_ids=ids, actor=request.user, assignee=assignee)
    except ServiceError as exc:  # the queue again, saying why, with the refusal's status; nothing was changed
        messages.error(request, tr("未能分配：{m}", "Not assigned: {m}", m=pick((exc.zh, exc.en))))
        response = work(request)
        response.status_code = exc.status
        return response
    messages.success(request, tr("已分配 {n} 件案件", "{n} cases assigned", n=len(done)))
    return redirect(f"{reverse('work')}?{back}" if back and "//" not in back else reverse("work"))


@login_required
@require_POST
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Claim the case (认领), or, as a caseworker lead, assign it to a caseworker."""
    from rongcuo.cases.views.case import refused
    from rongcuo.cases.views.common import case_or_404
    from rongcuo.common.errors import ServiceError

    case = case_or_404(request.user, pk)
    try:
        assignee = _assignee(request)
        svc.case_assign(case=case, actor=request.user, assignee=assignee, reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        return refused(request, pk, exc, "assign", {"assignee": request.POST.get("assignee", "")})
    if assignee is None:
        messages.success(request, tr("已取消承办人", "The case now has no assignee"))
    else:
        messages.success(request, tr("承办人：{n}", "Assigned to {n}", n=assignee.get_full_name() or "—"))
    return redirect("case", pk=pk)
