"""Pages: the funds list, a fund's loss position (chart and table, with the definition), the manager's
exemption with its trace, and transfers with their pricing determination; in Chinese and in English."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from rongcuo.funds import services as svc
from rongcuo.funds.models import ManagerExemption

from .conftest import DILIGENT, FWorld


def client(u=None, lang: str | None = None) -> Client:
    c = Client()
    if u is not None:
        c.force_login(u)
    if lang:
        c.cookies["django_language"] = lang
    return c


@pytest.fixture
def data(fw: FWorld):
    fund = fw.gz_fund()
    s1 = fw.invest(fund, "seed", 3_000_000, dt.date(2025, 4, 10), company="广州某量子科技有限公司")
    s2 = fw.invest(fund, "seed", 5_000_000, dt.date(2025, 5, 10))
    fw.invest(fund, "industry", 20_000_000, dt.date(2025, 6, 1))
    fw.write_off(s1, dt.date(2026, 5, 20))
    fw.value(s2, dt.date(2026, 6, 30), 2_000_000)
    t = svc.transfer_create(actor=fw.users["tj_caseworker"], unit=fw.orgs["tj_univ"], code="TJ-1",
                            achievement="工业机器人视觉定位技术", method="agreement", publicly_noticed=False,
                            transfer_date=dt.date(2025, 9, 1), price_yuan=1_500_000,
                            facts={"tj_tianjin_transfer": True, "transfer_duties_diligent": True,
                                   "sought_private_gain": False}, role="investigation_finding")
    return fund, s1, t


def test_pages_need_a_login_and_are_scoped(fw: FWorld, data) -> None:
    fund, s1, t = data
    for url in ("/funds/", f"/funds/{fund.pk}/", f"/funds/investments/{s1.pk}/exemption/", "/funds/transfers/",
                f"/funds/transfers/{t.pk}/"):
        r = client().get(url)
        assert r.status_code == 302 and "login" in r["Location"], url
    out = client(fw.users["outsider"])
    assert "广州开发区科创母基金直投资金" not in out.get("/funds/").content.decode()
    assert out.get(f"/funds/{fund.pk}/").status_code == 404
    assert out.get(f"/funds/investments/{s1.pk}/exemption/").status_code == 404
    assert out.get(f"/funds/transfers/{t.pk}/").status_code == 404
    assert "工业机器人" not in out.get("/funds/transfers/").content.decode()


def test_fund_list_and_fund_page(fw: FWorld, data) -> None:
    fund, _, _ = data
    c = client(fw.users["gz_supervisor"])
    r = c.get("/funds/")
    assert r.status_code == 200 and "广州开发区科创母基金直投资金" in r.content.decode()
    r = c.get(f"/funds/{fund.pk}/", {"on": "2026-09-30"})
    html = r.content.decode()
    assert r.status_code == 200
    assert "<svg" in html and "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "亏损计量口径" in html and "已实现亏损加按公允价值计量的未实现亏损" in html
    assert "期中检查：仅报告位置，不作结论" in html
    assert "种子" in html and "50.0%" in html and "75.0%" in html  # seed: 3 + 3 of 8 million lost, limit 50%
    assert "超限" in html


def test_fund_page_in_english(fw: FWorld, data) -> None:
    fund, _, _ = data
    html = client(fw.users["auditor"], "en").get(f"/funds/{fund.pk}/", {"on": "2026-09-30"}).content.decode()
    assert "Realised plus unrealised loss at fair value" in html
    assert "Interim check: position reported, no conclusion" in html
    assert "Loss position over time" in html and "Seed loss ratio" in html
    assert "A Guangzhou fund manager" in html and "Guangzhou Development District SASAC" in html  # its names in English
    assert "广州开发区某科创投资管理有限公司" not in html
    listing = client(fw.users["auditor"], "en").get("/funds/").content.decode()
    assert "A Guangzhou fund manager" in listing and "广州开发区某科创投资管理有限公司" not in listing


def test_fund_page_before_any_pack_is_in_force_says_so(fw: FWorld, data) -> None:
    fund, _, _ = data
    r = client(fw.users["gz_supervisor"]).get(f"/funds/{fund.pk}/", {"on": "2025-01-01"})
    assert r.status_code == 200 and "没有施行中的政策包版本" in r.content.decode()


def test_exemption_page_shows_the_trace_and_decides(fw: FWorld, data) -> None:
    _, s1, _ = data
    sup = client(fw.users["gz_supervisor"])
    html = sup.get(f"/funds/investments/{s1.pk}/exemption/").content.decode()
    assert "尚需查明的事实" in html and "投后管理勤勉尽责" in html
    svc.investment_set_facts(actor=fw.users["gz_supervisor"], investment=s1,
                             facts={**DILIGENT, "loss_from_policy_change": True}, role="investigation_finding",
                             evidence=["调查报告 INV-2026-07"])
    mgr = client(fw.users["gz_manager"])
    mgr.post(f"/funds/investments/{s1.pk}/exemption/", {"on": "2026-09-30"})
    assert not ManagerExemption.objects.exists()
    r = sup.post(f"/funds/investments/{s1.pk}/exemption/", {"on": "2026-09-30"})
    assert r.status_code == 302
    assert ManagerExemption.objects.get().outcome == "exempt"
    html = sup.get(f"/funds/investments/{s1.pk}/exemption/").content.decode()
    assert "尽职免责：不追究受托管理机构及相关人员责任，不作负面评价" in html
    assert "政策变动造成损失" in html and "全部条款的判定过程" in html
    assert "调查报告 INV-2026-07" in html and "t_gz_supervisor" in html


def test_transfer_pages(fw: FWorld, data) -> None:
    _, _, t = data
    c = client(fw.users["tj_tto"])
    html = c.get("/funds/transfers/").content.decode()
    assert "工业机器人视觉定位技术" in html and "不适用定价免责条款" in html
    html = c.get(f"/funds/transfers/{t.pk}/").content.decode()
    assert "成果转化定价免责认定" in html and "政策界限（四）：领导人员成果转化股权激励" in html
    assert "或通过协议定价并公示" in html  # the clause's original text
    html = client(fw.users["tj_tto"], "en").get("/funds/transfers/").content.decode()
    assert "Pricing exemption does not apply" in html
    assert "A Tianjin university" in html and "天津某大学" not in html  # the unit's English name
    detail = client(fw.users["tj_tto"], "en").get(f"/funds/transfers/{t.pk}/").content.decode()
    assert "A Tianjin university" in detail and "天津某大学" not in detail


def test_navigation_links_the_funds_pages_for_those_who_may_read_them(fw: FWorld) -> None:
    link = 'href="/funds/"'

    def nav(name: str | None) -> str:
        r = client(fw.users[name] if name else None).get("/")
        assert r.status_code == 200
        return r.content.decode()

    # A unit's staff see the link once the unit has a transfer record; before, there is nothing to see.
    assert link not in nav("tj_tto")
    svc.transfer_create(actor=fw.users["tj_caseworker"], unit=fw.orgs["tj_univ"], code="TJ-NAV",
                        achievement="一种传感器标定方法", method="auction", transfer_date=dt.date(2025, 9, 1),
                        price_yuan=800_000)
    for name in ("gz_manager", "gz_supervisor", "ft_supervisor", "tj_caseworker", "tj_tto", "auditor", "admin"):
        html = nav(name)
        assert link in html and "基金与转化" in html, name
    for name in ("outsider", None):
        assert link not in nav(name), name
    r = client(fw.users["tj_tto"], "en").get("/funds/transfers/")
    assert r.status_code == 200 and ">Funds and transfers</a>" in r.content.decode()


def test_a_transfer_priced_at_nothing_shows_no_change_in_value(fw: FWorld) -> None:
    t = svc.transfer_create(actor=fw.users["tj_caseworker"], unit=fw.orgs["tj_univ"], code="TJ-0",
                            achievement="无偿许可的标定方法", method="agreement", publicly_noticed=True,
                            notice_where="校网", notice_from=dt.date(2025, 8, 1), notice_to=dt.date(2025, 8, 15),
                            transfer_date=dt.date(2025, 9, 1), price_yuan=0, later_value_yuan=500_000,
                            later_value_on=dt.date(2026, 6, 30))
    c = client(fw.users["tj_tto"])
    for url in ("/funds/transfers/", f"/funds/transfers/{t.pk}/"):
        html = c.get(url).content.decode()
        assert "500,000" in html and "None" not in html  # a change from nothing has no percentage: a dash
    assert "(—, 2026-06-30)" in c.get(f"/funds/transfers/{t.pk}/").content.decode()
