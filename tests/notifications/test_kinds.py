"""Each kind of notification reaches the people whose case it is, and nobody else; its texts name the case by
its number, the project by its title and the stage by its label, never by an id, a role code or a username."""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Max

from rongcuo.cases import hooks
from rongcuo.cases import services as case_svc
from rongcuo.cases.models import Case, Deadline
from rongcuo.engine.model import Text
from rongcuo.notifications.models import Notification
from rongcuo.review.models import Expert
from tests.factories import CRITERIA, Api, committee_votes, panel_review, step

from .conftest import zj_filed, zj_to_panel

FINDINGS = {"original_records_prove_diligence": True, "failure_technical_route": True, "zj_covered_activity": True}


def last_id() -> int:
    return Notification.objects.aggregate(m=Max("id"))["m"] or 0


def told(since: int, kind: str) -> dict[str, Notification]:
    """username → the notification of `kind` made since notification `since`."""
    rows = Notification.objects.filter(pk__gt=since, kind=kind).select_related("recipient")
    out = {n.recipient.username: n for n in rows}
    assert len(out) == len(rows), "someone was told twice"
    return out


def no_internal_names(n: Notification, case: Case) -> None:
    """The texts a person reads carry labels only."""
    text = " ".join([n.title_zh, n.title_en, n.body_zh, n.body_en])
    assert case.number in text and (case.project.title in n.body_zh)
    usernames = "chen|zju_reviewer|zj_caseworker|zj_committee|zj_nsf|expert_\\w+"
    ids = "host_unit_reviewer|caseworker|nsf_office|applicant_declaration|expert_review|collective_decision|" \
          "forward_by_host_unit|refer_to_panel|public_notice|feedback_archive|investigation\\b"
    assert not re.search(usernames, text) and not re.search(ids, text), text
    assert f"#{case.pk}" not in text and f" {case.pk} " not in text


def test_stage_changes_reach_the_applicant_the_caseworkers_and_the_host_unit_at_its_step(world, as_user,
                                                                                          today) -> None:
    mark = last_id()
    cid = zj_filed(world, as_user, today)
    case = Case.objects.get(pk=cid)
    filed = told(mark, "stage_changed")
    # Filed by chen (who is not told of his own step): the host unit, whose step it is, and the bureau.
    assert set(filed) == {"zju_reviewer", "zj_caseworker", "zj_caseworker2"}  # no assignee yet: every caseworker
    n = filed["zju_reviewer"]
    assert n.title_zh.startswith("新的申请") and "提出申请（经承担单位审核）" in n.title_zh
    assert "Application (reviewed by the host unit)" in n.title_en and n.link == f"/cases/{cid}/"
    no_internal_names(n, case)

    mark = last_id()
    zju = as_user("zju_reviewer")
    assert zju.post(f"/cases/{cid}/facts", {"facts": {"zj_termination_application": True}})[0] == 200
    assert zju.post(f"/cases/{cid}/transitions", step("forward_by_host_unit"))[0] == 200
    forwarded = told(mark, "stage_changed")
    # Leaving the host unit's step, by its reviewer: the applicant and the bureau's caseworkers (not the NSF
    # office: the case is not routed there; not the committee: not its step).
    assert set(forwarded) == {"chen", "zj_caseworker", "zj_caseworker2"}
    n = forwarded["chen"]
    assert "调查核实（受理、初步审核）" in n.title_zh and "承担单位审核通过并报送省科技厅" in n.body_zh
    assert "Investigation (acceptance and preliminary review)" in n.title_en
    no_internal_names(n, case)
    assert not told(mark, "decision_issued")


def test_experts_drawn_are_told_and_their_review_falling_due_too(world, as_user, today) -> None:
    cid = zj_filed(world, as_user, today)
    zj = zj_to_panel(world, as_user, today, cid)
    mark = last_id()
    code, panel = zj.post(f"/cases/{cid}/panel", {})
    assert code == 201
    members = {Expert.objects.get(pk=m["expert_id"]).user.username for m in panel["members"]}
    assigned = told(mark, "assigned")
    assert set(assigned) == members and len(members) == 5
    n = next(iter(assigned.values()))
    assert n.link == f"/expert/cases/{cid}/review/" and n.title_zh.startswith("请评审案件")
    no_internal_names(n, Case.objects.get(pk=cid))

    # One member has reviewed; then the stage's deadline falls due: the four still to review are told.
    first = Expert.objects.get(pk=panel["members"][0]["expert_id"])
    code, _ = Api(first.user).post(f"/cases/{cid}/reviews", {
        "scores": dict.fromkeys(CRITERIA, 8), "findings": FINDINGS, "opinion": "原始记录完整。"})
    assert code == 201, _
    Deadline.objects.create(case_id=cid, key="stage:expert_review", label_zh="专家评审期限",
                            label_en="Expert review period", start_date=dt.date(2025, 9, 1), days=20,
                            day_kind="natural", due_date=dt.date(2025, 9, 22))
    mark = last_id()
    assert case_svc.deadlines_sweep(on=dt.date(2025, 9, 19)) >= 1
    due = told(mark, "review_due")
    assert set(due) == members - {first.user.username}
    n = next(iter(due.values()))
    assert n.title_zh.startswith("评审即将到期") and "2025-09-22" in n.body_zh and "Expert review period" in n.body_en
    mark = last_id()
    case_svc.deadlines_sweep(on=dt.date(2025, 9, 19))  # a second sweep records, and tells, nothing new
    assert not told(mark, "review_due")
    case_svc.deadlines_sweep(on=dt.date(2025, 9, 23))
    overdue = told(mark, "review_due")
    assert set(overdue) == members - {first.user.username}
    assert next(iter(overdue.values())).title_zh.startswith("评审已逾期")


def test_a_refusal_tells_the_applicant_and_host_unit_its_decision(world, as_user, today) -> None:
    cid = zj_filed(world, as_user, today)
    zj = zj_to_panel(world, as_user, today, cid, dishonest=True)
    panel_review(world, zj, cid, findings=FINDINGS)
    assert zj.post(f"/cases/{cid}/transitions", {"action": "submit_panel_opinion"})[0] == 200
    committee_votes(world, cid, "zj", "not_exempt")
    mark = last_id()
    code, d = as_user("zj_committee").post(f"/cases/{cid}/decision", {
        "decision": "not_exempt", "reasons": "调查核实发现存在科研失信行为。"})
    assert code == 201, d
    case = Case.objects.get(pk=cid)
    decided = told(mark, "decision_issued")
    assert set(decided) == {"chen", "zju_reviewer"}
    n = decided["chen"]
    assert "不予认定容错免责" in n.body_zh and "浙科容〔2025〕" in n.body_zh and "refused" in n.body_en
    no_internal_names(n, case)
    # The stage change to the archive goes to the bureau; the applicant and host unit have the decision instead.
    assert set(told(mark, "stage_changed")) == {"zj_caseworker", "zj_caseworker2"}


def test_an_objection_tells_the_bureaus_caseworkers(world, as_user, today) -> None:
    cid = zj_filed(world, as_user, today)
    Case.objects.filter(pk=cid).update(stage="public_notice")
    Deadline.objects.create(case_id=cid, key="stage:public_notice", label_zh="公示期", label_en="Notice",
                            start_date=dt.date(2025, 9, 1), days=7, day_kind="natural",
                            due_date=dt.date(2025, 9, 8))
    Case.objects.filter(pk=cid).update(assignee=world.users["zj_caseworker"])  # once assigned: its assignee alone
    mark = last_id()
    code, obj = Api().post(f"/notices/{cid}/objections", {"name": "张三", "contact": "13800000000",
                                                          "text": "该项目原始记录存在补记。"})
    assert code == 201, obj
    received = told(mark, "objection_received")
    assert set(received) == {"zj_caseworker"}
    n = received["zj_caseworker"]
    assert "张三" not in n.body_zh and "13800000000" not in n.body_zh  # the objector stays on the case page
    no_internal_names(n, Case.objects.get(pk=cid))


def test_facts_requested_and_a_case_assigned_reach_the_role_and_the_person(world, as_user, today) -> None:
    cid = zj_filed(world, as_user, today)
    case = Case.objects.get(pk=cid)
    mark = last_id()
    for requested in hooks.ON_FACTS_REQUESTED:
        requested(case=case, role="host_unit_attestation", actor=world.users["zj_caseworker"],
                  facts=[Text(zh="已申请终止项目", en="The termination was applied for"), {"zh": "甲", "en": "A"}])
    asked = told(mark, "facts_requested")
    assert set(asked) == {"zju_reviewer"}
    n = asked["zju_reviewer"]
    assert "已申请终止项目、甲" in n.body_zh and "The termination was applied for; A" in n.body_en
    no_internal_names(n, case)
    mark = last_id()
    for assigned in hooks.ON_CASE_ASSIGNED:
        assigned(case=case, user=world.users["zj_caseworker"], role="caseworker", actor=world.users["admin"])
    got = told(mark, "assigned")
    assert set(got) == {"zj_caseworker"} and got["zj_caseworker"].link == f"/cases/{cid}/"
    assert "已分派给您办理" in got["zj_caseworker"].title_zh


def test_an_unknown_role_for_facts_is_refused_by_name(world, as_user, today) -> None:
    import pytest

    from rongcuo.common.errors import Invalid

    cid = zj_filed(world, as_user, today)
    with pytest.raises(Invalid) as info:
        for requested in hooks.ON_FACTS_REQUESTED:
            requested(case=Case.objects.get(pk=cid), role="janitor", facts=[], actor=None)
    assert info.value.field == "role" and "janitor" in info.value.zh and "applicant" in info.value.en
