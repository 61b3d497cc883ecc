from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

from rongcuo.common import packs as case_packs
from rongcuo.demo.world import org, user
from rongcuo.engine.pack import default_root
from rongcuo.funds import services as svc
from rongcuo.registry.models import OrgKind, Role, UnitType

DILIGENT = {"due_diligence_conducted": True, "investment_committee_approved": True,
            "post_investment_management_diligent": True, "sought_private_gain": False}


TODAY = dt.date(2027, 6, 30)


@pytest.fixture(autouse=True)
def _funds_urls(settings) -> None:
    settings.ROOT_URLCONF = "tests.funds.urls"


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scenarios run on fixed dates; the services refuse records dated after “today”."""
    monkeypatch.setattr("rongcuo.funds.services.today", lambda: TODAY)
    monkeypatch.setattr("rongcuo.funds.selectors.today", lambda: TODAY)


class FWorld:
    def __init__(self) -> None:
        o = self.orgs = {}
        o["gz_bureau"] = org("T-GZ-SASAC", "广州开发区国有资产监督管理局", "Guangzhou Development District SASAC",
                             OrgKind.bureau, unit_type=UnitType.government,
                             packs=["guangzhou-devzone-direct-investment"])
        o["gz_mgr"] = org("T-GZ-MGR", "广州开发区某科创投资管理有限公司", "A Guangzhou fund manager", OrgKind.fund,
                          parent=o["gz_bureau"])
        o["ft_bureau"] = org("T-FT-SASAC", "深圳市福田区国有资产监督管理局", "Futian SASAC", OrgKind.bureau,
                             unit_type=UnitType.government, packs=["futian-industry-fund"])
        o["ft_mgr"] = org("T-FT-MGR", "福田某产业协同基金管理有限公司", "A Futian fund manager", OrgKind.fund,
                          parent=o["ft_bureau"])
        o["ns_bureau"] = org("T-NS-SASAC", "深圳市南山区国有资产监督管理局", "Nanshan SASAC", OrgKind.bureau,
                             unit_type=UnitType.government, packs=["nanshan-seed-angel-funds"])
        o["ns_mgr"] = org("T-NS-MGR", "南山某战略直投基金管理有限公司", "A Nanshan fund manager", OrgKind.fund,
                          parent=o["ns_bureau"])
        o["tj_bureau"] = org("T-TJ-STB", "天津市科学技术局", "Tianjin Science and Technology Bureau", OrgKind.bureau,
                             unit_type=UnitType.government, packs=["tianjin-transfer-guideline"])
        o["tj_univ"] = org("T-TJ-U", "天津某大学", "A Tianjin university", OrgKind.host_unit,
                           unit_type=UnitType.university, parent=o["tj_bureau"])
        u = self.users = {}
        u["admin"] = user("t_admin", superuser=True)
        u["gz_manager"] = user("t_gz_manager", (Role.caseworker, o["gz_mgr"]))
        u["gz_supervisor"] = user("t_gz_supervisor", (Role.caseworker, o["gz_bureau"]))
        u["ft_manager"] = user("t_ft_manager", (Role.caseworker, o["ft_mgr"]))
        u["ft_supervisor"] = user("t_ft_supervisor", (Role.caseworker, o["ft_bureau"]))
        u["ns_manager"] = user("t_ns_manager", (Role.caseworker, o["ns_mgr"]))
        u["ns_supervisor"] = user("t_ns_supervisor", (Role.caseworker, o["ns_bureau"]))
        u["tj_tto"] = user("t_tj_tto", (Role.host_unit_reviewer, o["tj_univ"]))
        u["tj_caseworker"] = user("t_tj_caseworker", (Role.caseworker, o["tj_bureau"]))
        u["auditor"] = user("t_auditor", (Role.auditor, None))
        u["outsider"] = user("t_outsider")

    # --- builders through the services ---------------------------------------------------------------
    def gz_fund(self, code: str = "GZ-DI", vintage: dt.date = dt.date(2025, 3, 1), term: int = 8) -> Any:
        return svc.fund_create(
            actor=self.users["gz_supervisor"], code=code, name_zh="广州开发区科创母基金直投资金",
            name_en="Guangzhou dev-zone direct-investment money", manager=self.orgs["gz_mgr"],
            supervisor=self.orgs["gz_bureau"], size_yuan=600_000_000, vintage_date=vintage, term_years=term,
            categories=["seed", "angel", "industry"], category_fact="gz_direct_investment_category",
            facts={"gz_devzone_direct_investment": True, "state_owned_vc": True}, role="investigation_finding",
            evidence=["基金合同 GZ-2025-01"])

    def ft_fund(self, code: str = "FT-ISF", vintage: dt.date = dt.date(2020, 1, 1), term: int = 6) -> Any:
        return svc.fund_create(
            actor=self.users["ft_supervisor"], code=code, name_zh="福田区产业协同基金", name_en="Futian industry fund",
            manager=self.orgs["ft_mgr"], supervisor=self.orgs["ft_bureau"], size_yuan=100_000_000,
            vintage_date=vintage, term_years=term, categories=["industry"],
            facts={"ft_industry_synergy_fund": True, "state_owned_vc": True}, role="investigation_finding")

    def invest(self, fund: Any, category: str, amount: int, day: dt.date, **kw: Any) -> Any:
        mgr = {"GZ": "gz_manager", "FT": "ft_manager", "NS": "ns_manager"}[fund.code[:2]]
        return svc.investment_create(actor=self.users[mgr], fund=fund, company=kw.pop("company", "某科技有限公司"),
                                     category=category, amount_yuan=amount, invested_on=day, **kw)

    def manager_of(self, fund: Any) -> Any:
        return self.users[{"GZ": "gz_manager", "FT": "ft_manager", "NS": "ns_manager"}[fund.code[:2]]]

    def supervisor_of(self, fund: Any) -> Any:
        return self.users[{"GZ": "gz_supervisor", "FT": "ft_supervisor", "NS": "ns_supervisor"}[fund.code[:2]]]

    def write_off(self, inv: Any, day: dt.date, proceeds: int = 0) -> Any:
        return svc.exit_create(actor=self.manager_of(inv.fund), investment=inv, kind="write_off", exited_on=day,
                               proceeds_yuan=proceeds)

    def value(self, inv: Any, day: dt.date, fair: int) -> Any:
        return svc.valuation_create(actor=self.manager_of(inv.fund), investment=inv, valued_on=day,
                                    fair_value_yuan=fair, basis="估值报告")


@pytest.fixture
def fw(db) -> FWorld:
    return FWorld()


class Api:
    def __init__(self, u: Any = None):
        self.client = Client()
        if u is not None:
            self.client.force_login(u)

    def get(self, url: str, **params: Any) -> tuple[int, Any]:
        r = self.client.get(f"/api{url}", params)
        return r.status_code, r.json() if r.content else None

    def post(self, url: str, body: Any = None) -> tuple[int, Any]:
        r = self.client.post(f"/api{url}", json.dumps(body or {}), content_type="application/json")
        return r.status_code, r.json() if r.content else None


@pytest.fixture
def as_api(fw: FWorld):
    def make(name: str | None) -> Api:
        return Api(fw.users[name] if name else None)
    return make


@pytest.fixture
def packs_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A copy of the packs that a test may change (e.g. a new dated parameter value), in force for the test."""
    root = tmp_path / "packs"
    shutil.copytree(default_root(), root)
    monkeypatch.setenv("RONGCUO_PACKS", str(root))
    case_packs.registry.cache_clear()

    def add_value(pack_dir: str, param: str, value: dict[str, Any]) -> None:
        f = root / pack_dir / "parameters.yaml"
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        for p in data:
            if p["id"] == param:
                p["values"].append(value)
        f.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        case_packs.registry.cache_clear()

    yield add_value
    case_packs.registry.cache_clear()  # the environment is restored after this; the next call reloads the packs
