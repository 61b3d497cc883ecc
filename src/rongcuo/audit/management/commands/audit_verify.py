from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rongcuo.audit.selectors import audit_verify


class Command(BaseCommand):
    help = ("校验审计日志哈希链、每个事件的密钥校验码，以及数据库之外的锚点与检查点，报告第一个断点。\n"
            "Verify the audit hash chain, each event's MAC and the anchors and checkpoints kept outside the database; "
            "report the first broken link.")

    def handle(self, *args: Any, **options: Any) -> None:
        res = audit_verify()
        if res.ok:
            self.stdout.write(f"审计链完整 / audit chain intact: {res.checked} events, {res.anchored} anchors")
            return
        raise CommandError(f"审计链在事件 {res.first_broken} 处断开 / chain broken at event {res.first_broken}: "
                           f"{res.reason} ({res.checked} events verified before it)", returncode=1)
