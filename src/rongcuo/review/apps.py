from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "rongcuo.review"
    verbose_name = "评审与决定 Review and decision"
