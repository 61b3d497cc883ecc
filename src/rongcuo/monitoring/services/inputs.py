"""What every record's fields must be: text within its limit, a date not in the future, an amount of yuan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from rongcuo.common.errors import Invalid
from rongcuo.monitoring import services


def clean_text(value: str | None, field: str, *, limit: int = 5000, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise Invalid("此项必填", "this field is required", field=field)
    if len(text) > limit:
        raise Invalid(f"不能超过 {limit} 字", f"at most {limit} characters", field=field)
    return text


def not_future(day: dt.date, field: str) -> dt.date:
    if day > services.today():
        raise Invalid(f"日期 {day} 晚于今天", f"the date {day} is in the future", field=field)
    return day


def money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Invalid("金额须为数字（元）", "the amount must be a number (yuan)", field=field) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e14"):
        raise Invalid("金额须为不小于 0 的数字（元）", "the amount must be a non-negative number of yuan",
                      field=field)
    return amount.quantize(Decimal("0.01"))
