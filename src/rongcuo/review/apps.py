from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ReviewConfig(AppConfig):
    name = "rongcuo.review"
    verbose_name = "评审与决定 Review and decision"

    def ready(self) -> None:
        from rongcuo.cases.permissions import grants_changed
        from rongcuo.review.models import Expert

        # Whether a user is in the expert pool is cached with their grants (the navigation asks on every page).
        post_save.connect(grants_changed, sender=Expert, dispatch_uid="grants-changed-save-Expert")
        post_delete.connect(grants_changed, sender=Expert, dispatch_uid="grants-changed-delete-Expert")
