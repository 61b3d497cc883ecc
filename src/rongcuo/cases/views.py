"""Signed-in pages: the work queue, the case page with its actions, and the applicant's own page.

Thin: reads go through `permissions` (visible_cases, case_for, roles_on_case) and the services' selectors;
every write is one service call. A ServiceError is shown beside the form that caused it, naming the field,
with the service's status (400, 403, 404, 409) — never a 500.
"""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, reverse
from django.views.decorators.http import require_POST

from rongcuo.audit.models import AuditEvent
from rongcuo.cases import hooks
from rongcuo.cases import permissions as perm
from rongcuo.cases import services as svc
from rongcuo.cases.models import Case, CaseFact, Deadline, DeadlineStatus, Disposition, Evidence, StageChange
from rongcuo.common import generations
from rongcuo.common.errors import Invalid, NotFound, ServiceError
from rongcuo.common.explain import determination_view, stage_label, value_text
from rongcuo.common.i18n import lang, pick, tr
from rongcuo.common.packs import pack_of, registry
from rongcuo.common.prepared import Prepared, PreparedFamily
from rongcuo.common.presence import may_have
from rongcuo.engine.model import FactType, Text
from rongcuo.engine.pack import Pack, UnknownPack
from rongcuo.engine.render import OUTCOME_TEXT
from rongcuo.registry.models import Project
from rongcuo.workdays.services import load_calendar

UPLOAD_ROLES = {"applicant", "host_unit_reviewer", "caseworker", "nsf_office", "expert", "admin"}
AUDIT_ROLES = {"caseworker", "auditor", "committee", "admin"}  # as the API's audit endpoint
# The order a finding role is offered in: the one a user most likely acts in first.
FINDING_ORDER = ["applicant_declaration", "host_unit_attestation", "investigation_finding", "expert_panel_finding",
                 "committee", "system_computed"]
ACCEPT = ".pdf,.ofd,.docx,.xlsx,.jpg,.jpeg,.png"

DISPOSITION_TEXT = {
    "open": Text(zh="办理中", en="Open"), "decided": Text(zh="已作出决定", en="Decided"),
    "withdrawn": Text(zh="已撤回", en="Withdrawn"), "inadmissible": Text(zh="不予受理", en="Inadmissible"),
    "archived": Text(zh="已归档", en="Archived"),
}
STATE_TEXT = {
    "overdue": Text(zh="已逾期", en="Overdue"), "due_soon": Text(zh="即将到期", en="Due soon"),
    "on_track": Text(zh="正常", en="On track"), "paused": Text(zh="计时中止", en="Clock stopped"),
    "closed": Text(zh="已结束", en="Closed"),
}
FIELD_TEXT = {
    "version": Text(zh="版本", en="version"), "action": Text(zh="操作", en="action"),
    "reason": Text(zh="理由", en="reason"), "file": Text(zh="文件", en="file"),
    "kind": Text(zh="材料类型", en="kind of material"), "facts": Text(zh="事实", en="facts"),
    "role": Text(zh="认定身份", en="finding role"), "note": Text(zh="说明", en="note"),
    "evidence_ids": Text(zh="证据", en="evidence"),
    "failure_explanation": Text(zh="失败情况说明", en="failure explanation"),
    "pack_id": Text(zh="政策包", en="policy pack"), "project": Text(zh="项目", en="project"),
    "applicant": Text(zh="申请人", en="applicant"), "case": Text(zh="案件", en="case"),
    "determination_id": Text(zh="认定事项", en="determination"), "key": Text(zh="期限", en="deadline"),
    "size": Text(zh="专家组人数", en="panel size"), "override_reason": Text(zh="不符合规则的理由", en="reason to "
                                                                               "depart from the rules"),
    "member": Text(zh="专家组成员", en="panel member"), "answer": Text(zh="答复", en="answer"),
    "sustained": Text(zh="异议是否成立", en="sustained or not"), "objection": Text(zh="异议", en="objection"),
    "obligation": Text(zh="义务", en="obligation"), "decision": Text(zh="决定", en="decision"),
    "reasons": Text(zh="理由", en="reasons"), "members_present": Text(zh="出席成员", en="members present"),
    "votes": Text(zh="表决", en="votes"), "clauses": Text(zh="所依据条款", en="clauses relied on"),
    "scores": Text(zh="评分", en="scores"), "opinion": Text(zh="评审意见", en="opinion"),
}
AUDIT_TEXT = {
    "case.create": Text(zh="提出申请（立案）", en="Application filed"),
    "case.update": Text(zh="修改失败情况说明", en="Failure explanation amended"),
    "case.facts": Text(zh="认定事实", en="Facts recorded"),
    "evidence.upload": Text(zh="上传材料", en="Material uploaded"),
    "deadline.extend": Text(zh="延长期限", en="Deadline extended"),
    "deadline.recompute": Text(zh="因日历调整重算期限", en="Deadline recomputed after a calendar change"),
    "deadline.due_soon": Text(zh="期限即将到期提醒", en="Due-soon warning"),
    "deadline.overdue": Text(zh="期限逾期提醒", en="Overdue warning"),
    "case.expert_assign": Text(zh="指派评审专家", en="Expert assigned"),
    "objection.file": Text(zh="收到异议", en="Objection filed"),
    "objection.answer": Text(zh="答复异议", en="Objection answered"),
    "panel.draw": Text(zh="抽取评审专家组", en="Expert panel drawn"),
    "panel.decline": Text(zh="专家回避或谢绝，递补", en="Expert withdrew; replacement drawn"),
    "review.submit": Text(zh="专家提交评审意见", en="Expert review submitted"),
    "panel.conclude": Text(zh="专家组评审结束", en="Panel review concluded"),
    "panel.override": Text(zh="专家组不合规则，记录使用理由", en="Panel used despite rule breaches; reason given"),
    "committee.decide": Text(zh="集体审定作出决定", en="Collective decision taken"),
    "decision.supersede": Text(zh="原决定因重新调查被取代", en="Decision superseded by a reinvestigation"),
    "case.archive": Text(zh="反馈归档", en="Fed back and archived"),
    "obligation.fulfil": Text(zh="履行后续义务", en="Obligation fulfilled"),
    "integrity.record": Text(zh="记入科研诚信记录", en="Recorded in the research-integrity record"),
    "draft.file": Text(zh="由草稿提交申请", en="Application filed from a draft"),
}


# --- helpers ------------------------------------------------------------------------------------------

def _case_or_404(user: Any, pk: int) -> Case:
    try:
        return perm.case_for(user, pk)
    except NotFound:
        raise Http404("no such case") from None


@lru_cache(maxsize=1)
def _case_page_presence() -> dict[str, Any]:
    """Which kinds of the case's records exist, read with the case (`rongcuo.common.presence`): the case page asks
    only for those (most cases have no letters, obligations, decisions, panel, objections or corrections). The
    apps built on cases add their kinds (`hooks.CASE_RECORDS`)."""
    from rongcuo.cases.models import Objection
    from rongcuo.common.presence import exists_columns

    return exists_columns(evidence=(Evidence, "case", "id"), objections=(Objection, "case", "id"),
                          **{name: relation() for name, relation in hooks.CASE_RECORDS.items()})


# The case page's reads, compiled once per process (rongcuo.common.prepared): each is the query the ORM would run for
# `perm.case_for` with the presence columns (`_case_page_presence`), `case.facts`, `case.evidence`,
# `case.stage_changes` and the case's audit events (its deadlines: `svc.case_deadlines`), without building its SQL
# on every request.
_PAGE_CASE = Prepared(lambda pk: Case.objects.select_related(*perm.CASE_JOINED)
                      .annotate(**_case_page_presence()).filter(pk=pk).order_by())
_FINDINGS = Prepared(lambda case_id: CaseFact.objects.filter(case_id=case_id)
                     .annotate(by_name=_by_name("established_by")))
_UPLOADS = Prepared(lambda case_id: Evidence.objects.filter(case_id=case_id).annotate(by_name=_by_name("uploaded_by")))
_STAGE_CHANGES = Prepared(lambda case_id: StageChange.objects.filter(case_id=case_id)
                          .annotate(by_name=_by_name("actor")))
_AUDIT_EVENTS = Prepared(lambda subject_id: AuditEvent.objects.filter(
    subject_type="cases.case", subject_id=subject_id).only("at", "actor_name", "action", "seq", "hash"),
    kinds=(str,))  # not the before / after documents


def _pack(case: Case) -> Pack | None:
    try:
        return pack_of(case)
    except UnknownPack:
        return None


def _error(exc: ServiceError, form: str, pack: Pack | None = None, **extra: Any) -> dict[str, Any]:
    field = exc.field or ""
    label = FIELD_TEXT.get(field)
    if label is None and pack is not None and field in pack.facts:
        label = pack.facts[field].label
    return {"form": form, "message": exc.en if lang() == "en" else exc.zh, "code": exc.code,
            "status": exc.status, "field": field, "field_label": pick(label) if label else field,
            "stale": exc.code == "conflict" and field == "version", **extra}


def _deadline_rows(deadlines: list[Any], cal: Any = None) -> list[dict[str, Any]]:
    """Deadlines with their state; `cal`, when given, is the request's calendar (years load on demand). Besides
    the texts in both languages, each row carries what long lists show already picked for the request's
    language (`state_name`, `label_text`) and the due date as text (`due`): the work queue lists dozens."""
    if not deadlines:
        return []
    cal, today = cal or svc.display_calendar(deadlines), svc.today()
    en = lang() == "en"
    rows = []
    for d in deadlines:
        state = svc.deadline_state(d, today, cal)
        label = (d.label_zh, d.label_en or d.label_zh)  # (zh, en), as `|tr` reads a pair
        rows.append({"d": d, "state": state, "state_text": STATE_TEXT[state], "label": label,
                     "state_name": pick(STATE_TEXT[state]), "label_text": label[1] if en else label[0],
                     "due": d.due_date.isoformat() if d.due_date else "—"})
    return rows


@lru_cache(maxsize=8)
def _case_url_pattern(prefix: str) -> str:
    """`reverse("case", args=[pk])` as a pattern for `str.format(pk)`, reversed once per script prefix (the work
    queue links sixty cases)."""
    marker = 2147483647
    return reverse("case", args=[marker]).replace(str(marker), "{}")


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
    url_of = _case_url_pattern(get_script_prefix()).format  # (the script prefix read once for the page's links)
    deadline_rows = _deadline_rows(open_deadlines, cal)
    for row in deadline_rows:
        row["url"] = url_of(row["d"].case_id)
    next_due: dict[int, dict[str, Any]] = {}
    for row in _deadline_rows(next_of_listed, cal):
        next_due.setdefault(row["d"].case_id, row)
    # A page lists a handful of packs and stages many times: each label is picked once.
    packs = {(c.pack_id, c.pack_version): _pack(c) for c in cases}
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

def _fact_input(fdef: Any) -> str:
    if fdef.type is FactType.bool:
        return "bool"
    if fdef.type is FactType.enum:
        return "enum"
    if fdef.type is FactType.date:
        return "date"
    return "number"


def _evidence_of(uploaded: list[Evidence]) -> dict[int, list[Evidence]]:
    """The case's uploaded materials by the finding that rests on them (finding id -> materials, upload order)."""
    if not uploaded:
        return {}
    linked: dict[int, set[int]] = {}
    for fact_id, evidence_id in CaseFact.evidence.through.objects.filter(
            evidence_id__in=[e.pk for e in uploaded]).values_list("casefact_id", "evidence_id"):
        linked.setdefault(fact_id, set()).add(evidence_id)
    return {fact_id: [e for e in uploaded if e.pk in ids] for fact_id, ids in linked.items()}


def _by_name(field: str) -> F:
    """The user name of a row's `field` (a user) as one column: a page shows who, not the whole account."""
    from django.contrib.auth import get_user_model

    return F(f"{field}__{get_user_model().USERNAME_FIELD}")


def case_context(request: HttpRequest, case: Case, error: dict[str, Any] | None = None,
                 posted: dict[str, Any] | None = None) -> dict[str, Any]:
    user = request.user
    pack = _pack(case)
    roles = perm.roles_on_case(user, case)
    acting = roles - perm.READ_ONLY_ROLES
    is_open = case.disposition == Disposition.open
    det = determination_view(pack, case.determination) if pack else {}
    needed = {f.id for f in det.get("needed", [])}

    # Current findings and the superseded ones in one read. The materials a finding rests on are among the case's
    # uploads (read below for the materials list): their links are read as id pairs, and not at all when the case
    # has no uploads.
    findings = _FINDINGS(case.pk, known={"case": case})
    uploaded = _UPLOADS(case.pk, known={"case": case}) if may_have(case, "evidence") else []
    evidence_of = _evidence_of(uploaded)
    current = {f.fact_id: f for f in findings if f.current}
    fact_rows = []
    for fid, f in sorted(current.items(), key=lambda kv: kv[1].established_at):
        fdef = pack.facts.get(fid) if pack else None
        fact_rows.append({"f": f, "def": fdef, "value": value_text(fdef, f.value) if f.value is not None
                          else tr("未知（已撤回）", "unknown (retracted)"),
                          "stage": stage_label(pack, f.stage), "evidence": evidence_of.get(f.pk, [])})
    history = sorted((f for f in findings if not f.current), key=lambda f: f.established_at, reverse=True)
    history_rows = [{"f": f, "def": pack.facts.get(f.fact_id) if pack else None,
                     "value": value_text(pack.facts.get(f.fact_id) if pack else None, f.value)
                     if f.value is not None else tr("未知", "unknown"), "stage": stage_label(pack, f.stage)}
                    for f in history]

    material_labels = {m.id: m.label for s in (pack.procedure.stages if pack and pack.procedure else [])
                       for m in s.materials}
    for c in pack.clauses.values() if pack else []:  # documents that fulfil an obligation (e.g. a report)
        for ob in c.clause.obligations:
            if ob.document:
                material_labels.setdefault(ob.document, ob.document_label or ob.label)
    evidence = [{"e": e, "kind": material_labels.get(e.kind, Text(zh=e.kind, en=e.kind))} for e in uploaded]
    have_kinds = {e.kind for e in uploaded}
    checklist = [{"stage": s.label, "m": m, "have": m.id in have_kinds}
                 for s in (pack.procedure.stages if pack and pack.procedure else []) for m in s.materials]

    timeline: list[dict[str, Any]] = []
    for sc in _STAGE_CHANGES(case.pk, known={"case": case}):
        timeline.append({"at": sc.at, "kind": "stage", "who": sc.by_name, "role": sc.role,
                         "text": tr("{a} → {b}", "{a} → {b}", a=pick(stage_label(pack, sc.from_stage)),
                                    b=pick(stage_label(pack, sc.to_stage))),
                         "action": sc.action, "reason": sc.reason})
    show_audit = bool(roles & AUDIT_ROLES)
    if show_audit:
        for ev in _AUDIT_EVENTS(str(case.pk)):
            if ev.action.startswith("case.transition."):
                continue  # shown as a stage change above
            timeline.append({"at": ev.at, "kind": "audit", "who": ev.actor_name,
                             "text": pick(AUDIT_TEXT[ev.action]) if ev.action in AUDIT_TEXT else ev.action,
                             "action": ev.action, "seq": ev.seq, "hash": ev.hash[:12]})
    timeline.sort(key=lambda x: x["at"])

    transitions = []
    for t, unmet in svc.available_transitions(case, user):
        via_committee = bool(getattr(t, "records_decision", None))
        reason = unmet
        if via_committee and not unmet:
            reason = tr("须经集体审定办理（登记出席、表决和理由）",
                        "taken through the committee decision (attendance, vote, reasons)")
        transitions.append({"t": t, "to": stage_label(pack, t.to), "unmet": pick(reason) if reason else "",
                            "disabled": bool(reason)})

    may_record = set().union(*(perm.FINDING_ROLES.get(r, set()) for r in acting)) if acting else set()
    finding_roles = [r for r in FINDING_ORDER if r in may_record]
    fact_form = []
    if is_open and finding_roles and pack:
        for fid, fdef in pack.facts.items():
            by = {e.value for e in fdef.established_by}
            if "admin" in acting or by & set(finding_roles):
                cur = current.get(fid)
                fact_form.append({"def": fdef, "input": _fact_input(fdef), "needed": fid in needed,
                                  "current": value_text(fdef, cur.value) if cur and cur.value is not None else "",
                                  "roles": sorted(by & set(finding_roles))})
        fact_form.sort(key=lambda x: (not x["needed"], x["def"].id not in current))
        used = set().union(*(set(x["roles"]) for x in fact_form)) if fact_form else set()
        finding_roles = [r for r in finding_roles if r in used] or finding_roles

    return {
        "case": case, "pack": pack, "roles": sorted(roles), "det": det, "facts": fact_rows, "history": history_rows,
        "evidence": evidence, "checklist": checklist, "timeline": timeline, "show_audit": show_audit,
        "transitions": transitions, "fact_form": fact_form, "finding_roles": finding_roles,
        "can_upload": is_open and bool(acting & UPLOAD_ROLES),
        "materials": [(m.id, m.label) for s in (pack.procedure.stages if pack and pack.procedure else [])
                      for m in s.materials],
        "stage": stage_label(pack, case.stage), "disposition": DISPOSITION_TEXT.get(case.disposition),
        "deadlines": _deadline_rows(svc.case_deadlines(case.pk, known={"case": case})), "is_open": is_open,
        "accept": ACCEPT, "error": error, "posted": posted or {},
        **_review_sections(case, roles, pack),
    }


def _review_sections(case: Case, roles: set[str], pack: Pack | None) -> dict[str, Any]:
    """What the apps built on cases show on the case page (`hooks.CASE_PAGE_SECTIONS`; review: the panel,
    objections, letters, obligations and integrity records, review/_case_review.html)."""
    context: dict[str, Any] = {}
    for section in hooks.CASE_PAGE_SECTIONS:
        context.update(section(case, roles, pack))
    return context


@login_required
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        case = perm.readable(request.user, _PAGE_CASE.first(pk))
    except NotFound:
        raise Http404("no such case") from None
    return render(request, "cases/case.html", case_context(request, case))


def _refused(request: HttpRequest, pk: int, exc: ServiceError, form: str, posted: dict[str, Any]) -> HttpResponse:
    case = _case_or_404(request.user, pk)  # re-read: the failed call changed nothing
    ctx = case_context(request, case, _error(exc, form, _pack(case), action=posted.get("action")), posted)
    return render(request, "cases/case.html", ctx, status=exc.status)


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


@login_required
@require_POST
def case_transition(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request.user, pk)
    action, reason = request.POST.get("action", ""), request.POST.get("reason", "")
    try:
        case = svc.case_transition(case=case, actor=request.user, action=action, reason=reason,
                                   expected_version=_version(request))
    except ServiceError as exc:
        return _refused(request, pk, exc, "transition", {"action": action, "reason": reason})
    pack = _pack(case)
    messages.success(request, tr("已办理。当前阶段：{s}", "Done. The case is now at: {s}",
                                 s=pick(stage_label(pack, case.stage))))
    return redirect("case", pk=case.pk)


def _posted_facts(request: HttpRequest, pack: Pack | None) -> dict[str, Any]:
    """Only the facts the user changed: blank means keep, "null" retracts (the fact becomes unknown)."""
    out: dict[str, Any] = {}
    if pack is None:
        return out
    for key, raw in request.POST.items():
        if not key.startswith("fact.") or raw == "":
            continue
        fid = key[5:]
        fdef = pack.facts.get(fid)
        if fdef is None:
            out[fid] = raw  # the service names the unknown fact
        elif raw == "null":
            out[fid] = None
        elif fdef.type is FactType.bool:
            out[fid] = {"1": True, "0": False}.get(raw, raw)
        elif fdef.type in (FactType.number, FactType.money, FactType.age):
            try:
                n = float(raw)
                out[fid] = int(n) if n.is_integer() else n
            except ValueError:
                out[fid] = raw  # the engine's validation names the fact and what is allowed
        else:
            out[fid] = raw
    return out


@login_required
@require_POST
def case_facts(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request.user, pk)
    facts = _posted_facts(request, _pack(case))
    ids = [int(x) for x in request.POST.getlist("evidence_ids") if x.isdigit()]
    posted = {"facts": {k: request.POST.get(f"fact.{k}") for k in facts}, "role": request.POST.get("role", ""),
              "note": request.POST.get("note", ""), "evidence_ids": ids}
    try:
        case = svc.case_set_facts(case=case, actor=request.user, facts=facts, role=request.POST.get("role") or None,
                                  evidence_ids=ids, note=request.POST.get("note", ""),
                                  expected_version=_version(request))
    except ServiceError as exc:
        return _refused(request, pk, exc, "facts", posted)
    outcome = OUTCOME_TEXT.get(case.outcome)
    messages.success(request, tr("已记录 {n} 项事实；引擎结论：{o}", "{n} facts recorded; the engine now says: {o}",
                                 n=len(facts), o=pick(outcome)))
    return redirect("case", pk=case.pk)


@login_required
@require_POST
def case_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request.user, pk)
    kind, upload = request.POST.get("kind", ""), request.FILES.get("file")
    try:
        if upload is None:
            raise Invalid("请选择要上传的文件", "choose a file to upload", field="file")
        ev = svc.evidence_upload(case=case, actor=request.user, file=upload, kind=kind, name=upload.name)
    except ServiceError as exc:
        return _refused(request, pk, exc, "evidence", {"kind": kind})
    messages.success(request, tr("已上传：{n}", "Uploaded: {n}", n=ev.original_name))
    return redirect("case", pk=case.pk)


@login_required
def evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    """Only for users who may read the case (the media directory itself is never served)."""
    case = _case_or_404(request.user, pk)
    ev = case.evidence.filter(pk=evidence_pk).first()
    if ev is None:
        raise Http404("no such evidence")
    return FileResponse(ev.file.open("rb"), as_attachment=True, filename=ev.original_name,
                        content_type=ev.content_type)


# --- applicant ----------------------------------------------------------------------------------------
# The applicant's page: their cases, their drafts (private to them), and the application form, which asks for
# the materials of the chosen rules (the first stage of the pack's procedure), one file input per material
# (`file.<material id>`). Filing and every upload are one transaction (`svc.application_file`/`draft_file`).

APPLY_FIELDS = ("project", "failure_explanation", "pack_id", "draft", "version")


def _material_rows(pack: Pack) -> list[dict[str, Any]]:
    return [{"id": m.id, "label": m.label, "required": m.required, "field": f"file.{m.id}",
             "input_id": f"ap-m-{pack.id}-{m.id}"} for m in svc.application_materials(pack)]


def _apply_error(exc: ServiceError, offered: list[dict[str, Any]], form: str = "apply") -> dict[str, Any]:
    """`_error`, with the fields only this form has: a material's file input, the draft."""
    err = _error(exc, form)
    field = err["field"]
    if field.startswith("file."):
        mid = field.removeprefix("file.")
        label = next((pick(m["label"]) for o in offered for m in o["materials"] if m["id"] == mid), mid)
        err["field_label"] = tr("材料“{m}”的文件", "file for “{m}”", m=label)
    elif field == "draft":
        err["field_label"] = tr("草稿", "draft")
    return err


def my_context(request: HttpRequest, error: dict[str, Any] | None = None,
               posted: dict[str, Any] | None = None) -> dict[str, Any]:
    from rongcuo.cases.models import ApplicationDraft
    from rongcuo.common.i18n import has_cjk

    person = perm.person_of(request.user)
    if person is None:
        return {"person": None}
    cases = list(perm.visible_cases(request.user).filter(applicant=person)
                 .select_related("project", "bureau").order_by("-id"))
    deadlines = _deadline_rows(list(Deadline.objects.filter(case__in=[c.pk for c in cases],
                                                            status=DeadlineStatus.open)
                                    .select_related("case").order_by(F("due_date").asc(nulls_last=True))))
    by_case: dict[int, list[dict[str, Any]]] = {}
    for row in deadlines:
        by_case.setdefault(row["d"].case_id, []).append(row)
    rows = []
    for c in cases:
        pack = _pack(c)
        rows.append({"case": c, "stage": stage_label(pack, c.stage), "pack": pack,
                     "outcome": OUTCOME_TEXT.get(c.outcome), "disposition": DISPOSITION_TEXT.get(c.disposition),
                     "deadlines": by_case.get(c.pk, [])})
    open_projects = {c.project_id for c in cases if c.disposition == Disposition.open}
    projects = []
    offered: dict[str, dict[str, Any]] = {}  # every pack on offer, once, with its materials
    for p in Project.objects.filter(lead=person).select_related("bureau", "host_unit"):
        packs = []
        for pid in p.bureau.packs or []:
            try:
                packs.append(registry().get(pid, svc.today()))
            except UnknownPack:
                continue
        for pk_ in packs:
            offered.setdefault(pk_.id, {"pack": pk_, "materials": _material_rows(pk_)})
        projects.append({"p": p, "packs": packs, "has_open_case": p.pk in open_projects,
                         "default_pack": (p.bureau.packs or [""])[0]})
    drafts = []
    for d in ApplicationDraft.objects.filter(applicant=person).select_related("project"):
        try:
            dpack = registry().get(d.pack_id, svc.today()) if d.pack_id else None
        except UnknownPack:
            dpack = None
        text = d.failure_explanation.strip()
        drafts.append({"d": d, "pack": dpack, "excerpt": text[:80] + ("…" if len(text) > 80 else "")})
    posted = posted or {}
    # What the applicant wrote is content: marked as Chinese when it is (an English page says which text is whose).
    expl_lang = "zh-Hans" if has_cjk(str(posted.get("failure_explanation", ""))) else ""
    editing = next((x["d"] for x in drafts if posted.get("draft") == str(x["d"].pk)), None)
    return {"person": person, "rows": rows, "projects": projects, "error": error, "posted": posted,
            "accept": ACCEPT, "offered": list(offered.values()), "drafts": drafts, "editing": editing,
            "expl_lang": expl_lang}


def _render_my(request: HttpRequest, exc: ServiceError, posted: dict[str, Any], form: str = "apply") -> HttpResponse:
    ctx = my_context(request, None, posted)
    ctx["error"] = _apply_error(exc, ctx.get("offered", []), form)
    return render(request, "cases/my.html", ctx, status=exc.status)


@login_required
def my(request: HttpRequest) -> HttpResponse:
    """The applicant's page; `?draft=<id>` loads one of their drafts into the form (anyone else's: 404)."""
    from rongcuo.cases.models import ApplicationDraft

    posted: dict[str, Any] = {}
    ref = request.GET.get("draft", "")
    if ref:
        person = perm.person_of(request.user)
        d = ApplicationDraft.objects.filter(pk=int(ref) if ref.isdigit() else 0,
                                            applicant__isnull=False, applicant=person).first() if person else None
        if d is None:  # someone else's, or filed or deleted since: the page, saying so, with 404
            return _render_my(request, NotFound("没有这份草稿（可能已提交或已删除）",
                                                "no such draft (it may have been filed or deleted)", field="draft"),
                              {}, form="drafts")
        posted = {"project": str(d.project_id), "pack_id": d.pack_id, "failure_explanation": d.failure_explanation,
                  "draft": str(d.pk), "version": str(d.version)}
    return render(request, "cases/my.html", my_context(request, posted=posted))


def _applying(request: HttpRequest) -> tuple[Any, dict[str, str], Project, Any, int | None]:
    """The signed-in person, what the form sent, the project they lead, the draft named (theirs) and its version."""
    from rongcuo.cases.models import ApplicationDraft

    person = perm.person_of(request.user)
    posted = {k: request.POST.get(k, "") for k in APPLY_FIELDS}
    if person is None:
        raise Invalid("您的账号未关联登记的人员信息，不能提出申请",
                      "your account is not linked to a person in the registry", field="applicant")
    project = Project.objects.filter(pk=posted["project"] if posted["project"].isdigit() else 0,
                                     lead=person).select_related("bureau", "host_unit").first()
    draft = None
    if posted["draft"]:
        draft = ApplicationDraft.objects.filter(pk=int(posted["draft"]) if posted["draft"].isdigit() else 0,
                                                applicant=person).first()
        if draft is None:
            raise NotFound("没有这份草稿", "no such draft", field="draft")
    if project is None:
        raise Invalid("请选择您负责的项目", "choose a project you lead", field="project")
    version = int(posted["version"]) if posted["version"].isdigit() else None
    return person, posted, project, draft, version


def _uploads(request: HttpRequest) -> list[tuple[str, Any]]:
    """(material id, file) for every file sent: `file.<material id>`, or the older single `file` with `kind`."""
    out: list[tuple[str, Any]] = []
    for key in request.FILES:
        if key.startswith("file."):
            out += [(key.removeprefix("file."), f) for f in request.FILES.getlist(key)]
        elif key == "file":
            out += [(request.POST.get("kind") or "application_form", f) for f in request.FILES.getlist(key)]
    return out


@login_required
@require_POST
def my_apply(request: HttpRequest) -> HttpResponse:
    """File an application (提出申请) for a project the user leads, with the materials given, from a draft or not.

    All or nothing: a refused file (wrong type, or a material the chosen rules do not ask for) leaves no case,
    and a draft it was filed from is still there.
    """
    posted = {k: request.POST.get(k, "") for k in APPLY_FIELDS}
    try:
        person, posted, project, draft, version = _applying(request)
        uploads = _uploads(request)
        if draft is not None:
            case = svc.draft_file(actor=request.user, draft=draft, project=project, pack_id=posted["pack_id"],
                                  failure_explanation=posted["failure_explanation"], uploads=uploads,
                                  expected_version=version)
        else:
            case = svc.application_file(actor=request.user, applicant=person, project=project,
                                        failure_explanation=posted["failure_explanation"],
                                        pack_id=posted["pack_id"] or None, uploads=uploads)
    except ServiceError as exc:
        return _render_my(request, exc, posted)
    messages.success(request, tr("申请已提交，案件编号 {n}", "Application filed: case {n}", n=case.number))
    return redirect("case", pk=case.pk)


@login_required
@require_POST
def my_draft_save(request: HttpRequest) -> HttpResponse:
    """Save the application form as a draft (new, or the draft being edited). Files are not kept in drafts."""
    from django.urls import reverse

    posted = {k: request.POST.get(k, "") for k in APPLY_FIELDS}
    try:
        person, posted, project, draft, version = _applying(request)
        d = svc.draft_save(actor=request.user, applicant=person, project=project, pack_id=posted["pack_id"],
                           failure_explanation=posted["failure_explanation"], draft=draft, expected_version=version)
    except ServiceError as exc:
        return _render_my(request, exc, posted)
    if request.FILES:
        messages.warning(request, tr("草稿已保存。所选文件没有随草稿保存：请在提交申请时上传，或提交后在案件页上传。",
                                     "Draft saved. The files you chose are not kept in a draft: upload them when "
                                     "you file the application, or later on the case page."))
    else:
        messages.success(request, tr("草稿已保存", "Draft saved"))
    return redirect(f"{reverse('my')}?draft={d.pk}#apply-form")


@login_required
@require_POST
def my_draft_delete(request: HttpRequest, draft_pk: int) -> HttpResponse:
    """Delete one of the user's drafts (anyone else's: 404, as if there were none)."""
    from rongcuo.cases.models import ApplicationDraft

    version = request.POST.get("version", "")
    try:
        draft = ApplicationDraft.objects.filter(pk=draft_pk, applicant__isnull=False,
                                                applicant=perm.person_of(request.user)).first()
        if draft is None:
            raise NotFound("没有这份草稿", "no such draft", field="draft")
        svc.draft_delete(actor=request.user, draft=draft, expected_version=int(version) if version.isdigit() else None)
    except ServiceError as exc:
        return _render_my(request, exc, {}, form="drafts")
    messages.success(request, tr("草稿已删除", "Draft deleted"))
    return redirect("my")
