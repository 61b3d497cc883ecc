from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rongcuo.demo.cases import demo_load
from rongcuo.demo.world import DemoRefused, refuse_in_production


class Command(BaseCommand):
    help = ("载入演示数据：主管部门、承担单位、人员、项目，以及各政策包程序各阶段的案件（已载入则跳过）。"
            "演示账号密码 rongcuo-demo。\n"
            "Load the demo: bureaus, units, people, projects and cases in every stage (skipped if already loaded). "
            "Demo accounts use the password rongcuo-demo.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            refuse_in_production()
        except DemoRefused as exc:
            raise CommandError(str(exc)) from None
        n = demo_load()["cases"]
        self.stdout.write(f"演示案件 {n} 件 / {n} demo cases loaded" if n else "演示数据已存在 / demo already loaded")
