from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "rongcuo.monitoring"
    verbose_name = "监测预警与纠错 Monitoring and correction"

    def ready(self) -> None:
        from rongcuo.monitoring import services  # noqa: F401 - registers the calendar-change hook for rectification deadlines
