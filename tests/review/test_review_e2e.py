"""End to end: a Zhejiang case from application to archive (panel with a conflict excluded, reviews, committee,
7-day notice with an objection raised and answered, letter, exemption mark, obligations), a refused case whose
letter carries its reasons, and a panel that breaks the rules flagged."""

from __future__ import annotations

import datetime as dt
import io

import docx
from django.test import Client
from typer.testing import CliRunner

from rongcuo.cli import app
from rongcuo.registry.models import ExemptionMark
from rongcuo.review.models import Expert, Letter
from tests.factories import CRITERIA, Api, committee_votes, panel_review, step

CLEAN = {"major_risk_unreported": False, "violated_prohibitions": False, "research_misconduct": False,
         "research_dishonesty": False}


def _to_panel(world, as_user, today, *, dishonest: bool = False) -> tuple[int, Api, Api]:
    today.set(dt.date(2025, 9, 1))
    chen, zju, zj = as_user("chen"), as_user("zju_reviewer"), as_user("zj_caseworker")
    code, case = chen.post("/cases", {"project_id": world.projects["zj_material"].pk, "relevant_date": "2025-09-01",
                                      "failure_explanation": "中试阶段技术路线选择失误，无法达到合同指标。"})
    assert code == 201, case
    cid = case["id"]
    for kind in ["application_form", "situation_statement", "host_unit_certificate", "audit_report",
                 "performance_materials"]:
        assert chen.upload(cid, kind, name=f"{kind}.pdf")[0] == 201
    assert zju.post(f"/cases/{cid}/facts", {"facts": {"zj_termination_application": True}})[0] == 200
    assert zju.post(f"/cases/{cid}/transitions", step("forward_by_host_unit"))[0] == 200
    facts = {"zj_provincial_fiscal_funds": True, "zj_researcher_in_province": True, **CLEAN}
    if dishonest:
        facts["research_dishonesty"] = True
    assert zj.post(f"/cases/{cid}/facts", {"role": "investigation_finding", "facts": facts})[0] == 200
    assert zj.post(f"/cases/{cid}/facts", {"role": "system_computed",
                                           "facts": {"zj_basic_public_welfare_programme": False}})[0] == 200
    assert zj.post(f"/cases/{cid}/transitions", step("refer_to_panel"))[0] == 200
    return cid, zj, as_user("zj_committee")


def test_zhejiang_case_from_application_to_archive(world, as_user, today) -> None:
    cid, zj, committee = _to_panel(world, as_user, today)
    wu = Expert.objects.get(user__username="expert_wu")

    # The panel: drawn at random, the expert from the applicant's own university excluded.
    code, panel = zj.post(f"/cases/{cid}/panel", {})
    assert code == 201 and len(panel["members"]) == 5 and not panel["flagged"]
    assert str(wu.pk) in panel["excluded"] and "同一单位" in panel["excluded"][str(wu.pk)]
    assert {m["expertise"] for m in panel["members"]} >= {"technical", "financial"}
    code, again = zj.get(f"/cases/{cid}/panel")
    assert again["replayed_members"] == [m["expert_id"] for m in panel["members"]]
    # An expert not on the panel does not see the case; a member does.
    outsider = next(e for e in Expert.objects.exclude(pk__in=[m["expert_id"] for m in panel["members"]])
                    .exclude(pk=wu.pk))
    assert Api(outsider.user).get(f"/cases/{cid}")[0] == 404
    first = panel["members"][0]
    member_user = Expert.objects.get(pk=first["expert_id"]).user
    assert Api(member_user).get(f"/cases/{cid}")[0] == 200
    # One member declines; the next candidate of the same expertise replaces them, on the record.
    code, panel = Api(member_user).post(f"/cases/{cid}/panel/members/{first['id']}/decline",
                                        {"reason": "近三年与申请人有合作"})
    assert code == 200
    replacement = next(m for m in panel["members"] if m["replaces"] == first["id"])
    seated = {m["expert_id"] for m in panel["members"]} - {replacement["expert_id"]}
    expertise = dict(Expert.objects.values_list("pk", "expertise"))
    free = [e for e in panel["order"] if e not in seated]
    same = [e for e in free if expertise[e] == first["expertise"]]
    assert replacement["expert_id"] == (same or free)[0]  # next in seed order, same expertise when one is left
    assert Api(member_user).get(f"/cases/{cid}")[0] == 404
    # Scores outside the scale are refused with the field named.
    sitting = [m for m in panel["members"] if m["status"] == "invited"]
    expert_api = Api(Expert.objects.get(pk=sitting[0]["expert_id"]).user)
    code, err = expert_api.post(f"/cases/{cid}/reviews", {"scores": dict.fromkeys(CRITERIA, 11), "opinion": "x"})
    assert code == 400 and err["field"].startswith("scores.")
    for m in sitting:
        code, _ = Api(Expert.objects.get(pk=m["expert_id"]).user).post(f"/cases/{cid}/reviews", {
            "scores": {c: 7 + (i % 3) for i, c in enumerate(CRITERIA)},
            "findings": {"original_records_prove_diligence": True, "failure_technical_route": True,
                         "zj_covered_activity": True}, "opinion": "原始记录完整，属探索性失败。"})
        assert code == 201
    code, panel = zj.post(f"/cases/{cid}/panel/conclude")
    assert code == 200 and panel["conclusion"]["reviews"] == 5
    assert panel["conclusion"]["scores"]["innovativeness"] == 7
    assert panel["conclusion"]["findings"]["failure_technical_route"] is True
    assert zj.post(f"/cases/{cid}/transitions", {"action": "submit_panel_opinion"})[0] == 200

    # Collective decision, with the engine's determination frozen beside it.
    assert committee.post(f"/cases/{cid}/facts", {"facts": {"liability_required_by_law": False}})[0] == 200
    today.set(dt.date(2025, 10, 13))
    committee_votes(world, cid, "zj", "exempt")
    code, d = committee.post(f"/cases/{cid}/decision", {"decision": "exempt"})
    assert code == 201 and d["clauses"] == ["zj.diligence.records_prove", "zj.situation.technical_route"]
    assert d["panel_findings"]["reviews"] == 5

    # Public notice: 7 days from 10/13 → 10/20; only the published fields are shown.
    anon = Api()
    code, notices = anon.get("/notices")
    assert code == 200 and len(notices) == 1
    n = notices[0]
    assert n["until"] == "2025-10-20" and set(n["published"]) == {"project_name", "host_unit", "applicant", "decision"}
    assert "中试阶段" not in str(n) and "1991" not in str(n)
    assert n["published"]["host_unit"] == "浙江某大学 / A Zhejiang University"  # each page shows its language's half
    assert n["bureau"] == "浙江省科学技术厅 / Zhejiang Department of Science and Technology"
    page = Client()
    page.cookies["django_language"] = "en"
    listing, detail = page.get("/notices/").content.decode(), page.get(f"/notices/{cid}/").content.decode()
    assert "A Zhejiang University" in listing and "浙江某大学" not in listing
    assert "Zhejiang Department of Science and Technology" in detail and "浙江省科学技术厅<" not in detail
    zh_listing = Client().get("/notices/").content.decode()
    assert "浙江某大学" in zh_listing and "A Zhejiang University" not in zh_listing
    code, err = anon.post(f"/notices/{cid}/objections", {"name": "张三", "contact": "", "text": "有异议"})
    assert code == 400 and err["field"] == "contact"
    code, obj = anon.post(f"/notices/{cid}/objections", {"name": "张三", "contact": "13800000000",
                                                         "text": "该项目原始记录存在补记。"})
    assert code == 201
    # Cannot archive while the objection is open (nor before the period ends).
    today.set(dt.date(2025, 10, 21))
    code, err = zj.post(f"/cases/{cid}/transitions", {"action": "close_notice"})
    assert code == 409 and "异议" in err["message"]["zh"]
    code, err = anon.post(f"/notices/{cid}/objections", {"name": "李四", "contact": "x@y.cn", "text": "迟到的异议"})
    assert code == 404  # the notice period is over
    code, answered = zj.post(f"/cases/{cid}/objections/{obj['id']}/answer",
                             {"answer": "经核实，补记内容为仪器自动导出数据的整理，不影响原始记录真实性，异议不成立。",
                              "sustained": False})
    assert code == 200 and answered["status"] == "answered"
    code, case = zj.post(f"/cases/{cid}/transitions", {"action": "close_notice"})
    assert code == 200 and case["stage"] == "feedback_archive" and case["disposition"] == "decided"

    # Archive: exemption mark on the project, obligations, the letter with its hash.
    mark = ExemptionMark.objects.get(case_id=cid)
    code, project = zj.get(f"/registry/projects/{world.projects['zj_material'].pk}")
    assert project["exemption_marks"][0]["case_number"] == case["number"] == mark.case.number
    code, obligations = zj.get(f"/cases/{cid}/obligations")
    assert {o["key"] for o in obligations} == {"return_surplus_funds", "failure_analysis_report",
                                               "scientific_value_assessment"}
    assert all(o["due_date"] is None for o in obligations)  # Zhejiang sets no periods (see the pack notes)
    code, letters = zj.get(f"/cases/{cid}/letters")
    assert code == 200 and len(letters) == 1
    assert letters[0]["doc_number"].startswith("浙科容〔2025〕")  # the bureau's 机关代字, from the registry
    r = zj.client.get(letters[0]["docx"])
    body = b"".join(r.streaming_content)
    import hashlib

    assert hashlib.sha256(body).hexdigest() == letters[0]["docx_sha256"] == Letter.objects.get().docx_sha256
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(body)).paragraphs)
    assert "因技术路线选择失误导致难以完成预定目标" in text and "2025年10月21日" in text
    # the remedy section names the registry's review body; the body of the letter names no login and no pack id
    assert "可自收到本通知书之日起60日内向浙江省人民政府申请行政复议（《中华人民共和国行政复议法》第二十条第一款）" \
        in text
    body_text, _, verification = text.partition("文书核验")
    assert not [u for u in ("zj_caseworker", "zj_committee", "zju_reviewer", "chen", "zhejiang-implementing-opinion")
                if u in body_text]
    assert f"正文校验码（SHA-256）：{Letter.objects.get().text_sha256}" in verification

    # The frozen decision replays to the same outcome.
    res = CliRunner().invoke(app, ["replay", case["number"]])
    assert res.exit_code == 0 and "same outcome: exempt" in res.stdout


def test_refused_case_letter_carries_reasons_and_clauses(world, as_user, today) -> None:
    cid, zj, committee = _to_panel(world, as_user, today, dishonest=True)
    panel_review(world, zj, cid, findings={"original_records_prove_diligence": True, "failure_technical_route": True,
                                           "zj_covered_activity": True})
    assert zj.post(f"/cases/{cid}/transitions", {"action": "submit_panel_opinion"})[0] == 200
    committee_votes(world, cid, "zj", "not_exempt")
    code, err = committee.post(f"/cases/{cid}/decision", {"decision": "not_exempt"})
    assert code == 400 and err["field"] == "reasons"
    code, d = committee.post(f"/cases/{cid}/decision", {
        "decision": "not_exempt",
        "reasons": "调查核实发现存在科研失信行为，依据实施意见二(三)3不适用容错免责。"})
    assert code == 201 and d["clauses"] == ["zj.exclusion.misconduct"]
    code, case = zj.get(f"/cases/{cid}")
    assert case["stage"] == "feedback_archive" and case["outcome"] == "not_exempt"
    assert not ExemptionMark.objects.filter(case_id=cid).exists()
    letter = Letter.objects.get(case_id=cid)
    text = "\n".join(p.text for p in docx.Document(letter.docx.open("rb")).paragraphs)
    assert "调查核实发现存在科研失信行为" in text and "科研失信行为" in text and "排除了" in text


def test_committee_departing_from_engine_needs_reasons(world, as_user, today) -> None:
    cid, zj, committee = _to_panel(world, as_user, today, dishonest=True)
    panel_review(world, zj, cid, findings={"original_records_prove_diligence": True, "failure_technical_route": True,
                                           "zj_covered_activity": True})
    zj.post(f"/cases/{cid}/transitions", {"action": "submit_panel_opinion"})
    committee_votes(world, cid, "zj", "exempt")
    code, err = committee.post(f"/cases/{cid}/decision", {"decision": "exempt"})
    assert code == 400 and err["field"] == "reasons"


def test_four_member_panel_without_financial_expert_is_flagged(world, as_user, today) -> None:
    cid, zj, _ = _to_panel(world, as_user, today)
    Expert.objects.filter(expertise="financial").update(available=False)
    code, err = zj.post(f"/cases/{cid}/panel", {"size": 4})
    assert code == 409 and err["field"] == "override_reason"
    assert "少于 5 人" in err["message"]["zh"] and "缺少财务专家" in err["message"]["zh"]
    code, panel = zj.post(f"/cases/{cid}/panel", {"size": 4, "override_reason": "财务专家均回避，经分管领导同意"})
    assert code == 201 and panel["flagged"] and len(panel["members"]) == 4
    assert len(panel["rule_breaches"]) == 2 and panel["override_reason"].startswith("财务专家均回避")
    code, again = zj.get(f"/cases/{cid}/panel")
    assert again["flagged"] and again["replayed_members"] == [m["expert_id"] for m in panel["members"]]


FINDINGS = {"original_records_prove_diligence": True, "failure_technical_route": True, "zj_covered_activity": True}


def test_sustained_objection_sends_the_case_back_and_a_second_round_decides_it(world, as_user, today) -> None:
    from rongcuo.audit.models import AuditEvent
    from rongcuo.cases.models import Deadline
    from rongcuo.review.models import Decision, Panel

    cid, zj, committee = _to_panel(world, as_user, today)
    first = panel_review(world, zj, cid, findings=FINDINGS)
    assert zj.post(f"/cases/{cid}/transitions", {"action": "submit_panel_opinion"})[0] == 200
    assert committee.post(f"/cases/{cid}/facts", {"facts": {"liability_required_by_law": False}})[0] == 200
    today.set(dt.date(2025, 10, 13))
    committee_votes(world, cid, "zj", "exempt")
    code, _ = committee.post(f"/cases/{cid}/decision", {"decision": "exempt"})
    assert code == 201

    # The objection form takes a phone number or an e-mail address, and names the field otherwise.
    anon = Api()
    for bad in ("138", "x@y", "电话"):
        code, err = anon.post(f"/notices/{cid}/objections", {"name": "张三", "contact": bad, "text": "有异议"},
                              REMOTE_ADDR=f"10.0.0.{len(bad)}")
        assert code == 400 and err["field"] == "contact", (bad, err)
        assert err["message"]["zh"].startswith("联系方式应为手机号码") and "mobile number" in err["message"]["en"]
    code, obj = anon.post(f"/notices/{cid}/objections", {"name": "张三", "contact": "0571-87654321",
                                                         "text": "该项目原始记录存在事后补记。"})
    assert code == 201
    code, _ = zj.post(f"/cases/{cid}/objections/{obj['id']}/answer",
                      {"answer": "经核实，部分原始记录确系事后补记，异议成立，重新调查核实。", "sustained": True})
    assert code == 200

    # A sustained objection stops the exemption: closing the notice is refused, naming the precondition.
    today.set(dt.date(2025, 10, 21))
    code, err = zj.post(f"/cases/{cid}/transitions", {"action": "close_notice"})
    assert code == 409 and err["code"] == "precondition_failed" and err["field"] == "action"
    assert "经核实成立的异议" in err["message"]["zh"] and err["unmet"] == "no_sustained_objections"
    assert not ExemptionMark.objects.filter(case_id=cid).exists() and not Letter.objects.filter(case_id=cid).exists()
    # While the decision stands, no second panel can be drawn.
    code, err = zj.post(f"/cases/{cid}/panel", {})
    assert code == 409 and err["field"] == "case"

    # Back to the investigation: the decision is superseded, kept with its vote and frozen determination.
    code, case = zj.post(f"/cases/{cid}/transitions", {"action": "objection_reinvestigate",
                                                       "reason": "异议成立：原始记录存在补记，重新调查核实"})
    assert code == 200 and case["stage"] == "investigation" and case["disposition"] == "open"
    old = Decision.objects.get(for_case_id=cid)
    assert old.case_id is None and old.superseded_at is not None and "异议成立" in old.superseded_reason
    assert [(v.member_name, v.vote) for v in old.vote_records.all()] == [
        ("钱志远", "exempt"), ("孙丽华", "exempt"), ("冯卫东", "exempt")] and old.determination["outcome"] == "exempt"
    assert AuditEvent.objects.filter(action="decision.supersede", subject_id=str(cid)).count() == 1
    assert zj.get(f"/cases/{cid}/decision")[0] == 404

    # Second round: a new panel is drawn (the first one superseded, its reviews kept), a new decision taken.
    assert zj.post(f"/cases/{cid}/transitions", step("refer_to_panel"))[0] == 200
    second = panel_review(world, zj, cid, findings=FINDINGS)
    assert second["seed"] != first["seed"]
    old_panel = Panel.objects.get(for_case_id=cid, case__isnull=True)
    assert old_panel.seed == first["seed"] and old_panel.superseded_at is not None
    assert old_panel.members.filter(status="reviewed").count() == 5 and old_panel.conclusion["reviews"] == 5
    assert zj.get(f"/cases/{cid}/panel")[1]["seed"] == second["seed"]
    assert zj.post(f"/cases/{cid}/transitions", {"action": "submit_panel_opinion"})[0] == 200
    today.set(dt.date(2025, 11, 3))
    committee_votes(world, cid, "zj", "exempt")
    code, d2 = committee.post(f"/cases/{cid}/decision", {
        "decision": "exempt",
        "reasons": "重新调查核实：补记不影响原始记录的真实性，仍属勤勉尽责。"})
    assert code == 201 and d2["decided_on"] == "2025-11-03"

    # A new notice with its own full period; the first one stays closed on the record.
    notices = Deadline.objects.filter(case_id=cid, key="stage:public_notice").order_by("id")
    assert len(notices) == 2 and notices[0].status != "open" and notices[0].closed_on == dt.date(2025, 10, 21)
    assert notices[1].status == "open" and notices[1].start_date == dt.date(2025, 11, 3)
    code, listed = anon.get("/notices")
    assert [n["case_id"] for n in listed] == [cid] and listed[0]["from"] == "2025-11-03"
    code, err = zj.post(f"/cases/{cid}/transitions", {"action": "close_notice"})
    assert code == 409  # the new period is not over
    today.set(notices[1].due_date + dt.timedelta(days=1))
    # The objection sustained during the first notice was dealt with by the reinvestigation: it does not block.
    code, case = zj.post(f"/cases/{cid}/transitions", {"action": "close_notice"})
    assert code == 200 and case["stage"] == "feedback_archive" and case["disposition"] == "decided"
    assert ExemptionMark.objects.filter(case_id=cid).count() == 1 and Letter.objects.filter(case_id=cid).count() == 1

    # The API and the case page show the current decision, and the superseded one as such.
    code, current = zj.get(f"/cases/{cid}/decision")
    assert current["decided_on"] == "2025-11-03" and current["reasons"].startswith("重新调查核实")
    assert [x["decided_on"] for x in current["superseded"]] == ["2025-10-13"]
    page = zj.client.get(f"/cases/{cid}/").content.decode()
    assert "重新调查核实：补记不影响" in page and 'aria-labelledby="superseded-head"' in page
    # The timeline tells the supersession in words, not by its audit id.
    assert "原决定因重新调查被取代" in page and ">decision.supersede<" not in page
    res = CliRunner().invoke(app, ["replay", case["number"]])
    assert res.exit_code == 0 and "same outcome: exempt" in res.stdout
