from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class NotificationsConfig(AppConfig):
    name = "rongcuo.notifications"
    verbose_name = "通知 Notifications"

    def ready(self) -> None:
        from rongcuo.cases import hooks
        from rongcuo.notifications import handlers

        hooks.register(hooks.ON_STAGE_CHANGED, handlers.stage_changed)
        hooks.register(hooks.ON_CASE_ASSIGNED, handlers.case_assigned)
        hooks.register(hooks.ON_FACTS_REQUESTED, handlers.facts_requested)
        hooks.register(hooks.ON_OBJECTION_FILED, handlers.objection_filed)
        hooks.register(hooks.ON_DEADLINE_WARNING, handlers.deadline_warned)
        # After review's own pair (INSTALLED_APPS order): the decision letter is stored when this one runs.
        hooks.register(hooks.ON_CASE_DECIDED, hooks.Decided(prepare=handlers.decision_prepare,
                                                            record=handlers.decision_issued))
        checks.register(mail_server_check, checks.Tags.compatibility, deploy=True)


def mail_server_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """`check --deploy`: without a mail server the notifications' e-mail is written to files, not sent."""
    if not getattr(settings, "EMAIL_HOST", ""):
        return [checks.Warning(
            "未配置邮件服务器：通知邮件只写入文件（RONGCUO_EMAIL_FILE_DIR），不会发出 / no mail server is configured: "
            "notification e-mail is written to files (RONGCUO_EMAIL_FILE_DIR), never sent",
            hint="设置 RONGCUO_EMAIL_HOST（及 RONGCUO_EMAIL_PORT、RONGCUO_EMAIL_USER、RONGCUO_EMAIL_PASSWORD、"
                 "RONGCUO_EMAIL_TLS、RONGCUO_EMAIL_FROM）/ set RONGCUO_EMAIL_HOST (and RONGCUO_EMAIL_PORT, "
                 "RONGCUO_EMAIL_USER, RONGCUO_EMAIL_PASSWORD, RONGCUO_EMAIL_TLS, RONGCUO_EMAIL_FROM)",
            id="rongcuo.W002")]
    return []
