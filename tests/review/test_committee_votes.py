"""The collective decision by named members: each member's own vote with reasons, the quorum and majority (the
platform default where the pack is silent, a pack's own rule where it has one), and every refusal in both
languages naming the field, with nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from rongcuo.audit.models import AuditEvent
from rongcuo.cases.models import Case
from rongcuo.demo.world import user
from rongcuo.engine.model import CommitteeRules, ParamRef
from rongcuo.registry.models import Role
from rongcuo.review import services as svc
from rongcuo.review.models import CommitteeVote, Decision
from tests.factories import Api, committee_votes, panel_review

from .test_review_e2e import FINDINGS, _to_panel


def _at_decision(world: Any, as_user: Any, today: Any) -> tuple[int, Api, Api]:
    cid, zj, committee = _to_panel(world, as_user, today)
    panel_review(world, zj, cid, findings=FINDINGS)
    assert zj.post(f"/cases/{cid}/transitions", {"action": "submit_panel_opinion"})[0] == 200
    assert committee.post(f"/cases/{cid}/facts", {"facts": {"liability_required_by_law": False}})[0] == 200
    return cid, zj, committee


def _stored(cid: int) -> tuple[Any, ...]:
    case = Case.objects.get(pk=cid)
    return (case.stage, case.version, Decision.objects.filter(for_case_id=cid).count(),
            list(CommitteeVote.objects.filter(for_case_id=cid).values_list("id", "vote", "replaced_at")),
            AuditEvent.objects.count())


def _bilingual(err: dict[str, Any], field: str) -> None:
    assert err["field"] == field and err["message"]["zh"] and err["message"]["en"], err
    assert err["message"]["zh"] != err["message"]["en"]


def test_members_vote_in_person_and_the_decision_follows_the_majority(world, as_user, today) -> None:
    cid, zj, committee = _at_decision(world, as_user, today)
    url = f"/cases/{cid}/decision"
    before = _stored(cid)

    # A vote by someone who is not a member of this bureau's committee: refused, naming the field.
    for outsider in ("zj_caseworker", "sz_committee", "chen"):
        code, err = as_user(outsider).post(f"/cases/{cid}/votes", {"vote": "exempt", "reasons": "同意"})
        assert code in (403, 404), (outsider, err)
        if code == 403:
            _bilingual(err, "committee_member")
    # A bad vote value or no reasons: refused, naming the field.
    code, err = committee.post(f"/cases/{cid}/votes", {"vote": "yes", "reasons": "同意"})
    assert code == 400
    _bilingual(err, "vote")
    code, err = committee.post(f"/cases/{cid}/votes", {"vote": "exempt", "reasons": "  "})
    assert code == 400
    _bilingual(err, "reasons")
    # No quorum: nobody voted yet.
    code, err = committee.post(url, {"decision": "exempt"})
    assert code == 409 and "法定人数" in err["message"]["zh"] and "quorum" in err["message"]["en"]
    _bilingual(err, "votes")
    assert _stored(cid) == before

    # One of three voted: still no quorum (two thirds of three is two).
    committee_votes(world, cid, "zj", ["exempt"])
    code, err = committee.post(url, {"decision": "exempt"})
    assert code == 409 and err["field"] == "votes" and "至少 2 名" in err["message"]["zh"]

    # The second member disagrees: quorum met, one for and one against is no majority of the votes cast.
    code, v = as_user("zj_committee2").post(f"/cases/{cid}/votes", {"vote": "not_exempt",
                                                                    "reasons": "原始记录存在补记，存疑。"})
    assert code == 201 and v["member"] == "孙丽华" and not v["replaced"]
    stored = _stored(cid)
    for decision in ("exempt", "not_exempt"):
        code, err = committee.post(url, {"decision": decision, "reasons": "x"})
        assert code == 409 and "多数" in err["message"]["zh"] and "do not carry" in err["message"]["en"]
        _bilingual(err, "votes")
    assert _stored(cid) == stored

    # A second vote by the same member replaces the first; the first stays in the record, marked replaced.
    code, _ = as_user("zj_committee2").post(f"/cases/{cid}/votes", {"vote": "exempt",
                                                                     "reasons": "经核对原件，补记不影响真实性。"})
    assert code == 201
    code, round_ = zj.get(f"/cases/{cid}/votes")
    assert code == 200 and round_["members"] == sorted(["钱志远", "孙丽华", "冯卫东"])
    assert [(x["member"], x["vote"], x["replaced"]) for x in round_["votes"]] == [
        ("钱志远", "exempt", False), ("孙丽华", "not_exempt", True), ("孙丽华", "exempt", False)]
    assert round_["quorum_met"] and round_["carries"] == "exempt"
    assert round_["rule"]["source"] == "platform_default" and round_["rule"]["quorum"] == "2/3"
    # Deciding against the votes is refused; deciding as they carry is recorded with every vote.
    code, err = committee.post(url, {"decision": "not_exempt", "reasons": "x", "clauses": ["zj.exclusion.misconduct"]})
    assert code == 409 and err["field"] == "votes"
    code, d = committee.post(url, {"decision": "exempt"})
    assert code == 201, d
    assert d["members"] == sorted(["钱志远", "孙丽华", "冯卫东"])
    assert [(x["member"], x["vote"], x["replaced"]) for x in d["votes"]] == [
        ("钱志远", "exempt", False), ("孙丽华", "not_exempt", True), ("孙丽华", "exempt", False)]
    assert d["votes"][1]["reasons"] == "原始记录存在补记，存疑。"
    assert d["rule"]["counts"] == {"exempt": 2, "not_exempt": 0, "abstain": 0} and d["rule"]["voted"] == 2
    # After the decision no vote is taken (the third member is too late), and nothing changes.
    after = _stored(cid)
    code, err = as_user("zj_committee3").post(f"/cases/{cid}/votes", {"vote": "abstain", "reasons": "弃权"})
    assert code == 409
    _bilingual(err, "vote")
    assert _stored(cid) == after
    assert AuditEvent.objects.filter(action="committee.vote", subject_id=str(cid)).count() == 3


def test_abstentions_count_for_the_quorum_not_the_majority(world, as_user, today) -> None:
    cid, _, committee = _at_decision(world, as_user, today)
    committee_votes(world, cid, "zj", ["exempt", "abstain", "abstain"])
    code, d = committee.post(f"/cases/{cid}/decision", {"decision": "exempt"})
    assert code == 201 and d["rule"]["voted"] == 3 and d["rule"]["counts"]["abstain"] == 2


def test_a_new_member_counts_for_the_quorum_and_an_administrator_does_not_vote(world, as_user, today) -> None:
    cid, _, committee = _at_decision(world, as_user, today)
    # A fourth member joins: the quorum of four is three (two thirds, rounded up).
    fourth = user("zj_committee4", (Role.committee, world.orgs["zj_dept"]))
    committee_votes(world, cid, "zj", ["exempt", "exempt"])
    code, err = committee.post(f"/cases/{cid}/decision", {"decision": "exempt"})
    assert code == 409 and "4 名成员中须至少 3 名" in err["message"]["zh"]
    code, _ = Api(world.users["admin"]).post(f"/cases/{cid}/votes", {"vote": "exempt", "reasons": "x"})
    assert code == 403  # an administrator is not a member and does not vote for one
    code, v = Api(fourth).post(f"/cases/{cid}/votes", {"vote": "exempt", "reasons": "同意。"})
    assert code == 201 and v["member"] == "zj_committee4"  # no registry person: the account's name
    code, d = Api(world.users["admin"]).post(f"/cases/{cid}/decision", {"decision": "exempt"})
    assert code == 201 and len(d["members"]) == 4


@pytest.mark.parametrize(("rules", "votes", "carries"), [
    # Unanimity of every member: one abstention blocks it.
    (CommitteeRules(quorum="1/1", majority="99/100", majority_of="members"), ["exempt", "exempt", "abstain"], None),
    # More than half of those voting (abstentions count against): 2 of 3 carries.
    (CommitteeRules(majority_of="voting"), ["exempt", "exempt", "abstain"], "exempt"),
    # More than half of those voting: 1 of 2 (one abstaining) does not.
    (CommitteeRules(majority_of="voting"), ["exempt", "abstain"], None),
    # The default: 1 for, 1 abstaining is a majority of the votes cast.
    (None, ["exempt", "abstain"], "exempt"),
])
def test_a_packs_own_rule_replaces_the_default(world, as_user, today, monkeypatch, rules, votes, carries) -> None:
    from rongcuo.common.packs import pack_of

    cid, _, _ = _at_decision(world, as_user, today)
    case = Case.objects.get(pk=cid)
    pack = pack_of(case)
    if rules is not None:
        monkeypatch.setattr(pack, "procedure", pack.procedure.model_copy(update={"committee": rules}))
    committee_votes(world, cid, "zj", votes)
    tally = svc.committee_tally(case, pack)
    assert tally.result == carries
    assert tally.rules.from_pack is (rules is not None)


def test_a_rule_read_from_a_pack_parameter(world, as_user, today, monkeypatch) -> None:
    from rongcuo.common.packs import pack_of
    from rongcuo.engine.model import Parameter

    cid, _, _ = _at_decision(world, as_user, today)
    case = Case.objects.get(pk=cid)
    pack = pack_of(case)
    monkeypatch.setattr(pack, "procedure", pack.procedure.model_copy(
        update={"committee": CommitteeRules(quorum=ParamRef(param="committee_quorum"))}))
    monkeypatch.setitem(pack.parameters, "committee_quorum", Parameter.model_validate({
        "id": "committee_quorum", "label": {"zh": "法定人数", "en": "Quorum"},
        "values": [{"from": "2020-01-01", "value": "1/1", "reference": "test"}]}))
    rules = svc.committee_rules(case, pack)
    assert rules.quorum == (1, 1) and rules.params == {"quorum": "committee_quorum"} and rules.from_pack


def test_committee_rules_in_a_pack_are_checked_when_it_loads() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="not a share"):
        CommitteeRules(quorum="3/2")
    with pytest.raises(ValidationError, match="not a share"):
        CommitteeRules(majority="half")
    assert CommitteeRules(quorum="2/3").quorum == "2/3"


def test_an_administrator_keeps_the_committee_in_the_admin(world, as_user, today) -> None:
    from django.test import Client

    from rongcuo.registry.models import Person, RoleGrant

    cid, _, _ = _at_decision(world, as_user, today)
    newcomer = user("zj_newcomer")
    admin = Client()
    admin.force_login(world.users["admin"])
    r = admin.post("/admin/registry/rolegrant/add/", {"user": newcomer.pk, "role": "committee",
                                                     "organisation": world.orgs["zj_dept"].pk})
    assert r.status_code == 302, r.content.decode()[:500]
    r = admin.post("/admin/registry/person/add/", {"name": "王新", "title": "处长", "unit": world.orgs["zj_dept"].pk,
                                                   "user": newcomer.pk})
    assert r.status_code == 302 and Person.objects.get(user=newcomer).name == "王新"
    assert "王新" in [m.name for m in svc.committee_roster(Case.objects.get(pk=cid))]
    grant = RoleGrant.objects.get(user=newcomer, role="committee")
    assert admin.post(f"/admin/registry/rolegrant/{grant.pk}/delete/", {"post": "yes"}).status_code == 302
    assert "王新" not in [m.name for m in svc.committee_roster(Case.objects.get(pk=cid))]
    assert [e.action for e in AuditEvent.objects.filter(action__in=["role_grant.save", "role_grant.delete",
                                                                    "person.save"]).order_by("id")] == [
        "role_grant.save", "person.save", "role_grant.delete"]
