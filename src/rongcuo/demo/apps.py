from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "rongcuo.demo"
    verbose_name = "演示数据 Demo data"
