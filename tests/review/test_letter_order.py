"""A decision letter is rendered before the transaction takes the audit chain's head lock, which every other write
waits for until the transaction commits: rendering a DOCX and a PDF holds up no other write. Still one transaction,
the audit events in their order, and the letters numbered in sequence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from rongcuo.audit.models import AuditEvent, AuditHead
from rongcuo.audit.selectors import audit_verify
from rongcuo.cases import clock, letters
from rongcuo.cases import services as svc
from rongcuo.cases.models import Case
from rongcuo.review import services as review_svc
from rongcuo.review.models import Letter
from tests.factories import Clock

HEAD = AuditHead._meta.db_table


class Watch:
    """The SQL the services run, and what each render of a letter saw when it started."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sql: list[str] = []
        self.renders: list[dict[str, Any]] = []
        self.before_render: Callable[[], None] = lambda: None
        for name in ("render_docx", "render_pdf"):
            monkeypatch.setattr(letters, name, self._checked(name, getattr(letters, name)))

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.sql.append(sql)
        return execute(sql, params, many, context)

    def head_read(self) -> bool:
        return any(HEAD in sql for sql in self.sql)

    def _checked(self, name: str, real: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
        def render(data: Any) -> bytes:
            self.renders.append({"format": name, "in_transaction": connection.in_atomic_block,
                                 "head_locked": self.head_read(), "number": data.doc_number})
            self.before_render()
            return real(data)

        return render


def _events(case: Case, n: int) -> list[str]:
    actions = AuditEvent.objects.filter(subject_type="cases.case", subject_id=str(case.pk)).order_by("-seq")
    return list(actions.values_list("action", flat=True)[:n])[::-1]


def _user(name: str) -> Any:
    return get_user_model().objects.get(username=name)


def _votes(case: Case) -> None:
    for name in ("sz_committee", "sz_committee2"):
        review_svc.committee_vote(case=case, actor=_user(name), vote="exempt", reasons="符合勤勉尽责条件。")


def test_the_collective_decision_renders_the_letter_before_the_audit_chain_is_locked(
        demo: dict[str, Case], monkeypatch: pytest.MonkeyPatch) -> None:
    case = demo["SZ-2024-102"]  # at the decision, whose transition ends the procedure: the case is archived
    _votes(case)
    watch = Watch(monkeypatch)
    with connection.execute_wrapper(watch):
        review_svc.committee_decide(case=case, actor=_user("sz_committee"), decision="exempt",
                                    reasons="符合勤勉尽责条件")
    assert [(r["format"], r["in_transaction"], r["head_locked"]) for r in watch.renders] == [
        ("render_docx", True, False), ("render_pdf", True, False)]
    assert watch.head_read()  # the chain was locked afterwards, by the events
    assert _events(case, 3) == ["committee.decide", "case.transition.decide", "case.archive"]
    letter = Letter.objects.get(case=case)
    assert letter.doc_number == watch.renders[0]["number"]
    archived = AuditEvent.objects.get(action="case.archive", subject_id=str(case.pk))
    assert archived.after["docx_sha256"] == letter.docx_sha256 == letters.letter_sha256(letter.docx.read())
    assert audit_verify().ok


def test_closing_the_notice_renders_the_letter_before_the_audit_chain_is_locked(
        demo: dict[str, Case], clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    case = demo["ZJ-2024-204"]  # exempt, under public notice: closing the notice archives it
    notice = case.deadlines.get(key="stage:public_notice", status="open")
    clock.value = notice.due_date + dt.timedelta(days=1)
    watch = Watch(monkeypatch)
    with connection.execute_wrapper(watch):
        svc.case_transition(case=case, actor=_user("zj_caseworker"), action="close_notice", reason="公示期满，无异议。")
    assert [(r["in_transaction"], r["head_locked"]) for r in watch.renders] == [(True, False), (True, False)]
    assert _events(case, 2) == ["case.transition.close_notice", "case.archive"]
    assert Letter.objects.filter(case=case).count() == 1 and audit_verify().ok


def test_a_number_taken_while_rendering_goes_to_the_next_letter(demo: dict[str, Case],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    case, other = demo["SZ-2024-102"], demo["SZ-2024-103"]
    _votes(case)
    watch = Watch(monkeypatch)
    year = clock.today().year

    def another_letter_is_issued() -> None:  # as another transaction would, between rendering and storing
        if len(watch.renders) == 1:
            Letter.objects.create(case=other, doc_number=f"{other.bureau.doc_series(year)}{taken + 1}号",
                                  docx="letters/other.docx", docx_sha256="0" * 64, issued_on=clock.today())

    watch.before_render = another_letter_is_issued
    series = case.bureau.doc_series(year)  # the bureau's 机关代字 (registry): 深科创容〔2025〕
    assert series == f"深科创容〔{year}〕"
    taken = Letter.objects.filter(doc_number__startswith=series).count()
    with connection.execute_wrapper(watch):
        review_svc.committee_decide(case=case, actor=_user("sz_committee"), decision="exempt",
                                    reasons="符合勤勉尽责条件")
    numbers = [r["number"] for r in watch.renders]
    assert numbers[:2] == [f"{series}{taken + 1}号"] * 2
    assert numbers[2:] == [f"{series}{taken + 2}号"] * 2  # rendered again, holding the lock
    assert [r["head_locked"] for r in watch.renders] == [False, False, True, True]
    letter = Letter.objects.get(case=case)
    assert letter.doc_number == numbers[-1]
    assert AuditEvent.objects.get(action="case.archive", subject_id=str(case.pk)).after["letter"] == numbers[-1]
