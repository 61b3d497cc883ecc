"""What every app's API router shares: a list answered in its schema's shape without validating it again, and the
number types of the input schemas."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.responses import NinjaJSONEncoder
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError


def listed(request: HttpRequest, rows: Any) -> HttpResponse:
    """A list whose rows are already in the declared response schema's shape (the listed columns, dates and
    plain values), rendered as ninja renders any result but without validating it row by row again: for a
    page of 50 cases that validation was half of the request's time. The schema still documents the answer
    (OpenAPI), and tests compare these lists with the schema."""
    return JsonResponse(list(rows), safe=False, encoder=NinjaJSONEncoder)


def _not_a_switch(value: Any) -> Any:
    """JSON's true and false are not numbers: pydantic reads them as 1 and 0 (a spending report with
    `"planned_yuan": false` stored 0). Refused, named by the field, like any other wrong type."""
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "a number is required, not true or false")
    return value


Number = Annotated[float, BeforeValidator(_not_a_switch)]  # an input number: float, never true/false
Whole = Annotated[int, BeforeValidator(_not_a_switch)]  # an input whole number: int, never true/false
