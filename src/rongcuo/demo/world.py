"""Building blocks for realistic registries: used by the demo loader and by the tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from rongcuo.registry.models import Organisation, OrgKind, Person, Project, Role, RoleGrant, UnitType


def org(code: str, name_zh: str, name_en: str, kind: str, *, unit_type: str = UnitType.other,
        jurisdiction: tuple[str, str] = ("", ""), parent: Organisation | None = None,
        packs: list[str] | None = None, doc_prefix: str = "", review_body_zh: str = "",
        court_zh: str = "") -> Organisation:
    o, _ = Organisation.objects.update_or_create(
        code=code, defaults={"name_zh": name_zh, "name_en": name_en, "kind": kind, "unit_type": unit_type,
                             "jurisdiction_zh": jurisdiction[0], "jurisdiction_en": jurisdiction[1],
                             "parent": parent, "packs": packs or [], "doc_prefix": doc_prefix,
                             "review_body_zh": review_body_zh, "court_zh": court_zh})
    return o


class DemoRefused(Exception):
    """The demo is not loaded where RONGCUO_PRODUCTION=1: its accounts share a published password, one of them a
    superuser (admin / rongcuo-demo)."""

    def __init__(self) -> None:
        super().__init__("生产环境（RONGCUO_PRODUCTION=1）不载入演示数据：演示账号的密码是公开的 rongcuo-demo，"
                         "其中包括超级管理员 admin / the demo is not loaded in production (RONGCUO_PRODUCTION=1): its "
                         "accounts share the published password rongcuo-demo, the superuser admin among them")


def refuse_in_production() -> None:
    """Raise DemoRefused under RONGCUO_PRODUCTION=1; every demo loader calls it before it writes anything."""
    if getattr(settings, "PRODUCTION", False):
        raise DemoRefused


def user(username: str, *grants: tuple[str, Organisation | None], password: str = "rongcuo-demo",
         superuser: bool = False, name: str = "") -> Any:
    refuse_in_production()  # (the loaders check first; no demo account is ever made in production)
    User = get_user_model()
    u = User.objects.filter(username=username).first()
    if u is None:
        u = (User.objects.create_superuser if superuser else User.objects.create_user)(
            username=username, password=password, first_name=name)
    for role, organisation in grants:
        RoleGrant.objects.get_or_create(user=u, role=role, organisation=organisation)
    return u


def person(name: str, unit: Organisation, *, birth: dt.date | None = None, account: Any = None,
           title: str = "") -> Person:
    p, _ = Person.objects.update_or_create(name=name, unit=unit,
                                           defaults={"birth_date": birth, "user": account, "title": title})
    return p


def project(code: str, title: str, *, host: Organisation, bureau: Organisation, lead: Person, level: str,
            programme: str = "", budget: int = 1_000_000, mode: str = "ordinary",
            start: dt.date | None = None, end: dt.date | None = None, acceptance: dt.date | None = None,
            basic_public_welfare: bool = False, co: list[Person] | None = None) -> Project:
    p, _ = Project.objects.update_or_create(code=code, defaults={
        "title": title, "programme": programme, "funding_source": programme, "funding_level": level,
        "budget_yuan": Decimal(budget), "start_date": start, "end_date": end, "acceptance_date": acceptance,
        "project_mode": mode, "basic_public_welfare": basic_public_welfare, "host_unit": host, "bureau": bureau,
        "lead": lead})
    if co:
        p.co_investigators.set(co)
    return p


@dataclass
class World:
    """Two jurisdictions with their bureaus, units, people, accounts and projects."""

    orgs: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)


def build_world() -> World:
    w = World()
    o = w.orgs
    o["sz_bureau"] = org("SZ-STIB", "深圳市科技创新局", "Shenzhen Science, Technology and Innovation Bureau",
                         OrgKind.bureau, unit_type=UnitType.government, jurisdiction=("深圳市", "Shenzhen"),
                         packs=["shenzhen-tolerance-guideline"], doc_prefix="深科创容", review_body_zh="深圳市人民政府")
    o["zj_dept"] = org("ZJ-DST", "浙江省科学技术厅", "Zhejiang Department of Science and Technology", OrgKind.bureau,
                       unit_type=UnitType.government, jurisdiction=("浙江省", "Zhejiang"),
                       packs=["zhejiang-implementing-opinion"], doc_prefix="浙科容", review_body_zh="浙江省人民政府")
    o["zj_nsf"] = org("ZJ-NSF", "浙江省自然科学基金委员会办公室", "Zhejiang NSF Office", OrgKind.nsf_office,
                      unit_type=UnitType.government, jurisdiction=("浙江省", "Zhejiang"), parent=o["zj_dept"])
    o["szu"] = org("SZU", "深圳大学", "Shenzhen University", OrgKind.host_unit, unit_type=UnitType.university,
                   parent=o["sz_bureau"])
    o["sz_chip"] = org("SZ-CHIP", "深圳某芯片科技有限公司", "Shenzhen Chip Tech Co.", OrgKind.host_unit,
                       unit_type=UnitType.enterprise, parent=o["sz_bureau"])
    o["zju"] = org("ZJU", "浙江某大学", "A Zhejiang University", OrgKind.host_unit, unit_type=UnitType.university,
                   parent=o["zj_dept"])
    o["zj_hospital"] = org("ZJ-HOSP", "浙江某医院", "A Zhejiang Hospital", OrgKind.host_unit,
                           unit_type=UnitType.hospital, parent=o["zj_dept"])
    o["zj_institute"] = org("ZJ-RI", "浙江某研究院", "A Zhejiang Research Institute", OrgKind.host_unit,
                            unit_type=UnitType.institute, parent=o["zj_dept"])
    o["cpa"] = org("CPA-HZ", "杭州某会计师事务所", "A Hangzhou Accounting Firm", OrgKind.host_unit,
                   unit_type=UnitType.enterprise)
    u = w.users
    u["admin"] = user("admin", superuser=True)
    u["sz_caseworker"] = user("sz_caseworker", (Role.caseworker, o["sz_bureau"]), name="孙经办")
    # 浙江: the lead caseworker assigns the cases (to herself or to 吴经办); each caseworker claims unassigned ones
    u["zj_caseworker"] = user("zj_caseworker", (Role.caseworker, o["zj_dept"]), (Role.caseworker_lead, o["zj_dept"]),
                              name="周经办")
    u["zj_caseworker2"] = user("zj_caseworker2", (Role.caseworker, o["zj_dept"]), name="吴经办")
    u["zj_nsf"] = user("zj_nsf", (Role.caseworker, o["zj_nsf"]), name="郑经办")
    u["szu_reviewer"] = user("szu_reviewer", (Role.host_unit_reviewer, o["szu"]))
    u["zju_reviewer"] = user("zju_reviewer", (Role.host_unit_reviewer, o["zju"]))
    u["auditor"] = user("auditor", (Role.auditor, None))
    u["wang"] = user("wang")
    u["chen"] = user("chen")
    u["outsider"] = user("outsider")
    p = w.people
    p["wang"] = person("王博士", o["szu"], birth=dt.date(1988, 3, 2), account=u["wang"], title="副研究员")
    p["chen"] = person("陈研究员", o["zju"], birth=dt.date(1991, 11, 20), account=u["chen"], title="研究员")
    p["liu"] = person("刘工程师", o["sz_chip"], birth=dt.date(1980, 1, 5), title="高级工程师")
    committee(w, "sz", o["sz_bureau"])
    committee(w, "zj", o["zj_dept"])
    pr = w.projects
    pr["sz_chip"] = project("SZ-2023-AI-017", "人工智能芯片新架构研发", host=o["szu"], bureau=o["sz_bureau"],
                            lead=p["wang"], level="municipal", programme="深圳市科技计划 重点项目", budget=3_000_000,
                            mode="milestone", start=dt.date(2022, 7, 1), end=dt.date(2025, 6, 30))
    pr["zj_material"] = project("ZJ-2023-NM-042", "新型储能材料中试研究", host=o["zju"], bureau=o["zj_dept"],
                                lead=p["chen"], level="provincial", programme="浙江省重点研发计划", budget=2_000_000,
                                start=dt.date(2023, 1, 1), end=dt.date(2026, 12, 31),
                                acceptance=dt.date(2026, 12, 15))
    _experts(w)
    return w


#: Each demo bureau's committee (集体审议成员): account, name, title. Three named members each, so the demo
#: decisions are taken by a quorum of real votes.
COMMITTEES = {
    "sz": [("sz_committee", "周建国", "副局长"), ("sz_committee2", "吴晓梅", "处长"),
           ("sz_committee3", "郑立新", "调研员")],
    "zj": [("zj_committee", "钱志远", "副厅长"), ("zj_committee2", "孙丽华", "处长"),
           ("zj_committee3", "冯卫东", "二级巡视员")],
    "yn": [("yn_committee", "杨光明", "副厅长"), ("yn_committee2", "段春燕", "处长"),
           ("yn_committee3", "李学文", "调研员")],
}


def committee(w: World, key: str, bureau: Organisation) -> None:
    """The bureau's committee members: an account with the committee role and a registry person each."""
    for username, name, title in COMMITTEES[key]:
        w.users[username] = user(username, (Role.committee, bureau))
        w.people[username] = person(name, bureau, account=w.users[username], title=title)


EXPERTS = [
    # username, name, expertise, fields, unit key
    ("expert_li", "李教授", "technical", ["储能材料", "化学工程"], "zj_institute"),
    ("expert_zhao", "赵会计师", "financial", ["科研经费审计"], "cpa"),
    ("expert_wu", "吴研究员", "technical", ["储能材料"], "zju"),  # same unit as ZJU applicants: excluded there
    ("expert_he", "何教授", "technical", ["人工智能芯片", "集成电路"], "zj_institute"),
    ("expert_qian", "钱会计师", "financial", ["财政资金绩效"], "cpa"),
    ("expert_sun", "孙高工", "technical", ["电池中试", "工艺"], "sz_chip"),
    ("expert_lin", "林律师", "legal", ["科技法"], None),
    ("expert_ma", "马教授", "technical", ["新材料"], "zj_institute"),
]


def _experts(w: World) -> None:
    from rongcuo.review.models import Expert

    for username, name, expertise, fields, unit in EXPERTS:
        acc = user(username, (Role.expert, None))
        w.users[username] = acc
        Expert.objects.update_or_create(user=acc, defaults={
            "name": name, "expertise": expertise, "fields": fields, "unit": w.orgs[unit] if unit else None})
