from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rongcuo.monitoring.services import correction_sweep


class Command(BaseCommand):
    help = ("把整改期限已过而未提交整改的纠错案件移交严肃处理（可重复运行）。\n"
            "Escalate corrections whose deadline to rectify has passed without a rectification (idempotent).")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--on", help="the day to sweep as of (YYYY-MM-DD; default today)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            on = dt.date.fromisoformat(options["on"]) if options["on"] else None
        except ValueError:
            raise CommandError("--on 须为 YYYY-MM-DD / --on must be YYYY-MM-DD") from None
        done = correction_sweep(on=on)
        listed = ": " + ", ".join(done) if done else ""
        self.stdout.write(f"移交严肃处理 {len(done)} 件 / {len(done)} escalated{listed}")
