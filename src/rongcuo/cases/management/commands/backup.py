from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from rongcuo.cases.backup import backup_create


class Command(BaseCommand):
    help = ("备份数据库与全部文件到一个 .tar.gz（含文件哈希与审计链头）。恢复：manage.py restore 文件\n"
            "Back up the database and every stored file into one .tar.gz (with file hashes and the audit head). "
            "Restore with `manage.py restore FILE`.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("out", help="输出文件 / output file, e.g. rongcuo-2025-10-09.tar.gz")

    def handle(self, *args: Any, **options: Any) -> None:
        m = backup_create(Path(options["out"]))
        self.stdout.write(f"已备份 / backed up: {len(m['files'])} files, audit head {m['audit_head']['seq']}")
