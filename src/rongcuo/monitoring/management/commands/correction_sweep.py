from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rongcuo.monitoring.services import correction_sweep


class Command(BaseCommand):
    help = ("把整改期限已过而未提交整改的纠错案件移交严肃处理（重复运行不会重复移交）。建议由 cron 每个工作日运行。\n"
            "Escalate corrections whose deadline to rectify has passed without a rectification (idempotent). Run it "
            "from cron, e.g. `0 7 * * 1-5 cd /srv/rongcuo && .venv/bin/python manage.py correction_sweep`.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--on", help="按此日期巡查 YYYY-MM-DD（默认今天）/ sweep as of this date (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            on = dt.date.fromisoformat(options["on"]) if options["on"] else None
        except ValueError:
            raise CommandError("--on 须为 YYYY-MM-DD / --on must be YYYY-MM-DD") from None
        done = correction_sweep(on=on)
        listed = ": " + ", ".join(done) if done else ""
        self.stdout.write(f"移交严肃处理 {len(done)} 件 / {len(done)} escalated{listed}")
