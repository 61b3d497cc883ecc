from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rongcuo.cases.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = ("从 manage.py backup 生成的文件恢复到一个新的（已 migrate 的空）数据库：先校验签名与文件哈希，"
            "再写入并校验审计链；校验不通过则什么也不写入。\n"
            "Restore a `manage.py backup` archive into a new, migrated, empty database: the signature and every "
            "hash are checked before anything is written, then the audit chain; a refused archive writes nothing.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("archive", help="manage.py backup 写出的文件 / the file `manage.py backup` wrote, e.g. "
                                            "rongcuo-2025-10-09.tar.gz")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            m = backup_restore(Path(options["archive"]))
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(f"已恢复并校验 / restored and verified: {len(m['files'])} files, "
                          f"audit head {m['audit_head']['seq']}")
