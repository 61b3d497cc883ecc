from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "rongcuo.cases"
    verbose_name = "认定案件 Cases"
