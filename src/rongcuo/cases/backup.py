"""Backup and restore (备份与恢复): the database as Django fixtures plus every stored file, in one archive.

The manifest records each file's SHA-256 and the audit chain's head, so a restore can prove it is complete:
same cases, same facts, same documents (by hash), same audit chain.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import management
from django.db import connection, transaction

from rongcuo.common import generations

APP_LABELS = ["auth", "audit", "workdays", "registry", "cases", "review", "monitoring", "funds"]
FORMAT = 1


class BackupError(Exception):
    pass


def _labels() -> list[str]:
    return [a for a in APP_LABELS if apps.is_installed(f"rongcuo.{a}") or a == "auth"]


def _head() -> dict[str, Any]:
    from rongcuo.audit.models import AuditHead

    head = AuditHead.objects.filter(id=1).first()
    return {"seq": head.seq if head else 0, "hash": head.hash if head else ""}


def _media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


def backup_create(out: Path) -> dict[str, Any]:
    """Write the archive; returns its manifest."""
    data = io.StringIO()
    with transaction.atomic():  # one consistent snapshot
        management.call_command("dumpdata", *_labels(), "--natural-foreign", "--indent", "0", stdout=data,
                                exclude=["auth.permission", "contenttypes"])
        head = _head()
    root = Path(settings.MEDIA_ROOT)
    files = {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in _media_files()}
    manifest = {"format": FORMAT, "audit_head": head, "files": files}
    raw = data.getvalue().encode()
    with tarfile.open(out, "w:gz") as tar:
        for name, content in (("data.json", raw), ("manifest.json", json.dumps(manifest, indent=1).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        for rel in files:
            tar.add(root / rel, arcname=f"media/{rel}")
    return manifest


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    out = []
    for m in tar.getmembers():
        p = Path(m.name)
        if p.is_absolute() or ".." in p.parts or not (m.isfile()):
            raise BackupError(f"archive member {m.name!r} is not allowed / 备份包含不允许的路径")
        out.append(m)
    return out


def backup_restore(archive: Path) -> dict[str, Any]:
    """Restore into an empty database; checks every file's hash and the audit chain before finishing."""
    from rongcuo.audit.services import audit_verify
    from rongcuo.cases.models import Case

    if Case.objects.exists():
        raise BackupError("目标数据库不是空的，请在新库上恢复 / "
                          "the target database is not empty; restore into a new one")
    with tarfile.open(archive, "r:gz") as tar:
        members = {m.name: m for m in _safe_members(tar)}
        if "manifest.json" not in members or "data.json" not in members:
            raise BackupError("不是 Rongcuo 备份 / not a Rongcuo backup")
        manifest = json.loads(tar.extractfile(members["manifest.json"]).read())  # type: ignore[union-attr]
        if manifest.get("format") != FORMAT:
            raise BackupError(f"不支持的备份格式 {manifest.get('format')} / unsupported backup format")
        data = tar.extractfile(members["data.json"]).read()  # type: ignore[union-attr]
        root = Path(settings.MEDIA_ROOT)
        for rel, digest in manifest["files"].items():
            m = members.get(f"media/{rel}")
            if m is None:
                raise BackupError(f"缺少文件 {rel} / file missing from the archive")
            content = tar.extractfile(m).read()  # type: ignore[union-attr]
            if hashlib.sha256(content).hexdigest() != digest:
                raise BackupError(f"文件 {rel} 的哈希不符 / hash mismatch for {rel}")
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as fh:
        fh.write(data)
        fixture = fh.name
    with transaction.atomic():
        # Start from an empty schema state for the tables the fixtures fill (e.g. the calendar seeded by migrate).
        management.call_command("loaddata", fixture, verbosity=0)
        _reset_sequences()
        res = audit_verify()
        if not res.ok:
            raise BackupError(f"恢复后审计链校验失败 / audit chain broken after restore: {res.reason}")
        if _head() != manifest["audit_head"]:
            raise BackupError("审计链头与备份不符 / audit head differs from the backup")
    Path(fixture).unlink(missing_ok=True)
    generations.bump_all()  # values cached from the database as it was before are stale
    return manifest


def _reset_sequences() -> None:
    """PostgreSQL keeps id sequences apart from the rows: move them past the restored ids."""
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    models = [m for label in _labels() for m in apps.get_app_config(label).get_models()]
    with connection.cursor() as cur:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cur.execute(sql)
