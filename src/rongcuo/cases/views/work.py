"""The work queue: the cases the user may see, filtered and paged, with the running deadlines."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import get_script_prefix

from rongcuo.cases import permissions as perm
from rongcuo.cases import services as svc
from rongcuo.cases.models import Case, Deadline, DeadlineStatus
from rongcuo.cases.views.common import DISPOSITION_TEXT, case_url_pattern, deadline_table, pack_or_none
from rongcuo.common import generations
from rongcuo.common.explain import stage_label
from rongcuo.common.i18n import pick
from rongcuo.common.packs import registry
from rongcuo.common.prepared import Prepared, PreparedFamily
from rongcuo.engine.model import Text
from rongcuo.engine.pack import UnknownPack
from rongcuo.engine.render import OUTCOME_TEXT
from rongcuo.workdays.services import load_calendar


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


# --- work queue ---------------------------------------------------------------------------------------

WORK_PAGE = 30  # cases per page of the work queue
WORK_DEADLINES = 30  # running deadlines listed (the counts above them cover all)
WORK_COUNTS_TTL = 300  # seconds the overdue / due-soon counts are kept (a recorded change replaces them at once)
CASE_ROW_FIELDS = ("id", "number", "pack_id", "pack_version", "stage", "outcome", "disposition", "project__title",
                   "applicant__name")
DEADLINE_ROW_FIELDS = ("id", "key", "label_zh", "label_en", "due_date", "status", "provisional", "case_id")


_WORK_QUERIES = PreparedFamily()


def _case_ids(user: Any, page: int, stage: str = "", outcome: str = "", q: str = "") -> Any:
    """The ids (as rows) of the work queue's page `page` of the cases the user may read, newest first, one more
    than fit on a page (to know whether there is a next)."""
    qs = perm.visible_cases(user)
    if stage:
        qs = qs.filter(stage=stage)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(project__title__icontains=q) | Q(project__code__icontains=q)
                       | Q(applicant__name__icontains=q))
    return qs.order_by("-id").values("id")[(page - 1) * WORK_PAGE:page * WORK_PAGE + 1]


def _by_ids(name: str, ids: list[int], build: Any) -> list[dict[str, Any]]:
    """`build(*ids)`'s rows through a query compiled once for this name and number of ids; none for no ids."""
    if not ids:
        return []
    return _WORK_QUERIES((name, len(ids)), lambda: Prepared(build, kinds=(int,) * len(ids)))(*ids)


@login_required
def work(request: HttpRequest) -> HttpResponse:
    """The work queue: running deadlines by due date (with overdue / due-soon counts over all of them) and the
    user's cases, newest first, one page at a time. Reads only the listed columns: a bureau's queue may hold
    tens of thousands of cases, and the page must not load their determinations to show their numbers."""
    from django.db.models import Count

    user = request.user
    stage, outcome, q = request.GET.get("stage", ""), request.GET.get("outcome", ""), request.GET.get("q", "").strip()
    raw_page = request.GET.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) <= 100_000 else 1
    # The page's ids first (the ids alone walk the primary key backwards and stop after a page), then
    # only those rows with only the shown columns, as plain rows (no model objects: a page lists dozens). Each
    # query is compiled once per shape (common.prepared): the user's visibility, the filters chosen, the page and
    # its size, the number of ids; a search's pattern is not a key, so a search builds its query as usual.
    shape = perm.visibility_shape(user)
    chosen = {name: value for name, value in (("stage", stage), ("outcome", outcome)) if value}
    if q:
        ids = [r["id"] for r in _case_ids(user, page, q=q, **chosen)]
    else:
        ids = [r["id"] for r in _WORK_QUERIES(("ids", shape, tuple(chosen), page, WORK_PAGE), lambda: Prepared(
            lambda *keys: _case_ids(user, page, **dict(zip(chosen, keys, strict=True))),
            kinds=(str,) * len(chosen)))(*chosen.values())]
    has_next = len(ids) > WORK_PAGE
    listed = ids[:WORK_PAGE]
    cases = [SimpleNamespace(pk=r["id"], **r, project=SimpleNamespace(title=r["project__title"]),
                             applicant=SimpleNamespace(name=r["applicant__name"]))
             for r in _by_ids("rows", listed, lambda *pks: Case.objects.filter(pk__in=pks).order_by("-id")
                              .values(*CASE_ROW_FIELDS))]

    today = svc.today()
    cal = load_calendar(today.year, today.year + 1, shared=True)  # one calendar for the whole page

    def running() -> Any:  # built only for a query not yet compiled or counts not yet cached
        return perm.visible_through_case(user, Deadline.objects.filter(status=DeadlineStatus.open))

    soon = svc.due_soon_until(today, cal)
    # Both counts lie at or before `soon`: bounding the scan there lets the (status, due_date) index skip the
    # deadlines due later. They count a whole bureau's running deadlines (a join over its cases), so they are
    # kept under the records' generation, which every audit event replaces (a deadline opens, closes, pauses or
    # moves only with one), for these cases (the visibility key), this day and this due-soon bound.
    counts = generations.cached(
        generations.RECORDS, f"work-counts:{perm.visibility_key(user)}:{today.isoformat()}:{soon.isoformat()}",
        WORK_COUNTS_TTL, lambda: running().filter(due_date__lte=soon).aggregate(
            overdue=Count("id", filter=Q(due_date__lt=today)), due_soon=Count("id", filter=Q(due_date__gte=today))))
    first_due = _WORK_QUERIES(("deadlines", shape, WORK_DEADLINES), lambda: Prepared(
        lambda: running().order_by(F("due_date").asc(nulls_last=True), "id")
        .values(*DEADLINE_ROW_FIELDS, "case__number", "case__project__title")[:WORK_DEADLINES]))
    open_deadlines = [SimpleNamespace(**r, case=SimpleNamespace(number=r["case__number"], project=SimpleNamespace(
        title=r["case__project__title"]))) for r in first_due()]
    next_of_listed = [SimpleNamespace(**r) for r in _by_ids(
        "next", [c.pk for c in cases], lambda *pks: Deadline.objects.filter(status=DeadlineStatus.open, case__in=pks)
        .order_by(F("due_date").asc(nulls_last=True), "id").values(*DEADLINE_ROW_FIELDS))]
    url_of = case_url_pattern(get_script_prefix()).format  # (the script prefix read once for the page's links)
    deadline_rows = deadline_table(open_deadlines, cal)
    for row in deadline_rows:
        row["url"] = url_of(row["d"].case_id)
    next_due: dict[int, dict[str, Any]] = {}
    for row in deadline_table(next_of_listed, cal):
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
                     "disposition_text": disposition_texts.get(c.disposition, "")})
    keep = {k: v for k, v in (("stage", stage), ("outcome", outcome), ("q", q)) if v}
    return render(request, "cases/work.html", {
        "rows": rows, "deadlines": deadline_rows, "stage": stage, "outcome": outcome, "q": q,
        "stages": _stage_options(user), "outcomes": list(OUTCOME_TEXT.items()),
        "filtered": bool(stage or outcome or q), "page": page, "has_next": has_next,
        "first_no": (page - 1) * WORK_PAGE + 1, "last_no": (page - 1) * WORK_PAGE + len(rows),
        "prev_query": urlencode({**keep, "page": page - 1}), "next_query": urlencode({**keep, "page": page + 1}),
        "first_query": urlencode({**keep, "page": 1}),
        "more_deadlines": len(deadline_rows) == WORK_DEADLINES,
        "overdue": counts["overdue"], "due_soon": counts["due_soon"],
    })


# --- case page ----------------------------------------------------------------------------------------
