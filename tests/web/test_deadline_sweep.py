"""The deadline sweep records due-soon and overdue warnings once; the queue can be asked for overdue cases."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command

from rongcuo.cases.models import DeadlineWarning


def test_sweep_is_idempotent_and_states_are_queryable(world, as_user, today, capsys) -> None:
    today.set(dt.date(2025, 9, 10))
    wang, sz = as_user("wang"), as_user("sz_caseworker")
    code, case = wang.post("/cases", {"project_id": world.projects["sz_chip"].pk, "applicant_id":
                                      world.people["wang"].pk, "relevant_date": "2025-09-10",
                                      "failure_explanation": "未通过考核"})
    wang.upload(case["id"], "application_form")
    today.set(dt.date(2025, 9, 15))
    sz.post(f"/cases/{case['id']}/transitions", {"action": "accept"})  # due 2025-10-31

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
