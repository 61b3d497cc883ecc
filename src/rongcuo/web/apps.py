from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "rongcuo.web"
    verbose_name = "网页 Web"
