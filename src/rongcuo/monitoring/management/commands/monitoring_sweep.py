from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rongcuo.monitoring.services import monitoring_pack, monitoring_sweep
from rongcuo.registry.models import Organisation, OrgKind


class Command(BaseCommand):
    help = ("对各主管部门执行中项目运行预警规则（政策包 monitoring.yaml），记录新预警，解除已不成立的预警"
            "（重复运行不会重复记录）。建议由 cron 每个工作日运行。\n"
            "Run the packs' early-warning rules over every bureau's running projects, record new warnings and clear "
            "those that no longer hold (idempotent). Run it from cron, e.g. "
            "`30 6 * * 1-5 cd /srv/rongcuo && .venv/bin/python manage.py monitoring_sweep`.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--on", help="按此日期巡查 YYYY-MM-DD（默认今天）/ sweep as of this date (default: today)")
        parser.add_argument("--bureau", help="主管部门代码（默认：每个有预警规则的主管部门）/ "
                                             "a bureau's code (default: every bureau with warning rules)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            on = dt.date.fromisoformat(options["on"]) if options["on"] else dt.date.today()
        except ValueError:
            raise CommandError("--on 须为 YYYY-MM-DD / --on must be YYYY-MM-DD") from None
        bureaus = Organisation.objects.filter(kind=OrgKind.bureau).order_by("code")
        if options["bureau"]:
            bureaus = bureaus.filter(code=options["bureau"])
            if not bureaus:
                raise CommandError(f"没有主管部门 {options['bureau']} / no bureau {options['bureau']}")
        for bureau in bureaus:
            if monitoring_pack(bureau, on) is None:
                continue
            r = monitoring_sweep(bureau=bureau, on=on)
            self.stdout.write(f"{r.bureau} {r.on} {r.pack_ref}：项目 {r.projects} 个，新增预警 {r.raised} 条，"
                              f"解除 {r.cleared} 条 / {r.projects} projects, {r.raised} new warnings, "
                              f"{r.cleared} cleared, {r.seconds:.2f} s")
