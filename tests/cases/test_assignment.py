"""Ownership: a caseworker claims a case, a caseworker lead assigns one or many from the work queue, every change is
audited and the assignee told; the queue's "mine" and "unassigned" tabs and its flags."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from rongcuo.audit.models import AuditEvent
from rongcuo.cases import services as svc
from rongcuo.cases.models import Case
from rongcuo.common.errors import Forbidden, Invalid


def client(name: str) -> Client:
    c = Client()
    c.force_login(get_user_model().objects.get(username=name))
    return c


def user(name: str) -> Any:
    return get_user_model().objects.get(username=name)


def listed(name: str, view: str) -> set[str]:
    return set(re.findall(r'data-case="(RC-\d+-\d+)"', client(name).get(f"/work/?view={view}").content.decode()))


@pytest.fixture
def zj_open(demo: dict[str, Case]) -> list[Case]:
    return [c for c in demo.values() if c.pack_id.startswith("zhejiang") and c.disposition == "open"]


def test_a_caseworker_claims_an_unassigned_case_and_it_moves_to_mine(zj_open: list[Case]) -> None:
    case = zj_open[0]
    assert case.number in listed("zj_caseworker2", "unassigned")
    r = client("zj_caseworker2").post(f"/cases/{case.pk}/assign/", {"assignee": "me"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.assignee == user("zj_caseworker2")
    assert case.number in listed("zj_caseworker2", "mine") and case.number not in listed("zj_caseworker", "mine")
    assert case.number not in listed("zj_caseworker2", "unassigned")
    ev = AuditEvent.objects.filter(subject_id=str(case.pk), action="case.assign").last()
    assert ev.after["assignee"] == "zj_caseworker2" and ev.after["claimed"] is True
    page = client("zj_caseworker").get(f"/cases/{case.pk}/").content.decode()
    assert "吴经办" in page and "zj_caseworker2" not in page.split('id="assign-form"')[1][:400]


def test_only_a_lead_assigns_others_or_reassigns(zj_open: list[Case]) -> None:
    case = zj_open[0]
    svc.case_assign(case=case, actor=user("zj_caseworker2"), assignee=user("zj_caseworker2"))
    version = Case.objects.get(pk=case.pk).version
    with pytest.raises(Forbidden) as refused:  # a caseworker cannot take another's case, nor hand it on
        svc.case_assign(case=case, actor=user("zj_caseworker2"), assignee=user("zj_caseworker"))
    assert refused.value.field == "assignee" and "经办负责人" in refused.value.zh and "lead" in refused.value.en
    with pytest.raises(Invalid) as not_caseworker:  # only a caseworker of the bureau can handle it
        svc.case_assign(case=case, actor=user("zj_caseworker"), assignee=user("sz_caseworker"))
    assert not_caseworker.value.field == "assignee" and "孙经办" in not_caseworker.value.zh
    assert Case.objects.get(pk=case.pk).assignee == user("zj_caseworker2")
    assert Case.objects.get(pk=case.pk).version == version
    # the lead reassigns; the new assignee is told
    from rongcuo.notifications.models import Notification

    svc.case_assign(case=case, actor=user("zj_caseworker"), assignee=user("zj_caseworker"), reason="统一办理")
    assert Case.objects.get(pk=case.pk).assignee == user("zj_caseworker")
    assert not Notification.objects.filter(recipient=user("zj_caseworker"), kind="assigned", case=case).exists()
    svc.case_assign(case=case, actor=user("zj_caseworker"), assignee=user("zj_caseworker2"))
    told = Notification.objects.filter(recipient=user("zj_caseworker2"), kind="assigned", case=case)
    assert told.count() == 1 and case.number in told[0].title_zh


def test_the_lead_assigns_in_bulk_from_the_work_queue_all_or_none(zj_open: list[Case], demo: dict[str, Case]) -> None:
    lead = client("zj_caseworker")
    page = lead.get("/work/").content.decode()
    assert 'id="assign-form"' in page and "吴经办" in page
    assert 'id="assign-form"' not in client("zj_caseworker2").get("/work/").content.decode()
    ids = [c.pk for c in zj_open]
    r = lead.post("/work/assign/", {"cases": ids, "assignee": user("zj_caseworker2").pk})
    assert r.status_code == 302
    assert {c.assignee_id for c in Case.objects.filter(pk__in=ids)} == {user("zj_caseworker2").pk}
    # a Shenzhen case among them: not the lead's to assign, so none is changed
    sz = next(c for c in demo.values() if c.pack_id.startswith("shenzhen") and c.disposition == "open")
    r = lead.post("/work/assign/", {"cases": [ids[0], sz.pk], "assignee": ""}, follow=True)
    assert "未能分配" in r.content.decode()
    assert Case.objects.get(pk=ids[0]).assignee_id == user("zj_caseworker2").pk


def test_the_queue_flags_an_open_objection(demo: dict[str, Case], world: Any) -> None:
    from rongcuo.cases.models import Objection

    case = demo["ZJ-2024-204"]  # under public notice
    Objection.objects.create(case=case, name="李某", contact="13800000000", text="异议内容", filed_at=case.created_at)
    html = client("zj_caseworker").get("/work/").content.decode()
    row = html[html.index(f'data-case="{case.number}"'):]
    assert 'data-flag="objection"' in row[:1200]
