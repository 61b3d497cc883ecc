from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from rongcuo.cases.models import ApiToken
from rongcuo.cases.tokens import token_issue, token_revoke
from rongcuo.common.errors import ServiceError


def _user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"没有账号 {username!r} / no account {username!r}", returncode=2)
    return user


def _failed(exc: ServiceError) -> CommandError:
    field = f"{exc.field}: " if exc.field else ""
    return CommandError(f"{field}{exc.zh} / {exc.en}", returncode=2)


class Command(BaseCommand):
    help = ("管理接口令牌（供管理员为程序账号开通）：issue 申领（令牌只显示一次）、list 列出、revoke 撤销。"
            "每次申领和撤销都记入审计日志（不含令牌本身）。\n"
            "Manage API tokens (for administrators provisioning machine accounts): issue one (its key is printed "
            "once), list them, revoke one. Each issue and revocation is recorded in the audit trail (never the key).")

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{issue,list,revoke}")
        issue = sub.add_parser("issue", help="为账号申领令牌 / issue a token for an account")
        issue.add_argument("username", help="账号名 / the account's username")
        issue.add_argument("--label", required=True,
                           help="令牌名称，写明用途，最多 100 个字符 / what the token is for, at most 100 characters")
        listing = sub.add_parser("list", help="列出令牌（不含令牌本身）/ list tokens (never their keys)")
        listing.add_argument("username", nargs="?", help="只列此账号的令牌 / only this account's tokens")
        revoke = sub.add_parser("revoke", help="撤销令牌，立即失效 / revoke a token; it stops working at once")
        revoke.add_argument("id", type=int, help="令牌编号（见 list）/ the token's id (see list)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "issue":
            user = _user(options["username"])
            try:
                token, key = token_issue(actor=None, user=user, label=options["label"])
            except ServiceError as exc:
                raise _failed(exc) from None
            self.stdout.write(f"令牌 #{token.pk}（{token.label}）已为 {user.get_username()} 生成。"
                              "令牌只显示这一次，请立即妥善保存 / "
                              f"token #{token.pk} ({token.label}) issued for {user.get_username()}. "
                              "It is shown this once only: store it safely now.")
            self.stdout.write(key)
        elif action == "list":
            rows = ApiToken.objects.select_related("user").order_by("pk")
            if options.get("username"):
                rows = rows.filter(user=_user(options["username"]))
            for t in rows:
                state = "已撤销 revoked" if t.revoked else "有效 valid"
                self.stdout.write(f"{t.pk}\t{t.user.get_username()}\t{t.created_at:%Y-%m-%d %H:%M}\t{state}\t{t.label}")
            n = len(rows)
            self.stdout.write(f"共 {n} 个令牌 / {n} tokens")
        else:
            token = ApiToken.objects.select_related("user").filter(pk=options["id"]).first()
            if token is None:
                raise CommandError(f"没有编号为 {options['id']} 的令牌 / no token with id {options['id']}",
                                   returncode=2)
            try:
                token_revoke(actor=None, token=token)
            except ServiceError as exc:
                raise _failed(exc) from None
            self.stdout.write(f"令牌 #{token.pk}（{token.label}，{token.user.get_username()}）已撤销 / "
                              f"token #{token.pk} ({token.label}, {token.user.get_username()}) revoked")
