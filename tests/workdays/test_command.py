"""manage.py calendar_load: seeding, loading a notice file, and failing with exit code 2 on a bad file."""

from __future__ import annotations

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from rongcuo.workdays.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("calendar_load", *args, stdout=out)
    return out.getvalue()


def test_seed_years() -> None:
    out = run("--seed", "--years", "2025", "2026")
    assert "已从 chinesecalendar 载入 2025–2026" in out and "730" in out
    assert set(CalendarYear.objects.values_list("year", flat=True)) == {2025, 2026}
    assert "写入 0 天" in run("--seed", "--years", "2025", "2026")


def test_load_file(tmp_path: Path) -> None:
    path = tmp_path / "2027.csv"
    path.write_text("date,is_workday,note\n2027-01-01,否,元旦\n", encoding="utf-8")
    out = run(str(path), "--source", "国办发明电〔2026〕99号")
    assert "已载入 2027.csv" in out and "365" in out
    assert not CalendarDay.objects.get(date=date(2027, 1, 1)).is_workday
    assert CalendarYear.objects.get(year=2027).source == "国办发明电〔2026〕99号"


def test_bad_file_exits_2_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "2027.csv"
    path.write_text("date,is_workday,note\n2027-01-01,否,元旦\n2027-02-06,上班,春节调休\n", encoding="utf-8")
    with pytest.raises(CommandError) as info:
        run(str(path), "--source", "国办发明电〔2026〕99号")
    assert info.value.returncode == 2
    message = str(info.value)
    assert "第 3 行 line 3" in message and "true/false/1/0/是/否" in message and "未写入任何数据" in message
    assert not CalendarDay.objects.exists()


@pytest.mark.parametrize(
    "args",
    [
        (),  # neither --seed nor FILE
        ("--seed", "some.csv"),  # both
        ("some.csv",),  # FILE without --source
        ("--seed", "--source", "x"),
        ("--seed", "--years", "1999"),
        ("some.csv", "--source", "x", "--years", "2027"),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError) as info:
        run(*args)
    assert info.value.returncode == 2
    assert not CalendarDay.objects.exists()
