"""The records of one case as its page and the API show them: the case with its joined rows and which kinds of
records exist, its findings (current and superseded) with who made them, its uploads, its stage changes and its audit
events. Each query is compiled once per process (rongcuo.common.prepared): the case page reads them on every view.
Give `known={"case": case}` so that a row's `case` asks nothing."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F

from rongcuo.audit.models import AuditEvent
from rongcuo.cases import hooks
from rongcuo.cases import permissions as perm
from rongcuo.cases.models import Case, CaseFact, Evidence, StageChange
from rongcuo.common.prepared import Prepared


def evidence_of(uploaded: list[Evidence]) -> dict[int, list[Evidence]]:
    """The case's uploaded materials by the finding that rests on them (finding id -> materials, upload order)."""
    if not uploaded:
        return {}
    linked: dict[int, set[int]] = {}
    for fact_id, evidence_id in CaseFact.evidence.through.objects.filter(
            evidence_id__in=[e.pk for e in uploaded]).values_list("casefact_id", "evidence_id"):
        linked.setdefault(fact_id, set()).add(evidence_id)
    return {fact_id: [e for e in uploaded if e.pk in ids] for fact_id, ids in linked.items()}


def by_name(field: str) -> F:
    """The user name of a row's `field` (a user) as one column: a page shows who, not the whole account."""
    return F(f"{field}__{get_user_model().USERNAME_FIELD}")


@lru_cache(maxsize=1)
def page_presence() -> dict[str, Any]:
    """Which kinds of the case's records exist, read with the case (`rongcuo.common.presence`): the case page asks
    only for those (most cases have no letters, obligations, decisions, panel, objections or corrections). The
    apps built on cases add their kinds (`hooks.CASE_RECORDS`)."""
    from rongcuo.cases.models import Objection, Receipt
    from rongcuo.common.presence import exists_columns

    return exists_columns(evidence=(Evidence, "case", "id"), objections=(Objection, "case", "id"),
                          receipt=(Receipt, "case", "id"),
                          **{name: relation() for name, relation in hooks.CASE_RECORDS.items()})


# The case page's reads, compiled once per process (rongcuo.common.prepared): each is the query the ORM would run for
# `perm.case_for` with the presence columns (`page_presence`), `case.facts`, `case.evidence`,
# `case.stage_changes` and the case's audit events (its deadlines: `sel.case_deadlines`), without building its SQL
# on every request.
PAGE_CASE = Prepared(lambda pk: Case.objects.select_related(*perm.CASE_JOINED)
                      .annotate(**page_presence()).filter(pk=pk).order_by())
FINDINGS = Prepared(lambda case_id: CaseFact.objects.filter(case_id=case_id)
                     .annotate(by_name=by_name("established_by")))
UPLOADS = Prepared(lambda case_id: Evidence.objects.filter(case_id=case_id).annotate(by_name=by_name("uploaded_by")))
STAGE_CHANGES = Prepared(lambda case_id: StageChange.objects.filter(case_id=case_id)
                          .annotate(by_name=by_name("actor")))
AUDIT_EVENTS = Prepared(lambda subject_id: AuditEvent.objects.filter(
    subject_type="cases.case", subject_id=subject_id).only("at", "actor_name", "action", "seq", "hash"),
    kinds=(str,))  # not the before / after documents


FACT_COLUMNS = ("id", "fact_id", "value", "role", "stage", "established_at", "note", "current")


# The case's records as the case detail lists them, each read by a query compiled once (rongcuo.common.prepared).
FACT_ROWS = Prepared(lambda case_id: CaseFact.objects.filter(case_id=case_id).values(
    *FACT_COLUMNS, established_by_name=F(f"established_by__{get_user_model().USERNAME_FIELD}")))
RELIED_ON = Prepared(lambda case_id: CaseFact.evidence.through.objects.filter(casefact__case_id=case_id)
                      .order_by("evidence__uploaded_at", "evidence__id").values("casefact_id", "evidence__sha256"))
HISTORY = Prepared(lambda case_id: StageChange.objects.filter(case_id=case_id).values(
    "from_stage", "to_stage", "action", "role", "reason", "at",
    actor_name=F(f"actor__{get_user_model().USERNAME_FIELD}")))


def finding_rows(case: Case) -> list[dict[str, Any]]:
    """The case's findings as rows (no model objects): the findings with their author's name, then the hashes
    of the evidence each relies on, in upload order — two queries, whatever the number of findings."""
    relied: dict[int, list[str]] = {}
    for link in RELIED_ON(case.pk):
        relied.setdefault(link["casefact_id"], []).append(link["evidence__sha256"])
    return [{"fact_id": r["fact_id"], "value": r["value"], "role": r["role"], "stage": r["stage"],
             "established_by": r["established_by_name"], "established_at": r["established_at"],
             "evidence": relied.get(r["id"], []), "note": r["note"], "current": r["current"]}
            for r in FACT_ROWS(case.pk)]




def history_rows(case: Case) -> list[dict[str, Any]]:
    """The case's stage changes as rows, each with its actor's user name as `actor`."""
    rows = HISTORY(case.pk)
    for h in rows:
        h["actor"] = h.pop("actor_name")
    return rows
