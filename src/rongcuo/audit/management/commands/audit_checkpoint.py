from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rongcuo.audit.services import audit_checkpoint


class Command(BaseCommand):
    help = ("校验审计链后，在锚定目录（RONGCUO_AUDIT_ANCHOR_DIR）追加一条签名的检查点；请由 cron 定期运行，"
            "并把检查点文件复制到只可写入一次的存储。\n"
            "Verify the audit chain, then append a signed checkpoint of its head to the anchor directory "
            "(RONGCUO_AUDIT_ANCHOR_DIR); run it from cron and copy the checkpoint file to write-once storage.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            record = audit_checkpoint()
        except RuntimeError as exc:
            raise CommandError(str(exc), returncode=1) from None
        self.stdout.write(f"检查点已记录 / checkpoint recorded: event {record['seq']} at {record['at']}")
