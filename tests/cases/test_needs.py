"""Every unknown fact becomes someone's task: the facts still needed by party on the case page and in the API, the
work queue's "awaiting me", and a fact form that asks only the user's facts and reports every problem at once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from rongcuo.cases.models import Case, CaseFact, CaseNeed
from tests.factories import Api, file_case


@pytest.fixture
def chens(demo: dict[str, Case], world: Any, as_user: Any) -> Case:
    """A Zhejiang application just filed by chen (浙江某大学): it waits for the host unit's attestations."""
    filed = file_case(as_user("chen"), world, "zj_material", "chen", "zhejiang-implementing-opinion", "2025-10-09")
    return Case.objects.get(pk=filed["id"])


def client(name: str, lang: str | None = None) -> Client:
    c = Client()
    c.force_login(get_user_model().objects.get(username=name))
    if lang:
        c.cookies["django_language"] = lang
    return c


def awaiting_numbers(name: str) -> set[str]:
    html = client(name).get("/work/?view=awaiting").content.decode()
    return set(re.findall(r'data-case="(RC-\d+-\d+)"', html))


def number(demo: dict[str, Case], code: str) -> str:
    return demo[code].number


def test_the_work_queue_lists_the_cases_awaiting_each_party(demo: dict[str, Case], chens: Case) -> None:
    # chen's new application needs the host unit's attestations; RC-…8 is at the collective decision and needs the
    # committee's finding; RC-…7 is with the expert panel.
    assert chens.number in awaiting_numbers("zju_reviewer")
    assert chens.number not in awaiting_numbers("szu_reviewer")
    committee = awaiting_numbers("zj_committee")
    assert number(demo, "ZJ-2024-203") in committee
    assert number(demo, "ZJ-2024-202") not in committee  # needs committee facts too, but is not at its stage yet
    assert number(demo, "ZJ-2024-202") in awaiting_numbers("expert_li")
    assert number(demo, "ZJ-2024-202") in awaiting_numbers("zj_caseworker")
    # a settled case waits for no one; someone with no role sees nothing waiting
    assert number(demo, "ZJ-2024-204") not in awaiting_numbers("zj_caseworker")
    assert awaiting_numbers("outsider") == set()
    # the tab shows the count; each row how many facts wait for the user
    html = client("zju_reviewer").get("/work/?view=awaiting").content.decode()
    count = int(re.search(r'data-awaiting="(\d+)"', html).group(1))
    assert count == len(awaiting_numbers("zju_reviewer")) >= 1
    assert re.search(r'data-waiting="2"', html)  # researcher in the province, termination applied for


def test_the_case_page_lists_what_is_still_needed_by_whom(demo: dict[str, Case], chens: Case) -> None:
    case = chens
    html = client("zju_reviewer").get(f"/cases/{case.pk}/").content.decode()
    section = html[html.index('id="needs-head"'):html.index('id="det-head"')]
    for label in ("承担单位证明", "调查核实", "专家评审", "集体审定", "主管部门经办人", "评审专家组"):
        assert label in section
    host = section[section.index('data-party="host_unit_attestation"'):]
    assert 'class="mine"' in section and "待您认定" in host[:400]
    assert "zj_researcher_in_province" not in re.sub(r'(href|id|for|name)="[^"]*"', "", section)  # labels only
    english = client("zju_reviewer", "en").get(f"/cases/{case.pk}/").content.decode()
    assert "Facts still needed, and who establishes them" in english and "Host unit&#39;s attestation" in english


def test_the_fact_form_asks_only_the_users_facts_prefilled(demo: dict[str, Case], chens: Case) -> None:
    case = chens
    html = client("zju_reviewer").get(f"/cases/{case.pk}/").content.decode()
    form = html[html.index('id="facts-form"'):]
    asked = set(re.findall(r'name="fact\.(\w+)"', form))
    assert asked == {"zj_researcher_in_province", "zj_termination_application"}
    assert 'name="role"' not in form  # no role to choose: each fact is recorded as the user's kind of finding
    cw = client("zj_caseworker").get(f"/cases/{demo['ZJ-2024-202'].pk}/").content.decode()
    cw_form = set(re.findall(r'name="fact\.(\w+)"', cw[cw.index('id="facts-form"'):]))
    assert "failure_force_majeure" in cw_form  # investigation finding
    assert "failure_technical_route" not in cw_form  # the expert panel's (Zhejiang has a panel stage)
    assert "liability_required_by_law" not in cw_form  # the committee's
    # Shenzhen has no panel stage: its caseworker records the panel's findings as clerk, and is asked for them
    sz = client("sz_caseworker").get(f"/cases/{demo['SZ-2024-101'].pk}/").content.decode()
    assert "failure_technical_route" in set(re.findall(r'name="fact\.(\w+)"', sz[sz.index('id="facts-form"'):]))


def test_one_submission_records_the_host_units_facts_and_the_case_leaves_its_queue(chens: Case) -> None:
    case = chens
    c = client("zju_reviewer")
    r = c.post(f"/cases/{case.pk}/facts/", {"version": case.version, "fact.zj_researcher_in_province": "1",
                                            "fact.zj_termination_application": "1"})
    assert r.status_code == 302
    rows = CaseFact.objects.filter(case=case, current=True, fact_id__in=["zj_researcher_in_province",
                                                                         "zj_termination_application"])
    assert {(f.fact_id, f.role, f.value) for f in rows} == {
        ("zj_researcher_in_province", "host_unit_attestation", True),
        ("zj_termination_application", "host_unit_attestation", True)}
    assert not CaseNeed.objects.filter(case=case, party="host_unit_attestation").exists()
    assert case.number not in awaiting_numbers("zju_reviewer")
    # the form now shows the findings, and submitting it unchanged records nothing new
    case.refresh_from_db()
    again = c.post(f"/cases/{case.pk}/facts/", {"version": case.version, "fact.zj_researcher_in_province": "1",
                                                "fact.zj_termination_application": "1"})
    assert again.status_code == 400 and "没有改动任何事实" in again.content.decode()
    assert CaseFact.objects.filter(case=case, fact_id="zj_researcher_in_province").count() == 1


def test_every_problem_is_reported_at_once_by_label_and_nothing_is_stored(demo: dict[str, Case]) -> None:
    case = demo["SZ-2024-100"]
    before = CaseFact.objects.filter(case=case).count()
    version = Case.objects.get(pk=case.pk).version
    r = client("sz_caseworker").post(f"/cases/{case.pk}/facts/", {
        "version": version, "fact.failed_assessment": "maybe", "fact.sz_municipal_fiscal_funds": "perhaps",
        "fact.acted_proactively": "1"})
    assert r.status_code == 400
    page = r.content.decode()
    assert "有 2 处需要更正" in page
    assert "“未通过考核评估”" in page or "考核" in page
    assert page.count('class="field-error" id="err-') == 2
    assert "failed_assessment" not in re.sub(r'(href|id|for|name|value)="[^"]*"', "", page.split('id="facts-form"')[1])
    assert CaseFact.objects.filter(case=case).count() == before
    assert Case.objects.get(pk=case.pk).version == version
    # what was entered is shown again: the valid choice stays selected
    acted = page[page.index('name="fact.acted_proactively"'):]
    assert re.search(r'<option value="1" selected', acted[:600])


def test_the_api_gives_the_needs_by_party_and_refuses_another_partys_fact(chens: Case, world: Any) -> None:
    case = chens
    api = Api(world.users["zju_reviewer"])
    code, body = api.get(f"/cases/{case.pk}")
    assert code == 200
    by_party = {g["party"]: g for g in body["needed"]}
    assert by_party["host_unit_attestation"]["yours"] and not by_party["committee"]["yours"]
    assert {f["fact_id"] for f in by_party["host_unit_attestation"]["facts"]} >= {"zj_researcher_in_province"}
    assert by_party["host_unit_attestation"]["label"] == {"zh": "承担单位证明", "en": "Host unit's attestation"}
    code, listed = api.get("/cases", awaiting="true")
    assert code == 200 and case.pk in {c["id"] for c in listed}
    # another party's fact and a wrong type, in one request: both named, by label, in both languages; nothing stored
    before = CaseFact.objects.filter(case=case).count()
    code, err = api.post(f"/cases/{case.pk}/facts", {"facts": {"research_misconduct": False,
                                                               "zj_researcher_in_province": "yes please"}})
    assert code == 400
    fields = {p["field"]: p["message"] for p in err["problems"]}
    assert set(fields) == {"research_misconduct", "zj_researcher_in_province"}
    assert "应由" in fields["research_misconduct"]["zh"] and "not by you" in fields["research_misconduct"]["en"]
    assert "research_misconduct" not in fields["research_misconduct"]["zh"]
    code, err = api.post(f"/cases/{case.pk}/facts", {"facts": {"research_misconduct": False}})
    assert code == 403 and err["field"] == "research_misconduct"
    assert CaseFact.objects.filter(case=case).count() == before


def test_the_party_asked_for_facts_is_told_and_told_again_only_of_new_ones(chens: Case, world: Any) -> None:
    from rongcuo.notifications.models import Notification

    def asked(name: str) -> list[Notification]:
        return list(Notification.objects.filter(recipient=world.users[name], case=chens, kind="facts_requested"))

    from rongcuo.common.packs import pack_of

    told = asked("zju_reviewer")
    assert len(told) == 1
    assert pack_of(chens).facts["zj_researcher_in_province"].label.zh in told[0].body_zh
    assert "zj_researcher_in_province" not in told[0].body_zh + told[0].body_en
    assert asked("zj_committee") == []  # the committee is asked only once the case reaches its stage
    # recording one of the two facts asks nothing new of the host unit
    case = Case.objects.get(pk=chens.pk)
    client("zju_reviewer").post(f"/cases/{case.pk}/facts/", {"version": case.version,
                                                               "fact.zj_researcher_in_province": "1"})
    assert len(asked("zju_reviewer")) == 1


def test_the_self_check_answers_carry_into_the_application_as_declarations(world: Any, clock: Any) -> None:
    from rongcuo.cases.models import Declaration

    chen = client("chen")
    check = chen.get("/self-check/?pack=zhejiang-implementing-opinion&f.zj_researcher_in_province=1"
                     "&f.failure_technical_route=1&f.research_misconduct=0&f.violated_prohibitions=?").content.decode()
    link = re.search(r'href="(/my/\?[^"#]+)#apply-form"', check)
    assert link and "据此申请" in check
    form = chen.get(link.group(1).replace("&amp;", "&")).content.decode()
    carried = dict(re.findall(r'name="f\.(\w+)" value="([^"]*)"', form))
    assert carried == {"zj_researcher_in_province": "1", "failure_technical_route": "1", "research_misconduct": "0"}
    assert 'name="from_self_check" value="zhejiang-implementing-opinion"' in form
    zj = "zhejiang-implementing-opinion"
    r = chen.post("/my/apply/", {"project": world.projects["zj_material"].pk, "pack_id": zj,
                                 "failure_explanation": "材料中试未达预期。", "from_self_check": zj,
                                 **{f"f.{k}": v for k, v in carried.items()}})
    assert r.status_code == 302
    case = Case.objects.get(pk=int(r["Location"].rstrip("/").split("/")[-1]))
    declared = {d.fact_id: d for d in Declaration.objects.filter(case=case)}
    assert {k: d.value for k, d in declared.items()} == {"zj_researcher_in_province": True,
                                                         "failure_technical_route": True, "research_misconduct": False}
    d = declared["zj_researcher_in_province"]
    assert d.declared_by == world.users["chen"] and d.source == "self_check"
    assert d.source_pack.startswith("self-check:zhejiang-implementing-opinion@") and d.finding is None
    # never a finding: the engine still needs the fact, from the host unit
    assert not CaseFact.objects.filter(case=case, fact_id="zj_researcher_in_province").exists()
    assert CaseNeed.objects.filter(case=case, fact_id="zj_researcher_in_province").exists()
    # shown to the host unit "to confirm", beside an empty input; confirming it records the host unit's finding
    page = client("zju_reviewer").get(f"/cases/{case.pk}/").content.decode()
    assert 'data-declared="zj_researcher_in_province"' in page and "待核实" in page
    case.refresh_from_db()
    client("zju_reviewer").post(f"/cases/{case.pk}/facts/", {"version": case.version,
                                                               "fact.zj_researcher_in_province": "1"})
    d.refresh_from_db()
    assert d.finding is not None and d.finding.role == "host_unit_attestation"
    # a wrong value in a carried answer is refused with the filing, naming the answer by its label
    before = Case.objects.count()
    r = chen.post("/my/apply/", {"project": world.projects["zj_material"].pk, "failure_explanation": "再次申请。",
                                 "f.zj_researcher_in_province": "perhaps"})
    assert r.status_code == 400 and Case.objects.count() == before
    assert "自查回答“" in r.content.decode()
