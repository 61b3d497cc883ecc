"""The cases and running deadlines a user may see, filtered and paged: the work queue, the case list and the deadline
list of the API. Each query is compiled once per shape (rongcuo.common.prepared): the user's visibility, the
filters chosen, the page's bounds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db.models import Count, F, Q

from rongcuo.cases import clock
from rongcuo.cases import permissions as perm
from rongcuo.cases.models import Case, Deadline, DeadlineStatus
from rongcuo.cases.selectors import needs
from rongcuo.cases.selectors.deadlines import deadline_state, due_soon_until
from rongcuo.common import generations
from rongcuo.common.errors import Invalid
from rongcuo.common.prepared import Prepared, PreparedFamily
from rongcuo.workdays.selectors import load_calendar

WORK_PAGE = 30  # cases per page of the work queue
WORK_DEADLINES = 30  # running deadlines listed (the counts above them cover all)
WORK_COUNTS_TTL = 300  # seconds the overdue / due-soon counts are kept (a recorded change replaces them at once)
CASE_ROW_FIELDS = ("id", "number", "pack_id", "pack_version", "stage", "outcome", "disposition", "project__title",
                   "applicant__name", "assignee_id", "assignee__first_name", "assignee__last_name")
VIEWS = ("awaiting", "mine", "unassigned")  # the work queue's tabs besides "all"
NEW_MATERIAL_DAYS = 3  # materials uploaded within these days are flagged as new in the queue
DEADLINE_ROW_FIELDS = ("id", "key", "label_zh", "label_en", "due_date", "status", "provisional", "case_id")
DEADLINE_COLUMNS = ("id", "case_id", "key", "label_zh", "label_en", "start_date", "days", "day_kind",
                    "extension_days", "extension_available", "due_date", "provisional", "status")
DEADLINE_STATES = ("overdue", "due_soon", "on_track", "paused")

_QUERIES = PreparedFamily()


def _case_ids(user: Any, page: int, stage: str = "", outcome: str = "", q: str = "", view: str = "") -> Any:
    """The ids (as rows) of the work queue's page `page` of the cases the user may read, newest first, one more
    than fit on a page (to know whether there is a next). `view`: "awaiting" — waiting for the user's findings
    (`permissions.awaiting_q`); "mine" — open and assigned to the user; "unassigned" — open, nobody assigned."""
    qs = perm.visible_cases(user)
    if view == "awaiting":
        qs = qs.filter(perm.awaiting_q(user))
    elif view == "mine":
        qs = qs.filter(assignee=user, disposition="open")
    elif view == "unassigned":
        qs = qs.filter(assignee__isnull=True, disposition="open")
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
    return _QUERIES((name, len(ids)), lambda: Prepared(build, kinds=(int,) * len(ids)))(*ids)


@dataclass
class WorkQueue:
    """One page of the work queue, as rows: the cases listed, whether a next page exists, the first running
    deadlines by due date, the next deadline of each listed case, the overdue / due-soon counts over all, and the
    calendar the states are read on."""

    cases: list[Any]
    has_next: bool
    deadlines: list[Any]
    next_of_listed: list[Any]
    overdue: int
    due_soon: int
    calendar: Any
    awaiting: int  # how many open cases wait for the user's findings
    waiting_facts: dict[int, int]  # listed case id -> facts it waits for from the user (only cases that wait)
    mine: int  # open cases assigned to the user
    unassigned: int  # open cases the user may see that nobody handles
    flags: dict[int, list[str]]  # listed case id -> "objection" (one open), "material" (uploaded lately)


def work_queue(user: Any, *, page: int = 1, stage: str = "", outcome: str = "", q: str = "",
               view: str = "") -> WorkQueue:
    """The work queue's page for `user`. Reads only the listed columns: a bureau's queue may hold tens of thousands
    of cases, and the page must not load their determinations to show their numbers. The page's ids come first (the
    ids alone walk the primary key backwards and stop after a page), then only those rows; a search's pattern is not
    a key of the compiled queries, so a search builds its query as usual."""
    shape = perm.visibility_shape(user)
    chosen = {name: value for name, value in (("stage", stage), ("outcome", outcome)) if value}
    if q or view:  # a search's pattern, or one of the tabs: built as usual
        ids = [r["id"] for r in _case_ids(user, page, q=q, view=view, **chosen)]
    else:
        ids = [r["id"] for r in _QUERIES(("ids", shape, tuple(chosen), page, WORK_PAGE), lambda: Prepared(
            lambda *keys: _case_ids(user, page, **dict(zip(chosen, keys, strict=True))),
            kinds=(str,) * len(chosen)))(*chosen.values())]
    listed = ids[:WORK_PAGE]
    cases = [SimpleNamespace(pk=r["id"], **r, project=SimpleNamespace(title=r["project__title"]),
                             applicant=SimpleNamespace(name=r["applicant__name"]))
             for r in _by_ids("rows", listed, lambda *pks: Case.objects.filter(pk__in=pks).order_by("-id")
                              .values(*CASE_ROW_FIELDS))]
    today = clock.today()
    cal = load_calendar(today.year, today.year + 1, shared=True)  # one calendar for the whole page

    def running() -> Any:  # built only for a query not yet compiled or counts not yet cached
        return perm.visible_through_case(user, Deadline.objects.filter(status=DeadlineStatus.open))

    soon = due_soon_until(today, cal)
    # Both counts lie at or before `soon`: bounding the scan there lets the (status, due_date) index skip the
    # deadlines due later. They count a whole bureau's running deadlines (a join over its cases), so they are
    # kept under the records' generation, which every audit event replaces (a deadline opens, closes, pauses or
    # moves only with one), for these cases (the visibility key), this day and this due-soon bound.
    counts = generations.cached(
        generations.RECORDS, f"work-counts:{perm.visibility_key(user)}:{today.isoformat()}:{soon.isoformat()}",
        WORK_COUNTS_TTL, lambda: running().filter(due_date__lte=soon).aggregate(
            overdue=Count("id", filter=Q(due_date__lt=today)), due_soon=Count("id", filter=Q(due_date__gte=today))))
    first_due = _QUERIES(("deadlines", shape, WORK_DEADLINES), lambda: Prepared(
        lambda: running().order_by(F("due_date").asc(nulls_last=True), "id")
        .values(*DEADLINE_ROW_FIELDS, "case__number", "case__project__title")[:WORK_DEADLINES]))
    deadlines = [SimpleNamespace(**r, case=SimpleNamespace(number=r["case__number"], project=SimpleNamespace(
        title=r["case__project__title"]))) for r in first_due()]
    next_of_listed = [SimpleNamespace(**r) for r in _by_ids(
        "next", [c.pk for c in cases], lambda *pks: Deadline.objects.filter(status=DeadlineStatus.open, case__in=pks)
        .order_by(F("due_date").asc(nulls_last=True), "id").values(*DEADLINE_ROW_FIELDS))]
    return WorkQueue(cases=cases, has_next=len(ids) > WORK_PAGE, deadlines=deadlines, next_of_listed=next_of_listed,
                     overdue=counts["overdue"], due_soon=counts["due_soon"], calendar=cal,
                     waiting_facts=_waiting(user, listed), flags=_flags(listed, today),
                     **_tab_counts(user))


def _waiting(user: Any, ids: list[int]) -> dict[int, int]:
    """How many facts each listed case waits for from the user (`needs.awaiting_counts`), kept like the counts."""
    if not ids:
        return {}
    key = f"work-waiting:{perm.visibility_key(user)}:{user.pk}:{','.join(map(str, ids))}"
    found = generations.cached(generations.RECORDS, key, WORK_COUNTS_TTL,
                               lambda: list(needs.awaiting_counts(user, ids).items()))
    return dict(found)


def _tab_counts(user: Any) -> dict[str, int]:
    """How many cases each tab lists: waiting for the user's findings, assigned to the user, assigned to nobody. Like
    the deadline counts they read a whole bureau's cases, so they are kept under the records' generation (every
    audit event replaces it: a finding, a step, an assignment), for this user (their visibility and their own
    assignments)."""
    def count() -> dict[str, int]:
        visible = perm.visible_cases(user)
        return {"awaiting": needs.awaiting_cases(user).count(),
                "mine": visible.filter(assignee=user, disposition="open").count(),
                "unassigned": visible.filter(assignee__isnull=True, disposition="open").count()}

    return generations.cached(generations.RECORDS, f"work-tabs:{perm.visibility_key(user)}:{user.pk}",
                              WORK_COUNTS_TTL, count)


def _flags(ids: list[int], today: dt.date) -> dict[int, list[str]]:
    """What is new on the listed cases: an objection not answered yet, materials uploaded lately (kept like the
    counts: an objection or an upload is recorded with an audit event)."""
    if not ids:
        return {}
    key = f"work-flags:{today.isoformat()}:{','.join(map(str, ids))}"
    return dict(generations.cached(generations.RECORDS, key, WORK_COUNTS_TTL,
                                   lambda: list(_read_flags(ids, today).items())))


def _read_flags(ids: list[int], today: dt.date) -> dict[int, list[str]]:
    from rongcuo.cases.models import Evidence, Objection

    out: dict[int, list[str]] = {}
    for cid in Objection.objects.filter(case_id__in=ids, status="open").values_list("case_id", flat=True).distinct():
        out.setdefault(cid, []).append("objection")
    since = today - dt.timedelta(days=NEW_MATERIAL_DAYS)
    for cid in Evidence.objects.filter(case_id__in=ids, uploaded_at__date__gte=since).values_list(
            "case_id", flat=True).distinct():
        out.setdefault(cid, []).append("material")
    return out


def case_rows(user: Any, filters: Mapping[str, str], fields: Iterable[str], *, limit: int,
              offset: int) -> list[dict[str, Any]]:
    """A page of the cases `user` may see with these column filters (stage, outcome, disposition), newest first,
    as rows of `fields`. The page's ids first, then only those rows: DISTINCT over whole rows would sort every
    visible case with its determination JSON, while the ids alone walk the primary key backwards."""
    chosen = dict(filters)
    columns = tuple(fields)

    def build(*keys: str) -> Any:
        qs = perm.visible_cases(user).filter(**dict(zip(chosen, keys, strict=True)))
        page = qs.order_by("-id").values("id")[offset:offset + limit]
        return Case.objects.filter(pk__in=page).order_by("-id").values(*columns)

    shape = ("cases", perm.visibility_shape(user), tuple(chosen), columns, limit, offset)
    return list(_QUERIES(shape, lambda: Prepared(build, kinds=(str,) * len(chosen)))(*chosen.values()))


def deadline_rows(user: Any, *, state: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    """Open deadlines of the cases `user` may see, earliest due first, each with its state and case number.
    `state` is one of DEADLINE_STATES or None for all; every state is a due-date range (the calendar gives the last
    day still due soon), so the database filters and pages."""
    if state is not None and state not in DEADLINE_STATES:
        raise Invalid("state 应为 overdue、due_soon、on_track 或 paused",
                      "state must be overdue, due_soon, on_track or paused", field="state")
    today = clock.today()
    cal = load_calendar(today.year, today.year + 2, shared=True)
    soon: dt.date | None = due_soon_until(today, cal) if state in ("due_soon", "on_track") else None

    def build() -> Any:
        qs = Deadline.objects.filter(status=DeadlineStatus.open)
        if state == "overdue":
            qs = qs.filter(due_date__lt=today)
        elif state == "paused":
            qs = qs.filter(due_date__isnull=True)
        elif state == "due_soon":
            qs = qs.filter(due_date__gte=today, due_date__lte=soon)
        elif state == "on_track":
            qs = qs.filter(due_date__gt=soon)
        return perm.visible_through_case(user, qs).order_by(F("due_date").asc(nulls_last=True), "id") \
            .values(*DEADLINE_COLUMNS, case_number=F("case__number"))[offset:offset + limit]

    # rows, not model objects (a page lists up to 500)
    shape = ("deadlines", perm.visibility_shape(user), state, limit, offset, today, soon)
    rows = _QUERIES(shape, lambda: Prepared(build))()
    return [{**r, "state": deadline_state(SimpleNamespace(**r), on=today, cal=cal)} for r in rows]
