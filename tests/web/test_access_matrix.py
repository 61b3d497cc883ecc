"""Role × endpoint matrix, generated from the API's own routes: every operation must have a rule here (a new
endpoint without one fails), and every forbidden pair answers 401/403/404 and leaks nothing of the case."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from rongcuo.web.api import api

ON_CASE = {"wang", "szu_reviewer", "sz_caseworker", "sz_committee", "auditor", "admin"}
OUTSIDERS = {"chen", "zju_reviewer", "zj_caseworker", "zj_committee", "expert_li", "zj_nsf", "outsider", None}
STAFF = {"sz_caseworker", "sz_committee", "szu_reviewer", "zju_reviewer", "zj_caseworker", "zj_committee", "zj_nsf",
         "auditor", "admin"}
EVERYONE = ON_CASE | OUTSIDERS
AUTHENTICATED = EVERYONE - {None}

# operation → roles that may use it on the Shenzhen case (everyone else must be refused).
RULES: dict[str, set[str | None]] = {
    "GET /api/packs": EVERYONE,
    "GET /api/packs/{pack_ref}": EVERYONE,
    "GET /api/registry/organisations": AUTHENTICATED,
    "GET /api/registry/projects": STAFF,
    "GET /api/registry/projects/{project_id}": STAFF | {"wang"},
    "GET /api/registry/people": STAFF,
    "GET /api/cases": AUTHENTICATED,  # filtered: checked below that outsiders do not see the case
    "POST /api/cases": {"wang", "sz_caseworker", "admin"},
    "GET /api/cases/{case_id}": ON_CASE,
    "PATCH /api/cases/{case_id}": {"wang", "sz_caseworker", "admin"},
    "POST /api/cases/{case_id}/facts": ON_CASE - {"auditor"},
    "GET /api/cases/{case_id}/determination": ON_CASE,
    "POST /api/cases/{case_id}/evidence": {"wang", "szu_reviewer", "sz_caseworker", "admin"},
    "GET /api/cases/{case_id}/evidence": ON_CASE,
    "GET /api/cases/{case_id}/transitions": ON_CASE,
    "POST /api/cases/{case_id}/transitions": {"sz_caseworker", "admin"},  # tried with action=accept
    "GET /api/cases/{case_id}/deadlines": ON_CASE,
    "POST /api/cases/{case_id}/deadlines/extend": {"sz_caseworker", "admin"},
    "POST /api/cases/{case_id}/experts": {"sz_caseworker", "admin"},
    "GET /api/cases/{case_id}/audit": {"sz_caseworker", "sz_committee", "auditor", "admin"},
    "POST /api/cases/{case_id}/objections/{objection_id}/answer": {"sz_caseworker", "admin"},
    "GET /api/deadlines": AUTHENTICATED,  # filtered like the case list
    "GET /api/audit/verify": {"auditor", "admin"},
    "POST /api/cases/{case_id}/panel": {"sz_caseworker", "admin"},
    "GET /api/cases/{case_id}/panel": ON_CASE,
    "POST /api/cases/{case_id}/panel/members/{member_id}/decline": {"sz_caseworker", "admin"},
    "POST /api/cases/{case_id}/reviews": set(),  # only sitting panel members; nobody here sits
    "POST /api/cases/{case_id}/panel/conclude": {"sz_caseworker", "admin"},
    "POST /api/cases/{case_id}/decision": {"sz_committee", "admin"},
    "GET /api/cases/{case_id}/decision": ON_CASE,
    "GET /api/cases/{case_id}/letters": ON_CASE,
    "GET /api/cases/{case_id}/letters/{letter_id}/{fmt}": ON_CASE,
    "GET /api/cases/{case_id}/obligations": ON_CASE,
    "POST /api/cases/{case_id}/obligations/{obligation_id}/fulfil": {"wang", "sz_caseworker", "admin"},
    "GET /api/cases/{case_id}/integrity": {"sz_caseworker", "sz_committee", "auditor", "admin"},
    "GET /api/notices": EVERYONE,
    "POST /api/notices/{case_id}/objections": EVERYONE,  # only while under notice: 404 otherwise
}
BODIES = {
    "POST /api/cases/{case_id}/transitions": {"action": "accept"},
    "POST /api/cases/{case_id}/facts": {"facts": {"sz_municipal_fiscal_funds": True}},
    "PATCH /api/cases/{case_id}": {"version": 999, "failure_explanation": "x"},
    "POST /api/cases/{case_id}/decision": {"decision": "exempt", "members_present": ["x"]},
    "POST /api/cases/{case_id}/reviews": {"scores": {"innovativeness": 5}, "opinion": "x"},
    "POST /api/cases/{case_id}/panel": {},
}


def operations() -> list[str]:
    schema = api.get_openapi_schema()
    return [f"{m.upper()} {p}" for p, ops in schema["paths"].items() for m in ops]


def test_every_endpoint_has_an_access_rule() -> None:
    missing = [op for op in operations() if op not in RULES]
    assert not missing, f"endpoints without an access rule in this matrix: {missing}"
    stale = [op for op in RULES if op not in operations()]
    assert not stale, f"rules for endpoints that no longer exist: {stale}"


@pytest.fixture
def sz_case(world, as_user, today):
    today.set(dt.date(2025, 9, 10))
    code, case = as_user("wang").post("/cases", {"project_id": world.projects["sz_chip"].pk,
                                                 "failure_explanation": "机密的失败说明 SECRET-EXPLANATION",
                                                 "relevant_date": "2025-09-10"})
    assert code == 201
    as_user("wang").upload(case["id"], "application_form")
    return case


def test_forbidden_pairs_are_refused_and_leak_nothing(sz_case, world) -> None:
    number = sz_case["number"]
    secrets = [number, "SECRET-EXPLANATION", "王博士"]
    checked = 0
    for op in operations():
        method, path = op.split(" ", 1)
        url = (path.replace("{case_id}", str(sz_case["id"])).replace("{pack_ref}", "shenzhen-tolerance-guideline")
               .replace("{project_id}", str(world.projects["sz_chip"].pk)).replace("{fmt}", "docx"))
        for key in ("objection_id", "member_id", "letter_id", "obligation_id"):
            url = url.replace("{" + key + "}", "1")
        for role in sorted(EVERYONE - RULES[op], key=str):
            c = Client()
            if role:
                c.force_login(world.users[role])
            body = json.dumps(BODIES.get(op, {"reason": "x", "answer": "x", "sustained": False, "key": "overall",
                                               "expert_username": "expert_li", "note": "x"}) if op != "POST /api/cases"
                              else {"project_id": world.projects["sz_chip"].pk, "applicant_id": world.people["wang"].pk,
                                    "failure_explanation": "x"})
            if op == "POST /api/cases/{case_id}/evidence":
                from django.core.files.uploadedfile import SimpleUploadedFile

                r = c.post(url, {"kind": "application_form",
                                 "file": SimpleUploadedFile("a.pdf", b"%PDF-1.4 x", "application/pdf")})
            elif method == "GET":
                r = c.get(url)
            else:
                r = getattr(c, method.lower())(url, body, content_type="application/json")
            assert r.status_code in (401, 403, 404), (op, role, r.status_code, r.content[:200])
            text = r.content.decode("utf-8", "replace")
            assert not any(s in text for s in secrets), (op, role, text[:200])
            checked += 1
    assert checked > 150


@pytest.mark.parametrize("role", sorted(OUTSIDERS - {None}))
def test_lists_do_not_show_other_peoples_cases(sz_case, as_user, role) -> None:
    code, cases = as_user(role).get("/cases")
    assert code == 200 and sz_case["id"] not in [c["id"] for c in cases]
    code, deadlines = as_user(role).get("/deadlines")
    assert code == 200 and all(d["case_id"] != sz_case["id"] for d in deadlines)
