from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "rongcuo.funds"
    verbose_name = "国资基金容亏与成果转化 Fund loss tolerance and technology transfer"
