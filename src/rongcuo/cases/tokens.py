"""API tokens (`Authorization: Bearer <key>`): issuing and revoking, each one transaction with its audit event.

Only the key's SHA-256 is stored; the plain key is returned once, by `token_issue`, and never recorded — not in
the audit trail either, which names the token by its id, label and owner.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction

from rongcuo.audit.services import audit_append
from rongcuo.cases.models import ApiToken
from rongcuo.cases.permissions import is_admin
from rongcuo.common.errors import Conflict, Forbidden, Invalid, NotFound

LABEL_MAX = 100


def _may_manage(actor: Any, owner: Any) -> bool:
    """The owner, an administrator, or the system (actor None: an operator's management command)."""
    return actor is None or getattr(actor, "pk", None) == owner.pk or is_admin(actor)


def _described(token: ApiToken) -> dict[str, Any]:
    return {"id": token.pk, "label": token.label, "user": token.user.get_username(), "revoked": token.revoked}


def token_label_check(label: Any) -> str:
    """The label, trimmed; required, at most 100 characters (Invalid naming the field otherwise)."""
    if not isinstance(label, str) or not label.strip():
        raise Invalid("请填写令牌名称（用途，如“数据同步脚本”），最多 100 个字符",
                      "give the token a label (what it is for, e.g. “data sync script”), at most 100 characters",
                      field="label")
    label = label.strip()
    if len(label) > LABEL_MAX:
        raise Invalid(f"令牌名称最多 {LABEL_MAX} 个字符（现为 {len(label)} 个）",
                      f"the label may have at most {LABEL_MAX} characters (it has {len(label)})", field="label")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in label):
        raise Invalid("令牌名称不能包含换行或控制字符", "the label may not contain line breaks or control characters",
                      field="label")
    return label


@transaction.atomic
def token_issue(*, actor: Any, user: Any, label: str) -> tuple[ApiToken, str]:
    """Issue a token for `user` (by the user, an administrator, or the system); the plain key is returned once."""
    label = token_label_check(label)
    if not _may_manage(actor, user):
        raise Forbidden("只能为自己申领令牌（管理员除外）",
                        "you may issue tokens only for yourself (administrators: for anyone)", field="user")
    if not user.is_active:
        raise Invalid(f"账号 {user.get_username()} 已停用，不能申领令牌",
                      f"account {user.get_username()} is inactive and cannot get a token", field="user")
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, label=label, key_hash=hashlib.sha256(key.encode()).hexdigest())
    audit_append(actor=actor, action="api_token.issue", subject=token, after=_described(token))
    return token, key


@transaction.atomic
def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke a token (its owner, an administrator, or the system); it stops working on the very next request."""
    locked = ApiToken.objects.select_for_update().filter(pk=token.pk).first()
    if locked is None:
        raise NotFound(f"没有编号为 {token.pk} 的令牌", f"no token with id {token.pk}", field="token")
    token = locked
    if not _may_manage(actor, token.user):
        raise Forbidden("只能撤销自己的令牌（管理员除外）", "you may revoke only your own tokens (administrators: any)",
                        field="token")
    if token.revoked:
        raise Conflict(f"令牌 #{token.pk}（{token.label}）已撤销",
                       f"token #{token.pk} ({token.label}) is already revoked", field="token")
    before = _described(token)
    token.revoked = True
    token.save(update_fields=["revoked"])
    audit_append(actor=actor, action="api_token.revoke", subject=token, before=before, after=_described(token))
    return token
