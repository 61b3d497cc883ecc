"""Backup and restore round trip on a populated database."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from rongcuo.audit.models import AuditEvent
from rongcuo.audit.selectors import audit_verify
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


def _backed_up_then_emptied(settings, tmp_path):  # type: ignore[no-untyped-def]
    """The demo, backed up; then the database flushed and the media folder emptied: (the archive, the snapshot)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    calendar_seed(years=[2025, 2026])
    call_command("demo_load")
    before = snapshot()
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive))
    call_command("flush", "--no-input")
    for f in (tmp_path / "media").rglob("*"):
        if f.is_file():
            f.unlink()
    return archive, before


@pytest.mark.django_db(transaction=True)
def test_backup_restore_round_trip(settings, tmp_path, capsys) -> None:
    archive, before = _backed_up_then_emptied(settings, tmp_path)
    assert before["cases"] and before["documents"] and before["letters"]
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


def _rewrite(archive, out, change) -> None:  # type: ignore[no-untyped-def]
    """Copy `archive` to `out`, passing each member's bytes through `change(name, content)`."""
    import io
    import tarfile

    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for m in src.getmembers():
            content = change(m.name, src.extractfile(m).read())  # type: ignore[union-attr]
            if content is None:
                continue
            info = tarfile.TarInfo(m.name)
            info.size = len(content)
            dst.addfile(info, io.BytesIO(content))


@pytest.mark.django_db(transaction=True)
def test_a_tampered_backup_is_refused_before_anything_is_written(settings, tmp_path) -> None:
    """Changing a case's outcome in data.json (and even recomputing the manifest's hashes) restored as "restored and
    verified" (security review, hole 6). Now the signed manifest refuses it, and nothing is left behind."""
    import hashlib
    import json

    from django.core.management.base import CommandError

    archive, _ = _backed_up_then_emptied(settings, tmp_path)

    def outcome_changed(name: str, content: bytes) -> bytes:
        return content.replace(b'"outcome": "not_exempt"', b'"outcome": "exempt"') if name == "data.json" else content

    def manifest_recomputed(name: str, content: bytes) -> bytes:
        if name == "data.json":
            return outcome_changed(name, content)
        if name == "manifest.json":
            manifest = json.loads(content)
            manifest["data_sha256"] = hashlib.sha256(tampered_data).hexdigest()
            return json.dumps(manifest, indent=1).encode()
        return content

    import tarfile

    with tarfile.open(archive, "r:gz") as tar:
        data = tar.extractfile("data.json").read()  # type: ignore[union-attr]
    tampered_data = outcome_changed("data.json", data)
    assert tampered_data != data  # the demo has a refused case: its outcome is what gets changed
    cases = [
        ("outcome", outcome_changed, "data.json"),
        ("manifest", manifest_recomputed, "signature"),
        ("unsigned", lambda name, content: None if name == "manifest.sig" else content, "signature"),
        ("a file", lambda name, content: content + b"x" if name.startswith("media/") else content, "hash"),
    ]
    for label, change, says in cases:
        bad = tmp_path / f"bad-{label.replace(' ', '-')}.tar.gz"
        _rewrite(archive, bad, change)
        with pytest.raises(CommandError, match=says):
            call_command("restore", str(bad))
        assert not Case.objects.exists() and not AuditEvent.objects.exists(), label
        assert not [f for f in (tmp_path / "media").rglob("*") if f.is_file()], label
    settings.RONGCUO_BACKUP_KEY = "another-key"  # a backup signed under one key is not taken under another
    with pytest.raises(CommandError, match="signature"):
        call_command("restore", str(archive))
    settings.RONGCUO_BACKUP_KEY = ""
    call_command("restore", str(archive))  # the untouched archive restores
    assert Case.objects.exists()
