"""Backup and restore round trip on a populated database."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from rongcuo.audit.models import AuditEvent
from rongcuo.audit.services import audit_verify
from rongcuo.cases.models import Case, CaseFact, Evidence
from rongcuo.review.models import Letter
from rongcuo.workdays.services import calendar_seed


def snapshot() -> dict:
    return {
        "cases": sorted(Case.objects.values_list("number", "stage", "outcome", "version", "pack_hash")),
        "facts": sorted((f.case.number, f.fact_id, str(f.value), f.role, f.current)
                        for f in CaseFact.objects.select_related("case")),
        "documents": sorted(Evidence.objects.values_list("sha256", flat=True)),
        "letters": sorted(Letter.objects.values_list("docx_sha256", flat=True)),
        "audit": list(AuditEvent.objects.order_by("seq").values_list("seq", "hash")),
    }


@pytest.mark.django_db(transaction=True)
def test_backup_restore_round_trip(settings, tmp_path, capsys) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    calendar_seed(years=[2025, 2026])
    call_command("demo_load")
    before = snapshot()
    assert before["cases"] and before["documents"] and before["letters"]
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive))
    call_command("flush", "--no-input")
    for f in (tmp_path / "media").rglob("*"):
        if f.is_file():
            f.unlink()
    assert not Case.objects.exists()
    call_command("restore", str(archive))
    assert snapshot() == before
    assert audit_verify().ok
    for ev in Evidence.objects.all():
        import hashlib

        assert hashlib.sha256(ev.file.open("rb").read()).hexdigest() == ev.sha256
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive))
