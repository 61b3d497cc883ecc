"""End to end through the JSON API: a Zhejiang case to public notice, a Shenzhen case through its four stages,
with deadlines on the official 2025/2026 calendars and a provisional one crossing into 2027."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.utils import translation

from rongcuo.common.i18n import pick
from rongcuo.workdays.services import calendar_load_file
from tests.factories import committee_votes, file_case, panel_review, step

DILIGENT = {"followed_strategic_direction": True, "followed_decision_procedure": True, "sought_private_gain": False,
            "acted_proactively": True, "corrected_proactively": True}


def test_zhejiang_case_from_application_to_public_notice(world, as_user, today) -> None:
    today.set(dt.date(2025, 9, 1))
    chen, zju, zj, committee = (as_user("chen"), as_user("zju_reviewer"), as_user("zj_caseworker"),
                                as_user("zj_committee"))
    case = file_case(chen, world, "zj_material", "chen", "zhejiang-implementing-opinion", "2025-09-01")
    cid = case["id"]
    assert case["stage"] == "application" and case["outcome"] == "undetermined"
    assert case["pack_version"] and len(case["pack_hash"]) == 64

    # The host unit cannot forward before the listed materials are in: the refusal names what is missing.
    code, err = zju.post(f"/cases/{cid}/transitions", step("forward_by_host_unit"))
    assert code == 409 and err["code"] == "precondition_failed" and "容错免责认定申请书" in err["message"]["zh"]
    for kind in ["application_form", "situation_statement", "host_unit_certificate", "audit_report",
                 "performance_materials"]:
        code, ev = chen.upload(cid, kind, name=f"{kind}.pdf")
        assert code == 201 and len(ev["sha256"]) == 64
    code, case = zju.post(f"/cases/{cid}/facts", {"facts": {"zj_termination_application": True}})
    assert code == 200, case
    code, case = zju.post(f"/cases/{cid}/transitions", step("forward_by_host_unit"))
    assert code == 200 and case["stage"] == "investigation"

    # Investigation findings (provenance: the caseworker, in this stage).
    code, case = zj.post(f"/cases/{cid}/facts", {"role": "investigation_finding", "facts": {
        "zj_provincial_fiscal_funds": True, "zj_researcher_in_province": True,
        "major_risk_unreported": False, "violated_prohibitions": False,
        "research_misconduct": False, "research_dishonesty": False}})
    assert code == 200, case
    code, case = zj.post(f"/cases/{cid}/facts", {"role": "system_computed",
                                                 "facts": {"zj_basic_public_welfare_programme": False}})
    assert code == 200, case
    assert case["outcome"] == "undetermined"
    code, case = zj.post(f"/cases/{cid}/transitions", step("refer_to_panel"))
    assert code == 200 and case["stage"] == "expert_review"
    panel_review(world, zj, cid, findings={"original_records_prove_diligence": True, "failure_technical_route": True,
                                           "zj_covered_activity": True})
    code, case = zj.get(f"/cases/{cid}")
    # Only the committee can say whether the rules require liability anyway (二(三)4): still open.
    assert case["outcome"] == "undetermined"
    code, det = zj.get(f"/cases/{cid}/determination")
    assert det["needed"] == ["liability_required_by_law"]
    finding = next(f for f in case["facts"] if f["fact_id"] == "failure_technical_route" and f["current"])
    assert finding["established_by"] == "zj_caseworker" and finding["role"] == "expert_panel_finding"
    assert finding["stage"] == "expert_review" and "专家组评审结论（5 名专家" in finding["note"]
    with translation.override("en"):  # "中文 / English", as the pages pick one language of a stored note
        assert pick(finding["note"]) == "expert panel conclusion (5 experts, on the case documents)"
    with translation.override("zh-hans"):
        assert pick(finding["note"]).startswith("专家组评审结论") and "expert" not in pick(finding["note"])
    code, case = zj.post(f"/cases/{cid}/transitions", {"action": "submit_panel_opinion"})
    assert code == 200 and case["stage"] == "collective_decision"

    today.set(dt.date(2025, 9, 26))
    code, err = committee.post(f"/cases/{cid}/decision", {"decision": "exempt"})
    assert code == 409 and err["message"] == {  # the facts still needed by their labels, not their ids
        "zh": "引擎结论仍为待定，请先查明：规定明确应追究责任的其他情形",
        "en": "The determination is still undetermined; establish first: Another case where the rules require "
              "liability"}
    code, case = committee.post(f"/cases/{cid}/facts", {"facts": {"liability_required_by_law": False}})
    assert code == 200 and case["outcome"] == "exempt"
    # The decision transition cannot be taken around the committee's recorded decision.
    code, err = committee.post(f"/cases/{cid}/transitions", {"action": "decide_exempt", "reason": "x"})
    assert code == 400 and err["field"] == "action"
    committee_votes(world, cid, "zj", "exempt")
    code, d = committee.post(f"/cases/{cid}/decision", {"decision": "exempt",
                                                        "reasons": "符合二(二)2，专家组认定已勤勉尽责"})
    assert code == 201 and d["engine_outcome"] == "exempt" and not d["departs_from_engine"]
    code, case = committee.get(f"/cases/{cid}")
    assert case["stage"] == "public_notice"
    notice = next(d for d in case["deadlines"] if d["key"] == "stage:public_notice")
    # 7 natural days from 2025-09-26, the publication day not counted → 10-03, inside the National Day holiday
    # (10/1–8), so the period ends on the next working day, 2025-10-09 (Civil Code art. 203).
    assert notice["due_date"] == "2025-10-09" and notice["provisional"] is False
    code, det = zj.get(f"/cases/{cid}/determination")
    assert det["outcome"] == "exempt" and "zj.situation.technical_route" in det["decisive"]
    history = [h["action"] for h in case["history"]]
    assert history == ["forward_by_host_unit", "refer_to_panel", "submit_panel_opinion", "decide_exempt"]


def test_shenzhen_case_through_four_stages_with_working_day_deadlines(world, as_user, today) -> None:
    today.set(dt.date(2025, 9, 10))
    wang, sz, committee = as_user("wang"), as_user("sz_caseworker"), as_user("sz_committee")
    case = file_case(wang, world, "sz_chip", "wang", "shenzhen-tolerance-guideline", "2025-09-10")
    cid = case["id"]
    assert case["stage"] == "start"
    # The registry supplies the project's mode (milestone) as a system-computed fact.
    assert any(f["fact_id"] == "project_mode" and f["value"] == "milestone" for f in case["facts"])
    code, _ = wang.upload(cid, "application_form")
    assert code == 201
    # "Supplementary material submitted" answers a request for it: a new application cannot skip acceptance.
    code, err = wang.post(f"/cases/{cid}/transitions", {"action": "submit_supplement"})
    assert code == 409 and err["unmet"] == "awaiting_supplement", err  # named for programs
    assert "awaiting_supplement" not in err["message"]["en"]  # and by its meaning for people
    code, offered = wang.get(f"/cases/{cid}/transitions")
    assert next(t for t in offered if t["action"] == "submit_supplement")["unmet"]

    today.set(dt.date(2025, 9, 15))
    code, case = sz.post(f"/cases/{cid}/transitions", step("accept"))
    assert code == 200 and case["stage"] == "acceptance_investigation"
    overall = next(d for d in case["deadlines"] if d["key"] == "overall")
    # 30 working days after 2025-09-15 on the official 2025 calendar (9/28 and 10/11 worked, 10/1–8 off).
    assert overall["due_date"] == "2025-10-31" and overall["provisional"] is False

    # Supplementary material: the clock stops on 9/22 and resumes on 9/25 (9/23–9/25: 3 working days).
    today.set(dt.date(2025, 9, 22))
    code, case = sz.post(f"/cases/{cid}/transitions", {"action": "request_supplement", "reason": "缺原始记录"})
    assert code == 200 and case["stage"] == "start" and case["awaiting_supplement_since"] == "2025-09-22"
    assert next(d for d in case["deadlines"] if d["key"] == "overall")["state"] == "paused"
    today.set(dt.date(2025, 9, 25))
    code, case = wang.post(f"/cases/{cid}/transitions", {"action": "submit_supplement"})
    assert code == 200 and case["stage"] == "acceptance_investigation"
    overall = next(d for d in case["deadlines"] if d["key"] == "overall")
    assert overall["due_date"] == "2025-11-05"

    # Complex case: extended once by 15 working days, with a reason.
    code, ext = sz.post(f"/cases/{cid}/deadlines/extend", {"reason": "涉及多个承担单位，情况复杂"})
    assert code == 200 and ext["due_date"] == "2025-11-26" and ext["extension_days"] == 15
    code, err = sz.post(f"/cases/{cid}/deadlines/extend", {"reason": "再延"})
    assert code == 409

    code, case = sz.post(f"/cases/{cid}/facts", {"role": "investigation_finding", "facts": {
        "sz_municipal_fiscal_funds": True, "sz_covered_party": True, "failed_assessment": True, **DILIGENT}})
    assert code == 200 and case["outcome"] == "exempt"
    code, case = sz.post(f"/cases/{cid}/transitions", {"action": "submit_for_decision"})
    assert code == 200 and case["stage"] == "decision"
    today.set(dt.date(2025, 11, 20))
    code, err = committee.post(f"/cases/{cid}/transitions", {"action": "decide", "reason": "x"})
    assert code == 400 and err["field"] == "action"  # only through the recorded collective decision
    committee_votes(world, cid, "sz", "exempt")
    code, _ = committee.post(f"/cases/{cid}/decision", {"decision": "exempt",
                                                        "reasons": "里程碑式项目未通过考核"})
    assert code == 201
    code, case = committee.get(f"/cases/{cid}")
    assert case["stage"] == "feedback" and case["disposition"] == "decided"
    overall = next(d for d in case["deadlines"] if d["key"] == "overall")
    assert overall["status"] == "met"
    code, err = sz.post(f"/cases/{cid}/transitions", step("accept"))
    assert code == 409 and err["code"] == "conflict"


def test_deadline_crossing_into_2027_is_provisional_until_the_year_is_loaded(world, as_user, today, tmp_path) -> None:
    today.set(dt.date(2026, 12, 1))
    wang, sz = as_user("wang"), as_user("sz_caseworker")
    case = file_case(wang, world, "sz_chip", "wang", "shenzhen-tolerance-guideline", "2026-12-01")
    wang.upload(case["id"], "application_form")
    code, case = sz.post(f"/cases/{case['id']}/transitions", step("accept"))
    assert code == 200
    overall = next(d for d in case["deadlines"] if d["key"] == "overall")
    # December 2026 has 22 working days after 12/01; 8 more in 2027, 元旦 (1/1) skipped as the law fixes it:
    # Jan 4–8, 11–13 → 2027-01-13, provisional (the make-up working days of 2027 are not published).
    assert overall["due_date"] == "2027-01-13" and overall["provisional"] is True
    notice = tmp_path / "2027.csv"  # a made-up arrangement with a make-up Saturday on 1/9
    notice.write_text("date,is_workday,note\n2027-01-01,false,元旦\n2027-01-09,true,调休上班\n", encoding="utf-8")
    with __import__("django").test.TestCase.captureOnCommitCallbacks(execute=True):
        calendar_load_file(path=Path(notice), source="国务院办公厅 2027 年放假安排（测试）")
    code, deadlines = sz.get(f"/cases/{case['id']}/deadlines")
    overall = next(d for d in deadlines if d["key"] == "overall")
    assert overall["provisional"] is False and overall["due_date"] == "2027-01-12"  # recomputed: 1/9 counts
