"""Reads of the review, shared by the pages and the API: the panel of a case, its decisions, an expert's seats,
the decisions now under public notice."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import F, Q

from rongcuo.cases import clock as case_clock
from rongcuo.cases.models import Case, Deadline, Disposition
from rongcuo.common import generations
from rongcuo.common.packs import registry
from rongcuo.registry.models import Project
from rongcuo.review.models import Decision, IntegrityRecord, MemberStatus, Panel, PanelMember

T = TypeVar("T")


def panel_of(case: Case) -> Panel | None:
    """The case's current panel (a panel replaced by a new draw is not), with who drew it."""
    return Panel.objects.filter(case=case).select_related("drawn_by").first()


def decisions_of(case: Case) -> list[Decision]:
    """The case's current decision and the superseded ones, in one read: superseded first, by when."""
    return list(Decision.objects.filter(for_case=case).order_by("superseded_at", "id"))


def superseded_decisions(case: Case) -> list[Decision]:
    """Earlier decisions of the case, superseded when it went back to be investigated again (kept, not deleted)."""
    return list(Decision.objects.filter(for_case=case, case__isnull=True).order_by("superseded_at", "id"))


def expert_seats(user: Any) -> list[PanelMember]:
    """The user's seats on the current panels of cases, newest draw first (a panel replaced by a new draw is no
    longer a seat)."""
    return list(PanelMember.objects.filter(expert__user=user, panel__case__isnull=False)
                .select_related("panel__case__project", "panel__case__bureau", "panel__case__host_unit")
                .order_by("-panel__drawn_at", "-id"))


def expert_seat(case: Case, user: Any) -> PanelMember | None:
    """The user's seat on the case's current panel, unless they declined it."""
    return (PanelMember.objects.filter(panel__case=case, expert__user=user)
            .exclude(status=MemberStatus.declined).select_related("panel", "expert").first())


def panel_member(case: Case, member_id: int) -> PanelMember | None:
    """A seat of the case's current panel by its id (None for a seat of another case's panel)."""
    return PanelMember.objects.filter(pk=member_id, panel__case=case).select_related("expert", "panel").first()


def integrity_history(case: Case) -> list[IntegrityRecord]:
    """Integrity records of the applicant and the project's people from other cases (for caseworkers)."""
    from django.db.models import Q

    # One query: the co-investigators come in as a subquery on the project's membership table.
    members = Project.co_investigators.through.objects.filter(project_id=case.project_id).values("person_id")
    return list(IntegrityRecord.objects.filter(Q(person_id__in={case.applicant_id, case.project.lead_id})
                                               | Q(person_id__in=members)).exclude(case=case)
                .select_related("case", "person")  # what the page and the API show of them, no more
                .only("clause", "note", "recorded_on", "person", "person__name", "case", "case__number"))


# What a notice row reads: the published fields come from these columns only (never a frozen determination,
# the failure explanation or anything else about the case).
NOTICE_COLUMNS = {
    "case_id": "case_id", "number": "case__number", "pack_id": "case__pack_id", "pack_version": "case__pack_version",
    "bureau": "case__bureau__name_zh", "bureau_en": "case__bureau__name_en", "project_name": "case__project__title",
    "project_code": "case__project__code", "host_unit": "case__host_unit__name_zh",
    "host_unit_en": "case__host_unit__name_en", "applicant": "case__applicant__name",
    "decision": "case__decision__decision", "from": "start_date", "until": "due_date",
}


def notice_cases(*, case_id: int | None = None, offset: int = 0,
                 limit: int | None = None) -> list[tuple[dict[str, Any], Any]]:
    """Cases now under public notice as (row, the pack's notice rules), the notice ending first first (one
    query, whatever the case count, reading only NOTICE_COLUMNS); `case_id` for one case's notice,
    `offset`/`limit` for a page."""
    notice_stage: dict[tuple[str, str], Any] = {}
    for p in registry().all():
        if p.procedure and p.procedure.public_notice and p.procedure.public_notice.stage:
            notice_stage[(p.id, p.version)] = p.procedure.public_notice
    if not notice_stage:
        return []
    where = Q()
    for (pid, version), notice in notice_stage.items():
        where |= Q(case__pack_id=pid, case__pack_version=version, case__stage=notice.stage,
                   key=f"stage:{notice.stage}")
    today = case_clock.today()
    qs = (Deadline.objects.filter(where, status="open", due_date__gte=today, case__disposition=Disposition.open)
          .order_by("due_date", "id")
          .values("case_id", **{k: F(v) for k, v in NOTICE_COLUMNS.items() if k != "case_id"}))
    if case_id is not None:
        qs = qs.filter(case_id=case_id)
    qs = qs[offset:offset + limit] if limit is not None else qs[offset:]
    return [(row, notice_stage[(row["pack_id"], row["pack_version"])]) for row in qs]


def _names(zh: str, en: str | None) -> str:
    """An organisation's name as "中文 / English" when the registry has its English name (as the decision reads:
    a page shows the half of its language), else the Chinese name alone."""
    return f"{zh} / {en}" if en else zh


PUBLISHABLE = {
    "project_name": lambda r: r["project_name"],
    "host_unit": lambda r: _names(r["host_unit"], r["host_unit_en"]),
    "applicant": lambda r: r["applicant"],
    "decision": lambda r: "拟认定容错免责 / proposed exemption" if r["decision"] == "exempt"
    else "拟不予认定 / proposed refusal",
    "project_code": lambda r: r["project_code"],
}


def notice_out(row: dict[str, Any], notice: Any) -> dict[str, Any]:
    fields = {f: PUBLISHABLE[f](row) for f in notice.published_fields if f in PUBLISHABLE}
    return {"case_id": row["case_id"], "number": row["number"], "bureau": _names(row["bureau"], row["bureau_en"]),
            "channel": notice.channel.model_dump(), "from": row["from"], "until": row["until"], "published": fields}


NOTICES_TTL = 300  # seconds; a recorded change replaces the generation at once, so this only bounds memory


_digest: list[tuple[Any, str]] = []  # (the registry, its packs' digest): computed once per loaded registry


def _packs_digest(reg: Any) -> str:
    if not _digest or _digest[0][0] is not reg:
        _digest[:] = [(reg, hashlib.sha256("".join(sorted(p.content_hash for p in reg.all())).encode())
                       .hexdigest()[:16])]
    return _digest[0][1]


def notices_cached(key: str, compute: Callable[[], T]) -> T:
    """A value derived only from today's notices (the same for every visitor), cached under the generation of
    the records: every audit event replaces it (`audit_append`), so an entered or ended notice, a decision or a
    changed project title shows on the next request. The key carries the date (a notice ends by date) and the
    loaded packs' content (their notice rules and published fields)."""
    full = f"notices:{case_clock.today().isoformat()}:{_packs_digest(registry())}:{key}"
    return generations.cached(generations.RECORDS, full, NOTICES_TTL, compute)


