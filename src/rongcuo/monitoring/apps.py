from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "rongcuo.monitoring"
    verbose_name = "监测预警与纠错 Monitoring and correction"

    def ready(self) -> None:
        from rongcuo.cases import hooks
        from rongcuo.monitoring import services  # noqa: F401 - registers the calendar-change hook for rectification deadlines
        from rongcuo.monitoring.models import CorrectionCase

        # The case page shows the corrections of the case's project.
        hooks.CASE_RECORDS["corrections"] = lambda: (CorrectionCase, "project", "project_id")
