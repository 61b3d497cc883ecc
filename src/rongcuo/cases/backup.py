"""Backup and restore (备份与恢复): the database as Django fixtures plus every stored file, in one archive.

The manifest records the data's and each file's SHA-256 and the audit chain's head, so a restore can prove it is
complete: same cases, same facts, same documents (by hash), same audit chain. The manifest is signed with a keyed
MAC (HMAC-SHA256 under settings.RONGCUO_BACKUP_KEY, by default derived from SECRET_KEY): a restore refuses an
archive whose manifest, data or files were changed after it was written, before it writes anything.
"""

from __future__ import annotations

import hashlib
import hmac
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
FORMAT = 2  # 2: the manifest is signed and names the data's hash (1 was unsigned, and is refused)


class BackupError(Exception):
    pass


def _signature(manifest: bytes) -> str:
    """HMAC-SHA256 of the manifest's bytes under the backup key (settings.RONGCUO_BACKUP_KEY; without it, a key
    derived from SECRET_KEY for this purpose only)."""
    key = getattr(settings, "RONGCUO_BACKUP_KEY", "") or hashlib.sha256(
        b"rongcuo.backup:" + settings.SECRET_KEY.encode()).hexdigest()
    return hmac.new(key.encode(), manifest, hashlib.sha256).hexdigest()


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
    raw = data.getvalue().encode()
    manifest = {"format": FORMAT, "audit_head": head, "data_sha256": hashlib.sha256(raw).hexdigest(), "files": files}
    signed = json.dumps(manifest, indent=1).encode()
    with tarfile.open(out, "w:gz") as tar:
        for name, content in (("data.json", raw), ("manifest.json", signed),
                              ("manifest.sig", _signature(signed).encode())):
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
    """Restore into an empty database. Everything is checked before anything is written: the manifest's signature,
    the data's and every file's hash; then the data is loaded and the audit chain verified in one transaction. A
    refused restore leaves the database and the media folder as they were."""
    from rongcuo.cases.models import Case

    if Case.objects.exists():
        raise BackupError("目标数据库不是空的，请在新库上恢复 / "
                          "the target database is not empty; restore into a new one")
    with tarfile.open(archive, "r:gz") as tar:
        members = {m.name: m for m in _safe_members(tar)}
        if "manifest.json" not in members or "data.json" not in members:
            raise BackupError("不是 Rongcuo 备份 / not a Rongcuo backup")
        signed = _read(tar, members["manifest.json"])
        manifest = json.loads(signed)
        if manifest.get("format") != FORMAT:
            raise BackupError(f"不支持的备份格式 {manifest.get('format')}（无签名的旧格式备份无法校验） / unsupported "
                              "backup format (an unsigned backup of the old format cannot be verified)")
        sig = _read(tar, members["manifest.sig"]).decode(errors="replace") if "manifest.sig" in members else ""
        if not hmac.compare_digest(sig.strip(), _signature(signed)):
            raise BackupError("备份签名不符：清单在写出后被改动，或备份密钥不同 / the backup's signature does not "
                              "match: its manifest was changed after it was written, or the backup key differs")
        data = _read(tar, members["data.json"])
        if hashlib.sha256(data).hexdigest() != manifest.get("data_sha256"):
            raise BackupError("数据文件的哈希与签名清单不符 / data.json differs from the signed manifest")
        files: dict[str, bytes] = {}
        for rel, digest in manifest["files"].items():
            m = members.get(f"media/{rel}")
            if m is None:
                raise BackupError(f"缺少文件 {rel} / file missing from the archive")
            content = _read(tar, m)
            if hashlib.sha256(content).hexdigest() != digest:
                raise BackupError(f"文件 {rel} 的哈希不符 / hash mismatch for {rel}")
            files[rel] = content
    root = Path(settings.MEDIA_ROOT)
    written: list[Path] = []
    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as fh:
        fh.write(data)
        fixture = fh.name
    try:
        for rel, content in files.items():
            target = root / rel
            if target.exists():
                raise BackupError(f"文件 {rel} 已存在，请恢复到空的文件目录 / {rel} exists already: restore into an "
                                  "empty media folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            written.append(target)
        _load(fixture, manifest)
    except BaseException:
        for path in written:  # nothing of a refused restore is left behind
            path.unlink(missing_ok=True)
        raise
    finally:
        Path(fixture).unlink(missing_ok=True)
    generations.bump_all()  # values cached from the database as it was before are stale
    return manifest


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    return tar.extractfile(member).read()  # type: ignore[union-attr]


def _load(fixture: str, manifest: dict[str, Any]) -> None:
    from rongcuo.audit.selectors import audit_verify

    with transaction.atomic():
        management.call_command("loaddata", fixture, verbosity=0)
        _reset_sequences()
        res = audit_verify()
        if not res.ok:
            raise BackupError(f"恢复后审计链校验失败 / audit chain broken after restore: {res.reason}")
        if _head() != manifest["audit_head"]:
            raise BackupError("审计链头与备份不符 / audit head differs from the backup")
    from rongcuo.audit.anchor import anchor_head

    anchor_head(manifest["audit_head"]["seq"], manifest["audit_head"]["hash"])  # the restored chain's anchor


def _reset_sequences() -> None:
    """PostgreSQL keeps id sequences apart from the rows: move them past the restored ids."""
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    models = [m for label in _labels() for m in apps.get_app_config(label).get_models()]
    with connection.cursor() as cur:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cur.execute(sql)
