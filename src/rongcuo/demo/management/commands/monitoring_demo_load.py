from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rongcuo.demo.monitoring import monitoring_demo_load
from rongcuo.demo.world import DemoRefused, refuse_in_production


class Command(BaseCommand):
    help = ("载入监测预警与纠错演示数据：云南省科技厅、受监测项目、预警、随机抽查和各状态的纠错案件（已载入则跳过）。\n"
            "Load the monitoring demo: a Yunnan department, monitored projects, warnings, an inspection and "
            "corrections in every state (skipped if already loaded).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            refuse_in_production()
        except DemoRefused as exc:
            raise CommandError(str(exc)) from None
        n = monitoring_demo_load(None)
        w, c, i = n["warnings"], n["corrections"], n["inspections"]
        if c:
            self.stdout.write(f"预警 {w} 条，纠错案件 {c} 件，随机抽查 {i} 次 / "
                              f"{w} warnings, {c} corrections, {i} inspection")
        else:
            self.stdout.write("监测演示数据已存在 / monitoring demo already loaded")
