"""The demo the run command loads: every stage of every procedure has a case, the audit chain is whole."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from rongcuo.audit.services import audit_verify
from rongcuo.cases.models import Case
from rongcuo.common.packs import registry
from rongcuo.workdays.services import calendar_seed


@pytest.mark.django_db
def test_demo_covers_every_stage_and_loads_once(settings, tmp_path, capsys) -> None:
    settings.MEDIA_ROOT = tmp_path
    calendar_seed(years=[2025, 2026])
    call_command("demo_load")
    call_command("demo_load")
    assert "demo already loaded" in capsys.readouterr().out
    for pack_id in {c.pack_id for c in Case.objects.all()}:
        stages = {s.id for s in registry().get(pack_id).procedure.stages}
        assert stages == set(Case.objects.filter(pack_id=pack_id).values_list("stage", flat=True)), pack_id
    assert {"shenzhen-tolerance-guideline", "zhejiang-implementing-opinion"} <= set(
        Case.objects.values_list("pack_id", flat=True))
    assert set(Case.objects.values_list("outcome", flat=True)) >= {"exempt", "not_exempt", "undetermined"}
    assert audit_verify().ok
