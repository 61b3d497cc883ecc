from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import Client

from rongcuo.audit.selectors import audit_verify
from rongcuo.funds.models import Fund, ManagerExemption, TransferRecord


def test_demo_loads_once_and_its_pages_render(db) -> None:
    out = StringIO()
    call_command("funds_demo_load", stdout=out)
    assert "4 demo funds and 5 transfer records" in out.getvalue()
    call_command("funds_demo_load", stdout=out)
    assert "already loaded" in out.getvalue()
    assert Fund.objects.count() == 4
    outcomes = {t.code: t.outcome for t in TransferRecord.objects.all()}
    assert outcomes == {"TJU-2025-031": "exempt", "TJU-2025-044": "exempt", "TJU-2025-052": "not_exempt",
                        "TJBI-2025-007": "undetermined", "TJBI-2026-002": "exempt"}
    assert {e.outcome for e in ManagerExemption.objects.all()} == {"exempt"}
    old = Fund.objects.get(code="FT-ISF-2019").checks.get()
    assert old.interim is False and old.report["fund_total"]["outcome"] == "exempt"  # 76% ≤ 80%
    gz = Fund.objects.get(code="GZDZ-DI-2025")
    assert {c.interim for c in gz.checks.all()} == {True}
    assert audit_verify().ok

    from rongcuo.registry.models import RoleGrant

    auditor = RoleGrant.objects.filter(role="auditor").first().user
    c = Client()
    c.force_login(auditor)
    for f in Fund.objects.all():
        assert c.get(f"/funds/{f.pk}/", {"on": "2026-09-30"}).status_code == 200
    assert c.get("/funds/").status_code == 200
    for t in TransferRecord.objects.all():
        assert c.get(f"/funds/transfers/{t.pk}/").status_code == 200
    for e in ManagerExemption.objects.all():
        assert c.get(f"/funds/investments/{e.investment_id}/exemption/").status_code == 200
