"""Faults, concurrency and the audit chain at scale."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction

from rongcuo.audit.models import AuditEvent, AuditHead
from rongcuo.audit.selectors import audit_verify
from rongcuo.audit.services import audit_append
from rongcuo.cases import services as svc
from rongcuo.cases.models import Case, CaseFact, StageChange
from rongcuo.cases.services import facts as fact_services
from rongcuo.cases.services import transitions as transition_services
from rongcuo.demo.documents import sample_pdf
from tests.factories import OPINIONS


@pytest.fixture
def accepted_case(world, as_user, today):
    today.set(dt.date(2025, 9, 10))
    code, case = as_user("wang").post("/cases", {"project_id": world.projects["sz_chip"].pk,
                                                 "failure_explanation": "未通过考核", "relevant_date": "2025-09-10"})
    assert code == 201
    as_user("wang").upload(case["id"], "application_form")
    return Case.objects.get(pk=case["id"])


def test_database_error_mid_transition_leaves_no_partial_state(accepted_case, world, monkeypatch) -> None:
    case = accepted_case
    before = (case.stage, case.version, AuditEvent.objects.count(), StageChange.objects.count(),
              case.deadlines.count())

    def boom(*args, **kwargs):
        raise RuntimeError("injected database failure")

    # Fail after the stage row and the stage history are written, before the audit event.
    monkeypatch.setattr(transition_services, "deadlines_after_transition", boom)
    with pytest.raises(RuntimeError, match="injected"):
        svc.case_transition(case=case, actor=world.users["sz_caseworker"], action="accept", opinion=OPINIONS["accept"])
    case.refresh_from_db()
    after = (case.stage, case.version, AuditEvent.objects.count(), StageChange.objects.count(),
             case.deadlines.count())
    assert after == before
    assert audit_verify().ok


def test_failed_fact_write_rolls_back_facts_and_audit(accepted_case, world, monkeypatch) -> None:
    case = accepted_case
    events = AuditEvent.objects.count()
    facts = CaseFact.objects.count()

    def boom(*args, **kwargs):
        raise RuntimeError("injected failure in audit")

    monkeypatch.setattr(fact_services, "audit_append", boom)
    with pytest.raises(RuntimeError):
        svc.case_set_facts(case=case, actor=world.users["sz_caseworker"], role="investigation_finding",
                           facts={"sz_municipal_fiscal_funds": True})
    assert CaseFact.objects.count() == facts and AuditEvent.objects.count() == events
    case.refresh_from_db()
    assert case.version == Case.objects.get(pk=case.pk).version


@pytest.mark.django_db
def test_audit_chain_verifies_a_large_history_and_catches_reordering() -> None:
    with transaction.atomic():
        for i in range(3000):
            audit_append(actor=None, action="test.event", subject_type="t", subject_id=str(i), after={"i": i})
    res = audit_verify()
    assert res.ok and res.checked == 3000
    a, b = AuditEvent.objects.filter(seq__in=[1500, 1501]).order_by("seq")
    # Swap two events' contents (a reordering that keeps every row individually well-formed).
    AuditEvent.objects.filter(pk=a.pk).update(seq=-1)
    AuditEvent.objects.filter(pk=b.pk).update(seq=1500)
    AuditEvent.objects.filter(pk=a.pk).update(seq=1501)
    res = audit_verify()
    assert not res.ok and res.first_broken == 1500


@pytest.mark.django_db
def test_deleting_an_event_in_the_middle_is_caught() -> None:
    with transaction.atomic():
        for i in range(10):
            audit_append(actor=None, action="test.event", subject_type="t", subject_id=str(i))
    AuditEvent.objects.filter(seq=5)._raw_delete(connection.alias)
    res = audit_verify()
    assert not res.ok and res.first_broken == 5 and "missing" in res.reason
    assert AuditHead.objects.get().seq == 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent connections need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_parallel_transitions_cannot_skip_a_stage_and_stale_updates_conflict(world, monkeypatch) -> None:
    monkeypatch.setattr("rongcuo.cases.clock.today", lambda: dt.date(2025, 9, 15))
    from django.core.files.base import ContentFile

    case = svc.case_create(actor=world.users["wang"], project=world.projects["sz_chip"],
                           applicant=world.people["wang"], failure_explanation="并发测试",
                           relevant_date=dt.date(2025, 9, 10))
    svc.evidence_upload(case=case, actor=world.users["wang"], file=ContentFile(sample_pdf(), name="a.pdf"),
                        kind="application_form", name="a.pdf")
    version = Case.objects.get(pk=case.pk).version
    barrier = threading.Barrier(2)
    results: list[str] = []

    def worker(action: str) -> None:
        try:
            barrier.wait()
            svc.case_transition(case=Case.objects.get(pk=case.pk), actor=world.users["sz_caseworker"],
                                action=action, opinion=OPINIONS.get(action, ""), expected_version=version)
            results.append("ok")
        except Exception as exc:
            results.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=("accept",)), threading.Thread(target=worker, args=("accept",))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["Conflict", "ok"]
    c = Case.objects.get(pk=case.pk)
    assert c.stage == "acceptance_investigation" and StageChange.objects.filter(case=c).count() == 1
    assert audit_verify().ok
