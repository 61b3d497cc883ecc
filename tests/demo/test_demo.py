"""The demo the run command loads: every stage of every procedure has a case, the audit chain is whole."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from rongcuo.audit.selectors import audit_verify
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


@pytest.mark.parametrize("command", ["demo_load", "funds_demo_load", "monitoring_demo_load"])
def test_the_demo_is_refused_in_production_and_writes_nothing(db, settings, command) -> None:
    """Its accounts share the published password rongcuo-demo, a superuser among them (security review, hole 7)."""
    from django.contrib.auth import get_user_model
    from django.core.management import CommandError, call_command

    from rongcuo.registry.models import Organisation

    settings.PRODUCTION = True
    before = (get_user_model().objects.count(), Organisation.objects.count())
    with pytest.raises(CommandError) as refused:
        call_command(command)
    assert "RONGCUO_PRODUCTION=1" in str(refused.value) and "演示数据" in str(refused.value)
    assert (get_user_model().objects.count(), Organisation.objects.count()) == before
    assert not get_user_model().objects.filter(username="admin").exists()
