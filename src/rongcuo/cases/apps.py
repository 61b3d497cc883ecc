from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class CasesConfig(AppConfig):
    name = "rongcuo.cases"
    verbose_name = "认定案件 Cases"

    def ready(self) -> None:
        from rongcuo.registry.models import Organisation, RoleGrant

        from .permissions import grants_changed

        # Permission checks cache each user's grants (with their organisations); any change makes them stale.
        for model in (RoleGrant, Organisation):
            post_save.connect(grants_changed, sender=model, dispatch_uid=f"grants-changed-save-{model.__name__}")
            post_delete.connect(grants_changed, sender=model, dispatch_uid=f"grants-changed-delete-{model.__name__}")
