"""manage.py calendar_load — 载入官方工作日历 load the official working-day calendar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rongcuo.workdays.services import CalendarFileError, calendar_load_file, calendar_seed, chinesecalendar_years

#: Exit code for a file that cannot be loaded (usage errors also exit with 2, as argparse does).
EXIT_BAD_FILE = 2


class Command(BaseCommand):
    help = (
        "载入官方工作日历。--seed 从 chinesecalendar 库载入 2004 年至其最后一年（可用 --years 限定）；"
        "FILE --source 文号 载入国务院办公厅放假安排通知的 CSV（表头 date,is_workday,note）或 JSON"
        "（[{date, is_workday, note}]）文件，文件所含年份整年载入，未列出的日期按周一至周五上班、周末休息。"
        " / Load the official working-day calendar. --seed loads 2004 through chinesecalendar's last year "
        "(restrict with --years); FILE --source REF loads a State Council holiday notice as CSV "
        "(header date,is_workday,note) or JSON ([{date, is_workday, note}]); the years in the file are "
        "loaded whole, unlisted days following the weekend rule."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            nargs="?",
            type=Path,
            help="通知文件 .csv 或 .json / notice file, .csv or .json",
        )
        parser.add_argument(
            "--seed",
            action="store_true",
            help="从 chinesecalendar 库载入（幂等，不覆盖文件或管理员修改的日期）/ "
            "seed from chinesecalendar (idempotent; never overwrites file or administrator days)",
        )
        parser.add_argument(
            "--years",
            type=int,
            nargs="+",
            metavar="YEAR",
            help="与 --seed 同用：只载入这些年份 / with --seed: only these years",
        )
        parser.add_argument(
            "--source",
            help="与 FILE 同用（必填）：通知文号，如 国办发明电〔2026〕7号 / "
            "with FILE (required): the notice reference",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="与 FILE 同用：整年替换已载入的年份 / with FILE: replace years that are already loaded",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path | None = options["file"]
        if options["seed"] == (path is not None):
            raise CommandError(
                "请二选一：--seed 或 FILE --source 文号 / give exactly one of --seed or FILE --source REF",
                returncode=EXIT_BAD_FILE,
            )
        if options["seed"]:
            if options["source"] or options["replace"]:
                raise CommandError(
                    "--source 与 --replace 只用于文件 / --source and --replace apply to FILE only",
                    returncode=EXIT_BAD_FILE,
                )
            try:
                written = calendar_seed(years=options["years"])
            except ValueError as exc:
                raise CommandError(str(exc), returncode=EXIT_BAD_FILE) from exc
            years = options["years"] or list(chinesecalendar_years())
            self.stdout.write(
                self.style.SUCCESS(
                    f"已从 chinesecalendar 载入 {min(years)}–{max(years)} 年，写入 {written} 天 / "
                    f"seeded {min(years)}–{max(years)} from chinesecalendar, {written} days written"
                )
            )
            return

        assert path is not None
        if options["years"]:
            raise CommandError("--years 只用于 --seed / --years applies to --seed only", returncode=EXIT_BAD_FILE)
        source = (options["source"] or "").strip()
        if not source:
            raise CommandError(
                "载入文件须用 --source 写明通知文号 / loading a file requires --source with the notice reference",
                returncode=EXIT_BAD_FILE,
            )
        try:
            written = calendar_load_file(path=path, source=source, replace=options["replace"])
        except CalendarFileError as exc:
            raise CommandError(
                f"{path}: {exc}\n未写入任何数据 / nothing was written", returncode=EXIT_BAD_FILE
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"已载入 {path.name}（{source}），写入 {written} 天 / loaded {path.name}, {written} days written"
            )
        )
