"""The deadline sweep records due-soon and overdue warnings once; the queue can be asked for overdue cases."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command

from rongcuo.cases.models import DeadlineWarning
from tests.factories import step


def test_sweep_is_idempotent_and_states_are_queryable(world, as_user, today, capsys) -> None:
    today.set(dt.date(2025, 9, 10))
    wang, sz = as_user("wang"), as_user("sz_caseworker")
    code, case = wang.post("/cases", {"project_id": world.projects["sz_chip"].pk, "applicant_id":
                                      world.people["wang"].pk, "relevant_date": "2025-09-10",
                                      "failure_explanation": "未通过考核"})
    wang.upload(case["id"], "application_form")
    today.set(dt.date(2025, 9, 15))
    sz.post(f"/cases/{case['id']}/transitions", step("accept"))  # due 2025-10-31

    call_command("sweep_deadlines", "--on", "2025-10-01")
    assert DeadlineWarning.objects.count() == 0  # 30 Sept → 31 Oct: far off (holiday week in between)
    call_command("sweep_deadlines", "--on", "2025-10-27")
    call_command("sweep_deadlines", "--on", "2025-10-27")
    assert list(DeadlineWarning.objects.values_list("kind", flat=True)) == ["due_soon"]
    call_command("sweep_deadlines", "--on", "2025-11-03")
    call_command("sweep_deadlines", "--on", "2025-11-04")
    assert sorted(DeadlineWarning.objects.values_list("kind", flat=True)) == ["due_soon", "overdue"]
    assert "0 new warnings" in capsys.readouterr().out.splitlines()[-1]

    today.set(dt.date(2025, 11, 3))
    code, overdue = sz.get("/deadlines", state="overdue")
    assert code == 200 and [d["case_number"] for d in overdue] == [case["number"]]
    code, err = sz.get("/deadlines", state="late")
    assert code == 400 and err["field"] == "state"


def test_deadline_states_are_date_ranges_the_database_can_page(world, as_user, today) -> None:
    """Each state filter returns exactly the deadlines `deadline_state` puts in it, earliest first, in pages."""
    from rongcuo.cases import selectors as svc
    from rongcuo.cases.models import Deadline
    from rongcuo.workdays.selectors import load_calendar

    today.set(dt.date(2025, 9, 10))
    code, case = as_user("wang").post("/cases", {"project_id": world.projects["sz_chip"].pk, "applicant_id":
                                                 world.people["wang"].pk, "relevant_date": "2025-09-10",
                                                 "failure_explanation": "未通过考核"})
    Deadline.objects.filter(case_id=case["id"]).delete()
    start = dt.date(2025, 9, 20)
    for i in range(40):  # one due each day around today, across the National Day holiday week; one paused
        Deadline.objects.create(case_id=case["id"], key=f"k{i}", label_zh="期限", label_en="Time limit",
                                start_date=start, days=5, day_kind="working", status="open",
                                due_date=None if i == 39 else start + dt.timedelta(days=i))
    today.set(dt.date(2025, 9, 29))
    cal = load_calendar(2025, 2026)
    expected: dict[str, list[str]] = {}
    for d in Deadline.objects.filter(case_id=case["id"]).order_by("due_date", "id"):
        expected.setdefault(svc.deadline_state(d, dt.date(2025, 9, 29), cal), []).append(d.key)
    assert set(expected) == {"overdue", "due_soon", "on_track", "paused"}
    sz = as_user("sz_caseworker")
    for state, keys in expected.items():
        code, got = sz.get("/deadlines", state=state, limit=500)
        assert code == 200 and [d["key"] for d in got] == keys and {d["state"] for d in got} == {state}
    code, everything = sz.get("/deadlines", limit=500)
    assert [d["key"] for d in everything][-1] == "k39"  # paused (no due date) last
    code, page = sz.get("/deadlines", limit=7, offset=7)
    assert [d["key"] for d in page] == [d["key"] for d in everything][7:14]
    assert sz.get("/deadlines", limit=0)[1]["field"] == "limit"
    assert sz.get("/deadlines", offset=-1)[1]["field"] == "offset"
    code, theirs = as_user("zj_caseworker").get("/deadlines")
    assert code == 200 and theirs == []
