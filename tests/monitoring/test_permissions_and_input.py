"""Who may do what, and bad input: a clear 400 naming the field, and nothing stored."""

from __future__ import annotations

import datetime as dt

import pytest

from rongcuo.audit.models import AuditEvent
from rongcuo.demo.documents import sample_pdf
from rongcuo.monitoring import services as svc
from rongcuo.monitoring.models import (
    CorrectionCase,
    EarlyWarning,
    Inspection,
    MajorChange,
    MidTermCheck,
    MonitoringSweep,
    SpendingReport,
)

from .conftest import URLS

pytestmark = pytest.mark.urls(URLS)


def stored() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (CorrectionCase, EarlyWarning, Inspection, MajorChange, MidTermCheck,
                                              MonitoringSweep, SpendingReport, AuditEvent))


def test_permission_refusals(world, as_user, today) -> None:
    zj, p = world.orgs["zj_dept"], world.projects["zj_material"]
    svc.midterm_check_record(project=p, actor=world.users["zj_caseworker"], check_date=dt.date(2025, 8, 1),
                             result="fail", notes="滞后")
    before = stored()

    # Strangers and other bureaus do not learn that the project exists.
    for name in ("outsider", "sz_caseworker", "wang"):
        code, err = as_user(name).get(f"/monitoring/projects/{p.pk}")
        assert code == 404 and err["field"] == "project_id", name
    code, _ = as_user(None).get(f"/monitoring/projects/{p.pk}")
    assert code == 401
    code, _ = as_user("sz_caseworker").post("/monitoring/sweep", {"bureau_id": zj.pk})
    assert code == 404

    # Readers who may not act: auditor and committee cannot sweep, draw or open corrections.
    for name in ("auditor", "zj_committee"):
        api = as_user(name)
        code, err = api.post("/monitoring/sweep", {"bureau_id": zj.pk})
        assert code == 403 and err["field"] == "role", name
        code, err = api.post("/monitoring/inspections", {"bureau_id": zj.pk, "size": 1})
        assert code == 403, name
        code, err = api.post("/monitoring/corrections", {"project_id": p.pk, "problem": "问题"})
        assert code == 403, name
        code, _ = api.get(f"/monitoring/projects/{p.pk}")
        assert code == 200, name

    # The project's lead and host-unit reviewer report on it, but do not check or correct it.
    chen, zju = as_user("chen"), as_user("zju_reviewer")
    code, err = chen.post(f"/monitoring/projects/{p.pk}/midterm-checks", {"check_date": "2025-08-01",
                                                                         "result": "pass"})
    assert code == 403 and "caseworker" in err["message"]["en"]
    code, err = zju.post("/monitoring/corrections", {"project_id": p.pk, "problem": "问题"})
    assert code == 403
    code, _ = chen.get("/monitoring/warnings/summary", bureau_id=zj.pk)
    assert code == 404
    code, mine = chen.get("/monitoring/warnings")
    assert code == 200 and mine["total"] == 0
    assert stored() == before

    code, _ = zju.post(f"/monitoring/projects/{p.pk}/spending-reports", {"as_of": "2025-08-31", "spent_yuan": 1,
                                                                        "planned_yuan": 2})
    assert code == 201

    # The exemption case's handlers see the project's correction history read-only; its applicant does not.
    cw = as_user("zj_caseworker")
    code, corr = cw.post("/monitoring/corrections", {"project_id": p.pk, "problem": "中期检查未通过"})
    code, case = chen.post("/cases", {"project_id": p.pk, "applicant_id": world.people["chen"].pk,
                                      "relevant_date": "2025-09-01", "failure_explanation": "技术路线选择失误"})
    assert code == 201
    code, hist = cw.get(f"/monitoring/cases/{case['id']}/corrections")
    assert code == 200 and [c["number"] for c in hist["corrections"]] == [corr["number"]]
    assert hist["corrections"][0]["events"][0]["action"] == "open"
    code, hist = as_user("auditor").get(f"/monitoring/cases/{case['id']}/corrections")
    assert code == 200
    code, _ = chen.get(f"/monitoring/cases/{case['id']}/corrections")
    assert code == 403
    code, _ = as_user("outsider").get(f"/monitoring/cases/{case['id']}/corrections")
    assert code == 404


@pytest.mark.parametrize(("url", "body", "field"), [
    ("/monitoring/corrections", {"project_id": "{p}", "problem": "   "}, "problem"),
    ("/monitoring/corrections", {"project_id": "{p}", "problem": "x" * 5001}, "problem"),
    ("/monitoring/corrections", {"project_id": "{p}", "problem": "问题", "warning_ids": [999999]}, "warning_ids"),
    ("/monitoring/corrections", {"problem": "问题"}, "project_id"),
    ("/monitoring/projects/{p}/midterm-checks", {"check_date": "2025-13-01", "result": "fail"}, "check_date"),
    ("/monitoring/projects/{p}/midterm-checks", {"check_date": "2025-08-01", "result": "maybe"}, "result"),
    ("/monitoring/projects/{p}/midterm-checks", {"check_date": "2025-08-01", "result": "fail"}, "notes"),
    ("/monitoring/projects/{p}/midterm-checks", {"check_date": "2030-01-01", "result": "pass"}, "check_date"),
    ("/monitoring/projects/{p}/spending-reports", {"as_of": "2025-08-31", "spent_yuan": -5, "planned_yuan": 10},
     "spent_yuan"),
    ("/monitoring/projects/{p}/spending-reports", {"as_of": "2025-08-31", "spent_yuan": "lots", "planned_yuan": 1},
     "spent_yuan"),
    # true/false are not amounts (planned_yuan: false was stored as 0)
    ("/monitoring/projects/{p}/spending-reports", {"as_of": "2025-08-31", "spent_yuan": 1, "planned_yuan": False},
     "planned_yuan"),
    ("/monitoring/projects/{p}/spending-reports", {"as_of": "2025-08-31", "spent_yuan": True, "planned_yuan": 1},
     "spent_yuan"),
    ("/monitoring/inspections", {"bureau_id": "{b}", "size": True}, "size"),
    ("/monitoring/projects/{p}/major-changes", {"occurred_on": "2025-08-01", "description": "",
                                               "reported_on": None}, "description"),
    ("/monitoring/projects/{p}/major-changes", {"occurred_on": "2025-08-10", "description": "变更",
                                               "reported_on": "2025-08-01"}, "reported_on"),
    ("/monitoring/inspections", {"bureau_id": "{b}", "size": 0}, "size"),
    ("/monitoring/inspections", {"bureau_id": "{b}", "size": 1, "strata": "colour"}, "strata"),
    ("/monitoring/inspections", {"bureau_id": "{b}", "strata": "risk", "sizes": {"martians": 1}}, "sizes.martians"),
    ("/monitoring/inspections", {"bureau_id": "{b}", "strata": "none", "sizes": {"all": 5}}, "sizes.all"),
    ("/monitoring/inspections", {"bureau_id": "{b}", "size": 1, "seed": ""}, "seed"),
    ("/monitoring/sweep", {"bureau_id": "{b}", "on": "2031-01-01"}, "on"),
    ("/monitoring/sweep", {"bureau_id": "{b}", "on": "yesterday"}, "on"),
])
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_stored(world, as_user, today, url, body, field) -> None:
    p, b = world.projects["zj_material"].pk, world.orgs["zj_dept"].pk
    url = url.replace("{p}", str(p))
    body = {k: (p if v == "{p}" else b if v == "{b}" else v) for k, v in body.items()}
    before = stored()
    code, err = as_user("zj_caseworker").post(url, body)
    assert code == 400, err
    assert err["field"] == field and err["message"]["zh"] and err["message"]["en"]
    assert stored() == before


def test_bad_input_on_correction_steps(world, as_user, today) -> None:
    cw = as_user("zj_caseworker")
    code, case = cw.post("/monitoring/corrections", {"project_id": world.projects["zj_material"].pk,
                                                     "problem": "问题"})
    cid, before = case["id"], stored()
    code, err = cw.post(f"/monitoring/corrections/{cid}/notice", {"requirements": ""})
    assert code == 400 and err["field"] == "requirements"
    code, err = cw.post(f"/monitoring/corrections/{cid}/notice", {})
    assert code == 400 and err["field"] == "requirements"
    assert stored() == before and CorrectionCase.objects.get(pk=cid).notice_number == ""
    r = cw.client.post(f"/api/monitoring/corrections/{cid}/documents", {"kind": "rectification_evidence"})
    assert r.status_code == 400 and r.json()["field"] == "file"
    from django.core.files.uploadedfile import SimpleUploadedFile

    cw.post(f"/monitoring/corrections/{cid}/notice", {"requirements": "整改"})
    before = stored()
    r = cw.client.post(f"/api/monitoring/corrections/{cid}/documents", {
        "kind": "rectification_evidence", "file": SimpleUploadedFile("evil.pdf", b"MZ\x90\x00 not a pdf")})
    assert r.status_code == 400 and r.json()["field"] == "file"
    r = cw.client.post(f"/api/monitoring/corrections/{cid}/documents", {
        "kind": "selfie", "file": SimpleUploadedFile("a.pdf", sample_pdf())})
    assert r.status_code == 400 and r.json()["field"] == "kind"
    assert stored() == before
