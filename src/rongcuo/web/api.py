"""The JSON API (django-ninja; OpenAPI at /api/docs). Thin: every write calls a service function.

Auth: `Authorization: Bearer <token>` for machines, the Django session (with CSRF) for the browser.
Errors are JSON: {"code": ..., "message": {"zh": ..., "en": ...}, "field": ...}.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from rongcuo.cases import permissions as perm
from rongcuo.cases.api import audit_router, cases_router, deadlines_router
from rongcuo.cases.models import ApiToken
from rongcuo.cases.tokens import token_issue
from rongcuo.common import generations
from rongcuo.common.errors import ServiceError
from rongcuo.funds.api import router as funds_router
from rongcuo.funds.api import transfers as transfers_router
from rongcuo.monitoring.api import monitoring_router
from rongcuo.notifications.api import router as notifications_router
from rongcuo.policies.api import packs_router
from rongcuo.registry.api import registry_router
from rongcuo.review.api import public as notices_router
from rongcuo.review.api import router as review_router

log = logging.getLogger("rongcuo.api")

TOKEN_TTL = 60  # seconds a token's user is kept in the cache (any change to accounts replaces it at once)


def _token_user(digest: str) -> Any:
    """The active user of the unrevoked token with this SHA-256, or False, with what every permission check asks
    next (`perm.user_state`: grants, person, expert-pool membership) remembered on it, so all of it is cached
    together (hence the grants' generation in this entry's key too). The password hash is left out (deferred:
    read from the database only if something asks for it), so it is never copied into the cache."""
    tok = ApiToken.objects.select_related("user").defer("user__password").filter(key_hash=digest,
                                                                                 revoked=False).first()
    if tok is None or not tok.user.is_active:
        return False
    perm.user_state(tok.user)
    return tok.user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        digest = hashlib.sha256(token.encode()).hexdigest()
        # Cached under the accounts generation, which a saved or deleted user, person or token replaces (cases
        # app signals): a revoked token or a deactivated user is refused on the next request; and under the
        # grants' generation, since the user comes with their grants.
        user = generations.cached((generations.ACCOUNTS, generations.GRANTS), f"token:{digest}", TOKEN_TTL,
                                  lambda: _token_user(digest))
        if not user:
            return None
        request.user = user
        return user


def token_create(*, user: Any, label: str) -> str:
    """Issue an API token for `user` as `user` (the service `token_issue`); the plain key is returned once."""
    return token_issue(actor=user, user=user, label=label)[1]


api = NinjaAPI(title="容错 Rongcuo API", version="1", auth=[TokenAuth(), django_auth], urls_namespace="api",
               description="宽容失败认定平台接口 / API of the tolerate-failure determination platform")


def _err(request: HttpRequest, status: int, code: str, zh: str, en: str, field: str | None = None) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": {"zh": zh, "en": en}, "field": field},
                               status=status)


@api.exception_handler(ServiceError)
def _service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    loc = [str(x) for x in first.get("loc", []) if x not in ("body", "payload", "query", "path", "form", "file")]
    field = ".".join(loc) or None
    msg = first.get("msg", "invalid input")
    # The Chinese half in Chinese for the common pydantic error types (the English half keeps pydantic's text).
    date_zh = "应为有效日期，格式 YYYY-MM-DD（如 2025-09-01）"
    zh_by_type = {
        "missing": "此项必填", "extra_forbidden": "不接受此字段",
        "string_too_long": "不能超过 {max_length} 个字符", "string_too_short": "至少 {min_length} 个字符",
        "too_long": "最多 {max_length} 项", "too_short": "至少 {min_length} 项",
        "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数",
        "float_parsing": "应为数字", "float_type": "应为数字",
        "date_parsing": date_zh, "date_from_datetime_parsing": date_zh, "date_from_datetime_inexact": date_zh,
        "date_type": date_zh, "datetime_parsing": "应为有效日期时间（ISO 8601）",
        "datetime_from_date_parsing": "应为有效日期时间（ISO 8601）", "datetime_type": "应为有效日期时间（ISO 8601）",
        "bool_parsing": "应为 true 或 false", "bool_type": "应为 true 或 false",
        "bool_not_number": "应为数字，不能是 true 或 false",
        "string_type": "应为文本（字符串）", "dict_type": "应为对象（JSON object）",
        "list_type": "应为列表（JSON 数组）",
        "model_attributes_type": "应为对象（JSON object）", "json_invalid": "不是合法的 JSON",
    }
    template = zh_by_type.get(str(first.get("type", "")))
    try:
        zh_msg = template.format(**(first.get("ctx") or {})) if template else f"不符合要求（{first.get('type', '')}）"
    except (KeyError, IndexError, ValueError):
        zh_msg = "不符合要求"
    return api.create_response(request, {"code": "invalid", "message": {"zh": f"输入有误：{field or ''} {zh_msg}",
                                                                       "en": f"invalid input: {field or ''} {msg}"},
                                         "field": field, "errors": exc.errors}, status=400)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _err(request, 401, "unauthenticated", "请先登录或提供令牌", "log in or send a bearer token")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        return _err(request, 400, "invalid", f"请求格式有误：{exc}（请发送合法的 JSON）",
                    f"malformed request: {exc} (send valid JSON)", "body")
    return _err(request, exc.status_code, "http_error", str(exc), str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _err(request, 404, "not_found", "未找到", "not found")


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Anything unexpected: logged with its traceback for the operator, and answered in the API's own form (a JSON
    500 in both languages, never Django's HTML page). A service that raised has rolled its own transaction back."""
    log.error("API error on %s %s", request.method, request.path, exc_info=exc)
    return _err(request, 500, "server_error", "系统出错了，您的操作没有完成；请稍后重试",
                "something went wrong: your request was not completed; try again later")



api.add_router("/packs", packs_router)
api.add_router("/registry", registry_router)
api.add_router("/cases", cases_router)
api.add_router("/deadlines", deadlines_router)
api.add_router("/audit", audit_router)
api.add_router("/cases", review_router)
api.add_router("/notices", notices_router)
api.add_router("/funds", funds_router)
api.add_router("/transfers", transfers_router)
api.add_router("/monitoring", monitoring_router)
api.add_router("/notifications", notifications_router)

