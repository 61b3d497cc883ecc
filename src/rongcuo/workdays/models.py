"""工作日历的数据 The official working-day calendar as stored data.

Law is data (brief, principle 1): every day says where its status came from, so a deadline can be
explained ("10月11日 星期六 国庆节调休上班, source 国办发明电〔2024〕12号") and so a re-seed from the library
never silently undoes an official notice loaded from a file or a correction made by an administrator.
"""

from __future__ import annotations

from django.db import models


class Origin(models.TextChoices):
    """Who said what a day is; decides what may overwrite it (seed < file < administrator)."""

    SEED = "seed", "chinesecalendar 库 library"
    FILE = "file", "国务院办公厅通知文件 State Council notice file"
    ADMIN = "admin", "管理员修改 administrator edit"


class CalendarDay(models.Model):
    """One calendar day: working day (工作日) or rest day (休息日), and where that came from."""

    date = models.DateField("日期 date", primary_key=True)
    is_workday = models.BooleanField("工作日 working day")
    origin = models.CharField("来源类别 origin", max_length=8, choices=Origin.choices, default=Origin.SEED)
    source = models.CharField(
        "来源 source",
        max_length=200,
        help_text="如 chinesecalendar 1.11.0、国办发明电〔2025〕7号 / e.g. the library version or the notice",
    )
    note = models.CharField("说明 note", max_length=200, blank=True, help_text="如 国庆节 / e.g. holiday name")
    changed_by = models.CharField("修改人 changed by", max_length=150, blank=True)
    updated_at = models.DateTimeField("更新时间 updated at", auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = "日历日 calendar day"
        verbose_name_plural = "日历日 calendar days"

    def __str__(self) -> str:
        kind = "工作日 working day" if self.is_workday else "休息日 rest day"
        return f"{self.date.isoformat()} {kind}{' ' + self.note if self.note else ''}"


class CalendarYear(models.Model):
    """A year whose official arrangement is loaded; without a row, that year's deadlines are provisional."""

    year = models.PositiveSmallIntegerField("年份 year", primary_key=True)
    source = models.CharField("来源 source", max_length=200)
    loaded_at = models.DateTimeField("载入时间 loaded at", auto_now=True)
    note = models.CharField("说明 note", max_length=200, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = "已载入年度 loaded year"
        verbose_name_plural = "已载入年度 loaded years"

    def __str__(self) -> str:
        return f"{self.year}（{self.source}）"
