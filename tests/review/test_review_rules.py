"""The review procedure's rules one by one: aggregation methods, conflicts of
interest, replaying a draw after the expert records changed, using a panel that declines left short, the
objection's contact details, the expert pool in the admin, and integrity records seen on a later case."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from rongcuo.audit.models import AuditEvent
from rongcuo.cases.models import Case
from rongcuo.cases.services import contact_valid
from rongcuo.common.packs import pack_of
from rongcuo.demo.world import user
from rongcuo.review import services as svc
from rongcuo.review.models import Expert, MemberStatus, Panel, Review
from rongcuo.review.services import panels as panel_services
from rongcuo.review.services import reviews as review_services
from tests.factories import CRITERIA, Api, committee_votes, panel_review

from .test_review_e2e import FINDINGS, _to_panel


def _seated(world, panel: dict) -> list[Api]:
    return [Api(Expert.objects.get(pk=m["expert_id"]).user) for m in panel["members"] if m["status"] == "invited"]


def _review(api: Api, cid: int) -> None:
    code, r = api.post(f"/cases/{cid}/reviews", {"scores": dict.fromkeys(CRITERIA, 8), "findings": FINDINGS,
                                                 "opinion": "原始记录完整。"})
    assert code == 201, r


# --- aggregation ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "finding_rule", "score", "findings"), [
    # innovativeness scored 2, 4, 9, 10: mean 6.25, median 6.5.
    # a: three of four say true; b: two against two (a tie); c: all four true; d: two true, two silent.
    ("mean", "majority", 6.25, {"a": True, "b": None, "c": True, "d": None}),
    ("median", "majority", 6.5, {"a": True, "b": None, "c": True, "d": None}),
    ("mean", "unanimous", 6.25, {"a": None, "b": None, "c": True, "d": None}),
])
def test_panel_aggregate_methods(world, as_user, today, monkeypatch, method, finding_rule, score, findings) -> None:
    cid, zj, _ = _to_panel(world, as_user, today)
    code, _ = zj.post(f"/cases/{cid}/panel", {})
    assert code == 201
    panel = Panel.objects.get(case_id=cid)
    members = list(panel.members.all())[:4]  # the fifth has not reviewed: it does not count
    votes = {"a": [True, True, True, False], "b": [True, True, False, False], "c": [True] * 4,
             "d": [True, True, None, None]}
    for i, (m, inno) in enumerate(zip(members, [2, 4, 9, 10], strict=True)):
        Review.objects.create(member=m, scores={**dict.fromkeys(CRITERIA, 5), "innovativeness": inno},
                              findings={k: v[i] for k, v in votes.items() if v[i] is not None}, opinion="x",
                              submitted_at=dt.datetime(2025, 9, 2, tzinfo=dt.UTC))
        m.status = MemberStatus.reviewed
        m.save()
    rules = pack_of(Case.objects.get(pk=cid)).procedure.panel  # type: ignore[union-attr]
    monkeypatch.setattr(review_services, "panel_rules", lambda case: rules.model_copy(
        update={"score_aggregation": method, "finding_aggregation": finding_rule}))
    out = svc.panel_aggregate(panel)
    assert out["reviews"] == 4
    assert out["scores"]["innovativeness"] == score and out["scores"]["necessity"] == 5
    assert out["findings"] == findings


# --- conflicts of interest ------------------------------------------------------------------------------

def test_declared_conflicts_and_co_investigators_are_excluded(world, as_user, today) -> None:
    cid, zj, _ = _to_panel(world, as_user, today)
    project = world.projects["zj_material"]
    by = {e.user.username: e for e in Expert.objects.select_related("user")}
    by["expert_he"].conflict_units.add(project.host_unit)          # declared conflict with the host unit
    by["expert_ma"].conflict_people.add(world.people["chen"])      # declared conflict with the applicant
    project.co_investigators.add(world.people["liu"])
    by["expert_sun"].person = world.people["liu"]                  # works on the project
    by["expert_sun"].save()
    case = Case.objects.get(pk=cid)
    assert "申报的利益冲突单位" in (svc.panel_conflicts(case, by["expert_he"]) or "")
    assert "申报的利益冲突人员" in (svc.panel_conflicts(case, by["expert_ma"]) or "")
    assert "本项目参与人员" in (svc.panel_conflicts(case, by["expert_sun"]) or "")
    assert svc.panel_conflicts(case, by["expert_li"]) is None

    code, panel = zj.post(f"/cases/{cid}/panel", {"override_reason": "回避后专家库不足五人"})
    assert code == 201
    excluded = {int(k) for k in panel["excluded"]}
    assert excluded == {by[n].pk for n in ("expert_he", "expert_ma", "expert_sun", "expert_wu")}
    assert not excluded & {m["expert_id"] for m in panel["members"]}
    assert not excluded & set(panel["candidates"])


# --- replay -----------------------------------------------------------------------------------------------

def test_panel_replays_from_what_the_draw_saw(world, as_user, today) -> None:
    cid, zj, _ = _to_panel(world, as_user, today)
    code, panel = zj.post(f"/cases/{cid}/panel", {"seed": "replay-test"})
    assert code == 201
    members = [m["expert_id"] for m in panel["members"]]
    assert {c["id"] for c in panel["drawn_from"]} == set(panel["candidates"])
    # The pool changes afterwards: every expert becomes a legal expert, moves unit and is unavailable.
    Expert.objects.update(expertise="legal", unit=world.orgs["sz_bureau"], available=False)
    stored = Panel.objects.get(case_id=cid)
    today_view = panel_services._pick(panel_services._order(stored.candidates, stored.seed), stored.size,
                           dict.fromkeys(stored.candidates, "legal"), ["technical", "financial"])[:stored.size]
    assert today_view != members  # replaying from today's records would not give the panel drawn
    code, again = zj.get(f"/cases/{cid}/panel")
    assert code == 200 and again["replayed_members"] == members
    assert {c["expertise"] for c in again["drawn_from"]} >= {"technical", "financial"}


# --- a panel that declines left short -------------------------------------------------------------------

def test_panel_left_short_by_declines_can_be_used_with_a_recorded_reason(world, as_user, today) -> None:
    cid, zj, _ = _to_panel(world, as_user, today)
    Expert.objects.filter(user__username__in=["expert_qian", "expert_lin"]).update(available=False)
    code, panel = zj.post(f"/cases/{cid}/panel", {})
    assert code == 201 and not panel["flagged"] and len(panel["members"]) == 5
    zhao = next(m for m in panel["members"] if m["expertise"] == "financial")
    code, panel = Api(Expert.objects.get(pk=zhao["expert_id"]).user).post(
        f"/cases/{cid}/panel/members/{zhao['id']}/decline", {"reason": "与承担单位有合作"})
    assert code == 200 and len(panel["rule_breaches"]) == 2 and not panel["override_covers"]
    code, err = zj.post(f"/cases/{cid}/transitions", {"action": "submit_panel_opinion"})
    assert code == 409 and "评审专家组已组成" in err["message"]["zh"]

    # Refused without a reason, and nothing changes.
    code, err = zj.post(f"/cases/{cid}/panel/override", {"reason": "  "})
    assert code == 400 and err["field"] == "override_reason" and err["message"]["zh"].startswith("请说明")
    assert Panel.objects.get(case_id=cid).override_reason == ""
    assert Api().post(f"/cases/{cid}/panel/override", {"reason": "x"})[0] == 401
    assert as_user("chen").post(f"/cases/{cid}/panel/override", {"reason": "x"})[0] == 403

    # On the case page: the control is there for the caseworker, and records the reason.
    page = zj.client.get(f"/cases/{cid}/").content.decode()
    assert 'data-action="override-panel"' in page
    r = zj.client.post(f"/cases/{cid}/panel/override/", {"override_reason": ""})
    assert r.status_code == 400 and "请说明仍使用该专家组的理由" in r.content.decode()
    r = zj.client.post(f"/cases/{cid}/panel/override/", {"override_reason": "财务专家回避，经分管领导同意由四人评审"})
    assert r.status_code == 302
    stored = Panel.objects.get(case_id=cid)
    assert stored.override_covers and stored.override_reason.startswith("财务专家回避")
    assert AuditEvent.objects.filter(action="panel.override", subject_id=str(cid)).count() == 1
    assert 'data-action="override-panel"' not in zj.client.get(f"/cases/{cid}/").content.decode()

    # A further decline adds a breach the reason does not cover: a new reason is needed.
    li = next(m for m in panel["members"] if m["status"] == "invited")
    code, panel = zj.post(f"/cases/{cid}/panel/members/{li['id']}/decline", {"reason": "出差"})
    assert code == 200 and not panel["override_covers"]
    code, panel = zj.post(f"/cases/{cid}/panel/override", {"reason": "仅余三人，经分管领导同意"})
    assert code == 200 and panel["override_covers"] and panel["override_reason"] == "仅余三人，经分管领导同意"

    for api in _seated(world, panel):
        _review(api, cid)
    assert zj.post(f"/cases/{cid}/panel/conclude")[0] == 200
    code, case = zj.post(f"/cases/{cid}/transitions", {"action": "submit_panel_opinion"})
    assert code == 200 and case["stage"] == "collective_decision"


def test_override_is_refused_for_a_panel_within_the_rules(world, as_user, today) -> None:
    cid, zj, _ = _to_panel(world, as_user, today)
    assert zj.post(f"/cases/{cid}/panel/override", {"reason": "x"})[0] == 404  # no panel yet
    assert zj.post(f"/cases/{cid}/panel", {})[0] == 201
    code, err = zj.post(f"/cases/{cid}/panel/override", {"reason": "x"})
    assert code == 409 and err["field"] == "override_reason"
    assert Panel.objects.get(case_id=cid).override_reason == ""


# --- objection contact details --------------------------------------------------------------------------

@pytest.mark.parametrize(("contact", "ok"), [
    ("13812345678", True), ("+86 138 1234 5678", True), ("0571-87654321", True), ("057187654321", True),
    ("(0571)87654321", True), ("010-62751234-801", True), ("chen@zju.edu.cn", True),
    ("138", False), ("12812345678", False), ("1381234567", False), ("87654321", False), ("0571-1234", False),
    ("x@y", False), ("张三", False), ("", False),
])
def test_objection_contact_must_be_a_phone_number_or_an_email(contact: str, ok: bool) -> None:
    assert contact_valid(contact) is ok


# --- the expert pool in the admin -----------------------------------------------------------------------

def test_admin_adds_an_expert_who_becomes_a_candidate(world, as_user, today) -> None:
    cid, zj, _ = _to_panel(world, as_user, today)
    account = user("expert_zheng")
    form = {"user": account.pk, "name": "郑会计师", "expertise": "financial", "fields": '["科研经费审计"]',
            "unit": world.orgs["cpa"].pk, "person": "", "available": "on"}
    outsider = Client()
    outsider.force_login(world.users["zj_caseworker"])
    r = outsider.post("/admin/review/expert/add/", form)
    assert r.status_code == 302 and r["Location"].startswith("/admin/login/")
    assert not Expert.objects.filter(user=account).exists()

    admin = Client()
    admin.force_login(world.users["admin"])
    assert admin.get("/admin/review/expert/").status_code == 200
    r = admin.post("/admin/review/expert/add/", {**form, "expertise": "astrology"})
    assert r.status_code == 200 and not Expert.objects.filter(user=account).exists()  # refused, shown on the form
    r = admin.post("/admin/review/expert/add/", form)
    assert r.status_code == 302, r.content.decode()[:2000]
    expert = Expert.objects.get(user=account)
    assert expert.fields == ["科研经费审计"] and expert.unit == world.orgs["cpa"] and expert.available
    event = AuditEvent.objects.get(action="expert.save", subject_id=str(expert.pk))
    assert event.actor_name == "admin" and event.after["expertise"] == "financial"

    code, panel = zj.post(f"/cases/{cid}/panel", {"size": 8})
    assert code == 201 and expert.pk in panel["candidates"]
    assert {"id": expert.pk, "name": "郑会计师", "expertise": "financial", "unit": world.orgs["cpa"].pk,
            "unit_name": world.orgs["cpa"].name_zh} in panel["drawn_from"]


# --- integrity records ----------------------------------------------------------------------------------

def test_malicious_application_is_shown_to_the_caseworker_of_a_later_case(world, as_user, today) -> None:
    cid, zj, committee = _to_panel(world, as_user, today, dishonest=True)
    assert zj.post(f"/cases/{cid}/facts", {"role": "investigation_finding",
                                           "facts": {"malicious_application": True}})[0] == 200
    panel_review(world, zj, cid, findings=FINDINGS)
    assert zj.post(f"/cases/{cid}/transitions", {"action": "submit_panel_opinion"})[0] == 200
    committee_votes(world, cid, "zj", "not_exempt")
    code, _ = committee.post(f"/cases/{cid}/decision", {
        "decision": "not_exempt",
        "reasons": "申请材料弄虚作假，属恶意申请容错免责。"})
    assert code == 201
    first = Case.objects.get(pk=cid)
    assert first.stage == "feedback_archive"

    # Later, the same person applies again (another case): the caseworker sees the record, the applicant not.
    today.set(dt.date(2025, 11, 3))
    code, later = as_user("chen").post("/cases", {"project_id": world.projects["zj_material"].pk,
                                                  "failure_explanation": "再次申请。"})
    assert code == 201
    code, records = zj.get(f"/cases/{later['id']}/integrity")
    assert code == 200 and len(records) == 1
    assert records[0]["person"] == "陈研究员" and records[0]["case_number"] == first.number
    assert records[0]["clause"] == "zj.consequence.malicious_application"
    page = zj.client.get(f"/cases/{later['id']}/").content.decode()
    assert 'aria-labelledby="integrity-head"' in page and first.number in page and "陈研究员" in page
    assert as_user("chen").get(f"/cases/{later['id']}/integrity")[0] == 403
    assert first.number not in as_user("chen").client.get(f"/cases/{later['id']}/").content.decode()
