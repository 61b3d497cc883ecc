"""The correction procedure (纠错) end to end through the API, on the official working-day calendar.

Yunnan (seed 001): 发送纠错通知书，进行谈话问询，并督促限期整改 — notice, interview, deadline, verification.
Zhejiang (seed 004, 五): 督促其限期整改，对未及时改正或整改效果不明显的，给予严肃处理 — a missed deadline is
escalated by the sweep and the bureau records the measure taken; the same on the Yunnan path after the interview.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.core.management import call_command

from rongcuo.audit.models import AuditEvent
from rongcuo.audit.selectors import audit_verify
from rongcuo.demo.documents import sample_pdf
from rongcuo.monitoring import services as svc
from rongcuo.monitoring.models import CorrectionCase, CorrectionDocument, CorrectionEvent

from .conftest import URLS

pytestmark = pytest.mark.urls(URLS)


def docx_text(content: bytes) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)


def test_yunnan_correction_from_notice_to_verified_rectification(yunnan, as_user, today) -> None:
    w = yunnan
    project = w.projects["yn_plateau"]
    cw, zhao, committee = as_user("yn_caseworker"), as_user("zhao"), as_user("yn_committee")

    # A failed mid-term check raises a warning (发现科研失误错误).
    code, _ = cw.post(f"/monitoring/projects/{project.pk}/midterm-checks",
                      {"check_date": "2025-08-29", "result": "fail", "notes": "关键性状筛选进度严重滞后"})
    assert code == 201
    code, sweep = cw.post("/monitoring/sweep", {"bureau_id": w.orgs["yn_dept"].pk})
    assert code == 200 and sweep["raised"] == 1 and sweep["by_rule"] == {"yn.monitor.midterm_failed": 1}
    code, warns = cw.get("/monitoring/warnings", bureau_id=w.orgs["yn_dept"].pk)
    assert warns["total"] == 1
    warning = warns["items"][0]
    assert warning["label"]["zh"] == "中期检查未通过" and warning["quote"] == "一旦发现科研失误错误"
    assert warning["text"]["zh"] == "2025年8月29日中期检查未通过"

    # 启动纠错程序
    code, case = cw.post("/monitoring/corrections", {"project_id": project.pk, "warning_ids": [warning["id"]],
                                                     "problem": "中期检查未通过：关键性状筛选进度严重滞后。"})
    assert code == 201 and case["state"] == "opened" and case["number"].startswith("JC-2025-")
    assert case["pack_ref"] == "yunnan-correction-measures@2025-draft"
    cid = case["id"]

    # 发送纠错通知书: a DOCX recorded with its SHA-256; 20 working days from the day after it is served.
    code, case = cw.post(f"/monitoring/corrections/{cid}/notice",
                         {"requirements": "一、补充完成关键性状筛选试验；\n二、提交调整后的研究计划。", "version": 1})
    assert code == 200 and case["state"] == "notice_served"
    # 2025-09-01 (Mon) + 20 working days: the 20th is Sunday 28 September, an official make-up working day.
    assert case["rectify_due"] == "2025-09-28" and case["rectify_days"] == 20 and not case["rectify_provisional"]
    assert case["notice_number"] == f"云科容纠〔2025〕{cid}号"  # the bureau's 机关代字 (registry) and 纠
    doc = CorrectionDocument.objects.get(case_id=cid, kind="notice")
    r = cw.client.get(f"/api/monitoring/corrections/{cid}/notice.docx")
    content = b"".join(r.streaming_content)
    assert r.status_code == 200 and hashlib.sha256(content).hexdigest() == doc.sha256 == r["X-Content-SHA256"]
    text = docx_text(content)
    assert "云南省科学技术厅" in text and "纠错通知书" in text and "“高原特色作物分子育种”" in text
    assert "发送纠错通知书" in text and "进行谈话问询" in text and "督促限期整改" in text  # the pack's words
    assert "请于2025年9月28日前完成整改（自本通知书送达之日起20个工作日）" in text
    assert "2025年8月29日中期检查未通过" in text  # the warning behind it
    assert "English summary" in text

    # The rectification is accepted only after the interview (谈话问询).
    code, err = zhao.post(f"/monitoring/corrections/{cid}/rectification", {"description": "已补做试验"})
    assert code == 409 and err["code"] == "precondition_failed" and "谈话问询" in err["message"]["zh"]
    code, case = cw.post(f"/monitoring/corrections/{cid}/interview",
                         {"at": "2025-09-03T10:00:00+08:00", "place": "省科技厅 305 会议室"})
    assert code == 200 and case["state"] == "interview_scheduled"
    code, case = cw.post(f"/monitoring/corrections/{cid}/interview/record",
                         {"record": "项目负责人说明：试验田受旱灾影响，已制定补种计划。"})
    assert code == 200 and case["state"] == "interview_held" and case["interview_held_on"] == "2025-09-01"

    today.set(dt.date(2025, 9, 26))
    code, case = zhao.post(f"/monitoring/corrections/{cid}/rectification",
                           {"description": "已完成补种和关键性状筛选，提交调整后的研究计划。"})
    assert code == 200 and case["state"] == "rectification_submitted"
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = sample_pdf("Rectification report")
    r = zhao.client.post(f"/api/monitoring/corrections/{cid}/documents",
                         {"kind": "rectification_evidence", "file": SimpleUploadedFile("整改报告.pdf", pdf)})
    assert r.status_code == 201 and r.json()["sha256"] == hashlib.sha256(pdf).hexdigest()

    code, err = committee.post(f"/monitoring/corrections/{cid}/verify", {"passed": True})
    assert code == 403 and err["field"] == "role"
    code, case = cw.post(f"/monitoring/corrections/{cid}/verify", {"passed": True, "notes": "整改到位"})
    assert code == 200 and case["state"] == "verified" and case["closed_on"] == "2025-09-26"
    assert case["actions"] == []
    code, warns = cw.get("/monitoring/warnings", bureau_id=w.orgs["yn_dept"].pk, status="all")
    (closed,) = warns["items"]  # the warning behind the correction is resolved with it
    assert closed["status"] == "resolved" and case["number"] in closed["resolution"]

    assert [e["action"] for e in case["events"]] == [
        "open", "serve_notice", "schedule_interview", "hold_interview", "submit_rectification",
        "accept_rectification"]
    assert [e["role"] for e in case["events"]][-2:] == ["lead", "caseworker"]
    actions = list(AuditEvent.objects.filter(subject_type="monitoring.correctioncase", subject_id=str(cid))
                   .values_list("action", flat=True))
    assert actions == ["correction.open", "correction.serve_notice", "correction.schedule_interview",
                       "correction.hold_interview", "correction.submit_rectification", "correction.attach",
                       "correction.accept_rectification"]
    assert audit_verify().ok

    # The history is there for the bureau's staff and auditors, not for the lead or strangers.
    for name in ("yn_caseworker", "yn_committee", "auditor", "admin"):
        code, hist = as_user(name).get(f"/monitoring/projects/{project.pk}/corrections")
        assert code == 200 and [c["number"] for c in hist["corrections"]] == [case["number"]], name
    code, _ = zhao.get(f"/monitoring/projects/{project.pk}/corrections")
    assert code == 403
    code, _ = as_user("outsider").get(f"/monitoring/projects/{project.pk}/corrections")
    assert code == 404
    code, _ = as_user("zj_caseworker").get(f"/monitoring/projects/{project.pk}/corrections")
    assert code == 404


def test_zhejiang_missed_deadline_is_escalated_on_the_official_calendar(world, as_user, today) -> None:
    project = world.projects["zj_material"]
    cw, chen, committee = as_user("zj_caseworker"), as_user("chen"), as_user("zj_committee")
    today.set(dt.date(2025, 9, 26))  # a Friday before the National Day holiday
    code, case = cw.post("/monitoring/corrections", {"project_id": project.pk,
                                                     "problem": "随机抽查发现经费管理使用不规范。"})
    cid = case["id"]
    code, case = cw.post(f"/monitoring/corrections/{cid}/notice", {"requirements": "规范经费报销手续并补充凭证。"})
    assert code == 200
    # 30 working days: 28 Sep (Sunday, worked) and 11 Oct (Saturday, worked) count; 1–8 October do not.
    assert case["rectify_due"] == "2025-11-13"
    code, err = cw.post(f"/monitoring/corrections/{cid}/interview", {"at": "2025-09-30T10:00:00+08:00",
                                                                    "place": "会议室"})
    assert code == 409 and "没有谈话问询环节" in err["message"]["zh"]  # Zhejiang 五 names no interview

    assert svc.correction_sweep(on=dt.date(2025, 11, 13)) == []  # the due day itself is still in time
    today.set(dt.date(2025, 11, 14))
    code, err = chen.post(f"/monitoring/corrections/{cid}/rectification", {"description": "已整改"})
    assert code == 409 and "整改期限（2025-11-13）已过" in err["message"]["zh"]
    out = io.StringIO()
    call_command("correction_sweep", "--on", "2025-11-14", stdout=out)
    assert case["number"] in out.getvalue()
    call_command("correction_sweep", "--on", "2025-11-14", stdout=out)  # idempotent
    assert CorrectionEvent.objects.filter(case_id=cid, action="escalate").count() == 1
    c = CorrectionCase.objects.get(pk=cid)
    assert (c.state, c.escalated_on, c.escalation_reason) == ("escalated", dt.date(2025, 11, 14), "deadline_missed")
    event = CorrectionEvent.objects.get(case_id=cid, action="escalate")
    assert event.actor is None and event.role == "system"

    # 给予严肃处理: the bureau records the measure, one of the pack's.
    code, err = committee.post(f"/monitoring/corrections/{cid}/measure", {"measure": "fine", "text": "罚款"})
    assert code == 400 and err["field"] == "measure" and "suspend_funding" in err["message"]["en"]
    code, err = committee.post(f"/monitoring/corrections/{cid}/measure", {"measure": "suspend_funding", "text": " "})
    assert code == 400 and err["field"] == "text"
    code, case = committee.post(f"/monitoring/corrections/{cid}/measure",
                                {"measure": "suspend_funding", "text": "暂停拨付2026年度经费，待整改验收后恢复。"})
    assert code == 200 and case["state"] == "measure_recorded" and case["closed_on"] == "2025-11-14"
    assert case["escalation_reason"] == "deadline_missed"

    # A second correction on the same project may now be opened; two at once may not.
    code, _ = cw.post("/monitoring/corrections", {"project_id": project.pk, "problem": "再次发现问题"})
    assert code == 201
    code, err = cw.post("/monitoring/corrections", {"project_id": project.pk, "problem": "重复"})
    assert code == 409 and err["field"] == "project_id"


def test_yunnan_missed_deadline_after_the_interview_is_escalated_and_the_measure_recorded(yunnan, as_user,
                                                                                        today) -> None:
    """Yunnan: notice → interview held → the deadline to rectify (20 working days from the notice) passes
    without a rectification → the sweep escalates → the department records the measure (给予严肃处理)."""
    project = yunnan.projects["yn_herb"]
    cw, zhao, committee = as_user("yn_caseworker"), as_user("zhao"), as_user("yn_committee")
    code, case = cw.post("/monitoring/corrections", {"project_id": project.pk, "problem": "里程碑节点逾期未完成。"})
    assert code == 201 and case["pack_ref"] == "yunnan-correction-measures@2025-draft"
    cid = case["id"]
    code, case = cw.post(f"/monitoring/corrections/{cid}/notice", {"requirements": "按调整后的计划完成评价指标体系。"})
    assert code == 200 and case["rectify_due"] == "2025-09-28"  # 20 working days; the 28th is a make-up workday
    code, case = cw.post(f"/monitoring/corrections/{cid}/interview",
                         {"at": "2025-09-02T09:00:00+08:00", "place": "云南某大学科研处"})
    assert code == 200 and case["state"] == "interview_scheduled"
    code, case = cw.post(f"/monitoring/corrections/{cid}/interview/record", {"record": "负责人承诺按期完成。"})
    assert code == 200 and case["state"] == "interview_held"

    # Nothing is submitted. The due day itself is still in time; the day after, the sweep escalates once.
    assert svc.correction_sweep(on=dt.date(2025, 9, 28)) == []
    assert CorrectionCase.objects.get(pk=cid).state == "interview_held"
    today.set(dt.date(2025, 9, 29))
    code, err = zhao.post(f"/monitoring/corrections/{cid}/rectification", {"description": "逾期提交"})
    assert code == 409 and "整改期限（2025-09-28）已过" in err["message"]["zh"]
    out = io.StringIO()
    call_command("correction_sweep", "--on", "2025-09-29", stdout=out)
    assert case["number"] in out.getvalue() and "1 escalated" in out.getvalue()
    assert svc.correction_sweep(on=dt.date(2025, 9, 29)) == []  # idempotent
    code, case = cw.get(f"/monitoring/corrections/{cid}")
    assert code == 200 and case["state"] == "escalated"
    assert (case["escalated_on"], case["escalation_reason"]) == ("2025-09-29", "deadline_missed")
    assert [a["action"] for a in case["actions"]] == ["record_measure"]
    escalation = CorrectionEvent.objects.get(case_id=cid, action="escalate")
    assert escalation.actor is None and escalation.role == "system"
    assert escalation.data["rectify_due"] == "2025-09-28"

    # The measure must be one of the Yunnan pack's; stored data is unchanged by a refused one.
    code, err = committee.post(f"/monitoring/corrections/{cid}/measure", {"measure": "fine", "text": "罚款"})
    assert code == 400 and err["field"] == "measure" and "circulate_criticism" in err["message"]["en"]
    assert CorrectionCase.objects.get(pk=cid).state == "escalated"
    code, case = committee.post(f"/monitoring/corrections/{cid}/measure",
                                {"measure": "circulate_criticism", "text": "在全省科技计划项目管理中通报批评。"})
    assert code == 200 and case["state"] == "measure_recorded" and case["closed_on"] == "2025-09-29"
    assert case["measure"] == "circulate_criticism" and case["measure_on"] == "2025-09-29"
    assert [e["action"] for e in case["events"]] == ["open", "serve_notice", "schedule_interview", "hold_interview",
                                                     "escalate", "record_measure"]
    actions = list(AuditEvent.objects.filter(subject_type="monitoring.correctioncase", subject_id=str(cid))
                   .values_list("action", flat=True))
    assert actions[-2:] == ["correction.escalate", "correction.record_measure"]
    assert audit_verify().ok


def test_failed_rectification_is_escalated(yunnan, as_user, today) -> None:
    project = yunnan.projects["yn_herb"]
    cw, zhao = as_user("yn_caseworker"), as_user("zhao")
    code, case = cw.post("/monitoring/corrections", {"project_id": project.pk, "problem": "里程碑逾期"})
    cid = case["id"]
    cw.post(f"/monitoring/corrections/{cid}/notice", {"requirements": "按计划完成评价体系"})
    cw.post(f"/monitoring/corrections/{cid}/interview", {"at": "2025-09-02T09:00:00+08:00", "place": "云南某大学"})
    cw.post(f"/monitoring/corrections/{cid}/interview/record", {"record": "已谈话"})
    zhao.post(f"/monitoring/corrections/{cid}/rectification", {"description": "部分完成"})
    code, err = cw.post(f"/monitoring/corrections/{cid}/verify", {"passed": False})
    assert code == 400 and err["field"] == "notes"  # 整改效果不明显 needs its reasons
    code, case = cw.post(f"/monitoring/corrections/{cid}/verify", {"passed": False, "notes": "核心指标仍未达到"})
    assert case["state"] == "escalated" and case["escalation_reason"] == "verification_failed"
    assert [a["action"] for a in case["actions"]] == ["record_measure"]


def test_stale_version_and_wrong_state_are_refused(world, as_user, today) -> None:
    cw = as_user("zj_caseworker")
    code, case = cw.post("/monitoring/corrections", {"project_id": world.projects["zj_material"].pk,
                                                     "problem": "问题"})
    cid = case["id"]
    code, err = cw.post(f"/monitoring/corrections/{cid}/notice", {"requirements": "整改", "version": 7})
    assert code == 409 and err["field"] == "version"
    code, err = cw.post(f"/monitoring/corrections/{cid}/verify", {"passed": True})
    assert code == 409 and err["field"] == "action" and "serve_notice" in err["message"]["en"]
    assert CorrectionCase.objects.get(pk=cid).state == "opened"


def test_a_calendar_change_moves_the_deadline_to_rectify(yunnan, as_user, today,
                                                         django_capture_on_commit_callbacks) -> None:
    from rongcuo.workdays.services import calendar_set_day

    cw = as_user("yn_caseworker")
    _, case = cw.post("/monitoring/corrections", {"project_id": yunnan.projects["yn_herb"].pk, "problem": "问题"})
    code, case = cw.post(f"/monitoring/corrections/{case['id']}/notice", {"requirements": "整改"})
    assert code == 200 and case["rectify_due"] == "2025-09-28"
    with django_capture_on_commit_callbacks(execute=True):
        calendar_set_day(day=dt.date(2025, 9, 15), is_workday=False, note="临时调整（测试）", actor="admin")
    c = CorrectionCase.objects.get(pk=case["id"])
    assert c.rectify_due == dt.date(2025, 9, 29)  # one working day fewer before it: one day later
    assert AuditEvent.objects.filter(action="correction.deadline_recompute").count() == 1


def test_no_step_is_taken_while_the_pinned_pack_text_has_changed(world, as_user, today) -> None:
    # A correction runs under the pack text pinned when it was opened: with the pinned hash no longer matching the
    # loaded text (a version edited in place), every step is refused with 409, nothing changes, and the sweep
    # passes it by; restored, the step goes through.
    cw = as_user("zj_caseworker")
    code, case = cw.post("/monitoring/corrections", {"project_id": world.projects["zj_material"].pk,
                                                     "problem": "问题"})
    assert code == 201
    cid = case["id"]
    loaded = CorrectionCase.objects.get(pk=cid).pack_hash
    CorrectionCase.objects.filter(pk=cid).update(pack_hash="f" * 64)
    events = AuditEvent.objects.count()
    code, err = cw.post(f"/monitoring/corrections/{cid}/notice", {"requirements": "整改"})
    assert code == 409 and err["code"] == "pack_changed" and err["field"] == "pack_hash"
    assert "本纠错案件启动后被原地修改" in err["message"]["zh"] and loaded in err["message"]["zh"]
    assert "after this correction was opened" in err["message"]["en"]
    code, err = as_user("sz_caseworker").post(f"/monitoring/corrections/{cid}/notice", {"requirements": "整改"})
    assert code in (403, 404) and err["code"] != "pack_changed"  # no role on it: refused as such, no hashes shown
    stored = CorrectionCase.objects.get(pk=cid)
    assert (stored.state, stored.version, stored.notice_number) == ("opened", case["version"], "")
    assert AuditEvent.objects.count() == events
    assert cw.get(f"/monitoring/corrections/{cid}")[0] == 200  # still readable
    CorrectionCase.objects.filter(pk=cid).update(pack_hash=loaded)
    code, served = cw.post(f"/monitoring/corrections/{cid}/notice", {"requirements": "整改"})
    assert code == 200 and served["state"] == "notice_served"
