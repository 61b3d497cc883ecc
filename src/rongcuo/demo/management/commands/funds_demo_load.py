from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rongcuo.demo.funds import funds_demo_load
from rongcuo.demo.world import DemoRefused, refuse_in_production


class Command(BaseCommand):
    help = ("载入基金容亏与成果转化演示数据：广州开发区、南山、福田的国资基金及其投资、估值、退出与核销、容亏检查、"
            "尽职免责认定，以及天津的成果转化定价记录（已载入则跳过）。演示账号密码 rongcuo-demo。\n"
            "Load the funds and transfers demo: state funds in the Guangzhou development zone, Nanshan and Futian "
            "with investments, valuations, exits and write-offs, tolerance checks and manager exemptions, and "
            "Tianjin transfer records (skipped if already loaded). Demo accounts use the password rongcuo-demo.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            refuse_in_production()
        except DemoRefused as exc:
            raise CommandError(str(exc)) from None
        n = funds_demo_load()
        if n["funds"]:
            self.stdout.write(f"演示基金 {n['funds']} 只、成果转化记录 {n['transfers']} 条 / "
                              f"{n['funds']} demo funds and {n['transfers']} transfer records loaded")
        else:
            self.stdout.write("基金演示数据已存在 / funds demo already loaded")
