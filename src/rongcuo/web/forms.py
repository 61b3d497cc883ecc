"""Forms the pages need beyond the services' own validation."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import AuthenticationForm

from rongcuo.common.i18n import tr


class LoginForm(AuthenticationForm):
    """Django's login form with the platform's own wording in both languages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.error_messages = {
            "invalid_login": tr("用户名或密码不正确（区分大小写）。",
                                "The username or password is wrong (both are case-sensitive)."),
            "inactive": tr("该账号已停用。", "This account is inactive."),
        }
        self.fields["username"].label = tr("用户名", "Username")
        self.fields["password"].label = tr("密码", "Password")
