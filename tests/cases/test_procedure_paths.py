"""The procedure's other paths through the JSON API: rejection as inadmissible and withdrawal (with their
deadlines and audit events), routing to the NSF office, the finding-to-evidence link, the pinned pack hash,
extensions counted in their own kind of day, and the messages of refusals and of malformed input."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from rongcuo.cases.models import Case, CaseFact, Deadline, DeadlineStatus
from rongcuo.common import packs as case_packs
from rongcuo.engine.pack import default_root
from tests.factories import file_case, step

ZJ, SZ = "zhejiang-implementing-opinion", "shenzhen-tolerance-guideline"
ZJ_MATERIALS = ["application_form", "situation_statement", "host_unit_certificate", "audit_report",
                "performance_materials"]



def _events(api, cid: int) -> list[dict]:
    code, events = api.get(f"/cases/{cid}/audit")
    assert code == 200, events
    return events


def _zj_forwarded(world, as_user) -> int:
    chen, zju = as_user("chen"), as_user("zju_reviewer")
    cid = file_case(chen, world, "zj_material", "chen", ZJ, "2025-09-01")["id"]
    for kind in ZJ_MATERIALS:
        assert chen.upload(cid, kind, name=f"{kind}.pdf")[0] == 201
    code, case = zju.post(f"/cases/{cid}/transitions", step("forward_by_host_unit"))
    assert code == 200 and case["stage"] == "investigation", case
    return cid


# --- 1. rejection as inadmissible of an application filed after the project's acceptance ----------------

def test_zhejiang_application_after_acceptance_is_refused_forwarding_and_rejected(world, as_user, today) -> None:
    project = world.projects["zj_material"]
    project.acceptance_date = dt.date(2025, 8, 29)
    project.save()
    today.set(dt.date(2025, 9, 1))
    chen, zju, zj = as_user("chen"), as_user("zju_reviewer"), as_user("zj_caseworker")
    cid = file_case(chen, world, "zj_material", "chen", ZJ, "2025-09-01")["id"]
    for kind in ZJ_MATERIALS:
        assert chen.upload(cid, kind, name=f"{kind}.pdf")[0] == 201
    _, before = zj.get(f"/cases/{cid}")

    # The host unit may not forward it: the refusal names the precondition, each half in its own language.
    code, err = zju.post(f"/cases/{cid}/transitions", step("forward_by_host_unit"))
    assert code == 409 and err["code"] == "precondition_failed" and err["field"] == "action"
    assert err["unmet"] == "filed_before_project_acceptance"
    assert err["message"] == {
        "zh": "未满足办理条件：申请在项目验收前提出",
        "en": "Requirement not met: filed before the project's acceptance"}
    _, after = zj.get(f"/cases/{cid}")
    assert (after["stage"], after["version"]) == ("application", before["version"])
    offered = {t["action"]: t for t in after["transitions"]}
    assert offered["reject_inadmissible"]["possible"] and offered["reject_inadmissible"]["reason_required"]

    # Rejecting is the receiving authority's, not the host unit's; and it needs a reason.
    code, err = zju.post(f"/cases/{cid}/transitions", {"action": "reject_inadmissible", "reason": "验收后提出"})
    assert code == 403 and err["field"] == "role"
    code, err = zj.post(f"/cases/{cid}/transitions", {"action": "reject_inadmissible", "reason": "  "})
    assert code == 400 and err["field"] == "reason"
    assert zj.get(f"/cases/{cid}")[1]["version"] == before["version"]

    reason = "项目已于2025-08-29验收，验收后提出的申请不予受理（三（一））"
    code, case = zj.post(f"/cases/{cid}/transitions", {"action": "reject_inadmissible", "reason": reason})
    assert code == 200, case
    assert case["stage"] == "feedback_archive" and case["disposition"] == "inadmissible"
    assert case["transitions"] == []
    assert case["history"][-1]["action"] == "reject_inadmissible" and case["history"][-1]["reason"] == reason
    # This pack runs no clock before acceptance; whatever runs on the case is closed now.
    assert not Deadline.objects.filter(case_id=cid, status=DeadlineStatus.open).exists()
    event = _events(zj, cid)[-1]
    assert event["action"] == "case.transition.reject_inadmissible" and event["actor_name"] == "zj_caseworker"
    assert event["before"]["stage"] == "application" and event["before"]["disposition"] == "open"
    assert event["after"]["disposition"] == "inadmissible" and event["after"]["reason"] == reason
    code, err = zj.post(f"/cases/{cid}/transitions", {"action": "reject_inadmissible", "reason": reason})
    assert code == 409 and err["code"] == "conflict"


# --- 3. withdrawal and rejection, with the deadlines they close --------------------------------------

def test_shenzhen_withdrawal_closes_the_running_deadline(world, as_user, today) -> None:
    today.set(dt.date(2025, 9, 15))
    wang, sz = as_user("wang"), as_user("sz_caseworker")
    cid = file_case(wang, world, "sz_chip", "wang", SZ, "2025-09-15")["id"]
    wang.upload(cid, "application_form")
    code, case = sz.post(f"/cases/{cid}/transitions", step("accept"))
    assert code == 200 and next(d for d in case["deadlines"] if d["key"] == "overall")["status"] == "open"
    # Only the applicant withdraws.
    code, err = sz.post(f"/cases/{cid}/transitions", {"action": "withdraw"})
    assert code == 403
    today.set(dt.date(2025, 9, 19))
    code, case = wang.post(f"/cases/{cid}/transitions", {"action": "withdraw"})
    assert code == 200 and case["stage"] == "feedback" and case["disposition"] == "withdrawn"
    overall = next(d for d in case["deadlines"] if d["key"] == "overall")
    assert overall["status"] == "met" and overall["state"] == "closed"
    assert Deadline.objects.get(case_id=cid, key="overall").closed_on == dt.date(2025, 9, 19)
    event = _events(sz, cid)[-1]
    assert event["action"] == "case.transition.withdraw" and event["actor_name"] == "wang"
    assert event["before"]["disposition"] == "open" and event["after"]["disposition"] == "withdrawn"
    assert event["after"]["role"] == "applicant"
    # A closed case takes no more findings.
    code, err = sz.post(f"/cases/{cid}/facts", {"role": "investigation_finding", "facts": {"failed_assessment": True}})
    assert code == 409 and err["field"] == "facts"


def test_shenzhen_rejection_while_waiting_for_material_closes_the_paused_deadline(world, as_user, today) -> None:
    today.set(dt.date(2025, 9, 15))
    wang, sz = as_user("wang"), as_user("sz_caseworker")
    cid = file_case(wang, world, "sz_chip", "wang", SZ, "2025-09-15")["id"]
    wang.upload(cid, "application_form")
    assert sz.post(f"/cases/{cid}/transitions", step("accept"))[0] == 200
    today.set(dt.date(2025, 9, 22))
    code, case = sz.post(f"/cases/{cid}/transitions", {"action": "request_supplement", "reason": "缺原始记录"})
    assert code == 200 and next(d for d in case["deadlines"] if d["key"] == "overall")["state"] == "paused"
    today.set(dt.date(2025, 10, 20))
    reason = "逾期未补正原始记录，不予受理"
    code, case = sz.post(f"/cases/{cid}/transitions", {"action": "reject_inadmissible", "reason": reason})
    assert code == 200 and case["stage"] == "feedback" and case["disposition"] == "inadmissible"
    d = Deadline.objects.get(case_id=cid, key="overall")
    assert d.status == DeadlineStatus.met and d.closed_on == dt.date(2025, 10, 20)
    event = _events(sz, cid)[-1]
    assert event["action"] == "case.transition.reject_inadmissible"
    assert event["after"]["disposition"] == "inadmissible" and event["after"]["reason"] == reason


def test_zhejiang_withdrawal_during_investigation(world, as_user, today) -> None:
    today.set(dt.date(2025, 9, 1))
    cid = _zj_forwarded(world, as_user)
    chen, zj = as_user("chen"), as_user("zj_caseworker")
    code, case = chen.post(f"/cases/{cid}/transitions", {"action": "withdraw"})
    assert code == 200 and case["stage"] == "feedback_archive" and case["disposition"] == "withdrawn"
    assert not Deadline.objects.filter(case_id=cid, status=DeadlineStatus.open).exists()
    assert _events(zj, cid)[-1]["after"]["disposition"] == "withdrawn"


# --- 2. routing to the NSF office -----------------------------------------------------------------

def test_basic_public_welfare_case_is_routed_to_the_nsf_office(world, as_user, today) -> None:
    today.set(dt.date(2025, 9, 1))
    zj, nsf = as_user("zj_caseworker"), as_user("zj_nsf")
    routed = _zj_forwarded(world, as_user)
    other = _zj_forwarded(world, as_user)
    assert nsf.get(f"/cases/{routed}")[0] == 404  # not routed yet

    code, case = zj.post(f"/cases/{routed}/facts", {"role": "system_computed",
                                                    "facts": {"zj_basic_public_welfare_programme": True}})
    assert code == 200 and case["routed_to"].startswith("浙江省自然科学基金委员会办公室"), case["routed_to"]
    code, det = zj.get(f"/cases/{routed}/determination")
    assert det["routed_to"][0]["zh"] == "浙江省自然科学基金委员会办公室"

    # The office reads the routed case and acts on it.
    code, case = nsf.get(f"/cases/{routed}")
    assert code == 200 and case["roles"] == ["nsf_office"]
    assert [c["id"] for c in nsf.get("/cases")[1]] == [routed]
    code, case = nsf.post(f"/cases/{routed}/facts", {"role": "investigation_finding",
                                                     "facts": {"zj_provincial_fiscal_funds": True}})
    assert code == 200, case
    fact = next(f for f in case["facts"] if f["fact_id"] == "zj_provincial_fiscal_funds" and f["current"])
    assert fact["established_by"] == "zj_nsf" and fact["role"] == "investigation_finding"
    code, case = nsf.post(f"/cases/{routed}/transitions", step("refer_to_panel"))
    assert code == 200 and case["stage"] == "expert_review"
    assert case["history"][-1]["actor"] == "zj_nsf" and case["history"][-1]["role"] == "nsf_office"

    # A case not routed to the office does not exist for it.
    for code, body in (nsf.get(f"/cases/{other}"),
                       nsf.post(f"/cases/{other}/transitions", step("refer_to_panel")),
                       nsf.post(f"/cases/{other}/facts", {"facts": {"zj_provincial_fiscal_funds": True}})):
        assert code == 404 and body["code"] == "not_found"
    assert Case.objects.get(pk=other).stage == "investigation"
    assert not CaseFact.objects.filter(case_id=other, fact_id="zj_provincial_fiscal_funds").exists()

    # Routing follows the finding: retracted, the office loses the case.
    code, case = zj.post(f"/cases/{routed}/facts", {"role": "system_computed",
                                                    "facts": {"zj_basic_public_welfare_programme": False}})
    assert code == 200 and case["routed_to"] == ""
    assert nsf.get(f"/cases/{routed}")[0] == 404


# --- 6. findings carry their evidence ------------------------------------------------------------

def test_findings_and_the_determination_carry_the_evidence(world, as_user, today) -> None:
    today.set(dt.date(2025, 9, 15))
    wang, sz = as_user("wang"), as_user("sz_caseworker")
    cid = file_case(wang, world, "sz_chip", "wang", SZ, "2025-09-15")["id"]
    other = file_case(wang, world, "sz_chip", "wang", SZ, "2025-09-15")["id"]
    code, ev = wang.upload(cid, "original_research_records", name="records.pdf")
    assert code == 201
    _, foreign = wang.upload(other, "original_research_records", name="other.pdf")
    version = sz.get(f"/cases/{cid}")[1]["version"]

    code, err = sz.post(f"/cases/{cid}/facts", {"role": "investigation_finding", "facts": {"failed_assessment": True},
                                                "evidence_ids": [foreign["id"]]})
    assert code == 400 and err["field"] == "evidence_ids"
    assert sz.get(f"/cases/{cid}")[1]["version"] == version
    assert not CaseFact.objects.filter(case_id=cid, fact_id="failed_assessment").exists()

    code, case = sz.post(f"/cases/{cid}/facts", {"role": "investigation_finding", "facts": {"failed_assessment": True},
                                                 "evidence_ids": [ev["id"]], "note": "考核结论见原始记录"})
    assert code == 200, case
    fact = next(f for f in case["facts"] if f["fact_id"] == "failed_assessment" and f["current"])
    assert fact["evidence"] == [ev["sha256"]]
    code, det = sz.get(f"/cases/{cid}/determination")
    assert det["facts"]["failed_assessment"] == {
        "value": True, "by": "sz_caseworker", "role": "investigation_finding", "stage": "start",
        "at": det["facts"]["failed_assessment"]["at"], "evidence": [f"{ev['sha256'][:12]}:records.pdf"]}
    event = _events(sz, cid)[-1]
    assert event["action"] == "case.facts" and event["after"]["evidence"] == [ev["sha256"]]


# --- 4. the pinned pack hash ------------------------------------------------------------------------

@pytest.fixture
def packs_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the packs, in force for the test, that the test may edit in place."""
    root = tmp_path / "packs"
    shutil.copytree(default_root(), root)
    monkeypatch.setenv("RONGCUO_PACKS", str(root))
    case_packs.registry.cache_clear()
    yield root
    case_packs.registry.cache_clear()  # the environment is restored after this; the next call reloads


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    case_packs.registry.cache_clear()


def test_a_pack_edited_in_place_is_refused_for_its_open_cases(world, as_user, today, packs_copy) -> None:
    today.set(dt.date(2025, 9, 1))
    chen, zju, zj = as_user("chen"), as_user("zju_reviewer"), as_user("zj_caseworker")
    cid = file_case(chen, world, "zj_material", "chen", ZJ, "2025-09-01")["id"]
    for kind in ZJ_MATERIALS:
        chen.upload(cid, kind, name=f"{kind}.pdf")
    pinned = Case.objects.get(pk=cid).pack_hash
    procedure = packs_copy / ZJ / "procedure.yaml"
    original = procedure.read_text(encoding="utf-8")
    _edit(procedure, "en: Applicant withdraws}", "en: The applicant withdraws}")
    loaded = case_packs.registry().get(ZJ).content_hash
    assert loaded != pinned

    # Still readable, with the reason every step is closed.
    code, before = zj.get(f"/cases/{cid}")
    assert code == 200 and before["pack_hash"] == pinned
    forward = next(t for t in zju.get(f"/cases/{cid}/transitions")[1] if t["action"] == "forward_by_host_unit")
    assert not forward["possible"] and pinned in forward["unmet"] and loaded in forward["unmet"]
    page = zj.client.get(f"/cases/{cid}/")
    assert page.status_code == 200 and "被原地修改" in page.content.decode()
    events = len(_events(zj, cid))

    code, err = zju.post(f"/cases/{cid}/transitions", step("forward_by_host_unit"))
    assert code == 409 and err["code"] == "pack_changed" and err["field"] == "pack_hash"
    ref = f"{ZJ}@{case_packs.registry().get(ZJ).version}"
    for text in err["message"].values():
        assert ref in text and pinned in text and loaded in text
    assert err["message"]["zh"].startswith(f"政策包 {ref} 在本案立案后被原地修改")
    assert err["message"]["en"].startswith(f"pack {ref} was changed in place after this case was filed")
    code, err = zju.post(f"/cases/{cid}/facts", {"facts": {"zj_termination_application": True}})
    assert code == 409 and err["code"] == "pack_changed"
    code, err = zj.get(f"/cases/{cid}/determination", assume_in_scope=True)
    assert code == 409 and err["code"] == "pack_changed"
    _, after = zj.get(f"/cases/{cid}")
    assert (after["stage"], after["version"], after["facts"]) == ("application", before["version"], before["facts"])
    assert len(_events(zj, cid)) == events

    # A case filed now pins the text loaded now and goes on.
    new = file_case(chen, world, "zj_material", "chen", ZJ, "2025-09-01")
    assert new["pack_hash"] == loaded
    assert chen.post(f"/cases/{new['id']}/transitions", {"action": "withdraw"})[0] == 200

    # With the original text restored, the first case goes on too.
    procedure.write_text(original, encoding="utf-8")
    case_packs.registry.cache_clear()
    code, case = zju.post(f"/cases/{cid}/transitions", step("forward_by_host_unit"))
    assert code == 200 and case["stage"] == "investigation"


# --- 5. an extension counted in its own kind of day ------------------------------------------------

def test_extension_counts_in_its_own_day_kind_after_the_base_period(world, as_user, today, packs_copy) -> None:
    # A test-only variant of the Shenzhen procedure: 30 natural days, extendable by 15 working days.
    _edit(packs_copy / SZ / "procedure.yaml", "  parameter: decision_working_days\n  day_kind: working\n",
          "  parameter: decision_working_days\n  day_kind: natural\n")
    tl = case_packs.registry().get(SZ).procedure.overall_time_limit
    assert (tl.day_kind, tl.extension_day_kind) == ("natural", "working")
    today.set(dt.date(2025, 9, 1))
    wang, sz = as_user("wang"), as_user("sz_caseworker")
    cid = file_case(wang, world, "sz_chip", "wang", SZ, "2025-09-01")["id"]
    wang.upload(cid, "application_form")
    code, case = sz.post(f"/cases/{cid}/transitions", step("accept"))
    assert code == 200
    overall = next(d for d in case["deadlines"] if d["key"] == "overall")
    # 30 natural days from 09-01 end on 10-01, in the National Day holiday: the period ends on 10-09.
    assert overall["due_date"] == "2025-10-09" and overall["day_kind"] == "natural"
    code, ext = sz.post(f"/cases/{cid}/deadlines/extend", {"reason": "情况复杂"})
    # Then 15 working days after 10-09 (10-11, a Saturday, is a make-up working day): 2025-10-29 — not
    # 45 natural days from 09-01 (10-16).
    assert code == 200 and ext["extension_days"] == 15 and ext["due_date"] == "2025-10-29", ext
    assert ext["provisional"] is False
    assert _events(sz, cid)[-1]["after"]["due_date"] == "2025-10-29"


# --- 8. the Chinese half of malformed input ---------------------------------------------------------

def test_validation_errors_are_in_chinese_and_english(world, as_user) -> None:
    chen = as_user("chen")
    cid = file_case(chen, world, "zj_material", "chen", ZJ, "2025-09-01")["id"]
    version = Case.objects.get(pk=cid).version
    cases = [
        (f"/cases/{cid}/transitions", {}, "action", "输入有误：action 此项必填", "Field required"),
        (f"/cases/{cid}/facts", {"facts": "yes"}, "facts", "输入有误：facts 应为对象（JSON object）",
         "valid dictionary"),
        ("/cases", {"project_id": "abc", "failure_explanation": "x"}, "project_id", "输入有误：project_id 应为整数",
         "valid integer"),
        ("/cases", {"project_id": world.projects["zj_material"].pk, "failure_explanation": "x",
                    "relevant_date": "2025-13-01"}, "relevant_date",
         "输入有误：relevant_date 应为有效日期，格式 YYYY-MM-DD（如 2025-09-01）", "valid date"),
        (f"/cases/{cid}/transitions", {"action": "withdraw", "reason": ["x"]}, "reason",
         "输入有误：reason 应为文本（字符串）", "valid string"),
    ]
    for url, body, field, zh, en in cases:
        code, err = chen.post(url, body)
        assert code == 400 and err["code"] == "invalid" and err["field"] == field, err
        assert err["message"]["zh"] == zh and en in err["message"]["en"], err
    assert Case.objects.get(pk=cid).version == version and Case.objects.count() == 1


@pytest.mark.parametrize(("error", "zh"), [
    ({"type": "string_too_long", "loc": ("body", "payload", "reason"), "msg": "String should have at most 5 "
      "characters", "ctx": {"max_length": 5}}, "输入有误：reason 不能超过 5 个字符"),
    ({"type": "extra_forbidden", "loc": ("body", "payload", "colour"), "msg": "Extra inputs are not permitted"},
     "输入有误：colour 不接受此字段"),
    ({"type": "string_too_long", "loc": ("body", "payload", "reason"), "msg": "too long"},
     "输入有误：reason 不符合要求"),  # no ctx: still Chinese, never a 500
    ({"type": "value_error", "loc": ("query", "state"), "msg": "Value error, bad"},
     "输入有误：state 不符合要求（value_error）"),
])
def test_validation_error_types_without_an_endpoint_that_raises_them(rf, error, zh) -> None:
    import json

    from ninja.errors import ValidationError

    from rongcuo.web.api import _validation_error

    response = _validation_error(rf.post("/api/x"), ValidationError([error]))
    body = json.loads(response.content)
    assert response.status_code == 400 and body["message"]["zh"] == zh
    assert body["message"]["en"] == f"invalid input: {body['field']} {error['msg']}"
