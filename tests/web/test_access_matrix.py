"""Role × endpoint matrix, generated from the API's own routes: every operation must have a rule here (a new
endpoint without one fails), and every forbidden pair answers 401/403/404 and leaks nothing of the case."""

from __future__ import annotations

import datetime as dt
import functools
import json

import pytest
from django.test import Client

from rongcuo.demo.documents import sample_pdf
from rongcuo.web.api import api
from tests.factories import step

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
    "POST /api/cases/{case_id}/panel/override": {"sz_caseworker", "admin"},
    "POST /api/cases/{case_id}/decision": {"sz_committee", "sz_caseworker", "admin"},  # the pack: 组织决定
    "GET /api/cases/{case_id}/decision": ON_CASE,
    "POST /api/cases/{case_id}/votes": {"sz_committee"},  # members only, in person: not even the administrator
    "GET /api/cases/{case_id}/votes": {"sz_caseworker", "sz_committee", "auditor", "admin"},
    "GET /api/cases/{case_id}/objections": {"sz_caseworker", "sz_committee", "auditor", "admin"},
    "GET /api/cases/{case_id}/receipt": ON_CASE,  # the applicant, the host unit, the bureau (not an expert)
    "GET /api/cases/{case_id}/receipt/{fmt}": ON_CASE,
    "GET /api/cases/{case_id}/letters": ON_CASE,
    "GET /api/cases/{case_id}/letters/{letter_id}/{fmt}": ON_CASE,
    "GET /api/cases/{case_id}/obligations": ON_CASE,
    "POST /api/cases/{case_id}/obligations/{obligation_id}/fulfil": {"wang", "sz_caseworker", "admin"},
    "GET /api/cases/{case_id}/integrity": {"sz_caseworker", "sz_committee", "auditor", "admin"},
    "GET /api/notices": EVERYONE,
    # Notifications: each signed-in user's own (other users' ids are refused: tests/notifications).
    "GET /api/notifications": AUTHENTICATED,
    "POST /api/notifications/read": AUTHENTICATED,
    "GET /api/notifications/preferences": AUTHENTICATED,
    "POST /api/notifications/preferences": AUTHENTICATED,
    "POST /api/notices/{case_id}/objections": EVERYONE,  # only while under notice: 404 otherwise
    "POST /api/notices/objections/status": EVERYONE,  # with a receipt number and its lookup code
    # State funds and technology transfers: none of these accounts works for a fund manager, its supervisor
    # or a transferring unit, so only the auditor (reading) and the administrator get in.
    "GET /api/funds": AUTHENTICATED,  # filtered
    "POST /api/funds": {"admin"},
    "GET /api/funds/{fund_id}": {"auditor", "admin"},
    "POST /api/funds/{fund_id}/facts": {"admin"},
    "POST /api/funds/{fund_id}/term-end": {"admin"},
    "GET /api/funds/{fund_id}/investments": {"auditor", "admin"},
    "POST /api/funds/{fund_id}/investments": {"admin"},
    "GET /api/funds/{fund_id}/loss-report": {"auditor", "admin"},
    "GET /api/funds/{fund_id}/tolerance": {"auditor", "admin"},
    "GET /api/funds/{fund_id}/checks": {"auditor", "admin"},
    "POST /api/funds/{fund_id}/checks": {"admin"},
    "GET /api/funds/investments/{investment_id}": {"auditor", "admin"},
    "POST /api/funds/investments/{investment_id}/valuations": {"admin"},
    "POST /api/funds/investments/{investment_id}/exit": {"admin"},
    "POST /api/funds/investments/{investment_id}/facts": {"admin"},
    "GET /api/funds/investments/{investment_id}/exemption": {"auditor", "admin"},
    "POST /api/funds/investments/{investment_id}/exemption": {"admin"},
    "GET /api/transfers": AUTHENTICATED,  # filtered
    "POST /api/transfers": {"admin"},
    "GET /api/transfers/{transfer_id}": {"auditor", "admin"},
    "POST /api/transfers/{transfer_id}/facts": {"admin"},
    "POST /api/transfers/{transfer_id}/later-value": {"admin"},
    # Monitoring and correction of the Shenzhen bureau's running projects ({project_id} is its project; records
    # with id 1 do not exist, so those operations answer 404 to everyone).
    "POST /api/monitoring/sweep": {"sz_caseworker", "admin"},
    "GET /api/monitoring/warnings": AUTHENTICATED,  # filtered
    "GET /api/monitoring/warnings/summary": AUTHENTICATED,  # filtered
    "POST /api/monitoring/warnings/{warning_id}/resolve": set(),
    "GET /api/monitoring/projects/{project_id}": {"wang", "szu_reviewer", "sz_caseworker", "sz_committee", "auditor",
                                                  "admin"},
    "POST /api/monitoring/projects/{project_id}/milestones": {"sz_caseworker", "admin"},
    "POST /api/monitoring/milestones/{milestone_id}/reports": set(),
    "POST /api/monitoring/projects/{project_id}/midterm-checks": {"sz_caseworker", "admin"},
    # The project's lead and host unit report spending and major changes (重大事项报备) themselves.
    "POST /api/monitoring/projects/{project_id}/spending-reports": {"wang", "szu_reviewer", "sz_caseworker", "admin"},
    "POST /api/monitoring/projects/{project_id}/major-changes": {"wang", "szu_reviewer", "sz_caseworker", "admin"},
    "POST /api/monitoring/major-changes/{change_id}/report": {"wang", "szu_reviewer", "sz_caseworker", "admin"},
    "GET /api/monitoring/projects/{project_id}/corrections": {"sz_caseworker", "sz_committee", "auditor", "admin"},
    "GET /api/monitoring/cases/{case_id}/corrections": {"sz_caseworker", "sz_committee", "auditor", "admin"},
    "POST /api/monitoring/inspections": {"sz_caseworker", "admin"},
    "GET /api/monitoring/inspections": AUTHENTICATED,  # filtered
    "GET /api/monitoring/inspections/{inspection_id}": set(),
    "GET /api/monitoring/inspections/{inspection_id}/replay": set(),
    "POST /api/monitoring/inspections/{inspection_id}/items/{project_id}": set(),
    "POST /api/monitoring/corrections/sweep": {"sz_caseworker", "admin"},
    "GET /api/monitoring/corrections": AUTHENTICATED,  # filtered
    "POST /api/monitoring/corrections": {"sz_caseworker", "admin"},
    "GET /api/monitoring/corrections/{correction_id}": set(),
    "POST /api/monitoring/corrections/{correction_id}/notice": set(),
    "POST /api/monitoring/corrections/{correction_id}/interview": set(),
    "POST /api/monitoring/corrections/{correction_id}/interview/record": set(),
    "POST /api/monitoring/corrections/{correction_id}/rectification": set(),
    "POST /api/monitoring/corrections/{correction_id}/verify": set(),
    "POST /api/monitoring/corrections/{correction_id}/measure": set(),
    "POST /api/monitoring/corrections/{correction_id}/documents": set(),
    "GET /api/monitoring/corrections/{correction_id}/documents/{document_id}": set(),
    "GET /api/monitoring/corrections/{correction_id}/notice.docx": set(),
}
BODIES = {
    "POST /api/cases/{case_id}/transitions": step("accept"),
    "POST /api/cases/{case_id}/facts": {"facts": {"sz_municipal_fiscal_funds": True}},
    "PATCH /api/cases/{case_id}": {"version": 999, "failure_explanation": "x"},
    "POST /api/cases/{case_id}/decision": {"decision": "exempt"},
    "POST /api/cases/{case_id}/votes": {"vote": "exempt", "reasons": "x"},
    "POST /api/cases/{case_id}/reviews": {"scores": {"innovativeness": 5}, "opinion": "x"},
    "POST /api/cases/{case_id}/panel": {},
    "POST /api/cases/{case_id}/panel/override": {"reason": "财务专家均回避"},
}


@pytest.fixture
def funds(world):
    from rongcuo.demo.funds import funds_demo_load

    funds_demo_load()


@functools.cache
def openapi() -> dict:
    """The API's OpenAPI schema, built once (ninja builds it afresh on every call: a third of a second)."""
    return api.get_openapi_schema()


def minimal_body(op: str) -> dict:
    """A body that passes the operation's schema (so a refusal is about who asks, not what is sent)."""
    method, path = op.split(" ", 1)
    schema = openapi()
    spec = schema["paths"][path][method.lower()].get("requestBody", {}).get("content", {})
    body_schema = (spec.get("application/json") or {}).get("schema")
    if not body_schema:
        return {}

    def resolve(s: dict) -> dict:
        while "$ref" in s:
            s = schema["components"]["schemas"][s["$ref"].split("/")[-1]]
        if "anyOf" in s:
            s = next(x for x in s["anyOf"] if x.get("type") != "null")
            return resolve(s)
        return s

    def value(s: dict):
        s = resolve(s)
        if "enum" in s:
            return s["enum"][0]
        t = s.get("type")
        if t == "string":
            return {"date": "2025-01-01", "date-time": "2025-01-01T00:00:00Z"}.get(s.get("format", ""), "x")
        if t in ("integer", "number"):
            return 1
        if t == "boolean":
            return False
        if t == "array":
            return []
        if t == "object":
            return {k: value(v) for k, v in s.get("properties", {}).items() if k in s.get("required", [])}
        return "x"

    return value(body_schema)


def operations() -> list[str]:
    schema = openapi()
    return [f"{m.upper()} {p}" for p, ops in schema["paths"].items() for m in ops]


def test_every_endpoint_has_an_access_rule() -> None:
    missing = [op for op in operations() if op not in RULES]
    assert not missing, f"endpoints without an access rule in this matrix: {missing}"
    stale = [op for op in RULES if op not in operations()]
    assert not stale, f"rules for endpoints that no longer exist: {stale}"


@pytest.fixture
def sz_case(world, as_user, today, funds):
    today.set(dt.date(2025, 9, 10))
    code, case = as_user("wang").post("/cases", {"project_id": world.projects["sz_chip"].pk,
                                                 "failure_explanation": "机密的失败说明 SECRET-EXPLANATION",
                                                 "relevant_date": "2025-09-10"})
    assert code == 201
    as_user("wang").upload(case["id"], "application_form")
    return case


@pytest.mark.slow
def test_forbidden_pairs_are_refused_and_leak_nothing(sz_case, world) -> None:
    from rongcuo.registry.models import Organisation

    org = {o.code: o.pk for o in Organisation.objects.all()}
    real_bodies = {  # bodies that name real records, so the refusal is about who asks
        "POST /api/cases": {"project_id": world.projects["sz_chip"].pk, "applicant_id": world.people["wang"].pk,
                            "failure_explanation": "x"},
        "POST /api/funds": {"code": "F-X", "name_zh": "x", "manager_id": org["GZDZ-FOF-MGR"],
                            "supervisor_id": org["GZDZ-SASAC"], "size_yuan": 1, "vintage_date": "2025-01-01",
                            "term_years": 5, "categories": ["seed"]},
        "POST /api/transfers": {"unit_id": org["TJ-UNIV"], "code": "T-X", "achievement": "x", "method": "auction",
                                "transfer_date": "2025-09-01", "price_yuan": 1},
    }
    number = sz_case["number"]
    secrets = [number, "SECRET-EXPLANATION", "王博士"]
    checked = 0
    failures: list[str] = []
    for op in operations():
        method, path = op.split(" ", 1)
        url = (path.replace("{case_id}", str(sz_case["id"])).replace("{pack_ref}", "shenzhen-tolerance-guideline")
               .replace("{project_id}", str(world.projects["sz_chip"].pk)).replace("{fmt}", "docx"))
        for key in ("objection_id", "member_id", "letter_id", "obligation_id", "fund_id", "investment_id",
                    "transfer_id", "warning_id", "milestone_id", "change_id", "inspection_id", "correction_id",
                    "document_id"):
            url = url.replace("{" + key + "}", "1")
        for role in sorted(EVERYONE - RULES[op], key=str):
            c = Client()
            if role:
                c.force_login(world.users[role])
            body = json.dumps(real_bodies.get(op) or BODIES.get(op) or minimal_body(op))
            if op == "POST /api/cases/{case_id}/evidence":
                from django.core.files.uploadedfile import SimpleUploadedFile

                r = c.post(url, {"kind": "application_form",
                                 "file": SimpleUploadedFile("a.pdf", sample_pdf(), "application/pdf")})
            elif method == "GET":
                r = c.get(url)
            else:
                r = getattr(c, method.lower())(url, body, content_type="application/json")
            text = r.content.decode("utf-8", "replace")
            if r.status_code not in (401, 403, 404):
                failures.append(f"{op} as {role}: {r.status_code} {text[:120]}")
            elif any(s in text for s in secrets):
                failures.append(f"{op} as {role}: leaks {text[:120]}")
            checked += 1
    assert not failures, "\n".join(failures)
    assert checked > 150


@pytest.mark.parametrize("role", sorted(OUTSIDERS - {None}))
def test_lists_do_not_show_other_peoples_cases(sz_case, as_user, role) -> None:
    code, cases = as_user(role).get("/cases")
    assert code == 200 and sz_case["id"] not in [c["id"] for c in cases]
    code, deadlines = as_user(role).get("/deadlines")
    assert code == 200 and all(d["case_id"] != sz_case["id"] for d in deadlines)


def test_the_api_files_only_as_the_page_does(world, as_user, today) -> None:
    """Filing on someone else's project answered 201 through the API (the page /my/apply/ refuses it), and a
    caseworker could name any person as applicant, who then saw the case and the project (security review, hole 1).
    Now the API applies the page's rule: the applicant leads the project."""
    import datetime as dt

    from rongcuo.cases.models import Case

    today.set(dt.date(2025, 9, 10))
    chens = world.projects["zj_material"].pk
    before = Case.objects.count()
    code, err = as_user("wang").post("/cases", {"project_id": chens, "failure_explanation": "x"})
    assert code == 403 and err["field"] == "project_id" and "您负责的项目" in err["message"]["zh"]
    code, err = as_user("wang").post("/cases", {"project_id": chens, "applicant_id": world.people["wang"].pk,
                                                "failure_explanation": "x"})
    assert code == 403 and err["field"] == "project_id"
    code, err = as_user("zj_caseworker").post("/cases", {"project_id": chens,
                                                         "applicant_id": world.people["wang"].pk,
                                                         "failure_explanation": "x"})
    assert code == 400 and err["field"] == "applicant_id" and "负责人" in err["message"]["zh"]
    assert Case.objects.count() == before
    code, _ = as_user("wang").get(f"/registry/projects/{chens}")  # and so wang never reads chen's project
    assert code == 404
    # The lead, and the bureau's caseworker for the lead, still file.
    code, case = as_user("chen").post("/cases", {"project_id": chens, "failure_explanation": "技术路线失误"})
    assert code == 201 and case["applicant_id"] == world.people["chen"].pk
    code, case = as_user("zj_caseworker").post("/cases", {"project_id": chens, "applicant_id": world.people["chen"].pk,
                                                          "failure_explanation": "纸质申请录入"})
    assert code == 201
