"""Number formats for the funds pages: `{{ amount|yuan }}` → 12,000,000 (whole yuan, grouped by thousands); a
filter of the template environment (rongcuo.web.jinja)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def yuan(value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
