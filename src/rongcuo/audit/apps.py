from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "rongcuo.audit"
    verbose_name = "审计日志 Audit trail"
