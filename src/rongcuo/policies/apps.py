from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "rongcuo.policies"
    verbose_name = "政策包与自查 Policy packs and self-check"
