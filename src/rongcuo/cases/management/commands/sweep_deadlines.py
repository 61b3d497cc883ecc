from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rongcuo.cases.services import deadlines_sweep


class Command(BaseCommand):
    help = ("扫描所有进行中的期限，记录即将到期和已逾期的预警（重复运行不会重复记录）。"
            "建议由 cron 每个工作日早上运行。\n"
            "Sweep open deadlines and record due-soon and overdue warnings (idempotent). Run it from cron, e.g. "
            "`0 7 * * 1-5 cd /srv/rongcuo && .venv/bin/python manage.py sweep_deadlines`.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--on", help="按此日期扫描 YYYY-MM-DD / sweep as of this date (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        on = None
        if options.get("on"):
            try:
                on = dt.date.fromisoformat(options["on"])
            except ValueError:
                raise CommandError(f"--on: 日期格式应为 YYYY-MM-DD / expected YYYY-MM-DD, got {options['on']!r}",
                                   returncode=2) from None
        n = deadlines_sweep(on=on)
        self.stdout.write(f"新增预警 {n} 条 / {n} new warnings")
