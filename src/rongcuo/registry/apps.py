from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "rongcuo.registry"
    verbose_name = "登记 Registry"
