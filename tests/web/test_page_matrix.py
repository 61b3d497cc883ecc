"""Role × page matrix, generated from the URL conf: every HTML page and form action (and the other apps' pages
included under monitoring/, funds/, i18n/) must have a rule here — a new route without one fails — and for
every route × role, a role the rule does not allow is refused (403/404, or a redirect to the login page for an
anonymous visitor), writes nothing and leaks nothing of the Shenzhen case, while an allowed role is not refused.
The JSON API is covered by `test_access_matrix`; the Django admin by `test_admin_site_is_for_staff_superusers`.

Each request runs in a savepoint that is rolled back, so a form an allowed role may use (with a real body: a
transition, an upload, an objection answer…) changes nothing for the next request, and a refused one can be
checked to have written nothing (no audit event, case, draft or exemption). To read the whole matrix of
statuses: `PAGE_MATRIX_DUMP=1 pytest -s tests/web/test_page_matrix.py`."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import traceback
import zipfile
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from tests.factories import PDF, step

from .test_access_matrix import EVERYONE as API_ROLES
from .test_access_matrix import ON_CASE as API_ON_CASE

# The API matrix's roles, plus an expert drawn onto the Shenzhen case's panel (so the expert's pages have a
# role that may use them; expert_li stays an expert who is not on it).
SEATED = "expert_he"
EVERYONE: set[str | None] = API_ROLES | {SEATED}
AUTHENTICATED = EVERYONE - {None}
READERS = API_ON_CASE | {SEATED}  # may read the Shenzhen case (roles_on_case is not empty)
FUND_READERS = {"auditor", "admin"}  # nobody here manages or supervises a demo fund
PEOPLE = {"wang", "chen"}  # accounts linked to a person in the registry (they can apply at all)
BUREAU_STAFF = {"sz_caseworker", "sz_committee", "zj_caseworker", "zj_committee", "auditor", "admin"}

# route (as in the URL conf) → roles that may use it on the Shenzhen case and its objects. The method is GET,
# or POST when the view refuses GET (405); routes that also take a POST have a second rule in POST_RULES.
PAGE_RULES: dict[str, set[str | None]] = {
    # Public.
    "": EVERYONE,
    "healthz": EVERYONE,
    "self-check/": EVERYONE,
    "packs/": EVERYONE,
    "packs/compare/": EVERYONE,
    "packs/<str:ref>/": EVERYONE,
    "notices/": EVERYONE,
    "notices/<int:case_id>/": EVERYONE,  # a Zhejiang case under public notice
    "notices/objections/": EVERYONE,  # an objection's status, by receipt number and lookup code
    "notices/<int:case_id>/pdf/": EVERYONE,  # its text as an official document
    "accounts/login/": EVERYONE,
    "accounts/logout/": EVERYONE,  # POST only
    "i18n/setlang/": EVERYONE,
    # Signed in: where one lands, and lists filtered to what the user may see (checked: no leak).
    "start/": AUTHENTICATED,
    "work/": AUTHENTICATED,
    # assigning the case to sz_caseworker: a caseworker lead of the bureau, an administrator, or the caseworker
    # (claiming it, from the queue)
    "work/assign/": {"sz_caseworker", "admin"},
    "my/": AUTHENTICATED,
    "my/apply/": {"wang"},  # tried from wang's draft for wang's project
    # Drafts are private to the applicant who writes them: saving over wang's draft, deleting it.
    "my/drafts/save/": {"wang"},
    "my/drafts/<int:draft_pk>/delete/": {"wang"},
    # API tokens: everyone's own; revoking wang's token: wang or an administrator.
    "my/tokens/": AUTHENTICATED,
    "my/tokens/<int:token_pk>/revoke/": {"wang", "admin"},
    "expert/": AUTHENTICATED,
    # Notifications: everyone's own inbox (marking read: POST) and e-mail switches.
    "inbox/": AUTHENTICATED,
    "inbox/read/": AUTHENTICATED,
    "inbox/preferences/": AUTHENTICATED,
    "funds/": AUTHENTICATED,
    "funds/transfers/": AUTHENTICATED,
    # The case page and what it links to: whoever may read the case.
    "cases/<int:pk>/": READERS,
    "cases/<int:pk>/evidence/<int:evidence_pk>/": READERS,
    "cases/<int:pk>/letters/<int:letter_pk>/<str:fmt>/": READERS,
    "cases/<int:pk>/receipt/<str:fmt>/": API_ON_CASE,  # the applicant, the host unit, the bureau: not the expert
    # The case page's forms (POST), as the API's rules for the same services.
    "cases/<int:pk>/transition/": {"sz_caseworker", "admin"},  # tried with action=accept
    # The caseworker claims the case; the administrator assigns it to the caseworker.
    "cases/<int:pk>/assign/": {"sz_caseworker", "admin"},
    # Each with a fact it may find (the Shenzhen rules ask the applicant to declare none, so not wang).
    "cases/<int:pk>/facts/": READERS - {"auditor", "wang"},
    "cases/<int:pk>/evidence/": {"wang", "szu_reviewer", "sz_caseworker", SEATED, "admin"},
    "cases/<int:pk>/panel/": {"sz_caseworker", "admin"},
    "cases/<int:pk>/panel/conclude/": {"sz_caseworker", "admin"},
    "cases/<int:pk>/panel/override/": {"sz_caseworker", "admin"},  # the reason to use a panel that breaks the rules
    # The caseworker withdraws a member; the member may withdraw (decline) themselves.
    "cases/<int:pk>/panel/members/<int:member_pk>/withdraw/": {"sz_caseworker", SEATED, "admin"},
    "cases/<int:pk>/objections/<int:objection_pk>/answer/": {"sz_caseworker", "admin"},
    # An objection's attachment: those who read the case's objections.
    "cases/<int:pk>/objections/<int:objection_pk>/attachments/<int:attachment_pk>/": {
        "sz_caseworker", "sz_committee", "auditor", "admin"},
    "cases/<int:pk>/obligations/<int:obligation_pk>/fulfil/": {"wang", "sz_caseworker", "admin"},
    # Experts: only the seat's holder.
    "expert/cases/<int:pk>/review/": {SEATED},
    "expert/cases/<int:pk>/decline/": {SEATED},
    # The collective decision page: the committee, caseworkers, auditors (reading) and administrators.
    "committee/cases/<int:pk>/": {"sz_committee", "sz_caseworker", "auditor", "admin"},
    # A member's own vote: members of the bureau's committee only, not even an administrator.
    "committee/cases/<int:pk>/vote/": {"sz_committee"},
    # Statistics: staff (caseworkers of a bureau or an NSF office, committees, auditors, administrators).
    "dashboard/": BUREAU_STAFF | {"zj_nsf"},
    "dashboard/export.xlsx": BUREAU_STAFF | {"zj_nsf"},
    # Registry import: a bureau's caseworker or an administrator.
    "registry/import/": {"sz_caseworker", "zj_caseworker", "admin"},
    "registry/import/template.xlsx": {"sz_caseworker", "zj_caseworker", "admin"},
    # Monitoring: bureau staff, auditors, administrators; the Shenzhen project's page for its bureau's.
    "monitoring/": BUREAU_STAFF,
    "monitoring/projects/<int:pk>/": {"sz_caseworker", "sz_committee", "auditor", "admin"},
    # A state fund, an investment's exemption and a transfer record of the demo.
    "funds/<int:pk>/": FUND_READERS,
    "funds/investments/<int:pk>/exemption/": FUND_READERS,
    "funds/transfers/<int:pk>/": FUND_READERS,
}
# Routes that answer GET and also take a POST, with who may post.
POST_RULES: dict[str, set[str | None]] = {
    "notices/<int:case_id>/": EVERYONE,  # the objection form
    "notices/objections/": EVERYONE,  # a look-up with the number and its code
    "accounts/login/": EVERYONE,  # wrong password: the form again
    "i18n/setlang/": EVERYONE,
    "my/tokens/": AUTHENTICATED,  # issuing a token for oneself
    "inbox/preferences/": AUTHENTICATED,  # one's own e-mail switches
    "expert/cases/<int:pk>/review/": {SEATED},
    "committee/cases/<int:pk>/": {"sz_committee", "sz_caseworker", "admin"},  # the auditor reads, never decides
    "registry/import/": {"sz_caseworker", "zj_caseworker", "admin"},
    "funds/investments/<int:pk>/exemption/": {"admin"},  # the supervisor or an administrator decides
}
# Further URLs of a route (a query that opens a private object), with who may open them.
VARIANTS: dict[str, list[tuple[str, set[str | None]]]] = {
    "my/": [("?draft={draft}", {"wang"})],  # loads wang's draft into the form
}
# Forms that refuse an account with no person in the registry (nobody to apply as) with the form's 400,
# besides 404 for someone else's draft: still refusals, checked to write and leak nothing.
FORM_REFUSALS = {"my/apply/", "my/drafts/save/"}
# Allowed GETs that answer with a redirect rather than a page.
REDIRECTS = {"start/", "i18n/setlang/"}
SKIP = ("api/", "admin/", "static/", "media/")  # the API and the admin: tested elsewhere / below


def routes() -> list[str]:
    """Every route of the site as written in the URL conf (prefixes of included apps joined)."""
    out: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern).lstrip("^")
            if isinstance(p, URLResolver):
                if not route.startswith(SKIP):
                    walk(p.url_patterns, route)
            elif not route.startswith(SKIP):
                out.append(route)

    walk(get_resolver().url_patterns, "")
    return out


def test_every_page_has_an_access_rule() -> None:
    found = routes()
    missing = [r for r in found if r not in PAGE_RULES]
    assert not missing, f"pages without an access rule in this matrix: {missing}"
    stale = [r for r in PAGE_RULES if r not in found] + [r for r in POST_RULES if r not in found]
    assert not stale, f"rules for pages that no longer exist: {stale}"
    assert len(found) >= 40


# --- the Shenzhen case and its objects ----------------------------------------------------------------

EVIDENCE_NAME = "机密佐证-SZ-EVIDENCE-7731.pdf"


@dataclass
class Objects:
    ids: dict[str, Any] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)  # of the Shenzhen case: readers only
    fund_secrets: list[str] = field(default_factory=list)  # of the fund and transfer: fund readers only
    draft_secrets: list[str] = field(default_factory=list)  # of wang's draft: wang only


@pytest.fixture
def objects(world, as_user, today, settings, tmp_path) -> Objects:
    from rongcuo.cases import services as svc
    from rongcuo.cases.models import Case, Deadline, Evidence, ExpertAssignment, Objection, ObjectionAttachment, Receipt
    from rongcuo.cases.services.objections import lookup_hash
    from rongcuo.cases.tokens import token_issue
    from rongcuo.demo.funds import funds_demo_load
    from rongcuo.funds.models import Fund, Investment, TransferRecord
    from rongcuo.review.models import Expert, Letter, Obligation, Panel, PanelMember

    settings.MEDIA_ROOT = tmp_path / "media"
    funds_demo_load()
    today.set(dt.date(2025, 9, 10))
    # The Shenzhen case, filed by its applicant as in the API matrix, with the application form.
    code, case = as_user("wang").post("/cases", {"project_id": world.projects["sz_chip"].pk,
                                                 "failure_explanation": "机密的失败说明 SECRET-EXPLANATION",
                                                 "relevant_date": "2025-09-10"})
    assert code == 201, case
    code, ev = as_user("wang").upload(case["id"], "application_form", name=EVIDENCE_NAME)
    assert code == 201, ev
    sz = Case.objects.get(pk=case["id"])
    # Its review objects. The Shenzhen procedure draws no panel, files no objection and has issued no letter
    # yet, so they are made directly: what is tested is who reaches them, not how they came about.
    he = Expert.objects.get(user__username=SEATED)
    panel = Panel.objects.create(case=sz, seed="matrix", size=1, candidates=[he.pk], order=[he.pk],
                                 drawn_by=world.users["sz_caseworker"], drawn_at=timezone.now())
    member = PanelMember.objects.create(panel=panel, expert=he)
    ExpertAssignment.objects.create(case=sz, expert=he.user)
    objection = Objection.objects.create(case=sz, name="张三", contact="13800000000", text="有异议",
                                         filed_at=timezone.now(), receipt_number="YY20250910-MATRIX",
                                         lookup_hash=lookup_hash("MATR-IXCO-DE22-2222"))
    attachment = ObjectionAttachment(objection=objection, original_name="记录.pdf", content_type="application/pdf",
                                     size=len(PDF), sha256="0" * 64)
    attachment.file.save("matrix-objection.pdf", ContentFile(PDF), save=False)
    attachment.save()
    obligation = Obligation.objects.create(case=sz, key="submit_report", clause="sz.x", label_zh="提交总结报告",
                                           label_en="Submit the final report", document_kind="final_report")
    letter = Letter(case=sz, doc_number="SZ-STIB容〔2025〕99号", docx_sha256="0" * 64, issued_on=dt.date(2025, 9, 10))
    letter.docx.save("matrix-letter.docx", ContentFile(b"PK matrix letter"), save=False)
    letter.save()
    receipt = Receipt(case=sz, doc_number="深科创容受〔2025〕99号", docx_sha256="0" * 64, pdf_sha256="0" * 64,
                      text_sha256="0" * 64, issued_on=dt.date(2025, 9, 10))
    receipt.docx.save("matrix-receipt.docx", ContentFile(b"PK matrix receipt"), save=False)
    receipt.pdf.save("matrix-receipt.pdf", ContentFile(b"%PDF matrix receipt"), save=False)
    receipt.save()
    # wang's draft of another application (private to wang, even from the Shenzhen caseworkers).
    draft = svc.draft_save(actor=world.users["wang"], applicant=world.people["wang"], project=world.projects["sz_chip"],
                           pack_id="", failure_explanation="草稿里的说明 DRAFT-SECRET-4471")
    token, _ = token_issue(actor=world.users["wang"], user=world.users["wang"], label="wang's script")
    # A Zhejiang case under public notice (the public notice page and its objection form).
    code, zj = as_user("chen").post("/cases", {"project_id": world.projects["zj_material"].pk,
                                               "failure_explanation": "中试失败", "relevant_date": "2025-09-01"})
    assert code == 201, zj
    Case.objects.filter(pk=zj["id"]).update(stage="public_notice")
    Deadline.objects.create(case_id=zj["id"], key="stage:public_notice", label_zh="公示期", label_en="Notice",
                            start_date=dt.date(2025, 9, 9), days=7, day_kind="natural",
                            due_date=dt.date(2025, 9, 16))
    fund = Fund.objects.get(code="GZDZ-DI-2025")
    investment = Investment.objects.filter(fund=fund).first()
    transfer = TransferRecord.objects.first()
    assert investment is not None and transfer is not None
    return Objects(
        ids={"case": sz.pk, "evidence": Evidence.objects.get(case=sz).pk, "member": member.pk,
             "objection": objection.pk, "attachment": attachment.pk, "obligation": obligation.pk,
             "letter": letter.pk, "notice": zj["id"],
             "project": world.projects["sz_chip"].pk, "fund": fund.pk, "investment": investment.pk,
             "transfer": transfer.pk, "sz_chip": world.projects["sz_chip"].pk, "draft": draft.pk,
             "sz_caseworker": world.users["sz_caseworker"].pk,
             "token": token.pk},
        secrets=[sz.number, sz.project.title, sz.applicant.name, EVIDENCE_NAME, "SECRET-EXPLANATION"],
        fund_secrets=[fund.name_zh, transfer.achievement], draft_secrets=["DRAFT-SECRET-4471"])


# Which object a route's <pk> names, by the route's beginning (the more specific first).
PK_OF = [("funds/investments/", "investment"), ("funds/transfers/", "transfer"), ("funds/", "fund"),
         ("monitoring/projects/", "project"), ("cases/", "case"), ("expert/cases/", "case"),
         ("committee/cases/", "case")]
PARAMS = {"draft_pk": "draft", "evidence_pk": "evidence", "member_pk": "member", "objection_pk": "objection",
          "attachment_pk": "attachment",
          "obligation_pk": "obligation", "letter_pk": "letter", "case_id": "notice",
          "token_pk": "token"}


def fill(route: str, o: Objects) -> str:
    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        if name == "ref":
            return "shenzhen-tolerance-guideline"
        if name == "fmt":
            return "docx"
        key = next((k for prefix, k in PK_OF if route.startswith(prefix)), None) if name == "pk" \
            else PARAMS.get(name)
        if key is None:
            raise AssertionError(f"{route}: this matrix does not know what <{name}> names; add it to PK_OF/PARAMS")
        return str(o.ids[key])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, route)


# A fact of the Shenzhen rules each role may find, and as what (the others try the bureau's investigation).
FACT_OF = {"szu_reviewer": ("sz_covered_party", "host_unit_attestation"),
           "sz_committee": ("sought_private_gain", "committee"),
           SEATED: ("failure_technical_route", "expert_panel_finding")}
INVESTIGATION = ("sz_municipal_fiscal_funds", "investigation_finding")


def body(route: str, o: Objects, role: str | None) -> dict[str, Any]:
    """A POST body that passes the form's own checks, so a refusal is about who asks, not what is sent."""
    return {
        "cases/<int:pk>/transition/": step("accept"),
        "cases/<int:pk>/assign/": {"assignee": str(o.ids["sz_caseworker"]) if role == "admin" else "me"},
        "work/assign/": {"cases": [str(o.ids["case"])], "assignee": str(o.ids["sz_caseworker"])},
        "cases/<int:pk>/facts/": {f"fact.{FACT_OF.get(role, INVESTIGATION)[0]}": "1",
                                  "role": FACT_OF.get(role, INVESTIGATION)[1]},
        "cases/<int:pk>/evidence/": {"kind": "situation_statement",
                                     "file": SimpleUploadedFile("more.pdf", PDF, "application/pdf")},
        "cases/<int:pk>/panel/members/<int:member_pk>/withdraw/": {"reason": "与申请人有合作"},
        "cases/<int:pk>/objections/<int:objection_pk>/answer/": {"answer": "经核实不成立", "sustained": "0"},
        "cases/<int:pk>/obligations/<int:obligation_pk>/fulfil/": {
            "note": "已提交", "file": SimpleUploadedFile("report.pdf", PDF, "application/pdf")},
        "my/apply/": {"project": str(o.ids["sz_chip"]), "failure_explanation": "失败说明", "pack_id": "",
                      "draft": str(o.ids["draft"])},
        "my/drafts/save/": {"project": str(o.ids["sz_chip"]), "failure_explanation": "改写", "pack_id": "",
                            "draft": str(o.ids["draft"])},
        "my/tokens/": {"label": "matrix"},
        "inbox/read/": {"all": "1"},
        "inbox/preferences/": {"email.assigned": "1"},
        "expert/cases/<int:pk>/decline/": {"reason": "近三年与申请人有合作"},
        "expert/cases/<int:pk>/review/": {"opinion": ""},
        "committee/cases/<int:pk>/": {"decision": "exempt", "reasons": "理由"},
        "committee/cases/<int:pk>/vote/": {"vote": "exempt", "vote_reasons": "理由"},
        "notices/objections/": {"receipt_number": "YY20250910-MATRIX", "lookup_code": "MATR-IXCO-DE22-2222"},
        "notices/<int:case_id>/": {"name": "张三", "contact": "13800000000", "text": "有异议"},
        "accounts/login/": {"username": "wang", "password": "wrong"},
        "i18n/setlang/": {"language": "en", "next": "/"},
        "funds/investments/<int:pk>/exemption/": {},
    }.get(route, {})


def readable(response: Any) -> str:
    """The body (inside the parts of a .docx/.xlsx too) and the headers that could carry a name."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    parts = [raw.decode("utf-8", "replace"), response.get("Location", ""), response.get("Content-Disposition", "")]
    if raw[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                parts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
        except zipfile.BadZipFile:
            pass
    return "\n".join(parts)


def writes() -> tuple[Any, ...]:
    """What a refused request must leave as it was: the audit trail, the cases, the drafts, the exemptions."""
    from rongcuo.audit.models import AuditEvent
    from rongcuo.cases.models import ApplicationDraft, Case
    from rongcuo.funds.models import ManagerExemption

    return (AuditEvent.objects.count(), Case.objects.count(), ManagerExemption.objects.count(),
            list(ApplicationDraft.objects.order_by("pk").values_list("pk", "version", "failure_explanation")))


# What a page shows when a template prints a method instead of calling it (Jinja2 does not call it, as Django's
# engine did) or an object without a text of its own.
PRINTED_OBJECT = re.compile(r"(bound method |&lt;function |&lt;[\w.]+ object at 0x)[^\s\"]*")


@pytest.mark.slow
def test_forbidden_pages_are_refused_and_leak_nothing(objects: Objects, world) -> None:
    from django.contrib.auth import get_user_model
    from django.core.cache import cache

    users = {**world.users, SEATED: get_user_model().objects.get(username=SEATED)}
    sessions: dict[str | None, str] = {}
    for role in EVERYONE - {None}:
        c = Client()
        c.force_login(users[role])
        sessions[role] = c.cookies[settings.SESSION_COOKIE_NAME].value
    login = "/accounts/login/"

    shared = Client()  # one client (and one middleware chain: WhiteNoise scans the static files per chain)

    def client(role: str | None) -> Client:
        """The shared client as `role`: only that role's session cookie (a login, a logout or a flashed
        message of the request before is not carried over)."""
        shared.cookies = SimpleCookie()
        if role is not None:
            shared.cookies[settings.SESSION_COOKIE_NAME] = sessions[role]
        return shared

    pairs: list[tuple[str, str, str, set[str | None]]] = []  # route, method, url, allowed roles
    for route in routes():
        url = fill(route, objects)
        method = "POST" if client("admin").get(url).status_code == 405 else "GET"
        pairs.append((route, method, url, PAGE_RULES[route]))
        if route in POST_RULES:
            pairs.append((route, "POST", url, POST_RULES[route]))
        for query, allowed in VARIANTS.get(route, []):
            pairs.append((route, "GET", url + query.format(**objects.ids), allowed))

    failures: list[str] = []
    statuses: dict[str, dict[str, int]] = {}
    shown = shown_to_readers(objects)
    controls: dict[tuple[str, str | None], str] = {}
    checked = 0
    for route, method, url, allowed in pairs:
        for role in sorted(EVERYONE, key=str):
            cache.clear()  # rate limits (objections, logins) are per test, not per request
            c = client(role)
            where = f"{method} {url} ({route}) as {role}"
            with transaction.atomic():
                before = writes()
                try:
                    r = c.post(url, body(route, objects, role)) if method == "POST" else c.get(url)
                except Exception:
                    failures.append(f"{where}: raised\n{traceback.format_exc(limit=-3)}")
                    transaction.set_rollback(True)
                    continue
                changed = writes() != before
                transaction.set_rollback(True)
            checked += 1
            status, text = r.status_code, readable(r)
            statuses.setdefault(f"{method} {url}", {})[str(role)] = status
            if (f"{method} {url}", role) in shown:
                controls[(f"{method} {url}", role)] = text
            if status >= 500:
                failures.append(f"{where}: {status}")
                continue
            printed = PRINTED_OBJECT.search(r.content.decode(errors="replace")) if r.get("Content-Type", "").startswith(
                "text/html") else None
            if printed:  # a template printed a method or an object where Django's engine would have called it
                failures.append(f"{where}: prints a Python object: {printed.group(0)!r}")
            if role in allowed:
                if method == "GET" and not (status == 200 or (route in REDIRECTS and status == 302)):
                    failures.append(f"{where}: allowed, but {status} {r.get('Location', '')}")
                elif method == "POST" and status in (401, 403, 404, 405):
                    failures.append(f"{where}: allowed, but refused with {status}")
            else:
                if role is None:
                    if status != 302 or not r["Location"].startswith(login):
                        failures.append(f"{where}: anonymous, expected a redirect to {login}, got {status} "
                                        f"{r.get('Location', '')}")
                elif not (status in (403, 404)
                          or (route in FORM_REFUSALS and status == 400 and role not in PEOPLE)):
                    failures.append(f"{where}: forbidden, but {status} {r.get('Location', '')}")
                if changed:
                    failures.append(f"{where}: forbidden, but something was written")
            hidden = ([] if role in READERS else objects.secrets) + \
                ([] if role in FUND_READERS else objects.fund_secrets) + \
                ([] if role == "wang" else objects.draft_secrets)
            leaked = [s for s in hidden if s in text]
            if leaked:
                failures.append(f"{where}: {status}, leaks {leaked}")
    if os.environ.get("PAGE_MATRIX_DUMP"):  # the whole matrix of statuses, to read
        for k, v in statuses.items():
            print(k, " ".join(f"{r}={c}" for r, c in v.items()))
    # The secrets are where they belong (else the leak check above could not see them leak).
    for key, wanted in shown.items():
        missing = [s for s in wanted if s not in controls.get(key, "")]
        if missing:
            failures.append(f"{key[0]} as {key[1]}: should show {missing}")
    assert not failures, f"{len(failures)} of {checked} checks failed:\n" + "\n".join(failures)
    assert checked >= 45 * len(EVERYONE)


def shown_to_readers(o: Objects) -> dict[tuple[str, str | None], list[str]]:
    """Pages that must show the secrets to whom may read them."""
    return {(f"GET /cases/{o.ids['case']}/", "sz_caseworker"): o.secrets,
            (f"GET /cases/{o.ids['case']}/", "wang"): o.secrets,
            (f"GET /funds/{o.ids['fund']}/", "auditor"): o.fund_secrets[:1],
            (f"GET /funds/transfers/{o.ids['transfer']}/", "auditor"): o.fund_secrets[1:],
            (f"GET /my/?draft={o.ids['draft']}", "wang"): o.draft_secrets}


@pytest.mark.parametrize("path", ["/admin/", "/admin/workdays/calendarday/", "/admin/auth/user/"])
def test_admin_site_is_for_staff_superusers(world, path: str) -> None:
    for role in sorted(API_ROLES, key=str):
        c = Client()
        if role:
            c.force_login(world.users[role])
        r = c.get(path)
        if role == "admin":
            assert r.status_code == 200, path
        else:
            assert r.status_code == 302 and r["Location"].startswith("/admin/login/"), (path, role, r.status_code)
            assert "王博士" not in r.content.decode()
