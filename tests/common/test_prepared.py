"""Queries compiled once (rongcuo.common.prepared): a prepared query gives what the ORM gives for the same queryset —
the same rows, fields, annotations, joined objects and known objects — and the case page built on them is the page
the plain ORM builds; what cannot be prepared is refused with a message when it is first used."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rongcuo.audit.models import AuditHead
from rongcuo.cases import selectors as sel
from rongcuo.cases.models import Case, CaseFact, Evidence
from rongcuo.cases.selectors import records
from rongcuo.common.prepared import STAND_INS, NotPreparable, Prepared

PAGE_QUERIES = [(records, name) for name in ("PAGE_CASE", "FINDINGS", "UPLOADS", "STAGE_CHANGES",
                                              "AUDIT_EVENTS")] + [(sel, "case_deadlines")]


def snapshot(obj: Any) -> Any:
    """A model instance as data: its loaded fields and annotations, and the objects joined to it."""
    if isinstance(obj, dict):
        return obj
    data = {k: v for k, v in vars(obj).items() if k != "_state"}
    data["_joined"] = {name: snapshot(o) if o is not None else None for name, o in obj._state.fields_cache.items()}
    return data


class plain:  # stands where a Prepared stands
    """The same query through the ORM, evaluated as the view evaluates it (known objects set as a related manager
    would set them)."""

    def __init__(self, prepared: Prepared) -> None:
        self.prepared = prepared

    def __call__(self, *keys: Any, known: dict[str, Any] | None = None) -> list[Any]:
        rows = list(self.prepared.build(*keys))
        for row in rows:
            for name, obj in (known or {}).items():
                setattr(row, name, obj)
        return rows

    def first(self, *keys: Any) -> Any:
        return next(iter(self(*keys)), None)


def test_each_case_page_query_gives_what_the_orm_gives(demo: dict[str, Case]) -> None:
    seen = {name: 0 for _, name in PAGE_QUERIES}
    for case in demo.values():
        for module, name in PAGE_QUERIES:
            prepared: Prepared = getattr(module, name)
            key: Any = str(case.pk) if prepared.kinds == (str,) else case.pk
            fast, slow = prepared(key), list(prepared.build(key))
            assert [snapshot(r) for r in fast] == [snapshot(r) for r in slow], (name, case.project.code)
            assert all(type(a) is type(b) for a, b in zip(fast, slow, strict=True))
            seen[name] += bool(fast)
    assert all(seen.values()), seen  # every query had rows for some demo case
    # the case query's joined objects and presence columns are there (not read later)
    case = records.PAGE_CASE(next(iter(demo.values())).pk)[0]
    with CaptureQueriesContext(connection) as ctx:
        assert case.project.code and case.bureau.name_zh and case.applicant.name
        assert isinstance(case.exists_evidence, bool)
    assert ctx.captured_queries == []


def test_case_for_reads_the_case_as_the_orm_does_and_refuses_as_before(demo: dict[str, Case]) -> None:
    from rongcuo.cases import permissions as perm
    from rongcuo.common.errors import NotFound

    auditor, chen = (get_user_model().objects.get(username=n) for n in ("auditor", "chen"))
    for case in demo.values():
        ours = perm.case_for(auditor, case.pk)
        assert snapshot(ours) == snapshot(Case.objects.select_related(*perm.CASE_JOINED).get(pk=case.pk))
        assert perm.case_for(auditor, str(case.pk)) == ours  # the key as the URL gives it
    hidden = [c for c in demo.values() if not perm.may_read(chen, c)]
    assert hidden
    for user, key in ((auditor, 10**9), (auditor, "abc"), (auditor, ""), (chen, hidden[0].pk), (auditor, 10**19),
                      (auditor, -(2**63) - 1), (auditor, 2**31)):
        with pytest.raises(NotFound):
            perm.case_for(user, key)
    c = Client()
    c.force_login(auditor)
    for key in (2**31, 2**63, 10**40):  # beyond the columns: no such case, as the ORM answers
        assert c.get(f"/cases/{key}/").status_code == 404 and c.get(f"/api/cases/{key}").status_code == 404


def test_known_objects_are_set_without_a_query(demo: dict[str, Case]) -> None:
    case = Case.objects.get(pk=next(iter(demo.values())).pk)
    findings = records.FINDINGS(case.pk, known={"case": case})
    assert findings
    with CaptureQueriesContext(connection) as ctx:
        assert all(f.case is case for f in findings)
    assert ctx.captured_queries == []
    assert records.FINDINGS(case.pk)[0].case == case  # without `known`: read when asked, as the ORM does


def test_the_values_are_converted_as_the_orm_converts_them(demo: dict[str, Case]) -> None:
    findings = Prepared(lambda case_id: CaseFact.objects.filter(case_id=case_id))  # a JSON value, a datetime
    cases = list(demo.values())
    read = {case.pk: [(f.pk, f.value, f.established_at) for f in findings(case.pk)] for case in cases}
    assert read == {case.pk: [(f.pk, f.value, f.established_at) for f in CaseFact.objects.filter(case_id=case.pk)]
                    for case in cases}
    assert any(read.values())


def test_values_queries_and_text_keys(demo: dict[str, Case]) -> None:
    rows = Prepared(lambda number: Case.objects.filter(number=number).values("id", "stage"), kinds=(str,))
    for case in demo.values():
        assert rows(case.number) == [{"id": case.pk, "stage": case.stage}]
    assert rows("no such number") == []
    two = Prepared(lambda a, b: Case.objects.filter(pk__in=[a, b]).order_by("pk").values("pk"))
    a, b = sorted(c.pk for c in demo.values())[:2]
    assert two(a, b) == [{"pk": a}, {"pk": b}] and two(b, b) == [{"pk": b}]


def test_a_constant_equal_to_a_stand_in_is_not_taken_for_a_key(demo: dict[str, Case]) -> None:
    pk = next(iter(demo.values())).pk
    either = Prepared(lambda k: Case.objects.filter(Q(pk=k) | Q(pk=STAND_INS[0][0])).values("pk"))
    assert either(pk) == [{"pk": pk}]


def test_a_condition_nothing_meets_gives_no_rows_and_a_user_without_cases_sees_an_empty_queue(world) -> None:
    nothing = Prepared(lambda k: Case.objects.filter(pk__in=[]).filter(stage=k).values("pk"), kinds=(str,))
    assert nothing("filed") == [] and nothing("closed") == []
    user = get_user_model().objects.create_user("nobody", password="x")  # signed in, no role, no person
    c = Client()
    c.force_login(user)
    r = c.get("/work/")
    assert r.status_code == 200 and c.get("/work/?stage=filed").status_code == 200


USERS = ("zj_caseworker", "sz_caseworker", "auditor", "chen", "zj_committee")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def prepared_and_plain(monkeypatch: pytest.MonkeyPatch, urls: list[str],
                       patches: list[tuple[Any, str, Any]]) -> Iterator[tuple[str, str, Any, Any]]:
    """Each URL as each user, answered with the prepared queries and again with `patches` (the plain ORM):
    (user, url, prepared answer, plain answer)."""
    for name in USERS:
        c = Client()
        c.force_login(get_user_model().objects.get(username=name))
        for url in urls:
            fast = c.get(url)
            with monkeypatch.context() as m:
                for target, attr, value in patches:
                    m.setattr(target, attr, value)
                slow = c.get(url)
            yield name, url, fast, slow


def test_the_case_page_is_the_page_the_plain_orm_builds(demo: dict[str, Case],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    patches = [(module, query, plain(getattr(module, query))) for module, query in PAGE_QUERIES]
    shown = 0
    for name, url, fast, slow in prepared_and_plain(monkeypatch, [f"/cases/{c.pk}/" for c in demo.values()], patches):
        assert fast.status_code == slow.status_code
        assert TOKEN.sub("", fast.content.decode()) == TOKEN.sub("", slow.content.decode()), (name, url)
        shown += fast.status_code == 200
    assert shown > len(demo)  # most users read some of the cases (the others get 404 both ways)
    assert Client().get("/cases/999999/").status_code == 302  # signed out: to the login page, as before


def test_the_work_queue_is_the_page_the_plain_orm_builds(demo: dict[str, Case],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from rongcuo.cases.selectors import lists
    from rongcuo.cases.selectors.lists import WORK_PAGE

    stage = next(iter(demo.values())).stage
    monkeypatch.setattr(lists, "WORK_PAGE", 2)  # so that the demo cases fill several pages
    queries = ["", f"?stage={stage}", "?outcome=exempt", f"?stage={stage}&outcome=undetermined", "?page=2",
               "?page=3", "?q=ZJ", "?stage=no-such-stage"]
    shown = 0
    for name, url, fast, slow in prepared_and_plain(monkeypatch, [f"/work/{q}" for q in queries], [
            (lists, "_QUERIES", lambda shape, make: plain(make()))]):
        assert fast.status_code == slow.status_code == 200
        page = TOKEN.sub("", fast.content.decode())
        assert page == TOKEN.sub("", slow.content.decode()), (name, url)
        shown += page.count('href="/cases/')
    assert WORK_PAGE > 2 and shown > 0


@pytest.mark.parametrize("path, queries", [
    ("/api/cases", ["", "?limit=2", "?limit=2&offset=2", "?stage={stage}", "?outcome=exempt&disposition=open",
                    "?stage={stage}&limit=1&offset=1", "?disposition=closed", "?stage=no-such-stage"]),
    ("/api/deadlines", ["", "?state=overdue", "?state=due_soon", "?state=on_track", "?state=paused", "?limit=1",
                        "?limit=1&offset=1"]),
])
def test_the_list_apis_answer_what_the_plain_orm_answers(demo: dict[str, Case], monkeypatch: pytest.MonkeyPatch,
                                                         path: str, queries: list[str]) -> None:
    from rongcuo.cases.selectors import lists

    stage = next(iter(demo.values())).stage
    urls = [path + q.format(stage=stage) for q in queries]
    listed = 0
    for name, url, fast, slow in prepared_and_plain(monkeypatch, urls, [
            (lists, "_QUERIES", lambda shape, make: plain(make()))]):
        assert fast.status_code == slow.status_code == 200
        assert fast.json() == slow.json(), (name, url)
        listed += len(fast.json())
    assert listed > 0


def test_the_case_api_answers_what_the_plain_orm_answers(demo: dict[str, Case],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:

    # two findings resting on uploaded materials (the demo's findings cite none), one of them on two
    by = get_user_model().objects.get(username="zj_caseworker")
    findings = list(CaseFact.objects.filter(current=True).order_by("id")[:2])
    for n, finding in enumerate(findings + findings[:1]):
        finding.evidence.add(Evidence.objects.create(
            case_id=finding.case_id, kind="report", file=f"evidence/t{n}.pdf", original_name=f"t{n}.pdf",
            content_type="application/pdf", size=1, sha256=f"{n:064d}", uploaded_by=by))
    patches = [(records, query, plain(getattr(records, query))) for query in ("FACT_ROWS", "RELIED_ON", "HISTORY")]
    patches.append((sel, "case_deadlines", plain(sel.case_deadlines)))
    seen = {"answered": 0, "facts": 0, "relied_on": 0, "deadlines": 0, "history": 0}
    for name, url, fast, slow in prepared_and_plain(monkeypatch, [f"/api/cases/{c.pk}" for c in demo.values()],
                                                    patches):
        assert fast.status_code == slow.status_code and fast.json() == slow.json(), (name, url)
        if fast.status_code == 200:
            body = fast.json()
            seen["answered"] += 1
            seen["facts"] += bool(body["facts"])
            seen["relied_on"] += sum(bool(f["evidence"]) for f in body["facts"])
            seen["deadlines"] += bool(body["deadlines"])
            seen["history"] += bool(body["history"])
    # every kind of record, findings resting on uploaded materials among them, was compared
    assert seen["answered"] > len(demo) and all(seen.values()), seen


def test_what_cannot_be_prepared_is_refused_with_a_message(demo: dict[str, Case]) -> None:
    pk = next(iter(demo.values())).pk
    with pytest.raises(NotPreparable, match="prefetch_related"):
        Prepared(lambda k: Case.objects.filter(pk=k).prefetch_related("facts"))(pk)
    with pytest.raises(NotPreparable, match="parameter 0 of the SQL changes with the keys but is not one of them"):
        Prepared(lambda k: Case.objects.filter(pk__gt=k + 1))(pk)
    with pytest.raises(NotPreparable, match=r"parameters \[0\] do not reach the SQL"):
        Prepared(lambda k: Case.objects.filter(pk=pk))(pk)  # the key is not used
    with pytest.raises(NotPreparable, match="depends on its keys' values"):
        Prepared(lambda k: Case.objects.filter(pk=k, stage="filed") if k < STAND_INS[1][0] else
                 Case.objects.filter(pk=k))(pk)
    head = Prepared(lambda k: AuditHead.objects.filter(pk=k).values("pk"))  # a small-integer key
    if connection.ops.integer_field_range("PositiveSmallIntegerField")[1] < STAND_INS[0][0]:  # PostgreSQL
        with pytest.raises(NotPreparable, match="too narrow for the stand-ins"):
            head(1)
    else:  # SQLite: Django checks no range there, and the query is prepared
        assert head(1) == list(AuditHead.objects.filter(pk=1).values("pk"))
    with pytest.raises(NotPreparable, match=r"keys of \['int'\]"):
        Prepared(lambda k: Case.objects.filter(pk=k))(str(pk))
    with pytest.raises(NotPreparable, match="keys of"):
        Prepared(lambda k: Case.objects.filter(pk=k))(pk, pk)
    with pytest.raises(NotPreparable, match="model instances or values"):
        Prepared(lambda k: Case.objects.filter(pk=k).values_list("pk"))(pk)
    with pytest.raises(NotPreparable, match="kinds"):
        Prepared(lambda k: Case.objects.filter(pk=k), kinds=(float,))
    facts = Prepared(lambda k: CaseFact.objects.filter(case_id=k).annotate(by=F("established_by__username")))
    assert {f.by for f in facts(pk)} == {f.established_by.username for f in CaseFact.objects.filter(case_id=pk)}
