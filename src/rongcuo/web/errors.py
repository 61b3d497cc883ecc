"""The error pages: the product's own pages (jinja2/403.html, 404.html, 500.html), and for the API's paths the
API's own JSON form, so a client of /api/ never receives an HTML page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"

_TEXTS = {
    400: ("bad_request", "请求有误", "bad request"),
    403: ("forbidden", "无权访问", "forbidden"),
    404: ("not_found", "未找到", "not found"),
    500: ("server_error", "系统出错了，您的操作没有完成；请稍后重试",
          "something went wrong: your request was not completed; try again later"),
}


def _api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(status: int) -> JsonResponse:
    code, zh, en = _TEXTS[status]
    return JsonResponse({"code": code, "message": {"zh": zh, "en": en}, "field": None}, status=status,
                        json_dumps_params={"ensure_ascii": False})


def bad_request(request: HttpRequest, exception: Any) -> HttpResponse:
    return _json(400) if _api(request) else defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Any) -> HttpResponse:
    return _json(403) if _api(request) else defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Any) -> HttpResponse:
    return _json(404) if _api(request) else defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    return _json(500) if _api(request) else defaults.server_error(request)
